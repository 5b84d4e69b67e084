package registry

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/ipreg/ipreg/internal/auth"
)

// Notice is a public notice of the registry (a deadline, a policy change,
// planned maintenance) in English and Urdu. Titles and bodies are plain
// text; a body's paragraphs are separated by an empty line. Pages and the
// feed escape them: no markup a notice holds is ever interpreted.
type Notice struct {
	ID               string
	TitleEN, TitleUR string
	BodyEN, BodyUR   string
	// PublishedAt is when the notice becomes public; before it the notice
	// is scheduled and only admins see it.
	PublishedAt time.Time
	ExpiresAt   time.Time // zero: no expiry; from it on the notice is past
	WithdrawnAt time.Time // zero: not withdrawn
	CreatedAt   time.Time
	UpdatedAt   time.Time // the last revision's time
	Revision    int       // 1 when published, one more for each change
	// History lists the notice's public revisions, oldest first, with
	// what each changed: the first is the text as published (edits made
	// while it was scheduled are not part of it); filled by Notice and
	// ListNotices, not by AdminNotices.
	History []NoticeRevision
}

// NoticeStatus is where a notice stands at a moment.
type NoticeStatus string

const (
	NoticeScheduled NoticeStatus = "scheduled" // publication time not reached
	NoticeCurrent   NoticeStatus = "current"   // public, not expired or withdrawn
	NoticeExpired   NoticeStatus = "expired"   // past its expiry
	NoticeWithdrawn NoticeStatus = "withdrawn" // taken back by an admin
)

// Status is the notice's status at now.
func (n *Notice) Status(now time.Time) NoticeStatus {
	switch {
	case !n.WithdrawnAt.IsZero():
		return NoticeWithdrawn
	case now.Before(n.PublishedAt):
		return NoticeScheduled
	case !n.ExpiresAt.IsZero() && !now.Before(n.ExpiresAt):
		return NoticeExpired
	}
	return NoticeCurrent
}

// public reports whether the public sees the notice at now: published by
// then, and not withdrawn before its publication (a scheduled notice
// taken back never appears).
func (n *Notice) public(now time.Time) bool {
	return !now.Before(n.PublishedAt) && (n.WithdrawnAt.IsZero() || !n.WithdrawnAt.Before(n.PublishedAt))
}

// Updated is the time a feed gives as the notice's last change: its last
// revision, or its publication if that is later (a notice edited while
// scheduled first appears when it is published).
func (n *Notice) Updated() time.Time {
	if n.UpdatedAt.After(n.PublishedAt) {
		return n.UpdatedAt
	}
	return n.PublishedAt
}

// NoticeRevision is one version of a notice as stored: its whole text and
// dates after the change, who made it and when. Changes compares it with
// the revision before (empty for revision 1, the publication).
type NoticeRevision struct {
	NoticeID  string
	Revision  int
	ChangedAt time.Time
	ChangedBy string // the admin's user id: kept, never shown publicly
	TitleEN   string
	TitleUR   string
	BodyEN    string
	BodyUR    string
	Published time.Time
	Expires   time.Time
	Withdrawn time.Time
	Changes   []NoticeChange
}

// NoticeChange is one field a revision changed, with its old and new
// value: text as typed, times as RFC 3339 in UTC ("" for none).
type NoticeChange struct {
	Field string `json:"field"` // title_en, title_ur, body_en, body_ur, published_at, expires_at, withdrawn_at
	Old   string `json:"old"`
	New   string `json:"new"`
}

// noticeChanges lists what changed from a to b, in a fixed field order.
func noticeChanges(a, b *NoticeRevision) []NoticeChange {
	ts := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	}
	var out []NoticeChange
	for _, f := range []struct{ name, old, new string }{
		{"title_en", a.TitleEN, b.TitleEN}, {"title_ur", a.TitleUR, b.TitleUR},
		{"body_en", a.BodyEN, b.BodyEN}, {"body_ur", a.BodyUR, b.BodyUR},
		{"published_at", ts(a.Published), ts(b.Published)}, {"expires_at", ts(a.Expires), ts(b.Expires)},
		{"withdrawn_at", ts(a.Withdrawn), ts(b.Withdrawn)},
	} {
		if f.old != f.new {
			out = append(out, NoticeChange{Field: f.name, Old: f.old, New: f.new})
		}
	}
	return out
}

