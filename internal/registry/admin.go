package registry

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/auth"
)

// System is the actor for command-line administration on the server
// itself (ipreg user add, ipreg operator add …). The HTTP API never uses it.
var System = &User{ID: "system", Role: RoleAdmin, Email: "system"}

// DemoDomain is the e-mail domain of the demo's users.
const DemoDomain = "@demo.test"

var operatorIDRe = regexp.MustCompile(`^[a-z][a-z0-9-]{1,31}$`)

// AddUserInput creates a staff or operator user.
type AddUserInput struct {
	Email, Password string
	Role            Role
	OperatorID      string // with RoleOperator
}

// AddUser creates a user other than an applicant (applicants sign up).
func (s *Service) AddUser(ctx context.Context, actor *User, in AddUserInput) (*User, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	email := normalizeEmail(fe, "email", in.Email)
	checkPassword(fe, "password", in.Password)
	switch in.Role {
	case RoleOperator:
		if in.OperatorID == "" {
			fe.Add("operator", "is required for an operator user: the operator's id (ipreg operator list)")
		}
	case RoleReviewer, RoleSupervisor, RoleAdmin:
		if in.OperatorID != "" {
			fe.Add("operator", "applies to operator users only")
		}
	case RoleApplicant:
		fe.Add("role", "applicants sign up themselves; choose operator, reviewer, supervisor or admin")
	default:
		fe.Add("role", "must be operator, reviewer, supervisor or admin")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	u := &User{ID: auth.RandomID("usr"), Email: email, Role: in.Role, OperatorID: in.OperatorID, PasswordHash: hash, CreatedAt: s.Now(),
		MadeInDemo: s.demoNoTOTP}
	err = s.store.Write(ctx, func(tx Tx) error {
		if u.OperatorID != "" {
			if _, err := tx.Operator(ctx, u.OperatorID); err != nil {
				if ErrorCode(err) == ENOTFOUND {
					return FieldErrors{"operator": fmt.Sprintf("%q is not a known operator (ipreg operator list)", u.OperatorID)}.Err()
				}
				return err
			}
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "user.created", "user", u.ID, map[string]string{"email": email, "role": string(u.Role)})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// AddOperator registers an ISP or mobile network.
func (s *Service) AddOperator(ctx context.Context, actor *User, o Operator) (*Operator, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	o.ID = strings.TrimSpace(o.ID)
	if !operatorIDRe.MatchString(o.ID) {
		fe.Add("id", "must be 2 to 32 lowercase letters, digits or dashes, starting with a letter (e.g. ptcl)")
	}
	o.Name = text(fe, "name", o.Name, 100, true)
	if o.Kind != OperatorFixed && o.Kind != OperatorMobile {
		fe.Add("kind", `must be "fixed" or "mobile"`)
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	o.CreatedAt = s.Now()
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := tx.CreateOperator(ctx, &o); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "operator.created", "operator", o.ID, map[string]string{"name": o.Name, "kind": string(o.Kind)})
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// ListOperators lists operators; public, since applicants choose from it.
func (s *Service) ListOperators(ctx context.Context) ([]*Operator, error) {
	var out []*Operator
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListOperators(ctx)
		return err
	})
	return out, err
}

// LoadOperatorPrefixes replaces an operator's address space.
func (s *Service) LoadOperatorPrefixes(ctx context.Context, actor *User, id string, ps []netip.Prefix) error {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return err
	}
	return s.store.Write(ctx, func(tx Tx) error {
		if _, err := tx.Operator(ctx, id); err != nil {
			return err
		}
		if err := tx.SetOperatorPrefixes(ctx, id, ps); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "operator.prefixes_loaded", "operator", id, map[string]int{"prefixes": len(ps)})
	})
}

// Settings returns the current settings (staff only).
func (s *Service) Settings(ctx context.Context, actor *User) (Settings, error) {
	if err := requireRole(actor, RoleAdmin, RoleReviewer, RoleSupervisor); err != nil {
		return Settings{}, err
	}
	return s.PublicSettings(ctx)
}

// PublicSettings returns the settings for anyone: the public pages state
// fees, review times, validity and document limits, none of them secret.
func (s *Service) PublicSettings(ctx context.Context) (Settings, error) {
	var set Settings
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		set, err = tx.Settings(ctx)
		return err
	})
	return set, err
}

// UpdateSettings replaces the settings (admin only).
func (s *Service) UpdateSettings(ctx context.Context, actor *User, set Settings) (Settings, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return Settings{}, err
	}
	if err := set.Validate(); err != nil {
		return Settings{}, err
	}
	err := s.store.Write(ctx, func(tx Tx) error {
		old, err := tx.Settings(ctx)
		if err != nil {
			return err
		}
		if old.AppealDays != set.AppealDays {
			// Rejections from before deadlines were stored keep the
			// deadline the old setting gave them.
			if _, err := tx.FixAppealDeadlines(ctx, old.AppealDays); err != nil {
				return err
			}
		}
		if err := tx.PutSettings(ctx, set); err != nil {
			return err
		}
		if err := s.markHolidayMonths(ctx, tx, old.Holidays, set.Holidays); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "settings.updated", "settings", "", set)
	})
	return set, err
}

