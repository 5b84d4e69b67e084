package api_test

import (
	"strings"
	"testing"
	"time"
)

// testNotices publishes, lists, edits (moving the deadline), withdraws
// and reads back a notice through the API, as an admin and as the public,
// with the refusals each step has.
func testNotices(t *testing.T, c *client) {
	admin := c.login("admin@demo.test")
	reviewer := c.login("reviewer@demo.test")
	expires := time.Now().Add(30 * 24 * time.Hour).UTC().Truncate(time.Second)
	body := map[string]any{"title_en": "Registration deadline", "title_ur": "رجسٹریشن کی آخری تاریخ",
		"body_en": "Register by the date below.\n\n<script>alert(1)</script> is shown as text.", "body_ur": "نیچے دی گئی تاریخ تک رجسٹر کرائیں۔",
		"expires_at": expires.Format(time.RFC3339)}

	// Refusals: not an admin; missing and wrong fields, each named.
	c.want(c.do("POST", "/api/v1/admin/notices", reviewer, body), 403)
	c.want(c.do("POST", "/api/v1/admin/notices", "", body), 401)
	bad := c.want(c.do("POST", "/api/v1/admin/notices", admin, map[string]any{"title_en": "x", "title_ur": "English only",
		"body_en": "", "body_ur": "متن"}), 422)
	for field, want := range map[string]string{"title_ur": "Urdu", "body_en": "required"} {
		if m := bad.errorField(t, field); !strings.Contains(m, want) {
			t.Errorf("%s: %q, want it to say %q", field, m, want)
		}
	}
	// A time that cannot be read is reported with the other fields' errors.
	badTime := c.want(c.do("POST", "/api/v1/admin/notices", admin, map[string]any{"title_en": "x", "title_ur": "عنوان", "body_en": "", "body_ur": "متن",
		"expires_at": "next week"}), 422)
	if m := badTime.errorField(t, "expires_at"); !strings.Contains(m, "RFC 3339") {
		t.Errorf("expires_at: %q", m)
	}
	if m := badTime.errorField(t, "body_en"); !strings.Contains(m, "required") {
		t.Errorf("body_en beside a bad time: %q", m)
	}
	past := c.want(c.do("POST", "/api/v1/admin/notices", admin, map[string]any{"title_en": "x", "title_ur": "عنوان", "body_en": "b", "body_ur": "متن",
		"published_at": "2020-01-01T00:00:00Z"}), 422)
	if m := past.errorField(t, "published_at"); !strings.Contains(m, "past") {
		t.Errorf("published_at in the past: %q", m)
	}

	n := c.want(c.do("POST", "/api/v1/admin/notices", admin, body), 201).json(t)
	id := n["id"].(string)
	if n["status"] != "current" || n["revision"].(float64) != 1 || n["body_en"] != body["body_en"] {
		t.Fatalf("published: %v", n)
	}
	scheduled := c.want(c.do("POST", "/api/v1/admin/notices", admin, map[string]any{"title_en": "Maintenance", "title_ur": "دیکھ بھال",
		"body_en": "Next month.", "body_ur": "اگلے مہینے۔", "published_at": time.Now().Add(72 * time.Hour).Format(time.RFC3339)}), 201).json(t)
	if scheduled["status"] != "scheduled" {
		t.Fatalf("scheduled: %v", scheduled)
	}

	// The public sees the current one, not the scheduled one.
	ids := func(path string, token ...string) []string {
		var out []string
		for _, x := range c.want(c.do("GET", path, strings.Join(token, ""), nil), 200).json(t)["notices"].([]any) {
			out = append(out, x.(map[string]any)["id"].(string))
		}
		return out
	}
	if got := ids("/api/v1/notices"); len(got) != 1 || got[0] != id {
		t.Fatalf("current notices: %v, want [%s]", got, id)
	}
	c.want(c.do("GET", "/api/v1/notices/"+scheduled["id"].(string), "", nil), 404)
	c.want(c.do("GET", "/api/v1/notices?all=maybe", "", nil), 422)
	if got := ids("/api/v1/admin/notices", admin); len(got) < 2 {
		t.Fatalf("admin list: %v, want the scheduled one too", got)
	}
	c.want(c.do("GET", "/api/v1/admin/notices", reviewer, nil), 403)

	// The deadline moves: old and new dates in the history, updated_at on.
	moved := expires.Add(14 * 24 * time.Hour)
	edit := map[string]any{}
	for k, v := range body {
		edit[k] = v
	}
	edit["expires_at"], edit["revision"] = moved.Format(time.RFC3339), 1
	e := c.want(c.do("PUT", "/api/v1/admin/notices/"+id, admin, edit), 200).json(t)
	if e["revision"].(float64) != 2 {
		t.Fatalf("edited: %v", e)
	}
	// The same edit again names revision 1, which is stale now.
	c.want(c.do("PUT", "/api/v1/admin/notices/"+id, admin, edit), 409)
	// Revision 0 is no revision: refused, not taken as "no check".
	edit["revision"] = 0
	if f := c.want(c.do("PUT", "/api/v1/admin/notices/"+id, admin, edit), 422).errorField(t, "revision"); !strings.Contains(f, "1 or more") {
		t.Errorf("revision 0: %q", f)
	}
	edit["revision"] = 1
	c.want(c.do("PUT", "/api/v1/admin/notices/ntc_missing", admin, edit), 404)
	got := c.want(c.do("GET", "/api/v1/notices/"+id, "", nil), 200).json(t)
	hist := got["history"].([]any)
	if len(hist) != 2 {
		t.Fatalf("history: %v", hist)
	}
	ch := hist[1].(map[string]any)["changes"].([]any)
	if len(ch) != 1 || ch[0].(map[string]any)["field"] != "expires_at" ||
		ch[0].(map[string]any)["old"] != expires.Format(time.RFC3339) || ch[0].(map[string]any)["new"] != moved.Format(time.RFC3339) {
		t.Fatalf("changes of revision 2: %v", ch)
	}
	if strings.Contains(string(c.do("GET", "/api/v1/notices/"+id, "", nil).body), "usr_") {
		t.Fatal("the public history names who made a change")
	}

	// Withdrawn: out of the current list, in the full one, marked.
	c.want(c.do("POST", "/api/v1/admin/notices/"+id+"/withdraw", reviewer, nil), 403)
	w := c.want(c.do("POST", "/api/v1/admin/notices/"+id+"/withdraw", admin, nil), 200).json(t)
	if w["status"] != "withdrawn" || w["withdrawn_at"] == nil {
		t.Fatalf("withdrawn: %v", w)
	}
	c.want(c.do("POST", "/api/v1/admin/notices/"+id+"/withdraw", admin, nil), 409)
	for _, x := range ids("/api/v1/notices") {
		if x == id {
			t.Fatal("a withdrawn notice is listed as current")
		}
	}
	if all := ids("/api/v1/notices?all=1"); !strings.Contains(strings.Join(all, " "), id) {
		t.Fatalf("all notices: %v, want the withdrawn one", all)
	}
}
