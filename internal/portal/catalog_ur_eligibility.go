package portal

// The Urdu of the questionnaire "Do I need to register?" (issue 13):
// the page's texts, the answers' texts (registry.EligibilityOutcomeText,
// EligibilityAdviceText, EligibilityFeeText), and the registry's messages
// about answers and rules. Terms per the Urdu review's glossary: static →
// مستقل، IP address → IP ایڈریس، allowlisted → وائٹ لسٹ، ISP → انٹرنیٹ
// فراہم کنندہ، subscriber ID → سبسکرائبر آئی ڈی، register → رجسٹر کرانا.
func init() {
	for k, v := range map[string]string{
		"Do I need to register?": "کیا مجھے رجسٹر کرانا ضروری ہے؟",
		"Answer three questions to find out whether you need to register your VPN and, if so, in which category and with which documents. You need no account, and your answers are not stored.": "تین سوالوں کے جواب دے کر جانیں کہ کیا آپ کو اپنا وی پی این رجسٹر کرانا ہے، اور اگر ہاں تو کس زمرے میں اور کن دستاویزات کے ساتھ۔ اس کے لیے اکاؤنٹ کی ضرورت نہیں، اور آپ کے جوابات محفوظ نہیں کیے جاتے۔",
		"Who are you?":                                "آپ کون ہیں؟",
		"How do you connect to the internet?":         "آپ کا انٹرنیٹ کنکشن کس قسم کا ہے؟",
		"Do you use a licensed VPN service provider?": "کیا آپ کسی لائسنس یافتہ وی پی این سروس فراہم کنندہ کی سروس استعمال کرتے ہیں؟",
		"Your internet service provider can tell you; a static address is on your bill or contract.": "آپ کا انٹرنیٹ فراہم کنندہ یہ بتا سکتا ہے؛ مستقل IP ایڈریس آپ کے بل یا معاہدے پر درج ہوتا ہے۔",
		"A company licensed to sell VPN service in Pakistan, on the register of licensed providers.": "ایسی کمپنی جسے پاکستان میں وی پی این سروس فروخت کرنے کا لائسنس ملا ہو اور جو لائسنس یافتہ فراہم کنندگان کی فہرست میں شامل ہو۔",
		"A company or organisation":                      "کمپنی یا ادارہ",
		"A freelancer":                                   "فری لانسر",
		"A call centre":                                  "کال سینٹر",
		"A video-conferencing service":                   "ویڈیو کانفرنسنگ سروس",
		"An individual on mobile data":                   "موبائل ڈیٹا استعمال کرنے والا فرد",
		"A static (fixed) IP address":                    "مستقل (static) IP ایڈریس",
		"A dynamic IP address, which changes":            "بدلتا رہنے والا (dynamic) IP ایڈریس",
		"Mobile data (3G, 4G)":                           "موبائل ڈیٹا (\u20663G, 4G\u2069)",
		"Yes, I use a licensed VPN service provider":     "ہاں، لائسنس یافتہ وی پی این سروس فراہم کنندہ کی سروس",
		"No, I run my own VPN or use another service":    "نہیں، اپنا وی پی این یا کوئی اور سروس",
		"Show my answer":                                 "میرا جواب دکھائیں",
		"Your answer":                                    "آپ کا جواب",
		"Answer code":                                    "جواب کا کوڈ",
		"You answered":                                   "آپ کے جوابات",
		"Documents to prepare":                           "یہ دستاویزات تیار رکھیں",
		"What to do":                                     "آپ کیا کریں",
		"The register of licensed VPN service providers": "لائسنس یافتہ وی پی این سروس فراہم کنندگان کی فہرست",
		"Not sure whether you need to register? Answer three questions.": "معلوم نہیں کہ رجسٹر کرانا ضروری ہے یا نہیں؟ تین سوالوں کے جواب دیں۔",
		"Not sure which category? Answer three questions.":               "زمرے کا یقین نہیں؟ تین سوالوں کے جواب دیں۔",

		// registry.EligibilityOutcomeText
		"You do not need to register: the customers of a licensed VPN service provider are covered by the provider's licence.": "آپ کو رجسٹر کرانے کی ضرورت نہیں: لائسنس یافتہ وی پی این سروس فراہم کنندہ کے گاہک اس کے لائسنس میں شامل ہیں۔",
		"You need to register: apply in the category %s.":                                                                      "آپ کو رجسٹر کرانا ہو گا: زمرہ %s میں درخواست دیں۔",
		"You need to register in the category %s, which registers static IP addresses: get a static IP address first.":         "آپ کو زمرہ %s میں رجسٹر کرانا ہو گا، جس میں مستقل IP ایڈریس رجسٹر ہوتے ہیں: پہلے مستقل IP ایڈریس حاصل کریں۔",
		// registry.EligibilityAdviceText
		"Check that your provider is on the register of licensed VPN service providers; if it is not, you need to register yourself.": "تسلی کر لیں کہ آپ کا فراہم کنندہ لائسنس یافتہ وی پی این سروس فراہم کنندگان کی فہرست میں شامل ہے؛ اگر نہیں، تو آپ کو خود رجسٹر کرانا ہو گا۔",
		"List the static IP addresses or prefixes your operator gave you, with the subscriber ID from your bill.":                     "وہ مستقل IP ایڈریس یا پریفکس درج کریں جو آپ کے آپریٹر نے آپ کو دیے ہیں، اور ساتھ اپنے بل پر لکھی سبسکرائبر آئی ڈی۔",
		"List the mobile numbers you connect from, with the mobile network that issued them.":                                         "وہ موبائل نمبر درج کریں جن سے آپ انٹرنیٹ استعمال کرتے ہیں، اور وہ موبائل نیٹ ورک جس نے یہ نمبر جاری کیے۔",
		"Ask your internet service provider for a static IP address; a dynamic address changes and cannot be registered.":             "اپنے انٹرنیٹ فراہم کنندہ سے مستقل IP ایڈریس مانگیں؛ بدلتا رہنے والا (dynamic) ایڈریس رجسٹر نہیں ہو سکتا۔",
		"Without a static IP address, an individual may register the mobile numbers they connect from instead (category Mobile VPN).": "مستقل IP ایڈریس نہ ہو تو کوئی فرد اس کی جگہ وہ موبائل نمبر رجسٹر کرا سکتا ہے جن سے وہ انٹرنیٹ استعمال کرتا ہے (زمرہ موبائل وی پی این)۔",
		"Or use a licensed VPN service provider: its customers do not need to register.":                                              "یا کسی لائسنس یافتہ وی پی این سروس فراہم کنندہ کی سروس لیں: اس کے گاہکوں کو رجسٹر کرانے کی ضرورت نہیں۔",
		// registry.EligibilityFeeText
		"No fee applies to this category.": "اس زمرے پر کوئی فیس نہیں۔",
		"A fee of PKR %s applies once your account's allowlisted addresses (held and applied for) reach %d.": "%s روپے فیس واجب ہو گی جب آپ کے اکاؤنٹ کے وائٹ لسٹ ایڈریس (پہلے سے رجسٹر شدہ اور زیرِ درخواست، سب ملا کر) %d تک پہنچ جائیں۔",

		// The admin settings page's rules.
		"Rules of the questionnaire “Do I need to register?” (JSON)": "سوال نامے «کیا مجھے رجسٹر کرانا ضروری ہے؟» کے قواعد (JSON)",
		"Tried in order; the first rule whose who, connection and licensed_provider lists all hold the answers (a list left out holds any) gives the answer. README, “Do I need to register?”, lists the outcomes and advice codes.": "قواعد ترتیب سے آزمائے جاتے ہیں؛ پہلا قاعدہ جس کی who، connection اور licensed_provider فہرستوں میں جوابات شامل ہوں (جو فہرست نہ دی جائے اس میں ہر جواب شامل ہے) جواب دیتا ہے۔ نتائج اور مشوروں کے کوڈ README کے حصے «Do I need to register?» میں درج ہیں۔",
	} {
		urdu[k] = v
	}
	for k, v := range map[string]string{
		"is required: answer with one of %s":                                                                                                              "لازمی ہے: ان میں سے ایک جواب دیں: %s",
		"%q is not an answer to this question: answer with one of %s":                                                                                     "یہ جواب (%s) اس سوال کا نہیں: ان میں سے ایک جواب دیں: %s",
		"are empty: give at least one rule; the last may have no conditions, to answer every case":                                                        "خالی ہیں: کم از کم ایک قاعدہ دیں؛ آخری قاعدہ بغیر شرط کے ہو سکتا ہے تاکہ ہر صورت کا جواب ملے",
		"has %d rules; at most %d are allowed":                                                                                                            "اس میں %d قواعد ہیں؛ زیادہ سے زیادہ %d کی اجازت ہے",
		"must be 2 to 40 lowercase letters, digits or underscores, starting with a letter (e.g. company_static_ip)":                                       "کوڈ میں 2 سے 40 تک چھوٹے انگریزی حروف، ہندسے یا انڈر سکور ہوں، اور پہلا حرف ہندسہ یا انڈر سکور نہ ہو (مثلاً company_static_ip)",
		"%q is already the code of rule %d; give each rule its own code":                                                                                  "کوڈ %s پہلے ہی قاعدہ %d کا ہے؛ ہر قاعدے کو الگ کوڈ دیں",
		"%q is not an answer to this question: use %s (or leave the list out to match any answer)":                                                        "یہ جواب (%s) اس سوال کا نہیں: %s استعمال کریں (یا فہرست نہ دیں تاکہ ہر جواب پر لاگو ہو)",
		"lists an answer twice; give each once":                                                                                                           "ایک جواب دو بار درج ہے؛ ہر جواب ایک بار دیں",
		"%q is not advice the questionnaire knows: use %s":                                                                                                "مشورہ %s سوال نامے میں موجود نہیں: ان میں سے استعمال کریں: %s",
		"must be left out when the outcome is not_needed: no registration, so no category":                                                                "جب نتیجہ not_needed ہو تو زمرہ خالی چھوڑیں: رجسٹریشن نہیں تو زمرہ بھی نہیں",
		"must be one of %s with the outcome %s":                                                                                                           "نتیجہ %[2]s کے ساتھ ان میں سے ایک ہونا چاہیے: %[1]s",
		"%s is for %s accounts, but the rule also answers who=%s; list in who only those who can apply in it":                                             "زمرہ %[1]s صرف %[2]s اکاؤنٹس کے لیے ہے، لیکن یہ قاعدہ who=%[3]s کا بھی جواب دیتا ہے؛ who میں صرف وہ درج کریں جو اس زمرے میں درخواست دے سکتے ہیں",
		"static_ip_first does not fit %s, which registers mobile numbers: use apply":                                                                      "نتیجہ static_ip_first زمرہ %s کے لیے موزوں نہیں، جس میں موبائل نمبر رجسٹر ہوتے ہیں: apply استعمال کریں",
		"must be [\"static_ip\"] when the outcome is apply in %s, which registers static IP addresses: answer the other connections with static_ip_first": "جب نتیجہ زمرہ %s میں apply ہو، جس میں مستقل IP ایڈریس رجسٹر ہوتے ہیں، تو یہ \u2066[\"static_ip\"]\u2069 ہونا چاہیے: باقی کنکشنز کا جواب static_ip_first سے دیں",
		"no rule answers who=%s, connection=%s, licensed_provider=%s: add a rule for it, or a last rule without conditions":                               "کوئی قاعدہ \u2066who=%s, connection=%s, licensed_provider=%s\u2069 کا جواب نہیں دیتا: اس کے لیے قاعدہ شامل کریں، یا آخر میں بغیر شرط کا قاعدہ",
		"rule %s is never used: the rules before it answer every case it matches; remove it or move it up":                                                "قاعدہ %s کبھی استعمال نہیں ہوتا: اس سے پہلے کے قواعد ہر اس صورت کا جواب دے دیتے ہیں جس پر یہ لاگو ہوتا ہے؛ اسے ہٹا دیں یا اوپر لے جائیں",
		"no eligibility rule answers these answers; an administrator must complete the rules in the settings":                                             "ان جوابات پر کوئی قاعدہ لاگو نہیں ہوتا؛ منتظم کو ترتیبات میں قواعد مکمل کرنے ہوں گے",
		// The admin settings page's reading of the rules.
		"is not valid JSON (%s): check the brackets, commas and quotes; README, “Do I need to register?”, has the shipped rules to start from": "درست JSON نہیں (%s): بریکٹ، کوما اور واوین دیکھیں؛ README کے حصے «Do I need to register?» میں ابتدائی قواعد موجود ہیں",
		"rule %d (%s), %s: %s": "قاعدہ %d (%s)، %s: %s",
	} {
		domainUrdu[k] = v
	}
	// domainPatterns were compiled from domainUrdu when the package's
	// variables were initialised, before any init: compile them again
	// with these entries.
	domainPatterns = compileDomain(domainUrdu)
	// The rules' messages name the codes of the JSON the admin edits on
	// the settings page (outcomes, answers, a rule's code): there they
	// are the words to type, so the page keeps them (out is the English
	// as it is; the Urdu is domainUrdu's).
	var kept []codedFormat
	for _, f := range []struct {
		en   string
		args []string
	}{
		{"static_ip_first does not fit %s, which registers mobile numbers: use apply", []string{"-"}},
		{"must be 2 to 40 lowercase letters, digits or underscores, starting with a letter (e.g. company_static_ip)", nil},
		{"must be [\"static_ip\"] when the outcome is apply in %s, which registers static IP addresses: answer the other connections with static_ip_first", []string{"-"}},
		{"must be left out when the outcome is not_needed: no registration, so no category", nil},
		{"no rule answers who=%s, connection=%s, licensed_provider=%s: add a rule for it, or a last rule without conditions", []string{"-", "-", "-"}},
	} {
		kept = append(kept, codedFormat{en: f.en, out: f.en, args: f.args})
	}
	// A question left unanswered or answered with a value that is none of
	// its answers: the page shows the answers as choices, so it says to
	// choose one (GOV.UK style) instead of listing the API's codes.
	kept = append(kept,
		codedFormat{en: "is required: answer with one of %s", out: "Choose one of the answers", ur: "جوابات میں سے ایک منتخب کریں", args: []string{"drop"}},
		codedFormat{en: "%q is not an answer to this question: answer with one of %s", out: "Choose one of the answers", ur: "جوابات میں سے ایک منتخب کریں", args: []string{"drop", "drop"}})
	codedFormats = compileCoded(append(codedFormats, kept...))
}
