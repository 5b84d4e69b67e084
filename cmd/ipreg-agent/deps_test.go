package main_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyBudget keeps the agent small and its attack surface narrow:
// it must not link a database (driver or database/sql) or templates.
func TestDependencyBudget(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{"database/sql", "modernc.org/sqlite", "github.com/jackc/pgx", "html/template", "text/template"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("ipreg-agent links %s", dep)
			}
		}
	}
	if !strings.Contains(string(out), "github.com/ipreg/ipreg/internal/agent") {
		t.Fatal("go list did not list the agent's own packages; the check proves nothing")
	}
}
