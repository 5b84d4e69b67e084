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
	"strconv"
	"strings"
	"sync"
	"time"
)

// A form posted after the session ended comes back after the next login
// of the same account, with what was typed. The design:
//
//   - At login (and whenever the session's expiry moves on) the portal
//     sets a second cookie, accountCookie, naming the account with an
//     HMAC under a key made at start-up. It outlives the session by
//     keptGrace, so a form posted after the session ended still says whose
//     it was; it is cleared at logout, where no form is pending.
//   - A POST that needs a login and has no live session, but carries a
//     valid accountCookie, passed the cross-origin check like every POST
//     (Handler: http.CrossOriginProtection runs first). Its text fields are
//     kept in memory on the server (never in a cookie or a URL), minus
//     passwords and other secrets (keepable), and files are dropped. The
//     browser gets only a random id in pendingCookie. One form per account
//     (a newer one replaces it), at most maxKept in all, each for keptFor.
//   - The login page then leads back to the page the form was on (the
//     Referer, which the Referrer-Policy "same-origin" sends, checked by
//     localPath and to be this host) — never to the POST's address, which
//     has no page. When that page is rendered for the same account, its
//     forms are filled with the kept values and a message says to check
//     and send again (and to choose any file again). Nothing is sent on
//     the user's behalf: they submit the form themselves, with a fresh
//     request that meets every check again.
//   - Shown once, then forgotten. A page rendered for any other account
//     forgets it without showing it, so no account sees another's form.
//   - Kept in this process's memory: a restart, or another instance behind
//     a load balancer, loses it, and the user types the form again — the
//     price of keeping typed personal data out of cookies and the database.
const (
	accountCookie = "ipreg_account"
	pendingCookie = "ipreg_pending"
	keptFor       = 30 * time.Minute
	keptGrace     = 24 * time.Hour
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
	expires time.Time
}

// keptForms holds the forms waiting for their account's next login.
type keptForms struct {
	mu    sync.Mutex
	key   []byte // signs accountCookie
	forms map[string]*keptForm
}

func newKeptForms() (*keptForms, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	return &keptForms{key: key, forms: map[string]*keptForm{}}, nil
}

func (k *keptForms) sign(userID string, exp int64) string {
	m := hmac.New(sha256.New, k.key)
	io.WriteString(m, "account|"+userID+"|"+strconv.FormatInt(exp, 10))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// account is the account accountCookie names, if its signature holds and
// it has not expired.
func (k *keptForms) account(r *http.Request, now time.Time) string {
	c, err := r.Cookie(accountCookie)
	if err != nil {
		return ""
	}
	parts := strings.Split(c.Value, ".")
	if len(parts) != 3 {
		return ""
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || now.Unix() >= exp || !hmac.Equal([]byte(parts[2]), []byte(k.sign(parts[0], exp))) {
		return ""
	}
	return parts[0]
}

// setAccount sets accountCookie for a session that ends at expires.
func (s *Server) setAccount(w http.ResponseWriter, r *http.Request, userID string, expires time.Time) {
	until := expires.Add(keptGrace)
	v := userID + "." + strconv.FormatInt(until.Unix(), 10) + "." + s.kept.sign(userID, until.Unix())
	http.SetCookie(w, s.cookie(r, accountCookie, v, until))
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

// readKept reads a form's text fields for keeping, files excepted
// (hadFile says one was chosen). A body too large is kept in part.
func readKept(w http.ResponseWriter, r *http.Request) (vals url.Values, hadFile bool, err error) {
	vals = url.Values{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		f, err := form(w, r)
		if err != nil {
			return nil, false, err
		}
		for k, vs := range f {
			if keepable(k) {
				vals[k] = vs
			}
		}
		return vals, false, nil
	}
	// Files are skipped, but still read off the wire: no more than the
	// largest document the settings allow, and the fields around it.
	r.Body = http.MaxBytesReader(w, r.Body, maxKeptBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, false, err
	}
	size := 0
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return vals, hadFile, nil
		}
		if err != nil {
			return vals, hadFile, nil // what was read before stays
		}
		_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if _, isFile := params["filename"]; isFile {
			hadFile = hadFile || p.FileName() != ""
			continue // the reader skips the rest of the part
		}
		b, err := io.ReadAll(io.LimitReader(p, int64(maxKeptBytes-size+1)))
		if err != nil {
			return vals, hadFile, nil
		}
		size += len(b)
		if size > maxKeptBytes {
			return vals, hadFile, nil
		}
		if keepable(p.FormName()) {
			vals.Add(p.FormName(), string(b))
		}
	}
}

// keepForm keeps a POST made without a live session for the next login of
// the account accountCookie names, and returns the page the form was on
// ("" when there is none) and whether the form was kept (not without an
// account cookie or a page to return to, nor an empty form).
func (s *Server) keepForm(w http.ResponseWriter, r *http.Request) (string, bool) {
	now := s.svc.Now()
	page := postedFrom(r)
	userID := s.kept.account(r, now)
	if page == "" || userID == "" {
		return page, false
	}
	vals, hadFile, err := readKept(w, r)
	if err != nil || (len(vals) == 0 && !hadFile) {
		return page, false
	}
	id := make([]byte, 24)
	if _, err := rand.Read(id); err != nil {
		return page, false
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
		k.forms[key] = &keptForm{userID: userID, page: page, action: r.URL.Path, values: vals, hadFile: hadFile, expires: now.Add(keptFor)}
	}
	k.mu.Unlock()
	if full {
		return page, false
	}
	http.SetCookie(w, s.cookie(r, pendingCookie, key, now.Add(keptFor)))
	return page, true
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

// restoreForm fills v with the form kept for this page and user, once.
// A kept form found under another account is forgotten unseen.
func (s *Server) restoreForm(w http.ResponseWriter, r *http.Request, v *view) {
	c, err := r.Cookie(pendingCookie)
	if err != nil || c.Value == "" || v.User == nil {
		return
	}
	k := s.kept
	k.mu.Lock()
	f, ok := k.forms[c.Value]
	use := ok && f.userID == v.User.ID && f.page == r.URL.RequestURI() && s.svc.Now().Before(f.expires)
	if !ok || use || f.userID != v.User.ID || !s.svc.Now().Before(f.expires) {
		delete(k.forms, c.Value)
	}
	k.mu.Unlock()
	if !ok || f.userID != v.User.ID || use {
		s.clearCookie(w, r, pendingCookie)
	}
	if !use {
		return
	}
	v.Form, v.FormAction = f.values, f.action
	v.Flash = translate(v.Lang, "Your session had ended, so the form was not sent. What you typed is back: check it and send the form again.")
	if f.hadFile {
		v.Flash += " " + translate(v.Lang, "Files are not kept: choose the file again.")
	}
}

// toLogin sends a visitor without a (live) session to the login page. A
// form they posted is kept for their next login (keepForm) and the login
// leads back to the page it was on; a page they asked for is where the
// login leads.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	msg := ""
	if r.Method == http.MethodPost {
		var kept bool
		next, kept = s.keepForm(w, r)
		msg = "&msg=session_ended"
		if kept {
			msg = "&msg=form_kept"
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
