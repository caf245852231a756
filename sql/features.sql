-- Feature extraction on a small hand-computed example: the values in the
-- comments were worked out by hand from the lines below (as_of 2024-02-01).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';

CREATE TABLE shop (customer_id text, order_id text, item_id text, ts timestamp,
	quantity int, unit_price numeric, event text);
INSERT INTO shop VALUES
	-- alice: three orders, a return, a browse session, an order after as_of
	('alice', 'A1', 'milk',  '2024-01-01 10:00', 2, 1.50, 'purchase'),
	('alice', 'A1', 'bread', '2024-01-01 10:00', 1, 2.00, 'purchase'),
	('alice', 'A2', 'milk',  '2024-01-11 10:00', 1, 1.50, 'purchase'),
	('alice', 'A2', 'eggs',  '2024-01-11 10:00', 12, 0.25, 'purchase'),
	('alice', 'R1', 'milk',  '2024-01-12 09:00', -1, 1.50, 'purchase'),
	('alice', 'S1', 'milk',  '2024-01-30 18:00', NULL, NULL, 'view'),
	('alice', 'S1', 'jam',   '2024-01-30 18:05', NULL, NULL, 'view'),
	('alice', 'S1', 'jam',   '2024-01-30 18:06', NULL, NULL, 'cart'),
	('alice', 'A3', 'bread', '2024-01-31 10:00', 2, 2.00, 'purchase'),
	('alice', 'A4', 'milk',  '2024-02-05 10:00', 1, 1.50, 'purchase'),
	-- bob: one order
	('bob',   'B1', 'jam',   '2024-01-20 12:00', 1, 3.00, 'purchase'),
	('bob',   'B1', 'milk',  '2024-01-20 12:00', 1, 1.50, 'purchase'),
	-- carol: a return before as_of, an order after it
	('carol', 'C1', 'bread', '2024-01-15 08:00', -1, 2.00, 'purchase'),
	('carol', 'C2', 'bread', '2024-02-02 08:00', 1, 2.00, 'purchase'),
	-- dave: nothing before as_of
	('dave',  'D1', 'eggs',  '2024-02-10 08:00', 6, 0.25, 'purchase'),
	-- eve: browsing only
	('eve',   'S2', 'jam',   '2024-01-25 20:00', NULL, NULL, 'view'),
	-- skipped: no customer, no time, a purchase without a quantity
	(NULL,    'X1', 'milk',  '2024-01-05 10:00', 1, 1.50, 'purchase'),
	('bob',   'X2', 'milk',  NULL,               1, 1.50, 'purchase'),
	('bob',   'X3', 'milk',  '2024-01-05 10:00', NULL, 1.50, 'purchase');

SELECT assoc.feature_names('customer_agg');

-- alice: recency 14 h = 0.5833 d, 3 orders, net 5 + 4.5 - 1.5 + 4 = 12,
-- order value (5 + 4.5 + 4) / 3 = 4.5, lines 5/3, units (3 + 13 + 2) / 3 = 6,
-- 3 items, tenure 30 d 14 h, gaps 10 and 20 days: mean 15, sd 5,
-- returns 1 of 6 lines, 1 session, 2 views, 1 cart addition, 1 of 2 viewed items bought.
-- bob: one order 11.5 days ago.  carol: only a return.  eve: only a view.
-- dave has no line before as_of: NULL.
SELECT customer_id, (SELECT array_agg(round(x::numeric, 4)) FROM unnest(f) x) AS features
FROM (SELECT customer_id,
		assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, '2024-02-01'::timestamp, event) AS f
	FROM shop WHERE customer_id IS NOT NULL GROUP BY customer_id) s
ORDER BY customer_id;

-- the same from a source query, with RFM scores (alice and bob have orders:
-- alice scores 5 5 5, bob 1 1 1; the others have none)
SELECT customer_id, (SELECT array_agg(round(x::numeric, 4)) FROM unnest(features) x) AS features
FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM shop',
	as_of => '2024-02-01');

