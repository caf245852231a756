#!/usr/bin/env bash
# Real-data evaluation of the convnet (issue 7) on UCI Online Retail (../shared/data, see its
# README for the licence: CC BY 4.0 / CC0, Chen, Sain & Guo 2012).
#
# Task: for a (customer, product) pair that was bought at least once in the 12 weeks before
# week T, predict whether the customer buys the product in week T.  The examples, their input
# and their labels come from the features area: assoc.period_sequences(source, as_of => start
# of week T, periods => 12, period => '7 days'), whose rows are exactly those pairs and whose
# label is "bought in week T".  Input: 12 weekly steps x the 6 purchase columns of the `period`
# feature set (units, orders, spend of the pair; orders and spend of the customer; orders of
# the product), as ln(1 + value); the columns views and cart_adds are dropped because Online
# Retail has no browse events (the script checks that they are 0).  Time-based split on T:
#   training   T = 13 .. 46   (8% hash sample of the pairs of each week)
#   validation T = 47, 48     (25% sample; only to choose each model's F1-optimal threshold)
#   test       T = 49 .. 52   (every pair; week 53 is cut off in the data and not used)
# Models: the default convnet (assoc.train_convnet) and logistic regression on the same 72
# flattened values, both trained in the database (assoc.train_logistic) and by scikit-learn
# (StandardScaler + LogisticRegression, C = 1: the same objective as train_logistic's
# defaults); popularity (distinct customers of the product in the 12 weeks, the `buyers` of
# assoc.product_features on those weeks); and, for context, frequency (weeks in which the
# customer bought the product).  AUC, precision, recall and F1 come from
# assoc.classification_metrics at the threshold chosen on the validation weeks; scikit-learn
# recomputes all of them from the same scores (the "cross-check" line), and gives the average
# precision, which assoc does not compute.
# Needs a server with assoc installed (PG* environment) and Debian's python3-sklearn.
#   bash test/bench/convnet_online_retail.sh          (about 3 minutes; prints a markdown table)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/online_retail.csv.gz}
[ -r "$DATA" ] || DATA=/work/shared/data/online_retail.csv.gz
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
tables="or_raw, or_lines, or_examples, or_pop, or_models, or_scores, or_thresholds"

echo "loading and building the weekly sequences with assoc.period_sequences ..." >&2
q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
DROP TABLE IF EXISTS $tables;
CREATE UNLOGGED TABLE or_raw (invoice text, stock text, descr text, qty int, ts timestamp,
                              price numeric, customer int, country text);
\copy or_raw FROM PROGRAM 'zcat $DATA' CSV HEADER
-- order lines of known customers, without cancellations, returns, free items or exact repeats
CREATE UNLOGGED TABLE or_lines AS
SELECT DISTINCT customer, invoice, stock, ts, qty, price
FROM or_raw
WHERE customer IS NOT NULL AND invoice NOT LIKE 'C%' AND qty > 0 AND price > 0;
ANALYZE or_lines;

-- week T starts on Monday 2010-11-29 + T weeks; the examples of T are the sequences as of
-- that instant (the 12 weeks before it), sampled by a hash of (customer, product, T)
SET TimeZone = 'UTC';
CREATE UNLOGGED TABLE or_examples AS
SELECT row_number() OVER (ORDER BY s.t, s.customer_id, s.item_id) AS id, s.t, s.customer_id, s.item_id,
       CASE WHEN s.t <= 46 THEN 'train' WHEN s.t <= 48 THEN 'validation' ELSE 'test' END AS split,
       s.label, s.sequence
FROM (SELECT t, p.*
      FROM generate_series(13, 52) t,
           LATERAL assoc.period_sequences('SELECT customer, invoice, stock, ts, qty, price FROM or_lines',
                                          timestamp '2010-11-29' + t * interval '7 days', 12, '7 days') p
      WHERE t >= 49
         OR abs(hashtext(p.customer_id || '/' || p.item_id || '/' || t)) % 100 < CASE WHEN t >= 47 THEN 25 ELSE 8 END) s;
DO \$\$ BEGIN
  IF EXISTS (SELECT FROM or_examples WHERE sequence[1:12][7:8] <> array_fill(0::float8, ARRAY[12, 2])) THEN
    RAISE EXCEPTION 'views or cart_adds are not 0: the data has browse events';
  END IF;
