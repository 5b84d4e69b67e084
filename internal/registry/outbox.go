package registry

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"maps"
	"math/rand/v2"
	"net/url"
	"strings"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/leonelquinteros/gotext"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/notify"
)

// Messages are Go templates, one per message: messages/en/<name>.tmpl is
// the English and defines "subject", "text" and "html" for e-mail, and
// "sms" for messages that also go by text message; every other language
// is a gettext catalog, messages/<lang>.po, whose entry for a message has
// the message's name as msgctxt, the whole English template as msgid and
// the translated template as msgstr (translators' tools show them side by
// side, and an entry whose English changed no longer matches, so the
// message test names it). Values come from the message's Data; Link is
// filled in at delivery from PublicURL.
//
//go:embed messages
var messageFS embed.FS

// messageLangs are the languages messages are written in.
var messageLangs = []string{"en", "ur"}

// messageSources is the template text of every message in lang: the
// English files, or the entries of messages/<lang>.po whose msgid is the
// English template as it is now (a message without one is left out: it
// goes in English, and TestMessageTemplates fails).
func messageSources(lang string) map[string]string {
	names, err := fs.Glob(messageFS, "messages/en/*.tmpl")
	if err != nil || len(names) == 0 {
		panic(fmt.Sprintf("messages/en: no templates (%v)", err))
	}
	en := map[string]string{}
	for _, n := range names {
		b, err := messageFS.ReadFile(n)
		if err != nil {
			panic(err)
		}
		en[strings.TrimSuffix(n[strings.LastIndex(n, "/")+1:], ".tmpl")] = string(b)
	}
	if lang == "en" {
		return en
	}
	b, err := messageFS.ReadFile("messages/" + lang + ".po")
	if err != nil {
		panic(fmt.Sprintf("messages/%s.po: %v", lang, err))
	}
	po := gotext.NewPo()
	po.Parse(b)
	ctx := po.GetDomain().GetCtxTranslations()
	out := map[string]string{}
	for name, src := range en {
		if tr := ctx[name][src]; tr != nil && tr.IsTranslated() {
			out[name] = tr.Get()
		}
	}
	return out
}

// messageSet holds every message template of one language.
type messageSet struct {
	text map[string]*template.Template
	html map[string]*htmltemplate.Template
}

var messageFuncs = map[string]any{
	// lines splits a value of several lines (a list) into them.
	"lines": func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, "\n")
	},
	// cells splits a line of tab-separated cells (a digest's item: kind,
	// id, application, category, due), padded to five.
	"cells": func(s string) []string {
		c := strings.Split(s, "\t")
		for len(c) < 5 {
			c = append(c, "")
		}
		return c
	},
}

// loadMessages parses every template once; a broken one stops the program
// at start, not at the first message.
func loadMessages() map[string]messageSet {
	out := map[string]messageSet{}
	for _, lang := range messageLangs {
		set := messageSet{text: map[string]*template.Template{}, html: map[string]*htmltemplate.Template{}}
		for name, src := range messageSources(lang) {
			set.text[name] = template.Must(template.New(name).Funcs(messageFuncs).Option("missingkey=zero").Parse(src))
			set.html[name] = htmltemplate.Must(htmltemplate.New(name).Funcs(messageFuncs).Option("missingkey=zero").Parse(src))
		}
		out[lang] = set
	}
	return out
}

var messageTemplates = loadMessages()

// rendered is a message ready for a transport.
type rendered struct {
	Subject, Text, HTML, SMS string
}

