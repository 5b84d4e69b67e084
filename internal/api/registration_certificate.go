package api

import (
	"mime"
	"net/http"
	"strconv"
)

// getCertificate sends a registration's certificate PDF to its holder or
// to staff, as an attachment.
func (s *Server) getCertificate(w http.ResponseWriter, r *http.Request) {
	b, err := s.svc.CertificatePDF(r.Context(), user(r), r.PathValue("number"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "certificate-" + r.PathValue("number") + ".pdf"}))
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
