package testbin

import (
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Leaks returns the names of the secrets that appear in log, sorted, so a
// test can report which leaked without printing the secret itself. secrets
// maps a name ("alice's password", "reset token") to its value. A secret
// counts as present in any spelling a log line could carry it in: as is,
// JSON- or Go-quoted (escapes), URL-query-escaped, URL-path-escaped, in
// standard or URL-safe base64, or in hex; values shorter than 6 bytes are
// refused as names of no use (they would match by chance), and so reported.
//
// It takes any log (a server's standard error, a load generator's output):
// the end-to-end log test in cmd/ipreg calls it, and a load run's log can
// be checked the same way with the secrets that run used.
func Leaks(log string, secrets map[string]string) []string {
	var out []string
	for name, v := range secrets {
		if len(v) < 6 {
			out = append(out, name+" (too short to look for)")
			continue
		}
		for _, form := range spellings(v) {
			if strings.Contains(log, form) {
				out = append(out, name)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

func spellings(v string) []string {
	quoted := strconv.Quote(v)
	forms := []string{v, quoted[1 : len(quoted)-1], url.QueryEscape(v), url.PathEscape(v),
		base64.StdEncoding.EncodeToString([]byte(v)), base64.RawURLEncoding.EncodeToString([]byte(v)),
		hex.EncodeToString([]byte(v))}
	var out []string
	for _, f := range forms {
		if f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}
