-- The basket aggregate in a parallel plan: partial states are built by workers,
-- travel to the leader in their flat form and are combined there.  The results
-- must equal the serial plan and the source-query function.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;

\getenv abs_srcdir PG_ABS_SRCDIR
\set groceries_file :abs_srcdir '/demo/data/groceries.csv'
CREATE TABLE groceries_raw(basket serial, line text);
COPY groceries_raw(line) FROM :'groceries_file' WITH (FORMAT text);
-- rows of one basket are spread over the table, so workers see parts of baskets
CREATE TABLE pg_lines AS
SELECT basket, item, basket % 3 AS store FROM groceries_raw, string_to_table(line, ',') AS item
ORDER BY md5(basket::text || item);
ANALYZE pg_lines;

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TABLE serial_sets AS
SELECT * FROM assoc.frequent_itemsets((SELECT assoc.basket_agg(basket, item) FROM pg_lines), 0.005);
CREATE TABLE serial_rules AS
SELECT * FROM assoc.rules((SELECT assoc.basket_agg(basket, item) FROM pg_lines), 0.005, 0.2);

-- forced parallel
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT assoc.basket_agg(basket, item) FROM pg_lines;
EXPLAIN (COSTS OFF) SELECT store, assoc.basket_agg(basket, item) FROM pg_lines GROUP BY store;

CREATE TABLE parallel_sets AS
SELECT * FROM assoc.frequent_itemsets((SELECT assoc.basket_agg(basket, item) FROM pg_lines), 0.005);
CREATE TABLE parallel_rules AS
SELECT * FROM assoc.rules((SELECT assoc.basket_agg(basket, item) FROM pg_lines), 0.005, 0.2);
SELECT * FROM assoc.basket_stats((SELECT assoc.basket_agg(basket, item) FROM pg_lines));
RESET parallel_leader_participation;

CREATE TABLE source_sets AS SELECT * FROM assoc.frequent_itemsets('SELECT basket, item FROM pg_lines', 0.005);

SELECT (SELECT count(*) FROM serial_sets) AS itemsets, (SELECT count(*) FROM serial_rules) AS rules;
SELECT count(*) AS parallel_vs_serial_diffs FROM (
  (SELECT * FROM parallel_sets EXCEPT ALL SELECT * FROM serial_sets)
  UNION ALL (SELECT * FROM serial_sets EXCEPT ALL SELECT * FROM parallel_sets)) d;
SELECT count(*) AS source_vs_serial_diffs FROM (
  (SELECT * FROM source_sets EXCEPT ALL SELECT * FROM serial_sets)
  UNION ALL (SELECT * FROM serial_sets EXCEPT ALL SELECT * FROM source_sets)) d;
SELECT count(*) AS parallel_vs_serial_rule_diffs FROM (
  (SELECT * FROM parallel_rules EXCEPT ALL SELECT * FROM serial_rules)
  UNION ALL (SELECT * FROM serial_rules EXCEPT ALL SELECT * FROM parallel_rules)) d;

-- per segment, in parallel, equals mining each segment's rows with the source function
CREATE TABLE seg_parallel AS
SELECT s.store, f.* FROM (SELECT store, assoc.basket_agg(basket, item) AS b FROM pg_lines GROUP BY store) s,
       LATERAL assoc.frequent_itemsets(s.b, 0.01) f;
CREATE TABLE seg_source AS
SELECT st AS store, f.* FROM generate_series(0, 2) st,
       LATERAL assoc.frequent_itemsets(format('SELECT basket, item FROM pg_lines WHERE store = %s', st), 0.01) f;
SELECT store, count(*) FROM seg_parallel GROUP BY store ORDER BY store;
SELECT count(*) AS segment_diffs FROM (
  (SELECT * FROM seg_parallel EXCEPT ALL SELECT * FROM seg_source)
  UNION ALL (SELECT * FROM seg_source EXCEPT ALL SELECT * FROM seg_parallel)) d;

-- the state's text and binary forms round-trip exactly (as a distributed planner ships them)
SELECT '/tmp/assoc_regress_state_' || pg_backend_pid() || '.bin' AS bin_file \gset
CREATE TABLE state_copy(b assoc.baskets);
INSERT INTO state_copy SELECT assoc.basket_agg(basket, item)::text::assoc.baskets FROM pg_lines;
COPY state_copy TO :'bin_file' WITH (FORMAT binary);
TRUNCATE state_copy;
COPY state_copy FROM :'bin_file' WITH (FORMAT binary);
SELECT count(*) AS roundtrip_diffs FROM (
  (SELECT f.* FROM state_copy, LATERAL assoc.frequent_itemsets(b, 0.005) f EXCEPT ALL SELECT * FROM serial_sets)
  UNION ALL (SELECT * FROM serial_sets EXCEPT ALL SELECT f.* FROM state_copy, LATERAL assoc.frequent_itemsets(b, 0.005) f)) d;
-- a coordinator combines partial states shipped from shards: the same baskets come out
CREATE AGGREGATE combine_states(assoc.baskets) (SFUNC = assoc.basket_agg_combine, STYPE = assoc.baskets);
CREATE TABLE shard_states AS
SELECT basket % 4 AS shard, assoc.basket_agg(basket, item)::text AS state FROM pg_lines GROUP BY 1
UNION ALL SELECT 9, assoc.basket_agg(basket, item)::text FROM pg_lines WHERE item = 'whole milk';
SELECT * FROM assoc.basket_stats((SELECT combine_states(state::assoc.baskets) FROM shard_states));
SELECT count(*) AS combined_diffs FROM (
  (SELECT f.* FROM (SELECT combine_states(state::assoc.baskets) b FROM shard_states) s,
          LATERAL assoc.frequent_itemsets(s.b, 0.005) f EXCEPT ALL SELECT * FROM serial_sets)
  UNION ALL (SELECT * FROM serial_sets EXCEPT ALL SELECT f.* FROM (SELECT combine_states(state::assoc.baskets) b FROM shard_states) s,
          LATERAL assoc.frequent_itemsets(s.b, 0.005) f)) d;
DROP AGGREGATE combine_states(assoc.baskets);
DROP TABLE shard_states;

RESET ALL;
DROP TABLE groceries_raw, pg_lines, serial_sets, serial_rules, parallel_sets, parallel_rules, source_sets,
  seg_parallel, seg_source, state_copy;
