package publish_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/docstore"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/publish"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
	"github.com/ipreg/ipreg/internal/testbin"
)

type env struct {
	t     testing.TB
	ctx   context.Context
	kind  string
	dsn   string
	db    *store.DB
	docs  *docstore.Store
	svc   *registry.Service
	pub   *publish.Publisher
	rd    *publish.Reader
	keys  publish.Keys
	clock *testbin.Clock
	n     int
	first string // a backup taken before the first publish (restore_test.go)
	// markerCopy is the publisher's second marker copy ("" for none).
	markerCopy string
}

func newEnv(t testing.TB, kind string) *env {
	c := testbin.NewClock(time.Date(2026, 11, 23, 5, 0, 0, 0, time.UTC))
	e := &env{t: t, ctx: context.Background(), kind: kind, dsn: storetest.DSN(t, kind), clock: c, keys: publish.Keys{Dir: t.TempDir()}}
	var err error
	if e.docs, err = docstore.Open(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	e.open()
	if _, err := e.db.Migrate(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.EnsureDemo(e.ctx, "demo-password-1"); err != nil {
		t.Fatal(err)
	}
	return e
}

// open opens the database and starts the registry's parts over it, as
// ipreg serve does: the service, a publisher and a reader.
func (e *env) open() {
	e.t.Helper()
	db, err := store.Open(e.ctx, e.dsn)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { db.Close() })
	e.db = db
	e.svc = registry.NewService(e.db, registry.Config{Now: e.clock.Now, Hashing: auth.TestParams, Documents: e.docs, DemoWithoutTOTP: true})
	e.pub = publish.NewPublisher(e.db, e.keys, e.clock.Now, nil)
	e.pub.SetMarkerCopy(e.markerCopy)
	e.rd = publish.NewReader(e.db, nil)
	e.rd.Refresh(e.ctx) // fails harmlessly before the first migration
}

// publish runs one cycle and refreshes the reader.
func (e *env) publish() bool {
	e.t.Helper()
	changed, err := e.pub.PublishOnce(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.rd.Refresh(e.ctx); err != nil {
		e.t.Fatal(err)
	}
	return changed
}

func (e *env) staff(email string) *registry.User {
	e.t.Helper()
	tok, _, err := e.svc.Login(e.ctx, email, "demo-password-1", "", "127.0.0.1")
	if err != nil {
		e.t.Fatal(err)
	}
	u, err := e.svc.Authenticate(e.ctx, tok)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// approve files and approves an application, returning its registration.
func (e *env) approve(operator string, addrs []string, numbers []string) *registry.Registration {
	e.t.Helper()
	e.n++
	kind, cat := "company", "company_vpn"
	if len(numbers) > 0 {
		kind, cat = "individual", "mobile_vpn"
	}
	// One account per CNIC or NTN: each applicant its own.
	in := registry.SignupInput{Email: fmt.Sprintf("a%d@example.pk", e.n), Password: "a long password", Kind: kind, Name: "Holder",
		CNIC: fmt.Sprintf("35202%07d1", e.n), Mobile: "03001234567", NTN: fmt.Sprintf("%07d-8", e.n)}
	if kind == "individual" {
		in.NTN = ""
	}
	u, _, err := e.svc.Signup(e.ctx, in)
	if err != nil {
		e.t.Fatal(err)
	}
	purpose, sub, proto := "Remote access to office systems.", "SUB-1", "ipsec"
	a, err := e.svc.CreateApplication(e.ctx, u, registry.ApplicationInput{Category: &cat, OperatorID: &operator, SubscriberID: &sub,
		Addresses: &addrs, MobileNumbers: &numbers, VPNProtocol: &proto, Purpose: &purpose})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range registry.RequiredDocuments(a.Category) {
		up := registry.UploadInput{Kind: string(r.Kinds[0]), Content: testbin.PDF("letter")}
		if _, err := e.svc.UploadDocument(e.ctx, u, a.ID, up); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := e.svc.Submit(e.ctx, u, a.ID, nil); err != nil {
		e.t.Fatal(err)
	}
	op := e.staff("operator." + operator + "@demo.test")
	cs, _ := e.svc.ListChecks(e.ctx, op, "")
	for _, c := range cs {
		if c.ApplicationID == a.ID {
			e.svc.AnswerCheck(e.ctx, op, c.ID, "confirmed", "")
		}
	}
	_, reg, err := e.svc.Decide(e.ctx, e.staff("reviewer@demo.test"), a.ID, registry.DecisionInput{Decision: "approve", ValidDays: 30})
	if err != nil {
		e.t.Fatal(err)
	}
	e.svc.GetRegistration(e.ctx, u, reg.Number) // sanity: holder can read it
	return reg
}

// client reconstructs a scope's entry set the way an agent does: verify
// the notification, fetch files by hash, start from the snapshot, apply
// the deltas after it. It also checks that every listed delta chain is
// unbroken.
func (e *env) client(actor *registry.User, scope string, key ed25519.PublicKey) (*feed.Notification, []string) {
	e.t.Helper()
	jws, version, err := e.rd.Notification(e.ctx, actor, scope)
	if err != nil {
		e.t.Fatal(err)
	}
	n, _, err := feed.Verify(jws, key)
	if err != nil {
		e.t.Fatal(err)
	}
	if n.Version != version {
		e.t.Fatalf("reader version %d, notification %d", version, n.Version)
	}
	fetch := func(ref feed.FileRef) []byte {
		f, err := e.rd.File(e.ctx, actor, scope, strings.TrimPrefix(ref.URL, "files/"))
		if err != nil {
			e.t.Fatalf("fetch %s: %v", ref.URL, err)
		}
		if feed.Hash(f.Content) != ref.Hash {
			e.t.Fatalf("%s: hash differs from the notification", ref.URL)
		}
		return f.Content
	}
	entries, err := feed.DecodeSnapshot(fetch(n.Snapshot), n.SessionID, n.Snapshot.Version)
	if err != nil {
		e.t.Fatal(err)
	}
	set := map[string]bool{}
	for _, en := range entries {
		set[en.Key()] = true
	}
	v := n.Snapshot.Version
	for i, d := range n.Deltas {
		if i > 0 && d.Version != n.Deltas[i-1].Version+1 {
			e.t.Fatalf("delta chain broken: %d after %d", d.Version, n.Deltas[i-1].Version)
		}
		if d.Version <= v {
			continue
		}
		if d.Version != v+1 {
			e.t.Fatalf("no delta from snapshot version %d to %d", v, d.Version)
		}
		ops, err := feed.DecodeDelta(fetch(d), n.SessionID, d.Version)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, o := range ops {
			switch {
			case o.Op == "add" && set[o.Key()], o.Op == "remove" && !set[o.Key()]:
				e.t.Fatalf("delta %d: %s %s does not apply", d.Version, o.Op, o.Key())
			}
			set[o.Key()] = o.Op == "add"
		}
		v = d.Version
	}
	if v != n.Version {
		e.t.Fatalf("snapshot and deltas reach version %d, notification says %d", v, n.Version)
	}
	var out []string
	for k, in := range set {
		if in {
			out = append(out, k[:strings.Index(k, "|")]+"|"+k[strings.Index(k, "|")+1:])
		}
	}
	sort.Strings(out)
	return n, out
}

// truth lists what the registry says a scope must hold.
func (e *env) truth(scope string) []string {
	rs, err := e.svc.ListRegistrations(e.ctx, e.staff("admin@demo.test"), registry.RegFilter{Status: registry.RegActive})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range rs {
		for _, p := range r.Addresses {
			out = append(out, feed.Entry{Prefix: p.String(), Reg: r.Number}.Key())
		}
		if scope != "" && r.OperatorID == scope {
			for _, m := range r.MobileNumbers {
				out = append(out, feed.Entry{MSISDN: m, Reg: r.Number}.Key())
			}
		}
	}
	sort.Strings(out)
	return out
}

func (e *env) key() ed25519.PublicKey {
	cur, _, err := e.keys.Load()
	if err != nil {
		e.t.Fatal(err)
	}
	return cur.Public().(ed25519.PublicKey)
}

func (e *env) check(scope string, actor *registry.User) *feed.Notification {
	e.t.Helper()
	n, got := e.client(actor, scope, e.key())
	if want := e.truth(scope); !slices.Equal(got, want) {
		e.t.Fatalf("scope %q holds\n %v\nwant\n %v", scope, got, want)
	}
	return n
}

func TestPublisher(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, kind)
			if _, _, err := e.rd.Notification(e.ctx, nil, ""); registry.ErrorCode(err) != registry.ENOTFOUND {
				t.Fatalf("before the first publish: %v", err)
			}
			if !e.publish() {
				t.Fatal("first publish did nothing")
			}
			jazz := e.staff("operator.jazz@demo.test")
			n := e.check("", nil)
			if n.Version != 1 || len(n.Deltas) != 0 {
				t.Fatalf("first notification = %+v", n)
			}
			e.check("jazz", jazz)
			if e.publish() {
				t.Fatal("a publish without changes changed the feed")
			}

			r1 := e.approve("ptcl", []string{"14.1.104.0/24", "2001:dd8:1c::/48"}, nil)
			r2 := e.approve("jazz", nil, []string{"03001234567"})
			e.approve("nayatel", []string{"27.255.0.0/24"}, nil)
			e.clock.Add(2 * time.Second)
			e.publish()
			if n = e.check("", nil); n.Version != 2 {
				t.Fatalf("one cycle batches the three approvals into version 2, got %d", n.Version)
			}
			nj := e.check("jazz", jazz)
			e.check("zong", e.staff("operator.zong@demo.test"))
			_, jazzKeys := e.client(jazz, "jazz", e.key())
			if !slices.ContainsFunc(jazzKeys, func(k string) bool { return strings.HasPrefix(k, "b923001234567") }) {
				t.Errorf("jazz feed lacks its mobile number: %v", jazzKeys)
			}
			_, global := e.client(nil, "", e.key())
			if slices.ContainsFunc(global, func(k string) bool { return strings.HasPrefix(k, "b") }) {
				t.Errorf("global feed carries mobile numbers: %v", global)
			}

			// Revocation and surrender remove entries in the next version.
			sup := e.staff("supervisor@demo.test")
			rev, err := e.svc.ProposeRevocation(e.ctx, e.staff("reviewer@demo.test"), r1.Number, "misuse")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.svc.ConfirmRevocation(e.ctx, sup, rev.ID); err != nil {
				t.Fatal(err)
			}
			e.clock.Add(2 * time.Second)
			e.publish()
			if n = e.check("", nil); n.Version != 3 {
				t.Fatalf("after revocation version %d", n.Version)
			}
			if nj2 := e.check("jazz", jazz); nj2.Version != nj.Version+1 || nj2.SessionID != nj.SessionID {
				t.Errorf("operator feeds follow global changes: %d → %d", nj.Version, nj2.Version)
			}
			_ = r2

			// Approved and revoked within one batching window: the net change
			// is nothing, so no new version.
			r4 := e.approve("ptcl", []string{"36.255.32.0/24"}, nil)
			rev4, _ := e.svc.ProposeRevocation(e.ctx, e.staff("reviewer@demo.test"), r4.Number, "granted by mistake")
			if _, _, err := e.svc.ConfirmRevocation(e.ctx, sup, rev4.ID); err != nil {
				t.Fatal(err)
			}
			e.clock.Add(2 * time.Second)
			e.publish()
			if n = e.check("", nil); n.Version != 3 {
				t.Fatalf("a change undone within the window made version %d", n.Version)
			}

			// Expiry by the background job, 31 days later. Re-signing and the
			// daily snapshot happen on the way.
			e.clock.Add(31 * 24 * time.Hour)
			if _, err := e.svc.RunJobs(e.ctx); err != nil {
				t.Fatal(err)
			}
			e.publish()
			n = e.check("", nil)
			if len(e.truth("")) != 0 {
				t.Fatalf("all registrations should have expired")
			}
			if !n.Timestamp.Equal(e.clock.Now()) {
				t.Errorf("notification timestamp %s, want %s", n.Timestamp, e.clock.Now())
			}
		})
	}
}

