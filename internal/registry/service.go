package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/netpolicy"
	"github.com/ipreg/ipreg/internal/notify"
)

// Service carries out ipreg's use cases. Every method that acts for a user
// takes that user as actor and checks role and ownership itself; handlers
// only translate.
type Service struct {
	store   Store
	now     func() time.Time
	log     *slog.Logger
	country *netpolicy.Space
	// spaces are the operators' address spaces as last read.
	spaces   operatorSpaces
	calendar Calendar
	hashing  auth.Params
	// dummyHash is checked when a login names no user, so that the answer
	// takes as long as a real check.
	dummyHash string

	feedChanged func()
	blobs       Blobs
	// swept counts the files SweepDocuments removed (sweep.go).
	swept      sweptCounts
	demoNoTOTP bool
	totpIssuer string
	resetLinks bool
	publicURL  string
	regulator  string
	certKeys   CertificateKeys

	// gate bounds the password hashes running at once (see throttle.go).
	gate *auth.Gate
	// pdfGate bounds the PDF checks running at once (see documents_pdf.go).
	pdfGate *auth.Gate
	// pdfSlots lets each account check one PDF at a time.
	pdfSlots accountSlots

	// jobs schedules the background jobs; jobsEvery is their interval.
	jobs      *Scheduler
	jobsEvery time.Duration
	mailer    notify.Mailer
	texter    notify.Texter
	attach    func(ctx context.Context, ref string) (notify.Attachment, error)
	// worker names this Service as the holder of outbox leases.
	worker string
	// importPublish publishes the feed after an import (SetImportPublisher).
	importPublish func(ctx context.Context) (int64, error)
}

// Config holds what a Service needs besides its store.
type Config struct {
	Now      func() time.Time // defaults to time.Now
	Log      *slog.Logger     // defaults to a discarding logger
	Country  *netpolicy.Space // defaults to Pakistan's embedded space
	Calendar Calendar         // defaults to PKT
	Hashing  auth.Params      // defaults to auth.DefaultParams
	// FeedChanged, if set, is called after a transaction that changed the
	// allowlist commits, so the publisher can publish at once instead of
	// at its next poll. It must not block.
	FeedChanged func()
	// FeedPublished, if set, waits until the running publisher has
	// published every change committed so far and returns the global feed
	// version that carries them (publish.Publisher.WaitPublished): a real
	// import reports it (ImportReport.FeedVersion). SetImportPublisher
	// replaces it.
	FeedPublished func(ctx context.Context) (int64, error)
	// DemoWithoutTOTP lets the demo's staff users (e-mail @demo.test) log
	// in without TOTP, so that a first look needs no phone. Set only by
	// ipreg serve --demo; everywhere else staff must use TOTP. Users made
	// meanwhile are marked User.MadeInDemo.
	DemoWithoutTOTP bool
	// TOTPIssuer names the registry in authenticator apps; "ipreg" by default.
	TOTPIssuer string
	// HashGate bounds concurrent password hashes; by default the
	// process-wide auth.ProcessGate, shared by every Service.
	HashGate *auth.Gate
	// ResetLinks says that people can get password-reset links (ipreg
	// serve has --public-url, or --demo), so a throttled login may advise a
	// reset. Without it, the advice would send them to a page that cannot
	// help.
	ResetLinks bool
	// PDFGate bounds concurrent PDF checks of uploads; by default the
	// process-wide gate, one check per core with a short queue.
	PDFGate *auth.Gate
	// Documents keeps uploaded documents' contents (encrypted at rest).
	// Without it, uploads and reads fail with an internal error.
	Documents Blobs
	// PublicURL is the registry's address as people reach it (ipreg serve
	// --public-url), without a trailing slash: the start of every link in a
	// message, and where certificates' QR codes point (its /verify page).
	// Without it, certificates are unavailable and messages with links
	// fail at delivery.
	PublicURL string
	// Regulator is the issuer named on certificates; DefaultRegulator
	// when empty.
	Regulator string
	// CertificateKeys signs certificates and verifies their QR codes.
	// Without it, certificates are unavailable.
	CertificateKeys CertificateKeys
	// JobsEvery is how often the interval jobs (deadlines, expiry, clean-up,
	// purge) fall due; one minute by default.
	JobsEvery time.Duration
	// JobRunner names this process in job leases; by default host, process
	// id and a random part.
	JobRunner string

	// Mailer and Texter deliver the outbox's e-mail and SMS
	// (DeliverOutbox). Without one, messages on its channel stay pending,
	// retried, and are given up after the outbox_give_up_hours setting.
	Mailer notify.Mailer
	Texter notify.Texter
	// Attach resolves a message's attachment reference, such as
	// "certificate:VPN-2026-000123", to the file to attach.
	Attach func(ctx context.Context, ref string) (notify.Attachment, error)
}

