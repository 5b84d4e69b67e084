package registry

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ipreg/ipreg/internal/auth"
)

// DocumentKind says what a document proves.
type DocumentKind string

const (
	DocCNICFront      DocumentKind = "cnic_front"
	DocCNICBack       DocumentKind = "cnic_back"
	DocIncorporation  DocumentKind = "incorporation_proof" // letter of incorporation or active-taxpayer proof
	DocAuthentication DocumentKind = "authentication_letter"
	DocPSEB           DocumentKind = "pseb_certificate"
	DocGovernment     DocumentKind = "government_letter"
)

// DocumentKinds lists every kind, with what it is, for help texts and pages.
var DocumentKinds = []DocumentKind{DocCNICFront, DocCNICBack, DocIncorporation, DocAuthentication, DocPSEB, DocGovernment}

// Describe says in a few words what a document of kind k is.
func (k DocumentKind) Describe() string {
	switch k {
	case DocCNICFront:
		return "the front of the CNIC"
	case DocCNICBack:
		return "the back of the CNIC"
	case DocIncorporation:
		return "the letter of incorporation or active-taxpayer proof"
	case DocAuthentication:
		return "the letter of authentication"
	case DocPSEB:
		return "the PSEB call-centre certificate"
	case DocGovernment:
		return "the government letter"
	}
	return string(k)
}

// Accepts says what counts as a document of kind k, where its name alone
// does not tell: the one text the pages that list documents and the
// refusal of a submission without it both show. "" when the name says it.
func (k DocumentKind) Accepts() string {
	switch k {
	case DocIncorporation:
		return "the SECP certificate of incorporation or proof that the company is on FBR's active-taxpayer list"
	case DocAuthentication:
		return "an employer or client letter; a contract, invoice or platform profile is accepted"
	case DocPSEB:
		return "the call-centre registration certificate from the Pakistan Software Export Board"
	case DocGovernment:
		return "for a government body, in place of incorporation proof: a letter from the department on its letterhead"
	}
	return ""
}

// Valid reports whether k is a known kind.
func (k DocumentKind) Valid() bool { return slices.Contains(DocumentKinds, k) }

// DocumentRequirement is one document an application needs: any one of
// Kinds satisfies it.
type DocumentRequirement struct {
	Kinds []DocumentKind
}

// Describe says what satisfies the requirement.
func (r DocumentRequirement) Describe() string {
	parts := make([]string, len(r.Kinds))
	for i, k := range r.Kinds {
		parts[i] = k.Describe()
	}
	return strings.Join(parts, ", or ")
}

// Accepts says what counts for the requirement: what each of its kinds
// accepts (DocumentKind.Accepts), "" when their names say it.
func (r DocumentRequirement) Accepts() string {
	var parts []string
	for _, k := range r.Kinds {
		if a := k.Accepts(); a != "" {
			parts = append(parts, a)
		}
	}
	return strings.Join(parts, ", or ")
}

// RequiredDocuments lists what category c needs before submission
// (README's "Documents" table), in the order pages and errors list them:
// always both sides of the CNIC, then the proof the
// category asks for.
func RequiredDocuments(c Category) []DocumentRequirement {
	req := func(ks ...DocumentKind) DocumentRequirement { return DocumentRequirement{Kinds: ks} }
	out := []DocumentRequirement{req(DocCNICFront), req(DocCNICBack)}
	switch c {
	case CategoryCompany:
		out = append(out, req(DocIncorporation))
	case CategoryFreelancer, CategoryMobile:
		out = append(out, req(DocAuthentication))
	case CategoryCallCenter:
		out = append(out, req(DocIncorporation), req(DocPSEB))
	case CategoryVideoConf:
		out = append(out, req(DocIncorporation, DocGovernment))
	}
	return out
}

