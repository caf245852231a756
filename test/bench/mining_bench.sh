#!/bin/sh
# mining_bench.sh: the mining benchmark of issue 3 (see docs/mining_bench.md).
#
# Needs a running server with assoc installed, reached through the usual PG*
# environment (PGHOST, PGPORT, PGUSER, PGDATABASE) as a superuser (the peak
# memory is read with pg_read_file('/proc/self/status')), psql on PATH,
# /usr/bin/python3, and the data of ../shared/data (or ASSOC_BENCH_DATA).
# Weka (apt-get install weka, with a JDK for javac) is optional.
#
#   test/bench/mining_bench.sh                        # every case, best of 3 runs
#   test/bench/mining_bench.sh --runs 1 --cases chess # one quick case
#   test/bench/mining_bench.sh --help
#
# It creates the tables minebench.<data set> (basket int, item int; Groceries:
# item text) and converted files in /tmp/assoc-bench (or ASSOC_BENCH_WORK).
# The exit status is 1 when any count disagrees with the oracle.
set -e
here=$(cd "$(dirname "$0")" && pwd)
command -v psql >/dev/null || { echo "mining_bench: psql not found on PATH" >&2; exit 2; }
[ -x /usr/bin/python3 ] || { echo "mining_bench: /usr/bin/python3 not found" >&2; exit 2; }
exec /usr/bin/python3 "$here/mining_bench.py" "$@"
