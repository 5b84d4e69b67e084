package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/auth"
	"github.com/ipreg/ipreg/internal/registry"
)

// Admins publish, change and withdraw notices on /admin/notices. The form
// takes dates (YYYY-MM-DD, Pakistan time): a publication date of today
// publishes at once, a later one at 00:00 that day; an expiry date keeps
// the notice shown through that day (it expires at 00:00 the day after).

const dateLayout = "2006-01-02"

func pktDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(registry.PKT.Loc).Format(dateLayout)
}

// noticeInput reads the notice form. old is the notice edited (nil for a
// new one): its publication date left as shown keeps its exact time.
func (s *Server) noticeInput(f url.Values, old *registry.Notice) (registry.NoticeInput, error) {
	in := registry.NoticeInput{TitleEN: f.Get("title_en"), TitleUR: f.Get("title_ur"), BodyEN: f.Get("body_en"), BodyUR: f.Get("body_ur")}
	if old == nil {
		in.ID = f.Get("id") // the add form's own id: sent twice, it publishes once
	}
	fe := registry.FieldErrors{}
	today := pktDate(s.svc.Now())
	if p := strings.TrimSpace(f.Get("published_at")); p != "" {
		d, err := time.ParseInLocation(dateLayout, p, registry.PKT.Loc)
		switch {
		case err != nil:
			fe.Add("published_at", "must be a date such as 2026-12-01, or left empty to publish now")
		case old != nil && p == pktDate(old.PublishedAt):
			in.PublishedAt = old.PublishedAt
		case p == today && old != nil:
			in.PublishedAt = s.svc.Now() // a scheduled notice brought forward to now
		case p == today:
			// now: the zero time
		default:
			in.PublishedAt = d
		}
	} else if old != nil {
		in.PublishedAt = old.PublishedAt
	}
	if e := strings.TrimSpace(f.Get("expires_at")); e != "" {
		d, err := time.ParseInLocation(dateLayout, e, registry.PKT.Loc)
		switch {
		case err != nil:
			fe.Add("expires_at", "must be a date such as 2026-12-31, or left empty for a notice without expiry")
		case old != nil && !old.ExpiresAt.IsZero() && e == pktDate(old.ExpiresAt.Add(-time.Nanosecond)):
			in.ExpiresAt = old.ExpiresAt // as it was: an expiry set through the API keeps its exact time
		default:
			in.ExpiresAt = d.AddDate(0, 0, 1)
		}
	}
	if rv := f.Get("revision"); rv != "" {
		n, err := strconv.Atoi(rv)
		if err != nil || n < 1 {
			return in, registry.Errorf(registry.EMALFORMED, "the form could not be read; reload the page and send it again")
		}
		in.Revision = n
	}
	if len(fe) > 0 {
		// Every field's error at once: the dates read here, the rest as
		// the registry checks them.
		var e *registry.Error
		if err := s.svc.CheckNotice(in, old); asError(err, &e) {
			for k, m := range e.Fields {
				fe.Add(k, "%s", m)
			}
		}
	}
	return in, fe.Err()
}

// noticeForm is the form's values for a notice being edited.
func noticeForm(n *registry.Notice) url.Values {
	v := url.Values{"title_en": {n.TitleEN}, "title_ur": {n.TitleUR}, "body_en": {n.BodyEN}, "body_ur": {n.BodyUR},
		"published_at": {pktDate(n.PublishedAt)}, "revision": {strconv.Itoa(n.Revision)}}
	if !n.ExpiresAt.IsZero() {
		v.Set("expires_at", pktDate(n.ExpiresAt.Add(-time.Nanosecond)))
	}
	return v
}

func (s *Server) adminNotices(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	s.renderAdminNotices(w, r, u, http.StatusOK, nil, nil)
}

