#!/usr/bin/env bash
# Load test: pgbench clients mixing recommend (ALS), recommend_for_cart
# (rules), predict (logistic) and mining on a small table, while a second
# pgbench client retrains and deploys the models served.  Reports pgbench's
# failures, per-script latency percentiles, and the memory (RSS) of every
# serving backend at the start and at the end.
#
#   test/load/pgbench_mix.sh [seconds=60] [clients=6]
#
# Needs a server with assoc installed in the PG* environment; creates (and
# keeps) a database assoc_load.  Data: demo/data/groceries.csv (baskets, see
# its README) for mining, rules and ALS; synthetic rows for logistic.
# Exits non-zero if any transaction failed or the retrains did not run.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
clients=${2:-6}
db=assoc_load
out=$(mktemp -d /tmp/assoc-load.XXXXXX)
chmod 777 "$out"

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d $db -v data="$PWD/demo/data/groceries.csv" >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION assoc;
CREATE TABLE groceries_raw (basket serial, line text);
COPY groceries_raw(line) FROM :'data' WITH (FORMAT text);
CREATE TABLE lines AS SELECT basket, item FROM groceries_raw, string_to_table(line, ',') AS item;
CREATE TABLE item_ids AS SELECT item, row_number() OVER (ORDER BY item) AS item_id FROM (SELECT DISTINCT item FROM lines) i;
CREATE TABLE events AS SELECT l.basket::bigint AS user_id, i.item_id, 1.0::float8 AS weight FROM lines l JOIN item_ids i USING (item);
CREATE TABLE small_lines AS SELECT * FROM lines WHERE basket <= 400;
CREATE TABLE rows_lr AS
SELECT i AS id, ARRAY[sin(i), cos(i * 0.7), sin(i * 0.3), cos(i * 1.1), sin(i * 2.3), cos(i * 0.2), sin(i * 0.9), cos(i * 3.1)]::float8[] AS f,
	   sin(i) + 0.5 * cos(i * 0.7) - 0.3 * sin(i * 2.3) + 0.2 * sin(i * 13.7) > 0 AS y
FROM generate_series(1, 20000) i;
CREATE INDEX ON rows_lr (id);
ANALYZE;
-- the served models, each deployed, and specs to retrain them
SELECT assoc.set_training_spec('load_rules', 'assoc.train_rules', 'SELECT basket, item FROM lines',
	options => '{"min_support": 0.002, "min_confidence": 0.05, "max_len": 3}', metric => 'hit_rate@5');
SELECT assoc.set_training_spec('load_als', 'assoc.train_als', 'SELECT user_id, item_id, weight FROM events',
	options => '{"factors": 16, "max_iter": 5}');
SELECT assoc.set_training_spec('load_lr', 'assoc.train_logistic', 'SELECT f, y FROM rows_lr', metric => 'log_loss');
CALL assoc.retrain('load_rules');
CALL assoc.retrain('load_als');
CALL assoc.retrain('load_lr');
SQL
nitems=$(psql -X -At -d $db -c "SELECT count(*) FROM item_ids")
nusers=$(psql -X -At -d $db -c "SELECT max(user_id) FROM events")

# the serving mix
cat > "$out/recommend.sql" <<SQL
\\set u random(1, $nusers)
SELECT count(*) FROM assoc.recommend((SELECT assoc.model('load_als')), :u, 10);
SQL
cat > "$out/cart.sql" <<SQL
\\set a random(1, $nitems)
\\set b random(1, $nitems)
SELECT count(*) FROM assoc.recommend_for_cart((SELECT assoc.model('load_rules')),
	ARRAY(SELECT item FROM item_ids WHERE item_id IN (:a, :b)), 5);
SQL
cat > "$out/predict.sql" <<'SQL'
\set r random(1, 20000)
SELECT assoc.predict((SELECT assoc.model('load_lr')), f) FROM rows_lr WHERE id = :r;
SQL
cat > "$out/mining.sql" <<'SQL'
SELECT count(*) FROM assoc.frequent_itemsets('SELECT basket, item FROM small_lines', 0.02);
SQL
# the operations client: retrain (gated, or forced so that it deploys) and
# roll back, so that the served versions keep changing under the readers
cat > "$out/retrain.sql" <<'SQL'
\set m random(1, 3)
\if :m = 1
CALL assoc.retrain('load_lr', force => true);
\elif :m = 2
CALL assoc.retrain('load_rules');
\else
CALL assoc.retrain('load_als', force => true);
SELECT assoc.rollback('load_als');
\endif
SQL

