-- pgTAP: the Groceries case of the mining benchmark (test/bench/mining_bench.sh), at test
-- scale and on the copy shipped in demo/data, so that CI checks what the benchmark checks.
-- Run from the repository root (the data is read with \copy, relative to it):
--   pg_prove test/mining_bench.sql
-- Expected figures, none computed by assoc:
--   5,668 rules at support 0.001 / confidence 0.5: the published arules figure
--     (apriori(Groceries, parameter = list(supp = 0.001, conf = 0.5)));
--   itemsets per length 157 / 2,981 / 6,831 / 3,137 / 376 / 10, rules per itemset length
--     11 / 1,461 / 3,211 / 939 / 46, 452 of them exactly at confidence 0.5, and 5,829 rules
--     of every split: from
--     test/bench/oracle_eclat.py (plain Python), and the same itemsets and 5,829 rules from
--     Weka 3.6's Apriori in the benchmark;
--   2,981 frequent pairs also from a plain SQL self-join in this file.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SELECT plan(10);

-- plain tables (rolled back): parallel workers cannot read temporary tables
CREATE TEMP TABLE mb_raw(basket serial, line text);
\copy mb_raw(line) FROM 'demo/data/groceries.csv' WITH (FORMAT text)
CREATE TABLE mb_groceries AS
SELECT DISTINCT basket, item FROM mb_raw, string_to_table(line, ',') AS item;
ANALYZE mb_groceries;

SELECT is((SELECT count(DISTINCT basket) FROM mb_groceries), 9835::bigint, 'Groceries has 9,835 baskets');

CREATE TEMP TABLE mb_sets AS
SELECT cardinality(items) AS len, count(*) AS n
FROM assoc.frequent_itemsets('SELECT basket, item FROM mb_groceries', 0.001) GROUP BY 1;
SELECT results_eq('SELECT len, n FROM mb_sets ORDER BY len',
  $$VALUES (1, 157::bigint), (2, 2981::bigint), (3, 6831::bigint), (4, 3137::bigint), (5, 376::bigint), (6, 10::bigint)$$,
  'frequent itemsets per length at support 0.001 equal the oracle''s');

SELECT is((SELECT count(*) FROM (
    SELECT a.item, b.item FROM mb_groceries a JOIN mb_groceries b ON a.basket = b.basket AND a.item < b.item
    GROUP BY a.item, b.item HAVING count(*) >= 10) p),
  (SELECT n FROM mb_sets WHERE len = 2),
  'the SQL self-join of the benchmark finds the same pairs (count >= ceil(0.001 * 9835) = 10)');

CREATE TEMP TABLE mb_rules AS
SELECT cardinality(antecedent) + cardinality(consequent) AS len, count(*) AS n
FROM assoc.rules('SELECT basket, item FROM mb_groceries', 0.001, 0.5) GROUP BY 1;
SELECT is((SELECT sum(n) FROM mb_rules), 5668::numeric, 'the published 5,668 rules at 0.001 / 0.5');
SELECT results_eq('SELECT len, n FROM mb_rules ORDER BY len',
  $$VALUES (2, 11::bigint), (3, 1461::bigint), (4, 3211::bigint), (5, 939::bigint), (6, 46::bigint)$$,
  'rules per itemset length equal the oracle''s');
SELECT is((SELECT count(*) FROM assoc.rules('SELECT basket, item FROM mb_groceries', 0.001, 0.5,
                                              max_consequent => NULL)),
  5829::bigint, 'every split: 5,829 rules (oracle and Weka Apriori)');
SELECT is((SELECT count(*) FROM assoc.rules('SELECT basket, item FROM mb_groceries', 0.001, 0.5)
           WHERE confidence = 0.5),
  452::bigint, 'the 452 rules exactly at confidence 0.5 are kept (inclusive threshold; oracle)');

-- the aggregate forms the benchmark times: serial, then forced parallel
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT is((SELECT count(*) FROM assoc.frequent_itemsets(
             (SELECT assoc.basket_agg(basket, item) FROM mb_groceries), 0.001)),
  13492::bigint, 'aggregate form, serial: 13,492 itemsets');
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT is((SELECT count(*) FROM assoc.rules(
             (SELECT assoc.basket_agg(basket, item) FROM mb_groceries), 0.001, 0.5)),
  5668::bigint, 'aggregate form, parallel plan allowed: 5,668 rules');
SELECT ok((SELECT count(*) FROM assoc.frequent_itemsets('SELECT basket, item FROM mb_groceries', 0.001)
           WHERE count < 10) = 0,
  'no itemset below ceil(0.001 * 9835) = 10 baskets');

SELECT * FROM finish();
ROLLBACK;
