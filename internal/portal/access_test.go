package portal_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
)

// TestAccess walks every route of the portal as every role: the anonymous
// visitor, two applicants, two operators, a reviewer, a supervisor and an
// admin, and checks each answer: the page (200), the way to the login
// (303 to /login), another role's page (403), or another account's object
// (404). State-changing routes are sent by those who may not use them and
// must change nothing. A route missing from the table fails the test.
func TestAccess(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	e.signup("bob@example.pk", "Bob Exports", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")

	draft := e.apply(alice, "14.1.104.0/24", "Staff reach the office from home.", false)
	review := e.apply(alice, "14.1.105.0/24", "Staff reach the office from home.", true)
	approved := e.apply(alice, "14.1.106.0/24", "Staff reach the office from home.", true)
	e.confirmChecks(ptcl)
	_, reg, err := e.svc.Decide(e.ctx, reviewer, approved.ID, registry.DecisionInput{Decision: "approve"})
	if err != nil {
		t.Fatal(err)
	}
	e.apply(alice, "14.1.107.0/24", "Staff reach the office from home.", true) // a pending check
	rev, err := e.svc.ProposeRevocation(e.ctx, reviewer, reg.Number, "Test revocation")
	if err != nil {
		t.Fatal(err)
	}
	docs, err := e.svc.ListDocuments(e.ctx, alice, review.ID)
	if err != nil {
		t.Fatal(err)
	}
	doc := docs[0].ID

	roles := []string{"anon", "alice", "bob", "ptcl", "nayatel", "reviewer", "supervisor", "admin"}
	logins := map[string]string{"alice": "alice@example.pk", "bob": "bob@example.pk", "ptcl": "operator.ptcl@demo.test",
		"nayatel": "operator.nayatel@demo.test", "reviewer": "reviewer@demo.test", "supervisor": "supervisor@demo.test", "admin": "admin@demo.test"}
	browsers := map[string]*browser{}
	for _, r := range roles {
		b := e.browser()
		if email, ok := logins[r]; ok {
			pw := "demo-password-1"
			if !strings.HasSuffix(email, "@demo.test") {
				pw = "a long password"
			}
			b.login(email, pw)
		}
		browsers[r] = b
	}

	const login = 303 // to /login
	all := func(status int) map[string]int {
		m := map[string]int{}
		for _, r := range roles {
			m[r] = status
		}
		return m
	}
	// only: these roles get ok, anonymous visitors go to the login, the
	// rest get other.
	only := func(ok, other int, who ...string) map[string]int {
		m := all(other)
		m["anon"] = login
		for _, w := range who {
			m[w] = ok
		}
		return m
	}
	with := func(m map[string]int, kv ...any) map[string]int {
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(int)
		}
		return m
	}
	app := "/applications/" + review.ID
	staffOK := []string{"alice", "reviewer", "supervisor", "admin"}
	tests := []struct {
		pattern string
		path    string
		want    map[string]int
	}{
		{"GET /{$}", "/", all(200)},
		{"GET /privacy", "/privacy", all(200)},
		{"GET /lang/{code}", "/lang/ur?next=/privacy", all(303)},
		{"GET /signup", "/signup", all(200)},
		{"GET /login", "/login", with(all(303), "anon", 200)},
		{"GET /password/forgot", "/password/forgot", all(200)},
		{"GET /password/reset", "/password/reset?token=x", all(200)},
		{"GET /verify", "/verify", all(200)},
		{"GET /verify/{number}", "/verify/" + reg.Number + "?code=" + reg.VerificationCode, all(200)},
		{"GET /account", "/account", with(all(200), "anon", login)},
		{"GET /account/export", "/account/export", only(200, 403, "alice", "bob")},
		{"GET /account/delete", "/account/delete", only(200, 403, "alice", "bob")},
		{"GET /dashboard", "/dashboard", only(200, 303, "alice", "bob")},
		{"GET /applications/new", "/applications/new", only(200, 403, "alice", "bob")},
		{"GET /applications/{id}", app, with(only(200, 404, staffOK...), "ptcl", 200)},
		{"GET /applications/{id}/edit", "/applications/" + draft.ID + "/edit", with(only(200, 403, "alice"), "bob", 404)},
		{"GET /applications/{id}/documents/{doc}", app + "/documents/" + doc, only(200, 404, staffOK...)},
		{"GET /applications/{id}/accesses", app + "/accesses", only(200, 404, staffOK...)},
		{"GET /registrations/{number}", "/registrations/" + reg.Number, only(200, 404, staffOK...)},
		{"GET /registrations/{number}/certificate.pdf", "/registrations/" + reg.Number + "/certificate.pdf", only(200, 404, staffOK...)},
		{"GET /operator/checks", "/operator/checks", only(200, 403, "ptcl", "nayatel")},
		{"GET /operator/checks.csv", "/operator/checks.csv", only(200, 403, "ptcl", "nayatel")},
		{"GET /review", "/review", only(200, 403, "reviewer", "supervisor")},
		{"GET /revocations", "/revocations", only(200, 403, "reviewer", "supervisor")},
		{"GET /admin/users", "/admin/users", only(200, 403, "admin")},
		{"GET /admin/operators", "/admin/operators", only(200, 403, "admin")},
		{"GET /admin/settings", "/admin/settings", only(200, 403, "admin")},
		{"GET /admin/holidays", "/admin/holidays", only(200, 403, "admin")},
		{"GET /appeals", "/appeals", only(200, 403, "supervisor")},
		{"GET /review/overdue", "/review/overdue", only(200, 403, "supervisor")},
		{"GET /admin/jobs", "/admin/jobs", only(200, 403, "admin")},
		{"GET /admin/outbox", "/admin/outbox", only(200, 403, "admin")},
		{"GET /verify-email", "/verify-email?token=x", all(200)},

		// State-changing routes, sent empty. 0 means "not sent as this
		// role" (it would change state; other tests cover it).
		{"POST /signup", "/signup", map[string]int{"anon": 422}},
		{"POST /login", "/login", map[string]int{"anon": 401}},
		{"POST /logout", "/logout", map[string]int{"anon": 303}},
		{"POST /password/forgot", "/password/forgot", map[string]int{"anon": 200}},
		{"POST /password/reset", "/password/reset", map[string]int{"anon": 422}},
		{"POST /account/totp", "/account/totp", map[string]int{"anon": login}},
		{"POST /account/totp/confirm", "/account/totp/confirm", map[string]int{"anon": login}},
		// Sent empty: no password, no confirmation, nothing deleted.
		{"POST /account/delete", "/account/delete", only(422, 403, "alice", "bob")},
		{"POST /applications", "/applications", only(0, 403, "alice", "bob")},
		// The form is read before the owner is known: an unreadable one says
		// so to anyone (400), revealing nothing.
		{"POST /applications/{id}", "/applications/" + draft.ID, with(only(0, 403, "alice"), "bob", 404)},
		{"POST /applications/{id}/documents", "/applications/" + draft.ID + "/documents", with(only(0, 403, "alice"), "bob", 404)},
		{"POST /applications/{id}/documents/{doc}/delete", "/applications/" + draft.ID + "/documents/" + doc + "/delete", with(only(0, 403, "alice"), "bob", 404)},
		{"POST /applications/{id}/submit", "/applications/" + draft.ID + "/submit", with(only(0, 403, "alice"), "bob", 404)},
		{"POST /applications/{id}/withdraw", "/applications/" + draft.ID + "/withdraw", with(only(0, 403, "alice"), "bob", 404)},
		{"POST /applications/{id}/decision", app + "/decision", only(0, 403, "reviewer", "supervisor")},
		{"POST /registrations/{number}/surrender", "/registrations/" + reg.Number + "/surrender", with(only(0, 403, "alice"), "bob", 404)},
		// Before its renewal window the registration cannot be renewed (409); an empty change form is invalid (422).
		{"GET /registrations/{number}/renew", "/registrations/" + reg.Number + "/renew", with(only(409, 403, "alice"), "bob", 404)},
		{"POST /registrations/{number}/renew", "/registrations/" + reg.Number + "/renew", with(only(409, 403, "alice"), "bob", 404)},
		{"GET /registrations/{number}/change", "/registrations/" + reg.Number + "/change", with(only(200, 403, "alice"), "bob", 404)},
		{"POST /registrations/{number}/change", "/registrations/" + reg.Number + "/change", with(only(422, 403, "alice"), "bob", 404)},
		{"POST /registrations/{number}/revocations", "/registrations/" + reg.Number + "/revocations", only(0, 403, "reviewer", "supervisor")},
		{"POST /operator/checks", "/operator/checks", only(0, 403, "ptcl", "nayatel")},
		{"POST /operator/checks/upload", "/operator/checks/upload", only(0, 403, "ptcl", "nayatel")},
		{"POST /revocations/{id}/confirm", "/revocations/" + rev.ID + "/confirm", only(0, 403, "supervisor")},
		{"POST /revocations/{id}/cancel", "/revocations/" + rev.ID + "/cancel", only(0, 403, "reviewer", "supervisor")},
		{"POST /admin/users", "/admin/users", only(0, 403, "admin")},
		{"POST /admin/users/{id}/disable", "/admin/users/" + reviewer.ID + "/disable", only(0, 403, "admin")},
		{"POST /admin/users/{id}/enable", "/admin/users/" + reviewer.ID + "/enable", only(0, 403, "admin")},
		{"POST /admin/users/{id}/reset-totp", "/admin/users/" + reviewer.ID + "/reset-totp", only(0, 403, "admin")},
		{"POST /admin/users/{id}/reset-password", "/admin/users/" + reviewer.ID + "/reset-password", only(0, 403, "admin")},
		{"POST /admin/operators", "/admin/operators", only(0, 403, "admin")},
		{"POST /admin/operators/{id}/prefixes", "/admin/operators/ptcl/prefixes", only(0, 403, "admin")},
		{"POST /admin/settings", "/admin/settings", only(0, 403, "admin")},
		{"POST /admin/holidays", "/admin/holidays", only(0, 403, "admin")},
		{"POST /applications/{id}/appeal", "/applications/" + draft.ID + "/appeal", with(only(0, 403, "alice"), "bob", 404)},
		{"POST /appeals/{id}/decision", "/appeals/apl_none/decision", with(only(0, 403), "supervisor", 404)},
		{"POST /admin/jobs/{name}/run", "/admin/jobs/clean-tokens/run", only(0, 403, "admin")},
		{"POST /admin/outbox/{id}/resend", "/admin/outbox/msg_none/resend", with(only(0, 403, "admin"), "admin", 404)},
		{"POST /verify-email", "/verify-email", map[string]int{"anon": 404}},
		{"POST /account/email/verification", "/account/email/verification", map[string]int{"anon": login}},
		{"POST /account/language", "/account/language", map[string]int{"anon": login, "alice": 422}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.pattern] = true
		method := strings.Fields(tt.pattern)[0]
		for _, role := range roles {
			want, ok := tt.want[role]
			if !ok || want == 0 {
				continue
			}
			var p page
			if method == "GET" {
				p = browsers[role].get(tt.path)
			} else {
				p = browsers[role].post(tt.path, url.Values{})
			}
			if p.status != want {
				t.Errorf("%s %s as %s = %d, want %d (location %q)", method, tt.path, role, p.status, want, p.location)
				continue
			}
			if want == login && tt.pattern != "POST /logout" && tt.pattern != "GET /lang/{code}" && tt.pattern != "GET /login" &&
				tt.pattern != "GET /dashboard" && !strings.HasPrefix(p.location, loginFor(method)) && !strings.HasPrefix(p.location, "/login?msg=session_ended") && role == "anon" {
				t.Errorf("%s %s as %s goes to %q, not the login", method, tt.path, role, p.location)
			}
			if p.status == 200 && strings.Contains(p.header.Get("Content-Type"), "text/html") && !strings.Contains(p.body, `<html lang=`) {
				t.Errorf("%s %s as %s is not a whole page", method, tt.path, role)
			}
		}
	}
	for _, pat := range portal.Patterns() {
		if !covered[pat] {
			t.Errorf("route %s is not in the access table", pat)
		}
	}
	// Nothing above changed anything: the draft is still a draft with its
	// documents, the revocation still pending, the reviewer still enabled.
	a, err := e.svc.GetApplication(e.ctx, alice, draft.ID)
	if err != nil || a.State != registry.StateDraft || len(a.Documents) != 3 {
		t.Errorf("draft after the walk = %v, %v", a, err)
	}
	pending, _ := e.svc.ListRevocations(e.ctx, reviewer, registry.RevocationPending)
	if len(pending) != 1 {
		t.Errorf("pending revocations after the walk = %d", len(pending))
	}
	if _, err := e.svc.Authenticate(e.ctx, mustToken(t, e, "reviewer@demo.test")); err != nil {
		t.Errorf("reviewer after the walk: %v", err)
	}
	if !slices.Contains(portal.Patterns(), "GET /{$}") {
		t.Fatal("the routing table is empty")
	}
	_ = http.StatusOK
}

func mustToken(t *testing.T, e *env, email string) string {
	tok, _, err := e.svc.Login(e.ctx, email, "demo-password-1", "", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// loginFor is where a visitor without a session is sent: a page they asked
// for is where the login leads back to (?next=); a form posted without a
// page it came from (no Referer) has nowhere to lead back to, and the
// login page says the session ended.
func loginFor(method string) string {
	if method == "GET" {
		return "/login?next="
	}
	return "/login?next=" // the page that carries the form (formPages)
}
