#!/usr/bin/env bash
# The regression suite against a throwaway server that runs under valgrind
# (memcheck).  Used by `make valgrind`; REGRESS (and ISOLATION) narrow it, e.g.
#   make valgrind REGRESS="upgrade ops_retrain" ISOLATION=
# Fails if a test fails or if valgrind reports an error that
# test/valgrind/assoc.supp does not suppress.  The reports are kept in the
# directory printed at the end.
#
# Debian's PostgreSQL is not built with USE_VALGRIND: valgrind sees palloc's
# blocks, not its chunks.  It still reports every use of an uninitialised
# value (in any chunk), invalid frees, and reads or writes past a malloc'd
# block (a chunk above 8 kB has a block of its own: large arrays are covered),
# but not an overrun into the next small chunk of the same block.
set -euo pipefail
cd "$(dirname "$0")/../.."

PG_CONFIG=${PG_CONFIG:-pg_config}
bindir=$("$PG_CONFIG" --bindir)
port=${VALGRIND_PORT:-5599}
command -v valgrind >/dev/null || scripts/install-deps.sh valgrind

work=$(mktemp -d /tmp/assoc-valgrind.XXXXXX)
chmod 755 "$work"
run=()
if [ "$(id -u)" -eq 0 ]; then		# the server cannot run as root
	chown postgres "$work"
	run=(runuser -u postgres --)
fi

"${run[@]}" "$bindir/initdb" -D "$work/data" -A trust --no-sync -U postgres >/dev/null
"${run[@]}" valgrind --quiet --error-limit=no --num-callers=40 --track-origins=yes --leak-check=no \
	--suppressions="$PWD/test/valgrind/assoc.supp" --gen-suppressions=all \
	--log-file="$work/valgrind.%p.log" \
	"$bindir/postgres" -D "$work/data" -p "$port" -k "$work" -c listen_addresses='' \
	-c fsync=off -c max_worker_processes=16 -c max_parallel_workers_per_gather=2 \
	-c statement_timeout=0 >"$work/server.log" 2>&1 &
server=$!
stop() {
	"${run[@]}" "$bindir/pg_ctl" -D "$work/data" stop -m fast -t 300 >/dev/null 2>&1 || kill "$server" 2>/dev/null || true
	wait "$server" 2>/dev/null || true
}
trap stop EXIT

for _ in $(seq 1 180); do
	"$bindir/pg_isready" -q -h "$work" -p "$port" && break
	sleep 1
done
"$bindir/pg_isready" -q -h "$work" -p "$port" || { echo "the server did not start under valgrind"; cat "$work/server.log"; exit 2; }

status=0
PGHOST="$work" PGPORT="$port" PGUSER=postgres \
	make -s installcheck PG_CONFIG="$PG_CONFIG" ${REGRESS+REGRESS="$REGRESS"} ${ISOLATION+ISOLATION="$ISOLATION"} || status=$?
stop
trap - EXIT

# with --quiet, a log holds only the errors valgrind did not suppress
reports=$(find "$work" -name 'valgrind.*.log' -size +0 | sort)
if [ -n "$reports" ]; then
	echo "valgrind reported errors in $(echo "$reports" | wc -l) process(es):"
	for f in $reports; do echo "== $f"; head -60 "$f"; done
	status=1
else
	echo "valgrind: no errors ($(find "$work" -name 'valgrind.*.log' | wc -l) processes checked)"
fi
echo "logs: $work"
exit $status
