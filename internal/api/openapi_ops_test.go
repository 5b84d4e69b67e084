package api_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/testbin"
)

// operationIDForm is the verb-noun camelCase client generators turn into
// method names (listApplications, decideApplication).
var operationIDForm = regexp.MustCompile(`^[a-z]+[A-Z][A-Za-z0-9]*$`)

// TestEveryOperationNamedTaggedDescribed keeps openapi.json readable by
// client generators: every operation, those added later too, has a unique
// verb-noun operationId, one or more tags declared (with a description)
// at the top level, and a description.
func TestEveryOperationNamedTaggedDescribed(t *testing.T) {
	var doc struct {
		Tags []struct {
			Name        string `json:"name"`
			Description string `json:"description"`
		} `json:"tags"`
		Paths map[string]map[string]struct {
			OperationID string   `json:"operationId"`
			Tags        []string `json:"tags"`
			Summary     string   `json:"summary"`
			Description string   `json:"description"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, tag := range doc.Tags {
		if strings.TrimSpace(tag.Description) == "" {
			t.Errorf("tag %q has no description in the top-level tags", tag.Name)
		}
		declared[tag.Name] = true
	}
	used := map[string]bool{}
	ids := map[string]string{}
	n := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if method == "parameters" {
				continue
			}
			n++
			where := strings.ToUpper(method) + " " + path
			switch {
			case op.OperationID == "":
				t.Errorf("%s has no operationId: add one in verb-noun camelCase (listApplications, decideApplication)", where)
			case !operationIDForm.MatchString(op.OperationID):
				t.Errorf("%s: operationId %q is not verb-noun camelCase (like listApplications)", where, op.OperationID)
			case ids[op.OperationID] != "":
				t.Errorf("%s: operationId %q is used by %s too", where, op.OperationID, ids[op.OperationID])
			}
			ids[op.OperationID] = where
			if len(op.Tags) == 0 {
				t.Errorf("%s has no tags: give it its area (one of the top-level tags)", where)
			}
			for _, tag := range op.Tags {
				used[tag] = true
				if !declared[tag] {
					t.Errorf("%s: tag %q is not declared in the top-level tags", where, tag)
				}
			}
			if strings.TrimSpace(op.Description) == "" || op.Description == op.Summary {
				t.Errorf("%s has no description (beyond its summary): say what it does, who may call it and what it answers", where)
			}
		}
	}
	for name := range declared {
		if !used[name] {
			t.Errorf("tag %q is declared but no operation uses it", name)
		}
	}
	if n < len(api.Routes()) {
		t.Errorf("openapi.json has %d operations, fewer than the %d routes served", n, len(api.Routes()))
	}
}

// redoclyVersion is the Redocly CLI the lint pins (.ci/run installs it).
const redoclyVersion = "2.77.0"

// TestRedoclyLint runs Redocly's recommended ruleset over openapi.json and
// fails on any error or warning. It needs the redocly command (.ci/run
// installs @redocly/cli@2.77.0 with npm); without it the test skips, and
// fails under IPREG_TEST_STRICT=1.
func TestRedoclyLint(t *testing.T) {
	bin, err := exec.LookPath("redocly")
	if err != nil {
		testbin.SkipOrFail(t, "redocly not found: npm install -g @redocly/cli@"+redoclyVersion)
		return
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || strings.TrimSpace(string(out)) != redoclyVersion {
		t.Fatalf("redocly --version says %q (%v); the lint pins %s: npm install -g @redocly/cli@%s", bytes.TrimSpace(out), err, redoclyVersion, redoclyVersion)
	}
	dir := t.TempDir()
	spec := filepath.Join(dir, "openapi.json")
	if err := os.WriteFile(spec, api.OpenAPI(), 0o644); err != nil {
		t.Fatal(err)
	}
	// The ruleset is named here, so no configuration file of the
	// machine's changes what passes.
	if err := os.WriteFile(filepath.Join(dir, "redocly.yaml"), []byte("extends:\n  - recommended\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "lint", "--format=json", "--config", filepath.Join(dir, "redocly.yaml"), spec)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var res struct {
		Totals struct {
			Errors, Warnings, Ignored int
		} `json:"totals"`
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
			Location []struct {
				Pointer string `json:"pointer"`
			} `json:"location"`
		} `json:"problems"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("redocly lint did not answer JSON (%v): %v\nstdout: %s\nstderr: %s", runErr, err, stdout.Bytes(), stderr.Bytes())
	}
	for _, p := range res.Problems {
		at := ""
		if len(p.Location) > 0 {
			at = p.Location[0].Pointer
		}
		t.Errorf("redocly %s %s at %s: %s", p.Severity, p.RuleID, at, p.Message)
	}
	if res.Totals.Errors+res.Totals.Warnings+res.Totals.Ignored > 0 || runErr != nil {
		t.Errorf("redocly lint: %d errors, %d warnings, %d ignored (%v)", res.Totals.Errors, res.Totals.Warnings, res.Totals.Ignored, runErr)
	}
	if t.Failed() {
		t.Logf("stderr: %s", stderr.Bytes())
	}
}

// TestEveryParameterDescribed: a parameter without a description leaves a
// generated client's callers guessing (what id, what the filter does when
// left out), so every one, at the operation, path or component level, says.
func TestEveryParameterDescribed(t *testing.T) {
	type param struct {
		Ref         string  `json:"$ref"`
		Name        string  `json:"name"`
		In          string  `json:"in"`
		Description *string `json:"description"`
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Parameters map[string]param `json:"parameters"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	check := func(where string, p param) {
		if p.Ref != "" {
			return
		}
		if p.Description == nil || strings.TrimSpace(*p.Description) == "" {
			t.Errorf("%s: %s parameter %q has no description: say what it is and what leaving it out means", where, p.In, p.Name)
		}
	}
	n := 0
	for path, item := range doc.Paths {
		for method, raw := range item {
			var ps []param
			if method == "parameters" {
				if err := json.Unmarshal(raw, &ps); err != nil {
					t.Fatal(err)
				}
			} else {
				var op struct {
					Parameters []param `json:"parameters"`
				}
				if err := json.Unmarshal(raw, &op); err != nil {
					t.Fatal(err)
				}
				ps = op.Parameters
			}
			for _, p := range ps {
				n++
				check(strings.ToUpper(method)+" "+path, p)
			}
		}
	}
	for name, p := range doc.Components.Parameters {
		check("components.parameters."+name, p)
	}
	if n < 30 {
		t.Errorf("found %d parameters; the walk is broken", n)
	}
}
