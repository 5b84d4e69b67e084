// Command pomigrate moves Urdu texts written as Go maps in the portal's
// source into the portal's gettext catalog (internal/portal/locales/ur.po),
// then deletes the Go that held them.
//
// The portal reads its Urdu from ur.po alone; Go maps that still add to
// it (a helper's catalog_ur_<part>.go with
// `func init() { for k, v := range map[string]string{…} { urdu[k] = v } }`,
// a `var urdu = map[string]string{…}`, the same for domainUrdu, a
// `plurals` map of plural{en, ur} forms, or a codedFormat written with
// its Urdu, {en: …, out: …, ur: "…"}) are what TestCatalogOnlyInPO
// fails on. Run from the repository's root:
//
//	go run ./internal/portal/internal/pomigrate          # move and delete
//	go run ./internal/portal/internal/pomigrate -keep    # write ur.po, keep the Go
//	go run ./internal/portal/internal/pomigrate -n       # only list what would move
//
// Entries go to the end of ur.po, each with the Go comments above it as
// translator comments (#.); urdu's entries have no msgctxt, domainUrdu's
// the msgctxt "registry", plurals become msgid/msgid_plural entries with
// msgstr[0] (n == 1) and msgstr[1], a codedFormat's ur the entry of its
// out under msgctxt "registry, as pages word it" (and its ur field goes). An entry ur.po already holds with the
// same text is dropped from the Go; one it holds with another text stops
// the tool (exit 1) with both texts, and nothing is written. It parses the
// source only, so it works when the package does not compile (a merge
// that removed the maps the Go adds to).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/leonelquinteros/gotext"
)

// ctxOf is the msgctxt of each Go map's entries in the catalog.
var ctxOf = map[string]string{"urdu": "", "domainUrdu": "registry"}

// ctxCoded is the msgctxt of coded.go's page wordings: a codedFormat
// written with its Urdu in Go ({en: …, out: …, ur: "…"}) has its ur moved.
const ctxCoded = "registry, as pages word it"

type entry struct {
	file     string
	ctx      string
	id       string
	plural   string // msgid_plural, for a counted text
	str      []string
	comments []string
}

// cut is a byte range of a file to delete once its entries are in ur.po.
type cut struct{ start, end int }

func main() {
	dir := flag.String("dir", "internal/portal", "the portal package's directory")
	keep := flag.Bool("keep", false, "write ur.po but keep the Go maps")
	dry := flag.Bool("n", false, "list what would move; change nothing")
	flag.Parse()
	if err := run(*dir, *keep, *dry); err != nil {
		fmt.Fprintln(os.Stderr, "pomigrate:", err)
		os.Exit(1)
	}
}

