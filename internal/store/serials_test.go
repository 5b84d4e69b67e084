package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
	"github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/store/storetest"
)

// A transaction's feed changes are numbered at its commit, consecutively,
// in the order added; a reader in the same transaction already sees them;
// a rolled-back transaction leaves neither changes nor a gap.
func TestFeedChangesNumberedAtCommit(t *testing.T) {
	for _, kind := range storetest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			db := storetest.Open(t, kind)
			add := func(tx registry.Tx, prefix string) error {
				return tx.AddFeedChange(ctx, "", "add", feed.Entry{Prefix: prefix, Reg: "VPN-2026-000001", Cat: "company_vpn",
					Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}, time.Now())
			}
			if err := db.Write(ctx, func(tx registry.Tx) error {
				for _, p := range []string{"203.0.113.0/29", "203.0.113.8/29", "198.51.100.7/32"} {
					if err := add(tx, p); err != nil {
						return err
					}
				}
				// A reader of the changes in the same transaction (the
				// publisher's LastChangeSeq) sees what was added.
				last, err := tx.(interface {
					LastChangeSeq(context.Context) (int64, error)
				}).LastChangeSeq(ctx)
				if err != nil || last != 3 {
					t.Errorf("LastChangeSeq in the adding transaction = %d, %v; want 3", last, err)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			db.Write(ctx, func(tx registry.Tx) error {
				add(tx, "192.0.2.0/24")
				return errors.New("roll back")
			})
			if err := db.Write(ctx, func(tx registry.Tx) error { return add(tx, "192.0.2.128/25") }); err != nil {
				t.Fatal(err)
			}
			rows, err := db.SQL().QueryContext(ctx, `SELECT seq, entry FROM feed_changes ORDER BY seq`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			var seqs []int64
			for rows.Next() {
				var seq int64
				var key string
				if err := rows.Scan(&seq, &key); err != nil {
					t.Fatal(err)
				}
				seqs, got = append(seqs, seq), append(got, key)
			}
			if len(seqs) != 4 || seqs[0] != 1 || seqs[3] != 4 {
				t.Fatalf("feed change numbers %v (keys %v); want 1 to 4, no gap for the rolled-back change", seqs, got)
			}
			for i, want := range []string{"203.0.113.0/29", "203.0.113.8/29", "198.51.100.7/32", "192.0.2.128/25"} {
				if !strings.Contains(got[i], `"prefix":"`+want+`"`) {
					t.Errorf("change %d is %s, want %s (the order added)", seqs[i], got[i], want)
				}
			}
		})
	}
}

// On PostgreSQL a transaction that has taken a registration number
// (NextSerialNow) or added feed changes holds no serial's lock until its
// end: another transaction numbers, adds and commits meanwhile. Before,
// the second waited for the first to commit. The numbers stay unique; the
// first transaction's number, rolled back, is not used again.
func TestSerialsNotHeldThroughTheTransaction(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t, "postgres")
	holding, release := make(chan int64), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- db.Write(ctx, func(tx registry.Tx) error {
			n, err := tx.NextSerialNow(ctx, "registration-2026")
			if err != nil {
				return err
			}
			if err := tx.AddFeedChange(ctx, "", "add", feed.Entry{Prefix: "203.0.113.0/29", Reg: "VPN-2026-000001", Cat: "company_vpn",
				Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}, time.Now()); err != nil {
				return err
			}
			holding <- n
			<-release
			return errors.New("roll back")
		})
	}()
	first := <-holding
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var second int64
	err := db.Write(wctx, func(tx registry.Tx) error {
		var err error
		if second, err = tx.NextSerialNow(wctx, "registration-2026"); err != nil {
			return err
		}
		return tx.AddFeedChange(wctx, "", "add", feed.Entry{Prefix: "198.51.100.0/29", Reg: "VPN-2026-000002", Cat: "company_vpn",
			Until: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}, time.Now())
	})
	close(release)
	if err != nil {
		t.Fatalf("a second approval's numbering and feed change while the first is open: %v (it waited for the first's locks)", err)
	}
	if err := <-done; err == nil || err.Error() != "roll back" {
		t.Fatal(err)
	}
	if first != 1 || second != 2 {
		t.Errorf("numbers %d and %d; want 1 and 2", first, second)
	}
	var third int64
	if err := db.Write(ctx, func(tx registry.Tx) error {
		var err error
		third, err = tx.NextSerialNow(ctx, "registration-2026")
		return err
	}); err != nil || third != 3 {
		t.Errorf("after the rolled-back first: %d, %v; want 3 (its 1 is not used again)", third, err)
	}
}
