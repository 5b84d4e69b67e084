package notify

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"
)

// Flags are ipreg serve's settings for the transports: --mail, --smtp-*,
// --sms and --sms-gateway-*. Passwords and tokens come from a file or an
// environment variable, never from a flag's value (which ps shows).
type Flags struct {
	Mail        string // smtp or log; "": smtp with --smtp-host, log under --demo, otherwise refused
	MailFrom    string
	SMTPHost    string
	SMTPPort    int
	SMTPTLS     string
	SMTPUser    string
	SMTPPwdFile string
	SMTPCAFile  string
	SMTPTimeout time.Duration

	SMS            string // http, log or none; "": http with --sms-gateway-url, log under --demo, otherwise none
	GatewayURL     string
	GatewayMethod  string
	GatewayBody    string
	GatewaySender  string
	GatewayUser    string
	GatewayPwdFile string
	GatewayTokFile string
	GatewayTokHdr  string
	GatewaySuccess string
	GatewayTimeout time.Duration

	// Env looks up the variables that may hold the secrets instead of
	// their files (IPREG_SMTP_PASSWORD, IPREG_SMS_GATEWAY_PASSWORD,
	// IPREG_SMS_GATEWAY_TOKEN); nil for none.
	Env func(string) (string, bool)
}

// The environment variables that may hold secrets.
const (
	EnvSMTPPassword    = "IPREG_SMTP_PASSWORD"
	EnvGatewayPassword = "IPREG_SMS_GATEWAY_PASSWORD"
	EnvGatewayToken    = "IPREG_SMS_GATEWAY_TOKEN"
)

// Register adds the flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Mail, "mail", "", "how e-mail leaves: smtp (through --smtp-host) or log (written to the log, nobody receives it: development only); unset, smtp when --smtp-host is given, log under --demo, and otherwise serve refuses to start")
	fs.StringVar(&f.MailFrom, "mail-from", "", `the sender of every e-mail, e.g. "PTA VPN Registry <noreply@ipreg.example.pk>" (required with smtp)`)
	fs.StringVar(&f.SMTPHost, "smtp-host", "", "the SMTP server that sends e-mail (a submission server or relay)")
	fs.IntVar(&f.SMTPPort, "smtp-port", 0, "the SMTP server's port; unset, 587 for starttls, 465 for implicit, 25 for none")
	fs.StringVar(&f.SMTPTLS, "smtp-tls", TLSStartTLS, "TLS to the SMTP server: starttls (required: a server without it, or with a certificate that does not verify, gets nothing), implicit (TLS from the start, SMTPS) or none (plain text, only to a relay on a trusted network, never with a password)")
	fs.StringVar(&f.SMTPUser, "smtp-user", "", "user name for SMTP AUTH; the password comes from --smtp-password-file or "+EnvSMTPPassword)
	fs.StringVar(&f.SMTPPwdFile, "smtp-password-file", "", "file whose first line is the SMTP password (or put the password itself in "+EnvSMTPPassword+"; never on the command line)")
	fs.StringVar(&f.SMTPCAFile, "smtp-ca-file", "", "PEM file of certificate authorities to trust for the SMTP server besides the system's (a private CA)")
	fs.DurationVar(&f.SMTPTimeout, "smtp-timeout", 30*time.Second, "how long connecting to the SMTP server and each command may take")
	fs.StringVar(&f.SMS, "sms", "", "how text messages leave: http (through --sms-gateway-url), log (written to the log: development only) or none (no text messages); unset, http when --sms-gateway-url is given, log under --demo, otherwise none, with a warning at start")
	fs.StringVar(&f.GatewayURL, "sms-gateway-url", "", "the SMS gateway's URL template, e.g. https://sms.example.pk/send?to={to}&text={text}&from={sender}; {to} {text} {sender} {token} are query-escaped, so put them in the query; any other {placeholder}, or no {to} or {text} in the URL and body together, stops serve at start")
	fs.StringVar(&f.GatewayMethod, "sms-gateway-method", "", "GET or POST; unset, GET without --sms-gateway-body and POST with one")
	fs.StringVar(&f.GatewayBody, "sms-gateway-body", "", `POST body template with the same placeholders: JSON when it starts with { or [ (placeholders JSON-escaped: {"to":"{to}","text":"{text}"}), otherwise a form (to={to}&text={text})`)
	fs.StringVar(&f.GatewaySender, "sms-sender", "", "the sender ID or short code that fills {sender}")
	fs.StringVar(&f.GatewayUser, "sms-gateway-user", "", "user for HTTP basic authentication to the gateway; the password comes from --sms-gateway-password-file or "+EnvGatewayPassword)
	fs.StringVar(&f.GatewayPwdFile, "sms-gateway-password-file", "", "file whose first line is the gateway's basic-authentication password (or "+EnvGatewayPassword+")")
	fs.StringVar(&f.GatewayTokFile, "sms-gateway-token-file", "", "file whose first line is the gateway's API token (or "+EnvGatewayToken+"): it fills {token} where a template has it, otherwise it goes in --sms-gateway-token-header")
	fs.StringVar(&f.GatewayTokHdr, "sms-gateway-token-header", "Authorization", `header that carries the token: Authorization sends "Bearer <token>", any other header the bare token`)
	fs.StringVar(&f.GatewaySuccess, "sms-gateway-success", "", "regular expression the gateway's answer must match, besides a 2xx status (e.g. ^OK); unset, any 2xx is success")
	fs.DurationVar(&f.GatewayTimeout, "sms-gateway-timeout", 15*time.Second, "how long one request to the gateway may take")
}

