package certificate

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// A certificate PDF carries, beside the QR code's URL, a signed copy of
// everything its pages print (the Document): the holder as entered, every
// address or number, the category, the dates, the code and the regulator.
// The renderer is deterministic, so a verifier re-renders the PDF from the
// signed copy and compares it with the file byte for byte: any edit of the
// printed text (or of anything else in the file) shows. A PDF re-saved by
// another program (a viewer, pdftocairo) differs too and cannot be checked
// from the file: its QR code's URL can still be checked, and the
// verification page shows the registration's live facts.

// documentContext separates a document signature from a QR payload
// signature made with the same key.
const documentContext = "ipreg-certificate-document-1\n"

// signedDocument is the signed copy's JSON. Times keep the zone they are
// printed in (its name and offset), so that a verifier anywhere prints
// them the same.
type signedDocument struct {
	KeyID      string   `json:"key_id"`
	Regulator  string   `json:"regulator"`
	Number     string   `json:"number"`
	Holder     string   `json:"holder"`
	Category   string   `json:"category"`
	ItemsLabel string   `json:"items_label"`
	Items      []string `json:"items"`
	ValidFrom  string   `json:"valid_from"`
	ValidUntil string   `json:"valid_until"`
	IssuedAt   string   `json:"issued_at"`
	Zones      []string `json:"zones"` // the zone names of ValidFrom, ValidUntil, IssuedAt
	Code       string   `json:"code"`
	PageURL    string   `json:"page_url"`
	QRURL      string   `json:"qr_url"`
}

// Errors of VerifyPDF beyond those of Verify.
var (
	// ErrNoDocument: the PDF has the QR code's URL but no signed copy of
	// its printed text (it was re-saved by a program that kept the
	// Keywords but not all of them, or made by an older ipreg).
	ErrNoDocument = errors.New("the PDF carries no signed copy of its printed text, so what it prints cannot be checked from the file: check the URL its QR code holds instead (ipreg verify-certificate URL), and compare the printed holder and addresses with what the verification page shows")
	// ErrPrintedEdited: the file is not what the registry made from its
	// signed copy: its printed text, or something else in it, was changed.
	ErrPrintedEdited = errors.New("the PDF is not the one the registry made: its content differs from what the registry signed (the printed holder, addresses, dates or other text were edited, or the file was re-saved by another program; a re-saved copy cannot be checked from the file: check the URL its QR code holds instead)")
	// ErrDocumentMismatch: the signed copy and the QR code's signed data
	// are of different certificates.
	ErrDocumentMismatch = errors.New("the PDF's signed copy of its printed text and its QR code's signed data are of different certificates: it has been edited")
)

// SignDocument returns d's signed copy for the PDF (Document.Signed),
// signed with the certificate key.
func SignDocument(d Document, key ed25519.PrivateKey) (string, error) {
	loc := d.Location
	if loc == nil {
		loc = time.UTC
	}
	sd := signedDocument{KeyID: KeyID(key.Public().(ed25519.PublicKey)), Regulator: d.Regulator, Number: d.Number, Holder: d.Holder,
		Category: d.Category, ItemsLabel: d.ItemsLabel, Items: d.Items, Code: d.Code, PageURL: d.PageURL, QRURL: d.QRURL}
	if sd.Items == nil {
		sd.Items = []string{}
	}
	for i, t := range []time.Time{d.ValidFrom, d.ValidUntil, d.IssuedAt} {
		t = t.In(loc)
		name, _ := t.Zone()
		s := t.Format(time.RFC3339Nano)
		switch i {
		case 0:
			sd.ValidFrom = s
		case 1:
			sd.ValidUntil = s
		case 2:
			sd.IssuedAt = s
		}
		sd.Zones = append(sd.Zones, name)
	}
	j, err := json.Marshal(sd)
	if err != nil {
		return "", err
	}
	sig := ed25519.Sign(key, append([]byte(documentContext), j...))
	return base64.RawURLEncoding.EncodeToString(j) + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// openDocument checks a signed copy's signature and returns the Document
// it holds (with Signed set, ready to re-render) and the signing key's id.
func openDocument(signed string, lookup func(keyID string) (ed25519.PublicKey, bool)) (Document, string, error) {
	j64, s64, ok := strings.Cut(signed, ".")
	if !ok {
		return Document{}, "", ErrMalformed
	}
	j, err1 := base64.RawURLEncoding.DecodeString(j64)
	sig, err2 := base64.RawURLEncoding.DecodeString(s64)
	if err1 != nil || err2 != nil || len(sig) != ed25519.SignatureSize {
		return Document{}, "", ErrMalformed
	}
	var sd signedDocument
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sd); err != nil || len(sd.Zones) != 3 {
		return Document{}, "", ErrMalformed
	}
	pub, ok := lookup(sd.KeyID)
	if !ok {
		return Document{}, sd.KeyID, ErrUnknownKey
	}
	if !ed25519.Verify(pub, append([]byte(documentContext), j...), sig) {
		return Document{}, sd.KeyID, ErrBadSignature
	}
	d := Document{Regulator: sd.Regulator, Number: sd.Number, Holder: sd.Holder, Category: sd.Category, ItemsLabel: sd.ItemsLabel,
		Items: sd.Items, Code: sd.Code, PageURL: sd.PageURL, QRURL: sd.QRURL, Signed: signed}
	for i, s := range []string{sd.ValidFrom, sd.ValidUntil, sd.IssuedAt} {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return Document{}, sd.KeyID, ErrMalformed
		}
		_, off := t.Zone()
		t = t.In(time.FixedZone(sd.Zones[i], off))
		switch i {
		case 0:
			d.ValidFrom = t
		case 1:
			d.ValidUntil = t
		case 2:
			d.IssuedAt = t
		}
	}
	return d, sd.KeyID, nil
}

// VerifyPDF checks a certificate PDF as a whole: the QR code's signed data
// (as VerifyKeys), the signed copy of the printed text, that the two are
// of one certificate, and that the file is exactly what the registry
// renders from the signed copy. It returns the QR code's signed facts, the
// link, and the document as signed. The facts are returned also with
// ErrPrintedEdited (the QR data is genuine; the page is not).
func VerifyPDF(pdf []byte, keys []PublicKey) (Facts, Link, *Document, error) {
	u, signed, err := extract(pdf)
	if err != nil {
		return Facts{}, Link{}, nil, err
	}
	link, err := ParseURL(u)
	if err != nil {
		return Facts{}, Link{}, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	f, err := VerifyKeys(link.Token, keys)
	if err != nil {
		return f, link, nil, err
	}
	if signed == "" {
		return f, link, nil, ErrNoDocument
	}
	d, keyID, err := openDocument(signed, lookupIn(keys))
	if err != nil {
		return f, link, nil, err
	}
	if keyID != f.KeyID || d.QRURL != u || d.Number != f.Number || !d.IssuedAt.Truncate(time.Microsecond).Equal(f.IssuedAt) ||
		!d.ValidFrom.Truncate(time.Second).Equal(f.ValidFrom) || !d.ValidUntil.Truncate(time.Second).Equal(f.ValidUntil) || ItemsDigest(d.Items) != f.ItemsDigest {
		return f, link, nil, ErrDocumentMismatch
	}
	again, err := PDF(d)
	if err != nil || !bytes.Equal(again, pdf) {
		return f, link, &d, ErrPrintedEdited
	}
	return f, link, &d, nil
}
