package portal

// Urdu for the admins' import page (/admin/import) and for the messages of
// the import engine (registry/import.go) that page shows, in a file of its
// own (issue 13). Should the import's branch bring its own Urdu for the
// engine's messages, the two maps only overwrite each other's entries.
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
		// The import engine (registry/import.go, store/import.go)
		"belongs to a staff user of ipreg; give the holder's own e-mail":                                                                                                                                           "یہ ipreg کے عملے کے کسی صارف کا ہے؛ حامل کا اپنا ای میل دیں",
		"differs from line %d for the same holder (e-mail %s); write a holder's details the same way on every row":                                                                                                 "اسی حامل (ای میل %[2]s) کی سطر %[1]s سے مختلف ہے؛ حامل کی تفصیلات ہر قطار میں ایک جیسی لکھیں",
		"is required: the holder's e-mail address, to which the invitation to claim the account goes":                                                                                                              "لازمی ہے: حامل کا ای میل ایڈریس، جس پر اکاؤنٹ حاصل کرنے کا دعوت نامہ جاتا ہے",
		"registration %s was imported from these rows before with other items or another category or operator (%s); an import never changes a registration: correct the file, or change the registration in ipreg": "رجسٹریشن %s ان قطاروں سے پہلے دوسرے اندراجات یا کسی اور زمرے یا آپریٹر کے ساتھ درآمد ہو چکی ہے (%s)؛ درآمد کبھی رجسٹریشن نہیں بدلتی: فائل درست کریں، یا رجسٹریشن ipreg میں بدلیں",
		"differs from line %d of the same registration (legacy reference %s): its rows share one holder, category, operator, subscriber ID and dates":                                                              "اسی رجسٹریشن (پرانا حوالہ %[2]s) کی سطر %[1]s سے مختلف ہے: اس کی قطاروں میں حامل، زمرہ، آپریٹر، سبسکرائبر آئی ڈی اور تاریخیں ایک ہی ہوتی ہیں",
		"import: account %s of user %s not found":                                                                                        "درآمد: صارف %[2]s کا اکاؤنٹ %[1]s نہیں ملا",
		"has %d fields, the header row %d; put a field that holds a comma in double quotes":                                              "اس میں %s خانے ہیں، سرخی کی قطار میں %s؛ جس خانے میں کاما ہو اسے دوہرے واوین میں رکھیں",
		"is required: one address, prefix or mobile number per row":                                                                      "لازمی ہے: ہر قطار میں ایک IP ایڈریس، پریفکس یا موبائل نمبر",
		"may hold letters, digits, spaces and . _ / : # - only, at most 64 characters, starting with a letter or digit":                  "اس میں صرف حروف، ہندسے، خالی جگہ اور \u2066. _ / : # -\u2069 ہو سکتے ہیں، زیادہ سے زیادہ 64 حروف، اور شروع میں حرف یا ہندسہ ہو",
		"the file uses %q as its separator, not a comma; save it as comma-separated (CSV UTF-8) and import it again":                     "فائل میں علیحدگی کے لیے کاما کے بجائے %s استعمال ہوا ہے؛ اسے کاما سے علیحدہ (\u2066CSV UTF-8\u2069) محفوظ کر کے دوبارہ درآمد کریں",
		"the column %s is missing from the header row; add it (the columns are %s)":                                                      "کالم %s سرخی کی قطار میں نہیں؛ اسے شامل کریں (کالم یہ ہیں: %s)",
		"is after today; give the date the registration was approved":                                                                    "آج کے بعد کی تاریخ ہے؛ وہ تاریخ دیں جب رجسٹریشن منظور ہوئی",
		"imported from the allowlist kept before ipreg; registration %s valid until %s":                                                  "ipreg سے پہلے کی وائٹ لسٹ سے درآمد شدہ؛ رجسٹریشن %s، کارآمد تا %s",
		"is given at line %d with the e-mail %s; one holder has one account: give the same e-mail on all its rows":                       "سطر %s میں ای میل %s کے ساتھ دیا گیا ہے؛ ایک حامل کا ایک اکاؤنٹ ہوتا ہے: اس کی تمام قطاروں میں ایک ہی ای میل دیں",
		"the file is larger than %d MiB; split it into several files and import each":                                                    "فائل %s MiB سے بڑی ہے؛ اسے کئی فائلوں میں تقسیم کر کے ہر ایک درآمد کریں",
		"%q is not a date; write it as YYYY-MM-DD, e.g. 2024-12-31":                                                                      "%s تاریخ نہیں؛ اسے \u2066YYYY-MM-DD\u2069 کی صورت میں لکھیں، مثلاً \u20662024-12-31\u2069",
		"the e-mail belongs to an account in ipreg with another CNIC or NTN; check the holder's e-mail and identity":                     "یہ ای میل ipreg میں کسی اور شناختی کارڈ نمبر یا NTN والے اکاؤنٹ کا ہے؛ حامل کا ای میل اور شناخت دیکھیں",
		"%s is for %s holders; this holder is a %s: choose %s":                                                                           "زمرہ %s صرف %s حاملین کے لیے ہے؛ یہ حامل %s ہے: %s منتخب کریں",
		"is more than %d days from today, longer than a reviewer may approve (the max_validity_days setting); shorten it":                "آج سے %s دن سے زیادہ ہے، جتنی مدت جائزہ کار منظور کر سکتا ہے اس سے لمبی (ترتیب max_validity_days)؛ اسے کم کریں",
		"%s overlaps %s at line %d; list each address or number once, in one registration":                                               "%[1]s سطر %[3]s کے %[2]s سے متصادم ہے؛ ہر IP ایڈریس یا نمبر ایک ہی بار، ایک رجسٹریشن میں لکھیں",
		"has passed; leave expired registrations out of the import":                                                                      "گزر چکی ہے؛ میعاد ختم رجسٹریشنز درآمد میں شامل نہ کریں",
		"the e-mail belongs to a %s account in ipreg; give the same kind, or another e-mail":                                             "یہ ای میل ipreg میں %s اکاؤنٹ کا ہے؛ وہی قسم دیں، یا کوئی اور ای میل",
		"the column %s is named twice; name each column once":                                                                            "کالم %s دو بار آیا ہے؛ ہر کالم ایک بار لکھیں",
		"is before approved_on; check the two dates":                                                                                     "approved_on سے پہلے ہے؛ دونوں تاریخیں دیکھیں",
		"registration %s was imported from this row before for another holder; an import never changes a registration: correct the file": "رجسٹریشن %s اس قطار سے پہلے کسی اور حامل کے لیے درآمد ہو چکی ہے؛ درآمد کبھی رجسٹریشن نہیں بدلتی: فائل درست کریں",
		"the registration has %d items; at most %d are allowed in one registration (the max_items setting)":                              "رجسٹریشن میں %s اندراجات ہیں؛ ایک رجسٹریشن میں زیادہ سے زیادہ %s کی اجازت ہے (ترتیب max_items)",
		"%q is not a known operator; ipreg operator list shows them (add one with ipreg operator add)":                                   "%s کوئی معلوم آپریٹر نہیں؛ \u2066ipreg operator list\u2069 انہیں دکھاتا ہے (نیا \u2066ipreg operator add\u2069 سے شامل کریں)",
		"another import of the same rows finished meanwhile; run the import again to see what is left":                                   "اسی دوران انہی قطاروں کی ایک اور درآمد مکمل ہو گئی؛ جو باقی ہے وہ دیکھنے کے لیے درآمد دوبارہ چلائیں",
		"%s overlaps %s of application %s, pending in ipreg; leave it out, or decide that application first":                             "%[1]s درخواست %[3]s کے %[2]s سے متصادم ہے جو ipreg میں زیر غور ہے؛ اسے نکال دیں، یا پہلے اس درخواست کا فیصلہ کریں",
		"is required for an individual: give the holder's CNIC, such as 12345-1234567-1":                                                 "فرد کے لیے لازمی ہے: حامل کا شناختی کارڈ نمبر دیں، جیسے \u206612345-1234567-1\u2069",
		"%q is not a column of an import file; the columns are %s":                                                                       "%s درآمدی فائل کا کالم نہیں؛ کالم یہ ہیں: %s",
		"%s overlaps %s of registration %s, already in ipreg; leave it out, or end that registration first":                              "%[1]s رجسٹریشن %[3]s کے %[2]s سے متصادم ہے جو ipreg میں پہلے سے ہے؛ اسے نکال دیں، یا پہلے وہ رجسٹریشن ختم کریں",
		"a user with one of the import's e-mail addresses was created meanwhile; run the import again":                                   "اسی دوران درآمد کے کسی ای میل ایڈریس سے ایک صارف بن گیا؛ درآمد دوبارہ چلائیں",
