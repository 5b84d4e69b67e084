package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
)

// Stream timings: a keep-alive comment at least every streamKeepAlive (so
// proxies, whose idle timeouts are typically 60 s, and the client, which
// gives up after 60 s of silence, see the connection live), and an end
// after streamLifetime plus up to a minute of jitter, so that clients
// reconnect, and spread again over replicas, at different moments.
const (
	streamKeepAlive = 20 * time.Second // Config.StreamKeepAlive's default
	streamLifetime  = 10 * time.Minute
)

// maxStreamSeconds bounds ?timeout, a client's own limit on the stream.
const maxStreamSeconds = 3600

// streamWriteTimeout bounds each write of a stream; the server's own write
// timeout (for a whole response) would end every stream after a minute.
const streamWriteTimeout = 30 * time.Second

// feedStream is the push form of the long-poll: one long-lived response
// (Server-Sent Events, as the HTML standard defines text/event-stream)
// that carries each new notification of the feed the moment it is
// published, each preceded by the files it lists that the client needs
// (the deltas after the client's version, or the snapshot when they do not
// chain; inline, base64, up to 64 KiB each: a client verifies them against
// the notification's hashes as if fetched). A long-poll costs the registry
// two requests per agent per version (its answer, then the delta); a
// stream costs one write. ?after is the version the client holds;
// ?timeout (seconds, 1 to 3600) ends the stream sooner than the registry
// would (about 10 minutes).
//
//	event: file
//	data: {"url":"files/delta-…","hash":"<sha256 hex>","content":"<base64>"}
//
//	event: notification
//	id: <version>
//	data: <compact JWS>
//
//	: keep-alive
func (s *Server) feedStream(w http.ResponseWriter, r *http.Request) {
	scope, ok := s.feedScope(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	fe := registry.FieldErrors{}
	have := parseAfter(q, fe)
	lifetime := streamLifetime + rand.N(time.Minute)
	if d, given := parseSeconds(q, fe, maxStreamSeconds); given {
		lifetime = d
	}
	// An EventSource reconnecting sends the last event's id, which is
	// the version it got last: newer than the after in its URL.
	if id, err := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64); err == nil && id > have {
		have = id
	}
	if err := fe.Err(); err != nil {
		s.writeError(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	// The connection is the stream's: no read deadline (the client sends
	// nothing more), and a write deadline per event instead of the
	// server's per response.
	rc.SetReadDeadline(time.Time{})
	if err := rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil {
		s.writeError(w, r, registry.Errorf(registry.EINTERNAL, "this connection cannot stream; use GET …/wait (the long-poll)"))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass each event on at once
	w.WriteHeader(http.StatusOK)
	if rc.Flush() != nil {
		return
	}
	s.metrics.streams.Inc()
	defer s.metrics.streams.Dec()
	// Shutdown ends the stream too (CloseStreams), without a goroutine
	// per stream to watch for it.
	ctx, cancel := context.WithTimeout(r.Context(), lifetime)
	defer cancel()
	defer context.AfterFunc(s.streams, cancel)()

	every := s.cfg.StreamKeepAlive
	if every <= 0 {
		every = streamKeepAlive
	}
	keepAlive := time.NewTicker(every)
	defer keepAlive.Stop()
	sent := ""
	actor, tok := user(r), token(r)
	for {
		st, ok, err := s.cfg.Feed.Next(ctx, actor, scope, sent, have, keepAlive.C)
		if err != nil {
			// The stream's time is up, the client went away, or the
			// server shuts down: the client reconnects (elsewhere).
			return
		}
		if tok != "" {
			// The token is checked again before each event and each
			// keep-alive (every 20 s): a token revoked, expired or whose
			// user lost the operator ends the stream within seconds, as
			// it would refuse the next request.
			if actor, err = s.svc.Authenticate(ctx, tok); err != nil || s.cfg.Feed.Allowed(actor, scope) != nil ||
				registry.CheckScope(actor, true) != nil {
				return
			}
		}
		var event []byte
		if !ok {
			event = keepAliveEvent
		} else {
			event = s.streamEvents.encode(st, have)
			sent, have = st.Notification, st.Version
		}
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
		if _, err := w.Write(event); err != nil || rc.Flush() != nil {
			return
		}
	}
}

// CloseStreams ends every feed stream (at once, between events) and
// answers every long-poll (204): for http.Server.RegisterOnShutdown, since
// Shutdown waits for handlers, a stream's for minutes and a long-poll's
// for up to 25 s.
func (s *Server) CloseStreams() { s.stopStreams() }

var keepAliveEvent = []byte(": keep-alive\n\n")

// stepEvents encodes a stream step once for every stream that sends it:
// when a version is published, thousands of streams at the same version
// send the same bytes (the files and the notification), so encoding them
// (base64 and JSON of the files) per stream would repeat the work as many
// times. It keeps the last encoding (most streams send the same step).
type stepEvents struct {
	mu   sync.Mutex
	note string
	have int64
	data []byte
}

func (c *stepEvents) encode(st publish.Step, have int64) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.data != nil && c.note == st.Notification && c.have == have {
		return c.data
	}
	var buf []byte
	for _, f := range st.Files {
		ev, _ := json.Marshal(struct {
			URL     string `json:"url"`
			Hash    string `json:"hash"`
			Content string `json:"content"`
		}{"files/" + f.Name, f.SHA256, base64.StdEncoding.EncodeToString(f.Content)})
		buf = append(buf, "event: file\ndata: "...)
		buf = append(buf, ev...)
		buf = append(buf, "\n\n"...)
	}
	buf = append(buf, "event: notification\nid: "...)
	buf = strconv.AppendInt(buf, st.Version, 10)
	buf = append(buf, "\ndata: "...)
	buf = append(buf, st.Notification...)
	buf = append(buf, "\n\n"...)
	c.note, c.have, c.data = st.Notification, have, buf
	return buf
}
