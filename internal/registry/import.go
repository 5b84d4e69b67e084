package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/netpolicy"
	"github.com/ipreg/ipreg/internal/textfile"
)

// Importing the regulator's existing allowlist (issue 13, "Importing the
// existing allowlist"; column spec in docs/import.md). A file holds one
// row per holder and item; the rows of one registration share a legacy
// reference, or, without one, the holder's e-mail, category, operator and
// dates. Every row is checked with the rules an application meets; a file
// with any problem writes nothing, and a clean one is written in one
// transaction, with one audit entry per registration and its feed changes
// published as one version.

// ImportOptions steer ImportRegistrations.
type ImportOptions struct {
	// DryRun checks the file and reports what a real run would do,
	// writing nothing.
	DryRun bool
	// Actor is who imports, for the audit log: a user id, or "cli" for
	// ipreg import run on the server.
	Actor string
	// Invite invites the new holders (InviteHolders) in the import's own
	// transaction: all or nothing, so that no holder is left imported but
	// uninvited when the invitations cannot be written (tester t3, major 1:
	// a second transaction failed with SQLITE_BUSY after the import
	// committed, and a re-run found nobody new to invite).
	Invite bool
}

// ImportProblem is one thing wrong with an import file.
type ImportProblem struct {
	Line    int    // 1-based physical line of the file (the header is line 1); 0 for the file as a whole
	Field   string // the column (ImportColumns), or "" for the line or file as a whole
	Value   string // what the file holds there, as written
	Message string // what is wrong and how to fix it
}

// ImportReport says what an import did or, in a dry run or with
// problems, would do.
type ImportReport struct {
	Rows             int // data rows read (the header not counted)
	Holders          int // distinct holders (by e-mail)
	NewHolders       int // holders without an account, for whom one is (or would be) created
	Registrations    int // distinct registrations in the file
	NewRegistrations int // registrations created (or that would be)
	Unchanged        int // registrations an earlier import created already
	Items            int // addresses and mobile numbers in the file
	Problems         []ImportProblem
	// NewHolderIDs are the user ids of the accounts created, to invite:
	// they have no usable password until their holder sets one.
	NewHolderIDs []string
	// FeedVersion is the global feed version that published the import
	// (an agent at that version has all of it; written in one transaction,
	// its changes are published together), or 0 when none was learned: a
	// dry run, a file with problems, nothing new, no publisher in this
	// process (Config.FeedPublished, SetImportPublisher), or the publisher
	// failing or not publishing within ImportPublishWait (it publishes the
	// import later).
	FeedVersion int64
	// Invited is how many new holders were invited (ImportOptions.Invite).
	Invited int
}

// ImportColumns are the columns of an import file, in the order the
// documentation and the sample list them. All are required in the header
// except legacy_ref.
var ImportColumns = []string{"holder_kind", "holder_name", "cnic", "ntn", "email", "mobile", "category",
	"operator", "subscriber_id", "item", "approved_on", "valid_until", "legacy_ref"}

// ImportPublishWait bounds how long a real import waits for the feed
// version that publishes it (ImportReport.FeedVersion).
const ImportPublishWait = 30 * time.Second

// MaxImportBytes bounds an import file: 31,000 registrations of up to
// eight items are about 40 MB.
const MaxImportBytes = 256 << 20

// LiveItem is an item of an active registration or a pending application
// (Tx.LiveItems), for the overlap check of an import.
type LiveItem struct {
	Kind          string // "ip" or "msisdn"
	Value         string
	First, Last   string // range keys
	AccountID     string
	Registration  string // the registration's number, or "" for a pending application's item
	ApplicationID string
}

// ImportedRegistration is a registration an earlier import made
// (Tx.ImportedRegistrations), with what a later run compares its file's
// rows with.
type ImportedRegistration struct {
	Registration
	// SubscriberID is the registration's present one: its last approved
	// amendment's or renewal's, else its own application's.
	SubscriberID string
}

// ImportBatch is what InsertImport writes. Registrations and ImportKeys
// are parallel: ImportKeys[i] identifies Registrations[i] to later runs.
type ImportBatch struct {
	Accounts      []*Account
	Users         []*User
	Applications  []*Application
	Registrations []*Registration
	ImportKeys    []string
	Events        []*Event
	Feed          []FeedChange
	// Invitations invite the new users (ImportOptions.Invite), one each;
	// Messages are the e-mails of those that have a mailbox.
	Invitations []*Invitation
	Messages    []*Message
}

// FeedChange is one allowlist feed change (Tx.AddFeedChange's arguments).
type FeedChange struct {
	Target, Op string
	Entry      feed.Entry
	At         time.Time
}

var legacyRefRe = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} ._/:#-]{0,63}$`)

// importRow is one data row, read and checked.
type importRow struct {
	line   int
	raw    map[string]string // column → value as written
	kind   AccountKind
	name   string
	cnic   string
	ntn    string
	email  string
	mobile string
	cat    Category
	op     string
	sub    string
	prefix netip.Prefix // the item, for address categories
	msisdn string       // the item, for mobile_vpn
	from   time.Time
	until  time.Time
	ref    string
	bad    bool // has a problem of its own
	// badCols are the columns with a problem: the checks that need a
	// column leave the row out, and the others still run, so that a row's
	// problems are reported in one pass, not one fix at a time (a name's
	// problem hid a staff e-mail and an overlap: tester, issue 13).
	badCols map[string]bool
}

// ok reports whether the row was read and none of cols has a problem.
func (r *importRow) ok(cols ...string) bool {
	if len(r.raw) == 0 {
		return false
	}
	for _, c := range cols {
		if r.badCols[c] {
			return false
		}
	}
	return true
}

