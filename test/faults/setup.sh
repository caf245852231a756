#!/usr/bin/env bash
# Data and models of the fault scripts, in database $1 (created if missing;
# kept between runs: the tables are made once).
set -euo pipefail
db=${1:-assoc_faults}
psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
	psql -X -q -d postgres -c "CREATE DATABASE $db"
psql -X -At -d $db -c "SELECT 1 FROM pg_tables WHERE tablename = 'fault_ready'" | grep -q 1 && exit 0
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
-- mining: 200,000 baskets from 40 overlapping patterns of 20 items, plus noise
-- (min_support 0.0005 gives 385,441 frequent itemsets in about 5 s)
CREATE TABLE fault_lines AS
SELECT b AS basket, (b % 40) * 12 + j AS item
FROM generate_series(1, 200000) b, generate_series(0, 19) j
WHERE abs(hashint8(b * 1000 + j)) % 100 < 45
UNION ALL
SELECT b, 1000 + abs(hashint8(b)) % 300 FROM generate_series(1, 200000) b;
-- training: sequences for the convnet, interactions for ALS
CREATE TABLE fault_seq AS
SELECT i, ARRAY(SELECT ARRAY[sin(i * 0.1 + t), cos(i * 0.37 * t), (i + t) % 5, sin(t)] FROM generate_series(1, 12) t)::float8[] AS x,
	   sin(i * 0.1 + 12) > 0 AS y
FROM generate_series(1, 5000) i;
CREATE TABLE fault_events AS
SELECT u::bigint AS user_id, (abs(hashint8(u * 100 + j)) % 5000)::bigint AS item_id, 1.0::float8 AS weight
FROM generate_series(1, 50000) u, generate_series(1, 10) j;
-- scoring: 500,000 rows of 8 features, and a deployed logistic model
CREATE TABLE fault_rows AS
SELECT i AS id, ARRAY[sin(i), cos(i * 0.7), sin(i * 0.3), cos(i * 1.1), sin(i * 2.3), cos(i * 0.2), sin(i * 0.9), cos(i * 3.1)]::float8[] AS f,
	   sin(i) + 0.5 * cos(i * 0.7) - 0.3 * sin(i * 2.3) > 0 AS y
FROM generate_series(1, 500000) i;
SELECT assoc.set_training_spec('fault_lr', 'assoc.train_logistic', 'SELECT f, y FROM fault_rows WHERE id <= 50000', metric => 'log_loss');
CALL assoc.retrain('fault_lr');
-- a retrain that runs for minutes (the convnet, many epochs) on a name with a deployed version
SELECT assoc.set_training_spec('fault_slow', 'assoc.train_convnet', 'SELECT x, y FROM fault_seq',
	options => '{"epochs": 100000, "patience": 0}');
SELECT assoc.save_model('fault_slow', (SELECT assoc.train_convnet(x, y, '{"epochs": 1}') FROM fault_seq), deploy => true);
ANALYZE;
CREATE TABLE fault_ready ();
SQL
