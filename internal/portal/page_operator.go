package portal

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/textfile"
)

func (s *Server) checks(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleOperator)
	if !ok {
		return
	}
	s.renderChecks(w, r, u, http.StatusOK, nil, nil)
}

// rowResult is the outcome of one answer in a bulk or CSV submission.
type rowResult struct {
	Row     int // the answer's place in a bulk selection
	Line    int // or the line of a CSV file it came from (1-based, as editors count)
	CheckID string
	OK      bool
	Message string
}

func (s *Server) renderChecks(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError, results []rowResult) {
	cs, err := s.svc.ListChecks(r.Context(), u, registry.CheckPending)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "checks", &view{Title: "Checks to answer", User: u, Err: ferr, D: map[string]any{"Checks": cs, "Results": results}})
}

// checksAnswer answers the selected checks alike: confirm them all, or
// dispute them all with one note.
func (s *Server) checksAnswer(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleOperator)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ids := f["check"]
	if len(ids) == 0 {
		s.renderChecks(w, r, u, http.StatusUnprocessableEntity, &formError{Summary: translate(currentLang(r), "Select at least one check to answer."),
			Fields: map[string]string{"check": translate(currentLang(r), "Select at least one check to answer.")}}, nil)
		return
	}
	var results []rowResult
	failed := false
	for i, id := range ids {
		_, err := s.svc.AnswerCheck(r.Context(), u, id, f.Get("result"), f.Get("note"))
		res := rowResult{Row: i + 1, CheckID: id, OK: err == nil}
		if err != nil {
			failed = true
			res.Message = translateDomain(currentLang(r), registry.ErrorMessage(err))
			if e := new(registry.Error); asError(err, &e) && len(e.Fields) > 0 {
				res.Message = fieldMessages(currentLang(r), e.Fields)
			}
		}
		results = append(results, res)
	}
	if !failed {
		http.Redirect(w, r, "/operator/checks?msg=answered", http.StatusSeeOther)
		return
	}
	s.renderChecks(w, r, u, http.StatusUnprocessableEntity, nil, results)
}

var checkCSVHeader = []string{"check_id", "application_id", "category", "holder", "subscriber_id", "items", "due_at", "result", "note"}

// csvCell keeps a cell from being read as a formula by spreadsheets.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// checksCSV downloads the pending checks (UTF-8 with a byte-order mark,
// for Excel); the operator fills in result (confirmed or disputed) and
// note, and uploads the file back.
func (s *Server) checksCSV(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleOperator)
	if !ok {
		return
	}
	cs, err := s.svc.ListChecks(r.Context(), u, registry.CheckPending)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", contentDisposition("attachment", "ipreg-checks-"+u.OperatorID+".csv"))
	w.Header().Set("Cache-Control", "no-store")
	// A UTF-8 byte-order mark first: without it Excel reads the file in
	// the system's legacy code page and shows Urdu names as mojibake.
	// The upload reads it back through textfile.CSV, which drops it.
	io.WriteString(w, "\ufeff")
	cw := csv.NewWriter(w)
	cw.Write(checkCSVHeader)
	for _, c := range cs {
		items := make([]string, 0, len(c.Addresses)+len(c.MobileNumbers))
		for _, p := range c.Addresses {
			items = append(items, p.String())
		}
		items = append(items, c.MobileNumbers...)
		cw.Write([]string{c.ID, c.ApplicationID, string(c.Category), csvCell(c.HolderName), csvCell(c.SubscriberID), strings.Join(items, " "),
			c.DueAt.UTC().Format("2006-01-02T15:04:05Z"), "", ""})
	}
	cw.Flush()
}

// checksUpload applies a filled-in CSV: rows with a result are answered,
// rows without are left pending; each row's outcome is listed.
func (s *Server) checksUpload(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleOperator)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseMultipartForm(4 << 20); err != nil {
		s.renderChecks(w, r, u, http.StatusUnprocessableEntity, toFormError(s, r, registry.FieldErrors{"file": "send a CSV file of at most 4 MiB"}.Err()), nil)
		return
	}
	fhs := r.MultipartForm.File["file"]
	if len(fhs) == 0 {
		s.renderChecks(w, r, u, http.StatusUnprocessableEntity,
			toFormError(s, r, registry.FieldErrors{"file": "is required: the CSV file you downloaded, with result and note filled in"}.Err()), nil)
		return
	}
	file, err := fhs[0].Open()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer file.Close()
	results, err := s.applyChecksCSV(r, u, file)
	if err != nil {
		s.renderChecks(w, r, u, http.StatusUnprocessableEntity, toFormError(s, r, registry.FieldErrors{"file": err.Error()}.Err()), nil)
		return
	}
	s.renderChecks(w, r, u, http.StatusOK, nil, results)
}

// applyChecksCSV answers the checks listed in a CSV file read through
// textfile.CSV (a BOM dropped, CRLF or LF); its first line must be the
// header this page's download has. Results name each record's line as an
// editor counts it (a note spanning lines moves the ones after it).
func (s *Server) applyChecksCSV(r *http.Request, u *registry.User, rd io.Reader) ([]rowResult, error) {
	head, recs, err := textfile.CSV(rd, func([]string) bool { return true })
	if err != nil {
		return nil, err
	}
	if head == nil {
		return nil, fmt.Errorf("the file is empty; start from the file this page downloads")
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"check_id", "result"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("the header has no %q column; start from the file this page downloads", need)
		}
	}
	cell := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []rowResult
	for _, rec := range recs {
		id, result := cell(rec.Fields, "check_id"), strings.ToLower(cell(rec.Fields, "result"))
		if id == "" || result == "" {
			continue
		}
		_, err = s.svc.AnswerCheck(r.Context(), u, id, result, cell(rec.Fields, "note"))
		res := rowResult{Line: rec.Line, CheckID: id, OK: err == nil}
		if err != nil {
			res.Message = translateDomain(currentLang(r), registry.ErrorMessage(err))
			if e := new(registry.Error); asError(err, &e) && len(e.Fields) > 0 {
				res.Message = fieldMessages(currentLang(r), e.Fields)
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// fieldMessages joins field errors for a one-line result: "note: …".
func fieldMessages(lang string, fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + translateDomain(lang, fields[k])
	}
	return strings.Join(parts, "; ")
}
