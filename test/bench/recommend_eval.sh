#!/usr/bin/env bash
# Offline evaluation of assoc's recommenders on UCI Online Retail.
#
#   eval "$(/work/tools/pgsandbox recommend 5524)"   # or any PG* environment with assoc installed
#   test/bench/recommend_eval.sh [path/to/online_retail.csv.gz]
#
# Protocol (issue 6): drop cancellations (InvoiceNo 'C...'), lines with
# Quantity <= 0 or UnitPrice <= 0 and lines without a CustomerID; items are
# StockCodes.  For every customer with at least two invoices, the last invoice
# (by time, then number) is held out; everything else is training data.  Each
# method recommends 10 items per held-out customer; relevant = the distinct
# items of the held-out invoice.  Repeat purchases count as hits.
#
# Hyper-parameters are chosen on a validation split made the same way inside
# the training data (each customer's last training invoice held out), never
# on the test invoices; the chosen ones are then retrained on all training data.
#
# The models live in the registry: every candidate of the validation grid is
# saved as a version of reco_eval_rules / reco_eval_als (assoc.save_model) and
# served from it by version (assoc.model(name, version)); the chosen ones,
# retrained on all training data, are saved with their validation metrics,
# deployed, and served to the test customers as (SELECT assoc.model(name)).
# The registry rows of these two names are left for inspection and replaced
# by the next run.
#
# Metrics, per customer u with list L (at most 10, ranked) and relevant set R,
# then averaged over all held-out customers (an empty list scores 0):
#   precision@10 = |L ∩ R| / 10
#   recall@10    = |L ∩ R| / |R|
#   NDCG@10      = sum_{rank r: L_r in R} 1/log2(r+1)  /  sum_{r=1}^{min(10,|R|)} 1/log2(r+1)
#   MAP@10       = sum_{rank r: L_r in R} precision@r  /  min(10, |R|)
#   hit rate@10  = [ |L ∩ R| > 0 ]
# They are computed by the aggregate assoc.ranking_metrics (view reco_eval.ranked).
# Two independent computations must agree with it, or the script fails: the
# same definitions in plain SQL (view reco_eval.metrics_sql, all but MAP) and
# in Python from the exported lists (all five).
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data/online_retail.csv.gz}
[ -r "$DATA" ] || { echo "cannot read $DATA" >&2; exit 1; }
PSQL=(psql -X -q -v ON_ERROR_STOP=1)
mkdir -p test/bench/out

echo "# data: $DATA (sha256 $(sha256sum "$DATA" | cut -c1-8))"
. test/bench/lib.sh
load_online_retail reco_eval "$DATA"
"${PSQL[@]}" <<SQL
SET client_min_messages = warning;

CREATE TABLE reco_eval.recs(method text, customer_id bigint, rank int, item_id bigint);

