-- Bad input: every case ends in a clear ERROR with its SQLSTATE and, where it
-- helps, a hint; never a crash or a silent wrong answer.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

-- run a statement; show its SQLSTATE, message and hint (or ok)
CREATE FUNCTION pg_temp.try(q text, OUT code text, OUT message text, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	code := 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS code = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
END $$;

CREATE TABLE el (customer_id int, order_id text, item_id text, ts timestamp, quantity int, unit_price float8, event text);
INSERT INTO el VALUES
	(1, 'A', 'x', '2024-01-01', 2, 1.5, 'purchase'),
	(1, 'B', 'y', '2024-01-05', 1, 3.0, 'purchase'),
	(2, 'C', 'x', '2024-01-03', 1, 1.5, 'purchase');

-- feature sets
SELECT * FROM pg_temp.try($$SELECT assoc.feature_names('customers')$$);
SELECT assoc.feature_names(NULL) IS NULL AS null_in_null_out;

-- the aggregates
SELECT * FROM pg_temp.try($$SELECT assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, NULL::timestamp) FROM el$$);
SELECT * FROM pg_temp.try($$SELECT assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, ts + interval '1 day') FROM el$$);
SELECT * FROM pg_temp.try($$SELECT assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, 'infinity'::timestamp) FROM el$$);
SELECT * FROM pg_temp.try($$SELECT assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, '2024-02-01'::timestamp, 'buy') FROM el$$);
SELECT * FROM pg_temp.try($$SELECT assoc.customer_agg(order_id, item_id, ts, 'NaN', unit_price, '2024-02-01'::timestamp) FROM el$$);
SELECT * FROM pg_temp.try($$SELECT assoc.customer_agg(order_id, item_id, ts, quantity, 'Infinity', '2024-02-01'::timestamp) FROM el$$);
SELECT * FROM pg_temp.try($$SELECT assoc.customer_agg(order_id, item_id, '-infinity'::timestamp, quantity, unit_price, '2024-02-01'::timestamp) FROM el$$);
SELECT * FROM pg_temp.try($$SELECT assoc.customer_agg(order_id, item_id, ts::text, quantity, unit_price, '2024-02-01') FROM el$$);
SELECT * FROM pg_temp.try($$SELECT assoc.product_agg(customer_id, order_id, ts, quantity, unit_price, NULL::timestamp) FROM el$$);
SELECT * FROM pg_temp.try($$SELECT assoc.product_agg(customer_id, order_id, ts, quantity, unit_price, ts + interval '2 days') FROM el$$);
-- a row that is its own as-of time has nothing before it
SELECT assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, ts) IS NULL AS nothing_before FROM el;
-- rows that are skipped or ignored are not errors: NULL time, a time after as_of,
-- zero quantity, zero or negative price
SELECT assoc.customer_agg(o, i, t, q, p, '2024-02-01'::timestamp)
FROM (VALUES ('A', 'x', NULL::timestamp, 1, 1.0), ('B', 'x', '2024-03-01', 1, 1.0),
	('C', 'x', '2024-01-01', 0, 1.0), ('D', 'y', '2024-01-02', 1, 0.0), ('E', 'z', '2024-01-03', 2, -1.0)) v(o, i, t, q, p);

-- the source-query functions
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features(NULL, '2024-02-01')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('SELECT customer_id FROM el', NULL)$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity FROM el', '2024-02-01')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts::text, quantity, unit_price FROM el', '2024-02-01')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity::text, unit_price FROM el', '2024-02-01')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.product_features('SELECT customer_id, order_id, item_id, ts, quantity, true FROM el', '2024-02-01')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, ''order'' FROM el', '2024-02-01')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ''infinity''::timestamp, quantity, unit_price FROM el', '2024-02-01')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, ''NaN''::float8, unit_price FROM el', '2024-02-01')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('DELETE FROM el RETURNING customer_id, order_id, item_id, ts, quantity, unit_price', '2024-02-01')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('SELECT 1; SELECT 2', '2024-02-01')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('SELECT * FROM no_such_table', '2024-02-01')$$);
SELECT count(*) AS lines_left FROM el;
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price FROM el', 'infinity')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_product_features('SELECT * FROM el', '2024-02-01', recent_orders => 0)$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_product_features('SELECT * FROM el', '2024-02-01', min_support => 0)$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_product_features('SELECT * FROM el', '2024-02-01', min_confidence => 1.5)$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_product_features('SELECT * FROM el', '2024-02-01', max_len => 0)$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_product_features('SELECT * FROM el', '2024-02-01', recent_orders => NULL)$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.period_sequences('SELECT * FROM el', '2024-02-01', periods => 0)$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.period_sequences('SELECT * FROM el', '2024-02-01', periods => 5000)$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.period_sequences('SELECT * FROM el', '2024-02-01', period => '1 month')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.period_sequences('SELECT * FROM el', '2024-02-01', period => '-7 days')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.period_sequences('SELECT * FROM el', '294276-12-01', period => '1000 days')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.time_split('SELECT customer_id, order_id FROM el')$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.time_split('SELECT customer_id, order_id, 42 FROM el')$$);

