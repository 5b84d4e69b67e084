package agent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"
	"unicode"
)

// batchBuf is the memory of one POST /v1/check, reused through a pool: in
// the steady state a batch allocates nothing, so batches do not pace the
// garbage collector (without the pool, each 1,000-address batch left about
// 250 KB behind).
type batchBuf struct {
	body []byte
	ips  []netip.Addr
	// src[i] says where address i's text is in body (offset<<8 | length)
	// when that text is how the answer writes the address (a canonical
	// dotted quad), so the answer copies it instead of formatting it; 0
	// when it must be formatted.
	src  []uint32
	vals []int
	out  []byte
}

// maxPooledBatch: buffers grown beyond this by an unusually large batch
// are left to the collector rather than kept for every later batch.
const maxPooledBatch = 4 << 20

var batchPool = sync.Pool{New: func() any { return new(batchBuf) }}

func (b *batchBuf) release() {
	if cap(b.body) > maxPooledBatch || cap(b.out) > maxPooledBatch || cap(b.ips) > MaxBatch/4 {
		return
	}
	batchPool.Put(b)
}

// checkBatch answers many addresses: a JSON array of strings
// (application/json) or one address per line (text/plain). The answers
// come back as a JSON array in the same order, each exactly as GET
// /v1/check writes it.
func (a *Agent) checkBatch(w http.ResponseWriter, r *http.Request) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" && mt != "text/plain" && mt != "" {
		apiError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json (an array) or text/plain (one address per line)")
		return
	}
	b := batchPool.Get().(*batchBuf)
	defer b.release()
	buf := bytes.NewBuffer(b.body[:0])
	if r.ContentLength > 0 && r.ContentLength <= 64*MaxBatch {
		buf.Grow(int(r.ContentLength))
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, 64*MaxBatch))
	b.body = buf.Bytes()
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		apiError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("the body is over %d bytes; send at most %d addresses per request", 64*MaxBatch, MaxBatch))
		return
	case err != nil:
		apiError(w, http.StatusBadRequest, "unreadable", "the request body could not be read ("+err.Error()+"); send the request again")
		return
	}
	b.ips, b.src = b.ips[:0], b.src[:0]
	if mt == "application/json" {
		err = b.parseJSON()
	} else {
		err = b.parseLines()
	}
	if err != nil {
		apiError(w, http.StatusBadRequest, "malformed", err.Error())
		return
	}
	if len(b.ips) > MaxBatch {
		apiError(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("%d addresses; send at most %d per request", len(b.ips), MaxBatch))
		return
	}
	t := a.table.Load()
	if t == nil {
		apiError(w, http.StatusServiceUnavailable, "not_ready", ErrNotReady.Error())
		return
	}
	if cap(b.vals) < len(b.ips) {
		b.vals = make([]int, len(b.ips))
	}
	b.vals = b.vals[:len(b.ips)]
	t.lookupBatch(b.ips, b.vals)
	out, allowed := a.appendAnswers(append(b.out[:0], '['), t, b)
	b.out = append(out, ']', '\n')
	a.count(len(b.ips), allowed)
	w.Header().Set("Content-Length", strconv.Itoa(len(b.out)))
	writeRaw(w, b.out)
}

// appendAnswers writes the batch's answers, comma-separated, and counts
// those allowed. Table hits with plain text (all the registry's) and plain
// misses are written straight from the table's records; everything else
// (stale data, mobile numbers, expired entries, text needing escapes) goes
// through answer and appendJSON, as a single check does.
func (a *Agent) appendAnswers(out []byte, t *Table, b *batchBuf) ([]byte, int) {
	stale, now := a.stale(), a.cfg.Now()
	general := stale || a.bindings.n.Load() > 0 // every answer takes the general path
	var tc timeCache
	allowed := 0
	for i, ip := range b.ips {
		if i > 0 {
			out = append(out, ',')
		}
		v := b.vals[i]
		if general || v >= 0 && !t.es.fast(uint32(v), now) {
			ans := a.answer(t, stale, now, ip, v)
			out = ans.appendJSON(out)
			allowed += boolInt(ans.Allowed)
			continue
		}
		out = append(out, `{"ip":"`...)
		if s := b.src[i]; s != 0 {
			out = append(out, b.body[s>>8:s>>8+s&255]...)
		} else {
			out = ip.Unmap().AppendTo(out)
		}
		if v < 0 {
			out = append(out, `","allowed":false}`...)
			continue
		}
		pfx, reg, cat := t.es.text(uint32(v))
		out = append(out, `","allowed":true,"registration":"`...)
		out = append(out, reg...)
		out = append(out, `","prefix":"`...)
		out = append(out, pfx...)
		out = append(out, `","category":"`...)
		out = append(out, cat...)
		out = append(out, `","until":"`...)
		out = tc.append(out, t.es.rec(uint32(v)).until)
		out = append(out, `"}`...)
		allowed++
	}
	return out, allowed
}

// timeCache remembers the last "until" written: the registry gives whole
// days, so a batch meets the same few again and again.
type timeCache struct {
	sec int64
	n   int
	buf [20]byte
}

func (c *timeCache) append(b []byte, sec int64) []byte {
	if c.n == 0 || c.sec != sec {
		c.sec, c.n = sec, len(appendTime(c.buf[:0], time.Unix(sec, 0)))
		if c.n > len(c.buf) { // years past 9999 do not fit; format them each time
			c.n = 0
			return appendTime(b, time.Unix(sec, 0))
		}
	}
	return append(b, c.buf[:c.n]...)
}

