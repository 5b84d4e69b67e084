package portal

// Urdu of the public statistics page (issue 13); glossary terms from
// shared/reviews/urdu-review.md (منظور، مسترد، درستی کے لیے واپس، تصدیقی
// درخواست، IP ایڈریس). Digits stay Western as on the rest of the portal.
func init() {
	for k, v := range map[string]string{
		"Statistics": "اعداد و شمار",
		"How the registry performs, month by month (Pakistan time). Counts below 5 are shown as <5, and a few more as *, so that no applicant can be singled out; a rate or time over fewer than 5 cases is shown as —.": "رجسٹری کی کارکردگی، ماہ بہ ماہ (پاکستانی وقت)۔ 5 سے کم تعداد <5 کے طور پر دکھائی جاتی ہے، اور چند مزید * کے طور پر، تاکہ کسی درخواست گزار کی نشاندہی نہ ہو سکے؛ 5 سے کم معاملات پر مبنی شرح یا وقت — کے طور پر دکھایا جاتا ہے۔",
		"From (YYYY-MM)":    "سے (\u2066YYYY-MM\u2069)",
		"To (YYYY-MM)":      "تک (\u2066YYYY-MM\u2069)",
		"Show":              "دکھائیں",
		"Figures as of %s.": "اعداد و شمار بمطابق %s۔",
		"Download (CSV)":    "ڈاؤن لوڈ کریں (CSV)",
		"Download (JSON)":   "ڈاؤن لوڈ کریں (JSON)",
		"Applications received and approved per month": "ہر ماہ موصول اور منظور ہونے والی درخواستیں",
		"Bars for each month from %s to %s: received (dark) and approved (light), all categories. Counts below 5 have no bar. The table below gives every figure.": "%s سے %s تک ہر ماہ کے کالم: موصول (گہرا) اور منظور (ہلکا)، تمام زمرے۔ 5 سے کم تعداد کا کالم نہیں بنتا۔ نیچے کی جدول میں تمام اعداد موجود ہیں۔",
		"Time to decision and registrations, per month": "فیصلے تک وقت اور رجسٹریشنز، ماہ بہ ماہ",
		"90th percentile to decision (calendar hours)":  "فیصلے تک وقت، 90 فیصد درخواستوں کے لیے (کل گھنٹے)",
		"All categories, per month":                     "تمام زمرے، ماہ بہ ماہ",
		"Month":                                         "مہینہ",
		"Received":                                      "موصول",
		"Returned for correction":                       "درستی کے لیے واپس",
		"Withdrawn":                                     "واپس لی گئیں",
		"Appealed":                                      "اپیل کی گئی",
		"Approval rate":                                 "منظوری کی شرح",
		"Median working hours to decision":              "فیصلے تک درمیانی وقت (کام کے گھنٹے)",
		"90th percentile to decision (working hours)":   "فیصلے تک وقت، 90 فیصد درخواستوں کے لیے (کام کے گھنٹے)",
		"Median calendar hours to decision":             "فیصلے تک درمیانی وقت (کل گھنٹے)",
		"Decided within the SLA":                        "مقررہ مدت میں فیصلے",
		"Active registrations at month end":             "مہینے کے آخر میں فعال رجسٹریشنز",
		"Active addresses":                              "فعال IP ایڈریس",
		"Active mobile numbers":                         "فعال موبائل نمبر",
		"%s by category":                                "%s، زمرہ وار",
		"All categories":                                "تمام زمرے",
		"Rejection reasons":                             "مسترد کرنے کی وجوہات",
		"Reason":                                        "وجہ",
		"Rejections":                                    "مسترد درخواستیں",
		"No rejections this month.":                     "اس مہینے کوئی درخواست مسترد نہیں ہوئی۔",
		"Operator checks":                               "آپریٹر کی تصدیقی درخواستیں",
		"Median answer time (working hours)":            "جواب کا درمیانی وقت (کام کے گھنٹے)",
		"Answered by the deadline":                      "مہلت کے اندر جواب",
		"No operator checks this month.":                "اس مہینے کوئی تصدیقی درخواست نہیں۔",
		"The public statistics of this month and the month before are rebuilt, and any month never built.": "اس مہینے اور پچھلے مہینے کے عوامی اعداد و شمار دوبارہ تیار کیے جاتے ہیں، اور ہر وہ مہینہ بھی جو ابھی تیار نہیں ہوا۔",
	} {
		urdu[k] = v
	}
	// The registry's messages of a wrong statistics period.
	for k, v := range map[string]string{
		"month %q is not a month like 2026-01 (YYYY-MM)":                                    "%s کوئی مہینہ نہیں؛ مہینہ \u2066YYYY-MM\u2069 کی صورت میں دیں، مثلاً \u20662026-01\u2069",
		"%q is not a month: give it as YYYY-MM, for example 2026-01":                        "%s کوئی مہینہ نہیں: اسے \u2066YYYY-MM\u2069 کی صورت میں دیں، مثلاً \u20662026-01\u2069",
		"%q is not a month: give it as YYYY-MM, for example 2026-03":                        "%s کوئی مہینہ نہیں: اسے \u2066YYYY-MM\u2069 کی صورت میں دیں، مثلاً \u20662026-03\u2069",
		"%s is after the current month %s: statistics exist only up to %s":                  "%s موجودہ مہینے %s کے بعد ہے: اعداد و شمار صرف %s تک موجود ہیں",
		"%s is after to %s: give the earlier month first":                                   "%s آخری مہینے %s کے بعد ہے: پہلے والا مہینہ پہلے دیں",
		"the period %s to %s is longer than %d months: ask for at most %d months at a time": "%s سے %s تک کی مدت %d مہینوں سے زیادہ ہے: ایک بار میں زیادہ سے زیادہ %d مہینے منتخب کریں",
	} {
		domainUrdu[k] = v
	}
}
