-- Every feature against an independent plain-SQL definition
-- (test/oracle/features_oracle.psql) on random order lines with returns, zero
-- and negative prices, browse events, NULLs, exact duplicates and rows after
-- as_of.  Values must agree to 1e-9 relative (1e-9 absolute below 1).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
\getenv abs_srcdir PG_ABS_SRCDIR
\set oracle :abs_srcdir '/test/oracle/features_oracle.psql'
\set ECHO none
\i :oracle
\set ECHO all
RESET client_min_messages;
SET extra_float_digits = 0;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\set as_of '2011-10-01 00:00:00'

-- 700 orders of 60 customers over 2011; items drawn around one of four themes
-- so that rules exist
SELECT setseed(0.25);
CREATE TABLE rnd_orders AS
SELECT g AS n, 'o' || lpad(g::text, 4, '0') AS order_id, 1 + floor(random() * 60)::int AS customer_id,
	timestamp '2011-01-01' + floor(random() * 365 * 86400) * interval '1 second' AS ts,
	floor(random() * 4)::int AS theme
FROM generate_series(1, 700) g;
CREATE TABLE rnd_lines AS
SELECT o.customer_id, o.order_id,
	'i' || lpad((o.theme * 5 + floor(random() * 8))::int::text, 2, '0') AS item_id,
	o.ts + CASE WHEN random() < 0.1 THEN floor(random() * 1800) * interval '1 second' ELSE interval '0' END AS ts,
	(ARRAY[1, 1, 1, 2, 2, 3, 5, 10, 12, -1, -2, 0])[1 + floor(random() * 12)::int] AS quantity,
	(ARRAY[0.55, 1.25, 2.95, 4.5, 0, 12.75, -3.2, 0.85])[1 + floor(random() * 8)::int]::float8 AS unit_price,
	'purchase'::text AS event
FROM rnd_orders o CROSS JOIN LATERAL generate_series(1, 1 + o.n % 7) k;
-- browse sessions: views and cart additions
INSERT INTO rnd_lines
SELECT customer_id, 's' || n, 'i' || lpad(floor(random() * 25)::int::text, 2, '0'),
	ts - interval '1 hour', NULL, NULL, CASE WHEN random() < 0.7 THEN 'view' ELSE 'cart' END
FROM rnd_orders, generate_series(1, 3) WHERE n % 3 = 0;
-- two orders of one customer at the same time (a zero gap)
INSERT INTO rnd_lines
SELECT customer_id, order_id || 'b', item_id, ts, 1, 2.5, 'purchase' FROM rnd_lines WHERE order_id = 'o0007';
-- rows that must be skipped: NULL customer, order, item, time, event; NULL quantity or price of a purchase
INSERT INTO rnd_lines VALUES
	(NULL, 'o9001', 'i01', '2011-05-01', 3, 2.0, 'purchase'),
	(7, NULL, 'i01', '2011-05-01', 3, 2.0, 'purchase'),
	(7, 'o9002', NULL, '2011-05-01', 3, 2.0, 'purchase'),
	(7, 'o9003', 'i01', NULL, 3, 2.0, 'purchase'),
	(7, 'o9004', 'i01', '2011-05-01', 3, 2.0, NULL),
	(7, 'o9005', 'i01', '2011-05-01', NULL, 2.0, 'purchase'),
	(7, 'o9006', 'i01', '2011-05-01', 3, NULL, 'purchase');
-- exact duplicates
INSERT INTO rnd_lines SELECT * FROM rnd_lines WHERE random() < 0.02;
CREATE VIEW rnd_purchases AS SELECT * FROM rnd_lines WHERE event = 'purchase';
SELECT count(*) AS lines, count(DISTINCT customer_id) AS customers, count(DISTINCT order_id) AS orders,
	count(*) FILTER (WHERE ts >= :'as_of') AS after_as_of, count(*) FILTER (WHERE quantity < 0) AS returns,
	count(*) FILTER (WHERE event <> 'purchase') AS browse
FROM rnd_lines;

-- customer_agg (aggregate, with events) against the oracle's first 15 values
CREATE TEMP TABLE c_agg AS
SELECT customer_id::text AS k, assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, :'as_of'::timestamp, event) AS f
FROM rnd_lines WHERE customer_id IS NOT NULL GROUP BY 1;
DELETE FROM c_agg WHERE f IS NULL;			-- customers with no line before as_of
CREATE TEMP TABLE c_oracle AS SELECT customer_id AS k, features AS f FROM feature_oracle.customer('rnd_lines', :'as_of');
CREATE TEMP TABLE c_oracle15 AS SELECT k, f[1:15] AS f FROM c_oracle;
SELECT * FROM feature_oracle.compare('c_agg', 'c_oracle15');