func run(dir string, keep, dry bool) error {
	poPath := filepath.Join(dir, "locales", "ur.po")
	poText, err := os.ReadFile(poPath)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	if len(poText) == 0 {
		poText = []byte(header)
	}
	po := gotext.NewPo()
	po.Parse(poText)
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	sort.Strings(files)
	var entries []entry
	cuts := map[string][]cut{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		es, cs, err := scan(f)
		if err != nil {
			return err
		}
		entries = append(entries, es...)
		if len(cs) > 0 {
			cuts[f] = cs
		}
	}
	if len(entries) == 0 && len(cuts) == 0 {
		fmt.Println("pomigrate: no Go catalog maps left; ur.po holds every text")
		return nil
	}
	var out bytes.Buffer
	out.Write(poText)
	if !bytes.HasSuffix(poText, []byte("\n")) {
		out.WriteByte('\n')
	}
	seen := map[string]entry{}
	var conflicts []string
	added := 0
	for _, e := range entries {
		k := e.ctx + "\x04" + e.id
		if prev, ok := seen[k]; ok {
			if strings.Join(prev.str, "\x00") != strings.Join(e.str, "\x00") || prev.plural != e.plural {
				conflicts = append(conflicts, fmt.Sprintf("%q (msgctxt %q): %s says %q, %s says %q", e.id, e.ctx, prev.file, prev.str, e.file, e.str))
			}
			continue
		}
		seen[k] = e
		if have, ok := existing(po, e); ok {
			if strings.Join(have, "\x00") != strings.Join(e.str, "\x00") {
				conflicts = append(conflicts, fmt.Sprintf("%q (msgctxt %q): ur.po says %q, %s says %q", e.id, e.ctx, have, e.file, e.str))
			}
			continue
		}
		if err := write(&out, e); err != nil {
			return err
		}
		added++
	}
	if len(conflicts) > 0 {
		return fmt.Errorf("texts that differ between ur.po and the Go (keep one, then run again):\n  %s", strings.Join(conflicts, "\n  "))
	}
	if dry {
		fmt.Printf("pomigrate: %d entries would move to %s from %d files\n", added, poPath, len(cuts))
		for f := range cuts {
			fmt.Println("  ", f)
		}
		return nil
	}
	// Check what was written reads back as written, before any Go is cut.
	check := gotext.NewPo()
	check.Parse(out.Bytes())
	for _, e := range entries {
		if have, ok := existing(check, e); !ok || strings.Join(have, "\x00") != strings.Join(e.str, "\x00") {
			return fmt.Errorf("%q reads back from the new ur.po as %q, not %q; nothing was written", e.id, have, e.str)
		}
	}
	if err := os.WriteFile(poPath, out.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Printf("pomigrate: %d entries added to %s\n", added, poPath)
	if keep {
		return nil
	}
	for f, cs := range cuts {
		if err := cutFile(f, cs); err != nil {
			return err
		}
	}
	return nil
}

// header starts a new ur.po.
const header = `# Urdu texts of the ipreg portal and of the registry's messages on its pages.
# The English text is the msgid; see CONTRIBUTING.md for how to update this file.
msgid ""
msgstr ""
"Project-Id-Version: ipreg\n"
"PO-Revision-Date: 2026-11-29 21:55+0000\n"
"Last-Translator: ipreg team\n"
"Language-Team: Urdu\n"
"Language: ur\n"
"MIME-Version: 1.0\n"
"Content-Type: text/plain; charset=UTF-8\n"
"Content-Transfer-Encoding: 8bit\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"
`

// existing is the catalog's text for e, if it holds one (an untranslated
// entry, msgstr "", counts as none).
func existing(po *gotext.Po, e entry) ([]string, bool) {
	d := po.GetDomain()
	var tr *gotext.Translation
	if e.ctx == "" {
		tr = d.GetTranslations()[e.id]
	} else {
		tr = d.GetCtxTranslations()[e.ctx][e.id]
	}
	if tr == nil {
		return nil, false
	}
	n := len(e.str)
	out := make([]string, n)
	for i := range out {
		out[i] = tr.Trs[i]
		if out[i] == "" {
			return nil, false
		}
	}
	return out, true
}

func write(b *bytes.Buffer, e entry) error {
	b.WriteByte('\n')
	for _, c := range e.comments {
		for _, l := range strings.Split(c, "\n") {
			b.WriteString(strings.TrimRight("#. "+l, " ") + "\n")
		}
	}
	if e.ctx != "" {
		b.WriteString("msgctxt " + quote(e.ctx) + "\n")
	}
	b.WriteString("msgid " + quote(e.id) + "\n")
	if e.plural != "" {
		b.WriteString("msgid_plural " + quote(e.plural) + "\n")
		for i, s := range e.str {
			fmt.Fprintf(b, "msgstr[%d] %s\n", i, quote(s))
		}
		return nil
	}
	b.WriteString("msgstr " + quote(e.str[0]) + "\n")
	return nil
}

// quote writes s as a PO string: only \\, \", \n, \t and \r are escaped
// (gettext knows no \u), every other character is written as it is,
// invisible bidi isolates (U+2066…U+2069) included. A text with line
// breaks is written one line of the file per line of the text.
func quote(s string) string {
	esc := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`, "\r", `\r`)
	if !strings.Contains(strings.TrimSuffix(s, "\n"), "\n") {
		return `"` + esc.Replace(s) + `"`
	}
	var b strings.Builder
	b.WriteString(`""`)
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString("\n\"" + esc.Replace(l) + `"`)
		}
	}
	return b.String()
}