func (n *Notice) revision(by string) *NoticeRevision {
	return &NoticeRevision{NoticeID: n.ID, Revision: n.Revision, ChangedAt: n.UpdatedAt, ChangedBy: by,
		TitleEN: n.TitleEN, TitleUR: n.TitleUR, BodyEN: n.BodyEN, BodyUR: n.BodyUR,
		Published: n.PublishedAt, Expires: n.ExpiresAt, Withdrawn: n.WithdrawnAt}
}

// NoticeInput is a notice as an admin writes it. A zero PublishedAt means
// now for a new notice and unchanged for an edit; a zero ExpiresAt means
// no expiry. Revision, on an edit, is the
// revision the admin edited (0: do not check): an edit of a notice that
// changed meanwhile is refused instead of overwriting the other change.
type NoticeInput struct {
	TitleEN, TitleUR string
	BodyEN, BodyUR   string
	PublishedAt      time.Time
	ExpiresAt        time.Time
	Revision         int
	// ID, for PublishNotice, is the id the new notice is to have: the
	// portal's add form carries one, made when the form was shown, so
	// that the form sent twice (a double click, a reload) publishes one
	// notice, not two (see PublishNotice). "" makes a new id.
	ID string
}

// noticeIDRe is an id as auth.RandomID("ntc") makes them.
var noticeIDRe = regexp.MustCompile(`^ntc_[a-z2-7]{16}$`)

// noticeRepeatWindow is how long after publishing a notice the same
// form sent again counts as the same request, as providerRepeatWindow.
const noticeRepeatWindow = 10 * time.Minute

// NoticeFilter selects notices.
type NoticeFilter struct {
	// PublishedBy keeps notices published at or before it (zero: all,
	// scheduled ones too).
	PublishedBy time.Time
	// CurrentAt keeps notices neither withdrawn nor expired at it (zero:
	// those too).
	CurrentAt time.Time
	Limit     int
	// ByUpdated orders by the last change (Notice.Updated: the last
	// revision, or the publication if later), newest first; otherwise by
	// publication, newest first. Ties by id.
	ByUpdated bool
}

// Limits of a notice's texts, in characters.
const (
	NoticeTitleMax = 200
	NoticeBodyMax  = 10000
)

// noticeExpiryYears bounds how far ahead an expiry may lie.
const noticeExpiryYears = 10

// noticeClockSlack is how far in the past a new publication time may lie:
// the time between the admin's form and the request. A notice cannot
// claim to have been public before it was.
const noticeClockSlack = 5 * time.Minute

