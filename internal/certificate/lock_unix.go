//go:build unix

package certificate

import (
	"fmt"
	"os"
	"syscall"
)

// lockDir takes an exclusive flock on the file name (created if missing),
// waiting for another holder; the function it returns releases it. The
// kernel releases it too if the process dies.
func lockDir(name string) (func(), error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the certificate keys: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the certificate keys (%s): %w", name, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
