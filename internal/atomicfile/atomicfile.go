// Package atomicfile replaces files so that a crash leaves the old
// content or the new, never a mix: write a temporary file in the same
// directory, fsync it, rename it over the target, fsync the directory.
package atomicfile

import (
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
