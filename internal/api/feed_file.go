package api

import (
	"bytes"
	"net/http"
	"time"
)

// feedFile serves a snapshot or delta. Files never change once published
// (their names carry a random part), so they are cacheable forever;
// ServeContent answers If-None-Match and Range (resumed downloads).
func (s *Server) feedFile(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Feed == nil {
		s.writeError(w, r, errNoFeed)
		return
	}
	scope := r.PathValue("operator")
	f, err := s.cfg.Feed.File(r.Context(), user(r), scope, r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/gzip")
	h.Set("Cache-Control", cacheScope(scope)+", max-age=31536000, immutable")
	h.Set("ETag", `"`+f.SHA256+`"`)
	http.ServeContent(w, r, f.Name, time.Time{}, bytes.NewReader(f.Content))
}
