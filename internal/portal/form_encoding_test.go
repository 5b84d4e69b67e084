package portal_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// TestFormsWithFilesReadEitherEncoding posts the forms that can carry a
// file (the application form, an operator's prefixes, the checks'
// spreadsheet) as a page without a file part sends them, urlencoded, and
// as bodies the portal cannot read: an urlencoded form counts as the
// multipart one would, its values coming back with a field's error; a
// fault is said as it is, the file's size only when a file made the form
// too large.
func TestFormsWithFilesReadEitherEncoding(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Example Traders (Pvt) Ltd", "company")
	draft := e.apply(alice, "14.1.104.0/24", "Staff reach the office from home.", false)
	app := e.browser()
	app.login("alice@example.pk", "a long password")
	admin := e.browser()
	admin.login("admin@demo.test", "demo-password-1")
	operator := e.browser()
	operator.login("operator.ptcl@demo.test", "demo-password-1")
	sent := url.Values{"category": {"company_vpn"}, "operator_id": {"ptcl"}, "subscriber_id": {"PTCL-77/B"},
		"addresses": {"14.1.104.0/24\n300.1.1.1"}, "vpn_protocol": {"wireguard"}, "purpose": {"Staff in Lahore reach the office."}}
	raw := func(b *browser, path, ctype, body string) page {
		req, _ := http.NewRequest("POST", b.e.base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		return b.do(req)
	}
	const boundary = "XyZ"
	big := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"addresses_csv\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\n" +
		strings.Repeat("14.1.104.0/24\n", 200000) + "\r\n--" + boundary + "--\r\n"
	for _, tt := range []struct {
		name   string
		b      *browser
		path   string
		post   func(b *browser, path string) page
		status int
		want   []string // in the page, HTML-unescaped
		never  []string
	}{
		{"edit, urlencoded", app, "/applications/" + draft.ID, func(b *browser, p string) page { return b.post(p, sent) }, 422,
			[]string{"PTCL-77/B", "Staff in Lahore reach the office.", "300.1.1.1", "is not an IP address"}, []string{"could not be read", "MiB"}},
		{"new, urlencoded", app, "/applications", func(b *browser, p string) page { return b.post(p, sent) }, 422,
			[]string{"PTCL-77/B", "Staff in Lahore reach the office.", "300.1.1.1"}, []string{"could not be read", "MiB"}},
		{"edit, unreadable", app, "/applications/" + draft.ID, func(b *browser, p string) page {
			return raw(b, p, "multipart/form-data; boundary="+boundary, "not a multipart body")
		}, 400, []string{"the form could not be read"}, []string{"CSV file larger", "MiB"}},
		{"edit, a file too large", app, "/applications/" + draft.ID, func(b *browser, p string) page {
			return raw(b, p, "multipart/form-data; boundary="+boundary, big)
		}, 422, []string{"is too large", "2 MiB", "choose a smaller file"}, []string{"could not be read"}},
		{"prefixes, urlencoded", admin, "/admin/operators/ptcl/prefixes", func(b *browser, p string) page {
			return b.post(p, url.Values{"prefixes": {"14.1.0.0/16\nnot-a-prefix"}})
		}, 422, []string{"not-a-prefix", "line 2"}, []string{"MiB"}},
		{"document, urlencoded", app, "/applications/" + draft.ID + "/documents", func(b *browser, p string) page {
			return b.post(p, url.Values{"kind": {"cnic_back"}})
		}, 415, []string{`value="cnic_back" selected`, "Choose which document this is and a file"}, []string{"send the document as"}},
		{"checks, urlencoded", operator, "/operator/checks/upload", func(b *browser, p string) page { return b.post(p, url.Values{}) }, 422,
			[]string{"the CSV file you downloaded"}, []string{"MiB", "could not be read"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.post(tt.b, tt.path)
			body := html.UnescapeString(p.body)
			if p.status != tt.status {
				t.Errorf("status %d, want %d", p.status, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("the page does not say %q", w)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(body, n) {
					t.Errorf("the page says %q", n)
				}
			}
		})
	}
	if _, err := e.svc.GetApplication(e.ctx, alice, draft.ID); err != nil {
		t.Fatal(err)
	}
	// A valid urlencoded edit saves.
	ok := url.Values{}
	for k, v := range sent {
		ok[k] = v
	}
	ok.Set("addresses", "14.1.104.0/24")
	if p := app.post("/applications/"+draft.ID, ok); p.status != http.StatusSeeOther {
		t.Fatalf("a valid urlencoded edit = %d, want 303", p.status)
	}
	a, err := e.svc.GetApplication(e.ctx, alice, draft.ID)
	if err != nil || a.SubscriberID != "PTCL-77/B" || a.State != registry.StateDraft {
		t.Errorf("the urlencoded edit was not saved: %v %+v", err, a)
	}
}
