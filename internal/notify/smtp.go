package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/wneessen/go-mail"
)

// TLS modes of an SMTP connection.
const (
	// TLSStartTLS connects in plain text and upgrades with STARTTLS
	// before anything else is said; a server that does not offer
	// STARTTLS, or whose certificate does not verify, gets nothing.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit = "implicit"
	// TLSNone never encrypts: only for a relay on the same host or a
	// trusted network, and never with a password.
	TLSNone = "none"
)

// DefaultSMTPPort is the port each TLS mode uses when none is given.
func DefaultSMTPPort(mode string) int {
	switch mode {
	case TLSImplicit:
		return 465
	case TLSNone:
		return 25
	}
	return 587
}

// SMTPConfig configures an SMTPMailer.
type SMTPConfig struct {
	Host string
	Port int    // 0: DefaultSMTPPort(TLS)
	TLS  string // TLSStartTLS (default), TLSImplicit or TLSNone
	// TLSConfig verifies the server; nil uses the system's roots and
	// Host as the name. Its minimum version is raised to TLS 1.2.
	TLSConfig *tls.Config
	// User and Password for SMTP AUTH (the strongest mechanism both
	// sides support); both empty for none. The password is never logged
	// nor put in an error.
	User, Password string
	// From is the sender, "Name <address>" or a bare address.
	From string
	// Timeout bounds connecting and each command; 0 means 30 seconds.
	Timeout time.Duration
}

// SMTPMailer sends e-mail through an SMTP server, one connection per
// message. The outbox sends few messages, one at a time, minutes or hours
// apart; a pooled connection would mostly sit idle until the server
// closed it, and every send would first have to find out whether it
// still works. A fresh connection per message costs one handshake and
// keeps each message's errors its own. It is safe for concurrent use.
type SMTPMailer struct {
	client *mail.Client
	from   *netmail.Address
	domain string // for Message-IDs: the From address's domain
	desc   string
}

// NewSMTP checks cfg and returns a mailer. It does not connect.
func NewSMTP(cfg SMTPConfig) (*SMTPMailer, error) {
	if cfg.Host == "" {
		return nil, errors.New("smtp: no host")
	}
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultSMTPPort(cfg.TLS)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("smtp: port %d: use a number from 1 to 65535", cfg.Port)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("smtp: timeout %s: must be positive", cfg.Timeout)
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil || cfg.From == "" {
		return nil, fmt.Errorf("smtp: sender %q is not an e-mail address; write it as noreply@example.pk or \"PTA VPN Registry <noreply@example.pk>\"", cfg.From)
	}
	if (cfg.User == "") != (cfg.Password == "") {
		return nil, errors.New("smtp: a user needs a password and a password a user; give both or neither")
	}
	tc := cfg.TLSConfig
	if tc == nil {
		tc = &tls.Config{}
	} else {
		tc = tc.Clone()
	}
	if tc.ServerName == "" {
		tc.ServerName = cfg.Host
	}
	if tc.MinVersion < tls.VersionTLS12 {
		tc.MinVersion = tls.VersionTLS12
	}
	opts := []mail.Option{mail.WithPort(cfg.Port), mail.WithTimeout(cfg.Timeout), mail.WithTLSConfig(tc)}
	switch cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	case TLSNone:
		if cfg.User != "" {
			return nil, errors.New("smtp: TLS mode none with a user would send the password in clear; use starttls or implicit")
		}
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		return nil, fmt.Errorf("smtp: TLS mode %q: use starttls, implicit or none", cfg.TLS)
	}
	if cfg.User != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(cfg.User), mail.WithPassword(cfg.Password))
	}
	c, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	domain := from.Address[strings.LastIndexByte(from.Address, '@')+1:]
	return &SMTPMailer{client: c, from: from, domain: domain,
		desc: fmt.Sprintf("smtp %s:%d (%s)", cfg.Host, cfg.Port, cfg.TLS)}, nil
}

// String names the server and TLS mode, for the start-up log.
func (s *SMTPMailer) String() string { return s.desc }

// SendEmail sends m. A recipient or message the server refuses with a 5xx
// reply, or a message that cannot be built (a malformed address), is a
// Permanent error; anything else (no connection, TLS, authentication, a
// 4xx reply, a refused sender) may pass or be fixed by the administrators
// and is worth retrying.
func (s *SMTPMailer) SendEmail(ctx context.Context, m Email) error {
	msg, err := s.message(m)
	if err != nil {
		return Permanent(RedactError(fmt.Errorf("smtp: %w", err)))
	}
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil {
		return classifySMTP(err)
	}
	return nil
}

func (s *SMTPMailer) message(m Email) (*mail.Msg, error) {
	if m.Text == "" {
		return nil, errors.New("message has no text")
	}
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	// A subject or file name is one header line: a line break in one
	// (from a name someone typed) must not start a header of its own.
	msg.Subject(oneLine(m.Subject))
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(MessageID(m.MessageID, s.domain))
	} else {
		msg.SetMessageID()
	}
	if m.Lang != "" {
		if !langTag.MatchString(m.Lang) {
			return nil, fmt.Errorf("language %q is not a language tag such as en or ur", m.Lang)
		}
		msg.SetGenHeader(mail.HeaderContentLang, m.Lang)
	}
	// Automatic mail: no out-of-office replies, please.
	msg.SetGenHeader(mail.HeaderXAutoResponseSuppress, "All")
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		if err := msg.AttachReader(oneLine(a.Name), bytes.NewReader(a.Data), mail.WithFileContentType(mail.ContentType(oneLine(ct)))); err != nil {
			return nil, fmt.Errorf("attachment %q: %w", a.Name, err)
		}
	}
	return msg, nil
}

var langTag = regexp.MustCompile(`^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$`)

// oneLine turns line breaks and other control characters into spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// MessageID is the Message-ID (without angle brackets) of the message
// whose outbox key is key, sent from domain: the same key gives the same
// ID, so a message sent again after a crash is recognisably the same one.
// Characters not allowed in a Message-ID become "-".
func MessageID(key, domain string) string {
	b := []byte("ipreg.")
	for _, c := range []byte(key) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '+', c == '=':
			b = append(b, c)
		default:
			b = append(b, '-')
		}
	}
	return string(b) + "@" + domain
}

// classifySMTP marks the errors no retry can cure. go-mail's errors quote
// the affected recipients and message ID: their text is Redact'ed.
func classifySMTP(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
		switch se.Reason {
		case mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose:
			return Permanent(RedactError(fmt.Errorf("smtp: refused: %w", err)))
		}
	}
	return RedactError(fmt.Errorf("smtp: %w", err))
}
