-- Worked example: customer segments of the UCI Online Retail data with k-means, then the top
-- association rules of each segment.  Output is shown in docs/kmeans.md.
--
--   psql -X -v csv=/path/to/online_retail.csv.gz -f test/bench/kmeans_online_retail.sql
--   (or test/bench/kmeans_online_retail.sh, which finds ../shared/data/online_retail.csv.gz)
--
-- The customer features (recency, frequency, monetary: RFM) are computed here in plain SQL,
-- because the feature functions of assoc are being written in parallel; the maintainer will
-- switch this script to them when the areas are merged.
-- Data: D. Chen, S. L. Sain, K. Guo (2012), Data mining for the online retail industry,
-- J. Database Marketing & Customer Strategy Management 19(3):197-208; UCI, CC BY 4.0.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
DROP TABLE IF EXISTS retail_raw, retail_lines, retail_rfm, retail_segments CASCADE;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE TABLE retail_raw (invoice text, stock_code text, description text, quantity int,
	invoice_date timestamp, unit_price numeric, customer_id int, country text);
\set copy_cmd '\\copy retail_raw FROM PROGRAM ''gzip -dc ' :csv ''' (FORMAT csv, HEADER)'
:copy_cmd

-- sales lines: no cancellations, returns, free lines, unknown customers or exact duplicates
CREATE TABLE retail_lines AS
SELECT DISTINCT invoice, stock_code, description, quantity, invoice_date, unit_price, customer_id, country
FROM retail_raw
WHERE invoice NOT LIKE 'C%' AND quantity > 0 AND unit_price > 0 AND customer_id IS NOT NULL;
SELECT count(*) AS lines, count(DISTINCT invoice) AS invoices, count(DISTINCT customer_id) AS customers
FROM retail_lines;

-- RFM per customer: days since the last purchase (as of the day after the last invoice),
-- number of invoices, money spent; log-scaled (the three are heavily skewed)
CREATE TABLE retail_rfm AS
SELECT customer_id,
	date '2011-12-10' - max(invoice_date)::date AS recency_days,
	count(DISTINCT invoice) AS frequency,
	sum(quantity * unit_price) AS monetary
FROM retail_lines GROUP BY customer_id;
CREATE VIEW retail_features AS
SELECT customer_id, ARRAY[ln(1 + recency_days), ln(frequency), ln(monetary)]::float8[] AS f
FROM retail_rfm;

-- choosing k: inertia (elbow) and mean silhouette on a seeded sample of 2000 customers
SELECT k, round(inertia::numeric, 1) AS inertia, round(silhouette::numeric, 3) AS silhouette, sizes
FROM assoc.kmeans_choose_k('SELECT f FROM retail_features', 2, 8,
	'{"standardize": true, "seed": 42, "n_init": 5, "silhouette_sample": 2000}')
ORDER BY k;

-- the model: 4 segments of standardised log-RFM
CREATE TABLE retail_segments AS
SELECT assoc.train_kmeans(f, 4, '{"standardize": true, "seed": 42, "n_init": 5}') AS model
FROM retail_features;
SELECT jsonb_pretty(assoc.model_info(model) - 'created_at' - 'hyper_parameters') AS model_info FROM retail_segments;

-- segments: size, mean RFM in plain units, share of revenue
CREATE TEMP TABLE customer_segment AS
SELECT r.customer_id, assoc.predict_cluster(s.model, f.f) AS segment
FROM retail_rfm r JOIN retail_features f USING (customer_id), retail_segments s;
SELECT c.segment, count(*) AS customers,
	round(avg(r.recency_days), 0) AS mean_recency_days,
	round(avg(r.frequency), 1) AS mean_invoices,
	round(avg(r.monetary), 0) AS mean_spent,
	round(100 * sum(r.monetary) / sum(sum(r.monetary)) OVER (), 1) AS revenue_pct
FROM customer_segment c JOIN retail_rfm r USING (customer_id)
GROUP BY c.segment ORDER BY mean_spent DESC;

-- the top rules of each segment: baskets are the segment's invoices, items their products
SELECT segment, antecedent, consequent, count, round(support::numeric, 3) AS support,
	round(confidence::numeric, 2) AS confidence, round(lift::numeric, 1) AS lift
FROM (SELECT s.segment, r.*, row_number() OVER (PARTITION BY s.segment ORDER BY r.lift DESC, r.count DESC, r.antecedent, r.consequent) AS rank
	  FROM (SELECT c.segment, assoc.basket_agg(l.invoice, l.description) AS baskets
			FROM retail_lines l JOIN customer_segment c USING (customer_id)
			GROUP BY c.segment) s,
		   LATERAL assoc.rules(s.baskets, 0.02, 0.6, max_len => 2) r) x
WHERE rank <= 3
ORDER BY segment, rank;
