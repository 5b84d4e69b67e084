package publish_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// entriesAt rebuilds the global feed's full entries (until included) as an
// agent does, and returns the deltas' operations too.
func (e *env) entriesAt() (map[string]feed.Entry, *feed.Notification, [][]feed.Op) {
	e.t.Helper()
	jws, _, err := e.rd.Notification(e.ctx, nil, "")
	if err != nil {
		e.t.Fatal(err)
	}
	n, _, err := feed.Verify(jws, e.key())
	if err != nil {
		e.t.Fatal(err)
	}
	fetch := func(ref feed.FileRef) []byte {
		f, err := e.rd.File(e.ctx, nil, "", strings.TrimPrefix(ref.URL, "files/"))
		if err != nil {
			e.t.Fatal(err)
		}
		return f.Content
	}
	snap, err := feed.DecodeSnapshot(fetch(n.Snapshot), n.SessionID, n.Snapshot.Version)
	if err != nil {
		e.t.Fatal(err)
	}
	set := map[string]feed.Entry{}
	for _, en := range snap {
		set[en.Key()] = en
	}
	var deltas [][]feed.Op
	for _, d := range n.Deltas {
		if d.Version <= n.Snapshot.Version {
			continue
		}
		ops, err := feed.DecodeDelta(fetch(d), n.SessionID, d.Version)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, o := range ops {
			_, there := set[o.Key()]
			if o.Op == "add" == there {
				e.t.Fatalf("delta %d: %s %s does not apply", d.Version, o.Op, o.Key())
			}
			if o.Op == "add" {
				set[o.Key()] = o.Entry
			} else {
				delete(set, o.Key())
			}
		}
		deltas = append(deltas, ops)
	}
	return set, n, deltas
}

// TestRenewalMovesUntil: an approved renewal that keeps every address only
// moves the entries' until. The feed says so in two versions under one
// notification (remove, then add with the new until), which an agent
// applies together, so the entry never leaves what it serves; the
// snapshot agrees.
func TestRenewalMovesUntil(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, kind)
			e.publish()
			reg := e.approve("ptcl", []string{"14.1.104.0/24"}, nil)
			e.clock.Add(2 * time.Second)
			e.publish()
			before, n0, _ := e.entriesAt()
			key := feed.Entry{Prefix: "14.1.104.0/24", Reg: reg.Number}.Key()
			if !before[key].Until.Equal(reg.ValidUntil) {
				t.Fatalf("entry before renewal: %+v, want until %s", before[key], reg.ValidUntil)
			}

			e.clock.Add(10 * 24 * time.Hour) // inside the window: 20 days left
			holder, _, err := e.svc.Login(e.ctx, fmt.Sprintf("a%d@example.pk", e.n), "a long password", "", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			u, _ := e.svc.Authenticate(e.ctx, holder)
			ren, err := e.svc.Renew(e.ctx, u, reg.Number, registry.ApplicationInput{})
			if err != nil {
				t.Fatal(err)
			}
			if ren.State != registry.StateReview {
				t.Fatalf("a renewal adding nothing is %s, want review (no operator check)", ren.State)
			}
			_, got, err := e.svc.Decide(e.ctx, e.staff("reviewer@demo.test"), ren.ID, registry.DecisionInput{Decision: "approve", ValidDays: 30})
			if err != nil {
				t.Fatal(err)
			}
			if want := reg.ValidUntil.AddDate(0, 0, 30); !got.ValidUntil.Equal(want) || got.Number != reg.Number {
				t.Fatalf("renewed registration %s until %s, want %s until %s", got.Number, got.ValidUntil, reg.Number, want)
			}
			e.clock.Add(2 * time.Second)
			e.publish()
			after, n1, _ := e.entriesAt()
			if !after[key].Until.Equal(got.ValidUntil) {
				t.Errorf("entry after renewal: %+v, want until %s", after[key], got.ValidUntil)
			}
			if n1.Version != n0.Version+2 {
				t.Errorf("renewal published version %d after %d, want two versions (remove, then add)", n1.Version, n0.Version)
			}
			if len(after) != len(before) {
				t.Errorf("renewal changed the set: %d entries, were %d", len(after), len(before))
			}
			// Nothing else to publish: the next cycle makes no version.
			e.clock.Add(2 * time.Second)
			if e.publish() {
				if _, n2, _ := e.entriesAt(); n2.Version != n1.Version {
					t.Errorf("a cycle without changes made version %d", n2.Version)
				}
			}
		})
	}
}
