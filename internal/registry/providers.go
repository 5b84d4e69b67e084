package registry

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ipreg/ipreg/internal/audit"
	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/hostname"
)

// ProviderStatus is where a licensed VPN service provider's licence
// stands. Only an active provider's customers are spared registering
// their own VPN; the others stay on the register so the public can see
// that a licence lapsed or was taken away.
type ProviderStatus string

const (
	ProviderActive    ProviderStatus = "active"
	ProviderSuspended ProviderStatus = "suspended"
	ProviderExpired   ProviderStatus = "expired"
	ProviderRevoked   ProviderStatus = "revoked"
)

// ProviderStatuses lists the statuses in the order forms offer them.
var ProviderStatuses = []ProviderStatus{ProviderActive, ProviderSuspended, ProviderExpired, ProviderRevoked}

// Provider is one entry of the public register of licensed VPN service
// providers (issue 13): companies the regulator licensed to sell VPN
// service, whose customers need not register a VPN of their own.
type Provider struct {
	ID            string // "prv_…", made by AddProvider
	Name          string // 1–120 characters, any script
	LicenceNumber string // as issued, in upper case; unique across the register
	LicenceDate   string // the date the licence was granted, YYYY-MM-DD (a calendar date, no time zone)
	Status        ProviderStatus
	// Website is an https URL in canonical form (checkWebsite), or ""
	// when the provider has none; one saved before today's rule may fail
	// it (WebsiteProblem), and is kept until an admin changes it.
	Website   string
	CreatedAt time.Time
	UpdatedAt time.Time // when it last changed: information only
	// Revision is 1 when added and one more for each change that changes
	// something: what a change names to be refused when someone else
	// changed the entry since (as a notice's Revision).
	Revision int
}

// ProviderInput is what an admin types for a provider. For AddProvider
// every field but Website is required; for UpdateProvider a nil field is
// left as it is (a PATCH).
type ProviderInput struct {
	Name          *string
	LicenceNumber *string
	LicenceDate   *string
	Status        *string
	Website       *string
	// Revision, for UpdateProvider, is the entry's Revision as the admin
	// saw it (0: do not check): a change to an entry changed since is
	// refused, so a form opened before another admin revoked a licence
	// cannot quietly set it back to active (tester t2, M2). AddProvider
	// refuses it.
	Revision int
}

// licenceNumberRe is a licence number as the regulator writes them
// ("PTA/VPN/2025/001", "CVAS-VPN-17"): letters, digits and / . - only,
// so that it reads the same in a CSV cell, a URL and an Urdu sentence.
var licenceNumberRe = regexp.MustCompile(`^[A-Z0-9][A-Z0-9/.-]{2,39}$`)

// providerEarliest is the earliest licence date the register takes: before
// it, a date is a typing slip (the regulator licensed no VPN providers
// then).
const providerEarliest = "2000-01-01"

// checkProvider validates p's fields in place (trimmed, licence number
// upper-cased) and records what is wrong in fe; today, the day in
// Pakistan time (the regulator's calendar, as notices' dates; tester t2,
// minor 1), bounds the licence date, which cannot be in the future.
func checkProvider(fe FieldErrors, p *Provider, today string) {
	p.Name = line(fe, "name", p.Name, 120, true)
	p.LicenceNumber = strings.ToUpper(strings.TrimSpace(p.LicenceNumber))
	switch {
	case p.LicenceNumber == "":
		fe.Add("licence_number", "is required: the number on the licence, such as PTA/VPN/2025/001")
	case !utf8.ValidString(p.LicenceNumber) || !licenceNumberRe.MatchString(p.LicenceNumber):
		fe.Add("licence_number", "must be 3 to 40 letters, digits, / . or -, starting with a letter or digit, such as PTA/VPN/2025/001")
	}
	p.LicenceDate = strings.TrimSpace(p.LicenceDate)
	if p.LicenceDate == "" {
		fe.Add("licence_date", "is required: the date the licence was granted, as YYYY-MM-DD")
	} else if d, err := time.Parse(time.DateOnly, p.LicenceDate); err != nil || d.Format(time.DateOnly) != p.LicenceDate {
		fe.Add("licence_date", "must be a date written YYYY-MM-DD, such as 2025-03-14")
	} else if p.LicenceDate < providerEarliest || p.LicenceDate > today {
		fe.Add("licence_date", "must be between %s and today (%s): a licence cannot be granted in the future", providerEarliest, today)
	}
	switch p.Status {
	case ProviderActive, ProviderSuspended, ProviderExpired, ProviderRevoked:
	default:
		fe.Add("status", `must be "active", "suspended", "expired" or "revoked"`)
	}
	p.Website = strings.TrimSpace(p.Website)
	if p.Website != "" {
		p.Website = checkWebsite(fe, p.Website)
	}
}

