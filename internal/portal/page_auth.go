package portal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"image/png"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pquerna/otp"

	"github.com/ipreg/ipreg/internal/registry"
)

// maxForm bounds ordinary form bodies.
const maxForm = 256 << 10

// form parses a urlencoded form of at most maxForm bytes.
func form(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return nil, registry.Errorf(registry.EMALFORMED, "the form could not be read; reload the page and send it again")
	}
	// A browser sends neither a NUL nor invalid UTF-8 from the portal's
	// forms, and PostgreSQL's text holds neither: stored, they failed as
	// an internal error (500).
	// (next, where a form leads back to, is never stored and is checked
	// on its own: a bad one is ignored, not refused.)
	for k, vs := range r.PostForm {
		if k == "next" {
			continue
		}
		for _, v := range vs {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				return nil, registry.Errorf(registry.EMALFORMED, "the form could not be read; reload the page and send it again")
			}
		}
	}
	return r.PostForm, nil
}

// clientIP is the peer address, as the API takes it (no X-Forwarded-For).
func clientIP(r *http.Request) string {
	return registry.ClientAddress(r.RemoteAddr)
}

func (s *Server) signupPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signup", &view{Title: "Sign up"})
}

func (s *Server) signupPost(w http.ResponseWriter, r *http.Request) {
	f, err := form(w, r)
	if err == nil {
		in := registry.SignupInput{Email: f.Get("email"), Password: f.Get("password"), Kind: f.Get("kind"), Name: f.Get("name"),
			CNIC: f.Get("cnic"), Mobile: f.Get("mobile"), NTN: f.Get("ntn"), SECPNumber: f.Get("secp_number"), PSEBNumber: f.Get("pseb_number"),
			ClientIP: clientIP(r), Lang: currentLang(r)}
		if _, _, err = s.svc.Signup(r.Context(), in); err == nil {
			var tok string
			var t *registry.Token
			if tok, t, err = s.svc.Login(r.Context(), in.Email, in.Password, "", clientIP(r)); err == nil {
				s.setSession(w, r, tok, t.UserID, t.ExpiresAt)
				http.Redirect(w, r, "/dashboard?msg=welcome", http.StatusSeeOther)
				return
			}
		}
	}
	s.render(w, r, statusOf(err), "signup", &view{Title: "Sign up", Err: toFormError(s, r, err), Form: f})
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	if u := currentUser(r); u != nil && !u.EnrolmentOnly {
		http.Redirect(w, r, home(u), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", &view{Title: "Log in", D: map[string]any{"Next": localPath(r.URL.Query().Get("next"), "")}})
}

func (s *Server) loginPost(w http.ResponseWriter, r *http.Request) {
	f, err := form(w, r)
	askTOTP := false
	if err == nil {
		var tok string
		var t *registry.Token
		tok, t, err = s.svc.Login(r.Context(), f.Get("email"), f.Get("password"), f.Get("totp"), clientIP(r))
		if err == nil {
			s.setSession(w, r, tok, t.UserID, t.ExpiresAt)
			if t.Scope == registry.ScopeTOTPEnrolment {
				http.Redirect(w, r, "/account?msg=totp_required", http.StatusSeeOther)
				return
			}
			u, aerr := s.svc.Authenticate(r.Context(), tok)
			if aerr != nil {
				s.fail(w, r, aerr)
				return
			}
			http.Redirect(w, r, localPath(f.Get("next"), home(u)), http.StatusSeeOther)
			return
		}
		var e *registry.Error
		askTOTP = f.Get("totp") != "" || (asError(err, &e) && e.Fields["totp"] != "")
	}
	// The password is not sent back; the e-mail and the code field are.
	s.render(w, r, statusOf(err), "login", &view{Title: "Log in", Err: toFormError(s, r, err), Form: f,
		D: map[string]any{"Next": localPath(f.Get("next"), ""), "AskTOTP": askTOTP}})
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if u := currentUser(r); u != nil {
		if c, err := r.Cookie(SessionCookie); err == nil {
			if err := s.svc.Logout(r.Context(), u, c.Value); err != nil && registry.ErrorCode(err) != registry.ENOTFOUND {
				s.log.WarnContext(r.Context(), "portal: logout", "err", err)
			}
		}
		s.forgetKept(u.ID)
	}
	s.clearSession(w, r)
	s.clearCookie(w, r, accountCookie)
	s.clearCookie(w, r, pendingCookie)
	http.Redirect(w, r, "/?msg=logged_out", http.StatusSeeOther)
}

// forgotPage asks for the e-mail address to send a reset link to; on a
// server that cannot make links (no --public-url outside --demo) it says
// so instead of promising one.
func (s *Server) forgotPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "forgot", &view{Title: "Reset your password", D: s.forgotData()})
}

// forgotData is what the forgot-password page shows besides its form.
func (s *Server) forgotData() map[string]any {
	return map[string]any{"NoLinks": s.cfg.PublicURL == ""}
}

