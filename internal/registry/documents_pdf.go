package registry

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/ipreg/ipreg/internal/auth"
)

// makePlainPDF is what every refusal of a PDF tells the applicant to do: a
// printed or scanned PDF holds pages and nothing that acts.
const makePlainPDF = "print it to PDF again (File > Print > Save as PDF) or scan it, then upload that file"

// inspectPDF refuses a PDF that holds content able to act when a reviewer
// opens it (ISO 32000-1: JavaScript (12.6.4.16, the JavaScript name tree
// 7.7.4), launch, import-data, submit-form, rendition and embedded
// go-to actions (12.6.4), additional actions run by events (12.6.3),
// embedded files (7.11.4) and file-attachment annotations (12.5.6.15),
// rich media and 3D annotations (ISO 32000-2 13.7, 13.6), and XFA forms
// (12.7.8)), and a PDF that cannot be parsed or is password-protected,
// since neither can be checked. Links to web pages (URI actions) and jumps
// within the document (GoTo, an OpenAction naming a page, as office suites
// write) are kept: they act only when clicked, in the viewer.
//
// The document is parsed with pdfcpu, every object of the cross-reference
// table loaded (object streams decompressed, #-escaped names decoded), so
// a name hidden in a compressed object stream, where a regular expression
// over the bytes cannot see it, is found (pdfcpu leaves such objects
// unparsed until asked: each is parsed here). Objects are visited once each
// from the table, never by following references, so reference cycles
// cost nothing.
//
// Parsing is bounded by budget (pdfCheckTime): some structures cost pdfcpu time
// that grows with the square of their size (an array of a million short
// strings, offsets that miss their objects), and an upload must not hold
// a core for minutes. A PDF that does not parse in time is refused; if
// ctx ends first (the client went away), its error is returned.
func inspectPDF(ctx context.Context, b []byte, budget time.Duration, gate *auth.Gate) error {
	// The budget starts once a core is free (gate, by default pdfGate): uploads arriving
	// together queue instead of sharing the cores and each running out of
	// time, and a flood of PDFs cannot take every core from the server.
	var err error
	if gerr := gate.Do(ctx, func() { err = inspectPDFNow(ctx, b, budget) }); gerr != nil {
		if errors.Is(gerr, auth.ErrBusy) {
			return pdfBusy()
		}
		return gerr
	}
	return err
}

// pdfBusy is the answer to a PDF the server had no time to check: come
// back, with Retry-After; the file itself is not faulted.
func pdfBusy() error {
	return &Error{Code: EUNAVAILABLE, RetryAfter: 10 * time.Second,
		Message: "the server is busy checking other documents; try again in a few seconds"}
}

// pdfGate bounds how many PDFs are parsed at once: one per core, with up to
// four uploads a core waiting at most ten seconds for one.
var pdfGate = auth.NewGate(auth.Cores(), 4*auth.Cores(), 10*time.Second)

