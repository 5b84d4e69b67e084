package registry

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/netpolicy"
)

// Renewal and amendment change a registration through an application
// linked to it (Kind, ForRegistration). The registration keeps its number
// and stays as it is until the decision:
//
//   - A renewal is open from Settings.RenewBeforeDays before expiry until
//     RenewAfterDays after. It is prefilled from the registration and may
//     change its items. Its approval sets the registration's items to the
//     renewal's and its validity to max(old until, decision) + valid days,
//     so an early renewal loses no day and there is no gap.
//   - An amendment adds items (reviewed like a renewal) and gives items up
//     (at once, without review: nobody needs permission to stop being
//     allowlisted). Its approval adds the items; the validity is unchanged.
//
// Either way the operator confirms only the items the registration does
// not already hold, and an approval reissues the certificate (IssuedAt).

// changes reports whether a renews or amends a registration.
func (a *Application) changes() bool { return a.Kind == KindRenewal || a.Kind == KindAmendment }

// openChange reports whether an application in s still counts as the
// registration's open renewal or amendment.
func openChange(s State) bool { return s == StateDraft || s.Pending() }

// RenewalWindow returns when r may be renewed under set.
func (set Settings) RenewalWindow(r *Registration) (opens, closes time.Time) {
	return r.ValidUntil.AddDate(0, 0, -set.RenewBeforeDays), r.ValidUntil.AddDate(0, 0, set.RenewAfterDays)
}

// renewable says why r cannot be renewed at now, or nil if it can.
func renewable(r *Registration, set Settings, now time.Time) error {
	opens, closes := set.RenewalWindow(r)
	switch {
	case r.Status != RegActive && r.Status != RegExpired:
		return Errorf(ECONFLICT, "registration %s was revoked or surrendered, so it cannot be renewed: file a new application", r.Number)
	case now.Before(opens) && set.RenewBeforeDays == 1:
		return Errorf(ECONFLICT, "registration %s can be renewed from %s (%d day before it expires on %s)", r.Number, day(opens), set.RenewBeforeDays, day(r.ValidUntil))
	case now.Before(opens):
		return Errorf(ECONFLICT, "registration %s can be renewed from %s (%d days before it expires on %s)", r.Number, day(opens), set.RenewBeforeDays, day(r.ValidUntil))
	case !now.Before(closes):
		return Errorf(ECONFLICT, "registration %s expired on %s and the renewal window closed on %s: file a new application", r.Number, day(r.ValidUntil), day(closes))
	}
	return nil
}

