-- pgTAP: the SQL surface of the feature area, its contracts with the other
-- areas (feature_names matches every vector), as-of correctness, parallel
-- plans and error codes.  Run with: pg_prove test/features.sql
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET TimeZone = 'UTC';
SELECT plan(46);

-- the functions and their labels
SELECT has_function('assoc', 'feature_names', ARRAY['text']);
SELECT function_returns('assoc', 'feature_names', ARRAY['text'], 'text[]');
SELECT volatility_is('assoc', 'feature_names', ARRAY['text'], 'immutable');
SELECT is_aggregate('assoc', 'customer_agg', ARRAY['"any"', '"any"', 'timestamp with time zone',
	'double precision', 'double precision', 'timestamp with time zone']);
SELECT is_aggregate('assoc', 'customer_agg', ARRAY['"any"', '"any"', 'timestamp without time zone',
	'double precision', 'double precision', 'timestamp without time zone', 'text']);
SELECT is_aggregate('assoc', 'product_agg', ARRAY['"any"', '"any"', 'timestamp with time zone',
	'double precision', 'double precision', 'timestamp with time zone']);
SELECT is_aggregate('assoc', 'scaler_fit', ARRAY['double precision[]', 'jsonb']);
SELECT has_function('assoc', 'customer_features', ARRAY['text', 'timestamp with time zone', 'boolean']);
SELECT volatility_is('assoc', 'customer_features', ARRAY['text', 'timestamp with time zone', 'boolean'], 'volatile');
SELECT has_function('assoc', 'product_features', ARRAY['text', 'timestamp with time zone', 'boolean']);
SELECT has_function('assoc', 'customer_product_features',
	ARRAY['text', 'timestamp with time zone', 'integer', 'double precision', 'double precision', 'integer', 'boolean']);
SELECT has_function('assoc', 'period_sequences', ARRAY['text', 'timestamp with time zone', 'integer', 'interval', 'boolean']);
SELECT has_function('assoc', 'time_split', ARRAY['text', 'timestamp with time zone']);
SELECT volatility_is('assoc', 'scale', ARRAY['bytea', 'double precision[]'], 'immutable');
SELECT volatility_is('assoc', 'hash_features', ARRAY['text[]', 'integer', 'boolean', 'integer'], 'immutable');
SELECT volatility_is('assoc', 'train_test_split', ARRAY['text', 'double precision', 'integer'], 'immutable');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	WHERE n.nspname = 'assoc' AND p.proname IN ('customer_agg', 'product_agg', 'scaler_fit')
		AND p.proparallel <> 's'), 0::bigint, 'the feature aggregates are parallel safe');
SELECT is((SELECT count(*) FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	WHERE p.proname IN ('customer_agg', 'product_agg', 'scaler_fit') AND p.pronamespace = 'assoc'::regnamespace
		AND (a.aggcombinefn = 0 OR a.aggserialfn = 0 OR a.aggdeserialfn = 0)), 0::bigint,
	'the feature aggregates have combine, serial and deserial functions');

-- small random lines
CREATE TEMP TABLE tl AS
SELECT 1 + (g * 7) % 25 AS customer_id, 'o' || (g / 4) AS order_id, 'i' || (g * 13) % 17 AS item_id,
	timestamp '2024-01-01' + (g / 4) * interval '9 hours' AS ts,
	CASE WHEN g % 11 = 0 THEN -1 ELSE 1 + g % 3 END AS quantity, 0.5 + (g % 5) AS unit_price
FROM generate_series(1, 2000) g;
CREATE TEMP TABLE tl_before AS SELECT * FROM tl WHERE ts < '2024-06-01';

-- every vector has the length feature_names gives (the contract with k-means and the models)
SELECT is((SELECT DISTINCT cardinality(features) FROM assoc.customer_features('SELECT * FROM tl', '2024-06-01')),
	cardinality(assoc.feature_names('customer')), 'customer vectors match feature_names(''customer'')');
SELECT is((SELECT DISTINCT cardinality(f) FROM (SELECT assoc.customer_agg(order_id, item_id, ts, quantity, unit_price,
		'2024-06-01'::timestamp) AS f FROM tl GROUP BY customer_id) s),
	cardinality(assoc.feature_names('customer_agg')), 'customer_agg vectors match feature_names(''customer_agg'')');
SELECT is((SELECT DISTINCT cardinality(features) FROM assoc.product_features('SELECT * FROM tl', '2024-06-01')),
	cardinality(assoc.feature_names('product')), 'product vectors match feature_names(''product'')');
SELECT is((SELECT DISTINCT cardinality(features) FROM assoc.customer_product_features('SELECT * FROM tl', '2024-06-01')),
	cardinality(assoc.feature_names('customer_product')), 'customer x product vectors match feature_names');
SELECT is((SELECT DISTINCT array_length(sequence, 2) FROM assoc.period_sequences('SELECT * FROM tl', '2024-06-01')),
	cardinality(assoc.feature_names('period')), 'sequence rows match feature_names(''period'')');
SELECT is((SELECT DISTINCT array_length(sequence, 1) FROM assoc.period_sequences('SELECT * FROM tl', '2024-06-01', periods => 5)),
	5, 'a sequence has one row per period');
SELECT is((assoc.feature_names('customer'))[1:15], assoc.feature_names('customer_agg'),
	'customer_agg is the first part of customer');
SELECT is((SELECT count(*) FROM assoc.customer_features('SELECT * FROM tl', '2024-06-01')
	WHERE features[16:18] <@ ARRAY[1, 2, 3, 4, 5]::float8[]), 25::bigint, 'RFM scores are 1 to 5');

