-- assoc against a brute-force oracle written in plain SQL, on many small random
-- data sets: every subset of the items is counted directly from bit masks of
-- the baskets, and rules are every split of every frequent itemset.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;

CREATE TABLE rnd(b int, i text);
CREATE TABLE item_idx(i text, idx int);

-- one random data set: nbaskets baskets over nitems items (names with quotes and
-- spaces), basket sizes 1..maxsize with repeats, a few NULL rows, and optionally
-- an item present in every basket
CREATE FUNCTION make_data(seed float8, nbaskets int, nitems int, maxsize int, with_all bool)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  k int;
BEGIN
  PERFORM setseed(seed);
  TRUNCATE rnd, item_idx;
  FOR bk IN 1..nbaskets LOOP
    FOR k IN 1..(1 + floor(random() * maxsize))::int LOOP
      INSERT INTO rnd VALUES (bk, 'it''em ' || floor(random() * nitems)::int);
    END LOOP;
    IF with_all THEN INSERT INTO rnd VALUES (bk, 'all'); END IF;
  END LOOP;
  INSERT INTO rnd VALUES (NULL, 'it''em 0'), (1, NULL), (nbaskets + 1, NULL);
  INSERT INTO item_idx SELECT i, (row_number() OVER (ORDER BY i COLLATE "C")) - 1
    FROM (SELECT DISTINCT i FROM rnd WHERE i IS NOT NULL AND b IS NOT NULL) s;
END $$;

-- counts of every non-empty itemset, by brute force
CREATE FUNCTION oracle_counts()
RETURNS TABLE(mask bigint, items text[], len int, cnt bigint) LANGUAGE sql AS $$
  WITH baskets AS (
    SELECT r.b, bit_or(1::bigint << x.idx) AS m
    FROM rnd r JOIN item_idx x USING (i) WHERE r.b IS NOT NULL GROUP BY r.b),
  subsets AS (SELECT s::bigint AS m FROM generate_series(1, (1 << (SELECT count(*) FROM item_idx)::int) - 1) s)
  SELECT s.m,
         (SELECT array_agg(i ORDER BY i COLLATE "C") FROM item_idx WHERE (s.m >> idx) & 1 = 1),
         length(replace(s.m::bit(20)::text, '0', '')),
         (SELECT count(*) FROM baskets b WHERE (b.m & s.m) = s.m)
  FROM subsets s
$$;

CREATE FUNCTION oracle_itemsets(min_support float8, max_len int)
RETURNS TABLE(items text[], cnt bigint) LANGUAGE sql AS $$
  SELECT items, cnt FROM oracle_counts()
  WHERE cnt >= ceil(min_support::numeric * (SELECT count(DISTINCT b) FROM rnd WHERE b IS NOT NULL AND i IS NOT NULL))
    AND cnt > 0 AND (max_len IS NULL OR len <= max_len)
$$;

CREATE FUNCTION oracle_rules(min_support float8, min_conf float8, max_len int, max_cons int)
RETURNS TABLE(antecedent text[], consequent text[], cnt bigint, support float8, confidence float8,
              lift float8, leverage float8, conviction float8) LANGUAGE sql AS $$
  WITH n AS (SELECT count(DISTINCT b)::float8 AS n FROM rnd WHERE b IS NOT NULL AND i IS NOT NULL),
  c AS (SELECT * FROM oracle_counts()),
  f AS (SELECT * FROM c WHERE cnt >= ceil(min_support::numeric * (SELECT n FROM n)) AND cnt > 0
          AND (max_len IS NULL OR len <= max_len) AND len >= 2)
  SELECT ca.items, cc.items, f.cnt, f.cnt / n.n, f.cnt::float8 / ca.cnt,
         (f.cnt::float8 / ca.cnt) / (cc.cnt / n.n),
         f.cnt / n.n - (ca.cnt / n.n) * (cc.cnt / n.n),
         CASE WHEN f.cnt = ca.cnt THEN 'Infinity'::float8
              ELSE (1 - cc.cnt / n.n) / (1 - f.cnt::float8 / ca.cnt) END
  FROM f CROSS JOIN n
  JOIN c cc ON (cc.mask & f.mask) = cc.mask AND cc.mask <> f.mask
  JOIN c ca ON ca.mask = (f.mask & ~cc.mask)
  WHERE (max_cons IS NULL OR cc.len <= max_cons)
    AND f.cnt >= ceil(min_conf::numeric * ca.cnt)
$$;