// scan finds the catalog maps of one Go file: their entries, and the
// byte ranges (declarations, init functions) to cut once moved.
func scan(path string) ([]entry, []cut, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
	if err != nil {
		return nil, nil, err
	}
	name := filepath.Base(path)
	var entries []entry
	var cuts []cut
	span := func(n ast.Node, doc *ast.CommentGroup) cut {
		start := n.Pos()
		if doc != nil {
			start = doc.Pos()
		}
		return cut{fset.Position(start).Offset, fset.Position(n.End()).Offset}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl: // var urdu = map[string]string{…}
			if d.Tok != token.VAR || len(d.Specs) != 1 {
				continue
			}
			vs := d.Specs[0].(*ast.ValueSpec)
			if len(vs.Names) != 1 || len(vs.Values) != 1 {
				continue
			}
			lit, ok := vs.Values[0].(*ast.CompositeLit)
			if !ok {
				continue
			}
			v := vs.Names[0].Name
			var es []entry
			switch {
			case v == "plurals":
				es, err = pluralEntries(fset, f, name, lit)
			case ctxOf[v] != "" || v == "urdu":
				es, err = mapEntries(fset, f, name, ctxOf[v], lit)
			default:
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			entries = append(entries, es...)
			cuts = append(cuts, span(d, d.Doc))
		case *ast.FuncDecl: // func init() { for k, v := range map[string]string{…} { urdu[k] = v } }
			if d.Name.Name != "init" || d.Recv != nil || d.Body == nil || len(d.Body.List) == 0 {
				continue
			}
			var es []entry
			all := true
			for _, st := range d.Body.List {
				rs, ok := st.(*ast.RangeStmt)
				target := ""
				if ok {
					target = rangeTarget(rs)
				}
				if target == "" {
					all = false
					continue
				}
				lit := rs.X.(*ast.CompositeLit)
				got, err := mapEntries(fset, f, name, ctxOf[target], lit)
				if err != nil {
					return nil, nil, err
				}
				es = append(es, got...)
			}
			if len(es) == 0 {
				continue
			}
			if !all {
				return nil, nil, fmt.Errorf("%s: func init mixes catalog maps with other statements; move those out of it, then run again", fset.Position(d.Pos()))
			}
			entries = append(entries, es...)
			cuts = append(cuts, span(d, d.Doc))
		}
	}
	es, cs, err := codedEntries(fset, f, name)
	if err != nil {
		return nil, nil, err
	}
	return append(entries, es...), append(cuts, cs...), nil
}

// codedEntries finds codedFormat literals with an ur field ({en: "…",
// out: "…", ur: "…"}): the Urdu of out, keyed by it, and the ur field to
// cut (the portal reads it from ur.po).
func codedEntries(fset *token.FileSet, f *ast.File, file string) ([]entry, []cut, error) {
	var entries []entry
	var cuts []cut
	var err error
	ast.Inspect(f, func(n ast.Node) bool {
		cl, ok := n.(*ast.CompositeLit)
		if !ok || err != nil {
			return err == nil
		}
		var en, out, ur string
		urAt := -1
		for i, el := range cl.Elts {
			kv, ok := el.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			id, ok := kv.Key.(*ast.Ident)
			if !ok || (id.Name != "en" && id.Name != "out" && id.Name != "ur") {
				continue
			}
			v, e := str(fset, kv.Value)
			if e != nil {
				return true // not a codedFormat (domainPattern's ur is computed)
			}
			switch id.Name {
			case "en":
				en = v
			case "out":
				out = v
			case "ur":
				ur, urAt = v, i
			}
		}
		if urAt < 0 || en == "" {
			return true
		}
		if out == "" {
			err = fmt.Errorf("%s: a coded format with ur needs out (the page's English it translates)", fset.Position(cl.Pos()))
			return false
		}
		// Cut the field with its comma: up to the next element, or from
		// the previous one's end when it is the last.
		c := cut{fset.Position(cl.Elts[urAt].Pos()).Offset, 0}
		if urAt+1 < len(cl.Elts) {
			c.end = fset.Position(cl.Elts[urAt+1].Pos()).Offset
		} else {
			c.start = fset.Position(cl.Elts[urAt-1].End()).Offset
			c.end = fset.Position(cl.Elts[urAt].End()).Offset
		}
		cuts = append(cuts, c)
		entries = append(entries, entry{file: file, ctx: ctxCoded, id: out, str: []string{ur}, comments: []string{"The registry writes: " + en}})
		return true
	})
	return entries, cuts, err
}

// rangeTarget is the catalog map (urdu, domainUrdu) that
// `for k, v := range map[string]string{…} { M[k] = v }` fills, or "".
func rangeTarget(rs *ast.RangeStmt) string {
	if _, ok := rs.X.(*ast.CompositeLit); !ok || len(rs.Body.List) != 1 {
		return ""
	}
	as, ok := rs.Body.List[0].(*ast.AssignStmt)
	if !ok || len(as.Lhs) != 1 {
		return ""
	}
	ix, ok := as.Lhs[0].(*ast.IndexExpr)
	if !ok {
		return ""
	}
	id, ok := ix.X.(*ast.Ident)
	if !ok {
		return ""
	}
	if _, known := ctxOf[id.Name]; !known {
		return ""
	}
	return id.Name
}