// DocumentKindsFor lists the kinds of document category c takes: those of
// its RequiredDocuments, in their order. An upload of any other kind is
// refused (it would sit in the application proving nothing).
func DocumentKindsFor(c Category) []DocumentKind {
	var out []DocumentKind
	for _, r := range RequiredDocuments(c) {
		for _, k := range r.Kinds {
			if !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	return out
}

// kindTaken refuses a document of a kind category c does not take,
// naming those it takes.
// The one check of a kind: an unknown kind, like a known one the category
// does not take, names the kinds the category takes.
func kindTaken(c Category, k DocumentKind) error {
	takes := DocumentKindsFor(c)
	if slices.Contains(takes, k) {
		return nil
	}
	fe := FieldErrors{}
	if k == "" {
		fe.Add("kind", "is required: one of %s", joinKinds(takes))
		return fe.Err()
	}
	fe.Add("kind", "%s is not a document that %s applications take; give one of %s", k, c, joinKinds(takes))
	return fe.Err()
}

// MissingDocuments returns what an application still needs before it can
// be submitted; Documents must have been filled (GetApplication does).
// Nothing is missing from one that cannot be submitted any more (neither
// a draft nor returned: with the operator, in review, decided, withdrawn).
func (a *Application) MissingDocuments() []DocumentRequirement {
	if a.changes() {
		return nil // a renewal or an amendment needs none: its registration's were reviewed
	}
	if a.State != StateDraft && a.State != StateReturned {
		return nil
	}
	return missingDocuments(a.Category, a.Documents)
}

// missingDocuments returns the requirements none of docs satisfies.
func missingDocuments(c Category, docs []*Document) []DocumentRequirement {
	var out []DocumentRequirement
	for _, r := range RequiredDocuments(c) {
		if !slices.ContainsFunc(docs, func(d *Document) bool { return slices.Contains(r.Kinds, d.Kind) }) {
			out = append(out, r)
		}
	}
	return out
}

// Document is an uploaded file's record. The content lives encrypted in
// the Blobs store, never in the database.
type Document struct {
	ID            string
	ApplicationID string
	Kind          DocumentKind
	Filename      string // as uploaded, cleaned for display, with the extension of ContentType (cleanFilename)
	ContentType   string // sniffed from the content: application/pdf, image/jpeg or image/png
	Size          int64
	SHA256        string // of the plaintext, hex
	UploadedAt    time.Time
	UploadedBy    string
	PurgedAt      time.Time // set when retention removed the content
}

// Blobs keeps document contents. Implementations encrypt at rest.
type Blobs interface {
	// Start stores a new document's content under its new id (ids are
	// never reused) and returns once it is written; durable waits until
	// it is on disk, and is called before the document is recorded. A
	// partial file a crash leaves behind is for SweepDocuments to remove,
	// as no record names it.
	Start(ctx context.Context, id string, content []byte) (durable func() error, err error)
	Get(ctx context.Context, id string) ([]byte, error)
	Delete(ctx context.Context, id string) error // no error when absent
}

// MaxDocuments bounds the files one application may hold.
const MaxDocuments = 20

// Document types accepted, recognised from the content, with the
// extensions a name of that type may end in (the first is the one added
// when a name has none of them).
var documentMagic = []struct {
	contentType string
	magic       []byte
	extensions  []string
}{
	{"application/pdf", []byte("%PDF-"), []string{".pdf"}},
	{"image/jpeg", []byte{0xFF, 0xD8, 0xFF}, []string{".jpg", ".jpeg", ".jpe", ".jfif"}},
	{"image/png", []byte("\x89PNG\r\n\x1a\n"), []string{".png"}},
}

// extensionsOf returns the extensions a document of contentType may be
// named with, or nil for a type that is not accepted.
func extensionsOf(contentType string) []string {
	for _, m := range documentMagic {
		if m.contentType == contentType {
			return m.extensions
		}
	}
	return nil
}

// SniffDocument recognises a PDF, JPEG or PNG from its content, whatever
// its name or declared type says, and refuses anything else with what it
// looks like instead. It also refuses an image declaring more pixels than
// MaxImagePixels or a side over MaxImageSide (checkImageSize), and a PDF
// that holds active content, cannot be parsed or is password-protected
// (inspectPDF, within pdfCheckTime). Every refusal is EINVALID with a
// message for the applicant; if ctx ends during the PDF's check, its error
// is returned.
func SniffDocument(ctx context.Context, b []byte) (string, error) {
	return sniffDocument(ctx, b, pdfGate)
}

// sniffDocument is SniffDocument with PDF checks queued at gate.
func sniffDocument(ctx context.Context, b []byte, gate *auth.Gate) (string, error) {
	for _, m := range documentMagic {
		if !bytes.HasPrefix(b, m.magic) {
			continue
		}
		// A few structural checks beyond the magic, so that a file that
		// merely starts like one (a truncated upload, a polyglot) is caught.
		switch m.contentType {
		case "application/pdf":
			if !bytes.Contains(b[max(0, len(b)-1024):], []byte("%%EOF")) {
				return "", Errorf(EINVALID, "the PDF is incomplete (no end-of-file marker); upload it again, or export it from the original once more")
			}
			if err := inspectPDF(ctx, b, pdfCheckTime, gate); err != nil {
				return "", err
			}
		case "image/png":
			if len(b) < 16 || string(b[12:16]) != "IHDR" {
				return "", Errorf(EINVALID, "the PNG is damaged (no image header); upload it again")
			}
			cfg, err := png.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				return "", Errorf(EINVALID, "the PNG is damaged (its image header cannot be read); upload it again")
			}
			if err := checkImageSize(cfg); err != nil {
				return "", err
			}
			end, ok := pngComplete(b)
			if !ok {
				return "", Errorf(EINVALID, "the PNG is incomplete (its image data is missing, cut off or damaged); upload it again, or save it from the original once more")
			}
			// Nothing follows a PNG's end but what was hidden there.
			if end < len(b) {
				return "", Errorf(EINVALID, "the PNG has %d bytes of something else after the image's end, as a file disguised as a picture has; save the picture again from the original, or take a screenshot of it, and upload that", len(b)-end)
			}
		case "image/jpeg":
			if len(b) < 4 {
				return "", Errorf(EINVALID, "the JPEG is damaged (too short); upload it again")
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				return "", Errorf(EINVALID, "the JPEG is damaged (its image header cannot be read); upload it again, or take the photo again")
			}
			if err := checkImageSize(cfg); err != nil {
				return "", err
			}
			if !jpegComplete(b) {
				return "", Errorf(EINVALID, "the JPEG is incomplete (its image data is missing or cut off); upload it again, or take the photo again")
			}
		}
		if err := disguised(b, m.contentType); err != nil {
			return "", err
		}
		return m.contentType, nil
	}
	looks := http.DetectContentType(b)
	looks, _, _ = strings.Cut(looks, ";")
	if len(b) == 0 {
		return "", Errorf(EINVALID, "the file is empty; choose the scan or photo again")
	}
	looks = contentInWords(looks)
	switch head := bytes.ToLower(b[:min(len(b), 8<<10)]); {
	case looks == "XML text" && bytes.Contains(head, []byte("<html")):
		looks = contentInWords("text/html") // XHTML
	case looks != "a web page (HTML)" && svgTag(head):
		// An SVG drawing is text to the sniffer (XML, or plain text
		// without its declaration), but it can hold a web page's scripts.
		looks = "an SVG drawing, which can hold web page code"
	}
	if bytes.HasPrefix(b, []byte("MZ")) || bytes.HasPrefix(b, []byte("\x7fELF")) {
		looks = "a program"
	}
	return "", Errorf(EINVALID, "the file is not a PDF, JPEG or PNG (its content looks like %s, whatever its name says); upload a PDF, or a JPEG or PNG scan or photo", looks)
}

// Image dimensions accepted. A phone's photo of a CNIC is about 12
// megapixels (4000 × 3000), a 48-megapixel phone mode 8000 × 6000, an A4
// page scanned at 600 dpi 4960 × 7016 (35 megapixels): all fit. The limits
// stop a decompression bomb, a small file declaring a huge image (a PNG of
// 65,535 × 65,535 pixels compresses to a few megabytes and needs 17 GB to
// show), before any viewer decodes it: 50 megapixels is at most 200 MB as
// RGBA in the reviewer's browser. The side limit refuses strips (1 × 50
// million) that no scan of a document is.
const (
	MaxImagePixels = 50_000_000
	MaxImageSide   = 12_000
)

// checkImageSize refuses an image whose header declares more pixels than
// MaxImagePixels or a side longer than MaxImageSide. Only the header was
// read (image.DecodeConfig), never the pixels.
func checkImageSize(cfg image.Config) error {
	w, h := int64(cfg.Width), int64(cfg.Height)
	if w <= 0 || h <= 0 || w > MaxImageSide || h > MaxImageSide || w*h > MaxImagePixels {
		return Errorf(EINVALID, "the image is %d pixels wide and %d pixels high; at most %d megapixels and %d pixels a side are accepted: photograph it in the camera's normal mode, or scan it at 300 dpi, and upload that",
			w, h, MaxImagePixels/1_000_000, MaxImageSide)
	}
	return nil
}

// maxFilenameRunes bounds a stored name, extension included.
const maxFilenameRunes = 120

// cleanFilename keeps the last element of an uploaded name, without
// control or format characters, at most 120 characters: it is shown on
// pages and sent back in Content-Disposition. Its extension follows the
// type sniffed from the content, so that a browser or the reviewer's
// desktop opens the file as what it is: an extension of another type is
// replaced ("letter.html" holding a PDF becomes "letter.pdf", and
// "letter.pdf.html" and "letter.pdf." become "letter.pdf", never
// "letter.pdf.pdf"), and one is added when the name has none ("scan"
// becomes "scan.pdf"). An extension
// is what follows the last dot when it is 1 to 4 ASCII letters and digits,
// at least one a letter (".docx", ".heic", ".jpeg"); anything else after a
// dot ("Mr. Ali", "cnic.front", "v2.2024") is part of the name, and the
// type's extension is added after it. A name with an extension the type
// allows keeps it, letter case included ("SCAN.JPEG" stays). The function
// is idempotent, so names stored before this rule are served cleaned by
// applying it again (servedNames).
func cleanFilename(name string, contentType string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '"' {
			return -1
		}
		return r
	}, name)
	// Trailing dots and spaces are dropped by Windows when saving
	// ("letter.pdf." is saved as letter.pdf), so they go before the
	// extension is looked for.
	name = strings.TrimRight(strings.TrimSpace(name), ". ")
	if name == "/" {
		name = ""
	}
	stem, ext := splitExtension(name)
	if exts := extensionsOf(contentType); exts != nil && !slices.Contains(exts, strings.ToLower(ext)) {
		// Not the detected type's: the whole old extension goes, so a
		// name never ends in a type the content is not. When what is
		// left already ends in the type's extension ("letter.pdf.html"
		// holding a PDF), that one is the name's, not doubled.
		if s2, e2 := splitExtension(stem); e2 != "" && slices.Contains(exts, strings.ToLower(e2)) {
			stem, ext = s2, e2
		} else {
			ext = exts[0]
		}
	}
	// Trailing dots and spaces are dropped by Windows when saving, which
	// would join the stem to the extension oddly ("letter..pdf").
	stem = strings.TrimRight(stem, ". ")
	if stem == "" {
		stem = "document"
	}
	if r := []rune(stem); len(r)+len(ext) > maxFilenameRunes {
		stem = string(r[len(r)-(maxFilenameRunes-len(ext)):])
	}
	return stem + ext
}

