package agent

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/ipreg/ipreg/internal/promexpose"
)

// MaxBatch bounds one POST /v1/check.
const MaxBatch = 100_000

// Handler serves the lookup API: GET and POST /v1/check, /v1/status,
// /healthz, and /metrics for holders of Config.MetricsToken (404 without
// one configured; package promexpose).
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/check", a.checkOne)
	mux.HandleFunc("POST /v1/check", a.checkBatch)
	mux.HandleFunc("GET /v1/status", a.status)
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /metrics", a.metricsGuarded)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, http.StatusNotFound, "not_found", "no route "+r.Method+" "+r.URL.Path+"; the agent serves /v1/check, /v1/status and /healthz")
	})
	return mux
}

// MetricsHandler serves the agent's Prometheus metrics to anyone: for a
// listener of their own (--metrics-listen), never the lookup API's.
func (a *Agent) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{})
}

// metricsGuarded is /metrics on the lookup API's listener, which hosts
// beyond the operator's monitoring may reach.
func (a *Agent) metricsGuarded(w http.ResponseWriter, r *http.Request) {
	switch {
	case a.cfg.MetricsToken == "":
		apiError(w, http.StatusNotFound, "not_found", "metrics are not served on this address; the operator serves them on --metrics-listen, or here to holders of the --metrics-token-file token")
	case !promexpose.Authorized(r, a.cfg.MetricsToken):
		promexpose.Challenge(w)
		apiError(w, http.StatusUnauthorized, "unauthorized", `GET /metrics needs the metrics token (--metrics-token-file) as "Authorization: Bearer <token>"`)
	default:
		a.MetricsHandler().ServeHTTP(w, r)
	}
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func writeRaw(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

func (a *Agent) checkOne(w http.ResponseWriter, r *http.Request) {
	ip, err := ParseCheckAddr(strings.TrimSpace(r.URL.Query().Get("ip")))
	if err != nil {
		apiError(w, http.StatusBadRequest, "malformed", "ip="+err.Error()+": ask like /v1/check?ip=203.99.48.7")
		return
	}
	ans, err := a.Check(ip)
	if errors.Is(err, ErrNotReady) {
		apiError(w, http.StatusServiceUnavailable, "not_ready", err.Error())
		return
	}
	a.count(1, boolInt(ans.Allowed))
	writeRaw(w, append(ans.appendJSON(nil), '\n'))
}

func (a *Agent) count(n, allowed int) {
	a.metrics.lookups.WithLabelValues("allowed").Add(float64(allowed))
	a.metrics.lookups.WithLabelValues("not_allowed").Add(float64(n - allowed))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (a *Agent) status(w http.ResponseWriter, r *http.Request) {
	b, _ := json.Marshal(a.Status())
	writeRaw(w, append(b, '\n'))
}

// healthz fails before the first verified sync, once the newest verified
// notification has expired without a newer one verified (every sync is
// failing or refused), and when the data is older than --max-age, so a
// load balancer or monitor notices.
func (a *Agent) healthz(w http.ResponseWriter, r *http.Request) {
	st := a.Status()
	switch {
	case !st.Ready:
		apiError(w, http.StatusServiceUnavailable, "not_ready", ErrNotReady.Error())
	case !st.Healthy && !st.Expires.IsZero() && a.cfg.Now().After(st.Expires):
		apiError(w, http.StatusServiceUnavailable, "expired", st.Reason)
	case !st.Healthy:
		apiError(w, http.StatusServiceUnavailable, "stale", st.Reason)
	default:
		writeRaw(w, []byte(`{"status":"ok"}`+"\n"))
	}
}
