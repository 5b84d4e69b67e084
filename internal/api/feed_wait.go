package api

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
)

// feedWait is the long-poll: it answers with the notification as soon as
// the feed's version exceeds ?after, or 204 when ?timeout (seconds, at most
// 25, default 25) passes first.
func (s *Server) feedWait(w http.ResponseWriter, r *http.Request) {
	scope, ok := s.feedScope(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	fe := registry.FieldErrors{}
	after := parseAfter(q, fe)
	timeout := publish.MaxWait
	if d, given := parseSeconds(q, fe, int(publish.MaxWait/time.Second)); given {
		timeout = d
	}
	if err := fe.Err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.waiting.Inc()
	// Shutdown answers a waiting long-poll at once (204: nothing newer
	// here), so that draining does not wait out its 25 s and the client
	// asks again, elsewhere.
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()
	jws, version, ok, err := s.cfg.Feed.Wait(ctx, user(r), scope, after, timeout)
	s.metrics.waiting.Dec()
	if err != nil && r.Context().Err() == nil && s.streams.Err() != nil {
		err, ok = nil, false // shutting down
	}
	if err != nil {
		if r.Context().Err() != nil {
			return // the client went away
		}
		s.writeError(w, r, err)
		return
	}
	// Debug: whether a long-poll woke with a newer version or timed out,
	// to tell agents that are behind from agents that are idle.
	s.log.DebugContext(r.Context(), "feed wait", "scope", scope, "after", after, "version", version, "woke", ok)
	if !ok {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Feed-Version", strconv.FormatInt(version, 10))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeNotification(w, r, scope, jws, version, "no-store")
}

// feedScope makes the checks the long-poll and the stream make first: a
// feed is served, and the caller may read the path's feed (without the
// operator's token the answer is 401, whatever the parameters). It
// returns the scope ("" for the global feed), or false once it answered.
func (s *Server) feedScope(w http.ResponseWriter, r *http.Request) (string, bool) {
	if s.cfg.Feed == nil {
		s.writeError(w, r, errNoFeed)
		return "", false
	}
	scope := r.PathValue("operator")
	if err := s.cfg.Feed.Allowed(user(r), scope); err != nil {
		s.writeError(w, r, err)
		return "", false
	}
	return scope, true
}

// parseAfter reads ?after, the feed version the client holds (0 for
// none), saying in fe what is wrong with it.
func parseAfter(q url.Values, fe registry.FieldErrors) int64 {
	after, err := strconv.ParseInt(q.Get("after"), 10, 64)
	switch {
	case q.Get("after") == "":
		fe.Add("after", "is required: the version the client has (0 for none)")
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(q.Get("after"), "-"):
		fe.Add("after", "is too large: the version the client has, at most %d (0 for none)", int64(math.MaxInt64))
	case err != nil || after < 0:
		fe.Add("after", "must be a whole number from 0 up: the version the client has (0 for none)")
	}
	return after
}

// parseSeconds reads ?timeout, whole seconds from 1 to max, saying in fe
// what is wrong with it; given is false when the request has none.
func parseSeconds(q url.Values, fe registry.FieldErrors, max int) (d time.Duration, given bool) {
	v := q.Get("timeout")
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		fe.Add("timeout", "must be whole seconds from 1 to %d", max)
	}
	return time.Duration(n) * time.Second, true
}
