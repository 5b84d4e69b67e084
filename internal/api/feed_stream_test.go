package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// TestStreamEndsAtShutdown: a server shutting down ends its feed streams
// and answers its long-polls at once (CloseStreams, registered with RegisterOnShutdown, as ipreg
// serve does), instead of waiting out their ten minutes: Shutdown returns
// before its deadline and the client sees the stream end.
func TestStreamEndsAtShutdown(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			db := storetest.Open(t, kind)
			pub := publish.NewPublisher(db, publish.Keys{Dir: t.TempDir()}, nil, nil)
			if _, err := pub.PublishOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			rd := publish.NewReader(db, nil)
			if err := rd.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			a := api.New(registry.NewService(db, registry.Config{Hashing: auth.TestParams}), slog.New(slog.DiscardHandler), api.Config{Feed: rd})
			srv := httptest.NewUnstartedServer(a.Handler())
			srv.Config.RegisterOnShutdown(a.CloseStreams)
			srv.Start()
			t.Cleanup(srv.Close)
			t.Cleanup(a.CloseStreams) // first: Close waits for handlers, a stream's for minutes

			// A client with nothing gets the snapshot inline, then the
			// notification.
			stream := openStream(t, srv.URL+"/feed/v1/stream?after=0")
			if ev := stream.next(); ev.event != "file" {
				t.Fatalf("the stream opened with %+v, not the snapshot", ev)
			}
			if ev := stream.next(); ev.event != "notification" {
				t.Fatalf("the stream's second event is %+v, not the notification", ev)
			}
			// And a long-poll waiting: answered 204 at once.
			polled := make(chan int, 1)
			go func() {
				res, err := http.Get(srv.URL + "/feed/v1/wait?after=999&timeout=25")
				if err != nil {
					polled <- 0
					return
				}
				res.Body.Close()
				polled <- res.StatusCode
			}()
			for deadline := time.Now().Add(10 * time.Second); a.FeedWaiting() == 0; {
				if time.Now().After(deadline) {
					t.Fatal("the long-poll did not start")
				}
				time.Sleep(10 * time.Millisecond)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := srv.Config.Shutdown(ctx); err != nil {
				t.Fatalf("Shutdown with a stream and a long-poll open: %v (one kept it waiting)", err)
			}
			if code := <-polled; code != http.StatusNoContent {
				t.Fatalf("the long-poll at shutdown answered %d, want 204", code)
			}
			if _, ok := <-stream.events; ok {
				t.Fatal("an event after shutdown")
			}
			_, err := io.ReadAll(stream.res.Body)
			if err != nil {
				t.Logf("reading the ended stream: %v", err)
			}
		})
	}
}
