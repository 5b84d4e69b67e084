package store

import (
	"net/url"
	"regexp"
	"strings"
)

// A PostgreSQL database is named either by a URL (postgres://user:pw@host/db?…)
// or by libpq's keyword/value form (host=… user=… password=… dbname=…),
// which pgx reads too. Anything else is an SQLite path.

// IsPostgres reports whether dsn names a PostgreSQL database, in either form.
func IsPostgres(dsn string) bool {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return true
	}
	pairs, ok := keywordPairs(dsn)
	return ok && len(pairs) > 0
}

// libpqKeywords are the keywords of libpq's connection strings: a string
// of key=value pairs naming one of them is PostgreSQL, never a file name.
var libpqKeywords = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "password": true,
	"passfile": true, "sslmode": true, "sslcert": true, "sslkey": true, "sslrootcert": true, "sslpassword": true,
	"connect_timeout": true, "application_name": true, "options": true, "service": true,
	"target_session_attrs": true, "channel_binding": true, "sslnegotiation": true, "sslsni": true,
	"krbsrvname": true, "gssencmode": true, "require_auth": true, "load_balance_hosts": true,
}

type kv struct{ key, value string }

// keywordPairs parses libpq's keyword/value form (values bare or in single
// quotes with backslash escapes); ok is false unless every pair's key is
// one of libpq's.
func keywordPairs(s string) (pairs []kv, ok bool) {
	s = strings.TrimSpace(s)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, false
		}
		key := strings.TrimSpace(s[:eq])
		if !libpqKeywords[key] {
			return nil, false
		}
		s = strings.TrimLeft(s[eq+1:], " \t")
		var val strings.Builder
		if strings.HasPrefix(s, "'") {
			i, closed := 1, false
			for ; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					val.WriteByte(s[i])
					continue
				}
				if s[i] == '\'' {
					closed = true
					break
				}
				val.WriteByte(s[i])
			}
			if !closed {
				return nil, false
			}
			s = s[i+1:]
		} else {
			end := strings.IndexAny(s, " \t\n")
			if end < 0 {
				end = len(s)
			}
			val.WriteString(s[:end])
			s = s[end:]
		}
		pairs = append(pairs, kv{key, val.String()})
		s = strings.TrimSpace(s)
	}
	return pairs, true
}

func formatPairs(pairs []kv) string {
	words := make([]string, len(pairs))
	for i, p := range pairs {
		v := p.value
		if v == "" || strings.ContainsAny(v, " \t\n'\\") {
			v = "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
		}
		words[i] = p.key + "=" + v
	}
	return strings.Join(words, " ")
}

// The spellings of a password in a connection string: a URL's userinfo,
// a password= query parameter, and libpq's password=value (bare or
// quoted), wherever they appear in a text (an error that repeats one).
var (
	userinfoPassword = regexp.MustCompile(`(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:]*:)[^@\s]*@`)
	keywordPassword  = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'"` + "`" + `]*)`)
)

// RedactedPassword is what Redact puts where a password was.
const RedactedPassword = "PASSWORD"

// Redact returns s with every password of a connection string in it
// replaced by RedactedPassword, in each spelling (URL userinfo, a
// password= query parameter, libpq's keyword form): the one function
// through which a --db value, or a text that may repeat it, is printed or
// logged.
func Redact(s string) string {
	s = userinfoPassword.ReplaceAllString(s, "${1}"+RedactedPassword+"@")
	return keywordPassword.ReplaceAllString(s, "${1}"+RedactedPassword)
}

// DatabaseName is the database a PostgreSQL dsn names ("" when none).
func DatabaseName(dsn string) string {
	if pairs, ok := keywordPairs(dsn); ok && !strings.Contains(dsn, "://") {
		for _, p := range pairs {
			if p.key == "dbname" {
				return p.value
			}
		}
		return ""
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	if n := u.Query().Get("dbname"); n != "" {
		return n
	}
	return strings.TrimPrefix(u.Path, "/")
}

// WithDatabase returns dsn naming database name instead, in the same form.
func WithDatabase(dsn, name string) string {
	if pairs, ok := keywordPairs(dsn); ok && !strings.Contains(dsn, "://") {
		found := false
		for i := range pairs {
			if pairs[i].key == "dbname" {
				pairs[i].value, found = name, true
			}
		}
		if !found {
			pairs = append(pairs, kv{"dbname", name})
		}
		return formatPairs(pairs)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	if q.Has("dbname") {
		q.Set("dbname", name)
		u.RawQuery = q.Encode()
	}
	u.Path = "/" + name
	return u.String()
}

// HasPassword reports whether dsn carries a password in any spelling.
func HasPassword(dsn string) bool {
	return Redact(dsn) != dsn
}

// redactedError is err with its text Redact'ed; it still wraps err.
type redactedError struct{ err error }

func (r redactedError) Error() string { return Redact(r.err.Error()) }
func (r redactedError) Unwrap() error { return r.err }
