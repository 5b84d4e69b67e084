package registry

import "time"

// Channel is how a message reaches a person.
type Channel string

const (
	ChannelEmail Channel = "email"
	ChannelSMS   Channel = "sms"
)

// MessageState is where an outbox message stands.
type MessageState string

const (
	MessagePending MessageState = "pending" // waiting for (another) attempt
	MessageSent    MessageState = "sent"
	MessageFailed  MessageState = "failed" // given up; an admin may resend it
)

// Message is one notification in the outbox: what to send (a template and
// its values, in a language), to whom, over which channel, and how its
// delivery stands. It is rendered when it is sent.
type Message struct {
	ID        string
	Key       string // idempotency key: one message per event and channel
	Channel   Channel
	Template  string // a file name under messages/<lang>/, without .tmpl
	Recipient string // e-mail address or 92XXXXXXXXXX
	Lang      string // en or ur
	Data      map[string]string
	// Secret is a one-time link token the message carries (reset,
	// verification); the store clears it once the message is sent, and
	// nothing shows it to admins.
	Secret string
	// Attachment refers to a file the worker attaches, resolved through
	// Config.Attach, e.g. "certificate:VPN-2026-000123".
	Attachment string
	State      MessageState
	Attempts   int
	NextAt     time.Time // next attempt, when pending
	LeaseOwner string    // the worker sending it now
	LeaseUntil time.Time // until when that worker holds it
	LastError  string
	CreatedAt  time.Time
	StartedAt  time.Time // creation or the last resend: giving up counts from here
	SentAt     time.Time
}

// MessageCount is how many messages are in a state on a channel.
type MessageCount struct {
	State   MessageState
	Channel Channel
	N       int
}
