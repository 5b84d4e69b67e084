package portal

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/textfile"
)

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request) {
	u := currentUser(r)
	if u != nil && u.Role != registry.RoleApplicant && !u.EnrolmentOnly {
		http.Redirect(w, r, home(u), http.StatusSeeOther)
		return
	}
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	apps, err := s.svc.ListApplications(r.Context(), u, registry.AppFilter{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	regs, err := s.svc.ListRegistrations(r.Context(), u, registry.RegFilter{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "dashboard", &view{Title: "My applications", D: map[string]any{"Apps": apps, "Regs": regs}})
}

// formPage is the application form's data.
type formPage struct {
	Category  registry.Category
	Mobile    bool
	Docs      []registry.DocumentRequirement
	Operators []*registry.Operator
	Protocols []string
	Action    string
	FeeDue    bool
	FeeAmount int64
	FeeReason string
	// FeeRule: the category pays once the account's allowlisted
	// addresses reach FeeThreshold; the fee is worked out on saving.
	FeeRule      bool
	FeeThreshold int
	RuleAmount   int64
	// Existing: the form changes a saved application; Docs then lists
	// only what it still lacks, and ReturnNote is the reviewer's "what to
	// fix" when it was returned for correction (forApplication).
	Existing   bool
	ReturnNote string
	// AppID is the saved application's id: its page holds the documents'
	// upload. Returned: it was returned for correction, so the form saves
	// changes to submit again, not a draft.
	AppID    string
	Returned bool
	NoDocs   bool // a renewal or amendment: its registration's documents were reviewed
}

// forApplication fits the form to the saved application a: the
// reviewer's note when a was returned, and as needed only the documents
// a still lacks (GetApplication filled its documents for its owner).
func (d *formPage) forApplication(a *registry.Application) {
	d.Existing, d.AppID = true, a.ID
	d.Returned = a.State == registry.StateReturned
	d.Docs = a.MissingDocuments()
	d.NoDocs = a.ForRegistration != ""
	if a.State == registry.StateReturned {
		d.ReturnNote = a.ReturnNote
	}
}

func (s *Server) formData(r *http.Request, c registry.Category, action string, fee registry.Fee) (*formPage, error) {
	ops, err := s.svc.ListOperators(r.Context())
	if err != nil {
		return nil, err
	}
	// Mobile numbers come from mobile networks; addresses from fixed-line ISPs.
	want := registry.OperatorFixed
	if c.UsesMobileNumbers() {
		want = registry.OperatorMobile
	}
	ops = slices.DeleteFunc(ops, func(o *registry.Operator) bool { return o.Kind != want })
	set, err := s.svc.PublicSettings(r.Context())
	if err != nil {
		return nil, err
	}
	return &formPage{Category: c, Mobile: c.UsesMobileNumbers(), Docs: registry.RequiredDocuments(c), Operators: ops,
		Protocols: registry.Protocols, Action: action, FeeDue: fee.Due, FeeAmount: fee.AmountPKR, FeeReason: fee.Reason,
		FeeRule: c == registry.CategoryCallCenter || c == registry.CategoryVideoConf, FeeThreshold: set.FeeThreshold, RuleAmount: set.FeeAmountPKR}, nil
}

// applicationNew lets the applicant choose a category, then shows the
// form for it.
func (s *Server) applicationNew(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	c := registry.Category(r.URL.Query().Get("category"))
	if !c.Valid() {
		p, err := s.svc.Me(r.Context(), u)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var mine []categoryInfo
		for _, ci := range categories() {
			if p.Account != nil && slices.Contains(ci.Code.AccountKinds(), p.Account.Kind) {
				mine = append(mine, ci)
			}
		}
		s.render(w, r, http.StatusOK, "application_new", &view{Title: "New application", D: map[string]any{"Categories": mine}})
		return
	}
	d, err := s.formData(r, c, "/applications", registry.Fee{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "application_form", &view{Title: "New application", D: d})
}

// listLines reads a textarea of items (one per line, or separated by
// commas or semicolons, isListSeparator) with the physical line each is on, 1-based, as the
// person sees it: blank lines count, and CRLF (what browsers send), LF
// and CR each end one line.
func listLines(v string) (items []string, lines []int) {
	v = strings.ReplaceAll(v, "\r\n", "\n")
	v = strings.ReplaceAll(v, "\r", "\n")
	for n, line := range strings.Split(v, "\n") {
		for _, f := range strings.FieldsFunc(line, isListSeparator) {
			if f = strings.TrimSpace(f); f != "" {
				items = append(items, f)
				lines = append(lines, n+1)
			}
		}
	}
	return items, lines
}

// isListSeparator reports what separates items on one line of a list
// box: commas and semicolons, Latin and Arabic-script (the Urdu comma ،
// U+060C and semicolon ؛ U+061B an Urdu keyboard types).
func isListSeparator(r rune) bool {
	return r == ',' || r == ';' || r == '،' || r == '؛'
}

// itemPlace is where the person wrote one item of a list field: the form
// field (a textarea, or the CSV file) and its line there, 1-based.
type itemPlace struct {
	field string
	line  int
}

// itemPlaces maps each list field of the API ("addresses") to where its
// items, in order, came from.
type itemPlaces map[string][]itemPlace

// relabel moves the service's per-item field errors ("addresses[4]",
// the fifth item of the merged list) to where the person wrote the item
// ("addresses[4]" for line 5 of the box, "addresses_csv[7]" for line 8 of
// the CSV file), so the page names the line they see. Items sharing a
// line share its message.
func (pl itemPlaces) relabel(err error) error {
	var e *registry.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	fields := make(map[string]string, len(e.Fields))
	// In the items' order, so that a line's messages read in the order
	// its items were written, the same at every request.
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	index := func(k string) (string, int) {
		base, rest, _ := strings.Cut(k, "[")
		i, _ := strconv.Atoi(strings.TrimSuffix(rest, "]"))
		return base, i
	}
	slices.SortFunc(keys, func(a, b string) int {
		ab, ai := index(a)
		bb, bi := index(b)
		return cmp.Or(strings.Compare(ab, bb), cmp.Compare(ai, bi))
	})
	for _, k := range keys {
		m := e.Fields[k]
		base, rest, indexed := strings.Cut(k, "[")
		i, aerr := strconv.Atoi(strings.TrimSuffix(rest, "]"))
		if places := pl[base]; indexed && aerr == nil && i >= 0 && i < len(places) {
			k = fmt.Sprintf("%s[%d]", places[i].field, places[i].line-1)
		}
		if prev, ok := fields[k]; ok && prev != m {
			m = prev + messageSep + m // translated one by one (translateDomain)
		}
		fields[k] = m
	}
	out := *e
	out.Fields = fields
	return &out
}

// csvColumn reads the first column of a CSV file through textfile.CSV (a
// BOM dropped, CRLF, LF or CR line ends), skipping a header row only when
// the first line is one (isAddressHeader), with the file line of each
// address. Errors name the line.
func csvColumn(rd io.Reader) ([]csvRow, error) {
	_, recs, err := textfile.CSV(rd, isAddressHeader)
	if err != nil {
		return nil, err
	}
	var out []csvRow
	for _, rec := range recs {
		if len(rec.Fields) > 0 && strings.TrimSpace(rec.Fields[0]) != "" {
			out = append(out, csvRow{rec.Line, strings.TrimSpace(rec.Fields[0])})
		}
	}
	return out, nil
}

// isAddressHeader reports a first row that names its column rather than
// holding an address: its first cell has a column word ("address", "IPv4
// prefix", "IP", "ایڈریس") or no digit at all ("S.No", "Net"). Anything
// else, a mistyped address such as 14.1.104.O/24 included, is read as an
// address and refused with its reason, never dropped as a header.
func isAddressHeader(fields []string) bool {
	if len(fields) == 0 {
		return false
	}
	c := strings.ToLower(strings.TrimSpace(fields[0]))
	if _, err := netip.ParsePrefix(c); err == nil {
		return false
	}
	if _, err := netip.ParseAddr(c); err == nil {
		return false
	}
	if !strings.ContainsFunc(c, unicode.IsDigit) {
		return true
	}
	for _, w := range strings.FieldsFunc(c, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if addressColumnWords[w] {
			return true
		}
	}
	return false
}

// addressColumnWords name an address column in a header row, in the
// words spreadsheets and the registry's own downloads use.
var addressColumnWords = map[string]bool{
	"address": true, "addresses": true, "addr": true, "ip": true, "ipv4": true, "ipv6": true,
	"prefix": true, "prefixes": true, "network": true, "subnet": true, "cidr": true, "range": true,
	"ایڈریس": true, "پتہ": true, "پتا": true, "پریفکس": true,
}

// applicationInput reads the application form (multipart, for the CSV
// file): every field the form shows is sent, so all are set. The places
// say where each list item was written, for relabel.
//
// A CSV file's addresses are kept apart from the box: after an error the
// box shows what the person typed, and the file's rows travel in a hidden
// field (addresses_csv_kept, "line<TAB>address" a row) with the file's
// name, until another file replaces them or they are removed
// (addresses_csv_drop). So a corrected file chosen again replaces the rows
// of the first instead of adding them twice, and errors name the file's
// own lines.
func applicationInput(w http.ResponseWriter, r *http.Request) (registry.ApplicationInput, url.Values, itemPlaces, error) {
	var in registry.ApplicationInput
	places := itemPlaces{}
	vals, files, err := formWithFiles(w, r, 2<<20, "addresses_csv")
	if err != nil {
		return in, vals, places, err
	}
	get := func(k string) *string { v := vals.Get(k); return &v }
	list := func(apiField, formField string) *[]string {
		items, lines := listLines(vals.Get(formField))
		for _, n := range lines {
			places[apiField] = append(places[apiField], itemPlace{apiField, n})
		}
		return &items
	}
	in.Category, in.OperatorID, in.SubscriberID, in.VPNProtocol, in.Purpose = get("category"), get("operator_id"), get("subscriber_id"), get("vpn_protocol"), get("purpose")
	in.VPNEndpoints = list("vpn.endpoints", "vpn_endpoints")
	if registry.Category(vals.Get("category")).UsesMobileNumbers() {
		in.MobileNumbers = list("mobile_numbers", "mobile_numbers")
		return in, vals, places, nil
	}
	addrs := list("addresses", "addresses")
	var rows []csvRow
	if fhs := files["addresses_csv"]; len(fhs) > 0 && fhs[0].Size > 0 {
		file, err := fhs[0].Open()
		if err != nil {
			return in, vals, places, err
		}
		defer file.Close()
		vals.Del("addresses_csv_kept")
		vals.Del("addresses_csv_name")
		if rows, err = csvColumn(file); err != nil {
			return in, vals, places, registry.FieldErrors{"addresses_csv": "is not a CSV file the portal can read: " + err.Error()}.Err()
		}
		vals.Set("addresses_csv_kept", keptRows(rows))
		vals.Set("addresses_csv_name", fhs[0].Filename)
	} else if vals.Get("addresses_csv_drop") != "" {
		vals.Del("addresses_csv_kept")
		vals.Del("addresses_csv_name")
	} else {
		rows = parseKeptRows(vals.Get("addresses_csv_kept"))
	}
	vals.Del("addresses_csv_drop")
	for _, row := range rows {
		*addrs = append(*addrs, row.text)
		places["addresses"] = append(places["addresses"], itemPlace{"addresses_csv", row.line})
	}
	in.Addresses = addrs
	return in, vals, places, nil
}

// csvRow is one address of a CSV file and the file line it is on.
type csvRow struct {
	line int
	text string
}

func keptRows(rows []csvRow) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%d\t%s\n", r.line, r.text)
	}
	return b.String()
}

// parseKeptRows reads what keptRows wrote (sent back by the browser, so
// anything the person could have typed: a row without its line number is
// kept, named as line 1, rather than lost, and is checked like any address).
func parseKeptRows(v string) []csvRow {
	var out []csvRow
	for _, l := range strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n, text, ok := strings.Cut(l, "\t")
		line, err := strconv.Atoi(n)
		if !ok || err != nil || line < 1 {
			line, text = 1, l
		}
		out = append(out, csvRow{line, strings.TrimSpace(text)})
	}
	return out
}

func (s *Server) applicationCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	in, vals, places, err := applicationInput(w, r)
	if err == nil {
		var a *registry.Application
		if a, err = s.svc.CreateApplication(r.Context(), u, in); err == nil {
			http.Redirect(w, r, "/applications/"+a.ID+"?msg=created", http.StatusSeeOther)
			return
		}
		err = places.relabel(err)
	}
	s.rerenderForm(w, r, registry.Category(vals.Get("category")), "/applications", registry.Fee{}, nil, vals, err)
}

