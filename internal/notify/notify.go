// Package notify carries messages to people: e-mail over SMTP and text
// messages (SMS) through an HTTP gateway, or to the log where a deployment
// has chosen that. It knows nothing of the registry: the registry's outbox
// decides what to say and when, renders it, and hands a finished Email or
// SMS to a Mailer or Texter here.
package notify

import (
	"context"
	"errors"
)

// Email is one finished e-mail. Text is required; HTML, when set, is sent
// as the alternative part (multipart/alternative). Lang is the BCP 47 tag
// of the body ("en" or "ur"); an Urdu HTML body carries dir="rtl" itself.
type Email struct {
	To          string // one address
	Subject     string
	Text        string
	HTML        string
	Lang        string
	Attachments []Attachment
	// MessageID, when set, is the stable identity of the message
	// (the outbox's idempotency key), used as the Message-ID header so a
	// resend after a crash is recognisable as the same message.
	MessageID string
}

// Attachment is a file sent with an e-mail.
type Attachment struct {
	Name        string // file name shown to the recipient, e.g. "VPN-2026-000123.pdf"
	ContentType string // e.g. "application/pdf"
	Data        []byte
}

// SMS is one finished text message to a Pakistani mobile number in the
// registry's canonical form (92XXXXXXXXXX).
type SMS struct {
	To   string
	Text string
	Lang string
	// MessageID as for Email: the outbox's idempotency key.
	MessageID string
}

// Mailer sends e-mail. An error means the message may not have been
// accepted and the caller should retry it later; Permanent(err) marks an
// error that a retry cannot cure (a refused recipient).
type Mailer interface {
	SendEmail(ctx context.Context, m Email) error
}

// Texter sends text messages; errors as for Mailer.
type Texter interface {
	SendSMS(ctx context.Context, m SMS) error
}

// permanentError marks an error a retry cannot cure.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent says so to callers that test for the method rather than
// import this package's IsPermanent.
func (e *permanentError) Permanent() bool { return true }

// Permanent marks err as one that a retry cannot cure (a refused
// recipient, a message the server will never take), so the outbox gives
// the message up at once instead of retrying it. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked by
// Permanent. Any other error is temporary: retry later.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}
