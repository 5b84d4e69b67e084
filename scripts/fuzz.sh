#!/usr/bin/env bash
# Runs every go test -fuzz target for a bounded time each (default 10s),
# one after the other (go test -fuzz takes one target per run). Usage:
#   scripts/fuzz.sh [-fuzztime D]      e.g. scripts/fuzz.sh -fuzztime 2m
# A failure stops the script; go test writes the crasher to the package's
# testdata/fuzz/FuzzXxx/, where it stays as a regression seed once the bug
# is fixed. Without -fuzz, plain go test runs each target's seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=10s
while [ $# -gt 0 ]; do
	case $1 in
	-fuzztime) fuzztime=${2:?-fuzztime needs a duration, such as 10s}; shift 2 ;;
	-fuzztime=*) fuzztime=${1#*=}; shift ;;
	*) echo "usage: scripts/fuzz.sh [-fuzztime D]" >&2; exit 2 ;;
	esac
done
targets=(
	./internal/netpolicy:FuzzParsePrefix
	./internal/netpolicy:FuzzNormalizeMobile
	./internal/registry:FuzzNormalizeEmail
	./internal/textfile:FuzzLines
	./internal/textfile:FuzzCSV
	./internal/api:FuzzDecodeJSON
	./internal/feed:FuzzDecodeSnapshot
	./internal/feed:FuzzDecodeDelta
	./internal/feed:FuzzVerify
	./internal/agent:FuzzRADIUS
	./internal/agent:FuzzParseDotted
	./internal/agent:FuzzJSONPlain
	./internal/agent:FuzzParse4
)
for t in "${targets[@]}"; do
	pkg=${t%%:*} name=${t#*:}
	echo "fuzz: $name ($pkg) for $fuzztime"
	# -parallel 2: the gate's two cores; the other engineers' runs share them.
	go test -run '^$' -fuzz "^$name\$" -fuzztime "$fuzztime" -parallel 2 "$pkg"
done
echo "fuzz: ${#targets[@]} targets, no failure"
