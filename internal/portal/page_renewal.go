package portal

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ipreg/ipreg/internal/registry"
)

// changeable loads the registration the path names and what its holder
// may change in it; false when it answered the request already (an error
// page).
func (s *Server) changeable(w http.ResponseWriter, r *http.Request, u *registry.User, number string) (*registry.Registration, *registry.ChangeOptions, bool) {
	reg, err := s.svc.GetRegistration(r.Context(), u, number)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	opts, err := s.svc.RegistrationChanges(r.Context(), u, reg.Number)
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, false
	}
	return reg, opts, true
}

// renewPage shows the renewal form, prefilled from the registration and
// its last application (the open renewal's own values when it fails).
func (s *Server) renewPage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	reg, opts, ok := s.changeable(w, r, u, r.PathValue("number"))
	if !ok {
		return
	}
	if !opts.CanRenew {
		s.errorPage(w, r, http.StatusConflict, "That cannot be done now", translateDomain(currentLang(r), opts.RenewBlocked))
		return
	}
	last, err := s.svc.GetApplication(r.Context(), u, reg.ApplicationID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vals := url.Values{"subscriber_id": {last.SubscriberID}, "vpn_protocol": {last.VPN.Protocol},
		"vpn_endpoints": {strings.Join(last.VPN.Endpoints, "\n")}, "purpose": {last.Purpose},
		"items": {strings.Join(regItems(reg), "\n")}}
	s.renderRenew(w, r, u, reg, opts, http.StatusOK, nil, vals)
}

func regItems(reg *registry.Registration) []string {
	out := make([]string, 0, len(reg.Addresses)+len(reg.MobileNumbers))
	for _, p := range reg.Addresses {
		out = append(out, p.String())
	}
	return append(out, reg.MobileNumbers...)
}

func (s *Server) renderRenew(w http.ResponseWriter, r *http.Request, u *registry.User, reg *registry.Registration, opts *registry.ChangeOptions, status int, ferr *formError, vals url.Values) {
	items := "IP addresses or prefixes"
	if reg.Category.UsesMobileNumbers() {
		items = "Mobile numbers"
	}
	ferr = ferr.withLabels(map[string]string{"items": items, "payment_reference": "Payment reference (if a fee is due)"})
	s.render(w, r, status, "registration_renew", &view{Title: "Renew the registration", User: u, Err: ferr, Form: vals,
		D: map[string]any{"Reg": reg, "Changes": opts, "Protocols": registry.Protocols}})
}

// renewPost files the renewal; on an error the form comes back with what
// was typed.
func (s *Server) renewPost(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	number := r.PathValue("number")
	f, err := form(w, r)
	if err == nil {
		reg, gerr := s.svc.GetRegistration(r.Context(), u, number)
		if gerr != nil {
			s.fail(w, r, gerr)
			return
		}
		items, lines := listLines(f.Get("items"))
		field := "addresses"
		in := registry.ApplicationInput{SubscriberID: ptr(f.Get("subscriber_id")), VPNProtocol: ptr(f.Get("vpn_protocol")),
			Purpose: ptr(f.Get("purpose"))}
		eps, _ := listLines(f.Get("vpn_endpoints"))
		in.VPNEndpoints = &eps
		if pay := strings.TrimSpace(f.Get("payment_reference")); pay != "" {
			in.PaymentReference = &pay
		}
		if reg.Category.UsesMobileNumbers() {
			in.MobileNumbers, field = &items, "mobile_numbers"
		} else {
			in.Addresses = &items
		}
		var a *registry.Application
		if a, err = s.svc.Renew(r.Context(), u, number, in); err == nil {
			http.Redirect(w, r, "/applications/"+a.ID+"?msg=renewal", http.StatusSeeOther)
			return
		}
		places := itemPlaces{}
		for _, n := range lines {
			places[field] = append(places[field], itemPlace{"items", n})
		}
		err = places.relabel(err)
	}
	s.rerenderChange(w, r, u, number, "registration_renew", err, f)
}

// rerenderChange shows a renewal or change form again with the error.
func (s *Server) rerenderChange(w http.ResponseWriter, r *http.Request, u *registry.User, number, page string, err error, f url.Values) {
	reg, opts, ok := s.changeable(w, r, u, number)
	if !ok {
		return
	}
	if page == "registration_renew" {
		s.renderRenew(w, r, u, reg, opts, statusOf(err), toFormError(s, r, err), f)
		return
	}
	s.renderChange(w, r, u, reg, opts, statusOf(err), toFormError(s, r, err), f)
}

// changePage shows the form to add items to a registration or give some up.
func (s *Server) changePage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	reg, opts, ok := s.changeable(w, r, u, r.PathValue("number"))
	if !ok {
		return
	}
	if !opts.CanAmend {
		s.errorPage(w, r, http.StatusConflict, "That cannot be done now", translateDomain(currentLang(r), opts.AmendBlocked))
		return
	}
	s.renderChange(w, r, u, reg, opts, http.StatusOK, nil, url.Values{})
}

func (s *Server) renderChange(w http.ResponseWriter, r *http.Request, u *registry.User, reg *registry.Registration, opts *registry.ChangeOptions, status int, ferr *formError, vals url.Values) {
	title := "Change addresses"
	labels := map[string]string{"add": "IP addresses or prefixes to add", "remove": "Give up addresses",
		"purpose": "Why you need the new ones (optional)", "payment_reference": "Payment reference (if a fee is due)"}
	if reg.Category.UsesMobileNumbers() {
		title = "Change mobile numbers"
		labels["add"], labels["remove"] = "Mobile numbers to add", "Give up mobile numbers"
	}
	ferr = ferr.withLabels(labels)
	s.render(w, r, status, "registration_change", &view{Title: title, User: u, Err: ferr, Form: vals,
		D: map[string]any{"Reg": reg, "Changes": opts, "Items": regItems(reg), "Remove": vals["remove"]}})
}

// changePost gives up the ticked items at once and files the added ones
// as an amendment.
func (s *Server) changePost(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	number := r.PathValue("number")
	f, err := form(w, r)
	if err == nil {
		add, lines := listLines(f.Get("add"))
		in := registry.AmendmentInput{Add: add, Remove: f["remove"]}
		if p := strings.TrimSpace(f.Get("purpose")); p != "" {
			in.Purpose = &p
		}
		if pay := strings.TrimSpace(f.Get("payment_reference")); pay != "" {
			in.PaymentReference = &pay
		}
		var a *registry.Application
		if _, a, err = s.svc.Amend(r.Context(), u, number, in); err == nil {
			if a != nil {
				http.Redirect(w, r, "/applications/"+a.ID+"?msg=amendment", http.StatusSeeOther)
			} else {
				http.Redirect(w, r, "/registrations/"+number+"?msg=given_up", http.StatusSeeOther)
			}
			return
		}
		places := itemPlaces{}
		for _, n := range lines {
			places["add"] = append(places["add"], itemPlace{"add", n})
		}
		err = places.relabel(err)
	}
	s.rerenderChange(w, r, u, number, "registration_change", err, f)
}

func ptr(s string) *string { return &s }
