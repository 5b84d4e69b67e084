package portal

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

// providersPage is the public register of licensed VPN service providers:
// anyone may check whether their VPN service's provider is licensed, and
// so whether they need to register at all. The CSV download is the API's
// file (GET /api/v1/providers.csv), served on the portal's origin.
func (s *Server) providersPage(w http.ResponseWriter, r *http.Request) {
	ps, err := s.svc.ListProviders(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	active := 0
	for _, p := range ps {
		if p.Status == registry.ProviderActive {
			active++
		}
	}
	s.render(w, r, http.StatusOK, "providers", &view{Title: "Licensed VPN service providers",
		D: map[string]any{"Providers": ps, "Active": active}})
}
