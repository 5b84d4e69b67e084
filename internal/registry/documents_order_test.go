package registry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// An upload to an application that does not exist, is another account's
// or takes no documents is refused before its content is looked at: with
// every PDF check busy, the answer is still about the application, not
// "the server is busy" (which would mean the PDF was queued for parsing).
func TestUploadChecksApplicationFirst(t *testing.T) {
	busy := auth.NewGate(1, 0, time.Millisecond)
	held, done := make(chan struct{}), make(chan struct{})
	go busy.Do(context.Background(), func() { close(held); <-done })
	<-held
	t.Cleanup(func() { close(done) })
	eachStoreWith(t, func(c *Config) { c.PDFGate = busy }, func(t *testing.T, h *harness) {
		alice, bob := h.applicant("company"), h.applicant("company")
		a, err := h.svc.CreateApplication(h.ctx, alice, companyApp("14.1.104.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		withdrawn, err := h.svc.CreateApplication(h.ctx, alice, companyApp("14.1.105.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.svc.Withdraw(h.ctx, alice, withdrawn.ID); err != nil {
			t.Fatal(err)
		}
		pdf := testbin.PDF("CNIC front")
		for _, tt := range []struct {
			name string
			u    *User
			app  string
			code Code
		}{
			{"an application that does not exist", alice, "app_doesnotexist00", ENOTFOUND},
			{"another account's application", bob, a.ID, ENOTFOUND},
			{"a withdrawn application", alice, withdrawn.ID, ECONFLICT},
			{"the applicant's own draft reaches the (busy) PDF check", alice, a.ID, EUNAVAILABLE},
		} {
			_, err := h.svc.UploadDocument(h.ctx, tt.u, tt.app, UploadInput{Kind: "cnic_front", Filename: "c.pdf", Content: pdf})
			if ErrorCode(err) != tt.code {
				t.Errorf("%s: %v; want %s", tt.name, err, tt.code)
			}
			if err := h.svc.CheckDocumentUpload(h.ctx, tt.u, tt.app); tt.code != EUNAVAILABLE && ErrorCode(err) != tt.code {
				t.Errorf("CheckDocumentUpload, %s: %v; want %s", tt.name, err, tt.code)
			}
		}
	})
}

// An account checks one PDF at a time: while one of its PDFs is being
// checked, another waits briefly and is then refused with ETOOMANY and a
// RetryAfter; other accounts and images are not held up.
func TestUploadOnePDFPerAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		alice, bob := h.applicant("company"), h.applicant("company")
		mine, err := h.svc.CreateApplication(h.ctx, alice, companyApp("14.1.104.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		theirs, err := h.svc.CreateApplication(h.ctx, bob, companyApp("14.1.105.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		pdf := testbin.PDF("CNIC front")
		release := HoldPDFSlot(h.svc, alice.AccountID)
		_, err = h.svc.UploadDocument(h.ctx, alice, mine.ID, UploadInput{Kind: "cnic_front", Filename: "c.pdf", Content: pdf})
		var e *Error
		if ErrorCode(err) != ETOOMANY || !errors.As(err, &e) || e.RetryAfter <= 0 || e.Fields["file"] == "" {
			t.Errorf("a second PDF of one account: %v; want ETOOMANY with RetryAfter under file", err)
		}
		if _, err := h.svc.UploadDocument(h.ctx, alice, mine.ID, UploadInput{Kind: "cnic_back", Filename: "b.jpg", Content: encodedImage(t, "jpeg", 40, 25)}); err != nil {
			t.Errorf("an image while a PDF is checked: %v", err)
		}
		if _, err := h.svc.UploadDocument(h.ctx, bob, theirs.ID, UploadInput{Kind: "cnic_front", Filename: "c.pdf", Content: pdf}); err != nil {
			t.Errorf("another account's PDF: %v", err)
		}
		release()
		if _, err := h.svc.UploadDocument(h.ctx, alice, mine.ID, UploadInput{Kind: "cnic_front", Filename: "c.pdf", Content: pdf}); err != nil {
			t.Errorf("the PDF once the slot is free: %v", err)
		}
	})
}

// An upload permit is the check of one applicant: used by another, the
// application is checked afresh for them (and is not theirs), and nothing
// is recorded; used by its own applicant, it uploads.
func TestUploadPermitIsPerActor(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		alice, bob := h.applicant("company"), h.applicant("company")
		mine, err := h.svc.CreateApplication(h.ctx, alice, companyApp("14.1.106.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		permit, err := h.svc.PrepareDocumentUpload(h.ctx, alice, mine.ID)
		if err != nil || permit.Limit <= 0 {
			t.Fatalf("PrepareDocumentUpload = %+v, %v; want a permit with the size limit", permit, err)
		}
		in := UploadInput{Kind: "cnic_front", Filename: "c.pdf", Content: testbin.PDF("CNIC front")}
		if _, err := h.svc.UploadPrepared(h.ctx, bob, permit, in); ErrorCode(err) != ENOTFOUND {
			t.Errorf("alice's permit used by bob: %v; want ENOTFOUND", err)
		}
		if _, err := h.svc.UploadPrepared(h.ctx, alice, permit, in); err != nil {
			t.Errorf("alice's permit used by alice: %v", err)
		}
		docs, err := h.svc.ListDocuments(h.ctx, alice, mine.ID)
		if err != nil || len(docs) != 1 {
			t.Errorf("documents = %d, %v; want the one alice uploaded", len(docs), err)
		}
	})
}