-- named elements
SELECT n.name, round(f.v::numeric, 4) AS value
FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM shop',
	'2024-02-01') c,
	unnest(assoc.feature_names('customer'), c.features) WITH ORDINALITY AS n(name, v, i)
	JOIN LATERAL (SELECT n.v) f ON true
WHERE c.customer_id = 'alice' ORDER BY n.i;

-- without the event column every line is a purchase (the views are not read)
SELECT customer_id, (SELECT array_agg(round(x::numeric, 4)) FROM unnest(f) x) AS features
FROM (SELECT customer_id,
		assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, '2024-02-01'::timestamp) AS f
	FROM shop WHERE event = 'purchase' GROUP BY customer_id) s
ORDER BY customer_id;

-- products: milk is in 3 baskets (A1, A2, B1) of 2 buyers, 4 units, revenue
-- 3 + 1.5 - 1.5 + 1.5 = 4.5, price 1.5, alice bought it twice: repeat rate 1/2,
-- last sold 11.5 days and first sold 30.58 days before as_of.
SELECT assoc.feature_names('product');
SELECT item_id, (SELECT array_agg(round(x::numeric, 4)) FROM unnest(f) x) AS features
FROM (SELECT item_id, assoc.product_agg(customer_id, order_id, ts, quantity, unit_price, '2024-02-01'::timestamp) AS f
	FROM shop WHERE event = 'purchase' GROUP BY item_id) s
ORDER BY item_id;
SELECT item_id, (SELECT array_agg(round(x::numeric, 4)) FROM unnest(features) x) AS features
FROM assoc.product_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM shop', '2024-02-01');

-- customer x product.  Baskets before as_of: A1 {bread, milk}, A2 {eggs, milk},
-- A3 {bread}, B1 {jam, milk}.  With support >= 1/4 and confidence >= 1/2 the rules
-- into one item are bread => milk (0.5, lift 2/3), eggs => milk and jam => milk
-- (1, lift 4/3).  alice's last order {bread} fires bread => milk; her last two
-- orders also fire eggs => milk.
SELECT assoc.feature_names('customer_product');
SELECT * FROM assoc.rules('SELECT order_id, item_id FROM shop WHERE event = ''purchase'' AND quantity > 0
		AND ts < ''2024-02-01'' AND customer_id IS NOT NULL',
	0.25, 0.5) ORDER BY antecedent, consequent;
SELECT customer_id, item_id, (SELECT array_agg(round(x::numeric, 4)) FROM unnest(features) x) AS features
FROM assoc.customer_product_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM shop',
	'2024-02-01', recent_orders => 1, min_support => 0.25, min_confidence => 0.5);
SELECT customer_id, item_id, (SELECT array_agg(round(x::numeric, 4)) FROM unnest(features) x) AS features
FROM assoc.customer_product_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM shop',
	'2024-02-01', recent_orders => 2, min_support => 0.25, min_confidence => 0.5)
WHERE item_id = 'milk';

-- per-period sequences: 3 weeks before as_of, [01-11, 01-18), [01-18, 01-25),
-- [01-25, 02-01).  alice bought milk in A2 (week 1) and viewed it in week 3;
-- A4 (02-05) holds milk, so her milk label is true.
SELECT assoc.feature_names('period');
SELECT customer_id, item_id, sequence, label
FROM assoc.period_sequences('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM shop',
	'2024-02-01', periods => 3, period => '7 days');

-- time split: the last order of each customer with two or more orders is test
SELECT * FROM assoc.time_split('SELECT customer_id, order_id, ts FROM shop WHERE event = ''purchase''');
SELECT * FROM assoc.time_split('SELECT customer_id, order_id, ts FROM shop WHERE event = ''purchase''',
	cutoff => '2024-01-20');