// hasItem reports whether the row's item was read (an address or a
// mobile number).
func (r *importRow) hasItem() bool { return r.msisdn != "" || r.prefix.IsValid() }

// keyCols are the columns a row's import key is made of (importKey).
func (r *importRow) keyCols() []string {
	if r.raw["legacy_ref"] != "" {
		return []string{"legacy_ref"}
	}
	return []string{"email", "category", "operator", "approved_on", "valid_until"}
}

func (r *importRow) item() string {
	if r.msisdn != "" {
		return r.msisdn
	}
	return r.prefix.String()
}

// importGroup is one registration of the file.
type importGroup struct {
	key  string // import key
	rows []*importRow
	h    *importHolder
	// existing is the registration an earlier import made with this key.
	existing *ImportedRegistration
}

// importHolder is one holder of the file, by e-mail.
type importHolder struct {
	first   *importRow
	account *Account // matched or new
	user    *User    // new user, when the holder is new
	isNew   bool
	// madeByImport: the account is one an earlier import made, with the
	// name of its file, which a later run's file must then repeat.
	madeByImport bool
}

// problems collects ImportProblems.
type problems struct{ list []ImportProblem }

// at names where a problem is: a row and a column.
type at struct {
	r     *importRow
	field string
}

// Add records a problem at a row's field, with the value the row holds
// there. Formats are messages of the registry's catalog (translated in
// the portal).
//
// The value, in Value and where the message quotes it, is cut to
// problemValueRunes characters and "…": a report echoing whole values
// ran to 60 MB for 300,000-character names (tester t3, minor 6).
func (p *problems) Add(w at, format string, args ...any) {
	value := ""
	if w.r != nil {
		value = w.r.raw[w.field]
	}
	pr := ImportProblem{Field: w.field, Message: shortenIn(fmt.Sprintf(format, args...), value)}
	if w.r != nil {
		pr.Line = w.r.line
		pr.Value = shortenValue(value)
		w.r.bad = true
		if w.r.badCols == nil {
			w.r.badCols = map[string]bool{}
		}
		w.r.badCols[w.field] = true
	}
	p.list = append(p.list, pr)
}

// problemValueRunes is how much of a value a problem repeats.
const problemValueRunes = 80

// shortenValue cuts v to problemValueRunes characters and "…".
func shortenValue(v string) string {
	if utf8.RuneCountInString(v) <= problemValueRunes {
		return v
	}
	n := 0
	for i := range v {
		if n == problemValueRunes {
			return v[:i] + "…"
		}
		n++
	}
	return v
}

// shortenIn shortens value where msg quotes it (a message formatted here
// or a field's message formatted earlier).
func shortenIn(msg, value string) string {
	if utf8.RuneCountInString(value) <= problemValueRunes {
		return msg
	}
	return strings.ReplaceAll(msg, value, shortenValue(value))
}

// inFile names where a problem with the file as a whole (line 0) or one
// line is.
type inFile struct {
	line         int
	field, value string
}

// Errorf records a problem with the file as a whole or one line; the
// format is a message of the registry's catalog.
func (p *problems) Errorf(w inFile, format string, args ...any) {
	p.list = append(p.list, ImportProblem{Line: w.line, Field: w.field, Value: shortenValue(w.value), Message: shortenIn(fmt.Sprintf(format, args...), w.value)})
}

// ImportRegistrations imports the regulator's existing allowlist from a
// CSV file (columns: ImportColumns; docs/import.md). The file is checked
// whole: a file with problems returns the report with Problems and writes
// nothing; a clean one is written in one transaction (all or nothing).
// Registrations an earlier import created (same legacy reference, or same
// holder, category, operator and dates) are counted Unchanged and left as
// they are, so a second run changes nothing. Holders are matched to
// accounts by e-mail alone (docs/import.md: verified, same kind, same CNIC
// or NTN if the account has one; a CNIC or NTN under another e-mail is a
// problem, not a match); others get a new account whose user has no usable password
// (NewHolderIDs). Each registration gets an audit entry
// (registration.imported), its application an "approved" event, and its
// items feed changes, all in the one transaction. err is for reading the
// file and database failures only.
func (s *Service) ImportRegistrations(ctx context.Context, r io.Reader, opt ImportOptions) (*ImportReport, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("import: read the file: %w", err)
	}
	rep := &ImportReport{}
	var ps problems
	if len(data) > MaxImportBytes {
		ps.Errorf(inFile{0, "", ""}, "the file is larger than %d MiB; split it into several files and import each", MaxImportBytes>>20)
		rep.Problems = ps.list
		return rep, nil
	}
	rows := readImportFile(data, &ps)
	rep.Rows = len(rows)
	if len(ps.list) > 0 && rows == nil {
		rep.Problems = ps.list
		return rep, nil
	}
	var batch *ImportBatch
	var audits []*audit.Entry
	errProblems := errors.New("import has problems")
	run := func(tx Tx) error {
		pl, err := s.planImport(ctx, tx, rows, &ps, rep)
		if err != nil {
			return err
		}
		if len(ps.list) > 0 {
			return errProblems
		}
		if opt.DryRun || pl.fresh == 0 {
			return nil
		}
		year := pl.now.In(s.calendar.Loc).Year()
		first, err := tx.ReserveSerials(ctx, fmt.Sprintf("registration-%d", year), pl.fresh)
		if err != nil {
			return err
		}
		// New holders get a real hash of a random secret nobody keeps: no
		// password opens the account until its holder sets one, and a
		// login attempt costs the time of any other (a missing hash
		// would answer at once, telling that the account exists). One
		// hash for all: hashing each would take minutes.
		unusable, err := s.hashPassword(ctx, auth.RandomCode(32))
		if err != nil {
			return err
		}
		batch, audits = s.importBatch(pl, opt, year, first)
		for _, u := range batch.Users {
			u.PasswordHash = unusable
		}
		rep.Invited = 0
		if opt.Invite {
			// Each new holder's invitation, e-mail and audit entry are
			// written with the batch, a statement per table, not three
			// statements per holder (BENCHMARKS.md, "Import with
			// invitations").
			invites, err := s.importInvitations(batch.Users, opt.Actor)
			if err != nil {
				return err
			}
			batch.Invitations, batch.Messages = invites.invitations, invites.messages
			audits = append(audits, invites.audits...)
			rep.Invited = len(invites.invitations)
		}
		if err := tx.InsertImport(ctx, batch); err != nil {
			return err
		}
		// The registrations were active at the end of months already in
		// the statistics' rollup, which the job would not rebuild.
		if err := tx.MarkStatsDirty(ctx, importedMonths(batch.Registrations, pl.now), pl.now); err != nil {
			return err
		}
		for _, e := range audits {
			if err := tx.AppendAudit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	}
	if opt.DryRun {
		err = s.store.Read(ctx, run)
	} else {
		err = s.store.Write(ctx, run)
	}
	if errors.Is(err, errProblems) {
		sort.SliceStable(ps.list, func(i, j int) bool { return ps.list[i].Line < ps.list[j].Line })
		rep.Problems = ps.list
		rep.NewHolderIDs = nil
		return rep, nil
	}
	if err != nil {
		return nil, err
	}
	if batch != nil && len(batch.Feed) > 0 {
		s.notifyFeed()
		if s.importPublish != nil {
			// Bounded: a publisher that cannot publish (its keys) must
			// not hold the import's answer; it publishes the import later.
			wctx, cancel := context.WithTimeout(ctx, ImportPublishWait)
			v, err := s.importPublish(wctx)
			cancel()
			if err != nil {
				// Written and committed: the running server's publisher
				// publishes it later. Say so, do not fail the import.
				s.log.Warn("import: publishing the feed now failed; the publisher will retry", "err", err)
				v = 0
			}
			rep.FeedVersion = v
		}
	}
	if opt.DryRun {
		rep.NewHolderIDs = nil
	}
	return rep, nil
}

