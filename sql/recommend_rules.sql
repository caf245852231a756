-- The rules model and assoc.recommend_for_cart, against a hand-computed case
-- and a brute-force oracle written in SQL (rules enumerated from scratch,
-- recommendations ranked by the documented order).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;

-- 1. Hand-computed case: 5 baskets.
CREATE TEMP TABLE shop(basket int, item text);
INSERT INTO shop VALUES
  (1,'milk'),(1,'bread'),(1,'butter'),
  (2,'milk'),(2,'bread'),
  (3,'bread'),(3,'butter'),
  (4,'milk'),(4,'eggs'),
  (5,'milk'),(5,'bread'),(5,'butter'),(5,'eggs');
CREATE TEMP TABLE shop_model AS
  SELECT assoc.train_rules('SELECT basket, item FROM shop', 0.2, 0.5) AS model;
SELECT assoc.model_info(model) #- '{created_at}' AS info FROM shop_model;
-- cart {milk}: {milk}=>bread 3/4, {milk}=>butter 2/4 (lift 0.5/0.6), {milk}=>eggs 2/4 (lift 0.5/0.4)
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM shop_model), '{milk}');
-- cart {milk,butter}: bread by {butter} (3/3; {butter,milk} is 2/2, same confidence, less support);
-- eggs by {milk} (2/4; {butter,milk}=>eggs is 1/2)
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM shop_model), '{milk,butter}');
-- fill: the empty antecedent fires for every item (confidence = support, lift 1)
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM shop_model), '{}', fill => true);
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM shop_model), '{eggs}', k => 2, fill => true);
-- business filter, unknown and NULL cart items, repeats
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM shop_model), '{milk,milk,NULL,caviar}', exclude => '{bread}');
-- k larger than the number of items: all candidates
SELECT count(*) FROM assoc.recommend_for_cart((SELECT model FROM shop_model), '{}', k => 2147483647, fill => true);

-- 2. Integer items: labels are their decimal text, ordered by bytes ('10' < '9').
-- {9} => 10 has confidence 2/3 = support(10): with fill the rule is kept
-- over the empty antecedent (which only wins when strictly more confident).
CREATE TEMP TABLE int_model AS SELECT assoc.train_rules(
  'SELECT b, i FROM (VALUES (1,9),(1,10),(2,9),(2,10),(3,9),(3,11)) v(b, i)', 0.3, 0.1) AS model;
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM int_model), '{9}');
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM int_model), '{9}', fill => true);
SELECT * FROM assoc.recommend_for_cart((SELECT model FROM int_model), '{11}', fill => true);

-- 3. Brute-force oracle on 120 generated baskets over 10 items whose labels
-- sort differently in byte order and in most collations.
CREATE TEMP TABLE items(pos int, label text);
INSERT INTO items VALUES (1,'Apple'),(2,'apple'),(3,'B1'),(4,'b10'),(5,'b2'),
  (6,'Cheese'),(7,'cheese slices'),(8,'d'),(9,'É'),(10,'e');
CREATE TEMP TABLE baskets AS
SELECT b, label AS item
FROM generate_series(1, 120) b, items
WHERE ((b * 7919 + pos * 104729 + b * pos * 31) % 97) <
      CASE WHEN (pos - 1) / 4 = b % 3 THEN 60 ELSE 22 END;
-- N counts the baskets with at least one item, as assoc.rules does
CREATE TEMP TABLE n AS SELECT count(DISTINCT b)::float8 AS n FROM baskets;
SELECT count(*) AS rows, n AS baskets FROM baskets, n GROUP BY n;

-- frequent itemsets by enumeration (count >= ceil(0.05 * N) = 6), up to 4 items
CREATE TEMP TABLE bf_sets AS
WITH RECURSIVE s(items, b) AS (
  SELECT ARRAY[item COLLATE "C"], b FROM baskets
  UNION ALL
  SELECT s.items || x.item, s.b FROM s JOIN baskets x
    ON x.b = s.b AND x.item COLLATE "C" > s.items[array_length(s.items, 1)]
  WHERE array_length(s.items, 1) < 4)
SELECT items, count(*) AS cnt FROM s GROUP BY items HAVING count(*) >= 6;
-- rules A => {c}: count(A u C) >= ceil(0.3 * count(A)), exactly
CREATE TEMP TABLE bf_rules AS
SELECT a.items AS ante, c AS cons, s.cnt AS cnt_ac, a.cnt AS cnt_a, ci.cnt AS cnt_c
FROM bf_sets s CROSS JOIN LATERAL unnest(s.items) c
JOIN bf_sets a ON a.items = array_remove(s.items, c)
JOIN bf_sets ci ON ci.items = ARRAY[c]
WHERE array_length(s.items, 1) >= 2 AND s.cnt >= ceil(0.3 * a.cnt);

