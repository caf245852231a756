-- pgTAP: the recommendation API (signatures, labels, comments), error codes,
-- the memory bound, and the per-backend model cache.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
SELECT plan(45);

-- API
SELECT has_function('assoc', 'train_rules', ARRAY['text', 'double precision', 'double precision', 'integer', 'jsonb']);
SELECT has_function('assoc', 'train_rules', ARRAY['assoc.baskets', 'double precision', 'double precision', 'integer', 'jsonb']);
SELECT has_function('assoc', 'recommend_for_cart', ARRAY['bytea', 'text[]', 'integer', 'text[]', 'boolean']);
SELECT has_function('assoc', 'recommend', ARRAY['bytea', 'bigint', 'integer', 'boolean', 'bigint[]']);
SELECT has_function('assoc', 'recommend_for_items', ARRAY['bytea', 'bigint[]', 'integer', 'double precision[]', 'boolean', 'bigint[]']);
SELECT has_function('assoc', 'similar_items', ARRAY['bytea', 'bigint', 'integer', 'bigint[]']);
SELECT has_function('assoc', 'als_factors', ARRAY['bytea', 'text']);
SELECT has_function('assoc', 'model_cache_stats', '{}'::text[]);
SELECT is_aggregate('assoc', 'train_als', ARRAY['bigint', 'bigint', 'double precision', 'jsonb']);
SELECT is_aggregate('assoc', 'train_als', ARRAY['bigint', 'bigint', 'double precision']);
SELECT volatility_is('assoc', 'recommend', ARRAY['bytea', 'bigint', 'integer', 'boolean', 'bigint[]'], 'immutable');
SELECT volatility_is('assoc', 'recommend_for_cart', ARRAY['bytea', 'text[]', 'integer', 'text[]', 'boolean'], 'immutable');
SELECT volatility_is('assoc', 'train_rules', ARRAY['text', 'double precision', 'double precision', 'integer', 'jsonb'], 'volatile');
SELECT is(
  (SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname = 'assoc' AND p.proname IN ('train_rules', 'recommend_for_cart', 'train_als', 'recommend',
     'recommend_for_items', 'similar_items', 'als_factors', 'model_cache_stats')
     AND p.proparallel <> 's' AND p.proname NOT IN ('train_rules', 'model_cache_stats')),
  0, 'serving functions and the training aggregate are parallel safe');
SELECT is(
  (SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname = 'assoc' AND (p.proname LIKE 'train_als%' OR p.proname IN ('train_rules', 'recommend_for_cart',
     'recommend', 'recommend_for_items', 'similar_items', 'als_factors', 'model_cache_stats'))
     AND obj_description(p.oid, 'pg_proc') IS NULL),
  0, 'every recommendation function has a comment');
SELECT is(
  (SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname = 'assoc' AND p.proname = 'train_als_transfn' AND p.proisstrict),
  0, 'the ALS transition functions are not strict');
SELECT is(
  (SELECT count(*)::int FROM pg_aggregate
   WHERE aggfnoid::regproc::text = 'assoc.train_als' AND aggcombinefn = 0 AND aggserialfn = 0 AND aggdeserialfn = 0),
  2, 'train_als is single-stage: no combine, serial or deserial function (docs/recommend.md)');

-- data and models
CREATE TEMP TABLE shop(basket int, item text);
INSERT INTO shop VALUES (1,'milk'),(1,'bread'),(2,'milk'),(2,'bread'),(3,'bread'),(3,'butter'),(4,'milk');
CREATE TEMP TABLE rows3 AS
SELECT (g % 40)::bigint AS u, ((g * 7) % 30)::bigint AS i, 1::float8 AS w FROM generate_series(1, 400) g;
CREATE TEMP TABLE models(name text PRIMARY KEY, model bytea);
INSERT INTO models VALUES
  ('rules', assoc.train_rules('SELECT basket, item FROM shop', 0.25, 0.1)),
  ('als', (SELECT assoc.train_als(u, i, w, '{"factors": 16, "max_iter": 2}') FROM rows3)),
  ('als2', (SELECT assoc.train_als(u, i, w, '{"factors": 16, "max_iter": 2, "seed": 5}') FROM rows3));

-- error codes
SELECT throws_ok($$SELECT * FROM assoc.recommend_for_cart((SELECT model FROM models WHERE name = 'rules'), NULL)$$,
  '22004', 'cart must not be null', 'NULL cart');
SELECT throws_ok($$SELECT * FROM assoc.recommend_for_cart((SELECT model FROM models WHERE name = 'rules'), '{milk}', 0)$$,
  '22023', 'k must be at least 1', 'k = 0');
SELECT throws_ok($$SELECT * FROM assoc.recommend((SELECT model FROM models WHERE name = 'als'), 1, NULL)$$,
  '22004', 'k must not be null', 'NULL k');
SELECT throws_ok($$SELECT * FROM assoc.recommend((SELECT model FROM models WHERE name = 'rules'), 1)$$,
  '22023', 'assoc model is a rules model, not a als model', 'wrong kind');
SELECT throws_ok($$SELECT * FROM assoc.recommend_for_cart((SELECT model FROM models WHERE name = 'als'), '{}')$$,
  '22023', 'assoc model is a als model, not a rules model', 'wrong kind');
SELECT throws_ok($$SELECT * FROM assoc.recommend('\x00010203'::bytea, 1)$$,
  '22023', 'bytea value is not an assoc model', 'not a model');
