package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ipreg/ipreg/internal/certificate"
	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/flagenv"
)

// Exit statuses of ipreg verify-certificate (1 is any other failure:
// unreadable file, registry unreachable; 2 a usage error).
const (
	exitEdited     = 3 // the signature does not match: edited or damaged
	exitUnknownKey = 4 // signed with a key the registry never published
	exitSuperseded = 5 // authentic, but a newer certificate was issued
	exitNotActive  = 6 // authentic, but the registration is revoked, expired or surrendered
)

// exitError ends a command with a status of its own and a message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func runVerifyCertificate(ctx context.Context, args []string, env Env, stdio IO) error {
	var keyFlags stringList
	var keysFile, registry string
	var offline bool
	var timeout time.Duration
	fs := flagSet("verify-certificate [flags] FILE.pdf|URL", fmt.Sprintf(`Check an ipreg certificate: a PDF (its Keywords entry holds the URL its QR code holds) or the
URL a QR code holds (https://…/verify/VPN-…?code=…&c=…). The signature is checked here, with the keys
of --key/--keys, or else those the registry publishes at /api/v1/keys; a retired key verifies only
certificates issued before its retirement. A PDF also carries a signed copy of its printed text: the
PDF is re-rendered from it and must be the file byte for byte, so an edited holder or address shows
(a copy re-saved by another program cannot be checked from the file: give its QR code's URL). Online (the default) it then
asks the registry for the registration's live status and whether a newer certificate superseded this
one; --offline checks the signature only, and needs --key or --keys.
Online, the registry asked is the one the certificate names unless --registry says otherwise: give
--registry (or --key) to check a certificate against the registry you trust, not one it points to.
Exit status: 0 authentic (online: the present certificate of an active registration); %d edited
(the signature does not match); %d signed with an unknown key; %d superseded by a newer certificate;
%d authentic but the registration is revoked, expired or surrendered; 1 any other failure; 2 usage.
Flags come before the file or URL.`,
		exitEdited, exitUnknownKey, exitSuperseded, exitNotActive), stdio)
	fs.Var(&keyFlags, "key", "a certificate public key (ed25519:…) to trust; repeatable")
	fs.StringVar(&keysFile, "keys", "", "a file of certificate public keys, one a line, first word ed25519:… (ipreg key show-certificate writes one)")
	fs.StringVar(&registry, "registry", "", "the registry to ask (https://…), instead of the one the certificate names")
	fs.BoolVar(&offline, "offline", false, "check the signature only, with --key or --keys; no network")
	fs.DurationVar(&timeout, "timeout", 15*time.Second, "how long to wait for the registry")
	if err := flagenv.ParseArgs("IPREG_", fs, args, flagenv.Env(env)); errors.Is(err, flagenv.ErrUsage) {
		return errUsage
	} else if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stdio.Stderr, "ipreg verify-certificate: give one certificate PDF or verification URL (--help for more)")
		return errUsage
	}
	link, pdf, err := certificateLink(fs.Arg(0))
	if err != nil {
		return err
	}
	named := link.Base // the registry the certificate itself names
	if registry != "" {
		u, err := url.Parse(registry)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--registry %q: give the registry's http(s) address", registry)
		}
		link.Base = strings.TrimRight(registry, "/")
	}
	var trusted []certificate.PublicKey
	for _, k := range keyFlags {
		pub, err := feed.ParsePublicKey(k)
		if err != nil {
			return fmt.Errorf("--key: %w", err)
		}
		trusted = append(trusted, certificate.PublicKey{ID: certificate.KeyID(pub), Key: pub})
	}
	if keysFile != "" {
		ks, err := readKeysFile(keysFile)
		if err != nil {
			return err
		}
		trusted = append(trusted, ks...)
	}
	client := &http.Client{Timeout: timeout}
	from := "the keys given (--key/--keys)"
	if len(trusted) == 0 {
		if offline {
			fmt.Fprintln(stdio.Stderr, "ipreg verify-certificate: --offline needs the registry's certificate keys: --key ed25519:… or --keys FILE (ipreg key show-certificate)")
			return errUsage
		}
		if trusted, err = fetchCertificateKeys(ctx, client, link.Base); err != nil {
			return err
		}
		from = "the keys published at " + safe(link.Base) + "/api/v1/keys"
		if registry == "" {
			from += ", the registry the certificate itself names"
			// Anyone can make a certificate that names their own registry
			// and signs with their own key: say so before any verdict.
			fmt.Fprintf(stdio.Stderr, "ipreg verify-certificate: WARNING: checking with the keys of %s, the registry named by the certificate itself; "+
				"a forger can name a registry of their own: give --registry https://… (the registry you trust) or --keys FILE\n", safe(named))
		}
	}
	var f certificate.Facts
	if pdf != nil {
		f, _, _, err = certificate.VerifyPDF(pdf, trusted)
	} else {
		f, err = certificate.VerifyKeys(link.Token, trusted)
	}
	switch {
	case errors.Is(err, certificate.ErrUnknownKey):
		return &exitError{exitUnknownKey, fmt.Sprintf("UNKNOWN KEY: certificate %s names a signing key (%s) that is not among %s", safe(link.Number), safe(f.KeyID), from)}
	case errors.Is(err, certificate.ErrRetiredKey):
		return &exitError{exitEdited, fmt.Sprintf("INVALID: %v (checked with %s)", err, from)}
	case errors.Is(err, certificate.ErrNoDocument):
		return fmt.Errorf("%s: the QR code's signed data is genuine (checked with %s), but %v", safe(fs.Arg(0)), from, err)
	case err != nil:
		return &exitError{exitEdited, "EDITED: " + err.Error()}
	case !strings.EqualFold(f.Number, link.Number):
		return &exitError{exitEdited, fmt.Sprintf("EDITED: the link names registration %s, but its signed data is of %s", safe(link.Number), safe(f.Number))}
	}
	what := "the QR code's signed data matches"
	if pdf != nil {
		what = "the signature matches and the PDF is exactly the one the registry made (its printed holder, addresses and dates are the signed ones)"
	}
	fmt.Fprintf(stdio.Stdout, "registration %s: %s, holder %s, valid %s to %s\n", safe(f.Number), safe(f.Category), safe(f.Holder),
		f.ValidFrom.UTC().Format(time.RFC3339), f.ValidUntil.UTC().Format(time.RFC3339))
	fmt.Fprintf(stdio.Stdout, "certificate issued %s, signed with key %s; checked with %s\n", f.IssuedAt.UTC().Format(time.RFC3339Nano), safe(f.KeyID), from)
	if offline {
		fmt.Fprintf(stdio.Stdout, "AUTHENTIC: %s (checked offline); the registration's live status was not asked\n", what)
		return nil
	}
	live, err := fetchVerification(ctx, client, link)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Stdout, "live status at %s: %s\n", safe(link.Base), safe(live.Status))
	switch live.Certificate.Verdict {
	case "authentic":
	case "superseded":
		return &exitError{exitSuperseded, fmt.Sprintf("SUPERSEDED: the signature matches, but a newer certificate of %s was issued since (renewal or amendment); ask the holder for the present one", safe(f.Number))}
	case "unknown_key":
		return &exitError{exitUnknownKey, fmt.Sprintf("UNKNOWN KEY: %s does not know the key that signed it", safe(link.Base))}
	case "edited":
		return &exitError{exitEdited, fmt.Sprintf("EDITED: %s finds the signature does not match", safe(link.Base))}
	case "retired_key":
		return &exitError{exitEdited, fmt.Sprintf("INVALID: %s finds it signed with a key retired before the certificate's issue time: a retired key signs nothing new", safe(link.Base))}
	default: // mismatch
		return &exitError{exitEdited, fmt.Sprintf("EDITED: the signature matches, but the signed facts are not those %s holds for %s", safe(link.Base), safe(f.Number))}
	}
	if live.Status != "active" {
		return &exitError{exitNotActive, fmt.Sprintf("NOT VALID: the certificate is genuine, but registration %s is %s", safe(f.Number), safe(live.Status))}
	}
	fmt.Fprintf(stdio.Stdout, "AUTHENTIC: %s, this is the present certificate, and the registration is active\n", what)
	return nil
}

