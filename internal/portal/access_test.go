package portal_test

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// accessRoles are the columns of the portal's access matrix, as the API's
// (internal/api's matrixRoles): the anonymous visitor, two applicants (alice
// owns every object the paths name, her applications through PTCL), an
// operator of alice's applications and one of another operator, a
// reviewer, a supervisor, an admin, and enrol, a reviewer's login that may
// only set up TOTP (made outside the demo, so the role needs TOTP, and none
// set up yet).
var accessRoles = []string{"anon", "alice", "bob", "ptcl", "nayatel", "reviewer", "supervisor", "admin", "enrol"}

// accessLogin is the status a page answers with when the visitor must log
// in first (303 to /login), or, for enrol, set up TOTP first (303 to
// /account?msg=totp_required).
const accessLogin = 303

// accessCase is one route of the portal as every role: the request's path
// and, per role, the status it must get; 0 or no entry means not sent as
// that role (it would change state; the workflow tests cover it).
type accessCase struct {
	pattern string
	path    string
	want    map[string]int
}

// publicRedirects are the routes whose 303 to anon is not the way to the
// login: they answer every visitor the same way.
var publicRedirects = []string{"GET /lang/{code}", "GET /login", "POST /logout"}

// accessIDs are the fixture's objects the paths name.
type accessIDs struct {
	draft, review, doc, number, code, revocation, reviewer string
}

