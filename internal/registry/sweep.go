package registry

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"
)

// SweepGrace is how old a file no document record names must be before
// the sweep removes it. An upload seals its file first and records it in
// a transaction after, so for a moment every upload in flight looks like
// an orphan; a transaction waiting on locks or retried lasts seconds and
// the request times out long before an hour, so an hour never sweeps an
// upload in flight (nor one on another replica whose clock is a little
// off), and leaves a file a killed process orphaned for at most about two
// hours (the grace, then the hourly job).
const SweepGrace = time.Hour

// BlobFiles is a document store that can list its files for the sweep
// (package docstore's Store is one).
type BlobFiles interface {
	// Files lists sealed documents by id and the temporary files an
	// interrupted write left by name, with their modification times.
	Files(ctx context.Context) (docs, temps map[string]time.Time, err error)
	// RemoveTemp removes a temporary file Files listed.
	RemoveTemp(ctx context.Context, name string) error
	// SweepHeld says whether the sweep of unrecorded files is held, and
	// why; HoldSweep holds it until an operator lifts the hold (package
	// docstore: a file in the documents directory, shared by replicas).
	SweepHeld(ctx context.Context) (why string, held bool, err error)
	HoldSweep(ctx context.Context, why string) error
}

// SweepHoldAt is how many unnamed files, outnumbering the named ones, hold
// the sweep until an operator lifts the hold. Fewer only refuse that
// sweep: a kill orphans at most the uploads in flight, and a new registry
// killed before its first uploads were recorded must not need an
// operator; a wrong database beside a real registry's documents leaves
// many more unnamed, and, held, cannot come to name more than it leaves
// unnamed by taking uploads, and then delete the rest.
const SweepHoldAt = 16

// sweepHoldName is package docstore's SweepHoldFile, named in messages
// (registry does not import docstore).
const sweepHoldName = "SWEEP-HELD"

// sweptCounts counts the files the sweep removed since the start, by
// kind, for metrics.
type sweptCounts struct {
	sealed, temp atomic.Int64
}

// Swept returns how many files the document sweep removed since the
// service started: sealed files no record names, and temporary files.
func (s *Service) Swept() (sealed, temp int64) {
	return s.swept.sealed.Load(), s.swept.temp.Load()
}

// SweepDocuments removes the files in the document store that no document
// record names (a process killed between sealing a document and recording
// it leaves them) and the temporary files an interrupted write left, both
// only once older than SweepGrace, so that no personal document outlives
// the retention rules. It returns how many files it removed; it logs
// counts, never names or contents. Without a document store that can
// list its files there is nothing to sweep.
func (s *Service) SweepDocuments(ctx context.Context) (int, error) {
	files, ok := s.blobs.(BlobFiles)
	if !ok {
		return 0, nil
	}
	// Once refused (below), the sweep stays held, across restarts and
	// replicas, until an operator has checked --db and removed the hold:
	// a registry on the wrong database that goes on taking uploads would
	// otherwise come to name more files than it leaves unnamed, and the
	// next sweep would delete the rest (tester, issue 14).
	if why, held, err := files.SweepHeld(ctx); err != nil {
		return 0, fmt.Errorf("sweep documents: %w", err)
	} else if held {
		s.log.Error("documents not swept: the sweep is held", "why", why)
		return 0, Errorf(ECONFLICT, "sweep documents: held since an earlier refusal (%s). Once --db is known to be the database of this --data-dir, remove documents/%s to let it run", why, sweepHoldName)
	}
	// Files first, records after: a record committed before the listing
	// is seen, and a file sealed after it is not looked at.
	docs, temps, err := files.Files(ctx)
	if err != nil {
		return 0, fmt.Errorf("sweep documents: list files: %w", err)
	}
	var ids []string
	if err := s.store.Read(ctx, func(tx Tx) error {
		ids, err = tx.DocumentIDs(ctx)
		return err
	}); err != nil {
		return 0, fmt.Errorf("sweep documents: %w", err)
	}
	files0 := len(docs)
	for _, id := range ids {
		delete(docs, id)
	}
	// A database that names fewer of the files here than it leaves
	// unnamed is not this data directory's (a mistyped --db, a new
	// database beside restored documents, a replica pointed at another
	// registry's volume): sweeping would delete every applicant's
	// documents. Orphans come from uploads in flight at a kill, a few
	// beside the many recorded, so refusing when they are the larger
	// part costs a real registry nothing but, at its very first upload, a
	// wait for the next.
	if recorded := files0 - len(docs); len(docs) > 0 && len(docs) > recorded {
		if len(docs) < SweepHoldAt {
			// Few: a new registry killed before its first uploads were
			// recorded looks the same. Refused now, swept once they are.
			s.log.Error("documents not swept: the database names fewer of the document files than it leaves unnamed; is --db the database of this --data-dir?",
				"files", files0, "named", recorded, "unnamed", len(docs))
			return 0, Errorf(ECONFLICT, "sweep documents: refused: the database names %d of the %d document files in the data directory; a sweep would delete the other %d. "+
				"Check that --db is the database of this --data-dir (and, with replicas, of this documents volume); nothing was deleted", recorded, files0, len(docs))
		}
		why := fmt.Sprintf("%s: the database named %d of the %d document files", s.Now().UTC().Format(time.RFC3339), recorded, files0)
		s.log.Error("documents not swept: the database names fewer of the document files than it leaves unnamed; is --db the database of this --data-dir? The sweep is held until documents/"+sweepHoldName+" is removed",
			"files", files0, "named", recorded, "unnamed", len(docs))
		if err := files.HoldSweep(ctx, why); err != nil {
			return 0, fmt.Errorf("sweep documents: refused, and the hold could not be written: %w", err)
		}
		return 0, Errorf(ECONFLICT, "sweep documents: refused: the database names %d of the %d document files in the data directory; a sweep would delete the other %d. "+
			"Check that --db is the database of this --data-dir (and, with replicas, of this documents volume); nothing was deleted, and the sweep is held until you remove documents/%s", recorded, files0, len(docs), sweepHoldName)
	}
	cutoff := s.Now().Add(-SweepGrace)
	var sealed, temp int
	failed := unitErrors{}
	for id, at := range docs {
		if !at.Before(cutoff) {
			continue
		}
		if err := s.blobs.Delete(ctx, id); err != nil {
			failed.add(fmt.Errorf("sweep documents: remove an unrecorded file: %w", err))
			continue
		}
		sealed++
	}
	for name, at := range temps {
		if !at.Before(cutoff) {
			continue
		}
		if err := files.RemoveTemp(ctx, name); err != nil {
			failed.add(fmt.Errorf("sweep documents: remove a temporary file: %w", err))
			continue
		}
		temp++
	}
	s.swept.sealed.Add(int64(sealed))
	s.swept.temp.Add(int64(temp))
	if sealed+temp > 0 || failed.n > 0 {
		s.log.Info("documents swept", "unrecorded", sealed, "temporary", temp, "failed", failed.n)
	}
	return sealed + temp, failed.err()
}
