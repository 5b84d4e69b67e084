package api

import (
	"mime"
	"net/http"
	"strconv"

	"github.com/ipreg/ipreg/internal/registry"
)

// getDocument sends a document's content. It is an attachment unless the
// caller asks for ?disposition=inline (the portal's viewer); the type is
// the one sniffed at upload, and nosniff and the API's CSP (no scripts,
// no subresources) stay on, so a document cannot act as a page.
func (s *Server) getDocument(w http.ResponseWriter, r *http.Request) {
	disp := "attachment"
	switch v := r.URL.Query().Get("disposition"); v {
	case "", "attachment":
	case "inline":
		disp = "inline"
	default:
		fe := registry.FieldErrors{}
		fe.Add("disposition", "must be inline or attachment, not %s", strconv.Quote(v))
		s.writeError(w, r, fe.Err())
		return
	}
	d, content, err := s.svc.ReadDocument(r.Context(), user(r), r.PathValue("id"), r.PathValue("doc"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(content)))
	h.Set("Content-Disposition", mime.FormatMediaType(disp, map[string]string{"filename": d.Filename}))
	// Personal data: no shared cache may keep it, and the browser should not either.
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(content)
}
