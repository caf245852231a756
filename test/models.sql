-- pgTAP: the SQL surface of the models area (issue 5): signatures, aggregate
-- shapes, volatility and parallel labels, privileges, error codes, and a few
-- results checked against independent computations.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
SELECT plan(59);

-- signatures
SELECT has_function('assoc', 'predict', ARRAY['bytea', 'double precision[]']);
SELECT has_function('assoc', 'model_info', ARRAY['bytea']);
SELECT has_function('assoc', 'logistic_coefficients', ARRAY['bytea']);
SELECT has_function('assoc', 'save_model', ARRAY['text', 'bytea', 'text', 'jsonb', 'jsonb', 'boolean', 'text']);
SELECT has_function('assoc', 'deploy', ARRAY['text', 'integer']);
SELECT has_function('assoc', 'rollback', ARRAY['text']);
SELECT has_function('assoc', 'model', ARRAY['text', 'integer']);
SELECT has_function('assoc', 'set_training_spec', ARRAY['text', 'text', 'text', 'jsonb', 'double precision', 'text', 'boolean']);
SELECT is_aggregate('assoc', 'train_logistic', ARRAY['double precision[]', 'boolean']);
SELECT is_aggregate('assoc', 'train_logistic', ARRAY['double precision[]', 'boolean', 'jsonb']);
SELECT is_aggregate('assoc', 'classification_metrics', ARRAY['double precision', 'boolean']);
SELECT is_aggregate('assoc', 'classification_metrics', ARRAY['double precision', 'boolean', 'double precision']);
SELECT is_aggregate('assoc', 'ranking_metrics', ARRAY['anyarray', 'anyarray']);
SELECT is_aggregate('assoc', 'ranking_metrics', ARRAY['anyarray', 'anyarray', 'integer']);

-- volatility
SELECT volatility_is('assoc', 'predict', ARRAY['bytea', 'double precision[]'], 'immutable');
SELECT volatility_is('assoc', 'model_info', ARRAY['bytea'], 'immutable');
SELECT volatility_is('assoc', 'logistic_coefficients', ARRAY['bytea'], 'immutable');
SELECT volatility_is('assoc', 'model', ARRAY['text', 'integer'], 'stable');
SELECT volatility_is('assoc', 'deploy', ARRAY['text', 'integer'], 'volatile');
SELECT volatility_is('assoc', 'train_logistic_final', ARRAY['internal'], 'volatile');

-- every aggregate is parallel safe; the metrics aggregates have combine, serial
-- and deserial functions; train_logistic has none (it collects every row, and
-- partial states only moved them with more copies: docs/models.md)
SELECT is(
	(SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	 JOIN pg_namespace n ON n.oid = p.pronamespace
	 WHERE n.nspname = 'assoc' AND p.proname IN ('classification_metrics', 'ranking_metrics')
	   AND p.proparallel = 's' AND a.aggcombinefn <> 0 AND a.aggserialfn <> 0 AND a.aggdeserialfn <> 0
	   AND a.aggtranstype = 'internal'::regtype),
	4, 'the four metrics aggregates are parallel safe with combine/serial/deserial');
SELECT is(
	(SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	 JOIN pg_namespace n ON n.oid = p.pronamespace
	 WHERE n.nspname = 'assoc' AND p.proname = 'train_logistic'
	   AND p.proparallel = 's' AND a.aggcombinefn = 0 AND a.aggserialfn = 0 AND a.aggdeserialfn = 0
	   AND a.aggtranstype = 'internal'::regtype),
	2, 'the two train_logistic aggregates are parallel safe, single-stage');
SELECT is(
	(SELECT count(*)::int FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
	 JOIN pg_proc t ON t.oid = a.aggtransfn JOIN pg_namespace n ON n.oid = p.pronamespace
	 WHERE n.nspname = 'assoc' AND p.proname IN ('train_logistic', 'classification_metrics', 'ranking_metrics')
	   AND t.proisstrict),
	0, 'no transition function of the model aggregates is strict');
SELECT is(
	(SELECT count(*)::int FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
	 WHERE n.nspname = 'assoc' AND p.proname IN ('predict', 'model_info', 'logistic_coefficients', 'model')
	   AND p.proparallel <> 's'),
	0, 'scoring and reading functions are parallel safe');

-- every function of the area has a comment
SELECT is(
	(SELECT string_agg(p.proname, ', ' ORDER BY p.proname) FROM pg_proc p
	 JOIN pg_namespace n ON n.oid = p.pronamespace
	 WHERE n.nspname = 'assoc'
	   AND (p.proname ~ '^(train_logistic|classification_metrics|ranking_metrics|logistic_coefficients|predict|model_info)'
			OR p.proname IN ('save_model', 'deploy', 'rollback', 'model', 'model_missing', 'set_training_spec', 'lock_model_name', 'set_deployed'))
	   AND obj_description(p.oid, 'pg_proc') IS NULL),
	NULL, 'every function and aggregate has COMMENT ON');

-- writers are not executable by PUBLIC; readers are
SELECT ok(NOT has_function_privilege('public', 'assoc.deploy(text, integer)', 'EXECUTE'), 'deploy is revoked from PUBLIC');
SELECT ok(NOT has_function_privilege('public', 'assoc.save_model(text, bytea, text, jsonb, jsonb, boolean, text)', 'EXECUTE'), 'save_model is revoked from PUBLIC');
SELECT ok(NOT has_function_privilege('public', 'assoc.rollback(text)', 'EXECUTE'), 'rollback is revoked from PUBLIC');
SELECT ok(has_function_privilege('public', 'assoc.predict(bytea, float8[])', 'EXECUTE'), 'predict is executable by PUBLIC');

