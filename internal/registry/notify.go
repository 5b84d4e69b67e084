package registry

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What each timeline event tells the applicant (see notifyEvent), and
// which of those also go by SMS: the short, important ones.
var smsTemplates = map[string]bool{"approved": true, "rejected": true, "returned": true, "expiring": true, "revoked": true}

// notifyEvent enqueues, in the event's transaction, the messages an
// application's timeline event sends its applicant. The key is the event
// (application, type, time), so the one event sends one message per
// channel and recipient.
func (s *Service) notifyEvent(ctx context.Context, tx Tx, a *Application, e *Event) error {
	key := "app:" + a.ID + ":" + e.Type + ":" + strconv.FormatInt(e.At.UnixMicro(), 10)
	data := map[string]string{"Application": a.ID, "Path": "/applications/" + a.ID}
	tmpl, attachment, smsTmpl := "", "", ""
	switch e.Type {
	case "submitted", "resubmitted", "renewal_submitted", "amendment_submitted":
		tmpl = "submitted"
		data["Due"] = s.day(a.SLADueAt)
	case "operator_confirmed", "operator_disputed", "operator_unanswered":
		tmpl = "operator_check"
		data["Outcome"] = strings.TrimPrefix(e.Type, "operator_")
	case "returned":
		tmpl = "returned"
		data["Note"] = a.ReturnNote
	case "approved":
		r, err := tx.Registration(ctx, a.Registration, false)
		if err != nil {
			return err
		}
		tmpl, attachment = "approved", "certificate:"+r.Number
		if why := s.certificateMissing(r); why != "" {
			attachment, data["NoCertificate"] = "", why // the message says there is none, and why
		}
		data["Number"], data["ValidUntil"] = r.Number, s.day(r.ValidUntil)
		data["Path"] = "/registrations/" + r.Number
		data["Kind"] = string(a.Kind) // a renewal or amendment is worded as such
	case "rejected":
		tmpl = "rejected"
		data["Reason"], data["Note"] = a.ReasonCode, a.DecisionNote
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		data["AppealBy"] = s.day(appealDeadline(set, a))
	case "appeal_upheld", "appeal_overturned":
		// One e-mail per event: the appeal's outcome, which is also the
		// approval (number, certificate) or the return (what to fix) it
		// made; the SMS is the approval's or the return's.
		tmpl = "appeal_decided"
		data["Outcome"] = strings.TrimPrefix(e.Type, "appeal_")
		data["Note"] = e.Note
		data["Kind"] = string(a.Kind)
		switch {
		case e.Type == "appeal_overturned" && a.State == StateApproved && a.Registration != "":
			r, err := tx.Registration(ctx, a.Registration, false)
			if err != nil {
				return err
			}
			attachment = "certificate:" + r.Number
			data["Result"], data["Note"] = "approve", a.DecisionNote
			if why := s.certificateMissing(r); why != "" {
				attachment, data["NoCertificate"] = "", why
			}
			data["Number"], data["ValidUntil"] = r.Number, s.day(r.ValidUntil)
			smsTmpl = "approved"
		case e.Type == "appeal_overturned" && a.State == StateReturned:
			data["Result"], data["Note"] = "return", a.ReturnNote
			smsTmpl = "returned"
		}
	case "items_given_up":
		tmpl = "items_given_up"
		data["Items"] = e.Note
	default:
		return nil
	}
	if smsTmpl == "" && smsTemplates[tmpl] {
		smsTmpl = tmpl
	}
	if _, err := s.notifyAccount(ctx, tx, a.AccountID, key, tmpl, data, false, attachment); err != nil {
		return err
	}
	if smsTmpl == "" {
		return nil
	}
	_, err := s.textAccount(ctx, tx, a.AccountID, key, smsTmpl, data)
	return err
}

// notifyEnd enqueues the message a registration's end sends its holder.
func (s *Service) notifyEnd(ctx context.Context, tx Tx, r *Registration) error {
	tmpl := string(r.Status) // expired, revoked, surrendered
	if r.Status != RegExpired && r.Status != RegRevoked && r.Status != RegSurrendered {
		return nil // an end this part has no message for
	}
	data := map[string]string{"Number": r.Number, "Reason": r.EndReason, "Ended": s.day(r.EndedAt),
		"Path": "/registrations/" + r.Number}
	_, err := s.notifyAccount(ctx, tx, r.AccountID, "reg:"+r.Number+":"+tmpl, tmpl, data, smsTemplates[tmpl], "")
	return err
}

// reminderDays are the thresholds before expiry at which the holder is
// reminded, nearest last.
var reminderDays = []int{30, 7}

