package registry

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
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
	tmpl, attachment := "", ""
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
		data["AppealBy"] = s.day(a.DecidedAt.AddDate(0, 0, set.AppealDays))
	case "appeal_upheld", "appeal_overturned":
		tmpl = "appeal_decided"
		data["Outcome"] = strings.TrimPrefix(e.Type, "appeal_")
		data["Note"] = e.Note
		if a.State == StateApproved && a.Registration != "" {
			// Approved on appeal: the message is the approval too, with
			// its certificate.
			r, err := tx.Registration(ctx, a.Registration, false)
			if err != nil {
				return err
			}
			attachment = "certificate:" + r.Number
			if why := s.certificateMissing(r); why != "" {
				attachment, data["NoCertificate"] = "", why
			}
			data["Number"], data["ValidUntil"] = r.Number, s.day(r.ValidUntil)
		}
	case "items_given_up":
		tmpl = "items_given_up"
		data["Items"] = e.Note
	default:
		return nil
	}
	_, err := s.notifyAccount(ctx, tx, a.AccountID, key, tmpl, data, smsTemplates[tmpl], attachment)
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

// digestLimit bounds the applications a digest lists by id.
const digestLimit = 25

// SendDigests mails each enabled reviewer and supervisor, once per day
// (in the registry's time zone; the key carries the date), the list of
// applications past their SLA due time and waiting for the registry (in
// operator check or review). No overdue applications, no digest. It
// returns how many digests it newly enqueued.
func (s *Service) SendDigests(ctx context.Context) (int, error) {
	now := s.Now()
	var overdue []*Application
	var staff []*User
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		overdue, err = tx.ListApplications(ctx, AppFilter{States: []State{StateOperatorCheck, StateReview},
			OverdueBefore: now, OrderBySLA: true, Limit: 1000})
		if err != nil {
			return err
		}
		staff, err = tx.ListUsers(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("send digests: %w", err)
	}
	if len(overdue) == 0 {
		return 0, nil
	}
	var items []string
	for _, a := range overdue[:min(len(overdue), digestLimit)] {
		items = append(items, a.ID+" ("+string(a.Category)+"), due "+a.SLADueAt.In(s.calendar.Loc).Format("2006-01-02 15:04"))
	}
	data := map[string]string{"Count": strconv.Itoa(len(overdue)), "Items": strings.Join(items, "\n"),
		"More": strconv.Itoa(len(overdue) - len(items)), "Date": s.day(now), "Path": "/review"}
	n := 0
	for _, u := range staff {
		if u.Disabled || !slices.Contains([]Role{RoleReviewer, RoleSupervisor}, u.Role) {
			continue
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
