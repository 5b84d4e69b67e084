package registry_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/notify"
	. "github.com/ipreg/ipreg/internal/registry"
)

// withRealCertificates is withPostbox without a stand-in Attach: the
// service attaches the registration's real certificate.
func withRealCertificates(t *testing.T) func(*Config) {
	return func(c *Config) {
		withPostbox(nil)(c)
		c.Attach = nil
		c.CertificateKeys = certificate.Keys{Dir: t.TempDir()}
	}
}

// mailWith finds the one e-mail whose subject starts with prefix.
func mailWith(t *testing.T, mails []notify.Email, prefix string) notify.Email {
	t.Helper()
	var found []notify.Email
	var subjects []string
	for _, m := range mails {
		subjects = append(subjects, m.Subject)
		if strings.HasPrefix(m.Subject, prefix) {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d e-mails with a subject starting %q; subjects: %q", len(found), prefix, subjects)
	}
	return found[0]
}

// wantCertificate checks that m carries the registration's certificate,
// the real PDF the certificate part makes (its QR payload names the number).
func wantCertificate(t *testing.T, m notify.Email, number string) {
	t.Helper()
	if len(m.Attachments) != 1 || m.Attachments[0].Name != number+".pdf" || m.Attachments[0].ContentType != "application/pdf" ||
		!bytes.HasPrefix(m.Attachments[0].Data, []byte("%PDF-")) || !bytes.Contains(m.Attachments[0].Data, []byte("/verify/"+number)) {
		var names []string
		for _, a := range m.Attachments {
			names = append(names, a.Name)
		}
		t.Fatalf("%q attachments %v; want the certificate of %s", m.Subject, names, number)
	}
}

// The lifecycle's approvals through every path — a new application, a
// renewal, an appeal overturned to approval — mail the real certificate,
// and a renewal's message says it is a renewal.
func TestLifecycleApprovalsMailTheCertificate(t *testing.T) {
	eachStoreWith(t, withRealCertificates(t), func(t *testing.T, h *harness) {
		ctx, svc, box := h.ctx, h.svc, h.box
		u, reg := h.registered(30, "14.1.104.0/24")
		h.deliver()
		mails, _ := box.take()
		wantCertificate(t, mailWith(t, mails, "Approved: registration "+reg.Number), reg.Number)

		// A renewal (open: the registration ends within 60 days) that adds
		// nothing goes straight to review.
		ren, err := svc.Renew(ctx, u, reg.Number, ApplicationInput{})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Decide(ctx, h.staff("reviewer"), ren.ID, DecisionInput{Decision: "approve"}); err != nil {
			t.Fatal(err)
		}
		h.deliver()
		mails, _ = box.take()
		m := mailWith(t, mails, "Renewed: registration "+reg.Number)
		wantCertificate(t, m, reg.Number)
		if !strings.Contains(m.Text, "superseded") || !strings.Contains(m.Text, "keeps its number") {
			t.Errorf("renewal message: %s", m.Text)
		}

		// Rejected by one supervisor, approved on appeal by another.
		alice, a := h.inReview("14.1.106.0/24")
		if _, _, err := svc.Decide(ctx, h.staff("supervisor"), a.ID, DecisionInput{Decision: "reject", ReasonCode: "insufficient_purpose"}); err != nil {
			t.Fatal(err)
		}
		ap, err := svc.SubmitAppeal(ctx, alice, a.ID, "The purpose is our head office ERP; the contract is attached.")
		if err != nil {
			t.Fatal(err)
		}
		sup2 := h.secondSupervisor()
		h.deliver()
		box.take()
		_, _, areg, err := svc.DecideAppeal(ctx, sup2, ap.ID, AppealDecisionInput{Decision: "overturn", Outcome: OutcomeApprove})
		if err != nil || areg == nil {
			t.Fatalf("overturn: %v, %v", areg, err)
		}
		h.deliver()
		mails, texts := box.take()
		// One e-mail, which is the approval too, and the approval's SMS.
		if len(mails) != 1 || len(texts) != 1 {
			t.Fatalf("after the overturn: %d e-mails, %d texts %+v; want one of each", len(mails), len(texts), texts)
		}
		m = mailWith(t, mails, "Appeal succeeded: application "+a.ID+" approved, registration "+areg.Number)
		wantCertificate(t, m, areg.Number)
		if !strings.Contains(m.Text, "has been approved") || !strings.Contains(m.Text, "Valid until: "+areg.ValidUntil.In(PKT.Loc).Format("2006-01-02")) {
			t.Errorf("appeal message does not say it is approved until when: %s", m.Text)
		}
		if !strings.Contains(texts[0].Text, "approved") || !strings.Contains(texts[0].Text, areg.Number) {
			t.Errorf("approval SMS = %+v", texts[0])
		}
	})
}

// An appeal overturned to a return tells the applicant what to fix, by
// e-mail (one, the appeal's) and by the return's SMS; an upheld appeal
// sends its e-mail only.
func TestAppealReturnAndUpholdMessages(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		ctx, svc, box := h.ctx, h.svc, h.box
		sup2 := h.secondSupervisor()
		_, a, ap := h.rejectAndAppeal("14.1.104.0/24", "Please look again.")
		h.deliver()
		box.take()
		if _, _, _, err := svc.DecideAppeal(ctx, sup2, ap.ID, AppealDecisionInput{Decision: "overturn", Outcome: OutcomeReturn, Note: "Attach the signed contract."}); err != nil {
			t.Fatal(err)
		}
		h.deliver()
		mails, texts := box.take()
		if len(mails) != 1 || len(texts) != 1 {
			t.Fatalf("after the return: %d e-mails, %d texts %+v; want one of each", len(mails), len(texts), texts)
		}
		m := mailWith(t, mails, "Appeal succeeded: application "+a.ID+" returned for correction")
		if !strings.Contains(m.Text, "What to fix:\nAttach the signed contract.") || strings.Contains(m.Text, "returned for correction on appeal:") {
			t.Errorf("return on appeal message: %s", m.Text)
		}
		if !strings.Contains(texts[0].Text, "returned for correction") || !strings.Contains(texts[0].Text, a.ID) {
			t.Errorf("return SMS = %+v", texts[0])
		}

		_, b, bp := h.rejectAndAppeal("14.1.106.0/24", "Please look again.")
		h.deliver()
		box.take()
		if _, _, _, err := svc.DecideAppeal(ctx, sup2, bp.ID, AppealDecisionInput{Decision: "uphold", Note: "No contract shown."}); err != nil {
			t.Fatal(err)
		}
		h.deliver()
		mails, texts = box.take()
		if len(mails) != 1 || len(texts) != 0 {
			t.Fatalf("after the uphold: %d e-mails, %d texts %+v; want one e-mail", len(mails), len(texts), texts)
		}
		m = mailWith(t, mails, "Your appeal about application "+b.ID+" has been decided")
		if !strings.Contains(m.Text, "the decision stands") || !strings.Contains(m.Text, "No contract shown.") {
			t.Errorf("uphold message: %s", m.Text)
		}
	})
}

