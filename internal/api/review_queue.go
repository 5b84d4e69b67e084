package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fe := registry.FieldErrors{}
	f := registry.QueueFilter{Category: registry.Category(q.Get("category")), OperatorID: q.Get("operator"), Flag: q.Get("flag")}
	switch q.Get("overdue") {
	case "":
	case "true", "false":
		b := q.Get("overdue") == "true"
		f.Overdue = &b
	default:
		fe.Add("overdue", "must be true or false")
	}
	f.Limit = limitParam(fe, q.Get("limit"))
	f.After = q.Get("after")
	if err := fe.Err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	as, err := s.svc.ReviewQueue(r.Context(), user(r), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(as, func(a *registry.Application) applicationView {
		v := viewApplicationSummary(a)
		v.Overdue = &a.Overdue
		return v
	}))
}
