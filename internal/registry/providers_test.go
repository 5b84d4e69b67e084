package registry_test

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	. "github.com/ipreg/ipreg/internal/registry"
)

func str(s string) *string { return &s }

func validProvider() ProviderInput {
	return ProviderInput{Name: str("  Safe Tunnels Ltd "), LicenceNumber: str("pta/vpn/2026/004"), LicenceDate: str("2026-02-01"),
		Status: str("active"), Website: str("https://safetunnels.example.pk/")}
}

// Every rule of a provider's fields, each field on its own: the field
// named, and the message saying how to fix it.
func TestProviderValidation(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*ProviderInput)
		field string
		want  string // part of the message
	}{
		{"no name", func(in *ProviderInput) { in.Name = str("  ") }, "name", "is required"},
		{"long name", func(in *ProviderInput) { in.Name = str(strings.Repeat("n", 121)) }, "name", "at most 120"},
		{"control character", func(in *ProviderInput) { in.Name = str("Safe\x00Tunnels") }, "name", "control characters"},
		// Tester t2, minors 7 and 8.
		{"line break", func(in *ProviderInput) { in.Name = str("Safe\nTunnels") }, "name", "on one line"},
		{"line separator", func(in *ProviderInput) { in.Name = str("Safe\u2028Tunnels") }, "name", "on one line"},
		{"next line (NEL)", func(in *ProviderInput) { in.Name = str("Safe\u0085Tunnels") }, "name", "on one line"},
		{"tab", func(in *ProviderInput) { in.Name = str("Safe\tTunnels") }, "name", "contains a tab character; type a space instead"},
		{"C1 control", func(in *ProviderInput) { in.Name = str("Safe\u0080Tunnels") }, "name", "control characters"},
		{"escape", func(in *ProviderInput) { in.Name = str("Safe\x1b[1mTunnels") }, "name", "control characters"},
		{"noncharacter FFFE", func(in *ProviderInput) { in.Name = str("Safe\uFFFETunnels") }, "name", "noncharacter (U+FFFE)"},
		{"noncharacter FDD0", func(in *ProviderInput) { in.Name = str("Safe\uFDD0Tunnels") }, "name", "noncharacter (U+FDD0)"},
		{"no licence", func(in *ProviderInput) { in.LicenceNumber = nil }, "licence_number", "is required"},
		{"licence with spaces", func(in *ProviderInput) { in.LicenceNumber = str("PTA VPN 1") }, "licence_number", "letters, digits, / . or -"},
		{"licence too short", func(in *ProviderInput) { in.LicenceNumber = str("P1") }, "licence_number", "3 to 40"},
		{"licence in Urdu digits", func(in *ProviderInput) { in.LicenceNumber = str("PTA/۲۰۲۶") }, "licence_number", "letters, digits"},
		{"no date", func(in *ProviderInput) { in.LicenceDate = str("") }, "licence_date", "is required"},
		{"day first", func(in *ProviderInput) { in.LicenceDate = str("01-02-2026") }, "licence_date", "YYYY-MM-DD"},
		{"no such day", func(in *ProviderInput) { in.LicenceDate = str("2026-02-30") }, "licence_date", "YYYY-MM-DD"},
		{"future", func(in *ProviderInput) { in.LicenceDate = str("2026-11-24") }, "licence_date", "cannot be granted in the future"},
		{"too early", func(in *ProviderInput) { in.LicenceDate = str("1999-12-31") }, "licence_date", "between 2000-01-01"},
		{"unknown status", func(in *ProviderInput) { in.Status = str("paused") }, "status", `"suspended"`},
		{"http", func(in *ProviderInput) { in.Website = str("http://safetunnels.example.pk") }, "website", "https://"},
		{"no scheme", func(in *ProviderInput) { in.Website = str("www.safetunnels.pk") }, "website", "full https address"},
		{"javascript", func(in *ProviderInput) { in.Website = str("javascript:alert(1)") }, "website", "full https address"},
		{"credentials", func(in *ProviderInput) { in.Website = str("https://user:pw@safetunnels.pk") }, "website", "user name or password"},
		{"space", func(in *ProviderInput) { in.Website = str("https://safe tunnels.pk") }, "website", "without spaces"},
		{"bare host", func(in *ProviderInput) { in.Website = str("https://intranet/") }, "website", "is a name without a domain"},
		{"look-alike", func(in *ProviderInput) { in.Website = str("https://p\u0430ypal.pk") }, "website", "mixes Latin and Cyrillic letters"},
		{"loopback", func(in *ProviderInput) { in.Website = str("https://127.1/") }, "website", "is a loopback address"},
		{"long", func(in *ProviderInput) { in.Website = str("https://a.pk/" + strings.Repeat("x", 200)) }, "website", "at most 200"},
	}
	eachStore(t, func(t *testing.T, h *harness) {
		admin := h.staff("admin")
		for _, tt := range tests {
			in := validProvider()
			tt.edit(&in)
			_, err := h.svc.AddProvider(h.ctx, admin, in)
			e, ok := err.(*Error)
			if !ok || e.Code != EINVALID || len(e.Fields) != 1 || !strings.Contains(e.Fields[tt.field], tt.want) {
				t.Errorf("%s: %v; want %s on %s only", tt.name, err, tt.want, tt.field)
			}
		}
		before, _ := h.svc.ListProviders(h.ctx)
		if len(before) != len(DemoProviders) {
			t.Errorf("refused adds left providers: %d, want the %d demo ones", len(before), len(DemoProviders))
		}
	})
}