// SetImportPublisher sets the function ImportRegistrations calls after a
// real run to publish the feed at once and learn the global feed version
// (the command line's publisher; the server's runs on its own).
func (s *Service) SetImportPublisher(fn func(ctx context.Context) (int64, error)) {
	s.importPublish = fn
}

// normalizeColumn maps a header cell to a column name: case, spaces and
// dashes do not matter ("Valid until" is valid_until).
// Underscores do not matter either: "E-mail" is email, as the
// documentation promises (tester t3, minor 9).
func normalizeColumn(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	h = strings.NewReplacer(" ", "_", "-", "_").Replace(h)
	bare := strings.ReplaceAll(h, "_", "")
	for _, c := range ImportColumns {
		if strings.ReplaceAll(c, "_", "") == bare {
			return c
		}
	}
	return h
}

// separatorOf guesses the separator of a file's first line when it is not
// a comma: a semicolon (spreadsheets in locales with a decimal comma) or
// a tab.
func separatorOf(data []byte) string {
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if i := bytes.IndexAny(data, "\r\n"); i >= 0 {
		data = data[:i]
	}
	comma, semi, tab := bytes.Count(data, []byte(",")), bytes.Count(data, []byte(";")), bytes.Count(data, []byte("\t"))
	switch {
	case comma >= semi && comma >= tab:
		return ","
	case semi >= tab:
		return ";"
	}
	return "tab"
}

// readImportFile reads the CSV and checks each row on its own. It returns
// nil rows when the file cannot be read as an import at all (problems say
// why).
func readImportFile(data []byte, ps *problems) []*importRow {
	if sep := separatorOf(data); sep != "," {
		ps.Errorf(inFile{1, "", ""}, "the file uses %q as its separator, not a comma; save it as comma-separated (CSV UTF-8) and import it again", sep)
		return nil
	}
	header, recs, err := textfile.CSV(bytes.NewReader(data), func([]string) bool { return true })
	if err != nil {
		where := inFile{}
		var le *textfile.LineError
		if errors.As(err, &le) {
			where.line, err = le.Line, le.Err
			// The report's field, when the broken quote is in a column
			// of the import.
			if c := normalizeColumn(le.Name); slices.Contains(ImportColumns, c) {
				where.field = c
			}
		}
		ps.Errorf(where, "%s", err.Error())
		return nil
	}
	if header == nil {
		ps.Errorf(inFile{0, "", ""}, "the file is empty; it needs a header row naming the columns (docs/import.md) and a row per holder and item")
		return nil
	}
	col := map[string]int{}
	for i, h := range header {
		c := normalizeColumn(h)
		switch {
		case !slices.Contains(ImportColumns, c):
			ps.Errorf(inFile{1, "", h}, "%q is not a column of an import file; the columns are %s", h, strings.Join(ImportColumns, ", "))
		case col[c] != 0:
			ps.Errorf(inFile{1, c, h}, "the column %s is named twice; name each column once", c)
		default:
			col[c] = i + 1
		}
	}
	for _, c := range ImportColumns {
		if col[c] == 0 && c != "legacy_ref" {
			ps.Errorf(inFile{1, c, ""}, "the column %s is missing from the header row; add it (the columns are %s)", c, strings.Join(ImportColumns, ", "))
		}
	}
	if len(ps.list) > 0 {
		return nil
	}
	if len(recs) == 0 {
		ps.Errorf(inFile{0, "", ""}, "the file has a header row but no rows; add a row per holder and item")
		return nil
	}
	rows := make([]*importRow, 0, len(recs))
	for _, rec := range recs {
		r := &importRow{line: rec.Line, raw: make(map[string]string, len(col))}
		if len(rec.Fields) != len(header) {
			ps.Errorf(inFile{rec.Line, "", ""}, "has %d fields, the header row %d; put a field that holds a comma in double quotes", len(rec.Fields), len(header))
			r.bad = true
			rows = append(rows, r)
			continue
		}
		for c, i := range col {
			r.raw[c] = strings.TrimSpace(rec.Fields[i-1])
		}
		rows = append(rows, r)
	}
	return rows
}