// Urdu for the messages of importing the existing allowlist
// (registry.ImportRegistrations), shown on the admin upload page: one
// per problem a file can have. Kept apart from domain_ur.go so that the
// translation-file move merges cleanly (RULES.md).
func init() {
	for k, v := range map[string]string{
		"the file is larger than %d MiB; split it into several files and import each":                                                                                                                              "فائل %d MiB سے بڑی ہے؛ اسے کئی فائلوں میں تقسیم کر کے ہر ایک الگ سے درآمد کریں",
		"the file uses %q as its separator, not a comma; save it as comma-separated (CSV UTF-8) and import it again":                                                                                               "فائل میں کوما کی بجائے %q سے خانے الگ کیے گئے ہیں؛ اسے کوما سے الگ کردہ فائل (\u2066CSV UTF-8\u2069) کے طور پر محفوظ کر کے دوبارہ درآمد کریں",
		"the file is empty; it needs a header row naming the columns (docs/import.md) and a row per holder and item":                                                                                               "فائل خالی ہے؛ اس میں کالموں کے ناموں والی پہلی قطار (\u2066docs/import.md\u2069) اور ہر حامل اور ہر ایڈریس یا نمبر کی ایک قطار ہونی چاہیے",
		"%q is not a column of an import file; the columns are %s":                                                                                                                                                 "درآمد کی فائل میں %q نام کا کوئی کالم نہیں ہوتا؛ کالم یہ ہیں: %s",
		"the column %s is named twice; name each column once":                                                                                                                                                      "کالم %s دو بار آیا ہے؛ ہر کالم ایک ہی بار لکھیں",
		"the column %s is missing from the header row; add it (the columns are %s)":                                                                                                                                "پہلی قطار میں کالم %s موجود نہیں؛ اسے شامل کریں (کالم یہ ہیں: %s)",
		"the file has a header row but no rows; add a row per holder and item":                                                                                                                                     "فائل میں کالموں کے نام تو ہیں مگر کوئی قطار نہیں؛ ہر حامل اور ہر ایڈریس یا نمبر کی ایک قطار شامل کریں",
		"has %d fields, the header row %d; put a field that holds a comma in double quotes":                                                                                                                        "اس قطار میں %d خانے ہیں اور پہلی قطار میں %d؛ جس خانے میں کوما ہو اسے دوہرے واوین (\") میں لکھیں",
		"is required for an individual: give the holder's CNIC, such as 12345-1234567-1":                                                                                                                           "فرد کے لیے لازمی ہے: حامل کا شناختی کارڈ نمبر دیں، مثلاً \u206612345-1234567-1\u2069",
		"is required: the holder's e-mail address, to which the invitation to claim the account goes":                                                                                                              "لازمی ہے: حامل کا ای میل ایڈریس، جس پر اکاؤنٹ سنبھالنے کی دعوت بھیجی جاتی ہے",
		"%s is for %s holders; this holder is a %s: choose %s":                                                                                                                                                     "%s زمرہ %s حاملین کے لیے ہے؛ یہ حامل %s ہے: %s میں سے چنیں",
		"%q is not a known operator; ipreg operator list shows them (add one with ipreg operator add)":                                                                                                             "%s کوئی معلوم آپریٹر نہیں؛ \u2066ipreg operator list\u2069 آپریٹرز دکھاتا ہے (نیا آپریٹر \u2066ipreg operator add\u2069 سے شامل کریں)",
		"is required: one address, prefix or mobile number per row":                                                                                                                                                "لازمی ہے: ہر قطار میں ایک IP ایڈریس، پریفکس یا موبائل نمبر",
		"%q is not a date; write it as YYYY-MM-DD, e.g. 2024-12-31":                                                                                                                                                "%q درست تاریخ نہیں؛ اسے \u2066YYYY-MM-DD\u2069 کی صورت میں لکھیں، مثلاً \u20662024-12-31\u2069",
		"is after today; give the date the registration was approved":                                                                                                                                              "آج کے بعد کی تاریخ ہے؛ وہ تاریخ دیں جب رجسٹریشن منظور ہوئی تھی",
		"has passed; leave expired registrations out of the import":                                                                                                                                                "یہ تاریخ گزر چکی ہے؛ میعاد ختم رجسٹریشنز درآمد میں شامل نہ کریں",
		"is before the approved date; check the two dates":                                                                                                                                                         "یہ منظوری کی تاریخ سے پہلے کی ہے؛ دونوں تاریخیں جانچیں",
		"is more than %d days from today, longer than a reviewer may approve (the settings' longest validity); shorten it":                                                                                         "یہ آج سے %d دن سے زیادہ آگے ہے، جو جائزہ کار کی منظوری کی حد سے زیادہ ہے (ترتیبات میں سب سے لمبی مدت)؛ اسے کم کریں",
		"may hold letters, digits, spaces and . _ / : # - only, at most 64 characters, starting with a letter or digit":                                                                                            "اس میں صرف حروف، ہندسے، خالی جگہ اور \u2066. _ / : # -\u2069 آ سکتے ہیں، زیادہ سے زیادہ 64 حروف، اور یہ حرف یا ہندسے سے شروع ہو",
		"differs from line %d of the same registration (legacy reference %s): its rows share one holder, category, operator, subscriber ID and dates":                                                              "یہ اسی رجسٹریشن (پرانا حوالہ %[2]s) کی سطر %[1]d سے مختلف ہے: ایک رجسٹریشن کی سب قطاروں میں حامل، زمرہ، آپریٹر، سبسکرائبر آئی ڈی اور تاریخیں ایک ہی ہوتی ہیں",
		"the registration has %d items; at most %d are allowed in one registration (the settings' limit of addresses or numbers)":                                                                                  "رجسٹریشن میں %d ایڈریس یا نمبر ہیں؛ ایک رجسٹریشن میں زیادہ سے زیادہ %d کی اجازت ہے (ترتیبات میں ایڈریس یا نمبروں کی حد)",
		"is before approved_on; check the two dates":                                                                                                                                                               "یہ \u2066approved_on\u2069 سے پہلے کی تاریخ ہے؛ دونوں تاریخیں جانچیں",
		"is more than %d days from today, longer than a reviewer may approve (the max_validity_days setting); shorten it":                                                                                          "یہ آج سے %d دن سے زیادہ آگے ہے، جو جائزہ کار کی منظوری کی حد سے زیادہ ہے (\u2066max_validity_days\u2069 کی ترتیب)؛ اسے کم کریں",
		"may hold letters, digits, spaces and . _ / : # - only, at most 64 characters, starting with a letter or digit":                                                                                            "اس میں صرف حروف، ہندسے، خالی جگہ اور \u2066. _ / : # -\u2069 آ سکتے ہیں، زیادہ سے زیادہ 64 حروف، اور یہ حرف یا ہندسے سے شروع ہو",
		"differs from line %d of the same registration (legacy reference %s): its rows share one holder, category, operator, subscriber ID and dates":                                                              "یہ اسی رجسٹریشن (پرانا حوالہ %[2]s) کی سطر %[1]d سے مختلف ہے: ایک رجسٹریشن کی سب قطاروں میں حامل، زمرہ، آپریٹر، سبسکرائبر آئی ڈی اور تاریخیں ایک ہی ہوتی ہیں",
		"the registration has %d items; at most %d are allowed in one registration (the max_items setting)":                                                                                                        "رجسٹریشن میں %d ایڈریس یا نمبر ہیں؛ ایک رجسٹریشن میں زیادہ سے زیادہ %d کی اجازت ہے (\u2066max_items\u2069 کی ترتیب)",
		"is given at line %d with the e-mail %s; one holder has one account: give the same e-mail on all its rows":                                                                                                 "یہی سطر %d پر ای میل %s کے ساتھ دیا گیا ہے؛ ایک حامل کا ایک ہی اکاؤنٹ ہوتا ہے: اس کی سب قطاروں میں ایک ہی ای میل دیں",
		"differs from line %d for the same holder (e-mail %s); write a holder's details the same way on every row":                                                                                                 "اسی حامل (ای میل %[2]s) کی سطر %[1]d سے مختلف ہے؛ ہر قطار میں حامل کی تفصیل ایک ہی طرح لکھیں",
		"belongs to a staff user of ipreg; give the holder's own e-mail":                                                                                                                                           "یہ ipreg کے عملے کے ایک صارف کا ای میل ہے؛ حامل کا اپنا ای میل دیں",
		"the e-mail belongs to a %s account in ipreg; give the same kind, or another e-mail":                                                                                                                       "یہ ای میل ipreg میں %s اکاؤنٹ کا ہے؛ وہی قسم دیں، یا کوئی اور ای میل",
		"the e-mail belongs to an account in ipreg with another CNIC or NTN; check the holder's e-mail and identity":                                                                                               "یہ ای میل ipreg میں ایسے اکاؤنٹ کا ہے جس کا شناختی کارڈ یا نیشنل ٹیکس نمبر کوئی اور ہے؛ حامل کا ای میل اور شناخت جانچیں",
		"registration %s was imported from this row before for another holder; an import never changes a registration: correct the file":                                                                           "رجسٹریشن %s پہلے اسی قطار سے کسی اور حامل کے لیے درآمد ہو چکی ہے؛ درآمد کبھی رجسٹریشن نہیں بدلتی: فائل درست کریں",
		"registration %s was imported from these rows before with other items or another category or operator (%s); an import never changes a registration: correct the file, or change the registration in ipreg": "رجسٹریشن %s پہلے انہی قطاروں سے دوسرے ایڈریس یا نمبروں، یا کسی اور زمرے یا آپریٹر کے ساتھ درآمد ہو چکی ہے (%s)؛ درآمد کبھی رجسٹریشن نہیں بدلتی: فائل درست کریں، یا رجسٹریشن ipreg میں بدلیں",
		"%s overlaps %s at line %d; list each address or number once, in one registration":                                                                                                                         "%[1]s سطر %[3]d کے %[2]s سے متصادم ہے؛ ہر ایڈریس یا نمبر ایک ہی بار، ایک ہی رجسٹریشن میں لکھیں",
		"%s overlaps %s of registration %s, already in ipreg; leave it out, or end that registration first":                                                                                                        "%[1]s رجسٹریشن %[3]s کے %[2]s سے متصادم ہے، جو پہلے سے ipreg میں ہے؛ اسے نکال دیں، یا پہلے وہ رجسٹریشن ختم کریں",
		"%s overlaps %s of an application pending in ipreg; leave it out, or decide that application first":                                                                                                        "%[1]s ipreg میں زیرِ کارروائی ایک درخواست کے %[2]s سے متصادم ہے؛ اسے نکال دیں، یا پہلے اس درخواست کا فیصلہ کریں",
		"%s overlaps %s of application %s, pending in ipreg; leave it out, or decide that application first":                                                                                                       "%[1]s درخواست %[3]s کے %[2]s سے متصادم ہے، جو ipreg میں زیرِ کارروائی ہے؛ اسے نکال دیں، یا پہلے اس درخواست کا فیصلہ کریں",
		"a user with one of the import's e-mail addresses was created meanwhile; run the import again":                                                                                                             "اس دوران درآمد کے کسی ای میل ایڈریس سے ایک صارف بن گیا ہے؛ درآمد دوبارہ چلائیں",
		"another import of the same rows finished meanwhile; run the import again to see what is left":                                                                                                             "اس دوران انہی قطاروں کی ایک اور درآمد مکمل ہو گئی ہے؛ باقی کیا رہ گیا ہے یہ دیکھنے کے لیے درآمد دوبارہ چلائیں",
		"imported from the allowlist kept before ipreg; registration %s valid until %s":                                                                                                                            "ipreg سے پہلے کی وائٹ لسٹ سے درآمد شدہ؛ رجسٹریشن %s، کارآمد تا %s",
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
	// domainPatterns was compiled from domainUrdu before init functions
	// run: compile it again with these entries.
	domainPatterns = compileDomain(domainUrdu)
}
