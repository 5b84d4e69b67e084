package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/leonelquinteros/gotext"
)

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const helperFile = `package portal

// Texts of the statistics page.
func init() {
	for k, v := range map[string]string{
		// The page's heading.
		"Statistics": "اعداد و شمار",
		"Line one\nline \"two\"": "پہلی سطر\nدوسری \"سطر\"",
		"Already there": "پہلے سے",
	} {
		urdu[k] = v
	}
	for k, v := range map[string]string{
		"month %s is not valid": "مہینہ %s درست نہیں",
	} {
		domainUrdu[k] = v
	}
}
`

const keptFile = `package portal

import "fmt"

var plurals = map[string]plural{
	// Counted addresses.
	"%d addresses": {
		en: [2]string{"%d address", "%d addresses"},
		ur: [2]string{"%d ایڈریس", "%d ایڈریسز"}},
}

func Other() string { return fmt.Sprint(1) }

var codedFormats = compileCoded([]codedFormat{
	{en: "must be one of %s", args: []string{"list"}},
	{en: "cannot %s application %s: it is %s", out: "cannot %[1]s this application: it is %[3]s", ur: "اس درخواست پر یہ عمل (%[1]s) نہیں ہو سکتا: یہ %[3]s ہے",
		args: []string{"verb", "drop", "describe"}},
	{en: "appeal %s not found", out: "this appeal was not found", args: []string{"drop"}, ur: "یہ اپیل نہیں ملی"},
})
`

// Entries of Go maps move into ur.po, readable back as they were, and the
// Go that held them goes: a file of nothing else is removed, a file with
// other code keeps that code.
func TestMoves(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "locales", "ur.po"), header+"\nmsgid \"Already there\"\nmsgstr \"پہلے سے\"\n")
	writeFile(t, filepath.Join(dir, "catalog_ur_stats.go"), helperFile)
	writeFile(t, filepath.Join(dir, "words.go"), keptFile)
	if err := run(dir, false, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "catalog_ur_stats.go")); !os.IsNotExist(err) {
		t.Errorf("catalog_ur_stats.go is still there (%v)", err)
	}
	rest, _ := os.ReadFile(filepath.Join(dir, "words.go"))
	if strings.Contains(string(rest), "plurals") || !strings.Contains(string(rest), "func Other()") || strings.Contains(string(rest), "ur:") ||
		!strings.Contains(string(rest), `out: "this appeal was not found", args: []string{"drop"}}`) {
		t.Errorf("words.go after the move:\n%s", rest)
	}
	text, _ := os.ReadFile(filepath.Join(dir, "locales", "ur.po"))
	if strings.Count(string(text), `msgid "Already there"`) != 1 {
		t.Errorf("an entry ur.po held was written again:\n%s", text)
	}
	if !strings.Contains(string(text), "#. The page's heading.\nmsgid \"Statistics\"") {
		t.Errorf("the Go comment is not a translator comment:\n%s", text)
	}
	po := gotext.NewPo()
	po.Parse(text)
	for id, want := range map[string]string{"Statistics": "اعداد و شمار", "Line one\nline \"two\"": "پہلی سطر\nدوسری \"سطر\""} {
		if got := po.GetDomain().GetTranslations()[id].Get(); got != want {
			t.Errorf("%q: ur.po gives %q, want %q", id, got, want)
		}
	}
	ctx := po.GetDomain().GetCtxTranslations()
	if got := ctx["registry"]["month %s is not valid"].Get(); got != "مہینہ %s درست نہیں" {
		t.Errorf("registry message: %q", got)
	}
	if got := ctx[ctxCoded]["cannot %[1]s this application: it is %[3]s"].Get(); got != "اس درخواست پر یہ عمل (%[1]s) نہیں ہو سکتا: یہ %[3]s ہے" {
		t.Errorf("coded wording: %q", got)
	}
	if got := ctx[ctxCoded]["this appeal was not found"].Get(); got != "یہ اپیل نہیں ملی" {
		t.Errorf("coded wording (ur last): %q", got)
	}
	for n, want := range map[int]string{1: "%d ایڈریس", 2: "%d ایڈریسز", 0: "%d ایڈریسز"} {
		if got := po.GetN("%d address", "%d addresses", n); got != want {
			t.Errorf("n=%d: %q, want %q", n, got, want)
		}
	}
	// A second run finds nothing left and changes nothing.
	if err := run(dir, false, false); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, "locales", "ur.po"))
	if string(again) != string(text) {
		t.Error("a second run changed ur.po")
	}
}

// A text that ur.po holds with other Urdu stops the tool before it writes
// or deletes anything.
func TestConflictChangesNothing(t *testing.T) {
	dir := t.TempDir()
	po := header + "\nmsgid \"Already there\"\nmsgstr \"کچھ اور\"\n"
	writeFile(t, filepath.Join(dir, "locales", "ur.po"), po)
	writeFile(t, filepath.Join(dir, "catalog_ur_stats.go"), helperFile)
	err := run(dir, false, false)
	if err == nil || !strings.Contains(err.Error(), "Already there") {
		t.Fatalf("run = %v, want the conflict named", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "locales", "ur.po")); string(b) != po {
		t.Error("ur.po changed")
	}
	if _, err := os.Stat(filepath.Join(dir, "catalog_ur_stats.go")); err != nil {
		t.Errorf("the Go file went: %v", err)
	}
}
