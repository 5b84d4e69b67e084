package portal_test

import (
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/testbin"
)

// A hand-made POST of a kind of document the category does not take is
// refused on the page, in words in the page's language, naming the kinds
// the category takes; nothing is uploaded.
func TestUploadRefusesKindCategoryDoesNotTake(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	a := e.apply(alice, "14.1.104.0/24", "Staff reach the office from home.", false)
	for _, tc := range []struct{ lang, want string }{
		{"en", "PSEB call-centre certificate is not a document that Company VPN applications take; upload one of these: CNIC, front; CNIC, back; Incorporation or active-taxpayer proof"},
		{"ur", "کمپنی وی پی این کی درخواست کے ساتھ PSEB کال سینٹر سرٹیفکیٹ قبول نہیں؛"},
	} {
		b := e.browser()
		b.login("alice@example.pk", "a long password")
		b.get("/lang/" + tc.lang)
		p := b.multipart("/applications/"+a.ID+"/documents", map[string]string{"kind": "pseb_certificate"},
			map[string][2]string{"file": {"pseb.pdf", string(testbin.PDF("scan"))}})
		if p.status != 422 || !strings.Contains(p.body, tc.want) || strings.Contains(p.body, "pseb_certificate is not") || strings.Contains(p.body, "company_vpn applications") {
			t.Errorf("%s: upload of a PSEB certificate to a company VPN application = %d, want 422 saying %q:\n%s", tc.lang, p.status, tc.want, p.body)
		}
	}
	ds, _ := e.svc.ListDocuments(e.ctx, alice, a.ID)
	for _, d := range ds {
		if d.Kind == "pseb_certificate" {
			t.Errorf("a refused PSEB certificate was kept: %+v", d)
		}
	}
}