// checkWebsite says in fe what is wrong with an https URL typed for a
// provider's website, and returns it in canonical form. The register is
// public and links to it, so only https to a public host name, without
// credentials, is taken: the host under the rules --public-url follows
// (package hostname: IDNA, as that profile writes it, labels of at most
// 63 octets, each label in one script, so that look-alikes such as
// pаypal.pk with a Cyrillic а are refused, and none all in Cyrillic
// letters that look Latin outside Cyrillic TLDs), with at least two labels (no
// "localhost"), not an IP address nor a name for local networks only, and
// a port (if any) from 1 to 65535.
//
// The canonical form, which is what is stored, so that two spellings of
// one address compare equal: the scheme and host in lower case; an
// internationalised name in its Unicode form (each xn-- label typed is
// decoded, and checked as if typed so), because the register is read by
// people, in Urdu too, and browsers turn it back into xn-- themselves; a
// port without leading zeros (0443 is 443: normalised, as browsers read
// it), and none at all when it is https's default, 443; a path of "/"
// alone dropped (the same address as none). The rest (path, query,
// fragment) is kept as typed (a path is case-sensitive). A host ending
// in a dot is refused, not normalised.
func checkWebsite(fe FieldErrors, s string) string {
	if utf8.RuneCountInString(s) > 200 {
		fe.Add("website", "is too long: at most %d characters; give a shorter address of the provider's site, such as its home page https://www.example.pk", 200)
		return s
	}
	for _, r := range s {
		if r <= 0x20 || r == 0x7f || r == utf8.RuneError {
			fe.Add("website", "must be an https address without spaces or control characters, such as https://www.example.pk")
			return s
		}
	}
	u, err := url.Parse(s)
	switch {
	case err != nil && strings.Contains(err.Error(), "invalid port"):
		// url.Parse's only word for a port that is not a number
		// ("https://www.example.pk:x").
		fe.Add("website", "has a port that is not a number from 1 to 65535; leave the port out, such as https://www.example.pk")
		return s
	case err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "":
		fe.Add("website", "must be a full https address, such as https://www.example.pk")
		return s
	case u.Scheme != "https":
		fe.Add("website", "must start with https:// (the register links only to secure sites); give the address of the provider's secure site, such as https://www.example.pk")
		return s
	case u.User != nil:
		fe.Add("website", "must not contain a user name or password (the part before @); leave it out, such as https://www.example.pk")
		return s
	case u.Port() != "" && !hostname.ValidPort(u.Port()) || strings.HasSuffix(u.Host, ":"):
		fe.Add("website", "has a port that is not a number from 1 to 65535; leave the port out, such as https://www.example.pk")
		return s
	}
	h, problem := hostname.Parse(u.Hostname())
	switch problem {
	case hostname.OK:
	case hostname.Unusual:
		fe.Add("website", "has its host name written in an unusual form (%s), such as full-width letters or an accent typed as a separate mark, which browsers turn into another name; type it as %s", u.Hostname(), h.Want)
		return s
	case hostname.TrailingDot:
		fe.Add("website", "has a host name that ends in a dot (%s); leave the final dot out, such as https://www.example.pk", u.Hostname())
		return s
	case hostname.IPZone:
		fe.Add("website", "%s names a network interface of one computer (an IPv6 zone), not a web site; a provider's website must be a public host name, such as https://www.example.pk", u.Hostname())
		return s
	case hostname.MixedScripts:
		// A script met only in its digits is not called letters: ٣ in
		// example٣ is an Arabic-Indic digit, of the Arabic script. The
		// letters' script is named first.
		sc, digits := h.Scripts, h.Digits
		if digits[0] && !digits[1] {
			sc, digits = [2]string{sc[1], sc[0]}, [2]bool{digits[1], digits[0]}
		}
		switch {
		case digits[0]:
			fe.Add("website", "has a host name that mixes digits of the %s and %s scripts in one part (%s), as look-alike addresses do; write the digits as 0 to 9",
				scriptWord(sc[0]), scriptWord(sc[1]), h.Label)
		case digits[1]:
			fe.Add("website", "has a host name that mixes %s letters with digits of the %s script in one part (%s), as look-alike addresses do; write the digits as 0 to 9",
				scriptWord(sc[0]), scriptWord(sc[1]), h.Label)
		default:
			fe.Add("website", "has a host name that mixes %s and %s letters in one part (%s), as look-alike addresses do; type each part of the name in one alphabet",
				scriptWord(sc[0]), scriptWord(sc[1]), h.Label)
		}
		return s
	case hostname.LatinLookAlike:
		fe.Add("website", "has a part of its host name (%s) written only in Cyrillic letters that look like Latin ones, as look-alike addresses are made (browsers show it as xn--); if the provider's address is in Latin letters, type it in Latin letters, such as https://www.example.pk", h.Label)
		return s
	case hostname.LabelTooLong:
		fe.Add("website", "has a part of its host name that is too long (%s): each dot-separated part may have at most 63 characters, counted in the ASCII (xn--) form the DNS uses; check the name for a typing slip, or give a shorter address of the provider's site", h.Label)
		return s
	case hostname.TooLong:
		fe.Add("website", "has a host name that is too long: at most 253 characters, counted in the ASCII (xn--) form the DNS uses; check the name for a typing slip, or give a shorter address of the provider's site")
		return s
	default:
		fe.Add("website", "has a host name that is not valid (%s): use letters, digits and inner hyphens in each dot-separated part, such as https://www.example.pk", u.Hostname())
		return s
	}
	scope, addr := h.Scope()
	shown := u.Hostname()
	if addr.IsValid() && !h.IsIP() {
		shown = fmt.Sprintf("%s (which browsers read as %s)", shown, addr)
	}
	switch scope {
	case hostname.ScopePublic:
	case hostname.ScopeLoopback:
		fe.Add("website", "%s is a loopback address (the computer the browser runs on); a provider's website must be a public host name, such as https://www.example.pk", shown)
	case hostname.ScopePrivate:
		fe.Add("website", "%s is a private network address, reachable only inside one network; a provider's website must be a public host name, such as https://www.example.pk", shown)
	case hostname.ScopeLinkLocal:
		fe.Add("website", "%s is a link-local address, reachable only on one local network; a provider's website must be a public host name, such as https://www.example.pk", shown)
	case hostname.ScopeUnspecified:
		fe.Add("website", "%s is an unspecified address, which names no computer; a provider's website must be a public host name, such as https://www.example.pk", shown)
	case hostname.ScopeMulticast:
		fe.Add("website", "%s is a multicast address, which names a group of devices, not a web site; a provider's website must be a public host name, such as https://www.example.pk", shown)
	case hostname.ScopeSpecial:
		fe.Add("website", "%s is an address reserved for special use (such as documentation or testing), not a web site on the internet; a provider's website must be a public host name, such as https://www.example.pk", shown)
	case hostname.ScopePublicIP:
		fe.Add("website", "%s is an IP address; a provider's website must be named by its public host name, such as https://www.example.pk", shown)
	case hostname.ScopeSingleLabel:
		fe.Add("website", "%s is a name without a domain, which works only inside one network; a provider's website must be a public host name, such as https://www.example.pk", shown)
	case hostname.ScopeLocalDomain:
		fe.Add("website", "%s is a name for local networks only; a provider's website must be a public host name, such as https://www.example.pk", shown)
	case hostname.ScopeSpecialName:
		// Names kept so that they never reach a provider's site: RFC 6761
		// (.test, .example, .invalid), RFC 7686 (.onion), RFC 9476 (.alt)
		// and RFC 2606's example.com, .net and .org.
		switch r := h.Reserved(); r {
		case "alt":
			fe.Add("website", "%s ends in .alt, which is reserved for name systems other than the DNS (RFC 9476) and names no site a browser reaches on the internet; give the provider's public website, such as https://www.example.pk", shown)
		case h.TLD():
			fe.Add("website", "%s ends in .%s, which is reserved for testing, examples or Tor (RFC 6761, RFC 7686) and names no site a browser reaches on the internet; give the provider's public website, such as https://www.example.pk", shown, r)
		default:
			fe.Add("website", "%s is under %s, a domain reserved for examples (RFC 2606) that names no provider's site; give the provider's public website, such as https://www.example.pk", shown, r)
		}
	default: // ScopeNumeric
		fe.Add("website", "%s ends in a number, so browsers take it for an IP address; a provider's website must be a public host name, such as https://www.example.pk", shown)
	}
	if scope != hostname.ScopePublic {
		return s
	}
	host := h.Unicode
	if p := u.Port(); p != "" {
		if n, _ := strconv.Atoi(p); n != 443 {
			host += ":" + strconv.Itoa(n)
		}
	}
	// The rest as typed: from the first / ? or # after "https://" and
	// the authority (url.Parse took the scheme to end at the first ":",
	// and an authority starts with "//").
	rest := s[len(u.Scheme)+len("://"):]
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[i:]
	} else {
		rest = ""
	}
	// A path of "/" alone is the empty path (WHATWG URL serialises both
	// as "/"): one address, so one spelling, without it.
	if strings.HasPrefix(rest, "/") && (len(rest) == 1 || rest[1] == '?' || rest[1] == '#') {
		rest = rest[1:]
	}
	return "https://" + host + rest
}