// checkRow validates one row's fields, as Signup and an application check
// theirs, under set and with the operators ops.
// holderCheck is the holder columns of a row, checked.
type holderCheck struct {
	kind                           AccountKind
	name, cnic, ntn, email, mobile string
	fe                             FieldErrors
}

// checkHolder checks a row's holder columns as Signup checks its fields.
func checkHolder(v map[string]string) *holderCheck {
	fe := FieldErrors{}
	r := &holderCheck{fe: fe}
	r.kind = AccountKind(strings.ToLower(v["holder_kind"]))
	if r.kind != KindCompany && r.kind != KindIndividual {
		fe.Add("holder_kind", `must be "company" or "individual"`)
	}
	r.name = personName(fe, "holder_name", v["holder_name"], 200)
	var err error
	if v["cnic"] != "" {
		if r.cnic, err = NormalizeCNIC(v["cnic"]); err != nil {
			fe.AddErr("cnic", err)
		}
	} else if r.kind == KindIndividual {
		fe.Add("cnic", "is required for an individual: give the holder's CNIC, such as 12345-1234567-1")
	}
	if v["ntn"] != "" {
		if r.ntn, err = NormalizeNTN(v["ntn"]); err != nil {
			fe.AddErr("ntn", err)
		}
	} else if r.kind == KindCompany {
		fe.Add("ntn", "is required for a company: give the company's National Tax Number, such as 1234567-8")
	}
	if v["email"] == "" {
		fe.Add("email", "is required: the holder's e-mail address, to which the invitation to claim the account goes")
	} else {
		r.email = normalizeEmail(fe, "email", v["email"])
	}
	if r.mobile, err = netpolicy.NormalizeMobile(v["mobile"]); err != nil {
		fe.AddErr("mobile", err)
	}
	return r
}

func checkRow(r *importRow, set Settings, ops map[string]*Operator, today time.Time, loc *time.Location, ps *problems, holders map[string]*holderCheck) {
	fe := FieldErrors{}
	v := r.raw
	// A holder's columns repeat on each of its rows: checked once.
	hk := strings.Join([]string{v["holder_kind"], v["holder_name"], v["cnic"], v["ntn"], v["email"], v["mobile"]}, "\x00")
	hc := holders[hk]
	if hc == nil {
		hc = checkHolder(v)
		holders[hk] = hc
	}
	r.kind, r.name, r.cnic, r.ntn, r.email, r.mobile = hc.kind, hc.name, hc.cnic, hc.ntn, hc.email, hc.mobile
	for f, m := range hc.fe {
		fe[f] = m
	}
	var err error
	r.cat = Category(strings.ToLower(v["category"]))
	switch {
	case !r.cat.Valid():
		fe.Add("category", "must be one of %s", joinCats())
	case (r.kind == KindCompany || r.kind == KindIndividual) && !slices.Contains(r.cat.AccountKinds(), r.kind):
		fe.Add("category", "%s is for %s holders, not %s ones: choose %s", r.cat, r.cat.AccountKinds()[0], r.kind, joinCatsFor(r.kind))
	}
	r.op = strings.ToLower(v["operator"])
	if o := ops[r.op]; o == nil {
		fe.Add("operator", "%q is not a known operator; ipreg operator list shows them (add one with ipreg operator add)", v["operator"])
	} else if r.cat.UsesMobileNumbers() && o.Kind != OperatorMobile {
		fe.Add("operator", "%s is a fixed-line operator; mobile_vpn needs the mobile network that issued the numbers", o.Name)
	}
	if r.sub = text(fe, "subscriber_id", v["subscriber_id"], 64, false); r.sub != "" && !subIDRe.MatchString(r.sub) {
		fe.Add("subscriber_id", "may hold letters, digits, spaces and . _ / : # - only: give the account or circuit ID from your operator's bill")
	}
	switch {
	case v["item"] == "":
		fe.Add("item", "is required: one address, prefix or mobile number per row")
	case r.cat.UsesMobileNumbers():
		if r.msisdn, err = netpolicy.NormalizeMobile(v["item"]); err != nil {
			fe.AddErr("item", err)
		}
	case r.cat.Valid():
		if r.prefix, err = set.Policy(r.cat).Check(v["item"]); err != nil {
			fe.AddErr("item", err)
		}
	}
	// Dates are days in Pakistan, kept as a reviewer's approval keeps
	// them and as pages show them (in PKT): approved_on as that day's
	// midnight PKT, valid_until as the last second of that day PKT, as a
	// registration is valid through its last day. (Midnight UTC showed as
	// 05:00 PKT, and the next day's midnight as the next day: tester t3,
	// major 2.)
	date := func(field string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, v[field], loc)
		if err != nil {
			fe.Add(field, "%q is not a date; write it as YYYY-MM-DD, e.g. 2024-12-31", v[field])
		}
		return d
	}
	r.from, r.until = date("approved_on"), date("valid_until")
	if fe["approved_on"] == "" && r.from.After(today) {
		fe.Add("approved_on", "is after today; give the date the registration was approved")
	}
	if fe["valid_until"] == "" {
		r.until = lastSecond(r.until)
		switch limit := today.AddDate(0, 0, set.MaxValidityDays+1); {
		case !r.until.After(today):
			fe.Add("valid_until", "has passed; leave expired registrations out of the import")
		case fe["approved_on"] == "" && !r.until.After(r.from):
			fe.Add("valid_until", "is before the approved date; check the two dates")
		case r.until.After(limit) && set.MaxValidityDays == 1:
			fe.Add("valid_until", "is more than %d day from today, longer than a reviewer may approve (the settings' longest validity); shorten it", set.MaxValidityDays)
		case r.until.After(limit):
			fe.Add("valid_until", "is more than %d days from today, longer than a reviewer may approve (the settings' longest validity); shorten it", set.MaxValidityDays)
		}
	}
	if r.ref = v["legacy_ref"]; r.ref != "" && !legacyRefRe.MatchString(r.ref) {
		fe.Add("legacy_ref", "may hold letters, digits, spaces and . _ / : # - only, at most 64 characters, starting with a letter or digit")
	}
	for _, c := range ImportColumns {
		if m, ok := fe[c]; ok {
			ps.Add(at{r, c}, "%s", m)
		}
	}
}