// Adding, changing and listing: admins only, fields normalised, the
// licence number unique (on add and on change, under its field), a
// change recorded with old and new values, an empty change recording
// nothing, and the register public.
func TestProviderLifecycle(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		admin, reviewer, applicant := h.staff("admin"), h.staff("reviewer"), h.applicant("individual")
		for _, u := range []*User{nil, reviewer, applicant} {
			if _, err := h.svc.AddProvider(h.ctx, u, validProvider()); ErrorCode(err) != EUNAUTHORIZED && ErrorCode(err) != EFORBIDDEN {
				t.Errorf("AddProvider by %v: %v", u, err)
			}
		}
		p, err := h.svc.AddProvider(h.ctx, admin, validProvider())
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Safe Tunnels Ltd" || p.LicenceNumber != "PTA/VPN/2026/004" || p.Status != ProviderActive || !strings.HasPrefix(p.ID, "prv_") {
			t.Errorf("added %+v", p)
		}
		noStatus := validProvider()
		noStatus.Status, noStatus.LicenceNumber = nil, str("PTA/VPN/2026/005")
		if q, err := h.svc.AddProvider(h.ctx, admin, noStatus); err != nil || q.Status != ProviderActive {
			t.Errorf("without a status: %+v, %v; want active", q, err)
		}
		again := validProvider()
		again.Name = str("Another")
		_, err = h.svc.AddProvider(h.ctx, admin, again)
		if e, ok := err.(*Error); !ok || e.Code != ECONFLICT || e.Fields["licence_number"] == "" {
			t.Errorf("duplicate licence: %v; want a conflict on licence_number", err)
		}
		if _, err := h.svc.UpdateProvider(h.ctx, reviewer, p.ID, ProviderInput{Status: str("revoked")}); ErrorCode(err) != EFORBIDDEN {
			t.Errorf("UpdateProvider by a reviewer: %v", err)
		}
		if _, err := h.svc.UpdateProvider(h.ctx, admin, "prv_none", ProviderInput{Status: str("revoked")}); ErrorCode(err) != ENOTFOUND {
			t.Errorf("UpdateProvider of an unknown id: %v", err)
		}
		if _, err := h.svc.UpdateProvider(h.ctx, admin, p.ID, ProviderInput{LicenceNumber: str("pta/vpn/2026/005")}); ErrorCode(err) != ECONFLICT {
			t.Errorf("change to a taken licence: %v", err)
		}
		if _, err := h.svc.UpdateProvider(h.ctx, admin, p.ID, ProviderInput{Website: str("ftp://x.pk")}); ErrorCode(err) != EINVALID {
			t.Errorf("change to a bad website: %v", err)
		}
		h.clock.Add(time.Hour)
		q, err := h.svc.UpdateProvider(h.ctx, admin, p.ID, ProviderInput{Status: str("suspended"), Website: str("")})
		if err != nil || q.Status != ProviderSuspended || q.Website != "" || q.Name != p.Name || !q.UpdatedAt.After(p.UpdatedAt) {
			t.Fatalf("UpdateProvider = %+v, %v", q, err)
		}
		same, err := h.svc.UpdateProvider(h.ctx, admin, p.ID, ProviderInput{Status: str("suspended")})
		if err != nil || !reflect.DeepEqual(same, q) {
			t.Errorf("a change to the same = %+v, %v", same, err)
		}
		got, err := h.svc.Provider(h.ctx, p.ID)
		if err != nil || !reflect.DeepEqual(got, q) {
			t.Errorf("Provider = %+v, %v; want %+v", got, err, q)
		}
		all, err := h.svc.ListProviders(h.ctx)
		if err != nil || len(all) != len(DemoProviders)+2 {
			t.Errorf("ListProviders: %d, %v", len(all), err)
		}
		var actions []string
		var detail string
		h.db.Read(h.ctx, func(tx Tx) error {
			es, err := tx.AuditEntriesAbout(h.ctx, []AuditObject{{Type: "provider", ID: p.ID}})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range es {
				actions = append(actions, e.Action)
				detail = e.Detail
			}
			return nil
		})
		if want := []string{"provider.created", "provider.updated"}; !reflect.DeepEqual(actions, want) {
			t.Errorf("audit = %v, want %v (a change to the same records nothing)", actions, want)
		}
		if want := `{"status":["active","suspended"],"website":["https://safetunnels.example.pk",""]}`; detail != want {
			t.Errorf("audit detail = %s, want %s", detail, want)
		}
	})
}

