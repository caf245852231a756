#!/usr/bin/env bash
# Serving models from the registry: what each way of passing the model costs,
# measured side by side in one run (docs/models.md, "Serving from the registry").
#
#   eval "$(/work/tools/pgsandbox NAME PORT)"   # or any PG* environment, superuser, assoc installed
#   SECS=3 test/bench/registry_cache_bench.sh      # KEEP=1 keeps schema regbench and the models
#
# Self-contained (synthetic data, schema regbench, registry names regbench_*,
# removed at the end).  Models: ALS 4,000 items x 64 factors (5.5 MB), rules
# (about 14,000 rules, 285 kB), logistic on 30 features (1.3 kB: stored inline),
# the default convnet on 12 x 4 sequences (207 kB), k-means with 8 clusters on
# 30 features (3 kB).  The model reaches the function as
#   column      (SELECT model FROM assoc.models WHERE name = ... AND deployed)
#   initplan    (SELECT assoc.model(name))
#   per call    assoc.model(name)
#   old sql     regbench.model_sql(name): assoc.model as it was before
#               (LANGUAGE sql; its body is planned again in every statement)
#   decoded     (SELECT model || ''::bytea ...): the same bytes as a computed
#               value, which only the per-call-site cache can keep; this is
#               what predict and predict_cluster did with every model before
#               they used the per-backend cache
# Part 1: one request per statement, pgbench -M prepared, 1 client, SECS s each:
#         mean latency (pgbench's run time / transactions).  Part 2: one statement over many rows
#         (server-side time, best of RUNS), and the decodes it caused.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${SECS:-3}
RUNS=${RUNS:-3}
OUT=test/bench/out/regcache
mkdir -p "$OUT"
rm -f "$OUT"/*
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

echo "# $(date -u +%FT%TZ), $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), PostgreSQL $(psql -XAtc 'SHOW server_version'), load $(cut -d' ' -f1-3 /proc/loadavg)"
"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
DROP SCHEMA IF EXISTS regbench CASCADE;
CREATE SCHEMA regbench;
DELETE FROM assoc.model_deployments WHERE name LIKE 'regbench\_%';
DELETE FROM assoc.models WHERE name LIKE 'regbench\_%';
DELETE FROM assoc.model_names WHERE name LIKE 'regbench\_%';
-- assoc.model as defined before this change, for comparison
CREATE FUNCTION regbench.model_sql(name text, version integer DEFAULT NULL)
	RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE
AS $$
	SELECT CASE WHEN $2 IS NULL
		THEN COALESCE((SELECT m.model FROM assoc.models AS m
					   WHERE m.name OPERATOR(pg_catalog.=) $1 AND m.deployed),
					  assoc.model_missing($1, NULL))
		ELSE COALESCE((SELECT m.model FROM assoc.models AS m
					   WHERE m.name OPERATOR(pg_catalog.=) $1 AND m.version OPERATOR(pg_catalog.=) $2),
					  assoc.model_missing($1, $2))
	END
$$;
SELECT setseed(0.42);
CREATE TABLE regbench.als_rows AS
SELECT u::bigint AS user_id, (1 + floor(4000 * random() ^ 2))::bigint AS item_id, 1::float8 AS weight
FROM generate_series(1, 5000) u, generate_series(1, 40) j
UNION ALL SELECT 1 + i % 5000, i, 1 FROM generate_series(1, 4000) i;
CREATE TABLE regbench.lines AS
SELECT b AS basket, (1 + floor(500 * random() ^ 3))::int AS item
FROM generate_series(1, 20000) b, generate_series(1, 8) j;
CREATE TABLE regbench.carts AS
SELECT basket AS id, array_agg(DISTINCT item::text) AS cart FROM regbench.lines WHERE basket <= 5000 GROUP BY basket;
ALTER TABLE regbench.carts ADD PRIMARY KEY (id);
CREATE TABLE regbench.rows AS
SELECT i AS id, ARRAY(SELECT sin(i * k + k) FROM generate_series(1, 30) k)::float8[] AS f, sin(i) > 0 AS y
FROM generate_series(1, 100000) i;
ALTER TABLE regbench.rows ADD PRIMARY KEY (id);
CREATE TABLE regbench.seq AS
SELECT i AS id, ARRAY(SELECT sin(i * k) FROM generate_series(1, 48) k)::float8[] AS f, sin(i * 3) > 0 AS y
FROM generate_series(1, 2000) i;
ALTER TABLE regbench.seq ADD PRIMARY KEY (id);
ANALYZE regbench.carts; ANALYZE regbench.rows; ANALYZE regbench.seq;
SELECT assoc.save_model('regbench_als', assoc.train_als(user_id, item_id, weight, '{"factors": 64, "max_iter": 3}'), deploy => true)
FROM regbench.als_rows;
SELECT assoc.save_model('regbench_rules', assoc.train_rules('SELECT basket, item FROM regbench.lines', 0.0005, 0.05), deploy => true);
SELECT assoc.save_model('regbench_logit', assoc.train_logistic(f, y), deploy => true) FROM regbench.rows;
SELECT assoc.save_model('regbench_cnn', assoc.train_convnet(f, y, '{"epochs": 1, "steps": 12}'), deploy => true) FROM regbench.seq;
SELECT assoc.save_model('regbench_km', assoc.train_kmeans(f, 8), deploy => true) FROM regbench.rows;
\o /dev/null
SQL
"${PSQL[@]}" -c "SELECT name, kind, octet_length(model) AS bytes, pg_column_size(model) AS stored,
  CASE WHEN pg_column_size(model) > 2000 THEN 'out of line (TOAST)' ELSE 'inline' END AS storage
FROM assoc.models WHERE name LIKE 'regbench\_%' ORDER BY name"

# The model expression of FORM for registry name N.
model_expr() {
  case $1 in
    column)   echo "(SELECT model FROM assoc.models WHERE name = '$2' AND deployed)" ;;
    initplan) echo "(SELECT assoc.model('$2'))" ;;
    percall)  echo "assoc.model('$2')" ;;
    oldsql)   echo "regbench.model_sql('$2')" ;;
    decoded)  echo "(SELECT model || ''::bytea FROM assoc.models WHERE name = '$2' AND deployed)" ;;
  esac
}
FORMS="column initplan percall oldsql decoded"
md_head() {  # the header of a Markdown table with columns "$@"
  printf '| %s ' "$@"; echo '|'; printf '|---%.0s' "$@"; echo '|'
}
CASES="recommend recommend_for_cart predict_logistic predict_convnet predict_cluster"
# One request: the statement of CASE with model expression M.
request() {
  case $1 in
    recommend)          echo "\\set u random(1, 5000)
SELECT * FROM assoc.recommend($2, :u, 10);" ;;
    recommend_for_cart) echo "\\set c random(1, 5000)
SELECT * FROM assoc.recommend_for_cart($2, (SELECT cart FROM regbench.carts WHERE id = :c), 10);" ;;
    predict_logistic)   echo "\\set u random(1, 100000)
SELECT assoc.predict($2, f) FROM regbench.rows WHERE id = :u;" ;;
    predict_convnet)    echo "\\set u random(1, 2000)
SELECT assoc.predict($2, f) FROM regbench.seq WHERE id = :u;" ;;
    predict_cluster)    echo "\\set u random(1, 100000)
SELECT assoc.predict_cluster($2, f) FROM regbench.rows WHERE id = :u;" ;;
  esac
}
name_of() {
  case $1 in
    recommend) echo regbench_als ;; recommend_for_cart) echo regbench_rules ;;
    predict_logistic) echo regbench_logit ;; predict_convnet) echo regbench_cnn ;; predict_cluster) echo regbench_km ;;
  esac
}

echo
echo "# 1. one request per statement: pgbench -M prepared, 1 client, ${SECS}s each; mean latency in ms"
printf '%s\n' "\\set u random(1, 100000)" "SELECT f FROM regbench.rows WHERE id = :u;" > "$OUT/floor.sql"
lat() {  # mean latency (ms) of script $1: pgbench's run time / transactions
  pgbench -n -M prepared -c 1 -j 1 -T "$SECS" -f "$1" >"$OUT/pgbench.out" 2>&1 || { cat "$OUT/pgbench.out" >&2; exit 1; }
  sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$OUT/pgbench.out"
}
echo "floor $(lat "$OUT/floor.sql")" > "$OUT/part1.txt"
for c in $CASES; do
  line="$c"
  for f in $FORMS; do
    request "$c" "$(model_expr $f "$(name_of $c)")" > "$OUT/$c.$f.sql"
    line="$line $(lat "$OUT/$c.$f.sql")"
  done
  echo "$line" >> "$OUT/part1.txt"
done
md_head request $FORMS
awk -v n="$(echo $FORMS | wc -w)" '
  $1 == "floor" { floor = $2; next }
  { printf "| %s | ", $1; for (i = 1; i <= n; i++) printf "%s | ", $(i+1); print "" }
  END { printf "(floor, an indexed SELECT of the features: %s ms)\n", floor }' "$OUT/part1.txt"
echo
echo "# 2. one statement over many rows: ms (best of $RUNS), decodes into the per-backend cache"
bulk() {  # statement of CASE with model expression M
  case $1 in
    recommend)          echo "SELECT count(*) FROM generate_series(1, 5000) u, assoc.recommend($2, u, 10)" ;;
    recommend_for_cart) echo "SELECT count(*) FROM regbench.carts c, assoc.recommend_for_cart($2, c.cart, 10)" ;;
    predict_logistic)   echo "SELECT sum(assoc.predict($2, f)) FROM regbench.rows" ;;
    predict_convnet)    echo "SELECT sum(assoc.predict($2, f)) FROM regbench.seq" ;;
    predict_cluster)    echo "SELECT sum(assoc.predict_cluster($2, f)) FROM regbench.rows" ;;
  esac
}
rows_of() {
  case $1 in recommend|recommend_for_cart) echo 5000 ;; predict_convnet) echo 2000 ;; *) echo 100000 ;; esac
}
: > "$OUT/part2.txt"
for c in $CASES; do
  line="$c $(rows_of $c)"
  for f in $FORMS; do
    q=$(bulk "$c" "$(model_expr $f "$(name_of $c)")")
    # one backend per form: the first run decodes, the later ones may hit
    r=$("${PSQL[@]}" -At -F ' ' <<SQL
SET max_parallel_workers_per_gather = 0;
SET jit = off;
CREATE TEMP TABLE t(run int, ms float8, decodes bigint);
SELECT decodes AS d0 FROM assoc.model_cache_stats() \gset
$(for i in $(seq 1 "$RUNS"); do
  echo "SELECT clock_timestamp() AS t0 \\gset"
  echo "$q \\g /dev/null"
  echo "INSERT INTO t SELECT $i, 1000 * extract(epoch FROM clock_timestamp() - :'t0'::timestamptz), decodes - :d0 FROM assoc.model_cache_stats();"
  echo "SELECT decodes AS d0 FROM assoc.model_cache_stats() \\gset"
done)
SELECT round(min(ms)::numeric, 1), (SELECT decodes FROM t WHERE run = 1), coalesce((SELECT sum(decodes) FROM t WHERE run > 1), 0) FROM t;
SQL
)
    line="$line $r"
  done
  echo "$line" >> "$OUT/part2.txt"
done
md_head statement rows $FORMS
awk -v n="$(echo $FORMS | wc -w)" '
  { printf "| %s | %s | ", $1, $2; for (i = 1; i <= n; i++) printf "%s (%s+%s) | ", $(3*i), $(3*i+1), $(3*i+2); print "" }' "$OUT/part2.txt"
echo "(ms of the best run; in parentheses the models decoded into the per-backend cache by the first run + by the later runs)"

[ -n "${KEEP:-}" ] && exit 0   # KEEP=1: leave the data and models for a look
"${PSQL[@]}" <<'SQL'
SET client_min_messages = warning;
DROP SCHEMA regbench CASCADE;
DELETE FROM assoc.model_deployments WHERE name LIKE 'regbench\_%';
DELETE FROM assoc.models WHERE name LIKE 'regbench\_%';
DELETE FROM assoc.model_names WHERE name LIKE 'regbench\_%';
SQL