// scriptWord is a script's name as messages give it ("Latin" for Go's
// "Latin", "Han (Chinese)" for "Han").
func scriptWord(script string) string {
	if script == "Han" {
		return "Han (Chinese)"
	}
	return script
}

// AddProvider adds a licensed VPN service provider to the register
// (admins only); the provider's status defaults to active. EINVALID with
// a message per field; ECONFLICT when another provider holds the licence
// number. The audit log records "provider.created". The same add sent
// again by the same admin just after (a form sent twice) returns the
// provider the first added, and records nothing (addedBefore).
func (s *Service) AddProvider(ctx context.Context, actor *User, in ProviderInput) (*Provider, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	p := Provider{Status: ProviderActive}
	in.applyTo(&p)
	fe := FieldErrors{}
	if in.Revision != 0 {
		fe.Add("revision", "is only for a change of an existing provider; leave it out when adding one")
	}
	checkProvider(fe, &p, s.Now().In(PKT.Loc).Format(time.DateOnly))
	if err := fe.Err(); err != nil {
		return nil, err
	}
	p.ID = auth.RandomID("prv")
	p.CreatedAt = s.Now()
	p.UpdatedAt, p.Revision = p.CreatedAt, 1
	err := s.store.Write(ctx, func(tx Tx) error {
		if err := tx.CreateProvider(ctx, &p); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "provider.created", "provider", p.ID, map[string]string{
			"name": p.Name, "licence_number": p.LicenceNumber, "licence_date": p.LicenceDate, "status": string(p.Status), "website": p.Website})
	})
	if ErrorCode(err) == ECONFLICT {
		return s.addedBefore(ctx, actor, &p, err)
	}
	if err != nil {
		return nil, withLicenceField(err)
	}
	return &p, nil
}

