package portal

import (
	"bytes"
	"encoding/xml"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/ipreg/ipreg/internal/api"
	"github.com/ipreg/ipreg/internal/hostname"
	"github.com/ipreg/ipreg/internal/registry"
)

// The notices as an Atom feed (RFC 4287), one per language: /notices.atom
// in the visitor's language, ?lang=en or ?lang=ur to choose (another
// value is ignored, as on the notices page). Every current
// notice is an entry, and the most recently changed expired and withdrawn
// ones up to atomEntries in all, last changed first (registry NoticeFeed),
// so a feed reader sees a withdrawal or a moved deadline, of an old notice
// too, as an update of the entry: its updated time and the feed's move,
// and its content ends with the changes, old and new values.

const atomEntries = 50

type atomText struct {
	Type string `xml:"type,attr,omitempty"`
	Lang string `xml:"xml:lang,attr,omitempty"`
	Text string `xml:",chardata"`
}

type atomLink struct {
	Rel      string `xml:"rel,attr"`
	Type     string `xml:"type,attr,omitempty"`
	Href     string `xml:"href,attr"`
	HrefLang string `xml:"hreflang,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     atomText   `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Link      []atomLink `xml:"link"`
	Summary   *atomText  `xml:"summary,omitempty"`
	Content   atomText   `xml:"content"`
}

