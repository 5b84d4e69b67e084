package api

import (
	"net/http"

	"github.com/ipreg/ipreg/internal/registry"
)

type signupRequest struct {
	Email      string `json:"email"`
	Password   string `json:"password"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	CNIC       string `json:"cnic"`
	Mobile     string `json:"mobile"`
	NTN        string `json:"ntn,omitzero"`
	SECPNumber string `json:"secp_number,omitzero"`
	PSEBNumber string `json:"pseb_number,omitzero"`
	Lang       string `json:"lang,omitzero"`
}

type profileView struct {
	User     userView      `json:"user"`
	Account  *accountView  `json:"account,omitempty"`
	Operator *operatorView `json:"operator,omitempty"`
	// TOTPRequired: logins must use TOTP; with EnrolmentOnly, this
	// session may do nothing else until TOTP is set up.
	TOTPRequired  bool `json:"totp_required"`
	EnrolmentOnly bool `json:"totp_enrolment_required,omitempty"`
}

func (s *Server) signup(w http.ResponseWriter, r *http.Request) {
	var in signupRequest
	if err := s.decode(w, r, &in, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, acc, err := s.svc.Signup(r.Context(), registry.SignupInput{Email: in.Email, Password: in.Password, Kind: in.Kind,
		Name: in.Name, CNIC: in.CNIC, Mobile: in.Mobile, NTN: in.NTN, SECPNumber: in.SECPNumber, PSEBNumber: in.PSEBNumber,
		ClientIP: clientIP(r), Lang: in.Lang})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, profileView{User: viewUser(u), Account: viewAccount(acc)})
}
