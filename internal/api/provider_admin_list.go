package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

// adminListProviders lists the register for admins: each provider with
// its revision and, where the stored website fails today's rule, its
// website_warning, so that a client finds the websites to fix without
// sending a change. ?website_warning=true keeps only those; false, as
// leaving it out, lists all (a boolean, as ?dry_run= of the import).
func (s *Server) adminListProviders(w http.ResponseWriter, r *http.Request) {
	var only bool
	switch v := r.URL.Query().Get("website_warning"); v {
	case "", "false":
	case "true":
		only = true
	default:
		fe := registry.FieldErrors{}
		fe.Add("website_warning", `must be "true" to list only the providers whose website has a warning, or "false" (or left out) to list all; %q is neither`, v)
		s.writeError(w, r, fe.Err())
		return
	}
	ps, err := s.svc.AdminProviders(r.Context(), user(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]*providerView, 0, len(ps))
	for _, p := range ps {
		if v := viewProviderForAdmin(p); !only || v.WebsiteWarning != "" {
			out = append(out, v)
		}
	}
	writeJSON(w, http.StatusOK, out)
}
