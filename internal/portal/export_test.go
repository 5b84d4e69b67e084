package portal

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

// MessageLabel is the outbox page's name for a message template, in lang.
func MessageLabel(lang, code string) string { return (&view{Lang: lang}).L("message", code) }

// UnisolatedLTR is unisolatedLTR (bidi_test.go), for the tour's checks.
var UnisolatedLTR = unisolatedLTR

// FormPageOf is the page that carries the form posted to path with the
// given Referer (a path, or "") and posted values (none, or one set):
// formPageOf, routed as the portal routes.
func FormPageOf(path, referer string, form ...url.Values) (page, pattern string) {
	var vals url.Values
	if len(form) > 0 {
		vals = form[0]
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		if strings.HasPrefix(rt.pattern, "POST ") {
			mux.HandleFunc(rt.pattern, func(w http.ResponseWriter, r *http.Request) { page, pattern = formPageOf(r, vals), r.Pattern })
		}
	}
	r := httptest.NewRequest("POST", "http://portal.test"+path, nil)
	if referer != "" {
		r.Header.Set("Referer", "http://portal.test"+referer)
	}
	mux.ServeHTTP(httptest.NewRecorder(), r)
	return page, pattern
}

// FormPages is the table of the pages that carry each POST route's form.
var FormPages = formPages

// IsPage reports whether path is a GET page of the portal.
var IsPage = isPage

// Label is a code's label of the given kind ("flag", "state"), in lang.
func Label(lang, kind, code string) string { return (&view{Lang: lang}).L(kind, code) }
