// Package registry is ipreg's domain: accounts, operators, applications,
// operator checks, reviews, registrations, revocations and the rules that
// join them. It defines the Store its implementations satisfy and the
// Service that carries out every use case, checking roles and ownership
// itself so that no handler can forget to.
package registry

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Code classifies an Error. Exactly one place (internal/api) maps codes to
// HTTP statuses.
type Code string

const (
	EMALFORMED    Code = "malformed"              // the request cannot be read (400)
	EUNAUTHORIZED Code = "unauthorized"           // no valid credentials (401)
	EFORBIDDEN    Code = "forbidden"              // authenticated but not allowed (403)
	ENOTFOUND     Code = "not_found"              // absent, or not yours (404)
	EMETHOD       Code = "method_not_allowed"     // the route exists under other methods (405)
	ECONFLICT     Code = "conflict"               // wrong state, or duplicate (409)
	ETOOLARGE     Code = "too_large"              // body over the limit (413)
	EUNSUPPORTED  Code = "unsupported_media_type" // wrong content type (415)
	EINVALID      Code = "invalid"                // fields fail validation (422)
	ETOOMANY      Code = "too_many_requests"      // throttled (429)
	EUNAVAILABLE  Code = "unavailable"            // busy, or not configured; try later (503)
	EINTERNAL     Code = "internal"               // our fault (500); details only in logs
)

// Error is the one error type the domain returns to its callers. Message is
// written for the user; Fields carries one message per invalid field, keyed
// like "addresses[1]".
type Error struct {
	Code       Code
	Message    string
	Fields     map[string]string
	RetryAfter time.Duration // with ETOOMANY and EUNAVAILABLE
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k]
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// WithField returns a copy of e with its message also under field, so
// forms can show it by the input; everything else (the code, RetryAfter)
// is kept, since the copy is e's whole value.
func (e *Error) WithField(field string) *Error {
	c := *e
	c.Fields = map[string]string{field: e.Message}
	return &c
}

// Errorf returns an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error, and "" for nil.
func ErrorCode(err error) Code {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the user-facing message; internal errors get a
// generic text so that nothing internal leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "An internal error occurred; it has been logged. Try again, and report it if it persists."
}

// EchoRunes is how much of a typed value a message repeats.
const EchoRunes = 20

// Echo cuts a value someone typed (a query parameter, a form field) to
// EchoRunes characters and "…", whole characters, for a message that
// repeats it: the portal cut ?page= at 20 while the API echoed 300
// characters of it (tester, issue 13).
func Echo(v string) string {
	n := 0
	for i := range v {
		if n == EchoRunes {
			return v[:i] + "…"
		}
		n++
	}
	return v
}

// FieldErrors collects one message per invalid field.
type FieldErrors map[string]string

// Add records msg for field unless the field already has a message.
func (f FieldErrors) Add(field, format string, args ...any) {
	if _, ok := f[field]; !ok {
		f[field] = fmt.Sprintf(format, args...)
	}
}

// AddErr records err's message for field (unless the field already has
// one): an *Error's Message, never its coded Error() ("invalid: …"), so
// that the field reads like every other and its translation is found;
// any other error's text (the netpolicy and textfile messages).
func (f FieldErrors) AddErr(field string, err error) {
	var e *Error
	if errors.As(err, &e) {
		f.Add(field, "%s", e.Message)
		return
	}
	f.Add(field, "%s", err.Error())
}

// Err returns nil when empty, else an EINVALID *Error carrying the fields.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	n := len(f)
	msg := "1 field is invalid; see fields for what to change"
	if n > 1 {
		msg = fmt.Sprintf("%d fields are invalid; see fields for what to change", n)
	}
	return &Error{Code: EINVALID, Message: msg, Fields: map[string]string(f)}
}
