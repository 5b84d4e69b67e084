package store

import (
	"fmt"
	"testing"
)

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT a FROM t WHERE id = ?", "SELECT a FROM t WHERE id = $1"},
		{"INSERT INTO t VALUES (?, ?), (?, ?)", "INSERT INTO t VALUES ($1, $2), ($3, $4)"},
		{"SELECT 'ünï' || ? FROM t WHERE x IN (?,?,?,?,?,?,?,?,?,?)", "SELECT 'ünï' || $1 FROM t WHERE x IN ($2,$3,$4,$5,$6,$7,$8,$9,$10,$11)"},
	}
	for _, tt := range tests {
		// Twice: rewritten, then from what was kept.
		for range 2 {
			if got := postgresDialect.rebind(tt.in); got != tt.want {
				t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
			}
		}
		if got := sqliteDialect.rebind(tt.in); got != tt.in {
			t.Errorf("SQLite: rebind(%q) = %q, want it unchanged", tt.in, got)
		}
	}
	// However many distinct statements pass, at most maxRebound are kept,
	// and those not kept are still rewritten.
	for i := range maxRebound + 100 {
		q := fmt.Sprintf("SELECT %d, ?", i)
		if got, want := postgresDialect.rebind(q), fmt.Sprintf("SELECT %d, $1", i); got != want {
			t.Fatalf("rebind(%q) = %q, want %q", q, got, want)
		}
	}
	if n := reboundCount.Load(); n > maxRebound {
		t.Errorf("%d rewrites kept, want at most %d", n, maxRebound)
	}
}
