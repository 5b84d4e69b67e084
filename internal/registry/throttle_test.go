package registry_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	. "github.com/ipreg/ipreg/internal/registry"
)

// replica is another Service over the harness's database, as a second
// ipreg serve over one PostgreSQL would be, with its own hashing gate
// whose hashes the test counts.
func (h *harness) replica(g *auth.Gate) (*Service, *atomic.Int64) {
	var hashes atomic.Int64
	if g == nil {
		g = auth.NewGate(64, 0, time.Second)
	}
	prev := g.OnEnter
	g.OnEnter = func(n int) {
		hashes.Add(1)
		if prev != nil {
			prev(n)
		}
	}
	svc := NewService(h.svc.Store(), Config{Now: h.clock.Now, Hashing: auth.TestParams, HashGate: g, DemoWithoutTOTP: true})
	return svc, &hashes
}

// TestLoginParallel is the example: 20 parallel logins with wrong
// passwords and one with the right one, from one client. Attempts are
// counted before the password is checked, atomically in the database, so
// at most the limit (5 per account and client) are checked at all.
func TestLoginParallel(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		svc, hashes := h.replica(nil)
		const wrong = 20
		errs := make(chan error, wrong+1)
		var wg sync.WaitGroup
		for i := 0; i <= wrong; i++ {
			pw := "wrong password"
			if i == wrong/2 {
				pw = "demo-password-1"
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _, err := svc.Login(h.ctx, "reviewer@demo.test", pw, "", "192.0.2.1")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		wrongChecked, refused, ok := 0, 0, 0
		for err := range errs {
			switch ErrorCode(err) {
			case "":
				ok++
			case EUNAUTHORIZED:
				wrongChecked++
			case ETOOMANY:
				refused++
			default:
				t.Errorf("login: %v", err)
			}
		}
		// At most five wrong passwords are checked; the right one, if it
		// got a place, gives it back, so one more may be checked after it.
		if wrongChecked > 5 || wrongChecked+refused+ok != wrong+1 || hashes.Load() > int64(5+ok) {
			t.Errorf("%d wrong passwords checked, %d refused, %d logged in, %d hashes; want at most 5 wrong checked, %d hashes",
				wrongChecked, refused, ok, hashes.Load(), 5+ok)
		}
	})
}

