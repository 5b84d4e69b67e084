package notify

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"unicode/utf8"
)

// LogMailer writes e-mails to the log instead of sending them: for the
// demo and development (ipreg serve --demo, or --mail log). It logs the
// recipient masked, the subject, language, lengths and attachments. With
// Full (the demo only) it logs the whole text too, so that a developer
// can follow the links in it; a text may hold a password-reset link, so
// Full must never be on where real people have accounts.
type LogMailer struct {
	Log  *slog.Logger
	Full bool
}

// SendEmail logs m; it never fails.
func (l LogMailer) SendEmail(ctx context.Context, m Email) error {
	attrs := []any{"to", MaskEmail(m.To), "subject", m.Subject, "lang", m.Lang,
		"text_chars", utf8.RuneCountInString(m.Text), "html", m.HTML != "", "message_id", m.MessageID}
	if len(m.Attachments) > 0 {
		var as []string
		for _, a := range m.Attachments {
			as = append(as, fmt.Sprintf("%s (%s, %d bytes)", a.Name, a.ContentType, len(a.Data)))
		}
		attrs = append(attrs, "attachments", strings.Join(as, ", "))
	}
	if l.Full {
		attrs = append(attrs, "text", m.Text)
	}
	l.Log.InfoContext(ctx, "e-mail not sent, logged instead (--mail log)", attrs...)
	return nil
}

// LogTexter writes text messages to the log instead of sending them;
// Full as for LogMailer.
type LogTexter struct {
	Log  *slog.Logger
	Full bool
}

// SendSMS logs m; it never fails.
func (l LogTexter) SendSMS(ctx context.Context, m SMS) error {
	parts, ucs2 := SMSParts(m.Text)
	attrs := []any{"to", MaskMobile(m.To), "lang", m.Lang, "chars", utf8.RuneCountInString(m.Text),
		"parts", parts, "ucs2", ucs2, "message_id", m.MessageID}
	if l.Full {
		attrs = append(attrs, "text", m.Text)
	}
	l.Log.InfoContext(ctx, "text message not sent, logged instead (--sms log)", attrs...)
	return nil
}

// MaskEmail hides most of an address's local part: "ali.khan@example.pk"
// becomes "a***@example.pk". Enough to tell messages apart in a log, not
// enough to harvest addresses from it.
func MaskEmail(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 {
		return "***"
	}
	r, _ := utf8.DecodeRuneInString(addr)
	return string(r) + "***" + addr[at:]
}

// MaskMobile keeps a mobile number's country and network prefix and its
// last two digits: "923001234567" becomes "92300*****67".
func MaskMobile(n string) string {
	if len(n) < 8 {
		return strings.Repeat("*", len(n))
	}
	return n[:5] + strings.Repeat("*", len(n)-7) + n[len(n)-2:]
}

var (
	emailInText = regexp.MustCompile(`[^\s<>()\[\]"',;:]+@[A-Za-z0-9.-]+`)
	// digitsInText and mobileNumber: a Pakistani mobile number as
	// gateways and servers write it, 92XXXXXXXXXX, +92XXXXXXXXXX or
	// 03XXXXXXXXX, a whole run of digits.
	digitsInText = regexp.MustCompile(`\+?[0-9]+`)
	mobileNumber = regexp.MustCompile(`^(\+?923[0-9]{9}|03[0-9]{9})$`)
)

// Redact masks every e-mail address (MaskEmail) and mobile number
// (MaskMobile) in s, an error text from a mail server or SMS gateway that
// may quote the recipient, so that the outbox, its admin page and the log
// keep the error without the address.
func Redact(s string) string {
	s = emailInText.ReplaceAllStringFunc(s, MaskEmail)
	return digitsInText.ReplaceAllStringFunc(s, func(d string) string {
		if mobileNumber.MatchString(d) {
			return MaskMobile(d)
		}
		return d
	})
}

// redacted is an error whose text is Redact'ed; it still wraps the
// original, for errors.Is/As (Permanent, go-mail's SendError).
type redacted struct{ err error }

func (r redacted) Error() string { return Redact(r.err.Error()) }
func (r redacted) Unwrap() error { return r.err }

// RedactError is err with its text Redact'ed (nil for nil).
func RedactError(err error) error {
	if err == nil {
		return nil
	}
	return redacted{err}
}
