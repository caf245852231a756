-- k-means in parallel plans: the aggregate has no partial stage, so workers scan and a
-- Gather brings the rows to the leader (rows arrive in another order); the model must be
-- the one of the serial plan, and default settings keep a plain scan serial.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;

-- an ordinary table (temporary tables are never scanned in parallel), big enough for
-- both workers to get blocks
CREATE TABLE kmeans_par AS
SELECT i, i % 4 AS g,
	ARRAY[(i % 5) * 10 + (hashint4(i) % 1000) / 300.0, (i % 3) * 7 + (hashint4(-i) % 1000) / 300.0,
		  (hashint4(i + 7) % 1000) / 100.0]::float8[] AS f
FROM generate_series(1, 30000) i;
ANALYZE kmeans_par;

-- serial
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial AS
SELECT 'pp' AS name, assoc.train_kmeans(f, 6, '{"seed": 11, "n_init": 2}') AS m FROM kmeans_par
UNION ALL
SELECT 'std', assoc.train_kmeans(f, 4, '{"standardize": true, "init": "random", "seed": 4}') FROM kmeans_par
UNION ALL
SELECT 'given', assoc.train_kmeans(f, 3, '{"init": [[0, 0, 0], [20, 7, 0], [40, 14, 0]], "tol": 0}') FROM kmeans_par;
CREATE TEMP TABLE serial_groups AS
SELECT g, assoc.train_kmeans(f, 3, '{"seed": 1}') AS m FROM kmeans_par GROUP BY g;

-- default settings: no parallel plan for a plain scan (there is no partial aggregate to
-- run, and a Gather would move every row)
RESET max_parallel_workers_per_gather;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT assoc.train_kmeans(f, 6, '{"seed": 11}') FROM kmeans_par;
RESET min_parallel_table_scan_size;

-- forced parallel, the workers doing all the scanning
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT assoc.train_kmeans(f, 6, '{"seed": 11}') FROM kmeans_par;
EXPLAIN (COSTS OFF) SELECT g, assoc.train_kmeans(f, 3) FROM kmeans_par GROUP BY g;
CREATE TEMP TABLE par AS
SELECT 'pp' AS name, (SELECT assoc.train_kmeans(f, 6, '{"seed": 11, "n_init": 2}') FROM kmeans_par) AS m
UNION ALL
SELECT 'std', (SELECT assoc.train_kmeans(f, 4, '{"standardize": true, "init": "random", "seed": 4}') FROM kmeans_par)
UNION ALL
SELECT 'given', (SELECT assoc.train_kmeans(f, 3, '{"init": [[0, 0, 0], [20, 7, 0], [40, 14, 0]], "tol": 0}') FROM kmeans_par);
CREATE TEMP TABLE par_groups AS
SELECT g, assoc.train_kmeans(f, 3, '{"seed": 1}') AS m FROM kmeans_par GROUP BY g;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- the same models: same description (but the creation time) and the same centroids, bit for bit
SELECT s.name,
	assoc.model_info(s.m) - 'created_at' = assoc.model_info(p.m) - 'created_at' AS same_info,
	(SELECT array_agg(centroid ORDER BY cluster) FROM assoc.cluster_centroids(s.m)) =
	(SELECT array_agg(centroid ORDER BY cluster) FROM assoc.cluster_centroids(p.m)) AS same_centroids,
	assoc.model_info(p.m)->'training_rows' AS rows, assoc.model_info(p.m)->'info'->'sizes' AS sizes
FROM serial s JOIN par p USING (name) ORDER BY s.name;
SELECT s.g,
	assoc.model_info(s.m) - 'created_at' = assoc.model_info(p.m) - 'created_at' AS same_info,
	(SELECT array_agg(centroid ORDER BY cluster) FROM assoc.cluster_centroids(s.m)) =
	(SELECT array_agg(centroid ORDER BY cluster) FROM assoc.cluster_centroids(p.m)) AS same_centroids,
	assoc.model_info(p.m)->'training_rows' AS rows
FROM serial_groups s JOIN par_groups p USING (g) ORDER BY s.g;

-- scoring in parallel workers: the same labels as in training
CREATE TABLE kmeans_par_model AS SELECT m FROM serial WHERE name = 'pp';
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT count(*) FILTER (WHERE c = 0)
FROM (SELECT assoc.predict_cluster((SELECT m FROM kmeans_par_model), f) AS c FROM kmeans_par) x;
CREATE TEMP TABLE par_labels AS
SELECT jsonb_build_array(count(*) FILTER (WHERE c = 0), count(*) FILTER (WHERE c = 1),
		count(*) FILTER (WHERE c = 2), count(*) FILTER (WHERE c = 3),
		count(*) FILTER (WHERE c = 4), count(*) FILTER (WHERE c = 5)) AS sizes
FROM (SELECT assoc.predict_cluster((SELECT m FROM kmeans_par_model), f) AS c FROM kmeans_par) x;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
SELECT (SELECT sizes FROM par_labels) = assoc.model_info(m)->'info'->'sizes' AS sizes_agree
FROM kmeans_par_model;

DROP TABLE kmeans_par_model;
DROP TABLE kmeans_par;
