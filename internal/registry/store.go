package registry

import (
	"context"
	"net/netip"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/feed"
)

// Store persists the registry. Read runs fn against the database without a
// transaction's write lock; Write runs fn in one transaction that commits
// only if fn returns nil, so a failed use case leaves nothing behind.
type Store interface {
	Read(ctx context.Context, fn func(Tx) error) error
	Write(ctx context.Context, fn func(Tx) error) error
	// Record stores audit entries in a transaction of their own: the
	// record of a read of personal data, which writes nothing else. It
	// returns once they are durable; concurrent records may share a
	// transaction, and need not wait behind other writes.
	Record(ctx context.Context, es ...*audit.Entry) error
	Ping(ctx context.Context) error
	Close() error
}

// ViewTarget is what Tx.ApplicationView reads beside the application.
type ViewTarget struct {
	Settings Settings
	// Operator is the application's operator as the registry has it:
	// Found false (and the rest zero) when the application names none
	// or one the registry does not have.
	Operator struct {
		Found           bool
		Name            string
		PrefixesVersion int64
	}
}

// AppFilter selects applications. Zero fields match everything.
type AppFilter struct {
	AccountID     string
	States        []State
	Category      Category
	OperatorID    string
	Flag          string
	OverdueBefore time.Time // SLA due before this moment
	NotOverdueAt  time.Time // no SLA due time, or due at or after this moment
	OrderBySLA    bool      // queue order: SLA due time, then first submission
	// After, with OrderBySLA, starts the list after this application's
	// place in queue order (keyset pagination: the last ID of the page
	// before). An ID no application has is an EINVALID field error
	// ("after").
	After string
	// ForRegistration selects the renewals and amendments of one registration.
	ForRegistration string
	Limit           int
}

// RegFilter selects registrations.
type RegFilter struct {
	AccountID string
	Status    RegStatus
	// ExpiresBefore, when set, keeps registrations valid until before it.
	ExpiresBefore time.Time
	Limit         int
}

// Overlap is an item of another application, of any account, that
// overlaps a requested one.
type Overlap struct {
	Item          string // the other application's address or number
	AccountID     string
	OperatorID    string
	ApplicationID string
	State         State
	Registration  string // number, when held by an active registration
}

// OverlapLimit bounds how many overlapping items Tx.Overlaps lists for one
// requested item: that many of the applicant's own account and, apart,
// that many of other accounts, so that many overlaps with others never
// hide a duplicate within the account. The rest are only counted.
const OverlapLimit = 20

// OverlapSet is what overlaps one requested item.
type OverlapSet struct {
	Listed []Overlap // the account's own first, then other accounts'; each by application ID and item position
	Own    int       // how many items of the account's own overlap, listed or not
	Others int       // how many items of other accounts overlap, listed or not
}

