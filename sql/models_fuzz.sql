-- Fuzzing the model envelope and the logistic body: thousands of mutations
-- of a valid model (truncations, bit flips, foreign bytes, wrong kinds,
-- header edits), some of them "resealed" with a correct CRC-32C so that they
-- reach the body decoder.  Every call must end in a clean result or a clean
-- error (XX001 data_corrupted or 22023 invalid_parameter_value), never a
-- crash.  Mutation positions come from setseed(); outcomes are summarised as
-- invariants because the model's bytes (its JSON metadata) vary in length.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;

-- CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), written independently in SQL
CREATE TEMP TABLE fuzz_crc_table AS
WITH RECURSIVE t(n, k, c) AS (
	SELECT n, 0, n::bigint FROM generate_series(0, 255) n
	UNION ALL
	SELECT n, k + 1, CASE WHEN c & 1 = 1 THEN (c >> 1) # 2197175160 ELSE c >> 1 END FROM t WHERE k < 8)
SELECT array_agg(c ORDER BY n) AS tbl FROM t WHERE k = 8;

CREATE FUNCTION pg_temp.crc32c(b bytea, from_byte int, to_byte int, crc bigint, tbl bigint[])
RETURNS bigint LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
	FOR i IN from_byte .. to_byte - 1 LOOP
		crc := tbl[((crc # get_byte(b, i)) & 255) + 1] # (crc >> 8);
	END LOOP;
	RETURN crc;
END $$;

-- Recompute the CRC (and, if asked, the payload length) of an envelope.
CREATE FUNCTION pg_temp.reseal(m bytea, fix_length boolean DEFAULT false) RETURNS bytea
LANGUAGE plpgsql AS $$
DECLARE
	tbl bigint[] := (SELECT tbl FROM fuzz_crc_table);
	crc bigint;
	len bigint;
BEGIN
	IF length(m) < 32 THEN
		RETURN m;
	END IF;
	IF fix_length THEN
		len := length(m) - 32;
		FOR i IN 0 .. 7 LOOP
			m := set_byte(m, 27 - i, ((len >> (8 * i)) & 255)::int);
		END LOOP;
	END IF;
	crc := pg_temp.crc32c(m, 0, 28, 4294967295, tbl);
	crc := pg_temp.crc32c(m, 32, length(m), crc, tbl) # 4294967295;
	FOR i IN 0 .. 3 LOOP
		m := set_byte(m, 31 - i, ((crc >> (8 * i)) & 255)::int);
	END LOOP;
	RETURN m;
END $$;

-- outcome of a statement: 'ok' or its SQLSTATE
CREATE FUNCTION pg_temp.outcome(q text, m bytea) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	p float8;
BEGIN
	EXECUTE q INTO p USING m;
	IF p IS NOT NULL AND NOT (p >= 0 AND p <= 1) THEN
		RETURN 'bad probability';
	END IF;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE;
END $$;

CREATE TEMP TABLE fuzz_base AS
SELECT assoc.train_logistic(ARRAY[sin(i), cos(i), sin(i * 0.3)]::float8[], sin(i) + cos(i * 2) > 0) AS m
FROM generate_series(1, 300) i;

-- the SQL CRC agrees with assoc's: resealing a valid model changes nothing
SELECT pg_temp.reseal(m) = m AS crc_agrees, pg_temp.reseal(m, true) = m AS length_agrees FROM fuzz_base;

CREATE TEMP TABLE fuzz_results (class text, fn text, outcome text, detail text);

CREATE FUNCTION pg_temp.try(class text, m bytea) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO fuzz_results VALUES
		(class, 'model_info', pg_temp.outcome('SELECT length(assoc.model_info($1)::text)::float8 * 0', m)),
		(class, 'predict', pg_temp.outcome('SELECT assoc.predict($1, ARRAY[0.1, -0.2, 0.3])', m)),
		(class, 'logistic_coefficients',
		 pg_temp.outcome('SELECT sum(coefficient + coalesce(mean, 0) + coalesce(scale, 0)) * 0 FROM assoc.logistic_coefficients($1)', m));
END $$;

SELECT setseed(0.4242);
DO $$
DECLARE
	base bytea := (SELECT m FROM fuzz_base);
	len int := length(base);
	m bytea;
	pos int;
BEGIN
	-- truncations, and bytes appended
	FOR i IN 1 .. 600 LOOP
		PERFORM pg_temp.try('truncated', substring(base FROM 1 FOR (random() * (len - 1))::int));
	END LOOP;
	FOR i IN 1 .. 200 LOOP
		PERFORM pg_temp.try('extended', base || decode(md5(random()::text), 'hex'));
	END LOOP;
	-- 1 to 8 flipped bits, the CRC left as it was
	FOR i IN 1 .. 1000 LOOP
		m := base;
		FOR j IN 1 .. 1 + (random() * 7)::int LOOP
			pos := (random() * (len * 8 - 1))::int;
			m := set_bit(m, pos, 1 - get_bit(m, pos));
		END LOOP;
		PERFORM pg_temp.try('flipped', m);
	END LOOP;
	-- flipped bits after the header, resealed: they reach the metadata and body readers
	FOR i IN 1 .. 1200 LOOP
		m := base;
		FOR j IN 1 .. 1 + (random() * 3)::int LOOP
			pos := 256 + (random() * ((len - 32) * 8 - 1))::int;
			m := set_bit(m, pos, 1 - get_bit(m, pos));
		END LOOP;
		PERFORM pg_temp.try('flipped, resealed', pg_temp.reseal(m));
	END LOOP;
	-- header fields set to random values (kind, flags, dims, payload length, version), resealed
	FOR i IN 1 .. 400 LOOP
		m := base;
		pos := (ARRAY[5, 7, 11, 15, 19, 27])[1 + (random() * 5)::int];
		m := set_byte(m, pos, (random() * 255)::int);
		IF random() < 0.5 THEN
			m := set_byte(m, pos - 1, (random() * 255)::int);
		END IF;
		PERFORM pg_temp.try('header edited, resealed', pg_temp.reseal(m));
	END LOOP;
	-- payload cut short with the length field fixed, resealed
	FOR i IN 1 .. 400 LOOP
		PERFORM pg_temp.try('cut, resealed',
			pg_temp.reseal(substring(base FROM 1 FOR 32 + (random() * (len - 33))::int), true));
	END LOOP;
	-- foreign bytes: random bytes, random bytes after the magic number
	FOR i IN 1 .. 300 LOOP
		m := decode(repeat(md5(random()::text), 1 + (random() * 20)::int), 'hex');
		PERFORM pg_temp.try('foreign', substring(m FROM 1 FOR (random() * length(m))::int));
		PERFORM pg_temp.try('foreign after magic', pg_temp.reseal('\x4153434d'::bytea || m, true));
	END LOOP;
	-- every other kind, resealed: the logistic body under another kind's header
	-- (predict refuses kinds it cannot score with 22023; a convnet header over a
	-- logistic body is a corrupted convnet model, XX001)
	FOR k IN 2 .. 6 LOOP
		FOR i IN 1 .. 20 LOOP
			PERFORM pg_temp.try('wrong kind', pg_temp.reseal(set_byte(base, 7, k)));
		END LOOP;
	END LOOP;
END $$;

-- Every outcome is a clean result or a clean error.
SELECT class, count(*) / 3 AS mutants,
	   bool_and(outcome IN ('ok', 'XX001', '22023')) AS clean,
	   bool_and(outcome <> 'ok') FILTER (WHERE class IN ('truncated', 'extended', 'flipped', 'foreign'))
		   AS always_rejected
FROM fuzz_results GROUP BY class ORDER BY class;

-- the resealed mutants reach past the checksum: some are read as models
-- (a flipped mantissa bit is still a model), some fail in the body decoder
SELECT fn, bool_or(outcome = 'ok') AS some_accepted, bool_or(outcome = 'XX001') AS some_corrupted
FROM fuzz_results WHERE class = 'flipped, resealed' GROUP BY fn ORDER BY fn;

-- a valid envelope of another kind: model_info describes it, the logistic
-- readers refuse it with 22023, predict reads the convnet one as corrupted
SELECT fn, string_agg(DISTINCT outcome, ', ') AS outcomes
FROM fuzz_results WHERE class = 'wrong kind' GROUP BY fn ORDER BY fn;

SELECT count(*) AS calls FROM fuzz_results;
