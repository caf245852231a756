-- Every feature on a real sample: 5,062 lines of UCI Online Retail
-- (test/data/online_retail_sample.csv, see test/data/README.md), compared with
-- the plain-SQL oracle (test/oracle/features_oracle.psql) at two as-of times.
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

\set retail_file :abs_srcdir '/test/data/online_retail_sample.csv'
CREATE TABLE retail_raw (invoice text, stock_code text, description text, quantity int,
	invoice_date timestamp, unit_price float8, customer_id int, country text);
COPY retail_raw FROM :'retail_file' WITH (FORMAT csv, HEADER true);
CREATE VIEW retail AS
SELECT customer_id, invoice AS order_id, stock_code AS item_id, invoice_date AS ts, quantity, unit_price,
	'purchase'::text AS event
FROM retail_raw;
-- the traps of the raw data are in the sample
SELECT count(*) AS lines, count(DISTINCT customer_id) AS customers, count(DISTINCT invoice) AS invoices,
	count(*) FILTER (WHERE invoice LIKE 'C%') AS cancellation_lines,
	count(*) FILTER (WHERE quantity < 0) AS negative_quantity,
	count(*) FILTER (WHERE unit_price <= 0) AS price_not_positive,
	count(*) FILTER (WHERE customer_id IS NULL) AS no_customer,
	count(*) - (SELECT count(*) FROM (SELECT DISTINCT * FROM retail_raw) d) AS exact_duplicates
FROM retail_raw;

\set src 'SELECT customer_id, invoice, stock_code, invoice_date, quantity, unit_price FROM retail_raw'
\set compare :abs_srcdir '/sql/features_retail_compare.psql'

-- as of 2011-11-02 (the sample goes on to 2011-12-09) and after the last line
SELECT as_of AS "as of", (SELECT count(*) FROM retail WHERE ts < as_of) AS lines_before
FROM (VALUES (timestamp '2011-11-02'), (timestamp '2011-12-10')) v(as_of);

\set as_of '2011-11-02'
\i :compare
\set as_of '2011-12-10'
\i :compare

-- a few customers as of 2011-12-10, with names
SELECT c.customer_id, n.name, round(n.v::numeric, 4) AS value
FROM assoc.customer_features(:'src', '2011-12-10') c,
	unnest(assoc.feature_names('customer'), c.features) WITH ORDINALITY AS n(name, v, i)
WHERE c.customer_id IN ('13447', '17063') ORDER BY c.customer_id, n.i;

-- the products most bought again
SELECT item_id, (SELECT array_agg(round(x::numeric, 3)) FROM unnest(features) x) AS features
FROM assoc.product_features(:'src', '2011-12-10')
ORDER BY features[6] DESC NULLS LAST, features[1] DESC, item_id LIMIT 5;

-- de-duplicated lines: dedup => true equals the oracle on SELECT DISTINCT
CREATE TABLE retail_distinct AS SELECT DISTINCT * FROM retail;
CREATE TEMP TABLE c_dedup AS
SELECT customer_id AS k, features AS f FROM assoc.customer_features(:'src', '2011-12-10', dedup => true);
CREATE TEMP TABLE c_distinct AS
SELECT customer_id AS k, features AS f FROM feature_oracle.customer('retail_distinct', '2011-12-10');
SELECT * FROM feature_oracle.compare('c_dedup', 'c_distinct');

-- as-of correctness on real data: the lines from 2011-08-01 on change nothing
SELECT count(*) AS changed FROM (
	(SELECT * FROM assoc.customer_features(:'src', '2011-08-01')
	 EXCEPT SELECT * FROM assoc.customer_features(:'src' || ' WHERE invoice_date < ''2011-08-01''', '2011-08-01'))
	UNION ALL
	(SELECT * FROM assoc.customer_features(:'src' || ' WHERE invoice_date < ''2011-08-01''', '2011-08-01')
	 EXCEPT SELECT * FROM assoc.customer_features(:'src', '2011-08-01'))) d;
SELECT count(*) AS changed FROM (
	(SELECT * FROM assoc.customer_product_features(:'src', '2011-08-01', min_support => 0.03, min_confidence => 0.3)
	 EXCEPT SELECT * FROM assoc.customer_product_features(:'src' || ' WHERE invoice_date < ''2011-08-01''', '2011-08-01',
		min_support => 0.03, min_confidence => 0.3))
	UNION ALL
	(SELECT * FROM assoc.customer_product_features(:'src' || ' WHERE invoice_date < ''2011-08-01''', '2011-08-01',
		min_support => 0.03, min_confidence => 0.3)
	 EXCEPT SELECT * FROM assoc.customer_product_features(:'src', '2011-08-01', min_support => 0.03, min_confidence => 0.3))) d;

SET client_min_messages = warning;
DROP SCHEMA feature_oracle CASCADE;
RESET client_min_messages;
DROP TABLE retail_distinct;
DROP VIEW retail;
DROP TABLE retail_raw;