// inspectPDFNow is inspectPDF's work, on a core pdfGate gave it.
//
// The budget is wall-clock time, as pdfcpu's context is, but a PDF is
// refused as too slow to read only when its parse had the core for
// nearly all of it (nine tenths): on a server busy with other work
// (uploads being read, sealed and written beside it) a plain 5 MiB PDF
// that parses in 80 ms once ran out of its 2 s and was refused as faulty
// (tester t13), and with half as the bar, one that parses in 1.1 s when
// the server is idle still was (tester t14). The parse then answers
// EUNAVAILABLE, "try again", as pdfGate does when no core is free;
// nothing unchecked is ever accepted, and a PDF that costs the whole
// budget of CPU is refused.
func inspectPDFNow(ctx context.Context, b []byte, budget time.Duration) error {
	// Held to one thread, the parse's CPU time is that thread's.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0, measured := threadCPU()
	c, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	tooLong := func() error {
		if cpu, ok := threadCPU(); measured && ok && cpu-cpu0 < budget*9/10 {
			return pdfBusy()
		}
		return Errorf(EINVALID, "the PDF's structure takes too long to read, so it cannot be checked; make a plain PDF: %s", makePlainPDF)
	}
	doc, err := readPDF(c, b)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case c.Err() != nil:
			return tooLong()
		case errors.Is(err, pdfcpu.ErrWrongPassword):
			return Errorf(EINVALID, "the PDF is protected by a password, so it cannot be checked; remove the password: open it, %s", makePlainPDF)
		}
		return Errorf(EINVALID, "the PDF's structure cannot be read, so it cannot be checked; make a plain PDF: %s", makePlainPDF)
	}
	// Viewers that meet a broken cross-reference table (pdf.js, MuPDF)
	// rebuild it by scanning the bytes for object headers, and then see
	// objects pdfcpu skipped: an entry pdfcpu could not load, or one whose
	// offset lands on another object, hides the object the viewer finds.
	// So the table must describe the file exactly: every object in use is
	// at its offset and loads, and every object header in the bytes is
	// one the table lists as in use.
	//
	// A header inside stream data is refused outright: pdf.js, rebuilding
	// a table, takes it (and a trailer after it) for a real one.
	headers, hidden := pdfObjectHeaders(b)
	if hidden || !xrefMatchesBytes(doc.XRefTable, b, headers) {
		return Errorf(EINVALID, "the PDF's structure cannot be read, so it cannot be checked; make a plain PDF: %s", makePlainPDF)
	}
	v := pdfVisitor{c: c, xt: doc.XRefTable, b: b}
	// Every copy of an object in the bytes is checked, not only the one
	// the table points to: old versions left by incremental updates, and
	// copies a rebuilding viewer would prefer (pdf.js keeps the last copy
	// of a number). An old version that held active content is refused
	// too, though the current one no longer does: the simple rule is the
	// safe one. An object stream that is not the table's copy is refused,
	// since the objects packed in it are never read.
	for _, h := range headers {
		if e, found := doc.XRefTable.Table[h.num]; found && e != nil && !e.Free && e.Offset != nil && *e.Offset == int64(h.off) {
			continue // the table's copy: checked below
		}
		o, err := pdfcpu.ParseObjectWithContext(c, doc, int64(h.off), h.num, h.gen)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if c.Err() != nil {
				return tooLong()
			}
			return Errorf(EINVALID, "the PDF's structure cannot be read, so it cannot be checked; make a plain PDF: %s", makePlainPDF)
		}
		if sd, ok := o.(types.StreamDict); ok && sd.Type() != nil && pdfName(*sd.Type()) == "ObjStm" {
			return Errorf(EINVALID, "the PDF's structure cannot be read, so it cannot be checked; make a plain PDF: %s", makePlainPDF)
		}
		if found := v.activeContent(o); found != "" {
			return Errorf(EINVALID, "the PDF contains %s, which could run when staff open it; make a plain PDF: %s", found, makePlainPDF)
		}
	}
	for _, e := range doc.XRefTable.Table {
		if e == nil || e.Free {
			continue
		}
		o, err := v.load(e)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if c.Err() != nil {
				return tooLong()
			}
			return Errorf(EINVALID, "the PDF's structure cannot be read, so it cannot be checked; make a plain PDF: %s", makePlainPDF)
		}
		if found := v.activeContent(o); found != "" {
			return Errorf(EINVALID, "the PDF contains %s, which could run when staff open it; make a plain PDF: %s", found, makePlainPDF)
		}
	}
	return nil
}

// threadCPU reads the calling thread's CPU time (osThreadCPU); tests
// replace it to stand for a parse starved of the core.
var threadCPU = osThreadCPU

// pdfCheckTime bounds the parsing of one PDF. A 5 MiB scan parses in
// about 1 ms, a 5 MiB document of 2,000 text pages in about 45 ms on one
// core of the development machine (BENCHMARKS.md): 2 s leaves a busy
// server forty times the slowest plain PDF seen.
const pdfCheckTime = 2 * time.Second

