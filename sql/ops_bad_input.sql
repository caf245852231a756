-- A catalogue of bad input across the whole API: NULLs, empty inputs,
-- NaN/Infinity, huge k, wrong-kind and corrupted models, malformed options,
-- hostile text items (quotes, newlines, multibyte, empty, long), and source
-- queries that try to write.  Each case prints its result or its error
-- (SQLSTATE: message); at the end: no internal error (XX000) anywhere, and
-- nothing was written by a source query.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;

-- fixtures: one small model of each kind, and baskets with hostile item names
CREATE TABLE bad_lines (basket int, item text);
INSERT INTO bad_lines
SELECT b, (ARRAY['it''s', E'new\nline', 'ümlaut ☕ 漢字', '"quoted"', E'back\\slash', '', repeat('long', 500), 'plain'])[1 + (b + j) % 8]
FROM generate_series(1, 40) b, generate_series(0, 2) j;
CREATE TABLE bad_models AS
SELECT (SELECT assoc.train_logistic(ARRAY[sin(i), cos(i)], sin(i) > 0) FROM generate_series(1, 100) i) AS logistic,
	   assoc.train_rules('SELECT basket, item FROM bad_lines', 0.05, 0.1) AS rules,
	   (SELECT assoc.train_als(u, (u * 3 + j) % 7, 1.0, '{"factors": 2, "max_iter": 2}') FROM generate_series(1, 20) u, generate_series(1, 3) j) AS als,
	   (SELECT assoc.train_kmeans(ARRAY[sin(i), cos(i)], 2) FROM generate_series(1, 50) i) AS kmeans,
	   (SELECT assoc.train_convnet(ARRAY[[sin(i)], [cos(i)], [1]]::float8[], i % 2 = 0,
		   '{"epochs": 1, "layers": [{"type": "conv1d", "filters": 1, "kernel": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]}')
		FROM generate_series(1, 20) i) AS convnet,
	   (SELECT assoc.scaler_fit(ARRAY[i, i * 2]::float8[]) FROM generate_series(1, 10) i) AS scaler;
CREATE TABLE bad_sink (x int);
CREATE SEQUENCE bad_seq;
CREATE FUNCTION bad_writer(x int) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO bad_sink VALUES (x);
	RETURN x;
END $$;
CREATE FUNCTION bad_writer_array(x float8[]) RETURNS float8[] LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO bad_sink VALUES (1);
	RETURN x;
END $$;

