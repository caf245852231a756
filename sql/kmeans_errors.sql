-- k-means: bad input gives a clear error (SQLSTATE, message, detail, hint), never a crash.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;

-- Run a statement; return its SQLSTATE, message, detail and hint (or 'no error').
CREATE FUNCTION pg_temp.err(q text, with_detail boolean DEFAULT true) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
	st text;
	msg text;
	det text;
	hnt text;
BEGIN
	EXECUTE q;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL,
		hnt = PG_EXCEPTION_HINT;
	RETURN st || ' ' || msg
		|| CASE WHEN with_detail THEN coalesce(' | ' || nullif(det, ''), '') ELSE '' END
		|| coalesce(' | ' || nullif(hnt, ''), '');
END $$;

CREATE TEMP TABLE pts AS
SELECT i, ARRAY[i % 3, i % 2]::float8[] AS f FROM generate_series(1, 30) i;
CREATE TEMP TABLE good AS SELECT assoc.train_kmeans(f, 2) AS m FROM pts;

-- training input
SELECT name, pg_temp.err(q) FROM (VALUES
	(1, 'k below 1', $$SELECT assoc.train_kmeans(f, 0) FROM pts$$),
	(2, 'k above the limit', $$SELECT assoc.train_kmeans(f, 100001) FROM pts$$),
	(3, 'k NULL', $$SELECT assoc.train_kmeans(f, NULL) FROM pts$$),
	(4, 'k above the distinct rows', $$SELECT assoc.train_kmeans(f, 7) FROM pts$$),
	(5, 'k changes between rows', $$SELECT assoc.train_kmeans(f, 1 + i / 20) FROM pts$$),
	(6, 'options change between rows', $$SELECT assoc.train_kmeans(f, 2, jsonb_build_object('seed', i / 20)) FROM pts$$),
	(7, 'mixed lengths', $$SELECT assoc.train_kmeans(CASE WHEN i = 9 THEN f || 1.0::float8 ELSE f END, 2) FROM pts$$),
	(8, 'NaN', $$SELECT assoc.train_kmeans(CASE WHEN i = 9 THEN ARRAY[1, 'NaN']::float8[] ELSE f END, 2) FROM pts$$),
	(9, 'Infinity', $$SELECT assoc.train_kmeans(CASE WHEN i = 9 THEN ARRAY['Infinity', 1]::float8[] ELSE f END, 2) FROM pts$$),
	(10, '-Infinity', $$SELECT assoc.train_kmeans(CASE WHEN i = 9 THEN ARRAY[1, '-Infinity']::float8[] ELSE f END, 2) FROM pts$$),
	(11, 'NULL element', $$SELECT assoc.train_kmeans(CASE WHEN i = 9 THEN ARRAY[1, NULL] ELSE f END, 2) FROM pts$$),
	(12, 'empty vector', $$SELECT assoc.train_kmeans('{}'::float8[], 2) FROM pts$$),
	(13, 'two-dimensional', $$SELECT assoc.train_kmeans('{{1,2},{3,4}}'::float8[], 2) FROM pts$$),
	(14, 'no rows', $$SELECT assoc.train_kmeans(f, 2) FROM pts WHERE false$$),
	(15, 'only NULL vectors', $$SELECT assoc.train_kmeans(NULL::float8[], 2) FROM pts$$),
	(16, 'k times features too big', $$SELECT assoc.train_kmeans(array_fill(0.0::float8, ARRAY[1000]), 20000)$$),
	(17, 'too many features', $$SELECT assoc.train_kmeans(array_fill(0.0::float8, ARRAY[100001]), 1)$$),
	(18, 'overflow', $$SELECT assoc.train_kmeans(ARRAY[(-1) ^ i * 1e300]::float8[], 1) FROM pts$$),
	(19, 'huge values, standardised: trains', $$SELECT assoc.train_kmeans(ARRAY[(-1) ^ i * 1e300]::float8[], 2, '{"standardize": true}') FROM pts$$),
	(20, 'overflow, choosing k', $$SELECT * FROM assoc.kmeans_choose_k('SELECT ARRAY[(-1) ^ i * 1e300]::float8[] FROM pts', 1, 2)$$)
) v(n, name, q) ORDER BY n;

