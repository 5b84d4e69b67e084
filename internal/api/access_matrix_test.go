package api_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

// matrixRoles are the columns of the access matrix: who sends the request.
// alice owns every object the paths name (through PTCL); bob is another
// applicant; ptcl is the operator of alice's applications, nayatel another
// operator's; enrol is a staff login that may only set up TOTP (a reviewer
// whose role needs TOTP and who has none yet: its token has the
// totp_enrolment scope).
var matrixRoles = []string{"anon", "alice", "bob", "ptcl", "nayatel", "reviewer", "supervisor", "admin", "enrol"}

// A cell of the matrix is the status the request must get, or A: allowed,
// and not sent here because it would change state (TestAPI and the tests
// beside it exercise every route as its allowed roles).
const A = -1

// accessRow is one route of the API as every role: the request (the
// placeholders in path and body are the fixture's objects, see
// matrixFixture) and, in matrixRoles' order, what each role gets.
type accessRow struct {
	route string // "METHOD /pattern", as api.Routes lists it
	path  string // the request's path and query, with {placeholders}
	body  string // a JSON body that would succeed for an allowed role, or ""
	cells string // one status (or A) per role, in matrixRoles' order
	why   string // for the Markdown: what decides it, when not plain
}

// apiMatrix is the access matrix of the API, kept as data a person can
// read: 200/201/204 allowed; 401 no or unusable credential; 403 the role
// may not; 404 the object is not the caller's to know of (existence must
// not leak); 409/422 allowed, and refused for the object's state or the
// input. Every route of api.Routes must have a row (TestAccessMatrix fails
// otherwise); docs/access-matrix.md is generated from it.
var apiMatrix = []accessRow{
	// route, path sent, body sent, cells: anon alice bob ptcl nayatel reviewer supervisor admin enrol, note
	{"POST /api/v1/signup", "/api/v1/signup", "", "A A A A A A A A A", "public: anyone may open an account"},
	{"POST /api/v1/login", "/api/v1/login", "", "A A A A A A A A A", "public: the credential is in the body"},
	{"POST /api/v1/logout", "/api/v1/logout", "", "401 A A A A A A A A", ""},
	{"GET /api/v1/me", "/api/v1/me", "", "401 200 200 200 200 200 200 200 200", ""},
	{"PATCH /api/v1/me", "/api/v1/me", `{"lang":"ur"}`, "401 A A A A A A A A", ""},
	{"POST /api/v1/me/email/verification", "/api/v1/me/email/verification", "", "401 A A A A A A A A", ""},
	{"POST /api/v1/email/verify", "/api/v1/email/verify", `{"token":"{verifyToken}"}`, "404 404 404 404 404 404 404 404 404", "public; an unknown token is not found"},
	{"POST /api/v1/me/totp", "/api/v1/me/totp", "", "401 A A A A A A A A", ""},
	{"POST /api/v1/me/totp/confirm", "/api/v1/me/totp/confirm", `{"code":"123456"}`, "401 409 409 409 409 409 409 409 409", "nobody here started an enrolment (409)"},
	{"POST /api/v1/me/totp/disable", "/api/v1/me/totp/disable", `{"code":"123456"}`, "401 409 409 409 409 403 403 403 403", "staff may not drop TOTP; applicants have none (409)"},
	{"GET /api/v1/me/export", "/api/v1/me/export", "", "401 200 200 403 403 403 403 403 403", ""},
	{"POST /api/v1/me/delete", "/api/v1/me/delete", `{"password":"correct horse battery","confirm":true}`, "401 A A 403 403 403 403 403 403", ""},
	{"GET /api/v1/tokens", "/api/v1/tokens", "", "401 200 200 200 200 200 200 200 403", ""},
	{"POST /api/v1/tokens", "/api/v1/tokens", `{"name":"matrix"}`, "401 A A A A A A A 403", ""},
	{"DELETE /api/v1/tokens/{id}", "/api/v1/tokens/{tokenID}", "", "401 A 404 404 404 404 404 404 403", "alice's token"},
	{"GET /api/v1/operators", "/api/v1/operators", "", "200 200 200 200 200 200 200 200 200", ""},
	{"GET /api/v1/applications", "/api/v1/applications", "", "401 200 200 200 200 200 200 200 403", ""},
	{"POST /api/v1/applications", "/api/v1/applications", `{"category":"company_vpn","operator_id":"ptcl","addresses":["14.1.110.0/24"]}`, "401 A A 403 403 403 403 403 403", ""},
	{"GET /api/v1/applications/{id}", "/api/v1/applications/{review}", "", "401 200 404 200 404 200 200 200 403", "alice's application through PTCL"},
	{"PATCH /api/v1/applications/{id}", "/api/v1/applications/{draft}", `{"purpose":"Changed by the access matrix."}`, "401 A 404 403 403 403 403 403 403", ""},
	{"GET /api/v1/applications/{id}/documents", "/api/v1/applications/{review}/documents", "", "401 200 404 404 404 200 200 200 403", ""},
	{"POST /api/v1/applications/{id}/documents", "/api/v1/applications/{draft}/documents", "multipart", "401 A 404 403 403 403 403 403 403", ""},
	{"GET /api/v1/applications/{id}/documents/{doc}", "/api/v1/applications/{review}/documents/{reviewDoc}", "", "401 200 404 404 404 200 200 200 403", ""},
	{"DELETE /api/v1/applications/{id}/documents/{doc}", "/api/v1/applications/{draft}/documents/{draftDoc}", "", "401 A 404 403 403 403 403 403 403", ""},
	{"GET /api/v1/applications/{id}/accesses", "/api/v1/applications/{review}/accesses", "", "401 200 404 404 404 200 200 200 403", ""},
	{"POST /api/v1/applications/{id}/submit", "/api/v1/applications/{draft}/submit", "", "401 A 404 403 403 403 403 403 403", ""},
	{"POST /api/v1/applications/{id}/withdraw", "/api/v1/applications/{draft}/withdraw", "", "401 A 404 403 403 403 403 403 403", ""},
	{"POST /api/v1/applications/{id}/decision", "/api/v1/applications/{review}/decision", `{"decision":"approve"}`, "401 403 403 403 403 A A 403 403", ""},
	{"POST /api/v1/applications/{id}/appeal", "/api/v1/applications/{rejected2}/appeal", `{"statement":"The contract is attached."}`, "401 A 404 403 403 403 403 403 403", ""},
	{"GET /api/v1/appeals", "/api/v1/appeals", "", "401 403 403 403 403 403 200 403 403", ""},
	{"GET /api/v1/appeals/{id}", "/api/v1/appeals/{appeal}", "", "401 200 404 403 403 200 200 403 403", "alice's appeal"},
	{"POST /api/v1/appeals/{id}/decision", "/api/v1/appeals/{appeal}/decision", `{"decision":"uphold","note":"Upheld by the access matrix."}`, "401 403 403 403 403 403 A 403 403", "a supervisor other than the one who rejected"},
	{"GET /api/v1/review/overdue", "/api/v1/review/overdue", "", "401 403 403 403 403 403 200 403 403", ""},
	{"GET /api/v1/operator/checks", "/api/v1/operator/checks", "", "401 403 403 200 200 403 403 403 403", ""},
	{"POST /api/v1/operator/checks/{id}", "/api/v1/operator/checks/{check}", `{"result":"confirmed"}`, "401 403 403 A 404 403 403 403 403", "a check of PTCL's; another operator's is not found"},
	{"GET /api/v1/review/queue", "/api/v1/review/queue", "", "401 403 403 403 403 200 200 403 403", ""},
	{"GET /api/v1/registrations", "/api/v1/registrations", "", "401 200 200 403 403 200 200 200 403", ""},
	{"GET /api/v1/registrations/{number}", "/api/v1/registrations/{number}", "", "401 200 404 404 404 200 200 200 403", ""},
	{"GET /api/v1/registrations/{number}/certificate.pdf", "/api/v1/registrations/{number}/certificate.pdf", "", "401 200 404 404 404 200 200 200 403", ""},
	{"POST /api/v1/registrations/{number}/surrender", "/api/v1/registrations/{number}/surrender", `{"reason":"No longer needed."}`, "401 A 404 403 403 403 403 403 403", ""},
	{"POST /api/v1/registrations/{number}/renewal", "/api/v1/registrations/{number}/renewal", "", "401 409 404 403 403 403 403 403 403", "alice's registration, too early to renew (409)"},
	{"POST /api/v1/registrations/{number}/amendment", "/api/v1/registrations/{number}/amendment", `{"add":["14.1.111.0/24"]}`, "401 A 404 403 403 403 403 403 403", ""},
	{"POST /api/v1/registrations/{number}/revocations", "/api/v1/registrations/{number}/revocations", `{"reason":"Used for a prohibited service."}`, "401 403 403 403 403 A A 403 403", ""},
	{"GET /api/v1/revocations", "/api/v1/revocations", "", "401 403 403 403 403 200 200 403 403", ""},
	{"POST /api/v1/revocations/{id}/confirm", "/api/v1/revocations/{revocation}/confirm", "", "401 403 403 403 403 403 A 403 403", "a second supervisor confirms"},
	{"POST /api/v1/revocations/{id}/cancel", "/api/v1/revocations/{revocation}/cancel", "", "401 403 403 403 403 A A 403 403", ""},
	{"GET /api/v1/verify/{number}", "/api/v1/verify/{number}?code={code}", "", "200 200 200 200 200 200 200 200 200", ""},
	{"GET /api/v1/keys", "/api/v1/keys", "", "200 200 200 200 200 200 200 200 200", ""},
	{"GET /api/v1/stats", "/api/v1/stats", "", "200 200 200 200 200 200 200 200 200", ""},
	{"POST /api/v1/eligibility", "/api/v1/eligibility", `{"who":"company","connection":"static_ip","licensed_provider":"no"}`, "200 200 200 200 200 200 200 200 200", "public: nothing stored"},
	{"GET /api/v1/admin/settings", "/api/v1/admin/settings", "", "401 403 403 403 403 200 200 200 403", ""},
	{"PUT /api/v1/admin/settings", "/api/v1/admin/settings", `{"sla_working_hours":17}`, "401 403 403 403 403 403 403 A 403", ""},
	{"GET /api/v1/admin/jobs", "/api/v1/admin/jobs", "", "401 403 403 403 403 403 403 200 403", ""},
	{"POST /api/v1/admin/jobs/{name}/run", "/api/v1/admin/jobs/clean-tokens/run", "", "401 403 403 403 403 403 403 A 403", ""},
	{"GET /api/v1/admin/outbox", "/api/v1/admin/outbox", "", "401 403 403 403 403 403 403 200 403", ""},
	{"POST /api/v1/admin/outbox/{id}/resend", "/api/v1/admin/outbox/{message}/resend", "", "401 403 403 403 403 403 403 A 403", ""},
	// The register of licensed VPN providers: public to read; admins keep it.
	{"GET /api/v1/providers", "/api/v1/providers?format=csv", "", "200 200 200 200 200 200 200 200 200", "public"},
	{"GET /api/v1/providers.csv", "/api/v1/providers.csv", "", "200 200 200 200 200 200 200 200 200", "public"},
	{"GET /api/v1/admin/providers", "/api/v1/admin/providers", "", "401 403 403 403 403 403 403 200 403", "admins see each provider's revision and website warning"},
	{"POST /api/v1/admin/providers", "/api/v1/admin/providers", `{}`, "401 403 403 403 403 403 403 422 403", "an empty body is refused (422) only after the role is checked"},
	{"GET /api/v1/admin/providers/{id}", "/api/v1/admin/providers/{provider}", "", "401 403 403 403 403 403 403 200 403", ""},
	{"PATCH /api/v1/admin/providers/{id}", "/api/v1/admin/providers/prv_none", `{"status":"revoked"}`, "401 403 403 403 403 403 403 404 403", "the role is checked before the id is looked up"},
	{"GET /api/v1/notices", "/api/v1/notices?all=1", "", "200 200 200 200 200 200 200 200 200", "public"},
	{"GET /api/v1/notices/{id}", "/api/v1/notices/{notice}", "", "200 200 200 200 200 200 200 200 200", "public"},
	{"GET /api/v1/admin/notices", "/api/v1/admin/notices", "", "401 403 403 403 403 403 403 200 403", ""},
	{"POST /api/v1/admin/notices", "/api/v1/admin/notices", `{"title_en":"Maintenance","title_ur":"دیکھ بھال","body_en":"Saturday.","body_ur":"ہفتہ۔"}`, "401 403 403 403 403 403 403 A 403", ""},
	{"PUT /api/v1/admin/notices/{id}", "/api/v1/admin/notices/{notice}", `{"title_en":"Deadline","title_ur":"آخری تاریخ","body_en":"Register by 30 June.","body_ur":"30 جون تک رجسٹر کرائیں۔"}`, "401 403 403 403 403 403 403 A 403", ""},
	{"POST /api/v1/admin/notices/{id}/withdraw", "/api/v1/admin/notices/{notice}/withdraw", "", "401 403 403 403 403 403 403 A 403", ""},
	{"GET /api/v1/admin/invitations", "/api/v1/admin/invitations", "", "401 403 403 403 403 403 403 200 403", ""},
	{"POST /api/v1/admin/invitations", "/api/v1/admin/invitations", `{"user_ids":["usr_none"]}`, "401 403 403 403 403 403 403 A 403", ""},
	{"POST /api/v1/admin/invitations/{user}/link", "/api/v1/admin/invitations/usr_none/link", "", "401 403 403 403 403 403 403 404 403", "admins; a user without an invitation is not found"},
	{"POST /api/v1/invitations/claim", "/api/v1/invitations/claim", `{"token":"ipreg_none","password":"a long password"}`, "404 404 404 404 404 404 404 404 404", "public; an unknown token is not found"},
	{"POST /api/v1/admin/imports", "/api/v1/admin/imports?dry_run=true", "", "401 403 403 403 403 403 403 A 403", "admins; a dry run writes nothing, a real import the file's registrations"},
	{"GET /api/v1/openapi.json", "/api/v1/openapi.json", "", "200 200 200 200 200 200 200 200 200", ""},
	{"GET /healthz", "/healthz", "", "200 200 200 200 200 200 200 200 200", ""},
	{"GET /readyz", "/readyz", "", "200 200 200 200 200 200 200 200 200", ""},
	{"GET /metrics", "/metrics", "", "401 401 401 401 401 401 401 401 401", "needs the metrics token, which no user holds"},
	{"GET /feed/v1/notification.jose", "/feed/v1/notification.jose", "", "200 200 200 200 200 200 200 200 200", ""},
	{"GET /feed/v1/files/{name}", "/feed/v1/files/{feedFile}", "", "200 200 200 200 200 200 200 200 200", ""},
	{"GET /feed/v1/wait", "/feed/v1/wait?after=0&timeout=1", "", "200 200 200 200 200 200 200 200 200", ""},
	{"GET /feed/v1/stream", "/feed/v1/stream?after=0&timeout=1", "", "200 200 200 200 200 200 200 200 200", ""},
	{"GET /feed/v1/operators/{operator}/notification.jose", "/feed/v1/operators/ptcl/notification.jose", "", "401 404 404 200 404 404 404 404 404", "PTCL's feed: only PTCL's operators"},
	{"GET /feed/v1/operators/{operator}/files/{name}", "/feed/v1/operators/ptcl/files/{ptclFile}", "", "401 404 404 200 404 404 404 404 404", ""},
	{"GET /feed/v1/operators/{operator}/wait", "/feed/v1/operators/ptcl/wait?after=0&timeout=1", "", "401 404 404 200 404 404 404 404 404", ""},
	{"GET /feed/v1/operators/{operator}/stream", "/feed/v1/operators/ptcl/stream?after=0&timeout=1", "", "401 404 404 200 404 404 404 404 404", ""},
}