// TestLoginLockout: failures cannot lock the owner out. Five wrong
// passwords stop that client on that account only; a spray from many
// addresses exhausts the account-wide limit, but clients that logged in
// before, and the client of a password reset, keep their allowance. The
// limits hold across replicas (they live in the database).
func TestLoginLockout(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		a, _ := h.replica(nil)
		b, _ := h.replica(nil) // another replica
		owner := "reviewer@demo.test"
		login := func(svc *Service, email, pw, client string) error {
			_, _, err := svc.Login(ctx, email, pw, "", client)
			return err
		}
		// The owner's usual client, known before any attack.
		if err := login(a, owner, "demo-password-1", "198.51.100.7"); err != nil {
			t.Fatal(err)
		}
		// Five wrong passwords from the attacker, through both replicas.
		for i := 0; i < 5; i++ {
			wantCode(t, login([]*Service{a, b}[i%2], owner, "wrong password", "192.0.2.66"), EUNAUTHORIZED, "wrong e-mail or password")
		}
		for _, svc := range []*Service{a, b} {
			err := login(svc, owner, "demo-password-1", "192.0.2.66")
			wantCode(t, err, ETOOMANY, "too many failed logins")
			if ra := err.(*Error).RetryAfter; ra <= 0 || ra > 15*time.Minute {
				t.Errorf("Retry-After = %v", ra)
			}
		}
		// The owner logs in from elsewhere; so does an admin from the
		// attacker's own (shared) address.
		for _, c := range []struct{ email, client string }{
			{owner, "203.0.113.9"},
			{"admin@demo.test", "192.0.2.66"},
			{owner, "198.51.100.7"},
		} {
			if err := login(b, c.email, "demo-password-1", c.client); err != nil {
				t.Errorf("%s from %s: %v", c.email, c.client, err)
			}
		}
		// A spray, each failure from its own address: with the attacker's
		// first five, the account's limit of 100 is reached.
		for i := 0; i < 95; i++ {
			wantCode(t, login(a, owner, "wrong password", fmt.Sprintf("10.1.%d.%d", i/200, i%200)), EUNAUTHORIZED)
		}
		wantCode(t, login(a, owner, "wrong password", "10.2.0.1"), ETOOMANY)
		wantCode(t, login(b, owner, "demo-password-1", "10.2.0.2"), ETOOMANY)
		// Clients that logged in before keep their allowance.
		for _, client := range []string{"198.51.100.7", "203.0.113.9"} {
			if err := login(b, owner, "demo-password-1", client); err != nil {
				t.Errorf("owner from known %s during the spray: %v", client, err)
			}
		}
		// So does the client the owner resets the password from.
		reset, err := a.RequestPasswordReset(ctx, owner, "10.3.0.1")
		if err != nil || reset == "" {
			t.Fatalf("reset = %q, %v", reset, err)
		}
		if err := b.ResetPassword(ctx, reset, "a fresh password 2", "10.3.0.1"); err != nil {
			t.Fatal(err)
		}
		if err := login(a, owner, "a fresh password 2", "10.3.0.1"); err != nil {
			t.Errorf("owner from the reset's client during the spray: %v", err)
		}
		// The account-wide limit counts per hour (OWASP ASVS v4 2.2.1: at
		// most 100 failed attempts an hour on one account): after 16
		// minutes the attacker's address is free of its own limit but the
		// account's still holds; after the hour it may try again.
		h.clock.Add(16 * time.Minute)
		err = login(a, owner, "a fresh password 2", "192.0.2.66")
		wantCode(t, err, ETOOMANY)
		if ra := err.(*Error).RetryAfter; ra <= 30*time.Minute || ra > 45*time.Minute {
			t.Errorf("account-wide Retry-After after 16 minutes = %v, want the rest of the hour", ra)
		}
		h.clock.Add(45 * time.Minute)
		if err := login(a, owner, "a fresh password 2", "192.0.2.66"); err != nil {
			t.Errorf("after the window: %v", err)
		}
		// Successes do not count: four failures, then many logins, then
		// the fifth failure, and only then is the client stopped.
		for i := 0; i < 4; i++ {
			wantCode(t, login(a, owner, "wrong password", "192.0.2.77"), EUNAUTHORIZED)
		}
		for i := 0; i < 10; i++ {
			if err := login(a, owner, "a fresh password 2", "192.0.2.77"); err != nil {
				t.Fatalf("login %d: %v", i, err)
			}
		}
		wantCode(t, login(a, owner, "wrong password", "192.0.2.77"), EUNAUTHORIZED)
		wantCode(t, login(a, owner, "a fresh password 2", "192.0.2.77"), ETOOMANY)
		// Unknown e-mails count against the client like wrong passwords:
		// the client's limit (50) bounds the hashes they cost.
		for i := 0; i < 50; i++ {
			wantCode(t, login(a, fmt.Sprintf("nobody%d@demo.test", i), "whatever password", "192.0.2.88"), EUNAUTHORIZED, "wrong e-mail or password")
		}
		wantCode(t, login(b, "nobody-else@demo.test", "whatever password", "192.0.2.88"), ETOOMANY)
	})
}

