package api

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

// importProblem is registry.ImportProblem in the API's spelling.
type importProblem struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Value   string `json:"value"`
	Message string `json:"message"`
}

// importView is an import's report: with problems (or a dry run) nothing
// was written.
type importView struct {
	DryRun           bool            `json:"dry_run"`
	Written          bool            `json:"written"`
	Rows             int             `json:"rows"`
	Holders          int             `json:"holders"`
	NewHolders       int             `json:"new_holders"`
	Registrations    int             `json:"registrations"`
	NewRegistrations int             `json:"new_registrations"`
	Unchanged        int             `json:"unchanged"`
	Items            int             `json:"items"`
	Problems         []importProblem `json:"problems"`
	NewHolderIDs     []string        `json:"new_holder_ids"`
	Invited          int             `json:"invited"`
	// FeedVersion is left out when the import published nothing (a dry
	// run, problems, nothing new) or the publisher did not publish in
	// time: 0 read as a version, which no feed has.
	FeedVersion int64 `json:"feed_version,omitempty"`
}

func viewImport(rep *registry.ImportReport, dry bool, invited int) importView {
	v := importView{DryRun: dry, Written: !dry && len(rep.Problems) == 0, Rows: rep.Rows, Holders: rep.Holders, NewHolders: rep.NewHolders,
		Registrations: rep.Registrations, NewRegistrations: rep.NewRegistrations, Unchanged: rep.Unchanged, Items: rep.Items,
		Problems: []importProblem{}, NewHolderIDs: rep.NewHolderIDs, Invited: invited, FeedVersion: rep.FeedVersion}
	if v.NewHolderIDs == nil {
		v.NewHolderIDs = []string{}
	}
	for _, p := range rep.Problems {
		v.Problems = append(v.Problems, importProblem{Line: p.Line, Field: p.Field, Value: p.Value, Message: p.Message})
	}
	return v
}

// createImport imports the regulator's existing allowlist from a CSV file
// (the body as text/csv, or the "file" part of multipart/form-data), or
// with ?dry_run=true only reports; a real import invites the new holders.
func (s *Server) createImport(w http.ResponseWriter, r *http.Request) {
	if err := registry.MayImport(user(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	var dry bool
	switch v := r.URL.Query().Get("dry_run"); v {
	case "", "false":
	case "true":
		dry = true
	default:
		fe := registry.FieldErrors{}
		fe.Add("dry_run", `must be "true" (only check the file) or "false" (import it); %q is neither`, v)
		s.writeError(w, r, fe.Err())
		return
	}
	body, err := importBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rep, invited, err := s.svc.AdminImport(r.Context(), user(r), body, dry)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewImport(rep, dry, invited))
}

// importBody is the CSV of an import request: the body itself, or the
// "file" part of a form. The registry bounds what it reads
// (registry.MaxImportBytes).
func importBody(r *http.Request) (io.Reader, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case err == nil && mt == "text/csv":
		return r.Body, nil
	case err == nil && mt == "multipart/form-data":
		mr, err := r.MultipartReader()
		if err != nil {
			return nil, registry.Errorf(registry.EMALFORMED, "the multipart body cannot be read: send the file as a part named \"file\"")
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, registry.FieldErrors{"file": "is missing: send the CSV file as a part named \"file\""}.Err()
			}
			if err != nil {
				return nil, registry.Errorf(registry.EMALFORMED, "the multipart body cannot be read: send the file as a part named \"file\"")
			}
			if p.FormName() == "file" {
				return p, nil
			}
		}
	}
	return nil, registry.Errorf(registry.EUNSUPPORTED, "send the CSV file as the body with Content-Type: text/csv, or as the part \"file\" of multipart/form-data")
}