// Transports are what Build made. Texter is nil when text messages are
// off (--sms none): the outbox then writes no text messages.
type Transports struct {
	Mailer Mailer
	Texter Texter
}

// Build checks the settings and makes the transports. demo is serve's
// --demo: the only case in which a transport falls back to the log
// unasked, and the only one in which the log shows whole texts. It
// refuses, with the flags to give, to start without an e-mail transport.
func (f *Flags) Build(demo bool, log *slog.Logger) (Transports, error) {
	var t Transports
	var err error
	if t.Mailer, err = f.mailer(demo, log); err != nil {
		return t, err
	}
	if t.Texter, err = f.texter(demo, log); err != nil {
		return t, err
	}
	return t, nil
}

func (f *Flags) mailer(demo bool, log *slog.Logger) (Mailer, error) {
	mode := f.Mail
	if mode == "" {
		switch {
		case f.SMTPHost != "":
			mode = "smtp"
		case demo:
			mode = "log"
		default:
			return nil, errors.New("no way to send e-mail: give --smtp-host (IPREG_SMTP_HOST) and --mail-from to send through an SMTP server, or --mail log to only write e-mails to the log (development: nobody receives them, and password-reset and verification mails are lost)")
		}
	}
	switch mode {
	case "log":
		if f.SMTPHost != "" {
			return nil, errors.New("--mail log and --smtp-host contradict each other: drop one")
		}
		log.Warn("e-mail is not sent: it is written to the log (--mail log)", "whole_text", demo)
		return LogMailer{Log: log, Full: demo}, nil
	case "smtp":
		if f.SMTPHost == "" {
			return nil, errors.New("--mail smtp needs --smtp-host (IPREG_SMTP_HOST)")
		}
		if f.MailFrom == "" {
			return nil, errors.New("--mail-from is required to send e-mail, e.g. --mail-from \"PTA VPN Registry <noreply@ipreg.example.pk>\"")
		}
		pw, err := secret("--smtp-password-file", f.SMTPPwdFile, EnvSMTPPassword, f.Env)
		if err != nil {
			return nil, err
		}
		if f.SMTPUser != "" && pw == "" {
			return nil, fmt.Errorf("--smtp-user needs a password: put it in a file named by --smtp-password-file, or in %s", EnvSMTPPassword)
		}
		if f.SMTPUser == "" && pw != "" {
			return nil, errors.New("an SMTP password is set but no --smtp-user")
		}
		tc, err := caConfig(f.SMTPCAFile)
		if err != nil {
			return nil, err
		}
		m, err := NewSMTP(SMTPConfig{Host: f.SMTPHost, Port: f.SMTPPort, TLS: f.SMTPTLS, TLSConfig: tc,
			User: f.SMTPUser, Password: pw, From: f.MailFrom, Timeout: f.SMTPTimeout})
		if err != nil {
			return nil, flagError(err)
		}
		log.Info("e-mail goes through "+m.String(), "from", f.MailFrom, "auth", f.SMTPUser != "")
		return m, nil
	}
	return nil, fmt.Errorf("--mail %q: use smtp or log", mode)
}

