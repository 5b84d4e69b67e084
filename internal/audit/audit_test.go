package audit

import (
	"strings"
	"testing"
	"time"
)

func chain(n int) []Entry {
	var out []Entry
	prevSeq, prev := int64(0), Genesis
	for i := 0; i < n; i++ {
		e := Entry{At: time.Date(2026, 11, 27, 10, 0, i, 0, time.UTC), ActorID: "usr_1", Action: "application.submitted", ObjectType: "application", ObjectID: "app_" + string(rune('a'+i))}
		e.Seal(prevSeq, prev)
		prevSeq, prev = e.Seq, e.Hash
		out = append(out, e)
	}
	return out
}

func verify(es []Entry, headSeq int64, headHash string) error {
	v := NewVerifier()
	for _, e := range es {
		if err := v.Next(e); err != nil {
			return err
		}
	}
	return v.Finish(headSeq, headHash)
}

func TestVerify(t *testing.T) {
	good := chain(5)
	head := good[4]
	tests := []struct {
		name   string
		mutate func([]Entry) []Entry
		want   string
	}{
		{"intact", func(e []Entry) []Entry { return e }, ""},
		{"changed detail", func(e []Entry) []Entry { e[2].Detail = "x"; return e }, "entry 3 (application.submitted application app_c) was changed"},
		{"changed actor and rehashed", func(e []Entry) []Entry { e[1].ActorID = "usr_2"; e[1].Hash = e[1].Sum(); return e }, "entry 3 does not link to entry 2"},
		{"removed middle", func(e []Entry) []Entry { return append(e[:2:2], e[3:]...) }, "entry 4 follows entry 2: rows were removed or reordered"},
		{"renumbered", func(e []Entry) []Entry { e[1].Seq, e[2].Seq = 3, 2; e[1], e[2] = e[2], e[1]; return e }, "does not link"},
		{"reordered", func(e []Entry) []Entry { e[1], e[2] = e[2], e[1]; return e }, "reordered"},
		{"removed tail", func(e []Entry) []Entry { return e[:3] }, "removed from the end"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := tt.mutate(append([]Entry(nil), good...))
			err := verify(es, head.Seq, head.Hash)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("verify = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("verify = %v, want %q", err, tt.want)
			}
		})
	}
}