// TestUnauthenticatedHashing: the paths a stranger can call look up what
// they can before hashing, are throttled per client, and hash through a
// bounded gate. The example: 32 concurrent invalid resets ran 32
// argon2id hashes at once.
func TestUnauthenticatedHashing(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		svc, hashes := h.replica(nil)
		run := func(n int, fn func(i int) error) []error {
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = fn(i) }()
			}
			wg.Wait()
			return errs
		}
		// 32 concurrent invalid resets: no hash at all.
		for _, err := range run(32, func(i int) error {
			return svc.ResetPassword(ctx, fmt.Sprintf("ipreg_invalid%d", i), "a brand new password", fmt.Sprintf("192.0.2.%d", i))
		}) {
			wantCode(t, err, ENOTFOUND, "not valid")
		}
		// A duplicate sign-up: refused before hashing.
		alice := h.applicant("company")
		_, _, err := svc.Signup(ctx, SignupInput{Email: alice.Email, Password: "a long password", Kind: "individual",
			Name: "Again", CNIC: "35202-7654321-1", Mobile: "0300-7654321", ClientIP: "192.0.2.50"})
		wantCode(t, err, ECONFLICT, "already exists")
		if n := hashes.Load(); n != 0 {
			t.Errorf("invalid resets and a duplicate sign-up ran %d hashes, want 0", n)
		}

		// A gate of 2 slots and no queue: while 2 hashes run, 30 more
		// logins for unknown accounts answer EUNAVAILABLE with Retry-After.
		g := auth.NewGate(2, 0, time.Second)
		hold, entered := make(chan struct{}), make(chan int, 32)
		g.OnEnter = func(n int) {
			select {
			case entered <- n:
			default: // after the first 32, nobody listens
			}
			<-hold
		}
		busy, hashes := h.replica(g)
		errs := make(chan error, 32)
		for i := 0; i < 32; i++ {
			go func() {
				_, _, err := busy.Login(ctx, fmt.Sprintf("nobody%d@example.pk", i), "whatever password", "", "192.0.2.60")
				errs <- err
			}()
		}
		<-entered
		<-entered
		for i := 0; i < 30; i++ {
			err := <-errs
			wantCode(t, err, EUNAVAILABLE, "busy")
			if err.(*Error).RetryAfter <= 0 {
				t.Error("no Retry-After")
			}
		}
		close(hold)
		for i := 0; i < 2; i++ {
			wantCode(t, <-errs, EUNAUTHORIZED)
		}
		if hashes.Load() != 2 || g.Peak() != 2 {
			t.Errorf("%d hashes, peak %d; want 2 and 2", hashes.Load(), g.Peak())
		}
		// Refused for lack of a slot, those logins still count against
		// their client (a flood of 503s is not free): with the two
		// checked, 32 of its 50 are spent.
		for i := 0; i < 18; i++ {
			wantCode(t, login(busy, fmt.Sprintf("x%d@example.pk", i), "192.0.2.60"), EUNAUTHORIZED)
		}
		wantCode(t, login(busy, "y@example.pk", "192.0.2.60"), ETOOMANY)

		// Every unauthenticated path is throttled per client: 50 in 15 minutes.
		for _, tt := range []struct {
			name string
			call func(i int) error
		}{
			{"sign-up", func(i int) error {
				_, _, err := svc.Signup(ctx, SignupInput{Email: fmt.Sprintf("flood%d@example.pk", i), Password: "a long password", Kind: "individual",
					Name: "Flood", CNIC: fmt.Sprintf("35202-%07d-3", 1000000+i), Mobile: "0300-7654321", ClientIP: "192.0.2.70"})
				return err
			}},
			{"reset request", func(i int) error {
				_, err := svc.RequestPasswordReset(ctx, fmt.Sprintf("flood%d@example.pk", i), "192.0.2.71")
				return err
			}},
			{"reset confirmation", func(i int) error {
				err := svc.ResetPassword(ctx, fmt.Sprintf("ipreg_flood%d", i), "a brand new password", "192.0.2.72")
				if ErrorCode(err) == ENOTFOUND {
					return nil
				}
				return err
			}},
		} {
			for i := 0; i < 50; i++ {
				if err := tt.call(i); err != nil {
					t.Fatalf("%s %d: %v", tt.name, i, err)
				}
			}
			err := tt.call(50)
			wantCode(t, err, ETOOMANY, "from your network")
			if err.(*Error).RetryAfter <= 0 {
				t.Errorf("%s: no Retry-After", tt.name)
			}
		}
	})
}

func login(svc *Service, email, client string) error {
	_, _, err := svc.Login(context.Background(), email, "whatever password", "", client)
	return err
}

