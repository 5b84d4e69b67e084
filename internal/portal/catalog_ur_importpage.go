package portal

// Urdu for the admins' import page (/admin/import, page_import.go) and
// the portal's words for the import's coded messages (issue 13). The
// import engine's own messages are in catalog_ur_import.go.
func init() {
	for k, v := range map[string]string{
		"Import":                        "درآمد",
		"Import the existing allowlist": "موجودہ وائٹ لسٹ درآمد کریں",
		"Import the regulator's existing allowlist from a CSV file, one row per holder and address or mobile number (the columns are in docs/import.md, a sample in docs/import-sample.csv). The file is checked first, with the same rules as an application, and nothing is written; a file without problems can then be imported, all in one go. Importing the same file again changes nothing. New holders get an invitation to claim their accounts.": "ریگولیٹر کی موجودہ وائٹ لسٹ CSV فائل سے درآمد کریں، ہر حامل اور ہر IP ایڈریس یا موبائل نمبر کی ایک قطار (کالم \u2066docs/import.md\u2069 میں ہیں، نمونہ \u2066docs/import-sample.csv\u2069 میں)۔ پہلے فائل کی جانچ ہوتی ہے، درخواست والے ہی قواعد سے، اور کچھ محفوظ نہیں ہوتا؛ جس فائل میں کوئی مسئلہ نہ ہو وہ پھر ایک ساتھ درآمد کی جا سکتی ہے۔ وہی فائل دوبارہ درآمد کرنے سے کچھ نہیں بدلتا۔ نئے حاملین کو اپنے اکاؤنٹ حاصل کرنے کا دعوت نامہ ملتا ہے۔",
		"The file is imported. Invitations sent to new holders:": "فائل درآمد ہو گئی۔ نئے حاملین کو بھیجے گئے دعوت نامے:",
		"What was imported":               "کیا درآمد ہوا",
		"The check of the file":           "فائل کی جانچ",
		"Rows":                            "قطاریں",
		"Holders":                         "حاملین",
		"New holder accounts":             "حاملین کے نئے اکاؤنٹ",
		"New registrations":               "نئی رجسٹریشنز",
		"Imported before (unchanged)":     "پہلے درآمد شدہ (بغیر تبدیلی)",
		"Addresses and mobile numbers":    "IP ایڈریس اور موبائل نمبر",
		"Problems":                        "مسائل",
		"Problems to correct in the file": "فائل میں درست کرنے والے مسائل",
		"Nothing was written. Correct these lines in the file, then check it again.": "کچھ محفوظ نہیں ہوا۔ فائل میں یہ سطریں درست کریں، پھر دوبارہ جانچ کریں۔",
		"Line":           "سطر",
		"Column":         "کالم",
		"Value":          "قدر",
		"Problem":        "مسئلہ",
		"the whole file": "پوری فائل",
		"The file has no problems. Importing it writes these registrations, publishes them to the operators in one feed version, and invites the new holders.": "فائل میں کوئی مسئلہ نہیں۔ درآمد کرنے سے یہ رجسٹریشنز محفوظ ہوں گی، آپریٹرز کو فیڈ کے ایک ہی ورژن میں شائع ہوں گی، اور نئے حاملین کو دعوت نامے جائیں گے۔",
		"Import this file":         "یہ فائل درآمد کریں",
		"Check another file":       "کسی اور فائل کی جانچ کریں",
		"Check a file":             "فائل کی جانچ کریں",
		"The allowlist file (CSV)": "وائٹ لسٹ کی فائل (CSV)",
		"Check the file":           "فائل کی جانچ کریں",
	} {
		urdu[k] = v
	}
	for k, v := range map[string]string{
		"is missing: choose the CSV file of the existing allowlist (columns in docs/import.md)":                                   "موجود نہیں: موجودہ وائٹ لسٹ کی CSV فائل منتخب کریں (کالم \u2066docs/import.md\u2069 میں ہیں)",
		"was not kept: more than an hour has passed since the check, or the server restarted; choose the file and check it again": "محفوظ نہیں رکھی گئی: جانچ کو ایک گھنٹے سے زیادہ ہو گیا، یا سرور دوبارہ شروع ہوا؛ فائل منتخب کر کے دوبارہ جانچ کریں",
	} {
		domainUrdu[k] = v
	}
	domainPatterns = compileDomain(domainUrdu)
	for k, v := range map[string]string{
		"Holder kind": "حامل کی قسم", "Holder's name": "حامل کا نام", "CNIC": "شناختی کارڈ نمبر", "NTN": "NTN",
		"Mobile number": "موبائل نمبر", "Category": "زمرہ", "Operator": "آپریٹر", "Subscriber ID": "سبسکرائبر آئی ڈی",
		"Address or mobile number": "IP ایڈریس یا موبائل نمبر", "Approved on": "منظوری کی تاریخ", "Valid until": "کارآمد تا",
		"Legacy reference": "پرانا حوالہ",
	} {
		if _, ok := urdu[k]; !ok { // the main catalog's words win
			urdu[k] = v
		}
	}
}

// The portal's words for the import's and the invitations' messages that
// name settings, columns or ids (coded.go): a page names no snake_case
// code and no internal id.
func init() {
	codedFormats = append(codedFormats, compileCoded([]codedFormat{
		{en: "%s overlaps %s of application %s, pending in ipreg; leave it out, or decide that application first",
			out: "%[1]s overlaps %[2]s of an application pending in ipreg; leave it out, or decide that application first",
			ur:  "%[1]s ipreg میں زیر غور ایک درخواست کے %[2]s سے متصادم ہے؛ اسے نکال دیں، یا پہلے اس درخواست کا فیصلہ کریں", args: []string{"-", "-", "drop"}},
		{en: "is more than %d days from today, longer than a reviewer may approve (the max_validity_days setting); shorten it",
			out: "is more than %[1]s days from today, longer than a reviewer may approve (the longest validity in the settings); shorten it",
			ur:  "آج سے %[1]s دن سے زیادہ ہے، جتنی مدت جائزہ کار منظور کر سکتا ہے اس سے لمبی (ترتیبات میں سب سے لمبی مدت)؛ اسے کم کریں", args: []string{"-"}},
		{en: "the registration has %d items; at most %d are allowed in one registration (the max_items setting)",
			out: "the registration has %[1]s items; at most %[2]s are allowed in one registration (a setting)",
			ur:  "رجسٹریشن میں %[1]s اندراجات ہیں؛ ایک رجسٹریشن میں زیادہ سے زیادہ %[2]s کی اجازت ہے (ایک ترتیب)", args: []string{"-", "-"}},
		{en: "is before approved_on; check the two dates", out: "is before the approval date; check the two dates",
			ur: "منظوری کی تاریخ سے پہلے ہے؛ دونوں تاریخیں دیکھیں"},
		{en: "is empty: give the ids of the users to invite (the import's new_holder_ids)", out: "is empty: choose the users to invite",
			ur: "خالی ہے: جن صارفین کو دعوت دینی ہے انہیں منتخب کریں"},
		{en: "an invitation needs an actor for the audit log: an admin's user id, or \"cli\"", out: "an invitation needs an actor for the audit log",
			ur: "دعوت نامے کے لیے آڈٹ لاگ میں کارروائی کرنے والا درکار ہے"},
	})...)
}
