-- pgTAP: k-means segmentation (run with pg_prove test/kmeans.sql)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
SELECT plan(38);

-- the SQL face
SELECT has_function('assoc', 'train_kmeans', ARRAY['double precision[]', 'integer']);
SELECT has_function('assoc', 'train_kmeans', ARRAY['double precision[]', 'integer', 'jsonb']);
SELECT is_aggregate('assoc', 'train_kmeans', ARRAY['double precision[]', 'integer', 'jsonb']);
SELECT has_function('assoc', 'kmeans_choose_k', ARRAY['text', 'integer', 'integer', 'jsonb']);
SELECT has_function('assoc', 'predict_cluster', ARRAY['bytea', 'double precision[]']);
SELECT has_function('assoc', 'cluster_distance', ARRAY['bytea', 'double precision[]']);
SELECT has_function('assoc', 'cluster_distances', ARRAY['bytea', 'double precision[]']);
SELECT has_function('assoc', 'cluster_centroids', ARRAY['bytea']);
SELECT volatility_is('assoc', 'predict_cluster', ARRAY['bytea', 'double precision[]'], 'immutable');
SELECT volatility_is('assoc', 'kmeans_choose_k', ARRAY['text', 'integer', 'integer', 'jsonb'], 'volatile');
SELECT is((SELECT proparallel FROM pg_proc WHERE oid = 'assoc.train_kmeans(float8[], int, jsonb)'::regprocedure),
	's', 'train_kmeans is parallel safe');
-- single-stage: partial states only carried the rows, with more copies (docs/kmeans.md)
SELECT is((SELECT count(*) FROM pg_aggregate
		   WHERE aggfnoid IN ('assoc.train_kmeans(float8[], int, jsonb)'::regprocedure,
							  'assoc.train_kmeans(float8[], int)'::regprocedure)
			 AND aggcombinefn = 0 AND aggserialfn = 0 AND aggdeserialfn = 0)::int,
	2, 'train_kmeans is single-stage: no combine, serial or deserial function');
SELECT is((SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		   WHERE n.nspname = 'assoc' AND (p.proname LIKE 'kmeans%' OR p.proname LIKE '%cluster%')
			 AND obj_description(p.oid, 'pg_proc') IS NULL)::int,
	0, 'every k-means function has a comment');

-- data: 3 clusters in 2-d, jitter from a hash
CREATE TEMP TABLE tp AS
SELECT i, ARRAY[(i % 3) * 20 + (hashint4(i) % 100) / 50.0, (i % 3) * -10 + (hashint4(-i) % 100) / 50.0]::float8[] AS f
FROM generate_series(1, 600) i;
CREATE TEMP TABLE tm AS SELECT assoc.train_kmeans(f, 3, '{"seed": 7}') AS m FROM tp;

SELECT is(assoc.model_info(m)->>'kind', 'kmeans', 'model_info names the kind') FROM tm;
SELECT is((assoc.model_info(m)->>'dim1')::int * 10 + (assoc.model_info(m)->>'dim2')::int, 23,
	'dimensions are features (2) and k (3)') FROM tm;
SELECT is((assoc.model_info(m)->>'training_rows')::int, 600, 'training rows') FROM tm;
SELECT results_eq(
	$$SELECT assoc.predict_cluster(m, f) AS cluster, count(*) AS n FROM tp, tm GROUP BY 1 ORDER BY 1$$,
	$$SELECT cluster, size FROM tm, assoc.cluster_centroids(m) ORDER BY 1$$,
	'predict_cluster on the training rows gives the sizes in the model');
SELECT is((SELECT count(DISTINCT assoc.predict_cluster(m, f)) FROM tp, tm WHERE i % 3 = r)::int, 1,
	'planted cluster ' || r || ' is one cluster')
FROM generate_series(0, 2) r;
SELECT ok((SELECT bool_and(abs(assoc.cluster_distance(m, f) -
		(SELECT min(sqrt((x[1] - c.centroid[1]) ^ 2 + (x[2] - c.centroid[2]) ^ 2)) FROM assoc.cluster_centroids(m) c)) < 1e-9)
	FROM tp, tm, LATERAL (SELECT f AS x) s),
	'cluster_distance is the distance to the nearest centroid (brute force)');
SELECT ok((SELECT bool_and(assoc.cluster_distance(m, f) = (SELECT min(v) FROM unnest(assoc.cluster_distances(m, f)) v))
	FROM tp, tm), 'cluster_distance is the least of cluster_distances');