-- customer_features (source query, RFM scores) against the oracle's 18 values
CREATE TEMP TABLE c_srf AS
SELECT customer_id AS k, features AS f
FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_lines', :'as_of');
SELECT * FROM feature_oracle.compare('c_srf', 'c_oracle');
-- the scores are spread over 1..5 and the three of them differ
SELECT f[16] AS recency_score, count(*) FROM c_srf GROUP BY 1 ORDER BY 1;
SELECT count(DISTINCT f[16:18]) AS distinct_rfm FROM c_srf;

-- without the event column every line is a purchase
CREATE TEMP TABLE c_srf6 AS
SELECT customer_id AS k, features AS f
FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price FROM rnd_purchases', :'as_of');
CREATE TEMP TABLE c_oracle6 AS SELECT customer_id AS k, features AS f FROM feature_oracle.customer('rnd_purchases', :'as_of');
SELECT * FROM feature_oracle.compare('c_srf6', 'c_oracle6');

-- product_agg and product_features against the oracle
CREATE TEMP TABLE p_agg AS
SELECT item_id AS k, assoc.product_agg(customer_id, order_id, ts, quantity, unit_price, :'as_of'::timestamp) AS f
FROM rnd_purchases WHERE item_id IS NOT NULL AND event IS NOT NULL GROUP BY 1;
DELETE FROM p_agg WHERE f IS NULL;
CREATE TEMP TABLE p_oracle AS SELECT item_id AS k, features AS f FROM feature_oracle.product('rnd_lines', :'as_of');
SELECT * FROM feature_oracle.compare('p_agg', 'p_oracle');
CREATE TEMP TABLE p_srf AS
SELECT item_id AS k, features AS f
FROM assoc.product_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_lines', :'as_of');
SELECT * FROM feature_oracle.compare('p_srf', 'p_oracle');

-- customer x product, with rules mined before as_of
CREATE TEMP TABLE cp_srf AS
SELECT customer_id || '/' || item_id AS k, features AS f
FROM assoc.customer_product_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_lines',
	:'as_of', recent_orders => 2, min_support => 0.02, min_confidence => 0.2, max_len => 3);
CREATE TEMP TABLE cp_oracle AS
SELECT customer_id || '/' || item_id AS k, features AS f
FROM feature_oracle.customer_product('rnd_lines', :'as_of', 2, 0.02, 0.2, 3);
SELECT * FROM feature_oracle.compare('cp_srf', 'cp_oracle');
-- the rule feature is exercised: pairs never bought that a rule points to, and bought pairs with a rule
SELECT count(*) FILTER (WHERE f[1] = 0) AS rule_only, count(*) FILTER (WHERE f[1] > 0 AND f[7] > 0) AS bought_and_rule,
	count(*) FILTER (WHERE f[7] = 0) AS history_only
FROM cp_srf;

-- per-period sequences: 8 periods of 14 days
CREATE TEMP TABLE s_srf AS
SELECT customer_id || '/' || item_id AS k, sequence AS f, label
FROM assoc.period_sequences('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_lines',
	:'as_of', periods => 8, period => '14 days');
CREATE TEMP TABLE s_oracle AS
SELECT customer_id || '/' || item_id AS k, sequence AS f, label
FROM feature_oracle.sequences('rnd_lines', :'as_of', 8, '14 days');
SELECT * FROM feature_oracle.compare('s_srf', 's_oracle');
SELECT count(*) AS label_differs FROM s_srf JOIN s_oracle USING (k) WHERE s_srf.label IS DISTINCT FROM s_oracle.label;
SELECT array_dims(f) AS dims, count(*), count(*) FILTER (WHERE label) AS positive FROM s_srf GROUP BY 1;

-- time split: each customer's last order, and a cut-off
CREATE TEMP TABLE t_srf AS
SELECT customer_id || '/' || order_id AS k, split FROM assoc.time_split('SELECT customer_id, order_id, ts FROM rnd_lines');
CREATE TEMP TABLE t_oracle AS
SELECT customer_id || '/' || order_id AS k, split FROM feature_oracle.time_split('rnd_lines', NULL);
SELECT count(*) AS rows, count(*) FILTER (WHERE t_oracle.k IS NULL OR t_srf.k IS NULL OR t_srf.split <> t_oracle.split) AS differ
FROM t_srf FULL JOIN t_oracle USING (k);
SELECT count(*) AS rows, count(*) FILTER (WHERE o.k IS NULL OR s.k IS NULL OR s.split <> o.split) AS differ,
	count(*) FILTER (WHERE s.split = 'test') AS test
FROM (SELECT customer_id || '/' || order_id AS k, split
	FROM assoc.time_split('SELECT customer_id, order_id, ts FROM rnd_lines', '2011-11-01')) s
	FULL JOIN (SELECT customer_id || '/' || order_id AS k, split
	FROM feature_oracle.time_split('rnd_lines', '2011-11-01')) o USING (k);