-- options
SELECT name, pg_temp.err(q) FROM (VALUES
	(1, 'unknown key', $$SELECT assoc.train_kmeans(f, 2, '{"iterations": 5}') FROM pts$$),
	(2, 'not an object', $$SELECT assoc.train_kmeans(f, 2, '[1]') FROM pts$$),
	(3, 'wrong type', $$SELECT assoc.train_kmeans(f, 2, '{"standardize": "yes"}') FROM pts$$),
	(4, 'max_iter 0', $$SELECT assoc.train_kmeans(f, 2, '{"max_iter": 0}') FROM pts$$),
	(5, 'negative tol', $$SELECT assoc.train_kmeans(f, 2, '{"tol": -1}') FROM pts$$),
	(6, 'fractional seed', $$SELECT assoc.train_kmeans(f, 2, '{"seed": 1.5}') FROM pts$$),
	(7, 'init unknown name', $$SELECT assoc.train_kmeans(f, 2, '{"init": "kmeans||"}') FROM pts$$),
	(8, 'init a number', $$SELECT assoc.train_kmeans(f, 2, '{"init": 3}') FROM pts$$),
	(9, 'init too few', $$SELECT assoc.train_kmeans(f, 2, '{"init": [[0, 0]]}') FROM pts$$),
	(10, 'init too many', $$SELECT assoc.train_kmeans(f, 2, '{"init": [[0, 0], [1, 1], [2, 2]]}') FROM pts$$),
	(11, 'init short centroid', $$SELECT assoc.train_kmeans(f, 2, '{"init": [[0, 0], [1]]}') FROM pts$$),
	(12, 'init long centroid', $$SELECT assoc.train_kmeans(f, 2, '{"init": [[0, 0, 0], [1, 1]]}') FROM pts$$),
	(13, 'init text value', $$SELECT assoc.train_kmeans(f, 2, '{"init": [[0, "a"], [1, 1]]}') FROM pts$$),
	(14, 'init flat', $$SELECT assoc.train_kmeans(f, 2, '{"init": [0, 1]}') FROM pts$$),
	(15, 'init too deep', $$SELECT assoc.train_kmeans(f, 2, '{"init": [[[0], 0], [1, 1]]}') FROM pts$$),
	(16, 'init out of float8 range', $$SELECT assoc.train_kmeans(f, 2, '{"init": [[1e400, 0], [1, 1]]}') FROM pts$$),
	(17, 'init with n_init', $$SELECT assoc.train_kmeans(f, 2, '{"init": [[0, 0], [1, 1]], "n_init": 5}') FROM pts$$),
	(18, 'silhouette sample too big', $$SELECT assoc.train_kmeans(f, 2, '{"silhouette_sample": 1000000}') FROM pts$$)
) v(n, name, q) ORDER BY n;

-- the memory bound (assoc.mining_mem) on the rows held; the detail holds sizes
SET assoc.mining_mem = '64kB';
SELECT pg_temp.err($$SELECT assoc.train_kmeans(ARRAY[i, i * 2, i * 3, i * 5]::float8[], 2) FROM generate_series(1, 5000) i$$, false);
RESET assoc.mining_mem;