// The staff digest words what is overdue: plural forms, categories by
// name, times in PKT, in each reader's language; supervisors also get the
// overdue appeals they decide, reviewers only applications.
func TestDigestWordsAndAppeals(t *testing.T) {
	eachStoreWith(t, withPostbox(nil), func(t *testing.T, h *harness) {
		ctx, svc, box := h.ctx, h.svc, h.box
		sup2 := h.secondSupervisor()
		if _, err := svc.SetLanguage(ctx, sup2, "ur"); err != nil {
			t.Fatal(err)
		}
		_, _, ap := h.rejectAndAppeal("14.1.104.0/24", "Please look again.")
		_, a := h.inReview("14.1.106.0/24")
		h.deliver()
		box.take()
		// Past both due times (the appeal's is five working days on).
		h.clock.Add(10 * 24 * time.Hour)
		if n, err := svc.SendDigests(ctx); err != nil || n != 3 {
			t.Fatalf("SendDigests = %d, %v; want the reviewer and both supervisors", n, err)
		}
		h.deliver()
		mails, _ := box.take()
		due := a.SLADueAt.In(PKT.Loc).Format("2006-01-02 15:04") + " PKT"
		apDue := ap.SLADueAt.In(PKT.Loc).Format("2006-01-02 15:04") + " PKT"
		got := map[string]string{}
		for _, m := range mails {
			got[strings.Split(m.To, "@")[0]] = m.Subject + "\n" + m.Text + "\n" + m.HTML
		}
		rev, sup, ur := got["reviewer"], got["supervisor"], got["supervisor2"]
		for _, want := range []string{"Past their due time: 1 application (", "1 application waiting for the registry is past the due time",
			"Application " + a.ID + " (Company VPN), due " + due} {
			if !strings.Contains(rev, want) {
				t.Errorf("reviewer's digest lacks %q:\n%s", want, rev)
			}
		}
		if strings.Contains(rev, ap.ID) || strings.Contains(rev, "company_vpn") {
			t.Errorf("reviewer's digest lists the appeal or a category code:\n%s", rev)
		}
		for _, want := range []string{"1 application and 1 appeal waiting for the registry are past the due time",
			"Appeal " + ap.ID + " about application " + ap.ApplicationID + " (Company VPN), due " + apDue} {
			if !strings.Contains(sup, want) {
				t.Errorf("supervisor's digest lacks %q:\n%s", want, sup)
			}
		}
		for _, want := range []string{"1 درخواست اور 1 اپیل", "کمپنی وی پی این", apDue, "<bdi>" + ap.ID + "</bdi>"} {
			if !strings.Contains(ur, want) {
				t.Errorf("Urdu digest lacks %q:\n%s", want, ur)
			}
		}
		if strings.Contains(ur, "company_vpn") || strings.Contains(ur, "درخواستیں") {
			t.Errorf("Urdu digest has a code or a plural for one:\n%s", ur)
		}
	})
}
