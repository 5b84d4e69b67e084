package registry_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

// TestForViewer: what each kind of viewer reads in an overlap or
// duplicate_own flag (issue 11 §6).
func TestForViewer(t *testing.T) {
	other := &FlagSubject{Item: "14.1.104.0/24", AccountID: "acc_bob", OperatorID: "ptcl", ApplicationID: "app_bob",
		State: StateApproved, Registration: "VPN-2026-000001"}
	own := &FlagSubject{Item: "14.1.104.0/24", AccountID: "acc_alice", OperatorID: "nayatel", ApplicationID: "app_alice1", State: StateReview}
	overlap := Flag{Code: FlagOverlap, Item: "14.1.104.5/32", With: other,
		Detail: "14.1.104.5/32 overlaps 14.1.104.0/24 held by registration VPN-2026-000001 of another account"}
	dup := Flag{Code: FlagDuplicateOwn, Item: "14.1.104.5/32", With: own,
		Detail: "14.1.104.5/32 overlaps 14.1.104.0/24 of this account's application app_alice1 (review)"}
	legacy := Flag{Code: FlagOverlap, Item: "14.1.104.5/32", Detail: "14.1.104.5/32 overlaps 14.1.104.0/24 of application app_bob (review) of another account"}
	other4 := Flag{Code: FlagOutsideCountry, Item: "8.8.8.0/24", Detail: "8.8.8.0/24 is not in Pakistan's address space (RIR delegations)"}

	const hidden = "14.1.104.5/32 overlaps an address or number that another account holds or has applied for"
	const hiddenOwn = "14.1.104.5/32 overlaps an address or number in another application of the same account"
	alice := &User{Role: RoleApplicant, AccountID: "acc_alice"}
	for _, tt := range []struct {
		name   string
		viewer *User
		flag   Flag
		want   string
	}{
		{"applicant, another account's", alice, overlap, hidden},
		{"applicant, her own", alice, dup, dup.Detail},
		{"applicant, a stored flag without its subject", alice, legacy, hidden},
		{"applicant, another kind of flag", alice, other4, other4.Detail},
		{"operator of both", &User{Role: RoleOperator, OperatorID: "ptcl"}, overlap, overlap.Detail},
		{"operator of one only", &User{Role: RoleOperator, OperatorID: "nayatel"}, overlap, hidden},
		{"operator, own application elsewhere", &User{Role: RoleOperator, OperatorID: "ptcl"}, dup, hiddenOwn},
		{"operator, own application with it", &User{Role: RoleOperator, OperatorID: "nayatel"}, dup, dup.Detail},
		{"operator without an operator", &User{Role: RoleOperator}, Flag{Code: FlagOverlap, Item: "14.1.104.5/32", Detail: "x",
			With: &FlagSubject{ApplicationID: "app_x"}}, hidden},
		{"operator, a stored flag without its subject", &User{Role: RoleOperator, OperatorID: "ptcl"}, legacy, hidden},
		{"reviewer", &User{Role: RoleReviewer}, overlap, overlap.Detail},
		{"supervisor", &User{Role: RoleSupervisor}, dup, dup.Detail},
		{"admin", &User{Role: RoleAdmin}, legacy, legacy.Detail},
		{"nobody", nil, overlap, hidden},
		{"an applicant of another account, duplicate", &User{Role: RoleApplicant, AccountID: "acc_bob"}, dup, hiddenOwn},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := &Application{ID: "app_alice2", Flags: []Flag{tt.flag}}
			got := a.ForViewer(tt.viewer)
			if got.Flags[0].Detail != tt.want {
				t.Errorf("detail = %q, want %q", got.Flags[0].Detail, tt.want)
			}
			if got.Flags[0].Code != tt.flag.Code || got.Flags[0].Item != tt.flag.Item {
				t.Errorf("flag = %+v, want code and item of %+v", got.Flags[0], tt.flag)
			}
			staff := tt.viewer != nil && (tt.viewer.Role == RoleReviewer || tt.viewer.Role == RoleSupervisor || tt.viewer.Role == RoleAdmin)
			if got.Flags[0].With != nil && !staff {
				t.Errorf("a %v sees the flag's subject %+v", tt.viewer, got.Flags[0].With)
			}
			if a.Flags[0].Detail != tt.flag.Detail {
				t.Error("ForViewer changed the application it was given")
			}
		})
	}
}

