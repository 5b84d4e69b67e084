package portal_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/registry"
)

// Each page says what the person needs now (issue 12): these tests walk
// the states of an application and check what its pages say in each.

// stateApp brings a fresh company_vpn application of its own account to
// state, through the service as the people involved would.
func (e *env) stateApp(state registry.State, email string) (*registry.User, *registry.Application) {
	e.t.Helper()
	u := e.signup(email, "Holder of "+email, "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	a := e.apply(u, "14.1.104.0/24", "Staff reach the office from home.", state != registry.StateDraft)
	if state != registry.StateDraft && state != registry.StateOperatorCheck && state != registry.StateWithdrawn {
		e.confirmChecks(ptcl)
	}
	var err error
	switch state {
	case registry.StateReturned:
		_, _, err = e.svc.Decide(e.ctx, reviewer, a.ID, registry.DecisionInput{Decision: "return", Note: "Name the office in Lahore."})
	case registry.StateApproved:
		_, _, err = e.svc.Decide(e.ctx, reviewer, a.ID, registry.DecisionInput{Decision: "approve"})
	case registry.StateRejected:
		_, _, err = e.svc.Decide(e.ctx, reviewer, a.ID, registry.DecisionInput{Decision: "reject", ReasonCode: registry.ReasonCodeList()[0], Note: "See the reason."})
	case registry.StateWithdrawn:
		_, err = e.svc.Withdraw(e.ctx, u, a.ID)
	}
	if err != nil {
		e.t.Fatalf("bring %s to %s: %v", a.ID, state, err)
	}
	if a, err = e.svc.GetApplication(e.ctx, u, a.ID); err != nil {
		e.t.Fatal(err)
	}
	if a.State != state {
		e.t.Fatalf("%s is %s, want %s", a.ID, a.State, state)
	}
	return u, a
}

// TestDecisionDueByState shows an application in every state to its
// holder and to a reviewer, and the holder's list of applications: the
// decision's due time (with its countdown) only while the regulator or the
// operator has to act; to the holder of a returned application what to
// fix instead of the reviewer's clock; when it was decided once it is.
func TestDecisionDueByState(t *testing.T) {
	e := newEnv(t)
	pktTime := func(a *registry.Application) string {
		return a.SLADueAt.In(registry.PKT.Loc).Format("2006-01-02 15:04 MST")
	}
	for i, tt := range []struct {
		state registry.State
		// On the application page, for the holder and for a reviewer.
		ownerDue, reviewerDue bool
		countdown             bool   // "(… left)" next to the due time, for whoever sees it
		reviewerWaits         bool   // the reviewer sees it is the applicant's turn
		decided               bool   // "Decided" and its time
		dashboard             string // what the holder's list says in the Decision column
	}{
		{state: registry.StateDraft, dashboard: "not submitted yet"},
		{state: registry.StateOperatorCheck, ownerDue: true, reviewerDue: true, countdown: true, dashboard: "due "},
		{state: registry.StateReview, ownerDue: true, reviewerDue: true, countdown: true, dashboard: "due "},
		{state: registry.StateReturned, reviewerDue: true, reviewerWaits: true, dashboard: "your turn: correct it and submit again"},
		{state: registry.StateApproved, decided: true, dashboard: "taken "},
		{state: registry.StateRejected, decided: true, dashboard: "taken "},
		{state: registry.StateWithdrawn, dashboard: "none: withdrawn"},
	} {
		t.Run(string(tt.state), func(t *testing.T) {
			email := "due" + string(rune('a'+i)) + "@example.pk"
			_, a := e.stateApp(tt.state, email)
			for _, who := range []struct {
				email, password string
				due             bool
			}{{email, "a long password", tt.ownerDue}, {"reviewer@demo.test", "demo-password-1", tt.reviewerDue}} {
				b := e.browser()
				b.login(who.email, who.password)
				p := b.get("/applications/" + a.ID)
				if p.status != 200 {
					t.Fatalf("%s: %d", who.email, p.status)
				}
				if got := strings.Contains(p.body, "Decision due"); got != who.due {
					t.Errorf("%s sees %q: %v, want %v", who.email, "Decision due", got, who.due)
				}
				if got := strings.Contains(p.body, " left)"); got != (who.due && tt.countdown) {
					t.Errorf("%s sees a countdown: %v, want %v", who.email, got, who.due && tt.countdown)
				}
				waits := who.email == "reviewer@demo.test" && tt.reviewerWaits
				if got := strings.Contains(p.body, "waiting for the applicant&#39;s corrections"); got != waits {
					t.Errorf("%s sees the applicant's turn: %v, want %v", who.email, got, waits)
				}
				if got := strings.Contains(p.body, "<dt>Decided</dt>"); got != tt.decided {
					t.Errorf("%s sees when it was decided: %v, want %v", who.email, got, tt.decided)
				}
				if tt.state == registry.StateReturned && who.email == email {
					for _, want := range []string{"What to fix", "Name the office in Lahore.", "submit again"} {
						if !strings.Contains(p.body, want) {
							t.Errorf("the holder of a returned application does not see %q", want)
						}
					}
				}
			}
			b := e.browser()
			b.login(email, "a long password")
			p := b.get("/dashboard")
			if !strings.Contains(p.body, tt.dashboard) {
				t.Errorf("dashboard does not say %q", tt.dashboard)
			}
			if due := !a.SLADueAt.IsZero() && strings.Contains(p.body, pktTime(a)); due != (tt.dashboard == "due ") {
				t.Errorf("dashboard shows the due time %s: %v", pktTime(a), due)
			}
		})
	}
}

// TestDecidedAppealNoDue: the supervisors' list of appeals gives a due
// time only for pending appeals; a decided one says when it was decided.
func TestDecidedAppealNoDue(t *testing.T) {
	e := newEnv(t)
	u, a := e.stateApp(registry.StateRejected, "appealer@example.pk")
	ap, err := e.svc.SubmitAppeal(e.ctx, u, a.ID, "The office is ours; the lease is attached.")
	if err != nil {
		t.Fatal(err)
	}
	supervisor := e.user("supervisor@demo.test", "demo-password-1")
	b := e.browser()
	b.login("supervisor@demo.test", "demo-password-1")
	due := ap.SLADueAt.In(registry.PKT.Loc).Format("2006-01-02 15:04 MST")
	if p := b.get("/appeals"); !strings.Contains(p.body, "due "+due) {
		t.Fatalf("the pending appeal's due time %s is not shown", due)
	}
	if _, _, _, err := e.svc.DecideAppeal(e.ctx, supervisor, ap.ID, registry.AppealDecisionInput{Decision: "uphold", Note: "The lease does not name the holder."}); err != nil {
		t.Fatal(err)
	}
	p := b.get("/appeals?state=all")
	if strings.Contains(p.body, due) || !strings.Contains(p.body, "taken ") {
		t.Errorf("a decided appeal shows its due time %s, or not when it was decided", due)
	}
}

// TestEditFormSaysWhatIsNeeded: the application form of a saved
// application lists as needed only the documents it still lacks, and a
// returned one shows the reviewer's note, also when a change is refused.
func TestEditFormSaysWhatIsNeeded(t *testing.T) {
	e := newEnv(t)
	const front, back, incorporation = "CNIC, front", "CNIC, back", "Incorporation or active-taxpayer proof"
	for i, tt := range []struct {
		name    string
		state   registry.State
		delete  registry.DocumentKind // deleted before the form is shown
		needed  []string
		uploads []string // listed as uploaded, not as needed
		note    bool
	}{
		{name: "draft complete", state: registry.StateDraft, uploads: []string{front, back, incorporation}},
		{name: "draft without the back", state: registry.StateDraft, delete: registry.DocCNICBack, needed: []string{back}, uploads: []string{front, incorporation}},
		{name: "returned", state: registry.StateReturned, note: true, uploads: []string{front, back, incorporation}},
		{name: "returned without the proof", state: registry.StateReturned, delete: registry.DocIncorporation, note: true, needed: []string{incorporation}, uploads: []string{front, back}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			email := "edit" + string(rune('a'+i)) + "@example.pk"
			u, a := e.stateApp(tt.state, email)
			for _, d := range a.Documents {
				if d.Kind == tt.delete {
					if err := e.svc.DeleteDocument(e.ctx, u, a.ID, d.ID); err != nil {
						t.Fatal(err)
					}
				}
			}
			b := e.browser()
			b.login(email, "a long password")
			pages := map[string]page{"edit": b.get("/applications/" + a.ID + "/edit")}
			// A change refused (an address that is not one) shows the form again.
			pages["refused"] = b.multipart("/applications/"+a.ID, map[string]string{"category": "company_vpn", "operator_id": "ptcl",
				"subscriber_id": "PTCL-42", "addresses": "14.1.104.0/24\nnot-an-address", "vpn_protocol": "wireguard", "purpose": "Staff reach the office from home."}, nil)
			for name, p := range pages {
				form := strings.Index(p.body, `<form method="post" action="/applications/`+a.ID+`"`)
				if form < 0 {
					t.Fatalf("%s: not the form (%d %s)", name, p.status, p.location)
				}
				if name == "refused" && p.status != 422 {
					t.Fatalf("the refused change = %d, want 422", p.status)
				}
				notice := p.body[:form]
				for _, doc := range tt.needed {
					if !strings.Contains(notice, doc) {
						t.Errorf("%s: %q is not listed as needed", name, doc)
					}
				}
				for _, doc := range tt.uploads {
					if strings.Contains(notice, "<li>"+doc) {
						t.Errorf("%s: %q, uploaded, is listed as needed", name, doc)
					}
				}
				// A returned application's reviewer may ask for a document
				// again: its form never says all are uploaded, and points to
				// the application's page, where documents are uploaded.
				returned := tt.state == registry.StateReturned
				if all := strings.Contains(notice, "All the documents needed are uploaded."); all != (len(tt.needed) == 0 && !returned) {
					t.Errorf("%s: says all documents are uploaded: %v", name, all)
				}
				if stay := strings.Contains(notice, "The documents uploaded before stay with the application"); stay != (len(tt.needed) == 0 && returned) {
					t.Errorf("%s: says the documents uploaded before stay: %v", name, stay)
				}
				if !strings.Contains(notice, `href="/applications/`+a.ID+`#documents"`) {
					t.Errorf("%s: no way to the documents' upload", name)
				}
				if got := strings.Contains(notice, "Name the office in Lahore.") && strings.Contains(notice, "What to fix"); got != tt.note {
					t.Errorf("%s: shows the reviewer's note: %v, want %v", name, got, tt.note)
				}
			}
		})
	}
}

