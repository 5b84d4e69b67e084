package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

type statsResponse struct {
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

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Stats(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, statsResponse{ApplicationsByState: st.ApplicationsByState, RegistrationsByStatus: st.RegistrationsByStatus,
		ActiveByCategory: st.ActiveByCategory, ActiveAddresses: st.ActiveAddresses, ActiveMobileNumbers: st.ActiveMobileNumbers,
		DecisionsLast30Days: st.DecisionsLast30Days, MedianDecisionHours: st.MedianDecisionHours, ApprovedShareLast30Days: st.ApprovedShareLast30Days,
		DecidedWithinSLALast30Days: st.DecidedWithinSLALast30Days, AppealsByState: st.AppealsByState,
		ApplicationsByKind: st.ApplicationsByKind, ApprovedByKindLast30Days: st.ApprovedByKindLast30Days})
}