END \$\$;
-- plain-SQL check on target week 49 (every pair, unsampled): the pairs, labels and 6 purchase
-- columns of period_sequences equal the weekly aggregates the script computed before, with week
-- index w = (date - 2010-11-29) / 7, so that step k of week T is week T - 13 + k
CREATE TEMP TABLE or_w AS
SELECT customer::text AS customer, stock, invoice, qty, (qty * price)::float8 AS spend, (ts::date - date '2010-11-29') / 7 AS w
FROM or_lines WHERE ts >= timestamp '2010-11-29' + 37 * interval '7 days' AND ts < timestamp '2010-11-29' + 50 * interval '7 days';
CREATE TEMP TABLE or_check AS
WITH cp AS (SELECT customer, stock, w, sum(qty) AS units, count(DISTINCT invoice) AS orders, sum(spend) AS spend FROM or_w GROUP BY 1, 2, 3),
     c AS (SELECT customer, w, count(DISTINCT invoice) AS orders, sum(spend) AS spend FROM or_w GROUP BY 1, 2),
     p AS (SELECT stock, w, count(DISTINCT invoice) AS orders FROM or_w GROUP BY 1, 2),
     pairs AS (SELECT DISTINCT customer, stock FROM cp WHERE w BETWEEN 37 AND 48)
SELECT pr.customer, pr.stock, EXISTS (SELECT FROM cp y WHERE (y.customer, y.stock, y.w) = (pr.customer, pr.stock, 49)) AS label,
       array_agg(ARRAY[coalesce(cp.units, 0), coalesce(cp.orders, 0), coalesce(cp.spend, 0),
                       coalesce(c.orders, 0), coalesce(c.spend, 0), coalesce(p.orders, 0)]::float8[] ORDER BY k) AS seq
FROM pairs pr CROSS JOIN generate_series(1, 12) k
LEFT JOIN cp ON (cp.customer, cp.stock, cp.w) = (pr.customer, pr.stock, 36 + k)
LEFT JOIN c ON (c.customer, c.w) = (pr.customer, 36 + k)
LEFT JOIN p ON (p.stock, p.w) = (pr.stock, 36 + k)
GROUP BY pr.customer, pr.stock;
SELECT count(*) FILTER (WHERE e.id IS NOT NULL AND o.customer IS NOT NULL) AS week49_pairs_in_both,
       count(*) FILTER (WHERE e.id IS NULL OR o.customer IS NULL) AS in_one_only,
       count(*) FILTER (WHERE e.label <> o.label) AS label_differs,
       max((SELECT max(abs(a - b) / greatest(1, abs(b))) FROM unnest(e.sequence[1:12][1:6], o.seq) u(a, b))) AS max_rel_difference
FROM (SELECT * FROM or_examples WHERE t = 49) e
FULL JOIN or_check o ON (o.customer, o.stock) = (e.customer_id, e.item_id);
-- the model input: 12 steps x 6 columns as ln(1 + value), flattened step by step
ALTER TABLE or_examples ADD COLUMN x float8[], ADD COLUMN frequency int;
UPDATE or_examples SET x = ARRAY(SELECT ln(1 + v) FROM unnest(sequence[1:12][1:6]) v),
                       frequency = (SELECT count(*) FROM generate_subscripts(sequence, 1) k WHERE sequence[k][2] > 0);
ALTER TABLE or_examples DROP COLUMN sequence;
VACUUM ANALYZE or_examples;
-- popularity: distinct customers of the product in the 12 weeks before T
CREATE UNLOGGED TABLE or_pop AS
SELECT t, p.item_id, p.features[2] AS buyers
FROM generate_series(13, 52) t,
     LATERAL assoc.product_features(format('SELECT customer, invoice, stock, ts, qty, price FROM or_lines WHERE ts >= %L',
                                           timestamp '2010-11-29' + (t - 12) * interval '7 days'),
                                    timestamp '2010-11-29' + t * interval '7 days') p;
SELECT split, count(*) AS examples, count(*) FILTER (WHERE label) AS positives,
       round(100.0 * count(*) FILTER (WHERE label) / count(*), 2) AS pct_positive
FROM or_examples GROUP BY split ORDER BY min(t);
SQL

echo "training in the database ..." >&2
q <<'SQL' 2>&1 | sed 's/^psql:[^ ]* //' >&2
SET assoc.mining_mem = '2GB';
CREATE UNLOGGED TABLE or_models (name text, m bytea, seconds float8);
DO $$
DECLARE t0 timestamptz;
BEGIN
  t0 := clock_timestamp();
  INSERT INTO or_models
  SELECT 'convnet', assoc.train_convnet(x, label, '{"steps": 12, "epochs": 20, "patience": 3, "verbose": true}'), NULL
  FROM or_examples WHERE split = 'train';
  UPDATE or_models SET seconds = extract(epoch FROM clock_timestamp() - t0) WHERE name = 'convnet';
  t0 := clock_timestamp();
  INSERT INTO or_models
  SELECT 'assoc_logistic', assoc.train_logistic(x, label), NULL FROM or_examples WHERE split = 'train';
  UPDATE or_models SET seconds = extract(epoch FROM clock_timestamp() - t0) WHERE name = 'assoc_logistic';