// TestLoginSharedAddress: people sharing the owner's address (an office,
// carrier-grade NAT) cannot lock the owner out. A client known for the
// account meets only its own (account, client) limit there, and a
// password reset confirmed from a client makes it known and clears its
// failures, so the 429's advice to reset holds whichever limit was met;
// where no reset link can be had, the 429 does not advise one.
func TestLoginSharedAddress(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		svc := NewService(h.svc.Store(), Config{Now: h.clock.Now, Hashing: auth.TestParams,
			HashGate: auth.NewGate(64, 0, time.Second), DemoWithoutTOTP: true, ResetLinks: true})
		owner := "reviewer@demo.test"
		ownerLogin := func(pw, client string) error {
			_, _, err := svc.Login(ctx, owner, pw, "", client)
			return err
		}
		reset := func(client, pw string) {
			t.Helper()
			tok, err := svc.RequestPasswordReset(ctx, owner, client)
			if err != nil || tok == "" {
				t.Fatalf("reset request = %q, %v", tok, err)
			}
			if err := svc.ResetPassword(ctx, tok, pw, client); err != nil {
				t.Fatal(err)
			}
		}
		const shared, fresh = "100.64.0.1", "100.64.0.2"
		if err := ownerLogin("demo-password-1", shared); err != nil {
			t.Fatal(err)
		}
		// Others behind the shared address and the fresh one use up the
		// client-wide limit (50) with logins to accounts of their own.
		for _, client := range []string{shared, fresh} {
			for i := 0; i < 50; i++ {
				wantCode(t, login(svc, fmt.Sprintf("other%d@example.pk", i), client), EUNAUTHORIZED)
			}
			wantCode(t, login(svc, "other-more@example.pk", client), ETOOMANY)
		}
		// A spray from elsewhere uses up the account-wide limit (100).
		for i := 0; i < 100; i++ {
			wantCode(t, ownerLogin("wrong password", fmt.Sprintf("10.9.%d.%d", i/200, i%200)), EUNAUTHORIZED)
		}
		wantCode(t, ownerLogin("demo-password-1", "10.9.1.1"), ETOOMANY)
		// The owner, known on the shared address, still logs in there.
		if err := ownerLogin("demo-password-1", shared); err != nil {
			t.Fatalf("owner on the known shared address: %v", err)
		}
		// Only its own (account, client) limit applies: five failures there.
		for i := 0; i < 5; i++ {
			wantCode(t, ownerLogin("wrong password", shared), EUNAUTHORIZED)
		}
		err := ownerLogin("demo-password-1", shared)
		wantCode(t, err, ETOOMANY, "reset the password and open the reset link on this network")
		// The advice holds: a reset from there clears that bucket.
		reset(shared, "a fresh password 3")
		if err := ownerLogin("a fresh password 3", shared); err != nil {
			t.Fatalf("owner after a reset on the shared address: %v", err)
		}
		// On the fresh address the owner meets the client-wide limit (and the
		// account-wide one); a reset from there makes it known, and in.
		err = ownerLogin("a fresh password 3", fresh)
		wantCode(t, err, ETOOMANY, "reset the password")
		reset(fresh, "a fresh password 4")
		if err := ownerLogin("a fresh password 4", fresh); err != nil {
			t.Fatalf("owner after a reset on a fresh address: %v", err)
		}
		// Where no reset link can be had, the 429 does not advise one.
		plain, _ := h.replica(nil)
		err = login(plain, "other-most@example.pk", shared)
		wantCode(t, err, ETOOMANY, "too many failed logins; wait ")
		if strings.Contains(err.Error(), "reset") {
			t.Errorf("without reset links the 429 says %q", err)
		}
	})
}

// TestClientAddress: the API and the portal name a client by one function;
// the throttles then count an IPv6 client by its /64 and an IPv4-mapped
// address as the IPv4 one.
func TestClientAddress(t *testing.T) {
	for _, tt := range []struct{ remote, want string }{
		{"192.0.2.1:4000", "192.0.2.1"},
		{"[::ffff:192.0.2.1]:4000", "192.0.2.1"},
		{"[2001:db8:1:2::a]:4000", "2001:db8:1:2::a"},
		{"[fe80::1%eth0]:4000", "fe80::1"},
		{"192.0.2.1", "192.0.2.1"},
		{"@", "@"}, // a Unix socket peer: kept as given
	} {
		if got := ClientAddress(tt.remote); got != tt.want {
			t.Errorf("ClientAddress(%q) = %q, want %q", tt.remote, got, tt.want)
		}
	}
	eachStore(t, func(t *testing.T, h *harness) {
		svc, _ := h.replica(nil)
		owner := "reviewer@demo.test"
		fail := func(client string) error {
			_, _, err := svc.Login(h.ctx, owner, "wrong password", "", client)
			return err
		}
		for _, tt := range []struct {
			name  string
			tries []string // five failures, each from its own address
			same  string   // then: refused from here (same client)
			other string   // but not from here (another client)
		}{
			{"IPv6 /64", []string{"2001:db8:1:2::a", "2001:db8:1:2::b", "2001:db8:1:2:ffff::1", "2001:db8:1:2:1:2:3:4", "2001:db8:1:2::c"},
				"2001:db8:1:2:abcd::9", "2001:db8:1:3::1"},
			{"IPv4-mapped", []string{"192.0.2.9", "::ffff:192.0.2.9", "192.0.2.9", "::ffff:192.0.2.9", "192.0.2.9"},
				"::ffff:192.0.2.9", "192.0.2.10"},
		} {
			for _, c := range tt.tries {
				wantCode(t, fail(c), EUNAUTHORIZED)
			}
			wantCode(t, fail(tt.same), ETOOMANY)
			wantCode(t, fail(tt.other), EUNAUTHORIZED)
		}
		// The client-wide limit too: 50 logins for unknown e-mails from 50
		// addresses of one /64 use it up.
		for i := 0; i < 50; i++ {
			wantCode(t, login(svc, fmt.Sprintf("nobody%d@example.pk", i), fmt.Sprintf("2001:db8:5:6::%x", i+1)), EUNAUTHORIZED)
		}
		wantCode(t, login(svc, "nobody-more@example.pk", "2001:db8:5:6:1::1"), ETOOMANY)
	})
}

