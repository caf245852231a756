-- Serving from the registry: assoc.model(name) and the model caches.
-- Models read through assoc.model arrive as TOAST pointers, so assoc.recommend,
-- recommend_for_cart, predict and predict_cluster find them in the
-- per-backend cache (assoc.model_cache_stats) whether assoc.model is called
-- per row or once per statement; results equal those of the same bytes
-- passed as a computed value (decoded per call site, never cached per backend).
-- Deploys in other sessions: specs/serve_cache.spec.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
SELECT plan(26);

SELECT is((SELECT l.lanname::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
		   WHERE p.oid = 'assoc.model(text, integer)'::regprocedure), 'plpgsql',
		  'assoc.model is PL/pgSQL (plans kept per backend)');
SELECT volatility_is('assoc', 'model', ARRAY['text', 'integer'], 'stable', 'assoc.model is STABLE');
SELECT is((SELECT proparallel::text FROM pg_proc WHERE oid = 'assoc.model(text, integer)'::regprocedure), 's',
		  'assoc.model is PARALLEL SAFE');

CREATE TEMP TABLE rs_rows AS
SELECT r, ARRAY(SELECT 10 * (r % 6) + sin(r * j) FROM generate_series(1, 300) j)::float8[] AS f,
	   sin(r * 0.37) > 0 AS y
FROM generate_series(1, 600) r;
CREATE TEMP TABLE rs_small AS
SELECT r, ARRAY[sin(r), cos(r * 3)]::float8[] AS f, sin(r) + 0.3 * cos(r * 7) > 0 AS y
FROM generate_series(1, 300) r;
CREATE TEMP TABLE rs_als AS
SELECT u::bigint AS u, i::bigint AS i FROM generate_series(1, 200) u, generate_series(1, 100) i
WHERE i % 5 = u % 5 AND (u * 7 + i * 3) % 10 < 6;
CREATE TEMP TABLE rs_baskets AS
SELECT b, 'a' || (1 + (b * k) % 23) AS item FROM generate_series(1, 400) b, generate_series(1, 6) k;
CREATE TEMP TABLE rs_carts AS
SELECT c, ARRAY['a' || (1 + c % 23), 'a' || (1 + (3 * c) % 23)] AS cart FROM generate_series(1, 60) c;

SELECT assoc.save_model('rs_logit', assoc.train_logistic(f, y), deploy => true) FROM rs_rows;
SELECT assoc.save_model('rs_logit', assoc.train_logistic(f, NOT y)) FROM rs_rows;
SELECT assoc.save_model('rs_km', assoc.train_kmeans(f, 2), deploy => true) FROM rs_rows;
SELECT assoc.save_model('rs_km', assoc.train_kmeans(f, 6)) FROM rs_rows;
SELECT assoc.save_model('rs_small', assoc.train_logistic(f, y), deploy => true) FROM rs_small;
SELECT assoc.save_model('rs_als', assoc.train_als(u, i, 1, '{"factors": 8, "max_iter": 3}'), deploy => true) FROM rs_als;
SELECT assoc.save_model('rs_rules', assoc.train_rules('SELECT b, item FROM pg_temp.rs_baskets', 0.02, 0.3), deploy => true);

