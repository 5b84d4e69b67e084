package agent

import (
	"encoding/binary"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/ipreg/ipreg/internal/feed"
)

// entryStore holds a table's entries without a single pointer to scan: a
// fixed-size record per entry, text included. The garbage collector never
// scans pointer-free memory, so a table of a million entries costs it
// nothing, where a slice of feed.Entry (five pointers each) cost every
// collection a scan of about 100 MB, which showed as delays in applying
// deltas.
//
// A record is one 64-byte cache line (chunks are large allocations, which
// start on a page): the answer to a lookup, registration number, prefix,
// category and expiry, costs one memory access. With the text in an arena
// of its own it cost two or three, and batch lookups spent a quarter more
// time waiting for memory (BENCHMARKS.md). Text that does not fit the
// record's 48 bytes (no registry entry comes near) spills into an arena.
//
// Records live in chunks of 16,384 (1 MiB), so the store grows without
// ever copying what it holds: one array of a million records had to be
// copied whole, 70 MB, every few dozen deltas, and on a virtual machine
// whose fresh pages are slow to fault in that stalled an apply for up to a
// second.
//
// The store only grows: Apply appends a delta's new entries, sharing the
// chunks with the table it came from, whose lookups read only below its
// own count (see entryLog).
type entryStore struct {
	chunks []*[chunkRecs]record
	n      int    // records in use
	spill  []byte // the text of records marked spilled
	log    *entryLog

	lastCat      string // categories repeat: the last one's jsonPlain
	lastCatPlain bool
}

const (
	chunkBits = 14
	chunkRecs = 1 << chunkBits
)

// rec returns record v.
func (es *entryStore) rec(v uint32) *record {
	return &es.chunks[v>>chunkBits][v&(chunkRecs-1)]
}

// record is one entry. Its text is prefix, registration number and
// category, one after the other: in text, or, when spilled, in the spill
// arena at the offset in text[0:4], with 16-bit lengths in text[4:10].
type record struct {
	until         int64 // Unix seconds
	nsec          int32
	pfx, reg, cat uint8 // text lengths (when not spilled)
	flags         uint8
	text          [inlineText]byte
}

const (
	inlineText = 48
	recPlain   = 1 // the text needs no escaping in JSON
	recSpilled = 2 // the text is in the spill arena
)

// entryLog tells Apply whether it may append to a table's entries in
// place: only if no other successor of that table has appended since.
type entryLog struct {
	mu          sync.Mutex
	recs, spill int
}

// fits reports whether an entry's text can be stored (lengths to 64 KiB;
// feed lines are far shorter).
func fits(e *feed.Entry) bool {
	return len(e.Prefix) <= 0xffff && len(e.Reg) <= 0xffff && len(e.Cat) <= 0xffff
}

// add appends e and returns its value (record index). The record is
// filled where it lies, not built and then copied: Build adds a million.
func (es *entryStore) add(e *feed.Entry) uint32 {
	v := uint32(es.n)
	if es.n == len(es.chunks)*chunkRecs {
		es.chunks = append(es.chunks, new([chunkRecs]record))
	}
	es.n++
	r := es.rec(v)
	r.until, r.nsec = e.Until.Unix(), int32(e.Until.Nanosecond())
	if es.plainCat(e.Cat) && jsonPlain(e.Reg) && jsonPlain(e.Prefix) {
		r.flags = recPlain
	}
	if n := len(e.Prefix) + len(e.Reg) + len(e.Cat); n <= inlineText {
		r.pfx, r.reg, r.cat = uint8(len(e.Prefix)), uint8(len(e.Reg)), uint8(len(e.Cat))
		copy(r.text[copy(r.text[:], e.Prefix):], e.Reg)
		copy(r.text[len(e.Prefix)+len(e.Reg):], e.Cat)
	} else {
		r.flags |= recSpilled
		binary.LittleEndian.PutUint32(r.text[0:], uint32(len(es.spill)))
		binary.LittleEndian.PutUint16(r.text[4:], uint16(len(e.Prefix)))
		binary.LittleEndian.PutUint16(r.text[6:], uint16(len(e.Reg)))
		binary.LittleEndian.PutUint16(r.text[8:], uint16(len(e.Cat)))
		es.spill = append(append(append(es.spill, e.Prefix...), e.Reg...), e.Cat...)
	}
	return v
}

