#!/usr/bin/env bash
# The load figures of BENCHMARKS.md ("Load: ipreg loadtest"): for SQLite and
# PostgreSQL, at each client count, a fresh "ipreg serve --demo" (a new data
# directory, and on PostgreSQL a new database, dropped afterwards) driven by
# "ipreg loadtest" for DURATION; then the file-only run that takes
# APPLICATIONS applications from an empty database to approval.
#
#   scripts/loadbench.sh                      # everything: 16, 64 and 256 clients, 30 s each, then 31000 applications
#   CLIENTS="64" DATABASES=sqlite APPLICATIONS=0 scripts/loadbench.sh   # one table only
#
# Environment: IPREG_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable),
# CLIENTS ("16 64 256"), DATABASES ("sqlite postgres"), DURATION (30s), MIX (default),
# APPLICATIONS (31000; 0 skips the file-only run), FILE_CLIENTS (64), FILE_DOCUMENT_BYTES (60000: 31,000
# applications of 1 MB scans would need some 90 GB of disk), PORT (18500).
# Needs Go, psql (PostgreSQL's client) and free disk for the documents. Prints each table as it
# comes; the server's log of each run is kept in $OUT (a temporary directory) for a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${IPREG_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
CLIENTS=${CLIENTS:-16 64 256}
DATABASES=${DATABASES:-sqlite postgres}
DURATION=${DURATION:-30s}
MIX=${MIX:-default}
APPLICATIONS=${APPLICATIONS:-31000}
FILE_CLIENTS=${FILE_CLIENTS:-64}
FILE_DOCUMENT_BYTES=${FILE_DOCUMENT_BYTES:-60000}
PORT=${PORT:-18500}
OUT=$(mktemp -d)
go build -o "$OUT/" ./cmd/ipreg
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(git rev-parse --short HEAD) on $(nproc) cores; logs in $OUT"

server=
dbname=
stop() {
	if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=; fi
	if [ -n "$dbname" ]; then psql "$PG" -qAtc "DROP DATABASE IF EXISTS \"$dbname\" WITH (FORCE)" >/dev/null; dbname=; fi
}
trap stop EXIT

# start DB NAME: a fresh demo on DB (sqlite or postgres) at 127.0.0.1:$PORT.
start() {
	local args=(serve --demo --listen "127.0.0.1:$PORT" --data-dir "$OUT/$2")
	if [ "$1" = postgres ]; then
		dbname="ipreg_loadbench_$$_$2"
		psql "$PG" -qAtc "CREATE DATABASE \"$dbname\"" >/dev/null
		args+=(--db "$(printf '%s' "$PG" | sed -E "s#/[^/?]*(\?|\$)#/$dbname\1#")")
	fi
	"$OUT/ipreg" "${args[@]}" 2>"$OUT/$2.log" &
	server=$!
	for _ in $(seq 1 120); do
		grep -q 'msg=listening' "$OUT/$2.log" && return
		kill -0 "$server" 2>/dev/null || { cat "$OUT/$2.log" >&2; exit 1; }
		sleep 0.5
	done
	echo "ipreg serve did not start; its log is $OUT/$2.log" >&2
	exit 1
}

status=0
for db in $DATABASES; do
	for c in $CLIENTS; do
		echo
		echo "## $db, $c clients, mix $MIX, $DURATION"
		echo "ipreg loadtest --target http://127.0.0.1:$PORT --duration $DURATION --clients $c --mix $MIX"
		start "$db" "$db-$c"
		"$OUT/ipreg" loadtest --target "http://127.0.0.1:$PORT" --duration "$DURATION" --clients "$c" --mix "$MIX" 2>"$OUT/$db-$c.progress" || status=1
		stop
		rm -rf "${OUT:?}/$db-$c"
	done
	if [ "$APPLICATIONS" -gt 0 ]; then
		echo
		echo "## $db, file-only: $APPLICATIONS applications from an empty database, $FILE_CLIENTS clients"
		echo "ipreg loadtest --target http://127.0.0.1:$PORT --mix file-only --applications $APPLICATIONS --clients $FILE_CLIENTS --per-applicant 10 --document-bytes $FILE_DOCUMENT_BYTES"
		start "$db" "$db-file"
		"$OUT/ipreg" loadtest --target "http://127.0.0.1:$PORT" --mix file-only --applications "$APPLICATIONS" \
			--clients "$FILE_CLIENTS" --per-applicant 10 --document-bytes "$FILE_DOCUMENT_BYTES" 2>"$OUT/$db-file.progress" || status=1
		stop
		rm -rf "${OUT:?}/$db-file"
	fi
done
exit $status