// accessTable is the portal's access matrix, as data: every route of
// portal.Patterns with what each role gets (200 the page; 303 to the
// login, or for enrol to the TOTP set-up; 403 another role's page; 404
// another account's object; 409/422 allowed and refused for the object's
// state or the input). TestAccess walks it on both databases;
// docs/access-matrix.md shows it (TestAccessMatrixDoc).
func accessTable(v accessIDs) []accessCase {
	roles := accessRoles
	const login = accessLogin
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
	app := "/applications/" + v.review
	staffOK := []string{"alice", "reviewer", "supervisor", "admin"}
	tests := []accessCase{
		{"GET /{$}", "/", all(200)},
		{"GET /privacy", "/privacy", all(200)},
		{"GET /statistics", "/statistics", all(200)},
		{"GET /statistics.csv", "/statistics.csv", all(200)},
		{"GET /statistics.json", "/statistics.json", all(200)},
		{"GET /lang/{code}", "/lang/ur?next=/privacy", all(303)},
		{"GET /signup", "/signup", all(200)},
		{"GET /login", "/login", with(all(303), "anon", 200, "enrol", 200)}, // enrol may log in as someone else
		{"GET /password/forgot", "/password/forgot", all(200)},
		{"GET /password/reset", "/password/reset?token=x", all(200)},
		{"GET /verify", "/verify", all(200)},
		{"GET /eligibility", "/eligibility", all(200)},
		// Sent empty, the questionnaire names the three unanswered
		// questions (400), to anyone alike; nothing is stored either way.
		{"POST /eligibility", "/eligibility", all(400)},
		{"GET /verify/{number}", "/verify/" + v.number + "?code=" + v.code, all(200)},
		{"GET /account", "/account", with(all(200), "anon", login)},
		{"GET /account/export", "/account/export", only(200, 403, "alice", "bob")},
		{"GET /account/delete", "/account/delete", only(200, 403, "alice", "bob")},
		{"GET /dashboard", "/dashboard", only(200, 303, "alice", "bob")},
		{"GET /applications/new", "/applications/new", only(200, 403, "alice", "bob")},
		{"GET /applications/{id}", app, with(only(200, 404, staffOK...), "ptcl", 200)},
		{"GET /applications/{id}/edit", "/applications/" + v.draft + "/edit", with(only(200, 403, "alice"), "bob", 404)},
		{"GET /applications/{id}/documents/{doc}", app + "/documents/" + v.doc, only(200, 404, staffOK...)},
		{"GET /applications/{id}/accesses", app + "/accesses", only(200, 404, staffOK...)},
		{"GET /registrations/{number}", "/registrations/" + v.number, only(200, 404, staffOK...)},
		{"GET /registrations/{number}/certificate.pdf", "/registrations/" + v.number + "/certificate.pdf", only(200, 404, staffOK...)},
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
		{"GET /claim", "/claim?token=x", all(404)},
		{"GET /admin/invitations", "/admin/invitations", only(200, 403, "admin")},
		{"GET /admin/import", "/admin/import", only(200, 403, "admin")},

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
		{"POST /applications/{id}", "/applications/" + v.draft, with(only(0, 403, "alice"), "bob", 404)},
		{"POST /applications/{id}/documents", "/applications/" + v.draft + "/documents", with(only(0, 403, "alice"), "bob", 404)},
		{"POST /applications/{id}/documents/{doc}/delete", "/applications/" + v.draft + "/documents/" + v.doc + "/delete", with(only(0, 403, "alice"), "bob", 404)},
		{"POST /applications/{id}/submit", "/applications/" + v.draft + "/submit", with(only(0, 403, "alice"), "bob", 404)},
		{"POST /applications/{id}/withdraw", "/applications/" + v.draft + "/withdraw", with(only(0, 403, "alice"), "bob", 404)},
		{"POST /applications/{id}/decision", app + "/decision", only(0, 403, "reviewer", "supervisor")},
		{"POST /registrations/{number}/surrender", "/registrations/" + v.number + "/surrender", with(only(0, 403, "alice"), "bob", 404)},
		// Before its renewal window the registration cannot be renewed (409); an empty change form is invalid (422).
		{"GET /registrations/{number}/renew", "/registrations/" + v.number + "/renew", with(only(409, 403, "alice"), "bob", 404)},
		{"POST /registrations/{number}/renew", "/registrations/" + v.number + "/renew", with(only(409, 403, "alice"), "bob", 404)},
		{"GET /registrations/{number}/change", "/registrations/" + v.number + "/change", with(only(200, 403, "alice"), "bob", 404)},
		{"POST /registrations/{number}/change", "/registrations/" + v.number + "/change", with(only(422, 403, "alice"), "bob", 404)},
		{"POST /registrations/{number}/revocations", "/registrations/" + v.number + "/revocations", only(0, 403, "reviewer", "supervisor")},
		{"POST /operator/checks", "/operator/checks", only(0, 403, "ptcl", "nayatel")},
		{"POST /operator/checks/upload", "/operator/checks/upload", only(0, 403, "ptcl", "nayatel")},
		{"POST /revocations/{id}/confirm", "/revocations/" + v.revocation + "/confirm", only(0, 403, "supervisor")},
		{"POST /revocations/{id}/cancel", "/revocations/" + v.revocation + "/cancel", only(0, 403, "reviewer", "supervisor")},
		{"POST /admin/users", "/admin/users", only(0, 403, "admin")},
		{"POST /admin/users/{id}/disable", "/admin/users/" + v.reviewer + "/disable", only(0, 403, "admin")},
		{"POST /admin/users/{id}/enable", "/admin/users/" + v.reviewer + "/enable", only(0, 403, "admin")},
		{"POST /admin/users/{id}/reset-totp", "/admin/users/" + v.reviewer + "/reset-totp", only(0, 403, "admin")},
		{"POST /admin/users/{id}/reset-password", "/admin/users/" + v.reviewer + "/reset-password", only(0, 403, "admin")},
		{"POST /admin/operators", "/admin/operators", only(0, 403, "admin")},
		{"POST /admin/operators/{id}/prefixes", "/admin/operators/ptcl/prefixes", only(0, 403, "admin")},
		{"POST /admin/settings", "/admin/settings", only(0, 403, "admin")},
		{"POST /admin/holidays", "/admin/holidays", only(0, 403, "admin")},
		{"POST /applications/{id}/appeal", "/applications/" + v.draft + "/appeal", with(only(0, 403, "alice"), "bob", 404)},
		{"POST /appeals/{id}/decision", "/appeals/apl_none/decision", with(only(0, 403), "supervisor", 404)},
		{"POST /admin/jobs/{name}/run", "/admin/jobs/clean-tokens/run", only(0, 403, "admin")},
		{"POST /admin/outbox/{id}/resend", "/admin/outbox/msg_none/resend", with(only(0, 403, "admin"), "admin", 404)},
		{"GET /notices", "/notices", all(200)},
		{"GET /notices.atom", "/notices.atom", all(200)},
		{"GET /admin/notices", "/admin/notices", only(200, 403, "admin")},
		{"POST /admin/notices", "/admin/notices", only(422, 403, "admin")}, // sent empty: every field is missing
		{"GET /admin/notices/{id}", "/admin/notices/ntc_none", only(404, 403, "admin")},
		{"POST /admin/notices/{id}", "/admin/notices/ntc_none", only(404, 403, "admin")},
		{"POST /admin/notices/{id}/withdraw", "/admin/notices/ntc_none/withdraw", only(404, 403, "admin")},
		{"POST /verify-email", "/verify-email", map[string]int{"anon": 404}},
		{"POST /claim", "/claim", map[string]int{"anon": 404}},
		{"POST /admin/invitations/{id}/link", "/admin/invitations/usr_none/link", with(only(0, 403, "admin"), "admin", 404)},
		{"POST /admin/invitations/{id}/resend", "/admin/invitations/usr_none/resend", with(only(0, 403, "admin"), "admin", 404)},
		{"POST /admin/import", "/admin/import", with(only(0, 403, "admin"), "admin", 422)},
		{"POST /admin/import/confirm", "/admin/import/confirm", with(only(0, 403, "admin"), "admin", 422)},
		{"POST /account/email/verification", "/account/email/verification", map[string]int{"anon": login}},
		{"POST /account/language", "/account/language", map[string]int{"anon": login, "alice": 422}},
		// The register of licensed VPN providers: public; admins keep it.
		// The change form of an unknown provider is not found, to admins.
		{"GET /providers", "/providers", all(200)},
		{"GET /admin/providers", "/admin/providers", only(200, 403, "admin")},
		{"POST /admin/providers", "/admin/providers", only(422, 403, "admin")},
		{"GET /admin/providers/{id}", "/admin/providers/prv_none", only(404, 403, "admin")},
		{"POST /admin/providers/{id}", "/admin/providers/prv_none", only(404, 403, "admin")},
	}
	// enrol: every page behind a login sends it to set up TOTP first
	// (before its role is looked at), but its own account's pages, where
	// it is a reviewer; the public pages answer it as they answer anyone.
	// (Its session is not ended here: POST /logout is sent as anon only.)
	for _, tt := range tests {
		if tt.want["anon"] == login && !strings.HasPrefix(tt.path, "/account") && !slices.Contains(publicRedirects, tt.pattern) {
			tt.want["enrol"] = login
		}
	}
	return tests
}

