package registry

import (
	"strings"
	"testing"
)

// A provider's website is linked from the public register: https to a
// public host name under the rules --public-url follows (package
// hostname), never an IP literal, a single label or a malformed or
// look-alike name, and a port from 1 to 65535 (issue 13).
func TestCheckWebsite(t *testing.T) {
	tests := []struct {
		in   string
		want string // part of the message; "" for accepted
	}{
		{"https://www.example.pk", ""},
		{"https://www.example.pk/vpn?x=1#top", ""},
		{"https://www.example.pk:8443/", ""},
		{"https://xn--mgbh0fb.xn--mgbai9azgqp6j/", ""}, // مثال.پاکستان in ASCII
		{"https://مثال.پاکستان/", ""},
		{"https://WWW.Example.PK/", ""},
		{"https://localhost/", "name the provider's web site"},
		{"https://intranet/", "name the provider's web site"},
		{"https://1.2.3/", "name the provider's web site"},
		{"https://10.1/", "name the provider's web site"},
		{"https://192.0.2.10/", "not an IP address"},
		{"https://[2001:db8::1]/", "not an IP address"},
		{"https://[fe80::1%25eth0]/", "not valid"},
		{"https://safe_tunnels.example.pk/", "not valid (safe_tunnels.example.pk)"},
		{"https://-safe.example.pk/", "not valid"},
		{"https://safe..example.pk/", "not valid"},
		{"https://www.example.pk./", "not valid"},
		{"https://ｗｗｗ.example.pk/", "write it as www.example.pk"},
		{"https://www.example.pk:0/", "port"},
		{"https://www.example.pk:65536/", "port"},
		{"https://www.example.pk:https/", "port"},
		{"https://www.example.pk:/", "port"},
		{"https://user@www.example.pk/", "user name or password"},
		{"http://www.example.pk/", "https://"},
		{"https:www.example.pk", "full https address"},
	}
	for _, tt := range tests {
		fe := FieldErrors{}
		checkWebsite(fe, tt.in)
		got := fe["website"]
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("checkWebsite(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
}