// matrixFixture builds the objects the matrix's paths name and a token
// for every role; the map holds both (role name → token, placeholder →
// value).
func matrixFixture(t *testing.T, c *client) (tokens, vals map[string]string) {
	ctx := context.Background()
	tokens = map[string]string{"anon": ""}
	tokens["alice"] = signup(c, "alice@matrix.pk", "company")
	tokens["bob"] = signup(c, "bob@matrix.pk", "individual")
	for role, email := range map[string]string{"ptcl": "operator.ptcl@demo.test", "nayatel": "operator.nayatel@demo.test",
		"reviewer": "reviewer@demo.test", "supervisor": "supervisor@demo.test", "admin": "admin@demo.test"} {
		tokens[role] = c.login(email)
	}
	// A reviewer made outside the demo needs TOTP: the login only lets
	// them set it up.
	if _, err := c.svc.AddUser(ctx, registry.System, registry.AddUserInput{Email: "enrol@matrix.pk", Password: "correct horse battery", Role: registry.RoleReviewer}); err != nil {
		t.Fatal(err)
	}
	enrol := c.want(c.do("POST", "/api/v1/login", "", map[string]string{"email": "enrol@matrix.pk", "password": "correct horse battery"}), 200).json(t)
	if enrol["totp_enrolment_required"] != true {
		t.Fatalf("the enrolment-only login: %v", enrol)
	}
	tokens["enrol"] = enrol["token"].(string)

	alice := tokens["alice"]
	vals = map[string]string{}
	vals["draft"] = c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{
		"category": "company_vpn", "operator_id": "ptcl", "addresses": []string{"14.1.104.0/24"}, "subscriber_id": "PTCL-0042-771",
		"vpn":     map[string]any{"protocol": "ipsec", "endpoints": []string{"vpn.example.pk"}},
		"purpose": "Developers reach the client's build servers.",
	}), 201).json(t)["id"].(string)
	for _, k := range []string{"cnic_front", "cnic_back", "incorporation_proof"} {
		doc := c.want(c.upload(alice, vals["draft"], k, k+".pdf", testbin.PDF(k)), 201).json(t)
		vals["draftDoc"] = doc["id"].(string)
	}
	vals["review"] = c.inReview(alice, "14.1.105.0/24")
	docs := c.want(c.do("GET", "/api/v1/applications/"+vals["review"]+"/documents", alice, nil), 200).list(t)
	vals["reviewDoc"] = docs[0]["id"].(string)
	approved := c.inReview(alice, "14.1.106.0/24")
	reg := c.want(c.do("POST", "/api/v1/applications/"+approved+"/decision", tokens["reviewer"], map[string]any{"decision": "approve"}), 200).json(t)["registration"].(map[string]any)
	vals["number"], vals["code"] = reg["number"].(string), reg["verification_code"].(string)
	for _, name := range []string{"rejected", "rejected2"} {
		addr := map[string]string{"rejected": "14.1.108.0/24", "rejected2": "14.1.109.0/24"}[name]
		vals[name] = c.inReview(alice, addr)
		c.want(c.do("POST", "/api/v1/applications/"+vals[name]+"/decision", tokens["reviewer"], map[string]any{"decision": "reject", "reason_code": "insufficient_purpose"}), 200)
	}
	vals["appeal"] = c.want(c.do("POST", "/api/v1/applications/"+vals["rejected"]+"/appeal", alice, map[string]string{"statement": "The contract is attached."}), 201).json(t)["id"].(string)
	// A check PTCL has not answered yet.
	pending := c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{
		"category": "company_vpn", "operator_id": "ptcl", "addresses": []string{"14.1.107.0/24"}, "subscriber_id": "PTCL-0042-771",
		"vpn":     map[string]any{"protocol": "ipsec", "endpoints": []string{"vpn.example.pk"}},
		"purpose": "Developers reach the client's build servers.",
	}), 201).json(t)["id"].(string)
	for _, k := range []string{"cnic_front", "cnic_back", "incorporation_proof"} {
		c.want(c.upload(alice, pending, k, k+".pdf", testbin.PDF(k)), 201)
	}
	c.want(c.do("POST", "/api/v1/applications/"+pending+"/submit", alice, nil), 200)
	for _, ch := range c.want(c.do("GET", "/api/v1/operator/checks", tokens["ptcl"], nil), 200).list(t) {
		if ch["application_id"] == pending {
			vals["check"] = ch["id"].(string)
		}
	}
	vals["revocation"] = c.want(c.do("POST", "/api/v1/registrations/"+vals["number"]+"/revocations", tokens["reviewer"],
		map[string]string{"reason": "Used for a prohibited service."}), 201).json(t)["id"].(string)
	vals["tokenID"] = c.want(c.do("POST", "/api/v1/tokens", alice, map[string]any{"name": "script"}), 201).json(t)["id"].(string)
	msgs, err := c.svc.ListOutbox(ctx, registry.System, "")
	if err != nil || len(msgs) == 0 {
		t.Fatalf("outbox: %v, %v", msgs, err)
	}
	vals["message"] = msgs[0].ID
	vals["verifyToken"] = "not-a-token"
	nt, err := c.svc.PublishNotice(ctx, registry.System, registry.NoticeInput{TitleEN: "Deadline", TitleUR: "آخری تاریخ",
		BodyEN: "Register by 30 June.", BodyUR: "30 جون تک رجسٹر کرائیں۔"})
	if err != nil {
		t.Fatal(err)
	}
	vals["notice"] = nt.ID
	lic, date, web := "PTA/VPN/2026/099", "2026-01-05", "https://matrix.example.pk"
	name := "Matrix Tunnels"
	pv, err := c.svc.AddProvider(ctx, registry.System, registry.ProviderInput{Name: &name, LicenceNumber: &lic, LicenceDate: &date, Website: &web})
	if err != nil {
		t.Fatal(err)
	}
	vals["provider"] = pv.ID
	// The publisher's first versions come a moment after the changes.
	c.want(c.raw("GET", "/feed/v1/wait?after=0&timeout=20", "", "", nil), 200)
	n, _ := c.notification("/feed/v1/notification.jose", "")
	vals["feedFile"] = strings.TrimPrefix(n.Snapshot.URL, "files/")
	c.want(c.raw("GET", "/feed/v1/operators/ptcl/wait?after=0&timeout=20", tokens["ptcl"], "", nil), 200)
	n, _ = c.notification("/feed/v1/operators/ptcl/notification.jose", tokens["ptcl"])
	vals["ptclFile"] = strings.TrimPrefix(n.Snapshot.URL, "files/")
	for k, v := range vals {
		if v == "" {
			t.Fatalf("fixture %s is empty", k)
		}
	}
	return tokens, vals
}

