package portal_test

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// formPayloads is the portal's injection corpus: markup and script (as an
// element, breaking out of an attribute, and out of a textarea), SQL,
// traversal, a header injection, NUL, invalid UTF-8, bidi controls and an
// overlong number. ipreg-x and onipregx are names no page of the portal
// uses, so finding one in a parsed page means the input was injected.
var formPayloads = []string{
	`<ipreg-x onipregx="alert(1)">`,
	`"><ipreg-x onipregx=alert(1)>`,
	`'><ipreg-x>`,
	`</textarea><ipreg-x>`,
	`<script>ipregx()</script>`,
	`javascript:ipregx()`,
	`' OR '1'='1'; DROP TABLE users; --`,
	`../../../../etc/passwd`,
	"a\r\nSet-Cookie: ipreg_x=1",
	"a\x00b",
	"a\xff\xfeb",
	"a\u202egnp.exe\u202c",
	strings.Repeat("9", 400),
}

// internalText is what an answer must never show: the database's or the
// runtime's own words.
var internalText = []string{"sqlite", "pq:", "SQLSTATE", "panic", "runtime error", "goroutine", "sql:", "internal/"}

// TestFormInjection sends formPayloads in every typed field of every
// portal form (formCases: the forms read from the templates, with a case
// each), as its role, one field at a time (the other values as the case
// has them, so the form comes back with the values shown): no 5xx, no
// internal text, and no injected element, attribute or script in the
// page as a browser parses it.
func TestFormInjection(t *testing.T) {
	e, cases, _ := formCases(t)
	names := make([]string, 0, len(cases))
	for k := range cases {
		names = append(names, k)
	}
	sort.Strings(names)
	// Everyone logs in first: the login form's case sends wrong passwords,
	// which throttle that account's logins.
	browsers := map[string]*browser{}
	for _, c := range cases {
		if _, ok := browsers[c.who]; ok {
			continue
		}
		b := e.browser()
		if c.who != "" {
			pw := "demo-password-1"
			if !strings.HasSuffix(c.who, "@demo.test") {
				pw = "a long password"
			}
			b.login(c.who, pw)
		}
		browsers[c.who] = b
	}
	for _, name := range names {
		c := cases[name]
		t.Run(name, func(t *testing.T) {
			b := browsers[c.who]
			var fields []string
			for f := range c.values {
				if !strings.Contains(f, "password") {
					fields = append(fields, f)
				}
			}
			slices.Sort(fields)
			for _, field := range fields {
				for _, payload := range formPayloads {
					vals := cloneValues(c.values)
					vals.Set(field, payload)
					var p page
					if c.file != "" {
						p = b.multipartValues(c.path, vals, c.file)
					} else {
						p = b.post(c.path, vals)
					}
					if p.status >= 500 {
						t.Errorf("%s=%q: status %d", field, payload, p.status)
					}
					low := strings.ToLower(p.body)
					for _, s := range internalText {
						if strings.Contains(low, strings.ToLower(s)) {
							t.Errorf("%s=%q: the answer shows %q", field, payload, s)
						}
					}
					if bad := injected(p.body); bad != "" {
						t.Errorf("%s=%q: the page holds %s", field, payload, bad)
					}
					if strings.Contains(p.header.Get("Set-Cookie"), "ipreg_x") {
						t.Errorf("%s=%q: a header was injected", field, payload)
					}
				}
			}
		})
	}
}

// injected parses a page as a browser would and returns what an input put
// there, or "": an ipreg-x element, an onipregx attribute, a script
// calling ipregx, or a link or action to javascript:.
func injected(body string) string {
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		return "an unparsable page"
	}
	var found string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if found != "" {
			return
		}
		if n.Type == html.ElementNode {
			if n.Data == "ipreg-x" {
				found = "an injected <ipreg-x> element"
				return
			}
			for _, a := range n.Attr {
				switch {
				case a.Key == "onipregx":
					found = "an injected onipregx attribute on <" + n.Data + ">"
				case (a.Key == "href" || a.Key == "action" || a.Key == "src" || a.Key == "formaction") &&
					strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:"):
					found = "a javascript: " + a.Key + " on <" + n.Data + ">"
				}
			}
			if n.Data == "script" && n.FirstChild != nil && strings.Contains(n.FirstChild.Data, "ipregx") {
				found = "an injected script"
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return found
}

// cloneValues copies a form's values, so that a case's stay as they are.
func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// injected tells escaped text from markup, as the browser's parser does.
func TestInjectedFindsMarkup(t *testing.T) {
	for _, tt := range []struct {
		page string
		want bool
	}{
		{`<p>&lt;ipreg-x onipregx="alert(1)"&gt;</p>`, false},
		{`<textarea>&lt;/textarea&gt;&lt;ipreg-x&gt;</textarea>`, false},
		{`<input value="&#34;&gt;&lt;ipreg-x onipregx=alert(1)&gt;">`, false},
		{`<p><ipreg-x></p>`, true},
		{`<input value=""><ipreg-x onipregx=alert(1)>">`, true},
		{`<textarea></textarea><ipreg-x></textarea>`, true},
		{`<a href=" JavaScript:ipregx()">x</a>`, true},
		{`<script>ipregx()</script>`, true},
	} {
		if got := injected(tt.page); (got != "") != tt.want {
			t.Errorf("injected(%q) = %q, want found=%v", tt.page, got, tt.want)
		}
	}
}
