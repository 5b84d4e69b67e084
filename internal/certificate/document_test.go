package certificate_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/testbin"
)

// signedPDF is a certificate as the registry makes it: with the signed
// copy of its printed text.
func signedPDF(t *testing.T, ks *certificate.KeySet, n int) (certificate.Document, []byte) {
	t.Helper()
	d, _ := document(t, ks, n)
	var err error
	if d.Signed, err = certificate.SignDocument(d, ks.Current); err != nil {
		t.Fatal(err)
	}
	b, err := certificate.PDF(d)
	if err != nil {
		t.Fatal(err)
	}
	return d, b
}

func TestVerifyPDF(t *testing.T) {
	_, ks := mustKeys(t)
	d, b := signedPDF(t, ks, 3)
	f, l, got, err := certificate.VerifyPDF(b, ks.Public)
	if err != nil {
		t.Fatalf("the registry's own PDF: %v", err)
	}
	if f.Number != d.Number || l.Number != d.Number || got.Holder != d.Holder || len(got.Items) != 3 {
		t.Fatalf("VerifyPDF = %+v %+v %+v", f, l, got)
	}
	// 64 addresses over three pages: the signed copy is long, and fine.
	if _, big := signedPDF(t, ks, 64); true {
		if _, _, d, err := certificate.VerifyPDF(big, ks.Public); err != nil || len(d.Items) != 64 {
			t.Fatalf("a 64-address certificate: %v", err)
		}
		if _, _, _, err := certificate.VerifyPDF(testbin.EditPDFText(t, big, "203.0.113.64/32", "203.0.113.99/32"), ks.Public); !errors.Is(err, certificate.ErrPrintedEdited) {
			t.Fatalf("an address on a later page edited: %v", err)
		}
	}
	for name, tc := range map[string]struct {
		pdf  []byte
		want error
	}{
		"holder edited":     {testbin.EditPDFText(t, b, "Zo\xeb M\xfcller", "Omega Trader"), certificate.ErrPrintedEdited},
		"address edited":    {testbin.EditPDFText(t, b, "203.0.113.2/32", "10.99.113.2/32"), certificate.ErrPrintedEdited},
		"byte appended":     {append(bytes.Clone(b), '\n'), certificate.ErrPrintedEdited},
		"copy stripped":     {bytes.Replace(b, []byte(" "+d.Signed+")"), []byte(")"), 1), certificate.ErrNoDocument},
		"copy signature":    {bytes.Replace(b, []byte(d.Signed[len(d.Signed)-6:]+")"), []byte("AAAAAA)"), 1), certificate.ErrBadSignature},
		"no keywords":       {bytes.Replace(b, []byte("/Keywords"), []byte("/Kexwords"), 1), certificate.ErrNoPayload},
		"another key's pdf": {func() []byte { _, o := mustKeys(t); _, x := signedPDF(t, o, 3); return x }(), certificate.ErrUnknownKey},
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, _, err := certificate.VerifyPDF(tc.pdf, ks.Public); !errors.Is(err, tc.want) {
				t.Fatalf("VerifyPDF: %v, want %v", err, tc.want)
			}
		})
	}
	// A signed copy from another certificate of the same key (a forger
	// pasting a genuine copy under an edited QR code, or the reverse).
	d2, _ := document(t, ks, 4)
	other, _ := certificate.SignDocument(d2, ks.Current)
	swapped := bytes.Replace(b, []byte(d.Signed), []byte(other), 1)
	if _, _, _, err := certificate.VerifyPDF(swapped, ks.Public); !errors.Is(err, certificate.ErrDocumentMismatch) {
		t.Fatalf("another certificate's signed copy: %v", err)
	}
}

func TestRetiredKeySignsNothingNew(t *testing.T) {
	k, ks := mustKeys(t)
	retired := facts().IssuedAt.Add(time.Hour).Truncate(time.Second)
	if _, err := k.Rotate(retired); err != nil {
		t.Fatal(err)
	}
	ks2, _ := k.Load()
	before, _ := certificate.Sign(facts(), ks.Current)
	if _, err := certificate.VerifyKeys(before, ks2.Public); err != nil {
		t.Fatalf("issued before the retirement: %v", err)
	}
	same := facts()
	same.IssuedAt = retired.Add(500 * time.Millisecond) // the retirement's second: before, in whole seconds
	tok, _ := certificate.Sign(same, ks.Current)
	if _, err := certificate.VerifyKeys(tok, ks2.Public); err != nil {
		t.Fatalf("issued within the retirement's second: %v", err)
	}
	after := facts()
	after.IssuedAt = retired.Add(time.Second)
	tok, _ = certificate.Sign(after, ks.Current)
	if _, err := certificate.VerifyKeys(tok, ks2.Public); !errors.Is(err, certificate.ErrRetiredKey) {
		t.Fatalf("issued after the retirement: %v, want ErrRetiredKey", err)
	}
	// The new key signs what is issued after.
	tok, _ = certificate.Sign(after, ks2.Current)
	if _, err := certificate.VerifyKeys(tok, ks2.Public); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentRotationsLoseNoKey(t *testing.T) {
	k, ks := mustKeys(t)
	const n = 6
	ids := make(chan string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := k.Rotate(time.Now())
			if err != nil {
				t.Error(err)
			}
			ids <- id
		}()
	}
	wg.Wait()
	close(ids)
	final, err := k.Load()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, p := range final.Public {
		known[p.ID] = true
	}
	if len(final.Public) != n+1 || !known[ks.Public[0].ID] {
		t.Fatalf("after %d rotations %d keys are published, want %d", n, len(final.Public), n+1)
	}
	for id := range ids {
		if !known[id] {
			t.Errorf("key %s, made by a rotation, is neither current nor retired", id)
		}
	}
}
