-- The feature aggregates in parallel plans: partial states are built by workers,
-- serialised, sent to the leader and combined there (the lines of one customer
-- or product are spread over the workers).  The results must equal the serial
-- plan: counts exactly, sums to 1e-9 relative (their order of addition differs).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
\getenv abs_srcdir PG_ABS_SRCDIR
\set oracle :abs_srcdir '/test/oracle/features_oracle.psql'
\set ECHO none
\i :oracle
\set ECHO all
RESET client_min_messages;
SET extra_float_digits = 0;

\set retail_file :abs_srcdir '/test/data/online_retail_sample.csv'
CREATE TABLE par_raw (invoice text, stock_code text, description text, quantity int,
	invoice_date timestamp, unit_price float8, customer_id int, country text);
COPY par_raw FROM :'retail_file' WITH (FORMAT csv, HEADER true);
-- lines of an order spread over the table, and a browse event on some of them
CREATE TABLE par_lines AS
SELECT customer_id, invoice, stock_code, left(stock_code, 2) AS family, invoice_date, quantity, unit_price,
	CASE WHEN md5(invoice || stock_code) < '2' THEN 'view' ELSE 'purchase' END AS event
FROM par_raw ORDER BY md5(invoice || stock_code || quantity);
ANALYZE par_lines;

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TABLE c_serial AS
SELECT customer_id, assoc.customer_agg(invoice, stock_code, invoice_date, quantity, unit_price, '2011-10-01'::timestamp, event) AS f
FROM par_lines GROUP BY customer_id;
-- products by family (the first two characters of the stock code): few groups,
-- so that the planner aggregates partially
CREATE TABLE p_serial AS
SELECT family, assoc.product_agg(customer_id, invoice, invoice_date, quantity, unit_price, '2011-10-01'::timestamp) AS f
FROM par_lines GROUP BY 1;
CREATE TABLE all_serial AS
SELECT assoc.customer_agg(invoice, stock_code, invoice_date, quantity, unit_price, '2011-10-01'::timestamp, event) AS f
FROM par_lines;

-- forced parallel, the leader only combines
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_hashagg = on;
EXPLAIN (COSTS OFF)
SELECT customer_id, assoc.customer_agg(invoice, stock_code, invoice_date, quantity, unit_price, '2011-10-01'::timestamp, event)
FROM par_lines GROUP BY customer_id;
EXPLAIN (COSTS OFF)
SELECT family, assoc.product_agg(customer_id, invoice, invoice_date, quantity, unit_price, '2011-10-01'::timestamp)
FROM par_lines GROUP BY 1;
CREATE TABLE c_parallel AS
SELECT customer_id, assoc.customer_agg(invoice, stock_code, invoice_date, quantity, unit_price, '2011-10-01'::timestamp, event) AS f
FROM par_lines GROUP BY customer_id;
CREATE TABLE p_parallel AS
SELECT family, assoc.product_agg(customer_id, invoice, invoice_date, quantity, unit_price, '2011-10-01'::timestamp) AS f
FROM par_lines GROUP BY 1;
-- one group over everything: every worker holds a part of the same state
EXPLAIN (COSTS OFF)
SELECT assoc.customer_agg(invoice, stock_code, invoice_date, quantity, unit_price, '2011-10-01'::timestamp, event)
FROM par_lines;
CREATE TABLE all_parallel AS
SELECT assoc.customer_agg(invoice, stock_code, invoice_date, quantity, unit_price, '2011-10-01'::timestamp, event) AS f
FROM par_lines;
-- sorted groups: the partial states are combined by a group aggregate
SET enable_hashagg = off;
EXPLAIN (COSTS OFF)
SELECT customer_id, assoc.customer_agg(invoice, stock_code, invoice_date, quantity, unit_price, '2011-10-01'::timestamp, event)
FROM par_lines GROUP BY customer_id;
CREATE TABLE c_parallel_sorted AS
SELECT customer_id, assoc.customer_agg(invoice, stock_code, invoice_date, quantity, unit_price, '2011-10-01'::timestamp, event) AS f
FROM par_lines GROUP BY customer_id;
RESET enable_hashagg;
RESET parallel_leader_participation;
RESET max_parallel_workers_per_gather;

SELECT count(*) AS groups,
	count(*) FILTER (WHERE s.f IS NULL) AS no_features,
	count(*) FILTER (WHERE NOT ((s.f IS NULL AND p.f IS NULL) OR feature_oracle.close(s.f, p.f))) AS differ,
	count(*) FILTER (WHERE s.f[2] IS DISTINCT FROM p.f[2] OR s.f[7] IS DISTINCT FROM p.f[7]
		OR s.f[12:14] IS DISTINCT FROM p.f[12:14]) AS counts_differ
FROM c_serial s FULL JOIN c_parallel p ON coalesce(s.customer_id, -1) = coalesce(p.customer_id, -1);
SELECT count(*) AS groups,
	count(*) FILTER (WHERE NOT ((s.f IS NULL AND p.f IS NULL) OR feature_oracle.close(s.f, p.f))) AS differ
FROM c_serial s FULL JOIN c_parallel_sorted p ON coalesce(s.customer_id, -1) = coalesce(p.customer_id, -1);
SELECT count(*) AS groups,
	count(*) FILTER (WHERE NOT ((s.f IS NULL AND p.f IS NULL) OR feature_oracle.close(s.f, p.f))) AS differ,
	count(*) FILTER (WHERE s.f[1:2] IS DISTINCT FROM p.f[1:2] OR s.f[6] IS DISTINCT FROM p.f[6]) AS counts_differ
FROM p_serial s FULL JOIN p_parallel p USING (family);
SELECT feature_oracle.close(s.f, p.f) AS same, s.f[2] AS orders, s.f[7] AS items
FROM all_serial s, all_parallel p;

SET client_min_messages = warning;
DROP SCHEMA feature_oracle CASCADE;
RESET client_min_messages;
DROP TABLE par_raw, par_lines, c_serial, p_serial, all_serial, c_parallel, p_parallel, all_parallel, c_parallel_sorted;
