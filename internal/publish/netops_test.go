package publish

import (
	"testing"
	"time"

	"github.com/ipreg/ipreg/internal/feed"
)

// TestNetOpsInPlaceChange: an entry removed and added back with another
// until in one window becomes its removal in one delta and its addition
// in the next; one removed and added back unchanged is no change; other
// keys keep their single net operation in the first delta.
func TestNetOpsInPlaceChange(t *testing.T) {
	t1 := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.AddDate(1, 0, 0)
	moved1 := feed.Entry{Prefix: "14.1.104.0/24", Reg: "VPN-2026-000001", Cat: "company_vpn", Until: t1}
	moved2 := moved1
	moved2.Until = t2
	same := feed.Entry{Prefix: "14.1.105.0/24", Reg: "VPN-2026-000001", Cat: "company_vpn", Until: t1}
	gone := feed.Entry{Prefix: "14.1.106.0/24", Reg: "VPN-2026-000001", Cat: "company_vpn", Until: t1}
	added := feed.Entry{Prefix: "14.1.107.0/24", Reg: "VPN-2026-000001", Cat: "company_vpn", Until: t2}
	ch := func(op string, e feed.Entry) Change { return Change{Op: op, Entry: e, Effective: true} }
	ops, readds := netOps([]Change{
		ch("remove", moved1), ch("add", moved2),
		ch("remove", same), ch("add", same),
		ch("remove", gone),
		ch("add", added),
	}, "")
	if len(ops) != 3 || ops[0] != (feed.Op{Op: "remove", Entry: moved1}) || ops[1] != (feed.Op{Op: "remove", Entry: gone}) ||
		ops[2] != (feed.Op{Op: "add", Entry: added}) {
		t.Errorf("first delta = %+v", ops)
	}
	if len(readds) != 1 || readds[0] != (feed.Op{Op: "add", Entry: moved2}) {
		t.Errorf("second delta = %+v", readds)
	}
	// Added then removed within the window: nothing at all.
	if ops, readds := netOps([]Change{ch("add", added), ch("remove", added)}, ""); len(ops)+len(readds) != 0 {
		t.Errorf("an addition undone in the window gave %+v, %+v", ops, readds)
	}
}