// A provider's revision is 1 when added and one more for each change
// that changes something; a change naming an older revision is refused
// and changes nothing, one naming the current revision passes, and
// adding with a revision is refused (as a notice's revision).
func TestProviderRevision(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		admin := h.staff("admin")
		withRevision := validProvider()
		withRevision.Revision = 1
		if _, err := h.svc.AddProvider(h.ctx, admin, withRevision); ErrorCode(err) != EINVALID {
			t.Errorf("add with a revision: %v", err)
		}
		p, err := h.svc.AddProvider(h.ctx, admin, validProvider())
		if err != nil || p.Revision != 1 {
			t.Fatalf("added %+v, %v; want revision 1", p, err)
		}
		tests := []struct {
			name     string
			in       ProviderInput
			code     Code // "" for saved
			revision int  // after
		}{
			{"unchecked", ProviderInput{Status: str("suspended")}, "", 2},
			{"the same again", ProviderInput{Status: str("suspended"), Revision: 2}, "", 2},
			{"current", ProviderInput{Status: str("expired"), Revision: 2}, "", 3},
			{"stale", ProviderInput{Status: str("active"), Revision: 2}, ECONFLICT, 3},
			{"from the future", ProviderInput{Status: str("active"), Revision: 9}, ECONFLICT, 3},
			{"negative", ProviderInput{Status: str("active"), Revision: -1}, EINVALID, 3},
			{"current again", ProviderInput{Status: str("revoked"), Revision: 3}, "", 4},
		}
		for _, tt := range tests {
			_, err := h.svc.UpdateProvider(h.ctx, admin, p.ID, tt.in)
			cur, _ := h.svc.Provider(h.ctx, p.ID)
			if ErrorCode(err) != tt.code || cur.Revision != tt.revision {
				t.Errorf("%s: %v, revision %d; want %q, revision %d", tt.name, err, cur.Revision, tt.code, tt.revision)
			}
			if tt.code == ECONFLICT && (cur.Status == ProviderActive || !strings.Contains(err.Error(), "you edited revision")) {
				t.Errorf("%s: %v; status now %s", tt.name, err, cur.Status)
			}
		}
	})
}

