package api

import (
	"net/http"
	"time"
)

type deleteAccountRequest struct {
	Password string `json:"password"`
	Confirm  bool   `json:"confirm"`
}

type accountDeletionView struct {
	Deleted         bool       `json:"deleted"`
	DocumentsPurged int        `json:"documents_purged"`
	DocumentsKept   int        `json:"documents_kept"`
	KeptUntil       *time.Time `json:"documents_kept_until,omitempty"`
}

// deleteAccount deletes the applicant's account on its password and a
// confirmation; every token, this one too, stops working.
func (s *Server) deleteAccount(w http.ResponseWriter, r *http.Request) {
	var in deleteAccountRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	d, err := s.svc.DeleteAccount(r.Context(), user(r), in.Password, in.Confirm)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, accountDeletionView{Deleted: true, DocumentsPurged: d.DocumentsPurged, DocumentsKept: d.DocumentsKept, KeptUntil: optTime(d.KeptUntil)})
}