func hasUrdu(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// pktTime is a time as the notices' messages give it: in Pakistan time,
// as the admins' form takes its dates, never in UTC.
func pktTime(t time.Time) string { return t.In(PKT.Loc).Format("2006-01-02 15:04 MST") }

// checkNotice validates in against the notice it replaces (nil for a new
// one) and returns the notice's new texts and dates on n.
func (s *Service) checkNotice(in NoticeInput, old *Notice, n *Notice) error {
	fe := FieldErrors{}
	now := s.Now()
	n.TitleEN = line(fe, "title_en", in.TitleEN, NoticeTitleMax, true)
	n.TitleUR = line(fe, "title_ur", in.TitleUR, NoticeTitleMax, true)
	n.BodyEN = text(fe, "body_en", in.BodyEN, NoticeBodyMax, true)
	n.BodyUR = text(fe, "body_ur", in.BodyUR, NoticeBodyMax, true)
	for _, f := range []struct{ name, v string }{{"title_ur", n.TitleUR}, {"body_ur", n.BodyUR}} {
		if f.v != "" && !hasUrdu(f.v) {
			fe.Add(f.name, "must be written in Urdu (Urdu script): the Urdu page and feed show it")
		}
	}
	pub := in.PublishedAt.UTC().Truncate(time.Microsecond)
	switch {
	case old != nil && !now.Before(old.PublishedAt):
		// A public notice keeps its publication time: moving it would
		// rewrite when the public was told.
		if !in.PublishedAt.IsZero() && !pub.Equal(old.PublishedAt) {
			fe.Add("published_at", "cannot change: the notice is public since %s; leave it as it is, or withdraw the notice and publish a new one", pktTime(old.PublishedAt))
		}
		pub = old.PublishedAt
	case in.PublishedAt.IsZero() && old != nil:
		pub = old.PublishedAt // a scheduled notice stays scheduled
	case in.PublishedAt.IsZero():
		pub = now
	case pub.Before(now.Add(-noticeClockSlack)):
		fe.Add("published_at", "must not be in the past: a notice cannot be dated before it was published; leave it empty to publish now")
	}
	n.PublishedAt = pub
	n.ExpiresAt = in.ExpiresAt.UTC().Truncate(time.Microsecond)
	pkt := pktTime
	newExpiry := old == nil || !n.ExpiresAt.Equal(old.ExpiresAt)
	switch {
	case !in.ExpiresAt.IsZero() && !n.ExpiresAt.After(pub):
		fe.Add("expires_at", "must be after the publication time (%s); leave it empty for a notice without expiry", pkt(pub))
	case !in.ExpiresAt.IsZero() && n.ExpiresAt.After(now.AddDate(noticeExpiryYears, 0, 0)):
		// A bound, so every expiry reads back as a date the form takes
		// (year 9999 did not; tester t2, minor 10).
		fe.Add("expires_at", "must be at most %d years ahead (until %s); leave it empty for a notice without expiry", noticeExpiryYears, pkt(now.AddDate(noticeExpiryYears, 0, 0)))
	case newExpiry && !in.ExpiresAt.IsZero() && !n.ExpiresAt.After(now):
		// A new expiry already past would make the page state a false
		// "Shown until" (tester t2, minor 2).
		fe.Add("expires_at", "must not be in the past (it is %s now); to take the notice down now, withdraw it", pkt(now))
	case old != nil && old.Status(now) == NoticeExpired && !newExpiry:
		// An expired notice is changed only to bring it back with a new
		// expiry (or none), and the revision records that; rewording
		// what was shown while it was current would rewrite the past.
		fe.Add("expires_at", "the notice expired on %s; to show it again, give a new expiry date in the future (or none), otherwise publish a new notice", pkt(old.ExpiresAt))
	}
	return fe.Err()
}

// CheckNotice validates in as PublishNotice (old nil) or EditNotice (old
// the notice edited) would, storing nothing: for the layers that read
// parts of the input themselves (dates typed as text) and show every
// field's error at once. EINVALID names the fields that fail.
func (s *Service) CheckNotice(in NoticeInput, old *Notice) error {
	var n Notice
	if old != nil {
		n = *old
	}
	return s.checkNotice(in, old, &n)
}

// PublishNotice stores a new notice with its first revision and audits
// it (notice.published): for admins. EINVALID names the fields that fail.
// With in.ID (the portal's form), the same form sent again returns the
// notice it published (publishedBefore), and ECONFLICT when it differs.
func (s *Service) PublishNotice(ctx context.Context, actor *User, in NoticeInput) (*Notice, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	n := &Notice{ID: auth.RandomID("ntc")}
	if in.ID != "" {
		if !noticeIDRe.MatchString(in.ID) {
			return nil, FieldErrors{"id": "is not a notice id the form made; open the notices page again and publish from its form"}.Err()
		}
		n.ID = in.ID
	}
	if err := s.checkNotice(in, nil, n); err != nil {
		return nil, err
	}
	n.CreatedAt, n.UpdatedAt, n.Revision = s.Now(), s.Now(), 1
	rev := n.revision(actor.ID)
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := tx.CreateNotice(ctx, n); err != nil {
			return err
		}
		if err := tx.AddNoticeRevision(ctx, rev); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "notice.published", "notice", n.ID, map[string]string{
			"title_en": n.TitleEN, "published_at": n.PublishedAt.Format(time.RFC3339), "expires_at": rfc3339(n.ExpiresAt)})
	})
	if in.ID != "" && ErrorCode(err) == ECONFLICT {
		return s.publishedBefore(ctx, actor, in, n)
	}
	if err != nil {
		return nil, err
	}
	rev.Changes = nil
	n.History = []NoticeRevision{*rev}
	return n, nil
}