// splitExtension splits name before its extension (with the dot), or
// returns ext "" when what follows the last dot is not an extension (see
// cleanFilename).
func splitExtension(name string) (stem, ext string) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return name, ""
	}
	e := name[i+1:]
	if len(e) < 1 || len(e) > 4 {
		return name, ""
	}
	letter := false
	for _, c := range []byte(e) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			letter = true
		case '0' <= c && c <= '9':
		default:
			return name, ""
		}
	}
	if !letter {
		return name, ""
	}
	return name[:i], name[i:]
}

// servedNames applies cleanFilename to documents read from the store, so
// that records written before the name followed the sniffed type are
// listed and served by the same rule as new ones.
func servedNames(docs ...*Document) {
	for _, d := range docs {
		d.Filename = cleanFilename(d.Filename, d.ContentType)
	}
}

// UploadInput is one uploaded file.
type UploadInput struct {
	Kind     string
	Filename string
	Content  []byte
}

// documentsEditable reports whether the applicant may change an
// application's documents.
func documentsEditable(a *Application, action string) error {
	if a.State != StateDraft && a.State != StateReturned {
		return Errorf(ECONFLICT, "documents can be %s only while the application is a draft or returned for correction; it is %s", action, describeState(a.State))
	}
	return nil
}

// documentsAddable reports whether the applicant may add documents: as
// documentsEditable allows, and to a rejected application while its
// appeal is pending (new documents for the supervisor who decides it).
func documentsAddable(ctx context.Context, tx Tx, a *Application) error {
	err := documentsEditable(a, "added")
	if err == nil || a.State != StateRejected {
		return err
	}
	ap, perr := pendingAppeal(ctx, tx, a.ID)
	if perr != nil {
		return perr
	}
	if ap == nil {
		return Errorf(ECONFLICT, "documents can be added only while the application is a draft, returned for correction, or rejected with an appeal pending; it is %s", describeState(a.State))
	}
	return nil
}

