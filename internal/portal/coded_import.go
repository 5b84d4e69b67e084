package portal

// The portal's words for the invitations' messages that name ids or
// internal actors (coded.go): a page names no snake_case code and no
// internal id.
func init() {
	codedFormats = append(codedFormats, compileCoded([]codedFormat{
		{en: "is empty: give the ids of the users to invite (the import's new_holder_ids)", out: "is empty: choose the users to invite"},
		{en: "an invitation needs an actor for the audit log: an admin's user id, or \"cli\"", out: "an invitation needs an actor for the audit log"},
	})...)
}
