package portal_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

func ptr(s string) *string { return &s }

// tourPage is one page of the tour: who saw it, where, in which language,
// and what the portal sent.
type tourPage struct {
	Role, Path, Lang string
	Posted           bool // a form sent (an error page at the POST's address)
	Status           int
	Body             string
}

func (p tourPage) String() string { return p.Lang + " " + p.Role + " " + p.Path }

// tour renders every page of every role, in English and Urdu, over a
// registry in a rich state: a draft, applications with the operator, in
// review, returned, approved (with a pending revocation), rejected and
// appealed, revoked; an overlap flag; the admin's pages; forms sent back
// with errors; error pages and the public verification page. Checks of
// a kind that must hold on every page (bidi isolation, raw codes) run over
// it, so a page added to the tour is checked by all of them.
func tour(t *testing.T) []tourPage {
	t.Helper()
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Example Traders (Pvt) Ltd", "company")
	bob := e.signup("bob@example.pk", "Bob Exports", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	supervisor := e.user("supervisor@demo.test", "demo-password-1")
	const purpose = "Staff reach the office from home."

	draft := e.apply(alice, "14.1.104.0/24", purpose, false)
	withOperator := e.apply(alice, "14.1.105.0/24", purpose, true)
	inReview := e.apply(alice, "14.1.106.0/24", purpose, true)
	returned := e.apply(alice, "14.1.107.0/24", purpose, true)
	approved := e.apply(alice, "14.1.108.0/24", purpose, true)
	rejected := e.apply(alice, "14.1.109.0/24", purpose, true)
	revoked := e.apply(alice, "14.1.110.0/24", purpose, true)
	e.confirmChecks(ptcl)
	overlap := e.applyVia(bob, "ptcl", "14.1.106.0/25") // overlaps alice's application in review
	// Disputed by the operator, and outside Pakistan's address space: flags
	// whose details must not repeat their labels.
	disputed := e.apply(alice, "8.8.8.0/24", purpose, true)
	pending, err := e.svc.ListChecks(e.ctx, ptcl, registry.CheckPending)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pending {
		if c.ApplicationID == disputed.ID {
			if _, err := e.svc.AnswerCheck(e.ctx, ptcl, c.ID, "disputed", "Subscriber PTCL-004 holds it, not this holder."); err != nil {
				t.Fatal(err)
			}
		}
	}
	decide := func(a *registry.Application, in registry.DecisionInput) *registry.Registration {
		t.Helper()
		_, reg, err := e.svc.Decide(e.ctx, reviewer, a.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		return reg
	}
	decide(returned, registry.DecisionInput{Decision: "return", Note: "Upload the PTCL-42 contract, page 1-2."})
	reg := decide(approved, registry.DecisionInput{Decision: "approve"})
	decide(rejected, registry.DecisionInput{Decision: "reject", ReasonCode: "duplicate", Note: "Held by 14.1.0.0/16 already."})
	gone := decide(revoked, registry.DecisionInput{Decision: "approve"})
	if _, err := e.svc.SubmitAppeal(e.ctx, alice, rejected.ID, "We hold 14.1.109.0/24 ourselves: see invoice INV-2026-11."); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ProposeRevocation(e.ctx, reviewer, reg.Number, "Abuse report AR-7/2026."); err != nil {
		t.Fatal(err)
	}
	rev, err := e.svc.ProposeRevocation(e.ctx, reviewer, gone.Number, "Asked by the holder.")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.ConfirmRevocation(e.ctx, supervisor, rev.ID); err != nil {
		t.Fatal(err)
	}
	// An individual's mobile numbers, with a mobile operator.
	dana := e.signup("dana@example.pk", "Dana Khan", "individual")
	cat, op, sub, proto, nums := "mobile_vpn", "jazz", "JAZZ-9/771", "wireguard", []string{"03001234567", "+923211234567"}
	mobile, err := e.svc.CreateApplication(e.ctx, dana, registry.ApplicationInput{Category: &cat, OperatorID: &op, SubscriberID: &sub,
		MobileNumbers: &nums, VPNProtocol: &proto, Purpose: ptr("Reach the office from my phone.")})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range registry.RequiredDocuments(mobile.Category) {
		if _, err := e.svc.UploadDocument(e.ctx, dana, mobile.ID, registry.UploadInput{Kind: string(r.Kinds[0]), Filename: "scan 1 (2).pdf",
			Content: testbin.PDF("scan")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Submit(e.ctx, dana, mobile.ID, nil); err != nil {
		t.Fatal(err)
	}
	// A draft withdrawn before its documents were all uploaded: nothing is
	// needed of it any more.
	cat2, op2, sub2, proto2, addrs2 := "company_vpn", "ptcl", "PTCL-43", "wireguard", []string{"14.1.113.0/24"}
	withdrawn, err := e.svc.CreateApplication(e.ctx, alice, registry.ApplicationInput{Category: &cat2, OperatorID: &op2, SubscriberID: &sub2,
		Addresses: &addrs2, VPNProtocol: &proto2, Purpose: ptr(purpose)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Withdraw(e.ctx, alice, withdrawn.ID); err != nil {
		t.Fatal(err)
	}
	docs, err := e.svc.ListDocuments(e.ctx, alice, draft.ID)
	if err != nil {
		t.Fatal(err)
	}

	logins := map[string][2]string{
		"alice":      {"alice@example.pk", "a long password"},
		"bob":        {"bob@example.pk", "a long password"},
		"dana":       {"dana@example.pk", "a long password"},
		"jazz":       {"operator.jazz@demo.test", "demo-password-1"},
		"operator":   {"operator.ptcl@demo.test", "demo-password-1"},
		"reviewer":   {"reviewer@demo.test", "demo-password-1"},
		"supervisor": {"supervisor@demo.test", "demo-password-1"},
		"admin":      {"admin@demo.test", "demo-password-1"},
	}
	type visit struct {
		role, path string
		form       url.Values           // a POST when set
		files      map[string][2]string // a multipart POST when set
	}
	// Two checks of one holder waiting for the operator: their rows' names
	// must differ.
	e.apply(alice, "14.1.115.0/24", purpose, true)
	e.apply(alice, "14.1.116.0/24", purpose, true)
	apps := []*registry.Application{draft, withOperator, inReview, returned, approved, rejected, revoked, withdrawn, disputed}
	var visits []visit
	for _, p := range []string{"/", "/privacy", "/statistics", "/signup", "/login", "/password/forgot", "/password/reset?token=x", "/verify",
		"/verify/" + reg.Number + "?code=" + reg.VerificationCode, "/verify/" + gone.Number + "?code=" + gone.VerificationCode,
		"/verify-email?token=x", "/no-such-page"} {
		visits = append(visits, visit{role: "anon", path: p})
	}
	visits = append(visits,
		visit{role: "anon", path: "/signup", form: url.Values{"kind": {"individual"}, "name": {"Example Person"}, "email": {"person@example.pk"},
			"password": {"short"}, "cnic": {"42101-1234567-1"}, "mobile": {"0300-1234567x"}}},
		visit{role: "anon", path: "/login", form: url.Values{"email": {"alice@example.pk"}, "password": {"wrong password"}}},
		visit{role: "anon", path: "/verify/" + reg.Number + "?code=wrong-code"},
		// The questionnaire: a page, an answer with documents, fee and
		// advice, and answers refused (issue 13).
		visit{role: "anon", path: "/eligibility"},
		visit{role: "anon", path: "/eligibility", form: url.Values{"who": {"call_centre"}, "connection": {"static_ip"}, "licensed_provider": {"no"}}},
		visit{role: "anon", path: "/eligibility", form: url.Values{"who": {"freelancer"}, "connection": {"dynamic_ip"}, "licensed_provider": {"no"}}},
		visit{role: "anon", path: "/eligibility", form: url.Values{"who": {"student"}, "connection": {"dynamic_ip"}}},
	)
	for _, p := range []string{"/dashboard", "/applications/new", "/account", "/account/delete",
		"/applications/" + draft.ID + "/edit", "/applications/" + returned.ID + "/edit", "/applications/" + inReview.ID + "/accesses",
		"/registrations/" + reg.Number, "/registrations/" + gone.Number, "/registrations/" + reg.Number + "/change",
		"/registrations/" + reg.Number + "/renew"} {
		visits = append(visits, visit{role: "alice", path: p})
	}
	for _, a := range apps {
		visits = append(visits, visit{role: "alice", path: "/applications/" + a.ID})
	}
	visits = append(visits,
		visit{role: "alice", path: "/applications", form: url.Values{"category": {"company_vpn"}, "operator_id": {"ptcl"}, "subscriber_id": {"PTCL-42"},
			"addresses": {"14.1.111.0/24\n300.1.1.1"}, "vpn_protocol": {"wireguard"}, "purpose": {purpose}}},
		visit{role: "alice", path: "/applications/" + draft.ID + "/documents", form: url.Values{"kind": {"cnic_front"}},
			files: map[string][2]string{"file": {"scan-2026.txt", "not a scan"}}},
		visit{role: "alice", path: "/registrations/" + reg.Number + "/change", form: url.Values{"add": {"14.1.112.0/24\nnot-an-address"}}},
		// The renewal form sent back with an error: its choices (protocols)
		// in words and isolated, as on the application form.
		visit{role: "alice", path: "/registrations/" + reg.Number + "/renew", form: url.Values{"items": {"14.1.108.0/24"}, "vpn_protocol": {"pptp"},
			"vpn_endpoints": {"vpn.example.pk:443"}, "purpose": {"Short"}}},
		visit{role: "alice", path: "/applications/" + inReview.ID + "/documents/" + docs[0].ID + "x"},
		visit{role: "bob", path: "/dashboard"},
		visit{role: "bob", path: "/applications/" + overlap.ID},
		visit{role: "dana", path: "/dashboard"},
		visit{role: "dana", path: "/applications/" + mobile.ID},
		visit{role: "dana", path: "/account"},
		visit{role: "jazz", path: "/operator/checks"},
		visit{role: "reviewer", path: "/applications/" + mobile.ID},
		visit{role: "supervisor", path: "/account/totp", form: url.Values{}},
		visit{role: "operator", path: "/operator/checks"},
		visit{role: "operator", path: "/operator/checks", form: url.Values{"check": {"x"}, "result": {"disputed"}}},
	)
	for _, p := range []string{"/review", "/revocations", "/registrations/" + reg.Number, "/applications/" + overlap.ID} {
		visits = append(visits, visit{role: "reviewer", path: p})
	}
	for _, a := range apps[1:] {
		visits = append(visits, visit{role: "reviewer", path: "/applications/" + a.ID})
	}
	visits = append(visits,
		visit{role: "reviewer", path: "/applications/" + inReview.ID + "/decision", form: url.Values{"decision": {"reject"}, "note": {"See 14.1.0.0/16."}}},
		visit{role: "supervisor", path: "/appeals"},
		visit{role: "supervisor", path: "/review/overdue"},
		visit{role: "supervisor", path: "/revocations"},
	)
	for _, p := range []string{"/admin/users", "/admin/operators", "/admin/settings", "/admin/holidays", "/admin/jobs", "/admin/outbox", "/account"} {
		visits = append(visits, visit{role: "admin", path: p})
	}
	visits = append(visits, visit{role: "admin", path: "/admin/holidays", form: url.Values{"holidays": {"2026-02-05 Kashmir Day\n2026-13-01 x"}}})
	// The register of licensed VPN providers (the demo's): the public page,
	// the admin's list and change form, and both forms sent back with errors.
	provs, err := e.svc.ListProviders(e.ctx)
	if err != nil || len(provs) == 0 {
		t.Fatalf("demo providers: %d, %v", len(provs), err)
	}
	badProvider := url.Values{"name": {"Safe Tunnels"}, "licence_number": {"PTA VPN 7"}, "licence_date": {"2026-02-30"}, "status": {"paused"},
		"website": {"http://safetunnels.example.pk"}}
	visits = append(visits,
		visit{role: "anon", path: "/providers"},
		visit{role: "admin", path: "/admin/providers"},
		visit{role: "admin", path: "/admin/providers/" + provs[0].ID},
		visit{role: "admin", path: "/admin/providers", form: badProvider},
		visit{role: "admin", path: "/admin/providers/" + provs[0].ID, form: url.Values{"name": {""}, "licence_number": {provs[1].LicenceNumber},
			"licence_date": {"2031-01-01"}, "status": {"revoked"}, "website": {"https://user:pw@x.pk"}}},
		// A stale edit: the form kept as typed, the values saved now shown.
		visit{role: "admin", path: "/admin/providers/" + provs[0].ID, form: url.Values{"name": {"Typed"}, "licence_number": {provs[0].LicenceNumber},
			"licence_date": {provs[0].LicenceDate}, "status": {"revoked"}, "website": {"https://p\u0430ypal.pk"}, "revision": {"99"}}},
	)
	// A notice whose expiry moved (its change listed with both dates) and
	// a withdrawn one: on the home page, the notices page and the admin's
	// pages, and the admin's form sent back with errors (notices.go).
	ntc, err := e.svc.PublishNotice(e.ctx, registry.System, registry.NoticeInput{TitleEN: "Registration deadline", TitleUR: "رجسٹریشن کی آخری تاریخ",
		BodyEN: "Register by the date below.\n\nUnregistered VPNs are blocked after it.", BodyUR: "نیچے دی گئی تاریخ تک رجسٹر کرائیں۔",
		ExpiresAt: e.svc.Now().AddDate(0, 1, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.EditNotice(e.ctx, registry.System, ntc.ID, registry.NoticeInput{TitleEN: ntc.TitleEN, TitleUR: ntc.TitleUR,
		BodyEN: ntc.BodyEN, BodyUR: ntc.BodyUR, ExpiresAt: ntc.ExpiresAt.AddDate(0, 0, 7)}); err != nil {
		t.Fatal(err)
	}
	old, err := e.svc.PublishNotice(e.ctx, registry.System, registry.NoticeInput{TitleEN: "Maintenance", TitleUR: "دیکھ بھال",
		BodyEN: "Saturday 22:00 to 23:00.", BodyUR: "ہفتہ، رات 10 سے 11 بجے تک۔"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.WithdrawNotice(e.ctx, registry.System, old.ID); err != nil {
		t.Fatal(err)
	}
	visits = append(visits, visit{role: "anon", path: "/notices"}, visit{role: "admin", path: "/admin/notices"},
		visit{role: "admin", path: "/admin/notices/" + ntc.ID},
		visit{role: "admin", path: "/admin/notices", form: url.Values{"title_en": {"Maintenance"}, "title_ur": {"Maintenance"}, "expires_at": {"2026-13-01"}}},
		visit{role: "admin", path: "/admin/notices", form: url.Values{"title_en": {"Maintenance"}, "title_ur": {"Maintenance"}, "body_en": {"x"}}})
	// Invitations and the import (issue 13): an imported holder's claim
	// page (asking for an e-mail address: the holder has none), the form
	// sent back with a short password, a link that is not valid; the
	// admins' invitations and import pages, and the report of a file with
	// problems.
	e.importedHolder("usr_tour000001", "Tour Holder", "", "en")
	if _, err := e.svc.InviteHolders(e.ctx, "cli", []string{"usr_tour000001"}); err != nil {
		t.Fatal(err)
	}
	link, err := e.svc.InvitationLink(e.ctx, e.adminUser(), "usr_tour000001")
	if err != nil {
		t.Fatal(err)
	}
	badImport := "holder_kind,holder_name,cnic,ntn,email,mobile,category,operator,subscriber_id,item,approved_on,valid_until,legacy_ref\n" +
		"individual,Tour Person,42101-7654321-2,,tour.person@example.pk,0321-7654321,freelancer_vpn,etisalat,NT-1,192.168.1.7,2024-11-15,2027-01-31,PTA-WL-1\n"
	visits = append(visits,
		visit{role: "anon", path: link.Path},
		visit{role: "anon", path: "/claim?token=x"},
		visit{role: "anon", path: "/claim", form: url.Values{"token": {strings.TrimPrefix(link.Path, "/claim?token=")}, "password": {"short"}, "email": {"not an address"}}},
		visit{role: "admin", path: "/admin/invitations"},
		visit{role: "admin", path: "/admin/import"},
		visit{role: "admin", path: "/admin/import", form: url.Values{}, files: map[string][2]string{"file": {"allowlist.csv", badImport}}},
	)
	// Forms with errors outside the field partial, and on pages with one
	// form per row: their errors must link to their fields.
	visits = append(visits,
		visit{role: "admin", path: "/admin/operators/ptcl/prefixes", form: url.Values{"prefixes": {"14.1.0.0/16\nnot-a-prefix"}}},
		visit{role: "admin", path: "/admin/users", form: url.Values{"email": {"new.reviewer@example.pk"}, "role": {"reviewer"}, "password": {"short"}}},
		visit{role: "alice", path: "/applications/" + draft.ID, form: url.Values{"category": {"company_vpn"}, "operator_id": {"ptcl"},
			"subscriber_id": {"PTCL-42"}, "addresses": {"14.1.104.0/24\n300.1.1.1"}, "vpn_protocol": {"wireguard"}, "purpose": {purpose}}},
		// An appeal sent again while one waits, with a statement too long.
		visit{role: "alice", path: "/applications/" + rejected.ID + "/appeal", form: url.Values{"statement": {strings.Repeat("Long. ", 4000)}}},
		visit{role: "operator", path: "/operator/checks/upload", form: url.Values{},
			files: map[string][2]string{"file": {"checks.csv", "check_id,result,note\n,disputed,not ours\n"}}},
	)

	var out []tourPage
	for _, lang := range []string{"en", "ur"} {
		browsers := map[string]*browser{}
		as := func(role string) *browser {
			if b, ok := browsers[role]; ok {
				return b
			}
			b := e.browser()
			b.get("/lang/" + lang)
			if l, ok := logins[role]; ok {
				b.login(l[0], l[1])
			}
			browsers[role] = b
			return b
		}
		for _, v := range visits {
			b := as(v.role)
			var p page
			switch {
			case v.files != nil:
				fields := map[string]string{}
				for k := range v.form {
					fields[k] = v.form.Get(k)
				}
				p = b.multipart(v.path, fields, v.files)
			case v.form != nil:
				p = b.post(v.path, v.form)
			default:
				p = b.get(v.path)
			}
			if p.status >= 300 && p.status < 400 || p.status >= 500 || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
				t.Fatalf("tour: %s %s as %s = %d %s (location %q)", lang, v.path, v.role, p.status, p.header.Get("Content-Type"), p.location)
			}
			out = append(out, tourPage{Role: v.role, Path: v.path, Lang: lang, Posted: v.form != nil, Status: p.status, Body: p.body})
		}
	}
	if len(out) == 0 || out[0].Status != http.StatusOK {
		t.Fatal("tour: no pages")
	}
	return out
}
