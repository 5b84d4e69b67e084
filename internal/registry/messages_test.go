package registry

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/leonelquinteros/gotext"
)

// Every message renders in both languages with long, realistic values;
// each SMS stays within 2 parts (Urdu is UCS-2: 70 characters, 67 per part
// when concatenated); Urdu HTML is right-to-left.
func TestMessageTemplates(t *testing.T) {
	names := map[string][]string{}
	for _, lang := range messageLangs {
		names[lang] = slices.Sorted(maps.Keys(messageSources(lang)))
	}
	if len(names["en"]) < 10 {
		t.Fatalf("only %d English messages; the templates did not load", len(names["en"]))
	}
	for _, lang := range messageLangs[1:] {
		if !slices.Equal(names["en"], names[lang]) {
			t.Fatalf("English messages %v, %s messages %v: each needs both (TestMessageCatalogs says which)", names["en"], lang, names[lang])
		}
	}
	long := strings.Repeat("The subscriber ID on the form does not match the operator's records; attach the latest bill. ", 10) + `<img src=x onerror="alert(1)">`
	data := map[string]string{"Application": "app_7zq4xk2m9w3hvb6t", "Number": "VPN-2026-1234567", "ValidUntil": "2027-11-23",
		"Due": "2026-11-24", "AppealBy": "2026-12-23", "Ended": "2027-11-23", "Days": "30", "Hours": "48", "Outcome": "disputed",
		"Reason": "insufficient_purpose", "Note": long, "Items": "14.1.104.0/24\n2400:fc00:8000::/48\n923001234567",
		"Count": "137", "More": "112", "Date": "2026-11-24", "Path": "/applications/app_7zq4xk2m9w3hvb6t"}
	link := "https://vpn-registry.pta.gov.pk/password/reset?token=" + strings.Repeat("x", 43)
	smsSeen := map[string]bool{}
	// Without a certificate: each reason, worded instead of "attached".
	noCert := map[string]map[string]string{"": data}
	for _, why := range []string{"name", "ended"} {
		d := maps.Clone(data)
		d["NoCertificate"] = why
		noCert[why] = d
	}
	for _, lang := range messageLangs {
		for _, name := range names[lang] {
			for why, data := range noCert {
				if why != "" && name != "approved" && name != "appeal_decided" {
					continue
				}
				t.Run(lang+"/"+name+"/"+why, func(t *testing.T) {
					m := &Message{Template: name, Lang: lang, Channel: ChannelEmail, Data: data}
					if r, err := renderMessage(m, ""); err == nil && why != "" {
						attached := map[string]string{"en": "certificate is attached", "ur": "سرٹیفکیٹ ساتھ منسلک ہے"}[lang]
						if strings.Contains(r.Text, attached) || strings.Contains(r.HTML, attached) {
							t.Errorf("without a certificate (%s) the message still says it is attached:\n%s", why, r.Text)
						}
					}
					r, err := renderMessage(m, link)
					if err != nil {
						t.Fatal(err)
					}
					for part, v := range map[string]string{"subject": r.Subject, "text": r.Text, "html": r.HTML} {
						if strings.Contains(v, "<no value>") || v == "" {
							t.Errorf("%s is empty or misses a value: %q", part, v)
						}
					}
					if strings.Contains(r.HTML, "<img") {
						t.Errorf("a value's markup reached the HTML unescaped")
					}
					if strings.ContainsAny(r.Subject, "\r\n") {
						t.Errorf("subject has a line break: %q", r.Subject)
					}
					if !strings.Contains(r.Text, link) || !strings.Contains(r.HTML, `href="`+strings.ReplaceAll(link, "&", "&amp;")+`"`) {
						t.Errorf("the link is missing from the text or HTML")
					}
					wantDir := map[string]string{"en": `dir="ltr"`, "ur": `dir="rtl"`}[lang]
					if !strings.Contains(r.HTML, `lang="`+lang+`" `+wantDir) {
						t.Errorf("HTML does not declare lang=%q %s", lang, wantDir)
					}
					if lang == "ur" && strings.Contains(r.HTML, "<p>"+data["Application"]) {
						t.Errorf("an id starts a right-to-left paragraph unisolated")
					}
					m.Channel = ChannelSMS
					r, err = renderMessage(m, link)
					if err != nil {
						if smsTemplates[name] {
							t.Fatalf("%s should go by SMS: %v", name, err)
						}
						return
					}
					smsSeen[name] = true
					if !smsTemplates[name] {
						t.Errorf("%s has an SMS text but is not sent by SMS (smsTemplates)", name)
					}
					if n := SMSParts(r.SMS); n > 2 {
						t.Errorf("SMS takes %d parts, want at most 2: %q (%d characters)", n, r.SMS, len([]rune(r.SMS)))
					}
					if strings.Contains(r.SMS, "<no value>") {
						t.Errorf("SMS misses a value: %q", r.SMS)
					}
					if why != "" && (strings.Contains(r.SMS, "e-mail") || strings.Contains(r.SMS, "ای میل")) {
						t.Errorf("without a certificate the SMS still points to the e-mail: %q", r.SMS)
					}
				})
			}
		}
	}
	if got := slices.Sorted(maps.Keys(smsSeen)); !slices.Equal(got, slices.Sorted(maps.Keys(smsTemplates))) {
		t.Errorf("templates with SMS texts %v, want %v", got, slices.Sorted(maps.Keys(smsTemplates)))
	}
}