// DocumentLimit is the largest document upload the settings allow, for
// handlers to bound what they read before the service sees it.
func (s *Service) DocumentLimit(ctx context.Context) (int64, error) {
	set, err := s.PublicSettings(ctx)
	return set.DocumentMaxBytes, err
}

// UploadDocument stores a document of the applicant's own draft or
// returned application. The content is size-checked first, then sealed
// and written while it is sniffed, and fsynced before the transaction
// that records it begins, so that SQLite's single writer never waits on
// file I/O; if the content is refused or the record cannot be written,
// the file is removed again.
//
// Whether the application exists, is the applicant's and takes documents
// is checked before the content is looked at (CheckDocumentUpload), so
// that a PDF is never parsed for an upload that would be refused anyway;
// the write transaction checks again. An account's PDFs are checked one at
// a time (pdfAccountWait), so one applicant cannot hold every core.
func (s *Service) UploadDocument(ctx context.Context, actor *User, appID string, in UploadInput) (*Document, error) {
	p, err := s.PrepareDocumentUpload(ctx, actor, appID)
	if err != nil {
		return nil, err
	}
	return s.UploadPrepared(ctx, actor, p, in)
}

// UploadPermit is what PrepareDocumentUpload found before an upload's
// content is read: that the application takes a document from this
// applicant, its category, and the settings' size limit. It only saves
// reading them twice (a handler bounds its read by Limit, then the upload
// needs the same checks); the transaction recording the document checks
// the application again, so a permit is never trusted for the write.
type UploadPermit struct {
	actorID  string
	appID    string
	category Category
	// Limit is the largest document the settings allow, in bytes.
	Limit int64
}