// safe makes text from the certificate or the network fit to print: no
// control or bidirectional-formatting characters (which could reorder or
// hide what a terminal shows), and not too long.
func safe(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == 120 {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp), r == utf8.RuneError:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// certificateLink reads the verification URL from a URL argument, or from
// a PDF, whose bytes it returns too.
func certificateLink(arg string) (certificate.Link, []byte, error) {
	if strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://") {
		l, err := certificate.ParseURL(arg)
		return l, nil, err
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return certificate.Link{}, nil, err
	}
	u, err := certificate.ExtractURL(b)
	if err != nil {
		return certificate.Link{}, nil, fmt.Errorf("%s: %w", safe(arg), err)
	}
	l, err := certificate.ParseURL(u)
	return l, b, err
}

// readKeysFile reads a keys file as ipreg key show-certificate writes it:
// "ed25519:… <id> current [<time>]" or "ed25519:… <id> retired <time>".
// A retired key verifies only certificates issued before its retirement.
func readKeysFile(name string) ([]certificate.PublicKey, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out []certificate.PublicKey
	for i, line := range strings.Split(string(b), "\n") {
		w := strings.Fields(line)
		if len(w) == 0 || strings.HasPrefix(w[0], "#") {
			continue
		}
		k, err := feed.ParsePublicKey(w[0])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, i+1, err)
		}
		pk := certificate.PublicKey{ID: certificate.KeyID(k), Key: k}
		if j := slices.Index(w, "retired"); j > 0 {
			if j+1 >= len(w) {
				return nil, fmt.Errorf("%s line %d: \"retired\" needs the retirement time after it (RFC 3339)", name, i+1)
			}
			if pk.RetiredAt, err = time.Parse(time.RFC3339, w[j+1]); err != nil {
				return nil, fmt.Errorf("%s line %d: the retirement time must be RFC 3339: %w", name, i+1, err)
			}
			pk.Retired = true
		}
		out = append(out, pk)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no keys (one a line, ed25519:…)", name)
	}
	return out, nil
}

