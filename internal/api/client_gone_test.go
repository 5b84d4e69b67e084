package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A request whose client hung up is logged as "client went away" at info
// with nginx's 499, not as an internal error; a real internal error, or a
// cancellation the client did not cause, still is one.
func TestWriteErrorClientWentAway(t *testing.T) {
	for _, tc := range []struct {
		name       string
		cancel     bool
		err        error
		wantStatus int
		wantLog    string
		notLog     string
	}{
		{"client cancelled", true, fmt.Errorf("begin: %w", context.Canceled), StatusClientClosedRequest, `level=INFO msg="client went away"`, "internal error"},
		{"internal error, client still there", false, fmt.Errorf("begin: %w", context.Canceled), http.StatusInternalServerError, `level=ERROR msg="internal error"`, "client went away"},
		{"other error after the client left", true, errors.New("disk full"), http.StatusInternalServerError, `level=ERROR msg="internal error"`, "client went away"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logBuf bytes.Buffer
			s := &Server{log: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			r := httptest.NewRequest(http.MethodPost, "/api/v1/applications", nil).WithContext(ctx)
			w := httptest.NewRecorder()
			s.writeError(w, r, tc.err)
			if w.Code != tc.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tc.wantStatus)
			}
			if !strings.Contains(logBuf.String(), tc.wantLog) || strings.Contains(logBuf.String(), tc.notLog) {
				t.Errorf("log %q: want %q and no %q", logBuf.String(), tc.wantLog, tc.notLog)
			}
		})
	}
}
