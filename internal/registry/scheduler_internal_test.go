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

func TestHumanDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "1 second"}, {time.Second, "1 second"}, {1500 * time.Millisecond, "2 seconds"}, {59 * time.Second, "59 seconds"},
		{time.Minute, "1 minute"}, {61 * time.Second, "2 minutes"}, {59*time.Minute + 12*time.Second, "1 hour"},
		{time.Hour, "1 hour"}, {90 * time.Minute, "90 minutes"}, {2 * time.Hour, "2 hours"}, {150 * time.Minute, "3 hours"},
		{24 * time.Hour, "24 hours"},
	} {
		if got := HumanDuration(tt.d); got != tt.want {
			t.Errorf("HumanDuration(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
