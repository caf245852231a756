-- Frequent itemsets and rules on small hand-made data: types, NULLs, repeats,
-- exact thresholds, measures at their edge cases.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;

CREATE TABLE lines(order_id int, product text);
INSERT INTO lines VALUES
 (1, 'milk'), (1, 'bread'), (1, 'butter'),
 (2, 'milk'), (2, 'bread'),
 (3, 'milk'), (3, 'milk'),              -- a repeated item counts once
 (4, 'bread'), (4, 'butter'),
 (5, 'milk'), (5, 'bread'), (5, 'butter'),
 (6, NULL), (NULL, 'milk'),             -- rows with a NULL are ignored
 (7, NULL);                             -- so basket 7 does not exist

-- N = 5 baskets; min_support 0.6 -> count >= 3
SELECT * FROM assoc.frequent_itemsets('SELECT order_id, product FROM lines', 0.6)
ORDER BY cardinality(items), items;
-- max_len bounds the itemset size
SELECT * FROM assoc.frequent_itemsets('SELECT order_id, product FROM lines', 0.2, max_len => 2)
ORDER BY cardinality(items), items;

-- rules with one-item consequents (arules shape)
SELECT antecedent, consequent, count, round(support::numeric, 6) AS support,
       round(confidence::numeric, 6) AS confidence, round(lift::numeric, 6) AS lift,
       round(leverage::numeric, 6) AS leverage, conviction
FROM assoc.rules('SELECT order_id, product FROM lines', 0.4, 0.7)
ORDER BY antecedent, consequent;
-- every split (mlxtend shape), and at most two consequent items
SELECT antecedent, consequent, count FROM assoc.rules('SELECT order_id, product FROM lines', 0.4, 0.5, max_consequent => NULL)
ORDER BY antecedent, consequent;
SELECT count(*) FROM assoc.rules('SELECT order_id, product FROM lines', 0.4, 0.5, max_consequent => 2);

-- thresholds are exact decimals: 0.07 * 100 baskets -> 7 (not 8), 0.001 * 9835 -> 10
CREATE TABLE hundred AS
SELECT g AS basket, CASE WHEN g <= 7 THEN 'seven' ELSE 'other' END AS item FROM generate_series(1, 100) g
UNION ALL SELECT g, 'x' FROM generate_series(1, 100) g;
SELECT items, count FROM assoc.frequent_itemsets('SELECT basket, item FROM hundred', 0.07) ORDER BY items;
SELECT items, count FROM assoc.frequent_itemsets('SELECT basket, item FROM hundred', 0.0701) ORDER BY items;

-- a rule exactly at the confidence threshold is kept: 90/100 at 0.9, 4/5 at 0.8
CREATE TABLE conf AS
SELECT g AS basket, 'a' AS item FROM generate_series(1, 100) g
UNION ALL SELECT g, 'b' FROM generate_series(1, 90) g
UNION ALL SELECT 100 + g, 'c' FROM generate_series(1, 5) g
UNION ALL SELECT 100 + g, 'd' FROM generate_series(1, 4) g;
SELECT antecedent, consequent, count, confidence FROM assoc.rules('SELECT basket, item FROM conf', 0.02, 0.9)
WHERE antecedent IN ('{a}', '{c}') ORDER BY 1, 2;
SELECT antecedent, consequent, count, confidence FROM assoc.rules('SELECT basket, item FROM conf', 0.02, 0.8)
WHERE antecedent IN ('{a}', '{c}') ORDER BY 1, 2;

-- conviction is Infinity at confidence 1 (d => c: every basket with d has c)
SELECT antecedent, consequent, confidence, conviction FROM assoc.rules('SELECT basket, item FROM conf', 0.02, 1.0)
ORDER BY 1, 2;

-- items of any type come back as text, in the type's output form; arrays are in
-- value order (numeric for integers, byte order for text)
SELECT * FROM assoc.frequent_itemsets('SELECT b, i FROM (VALUES (1, 10), (1, 9), (1, 100), (2, 9), (2, 100)) v(b, i)', 1.0);
SELECT * FROM assoc.frequent_itemsets($$SELECT b, i FROM (VALUES ('x', 'Zebra'), ('x', 'apple'), ('x', 'Äpfel'), ('x', 'it''s'), ('x', E'two\nlines')) v(b, i)$$, 1.0, 1)
ORDER BY items COLLATE "C";
SELECT items FROM assoc.frequent_itemsets($$SELECT b, d FROM (VALUES (1::bigint, date '2024-01-02'), (1, date '2023-12-31'), (2, date '2024-01-02')) v(b, d)$$, 0.5)
ORDER BY items;
SELECT items FROM assoc.frequent_itemsets($$SELECT b, n FROM (VALUES (1.5, 2.50), (1.5, 3::numeric), (2.25, 2.50)) v(b, n)$$, 0.5)
ORDER BY items;

-- empty input gives no rows
SELECT count(*) FROM assoc.frequent_itemsets('SELECT 1, 2 WHERE false', 0.5);
SELECT count(*) FROM assoc.rules('SELECT NULL::int, NULL::text', 0.5, 0.5);
-- one basket, one item
SELECT * FROM assoc.frequent_itemsets('SELECT 1, ''only''', 1);
-- an item present in every basket: its rules have lift 1 and leverage 0
SELECT antecedent, consequent, lift, leverage FROM assoc.rules(
  'SELECT b, i FROM (VALUES (1, ''all''), (1, ''x''), (2, ''all''), (3, ''all''), (3, ''x'')) v(b, i)', 0.1, 0.1)
ORDER BY 1, 2;

-- the aggregate form gives the same answers, also per segment
SELECT * FROM assoc.frequent_itemsets((SELECT assoc.basket_agg(order_id, product) FROM lines), 0.6)
ORDER BY cardinality(items), items;
SELECT s.seg, f.items, f.count
FROM (SELECT order_id % 2 AS seg, assoc.basket_agg(order_id, product) AS b FROM lines GROUP BY 1) s,
     LATERAL assoc.frequent_itemsets(s.b, 0.6) f
ORDER BY s.seg, f.items;
-- baskets given as arrays, one per row
SELECT * FROM assoc.frequent_itemsets(
  (SELECT assoc.basket_agg(a) FROM (VALUES (ARRAY['milk','bread']), (ARRAY['milk', NULL]), (ARRAY[]::text[]), (NULL)) v(a)), 0.5);
SELECT * FROM assoc.basket_stats((SELECT assoc.basket_agg(order_id, product) FROM lines));
SELECT assoc.basket_agg(order_id, product) IS NULL AS empty_is_null FROM lines WHERE false;
SELECT count(*) FROM assoc.frequent_itemsets(NULL::assoc.baskets, 0.5);

-- the text and binary forms round-trip exactly
SELECT f.* FROM (SELECT assoc.basket_agg(order_id, product)::text::assoc.baskets AS b FROM lines) s,
     LATERAL assoc.frequent_itemsets(s.b, 0.6) f ORDER BY cardinality(items), items;

DROP TABLE lines, hundred, conf;
