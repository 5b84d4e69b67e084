package portal_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// rawCodes finds the codes a page shows as text, and passes their labels,
// attribute values, secondary references and file names.
func TestRawCodesChecker(t *testing.T) {
	for _, tt := range []struct {
		lang, html string
		want       []string
	}{
		{"en", `<dd class="ltr" dir="ltr">ssl_vpn vpn.example.pk</dd>`, []string{"ssl_vpn"}},
		{"en", `<dd>WireGuard</dd><option value="wireguard">WireGuard</option>`, nil},
		{"en", `<td>ptcl</td>`, []string{"ptcl"}},
		{"en", `<td>PTCL</td><td>operator.ptcl@demo.test</td>`, nil},
		{"en", `<span class="badge">review</span>`, []string{"review"}},
		{"en", `<p>it is under review (state review)</p>`, []string{"review"}},
		{"en", `<td>(ptcl)</td>`, []string{"ptcl"}},
		{"en", `<td>PTCL <span class="ltr ref">(ptcl)</span></td>`, nil},
		{"ur", `<p>ڈیمو صارفین (operator.&lt;id&gt;@demo.test)</p>`, nil},
		{"en", `<p>Applications in review for this company</p>`, nil},
		{"en", `<p>must be one of address_not_held, duplicate, other</p>`, []string{"address_not_held"}},
		{"en", `<td><a href="/applications/app_abc12">app_abc12</a></td>`, []string{"app_abc12"}},
		{"en", `<td><a href="/applications/app_abc12">Company VPN · 14.1.104.0/24</a> <small class="ltr ref">app_abc12</small></td>`, nil},
		{"en", `<td><a href="/x">cnic_front.pdf</a></td>`, nil},
		{"en", `<script>var s = "ssl_vpn";</script><textarea>ipsec</textarea>`, nil},
		{"ur", `<p>درخواست کی حالت review ہے</p>`, []string{"review"}},
		{"ur", `<p>ان میں سے ایک ہونا چاہیے: ` + "\u2068company_vpn, mobile_vpn\u2069" + `</p>`, []string{"company_vpn", "mobile_vpn"}},
		{"ur", `<p>` + "\u2066result\u2069 (\u2066confirmed\u2069 یا \u2066disputed\u2069)" + ` پُر کریں</p>`, nil},
		{"ur", `<p>درخواست (` + "\u2068submit\u2069" + `) نہیں</p><dd dir="auto">Remote access for the other office</dd>`, nil},
	} {
		if got := rawCodes(tt.lang, tt.html); !slices.Equal(got, tt.want) {
			t.Errorf("rawCodes(%s, %q) = %q, want %q", tt.lang, tt.html, got, tt.want)
		}
	}
}

