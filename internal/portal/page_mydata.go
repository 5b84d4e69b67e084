package portal

import (
	"context"
	"net/http"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/registry"
)

// accountExport downloads the applicant's data: the same JSON document as
// GET /api/v1/me/export.
func (s *Server) accountExport(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	x, err := s.svc.ExportData(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, name, err := api.ExportJSON(x)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	w.Write(body)
}

// accountDeletePage says what deleting the account does and asks for the
// password and a confirmation.
func (s *Server) accountDeletePage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	s.renderAccountDelete(w, r, http.StatusOK, u, nil, nil)
}

func (s *Server) renderAccountDelete(w http.ResponseWriter, r *http.Request, status int, u *registry.User, f map[string][]string, ferr *formError) {
	set, err := s.svc.PublicSettings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ferr = ferr.withLabels(map[string]string{"password": "Your password"})
	s.render(w, r, status, "account_delete", &view{Title: "Delete your account", User: u, Err: ferr, Form: f,
		D: map[string]any{"RetentionDays": set.DocumentRetentionDays}})
}

// accountDeletePost deletes the account; on success the session ends and
// the page says what was deleted and what is kept until when.
func (s *Server) accountDeletePost(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err == nil {
		var d *registry.AccountDeletion
		if d, err = s.svc.DeleteAccount(r.Context(), u, f.Get("password"), f.Get("confirm") == "yes"); err == nil {
			s.clearSession(w, r)
			// The page is for nobody logged in: the user is gone.
			r = r.WithContext(context.WithValue(r.Context(), userKey, (*registry.User)(nil)))
			s.render(w, r, http.StatusOK, "account_deleted", &view{Title: "Your account is deleted", D: d})
			return
		}
	}
	f.Del("password") // never shown back
	s.renderAccountDelete(w, r, statusOf(err), u, f, toFormError(s, r, err))
}