// publishedBefore answers a publication refused because a notice has
// n's id already: the form that carries the id was sent before. When that
// notice is n as published by actor (the same texts and expiry, the same
// publication time unless "now" was asked), within noticeRepeatWindow and
// unchanged since, the form was sent twice while the first was being
// saved (the fault the provider form had): the notice is there as asked,
// and is returned, not a conflict the admin would take for a failure.
// Otherwise ECONFLICT: the form was used already.
func (s *Service) publishedBefore(ctx context.Context, actor *User, in NoticeInput, n *Notice) (*Notice, error) {
	var old *Notice
	var revs []NoticeRevision
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		if old, err = tx.Notice(ctx, n.ID, false); err != nil {
			return err
		}
		revs, err = tx.NoticeRevisions(ctx, n.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	same := old.Revision == 1 && old.WithdrawnAt.IsZero() && len(revs) > 0 && revs[0].ChangedBy == actor.ID &&
		s.Now().Sub(old.CreatedAt) <= noticeRepeatWindow &&
		old.TitleEN == n.TitleEN && old.TitleUR == n.TitleUR && old.BodyEN == n.BodyEN && old.BodyUR == n.BodyUR &&
		old.ExpiresAt.Equal(n.ExpiresAt) && (in.PublishedAt.IsZero() || old.PublishedAt.Equal(n.PublishedAt))
	if same {
		return old, nil
	}
	return nil, Errorf(ECONFLICT, "this form published the notice %q already; to publish another notice, open the notices page again and use its form", old.TitleEN)
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// EditNotice replaces a notice's texts and dates, keeping the version
// before as a revision and auditing what changed (notice.edited): for
// admins. An edit that changes nothing stores nothing. ECONFLICT for a
// withdrawn notice, or when in.Revision is set and the notice was changed
// since; ENOTFOUND for an unknown id.
func (s *Service) EditNotice(ctx context.Context, actor *User, id string, in NoticeInput) (*Notice, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	var out *Notice
	err := s.store.Write(ctx, func(tx Tx) error {
		old, err := tx.Notice(ctx, id, true)
		if err != nil {
			return err
		}
		if !old.WithdrawnAt.IsZero() {
			return Errorf(ECONFLICT, "notice %s was withdrawn on %s and cannot be changed; publish a new notice instead", id, pktTime(old.WithdrawnAt))
		}
		if in.Revision != 0 && in.Revision != old.Revision {
			return Errorf(ECONFLICT, "notice %s was changed by someone else since you opened it (it is at revision %d, you edited revision %d); open it again and redo your change", id, old.Revision, in.Revision)
		}
		n := *old
		if err := s.checkNotice(in, old, &n); err != nil {
			return err
		}
		changes := noticeChanges(old.revision(""), n.revision(""))
		if len(changes) == 0 {
			out = old
			return nil
		}
		n.Revision, n.UpdatedAt = old.Revision+1, s.Now()
		if err := tx.UpdateNotice(ctx, &n); err != nil {
			return err
		}
		if err := tx.AddNoticeRevision(ctx, n.revision(actor.ID)); err != nil {
			return err
		}
		fields := make(map[string]string, len(changes))
		for _, c := range changes {
			// Dates in full (the audit shows a moved deadline); texts by
			// name only, the revision table keeps them.
			switch c.Field {
			case "published_at", "expires_at":
				fields[c.Field] = c.Old + " -> " + c.New
			default:
				fields[c.Field] = "changed"
			}
		}
		out = &n
		return s.record(ctx, tx, actor, "notice.edited", "notice", n.ID, fields)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// WithdrawNotice takes a notice back: it leaves the home page and the
// feed's current entries, stays on the notices page as withdrawn, and
// the withdrawal is a revision and an audit entry (notice.withdrawn): for
// admins. ECONFLICT if it was withdrawn already.
func (s *Service) WithdrawNotice(ctx context.Context, actor *User, id string) (*Notice, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	var out *Notice
	err := s.store.Write(ctx, func(tx Tx) error {
		n, err := tx.Notice(ctx, id, true)
		if err != nil {
			return err
		}
		if !n.WithdrawnAt.IsZero() {
			return Errorf(ECONFLICT, "notice %s was withdrawn already, on %s", id, pktTime(n.WithdrawnAt))
		}
		n.WithdrawnAt, n.UpdatedAt, n.Revision = s.Now(), s.Now(), n.Revision+1
		if err := tx.UpdateNotice(ctx, n); err != nil {
			return err
		}
		if err := tx.AddNoticeRevision(ctx, n.revision(actor.ID)); err != nil {
			return err
		}
		out = n
		return s.record(ctx, tx, actor, "notice.withdrawn", "notice", n.ID, map[string]string{"title_en": n.TitleEN})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListNotices lists public notices, newest publication first, each with
// its history: the current ones, or with all also the expired and
// withdrawn ones. Scheduled notices, and those withdrawn before their
// publication, are never listed here (AdminNotices lists them). Every
// current notice is listed; the past ones up to noticeListMax in all
// (tester t2, M3: a long past never pushes a current notice out). Anyone
// may call it.
func (s *Service) ListNotices(ctx context.Context, all bool) ([]*Notice, error) {
	return s.publicNotices(ctx, all, NoticeFilter{Limit: noticeListMax})
}

// HomeNotices returns the newest limit current notices (newest
// publication first, each with its history) and how many notices are
// current: the home page shows a few and links to the rest, so that a
// busy month of notices does not push the page's own content down
// (issue 13). Only the notices shown have their histories read. Anyone
// may call it.
func (s *Service) HomeNotices(ctx context.Context, limit int) ([]*Notice, int, error) {
	now := s.Now()
	var out []*Notice
	total := 0
	err := s.store.Read(ctx, func(tx Tx) error {
		cur, err := tx.ListNotices(ctx, NoticeFilter{PublishedBy: now, CurrentAt: now})
		if err != nil {
			return err
		}
		cur = slices.DeleteFunc(cur, func(n *Notice) bool { return !n.public(now) })
		total = len(cur)
		out = cur[:min(limit, len(cur))]
		return attachHistory(ctx, tx, out)
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// NoticeChangesSince lists what changed in notice id since revision rev,
// field by field: Old as it was at rev, New as it is now (times as RFC
// 3339); none when rev is the current revision. For
// an admin whose edit of rev was refused as stale (ECONFLICT): the form
// shows them the other change before they save again. Unlike the public
// history it covers edits made while the notice was scheduled. Admins
// only; ENOTFOUND for an unknown notice or revision.
func (s *Service) NoticeChangesSince(ctx context.Context, actor *User, id string, rev int) ([]NoticeChange, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	var out []NoticeChange
	err := s.store.Read(ctx, func(tx Tx) error {
		revs, err := tx.NoticeRevisions(ctx, id)
		if err != nil {
			return err
		}
		var from, last *NoticeRevision
		for i := range revs {
			if revs[i].Revision == rev {
				from = &revs[i]
			}
			if last == nil || revs[i].Revision > last.Revision {
				last = &revs[i]
			}
		}
		if from == nil {
			return Errorf(ENOTFOUND, "notice %s has no revision %d", id, rev)
		}
		out = noticeChanges(from, last)
		return nil
	})
	return out, err
}

// NoticeFeed lists the public notices a feed carries, last changed first
// (Notice.Updated), each with its history: every current notice, then
// the most recently changed past ones up to limit in all. Ordered by
// change, not publication, so an edit of an old notice (a moved
// deadline) reaches the feed and moves its updated time (tester t2, M3).
// Anyone may call it.
func (s *Service) NoticeFeed(ctx context.Context, limit int) ([]*Notice, error) {
	return s.publicNotices(ctx, true, NoticeFilter{Limit: limit, ByUpdated: true})
}

// noticeListMax bounds the notices a public list reads besides the
// current ones.
const noticeListMax = 500

// publicNotices reads the current public notices and, with all, the
// others as f orders and limits them, merged in f's order.
func (s *Service) publicNotices(ctx context.Context, all bool, f NoticeFilter) ([]*Notice, error) {
	now := s.Now()
	var out []*Notice
	err := s.store.Read(ctx, func(tx Tx) error {
		cur, err := tx.ListNotices(ctx, NoticeFilter{PublishedBy: now, CurrentAt: now, ByUpdated: f.ByUpdated})
		if err != nil {
			return err
		}
		out = cur
		if all {
			f.PublishedBy = now
			rest, err := tx.ListNotices(ctx, f)
			if err != nil {
				return err
			}
			seen := make(map[string]bool, len(cur))
			for _, n := range cur {
				seen[n.ID] = true
			}
			for _, n := range rest {
				if !seen[n.ID] && (len(out) < f.Limit || f.Limit <= 0) {
					out = append(out, n)
				}
			}
			key := func(n *Notice) time.Time { return n.PublishedAt }
			if f.ByUpdated {
				key = (*Notice).Updated
			}
			slices.SortStableFunc(out, func(a, b *Notice) int {
				if c := key(b).Compare(key(a)); c != 0 {
					return c
				}
				return strings.Compare(a.ID, b.ID)
			})
		}
		out = slices.DeleteFunc(out, func(n *Notice) bool { return !n.public(now) })
		return attachHistory(ctx, tx, out)
	})
	return out, err
}

// attachHistory fills each notice's History, with what each revision
// changed, in one read. The history is the public one: it starts at the
// publication. Revisions made while a notice was scheduled were never
// public (a draft's wording, a moved publication time), so the last of
// them, the text as published, is the history's first entry, with no
// changes, and the ones before it are left out (the revision table and
// the audit log keep them for the registry). Tester t2, finding M1.
func attachHistory(ctx context.Context, tx Tx, ns []*Notice) error {
	ids := make([]string, len(ns))
	byID := make(map[string]*Notice, len(ns))
	for i, n := range ns {
		ids[i], byID[n.ID] = n.ID, n
	}
	revs, err := tx.NoticeRevisions(ctx, ids...)
	if err != nil {
		return err
	}
	for _, r := range revs {
		n := byID[r.NoticeID]
		k := len(n.History)
		if k > 0 && !r.ChangedAt.After(n.PublishedAt) {
			// Still before publication: this version replaces the
			// draft before it as the one published.
			n.History[k-1] = r
			continue
		}
		if k > 0 {
			r.Changes = noticeChanges(&n.History[k-1], &r)
		}
		n.History = append(n.History, r)
	}
	return nil
}

// AdminNotices lists every notice, scheduled ones too, newest publication
// first: for admins.
func (s *Service) AdminNotices(ctx context.Context, actor *User) ([]*Notice, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	var out []*Notice
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListNotices(ctx, NoticeFilter{Limit: 1000})
		return err
	})
	return out, err
}

// Notice returns one notice with its history (each revision with what it
// changed). A scheduled notice, or one withdrawn before its publication,
// is ENOTFOUND to anyone but an admin, as if it did not exist; actor may
// be nil.
func (s *Service) Notice(ctx context.Context, actor *User, id string) (*Notice, error) {
	var n *Notice
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		if n, err = tx.Notice(ctx, id, false); err != nil {
			return err
		}
		isAdmin := actor != nil && actor.Role == RoleAdmin && !actor.EnrolmentOnly
		if !isAdmin && !n.public(s.Now()) {
			return Errorf(ENOTFOUND, "notice %s not found", id)
		}
		return attachHistory(ctx, tx, []*Notice{n})
	})
	if err != nil {
		return nil, err
	}
	return n, nil
}