// TestLoginBusy: a flood that fills every shared hashing slot cannot keep
// the owner out of a client known for the account (the gate's reserved
// slot), and its 503s spend the flooding client's allowance but not the
// account's. The gate's OnEnter hook holds the slots; nothing is timed.
func TestLoginBusy(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		g := auth.NewGate(2, 0, time.Hour)
		var block atomic.Bool
		hold, entered := make(chan struct{}), make(chan int, 8)
		g.OnEnter = func(n int) {
			if block.Load() {
				entered <- n
				<-hold
			}
		}
		svc, _ := h.replica(g)
		owner := "reviewer@demo.test"
		const home = "198.51.100.7"
		if _, _, err := svc.Login(ctx, owner, "demo-password-1", "", home); err != nil {
			t.Fatal(err)
		}
		block.Store(true)
		done := make(chan error, 8)
		for i := 0; i < 2; i++ { // the flood takes both shared slots
			go func() { done <- login(svc, fmt.Sprintf("flood%d@example.pk", i), "192.0.2.60") }()
		}
		<-entered
		<-entered
		// More of the flood, and guesses at the owner's account from an
		// unknown client, get 503.
		for i := 0; i < 10; i++ {
			wantCode(t, login(svc, fmt.Sprintf("flood-more%d@example.pk", i), "192.0.2.61"), EUNAVAILABLE, "busy")
		}
		for i := 0; i < 5; i++ {
			_, _, err := svc.Login(ctx, owner, "wrong password", "", "192.0.2.62")
			wantCode(t, err, EUNAVAILABLE)
		}
		// The owner, on a client known for the account, gets a slot.
		ownerDone := make(chan error, 1)
		go func() {
			_, _, err := svc.Login(ctx, owner, "demo-password-1", "", home)
			ownerDone <- err
		}()
		select {
		case n := <-entered:
			if n != 3 {
				t.Errorf("the owner's check ran with %d hashes, want 3 (the reserved slot)", n)
			}
		case err := <-ownerDone:
			t.Errorf("owner on a known client during the flood: %v", err)
			ownerDone <- nil
		}
		block.Store(false)
		close(hold)
		if err := <-ownerDone; err != nil {
			t.Errorf("owner on a known client during the flood: %v", err)
		}
		for i := 0; i < 2; i++ {
			if err := <-done; err != nil && ErrorCode(err) != EUNAUTHORIZED {
				t.Errorf("held login: %v", err)
			}
		}
		if _, _, err := svc.Login(ctx, owner, "demo-password-1", "", home); err != nil {
			t.Errorf("owner after the flood: %v", err)
		}
		// The ten 503s spent ten of the flooding client's 50.
		for i := 0; i < 40; i++ {
			wantCode(t, login(svc, fmt.Sprintf("later%d@example.pk", i), "192.0.2.61"), EUNAUTHORIZED)
		}
		wantCode(t, login(svc, "later-more@example.pk", "192.0.2.61"), ETOOMANY)
		// The five 503s were no guesses at the account: five real ones
		// from that client still get checked.
		for i := 0; i < 5; i++ {
			_, _, err := svc.Login(ctx, owner, "wrong password", "", "192.0.2.62")
			wantCode(t, err, EUNAUTHORIZED)
		}
		_, _, err := svc.Login(ctx, owner, "wrong password", "", "192.0.2.62")
		wantCode(t, err, ETOOMANY)
	})
}

