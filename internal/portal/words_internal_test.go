package portal

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// Mobile numbers read as people write them; other values stay as stored.
func TestMobile(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"923001234567", "0300 1234567"},
		{"923451234567", "0345 1234567"},
		{"92300123456", "92300123456"},   // too short: not a stored number
		{"924235761234", "924235761234"}, // a landline
		{"", ""},
	} {
		if got := Mobile(tt.in); got != tt.want {
			t.Errorf("Mobile(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Mobiles([]string{"923001234567", "923211234567"}); got != "0300 1234567, 0321 1234567" {
		t.Errorf("Mobiles = %q", got)
	}
}

func TestAmount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567", -25000: "-25,000"} {
		if got := Amount(n); got != want {
			t.Errorf("Amount(%d) = %q, want %q", n, got, want)
		}
	}
}

// Counted texts take the singular for 1 in both languages, and spans of
// time are built from them.
func TestPluralsAndDurations(t *testing.T) {
	en, ur := &view{Lang: "en"}, &view{Lang: "ur"}
	for _, tt := range []struct {
		v    *view
		got  string
		want string
	}{
		{en, en.N("%d active registrations.", 1), "1 active registration."},
		{en, en.N("%d active registrations.", 2), "2 active registrations."},
		{en, en.N("%d active registrations.", 0), "0 active registrations."},
		{ur, ur.N("%d active registrations.", 1), "1 فعال رجسٹریشن۔"},
		{ur, ur.N("%d active registrations.", 3), "3 فعال رجسٹریشنز۔"},
		{en, en.N("%d items", 1), "1 item"},
		{en, en.N("%d runs", 2), "2 runs"},
		{en, en.Duration(26 * time.Hour), "1 day 2 h"},
		{en, en.Duration(50 * time.Hour), "2 days 2 h"},
		{en, en.Duration(61 * time.Minute), "1 h 1 min"},
		{ur, ur.Duration(25 * time.Hour), "1 دن 1 گھنٹہ"},
		{ur, ur.Duration(27 * time.Hour), "1 دن 3 گھنٹے"},
		{en, en.Duration(5 * time.Minute), "5 min"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.v.Lang, tt.got, tt.want)
		}
	}
}

// Every counted text has both forms in both languages, with the verbs of
// its key, and Urdu chooses them by the catalog's Plural-Forms (ngettext):
// the form for one at 1 only.
func TestPluralForms(t *testing.T) {
	if len(countedTexts) < 10 {
		t.Fatalf("ur.po holds only %d counted texts; the catalog did not load", len(countedTexts))
	}
	for k, c := range countedTexts {
		tr := urPO.GetDomain().GetTranslations()[c.one]
		for i := 0; i < 2; i++ {
			if !tr.IsTranslatedN(i) {
				t.Errorf("%q: no Urdu msgstr[%d] in locales/ur.po", k, i)
			}
		}
		forms := []string{c.one, c.other, tr.GetN(0), tr.GetN(1)}
		for _, f := range forms {
			if strings.Join(verbs.FindAllString(f, -1), ",") != strings.Join(verbs.FindAllString(k, -1), ",") {
				t.Errorf("%q: form %q has other verbs", k, f)
			}
		}
		for _, n := range []int{0, 1, 2, 5, 11, 21, 101} {
			want := tr.GetN(1)
			if n == 1 {
				want = tr.GetN(0)
			}
			if got, _ := countedForm("ur", k, n); got != want {
				t.Errorf("%q, n=%d: Urdu %q, want %q", k, n, got, want)
			}
		}
	}
}