var disablePDFConfigDir sync.Once

// readPDF parses b with pdfcpu under limits fit for an upload of a few
// megabytes, until c ends, turning a panic in the parser into an error.
func readPDF(c context.Context, b []byte) (doc *model.Context, err error) {
	// pdfcpu otherwise writes a configuration directory under the user's
	// home on first use; ipreg needs none of it.
	disablePDFConfigDir.Do(api.DisableConfigDir)
	defer func() {
		// The panic's value may quote the document: it is not kept.
		if recover() != nil {
			doc, err = nil, errors.New("the PDF parser failed")
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	// A 5 MiB upload holds at most a few hundred thousand objects; a
	// stream that inflates past 64 MiB is a bomb, not a letter.
	conf.Limits.MaxStreamBytes = 64 << 20
	conf.Limits.MaxDecodeBytes = 64 << 20
	conf.Limits.MaxObjectCount = 500_000
	conf.Limits.MaxXRefEntries = 500_000
	conf.Limits.MaxObjectStreamCount = 100_000
	conf.Limits.MaxObjectStreamFirst = 4 << 20
	return pdfcpu.ReadWithContext(c, bytes.NewReader(b), conf)
}

// Action types (ISO 32000-1 table 198, ISO 32000-2 table 201) that run
// code, start programs, send or load data, or open embedded content.
var activeActions = map[string]string{
	"JavaScript": "JavaScript",
	"Launch":     "an action that starts a program",
	"ImportData": "a form that sends or imports data",
	"SubmitForm": "a form that sends or imports data",
	"GoToE":      "an embedded file",
	// A letter has no reason to open another file, and opening one on a
	// network share (\\\\host\\share) sends the reviewer's Windows
	// credentials to that host.
	"GoToR":            "a link that opens another file (a file path or a network share)",
	"Rendition":        "rich media (video, sound, Flash or 3D)",
	"RichMediaExecute": "rich media (video, sound, Flash or 3D)",
}

// activeKeys are dictionary keys whose presence alone is active content.
var activeKeys = map[string]string{
	"JS":                "JavaScript",
	"JavaScript":        "JavaScript", // the document's JavaScript name tree
	"AA":                "actions that run by themselves when it is opened or read",
	"EmbeddedFiles":     "an embedded file",
	"EF":                "an embedded file", // a file specification's embedded file streams
	"XFA":               "an XFA form",
	"RichMediaContent":  "rich media (video, sound, Flash or 3D)",
	"RichMediaSettings": "rich media (video, sound, Flash or 3D)",
}

// activeSubtypes are annotation subtypes (and /Type values) that carry
// files or rich media.
var activeSubtypes = map[string]string{
	"FileAttachment": "an embedded file",
	"EmbeddedFile":   "an embedded file",
	"RichMedia":      "rich media (video, sound, Flash or 3D)",
	"3D":             "rich media (video, sound, Flash or 3D)",
	"Movie":          "rich media (video, sound, Flash or 3D)",
	"Sound":          "rich media (video, sound, Flash or 3D)",
	"Screen":         "rich media (video, sound, Flash or 3D)",
}

// pdfVisitor looks at the objects of one parsed PDF.
type pdfVisitor struct {
	c  context.Context
	xt *model.XRefTable
	b  []byte // the file, to tell a null object from an unreadable one
}

var errPDFUnreadable = errors.New("a PDF object cannot be read")

// load returns the object of an entry in use, parsing it if pdfcpu left it
// packed in an object stream (unparsed, it would be seen as nothing at
// all). An entry whose object pdfcpu could not read (an offset past the
// end, nesting deeper than pdfcpu's limit) is an error: a viewer that
// reads it otherwise may find anything there.
func (v pdfVisitor) load(e *model.XRefTableEntry) (types.Object, error) {
	o := e.Object
	if lazy, ok := o.(types.LazyObjectStreamObject); ok {
		// Decoded without error, nil is the null object.
		return lazy.DecodedObject(v.c)
	}
	if o == nil && (e.Offset == nil || !isNullObject(v.b, int(*e.Offset))) {
		return nil, errPDFUnreadable
	}
	return o, nil
}

// resolve follows indirect references (at most a few, so a cycle ends) to
// the object they name; nil when there is none.
func (v pdfVisitor) resolve(o types.Object) types.Object {
	for range 8 {
		r, ok := o.(types.IndirectRef)
		if !ok {
			return o
		}
		e, found := v.xt.Table[r.ObjectNumber.Value()]
		if !found || e == nil || e.Free {
			return nil
		}
		if o, _ = v.load(e); o == nil {
			return nil
		}
	}
	return nil
}

// text returns o, resolved, as a name or string would be compared by a
// viewer that is lenient about types: /JavaScript, (JavaScript) and
// <4A617661...> are all "JavaScript".
func (v pdfVisitor) text(o types.Object) (string, bool) {
	switch o := v.resolve(o).(type) {
	case types.Name:
		return pdfName(string(o)), true
	case types.StringLiteral:
		s, err := types.StringLiteralToString(o)
		return s, err == nil
	case types.HexLiteral:
		s, err := types.HexLiteralToString(o)
		return s, err == nil
	}
	return "", false
}

// activeContent returns what in o (a direct object, with what it
// contains directly) can act, in words for the applicant, or "".
func (v pdfVisitor) activeContent(o types.Object) string {
	switch o := o.(type) {
	case types.Dict:
		return v.activeInDict(o)
	case types.StreamDict:
		// The stream's dictionary only: page content and images cannot act.
		return v.activeInDict(o.Dict)
	case types.ObjectStreamDict:
		return v.activeInDict(o.Dict)
	case types.XRefStreamDict:
		return v.activeInDict(o.Dict)
	case types.Array:
		for _, e := range o {
			if found := v.activeContent(e); found != "" {
				return found
			}
		}
	}
	return ""
}

func (v pdfVisitor) activeInDict(d types.Dict) string {
	var action string
	for k, e := range d {
		k = pdfName(k)
		if found := activeKeys[k]; found != "" {
			return found
		}
		// The action type and the subtype are compared however they are
		// written (a name, a string, an indirect reference to either),
		// since some viewers accept each.
		switch k {
		case "S":
			if name, ok := v.text(e); ok {
				if found := activeActions[name]; found != "" {
					return found
				}
				action = name
			}
		case "Subtype", "Type":
			if name, ok := v.text(e); ok {
				if found := activeSubtypes[name]; found != "" {
					return found
				}
			}
		}
		if found := v.activeContent(e); found != "" {
			return found
		}
	}
	if action == "URI" {
		for k, e := range d {
			if pdfName(k) != "URI" {
				continue
			}
			if uri, ok := v.text(e); !ok || !webLink(uri) {
				return "a link that is not to a web page or an e-mail address"
			}
		}
	}
	return ""
}

// webLink reports whether a URI action's target is a web page or an
// e-mail address (http, https, mailto): anything else (javascript:,
// file:, a network share, a relative path the viewer resolves against the
// file's folder) acts on the reviewer's machine.
func webLink(uri string) bool {
	// Writers that keep C strings end the URI in a NUL; viewers drop it.
	uri = strings.TrimSpace(strings.TrimRight(uri, "\x00"))
	// A scheme-less "www." address is a web page to viewers (pdf.js and
	// Acrobat prefix http://); any other scheme-less URI is a path the
	// viewer resolves against the file's folder.
	if len(uri) > 4 && strings.EqualFold(uri[:4], "www.") {
		uri = "http://" + uri
	}
	u, err := url.Parse(uri)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return true
	}
	return false
}

// pdfName decodes #xx escapes (ISO 32000-1 7.3.5), so that /Java#53cript
// is JavaScript.
func pdfName(s string) string {
	if d, err := types.DecodeName(s); err == nil {
		return d
	}
	return s
}