// nationalForm writes a normalized mobile number (923001234567) as
// people write it, 03001234567, for a message.
func nationalForm(m string) string {
	if rest, ok := strings.CutPrefix(m, "92"); ok {
		return "0" + rest
	}
	return m
}

// importPlan is a checked file: its holders and registrations.
type importPlan struct {
	groups []*importGroup
	fresh  int // groups to create
	now    time.Time
	set    Settings
}

// lastSecond is the last second of day's date in its location:
// 23:59:59.
func lastSecond(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 59, 0, day.Location())
}

// importKey identifies a row's registration across runs. Its until date
// is the day after valid_until, as releases before tester t3's major 2
// kept valid_until as the next day's midnight and computed the key from
// it: the keys of registrations they imported stay the same.
func importKey(r *importRow) string {
	if r.ref != "" {
		return "ref:" + r.ref
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{r.email, string(r.cat), r.op, r.from.Format(time.DateOnly), r.until.AddDate(0, 0, 1).Format(time.DateOnly)}, "\x00")))
	return "auto:" + hex.EncodeToString(sum[:16])
}

// identity is a row's account identity key (Account.IdentityKey).
func (r *importRow) identity() string {
	return (&Account{Kind: r.kind, CNIC: r.cnic, NTN: r.ntn}).IdentityKey()
}

