#!/usr/bin/env bash
# Real-data evaluation of the convnet (issue 7) on UCI Online Retail (../shared/data, see its
# README for the licence: CC BY 4.0 / CC0, Chen, Sain & Guo 2012).
#
# Task: for a (customer, product) pair that was bought at least once in the 12 weeks before
# week T, predict whether the customer buys the product in week T.  Input: 12 weekly steps x
# 8 features (customer x product, customer and product activity of that week), built here in
# plain SQL.  Time-based split on the target week:
#   training   T = 13 .. 46   (8% hash sample of the pairs of each week)
#   validation T = 47, 48     (25% sample; only to choose each model's F1-optimal threshold)
#   test       T = 49 .. 52   (every pair; week 53 is cut off in the data and not used)
# Models: the default convnet trained in the database (assoc.train_convnet); scikit-learn's
# LogisticRegression on the same 96 standardised values; popularity (distinct customers of
# the product in the 12 weeks); and, for context, frequency (weeks the customer bought it).
# Needs a server with assoc installed (PG* environment) and Debian's python3-sklearn.
#   bash test/bench/convnet_online_retail.sh          (about 3 minutes; prints a markdown table)
set -euo pipefail
cd "$(dirname "$0")/../.."
DATA=${DATA:-../shared/data/online_retail.csv.gz}
[ -r "$DATA" ] || DATA=/work/shared/data/online_retail.csv.gz
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

echo "loading and building the weekly sequences ..." >&2
q <<SQL
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
DROP TABLE IF EXISTS or_raw, or_lines, or_cp, or_c, or_p, or_examples, or_seq, or_model;
CREATE UNLOGGED TABLE or_raw (invoice text, stock text, descr text, qty int, ts timestamp,
                              price numeric, customer int, country text);
\copy or_raw FROM PROGRAM 'zcat $DATA' CSV HEADER
-- order lines of known customers, without cancellations, returns, free items or exact repeats;
-- week 0 starts on Monday 2010-11-29
CREATE UNLOGGED TABLE or_lines AS
SELECT DISTINCT invoice, stock, qty, price, customer, (ts::date - date '2010-11-29') / 7 AS w
FROM or_raw
WHERE customer IS NOT NULL AND invoice NOT LIKE 'C%' AND qty > 0 AND price > 0;
CREATE UNLOGGED TABLE or_cp AS
SELECT customer, stock, w, sum(qty) AS qty, sum(qty * price)::float8 AS spend
FROM or_lines GROUP BY 1, 2, 3;
CREATE UNLOGGED TABLE or_c AS
SELECT customer, w, count(DISTINCT invoice) AS invoices, sum(qty * price)::float8 AS spend,
       count(DISTINCT stock) AS products
FROM or_lines GROUP BY 1, 2;
CREATE UNLOGGED TABLE or_p AS
SELECT stock, w, count(DISTINCT customer) AS customers FROM or_lines GROUP BY 1, 2;
ANALYZE or_cp, or_c, or_p;

-- candidate pairs per target week T (bought at least once in T-12 .. T-1), split by T
CREATE UNLOGGED TABLE or_examples AS
SELECT row_number() OVER (ORDER BY e.t, e.customer, e.stock) AS id, e.t, e.customer, e.stock,
       CASE WHEN e.t <= 46 THEN 'train' WHEN e.t <= 48 THEN 'validation' ELSE 'test' END AS split,
       y.customer IS NOT NULL AS label
FROM (SELECT DISTINCT t, customer, stock
      FROM generate_series(13, 52) t JOIN or_cp h ON h.w BETWEEN t - 12 AND t - 1) e
LEFT JOIN or_cp y ON (y.customer, y.stock, y.w) = (e.customer, e.stock, e.t)
WHERE e.t >= 49
   OR abs(hashtext(e.customer || '/' || e.stock || '/' || e.t)) % 100 < CASE WHEN e.t >= 47 THEN 25 ELSE 8 END;
-- popularity of the product over the same 12 weeks
ALTER TABLE or_examples ADD COLUMN popularity int;
UPDATE or_examples e SET popularity = p.n
FROM (SELECT t, stock, count(DISTINCT customer) AS n
      FROM generate_series(13, 52) t JOIN or_cp h ON h.w BETWEEN t - 12 AND t - 1 GROUP BY 1, 2) p
WHERE (p.t, p.stock) = (e.t, e.stock);
-- 12 steps (weeks T-12 .. T-1) x 8 features
CREATE UNLOGGED TABLE or_seq AS
SELECT e.id,
       array_agg(ARRAY[(cp.qty IS NOT NULL)::int, ln(1 + coalesce(cp.qty, 0)), ln(1 + coalesce(cp.spend, 0)),
                       (c.invoices IS NOT NULL)::int, ln(1 + coalesce(c.invoices, 0)), ln(1 + coalesce(c.spend, 0)),
                       ln(1 + coalesce(c.products, 0)), ln(1 + coalesce(p.customers, 0))]::float8[] ORDER BY k) AS x
