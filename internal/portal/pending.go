package portal

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/registry"
)

// A form posted after the session ended comes back after the next login
// of the same account, with what was typed. The design:
//
//   - At login (and whenever the session's expiry moves on) the portal
//     sets a second cookie, accountCookie, naming the account with an
//     HMAC under Config.CookieKey (derived from the document key, so it
//     survives a restart; a key made at start-up without one). It names
//     the session too (sid), and outlives it by keptGrace, so a form posted
//     after the session ended still says whose it was. It is cleared at
//     logout, and a copy of it keeps nothing once the session was logged
//     out (accountOf).
//   - A POST that needs a login and has no live session, but carries a
//     valid accountCookie, passed the cross-origin check like every POST
//     (Handler: http.CrossOriginProtection runs first). Its text fields are
//     kept in memory on the server (never in a cookie or a URL), minus
//     passwords and other secrets (keepable), and files are dropped. The
//     browser gets only a random id in pendingCookie. One form per account
//     (a newer one replaces it), at most maxKept in all, each for keptFor.
//   - The login page then leads back to the page that carries the form
//     (formPages; worked out from the route and, where the page needs
//     them, the posted fields; the Referer, checked by localPath and to be
//     this host, only keeps that page's query) — never to the POST's address, which has no page (an error
//     page shown there makes it the Referer). When that page is rendered for the same account, its
//     forms are filled with the kept values and a message says to check
//     and send again (and to choose any file again). Nothing is sent on
//     the user's behalf: they submit the form themselves, with a fresh
//     request that meets every check again.
//   - Shown once, then forgotten. A page rendered for any other account
//     forgets it without showing it, so no account sees another's form.
//   - The page a form comes back on is the page that carries it
//     (formPages, by the POST's route), whatever the Referer says; the
//     page says the form is back only when it rendered that form, and
//     otherwise that it could not be kept. A form too large to keep
//     (maxKeptBytes) is kept not at all, and the login page says so.
//   - Kept in this process's memory: a restart, or another instance behind
//     a load balancer, loses it, and the page says so after the login
//     ("Your form could not be kept: type it again.") — the price of
//     keeping typed personal data out of cookies and the database.
const (
	accountCookie = "ipreg_account"
	pendingCookie = "ipreg_pending"
	keptFor       = 30 * time.Minute
	keptGrace     = registry.SessionAfterlife
	maxKept       = 1000
	maxKeptBytes  = 256 << 10 // text of one kept form
	maxKeptBody   = 64 << 20  // a multipart form read for keeping (the largest document is 50 MiB)
)

// keptForm is a form posted after its session ended.
type keptForm struct {
	userID  string
	page    string // the page the form was on: where it comes back
	action  string // the path it was posted to
	values  url.Values
	hadFile bool
	hadPass bool // a password was typed: it is never kept, and the page says so
	expires time.Time
}

// keptForms holds the forms waiting for their account's next login.
type keptForms struct {
	mu    sync.Mutex
	key   []byte // signs accountCookie
	forms map[string]*keptForm
}

// newKeptForms signs account cookies with key (Config.CookieKey, derived
// from a secret kept in the data directory, so that the cookies survive a
// restart), or with a key made now when none is given (tests).
func newKeptForms(key []byte) (*keptForms, error) {
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	return &keptForms{key: key, forms: map[string]*keptForm{}}, nil
}

