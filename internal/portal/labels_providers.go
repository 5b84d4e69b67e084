package portal

// The words of the register of licensed VPN service providers (issue 13)
// for the portal's shared tables, kept in a file of their own so that the
// tables' files are not edited by several parts at once.
func init() {
	// A provider's status ("provider"): the catalog translates the labels.
	labels["provider"] = map[string]string{
		"active":    "Active",
		"suspended": "Suspended",
		"expired":   "Expired",
		"revoked":   "Revoked",
	}
	// The API's wording names the status codes; the form offers them as a
	// choice, so a page asks for the choice.
	codedFormats = compileCoded(append(codedFormats, codedFormat{en: `must be "active", "suspended", "expired" or "revoked"`,
		out: "Choose the licence's status"}))
	// A form posted after the session ended comes back on these pages.
	formPages["POST /admin/providers"] = "/admin/providers"
	formPages["POST /admin/providers/{id}"] = "/admin/providers/{id}"
}