-- cache counters before and after a statement
CREATE TEMP TABLE rs_stats(at text PRIMARY KEY, hits bigint, decodes bigint);
CREATE FUNCTION pg_temp.mark(at text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO rs_stats SELECT at, hits, decodes FROM assoc.model_cache_stats()
	ON CONFLICT (at) DO UPDATE SET hits = excluded.hits, decodes = excluded.decodes $$;
CREATE FUNCTION pg_temp.delta(a text, b text) RETURNS text LANGUAGE sql AS $$
	SELECT format('%s decodes, %s hits', y.decodes - x.decodes, y.hits - x.hits)
	FROM rs_stats x, rs_stats y WHERE x.at = a AND y.at = b $$;

-- predict, assoc.model per row: decoded once for 600 rows, then served per backend
SELECT pg_temp.mark('p0');
CREATE TEMP TABLE rs_p AS SELECT r, assoc.predict(assoc.model('rs_logit'), f) AS p FROM rs_rows;
SELECT pg_temp.mark('p1');
CREATE TEMP TABLE rs_p2 AS SELECT r, assoc.predict(assoc.model('rs_logit'), f) AS p FROM rs_rows;
SELECT pg_temp.mark('p2');
SELECT is(pg_temp.delta('p0', 'p1'), '1 decodes, 599 hits', 'predict, assoc.model per row: one decode for 600 rows');
SELECT is(pg_temp.delta('p1', 'p2'), '0 decodes, 600 hits', 'predict: the next statement decodes nothing');
SELECT is((SELECT count(*) FROM rs_rows x JOIN rs_p USING (r)
		   WHERE p IS DISTINCT FROM assoc.predict((SELECT model || ''::bytea FROM assoc.models
												   WHERE name = 'rs_logit' AND version = 1), x.f)),
		  0::bigint, 'predict: per-row assoc.model = the same bytes decoded per call site');
SELECT is((SELECT count(*) FROM rs_rows x JOIN rs_p USING (r)
		   WHERE p IS DISTINCT FROM assoc.predict((SELECT assoc.model('rs_logit')), x.f)),
		  0::bigint, 'predict: per-row assoc.model = (SELECT assoc.model(name))');

-- two versions alternating row by row at one call site
SELECT is((SELECT count(*) FROM rs_rows
		   WHERE assoc.predict(assoc.model('rs_logit', 1 + r % 2), f) IS DISTINCT FROM
				 CASE r % 2 WHEN 0 THEN assoc.predict((SELECT assoc.model('rs_logit', 1)), f)
							ELSE assoc.predict((SELECT assoc.model('rs_logit', 2)), f) END),
		  0::bigint, 'predict: two versions alternating per row, each row scored by its own');
SELECT is((SELECT count(*) FROM rs_rows
		   WHERE (assoc.predict((SELECT assoc.model('rs_logit', 1)), f) > 0.5) =
				 (assoc.predict((SELECT assoc.model('rs_logit', 2)), f) > 0.5)),
		  0::bigint, 'predict: the versions disagree on every row (v2 models NOT y)');

-- predict_cluster
SELECT pg_temp.mark('c0');
CREATE TEMP TABLE rs_c AS SELECT r, assoc.predict_cluster(assoc.model('rs_km'), f) AS c FROM rs_rows;
SELECT pg_temp.mark('c1');
SELECT is(pg_temp.delta('c0', 'c1'), '1 decodes, 599 hits', 'predict_cluster, assoc.model per row: one decode');
SELECT is((SELECT count(*) FROM rs_rows x JOIN rs_c USING (r)
		   WHERE c IS DISTINCT FROM assoc.predict_cluster((SELECT model || ''::bytea FROM assoc.models
														   WHERE name = 'rs_km' AND version = 1), x.f)),
		  0::bigint, 'predict_cluster: per-row assoc.model = the same bytes decoded per call site');
SELECT is((SELECT count(*) FROM rs_rows
		   WHERE assoc.predict_cluster(assoc.model('rs_km', 1 + r % 2), f) IS DISTINCT FROM
				 CASE r % 2 WHEN 0 THEN assoc.predict_cluster((SELECT assoc.model('rs_km', 1)), f)
							ELSE assoc.predict_cluster((SELECT assoc.model('rs_km', 2)), f) END),
		  0::bigint, 'predict_cluster: two versions alternating per row');
SELECT is((SELECT max(assoc.predict_cluster(assoc.model('rs_km', 2), f)) FROM rs_rows), 5,
		  'predict_cluster: version 2 has 6 clusters');

-- recommend and recommend_for_cart in LATERAL joins, assoc.model per outer row
SELECT pg_temp.mark('r0');
CREATE TEMP TABLE rs_r AS
SELECT u, x.item_id, x.score FROM generate_series(1, 50) u, assoc.recommend(assoc.model('rs_als'), u, 5) x;
SELECT pg_temp.mark('r1');
SELECT is(pg_temp.delta('r0', 'r1'), '1 decodes, 49 hits', 'recommend, assoc.model per user: one decode for 50 users');
SELECT is((SELECT count(*) FROM rs_r), 250::bigint, 'recommend: 5 items for each of 50 users');
SELECT bag_eq('SELECT u, item_id, score FROM rs_r',
			  $$SELECT u, x.item_id, x.score FROM generate_series(1, 50) u,
					 assoc.recommend((SELECT model || ''::bytea FROM assoc.models WHERE name = 'rs_als'), u, 5) x$$,
			  'recommend: per-row assoc.model = the same bytes decoded per call site');
SELECT pg_temp.mark('k0');
CREATE TEMP TABLE rs_k AS
SELECT c, x.item, x.score FROM rs_carts, assoc.recommend_for_cart(assoc.model('rs_rules'), cart, 3) x;
SELECT pg_temp.mark('k1');
SELECT is(pg_temp.delta('k0', 'k1'), '1 decodes, 59 hits', 'recommend_for_cart, assoc.model per cart: one decode for 60 carts');
SELECT cmp_ok((SELECT count(*) FROM rs_k), '>', 60::bigint, 'recommend_for_cart: rules fire');
SELECT bag_eq('SELECT c, item, score FROM rs_k',
			  $$SELECT c, x.item, x.score FROM rs_carts,
					 assoc.recommend_for_cart((SELECT model || ''::bytea FROM assoc.models WHERE name = 'rs_rules'), cart, 3) x$$,
			  'recommend_for_cart: per-row assoc.model = the same bytes decoded per call site');

-- a small model is stored inline: cached per call site, never per backend
SELECT pg_temp.mark('s0');
CREATE TEMP TABLE rs_s AS SELECT r, assoc.predict(assoc.model('rs_small'), f) AS p FROM rs_small;
SELECT pg_temp.mark('s1');
SELECT is(pg_temp.delta('s0', 's1'), '0 decodes, 0 hits', 'a model under 2 kB (inline) does not enter the per-backend cache');
SELECT is((SELECT count(*) FROM rs_small x JOIN rs_s USING (r)
		   WHERE p IS DISTINCT FROM assoc.predict((SELECT assoc.model('rs_small')), x.f)),
		  0::bigint, 'the inline model scores the same per row and once per statement');

-- a deploy in this transaction is seen by the next statement
SELECT pg_temp.mark('d0');
SELECT assoc.deploy('rs_logit', 2);
SELECT is((SELECT count(*) FROM rs_rows x JOIN rs_p USING (r)
		   WHERE abs(assoc.predict(assoc.model('rs_logit'), x.f) - (1 - p)) > 0.5), 0::bigint,
		  'after a deploy the next statement scores with the new version');
SELECT pg_temp.mark('d1');
SELECT is(pg_temp.delta('d0', 'd1'), '0 decodes, 600 hits', 'the new version comes from the cache (the alternating test decoded it)');
SELECT assoc.rollback('rs_logit');
SELECT is((SELECT count(*) FROM rs_rows x JOIN rs_p USING (r)
		   WHERE assoc.predict(assoc.model('rs_logit'), x.f) IS DISTINCT FROM p), 0::bigint,
		  'after a rollback the old version scores again');
SELECT pg_temp.mark('d2');
SELECT is(pg_temp.delta('d1', 'd2'), '0 decodes, 600 hits', 'the rolled-back-to version comes from the cache');

-- errors keep their codes
SELECT throws_ok($$SELECT assoc.model('rs no such model')$$, '42704', NULL, 'unknown name: 42704');

SELECT * FROM finish();
ROLLBACK;