// planImport checks rows against each other and the database, filling
// rep's counts and ps.
func (s *Service) planImport(ctx context.Context, tx Tx, rows []*importRow, ps *problems, rep *ImportReport) (*importPlan, error) {
	set, err := tx.Settings(ctx)
	if err != nil {
		return nil, err
	}
	opList, err := tx.ListOperators(ctx)
	if err != nil {
		return nil, err
	}
	ops := make(map[string]*Operator, len(opList))
	for _, o := range opList {
		ops[o.ID] = o
	}
	now := s.Now()
	loc := s.calendar.Loc
	y, m, d := now.In(loc).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, loc)
	holderChecks := map[string]*holderCheck{}
	for _, r := range rows {
		if len(r.raw) > 0 {
			checkRow(r, set, ops, today, loc, ps, holderChecks)
		}
	}
	pl := &importPlan{now: now, set: set}

	// Registrations: rows grouped by import key, each group one holder,
	// category, operator, subscriber and pair of dates.
	byKey := map[string]*importGroup{}
	for _, r := range rows {
		// A row whose registration cannot be told goes in none; its
		// other columns' checks above have run.
		if !r.ok(r.keyCols()...) {
			continue
		}
		k := importKey(r)
		g := byKey[k]
		if g == nil {
			g = &importGroup{key: k}
			byKey[k] = g
			pl.groups = append(pl.groups, g)
		}
		if len(g.rows) > 0 {
			f := g.rows[0]
			same := []struct {
				col  string
				a, b string
			}{
				{"email", f.email, r.email}, {"holder_kind", string(f.kind), string(r.kind)}, {"category", string(f.cat), string(r.cat)},
				{"operator", f.op, r.op}, {"subscriber_id", f.sub, r.sub},
				{"approved_on", f.from.Format(time.DateOnly), r.from.Format(time.DateOnly)},
				{"valid_until", f.until.Format(time.DateOnly), r.until.Format(time.DateOnly)},
			}
			for _, c := range same {
				if c.a != c.b && f.ok(c.col) && r.ok(c.col) {
					ps.Add(at{r, c.col}, "differs from line %d of the same registration (legacy reference %s): its rows share one holder, category, operator, subscriber ID and dates", f.line, f.ref)
				}
			}
		}
		g.rows = append(g.rows, r)
	}
	for _, g := range pl.groups {
		rep.Items += len(g.rows)
		if len(g.rows) > set.MaxItems {
			ps.Add(at{g.rows[set.MaxItems], "item"}, "the registration has %d items; at most %d are allowed in one registration (the settings' limit of addresses or numbers)", len(g.rows), set.MaxItems)
		}
	}
	rep.Registrations = len(pl.groups)

	// Holders, by e-mail: one holder, one set of details, one e-mail.
	dirUsers, dirAccounts, err := tx.ImportDirectory(ctx)
	if err != nil {
		return nil, err
	}
	accByIdentity := make(map[string]*Account, len(dirAccounts))
	for _, a := range dirAccounts {
		if k := a.IdentityKey(); k != "" {
			accByIdentity[k] = a
		}
	}
	// Every row with a good e-mail names its holder, whether or not its
	// registration can be told: a bad category, operator or date left the
	// row out of the groups, and with it the holder's checks (a staff
	// e-mail, another CNIC), reported only once the date was corrected
	// (tester, issue 13).
	holders := map[string]*importHolder{}
	byIdentity := map[string]*importRow{}
	for _, r := range rows {
		if !r.ok("email") {
			continue
		}
		h := holders[r.email]
		if h == nil {
			h = &importHolder{first: r}
			holders[r.email] = h
			if id := r.identity(); id != "" && r.ok("holder_kind", "cnic", "ntn") {
				if o := byIdentity[id]; o != nil {
					col := "cnic"
					if r.kind == KindCompany {
						col = "ntn"
					}
					ps.Add(at{r, col}, "is given at line %d with the e-mail %s; one holder has one account: give the same e-mail on all its rows", o.line, o.email)
				} else {
					byIdentity[id] = r
				}
			}
		} else {
			f := h.first
			for _, c := range []struct{ col, a, b string }{
				{"holder_kind", string(f.kind), string(r.kind)}, {"holder_name", f.name, r.name},
				{"cnic", f.cnic, r.cnic}, {"ntn", f.ntn, r.ntn}, {"mobile", f.mobile, r.mobile},
			} {
				if c.a != c.b && f.ok(c.col) && r.ok(c.col) {
					ps.Add(at{r, c.col}, "differs from line %d for the same holder (e-mail %s); write a holder's details the same way on every row", f.line, r.email)
				}
			}
		}
	}
	for _, g := range pl.groups {
		if r := g.rows[0]; r.ok("email") {
			g.h = holders[r.email]
		}
	}
	rep.Holders = len(holders)
	for email, h := range holders {
		r := h.first
		if u := dirUsers[email]; u != nil {
			acc := dirAccounts[u.AccountID]
			switch {
			case u.Role != RoleApplicant || u.AccountID == "":
				ps.Add(at{r, "email"}, "belongs to a staff user of ipreg; give the holder's own e-mail")
				continue
			case acc == nil:
				return nil, errors.New("import: a user's account is missing from the directory")
			case u.EmailVerifiedAt.IsZero() && !u.Imported:
				// Anyone may sign up with an address; until its owner
				// has opened the link mailed to it, an account's e-mail
				// proves nothing, and the registrations would go to
				// whoever signed up first with it (tester, issue 13).
				ps.Add(at{r, "email"}, "belongs to an account in ipreg whose e-mail address has not been verified, so ipreg cannot tell that the holder made it; ask the holder to open the verification link ipreg mailed (or send a new one from their account page), then import again")
				continue
			default:
				h.account = acc
				h.madeByImport = u.Imported
			}
			switch {
			case !r.ok("holder_kind"):
			case h.account.Kind != r.kind:
				ps.Add(at{r, "holder_kind"}, "the e-mail belongs to a %s account in ipreg; give the same kind, or another e-mail", h.account.Kind)
			case !r.ok("cnic", "ntn"):
			case acc.IdentityKey() != "" && acc.IdentityKey() != r.identity():
				col := "cnic"
				if r.kind == KindCompany {
					col = "ntn"
				}
				ps.Add(at{r, col}, "the e-mail belongs to an account in ipreg with another CNIC or NTN; check the holder's e-mail and identity")
			}
			continue
		}
		if acc := accByIdentity[r.identity()]; acc != nil && r.ok("holder_kind", "cnic", "ntn") {
			// The CNIC or NTN is an account's whose user has another
			// e-mail: refused as an e-mail with another CNIC is, rather
			// than putting the file's registrations into that account and
			// dropping the file's e-mail and name (tester t3, minor 5).
			col := "cnic"
			if r.kind == KindCompany {
				col = "ntn"
			}
			ps.Add(at{r, col}, "belongs to an account in ipreg whose user has another e-mail; give that account's e-mail on the holder's rows (the registrations then go to that account), or check the CNIC or NTN")
			continue
		}
		h.isNew = true
		h.account = &Account{ID: auth.RandomID("acc"), Kind: r.kind, Name: r.name, CNIC: r.cnic, Mobile: r.mobile, NTN: r.ntn, CreatedAt: now}
		h.user = &User{ID: auth.RandomID("usr"), Email: r.email, Role: RoleApplicant, AccountID: h.account.ID, CreatedAt: now, Lang: "en", MadeInDemo: s.demoNoTOTP}
		rep.NewHolders++
		rep.NewHolderIDs = append(rep.NewHolderIDs, h.user.ID)
	}
	sort.Strings(rep.NewHolderIDs)

	// Earlier imports: a group whose key was imported is unchanged when
	// it holds the same items for the same account; an import never
	// changes a registration.
	imported, err := tx.ImportedRegistrations(ctx)
	if err != nil {
		return nil, err
	}
	var fresh []*importGroup
	for _, g := range pl.groups {
		reg := imported[g.key]
		if reg == nil {
			fresh = append(fresh, g)
			continue
		}
		g.existing = reg
		r := g.rows[0]
		had := append(prefixStrings(reg.Addresses), reg.MobileNumbers...)
		var has []string
		itemsKnown := true
		for _, row := range g.rows {
			itemsKnown = itemsKnown && row.ok("item") && row.hasItem()
			has = append(has, row.item())
		}
		slices.Sort(had)
		slices.Sort(has)
		if g.h == nil {
			continue // its e-mail's problem is reported
		}
		if g.h.account != nil && reg.AccountID != g.h.account.ID {
			ps.Add(at{r, "email"}, "registration %s was imported from this row before for another holder; an import never changes a registration: correct the file", reg.Number)
			continue
		}
		// Each difference from what ipreg holds is a problem: counted
		// unchanged, a registration whose dates, subscriber ID or holder's
		// name the file changed was left as it was without a word (tester,
		// issue 13).
		n := len(ps.list)
		if (itemsKnown && !slices.Equal(had, has)) || (r.ok("category") && reg.Category != r.cat) || (r.ok("operator") && reg.OperatorID != r.op) {
			ps.Add(at{r, "item"}, "registration %s was imported from these rows before with other items or another category or operator (%s); an import never changes a registration: correct the file, or change the registration in ipreg", reg.Number, strings.Join(had, " "))
		}
		loc := s.calendar.Loc
		for _, c := range []struct{ col, held, file string }{
			{"subscriber_id", reg.SubscriberID, r.sub},
			{"approved_on", reg.ValidFrom.In(loc).Format(time.DateOnly), r.from.Format(time.DateOnly)},
			// The last second of the day, or the next day's midnight as
			// releases before tester t3's major 2 kept it: a second
			// before either is the day.
			{"valid_until", reg.ValidUntil.Add(-time.Second).In(loc).Format(time.DateOnly), r.until.Format(time.DateOnly)},
		} {
			if r.ok(c.col) && c.held != c.file {
				ps.Add(at{r, c.col}, "differs from registration %s, which an earlier import made from this row: ipreg holds %q, the file %q; an import never changes a registration: correct the file, or amend the registration in ipreg", reg.Number, c.held, c.file)
			}
		}
		if g.h.madeByImport && r.ok("holder_name") && reg.HolderName != r.name {
			ps.Add(at{r, "holder_name"}, "differs from the holder's name in ipreg, to whose account an earlier import gave registration %s from this row: ipreg holds %q, the file %q; an import never changes a registration or its holder: correct the file", reg.Number, reg.HolderName, r.name)
		}
		// The holder's other details an earlier import wrote into the
		// account: a changed mobile number was counted unchanged and
		// dropped (tester, issue 13). The identity (an individual's CNIC,
		// a company's NTN) is checked with the account above; e-mail
		// addresses match without regard to case, so a case is no change.
		if h := g.h; h.madeByImport && h.account != nil {
			held := []struct{ col, held, file string }{{"mobile", nationalForm(h.account.Mobile), nationalForm(r.mobile)}}
			if r.kind == KindCompany {
				held = append(held, struct{ col, held, file string }{"cnic", h.account.CNIC, r.cnic})
			} else {
				held = append(held, struct{ col, held, file string }{"ntn", h.account.NTN, r.ntn})
			}
			for _, c := range held {
				if r.ok(c.col, "holder_kind") && h.account.Kind == r.kind && c.held != c.file {
					ps.Add(at{r, c.col}, "differs from what ipreg holds for the holder, whose account an earlier import made (registration %s from this row): ipreg holds %q, the file %q; an import never changes a holder's details: correct the file to what ipreg holds", reg.Number, c.held, c.file)
				}
			}
		}
		if len(ps.list) == n {
			rep.Unchanged++
		}
	}
	pl.fresh = len(fresh)
	rep.NewRegistrations = len(fresh)

	// Overlaps: of the new items with each other, and with every item of
	// an active registration or a pending application, as an application's
	// addresses are checked (duplicate and overlap flags); an import has no
	// reviewer to judge a flag, so an overlap is a problem.
	if err := s.importOverlaps(ctx, tx, fresh, ps); err != nil {
		return nil, err
	}
	if len(fresh) == 0 {
		// Nothing to create: the holders the file names already have
		// accounts (or will not get one), so nobody is new.
		rep.NewHolders, rep.NewHolderIDs = 0, nil
		for _, h := range holders {
			h.isNew = false
		}
	} else {
		// Only holders of new registrations get accounts.
		needed := map[*importHolder]bool{}
		for _, g := range fresh {
			needed[g.h] = true
		}
		rep.NewHolders, rep.NewHolderIDs = 0, nil
		for _, h := range holders {
			if h.isNew && !needed[h] {
				h.isNew = false
			}
			if h.isNew {
				rep.NewHolders++
				rep.NewHolderIDs = append(rep.NewHolderIDs, h.user.ID)
			}
		}
		sort.Strings(rep.NewHolderIDs)
	}
	pl.groups = fresh
	return pl, nil
}

