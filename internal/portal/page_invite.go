package portal

import (
	"net/http"
	"strconv"

	"github.com/ipreg/ipreg/internal/registry"
)

// claimPage shows the form that claims an invited (imported) holder's
// account: a password, and an e-mail address when the account has none.
// Opening the link changes nothing: mail scanners fetch links.
func (s *Server) claimPage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	info, err := s.svc.InvitationInfo(r.Context(), token)
	if err != nil {
		s.render(w, r, statusOf(err), "claim", &view{Title: "Claim your account", Err: toFormError(s, r, err), D: map[string]any{"Invalid": true}})
		return
	}
	s.render(w, r, http.StatusOK, "claim", &view{Title: "Claim your account", D: map[string]any{"Token": token, "Info": info}})
}

// claimPost sets the password, logs the holder in and shows their
// registrations. A refused form comes back with the e-mail typed (never
// the password) and the token.
func (s *Server) claimPost(w http.ResponseWriter, r *http.Request) {
	f, err := form(w, r)
	if err == nil {
		var tok string
		var t *registry.Token
		tok, t, err = s.svc.ClaimInvitation(r.Context(), registry.ClaimInput{Token: f.Get("token"), Password: f.Get("password"),
			Email: f.Get("email"), ClientIP: clientIP(r)})
		if err == nil {
			s.setSession(w, r, tok, t.UserID, t.ExpiresAt)
			http.Redirect(w, r, "/dashboard?msg=claimed", http.StatusSeeOther)
			return
		}
	}
	d := map[string]any{"Token": f.Get("token")}
	if info, ierr := s.svc.InvitationInfo(r.Context(), f.Get("token")); ierr == nil {
		d["Info"] = info
	} else {
		d["Invalid"] = true
	}
	f.Del("password")
	s.render(w, r, statusOf(err), "claim", &view{Title: "Claim your account", Err: toFormError(s, r, err), Form: f, D: d})
}

// adminInvitations lists the invitations not yet claimed: a holder without
// e-mail needs a link handed out (made here, shown once).
func (s *Server) adminInvitations(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	s.renderInvitations(w, r, u, http.StatusOK, nil, nil)
}

// invitationsPage is how many invitations /admin/invitations shows at
// once (31,000 holders on one page were 23 MB).
const invitationsPage = 100

// renderInvitations shows the page ?page= (from 1) of the pending
// invitations, with links to the previous and next pages; a page that is
// not there says so (404), with a link to the first.
func (s *Server) renderInvitations(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError, link *registry.InvitationLink) {
	if err := registry.QueryOnce(r.URL.Query(), "page"); err != nil {
		// ?page=1&page=2: which page was meant is unknown; say so, as
		// the statistics page does for a repeated from or to.
		s.render(w, r, http.StatusBadRequest, "admin_invitations", &view{Title: "Invitations", User: u, Err: toFormError(s, r, err),
			D: map[string]any{"NoPublicURL": s.cfg.PublicURL == "", "Repeated": true}})
		return
	}
	raw := r.URL.Query().Get("page")
	page := 1
	if raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			page = 0
		} else {
			page = n
		}
	}
	list, total, err := s.svc.PendingInvitationsPage(r.Context(), u, max(page, 1), invitationsPage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pages := max(1, (total+invitationsPage-1)/invitationsPage)
	d := map[string]any{"List": list, "Link": link, "NoPublicURL": s.cfg.PublicURL == "", "Total": total, "Page": page, "Pages": pages}
	if page < 1 || page > pages {
		// Say so, and where the list is: not an empty list that reads
		// as "no invitations".
		d["NoSuchPage"] = registry.Echo(raw)
		d["List"] = nil
		if status == http.StatusOK {
			status = http.StatusNotFound
		}
	} else {
		if page > 1 {
			d["Prev"] = "/admin/invitations?page=" + strconv.Itoa(page-1)
		}
		if page < pages {
			d["Next"] = "/admin/invitations?page=" + strconv.Itoa(page+1)
		}
	}
	s.render(w, r, status, "admin_invitations", &view{Title: "Invitations", User: u, Err: ferr, D: d})
}

// adminInvitationLink renews a user's invitation and shows its new link,
// this once: only its hash is kept.
func (s *Server) adminInvitationLink(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	_, err := form(w, r)
	if err == nil {
		var link *registry.InvitationLink
		if link, err = s.svc.InvitationLink(r.Context(), u, r.PathValue("id")); err == nil {
			w.Header().Set("Cache-Control", "no-store")
			s.renderInvitations(w, r, u, http.StatusOK, nil, link)
			return
		}
	}
	s.renderInvitations(w, r, u, statusOf(err), toFormError(s, r, err), nil)
}

// adminInvitationResend mails a user a renewed invitation.
func (s *Server) adminInvitationResend(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	_, err := form(w, r)
	if err == nil {
		if _, err = s.svc.InviteUsers(r.Context(), u, []string{r.PathValue("id")}); err == nil {
			http.Redirect(w, r, "/admin/invitations?msg=invited", http.StatusSeeOther)
			return
		}
	}
	s.renderInvitations(w, r, u, statusOf(err), toFormError(s, r, err), nil)
}
