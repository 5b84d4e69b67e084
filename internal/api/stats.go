package api

import (
	"net/http"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// statsAllTime are the figures GET /api/v1/stats answered before the
// monthly table: all-time counts, unsuppressed, each a scan of whole
// tables. Unsuppressed counts single out applicants (a "<5" cell of the
// monthly table reads off them, and polling them shows one applicant's
// actions: issue 13 wants small counts suppressed everywhere), so they
// are answered only to the regulator's staff (reviewer, supervisor,
// admin) and only without from and to; anybody else, and a request for a
// period, gets the monthly table alone.
type statsAllTime struct {
	ApplicationsByState     map[registry.State]int     `json:"applications_by_state"`
	RegistrationsByStatus   map[registry.RegStatus]int `json:"registrations_by_status"`
	ActiveByCategory        map[registry.Category]int  `json:"active_by_category"`
	ActiveAddresses         int                        `json:"active_addresses"`
	ActiveMobileNumbers     int                        `json:"active_mobile_numbers"`
	DecisionsLast30Days     int                        `json:"decisions_last_30_days"`
	MedianDecisionHours     float64                    `json:"median_decision_hours"`
	ApprovedShareLast30Days float64                    `json:"approved_share_last_30_days"`
	// DecidedWithinSLALast30Days counts working hours only: weekends and
	// the holiday calendar are skipped.
	DecidedWithinSLALast30Days float64                      `json:"decided_within_sla_last_30_days"`
	AppealsByState             map[registry.AppealState]int `json:"appeals_by_state"`
	// Renewals and amendments next to new applications.
	ApplicationsByKind       map[registry.AppKind]int `json:"applications_by_kind"`
	ApprovedByKindLast30Days map[registry.AppKind]int `json:"approved_by_kind_last_30_days"`
}

type statsResponse struct {
	*statsAllTime
	// The monthly table (issue 13): the period (?from=&to=, YYYY-MM),
	// when this answer was made, how fresh the rollup is, the small-count
	// threshold, and per month the suppressed figures.
	From          string                 `json:"from"`
	To            string                 `json:"to"`
	GeneratedAt   time.Time              `json:"generated_at"`
	BuiltAt       time.Time              `json:"built_at"`
	SuppressBelow int                    `json:"suppress_below"`
	Months        []*registry.StatsMonth `json:"months"`
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, to, err := registry.StatsQuery(q)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ms, err := s.svc.MonthlyStats(r.Context(), from, to)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res := statsResponse{From: ms.From, To: ms.To, GeneratedAt: time.Now().UTC(), BuiltAt: ms.BuiltAt,
		SuppressBelow: registry.SuppressBelow, Months: ms.Months}
	if u := user(r); u != nil && allTimeReader(u.Role) && !q.Has("from") && !q.Has("to") {
		st, err := s.svc.Stats(r.Context())
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		res.statsAllTime = &statsAllTime{ApplicationsByState: st.ApplicationsByState, RegistrationsByStatus: st.RegistrationsByStatus,
			ActiveByCategory: st.ActiveByCategory, ActiveAddresses: st.ActiveAddresses, ActiveMobileNumbers: st.ActiveMobileNumbers,
			DecisionsLast30Days: st.DecisionsLast30Days, MedianDecisionHours: st.MedianDecisionHours, ApprovedShareLast30Days: st.ApprovedShareLast30Days,
			DecidedWithinSLALast30Days: st.DecidedWithinSLALast30Days, AppealsByState: st.AppealsByState,
			ApplicationsByKind: st.ApplicationsByKind, ApprovedByKindLast30Days: st.ApprovedByKindLast30Days}
	}
	writeJSON(w, http.StatusOK, res)
}

// allTimeReader reports whether role may read the unsuppressed all-time
// figures: the regulator's own staff. Operators' staff are outside the
// regulator and read only what the public reads.
func allTimeReader(role registry.Role) bool {
	return role == registry.RoleReviewer || role == registry.RoleSupervisor || role == registry.RoleAdmin
}
