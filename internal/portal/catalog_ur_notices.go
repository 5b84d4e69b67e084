package portal

// Urdu of the public notices (notices.go, notices_atom.go,
// page_admin_notices.go and their templates), kept apart from
// catalog_ur.go while the catalogs move to translation files. Terms as in
// the Urdu review's glossary: withdraw واپس لینا, deadline آخری تاریخ,
// home page مرکزی صفحہ; dates stay ISO and isolated (<bdi>).
func init() {
	for k, v := range map[string]string{
		"Notices":                       "اعلانات",
		"Current notices":               "موجودہ اعلانات",
		"Past notices":                  "گزشتہ اعلانات",
		"There are no current notices.": "اس وقت کوئی اعلان نہیں۔",
		"There are no past notices.":    "کوئی گزشتہ اعلان نہیں۔",
		"Notices of the registry: deadlines, policy changes and planned maintenance. A notice that was changed after it was published lists each change, with what it said before.": "رجسٹری کے اعلانات: آخری تاریخیں، پالیسی میں تبدیلیاں اور طے شدہ دیکھ بھال۔ جو اعلان شائع ہونے کے بعد بدلا گیا، اس کے ساتھ ہر تبدیلی اور اس سے پہلے کی عبارت درج ہے۔",
		"Follow the notices in a feed reader (Atom feed)": "اعلانات فیڈ ریڈر میں دیکھیں (Atom فیڈ)",
		"All notices, past ones too":                      "تمام اعلانات، گزشتہ بھی",
		"Published":                                       "شائع ہوا",
		"Shown until":                                     "کب تک دکھایا جائے گا",
		"Changes since publication":                       "اشاعت کے بعد کی تبدیلیاں",
		"Changed on":                                      "تبدیلی کی تاریخ",
		"before":                                          "پہلے",
		"now":                                             "اب",
		"none":                                            "کوئی نہیں",
		"Show the wording before and after":               "پہلے اور بعد کی عبارت دکھائیں",
		"Before":                                          "پہلے",
		"After":                                           "بعد میں",
		"Withdrawn on":                                    "واپس لینے کی تاریخ",
		"Withdrawn by the registry":                       "رجسٹری نے واپس لے لیا",
		"Past":                                            "گزشتہ",
		"Title in English":                                "انگریزی میں عنوان",
		"Title in Urdu":                                   "اردو میں عنوان",
		"Text in English":                                 "انگریزی میں متن",
		"Text in Urdu":                                    "اردو میں متن",
		"Publication date":                                "اشاعت کی تاریخ",
		"Expiry date":                                     "اختتام کی تاریخ",
		"Expiry date (optional)":                          "اختتام کی تاریخ (اختیاری)",
		"Plain text. Leave an empty line between paragraphs.":                                                                                                                     "سادہ متن۔ پیراگراف کے درمیان ایک خالی سطر چھوڑیں۔",
		"YYYY-MM-DD, Pakistan time. Empty or today: published now; a later date: published at the start of that day.":                                                             "\u2066YYYY-MM-DD\u2069، پاکستانی وقت۔ خالی یا آج کی تاریخ: ابھی شائع ہو گا؛ بعد کی تاریخ: اس دن کے آغاز پر شائع ہو گا۔",
		"YYYY-MM-DD: the notice is shown up to the end of that day, then listed under past notices. Empty: no expiry.":                                                            "\u2066YYYY-MM-DD\u2069: اعلان اس دن کے اختتام تک دکھایا جائے گا، پھر گزشتہ اعلانات میں درج ہو گا۔ خالی: کوئی اختتام نہیں۔",
		"Notices appear on the home page while they are current, on the notices page and in its feed. A change to a published notice is shown to everyone with what it replaced.": "اعلانات جب تک موجودہ ہوں مرکزی صفحے پر، اور اعلانات کے صفحے اور اس کی فیڈ میں نظر آتے ہیں۔ شائع شدہ اعلان میں ہر تبدیلی سب کو اس عبارت کے ساتھ دکھائی جاتی ہے جس کی جگہ اس نے لی۔",
		"See the notices page": "اعلانات کا صفحہ دیکھیں",
		"Changes":              "تبدیلیاں",
		"Title":                "عنوان",
		"No expiry":            "کوئی اختتام نہیں",
		"Change":               "تبدیل کریں",
		"Withdraw the notice":  "اعلان واپس لیں",
		"No notices yet.":      "ابھی کوئی اعلان نہیں۔",
		"Publish a notice":     "اعلان شائع کریں",
		"Publish the notice":   "اعلان شائع کریں",
		"Change a notice":      "اعلان میں تبدیلی",
		"Everyone sees what you change here, with what it replaced and when: moving a date shows the old and the new date.": "یہاں کی گئی ہر تبدیلی سب کو نظر آتی ہے، پہلے کی عبارت اور وقت کے ساتھ: تاریخ بدلنے پر پرانی اور نئی دونوں تاریخیں دکھائی جاتی ہیں۔",
		"Back to the notices":       "اعلانات پر واپس جائیں",
		"Save the change":           "تبدیلی محفوظ کریں",
		"As the public sees it":     "عوام کو یہ اس طرح نظر آتا ہے",
		"Scheduled":                 "طے شدہ",
		"Current":                   "موجودہ",
		"The notice was published.": "اعلان شائع ہو گیا۔",
		"The change was saved; the notice shows it with what it replaced.": "تبدیلی محفوظ ہو گئی؛ اعلان اسے پہلے کی عبارت کے ساتھ دکھاتا ہے۔",
		"The notice was withdrawn; it is listed under past notices.":       "اعلان واپس لے لیا گیا؛ یہ گزشتہ اعلانات میں درج ہے۔",
		"The notices feed is in English (lang=en) and Urdu (lang=ur).":     "اعلانات کی فیڈ انگریزی (\u2066lang=en\u2069) اور اردو (\u2066lang=ur\u2069) میں ہے۔",
	} {
		urdu[k] = v
	}
	for k, v := range map[string]string{
		"must be written in Urdu (Urdu script): the Urdu page and feed show it":                                                                        "اردو (اردو رسم الخط) میں لکھا ہونا چاہیے: اردو صفحہ اور فیڈ اسے دکھاتے ہیں",
		"cannot change: the notice is public since %s; leave it as it is, or withdraw the notice and publish a new one":                                "تبدیل نہیں ہو سکتی: اعلان %s سے عوام کے سامنے ہے؛ اسے ویسے ہی رہنے دیں، یا اعلان واپس لے کر نیا شائع کریں",
		"must not be in the past: a notice cannot be dated before it was published; leave it empty to publish now":                                     "گزری ہوئی نہیں ہو سکتی: اعلان پر اس کی اشاعت سے پہلے کی تاریخ نہیں ڈالی جا سکتی؛ ابھی شائع کرنے کے لیے خالی چھوڑیں",
		"must be after the publication time (%s); leave it empty for a notice without expiry":                                                          "اشاعت کے وقت (%s) کے بعد ہونی چاہیے؛ بغیر اختتام کے اعلان کے لیے خالی چھوڑیں",
		"notice %s was withdrawn on %s and cannot be changed; publish a new notice instead":                                                            "اعلان %s کو %s کو واپس لیا گیا تھا اور اب تبدیل نہیں ہو سکتا؛ اس کی جگہ نیا اعلان شائع کریں",
		"notice %s was changed by someone else since you opened it (it is at revision %d, you edited revision %d); open it again and redo your change": "آپ کے کھولنے کے بعد اعلان %s کسی اور نے تبدیل کر دیا (اب اس کا نسخہ %d ہے، آپ نے نسخہ %d میں تبدیلی کی)؛ اسے دوبارہ کھولیں اور اپنی تبدیلی پھر سے کریں",
		"notice %s was withdrawn already, on %s":                                                                                                       "اعلان %s پہلے ہی %s کو واپس لیا جا چکا ہے",
		"notice %s not found":                                                                                                                          "اعلان %s نہیں ملا",
		"notice %s exists already":                                                                                                                     "اعلان %s پہلے سے موجود ہے",
		"notice %s has a revision %d already":                                                                                                          "اعلان %s کا نسخہ %d پہلے سے موجود ہے",
		"must be a date such as 2026-12-01, or left empty to publish now":                                                                              "تاریخ ہونی چاہیے، مثلاً \u20662026-12-01\u2069، یا ابھی شائع کرنے کے لیے خالی چھوڑیں",
		"must be a date such as 2026-12-31, or left empty for a notice without expiry":                                                                 "تاریخ ہونی چاہیے، مثلاً \u20662026-12-31\u2069، یا بغیر اختتام کے اعلان کے لیے خالی چھوڑیں",
	} {
		domainUrdu[k] = v
	}
	// domainPatterns was compiled from domainUrdu before this init ran.
	domainPatterns = compileDomain(domainUrdu)
}