// amendable says why r cannot be amended at now, or nil if it can.
func amendable(r *Registration, now time.Time) error {
	switch {
	case r.Status != RegActive && r.Status != RegExpired:
		return Errorf(ECONFLICT, "registration %s was revoked or surrendered, so it cannot be amended: file a new application", r.Number)
	case r.Status != RegActive || !now.Before(r.ValidUntil):
		return Errorf(ECONFLICT, "registration %s expired on %s; only an active registration can be amended: renew it within its renewal window, or file a new application", r.Number, day(r.ValidUntil))
	}
	return nil
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// ChangeOptions says what the holder may do with a registration now.
type ChangeOptions struct {
	CanRenew     bool
	RenewOpens   time.Time
	RenewCloses  time.Time
	RenewBlocked string // why not, when CanRenew is false
	CanAmend     bool
	AmendBlocked string
	// Open is the registration's open renewal or amendment, if any: while
	// it is, neither another renewal nor an amendment may start.
	Open *Application
}

// RegistrationChanges tells the holder whether and when the registration
// may be renewed or amended; staff may read it too.
func (s *Service) RegistrationChanges(ctx context.Context, actor *User, number string) (*ChangeOptions, error) {
	if err := requireRole(actor, RoleApplicant, RoleReviewer, RoleSupervisor, RoleAdmin); err != nil {
		return nil, err
	}
	var o ChangeOptions
	err := s.store.Read(ctx, func(tx Tx) error {
		r, err := tx.Registration(ctx, number, false)
		if err != nil {
			return err
		}
		if !regVisible(actor, r) {
			return Errorf(ENOTFOUND, "registration %s not found", number)
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		now := s.Now()
		o.RenewOpens, o.RenewCloses = set.RenewalWindow(r)
		open, ap, err := s.openChangeOf(ctx, tx, number, "")
		if err != nil {
			return err
		}
		o.Open = open.ForViewer(actor)
		err = renewable(r, set, now)
		if err == nil && open != nil {
			err = openChangeErr(number, open, ap)
		}
		if o.CanRenew = err == nil; err != nil {
			o.RenewBlocked = ErrorMessage(err)
		}
		err = amendable(r, now)
		if err == nil && open != nil && open.Kind == KindRenewal {
			err = openChangeErr(number, open, ap)
		}
		if o.CanAmend = err == nil; err != nil {
			o.AmendBlocked = ErrorMessage(err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// openChangeOf returns the registration's open renewal or amendment other
// than application except, or nil. A rejected change whose appeal is
// pending is still open (with that appeal): overturned, it would be
// approved or reopened.
func (s *Service) openChangeOf(ctx context.Context, tx Tx, number, except string) (*Application, *Appeal, error) {
	as, err := tx.ListApplications(ctx, AppFilter{ForRegistration: number})
	if err != nil {
		return nil, nil, err
	}
	for _, a := range as {
		if a.ID == except {
			continue
		}
		if openChange(a.State) {
			return a, nil, nil
		}
		if a.State == StateRejected {
			ap, err := pendingAppeal(ctx, tx, a.ID)
			if err != nil {
				return nil, nil, err
			}
			if ap != nil {
				return a, ap, nil
			}
		}
	}
	return nil, nil, nil
}

func openChangeErr(number string, a *Application, ap *Appeal) error {
	if ap != nil {
		if a.Kind == KindRenewal {
			return Errorf(ECONFLICT, "registration %s has a rejected renewal (application %s) whose appeal %s is pending: wait for the appeal's decision before starting another change", number, a.ID, ap.ID)
		}
		return Errorf(ECONFLICT, "registration %s has a rejected amendment (application %s) whose appeal %s is pending: wait for the appeal's decision before starting another change", number, a.ID, ap.ID)
	}
	if a.Kind == KindRenewal {
		return Errorf(ECONFLICT, "registration %s already has an open renewal (application %s): wait for its decision, or withdraw it, before starting another change", number, a.ID)
	}
	return Errorf(ECONFLICT, "registration %s already has an open amendment (application %s): wait for its decision, or withdraw it, before starting another change", number, a.ID)
}

// ownRegistration loads the holder's registration for update; another
// account's is ENOTFOUND.
func ownRegistration(ctx context.Context, tx Tx, actor *User, number string) (*Registration, error) {
	r, err := tx.Registration(ctx, number, true)
	if err != nil {
		return nil, err
	}
	if r.AccountID != actor.AccountID {
		return nil, Errorf(ENOTFOUND, "registration %s not found", number)
	}
	return r, nil
}

// changeable reloads (and locks) the registration a changes and checks that
// the change may still be submitted.
func (s *Service) changeable(ctx context.Context, tx Tx, a *Application, set Settings) (*Registration, error) {
	r, err := tx.Registration(ctx, a.ForRegistration, true)
	if err != nil {
		return nil, err
	}
	if a.Kind == KindRenewal {
		if a.State == StateReturned && !a.SubmittedAt.IsZero() {
			// Filed in time and returned for correction: the window no
			// longer matters, only that the registration has not ended
			// otherwise.
			if r.Status != RegActive && r.Status != RegExpired {
				return r, renewable(r, set, s.Now())
			}
			return r, nil
		}
		return r, renewable(r, set, s.Now())
	}
	return r, amendable(r, s.Now())
}

// lastApplication is the most recent approved application of r: the
// source of what a renewal or amendment is prefilled with besides items.
func (s *Service) lastApplication(ctx context.Context, tx Tx, r *Registration) (*Application, error) {
	as, err := tx.ListApplications(ctx, AppFilter{ForRegistration: r.Number, States: []State{StateApproved}})
	if err != nil {
		return nil, err
	}
	if len(as) > 0 {
		return as[0], nil // newest first
	}
	return tx.Application(ctx, r.ApplicationID, false)
}

// changeApplication starts a renewal or an amendment of r as a draft.
func (s *Service) changeApplication(ctx context.Context, tx Tx, actor *User, r *Registration, kind AppKind) (*Application, error) {
	base, err := s.lastApplication(ctx, tx, r)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	return &Application{ID: auth.RandomID("app"), AccountID: r.AccountID, Kind: kind, ForRegistration: r.Number,
		Category: r.Category, OperatorID: r.OperatorID, SubscriberID: base.SubscriberID,
		Addresses: slices.Clone(r.Addresses), MobileNumbers: slices.Clone(r.MobileNumbers),
		VPN: VPN{Protocol: base.VPN.Protocol, Endpoints: slices.Clone(base.VPN.Endpoints)}, Purpose: base.Purpose,
		State: StateDraft, HolderName: r.HolderName, CreatedAt: now, UpdatedAt: now}, nil
}

// Renew files a renewal of the holder's registration: prefilled from the
// registration and its last application, changed by in (category and
// operator are the registration's), and submitted at once. Nothing is
// stored when it is not valid. ECONFLICT outside the renewal window or
// while another renewal or amendment is open.
func (s *Service) Renew(ctx context.Context, actor *User, number string, in ApplicationInput) (*Application, error) {
	if err := requireRole(actor, RoleApplicant); err != nil {
		return nil, err
	}
	var a *Application
	err := s.store.Write(ctx, func(tx Tx) error {
		r, err := ownRegistration(ctx, tx, actor, number)
		if err != nil {
			return err
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		if err := renewable(r, set, s.Now()); err != nil {
			return err
		}
		if open, ap, err := s.openChangeOf(ctx, tx, number, ""); err != nil {
			return err
		} else if open != nil {
			return openChangeErr(number, open, ap)
		}
		if a, err = s.changeApplication(ctx, tx, actor, r, KindRenewal); err != nil {
			return err
		}
		pay := in.PaymentReference
		in.PaymentReference = nil
		if _, _, err := s.edit(ctx, tx, a, in); err != nil {
			return err
		}
		if err := tx.CreateApplication(ctx, a); err != nil {
			return err
		}
		if err := s.event(ctx, tx, actor, a, "created", fmt.Sprintf("renewal of registration %s", number)); err != nil {
			return err
		}
		if err := s.submit(ctx, tx, actor, a, pay); err != nil {
			return err
		}
		return s.fillView(ctx, tx, actor, a)
	})
	if err != nil {
		return nil, err
	}
	return a.ForViewer(actor), nil
}

// AmendmentInput is what the holder adds to and gives up from a
// registration: addresses or mobile numbers, as the category registers.
type AmendmentInput struct {
	Add              []string
	Remove           []string
	Purpose          *string // why the added items are needed; defaults to the last application's purpose
	PaymentReference *string
}

// Amend gives up the Remove items at once (they leave the registration and
// the allowlist in this transaction, timeline event items_given_up) and
// files the Add items as an amendment, submitted for the operator check
// and review. It returns the registration as it now is and the amendment
// (nil when nothing was added). Nothing happens when any of it is invalid.
func (s *Service) Amend(ctx context.Context, actor *User, number string, in AmendmentInput) (*Registration, *Application, error) {
	if err := requireRole(actor, RoleApplicant); err != nil {
		return nil, nil, err
	}
	var r *Registration
	var a *Application
	removed := false
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if r, err = ownRegistration(ctx, tx, actor, number); err != nil {
			return err
		}
		now := s.Now()
		if err := amendable(r, now); err != nil {
			return err
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		field := "addresses"
		if r.Category.UsesMobileNumbers() {
			field = "mobile_numbers"
		}
		fe := FieldErrors{}
		if len(in.Add)+len(in.Remove) == 0 {
			fe.Add("add", "is required unless you give something up: list what to add, what to give up, or both")
		}
		gone := s.parseRemovals(fe, r, in.Remove)
		if len(gone) > 0 && len(gone) == len(r.Addresses)+len(r.MobileNumbers) {
			fe.Add("remove", "would leave registration %s with nothing: to give everything up, surrender the registration instead", number)
		}
		open, ap, err := s.openChangeOf(ctx, tx, number, "")
		if err != nil {
			return err
		}
		// One open change at a time; giving up is allowed beside an open
		// amendment, but not beside a renewal, whose approval would bring
		// the given-up items back.
		if open != nil && (len(in.Add) > 0 || open.Kind == KindRenewal) {
			return openChangeErr(number, open, ap)
		}
		if len(in.Add) > 0 {
			if a, err = s.changeApplication(ctx, tx, actor, r, KindAmendment); err != nil {
				return err
			}
			add := in.Add
			ai := ApplicationInput{Purpose: in.Purpose}
			if r.Category.UsesMobileNumbers() {
				ai.MobileNumbers = &add
			} else {
				ai.Addresses = &add
			}
			// The field names of the request: add[i], not addresses[i];
			// reported together with any about remove.
			if _, _, err := s.edit(ctx, tx, a, ai); err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Code != EINVALID {
					return err
				}
				for k, v := range renameFields(err, field, "add").(*Error).Fields {
					fe[k] = v
				}
			}
			a.GivenUp = gone
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if len(gone) > 0 {
			on := a
			if on == nil {
				on = open // nil too when there is no open amendment
			}
			if err := s.giveUp(ctx, tx, actor, r, gone, on, set); err != nil {
				return err
			}
			removed = true
		}
		if a == nil && open != nil && len(gone) > 0 {
			// Given up beside an open amendment: the amendment records
			// it, so its reviewer sees what went since it was filed.
			open.GivenUp = append(open.GivenUp, gone...)
			open.UpdatedAt = now
			if err := tx.UpdateApplication(ctx, open); err != nil {
				return err
			}
			return s.event(ctx, tx, actor, open, "items_given_up", strings.Join(gone, ", "))
		}
		if a == nil {
			return nil
		}
		if err := tx.CreateApplication(ctx, a); err != nil {
			return err
		}
		if err := s.event(ctx, tx, actor, a, "created", fmt.Sprintf("amendment of registration %s", number)); err != nil {
			return err
		}
		if len(gone) > 0 {
			if err := s.event(ctx, tx, actor, a, "items_given_up", strings.Join(gone, ", ")); err != nil {
				return err
			}
		}
		if err := renameFields(s.submit(ctx, tx, actor, a, in.PaymentReference), field, "add"); err != nil {
			return err
		}
		return s.fillView(ctx, tx, actor, a)
	})
	if err != nil {
		return nil, nil, err
	}
	if removed {
		s.notifyFeed()
	}
	return r, a.ForViewer(actor), nil
}

// parseRemovals reads the items to give up: each must be one the
// registration holds, named as it is (or in any form that normalises to it).
func (s *Service) parseRemovals(fe FieldErrors, r *Registration, raws []string) []string {
	held := itemStrings(r.Addresses, r.MobileNumbers)
	var out []string
	for i, raw := range raws {
		f := fmt.Sprintf("remove[%d]", i)
		if !validUTF8(fe, f, raw) {
			continue
		}
		v := strings.TrimSpace(raw)
		if r.Category.UsesMobileNumbers() {
			if m, err := netpolicy.NormalizeMobile(v); err == nil {
				v = m
			}
		} else if p, err := netip.ParsePrefix(v); err == nil {
			v = p.Masked().String()
		} else if ad, err := netip.ParseAddr(v); err == nil {
			ad = ad.Unmap()
			v = netip.PrefixFrom(ad, ad.BitLen()).String()
		}
		switch {
		case !slices.Contains(held, v):
			fe.Add(f, "%s is not in registration %s, which holds %s", strings.TrimSpace(raw), r.Number, strings.Join(held, ", "))
		case slices.Contains(out, v):
			fe.Add(f, "%s is listed twice; list each address or number once", v)
		default:
			out = append(out, v)
		}
	}
	return out
}

// giveUp takes items out of the registration and the allowlist now, and
// reissues the certificate (the old one lists what is no longer held).
// The timeline event goes on the amendment when there is one (the caller
// adds it once the amendment is stored), else on the registration's
// first application.
func (s *Service) giveUp(ctx context.Context, tx Tx, actor *User, r *Registration, gone []string, amendment *Application, set Settings) error {
	var addrs []netip.Prefix
	var nums []string
	keepA, keepN := r.Addresses[:0:0], r.MobileNumbers[:0:0]
	for _, p := range r.Addresses {
		if slices.Contains(gone, p.String()) {
			addrs = append(addrs, p)
		} else {
			keepA = append(keepA, p)
		}
	}
	for _, m := range r.MobileNumbers {
		if slices.Contains(gone, m) {
			nums = append(nums, m)
		} else {
			keepN = append(keepN, m)
		}
	}
	if err := s.allowlistItems(ctx, tx, r, "remove", addrs, nums, r.ValidUntil); err != nil {
		return err
	}
	r.Addresses, r.MobileNumbers, r.IssuedAt = keepA, keepN, s.Now()
	if err := tx.UpdateRegistration(ctx, r); err != nil {
		return err
	}
	if err := s.record(ctx, tx, actor, "registration.items_given_up", "registration", r.Number, map[string]any{"items": gone}); err != nil {
		return err
	}
	if amendment != nil {
		return nil
	}
	first, err := tx.Application(ctx, r.ApplicationID, false)
	if err != nil {
		return err
	}
	return s.event(ctx, tx, actor, first, "items_given_up", fmt.Sprintf("given up from registration %s: %s", r.Number, strings.Join(gone, ", ")))
}

// renameFields moves field errors from one request field to another, so
// an amendment's errors name add[i] as the request did.
func renameFields(err error, from, to string) error {
	e, ok := err.(*Error)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	fields := map[string]string{}
	for k, v := range e.Fields {
		if k == from || strings.HasPrefix(k, from+"[") {
			k = to + strings.TrimPrefix(k, from)
		}
		fields[k] = v
	}
	e.Fields = fields
	return e
}

// sameItems refuses amendment items the registration already holds.
func sameItems(fe FieldErrors, a *Application, r *Registration) {
	for i, p := range a.Addresses {
		for _, q := range r.Addresses {
			if p.Overlaps(q) {
				fe.Add(fmt.Sprintf("addresses[%d]", i), "%s overlaps %s, which registration %s already holds; list only addresses to add", p, q, r.Number)
				break
			}
		}
	}
	for i, m := range a.MobileNumbers {
		if slices.Contains(r.MobileNumbers, m) {
			fe.Add(fmt.Sprintf("mobile_numbers[%d]", i), "%s is already in registration %s; list only numbers to add", m, r.Number)
		}
	}
}

// itemLimit refuses an amendment that would take its registration past
// Settings.MaxItems: what r holds now (after anything given up) and what
// a adds.
func itemLimit(fe FieldErrors, a *Application, r *Registration, set Settings) {
	addrs, nums := addedItems(a, r)
	held, added := len(r.Addresses)+len(r.MobileNumbers), len(addrs)+len(nums)
	if held+added <= set.MaxItems {
		return
	}
	field := "addresses"
	if r.Category.UsesMobileNumbers() {
		field = "mobile_numbers"
	}
	fe.Add(field, "would give registration %s %d addresses or numbers, more than the limit of %d: it holds %d, so add at most %d, or give up as many as you add beyond that", r.Number, held+added, set.MaxItems, held, max(set.MaxItems-held, 0))
}

// addedItems are a's items that r does not hold: what the operator checks.
func addedItems(a *Application, r *Registration) ([]netip.Prefix, []string) {
	var addrs []netip.Prefix
	var nums []string
	for _, p := range a.Addresses {
		if !slices.Contains(r.Addresses, p) {
			addrs = append(addrs, p)
		}
	}
	for _, m := range a.MobileNumbers {
		if !slices.Contains(r.MobileNumbers, m) {
			nums = append(nums, m)
		}
	}
	return addrs, nums
}

func itemStrings(addrs []netip.Prefix, nums []string) []string {
	out := prefixStrings(addrs)
	return append(out, nums...)
}

// ChangeDiff is what a pending renewal or amendment would change: items
// added, given up (amendment: already gone) or kept, and the validity
// before and after (a renewal's "after" assumes the default validity
// from today's date; the reviewer may approve another).
type ChangeDiff struct {
	Added     []string
	Removed   []string
	Unchanged []string
	OldUntil  time.Time
	NewUntil  time.Time
	// OldSubscriber and NewSubscriber are set when the change names
	// another subscriber than the registration's last application: the
	// operator then confirms every item for the new one.
	OldSubscriber string
	NewSubscriber string
}

// diff computes a's ChangeDiff against its registration as it is now.
func (s *Service) diff(ctx context.Context, tx Tx, a *Application) (*ChangeDiff, error) {
	if !a.changes() || !openChange(a.State) {
		return nil, nil
	}
	r, err := tx.Registration(ctx, a.ForRegistration, false)
	if err != nil {
		return nil, err
	}
	set, err := tx.Settings(ctx)
	if err != nil {
		return nil, err
	}
	d := &ChangeDiff{OldUntil: r.ValidUntil, NewUntil: r.ValidUntil, Removed: slices.Clone(a.GivenUp)}
	base, err := s.lastApplication(ctx, tx, r)
	if err != nil {
		return nil, err
	}
	if base.SubscriberID != a.SubscriberID {
		d.OldSubscriber, d.NewSubscriber = base.SubscriberID, a.SubscriberID
	}
	held := itemStrings(r.Addresses, r.MobileNumbers)
	want := itemStrings(a.Addresses, a.MobileNumbers)
	for _, v := range want {
		if !slices.Contains(held, v) {
			d.Added = append(d.Added, v)
		}
	}
	for _, v := range held {
		switch {
		case a.Kind == KindAmendment || slices.Contains(want, v):
			d.Unchanged = append(d.Unchanged, v)
		default:
			d.Removed = append(d.Removed, v)
		}
	}
	if a.Kind == KindRenewal {
		d.NewUntil = renewedUntil(r, s.Now(), set.ValidityDays)
	}
	return d, nil
}

// withDiffs fills the Diff of each renewal or amendment among as.
func (s *Service) withDiffs(ctx context.Context, tx Tx, as ...*Application) error {
	for _, a := range as {
		d, err := s.diff(ctx, tx, a)
		if err != nil {
			return err
		}
		a.Diff = d
	}
	return nil
}

// renewedUntil is the validity a renewal approved at now for days gives:
// counted from the old end when it is still ahead, so renewing early
// loses nothing, and from now otherwise.
func renewedUntil(r *Registration, now time.Time, days int) time.Time {
	from := r.ValidUntil
	if now.After(from) {
		from = now
	}
	return from.AddDate(0, 0, days)
}

// applyChange carries out an approved renewal or amendment on its
// registration, in the decision's transaction, and writes the feed
// changes it makes (none when nothing changed).
func (s *Service) applyChange(ctx context.Context, tx Tx, actor *User, a *Application, now time.Time, days int) (*Registration, string, error) {
	r, err := tx.Registration(ctx, a.ForRegistration, true)
	if err != nil {
		return nil, "", err
	}
	old := *r
	var note string
	// A rejected application is being approved on appeal: the supervisor
	// who cannot approve it upholds the appeal instead.
	onAppeal := a.State == StateRejected
	switch a.Kind {
	case KindRenewal:
		if r.Status != RegActive && r.Status != RegExpired {
			if onAppeal {
				return nil, "", Errorf(ECONFLICT, "registration %s was revoked or surrendered, so this renewal cannot be approved on appeal: uphold the appeal", r.Number)
			}
			return nil, "", Errorf(ECONFLICT, "registration %s was revoked or surrendered, so this renewal cannot be approved: reject it", r.Number)
		}
		r.ValidUntil = renewedUntil(r, now, days)
		r.Addresses, r.MobileNumbers = slices.Clone(a.Addresses), slices.Clone(a.MobileNumbers)
		if r.Status == RegExpired {
			// A late renewal revives the same number; its entries left the
			// allowlist at expiry, so they all come back.
			old.Addresses, old.MobileNumbers = nil, nil
			note = fmt.Sprintf("registration %s renewed after it expired on %s: valid until %s", r.Number, day(old.ValidUntil), day(r.ValidUntil))
		} else {
			note = fmt.Sprintf("registration %s renewed: valid until %s (was %s)", r.Number, day(r.ValidUntil), day(old.ValidUntil))
		}
		r.Status, r.EndedAt, r.EndReason = RegActive, time.Time{}, ""
	case KindAmendment:
		if amendable(r, now) != nil {
			if onAppeal {
				return nil, "", Errorf(ECONFLICT, "registration %s is not active (it expired or ended), so this amendment cannot be approved on appeal: uphold the appeal", r.Number)
			}
			return nil, "", Errorf(ECONFLICT, "registration %s is not active (it expired or ended), so this amendment cannot be approved: reject it (the holder may renew)", r.Number)
		}
		set, err := tx.Settings(ctx)
		if err != nil {
			return nil, "", err
		}
		fe := FieldErrors{}
		if itemLimit(fe, a, r, set); len(fe) > 0 {
			return nil, "", Errorf(ECONFLICT, "registration %s holds %d addresses or numbers, and this amendment would take it past the limit of %d: return it for the holder to add fewer or give some up", r.Number, len(r.Addresses)+len(r.MobileNumbers), set.MaxItems)
		}
		addrs, nums := addedItems(a, r)
		r.Addresses = append(slices.Clone(r.Addresses), addrs...)
		r.MobileNumbers = append(slices.Clone(r.MobileNumbers), nums...)
		note = fmt.Sprintf("registration %s amended: added %s; valid until %s", r.Number, strings.Join(itemStrings(addrs, nums), ", "), day(r.ValidUntil))
	}
	r.IssuedAt = now
	if err := tx.UpdateRegistration(ctx, r); err != nil {
		return nil, "", err
	}
	if err := s.allowlistChange(ctx, tx, &old, r); err != nil {
		return nil, "", err
	}
	if err := s.record(ctx, tx, actor, "registration."+map[AppKind]string{KindRenewal: "renewed", KindAmendment: "amended"}[a.Kind],
		"registration", r.Number, map[string]string{"application": a.ID, "valid_until": day(r.ValidUntil)}); err != nil {
		return nil, "", err
	}
	return r, note, nil
}

// allowlistChange writes the feed changes that take the allowlist from
// old's entries to r's: removals of what went, additions of what came,
// and for an entry whose validity (until) changed, its removal and its
// addition, which the publisher turns into two versions published
// together (a delta carries one operation per entry key, and the key does
// not include until). Nothing when nothing changed.
func (s *Service) allowlistChange(ctx context.Context, tx Tx, old, r *Registration) error {
	now := s.Now()
	type change struct {
		target string
		e      feed.Entry
	}
	entries := func(x *Registration) map[string]change {
		m := map[string]change{}
		for _, p := range x.Addresses {
			e := feed.Entry{Prefix: p.String(), Reg: x.Number, Cat: string(x.Category), Until: x.ValidUntil.UTC()}
			m[e.Key()] = change{"", e}
		}
		for _, n := range x.MobileNumbers {
			e := feed.Entry{MSISDN: n, Reg: x.Number, Cat: string(x.Category), Until: x.ValidUntil.UTC()}
			m[e.Key()] = change{x.OperatorID, e}
		}
		return m
	}
	before, after := entries(old), entries(r)
	keys := make([]string, 0, len(before)+len(after))
	for k := range before {
		keys = append(keys, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		b, had := before[k]
		n, has := after[k]
		if had && has && b.e == n.e {
			continue
		}
		if had {
			if err := tx.AddFeedChange(ctx, b.target, "remove", b.e, now); err != nil {
				return err
			}
		}
		if has {
			if err := tx.AddFeedChange(ctx, n.target, "add", n.e, now); err != nil {
				return err
			}
		}
	}
	return nil
}