// parseJSON reads a JSON array of address strings. An array of plain
// strings (no escapes), as clients send, is read directly; anything else
// goes through encoding/json, so the fast path changes speed, not answers.
func (b *batchBuf) parseJSON() error {
	body := b.body
	rest := bytes.TrimSpace(body)
	if len(rest) < 2 || rest[0] != '[' || rest[len(rest)-1] != ']' {
		return b.parseSlowJSON()
	}
	rest = bytes.TrimSpace(rest[1 : len(rest)-1])
	for len(rest) > 0 {
		if rest[0] != '"' {
			return b.parseSlowJSON()
		}
		// rest is a tail of body (trimmed at the end too), so their
		// capacities differ by where rest starts.
		off := cap(body) - cap(rest) + 1
		// The common case first: a dotted quad and its closing quote,
		// read in one pass.
		if x, n, ok := dottedPadded(rest[1:]); ok && n+1 < len(rest) && rest[n+1] == '"' {
			b.ips = append(b.ips, netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)}))
			b.src = append(b.src, uint32(off)<<8|uint32(n))
			rest = skipSpace(rest[n+2:])
		} else {
			end := bytes.IndexByte(rest[1:], '"') + 1
			if end == 0 || bytes.IndexByte(rest[1:end], '\\') >= 0 {
				return b.parseSlowJSON()
			}
			if err := b.add(rest[1:end], off); err != nil {
				return err
			}
			rest = skipSpace(rest[end+1:])
		}
		if len(rest) > 0 {
			if rest[0] != ',' {
				return b.parseSlowJSON()
			}
			rest = skipSpace(rest[1:])
			if len(rest) == 0 {
				return b.parseSlowJSON() // a trailing comma: let encoding/json name the error
			}
		}
	}
	return nil
}

// parseLines reads one address per line; blank lines and the spaces
// around an address do not count.
func (b *batchBuf) parseLines() error {
	for off := 0; off < len(b.body); {
		line := b.body[off:]
		next := len(b.body)
		if i := bytes.IndexByte(line, '\n'); i >= 0 {
			line, next = line[:i], off+i+1
		}
		left := bytes.TrimLeftFunc(line, unicode.IsSpace)
		start := len(line) - len(left)
		if line = bytes.TrimRightFunc(left, unicode.IsSpace); len(line) > 0 {
			if err := b.add(line, off+start); err != nil {
				return err
			}
		}
		off = next
	}
	return nil
}

// add parses an address found at body[off:off+len(s)]: a plain dotted
// quad directly (and remembered as its own answer text), anything else
// with netip.
func (b *batchBuf) add(s []byte, off int) error {
	if x, ok := parseDotted(s); ok {
		b.ips = append(b.ips, x)
		b.src = append(b.src, uint32(off)<<8|uint32(len(s))) // off < 64·MaxBatch < 2²⁴
		return nil
	}
	ip, err := ParseCheckAddr(string(s))
	if err != nil {
		return fmt.Errorf("entry %d: %v", len(b.ips), err)
	}
	b.ips, b.src = append(b.ips, ip), append(b.src, 0)
	return nil
}

func (b *batchBuf) parseSlowJSON() error {
	var raw []string
	if err := json.Unmarshal(b.body, &raw); err != nil {
		return fmt.Errorf("the body must be a JSON array of address strings: %v", err)
	}
	b.ips, b.src = b.ips[:0], b.src[:0]
	for i, s := range raw {
		ip, err := ParseCheckAddr(s)
		if err != nil {
			return fmt.Errorf("entry %d: %v", i, err)
		}
		b.ips, b.src = append(b.ips, ip), append(b.src, 0)
	}
	return nil
}

// skipSpace drops JSON whitespace from the front of b.
func skipSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// parseDotted reads "a.b.c.d" with no leading zeros, as netip does.
func parseDotted(b []byte) (netip.Addr, bool) {
	a, i, ok := dotted(b)
	if !ok || i != len(b) {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), true
}

// dottedPadded is dotted for []byte where at least 18 bytes remain (in a
// JSON body, an address is followed by at least a quote and a bracket):
// free to read three bytes past any octet, it parses each octet without a
// branch. The digit counts of random addresses (1, 2 or 3 per octet) are
// what a branch predictor cannot guess, and dotted's per-digit loop paid a
// misprediction for most octets.
func dottedPadded(s []byte) (uint32, int, bool) {
	if len(s) < 18 {
		return dotted(s)
	}
	var a uint32
	bad, i := 0, 0
	for part := 0; part < 4; part++ {
		c0, c1, c2 := uint32(s[i]-'0'), uint32(s[i+1]-'0'), uint32(s[i+2]-'0')
		n1 := b2u(c1 <= 9)
		n2 := n1 & b2u(c2 <= 9)
		v1 := c0*10 + c1
		v2 := v1*10 + c2
		v := c0 + n1*(v1-c0) + n2*(v2-v1)                        // c0, v1 or v2 by the digits present (wrapping is fine: it cancels)
		bad |= int(b2u(c0 > 9) | b2u(v > 255) | b2u(c0 == 0)&n1) // a non-digit, too large, a leading zero
		i += int(1 + n1 + n2)
		a = a<<8 | v
		if part < 3 {
			bad |= int(b2u(s[i] != '.'))
			i++
		}
	}
	return a, i, bad == 0
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
