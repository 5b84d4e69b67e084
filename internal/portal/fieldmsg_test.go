package portal_test

import (
	"net/url"
	"reflect"
	"strconv"
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
		"ای میل ایڈریس ہونا چاہیے، مثلاً \u2066name@example.com.pk\u2069",
		"اس میں 3 ہندسے ہیں؛ شناختی کارڈ نمبر میں 13 ہندسے ہوتے ہیں",
		"یہ NTN ہونا چاہیے",
	} {
		if !strings.Contains(p.body, want) {
			t.Errorf("the Urdu page does not show %q", want)
		}
	}
	for _, leak := range []string{"invalid:", "must be an e-mail address", "must be a 13-digit CNIC", "a CNIC has 13"} {
		if strings.Contains(p.body, leak) {
			t.Errorf("the Urdu page shows %q", leak)
		}
	}
}

// Numbers are read the way netpolicy reads mobile numbers wherever a
// person types one: the Urdu comma separates numbers in a list, Urdu
// digits fill in settings, and on Urdu pages a value quoted in an error
// is isolated (U+2068 … U+2069) so it keeps its order in the line.
func TestNumbersTypedInUrdu(t *testing.T) {
	e := newEnv(t)
	e.signup("bob@example.pk", "Bob", "individual")
	b := e.browser()
	b.login("bob@example.pk", "a long password")
	bob := e.user("bob@example.pk", "a long password")
	fields := map[string]string{"category": "mobile_vpn", "operator_id": "jazz", "subscriber_id": "",
		"vpn_protocol": "wireguard", "purpose": "Work from home for a foreign client."}

	fields["mobile_numbers"] = "(+92) 300 1234567، 0301\u200c7654321"
	p := b.multipart("/applications", fields, nil)
	if p.status != 303 {
		t.Fatalf("numbers separated by the Urdu comma = %d: %s", p.status, p.body)
	}
	id := strings.TrimPrefix(strings.SplitN(p.location, "?", 2)[0], "/applications/")
	a, err := e.svc.GetApplication(e.ctx, bob, id)
	if err != nil || strings.Join(a.MobileNumbers, " ") != "923001234567 923017654321" {
		t.Fatalf("numbers = %v, %v", a.MobileNumbers, err)
	}

	b.get("/lang/ur")
	fields["mobile_numbers"] = "0300-1234567\n0300۱۲۳۴۵۶۷"
	p = b.multipart("/applications", fields, nil)
	if p.status != 422 || !strings.Contains(p.body, "سطر 2") || !strings.Contains(p.body, "\u2068&#34;0300۱۲۳۴۵۶۷&#34;\u2069 پاکستانی موبائل نمبر نہیں") ||
		!strings.Contains(p.body, "دو رسم الخط") {
		t.Fatalf("mixed scripts on an Urdu page = %d, want line 2 with the value isolated: %s", p.status, p.body)
	}

	admin := e.browser()
	admin.login("admin@demo.test", "demo-password-1")
	adm := e.user("admin@demo.test", "demo-password-1")
	set, err := e.svc.Settings(e.ctx, adm)
	if err != nil {
		t.Fatal(err)
	}
	urdu := strings.NewReplacer("0", "۰", "1", "۱", "2", "۲", "3", "۳", "4", "۴", "5", "۵", "6", "۶", "7", "۷", "8", "۸", "9", "۹")
	form := url.Values{}
	v := reflect.ValueOf(set)
	for i := range v.NumField() {
		if v.Field(i).Kind() != reflect.Int && v.Field(i).Kind() != reflect.Int64 {
			continue // the holidays have their own page
		}
		name := strings.Split(v.Type().Field(i).Tag.Get("json"), ",")[0]
		form.Set(name, urdu.Replace(strconv.FormatInt(v.Field(i).Int(), 10)))
	}
	if p := admin.post("/admin/settings", form); p.status != 303 {
		t.Fatalf("settings in Urdu digits = %d: %s", p.status, p.body)
	}
	if got, err := e.svc.Settings(e.ctx, adm); err != nil || !reflect.DeepEqual(got, set) {
		t.Fatalf("settings = %+v, %v; want %+v", got, err, set)
	}
	form.Set(v.Type().Field(0).Tag.Get("json"), "1۲")
	if p := admin.post("/admin/settings", form); p.status != 422 {
		t.Fatalf("a setting in two scripts = %d, want 422", p.status)
	}
	form.Set(v.Type().Field(0).Tag.Get("json"), urdu.Replace(strconv.FormatInt(v.Field(0).Int(), 10)))
	// Thousands grouping as people write it, in either script.
	for _, tt := range []struct {
		in     string
		want   int64
		status int
		msg    string
	}{
		{"5,242,880", 5242880, 303, ""},
		{"۴٬۱۹۴٬۳۰۴", 4194304, 303, ""},
		{"3 145 728", 3145728, 303, ""},
		{"۱۰۴۸۵۷6", 0, 422, "it mixes digits of two scripts"},
		{"1,04,85,76", 0, 422, "must be a whole number"},
	} {
		form.Set("document_max_bytes", tt.in)
		p := admin.post("/admin/settings", form)
		if p.status != tt.status || !strings.Contains(p.body, tt.msg) {
			t.Errorf("document_max_bytes %q = %d, want %d with %q", tt.in, p.status, tt.status, tt.msg)
			continue
		}
		if got, _ := e.svc.Settings(e.ctx, adm); tt.status == 303 && got.DocumentMaxBytes != tt.want {
			t.Errorf("document_max_bytes %q saved as %d, want %d", tt.in, got.DocumentMaxBytes, tt.want)
		}
	}
}