// forgotPost makes a reset link, which the registry mails through its
// outbox (never logged). The answer is the same whether or not the address
// has an account.
func (s *Server) forgotPost(w http.ResponseWriter, r *http.Request) {
	f, err := form(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.sendResetLink(r, f.Get("email")); err != nil {
		s.render(w, r, statusOf(err), "forgot", &view{Title: "Reset your password", Err: toFormError(s, r, err), Form: f, D: s.forgotData()})
		return
	}
	s.render(w, r, http.StatusOK, "forgot", &view{Title: "Reset your password", D: map[string]any{"Sent": true}})
}

// sendResetLink makes a reset link for email, if it has an account; the
// registry mails it through its outbox. Links start with the configured
// public URL, never the request's Host (a request with Host: evil.example
// would otherwise mail the user a link that hands the token to
// evil.example), so without one no link is made.
func (s *Server) sendResetLink(r *http.Request, email string) error {
	if s.cfg.PublicURL == "" {
		return registry.Errorf(registry.EUNAVAILABLE, "password reset links cannot be sent: this server was started without --public-url (IPREG_PUBLIC_URL); ask the registry's administrators")
	}
	_, err := s.svc.RequestPasswordResetLink(r.Context(), strings.TrimSpace(email), clientIP(r))
	return err
}

func (s *Server) resetPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "reset", &view{Title: "Set a new password", D: map[string]any{"Token": r.URL.Query().Get("token")}})
}

func (s *Server) resetPost(w http.ResponseWriter, r *http.Request) {
	f, err := form(w, r)
	if err == nil {
		if err = s.svc.ResetPassword(r.Context(), f.Get("token"), f.Get("password"), clientIP(r)); err == nil {
			s.clearSession(w, r)
			http.Redirect(w, r, "/login?msg=reset_done", http.StatusSeeOther)
			return
		}
	}
	s.render(w, r, statusOf(err), "reset", &view{Title: "Set a new password", Err: toFormError(s, r, err), D: map[string]any{"Token": f.Get("token")}})
}

// account shows the profile and two-factor authentication.
func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r)
	if !ok {
		return
	}
	s.renderAccount(w, r, http.StatusOK, u, nil, nil)
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, status int, u *registry.User, enrol *registry.TOTPEnrolment, ferr *formError) {
	p, err := s.svc.Me(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := map[string]any{"Profile": p}
	if enrol != nil {
		d["Secret"] = enrol.Secret
		d["QR"] = qrDataURL(enrol.URL)
	}
	s.render(w, r, status, "account", &view{Title: "Your account", User: u, Err: ferr, D: d})
}

// qrDataURL draws the otpauth URL as a QR code PNG in a data: URL (the
// CSP allows data: images), so the secret never leaves this response.
func qrDataURL(otpauth string) string {
	k, err := otp.NewKeyFromURL(otpauth)
	if err != nil {
		return ""
	}
	img, err := k.Image(200, 200)
	if err != nil {
		return ""
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return ""
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())
}

// otpauthURL rebuilds the enrolment URL for a secret being confirmed.
func otpauthURL(account, secret string) string {
	v := url.Values{"secret": {secret}, "issuer": {"ipreg"}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	return "otpauth://totp/ipreg:" + url.PathEscape(account) + "?" + v.Encode()
}

func (s *Server) totpBegin(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r)
	if !ok {
		return
	}
	e, err := s.svc.BeginTOTP(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderAccount(w, r, http.StatusOK, u, e, nil)
}

func (s *Server) totpConfirm(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err == nil {
		c, _ := r.Cookie(SessionCookie)
		if err = s.svc.ConfirmTOTP(r.Context(), u, c.Value, f.Get("code")); err == nil {
			http.Redirect(w, r, "/account?msg=totp_on", http.StatusSeeOther)
			return
		}
	}
	// Show the same secret again, so the user can retry with the app they set up.
	secret := f.Get("secret")
	s.renderAccount(w, r, statusOf(err), u, &registry.TOTPEnrolment{Secret: secret, URL: otpauthURL(u.Email, secret)}, toFormError(s, r, err))
}

// formWithFiles reads a form that may carry a file: multipart, held in
// memory up to limit, as the page sends it; or urlencoded, as a form
// posted without its file part is (a script, another client), whose values
// count just the same. fileField is the form's file field, which an error
// names only when the form had a file part and was too large; any other
// fault is said as such, never guessed to be the file's size.
func formWithFiles(w http.ResponseWriter, r *http.Request, limit int64, fileField string) (url.Values, map[string][]*multipart.FileHeader, error) {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	if mt == "multipart/form-data" {
		err = r.ParseMultipartForm(limit) // in memory: the limit is small, and no temporary files
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		var tooLarge *http.MaxBytesError
		size := strconv.FormatInt(limit>>20, 10) + " MiB"
		switch {
		case (errors.As(err, &tooLarge) || errors.Is(err, multipart.ErrMessageTooLarge)) && mt == "multipart/form-data":
			return url.Values{}, nil, registry.FieldErrors{fileField: fmt.Sprintf("is too large: the form with its file may be at most %s; choose a smaller file", size)}.Err()
		case errors.As(err, &tooLarge):
			return url.Values{}, nil, registry.Errorf(registry.EMALFORMED, "the form is larger than %s: send it again with less text", size)
		}
		return url.Values{}, nil, registry.Errorf(registry.EMALFORMED, "the form could not be read; reload the page and send it again")
	}
	if r.MultipartForm != nil {
		return r.PostForm, r.MultipartForm.File, nil
	}
	return r.PostForm, nil, nil
}