func TestSMSParts(t *testing.T) {
	for _, tt := range []struct {
		text string
		want int
	}{
		{strings.Repeat("a", 160), 1},
		{strings.Repeat("a", 161), 2},
		{strings.Repeat("a", 306), 2},
		{strings.Repeat("a", 307), 3},
		{strings.Repeat("€", 80), 1}, // escaped: two septets each
		{strings.Repeat("€", 81), 2},
		{strings.Repeat("ب", 70), 1},
		{strings.Repeat("ب", 71), 2},
		{strings.Repeat("ب", 134), 2},
		{strings.Repeat("ب", 135), 3},
		{"VPN رجسٹری", 1},
	} {
		if got := SMSParts(tt.text); got != tt.want {
			t.Errorf("SMSParts(%d × %q) = %d, want %d", len([]rune(tt.text)), []rune(tt.text)[0], got, tt.want)
		}
	}
}

func TestRetryDelay(t *testing.T) {
	for attempt, want := range map[int]struct{ lo, hi float64 }{1: {0.5, 1}, 2: {1, 2}, 3: {2, 4}, 20: {180, 360}} {
		for range 50 {
			d := retryDelay(attempt).Minutes()
			if d < want.lo || d > want.hi {
				t.Fatalf("retryDelay(%d) = %.1f min, want between %.1f and %.1f", attempt, d, want.lo, want.hi)
			}
		}
	}
}

func TestMaskRecipient(t *testing.T) {
	for in, want := range map[string]string{"alice@example.pk": "a***@example.pk", "923001234567": "92300****567", "x": "***"} {
		if got := maskRecipient(in); got != want {
			t.Errorf("maskRecipient(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every language's catalog holds each message for its English as it is
// now: an entry whose English template changed since it was translated
// (or a message no one translated yet) is named, so that a change to the
// English cannot leave the translation silently behind.
func TestMessageCatalogs(t *testing.T) {
	en := messageSources("en")
	for _, lang := range messageLangs[1:] {
		b, err := messageFS.ReadFile("messages/" + lang + ".po")
		if err != nil {
			t.Fatal(err)
		}
		po := gotext.NewPo()
		po.Parse(b)
		if h := strings.ReplaceAll(po.GetDomain().PluralForms, " ", ""); h == "" {
			t.Errorf("messages/%s.po has no Plural-Forms header", lang)
		}
		ctx := po.GetDomain().GetCtxTranslations()
		for name, src := range en {
			tr := ctx[name][src]
			switch {
			case tr == nil && len(ctx[name]) > 0:
				t.Errorf("messages/%s.po: the English of %q (messages/en/%s.tmpl) changed since it was translated: set the entry's msgid to the new English and revise the translation", lang, name, name)
			case tr == nil:
				t.Errorf("messages/%s.po has no entry for %q (msgctxt %q, msgid the English of messages/en/%s.tmpl)", lang, name, name, name)
			case !tr.IsTranslated():
				t.Errorf("messages/%s.po: %q is not translated", lang, name)
			}
		}
		for name, ids := range ctx {
			n := 0
			for id := range ids {
				if id != "" { // gotext keeps an empty id per msgctxt
					n++
				}
			}
			if n > 1 {
				t.Errorf("messages/%s.po holds %q %d times (old English): keep only the entry for the current English", lang, name, n)
			}
			if _, ok := en[name]; !ok {
				t.Errorf("messages/%s.po holds %q, which is no message (messages/en/*.tmpl): delete it", lang, name)
			}
		}
	}
}
