package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestLogTransports(t *testing.T) {
	e := Email{To: "ali.khan@example.pk", Subject: "Reset your password", Lang: "en",
		Text:        "Open https://ipreg.example.pk/password/reset?token=SECRET-TOKEN to choose a new password.",
		Attachments: []Attachment{{Name: "VPN-2026-000123.pdf", ContentType: "application/pdf", Data: make([]byte, 1234)}}}
	s := SMS{To: "923001234567", Text: "آپ کا کوڈ 123456 ہے", Lang: "ur"}
	for _, full := range []bool{false, true} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		if err := (LogMailer{Log: log, Full: full}).SendEmail(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		if err := (LogTexter{Log: log, Full: full}).SendSMS(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, want := range []string{"a***@example.pk", "Reset your password", "VPN-2026-000123.pdf (application/pdf, 1234 bytes)", "92300*****67", "parts=1", "ucs2=true"} {
			if !strings.Contains(out, want) {
				t.Errorf("full=%v: no %q in\n%s", full, want, out)
			}
		}
		for _, never := range []string{"ali.khan", "923001234567"} {
			if strings.Contains(out, never) {
				t.Errorf("full=%v: %q logged:\n%s", full, never, out)
			}
		}
		// Only the demo logs the text (and so the link in it).
		if strings.Contains(out, "SECRET-TOKEN") != full || strings.Contains(out, "123456 ہے") != full {
			t.Errorf("full=%v: text logged %v:\n%s", full, !full, out)
		}
	}
	for in, want := range map[string]string{"a@b.pk": "a***@b.pk", "نام@example.pk": "ن***@example.pk", "nobody": "***", "@x": "***"} {
		if got := MaskEmail(in); got != want {
			t.Errorf("MaskEmail(%q) = %q, want %q", in, got, want)
		}
	}
	if got := MaskMobile("92300"); got != "*****" {
		t.Errorf("MaskMobile(short) = %q", got)
	}
}

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"affected recipient(s): <xrefused@example.com.pk>, affected message ID: <ipreg.verify-abc-usr_1@ipreg.example.pk>",
			"affected recipient(s): <x***@example.com.pk>, affected message ID: <i***@ipreg.example.pk>"},
		{"550 5.1.1 ali.khan@example.pk: no such user", "550 5.1.1 a***@example.pk: no such user"},
		{"number 923001234567,+923001234568 and 03001234569 refused; HTTP 500 after 12345678901234 ms",
			"number 92300*****67,+9230******68 and 03001****69 refused; HTTP 500 after 12345678901234 ms"},
		{"nothing personal here", "nothing personal here"},
	} {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q)\n = %q\nwant %q", tt.in, got, tt.want)
		}
	}
	err := Permanent(RedactError(errors.New("refused <a.b@example.pk>")))
	if !IsPermanent(err) || err.Error() != "refused <a***@example.pk>" {
		t.Errorf("RedactError = %v (permanent %v)", err, IsPermanent(err))
	}
}
