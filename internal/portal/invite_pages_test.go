package portal_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/store/storetest"
)

// /admin/invitations shows the pending invitations a page at a time (31,000
// holders made one page of 23 MB): at most 100 rows a page, links to the
// previous and next pages, and a page past the last (or not a number) says
// there is no such page, in English and in Urdu.
func TestInvitationsPaged(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := newEnvOn(t, kind)
			var ids []string
			for i := range 201 {
				id := fmt.Sprintf("usr_pag%07d", i)
				e.importedHolder(id, fmt.Sprintf("Holder %d", i), "", "en")
				ids = append(ids, id)
			}
			if n, err := e.svc.InviteHolders(e.ctx, "cli", ids); err != nil || n != len(ids) {
				t.Fatalf("InviteHolders = %d, %v", n, err)
			}
			admin := e.browser()
			admin.login("admin@demo.test", "demo-password-1")
			rows := func(body string) int { return strings.Count(body, `/link" class="inline"`) }
			for _, c := range []struct {
				url        string
				rows       int
				prev, next string
			}{
				{"/admin/invitations", 100, "", "/admin/invitations?page=2"},
				{"/admin/invitations?page=2", 100, "/admin/invitations?page=1", "/admin/invitations?page=3"},
				{"/admin/invitations?page=3", 1, "/admin/invitations?page=2", ""},
			} {
				p := admin.get(c.url)
				if p.status != 200 || rows(p.body) != c.rows || !strings.Contains(p.body, "201 invitations are waiting to be claimed.") {
					t.Fatalf("%s = %d, %d rows; want %d:\n%s", c.url, p.status, rows(p.body), c.rows, p.body)
				}
				for rel, href := range map[string]string{"prev": c.prev, "next": c.next} {
					link := fmt.Sprintf(`href="%s" rel="%s"`, href, rel)
					if has := strings.Contains(p.body, `rel="`+rel+`"`); has != (href != "") || (href != "" && !strings.Contains(p.body, link)) {
						t.Errorf("%s: %s link %q missing or wrong", c.url, rel, href)
					}
				}
			}
			for _, bad := range []string{"4", "0", "two"} {
				p := admin.get("/admin/invitations?page=" + bad)
				if p.status != 404 || rows(p.body) != 0 || !strings.Contains(p.body, "There is no page "+bad+" of this list: it has 3 pages.") ||
					!strings.Contains(p.body, `href="/admin/invitations">Go to the first page`) {
					t.Errorf("page %s = %d:\n%s", bad, p.status, p.body)
				}
			}
			// ?page=1&page=2: which was meant is unknown, so it is refused
			// (400) as the statistics refuse a repeated from, not shown as
			// page 1; in Urdu too.
			if p := admin.get("/admin/invitations?page=1&page=2"); p.status != 400 || rows(p.body) != 0 || !strings.Contains(p.body, "page is given 2 times (1, 2): give it only once") ||
				!strings.Contains(p.body, `href="/admin/invitations">Go to the first page`) {
				t.Errorf("page=1&page=2 = %d:\n%s", p.status, p.body)
			}
			admin.get("/lang/ur?next=/")
			if p := admin.get("/admin/invitations?page=1&page=2"); p.status != 400 || !strings.Contains(p.body, "2 بار دیا گیا ہے") {
				t.Errorf("Urdu page=1&page=2 = %d:\n%s", p.status, p.body)
			}
			if p := admin.get("/admin/invitations?page=3"); p.status != 200 || !strings.Contains(p.body, "201 دعوت نامے حاصل کیے جانے کے منتظر ہیں۔") ||
				!strings.Contains(p.body, "پچھلا صفحہ") || strings.Contains(p.body, "اگلا صفحہ") {
				t.Errorf("Urdu page 3 = %d:\n%s", p.status, p.body)
			}
			if p := admin.get("/admin/invitations?page=9"); p.status != 404 || !strings.Contains(p.body, "اس فہرست کا کوئی صفحہ 9 نہیں: اس کے 3 صفحات ہیں۔") {
				t.Errorf("Urdu page 9 = %d:\n%s", p.status, p.body)
			}
		})
	}
}