// A website is stored in one canonical form (scheme and host in lower
// case, an IDN in Unicode whether typed so or as xn--, no default port,
// no leading zeros in a port, no path of "/" alone), so two providers whose websites differ
// only in spelling have equal websites; a change to such a spelling
// changes nothing.
func TestProviderWebsiteCanonical(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		admin := h.staff("admin")
		tests := []struct {
			typed []string
			want  string
		}{
			{[]string{"https://safe.example.pk/VPN", "HTTPS://SAFE.Example.PK/VPN", "https://safe.example.pk:443/VPN", "https://safe.example.pk:00443/VPN"}, "https://safe.example.pk/VPN"},
			{[]string{"https://مثال.پاکستان", "https://xn--mgbh0fb.xn--mgbai9azgqp6j", "https://XN--MGBH0FB.xn--mgbai9azgqp6j:443"}, "https://مثال.پاکستان"},
			{[]string{"https://safe.example.pk:8443/", "https://safe.example.pk:8443", "https://Safe.example.pk:08443/"}, "https://safe.example.pk:8443"},
			{[]string{"https://home.example.pk/?lang=ur", "https://home.example.pk?lang=ur"}, "https://home.example.pk?lang=ur"},
		}
		n := 0
		for _, tt := range tests {
			var ids []string
			for _, w := range tt.typed {
				n++
				in := validProvider()
				in.LicenceNumber, in.Website = str(fmt.Sprintf("PTA/VPN/2026/%03d", n)), str(w)
				p, err := h.svc.AddProvider(h.ctx, admin, in)
				if err != nil {
					t.Fatalf("add with %q: %v", w, err)
				}
				ids = append(ids, p.ID)
			}
			for i, id := range ids {
				got, err := h.svc.Provider(h.ctx, id) // as stored
				if err != nil || got.Website != tt.want {
					t.Errorf("typed %q, stored %q (%v); want %q", tt.typed[i], got.Website, err, tt.want)
				}
			}
			// Another spelling of the same address changes nothing.
			before, _ := h.svc.Provider(h.ctx, ids[0])
			after, err := h.svc.UpdateProvider(h.ctx, admin, ids[0], ProviderInput{Website: str(tt.typed[len(tt.typed)-1])})
			if err != nil || after.Revision != before.Revision || after.Website != tt.want {
				t.Errorf("respelled %q: %+v, %v; want no change", tt.typed[len(tt.typed)-1], after, err)
			}
		}
	})
}

// The demo's providers are added once: EnsureDemo on every restart of
// ipreg serve --demo finds them and adds none again.
func TestDemoProvidersOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		if err := h.svc.EnsureDemo(h.ctx, "demo-password-1"); err != nil {
			t.Fatal(err)
		}
		ps, err := h.svc.ListProviders(h.ctx)
		if err != nil || len(ps) != len(DemoProviders) {
			t.Fatalf("after EnsureDemo twice: %d providers, %v", len(ps), err)
		}
		for _, p := range ps {
			if !strings.Contains(p.Name, "fictional") || !strings.HasPrefix(p.LicenceNumber, "DEMO/") {
				t.Errorf("demo provider %+v is not clearly fictional", p)
			}
		}
	})
}

// The licence date's "today" is the day in Pakistan (tester t2, minor 1):
// at 01:00 PKT on 24 November (20:00 UTC on the 23rd) a licence granted
// that day is taken, the next day's is not.
func TestProviderLicenceDayIsPakistans(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		admin := h.staff("admin")
		h.clock.Add(time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC).Sub(h.clock.Now()))
		for _, tc := range []struct {
			day string
			ok  bool
		}{{"2026-11-24", true}, {"2026-11-25", false}} {
			in := validProvider()
			in.LicenceDate, in.LicenceNumber = str(tc.day), str("PTA/VPN/"+tc.day)
			_, err := h.svc.AddProvider(h.ctx, admin, in)
			if (err == nil) != tc.ok {
				t.Errorf("licence date %s at 01:00 PKT on 2026-11-24: %v, want ok %v", tc.day, err, tc.ok)
			}
		}
	})
}