// cellsOf parses a row's cells; it fails on a row that does not name
// every role.
func cellsOf(t *testing.T, r accessRow) []int {
	f := strings.Fields(r.cells)
	if len(f) != len(matrixRoles) {
		t.Fatalf("%s: %d cells for %d roles", r.route, len(f), len(matrixRoles))
	}
	out := make([]int, len(f))
	for i, s := range f {
		if s == "A" {
			out[i] = A
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("%s: cell %q is neither a status nor A", r.route, s)
		}
		out[i] = n
	}
	return out
}

func fill(s string, vals map[string]string) string {
	for k, v := range vals {
		s = strings.ReplaceAll(s, "{"+k+"}", v)
	}
	return s
}

// TestAccessMatrix sends every route of the API as every role (apiMatrix)
// on both databases, checks each status, and compares every table's rows
// before and after each route's requests: nothing any of them sends may
// change anything (the allowed state-changing cells are not sent). A
// route of api.Routes without a row fails, and so does a row for a route
// that is no longer served. IPREG_ACCESS_EXPLORE=1 (with -v) prints each
// row as answered instead of checking the statuses, to draft a new row.
func TestAccessMatrix(t *testing.T) {
	served := api.Routes()
	var rows []string
	for _, r := range apiMatrix {
		rows = append(rows, r.route)
		if !slices.Contains(served, r.route) {
			t.Errorf("the access matrix names %s, which is not served", r.route)
		}
	}
	for _, r := range served {
		if !slices.Contains(rows, r) {
			t.Errorf("route %s has no row in the access matrix (apiMatrix in access_matrix_test.go): say who may use it", r)
		}
	}
	explore := os.Getenv("IPREG_ACCESS_EXPLORE") != ""
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, kind)
			tokens, vals := matrixFixture(t, c)
			for _, r := range apiMatrix {
				cells := cellsOf(t, r)
				method := strings.Fields(r.route)[0]
				path := fill(r.path, vals)
				send := func(role string) response {
					switch r.body {
					case "":
						return c.raw(method, path, tokens[role], "", nil)
					case "multipart":
						ct, b := testbin.Multipart("cnic_front", "front.pdf", testbin.PDF("front"))
						return c.raw(method, path, tokens[role], ct, b)
					}
					return c.raw(method, path, tokens[role], "application/json", []byte(fill(r.body, vals)))
				}
				// The refusals first, between two snapshots: together they
				// change nothing at all, not even the audit log (allowed
				// reads record themselves, so they come after). Exploring,
				// every cell is a refusal until seen.
				got := make([]string, len(cells))
				before := snapshot(t, c)
				for _, refusals := range []bool{true, false} {
					for i, want := range cells {
						if want == A {
							got[i] = "A"
							continue
						}
						if refusals != (want >= 400 || explore) {
							continue
						}
						role := matrixRoles[i]
						res := send(role)
						got[i] = strconv.Itoa(res.status)
						if !explore && res.status != want {
							t.Errorf("%s %s as %s = %d, want %d: %.300s", method, path, role, res.status, want, res.body)
						}
					}
					if refusals {
						if diff := snapshotDiff(before, snapshot(t, c)); diff != "" {
							t.Errorf("%s: the refused requests (%s) changed the database:\n%s", r.route, strings.Join(got, " "), diff)
						}
					}
				}
				if explore {
					fmt.Printf("EXPLORE\t%s\t%s\n", r.route, strings.Join(got, " "))
				}
			}
		})
	}
}

