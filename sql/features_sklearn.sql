-- Scalers, feature hashing and the seeded split against scikit-learn: the files
-- in test/data/sklearn were written by test/oracle/sklearn_oracle.py with
-- Debian's scikit-learn (StandardScaler, MinMaxScaler, numpy percentiles,
-- FeatureHasher, murmurhash3_32).  Agreement to 1e-9 relative (1e-9 absolute below 1).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;
\getenv abs_srcdir PG_ABS_SRCDIR
\set dir :abs_srcdir '/test/data/sklearn/'
\set f_scaler_in :dir 'scaler_input.csv'
\set f_scaler_out :dir 'scaler_expected.csv'
\set f_hash_in :dir 'hashing_input.csv'
\set f_hash_out :dir 'hashing_expected.csv'
\set f_split :dir 'split_expected.csv'

CREATE FUNCTION pg_temp.close(a float8, b float8) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT (a IS NULL AND b IS NULL) OR abs(a - b) <= 1e-9 * greatest(abs(a), abs(b), 1)
$$;

-- scalers
CREATE TABLE sk_in (id int, v float8[]);
COPY sk_in FROM :'f_scaler_in' WITH (FORMAT csv, HEADER true);
CREATE TABLE sk_out (method text, clip_lower float8, clip_upper float8, id int, expected float8[]);
COPY sk_out FROM :'f_scaler_out' WITH (FORMAT csv, HEADER true);
CREATE TABLE sk_models AS
SELECT DISTINCT method, clip_lower, clip_upper FROM sk_out;
ALTER TABLE sk_models ADD COLUMN model bytea;
UPDATE sk_models m SET model = (
	SELECT assoc.scaler_fit(v, CASE WHEN m.clip_lower IS NULL
		THEN jsonb_build_object('method', m.method)
		ELSE jsonb_build_object('method', m.method, 'clip_lower', m.clip_lower, 'clip_upper', m.clip_upper) END)
	FROM sk_in);
-- every value scikit-learn defines (it keeps NaN where assoc fills in) agrees
SELECT m.method, m.clip_lower, count(*) AS values_compared,
	count(*) FILTER (WHERE NOT pg_temp.close(y.got, y.want)) AS differ
FROM sk_models m JOIN sk_out o USING (method)
	JOIN sk_in i USING (id),
	LATERAL unnest(assoc.scale(m.model, i.v), o.expected, i.v) AS y(got, want, x)
WHERE o.clip_lower IS NOT DISTINCT FROM m.clip_lower AND y.x IS NOT NULL
GROUP BY 1, 2 ORDER BY 1, 2;
-- a missing value becomes the fitted mean: 0 for the standard scaler
SELECT m.method, m.clip_lower, array_agg(DISTINCT round(y.got::numeric, 12)) AS filled
FROM sk_models m, sk_in i, LATERAL unnest(assoc.scale(m.model, i.v), i.v) AS y(got, x)
WHERE y.x IS NULL GROUP BY 1, 2 ORDER BY 1, 2;
-- the same fit in parallel partial states and serialised (forced parallel plan)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT assoc.scaler_fit(v, '{"clip_lower": 0.05, "clip_upper": 0.95}') FROM sk_in;
SELECT count(*) FILTER (WHERE NOT pg_temp.close(y.got, y.want)) AS parallel_differ
FROM (SELECT assoc.scaler_fit(v, '{"clip_lower": 0.05, "clip_upper": 0.95}') AS model FROM sk_in) p
	CROSS JOIN sk_out o JOIN sk_in i USING (id),
	LATERAL unnest(assoc.scale(p.model, i.v), o.expected, i.v) AS y(got, want, x)
WHERE o.clip_lower = 0.05 AND y.x IS NOT NULL;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- feature hashing
CREATE TABLE hs_in (id int, keys text[], weights float8[]);
COPY hs_in FROM :'f_hash_in' WITH (FORMAT csv, HEADER true);
CREATE TABLE hs_out (width int, alternate_sign boolean, weighted boolean, id int, columns int[], expected float8[]);
COPY hs_out FROM :'f_hash_out' WITH (FORMAT csv, HEADER true);
SELECT width, alternate_sign, weighted, count(*) AS vectors,
	count(*) FILTER (WHERE NOT ok) AS differ
FROM (
	SELECT o.*, (
		SELECT bool_and(pg_temp.close(g.v, coalesce(e.v, 0)))
		FROM unnest(CASE WHEN o.weighted
				THEN assoc.hash_features(i.keys, i.weights, o.width, o.alternate_sign)
				ELSE assoc.hash_features(i.keys, o.width, o.alternate_sign) END) WITH ORDINALITY AS g(v, col)
			LEFT JOIN unnest(o.columns, o.expected) AS e(col, v) ON e.col = g.col) AS ok
	FROM hs_out o JOIN hs_in i USING (id)) t
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- the split: murmurhash3_32(key, seed) / 2^32 as scikit-learn computes it; the
-- side of each key follows from it at any test_fraction
CREATE TABLE sp (seed int, key text, u float8);
COPY sp FROM :'f_split' WITH (FORMAT csv, HEADER true);
SELECT seed, count(*) AS keys,
	count(*) FILTER (WHERE assoc.train_test_split(key, 0.3, seed) <> CASE WHEN u < 0.3 THEN 'test' ELSE 'train' END) AS differ,
	count(*) FILTER (WHERE key ~ '^[0-9]+$' AND assoc.train_test_split(key::bigint, 0.3, seed) <> assoc.train_test_split(key, 0.3, seed)) AS int_text_differ,
	count(*) FILTER (WHERE u < 0.3) AS test
FROM sp GROUP BY seed ORDER BY seed;
-- boundaries: a key exactly at u is test for any fraction above u
SELECT count(*) FILTER (WHERE assoc.train_test_split(key, u, seed) <> 'train') AS at_u_not_train,
	count(*) FILTER (WHERE assoc.train_test_split(key, u + 1e-12, seed) <> 'test') AS above_u_not_test
FROM sp;

DROP TABLE sk_in, sk_out, sk_models, hs_in, hs_out, sp;
