package registry

import "fmt"

// ForViewer returns a copy of a as viewer may see it. It is the one place
// where what an application says about other applications is cut to the
// viewer: every Service method that hands an application to an actor
// returns it through here, so the API and the portal cannot show more.
//
// The rule for overlap and duplicate_own flags (issue 11 §6; the registry's
// privacy principle that no response tells one account what another
// holds):
//   - regulator staff (reviewer, supervisor, admin) see the full detail:
//     the other application's id and state, or the registration number;
//   - the applicant learns that an item overlaps one another account holds
//     or applied for, never which; its own applications (duplicate_own) it
//     sees in full;
//   - operator staff see the full detail only when the other application
//     is filed with their own operator too (both are their subscribers, and
//     they may read that application anyway); otherwise they learn what the
//     applicant learns;
//   - anyone else, or a flag stored without its subject, gets the applicant's
//     text.
//
// Cut flags of one code and item say the same sentence; each is given once,
// so that their number does not tell how many other applications overlap.
//
// The copy shares everything but Flags with a.
func (a *Application) ForViewer(viewer *User) *Application {
	if a == nil {
		return nil
	}
	c := *a
	c.Flags = make([]Flag, 0, len(a.Flags))
	cut := map[[2]string]bool{}
	for _, f := range a.Flags {
		v, full := f.forViewer(viewer)
		if !full {
			k := [2]string{v.Code, v.Item}
			if cut[k] {
				continue
			}
			cut[k] = true
		}
		c.Flags = append(c.Flags, v)
	}
	return &c
}

// forViewer applies ForViewer to each application.
func forViewer(as []*Application, viewer *User) []*Application {
	out := make([]*Application, len(as))
	for i, a := range as {
		out[i] = a.ForViewer(viewer)
	}
	return out
}

// forViewer returns f as v may read it, and whether that is f in full.
func (f Flag) forViewer(v *User) (Flag, bool) {
	if f.Code != FlagOverlap && f.Code != FlagDuplicateOwn {
		return f, true
	}
	if v != nil && (v.Role == RoleReviewer || v.Role == RoleSupervisor || v.Role == RoleAdmin) {
		return f, true
	}
	full := false
	if v != nil && f.With != nil {
		switch v.Role {
		case RoleApplicant:
			full = f.Code == FlagDuplicateOwn && f.With.AccountID == v.AccountID
		case RoleOperator:
			full = v.OperatorID != "" && f.With.OperatorID == v.OperatorID
		}
	}
	out := Flag{Code: f.Code, Item: f.Item, Detail: f.Detail}
	if !full {
		out.Detail = fmt.Sprintf("%s overlaps an address or number that another account holds or has applied for", f.Item)
		if f.Code == FlagDuplicateOwn {
			out.Detail = fmt.Sprintf("%s overlaps an address or number in another application of the same account", f.Item)
		}
	}
	return out, full
}
