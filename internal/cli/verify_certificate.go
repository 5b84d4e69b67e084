package cli

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

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
of --key/--keys, or else those the registry publishes at /api/v1/keys. Online (the default) it then
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
	link, err := certificateLink(fs.Arg(0))
	if err != nil {
		return err
	}
	if registry != "" {
		u, err := url.Parse(registry)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--registry %q: give the registry's http(s) address", registry)
		}
		link.Base = strings.TrimRight(registry, "/")
	}
	var trusted []ed25519.PublicKey
	for _, k := range keyFlags {
		pub, err := feed.ParsePublicKey(k)
		if err != nil {
			return fmt.Errorf("--key: %w", err)
		}
		trusted = append(trusted, pub)
	}
	if keysFile != "" {
		ks, err := readKeysFile(keysFile)
		if err != nil {
			return err
		}
		trusted = append(trusted, ks...)
	}
	client := &http.Client{Timeout: timeout}
	from := "the keys given"
	if len(trusted) == 0 {
		if offline {
			fmt.Fprintln(stdio.Stderr, "ipreg verify-certificate: --offline needs the registry's certificate keys: --key ed25519:… or --keys FILE (ipreg key show-certificate)")
			return errUsage
		}
		if trusted, err = fetchCertificateKeys(ctx, client, link.Base); err != nil {
			return err
		}
		from = "the keys published at " + link.Base + "/api/v1/keys"
	}
	f, err := certificate.Verify(link.Token, func(id string) (ed25519.PublicKey, bool) {
		for _, k := range trusted {
			if certificate.KeyID(k) == id {
				return k, true
			}
		}
		return nil, false
	})
	switch {
	case errors.Is(err, certificate.ErrUnknownKey):
		return &exitError{exitUnknownKey, fmt.Sprintf("UNKNOWN KEY: certificate %s was signed with key %s, which is not among %s", link.Number, f.KeyID, from)}
	case err != nil:
		return &exitError{exitEdited, "EDITED: " + err.Error()}
	case !strings.EqualFold(f.Number, link.Number):
		return &exitError{exitEdited, fmt.Sprintf("EDITED: the link names registration %s, but its signed data is of %s", link.Number, f.Number)}
	}
	fmt.Fprintf(stdio.Stdout, "registration %s: %s, holder %s, valid %s to %s\n", f.Number, f.Category, f.Holder,
		f.ValidFrom.UTC().Format(time.RFC3339), f.ValidUntil.UTC().Format(time.RFC3339))
	fmt.Fprintf(stdio.Stdout, "certificate issued %s, signed with key %s\n", f.IssuedAt.UTC().Format(time.RFC3339Nano), f.KeyID)
	if offline {
		fmt.Fprintf(stdio.Stdout, "AUTHENTIC: the signature matches (checked offline with %s); the registration's live status was not asked\n", from)
		return nil
	}
	live, err := fetchVerification(ctx, client, link)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Stdout, "live status at %s: %s\n", link.Base, live.Status)
	switch live.Certificate.Verdict {
	case "authentic":
	case "superseded":
		return &exitError{exitSuperseded, fmt.Sprintf("SUPERSEDED: the signature matches, but a newer certificate of %s was issued since (renewal or amendment); ask the holder for the present one", f.Number)}
	case "unknown_key":
		return &exitError{exitUnknownKey, fmt.Sprintf("UNKNOWN KEY: %s does not know key %s", link.Base, f.KeyID)}
	case "edited":
		return &exitError{exitEdited, fmt.Sprintf("EDITED: %s finds the signature does not match", link.Base)}
	default: // mismatch
		return &exitError{exitEdited, fmt.Sprintf("EDITED: the signature matches, but the signed facts are not those %s holds for %s", link.Base, f.Number)}
	}
	if live.Status != "active" {
		return &exitError{exitNotActive, fmt.Sprintf("AUTHENTIC but NOT ACTIVE: the certificate is genuine, and registration %s is %s", f.Number, live.Status)}
	}
	fmt.Fprintln(stdio.Stdout, "AUTHENTIC: the signature matches, this is the present certificate, and the registration is active")
	return nil
}

// certificateLink reads the verification URL from a URL argument or a PDF.
func certificateLink(arg string) (certificate.Link, error) {
	if strings.HasPrefix(arg, "http://") || strings.HasPrefix(arg, "https://") {
		return certificate.ParseURL(arg)
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return certificate.Link{}, err
	}
	u, err := certificate.ExtractURL(b)
	if err != nil {
		return certificate.Link{}, fmt.Errorf("%s: %w", arg, err)
	}
	return certificate.ParseURL(u)
}

func readKeysFile(name string) ([]ed25519.PublicKey, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	var out []ed25519.PublicKey
	for i, line := range strings.Split(string(b), "\n") {
		w := strings.Fields(line)
		if len(w) == 0 || strings.HasPrefix(w[0], "#") {
			continue
		}
		k, err := feed.ParsePublicKey(w[0])
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, i+1, err)
		}
		out = append(out, k)
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

func fetchCertificateKeys(ctx context.Context, client *http.Client, base string) ([]ed25519.PublicKey, error) {
	var list struct {
		Keys []struct {
			PublicKey string `json:"public_key"`
			Use       string `json:"use"`
		} `json:"keys"`
	}
	if err := getJSON(ctx, client, base+"/api/v1/keys", &list); err != nil {
		return nil, err
	}
	var out []ed25519.PublicKey
	for _, k := range list.Keys {
		if k.Use != "certificate" {
			continue
		}
		pub, err := feed.ParsePublicKey(k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("%s/api/v1/keys: %w", base, err)
		}
		out = append(out, pub)
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
