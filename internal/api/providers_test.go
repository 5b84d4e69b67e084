package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ipreg/ipreg/internal/registry"
)

// testProviders walks the register of licensed VPN providers through the
// API: admins add and change, everyone reads JSON and CSV (RFC 4180, with
// a header row, UTF-8, CRLF), and every refusal names its field.
func testProviders(t *testing.T, c *client) {
	admin, reviewer := c.login("admin@demo.test"), c.login("reviewer@demo.test")
	demo := c.want(c.do("GET", "/api/v1/providers", "", nil), 200).list(t)
	if len(demo) != 3 {
		t.Fatalf("demo register: %d providers, want 3", len(demo))
	}

	c.want(c.do("POST", "/api/v1/admin/providers", reviewer, map[string]string{"name": "X"}), 403)
	c.want(c.do("POST", "/api/v1/admin/providers", "", map[string]string{"name": "X"}), 401)
	bad := c.want(c.do("POST", "/api/v1/admin/providers", admin, map[string]string{
		"name": "", "licence_number": "no spaces allowed", "licence_date": "14/03/2025", "status": "paused", "website": "http://x.pk"}), 422)
	for _, f := range []string{"name", "licence_number", "licence_date", "status", "website"} {
		if bad.errorField(t, f) == "" {
			t.Errorf("422 without a message for %s: %s", f, bad.body)
		}
	}
	c.want(c.raw("POST", "/api/v1/admin/providers", admin, "application/json", []byte(`{"name":"X","colour":"red"}`)), 400)

	// A name a spreadsheet would run as a formula, and one in Urdu.
	p := c.want(c.do("POST", "/api/v1/admin/providers", admin, map[string]string{
		"name": "=HYPERLINK(\"x\")", "licence_number": "pta/vpn/2026/010", "licence_date": "2026-01-05", "website": "https://formula.example.pk"}), 201).json(t)
	if p["licence_number"] != "PTA/VPN/2026/010" || p["status"] != "active" {
		t.Errorf("created %v", p)
	}
	urdu := c.want(c.do("POST", "/api/v1/admin/providers", admin, map[string]string{
		"name": "محفوظ نیٹ ورکس, لمیٹڈ", "licence_number": "PTA/VPN/2026/011", "licence_date": "2026-02-01"}), 201).json(t)
	dup := c.want(c.do("POST", "/api/v1/admin/providers", admin, map[string]string{
		"name": "Again", "licence_number": "PTA/VPN/2026/010", "licence_date": "2026-01-05"}), 409)
	if dup.errorField(t, "licence_number") == "" {
		t.Errorf("409 without the licence_number field: %s", dup.body)
	}

	id := urdu["id"].(string)
	c.want(c.do("PATCH", "/api/v1/admin/providers/"+id, reviewer, map[string]string{"status": "revoked"}), 403)
	c.want(c.do("PATCH", "/api/v1/admin/providers/prv_none", admin, map[string]string{"status": "revoked"}), 404)
	c.want(c.do("PATCH", "/api/v1/admin/providers/"+id, admin, map[string]string{"licence_number": "PTA/VPN/2026/010"}), 409)
	c.want(c.do("PATCH", "/api/v1/admin/providers/"+id, admin, map[string]string{"website": "https://user:pw@x.pk"}), 422)
	// revision is PATCH's precondition (tester t2, M2), as a notice's:
	// the revision read passes, an older one is refused and changes
	// nothing; POST refuses it. updated_at is read-only information: sent,
	// it is refused with a word about revision, not ignored.
	c.want(c.do("POST", "/api/v1/admin/providers", admin, map[string]any{
		"name": "Versioned", "licence_number": "PTA/VPN/2026/012", "licence_date": "2026-02-01", "revision": 1}), 422)
	read := urdu["updated_at"].(string)
	if urdu["revision"] != 1.0 {
		t.Errorf("a new provider's revision is %v, want 1", urdu["revision"])
	}
	if e := c.want(c.do("PATCH", "/api/v1/admin/providers/"+id, admin, map[string]string{"status": "active", "updated_at": read}), 422).errorField(t, "updated_at"); !strings.Contains(e, "send the revision") {
		t.Errorf("updated_at as a precondition: %q", e)
	}
	changed := c.want(c.do("PATCH", "/api/v1/admin/providers/"+id, admin, map[string]any{"status": "suspended", "website": "HTTPS://Mahfooz.Example.PK:443", "revision": 1}), 200).json(t)
	c.want(c.do("PATCH", "/api/v1/admin/providers/"+id, admin, map[string]any{"status": "active", "revision": 1}), 409)
	if changed["status"] != "suspended" || changed["updated_at"] == read || changed["revision"] != 2.0 || changed["name"] != urdu["name"] || changed["website"] != "https://mahfooz.example.pk" {
		t.Errorf("after PATCH: %v", changed)
	}
	// Refusals of a website say why.
	for website, want := range map[string]string{
		"https://p\u0430ypal.pk": "mixes Latin and Cyrillic letters in one part (p\u0430ypal)",
		"https://127.1/":         "127.1 (which browsers read as 127.0.0.1) is a loopback address",
		"https://localhost/":     "localhost is a loopback address",
		"https://[::1]/":         "::1 is a loopback address",
		"https://10.0.0.1/":      "10.0.0.1 is a private network address",
	} {
		e := c.want(c.do("PATCH", "/api/v1/admin/providers/"+id, admin, map[string]any{"website": website, "revision": 2}), 422).errorField(t, "website")
		if !strings.Contains(e, want) || !strings.Contains(e, "a provider's website must be a public host name, such as https://www.example.pk") && !strings.Contains(e, "one alphabet") {
			t.Errorf("website %q: %q; want %q", website, e, want)
		}
	}

	all := c.want(c.do("GET", "/api/v1/providers", "", nil), 200).list(t)
	if len(all) != 5 {
		t.Fatalf("register: %d providers, want 5", len(all))
	}
	c.want(c.do("GET", "/api/v1/providers?format=xml", "", nil), 422)

	res := c.want(c.do("GET", "/api/v1/providers?format=csv", "", nil), 200)
	file := c.want(c.do("GET", "/api/v1/providers.csv", "", nil), 200)
	if !bytes.Equal(res.body, file.body) {
		t.Errorf("?format=csv and providers.csv differ:\n%s\n%s", res.body, file.body)
	}
	if ct := res.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.HasPrefix(res.header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("Content-Disposition %q", res.header.Get("Content-Disposition"))
	}
	if !utf8.Valid(res.body) || bytes.HasPrefix(res.body, []byte("\xef\xbb\xbf")) || !bytes.HasSuffix(res.body, []byte("\r\n")) ||
		bytes.Count(res.body, []byte("\r\n")) != 6 {
		t.Errorf("not UTF-8 without BOM, 6 CRLF-ended lines: %q", res.body)
	}
	rows, err := csv.NewReader(bytes.NewReader(res.body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if want := []string{"name", "licence_number", "licence_date", "status", "website", "updated_at"}; !reflect.DeepEqual(rows[0], want) {
		t.Errorf("header %v, want %v", rows[0], want)
	}
	byLicence := map[string][]string{}
	for i, r := range rows[1:] {
		if r[0] != all[i]["name"] && r[0] != "'"+all[i]["name"].(string) {
			t.Errorf("CSV row %d is %v; JSON has %v in that place", i+1, r, all[i])
		}
		byLicence[r[1]] = r
	}
	if r := byLicence["PTA/VPN/2026/010"]; r == nil || r[0] != "'=HYPERLINK(\"x\")" {
		t.Errorf("formula cell not neutralised: %v", r)
	}
	if r := byLicence["PTA/VPN/2026/011"]; r == nil || r[0] != "محفوظ نیٹ ورکس, لمیٹڈ" || r[3] != "suspended" || r[4] != "https://mahfooz.example.pk" {
		t.Errorf("Urdu row with a comma: %v", r)
	}
	if !bytes.Contains(res.body, []byte(`"محفوظ نیٹ ورکس, لمیٹڈ"`)) {
		t.Errorf("a cell with a comma is not quoted: %s", res.body)
	}

	testProviderLegacyWebsite(t, c, admin)
}

// testProviderLegacyWebsite: a provider whose stored website fails
// today's rule (saved before it, here written to the database directly)
// can still be revoked through PATCH, the answer keeping the website and
// warning the admin; a new failing website is refused (422 on website)
// and changes nothing; the public list and CSV still show it, without the
// admins' warning.
func testProviderLegacyWebsite(t *testing.T, c *client, admin string) {
	const website = "https://p\u0430ypal.pk/vpn" // Latin with a Cyrillic а
	now := time.Now().UTC().Truncate(time.Second)
	legacy := &registry.Provider{ID: "prv_legacyapi", Name: "Legacy Tunnels", LicenceNumber: "PTA/VPN/2019/001", LicenceDate: "2019-05-01",
		Status: registry.ProviderActive, Website: website, CreatedAt: now, UpdatedAt: now, Revision: 1}
	if err := c.db.Write(context.Background(), func(tx registry.Tx) error { return tx.CreateProvider(context.Background(), legacy) }); err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/admin/providers/" + legacy.ID
	e := c.want(c.do("PATCH", path, admin, map[string]any{"status": "revoked", "website": "https://g\u03bfogle.pk", "revision": 1}), 422).errorField(t, "website")
	if !strings.Contains(e, "mixes Latin and Greek letters") {
		t.Errorf("a new failing website: %q", e)
	}
	// A revision below 1 is no revision any provider has: refused, not
	// taken as "no check" (0 was, so a client's default lost its check).
	for _, rev := range []int{0, -1} {
		if e := c.want(c.do("PATCH", path, admin, map[string]any{"status": "revoked", "revision": rev}), 422).errorField(t, "revision"); !strings.Contains(e, "1 or more") {
			t.Errorf("revision %d: %q", rev, e)
		}
	}
	revoked := c.want(c.do("PATCH", path, admin, map[string]any{"status": "revoked", "revision": 1}), 200).json(t)
	w, _ := revoked["website_warning"].(string)
	if revoked["status"] != "revoked" || revoked["website"] != website || revoked["revision"] != 2.0 ||
		!strings.Contains(w, "mixes Latin and Cyrillic letters") || !strings.Contains(w, "To fix it") {
		t.Errorf("revoking a provider with a legacy website: %v", revoked)
	}
	renamed := c.want(c.do("PATCH", path, admin, map[string]any{"name": "Legacy Tunnels Ltd", "website": website}), 200).json(t)
	if renamed["name"] != "Legacy Tunnels Ltd" || renamed["website"] != website || renamed["revision"] != 3.0 {
		t.Errorf("renaming, the website sent back unchanged: %v", renamed)
	}
	found := false
	for _, p := range c.want(c.do("GET", "/api/v1/providers", "", nil), 200).list(t) {
		if p["id"] == legacy.ID {
			found = true
			if p["website"] != website || p["status"] != "revoked" || p["website_warning"] != nil {
				t.Errorf("public list: %v", p)
			}
		}
	}
	if !found {
		t.Errorf("public list without %s", legacy.ID)
	}
	if csv := c.want(c.do("GET", "/api/v1/providers.csv", "", nil), 200); !bytes.Contains(csv.body, []byte("Legacy Tunnels Ltd,PTA/VPN/2019/001,2019-05-01,revoked,"+website+",")) {
		t.Errorf("CSV without the legacy provider: %s", csv.body)
	}
	testAdminProviderGet(t, c, admin, legacy.ID, website)
	fixed := c.want(c.do("PATCH", path, admin, map[string]any{"website": "https://legacy.example.pk"}), 200).json(t)
	if _, ok := fixed["website_warning"]; ok || fixed["website"] != "https://legacy.example.pk" {
		t.Errorf("after fixing the website: %v", fixed)
	}
	// website_warning is a boolean as dry_run is: false lists all, as
	// leaving it out does; another value is refused, echoed.
	all := c.want(c.do("GET", "/api/v1/admin/providers", admin, nil), 200).list(t)
	if no := c.want(c.do("GET", "/api/v1/admin/providers?website_warning=false", admin, nil), 200).list(t); len(no) != len(all) {
		t.Errorf("?website_warning=false lists %d, want all %d", len(no), len(all))
	}
	if got := c.want(c.do("GET", "/api/v1/admin/providers?website_warning=yes", admin, nil), 422).errorField(t, "website_warning"); !strings.Contains(got, `"yes" is neither`) {
		t.Errorf("?website_warning=yes says %q", got)
	}
	c.want(c.do("GET", "/api/v1/admin/providers?website_warning=true&website_warning=false", admin, nil), 400)
	if ws := c.want(c.do("GET", "/api/v1/admin/providers?website_warning=true", admin, nil), 200).list(t); len(ws) != 0 {
		t.Errorf("website warnings after the fix: %v", ws)
	}
	one := c.want(c.do("GET", path, admin, nil), 200).json(t)
	if _, ok := one["website_warning"]; ok || one["revision"] != 4.0 {
		t.Errorf("GET after the fix: %v", one)
	}
	testProvidersOrder(t, c, admin)
}

// testProvidersOrder: names equal ignoring case go by licence number in
// the JSON and the CSV (aPPLE, SORT-9, was listed before apple, SORT-1:
// the capital's byte first), Urdu names too.
func testProvidersOrder(t *testing.T, c *client, admin string) {
	for _, p := range [][2]string{{"aPPLE", "SORT-9"}, {"apple", "SORT-1"}, {"محفوظ نیٹ", "SORT-8"}, {"محفوظ نیٹ", "SORT-2"}} {
		c.want(c.do("POST", "/api/v1/admin/providers", admin, map[string]string{"name": p[0], "licence_number": p[1], "licence_date": "2025-01-05"}), 201)
	}
	want := []string{"SORT-1", "SORT-9", "SORT-2", "SORT-8"}
	var got []string
	for _, p := range c.want(c.do("GET", "/api/v1/providers", "", nil), 200).list(t) {
		if l, _ := p["licence_number"].(string); strings.HasPrefix(l, "SORT-") {
			got = append(got, l)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("JSON order %v, want %v", got, want)
	}
	rows, err := csv.NewReader(bytes.NewReader(c.want(c.do("GET", "/api/v1/providers.csv", "", nil), 200).body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, r := range rows {
		if strings.HasPrefix(r[1], "SORT-") {
			got = append(got, r[1])
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("CSV order %v, want %v", got, want)
	}
}

// testAdminProviderGet: an admin API client finds the providers whose
// stored website carries a warning, and each one's revision, by GET (it
// had to send a PATCH to see a warning); nobody else may.
func testAdminProviderGet(t *testing.T, c *client, admin, id, website string) {
	path := "/api/v1/admin/providers/" + id
	reviewer := c.login("reviewer@demo.test")
	for _, p := range []string{"/api/v1/admin/providers", "/api/v1/admin/providers?website_warning=true", path} {
		c.want(c.do("GET", p, "", nil), 401)
		c.want(c.do("GET", p, reviewer, nil), 403)
	}
	c.want(c.do("GET", "/api/v1/admin/providers/prv_none", reviewer, nil), 403)
	c.want(c.do("GET", "/api/v1/admin/providers/prv_none", admin, nil), 404)
	if e := c.want(c.do("GET", "/api/v1/admin/providers?website_warning=yes", admin, nil), 422).errorField(t, "website_warning"); !strings.Contains(e, `must be "true"`) {
		t.Errorf("?website_warning=yes: %q", e)
	}

	all := c.want(c.do("GET", "/api/v1/admin/providers", admin, nil), 200).list(t)
	public := c.want(c.do("GET", "/api/v1/providers", "", nil), 200).list(t)
	if len(all) != len(public) {
		t.Fatalf("admin list has %d providers, the public %d", len(all), len(public))
	}
	for i, p := range all {
		if p["id"] != public[i]["id"] || p["revision"] != public[i]["revision"] || p["website"] != public[i]["website"] {
			t.Errorf("admin list entry %d %v differs from the public one %v", i, p, public[i])
		}
		w, _ := p["website_warning"].(string)
		if (p["id"] == id) != (w != "") {
			t.Errorf("admin list: %v (want a website warning on %s only)", p, id)
		}
	}
	only := c.want(c.do("GET", "/api/v1/admin/providers?website_warning=true", admin, nil), 200).list(t)
	if len(only) != 1 || only[0]["id"] != id || only[0]["website"] != website {
		t.Fatalf("?website_warning=true: %v", only)
	}
	one := c.want(c.do("GET", path, admin, nil), 200).json(t)
	w, _ := one["website_warning"].(string)
	if one["id"] != id || one["website"] != website || one["revision"] != only[0]["revision"] ||
		!strings.Contains(w, "mixes Latin and Cyrillic letters") || !strings.Contains(w, "To fix it") {
		t.Errorf("GET %s: %v", path, one)
	}
}
