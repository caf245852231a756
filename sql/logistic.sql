-- Logistic regression: coefficients and probabilities against scikit-learn
-- (test/oracle/logistic_reference.py regenerates the reference files),
-- options, bad input, model_info and assoc.logistic_coefficients.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;

-- runs a statement, returns its SQLSTATE and message (or 'ok')
CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TEMP TABLE lr_data (dataset text, id int, label boolean, features float8[]);
\copy lr_data FROM 'test/data/logistic_datasets.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE lr_ref (dataset text, options jsonb, source text, feature int, coefficient float8);
\copy lr_ref FROM 'test/data/logistic_reference.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE lr_proba (dataset text, options jsonb, id int, probability float8);
\copy lr_proba FROM 'test/data/logistic_proba.csv' WITH (FORMAT csv, HEADER true)

SELECT dataset, count(*) AS rows, min(cardinality(features)) AS features,
	   round(avg(label::int), 3) AS positive_rate
FROM lr_data GROUP BY dataset ORDER BY dataset;

-- one model per data set and options, rows in a fixed order
CREATE TEMP TABLE lr_models AS
SELECT dataset, options, assoc.train_logistic(features, label, options ORDER BY id) AS model
FROM lr_data JOIN (SELECT DISTINCT dataset, options FROM lr_ref) c USING (dataset)
GROUP BY dataset, options;

-- every coefficient within 1e-4 relative of the reference (source: sklearn,
-- or the long-double Newton oracle where scikit-learn stops early)
SELECT r.dataset, r.options, r.source, count(*) AS coefficients,
	   bool_and(abs(c.coefficient - r.coefficient) <= 1e-4 * abs(r.coefficient)) AS within_1e_4,
	   (m.model->'info'->>'converged')::boolean AS converged, m.model->'info'->>'solver' AS solver
FROM lr_ref r
JOIN (SELECT dataset, options, model AS bytes, assoc.model_info(model) AS model FROM lr_models) m
	USING (dataset, options)
JOIN LATERAL assoc.logistic_coefficients(m.bytes) c ON c.feature = r.feature
GROUP BY r.dataset, r.options, r.source, m.model
ORDER BY r.dataset, r.options::text;

-- probabilities of the first rows against scikit-learn's predict_proba
SELECT p.dataset, p.options, count(*) AS rows,
	   bool_and(abs(assoc.predict(m.model, d.features) - p.probability) <= 1e-8) AS within_1e_8
FROM lr_proba p JOIN lr_models m USING (dataset, options) JOIN lr_data d USING (dataset, id)
GROUP BY p.dataset, p.options ORDER BY p.dataset, p.options::text;

