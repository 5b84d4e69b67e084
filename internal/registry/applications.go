package registry

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/netpolicy"
)

// ApplicationInput carries the fields of a create or a partial update; nil
// means "not given" (keep the current value).
type ApplicationInput struct {
	Category         *string
	OperatorID       *string
	SubscriberID     *string
	Addresses        *[]string
	MobileNumbers    *[]string
	VPNProtocol      *string
	VPNEndpoints     *[]string
	Purpose          *string
	PaymentReference *string
}

// apply validates in and writes it into a. Drafts may be incomplete; what
// is given must be valid. Field names match the JSON API.
func (s *Service) apply(ctx context.Context, tx Tx, a *Application, acc *Account, in ApplicationInput, set Settings) error {
	fe := FieldErrors{}
	if a.changes() {
		// A renewal or an amendment changes one registration: its
		// category and operator are the registration's.
		if in.Category != nil && Category(strings.TrimSpace(*in.Category)) != a.Category {
			fe.Add("category", "is fixed by registration %s (%s): a renewal or an amendment keeps it; for another category file a new application", a.ForRegistration, a.Category)
			in.Category = nil
		}
		if in.OperatorID != nil && strings.TrimSpace(*in.OperatorID) != a.OperatorID {
			fe.Add("operator_id", "is fixed by registration %s (%s): a renewal or an amendment keeps it; for another operator file a new application", a.ForRegistration, a.OperatorID)
			in.OperatorID = nil
		}
	}
	if in.Category != nil {
		c := Category(strings.TrimSpace(*in.Category))
		if !c.Valid() {
			fe.Add("category", "must be one of %s", joinCats())
		} else if !slices.Contains(c.AccountKinds(), acc.Kind) {
			fe.Add("category", "%s is for %s accounts; this is a%s %s account: choose %s", c, c.AccountKinds()[0],
				map[bool]string{true: "n", false: ""}[acc.Kind == KindIndividual], acc.Kind, joinCatsFor(acc.Kind))
		} else {
			a.Category = c
		}
	}
	if in.OperatorID != nil {
		a.OperatorID = strings.TrimSpace(*in.OperatorID)
	}
	if in.SubscriberID != nil {
		v := text(fe, "subscriber_id", *in.SubscriberID, 64, false)
		if v != "" && !subIDRe.MatchString(v) {
			fe.Add("subscriber_id", "may hold letters, digits, spaces and . _ / : # - only: give the account or circuit ID from your operator's bill")
		}
		a.SubscriberID = v
	}
	pol := set.Policy(a.Category)
	if in.Addresses != nil {
		a.Addresses = parseItems(fe, "addresses", *in.Addresses, set.MaxItems, pol.Check,
			func(p netip.Prefix, earlier []netip.Prefix) string {
				for j, q := range earlier {
					switch {
					case q == p:
						return fmt.Sprintf("%s duplicates an earlier entry (%s); list each address once", p, q)
					case q.Overlaps(p):
						return fmt.Sprintf("%s overlaps %s listed earlier (entry %d); list each address once", p, q, j)
					}
				}
				return ""
			})
	}
	if in.MobileNumbers != nil {
		a.MobileNumbers = parseItems(fe, "mobile_numbers", *in.MobileNumbers, set.MaxItems, netpolicy.NormalizeMobile,
			func(m string, earlier []string) string {
				if slices.Contains(earlier, m) {
					return m + " duplicates an earlier entry; list each number once"
				}
				return ""
			})
	}
	if in.VPNProtocol != nil {
		p := strings.ToLower(strings.TrimSpace(*in.VPNProtocol))
		if p != "" && !slices.Contains(Protocols, p) {
			fe.Add("vpn.protocol", "must be one of %s", strings.Join(Protocols, ", "))
		}
		a.VPN.Protocol = p
	}
	if in.VPNEndpoints != nil {
		a.VPN.Endpoints = nil
		if len(*in.VPNEndpoints) > 20 {
			fe.Add("vpn.endpoints", "has %d entries; at most 20 are allowed", len(*in.VPNEndpoints))
		}
		for i, e := range *in.VPNEndpoints {
			field := fmt.Sprintf("vpn.endpoints[%d]", i)
			if !validUTF8(fe, field, e) {
				continue
			}
			e = strings.ToLower(strings.TrimSpace(e))
			if !validEndpoint(e) {
				fe.Add(field, "must be the VPN gateway's IP address or host name, such as vpn.example.com or 203.99.48.7")
				continue
			}
			a.VPN.Endpoints = append(a.VPN.Endpoints, e)
		}
	}
	if in.Purpose != nil {
		a.Purpose = text(fe, "purpose", *in.Purpose, 2000, false)
	}
	if in.PaymentReference != nil {
		v := strings.TrimSpace(*in.PaymentReference)
		if v != "" && !payRe.MatchString(v) {
			fe.Add("payment_reference", "must be the PSID or challan number: 6 to 30 letters, digits or dashes")
		}
		a.PaymentReference = v
	}
	// Cross-field rules, after every field is read.
	if a.Category.UsesMobileNumbers() && len(a.Addresses) > 0 {
		fe.Add("addresses", "does not belong to mobile_vpn, which registers mobile numbers: leave addresses empty and list the numbers in mobile_numbers")
	}
	if !a.Category.UsesMobileNumbers() && len(a.MobileNumbers) > 0 {
		fe.Add("mobile_numbers", "belongs to mobile_vpn only; %s registers static addresses: list them in addresses", a.Category)
	}
	if a.OperatorID != "" {
		op, err := tx.Operator(ctx, a.OperatorID)
		switch {
		case ErrorCode(err) == ENOTFOUND:
			fe.Add("operator_id", "%q is not a known operator; GET /api/v1/operators lists them", a.OperatorID)
		case err != nil:
			return err
		case a.Category.UsesMobileNumbers() && op.Kind != OperatorMobile:
			fe.Add("operator_id", "%s is a fixed-line operator; mobile_vpn needs the mobile network that issued the numbers", op.Name)
		}
	}
	return fe.Err()
}