// authAccepts is what a letter of authentication may be, as the
// registry says it (DocumentKind.Accepts).
var authAccepts = registry.DocAuthentication.Accepts()

// TestDocumentMeanings: what each document kind accepts is shown where
// documents are listed (the home page, the choice of category, the form,
// the application page with its upload form), in English and in Urdu, from
// the registry's one text that the refusal of a submission uses too; and a
// submission without documents names them in the order of the
// requirements.
func TestDocumentMeanings(t *testing.T) {
	e := newEnv(t)
	if authAccepts == "" || !strings.Contains(authAccepts, "invoice") {
		t.Fatalf("Accepts of the letter of authentication = %q", authAccepts)
	}
	u := e.signup("free@example.pk", "Free Lancer", "individual")
	cat, op, sub, proto, purpose := "freelancer_vpn", "ptcl", "PTCL-42", "wireguard", "I work for clients abroad from home."
	addrs := []string{"14.1.104.9"}
	a, err := e.svc.CreateApplication(e.ctx, u, registry.ApplicationInput{Category: &cat, OperatorID: &op, SubscriberID: &sub,
		Addresses: &addrs, VPNProtocol: &proto, Purpose: &purpose})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("free@example.pk", "a long password")
	for _, lang := range []string{"en", "ur"} {
		b.get("/lang/" + lang)
		want := authAccepts
		if lang == "ur" {
			want = "آجر یا کلائنٹ کا خط"
		}
		for _, path := range []string{"/", "/applications/new", "/applications/new?category=freelancer_vpn", "/applications/" + a.ID, "/applications/" + a.ID + "/edit"} {
			p := b.get(path)
			if p.status != 200 {
				t.Fatalf("%s (%s) = %d", path, lang, p.status)
			}
			if !strings.Contains(p.body, want) {
				t.Errorf("%s (%s) does not say what a letter of authentication is (%q)", path, lang, want)
			}
		}
		// The upload form explains the choice of document.
		p := b.get("/applications/" + a.ID)
		form := p.body[strings.Index(p.body, `action="/applications/`+a.ID+`/documents"`):]
		if i := strings.Index(form, "</form>"); i < 0 || !strings.Contains(form[:i], want) {
			t.Errorf("the upload form (%s) does not say what a letter of authentication is", lang)
		}
	}
	b.get("/lang/en")
	p := b.post("/applications/"+a.ID+"/submit", url.Values{})
	if p.status != 422 {
		t.Fatalf("submit without documents = %d", p.status)
	}
	summary := p.body[strings.Index(p.body, `id="errors"`):]
	summary = summary[:strings.Index(summary, "</div>")]
	at := -1
	for _, label := range []string{"CNIC, front", "CNIC, back", "Letter of authentication"} {
		i := strings.Index(summary, label)
		if i < 0 {
			t.Fatalf("the summary does not name %q:\n%s", label, summary)
		}
		if i < at {
			t.Errorf("%q comes before the document listed before it: the summary is not in the order of the requirements:\n%s", label, summary)
		}
		at = i
	}
	if !strings.Contains(summary, strings.ReplaceAll(authAccepts, "'", "&#39;")) {
		t.Errorf("the refusal does not say what a letter of authentication is:\n%s", summary)
	}
}

