-- k-means against scikit-learn: from the same initial centroids, assoc.train_kmeans must end
-- with the same iterations, cluster sizes, centroids and inertia (1e-6 relative), and the same
-- silhouette.  The answers are scikit-learn's (KMeans, algorithm="lloyd"), stored by
-- test/data/make_kmeans_oracle.py in test/data/kmeans_sklearn.csv.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;

\getenv abs_srcdir PG_ABS_SRCDIR
\set a_csv :abs_srcdir '/test/data/kmeans_a.csv'
\set b_csv :abs_srcdir '/test/data/kmeans_b.csv'
\set oracle_csv :abs_srcdir '/test/data/kmeans_sklearn.csv'

CREATE TEMP TABLE ka (x1 float8, x2 float8, x3 float8);
COPY ka FROM :'a_csv' (FORMAT csv);
CREATE TEMP TABLE kb (x1 float8, x2 float8, x3 float8, x4 float8, x5 float8, x6 float8,
	x7 float8, x8 float8);
COPY kb FROM :'b_csv' (FORMAT csv);
CREATE TEMP TABLE points AS
	SELECT 'a' AS data, ARRAY[x1, x2, x3] AS f FROM ka
	UNION ALL
	SELECT 'b', ARRAY[x1, x2, x3, x4, x5, x6, x7, x8] FROM kb;
CREATE TEMP TABLE oracle (name text, data text, standardize boolean, max_iter int, tol float8,
	init jsonb, iterations int, inertia float8, sizes jsonb, centroids jsonb, silhouette float8);
COPY oracle FROM :'oracle_csv' (FORMAT csv, HEADER);
SELECT data, count(*) FROM points GROUP BY data ORDER BY data;

CREATE TEMP TABLE models AS
SELECT o.name,
	(SELECT assoc.train_kmeans(p.f, jsonb_array_length(o.init),
			jsonb_build_object('init', o.init, 'max_iter', o.max_iter, 'tol', o.tol,
				'standardize', o.standardize, 'silhouette_sample', 1000))
	 FROM points p WHERE p.data = o.data) AS model
FROM oracle o;

-- iterations, sizes, inertia and silhouette
SELECT o.name, i.iterations, o.iterations AS sklearn_iterations,
	i.sizes = o.sizes AS same_sizes,
	abs(i.inertia - o.inertia) <= 1e-6 * o.inertia AS inertia_agrees,
	abs(i.silhouette - o.silhouette) <= 1e-6 * abs(o.silhouette) AS silhouette_agrees,
	i.converged
FROM oracle o
JOIN (SELECT name, (info->>'iterations')::int AS iterations, info->'sizes' AS sizes,
		(info->>'inertia')::float8 AS inertia, (info->>'silhouette')::float8 AS silhouette,
		(info->>'converged')::boolean AS converged
	  FROM (SELECT name, assoc.model_info(model)->'info' AS info FROM models) s) i USING (name)
ORDER BY o.name;

-- every centroid coordinate, in the units of the features, to 1e-6 relative
SELECT o.name, count(*) AS coordinates,
	bool_and(abs(c.centroid[j] - s.v) <= 1e-6 * abs(s.v)) AS centroids_agree
FROM oracle o
JOIN models m USING (name)
CROSS JOIN LATERAL assoc.cluster_centroids(m.model) c
CROSS JOIN LATERAL generate_subscripts(c.centroid, 1) j
CROSS JOIN LATERAL (SELECT (o.centroids -> c.cluster ->> (j - 1))::float8 AS v) s
GROUP BY o.name
ORDER BY o.name;

-- the loss recorded in the envelope is the inertia
SELECT name, (assoc.model_info(model)->>'loss')::float8 = (assoc.model_info(model)->'info'->>'inertia')::float8 AS loss_is_inertia
FROM models ORDER BY name;
