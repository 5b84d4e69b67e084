package registry

import (
	"net/netip"
	"time"
)

// Role is what a user may do. Applicants own an Account; operator staff are
// bound to one Operator; the rest are regulator staff.
type Role string

const (
	RoleApplicant  Role = "applicant"
	RoleOperator   Role = "operator"
	RoleReviewer   Role = "reviewer"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// Roles lists every role, for validation and help texts.
var Roles = []Role{RoleApplicant, RoleOperator, RoleReviewer, RoleSupervisor, RoleAdmin}

// Staff reports whether r is regulator staff (reads of personal data by
// staff are audited).
func (r Role) Staff() bool {
	return r == RoleReviewer || r == RoleSupervisor || r == RoleAdmin || r == RoleOperator
}

// Reviews reports whether r may work the review queue. Supervisors review
// too; admins manage the system and do not decide applications.
func (r Role) Reviews() bool { return r == RoleReviewer || r == RoleSupervisor }

// User is someone who logs in.
type User struct {
	ID           string
	Email        string
	Role         Role
	AccountID    string // applicants only
	OperatorID   string // operator staff only
	PasswordHash string
	Disabled     bool
	CreatedAt    time.Time

	TOTPSecret    string    // base32; counts only once TOTPEnabledAt is set
	TOTPEnabledAt time.Time // when the user proved their authenticator has the secret
	TOTPLastStep  int64     // last time step accepted: no code is accepted twice

	// Lang is the language the user reads messages in: "en" or "ur".
	Lang string
	// EmailVerifiedAt is when the user opened the verification link mailed
	// to Email; zero while unverified.
	EmailVerifiedAt time.Time
	// MadeInDemo is set on users made while the server ran under --demo
	// (sign-ups, staff an admin added there), so that --demo may start
	// again on a database holding them (Service.NonDemoUsers).
	MadeInDemo bool
	// Imported is set by Tx.ImportDirectory only: the user was made by an
	// import of the existing allowlist (it has an invitation, or its
	// account holds imported registrations), so the regulator's file
	// vouched for its e-mail.
	Imported bool

	// EnrolmentOnly is set by Authenticate for a login that may only set up
	// TOTP: staff whose role requires it and who have none yet.
	EnrolmentOnly bool
	// FeedOnly is set by Authenticate for a token of ScopeFeed.
	FeedOnly bool
	// SessionRenewedUntil is set by Authenticate when it moved a login
	// session's expiry on (see SessionCap): the new expiry, for the cookie
	// that carries the session to follow. Zero when nothing moved.
	SessionRenewedUntil time.Time
}

// TOTPEnabled reports whether logins need a TOTP code.
func (u *User) TOTPEnabled() bool { return !u.TOTPEnabledAt.IsZero() }

// NeedsTOTP reports whether r must use TOTP: the regulator's staff, who
// decide applications, sign revocations and change settings.
func (r Role) NeedsTOTP() bool { return r == RoleReviewer || r == RoleSupervisor || r == RoleAdmin }

// AccountKind says whether an applicant is a company or an individual.
type AccountKind string

const (
	KindCompany    AccountKind = "company"
	KindIndividual AccountKind = "individual"
)

// Account is an applicant: the holder of applications and registrations.
type Account struct {
	ID         string
	Kind       AccountKind
	Name       string
	CNIC       string // 12345-1234567-1, of the individual or the company's authorised person
	Mobile     string // 92XXXXXXXXXX
	NTN        string
	SECPNumber string
	PSEBNumber string
	CreatedAt  time.Time
}

// OperatorKind distinguishes fixed-line ISPs from mobile networks.
type OperatorKind string

const (
	OperatorFixed  OperatorKind = "fixed"
	OperatorMobile OperatorKind = "mobile"
)

// Operator is an ISP or mobile network whose subscribers apply.
type Operator struct {
	ID          string // short slug, e.g. "ptcl"
	Name        string
	Kind        OperatorKind
	PrefixCount int // number of loaded address-space prefixes
	CreatedAt   time.Time
}

// Category is what an application registers for; README's "Documents"
// has who applies in each and what each needs.
type Category string

const (
	CategoryCompany    Category = "company_vpn"
	CategoryFreelancer Category = "freelancer_vpn"
	CategoryCallCenter Category = "call_center"
	CategoryVideoConf  Category = "video_conferencing"
	CategoryMobile     Category = "mobile_vpn"
)

// Categories lists every category.
var Categories = []Category{CategoryCompany, CategoryFreelancer, CategoryCallCenter, CategoryVideoConf, CategoryMobile}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	for _, k := range Categories {
		if c == k {
			return true
		}
	}
	return false
}