// NonDemoUsers returns the e-mail addresses of users that are neither the
// demo's own (DemoDomain) nor made while a server ran under --demo
// (User.MadeInDemo); --demo refuses to run on a database that has any, so
// it restarts after a walk through the demo but never beside real accounts.
func (s *Service) NonDemoUsers(ctx context.Context) ([]string, error) {
	var out []string
	err := s.store.Read(ctx, func(tx Tx) error {
		us, err := tx.ListUsers(ctx)
		for _, u := range us {
			if !strings.HasSuffix(u.Email, DemoDomain) && !u.MadeInDemo {
				out = append(out, u.Email)
			}
		}
		return err
	})
	return out, err
}

// VerifyAudit walks the whole audit log and checks its hash chain,
// returning the number of entries verified.
func (s *Service) VerifyAudit(ctx context.Context) (int64, error) {
	v := audit.NewVerifier()
	err := s.store.Read(ctx, func(tx Tx) error {
		// Read the head first: entries appended while we walk lie beyond
		// it and are left for the next run.
		headSeq, headHash, err := tx.AuditHead(ctx)
		if err != nil {
			return err
		}
		var after int64
		for after < headSeq {
			es, err := tx.AuditEntries(ctx, after, 1000)
			if err != nil {
				return err
			}
			if len(es) == 0 {
				break
			}
			for _, e := range es {
				if e.Seq > headSeq {
					break
				}
				if err := v.Next(e); err != nil {
					return err
				}
				after = e.Seq
			}
		}
		return v.Finish(headSeq, headHash)
	})
	return v.Count(), err
}

// EnsureDemo creates the demo operators, users and licensed providers
// (DemoProviders) that do not exist yet;
// users that exist are left as they are (their password is not hashed
// again, nor reset).
func (s *Service) EnsureDemo(ctx context.Context, password string) error {
	for _, o := range DemoOperators {
		if _, err := s.AddOperator(ctx, System, o); err != nil && ErrorCode(err) != ECONFLICT {
			return fmt.Errorf("demo operator %s: %w", o.ID, err)
		}
	}
	for _, u := range demoUsers() {
		// Look first: AddUser hashes the password before it finds the
		// user exists, and twelve hashes made every restart of the demo
		// take seconds (measured by the SIGKILL durability test).
		var exists bool
		if err := s.store.Read(ctx, func(tx Tx) error {
			_, err := tx.UserByEmail(ctx, u.Email)
			if ErrorCode(err) == ENOTFOUND {
				return nil
			}
			exists = err == nil
			return err
		}); err != nil {
			return fmt.Errorf("demo user %s: %w", u.Email, err)
		}
		if exists {
			continue
		}
		u.Password = password
		if _, err := s.AddUser(ctx, System, u); err != nil && ErrorCode(err) != ECONFLICT {
			return fmt.Errorf("demo user %s: %w", u.Email, err)
		}
	}
	return s.ensureDemoProviders(ctx)
}

// demoUsers are the users EnsureDemo makes, without their password; they
// alone skip TOTP under --demo (totpExempt).
func demoUsers() []AddUserInput {
	users := []AddUserInput{
		{Email: "admin" + DemoDomain, Role: RoleAdmin},
		{Email: "reviewer" + DemoDomain, Role: RoleReviewer},
		{Email: "supervisor" + DemoDomain, Role: RoleSupervisor},
	}
	for _, o := range DemoOperators {
		users = append(users, AddUserInput{Email: "operator." + o.ID + DemoDomain, Role: RoleOperator, OperatorID: o.ID})
	}
	return users
}

// DemoOperators are Pakistan's main fixed-line and mobile operators.
var DemoOperators = []Operator{
	{ID: "ptcl", Name: "PTCL", Kind: OperatorFixed},
	{ID: "nayatel", Name: "Nayatel", Kind: OperatorFixed},
	{ID: "stormfiber", Name: "StormFiber (Cybernet)", Kind: OperatorFixed},
	{ID: "transworld", Name: "Transworld", Kind: OperatorFixed},
	{ID: "wateen", Name: "Wateen", Kind: OperatorFixed},
	{ID: "jazz", Name: "Jazz", Kind: OperatorMobile},
	{ID: "zong", Name: "Zong", Kind: OperatorMobile},
	{ID: "ufone", Name: "Ufone", Kind: OperatorMobile},
	{ID: "telenor", Name: "Telenor Pakistan", Kind: OperatorMobile},
}

// markHolidayMonths marks for rebuild the statistics' months already built
// whose working-hour figures a holiday added or removed in the past
// changes: the months from the holiday's on (a decision or an operator
// answer after it may span it), to the current one. A month never built
// is built with the new calendar anyway; a holiday still to come changes
// nothing built.
func (s *Service) markHolidayMonths(ctx context.Context, tx Tx, old, cur []Holiday) error {
	was, is := map[string]bool{}, map[string]bool{}
	for _, h := range old {
		was[h.Date] = true
	}
	for _, h := range cur {
		is[h.Date] = true
	}
	today := s.Now().In(PKT.Loc).Format(time.DateOnly)
	earliest := ""
	for _, set := range []map[string]bool{was, is} {
		for d := range set {
			if was[d] != is[d] && d <= today && (earliest == "" || d < earliest) {
				earliest = d
			}
		}
	}
	if len(earliest) < len("2006-01") {
		return nil
	}
	built, err := tx.StatsMonths(ctx, earliest[:len("2006-01")], today[:len("2006-01")])
	if err != nil || len(built) == 0 {
		return err
	}
	months := make([]string, len(built))
	for i, m := range built {
		months[i] = m.Month
	}
	return tx.MarkStatsDirty(ctx, months, s.Now())
}