-- compare; returns the number of differences (0 = agree)
CREATE FUNCTION diff_itemsets(min_support float8, max_len int) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM (
    (SELECT items, count FROM assoc.frequent_itemsets('SELECT b, i FROM rnd', min_support, max_len)
     EXCEPT ALL SELECT * FROM oracle_itemsets(min_support, max_len))
    UNION ALL
    (SELECT * FROM oracle_itemsets(min_support, max_len)
     EXCEPT ALL SELECT items, count FROM assoc.frequent_itemsets('SELECT b, i FROM rnd', min_support, max_len))) d
$$;

CREATE FUNCTION diff_rules(min_support float8, min_conf float8, max_len int, max_cons int) RETURNS bigint
LANGUAGE sql AS $$
  WITH a AS (SELECT antecedent, consequent, count, round(support::numeric, 9) s, round(confidence::numeric, 9) c,
                    round(lift::numeric, 9) l, round(leverage::numeric, 9) v,
                    CASE WHEN conviction = 'Infinity' THEN -1 ELSE round(conviction::numeric, 9) END k
             FROM assoc.rules('SELECT b, i FROM rnd', min_support, min_conf, max_len, max_cons)),
  o AS (SELECT antecedent, consequent, cnt, round(support::numeric, 9), round(confidence::numeric, 9),
               round(lift::numeric, 9), round(leverage::numeric, 9),
               CASE WHEN conviction = 'Infinity' THEN -1 ELSE round(conviction::numeric, 9) END
        FROM oracle_rules(min_support, min_conf, max_len, max_cons))
  SELECT count(*) FROM ((SELECT * FROM a EXCEPT ALL SELECT * FROM o) UNION ALL (SELECT * FROM o EXCEPT ALL SELECT * FROM a)) d
$$;

-- the aggregate form, serial, against the source-query form
CREATE FUNCTION diff_aggregate(min_support float8) RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM (
    (SELECT * FROM assoc.frequent_itemsets('SELECT b, i FROM rnd', min_support)
     EXCEPT ALL SELECT * FROM assoc.frequent_itemsets((SELECT assoc.basket_agg(b, i) FROM rnd), min_support))
    UNION ALL
    (SELECT * FROM assoc.frequent_itemsets((SELECT assoc.basket_agg(b, i) FROM rnd), min_support)
     EXCEPT ALL SELECT * FROM assoc.frequent_itemsets('SELECT b, i FROM rnd', min_support))) d
$$;

CREATE TABLE cases AS
SELECT c AS case_no, (c * 0.0097)::float8 AS seed,
       5 + (c * 7) % 56 AS nbaskets, 2 + (c * 5) % 8 AS nitems, 3 + (c * 3) % 8 AS maxsize,
       c % 4 = 0 AS with_all,
       (ARRAY[0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0])[1 + c % 8]::float8 AS min_support,
       (ARRAY[0.0, 0.2, 0.5, 0.8, 1.0])[1 + c % 5]::float8 AS min_conf,
       (ARRAY[NULL, 2, 3, NULL])[1 + c % 4] AS max_len,
       (ARRAY[1, NULL, 2])[1 + c % 3] AS max_cons
FROM generate_series(1, 100) c;

-- odd cases count pairs per item instead of in a table (assoc.pair_table), so both ways are covered
CREATE TABLE outcome(case_no int, itemsets_found bigint, rules_found bigint,
                     itemset_diffs bigint, rule_diffs bigint, aggregate_diffs bigint);
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT * FROM cases ORDER BY case_no LOOP
    PERFORM make_data(r.seed, r.nbaskets, r.nitems, r.maxsize, r.with_all);
    PERFORM set_config('assoc.pair_table', (r.case_no % 2 = 0)::text, true);
    INSERT INTO outcome VALUES (r.case_no,
      (SELECT count(*) FROM oracle_itemsets(r.min_support, r.max_len)),
      (SELECT count(*) FROM oracle_rules(r.min_support, r.min_conf, r.max_len, r.max_cons)),
      diff_itemsets(r.min_support, r.max_len),
      diff_rules(r.min_support, r.min_conf, r.max_len, r.max_cons),
      diff_aggregate(r.min_support));
  END LOOP;
END $$;

-- the oracle found work to compare (not all empty) ...
SELECT count(*) AS cases, sum(itemsets_found) > 1000 AS many_itemsets, sum(rules_found) > 1000 AS many_rules,
       count(*) FILTER (WHERE rules_found > 0) > 50 AS most_cases_have_rules
FROM outcome;
-- ... and assoc agrees everywhere
SELECT * FROM outcome WHERE itemset_diffs <> 0 OR rule_diffs <> 0 OR aggregate_diffs <> 0;

DROP TABLE rnd, item_idx, cases, outcome;
DROP FUNCTION make_data, oracle_counts, oracle_itemsets, oracle_rules, diff_itemsets, diff_rules, diff_aggregate;
