package certificate

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
	"github.com/go-pdf/fpdf"
	"golang.org/x/text/encoding/charmap"
)

// Document is what a certificate PDF shows.
type Document struct {
	Regulator  string // the issuing regulator's name
	Number     string
	Holder     string // as entered (Latin script: see Printable)
	Category   string // in words
	ItemsLabel string // "IP addresses and prefixes" or "Mobile numbers"
	Items      []string
	ValidFrom  time.Time
	ValidUntil time.Time
	IssuedAt   time.Time
	Location   *time.Location // dates are shown in it (with its zone's name)
	Code       string         // verification code
	PageURL    string         // the verification page without the signed data, printed as text
	QRURL      string         // the verification URL with the signed data, in the QR code
	Signed     string         // SignDocument's signed copy of the above, kept in the PDF's Keywords
}

// keywordsPrefix starts the PDF's Keywords entry, followed by the QR
// code's URL: ipreg verify-certificate reads it there without decoding
// the image (the tests check that the two agree).
const keywordsPrefix = "ipreg-certificate "

// Printable reports whether the certificate's font (a PDF core font in
// Windows-1252) can show s. fpdf neither embeds a font with Urdu glyphs
// by default nor shapes Arabic script (joined letter forms, right to
// left), so an Urdu name would print as broken, disconnected letters:
// such a certificate is refused rather than printed wrong.
func Printable(s string) bool {
	enc := charmap.Windows1252.NewEncoder()
	for _, r := range s {
		if r < 0x20 || r == utf8.RuneError {
			return false
		}
		if _, err := enc.String(string(r)); err != nil {
			return false
		}
	}
	return true
}