// Registry messages that embed codes are shown with the codes' labels,
// in English as in Urdu.
func TestCodedMessages(t *testing.T) {
	strip := strings.NewReplacer("\u2068", "", "\u2069", "")
	ops := func() map[string]string { return map[string]string{"ptcl": "PTCL"} }
	for _, tt := range []struct{ msg, en, ur string }{
		{"must be one of address_not_held, duplicate, other",
			"must be one of Address or number not held, Already registered or applied for or Other reason",
			"ان میں سے ایک ہونا چاہیے: " + urdu["Address or number not held"] + "، " + urdu["Already registered or applied for"] + " یا " + urdu["Other reason"]},
		{"must be one of ipsec, ikev2, openvpn, wireguard, l2tp, sstp, ssl_vpn, other",
			"must be one of IPsec, IKEv2, OpenVPN, WireGuard, L2TP, SSTP, SSL VPN or Another protocol", ""},
		{"must be one of active, expired, revoked, surrendered", "must be one of Active, Expired, Revoked or Surrendered", ""},
		{"cannot submit application app_x: it is under review", "cannot submit this application: it is under review",
			"اس درخواست پر یہ عمل (جمع کرانا) نہیں ہو سکتا: یہ زیرِ جائزہ ہے"},
		{"company_vpn is for company accounts; this is an individual account: choose freelancer_vpn or mobile_vpn",
			"Company VPN is only for accounts of the type Company or organisation; your account is of the type Individual: choose Freelancer VPN or Mobile VPN",
			"زمرہ " + urdu["Company VPN"] + " صرف «" + urdu["Company or organisation"] + "» قسم کے اکاؤنٹس کے لیے ہے؛ آپ کا اکاؤنٹ «" + urdu["Individual"] + "» قسم کا ہے، اس لیے ان میں سے کوئی زمرہ منتخب کریں: " + urdu["Freelancer VPN"] + " یا " + urdu["Mobile VPN"]},
		{"this needs the role reviewer or supervisor; you are applicant", "this needs the role Reviewer or Supervisor; you are Applicant", ""},
		{"check chk_1 was already answered or closed (state disputed)", "this check was already answered or closed (Disputed)", ""},
		{"14.1.104.5/32 overlaps 14.1.104.0/24 of application app_b (operator_check) of another account",
			"14.1.104.5/32 overlaps 14.1.104.0/24 of another account's application (With the operator)", ""},
		{"no fee for company_vpn", "no fee for Company VPN", ""},
		{`must be "company" or "individual"`, `must be "Company or organisation" or "Individual": choose one of the two`, ""},
		{"operator ptcl did not answer by 2026-11-30 17:00 PKT", "operator PTCL did not answer by 2026-11-30 17:00 PKT", ""},
		{"is fixed by registration VPN-2026-000001 (ptcl): a renewal or an amendment keeps it; for another operator file a new application",
			"is fixed by registration VPN-2026-000001 (PTCL): a renewal or an amendment keeps it; for another operator file a new application", ""},
		{"does not belong to mobile_vpn, which registers mobile numbers: leave addresses empty and list the numbers in mobile_numbers",
			"does not belong to Mobile VPN, which registers mobile numbers: leave the addresses empty and list the numbers under Mobile numbers", ""},
		{"belongs to mobile_vpn only; company_vpn registers static addresses: list them in addresses",
			"belongs to Mobile VPN only; Company VPN registers static addresses: list them under IP addresses or prefixes", ""},
		{"PTCL is a fixed-line operator; mobile_vpn needs the mobile network that issued the numbers",
			"PTCL is a fixed-line operator; Mobile VPN needs the mobile network that issued the numbers", ""},
		{"registration VPN-2026-000001 is revoked, not active", "registration VPN-2026-000001 is Revoked, not active", "رجسٹریشن VPN-2026-000001 فعال نہیں، " + urdu["Revoked"] + " ہے"},
		{"cannot change application app_x: it is withdrawn; only drafts and returned applications can be edited",
			"cannot change this application: it is withdrawn; only drafts and returned applications can be edited", ""},
		{"cannot reject application app_x: it is withdrawn", "cannot reject this application: it is withdrawn", "اس درخواست پر یہ عمل (مسترد کرنا) نہیں ہو سکتا: یہ واپس لی گئی ہے"},
		{"cannot submit application app_x: it is waiting for the operator's confirmation (state operator_check)",
			"cannot submit this application: it is waiting for the operator's confirmation", ""},
		{"is fixed by registration VPN-2026-000001 (company_vpn): a renewal or an amendment keeps it; for another category file a new application",
			"is fixed by registration VPN-2026-000001 (Company VPN): a renewal or an amendment keeps it; for another category file a new application", ""},
		{"is required: a fee of PKR 10,000 is due (fee due: the account would hold 70 allowlisted addresses, at or above the threshold of 64); pay it and give the PSID or challan number",
			"is required: a fee of PKR 10,000 is due (fee due: the account would hold 70 allowlisted addresses, at or above the threshold of 64); pay it and give the PSID or challan number", ""},
		// Not a list of codes of one kind: left as it is.
		{"must be one of fixed, mobile", "must be one of fixed, mobile", ""},
	} {
		if got := translateNamed("en", tt.msg, ops); got != tt.en {
			t.Errorf("en %q\n got %q\nwant %q", tt.msg, got, tt.en)
		}
		ur := strip.Replace(translateNamed("ur", tt.msg, ops))
		if tt.ur != "" && ur != tt.ur {
			t.Errorf("ur %q\n got %q\nwant %q", tt.msg, ur, tt.ur)
		}
		if ur == tt.msg {
			t.Errorf("ur %q: not translated", tt.msg)
		}
	}
}

