package api_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/store/storetest"
)

// schemaFields returns the properties and required members of a schema in
// openapi.json.
func schemaFields(t *testing.T, name string) (props, required []string) {
	t.Helper()
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]any `json:"properties"`
				Required   []string       `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	s, ok := doc.Components.Schemas[name]
	if !ok {
		t.Fatalf("openapi.json has no schema %s", name)
	}
	for p := range s.Properties {
		props = append(props, p)
	}
	return props, s.Required
}

// conforms reports what in obj the schema does not allow, or lacks.
func conforms(obj map[string]any, props, required []string) []string {
	var bad []string
	for k := range obj {
		if !slices.Contains(props, k) {
			bad = append(bad, "unexpected "+k)
		}
	}
	for _, k := range required {
		if _, ok := obj[k]; !ok {
			bad = append(bad, "missing "+k)
		}
	}
	return bad
}

// The lists answer ApplicationSummary items, honestly: nothing the
// summary does not declare (no timeline, documents, missing_documents,
// appeals), everything it requires; the single GET answers the whole
// Application, missing_documents included.
func TestApplicationListsAnswerSummaries(t *testing.T) {
	summaryProps, summaryReq := schemaFields(t, "ApplicationSummary")
	appProps, appReq := schemaFields(t, "Application")
	for _, absent := range []string{"timeline", "documents", "missing_documents", "appeals"} {
		if slices.Contains(summaryProps, absent) || !slices.Contains(appProps, absent) {
			t.Errorf("ApplicationSummary declares %s, or Application does not", absent)
		}
	}
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			c := newClient(t, kind)
			alice := signupAs(c, "alice@example.pk", "company", "35202-1000001-1", "1000001-1")
			draft := c.want(c.do("POST", "/api/v1/applications", alice, map[string]any{
				"category": "company_vpn", "operator_id": "ptcl", "addresses": []string{"14.1.104.0/24"},
			}), 201).json(t)
			if bad := conforms(draft, appProps, appReq); len(bad) > 0 || draft["missing_documents"] == nil {
				t.Errorf("createApplication's answer is not the whole Application: %v (missing_documents %v)", bad, draft["missing_documents"])
			}
			sent := fileApp(c, alice, "ptcl", "14.1.105.0/24")
			c.want(c.do("POST", "/api/v1/applications/"+sent+"/submit", alice, nil), 200)
			ptcl := c.login("operator.ptcl@demo.test")
			c.want(c.do("POST", "/api/v1/operator/checks/"+c.want(c.do("GET", "/api/v1/operator/checks?application_id="+sent, ptcl, nil), 200).list(t)[0]["id"].(string),
				ptcl, map[string]string{"result": "confirmed"}), 200)
			reviewer := c.login("reviewer@demo.test")
			for _, l := range []struct{ who, path string }{
				{alice, "/api/v1/applications"},
				{reviewer, "/api/v1/applications"},
				{reviewer, "/api/v1/review/queue"},
			} {
				items := c.want(c.do("GET", l.path, l.who, nil), 200).list(t)
				if len(items) == 0 {
					t.Fatalf("GET %s is empty", l.path)
				}
				for _, it := range items {
					if bad := conforms(it, summaryProps, summaryReq); len(bad) > 0 {
						t.Errorf("GET %s item %v is not an ApplicationSummary: %s", l.path, it["id"], strings.Join(bad, ", "))
					}
				}
			}
		})
	}
}