-- de-duplication: dedup => true equals the oracle over SELECT DISTINCT
CREATE TEMP TABLE rnd_distinct AS SELECT DISTINCT * FROM rnd_lines;
CREATE TEMP TABLE c_dedup AS
SELECT customer_id AS k, features AS f
FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_lines',
	:'as_of', dedup => true);
CREATE TEMP TABLE c_oracle_distinct AS SELECT customer_id AS k, features AS f FROM feature_oracle.customer('rnd_distinct', :'as_of');
SELECT * FROM feature_oracle.compare('c_dedup', 'c_oracle_distinct');
SELECT count(*) AS changed_by_duplicates FROM c_srf JOIN c_dedup USING (k) WHERE c_srf.f IS DISTINCT FROM c_dedup.f;

-- as-of correctness: rows at or after as_of change nothing
CREATE TEMP TABLE rnd_more AS
SELECT * FROM rnd_lines
UNION ALL
SELECT 1 + floor(random() * 70)::int, 'f' || g, 'i' || lpad(floor(random() * 30)::int::text, 2, '0'),
	timestamp :'as_of' + floor(random() * 60 * 86400) * interval '1 second',
	1 + floor(random() * 5)::int, 1.5, CASE WHEN g % 5 = 0 THEN 'view' ELSE 'purchase' END
FROM generate_series(1, 400) g
UNION ALL
SELECT customer_id, order_id, item_id, timestamp :'as_of', quantity, unit_price, event FROM rnd_lines WHERE random() < 0.05;
SELECT count(*) FILTER (WHERE ts >= :'as_of') AS added_after_as_of FROM rnd_more;
SELECT count(*) AS changed FROM c_agg FULL JOIN (
	SELECT customer_id::text AS k, assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, :'as_of'::timestamp, event) AS f
	FROM rnd_more WHERE customer_id IS NOT NULL GROUP BY 1) m USING (k)
WHERE c_agg.f IS DISTINCT FROM m.f;
SELECT count(*) AS changed FROM (
	(SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_more', :'as_of')
	 EXCEPT SELECT k, f FROM c_srf)
	UNION ALL
	(SELECT k, f FROM c_srf
	 EXCEPT SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_more', :'as_of'))) d;
SELECT count(*) AS changed FROM (
	(SELECT * FROM assoc.product_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_more', :'as_of')
	 EXCEPT SELECT k, f FROM p_srf)
	UNION ALL
	(SELECT k, f FROM p_srf
	 EXCEPT SELECT * FROM assoc.product_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_more', :'as_of'))) d;
SELECT count(*) AS changed FROM (
	(SELECT customer_id || '/' || item_id, features FROM assoc.customer_product_features(
		'SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_more',
		:'as_of', recent_orders => 2, min_support => 0.02, min_confidence => 0.2, max_len => 3)
	 EXCEPT SELECT k, f FROM cp_srf)
	UNION ALL
	(SELECT k, f FROM cp_srf
	 EXCEPT SELECT customer_id || '/' || item_id, features FROM assoc.customer_product_features(
		'SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_more',
		:'as_of', recent_orders => 2, min_support => 0.02, min_confidence => 0.2, max_len => 3))) d;
-- sequences: the history never changes; labels read only [as_of, as_of + period)
CREATE TEMP TABLE s_more AS
SELECT customer_id || '/' || item_id AS k, sequence AS f, label
FROM assoc.period_sequences('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM rnd_more',
	:'as_of', periods => 8, period => '14 days');
SELECT count(*) AS sequence_changed FROM s_srf FULL JOIN s_more USING (k) WHERE s_srf.f IS DISTINCT FROM s_more.f;
SELECT count(*) FILTER (WHERE s_srf.label <> s_more.label) AS labels_changed,
	count(*) FILTER (WHERE s_srf.label <> s_more.label AND NOT EXISTS (
		SELECT 1 FROM rnd_more m WHERE m.customer_id || '/' || m.item_id = k AND m.event = 'purchase' AND m.quantity > 0
			AND m.ts >= :'as_of' AND m.ts < timestamp :'as_of' + interval '14 days')) AS unexplained
FROM s_srf JOIN s_more USING (k);
-- the labels agree with the oracle on the extended data too
CREATE TEMP TABLE s_more_oracle AS
SELECT customer_id || '/' || item_id AS k, sequence AS f, label
FROM feature_oracle.sequences('rnd_more', :'as_of', 8, '14 days');
SELECT count(*) AS label_differs FROM s_more JOIN s_more_oracle USING (k) WHERE s_more.label IS DISTINCT FROM s_more_oracle.label;

SET client_min_messages = warning;
DROP SCHEMA feature_oracle CASCADE;
RESET client_min_messages;
DROP VIEW rnd_purchases;
DROP TABLE rnd_lines, rnd_orders;
