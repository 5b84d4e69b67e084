package registry

import (
	"slices"
	"strings"
	"testing"
)

// A provider's website is linked from the public register: https to a
// public host name under the rules --public-url follows (package
// hostname), never an IP literal, a single label or a malformed or
// look-alike name, and a port from 1 to 65535 (issue 13). A refusal says
// what is wrong and what to type instead; an accepted address comes back
// in its canonical form, the one stored.
func TestCheckWebsite(t *testing.T) {
	const public = "a provider's website must be a public host name, such as https://www.example.pk"
	tests := []struct {
		in    string
		want  string // part of the message; "" for accepted
		canon string // for accepted: the canonical form
	}{
		{"https://www.example.pk", "", "https://www.example.pk"},
		{"https://www.example.pk/vpn?x=1#top", "", "https://www.example.pk/vpn?x=1#top"},
		{"https://www.example.pk:8443/", "", "https://www.example.pk:8443"},
		// Canonical form: scheme and host in lower case, IDNs in Unicode,
		// no default port, no leading zeros in a port; path as typed.
		{"https://xn--mgbh0fb.xn--mgbai9azgqp6j/", "", "https://مثال.پاکستان"}, // مثال.پاکستان in ASCII
		{"https://XN--MGBH0FB.xn--mgbai9azgqp6j/", "", "https://مثال.پاکستان"},
		{"https://مثال.پاکستان/", "", "https://مثال.پاکستان"},
		{"https://WWW.Example.PK/", "", "https://www.example.pk"},
		{"HTTPS://www.example.pk/VPN", "", "https://www.example.pk/VPN"},
		{"https://www.example.pk:443/a", "", "https://www.example.pk/a"},
		{"https://www.example.pk:0443", "", "https://www.example.pk"},
		{"https://www.example.pk:08443/", "", "https://www.example.pk:8443"},
		// "/" alone is the empty path: one address, one spelling.
		{"https://www.example.pk/?a=1#b", "", "https://www.example.pk?a=1#b"},
		{"https://www.example.pk/#top", "", "https://www.example.pk#top"},
		{"https://www.example.pk//", "", "https://www.example.pk//"},
		{"https://" + strings.Repeat("a", 63) + ".pk/", "", "https://" + strings.Repeat("a", 63) + ".pk"},
		// Look-alikes: one script per part of the name (UTS #39, highly
		// restrictive), typed in Unicode or as xn--.
		{"https://p\u0430ypal.pk", "mixes Latin and Cyrillic letters in one part (p\u0430ypal)", ""},
		{"https://xn--pypal-4ve.pk", "mixes Latin and Cyrillic letters in one part (p\u0430ypal)", ""},
		{"https://www.g\u03bfogle.pk", "mixes Latin and Greek letters in one part (g\u03bfogle), as look-alike addresses do; type each part of the name in one alphabet", ""},
		{"https://\u043f\u0440\u0438\u043c\u0435\u0440.pk/", "", "https://\u043f\u0440\u0438\u043c\u0435\u0440.pk"},
		// One script, but every letter a Cyrillic look-alike of a Latin
		// one: read as apple.pk (not under a Cyrillic country's TLD).
		{"https://\u0430\u0440\u0440\u04cf\u0435.pk/", "has a part of its host name (\u0430\u0440\u0440\u04cf\u0435) written only in Cyrillic letters that look like Latin ones", ""},
		{"https://xn--80ak6aa92e.com/", "written only in Cyrillic letters that look like Latin ones", ""},
		{"https://\u0430\u0440\u0440\u04cf\u0435.ru/", "", "https://\u0430\u0440\u0440\u04cf\u0435.ru"},
		// Lengths.
		{"https://" + strings.Repeat("a", 64) + ".pk/", "has a part of its host name that is too long (" + strings.Repeat("a", 64) + "): each dot-separated part may have at most 63 characters", ""},
		{"https://" + strings.Repeat("a.", 127) + "pk/", "at most 200 characters", ""}, // the URL's own limit comes first
		// 6 × 15 Hangul syllables: 107 characters typed, 6 × 50 octets in xn-- form.
		{"https://" + strings.Repeat("힣가쀍뷁엙콾퉑갂핳뛢쵗덇읆녋빣.", 6) + "kr/", "has a host name that is too long: at most 253 characters, counted in the ASCII (xn--) form", ""},
		// Hosts that are not public sites' say why.
		{"https://localhost/", "localhost is a loopback address (the computer the browser runs on); " + public, ""},
		{"https://127.1/", "127.1 (which browsers read as 127.0.0.1) is a loopback address", ""},
		{"https://127.0.0.1/", "127.0.0.1 is a loopback address", ""},
		{"https://[::1]/", "::1 is a loopback address", ""},
		{"https://10.0.0.1/", "10.0.0.1 is a private network address, reachable only inside one network; " + public, ""},
		{"https://10.1/", "10.1 (which browsers read as 10.0.0.1) is a private network address", ""},
		{"https://169.254.169.254/", "is a link-local address", ""},
		{"https://0.0.0.0/", "is an unspecified address", ""},
		{"https://224.0.0.1/", "is a multicast address", ""},
		{"https://192.0.2.10/", "192.0.2.10 is an address reserved for special use", ""},
		{"https://[2001:db8::1]/", "2001:db8::1 is an address reserved for special use", ""},
		{"https://203.99.48.7/", "203.99.48.7 is an IP address; a provider's website must be named by its public host name", ""},
		{"https://1.2.3/", "1.2.3 (which browsers read as 1.2.0.3) is an IP address", ""},
		{"https://1.2.3.4.5/", "1.2.3.4.5 ends in a number, so browsers take it for an IP address; " + public, ""},
		{"https://intranet/", "intranet is a name without a domain, which works only inside one network; " + public, ""},
		{"https://printer.local/", "printer.local is a name for local networks only; " + public, ""},
		{"https://[fe80::1%25eth0]/", "fe80::1%eth0 names a network interface of one computer (an IPv6 zone), not a web site; " + public, ""},
		// Reserved as .test and .example are (tester, issue 13).
		{"https://foo.example.com", "foo.example.com is under example.com, a domain reserved for examples (RFC 2606) that names no provider's site; give the provider's public website, such as https://www.example.pk", ""},
		{"https://EXAMPLE.org/", "EXAMPLE.org is under example.org, a domain reserved for examples (RFC 2606)", ""},
		{"https://tunnels.demo.example.net/", "is under example.net, a domain reserved for examples", ""},
		{"https://x.alt", "x.alt ends in .alt, which is reserved for name systems other than the DNS (RFC 9476) and names no site a browser reaches on the internet; give the provider's public website, such as https://www.example.pk", ""},
		{"https://www.example.test/", "www.example.test ends in .test, which is reserved for testing, examples or Tor", ""},
		{"https://myexample.com/", "", "https://myexample.com"},
		{"https://safe_tunnels.example.pk/", "not valid (safe_tunnels.example.pk)", ""},
		{"https://-safe.example.pk/", "not valid", ""},
		{"https://safe..example.pk/", "not valid", ""},
		{"https://www.example.pk./", "has a host name that ends in a dot (www.example.pk.); leave the final dot out, such as https://www.example.pk", ""},
		{"https://www.example.pk\u3002/", "ends in a dot (www.example.pk\u3002); leave the final dot out", ""},
		{"https://example\u0645\u062b\u0627\u0644.pk/", "mixes Latin and Arabic letters in one part (example\u0645\u062b\u0627\u0644)", ""},
		{"https://\u0645\u062b\u0627\u0644.\u067e\u0627\u06a9\u0633\u062a\u0627\u0646/", "", "https://\u0645\u062b\u0627\u0644.\u067e\u0627\u06a9\u0633\u062a\u0627\u0646"},
		{"https://a\u0301b.example.pk/", "(a\u0301b.example.pk), such as full-width letters or an accent typed as a separate mark, which browsers turn into another name; type it as \u00e1b.example.pk", ""},
		{"https://ｗｗｗ.example.pk/", "type it as www.example.pk", ""},
		{"https://www.example.pk:0/", "port", ""},
		{"https://www.example.pk:65536/", "port", ""},
		{"https://www.example.pk:https/", "port", ""},
		{"https://www.example.pk:/", "port", ""},
		{"https://user@www.example.pk/", "user name or password (the part before @); leave it out, such as https://www.example.pk", ""},
		{"http://www.example.pk/", "https://", ""},
		{"https:www.example.pk", "full https address", ""},
	}
	// The ways a refusal says what to do.
	fixes := []string{"such as https://www.example.pk", "type it as ", "type each part of the name in one alphabet", "give a shorter address", "leave the port out"}
	for _, tt := range tests {
		fe := FieldErrors{}
		canon := checkWebsite(fe, tt.in)
		got := fe["website"]
		if tt.want == "" && (got != "" || canon != tt.canon) || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("checkWebsite(%q) = %q, %q; want %q, %q", tt.in, canon, got, tt.canon, tt.want)
		}
		// Every refusal says how to fix it, not only what is wrong.
		if got != "" && !slices.ContainsFunc(fixes, func(f string) bool { return strings.Contains(got, f) }) {
			t.Errorf("checkWebsite(%q) = %q: says what is wrong but not how to fix it", tt.in, got)
		}
	}
}

// SameWebsite compares websites as pages show and forms send them: one
// address in two spellings is the same; a failing or empty one equals
// only itself.
func TestSameWebsite(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"https://www.example.pk", "HTTPS://WWW.Example.PK:443/", true},
		{"https://مثال.pk", " https://xn--mgbh0fb.pk ", true},
		{"https://www.example.pk", "https://www.example.pk/vpn", false},
		{"http://old.example.pk", "http://old.example.pk", true},
		{"http://old.example.pk", "https://old.example.pk", false},
		{"", "https://www.example.pk", false},
		{"", " ", true},
	}
	for _, tt := range tests {
		if got := SameWebsite(tt.a, tt.b); got != tt.same {
			t.Errorf("SameWebsite(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
}

// The demo's providers have websites the rules take as they are: they
// were under example.com, which the rules refuse since (tester, issue 13).
func TestDemoProviderWebsites(t *testing.T) {
	for _, p := range DemoProviders {
		fe := FieldErrors{}
		if got := checkWebsite(fe, p.Website); p.Website != "" && (len(fe) != 0 || got != p.Website) {
			t.Errorf("%s: website %q = %q, %v; want it taken as it is", p.Name, p.Website, got, fe)
		}
	}
}
