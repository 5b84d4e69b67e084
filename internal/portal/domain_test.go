package portal

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// domainFormats collects the messages the registry and netpolicy can put
// in front of a user: the formats of field errors, coded errors, wrapped
// netpolicy errors, flag details and other Sprintf-built messages, and
// literal messages. Internal wrapping (%w) and the formats listed in
// internalFormats are left out.
func domainFormats(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	add := func(where string, lit ast.Expr) {
		bl, ok := lit.(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			return
		}
		s, err := strconv.Unquote(bl.Value)
		if err != nil || strings.Contains(s, "%w") || internalFormats[s] || !strings.Contains(s, " ") {
			return
		}
		if _, ui := urdu[s]; ui {
			return // a text of the portal's own catalog, translated by T
		}
		out[s] = where
	}
	var files []string
	// The store too: its coded errors (not found, conflicts) reach users
	// through the registry as they are.
	for _, dir := range []string{"../registry", "../netpolicy", "../textfile", "../store", "."} {
		fs, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		files = append(files, fs...)
	}
	// The API's upload reader, which the portal's document form shares.
	files = append(files, "../api/document_upload.go")
	{
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || strings.HasPrefix(f, "catalog_ur") || strings.HasPrefix(f, "domain_ur") || f == "labels.go" {
				continue
			}
			fs := token.NewFileSet()
			af, err := parser.ParseFile(fs, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(af, func(n ast.Node) bool {
				if n == nil {
					return false
				}
				where := fs.Position(n.Pos()).String()
				switch x := n.(type) {
				case *ast.CallExpr:
					sel, ok := x.Fun.(*ast.SelectorExpr)
					name := ""
					if ok {
						name = sel.Sel.Name
					} else if id, ok := x.Fun.(*ast.Ident); ok {
						name = id.Name
					}
					pkg := ""
					if ok {
						if id, ok := sel.X.(*ast.Ident); ok {
							pkg = id.Name
						}
					}
					switch {
					case (name == "notFound" || name == "conflict") && len(x.Args) > 1:
						add(where, x.Args[1]) // the store's notFound(err, format, …)
					case name == "mustAffect" && len(x.Args) > 2:
						add(where, x.Args[2]) // the store's mustAffect(res, err, format, …)
					case name == "Add" && len(x.Args) > 1:
						add(where, x.Args[1])
					case name == "Errorf" && pkg == "fmt" && len(x.Args) > 0:
						add(where, x.Args[0])
					case name == "Errorf" && len(x.Args) > 1:
						add(where, x.Args[1])
					case name == "Sprintf" && pkg == "fmt" && len(x.Args) > 0:
						add(where, x.Args[0])
					}
				case *ast.KeyValueExpr:
					if k, ok := x.Key.(*ast.Ident); ok && (k.Name == "Message" || k.Name == "Detail" || k.Name == "Summary") {
						add(where, x.Value)
					}
					if _, ok := x.Key.(*ast.BasicLit); ok {
						add(where, x.Value)
					}
				case *ast.AssignStmt:
					if len(x.Lhs) == 1 && len(x.Rhs) == 1 {
						if _, ok := x.Lhs[0].(*ast.IndexExpr); ok {
							add(where, x.Rhs[0])
						}
					}
				}
				return true
			})
		}
	}
	return out
}

// internalFormats never reach a user: logs, keys, and the summary of
// field errors (the portal shows the fields instead).
var internalFormats = map[string]bool{
	"1 field is invalid; see fields for what to change":    true,
	"%d fields are invalid; see fields for what to change": true,
	"%s: %s":      true,
	"%s: %s (%s)": true,
	"%s is %s":    true,
	// Sizes: units stay as written.
	"%.1f MiB": true,
	"%.0f KiB": true,
	"%d bytes": true,
	// A 500: the caller sees only "internal error".
	"read document %s: content does not match its recorded hash": true,
	"overlaps: probe for item %d of %d":                          true,
	"application %s: stored item %q has no kind":                 true,
	// A held-back statement's failure, seen later (store.pgConn): a 500.
	"an earlier statement of this transaction, held back and sent with this one (which did not run), failed: %s: %v": true,
	"send this transaction's held-back statements: %w":                                                               true,
	// An SQL statement setting a connection's wait (store.stmtConn).
	"PRAGMA busy_timeout = %d": true,
	// Background jobs: a run's error and the schedule's API wording are
	// technical, shown to admins as written (the portal words schedules
	// itself).
	"panic: %v":             true,
	"and %d more":           true,
	"daily at %02d:%02d %s": true,
	// The document sweep's refusal and hold: a job's error, and the hold
	// file's line, for the admin who checks --db.
	"%s: the database named %d of the %d document files": true,
	"sweep documents: held since an earlier refusal (%s). Once --db is known to be the database of this --data-dir, remove documents/%s to let it run": true,
	// The store's own wrapping and SQL pieces, and migration and feed
	// errors: they stop the program or end in a 500, never on a page.
	" LIMIT %d": true,
	" ORDER BY ap.sla_due_at, ap.submitted_at, ap.id LIMIT %d": true,
	"feed change %d: unknown op %q":                            true,
	// An HTTP header's value (the notices feed's Vary).
	"Host, X-Forwarded-Host, X-Forwarded-Proto": true,
	// The import's unnest arrays (PostgreSQL): a programming error.
	"column %d: a %T cannot go into an array": true,
	"column %d mixes integers and text":       true,
	// ipreg backup's copy of the database: the command line only.
	"copy database: %s exists already": true,
	"migrate: the database is at schema version %d, newer than this program knows (%d); run a newer ipreg": true,
	"migration %s: names must be numbered 0001, 0002, … without gaps":                                      true,
	// Outbox delivery errors: for admins' outbox page and the log, about
	// the registry's own message templates.
	"unknown channel %q":                             true,
	"unknown attachment %q":                          true,
	"message template %q needs a subject and a text": true,
	"no message template %q":                         true,
	"messages/en: no templates (%v)":                 true,
	"messages/%s.po: %v":                             true,
	"message template %q has no sms text":            true,
}

