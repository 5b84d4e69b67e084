package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/registry"
)

// noticeView is a notice as the API shows it; history only on GET
// /api/v1/notices/{id}. Who made a change is never shown.
type noticeView struct {
	ID          string                `json:"id"`
	Status      registry.NoticeStatus `json:"status"`
	TitleEN     string                `json:"title_en"`
	TitleUR     string                `json:"title_ur"`
	BodyEN      string                `json:"body_en"`
	BodyUR      string                `json:"body_ur"`
	PublishedAt time.Time             `json:"published_at"`
	ExpiresAt   *time.Time            `json:"expires_at,omitempty"`
	WithdrawnAt *time.Time            `json:"withdrawn_at,omitempty"`
	UpdatedAt   time.Time             `json:"updated_at"`
	Revision    int                   `json:"revision"`
	History     []noticeRevisionView  `json:"history,omitempty"`
}

type noticeRevisionView struct {
	Revision  int                     `json:"revision"`
	ChangedAt time.Time               `json:"changed_at"`
	Changes   []registry.NoticeChange `json:"changes"`
}

func viewNotice(n *registry.Notice, now time.Time, history bool) noticeView {
	v := noticeView{ID: n.ID, Status: n.Status(now), TitleEN: n.TitleEN, TitleUR: n.TitleUR, BodyEN: n.BodyEN, BodyUR: n.BodyUR,
		PublishedAt: n.PublishedAt.UTC(), ExpiresAt: optTime(n.ExpiresAt), WithdrawnAt: optTime(n.WithdrawnAt),
		UpdatedAt: n.Updated().UTC(), Revision: n.Revision}
	for _, r := range n.History {
		if !history {
			break
		}
		v.History = append(v.History, noticeRevisionView{Revision: r.Revision, ChangedAt: r.ChangedAt.UTC(), Changes: orEmpty(r.Changes)})
	}
	return v
}

// noticeRequest is a notice as an admin sends it: times as RFC 3339
// strings, parsed here so that a wrong one is a field error naming the
// field. published_at left out: now; expires_at left out: no expiry.
type noticeRequest struct {
	TitleEN     string `json:"title_en"`
	TitleUR     string `json:"title_ur"`
	BodyEN      string `json:"body_en"`
	BodyUR      string `json:"body_ur"`
	PublishedAt string `json:"published_at,omitzero"`
	ExpiresAt   string `json:"expires_at,omitzero"`
	Revision    *int   `json:"revision,omitzero"` // left out: no check; given: 1 or more (as a provider's)
}

// revisionMessage refuses a revision below 1 sent as a precondition.
const revisionMessage = "must be the revision you edited (1 or more), or left out"

func (in noticeRequest) input() (registry.NoticeInput, registry.FieldErrors) {
	out := registry.NoticeInput{TitleEN: in.TitleEN, TitleUR: in.TitleUR, BodyEN: in.BodyEN, BodyUR: in.BodyUR}
	fe := registry.FieldErrors{}
	for _, f := range []struct {
		name, v string
		to      *time.Time
	}{{"published_at", in.PublishedAt, &out.PublishedAt}, {"expires_at", in.ExpiresAt, &out.ExpiresAt}} {
		if strings.TrimSpace(f.v) == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(f.v))
		if err != nil {
			fe.Add(f.name, "must be a date and time in RFC 3339 form with its offset, such as 2026-12-01T09:00:00+05:00")
			continue
		}
		*f.to = t
	}
	if in.Revision != nil {
		if *in.Revision < 1 {
			fe.Add("revision", revisionMessage)
		}
		out.Revision = *in.Revision
	}
	return out, fe
}

// noticeInput reads req; a time that cannot be read is reported with
// every other field's error (svc.CheckNotice), not alone. old is the
// notice edited, nil for a new one.
func (s *Server) noticeInput(req noticeRequest, old *registry.Notice) (registry.NoticeInput, error) {
	in, fe := req.input()
	if len(fe) == 0 {
		return in, nil
	}
	var e *registry.Error
	if err := s.svc.CheckNotice(in, old); errors.As(err, &e) {
		for k, m := range e.Fields {
			if _, ok := fe[k]; !ok {
				fe[k] = m
			}
		}
	}
	return in, fe.Err()
}

// listNotices lists public notices: current ones, or with ?all=1 the
// expired and withdrawn ones too.
func (s *Server) listNotices(w http.ResponseWriter, r *http.Request) {
	all := false
	switch v := r.URL.Query().Get("all"); v {
	case "", "0", "false":
	case "1", "true":
		all = true
	default:
		s.writeError(w, r, registry.FieldErrors{"all": `must be "1" or "true" to list past notices too, or left out for current ones`}.Err())
		return
	}
	ns, err := s.svc.ListNotices(r.Context(), all)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.svc.Now()
	writeJSON(w, http.StatusOK, map[string]any{"notices": list(ns, func(n *registry.Notice) noticeView { return viewNotice(n, now, false) })})
}

// getNotice shows one public notice with its history.
func (s *Server) getNotice(w http.ResponseWriter, r *http.Request) {
	n, err := s.svc.Notice(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewNotice(n, s.svc.Now(), true))
}

// adminListNotices lists every notice, scheduled ones too (admin).
func (s *Server) adminListNotices(w http.ResponseWriter, r *http.Request) {
	ns, err := s.svc.AdminNotices(r.Context(), user(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := s.svc.Now()
	writeJSON(w, http.StatusOK, map[string]any{"notices": list(ns, func(n *registry.Notice) noticeView { return viewNotice(n, now, false) })})
}

// publishNotice publishes a new notice (admin).
func (s *Server) publishNotice(w http.ResponseWriter, r *http.Request) {
	var req noticeRequest
	if err := s.decode(w, r, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	in, err := s.noticeInput(req, nil)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.svc.PublishNotice(r.Context(), user(r), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, viewNotice(n, s.svc.Now(), true))
}

// editNotice replaces a notice's texts and dates (admin); the version
// before is kept in its history.
func (s *Server) editNotice(w http.ResponseWriter, r *http.Request) {
	var req noticeRequest
	if err := s.decode(w, r, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	in, fe := req.input()
	if len(fe) > 0 {
		s.writeError(w, r, fe.Err())
		return
	}
	n, err := s.svc.EditNotice(r.Context(), user(r), r.PathValue("id"), in)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewNotice(n, s.svc.Now(), true))
}

// withdrawNotice takes a notice back (admin).
func (s *Server) withdrawNotice(w http.ResponseWriter, r *http.Request) {
	if err := s.decode(w, r, &struct{}{}, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	n, err := s.svc.WithdrawNotice(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewNotice(n, s.svc.Now(), true))
}
