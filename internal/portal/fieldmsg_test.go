package portal_test

import (
	"net/url"
	"strings"
	"testing"
)

// Field messages from the registry's normalisers reach an Urdu page
// translated: the field carries the error's message, not its coded text
// ("invalid: …"), which no catalog entry matches.
func TestUrduFieldMessages(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.get("/lang/ur")
	p := b.post("/signup", url.Values{"kind": {"company"}, "name": {"Field Traders"}, "email": {"not an e-mail"},
		"password": {"a long password"}, "cnic": {"123"}, "mobile": {"03001234567"}, "ntn": {"12"}})
	if p.status != 422 {
		t.Fatalf("sign-up = %d", p.status)
	}
	for _, want := range []string{
		"ای میل ایڈریس ہونا چاہیے، مثلاً name@example.com.pk",
		"13 ہندسوں کا شناختی کارڈ نمبر ہونا چاہیے",
		"یہ NTN ہونا چاہیے",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the Urdu page does not show %q", want)
		}
	}
	for _, leak := range []string{"invalid:", "must be an e-mail address", "must be a 13-digit CNIC"} {
		if strings.Contains(p.body, leak) {
			t.Errorf("the Urdu page shows %q", leak)
		}
	}
}