func getJSON(ctx context.Context, client *http.Client, u string, v any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("ask the registry: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("read %s: %w", u, err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct {
			Error struct{ Message string } `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s answered %d: %s", u, res.StatusCode, e.Error.Message)
		}
		return fmt.Errorf("%s answered %d", u, res.StatusCode)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%s: not the registry's JSON: %w", u, err)
	}
	return nil
}

func fetchCertificateKeys(ctx context.Context, client *http.Client, base string) ([]certificate.PublicKey, error) {
	var list struct {
		Keys []struct {
			PublicKey string `json:"public_key"`
			Use       string `json:"use"`
			Status    string `json:"status"`
			RetiredAt string `json:"retired_at"`
		} `json:"keys"`
	}
	if err := getJSON(ctx, client, base+"/api/v1/keys", &list); err != nil {
		return nil, err
	}
	var out []certificate.PublicKey
	for _, k := range list.Keys {
		if k.Use != "certificate" {
			continue
		}
		pub, err := feed.ParsePublicKey(k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("%s/api/v1/keys: %w", safe(base), err)
		}
		pk := certificate.PublicKey{ID: certificate.KeyID(pub), Key: pub}
		if k.Status == "retired" {
			if pk.RetiredAt, err = time.Parse(time.RFC3339, k.RetiredAt); err != nil {
				return nil, fmt.Errorf("%s/api/v1/keys: a retired key without a valid retired_at", safe(base))
			}
			pk.Retired = true
		}
		out = append(out, pk)
	}
	return out, nil
}

type liveVerification struct {
	Status      string `json:"status"`
	Certificate struct {
		Verdict string `json:"verdict"`
	} `json:"certificate"`
}

func fetchVerification(ctx context.Context, client *http.Client, l certificate.Link) (*liveVerification, error) {
	var v liveVerification
	u := l.Base + "/api/v1/verify/" + url.PathEscape(l.Number) + "?code=" + url.QueryEscape(l.Code) + "&c=" + url.QueryEscape(l.Token)
	if err := getJSON(ctx, client, u, &v); err != nil {
		return nil, err
	}
	if v.Status == "" || v.Certificate.Verdict == "" {
		return nil, fmt.Errorf("%s answered without a status or a certificate verdict: is it an ipreg registry with certificates?", l.Base)
	}
	return &v, nil
}
