package store_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// TestPendingInvitationsPlan: a page of the pending invitations is read off
// the index invitations_pending in its order, without sorting the
// invitations an import made at one instant and without a scan of the
// table; only the page's rows are joined. With the index on (used_at,
// created_at) alone, both databases sorted every pending invitation by id.
func TestPendingInvitationsPlan(t *testing.T) {
	bad := regexp.MustCompile(`TEMP B-TREE|Sort|Seq Scan on invitations|SCAN (i|invitations)\b|Hash Join|Merge Join`)
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, kind)
			exec := func(q string) {
				t.Helper()
				if err := store.ExecForTest(ctx, db, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if kind == "postgres" {
				exec(`ALTER TABLE invitations SET (autovacuum_enabled = false)`)
			}
			// 5,000 holders invited at one instant, as an import does.
			const series = `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 5000) `
			exec(`INSERT INTO accounts (id, kind, name, cnic, mobile, created_at) VALUES ('acc_1', 'company', 'Holder', '35202-1234567-1', '923001234567', 'x')`)
			exec(series + `INSERT INTO users (id, email, password_hash, role, account_id, created_at) SELECT 'usr_' || n, 'u' || n || '@x.pk', '', 'applicant', 'acc_1', 'x' FROM g`)
			exec(series + `INSERT INTO invitations (id, user_id, hash, invited_by, created_at, expires_at) SELECT 'inv_' || n, 'usr_' || n, 'h' || n, 'cli', '2026-01-01T00:00:00Z', 'y' FROM g`)
			if kind == "postgres" {
				exec(`ANALYZE`)
			}
			plan, err := store.PendingInvitationsPlan(ctx, db, 4900, 100)
			if err != nil {
				t.Fatal(err)
			}
			if m := bad.FindString(plan); m != "" {
				t.Errorf("the last page of 5,000 pending invitations is read through %q:\n%s", m, plan)
			}
			if !regexp.MustCompile(`invitations_pending`).MatchString(plan) {
				t.Errorf("the page is not read off the index invitations_pending:\n%s", plan)
			}
		})
	}
}