// NewService returns a Service over store.
func NewService(store Store, cfg Config) *Service {
	s := &Service{store: store, now: cfg.Now, log: cfg.Log, country: cfg.Country, calendar: cfg.Calendar, hashing: cfg.Hashing,
		feedChanged: cfg.FeedChanged, importPublish: cfg.FeedPublished, blobs: cfg.Documents, demoNoTOTP: cfg.DemoWithoutTOTP, totpIssuer: cfg.TOTPIssuer,
		resetLinks: cfg.ResetLinks, publicURL: strings.TrimSuffix(cfg.PublicURL, "/"), regulator: cfg.Regulator, certKeys: cfg.CertificateKeys,
		mailer: cfg.Mailer, texter: cfg.Texter, attach: cfg.Attach, worker: auth.RandomID("wrk")}
	if s.regulator == "" {
		s.regulator = DefaultRegulator
	}
	if s.attach == nil {
		s.attach = s.attachCertificate
	}
	if s.totpIssuer == "" {
		s.totpIssuer = "ipreg"
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.country == nil {
		s.country = netpolicy.Pakistan()
	}
	if s.calendar.Loc == nil {
		s.calendar = PKT
	}
	if s.hashing.Memory == 0 {
		s.hashing = auth.DefaultParams
	}
	s.dummyHash, _ = auth.HashPassword("not a password anyone has", s.hashing)
	s.gate = cfg.HashGate
	if s.gate == nil {
		s.gate = auth.ProcessGate(s.hashing)
	}
	s.pdfGate = cfg.PDFGate
	if s.pdfGate == nil {
		s.pdfGate = pdfGate
	}
	s.jobsEvery = cfg.JobsEvery
	if s.jobsEvery <= 0 {
		s.jobsEvery = time.Minute
	}
	s.jobs = newScheduler(s, cfg.JobRunner)
	for _, j := range s.builtinJobs() {
		s.jobs.Register(j)
	}
	return s
}

// SetPublicURL sets the start of the links messages carry, for a server
// that learns its address only once it listens (ipreg serve --demo). Call
// it before the outbox is delivered.
func (s *Service) SetPublicURL(u string) { s.publicURL = strings.TrimSuffix(u, "/") }

// Now is the service's clock, truncated to the precision stores keep.
func (s *Service) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Store returns the underlying store, for health checks.
func (s *Service) Store() Store { return s.store }

// requireRole returns EUNAUTHORIZED for no actor and EFORBIDDEN for a role
// outside roles.
func requireRole(actor *User, roles ...Role) error {
	if err := requireUser(actor); err != nil {
		return err
	}
	if actor.EnrolmentOnly {
		return Errorf(EFORBIDDEN, "your role requires two-factor authentication: set it up first (POST /api/v1/me/totp, then POST /api/v1/me/totp/confirm with a code from your authenticator app)")
	}
	for _, r := range roles {
		if actor.Role == r {
			return nil
		}
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return Errorf(EFORBIDDEN, "this needs the role %s; you are %s", strings.Join(names, " or "), actor.Role)
}

// CheckScope is the scope half of authentication, for the HTTP layers to
// apply to every request at the step that resolves its token: a token of
// ScopeFeed gets EFORBIDDEN (naming the scope) on any route but a feed
// route (feedRoute: the operator's feed, and GET /api/v1/me). No actor
// passes: what needs one refuses it itself. The service checks again in
// requireUser, so an operation reached another way cannot forget it.
func CheckScope(actor *User, feedRoute bool) error {
	if actor == nil || feedRoute {
		return nil
	}
	return refuseFeedOnly(actor)
}

// refuseFeedOnly refuses a token of ScopeFeed what is not the operator's
// feed or its own profile.
func refuseFeedOnly(actor *User) error {
	if actor.FeedOnly {
		return Errorf(EFORBIDDEN, "this API token has the feed scope: it reads the operator's feed (/feed/v1/operators/{id}/…) and GET /api/v1/me only; use a full-access token or log in")
	}
	return nil
}

// requireUser is the authentication step every operation that needs a
// user goes through (requireRole starts with it): EUNAUTHORIZED for no
// actor, and EFORBIDDEN for a token of the feed scope, which may do
// nothing here but read its profile (Me, through requireAnyScope). The
// scope check lives here, not beside it, so no operation can forget it
// (a feed token could once revoke itself through logout). Only what a
// login that may just set up TOTP needs (profile, TOTP enrolment, logout)
// checks no more than this.
func requireUser(actor *User) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "log in first: send Authorization: Bearer <token>")
	}
	return refuseFeedOnly(actor)
}

