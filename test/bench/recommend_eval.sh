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
# Metrics, per customer u with list L (at most 10, ranked) and relevant set R,
# then averaged over all held-out customers (an empty list scores 0):
#   precision@10 = |L ∩ R| / 10
#   recall@10    = |L ∩ R| / |R|
#   NDCG@10      = sum_{rank r: L_r in R} 1/log2(r+1)  /  sum_{r=1}^{min(10,|R|)} 1/log2(r+1)
#   hit rate@10  = [ |L ∩ R| > 0 ]
# They are written in plain SQL below (view reco_eval.metrics); assoc.ranking_metrics
# (models area) should give the same numbers once merged.
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${1:-../shared/data/online_retail.csv.gz}
[ -r "$DATA" ] || { echo "cannot read $DATA" >&2; exit 1; }
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

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

CREATE VIEW reco_eval.metrics AS
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
CREATE FUNCTION reco_eval.run_popular_unseen() RETURNS void LANGUAGE sql AS \$\$
  WITH pop AS (SELECT item_id, row_number() OVER (ORDER BY count(DISTINCT customer_id) DESC, item_id) AS prank
               FROM reco_eval.train GROUP BY item_id)
  INSERT INTO reco_eval.recs
  SELECT 'most popular, seen items excluded', h.customer_id,
         row_number() OVER (PARTITION BY h.customer_id ORDER BY p.prank), p.item_id
  FROM reco_eval.heldout h,
       LATERAL (SELECT item_id, prank FROM pop
                WHERE NOT EXISTS (SELECT 1 FROM reco_eval.ui u WHERE u.customer_id = h.customer_id AND u.item_id = pop.item_id)
                ORDER BY prank LIMIT 10) p \$\$;
CREATE FUNCTION reco_eval.run_own() RETURNS void LANGUAGE sql AS \$\$
  INSERT INTO reco_eval.recs
  SELECT 'own most bought', customer_id, rank, item_id FROM (
    SELECT u.customer_id, u.item_id,
           row_number() OVER (PARTITION BY u.customer_id ORDER BY u.invoices DESC, u.quantity DESC, u.item_id) AS rank
    FROM reco_eval.ui u JOIN reco_eval.heldout h USING (customer_id)) s
  WHERE rank <= 10 \$\$;
CREATE FUNCTION reco_eval.run_rules(label text, model bytea, fill boolean) RETURNS void LANGUAGE sql AS \$\$
  INSERT INTO reco_eval.recs
  SELECT label, c.customer_id, r.rank, r.item::bigint
  FROM reco_eval.carts c JOIN reco_eval.heldout h USING (customer_id),
       LATERAL assoc.recommend_for_cart(model, c.cart, 10, fill => fill)
               WITH ORDINALITY r(item, score, confidence, lift, antecedent, rank) \$\$;
CREATE FUNCTION reco_eval.run_als(label text, model bytea, exclude_seen boolean) RETURNS void LANGUAGE sql AS \$\$
  INSERT INTO reco_eval.recs
  SELECT label, h.customer_id, r.rank, r.item_id
  FROM reco_eval.heldout h, LATERAL assoc.recommend(model, h.customer_id, 10, exclude_seen)
                                   WITH ORDINALITY r(item_id, score, rank) \$\$;