// providerRepeatWindow is how long after adding a provider the same add
// by the same admin counts as the same request sent again (a form sent
// twice by a double click or a reload, an API call retried after a lost
// answer), not as a mistake.
const providerRepeatWindow = 10 * time.Minute

// addedBefore answers an add of p refused (conflict) because its licence
// number is on the register. When the provider holding it is exactly p
// (every field as checked), unchanged since, added by actor within
// providerRepeatWindow, the add is the same request sent again while the
// first was being saved (two presses of "Add", as the import's confirm
// meets): the provider is there as asked, so it is returned, not an
// error the admin would take for a failure. Otherwise the conflict
// names the provider that holds the number.
func (s *Service) addedBefore(ctx context.Context, actor *User, p *Provider, conflict error) (*Provider, error) {
	var held *Provider
	var created []audit.Entry
	err := s.store.Read(ctx, func(tx Tx) error {
		ps, err := tx.ListProviders(ctx)
		if err != nil {
			return err
		}
		for _, q := range ps {
			if q.LicenceNumber == p.LicenceNumber {
				held = q
			}
		}
		if held == nil {
			return nil
		}
		created, err = tx.AuditEntriesAbout(ctx, []AuditObject{{Type: "provider", ID: held.ID}})
		return err
	})
	if err != nil {
		return nil, err
	}
	if held == nil { // changed again since the conflict: say what the store said
		return nil, withLicenceField(conflict)
	}
	same := held.Revision == 1 && held.Name == p.Name && held.LicenceDate == p.LicenceDate &&
		held.Status == p.Status && held.Website == p.Website && s.Now().Sub(held.CreatedAt) <= providerRepeatWindow
	if same {
		for _, e := range created {
			if e.Action == "provider.created" && e.ActorID == actorID(actor) {
				return held, nil
			}
		}
	}
	return nil, Errorf(ECONFLICT, "licence number %s is already on the register, held by the provider %s; check the number, or change that provider instead",
		held.LicenceNumber, held.Name).WithField("licence_number")
}

