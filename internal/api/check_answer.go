package api

import "net/http"

type checkAnswerRequest struct {
	Result string `json:"result"`
	Note   string `json:"note,omitzero"`
}

func (s *Server) answerCheck(w http.ResponseWriter, r *http.Request) {
	var in checkAnswerRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	c, err := s.svc.AnswerCheck(r.Context(), user(r), r.PathValue("id"), in.Result, in.Note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewCheck(c))
}
