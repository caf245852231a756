-- The areas joined on real data, as the Online Retail evaluations do on the full set
-- (test/bench/convnet_online_retail.sh, test/bench/kmeans_online_retail.sql), here on the
-- 5,062 lines of test/data/online_retail_sample.csv (see test/data/README.md):
--   1. features -> models -> evaluation: assoc.period_sequences feeds assoc.train_convnet and
--      assoc.train_logistic; assoc.predict scores both; assoc.classification_metrics evaluates.
--   2. features -> k-means -> mining per segment: assoc.customer_features' RFM scores feed
--      assoc.train_kmeans; assoc.basket_agg ... GROUP BY segment feeds assoc.rules.
-- Every number is checked against an independent computation in plain SQL.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
\getenv abs_srcdir PG_ABS_SRCDIR
SET extra_float_digits = 0;
SET TimeZone = 'UTC';

\set retail_file :abs_srcdir '/test/data/online_retail_sample.csv'
CREATE TABLE integ_raw (invoice text, stock_code text, description text, quantity int,
	invoice_date timestamp, unit_price float8, customer_id int, country text);
COPY integ_raw FROM :'retail_file' WITH (FORMAT csv, HEADER true);
-- sales lines of known customers: no cancellations, returns, free lines or exact repeats
CREATE TABLE integ_lines AS
SELECT DISTINCT customer_id, invoice, stock_code, description, invoice_date, quantity, unit_price
FROM integ_raw
WHERE customer_id IS NOT NULL AND invoice NOT LIKE 'C%' AND quantity > 0 AND unit_price > 0;
SELECT count(*) AS sales_lines, count(DISTINCT customer_id) AS customers FROM integ_lines;

------------------------------------------------------------------------------------------
-- 1. per-period sequences -> convnet and logistic regression -> metrics
------------------------------------------------------------------------------------------
-- one origin a week (Mondays); the sequences of an origin are the 12 weeks before it, the
-- label a purchase in the week from it; origins before 2011-10-31 train, the later ones test
CREATE TABLE integ_seq AS
SELECT a.as_of, p.customer_id, p.item_id, p.label, a.as_of >= '2011-10-31' AS test,
	   p.sequence[1:12][1:6] AS seq,                                 -- the purchase columns
	   ARRAY(SELECT ln(1 + v) FROM unnest(p.sequence[1:12][1:6]) v) AS x   -- flat, logged
FROM generate_series(timestamp '2011-06-06', '2011-11-28', '7 days') a(as_of),
	 LATERAL assoc.period_sequences('SELECT customer_id, invoice, stock_code, invoice_date, quantity, unit_price
									FROM integ_lines', a.as_of, 12, '7 days') p;
SELECT test, count(*) AS examples, count(*) FILTER (WHERE label) AS positives,
	   array_dims(min(seq)) AS seq_shape, array_dims(min(x)) AS x_shape
FROM integ_seq GROUP BY test ORDER BY test;

-- the label is a purchase of the pair in the week from as_of, by plain SQL
SELECT count(*) FILTER (WHERE s.label <> EXISTS (
		   SELECT FROM integ_lines l
		   WHERE l.customer_id::text = s.customer_id AND l.stock_code = s.item_id
			 AND l.invoice_date >= s.as_of AND l.invoice_date < s.as_of + interval '7 days')) AS label_mismatches
FROM integ_seq s;

-- assoc.train_logistic wants one-dimensional vectors: the 2-D sequences must be flattened
SELECT assoc.train_logistic(seq, label) FROM integ_seq WHERE NOT test;

-- the convnet reads the 2-D sequences as they come, or the same values flat with "steps";
-- the logistic model reads the flat (logged) values
CREATE TABLE integ_models AS
SELECT assoc.train_convnet(seq, label, '{"epochs": 2, "seed": 5, "layers": [{"type": "conv1d", "filters": 8, "kernel": 3},
		   {"type": "flatten"}, {"type": "dense", "units": 1}]}') FILTER (WHERE NOT test) AS cnn_2d,
	   assoc.train_convnet(ARRAY(SELECT unnest(seq)), label, '{"epochs": 2, "seed": 5, "steps": 12, "layers": [{"type": "conv1d",
		   "filters": 8, "kernel": 3}, {"type": "flatten"}, {"type": "dense", "units": 1}]}') FILTER (WHERE NOT test) AS cnn_flat,
	   assoc.train_convnet(x, label, '{"epochs": 4, "seed": 5, "steps": 12}') FILTER (WHERE NOT test) AS cnn,
	   assoc.train_logistic(x, label) FILTER (WHERE NOT test) AS logistic
