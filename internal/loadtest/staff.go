package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
)

// bootstrap finds the operators and the staff's tokens: those given in
// the Config, or, for any not given, a login as the demo's staff user
// (ipreg serve --demo: reviewer@demo.test, operator.<id>@demo.test).
func (r *run) bootstrap(ctx context.Context) error {
	c := r.newClient(-1, 1)
	defer c.http.CloseIdleConnections()
	res := c.get("bootstrap", "/api/v1/operators", "", false)
	var ops []struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
	}
	if !res.ok || json.Unmarshal(res.body, &ops) != nil {
		return fmt.Errorf("list the operators at %s/api/v1/operators: %s; is ipreg serve running there?", r.base, r.bootstrapError())
	}
	if len(ops) == 0 {
		return fmt.Errorf("the registry at %s has no operators: add one (ipreg operator add) or run ipreg serve --demo", r.base)
	}
	r.reviewer = r.cfg.ReviewerToken
	r.secret("session token", r.cfg.ReviewerToken)
	for _, tok := range r.cfg.OperatorTokens {
		r.secret("session token", tok)
	}
	if r.reviewer != "" {
		// Checked now, as the operators' tokens are by their use below,
		// rather than as thousands of 401s in the table.
		if res := c.get("bootstrap", "/api/v1/review/queue?limit=1", r.reviewer, false); !res.ok {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("--reviewer-token: the registry's review queue refused it (%s); give a reviewer's API token (POST /api/v1/tokens after logging in as a reviewer)", r.bootstrapError())
		}
	}
	if r.reviewer == "" {
		tok, err := r.login(ctx, c, "reviewer@demo.test")
		if err != nil {
			return fmt.Errorf("%w; against a server not started with --demo give --reviewer-token", err)
		}
		r.reviewer = tok
	}
	for _, o := range ops {
		tok := r.cfg.OperatorTokens[o.ID]
		if tok == "" && len(r.cfg.OperatorTokens) == 0 {
			var err error
			if tok, err = r.login(ctx, c, "operator."+o.ID+"@demo.test"); err != nil {
				return fmt.Errorf("%w; against a server not started with --demo give --operator-token %s=TOKEN", err, o.ID)
			}
		}
		if tok != "" && r.cfg.OperatorTokens[o.ID] != "" {
			if res := c.get("bootstrap", "/api/v1/operator/checks?state=pending", tok, false); !res.ok {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("--operator-token %s=…: the registry's operator queue refused it (%s); give an API token of %s's operator staff", o.ID, r.bootstrapError(), o.ID)
			}
			// Any operator's token reads its own queue: whose it is shows
			// only on /me. Another operator's token would fail mid-run,
			// finding none of the checks filed with o (tester, issue 14).
			res := c.get("bootstrap", "/api/v1/me", tok, false)
			var me struct {
				User struct {
					OperatorID string `json:"operator_id"`
				} `json:"user"`
			}
			if !res.ok || json.Unmarshal(res.body, &me) != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return fmt.Errorf("--operator-token %s=…: the registry did not say whose token it is (%s)", o.ID, r.bootstrapError())
			}
			if me.User.OperatorID != o.ID {
				return fmt.Errorf("--operator-token %s=…: the token is %s's operator staff's, not %s's; give each operator its own staff's token", o.ID, me.User.OperatorID, o.ID)
			}
		}
		if tok != "" {
			r.operators = append(r.operators, operator{id: o.ID, kind: o.Kind, token: tok})
		}
	}
	for id := range r.cfg.OperatorTokens {
		if !slices.ContainsFunc(r.operators, func(o operator) bool { return o.id == id }) {
			return fmt.Errorf("--operator-token names operator %q, which the registry does not list", id)
		}
	}
	if !r.hasKind("fixed") {
		return fmt.Errorf("no fixed-line operator to file addresses with: give --operator-token for one (such as ptcl=TOKEN)")
	}
	return nil
}

// bootstrapError is the last bootstrap request's error, from the table.
func (r *run) bootstrapError() string {
	for _, op := range r.rec.results(nil) {
		for msg := range op.Errors {
			return msg
		}
	}
	return "no answer"
}

// login logs in as a demo staff user; the bootstrap's requests are not
// part of the measurements.
func (r *run) login(ctx context.Context, c *client, email string) (string, error) {
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, r.cfg.StaffPassword)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+"/api/v1/login", strings.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("log in as %s: %w", email, err)
	}
	defer res.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	b := make([]byte, 0, 512)
	dec := json.NewDecoder(res.Body)
	if res.StatusCode != http.StatusOK {
		var raw json.RawMessage
		dec.Decode(&raw)
		b = append(b, raw...)
		return "", fmt.Errorf("log in as %s: %s", email, errorMessage(res.StatusCode, b))
	}
	if err := dec.Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("log in as %s: no token in the answer", email)
	}
	r.secret("session token", out.Token)
	return out.Token, nil
}

func (r *run) hasKind(kind string) bool {
	return slices.ContainsFunc(r.operators, func(o operator) bool { return o.kind == kind })
}

func (r *run) operatorOf(kind string, rng *rand.Rand) operator {
	var of []operator
	for _, o := range r.operators {
		if o.kind == kind {
			of = append(of, o)
		}
	}
	return of[rng.IntN(len(of))]
}

func (r *run) tokenOf(id string) string {
	for _, o := range r.operators {
		if o.id == id {
			return o.token
		}
	}
	return ""
}