// A notice's expiry rules (tester t2, minors 2, 7, 8, 10): a new expiry is
// in the future and at most ten years ahead; an expired notice changes
// only with a new expiry; titles are one line; no noncharacters.
func TestNoticeExpiryRules(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		admin := h.staff("admin")
		now := h.clock.Now()
		base := NoticeInput{TitleEN: "Deadline", TitleUR: "آخری تاریخ", BodyEN: "Text.", BodyUR: "متن۔", ExpiresAt: now.Add(2 * time.Hour)}
		n, err := h.svc.PublishNotice(h.ctx, admin, base)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name  string
			edit  func(*NoticeInput)
			field string
			want  string
		}{
			{"expiry in the past", func(in *NoticeInput) { in.ExpiresAt = now.Add(-time.Minute) }, "expires_at", "after the publication time"},
			{"year 9999", func(in *NoticeInput) { in.ExpiresAt = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC) }, "expires_at", "at most 10 years ahead"},
			{"title with a line break", func(in *NoticeInput) { in.TitleEN = "Dead\nline" }, "title_en", "on one line"},
			{"body with a noncharacter", func(in *NoticeInput) { in.BodyEN = "Text\uFFFF." }, "body_en", "noncharacter"},
			{"title with a tab", func(in *NoticeInput) { in.TitleEN = "Dead\tline" }, "title_en", "contains a tab character; type a space instead"},
			{"Urdu title with a tab", func(in *NoticeInput) { in.TitleUR = "اہم\tاعلان" }, "title_ur", "contains a tab character"},
			{"title with a C1 control", func(in *NoticeInput) { in.TitleEN = "Dead\u0090line" }, "title_en", "control characters"},
			{"title with NEL", func(in *NoticeInput) { in.TitleEN = "Dead\u0085line" }, "title_en", "on one line"},
			{"body with a C1 control", func(in *NoticeInput) { in.BodyEN = "Text\u009b1m." }, "body_en", "control characters"},
		} {
			in := base
			in.Revision = n.Revision
			tc.edit(&in)
			_, err := h.svc.EditNotice(h.ctx, admin, n.ID, in)
			if e, ok := err.(*Error); !ok || e.Code != EINVALID || !strings.Contains(e.Fields[tc.field], tc.want) {
				t.Errorf("%s: %v; want %q on %s", tc.name, err, tc.want, tc.field)
			}
		}
		// An hour on, a new expiry earlier than now (but after publication)
		// is refused: the page would claim it was shown until then.
		h.clock.Add(time.Hour)
		in := base
		in.ExpiresAt = now.Add(30 * time.Minute)
		if _, err := h.svc.EditNotice(h.ctx, admin, n.ID, in); !strings.Contains(fieldOf(err, "expires_at"), "must not be in the past") {
			t.Errorf("past expiry on a current notice: %v", err)
		}
		// Expired: rewording alone is refused; a new future expiry brings
		// it back, as a revision.
		h.clock.Add(2 * time.Hour)
		in = base
		in.BodyEN = "Other text."
		if _, err := h.svc.EditNotice(h.ctx, admin, n.ID, in); !strings.Contains(fieldOf(err, "expires_at"), "new expiry date in the future") {
			t.Errorf("rewording an expired notice: %v", err)
		}
		in.ExpiresAt = h.clock.Now().Add(24 * time.Hour)
		if e, err := h.svc.EditNotice(h.ctx, admin, n.ID, in); err != nil || e.Status(h.clock.Now()) != NoticeCurrent || e.Revision != 2 {
			t.Errorf("bringing an expired notice back = %+v, %v", e, err)
		}
	})
}

func fieldOf(err error, field string) string {
	if e, ok := err.(*Error); ok {
		return e.Fields[field]
	}
	return ""
}

