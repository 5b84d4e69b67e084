package registry_test

import (
	"errors"
	"strings"
	"testing"

	. "github.com/ipreg/ipreg/internal/registry"
	"github.com/ipreg/ipreg/internal/testbin"
)

// TestDocumentKindsPerCategory: an application takes only the kinds of
// document its category needs; another kind is refused on the kind field,
// naming those the category takes, and nothing is kept. An unknown kind
// goes the same way: it names the category's kinds, not every kind there
// is; a missing kind says it is required, naming them too.
func TestDocumentKindsPerCategory(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		company, individual := h.applicant("company"), h.applicant("individual")
		for _, tc := range []struct {
			user     *User
			category string
			refused  []string
			taken    string // in the refusal: the kinds the category takes
		}{
			{company, "company_vpn", []string{"pseb_certificate", "authentication_letter", "government_letter", "bogus"}, "give one of cnic_front, cnic_back, incorporation_proof"},
			{individual, "freelancer_vpn", []string{"incorporation_proof", "pseb_certificate", "bogus"}, "give one of cnic_front, cnic_back, authentication_letter"},
			{company, "call_center", []string{"bogus", "CNIC_FRONT"}, "give one of " + joinKinds(DocumentKindsFor(CategoryCallCenter))},
			{company, "video_conferencing", []string{"pseb_certificate", "authentication_letter"}, "give one of cnic_front, cnic_back, incorporation_proof, government_letter"},
		} {
			a, err := h.create(tc.user, ApplicationInput{Category: ptr(tc.category)})
			if err != nil {
				t.Fatal(err)
			}
			before, _ := h.svc.ListDocuments(h.ctx, tc.user, a.ID)
			for _, kind := range tc.refused {
				_, err := h.svc.UploadDocument(h.ctx, tc.user, a.ID, UploadInput{Kind: kind, Filename: kind + ".pdf", Content: testbin.PDF(kind)})
				wantCode(t, err, EINVALID, "kind", kind+" is not a document that "+tc.category+" applications take", tc.taken)
				var e *Error
				if errors.As(err, &e); e.Fields["kind"] != kind+" is not a document that "+tc.category+" applications take; "+tc.taken {
					t.Errorf("%s on %s: %q, want only the category's kinds named", kind, tc.category, e.Fields["kind"])
				}
			}
			_, err = h.svc.UploadDocument(h.ctx, tc.user, a.ID, UploadInput{Filename: "x.pdf", Content: testbin.PDF("x")})
			wantCode(t, err, EINVALID, "kind", "is required: one of "+strings.TrimPrefix(tc.taken, "give one of "))
			for _, kind := range DocumentKindsFor(Category(tc.category)) {
				if _, err := h.svc.UploadDocument(h.ctx, tc.user, a.ID, UploadInput{Kind: string(kind), Filename: "x.pdf", Content: testbin.PDF("x")}); err != nil {
					t.Errorf("%s takes %s: %v", tc.category, kind, err)
				}
			}
			after, _ := h.svc.ListDocuments(h.ctx, tc.user, a.ID)
			if len(after) != len(before)+len(DocumentKindsFor(Category(tc.category))) {
				t.Errorf("%s: %d documents before, %d after: a refused kind was kept", tc.category, len(before), len(after))
			}
		}
	})
}

func joinKinds(kinds []DocumentKind) string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
