package portal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/ipreg/ipreg/internal/netpolicy"
	"github.com/ipreg/ipreg/internal/registry"
)

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	s.renderUsers(w, r, u, http.StatusOK, nil, nil)
}

func (s *Server) renderUsers(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError, vals map[string][]string) {
	us, err := s.svc.ListUsers(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ops, err := s.svc.ListOperators(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var staff []*registry.User
	applicants := 0
	for _, x := range us {
		if x.Role == registry.RoleApplicant {
			applicants++
			continue
		}
		staff = append(staff, x)
	}
	s.render(w, r, status, "admin_users", &view{Title: "Users", User: u, Err: ferr, Form: vals,
		D: map[string]any{"Staff": staff, "Applicants": applicants, "Operators": ops, "Roles": []string{"reviewer", "supervisor", "admin", "operator"}}})
}

func (s *Server) adminUserCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err == nil {
		in := registry.AddUserInput{Email: f.Get("email"), Password: f.Get("password"), Role: registry.Role(f.Get("role")), OperatorID: f.Get("operator")}
		if _, err = s.svc.AddUser(r.Context(), u, in); err == nil {
			http.Redirect(w, r, "/admin/users?msg=user_created", http.StatusSeeOther)
			return
		}
	}
	s.renderUsers(w, r, u, statusOf(err), toFormError(s, r, err), f)
}

func (s *Server) adminUserSet(w http.ResponseWriter, r *http.Request, fn func(u *registry.User, id string) error) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	if err := fn(u, r.PathValue("id")); err != nil {
		s.renderUsers(w, r, u, statusOf(err), toFormError(s, r, err), nil)
		return
	}
	http.Redirect(w, r, "/admin/users?msg=user_updated", http.StatusSeeOther)
}

func (s *Server) adminUserDisable(w http.ResponseWriter, r *http.Request) {
	s.adminUserSet(w, r, func(u *registry.User, id string) error {
		_, err := s.svc.SetUserDisabled(r.Context(), u, id, true)
		return err
	})
}

func (s *Server) adminUserEnable(w http.ResponseWriter, r *http.Request) {
	s.adminUserSet(w, r, func(u *registry.User, id string) error {
		_, err := s.svc.SetUserDisabled(r.Context(), u, id, false)
		return err
	})
}

// userByID finds a user for the admin's actions by id.
func (s *Server) userByID(r *http.Request, admin *registry.User, id string) (*registry.User, error) {
	us, err := s.svc.ListUsers(r.Context(), admin)
	if err != nil {
		return nil, err
	}
	for _, x := range us {
		if x.ID == id {
			return x, nil
		}
	}
	return nil, registry.Errorf(registry.ENOTFOUND, "user %s not found", id)
}

func (s *Server) adminUserResetTOTP(w http.ResponseWriter, r *http.Request) {
	s.adminUserSet(w, r, func(u *registry.User, id string) error {
		x, err := s.userByID(r, u, id)
		if err != nil {
			return err
		}
		_, err = s.svc.ResetTOTP(r.Context(), u, x.Email)
		return err
	})
}

// adminUserResetPassword sends the user a password reset link, as if they
// had asked for one themselves; the admin never learns a password.
func (s *Server) adminUserResetPassword(w http.ResponseWriter, r *http.Request) {
	s.adminUserSet(w, r, func(u *registry.User, id string) error {
		x, err := s.userByID(r, u, id)
		if err != nil {
			return err
		}
		return s.sendResetLink(r, x.Email)
	})
}

func (s *Server) adminOperators(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	s.renderOperators(w, r, u, http.StatusOK, nil, nil, "")
}

// renderOperators shows the operators; vals are the values of the form
// posted to action, redisplayed in that form only.
func (s *Server) renderOperators(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError, vals map[string][]string, action string) {
	ops, err := s.svc.ListOperators(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, status, "admin_operators", &view{Title: "Operators", User: u, Err: ferr, Form: vals, FormAction: action, D: map[string]any{"Operators": ops}})
}

