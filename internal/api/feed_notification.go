package api

import (
	"net/http"
	"strconv"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/registry"
)

var errNoFeed = registry.Errorf(registry.ENOTFOUND, "this server does not publish a feed")

// feedNotification serves a feed's signed notification. It changes at
// least every 15 minutes, so caches may keep it only briefly; agents that
// want changes at once use the wait endpoint instead.
func (s *Server) feedNotification(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Feed == nil {
		s.writeError(w, r, errNoFeed)
		return
	}
	scope := r.PathValue("operator")
	jws, version, err := s.cfg.Feed.Notification(r.Context(), user(r), scope)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeNotification(w, r, scope, jws, version, "max-age=5")
}

func writeNotification(w http.ResponseWriter, r *http.Request, scope, jws string, version int64, maxAge string) {
	h := w.Header()
	h.Set("Content-Type", "application/jose")
	h.Set("Cache-Control", cacheScope(scope)+", "+maxAge)
	h.Set("ETag", `"`+feed.Hash([]byte(jws))+`"`)
	h.Set("X-Feed-Version", strconv.FormatInt(version, 10))
	if r.Header.Get("If-None-Match") == h.Get("ETag") {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write([]byte(jws))
}

// cacheScope lets shared caches (a CDN) keep the public feed, but only the
// operator's own client keep an operator feed.
func cacheScope(scope string) string {
	if scope == "" {
		return "public"
	}
	return "private"
}
