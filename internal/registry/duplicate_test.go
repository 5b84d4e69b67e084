package registry_test

import (
	"strconv"
	"strings"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

func mobileApp(numbers ...string) ApplicationInput {
	return ApplicationInput{Category: ptr("mobile_vpn"), OperatorID: ptr("jazz"), SubscriberID: ptr("JAZZ-771"),
		MobileNumbers: &numbers, VPNProtocol: ptr("wireguard"), VPNEndpoints: ptr([]string{"vpn.example.com"}),
		Purpose: ptr("I reach my client's build servers from home.")}
}

// One account filing the same address or number in two applications gets
// a duplicate_own flag (issue 11 §6: "one account filing the same prefix
// twice gets no flag, and both were approved as two registrations"), so
// the reviewer sees it before approving the second.
func TestDuplicateWithinAccount(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		reviewer := h.staff("reviewer")
		for _, tt := range []struct {
			name          string
			kind          string
			first, second ApplicationInput
			firstState    string // "submitted", "draft", "withdrawn", "approved"
			wantItems     []string
		}{
			{"the same prefix twice", "company", companyApp("14.1.104.0/24"), companyApp("14.1.104.0/24"), "submitted", []string{"14.1.104.0/24"}},
			{"a prefix inside an earlier one", "company", companyApp("14.1.110.0/24"), companyApp("14.1.110.128/25", "14.1.111.1"), "submitted", []string{"14.1.110.128/25"}},
			{"a prefix around an earlier host", "company", companyApp("14.1.112.9"), companyApp("14.1.112.0/24"), "submitted", []string{"14.1.112.0/24"}},
			{"held by the account's registration", "company", companyApp("14.1.113.0/24"), companyApp("14.1.113.0/24"), "approved", []string{"14.1.113.0/24"}},
			{"the same mobile number twice", "individual", mobileApp("0300-1234567"), mobileApp("+92 300 1234567", "03001234568"), "submitted", []string{"923001234567"}},
			{"neighbours do not overlap", "company", companyApp("14.1.114.0/24"), companyApp("14.1.115.0/24"), "submitted", nil},
			{"a draft holds nothing", "company", companyApp("14.1.116.0/24"), companyApp("14.1.116.0/24"), "draft", nil},
			{"nor does a withdrawn application", "company", companyApp("14.1.117.0/24"), companyApp("14.1.117.0/24"), "withdrawn", nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				u := h.applicant(tt.kind)
				first, err := h.create(u, tt.first)
				if err != nil {
					t.Fatal(err)
				}
				if tt.firstState != "draft" {
					if _, err := svc.Submit(ctx, u, first.ID, nil); err != nil {
						t.Fatal(err)
					}
				}
				switch tt.firstState {
				case "withdrawn":
					if _, err := svc.Withdraw(ctx, u, first.ID); err != nil {
						t.Fatal(err)
					}
				case "approved":
					op := h.staff("operator.ptcl")
					cs, _ := svc.ListChecks(ctx, op, CheckPending)
					for _, c := range cs {
						if c.ApplicationID == first.ID {
							if _, err := svc.AnswerCheck(ctx, op, c.ID, "confirmed", ""); err != nil {
								t.Fatal(err)
							}
						}
					}
					if _, _, err := svc.Decide(ctx, reviewer, first.ID, DecisionInput{Decision: "approve"}); err != nil {
						t.Fatal(err)
					}
				}
				second, err := h.create(u, tt.second)
				if err != nil {
					t.Fatal(err)
				}
				if second, err = svc.Submit(ctx, u, second.ID, nil); err != nil {
					t.Fatal(err)
				}
				// What the applicant is told names her own application.
				var items []string
				for _, f := range second.Flags {
					if f.Code == FlagOverlap {
						t.Errorf("an own application flagged as another account's: %+v", f)
					}
					if f.Code != FlagDuplicateOwn {
						continue
					}
					items = append(items, f.Item)
					if !strings.Contains(f.Detail, first.ID) && !strings.Contains(f.Detail, "registration VPN-") {
						t.Errorf("detail does not say which: %q", f.Detail)
					}
				}
				if strings.Join(items, ",") != strings.Join(tt.wantItems, ",") {
					t.Errorf("duplicate_own items = %v, want %v (flags %+v)", items, tt.wantItems, second.Flags)
				}
				// The reviewer sees it too.
				full, err := svc.GetApplication(ctx, reviewer, second.ID)
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, f := range full.Flags {
					if f.Code == FlagDuplicateOwn {
						n++
					}
				}
				if n != len(tt.wantItems) {
					t.Errorf("reviewer sees %d duplicate_own flags, want %d", n, len(tt.wantItems))
				}
			})
		}
		// The queue filters on it, once the operator has answered.
		for _, op := range []string{"operator.ptcl", "operator.jazz"} {
			o := h.staff(op)
			cs, _ := svc.ListChecks(ctx, o, CheckPending)
			for _, c := range cs {
				if _, err := svc.AnswerCheck(ctx, o, c.ID, "confirmed", ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		q, err := svc.ReviewQueue(ctx, reviewer, QueueFilter{Flag: FlagDuplicateOwn})
		if err != nil {
			t.Fatal(err)
		}
		// Five in review: the second of the same prefix, inside, around,
		// held by a registration, and the mobile number.
		if len(q) != 5 {
			t.Errorf("queue with flag duplicate_own = %d applications, want 5", len(q))
		}
	})
}

// duplicate_own survives many overlaps with other accounts (tester's
// report on issue 11 §6): Overlaps listed at most 20 items in application
// ID order, so 20 or more of another account's, sorting first, pushed the
// account's own duplicate out and no flag said so. The account's own are
// now listed and limited apart, and what is cut is counted: the reviewer
// reads "and N more".
func TestDuplicateOwnNotCutByOverlapLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		reviewer := h.staff("reviewer")
		b, other := h.applicant("company"), h.applicant("company")
		// Another account files OverlapLimit+1 hosts of the /24 in an
		// application whose ID sorts before B's. IDs are random: the other
		// account's lowest of eight drafts is taken, then B's drafts are
		// made until one sorts after it (drafts hold nothing, so the rest
		// do not count).
		hosts := make([]string, OverlapLimit+1)
		for i := range hosts {
			hosts[i] = "14.1.150." + strconv.Itoa(i+1)
		}
		var many *Application
		for range 8 {
			a, err := svc.CreateApplication(ctx, other, companyApp(hosts...))
			if err != nil {
				t.Fatal(err)
			}
			if many == nil || a.ID < many.ID {
				many = a
			}
		}
		var first *Application
		for try := 0; first == nil; try++ {
			if try == 256 {
				t.Fatal("no application ID sorted after " + many.ID)
			}
			a, err := h.create(b, companyApp("14.1.150.0/24"))
			if err != nil {
				t.Fatal(err)
			}
			if a.ID > many.ID {
				first = a
			}
		}
		if _, err := svc.Submit(ctx, b, first.ID, nil); err != nil {
			t.Fatal(err)
		}
		for _, r := range RequiredDocuments(many.Category) {
			k := string(r.Kinds[0])
			if _, err := svc.UploadDocument(ctx, other, many.ID, UploadInput{Kind: k, Filename: k + ".pdf", Content: testbin.PDF(k)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Submit(ctx, other, many.ID, nil); err != nil {
			t.Fatal(err)
		}

		second, err := h.create(b, companyApp("14.1.150.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Submit(ctx, b, second.ID, nil); err != nil {
			t.Fatal(err)
		}
		full, err := svc.GetApplication(ctx, reviewer, second.ID)
		if err != nil {
			t.Fatal(err)
		}
		var dup, overlaps, more []string
		for _, f := range full.Flags {
			switch {
			case f.With == nil && (f.Code == FlagOverlap || f.Code == FlagDuplicateOwn):
				more = append(more, f.Detail)
			case f.Code == FlagDuplicateOwn:
				dup = append(dup, f.With.ApplicationID)
			case f.Code == FlagOverlap:
				overlaps = append(overlaps, f.With.ApplicationID)
			}
		}
		if len(dup) != 1 || dup[0] != first.ID {
			t.Errorf("duplicate_own flags name %v, want [%s] (flags %+v)", dup, first.ID, full.Flags)
		}
		if len(overlaps) != OverlapLimit {
			t.Errorf("%d overlap flags listed, want %d", len(overlaps), OverlapLimit)
		}
		if want := "14.1.150.0/24: and 1 more overlapping items of other accounts, not listed"; len(more) != 1 || more[0] != want {
			t.Errorf("what is cut: %q, want [%q]", more, want)
		}
	})
}

// An applicant whose address overlaps several other accounts' applications
// reads one sentence for it, on submit and on every read, while the
// reviewer sees each overlap (tester's report on issue 11 §6: one
// identical sentence per other application told how many there were).
func TestCutOverlapsOneSentencePerItem(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		for i := range 3 {
			o := h.applicant("company")
			a, err := h.create(o, companyApp("14.1.160."+strconv.Itoa(i+1)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Submit(ctx, o, a.ID, nil); err != nil {
				t.Fatal(err)
			}
		}
		b := h.applicant("company")
		a, err := h.create(b, companyApp("14.1.160.0/24", "14.1.161.0/24"))
		if err != nil {
			t.Fatal(err)
		}
		submitted, err := svc.Submit(ctx, b, a.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		read, err := svc.GetApplication(ctx, b, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		listed, err := svc.ListApplications(ctx, b, AppFilter{})
		if err != nil || len(listed) != 1 {
			t.Fatalf("list = %v, %v", listed, err)
		}
		full, err := svc.GetApplication(ctx, h.staff("reviewer"), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		count := func(x *Application) (n int) {
			for _, f := range x.Flags {
				if f.Code == FlagOverlap {
					n++
				}
			}
			return n
		}
		for name, x := range map[string]*Application{"submit": submitted, "get": read, "list": listed[0]} {
			if n := count(x); n != 1 {
				t.Errorf("%s: the applicant reads %d overlap flags, want 1: %+v", name, n, x.Flags)
			}
		}
		if n := count(full); n != 3 {
			t.Errorf("the reviewer reads %d overlap flags, want 3", n)
		}
	})
}

// A flag's facts about the other application are those of the last
// submission (no live flags): resubmitting a returned application computes
// its flags afresh, so an overlap whose other application moved to
// another operator, or an item edited away, is read as it is now (tester's
// report on issue 11 §6).
func TestResubmitRecomputesFlags(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx, svc := h.ctx, h.svc
		ptcl, reviewer := h.staff("operator.ptcl"), h.staff("reviewer")
		confirm := func() {
			t.Helper()
			cs, _ := svc.ListChecks(ctx, ptcl, CheckPending)
			for _, c := range cs {
				if _, err := svc.AnswerCheck(ctx, ptcl, c.ID, "confirmed", ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		submit := func(u *User, id string) *Application {
			t.Helper()
			a, err := svc.Submit(ctx, u, id, nil)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		ret := func(id string) {
			t.Helper()
			if _, _, err := svc.Decide(ctx, reviewer, id, DecisionInput{Decision: "return", Note: "Check the details."}); err != nil {
				t.Fatal(err)
			}
		}
		// overlaps: the other applications X's overlap flags name, with
		// their operator, as stored; and what PTCL reads of them.
		overlaps := func(id string) (stored, forPTCL []string) {
			t.Helper()
			full, err := svc.GetApplication(ctx, reviewer, id)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range full.Flags {
				if f.Code == FlagOverlap {
					stored = append(stored, f.With.ApplicationID+"@"+f.With.OperatorID+"@"+string(f.With.State))
				}
			}
			seen, err := svc.GetApplication(ctx, ptcl, id)
			if err != nil {
				return stored, nil // no longer PTCL's
			}
			for _, f := range seen.Flags {
				if f.Code == FlagOverlap {
					forPTCL = append(forPTCL, f.Detail)
				}
			}
			return stored, forPTCL
		}

		o, b := h.applicant("company"), h.applicant("company")
		y, _ := h.create(o, companyApp("14.1.170.0/24"))
		submit(o, y.ID)
		x, _ := h.create(b, companyApp("14.1.170.0/24", "14.1.171.0/24"))
		submit(b, x.ID)
		stored, forPTCL := overlaps(x.ID)
		if want := y.ID + "@ptcl@operator_check"; len(stored) != 1 || stored[0] != want || !strings.Contains(forPTCL[0], y.ID) {
			t.Fatalf("X's overlap flag at first: %v, PTCL reads %q; want %s, named to PTCL", stored, forPTCL, want)
		}

		// Y is returned and moves to Nayatel; X is returned and resubmitted
		// with only its purpose changed (straight to review).
		confirm()
		ret(y.ID)
		ret(x.ID)
		if _, err := svc.UpdateApplication(ctx, o, y.ID, ApplicationInput{OperatorID: ptr("nayatel"), SubscriberID: ptr("NTL-1")}); err != nil {
			t.Fatal(err)
		}
		submit(o, y.ID)
		if _, err := svc.UpdateApplication(ctx, b, x.ID, ApplicationInput{Purpose: ptr("Staff of the Lahore office reach head office systems.")}); err != nil {
			t.Fatal(err)
		}
		if a := submit(b, x.ID); a.State != StateReview {
			t.Fatalf("X resubmitted unchanged items = %s, want review", a.State)
		}
		stored, forPTCL = overlaps(x.ID)
		if want := y.ID + "@nayatel@operator_check"; len(stored) != 1 || stored[0] != want {
			t.Errorf("X's overlap flag after resubmission: %v, want [%s]", stored, want)
		}
		if len(forPTCL) != 1 || strings.Contains(forPTCL[0], y.ID) {
			t.Errorf("PTCL reads X's overlap as %q, want the cut sentence (Y is Nayatel's now)", forPTCL)
		}

		// X is returned again and the overlapping prefix edited away.
		ret(x.ID)
		if _, err := svc.UpdateApplication(ctx, b, x.ID, ApplicationInput{Addresses: ptr([]string{"14.1.171.0/24"})}); err != nil {
			t.Fatal(err)
		}
		submit(b, x.ID)
		if stored, _ = overlaps(x.ID); len(stored) != 0 {
			t.Errorf("X's overlap flags after the prefix was edited away: %v, want none", stored)
		}
	})
}