func TestDomainCatalog(t *testing.T) {
	formats := domainFormats(t)
	if len(formats) < 100 {
		t.Fatalf("found only %d formats; the extraction is broken", len(formats))
	}
	untranslated := map[string]string{}
	defer func() { appendUntranslated(t, ctxRegistry, untranslated) }()
	for f, where := range formats {
		ur, ok := domainUrdu[f]
		if !ok {
			t.Errorf("%s: no Urdu for %q in locales/ur.po (msgctxt %q; IPREG_UPDATE_PO=1 adds it untranslated; CONTRIBUTING.md)", where, f, ctxRegistry)
			untranslated[f] = where
			continue
		}
		en, urv := verbRe.FindAllString(f, -1), verbRe.FindAllString(ur, -1)
		if strings.Contains(ur, "%[") {
			// Reordered: every index must name an English argument.
			for _, v := range urv {
				if n, err := strconv.Atoi(strings.Trim(v[1:len(v)-1], "[]")); v != "%%" && (err != nil || n < 1 || n > len(en)) {
					t.Errorf("%q: Urdu verb %s names no English argument", f, v)
				}
			}
		} else if len(en) != len(urv) {
			t.Errorf("%q: %d verbs in English, %d in Urdu", f, len(en), len(urv))
		}
	}
}