// TestApplicationsLeaveThroughForViewer lists the Service methods that
// hand applications out. Each returns them through ForViewer, and
// internal/api's TestOverlapPrivacy and internal/portal's
// TestOverlapPrivacyPages follow each one; a new such method fails here
// until it is added to them.
func TestApplicationsLeaveThroughForViewer(t *testing.T) {
	app := reflect.TypeOf((*Application)(nil))
	var got []string
	st := reflect.TypeOf((*Service)(nil))
	for i := range st.NumMethod() {
		m := st.Method(i)
		for j := range m.Type.NumOut() {
			o := m.Type.Out(j)
			if o == app || o.Kind() == reflect.Slice && o.Elem() == app {
				got = append(got, m.Name)
				break
			}
		}
	}
	// DecideAppeal answers supervisors only, who read flags in full (it
	// still returns through ForViewer); the privacy tests need no case.
	// GetApplicationPage is GetApplication for the portal's application
	// page (TestOverlapPrivacyPages reads /applications/{id} as each role),
	// ReviewQueuePage ReviewQueue for the portal's /review, which
	// TestOverlapPrivacyPages reads as the reviewer.
	want := []string{"Amend", "CreateApplication", "Decide", "DecideAppeal", "GetApplication", "GetApplicationPage", "ListApplications", "Renew", "ReviewQueue", "ReviewQueuePage", "Submit", "UpdateApplication", "Withdraw"}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("Service methods returning applications = %s, want %s: return a new one through Application.ForViewer and add it to the privacy tests",
			strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

// Cut flags do not tell how many other applications overlap (tester's
// report on issue 11 §6): a non-staff viewer reads one sentence per code
// and item, however many applications are behind it; what it may read in
// full stays one flag each, and staff see every flag.
func TestForViewerCollapsesCutFlags(t *testing.T) {
	subj := func(acc, op, app string) *FlagSubject {
		return &FlagSubject{Item: "14.1.104.0/24", AccountID: acc, OperatorID: op, ApplicationID: app, State: StateReview}
	}
	flag := func(code, item string, with *FlagSubject) Flag {
		d := item + " overlaps 14.1.104.0/24 of application " + code
		if with != nil {
			d += " " + with.ApplicationID
		}
		return Flag{Code: code, Item: item, With: with, Detail: d}
	}
	const a, b = "14.1.104.5/32", "14.1.104.9/32"
	flags := []Flag{
		flag(FlagOverlap, a, subj("acc_bob", "ptcl", "app_bob")),
		flag(FlagOverlap, a, subj("acc_carol", "nayatel", "app_carol")),
		flag(FlagOverlap, a, subj("acc_dan", "nayatel", "app_dan")),
		flag(FlagOverlap, a, nil), // "and N more"
		flag(FlagDuplicateOwn, a, subj("acc_alice", "ptcl", "app_alice1")),
		flag(FlagDuplicateOwn, a, subj("acc_alice", "nayatel", "app_alice3")),
		flag(FlagOverlap, b, subj("acc_carol", "nayatel", "app_carol")),
		flag(FlagOverlap, b, subj("acc_dan", "nayatel", "app_dan")),
		{Code: FlagOutsideCountry, Item: a, Detail: "outside"},
		{Code: FlagOutsideCountry, Item: a, Detail: "outside again"}, // not an overlap: never merged
	}
	hidden := func(item string) string {
		return item + " overlaps an address or number that another account holds or has applied for"
	}
	hiddenOwn := func(item string) string {
		return item + " overlaps an address or number in another application of the same account"
	}
	for _, tt := range []struct {
		name   string
		viewer *User
		want   []string
	}{
		{"applicant", &User{Role: RoleApplicant, AccountID: "acc_alice"},
			[]string{hidden(a), flags[4].Detail, flags[5].Detail, hidden(b), "outside", "outside again"}},
		{"operator of Bob and one of Alice's", &User{Role: RoleOperator, OperatorID: "ptcl"},
			[]string{flags[0].Detail, hidden(a), flags[4].Detail, hiddenOwn(a), hidden(b), "outside", "outside again"}},
		{"operator of Carol and Dan", &User{Role: RoleOperator, OperatorID: "nayatel"},
			[]string{hidden(a), flags[1].Detail, flags[2].Detail, hiddenOwn(a), flags[5].Detail, flags[6].Detail, flags[7].Detail, "outside", "outside again"}},
		{"nobody", nil, []string{hidden(a), hiddenOwn(a), hidden(b), "outside", "outside again"}},
		{"reviewer", &User{Role: RoleReviewer}, func() (out []string) {
			for _, f := range flags {
				out = append(out, f.Detail)
			}
			return out
		}()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range (&Application{Flags: flags}).ForViewer(tt.viewer).Flags {
				got = append(got, f.Detail)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("flags read:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