// UsesMobileNumbers reports whether c registers mobile numbers instead of addresses.
func (c Category) UsesMobileNumbers() bool { return c == CategoryMobile }

// AccountKinds returns who may apply in c.
func (c Category) AccountKinds() []AccountKind {
	switch c {
	case CategoryFreelancer, CategoryMobile:
		return []AccountKind{KindIndividual}
	case CategoryCompany, CategoryCallCenter, CategoryVideoConf:
		return []AccountKind{KindCompany}
	}
	return nil
}

// Protocols are the VPN protocols an application may name.
var Protocols = []string{"ipsec", "ikev2", "openvpn", "wireguard", "l2tp", "sstp", "ssl_vpn", "other"}

// VPN describes the tunnel the applicant uses.
type VPN struct {
	Protocol  string
	Endpoints []string // remote gateways: addresses or host names
}

// State is where an application stands.
type State string

const (
	StateDraft         State = "draft"
	StateOperatorCheck State = "operator_check"
	StateReview        State = "review"
	StateReturned      State = "returned"
	StateApproved      State = "approved"
	StateRejected      State = "rejected"
	StateWithdrawn     State = "withdrawn"
)

// States lists every application state.
var States = []State{StateDraft, StateOperatorCheck, StateReview, StateReturned, StateApproved, StateRejected, StateWithdrawn}

// Pending reports whether applications in s count as requested addresses.
func (s State) Pending() bool {
	return s == StateOperatorCheck || s == StateReview || s == StateReturned
}

// Flag codes a reviewer sees. Flags inform; they never reject by themselves.
const (
	FlagOperatorDisputed     = "operator_disputed"
	FlagOperatorUnanswered   = "operator_unanswered"
	FlagOutsideCountry       = "outside_country"
	FlagOutsideOperatorSpace = "outside_operator_space"
	FlagOverlap              = "overlap"
	FlagDuplicateOwn         = "duplicate_own"
	FlagManyAddresses        = "many_addresses"
)

// FlagCodes lists every flag code.
var FlagCodes = []string{FlagOperatorDisputed, FlagOperatorUnanswered, FlagOutsideCountry, FlagOutsideOperatorSpace, FlagOverlap, FlagDuplicateOwn, FlagManyAddresses}

// Flag is one thing a reviewer should look at, with the item it concerns.
// The JSON tags are the stored form (applications.flags); what a viewer is
// shown comes from Application.ForViewer.
type Flag struct {
	Code   string `json:"code"`
	Item   string `json:"item,omitempty"`
	Detail string `json:"detail"` // the full text, for regulator staff
	// With is the other application an overlap or duplicate_own flag is
	// about, kept so that ForViewer can tell each viewer only what it may
	// know. Nil on other flags, and on overlap flags stored before ipreg
	// kept it (those are shown to non-staff without any detail).
	With *FlagSubject `json:"with,omitempty"`
}

// FlagSubject is the other application's item behind an overlap flag.
type FlagSubject struct {
	Item          string `json:"item"` // its address, prefix or number
	AccountID     string `json:"account_id"`
	OperatorID    string `json:"operator_id"`
	ApplicationID string `json:"application_id"`
	State         State  `json:"state"`
	Registration  string `json:"registration,omitempty"` // when held by an active registration
}

// Fee is what an application costs, shown before submission.
type Fee struct {
	Due       bool
	AmountPKR int64
	Reason    string
}

// AppKind says what an application does: register anew, or renew or
// amend an existing registration (ForRegistration).
type AppKind string

const (
	KindNew       AppKind = "new"
	KindRenewal   AppKind = "renewal"
	KindAmendment AppKind = "amendment"
)

// AppKinds lists every application kind.
var AppKinds = []AppKind{KindNew, KindRenewal, KindAmendment}