// Real messages, as the registry and netpolicy write them, come out in
// Urdu with their addresses, codes and nested parts intact, each value
// (not a nested message) in a bidi isolate (U+2068 … U+2069, the Urdu
// review's §5) so that it keeps its order inside the right-to-left line.
func TestTranslateDomain(t *testing.T) {
	tests := []struct{ en, want string }{
		{"10.1.2.3/32 is private address space (10.0.0.0/8, RFC 1918) and cannot be registered",
			"\u206810.1.2.3/32\u2069 نجی (پرائیویٹ) IP رینج (\u206810.0.0.0/8\u2069، \u2068RFC 1918\u2069) ہے اور رجسٹر نہیں ہو سکتا"},
		{"is required: upload the front of the CNIC (PDF, JPEG or PNG)", "لازمی ہے: شناختی کارڈ کا سامنے کا رخ اپ لوڈ کریں (PDF، JPEG یا PNG)"},
		{"is required: upload the letter of incorporation or active-taxpayer proof, or the government letter (PDF, JPEG or PNG)",
			"لازمی ہے: کمپنی کی رجسٹریشن کا خط یا فعال ٹیکس دہندہ ہونے کا ثبوت، یا سرکاری خط اپ لوڈ کریں (PDF، JPEG یا PNG)"},
		{"14.1.104.7/32 has host bits set; did you mean 14.1.104.0/24?", "\u206814.1.104.7/32\u2069 میں ہوسٹ بٹس موجود ہیں؛ کیا آپ کا مطلب \u206814.1.104.0/24\u2069 تھا؟"},
		{"has 70 entries; at most 64 are allowed in one application", "اس میں 70 اندراجات ہیں؛ ایک درخواست میں زیادہ سے زیادہ 64 کی اجازت ہے"},
		{`"042-35761234" is not a Pakistani mobile number: it is not in a Pakistani mobile range (a landline, or an unassigned 3XX code); write it as 03XXXXXXXXX, +923XXXXXXXXX or 00923XXXXXXXXX (spaces, dashes and a "(0)" allowed)`,
			"\u2068\"042-35761234\"\u2069 پاکستانی موبائل نمبر نہیں: یہ پاکستانی موبائل نمبروں کی رینج میں نہیں (لینڈ لائن نمبر، یا ایسا 3XX کوڈ جو جاری نہیں ہوا)؛ اسے \u206603XXXXXXXXX\u2069، \u2066+923XXXXXXXXX\u2069 یا \u206600923XXXXXXXXX\u2069 لکھیں (خالی جگہ، ڈیش اور \u2066(0)\u2069 لکھ سکتے ہیں)"},
		{`"0300۱۲۳۴۵۶۷" is not a Pakistani mobile number: it mixes digits of two scripts (such as 0–9 and ۰–۹); write all its digits in one; write it as 03XXXXXXXXX, +923XXXXXXXXX or 00923XXXXXXXXX (spaces, dashes and a "(0)" allowed)`,
			"\u2068\"0300۱۲۳۴۵۶۷\"\u2069 پاکستانی موبائل نمبر نہیں: اس میں دو رسم الخط کے ہندسے ملے ہوئے ہیں (جیسے \u20660–9\u2069 اور ۰–۹)؛ سارے ہندسے ایک ہی رسم الخط میں لکھیں؛ اسے \u206603XXXXXXXXX\u2069، \u2066+923XXXXXXXXX\u2069 یا \u206600923XXXXXXXXX\u2069 لکھیں (خالی جگہ، ڈیش اور \u2066(0)\u2069 لکھ سکتے ہیں)"},
		{"something the catalog does not know", "something the catalog does not know"},
		// Waits are words in both languages, never Go's "1h0m0s".
		{"you have asked for 3 verification links this hour; use the newest one in your mailbox, or wait 1 hour",
			"آپ اس گھنٹے میں 3 تصدیقی لنک منگوا چکے ہیں؛ اپنے میل باکس میں سب سے نیا لنک استعمال کریں، یا 1 گھنٹہ انتظار کریں"},
		{"too many failed logins; wait 40 minutes and try again", "لاگ اِن کی بہت زیادہ ناکام کوششیں؛ 40 منٹ انتظار کر کے دوبارہ کوشش کریں"},
		// A provider's website: the scripts named in Urdu, the label and
		// the address isolated, the browsers' reading nested.
		{"has a host name that mixes Latin and Cyrillic letters in one part (p\u0430ypal), as look-alike addresses do; type each part of the name in one alphabet",
			"اس کے ہوسٹ نام کے ایک حصے (\u2068p\u0430ypal\u2069) میں لاطینی اور سیریلک حروف ملے ہوئے ہیں، جیسا کہ ملتے جلتے نقلی ایڈریسز میں ہوتا ہے؛ نام کا ہر حصہ ایک ہی رسم الخط میں لکھیں"},
		{"127.1 (which browsers read as 127.0.0.1) is a loopback address (the computer the browser runs on); a provider's website must be a public host name, such as https://www.example.pk",
			"\u2068127.1\u2069 (جسے براؤزر \u2068127.0.0.1\u2069 پڑھتے ہیں) لوپ بیک ایڈریس ہے (یعنی وہی کمپیوٹر جس پر براؤزر چل رہا ہے)؛ فراہم کنندہ کی ویب سائٹ کا ایڈریس عوامی ہوسٹ نام ہونا چاہیے، مثلاً \u2066https://www.example.pk\u2069"},
	}
	for _, tt := range tests {
		if got := translateDomain("ur", tt.en); got != tt.want {
			t.Errorf("translateDomain(%q)\n got %q\nwant %q", tt.en, got, tt.want)
		}
		if got := translateDomain("en", tt.en); got != tt.en {
			t.Errorf("English changed: %q", got)
		}
	}
}

// The CNIC and NTN messages that say what is wrong read in Urdu, the
// nested reason too.
func TestIDMessagesInUrdu(t *testing.T) {
	for _, tt := range []struct{ en, want string }{
		{"it contains '_', which is not a digit, a dash, a space or a dot; write the CNIC as 12345-1234567-1 or 1234512345671",
			"اس میں \u2068'_'\u2069 ہے، جو نہ ہندسہ ہے، نہ ڈیش، نہ خالی جگہ اور نہ نقطہ؛ شناختی کارڈ نمبر \u206612345-1234567-1\u2069 یا 1234512345671 کی طرح لکھیں"},
		{"has 12 digits; a CNIC has 13, written 12345-1234567-1 or 1234512345671",
			"اس میں 12 ہندسے ہیں؛ شناختی کارڈ نمبر میں 13 ہندسے ہوتے ہیں، جیسے \u206612345-1234567-1\u2069 یا 1234512345671"},
		// One digit, in its own form in both languages.
		{"has 1 digit; a CNIC has 13, written 12345-1234567-1 or 1234512345671",
			"اس میں 1 ہندسہ ہے؛ شناختی کارڈ نمبر میں 13 ہندسے ہوتے ہیں، جیسے \u206612345-1234567-1\u2069 یا 1234512345671"},
		{"the time to appeal ended on 2026-03-02 10:00 PKT (1 day after the rejection); an appeal can no longer be made, but you may file a new application",
			"اپیل کی آخری تاریخ \u20682026-03-02 10:00 PKT\u2069 تھی (مسترد ہونے کے 1 دن بعد)؛ اب اپیل نہیں ہو سکتی، لیکن آپ نئی درخواست دے سکتے ہیں"},
	} {
		if got := translateDomain("ur", tt.en); got != tt.want {
			t.Errorf("translateDomain(%q) = %q, want %q", tt.en, got, tt.want)
		}
	}
}
