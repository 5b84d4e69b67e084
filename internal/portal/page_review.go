package portal

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ipreg/ipreg/internal/netpolicy"
	"github.com/ipreg/ipreg/internal/registry"
)

// queuePage is how many applications the review queue page shows at once.
const queuePage = 100

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleReviewer, registry.RoleSupervisor)
	if !ok {
		return
	}
	q := r.URL.Query()
	// A page of queuePage, the next one asked for by the last ID shown
	// (keyset: as fast at the end of a long queue as at its start).
	f := registry.QueueFilter{Category: registry.Category(q.Get("category")), OperatorID: q.Get("operator"), Flag: q.Get("flag"),
		Limit: queuePage, After: q.Get("after")}
	if q.Get("overdue") == "1" {
		yes := true
		f.Overdue = &yes
	}
	v := &view{Title: "Review queue", Form: q}
	fe := registry.FieldErrors{}
	if f.Category != "" && !f.Category.Valid() {
		fe.Add("category", "is not a known category")
	}
	if f.Flag != "" && !slices.Contains(registry.FlagCodes, f.Flag) {
		fe.Add("flag", "is not a known flag")
	}
	if err := fe.Err(); err != nil {
		v.Err = toFormError(s, r, err)
		f.Category, f.Flag, f.After = "", "", ""
	}
	apps, ops, err := s.svc.ReviewQueuePage(r.Context(), u, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.svc.Now()
	type row struct {
		*registry.Application
		Overdue bool
	}
	rows := make([]row, len(apps))
	for i, a := range apps {
		rows[i] = row{a, !a.SLADueAt.IsZero() && a.SLADueAt.Before(now)}
	}
	d := map[string]any{"Rows": rows, "Operators": ops, "Categories": registry.Categories, "Flags": registry.FlagCodes}
	v.D = d
	v.knownOperators(ops)
	if len(apps) == queuePage {
		next := url.Values{}
		for k, vs := range q {
			next[k] = vs
		}
		next.Set("after", apps[len(apps)-1].ID)
		d["Next"] = "/review?" + next.Encode()
	}
	if f.After != "" {
		first := url.Values{}
		for k, vs := range q {
			first[k] = vs
		}
		first.Del("after")
		d["First"] = "/review?" + first.Encode()
	}
	status := http.StatusOK
	if v.Err != nil {
		status = http.StatusUnprocessableEntity
	}
	s.render(w, r, status, "review", v)
}

func (s *Server) applicationDecide(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleReviewer, registry.RoleSupervisor)
	if !ok {
		return
	}
	id := r.PathValue("id")
	f, err := form(w, r)
	if err == nil {
		in := registry.DecisionInput{Decision: f.Get("decision"), ReasonCode: f.Get("reason_code"), Note: f.Get("note")}
		// Given with another decision, it is refused as by the API.
		if v := strings.TrimSpace(f.Get("valid_days")); v != "" {
			v, ferr := netpolicy.FoldDigits(v) // ۳۶۵ reads as 365
			n, perr := strconv.Atoi(strings.TrimSpace(v))
			if ferr != nil || perr != nil {
				// With every other field's error, not instead of them.
				fe := in.Check()
				fe["valid_days"] = "must be a whole number of days"
				err = fe.Err()
			}
			in.ValidDays = n
		}
		if err == nil {
			if _, _, err = s.svc.Decide(r.Context(), u, id, in); err == nil {
				http.Redirect(w, r, "/review?msg=decided", http.StatusSeeOther)
				return
			}
		}
	}
	s.renderApplication(w, r, u, statusOf(err), toFormError(s, r, err), f)
}

func (s *Server) revocations(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleReviewer, registry.RoleSupervisor)
	if !ok {
		return
	}
	s.renderRevocations(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderRevocations(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError) {
	rs, err := s.svc.ListRevocations(r.Context(), u, registry.RevocationPending)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "revocations", &view{Title: "Revocations awaiting a second signature", User: u, Err: ferr, D: map[string]any{"List": rs}})
}

func (s *Server) revocationConfirm(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleSupervisor)
	if !ok {
		return
	}
	if _, _, err := s.svc.ConfirmRevocation(r.Context(), u, r.PathValue("id")); err != nil {
		s.renderRevocations(w, r, u, statusOf(err), toFormError(s, r, err))
		return
	}
	http.Redirect(w, r, "/revocations?msg=confirmed", http.StatusSeeOther)
}

func (s *Server) revocationCancel(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleReviewer, registry.RoleSupervisor)
	if !ok {
		return
	}
	if _, err := s.svc.CancelRevocation(r.Context(), u, r.PathValue("id")); err != nil {
		s.renderRevocations(w, r, u, statusOf(err), toFormError(s, r, err))
		return
	}
	http.Redirect(w, r, "/revocations?msg=cancelled", http.StatusSeeOther)
}
