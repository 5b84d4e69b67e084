package portal

// Urdu for invitations (claiming an imported holder's account) and the
// admins' invitations page, kept in its own file so that parallel work on
// the catalogs merges cleanly (issue 13). Terms follow the glossary of the
// Urdu review: ای میل ایڈریس, منتظمین, وائٹ لسٹ, رجسٹریشنز, حامل.
func init() {
	for k, v := range map[string]string{
		// Pages
		"Claim your account": "اپنا اکاؤنٹ حاصل کریں",
		"The registrations you held on the earlier VPN allowlist are in this account:":                                        "پرانی VPN وائٹ لسٹ میں آپ کی رجسٹریشنز اس اکاؤنٹ میں ہیں:",
		"Set a password to claim it. You then see your registrations, and log in with your e-mail address and this password.": "اسے حاصل کرنے کے لیے پاس ورڈ مقرر کریں۔ اس کے بعد آپ اپنی رجسٹریشنز دیکھ سکیں گے، اور اپنے ای میل ایڈریس اور اس پاس ورڈ سے لاگ اِن کریں گے۔",
		"Your account has no e-mail address yet: you log in with this one, and we send a link to confirm it.":                 "آپ کے اکاؤنٹ میں ابھی کوئی ای میل ایڈریس نہیں: آپ اسی سے لاگ اِن کریں گے، اور ہم اس کی تصدیق کے لیے ایک لنک بھیجیں گے۔",
		"Claim my account": "میرا اکاؤنٹ حاصل کریں",
		"Ask the registry's administrators for a new link.": "رجسٹری کے منتظمین سے نیا لنک مانگیں۔",
		"E-mail address":                 "ای میل ایڈریس",
		"Invitations":                    "دعوت نامے",
		"Invitation to claim an account": "اکاؤنٹ حاصل کرنے کا دعوت نامہ",
		"Holders imported from the earlier allowlist are invited to claim their accounts: those with an e-mail address get a link by e-mail; for the others, make a link here and hand it to them (by letter, or in person). A link works once, for 14 days; making a new one ends the old one. Links are shown only once: the registry keeps no copy.": "پرانی وائٹ لسٹ سے منتقل کیے گئے حاملین کو اپنے اکاؤنٹ حاصل کرنے کی دعوت دی جاتی ہے: جن کا ای میل ایڈریس موجود ہے انہیں لنک ای میل سے ملتا ہے؛ باقیوں کے لیے یہاں لنک بنائیں اور انہیں پہنچائیں (خط کے ذریعے یا خود)۔ لنک صرف ایک بار اور 14 دن تک کام کرتا ہے؛ نیا لنک بنانے سے پرانا ختم ہو جاتا ہے۔ لنک صرف ایک بار دکھایا جاتا ہے: رجسٹری اس کی کوئی نقل نہیں رکھتی۔",
		"The link for this holder (copy it now: it is not shown again):": "اس حامل کا لنک (ابھی کاپی کر لیں: یہ دوبارہ نہیں دکھایا جائے گا):",
		"It works until": "یہ اس وقت تک کام کرے گا:",
		"This server was started without --public-url: links are shown without the server's address; put it in front before handing them out.": "یہ سرور \u2066--public-url\u2069 کے بغیر شروع کیا گیا ہے: لنک سرور کے ایڈریس کے بغیر دکھائے جاتے ہیں؛ انہیں دینے سے پہلے شروع میں سرور کا ایڈریس لگائیں۔",
		"Waiting to be claimed":     "حاصل کیے جانے کے منتظر",
		"Holder":                    "حامل",
		"Invited":                   "دعوت دی گئی",
		"Link works until":          "لنک کی آخری تاریخ",
		"None: hand out a link":     "کوئی نہیں: لنک بنا کر دیں",
		"Send a new link by e-mail": "نیا لنک ای میل سے بھیجیں",
		"Make a link to hand out":   "دینے کے لیے لنک بنائیں",
		// Flashes
		"Your account is yours now. Your registrations are below.":                              "اکاؤنٹ اب آپ کا ہے۔ آپ کی رجسٹریشنز نیچے ہیں۔",
		"A new link is on its way to the holder's e-mail address; the old one no longer works.": "نیا لنک حامل کے ای میل ایڈریس پر بھیجا جا رہا ہے؛ پرانا لنک اب کام نہیں کرتا۔",
	} {
		urdu[k] = v
	}
	for k, v := range map[string]string{
		"an invitation needs an actor for the audit log: an admin's user id, or \"cli\"":                                                                                                              "دعوت نامے کے لیے آڈٹ لاگ میں کارروائی کرنے والا درکار ہے: کسی منتظم کی صارف آئی ڈی، یا \"cli\"",
		"is empty: give the ids of the users to invite (the import's new_holder_ids)":                                                                                                                 "خالی ہے: جن صارفین کو دعوت دینی ہے ان کی آئی ڈیز دیں (درآمد کی new_holder_ids)",
		"user %s is regulator or operator staff, not an applicant: staff are added with a password, not invited":                                                                                      "صارف %s ریگولیٹر یا آپریٹر کا عملہ ہے، درخواست گزار نہیں: عملہ پاس ورڈ کے ساتھ شامل کیا جاتا ہے، دعوت سے نہیں",
		"user %s is disabled: enable it before inviting it":                                                                                                                                           "صارف %s غیر فعال ہے: دعوت دینے سے پہلے اسے فعال کریں",
		"user %s has a password already (its invitation was claimed, or it signed up): it can use \"Forgot your password?\" instead":                                                                  "صارف %s کا پاس ورڈ پہلے سے موجود ہے (دعوت نامہ استعمال ہو چکا، یا اس نے خود اکاؤنٹ بنایا): وہ اس کے بجائے \"پاس ورڈ بھول گئے؟\" استعمال کر سکتا ہے",
		"user %s has no invitation waiting to be claimed: invite it first (or it was claimed already)":                                                                                                "صارف %s کا کوئی دعوت نامہ منتظر نہیں: پہلے دعوت دیں (یا یہ پہلے ہی استعمال ہو چکا ہے)",
		"this invitation link is not valid: it was used already, has expired (links work for 14 days), was replaced by a newer one, or was mistyped; ask the registry's administrators for a new one": "دعوت نامے کا یہ لنک درست نہیں: یہ پہلے استعمال ہو چکا ہے، اس کی مدت ختم ہو گئی ہے (لنک 14 دن تک کام کرتے ہیں)، اس کی جگہ نیا لنک بن چکا ہے، یا غلط لکھا گیا ہے؛ رجسٹری کے منتظمین سے نیا لنک مانگیں",
		"is required: your account has no e-mail address yet, and you will log in with it":                                                                                                            "لازمی ہے: آپ کے اکاؤنٹ میں ابھی کوئی ای میل ایڈریس نہیں، اور آپ اسی سے لاگ اِن کریں گے",
		"cannot receive mail: give an address you read, such as name@example.com.pk":                                                                                                                  "اس پر ای میل نہیں آ سکتی: وہ ایڈریس دیں جو آپ پڑھتے ہیں، جیسے \u2066name@example.com.pk\u2069",
		"belongs to another account already: give another address, or log in to that account":                                                                                                         "پہلے ہی کسی اور اکاؤنٹ کا ہے: کوئی اور ایڈریس دیں، یا اس اکاؤنٹ میں لاگ اِن کریں",
		"too many invitation claims from your network; wait %s and try again":                                                                                                                         "آپ کے نیٹ ورک سے دعوت نامے استعمال کرنے کی بہت زیادہ کوششیں ہوئی ہیں؛ %s انتظار کریں اور دوبارہ کوشش کریں",
		"invitation not found":      "دعوت نامہ نہیں ملا",
		"user %s has no invitation": "صارف %s کا کوئی دعوت نامہ نہیں",
	} {
		domainUrdu[k] = v
	}
	// domainPatterns was compiled from the catalog before this init ran.
	domainPatterns = compileDomain(domainUrdu)
}
