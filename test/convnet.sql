-- pgTAP tests of the convnet area: catalogue, error codes, determinism, scoring.
-- Run: pg_prove test/convnet.sql
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET LOCAL assoc.mining_mem = '64MB';
SELECT plan(35);

-- catalogue
SELECT has_function('assoc', 'predict', ARRAY['bytea', 'double precision[]']);
SELECT volatility_is('assoc', 'predict', ARRAY['bytea', 'double precision[]'], 'immutable');
SELECT is_strict('assoc', 'predict', ARRAY['bytea', 'double precision[]']);
SELECT is_aggregate('assoc', 'train_convnet', ARRAY['double precision[]', 'boolean']);
SELECT is_aggregate('assoc', 'train_convnet', ARRAY['double precision[]', 'boolean', 'jsonb']);
SELECT has_function('assoc', 'convnet_gradient_check',
					ARRAY['integer', 'integer', 'jsonb', 'integer', 'integer', 'double precision', 'double precision']);
SELECT volatility_is('assoc', 'convnet_gradient_check',
					 ARRAY['integer', 'integer', 'jsonb', 'integer', 'integer', 'double precision', 'double precision'],
					 'immutable');
SELECT ok((SELECT bool_and(proparallel = 's') FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		   WHERE n.nspname = 'assoc' AND (proname LIKE '%convnet%')),
		  'every convnet function is PARALLEL SAFE');
SELECT ok((SELECT bool_and(obj_description(p.oid, 'pg_proc') IS NOT NULL) FROM pg_proc p
		   JOIN pg_namespace n ON n.oid = p.pronamespace
		   WHERE n.nspname = 'assoc' AND proname LIKE '%convnet%'),
		  'every convnet function has a comment');
SELECT ok((SELECT aggcombinefn <> 0 AND aggserialfn <> 0 AND aggdeserialfn <> 0 FROM pg_aggregate
		   WHERE aggfnoid = 'assoc.train_convnet(float8[], boolean, jsonb)'::regprocedure),
		  'train_convnet has combine, serial and deserial functions');

-- data: 400 sequences of 12 x 3; label: the sum of feature 1 over the steps exceeds 6
CREATE TEMP TABLE tap_seq AS
WITH v AS (
	SELECT i, t, array_agg(abs(hashtext(i || '-' || t || '-' || f)::float8) / 2147483648.0 ORDER BY f) AS step
	FROM generate_series(1, 400) i, generate_series(1, 12) t, generate_series(1, 3) f
	GROUP BY i, t
)
SELECT i, array_agg(step ORDER BY t) AS x, sum(step[1]) > 6 AS label FROM v GROUP BY i;
CREATE TEMP TABLE tap_model AS
SELECT assoc.train_convnet(x, label, '{"epochs": 40, "learning_rate": 0.01, "layers": [{"type": "conv1d", "filters": 8, "kernel": 2},
		{"type": "maxpool1d", "pool": 2}, {"type": "flatten"}, {"type": "dense", "units": 4},
		{"type": "dense", "units": 1}]}') AS m
FROM tap_seq;

-- model and scoring
SELECT is(assoc.model_info(m)->>'kind', 'convnet', 'model_info reports the convnet kind') FROM tap_model;
SELECT is((assoc.model_info(m)->>'training_rows')::int, 400, 'model_info reports the training rows') FROM tap_model;
SELECT is((SELECT count(*) FROM tap_seq, tap_model WHERE assoc.predict(m, x) BETWEEN 0 AND 1), 400::bigint,
		  'every score is a probability');
SELECT results_eq('SELECT assoc.predict(m, x) FROM tap_seq, tap_model ORDER BY i',
				  'SELECT assoc.predict(m, x) FROM tap_seq, tap_model ORDER BY i',
				  'scoring is repeatable');
SELECT ok((SELECT avg(CASE WHEN p.s > n.s THEN 1.0 WHEN p.s = n.s THEN 0.5 ELSE 0 END) > 0.8
		   FROM (SELECT label, assoc.predict(m, x) s FROM tap_seq, tap_model) p
		   JOIN (SELECT label, assoc.predict(m, x) s FROM tap_seq, tap_model) n ON p.label AND NOT n.label),
		  'the model ranks positives above negatives (training AUC > 0.8)');
SELECT is((SELECT assoc.train_convnet(x, label, '{"epochs": 2}') FROM tap_seq),
		  (SELECT assoc.train_convnet(x, label, '{"epochs": 2}') FROM (SELECT * FROM tap_seq ORDER BY x DESC) s),
		  'training does not depend on the order of the rows');
SELECT isnt((SELECT assoc.train_convnet(x, label, '{"epochs": 2, "seed": 5}') FROM tap_seq),
			(SELECT assoc.train_convnet(x, label, '{"epochs": 2, "seed": 6}') FROM tap_seq),
			'another seed gives another model');

