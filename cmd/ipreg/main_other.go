//go:build !linux

package main

// serveGODEBUG is empty where the runtime's madvdontneed setting does not
// apply (it is for Linux; see main_linux.go).
const serveGODEBUG = ""

// reexecWithGODEBUG does nothing off Linux.
func reexecWithGODEBUG(string) {}
