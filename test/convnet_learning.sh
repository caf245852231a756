#!/usr/bin/env bash
# Learning check with independent oracles (scikit-learn, numpy); needs a server with assoc
# installed (PG* environment) and Debian's python3-sklearn.
#   bash test/convnet_learning.sh
# Trains the default network and assoc.train_logistic (on the flattened sequences) in the
# database on sql/data/convnet_pattern.sql (rows 1..4000, as sql/convnet_learn.sql does), then
# test/convnet_oracle.py compares them with scikit-learn's LogisticRegression on the same rows
# and re-computes the network's scores with numpy.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$(mktemp -d)
trap 'rm -rf "$dir"; psql -X -q -c "DROP TABLE IF EXISTS convnet_pattern, convnet_learn_model" >/dev/null 2>&1 || true' EXIT

psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
DROP TABLE IF EXISTS convnet_pattern, convnet_learn_model;
\i sql/data/convnet_pattern.sql
CREATE TABLE convnet_learn_model AS
SELECT assoc.train_convnet(x, label, '{"seed": 7}') FILTER (WHERE i <= 4000) AS m,
       assoc.train_logistic(ARRAY(SELECT unnest(x)), label) FILTER (WHERE i <= 4000) AS lm
FROM convnet_pattern;
SQL
rows() {  # $1: condition; $2, $3: score expressions (convnet, logistic)
  psql -X -q -A -t -F, -v ON_ERROR_STOP=1 -c "SELECT i, label, $2, $3, array_to_string(ARRAY(SELECT unnest(x)), ' ')
    FROM convnet_pattern, convnet_learn_model WHERE $1 ORDER BY i"
}
rows "i <= 4000" "NULL" "NULL" > "$dir/train.csv"
rows "i > 4000" "assoc.predict(m, x)" "assoc.predict(lm, ARRAY(SELECT unnest(x)))" > "$dir/test.csv"
psql -X -q -A -t -c "SELECT m FROM convnet_learn_model" > "$dir/model.hex"
/usr/bin/python3 test/convnet_oracle.py "$dir"
