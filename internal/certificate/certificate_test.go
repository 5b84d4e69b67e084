package certificate_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/testbin"
)

func mustKeys(t *testing.T) (certificate.Keys, *certificate.KeySet) {
	t.Helper()
	k := certificate.Keys{Dir: t.TempDir()}
	ks, err := k.Load()
	if err != nil {
		t.Fatal(err)
	}
	return k, ks
}

func facts() certificate.Facts {
	return certificate.Facts{Number: "VPN-2026-000123", Holder: "Ay** Kh**", Category: "company_vpn",
		ValidFrom: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), ValidUntil: time.Date(2027, 11, 1, 9, 0, 0, 0, time.UTC),
		IssuedAt: time.Date(2026, 11, 1, 9, 0, 0, 123456000, time.UTC), ItemsDigest: certificate.ItemsDigest([]string{"203.0.113.0/29"})}
}

func TestSignVerify(t *testing.T) {
	_, ks := mustKeys(t)
	tok, err := certificate.Sign(facts(), ks.Current)
	if err != nil {
		t.Fatal(err)
	}
	got, err := certificate.Verify(tok, ks.Lookup)
	if err != nil {
		t.Fatal(err)
	}
	want := facts()
	want.KeyID = ks.Public[0].ID
	if got != want {
		t.Fatalf("verified facts %+v, want %+v", got, want)
	}
	p64, s64, _ := strings.Cut(tok, ".")
	edit := func(f certificate.Facts) string { // re-encode edited facts with the old signature
		other, err := certificate.Sign(f, ks.Current)
		if err != nil {
			t.Fatal(err)
		}
		p, _, _ := strings.Cut(other, ".")
		return p + "." + s64
	}
	later := facts()
	later.ValidUntil = later.ValidUntil.AddDate(5, 0, 0)
	flipped := []byte(s64)
	// Another base64url letter (a flipped bit may leave the alphabet).
	if flipped[3] == 'A' {
		flipped[3] = 'B'
	} else {
		flipped[3] = 'A'
	}
	for name, tc := range map[string]struct {
		tok  string
		want error
	}{
		"validity extended": {edit(later), certificate.ErrBadSignature},
		"signature edited":  {p64 + "." + string(flipped), certificate.ErrBadSignature},
		"no signature":      {p64, certificate.ErrMalformed},
		"garbage":           {"not!base64.x", certificate.ErrMalformed},
		"short signature":   {p64 + "." + s64[:20], certificate.ErrMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := certificate.Verify(tc.tok, ks.Lookup); !errors.Is(err, tc.want) {
				t.Fatalf("Verify: %v, want %v", err, tc.want)
			}
		})
	}
	// Another registry's key is unknown here.
	_, other := mustKeys(t)
	foreign, _ := certificate.Sign(facts(), other.Current)
	if _, err := certificate.Verify(foreign, ks.Lookup); !errors.Is(err, certificate.ErrUnknownKey) {
		t.Fatalf("foreign key: %v, want ErrUnknownKey", err)
	}
}

func TestItemsDigestIgnoresOrder(t *testing.T) {
	a := certificate.ItemsDigest([]string{"203.0.113.0/29", "2001:db8::/48"})
	if b := certificate.ItemsDigest([]string{"2001:db8::/48", "203.0.113.0/29"}); a != b {
		t.Fatal("digest depends on order")
	}
	if c := certificate.ItemsDigest([]string{"203.0.113.0/29", "2001:db8::/47"}); a == c {
		t.Fatal("digest ignores a changed item")
	}
}

