package api

import (
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// The JSON shapes of the API. Times are RFC 3339 in UTC; a time that has
// not happened yet (submitted_at of a draft) is left out.

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

type userView struct {
	ID         string        `json:"id"`
	Email      string        `json:"email"`
	Role       registry.Role `json:"role"`
	OperatorID string        `json:"operator_id,omitempty"`
	TOTP       bool          `json:"totp_enabled"`
	Lang       string        `json:"lang"`
	Verified   bool          `json:"email_verified"`
}

type accountView struct {
	ID         string               `json:"id"`
	Kind       registry.AccountKind `json:"kind"`
	Name       string               `json:"name"`
	CNIC       string               `json:"cnic"`
	Mobile     string               `json:"mobile"`
	NTN        string               `json:"ntn,omitempty"`
	SECPNumber string               `json:"secp_number,omitempty"`
	PSEBNumber string               `json:"pseb_number,omitempty"`
}

func viewUser(u *registry.User) userView {
	return userView{ID: u.ID, Email: u.Email, Role: u.Role, OperatorID: u.OperatorID, TOTP: u.TOTPEnabled(), Lang: u.Lang,
		Verified: !u.EmailVerifiedAt.IsZero()}
}

func viewAccount(a *registry.Account) *accountView {
	if a == nil {
		return nil
	}
	return &accountView{ID: a.ID, Kind: a.Kind, Name: a.Name, CNIC: a.CNIC, Mobile: a.Mobile, NTN: a.NTN,
		SECPNumber: a.SECPNumber, PSEBNumber: a.PSEBNumber}
}

type operatorView struct {
	ID          string                `json:"id"`
	Name        string                `json:"name"`
	Kind        registry.OperatorKind `json:"kind"`
	PrefixCount int                   `json:"prefix_count"`
}

func viewOperator(o *registry.Operator) *operatorView {
	if o == nil {
		return nil
	}
	return &operatorView{ID: o.ID, Name: o.Name, Kind: o.Kind, PrefixCount: o.PrefixCount}
}

type vpnView struct {
	Protocol  string   `json:"protocol"`
	Endpoints []string `json:"endpoints"`
}

type feeView struct {
	Due       bool   `json:"due"`
	AmountPKR int64  `json:"amount_pkr"`
	Reason    string `json:"reason"`
}

type eventView struct {
	At        time.Time     `json:"at"`
	ActorRole registry.Role `json:"actor_role,omitempty"`
	Type      string        `json:"type"`
	Note      string        `json:"note,omitempty"`
}

type applicationView struct {
	ID               string            `json:"id"`
	Kind             registry.AppKind  `json:"kind"`
	ForRegistration  string            `json:"for_registration,omitempty"`
	GivenUp          []string          `json:"given_up,omitempty"`
	Change           *changeView       `json:"change,omitempty"`
	Category         registry.Category `json:"category"`
	State            registry.State    `json:"state"`
	HolderName       string            `json:"holder_name"`
	OperatorID       string            `json:"operator_id"`
	SubscriberID     string            `json:"subscriber_id"`
	Addresses        []string          `json:"addresses"`
	MobileNumbers    []string          `json:"mobile_numbers"`
	VPN              vpnView           `json:"vpn"`
	Purpose          string            `json:"purpose"`
	PaymentReference string            `json:"payment_reference"`
	Fee              feeView           `json:"fee"`
	Flags            []flagView        `json:"flags"`
	ReturnNote       string            `json:"return_note,omitempty"`
	ReasonCode       string            `json:"reason_code,omitempty"`
	DecisionNote     string            `json:"decision_note,omitempty"`
	Registration     string            `json:"registration,omitempty"`
	CreatedAt        time.Time         `json:"created_at"`
	UpdatedAt        time.Time         `json:"updated_at"`
	SubmittedAt      *time.Time        `json:"submitted_at,omitempty"`
	SLADueAt         *time.Time        `json:"sla_due_at,omitempty"`
	DecidedAt        *time.Time        `json:"decided_at,omitempty"`
	Timeline         []eventView       `json:"timeline,omitempty"`
	// For the owner and regulator staff: the documents and what is still
	// missing before submission.
	Documents        []documentView    `json:"documents,omitempty"`
	MissingDocuments []requirementView `json:"missing_documents,omitempty"`
	// For the owner and regulator staff: appeals against its rejections,
	// and until when the present rejection can be appealed.
	Appeals  []appealView `json:"appeals,omitempty"`
	AppealBy *time.Time   `json:"appeal_by,omitempty"`
	// In the review queue only: whether it is past its SLA due time.
	Overdue *bool `json:"overdue,omitempty"`
}

// viewApplicationSummary is an application in a list (ApplicationSummary
// in openapi.json): its own fields, without what the whole view adds from
// other records (timeline, documents, missing documents, appeals), which a
// list does not load, so that a list of thousands stays one query.
func viewApplicationSummary(a *registry.Application) applicationView {
	v := viewApplication(a)
	v.Timeline, v.Documents, v.MissingDocuments, v.Appeals, v.AppealBy = nil, nil, nil, nil, nil
	return v
}

func viewApplication(a *registry.Application) applicationView {
	v := applicationView{
		ID: a.ID, Category: a.Category, State: a.State, HolderName: a.HolderName, OperatorID: a.OperatorID,
		SubscriberID: a.SubscriberID, Addresses: []string{}, MobileNumbers: orEmpty(a.MobileNumbers),
		VPN:     vpnView{Protocol: a.VPN.Protocol, Endpoints: orEmpty(a.VPN.Endpoints)},
		Purpose: a.Purpose, PaymentReference: a.PaymentReference,
		Fee:   feeView{Due: a.Fee.Due, AmountPKR: a.Fee.AmountPKR, Reason: a.Fee.Reason},
		Flags: list(a.Flags, viewFlag), ReturnNote: a.ReturnNote, ReasonCode: a.ReasonCode, DecisionNote: a.DecisionNote,
		Registration: a.Registration, CreatedAt: a.CreatedAt.UTC(), UpdatedAt: a.UpdatedAt.UTC(),
		SubmittedAt: optTime(a.SubmittedAt), SLADueAt: optTime(a.SLADueAt), DecidedAt: optTime(a.DecidedAt),
		Kind: a.Kind, ForRegistration: a.ForRegistration, GivenUp: a.GivenUp, Change: viewChange(a.Diff),
	}
	if v.Kind == "" {
		v.Kind = registry.KindNew
	}
	for _, p := range a.Addresses {
		v.Addresses = append(v.Addresses, p.String())
	}
	for _, e := range a.Events {
		v.Timeline = append(v.Timeline, eventView{At: e.At.UTC(), ActorRole: e.ActorRole, Type: e.Type, Note: e.Note})
	}
	if a.Documents != nil {
		v.Documents = list(a.Documents, viewDocument)
		v.MissingDocuments = list(a.MissingDocuments(), viewRequirement)
	}
	if len(a.Appeals) > 0 {
		v.Appeals = list(a.Appeals, viewAppeal)
	}
	v.AppealBy = optTime(a.AppealBy)
	return v
}

type appealView struct {
	ID            string               `json:"id"`
	ApplicationID string               `json:"application_id"`
	HolderName    string               `json:"holder_name"`
	State         registry.AppealState `json:"state"`
	Statement     string               `json:"statement"`
	RejectedAt    time.Time            `json:"rejected_at"`
	SubmittedAt   time.Time            `json:"submitted_at"`
	SLADueAt      time.Time            `json:"sla_due_at"`
	DecidedAt     *time.Time           `json:"decided_at,omitempty"`
	Outcome       string               `json:"outcome,omitempty"`
	Note          string               `json:"note,omitempty"`
}

func viewAppeal(a *registry.Appeal) appealView {
	return appealView{ID: a.ID, ApplicationID: a.ApplicationID, HolderName: a.HolderName, State: a.State, Statement: a.Statement, RejectedAt: a.RejectedAt.UTC(),
		SubmittedAt: a.SubmittedAt.UTC(), SLADueAt: a.SLADueAt.UTC(), DecidedAt: optTime(a.DecidedAt), Outcome: a.Outcome, Note: a.Note}
}

// changeView is what a pending renewal or amendment changes in its
// registration.
type changeView struct {
	Added            []string  `json:"added"`
	Removed          []string  `json:"removed"`
	Unchanged        []string  `json:"unchanged"`
	ValidUntilBefore time.Time `json:"valid_until_before"`
	ValidUntilAfter  time.Time `json:"valid_until_after"`
	SubscriberBefore string    `json:"subscriber_before,omitempty"`
	SubscriberAfter  string    `json:"subscriber_after,omitempty"`
}

func viewChange(d *registry.ChangeDiff) *changeView {
	if d == nil {
		return nil
	}
	return &changeView{Added: orEmpty(d.Added), Removed: orEmpty(d.Removed), Unchanged: orEmpty(d.Unchanged),
		ValidUntilBefore: d.OldUntil.UTC(), ValidUntilAfter: d.NewUntil.UTC(),
		SubscriberBefore: d.OldSubscriber, SubscriberAfter: d.NewSubscriber}
}

// changeOptionsView says whether and when the holder may renew or amend.
type changeOptionsView struct {
	CanRenew        bool             `json:"can_renew"`
	RenewOpens      time.Time        `json:"renew_opens"`
	RenewCloses     time.Time        `json:"renew_closes"`
	RenewBlocked    string           `json:"renew_blocked,omitempty"`
	CanAmend        bool             `json:"can_amend"`
	AmendBlocked    string           `json:"amend_blocked,omitempty"`
	OpenApplication *applicationView `json:"open_application,omitempty"`
}

func viewChangeOptions(o *registry.ChangeOptions) *changeOptionsView {
	if o == nil {
		return nil
	}
	v := &changeOptionsView{CanRenew: o.CanRenew, RenewOpens: o.RenewOpens.UTC(), RenewCloses: o.RenewCloses.UTC(),
		RenewBlocked: o.RenewBlocked, CanAmend: o.CanAmend, AmendBlocked: o.AmendBlocked}
	if o.Open != nil {
		a := viewApplication(o.Open)
		v.OpenApplication = &a
	}
	return v
}

// flagView is a flag as the API shows it. Its detail is already cut to the
// viewer: the registry hands out applications only through
// Application.ForViewer.
type flagView struct {
	Code   string `json:"code"`
	Item   string `json:"item,omitempty"`
	Detail string `json:"detail"`
}

func viewFlag(f registry.Flag) flagView {
	return flagView{Code: f.Code, Item: f.Item, Detail: f.Detail}
}

type documentView struct {
	ID          string                `json:"id"`
	Kind        registry.DocumentKind `json:"kind"`
	Filename    string                `json:"filename"`
	ContentType string                `json:"content_type"`
	Size        int64                 `json:"size"`
	SHA256      string                `json:"sha256"`
	UploadedAt  time.Time             `json:"uploaded_at"`
	PurgedAt    *time.Time            `json:"purged_at,omitempty"`
}

func viewDocument(d *registry.Document) documentView {
	return documentView{ID: d.ID, Kind: d.Kind, Filename: d.Filename, ContentType: d.ContentType, Size: d.Size, SHA256: d.SHA256,
		UploadedAt: d.UploadedAt.UTC(), PurgedAt: optTime(d.PurgedAt)}
}

type requirementView struct {
	Kinds       []registry.DocumentKind `json:"kinds"`
	Description string                  `json:"description"`
	Accepts     string                  `json:"accepts,omitempty"` // what counts, as the portal shows it
}

func viewRequirement(r registry.DocumentRequirement) requirementView {
	return requirementView{Kinds: r.Kinds, Description: r.Describe(), Accepts: r.Accepts()}
}

type accessView struct {
	At           time.Time             `json:"at"`
	ActorID      string                `json:"actor_id"`
	ActorRole    registry.Role         `json:"actor_role"`
	Action       string                `json:"action"`
	DocumentKind registry.DocumentKind `json:"document_kind,omitempty"`
}

func viewAccess(a registry.Access) accessView {
	return accessView{At: a.At.UTC(), ActorID: a.ActorID, ActorRole: a.ActorRole, Action: a.Action, DocumentKind: a.DocumentKind}
}

type checkView struct {
	ID            string              `json:"id"`
	ApplicationID string              `json:"application_id"`
	State         registry.CheckState `json:"state"`
	Category      registry.Category   `json:"category"`
	HolderName    string              `json:"holder_name"`
	SubscriberID  string              `json:"subscriber_id"`
	Addresses     []string            `json:"addresses"`
	MobileNumbers []string            `json:"mobile_numbers"`
	CreatedAt     time.Time           `json:"created_at"`
	DueAt         time.Time           `json:"due_at"`
	AnsweredAt    *time.Time          `json:"answered_at,omitempty"`
	Note          string              `json:"note,omitempty"`
}

func viewCheck(c *registry.Check) checkView {
	v := checkView{ID: c.ID, ApplicationID: c.ApplicationID, State: c.State, Category: c.Category, HolderName: c.HolderName,
		SubscriberID: c.SubscriberID, Addresses: []string{}, MobileNumbers: orEmpty(c.MobileNumbers),
		CreatedAt: c.CreatedAt.UTC(), DueAt: c.DueAt.UTC(), AnsweredAt: optTime(c.AnsweredAt), Note: c.Note}
	for _, p := range c.Addresses {
		v.Addresses = append(v.Addresses, p.String())
	}
	return v
}

type registrationView struct {
	Number           string             `json:"number"`
	ApplicationID    string             `json:"application_id"`
	Status           registry.RegStatus `json:"status"`
	Category         registry.Category  `json:"category"`
	OperatorID       string             `json:"operator_id"`
	HolderName       string             `json:"holder_name"`
	Addresses        []string           `json:"addresses"`
	MobileNumbers    []string           `json:"mobile_numbers"`
	ValidFrom        time.Time          `json:"valid_from"`
	ValidUntil       time.Time          `json:"valid_until"`
	VerificationCode string             `json:"verification_code"`
	EndedAt          *time.Time         `json:"ended_at,omitempty"`
	EndReason        string             `json:"end_reason,omitempty"`
	// Changes is shown on GET /registrations/{number} only.
	Changes *changeOptionsView `json:"changes,omitempty"`
}

func viewRegistration(r *registry.Registration) registrationView {
	v := registrationView{Number: r.Number, ApplicationID: r.ApplicationID, Status: r.Status, Category: r.Category,
		OperatorID: r.OperatorID, HolderName: r.HolderName, Addresses: []string{}, MobileNumbers: orEmpty(r.MobileNumbers),
		ValidFrom: r.ValidFrom.UTC(), ValidUntil: r.ValidUntil.UTC(), VerificationCode: r.VerificationCode,
		EndedAt: optTime(r.EndedAt), EndReason: r.EndReason}
	for _, p := range r.Addresses {
		v.Addresses = append(v.Addresses, p.String())
	}
	return v
}

type revocationView struct {
	ID                 string                   `json:"id"`
	RegistrationNumber string                   `json:"registration_number"`
	Reason             string                   `json:"reason"`
	State              registry.RevocationState `json:"state"`
	ProposedBy         string                   `json:"proposed_by"`
	ProposedAt         time.Time                `json:"proposed_at"`
	DecidedBy          string                   `json:"decided_by,omitempty"`
	DecidedAt          *time.Time               `json:"decided_at,omitempty"`
}

func viewRevocation(r *registry.Revocation) revocationView {
	return revocationView{ID: r.ID, RegistrationNumber: r.RegistrationNumber, Reason: r.Reason, State: r.State,
		ProposedBy: r.ProposedBy, ProposedAt: r.ProposedAt.UTC(), DecidedBy: r.DecidedBy, DecidedAt: optTime(r.DecidedAt)}
}

type tokenView struct {
	ID        string             `json:"id"`
	Kind      registry.TokenKind `json:"kind"`
	Name      string             `json:"name"`
	CreatedAt time.Time          `json:"created_at"`
	ExpiresAt time.Time          `json:"expires_at"`
	Scope     string             `json:"scope,omitempty"` // "feed", or absent for full access
	Token     string             `json:"token,omitempty"` // only when created
}

func viewToken(t *registry.Token, secret string) tokenView {
	return tokenView{ID: t.ID, Kind: t.Kind, Name: t.Name, CreatedAt: t.CreatedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC(), Scope: viewScope(t.Scope), Token: secret}
}

// viewScope shows an API token's scope; a login's TOTP-enrolment scope is
// shown as the login it is.
func viewScope(scope string) string {
	if scope == registry.ScopeFeed {
		return scope
	}
	return ""
}

// list maps a slice to its views; an empty list is [] rather than null.
func list[S any, T any](in []S, view func(S) T) []T {
	out := make([]T, 0, len(in))
	for _, v := range in {
		out = append(out, view(v))
	}
	return out
}