// parseItems reads a list field: at most max entries, each valid UTF-8
// and accepted by parse; clash names a conflict with an earlier entry.
// Every problem is reported on its own index, as "addresses[2]". A list
// over max is that one error, its entries unread: checked one by one
// (each against every earlier one), a list of 94,000 repeats drew a 9 MB
// answer of one error each, and as many distinct addresses billions of
// comparisons, from anyone who can sign up (tester, issue 14).
func parseItems[T any](fe FieldErrors, name string, raws []string, max int, parse func(string) (T, error), clash func(T, []T) string) []T {
	if len(raws) > max {
		fe.Add(name, "has %d entries; at most %d are allowed in one application", len(raws), max)
		return nil
	}
	var out []T
	for i, raw := range raws {
		field := fmt.Sprintf("%s[%d]", name, i)
		if !validUTF8(fe, field, raw) {
			continue
		}
		v, err := parse(raw)
		if err != nil {
			fe.AddErr(field, err)
			continue
		}
		if msg := clash(v, out); msg != "" {
			fe.Add(field, "%s", msg)
		}
		out = append(out, v)
	}
	return out
}

func validUTF8(fe FieldErrors, field, v string) bool {
	if !utf8Valid(v) {
		fe.Add(field, "is not valid UTF-8 text")
		return false
	}
	return true
}