-- a window (two peer groups): the final function runs on the state of the first 300 rows,
-- then the state grows by 300 more rows and the final function runs again
SELECT results_eq(
	$$SELECT DISTINCT ON (i > 300) (SELECT array_agg(centroid ORDER BY cluster) FROM assoc.cluster_centroids(w))
	  FROM (SELECT i, assoc.train_kmeans(f, 3, '{"seed": 7}') OVER (ORDER BY i > 300) AS w FROM tp) x
	  ORDER BY i > 300$$,
	$$SELECT (SELECT array_agg(centroid ORDER BY cluster) FROM assoc.cluster_centroids(m))
	  FROM (SELECT 300 AS n, assoc.train_kmeans(f, 3, '{"seed": 7}') AS m FROM tp WHERE i <= 300
			UNION ALL SELECT 600, m FROM tm) y ORDER BY n$$,
	'a running window gives the models of the prefixes');

-- determinism
SELECT is((SELECT assoc.model_info(assoc.train_kmeans(f, 3, '{"seed": 7}')) - 'created_at' FROM (SELECT f FROM tp ORDER BY i DESC) x),
	(SELECT assoc.model_info(m) - 'created_at' FROM tm), 'the same model from rows in another order');

-- errors, by SQLSTATE
SELECT throws_ok($$SELECT assoc.train_kmeans(f, 0) FROM tp$$, '22023', NULL, 'k < 1');
SELECT throws_ok($$SELECT assoc.train_kmeans(ARRAY[1, 1]::float8[], 2) FROM tp$$, '22023',
	'k is greater than the number of distinct rows', 'k above the distinct rows');
SELECT throws_ok($$SELECT assoc.train_kmeans(CASE WHEN i = 5 THEN ARRAY[1, 2, 3] ELSE f END, 2) FROM tp$$, '2202E',
	'feature vectors must all have the same length', 'mixed lengths');
SELECT throws_ok($$SELECT assoc.train_kmeans(CASE WHEN i = 5 THEN ARRAY['NaN', 1]::float8[] ELSE f END, 2) FROM tp$$,
	'22023', 'features must be finite numbers', 'NaN');
SELECT throws_ok($$SELECT assoc.train_kmeans(CASE WHEN i = 5 THEN ARRAY[NULL, 1]::float8[] ELSE f END, 2) FROM tp$$,
	'22004', 'features must not contain NULL elements', 'NULL element');
SELECT throws_ok($$SELECT assoc.train_kmeans(f, 2) FROM tp WHERE false$$, '22023',
	'assoc.train_kmeans got no rows to cluster', 'empty input');
SELECT throws_ok($$SELECT assoc.predict_cluster(m, ARRAY[1.0]) FROM tm$$, '2202E', NULL, 'wrong length at scoring');
SELECT throws_ok($$SELECT assoc.predict_cluster(set_byte(m, 60, get_byte(m, 60) # 1), ARRAY[1, 2]) FROM tm$$,
	'XX001', 'assoc model is corrupted', 'corrupted model');
SELECT throws_ok($$SELECT assoc.predict_cluster('\x4153434d'::bytea, ARRAY[1, 2])$$, 'XX001', NULL, 'truncated header');
SELECT throws_ok($$SELECT assoc.train_kmeans(f, 2, '{"max_iter": "ten"}') FROM tp$$, '22023', NULL, 'bad option type');

-- the memory bound
SET LOCAL assoc.mining_mem = '64kB';
SELECT throws_ok($$SELECT assoc.train_kmeans(f, 2) FROM tp, generate_series(1, 10)$$, '54000', NULL,
	'rows beyond assoc.mining_mem are refused');
RESET assoc.mining_mem;

-- cancellation: statement_timeout stops a long training (interrupts are checked in the loops)
CREATE TEMP TABLE big AS
SELECT ARRAY(SELECT (hashint4(i * 8 + j) % 10000) / 100.0 FROM generate_series(0, 7) j)::float8[] AS f
FROM generate_series(1, 100000) i;
-- (pgTAP's throws_ok cannot catch a cancel: PL/pgSQL's OTHERS leaves query_canceled out)
CREATE FUNCTION pg_temp.cancelled_within(q text, seconds float8) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz := clock_timestamp();
BEGIN
	EXECUTE q;
	RETURN false;
EXCEPTION WHEN query_canceled THEN
	RETURN clock_timestamp() - t0 < seconds * interval '1 second';
END $$;
SET LOCAL statement_timeout = '300ms';
SELECT ok(pg_temp.cancelled_within($$SELECT assoc.train_kmeans(f, 200, '{"tol": 0, "max_iter": 100000, "n_init": 50}') FROM big$$, 3),
	'statement_timeout cancels training promptly');
SET LOCAL statement_timeout = '300ms';
SELECT ok(pg_temp.cancelled_within($$SELECT * FROM assoc.kmeans_choose_k('SELECT f FROM big', 50, 300, '{"tol": 0, "silhouette_sample": 100000}')$$, 3),
	'statement_timeout cancels kmeans_choose_k promptly');
RESET statement_timeout;
SELECT lives_ok($$SELECT assoc.train_kmeans(f, 2) FROM tp$$, 'the session is usable after a cancel');

SELECT * FROM finish();
ROLLBACK;
