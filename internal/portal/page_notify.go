package portal

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

// verifyEmailPage shows the button that verifies an e-mail address with
// the mailed token. Opening the link changes nothing by itself: mail
// scanners that fetch links must not verify on the person's behalf.
func (s *Server) verifyEmailPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "verify_email", &view{Title: "Confirm your e-mail address", D: map[string]any{"Token": r.URL.Query().Get("token")}})
}

func (s *Server) verifyEmailPost(w http.ResponseWriter, r *http.Request) {
	f, err := form(w, r)
	if err == nil {
		if _, err = s.svc.VerifyEmail(r.Context(), f.Get("token")); err == nil {
			s.render(w, r, http.StatusOK, "verify_email", &view{Title: "Confirm your e-mail address", D: map[string]any{"Done": true}})
			return
		}
	}
	s.render(w, r, statusOf(err), "verify_email", &view{Title: "Confirm your e-mail address", Err: toFormError(s, r, err),
		D: map[string]any{"Token": f.Get("token")}})
}

// accountVerification mails the user a new verification link.
func (s *Server) accountVerification(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r)
	if !ok {
		return
	}
	_, err := form(w, r)
	if err == nil {
		if err = s.svc.ResendEmailVerification(r.Context(), u); err == nil {
			http.Redirect(w, r, "/account?msg=verification_sent", http.StatusSeeOther)
			return
		}
	}
	s.renderAccount(w, r, statusOf(err), u, nil, toFormError(s, r, err))
}

// accountLanguage sets the language of the user's e-mail and SMS.
func (s *Server) accountLanguage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err == nil {
		if _, err = s.svc.SetLanguage(r.Context(), u, f.Get("lang")); err == nil {
			http.Redirect(w, r, "/account?msg=saved", http.StatusSeeOther)
			return
		}
	}
	s.renderAccount(w, r, statusOf(err), u, nil, toFormError(s, r, err))
}

// adminOutbox lists the messages waiting to go out and those given up,
// with the last error and a Resend button; never their bodies.
func (s *Server) adminOutbox(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	s.renderOutbox(w, r, u, http.StatusOK, nil)
}

func (s *Server) renderOutbox(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError) {
	failed, err := s.svc.ListOutbox(r.Context(), u, string(registry.MessageFailed))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pending, err := s.svc.ListOutbox(r.Context(), u, string(registry.MessagePending))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "admin_outbox", &view{Title: "Outgoing messages", User: u, Err: ferr,
		D: map[string]any{"Failed": failed, "Pending": pending}})
}

func (s *Server) adminOutboxResend(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	_, err := form(w, r)
	if err == nil {
		if _, err = s.svc.ResendOutbox(r.Context(), u, r.PathValue("id")); err == nil {
			http.Redirect(w, r, "/admin/outbox?msg=resent", http.StatusSeeOther)
			return
		}
	}
	s.renderOutbox(w, r, u, statusOf(err), toFormError(s, r, err))
}
