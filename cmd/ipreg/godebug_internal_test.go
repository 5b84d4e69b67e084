package main

import "testing"

// godebugSets counts a setting as the Go runtime reads it: fields it
// ignores leave the setting to the exec.
func TestGodebugSets(t *testing.T) {
	tests := []struct {
		godebug string
		want    bool
	}{
		{"", false},
		{"madvdontneed=0", true},
		{"madvdontneed=1", true},
		{"http2debug=1,madvdontneed=1", true},
		{"http2debug=1,,madvdontneed=0,", true},
		{" madvdontneed=0", false}, // the runtime trims nothing
		{"a=1, madvdontneed=0", false},
		{"madvdontneed", false},
		{"madvdontneed=", false},
		{"madvdontneed=x", false},
		{"madvdontneed2=0", false},
		{"xmadvdontneed=0", false},
	}
	for _, tt := range tests {
		if got := godebugSets(tt.godebug, "madvdontneed"); got != tt.want {
			t.Errorf("godebugSets(%q) = %v, want %v", tt.godebug, got, tt.want)
		}
	}
}

// Every spelling of a request for help the flag package takes.
func TestAskedForHelp(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--demo"}, false},
		{[]string{"-h"}, true},
		{[]string{"--h"}, true},
		{[]string{"-help"}, true},
		{[]string{"--help"}, true},
		{[]string{"-help=true"}, true},
		{[]string{"--help=1"}, true},
		{[]string{"-h=true"}, true},
		{[]string{"--demo", "--help"}, true},
		{[]string{"help"}, false},
		{[]string{"--helpful"}, false},
		{[]string{"---help"}, false},
	} {
		if got := askedForHelp(tt.args); got != tt.want {
			t.Errorf("askedForHelp(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}