// TestOverlapFlagLive: a reviewer sees an overlap named with the other
// application's state of today, with a link to it, and no flag once the
// other has left; the applicant learns neither its id nor its state.
func TestOverlapFlagLive(t *testing.T) {
	e := newEnv(t)
	bob := e.signup("bob@example.pk", "Bob Exports", "company")
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	other := e.applyVia(bob, "ptcl", "14.1.104.0/24") // operator_check
	a := e.applyVia(alice, "ptcl", "14.1.104.5")      // flagged: overlaps bob's, in operator_check then
	reviewer, applicant := e.browser(), e.browser()
	reviewer.login("reviewer@demo.test", "demo-password-1")
	applicant.login("alice@example.pk", "a long password")
	link := `href="/applications/` + other.ID + `"`
	for _, tt := range []struct {
		step   string
		do     func()
		names  string // what the reviewer's flag says of the other application; "" for no flag
		frozen string // what the flag of the submission said, and no longer may
	}{
		{"submitted", func() {}, "another account's application (With the operator)", ""},
		{"other in review", func() { e.confirmChecks(ptcl) }, "another account's application (In review)", "another account's application (With the operator)"},
		{"other withdrawn", func() {
			if _, err := e.svc.Withdraw(e.ctx, bob, other.ID); err != nil {
				t.Fatal(err)
			}
		}, "", other.ID},
	} {
		t.Run(tt.step, func(t *testing.T) {
			tt.do()
			p := reviewer.get("/applications/" + a.ID)
			p.body = strings.ReplaceAll(p.body, "&#39;", "'")
			if tt.names != "" {
				if !strings.Contains(p.body, tt.names) || !strings.Contains(p.body, link) {
					t.Errorf("the reviewer's flag does not name %q with a link to it", tt.names)
				}
			} else if strings.Contains(p.body, "Overlaps another holder") {
				t.Errorf("the reviewer still sees an overlap flag after the other application left")
			}
			if tt.frozen != "" && strings.Contains(p.body, tt.frozen) {
				t.Errorf("the reviewer's page still says %q", tt.frozen)
			}
			for _, lang := range []string{"en", "ur"} {
				applicant.get("/lang/" + lang)
				p := applicant.get("/applications/" + a.ID)
				if strings.Contains(p.body, other.ID) {
					t.Errorf("the applicant (%s) learns the other account's application %s", lang, other.ID)
				}
			}
			applicant.get("/lang/en")
		})
	}
}

// TestEditFormAmendmentNeedsNoDocuments: a returned amendment's form shows
// the reviewer's note and says that it needs no documents, rather than
// that all were uploaded.
func TestEditFormAmendmentNeedsNoDocuments(t *testing.T) {
	e := newEnv(t)
	u, a := e.stateApp(registry.StateApproved, "amender@example.pk")
	_, am, err := e.svc.Amend(e.ctx, u, a.Registration, registry.AmendmentInput{Add: []string{"14.1.105.0/24"}})
	if err != nil || am == nil {
		t.Fatalf("amend: %v", err)
	}
	e.confirmChecks(e.user("operator.ptcl@demo.test", "demo-password-1"))
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	if _, _, err := e.svc.Decide(e.ctx, reviewer, am.ID, registry.DecisionInput{Decision: "return", Note: "Which office uses the new prefix?"}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.login("amender@example.pk", "a long password")
	p := b.get("/applications/" + am.ID + "/edit")
	for _, want := range []string{"Which office uses the new prefix?", "No documents are needed"} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the returned amendment's form (%d) does not say %q", p.status, want)
		}
	}
	if strings.Contains(p.body, "All the documents needed are uploaded.") {
		t.Errorf("the amendment's form says its documents are uploaded")
	}
}