// UpdateProvider changes the fields in of provider id (admins only); nil
// fields stay. There is no delete: a provider leaves the list of those
// whose customers need not register by a change of status (suspended,
// expired, revoked), and the register keeps the entry. ENOTFOUND for an
// unknown id, EINVALID and ECONFLICT as AddProvider. The audit log
// records "provider.updated" with each changed field's old and new value;
// a change that changes nothing records nothing (and keeps the revision);
// a website sent in another spelling of the stored address (case, xn--,
// :443, a port's leading zeros: checkWebsite's canonical form) is no
// change, even when the stored one predates the canonical form.
// ECONFLICT too when in.Revision is set and the entry was changed since;
// EINVALID for a negative in.Revision. A stored website that fails
// today's rule is not refused when the change leaves it as it is (left
// out, or sent back unchanged): the other fields change and it is kept
// (WebsiteProblem); a new website is checked as AddProvider checks it.
func (s *Service) UpdateProvider(ctx context.Context, actor *User, id string, in ProviderInput) (*Provider, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	if in.Revision < 0 {
		return nil, FieldErrors{"revision": "must be the revision you edited (1 or more), or left out"}.Err()
	}
	var out *Provider
	var stale error // not the licence number's conflict: no field
	err := s.store.Write(ctx, func(tx Tx) error {
		old, err := tx.Provider(ctx, id, true)
		if err != nil {
			return err
		}
		if in.Revision != 0 && in.Revision != old.Revision {
			stale = Errorf(ECONFLICT, "provider %s was changed by someone else since you opened it (it is at revision %d, you edited revision %d; changed at %s, its status is now %s); look at its current values and make your change again",
				old.LicenceNumber, old.Revision, in.Revision, old.UpdatedAt.In(PKT.Loc).Format("2006-01-02 15:04 MST"), old.Status)
			return stale
		}
		p := *old
		in.applyTo(&p)
		sent := p.Website
		fe := FieldErrors{}
		checkProvider(fe, &p, s.Now().In(PKT.Loc).Format(time.DateOnly))
		switch {
		case strings.TrimSpace(sent) != strings.TrimSpace(old.Website) && asFormSends(sent) == asFormSends(old.Website):
			// The edit form sent back the stored website as a browser
			// shows it (line breaks dropped, NUL replaced): the admin
			// typed no change, so it stays as stored, even where what
			// was sent would pass (it is not the address on record).
			delete(fe, "website")
			p.Website = old.Website
		case fe["website"] != "" && websiteKept(old.Website, sent):
			// The website stays as stored: refusing it would block every
			// other change (a revocation above all) until someone invents
			// a new address. See WebsiteProblem.
			delete(fe, "website")
			p.Website = old.Website
		}
		if err := fe.Err(); err != nil {
			return err
		}
		changes := map[string][2]string{}
		for _, f := range []struct{ name, from, to string }{
			{"name", old.Name, p.Name}, {"licence_number", old.LicenceNumber, p.LicenceNumber},
			{"licence_date", old.LicenceDate, p.LicenceDate}, {"status", string(old.Status), string(p.Status)},
			{"website", old.Website, p.Website},
		} {
			if f.from != f.to {
				changes[f.name] = [2]string{f.from, f.to}
			}
		}
		if _, ok := changes["website"]; ok && len(changes) == 1 && sameWebsite(old.Website, p.Website) {
			// Only the spelling of the stored website would change (one
			// saved before the canonical form, sent back as shown or
			// respelled): the same address, so no change, as respelling
			// a canonical one is. A change of another field puts it in
			// canonical form with the rest.
			delete(changes, "website")
		}
		out = &p
		if len(changes) == 0 {
			out = old
			return nil
		}
		p.UpdatedAt, p.Revision = s.Now(), old.Revision+1
		if err := tx.UpdateProvider(ctx, &p); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "provider.updated", "provider", p.ID, changes)
	})
	if stale != nil {
		return nil, stale
	}
	if err != nil {
		return nil, withLicenceField(err)
	}
	return out, nil
}