func (es *entryStore) plainCat(cat string) bool {
	if cat != es.lastCat || es.lastCat == "" {
		es.lastCat, es.lastCatPlain = cat, jsonPlain(cat)
	}
	return es.lastCatPlain
}

// text returns entry v's prefix, registration number and category as
// slices of the store (not to be written to).
func (es *entryStore) text(v uint32) (pfx, reg, cat []byte) {
	r := es.rec(v)
	if r.flags&recSpilled == 0 {
		p, g := int(r.pfx), int(r.pfx)+int(r.reg)
		return r.text[:p:p], r.text[p:g:g], r.text[g : g+int(r.cat) : g+int(r.cat)]
	}
	off := int(binary.LittleEndian.Uint32(r.text[0:]))
	p := off + int(binary.LittleEndian.Uint16(r.text[4:]))
	g := p + int(binary.LittleEndian.Uint16(r.text[6:]))
	return es.spill[off:p:p], es.spill[p:g:g], es.spill[g : g+int(binary.LittleEndian.Uint16(r.text[8:]))]
}

// str makes a string of b without a copy: records and the spill arena are
// never written below their lengths, which is what unsafe.String requires.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (es *entryStore) get(v uint32) feed.Entry {
	pfx, reg, cat := es.text(v)
	r := es.rec(v)
	return feed.Entry{Prefix: str(pfx), Reg: str(reg), Cat: str(cat), Until: time.Unix(r.until, int64(r.nsec)).UTC()}
}

// plain reports whether entry v's strings can be written into JSON as
// they are.
func (es *entryStore) plain(v uint32) bool { return es.rec(v).flags&recPlain != 0 }

func (es *entryStore) regOf(v uint32) string {
	_, reg, _ := es.text(v)
	return str(reg)
}

// allowedAt reports whether entry v is still valid at now, from the record
// alone.
func (es *entryStore) allowedAt(v uint32, now time.Time) bool {
	r := es.rec(v)
	s := now.Unix()
	return s < r.until || s == r.until && int32(now.Nanosecond()) < r.nsec
}

// fast reports whether entry v's answer can be written straight from its
// record: allowed at now, with text that needs no escaping and an "until"
// in whole seconds. (A table entry always has a prefix: Build and Apply
// take no other.)
func (es *entryStore) fast(v uint32, now time.Time) bool {
	r := es.rec(v)
	return r.flags&recPlain != 0 && r.nsec == 0 && now.Unix() < r.until
}

// successor returns entries that a new table may append to: these, if no
// other successor has appended to them, or else a copy.
func (es *entryStore) successor() entryStore {
	es.log.mu.Lock()
	defer es.log.mu.Unlock()
	if es.log.recs == es.n && es.log.spill == len(es.spill) {
		es.log.recs, es.log.spill = -1, -1 // claimed until commit
		return entryStore{chunks: clip(es.chunks), n: es.n, spill: es.spill, log: es.log}
	}
	// Another successor has written past this store's end, into its last
	// chunk: that chunk is copied, the full ones are shared.
	full := es.n / chunkRecs
	chunks := slices.Clone(es.chunks[:full])
	if es.n > full*chunkRecs {
		last := *es.chunks[full]
		clear(last[es.n-full*chunkRecs:])
		chunks = append(chunks, &last)
	}
	return entryStore{chunks: chunks, n: es.n, spill: clip(es.spill), log: &entryLog{recs: -1, spill: -1}}
}

// commit records the new lengths: a later successor of the new table may
// append in place; one of an older table copies.
func (es *entryStore) commit() {
	es.log.mu.Lock()
	es.log.recs, es.log.spill = es.n, len(es.spill)
	es.log.mu.Unlock()
}

// release gives up a claim that led nowhere (a refused delta).
func (es *entryStore) release(base *entryStore) {
	es.log.mu.Lock()
	if es.log == base.log {
		es.log.recs, es.log.spill = base.n, len(base.spill)
	}
	es.log.mu.Unlock()
}

func clip[S any](s []S) []S { return s[:len(s):len(s)] }