// PDF renders the certificate: A4, English, the facts and QR code on the
// first page, the addresses or numbers continuing on further pages. The
// same document gives the same bytes (dates come from IssuedAt).
func PDF(d Document) ([]byte, error) {
	for name, v := range map[string]string{"holder": d.Holder, "regulator": d.Regulator, "category": d.Category} {
		if !Printable(v) {
			return nil, fmt.Errorf("the certificate's font cannot print the %s %q", name, v)
		}
	}
	code, err := qr.Encode(d.QRURL, qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("QR code: %w", err)
	}
	date := func(t time.Time) string {
		if d.Location != nil { // else in the time's own zone (as a signed copy keeps it)
			t = t.In(d.Location)
		}
		return t.Format("2 January 2006, 15:04 MST")
	}

	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(d.IssuedAt.UTC())
	pdf.SetModificationDate(d.IssuedAt.UTC())
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	tr := pdf.UnicodeTranslatorFromDescriptor("cp1252")
	pdf.SetTitle("Certificate of VPN registration "+d.Number, true)
	pdf.SetAuthor(d.Regulator, true)
	pdf.SetSubject("VPN registration certificate", true)
	pdf.SetCreator("ipreg", false)
	kw := keywordsPrefix + d.QRURL
	if d.Signed != "" {
		kw += " " + d.Signed
	}
	pdf.SetKeywords(kw, false)
	pdf.SetMargins(20, 20, 20)
	pdf.SetAutoPageBreak(true, 20)
	pdf.AliasNbPages("{nb}")
	pdf.SetHeaderFunc(func() {
		if pdf.PageNo() > 1 {
			pdf.SetFont("Helvetica", "", 9)
			pdf.CellFormat(0, 6, tr("Certificate of VPN registration "+d.Number+" (continued)"), "B", 1, "L", false, 0, "")
			pdf.Ln(4)
		}
	})
	pdf.SetFooterFunc(func() {
		pdf.SetY(-15)
		pdf.SetFont("Helvetica", "", 8)
		pdf.CellFormat(0, 5, fmt.Sprintf("%s  -  page %d of {nb}", d.Number, pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()

	pdf.SetFont("Helvetica", "B", 13)
	pdf.CellFormat(0, 7, tr(d.Regulator), "", 1, "L", false, 0, "")
	pdf.SetFont("Helvetica", "B", 20)
	pdf.CellFormat(0, 12, "Certificate of VPN registration", "", 1, "L", false, 0, "")
	pdf.Ln(4)

	// The QR code at the top right, drawn as vector squares with the
	// four-module quiet zone the standard asks for.
	const qrSize = 50.0
	qrX, qrY := 210-20-qrSize, pdf.GetY()
	drawQR(pdf, code, qrX, qrY, qrSize)

	rows := [][2]string{
		{"Registration number", d.Number},
		{"Holder", d.Holder},
		{"Category", d.Category},
		{"Valid from", date(d.ValidFrom)},
		{"Valid until", date(d.ValidUntil)},
		{"Issued", date(d.IssuedAt)},
		{"Verification code", d.Code},
	}
	for _, r := range rows {
		pdf.SetFont("Helvetica", "", 9)
		pdf.CellFormat(0, 5, r[0], "", 1, "L", false, 0, "")
		pdf.SetFont("Helvetica", "B", 12)
		pdf.MultiCell(210-40-qrSize-5, 6, tr(r[1]), "", "L", false)
		pdf.Ln(1)
	}
	if y := qrY + qrSize + 4; pdf.GetY() < y {
		pdf.SetY(y)
	}

	pdf.SetFont("Helvetica", "", 9.5)
	pdf.MultiCell(0, 4.8, tr(fmt.Sprintf("Check this certificate at %s (registration number %s, code %s) or scan the QR code. "+
		"The QR code also carries %s's Ed25519 signature over the registration number, the masked holder name, the category, "+
		"the validity, the issue date and a digest of the %s listed below, so that the verification page and \"ipreg verify-certificate\" "+
		"can tell an authentic certificate from an edited one, even offline. The page shows the registration's live status: "+
		"a certificate alone does not prove that the registration is still active, and a newer certificate supersedes this one.",
		d.PageURL, d.Number, d.Code, d.Regulator, itemsNoun(d.ItemsLabel))), "", "L", false)
	pdf.Ln(5)

	pdf.SetFont("Helvetica", "B", 12)
	pdf.CellFormat(0, 7, tr(fmt.Sprintf("%s (%d)", d.ItemsLabel, len(d.Items))), "B", 1, "L", false, 0, "")
	pdf.Ln(1)
	pdf.SetFont("Courier", "", 10.5)
	for i, it := range d.Items {
		pdf.CellFormat(12, 6, fmt.Sprintf("%d.", i+1), "", 0, "R", false, 0, "")
		pdf.CellFormat(0, 6, tr(" "+it), "", 1, "L", false, 0, "")
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render certificate: %w", err)
	}
	return buf.Bytes(), nil
}

// drawQR draws the code's dark modules, merged into runs along each row.
func drawQR(pdf *fpdf.Fpdf, code barcode.Barcode, x, y, size float64) {
	b := code.Bounds()
	const quiet = 4
	m := size / float64(b.Dx()+2*quiet)
	dark := func(i, j int) bool {
		r, _, _, _ := code.At(b.Min.X+i, b.Min.Y+j).RGBA()
		return r < 0x8000
	}
	pdf.SetFillColor(0, 0, 0)
	for j := 0; j < b.Dy(); j++ {
		for i := 0; i < b.Dx(); {
			if !dark(i, j) {
				i++
				continue
			}
			start := i
			for i < b.Dx() && dark(i, j) {
				i++
			}
			pdf.Rect(x+float64(quiet+start)*m, y+float64(quiet+j)*m, float64(i-start)*m, m, "F")
		}
	}
}

var keywordsRe = regexp.MustCompile(`/Keywords \(` + regexp.QuoteMeta(keywordsPrefix) + `([^()\\\s]+)(?: ([^()\\\s]+))?\)`)

// ErrNoPayload is returned by ExtractURL for a PDF that is no ipreg certificate.
var ErrNoPayload = errors.New("this PDF holds no ipreg certificate data (its Keywords entry does not start with \"ipreg-certificate\"): " +
	"if it is a certificate re-saved or printed to PDF by another program, which drops that entry, check the URL its QR code holds instead " +
	"(scan it, or zbarimg on the page, then ipreg verify-certificate URL)")

// ExtractURL returns the verification URL a certificate PDF carries in
// its Keywords entry (the same URL as its QR code).
func ExtractURL(pdf []byte) (string, error) {
	u, _, err := extract(pdf)
	return u, err
}

// extract returns the URL and the signed copy of the printed text (empty
// if none) from the Keywords entry.
func extract(pdf []byte) (url, signed string, err error) {
	m := keywordsRe.FindAllSubmatch(pdf, -1)
	if len(m) == 0 {
		return "", "", ErrNoPayload
	}
	// An incremental update appends a new Info dictionary: the last one
	// counts (and differs from the registry's file anyway).
	last := m[len(m)-1]
	return string(last[1]), string(last[2]), nil
}

// itemsNoun is the items' label inside a sentence ("IP addresses" keeps
// its capitals, "Mobile numbers" does not).
func itemsNoun(label string) string {
	if strings.HasPrefix(label, "IP") {
		return label
	}
	return strings.ToLower(label)
}
