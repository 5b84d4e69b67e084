package registry_test

import (
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// Every free-text field shown to other people (to reviewers, operators, the
// public) refuses the invisible characters that reorder or hide text, as
// the account's name does: they all go through one validator. A purpose
// with U+202E was once stored and shown to the reviewer reversed.
func TestFreeTextRefusesBidiControls(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		alice, inReview := h.inReview("14.1.104.0/24")
		bob, rejected := h.inReview("14.1.106.0/24")
		if _, _, err := svc.Decide(ctx, h.staff("reviewer"), rejected.ID, DecisionInput{Decision: "reject", ReasonCode: "insufficient_purpose"}); err != nil {
			t.Fatal(err)
		}
		draft := func(in ApplicationInput) error { _, err := svc.CreateApplication(ctx, alice, in); return err }
		for _, bad := range []string{"pay\u202eyap", "a\u200bb", "\u2067x\u2069", "x\u200e", "\ufeffx"} {
			for _, tc := range []struct {
				field string
				call  func(v string) error
			}{
				{"purpose", func(v string) error { in := companyApp("14.1.105.0/24"); in.Purpose = &v; return draft(in) }},
				{"subscriber_id", func(v string) error { in := companyApp("14.1.105.0/24"); in.SubscriberID = &v; return draft(in) }},
				{"note", func(v string) error {
					_, _, err := svc.Decide(ctx, h.staff("reviewer"), inReview.ID, DecisionInput{Decision: "return", Note: v})
					return err
				}},
				{"statement", func(v string) error { _, err := svc.SubmitAppeal(ctx, bob, rejected.ID, v); return err }},
				{"name", func(v string) error {
					_, err := svc.AddOperator(ctx, System, Operator{ID: "newop", Name: v, Kind: OperatorFixed})
					return err
				}},
				{"reason", func(v string) error { _, err := svc.Surrender(ctx, alice, "VPN-2026-000001", v); return err }},
			} {
				t.Run(tc.field, func(t *testing.T) {
					wantCode(t, tc.call(bad), EINVALID, tc.field, "invisible character")
				})
			}
		}
		// Nothing was stored: no new application, no new operator, and the
		// one in review is still in review.
		apps, err := svc.ListApplications(ctx, alice, AppFilter{})
		if err != nil || len(apps) != 1 {
			t.Errorf("applications after the refusals = %d, %v; want only the one in review", len(apps), err)
		}
		if a, err := svc.GetApplication(ctx, alice, inReview.ID); err != nil || a.State != StateReview {
			t.Errorf("application = %+v, %v; want it still in review", a, err)
		}
		if a, err := svc.GetApplication(ctx, bob, rejected.ID); err != nil || a.State != StateRejected || len(a.Appeals) != 0 {
			t.Errorf("rejected application = %+v, %v; want it rejected, not appealed", a, err)
		}
		// Urdu's joiners and plain multi-line text stay allowed.
		p := "ہمارے دفتر کا نظام\u200c\nOffice ERP"
		in := companyApp("14.1.105.0/24")
		in.Purpose = &p
		a, err := svc.CreateApplication(ctx, alice, in)
		if err != nil || a.Purpose != p {
			t.Fatalf("purpose with a joiner and a newline = %+v, %v; want it stored as sent", a, err)
		}
	})
}
