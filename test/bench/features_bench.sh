#!/usr/bin/env bash
# Benchmark (not a test): customer features over the full UCI Online Retail
# (541,909 lines) against the plain-SQL equivalent and the floor
#   SELECT customer_id, sum(quantity * unit_price) FROM lines GROUP BY customer_id
# Every query runs in one psql session, round-robin, after a warm-up round; the
# median of the rounds is reported with its ratio to the floor, side by side.
#
#   test/bench/features_bench.sh [rounds]      (default 7)
#   SETTINGS="SET work_mem = '64MB';" test/bench/features_bench.sh
#
# Needs a running server with assoc installed (PG* environment) and the data at
# $DATA (default ../shared/data/online_retail.csv.gz).  Uses the server's
# settings, after the statements in $SETTINGS; they are printed with the
# results.  Each query is timed as SELECT count(s.*) FROM (query) s, so that
# every output column is computed (count(*) would let the planner drop them)
# and nothing but a count travels to the client.  Creates and drops the table
# features_bench_lines and the schema feature_oracle.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-7}
SETTINGS=${SETTINGS:-}
DATA=${DATA:-../shared/data/online_retail.csv.gz}
AS_OF='2011-12-10'
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

[ -r "$DATA" ] || { echo "no data at $DATA (set DATA=...)" >&2; exit 1; }

"${PSQL[@]}" <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
DROP TABLE IF EXISTS features_bench_lines CASCADE;
CREATE TABLE features_bench_lines (order_id text, item_id text, description text, quantity int,
	ts timestamp, unit_price float8, customer_id int, country text);
\copy features_bench_lines FROM PROGRAM 'gzip -dc $DATA' WITH (FORMAT csv, HEADER true)
VACUUM ANALYZE features_bench_lines;
CREATE VIEW features_bench_view AS
SELECT customer_id, order_id, item_id, ts, quantity, unit_price, 'purchase'::text AS event FROM features_bench_lines;
\set ECHO none
\i test/oracle/features_oracle.psql
SQL

# the plain-SQL equivalents, as query texts
"${PSQL[@]}" -At -c "SELECT feature_oracle.customer_sql('features_bench_view', '$AS_OF', false)" > "$OUT/plain15.sql"
"${PSQL[@]}" -At -c "SELECT feature_oracle.customer_sql('features_bench_view', '$AS_OF', true)" > "$OUT/plain18.sql"

names=(floor customer_agg plain_sql_15 customer_features plain_sql_18)
queries=(
	"SELECT customer_id, sum(quantity * unit_price) FROM features_bench_lines GROUP BY customer_id"
	"SELECT customer_id, assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, '$AS_OF'::timestamp) FROM features_bench_lines GROUP BY customer_id"
	"$(cat "$OUT/plain15.sql")"
	"SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price FROM features_bench_lines', '$AS_OF')"
	"$(cat "$OUT/plain18.sql")"
)

# the C results equal the plain SQL (to 1e-9) before anything is timed
"${PSQL[@]}" -At > "$OUT/check" <<SQL
$SETTINGS
SELECT count(*) FILTER (WHERE x.k IS NULL OR y.k IS NULL OR NOT feature_oracle.close(x.f, y.f))
FROM (SELECT customer_id::text AS k, assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, '$AS_OF'::timestamp) AS f
	FROM features_bench_lines WHERE customer_id IS NOT NULL GROUP BY 1) x
	FULL JOIN ($(cat "$OUT/plain15.sql")) y(k, f) ON x.k = y.k;
SELECT count(*) FILTER (WHERE x.k IS NULL OR y.k IS NULL OR NOT feature_oracle.close(x.f, y.f))
FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price FROM features_bench_lines', '$AS_OF') x(k, f)
	FULL JOIN ($(cat "$OUT/plain18.sql")) y(k, f) ON x.k = y.k;
SQL
read -r -d '' diff15 diff18 < "$OUT/check" || true
[ "$diff15" = 0 ] && [ "$diff18" = 0 ] || { echo "results differ from the plain SQL: $diff15 $diff18" >&2; exit 1; }

# one session: a warm-up round, then the timed rounds
{
	echo "$SETTINGS"
	echo '\timing on'
	for ((r = 0; r <= ROUNDS; r++)); do
		for i in "${!names[@]}"; do
			echo "\\echo @ $r ${names[$i]}"
			echo "SELECT count(s.*) FROM (${queries[$i]}) s;"
		done
	done
} > "$OUT/run.sql"
"${PSQL[@]}" -f "$OUT/run.sql" > "$OUT/run.out"

echo "assoc customer features, UCI Online Retail ($("${PSQL[@]}" -At -c 'SELECT count(*) FROM features_bench_lines') lines), as of $AS_OF"
"${PSQL[@]}" -At <<SQL
$SETTINGS
SELECT 'PostgreSQL ' || current_setting('server_version') || ', work_mem ' || current_setting('work_mem')
	|| ', max_parallel_workers_per_gather ' || current_setting('max_parallel_workers_per_gather')
	|| ', jit ' || current_setting('jit') || ', ' || $ROUNDS || ' rounds, median (min) ms, load average '
	|| '$(cut -d' ' -f1-3 /proc/loadavg)' || ' on ' || '$(nproc)' || ' cores';
SQL
echo "results checked equal to the plain SQL (1e-9): yes"
awk -v rounds="$ROUNDS" '
	/^@ / { round = $2; name = $3; next }
	/^Time: / { if (round > 0) { t[name, ++n[name]] = $2 } }
	END {
		split("floor customer_agg plain_sql_15 customer_features plain_sql_18", order, " ")
		for (k = 1; k <= 5; k++) {
			name = order[k]; m = n[name]
			for (i = 1; i <= m; i++) v[i] = t[name, i]
			for (i = 2; i <= m; i++) { x = v[i]; j = i - 1; while (j > 0 && v[j] > x) { v[j + 1] = v[j]; j-- } v[j + 1] = x }
			med[name] = (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
			mn[name] = v[1]
		}
		printf "| %-38s | %13s | %9s | %14s |\n", "query", "median (min)", "x floor", "plain SQL / C"
		printf "|%s|%s|%s|%s|\n", "----------------------------------------", "---------------", "-----------", "----------------"
		printf "| %-38s | %6.1f (%4.1f) | %9.2f | %14s |\n", "floor: sum(quantity * unit_price)", med["floor"], mn["floor"], 1, ""
		printf "| %-38s | %6.1f (%4.1f) | %9.2f | %14.1f |\n", "assoc.customer_agg (15 features)", med["customer_agg"], mn["customer_agg"], med["customer_agg"] / med["floor"], med["plain_sql_15"] / med["customer_agg"]
		printf "| %-38s | %6.1f (%4.1f) | %9.2f | %14s |\n", "plain SQL, same 15 features", med["plain_sql_15"], mn["plain_sql_15"], med["plain_sql_15"] / med["floor"], ""
		printf "| %-38s | %6.1f (%4.1f) | %9.2f | %14.1f |\n", "assoc.customer_features (18, RFM)", med["customer_features"], mn["customer_features"], med["customer_features"] / med["floor"], med["plain_sql_18"] / med["customer_features"]
		printf "| %-38s | %6.1f (%4.1f) | %9.2f | %14s |\n", "plain SQL, same 18 features", med["plain_sql_18"], mn["plain_sql_18"], med["plain_sql_18"] / med["floor"], ""
	}' "$OUT/run.out"

"${PSQL[@]}" -c "SET client_min_messages = warning; DROP TABLE features_bench_lines CASCADE; DROP SCHEMA feature_oracle CASCADE;"
