package api

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/ipreg/ipreg/internal/registry"
)

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := registry.AppFilter{Category: registry.Category(q.Get("category"))}
	fe := registry.FieldErrors{}
	if v := q.Get("state"); v != "" {
		for _, st := range strings.Split(v, ",") {
			if !slices.Contains(registry.States, registry.State(st)) {
				fe.Add("state", "must be a comma-separated list of %s", joinStates())
				break
			}
			f.States = append(f.States, registry.State(st))
		}
	}
	if f.Category != "" && !f.Category.Valid() {
		fe.Add("category", "is not a known category")
	}
	f.Limit = limitParam(fe, q.Get("limit"))
	if err := fe.Err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	as, err := s.svc.ListApplications(r.Context(), user(r), f)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list(as, viewApplicationSummary))
}

func joinStates() string {
	s := make([]string, len(registry.States))
	for i, st := range registry.States {
		s[i] = string(st)
	}
	return strings.Join(s, ", ")
}

// limitParam reads ?limit=, 1 to 1000, default 100.
func limitParam(fe registry.FieldErrors, v string) int {
	if v == "" {
		return 100
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		fe.Add("limit", "must be a whole number from 1 to 1000, such as 100; %q is not", registry.Echo(v))
	}
	return n
}
