package portal

import (
	"net/http"
	"net/url"

	"github.com/ipreg/ipreg/internal/registry"
)

// adminProviders lists the register of licensed VPN providers with a link
// to change each, and the form that adds one (admins).
func (s *Server) adminProviders(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	s.renderAdminProviders(w, r, u, http.StatusOK, nil, nil)
}

// renderAdminProviders shows the register; vals are the values of the
// add form as posted, shown back with its errors.
func (s *Server) renderAdminProviders(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError, vals url.Values) {
	ps, err := s.svc.AdminProviders(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if vals == nil {
		vals = url.Values{"status": {string(registry.ProviderActive)}}
	}
	s.render(w, r, status, "admin_providers", &view{Title: "Licensed VPN providers", User: u, Err: ferr, Form: vals,
		D: map[string]any{"Providers": ps, "Statuses": registry.ProviderStatuses}})
}

// providerInput reads the provider form: a browser sends every field, so
// each is given (an empty website removes it); a field a client left out
// is not changed, as PATCH leaves it (a missing website must not remove it).
func providerInput(f url.Values) registry.ProviderInput {
	get := func(k string) *string {
		if _, ok := f[k]; !ok {
			return nil
		}
		v := f.Get(k)
		return &v
	}
	return registry.ProviderInput{Name: get("name"), LicenceNumber: get("licence_number"), LicenceDate: get("licence_date"),
		Status: get("status"), Website: get("website")}
}

func (s *Server) adminProviderCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err == nil {
		if _, err = s.svc.AddProvider(r.Context(), u, providerInput(f)); err == nil {
			http.Redirect(w, r, "/admin/providers?msg=saved", http.StatusSeeOther)
			return
		}
	}
	s.renderAdminProviders(w, r, u, statusOf(err), toFormError(s, r, err), f)
}