func (s *Server) adminOperatorCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err == nil {
		o := registry.Operator{ID: strings.TrimSpace(f.Get("id")), Name: f.Get("name"), Kind: registry.OperatorKind(f.Get("kind"))}
		if _, err = s.svc.AddOperator(r.Context(), u, o); err == nil {
			http.Redirect(w, r, "/admin/operators?msg=saved", http.StatusSeeOther)
			return
		}
	}
	s.renderOperators(w, r, u, statusOf(err), toFormError(s, r, err), f, r.URL.Path)
}

// adminOperatorPrefixes replaces an operator's address space with an
// uploaded or pasted prefix list (one per line, # comments).
func (s *Server) adminOperatorPrefixes(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	vals, files, err := formWithFiles(w, r, 16<<20, "prefixes")
	if err == nil {
		var rd io.Reader = strings.NewReader(vals.Get("prefixes"))
		if fhs := files["file"]; len(fhs) > 0 && fhs[0].Size > 0 {
			file, ferr := fhs[0].Open()
			if ferr != nil {
				s.fail(w, r, ferr)
				return
			}
			defer file.Close()
			rd = file
		}
		// The same rules as ipreg operator load-prefixes: special-purpose
		// space refused at its line (the notes on repeats are for the
		// command line; here they load once).
		ps, _, perr := netpolicy.ParseOperatorSpace(rd)
		if perr != nil {
			err = registry.FieldErrors{"prefixes": perr.Error()}.Err()
		} else if len(ps) == 0 {
			err = registry.FieldErrors{"prefixes": "is empty: paste the prefixes or choose the file"}.Err()
		} else if err = s.svc.LoadOperatorPrefixes(r.Context(), u, r.PathValue("id"), ps); err == nil {
			http.Redirect(w, r, "/admin/operators?msg=loaded", http.StatusSeeOther)
			return
		}
	}
	// The pasted list comes back in that operator's form (a file must be
	// chosen again).
	s.renderOperators(w, r, u, statusOf(err), toFormError(s, r, err), url.Values{"prefixes": {vals.Get("prefixes")}}, r.URL.Path)
}

// settingField is one row of the settings form, from Settings' JSON tags.
type settingField struct {
	Name, Label string
	Value       string
}

var settingLabels = map[string]string{
	"sla_working_hours":        "Review time (working hours from submission)",
	"operator_check_hours":     "Operator check deadline (hours)",
	"fee_threshold":            "Fee due from this many allowlisted addresses",
	"fee_amount_pkr":           "Fee amount (PKR)",
	"validity_days":            "Default validity (days)",
	"max_validity_days":        "Longest validity a reviewer may give (days)",
	"max_items":                "Most addresses or numbers per application",
	"many_items":               "Flag applications with this many items",
	"min_prefix_v4":            "Shortest IPv4 prefix accepted",
	"min_prefix_v6":            "Shortest IPv6 prefix accepted",
	"call_center_min_prefix":   "Shortest IPv4 prefix for call centres",
	"session_hours":            "Logged out after this long without activity (hours)",
	"document_max_bytes":       "Largest document (bytes)",
	"document_retention_days":  "Keep documents after the decision (days)",
	"appeal_days":              "Appeal allowed for this many days after a rejection",
	"appeal_sla_working_hours": "Appeal decision time (working hours from the appeal)",
	"renew_before_days":        "Renewal opens this many days before expiry",
	"renew_after_days":         "Renewal stays open this many days after expiry",
	"outbox_give_up_hours":     "Stop retrying an undelivered message after (hours)",
	"outbox_keep_days":         "Keep the record of a sent message (days)",
}

// settingFields walks Settings by reflection so that a setting added later
// appears on the page without a template change.
func settingFields(set registry.Settings) []settingField {
	v := reflect.ValueOf(set)
	t := v.Type()
	out := make([]settingField, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Type.Kind() != reflect.Int && t.Field(i).Type.Kind() != reflect.Int64 {
			continue // the holidays have their own page
		}
		name := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		label := settingLabels[name]
		if label == "" {
			label = name
		}
		out = append(out, settingField{Name: name, Label: label, Value: strconv.FormatInt(v.Field(i).Int(), 10)})
	}
	return out
}