func TestResignSnapshotAndRetention(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, kind)
			e.publish()
			e.approve("ptcl", []string{"14.1.104.0/24"}, nil)
			e.publish()
			n1 := e.check("", nil)

			// Re-signed after 15 minutes with no change: same version, new timestamp.
			e.clock.Add(10 * time.Minute)
			if e.publish() {
				t.Fatal("re-signed before 15 minutes")
			}
			e.clock.Add(6 * time.Minute)
			if !e.publish() {
				t.Fatal("not re-signed after 16 minutes")
			}
			n2 := e.check("", nil)
			if n2.Version != n1.Version || !n2.Timestamp.After(n1.Timestamp) || n2.Expires.Sub(n2.Timestamp) != publish.NotifyLifetime {
				t.Fatalf("re-signed notification = %+v", n2)
			}

			// Many small changes: deltas stay listed while they weigh less than
			// the snapshot; then a fresh snapshot is taken.
			for i := 0; i < 6; i++ {
				e.approve("ptcl", []string{fmt.Sprintf("14.1.%d.0/24", 105+i)}, nil)
				e.clock.Add(2 * time.Second)
				e.publish()
				e.check("", nil)
			}
			// A day later: a fresh snapshot, old deltas no longer listed.
			e.clock.Add(25 * time.Hour)
			e.publish()
			n3 := e.check("", nil)
			if n3.Snapshot.Version != n3.Version || len(n3.Deltas) != 0 {
				t.Fatalf("after a day: snapshot version %d of %d, %d deltas listed", n3.Snapshot.Version, n3.Version, len(n3.Deltas))
			}
			files := func() (live, unlisted int) {
				e.db.FeedRead(e.ctx, func(tx publish.Tx) error {
					fs, err := tx.Files(e.ctx, "")
					for _, f := range fs {
						if f.UnlistedAt.IsZero() {
							live++
						} else {
							unlisted++
						}
					}
					return err
				})
				return
			}
			if live, unlisted := files(); live != 1 || unlisted == 0 {
				t.Fatalf("after a day: %d listed files, %d unlisted", live, unlisted)
			}
			// Unlisted files go after the grace hour (at the next cycle).
			e.clock.Add(publish.ResignEvery + time.Minute)
			e.publish()
			e.clock.Add(publish.FileGrace)
			e.publish()
			if live, unlisted := files(); live != 1 || unlisted != 0 {
				t.Fatalf("after the grace period: %d listed, %d unlisted", live, unlisted)
			}
			e.check("", nil)
		})
	}
}

