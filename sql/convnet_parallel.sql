-- Forced parallel aggregation: partial states are serialised by the workers, deserialised and
-- combined by the leader.  Examples are put in a canonical order before training, so the model
-- trained in parallel is byte for byte the model trained serially.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET assoc.mining_mem = '64MB';

CREATE TABLE convnet_par AS
SELECT i, (i * 7919) % 10 < 3 AS label,
	   ARRAY(SELECT ((i * 104729 + j * 7907) % 1000) / 1000.0 FROM generate_series(1, 48) j)::float8[] AS x
FROM generate_series(1, 20000) i;
-- a few rows that the aggregate skips
INSERT INTO convnet_par VALUES (20001, NULL, NULL), (20002, true, NULL);
ANALYZE convnet_par;

BEGIN;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE convnet_serial AS
SELECT assoc.train_convnet(x, label, '{"steps": 12, "epochs": 2, "layers": [{"type": "conv1d", "filters": 8, "kernel": 3}, {"type": "maxpool1d", "pool": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]}') AS m
FROM convnet_par;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT assoc.train_convnet(x, label, '{"steps": 12}') FROM convnet_par;
CREATE TEMP TABLE convnet_parallel AS
SELECT assoc.train_convnet(x, label, '{"steps": 12, "epochs": 2, "layers": [{"type": "conv1d", "filters": 8, "kernel": 3}, {"type": "maxpool1d", "pool": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]}') AS m
FROM convnet_par;
SELECT s.m = p.m AS parallel_equals_serial,
	   assoc.model_info(p.m)->'training_rows' AS training_rows,
	   assoc.model_info(p.m)->'info'->'examples'->'skipped_null_rows' AS skipped
FROM convnet_serial s, convnet_parallel p;
COMMIT;

-- a group with no rows in some workers: combine with empty (NULL) partial states
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT assoc.model_info(assoc.train_convnet(x, label, '{"steps": 12, "epochs": 1, "validation_fraction": 0, "layers": [{"type": "flatten"}, {"type": "dense", "units": 1}]}'))->'training_rows' AS rows
FROM convnet_par WHERE i IN (3, 17, 18, 19000);
COMMIT;

DROP TABLE convnet_par;
