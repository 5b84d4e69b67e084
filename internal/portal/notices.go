package portal

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// A notice's texts and history as pages show them, in the page's language.

// NoticeTitle is the notice's title in the page's language.
func (v *view) NoticeTitle(n *registry.Notice) string {
	if v.Lang == "ur" {
		return n.TitleUR
	}
	return n.TitleEN
}

// NoticeBody is the notice's body in the page's language as paragraphs
// (split at empty lines), each a list of lines: the template escapes each
// and joins the lines with <br>, so no markup typed is ever interpreted.
func (v *view) NoticeBody(n *registry.Notice) [][]string {
	body := n.BodyEN
	if v.Lang == "ur" {
		body = n.BodyUR
	}
	return paragraphs(body)
}

var blankLines = regexp.MustCompile(`\n[ \t]*\n`)

func paragraphs(body string) [][]string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	var out [][]string
	for _, p := range blankLines.Split(body, -1) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, strings.Split(p, "\n"))
		}
	}
	return out
}

// noticeChangeView is one change of a revision as the history shows it.
type noticeChangeView struct {
	Label            string // English catalog key
	Date             bool   // Old and New are times
	OldTime, NewTime time.Time
	Old, New         string // texts
}

// noticeRevisionView is one revision after the first: when, and what.
type noticeRevisionView struct {
	At      time.Time
	Changes []noticeChangeView
}

var noticeFieldLabels = map[string]string{
	"title_en":     "Title in English",
	"title_ur":     "Title in Urdu",
	"body_en":      "Text in English",
	"body_ur":      "Text in Urdu",
	"published_at": "Publication date",
	"expires_at":   "Expiry date",
	"withdrawn_at": "Withdrawn on",
}

// The notices' status labels, plural and flashes, added to the portal's
// tables (one entry a line: the catalog test reads them).
func init() {
	labels["noticestatus"] = map[string]string{
		"scheduled": "Scheduled",
		"current":   "Current",
		"expired":   "Past",
		"withdrawn": "Withdrawn by the registry",
	}
	for k, v := range map[string]string{
		"notice_published": "The notice was published.",
		"notice_saved":     "The change was saved; the notice shows it with what it replaced.",
		"notice_withdrawn": "The notice was withdrawn; it is listed under past notices.",
	} {
		flashes[k] = v
	}
	for k, v := range map[string]string{
		"POST /admin/notices":               "/admin/notices",
		"POST /admin/notices/{id}":          "/admin/notices/{id}",
		"POST /admin/notices/{id}/withdraw": "/admin/notices",
	} {
		formPages[k] = v
	}
}

// NoticeChanges lists the changes after publication, oldest first; only
// the texts of the page's language (an English page does not list an
// edit of the Urdu wording as a change of what it shows, and the other
// way round), dates always.
func (v *view) NoticeChanges(n *registry.Notice) []noticeRevisionView {
	var out []noticeRevisionView
	for i, r := range n.History {
		if i == 0 {
			continue // the text as published (registry.attachHistory)
		}
		rv := noticeRevisionView{At: r.ChangedAt}
		for _, c := range r.Changes {
			// Each page shows the wording in its own language only.
			switch c.Field {
			case "title_en", "body_en":
				if v.Lang == "ur" {
					continue
				}
			case "title_ur", "body_ur":
				if v.Lang != "ur" {
					continue
				}
			}
			rv.Changes = append(rv.Changes, noticeChangeOf(c))
		}
		if len(rv.Changes) > 0 {
			out = append(out, rv)
		}
	}
	return out
}

// withQueryLang makes ?lang=en or ?lang=ur the page's language, as it is
// the feed's: the feed's links carry it, so that a reader of the Urdu feed
// lands on the Urdu page whatever the browser's cookie or preference. The
// parameter is taken off the page's own address, so that the language
// switch (which sets the cookie and comes back) is not overruled by it.
// Any other value is ignored: the page is shown in the visitor's language.
func withQueryLang(r *http.Request) *http.Request {
	q := r.URL.Query()
	lang := registry.Language(q.Get("lang")) // ?lang=UR too: tags are case-insensitive
	if lang == "" {
		return r
	}
	q.Del("lang")
	r = r.WithContext(context.WithValue(r.Context(), langKey, lang))
	u := *r.URL
	u.RawQuery = q.Encode()
	r.URL = &u
	return r
}

// noticesPage lists the current notices, then the past ones (expired or
// withdrawn), each with every change made after its publication.
func (s *Server) noticesPage(w http.ResponseWriter, r *http.Request) {
	r = withQueryLang(r)
	ns, err := s.svc.ListNotices(r.Context(), true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.svc.Now()
	var current, past []*registry.Notice
	for _, n := range ns {
		if n.Status(now) == registry.NoticeCurrent {
			current = append(current, n)
		} else {
			past = append(past, n)
		}
	}
	s.render(w, r, http.StatusOK, "notices", &view{Title: "Notices", D: map[string]any{"Current": current, "Past": past, "Now": now}})
}

// NoticeEdits is how many times the notice was changed after publication
// (its withdrawal included).
func (v *view) NoticeEdits(n *registry.Notice) int { return n.Revision - 1 }