// span is an item with its range keys, for the overlap sweep.
type span struct {
	first, last string
	row         *importRow
	live        *LiveItem
}

func rowSpan(r *importRow) span {
	if r.msisdn != "" {
		return span{first: "m" + r.msisdn, last: "m" + r.msisdn, row: r}
	}
	f, l := netpolicy.RangeKey(r.prefix)
	return span{first: "p" + f, last: "p" + l, row: r}
}

// importOverlaps reports each new item that overlaps another new item or
// a live one. Spans sorted by first key: an item overlaps an earlier one
// exactly when its first key is at most the greatest last key before it.
func (s *Service) importOverlaps(ctx context.Context, tx Tx, groups []*importGroup, ps *problems) error {
	var spans []span
	for _, g := range groups {
		for _, r := range g.rows {
			if r.ok("item") && r.hasItem() {
				spans = append(spans, rowSpan(r))
			}
		}
	}
	if len(spans) == 0 {
		return nil
	}
	live, err := tx.LiveItems(ctx)
	if err != nil {
		return err
	}
	for i := range live {
		li := &live[i]
		p := "p"
		if li.Kind == "msisdn" {
			p = "m"
		}
		spans = append(spans, span{first: p + li.First, last: p + li.Last, live: li})
	}
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].first != spans[j].first {
			return spans[i].first < spans[j].first
		}
		return spans[i].live != nil && spans[j].live == nil // live items first: a new one is reported against them
	})
	var top *span // the span with the greatest last key so far
	for i := range spans {
		sp := &spans[i]
		if top != nil && sp.first <= top.last {
			switch {
			case sp.row != nil && top.row != nil:
				ps.Add(at{sp.row, "item"}, "%s overlaps %s at line %d; list each address or number once, in one registration", sp.row.item(), top.row.item(), top.row.line)
			case sp.row != nil:
				reportLive(ps, sp.row, top.live)
			case top.row != nil:
				reportLive(ps, top.row, sp.live)
			}
		}
		if top == nil || sp.last > top.last {
			top = sp
		}
	}
	return nil
}