FROM or_examples e
CROSS JOIN generate_series(1, 12) k
LEFT JOIN or_cp cp ON (cp.customer, cp.stock, cp.w) = (e.customer, e.stock, e.t - 13 + k)
LEFT JOIN or_c c ON (c.customer, c.w) = (e.customer, e.t - 13 + k)
LEFT JOIN or_p p ON (p.stock, p.w) = (e.stock, e.t - 13 + k)
GROUP BY e.id;
SELECT split, count(*) AS examples, count(*) FILTER (WHERE label) AS positives,
       round(100.0 * count(*) FILTER (WHERE label) / count(*), 2) AS pct_positive
FROM or_examples GROUP BY split ORDER BY min(t);
SQL

echo "training the convnet in the database ..." >&2
q <<'SQL' 2>&1 | sed 's/^psql:[^ ]* //' >&2
SET assoc.mining_mem = '2GB';
\timing on
CREATE UNLOGGED TABLE or_model AS
SELECT assoc.train_convnet(s.x, e.label, '{"epochs": 20, "patience": 3, "verbose": true}') AS m
FROM or_examples e JOIN or_seq s USING (id) WHERE e.split = 'train';
SQL
q -A -t -c "SELECT jsonb_build_object('epochs_run', i->'epochs_run', 'best_epoch', i->'best_epoch', 'examples', i->'examples')
            FROM (SELECT assoc.model_info(m)->'info' i FROM or_model) s" > "$dir/model_info.json"

echo "scoring and exporting ..." >&2
q -A -t -F, -c "SELECT e.id, e.split, e.label, CASE WHEN e.split = 'train' THEN NULL ELSE assoc.predict((SELECT m FROM or_model), s.x) END,
                       e.popularity, array_to_string(ARRAY(SELECT unnest(s.x)), ' ')
                FROM or_examples e JOIN or_seq s USING (id) ORDER BY e.id" > "$dir/rows.csv"
q -c "DROP TABLE or_raw, or_lines, or_cp, or_c, or_p, or_examples, or_seq, or_model"

/usr/bin/python3 - "$dir" <<'PY'
import json, sys
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score
from sklearn.preprocessing import StandardScaler

d = sys.argv[1]
split, label, cnn, pop, X = [], [], [], [], []
with open(d + "/rows.csv") as f:
    for line in f:
        _, s, l, c, p, x = line.rstrip("\n").split(",")
        split.append(s); label.append(l == "t"); cnn.append(float(c) if c else np.nan); pop.append(float(p))
        X.append(np.array(x.split(), dtype=float))
split, y, cnn, pop, X = np.array(split), np.array(label), np.array(cnn), np.array(pop), np.array(X)
freq = X[:, 0::8].sum(axis=1)          # weeks (of 12) in which the customer bought the product
tr, va, te = split == "train", split == "validation", split == "test"

scaler = StandardScaler().fit(X[tr])
lr = LogisticRegression(max_iter=2000).fit(scaler.transform(X[tr]), y[tr])
lrs = lr.predict_proba(scaler.transform(X))[:, 1]

def best_threshold(score, truth):
    """The threshold (among the scores) that maximises F1 on the validation weeks."""
    order = np.argsort(-score)
    s, t = score[order], truth[order]
    tp = np.cumsum(t); fp = np.cumsum(~t)
    f1 = 2 * tp / (tp + fp + t.sum())
    last = np.r_[s[1:] != s[:-1], True]       # only cut between distinct scores
    i = np.argmax(np.where(last, f1, -1))
    return s[i]

info = json.load(open(d + "/model_info.json"))
print("examples: train %d (%d positive), validation %d (%d), test %d (%d); convnet: %s epochs run, weights of epoch %s kept\n"
      % (tr.sum(), y[tr].sum(), va.sum(), y[va].sum(), te.sum(), y[te].sum(), info["epochs_run"], info["best_epoch"]))
print("| model (test weeks 49-52) | AUC | average precision | precision | recall | F1 | threshold (from validation) |")
print("|---|---|---|---|---|---|---|")
for name, sc in [("convnet, default architecture (assoc, in the database)", cnn),
                 ("logistic regression, same 96 values (scikit-learn)", lrs),
                 ("popularity: distinct customers of the product, 12 weeks", pop),
                 ("frequency: weeks the customer bought the product (context)", freq)]:
    th = best_threshold(sc[va], y[va])
    pred = sc[te] >= th
    print("| %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4g |" % (
        name, roc_auc_score(y[te], sc[te]), average_precision_score(y[te], sc[te]),
        precision_score(y[te], pred, zero_division=0), recall_score(y[te], pred), f1_score(y[te], pred), th))
PY
