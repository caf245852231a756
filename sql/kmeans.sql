-- k-means segmentation: training aggregate, model_info, scoring, determinism, choosing k.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;

-- Planted clusters: 5 centres at least 100 apart in 4-d, 40 rows each, jitter in (-2, 2)
-- from hashint4 (deterministic, no random()).
CREATE TEMP TABLE planted AS
SELECT c AS truth, i,
	ARRAY(SELECT 100.0 * ((c * (j + 1)) % 5) + (hashint4(c * 100000 + i * 10 + j) % 2000) / 1000.0
		  FROM generate_series(0, 3) j)::float8[] AS f
FROM generate_series(0, 4) c, generate_series(1, 40) i;

-- Adjusted Rand index of two labellings, computed from the contingency table (exact numerics).
CREATE FUNCTION pg_temp.ari(truth int[], pred int[]) RETURNS numeric LANGUAGE sql AS $$
	WITH t AS (SELECT a, b FROM unnest(truth, pred) u(a, b)),
	s AS (SELECT (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*)::numeric n FROM t GROUP BY a, b) x) AS sij,
				 (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*)::numeric n FROM t GROUP BY a) x) AS sa,
				 (SELECT sum(n * (n - 1) / 2) FROM (SELECT count(*)::numeric n FROM t GROUP BY b) x) AS sb,
				 (SELECT count(*)::numeric FROM t) AS n)
	SELECT round((sij - sa * sb / (n * (n - 1) / 2)) / ((sa + sb) / 2 - sa * sb / (n * (n - 1) / 2)), 12) FROM s
$$;
-- the ARI itself: 1 for a relabelling, below 1 otherwise (hand-checked values)
SELECT pg_temp.ari('{0,0,1,1}', '{1,1,0,0}') AS same, pg_temp.ari('{0,0,1,1}', '{0,1,0,1}') AS crossed,
	pg_temp.ari('{0,0,0,1,1,1}', '{0,0,1,1,2,2}') AS partial;

-- k-means++ recovers the planted clusters for every seed tried
CREATE TEMP TABLE seeded AS
SELECT seed, (SELECT assoc.train_kmeans(f, 5, jsonb_build_object('seed', seed)) FROM planted) AS model
FROM generate_series(0, 9) seed;
SELECT seed, pg_temp.ari(array_agg(p.truth ORDER BY p.truth, p.i),
		array_agg(assoc.predict_cluster(s.model, p.f) ORDER BY p.truth, p.i)) AS ari,
	assoc.model_info(s.model)->'info'->'sizes' AS sizes
FROM seeded s, planted p GROUP BY s.seed, s.model ORDER BY s.seed;