// The pages an applicant, an operator, a reviewer and an admin see, and
// the errors that name codes, show words in the page's language: no
// protocol, reason, state, category, kind, role or operator code and no
// app_… id outside a secondary reference; applications by a reference
// people know, mobile numbers as they are written, counts with their
// plural.
func TestPagesShowWordsNotCodes(t *testing.T) {
	now := time.Now()
	e := newEnv(t, func(c *registry.Config) { c.Now = func() time.Time { return now } })
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	approved := e.apply(alice, "14.1.104.0/24", "Office VPN for our accounts team.", true)
	inReview := e.apply(alice, "14.1.105.0/24", "Office VPN for our sales team.", true)
	e.confirmChecks(ptcl)
	_, reg, err := e.svc.Decide(e.ctx, reviewer, approved.ID, registry.DecisionInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	withOperator := e.apply(alice, "14.1.106.0/24", "Office VPN for our support team.", true)
	draft := e.apply(alice, "14.1.107.0/24", "Office VPN for our new branch.", false)
	_ = withOperator
	// An individual's mobile VPN: numbers shown as people write them.
	bilal := e.signup("bilal@example.pk", "Bilal Ahmed", "individual")
	cat, op, sub, proto, purpose := "mobile_vpn", "jazz", "JAZZ-7", "ssl_vpn", "Remote work from the phone."
	nums := []string{"03211234567"}
	mob, err := e.svc.CreateApplication(e.ctx, bilal, registry.ApplicationInput{Category: &cat, OperatorID: &op, SubscriberID: &sub,
		MobileNumbers: &nums, VPNProtocol: &proto, Purpose: &purpose})
	if err != nil {
		t.Fatal(err)
	}

	logins := map[string][2]string{
		"alice":      {"alice@example.pk", "a long password"},
		"ptcl":       {"operator.ptcl@demo.test", "demo-password-1"},
		"reviewer":   {"reviewer@demo.test", "demo-password-1"},
		"admin":      {"admin@demo.test", "demo-password-1"},
		"supervisor": {"supervisor@demo.test", "demo-password-1"},
		"bilal":      {"bilal@example.pk", "a long password"},
	}
	type visit struct {
		who, method, path string
		form              url.Values
		status            int
		en, ur            []string // texts the page must show
	}
	day := now.In(registry.PKT.Loc)
	visits := []visit{
		// The home page no longer shows 1 active registration: counts
		// below 5 are suppressed there too (t1 finding 1); the counted
		// text itself is TestPluralsAndDurations's.
		{who: "alice", path: "/", status: 200},
		{who: "alice", path: "/dashboard", status: 200,
			en: []string{`Company VPN · <bdi class="tok">14.1.105.0/24</bdi> · <span class="tok">` + day.Format("2 Jan 2006") + "</span>", `class="ltr ref tok"`},
			ur: []string{`14.1.105.0/24</bdi> · <bdi class="tok">` + day.Format("2006-01-02") + "</bdi>"}},
		{who: "alice", path: "/applications/" + inReview.ID, status: 200, en: []string{"WireGuard", "PTCL", `Company VPN · <bdi class="tok">14.1.105.0/24</bdi> · `}},
		{who: "alice", path: "/applications/" + draft.ID, status: 200},
		{who: "alice", path: "/applications/" + draft.ID + "/edit", status: 200, en: []string{">WireGuard</option>", ">SSL VPN</option>"}},
		{who: "alice", path: "/applications/new", status: 200},
		// The application it came from by its reference; its id only beside it.
		{who: "alice", path: "/registrations/" + reg.Number, status: 200,
			en: []string{`">Company VPN · <bdi class="tok">14.1.104.0/24</bdi> · <span class="tok">` + day.Format("2 Jan 2006") + `</span></a> <small class="ltr ref tok"`}},
		{who: "reviewer", path: "/registrations/" + reg.Number, status: 200,
			en: []string{`">Company VPN · <bdi class="tok">14.1.104.0/24</bdi></a> <small class="ltr ref tok"`}},
		{who: "alice", path: "/account", status: 200, en: []string{"0300 1234567"}, ur: []string{"0300 1234567"}},
		// A wrong state names the state in words, and the action.
		{who: "alice", method: "POST", path: "/applications/" + approved.ID + "/submit", status: 409,
			en: []string{"cannot submit this application: it is already approved"}},
		// A protocol the form does not offer: the choices in words.
		{who: "alice", method: "MULTIPART", path: "/applications/" + draft.ID, status: 422,
			form: url.Values{"category": {"company_vpn"}, "operator_id": {"ptcl"}, "subscriber_id": {"PTCL-42"}, "addresses": {"14.1.107.0/24"},
				"vpn_protocol": {"pptp"}, "purpose": {"Office VPN for our new branch."}},
			en: []string{"must be one of IPsec, IKEv2, OpenVPN, WireGuard, L2TP, SSTP, SSL VPN or Another protocol"}},
		{who: "bilal", path: "/dashboard", status: 200, en: []string{`Mobile VPN · <bdi class="tok">0321 1234567</bdi> · `, ">0321 1234567<"}},
		{who: "bilal", path: "/applications/" + mob.ID, status: 200, en: []string{"0321 1234567", "SSL VPN", "Jazz"}},
		// A mobile VPN with a fixed-line operator: the category in words.
		{who: "bilal", method: "MULTIPART", path: "/applications/" + mob.ID, status: 422,
			form: url.Values{"category": {"mobile_vpn"}, "operator_id": {"ptcl"}, "subscriber_id": {"JAZZ-7"}, "mobile_numbers": {"03211234567"},
				"vpn_protocol": {"ssl_vpn"}, "purpose": {"Remote work from the phone."}},
			en: []string{"PTCL is a fixed-line operator; Mobile VPN needs the mobile network that issued the numbers"}},
		{who: "ptcl", path: "/operator/checks", status: 200},
		{who: "reviewer", path: "/review", status: 200, en: []string{`<bdi class="tok">PTCL</bdi></td>`}},
		{who: "reviewer", path: "/applications/" + inReview.ID, status: 200, en: []string{"0300 1234567", "Company or organisation"}},
		// The reject form's reason, refused: the reasons in words.
		{who: "reviewer", method: "POST", path: "/applications/" + inReview.ID + "/decision", status: 422,
			form: url.Values{"decision": {"reject"}, "reason_code": {"no_such_reason"}},
			en:   []string{"must be one of ", "Address or number not held", "Other reason"}},
		{who: "alice", path: "/applications/" + inReview.ID + "/accesses", status: 200},
		{who: "alice", path: "/registrations/" + reg.Number + "/change", status: 200},
		{who: "alice", path: "/privacy", status: 200},
		{who: "alice", path: "/verify/" + reg.Number + "?code=" + url.QueryEscape(reg.VerificationCode), status: 200},
		{who: "supervisor", path: "/appeals", status: 200},
		{who: "supervisor", path: "/review/overdue", status: 200},
		{who: "supervisor", path: "/revocations", status: 200},
		{who: "admin", path: "/admin/settings", status: 200},
		{who: "admin", path: "/admin/holidays", status: 200},
		{who: "admin", path: "/admin/jobs", status: 200},
		{who: "admin", path: "/admin/outbox", status: 200},
		{who: "admin", path: "/admin/users", status: 200},
		{who: "admin", path: "/admin/operators", status: 200},
	}
	for _, lang := range []string{"en", "ur"} {
		browsers := map[string]*browser{}
		for _, v := range visits {
			br := browsers[v.who]
			if br == nil {
				br = e.browser()
				br.login(logins[v.who][0], logins[v.who][1])
				br.get("/lang/" + lang)
				browsers[v.who] = br
			}
			var p page
			switch v.method {
			case "POST":
				p = br.post(v.path, v.form)
			case "MULTIPART":
				fields := map[string]string{}
				for k := range v.form {
					fields[k] = v.form.Get(k)
				}
				p = br.multipart(v.path, fields, nil)
			default:
				p = br.get(v.path)
			}
			what := lang + " " + v.method + " " + v.path + " as " + v.who
			if p.status != v.status {
				t.Errorf("%s = %d, want %d", what, p.status, v.status)
			}
			if codes := rawCodes(lang, p.body); len(codes) > 0 {
				t.Errorf("%s shows codes as text: %q", what, codes)
			}
			want := v.en
			if lang == "ur" {
				want = v.ur
			}
			for _, s := range want {
				if !strings.Contains(p.body, s) {
					t.Errorf("%s does not show %q", what, s)
				}
			}
		}
	}
}