func (s *Server) adminSettings(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	set, err := s.svc.Settings(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_settings", &view{Title: "Settings", User: u, D: map[string]any{"Fields": settingFields(set), "Rules": rulesText(set.EligibilityRules)}})
}

// rulesText writes the questionnaire's rules as the settings page shows
// them for editing: indented JSON, as the API takes them.
func rulesText(rules []registry.EligibilityRule) string {
	b, err := json.MarshalIndent(rules, "", "  ")
	if err != nil {
		return ""
	}
	return string(b)
}

// parseRules reads the rules typed on the settings page: JSON, members as
// the API names them, none unknown.
func parseRules(fe registry.FieldErrors, text string) []registry.EligibilityRule {
	var rules []registry.EligibilityRule
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	err := dec.Decode(&rules)
	if err == nil && dec.More() {
		err = errors.New("there is text after the list")
	}
	if err != nil {
		fe.Add("eligibility_rules", "is not valid JSON (%s): check the brackets, commas and quotes; README, “Do I need to register?”, has the shipped rules to start from", err)
	}
	return rules
}

// mergeRuleErrors puts the errors of single rules (eligibility_rules[3].category)
// into the one field the page has for them, each saying which rule and
// member it is about.
func mergeRuleErrors(err error, rules []registry.EligibilityRule) error {
	var e *registry.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := *e
	out.Fields = map[string]string{}
	var msgs []string
	keys := slices.Sorted(maps.Keys(e.Fields))
	slices.SortStableFunc(keys, func(a, b string) int { return ruleIndex(a) - ruleIndex(b) })
	for _, k := range keys {
		m := e.Fields[k]
		rest, ok := strings.CutPrefix(k, "eligibility_rules[")
		if !ok {
			out.Fields[k] = m
			continue
		}
		idx, member, _ := strings.Cut(rest, "]")
		i, _ := strconv.Atoi(idx)
		code := ""
		if i >= 0 && i < len(rules) {
			code = rules[i].Code
		}
		member = strings.TrimPrefix(member, ".")
		if member == "" {
			member = "rule"
		}
		msgs = append(msgs, fmt.Sprintf("rule %d (%s), %s: %s", i+1, code, member, m))
	}
	if len(msgs) > 0 {
		if prev := out.Fields["eligibility_rules"]; prev != "" {
			msgs = append([]string{prev}, msgs...)
		}
		out.Fields["eligibility_rules"] = strings.Join(msgs, messageSep)
	}
	return &out
}

// ruleIndex is the rule a field error is about, -1 for others.
func ruleIndex(key string) int {
	rest, ok := strings.CutPrefix(key, "eligibility_rules[")
	if !ok {
		return -1
	}
	i, _ := strconv.Atoi(strings.SplitN(rest, "]", 2)[0])
	return i
}

func (s *Server) adminSettingsPost(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	set, err := s.svc.Settings(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fe := registry.FieldErrors{}
	v := reflect.ValueOf(&set).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if t.Field(i).Type.Kind() != reflect.Int && t.Field(i).Type.Kind() != reflect.Int64 {
			continue
		}
		name := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		// Digits as typed on an Urdu keyboard (۰–۹) read like 0–9, and
		// thousands grouping (10,000, ۱۰٬۰۰۰, 10 000) is taken out.
		n, err := netpolicy.ParseWhole(f.Get(name))
		if err != nil {
			fe.AddErr(name, err)
			continue
		}
		v.Field(i).SetInt(n)
	}
	// A form from before the rules were on the page leaves them as they are.
	if f.Has("eligibility_rules") {
		set.EligibilityRules = parseRules(fe, f.Get("eligibility_rules"))
	}
	if err = fe.Err(); err == nil {
		if _, err = s.svc.UpdateSettings(r.Context(), u, set); err == nil {
			http.Redirect(w, r, "/admin/settings?msg=saved", http.StatusSeeOther)
			return
		}
		err = mergeRuleErrors(err, set.EligibilityRules)
	}
	fields := settingFields(set)
	for i := range fields {
		fields[i].Value = f.Get(fields[i].Name)
	}
	s.render(w, r, statusOf(err), "admin_settings", &view{Title: "Settings", User: u, Err: toFormError(s, r, err), Form: f,
		D: map[string]any{"Fields": fields, "Rules": f.Get("eligibility_rules")}})
}
