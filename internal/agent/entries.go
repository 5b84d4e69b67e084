package agent

import (
	"sync"
	"time"
	"unsafe"

	"github.com/ipreg/ipreg/internal/feed"
)

// entryStore holds a table's entries without a single pointer: fixed-size
// records plus one byte arena for their text. The garbage collector never
// scans pointer-free memory, so a table of a million entries costs it
// nothing, where a slice of feed.Entry (five pointers each) cost every
// collection a scan of about 100 MB, which showed as delays in applying
// deltas. A record is 24 bytes and its text sits in one place, so a lookup
// that returns the entry touches one or two cache lines instead of four.
//
// Both slices only grow: Apply appends a delta's new entries, sharing the
// arrays with the table it came from, whose lookups read only below their
// own lengths (see entryLog).
type entryStore struct {
	recs []packed
	text []byte // per record: prefix, registration number, category
	log  *entryLog

	lastCat      string // categories repeat: the last one's jsonPlain
	lastCatPlain bool
}

type packed struct {
	until         int64 // Unix seconds
	nsec          int32
	off           uint32 // of the record's text
	pfx, reg, cat uint16 // text lengths
	plain         bool   // the text needs no escaping in JSON
}

// entryLog tells Apply whether it may append to a table's entries in
// place: only if no other successor of that table has appended since.
type entryLog struct {
	mu         sync.Mutex
	recs, text int
}

// fits reports whether an entry's text can be packed (lengths to 64 KiB;
// feed lines are far shorter).
func fits(e *feed.Entry) bool {
	return len(e.Prefix) <= 0xffff && len(e.Reg) <= 0xffff && len(e.Cat) <= 0xffff
}

// add appends e and returns its value (record index).
func (es *entryStore) add(e *feed.Entry) uint32 {
	v := uint32(len(es.recs))
	es.recs = append(es.recs, packed{until: e.Until.Unix(), nsec: int32(e.Until.Nanosecond()), off: uint32(len(es.text)),
		pfx: uint16(len(e.Prefix)), reg: uint16(len(e.Reg)), cat: uint16(len(e.Cat)),
		plain: es.plainCat(e.Cat) && jsonPlain(e.Reg) && jsonPlain(e.Prefix)})
	es.text = append(es.text, e.Prefix...)
	es.text = append(es.text, e.Reg...)
	es.text = append(es.text, e.Cat...)
	return v
}

func (es *entryStore) plainCat(cat string) bool {
	if cat != es.lastCat || es.lastCat == "" {
		es.lastCat, es.lastCatPlain = cat, jsonPlain(cat)
	}
	return es.lastCatPlain
}

// str is text[off:off+n] as a string without a copy: the arena is never
// written below its length, which is what unsafe.String requires.
func (es *entryStore) str(off uint32, n uint16) string {
	if n == 0 {
		return ""
	}
	return unsafe.String(&es.text[off], int(n))
}

func (es *entryStore) get(v uint32) feed.Entry {
	r := &es.recs[v]
	return feed.Entry{
		Prefix: es.str(r.off, r.pfx),
		Reg:    es.str(r.off+uint32(r.pfx), r.reg),
		Cat:    es.str(r.off+uint32(r.pfx)+uint32(r.reg), r.cat),
		Until:  time.Unix(r.until, int64(r.nsec)).UTC(),
	}
}

// plain reports whether entry v's strings can be written into JSON as
// they are.
func (es *entryStore) plain(v uint32) bool { return es.recs[v].plain }

func (es *entryStore) regOf(v uint32) string {
	r := &es.recs[v]
	return es.str(r.off+uint32(r.pfx), r.reg)
}

// allowedAt reports whether entry v is still valid at now, from the record
// alone.
func (es *entryStore) allowedAt(v uint32, now time.Time) bool {
	r := &es.recs[v]
	s := now.Unix()
	return s < r.until || s == r.until && int32(now.Nanosecond()) < r.nsec
}

// successor returns entries that a new table may append to: these, if no
// other successor has appended to them, or else a copy.
func (es *entryStore) successor() entryStore {
	es.log.mu.Lock()
	defer es.log.mu.Unlock()
	if es.log.recs == len(es.recs) && es.log.text == len(es.text) {
		es.log.recs, es.log.text = -1, -1 // claimed until commit
		return entryStore{recs: es.recs, text: es.text, log: es.log}
	}
	return entryStore{recs: clip(es.recs), text: clip(es.text), log: &entryLog{recs: -1, text: -1}}
}

// commit records the new lengths: a later successor of the new table may
// append in place; one of an older table copies.
func (es *entryStore) commit() {
	es.log.mu.Lock()
	es.log.recs, es.log.text = len(es.recs), len(es.text)
	es.log.mu.Unlock()
}

// release gives up a claim that led nowhere (a refused delta).
func (es *entryStore) release(base *entryStore) {
	es.log.mu.Lock()
	if es.log == base.log {
		es.log.recs, es.log.text = len(base.recs), len(base.text)
	}
	es.log.mu.Unlock()
}

func clip[S any](s []S) []S { return s[:len(s):len(s)] }
