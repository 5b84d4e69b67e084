package portal

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/ipreg/ipreg/internal/registry"
)

func (s *Server) registrationView(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r)
	if !ok {
		return
	}
	s.renderRegistration(w, r, u, http.StatusOK, nil, nil)
}

func (s *Server) renderRegistration(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError, vals url.Values) {
	reg, err := s.svc.GetRegistration(r.Context(), u, r.PathValue("number"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := map[string]any{"Reg": reg}
	if err := s.svc.CertificateUnavailable(reg); err != nil {
		d["NoCertificate"] = registry.ErrorMessage(err) // shown instead of a download that would fail
	}
	// The application it came from, named by its reference: the holder's
	// own application; for staff (whose every read of an application is
	// audited) what the registration itself holds.
	d["App"] = &registry.Application{ID: reg.ApplicationID, Category: reg.Category, Addresses: reg.Addresses, MobileNumbers: reg.MobileNumbers}
	if u.Role == registry.RoleApplicant {
		if a, err := s.svc.GetApplication(r.Context(), u, reg.ApplicationID); err == nil {
			d["App"] = a
		}
		opts, err := s.svc.RegistrationChanges(r.Context(), u, reg.Number)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		d["Changes"] = opts
	}
	s.render(w, r, status, "registration", &view{Title: "Registration", User: u, Err: ferr, Form: vals, D: d})
}

// registrationCertificate sends the certificate PDF as a download; when
// there is none (an ended registration, a name it cannot print), the
// registration page says why.
func (s *Server) registrationCertificate(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r)
	if !ok {
		return
	}
	number := r.PathValue("number")
	b, err := s.svc.CertificatePDF(r.Context(), u, number)
	if err != nil {
		if c := registry.ErrorCode(err); c == registry.ENOTFOUND || c == registry.EFORBIDDEN || c == registry.EUNAUTHORIZED {
			s.fail(w, r, err)
			return
		}
		s.renderRegistration(w, r, u, statusOf(err), toFormError(s, r, err), nil)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/pdf")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Content-Disposition", contentDisposition("attachment", "certificate-"+number+".pdf"))
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func (s *Server) registrationSurrender(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err == nil {
		if _, err = s.svc.Surrender(r.Context(), u, r.PathValue("number"), f.Get("reason")); err == nil {
			http.Redirect(w, r, "/registrations/"+r.PathValue("number")+"?msg=surrendered", http.StatusSeeOther)
			return
		}
	}
	s.renderRegistration(w, r, u, statusOf(err), toFormError(s, r, err), f)
}

func (s *Server) revocationPropose(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleReviewer, registry.RoleSupervisor)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err == nil {
		if _, err = s.svc.ProposeRevocation(r.Context(), u, r.PathValue("number"), f.Get("reason")); err == nil {
			http.Redirect(w, r, "/revocations?msg=proposed", http.StatusSeeOther)
			return
		}
	}
	s.renderRegistration(w, r, u, statusOf(err), toFormError(s, r, err), f)
}
