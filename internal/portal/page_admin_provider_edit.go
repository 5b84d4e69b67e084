package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ipreg/ipreg/internal/registry"
)

// adminProviderEdit is the form that changes one provider of the register,
// filled with its current values (admins).
func (s *Server) adminProviderEdit(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	p, err := s.svc.AdminProvider(r.Context(), u, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderProviderEdit(w, r, u, http.StatusOK, nil, providerValues(p), map[string]any{"Provider": p})
}

// providerValues fills the edit form with p's current values, and the
// hidden revision the save checks (tester t2, M2): the form always sends
// it, so a form opened before another admin's change is refused.
func providerValues(p *registry.Provider) url.Values {
	return url.Values{"name": {p.Name}, "licence_number": {p.LicenceNumber}, "licence_date": {p.LicenceDate},
		"status": {string(p.Status)}, "website": {p.Website}, "revision": {strconv.Itoa(p.Revision)}}
}

// renderProviderEdit shows the edit form; d holds "Provider" (the entry
// edited) and, for a stale form, "Current" (the entry as saved now).
func (s *Server) renderProviderEdit(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError, vals url.Values, d map[string]any) {
	d["Statuses"] = registry.ProviderStatuses
	s.render(w, r, status, "admin_provider_edit", &view{Title: "Change a licensed VPN provider", User: u, Err: ferr, Form: vals, D: d})
}

// adminProviderUpdate saves the edit form; refused, the form comes back
// with what was typed and the errors.
func (s *Server) adminProviderUpdate(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	// The provider first: an unknown id is "not found" whatever was sent.
	p, err := s.svc.AdminProvider(r.Context(), u, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := form(w, r)
	if err != nil {
		s.renderProviderEdit(w, r, u, statusOf(err), toFormError(s, r, err), providerValues(p), map[string]any{"Provider": p})
		return
	}
	in := providerInput(f)
	// The form always sends the revision it showed; one without it (a
	// form from before this check, or hand-made) is treated as stale
	// rather than saved unchecked.
	in.Revision, err = strconv.Atoi(f.Get("revision"))
	if err != nil || in.Revision < 1 {
		in.Revision = 0
		err = registry.Errorf(registry.ECONFLICT, "the form did not say which version of the provider it changes; look at its current values and make your change again")
	} else if _, err = s.svc.UpdateProvider(r.Context(), u, p.ID, in); err == nil {
		http.Redirect(w, r, "/admin/providers?msg=saved", http.StatusSeeOther)
		return
	}
	d := map[string]any{"Provider": p}
	ferr := toFormError(s, r, err)
	var re *registry.Error
	if errors.As(err, &re) && re.Code == registry.ECONFLICT && len(re.Fields) == 0 {
		// Changed meanwhile (as a notice's stale form): the form keeps
		// what was typed, now against the current revision (so that
		// saving it again is not refused again), and shows the values
		// saved now, so that the admin keeps the other change or
		// overrules it knowingly (what was typed could undo a
		// revocation).
		if cur, cerr := s.svc.AdminProvider(r.Context(), u, p.ID); cerr == nil {
			f.Set("revision", strconv.Itoa(cur.Revision))
			d["Provider"], d["Current"], d["Differs"] = cur, cur, providerDiffers(cur, f)
			if in.Revision != 0 {
				ferr = &formError{NotForm: true, Summary: translate(currentLang(r), "Someone else changed this provider since you opened the form, so your change was not saved. The values saved now are listed below; the form keeps what you typed. Check it, then save again to replace their version with yours.")}
			}
		}
	}
	s.renderProviderEdit(w, r, u, statusOf(err), ferr, f, d)
}

// providerDiffers names the fields whose value saved now is not what the
// stale form holds (spelling aside: case of the licence number, spaces,
// another spelling of the same website), so that the admin sees at once
// what the other change and their own disagree on.
func providerDiffers(cur *registry.Provider, f url.Values) map[string]bool {
	typed := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	return map[string]bool{
		"name":           typed("name") != cur.Name,
		"licence_number": !strings.EqualFold(typed("licence_number"), cur.LicenceNumber),
		"licence_date":   typed("licence_date") != cur.LicenceDate,
		"status":         typed("status") != string(cur.Status),
		"website":        !registry.SameWebsite(typed("website"), cur.Website),
	}
}
