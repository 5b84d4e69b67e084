package api_test

import (
	"testing"

	"github.com/ipreg/ipreg/internal/store/storetest"
)

// TestChecksByApplication: ?application_id= picks an application's check
// out of an operator's queue (the README's walk confirms its own
// application's check, never the first in a queue others share), and says
// nothing of an application the operator has no check for.
func TestChecksByApplication(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			c := newClient(t, kind)
			alice := signupAs(c, "alice@example.pk", "company", "35202-1000001-1", "1000001-1")
			bob := signupAs(c, "bob@example.pk", "company", "35202-2000002-2", "2000002-2")
			a := fileApp(c, alice, "ptcl", "14.1.104.0/24")
			c.want(c.do("POST", "/api/v1/applications/"+a+"/submit", alice, nil), 200)
			b := fileApp(c, bob, "ptcl", "14.1.105.0/24")
			c.want(c.do("POST", "/api/v1/applications/"+b+"/submit", bob, nil), 200)
			n := fileApp(c, bob, "nayatel", "14.1.106.0/24")
			c.want(c.do("POST", "/api/v1/applications/"+n+"/submit", bob, nil), 200)
			ptcl := c.login("operator.ptcl@demo.test")
			if all := c.want(c.do("GET", "/api/v1/operator/checks", ptcl, nil), 200).list(t); len(all) != 2 {
				t.Fatalf("PTCL's queue = %v", all)
			}
			for _, tc := range []struct {
				query string
				want  []string
			}{
				{"?application_id=" + b, []string{b}},
				{"?application_id=" + a + "&state=pending", []string{a}},
				{"?application_id=" + a + "&state=confirmed", nil},
				{"?application_id=" + n, nil}, // Nayatel's, not PTCL's
				{"?application_id=app_nothing", nil},
			} {
				got := c.want(c.do("GET", "/api/v1/operator/checks"+tc.query, ptcl, nil), 200).list(t)
				var ids []string
				for _, ch := range got {
					ids = append(ids, ch["application_id"].(string))
				}
				if len(ids) != len(tc.want) || (len(ids) == 1 && ids[0] != tc.want[0]) {
					t.Errorf("GET /api/v1/operator/checks%s = %v, want the checks of %v", tc.query, ids, tc.want)
				}
			}
		})
	}
}
