package api

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ipreg/ipreg/internal/promexpose"
	"github.com/ipreg/ipreg/internal/registry"
)

// healthz says the process is alive; readyz that it can serve (the
// database answers). Load balancers use readyz.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.svc.Store().Ping(ctx); err != nil {
		s.log.WarnContext(r.Context(), "not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// metricsHandler serves Prometheus metrics on the main listener, which is
// public: 404 unless a metrics token is configured, then only to requests
// bearing it (promexpose). It runs outside the user authentication, as its
// credential is the metrics token, not an ipreg token.
func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) {
	switch {
	case s.cfg.MetricsToken == "":
		s.writeError(w, r, registry.Errorf(registry.ENOTFOUND, "metrics are not served on this address; the operator serves them on --metrics-listen, or here to holders of the --metrics-token-file token"))
	case !promexpose.Authorized(r, s.cfg.MetricsToken):
		promexpose.Challenge(w)
		s.writeError(w, r, registry.Errorf(registry.EUNAUTHORIZED, "GET /metrics needs the metrics token (--metrics-token-file) as \"Authorization: Bearer <token>\""))
	default:
		s.MetricsHandler().ServeHTTP(w, r)
	}
}

// MetricsHandler serves Prometheus metrics to anyone: HTTP requests by
// route and status, latencies, background jobs, Go runtime and process
// figures. For a listener of their own (--metrics-listen), never the
// public one.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{})
}
