// Package audit is ipreg's tamper-evident log: every state change and every
// staff read of personal data becomes an Entry whose hash covers its content
// and the previous entry's hash, so that a changed, removed or reordered row
// breaks the chain. Stores persist entries; Verify checks them.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Genesis is the previous hash of the first entry.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Entry is one row of the audit log.
type Entry struct {
	Seq        int64
	At         time.Time
	ActorID    string // "" for the system (background jobs)
	Action     string // e.g. "application.submitted", "application.viewed"
	ObjectType string
	ObjectID   string
	Detail     string // short JSON or text; never secrets or document contents
	PrevHash   string
	Hash       string
}

// Sum computes the entry's hash from its fields and PrevHash. Fields are
// length-prefixed so that no two different entries serialise alike.
func (e *Entry) Sum() string {
	h := sha256.New()
	for _, f := range []string{
		strconv.FormatInt(e.Seq, 10),
		e.At.UTC().Format(time.RFC3339Nano),
		e.ActorID, e.Action, e.ObjectType, e.ObjectID, e.Detail, e.PrevHash,
	} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Seal links e after the entry with sequence prevSeq and hash prevHash.
func (e *Entry) Seal(prevSeq int64, prevHash string) {
	e.Seq = prevSeq + 1
	e.PrevHash = prevHash
	e.Hash = e.Sum()
}

// Verifier checks entries in sequence order, one at a time, so that logs of
// any length verify in constant memory.
type Verifier struct {
	seq  int64
	hash string
	n    int64
}

// NewVerifier starts at the genesis.
func NewVerifier() *Verifier { return &Verifier{hash: Genesis} }

// Next checks one entry against the chain so far.
func (v *Verifier) Next(e Entry) error {
	switch {
	case e.Seq != v.seq+1:
		if e.Seq <= v.seq {
			return fmt.Errorf("entry %d follows entry %d: rows are out of order or duplicated", e.Seq, v.seq)
		}
		return fmt.Errorf("entry %d follows entry %d: rows were removed or reordered", e.Seq, v.seq)
	case e.PrevHash != v.hash:
		return fmt.Errorf("entry %d does not link to entry %d (previous hash differs): rows were removed, reordered or changed", e.Seq, v.seq)
	case e.Sum() != e.Hash:
		return fmt.Errorf("entry %d (%s %s %s) was changed after it was written: its hash does not match its content", e.Seq, e.Action, e.ObjectType, e.ObjectID)
	}
	v.seq, v.hash = e.Seq, e.Hash
	v.n++
	return nil
}

// Finish checks that the chain ends where the store's head says it does,
// which catches rows removed from the end.
func (v *Verifier) Finish(headSeq int64, headHash string) error {
	if headSeq != v.seq || !strings.EqualFold(headHash, v.hash) {
		return fmt.Errorf("the log ends at entry %d but its head records entry %d: rows were removed from the end", v.seq, headSeq)
	}
	return nil
}

// Count is the number of entries verified.
func (v *Verifier) Count() int64 { return v.n }
