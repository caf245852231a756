-- assoc.train_convnet, assoc.predict, assoc.model_info on convnet models: shapes,
-- options, scoring, memory bound, statement_timeout.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;
SET assoc.mining_mem = '64MB';

-- 600 sequences of 12 steps x 16 features (hash-based pseudo-random values in [0, 1));
-- label: feature 0 exceeds 0.9 at two consecutive steps somewhere
CREATE TABLE convnet_t AS
WITH v AS (
	SELECT i, t, array_agg(abs(hashtext(i || ':' || t || ':' || f)::float8) / 2147483648.0 ORDER BY f) AS step
	FROM generate_series(1, 600) i, generate_series(1, 12) t, generate_series(1, 16) f
	GROUP BY i, t
)
SELECT i, array_agg(step ORDER BY t) AS x,
	   bool_or(step[1] > 0.9 AND (SELECT w.step[1] > 0.9 FROM v w WHERE w.i = v.i AND w.t = v.t + 1)) AS label
FROM v GROUP BY i;
SELECT count(*), count(*) FILTER (WHERE label) AS positives, array_dims(min(x)) FROM convnet_t;

-- the default architecture on 12 steps: 12 -> 10 -> 5 -> 3 -> 1
CREATE TABLE convnet_m AS
SELECT assoc.train_convnet(x, label, '{"epochs": 3}') AS m FROM convnet_t;
SELECT l->>'type' AS type, l->'output' AS output, l->'parameters' AS parameters,
	   l->>'activation' AS activation
FROM convnet_m, jsonb_array_elements(assoc.model_info(m)->'info'->'layers') l;
SELECT i - 'layers' - 'history' - 'best_epoch' AS info,
	   jsonb_array_length(i->'history'->'val_loss') AS epochs_in_history
FROM convnet_m, LATERAL (SELECT assoc.model_info(m)->'info') s(i);
SELECT mi->>'kind' AS kind, mi->'dim1' AS steps, mi->'dim2' AS features,
	   mi->'training_rows' AS training_rows, (mi->>'loss')::float8 > 0 AS has_loss,
	   (mi->'hyper_parameters') - 'layers' AS hyper_parameters,
	   mi->'hyper_parameters'->'layers' = (SELECT jsonb_agg(l - 'output' - 'parameters')
										   FROM jsonb_array_elements(mi->'info'->'layers') l) AS layers_recorded
FROM convnet_m, LATERAL (SELECT assoc.model_info(m)) s(mi);

-- scoring: probabilities, the same for a 2-D and a flat array
SELECT count(*) AS scored,
	   bool_and(p > 0 AND p < 1) AS probabilities,
	   bool_and(p = assoc.predict(m, ARRAY(SELECT unnest(x)))) AS flat_equals_2d
FROM convnet_t, convnet_m, LATERAL (SELECT assoc.predict(m, x)) s(p);

-- the per-call-site cache: two models alternating in one call site score as they do alone
CREATE TABLE convnet_m2 AS
SELECT assoc.train_convnet(x, label, '{"epochs": 1, "seed": 9, "layers": [{"type": "flatten"}, {"type": "dense", "units": 1}]}') AS m
FROM convnet_t;
SELECT bool_and(s.p = CASE WHEN t.i % 2 = 0 THEN a.p ELSE b.p END) AS cache_keeps_models_apart
FROM convnet_t t
	 JOIN LATERAL (SELECT assoc.predict(CASE WHEN t.i % 2 = 0 THEN (SELECT m FROM convnet_m)
											   ELSE (SELECT m FROM convnet_m2) END, t.x)) s(p) ON true
	 JOIN LATERAL (SELECT assoc.predict((SELECT m FROM convnet_m), t.x)) a(p) ON true
	 JOIN LATERAL (SELECT assoc.predict((SELECT m FROM convnet_m2), t.x)) b(p) ON true;

-- a flat input with "steps", dropout, no standardisation, no validation split, verbose epochs
SELECT assoc.model_info(m)->'info'->'examples' AS examples,
	   assoc.model_info(m)->'info'->'standardized' AS standardized,
	   assoc.model_info(m)->'info'->'history' ? 'val_loss' AS has_val_loss
FROM (SELECT assoc.train_convnet(ARRAY(SELECT unnest(x)), label,
			 '{"steps": 12, "epochs": 2, "validation_fraction": 0, "standardize": false, "verbose": true,
			   "layers": [{"type": "conv1d", "filters": 4, "kernel": 5}, {"type": "dropout", "rate": 0.5},
						  {"type": "flatten"}, {"type": "dense", "units": 1}]}') AS m
	  FROM convnet_t) s;

-- rows with a NULL features or label are skipped and counted
SELECT assoc.model_info(m)->'info'->'examples'->'skipped_null_rows' AS skipped,
	   assoc.model_info(m)->'training_rows' AS training_rows
FROM (SELECT assoc.train_convnet(CASE WHEN i % 10 = 0 THEN NULL ELSE x END,
								 CASE WHEN i % 15 = 0 THEN NULL ELSE label END,
								 '{"epochs": 1}') AS m
	  FROM convnet_t) s;

-- early stopping: with a large learning rate the validation loss soon fails to improve, and
-- patience 1 stops there, keeping the weights of the epoch before
SELECT (i->>'stopped_early')::bool AS stopped_early, (i->>'epochs_run')::int < 200 AS before_the_end,
	   (i->>'best_epoch')::int = (i->>'epochs_run')::int - 1 AS best_is_one_before
FROM (SELECT assoc.model_info(assoc.train_convnet(x, label,
			 '{"epochs": 200, "patience": 1, "learning_rate": 0.5, "layers": [{"type": "flatten"}, {"type": "dense", "units": 1}]}'))->'info' AS i
	  FROM convnet_t) s;

-- the memory bound: examples (here 600 x 192 x 8 bytes) and the training workspace count
-- against assoc.mining_mem; the first fails while collecting rows, the second while training
SET assoc.mining_mem = '1MB';
SELECT assoc.train_convnet(x, label) FROM convnet_t;
SET assoc.mining_mem = '2MB';
SELECT assoc.train_convnet(x, label) FROM convnet_t;
SET assoc.mining_mem = '64MB';

-- statement_timeout interrupts training
SET statement_timeout = '300ms';
SELECT assoc.train_convnet(x, label, '{"epochs": 100000, "patience": 0}') FROM convnet_t;
RESET statement_timeout;

DROP TABLE convnet_t, convnet_m, convnet_m2;