// TestAccess walks every route of the portal (accessTable) as every role
// (accessRoles) on both databases and checks each answer; every
// state-changing route sent by a role that may not use it is checked to
// change no row of any table. A route of portal.Patterns missing from the
// table fails the test, and so does a row for a route no longer served.
func TestAccess(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			testAccess(t, kind)
		})
	}
}

func testAccess(t *testing.T, kind string) {
	e := newEnvOn(t, kind)
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
	// A reviewer made outside the demo needs TOTP: the login only lets
	// them set it up.
	if _, err := e.svc.AddUser(e.ctx, registry.System, registry.AddUserInput{Email: "enrol@example.pk", Password: "a long password", Role: registry.RoleReviewer}); err != nil {
		t.Fatal(err)
	}
	roles := accessRoles
	logins := map[string]string{"alice": "alice@example.pk", "bob": "bob@example.pk", "ptcl": "operator.ptcl@demo.test",
		"nayatel": "operator.nayatel@demo.test", "reviewer": "reviewer@demo.test", "supervisor": "supervisor@demo.test", "admin": "admin@demo.test",
		"enrol": "enrol@example.pk"}
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
	const login = accessLogin
	tests := accessTable(accessIDs{draft: draft.ID, review: review.ID, doc: docs[0].ID, number: reg.Number, code: reg.VerificationCode,
		revocation: rev.ID, reviewer: reviewer.ID})

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
				// A state-changing route sent by a role that may not use
				// it changes no row of any table.
				before := accessSnapshot(t, e)
				p = browsers[role].post(tt.path, url.Values{})
				if refusal(role, want) {
					if diff := accessDiff(before, accessSnapshot(t, e)); diff != "" {
						t.Errorf("%s %s as %s (%d) changed the database:\n%s", method, tt.path, role, p.status, diff)
					}
				}
			}
			if p.status != want {
				t.Errorf("%s %s as %s = %d, want %d (location %q)", method, tt.path, role, p.status, want, p.location)
				continue
			}
			if want == login && tt.pattern != "POST /logout" && tt.pattern != "GET /lang/{code}" && tt.pattern != "GET /login" &&
				tt.pattern != "GET /dashboard" && !strings.HasPrefix(p.location, loginFor(method)) && !strings.HasPrefix(p.location, "/login?msg=session_ended") && role == "anon" {
				t.Errorf("%s %s as %s goes to %q, not the login", method, tt.path, role, p.location)
			}
			if want == login && role == "enrol" && p.location != "/account?msg=totp_required" && !slices.Contains(publicRedirects, tt.pattern) {
				t.Errorf("%s %s as %s goes to %q, not the TOTP set-up", method, tt.path, role, p.location)
			}
			if p.status == 200 && strings.Contains(p.header.Get("Content-Type"), "text/html") && !strings.Contains(p.body, `<html lang=`) {
				t.Errorf("%s %s as %s is not a whole page", method, tt.path, role)
			}
		}
	}
	checkMenus(t, browsers)
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

