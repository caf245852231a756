-- Bad input to the mining functions: clear errors with SQLSTATEs and hints.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE TABLE t(basket int, item text);
INSERT INTO t SELECT g % 50, 'item ' || (g % 7) FROM generate_series(1, 500) g;

-- thresholds out of range
SELECT * FROM assoc.frequent_itemsets('SELECT basket, item FROM t', 0);
SELECT * FROM assoc.frequent_itemsets('SELECT basket, item FROM t', 1.5);
SELECT * FROM assoc.frequent_itemsets('SELECT basket, item FROM t', -0.1);
SELECT * FROM assoc.frequent_itemsets('SELECT basket, item FROM t', 'NaN');
SELECT * FROM assoc.frequent_itemsets('SELECT basket, item FROM t', NULL);
SELECT * FROM assoc.frequent_itemsets(NULL::text, 0.1);
SELECT * FROM assoc.frequent_itemsets('SELECT basket, item FROM t', 0.1, 0);
SELECT * FROM assoc.rules('SELECT basket, item FROM t', 0.1, 1.01);
SELECT * FROM assoc.rules('SELECT basket, item FROM t', 0.1, -0.5);
SELECT * FROM assoc.rules('SELECT basket, item FROM t', 0.1, 'NaN');
SELECT * FROM assoc.rules('SELECT basket, item FROM t', 0.1, NULL);
SELECT * FROM assoc.rules('SELECT basket, item FROM t', 0.1, 0.5, max_len => -1);
SELECT * FROM assoc.rules('SELECT basket, item FROM t', 0.1, 0.5, max_consequent => 0);
SELECT * FROM assoc.frequent_itemsets((SELECT assoc.basket_agg(basket, item) FROM t), 2);

-- sources that do not parse, do not fit, or write
SELECT * FROM assoc.frequent_itemsets('SELEC basket, item FROM t', 0.1);
SELECT * FROM assoc.frequent_itemsets('SELECT basket, item FROM no_such_table', 0.1);
SELECT * FROM assoc.frequent_itemsets('SELECT basket FROM t', 0.1);
SELECT * FROM assoc.frequent_itemsets('SELECT basket, item, 1 FROM t', 0.1);
SELECT * FROM assoc.frequent_itemsets('DELETE FROM t RETURNING basket, item', 0.1);
SELECT * FROM assoc.frequent_itemsets('INSERT INTO t VALUES (1, ''x'') RETURNING basket, item', 0.1);
SELECT * FROM assoc.frequent_itemsets('UPDATE t SET item = ''x'' RETURNING basket, item', 0.1);
SELECT * FROM assoc.frequent_itemsets('WITH d AS (DELETE FROM t RETURNING *) SELECT basket, item FROM d', 0.1);
SELECT * FROM assoc.frequent_itemsets('SELECT basket, item FROM t FOR UPDATE', 0.1);
SELECT * FROM assoc.frequent_itemsets('SELECT basket, item INTO t2 FROM t', 0.1);
SELECT * FROM assoc.frequent_itemsets('SELECT 1, 2; SELECT 3, 4', 0.1);
SELECT * FROM assoc.frequent_itemsets('TRUNCATE t', 0.1);
SELECT * FROM assoc.frequent_itemsets('', 0.1);
-- nothing was written
SELECT count(*) FROM t;

-- corrupted basket sets are refused
SELECT 'not base64!'::assoc.baskets;
SELECT 'AQEBAA=='::assoc.baskets;
SELECT assoc.basket_stats(('AgEBAAAAAAE=')::assoc.baskets);
SELECT assoc.basket_stats(substr((SELECT assoc.basket_agg(basket, item)::text FROM t), 1, 40)::assoc.baskets);
-- combining sets of different kinds
CREATE AGGREGATE combine_states(assoc.baskets) (SFUNC = assoc.basket_agg_combine, STYPE = assoc.baskets);
SELECT combine_states(b) FROM (SELECT assoc.basket_agg(basket, item) FROM t
                               UNION ALL SELECT assoc.basket_agg(basket, basket) FROM t) s(b);
DROP AGGREGATE combine_states(assoc.baskets);
-- transition functions outside an aggregate
SELECT assoc.basket_agg_transfn(NULL, 1, 2);

-- a combinatorial explosion ends in an error that names the limit (the detail
-- gives memory figures that vary with the build, so only code, message and hint are shown)
CREATE TABLE dense AS SELECT b, i FROM generate_series(1, 200) b, generate_series(1, 30) i;
CREATE FUNCTION show_error(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; hint text;
BEGIN
  EXECUTE q;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
  RETURN st || ': ' || msg || ' / ' || hint;
END $$;
SET assoc.mining_mem = '8MB';
SELECT show_error($$SELECT count(*) FROM assoc.frequent_itemsets('SELECT b, i FROM dense', 0.0001)$$);
SELECT show_error($$SELECT count(*) FROM assoc.rules('SELECT b, i FROM dense', 0.5, 0.5, max_len => 6, max_consequent => NULL)$$);
SELECT show_error($$SELECT count(*) FROM assoc.frequent_itemsets((SELECT assoc.basket_agg(b, i) FROM dense), 0.0001)$$);
SET assoc.mining_mem = '100kB';
SELECT show_error($$SELECT assoc.basket_agg(b, i) FROM dense$$);
SET assoc.mining_mem = '8MB';
-- the same with max_len is fine
SELECT count(*) FROM assoc.frequent_itemsets('SELECT b, i FROM dense', 0.0001, max_len => 2);
RESET assoc.mining_mem;
SET assoc.mining_mem = -2;

-- long mining honours statement_timeout
SET assoc.mining_mem = '4GB';
SET statement_timeout = '300ms';
SELECT count(*) FROM assoc.frequent_itemsets('SELECT b, i FROM dense', 0.0001);
RESET statement_timeout;
RESET assoc.mining_mem;
-- and the session is usable afterwards
SELECT count(*) FROM assoc.frequent_itemsets('SELECT b, i FROM dense', 0.5, max_len => 1);

DROP TABLE t, dense;
DROP FUNCTION show_error;