// renderMessage renders m in its language for its channel. link is the
// full link the message carries (PublicURL and path, with the secret), or "".
func renderMessage(m *Message, link string) (rendered, error) {
	set, ok := messageTemplates[m.Lang]
	if _, has := set.text[m.Template]; !ok || !has {
		set = messageTemplates["en"] // not translated (yet): English, not nothing
	}
	tt, ok := set.text[m.Template]
	if !ok {
		return rendered{}, fmt.Errorf("no message template %q", m.Template)
	}
	data := map[string]string{}
	for k, v := range m.Data {
		data[k] = v
	}
	data["Link"] = link
	exec := func(name string) (string, error) {
		if tt.Lookup(name) == nil {
			return "", nil
		}
		var b bytes.Buffer
		if err := tt.ExecuteTemplate(&b, name, data); err != nil {
			return "", err
		}
		return strings.TrimSpace(b.String()), nil
	}
	var r rendered
	var err error
	if m.Channel == ChannelSMS {
		if r.SMS, err = exec("sms"); err == nil && r.SMS == "" {
			err = fmt.Errorf("message template %q has no sms text", m.Template)
		}
		return r, err
	}
	if r.Subject, err = exec("subject"); err != nil {
		return r, err
	}
	if r.Text, err = exec("text"); err != nil {
		return r, err
	}
	if ht := set.html[m.Template]; ht.Lookup("html") != nil {
		var b bytes.Buffer
		if err := ht.ExecuteTemplate(&b, "html", data); err != nil {
			return r, err
		}
		r.HTML = strings.TrimSpace(b.String())
	}
	if r.Subject == "" || r.Text == "" {
		return r, fmt.Errorf("message template %q needs a subject and a text", m.Template)
	}
	return r, nil
}

// SMSParts is how many parts of a concatenated SMS text takes: GSM 7-bit
// text 160 characters alone or 153 per part, anything else (Urdu) UCS-2,
// 70 UTF-16 units alone or 67 per part.
func SMSParts(text string) int {
	single, multi, n := 160, 153, 0
	gsm := true
	for _, r := range text {
		if !strings.ContainsRune(gsm7, r) {
			gsm = false
			break
		}
	}
	if gsm {
		for _, r := range text {
			n++
			if strings.ContainsRune(gsm7Ext, r) {
				n++ // escaped
			}
		}
	} else {
		single, multi = 70, 67
		for _, r := range text {
			n++
			if r > 0xFFFF {
				n++ // a surrogate pair
			}
		}
	}
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}

const (
	gsm7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà" +
		gsm7Ext
	gsm7Ext = "^{}\\[~]|€"
)

// outboxLease is how long a worker holds a message it is sending; a worker
// that dies while holding one leaves it to another after this.
const outboxLease = 5 * time.Minute

// outboxBatch bounds the messages one DeliverOutbox run takes.
const outboxBatch = 200

// retryDelay is the wait before attempt+1: a minute, doubling, at most six
// hours, with "equal jitter" (half fixed, half random) so that messages
// failed together do not retry together.
func retryDelay(attempt int) time.Duration {
	d := time.Minute
	for i := 1; i < attempt && d < 6*time.Hour; i++ {
		d *= 2
	}
	d = min(d, 6*time.Hour)
	return d/2 + rand.N(d/2+1)
}

