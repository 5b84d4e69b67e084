package testbin

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// MailpitOptions say how to start Mailpit (github.com/axllent/mailpit), a
// real SMTP server that keeps what it receives and shows it over HTTP.
type MailpitOptions struct {
	// TLS is "" for none, "starttls" (STARTTLS offered and required) or
	// "implicit" (TLS from the first byte); the certificate is made by
	// StartMailpit for 127.0.0.1 and returned as Mailpit.CertPEM.
	TLS string
	// User and Password, when set, are the only login accepted; without
	// them any login, or none, is.
	User, Password string
	// AllowedRecipients, when set, is a regular expression; Mailpit
	// refuses other recipients with a 5xx reply.
	AllowedRecipients string
}

// Mailpit is a running Mailpit.
type Mailpit struct {
	SMTPHost string
	SMTPPort int
	API      string // http://127.0.0.1:port
	CertPEM  []byte // the server's certificate, when it has TLS
	output   *lockedBuffer
}

// Output is what Mailpit has logged so far.
func (m *Mailpit) Output() string { return m.output.String() }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// MailpitBinary finds mailpit on PATH or in ~/go/bin (where
// "go install github.com/axllent/mailpit@v1.33.1" puts it), or skips the
// test (fails it under IPREG_TEST_STRICT=1).
func MailpitBinary(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p
	}
	if home, err := os.UserHomeDir(); err == nil {
		if p := filepath.Join(home, "go", "bin", "mailpit"); fileExists(p) {
			return p
		}
	}
	SkipOrFail(tb, "mailpit is not installed: go install github.com/axllent/mailpit@v1.33.1")
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// StartMailpit starts Mailpit on free loopback ports; it stops when the
// test ends.
func StartMailpit(t testing.TB, o MailpitOptions) *Mailpit {
	t.Helper()
	bin := MailpitBinary(t)
	dir := t.TempDir()
	smtpPort, httpPort := FreePort(t), FreePort(t)
	args := []string{"--smtp", fmt.Sprintf("127.0.0.1:%d", smtpPort), "--listen", fmt.Sprintf("127.0.0.1:%d", httpPort),
		"--database", filepath.Join(dir, "mailpit.db"), "--smtp-disable-rdns", "--disable-version-check"}
	m := &Mailpit{SMTPHost: "127.0.0.1", SMTPPort: smtpPort, API: fmt.Sprintf("http://127.0.0.1:%d", httpPort)}
	if o.TLS != "" {
		cert, key := SelfSignedCert(t, "127.0.0.1")
		m.CertPEM = cert
		certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
		os.WriteFile(certFile, cert, 0o600)
		os.WriteFile(keyFile, key, 0o600)
		args = append(args, "--smtp-tls-cert", certFile, "--smtp-tls-key", keyFile)
		switch o.TLS {
		case "starttls":
			args = append(args, "--smtp-require-starttls")
		case "implicit":
			args = append(args, "--smtp-require-tls")
		default:
			t.Fatalf("mailpit TLS %q", o.TLS)
		}
	}
	if o.User != "" {
		authFile := filepath.Join(dir, "smtp-users")
		os.WriteFile(authFile, []byte(o.User+":"+o.Password+"\n"), 0o600)
		args = append(args, "--smtp-auth-file", authFile)
		if o.TLS == "" {
			args = append(args, "--smtp-auth-allow-insecure")
		}
	} else {
		args = append(args, "--smtp-auth-accept-any")
		if o.TLS == "" {
			args = append(args, "--smtp-auth-allow-insecure")
		}
	}
	if o.AllowedRecipients != "" {
		args = append(args, "--smtp-allowed-recipients", o.AllowedRecipients)
	}
	// Mailpit logs to standard output and cannot report a port it
	// picked: wait for both its ports to answer.
	cmd := exec.Command(bin, args...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Kill(); <-done })
	m.output = out
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get(m.API + "/api/v1/info")
		if err == nil {
			res.Body.Close()
			if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", smtpPort)); err == nil {
				c.Close()
				if res.StatusCode == 200 {
					break
				}
			}
		}
		select {
		case <-done:
			t.Fatalf("mailpit exited: %v\n%s", waitErr, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not answer: %v\n%s", err, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return m
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago,
// for programs that cannot be told to pick port 0 and say which.
func FreePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// SelfSignedCert makes a certificate and key (PEM) for host, an IP
// address or a DNS name, valid for a day.
func SelfSignedCert(tb testing.TB, host string) (certPEM, keyPEM []byte) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		tmpl.IPAddresses = []net.IP{ip.AsSlice()}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}

// MailpitAddress is an address in Mailpit's answers.
type MailpitAddress struct{ Name, Address string }

// MailpitSummary is a message in Mailpit's list.
type MailpitSummary struct {
	ID        string
	MessageID string
	From      MailpitAddress
	To        []MailpitAddress
	Subject   string
}

// MailpitMessage is one message as Mailpit parsed it.
type MailpitMessage struct {
	MailpitSummary
	Text, HTML  string
	Attachments []struct {
		PartID, FileName, ContentType string
		Size                          int
	}
}

// Messages lists what Mailpit has received, newest first.
func (m *Mailpit) Messages(tb testing.TB) []MailpitSummary {
	tb.Helper()
	var list struct{ Messages []MailpitSummary }
	m.getJSON(tb, "/api/v1/messages", &list)
	return list.Messages
}

// WaitMessages waits up to 10 seconds for Mailpit to hold at least n
// messages and returns them (a message is stored a moment after the
// SMTP conversation ends).
func (m *Mailpit) WaitMessages(tb testing.TB, n int) []MailpitSummary {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		list := m.Messages(tb)
		if len(list) >= n || time.Now().After(deadline) {
			return list
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Message returns one message, its parts parsed.
func (m *Mailpit) Message(tb testing.TB, id string) MailpitMessage {
	tb.Helper()
	var msg MailpitMessage
	m.getJSON(tb, "/api/v1/message/"+id, &msg)
	return msg
}

// Headers returns a message's headers.
func (m *Mailpit) Headers(tb testing.TB, id string) map[string][]string {
	tb.Helper()
	var h map[string][]string
	m.getJSON(tb, "/api/v1/message/"+id+"/headers", &h)
	return h
}

// Part returns the decoded bytes of a message's part (an attachment).
func (m *Mailpit) Part(tb testing.TB, id, part string) []byte {
	tb.Helper()
	return m.get(tb, "/api/v1/message/"+id+"/part/"+part)
}

func (m *Mailpit) getJSON(tb testing.TB, path string, v any) {
	tb.Helper()
	if err := json.Unmarshal(m.get(tb, path), v); err != nil {
		tb.Fatalf("mailpit %s: %v", path, err)
	}
}

func (m *Mailpit) get(tb testing.TB, path string) []byte {
	tb.Helper()
	res, err := http.Get(m.API + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != 200 {
		tb.Fatalf("mailpit %s: %d %v\n%s", path, res.StatusCode, err, b)
	}
	return b
}
