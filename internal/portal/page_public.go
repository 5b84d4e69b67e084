package portal

import (
	"net/http"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

type categoryInfo struct {
	Code   registry.Category
	Who    string
	Mobile bool
	Docs   []registry.DocumentRequirement
	Fee    bool
}

// categoryWho says who applies in each category (README's "Documents" table).
var categoryWho = map[registry.Category]string{
	registry.CategoryCompany:    "Companies, banks, embassies, software houses",
	registry.CategoryFreelancer: "Individuals working for clients abroad",
	registry.CategoryCallCenter: "Call centres",
	registry.CategoryVideoConf:  "Companies and government bodies",
	registry.CategoryMobile:     "Individuals without a fixed IP address",
}

func categories() []categoryInfo {
	out := make([]categoryInfo, 0, len(registry.Categories))
	for _, c := range registry.Categories {
		out = append(out, categoryInfo{Code: c, Who: categoryWho[c], Mobile: c.UsesMobileNumbers(), Docs: registry.RequiredDocuments(c),
			Fee: c == registry.CategoryCallCenter || c == registry.CategoryVideoConf})
	}
	return out
}

// homeNotices is how many current notices the home page shows, newest
// first; it links to /notices for all of them.
const homeNotices = 3

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	set, err := s.svc.PublicSettings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fig, err := s.homeFigures.get(r.Context(), s.svc.Stats)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fig = fig.public()
	// The newest current notices, each with its changes (notices.go),
	// and how many there are: the rest are on /notices.
	notices, current, err := s.svc.HomeNotices(r.Context(), homeNotices)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "home", &view{Title: "Register your VPN",
		D: map[string]any{"Notices": notices, "CurrentNotices": current, "Settings": set, "Categories": categories(), "Active": fig.Active,
			"Decisions": fig.Decisions, "WithinSLA": fig.WithinSLA}})
}

func (s *Server) privacy(w http.ResponseWriter, r *http.Request) {
	set, err := s.svc.PublicSettings(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "privacy", &view{Title: "Privacy notice", D: map[string]any{"RetentionDays": set.DocumentRetentionDays,
		"OutboxKeepDays": set.OutboxKeepDays}})
}

// switchLang sets the language cookie for a year and goes back.
func (s *Server) switchLang(w http.ResponseWriter, r *http.Request) {
	code := registry.Language(r.PathValue("code")) // /lang/UR too
	if code == "" {
		s.errorPage(w, r, http.StatusNotFound, "Page not found", "The portal speaks English (en) and Urdu (ur).")
		return
	}
	c := s.cookie(r, langCookie, code, time.Now().AddDate(1, 0, 0))
	http.SetCookie(w, c)
	http.Redirect(w, r, localPath(r.URL.Query().Get("next"), "/"), http.StatusSeeOther)
}

func (s *Server) verifyPage(w http.ResponseWriter, r *http.Request) {
	number := strings.TrimSpace(r.PathValue("number"))
	if number == "" {
		number = strings.TrimSpace(r.URL.Query().Get("number"))
	}
	code := strings.TrimSpace(r.URL.Query().Get("code"))
	v := &view{Title: "Verify a registration", Form: map[string][]string{"number": {number}, "code": {code}}}
	d := map[string]any{}
	v.D = d
	token := strings.TrimSpace(r.URL.Query().Get("c"))
	if number != "" || code != "" {
		var res *registry.PublicRegistration
		var check *registry.CertificateCheck
		var err error
		if token != "" {
			res, check, err = s.svc.VerifyCertificate(r.Context(), number, code, token)
		} else {
			res, err = s.svc.Verify(r.Context(), number, code)
		}
		switch {
		case err == nil:
			d["Result"] = res
			if check != nil {
				d["Certificate"] = check
			}
		case registry.ErrorCode(err) == registry.ENOTFOUND:
			d["NotFound"] = true
			s.render(w, r, http.StatusNotFound, "verify", v)
			return
		case registry.ErrorCode(err) == registry.EINVALID:
			v.Err = toFormError(s, r, err)
			s.render(w, r, http.StatusUnprocessableEntity, "verify", v)
			return
		default:
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "verify", v)
}