// rerenderForm shows the application form again with what was sent and
// err; a is the saved application it changes (nil for a new one), whose
// category, fee, note and missing documents the form then shows.
func (s *Server) rerenderForm(w http.ResponseWriter, r *http.Request, c registry.Category, action string, fee registry.Fee, a *registry.Application, vals url.Values, err error) {
	if a != nil {
		c, fee = a.Category, a.Fee
	}
	if !c.Valid() {
		s.fail(w, r, err)
		return
	}
	d, derr := s.formData(r, c, action, fee)
	if derr != nil {
		s.fail(w, r, derr)
		return
	}
	if a != nil {
		d.forApplication(a)
	}
	s.render(w, r, statusOf(err), "application_form", &view{Title: "Application", Err: toFormError(s, r, err), Form: vals, D: d})
}

func (s *Server) applicationEdit(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	a, err := s.svc.GetApplication(r.Context(), u, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if a.State != registry.StateDraft && a.State != registry.StateReturned {
		s.errorPage(w, r, http.StatusConflict, "That cannot be done now",
			"Only a draft or an application returned for correction can be changed.")
		return
	}
	addrs := make([]string, len(a.Addresses))
	for i, p := range a.Addresses {
		addrs[i] = p.String()
	}
	vals := url.Values{"category": {string(a.Category)}, "operator_id": {a.OperatorID}, "subscriber_id": {a.SubscriberID},
		"addresses": {strings.Join(addrs, "\n")}, "mobile_numbers": {strings.Join(a.MobileNumbers, "\n")},
		"vpn_protocol": {a.VPN.Protocol}, "vpn_endpoints": {strings.Join(a.VPN.Endpoints, "\n")}, "purpose": {a.Purpose}}
	d, err := s.formData(r, a.Category, "/applications/"+a.ID, a.Fee)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d.forApplication(a)
	s.render(w, r, http.StatusOK, "application_form", &view{Title: "Change the application", Form: vals, D: d})
}

func (s *Server) applicationUpdate(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	id := r.PathValue("id")
	in, vals, places, err := applicationInput(w, r)
	if err == nil {
		in.Category = nil // fixed once created
		if _, err = s.svc.UpdateApplication(r.Context(), u, id, in); err == nil {
			http.Redirect(w, r, "/applications/"+id+"?msg=saved", http.StatusSeeOther)
			return
		}
		err = places.relabel(err)
	}
	// The saved application, for its note and documents; without it
	// (gone meanwhile), the form as sent.
	a, aerr := s.svc.GetApplication(r.Context(), u, id)
	if aerr != nil {
		a = nil
	}
	s.rerenderForm(w, r, registry.Category(vals.Get("category")), "/applications/"+id, registry.Fee{}, a, vals, err)
}

// appPage is the application page's data.
type appPage struct {
	A            *registry.Application
	OperatorName string
	Owner        bool
	Staff        bool // regulator staff: sees the applicant and the flags
	Editable     bool
	Withdrawable bool
	CanDecide    bool
	ShowDocs     bool
	Missing      []registry.DocumentRequirement
	Kinds        []registry.DocumentKind
	// NextKind is the upload form's choice when it is not redisplaying a
	// refused upload: the first document still missing, so that after each
	// upload the form has moved on to the next one.
	NextKind registry.DocumentKind
	Reasons  []string
	MaxBytes int64
	// Due is when the decision is due, shown while the regulator (or the
	// operator) has to act: submitted, not decided. Zero otherwise.
	// Waiting: it is the applicant's turn (returned for correction); the
	// owner sees what to fix instead of the regulator's due time, staff see
	// it without a countdown.
	Due     time.Time
	Waiting bool
	Overdue bool
	Left    time.Duration // until Due, when positive and not Waiting
	// Appeals: the owner may appeal (AppealOpen) until AppealBy, or the
	// time is over (AppealClosed); a supervisor sees the pending appeal and
	// may decide it unless they took the rejection (OwnRejection).
	AppealOpen      bool
	AppealClosed    bool
	PendingAppeal   *registry.Appeal
	CanDecideAppeal bool
	OwnRejection    bool
	CanUpload       bool // Editable, or the owner with an appeal pending
}

func (s *Server) applicationView(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r)
	if !ok {
		return
	}
	s.renderApplication(w, r, u, http.StatusOK, nil, nil)
}

