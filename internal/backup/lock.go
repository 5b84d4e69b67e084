package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockName is the file in a data directory that ipreg serve holds a
// shared flock on for its whole life, and Restore an exclusive one: a
// restore under a running server would replace the files it has open,
// and the server would go on serving the old ones, every later write
// lost. Shared, because replicas may share one data directory (README,
// Replicas behind a load balancer). The kernel drops the lock when the
// process ends, SIGKILL included, so no stale lock survives a crash.
const LockName = "serve.lock"

// DirLock is a held flock on a data directory's LockName.
type DirLock struct{ f *os.File }

// Release drops the lock. Safe on nil.
func (l *DirLock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the last descriptor drops the flock
	l.f = nil
	return err
}

// LockServe takes the shared lock ipreg serve holds on dataDir (created
// if need be) and records the pid in the lock file, so that a refused
// restore can name a server. It fails at once, saying so, while a
// restore holds the exclusive lock.
func LockServe(dataDir string) (*DirLock, error) {
	f, err := openLock(dataDir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("the data directory %s is being restored (ipreg restore holds %s); start ipreg serve once it has finished", dataDir, LockName)
		}
		return nil, fmt.Errorf("lock %s: %w", filepath.Join(dataDir, LockName), err)
	}
	// The pid of the latest server to start; with replicas sharing the
	// directory it names one of them.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DirLock{f: f}, nil
}

// lockRestore takes the exclusive lock, refusing while any ipreg serve
// holds the shared one, naming the pid it recorded.
func lockRestore(dataDir string) (*DirLock, error) {
	f, err := openLock(dataDir)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			who := "an ipreg serve"
			if b, err := os.ReadFile(filepath.Join(dataDir, LockName)); err == nil {
				if pid := strings.TrimSpace(string(b)); pid != "" {
					who += " (pid " + pid + ")"
				}
			}
			return nil, fmt.Errorf("%s runs on the data directory %s (it holds %s): stop it, and every replica sharing the directory, before restoring; --force does not override this, a server left running would serve the replaced files and lose every later write", who, dataDir, LockName)
		}
		return nil, fmt.Errorf("lock %s: %w", filepath.Join(dataDir, LockName), err)
	}
	return &DirLock{f: f}, nil
}

func openLock(dataDir string) (*os.File, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dataDir, LockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", LockName, err)
	}
	return f, nil
}
