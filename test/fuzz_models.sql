-- pgTAP: mutated models of every kind (logistic, rules, ALS, convnet, k-means,
-- scaler) fed to every function that reads a model.  Mutants are truncated,
-- extended, bit-flipped, header-edited or foreign bytes; most are "resealed"
-- with a correct checksum and payload length (assoc_fuzz_reseal, from the
-- test-only module test/fuzz) so that they get past the envelope and reach
-- each kind's body decoder.  Every call must give a clean result or a clean
-- error (any SQLSTATE but XX000); a crash would end the run.  Bounded: at
-- most 400 mutants per kind, 8 s per kind.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SELECT plan(7);

CREATE FUNCTION pg_temp.reseal(bytea, boolean DEFAULT false) RETURNS bytea
	AS '$libdir/assoc_fuzz', 'assoc_fuzz_reseal' LANGUAGE C STRICT;

-- one small model of each kind
CREATE TEMP TABLE bases (kind text, m bytea);
INSERT INTO bases
SELECT 'logistic', assoc.train_logistic(ARRAY[sin(i), cos(i), sin(i * 0.3)]::float8[], sin(i) + cos(i * 2) > 0)
FROM generate_series(1, 200) i;
INSERT INTO bases
SELECT 'rules', assoc.train_rules($$SELECT b, 'item ' || ((b * 3 + j) % 7) FROM generate_series(1, 60) b, generate_series(1, 3) j$$, 0.05, 0.1);
INSERT INTO bases
SELECT 'als', assoc.train_als(u, (u * 5 + j) % 13, 1.0, '{"factors": 3, "max_iter": 3}')
FROM generate_series(1, 30) u, generate_series(1, 4) j;
INSERT INTO bases
SELECT 'convnet', assoc.train_convnet(ARRAY[[sin(i), 1], [cos(i), 0], [sin(i * 2), 1], [0.5, i % 2]]::float8[], i % 2 = 0,
	'{"epochs": 2, "layers": [{"type": "conv1d", "filters": 2, "kernel": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]}')
FROM generate_series(1, 60) i;
INSERT INTO bases
SELECT 'kmeans', assoc.train_kmeans(ARRAY[sin(i), cos(i)], 3, '{"seed": 1}') FROM generate_series(1, 90) i;
INSERT INTO bases
SELECT 'scaler', assoc.scaler_fit(ARRAY[sin(i), i, cos(i) * 10]) FROM generate_series(1, 50) i;

SELECT is((SELECT string_agg(kind || '=' || (assoc.model_info(m)->>'kind'), ',' ORDER BY kind) FROM bases),
	'als=als,convnet=convnet,kmeans=kmeans,logistic=logistic,rules=rules,scaler=scaler', 'a valid model of each kind');
SELECT is((SELECT count(*) FROM bases WHERE pg_temp.reseal(m) = m AND pg_temp.reseal(m, true) = m), 6::bigint,
	'resealing a valid model changes nothing (the helper computes the checksum as assoc does)');

-- every reader of a model, as a query of $1 (the model) returning one number
CREATE TEMP TABLE readers (fn text, q text);
INSERT INTO readers VALUES
	('model_info', 'SELECT length(assoc.model_info($1)::text)::float8'),
	('predict (logistic)', 'SELECT assoc.predict($1, ARRAY[0.1, -0.2, 0.3])'),
	('logistic_coefficients', 'SELECT sum(coefficient + coalesce(mean, 0) + coalesce(scale, 0)) FROM assoc.logistic_coefficients($1)'),
	('recommend_for_cart', $q$SELECT sum(score) FROM assoc.recommend_for_cart($1, '{item 1, item 2}', 5, NULL, true)$q$),
	('recommend', 'SELECT sum(score) FROM assoc.recommend($1, 1, 5)'),
	('recommend_for_items', $q$SELECT sum(score) FROM assoc.recommend_for_items($1, '{1, 2}', 5)$q$),
	('similar_items', 'SELECT sum(score) FROM assoc.similar_items($1, 1, 5)'),
	('als_factors', $q$SELECT sum(cardinality(factors)) FROM assoc.als_factors($1, 'user')$q$),
	('predict (convnet)', 'SELECT assoc.predict($1, ARRAY[[0.1, 1], [0.2, 0], [0.3, 1], [0.4, 0]]::float8[])'),
	('predict_cluster', 'SELECT assoc.predict_cluster($1, ARRAY[0.5, -0.5])::float8'),
	('cluster_distances', 'SELECT sum(d) FROM unnest(assoc.cluster_distances($1, ARRAY[0.5, -0.5])) d'),
	('cluster_centroids', 'SELECT sum(size) FROM assoc.cluster_centroids($1)'),
	('scale', 'SELECT sum(x) FROM unnest(assoc.scale($1, ARRAY[0.1, 2, 3])) x');

CREATE TEMP TABLE outcomes (kind text, class text, fn text, outcome text, message text);

CREATE FUNCTION pg_temp.try(kind text, class text, m bytea) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	r record;
	v float8;
BEGIN
	FOR r IN SELECT * FROM readers LOOP
		BEGIN
			EXECUTE r.q INTO v USING m;
			INSERT INTO outcomes VALUES (kind, class, r.fn,
				CASE WHEN r.fn LIKE 'predict (%' AND v IS NOT NULL AND NOT (v >= 0 AND v <= 1) THEN 'not a probability' ELSE 'ok' END,
				NULL);
		EXCEPTION WHEN OTHERS THEN
			INSERT INTO outcomes VALUES (kind, class, r.fn, SQLSTATE, SQLERRM);
		END;
	END LOOP;
