package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// walSync makes SQLite's commits durable after the writer's turn, not
// inside it (group commit). Connections run with synchronous=NORMAL: in
// WAL mode a commit then writes its frames to the -wal file without an
// fsync, and SQLite fsyncs the WAL before every checkpoint and the
// database after it, so the files stay consistent whatever happens, but
// the last commits before a power cut or a kernel crash roll back. So
// that nothing answered 2xx rolls back, every write transaction calls
// sync once it has committed and let the next writer in, and returns only
// once an fsync of the WAL that began after its commit has ended: the
// guarantee of synchronous=FULL, which fsyncs at commit with the writer's
// turn held (and so made every other writer wait for the disk, a third
// of SQLite's writer's time in the filing benchmark). Writers committing
// while an fsync runs share the next one. fsync flushes the file's
// inode, whichever descriptor it is called on, as PostgreSQL's
// checkpointer relies on too; a -wal file that is gone was checkpointed
// (synced) and removed by SQLite, and leaves nothing to sync.
type walSync struct {
	path string // the database's -wal file
	// fsync is fdatasync, replaced by tests to count and order.
	fsync func(*os.File) error

	mu       sync.Mutex
	cond     sync.Cond // on mu: a sync ended
	running  bool      // an fsync runs (numbered started)
	started  uint64    // fsyncs begun
	finished uint64    // fsyncs ended; each ends before the next begins
	waiters  int       // callers waiting on cond (tests watch it)
	// err is the first fsync's failure, and every later call's answer:
	// after a failed fsync Linux may have dropped the pages it could not
	// write and marked them clean, so no later fsync proves them on disk
	// (PostgreSQL stops for the same reason). A restart reads the WAL
	// back from the disk.
	err error
}

func newWALSync(dbPath string) *walSync {
	w := &walSync{path: dbPath + "-wal", fsync: fdatasync}
	w.cond.L = &w.mu
	return w
}

// sync returns once an fsync of the WAL that began after the call has
// ended: the call's own, or one it shares with the callers that came
// while the fsync before it ran. Its error is the first failed fsync's.
func (w *walSync) sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	// The fsync numbered started is running or done, and may have begun
	// before the caller's commit: the next one is the first that surely
	// covers it.
	need := w.started + 1
	for w.finished < need && w.err == nil {
		if w.running {
			w.waiters++
			w.cond.Wait()
			w.waiters--
			continue
		}
		w.running = true
		w.started++
		n := w.started
		w.mu.Unlock()
		err := w.syncFile()
		w.mu.Lock()
		w.running = false
		w.finished = n
		if err != nil && w.err == nil {
			w.err = fmt.Errorf("the database's write-ahead log %s could not be written to disk (%w): what was written since the last good fsync may be lost; check the disk, then restart ipreg", w.path, err)
		}
		w.cond.Broadcast()
	}
	return w.err
}

func (w *walSync) syncFile() error {
	f, err := os.OpenFile(w.path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	err = w.fsync(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// fdatasync flushes f's data and what reading it back needs (its size),
// not its times: each commit changes the WAL's modification time, and
// fsync would commit the file system's journal for it every time, as
// SQLite (unixSync) and PostgreSQL (wal_sync_method) avoid on Linux.
func fdatasync(f *os.File) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := sc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: serr}
	}
	return nil
}