// sameWebsite reports whether stored, a website as stored (perhaps
// before the canonical form), and canon, one in canonical form, are the
// same address: stored meets today's rule and its canonical form is canon.
func sameWebsite(stored, canon string) bool {
	fe := FieldErrors{}
	c := checkWebsite(fe, strings.TrimSpace(stored))
	return len(fe) == 0 && c == canon
}

// SameWebsite reports whether a and b, websites as typed or stored, are
// one address: equal but for spaces around them, or both meeting today's
// rule with one canonical form (checkWebsite). For pages that compare
// what an admin typed with what is saved.
func SameWebsite(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == b {
		return true
	}
	fa, fb := FieldErrors{}, FieldErrors{}
	ca, cb := checkWebsite(fa, a), checkWebsite(fb, b)
	return a != "" && b != "" && len(fa) == 0 && len(fb) == 0 && ca == cb
}

// websiteKept reports whether a change leaves the stored website as it
// was: the same value sent back (as the edit form does, and as PATCH does
// when it leaves the member out), spaces around it aside. Only a website
// that changes is held to today's rule.
func websiteKept(stored, sent string) bool {
	return sent == stored || strings.TrimSpace(sent) == strings.TrimSpace(stored)
}

// asFormSends is what a browser sends back of value shown in a text or
// url input: line breaks stripped (HTML's value sanitization algorithm),
// U+0000 as U+FFFD (the HTML parser's rule for attribute values), spaces
// around it trimmed. A stored website holding those (written before
// today's rule, or straight to the database) never comes back from the
// edit form as it is stored.
func asFormSends(value string) string {
	return strings.TrimSpace(strings.NewReplacer("\r", "", "\n", "", "\x00", "\uFFFD").Replace(value))
}

// WebsiteProblem says what is wrong with p's stored website under today's
// rule (checkWebsite's words, as the website field's error would give
// them), or "" when it meets the rule or there is none. A website saved
// before the rule was tightened (one script per label, UTS #39; the
// canonical form), or written to the database directly, can fail it.
// Such a website does not block a change of the provider's other fields
// (an admin must be able to revoke a licence without inventing an
// address): UpdateProvider keeps it as stored, and the admin is told,
// without blocking, what is wrong and how to fix it (WebsiteWarning, the
// edit form). Only a new website is refused.
//
// Stored websites are not rewritten at start-up, nor by a migration: a
// website that meets the rule but is not in canonical form is put in it
// the next time its provider is changed (the change, recorded in the
// audit log with its old and new value, is the admin's), as before. A
// rewrite at start would run on every replica, change revisions no admin
// saw change (so open edit forms would be refused as stale) and write
// audit entries nobody asked for, while the link goes to the same address
// either way (the canonical form differs only in spelling).
func (p *Provider) WebsiteProblem() string {
	if strings.TrimSpace(p.Website) == "" {
		return ""
	}
	fe := FieldErrors{}
	checkWebsite(fe, strings.TrimSpace(p.Website))
	return fe["website"]
}