// Each coded format is a message the registry writes (domainUrdu holds
// every format of the registry's source, TestDomainCatalog), and names
// the kind of each of its arguments.
func TestCodedFormatsAreRegistryFormats(t *testing.T) {
	for _, f := range codedFormats {
		if _, ok := domainUrdu[f.en]; !ok {
			t.Errorf("%q is no registry message format", f.en)
		}
		if n := len(verbRe.FindAllString(f.en, -1)); n != len(f.args) {
			t.Errorf("%q: %d verbs, %d argument kinds", f.en, n, len(f.args))
		}
		for _, k := range f.args {
			switch k {
			case "-", "drop", "describe", "list", "codes", "docs", "msg", "amount", "operator":
			default:
				if _, ok := labels[strings.TrimPrefix(k, "listof:")]; !ok {
					t.Errorf("%q: no labels for %q", f.en, k)
				}
			}
		}
	}
}

// Sizes in the page's language, with their plural; KiB and MiB as the
// review keeps them.
func TestBytes(t *testing.T) {
	for _, tt := range []struct {
		lang string
		n    int64
		want string
	}{
		{"en", 1, "1 byte"},
		{"en", 145, "145 bytes"},
		{"ur", 1, "1 بائٹ"},
		{"ur", 69, "69 بائٹس"},
		{"ur", 2048, "2 KiB"},
		{"en", 5 << 20, "5.0 MiB"},
	} {
		v := &view{Lang: tt.lang}
		if got := v.Bytes(tt.n); got != tt.want {
			t.Errorf("%s Bytes(%d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

// idArg is a verb of a registry format that stands for an internal id:
// after "application ", "appeal ", "check ", "document ", "revocation ".
var idArg = regexp.MustCompile(`\b(application|appeal|check|document|revocation) $`)

// No registry message shown on a page names a thing by its internal id
// (app_…, apl_…, chk_…, doc_…, rev_…): every format of the registry
// (domainUrdu's keys) is filled with an id where it names one, and its
// English and Urdu for pages must leave the id out.
func TestMessagesDropInternalIDs(t *testing.T) {
	const id = "apl_zz9zz9zz"
	for format := range domainUrdu {
		args := []any{}
		hasID := false
		locs := verbRe.FindAllStringIndex(format, -1)
		for _, m := range locs {
			if format[m[0]:m[1]] == "%%" {
				continue
			}
			switch {
			case idArg.MatchString(format[:m[0]]):
				args, hasID = append(args, id), true
			case strings.HasSuffix(format[m[0]:m[1]], "d"):
				args = append(args, 7)
			default:
				args = append(args, "x")
			}
		}
		if !hasID {
			continue
		}
		msg := fmt.Sprintf(format, args...)
		for _, lang := range []string{"en", "ur"} {
			if got := translateNamed(lang, msg, nil); strings.Contains(got, id) {
				t.Errorf("%s %q shows the id: %q", lang, format, got)
			}
		}
	}
}

// codeInWording is a registry message's wording that people on a page
// cannot act on: a quoted code ("approve"), an API path, a CLI command
// ("ipreg operator list"), a JSON "must be true" or a snake_case code.
var codeInWording = regexp.MustCompile(`"[a-z_]+"|/api/v1|\(ipreg |must be true|\b[a-z]+_[a-z_]+\b`)

// Every registry message whose wording names codes, API paths or CLI
// commands has the portal's words (a coded format with its own English
// and Urdu): a page says "Choose a decision", not `must be "approve",
// "reject" or "return"`.
func TestMessagesNamingCodesHavePortalWords(t *testing.T) {
	worded := map[string]bool{}
	for _, f := range codedFormats {
		if f.out != "" || f.ur != "" || slices.ContainsFunc(f.args, func(a string) bool { return a != "-" && a != "drop" }) {
			worded[f.en] = true
		}
	}
	for format := range domainUrdu {
		if describeRe.MatchString(format) {
			continue // describeState's text, labelled where it is an argument ("describe")
		}
		literal := verbRe.ReplaceAllString(format, " ")
		if m := codeInWording.FindString(literal); m != "" && !worded[format] {
			t.Errorf("%q names %q: give the portal its words (coded.go)", format, m)
		}
	}
}