// TestBusyCharging: every unauthenticated path charges its client the same
// way when no hashing slot is free: the 503 counts against the client's
// allowance. A login whose caller leaves while it waits for a slot was
// never checked, so it is no failed password for the account.
func TestBusyCharging(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		g := auth.NewGate(1, 4, time.Hour)
		var block atomic.Bool
		hold, entered := make(chan struct{}), make(chan int, 8)
		g.OnEnter = func(n int) {
			if block.Load() {
				entered <- n
				<-hold
			}
		}
		svc, _ := h.replica(g)
		// A valid reset link, for confirmations that get as far as hashing.
		link, err := svc.RequestPasswordReset(ctx, "reviewer@demo.test", "203.0.113.1")
		if err != nil || link == "" {
			t.Fatalf("reset request = %q, %v", link, err)
		}
		signup := func(i int, client string) error {
			_, _, err := svc.Signup(ctx, SignupInput{Email: fmt.Sprintf("busy%d@example.pk", i), Password: "a long password", Kind: "individual",
				Name: "Busy", CNIC: fmt.Sprintf("35202-%07d-7", 3000000+i), Mobile: "0300-7654321", ClientIP: client})
			return err
		}
		paths := []struct {
			name      string
			client    string
			busy      func(i int) error // gets 503 while the slot is held
			later     func(i int) error // after: nil or its usual refusal
			laterCode Code
		}{
			{"login", "192.0.2.80", func(i int) error { return login(svc, fmt.Sprintf("b%d@example.pk", i), "192.0.2.80") },
				func(i int) error { return login(svc, fmt.Sprintf("l%d@example.pk", i), "192.0.2.80") }, EUNAUTHORIZED},
			{"sign-up", "192.0.2.81", func(i int) error { return signup(i, "192.0.2.81") },
				func(i int) error { return signup(100+i, "192.0.2.81") }, ""},
			{"reset confirmation", "192.0.2.82", func(i int) error { return svc.ResetPassword(ctx, link, "a brand new password", "192.0.2.82") },
				func(i int) error {
					return svc.ResetPassword(ctx, fmt.Sprintf("ipreg_no%d", i), "a brand new password", "192.0.2.82")
				}, ENOTFOUND},
		}
		// One login holds the only slot; the queue is kept full by four.
		block.Store(true)
		done := make(chan error, 8)
		go func() { done <- login(svc, "holder@example.pk", "192.0.2.90") }()
		<-entered
		for i := 0; i < 4; i++ {
			go func() { done <- login(svc, fmt.Sprintf("queued%d@example.pk", i), "192.0.2.91") }()
		}
		for g.Queued() < 4 {
			runtime.Gosched()
		}
		for _, p := range paths {
			for i := 0; i < 10; i++ {
				wantCode(t, p.busy(i), EUNAVAILABLE, "busy")
			}
		}
		block.Store(false)
		close(hold)
		for i := 0; i < 5; i++ {
			<-done
		}
		for _, p := range paths {
			for i := 0; i < 40; i++ {
				if err := p.later(i); ErrorCode(err) != p.laterCode {
					t.Fatalf("%s %d after ten 503s: %v, want %q", p.name, i, err, p.laterCode)
				}
			}
			wantCode(t, p.later(40), ETOOMANY)
		}

		// A login that leaves while queued: context.Canceled, and the
		// account keeps all five of that client's failures.
		hold, block2 := make(chan struct{}), make(chan struct{})
		g.OnEnter = func(int) {
			select {
			case <-block2:
			default:
				entered <- 0
				<-hold
			}
		}
		go func() { done <- login(svc, "holder2@example.pk", "192.0.2.92") }()
		<-entered
		leave, cancel := context.WithCancel(ctx)
		left := make(chan error, 1)
		go func() {
			_, _, err := svc.Login(leave, "reviewer@demo.test", "wrong password", "", "192.0.2.93")
			left <- err
		}()
		for g.Queued() < 1 {
			runtime.Gosched()
		}
		cancel()
		if err := <-left; !errors.Is(err, context.Canceled) {
			t.Errorf("login that left while queued: %v, want context.Canceled", err)
		}
		close(block2)
		close(hold)
		<-done
		for i := 0; i < 5; i++ {
			_, _, err := svc.Login(ctx, "reviewer@demo.test", "wrong password", "", "192.0.2.93")
			wantCode(t, err, EUNAUTHORIZED)
		}
		_, _, err = svc.Login(ctx, "reviewer@demo.test", "wrong password", "", "192.0.2.93")
		wantCode(t, err, ETOOMANY)
	})
}

