package promexpose

import (
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, file, want, err string
	}{
		{"no file configured", "", "", ""},
		{"a token", write("ok", "0123456789abcdef0123\n"), "0123456789abcdef0123", ""},
		{"CRLF and a comment line after", write("crlf", "0123456789abcdef0123\r\nsecond line\r\n"), "0123456789abcdef0123", ""},
		{"BOM, as Notepad saves it", write("bom", "\ufeff0123456789abcdef0123\r\n"), "0123456789abcdef0123", ""},
		{"BOM and LF", write("bomlf", "\ufeff0123456789abcdef0123\n"), "0123456789abcdef0123", ""},
		{"only a BOM", write("onlybom", "\ufeff\r\n"), "", "is empty"},
		{"empty", write("empty", "\n"), "", "is empty"},
		{"short", write("short", "secret"), "", "6 characters, fewer than 16"},
		{"missing", filepath.Join(dir, "absent"), "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Flags{TokenFile: tt.file}
			got, err := f.Token()
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Fatalf("= %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "--metrics-token-file") {
				t.Fatalf("= %q, %v; want an error naming the flag and %q", got, err, tt.err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("the error quotes the token: %v", err)
			}
		})
	}
}

func TestAuthorized(t *testing.T) {
	const token = "0123456789abcdef0123"
	tests := []struct {
		name, configured, header string
		want                     bool
	}{
		{"the token", token, "Bearer " + token, true},
		{"scheme in another case", token, "bearer " + token, true},
		{"no header", token, "", false},
		{"another token", token, "Bearer " + token + "x", false},
		{"a prefix of it", token, "Bearer " + token[:10], false},
		{"basic auth", token, "Basic " + token, false},
		{"no token configured", "", "Bearer ", false},
		{"no token configured, empty bearer", "", "Bearer", false},
	}
	for _, tt := range tests {
		r, _ := http.NewRequest("GET", "/metrics", nil)
		if tt.header != "" {
			r.Header.Set("Authorization", tt.header)
		}
		if got := Authorized(r, tt.configured); got != tt.want {
			t.Errorf("%s: Authorized = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestFlags(t *testing.T) {
	var f Flags
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	f.Register(fs)
	if err := fs.Parse([]string{"--metrics-listen", "127.0.0.1:9090", "--metrics-token-file", "/run/secrets/metrics"}); err != nil {
		t.Fatal(err)
	}
	if f.Listen != "127.0.0.1:9090" || f.TokenFile != "/run/secrets/metrics" {
		t.Fatalf("flags = %+v", f)
	}
}
