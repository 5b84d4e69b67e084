package portal_test

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

// Issue 11 §4: files saved by Excel or Notepad (a UTF-8 BOM before the
// first line, CRLF line ends) read like plain ones in every upload of the
// portal, a header row is skipped only when the first line is one, and
// errors name the line as an editor counts it.
func TestUploadsFromSpreadsheets(t *testing.T) {
	e := newEnv(t)
	e.signup("alice@example.pk", "Alice Traders", "company")
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	fields := map[string]string{"category": "company_vpn", "operator_id": "ptcl", "subscriber_id": "PTCL-1",
		"addresses": "", "vpn_protocol": "ipsec", "purpose": "Branch offices reach head office."}
	alice := e.user("alice@example.pk", "a long password")

	t.Run("address CSV", func(t *testing.T) {
		for _, tt := range []struct{ name, csv, want string }{
			{"BOM before data, CRLF", "\ufeff14.1.106.0/24\r\n14.1.107.0/24\r\n", "14.1.106.0/24 14.1.107.0/24"},
			{"BOM before a header", "\ufeffaddress,note\r\n14.1.106.0/24,branch\r\n", "14.1.106.0/24"},
			{"header naming IPv4", "IPv4 prefix;x\n14.1.106.0/24\n", "14.1.106.0/24"},
			{"IPv6 data first", "2001:dd8:1c::/48\n14.1.106.0/24\n", "2001:dd8:1c::/48 14.1.106.0/24"},
			{"CR only, as Excel for Mac saves CSV (Macintosh)", "Address,Note\r14.1.106.0/24,a\r14.1.107.0/24,b\r", "14.1.106.0/24 14.1.107.0/24"},
			{"CR only without a header", "14.1.106.0/24\r14.1.107.0/24", "14.1.106.0/24 14.1.107.0/24"},
			{"header without a column word or digit", "S.No,Net\n14.1.106.0/24\n", "14.1.106.0/24"},
			{"header in Urdu", "ایڈریس,نوٹ\n14.1.106.0/24\n", "14.1.106.0/24"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p := b.multipart("/applications", fields, map[string][2]string{"addresses_csv": {"list.csv", tt.csv}})
				if p.status != 303 {
					t.Fatalf("upload = %d: %s", p.status, p.body)
				}
				id := strings.TrimPrefix(strings.SplitN(p.location, "?", 2)[0], "/applications/")
				a, err := e.svc.GetApplication(e.ctx, alice, id)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, p := range a.Addresses {
					got = append(got, p.String())
				}
				if strings.Join(got, " ") != tt.want {
					t.Fatalf("addresses = %v, want %s", got, tt.want)
				}
			})
		}
		// A broken quote is reported at its line, after a BOM and CRLF.
		p := b.multipart("/applications", fields, map[string][2]string{"addresses_csv": {"list.csv", "\ufeff14.1.106.0/24\r\n\r\n14.1.107.0/24,\"x\r\n"}})
		if p.status != 422 || !strings.Contains(p.body, "line 3:") {
			t.Fatalf("broken CSV = %d, want 422 naming line 3: %s", p.status, p.body)
		}
		// An unclosed quote is reported where it starts, in our words.
		p = b.multipart("/applications", fields, map[string][2]string{"addresses_csv": {"list.csv", "14.1.106.0/24\n14.1.107.0/24\n14.1.108.0/24\n14.1.109.0/24\n\"14.1.110.0/24\n14.1.111.0/24\n"}})
		if p.status != 422 || !strings.Contains(p.body, "line 5: a quoted field starts here, in column 1, and is never closed") {
			t.Fatalf("unclosed quote = %d, want 422 naming line 5: %s", p.status, p.body)
		}
		// A mistyped address on the first line is read as an address and
		// refused at its line, not dropped as a header.
		for _, csv := range []string{"14.1.104.O/24\n14.1.106.0/24\n", "14.1.104.O/24\r14.1.106.0/24\r", "14.1.104.O/24,branch\n14.1.106.0/24\n"} {
			p = b.multipart("/applications", fields, map[string][2]string{"addresses_csv": {"list.csv", csv}})
			if p.status != 422 || !strings.Contains(p.body, "File line 1: ") || !strings.Contains(p.body, "14.1.104.O/24") {
				t.Fatalf("typo on the first line %q = %d, want 422 at file line 1: %s", csv, p.status, p.body)
			}
		}
		// A first line that is an address, even a refused one, is not a header.
		p = b.multipart("/applications", fields, map[string][2]string{"addresses_csv": {"list.csv", "10.0.0.1\n14.1.106.0/24\n"}})
		if p.status != 422 || !strings.Contains(p.body, "10.0.0.1/32 is private address space") {
			t.Fatalf("private first line = %d, want it refused, not skipped", p.status)
		}
	})

	t.Run("operator check CSV", func(t *testing.T) {
		e.apply(alice, "14.1.108.0/24", "Office access.", true)
		e.apply(alice, "14.1.109.0/24", "Office access.", true)
		op := e.browser()
		op.login("operator.ptcl@demo.test", "demo-password-1")
		lines := strings.Split(strings.TrimSpace(op.get("/operator/checks.csv").body), "\n")
		if len(lines) < 3 {
			t.Fatalf("checks CSV = %q", lines)
		}
		cells := func(l string) []string { c := strings.Split(l, ","); return c[:len(c)-2] }
		// Excel's save: BOM, CRLF; the first note spans two lines, so the
		// second record starts on line 4.
		if !strings.HasPrefix(lines[0], "\ufeffcheck_id,") {
			t.Fatalf("the download does not start with a UTF-8 BOM: %q", lines[0])
		}
		filled := lines[0] + "\r\n" +
			strings.Join(cells(lines[1]), ",") + ",disputed,\"Not our subscriber;\r\nsee ticket 7\"\r\n" +
			strings.Join(cells(lines[2]), ",") + ",maybe,\r\n"
		p := op.multipart("/operator/checks/upload", nil, map[string][2]string{"file": {"checks.csv", filled}})
		if p.status != 200 || !strings.Contains(p.body, "<bdi>Line 2</bdi> <bdi") || !strings.Contains(p.body, "<bdi>Line 4</bdi> <bdi") {
			t.Fatalf("CSV upload = %d, want results for lines 2 and 4: %s", p.status, p.body)
		}
		if !strings.Contains(p.body, "answered") || !strings.Contains(p.body, "confirmed") {
			t.Errorf("results do not say line 2 was answered and line 4 why not: %s", p.body)
		}
	})

	t.Run("operator prefixes", func(t *testing.T) {
		admin := e.browser()
		admin.login("admin@demo.test", "demo-password-1")
		p := admin.multipart("/admin/operators/ptcl/prefixes", nil, map[string][2]string{"file": {"ptcl.txt", "\ufeff# PTCL\r\n14.1.104.0/22\r\n2001:dd8:1c::/48\r\n"}})
		if p.status != 303 {
			t.Fatalf("prefix file with a BOM = %d: %s", p.status, p.body)
		}
		p = admin.multipart("/admin/operators/ptcl/prefixes", nil, map[string][2]string{"file": {"ptcl.txt", "\ufeff14.1.104.0/22\r\n\r\nbogus\r\n"}})
		if p.status != 422 || !strings.Contains(p.body, "line 3:") {
			t.Fatalf("bad prefix file = %d, want 422 naming line 3", p.status)
		}
		// Special-purpose space is refused at its line, as by the command.
		p = admin.multipart("/admin/operators/ptcl/prefixes", nil, map[string][2]string{"file": {"ptcl.txt", "14.1.104.0/22\r10.0.0.0/8\r"}})
		if p.status != 422 || !strings.Contains(p.body, "line 2: 10.0.0.0/8 is private address space") {
			t.Fatalf("private prefix = %d, want 422 naming line 2: %s", p.status, p.body)
		}
	})
}