// Application is a request to register addresses or mobile numbers, or
// to renew or amend a registration.
type Application struct {
	ID              string
	AccountID       string
	Kind            AppKind // "" reads as KindNew
	ForRegistration string  // the registration a renewal or amendment changes
	// GivenUp lists what the holder gave up with an amendment: it left the
	// registration and the allowlist when asked, before any review.
	GivenUp          []string
	Category         Category
	OperatorID       string
	SubscriberID     string
	Addresses        []netip.Prefix
	MobileNumbers    []string
	VPN              VPN
	Purpose          string
	PaymentReference string
	State            State
	Flags            []Flag
	Fee              Fee
	ReturnNote       string // what to fix, when returned
	ReasonCode       string // with a rejection
	DecisionNote     string
	Registration     string // number, once approved
	CreatedAt        time.Time
	UpdatedAt        time.Time
	SubmittedAt      time.Time // first submission; zero for a draft never submitted
	SLADueAt         time.Time
	DecidedAt        time.Time
	// AppealDeadline is the last moment the present rejection may be
	// appealed, fixed when it was taken (Settings.AppealDays then); zero
	// when not rejected, or rejected before it was stored (see appealBy).
	AppealDeadline time.Time
	CheckedItems   string // the operator/subscriber/items last confirmed by an operator, see itemsKey

	// Filled on reads for views that need them.
	HolderName string
	Diff       *ChangeDiff // a pending renewal's or amendment's change to its registration
	Overdue    bool        // past its SLA due time; filled by the review queue
	Events     []Event
	Documents  []*Document // nil unless the reader may see them (owner, regulator staff)
	Account    *Account    // the applicant, for the owner and regulator staff
	// Appeals against its rejections, oldest first, for the owner and
	// regulator staff; AppealBy is the last moment the present rejection
	// can be appealed, zero when it cannot (not rejected, or appealed).
	Appeals  []*Appeal
	AppealBy time.Time
	// flagsFresh: the flags were computed against today's holdings in
	// this transaction (a submission), so the view need not compute them
	// again (fillView).
	flagsFresh bool
	// known holds what the write that just changed the application read
	// or wrote in its transaction and its view shows: fillView takes it
	// instead of reading it again (viewKnown).
	known *viewKnown
	// spaceAt, when not nil, is its operator as read in the view's first
	// query (Tx.ApplicationView): the flags' check of the operator's
	// address space takes its version from it instead of reading it again.
	spaceAt *operatorAt
}

// Event is one entry of an application's timeline.
type Event struct {
	ApplicationID string
	At            time.Time
	ActorID       string
	ActorRole     Role
	Type          string
	Note          string
}

// CheckState is where an operator check stands.
type CheckState string

const (
	CheckPending   CheckState = "pending"
	CheckConfirmed CheckState = "confirmed"
	CheckDisputed  CheckState = "disputed"
	CheckExpired   CheckState = "expired" // unanswered by its deadline
	CheckCancelled CheckState = "cancelled"
)

// Check asks an operator to confirm that a subscriber holds the items.
type Check struct {
	ID            string
	ApplicationID string
	OperatorID    string
	State         CheckState
	DueAt         time.Time
	CreatedAt     time.Time
	AnsweredAt    time.Time
	AnsweredBy    string
	Note          string

	// What the operator was asked to confirm: the application's category,
	// subscriber, holder and items when the check was opened. A snapshot,
	// not the application's present data: the application may since have
	// been edited and moved to another operator, whose data this operator
	// must not see.
	Category      Category
	SubscriberID  string
	HolderName    string
	Addresses     []netip.Prefix
	MobileNumbers []string

	// Change is what a pending check's renewal or amendment changes of
	// its registration (nil for a new application, and on answered
	// checks): filled by ListChecks, not stored.
	Change *CheckChange
}

// CheckChange is the renewal or amendment an operator's check is for.
type CheckChange struct {
	Kind            AppKind
	ForRegistration string
	Diff            *ChangeDiff
}

// RegStatus is where a registration stands.
type RegStatus string

const (
	RegActive      RegStatus = "active"
	RegExpired     RegStatus = "expired"
	RegRevoked     RegStatus = "revoked"
	RegSurrendered RegStatus = "surrendered"
)

// Registration is what an approval creates.
type Registration struct {
	Number           string // VPN-2026-000123
	ApplicationID    string
	AccountID        string
	Category         Category
	OperatorID       string
	Addresses        []netip.Prefix
	MobileNumbers    []string
	Status           RegStatus
	ValidFrom        time.Time
	ValidUntil       time.Time
	VerificationCode string
	HolderName       string
	CreatedAt        time.Time
	// IssuedAt is when the present certificate was issued: the approval,
	// then each renewal or amendment. A certificate issued earlier is
	// superseded.
	IssuedAt  time.Time
	EndedAt   time.Time
	EndReason string
}

// RevocationState is where a revocation stands.
type RevocationState string

const (
	RevocationPending   RevocationState = "pending"
	RevocationConfirmed RevocationState = "confirmed"
	RevocationCancelled RevocationState = "cancelled"
)

// Revocation is a proposal to revoke a registration; it takes effect only
// when a different supervisor confirms it (maker-checker).
type Revocation struct {
	ID                 string
	RegistrationNumber string
	Reason             string
	State              RevocationState
	ProposedBy         string
	ProposedAt         time.Time
	DecidedBy          string
	DecidedAt          time.Time
}

// TokenKind separates login sessions from long-lived API tokens.
type TokenKind string

const (
	TokenSession TokenKind = "session"
	TokenAPI     TokenKind = "api"
)