func TestRotateKeepsOldCertificatesVerifying(t *testing.T) {
	k, ks := mustKeys(t)
	old, _ := certificate.Sign(facts(), ks.Current)
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	id, err := k.Rotate(now)
	if err != nil {
		t.Fatal(err)
	}
	ks2, err := k.Load()
	if err != nil {
		t.Fatal(err)
	}
	if ks2.Public[0].ID != id || ks2.Current.Equal(ks.Current) {
		t.Fatal("rotation did not make a new current key")
	}
	if len(ks2.Public) != 2 || !ks2.Public[1].Retired || !ks2.Public[1].RetiredAt.Equal(now) || ks2.Public[1].ID != ks.Public[0].ID {
		t.Fatalf("published keys after rotation: %+v", ks2.Public)
	}
	if _, err := certificate.Verify(old, ks2.Lookup); err != nil {
		t.Fatalf("a certificate signed before the rotation: %v", err)
	}
	fresh, _ := certificate.Sign(facts(), ks2.Current)
	if f, err := certificate.Verify(fresh, ks2.Lookup); err != nil || f.KeyID != id {
		t.Fatalf("new certificate: %v, key %s", err, f.KeyID)
	}
	// A second rotation keeps both old keys, each once.
	if _, err := k.Rotate(now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ks3, _ := k.Load()
	if len(ks3.Public) != 3 {
		t.Fatalf("after two rotations %d keys, want 3", len(ks3.Public))
	}
	if _, err := certificate.Verify(old, ks3.Lookup); err != nil {
		t.Fatal(err)
	}
	// A directory without a key is refused, not given one.
	if _, err := (certificate.Keys{Dir: t.TempDir()}).Rotate(now); err == nil {
		t.Fatal("rotated a key that did not exist")
	}
}

func TestParseURL(t *testing.T) {
	u := certificate.VerifyURL("https://ipreg.example.pk/", "VPN-2026-000123", "ABCDE12345", "cGF5.c2ln")
	if u != "https://ipreg.example.pk/verify/VPN-2026-000123?code=ABCDE12345&c=cGF5.c2ln" {
		t.Fatal(u)
	}
	l, err := certificate.ParseURL(u)
	if err != nil || l.Base != "https://ipreg.example.pk" || l.Number != "VPN-2026-000123" || l.Code != "ABCDE12345" || l.Token != "cGF5.c2ln" {
		t.Fatalf("%+v %v", l, err)
	}
	for _, bad := range []string{"ftp://x/verify/A?c=x", "https://x/other/A?c=x", "https://x/verify/A?code=1", "https://x/verify/?c=x"} {
		if _, err := certificate.ParseURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestPrintable(t *testing.T) {
	for s, want := range map[string]bool{"Ayesha Khan": true, "Zoë Müller & Co. (Pvt.) Ltd.": true, "عائشہ خان": false, "Ayesha\x01": false} {
		if got := certificate.Printable(s); got != want {
			t.Errorf("Printable(%q) = %v", s, got)
		}
	}
}

// document is a certificate with n addresses, signed by ks.
func document(t *testing.T, ks *certificate.KeySet, n int) (certificate.Document, string) {
	t.Helper()
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf("203.0.%d.%d/32", 113+i/200, i%200+1)
	}
	f := facts()
	f.ItemsDigest = certificate.ItemsDigest(items)
	tok, err := certificate.Sign(f, ks.Current)
	if err != nil {
		t.Fatal(err)
	}
	base := "https://ipreg.example.pk"
	return certificate.Document{Regulator: "Pakistan Telecommunication Authority", Number: f.Number, Holder: "Zoë Müller Software House (Pvt.) Ltd.",
		Category: "Company VPN", ItemsLabel: "IP addresses and prefixes", Items: items, ValidFrom: f.ValidFrom, ValidUntil: f.ValidUntil,
		IssuedAt: f.IssuedAt, Location: time.FixedZone("PKT", 5*3600), Code: "ABCDE12345",
		PageURL: certificate.VerifyURL(base, f.Number, "ABCDE12345", ""), QRURL: certificate.VerifyURL(base, f.Number, "ABCDE12345", tok)}, tok
}

func TestPDFDeterministicAndCarriesURL(t *testing.T) {
	_, ks := mustKeys(t)
	d, _ := document(t, ks, 3)
	a, err := certificate.PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := certificate.PDF(d)
	if !bytes.Equal(a, b) {
		t.Fatal("the same certificate rendered twice differs")
	}
	u, err := certificate.ExtractURL(a)
	if err != nil || u != d.QRURL {
		t.Fatalf("ExtractURL = %q, %v; want %q", u, err, d.QRURL)
	}
	if _, err := certificate.ExtractURL([]byte("%PDF-1.4\n/Keywords (invoice)\n")); !errors.Is(err, certificate.ErrNoPayload) {
		t.Fatalf("a foreign PDF: %v", err)
	}
	d.Holder = "عائشہ خان"
	if _, err := certificate.PDF(d); err == nil {
		t.Fatal("printed an Urdu name with a font that has no Urdu glyphs")
	}
}

// TestPDFWithPoppler reads a 64-address certificate back with Debian's
// pdftotext and decodes its QR code with pdftoppm and zbarimg.
func TestPDFWithPoppler(t *testing.T) {
	pdftotext := testbin.Program(t, "pdftotext", "poppler-utils")
	pdftoppm := testbin.Program(t, "pdftoppm", "poppler-utils")
	zbarimg := testbin.Program(t, "zbarimg", "zbar-tools")
	_, ks := mustKeys(t)
	d, tok := document(t, ks, 64)
	b, err := certificate.PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "cert.pdf")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := string(out)
	for _, want := range append([]string{d.Number, d.Holder, d.Regulator, "Company VPN", "ABCDE12345", "1 November 2027", "page 3 of 3"}, d.Items...) {
		if !strings.Contains(text, want) {
			t.Errorf("pdftotext output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("pdftotext:\n%s", text)
	}
	if n := strings.Count(text, "\f"); n < 2 {
		t.Errorf("64 addresses fit on %d page(s); want them continued on further pages", n)
	}
	if out, err := exec.Command(pdftoppm, "-png", "-r", "150", "-f", "1", "-l", "1", file, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	pngs, _ := filepath.Glob(filepath.Join(dir, "page*.png"))
	if len(pngs) != 1 {
		t.Fatalf("pdftoppm wrote %v", pngs)
	}
	out, err = exec.Command(zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", pngs[0]).Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code: %v", err)
	}
	got := strings.TrimSpace(string(out))
	if got != d.QRURL {
		t.Fatalf("QR code holds %q, want %q", got, d.QRURL)
	}
	l, err := certificate.ParseURL(got)
	if err != nil || l.Token != tok {
		t.Fatalf("%+v %v", l, err)
	}
	f, err := certificate.Verify(l.Token, ks.Lookup)
	if err != nil || f.Number != d.Number {
		t.Fatalf("the QR code's signature: %v", err)
	}
}
