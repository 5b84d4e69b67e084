package portal

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/textfile"
)

func (s *Server) checks(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleOperator)
	if !ok {
		return
	}
	s.renderChecks(w, r, u, http.StatusOK, nil, nil, nil)
}

// rowResult is the outcome of one answer in a bulk or CSV submission,
// naming the check as the page shows it: its row in the table (or the CSV
// file's line) and its addresses or numbers, never the internal check id.
type rowResult struct {
	Row     int    // the check's row in the table of pending checks (1-based)
	Line    int    // or the line of a CSV file it came from (1-based, as editors count)
	Items   string // the check's addresses or numbers, as the table lists them
	OK      bool
	Message string
}

// checkItems lists a check's addresses and numbers as the table does.
func checkItems(c *registry.Check) string {
	items := make([]string, 0, len(c.Addresses)+len(c.MobileNumbers))
	for _, p := range c.Addresses {
		items = append(items, p.String())
	}
	items = append(items, c.MobileNumbers...)
	return strings.Join(items, ", ")
}

// checkRows finds each pending check's row in the table as the page
// lists it (ListChecks' order), to name a result as the operator sees it.
func (s *Server) checkRows(r *http.Request, u *registry.User) (map[string]rowResult, error) {
	cs, err := s.svc.ListChecks(r.Context(), u, registry.CheckPending)
	if err != nil {
		return nil, err
	}
	rows := make(map[string]rowResult, len(cs))
	for i, c := range cs {
		rows[c.ID] = rowResult{Row: i + 1, Items: checkItems(c)}
	}
	return rows, nil
}

// answeredItems names a check that has left the table (answered since the
// page was shown) by its addresses or numbers, or "" when it is not this
// operator's.
func (s *Server) answeredItems(r *http.Request, u *registry.User, id string) string {
	for _, state := range []registry.CheckState{registry.CheckConfirmed, registry.CheckDisputed} {
		cs, err := s.svc.ListChecks(r.Context(), u, state)
		if err != nil {
			return ""
		}
		for _, c := range cs {
			if c.ID == id {
				return checkItems(c)
			}
		}
	}
	return ""
}

// checkAnswerError says why one row's answer failed, in words that name no
// internal id (the registry's messages name the check by its id, which the
// page does not show).
func checkAnswerError(lang string, err error) string {
	switch registry.ErrorCode(err) {
	case registry.ECONFLICT:
		return translate(lang, "It was answered already (here or by a colleague), so it has left the list.")
	case registry.ENOTFOUND:
		return translate(lang, "It is not among your operator's checks. Reload the page to see the checks waiting.")
	}
	return translateDomain(lang, registry.ErrorMessage(err))
}