// Token is a bearer credential. Only its SHA-256 hash is stored.
type Token struct {
	ID        string
	UserID    string
	Kind      TokenKind
	Name      string
	Hash      string
	CreatedAt time.Time
	ExpiresAt time.Time
	Scope     string // "" for full access, ScopeTOTPEnrolment or ScopeFeed
}

// ScopeTOTPEnrolment marks a login token that may only set up TOTP.
const ScopeTOTPEnrolment = "totp_enrolment"

// ScopeFeed marks an operator's API token that may only read that
// operator's feed (/feed/v1/operators/{id}/…) and its own profile (GET
// /api/v1/me, which ipreg-agent asks to confirm its feed): the credential
// an agent holds, often on a host beyond the registry's staff, cannot
// read or change anything else if it leaks.
const ScopeFeed = "feed"

// Stats are the public figures.
type Stats struct {
	ApplicationsByState     map[State]int
	ActiveByCategory        map[Category]int
	RegistrationsByStatus   map[RegStatus]int
	MedianDecisionHours     float64
	DecisionsLast30Days     int
	ApprovedShareLast30Days float64
	ActiveAddresses         int
	ActiveMobileNumbers     int
	// DecidedWithinSLALast30Days is the share of the last 30 days'
	// decisions taken by their SLA due time (working hours, weekends and
	// public holidays skipped, as computed at submission).
	DecidedWithinSLALast30Days float64
	// Appeals by state, all time: received is their sum.
	AppealsByState map[AppealState]int
	// ApplicationsByKind counts applications (any state) by kind: new,
	// renewal, amendment.
	ApplicationsByKind map[AppKind]int
	// ApprovedByKindLast30Days counts approvals of the last 30 days by kind.
	ApprovedByKindLast30Days map[AppKind]int
}

// Access is one staff read of an application or one of its documents, as
// the audit log recorded it: what the applicant sees under "who viewed my
// data".
type Access struct {
	At           time.Time
	ActorID      string
	ActorRole    Role
	Action       string // application.viewed, document.viewed or appeal.viewed (a read of the application's appeal)
	DocumentKind DocumentKind
}

// PasswordReset is a one-time link to set a new password. Only the hash of
// its token is stored.
type PasswordReset struct {
	ID        string
	UserID    string
	Hash      string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// Invitation is a one-time link to claim an account made for someone
// else (an imported holder): set a password, and log in. One per user;
// inviting again renews it. Hash is the token's SHA-256 (auth.HashToken).
type Invitation struct {
	ID        string
	UserID    string
	Hash      string
	InvitedBy string // actor id: an admin's user id, or "cli"
	// Mailed: the link went to the user's e-mail address, so claiming it
	// proves the mailbox. False for a link an admin hands out.
	Mailed    bool
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time

	// Read with the invitation for the admins' list.
	Email       string // the user's address (a .invalid placeholder when none is known: see HasMailbox)
	AccountID   string
	AccountName string
}

// AppealState is where an appeal stands.
type AppealState string

const (
	AppealPending    AppealState = "pending"
	AppealUpheld     AppealState = "upheld"     // the rejection stands; final
	AppealOverturned AppealState = "overturned" // approved, or returned for correction (Outcome)
)

// AppealStates lists every appeal state.
var AppealStates = []AppealState{AppealPending, AppealUpheld, AppealOverturned}

// Appeal outcomes of an overturned appeal.
const (
	OutcomeApprove = "approve"
	OutcomeReturn  = "return"
)

// Appeal asks a supervisor to look again at a rejection. There is one per
// rejection (the application and the moment it was rejected); a supervisor
// other than the one who rejected it, and other than the appellant,
// decides it.
type Appeal struct {
	ID            string
	ApplicationID string
	AccountID     string
	RejectedAt    time.Time // the decision appealed against
	RejectedBy    string    // who took it
	Statement     string
	State         AppealState
	SubmittedBy   string
	SubmittedAt   time.Time
	SLADueAt      time.Time
	DecidedBy     string
	DecidedAt     time.Time
	Outcome       string // approve or return, when overturned
	Note          string

	HolderName string // the applicant's name, filled on reads
}

// AppealFilter selects appeals. Zero fields match everything.
type AppealFilter struct {
	State         AppealState
	ApplicationID string
	AccountID     string
	OverdueBefore time.Time // pending with SLA due before this moment
	Limit         int
}

// EmailVerification is a one-time link that proves a user reads the
// e-mail address they gave. Only the hash of its token is stored.
type EmailVerification struct {
	ID        string
	UserID    string
	Email     string // the address it was sent to; a changed address needs a new link
	Hash      string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}
