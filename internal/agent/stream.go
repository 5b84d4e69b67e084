package agent

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
)

// streamSilence is how long a stream may say nothing (not even the
// registry's keep-alive, sent every 20 s) before the agent takes it for
// dead and reconnects: a proxy that stalls the connection must not leave
// the agent unaware of new versions.
var streamSilence = 60 * time.Second

// maxStreamLine bounds one line of the stream: a notification, or a
// delta file inline (at most 64 KiB, so about 88 KiB of base64).
const maxStreamLine = 1 << 20

// A stream that fails maxStreamFails times in a row without syncing a
// notification is given up for streamPause: the agent long-polls meanwhile
// (package variables: tests shorten them).
var (
	maxStreamFails = 5
	streamPause    = 10 * time.Minute
)

// errNoStream means the registry has no feed stream (one older than it):
// Run goes back to the long-poll for good.
var errNoStream = errors.New("the registry has no feed stream")

// inlineFiles holds the delta files a stream sent ahead of the
// notification that lists them, by hash; fetchFile takes a file from here
// instead of the network when its hash is the one the verified
// notification names, so nothing read from the stream is trusted without
// the signature over its hash.
type inlineFiles struct {
	mu    sync.Mutex
	files map[string][]byte
}

func (f *inlineFiles) put(hash string, b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.files == nil {
		f.files = map[string][]byte{}
	}
	f.files[hash] = b
}

func (f *inlineFiles) take(hash string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.files[hash]
	delete(f.files, hash)
	return b, ok
}

func (f *inlineFiles) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.files)
}

// stream follows the registry's feed stream (GET …/stream, Server-Sent
// Events) until it ends, goes silent, or a notification fails to sync: each
// notification is synced the moment it arrives, with the files sent
// before it. It returns how many notifications it synced, and nil when
// the registry ended the stream (the caller reconnects), errNoStream when
// the registry has none, else the error.
func (a *Agent) stream(ctx context.Context) (synced int, err error) {
	var after int64
	if s := a.state.Load(); s != nil {
		after = s.Version
	}
	ctx, cancelCause := context.WithCancelCause(ctx)
	defer cancelCause(nil)
	cancel := func() { cancelCause(errSilent) }
	req, err := http.NewRequestWithContext(ctx, "GET", a.feedURL("stream")+"?after="+strconv.FormatInt(after, 10), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if a.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+a.cfg.Token)
	}
	// Silence ends the stream: the timer is pushed on by every line read.
	silence := time.AfterFunc(a.cfg.Timeout+streamSilence, cancel)
	defer silence.Stop()
	res, err := a.cfg.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusNotFound || res.StatusCode == http.StatusMethodNotAllowed || res.StatusCode == http.StatusNotImplemented:
		if a.cfg.Operator == "" || res.Header.Get("Content-Type") != "application/json" {
			return 0, errNoStream
		}
		return 0, fmt.Errorf("GET %s: status %d", req.URL, res.StatusCode) // an operator feed refused: the long-poll would be too
	case res.StatusCode != http.StatusOK:
		return 0, fmt.Errorf("GET %s: status %d", req.URL, res.StatusCode)
	case !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream"):
		return 0, errNoStream // something in the path answers, but not with a stream
	}
	defer a.inline.clear()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 0, 4096), maxStreamLine)
	var event string
	var data []byte
	first := true
	for sc.Scan() {
		silence.Reset(streamSilence)
		line := sc.Bytes()
		switch {
		case len(line) == 0: // the end of an event
			if err := a.streamEvent(ctx, event, data, first); err != nil {
				return synced, err
			}
			if event == "notification" {
				first = false
				synced++
			}
			event, data = "", data[:0]
		case line[0] == ':': // a comment: the keep-alive
		default:
			field, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			switch string(field) {
			case "event":
				event = string(value)
			case "data":
				if len(data) > 0 {
					data = append(data, '\n')
				}
				data = append(data, value...)
			}
		}
	}
	if errors.Is(context.Cause(ctx), errSilent) {
		return synced, errSilent
	}
	if err := sc.Err(); err != nil {
		return synced, fmt.Errorf("feed stream: %w", err)
	}
	return synced, nil // the registry ended the stream, as it does every few minutes
}

// errSilent ends a stream that said nothing for streamSilence.
var errSilent = errors.New("the feed stream said nothing, not even its keep-alive, for a minute")

// streamEvent handles one event of the stream; first: the stream's first
// notification, which is the registry's current one, possibly the one
// the agent holds.
func (a *Agent) streamEvent(ctx context.Context, event string, data []byte, first bool) error {
	switch event {
	case "file":
		var f struct {
			URL     string `json:"url"`
			Hash    string `json:"hash"`
			Content string `json:"content"`
		}
		if err := json.Unmarshal(data, &f); err != nil {
			return reject("malformed", "feed stream: a file event is not JSON: %v", err)
		}
		b, err := base64.StdEncoding.DecodeString(f.Content)
		if err != nil {
			return reject("malformed", "feed stream: file %s is not base64: %v", f.URL, err)
		}
		// Kept by the hash it really has: only a notification naming that
		// hash can make it used.
		a.inline.put(feed.Hash(b), b)
	case "notification":
		before := a.state.Load()
		if err := a.Sync(ctx, string(data)); err != nil {
			return err
		}
		if after := a.state.Load(); !first && before != nil && !advanced(before, after) && !after.Timestamp.After(before.Timestamp) {
			// The registry sends each notification once, and a new
			// one only when it changed: the same one again is a replay
			// by something in the path, paced like the long-poll's.
			return reject("not_newer", "the feed stream sent version %d signed at %s again (a registry sends only a new notification): something in the path replays notifications",
				after.Version, after.Timestamp.Format(time.RFC3339))
		}
		a.inline.clear()
	}
	return nil
}