// permanent reports an error a retry cannot cure: one a transport marked
// with notify.Permanent (e.g. a refused recipient), or any error with a
// Permanent() bool method that says so.
func permanent(err error) bool {
	if notify.IsPermanent(err) {
		return true
	}
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// channels are the channels this replica can send on: e-mail with a
// Mailer, SMS with a Texter. A replica claims only messages on these, so
// one started without an SMS gateway leaves texts to one that has it.
func (s *Service) channels() []Channel {
	var out []Channel
	if s.mailer != nil {
		out = append(out, ChannelEmail)
	}
	if s.texter != nil {
		out = append(out, ChannelSMS)
	}
	return out
}

// DeliverOutbox sends the messages that are due: each is claimed with a
// lease (so several workers or replicas never send one message twice
// while its sender lives), rendered, handed to the Mailer or Texter, and
// marked sent; a failure waits retryDelay for the next attempt, and a
// message that has not gone out within the give-up setting is marked
// failed for admins to see. A worker that dies between sending and
// marking leaves that one message to be sent again when its lease ends:
// at most one duplicate per crash. It returns how many it sent.
func (s *Service) DeliverOutbox(ctx context.Context) (int, error) {
	var ids []string
	var set Settings
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		if set, err = tx.Settings(ctx); err != nil {
			return err
		}
		ids, err = tx.DueMessages(ctx, s.channels(), s.Now(), outboxBatch)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deliver outbox: %w", err)
	}
	sent := 0
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		var m *Message
		err := s.store.Write(ctx, func(tx Tx) error {
			var err error
			m, err = tx.ClaimMessage(ctx, id, s.worker, s.channels(), s.Now(), s.Now().Add(outboxLease))
			return err
		})
		if err != nil {
			return sent, fmt.Errorf("deliver outbox: claim %s: %w", id, err)
		}
		if m == nil {
			continue // another worker has it, or sent it
		}
		sendErr := s.sendMessage(ctx, m)
		if sendErr == nil {
			// Mark it even if ctx ended meanwhile (a shutdown): the message
			// went out, and an unmarked one goes again.
			mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			err = s.store.Write(mctx, func(tx Tx) error {
				_, err := tx.MarkMessageSent(mctx, m.ID, s.worker, s.Now())
				return err
			})
			cancel()
			if err != nil {
				// Sent but not marked: when the lease ends it goes again.
				return sent, fmt.Errorf("deliver outbox: mark %s sent: %w", m.ID, err)
			}
			sent++
			continue
		}
		if ctx.Err() != nil {
			return sent, ctx.Err()
		}
		now := s.Now()
		next := now.Add(retryDelay(m.Attempts))
		giveUp := permanent(sendErr) || next.After(m.StartedAt.Add(time.Duration(set.OutboxGiveUpHours)*time.Hour))
		// Transports mask what they quote; the outbox masks again, in
		// case one did not (stored errors show on the admin page and in
		// the log).
		msg := notify.Redact(sendErr.Error())
		if m.Recipient != "" {
			msg = strings.ReplaceAll(msg, m.Recipient, maskRecipient(m.Recipient))
		}
		if len(msg) > 500 {
			msg = msg[:500]
			for !utf8.ValidString(msg) {
				msg = msg[:len(msg)-1]
			}
		}
		s.log.WarnContext(ctx, "outbox: message not sent", "message", m.ID, "template", m.Template, "channel", m.Channel,
			"attempt", m.Attempts, "gave_up", giveUp, "error", msg)
		err = s.store.Write(ctx, func(tx Tx) error {
			_, err := tx.MarkMessageFailed(ctx, m.ID, s.worker, msg, next, giveUp)
			return err
		})
		if err != nil {
			return sent, fmt.Errorf("deliver outbox: mark %s failed: %w", m.ID, err)
		}
	}
	return sent, nil
}

// sendMessage renders m and hands it to its transport.
func (s *Service) sendMessage(ctx context.Context, m *Message) error {
	link := ""
	if p := m.Data["Path"]; p != "" {
		if s.publicURL == "" {
			return errors.New("the message has a link but the server has no public URL (--public-url)")
		}
		link = s.publicURL + p
		if m.Secret != "" {
			link += url.QueryEscape(m.Secret)
		}
	}
	// The attachment is resolved before the text is rendered, so that a
	// message that goes without it says so rather than "attached".
	var attachments []notify.Attachment
	if m.Channel == ChannelEmail && m.Attachment != "" {
		if s.attach == nil {
			return errors.New("the message has an attachment but no attachment source is configured")
		}
		a, err := s.attach(ctx, m.Attachment)
		switch {
		case ErrorCode(err) == ECONFLICT:
			// The file can never be made (a certificate of a registration
			// ended since, or of a name its font cannot show): the message
			// goes without it rather than never, and says so; its link
			// leads to the registration's page, which says why.
			s.log.WarnContext(ctx, "outbox: message sent without its attachment", "message", m.ID, "attachment", m.Attachment, "err", err)
			mm := *m
			mm.Data = maps.Clone(m.Data)
			if mm.Data == nil {
				mm.Data = map[string]string{}
			}
			if mm.Data["NoCertificate"] == "" {
				mm.Data["NoCertificate"] = "ended"
			}
			m = &mm
		case err != nil:
			return fmt.Errorf("attachment %s: %w", m.Attachment, err)
		default:
			attachments = []notify.Attachment{a}
		}
	}
	r, err := renderMessage(m, link)
	if err != nil {
		return permanentError{fmt.Errorf("render %s: %w", m.Template, err)}
	}
	switch m.Channel {
	case ChannelSMS:
		if s.texter == nil {
			return errors.New("no SMS sender is configured")
		}
		return s.texter.SendSMS(ctx, notify.SMS{To: m.Recipient, Text: r.SMS, Lang: m.Lang, MessageID: messageID(m.Key)})
	case ChannelEmail:
		if s.mailer == nil {
			return errors.New("no mail transport is configured")
		}
		e := notify.Email{To: m.Recipient, Subject: r.Subject, Text: r.Text, HTML: r.HTML, Lang: m.Lang, MessageID: messageID(m.Key), Attachments: attachments}
		return s.mailer.SendEmail(ctx, e)
	}
	return permanentError{fmt.Errorf("unknown channel %q", m.Channel)}
}

