package registry

// IDPrefixes are the prefixes of the registry's internal ids
// (auth.RandomID: "app_…", "apl_…"). Pages name things by words or by
// their public numbers, never by these ids except as a secondary
// reference; the portal's checks find them by these prefixes, and a test
// keeps the list complete.
var IDPrefixes = []string{"acc", "apl", "app", "chk", "doc", "evf", "inv", "msg", "ntc", "prv", "rev", "rst", "run", "tok", "usr", "wrk"}
