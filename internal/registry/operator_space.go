package registry

import (
	"context"
	"sync"

	"github.com/ipreg/ipreg/internal/netpolicy"
)

// operatorSpaces keeps each operator's address space as last read, with
// the version it was read at (Tx.OperatorPrefixesVersion). Every view
// of a pending application checks its addresses against its operator's
// space; reading the whole space (thousands of prefixes for a national
// operator) and building its index each time was most of that check. A
// version is one small row, and replicas see each other's loads through
// it.
type operatorSpaces struct {
	mu sync.Mutex
	m  map[string]operatorSpace
}

type operatorSpace struct {
	version int64
	space   *netpolicy.Space // nil: no space loaded, nothing to check against
}

// operatorAt is an operator as a read found it: whether the registry has
// it, and the version of its address space (Tx.OperatorPrefixesVersion).
type operatorAt struct {
	found   bool
	version int64
}

// get returns operator id's space as tx sees it: nil when none is loaded
// or the operator is unknown (an application names an operator the
// registry may not have). at, when not nil, is what this read found of
// the operator already (Tx.ApplicationView), so the version is not read
// again.
func (c *operatorSpaces) get(ctx context.Context, tx Tx, id string, at *operatorAt) (*netpolicy.Space, error) {
	if at == nil {
		v, err := tx.OperatorPrefixesVersion(ctx, id)
		if ErrorCode(err) == ENOTFOUND {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		at = &operatorAt{found: true, version: v}
	}
	if !at.found {
		return nil, nil
	}
	v := at.version
	c.mu.Lock()
	got, ok := c.m[id]
	c.mu.Unlock()
	if ok && got.version == v {
		return got.space, nil
	}
	ps, err := tx.OperatorPrefixes(ctx, id)
	if err != nil {
		return nil, err
	}
	var sp *netpolicy.Space
	if len(ps) > 0 {
		sp = netpolicy.NewSpace(ps)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Under READ COMMITTED (PostgreSQL) a load committed between the two
	// reads makes the prefixes newer than v: kept under v, the next view
	// reads the new version and reads them again. Never replace a newer
	// version with an older one (a view still on an older snapshot).
	if cur, ok := c.m[id]; !ok || cur.version <= v {
		if c.m == nil {
			c.m = map[string]operatorSpace{}
		}
		c.m[id] = operatorSpace{version: v, space: sp}
	}
	return sp, nil
}
