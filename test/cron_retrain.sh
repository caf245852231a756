#!/usr/bin/env bash
# pg_cron really runs assoc.retrain (TAP output).  Needs a server started with
# shared_preload_libraries=pg_cron and cron.database_name = the database of
# the PG* environment (test/run.sh: postgres, background-worker mode).
# Schedules two retrains for the next minute (pg_cron 1.4 has minute
# granularity): one that succeeds and one whose source fails; waits at most
# 75 s for both runs; then checks the new version, the run log and pg_cron's
# own record.  Cleans up after itself.
set -uo pipefail

PSQL=(psql -X -q -At -v ON_ERROR_STOP=1)
failed=0 n=0
check() {	# check DESCRIPTION EXPECTED ACTUAL
	n=$((n + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"; echo "#   expected: $2"; echo "#        got: $3"; failed=$((failed + 1))
	fi
}
q() { "${PSQL[@]}" -c "$1"; }

echo "1..7"
db=$(q "SELECT current_database()")
cron_db=$(q "SELECT current_setting('cron.database_name', true)")
if [ "$db" != "$cron_db" ]; then
	echo "Bail out! pg_cron is not loaded for database $db (cron.database_name = '$cron_db')"
	exit 1
fi

had_assoc=$(q "SELECT count(*) FROM pg_extension WHERE extname = 'assoc'")
had_cron=$(q "SELECT count(*) FROM pg_extension WHERE extname = 'pg_cron'")
cleanup() {
	"${PSQL[@]}" <<-SQL >/dev/null 2>&1
		SELECT cron.unschedule(jobname) FROM cron.job WHERE jobname IN ('assoc_cron_test_ok', 'assoc_cron_test_bad');
		DELETE FROM assoc.retrain_runs WHERE name LIKE 'cron\_test\_%';
		DELETE FROM assoc.training_specs WHERE name LIKE 'cron\_test\_%';
		DELETE FROM assoc.model_deployments WHERE name LIKE 'cron\_test\_%';
		DELETE FROM assoc.models WHERE name LIKE 'cron\_test\_%';
		DELETE FROM assoc.model_names WHERE name LIKE 'cron\_test\_%';
		DROP TABLE IF EXISTS cron_test_rows;
	SQL
	[ "$had_assoc" = 1 ] || q "DROP EXTENSION IF EXISTS assoc CASCADE" >/dev/null 2>&1
	[ "$had_cron" = 1 ] || q "DROP EXTENSION IF EXISTS pg_cron" >/dev/null 2>&1
}
trap cleanup EXIT

"${PSQL[@]}" >/dev/null <<'SQL' || { echo "Bail out! setup failed"; exit 1; }
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS assoc;
CREATE TABLE cron_test_rows AS
SELECT ARRAY[sin(i), cos(i * 3)]::float8[] AS f, sin(i) + 0.3 * cos(i * 7) > 0 AS y FROM generate_series(1, 500) i;
SELECT assoc.set_training_spec('cron_test_ok', 'assoc.train_logistic', 'SELECT f, y FROM public.cron_test_rows');
SELECT assoc.set_training_spec('cron_test_bad', 'assoc.train_logistic', 'SELECT f, y FROM public.cron_test_no_such_table');
SQL

# schedule early in a minute, so that the next minute start is the first run
sec=$(date +%S); sec=${sec#0}
if [ "$sec" -gt 50 ]; then sleep $((61 - sec)); fi
job_ok=$(q "SELECT cron.schedule('assoc_cron_test_ok', '* * * * *', \$\$CALL assoc.retrain('cron_test_ok')\$\$)")
job_bad=$(q "SELECT cron.schedule('assoc_cron_test_bad', '* * * * *', \$\$CALL assoc.retrain('cron_test_bad')\$\$)")
start=$(date +%s)

done_runs=0
while [ $(( $(date +%s) - start )) -lt 75 ]; do
	done_runs=$(q "SELECT count(DISTINCT name) FROM assoc.retrain_runs WHERE name LIKE 'cron\_test\_%' AND outcome <> 'running'")
	[ "$done_runs" = 2 ] && break
	sleep 2
done
echo "# waited $(( $(date +%s) - start )) s for the scheduled runs"
# pg_cron records the end of a job after the job's commit: give it a moment
sleep 2
q "SELECT cron.unschedule(jobname) FROM cron.job WHERE jobname IN ('assoc_cron_test_ok', 'assoc_cron_test_bad')" >/dev/null

check "both scheduled retrains ran within 75 s" 2 "$done_runs"
check "the good spec produced a deployed version 1" "1" \
	"$(q "SELECT string_agg(version::text, ',') FROM assoc.models WHERE name = 'cron_test_ok' AND deployed")"
check "its run is logged as promoted, with rows and metrics" "promoted|t|t" \
	"$(q "SELECT outcome, training_rows > 0, candidate_metrics ? 'auc' FROM assoc.retrain_runs WHERE name = 'cron_test_ok' ORDER BY run_id LIMIT 1")"
check "the failing spec is logged as failed with its error" "failed|42P01|t" \
	"$(q "SELECT outcome, sqlstate, error LIKE '%cron_test_no_such_table%' FROM assoc.retrain_runs WHERE name = 'cron_test_bad' ORDER BY run_id LIMIT 1")"
check "and deployed nothing" "0" \
	"$(q "SELECT count(*) FROM assoc.models WHERE name = 'cron_test_bad'")"
check "pg_cron records the good job as succeeded" "succeeded" \
	"$(q "SELECT string_agg(DISTINCT d.status, ',') FROM cron.job_run_details d WHERE d.jobid = $job_ok")"
check "and the failing job as failed, with the error" "failed|t" \
	"$(q "SELECT string_agg(DISTINCT d.status, ','), bool_and(d.return_message LIKE '%cron_test_no_such_table%') FROM cron.job_run_details d WHERE d.jobid = $job_bad")"

[ "$failed" -eq 0 ]
