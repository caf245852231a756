-- Worked example: customer segments of the UCI Online Retail data with k-means on the RFM
-- scores of assoc.customer_features, then the top association rules of each segment.  Output is
-- shown in docs/kmeans.md.
--
--   psql -X -v csv=/path/to/online_retail.csv.gz -f test/bench/kmeans_online_retail.sql
--   (or test/bench/kmeans_online_retail.sh, which finds ../shared/data/online_retail.csv.gz)
--
-- Data: D. Chen, S. L. Sain, K. Guo (2012), Data mining for the online retail industry,
-- J. Database Marketing & Customer Strategy Management 19(3):197-208; UCI, CC BY 4.0.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
DROP TABLE IF EXISTS retail_raw, retail_lines, retail_customers, retail_segments, retail_customer_segment CASCADE;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE TABLE retail_raw (invoice text, stock_code text, description text, quantity int,
	invoice_date timestamp, unit_price numeric, customer_id int, country text);
\set copy_cmd '\\copy retail_raw FROM PROGRAM ''gzip -dc ' :csv ''' (FORMAT csv, HEADER)'
:copy_cmd

-- customer features as of the day after the last invoice (features area): every order line of
-- a known customer, returns included (they lower the net spend), exact duplicate lines counted
-- once.  Features 1-3 are recency_days, frequency (purchase orders) and monetary (net spend);
-- 16-18 their RFM scores 1-5 by quintile (assoc.feature_names('customer') names all 18).
CREATE TABLE retail_customers AS
SELECT customer_id, features
FROM assoc.customer_features('SELECT customer_id, invoice, stock_code, invoice_date, quantity, unit_price
                              FROM retail_raw WHERE customer_id IS NOT NULL',
                             as_of => '2011-12-10', dedup => true);
-- customers who only returned goods have no purchase order, hence NULL scores: not segmented
SELECT count(*) AS customers, count(features[16]) AS with_rfm_scores,
	   count(*) - count(features[16]) AS without_purchase_order
FROM retail_customers;
SELECT (assoc.feature_names('customer'))[16:18] AS clustered_on;

-- choosing k on the three scores (already on one 1-5 scale, so not standardised): inertia
-- (elbow) and mean silhouette on a seeded sample of 2000 customers
SELECT k, round(inertia::numeric, 1) AS inertia, round(silhouette::numeric, 3) AS silhouette, sizes
FROM assoc.kmeans_choose_k('SELECT features[16:18] FROM retail_customers WHERE features[16] IS NOT NULL', 2, 8,
	'{"seed": 42, "n_init": 30, "silhouette_sample": 2000}')
ORDER BY k;

-- the model: 4 segments
CREATE TABLE retail_segments AS
SELECT assoc.train_kmeans(features[16:18], 4, '{"seed": 42, "n_init": 30}') AS model
FROM retail_customers WHERE features[16] IS NOT NULL;
SELECT jsonb_pretty((assoc.model_info(model)->'info') - '{init,silhouette,silhouette_sample}'::text[]) AS model_info
FROM retail_segments;
SELECT cluster AS segment, size, (SELECT array_agg(round(v::numeric, 2)) FROM unnest(centroid) v) AS centroid_rfm_scores
FROM retail_segments, assoc.cluster_centroids(model) ORDER BY cluster;

-- segments: size, mean RFM in plain units and as scores, share of the net revenue
CREATE TABLE retail_customer_segment AS
SELECT c.customer_id, assoc.predict_cluster(s.model, c.features[16:18]) AS segment, c.features
FROM retail_customers c, retail_segments s
WHERE c.features[16] IS NOT NULL;
SELECT segment, count(*) AS customers,
	round(avg(features[1])::numeric, 0) AS mean_recency_days,
	round(avg(features[2])::numeric, 1) AS mean_orders,
	round(avg(features[3])::numeric, 0) AS mean_net_spend,
	round(avg(features[16])::numeric, 1) AS r_score,
	round(avg(features[17])::numeric, 1) AS f_score,
	round(avg(features[18])::numeric, 1) AS m_score,
	round((100 * sum(features[3]) / sum(sum(features[3])) OVER ())::numeric, 1) AS revenue_pct
FROM retail_customer_segment
GROUP BY segment ORDER BY mean_net_spend DESC;
-- the sizes of the model are the counts of assoc.predict_cluster (same arithmetic)
SELECT (SELECT array_agg(n ORDER BY segment) FROM (SELECT segment, count(*) AS n FROM retail_customer_segment GROUP BY segment) s)
	   = (SELECT array_agg(size ORDER BY cluster) FROM retail_segments, assoc.cluster_centroids(model)) AS sizes_agree;

-- the top rules of each segment: baskets are the segment's sales invoices (no cancellations,
-- returns or free lines), items their product descriptions; mined per segment by
-- assoc.basket_agg ... GROUP BY segment, then assoc.rules on each segment's baskets
CREATE TABLE retail_lines AS
SELECT DISTINCT invoice, description, customer_id
FROM retail_raw
WHERE invoice NOT LIKE 'C%' AND quantity > 0 AND unit_price > 0 AND customer_id IS NOT NULL
  AND description IS NOT NULL;
SELECT s.segment, count(DISTINCT l.invoice) AS baskets
FROM retail_lines l JOIN retail_customer_segment s ON s.customer_id = l.customer_id::text
GROUP BY s.segment ORDER BY s.segment;
CREATE TEMP TABLE segment_rules AS
SELECT segment, antecedent, consequent, count, support, confidence, lift, rank
FROM (SELECT s.segment, r.*, row_number() OVER (PARTITION BY s.segment ORDER BY r.lift DESC, r.count DESC, r.antecedent, r.consequent) AS rank
	  FROM (SELECT c.segment, assoc.basket_agg(l.invoice, l.description) AS baskets
			FROM retail_lines l JOIN retail_customer_segment c ON c.customer_id = l.customer_id::text
			GROUP BY c.segment) s,
		   LATERAL assoc.rules(s.baskets, 0.02, 0.6, max_len => 2) r) x
WHERE rank <= 3;
SELECT segment, antecedent, consequent, count, round(support::numeric, 3) AS support,
	round(confidence::numeric, 2) AS confidence, round(lift::numeric, 1) AS lift
FROM segment_rules ORDER BY segment, rank;
-- the same counts by brute force in plain SQL over each segment's invoices
WITH b AS (
	SELECT s.segment, l.invoice, array_agg(DISTINCT l.description) AS items
	FROM retail_lines l JOIN retail_customer_segment s ON s.customer_id = l.customer_id::text
	GROUP BY s.segment, l.invoice
), n AS (SELECT segment, count(*) AS baskets FROM b GROUP BY segment)
SELECT count(*) AS rules_checked,
	   bool_and(r.count = x.both_count
				AND abs(r.support - x.both_count::float8 / n.baskets) < 1e-12
				AND abs(r.confidence - x.both_count::float8 / x.ante_count) < 1e-12
				AND abs(r.lift - x.both_count::float8 * n.baskets / (x.ante_count * x.cons_count)) < 1e-9) AS plain_sql_agrees
FROM segment_rules r JOIN n USING (segment),
	 LATERAL (SELECT count(*) FILTER (WHERE b.items @> (r.antecedent || r.consequent)) AS both_count,
					 count(*) FILTER (WHERE b.items @> r.antecedent) AS ante_count,
					 count(*) FILTER (WHERE b.items @> r.consequent) AS cons_count
			  FROM b WHERE b.segment = r.segment) x;
