package registry

import (
	"testing"
	"time"
)

func TestJobRetryDelay(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 7: 32 * time.Minute, 8: time.Hour, 40: time.Hour} {
		if got := jobRetryDelay(n); got != want {
			t.Errorf("jobRetryDelay(%d) = %s, want %s", n, got, want)
		}
	}
}