# memory of the serving backends (pgbench's), kB: resident and private (RssAnon)
rss() {
	psql -X -At -d $db -c "SELECT pid FROM pg_stat_activity WHERE datname = '$db' AND application_name = 'pgbench_serving'" |
	while read -r pid; do
		printf '%s %s %s\n' "$pid" "$(awk '/^VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null)" \
			"$(awk '/^RssAnon/ {print $2}' /proc/$pid/status 2>/dev/null)"
	done
}

echo "load: ${secs} s, $clients serving clients + 1 operations client; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
PGAPPNAME=pgbench_serving pgbench -n -c "$clients" -j 2 -T "$secs" -P $(( secs / 6 > 0 ? secs / 6 : 1 )) \
	--max-tries=3 -r -l --log-prefix="$out/serve" \
	-f "$out/recommend.sql@4" -f "$out/cart.sql@4" -f "$out/predict.sql@4" -f "$out/mining.sql@1" $db \
	>"$out/serving.txt" 2>&1 &
serve=$!
PGAPPNAME=pgbench_ops pgbench -n -c 1 -j 1 -T "$secs" --max-tries=3 -r -l --log-prefix="$out/ops" \
	-f "$out/retrain.sql" $db >"$out/ops.txt" 2>&1 &
ops=$!
sleep $(( secs / 10 > 2 ? secs / 10 : 2 ))
rss | sort > "$out/rss_start.txt"
sleep $(( secs - 2 * (secs / 10 > 2 ? secs / 10 : 2) ))
rss | sort > "$out/rss_end.txt"
status=0
wait $serve || status=$?
wait $ops || status=$?

echo "--- serving clients (pgbench) ---"
grep -E "^(number of|latency|tps|  +[0-9.]+ +[0-9]+ +[0-9]+ )|^SQL script|^ - " "$out/serving.txt" | grep -v "^ - weight" || true
echo "--- operations client (pgbench) ---"
grep -E "^(number of transactions actually|number of failed|latency average)" "$out/ops.txt" || true

# latency percentiles per script, from the per-transaction logs (column 3: µs, column 5: script)
/usr/bin/python3 - "$out" <<'PY'
import glob, sys
out = sys.argv[1]
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
for prefix, names in (("serve", ["recommend (ALS)", "recommend_for_cart", "predict", "mining (400 baskets)"]),
                      ("ops", ["retrain / rollback"])):
    lat = {}
    for f in glob.glob(f"{out}/{prefix}.[0-9]*"):
        for line in open(f):
            c = line.split()
            if len(c) >= 6 and c[2] != "failed" and c[2] != "skipped":
                lat.setdefault(int(c[3]), []).append(int(c[2]) / 1000.0)
    for s in sorted(lat):
        v = lat[s]
        print(f"| {names[s] if s < len(names) else s} | {len(v)} | {pct(v, 50):.2f} | {pct(v, 95):.2f} | {pct(v, 99):.2f} | {max(v):.2f} |")
PY

echo "--- RSS of the serving backends (kB): pid, VmRSS start -> end, RssAnon start -> end ---"
join "$out/rss_start.txt" "$out/rss_end.txt" | awk '{printf "%s %s -> %s  %s -> %s\n", $1, $2, $4, $3, $5; d = $5 - $3; if (d > max) max = d} END {print "largest RssAnon growth (kB):", max + 0}'

echo "--- run log of the retrains ---"
psql -X -At -d $db -F ' ' -c "SELECT name, outcome, count(*) FROM assoc.retrain_runs GROUP BY 1, 2 ORDER BY 1, 2"
failed=$(grep -hE "^number of failed transactions" "$out/serving.txt" "$out/ops.txt" | awk '{s += $5} END {print s + 0}')
echo "failed transactions: $failed; outputs in $out"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