// commentsBefore returns the comment groups that lie between from and to
// (the comments a map literal has above an element), as text.
func commentsBefore(f *ast.File, from, to token.Pos) []string {
	var out []string
	for _, cg := range f.Comments {
		if cg.Pos() > from && cg.End() < to {
			out = append(out, strings.TrimSpace(cg.Text()))
		}
	}
	return out
}

func mapEntries(fset *token.FileSet, f *ast.File, file, ctx string, lit *ast.CompositeLit) ([]entry, error) {
	var out []entry
	prev := lit.Lbrace
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return nil, fmt.Errorf("%s: not a key: value element", fset.Position(el.Pos()))
		}
		k, err := str(fset, kv.Key)
		if err != nil {
			return nil, err
		}
		v, err := str(fset, kv.Value)
		if err != nil {
			return nil, err
		}
		out = append(out, entry{file: file, ctx: ctx, id: k, str: []string{v}, comments: commentsBefore(f, prev, kv.Pos())})
		prev = kv.End()
	}
	return out, nil
}

// pluralEntries reads `"key": {en: [2]string{one, other}, ur: [2]string{one, other}}`.
func pluralEntries(fset *token.FileSet, f *ast.File, file string, lit *ast.CompositeLit) ([]entry, error) {
	var out []entry
	prev := lit.Lbrace
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return nil, fmt.Errorf("%s: not a key: value element", fset.Position(el.Pos()))
		}
		key, err := str(fset, kv.Key)
		if err != nil {
			return nil, err
		}
		body, ok := kv.Value.(*ast.CompositeLit)
		if !ok {
			return nil, fmt.Errorf("%s: a plural is {en: …, ur: …}", fset.Position(kv.Value.Pos()))
		}
		forms := map[string][]string{}
		for _, fe := range body.Elts {
			fkv, ok := fe.(*ast.KeyValueExpr)
			if !ok {
				return nil, fmt.Errorf("%s: a plural is {en: …, ur: …}", fset.Position(fe.Pos()))
			}
			name := fkv.Key.(*ast.Ident).Name
			arr, ok := fkv.Value.(*ast.CompositeLit)
			if !ok || len(arr.Elts) != 2 {
				return nil, fmt.Errorf("%s: %s needs its two forms", fset.Position(fkv.Pos()), name)
			}
			for _, x := range arr.Elts {
				s, err := str(fset, x)
				if err != nil {
					return nil, err
				}
				forms[name] = append(forms[name], s)
			}
		}
		en, ur := forms["en"], forms["ur"]
		if len(en) != 2 || len(ur) != 2 {
			return nil, fmt.Errorf("%s: %q needs en and ur forms", fset.Position(kv.Pos()), key)
		}
		if en[1] != key {
			return nil, fmt.Errorf("%s: %q: the key must be the English form for many (%q)", fset.Position(kv.Pos()), key, en[1])
		}
		out = append(out, entry{file: file, id: en[0], plural: en[1], str: ur, comments: commentsBefore(f, prev, kv.Pos())})
		prev = kv.End()
	}
	return out, nil
}

// str is the value of a string literal, or of literals joined with +.
func str(fset *token.FileSet, e ast.Expr) (string, error) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			return strconv.Unquote(x.Value)
		}
	case *ast.BinaryExpr:
		if x.Op == token.ADD {
			a, err := str(fset, x.X)
			if err != nil {
				return "", err
			}
			b, err := str(fset, x.Y)
			return a + b, err
		}
	case *ast.ParenExpr:
		return str(fset, x.X)
	}
	return "", fmt.Errorf("%s: not a string literal; write the text itself", fset.Position(e.Pos()))
}

// cutFile deletes the ranges from a Go file, and the file itself when
// nothing but its package clause (and imports) is left.
func cutFile(path string, cs []cut) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].start > cs[j].start })
	for _, c := range cs {
		src = append(src[:c.start:c.start], src[c.end:]...)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, src, 0)
	if err != nil {
		return fmt.Errorf("%s after the cut: %v", path, err)
	}
	empty := true
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); !ok || g.Tok != token.IMPORT {
			empty = false
		}
	}
	if empty {
		fmt.Println("pomigrate: removed", path)
		return os.Remove(path)
	}
	fmt.Println("pomigrate: cut the catalog out of", path, "(run gofmt -w on it)")
	return os.WriteFile(path, src, 0o644)
}
