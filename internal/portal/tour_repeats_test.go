package portal_test

import (
	"strings"

	"github.com/ipreg/ipreg/internal/testbin"
	"testing"

	"golang.org/x/net/html"

	"github.com/ipreg/ipreg/internal/portal"
	"github.com/ipreg/ipreg/internal/registry"
)

// TestTourSaysItOnce walks every page of the tour, in both languages: no
// phrase of four or more words is said twice back to back ("Amendment of
// registration VPN-… Amendment of registration VPN-…"); a flag list says
// each flag's label once, its items after it (not a label per item); and
// the review queue's Flags column names each kind of flag once.
func TestTourSaysItOnce(t *testing.T) {
	for _, p := range tour(t) {
		checkSaidOnce(t, p.String(), p.Lang, p.Body)
	}
}

// Pages the tour lacks: an application with two flags of one kind (two
// addresses outside the country) in the queue and on its page, and an
// amendment's page, in both languages.
func TestSaysItOnceFlagsAndChanges(t *testing.T) {
	e := newEnv(t)
	alice := e.signup("alice@example.pk", "Alice Traders", "company")
	ptcl := e.user("operator.ptcl@demo.test", "demo-password-1")
	cat, op, sub, proto, purpose := "company_vpn", "ptcl", "PTCL-42", "wireguard", "Branch office link"
	addrs := []string{"8.8.8.0/24", "8.8.4.0/24"}
	two, err := e.svc.CreateApplication(e.ctx, alice, registry.ApplicationInput{Category: &cat, OperatorID: &op, SubscriberID: &sub,
		Addresses: &addrs, VPNProtocol: &proto, Purpose: &purpose})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range registry.RequiredDocuments(two.Category) {
		if _, err := e.svc.UploadDocument(e.ctx, alice, two.ID, registry.UploadInput{Kind: string(r.Kinds[0]), Filename: "scan.pdf",
			Content: testbin.PDF("scan")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.Submit(e.ctx, alice, two.ID, nil); err != nil {
		t.Fatal(err)
	}
	approved := e.apply(alice, "14.1.104.0/24", purpose, true)
	e.confirmChecks(ptcl)
	reviewer := e.user("reviewer@demo.test", "demo-password-1")
	if _, _, err := e.svc.Decide(e.ctx, reviewer, approved.ID, registry.DecisionInput{Decision: "approve"}); err != nil {
		t.Fatal(err)
	}
	a, err := e.svc.GetApplication(e.ctx, alice, approved.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, am, err := e.svc.Amend(e.ctx, alice, a.Registration, registry.AmendmentInput{Add: []string{"14.1.105.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct {
		who, email, password string
		paths                []string
	}{
		{"reviewer", "reviewer@demo.test", "demo-password-1", []string{"/review", "/applications/" + two.ID, "/applications/" + am.ID}},
		{"alice", "alice@example.pk", "a long password", []string{"/applications/" + am.ID}},
	} {
		for _, lang := range []string{"en", "ur"} {
			b := e.browser()
			b.login(v.email, v.password)
			b.get("/lang/" + lang)
			for _, path := range v.paths {
				p := b.get(path)
				if p.status != 200 {
					t.Fatalf("%s %s = %d", v.who, path, p.status)
				}
				checkSaidOnce(t, lang+" "+v.who+" "+path, lang, p.body)
			}
		}
	}
}

func checkSaidOnce(t *testing.T, name, lang, body string) {
	t.Helper()
	p := struct{ Lang string }{lang}
	{
		doc, err := html.Parse(strings.NewReader(body))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Outside tables (whose rows may well read alike), and in each cell.
		texts := []string{textOutside(doc, "table")}
		for _, td := range elements(doc, "td") {
			texts = append(texts, textOf(td))
		}
		for _, text := range texts {
			if phrase := saidTwice(text); phrase != "" {
				t.Errorf("%s: %q said twice in a row", name, phrase)
				break
			}
		}
		labels := map[string]bool{}
		for _, c := range registry.FlagCodes {
			labels[portal.Label(p.Lang, "flag", c)] = true
		}
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "ul" {
				said := map[string]bool{}
				for li := n.FirstChild; li != nil; li = li.NextSibling {
					if li.Type != html.ElementNode || li.Data != "li" || li.FirstChild == nil || li.FirstChild.Data != "strong" {
						continue
					}
					label := strings.TrimSpace(textOf(li.FirstChild))
					if labels[label] && said[label] {
						t.Errorf("%s: a flag list says %q on more than one line", name, label)
					}
					said[label] = true
				}
			}
			if n.Type == html.ElementNode && n.Data == "td" {
				for _, a := range n.Attr {
					if a.Key == "data-label" && (a.Val == "Flags" || a.Val == "نشاندہیاں") {
						said := map[string]bool{}
						for _, l := range strings.FieldsFunc(textOf(n), func(r rune) bool { return r == ',' || r == '،' }) {
							l = strings.TrimSpace(l)
							if said[l] {
								t.Errorf("%s: the Flags column says %q twice: %q", name, l, textOf(n))
							}
							said[l] = true
						}
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
	}
}

// saidTwice is a phrase of four or more words said twice back to back in
// text, or "".
func saidTwice(text string) string {
	words := strings.Fields(strings.NewReplacer("\u2068", "", "\u2069", "").Replace(text))
	for n := 4; n <= 16; n++ {
		for i := 0; i+2*n <= len(words); i++ {
			if strings.Join(words[i:i+n], " ") == strings.Join(words[i+n:i+2*n], " ") {
				return strings.Join(words[i:i+n], " ")
			}
		}
	}
	return ""
}

// textOutside is n's visible text without the elements named skip.
func textOutside(n *html.Node, skip string) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "script" || n.Data == "style" || n.Data == skip) {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
			b.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// elements are n's elements named name.
func elements(n *html.Node, name string) []*html.Node {
	var out []*html.Node
	if n.Type == html.ElementNode && n.Data == name {
		out = append(out, n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		out = append(out, elements(c, name)...)
	}
	return out
}