-- model_info: everything but the creation time
SELECT key, value FROM seeded, jsonb_each(assoc.model_info(model))
WHERE seed = 0 AND key NOT IN ('created_at', 'info', 'loss') ORDER BY key;
SELECT key, CASE WHEN key = 'inertia' THEN to_jsonb(round((value #>> '{}')::numeric, 6)) ELSE value END
FROM seeded, jsonb_each(assoc.model_info(model)->'info') WHERE seed = 0 ORDER BY key;

-- centroids in the units of the features: each is the mean of its planted cluster
SELECT c.cluster, c.size, (SELECT array_agg(round(v::numeric, 4)) FROM unnest(c.centroid) v) AS centroid
FROM seeded s, assoc.cluster_centroids(s.model) c WHERE s.seed = 0 ORDER BY c.cluster;

-- brute force, in SQL, from the centroids: nearest cluster, distances, inertia, fixed point
CREATE TEMP TABLE bf AS
SELECT p.truth, p.i, p.f, c.cluster, c.centroid,
	sqrt((SELECT sum((x - y) ^ 2) FROM unnest(p.f, c.centroid) u(x, y))) AS dist
FROM planted p, seeded s, assoc.cluster_centroids(s.model) c WHERE s.seed = 0;
WITH m AS (SELECT model FROM seeded WHERE seed = 0),
nearest AS (SELECT DISTINCT ON (truth, i) truth, i, f, cluster, dist FROM bf ORDER BY truth, i, dist, cluster)
SELECT count(*) AS rows,
	bool_and(assoc.predict_cluster(m.model, n.f) = n.cluster) AS predict_is_nearest,
	max(abs(assoc.cluster_distance(m.model, n.f) - n.dist)) < 1e-9 AS distance_agrees,
	round(sum(n.dist ^ 2)::numeric, 6) AS brute_force_inertia,
	round((assoc.model_info(m.model)->'info'->>'inertia')::numeric, 6) AS model_inertia
FROM nearest n, m GROUP BY m.model;
SELECT count(*) AS distances, bool_and(abs(d.v - b.dist) < 1e-9) AS all_distances_agree
FROM seeded s
CROSS JOIN planted p
CROSS JOIN LATERAL unnest(assoc.cluster_distances(s.model, p.f)) WITH ORDINALITY d(v, o)
JOIN bf b ON b.truth = p.truth AND b.i = p.i AND b.cluster = d.o - 1
WHERE s.seed = 0;
-- converged: every centroid is the mean of the rows assigned to it
SELECT bool_and(abs(c.centroid[j] - m.mean) < 1e-9) AS centroids_are_means
FROM seeded s, assoc.cluster_centroids(s.model) c, generate_subscripts(c.centroid, 1) j,
	LATERAL (SELECT avg(p.f[j]) AS mean FROM planted p WHERE assoc.predict_cluster(s.model, p.f) = c.cluster) m
WHERE s.seed = 0;

-- the model depends on the rows, not on the order the aggregate sees them
SELECT (SELECT array_agg(centroid ORDER BY cluster) FROM assoc.cluster_centroids(a.m)) =
	   (SELECT array_agg(centroid ORDER BY cluster) FROM assoc.cluster_centroids(b.m)) AS same_centroids
FROM (SELECT assoc.train_kmeans(f, 5, '{"seed": 3}') AS m FROM (SELECT f FROM planted ORDER BY truth, i) x) a,
	 (SELECT assoc.train_kmeans(f, 5, '{"seed": 3}') AS m FROM (SELECT f FROM planted ORDER BY md5(i::text || truth), i) x) b;

-- one model per group (GROUP BY segment), NULL vectors skipped
SELECT low, assoc.model_info(m)->'info'->'sizes' AS sizes, assoc.model_info(m)->'training_rows' AS rows
FROM (SELECT truth < 2 AS low, assoc.train_kmeans(CASE WHEN i <= 35 THEN f END, 2) AS m
	  FROM planted GROUP BY 1) x
ORDER BY 1;

-- a new point next to the centre of planted cluster 3, (300, 100, 400, 200)
SELECT assoc.predict_cluster(s.model, ARRAY[301, 99, 401, 199]) = assoc.predict_cluster(s.model, p.f) AS same_cluster_as_truth_3
FROM seeded s, planted p WHERE s.seed = 0 AND p.truth = 3 AND p.i = 1;

-- Empty clusters, by hand: rows 0, 1, 2, 10, 11 from centroids 0, 1, 100.
-- Iteration 1: {0} {1, 2, 10, 11} {} -> 11 (farthest from its centroid 1) re-seeds cluster 2;
-- means 0, 13/3, 11.  Iteration 2: {0, 1, 2} {} {10, 11} -> 2 (farthest from 0) re-seeds
-- cluster 1; means 0.5, 2, 10.5.  Iteration 3 changes one label (2 was counted in cluster 1
-- already) and moves no centroid: converged, inertia 0.25 * 4 = 1.
-- scikit-learn's KMeans(init=[[0], [1], [100]], tol=0) ends in the same place; it takes a 4th
-- iteration because its re-seeding leaves a rounding trace (a shift of 7.9e-31 > tol = 0).
CREATE TEMP TABLE tiny AS SELECT assoc.train_kmeans(ARRAY[x], 3, '{"init": [[0], [1], [100]], "tol": 0, "verbose": true}') AS m
FROM unnest(ARRAY[0, 1, 2, 10, 11]::float8[]) x;
SELECT c.cluster, c.size, c.centroid FROM tiny, assoc.cluster_centroids(m) c ORDER BY 1;
SELECT assoc.model_info(m)->'info'->'inertia' AS inertia, assoc.model_info(m)->'info'->'iterations' AS iterations,
	assoc.model_info(m)->'info'->'empty_cluster_reseeds' AS reseeds FROM tiny;

-- standardisation is kept in the model: features are scaled before distances
CREATE TEMP TABLE scaled AS
SELECT assoc.train_kmeans(ARRAY[x, y], 2, '{"standardize": true, "init": [[0, 0], [1, 1000]]}') AS m
FROM (VALUES (0.0, 0.0), (0.0, 1000.0), (1.0, 0.0), (1.0, 1000.0)) v(x, y);
SELECT c.cluster, c.size, c.centroid FROM scaled, assoc.cluster_centroids(m) c ORDER BY 1;
-- distances in standardised units z = ((x - 0.5) / 0.5, (y - 500) / 500): the centroids are
-- z = (-1/3, -1/3) and (1, 1); (0.5, 500) is z = (0, 0), at sqrt(2/9) = 0.471404520791 from the
-- first; (1, 0) is z = (1, -1), at sqrt(20/9) = 1.490711985 and 2.
SELECT round(assoc.cluster_distance(m, ARRAY[0.5, 500]::float8[])::numeric, 12) AS from_middle,
	(SELECT array_agg(round(v::numeric, 12)) FROM unnest(assoc.cluster_distances(m, ARRAY[1, 0]::float8[])) v) AS from_corner
FROM scaled;

-- other initialisations and several runs
SELECT init, pg_temp.ari(array_agg(p.truth ORDER BY p.truth, p.i),
		array_agg(assoc.predict_cluster(m.model, p.f) ORDER BY p.truth, p.i)) AS ari
FROM (SELECT 'random, 20 runs' AS init, assoc.train_kmeans(f, 5, '{"init": "random", "n_init": 20, "seed": 1}') AS model FROM planted
	  UNION ALL
	  SELECT 'k-means++, 3 runs', assoc.train_kmeans(f, 5, '{"n_init": 3}') FROM planted) m,
	planted p
GROUP BY init ORDER BY init;

-- choosing k: one row per k; the elbow and the best silhouette are at k = 5
SELECT k, round(inertia::numeric, 2) AS inertia, round(silhouette::numeric, 4) AS silhouette,
	converged, sizes
FROM assoc.kmeans_choose_k('SELECT f FROM planted', 1, 7, '{"seed": 2}') ORDER BY k;
-- its inertia is the one of the aggregate with the same options
SELECT abs(c.inertia - (assoc.model_info(m.m)->'info'->>'inertia')::float8) < 1e-9 * c.inertia AS same_inertia
FROM assoc.kmeans_choose_k('SELECT f FROM planted', 4, 4, '{"seed": 2, "standardize": true}') c,
	(SELECT assoc.train_kmeans(f, 4, '{"seed": 2, "standardize": true}') m FROM planted) m;

-- silhouette (sample covering every row) against brute force in SQL
CREATE TEMP TABLE lab AS
SELECT p.truth, p.i, p.f, assoc.predict_cluster(m.m, p.f) AS l, m.m
FROM planted p, (SELECT assoc.train_kmeans(f, 3, '{"seed": 5, "silhouette_sample": 500}') m FROM planted) m;
WITH d AS (SELECT a.truth, a.i, a.l, b.l AS lb,
			  sqrt((SELECT sum((x - y) ^ 2) FROM unnest(a.f, b.f) u(x, y))) AS dist
		   FROM lab a JOIN lab b ON (a.truth, a.i) <> (b.truth, b.i)),
per AS (SELECT truth, i, l, lb, avg(dist) AS md FROM d GROUP BY truth, i, l, lb),
s AS (SELECT truth, i, max(md) FILTER (WHERE l = lb) AS a, min(md) FILTER (WHERE l <> lb) AS b
	  FROM per GROUP BY truth, i)
SELECT round(avg(CASE WHEN a IS NULL THEN 0 ELSE (b - a) / greatest(a, b) END)::numeric, 10) AS brute_force,
	round((SELECT (assoc.model_info(m)->'info'->>'silhouette')::numeric FROM lab LIMIT 1), 10) AS model
FROM s;