-- as-of correctness on the example: the rows at or after as_of change nothing
SELECT count(*) AS changed FROM (
	(SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM shop', '2024-02-01')
	 EXCEPT
	 SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM shop WHERE ts < ''2024-02-01''', '2024-02-01'))
	UNION ALL
	(SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM shop WHERE ts < ''2024-02-01''', '2024-02-01')
	 EXCEPT
	 SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price, event FROM shop', '2024-02-01'))) d;

-- integer and timestamptz columns, date columns
SELECT customer_id, features[1:3]
FROM assoc.customer_features('SELECT ascii(customer_id), order_id, item_id, ts::timestamptz, quantity::float8, unit_price::float4, event FROM shop',
	'2024-02-01 00:00+00');
SELECT customer_id, features[1:3]
FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts::date, quantity, unit_price, event FROM shop',
	'2024-02-01');
SELECT customer_id, assoc.customer_agg(order_id, item_id, ts::timestamptz, quantity, unit_price, '2024-02-01 00:00+00'::timestamptz)
FROM shop WHERE customer_id = 'bob' GROUP BY 1;

-- empty input: NULL from the aggregates, no rows from the functions
SELECT assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, '2024-02-01'::timestamp) FROM shop WHERE false;
SELECT assoc.product_agg(customer_id, order_id, ts, quantity, unit_price, '2024-02-01'::timestamp) FROM shop WHERE false;
SELECT count(*) FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price FROM shop WHERE false', '2024-02-01');
SELECT count(*) FROM assoc.customer_product_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price FROM shop WHERE false', '2024-02-01');
SELECT count(*) FROM assoc.period_sequences('SELECT customer_id, order_id, item_id, ts, quantity, unit_price FROM shop WHERE false', '2024-02-01');
SELECT count(*) FROM assoc.time_split('SELECT customer_id, order_id, ts FROM shop WHERE false');

-- scalers: standard (population standard deviation), min-max, clipping at quantiles;
-- a missing element is filled with the column mean
CREATE TABLE vecs (v float8[]);
INSERT INTO vecs VALUES ('{1,10}'), ('{2,20}'), ('{3,NULL}'), ('{4,40}');
CREATE TABLE scalers AS
SELECT 'standard' AS name, assoc.scaler_fit(v) AS m FROM vecs
UNION ALL SELECT 'minmax', assoc.scaler_fit(v, '{"method": "minmax"}') FROM vecs
UNION ALL SELECT 'clip', assoc.scaler_fit(v, '{"method": "none", "clip_lower": 0.25, "clip_upper": 0.75}') FROM vecs;
SELECT name, v, (SELECT array_agg(round(x::numeric, 4)) FROM unnest(assoc.scale(m, v)) x) AS scaled
FROM scalers, vecs ORDER BY name, v[1];
SELECT name, assoc.model_info(m) - 'created_at' - 'bytes' FROM scalers ORDER BY name;
SELECT assoc.scaler_fit(v) FROM vecs WHERE false;

-- feature hashing: 'a' twice and 'b' once into 8 columns, with and without signs
SELECT assoc.hash_features(ARRAY['a', 'b', 'a'], 8);
SELECT assoc.hash_features(ARRAY['a', 'b', 'a'], 8, alternate_sign => false);
SELECT assoc.hash_features(ARRAY['a', 'b', NULL], ARRAY[0.5, 2, 1], width => 8);
SELECT assoc.hash_features('{}'::text[], 4);

-- seeded split: stable, about the asked share, different for another seed
SELECT assoc.train_test_split('alice'), assoc.train_test_split('alice', 0.2, 0),
	assoc.train_test_split(42), assoc.train_test_split('42');
SELECT split, count(*) BETWEEN 1850 AND 2150 AS near_20_percent
FROM (SELECT assoc.train_test_split(g, 0.2) AS split FROM generate_series(1, 10000) g) s
WHERE split = 'test' GROUP BY split;
SELECT count(*) FILTER (WHERE assoc.train_test_split(g, 0.5, 1) <> assoc.train_test_split(g, 0.5, 2)) BETWEEN 400 AND 600
	AS seeds_differ
FROM generate_series(1, 1000) g;

DROP TABLE shop, vecs, scalers;