// Errors in the application form's lists name the line the person sees:
// the box's physical line (blank lines and comma-separated neighbours
// counted as they stand), or the CSV file's own line. The file's rows are
// kept beside the box, not merged into it, so a corrected file chosen
// again replaces them instead of adding them twice.
func TestApplicationFormErrorLines(t *testing.T) {
	e := newEnv(t)
	e.signup("alice@example.pk", "Alice Traders", "company")
	b := e.browser()
	b.login("alice@example.pk", "a long password")
	alice := e.user("alice@example.pk", "a long password")
	form := func(addresses string) map[string]string {
		return map[string]string{"category": "company_vpn", "operator_id": "ptcl", "subscriber_id": "PTCL-1",
			"addresses": addresses, "vpn_protocol": "ipsec", "purpose": "Branch offices reach head office."}
	}
	saved := func(p page) []string {
		t.Helper()
		if p.status != 303 {
			t.Fatalf("form = %d, want saved: %s", p.status, p.body)
		}
		id := strings.TrimPrefix(strings.SplitN(p.location, "?", 2)[0], "/applications/")
		a, err := e.svc.GetApplication(e.ctx, alice, id)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range a.Addresses {
			got = append(got, p.String())
		}
		return got
	}
	kept := regexp.MustCompile(`name="addresses_csv_kept" value="([^"]*)"`)

	t.Run("box lines", func(t *testing.T) {
		for _, tt := range []struct{ name, box, want string }{
			{"tester's example (blank lines, two on one line)", "14.1.104.0/24\r\n\r\n\r\n14.1.105.0/24, 14.1.107.0/24\r\n10.0.0.1", "Line 5: 10.0.0.1/32 is private"},
			{"second item of a line", "14.1.104.0/24\n\n14.1.105.0/24; 10.0.0.1", "Line 3: 10.0.0.1/32 is private"},
			{"old Mac line ends", "14.1.104.0/24\r\r10.0.0.1", "Line 3: 10.0.0.1/32 is private"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				p := b.multipart("/applications", form(tt.box), nil)
				if p.status != 422 || !strings.Contains(p.body, tt.want) {
					t.Fatalf("= %d, want %q: %s", p.status, tt.want, p.body)
				}
			})
		}
		// The gateways list goes through the same mapping.
		f := form("14.1.104.0/24")
		f["vpn_endpoints"] = "vpn.example.com\n\n\nnot a host!"
		if p := b.multipart("/applications", f, nil); p.status != 422 || !strings.Contains(p.body, "Line 4: must be the VPN gateway") {
			t.Fatalf("gateway error = %d, want line 4: %s", p.status, p.body)
		}
	})

	t.Run("CSV file lines, a corrected file chosen again", func(t *testing.T) {
		csv := "address,note\n14.1.106.0/24,a\n\n14.1.108.0/24,b\n\"14.1.109.0/24\",\"two\nlines\"\n14.1.110.0/24,c\n10.0.0.1,bad\n"
		p := b.multipart("/applications", form("14.1.104.0/24"), map[string][2]string{"addresses_csv": {"list.csv", csv}})
		if p.status != 422 {
			t.Fatalf("= %d", p.status)
		}
		for _, want := range []string{"File line 8: 10.0.0.1/32 is private", "CSV file, line 8", ">14.1.104.0/24</textarea>", "Kept from the file \u2068list.csv\u2069: 5 addresses"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the page does not show %q: %s", want, p.body)
			}
		}
		m := kept.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatal("the file's rows are not kept with the form")
		}
		rows := html.UnescapeString(m[1])
		// The person chooses the corrected file again: its rows replace the
		// kept ones.
		f := form("14.1.104.0/24")
		f["addresses_csv_kept"], f["addresses_csv_name"] = rows, "list.csv"
		fixed := strings.Replace(csv, "10.0.0.1,bad", "14.1.111.0/24,fixed", 1)
		got := saved(b.multipart("/applications", f, map[string][2]string{"addresses_csv": {"list.csv", fixed}}))
		if want := "14.1.104.0/24 14.1.106.0/24 14.1.108.0/24 14.1.109.0/24 14.1.110.0/24 14.1.111.0/24"; strings.Join(got, " ") != want {
			t.Fatalf("addresses = %v, want %s", got, want)
		}
	})

	t.Run("kept rows when only the box was wrong, and removed on request", func(t *testing.T) {
		p := b.multipart("/applications", form("10.0.0.1"), map[string][2]string{"addresses_csv": {"list.csv", "14.1.106.0/24\n"}})
		if p.status != 422 || !strings.Contains(p.body, "Line 1: 10.0.0.1/32") {
			t.Fatalf("= %d: %s", p.status, p.body)
		}
		m := kept.FindStringSubmatch(p.body)
		if m == nil {
			t.Fatal("the file's rows are not kept with the form")
		}
		f := form("14.1.104.0/24")
		f["addresses_csv_kept"], f["addresses_csv_name"] = html.UnescapeString(m[1]), "list.csv"
		if got := saved(b.multipart("/applications", f, nil)); strings.Join(got, " ") != "14.1.104.0/24 14.1.106.0/24" {
			t.Fatalf("addresses = %v, want the box's and the kept file's", got)
		}
		f["addresses_csv_drop"] = "1"
		if got := saved(b.multipart("/applications", f, nil)); strings.Join(got, " ") != "14.1.104.0/24" {
			t.Fatalf("addresses = %v, want the kept rows removed", got)
		}
	})
}