// Tx is what a use case may do with storage. Lookups of one object return
// an ENOTFOUND *Error when it is absent; creates return ECONFLICT on a
// duplicate key. forUpdate locks the row until the transaction ends (on
// stores that lock rows; SQLite serialises writers instead).
type Tx interface {
	// CreateAccount stores a new account; ECONFLICT when another account
	// has its IdentityKey.
	CreateAccount(ctx context.Context, a *Account) error
	Account(ctx context.Context, id string) (*Account, error)
	// AccountIdentityTaken reports whether an account has the IdentityKey key.
	AccountIdentityTaken(ctx context.Context, key string) (bool, error)

	CreateUser(ctx context.Context, u *User) error // ECONFLICT on a taken e-mail
	User(ctx context.Context, id string) (*User, error)
	UserByEmail(ctx context.Context, email string) (*User, error)
	UpdateUser(ctx context.Context, u *User) error
	ListUsers(ctx context.Context) ([]*User, error)
	// AccountUsers lists the users of an applicant account, oldest first.
	AccountUsers(ctx context.Context, accountID string) ([]*User, error)

	CreateToken(ctx context.Context, t *Token) error
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	// TokenSession is TokenByHash, the token's user (User) and Settings,
	// read in one statement: every authenticated request needs all three.
	// ENOTFOUND when no token has this hash.
	TokenSession(ctx context.Context, hash string) (*Token, *User, Settings, error)
	ListTokens(ctx context.Context, userID string) ([]*Token, error)
	DeleteToken(ctx context.Context, userID, id string) error
	DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error)
	UpdateToken(ctx context.Context, t *Token) error // scope and expiry
	DeleteUserTokens(ctx context.Context, userID string) error
	CreatePasswordReset(ctx context.Context, r *PasswordReset) error
	PasswordResetByHash(ctx context.Context, hash string) (*PasswordReset, error)
	// UsePasswordReset marks a reset used; false if it already was.
	UsePasswordReset(ctx context.Context, id string, at time.Time) (bool, error)
	// EndPasswordResets marks every unused reset of the user used at at
	// (a reset succeeded: its sibling links must stop working); it returns
	// how many it ended.
	EndPasswordResets(ctx context.Context, userID string, at time.Time) (int, error)

	// PutInvitation creates the user's invitation, or renews it (every
	// field but ID and UserID replaced, UsedAt cleared) when the user has
	// one: one invitation per user.
	PutInvitation(ctx context.Context, inv *Invitation) error
	// PutInvitations is PutInvitation for the invitations of distinct
	// users, in bulk (InviteHolders); each one's ID is the row's after.
	PutInvitations(ctx context.Context, invs []*Invitation) error
	// UsersByID returns the users of ids that exist, by id, in bulk.
	UsersByID(ctx context.Context, ids []string) (map[string]*User, error)
	// EnqueueMessages is EnqueueMessage for many, in bulk; a message
	// whose key is queued already is skipped.
	EnqueueMessages(ctx context.Context, ms []*Message) error
	// InvitationByHash and InvitationOfUser return ENOTFOUND when there is none.
	InvitationByHash(ctx context.Context, hash string) (*Invitation, error)
	InvitationOfUser(ctx context.Context, userID string) (*Invitation, error)
	// UseInvitation marks an invitation claimed; false if it already was.
	UseInvitation(ctx context.Context, id string, at time.Time) (bool, error)
	// PendingInvitations lists the unclaimed invitations, oldest first,
	// with each user's e-mail and account name.
	PendingInvitations(ctx context.Context) ([]*Invitation, error)
	// PendingInvitationsPage is PendingInvitations from offset, at most
	// limit of them, and how many there are in all (through the index
	// on used_at, created_at).
	PendingInvitationsPage(ctx context.Context, offset, limit int) ([]*Invitation, int, error)

	// ReserveAttempt counts one attempt in bucket and returns the count
	// including it and when the bucket's window ends. A window opens at
	// the first attempt after the previous one ended and lasts window. The
	// read and the increment are one atomic step: concurrent callers, in
	// this process or another replica, each get their own count.
	ReserveAttempt(ctx context.Context, bucket string, now time.Time, window time.Duration) (count int, windowEnd time.Time, err error)
	// RefundAttempt takes back one attempt reserved in the window ending
	// at windowEnd (none if that window has ended and another begun).
	RefundAttempt(ctx context.Context, bucket string, windowEnd time.Time) error
	// ClearAttempts forgets the bucket's attempts.
	ClearAttempts(ctx context.Context, bucket string) error
	// RememberLoginClient records a successful login of the user from
	// client (an opaque digest of its address), at at.
	RememberLoginClient(ctx context.Context, userID, client string, at time.Time) error
	// LoginClientSeen is when the user last logged in from client, or the
	// zero time if never (or forgotten).
	LoginClientSeen(ctx context.Context, userID, client string) (time.Time, error)
	// DeleteStaleAttempts deletes attempt windows ended by now and login
	// clients last seen before clientsBefore; it returns how many rows.
	DeleteStaleAttempts(ctx context.Context, now, clientsBefore time.Time) (int, error)
	// UseTOTPStep records step as the user's last accepted TOTP step if it
	// is later than the one recorded; false means the code was used already.
	UseTOTPStep(ctx context.Context, userID string, step int64) (bool, error)

	CreateOperator(ctx context.Context, o *Operator) error
	Operator(ctx context.Context, id string) (*Operator, error)
	ListOperators(ctx context.Context) ([]*Operator, error)
	// SetOperatorPrefixes replaces the operator's address space and adds
	// one to its OperatorPrefixesVersion; ENOTFOUND for no such operator.
	SetOperatorPrefixes(ctx context.Context, id string, ps []netip.Prefix) error
	OperatorPrefixes(ctx context.Context, id string) ([]netip.Prefix, error)
	// OperatorPrefixesVersion counts the loads of the operator's address
	// space (0 before the first): a space read at one version is current
	// while the version is. ENOTFOUND for no such operator.
	OperatorPrefixesVersion(ctx context.Context, id string) (int64, error)

	CreateApplication(ctx context.Context, a *Application) error
	Application(ctx context.Context, id string, forUpdate bool) (*Application, error)
	// UploadTarget reads, in one query, what a document upload to
	// application id is checked against before its content is read: the
	// application (as Application without a lock), how many documents it
	// holds, and the settings (as Settings). ENOTFOUND for no such
	// application.
	UploadTarget(ctx context.Context, id string) (a *Application, documents int, set Settings, err error)
	// ApplicationView reads, in one query, what a view of application id
	// starts from: the application (as Application without a lock), the
	// settings (as Settings), and its operator's name and address-space
	// version (as Operator and OperatorPrefixesVersion; Found false when
	// it names no operator the registry has). ENOTFOUND for no such
	// application.
	ApplicationView(ctx context.Context, id string) (*Application, ViewTarget, error)
	UpdateApplication(ctx context.Context, a *Application) error // replaces its items too
	ListApplications(ctx context.Context, f AppFilter) ([]*Application, error)
	AddEvent(ctx context.Context, e *Event) error
	Events(ctx context.Context, applicationID string) ([]Event, error)
	// Overlaps finds, for each of the address prefixes and then each of
	// the mobile numbers (one OverlapSet each, in that order), the items
	// of applications other than exceptApplication, of any account,
	// pending or in an active registration, that overlap the prefix or
	// equal the number. The registration that exceptApplication renews or
	// amends is left out too: its items are what the application changes,
	// not a clash. For each item it lists at most OverlapLimit items of
	// account's own and OverlapLimit of other accounts', and counts them
	// all. One call searches a whole application, whatever its size.
	Overlaps(ctx context.Context, exceptApplication, account string, prefixes []netip.Prefix, mobiles []string) ([]OverlapSet, error)
	// HeldItems counts the account's items in active registrations and
	// pending applications, leaving out one application and, when that
	// application is a renewal, the registration it renews (whose items
	// the renewal replaces).
	HeldItems(ctx context.Context, accountID, exceptApplication string) (int, error)

	// CreateCheck stores c with its snapshot (category, subscriber,
	// holder, items); checks are read back from that snapshot alone.
	CreateCheck(ctx context.Context, c *Check) error
	Check(ctx context.Context, id string, forUpdate bool) (*Check, error)
	UpdateCheck(ctx context.Context, c *Check) error
	ListChecks(ctx context.Context, operatorID string, state CheckState) ([]*Check, error)
	DueChecks(ctx context.Context, now time.Time) ([]*Check, error)
	ApplicationChecks(ctx context.Context, applicationID string) ([]*Check, error) // oldest first

	NextSerial(ctx context.Context, name string) (int64, error)
	// NextSerialNow is NextSerial without holding the serial until the
	// transaction commits, where the store can (PostgreSQL): unique and
	// increasing, but a rolled-back transaction's value is not reused.
	// Registration numbers use it, so that approvals do not pass one at a
	// time through their serial's row lock (issue 14).
	NextSerialNow(ctx context.Context, name string) (int64, error)
	CreateRegistration(ctx context.Context, r *Registration) error
	Registration(ctx context.Context, number string, forUpdate bool) (*Registration, error)
	UpdateRegistration(ctx context.Context, r *Registration) error // replaces its items too
	ListRegistrations(ctx context.Context, f RegFilter) ([]*Registration, error)
	DueExpiries(ctx context.Context, now time.Time) ([]*Registration, error)

	CreateRevocation(ctx context.Context, r *Revocation) error
	Revocation(ctx context.Context, id string, forUpdate bool) (*Revocation, error)
	UpdateRevocation(ctx context.Context, r *Revocation) error
	ListRevocations(ctx context.Context, state RevocationState) ([]*Revocation, error)

	CreateDocument(ctx context.Context, d *Document) error
	// AddDocument is CreateDocument unless d's application already holds
	// most documents or more: then it adds nothing and reports false. One
	// statement, in place of listing the documents first.
	AddDocument(ctx context.Context, d *Document, most int) (added bool, err error)
	Document(ctx context.Context, id string) (*Document, error)
	ListDocuments(ctx context.Context, applicationID string) ([]*Document, error) // in upload order
	DeleteDocument(ctx context.Context, id string) error
	// DocumentIDs lists every document record's id, purged ones included,
	// for the sweep of files no record names.
	DocumentIDs(ctx context.Context) ([]string, error)
	// DuePurges lists unpurged documents of applications decided or
	// withdrawn before the cutoff, at most limit.
	DuePurges(ctx context.Context, before time.Time, limit int) ([]*Document, error)
	// MarkDocumentPurged marks a document purged; false if it already was.
	MarkDocumentPurged(ctx context.Context, id string, at time.Time) (bool, error)

	// Accesses lists staff reads of an application and its documents from
	// the audit log, oldest first.
	Accesses(ctx context.Context, applicationID string) ([]Access, error)

	Settings(ctx context.Context) (Settings, error) // DefaultSettings when none were saved
	PutSettings(ctx context.Context, s Settings) error

	// AppendAudit seals e after the current head and stores it; concurrent
	// writers are serialised on the head so the chain never forks.
	AppendAudit(ctx context.Context, e *audit.Entry) error
	AuditHead(ctx context.Context) (seq int64, hash string, err error)
	AuditEntries(ctx context.Context, afterSeq int64, limit int) ([]audit.Entry, error)

	// AuditEntriesAbout lists the audit entries whose object is one of
	// objects, oldest first, each once.
	AuditEntriesAbout(ctx context.Context, objects []AuditObject) ([]audit.Entry, error)

	// EraseAccount erases the personal data of an account and its users
	// (see Service.DeleteAccount): the account's fields, the users' e-mail
	// addresses (replaced by ErasedEmail's tombstone), passwords and TOTP
	// (the users are disabled), their tokens, reset links and remembered
	// login clients, and the applications' and operator checks' subscriber
	// id, purpose, payment reference, VPN endpoints and holder name. Ids,
	// states, items and dates stay; the audit log is never touched.
	// FixAppealDeadlines writes the appeal deadline (decided_at plus days)
	// of rejected applications that have none, and returns how many.
	FixAppealDeadlines(ctx context.Context, days int) (int, error)
	EraseAccount(ctx context.Context, accountID string, at time.Time) error

	Stats(ctx context.Context, now time.Time) (*Stats, error)

	// Public statistics' rollup (stats_monthly.go). StatsFacts reads what
	// happened in [from, to) and the registrations active at monthEnd.
	StatsFacts(ctx context.Context, from, to, monthEnd time.Time) (*StatsFacts, error)
	// StatsMonths returns the built rollup rows of months from to to
	// (YYYY-MM, inclusive), in order; months never built are missing.
	StatsMonths(ctx context.Context, from, to string) ([]*MonthFigures, error)
	// PutStatsMonth stores (or replaces) a month's rollup row.
	PutStatsMonth(ctx context.Context, m *MonthFigures) error
	// MarkStatsDirty records months (YYYY-MM) whose rollup rows must be
	// rebuilt because their history changed; a month marked already stays
	// marked once.
	MarkStatsDirty(ctx context.Context, months []string, at time.Time) error
	// DirtyStatsMonths returns the marked months from to to (inclusive,
	// "" for no bound), in order.
	DirtyStatsMonths(ctx context.Context, from, to string) ([]string, error)
	// TakeStatsDirty removes month's mark. A rebuild takes it before it
	// reads the month's facts, so a change committed after the facts were
	// read leaves its own mark for the next rebuild.
	TakeStatsDirty(ctx context.Context, month string) error
	// FirstSubmission returns the earliest submission time (zero if none).
	FirstSubmission(ctx context.Context) (time.Time, error)

	// CreateAppeal stores a new appeal; ECONFLICT when the rejection was
	// appealed already.
	CreateAppeal(ctx context.Context, a *Appeal) error
	Appeal(ctx context.Context, id string, forUpdate bool) (*Appeal, error)
	UpdateAppeal(ctx context.Context, a *Appeal) error // state, decision, outcome, note
	// ListAppeals lists appeals by SLA due time, then submission.
	ListAppeals(ctx context.Context, f AppealFilter) ([]*Appeal, error)
	// MarkEscalated records that subject (an application or appeal id),
	// due at due, was escalated at at; false if it already was.
	MarkEscalated(ctx context.Context, subject string, due, at time.Time) (bool, error)
	// Escalated reports when subject, due at due, was escalated (zero if not).
	Escalated(ctx context.Context, subject string, due time.Time) (time.Time, error)
	// EnsureJob adds a background job's row, first due at firstRun, or,
	// if it exists, brings its next run forward to latest when it is later
	// (the schedule was shortened since the row was written).
	EnsureJob(ctx context.Context, name string, firstRun, latest time.Time) error
	// ClaimJob leases the job to runner until leaseUntil if it is due at
	// now and no other runner holds an unexpired lease; it returns the
	// job's state as claimed, or nil when it did not claim it. Concurrent
	// claimers, in this process or another replica, get it at most once.
	ClaimJob(ctx context.Context, name, runner string, now, leaseUntil time.Time) (*JobState, error)
	// FinishJob records runner's run of the job, frees the lease and sets
	// the next run (at once instead, if a run was requested meanwhile);
	// false if runner no longer held the lease (it expired and another
	// runner took the job over), in which case nothing is written.
	// The run is kept in job_runs too, for JobRunsKept.
	FinishJob(ctx context.Context, name, runner string, r JobRun) (bool, error)
	// JobRuns lists the job's recorded runs (those kept), oldest first.
	JobRuns(ctx context.Context, name string) ([]JobRunRecord, error)
	// RenewJobLease extends runner's lease on the job to until, if runner
	// still holds it and it has not run out at now; false otherwise (the
	// lease was lost: another runner may have taken the job over).
	RenewJobLease(ctx context.Context, name, runner string, now, until time.Time) (bool, error)
	// RequestJobRun makes the job due no later than at, noting who asked;
	// ENOTFOUND for a job without a row.
	RequestJobRun(ctx context.Context, name, by string, at time.Time) error
	// JobStates lists every job's row, by name.
	JobStates(ctx context.Context) ([]*JobState, error)
	CreateEmailVerification(ctx context.Context, v *EmailVerification) error
	EmailVerificationByHash(ctx context.Context, hash string) (*EmailVerification, error)
	// UseEmailVerification marks a link used; false if it already was.
	UseEmailVerification(ctx context.Context, id string, at time.Time) (bool, error)

	// EnqueueMessage adds m to the outbox unless a message with its Key
	// is there already; it reports whether it added it.
	EnqueueMessage(ctx context.Context, m *Message) (bool, error)
	// DueMessages lists the IDs of pending messages on one of channels
	// whose next attempt is due at now and whose lease (if any) has run
	// out, oldest due first; none for no channels.
	DueMessages(ctx context.Context, channels []Channel, now time.Time, limit int) ([]string, error)
	// ClaimMessage leases a due message on one of channels to owner until
	// leaseUntil, counting an attempt, and returns it; nil when it is no
	// longer due, is on another channel, or another worker holds it (one
	// winner across replicas).
	ClaimMessage(ctx context.Context, id, owner string, channels []Channel, now, leaseUntil time.Time) (*Message, error)
	// MarkMessageSent records that owner sent the message it holds; false
	// when owner no longer holds it.
	MarkMessageSent(ctx context.Context, id, owner string, at time.Time) (bool, error)
	// MarkMessageFailed records a failed attempt by owner: pending again at
	// next, or failed for good when giveUp; false when owner no longer
	// holds it.
	MarkMessageFailed(ctx context.Context, id, owner, lastError string, next time.Time, giveUp bool) (bool, error)
	// ResendMessage puts a failed message back to pending, due at now,
	// with giving up counted from now; ECONFLICT for any other state (a
	// sent message's one-time link is gone).
	ResendMessage(ctx context.Context, id string, now time.Time) (*Message, error)
	Message(ctx context.Context, id string) (*Message, error)
	// ListMessages lists messages in state ("" for all), newest first, at
	// most limit.
	ListMessages(ctx context.Context, state MessageState, limit int) ([]*Message, error)
	CountMessages(ctx context.Context) ([]MessageCount, error)
	// DeleteSentMessages deletes at most limit messages sent before
	// before; it returns how many.
	DeleteSentMessages(ctx context.Context, before time.Time, limit int) (int, error)

	// CreateProvider stores a new licensed VPN service provider; ECONFLICT
	// when another provider has its licence number.
	CreateProvider(ctx context.Context, p *Provider) error
	// Provider returns one provider; ENOTFOUND when no provider has id.
	Provider(ctx context.Context, id string, forUpdate bool) (*Provider, error)
	// UpdateProvider replaces a provider's fields (not its id or creation
	// time); ENOTFOUND for an unknown id, ECONFLICT when another provider
	// has the licence number.
	UpdateProvider(ctx context.Context, p *Provider) error
	// ListProviders lists every provider by name, then licence number.
	ListProviders(ctx context.Context) ([]*Provider, error)

	// AddFeedChange appends to the allowlist feed's outbox: target is ""
	// for address prefixes, or the operator id for its mobile numbers.
	AddFeedChange(ctx context.Context, target, op string, e feed.Entry, at time.Time) error

	// Public notices (notices.go). CreateNotice stores a new notice;
	// Notice returns one (ENOTFOUND when absent); UpdateNotice replaces
	// its texts, dates, revision and withdrawal (ENOTFOUND when absent);
	// ListNotices lists those f selects, newest publication first.
	// AddNoticeRevision keeps one version (ECONFLICT when the notice has
	// that revision already); NoticeRevisions lists those of the notices
	// named, by notice id, each notice's oldest first (one query for a
	// page of notices).
	CreateNotice(ctx context.Context, n *Notice) error
	Notice(ctx context.Context, id string, forUpdate bool) (*Notice, error)
	UpdateNotice(ctx context.Context, n *Notice) error
	ListNotices(ctx context.Context, f NoticeFilter) ([]*Notice, error)
	AddNoticeRevision(ctx context.Context, r *NoticeRevision) error
	NoticeRevisions(ctx context.Context, noticeIDs ...string) ([]NoticeRevision, error)
	// Importing the existing allowlist (ImportRegistrations): lookups of
	// the whole registry in one statement each, and bulk inserts, so that
	// tens of thousands of rows need no round trip per row.

	// ImportDirectory lists every user (by e-mail, in its stored
	// normalised form) and every account (by id; kind, name, CNIC, NTN
	// and mobile), for matching an import's holders.
	ImportDirectory(ctx context.Context) (users map[string]*User, accounts map[string]*Account, err error)
	// ImportedRegistrations maps each import key an earlier import stored
	// to its registration (number, account, category, operator, status,
	// dates, holder name, items) and present subscriber ID.
	ImportedRegistrations(ctx context.Context) (map[string]*ImportedRegistration, error)
	// LiveItems lists every item of an active registration or a pending
	// application, with its range keys (netpolicy.RangeKey, or the number
	// twice for a mobile number).
	LiveItems(ctx context.Context) ([]LiveItem, error)
	// ReserveSerials advances the serial name by n and returns the first
	// of the n values reserved (NextSerial n times, in one statement).
	ReserveSerials(ctx context.Context, name string, n int) (int64, error)
	// InsertImport stores b in bulk statements: its new accounts and
	// users, the approved applications, their registrations with their
	// import keys, the applications' events and the feed changes.
	InsertImport(ctx context.Context, b *ImportBatch) error
}