type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr"`
	ID      string      `xml:"id"`
	Title   atomText    `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Link    []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

// noticeEntryID is a notice's Atom id: a name-based (SHA-1) UUID of its
// id, as a urn:uuid: URI (RFC 4122 §4.3), the same in both languages'
// feeds and for as long as the notice exists, whatever the host.
func noticeEntryID(id string) string {
	return "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:ipreg:notice:"+id)).String()
}

// atomTime is an RFC 3339 date with microseconds: two changes within a
// second still give an entry two updated times.
func atomTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

func (s *Server) noticesAtom(w http.ResponseWriter, r *http.Request) {
	lang := currentLang(r)
	switch q := registry.Language(r.URL.Query().Get("lang")); q {
	case "en", "ur":
		lang = q
	default:
		// No ?lang=, or one the portal does not speak: ignored, as the
		// notices page ignores it (withQueryLang), and the feed is in the
		// visitor's language (the two answered 404 and 200, tester).
		// Caches must keep one copy per cookie and Accept-Language
		// (tester t2, minor 3).
		w.Header().Set("Vary", "Cookie, Accept-Language")
	}
	base, ok := s.feedBase(r)
	if s.cfg.PublicURL == "" {
		// The links are made of the request's address (feedBase): a
		// shared cache must keep one copy per address, or one client's
		// X-Forwarded-Host, passed on by a proxy that does not remove
		// it, would be served to everyone (tester, issue 13).
		w.Header().Add("Vary", "Host, X-Forwarded-Host, X-Forwarded-Proto")
	}
	if !ok {
		s.errorPage(w, r, http.StatusBadRequest, "The feed could not be made", "The request named a host the registry cannot link to. Use the registry's address, or ask the administrators to set --public-url.")
		return
	}
	ns, err := s.svc.NoticeFeed(r.Context(), atomEntries)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := &view{Lang: lang}
	self := base + "/notices.atom?lang=" + lang
	// The feed's id is its own absolute address as a name-based UUID: one
	// per deployment and language, the same at every poll.
	f := atomFeed{Lang: lang, ID: "urn:uuid:" + uuid.NewSHA1(uuid.NameSpaceURL, []byte(self)).String(),
		Title:  atomText{Type: "text", Text: v.T("Notices") + " · " + v.T("ipreg — VPN registration")},
		Author: atomPerson{Name: v.T("ipreg — VPN registration")},
		Link: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self},
			{Rel: "alternate", Type: "text/html", Href: noticesPageURL(base, lang, ""), HrefLang: lang}}}
	// The feed changed when its newest entry did; with none, the epoch
	// (a fixed time, so an empty feed does not look new at every poll).
	updated := time.Unix(0, 0)
	now := s.svc.Now()
	for _, n := range ns {
		if n.Updated().After(updated) {
			updated = n.Updated()
		}
		f.Entries = append(f.Entries, s.noticeEntry(v, n, now, base))
	}
	f.Updated = atomTime(updated)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", " ")
	if err := enc.Encode(f); err != nil {
		s.fail(w, r, err)
		return
	}
	buf.WriteString("\n")
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(buf.Bytes())
}

// noticeEntry is one notice as an Atom entry in v's language: its
// paragraphs as text content, then its status and every change.
func (s *Server) noticeEntry(v *view, n *registry.Notice, now time.Time, base string) atomEntry {
	title := v.NoticeTitle(n)
	switch n.Status(now) {
	case registry.NoticeWithdrawn:
		title = v.T("Withdrawn by the registry") + ": " + title
	case registry.NoticeExpired:
		title = v.T("Past") + ": " + title
	}
	var paras []string
	for _, p := range v.NoticeBody(n) {
		paras = append(paras, strings.Join(p, "\n"))
	}
	summary := ""
	if len(paras) > 0 {
		summary = paras[0]
	}
	when := func(t time.Time) string { return t.In(registry.PKT.Loc).Format("2006-01-02 15:04 MST") }
	meta := v.T("Published") + ": " + when(n.PublishedAt)
	if !n.ExpiresAt.IsZero() {
		meta += "\n" + v.T("Shown until") + ": " + when(n.ExpiresAt)
	}
	if !n.WithdrawnAt.IsZero() {
		meta += "\n" + v.T("Withdrawn on") + ": " + when(n.WithdrawnAt)
	}
	paras = append(paras, meta)
	for _, rv := range v.NoticeChanges(n) {
		lines := []string{v.T("Changed on") + " " + when(rv.At) + ":"}
		for _, c := range rv.Changes {
			if c.Date {
				old, nw := v.T("none"), v.T("none")
				if !c.OldTime.IsZero() {
					old = when(c.OldTime)
				}
				if !c.NewTime.IsZero() {
					nw = when(c.NewTime)
				}
				lines = append(lines, "- "+v.T(c.Label)+": "+v.T("before")+" "+old+"; "+v.T("now")+" "+nw)
			} else {
				lines = append(lines, "- "+v.T(c.Label)+": "+v.T("Before")+": "+c.Old+" / "+v.T("After")+": "+c.New)
			}
		}
		paras = append(paras, strings.Join(lines, "\n"))
	}
	return atomEntry{ID: noticeEntryID(n.ID), Title: atomText{Type: "text", Text: title},
		Updated: atomTime(n.Updated()), Published: atomTime(n.PublishedAt),
		Link:    []atomLink{{Rel: "alternate", Type: "text/html", Href: noticesPageURL(base, v.Lang, n.ID), HrefLang: v.Lang}},
		Summary: &atomText{Type: "text", Lang: v.Lang, Text: summary},
		Content: atomText{Type: "text", Lang: v.Lang, Text: strings.Join(paras, "\n\n")}}
}

// noticesPageURL is the notices page in lang (its ?lang= chooses the
// page's language whatever the reader's cookie or browser says: a reader
// of the Urdu feed lands on the Urdu page), at notice id if not "".
func noticesPageURL(base, lang, id string) string {
	u := base + "/notices?lang=" + lang
	if id != "" {
		u += "#" + id
	}
	return u
}

// feedBase is the start of the feed's links: --public-url when set;
// otherwise the address the request was made to, because RFC 4287 wants
// absolute IRIs (§4.2.6 ids, §4.2.7.1 links) and a relative "/notices"
// means nothing to a reader that fetched the feed through an aggregator.
// The scheme is https under TLS, under --secure-cookies (the deployment
// is behind a TLS-terminating proxy), or as a trusted proxy's
// X-Forwarded-Proto says; the host is a trusted proxy's X-Forwarded-Host,
// else the request's Host, and must pass the rules of --public-url
// (package hostname), else ok is false. The default port of the scheme
// is left out, so that one site gives one feed id. Only the feed uses
// this: links in messages never take a request's host.
func (s *Server) feedBase(r *http.Request) (base string, ok bool) {
	if s.cfg.PublicURL != "" {
		return s.cfg.PublicURL, true
	}
	scheme := "http"
	if r.TLS != nil || s.cfg.SecureCookies {
		scheme = "https"
	}
	proto, host := api.ForwardedOrigin(r)
	if p := strings.ToLower(proto); p == "http" || p == "https" {
		scheme = p
	}
	if host == "" {
		host = r.Host
	}
	name, port := host, ""
	if h, p, err := net.SplitHostPort(host); err == nil {
		name, port = h, p
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		name = host[1 : len(host)-1]
	}
	if port != "" && !hostname.ValidPort(port) {
		return "", false
	}
	h, problem := hostname.Parse(name)
	if problem != hostname.OK {
		return "", false
	}
	name = h.ASCII
	if h.IsIP() {
		name = h.IP.String()
	}
	if port == "" || scheme == "http" && port == "80" || scheme == "https" && port == "443" {
		if h.IsIP() && h.IP.Is6() {
			return scheme + "://[" + name + "]", true
		}
		return scheme + "://" + name, true
	}
	return scheme + "://" + net.JoinHostPort(name, port), true
}