END $$;
SQL

echo "scoring in the database, exporting for scikit-learn ..." >&2
q <<'SQL'
CREATE UNLOGGED TABLE or_scores AS
SELECT e.id, s.model, s.score
FROM or_examples e
LEFT JOIN or_pop p ON (p.t, p.item_id) = (e.t, e.item_id),
LATERAL (VALUES ('convnet', assoc.predict((SELECT m FROM or_models WHERE name = 'convnet'), e.x)),
                ('assoc_logistic', assoc.predict((SELECT m FROM or_models WHERE name = 'assoc_logistic'), e.x)),
                ('popularity', p.buyers),
                ('frequency', e.frequency::float8)) s(model, score)
WHERE e.split <> 'train';
SQL
q -A -t -F, -c "SELECT id, split, label FROM or_examples ORDER BY id" > "$dir/rows.csv"
q -A -t -c "COPY (SELECT array_to_string(x, ' ') FROM or_examples ORDER BY id) TO STDOUT" > "$dir/x.txt"

echo "scikit-learn's logistic regression ..." >&2
/usr/bin/python3 - "$dir" <<'PY'
import sys, time
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
d = sys.argv[1]
rows = np.genfromtxt(d + "/rows.csv", delimiter=",", dtype=None, encoding=None)
ids, split, y = rows["f0"], rows["f1"], rows["f2"] == "t"
X = np.fromstring(open(d + "/x.txt").read(), sep=" ").reshape(len(ids), -1)
tr = split == "train"
t0 = time.time()
scaler = StandardScaler().fit(X[tr])
lr = LogisticRegression(C=1.0, max_iter=2000).fit(scaler.transform(X[tr]), y[tr])
seconds = time.time() - t0
# the objective both trainers minimise: (sum of log losses + ||w||^2 / 2) / n on standardised values
z = lr.decision_function(scaler.transform(X[tr]))
objective = (np.sum(np.logaddexp(0, z) - y[tr] * z) + 0.5 * lr.coef_[0] @ lr.coef_[0]) / tr.sum()
open(d + "/sklearn_objective", "w").write("%.17g" % objective)
p = lr.predict_proba(scaler.transform(X[~tr]))[:, 1]
with open(d + "/sklearn.csv", "w") as f:
    for i, s in zip(ids[~tr], p):
        f.write("%d,%.17g\n" % (i, s))
open(d + "/sklearn_seconds", "w").write("%.3f" % seconds)
PY
q <<SQL
\copy or_scores (id, score) FROM '$dir/sklearn.csv' CSV
UPDATE or_scores SET model = 'sklearn_logistic' WHERE model IS NULL;
INSERT INTO or_models VALUES ('sklearn_logistic', NULL, $(cat "$dir/sklearn_seconds"));
-- each model's threshold: the score that maximises F1 on the validation weeks (predicted
-- positive iff score >= threshold; cuts only between distinct scores; the highest on a tie)
CREATE UNLOGGED TABLE or_thresholds AS
SELECT DISTINCT ON (model) model, score AS threshold, f1 AS validation_f1
FROM (SELECT s.model, s.score,
             2.0 * sum(e.label::int) OVER w / (count(*) OVER w + sum(e.label::int) OVER (PARTITION BY s.model)) AS f1
      FROM or_scores s JOIN or_examples e USING (id)
      WHERE e.split = 'validation'
      WINDOW w AS (PARTITION BY s.model ORDER BY s.score DESC RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) v
ORDER BY model, f1 DESC, score DESC;
SQL

echo "metrics ..." >&2
# the test-week metrics of every model, by assoc.classification_metrics
q -A -t -F, -c "SELECT s.model, t.threshold, m->>'n', m->>'auc', m->>'precision', m->>'recall', m->>'f1', m->>'accuracy'
                FROM (SELECT s.model, assoc.classification_metrics(s.score, e.label, t.threshold) AS m
                      FROM or_scores s JOIN or_examples e USING (id) JOIN or_thresholds t USING (model)
                      WHERE e.split = 'test' GROUP BY s.model) s JOIN or_thresholds t USING (model)" > "$dir/metrics.csv"
q -A -t -F, -c "SELECT s.id, s.model, s.score, e.label FROM or_scores s JOIN or_examples e USING (id)
                WHERE e.split = 'test' ORDER BY s.model, s.id" > "$dir/test_scores.csv"
q -A -t -F, -c "SELECT name, seconds FROM or_models" > "$dir/seconds.csv"
q -A -t -c "SELECT jsonb_build_object('convnet', (SELECT jsonb_build_object('epochs_run', i->'epochs_run', 'best_epoch', i->'best_epoch')
                                                  FROM (SELECT assoc.model_info(m)->'info' i FROM or_models WHERE name = 'convnet') s),
                                      'logistic', (SELECT (assoc.model_info(m)->'info') - 'class_weights' FROM or_models WHERE name = 'assoc_logistic'))" > "$dir/info.json"