func (k *keptForms) sign(userID string, exp int64, sid string) string {
	m := hmac.New(sha256.New, k.key)
	io.WriteString(m, "account|"+userID+"|"+strconv.FormatInt(exp, 10)+"|"+sid)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sid names a login session in accountCookie without giving it away: an
// HMAC of its token's stored hash.
func (k *keptForms) sid(tokenHash string) string {
	m := hmac.New(sha256.New, k.key)
	io.WriteString(m, "session|"+tokenHash)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// account is the account and session accountCookie names, if its
// signature holds and it has not expired.
func (k *keptForms) account(r *http.Request, now time.Time) (userID, sid string) {
	c, err := r.Cookie(accountCookie)
	if err != nil {
		return "", ""
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 4 {
		return "", ""
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || now.Unix() >= exp || !hmac.Equal([]byte(parts[3]), []byte(k.sign(parts[0], exp, parts[2]))) {
		return "", ""
	}
	return parts[0], parts[2]
}

// setAccount sets accountCookie for the session of token, which ends at
// expires.
func (s *Server) setAccount(w http.ResponseWriter, r *http.Request, userID, token string, expires time.Time) {
	until := expires.Add(keptGrace)
	sid := s.kept.sid(auth.HashToken(token))
	v := userID + "." + strconv.FormatInt(until.Unix(), 10) + "." + sid + "." + s.kept.sign(userID, until.Unix(), sid)
	http.SetCookie(w, s.cookie(r, accountCookie, v, until))
}

// accountOf is the account a form posted without a live session belongs
// to: the one accountCookie names, while the session it was set for has
// not been ended on purpose. A logout (or a password change, or an
// administrator) deletes the session's record at once; an expiry leaves
// it for registry.SessionAfterlife (= keptGrace, the cookie's own life).
// So a copy of the cookie taken before a logout keeps nothing after it.
func (s *Server) accountOf(r *http.Request, now time.Time) string {
	userID, sid := s.kept.account(r, now)
	if userID == "" {
		return ""
	}
	ok, err := s.svc.SessionNotEnded(r.Context(), userID, func(hash string) bool {
		return hmac.Equal([]byte(s.kept.sid(hash)), []byte(sid))
	})
	if err != nil || !ok {
		return ""
	}
	return userID
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	c := s.cookie(r, name, "", time.Unix(0, 0))
	c.MaxAge = -1
	http.SetCookie(w, c)
}

// keepable reports whether a field may be kept: never a password, a
// one-time code, a TOTP secret or a reset token, nor the tick that
// confirms an account's deletion (given afresh, never restored).
func keepable(name string) bool {
	n := strings.ToLower(name)
	if strings.Contains(n, "password") {
		return false
	}
	switch n {
	case "totp", "code", "secret", "token", "confirm":
		return false
	}
	return true
}

// isPassword reports whether a field is a password (not kept, and the
// restored page asks for it again).
func isPassword(name string) bool { return strings.Contains(strings.ToLower(name), "password") }

// errTooLarge: the form's text is larger than maxKeptBytes, and nothing of
// it is kept (never a part, which would come back looking whole).
var errTooLarge = errors.New("portal: the form is too large to keep")

// readKept reads a form's text fields for keeping, files excepted
// (hadFile says one was chosen; hadPass that a password was typed, which
// is not kept either). A form whose text is larger than maxKeptBytes, or
// that cannot be read to its end, is not kept at all.
func readKept(w http.ResponseWriter, r *http.Request) (vals url.Values, hadFile, hadPass bool, err error) {
	vals = url.Values{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, maxKeptBytes)
		if err := r.ParseForm(); err != nil {
			if _, big := errors.AsType[*http.MaxBytesError](err); big {
				return nil, false, false, errTooLarge
			}
			return nil, false, false, err
		}
		f := r.PostForm
		size := 0
		for k, vs := range f {
			for _, v := range vs {
				size += len(k) + len(v)
			}
		}
		if size > maxKeptBytes {
			return nil, false, false, errTooLarge
		}
		for k, vs := range f {
			if keepable(k) {
				vals[k] = vs
			} else if isPassword(k) && strings.Join(vs, "") != "" {
				hadPass = true
			}
		}
		return vals, false, hadPass, nil
	}
	// Files are skipped, but still read off the wire: no more than the
	// largest document the settings allow, and the fields around it.
	r.Body = http.MaxBytesReader(w, r.Body, maxKeptBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, false, false, err
	}
	size := 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return vals, hadFile, hadPass, nil
		}
		if err != nil {
			return nil, false, false, err
		}
		_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if _, isFile := params["filename"]; isFile {
			hadFile = hadFile || p.FileName() != ""
			continue // the reader skips the rest of the part
		}
		b, err := io.ReadAll(io.LimitReader(p, int64(maxKeptBytes-size+1)))
		if err != nil {
			return nil, false, false, err
		}
		size += len(p.FormName()) + len(b)
		if size > maxKeptBytes {
			return nil, false, false, errTooLarge
		}
		if keepable(p.FormName()) {
			vals.Add(p.FormName(), string(b))
		} else if isPassword(p.FormName()) && len(b) > 0 {
			hadPass = true
		}
	}
}

// formPages names, for each POST route that needs a login, the GET page
// that carries its form: where a form posted after the session ended comes
// back. Never the POST's own address (an error page rendered there has the
// Referer pointing at it, and after the login a GET of it is a 404 or
// another page). "{name}" takes the request's path value, "{=name}" the
// posted field's (the category a new application's form is shown for; the
// application an appeal's decision sits on, which the appeal's id does not
// name): a page that needs a field the form lacks is no page, and the form
// is not kept (the login says so), whatever the Referer says.
var formPages = map[string]string{
	"POST /account/email/verification":               "/account",
	"POST /account/language":                         "/account",
	"POST /account/totp":                             "/account",
	"POST /account/totp/confirm":                     "/account",
	"POST /account/delete":                           "/account/delete",
	"POST /verify-email":                             "/verify-email",
	"POST /applications":                             "/applications/new?category={=category}",
	"POST /applications/{id}":                        "/applications/{id}/edit",
	"POST /applications/{id}/documents":              "/applications/{id}",
	"POST /applications/{id}/documents/{doc}/delete": "/applications/{id}",
	"POST /applications/{id}/submit":                 "/applications/{id}",
	"POST /applications/{id}/withdraw":               "/applications/{id}",
	"POST /applications/{id}/decision":               "/applications/{id}",
	"POST /applications/{id}/appeal":                 "/applications/{id}",
	"POST /appeals/{id}/decision":                    "/applications/{=application}",
	"POST /registrations/{number}/surrender":         "/registrations/{number}",
	"POST /registrations/{number}/revocations":       "/registrations/{number}",
	"POST /registrations/{number}/renew":             "/registrations/{number}/renew",
	"POST /registrations/{number}/change":            "/registrations/{number}/change",
	"POST /operator/checks":                          "/operator/checks",
	"POST /operator/checks/upload":                   "/operator/checks",
	"POST /revocations/{id}/confirm":                 "/revocations",
	"POST /revocations/{id}/cancel":                  "/revocations",
	"POST /admin/users":                              "/admin/users",
	"POST /admin/users/{id}/disable":                 "/admin/users",
	"POST /admin/users/{id}/enable":                  "/admin/users",
	"POST /admin/users/{id}/reset-totp":              "/admin/users",
	"POST /admin/users/{id}/reset-password":          "/admin/users",
	"POST /admin/operators":                          "/admin/operators",
	"POST /admin/operators/{id}/prefixes":            "/admin/operators",
	"POST /admin/settings":                           "/admin/settings",
	"POST /admin/holidays":                           "/admin/holidays",
	"POST /admin/jobs/{name}/run":                    "/admin/jobs",
	"POST /admin/outbox/{id}/resend":                 "/admin/outbox",
	"POST /admin/invitations/{id}/link":              "/admin/invitations",
	"POST /admin/invitations/{id}/resend":            "/admin/invitations",
	"POST /admin/import":                             "/admin/import",
	"POST /admin/import/confirm":                     "/admin/import",
}

var rePathValue = regexp.MustCompile(`\{([a-z]+)\}`)

// getPages matches a path against the portal's GET pages (not the POST
// addresses, nor the catch-all "not found").
var getPages *http.ServeMux

func init() {
	getPages = http.NewServeMux()
	for _, rt := range routes {
		if strings.HasPrefix(rt.pattern, "GET ") {
			getPages.HandleFunc(rt.pattern, func(http.ResponseWriter, *http.Request) {})
		}
	}
}

var reFormValue = regexp.MustCompile(`\{=([a-z_]+)\}`)

// formPageOf is the page that carries the form r was posted from, with
// the posted values vals: the route's page (formPages), with its path
// values and posted fields filled in, and the Referer's query kept when
// the Referer is that page and the page takes nothing from the form. ""
// when there is none. The same page is the only one the form is restored
// on (restoreForm), so the login never promises a form no page shows.
func formPageOf(r *http.Request, vals url.Values) string {
	ref := postedFrom(r)
	mapped, known := formPages[r.Pattern]
	if !known || mapped == "" {
		return ""
	}
	page := rePathValue.ReplaceAllStringFunc(mapped, func(m string) string {
		return url.PathEscape(r.PathValue(m[1 : len(m)-1]))
	})
	if strings.Contains(page, "{=") {
		ok := true
		page = reFormValue.ReplaceAllStringFunc(page, func(m string) string {
			name := m[2 : len(m)-1]
			v := strings.TrimSpace(vals.Get(name))
			if !formValueNames(name, v) {
				ok = false
			}
			return url.QueryEscape(v)
		})
		if !ok || !isPage(page) {
			return ""
		}
		return page
	}
	if u, err := url.Parse(ref); err == nil && ref != "" && u.Path == page {
		return ref
	}
	return page
}

// formValueNames reports whether a posted field's value v names what a
// form's page takes from it: a category whose form the new-application
// page shows, an id of an application.
func formValueNames(name, v string) bool {
	switch name {
	case "category":
		return registry.Category(v).Valid()
	case "application":
		return reID.MatchString(v)
	}
	return false
}

var reID = regexp.MustCompile(`^app_[A-Za-z0-9_-]+$`)

// isPage reports whether path is a GET page of the portal.
func isPage(path string) bool {
	u, err := url.Parse(path)
	if err != nil {
		return false
	}
	_, pattern := getPages.Handler(&http.Request{Method: http.MethodGet, URL: u})
	return pattern != ""
}

// notKept says why a form posted without a live session was not kept.
type notKept string

const (
	keptOK       notKept = ""
	keptNoPage   notKept = "session_ended_not_kept" // no page to bring it back on, or no account
	keptTooLarge notKept = "session_ended_too_large"
	keptFileOnly notKept = "session_ended_file" // only a file was chosen: nothing to bring back
)

// keepForm keeps a POST made without a live session for the next login of
// the account accountCookie names, and returns the page the form was on
// ("" when there is none) and why it was not kept (keptOK when it was). An
// empty form is not kept, and needs no word.
func (s *Server) keepForm(w http.ResponseWriter, r *http.Request) (string, notKept, bool) {
	now := s.svc.Now()
	userID := s.accountOf(r, now)
	if userID == "" {
		// No account: the login says the session ended, and leads to the
		// route's page when it needs nothing from the form.
		return formPageOf(r, nil), keptNoPage, false
	}
	vals, hadFile, hadPass, err := readKept(w, r)
	if errors.Is(err, errTooLarge) {
		return formPageOf(r, nil), keptTooLarge, true
	}
	if err != nil {
		return formPageOf(r, nil), keptNoPage, true
	}
	page := formPageOf(r, vals)
	if page == "" {
		return page, keptNoPage, true
	}
	if len(vals) == 0 && hadFile {
		return page, keptFileOnly, true // a form of a file alone: nothing would come back
	}
	if len(vals) == 0 {
		return page, keptNoPage, hadPass
	}
	id := make([]byte, 24)
	if _, err := rand.Read(id); err != nil {
		return page, keptNoPage, true
	}
	key := base64.RawURLEncoding.EncodeToString(id)
	k := s.kept
	k.mu.Lock()
	for old, f := range k.forms {
		if f.userID == userID || now.After(f.expires) {
			delete(k.forms, old)
		}
	}
	full := len(k.forms) >= maxKept
	if !full {
		k.forms[key] = &keptForm{userID: userID, page: page, action: r.URL.Path, values: vals, hadFile: hadFile, hadPass: hadPass, expires: now.Add(keptFor)}
	}
	k.mu.Unlock()
	if full {
		return page, keptNoPage, true
	}
	http.SetCookie(w, s.cookie(r, pendingCookie, key, now.Add(keptFor)))
	return page, keptOK, true
}

// postedFrom is the page a form was posted from: the Referer's path on this
// host, if it is a clean local path.
func postedFrom(r *http.Request) string {
	ref, err := url.Parse(r.Referer())
	if err != nil || ref.Host != r.Host || (ref.Scheme != "http" && ref.Scheme != "https") {
		return ""
	}
	return localPath(ref.RequestURI(), "")
}

// restoreForm fills v with the form kept for this page and user, once, and
// returns its action ("" when none). The caller checks that the page
// really rendered a form with that action (render), else says the form
// could not be kept. A kept form found under another account is forgotten
// unseen; a pendingCookie that names no kept form (the server restarted,
// or the form expired) says the form could not be kept.
func (s *Server) restoreForm(w http.ResponseWriter, r *http.Request, v *view) string {
	c, err := r.Cookie(pendingCookie)
	if err != nil || c.Value == "" || v.User == nil {
		return ""
	}
	k := s.kept
	k.mu.Lock()
	f, ok := k.forms[c.Value]
	use := ok && f.userID == v.User.ID && f.page == r.URL.RequestURI() && s.svc.Now().Before(f.expires)
	lost := !ok || (f.userID == v.User.ID && !s.svc.Now().Before(f.expires))
	if !ok || use || f.userID != v.User.ID || !s.svc.Now().Before(f.expires) {
		delete(k.forms, c.Value)
	}
	k.mu.Unlock()
	if !ok || f.userID != v.User.ID || use || lost {
		s.clearCookie(w, r, pendingCookie)
	}
	if lost {
		v.Flash = translate(v.Lang, "Your form could not be kept: type it again.")
		return ""
	}
	if !use {
		return ""
	}
	v.Form, v.FormAction = f.values, f.action
	v.Flash = translate(v.Lang, "Your session had ended, so the form was not sent. What you typed is back: check it and send the form again.")
	if f.hadFile {
		v.Flash += " " + translate(v.Lang, "Files are not kept: choose the file again.")
	}
	if f.hadPass {
		v.Flash += " " + translate(v.Lang, "Passwords are not kept: type it again.")
	}
	return f.action
}

// toLogin sends a visitor without a (live) session to the login page. A
// form they posted is kept for their next login (keepForm) and the login
// leads back to the page that carries it; a page they asked for is where
// the login leads. The login page says whether the form was kept.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	msg := ""
	if r.Method == http.MethodPost {
		page, why, typed := s.keepForm(w, r)
		next = page
		switch {
		case why == keptOK:
			msg = "&msg=form_kept"
		case typed:
			msg = "&msg=" + string(why)
		default:
			msg = "&msg=session_ended"
		}
	}
	if next == "" {
		http.Redirect(w, r, "/login"+strings.Replace(msg, "&", "?", 1), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(next)+msg, http.StatusSeeOther)
}

// forgetKept drops the account's kept form (at logout).
func (s *Server) forgetKept(userID string) {
	s.kept.mu.Lock()
	defer s.kept.mu.Unlock()
	for id, f := range s.kept.forms {
		if f.userID == userID {
			delete(s.kept.forms, id)
		}
	}
}