func (s *Server) renderAdminNotices(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError, vals url.Values) {
	ns, err := s.svc.AdminNotices(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// The add form's notice id, made now: the form sent twice (a double
	// click, a reload) names one notice, published once. A form shown
	// back with its errors keeps the id it was sent with.
	id := vals.Get("id")
	if id == "" {
		id = auth.RandomID("ntc")
	}
	s.render(w, r, status, "admin_notices", &view{Title: "Notices", User: u, Err: ferr, Form: vals,
		D: map[string]any{"Notices": ns, "Now": s.svc.Now(), "NewID": id}})
}

// adminNoticeCreate publishes a notice; the form comes back with what was
// typed and each field's error.
func (s *Server) adminNoticeCreate(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err == nil {
		var in registry.NoticeInput
		if in, err = s.noticeInput(f, nil); err == nil {
			if _, err = s.svc.PublishNotice(r.Context(), u, in); err == nil {
				http.Redirect(w, r, "/admin/notices?msg=notice_published", http.StatusSeeOther)
				return
			}
		}
	}
	s.renderAdminNotices(w, r, u, statusOf(err), toFormError(s, r, err), f)
}

func (s *Server) adminNoticeEdit(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	n, err := s.svc.Notice(r.Context(), u, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "admin_notice", &view{Title: "Change a notice", User: u, Form: noticeForm(n), D: map[string]any{"Notice": n, "Now": s.svc.Now()}})
}

// adminNoticeSave stores a changed notice; the version before stays in
// its public history.
func (s *Server) adminNoticeSave(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	n, err := s.svc.Notice(r.Context(), u, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := form(w, r)
	var in registry.NoticeInput
	if err == nil {
		if in, err = s.noticeInput(f, n); err == nil {
			if _, err = s.svc.EditNotice(r.Context(), u, n.ID, in); err == nil {
				http.Redirect(w, r, "/admin/notices?msg=notice_saved", http.StatusSeeOther)
				return
			}
		}
	}
	d := map[string]any{"Notice": n, "Now": s.svc.Now()}
	ferr := toFormError(s, r, err)
	var re *registry.Error
	if errors.As(err, &re) && re.Code == registry.ECONFLICT && len(re.Fields) == 0 && in.Revision > 0 {
		// Changed by someone else since the form was opened: the form
		// comes back with what was typed, now against the current
		// revision (so that saving it again is not refused again), and
		// with what the other change was, so that the admin can keep it
		// or overrule it knowingly.
		if cur, cerr := s.svc.Notice(r.Context(), u, n.ID); cerr == nil && cur.Revision != in.Revision && cur.WithdrawnAt.IsZero() {
			if since, serr := s.svc.NoticeChangesSince(r.Context(), u, n.ID, in.Revision); serr == nil {
				d["Since"] = noticeChangeViews(since)
			}
			f.Set("revision", strconv.Itoa(cur.Revision))
			d["Notice"] = cur
			ferr = &formError{NotForm: true, Summary: translate(currentLang(r), "Someone else changed this notice since you opened the form, so your change was not saved. Their change is listed below; the form keeps what you typed. Check it, then save again to replace their version with yours.")}
		}
	}
	s.render(w, r, statusOf(err), "admin_notice", &view{Title: "Change a notice", User: u, Err: ferr, Form: f, D: d})
}

// noticeChangeViews is a list of changes as the stale form shows them:
// dates as times, texts with both wordings.
func noticeChangeViews(cs []registry.NoticeChange) []noticeChangeView {
	var out []noticeChangeView
	for _, c := range cs {
		out = append(out, noticeChangeOf(c))
	}
	return out
}

// noticeChangeOf is one change as pages show it: a date field's values
// as times as well.
func noticeChangeOf(c registry.NoticeChange) noticeChangeView {
	cv := noticeChangeView{Label: noticeFieldLabels[c.Field], Old: c.Old, New: c.New}
	switch c.Field {
	case "published_at", "expires_at", "withdrawn_at":
		cv.Date = true
		cv.OldTime, _ = time.Parse(time.RFC3339, c.Old)
		cv.NewTime, _ = time.Parse(time.RFC3339, c.New)
	}
	return cv
}

func (s *Server) adminNoticeWithdraw(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	if _, err := form(w, r); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.svc.WithdrawNotice(r.Context(), u, r.PathValue("id")); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/notices?msg=notice_withdrawn", http.StatusSeeOther)
}