func TestKeyRotation(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.publish()
	old := e.key()
	msg, err := e.keys.Rotate(e.clock.Now(), false)
	if err != nil || !strings.Contains(msg, "announced next key") {
		t.Fatalf("Rotate = %q, %v", msg, err)
	}
	if !e.publish() {
		t.Fatal("a new next key must re-sign at once")
	}
	jws, _, _ := e.rd.Notification(e.ctx, nil, "")
	n, _, err := feed.Verify(jws, old)
	if err != nil || n.NextSigningKey == "" {
		t.Fatalf("announcement = %+v, %v", n, err)
	}
	next, err := feed.ParsePublicKey(n.NextSigningKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.keys.Rotate(time.Now(), false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("switching at once: %v", err)
	}
	if msg, err := e.keys.Rotate(time.Now(), true); err != nil || !strings.Contains(msg, "switched") {
		t.Fatalf("switch = %q, %v", msg, err)
	}
	e.publish()
	jws, _, _ = e.rd.Notification(e.ctx, nil, "")
	if _, _, err := feed.Verify(jws, old); err == nil {
		t.Error("still signed with the old key")
	}
	if n, _, err := feed.Verify(jws, next); err != nil || n.NextSigningKey != "" {
		t.Errorf("after the switch = %+v, %v", n, err)
	}
}

func TestAccess(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.publish()
	jazz, zong := e.staff("operator.jazz@demo.test"), e.staff("operator.zong@demo.test")
	if _, _, err := e.rd.Notification(e.ctx, nil, "jazz"); registry.ErrorCode(err) != registry.EUNAUTHORIZED {
		t.Errorf("anonymous on an operator feed: %v", err)
	}
	for _, u := range []*registry.User{zong, e.staff("reviewer@demo.test")} {
		if _, _, err := e.rd.Notification(e.ctx, u, "jazz"); registry.ErrorCode(err) != registry.ENOTFOUND {
			t.Errorf("%s on jazz's feed: %v", u.Email, err)
		}
	}
	n, _ := e.client(jazz, "jazz", e.key())
	// A file of another scope is not served under this one.
	if _, err := e.rd.File(e.ctx, zong, "zong", strings.TrimPrefix(n.Snapshot.URL, "files/")); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Errorf("jazz's snapshot through zong's feed: %v", err)
	}
	if _, err := e.rd.File(e.ctx, nil, "", strings.TrimPrefix(n.Snapshot.URL, "files/")); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Errorf("jazz's snapshot through the global feed: %v", err)
	}
}

