#!/usr/bin/env bash
# Faults: statement_timeout and pg_cancel_backend during mining, training
# (convnet, ALS), scoring and a retrain.  For each: how long the statement
# took to return after the timeout or the cancel, that the session is still
# usable, and the backend's private memory (RssAnon) before and after all the
# cancellations (a leak would make it grow with every cancelled statement).
#
#   test/faults/cancel.sh [repeats=3]
#
# Needs a server with assoc installed in the PG* environment, on this machine
# (it reads /proc of the backend); creates (and keeps) a database assoc_faults.
set -euo pipefail
cd "$(dirname "$0")/../.."
repeats=${1:-3}
db=assoc_faults
out=$(mktemp -d /tmp/assoc-faults.XXXXXX)
"$(dirname "$0")/setup.sh" $db

# the long statements: each runs for many seconds if nobody stops it
declare -A work=(
	[mining]="SELECT count(*) FROM assoc.frequent_itemsets('SELECT basket, item FROM fault_lines', 0.0005)"
	[training_convnet]="SELECT assoc.train_convnet(x, y, '{\"epochs\": 100000, \"patience\": 0}') FROM fault_seq"
	[training_als]="SELECT assoc.train_als(user_id, item_id, weight, '{\"factors\": 64, \"max_iter\": 1000}') FROM fault_events"
	[scoring]="SELECT count(*) FILTER (WHERE assoc.predict(m.model, r.f) > 0.5) FROM (SELECT assoc.model('fault_lr') AS model) m, fault_rows r, generate_series(1, 50) k"
)
kinds="mining training_convnet training_als scoring"

# The victim: one session runs everything; each statement is a DO block that
# reports, in the server's clock, when it was stopped.  Its memory is read
# before the first round and after every round (a leak grows with every round;
# caches and the allocator's free lists stop growing after the first).
rss_line() { echo "\\! awk '/^RssAnon/ {print \"rss_$1\", \$2}' /proc/\$VICTIM_PID/status"; }
{
	echo '\set ON_ERROR_STOP 1'
	echo "SET application_name = 'assoc_fault_victim';"
	echo "SET assoc.mining_mem = '2GB';"
	echo 'SELECT pg_backend_pid() AS pid \gset'
	echo '\setenv VICTIM_PID :pid'
	rss_line start
	for r in $(seq 1 "$repeats"); do
		for kind in $kinds; do
			for mode in timeout cancel; do
				[ $mode = timeout ] && echo "SET statement_timeout = '1s';"
				cat <<-SQL
				DO \$fault\$ /* FAULT_$mode */
				DECLARE t0 timestamptz := clock_timestamp();
				BEGIN
					PERFORM * FROM ( ${work[$kind]} ) w;
					RAISE NOTICE 'RESULT $kind $mode finished % %', t0, clock_timestamp();
				EXCEPTION WHEN query_canceled THEN
					RAISE NOTICE 'RESULT $kind $mode stopped % %', extract(epoch FROM t0), extract(epoch FROM clock_timestamp());
				END \$fault\$;
				SQL
				[ $mode = timeout ] && echo "RESET statement_timeout;"
				# the session is usable at once
				echo "SELECT 'USABLE $kind', count(*) FROM assoc.frequent_itemsets('SELECT 1, 2', 0.5);"
			done
		done
		rss_line "round_$r"
		echo "SELECT 'CONTEXTS', (sum(total_bytes) / 1024)::bigint FROM pg_backend_memory_contexts;"
	done
} > "$out/victim.sql"

# The canceller: waits for each FAULT_cancel statement, lets it run 1 s, cancels it.
ncancel=$(( $(echo $kinds | wc -w) * repeats ))
canceller() {
	for _ in $(seq 1 "$ncancel"); do
		until psql -X -At -d $db -c "SELECT 1 FROM pg_stat_activity WHERE application_name = 'assoc_fault_victim' AND state = 'active' AND backend_type = 'client backend' AND query LIKE '%FAULT_cancel%'" | grep -q 1; do
			sleep 0.05
		done
		sleep 1
		psql -X -At -d $db -c "SELECT 'CANCEL', extract(epoch FROM clock_timestamp()), pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'assoc_fault_victim' AND state = 'active' AND backend_type = 'client backend'"
		# wait until it is no longer running
		while psql -X -At -d $db -c "SELECT 1 FROM pg_stat_activity WHERE application_name = 'assoc_fault_victim' AND state = 'active' AND backend_type = 'client backend' AND query LIKE '%FAULT_cancel%'" | grep -q 1; do
			sleep 0.05
		done
	done
}
canceller > "$out/canceller.txt" &
cpid=$!
psql -X -d $db -f "$out/victim.sql" > "$out/victim.txt" 2>&1 || { echo "victim failed:"; tail "$out/victim.txt"; kill $cpid; exit 1; }
wait $cpid

# Report: timeout responses are measured from the 1 s deadline, cancel
# responses from the moment pg_cancel_backend returned.
/usr/bin/python3 - "$out" <<'PY'
import re, sys, statistics
out = sys.argv[1]
cancels = [float(l.split('|')[1]) for l in open(f"{out}/canceller.txt") if l.startswith("CANCEL")]
res = {}
usable = 0
for line in open(f"{out}/victim.txt"):
    m = re.search(r"RESULT (\S+) (\S+) (stopped|finished) (\S+) (\S+)", line)
    if m:
        kind, mode, what, t0, t1 = m.group(1), m.group(2), m.group(3), float(m.group(4)), float(m.group(5))
        if what != "stopped":
            print(f"{kind} {mode}: finished before it was stopped"); continue
        if mode == "timeout":
            res.setdefault((kind, mode), []).append((t1 - t0 - 1.0) * 1000)
        else:
            c = cancels.pop(0)
            res.setdefault((kind, mode), []).append((t1 - c) * 1000)
    if "USABLE" in line:
        usable += 1
    if "CONTEXTS" in line:
        res.setdefault(("ctx", ""), []).append(line.split("|")[1].strip())
    m = re.match(r"rss_(\w+) (\d+)", line)
    if m:
        res[("rss", m.group(1))] = int(m.group(2))
print("| statement | stopped by | runs | response, ms: median | max |")
print("|---|---|---|---|---|")
for (kind, mode), v in res.items():
    if kind in ("rss", "ctx"):
        continue
    print(f"| {kind} | {'statement_timeout 1 s' if mode == 'timeout' else 'pg_cancel_backend after 1 s'} | {len(v)} | {statistics.median(v):.1f} | {max(v):.1f} |")
print(f"session usable after every stop: {usable} of {sum(len(v) for k, v in res.items() if k[0] not in ('rss', 'ctx'))} checks passed")
rounds = sorted((int(k[1].split("_")[1]), v) for k, v in res.items() if k[0] == "rss" and k[1].startswith("round_"))
print(f"backend RssAnon (kB): at start {res.get(('rss', 'start'))}; after each round: " + ", ".join(str(v) for _, v in rounds))
print("memory held in the backend's memory contexts (kB), after each round: " + ", ".join(res.get(("ctx", ""), [])))
PY
echo "outputs in $out"
