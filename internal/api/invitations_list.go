package api

import (
	"net/http"
	"strconv"

	"github.com/ipreg/ipreg/internal/registry"
)

// listInvitations lists the unclaimed invitations for admins a page at a
// time (?page= from 1, ?limit= of them, default 100), with how many there
// are in all: an import of 31,000 holders made them one answer of many
// megabytes. Never a token.
func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fe := registry.FieldErrors{}
	limit := limitParam(fe, q.Get("limit"))
	page := 1
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			fe.Add("page", "must be a whole number from 1, such as 2; %q is not", v)
		}
		page = n
	}
	if err := fe.Err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	list, total, err := s.svc.PendingInvitationsPage(r.Context(), user(r), page, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := map[string]any{"invitations": list, "total": total, "page": page, "limit": limit}
	if page*limit < total {
		out["next_page"] = page + 1
	}
	writeJSON(w, http.StatusOK, out)
}