// requireAnyScope is requireUser for the one operation a token of the feed
// scope may use besides the feed: reading its own profile (GET
// /api/v1/me, which tells ipreg-agent its operator).
func requireAnyScope(actor *User) error {
	if actor == nil {
		return Errorf(EUNAUTHORIZED, "log in first: send Authorization: Bearer <token>")
	}
	return nil
}

func actorID(u *User) string {
	if u == nil {
		return ""
	}
	return u.ID
}

func actorRole(u *User) Role {
	if u == nil {
		return ""
	}
	return u.Role
}

// view runs fn as a plain read, or in a write transaction when the actor is
// staff, whose reads of personal data fn records in the audit log.
func (s *Service) view(ctx context.Context, actor *User, fn func(Tx) error) error {
	if actor.Role.Staff() {
		return s.store.Write(ctx, fn)
	}
	return s.store.Read(ctx, fn)
}

// auditRead records, in a write transaction of its own, that actor read
// what a staff list or page shows (checks.listed, queue.viewed,
// application.viewed), once the read is done: the caller answers only
// when it returns nil, so no audited read is shown unrecorded. The reads
// themselves run outside the write transaction (issue 14): inside it they
// held the one SQLite writer through every query of the list, and the
// reviewers' and operators' pages queued behind each other and behind
// the filings.
func (s *Service) auditRead(ctx context.Context, actor *User, action, objType, objID string, detail any) error {
	e, err := s.auditEntry(actor, action, objType, objID, detail)
	if err != nil {
		return err
	}
	return s.store.Record(ctx, e)
}

// record writes an audit entry; detail is marshalled to JSON.
func (s *Service) record(ctx context.Context, tx Tx, actor *User, action, objType, objID string, detail any) error {
	e, err := s.auditEntry(actor, action, objType, objID, detail)
	if err != nil {
		return err
	}
	return tx.AppendAudit(ctx, e)
}

// auditEntry is the audit entry record appends: now, with detail as JSON.
func (s *Service) auditEntry(actor *User, action, objType, objID string, detail any) (*audit.Entry, error) {
	d := ""
	if detail != nil {
		b, err := json.Marshal(detail)
		if err != nil {
			return nil, fmt.Errorf("audit detail: %w", err)
		}
		d = string(b)
	}
	return &audit.Entry{At: s.Now(), ActorID: actorID(actor), Action: action, ObjectType: objType, ObjectID: objID, Detail: d}, nil
}

// event adds a timeline event to an application and records it in the audit log.
func (s *Service) event(ctx context.Context, tx Tx, actor *User, a *Application, typ, note string) error {
	_, err := s.addEvent(ctx, tx, actor, a, typ, note)
	return err
}

// addEvent is event, returning the event as the timeline holds it.
func (s *Service) addEvent(ctx context.Context, tx Tx, actor *User, a *Application, typ, note string) (*Event, error) {
	e := &Event{ApplicationID: a.ID, At: s.Now(), ActorID: actorID(actor), ActorRole: actorRole(actor), Type: typ, Note: note}
	if err := tx.AddEvent(ctx, e); err != nil {
		return nil, err
	}
	if err := s.notifyEvent(ctx, tx, a, e); err != nil {
		return nil, err
	}
	return e, s.record(ctx, tx, actor, "application."+typ, "application", a.ID, map[string]string{"state": string(a.State)})
}

// personName is text for a person's or organisation's name, which is
// printed on certificates and shown, masked, to the public: text, and on
// one line.
func personName(fe FieldErrors, field, v string, max int) string {
	v = text(fe, field, v, max, true)
	if fe[field] != "" {
		return v
	}
	if strings.ContainsAny(v, "\n\r\t") {
		fe.Add(field, "must be on one line")
	}
	return v
}

// plainParam checks a filter or cursor a caller passes (a query
// parameter): it must be valid UTF-8 without control characters, which no
// id, code or cursor holds and PostgreSQL refuses in a query (a NUL in the
// review queue's operator filter was a 500 there).
func plainParam(fe FieldErrors, field, v string) {
	if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		fe.Add(field, "is not valid UTF-8 text without control characters; send an id or cursor as this API gave it")
	}
}

// text validates a free-text field (names, purpose, notes, reasons, appeal
// statements: all shown to other people): valid UTF-8, no control
// characters other than newlines and tabs, at most max characters, and
// without the invisible format characters that reorder or hide text
// (bidirectional overrides, embeddings and isolates, marks, zero-width
// spaces, the byte-order mark; Unicode category Cf), so that what a
// reviewer, operator or the public is shown is what was typed. The
// zero-width non-joiner and joiner stay: Urdu spelling uses them. Every
// free-text field goes through here, so that one rule holds for all.
// Noncharacters are refused too (text1 holds the rules before them).
func text(fe FieldErrors, field, v string, max int, required bool) string {
	n := len(fe)
	v = text1(fe, field, v, max, required)
	if len(fe) == n {
		for _, r := range v {
			// Noncharacters (U+FDD0–U+FDEF, U+xFFFE, U+xFFFF) are not for
			// interchange: the Atom feed replaces them by U+FFFD, so the
			// text would read differently there (tester t2, minor 7).
			if r >= 0xFDD0 && r <= 0xFDEF || r&0xFFFE == 0xFFFE {
				fe.Add(field, "contains a noncharacter (%U), which is not text; remove it", r)
				break
			}
		}
	}
	return v
}