CREATE TEMP TABLE bf_model AS
  SELECT assoc.train_rules('SELECT b, item FROM baskets', 0.05, 0.3, 4) AS model;
-- the model holds exactly the enumerated rules and frequent items
SELECT (assoc.model_info(model)->'info'->>'rules')::int = (SELECT count(*) FROM bf_rules) AS same_rules,
       (assoc.model_info(model)->'info'->>'items')::int =
         (SELECT count(*) FROM bf_sets WHERE array_length(items, 1) = 1) AS same_items,
       (SELECT count(*) FROM bf_rules) AS rules
FROM bf_model;

-- 400 carts of 0 to 6 items (some repeated or unknown)
CREATE TEMP TABLE carts AS
SELECT c AS cart_id,
       array(SELECT label FROM items WHERE ((c * 37 + pos * 11 + c * pos) % 10) < (c % 7)
             ORDER BY (c * pos) % 5, pos) || CASE WHEN c % 50 = 0 THEN ARRAY['unknown', 'Apple'] ELSE '{}' END AS cart
FROM generate_series(1, 400) c;

-- expected: per cart, each item's best rule (confidence, then support, then
-- antecedent in byte order; the empty antecedent only when fill and strictly
-- more confident), items ranked by confidence, lift, label; k = 5
CREATE TEMP TABLE expected AS
WITH cand AS (
  SELECT c.cart_id, f.fill, r.cons, r.ante, r.cnt_ac,
         r.cnt_ac::float8 / r.cnt_a AS conf,
         (r.cnt_ac::float8 * n) / (r.cnt_a::float8 * r.cnt_c) AS lift, 0 AS empty
  FROM n, carts c CROSS JOIN (VALUES (false), (true)) f(fill)
  JOIN bf_rules r ON r.ante <@ c.cart::text[] AND r.cons <> ALL (c.cart)
  UNION ALL
  SELECT c.cart_id, true, i.items[1], '{}', i.cnt, i.cnt::float8 / n, 1, 1
  FROM n, carts c JOIN bf_sets i ON array_length(i.items, 1) = 1 AND i.items[1] <> ALL (c.cart)
), best AS (
  SELECT DISTINCT ON (cart_id, fill, cons) *
  FROM cand ORDER BY cart_id, fill, cons, conf DESC, empty, cnt_ac DESC, ante COLLATE "C"
), ranked AS (
  SELECT *, row_number() OVER (PARTITION BY cart_id, fill ORDER BY conf DESC, lift DESC, cons COLLATE "C") AS rank
  FROM best)
SELECT cart_id, fill, array_agg(ROW(cons, round(conf::numeric, 12), round(lift::numeric, 12), ante)::text ORDER BY rank) AS recs
FROM ranked WHERE rank <= 5 GROUP BY cart_id, fill;

CREATE TEMP TABLE got AS
SELECT c.cart_id, f.fill,
       (SELECT array_agg(ROW(r.item, round(r.score::numeric, 12), round(r.lift::numeric, 12), r.antecedent)::text
                         ORDER BY r.n)
        FROM assoc.recommend_for_cart(m.model, c.cart, 5, fill => f.fill) WITH ORDINALITY r(item, score, confidence, lift, antecedent, n)
        WHERE r.score = r.confidence) AS recs
FROM carts c CROSS JOIN (VALUES (false), (true)) f(fill) CROSS JOIN bf_model m;

SELECT g.fill, count(*) AS carts,
       count(*) FILTER (WHERE g.recs IS NOT DISTINCT FROM e.recs) AS agree,
       sum(coalesce(array_length(g.recs, 1), 0)) AS recommendations
FROM got g LEFT JOIN expected e USING (cart_id, fill)
GROUP BY g.fill ORDER BY g.fill;

-- 4. The same model from an assoc.baskets value, and min_lift.
SELECT count(*) AS carts_differing
FROM carts c, bf_model m
WHERE array(SELECT row(r.*)::text FROM assoc.recommend_for_cart(m.model, c.cart, 5) r)
   <> array(SELECT row(r.*)::text FROM assoc.recommend_for_cart(
              (SELECT assoc.train_rules(assoc.basket_agg(b, item), 0.05, 0.3, 4) FROM baskets), c.cart, 5) r);
SELECT (assoc.model_info(assoc.train_rules('SELECT b, item FROM baskets', 0.05, 0.3, 4,
          '{"min_lift": 1}'))->'info'->>'rules')::int
       = (SELECT count(*) FROM bf_rules, n WHERE (cnt_ac::float8 * n) / (cnt_a::float8 * cnt_c) >= 1) AS min_lift_ok;