-- registry tables
SELECT has_table('assoc', 'models', 'assoc.models exists');
SELECT col_is_pk('assoc', 'models', ARRAY['name', 'version'], 'models are keyed by name and version');
SELECT has_index('assoc', 'models', 'models_one_deployed', 'one deployed version per name');
SELECT has_table('assoc', 'training_specs', 'assoc.training_specs exists');

-- a model trained on a tiny hand-made set; predict = sigmoid of the raw form
CREATE TEMP TABLE tap_rows AS
SELECT ARRAY[x, x * x]::float8[] AS f, y FROM (VALUES (-2.0, false), (-1.0, false), (-0.5, true), (0.0, false),
	(0.5, true), (1.0, true), (1.5, false), (2.0, true)) v(x, y);
CREATE TEMP TABLE tap_model AS SELECT assoc.train_logistic(f, y) AS m FROM tap_rows;
SELECT results_eq(
	$$SELECT round(assoc.predict(m, ARRAY[0.7, 0.49])::numeric, 12) FROM tap_model$$,
	$$SELECT round((1 / (1 + exp(-(sum(raw_coefficient * CASE feature WHEN 0 THEN 1 WHEN 1 THEN 0.7 ELSE 0.49 END)))))::numeric, 12)
	  FROM tap_model, assoc.logistic_coefficients(m)$$,
	'predict is the sigmoid of the raw coefficients');
SELECT is((SELECT assoc.model_info(m)->>'kind' FROM tap_model), 'logistic', 'model_info names the kind');
SELECT is((SELECT (assoc.model_info(m)->>'training_rows')::int FROM tap_model), 8, 'model_info counts the rows');
SELECT is((SELECT count(*)::int FROM tap_model, assoc.logistic_coefficients(m)), 3, 'intercept and two coefficients');
-- score equation of the intercept: mean prediction = positive rate (4 of 8)
SELECT is((SELECT round(avg(assoc.predict(m, f))::numeric, 9) FROM tap_rows, tap_model), 0.5::numeric,
	'mean predicted probability equals the positive rate');
-- hand-computed classification metrics: see sql/metrics.sql
SELECT is((SELECT assoc.classification_metrics(s, l, 0.7)->>'auc'
		   FROM (VALUES (0.8, true), (0.6, true), (0.6, false), (0.2, false)) v(s, l)), '0.875', 'AUC with a tie');
SELECT is((SELECT assoc.ranking_metrics(ARRAY[3, 1, 2], ARRAY[1, 2], 2)->>'map'), '0.25',
	'MAP@2 of [3 1 2] vs {1 2}: (1/2) / 2');

-- error codes
SELECT throws_ok($$SELECT assoc.predict('\x00'::bytea, ARRAY[1.0])$$, '22023', 'bytea value is not an assoc model', 'foreign bytes');
SELECT throws_ok($$SELECT assoc.predict(substring(m from 1 for 40), ARRAY[1.0, 2.0]) FROM tap_model$$, 'XX001', 'assoc model is corrupted', 'truncated model');
SELECT throws_ok($$SELECT assoc.predict(m, ARRAY[1.0]) FROM tap_model$$, '22023', 'the model expects 2 features, not 1', 'wrong length');
SELECT throws_ok($$SELECT assoc.predict(m, ARRAY[1.0, NULL]) FROM tap_model$$, '22004', NULL, 'NULL feature');
SELECT throws_ok($$SELECT assoc.predict(m, ARRAY[1.0, 'NaN']) FROM tap_model$$, '22023', 'features must hold finite numbers', 'NaN feature');
SELECT throws_ok($$SELECT assoc.train_logistic(f, true) FROM tap_rows$$, '22023', 'assoc.train_logistic needs rows of both labels', 'one class');
SELECT throws_ok($$SELECT assoc.train_logistic(f, y) FROM tap_rows WHERE false$$, '22023', NULL, 'no rows');
SELECT throws_ok($$SELECT assoc.train_logistic(f, y, '{"C": 1}') FROM tap_rows$$, '22023', NULL, 'unknown option');
SELECT throws_ok($$SELECT assoc.classification_metrics('NaN', true)$$, '22023', NULL, 'NaN score');
SELECT throws_ok($$SELECT assoc.ranking_metrics(ARRAY[1], ARRAY[1], 0)$$, '22023', NULL, 'k = 0');
SELECT throws_ok($$SELECT assoc.model('tap no such model')$$, '42704', NULL, 'unknown model name');

-- registry round trip inside this transaction
SELECT is((SELECT assoc.save_model('tap_model', m) FROM tap_model), 1, 'first version is 1');
SELECT is((SELECT assoc.save_model('tap_model', m, deploy => true) FROM tap_model), 2, 'second version is 2');
SELECT is((SELECT assoc.model('tap_model') = m FROM tap_model), true, 'the deployed model comes back byte for byte');
SELECT is(assoc.deploy('tap_model', 1), 1, 'deploy version 1');
SELECT is(assoc.rollback('tap_model'), 2, 'rollback returns to version 2');
SELECT throws_ok($$SELECT assoc.rollback('tap_model')$$, '55000', NULL, 'nothing earlier to roll back to');
SELECT lives_ok($$SELECT assoc.set_training_spec('tap_model', 'assoc.train_logistic', 'SELECT f, y FROM tap_rows', metric => 'auc')$$, 'training spec stored');
SELECT is((SELECT metric FROM assoc.training_specs WHERE name = 'tap_model'), 'auc', 'spec metric');

SELECT * FROM finish();
ROLLBACK;
