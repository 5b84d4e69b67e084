package registry_test

import (
	"bytes"
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
)

func sampleImport(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../docs/import-sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (h *harness) importFile(data []byte, dry bool) *ImportReport {
	h.t.Helper()
	rep, err := h.svc.ImportRegistrations(h.ctx, bytes.NewReader(data), ImportOptions{DryRun: dry, Actor: "cli"})
	if err != nil {
		h.t.Fatalf("import: %v", err)
	}
	return rep
}

// counts is what the database holds that an import writes.
func (h *harness) counts() []int {
	h.t.Helper()
	var out []int
	err := h.db.Read(h.ctx, func(tx Tx) error {
		users, _ := tx.ListUsers(h.ctx)
		regs, err := tx.ListRegistrations(h.ctx, RegFilter{})
		if err != nil {
			return err
		}
		seq, _, err := tx.AuditHead(h.ctx)
		if err != nil {
			return err
		}
		out = []int{len(users), len(regs), int(seq)}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	_, last := h.feedChanges(0)
	return append(out, int(last))
}

// The sample file imports: holders become accounts with no password,
// each registration is active with its items in the feed outbox and one
// audit entry, and a second run changes nothing.
func TestImportSample(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		before := h.counts()
		dry := h.importFile(sampleImport(t), true)
		if len(dry.Problems) != 0 {
			t.Fatalf("dry run problems: %+v", dry.Problems)
		}
		if got := h.counts(); !slices.Equal(got, before) {
			t.Fatalf("the dry run wrote: %v -> %v", before, got)
		}
		want := ImportReport{Rows: 6, Holders: 4, NewHolders: 4, Registrations: 4, NewRegistrations: 4, Items: 6}
		if dry.Rows != want.Rows || dry.Holders != want.Holders || dry.NewHolders != want.NewHolders ||
			dry.Registrations != want.Registrations || dry.NewRegistrations != want.NewRegistrations || dry.Items != want.Items {
			t.Fatalf("dry run report %+v, want counts %+v", dry, want)
		}
		rep := h.importFile(sampleImport(t), false)
		if len(rep.Problems) != 0 || rep.NewRegistrations != 4 || len(rep.NewHolderIDs) != 4 {
			t.Fatalf("real run: %+v", rep)
		}
		after := h.counts()
		if after[0] != before[0]+4 || after[1] != before[1]+4 || after[2] != before[2]+4+4 || after[3] != before[3]+6 {
			t.Fatalf("counts %v -> %v; want 4 users, 4 registrations, 8 audit entries, 6 feed changes more", before, after)
		}
		admin := h.staff("admin")
		regs, err := h.svc.ListRegistrations(h.ctx, admin, RegFilter{})
		if err != nil {
			t.Fatal(err)
		}
		var holders []string
		for _, r := range regs {
			holders = append(holders, r.HolderName)
			if r.Status != RegActive {
				t.Errorf("%s is %s", r.Number, r.Status)
			}
		}
		if !slices.Contains(holders, "عائشہ خان") || !slices.Contains(holders, "Karachi Contact Centre, Ltd.") {
			t.Errorf("holders %q: the Urdu name or the quoted comma did not come through", holders)
		}
		// A new holder cannot log in: no usable password until claimed.
		if _, _, err := h.svc.Login(h.ctx, "ayesha.khan@example.pk", "", "", "127.0.0.1"); err == nil {
			t.Error("an imported holder logged in without a password")
		}

		after = h.counts() // the staff login and reads above are audited
		again := h.importFile(sampleImport(t), false)
		if len(again.Problems) != 0 || again.Unchanged != 4 || again.NewRegistrations != 0 || again.NewHolders != 0 || len(again.NewHolderIDs) != 0 {
			t.Fatalf("second run: %+v", again)
		}
		if got := h.counts(); !slices.Equal(got, after) {
			t.Fatalf("the second run wrote: %v -> %v", after, got)
		}
	})
}

func problemText(ps []ImportProblem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(strings.Join([]string{itoa(p.Line), p.Field, p.Value, p.Message}, " | ") + "\n")
	}
	return b.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

var _ = context.Background
