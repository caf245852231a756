-- pgTAP: random and mutated bytes fed to the deserialiser of every aggregate
-- state of assoc (the partial states that parallel workers send), through
-- the test-only module test/fuzz (assoc_fuzz.so: make -C test/fuzz install).
-- Each mutant is deserialised alone, and combined with a valid state on
-- either side, then serialised again.  Every call must give a result or a
-- clean error (any SQLSTATE but XX000, the code of internal errors); a crash
-- would end the run.  Bounded: at most 2,000 mutants per aggregate (6 s each, 60 s in all).
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SELECT plan(7);

CREATE FUNCTION pg_temp.fuzz_state(regprocedure, bytea, bytea) RETURNS bytea
	AS '$libdir/assoc_fuzz', 'assoc_fuzz_state' LANGUAGE C;

-- Valid serialised states: each aggregate's transition function, with its own
-- serial function as the final function.
CREATE FUNCTION pg_temp.ser_classification(internal) RETURNS bytea AS '$libdir/assoc', 'classification_metrics_serialize' LANGUAGE C;
CREATE AGGREGATE pg_temp.st_classification(float8, boolean, float8) (
	SFUNC = assoc.classification_metrics_transfn, STYPE = internal, FINALFUNC = pg_temp.ser_classification);
CREATE FUNCTION pg_temp.ser_ranking(internal) RETURNS bytea AS '$libdir/assoc', 'ranking_metrics_serialize' LANGUAGE C;
CREATE AGGREGATE pg_temp.st_ranking(anyarray, anyarray, integer) (
	SFUNC = assoc.ranking_metrics_transfn, STYPE = internal, FINALFUNC = pg_temp.ser_ranking);
CREATE FUNCTION pg_temp.ser_customer(internal) RETURNS bytea AS '$libdir/assoc', 'customer_agg_serial' LANGUAGE C;
CREATE AGGREGATE pg_temp.st_customer("any", "any", timestamptz, float8, float8, timestamptz) (
	SFUNC = assoc.customer_agg_transfn, STYPE = internal, FINALFUNC = pg_temp.ser_customer);
CREATE FUNCTION pg_temp.ser_product(internal) RETURNS bytea AS '$libdir/assoc', 'product_agg_serial' LANGUAGE C;
CREATE AGGREGATE pg_temp.st_product("any", "any", timestamptz, float8, float8, timestamptz) (
	SFUNC = assoc.product_agg_transfn, STYPE = internal, FINALFUNC = pg_temp.ser_product);
CREATE FUNCTION pg_temp.ser_scaler(internal) RETURNS bytea AS '$libdir/assoc', 'scaler_fit_serial' LANGUAGE C;
CREATE AGGREGATE pg_temp.st_scaler(float8[], jsonb) (
	SFUNC = assoc.scaler_fit_transfn, STYPE = internal, FINALFUNC = pg_temp.ser_scaler);
CREATE FUNCTION pg_temp.ser_convnet(internal) RETURNS bytea AS '$libdir/assoc', 'convnet_train_serialize' LANGUAGE C;
CREATE AGGREGATE pg_temp.st_convnet(float8[], boolean, jsonb) (
	SFUNC = assoc.train_convnet_transfn, STYPE = internal, FINALFUNC = pg_temp.ser_convnet);

CREATE TEMP TABLE seeds (agg regprocedure, seed bytea);
INSERT INTO seeds
SELECT 'assoc.classification_metrics(float8, boolean, float8)'::regprocedure, pg_temp.st_classification(abs(sin(i)), i % 2 = 0, 0.4)
FROM generate_series(1, 40) i
UNION ALL
SELECT 'assoc.ranking_metrics(anyarray, anyarray, integer)', pg_temp.st_ranking(ARRAY[i % 5, i % 7, i % 3], ARRAY[i % 4], 3)
FROM generate_series(1, 40) i
UNION ALL
SELECT 'assoc.customer_agg("any", "any", timestamptz, float8, float8, timestamptz)',
	   pg_temp.st_customer('order ' || (i % 6), 'item ' || (i % 5), '2024-01-01'::timestamptz + i * interval '1 day', 1 + i % 3, 2.5, '2024-03-01')
FROM generate_series(1, 40) i
UNION ALL
SELECT 'assoc.product_agg("any", "any", timestamptz, float8, float8, timestamptz)',
	   pg_temp.st_product('customer ' || (i % 6), 'order ' || (i % 9), '2024-01-01'::timestamptz + i * interval '1 day', 1 + i % 3, 2.5, '2024-03-01')
FROM generate_series(1, 40) i
UNION ALL
SELECT 'assoc.scaler_fit(float8[], jsonb)', pg_temp.st_scaler(ARRAY[sin(i), i, cos(i) * 10], '{"method": "standard", "clip_upper": 0.9}')
FROM generate_series(1, 40) i
UNION ALL
SELECT 'assoc.train_convnet(float8[], boolean, jsonb)',
	   pg_temp.st_convnet(ARRAY[[sin(i), 1], [cos(i), 0], [sin(i * 2), 1], [0.5, i % 2]]::float8[], i % 2 = 0,
						  '{"epochs": 1, "layers": [{"type": "conv1d", "filters": 2, "kernel": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]}')
FROM generate_series(1, 40) i;