// line is text for a single-line field (a name, a title): a line break
// in it would be lost or break the layout where it is shown on one line
// (tester t2, minor 8).
//
// A tab is refused too: text lets it through for bodies, where it may
// indent, but in a name or title it shows as a gap of unknown width, and
// in the register's CSV and a spreadsheet it splits or shifts the cell.
func line(fe FieldErrors, field, v string, max int, required bool) string {
	n := len(fe)
	v = text(fe, field, v, max, required)
	if len(fe) != n {
		return v
	}
	switch {
	case strings.ContainsAny(v, "\r\n\u0085\u2028\u2029"):
		fe.Add(field, "must be on one line: remove the line breaks")
	case strings.ContainsRune(v, '\t'):
		fe.Add(field, "contains a tab character; type a space instead")
	}
	return v
}

func text1(fe FieldErrors, field, v string, max int, required bool) string {
	v = strings.TrimSpace(v)
	switch {
	case !utf8.ValidString(v):
		fe.Add(field, "is not valid UTF-8 text")
	case required && v == "":
		fe.Add(field, "is required")
	case utf8.RuneCountInString(v) > max:
		fe.Add(field, "is too long: at most %d characters", max)
	default:
		for _, r := range v {
			// C0 and DEL, and C1 (U+0080–U+009F: typed by no keyboard,
			// they arrive from text decoded as the wrong code page) but
			// for U+0085, a line break, which line refuses as one.
			if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' && r != 0x85 {
				fe.Add(field, "contains control characters; use plain text")
				break
			}
			if unicode.Is(unicode.Cf, r) && r != 0x200C && r != 0x200D {
				fe.Add(field, "contains an invisible character (%s) that changes how text is shown; type it as plain text", fmt.Sprintf("%U", r)) // %s: the Urdu catalog matches %s, not %U (tester t3, minor 8)
				break
			}
		}
	}
	return v
}

// normalizeEmail puts an e-mail address into NormalizeEmail's form, or
// says in fe what is wrong with it.
func normalizeEmail(fe FieldErrors, field, v string) string {
	e, err := NormalizeEmail(v)
	if err != nil {
		fe.AddErr(field, err)
	}
	return e
}

func checkPassword(fe FieldErrors, field, pw string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		fe.Add(field, "is not valid UTF-8 text")
	case n < 10:
		fe.Add(field, "is too short: use at least 10 characters (a few words make a good password)")
	case n > 256:
		fe.Add(field, "is too long: at most 256 characters")
	}
}

// allowlist records the feed entries of a registration that starts
// ("add") or ends ("remove"), in the caller's transaction.
func (s *Service) allowlist(ctx context.Context, tx Tx, r *Registration, op string) error {
	return s.allowlistItems(ctx, tx, r, op, r.Addresses, r.MobileNumbers, r.ValidUntil)
}

// allowlistItems records feed entries of some of r's items, valid until until.
func (s *Service) allowlistItems(ctx context.Context, tx Tx, r *Registration, op string, addrs []netip.Prefix, nums []string, until time.Time) error {
	now := s.Now()
	for _, p := range addrs {
		e := feed.Entry{Prefix: p.String(), Reg: r.Number, Cat: string(r.Category), Until: until.UTC()}
		if err := tx.AddFeedChange(ctx, "", op, e, now); err != nil {
			return err
		}
	}
	for _, m := range nums {
		e := feed.Entry{MSISDN: m, Reg: r.Number, Cat: string(r.Category), Until: until.UTC()}
		if err := tx.AddFeedChange(ctx, r.OperatorID, op, e, now); err != nil {
			return err
		}
	}
	return nil
}

// notifyFeed tells the publisher, after a commit, that the allowlist changed.
func (s *Service) notifyFeed() {
	if s.feedChanged != nil {
		s.feedChanged()
	}
}

// Language is the language a tag names, "en" or "ur", or "" for any
// other: language tags are case-insensitive (BCP 47 §2.1.1), so "UR" and
// "Ur" are Urdu as "ur" is. Spaces around it are ignored. Every place a
// language is read (a form, the API, ?lang=, /lang/{code}) goes through
// here, so that one rule holds for all.
func Language(tag string) string {
	switch l := strings.ToLower(strings.TrimSpace(tag)); l {
	case "en", "ur":
		return l
	}
	return ""
}