-- memory bound: a state or a call that outgrows assoc.mining_mem ends in an ERROR
CREATE TABLE big AS SELECT 1 AS customer_id, 'o' || g AS order_id, 'i' || (g % 5000) AS item_id,
	timestamp '2024-01-01' + g * interval '1 minute' AS ts, 1 AS quantity, 1.0::float8 AS unit_price
FROM generate_series(1, 40000) g;
SET assoc.mining_mem = '256kB';
SET max_parallel_workers_per_gather = 0;
SELECT * FROM pg_temp.try($$SELECT assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, '2024-06-01'::timestamp) FROM big$$);
SELECT * FROM pg_temp.try($$SELECT assoc.product_agg(item_id, order_id, ts, quantity, unit_price, '2024-06-01'::timestamp) FROM big$$);
SELECT * FROM pg_temp.try($$SELECT * FROM assoc.customer_features('SELECT * FROM big', '2024-06-01')$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scaler_fit(ARRAY[g, g]::float8[], '{"clip_lower": 0.01}') FROM generate_series(1, 40000) g$$);
RESET assoc.mining_mem;
RESET max_parallel_workers_per_gather;
SELECT count(*) AS customers FROM assoc.customer_features('SELECT * FROM big', '2024-06-01');

-- scalers
SELECT * FROM pg_temp.try($$SELECT assoc.scaler_fit(v, '{"method": "robust"}') FROM (VALUES ('{1,2}'::float8[])) t(v)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scaler_fit(v, '{"scale": true}') FROM (VALUES ('{1,2}'::float8[])) t(v)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scaler_fit(v, '{"clip_lower": 0.9, "clip_upper": 0.1}') FROM (VALUES ('{1,2}'::float8[])) t(v)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scaler_fit(v, '{"clip_lower": 2}') FROM (VALUES ('{1,2}'::float8[])) t(v)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scaler_fit(v, '[1]') FROM (VALUES ('{1,2}'::float8[])) t(v)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scaler_fit(v) FROM (VALUES ('{1,2}'::float8[]), ('{1,2,3}')) t(v)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scaler_fit(v) FROM (VALUES ('{}'::float8[])) t(v)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scaler_fit(v) FROM (VALUES ('{1,NaN}'::float8[])) t(v)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scaler_fit(v) FROM (VALUES ('{{1,2},{3,4}}'::float8[])) t(v)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scaler_fit(v, o) FROM (VALUES ('{1}'::float8[], '{}'::jsonb), ('{2}', '{"method": "minmax"}')) t(v, o)$$);
CREATE TABLE sc AS SELECT assoc.scaler_fit(v) AS m FROM (VALUES ('{1,2}'::float8[]), ('{3,5}')) t(v);
SELECT * FROM pg_temp.try($$SELECT assoc.scale(m, '{1,2,3}') FROM sc$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scale(m, '{1,Infinity}') FROM sc$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scale('\x0102'::bytea, '{1,2}')$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scale(set_byte(m, 60, get_byte(m, 60) # 1), '{1,2}') FROM sc$$);
SELECT * FROM pg_temp.try($$SELECT assoc.scale(substr(m, 1, 40), '{1,2}') FROM sc$$);
SELECT assoc.scale(m, '{1,NULL}') AS missing_is_filled FROM sc;

-- hashing and the split
SELECT * FROM pg_temp.try($$SELECT assoc.hash_features(ARRAY['a'], 0)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.hash_features(ARRAY['a'], 2000000)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.hash_features(ARRAY['a', 'b'], ARRAY[1.0], 8)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.hash_features(ARRAY['a'], ARRAY['NaN']::float8[], 8)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.train_test_split('k', 1.5)$$);
SELECT * FROM pg_temp.try($$SELECT assoc.train_test_split('k', 'NaN')$$);
SELECT assoc.train_test_split('k', 0) AS all_train, assoc.train_test_split('k', 1) AS all_test,
	assoc.train_test_split(NULL::text) IS NULL AS null_in_null_out;

DROP TABLE el, big, sc;