CREATE TABLE reco_eval.models(name text PRIMARY KEY, model bytea);
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
# NDCG@10 on the current split of method LABEL, whose lists SQL writes into reco_eval.recs
valid_ndcg() {
  "${PSQL[@]}" -At -c "TRUNCATE reco_eval.recs" -c "$2" \
    -c "SELECT round(ndcg_10::numeric, 4) FROM reco_eval.metrics WHERE method = '$1'" | tail -1
}
best_rules= ; best_rules_ndcg=-1
for g in $RULES_GRID; do
  s=${g%:*}; c=${g#*:}
  ndcg=$(valid_ndcg rules "SELECT reco_eval.run_rules('rules',
    assoc.train_rules('SELECT invoice_no, item_id FROM reco_eval.train', $s, $c), false)")
  echo "rules min_support=$s min_confidence=$c: $ndcg"
  if awk "BEGIN{exit !($ndcg > $best_rules_ndcg)}"; then best_rules=$g; best_rules_ndcg=$ndcg; fi
done
best_als= ; best_als_ndcg=-1
for g in $ALS_GRID; do
  opts="{${ALS_FIXED},${g:1}"
  ndcg=$(valid_ndcg als "SELECT reco_eval.run_als('als',
    (SELECT assoc.train_als(customer_id, item_id, invoices, '$opts') FROM reco_eval.ui), false)")
  echo "als $opts: $ndcg"
  if awk "BEGIN{exit !($ndcg > $best_als_ndcg)}"; then best_als=$opts; best_als_ndcg=$ndcg; fi
done
s=${best_rules%:*}; c=${best_rules#*:}
echo "# chosen: rules min_support=$s min_confidence=$c; als $best_als"

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
INSERT INTO reco_eval.models VALUES
  ('rules', assoc.train_rules('SELECT invoice_no, item_id FROM reco_eval.train', $s, $c)),
  ('als', (SELECT assoc.train_als(customer_id, item_id, invoices, '$best_als') FROM reco_eval.ui));
SELECT name, (assoc.model_info(model)->'info') - 'loss_history'::text AS info FROM reco_eval.models ORDER BY name;
\o /dev/null
SELECT reco_eval.run_popular();
SELECT reco_eval.run_popular_unseen();
SELECT reco_eval.run_own();
SELECT reco_eval.run_rules('rules (cart = previous invoice)', (SELECT model FROM reco_eval.models WHERE name = 'rules'), false);
SELECT reco_eval.run_rules('rules + fill (popular via {} => item)', (SELECT model FROM reco_eval.models WHERE name = 'rules'), true);
SELECT reco_eval.run_als('ALS', (SELECT model FROM reco_eval.models WHERE name = 'als'), false);
SELECT reco_eval.run_als('ALS, seen items excluded', (SELECT model FROM reco_eval.models WHERE name = 'als'), true);
\o
\pset format aligned
SELECT method, users, round(precision_10::numeric, 4) AS "precision@10", round(recall_10::numeric, 4) AS "recall@10",
       round(ndcg_10::numeric, 4) AS "NDCG@10", round(hit_rate_10::numeric, 4) AS "hit rate@10"
FROM reco_eval.metrics ORDER BY ndcg_10 DESC;
-- NDCG@10 margins of each model against each baseline (ratio, difference)
SELECT m.method AS model, b.method AS baseline,
       round((m.ndcg_10 / b.ndcg_10)::numeric, 2) AS ratio, round((m.ndcg_10 - b.ndcg_10)::numeric, 4) AS difference
FROM reco_eval.metrics m, reco_eval.metrics b
WHERE (m.method LIKE 'rules%' OR m.method LIKE 'ALS%') AND b.method NOT LIKE 'rules%' AND b.method NOT LIKE 'ALS%'
ORDER BY m.method, b.method;
SQL

# Cross-check of the SQL metrics by a second computation in Python from the same lists.
psql -X -At -F '|' -c "
  SELECT m.method, h.customer_id, array_to_string(h.relevant, ','),
         coalesce((SELECT string_agg(item_id::text, ',' ORDER BY rank) FROM reco_eval.recs r
                   WHERE r.method = m.method AND r.customer_id = h.customer_id AND r.rank <= 10), '')
  FROM reco_eval.heldout h, (SELECT DISTINCT method FROM reco_eval.recs) m" > test/bench/out/eval_lists.txt
psql -X -At -F '|' -c "SELECT method, precision_10, recall_10, ndcg_10, hit_rate_10 FROM reco_eval.metrics" \
  > test/bench/out/eval_metrics.txt
python3 - <<'PY'
import math
acc = {}
for line in open('test/bench/out/eval_lists.txt'):
    method, _, rel, rec = line.rstrip('\n').split('|')
    rel = set(rel.split(','))
    rec = [x for x in rec.split(',') if x][:10]
    hits = [i for i, x in enumerate(rec) if x in rel]
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(rel))))
    a = acc.setdefault(method, [0, 0, 0, 0, 0])
    a[0] += len(hits) / 10; a[1] += len(hits) / len(rel)
    a[2] += sum(1 / math.log2(i + 2) for i in hits) / ideal; a[3] += 1 if hits else 0; a[4] += 1
worst = 0
for line in open('test/bench/out/eval_metrics.txt'):
    method, *vals = line.rstrip('\n').split('|')
    a = acc[method]
    worst = max(worst, max(abs(float(v) - x / a[4]) for v, x in zip(vals, a[:4])))
print(f"# metrics cross-checked in Python: largest difference {worst:.1e}", "ok" if worst < 1e-9 else "MISMATCH")
PY