func (s *Server) renderChecks(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError, vals url.Values, results []rowResult) {
	cs, err := s.svc.ListChecks(r.Context(), u, registry.CheckPending)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Rows keep the numbers the operator saw (the form's "shown" list):
	// a check answered meanwhile leaves a gap rather than renumbering the
	// rows after it, and checks new since come after.
	var shown []string
	rowNo := map[string]int{}
	for _, id := range vals["shown"] {
		if rowNo[id] == 0 {
			shown = append(shown, id)
			rowNo[id] = len(shown)
		}
	}
	pending := map[string]bool{}
	for _, c := range cs {
		pending[c.ID] = true
		if rowNo[c.ID] == 0 {
			shown = append(shown, c.ID)
			rowNo[c.ID] = len(shown)
		}
	}
	// A ticked row answered meanwhile (by a colleague) is gone from the
	// table: on a page with an error, the results say so by its row.
	if ferr != nil {
		listed := map[int]bool{}
		for _, res := range results {
			listed[res.Row] = true
		}
		for _, id := range vals["check"] {
			if n := rowNo[id]; n > 0 && !pending[id] && !listed[n] {
				results = append(results, rowResult{Row: n, Items: s.answeredItems(r, u, id),
					Message: translate(currentLang(r), "It was answered already (here or by a colleague), so it has left the list.")})
				listed[n] = true
			}
		}
	}
	s.render(w, r, status, "checks", &view{Title: "Checks to answer", User: u, Err: ferr, Form: vals,
		D: map[string]any{"Checks": cs, "Results": results, "Shown": shown, "RowNo": rowNo}})
}

// checksAnswer answers the selected checks alike: confirm them all, or
// dispute them all with one note. A refused form comes back as it was
// sent: the same rows ticked, the same answer chosen, the note kept.
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
	lang := currentLang(r)
	ids := f["check"]
	if len(ids) == 0 {
		s.renderChecks(w, r, u, http.StatusUnprocessableEntity, &formError{Summary: translate(lang, "Select at least one check to answer."),
			Fields: map[string]string{"check": translate(lang, "Select at least one check to answer.")}}, f, nil)
		return
	}
	// Rows as the table the operator saw numbered them: the form lists
	// the checks in their order ("shown"); without it, as it stands now.
	rows, err := s.checkRows(r, u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if shown := f["shown"]; len(shown) > 0 {
		for i, id := range shown {
			res := rows[id]
			if res.Items == "" {
				res.Items = s.answeredItems(r, u, id)
			}
			res.Row = i + 1
			rows[id] = res
		}
	}
	var results []rowResult
	failed := false
	for _, id := range ids {
		_, err := s.svc.AnswerCheck(r.Context(), u, id, f.Get("result"), f.Get("note"))
		if e := new(registry.Error); err != nil && asError(err, &e) && len(e.Fields) > 0 {
			// The answer or the note is wrong: the same for every row, so
			// the form says it once, on the field, and nothing was answered
			// (the fields are checked before any row is).
			s.renderChecks(w, r, u, http.StatusUnprocessableEntity, toFormError(s, r, err), f, results)
			return
		}
		res := rows[id]
		if res.Items == "" {
			res.Items = s.answeredItems(r, u, id)
		}
		res.OK = err == nil
		if err != nil {
			failed = true
			res.Message = checkAnswerError(lang, err)
		}
		results = append(results, res)
	}
	if !failed {
		http.Redirect(w, r, "/operator/checks?msg=answered", http.StatusSeeOther)
		return
	}
	// Rows answered are gone from the table; the ones that failed stay
	// ticked with the same answer and note.
	s.renderChecks(w, r, u, http.StatusUnprocessableEntity, nil, f, results)
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
	_, files, err := formWithFiles(w, r, 4<<20, "file")
	if err != nil {
		s.renderChecks(w, r, u, statusOf(err), toFormError(s, r, err), nil, nil)
		return
	}
	fhs := files["file"]
	if len(fhs) == 0 {
		s.renderChecks(w, r, u, http.StatusUnprocessableEntity,
			toFormError(s, r, registry.FieldErrors{"file": "is required: the CSV file you downloaded, with result and note filled in"}.Err()), nil, nil)
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
		s.renderChecks(w, r, u, http.StatusUnprocessableEntity, toFormError(s, r, registry.FieldErrors{"file": err.Error()}.Err()), nil, nil)
		return
	}
	s.renderChecks(w, r, u, http.StatusOK, nil, nil, results)
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
	rows, err := s.checkRows(r, u)
	if err != nil {
		return nil, err
	}
	lang := currentLang(r)
	// A check answered on more than one line: which answer is meant cannot
	// be told, so none of its lines is applied, and each names the others.
	linesOf := map[string][]int{}
	for _, rec := range recs {
		if id := cell(rec.Fields, "check_id"); id != "" && (cell(rec.Fields, "result") != "" || cell(rec.Fields, "note") != "") {
			linesOf[id] = append(linesOf[id], rec.Line)
		}
	}
	var out []rowResult
	for _, rec := range recs {
		id, result := cell(rec.Fields, "check_id"), strings.ToLower(cell(rec.Fields, "result"))
		if lines := linesOf[id]; len(lines) > 1 && id != "" {
			if result == "" && cell(rec.Fields, "note") == "" {
				continue
			}
			nums := make([]string, len(lines))
			for i, l := range lines {
				nums[i] = strconv.Itoa(l)
			}
			sep := listWord(lang, ", ")
			out = append(out, rowResult{Line: rec.Line, Items: rows[id].Items,
				Message: translate(lang, "This check is on lines %s, so none of them was applied. Keep one line for each check, then upload the file again.", strings.Join(nums, sep))})
			continue
		}
		if result != "" && result != "confirmed" && result != "disputed" {
			out = append(out, rowResult{Line: rec.Line, Items: rows[id].Items,
				Message: translate(lang, "result must be \"confirmed\" or \"disputed\"; this line has %s", `"`+cell(rec.Fields, "result")+`"`)})
			continue
		}
		if id == "" && (result != "" || cell(rec.Fields, "note") != "") {
			// Filled in but not named: said, never skipped in silence.
			msg := translate(currentLang(r), "The check_id column is empty, so this line was not applied. Put back the check_id from the file this page downloads.")
			out = append(out, rowResult{Line: rec.Line, Message: msg})
			continue
		}
		if id == "" || result == "" {
			continue
		}
		_, err = s.svc.AnswerCheck(r.Context(), u, id, result, cell(rec.Fields, "note"))
		res := rowResult{Line: rec.Line, Items: rows[id].Items, OK: err == nil}
		if err != nil {
			res.Message = checkAnswerError(currentLang(r), err)
			if e := new(registry.Error); asError(err, &e) && len(e.Fields) > 0 {
				res.Message = fieldMessages(currentLang(r), e.Fields)
			}
		}
		out = append(out, res)
	}
	return out, nil
}

// fieldMessages joins field errors for a one-line result of the CSV
// upload, each field named by its column in the file ("result: …"), the
// name the operator sees there, isolated as a left-to-right token on an
// Urdu page.
func fieldMessages(lang string, fields map[string]string) string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = isolateUr(lang, k) + ": " + translateDomain(lang, fields[k])
	}
	return strings.Join(parts, "; ")
}

// CheckName is the accessible name of a check's checkbox: the row as the
// operator sees it (its number, what it lists, its holder), so that one
// holder's several checks are told apart by a screen reader:
// "Select row 2: 14.1.110.0/24 (Tee Four (Pvt) Ltd.)".
func (v *view) CheckName(c *registry.Check, row int) string {
	items := make([]string, 0, len(c.Addresses)+len(c.MobileNumbers))
	for _, p := range c.Addresses {
		items = append(items, p.String())
	}
	for _, n := range c.MobileNumbers {
		items = append(items, Mobile(n))
	}
	// T isolates each value on an Urdu page: once.
	return v.T("Select row %d: %s (%s)", row, strings.Join(items, ", "), c.HolderName)
}
