package hostname

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		problem Problem
		ip      bool
		public  bool
		want    string // Want, for Unusual
	}{
		{"www.example.pk", OK, false, true, ""},
		{"WWW.EXAMPLE.PK", OK, false, true, ""},
		{"مثال.پاکستان", OK, false, true, ""},
		{"localhost", OK, false, false, ""},
		{"1.2.3", OK, false, false, ""},
		{"192.0.2.1", OK, true, false, ""},
		{"::ffff:192.0.2.1", OK, true, false, ""},
		{"2001:db8::1", OK, true, false, ""},
		{"fe80::1%eth0", IPZone, false, false, ""},
		{"www.example.pk.", TrailingDot, false, false, ""},
		{"a_b.example.pk", Invalid, false, false, ""},
		{"-a.example.pk", Invalid, false, false, ""},
		{"a..pk", Invalid, false, false, ""},
		{"", Invalid, false, false, ""},
		{"ｅｖｉｌ.com", Unusual, false, false, "evil.com"},
	}
	for _, tt := range tests {
		h, p := Parse(tt.in)
		if p != tt.problem || h.IsIP() != tt.ip || h.Public() != tt.public || h.Want != tt.want {
			t.Errorf("Parse(%q) = %+v, %v (public %v); want problem %v, ip %v, public %v, want %q", tt.in, h, p, h.Public(), tt.problem, tt.ip, tt.public, tt.want)
		}
	}
}

func TestValidPort(t *testing.T) {
	for p, want := range map[string]bool{"1": true, "443": true, "65535": true, "0": false, "65536": false, "": false, "+80": false, "-1": false, "8o": false} {
		if got := ValidPort(p); got != want {
			t.Errorf("ValidPort(%q) = %v, want %v", p, got, want)
		}
	}
}
