// Package atomicfile replaces files so that a crash leaves the old
// content or the new, never a mix: write a temporary file in the same
// directory, fsync it, rename it over the target, fsync the directory.
package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces dir/name with b, created with mode perm.
func Write(dir, name string, b []byte, perm os.FileMode) error {
	return write(dir, name, b, perm, os.Rename)
}

// Create writes dir/name only if it does not exist yet: when two callers
// race, exactly one wins and the other gets an error satisfying
// errors.Is(err, fs.ErrExist), never a mix of both.
func Create(dir, name string, b []byte, perm os.FileMode) error {
	return write(dir, name, b, perm, os.Link)
}

// WriteNew writes b to dir/name, which must not exist yet, in place: no
// temporary file and no rename. It is for a file nothing reads until the
// caller has recorded its name elsewhere (a sealed document, recorded in
// the database after WriteNew returns), so a crash can leave only a
// partial file no record names, for the caller's sweep to remove; in
// exchange the file's fsync also carries its directory entry, where a
// rename after the fsync needs a second journal commit for the
// directory's (ext4, XFS). The directory is still fsynced, as POSIX
// requires. A name that exists is an error satisfying
// errors.Is(err, fs.ErrExist), and is left as it was; on any other error
// the partial file is removed.
func WriteNew(dir, name string, b []byte, perm os.FileMode) error {
	durable, err := StartNew(dir, name, b, perm)
	if err != nil {
		return err
	}
	return durable()
}

// StartNew is WriteNew returning once b is written, before it is on
// disk: the fsyncs run meanwhile, and durable waits for them (any number
// of calls, each with the same result). b is not used once StartNew has
// returned. The caller must call durable before it records the name
// anywhere, and before it removes the file. On an error from durable the
// file is removed.
func StartNew(dir, name string, b []byte, perm os.FileMode) (durable func() error, err error) {
	path := filepath.Join(dir, name)
	// The directory is made only when it is missing: nearly always it is
	// there, and trying to make it first cost a system call each time.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	}
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	done := make(chan struct{})
	var syncErr error
	go func() {
		defer close(done)
		syncErr = finish(f, func() error { return nil })
		if syncErr == nil {
			syncErr = syncDir(dir)
		}
		if syncErr != nil {
			os.Remove(path)
		}
	}()
	return func() error {
		<-done
		return syncErr
	}, nil
}

// WriteAt writes b into dir/name at offset at, after cutting off anything
// from at on, and fsyncs it (and the directory, if it created the file):
// an append to a log whose last whole record ends at at. The file is
// created with mode perm if it does not exist.
func WriteAt(dir, name string, at int64, b []byte, perm os.FileMode) error {
	path := filepath.Join(dir, name)
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, perm)
	if err != nil {
		return err
	}
	err = finish(f, func() error {
		if err := f.Truncate(at); err != nil {
			return err
		}
		_, err := f.WriteAt(b, at)
		return err
	})
	if err != nil || statErr == nil {
		return err
	}
	return syncDir(dir)
}

// finish runs fill on f, then fsyncs and closes it; f is closed whatever
// fails.
func finish(f *os.File, fill func() error) error {
	if err := fill(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir fsyncs a directory, so that a file created or renamed in it
// survives a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func write(dir, name string, b []byte, perm os.FileMode, place func(from, to string) error) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+name+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename there is nothing left to remove
	err = finish(f, func() error {
		if err := f.Chmod(perm); err != nil {
			return err
		}
		_, err := f.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if err := place(f.Name(), filepath.Join(dir, name)); err != nil {
		return err
	}
	return syncDir(dir)
}
