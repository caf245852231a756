#!/usr/bin/env bash
# Speed of assoc's recommenders (issue 6), measured side by side in one run:
#  - assoc.recommend on an ALS model of 4,000 items x 64 factors (synthetic):
#    per-call latency p50/p99 from one client, throughput with pgbench -c 2 -j 2,
#    from a warm backend (model cached per backend) and, for comparison, with
#    the model decoded on every call (the same bytes passed as a computed value);
#  - assoc.recommend_for_cart with about 50,000 rules (Online Retail invoices),
#    carts = real invoices;
#  - the floor: a trivial indexed SELECT through the same pgbench path;
#  - ALS training time per iteration on Online Retail with 64 factors, with the
#    FLOP count it implies, next to the single-thread OpenBLAS dgemm rate.
#
#   eval "$(/work/tools/pgsandbox recommend 5524)"   # or any PG* environment with assoc installed
#   SECS=10 test/bench/recommend_latency.sh [path/to/online_retail.csv.gz]
#
# The machine may be shared: SECS (default 10) sets the length of each pgbench run.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/bench/lib.sh
DATA=${1:-../shared/data/online_retail.csv.gz}
SECS=${SECS:-10}
OUT=test/bench/out
mkdir -p "$OUT"
rm -f "$OUT"/pgbench_log.* "$OUT"/*.log
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

echo "# $(date -u +%FT%TZ), $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), PostgreSQL $(psql -XAtc 'SHOW server_version')"
load_online_retail reco_bench "$DATA"
"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
-- 5,000 users x 40 purchases over exactly 4,000 items, popularity skewed
SELECT setseed(0.42);
CREATE TABLE reco_bench.als_rows AS
SELECT u::bigint AS user_id, (1 + floor(4000 * random() ^ 2))::bigint AS item_id, 1::float8 AS weight
FROM generate_series(1, 5000) u, generate_series(1, 40) j
UNION ALL SELECT 1 + i % 5000, i, 1 FROM generate_series(1, 4000) i;
CREATE TABLE reco_bench.models(name text PRIMARY KEY, model bytea);
INSERT INTO reco_bench.models
SELECT 'als', assoc.train_als(user_id, item_id, weight, '{"factors": 64, "max_iter": 3}') FROM reco_bench.als_rows;
INSERT INTO reco_bench.models
SELECT 'rules', assoc.train_rules('SELECT invoice_no, item_id FROM reco_bench.lines', 0.0025, 0.2);
CREATE TABLE reco_bench.carts AS
SELECT row_number() OVER (ORDER BY invoice_no)::int AS id, array_agg(DISTINCT item_id::text) AS cart
FROM reco_bench.lines GROUP BY invoice_no;
ALTER TABLE reco_bench.carts ADD PRIMARY KEY (id);
ANALYZE reco_bench.carts;
SELECT name, pg_column_size(model) AS bytes, assoc.model_info(model)->'dim1' AS items,
       assoc.model_info(model)->'info'->'rules' AS rules, assoc.model_info(model)->'dim2' AS dim2
FROM reco_bench.models ORDER BY name;
SELECT count(*) AS carts, round(avg(cardinality(cart)), 1) AS mean_cart_items FROM reco_bench.carts;
SQL
NCARTS=$(psql -XAtc "SELECT count(*) FROM reco_bench.carts")

cat > "$OUT/als_cached.sql" <<'S'
\set uid random(1, 5000)
SELECT * FROM assoc.recommend((SELECT model FROM reco_bench.models WHERE name = 'als'), :uid, 10);
S
cat > "$OUT/als_decoded.sql" <<'S'
\set uid random(1, 5000)
SELECT * FROM assoc.recommend((SELECT model || ''::bytea FROM reco_bench.models WHERE name = 'als'), :uid, 10);
S
cat > "$OUT/cart_cached.sql" <<S
\set c random(1, $NCARTS)
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM reco_bench.models WHERE name = 'rules'),
  (SELECT cart FROM reco_bench.carts WHERE id = :c), 10);
S
cat > "$OUT/cart_decoded.sql" <<S
\set c random(1, $NCARTS)
SELECT * FROM assoc.recommend_for_cart((SELECT model || ''::bytea FROM reco_bench.models WHERE name = 'rules'),
  (SELECT cart FROM reco_bench.carts WHERE id = :c), 10);
S
cat > "$OUT/floor.sql" <<S
\set c random(1, $NCARTS)
SELECT cart FROM reco_bench.carts WHERE id = :c;
S

# p50, p99 (ms) and calls of one client; tps of two clients
run() {
  local name=$1 lat tps
  pgbench -n -M prepared -c 1 -j 1 -T "$SECS" -f "$OUT/$name.sql" -l --log-prefix="$OUT/$name" >/dev/null 2>"$OUT/$name.err"
  lat=$(cat "$OUT/$name".[0-9]* | awk '{print $3}' | sort -n |
        awk '{v[NR]=$1} END {printf "%.3f %.3f %d", v[int(NR*0.5)+1]/1000, v[int(NR*0.99)+1]/1000, NR}')
  tps=$(pgbench -n -M prepared -c 2 -j 2 -T "$SECS" -f "$OUT/$name.sql" 2>&1 |
        sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
  rm -f "$OUT/$name".[0-9]*
  echo "$name $lat $tps"
}
echo
echo "# pgbench, -M prepared, ${SECS}s per run: latency of 1 client, throughput of 2 clients (-c 2 -j 2)"
results=$(for s in floor als_cached als_decoded cart_cached cart_decoded; do run $s; done)
echo "$results" | awk '
  BEGIN { printf "| %-13s | %9s | %9s | %8s | %9s |\n", "script", "p50 ms", "p99 ms", "calls", "tps (2)";
          printf "|---------------|-----------|-----------|----------|-----------|\n" }
  { printf "| %-13s | %9.3f | %9.3f | %8d | %9.0f |\n", $1, $2, $3, $4, $5; p50[$1]=$2; tps[$1]=$5 }
  END {
    printf "\nratios: als decoded/cached p50 %.1fx, tps cached/decoded %.1fx; cart decoded/cached p50 %.1fx, tps cached/decoded %.1fx\n",
      p50["als_decoded"]/p50["als_cached"], tps["als_cached"]/tps["als_decoded"],
      p50["cart_decoded"]/p50["cart_cached"], tps["cart_cached"]/tps["cart_decoded"]
  }'

echo
echo "# first call in a new backend (decodes the model) vs the second (cached), ms"
for m in als rules; do
  if [ $m = als ]; then q="SELECT count(*) FROM assoc.recommend((SELECT model FROM reco_bench.models WHERE name = 'als'), 17, 10)"
  else q="SELECT count(*) FROM assoc.recommend_for_cart((SELECT model FROM reco_bench.models WHERE name = 'rules'), (SELECT cart FROM reco_bench.carts WHERE id = 17), 10)"; fi
  psql -X -q -c '\timing on' -c "$q" -c "$q" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | paste -sd' ' |
    awk -v m=$m '{printf "%s: first %.2f, second %.2f\n", m, $1, $2}'
done

echo
echo "# ALS training on Online Retail (customers x StockCodes, weight = invoices), 64 factors, 5 iterations"
MA=$(gcc -print-multiarch)
cc -O2 -o "$OUT/blas_peak" test/bench/blas_peak.c -L/usr/lib/$MA/openblas-serial -l:libopenblas.so.0 \
   -Wl,-rpath,/usr/lib/$MA/openblas-serial 2>/dev/null || cc -O2 -o "$OUT/blas_peak" test/bench/blas_peak.c -lopenblas
"${PSQL[@]}" -At -F ' ' <<'SQL' > "$OUT/als_train.txt"
CREATE TEMP TABLE ui AS SELECT customer_id, item_id, count(DISTINCT invoice_no)::float8 AS w FROM reco_bench.lines GROUP BY 1, 2;
SELECT s, (i->>'users'), (i->>'items'), (i->>'interactions'), (i->>'solve_seconds')::float8 / 5, (i->>'flops_per_iteration')::float8
FROM (VALUES ('cholesky'), ('cg')) v(s),
     LATERAL (SELECT assoc.model_info(assoc.train_als(customer_id, item_id, w,
                jsonb_build_object('factors', 64, 'max_iter', 5, 'solver', s)))->'info' AS i FROM ui) t;
SQL
peak=$("$OUT/blas_peak" 64 64)
echo "$peak"
dgemm=$(echo "$peak" | sed -n 's/^dgemm.*: \([0-9.]*\) GFLOP.*/\1/p')
awk -v peak="$dgemm" '
  BEGIN { printf "| solver   | users | items | interactions | s / iteration | GFLOP / iteration | GFLOP/s | of dgemm peak |\n";
          printf "|----------|-------|-------|--------------|---------------|-------------------|---------|---------------|\n" }
  { printf "| %-8s | %5d | %5d | %12d | %13.3f | %17.2f | %7.1f | %12.0f%% |\n", $1, $2, $3, $4, $5, $6/1e9, $6/1e9/$5, 100*$6/1e9/$5/peak }' \
  "$OUT/als_train.txt"