-- as-of correctness: rows at or after as_of change nothing
SELECT results_eq(
	$$SELECT * FROM assoc.customer_features('SELECT * FROM tl', '2024-06-01')$$,
	$$SELECT * FROM assoc.customer_features('SELECT * FROM tl_before', '2024-06-01')$$,
	'customer features ignore rows after as_of');
SELECT results_eq(
	$$SELECT customer_id, assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, '2024-06-01'::timestamp)
		FROM tl GROUP BY 1 ORDER BY 1$$,
	$$SELECT customer_id, assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, '2024-06-01'::timestamp)
		FROM tl_before GROUP BY 1 ORDER BY 1$$,
	'customer_agg ignores rows after as_of');
SELECT results_eq(
	$$SELECT * FROM assoc.product_features('SELECT * FROM tl', '2024-06-01')$$,
	$$SELECT * FROM assoc.product_features('SELECT * FROM tl_before', '2024-06-01')$$,
	'product features ignore rows after as_of');
SELECT results_eq(
	$$SELECT * FROM assoc.customer_product_features('SELECT * FROM tl', '2024-06-01', min_support => 0.05)$$,
	$$SELECT * FROM assoc.customer_product_features('SELECT * FROM tl_before', '2024-06-01', min_support => 0.05)$$,
	'customer x product features (and their rules) ignore rows after as_of');
SELECT results_eq(
	$$SELECT customer_id, item_id, sequence FROM assoc.period_sequences('SELECT * FROM tl', '2024-06-01')$$,
	$$SELECT customer_id, item_id, sequence FROM assoc.period_sequences('SELECT * FROM tl_before', '2024-06-01')$$,
	'sequences ignore rows after as_of');
SELECT isnt_empty($$SELECT 1 FROM tl WHERE ts >= '2024-06-01'$$, 'there are rows after as_of to ignore');

-- parallel plans aggregate partially
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
CREATE FUNCTION pg_temp.plan_of(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	line text;
	plan text := '';
BEGIN
	FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || q LOOP
		plan := plan || line || E'\n';
	END LOOP;
	RETURN plan;
END $$;
-- (temporary tables are not scanned in parallel: a plain table, rolled back at the end)
CREATE TABLE features_tap_lines AS SELECT * FROM tl;
ANALYZE features_tap_lines;
CREATE TEMP TABLE plan_lines AS
SELECT pg_temp.plan_of($$SELECT customer_id % 3, assoc.customer_agg(order_id, item_id, ts, quantity, unit_price,
	'2024-06-01'::timestamp) FROM features_tap_lines GROUP BY 1$$) AS plan;
SELECT ok((SELECT plan ~ 'Partial' FROM plan_lines), 'customer_agg runs as a partial aggregate in parallel plans');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- scalers are models of kind scaler in the common envelope
CREATE TEMP TABLE sc AS SELECT assoc.scaler_fit(features) AS m
FROM assoc.customer_features('SELECT * FROM tl', '2024-06-01');
SELECT is((SELECT assoc.model_info(m) ->> 'kind' FROM sc), 'scaler', 'a fitted scaler is a scaler model');
SELECT is((SELECT (assoc.model_info(m) ->> 'dim1')::int FROM sc), 18, 'its dimension is the vector length');
SELECT is((SELECT count(*) FROM assoc.customer_features('SELECT * FROM tl', '2024-06-01'), sc
	WHERE array_position(assoc.scale(m, features), NULL) IS NOT NULL), 0::bigint, 'scaled vectors have no missing value');
SELECT is((SELECT round(avg(v)::numeric, 9) FROM assoc.customer_features('SELECT * FROM tl', '2024-06-01'), sc,
	unnest(assoc.scale(m, features)) WITH ORDINALITY u(v, i) WHERE i = 3), 0.000000000, 'a standard-scaled column has mean 0');

-- splits
SELECT results_eq($$SELECT assoc.train_test_split(g, 0.3, 9) FROM generate_series(1, 100) g$$,
	$$SELECT assoc.train_test_split(g::text, 0.3, 9) FROM generate_series(1, 100) g$$,
	'an integer key splits as its decimal text');
SELECT is((SELECT count(*) FROM assoc.time_split('SELECT customer_id, order_id, ts FROM tl') WHERE split = 'test'),
	(SELECT count(*) FROM (SELECT customer_id FROM tl GROUP BY 1 HAVING count(DISTINCT order_id) >= 2) c),
	'one test order for each customer with two or more orders');

-- errors
SELECT throws_ok($$SELECT assoc.feature_names('x')$$, '22023', 'unknown feature set "x"', 'unknown feature set');
SELECT throws_ok($$SELECT assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, NULL::timestamp) FROM tl$$,
	'22004', 'as_of must not be null', 'NULL as_of');
SELECT throws_ok($$SELECT * FROM assoc.customer_features('SELECT customer_id FROM tl', '2024-06-01')$$,
	'42804', NULL, 'a source query of the wrong shape');
SELECT throws_ok($$SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts::text, quantity, unit_price FROM tl', '2024-06-01')$$,
	'42804', NULL, 'a time column that is not a timestamp');
SELECT throws_ok($$SELECT * FROM assoc.period_sequences('SELECT * FROM tl', '2024-06-01', period => '1 month')$$,
	'22023', 'period must be a positive interval of fixed length', 'a period of months');
SELECT throws_ok($$SELECT assoc.scale(m, '{1,2}') FROM sc$$, '2202E', NULL, 'a vector of another length');
SELECT throws_ok($$SELECT assoc.scale('\x00'::bytea, '{1,2}')$$, '22023', NULL, 'a bytea that is not a model');

SELECT * FROM finish();
ROLLBACK;
