package registry

import "sort"

// Codes lists every code the registry's API uses for a value people read
// as words: protocols, rejection reasons, application states, categories,
// document and account kinds, roles, application kinds, appeal states,
// flags, registration statuses, check and revocation states, and licensed
// providers' statuses. The API
// speaks them; a page shows their labels instead, and the portal's tests
// fail when one of them appears as page text. Sorted, without duplicates.
func Codes() []string {
	var all []string
	all = append(all, Protocols...)
	for r := range ReasonCodes {
		all = append(all, r)
	}
	for _, s := range States {
		all = append(all, string(s))
	}
	for _, c := range Categories {
		all = append(all, string(c))
	}
	for _, k := range DocumentKinds {
		all = append(all, string(k))
	}
	for _, r := range Roles {
		all = append(all, string(r))
	}
	for _, k := range AppKinds {
		all = append(all, string(k))
	}
	for _, s := range AppealStates {
		all = append(all, string(s))
	}
	all = append(all, FlagCodes...)
	all = append(all, string(KindCompany), string(KindIndividual),
		"active", "expired", "revoked", "surrendered", // registrations
		"pending", "confirmed", "disputed", "cancelled") // checks and revocations
	for _, s := range ProviderStatuses {
		all = append(all, string(s))
	}
	seen := map[string]bool{}
	out := all[:0]
	for _, c := range all {
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}
