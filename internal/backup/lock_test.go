package backup

import (
	"strings"
	"testing"
)

// Servers share the data directory's lock; a restore needs it alone, and
// a server cannot start while a restore holds it.
func TestDirLock(t *testing.T) {
	dir := t.TempDir()
	a, err := LockServe(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LockServe(dir) // a replica on the same directory
	if err != nil {
		t.Fatalf("a second serve on the directory: %v", err)
	}
	for _, held := range []*DirLock{a, b} {
		if _, err := lockRestore(dir); err == nil || !strings.Contains(err.Error(), "runs on the data directory") {
			t.Fatalf("restore while a serve holds the lock: %v", err)
		}
		held.Release()
	}
	r, err := lockRestore(dir)
	if err != nil {
		t.Fatalf("restore once every serve stopped: %v", err)
	}
	if _, err := LockServe(dir); err == nil || !strings.Contains(err.Error(), "is being restored") {
		t.Fatalf("serve while a restore holds the lock: %v", err)
	}
	r.Release()
	if c, err := LockServe(dir); err != nil {
		t.Fatalf("serve after the restore: %v", err)
	} else {
		c.Release()
	}
}
