#!/usr/bin/env bash
# Faults during CALL assoc.retrain (a convnet retrain that would run for
# minutes, on a name with a deployed version):
#   1. statement_timeout        -> the run is logged 'cancelled', the error is raised
#   2. pg_cancel_backend        -> the same
#   3. pg_terminate_backend     -> the session dies; the run stays 'running' until the
#                                  next retrain of the name marks it 'abandoned'
#   4. server restart (fast and immediate), only with --restart PGDATA: the same,
#                                  after the server is back
# After each: the deployed version and its bytes are unchanged, no version was
# added, and the registry's invariants hold.  Readers keep scoring throughout.
#
#   test/faults/retrain.sh [--restart PGDATA]      (PG* environment; pg_ctl as the
#                                                    data directory's owner)
set -euo pipefail
cd "$(dirname "$0")/../.."
db=assoc_faults
restart_data=
[ "${1:-}" = --restart ] && restart_data=$2
"$(dirname "$0")/setup.sh" $db
q() { psql -X -At -d $db -c "$1"; }
now() { date +%s.%N; }
ms() { /usr/bin/python3 -c "print(f'{($2 - $1) * 1000:.0f}')" ; }

before=$(q "SELECT version || ' ' || md5(model) FROM assoc.models WHERE name = 'fault_slow' AND deployed")
versions=$(q "SELECT count(*) FROM assoc.models WHERE name = 'fault_slow'")
fails=0
check_registry() {	# check_registry WHAT
	local dep vs inv
	dep=$(q "SELECT version || ' ' || md5(model) FROM assoc.models WHERE name = 'fault_slow' AND deployed")
	vs=$(q "SELECT count(*) FROM assoc.models WHERE name = 'fault_slow'")
	# invariants: one deployed version per name; every deployment row names a saved version
	inv=$(q "SELECT (SELECT count(*) FROM (SELECT name FROM assoc.models WHERE deployed GROUP BY name HAVING count(*) > 1) x)
			 + (SELECT count(*) FROM assoc.model_deployments d LEFT JOIN assoc.models m USING (name, version) WHERE m.name IS NULL)")
	if [ "$dep" = "$before" ] && [ "$vs" = "$versions" ] && [ "$inv" = 0 ]; then
		echo "  registry after $1: deployed version and bytes unchanged, no new version, invariants hold"
	else
		echo "  REGISTRY CHANGED after $1: deployed '$dep' (was '$before'), $vs versions (were $versions), $inv broken invariants"
		fails=$((fails + 1))
	fi
}
last_runs() { q "SELECT run_id || ' ' || outcome || coalesce(' ' || sqlstate, '') FROM assoc.retrain_runs WHERE name = 'fault_slow' ORDER BY run_id DESC LIMIT $1" | tac | tr '\n' ';'; }
# a reader scoring the deployed model all along (counts its successes and failures)
reader() {
	local okc=0 bad=0
	while [ ! -e "$out/stop_reader" ]; do
		if psql -X -At -d $db -c "SELECT assoc.predict(assoc.model('fault_slow'), x) FROM fault_seq WHERE i = 1" >/dev/null 2>&1; then
			okc=$((okc + 1)); else bad=$((bad + 1)); fi
		sleep 0.2
	done
	echo "$okc $bad" > "$out/reader.txt"
}
out=$(mktemp -d /tmp/assoc-faults.XXXXXX)
reader &
rpid=$!

echo "1. statement_timeout = 2s during a retrain"
t0=$(now)
PGOPTIONS='-c statement_timeout=2s' psql -X -q -d $db -c "CALL assoc.retrain('fault_slow')" 2>"$out/err1.txt" || true
t1=$(now)
echo "  returned after $(ms "$t0" "$t1") ms: $(head -1 "$out/err1.txt")"
echo "  run log: $(last_runs 1)"
check_registry "the timeout"

echo "2. pg_cancel_backend 2 s into a retrain"
psql -X -q -d $db -c "SET application_name = 'fault_retrain'" -c "CALL assoc.retrain('fault_slow')" 2>"$out/err2.txt" &
vpid=$!
sleep 2
tc=$(now)
q "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'fault_retrain'" >/dev/null
wait $vpid || true
t1=$(now)
echo "  returned $(ms "$tc" "$t1") ms after the cancel: $(grep ERROR "$out/err2.txt" | head -1)"
echo "  run log: $(last_runs 1)"
check_registry "the cancel"

echo "3. pg_terminate_backend 2 s into a retrain"
psql -X -q -d $db -c "SET application_name = 'fault_retrain'" -c "CALL assoc.retrain('fault_slow')" >/dev/null 2>"$out/err3.txt" &
vpid=$!
sleep 2
pid=$(q "SELECT pid FROM assoc.retrain_runs WHERE name = 'fault_slow' AND outcome = 'running'")
tc=$(now)
q "SELECT pg_terminate_backend($pid)" >/dev/null
wait $vpid || true
while [ -d "/proc/$pid" ]; do sleep 0.01; done
t1=$(now)
echo "  backend $pid gone $(ms "$tc" "$t1") ms after the terminate; run log: $(last_runs 1)"
check_registry "the terminate"
PGOPTIONS='-c statement_timeout=1s' psql -X -q -d $db -c "CALL assoc.retrain('fault_slow')" 2>/dev/null || true
echo "  the next retrain (stopped by a 1 s timeout): run log: $(last_runs 2)"

if [ -n "$restart_data" ]; then
	pgctl=$(dirname "$(command -v psql)")/pg_ctl
	owner=$(stat -c %U "$restart_data")
	for mode in fast immediate; do
		echo "4. server restart (-m $mode) 2 s into a retrain"
		psql -X -q -d $db -c "CALL assoc.retrain('fault_slow')" >/dev/null 2>"$out/err4$mode.txt" &
		vpid=$!
		sleep 2
		tc=$(now)
		runuser -u "$owner" -- "$pgctl" -D "$restart_data" restart -m $mode -w -t 120 >/dev/null
		until psql -X -At -d $db -c "SELECT 1" >/dev/null 2>&1; do sleep 0.1; done
		t1=$(now)
		wait $vpid || true
		echo "  server accepting connections $(ms "$tc" "$t1") ms after the restart began; run log: $(last_runs 1)"
		check_registry "the restart (-m $mode)"
		q "SELECT 'deployed model scores: ' || round(assoc.predict(assoc.model('fault_slow'), x)::numeric, 6) FROM fault_seq WHERE i = 1" | sed 's/^/  /'
		PGOPTIONS='-c statement_timeout=1s' psql -X -q -d $db -c "CALL assoc.retrain('fault_slow')" 2>/dev/null || true
		echo "  the next retrain: run log: $(last_runs 2)"
	done
fi

touch "$out/stop_reader"
wait $rpid
read -r okc bad < "$out/reader.txt"
echo "reader: $okc scores, $bad failures (failures are expected only while the server restarts)"
echo "outputs in $out"
[ "$fails" -eq 0 ]
