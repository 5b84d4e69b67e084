package portal_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// BenchmarkNoticesAtom measures /notices.atom and /notices over SQLite
// with 50 public notices of 3 revisions each (the feed's whole length):
// the notices and their histories are two queries (ListNotices).
// BENCHMARKS.md has the figures.
func BenchmarkNoticesAtom(b *testing.B) {
	e := newEnv(b)
	for i := range 50 {
		in := registry.NoticeInput{TitleEN: fmt.Sprintf("Notice %d", i), TitleUR: fmt.Sprintf("اعلان %d", i),
			BodyEN: "Register by the date below.\n\nUnregistered VPNs are blocked after it.", BodyUR: "نیچے دی گئی تاریخ تک رجسٹر کرائیں۔",
			ExpiresAt: e.svc.Now().AddDate(0, 1, 0)}
		n, err := e.svc.PublishNotice(e.ctx, registry.System, in)
		if err != nil {
			b.Fatal(err)
		}
		for d := range 2 {
			in.ExpiresAt = in.ExpiresAt.AddDate(0, 0, d+1)
			if _, err := e.svc.EditNotice(e.ctx, registry.System, n.ID, in); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, path := range []string{"/notices.atom?lang=ur", "/notices"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				res, err := http.Get(e.base + path)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("%s = %d", path, res.StatusCode)
				}
			}
		})
	}
}