-- scoring
SELECT name, pg_temp.err(q) FROM (VALUES
	(1, 'wrong length', $$SELECT assoc.predict_cluster(m, ARRAY[1, 2, 3]) FROM good$$),
	(2, 'NaN', $$SELECT assoc.predict_cluster(m, ARRAY[1, 'NaN']::float8[]) FROM good$$),
	(3, 'NULL element', $$SELECT assoc.cluster_distance(m, ARRAY[1, NULL]) FROM good$$),
	(4, 'empty', $$SELECT assoc.cluster_distances(m, '{}') FROM good$$),
	(5, 'not a model', $$SELECT assoc.predict_cluster('\x0102'::bytea, ARRAY[1, 2])$$),
	(6, 'truncated', $$SELECT assoc.predict_cluster(substring(m from 1 for 40), ARRAY[1, 2]) FROM good$$),
	(7, 'bit flipped', $$SELECT assoc.cluster_centroids(set_byte(m, 100, get_byte(m, 100) # 4)) FROM good$$),
	(8, 'header bit flipped', $$SELECT assoc.predict_cluster(set_byte(m, 13, get_byte(m, 13) # 1), ARRAY[1, 2]) FROM good$$)
) v(n, name, q) ORDER BY n;
-- NULL in, NULL out (the scoring functions are strict)
SELECT assoc.predict_cluster(NULL, ARRAY[1, 2]) IS NULL AS null_model, assoc.predict_cluster(m, NULL) IS NULL AS null_features
FROM good;

-- a model of another kind, checksum and all: the same bytes with kind 1 (logistic)
CREATE FUNCTION pg_temp.crc32c(b bytea) RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
	crc bigint := 4294967295;
	i int;
	j int;
BEGIN
	FOR i IN 0 .. length(b) - 1 LOOP
		crc := crc # get_byte(b, i);
		FOR j IN 1 .. 8 LOOP
			IF crc & 1 = 1 THEN
				crc := (crc >> 1) # 2197175160;	-- 0x82F63B78, CRC-32C reflected
			ELSE
				crc := crc >> 1;
			END IF;
		END LOOP;
	END LOOP;
	RETURN crc # 4294967295;
END $$;
-- the checksum as assoc stores it (bytes 28..31, big-endian, over bytes 0..27 and 32..)
SELECT pg_temp.crc32c(substring(m from 1 for 28) || substring(m from 33)) =
	('x' || encode(substring(m from 29 for 4), 'hex'))::bit(32)::bigint AS crc_matches
FROM good;
CREATE TEMP TABLE other AS
SELECT overlay(k PLACING decode(lpad(to_hex(pg_temp.crc32c(substring(k from 1 for 28) || substring(k from 33))), 8, '0'), 'hex')
	FROM 29 FOR 4) AS m
FROM (SELECT set_byte(m, 7, 1) AS k FROM good) x;
SELECT assoc.model_info(m)->>'kind' AS kind FROM other;
SELECT name, pg_temp.err(q) FROM (VALUES
	(1, 'predict_cluster', $$SELECT assoc.predict_cluster(m, ARRAY[1, 2]) FROM other$$),
	(2, 'cluster_distance', $$SELECT assoc.cluster_distance(m, ARRAY[1, 2]) FROM other$$),
	(3, 'cluster_distances', $$SELECT assoc.cluster_distances(m, ARRAY[1, 2]) FROM other$$),
	(4, 'cluster_centroids', $$SELECT * FROM other, assoc.cluster_centroids(m)$$)
) v(n, name, q) ORDER BY n;
-- the cache of a call site does not keep a model of the wrong kind: a good one, then the other
SELECT pg_temp.err($$SELECT assoc.predict_cluster(m, ARRAY[1, 2]) FROM (SELECT m FROM good UNION ALL SELECT m FROM other) x$$);

-- choosing k
SELECT name, pg_temp.err(q) FROM (VALUES
	(1, 'source NULL', $$SELECT * FROM assoc.kmeans_choose_k(NULL)$$),
	(2, 'k_min NULL', $$SELECT * FROM assoc.kmeans_choose_k('SELECT f FROM pts', NULL, 3)$$),
	(3, 'k_max below k_min', $$SELECT * FROM assoc.kmeans_choose_k('SELECT f FROM pts', 4, 3)$$),
	(4, 'k_min 0', $$SELECT * FROM assoc.kmeans_choose_k('SELECT f FROM pts', 0, 3)$$),
	(5, 'k_max above distinct rows', $$SELECT * FROM assoc.kmeans_choose_k('SELECT f FROM pts', 2, 8)$$),
	(6, 'wrong column type', $$SELECT * FROM assoc.kmeans_choose_k('SELECT i FROM pts')$$),
	(7, 'two columns', $$SELECT * FROM assoc.kmeans_choose_k('SELECT i, f FROM pts')$$),
	(8, 'writes', $$SELECT * FROM assoc.kmeans_choose_k('DELETE FROM pts RETURNING f')$$),
	(9, 'no rows', $$SELECT * FROM assoc.kmeans_choose_k('SELECT f FROM pts WHERE false')$$),
	(10, 'given centroids', $$SELECT * FROM assoc.kmeans_choose_k('SELECT f FROM pts', 2, 2, '{"init": [[0, 0], [1, 1]]}')$$),
	(11, 'bad row', $$SELECT * FROM assoc.kmeans_choose_k('SELECT CASE WHEN i = 5 THEN ARRAY[1, ''NaN'']::float8[] ELSE f END FROM pts')$$),
	(12, 'bad option', $$SELECT * FROM assoc.kmeans_choose_k('SELECT f FROM pts', options => '{"k": 3}')$$)
) v(n, name, q) ORDER BY n;
-- nothing was deleted
SELECT count(*) FROM pts;

-- Fuzz: 2000 random changes to the body and header dimensions of a model, each with a valid
-- checksum, so that the value checks of the reader are reached.  Every call must return or
-- raise a clean error (XX001 corrupted); none may crash the backend.
CREATE FUNCTION pg_temp.with_crc(k bytea) RETURNS bytea LANGUAGE sql AS $$
	SELECT overlay(k PLACING decode(lpad(to_hex(pg_temp.crc32c(substring(k from 1 for 28) || substring(k from 33))), 8, '0'), 'hex')
		FROM 29 FOR 4)
$$;
CREATE FUNCTION pg_temp.outcome(m bytea) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	PERFORM assoc.predict_cluster(m, ARRAY[1, 2]::float8[]);
	PERFORM count(*) FROM assoc.cluster_centroids(m);
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;
-- the body of a model with d = 2, k = 3 is its last 1 + 8 * (2d + kd + k + 1) = 113 bytes
SELECT setseed(0.5);
SELECT outcome, count(*) FROM (
	SELECT pg_temp.outcome(pg_temp.with_crc(
		set_byte(set_byte(m, length(m) - 1 - (random() * 112)::int, (random() * 255)::int),
			CASE WHEN random() < 0.2 THEN 12 + (random() * 7)::int ELSE length(m) - 1 - (random() * 112)::int END,
			(random() * 255)::int))) AS outcome
	FROM (SELECT assoc.train_kmeans(ARRAY[i % 3, i % 5]::float8[], 3, '{"standardize": true}') AS m
		  FROM generate_series(1, 50) i) g, generate_series(1, 2000)) x
GROUP BY outcome ORDER BY outcome;