// A CSV's quote error is ours, so an Urdu page shows it translated, at the
// line where the quote opens.
func TestCSVQuoteErrorInUrdu(t *testing.T) {
	e := newEnv(t)
	e.signup("alice@example.pk", "Alice Traders", "company")
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	b.get("/lang/ur")
	fields := map[string]string{"category": "company_vpn", "operator_id": "ptcl", "subscriber_id": "PTCL-1",
		"addresses": "", "vpn_protocol": "ipsec", "purpose": "Branch offices reach head office."}
	p := b.multipart("/applications", fields, map[string][2]string{"addresses_csv": {"list.csv", "a\nb\nc\nd\n\"14.1.110.0/24\n14.1.111.0/24\n"}})
	if p.status != 422 || !strings.Contains(p.body, "سطر 5: یہاں سے واوین") || !strings.Contains(p.body, "(کالم 1") || strings.Contains(p.body, "extraneous") || strings.Contains(p.body, "never closed") {
		t.Fatalf("unclosed quote on an Urdu page = %d, want line 5 in Urdu: %s", p.status, p.body)
	}
	// A quote inside a quoted field that is not doubled: its own
	// message, in Urdu, at the quote's column.
	p = b.multipart("/applications", fields, map[string][2]string{"addresses_csv": {"list.csv", "14.1.110.0/24,\"عائشہ \"بی\" خان\"\n14.1.111.0/24,x\n"}})
	if p.status != 422 || !strings.Contains(p.body, "سطر 1: کالم 2 کے اندر ایک واوین") || !strings.Contains(p.body, "دوہرے کریں") || strings.Contains(p.body, "not doubled") {
		t.Fatalf("a quote not doubled on an Urdu page = %d, want line 1, column 2 in Urdu: %s", p.status, p.body)
	}
}

// Two errors on one line of a list (two items written on it) are each
// translated, then joined: the catalog knows each message, not their sum.
func TestTwoErrorsOnOneLineInUrdu(t *testing.T) {
	e := newEnv(t)
	e.signup("alice@example.pk", "Alice Traders", "company")
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	fields := map[string]string{"category": "company_vpn", "operator_id": "ptcl", "subscriber_id": "PTCL-1",
		"addresses": "14.1.104.0/24\n10.0.0.1, 192.168.1.1", "vpn_protocol": "ipsec", "purpose": "Branch offices reach head office."}
	p := b.multipart("/applications", fields, nil)
	if p.status != 422 || !strings.Contains(p.body, "10.0.0.1/32 is private address space") || !strings.Contains(p.body, "; 192.168.1.1/32 is private") {
		t.Fatalf("English page = %d, want both messages joined with \"; \": %s", p.status, p.body)
	}
	b.get("/lang/ur")
	p = b.multipart("/applications", fields, nil)
	if p.status != 422 || strings.Contains(p.body, "is private address space") ||
		!strings.Contains(p.body, "\u206810.0.0.1/32\u2069 نجی (پرائیویٹ) IP رینج") || !strings.Contains(p.body, "؛ \u2068192.168.1.1/32\u2069 نجی (پرائیویٹ) IP رینج") {
		t.Fatalf("Urdu page = %d, want both messages in Urdu, joined with ؛: %s", p.status, p.body)
	}
}
