package api

import (
	"net/http"
	"time"
)

type overdueApplicationView struct {
	Application applicationView `json:"application"`
	EscalatedAt *time.Time      `json:"escalated_at,omitempty"`
}

type overdueAppealView struct {
	Appeal      appealView `json:"appeal"`
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`
}

type overdueResponse struct {
	Applications []overdueApplicationView `json:"applications"`
	Appeals      []overdueAppealView      `json:"appeals"`
}

// reviewOverdue lists, for supervisors, what is past its SLA due time.
func (s *Server) reviewOverdue(w http.ResponseWriter, r *http.Request) {
	od, err := s.svc.Overdue(r.Context(), user(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := overdueResponse{Applications: []overdueApplicationView{}, Appeals: []overdueAppealView{}}
	for _, a := range od.Applications {
		out.Applications = append(out.Applications, overdueApplicationView{viewApplication(a), optTime(od.Escalated[a.ID])})
	}
	for _, ap := range od.Appeals {
		out.Appeals = append(out.Appeals, overdueAppealView{viewAppeal(ap), optTime(od.Escalated[ap.ID])})
	}
	writeJSON(w, http.StatusOK, out)
}