// TestResetRequestLimit: an account gets at most 3 reset links an hour,
// however many clients ask (the issue: 150 requests made 176 live links).
// Further requests answer exactly as for an address without an account,
// and make no link; the links already made still work; a successful reset,
// or the end of the hour, starts the count again.
func TestResetRequestLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := h.ctx
		svc, _ := h.replica(nil)
		owner := "reviewer@demo.test"
		request := func(email string, i int) string {
			t.Helper()
			tok, err := svc.RequestPasswordReset(ctx, email, fmt.Sprintf("10.7.%d.%d", i/200, i%200))
			if err != nil {
				t.Fatalf("request %d for %s: %v", i, email, err)
			}
			return tok
		}
		var links []string
		for i := 0; i < 150; i++ {
			if tok := request(owner, i); tok != "" {
				links = append(links, tok)
			}
		}
		if len(links) != 3 {
			t.Fatalf("150 requests made %d links, want 3", len(links))
		}
		// The same answer as for an address without an account.
		if tok := request("nobody@example.pk", 150); tok != "" {
			t.Fatalf("a link for an address without an account")
		}
		// Another account is not affected.
		if tok := request("admin@demo.test", 151); tok == "" {
			t.Error("another account got no link")
		}
		// The links made still work; using one starts the count again.
		if err := svc.ResetPassword(ctx, links[2], "a fresh password 5", "10.7.9.9"); err != nil {
			t.Fatal(err)
		}
		if tok := request(owner, 152); tok == "" {
			t.Error("no link after a successful reset")
		}
		for i := 0; i < 2; i++ {
			request(owner, 153+i)
		}
		if tok := request(owner, 155); tok != "" {
			t.Error("a fourth link within the hour")
		}
		// So does the end of the hour.
		h.clock.Add(61 * time.Minute)
		if tok := request(owner, 156); tok == "" {
			t.Error("no link after the hour")
		}
	})
}

// TestTOTPDisableGuesses: wrong authenticator codes sent at once, in
// parallel, to turn TOTP off (what a stolen session would try, a million
// codes being few) are checked at most five times per quarter hour; the
// rest are refused unchecked, and then even the right code waits. The
// right code within the limit gives its attempt back. Before the limit,
// every guess was checked.
func TestTOTPDisableGuesses(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		u := h.applicant("individual")
		e, err := h.svc.BeginTOTP(h.ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		code := func(skew int64) string {
			c, err := auth.TOTPCode(e.Secret, auth.TOTPStep(h.clock.Now())+skew)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		if err := h.svc.ConfirmTOTP(h.ctx, u, "", code(0)); err != nil {
			t.Fatal(err)
		}
		// A wrong code: none of the three the window accepts.
		wrong := "000000"
		for i := 0; i < 5 && (wrong == code(-1) || wrong == code(0) || wrong == code(1)); i++ {
			wrong = fmt.Sprintf("%06d", i+1)
		}
		const guesses = 20
		errs := make(chan error, guesses)
		var wg sync.WaitGroup
		for range guesses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- h.svc.DisableTOTP(h.ctx, u, wrong)
			}()
		}
		wg.Wait()
		close(errs)
		checked, refused := 0, 0
		for err := range errs {
			switch ErrorCode(err) {
			case EINVALID:
				checked++
			case ETOOMANY:
				refused++
				if !strings.Contains(err.Error(), "too many wrong authenticator codes") {
					t.Errorf("refusal: %v", err)
				}
			default:
				t.Errorf("disable with a wrong code: %v", err)
			}
		}
		if checked != 5 || refused != guesses-5 {
			t.Errorf("%d wrong codes checked, %d refused; want 5 checked, %d refused", checked, refused, guesses-5)
		}
		wantCode(t, h.svc.DisableTOTP(h.ctx, u, code(0)), ETOOMANY, "wait")
		// After the window, the right code turns TOTP off.
		h.clock.Add(16 * time.Minute)
		if err := h.svc.DisableTOTP(h.ctx, u, code(0)); err != nil {
			t.Fatalf("the right code after the window: %v", err)
		}
	})
}
