package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store"
)

// testNotices drives the notices use cases over the store: publishing,
// an edit that moves the deadline (kept as a revision with old and new
// dates), an edit that changes nothing, a stale edit, withdrawal, the
// public lists at several moments, and the audit entries.
func testNotices(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := t0
	svc := registry.NewService(db, registry.Config{Now: func() time.Time { return now }})
	admin := &registry.User{ID: "usr_noticeadmin", Role: registry.RoleAdmin}
	in := registry.NoticeInput{TitleEN: "Registration deadline", TitleUR: "رجسٹریشن کی آخری تاریخ",
		BodyEN: "Register by 30 June.\n\nUnregistered VPNs are blocked after it.", BodyUR: "30 جون تک رجسٹر کرائیں۔",
		ExpiresAt: t0.AddDate(0, 1, 0)}
	n, err := svc.PublishNotice(ctx, admin, in)
	if err != nil {
		t.Fatal(err)
	}
	if n.Revision != 1 || !n.PublishedAt.Equal(t0.Truncate(time.Microsecond)) || !n.ExpiresAt.Equal(in.ExpiresAt) {
		t.Fatalf("published = %+v", n)
	}
	later, err := svc.PublishNotice(ctx, admin, registry.NoticeInput{TitleEN: "Maintenance", TitleUR: "دیکھ بھال",
		BodyEN: "Saturday night.", BodyUR: "ہفتے کی رات۔", PublishedAt: t0.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	ids := func(all bool) []string {
		t.Helper()
		ns, err := svc.ListNotices(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			out = append(out, n.ID)
		}
		return out
	}
	if got := ids(false); !slices.Equal(got, []string{n.ID}) {
		t.Fatalf("current = %v, want only %s (the other is scheduled)", got, n.ID)
	}
	if _, err := svc.Notice(ctx, nil, later.ID); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Fatalf("scheduled notice to the public: %v, want not found", err)
	}
	if _, err := svc.Notice(ctx, admin, later.ID); err != nil {
		t.Fatalf("scheduled notice to an admin: %v", err)
	}
	// An edit that leaves the publication time out keeps it: a scheduled
	// notice stays scheduled.
	if e, err := svc.EditNotice(ctx, admin, later.ID, registry.NoticeInput{TitleEN: "Maintenance", TitleUR: "دیکھ بھال",
		BodyEN: "Saturday night, 22:00 to 23:00.", BodyUR: "ہفتے کی رات۔"}); err != nil || !e.PublishedAt.Equal(later.PublishedAt) || e.Revision != 2 {
		t.Fatalf("edit of a scheduled notice = %+v, %v; want it still due at %v", e, err, later.PublishedAt)
	}

	// The deadline moves: a revision with the old and new expiry.
	now = t0.Add(time.Hour)
	moved := in
	moved.ExpiresAt = t0.AddDate(0, 2, 0)
	moved.Revision = 1
	n2, err := svc.EditNotice(ctx, admin, n.ID, moved)
	if err != nil {
		t.Fatal(err)
	}
	if n2.Revision != 2 || !n2.UpdatedAt.Equal(now) || !n2.Updated().Equal(now) {
		t.Fatalf("edited = %+v", n2)
	}
	// The same values again change nothing, and store no revision.
	moved.Revision = 2
	if n3, err := svc.EditNotice(ctx, admin, n.ID, moved); err != nil || n3.Revision != 2 {
		t.Fatalf("no-op edit = %+v, %v", n3, err)
	}
	// An edit of revision 1, made before the move, is refused.
	stale := in
	stale.Revision = 1
	stale.TitleEN = "Deadline"
	if _, err := svc.EditNotice(ctx, admin, n.ID, stale); registry.ErrorCode(err) != registry.ECONFLICT {
		t.Fatalf("stale edit: %v, want conflict", err)
	}
	// A public notice keeps its publication time.
	backdate := moved
	backdate.PublishedAt = t0.Add(time.Minute)
	if _, err := svc.EditNotice(ctx, admin, n.ID, backdate); registry.ErrorCode(err) != registry.EINVALID {
		t.Fatalf("moving the publication of a public notice: %v, want invalid", err)
	}

	got, err := svc.Notice(ctx, nil, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != 2 {
		t.Fatalf("history = %+v, want 2 revisions", got.History)
	}
	want := []registry.NoticeChange{{Field: "expires_at", Old: t0.AddDate(0, 1, 0).Format(time.RFC3339), New: t0.AddDate(0, 2, 0).Format(time.RFC3339)}}
	if h := got.History[1]; !slices.Equal(h.Changes, want) || !h.ChangedAt.Equal(now) || h.ChangedBy != admin.ID {
		t.Fatalf("revision 2 = %+v, want changes %+v", h, want)
	}
	if len(got.History[0].Changes) != 0 || got.History[0].BodyUR != in.BodyUR {
		t.Fatalf("revision 1 = %+v", got.History[0])
	}

	// Withdrawn: gone from the current list, still in the full one.
	now = t0.Add(2 * time.Hour)
	if _, err := svc.WithdrawNotice(ctx, admin, n.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.WithdrawNotice(ctx, admin, n.ID); registry.ErrorCode(err) != registry.ECONFLICT {
		t.Fatalf("second withdrawal: %v, want conflict", err)
	}
	if _, err := svc.EditNotice(ctx, admin, n.ID, moved); registry.ErrorCode(err) != registry.ECONFLICT {
		t.Fatalf("edit after withdrawal: %v, want conflict", err)
	}
	if got := ids(false); len(got) != 0 {
		t.Fatalf("current after withdrawal = %v", got)
	}
	if got := ids(true); !slices.Equal(got, []string{n.ID}) {
		t.Fatalf("all = %v", got)
	}
	// Two days on: the scheduled one is current, newest first.
	now = t0.Add(49 * time.Hour)
	if got := ids(true); !slices.Equal(got, []string{later.ID, n.ID}) {
		t.Fatalf("all = %v, want newest publication first", got)
	}
	// A scheduled notice withdrawn before its publication never appears.
	gone, err := svc.PublishNotice(ctx, admin, registry.NoticeInput{TitleEN: "Draft", TitleUR: "مسودہ", BodyEN: "x", BodyUR: "متن",
		PublishedAt: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.WithdrawNotice(ctx, admin, gone.ID); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)
	if got := ids(true); slices.Contains(got, gone.ID) {
		t.Fatalf("all = %v: lists a notice withdrawn before its publication", got)
	}
	if _, err := svc.Notice(ctx, nil, gone.ID); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Fatalf("a notice withdrawn before publication, to the public: %v", err)
	}
	// The list carries each notice's history, read in one query.
	listed, err := svc.ListNotices(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || len(listed[0].History) != 1 || len(listed[1].History) != 3 ||
		!slices.Equal(listed[1].History[1].Changes, want) || listed[1].History[2].Changes[0].Field != "withdrawn_at" {
		t.Fatalf("listed histories: %+v", listed)
	}
	// The history starts at publication (tester t2, M1): the edit made
	// while later was scheduled is not a public change, and the draft
	// text before it appears nowhere; the first entry is the text as
	// published, and an edit after publication compares with it.
	if h := listed[0].History; len(h) != 1 || len(h[0].Changes) != 0 || h[0].BodyEN != "Saturday night, 22:00 to 23:00." {
		t.Fatalf("history of a notice edited while scheduled = %+v, want only the published text", h)
	}
	afterPub := registry.NoticeInput{TitleEN: "Maintenance", TitleUR: "دیکھ بھال", BodyEN: "Saturday night, 22:00 to 23:30.",
		BodyUR: "ہفتے کی رات۔", Revision: 2}
	if _, err := svc.EditNotice(ctx, admin, later.ID, afterPub); err != nil {
		t.Fatal(err)
	}
	for _, actor := range []*registry.User{nil, admin} {
		got, err := svc.Notice(ctx, actor, later.ID)
		if err != nil {
			t.Fatal(err)
		}
		wantCh := []registry.NoticeChange{{Field: "body_en", Old: "Saturday night, 22:00 to 23:00.", New: "Saturday night, 22:00 to 23:30."}}
		if h := got.History; len(h) != 2 || len(h[0].Changes) != 0 || !slices.Equal(h[1].Changes, wantCh) {
			t.Fatalf("history after a public edit (actor %v) = %+v, want the published text then %+v", actor, h, wantCh)
		}
	}
	if _, err := svc.Notice(ctx, nil, "ntc_missing"); registry.ErrorCode(err) != registry.ENOTFOUND {
		t.Fatalf("unknown notice: %v", err)
	}
	if _, err := svc.PublishNotice(ctx, &registry.User{ID: "usr_rev", Role: registry.RoleReviewer}, in); registry.ErrorCode(err) != registry.EFORBIDDEN {
		t.Fatalf("reviewer publishing: %v", err)
	}

	// Audit: publish, publish, edit (scheduled), edit (the moved date),
	// withdraw, edit (after publication).
	var actions []string
	var editDetail string
	err = db.Read(ctx, func(tx registry.Tx) error {
		es, err := tx.AuditEntriesAbout(ctx, []registry.AuditObject{{Type: "notice", ID: n.ID}, {Type: "notice", ID: later.ID}})
		for _, e := range es {
			actions = append(actions, e.Action)
			if e.Action == "notice.edited" && e.ObjectID == n.ID {
				editDetail = e.Detail
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(actions, []string{"notice.published", "notice.published", "notice.edited", "notice.edited", "notice.withdrawn", "notice.edited"}) {
		t.Fatalf("audit = %v", actions)
	}
	if editDetail == "" || !strings.Contains(editDetail, want[0].Old) || !strings.Contains(editDetail, want[0].New) {
		t.Fatalf("edit audit detail = %s, want the old and new expiry", editDetail)
	}

	// The store refuses a second revision with the same number: history
	// is never overwritten.
	err = db.Write(ctx, func(tx registry.Tx) error {
		return tx.AddNoticeRevision(ctx, &registry.NoticeRevision{NoticeID: n.ID, Revision: 1, ChangedAt: now})
	})
	wantCode(t, err, registry.ECONFLICT)
	err = db.Write(ctx, func(tx registry.Tx) error { return tx.UpdateNotice(ctx, &registry.Notice{ID: "ntc_missing"}) })
	wantCode(t, err, registry.ENOTFOUND)
}

// testNoticeFeedOrder checks the lists' order and bounds (tester t2, M3):
// the feed orders by last change, so an edit of an old notice puts it
// first; every current notice is listed whatever the bound, the past
// ones fill up to it; the notices page keeps publication order.
func testNoticeFeedOrder(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := t0
	svc := registry.NewService(db, registry.Config{Now: func() time.Time { return now }})
	admin := &registry.User{ID: "usr_feedadmin", Role: registry.RoleAdmin}
	publish := func(title string, expires time.Time) *registry.Notice {
		t.Helper()
		n, err := svc.PublishNotice(ctx, admin, registry.NoticeInput{TitleEN: title, TitleUR: "اعلان", BodyEN: "Text.", BodyUR: "متن۔", ExpiresAt: expires})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	old := publish("Old deadline", t0.AddDate(0, 6, 0)) // current, published first
	now = t0.Add(time.Hour)
	past := publish("Short", t0.Add(90*time.Minute)) // expires soon
	now = t0.Add(2 * time.Hour)
	mid := publish("Middle", time.Time{})
	// The old notice's deadline moves: its last change is now the newest.
	now = t0.Add(3 * time.Hour)
	in := registry.NoticeInput{TitleEN: "Old deadline", TitleUR: "اعلان", BodyEN: "Text.", BodyUR: "متن۔", ExpiresAt: t0.AddDate(0, 7, 0), Revision: 1}
	if _, err := svc.EditNotice(ctx, admin, old.ID, in); err != nil {
		t.Fatal(err)
	}
	// The expired one is withdrawn later still: the most recent change of all.
	now = t0.Add(4 * time.Hour)
	if _, err := svc.WithdrawNotice(ctx, admin, past.ID); err != nil {
		t.Fatal(err)
	}
	ids := func(ns []*registry.Notice, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, n := range ns {
			out = append(out, n.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		limit int
		want  []string
	}{
		{"all, last changed first", 10, []string{past.ID, old.ID, mid.ID}},
		// A bound of one still carries both current notices; the past one,
		// changed last, makes way for them.
		{"bound below the current ones", 1, []string{old.ID, mid.ID}},
		{"bound of three", 3, []string{past.ID, old.ID, mid.ID}},
	} {
		if got := ids(svc.NoticeFeed(ctx, tc.limit)); !slices.Equal(got, tc.want) {
			t.Errorf("NoticeFeed(%d) %s = %v, want %v", tc.limit, tc.name, got, tc.want)
		}
	}
	if got, want := ids(svc.ListNotices(ctx, true)), []string{mid.ID, past.ID, old.ID}; !slices.Equal(got, want) {
		t.Errorf("ListNotices(all) = %v, want newest publication first %v", got, want)
	}
	if got, want := ids(svc.ListNotices(ctx, false)), []string{mid.ID, old.ID}; !slices.Equal(got, want) {
		t.Errorf("ListNotices(current) = %v, want %v", got, want)
	}
	// The store's own order, for the feed: by the later of the last
	// revision and the publication.
	err := db.Read(ctx, func(tx registry.Tx) error {
		got := ids(tx.ListNotices(ctx, registry.NoticeFilter{ByUpdated: true, Limit: 2}))
		if want := []string{past.ID, old.ID}; !slices.Equal(got, want) {
			t.Errorf("store ListNotices(ByUpdated, 2) = %v, want %v", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