// WebsiteWarning is WebsiteProblem as the API tells an admin: what is
// wrong, that it blocks nothing, and how to fix it; "" when nothing is.
func (p *Provider) WebsiteWarning() string {
	problem := p.WebsiteProblem()
	if problem == "" {
		return ""
	}
	return fmt.Sprintf("the website saved for this provider does not meet today's rules, so it is kept as it is while other fields change: the website %s. To fix it, send the provider's website again in full, such as https://www.example.pk, or \"\" to remove it", problem)
}

// withLicenceField puts a duplicate licence number's conflict under the
// licence_number field, so the form shows it by the input.
func withLicenceField(err error) error {
	if e, ok := err.(*Error); ok && e.Code == ECONFLICT && len(e.Fields) == 0 {
		return e.WithField("licence_number")
	}
	return err
}

// applyTo copies the fields given in in onto p.
func (in ProviderInput) applyTo(p *Provider) {
	if in.Name != nil {
		p.Name = *in.Name
	}
	if in.LicenceNumber != nil {
		p.LicenceNumber = *in.LicenceNumber
	}
	if in.LicenceDate != nil {
		p.LicenceDate = *in.LicenceDate
	}
	if in.Status != nil {
		p.Status = ProviderStatus(strings.TrimSpace(*in.Status))
	}
	if in.Website != nil {
		p.Website = *in.Website
	}
}

// ListProviders lists the register, by name; public (anyone may check a
// provider's licence).
func (s *Service) ListProviders(ctx context.Context) ([]*Provider, error) {
	var out []*Provider
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = tx.ListProviders(ctx)
		return err
	})
	return out, err
}

// Provider returns one provider of the register; public. ENOTFOUND for an
// unknown id.
func (s *Service) Provider(ctx context.Context, id string) (*Provider, error) {
	var out *Provider
	err := s.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = tx.Provider(ctx, id, false)
		return err
	})
	return out, err
}

// AdminProviders lists the register, by name, for an admin: the same
// entries as ListProviders, asked for by an admin so that the answer may
// carry what the public does not see (each website's WebsiteWarning).
// EFORBIDDEN for anyone else.
func (s *Service) AdminProviders(ctx context.Context, actor *User) ([]*Provider, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	return s.ListProviders(ctx)
}

// AdminProvider returns one provider for an admin (its revision, to send
// back with a change, and its website's warning). EFORBIDDEN for anyone
// else, checked before the id is looked up; ENOTFOUND for an unknown id.
func (s *Service) AdminProvider(ctx context.Context, actor *User, id string) (*Provider, error) {
	if err := requireRole(actor, RoleAdmin); err != nil {
		return nil, err
	}
	return s.Provider(ctx, id)
}

// DemoProviders are the clearly fictional providers ipreg serve --demo
// puts on the register, one per status, so the public page and the admin
// forms have something to show. Real deployments start with none.
var DemoProviders = []Provider{
	{Name: "Demo Secure Tunnels (fictional)", LicenceNumber: "DEMO/VPN/2025/001", LicenceDate: "2025-01-15", Status: ProviderActive, Website: "https://tunnels.example.pk"},
	{Name: "Example Private Networks (fictional)", LicenceNumber: "DEMO/VPN/2025/002", LicenceDate: "2025-04-02", Status: ProviderActive, Website: "https://privatenetworks.example.pk"},
	{Name: "Sample Link Services (fictional)", LicenceNumber: "DEMO/VPN/2024/017", LicenceDate: "2024-06-30", Status: ProviderSuspended},
}

// ensureDemoProviders adds the demo providers whose licence number is not
// on the register yet (an admin's edits to them are kept).
func (s *Service) ensureDemoProviders(ctx context.Context) error {
	for _, p := range DemoProviders {
		status := string(p.Status)
		in := ProviderInput{Name: &p.Name, LicenceNumber: &p.LicenceNumber, LicenceDate: &p.LicenceDate, Status: &status, Website: &p.Website}
		if _, err := s.AddProvider(ctx, System, in); err != nil && ErrorCode(err) != ECONFLICT {
			return fmt.Errorf("demo provider %s: %w", p.LicenceNumber, err)
		}
	}
	return nil
}
