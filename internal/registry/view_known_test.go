package registry_test

import (
	"encoding/json"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestWritesAnswerTheViewAGetGives checks that a write answering with
// the application (creating a draft, submitting it, resubmitting it once
// returned, submitting a renewal) answers exactly what a GET of it right
// after shows, on every store. The writes fill part of that view from
// what their transaction held instead of reading it back (viewKnown): a
// part filled wrongly, or left out, shows here as a difference.
func TestWritesAnswerTheViewAGetGives(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		u := h.applicant("company")
		same := func(step string, got *Application) {
			t.Helper()
			want, err := h.svc.GetApplication(h.ctx, u, got.ID)
			if err != nil {
				t.Fatal(err)
			}
			g, w := emptyAsNull(t, got), emptyAsNull(t, want)
			if g != w {
				t.Errorf("%s answered\n%s\nbut a GET right after shows\n%s", step, g, w)
			}
		}
		a, err := h.svc.CreateApplication(h.ctx, u, companyApp("39.32.4.0/30"))
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Events) != 1 || a.Documents == nil || a.Account == nil {
			t.Fatalf("a new draft's view: %d events, documents %v, account %v; want its one event, an empty list, its account", len(a.Events), a.Documents, a.Account)
		}
		same("creating a draft", a)
		for _, r := range RequiredDocuments(a.Category) {
			k := string(r.Kinds[0])
			if _, err := h.svc.UploadDocument(h.ctx, u, a.ID, UploadInput{Kind: k, Filename: k + ".pdf", Content: testbin.PDF(k)}); err != nil {
				t.Fatal(err)
			}
		}
		s, err := h.svc.Submit(h.ctx, u, a.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Documents) != len(RequiredDocuments(a.Category)) || len(s.Events) < 4 {
			t.Fatalf("a submission's view: %d documents, %d events", len(s.Documents), len(s.Events))
		}
		same("submitting", s)

		h.confirm(a.ID)
		if _, _, err := h.svc.Decide(h.ctx, h.staff("reviewer"), a.ID, DecisionInput{Decision: "return", Note: "Name the office."}); err != nil {
			t.Fatal(err)
		}
		r, err := h.svc.Submit(h.ctx, u, a.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		same("resubmitting", r)

		// A renewal's submission reads no documents: its view reads them,
		// in the renewal's own transaction.
		ru, reg := h.registered(30, "39.32.8.0/30")
		u = ru
		n, err := h.svc.Renew(h.ctx, ru, reg.Number, ApplicationInput{})
		if err != nil {
			t.Fatal(err)
		}
		same("submitting a renewal", n)
	})
}

// emptyAsNull is v in JSON with every empty list written as null: an
// empty list and none are the same to the API (views.go) and to readers,
// and a record read back has the one where the write held the other.
func emptyAsNull(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	var walk func(any) any
	walk = func(x any) any {
		switch x := x.(type) {
		case map[string]any:
			for k, v := range x {
				x[k] = walk(v)
			}
		case []any:
			if len(x) == 0 {
				return nil
			}
			for i, v := range x {
				x[i] = walk(v)
			}
		}
		return x
	}
	b, _ = json.Marshal(walk(x))
	return string(b)
}