q -c "DROP TABLE $tables"

/usr/bin/python3 - "$dir" <<'PY'
import json, sys
import numpy as np
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score
d = sys.argv[1]
metrics = {}
for line in open(d + "/metrics.csv"):
    name, th, n, auc, prec, rec, f1, acc = line.rstrip("\n").split(",")
    metrics[name] = dict(threshold=float(th), n=int(n), auc=float(auc), precision=float(prec),
                         recall=float(rec), f1=float(f1))
scores = {}
for line in open(d + "/test_scores.csv"):
    i, name, s, label = line.rstrip("\n").split(",")
    scores.setdefault(name, ([], []))
    scores[name][0].append(float(s) if s else np.nan)
    scores[name][1].append(label == "t")
seconds = dict(l.rstrip("\n").split(",") for l in open(d + "/seconds.csv"))
info = json.load(open(d + "/info.json"))

# scikit-learn recomputes every metric from the same scores and thresholds
worst = 0.0
for name, m in metrics.items():
    s, y = np.array(scores[name][0]), np.array(scores[name][1])
    assert not np.isnan(s).any(), name
    pred = s >= m["threshold"]
    ref = dict(auc=roc_auc_score(y, s), precision=precision_score(y, pred, zero_division=0),
               recall=recall_score(y, pred), f1=f1_score(y, pred))
    worst = max([worst] + [abs(ref[k] - m[k]) for k in ref])
    m["ap"] = average_precision_score(y, s)
    m["positives"] = int(y.sum())
cn, lg = np.array(scores["convnet"][0]), np.array(scores["assoc_logistic"][0])
sk = np.array(scores["sklearn_logistic"][0])

n, pos = metrics["convnet"]["n"], metrics["convnet"]["positives"]
print("test examples %d (%d positive, %.1f%%); convnet: %s epochs run, weights of epoch %s kept; "
      "assoc.train_logistic: %s, %s iterations, converged %s"
      % (n, pos, 100.0 * pos / n, info["convnet"]["epochs_run"], info["convnet"]["best_epoch"],
         info["logistic"]["solver"], info["logistic"]["iterations"], info["logistic"]["converged"]))
print()
print("| model (test weeks 49-52) | AUC | precision | recall | F1 | threshold (from validation) | average precision (scikit-learn) | training (s) |")
print("|---|---|---|---|---|---|---|---|")
for name, label in [("convnet", "convnet, default architecture (assoc.train_convnet)"),
                    ("assoc_logistic", "logistic regression, same 72 values (assoc.train_logistic)"),
                    ("sklearn_logistic", "logistic regression, same 72 values (scikit-learn)"),
                    ("popularity", "popularity: distinct customers of the product, 12 weeks"),
                    ("frequency", "frequency: weeks the customer bought the product (context)")]:
    m = metrics[name]
    t = seconds.get(name, "")
    print("| %s | %.4f | %.4f | %.4f | %.4f | %.4g | %.4f | %s |" % (
        label, m["auc"], m["precision"], m["recall"], m["f1"], m["threshold"], m["ap"],
        "%.1f" % float(t) if t else ""))
print()
print("cross-check: largest difference between assoc.classification_metrics and scikit-learn "
      "(AUC, precision, recall, F1 of every row): %.2g" % worst)
print("assoc.train_logistic vs scikit-learn's LogisticRegression on the test rows: "
      "largest probability difference %.2g; objective at the solution: assoc %.12f "
      "(before its last Newton step, gradient %.1g), scikit-learn %.12f (lbfgs, default tol)"
      % (np.max(np.abs(lg - sk)), info["logistic"]["objective"], info["logistic"]["gradient_norm"],
         float(open(d + "/sklearn_objective").read())))
PY