// messageID is the idempotency key in a form that is a valid left-hand
// side of a Message-ID (RFC 5322 dot-atom text): keys are letters,
// digits, "_", "-" and ":" separators, and ":" is not allowed there.
func messageID(key string) string { return strings.ReplaceAll(key, ":", ".") }

type permanentError struct{ error }

func (e permanentError) Permanent() bool { return true }
func (e permanentError) Unwrap() error   { return e.error }

// enqueue writes one message to the outbox in tx, unless its key is
// there; it reports whether it added it.
func (s *Service) enqueue(ctx context.Context, tx Tx, m *Message) (bool, error) {
	return tx.EnqueueMessage(ctx, s.stamp(m))
}

// stamp gives m, about to be enqueued, its id, creation time and a
// language the templates have, and returns it.
func (s *Service) stamp(m *Message) *Message {
	m.ID, m.CreatedAt = auth.RandomID("msg"), s.Now()
	if m.Lang != "ur" {
		m.Lang = "en"
	}
	return m
}

// mail enqueues an e-mail of tmpl to u under key (the channel and user are
// added to it).
func (s *Service) mail(ctx context.Context, tx Tx, u *User, key, tmpl string, data map[string]string, secret, attachment string) (bool, error) {
	return s.enqueue(ctx, tx, emailMessage(u, key, tmpl, data, secret, attachment))
}

// emailMessage is the e-mail of tmpl to u under key, as mail enqueues it.
func emailMessage(u *User, key, tmpl string, data map[string]string, secret, attachment string) *Message {
	return &Message{Key: key + ":email:" + u.ID, Channel: ChannelEmail, Template: tmpl, Recipient: u.Email,
		Lang: u.Lang, Data: data, Secret: secret, Attachment: attachment}
}

// notifyAccount tells an applicant account: an e-mail to each of its
// enabled users in their language and, with sms, a text message to the
// account's mobile number in its first user's language. It returns how
// many messages it newly enqueued.
func (s *Service) notifyAccount(ctx context.Context, tx Tx, accountID, key, tmpl string, data map[string]string, sms bool, attachment string) (int, error) {
	users, err := tx.AccountUsers(ctx, accountID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range users {
		if u.Disabled {
			continue
		}
		added, err := s.mail(ctx, tx, u, key, tmpl, data, "", attachment)
		if err != nil {
			return n, err
		}
		if added {
			n++
		}
	}
	if !sms {
		return n, nil
	}
	added, err := s.textAccount(ctx, tx, accountID, key, tmpl, data)
	return n + added, err
}

// textAccount enqueues the SMS of template tmpl to the account's mobile
// number, in the language of its first enabled user (none: no SMS), keyed
// key + ":sms" (one per event).
func (s *Service) textAccount(ctx context.Context, tx Tx, accountID, key, tmpl string, data map[string]string) (int, error) {
	// With text messages off (no Texter) none is written: one written
	// now would wait for a replica that sends them, and go out late or
	// never (replicas are meant to share their configuration).
	if s.texter == nil {
		return 0, nil
	}
	users, err := tx.AccountUsers(ctx, accountID)
	if err != nil {
		return 0, err
	}
	lang := ""
	for _, u := range users {
		if !u.Disabled {
			lang = u.Lang
			break
		}
	}
	if lang == "" {
		return 0, nil
	}
	acc, err := tx.Account(ctx, accountID)
	if err != nil || acc.Mobile == "" {
		return 0, err
	}
	added, err := s.enqueue(ctx, tx, &Message{Key: key + ":sms", Channel: ChannelSMS, Template: tmpl, Recipient: acc.Mobile, Lang: lang, Data: data})
	if added {
		return 1, nil
	}
	return 0, err
}

// day formats a moment as a date in the registry's time zone.
func (s *Service) day(t time.Time) string { return t.In(s.calendar.Loc).Format("2006-01-02") }
