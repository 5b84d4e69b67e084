package registry

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// OutboxEntry is what admins see of an outbox message: never its values
// or body (a reset or verification link would hand over an account), and
// the recipient masked.
type OutboxEntry struct {
	ID         string       `json:"id"`
	Channel    Channel      `json:"channel"`
	Template   string       `json:"template"`
	Recipient  string       `json:"recipient"` // masked: a***@example.pk, 92300****567
	Lang       string       `json:"lang"`
	State      MessageState `json:"state"`
	Attempts   int          `json:"attempts"`
	LastError  string       `json:"last_error,omitempty"`
	Attachment string       `json:"attachment,omitempty"`
	CreatedAt  time.Time    `json:"created_at"`
	NextAt     *time.Time   `json:"next_attempt_at,omitempty"` // pending only
	SentAt     *time.Time   `json:"sent_at,omitempty"`
}

// maskRecipient keeps enough of an address or number to tell messages
// apart, not enough to read it off the admin page.
func maskRecipient(r string) string {
	if at := strings.LastIndexByte(r, '@'); at > 0 {
		return r[:1] + "***" + r[at:]
	}
	if len(r) > 8 {
		return r[:5] + strings.Repeat("*", len(r)-8) + r[len(r)-3:]
	}
	return "***"
}

func outboxEntry(m *Message) OutboxEntry {
	e := OutboxEntry{ID: m.ID, Channel: m.Channel, Template: m.Template, Recipient: maskRecipient(m.Recipient), Lang: m.Lang,
		State: m.State, Attempts: m.Attempts, LastError: m.LastError, Attachment: m.Attachment, CreatedAt: m.CreatedAt}
	if m.State == MessagePending {
		t := m.NextAt
		e.NextAt = &t
	}
	if !m.SentAt.IsZero() {
		t := m.SentAt
		e.SentAt = &t
	}
	return e
}

// ListOutbox lists outbox messages in state (pending, failed or sent; ""
// for all), newest first, at most 500: for admins.
func (s *Service) ListOutbox(ctx context.Context, actor *User, state string) ([]OutboxEntry, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	switch MessageState(state) {
	case "", MessagePending, MessageFailed, MessageSent:
	default:
		return nil, FieldErrors{"state": `must be "pending", "failed" or "sent", or left out for all`}.Err()
	}
	var ms []*Message
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		ms, err = tx.ListMessages(ctx, MessageState(state), 500)
		return err
	})
	out := make([]OutboxEntry, len(ms))
	for i, m := range ms {
		out[i] = outboxEntry(m)
	}
	return out, err
}

// ResendOutbox puts a failed message back in the queue, due now, with the
// give-up time counted afresh: for admins, after the cause is fixed.
// ECONFLICT for a message that is not failed.
func (s *Service) ResendOutbox(ctx context.Context, actor *User, id string) (OutboxEntry, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return OutboxEntry{}, err
	}
	var m *Message
	err := s.store.Write(ctx, func(tx Tx) error {
		var err error
		if m, err = tx.ResendMessage(ctx, id, s.Now()); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "outbox.resend", "message", id, map[string]string{"template": m.Template})
	})
	if err != nil {
		return OutboxEntry{}, err
	}
	return outboxEntry(m), nil
}

// OutboxCounts counts outbox messages by state and channel, for metrics.
func (s *Service) OutboxCounts(ctx context.Context) ([]MessageCount, error) {
	var out []MessageCount
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = tx.CountMessages(ctx)
		return err
	})
	return out, err
}

// PurgeOutbox deletes the records of messages sent more than the
// outbox_keep_days setting ago, in batches of 1000, each its own
// transaction (safe on several replicas). Pending and failed messages stay.
// It returns how many it deleted.
func (s *Service) PurgeOutbox(ctx context.Context) (int, error) {
	total := 0
	for {
		var n int
		err := s.store.Write(ctx, func(tx Tx) error {
			set, err := tx.Settings(ctx)
			if err != nil {
				return err
			}
			n, err = tx.DeleteSentMessages(ctx, s.Now().AddDate(0, 0, -set.OutboxKeepDays), 1000)
			return err
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("purge outbox: %w", err)
		}
		if n < 1000 {
			return total, nil
		}
	}
}