func (f *Flags) texter(demo bool, log *slog.Logger) (Texter, error) {
	mode := f.SMS
	if mode == "" {
		switch {
		case f.GatewayURL != "":
			mode = "http"
		case demo:
			mode = "log"
		default:
			log.Warn("text messages are off: give --sms-gateway-url to send them through an SMS gateway, or --sms none to say they are meant to be off")
			return nil, nil
		}
	}
	switch mode {
	case "none", "log":
		if f.GatewayURL != "" {
			return nil, fmt.Errorf("--sms %s and --sms-gateway-url contradict each other: drop one", mode)
		}
		if mode == "none" {
			log.Info("text messages are off (--sms none)")
			return nil, nil
		}
		log.Warn("text messages are not sent: they are written to the log (--sms log)", "whole_text", demo)
		return LogTexter{Log: log, Full: demo}, nil
	case "http":
		if f.GatewayURL == "" {
			return nil, errors.New("--sms http needs --sms-gateway-url")
		}
		pw, err := secret("--sms-gateway-password-file", f.GatewayPwdFile, EnvGatewayPassword, f.Env)
		if err != nil {
			return nil, err
		}
		tok, err := secret("--sms-gateway-token-file", f.GatewayTokFile, EnvGatewayToken, f.Env)
		if err != nil {
			return nil, err
		}
		if f.GatewayUser != "" && pw == "" {
			return nil, fmt.Errorf("--sms-gateway-user needs a password: put it in a file named by --sms-gateway-password-file, or in %s", EnvGatewayPassword)
		}
		tx, err := NewHTTPTexter(GatewayConfig{URL: f.GatewayURL, Method: strings.ToUpper(f.GatewayMethod), Body: f.GatewayBody,
			Sender: f.GatewaySender, User: f.GatewayUser, Password: pw, Token: tok, TokenHeader: f.GatewayTokHdr,
			Success: f.GatewaySuccess, Timeout: f.GatewayTimeout})
		if err != nil {
			return nil, flagError(err)
		}
		log.Info("text messages go through the " + tx.String())
		return tx, nil
	}
	return nil, fmt.Errorf("--sms %q: use http, log or none", mode)
}

// flagError prefixes a transport's configuration error with where to look.
func flagError(err error) error {
	return fmt.Errorf("%w (see ipreg serve --help)", err)
}

// secret reads a password or token from the first line of file (a UTF-8
// BOM and the line end are not part of it, spaces are) or, with
// no file, from the environment variable; "" when neither is set. Both
// set is refused: one of them would silently lose.
func secret(flagName, file, envName string, env func(string) (string, bool)) (string, error) {
	var fromEnv string
	var inEnv bool
	if env != nil {
		fromEnv, inEnv = env(envName)
		inEnv = inEnv && fromEnv != ""
	}
	if file == "" {
		return fromEnv, nil
	}
	if inEnv {
		return "", fmt.Errorf("both %s and %s are set: keep one", flagName, envName)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flagName, err)
	}
	line, _, _ := strings.Cut(strings.TrimPrefix(string(b), "\uFEFF"), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", fmt.Errorf("%s: %s has an empty first line; put the secret there", flagName, file)
	}
	return line, nil
}

// caConfig trusts the system's roots and the certificates in file.
func caConfig(file string) (*tls.Config, error) {
	if file == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--smtp-ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--smtp-ca-file: %s holds no PEM certificate", file)
	}
	return &tls.Config{RootCAs: pool}, nil
}
