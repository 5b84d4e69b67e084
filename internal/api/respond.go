package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/ipreg/ipreg/internal/registry"
)

// StatusOf is the one mapping from error codes to HTTP statuses; the
// portal answers its pages with it too.
func StatusOf(code registry.Code) int {
	switch code {
	case registry.EMALFORMED:
		return http.StatusBadRequest
	case registry.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case registry.EFORBIDDEN:
		return http.StatusForbidden
	case registry.ENOTFOUND:
		return http.StatusNotFound
	case registry.EMETHOD:
		return http.StatusMethodNotAllowed
	case registry.ECONFLICT:
		return http.StatusConflict
	case registry.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case registry.EUNSUPPORTED:
		return http.StatusUnsupportedMediaType
	case registry.EINVALID:
		return http.StatusUnprocessableEntity
	case registry.ETOOMANY:
		return http.StatusTooManyRequests
	case registry.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// StatusClientClosedRequest is nginx's non-standard 499: the client closed
// the connection (cancelled the request's context) before the answer.
const StatusClientClosedRequest = 499

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    registry.Code     `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// writeError answers with the API's error shape. Internal errors are logged
// in full and shown to the caller only as a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := registry.ErrorCode(err)
	body := errorBody{Error: errorDetail{Code: code, Message: registry.ErrorMessage(err)}}
	var e *registry.Error
	if errors.As(err, &e) {
		body.Error.Fields = e.Fields
		if e.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
		}
	}
	status := StatusOf(code)
	if status == http.StatusInternalServerError && errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client hung up (a load generator at its deadline, a closed
		// tab): the failure is theirs, not the registry's, so it is neither
		// logged as an internal error nor counted as a 5xx. The status is
		// nginx's 499, which only the access log and metrics see.
		s.log.InfoContext(r.Context(), "client went away", "method", r.Method, "path", r.URL.Path, "status", StatusClientClosedRequest)
		w.WriteHeader(StatusClientClosedRequest)
		return
	}
	if status == http.StatusInternalServerError {
		s.log.ErrorContext(r.Context(), "internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ipreg"`)
	}
	writeJSON(w, status, body)
}

// writeJSON encodes v into a buffer first, so that an encoding failure
// cannot leave a half-written response.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		http.Error(w, `{"error":{"code":"internal","message":"response encoding failed"}}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