// A website stored before today's rule (or written to the database
// directly) that fails it does not block a change of the provider's other
// fields: a revocation, a new name, the form sending the website back
// unchanged all go through and keep it as stored, and the provider says
// what is wrong with it without refusing (WebsiteProblem, WebsiteWarning).
// A new website is checked as ever: another failing one is refused with
// the field's message, and nothing changes. A stored website that meets
// the rule but is not canonical is put in canonical form by the next
// change, as before.
func TestProviderLegacyWebsite(t *testing.T) {
	tests := []struct {
		name    string
		website string // as stored
		problem string // part of WebsiteProblem; "" for none
		canon   string // for a website that meets the rule: after a change
	}{
		{"look-alike", "https://p\u0430ypal.pk/vpn", "mixes Latin and Cyrillic letters in one part (p\u0430ypal)", ""},
		{"look-alike as xn--", "https://xn--pypal-4ve.pk", "mixes Latin and Cyrillic letters", ""},
		{"plain http", "http://old.example.pk", "must start with https://", ""},
		{"IP address", "https://203.99.48.7/", "is an IP address", ""},
		{"full-width", "https://ｗｗｗ.example.pk/", "type it as www.example.pk", ""},
		{"not canonical", "HTTPS://Old.Example.PK:443/VPN", "", "https://old.example.pk/VPN"},
	}
	eachStore(t, func(t *testing.T, h *harness) {
		admin := h.staff("admin")
		for i, tt := range tests {
			stored := &Provider{ID: fmt.Sprintf("prv_legacy%d", i), Name: "Old Tunnels " + tt.name, LicenceNumber: fmt.Sprintf("PTA/VPN/2020/%03d", i),
				LicenceDate: "2020-01-01", Status: ProviderActive, Website: tt.website, CreatedAt: h.clock.Now(), UpdatedAt: h.clock.Now(), Revision: 1}
			if err := h.db.Write(h.ctx, func(tx Tx) error { return tx.CreateProvider(h.ctx, stored) }); err != nil {
				t.Fatal(err)
			}
			// The public reads it as stored, and the warning says what is
			// wrong and how to fix it.
			got, err := h.svc.Provider(h.ctx, stored.ID)
			if err != nil || got.Website != tt.website {
				t.Fatalf("%s: Provider = %+v, %v", tt.name, got, err)
			}
			if p := got.WebsiteProblem(); tt.problem == "" && p != "" || !strings.Contains(p, tt.problem) {
				t.Errorf("%s: WebsiteProblem = %q, want %q", tt.name, p, tt.problem)
			}
			if w := got.WebsiteWarning(); tt.problem != "" && (!strings.Contains(w, tt.problem) || !strings.Contains(w, "kept as it is") || !strings.Contains(w, "To fix it")) ||
				tt.problem == "" && w != "" {
				t.Errorf("%s: WebsiteWarning = %q", tt.name, w)
			}

			// (b) Another failing website is refused, with the status
			// change sent alongside: nothing changes.
			_, err = h.svc.UpdateProvider(h.ctx, admin, stored.ID, ProviderInput{Status: str("revoked"), Website: str("https://g\u03bfogle.pk"), Revision: 1})
			if e, ok := err.(*Error); !ok || e.Code != EINVALID || !strings.Contains(e.Fields["website"], "mixes Latin and Greek letters") {
				t.Errorf("%s: a new failing website: %v; want it refused on website", tt.name, err)
			}
			if cur, _ := h.svc.Provider(h.ctx, stored.ID); !reflect.DeepEqual(cur, got) {
				t.Errorf("%s: after the refusal: %+v; want %+v", tt.name, cur, got)
			}

			// (a) The status alone (PATCH leaving the website out), then
			// the edit form's way: every field sent, the website as shown.
			h.clock.Add(time.Minute)
			want := tt.website
			if tt.canon != "" {
				want = tt.canon
			}
			revoked, err := h.svc.UpdateProvider(h.ctx, admin, stored.ID, ProviderInput{Status: str("revoked"), Revision: 1})
			if err != nil || revoked.Status != ProviderRevoked || revoked.Website != want || revoked.Revision != 2 {
				t.Fatalf("%s: revoking: %+v, %v; want revoked, website %q, revision 2", tt.name, revoked, err, want)
			}
			renamed, err := h.svc.UpdateProvider(h.ctx, admin, stored.ID, ProviderInput{Name: str("Old Tunnels Ltd " + tt.name), LicenceNumber: &stored.LicenceNumber,
				LicenceDate: &stored.LicenceDate, Status: str("suspended"), Website: str(revoked.Website), Revision: 2})
			if err != nil || renamed.Status != ProviderSuspended || renamed.Website != want || renamed.Revision != 3 {
				t.Fatalf("%s: the form's change: %+v, %v", tt.name, renamed, err)
			}
			if cur, _ := h.svc.Provider(h.ctx, stored.ID); !reflect.DeepEqual(cur, renamed) {
				t.Errorf("%s: stored %+v, want %+v", tt.name, cur, renamed)
			}
			// The audit log names the website only when it changed (put
			// in canonical form).
			var details []string
			h.db.Read(h.ctx, func(tx Tx) error {
				es, err := tx.AuditEntriesAbout(h.ctx, []AuditObject{{Type: "provider", ID: stored.ID}})
				for _, e := range es {
					details = append(details, e.Detail)
				}
				return err
			})
			if len(details) != 2 || strings.Contains(details[0], "website") != (tt.canon != "") || strings.Contains(details[1], "website") {
				t.Errorf("%s: audit %q", tt.name, details)
			}

			// A website that meets the rule replaces it, and the warning
			// goes.
			fixed, err := h.svc.UpdateProvider(h.ctx, admin, stored.ID, ProviderInput{Website: str("https://old-tunnels.example.pk"), Revision: 3})
			if err != nil || fixed.Website != "https://old-tunnels.example.pk" || fixed.WebsiteWarning() != "" {
				t.Errorf("%s: fixing the website: %+v, %v", tt.name, fixed, err)
			}
		}
		// A website holding a line break or NUL (written straight to the
		// database) comes back from the edit form as a browser shows it:
		// line breaks dropped, NUL as U+FFFD. That is no change: the
		// status changes and the website stays as stored, whether what
		// came back would pass (https) or not (http).
		stored := []string{"https://line.example.pk/a\nb", "http://nl.example.pk/a\r\nb", "http://nul.example.pk/\x00x"}
		if strings.HasSuffix(t.Name(), "/postgres") {
			stored[2] = "http://cr.example.pk/a\rb" // PostgreSQL's text holds no NUL
		}
		for i, stored := range stored {
			p := &Provider{ID: fmt.Sprintf("prv_formshown%d", i), Name: "Form Shown " + strconv.Itoa(i), LicenceNumber: fmt.Sprintf("PTA/VPN/2021/%03d", i),
				LicenceDate: "2021-01-01", Status: ProviderActive, Website: stored, CreatedAt: h.clock.Now(), UpdatedAt: h.clock.Now(), Revision: 1}
			if err := h.db.Write(h.ctx, func(tx Tx) error { return tx.CreateProvider(h.ctx, p) }); err != nil {
				t.Fatal(err)
			}
			shown := strings.NewReplacer("\r", "", "\n", "", "\x00", "\uFFFD").Replace(stored)
			got, err := h.svc.UpdateProvider(h.ctx, admin, p.ID, ProviderInput{Name: &p.Name, LicenceNumber: &p.LicenceNumber, LicenceDate: &p.LicenceDate,
				Status: str("revoked"), Website: str(shown), Revision: 1})
			if err != nil || got.Status != ProviderRevoked || got.Website != stored {
				t.Errorf("%q sent back as the form shows it (%q): %+v, %v; want revoked, the website as stored", stored, shown, got, err)
			}
		}
		// (c) The register lists them all.
		ps, err := h.svc.ListProviders(h.ctx)
		if err != nil || len(ps) != len(DemoProviders)+len(tests)+3 {
			t.Errorf("ListProviders: %d, %v", len(ps), err)
		}
	})
}

