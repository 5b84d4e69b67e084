package api

import (
	"encoding/csv"
	"net/http"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// providerView is one licensed VPN service provider as the API shows it.
type providerView struct {
	ID            string                  `json:"id"`
	Name          string                  `json:"name"`
	LicenceNumber string                  `json:"licence_number"`
	LicenceDate   string                  `json:"licence_date"`
	Status        registry.ProviderStatus `json:"status"`
	Website       string                  `json:"website"`
	UpdatedAt     time.Time               `json:"updated_at"`
	Revision      int                     `json:"revision"`
	// WebsiteWarning, in admins' answers only (GET, POST and PATCH under
	// /api/v1/admin/providers), says that the stored website does not
	// meet today's rule and how to fix it; it blocks nothing
	// (registry.Provider.WebsiteProblem). Left out when there is nothing
	// to say, and always from the public register.
	WebsiteWarning string `json:"website_warning,omitzero"`
}

func viewProvider(p *registry.Provider) *providerView {
	return &providerView{ID: p.ID, Name: p.Name, LicenceNumber: p.LicenceNumber, LicenceDate: p.LicenceDate,
		Status: p.Status, Website: p.Website, UpdatedAt: p.UpdatedAt, Revision: p.Revision}
}

// viewProviderForAdmin is viewProvider with the website's warning.
func viewProviderForAdmin(p *registry.Provider) *providerView {
	v := viewProvider(p)
	v.WebsiteWarning = p.WebsiteWarning()
	return v
}

// providerRequest is the body of POST and PATCH /api/v1/admin/providers:
// a member left out is not changed by PATCH (and defaults, for POST: the
// status to active, the website to none).
type providerRequest struct {
	Name          *string `json:"name,omitzero"`
	LicenceNumber *string `json:"licence_number,omitzero"`
	LicenceDate   *string `json:"licence_date,omitzero"`
	Status        *string `json:"status,omitzero"`
	Website       *string `json:"website,omitzero"`
	// Revision is PATCH's optional precondition: the revision the client
	// read; a change made since gives 409 (as a notice's revision).
	// Left out, there is no check; given, it must be 1 or more (0 is no
	// revision any provider has, and taking it as "no check" would drop
	// the client's protection unawares).
	Revision *int `json:"revision,omitzero"`
	// UpdatedAt was the precondition before revision; it is read-only
	// now, and refused with a message saying to send revision rather than
	// ignored (a client relying on it would lose its check unawares).
	UpdatedAt *string `json:"updated_at,omitzero"`
}

// input is the registry's input for p, or the refusal of updated_at.
func (p providerRequest) input() (registry.ProviderInput, error) {
	in := registry.ProviderInput{Name: p.Name, LicenceNumber: p.LicenceNumber, LicenceDate: p.LicenceDate, Status: p.Status, Website: p.Website}
	if p.UpdatedAt != nil {
		return in, registry.FieldErrors{"updated_at": "is read-only: to have a change refused when someone else changed the provider since, send the revision you read instead"}.Err()
	}
	if p.Revision != nil {
		if *p.Revision < 1 {
			return in, registry.FieldErrors{"revision": revisionMessage}.Err()
		}
		in.Revision = *p.Revision
	}
	return in, nil
}

// ProviderCSVHeader is the header row of the providers CSV (the API's and
// the portal's download are the same file).
var ProviderCSVHeader = []string{"name", "licence_number", "licence_date", "status", "website", "updated_at"}

// WriteProvidersCSV writes the register as CSV (RFC 4180: CRLF line ends,
// quoted where needed; UTF-8 without a byte-order mark) with a header
// row, one provider a row. A cell a spreadsheet would take for a formula
// gets a leading apostrophe (OWASP's CSV injection advice).
func WriteProvidersCSV(w http.ResponseWriter, ps []*registry.Provider) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="ipreg-licensed-vpn-providers.csv"`)
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write(ProviderCSVHeader)
	for _, p := range ps {
		cw.Write([]string{csvSafe(p.Name), csvSafe(p.LicenceNumber), p.LicenceDate, string(p.Status), csvSafe(p.Website),
			p.UpdatedAt.UTC().Format(time.RFC3339)})
	}
	cw.Flush()
}

// csvSafe keeps a cell from being read as a formula by spreadsheets.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