-- One invoice per row, numbered backwards per customer (1 = last).
CREATE FUNCTION reco_eval.number_invoices(src regclass) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  SET LOCAL client_min_messages = warning;
  DROP TABLE IF EXISTS reco_eval.invoices;
  EXECUTE format('CREATE TABLE reco_eval.invoices AS
    SELECT invoice_no, customer_id, min(invoice_date) AS at,
           row_number() OVER (PARTITION BY customer_id ORDER BY min(invoice_date) DESC, invoice_no DESC) AS back,
           count(*) OVER (PARTITION BY customer_id) AS n
    FROM %s GROUP BY invoice_no, customer_id', src);
END \$\$;

-- A split of the lines in src: heldout (last invoice of customers with >= 2),
-- train (the rest), carts (their previous invoice), ui (customer x item strengths).
CREATE TABLE reco_eval.train (LIKE reco_eval.lines);
CREATE TABLE reco_eval.heldout(customer_id bigint PRIMARY KEY, relevant bigint[]);
CREATE TABLE reco_eval.carts(customer_id bigint PRIMARY KEY, cart text[]);
CREATE TABLE reco_eval.ui(customer_id bigint, item_id bigint, invoices float8, quantity float8);
CREATE FUNCTION reco_eval.split(src regclass) RETURNS void LANGUAGE plpgsql AS \$\$
BEGIN
  PERFORM reco_eval.number_invoices(src);
  TRUNCATE reco_eval.train, reco_eval.heldout, reco_eval.carts, reco_eval.ui, reco_eval.recs;
  EXECUTE format('INSERT INTO reco_eval.train SELECT l.* FROM %s l JOIN reco_eval.invoices v USING (invoice_no)
                  WHERE NOT (v.back = 1 AND v.n >= 2)', src);
  EXECUTE format('INSERT INTO reco_eval.heldout SELECT v.customer_id, array_agg(DISTINCT l.item_id)
                  FROM %s l JOIN reco_eval.invoices v USING (invoice_no) WHERE v.back = 1 AND v.n >= 2 GROUP BY 1', src);
  INSERT INTO reco_eval.carts
    SELECT v.customer_id, array_agg(DISTINCT t.item_id::text)
    FROM reco_eval.invoices v JOIN reco_eval.train t USING (invoice_no) WHERE v.back = 2 GROUP BY 1;
  -- strength of a (customer, item): the number of training invoices holding it
  INSERT INTO reco_eval.ui
    SELECT customer_id, item_id, count(DISTINCT invoice_no), sum(quantity) FROM reco_eval.train GROUP BY 1, 2;
  ANALYZE reco_eval.train; ANALYZE reco_eval.ui; ANALYZE reco_eval.heldout;
END \$\$;

-- One row per held-out customer and method: the list (an empty array when the
-- method recommends nothing, which scores 0) and the relevant items.
CREATE VIEW reco_eval.lists AS
SELECT m.method, h.customer_id, h.relevant, coalesce(r.recommended, '{}') AS recommended
FROM reco_eval.heldout h CROSS JOIN (SELECT DISTINCT method FROM reco_eval.recs) m
LEFT JOIN (SELECT method, customer_id, array_agg(item_id ORDER BY rank) AS recommended
           FROM reco_eval.recs WHERE rank <= 10 GROUP BY 1, 2) r USING (method, customer_id);

-- The metrics: assoc.ranking_metrics over the lists.
CREATE VIEW reco_eval.ranked AS
SELECT method, (j->>'n')::bigint AS users, (j->>'precision')::float8 AS precision_10,
       (j->>'recall')::float8 AS recall_10, (j->>'ndcg')::float8 AS ndcg_10,
       (j->>'map')::float8 AS map_10, (j->>'hit_rate')::float8 AS hit_rate_10
FROM (SELECT method, assoc.ranking_metrics(recommended, relevant, 10) AS j
      FROM reco_eval.lists GROUP BY method) s;

-- Cross-check: the same definitions in plain SQL (MAP is left to the Python check).
CREATE VIEW reco_eval.metrics_sql AS
WITH per AS (
  SELECT m.method, h.customer_id, cardinality(h.relevant) AS nrel,
         count(r.item_id) FILTER (WHERE r.item_id = ANY (h.relevant)) AS hits,
         coalesce(sum(1 / (ln(r.rank + 1) / ln(2))) FILTER (WHERE r.item_id = ANY (h.relevant)), 0) AS dcg
  FROM reco_eval.heldout h CROSS JOIN (SELECT DISTINCT method FROM reco_eval.recs) m
  LEFT JOIN reco_eval.recs r ON r.method = m.method AND r.customer_id = h.customer_id AND r.rank <= 10
  GROUP BY 1, 2, 3)
SELECT method, count(*) AS users,
       avg(hits / 10.0)::float8 AS precision_10,
       avg(hits::float8 / nrel) AS recall_10,
       avg(dcg / (SELECT sum(1 / (ln(i + 1) / ln(2))) FROM generate_series(1, least(10, nrel)) i)) AS ndcg_10,
       avg((hits > 0)::int)::float8 AS hit_rate_10
FROM per GROUP BY method;

-- The methods.
CREATE FUNCTION reco_eval.run_popular() RETURNS void LANGUAGE sql AS \$\$
  INSERT INTO reco_eval.recs
  SELECT 'most popular', h.customer_id, p.rank, p.item_id FROM reco_eval.heldout h,
    (SELECT item_id, row_number() OVER (ORDER BY count(DISTINCT customer_id) DESC, item_id) AS rank
     FROM reco_eval.train GROUP BY item_id ORDER BY 2 LIMIT 10) p \$\$;
-- (a customer with n seen items finds its 10 among the 10 + n most popular)
CREATE FUNCTION reco_eval.run_popular_unseen() RETURNS void LANGUAGE sql AS \$\$
  WITH pop AS (SELECT item_id, row_number() OVER (ORDER BY count(DISTINCT customer_id) DESC, item_id) AS prank
               FROM reco_eval.train GROUP BY item_id),
       seen AS (SELECT customer_id, count(*) AS n FROM reco_eval.ui GROUP BY customer_id)
  INSERT INTO reco_eval.recs
  SELECT 'most popular, seen items excluded', customer_id, rank, item_id FROM (
    SELECT h.customer_id, p.item_id, row_number() OVER (PARTITION BY h.customer_id ORDER BY p.prank) AS rank
    FROM reco_eval.heldout h JOIN seen s USING (customer_id) JOIN pop p ON p.prank <= 10 + s.n
    WHERE NOT EXISTS (SELECT 1 FROM reco_eval.ui u WHERE u.customer_id = h.customer_id AND u.item_id = p.item_id)) x
  WHERE rank <= 10 \$\$;
CREATE FUNCTION reco_eval.run_own() RETURNS void LANGUAGE sql AS \$\$
  INSERT INTO reco_eval.recs
  SELECT 'own most bought', customer_id, rank, item_id FROM (
    SELECT u.customer_id, u.item_id,
           row_number() OVER (PARTITION BY u.customer_id ORDER BY u.invoices DESC, u.quantity DESC, u.item_id) AS rank
    FROM reco_eval.ui u JOIN reco_eval.heldout h USING (customer_id)) s
  WHERE rank <= 10 \$\$;
-- The models are served from the registry (version NULL: the deployed one).
CREATE FUNCTION reco_eval.run_rules(label text, name text, version int, fill boolean) RETURNS void LANGUAGE sql AS \$\$
  INSERT INTO reco_eval.recs
  SELECT label, c.customer_id, r.rank, r.item::bigint
  FROM reco_eval.carts c JOIN reco_eval.heldout h USING (customer_id),
       LATERAL assoc.recommend_for_cart((SELECT assoc.model(name, version)), c.cart, 10, fill => fill)
               WITH ORDINALITY r(item, score, confidence, lift, antecedent, rank) \$\$;
CREATE FUNCTION reco_eval.run_als(label text, name text, version int, exclude_seen boolean) RETURNS void LANGUAGE sql AS \$\$
  INSERT INTO reco_eval.recs
  SELECT label, h.customer_id, r.rank, r.item_id
  FROM reco_eval.heldout h,
       LATERAL assoc.recommend((SELECT assoc.model(name, version)), h.customer_id, 10, exclude_seen)
               WITH ORDINALITY r(item_id, score, rank) \$\$;
-- validation metrics of every candidate saved in the registry
CREATE TABLE reco_eval.valid(name text, version int, metrics jsonb, PRIMARY KEY (name, version));
-- this script's registry names start afresh
DELETE FROM assoc.model_deployments WHERE name IN ('reco_eval_rules', 'reco_eval_als');
DELETE FROM assoc.models WHERE name IN ('reco_eval_rules', 'reco_eval_als');
DELETE FROM assoc.model_names WHERE name IN ('reco_eval_rules', 'reco_eval_als');
SQL

# Held-out test invoices, then the validation split inside the training data.
"${PSQL[@]}" <<'SQL'
\o /dev/null
SELECT reco_eval.number_invoices('reco_eval.lines');
CREATE TABLE reco_eval.lines_valid AS
SELECT l.* FROM reco_eval.lines l JOIN reco_eval.invoices v USING (invoice_no) WHERE NOT (v.back = 1 AND v.n >= 2);
SQL

RULES_GRID="0.01:0.1 0.005:0.1 0.005:0.2 0.003:0.1 0.003:0.2"
ALS_GRID='{"alpha":0.5,"lambda":0.1} {"alpha":1,"lambda":0.1} {"alpha":2,"lambda":0.1} {"alpha":1,"lambda":1} {"alpha":5,"lambda":1}'
ALS_FIXED='"factors":64,"max_iter":15,"seed":0'

echo "# validation (each customer's last training invoice held out): NDCG@10"
"${PSQL[@]}" -c "SELECT reco_eval.split('reco_eval.lines_valid')" >/dev/null
# validate NAME TRAIN_SQL OPTIONS SERVE_SQL: save the model TRAIN_SQL returns
# as the next version of registry name NAME (with OPTIONS, a JSON object),
# serve it to the current split with SERVE_SQL (which reads the version from
# psql variable v), keep its metrics in reco_eval.valid; print "version NDCG@10".
validate() {
  "${PSQL[@]}" -At -v name="$1" -v opts="$3" <<SQL | tail -1
SELECT assoc.save_model(:'name', ($2), options => :'opts'::jsonb,
                        source => 'validation split', comment => 'validation candidate') AS v \\gset
TRUNCATE reco_eval.recs;
\\o /dev/null
SELECT $4;
\\o
INSERT INTO reco_eval.valid
SELECT :'name', :v, assoc.ranking_metrics(recommended, relevant, 10) FROM reco_eval.lists;
SELECT :v || ' ' || round((metrics->>'ndcg')::numeric, 4) FROM reco_eval.valid WHERE name = :'name' AND version = :v;
SQL
}
best_rules= ; best_rules_ndcg=-1
for g in $RULES_GRID; do
  s=${g%:*}; c=${g#*:}
  read -r v ndcg < <(validate reco_eval_rules \
    "SELECT assoc.train_rules('SELECT invoice_no, item_id FROM reco_eval.train', $s, $c)" \
    "{\"min_support\": $s, \"min_confidence\": $c}" "reco_eval.run_rules('rules', 'reco_eval_rules', :v, false)")
  echo "rules min_support=$s min_confidence=$c (reco_eval_rules version $v): $ndcg"
  if awk "BEGIN{exit !($ndcg > $best_rules_ndcg)}"; then best_rules=$g; best_rules_ndcg=$ndcg; best_rules_v=$v; fi
done
best_als= ; best_als_ndcg=-1
for g in $ALS_GRID; do
  opts="{${ALS_FIXED},${g:1}"
  read -r v ndcg < <(validate reco_eval_als \
    "SELECT assoc.train_als(customer_id, item_id, invoices, '$opts') FROM reco_eval.ui" \
    "$opts" "reco_eval.run_als('als', 'reco_eval_als', :v, false)")
  echo "als $opts (reco_eval_als version $v): $ndcg"
  if awk "BEGIN{exit !($ndcg > $best_als_ndcg)}"; then best_als=$opts; best_als_ndcg=$ndcg; best_als_v=$v; fi
done
s=${best_rules%:*}; c=${best_rules#*:}
echo "# chosen: rules min_support=$s min_confidence=$c (version $best_rules_v); als $best_als (version $best_als_v)"

echo "# test (each customer's last invoice held out)"
"${PSQL[@]}" <<SQL
\o /dev/null
SELECT reco_eval.split('reco_eval.lines');
\o
SELECT count(*) AS customers_held_out, round(avg(cardinality(relevant)), 1) AS mean_relevant,
       (SELECT count(*) FROM reco_eval.train) AS training_lines,
       (SELECT count(DISTINCT invoice_no) FROM reco_eval.train) AS training_invoices,
       (SELECT count(*) FROM reco_eval.ui) AS customer_items
FROM reco_eval.heldout;
-- the chosen candidates, retrained on all training data, saved with their
-- validation metrics and deployed
\o /dev/null
SELECT assoc.save_model('reco_eval_rules', assoc.train_rules('SELECT invoice_no, item_id FROM reco_eval.train', $s, $c),
         source => 'SELECT invoice_no, item_id FROM reco_eval.train',
         options => '{"min_support": $s, "min_confidence": $c}',
         metrics => (SELECT jsonb_build_object('validation_split', metrics) FROM reco_eval.valid
                     WHERE name = 'reco_eval_rules' AND version = $best_rules_v),
         deploy => true, comment => 'chosen on the validation split');
SELECT assoc.save_model('reco_eval_als',
         (SELECT assoc.train_als(customer_id, item_id, invoices, '$best_als') FROM reco_eval.ui),
         source => 'SELECT customer_id, item_id, invoices FROM reco_eval.ui',
         metrics => (SELECT jsonb_build_object('validation_split', metrics) FROM reco_eval.valid
                     WHERE name = 'reco_eval_als' AND version = $best_als_v),
         deploy => true, comment => 'chosen on the validation split');
\o
SELECT name, version, deployed, options, round((metrics->'validation_split'->>'ndcg')::numeric, 4) AS valid_ndcg,
       coalesce(comment, '') AS comment
FROM assoc.models WHERE name IN ('reco_eval_rules', 'reco_eval_als') ORDER BY name, version;
SELECT name, (assoc.model_info(assoc.model(name))->'info') - 'loss_history'::text AS info
FROM (VALUES ('reco_eval_als'), ('reco_eval_rules')) v(name);
\o /dev/null
SELECT reco_eval.run_popular();
SELECT reco_eval.run_popular_unseen();
SELECT reco_eval.run_own();
SELECT reco_eval.run_rules('rules (cart = previous invoice)', 'reco_eval_rules', NULL, false);
SELECT reco_eval.run_rules('rules + fill (popular via {} => item)', 'reco_eval_rules', NULL, true);
SELECT reco_eval.run_als('ALS', 'reco_eval_als', NULL, false);
SELECT reco_eval.run_als('ALS, seen items excluded', 'reco_eval_als', NULL, true);
\o
\pset format aligned
SELECT method, users, round(precision_10::numeric, 4) AS "precision@10", round(recall_10::numeric, 4) AS "recall@10",
       round(ndcg_10::numeric, 4) AS "NDCG@10", round(map_10::numeric, 4) AS "MAP@10",
       round(hit_rate_10::numeric, 4) AS "hit rate@10"
FROM reco_eval.ranked ORDER BY ndcg_10 DESC;
-- NDCG@10 margins of each model against each baseline (ratio, difference)
SELECT m.method AS model, b.method AS baseline,
       round((m.ndcg_10 / b.ndcg_10)::numeric, 2) AS ratio, round((m.ndcg_10 - b.ndcg_10)::numeric, 4) AS difference
FROM reco_eval.ranked m, reco_eval.ranked b
WHERE (m.method LIKE 'rules%' OR m.method LIKE 'ALS%') AND b.method NOT LIKE 'rules%' AND b.method NOT LIKE 'ALS%'
ORDER BY m.method, b.method;
SQL

# First cross-check: the plain-SQL metrics must equal assoc.ranking_metrics'.
"${PSQL[@]}" -At <<'SQL' | tee test/bench/out/eval_sql_check.txt
SELECT '# plain SQL vs assoc.ranking_metrics: largest difference ' || to_char(d, '9.9EEEE') ||
       CASE WHEN d < 1e-12 AND n = (SELECT count(*) FROM reco_eval.ranked) THEN ' ok' ELSE ' MISMATCH' END
FROM (SELECT max(greatest(abs(a.precision_10 - b.precision_10), abs(a.recall_10 - b.recall_10),
                          abs(a.ndcg_10 - b.ndcg_10), abs(a.hit_rate_10 - b.hit_rate_10),
                          abs(a.users - b.users))) AS d, count(*) AS n
      FROM reco_eval.ranked a JOIN reco_eval.metrics_sql b USING (method)) s;
SQL
grep -q ' ok$' test/bench/out/eval_sql_check.txt || { echo "plain SQL and assoc.ranking_metrics disagree" >&2; exit 1; }

# Second cross-check: the five metrics computed in Python from the same lists.
psql -X -At -F '|' -c "SELECT method, customer_id, array_to_string(relevant, ','), array_to_string(recommended, ',')
                       FROM reco_eval.lists" > test/bench/out/eval_lists.txt
psql -X -At -F '|' -c "SELECT method, precision_10, recall_10, ndcg_10, map_10, hit_rate_10 FROM reco_eval.ranked" \
  > test/bench/out/eval_metrics.txt
python3 - <<'PY'
import math
import sys
acc = {}
for line in open('test/bench/out/eval_lists.txt'):
    method, _, rel, rec = line.rstrip('\n').split('|')
    rel = set(rel.split(','))
    rec = [x for x in rec.split(',') if x][:10]
    hits = [i for i, x in enumerate(rec) if x in rel]
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(rel))))
    ap = sum((j + 1) / (i + 1) for j, i in enumerate(hits)) / min(10, len(rel))
    a = acc.setdefault(method, [0, 0, 0, 0, 0, 0])
    a[0] += len(hits) / 10
    a[1] += len(hits) / len(rel)
    a[2] += sum(1 / math.log2(i + 2) for i in hits) / ideal
    a[3] += ap
    a[4] += 1 if hits else 0
    a[5] += 1
worst = 0
for line in open('test/bench/out/eval_metrics.txt'):
    method, *vals = line.rstrip('\n').split('|')
    a = acc[method]
    worst = max(worst, max(abs(float(v) - x / a[5]) for v, x in zip(vals, a[:5])))
ok = worst < 1e-12
print(f"# Python vs assoc.ranking_metrics: largest difference {worst:.1e}", "ok" if ok else "MISMATCH")
sys.exit(0 if ok else 1)
PY
