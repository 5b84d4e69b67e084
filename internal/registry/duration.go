package registry

import (
	"fmt"
	"time"
)

// HumanDuration words d as people write a wait in a message: "30 seconds",
// "1 minute", "45 minutes", "1 hour", "3 hours" (never Go's "1h0m0s"). It
// rounds up, so a wait it names is never too short: seconds under a
// minute, minutes under two hours unless they make whole hours, hours
// beyond. The portal's Urdu catalog has each of these forms.
func HumanDuration(d time.Duration) string {
	if d < time.Second {
		d = time.Second
	}
	if d < time.Minute {
		n := int((d + time.Second - 1) / time.Second)
		if n == 1 {
			return fmt.Sprintf("%d second", n)
		}
		return fmt.Sprintf("%d seconds", n)
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m%60 != 0 && m < 120 {
		if m == 1 {
			return fmt.Sprintf("%d minute", m)
		}
		return fmt.Sprintf("%d minutes", m)
	}
	h := (m + 59) / 60
	if h == 1 {
		return fmt.Sprintf("%d hour", h)
	}
	return fmt.Sprintf("%d hours", h)
}
