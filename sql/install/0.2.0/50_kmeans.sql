-- Segmentation: k-means clustering stored as a bytea model (MODEL_KMEANS).

-- Support functions of the training aggregate (called by the aggregate only).
CREATE FUNCTION assoc.kmeans_transfn(state internal, features float8[], k int)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'kmeans_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.kmeans_transfn(state internal, features float8[], k int, options jsonb)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'kmeans_transfn' LANGUAGE C STABLE PARALLEL SAFE;
-- VOLATILE: the model records its creation time.
CREATE FUNCTION assoc.kmeans_finalfn(state internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'kmeans_finalfn' LANGUAGE C VOLATILE PARALLEL SAFE;

COMMENT ON FUNCTION assoc.kmeans_transfn(internal, float8[], int) IS
	'transition function of assoc.train_kmeans(features, k): collects one row';
COMMENT ON FUNCTION assoc.kmeans_transfn(internal, float8[], int, jsonb) IS
	'transition function of assoc.train_kmeans(features, k, options): collects one row';
COMMENT ON FUNCTION assoc.kmeans_finalfn(internal) IS
	'final function of assoc.train_kmeans: trains and returns the model';

-- Aggregates cannot have parameter defaults: the form without options uses '{}'.
-- No combine function: training holds every row, so partial states would only carry
-- the rows to the leader with more copies than a Gather below the aggregate (1.79 s
-- against 1.31 s serial on a million rows when PostgreSQL's default settings chose a
-- partial aggregate; docs/kmeans.md).  PARALLEL SAFE: workers can produce the rows.
CREATE AGGREGATE assoc.train_kmeans(features float8[], k int) (
	SFUNC = assoc.kmeans_transfn,
	STYPE = internal,
	FINALFUNC = assoc.kmeans_finalfn,
	PARALLEL = SAFE
);
CREATE AGGREGATE assoc.train_kmeans(features float8[], k int, options jsonb) (
	SFUNC = assoc.kmeans_transfn,
	STYPE = internal,
	FINALFUNC = assoc.kmeans_finalfn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.train_kmeans(float8[], int) IS
	'trains k-means (k-means++ from seed 0, Lloyd) on the feature vectors of the group; returns a kmeans model (bytea); NULL vectors are skipped';
COMMENT ON AGGREGATE assoc.train_kmeans(float8[], int, jsonb) IS
	'trains k-means on the feature vectors of the group; options: seed, max_iter, tol, n_init, standardize, init ("k-means++", "random" or explicit centroids), silhouette_sample, verbose';

CREATE FUNCTION assoc.kmeans_choose_k(source text, k_min int DEFAULT 2, k_max int DEFAULT 10,
	options jsonb DEFAULT '{}')
	RETURNS TABLE(k int, inertia float8, silhouette float8, iterations int, converged boolean,
		sizes bigint[])
	AS 'MODULE_PATHNAME', 'kmeans_choose_k'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 10;
COMMENT ON FUNCTION assoc.kmeans_choose_k(text, int, int, jsonb) IS
	'trains k-means for every k from k_min to k_max on the float8[] rows of a read-only query, with the same options; returns inertia and the mean silhouette on a seeded sample (options.silhouette_sample, default 1000) to read the elbow';

CREATE FUNCTION assoc.predict_cluster(model bytea, features float8[]) RETURNS int
	AS 'MODULE_PATHNAME', 'kmeans_predict_cluster' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.predict_cluster(bytea, float8[]) IS
	'number (0 to k - 1) of the k-means cluster whose centroid is nearest to the features (lowest number on ties)';

CREATE FUNCTION assoc.cluster_distance(model bytea, features float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'kmeans_cluster_distance' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.cluster_distance(bytea, float8[]) IS
	'Euclidean distance from the features to the nearest k-means centroid, in the model''s space (standardised units if the model standardises)';

CREATE FUNCTION assoc.cluster_distances(model bytea, features float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'kmeans_cluster_distances' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.cluster_distances(bytea, float8[]) IS
	'Euclidean distances from the features to every k-means centroid (element i + 1 is cluster i), in the model''s space';

CREATE FUNCTION assoc.cluster_centroids(model bytea)
	RETURNS TABLE(cluster int, size bigint, centroid float8[])
	AS 'MODULE_PATHNAME', 'kmeans_cluster_centroids' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION assoc.cluster_centroids(bytea) IS
	'the clusters of a k-means model: number, training rows assigned, centroid in the units of the features';