// SendReminders reminds holders of active registrations that expire
// within 30 days, and again within 7: once per registration, threshold
// and validity end (the key carries them, so a renewed registration is
// reminded again before its new end). A registration found first inside 7
// days gets only the 7-day reminder. Each is its own transaction, re-read
// under lock; running it on several replicas sends each reminder once.
// It returns how many registrations it newly reminded.
func (s *Service) SendReminders(ctx context.Context) (int, error) {
	var regs []*Registration
	now := s.Now()
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		regs, err = tx.ListRegistrations(ctx, RegFilter{Status: RegActive, ExpiresBefore: now.AddDate(0, 0, reminderDays[0]), Limit: 100000})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("send reminders: %w", err)
	}
	n := 0
	for _, r := range regs {
		err := s.store.Write(ctx, func(tx Tx) error {
			r, err := tx.Registration(ctx, r.Number, true)
			if err != nil || r.Status != RegActive || !r.ValidUntil.After(s.Now()) {
				return err
			}
			days := 0
			for _, d := range reminderDays {
				if r.ValidUntil.Before(s.Now().AddDate(0, 0, d)) {
					days = d
				}
			}
			if days == 0 {
				return nil
			}
			data := map[string]string{"Number": r.Number, "ValidUntil": s.day(r.ValidUntil), "Days": strconv.Itoa(days),
				"Path": "/registrations/" + r.Number}
			key := fmt.Sprintf("reg:%s:expiring%d:%s", r.Number, days, s.day(r.ValidUntil))
			added, err := s.notifyAccount(ctx, tx, r.AccountID, key, "expiring", data, true, "")
			if added > 0 {
				n++
			}
			return err
		})
		if err != nil {
			return n, fmt.Errorf("send reminders: %s: %w", r.Number, err)
		}
	}
	return n, nil
}

// digestLimit bounds the items (applications and appeals) a digest lists.
const digestLimit = 25

// SendDigests mails each enabled reviewer and supervisor, once per day
// (in the registry's time zone; the key carries the date), the list of
// applications past their SLA due time and waiting for the registry (in
// operator check or review) and, to supervisors, who decide them, the
// pending appeals past theirs. Nothing overdue for someone, no digest. It
// returns how many digests it newly enqueued. Items are lines of
// tab-separated cells — kind (application or appeal), id, the appeal's
// application, category code, due time in PKT — that each language's
// template words (category names, plural forms).
func (s *Service) SendDigests(ctx context.Context) (int, error) {
	now := s.Now()
	var overdue []*Application
	var appeals []*Appeal
	appealCat := map[string]Category{}
	var staff []*User
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		overdue, err = tx.ListApplications(ctx, AppFilter{States: []State{StateOperatorCheck, StateReview},
			OverdueBefore: now, OrderBySLA: true, Limit: 1000})
		if err != nil {
			return err
		}
		if appeals, err = tx.ListAppeals(ctx, AppealFilter{OverdueBefore: now, Limit: 1000}); err != nil {
			return err
		}
		for _, ap := range appeals {
			a, err := tx.Application(ctx, ap.ApplicationID, false)
			if err != nil {
				return err
			}
			appealCat[ap.ID] = a.Category
		}
		staff, err = tx.ListUsers(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("send digests: %w", err)
	}
	due := func(t time.Time) string { return t.In(s.calendar.Loc).Format("2006-01-02 15:04") + " PKT" }
	digest := func(withAppeals bool) map[string]string {
		var items []string
		for _, a := range overdue {
			items = append(items, strings.Join([]string{"application", a.ID, "", string(a.Category), due(a.SLADueAt)}, "\t"))
		}
		nAppeals := 0
		if withAppeals {
			nAppeals = len(appeals)
			for _, ap := range appeals {
				items = append(items, strings.Join([]string{"appeal", ap.ID, ap.ApplicationID, string(appealCat[ap.ID]), due(ap.SLADueAt)}, "\t"))
			}
		}
		if len(items) == 0 {
			return nil
		}
		shown := items[:min(len(items), digestLimit)]
		return map[string]string{"Applications": strconv.Itoa(len(overdue)), "Appeals": strconv.Itoa(nAppeals),
			"Count": strconv.Itoa(len(items)), "Items": strings.Join(shown, "\n"),
			"More": strconv.Itoa(len(items) - len(shown)), "Date": s.day(now), "Path": "/review"}
	}
	n := 0
	for _, u := range staff {
		if u.Disabled || !slices.Contains([]Role{RoleReviewer, RoleSupervisor}, u.Role) {
			continue
		}
		data := digest(u.Role == RoleSupervisor)
		if data == nil {
			continue
		}
		if u.Role == RoleSupervisor && len(overdue) == 0 {
			data["Path"] = "/review/overdue"
		}
		err := s.store.Write(ctx, func(tx Tx) error {
			u, err := tx.User(ctx, u.ID)
			if err != nil || u.Disabled {
				return err
			}
			added, err := s.mail(ctx, tx, u, "digest:"+s.day(now), "digest", data, "", "")
			if added {
				n++
			}
			return err
		})
		if err != nil {
			return n, fmt.Errorf("send digests: %w", err)
		}
	}
	return n, nil
}