-- the result of a query (its first value, as text, cut at 60 characters) or its error
CREATE FUNCTION pg_temp.outcome(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	v text;
BEGIN
	EXECUTE q INTO v;
	RETURN 'ok: ' || coalesce(left(v, 60), 'NULL');
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TABLE bad_cases (id serial, area text, case_name text, q text);
INSERT INTO bad_cases (area, case_name, q) VALUES
-- NULLs
('null', 'frequent_itemsets source NULL', $$SELECT count(*) FROM assoc.frequent_itemsets(NULL::text, 0.1)$$),
('null', 'rules min_support NULL', $$SELECT count(*) FROM assoc.rules('SELECT basket, item FROM bad_lines', NULL, 0.5)$$),
('null', 'rows with NULL basket or item are skipped', $$SELECT string_agg(items::text, ' ') FROM assoc.frequent_itemsets('SELECT b, i FROM (VALUES (1, ''a''), (NULL, ''a''), (2, NULL), (2, ''a'')) v(b, i)', 0.5)$$),
('null', 'train_rules source NULL', $$SELECT assoc.train_rules(NULL::text, 0.1, 0.1) IS NULL$$),
('null', 'predict with a NULL model (STRICT)', $$SELECT assoc.predict(NULL, ARRAY[1.0]) IS NULL$$),
('null', 'predict with a NULL element', $$SELECT assoc.predict(logistic, ARRAY[1.0, NULL]) FROM bad_models$$),
('null', 'recommend_for_cart cart NULL', $$SELECT count(*) FROM bad_models, assoc.recommend_for_cart(rules, NULL)$$),
('null', 'recommend_for_cart k NULL', $$SELECT count(*) FROM bad_models, assoc.recommend_for_cart(rules, '{plain}', NULL)$$),
('null', 'recommend user NULL', $$SELECT count(*) FROM bad_models, assoc.recommend(als, NULL)$$),
('null', 'train_logistic skips NULL rows', $$SELECT assoc.model_info(assoc.train_logistic(f, y))->'info'->'skipped_rows' FROM (VALUES (ARRAY[1.0], true), (ARRAY[2.0], false), (NULL, true), (ARRAY[3.0], NULL)) v(f, y)$$),
('null', 'classification_metrics with NULL scores', $$SELECT assoc.classification_metrics(s, l)->>'n' FROM (VALUES (NULL::float8, true), (0.9, true), (0.1, false)) v(s, l)$$),
('null', 'model_info NULL', $$SELECT assoc.model_info(NULL) IS NULL$$),
('null', 'assoc.model NULL name', $$SELECT assoc.model(NULL)$$),
('null', 'save_model NULL model', $$SELECT assoc.save_model('x', NULL)$$),
('null', 'kmeans_choose_k source NULL', $$SELECT count(*) FROM assoc.kmeans_choose_k(NULL)$$),
('null', 'customer_features source NULL', $$SELECT count(*) FROM assoc.customer_features(NULL, now())$$),
-- empty inputs
('empty', 'frequent_itemsets of no rows', $$SELECT count(*) FROM assoc.frequent_itemsets('SELECT 1, 2 WHERE false', 0.1)$$),
('empty', 'empty source text', $$SELECT count(*) FROM assoc.frequent_itemsets('', 0.1)$$),
('empty', 'train_rules of no rows', $$SELECT assoc.model_info(assoc.train_rules('SELECT 1, 2 WHERE false', 0.1, 0.1))->>'kind'$$),
('empty', 'train_logistic of no rows', $$SELECT assoc.train_logistic(ARRAY[1.0], true) FROM generate_series(1, 0)$$),
('empty', 'train_als of no rows', $$SELECT assoc.train_als(1, 1, 1.0) IS NULL FROM generate_series(1, 0)$$),
('empty', 'train_kmeans of no rows', $$SELECT assoc.train_kmeans(ARRAY[1.0], 2) IS NULL FROM generate_series(1, 0)$$),
('empty', 'train_convnet of no rows', $$SELECT assoc.train_convnet(ARRAY[[1.0]], true) IS NULL FROM generate_series(1, 0)$$),
('empty', 'basket_agg of no rows', $$SELECT assoc.basket_agg(1, 2) IS NULL FROM generate_series(1, 0)$$),
('empty', 'recommend_for_cart empty cart', $$SELECT count(*) FROM bad_models, assoc.recommend_for_cart(rules, '{}')$$),
('empty', 'recommend_for_cart empty cart, fill', $$SELECT count(*) FROM bad_models, assoc.recommend_for_cart(rules, '{}', fill => true)$$),
('empty', 'predict with no features', $$SELECT assoc.predict(logistic, '{}') FROM bad_models$$),
('empty', 'ranking_metrics of empty lists', $$SELECT assoc.ranking_metrics('{}'::int[], '{}'::int[])::text$$),
('empty', 'hash_features of no keys', $$SELECT cardinality(assoc.hash_features('{}', 8))$$),
('empty', 'model_info of empty bytes', $$SELECT assoc.model_info('')$$),
-- NaN and infinities
('nan', 'predict NaN feature', $$SELECT assoc.predict(logistic, ARRAY['NaN', 1]::float8[]) FROM bad_models$$),
('nan', 'predict Infinity feature', $$SELECT assoc.predict(logistic, ARRAY['Infinity', 1]::float8[]) FROM bad_models$$),
('nan', 'train_logistic Infinity feature', $$SELECT assoc.train_logistic(ARRAY['Infinity'::float8], true)$$),
('nan', 'classification_metrics NaN score', $$SELECT assoc.classification_metrics('NaN', true)$$),
('nan', 'train_als Infinity weight', $$SELECT assoc.train_als(1, 1, 'Infinity')$$),
('nan', 'train_kmeans NaN feature', $$SELECT assoc.train_kmeans(ARRAY['NaN'::float8, 1], 1)$$),
('nan', 'predict_cluster Infinity', $$SELECT assoc.predict_cluster(kmeans, ARRAY['-Infinity', 0]::float8[]) FROM bad_models$$),
('nan', 'scale NaN', $$SELECT assoc.scale(scaler, ARRAY['NaN', 1]::float8[]) FROM bad_models$$),
('nan', 'min_support NaN', $$SELECT count(*) FROM assoc.frequent_itemsets('SELECT basket, item FROM bad_lines', 'NaN')$$),
('nan', 'min_confidence Infinity', $$SELECT count(*) FROM assoc.rules('SELECT basket, item FROM bad_lines', 0.1, 'Infinity')$$),
('nan', 'holdout NaN in a training spec', $$SELECT assoc.set_training_spec('x', 'assoc.train_logistic', 'SELECT 1', holdout => 'NaN')$$),
('nan', 'hash_features NaN weight', $$SELECT assoc.hash_features('{a}', '{NaN}'::float8[], 8)$$),
-- huge and negative k
('k', 'recommend_for_cart k = 2^31-1 (every candidate)', $$SELECT count(*) FROM bad_models, assoc.recommend_for_cart(rules, '{plain}', 2147483647)$$),
('k', 'recommend_for_cart k = -1', $$SELECT count(*) FROM bad_models, assoc.recommend_for_cart(rules, '{plain}', -1)$$),
('k', 'recommend k = 2^31-1', $$SELECT count(*) FROM bad_models, assoc.recommend(als, 1, 2147483647)$$),
('k', 'similar_items k = 0', $$SELECT count(*) FROM bad_models, assoc.similar_items(als, 1, 0)$$),
('k', 'train_kmeans k = 2^31-1', $$SELECT assoc.train_kmeans(ARRAY[sin(i)], 2147483647) FROM generate_series(1, 5) i$$),
('k', 'train_kmeans k = 0', $$SELECT assoc.train_kmeans(ARRAY[sin(i)], 0) FROM generate_series(1, 5) i$$),
('k', 'ranking_metrics k = 2^31-1', $$SELECT assoc.ranking_metrics('{1,2}'::int[], '{2}'::int[], 2147483647)->>'hit_rate'$$),
('k', 'kmeans_choose_k up to 100000', $$SELECT count(*) FROM assoc.kmeans_choose_k('SELECT ARRAY[sin(i)] FROM generate_series(1, 10) i', 2, 100000)$$),
('k', 'hash_features width = 2^31-1', $$SELECT cardinality(assoc.hash_features('{a}', 2147483647))$$),
('k', 'frequent_itemsets max_len = -5', $$SELECT count(*) FROM assoc.frequent_itemsets('SELECT basket, item FROM bad_lines', 0.1, -5)$$),
-- wrong kinds and corrupted models
('model', 'predict with a rules model', $$SELECT assoc.predict(rules, ARRAY[1.0, 2.0]) FROM bad_models$$),
('model', 'recommend with a logistic model', $$SELECT count(*) FROM bad_models, assoc.recommend(logistic, 1)$$),
('model', 'recommend_for_cart with an ALS model', $$SELECT count(*) FROM bad_models, assoc.recommend_for_cart(als, '{a}')$$),
('model', 'predict_cluster with a convnet model', $$SELECT assoc.predict_cluster(convnet, ARRAY[1.0, 2.0]) FROM bad_models$$),
('model', 'scale with a k-means model', $$SELECT assoc.scale(kmeans, ARRAY[1.0, 2.0]) FROM bad_models$$),
('model', 'logistic_coefficients with a scaler', $$SELECT count(*) FROM bad_models, assoc.logistic_coefficients(scaler)$$),
('model', 'predict with one byte', $$SELECT assoc.predict('\x00', ARRAY[1.0])$$),
('model', 'predict with a truncated model', $$SELECT assoc.predict(substring(logistic FROM 1 FOR 40), ARRAY[1.0, 2.0]) FROM bad_models$$),
('model', 'predict with a flipped bit', $$SELECT assoc.predict(set_byte(logistic, 60, get_byte(logistic, 60) # 1), ARRAY[1.0, 2.0]) FROM bad_models$$),
('model', 'model_info of text', $$SELECT assoc.model_info(convert_to('hello, world: not a model at all', 'UTF8'))$$),
('model', 'save_model of foreign bytes', $$SELECT assoc.save_model('x', '\xdeadbeef')$$),
('model', 'predict with the wrong width', $$SELECT assoc.predict(logistic, ARRAY[1.0, 2.0, 3.0]) FROM bad_models$$),
('model', 'convnet predict with a flat vector (3 steps)', $$SELECT assoc.predict(convnet, ARRAY[1.0, 2.0, 3.0]) BETWEEN 0 AND 1 FROM bad_models$$),
-- malformed options
('options', 'train_logistic l2 a string', $$SELECT assoc.train_logistic(ARRAY[1.0], true, '{"l2": "x"}')$$),
('options', 'train_logistic options an array', $$SELECT assoc.train_logistic(ARRAY[1.0], true, '[1]')$$),
('options', 'train_logistic l2 negative', $$SELECT assoc.train_logistic(ARRAY[1.0], true, '{"l2": -1}')$$),
('options', 'train_logistic unknown key', $$SELECT assoc.train_logistic(ARRAY[1.0], true, '{"C": 1}')$$),
('options', 'train_logistic options JSON null', $$SELECT assoc.train_logistic(ARRAY[1.0], true, 'null')$$),
('options', 'train_als factors 0', $$SELECT assoc.train_als(1, 1, 1.0, '{"factors": 0}')$$),
('options', 'train_als max_iter 1e300', $$SELECT assoc.train_als(1, 1, 1.0, '{"max_iter": 1e300}')$$),
('options', 'train_kmeans unknown init', $$SELECT assoc.train_kmeans(ARRAY[1.0], 1, '{"init": "nope"}')$$),
('options', 'train_convnet layers not an array', $$SELECT assoc.train_convnet(ARRAY[[1.0]], true, '{"layers": 7}')$$),
('options', 'train_rules min_lift a string', $$SELECT assoc.train_rules('SELECT basket, item FROM bad_lines', 0.1, 0.1, NULL, '{"min_lift": "a"}')$$),
('options', 'scaler_fit unknown method', $$SELECT assoc.scaler_fit(ARRAY[1.0], '{"method": "x"}')$$),
('options', 'set_training_spec options a string', $$SELECT assoc.set_training_spec('x', 'assoc.train_logistic', 'SELECT 1', options => '"s"')$$),
('options', 'set_training_spec unknown metric', $$SELECT assoc.set_training_spec('x', 'assoc.train_logistic', 'SELECT 1', metric => 'ndcg')$$),
('options', 'set_training_spec contradicting direction', $$SELECT assoc.set_training_spec('x', 'assoc.train_logistic', 'SELECT 1', metric => 'log_loss', greater_is_better => true)$$),
('options', 'set_training_spec rules without thresholds', $$SELECT assoc.set_training_spec('x', 'assoc.train_rules', 'SELECT 1, 2')$$),
('options', 'set_training_spec trainer not retrainable', $$SELECT assoc.set_training_spec('x', 'assoc.scaler_fit', 'SELECT 1')$$),
('options', 'set_training_spec ranking k too large', $$SELECT assoc.set_training_spec('x', 'assoc.train_als', 'SELECT 1, 2, 3', metric => 'ndcg@5000')$$),
-- hostile text items: returned verbatim
('text', 'every hostile item is mined verbatim', $$SELECT count(*) FROM assoc.frequent_itemsets('SELECT basket, item FROM bad_lines', 0.01, 1) f JOIN (SELECT DISTINCT item FROM bad_lines) d ON f.items = ARRAY[d.item]$$),
('text', 'rules between hostile items', $$SELECT count(*) FROM assoc.rules('SELECT basket, item FROM bad_lines', 0.05, 0.1) WHERE E'new\nline' = ANY (antecedent || consequent)$$),
('text', 'a cart of a quote item recommends hostile items', $$SELECT string_agg(length(item)::text, ',' ORDER BY item) FROM bad_models, assoc.recommend_for_cart(rules, ARRAY['it''s'], 3)$$),
('text', 'a cart of the multibyte item', $$SELECT count(*) FROM bad_models, assoc.recommend_for_cart(rules, ARRAY['ümlaut ☕ 漢字'], 10)$$),
('text', 'a cart of the empty-string item', $$SELECT count(*) FROM bad_models, assoc.recommend_for_cart(rules, ARRAY[''], 10)$$),
('text', 'hash_features of hostile keys', $$SELECT cardinality(assoc.hash_features(ARRAY['it''s', E'a\nb', '☕', ''], 16))$$),
('text', 'model name with a quote and a newline inside', $$SELECT assoc.save_model(E'o''brien\nmodel', logistic) FROM bad_models$$),
('text', 'model name padded with white space', $$SELECT assoc.save_model(E' padded\n', logistic) FROM bad_models$$),
('text', 'a model name of 201 characters', $$SELECT assoc.save_model(repeat('m', 201), logistic) FROM bad_models$$),
('text', 'train_test_split of a multibyte key', $$SELECT assoc.train_test_split('漢字', 0.5)$$),
-- source queries that try to write (nothing may be written: checked at the end)
('write', 'INSERT ... RETURNING as source', $$SELECT count(*) FROM assoc.frequent_itemsets('INSERT INTO bad_sink VALUES (1) RETURNING x, x', 0.1)$$),
('write', 'data-modifying WITH', $$SELECT count(*) FROM assoc.rules('WITH d AS (DELETE FROM bad_sink RETURNING x) SELECT x, x FROM d', 0.1, 0.1)$$),
('write', 'a function that writes', $$SELECT count(*) FROM assoc.frequent_itemsets('SELECT basket, bad_writer(basket) FROM bad_lines', 0.1)$$),
('write', 'nextval of a sequence', $$SELECT count(*) FROM assoc.frequent_itemsets('SELECT nextval(''bad_seq''), 1', 0.1)$$),
('write', 'two statements', $$SELECT assoc.train_rules('SELECT 1, 2; DELETE FROM bad_sink', 0.1, 0.1)$$),
('write', 'SELECT INTO', $$SELECT count(*) FROM assoc.frequent_itemsets('SELECT 1 AS a, 2 AS b INTO bad_new_table', 0.1)$$),
('write', 'SELECT FOR UPDATE', $$SELECT count(*) FROM assoc.frequent_itemsets('SELECT basket, item FROM bad_lines FOR UPDATE', 0.1)$$),
('write', 'k-means source with a writing function', $$SELECT count(*) FROM assoc.kmeans_choose_k('SELECT bad_writer_array(ARRAY[sin(i)]) FROM generate_series(1, 10) i', 2, 3)$$),
('write', 'features source with a data-modifying WITH', $$SELECT count(*) FROM assoc.customer_features('WITH d AS (DELETE FROM bad_sink RETURNING 1) SELECT 1, 1, 1, now(), 1.0, 1.0 FROM d', now())$$),
('write', 'COPY as source', $$SELECT count(*) FROM assoc.frequent_itemsets('COPY bad_sink TO STDOUT', 0.1)$$),
('write', 'a utility statement as source', $$SELECT count(*) FROM assoc.frequent_itemsets('DROP TABLE bad_sink', 0.1)$$);

ALTER TABLE bad_cases ADD COLUMN outcome text;
DO $$
DECLARE
	c record;
BEGIN
	FOR c IN SELECT id, q FROM bad_cases ORDER BY id LOOP
		UPDATE bad_cases SET outcome = pg_temp.outcome(c.q) WHERE id = c.id;
	END LOOP;
END $$;
SELECT id, area, case_name, outcome FROM bad_cases ORDER BY id;

-- no internal errors: every error has a class of its own
SELECT count(*) AS internal_errors FROM bad_cases WHERE outcome LIKE 'XX000%';
-- nothing was written, no table was created or dropped, the sequence did not move
SELECT count(*) AS sink_rows, to_regclass('bad_new_table') AS new_table, to_regclass('bad_sink') AS sink,
	   (SELECT last_value FROM bad_seq) AS seq_value, (SELECT is_called FROM bad_seq) AS seq_called
FROM bad_sink;
SELECT name, version FROM assoc.models ORDER BY name;

DELETE FROM assoc.models;
DELETE FROM assoc.model_names;

DROP TABLE bad_lines, bad_models, bad_sink, bad_cases;
DROP SEQUENCE bad_seq;
DROP FUNCTION bad_writer(int), bad_writer_array(float8[]);
