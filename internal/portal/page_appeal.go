package portal

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ipreg/ipreg/internal/netpolicy"
	"github.com/ipreg/ipreg/internal/registry"
)

// appealSubmit is the applicant's appeal against a rejection.
func (s *Server) appealSubmit(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleApplicant)
	if !ok {
		return
	}
	id := r.PathValue("id")
	f, err := form(w, r)
	if err == nil {
		if _, err = s.svc.SubmitAppeal(r.Context(), u, id, f.Get("statement")); err == nil {
			http.Redirect(w, r, "/applications/"+id+"?msg=appealed#appeals", http.StatusSeeOther)
			return
		}
	}
	s.renderApplication(w, r, u, statusOf(err), toFormError(s, r, err), f)
}

// appealsPage is the supervisors' appeals queue.
func (s *Server) appealsPage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleSupervisor)
	if !ok {
		return
	}
	state := r.URL.Query().Get("state")
	list, err := s.svc.ListAppeals(r.Context(), u, state)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.svc.Now()
	type row struct {
		*registry.Appeal
		Overdue bool
	}
	rows := make([]row, len(list))
	for i, ap := range list {
		rows[i] = row{ap, ap.State == registry.AppealPending && ap.SLADueAt.Before(now)}
	}
	s.render(w, r, http.StatusOK, "appeals", &view{Title: "Appeals", User: u, Form: r.URL.Query(),
		D: map[string]any{"Rows": rows, "States": registry.AppealStates}})
}

// appealDecide records a supervisor's decision on an appeal; an error
// shows the application again with the form as typed.
func (s *Server) appealDecide(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleSupervisor)
	if !ok {
		return
	}
	ap, err := s.svc.GetAppeal(r.Context(), u, r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := form(w, r)
	if err == nil {
		in := registry.AppealDecisionInput{Decision: f.Get("decision"), Note: f.Get("note")}
		if in.Decision == "overturn" {
			in.Outcome = f.Get("outcome")
		}
		// The choices in the form's words (its radio labels), not the
		// API's values.
		choice := registry.FieldErrors{}
		switch {
		case in.Decision != "uphold" && in.Decision != "overturn":
			choice["decision"] = translate(currentLang(r), "Choose \"Uphold the rejection (final)\" or \"Overturn the rejection\".")
		case in.Decision == "overturn" && in.Outcome != registry.OutcomeApprove && in.Outcome != registry.OutcomeReturn:
			choice["outcome"] = translate(currentLang(r), "When overturning, choose \"Approve\" or \"Return for correction\".")
		}
		if len(choice) > 0 {
			err = choice.Err()
		}
		// Given with another decision, it is refused as by the API.
		if v := strings.TrimSpace(f.Get("valid_days")); v != "" {
			v, ferr := netpolicy.FoldDigits(v) // ۳۶۵ reads as 365
			n, perr := strconv.Atoi(strings.TrimSpace(v))
			if ferr != nil || perr != nil {
				err = registry.FieldErrors{"valid_days": "must be a whole number of days"}.Err()
			}
			in.ValidDays = n
		}
		if err == nil {
			if _, _, _, err = s.svc.DecideAppeal(r.Context(), u, ap.ID, in); err == nil {
				http.Redirect(w, r, "/appeals?msg=appeal_decided", http.StatusSeeOther)
				return
			}
		}
	}
	r.SetPathValue("id", ap.ApplicationID)
	s.renderApplication(w, r, u, statusOf(err), toFormError(s, r, err).withLabels(map[string]string{"decision": "Decision on the appeal"}), f)
}

// overduePage lists, for supervisors, what is past its SLA due time.
func (s *Server) overduePage(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleSupervisor)
	if !ok {
		return
	}
	od, err := s.svc.Overdue(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "overdue", &view{Title: "Overdue", User: u, D: od})
}

// holidayLines writes the holidays one a line, "YYYY-MM-DD name".
func holidayLines(hs []registry.Holiday) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(h.Date + " " + h.Name + "\n")
	}
	return b.String()
}

// parseHolidays reads "YYYY-MM-DD name" lines; blank lines are skipped.
// The dates and names are checked by Settings.Validate. places says on
// which physical line of the box (blank lines counted) each holiday was
// written, for relabel.
func parseHolidays(text string) (out []registry.Holiday, places itemPlaces) {
	out, places = []registry.Holiday{}, itemPlaces{}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		places["holidays"] = append(places["holidays"], itemPlace{"holidays", n + 1})
		date, name, _ := strings.Cut(line, " ")
		if d, err := netpolicy.FoldDigits(date); err == nil {
			date = d // ۲۰۲۶-۰۳-۲۳ reads as 2026-03-23
		}
		out = append(out, registry.Holiday{Date: date, Name: strings.TrimSpace(name)})
	}
	return out, places
}

func (s *Server) adminHolidays(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	set, err := s.svc.Settings(r.Context(), u)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderHolidays(w, r, u, http.StatusOK, nil, holidayLines(set.Holidays))
}

func (s *Server) renderHolidays(w http.ResponseWriter, r *http.Request, u *registry.User, status int, ferr *formError, text string) {
	form := map[string][]string{"holidays": {text}}
	s.render(w, r, status, "admin_holidays", &view{Title: "Public holidays", User: u, Err: ferr, Form: form,
		D: map[string]any{"Year": s.svc.Now().In(registry.PKT.Loc).Year()}})
}

func (s *Server) adminHolidaysPost(w http.ResponseWriter, r *http.Request) {
	u, ok := s.need(w, r, registry.RoleAdmin)
	if !ok {
		return
	}
	f, err := form(w, r)
	if err == nil {
		var set registry.Settings
		if set, err = s.svc.Settings(r.Context(), u); err == nil {
			var places itemPlaces
			set.Holidays, places = parseHolidays(f.Get("holidays"))
			if _, err = s.svc.UpdateSettings(r.Context(), u, set); err == nil {
				http.Redirect(w, r, "/admin/holidays?msg=saved", http.StatusSeeOther)
				return
			}
			err = places.relabel(err)
		}
	}
	s.renderHolidays(w, r, u, statusOf(err), toFormError(s, r, err), f.Get("holidays"))
}

// appealDeadlinePassed reports whether the present rejection's time to
// appeal is over.
func appealDeadlinePassed(a *registry.Application, now time.Time) bool {
	return !a.AppealBy.IsZero() && now.After(a.AppealBy)
}