SELECT throws_ok($$SELECT * FROM assoc.recommend((SELECT set_byte(model, 200, get_byte(model, 200) # 1) FROM models WHERE name = 'als'), 1)$$,
  'XX001', 'assoc model is corrupted', 'flipped bit');
SELECT throws_ok($$SELECT * FROM assoc.similar_items((SELECT substr(model, 1, length(model) - 8) FROM models WHERE name = 'als'), 1)$$,
  'XX001', 'assoc model is corrupted', 'truncated');
SELECT throws_ok($$SELECT assoc.train_als(1, 1, -1)$$, '22023', NULL, 'negative weight');
SELECT throws_ok($$SELECT assoc.train_als(1, 1, 1, '{"factors": 2000}')$$, '22023', NULL, 'factors out of range');
SELECT throws_ok($$SELECT assoc.train_als(u, i, 0) FROM rows3$$, '22023', NULL, 'no positive weight');
SELECT throws_ok($$SELECT * FROM assoc.recommend_for_items((SELECT model FROM models WHERE name = 'als'), NULL)$$,
  '22004', 'items must not be null', 'NULL items');
SELECT throws_ok($$SELECT * FROM assoc.recommend_for_items((SELECT model FROM models WHERE name = 'als'), '{1,2}', 3, '{1}')$$,
  '2202E', 'weights must have as many elements as items', 'weights of another length');
SELECT throws_ok($$SELECT assoc.train_rules('SELECT basket, item FROM shop', 0.1, 0.5, options => '{"x": 1}')$$,
  '22023', NULL, 'unknown option');

-- the memory bound: an ERROR naming the setting, not the OOM killer
SET LOCAL assoc.mining_mem = '64kB';
SELECT throws_ok($$SELECT assoc.train_als(g, g % 100, 1) FROM generate_series(1, 20000) g$$,
  '54000', 'assoc.train_als needs more memory than assoc.mining_mem allows', 'ALS rows over the bound');
SELECT throws_ok($$SELECT assoc.train_rules('SELECT g / 3, g % 500 FROM generate_series(1, 30000) g', 0.0001, 0)$$,
  '54000', NULL, 'rules mining over the bound');
RESET assoc.mining_mem;

-- documented results
SELECT is((SELECT count(*)::int FROM assoc.recommend((SELECT model FROM models WHERE name = 'als'), -5)), 0, 'unknown user: no rows');
SELECT is((SELECT count(*)::int FROM assoc.similar_items((SELECT model FROM models WHERE name = 'als'), -5)), 0, 'unknown item: no rows');
SELECT is((SELECT count(*)::int FROM assoc.recommend((SELECT model FROM models WHERE name = 'als'), 1, 2147483647, false)),
  30, 'huge k: every item');
SELECT is((SELECT count(*)::int FROM assoc.recommend_for_cart((SELECT model FROM models WHERE name = 'rules'), '{}')), 0,
  'empty cart without fill: no rows');

-- the per-backend cache: a model read from a table is decoded once and then
-- served from memory by later statements; another stored value is decoded afresh
CREATE TEMP TABLE c0 AS SELECT * FROM assoc.model_cache_stats();
SELECT * FROM assoc.recommend((SELECT model FROM models WHERE name = 'als'), 1, 3);
SELECT * FROM assoc.recommend((SELECT model FROM models WHERE name = 'als'), 2, 3);
SELECT * FROM assoc.similar_items((SELECT model FROM models WHERE name = 'als'), 7, 3);
CREATE TEMP TABLE c1 AS SELECT * FROM assoc.model_cache_stats();
SELECT cmp_ok((SELECT c1.hits - c0.hits FROM c0, c1), '>=', 2::bigint, 'later calls are answered from the cache');
SELECT cmp_ok((SELECT c1.decodes - c0.decodes FROM c0, c1), '<=', 1::bigint, 'the model is decoded at most once');
CREATE TEMP TABLE before AS
  SELECT array_agg(item_id ORDER BY score DESC, item_id) AS items FROM assoc.recommend((SELECT model FROM models WHERE name = 'als'), 1, 5, false);
UPDATE models SET model = (SELECT model FROM models WHERE name = 'als2') WHERE name = 'als';
SELECT is((SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM assoc.recommend((SELECT model FROM models WHERE name = 'als'), 1, 5, false)),
          (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM assoc.recommend((SELECT model FROM models WHERE name = 'als2'), 1, 5, false)),
          'after an UPDATE the new model is served');
SELECT isnt((SELECT items FROM before),
          (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM assoc.recommend((SELECT model FROM models WHERE name = 'als'), 1, 5, false)),
          'and not the cached old one');
SELECT cmp_ok((SELECT models FROM assoc.model_cache_stats()), '<=', 8, 'the cache holds at most 8 models');
SELECT ok((SELECT bytes > 0 FROM assoc.model_cache_stats()), 'the cache reports its memory');

-- training honours statement_timeout, promptly
CREATE FUNCTION pg_temp.cancelled(sql text, OUT outcome text, OUT seconds float8) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  EXECUTE sql;
  outcome := 'finished';
  seconds := extract(epoch FROM clock_timestamp() - t0);
EXCEPTION WHEN query_canceled THEN
  outcome := 'cancelled';
  seconds := extract(epoch FROM clock_timestamp() - t0);
END $$;
SET LOCAL statement_timeout = '300ms';
CREATE TEMP TABLE timed AS SELECT * FROM pg_temp.cancelled(
  $$SELECT assoc.train_als(g % 3000, (g * 7919) % 2000, 1, '{"factors": 200, "max_iter": 1000}') FROM generate_series(1, 60000) g$$);
RESET statement_timeout;
SELECT is((SELECT outcome FROM timed), 'cancelled', 'statement_timeout cancels training');
SELECT cmp_ok((SELECT seconds FROM timed), '<', 3.0::float8, 'within a few seconds');

SELECT * FROM finish();
ROLLBACK;
