package api

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/ipreg/ipreg/internal/registry"
)

// listInvitations lists the unclaimed invitations for admins a page at a
// time (?page= from 1, ?limit= of them, default 100), with how many there
// are in all: an import of 31,000 holders made them one answer of many
// megabytes. Never a token.
//
// A page past the last is 404, naming the last page, as the portal says
// "there is no page 500": an empty list read as "no invitations" (tester,
// issue 13). Page 1 of an empty list is that list. Typed values are
// echoed cut (registry.Echo), as the portal cuts them.
func (s *Server) listInvitations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fe := registry.FieldErrors{}
	limit := limitParam(fe, q.Get("limit"))
	raw := q.Get("page")
	page := 1
	if raw != "" {
		n, err := strconv.Atoi(raw)
		switch {
		case errors.Is(err, strconv.ErrRange) && n > 0:
			page = math.MaxInt // a whole number past any list: no such page
		case err != nil || n < 1:
			fe.Add("page", "must be a whole number from 1, such as 2; %q is not", registry.Echo(raw))
		default:
			page = n
		}
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
	if pages := max(1, (total+limit-1)/limit); page > pages {
		msg := fmt.Sprintf("there is no page %s of this list: it has 1 page at this limit; ask for page 1", registry.Echo(raw))
		if pages > 1 {
			msg = fmt.Sprintf("there is no page %s of this list: it has %d pages at this limit; ask for a page from 1 to %d", registry.Echo(raw), pages, pages)
		}
		s.writeError(w, r, &registry.Error{Code: registry.ENOTFOUND, Message: msg, Fields: map[string]string{"page": msg}})
		return
	}
	out := map[string]any{"invitations": list, "total": total, "page": page, "limit": limit}
	if page*limit < total {
		out["next_page"] = page + 1
	}
	writeJSON(w, http.StatusOK, out)
}