func reportLive(ps *problems, r *importRow, li *LiveItem) {
	if li.Registration != "" {
		ps.Add(at{r, "item"}, "%s overlaps %s of registration %s, already in ipreg; leave it out, or end that registration first", r.item(), li.Value, li.Registration)
		return
	}
	ps.Add(at{r, "item"}, "%s overlaps %s of an application pending in ipreg; leave it out, or decide that application first", r.item(), li.Value)
}

// importBatch builds the rows a checked plan writes and its audit entries.
func (s *Service) importBatch(pl *importPlan, opt ImportOptions, year int, first int64) (*ImportBatch, []*audit.Entry) {
	b := &ImportBatch{}
	var audits []*audit.Entry
	now := pl.now
	actor := opt.Actor
	if actor == "" {
		actor = "cli"
	}
	seen := map[*importHolder]bool{}
	for _, g := range pl.groups {
		h := g.h
		if h.isNew && !seen[h] {
			seen[h] = true
			b.Accounts = append(b.Accounts, h.account)
			b.Users = append(b.Users, h.user)
			audits = append(audits, &audit.Entry{At: now, ActorID: actor, Action: "account.imported", ObjectType: "account", ObjectID: h.account.ID,
				Detail: fmt.Sprintf(`{"kind":%q,"line":%d}`, h.account.Kind, h.first.line)})
		}
		r := g.rows[0]
		a := &Application{ID: auth.RandomID("app"), AccountID: h.account.ID, Kind: KindNew, Category: r.cat, OperatorID: r.op,
			SubscriberID: r.sub, State: StateApproved, CreatedAt: now, UpdatedAt: now, DecidedAt: r.from,
			Fee: Fee{Reason: "imported from the allowlist kept before ipreg"}}
		for _, row := range g.rows {
			if row.msisdn != "" {
				a.MobileNumbers = append(a.MobileNumbers, row.msisdn)
			} else {
				a.Addresses = append(a.Addresses, row.prefix)
			}
		}
		b.Applications = append(b.Applications, a)
		b.ImportKeys = append(b.ImportKeys, g.key)
		b.Registrations = append(b.Registrations, &Registration{Number: fmt.Sprintf("VPN-%d-%06d", year, first+int64(len(b.Registrations))), ApplicationID: a.ID, AccountID: a.AccountID,
			Category: a.Category, OperatorID: a.OperatorID, Addresses: a.Addresses, MobileNumbers: a.MobileNumbers,
			Status: RegActive, ValidFrom: r.from, ValidUntil: r.until, VerificationCode: auth.RandomCode(10),
			HolderName: h.account.Name, CreatedAt: now, IssuedAt: now})
	}
	for i, reg := range b.Registrations {
		a := b.Applications[i]
		a.Registration = reg.Number
		ref := strings.TrimPrefix(b.ImportKeys[i], "ref:")
		if strings.HasPrefix(ref, "auto:") {
			ref = ""
		}
		note := fmt.Sprintf("imported from the allowlist kept before ipreg; registration %s valid until %s", reg.Number, pl.groups[i].rows[0].until.Format(time.DateOnly))
		b.Events = append(b.Events, &Event{ApplicationID: a.ID, At: now, ActorID: actor, ActorRole: RoleAdmin, Type: string(StateApproved), Note: note})
		audits = append(audits, &audit.Entry{At: now, ActorID: actor, Action: "registration.imported", ObjectType: "registration", ObjectID: reg.Number,
			Detail: fmt.Sprintf(`{"application":%q,"legacy_ref":%q,"line":%d}`, a.ID, ref, pl.groups[i].rows[0].line)})
		for _, p := range reg.Addresses {
			b.Feed = append(b.Feed, FeedChange{Op: "add", At: now,
				Entry: feed.Entry{Prefix: p.String(), Reg: reg.Number, Cat: string(reg.Category), Until: reg.ValidUntil.UTC()}})
		}
		for _, m := range reg.MobileNumbers {
			b.Feed = append(b.Feed, FeedChange{Target: reg.OperatorID, Op: "add", At: now,
				Entry: feed.Entry{MSISDN: m, Reg: reg.Number, Cat: string(reg.Category), Until: reg.ValidUntil.UTC()}})
		}
	}
	return b, audits
}

// importedMonths returns the months (YYYY-MM, PKT) whose month-end active
// registrations regs change: those from each one's start to now's month
// whose end (for now's month, now) falls in its validity. An import's
// registrations start on their old approval dates, often years back.
func importedMonths(regs []*Registration, now time.Time) []string {
	now = now.In(PKT.Loc)
	cur := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, PKT.Loc)
	seen := map[string]bool{}
	var out []string
	for _, r := range regs {
		f := r.ValidFrom.In(PKT.Loc)
		for m := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, PKT.Loc); !m.After(cur); m = m.AddDate(0, 1, 0) {
			end := minTime(m.AddDate(0, 1, 0), now)
			if r.ValidUntil.Before(end.Add(-time.Second)) {
				break // not valid through this month's end, nor any later one's
			}
			if month := m.Format("2006-01"); !seen[month] && MonthEndActive(r.ValidFrom, r.ValidUntil, time.Time{}, end) {
				seen[month] = true
				out = append(out, month)
			}
		}
	}
	sort.Strings(out)
	return out
}