-- with an intercept, the mean predicted probability equals the weighted
-- positive rate at the optimum (the intercept's score equation)
SELECT m.dataset, m.options,
	   round(avg(assoc.predict(m.model, d.features))::numeric, 8) = round(avg(d.label::int), 8) AS calibrated_in_the_large
FROM lr_models m JOIN lr_data d USING (dataset)
WHERE m.options IN ('{}', '{"standardize": false}')
GROUP BY m.dataset, m.options ORDER BY 1, 2::text;

-- raw_coefficient applies to the features as given: same probabilities
SELECT bool_and(abs(assoc.predict(m.model, d.features)
			   - 1 / (1 + exp(-(SELECT sum(c.raw_coefficient * coalesce(d.features[c.feature], 1))
							FROM assoc.logistic_coefficients(m.model) c)))) < 1e-9) AS raw_form_agrees
FROM lr_models m JOIN lr_data d USING (dataset)
WHERE m.dataset IN ('basic', 'breast_cancer');

-- model_info: everything but the creation time and the size; the numbers
-- that depend on rounding (loss, objective, final gradient) are rounded
SELECT jsonb_pretty(jsonb_set(jsonb_set(jsonb_set(i - 'created_at' - 'bytes',
		   '{loss}', to_jsonb(round((i->>'loss')::numeric, 10))),
		   '{info,objective}', to_jsonb(round((i->'info'->>'objective')::numeric, 10))),
		   '{info,gradient_norm}', to_jsonb((i->'info'->>'gradient_norm')::float8 <= 1e-8)))
FROM (SELECT assoc.model_info(model) AS i FROM lr_models WHERE dataset = 'basic' AND options = '{}') x;
SELECT (assoc.model_info(model)->>'bytes')::int = length(model) AS bytes_is_the_envelope_size
FROM lr_models WHERE dataset = 'basic' AND options = '{}';
SELECT assoc.model_info(model)->>'created_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d' AS iso_created_at
FROM lr_models WHERE dataset = 'basic' AND options = '{}';

SELECT feature, round(coefficient::numeric, 6) AS coefficient,
	   round(raw_coefficient::numeric, 6) AS raw_coefficient,
	   round(mean::numeric, 4) AS mean, round(scale::numeric, 4) AS scale
FROM assoc.logistic_coefficients((SELECT model FROM lr_models WHERE dataset = 'basic' AND options = '{}'))
ORDER BY feature;

-- deterministic: the same rows in the same order give the same coefficients, bit for bit
SELECT count(*) AS differing_coefficients FROM (
	(SELECT * FROM assoc.logistic_coefficients((SELECT model FROM lr_models WHERE dataset = 'wide' AND options = '{}')))
	EXCEPT
	(SELECT * FROM assoc.logistic_coefficients((SELECT assoc.train_logistic(features, label, '{}' ORDER BY id)
											  FROM lr_data WHERE dataset = 'wide')))) x;

-- the two-argument form uses the defaults
SELECT count(*) AS differing_coefficients FROM (
	(SELECT * FROM assoc.logistic_coefficients((SELECT model FROM lr_models WHERE dataset = 'basic' AND options = '{}')))
	EXCEPT
	(SELECT * FROM assoc.logistic_coefficients((SELECT assoc.train_logistic(features, label ORDER BY id)
											  FROM lr_data WHERE dataset = 'basic')))) x;

-- separable data without a penalty: no finite answer, an error
SELECT pg_temp.err($$SELECT assoc.train_logistic(features, label, '{"l2": 0}') FROM lr_data WHERE dataset = 'separable'$$);

-- progress messages (few iterations, so the numbers are far above rounding)
SELECT length(assoc.train_logistic(features, label, '{"verbose": true, "max_iter": 2}' ORDER BY id)) > 0 AS trained
FROM lr_data WHERE dataset = 'basic';

-- not converged: a warning, and "converged": false in the model
SELECT assoc.model_info(assoc.train_logistic(features, label, '{"solver": "lbfgs", "max_iter": 3}' ORDER BY id))->'info'->'converged' AS converged
FROM lr_data WHERE dataset = 'breast_cancer';

-- rows with a NULL label or NULL features are skipped and counted
SELECT assoc.model_info(assoc.train_logistic(f, y))->'info'->'skipped_rows' AS skipped,
	   assoc.model_info(assoc.train_logistic(f, y))->'training_rows' AS training_rows
FROM (VALUES (ARRAY[1.0, 0.0]::float8[], true), (ARRAY[0.0, 1.0], false), (ARRAY[1.0, 1.0], NULL),
			 (NULL, true), (ARRAY[0.5, 0.2], true), (ARRAY[0.1, 0.9], false)) v(f, y);

-- bad input
SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y) FROM (VALUES (ARRAY[1.0]::float8[], true)) v(f, y) WHERE false$$) AS no_rows;
SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y) FROM (VALUES (NULL::float8[], true)) v(f, y)$$) AS only_skipped_rows;
SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y) FROM (VALUES (ARRAY[1.0]::float8[], true), (ARRAY[2.0], true)) v(f, y)$$) AS one_class;
SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y) FROM (VALUES (ARRAY[1.0, NULL]::float8[], true)) v(f, y)$$) AS null_element;
SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y) FROM (VALUES (ARRAY[1.0, 'NaN']::float8[], true)) v(f, y)$$) AS nan;
SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y) FROM (VALUES (ARRAY['-Infinity']::float8[], true)) v(f, y)$$) AS infinity;
SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y) FROM (VALUES (ARRAY[1.0, 2.0]::float8[], true), (ARRAY[1.0], false)) v(f, y)$$) AS ragged;
SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y) FROM (VALUES ('{}'::float8[], true)) v(f, y)$$) AS empty_vector;
SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y) FROM (VALUES ('{{1,2},{3,4}}'::float8[], true)) v(f, y)$$) AS two_dimensional;
SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y, o) FROM (VALUES (ARRAY[1.0]::float8[], true, '{}'::jsonb), (ARRAY[0.0], false, '{"l2": 2}')) v(f, y, o)$$) AS varying_options;
SELECT pg_temp.err($$SELECT assoc.train_logistic(features, label, '{"lambda": 1}') FROM lr_data$$) AS unknown_option;
SELECT pg_temp.err($$SELECT assoc.train_logistic(features, label, '{"l2": -1}') FROM lr_data$$) AS negative_l2;
SELECT pg_temp.err($$SELECT assoc.train_logistic(features, label, '{"l2": "1"}') FROM lr_data$$) AS l2_as_text;
SELECT pg_temp.err($$SELECT assoc.train_logistic(features, label, '{"max_iter": 0}') FROM lr_data$$) AS zero_max_iter;
SELECT pg_temp.err($$SELECT assoc.train_logistic(features, label, '{"solver": "sgd"}') FROM lr_data$$) AS unknown_solver;
SELECT pg_temp.err($$SELECT assoc.train_logistic(features, label, '[]') FROM lr_data$$) AS options_array;
SELECT pg_temp.err($$SELECT assoc.train_logistic(features, label, '{"class_weight": "even"}') FROM lr_data WHERE dataset = 'basic'$$) AS class_weight_text;
SELECT pg_temp.err($$SELECT assoc.train_logistic(features, label, '{"class_weight": {"yes": 2}}') FROM lr_data WHERE dataset = 'basic'$$) AS class_weight_key;
SELECT pg_temp.err($$SELECT assoc.train_logistic(features, label, '{"class_weight": {"true": 0}}') FROM lr_data WHERE dataset = 'basic'$$) AS class_weight_zero;
SELECT pg_temp.err($$SELECT assoc.train_logistic(features, label, '{"class_weight": [1, 2]}') FROM lr_data WHERE dataset = 'basic'$$) AS class_weight_array;

SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y) FROM (VALUES (ARRAY[1e300, 1], true), (ARRAY[-1e300, 2], false), (ARRAY[1e300, 3], false)) v(f, y)$$) AS overflow_standardised;
SELECT pg_temp.err($$SELECT assoc.train_logistic(f, y, '{"standardize": false}') FROM (VALUES (ARRAY[1e300, 1], true), (ARRAY[-1e300, 2], false), (ARRAY[1e300, 3], false)) v(f, y)$$) AS overflow_raw;

-- scoring bad input
SELECT pg_temp.err($$SELECT assoc.predict(model, ARRAY[1.0, 2.0]) FROM lr_models WHERE dataset = 'basic' AND options = '{}'$$) AS wrong_length;
SELECT pg_temp.err($$SELECT assoc.predict(model, ARRAY[1, 2, NULL, 4, 5]::float8[]) FROM lr_models WHERE dataset = 'basic' AND options = '{}'$$) AS null_element;
SELECT pg_temp.err($$SELECT assoc.predict(model, ARRAY[1, 2, 'NaN', 4, 5]::float8[]) FROM lr_models WHERE dataset = 'basic' AND options = '{}'$$) AS nan;
SELECT pg_temp.err($$SELECT assoc.predict(model, ARRAY[1, 2, 'Infinity', 4, 5]::float8[]) FROM lr_models WHERE dataset = 'basic' AND options = '{}'$$) AS infinity;
SELECT pg_temp.err($$SELECT assoc.predict('\x0102'::bytea, ARRAY[1.0])$$) AS not_a_model;
SELECT pg_temp.err($$SELECT assoc.predict(substring(model from 1 for 100), ARRAY[1, 2, 3, 4, 5]::float8[]) FROM lr_models WHERE dataset = 'basic' AND options = '{}'$$) AS truncated;
SELECT pg_temp.err($$SELECT assoc.logistic_coefficients('\x00'::bytea)$$) AS coefficients_of_garbage;
SELECT assoc.predict(model, NULL) IS NULL AS null_features_give_null,
	   assoc.predict(NULL, ARRAY[1.0]) IS NULL AS null_model_gives_null
FROM lr_models WHERE dataset = 'basic' AND options = '{}';

-- one call site, several models: each row is scored with its own model
SELECT m.dataset, m.options, round(assoc.predict(m.model, d.features)::numeric, 6) = round(p.probability::numeric, 6) AS own_model
FROM lr_models m JOIN lr_proba p USING (dataset, options) JOIN lr_data d USING (dataset, id)
WHERE p.id = 1 AND m.dataset IN ('basic', 'illcond')
ORDER BY 1, 2::text;