SELECT is((SELECT count(*) FROM seeds WHERE seed IS NOT NULL), 6::bigint, 'a valid state of each of the six aggregates');
-- (customer_agg merges a pending item on the way, so its bytes change once; then never)
SELECT is((SELECT count(*) FROM seeds
		   WHERE pg_temp.fuzz_state(agg, pg_temp.fuzz_state(agg, seed, NULL), NULL) = pg_temp.fuzz_state(agg, seed, NULL)), 6::bigint,
	'serialise(deserialise(state)) is stable for every valid state');
SELECT is((SELECT count(*) FROM seeds WHERE length(pg_temp.fuzz_state(agg, seed, seed)) > 0), 6::bigint,
	'every valid state combines with itself');

CREATE TEMP TABLE outcomes (agg text, class text, outcome text, message text);

-- outcome of one call: 'ok' or the SQLSTATE (and message)
CREATE FUNCTION pg_temp.try(agg regprocedure, class text, a bytea, b bytea) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	r bytea;
BEGIN
	r := pg_temp.fuzz_state(agg, a, b);
	INSERT INTO outcomes VALUES (agg::text, class, 'ok', NULL);
EXCEPTION WHEN OTHERS THEN
	INSERT INTO outcomes VALUES (agg::text, class, SQLSTATE, SQLERRM);
END $$;

DO $$
DECLARE
	s record;
	m bytea;
	pos int;
	deadline timestamptz := clock_timestamp() + interval '60 seconds';
	per_agg interval := interval '6 seconds';
	agg_deadline timestamptz;
BEGIN
	PERFORM setseed(0.1234);
	FOR s IN SELECT * FROM seeds ORDER BY agg::text LOOP
		agg_deadline := least(deadline, clock_timestamp() + per_agg);
		FOR i IN 1 .. 2000 LOOP
			EXIT WHEN clock_timestamp() > agg_deadline;
			m := s.seed;
			FOR k IN 1 .. 1 + (random() * 3)::int LOOP
				EXIT WHEN length(m) = 0;
				pos := (random() * greatest(length(m) - 1, 0))::int;
				CASE (random() * 6)::int
					WHEN 0 THEN m := set_bit(m, (random() * (length(m) * 8 - 1))::int, 1 - get_bit(m, (random() * (length(m) * 8 - 1))::int));
					WHEN 1 THEN m := substr(m, 1, pos);                                          -- truncated
					WHEN 2 THEN m := set_byte(m, pos, (random() * 255)::int);                    -- a byte overwritten
					WHEN 3 THEN m := substr(m, 1, pos) || decode(md5(random()::text), 'hex') || substr(m, pos + 1);  -- bytes inserted
					WHEN 4 THEN m := overlay(m placing '\xffffffff'::bytea from pos + 1 for 4); -- a huge count
					ELSE m := overlay(m placing '\x7fffffff'::bytea from (pos / 4) * 4 + 1 for 4);  -- a huge aligned int
				END CASE;
			END LOOP;
			PERFORM pg_temp.try(s.agg, 'mutated', m, NULL);
			PERFORM pg_temp.try(s.agg, 'mutated, combined after', s.seed, m);
			PERFORM pg_temp.try(s.agg, 'mutated, combined before', m, s.seed);
		END LOOP;
		-- foreign bytes, and a valid state of another aggregate
		FOR i IN 1 .. 50 LOOP
			EXIT WHEN clock_timestamp() > agg_deadline;
			m := decode(repeat(md5(random()::text), 1 + (random() * 8)::int), 'hex');
			PERFORM pg_temp.try(s.agg, 'random bytes', substr(m, 1, 1 + (random() * (length(m) - 1))::int), NULL);
		END LOOP;
		PERFORM pg_temp.try(s.agg, 'another aggregate''s state', o.seed, NULL)
		FROM seeds o WHERE o.agg <> s.agg;
		PERFORM pg_temp.try(s.agg, 'empty', ''::bytea, NULL);
	END LOOP;
END $$;

SELECT is((SELECT string_agg(DISTINCT agg || ' ' || class || ': ' || message, '; ') FROM outcomes WHERE outcome = 'XX000'), NULL,
	'no mutant ends in an internal error (XX000)');
SELECT is((SELECT count(DISTINCT agg) FROM outcomes), 6::bigint, 'every aggregate was fuzzed');
SELECT is((SELECT string_agg(agg, ', ') FROM (SELECT agg FROM outcomes WHERE class = 'mutated' GROUP BY agg
		   HAVING count(*) FILTER (WHERE outcome <> 'ok') = 0) x), NULL,
	'every deserialiser rejects some mutants');
SELECT is((SELECT string_agg(DISTINCT agg, ', ') FROM outcomes WHERE class IN ('random bytes', 'empty') AND outcome = 'ok'), NULL,
	'random bytes and empty input are always rejected');

-- summary for the log
SELECT diag(agg || ': ' || count(*) || ' calls, ' || count(*) FILTER (WHERE outcome = 'ok') || ' accepted, errors '
			|| string_agg(DISTINCT outcome, ' ') FILTER (WHERE outcome <> 'ok'))
FROM outcomes GROUP BY agg ORDER BY agg;

SELECT * FROM finish();
ROLLBACK;