END $$;

DO $$
DECLARE
	b record;
	m bytea;
	len int;
	pos int;
	deadline timestamptz;
BEGIN
	PERFORM setseed(0.777);
	FOR b IN SELECT * FROM bases ORDER BY kind LOOP
		deadline := clock_timestamp() + interval '8 seconds';
		len := length(b.m);
		PERFORM pg_temp.try(b.kind, 'valid', b.m);
		FOR i IN 1 .. 400 LOOP
			EXIT WHEN clock_timestamp() > deadline;
			-- bits flipped, checksum left alone: always refused
			m := b.m;
			pos := (random() * (len * 8 - 1))::int;
			PERFORM pg_temp.try(b.kind, 'flipped', set_bit(m, pos, 1 - get_bit(m, pos)));
			-- bits flipped after the header, resealed: they reach the decoders
			FOR j IN 1 .. 1 + (random() * 3)::int LOOP
				pos := 256 + (random() * ((len - 32) * 8 - 1))::int;
				m := set_bit(m, pos, 1 - get_bit(m, pos));
			END LOOP;
			PERFORM pg_temp.try(b.kind, 'flipped, resealed', pg_temp.reseal(m));
			-- a byte of the body overwritten, or a huge count written, resealed
			pos := 32 + (random() * (len - 33))::int;
			IF random() < 0.5 THEN
				m := set_byte(b.m, pos, (random() * 255)::int);
			ELSE
				m := overlay(b.m placing '\x7fffffff'::bytea from pos + 1 for 4);
			END IF;
			PERFORM pg_temp.try(b.kind, 'overwritten, resealed', pg_temp.reseal(m));
			-- cut short or extended, length and checksum fixed
			IF i % 4 = 0 THEN
				PERFORM pg_temp.try(b.kind, 'cut, resealed',
					pg_temp.reseal(substring(b.m FROM 1 FOR 32 + (random() * (len - 33))::int), true));
				PERFORM pg_temp.try(b.kind, 'extended, resealed',
					pg_temp.reseal(b.m || decode(md5(random()::text), 'hex'), true));
			END IF;
			-- header fields (version, kind, flags, dims) edited, resealed
			IF i % 4 = 2 THEN
				m := set_byte(b.m, (ARRAY[5, 7, 11, 15, 19])[1 + (random() * 4)::int], (random() * 255)::int);
				PERFORM pg_temp.try(b.kind, 'header edited, resealed', pg_temp.reseal(m));
			END IF;
		END LOOP;
		-- another kind's header over this body
		FOR k IN 1 .. 6 LOOP
			PERFORM pg_temp.try(b.kind, 'other kind, resealed', pg_temp.reseal(set_byte(b.m, 7, k)));
		END LOOP;
	END LOOP;
	-- foreign bytes
	FOR i IN 1 .. 100 LOOP
		m := decode(repeat(md5(random()::text), 1 + (random() * 20)::int), 'hex');
		PERFORM pg_temp.try('none', 'foreign', substring(m FROM 1 FOR (random() * length(m))::int));
		PERFORM pg_temp.try('none', 'foreign after magic', pg_temp.reseal('\x4153434d'::bytea || m, true));
	END LOOP;
END $$;

SELECT is((SELECT string_agg(DISTINCT kind || ' ' || class || ' ' || fn || ': ' || message, '; ') FROM outcomes
		   WHERE outcome = 'XX000'), NULL, 'no mutant ends in an internal error (XX000)');
SELECT is((SELECT string_agg(DISTINCT kind || ' ' || class || ' ' || fn, '; ') FROM outcomes
		   WHERE outcome = 'not a probability'), NULL, 'predict returns a probability or an error');
SELECT is((SELECT string_agg(DISTINCT kind || ' ' || fn, '; ') FROM outcomes
		   WHERE class IN ('flipped', 'foreign') AND outcome = 'ok' AND fn <> 'model_info'), NULL,
	'a changed byte with the old checksum, or foreign bytes, are always refused');
-- each kind's own readers accept the valid model, and reject some resealed mutants as corrupted
SELECT is((SELECT string_agg(DISTINCT kind, ',' ORDER BY kind) FROM outcomes
		   WHERE class = 'valid' AND outcome = 'ok' AND fn <> 'model_info'),
	'als,convnet,kmeans,logistic,rules,scaler', 'every kind has readers that accept it');
SELECT is((SELECT string_agg(DISTINCT kind, ',' ORDER BY kind) FROM outcomes
		   WHERE class LIKE '%resealed' AND outcome = 'XX001' AND fn <> 'model_info'),
	'als,convnet,kmeans,logistic,rules,scaler', 'every kind''s body decoder is reached and refuses some mutants');

SELECT diag(kind || ': ' || count(*) || ' calls, ' || count(*) FILTER (WHERE outcome = 'ok') || ' ok, errors '
			|| string_agg(DISTINCT outcome, ' ') FILTER (WHERE outcome <> 'ok'))
FROM outcomes GROUP BY kind ORDER BY kind;

SELECT * FROM finish();
ROLLBACK;
