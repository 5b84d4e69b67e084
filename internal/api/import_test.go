package api_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"os"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/publish"
)

// importSample is the first three rows of docs/import-sample.csv: the
// operators the demo has (PTCL, Nayatel).
func importSample(t *testing.T) []byte {
	data, err := os.ReadFile("../../docs/import-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	return []byte(strings.Join(lines[:4], ""))
}

// testImport: an admin checks the file (text/csv, dry run: nothing
// written), imports it (multipart), and its new holders are invited; the
// same file again changes nothing; a bad file gets its problems by line.
func testImport(t *testing.T, c *client) {
	admin := c.login("admin@demo.test")
	csv := importSample(t)
	c.want(c.raw("POST", "/api/v1/admin/imports?dry_run=true", c.login("reviewer@demo.test"), "text/csv", csv), 403)
	if got := c.want(c.raw("POST", "/api/v1/admin/imports?dry_run=maybe", admin, "text/csv", csv), 422).errorField(t, "dry_run"); !strings.Contains(got, `"maybe" is neither`) {
		t.Errorf("?dry_run=maybe says %q", got)
	}
	c.want(c.raw("POST", "/api/v1/admin/imports?dry_run=true&dry_run=false", admin, "text/csv", csv), 400)
	c.want(c.raw("POST", "/api/v1/admin/imports", admin, "application/json", []byte(`{}`)), 415)
	dry := c.want(c.raw("POST", "/api/v1/admin/imports?dry_run=true", admin, "text/csv", csv), 200).json(t)
	if dry["written"] != false || dry["new_registrations"] != float64(2) || dry["new_holders"] != float64(2) || len(dry["problems"].([]any)) != 0 || dry["invited"] != float64(0) {
		t.Fatalf("dry run = %v", dry)
	}
	before := len(c.want(c.do("GET", "/api/v1/admin/invitations", admin, nil), 200).json(t)["invitations"].([]any))

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "allowlist.csv")
	fw.Write(csv)
	mw.Close()
	real := c.want(c.raw("POST", "/api/v1/admin/imports", admin, mw.FormDataContentType(), body.Bytes()), 200).json(t)
	if real["written"] != true || real["new_registrations"] != float64(2) || real["invited"] != float64(2) || len(real["new_holder_ids"].([]any)) != 2 {
		t.Fatalf("import = %v", real)
	}
	// The version that published the import (tester: it was 0): the
	// global feed has it; a dry run or nothing new leaves it out.
	if fv, ok := dry["feed_version"]; ok {
		t.Fatalf("dry run feed_version = %v, want it left out", fv)
	}
	v, _ := real["feed_version"].(float64)
	if v < 1 {
		t.Fatalf("import feed_version = %v, want the version that published it", real["feed_version"])
	}
	var global *publish.Scope
	if err := c.db.FeedRead(context.Background(), func(tx publish.Tx) error {
		scopes, err := tx.Scopes(context.Background())
		for _, s := range scopes {
			if s.Name == "" {
				global = s
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if global == nil || global.Version < int64(v) {
		t.Fatalf("global feed %+v, import reported version %v", global, v)
	}
	after := c.want(c.do("GET", "/api/v1/admin/invitations", admin, nil), 200).json(t)["invitations"].([]any)
	if len(after) != before+2 {
		t.Fatalf("invitations after the import: %d, before %d", len(after), before)
	}
	again := c.want(c.raw("POST", "/api/v1/admin/imports", admin, "text/csv", csv), 200).json(t)
	if again["new_registrations"] != float64(0) || again["unchanged"] != float64(2) || again["invited"] != float64(0) || again["feed_version"] != nil {
		t.Fatalf("the same file again = %v", again)
	}
	bad := bytes.Replace(csv, []byte("182.176.10.7"), []byte("192.168.1.7"), 1)
	res := c.want(c.raw("POST", "/api/v1/admin/imports", admin, "text/csv", bad), 200).json(t)
	probs := res["problems"].([]any)
	if res["written"] != false || len(probs) == 0 || probs[0].(map[string]any)["line"] != float64(4) || probs[0].(map[string]any)["field"] != "item" {
		t.Fatalf("bad file = %v", res)
	}
}
