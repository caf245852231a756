-- assoc demo on the Groceries baskets (arules, Hahsler et al. 2006): see demo/data/README.md
\pset footer off
CREATE EXTENSION assoc;

CREATE TABLE groceries_raw(basket serial, line text);
COPY groceries_raw(line) FROM :'data' WITH (FORMAT text);
CREATE TABLE order_lines AS
SELECT basket AS order_id, item AS product FROM groceries_raw, string_to_table(line, ',') AS item;
\echo
\echo Loaded 9,835 baskets of 30 days of a grocery outlet:
SELECT count(DISTINCT order_id) AS baskets, count(*) AS lines, count(DISTINCT product) AS products FROM order_lines;

\echo The most frequent items (support >= 0.1):
SELECT items[1] AS item, count, round(support::numeric, 4) AS support
FROM assoc.frequent_itemsets('SELECT order_id, product FROM order_lines', min_support => 0.1, max_len => 1)
ORDER BY count DESC;

\echo The top rules by lift (support >= 0.006, confidence >= 0.25):
SELECT array_to_string(antecedent, ', ') AS "if a basket holds", array_to_string(consequent, ', ') AS "it also holds",
       count, round(support::numeric, 4) AS support, round(confidence::numeric, 3) AS confidence,
       round(lift::numeric, 2) AS lift
FROM assoc.rules('SELECT order_id, product FROM order_lines', min_support => 0.006, min_confidence => 0.25)
ORDER BY lift DESC LIMIT 10;

\echo The rule count, by rule length (the published figures are 463: 150, 297, 16):
SELECT cardinality(antecedent) + cardinality(consequent) AS items_in_rule, count(*) AS rules
FROM assoc.rules('SELECT order_id, product FROM order_lines', 0.006, 0.25)
GROUP BY ROLLUP (1) ORDER BY 1 NULLS LAST;

\echo The same mining as an aggregate, per segment (odd and even basket numbers):
SELECT s.segment, count(*) AS rules, round(max(r.lift)::numeric, 2) AS best_lift
FROM (SELECT order_id % 2 AS segment, assoc.basket_agg(order_id, product) AS baskets
      FROM order_lines GROUP BY 1) s,
     LATERAL assoc.rules(s.baskets, 0.006, 0.25) r
GROUP BY s.segment ORDER BY s.segment;