-- error codes
SELECT throws_ok($$SELECT assoc.train_convnet(x, label, '{"epochs": 0}') FROM tap_seq$$, '22023', NULL,
				 'an option out of range is 22023');
SELECT throws_ok($$SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "conv1d", "filters": 4, "kernel": 13}, {"type": "flatten"}, {"type": "dense", "units": 1}]}') FROM tap_seq$$,
				 '22023', NULL, 'a kernel longer than the sequence is 22023');
SELECT throws_ok($$SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "conv1d", "filters": -1, "kernel": 2}]}') FROM tap_seq$$,
				 '22023', 'option "filters" of layer 1 (conv1d) of assoc.train_convnet must be between 1 and 4096',
				 'a negative size names the option and the layer');
SELECT throws_ok($$SELECT assoc.train_convnet(x || ARRAY[[NULL, 1, 2]]::float8[], label) FROM tap_seq$$, '22004', NULL,
				 'a NULL element is 22004');
SELECT throws_ok($$SELECT assoc.train_convnet(x || ARRAY[['NaN', 1, 2]]::float8[], label, '{"layers": [{"type": "flatten"}, {"type": "dense", "units": 1}]}') FROM tap_seq$$,
				 '22023', NULL, 'a NaN is 22023');
SELECT throws_ok($$SELECT assoc.train_convnet(CASE WHEN i = 9 THEN x[1:11] ELSE x END, label) FROM tap_seq$$, '2202E', NULL,
				 'a wrong shape is 2202E');
SELECT throws_ok($$SELECT assoc.train_convnet(x, false) FROM tap_seq$$, '22023', NULL,
				 'a single class is 22023');
SELECT throws_ok($$SELECT assoc.train_convnet(x, label) FROM tap_seq WHERE i < 0$$, '22023', NULL,
				 'an empty training set is 22023');
SELECT throws_ok($$SELECT assoc.predict(m, ARRAY[1, 2]::float8[]) FROM tap_model$$, '2202E', NULL,
				 'scoring the wrong number of values is 2202E');
SELECT throws_ok($$SELECT assoc.predict(m, array_fill('Infinity'::float8, ARRAY[12, 3])) FROM tap_model$$, '22023', NULL,
				 'scoring infinity is 22023');
SELECT throws_ok($$SELECT assoc.predict(set_byte(m, 60, get_byte(m, 60) # 255), array_fill(0::float8, ARRAY[12, 3])) FROM tap_model$$,
				 'XX001', NULL, 'a corrupted model is XX001');
SELECT throws_ok($$SELECT assoc.predict('\x00'::bytea, array_fill(0::float8, ARRAY[12, 3]))$$, '22023', NULL,
				 'a bytea that is not a model is 22023');

-- limits
SET LOCAL assoc.mining_mem = '100kB';
SELECT throws_ok($$SELECT assoc.train_convnet(x, label) FROM tap_seq$$, '54000', NULL,
				 'exceeding assoc.mining_mem is 54000');
SET LOCAL assoc.mining_mem = '64MB';
-- (statement_timeout is tested in sql/convnet.sql: pgTAP's throws_ok cannot catch a cancel)

-- gradient check
SELECT ok((SELECT max(rel_error) < 1e-5 FROM assoc.convnet_gradient_check(12, 3, '[{"type": "conv1d", "filters": 3, "kernel": 2},
		{"type": "maxpool1d", "pool": 2}, {"type": "dropout", "rate": 0.3}, {"type": "flatten"},
		{"type": "dense", "units": 2, "activation": "sigmoid"}, {"type": "dense", "units": 1}]', seed => 11)),
		  'backpropagation agrees with central differences');
SELECT is((SELECT count(*) FROM assoc.convnet_gradient_check(12, 2)), 7::bigint,
		  'the default network has input, 3 weight and 3 bias blocks');
SELECT throws_ok($$SELECT * FROM assoc.convnet_gradient_check(12, 2, batch => 100)$$, '22023', NULL,
				 'a gradient check batch over 64 is 22023');

-- parallel plan
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE TABLE tap_par AS SELECT * FROM tap_seq;
ANALYZE tap_par;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	r record;
	s text := '';
BEGIN
	FOR r IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		s := s || r."QUERY PLAN" || E'\n';
	END LOOP;
	RETURN s;
END $$;
SELECT matches(pg_temp.plan_of($$SELECT assoc.train_convnet(x, label, '{"epochs": 2}') FROM tap_par$$),
			   'Partial Aggregate', 'the aggregate is planned in parallel');
SELECT is((SELECT assoc.train_convnet(x, label, '{"epochs": 2}') FROM tap_par),
		  (SELECT assoc.train_convnet(x, label, '{"epochs": 2}') FROM tap_seq),
		  'the parallel model equals the serial one');
SELECT * FROM finish();
ROLLBACK;