// refusal reports whether want, sent as role, is a refusal for who the
// role is: the way to the login (anon) or to the TOTP set-up (enrol), 403
// or 404. Those requests must change nothing.
func refusal(role string, want int) bool {
	return want == 403 || want == 404 || want == accessLogin && (role == "anon" || role == "enrol")
}

// accessSnapshot reads every table of the registry but the feed's, which
// the publisher writes on its own schedule.
func accessSnapshot(t *testing.T, e *env) map[string][]string {
	t.Helper()
	s, err := e.db.Snapshot(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for table := range s {
		if strings.HasPrefix(table, "feed_") {
			delete(s, table)
		}
	}
	return s
}

// accessDiff names the rows that appeared or went between two snapshots,
// or "" when they are equal.
func accessDiff(before, after map[string][]string) string {
	var b strings.Builder
	for table, rows := range after {
		for _, r := range rows {
			if !slices.Contains(before[table], r) {
				fmt.Fprintf(&b, "  %s + %.200s\n", table, r)
			}
		}
	}
	for table, rows := range before {
		for _, r := range rows {
			if !slices.Contains(after[table], r) {
				fmt.Fprintf(&b, "  %s − %.200s\n", table, r)
			}
		}
	}
	return b.String()
}

// The portal's section of docs/access-matrix.md, between these markers.
const (
	matrixDoc          = "../../docs/access-matrix.md"
	portalSectionBegin = "<!-- portal-matrix:begin (generated by TestAccessMatrixDoc in internal/portal) -->"
	portalSectionEnd   = "<!-- portal-matrix:end -->"
)

// renderPortalMatrix renders accessTable as a Markdown table: a status
// per role, A for allowed and not sent (it would change state), – for not
// sent as that role.
func renderPortalMatrix() string {
	var b strings.Builder
	b.WriteString("| Route | " + strings.Join(accessRoles, " | ") + " |\n")
	b.WriteString("|---" + strings.Repeat("|---", len(accessRoles)) + "|\n")
	for _, tt := range accessTable(accessIDs{}) {
		cells := make([]string, len(accessRoles))
		for i, r := range accessRoles {
			switch w, ok := tt.want[r]; {
			case !ok:
				cells[i] = "–"
			case w == 0:
				cells[i] = "A"
			default:
				cells[i] = fmt.Sprint(w)
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s |\n", tt.pattern, strings.Join(cells, " | "))
	}
	return b.String()
}

// TestAccessMatrixDoc checks that docs/access-matrix.md shows accessTable
// as it is; IPREG_UPDATE_ACCESS_MATRIX=1 rewrites the portal's section
// instead.
func TestAccessMatrixDoc(t *testing.T) {
	b, err := os.ReadFile(matrixDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc, want := string(b), renderPortalMatrix()
	i, j := strings.Index(doc, portalSectionBegin), strings.Index(doc, portalSectionEnd)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", matrixDoc, portalSectionBegin, portalSectionEnd)
	}
	if doc[i+len(portalSectionBegin)+1:j] == want {
		return
	}
	if os.Getenv("IPREG_UPDATE_ACCESS_MATRIX") == "" {
		t.Fatalf("%s is out of date with the portal's access matrix; run IPREG_UPDATE_ACCESS_MATRIX=1 go test ./internal/portal -run AccessMatrixDoc to regenerate it", matrixDoc)
	}
	if err := os.WriteFile(matrixDoc, []byte(doc[:i+len(portalSectionBegin)+1]+want+doc[j:]), 0o644); err != nil {
		t.Fatal(err)
	}
}
