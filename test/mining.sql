-- pgTAP: the SQL surface of mining (names, signatures, labels) and its error codes.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SELECT plan(35);

SELECT has_schema('assoc');
SELECT has_type('assoc', 'baskets', 'type assoc.baskets exists');
SELECT has_function('assoc', 'frequent_itemsets', ARRAY['text', 'double precision', 'integer']);
SELECT has_function('assoc', 'frequent_itemsets', ARRAY['assoc.baskets', 'double precision', 'integer']);
SELECT has_function('assoc', 'rules', ARRAY['text', 'double precision', 'double precision', 'integer', 'integer']);
SELECT has_function('assoc', 'rules', ARRAY['assoc.baskets', 'double precision', 'double precision', 'integer', 'integer']);
SELECT is_aggregate('assoc', 'basket_agg', ARRAY['"any"', '"any"']);
SELECT is_aggregate('assoc', 'basket_agg', ARRAY['anyarray']);
SELECT volatility_is('assoc', 'frequent_itemsets', ARRAY['text', 'double precision', 'integer'], 'volatile',
  'the source-query form runs arbitrary SQL: volatile');
SELECT volatility_is('assoc', 'frequent_itemsets', ARRAY['assoc.baskets', 'double precision', 'integer'], 'stable',
  'the basket-set form reads assoc.mining_mem: stable');
SELECT function_returns('assoc', 'frequent_itemsets', ARRAY['text', 'double precision', 'integer'], 'setof record');

-- the result columns are exactly the documented ones
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = 'assoc.rules(text,float8,float8,int,int)'::regprocedure),
  ARRAY['source','min_support','min_confidence','max_len','max_consequent','antecedent','consequent',
        'count','support','confidence','lift','leverage','conviction'],
  'assoc.rules has the documented parameter and column names');
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = 'assoc.frequent_itemsets(text,float8,int)'::regprocedure),
  ARRAY['source','min_support','max_len','items','count','support'],
  'assoc.frequent_itemsets has the documented parameter and column names');

-- parallel safety labels
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'assoc.basket_agg("any","any")'::regprocedure), 's',
  'basket_agg is parallel safe');
SELECT is((SELECT aggcombinefn::text FROM pg_aggregate WHERE aggfnoid = 'assoc.basket_agg("any","any")'::regprocedure),
  'assoc.basket_agg_combine', 'basket_agg has a combine function');
SELECT isnt((SELECT aggtranstype::regtype FROM pg_aggregate WHERE aggfnoid = 'assoc.basket_agg("any","any")'::regprocedure),
  'internal'::regtype, 'the state type is not internal, so it can travel between nodes');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'assoc.frequent_itemsets(text,float8,int)'::regprocedure), 'r',
  'the source-query form is parallel restricted (runs its query in the leader)');

-- error codes
CREATE TEMP TABLE t AS SELECT g % 10 AS b, g % 3 AS i FROM generate_series(1, 100) g;
SELECT throws_ok($$SELECT * FROM assoc.frequent_itemsets('SELECT b, i FROM t', 0)$$, '22023');
SELECT throws_ok($$SELECT * FROM assoc.frequent_itemsets('SELECT b, i FROM t', 1.01)$$, '22023');
SELECT throws_ok($$SELECT * FROM assoc.frequent_itemsets('SELECT b, i FROM t', NULL)$$, '22004');
SELECT throws_ok($$SELECT * FROM assoc.frequent_itemsets('SELECT b, i FROM t', 0.1, 0)$$, '22023');
SELECT throws_ok($$SELECT * FROM assoc.rules('SELECT b, i FROM t', 0.1, 2)$$, '22023');
SELECT throws_ok($$SELECT * FROM assoc.rules('SELECT b, i FROM t', 0.1, 0.5, NULL, 0)$$, '22023');
SELECT throws_ok($$SELECT * FROM assoc.frequent_itemsets('SELECT b FROM t', 0.1)$$, '42804');
SELECT throws_ok($$SELECT * FROM assoc.frequent_itemsets('SELEC b, i FROM t', 0.1)$$, '42601');
SELECT throws_ok($$SELECT * FROM assoc.frequent_itemsets('DELETE FROM t RETURNING b, i', 0.1)$$, '22023');
SELECT throws_ok($$SELECT * FROM assoc.frequent_itemsets('WITH d AS (UPDATE t SET i = 0 RETURNING b, i) SELECT * FROM d', 0.1)$$, '22023');
SELECT is((SELECT count(*) FROM t WHERE i = 0), 33::bigint, 'refused sources wrote nothing');
SELECT throws_ok($$SELECT 'AQEBAA=='::assoc.baskets$$, 'XX001');
SELECT throws_ok($$SELECT '@@@'::assoc.baskets$$, '22P02');
SET LOCAL assoc.mining_mem = '1MB';
SELECT throws_ok($$SELECT count(*) FROM assoc.frequent_itemsets('SELECT b, i FROM generate_series(1, 20) b, generate_series(1, 40) i', 0.01)$$,
  '54000', 'mining needs more memory than assoc.mining_mem allows', 'an explosion ends in an error naming the limit');
RESET assoc.mining_mem;

-- results
SELECT results_eq(
  $$SELECT items, count FROM assoc.frequent_itemsets('SELECT b, i FROM t', 0.5) ORDER BY items$$,
  $$VALUES (ARRAY['0'], 10::bigint), (ARRAY['0','1'], 10), (ARRAY['0','1','2'], 10), (ARRAY['0','2'], 10),
           (ARRAY['1'], 10), (ARRAY['1','2'], 10), (ARRAY['2'], 10)$$,
  'every basket holds 0, 1 and 2');
SELECT is((SELECT count(*) FROM assoc.rules('SELECT b, i FROM t', 0.5, 1, NULL, NULL)), 12::bigint,
  'every split of {0,1,2} and its pairs is a rule at confidence 1');
SELECT is((SELECT bool_and(conviction = 'Infinity') FROM assoc.rules('SELECT b, i FROM t', 0.5, 1)), true,
  'conviction is Infinity at confidence 1');
SELECT is((SELECT count(*) FROM assoc.frequent_itemsets('SELECT 1, 1 WHERE false', 0.5)), 0::bigint,
  'an empty source gives no rows');

SELECT * FROM finish();
ROLLBACK;