// snapshot reads every table of the server's database but the feed's,
// which the publisher writes in the background on its own schedule.
func snapshot(t *testing.T, c *client) map[string][]string {
	t.Helper()
	s, err := c.db.Snapshot(context.Background())
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

// snapshotDiff names the rows that appeared or went between two
// snapshots, or "" when they are equal.
func snapshotDiff(before, after map[string][]string) string {
	var b strings.Builder
	tables := map[string]bool{}
	for k := range before {
		tables[k] = true
	}
	for k := range after {
		tables[k] = true
	}
	names := make([]string, 0, len(tables))
	for k := range tables {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, tb := range names {
		for _, row := range before[tb] {
			if !slices.Contains(after[tb], row) {
				fmt.Fprintf(&b, "  %s − %.200s\n", tb, row)
			}
		}
		for _, row := range after[tb] {
			if !slices.Contains(before[tb], row) {
				fmt.Fprintf(&b, "  %s + %.200s\n", tb, row)
			}
		}
	}
	return b.String()
}

// The generated Markdown: docs/access-matrix.md holds the API's section
// between these markers (another table can get a section of its own).
const (
	matrixDoc       = "../../docs/access-matrix.md"
	apiSectionBegin = "<!-- api-matrix:begin (generated by TestAccessMatrixDoc in internal/api) -->"
	apiSectionEnd   = "<!-- api-matrix:end -->"
	updateMatrixEnv = "IPREG_UPDATE_ACCESS_MATRIX"
)

// renderAPIMatrix renders apiMatrix as a Markdown table.
func renderAPIMatrix(t *testing.T) string {
	var b strings.Builder
	b.WriteString("| Route | " + strings.Join(matrixRoles, " | ") + " | Note |\n")
	b.WriteString("|---" + strings.Repeat("|---", len(matrixRoles)) + "|---|\n")
	for _, r := range apiMatrix {
		f := strings.Fields(r.cells)
		if len(f) != len(matrixRoles) {
			t.Fatalf("%s: %d cells for %d roles", r.route, len(f), len(matrixRoles))
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.route, strings.Join(f, " | "), r.why)
	}
	return b.String()
}

// TestAccessMatrixDoc checks that docs/access-matrix.md shows apiMatrix as
// it is; IPREG_UPDATE_ACCESS_MATRIX=1 rewrites the API's section instead.
func TestAccessMatrixDoc(t *testing.T) {
	replaceSection(t, matrixDoc, apiSectionBegin, apiSectionEnd, renderAPIMatrix(t))
}

// replaceSection compares the text between begin and end in the file with
// want, or writes want there when IPREG_UPDATE_ACCESS_MATRIX is set.
func replaceSection(t *testing.T, file, begin, end, want string) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", file, begin, end)
	}
	got := doc[i+len(begin)+1 : j]
	if got == want {
		return
	}
	if os.Getenv(updateMatrixEnv) == "" {
		t.Fatalf("%s is out of date with the access matrix; run %s=1 go test ./internal/api -run AccessMatrixDoc to regenerate it", file, updateMatrixEnv)
	}
	if err := os.WriteFile(file, []byte(doc[:i+len(begin)+1]+want+doc[j:]), 0o644); err != nil {
		t.Fatal(err)
	}
}
