package portal

// The portal's words for the import's and the invitations' messages that
// name settings, columns or ids (coded.go): a page names no snake_case
// code and no internal id.
func init() {
	codedFormats = append(codedFormats, compileCoded([]codedFormat{
		{en: "%s overlaps %s of application %s, pending in ipreg; leave it out, or decide that application first",
			out: "%[1]s overlaps %[2]s of an application pending in ipreg; leave it out, or decide that application first",
			args: []string{"-", "-", "drop"}},
		{en: "is more than %d days from today, longer than a reviewer may approve (the max_validity_days setting); shorten it",
			out: "is more than %[1]s days from today, longer than a reviewer may approve (the longest validity in the settings); shorten it",
			args: []string{"-"}},
		{en: "the registration has %d items; at most %d are allowed in one registration (the max_items setting)",
			out: "the registration has %[1]s items; at most %[2]s are allowed in one registration (a setting)",
			args: []string{"-", "-"}},
		{en: "is before approved_on; check the two dates", out: "is before the approval date; check the two dates"},
		{en: "is empty: give the ids of the users to invite (the import's new_holder_ids)", out: "is empty: choose the users to invite"},
		{en: "an invitation needs an actor for the audit log: an admin's user id, or \"cli\"", out: "an invitation needs an actor for the audit log"},
	})...)
}