FROM integ_seq;
SELECT assoc.model_info(cnn_2d)->'info'->'input' AS cnn_input,
	   assoc.model_info(cnn_2d) - 'created_at' = assoc.model_info(cnn_flat) - 'created_at' AS same_model_info,
	   (SELECT bool_and(assoc.predict(cnn_2d, seq) = assoc.predict(cnn_flat, ARRAY(SELECT unnest(seq))))
		FROM integ_seq WHERE test) AS same_scores,
	   assoc.model_info(logistic)->'info'->>'converged' AS logistic_converged,
	   assoc.model_info(logistic)->'training_rows' AS logistic_rows
FROM integ_models;

CREATE TABLE integ_scores AS
SELECT s.label, assoc.predict(m.cnn, s.x) AS cnn, assoc.predict(m.logistic, s.x) AS logistic,
	   (SELECT count(*) FROM generate_subscripts(s.seq, 1) k WHERE s.seq[k][2] > 0)::float8 AS frequency
FROM integ_seq s, integ_models m
WHERE s.test;

-- assoc.classification_metrics against plain SQL: AUC from every (positive, negative) pair,
-- precision, recall and F1 at the threshold from counts
CREATE FUNCTION pg_temp.metrics_by_hand(col text, threshold float8) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE auc float8; tp float8; fp float8; fn float8;
BEGIN
	EXECUTE format('SELECT avg(CASE WHEN p.%1$I > n.%1$I THEN 1 WHEN p.%1$I = n.%1$I THEN 0.5 ELSE 0 END)
					FROM integ_scores p JOIN integ_scores n ON p.label AND NOT n.label', col) INTO auc;
	EXECUTE format('SELECT count(*) FILTER (WHERE label AND %1$I >= $1), count(*) FILTER (WHERE NOT label AND %1$I >= $1),
						   count(*) FILTER (WHERE label AND %1$I < $1) FROM integ_scores', col)
		INTO tp, fp, fn USING threshold;
	RETURN jsonb_build_object('auc', auc, 'precision', tp / (tp + fp), 'recall', tp / (tp + fn),
							  'f1', 2 * tp / (2 * tp + fp + fn));
END $$;
CREATE TABLE integ_metrics AS
SELECT 'cnn' AS model, 0.05::float8 AS threshold, assoc.classification_metrics(cnn, label, 0.05) AS m FROM integ_scores
UNION ALL
SELECT 'logistic', 0.05, assoc.classification_metrics(logistic, label, 0.05) FROM integ_scores
UNION ALL
SELECT 'frequency', 2, assoc.classification_metrics(frequency, label, 2) FROM integ_scores;
SELECT model, (m->>'n')::int AS n,
	   (SELECT bool_and(abs((m->>k)::float8 - (h->>k)::float8) < 1e-12)
		FROM unnest(ARRAY['auc', 'precision', 'recall', 'f1']) k,
			 LATERAL (SELECT pg_temp.metrics_by_hand(model, threshold)) AS b(h)) AS agrees_with_plain_sql,
	   round((m->>'auc')::numeric, 2) AS auc,
	   m->'log_loss' IS NOT NULL AS has_log_loss
FROM integ_metrics ORDER BY model;
-- (77 customers are too few to learn this task: the AUCs are near chance; the full data is
-- evaluated by test/bench/convnet_online_retail.sh)

------------------------------------------------------------------------------------------
-- 2. customer features -> k-means on the RFM scores -> rules per segment
------------------------------------------------------------------------------------------
CREATE TABLE integ_customers AS
SELECT customer_id, features
FROM assoc.customer_features('SELECT customer_id, invoice, stock_code, invoice_date, quantity, unit_price
							  FROM integ_raw WHERE customer_id IS NOT NULL', '2011-12-10', dedup => true);
-- (a customer without a purchase order would have NULL scores, which k-means refuses: the
-- filter on features[16] keeps them out; every customer of the sample has bought)
SELECT count(*) AS customers, count(features[16]) AS with_rfm_scores FROM integ_customers;

CREATE TABLE integ_segments AS
SELECT assoc.train_kmeans(features[16:18], 3, '{"seed": 1, "n_init": 10}') AS model
FROM integ_customers WHERE features[16] IS NOT NULL;
CREATE TABLE integ_customer_segment AS
SELECT c.customer_id, assoc.predict_cluster(s.model, c.features[16:18]) AS segment, c.features
FROM integ_customers c, integ_segments s WHERE c.features[16] IS NOT NULL;
-- each customer is in the segment of the nearest centroid (brute force over
-- assoc.cluster_centroids; lowest number on a tie), and the model's sizes are those counts
SELECT count(*) FILTER (WHERE c.segment <> (
		   SELECT z.cluster FROM assoc.cluster_centroids(s.model) z
		   ORDER BY (c.features[16] - z.centroid[1]) ^ 2 + (c.features[17] - z.centroid[2]) ^ 2
					+ (c.features[18] - z.centroid[3]) ^ 2, z.cluster LIMIT 1)) AS not_nearest
FROM integ_customer_segment c, integ_segments s;
SELECT (SELECT array_agg(size ORDER BY cluster) FROM integ_segments, assoc.cluster_centroids(model))
	   = (SELECT array_agg(n ORDER BY segment) FROM (SELECT segment, count(*) AS n FROM integ_customer_segment GROUP BY 1) x)
		   AS sizes_agree;
SELECT segment, count(*) AS customers,
	   round(avg(features[1])::numeric, 0) AS mean_recency_days, round(avg(features[2])::numeric, 1) AS mean_orders,
	   round(avg(features[3])::numeric, 0) AS mean_net_spend,
	   round(avg(features[16])::numeric, 1) AS r, round(avg(features[17])::numeric, 1) AS f,
	   round(avg(features[18])::numeric, 1) AS m
FROM integ_customer_segment GROUP BY segment ORDER BY segment;

-- rules per segment: assoc.basket_agg ... GROUP BY segment, then assoc.rules, against every
-- pair rule enumerated in plain SQL (count >= ceil(0.05 * baskets), confidence >= 0.5)
CREATE TABLE integ_rules AS
SELECT s.segment, r.antecedent, r.consequent, r.count, r.support, r.confidence, r.lift
FROM (SELECT c.segment, assoc.basket_agg(l.invoice, l.stock_code) AS baskets
	  FROM integ_lines l JOIN integ_customer_segment c ON c.customer_id = l.customer_id::text
	  GROUP BY c.segment) s,
	 LATERAL assoc.rules(s.baskets, 0.05, 0.5, max_len => 2) r;
CREATE TABLE integ_rules_sql AS
WITH b AS (
	SELECT DISTINCT c.segment, l.invoice, l.stock_code AS item
	FROM integ_lines l JOIN integ_customer_segment c ON c.customer_id = l.customer_id::text
), n AS (SELECT segment, count(DISTINCT invoice) AS baskets FROM b GROUP BY segment),
   i AS (SELECT segment, item, count(*) AS cnt FROM b GROUP BY segment, item),
   p AS (SELECT x.segment, x.item AS a, y.item AS c, count(*) AS cnt
		 FROM b x JOIN b y ON x.segment = y.segment AND x.invoice = y.invoice AND x.item <> y.item
		 GROUP BY x.segment, x.item, y.item)
SELECT p.segment, ARRAY[p.a] AS antecedent, ARRAY[p.c] AS consequent, p.cnt AS count,
	   p.cnt::float8 / n.baskets AS support, p.cnt::float8 / ia.cnt AS confidence,
	   p.cnt::float8 * n.baskets / (ia.cnt * ic.cnt) AS lift
FROM p JOIN n USING (segment)
JOIN i ia ON ia.segment = p.segment AND ia.item = p.a
JOIN i ic ON ic.segment = p.segment AND ic.item = p.c
WHERE p.cnt >= ceil(0.05 * n.baskets) AND p.cnt::float8 / ia.cnt >= 0.5;
SELECT segment, count(*) AS rules FROM integ_rules GROUP BY segment ORDER BY segment;
SELECT count(*) AS rules_compared,
	   count(*) FILTER (WHERE a.segment IS NULL OR b.segment IS NULL) AS only_one_side,
	   count(*) FILTER (WHERE a.count <> b.count OR abs(a.support - b.support) > 1e-12
							 OR abs(a.confidence - b.confidence) > 1e-12 OR abs(a.lift - b.lift) > 1e-9) AS differing
FROM integ_rules a
FULL JOIN integ_rules_sql b ON (a.segment, a.antecedent::text[], a.consequent::text[]) = (b.segment, b.antecedent, b.consequent);

DROP TABLE integ_rules_sql, integ_rules, integ_customer_segment, integ_segments, integ_customers,
	integ_metrics, integ_scores, integ_models, integ_seq, integ_lines, integ_raw;