// renderApplication shows an application to whoever may see it, with the
// form that failed (if any) redisplayed.
func (s *Server) renderApplication(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError, vals url.Values) {
	a, set, operatorName, err := s.svc.GetApplicationPage(r.Context(), u, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := &appPage{A: a, OperatorName: operatorName, Owner: u.Role == registry.RoleApplicant,
		Staff:    u.Role == registry.RoleReviewer || u.Role == registry.RoleSupervisor || u.Role == registry.RoleAdmin,
		ShowDocs: a.Documents != nil, Reasons: registry.ReasonCodeList(), MaxBytes: set.DocumentMaxBytes}
	d.Editable = d.Owner && (a.State == registry.StateDraft || a.State == registry.StateReturned)
	d.Withdrawable = d.Owner && (d.Editable || a.State.Pending())
	d.CanDecide = u.Role.Reviews() && a.State == registry.StateReview
	now := s.svc.Now()
	d.AppealOpen = d.Owner && !a.AppealBy.IsZero() && !now.After(a.AppealBy)
	d.AppealClosed = d.Owner && appealDeadlinePassed(a, now)
	for _, ap := range a.Appeals {
		if ap.State == registry.AppealPending {
			d.PendingAppeal = ap
		}
	}
	d.CanUpload = d.Editable || d.Owner && d.PendingAppeal != nil
	if d.PendingAppeal != nil && u.Role == registry.RoleSupervisor {
		d.OwnRejection = d.PendingAppeal.RejectedBy == u.ID
		d.CanDecideAppeal = !d.OwnRejection
	}
	d.Missing = a.MissingDocuments()
	if len(d.Missing) > 0 && len(d.Missing[0].Kinds) > 0 {
		d.NextKind = d.Missing[0].Kinds[0]
	}
	for _, req := range registry.RequiredDocuments(a.Category) {
		d.Kinds = append(d.Kinds, req.Kinds...)
	}
	d.Due, d.Waiting, d.Overdue, d.Left = decisionDue(a, now)
	if d.Waiting && d.Owner {
		d.Due = time.Time{} // the reviewer's clock, not the applicant's
	}
	title := "Application"
	s.render(w, r, status, "application", &view{Title: title, User: u, Err: ferr, Form: vals, D: d})
}

// decisionDue says when a's decision is due, for the pages that show it:
// only while a is pending (operator check, review, or returned, when
// waiting is set and the applicant has to act), never once it is decided,
// withdrawn or still a draft. left and overdue count to due from now
// while the regulator has to act.
func decisionDue(a *registry.Application, now time.Time) (due time.Time, waiting, overdue bool, left time.Duration) {
	if !a.State.Pending() || a.SLADueAt.IsZero() || !a.DecidedAt.IsZero() {
		return time.Time{}, false, false, 0
	}
	if a.State == registry.StateReturned {
		return a.SLADueAt, true, false, 0
	}
	left = a.SLADueAt.Sub(now)
	return a.SLADueAt, false, left < 0, left
}

// DecisionCell says where a's decision stands, for the applicant's list
// of applications: its due time while the regulator has to act, what the
// applicant must do when it is their turn, when it was taken once decided
// (never a due time then).
func (v *view) DecisionCell(a *registry.Application) string {
	at := func(t time.Time) string { return t.In(registry.PKT.Loc).Format("2006-01-02 15:04 MST") } // as whenText
	due, waiting, _, _ := decisionDue(a, time.Time{})
	ap := LastAppeal(a)
	switch {
	case ap != nil && ap.State == registry.AppealPending:
		return v.T("appeal decision due %s", at(ap.SLADueAt))
	case a.State == registry.StateDraft:
		return v.T("not submitted yet")
	case waiting:
		return v.T("your turn: correct it and submit again")
	case !due.IsZero():
		return v.T("due %s", at(due))
	case !a.DecidedAt.IsZero():
		return v.T("taken %s", at(a.DecidedAt))
	case a.State == registry.StateWithdrawn:
		return v.T("none: withdrawn")
	}
	return ""
}

// LastAppeal is the latest appeal against a's rejection, or nil: what a
// list of applications says beside the state (a rejection under appeal,
// upheld or overturned).
func LastAppeal(a *registry.Application) *registry.Appeal {
	if len(a.Appeals) == 0 {
		return nil
	}
	return a.Appeals[len(a.Appeals)-1]
}

// readUpload reads a document form exactly as the API does.
var readUpload = api.ReadUpload

func contentDisposition(disp, filename string) string {
	return mime.FormatMediaType(disp, map[string]string{"filename": filename})
}

func (s *Server) documentUpload(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	id := r.PathValue("id")
	// The application first: an upload that would be refused for it is
	// neither read nor parsed.
	permit, err := s.svc.PrepareDocumentUpload(r.Context(), u, id)
	var limit int64
	if err == nil {
		limit = permit.Limit
	}
	// A refused upload keeps the document chosen (the form sends "kind"
	// before the file, so it is read even when the file is refused); the
	// file itself must be chosen again, which the error says.
	var kept url.Values
	if err == nil {
		var in registry.UploadInput
		in, err = readUpload(w, r, limit)
		if in.Kind == "" && registry.ErrorCode(err) == registry.EUNSUPPORTED {
			// Not multipart (posted without its file part): the kind
			// chosen is read from the urlencoded form all the same.
			if vals, ferr := form(w, r); ferr == nil {
				in.Kind = vals.Get("kind")
			}
		}
		if in.Kind != "" {
			kept = url.Values{"kind": {in.Kind}}
		}
		if err == nil {
			if _, err = s.svc.UploadPrepared(r.Context(), u, permit, in); err == nil {
				http.Redirect(w, r, "/applications/"+id+"?msg=uploaded#documents", http.StatusSeeOther)
				return
			}
		}
	}
	s.renderApplication(w, r, u, statusOf(err), toFormError(s, r, err), kept)
}

func (s *Server) documentDelete(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := s.svc.DeleteDocument(r.Context(), u, id, r.PathValue("doc")); err != nil {
		s.renderApplication(w, r, u, statusOf(err), toFormError(s, r, err), nil)
		return
	}
	http.Redirect(w, r, "/applications/"+id+"?msg=deleted#documents", http.StatusSeeOther)
}

// documentView shows a document in the browser (inline), recorded for
// staff like the API's reads. The type was sniffed at upload; nosniff and
// a CSP without scripts keep a document from acting as a page.
func (s *Server) documentView(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r)
	if !ok {
		return
	}
	d, content, err := s.svc.ReadDocument(r.Context(), u, r.PathValue("id"), r.PathValue("doc"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", d.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(content)))
	h.Set("Content-Disposition", contentDisposition("inline", d.Filename))
	h.Set("Content-Security-Policy", "default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'none'")
	h.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(content)
}

func (s *Server) applicationSubmit(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	id := r.PathValue("id")
	f, err := form(w, r)
	if err == nil {
		var ref *string
		if _, has := f["payment_reference"]; has {
			v := f.Get("payment_reference")
			ref = &v
		}
		if _, err = s.svc.Submit(r.Context(), u, id, ref); err == nil {
			http.Redirect(w, r, "/applications/"+id+"?msg=submitted", http.StatusSeeOther)
			return
		}
	}
	s.renderApplication(w, r, u, statusOf(err), toFormError(s, r, err), f)
}

func (s *Server) applicationWithdraw(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if _, err := s.svc.Withdraw(r.Context(), u, id); err != nil {
		s.renderApplication(w, r, u, statusOf(err), toFormError(s, r, err), nil)
		return
	}
	http.Redirect(w, r, "/applications/"+id+"?msg=withdrawn", http.StatusSeeOther)
}

func (s *Server) accesses(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r)
	if !ok {
		return
	}
	as, err := s.svc.Accesses(r.Context(), u, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "accesses", &view{Title: "Who viewed my data", D: map[string]any{"ID": r.PathValue("id"), "Accesses": as}})
}
