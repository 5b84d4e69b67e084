package portal

import (
	"net/http"
	"net/url"

	"github.com/ipreg/ipreg/internal/registry"
)

// adminProviderEdit is the form that changes one provider of the register,
// filled with its current values (admins).
func (s *Server) adminProviderEdit(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	p, err := s.svc.Provider(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vals := url.Values{"name": {p.Name}, "licence_number": {p.LicenceNumber}, "licence_date": {p.LicenceDate},
		"status": {string(p.Status)}, "website": {p.Website}}
	s.renderProviderEdit(w, r, u, p, http.StatusOK, nil, vals)
}

func (s *Server) renderProviderEdit(w http.ResponseWriter, r *http.Request, u *registry.User, p *registry.Provider, status int, ferr *formError, vals url.Values) {
	s.render(w, r, status, "admin_provider_edit", &view{Title: "Change a licensed VPN provider", User: u, Err: ferr, Form: vals,
		D: map[string]any{"Provider": p, "Statuses": registry.ProviderStatuses}})
}

// adminProviderUpdate saves the edit form; refused, the form comes back
// with what was typed and the errors.
func (s *Server) adminProviderUpdate(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	// The provider first: an unknown id is "not found" whatever was sent.
	p, err := s.svc.Provider(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := form(w, r)
	if err == nil {
		if _, err = s.svc.UpdateProvider(r.Context(), u, p.ID, providerInput(f)); err == nil {
			http.Redirect(w, r, "/admin/providers?msg=saved", http.StatusSeeOther)
			return
		}
	}
	s.renderProviderEdit(w, r, u, p, statusOf(err), toFormError(s, r, err), f)
}