func validEndpoint(e string) bool {
	if _, err := netip.ParseAddr(e); err == nil {
		return true
	}
	if len(e) == 0 || len(e) > 253 || net.ParseIP(e) != nil {
		return false
	}
	for _, label := range strings.Split(e, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return strings.Contains(e, ".")
}

func joinCats() string {
	s := make([]string, len(Categories))
	for i, c := range Categories {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}

func joinCatsFor(k AccountKind) string {
	var s []string
	for _, c := range Categories {
		if slices.Contains(c.AccountKinds(), k) {
			s = append(s, string(c))
		}
	}
	return strings.Join(s, " or ")
}

// items is the number of addresses or numbers an application asks for.
func (a *Application) items() int { return len(a.Addresses) + len(a.MobileNumbers) }

// itemsKey identifies what an operator confirms: the operator, the
// subscriber and the items. A returned application whose key is unchanged
// skips a second operator check.
func (a *Application) itemsKey() string {
	var b strings.Builder
	b.WriteString(a.OperatorID + "|" + a.SubscriberID)
	for _, p := range a.Addresses {
		b.WriteString("|" + p.String())
	}
	for _, m := range a.MobileNumbers {
		b.WriteString("|" + m)
	}
	return b.String()
}

// edit applies in to a under today's settings and recomputes its fee,
// returning the account and settings it used.
func (s *Service) edit(ctx context.Context, tx Tx, a *Application, in ApplicationInput) (*Account, Settings, error) {
	acc, err := tx.Account(ctx, a.AccountID)
	if err != nil {
		return nil, Settings{}, err
	}
	set, err := tx.Settings(ctx)
	if err != nil {
		return nil, Settings{}, err
	}
	if err := s.apply(ctx, tx, a, acc, in, set); err != nil {
		return nil, Settings{}, err
	}
	return acc, set, s.fee(ctx, tx, a, set)
}

// fee computes the application's fee from what the account already holds.
func (s *Service) fee(ctx context.Context, tx Tx, a *Application, set Settings) error {
	held, err := tx.HeldItems(ctx, a.AccountID, a.ID)
	if err != nil {
		return err
	}
	a.Fee = ComputeFee(set, a.Category, held, a.items())
	return nil
}

// CreateApplication saves a new draft for the actor's account.
func (s *Service) CreateApplication(ctx context.Context, actor *User, in ApplicationInput) (*Application, error) {
	if err := requireRole(actor, RoleApplicant); err != nil {
		return nil, err
	}
	if in.Category == nil || strings.TrimSpace(*in.Category) == "" {
		return nil, FieldErrors{"category": "is required: one of " + joinCats()}.Err()
	}
	now := s.Now()
	a := &Application{ID: auth.RandomID("app"), AccountID: actor.AccountID, Kind: KindNew, State: StateDraft, CreatedAt: now, UpdatedAt: now}
	err := s.store.Write(ctx, func(tx Tx) error {
		acc, set, err := s.edit(ctx, tx, a, in)
		if err != nil {
			return err
		}
		a.HolderName = acc.Name
		if err := tx.CreateApplication(ctx, a); err != nil {
			return err
		}
		e, err := s.addEvent(ctx, tx, actor, a, "created", "")
		if err != nil {
			return err
		}
		// A new draft: its one event, no document, no appeal.
		a.known = &viewKnown{events: []Event{*e}, documents: []*Document{}, account: acc, settings: &set, noAppeals: true}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.viewAfterWrite(ctx, actor, a)
}

// viewAfterWrite fills a's view (fillView) once the write that changed it
// has committed, and returns it as the actor may see it. The view's reads
// run outside the write transaction so that they hold neither SQLite's one
// writer nor PostgreSQL's row locks (the audit chain's head among them,
// which every write takes): filled inside, they cut PostgreSQL's filing
// rate with 8 clients from 60 to 40 a second. The view is what a GET of the
// application right after the commit shows. Should its reads fail, the
// write stands and the error says so.
func (s *Service) viewAfterWrite(ctx context.Context, actor *User, a *Application) (*Application, error) {
	if err := s.store.Read(ctx, func(tx Tx) error { return s.fillView(ctx, tx, actor, a) }); err != nil {
		return nil, fmt.Errorf("application %s was saved, but reading it back failed: %w", a.ID, err)
	}
	return a.ForViewer(actor), nil
}

// ownApplication loads an application of the actor's account for update;
// another account's application is ENOTFOUND, as if it did not exist.
func ownApplication(ctx context.Context, tx Tx, actor *User, id string) (*Application, error) {
	a, err := tx.Application(ctx, id, true)
	if err != nil {
		return nil, err
	}
	if err := ownedBy(actor, a); err != nil {
		return nil, err
	}
	return a, nil
}

// ownedBy is ENOTFOUND, as if a did not exist, unless a is an application
// of the actor's account.
func ownedBy(actor *User, a *Application) error {
	if a.AccountID != actor.AccountID {
		return Errorf(ENOTFOUND, "application %s not found", a.ID)
	}
	return nil
}

// ownWrite runs fn on the applicant's own application id in one write
// transaction, and returns the application as fn left it, in the view
// GetApplication gives (filled after the commit: viewAfterWrite).
func (s *Service) ownWrite(ctx context.Context, actor *User, id string, fn func(tx Tx, a *Application) error) (*Application, error) {
	a, err := s.ownTx(ctx, actor, id, fn)
	if err != nil {
		return nil, err
	}
	return s.viewAfterWrite(ctx, actor, a)
}

// ownTx is ownWrite for callers that answer with something other than the
// application's view (a document, an appeal): the application as fn left
// it, its view not filled.
func (s *Service) ownTx(ctx context.Context, actor *User, id string, fn func(tx Tx, a *Application) error) (*Application, error) {
	if err := requireRole(actor, RoleApplicant); err != nil {
		return nil, err
	}
	var a *Application
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if a, err = ownApplication(ctx, tx, actor, id); err != nil {
			return err
		}
		return fn(tx, a)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// UpdateApplication changes a draft or a returned application.
func (s *Service) UpdateApplication(ctx context.Context, actor *User, id string, in ApplicationInput) (*Application, error) {
	return s.ownWrite(ctx, actor, id, func(tx Tx, a *Application) error {
		if a.State != StateDraft && a.State != StateReturned {
			return Errorf(ECONFLICT, "cannot change application %s: it is %s; only drafts and returned applications can be edited", id, describeState(a.State))
		}
		if _, _, err := s.edit(ctx, tx, a, in); err != nil {
			return err
		}
		a.UpdatedAt = s.Now()
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		return s.event(ctx, tx, actor, a, "updated", "")
	})
}

// Submit sends a draft to the operator check, or a corrected returned
// application back to the check (when what the operator confirmed changed)
// or straight to review. The application keeps its first submission time
// and SLA due time, and so its place in the queue. Its flags are computed
// afresh on every submission, so what they say of other applications
// (their operator and state) is as of the last one; flags are not live.
func (s *Service) Submit(ctx context.Context, actor *User, id string, paymentReference *string) (*Application, error) {
	return s.ownWrite(ctx, actor, id, func(tx Tx, a *Application) error {
		return s.submit(ctx, tx, actor, a, paymentReference)
	})
}

// submit is Submit's work on a loaded application, in the caller's
// transaction. A renewal or an amendment needs no documents (its
// registration's were reviewed) and sends only its added items to the
// operator check, or goes straight to review when it adds nothing.
func (s *Service) submit(ctx context.Context, tx Tx, actor *User, a *Application, paymentReference *string) error {
	if a.State != StateDraft && a.State != StateReturned {
		return checkTransition(a, StateOperatorCheck, "submit")
	}
	// Revalidate everything against today's settings and operators,
	// then require what a draft may leave out.
	addrs, nums, eps := prefixStrings(a.Addresses), slices.Clone(a.MobileNumbers), slices.Clone(a.VPN.Endpoints)
	cat, op, sub, proto, purpose := string(a.Category), a.OperatorID, a.SubscriberID, a.VPN.Protocol, a.Purpose
	in := ApplicationInput{Category: &cat, OperatorID: &op, SubscriberID: &sub, Addresses: &addrs,
		MobileNumbers: &nums, VPNProtocol: &proto, VPNEndpoints: &eps, Purpose: &purpose, PaymentReference: paymentReference}
	acc, set, err := s.edit(ctx, tx, a, in)
	if err != nil {
		return err
	}
	known := &viewKnown{account: acc, settings: &set}
	fe := FieldErrors{}
	if a.OperatorID == "" {
		fe.Add("operator_id", "is required: the operator that provides the connection (GET /api/v1/operators)")
	}
	if a.SubscriberID == "" {
		fe.Add("subscriber_id", "is required: the account or circuit ID on your operator's bill, so the operator can confirm it")
	}
	if a.Category.UsesMobileNumbers() && len(a.MobileNumbers) == 0 {
		fe.Add("mobile_numbers", "is required: list at least one mobile number to register")
	}
	if !a.Category.UsesMobileNumbers() && len(a.Addresses) == 0 {
		fe.Add("addresses", "is required: list at least one static IP address or prefix to register")
	}
	if a.VPN.Protocol == "" {
		fe.Add("vpn.protocol", "is required: one of %s", strings.Join(Protocols, ", "))
	}
	// Empty is "required"; a few characters are "too short" (the
	// amendment's purpose may also be left empty: it keeps the last one).
	switch n := len([]rune(a.Purpose)); {
	case n == 0:
		fe.Add("purpose", "is required: say in a sentence or two what the VPN is used for (at least 10 characters)")
	case n < 10 && a.Kind == KindAmendment:
		fe.Add("purpose", "is too short: write at least 10 characters, or leave it empty to keep the purpose of your application")
	case n < 10:
		fe.Add("purpose", "is too short: say in a sentence or two what the VPN is used for (at least 10 characters)")
	}
	if a.Fee.Due && a.PaymentReference == "" {
		fe.Add("payment_reference", "is required: a fee of PKR %s is due (%s); pay it and give the PSID or challan number", GroupDigits(a.Fee.AmountPKR), a.Fee.Reason)
	}
	var reg *Registration
	subscriberChanged := false
	if a.changes() {
		if reg, err = s.changeable(ctx, tx, a, set); err != nil {
			return err
		}
		if a.Kind == KindAmendment {
			sameItems(fe, a, reg)
			itemLimit(fe, a, reg, set)
		}
		base, err := s.lastApplication(ctx, tx, reg)
		if err != nil {
			return err
		}
		subscriberChanged = base.SubscriberID != a.SubscriberID
	} else {
		docs, err := tx.ListDocuments(ctx, a.ID)
		if err != nil {
			return err
		}
		known.documents = append([]*Document{}, docs...)
		for _, r := range missingDocuments(a.Category, docs) {
			if acc := r.Accepts(); acc != "" {
				fe.Add("documents."+string(r.Kinds[0]), "is required: upload %s (PDF, JPEG or PNG): %s", r.Describe(), acc)
			} else {
				fe.Add("documents."+string(r.Kinds[0]), "is required: upload %s (PDF, JPEG or PNG)", r.Describe())
			}
		}
	}
	if err := fe.Err(); err != nil {
		return err
	}

	now := s.Now()
	resubmit := a.State == StateReturned
	next := StateOperatorCheck
	// What the operator must confirm: everything for a new application,
	// only what a renewal or an amendment adds to its registration.
	// A change of subscriber is a new holder of every item: the operator
	// confirms all of them for the new subscriber.
	checkAddrs, checkNums := a.Addresses, a.MobileNumbers
	if reg != nil && !subscriberChanged {
		checkAddrs, checkNums = addedItems(a, reg)
	}
	switch {
	case resubmit && a.CheckedItems == a.itemsKey():
		next = StateReview
	case reg != nil && len(checkAddrs)+len(checkNums) == 0:
		next = StateReview // nothing new to confirm: the registration's items were confirmed before
	}
	// Submitting a draft is the draft → operator_check step, even when a
	// change with nothing to confirm goes on to review at once.
	if err := checkTransition(a, map[bool]State{true: StateOperatorCheck, false: next}[a.State == StateDraft], "submit"); err != nil {
		return err
	}
	flags, err := s.addressFlags(ctx, tx, a, set)
	if err != nil {
		return err
	}
	if next == StateReview && resubmit {
		// The operator's earlier answer still stands for these items.
		for _, f := range a.Flags {
			if f.Code == FlagOperatorDisputed || f.Code == FlagOperatorUnanswered {
				flags = append(flags, f)
			}
		}
	}
	a.Flags, a.flagsFresh = flags, true
	a.State = next
	a.UpdatedAt = now
	if a.SubmittedAt.IsZero() {
		a.SubmittedAt = now
		a.SLADueAt = s.calendar.WithHolidays(set.Holidays).Add(now, time.Duration(set.SLAWorkingHours)*time.Hour)
	}
	if next == StateOperatorCheck {
		c := &Check{ID: auth.RandomID("chk"), ApplicationID: a.ID, OperatorID: a.OperatorID, State: CheckPending,
			CreatedAt: now, DueAt: now.Add(time.Duration(set.OperatorCheckHours) * time.Hour),
			Category: a.Category, SubscriberID: a.SubscriberID, HolderName: a.HolderName,
			Addresses: slices.Clone(checkAddrs), MobileNumbers: slices.Clone(checkNums)}
		if err := tx.CreateCheck(ctx, c); err != nil {
			return err
		}
	}
	if err := tx.UpdateApplication(ctx, a); err != nil {
		return err
	}
	typ := "submitted"
	switch {
	case resubmit:
		typ = "resubmitted"
	case a.Kind == KindRenewal:
		typ = "renewal_submitted"
	case a.Kind == KindAmendment:
		typ = "amendment_submitted"
	}
	if err := s.event(ctx, tx, actor, a, typ, ""); err != nil {
		return err
	}
	a.known = known
	return nil
}

func prefixStrings(ps []netip.Prefix) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	return out
}

// addressFlags computes what the reviewer should look at in the items.
func (s *Service) addressFlags(ctx context.Context, tx Tx, a *Application, set Settings) ([]Flag, error) {
	var flags []Flag
	var opSpace *netpolicy.Space
	if len(a.Addresses) > 0 {
		var err error
		if opSpace, err = s.spaces.get(ctx, tx, a.OperatorID, a.spaceAt); err != nil {
			return nil, err
		}
	}
	sets, err := tx.Overlaps(ctx, a.ID, a.AccountID, a.Addresses, a.MobileNumbers)
	if err != nil {
		return nil, err
	}
	for i, p := range a.Addresses {
		if !s.country.Contains(p) {
			flags = append(flags, Flag{Code: FlagOutsideCountry, Item: p.String(),
				Detail: fmt.Sprintf("%s is not in Pakistan's address space (RIR delegations)", p)})
		}
		if opSpace != nil && !opSpace.Contains(p) {
			flags = append(flags, Flag{Code: FlagOutsideOperatorSpace, Item: p.String(),
				Detail: fmt.Sprintf("%s is outside the address space loaded for operator %s", p, a.OperatorID)})
		}
		flags = append(flags, overlapFlags(a, p.String(), sets[i])...)
	}
	for i, m := range a.MobileNumbers {
		flags = append(flags, overlapFlags(a, m, sets[len(a.Addresses)+i])...)
	}
	if n := a.items(); n >= set.ManyItems {
		flags = append(flags, Flag{Code: FlagManyAddresses,
			Detail: fmt.Sprintf("%d items requested; applications usually list fewer than %d", n, set.ManyItems)})
	}
	return flags, nil
}

// overlapFlags turns what overlaps item into flags: overlap for another
// account's application or registration, duplicate_own for another of a's
// own account's (filing one prefix twice would otherwise end in two
// registrations of it). Detail is the reviewer's full text; With keeps the
// facts ForViewer needs to tell others less. What Overlaps counted but did
// not list becomes one more flag of each code, "and N more", so the
// reviewer knows the list is cut.
func overlapFlags(a *Application, item string, os OverlapSet) []Flag {
	var out []Flag
	own := 0 // listed items of a's own account
	for _, o := range os.Listed {
		f := Flag{Code: FlagOverlap, Item: item, With: &FlagSubject{Item: o.Item, AccountID: o.AccountID,
			OperatorID: o.OperatorID, ApplicationID: o.ApplicationID, State: o.State, Registration: o.Registration}}
		held := o.Registration != "" && o.State == StateApproved
		if o.AccountID == a.AccountID {
			own++
		}
		switch {
		case o.AccountID == a.AccountID && held:
			f.Code, f.Detail = FlagDuplicateOwn, fmt.Sprintf("%s overlaps %s held by this account's registration %s", item, o.Item, o.Registration)
		case o.AccountID == a.AccountID:
			f.Code, f.Detail = FlagDuplicateOwn, fmt.Sprintf("%s overlaps %s of this account's application %s (%s)", item, o.Item, o.ApplicationID, o.State)
		case held:
			f.Detail = fmt.Sprintf("%s overlaps %s held by registration %s of another account", item, o.Item, o.Registration)
		default:
			f.Detail = fmt.Sprintf("%s overlaps %s of application %s (%s) of another account", item, o.Item, o.ApplicationID, o.State)
		}
		out = append(out, f)
	}
	if n := os.Own - own; n > 0 {
		out = append(out, Flag{Code: FlagDuplicateOwn, Item: item,
			Detail: fmt.Sprintf("%s: and %d more overlapping items of this account's applications or registrations, not listed", item, n)})
	}
	if n := os.Others - (len(os.Listed) - own); n > 0 {
		out = append(out, Flag{Code: FlagOverlap, Item: item,
			Detail: fmt.Sprintf("%s: and %d more overlapping items of other accounts, not listed", item, n)})
	}
	return out
}

// Withdraw ends an application before a decision.
func (s *Service) Withdraw(ctx context.Context, actor *User, id string) (*Application, error) {
	return s.ownWrite(ctx, actor, id, func(tx Tx, a *Application) error {
		if err := checkTransition(a, StateWithdrawn, "withdraw"); err != nil {
			return err
		}
		if err := s.cancelChecks(ctx, tx, a); err != nil {
			return err
		}
		a.State, a.UpdatedAt = StateWithdrawn, s.Now()
		if err := tx.UpdateApplication(ctx, a); err != nil {
			return err
		}
		return s.event(ctx, tx, actor, a, "withdrawn", "")
	})
}

func (s *Service) cancelChecks(ctx context.Context, tx Tx, a *Application) error {
	cs, err := tx.ApplicationChecks(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.State == CheckPending {
			c.State = CheckCancelled
			if err := tx.UpdateCheck(ctx, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// GetApplication returns an application with its timeline. Applicants see
// their own; operator staff those filed with their operator; reviewers,
// supervisors and admins any, and each such read is audited.
func (s *Service) GetApplication(ctx context.Context, actor *User, id string) (*Application, error) {
	return s.getApplication(ctx, actor, id, nil)
}

// GetApplicationPage is GetApplication with what a page showing the
// application needs beside it: the public settings (the upload size
// limit) and the name of the application's operator (its id when the
// operator is not known), both from the view's first query
// (Tx.ApplicationView). The portal's page once made three reads for them,
// each waiting for a connection of its own under load (issue 14).
func (s *Service) GetApplicationPage(ctx context.Context, actor *User, id string) (*Application, Settings, string, error) {
	var set Settings
	var operator string
	a, err := s.getApplication(ctx, actor, id, func(a *Application, v ViewTarget) {
		set, operator = v.Settings, a.OperatorID
		if v.Operator.Found {
			operator = v.Operator.Name
		}
	})
	return a, set, operator, err
}

// getApplication is GetApplication; more, if not nil, is given what the
// view's first query read beside the application (Tx.ApplicationView),
// once the application is known visible.
func (s *Service) getApplication(ctx context.Context, actor *User, id string, more func(*Application, ViewTarget)) (*Application, error) {
	if err := requireRole(actor, Roles...); err != nil {
		return nil, err
	}
	var a *Application
	load := func(tx Tx) error {
		var err error
		var v ViewTarget
		if a, v, err = tx.ApplicationView(ctx, id); err != nil {
			return err
		}
		visible := false
		switch actor.Role {
		case RoleApplicant:
			visible = a.AccountID == actor.AccountID
		case RoleOperator:
			visible = a.OperatorID == actor.OperatorID && a.State != StateDraft
		default:
			visible = true
		}
		if !visible {
			return Errorf(ENOTFOUND, "application %s not found", id)
		}
		a.known = &viewKnown{settings: &v.Settings}
		a.spaceAt = &operatorAt{found: v.Operator.Found, version: v.Operator.PrefixesVersion}
		err = s.fillView(ctx, tx, actor, a)
		a.spaceAt = nil // true of this read only
		if err != nil {
			return err
		}
		if more != nil {
			more(a, v)
		}
		return nil
	}
	if err := s.store.Read(ctx, load); err != nil {
		return nil, err
	}
	if actor.Role.Staff() {
		// Staff views are audited: the entry is written after the read,
		// in a transaction of its own, and the view is answered only once
		// it is committed. Reading inside the write transaction held the
		// registry's one writer (SQLite) through a dozen queries.
		if err := s.auditRead(ctx, actor, "application.viewed", "application", id, nil); err != nil {
			return nil, err
		}
	}
	return a.ForViewer(actor), nil
}

// viewKnown is what a write's transaction already holds of the view it
// answers with, so that fillView, run after the commit, does not read it
// again: each part read back was a query, and on PostgreSQL a round trip,
// for something the write had in hand (an application filed through the
// API was read back nine times; BENCHMARKS.md, eleventh session). Parts
// left nil are read. What it holds is as the write's transaction saw it,
// which is what the committed view shows: the application's own row is
// locked for the write, and what the parts hold (its documents, its
// account, the settings) is read in the same transaction.
type viewKnown struct {
	events    []Event     // the whole timeline
	documents []*Document // non-nil: all of them, even none
	account   *Account
	settings  *Settings
	// noAppeals: the application has never been rejected, so it has no
	// appeal (a new draft); settings must be known too.
	noAppeals bool
}

// fillView loads what an application's view holds beyond its record, for
// actor: the timeline, what a renewal or amendment changes, and for the
// owner and regulator staff its documents (so what is still missing), the
// account and the appeals. GetApplication and every write that answers
// with the application use it, so each answers the same view.
//
// The settings are read once at most (each read is a round trip on
// PostgreSQL; a pending application's view read them twice, issue 14),
// and not at all when known.
func (s *Service) fillView(ctx context.Context, tx Tx, actor *User, a *Application) error {
	k := a.known
	a.known = nil
	if k == nil {
		k = &viewKnown{}
	}
	settings := func() (Settings, error) {
		if k.settings == nil {
			set, err := tx.Settings(ctx)
			if err != nil {
				return Settings{}, err
			}
			k.settings = &set
		}
		return *k.settings, nil
	}
	var err error
	if k.events != nil {
		a.Events = k.events
	} else if a.Events, err = tx.Events(ctx, a.ID); err != nil {
		return err
	}
	if actor.Role != RoleOperator {
		if err := s.withDiffs(ctx, tx, a); err != nil {
			return err
		}
	}
	if canSeeDocuments(actor, a) {
		if k.documents != nil {
			a.Documents = k.documents
		} else if a.Documents, err = tx.ListDocuments(ctx, a.ID); err != nil {
			return err
		}
		servedNames(a.Documents...)
		// Non-nil even when empty: nil means "not yours to see".
		a.Documents = append(make([]*Document, 0, len(a.Documents)), a.Documents...)
		if k.account != nil {
			a.Account = k.account
		} else if a.Account, err = tx.Account(ctx, a.AccountID); err != nil {
			return err
		}
		set, err := settings()
		if err != nil {
			return err
		}
		if k.noAppeals {
			a.Appeals, a.AppealBy = nil, appealBy(set, a, nil)
		} else if err := s.loadAppealsWith(ctx, tx, a, &set); err != nil {
			return err
		}
	}
	// The flags of the submission name other applications in the state
	// they were in then. While a is pending (and while a rejection is
	// under appeal, decided on today's flags) every viewer sees them
	// recomputed against what is held and applied for now: the other
	// application's state of today, and no flag for one that has since
	// left. ForViewer cuts them for the applicant.
	// Every viewer allowed the flags sees them live, the operator too (who
	// is not shown the appeals: asked for here).
	appealed := false
	if a.State == StateRejected {
		if a.Appeals != nil {
			appealed = slices.ContainsFunc(a.Appeals, func(ap *Appeal) bool { return ap.State == AppealPending })
		} else {
			ap, err := pendingAppeal(ctx, tx, a.ID)
			if err != nil {
				return err
			}
			appealed = ap != nil
		}
	}
	if (a.State.Pending() || appealed) && !a.flagsFresh {
		set, err := settings()
		if err != nil {
			return err
		}
		if err := s.refreshFlags(ctx, tx, a, set); err != nil {
			return err
		}
	}
	return nil
}

// ListApplications lists the applications the actor may see.
func (s *Service) ListApplications(ctx context.Context, actor *User, f AppFilter) ([]*Application, error) {
	if err := requireRole(actor, Roles...); err != nil {
		return nil, err
	}
	switch actor.Role {
	case RoleApplicant:
		f.AccountID = actor.AccountID
	case RoleOperator:
		f.OperatorID = actor.OperatorID
		if len(f.States) == 0 {
			f.States = []State{StateOperatorCheck, StateReview, StateReturned, StateApproved, StateRejected, StateWithdrawn}
		}
		f.States = slices.DeleteFunc(f.States, func(s State) bool { return s == StateDraft })
		if len(f.States) == 0 {
			return nil, nil
		}
	}
	var out []*Application
	list := func(tx Tx) error {
		var err error
		if out, err = tx.ListApplications(ctx, f); err != nil {
			return err
		}
		if actor.Role == RoleApplicant {
			// The applicant's list says where each application stands now:
			// a rejection under appeal, or an appeal decided.
			aps, err := tx.ListAppeals(ctx, AppealFilter{AccountID: actor.AccountID})
			if err != nil {
				return err
			}
			slices.SortFunc(aps, func(x, y *Appeal) int { return x.SubmittedAt.Compare(y.SubmittedAt) })
			by := map[string][]*Appeal{}
			for _, ap := range aps {
				by[ap.ApplicationID] = append(by[ap.ApplicationID], ap)
			}
			for _, a := range out {
				a.Appeals = by[a.ID]
			}
		}
		if actor.Role.Staff() {
			return s.record(ctx, tx, actor, "applications.listed", "application", "", map[string]any{"count": len(out)})
		}
		return nil
	}
	if err := s.view(ctx, actor, list); err != nil {
		return nil, err
	}
	return forViewer(out, actor), nil
}