// A website stored before the canonical form (upper case, :443, a port
// with a leading zero, an IDN as xn--, a path of "/" alone) is the same address as its
// canonical form: an edit that sends it back as shown, or respelled,
// changing nothing else, is no change (same revision, no audit entry,
// the website as stored); a change of another field stores it in
// canonical form with the rest.
func TestProviderLegacyWebsiteRespelled(t *testing.T) {
	tests := []struct{ stored, respelled, canon string }{
		{"HTTPS://Old.Example.PK:443/VPN", "https://old.example.pk/VPN", "https://old.example.pk/VPN"},
		{"https://old.example.pk:08443", "https://OLD.example.pk:8443", "https://old.example.pk:8443"},
		{"https://xn--mgbh0fb.xn--mgbai9azgqp6j/", "https://مثال.پاکستان:0443", "https://مثال.پاکستان"},
		{"https://old.example.pk/", "https://OLD.example.pk", "https://old.example.pk"}, // canonical before "/" alone was dropped
	}
	eachStore(t, func(t *testing.T, h *harness) {
		admin := h.staff("admin")
		for i, tt := range tests {
			p := &Provider{ID: fmt.Sprintf("prv_respelled%d", i), Name: "Respelled " + strconv.Itoa(i), LicenceNumber: fmt.Sprintf("PTA/VPN/2022/%03d", i),
				LicenceDate: "2022-01-01", Status: ProviderActive, Website: tt.stored, CreatedAt: h.clock.Now(), UpdatedAt: h.clock.Now(), Revision: 1}
			if err := h.db.Write(h.ctx, func(tx Tx) error { return tx.CreateProvider(h.ctx, p) }); err != nil {
				t.Fatal(err)
			}
			h.clock.Add(time.Minute)
			for _, sent := range []string{tt.stored, tt.respelled, tt.canon} {
				// The edit form's way: every field sent as shown.
				got, err := h.svc.UpdateProvider(h.ctx, admin, p.ID, ProviderInput{Name: &p.Name, LicenceNumber: &p.LicenceNumber,
					LicenceDate: &p.LicenceDate, Status: str("active"), Website: str(sent), Revision: 1})
				if err != nil || got.Revision != 1 || got.Website != tt.stored || !got.UpdatedAt.Equal(p.UpdatedAt) {
					t.Errorf("stored %q, sent %q: %+v, %v; want no change", tt.stored, sent, got, err)
				}
			}
			var audit int
			h.db.Read(h.ctx, func(tx Tx) error {
				es, err := tx.AuditEntriesAbout(h.ctx, []AuditObject{{Type: "provider", ID: p.ID}})
				audit = len(es)
				return err
			})
			if audit != 0 {
				t.Errorf("stored %q: %d audit entries after edits that changed nothing", tt.stored, audit)
			}
			got, err := h.svc.UpdateProvider(h.ctx, admin, p.ID, ProviderInput{Status: str("suspended"), Website: str(tt.respelled), Revision: 1})
			if err != nil || got.Revision != 2 || got.Status != ProviderSuspended || got.Website != tt.canon {
				t.Errorf("stored %q, suspended: %+v, %v; want revision 2, website %q", tt.stored, got, err, tt.canon)
			}
		}
	})
}

