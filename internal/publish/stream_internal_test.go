package publish

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/ipreg/ipreg/internal/feed"
)

// TestInlineFiles: the files a stream sends a client at version have are
// the ones ipreg-agent would use (RRDP's rule): the deltas after have when
// the notification lists a file of version have too, else the snapshot
// and the deltas after it; none when the client is at the version.
func TestInlineFiles(t *testing.T) {
	r := NewReader(nil, nil)
	file := func(kind string, version int64, size int64) feed.FileRef {
		f := &File{Name: fmt.Sprintf("%s-%d", kind, version), Kind: kind, Version: version, Size: size, SHA256: fmt.Sprintf("hash-%s-%d", kind, version)}
		r.cache(f)
		return feed.FileRef{Version: version, URL: "files/" + f.Name, Hash: f.SHA256}
	}
	// A snapshot at 4 and the deltas 5 to 7, as the publisher lists them.
	v := view{version: 7, notification: "n7", snapshot: file("snapshot", 4, 100),
		deltas: []feed.FileRef{file("delta", 5, 10), file("delta", 6, 10), file("delta", 7, 10)}}
	big := v
	big.deltas = []feed.FileRef{file("delta", 5, 10), file("big", 6, MaxInlineFileBytes+1), file("delta", 7, 10)}
	for _, c := range []struct {
		name string
		v    view
		have int64
		want []string
	}{
		{"a delta of the client's version is listed: the deltas after it", v, 5, []string{"delta-6", "delta-7"}},
		{"at the snapshot's version: the deltas after it", v, 4, []string{"delta-5", "delta-6", "delta-7"}},
		{"nothing held: the snapshot and its deltas", v, 0, []string{"snapshot-4", "delta-5", "delta-6", "delta-7"}},
		{"no file of the client's version listed: the snapshot and its deltas", v, 2, []string{"snapshot-4", "delta-5", "delta-6", "delta-7"}},
		{"ahead (another session): the snapshot and its deltas", v, 9, []string{"snapshot-4", "delta-5", "delta-6", "delta-7"}},
		{"at the version: nothing", v, 7, nil},
		{"a file too large: those before it, the client fetches the rest", big, 4, []string{"delta-5"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, f := range r.inline(context.Background(), nil, "", c.v, c.have) {
				got = append(got, f.Name)
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("inline after %d = %v, want %v", c.have, got, c.want)
			}
		})
	}
}