// PrepareDocumentUpload checks, as CheckDocumentUpload does, that actor
// may add a document to application appID now, and reads the size limit
// too, in one read. Errors: EFORBIDDEN (not an applicant), ENOTFOUND (not
// theirs), ECONFLICT (its state, or MaxDocuments reached), EINTERNAL (no
// document storage).
func (s *Service) PrepareDocumentUpload(ctx context.Context, actor *User, appID string) (*UploadPermit, error) {
	p := &UploadPermit{appID: appID}
	if actor != nil {
		p.actorID = actor.ID
	}
	var err error
	p.category, p.Limit, err = s.checkDocumentUpload(ctx, actor, appID, true)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// UploadPrepared is UploadDocument for an upload PrepareDocumentUpload
// permitted; a permit for another actor (or none) is checked afresh, with
// that function's errors.
func (s *Service) UploadPrepared(ctx context.Context, actor *User, p *UploadPermit, in UploadInput) (*Document, error) {
	if p == nil || actor == nil || p.actorID != actor.ID {
		appID := ""
		if p != nil {
			appID = p.appID
		}
		var err error
		if p, err = s.PrepareDocumentUpload(ctx, actor, appID); err != nil {
			return nil, err
		}
	}
	appID, category, limit := p.appID, p.category, p.Limit
	kind := DocumentKind(in.Kind)
	if err := kindTaken(category, kind); err != nil {
		return nil, err
	}
	// The size first: it costs nothing, and a PDF is parsed to sniff it.
	if int64(len(in.Content)) > limit {
		return nil, fieldError("file", Errorf(ETOOLARGE, "the file is %s, over the limit of %s; scan at a lower resolution or compress it",
			ByteSize(int64(len(in.Content))), ByteSize(limit)))
	}
	// The sealed file is written first, and its fsyncs run while the
	// content is checked (a scan's PDF parse takes about as long as
	// they); the transaction begins only once the file is on disk, so a
	// crash never leaves a record without its file. Waiting for the
	// fsyncs inside the transaction held SQLite's one writer through a
	// disk flush, with every other filing queued behind it (BENCHMARKS.md,
	// eleventh session). A file the checks refuse is removed again: it
	// was sealed, like every document, and no record ever named it.
	id := auth.RandomID("doc")
	durable, err := s.blobs.Start(ctx, id, in.Content)
	if err != nil {
		return nil, fmt.Errorf("store document: %w", err)
	}
	discard := func() {
		durable() // the fsyncs are over before the file is removed
		if derr := s.blobs.Delete(context.WithoutCancel(ctx), id); derr != nil {
			s.log.Error("document: remove content after a failed upload", "document", id, "err", derr)
		}
	}
	// The account's slot covers the PDF check only: the fsyncs and the
	// record need no core of pdfGate's, and holding the slot through them
	// made one account's uploads wait for each other's disk writes and
	// transactions.
	release := func() {}
	if bytes.HasPrefix(in.Content, []byte("%PDF-")) {
		if release, err = s.pdfSlots.acquire(ctx, actor.AccountID); err != nil {
			discard()
			return nil, fieldError("file", err)
		}
	}
	ctype, err := sniffDocument(ctx, in.Content, s.pdfGate)
	release()
	if err != nil {
		discard()
		return nil, fieldError("file", err)
	}
	sum := sha256.Sum256(in.Content)
	d := &Document{ID: id, ApplicationID: appID, Kind: kind, Filename: cleanFilename(in.Filename, ctype),
		ContentType: ctype, Size: int64(len(in.Content)), SHA256: hex.EncodeToString(sum[:]), UploadedAt: s.Now(), UploadedBy: actor.ID}
	if err := durable(); err != nil {
		discard()
		return nil, fmt.Errorf("store document: %w", err)
	}
	_, err = s.ownTx(ctx, actor, appID, func(tx Tx, a *Application) error {
		if err := documentsAddable(ctx, tx, a); err != nil {
			return err
		}
		if err := kindTaken(a.Category, d.Kind); err != nil {
			return err
		}
		added, err := tx.AddDocument(ctx, d, MaxDocuments)
		if err != nil {
			return err
		}
		if !added {
			return Errorf(ECONFLICT, "the application already holds %d documents, the most allowed; delete one you do not need first", MaxDocuments)
		}
		return s.event(ctx, tx, actor, a, "document_added", d.Kind.Describe())
	})
	if err != nil {
		discard()
		return nil, err
	}
	return d, nil
}

// CheckDocumentUpload returns the error UploadDocument would return for
// the application itself: EFORBIDDEN for a caller who is not an applicant,
// ENOTFOUND for an application that does not exist or is another
// account's, ECONFLICT when it takes no documents (not a draft or returned,
// or already holding MaxDocuments). Handlers call it before reading an
// upload's body, so that a refused upload costs no reading and no parsing.
func (s *Service) CheckDocumentUpload(ctx context.Context, actor *User, appID string) error {
	_, _, err := s.checkDocumentUpload(ctx, actor, appID, false)
	return err
}

// checkDocumentUpload is CheckDocumentUpload, returning the application's
// category (whose kinds of document an upload must be one of) and, when
// withLimit, the settings' document size limit in bytes.
func (s *Service) checkDocumentUpload(ctx context.Context, actor *User, appID string, withLimit bool) (Category, int64, error) {
	if err := requireRole(actor, RoleApplicant); err != nil {
		return "", 0, err
	}
	if s.blobs == nil {
		return "", 0, Errorf(EINTERNAL, "document storage is not configured")
	}
	var category Category
	var limit int64
	err := s.store.Read(ctx, func(tx Tx) error {
		// One query: this runs before every upload's content is read.
		a, docs, set, err := tx.UploadTarget(ctx, appID)
		if err != nil {
			return err
		}
		if err := ownedBy(actor, a); err != nil {
			return err
		}
		category = a.Category
		if err := documentsAddable(ctx, tx, a); err != nil {
			return err
		}
		if docs >= MaxDocuments {
			return Errorf(ECONFLICT, "the application already holds %d documents, the most allowed; delete one you do not need first", docs)
		}
		if withLimit {
			limit = set.DocumentMaxBytes
		}
		return nil
	})
	return category, limit, err
}

// fieldError moves a domain error's message under one field, so forms can
// show it next to the input, keeping its code.
func fieldError(field string, err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	return e.WithField(field)
}

// ByteSize writes a size for people: "5.0 MiB", "312 KiB".
func ByteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

func joinKinds(ks []DocumentKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// DeleteDocument removes a document from the applicant's own draft or
// returned application.
func (s *Service) DeleteDocument(ctx context.Context, actor *User, appID, docID string) error {
	_, err := s.ownTx(ctx, actor, appID, func(tx Tx, a *Application) error {
		if err := documentsEditable(a, "deleted"); err != nil {
			return err
		}
		d, err := tx.Document(ctx, docID)
		if err != nil || d.ApplicationID != appID {
			return Errorf(ENOTFOUND, "document %s not found in application %s", docID, appID)
		}
		if err := tx.DeleteDocument(ctx, docID); err != nil {
			return err
		}
		return s.event(ctx, tx, actor, a, "document_deleted", d.Kind.Describe())
	})
	if err != nil {
		return err
	}
	// After the commit: a failed removal leaves unreadable ciphertext with
	// no record, which the log names; never a record without content.
	if err := s.blobs.Delete(context.WithoutCancel(ctx), docID); err != nil {
		s.log.Error("document: remove content", "document", docID, "err", err)
	}
	return nil
}

// canSeeDocuments reports whether actor may list or read the documents of
// a: the owner and regulator staff. Operator staff confirm addresses and
// numbers and have no need for identity documents, so they are refused.
func canSeeDocuments(actor *User, a *Application) bool {
	switch actor.Role {
	case RoleApplicant:
		return a.AccountID == actor.AccountID
	case RoleReviewer, RoleSupervisor, RoleAdmin:
		return true
	}
	return false
}

// ListDocuments lists an application's documents (records, not contents).
func (s *Service) ListDocuments(ctx context.Context, actor *User, appID string) ([]*Document, error) {
	if err := requireRole(actor, Roles...); err != nil {
		return nil, err
	}
	var out []*Document
	err := s.store.Read(ctx, func(tx Tx) error {
		if err := documentsVisible(ctx, tx, actor, appID); err != nil {
			return err
		}
		var err error
		out, err = tx.ListDocuments(ctx, appID)
		servedNames(out...)
		return err
	})
	return out, err
}

// documentsVisible fails with ENOTFOUND unless actor may see the
// documents (and staff reads) of application appID.
func documentsVisible(ctx context.Context, tx Tx, actor *User, appID string) error {
	a, err := tx.Application(ctx, appID, false)
	if err != nil {
		return err
	}
	if !canSeeDocuments(actor, a) {
		if actor.Role == RoleOperator && a.OperatorID == actor.OperatorID && a.State != StateDraft {
			// The operator sees the application (GetApplication), so
			// "not found" would contradict the page before; it says what
			// is withheld and why instead (tester).
			return Errorf(ENOTFOUND, "an operator sees the addresses and numbers it confirms, not the applicant's documents: they are for the regulator's staff")
		}
		return Errorf(ENOTFOUND, "application %s not found", appID)
	}
	return nil
}

// ReadDocument returns a document and its content to the owner or to
// regulator staff; each staff read is recorded, and the applicant sees it
// under "who viewed my data".
func (s *Service) ReadDocument(ctx context.Context, actor *User, appID, docID string) (*Document, []byte, error) {
	if err := requireRole(actor, Roles...); err != nil {
		return nil, nil, err
	}
	if s.blobs == nil {
		return nil, nil, Errorf(EINTERNAL, "document storage is not configured")
	}
	var d *Document
	err := s.view(ctx, actor, func(tx Tx) error {
		if err := documentsVisible(ctx, tx, actor, appID); err != nil {
			return err
		}
		var err error
		if d, err = tx.Document(ctx, docID); err != nil || d.ApplicationID != appID {
			return Errorf(ENOTFOUND, "document %s not found in application %s", docID, appID)
		}
		if !d.PurgedAt.IsZero() {
			// An ISO day, as pages write days: an English month name would
			// stand inside the Urdu message (review §6.4).
			return Errorf(ECONFLICT, "document %s was deleted on %s under the retention policy", docID, d.PurgedAt.Format("2006-01-02"))
		}
		if actor.Role.Staff() {
			return s.record(ctx, tx, actor, "document.viewed", "application", appID, map[string]string{"document": d.ID, "kind": string(d.Kind)})
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	servedNames(d)
	b, err := s.blobs.Get(ctx, d.ID)
	if errors.Is(err, fs.ErrNotExist) {
		// Recorded, its file gone (a documents backup older than the
		// database restored, a volume not mounted): said as such, not
		// as an unexplained internal error (tester), and logged for the
		// administrators, who can put the file back from a backup.
		s.log.Error("document file missing", "document", d.ID, "application", appID)
		return nil, nil, Errorf(ECONFLICT, "document %s is recorded, but its file is not in the registry's document store; the registry's administrators can put it back from a documents backup", d.ID)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read document %s: %w", d.ID, err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != d.SHA256 {
		return nil, nil, fmt.Errorf("read document %s: content does not match its recorded hash", d.ID)
	}
	return d, b, nil
}

// svgTag reports whether head (lower-cased) holds an <svg> element's
// tag: "<svg" followed by a space, ">", "/" or a namespace's ":" (as in
// "<svg:svg"), not a longer name such as "<svgpath".
func svgTag(head []byte) bool {
	for {
		i := bytes.Index(head, []byte("<svg"))
		if i < 0 {
			return false
		}
		head = head[i+4:]
		if len(head) == 0 || bytes.IndexByte([]byte(" \t\r\n>/:"), head[0]) >= 0 {
			return true
		}
	}
}

// contentInWords names a sniffed media type (http.DetectContentType's)
// in words a person knows: the refusal is shown on pages, which name
// things in words, not codes ("its content looks like application/zip";
// tester). Each is in the Urdu catalogue.
func contentInWords(mediaType string) string {
	switch {
	case mediaType == "text/html":
		return "a web page (HTML)"
	case mediaType == "text/xml":
		return "XML text"
	case strings.HasPrefix(mediaType, "text/"):
		return "plain text"
	case mediaType == "application/zip":
		return "a ZIP archive (or an Office document)"
	case mediaType == "application/x-gzip", mediaType == "application/x-rar-compressed", mediaType == "application/vnd.rar":
		return "a compressed archive"
	case mediaType == "image/gif", mediaType == "image/webp", mediaType == "image/bmp", mediaType == "image/x-icon", mediaType == "image/avif":
		return "an image in another format (save it as JPEG or PNG)"
	case strings.HasPrefix(mediaType, "audio/"), mediaType == "application/ogg":
		return "a sound recording"
	case strings.HasPrefix(mediaType, "video/"):
		return "a video"
	case strings.HasPrefix(mediaType, "font/"), mediaType == "application/vnd.ms-fontobject":
		return "a font"
	case mediaType == "application/octet-stream":
		return "an unknown binary type"
	}
	return "another kind of file"
}

// purgeDocuments removes the contents of documents whose application was
// decided (or withdrawn) more than the retention period ago. Records stay,
// marked purged, so the timeline still says what was provided.
func (s *Service) purgeDocuments(ctx context.Context) (int, error) {
	now := s.Now()
	var due []*Document
	err := s.store.Write(ctx, func(tx Tx) error {
		set, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		if due, err = tx.DuePurges(ctx, now.AddDate(0, 0, -set.DocumentRetentionDays), 500); err != nil {
			return err
		}
		// Another replica may purge the same rows at once: keep only those
		// this transaction marked.
		marked := due[:0]
		for _, d := range due {
			ok, err := tx.MarkDocumentPurged(ctx, d.ID, now)
			if err != nil {
				return err
			}
			if ok {
				marked = append(marked, d)
			}
		}
		due = marked
		if len(due) > 0 {
			return s.record(ctx, tx, nil, "documents.purged", "document", "", map[string]int{"count": len(due)})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, d := range due {
		if err := s.blobs.Delete(ctx, d.ID); err != nil {
			s.log.Error("document: purge content", "document", d.ID, "err", err)
		}
	}
	return len(due), nil
}

// Accesses lists every staff read of the application and its documents:
// "who viewed my data". The owner and regulator staff may ask.
func (s *Service) Accesses(ctx context.Context, actor *User, appID string) ([]Access, error) {
	if err := requireRole(actor, Roles...); err != nil {
		return nil, err
	}
	var out []Access
	err := s.store.Read(ctx, func(tx Tx) error {
		if err := documentsVisible(ctx, tx, actor, appID); err != nil {
			return err
		}
		var err error
		out, err = tx.Accesses(ctx, appID)
		return err
	})
	return out, err
}