// The same add sent twice by one admin (the form sent twice while the
// first was being saved) returns the provider the first added, not a
// conflict the admin would take for a failure; a different provider with
// the number, another admin's add, or the same add long after is still a
// conflict, naming the provider that holds the number.
func TestProviderAddedTwice(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		admin := h.staff("admin")
		other := *admin
		other.ID = "usr_other_admin"
		p, err := h.svc.AddProvider(h.ctx, admin, validProvider())
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Add(2 * time.Second)
		typedAgain := validProvider()
		typedAgain.LicenceNumber, typedAgain.Name = str(" pta/vpn/2026/004 "), str(" Safe Tunnels Ltd")
		again, err := h.svc.AddProvider(h.ctx, admin, typedAgain)
		if err != nil || !reflect.DeepEqual(again, p) {
			t.Errorf("the same add again = %+v, %v; want %+v", again, err, p)
		}
		differs := validProvider()
		differs.Name = str("Another Ltd")
		for name, tt := range map[string]struct {
			u  *User
			in ProviderInput
		}{"another provider": {admin, differs}, "another admin": {&other, validProvider()}} {
			_, err := h.svc.AddProvider(h.ctx, tt.u, tt.in)
			if e, ok := err.(*Error); !ok || e.Code != ECONFLICT || !strings.Contains(e.Fields["licence_number"], "PTA/VPN/2026/004 is already on the register, held by the provider Safe Tunnels Ltd") {
				t.Errorf("%s: %v; want a conflict naming the provider", name, err)
			}
		}
		h.clock.Add(time.Hour)
		if _, err := h.svc.AddProvider(h.ctx, admin, validProvider()); ErrorCode(err) != ECONFLICT {
			t.Errorf("the same add an hour later: %v; want a conflict", err)
		}
	})
}

// A notice published with a form's id, sent again (a double click),
// returns the notice published, once; the id with other texts, or from
// another admin, is a conflict; an id the form did not make is refused.
func TestNoticePublishedTwice(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		admin := h.staff("admin")
		other := *admin
		other.ID = "usr_other_admin"
		in := NoticeInput{ID: "ntc_abcdefghijklmnop", TitleEN: "Office closed", TitleUR: "دفتر بند", BodyEN: "Closed on Friday.", BodyUR: "جمعہ کو بند۔"}
		n, err := h.svc.PublishNotice(h.ctx, admin, in)
		if err != nil {
			t.Fatal(err)
		}
		h.clock.Add(2 * time.Second)
		again, err := h.svc.PublishNotice(h.ctx, admin, in)
		if err != nil || again.ID != n.ID || again.Revision != 1 {
			t.Errorf("the same form again = %+v, %v; want notice %s", again, err, n.ID)
		}
		differs := in
		differs.BodyEN = "Closed on Saturday."
		for name, tt := range map[string]struct {
			u  *User
			in NoticeInput
		}{"other texts": {admin, differs}, "another admin": {&other, in}} {
			if _, err := h.svc.PublishNotice(h.ctx, tt.u, tt.in); ErrorCode(err) != ECONFLICT || !strings.Contains(err.Error(), `this form published the notice "Office closed" already`) {
				t.Errorf("%s: %v; want a conflict", name, err)
			}
		}
		bad := in
		bad.ID = "ntc_x'; --"
		if _, err := h.svc.PublishNotice(h.ctx, admin, bad); ErrorCode(err) != EINVALID {
			t.Errorf("a made-up id: %v; want EINVALID", err)
		}
		ns, _ := h.svc.ListNotices(h.ctx, true)
		if len(ns) != 1 {
			t.Errorf("%d notices, want 1", len(ns))
		}
	})
}