func TestWait(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.publish()
	_, v, ok, err := e.rd.Wait(e.ctx, nil, "", 0, time.Second)
	if err != nil || !ok || v != 1 {
		t.Fatalf("Wait(after 0) = %d, %v, %v", v, ok, err)
	}
	start := time.Now()
	if _, _, ok, _ := e.rd.Wait(e.ctx, nil, "", 1, 200*time.Millisecond); ok || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("Wait(after current) returned early: %v", ok)
	}
	done := make(chan int64)
	go func() {
		_, v, ok, _ := e.rd.Wait(e.ctx, nil, "", 1, 10*time.Second)
		if !ok {
			v = -1
		}
		done <- v
	}()
	time.Sleep(50 * time.Millisecond)
	e.approve("ptcl", []string{"14.1.104.0/24"}, nil)
	e.clock.Add(2 * time.Second)
	e.publish()
	if v := <-done; v != 2 {
		t.Fatalf("waiter woke with version %d, want 2", v)
	}
}

// TestReplicas runs several publishers (as several ipreg serve replicas
// would) over one database while approvals arrive: one version sequence,
// no gaps or doubles, and the feed matches the registry.
func TestReplicas(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t, kind)
			e.publish() // version 1 exists before the race, so approval i makes version i+2
			ctx, cancel := context.WithCancel(e.ctx)
			var wg sync.WaitGroup
			for i := 0; i < 3; i++ {
				p := publish.NewPublisher(e.db, e.keys, time.Now, nil)
				wg.Add(1)
				go func() {
					defer wg.Done()
					for ctx.Err() == nil {
						if _, err := p.PublishOnce(ctx); err != nil && ctx.Err() == nil {
							t.Error(err)
							return
						}
						time.Sleep(5 * time.Millisecond)
					}
				}()
			}
			// After each approval, wait until one of the racing publishers
			// has published it: every version is contended by all three.
			for i := 0; i < 8; i++ {
				e.approve("ptcl", []string{fmt.Sprintf("14.1.%d.0/24", 104+i)}, nil)
				deadline := time.Now().Add(10 * time.Second)
				for {
					e.rd.Refresh(e.ctx)
					if _, v, err := e.rd.Notification(e.ctx, nil, ""); err == nil && v >= int64(i+2) {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("approval %d was not published within 10 s", i)
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			cancel()
			wg.Wait()
			e.pub = publish.NewPublisher(e.db, e.keys, time.Now, nil)
			e.publish()
			e.check("", nil)
			var versions []int64
			e.db.FeedRead(e.ctx, func(tx publish.Tx) error {
				fs, err := tx.Files(e.ctx, "")
				for _, f := range fs {
					if f.Kind == "delta" {
						versions = append(versions, f.Version)
					}
				}
				return err
			})
			if len(versions) < 2 {
				t.Fatalf("the replicas published %d deltas; the test did not exercise concurrency", len(versions))
			}
			for i := 1; i < len(versions); i++ {
				if versions[i] != versions[i-1]+1 {
					t.Fatalf("delta versions %v are not one unbroken sequence", versions)
				}
			}
		})
	}
}

// TestKeysConcurrentFirstLoad: processes starting together on a fresh data
// directory must agree on one signing key.
func TestKeysConcurrentFirstLoad(t *testing.T) {
	for round := 0; round < 20; round++ {
		keys := publish.Keys{Dir: t.TempDir()}
		got := make(chan string, 8)
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cur, _, err := keys.Load()
				if err != nil {
					t.Error(err)
					return
				}
				got <- feed.FormatPublicKey(cur.Public().(ed25519.PublicKey))
			}()
		}
		wg.Wait()
		close(got)
		first := <-got
		for k := range got {
			if k != first {
				t.Fatalf("round %d: concurrent first loads made different keys", round)
			}
		}
	}
}
