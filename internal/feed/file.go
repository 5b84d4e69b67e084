package feed

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
	"unsafe"
)

// MaxDecompressed bounds what reading one file may inflate to, so a
// hostile or corrupt file cannot exhaust memory (1,000,000 entries take
// about 110 MB).
const MaxDecompressed = 1 << 30

// EncodeSnapshot writes a snapshot: the header, then the entries, which
// must be sorted by Key without duplicates.
func EncodeSnapshot(h Header, entries []Entry) ([]byte, error) {
	h.Type = "snapshot"
	return encode(h, len(entries), func(i int) (any, string) { return entries[i], entries[i].Key() })
}

// EncodeDelta writes a delta: the header, then the operations sorted by
// entry Key (one operation per key).
func EncodeDelta(h Header, ops []Op) ([]byte, error) {
	h.Type = "delta"
	for _, o := range ops {
		if o.Op != "add" && o.Op != "remove" {
			return nil, fmt.Errorf("encode delta: op %q", o.Op)
		}
	}
	return encode(h, len(ops), func(i int) (any, string) { return ops[i], ops[i].Key() })
}

func encode(h Header, n int, item func(int) (any, string)) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(zw, 64<<10)
	enc := json.NewEncoder(bw)
	if err := enc.Encode(h); err != nil {
		return nil, err
	}
	prev := ""
	for i := 0; i < n; i++ {
		v, key := item(i)
		if i > 0 && key <= prev {
			return nil, fmt.Errorf("encode %s: entries not sorted or duplicated at %s", h.Type, key)
		}
		prev = key
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// DecodeSnapshot reads and checks a snapshot: valid gzip, a snapshot header
// for the expected session and version, valid entries in strict key order.
func DecodeSnapshot(b []byte, session string, version int64) ([]Entry, error) {
	var out []Entry
	in := &strs{}
	err := decode(b, "snapshot", session, version, func(line []byte) (order, error) {
		e, err := parseEntry(line, in)
		if err != nil {
			return order{}, err
		}
		out = append(out, e)
		return e.checkedOrder()
	})
	return out, err
}

// DecodeDelta reads and checks a delta like DecodeSnapshot.
func DecodeDelta(b []byte, session string, version int64) ([]Op, error) {
	// Sized up front: growing a slice of ops (pointers inside) while the
	// collector runs copies them under write barriers, which took half the
	// decoding time of a 1 % delta. A compressed delta line takes at least
	// about 4 bytes, so this rarely needs to grow, and for the deltas agents
	// fetch the cost is small.
	out := make([]Op, 0, min(len(b)/4+16, 1<<20))
	in := &strs{}
	err := decode(b, "delta", session, version, func(line []byte) (order, error) {
		o, err := parseOp(line, in)
		if err != nil {
			return order{}, err
		}
		if o.Op != "add" && o.Op != "remove" {
			return order{}, fmt.Errorf("unknown op %q", o.Op)
		}
		out = append(out, o)
		return o.Entry.checkedOrder()
	})
	return out, err
}

// gzipReaders keeps gzip readers (each some 40 KiB of decompressor state)
// for the next file: an agent decodes one or more files per version, and
// a fleet of them on one machine thousands.
var gzipReaders sync.Pool

// decode checks the gzip stream and header, then hands each line to line,
// which returns the entry's key; keys must strictly increase.
func decode(b []byte, typ, session string, version int64, line func([]byte) (order, error)) error {
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	if zr == nil {
		zr = new(gzip.Reader)
	}
	defer gzipReaders.Put(zr)
	if err := zr.Reset(bytes.NewReader(b)); err != nil {
		return fmt.Errorf("%s: not gzip: %w", typ, err)
	}
	// The line buffer starts near the file's size (64 KiB for large ones,
	// a few KiB for the one-entry deltas most versions are) and grows to
	// 1 MiB for a long line.
	sc := bufio.NewScanner(io.LimitReader(zr, MaxDecompressed))
	sc.Buffer(make([]byte, min(64<<10, max(4<<10, 8*len(b)))), 1<<20)
	if !sc.Scan() {
		return fmt.Errorf("%s: no header line: %w", typ, errOr(sc.Err(), io.ErrUnexpectedEOF))
	}
	var h Header
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil {
		return fmt.Errorf("%s: header: %w", typ, err)
	}
	if h.Type != typ || h.SessionID != session || h.Version != version {
		return fmt.Errorf("%s: header says %s of session %s version %d, want %s of session %s version %d",
			typ, h.Type, h.SessionID, h.Version, typ, session, version)
	}
	var prev order
	for n := 2; sc.Scan(); n++ {
		key, err := line(sc.Bytes())
		if err != nil {
			return fmt.Errorf("%s line %d: %w", typ, n, err)
		}
		if n > 2 && compareOrder(key, prev) <= 0 {
			return fmt.Errorf("%s line %d: entries not in order or duplicated", typ, n)
		}
		prev = key
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", typ, err) // truncated gzip ends here
	}
	return nil
}

// parseEntry reads one entry line. Lines in the exact form EncodeSnapshot
// writes ({"prefix"|"msisdn":…,"reg":…,"cat":…,"until":…}, no escapes)
// are read directly; anything else goes through encoding/json, so the
// fast path changes speed, never meaning.
func parseEntry(line []byte, in *strs) (Entry, error) {
	if len(line) > 0 && line[0] == '{' {
		if e, ok := fastEntry(line[1:], in); ok {
			return e, nil
		}
	}
	var e Entry
	err := json.Unmarshal(line, &e)
	return e, err
}

// opPrefixes are the beginnings of delta lines as EncodeDelta writes them.
var opPrefixes = []struct {
	op     string
	prefix []byte
}{{"add", []byte(`{"op":"add",`)}, {"remove", []byte(`{"op":"remove",`)}}

// parseOp reads one delta line the same way: {"op":…, then an entry's
// fields in EncodeDelta's order, directly; anything else through
// encoding/json.
func parseOp(line []byte, in *strs) (Op, error) {
	for _, op := range opPrefixes {
		if bytes.HasPrefix(line, op.prefix) {
			if e, ok := fastEntry(line[len(op.prefix):], in); ok {
				return Op{Op: op.op, Entry: e}, nil
			}
		}
	}
	var o Op
	err := json.Unmarshal(line, &o)
	return o, err
}

// strs makes the strings of one file's entries. A snapshot holds millions
// of them, and as separate allocations they are millions of objects for
// the garbage collector to mark on every cycle for as long as the agent
// holds the table; here they share large blocks instead. Values that
// repeat (categories) share one string: less memory, one hot cache line.
type strs struct {
	cats  map[string]string
	block []byte
}

// intern returns the shared string for b (a plain copy with a nil strs).
func (in *strs) intern(b []byte) string {
	if in == nil {
		return string(b)
	}
	if s, ok := in.cats[string(b)]; ok {
		return s
	}
	s := in.str(b)
	if in.cats == nil {
		in.cats = map[string]string{}
	}
	if len(in.cats) < 256 {
		in.cats[s] = s
	}
	return s
}

// str returns b as a string in the current block. A block is only ever
// appended to, never changed, which is what unsafe.String requires.
func (in *strs) str(b []byte) string {
	if in == nil || len(b) == 0 {
		return string(b)
	}
	if cap(in.block)-len(in.block) < len(b) {
		// Blocks grow from 4 KiB to 256 KiB: a one-entry delta (what
		// most versions are) took a 256 KiB block to zero and collect,
		// which was most of what applying it cost (a profile of 5,000
		// agents following a stream).
		next := min(max(4<<10, 2*cap(in.block)), 256<<10)
		in.block = make([]byte, 0, max(next, len(b)))
	}
	start := len(in.block)
	in.block = append(in.block, b...)
	return unsafe.String(&in.block[start], len(b))
}

// fastEntry reads an entry's fields after the opening brace.
func fastEntry(body []byte, in *strs) (Entry, bool) {
	var e Entry
	rest := body
	raw := func(name string) ([]byte, bool) {
		if !bytes.HasPrefix(rest, []byte(name)) {
			return nil, false
		}
		rest = rest[len(name):]
		end := bytes.IndexByte(rest, '"')
		if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
			return nil, false
		}
		v := rest[:end]
		rest = rest[end+1:]
		return v, true
	}
	field := func(name string) (string, bool) {
		v, ok := raw(name)
		return in.str(v), ok
	}
	var ok bool
	switch {
	case bytes.HasPrefix(rest, []byte(`"prefix":"`)):
		e.Prefix, ok = field(`"prefix":"`)
	case bytes.HasPrefix(rest, []byte(`"msisdn":"`)):
		e.MSISDN, ok = field(`"msisdn":"`)
	}
	if !ok {
		return e, false
	}
	if e.Reg, ok = field(`,"reg":"`); !ok {
		return e, false
	}
	cat, ok := raw(`,"cat":"`)
	if !ok {
		return e, false
	}
	e.Cat = in.intern(cat)
	until, ok := field(`,"until":"`)
	if !ok || string(rest) != "}" {
		return e, false
	}
	t, err := time.Parse(time.RFC3339Nano, until)
	if err != nil {
		return e, false
	}
	e.Until = t
	return e, true
}

func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}
