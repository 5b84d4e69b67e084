package store_test

import (
	"context"
	"net/netip"
	"regexp"
	"testing"

	"github.com/ipreg/ipreg/internal/store"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// TestOverlapsPlan: Overlaps reads by index alone, whatever the
// statistics: one search of items_range per probe, each item's owner by
// primary key (and an appeal by its application's index). Owners read as
// key = ANY(array) beside state IN (…) were not: on PostgreSQL with
// statistics taken while the tables were nearly empty, the planner read
// the queue's index (state, …, id) or the expiry's (status, …) for every
// pending application or active registration (10 ms for three owners at
// 20,000 applications, a second for 300), and both databases found a
// rejection's pending appeal through the index of every pending appeal.
func TestOverlapsPlan(t *testing.T) {
	items := regexp.MustCompile(`Seq Scan on (items|registration_items)|items_pkey|registration_items_pkey|SCAN (i|items|registration_items)\b|Hash Join|Merge Join`)
	owners := regexp.MustCompile(`applications_queue|registrations_expiry|appeals_state|Seq Scan on (applications|registrations|appeals)|SCAN (a|r|ap|x)\b`)
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, kind)
			exec := func(q string, args ...any) {
				t.Helper()
				if err := store.ExecForTest(ctx, db, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if kind == "postgres" {
				// Statistics stay as taken below, whatever autovacuum would do.
				for _, table := range []string{"applications", "registrations", "appeals", "items", "registration_items"} {
					exec(`ALTER TABLE ` + table + ` SET (autovacuum_enabled = false)`)
				}
			}
			exec(`INSERT INTO accounts (id, kind, name, cnic, mobile, created_at) VALUES ('acc_1', 'company', 'Holder', '35202-1234567-1', '923001234567', 'x')`)
			exec(`INSERT INTO operators (id, name, kind, created_at) VALUES ('ptcl', 'PTCL', 'fixed', 'x')`)
			exec(`INSERT INTO applications (id, account_id, category, operator_id, state, created_at, updated_at) VALUES ('app_0', 'acc_1', 'company_vpn', 'ptcl', 'review', 'x', 'x')`)
			exec(`INSERT INTO items (application_id, position, kind, value, first_key, last_key) VALUES ('app_0', 0, 'ip', '14.1.104.0/24',
				'00000000000000000000ffff0e016800', '00000000000000000000ffff0e0168ff')`)
			if kind == "postgres" {
				// Autovacuum analyzes when it will, the tables nearly empty
				// for all it knows. (SQLite has statistics only when
				// someone runs ANALYZE by hand, which ipreg never does.)
				exec(`ANALYZE`)
			}
			// 5,000 applications in every state, each with an address and
			// a number, a registration of every fifth (four in five active)
			// and an appeal of every fifth another (a third pending), none
			// in the statistics. (The keys need only sort.)
			const series = `WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 5000) `
			exec(series + `INSERT INTO applications (id, account_id, category, operator_id, state, created_at, updated_at)
				SELECT 'app_' || n, 'acc_1', 'company_vpn', 'ptcl',
					CASE n % 5 WHEN 0 THEN 'approved' WHEN 1 THEN 'review' WHEN 2 THEN 'operator_check' WHEN 3 THEN 'rejected' ELSE 'returned' END, 'x', 'x' FROM g`)
			exec(series + `INSERT INTO registrations (number, application_id, account_id, category, operator_id, status, valid_from, valid_until, verification_code, created_at)
				SELECT 'VPN-2026-' || n, 'app_' || n, 'acc_1', 'company_vpn', 'ptcl', CASE WHEN n % 25 = 0 THEN 'expired' ELSE 'active' END, 'x', 'x', 'C' || n, 'x' FROM g WHERE n % 5 = 0`)
			exec(series + `INSERT INTO appeals (id, application_id, account_id, rejected_at, rejected_by, statement, state, submitted_by, submitted_at, sla_due_at)
				SELECT 'apl_' || n, 'app_' || n, 'acc_1', 'x', 'usr_rev', 'Please look again', CASE WHEN n % 15 = 3 THEN 'pending' ELSE 'upheld' END, 'usr_1', 'x', 'x' FROM g WHERE n % 5 = 3`)
			for _, table := range []string{"items", "registration_items"} {
				owner, from := `'app_' || n`, `g`
				if table == "registration_items" {
					owner, from = `'VPN-2026-' || n`, `g WHERE n % 5 = 0`
				}
				exec(series + `INSERT INTO ` + table + ` SELECT ` + owner + `, 0, 'ip', 'v', '00000000000000000000ffff' || (100000000 + n), '00000000000000000000ffff' || (100000000 + n) FROM ` + from)
				exec(series + `INSERT INTO ` + table + ` SELECT ` + owner + `, 1, 'msisdn', '92300' || (1000000 + n), '92300' || (1000000 + n), '92300' || (1000000 + n) FROM ` + from)
			}
			hosts := []netip.Prefix{netip.MustParsePrefix("14.1.104.0/24"), netip.MustParsePrefix("2001:dd8:1c::/48")}
			for i := range 8 {
				hosts = append(hosts, netip.PrefixFrom(netip.AddrFrom4([4]byte{14, 1, 105, byte(i)}), 32))
			}
			plan, err := store.OverlapsPlan(ctx, db, "app_probe", hosts, []string{"923001000007", "923001000008"})
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range []*regexp.Regexp{items, owners} {
				if m := re.FindString(plan); m != "" {
					t.Errorf("the overlaps of %d prefixes and 2 numbers are read through %q:\n%s", len(hosts), m, plan)
				}
			}
		})
	}
}
