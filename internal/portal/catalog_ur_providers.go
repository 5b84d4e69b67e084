package portal

// The Urdu of the register of licensed VPN service providers (issue 13),
// kept apart from catalog_ur.go and domain_ur.go while those move to
// translation files. "Register" (the list) is فہرست here, so that it is
// never read as the verb رجسٹر کرانا; a provider's customers are گاہک
// (صارف is a portal user, per the Urdu review's glossary).
func init() {
	for k, v := range map[string]string{
		"Licensed VPN service providers": "لائسنس یافتہ وی پی این سروس فراہم کنندگان",
		"Licensed VPN providers":         "لائسنس یافتہ وی پی این فراہم کنندگان",
		"If you buy your VPN service from a provider on this register whose licence is active, you do not need to register your VPN: the provider is licensed for it.":                                      "اگر آپ وی پی این سروس اس فہرست میں درج کسی ایسے فراہم کنندہ سے لیتے ہیں جس کا لائسنس فعال ہے، تو آپ کو اپنا وی پی این رجسٹر کرانے کی ضرورت نہیں: فراہم کنندہ کے پاس اس کا لائسنس ہے۔",
		"If you run your own VPN (for your company, your clients or your own work), or your provider is not on this register, or its licence is suspended, expired or revoked, you must register your VPN.": "اگر آپ اپنا وی پی این خود چلاتے ہیں (اپنی کمپنی، اپنے کلائنٹس یا اپنے کام کے لیے)، یا آپ کا فراہم کنندہ اس فہرست میں نہیں، یا اس کا لائسنس معطل، میعاد ختم یا منسوخ ہے، تو آپ کو اپنا وی پی این رجسٹر کرانا ہوگا۔",
		"Sign up to apply":                               "درخواست دینے کے لیے اکاؤنٹ بنائیں",
		"Of them, with an active licence: %d.":           "ان میں سے فعال لائسنس والے: %d۔",
		"The register of licensed VPN service providers": "لائسنس یافتہ وی پی این سروس فراہم کنندگان کی فہرست",
		"Provider":                            "فراہم کنندہ",
		"Licence number":                      "لائسنس نمبر",
		"Licence date":                        "لائسنس کی تاریخ",
		"Licence status":                      "لائسنس کی حیثیت",
		"Website":                             "ویب سائٹ",
		"None given":                          "درج نہیں",
		"Download the register (CSV)":         "فہرست ڈاؤن لوڈ کریں (CSV)",
		"No provider is on the register yet.": "فہرست میں ابھی کوئی فراہم کنندہ درج نہیں۔",
		"The regulator's administrators add each VPN service provider when it is licensed. Until a provider is listed here, its customers are not exempt: everyone who uses a VPN registers it.": "ریگولیٹر کے منتظمین ہر وی پی این سروس فراہم کنندہ کو لائسنس ملنے پر یہاں درج کرتے ہیں۔ جب تک کوئی فراہم کنندہ یہاں درج نہ ہو، اس کے گاہکوں کو چھوٹ نہیں: وی پی این استعمال کرنے والا ہر شخص اسے رجسٹر کراتا ہے۔",
		"The public register of licensed VPN service providers: customers of a provider whose licence is active need not register their VPN.":                                                    "لائسنس یافتہ وی پی این سروس فراہم کنندگان کی عوامی فہرست: جس فراہم کنندہ کا لائسنس فعال ہو، اس کے گاہکوں کو اپنا وی پی این رجسٹر کرانے کی ضرورت نہیں۔",
		"See the public page": "عوامی صفحہ دیکھیں",
		"Change":              "تبدیل کریں",
		"Add a provider":      "فراہم کنندہ شامل کریں",
		"Add provider":        "فراہم کنندہ شامل کریں",
		"Provider's name":     "فراہم کنندہ کا نام",
		"As written on the licence, for example PTA/VPN/2025/001":                      "جیسا لائسنس پر لکھا ہے، مثلاً \u2066PTA/VPN/2025/001\u2069",
		"The date the licence was granted, written YYYY-MM-DD, for example 2025-03-14": "لائسنس جاری ہونے کی تاریخ، \u2066YYYY-MM-DD\u2069 کی صورت میں، مثلاً \u20662025-03-14\u2069",
		"Only customers of a provider whose licence is active need not register.":      "صرف اس فراہم کنندہ کے گاہکوں کو رجسٹر کرانے کی ضرورت نہیں جس کا لائسنس فعال ہو۔",
		"Website (optional)": "ویب سائٹ (اختیاری)",
		"A full https address, for example https://www.example.pk": "مکمل https ایڈریس، مثلاً \u2066https://www.example.pk\u2069",
		"Change a licensed VPN provider":                           "لائسنس یافتہ وی پی این فراہم کنندہ میں تبدیلی",
		"Providers are never deleted from the register: when a licence ends, change its status to suspended, expired or revoked. The public page shows the status, and the audit log keeps every change.": "فراہم کنندگان کو فہرست سے کبھی حذف نہیں کیا جاتا: لائسنس ختم ہونے پر اس کی حیثیت معطل، میعاد ختم یا منسوخ کر دیں۔ عوامی صفحہ یہ حیثیت دکھاتا ہے، اور آڈٹ لاگ ہر تبدیلی محفوظ رکھتا ہے۔",
		"Back to the register": "فہرست پر واپس جائیں",
		"Customers of a licensed VPN service provider do not need to register: the provider's licence covers their VPN.": "لائسنس یافتہ وی پی این سروس فراہم کنندہ کے گاہکوں کو رجسٹر کرانے کی ضرورت نہیں: فراہم کنندہ کا لائسنس ان کے وی پی این پر لاگو ہوتا ہے۔",
		"See the register of licensed providers": "لائسنس یافتہ فراہم کنندگان کی فہرست دیکھیں",
		"Suspended":                              "معطل",
	} {
		urdu[k] = v
	}
	for k, v := range map[string]string{
		"is required: the number on the licence, such as PTA/VPN/2025/001":                                     "لازمی ہے: لائسنس پر لکھا نمبر، مثلاً \u2066PTA/VPN/2025/001\u2069",
		"must be 3 to 40 letters, digits, / . or -, starting with a letter or digit, such as PTA/VPN/2025/001": "3 سے 40 انگریزی حروف، ہندسے، \u2066/\u2069، \u2066.\u2069 یا \u2066-\u2069 ہونے چاہییں اور پہلا حرف یا ہندسہ ہو، مثلاً \u2066PTA/VPN/2025/001\u2069",
		"is required: the date the licence was granted, as YYYY-MM-DD":                                         "لازمی ہے: لائسنس جاری ہونے کی تاریخ، \u2066YYYY-MM-DD\u2069 کی صورت میں",
		"must be a date written YYYY-MM-DD, such as 2025-03-14":                                                "تاریخ \u2066YYYY-MM-DD\u2069 کی صورت میں لکھی ہو، مثلاً \u20662025-03-14\u2069",
		"must be between %s and today (%s): a licence cannot be granted in the future":                         "%s اور آج (%s) کے درمیان ہونی چاہیے: لائسنس آئندہ کی تاریخ میں جاری نہیں ہو سکتا",
		`must be "active", "suspended", "expired" or "revoked"`:                                                "فعال، معطل، میعاد ختم یا منسوخ میں سے ایک ہونی چاہیے",
		"must be an https address without spaces or control characters, such as https://www.example.pk":        "ایسا https ایڈریس ہونا چاہیے جس میں خالی جگہ یا کنٹرول حروف نہ ہوں، مثلاً \u2066https://www.example.pk\u2069",
		"must be a full https address, such as https://www.example.pk":                                         "مکمل https ایڈریس ہونا چاہیے، مثلاً \u2066https://www.example.pk\u2069",
		"must start with https:// (the register links only to secure sites)":                                   "\u2066https://\u2069 سے شروع ہونا چاہیے (فہرست صرف محفوظ ویب سائٹس کا لنک دیتی ہے)",
		"must not contain a user name or password":                                                             "اس میں صارف نام یا پاس ورڈ نہیں ہونا چاہیے",
		"must name the provider's web site, such as https://www.example.pk":                                    "فراہم کنندہ کی ویب سائٹ کا ایڈریس ہونا چاہیے، مثلاً \u2066https://www.example.pk\u2069",
		"licence number %s is already on the register; check the number, or edit that provider instead":        "لائسنس نمبر %s پہلے سے فہرست میں درج ہے؛ نمبر دوبارہ دیکھیں، یا اسی فراہم کنندہ میں تبدیلی کریں",
		"provider %s not found": "فراہم کنندہ %s نہیں ملا",
	} {
		domainUrdu[k] = v
	}
	// domainPatterns was compiled from domainUrdu when the package's
	// variables were initialised, before any init ran: again, with these.
	domainPatterns = compileDomain(domainUrdu)
}
