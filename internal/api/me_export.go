package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// ExportFormat names the version of the data export's JSON shape
// (dataExportView); a change that removes or renames a field gets a new one.
const ExportFormat = "ipreg-data-export/1"

type exportUserView struct {
	ID        string        `json:"id"`
	Email     string        `json:"email"`
	Role      registry.Role `json:"role"`
	TOTP      bool          `json:"totp_enabled"`
	CreatedAt time.Time     `json:"created_at"`
}

type exportAuditView struct {
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	ActorID    string          `json:"actor_id,omitempty"`
	Action     string          `json:"action"`
	ObjectType string          `json:"object_type"`
	ObjectID   string          `json:"object_id,omitempty"`
	Detail     json.RawMessage `json:"detail,omitempty"`
	Hash       string          `json:"hash"`
}

// dataExportView is the data export's JSON (ExportFormat), described by the
// DataExport schema of openapi.json and in the README.
type dataExportView struct {
	Format       string            `json:"format"`
	ExportedAt   time.Time         `json:"exported_at"`
	User         exportUserView    `json:"user"`
	Account      *accountView      `json:"account"`
	Applications []applicationView `json:"applications"`
	// Who viewed my data: by application id, every staff read of the
	// application and its documents.
	Accesses      map[string][]accessView `json:"accesses"`
	Registrations []registrationView      `json:"registrations"`
	Tokens        []tokenView             `json:"tokens"`
	Audit         []exportAuditView       `json:"audit"`
}

// ExportJSON renders an applicant's data export as the JSON document GET
// /api/v1/me/export serves (the portal's download uses it too), and the
// file name to save it under.
func ExportJSON(x *registry.DataExport) (body []byte, filename string, err error) {
	v := dataExportView{
		Format: ExportFormat, ExportedAt: x.ExportedAt.UTC(),
		User:          exportUserView{ID: x.User.ID, Email: x.User.Email, Role: x.User.Role, TOTP: x.User.TOTPEnabled(), CreatedAt: x.User.CreatedAt.UTC()},
		Account:       viewAccount(x.Account),
		Applications:  list(x.Applications, viewApplication),
		Accesses:      map[string][]accessView{},
		Registrations: list(x.Registrations, viewRegistration),
		Tokens:        list(x.Tokens, func(t *registry.Token) tokenView { return viewToken(t, "") }),
		Audit:         []exportAuditView{},
	}
	for _, a := range x.Applications {
		v.Accesses[a.ID] = list(x.Accesses[a.ID], viewAccess)
	}
	for _, e := range x.Audit {
		var detail json.RawMessage
		if e.Detail != "" && json.Valid([]byte(e.Detail)) {
			detail = json.RawMessage(e.Detail)
		}
		v.Audit = append(v.Audit, exportAuditView{Seq: e.Seq, At: e.At.UTC(), ActorID: e.ActorID, Action: e.Action,
			ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: detail, Hash: e.Hash})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, "", fmt.Errorf("encode data export: %w", err)
	}
	return buf.Bytes(), "ipreg-data-" + x.ExportedAt.UTC().Format("2006-01-02") + ".json", nil
}

// exportData serves the applicant's data as a JSON download.
func (s *Server) exportData(w http.ResponseWriter, r *http.Request) {
	x, err := s.svc.ExportData(r.Context(), user(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, name, err := ExportJSON(x)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}
