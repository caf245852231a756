-- assoc.train_logistic in a parallel plan (parallel workers scan the rows, a
-- Gather brings them to the leader, which aggregates them: the aggregate has no
-- partial stage) gives the model of the serial plan, and the planner keeps a
-- plain scan serial; the final function can run many times on one state (a
-- window with a growing frame).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;

-- 40,000 rows, 4 features, some NULL labels; deterministic (no random())
CREATE TABLE lr_par AS
SELECT i AS id,
	   ARRAY[sin(i * 0.7), cos(i * 1.3) * 3, (i % 17) / 17.0 - 0.5, sin(i * 0.11) * cos(i * 0.37)]::float8[] AS features,
	   CASE WHEN i % 997 = 0 THEN NULL
			ELSE sin(i * 0.7) + 0.2 * cos(i * 1.3) + 0.4 * sin(i * 2.9) > 0.1 END AS label
FROM generate_series(1, 40000) i;
ANALYZE lr_par;

SET max_parallel_workers_per_gather = 0;
SELECT assoc.train_logistic(features, label, '{"l2": 0.5}') AS serial FROM lr_par \gset

-- with the default settings, a plain scan is not split among workers (a
-- Gather would move every row, and there is no partial aggregate to run)
RESET max_parallel_workers_per_gather;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) SELECT assoc.train_logistic(features, label, '{"l2": 0.5}') FROM lr_par;
RESET min_parallel_table_scan_size;

SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT assoc.train_logistic(features, label, '{"l2": 0.5}') FROM lr_par;
SELECT assoc.train_logistic(features, label, '{"l2": 0.5}') AS parallel FROM lr_par \gset
RESET parallel_leader_participation;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET max_parallel_workers_per_gather;

-- the same rows (in another order) give the same model up to rounding
SELECT count(*) AS coefficients,
	   max(abs(s.coefficient - p.coefficient) / greatest(abs(s.coefficient), 1e-300)) < 1e-12 AS same_model
FROM assoc.logistic_coefficients(:'serial'::bytea) s
JOIN assoc.logistic_coefficients(:'parallel'::bytea) p USING (feature);
SELECT i->'training_rows' AS training_rows, i->'info'->'skipped_rows' AS skipped_rows,
	   i->'info'->'positives' AS positives, i->'hyper_parameters'->'l2' AS l2
FROM (VALUES (assoc.model_info(:'serial'::bytea)), (assoc.model_info(:'parallel'::bytea))) v(i);

-- a window with a growing frame runs the final function on the same state
-- after every row; the last frame holds every row
CREATE TEMP TABLE lr_window AS
SELECT id, assoc.train_logistic(features, label) OVER (ORDER BY greatest(id, 200)) AS model
FROM lr_par WHERE id <= 400;
SELECT count(*) AS models, count(DISTINCT model) AS distinct_models FROM lr_window;
SELECT max(abs(w.coefficient - a.coefficient) / greatest(abs(a.coefficient), 1e-300)) < 1e-12 AS last_frame_is_the_aggregate
FROM assoc.logistic_coefficients((SELECT model FROM lr_window WHERE id = 400)) w
JOIN assoc.logistic_coefficients((SELECT assoc.train_logistic(features, label) FROM lr_par WHERE id <= 400)) a
	USING (feature);

DROP TABLE lr_par;

-- large inputs start Newton from the solution on a sample of the chunks; the
-- answer is the full data's optimum either way
CREATE TEMP TABLE lr_big AS
SELECT ARRAY[sin(i * 0.7), cos(i * 1.3) * 3, (i % 17) / 17.0 - 0.5]::float8[] AS features,
	   sin(i * 0.7) + 0.2 * cos(i * 1.3) + 0.8 * sin(i * 2.9) > 0.1 AS label
FROM generate_series(1, 160000) i;
CREATE TEMP TABLE lr_big_models AS
SELECT w, assoc.train_logistic(features, label, jsonb_build_object('warm_start', w)) AS model
FROM lr_big, (VALUES (true), (false)) v(w) GROUP BY w;
SELECT w AS warm_start, (assoc.model_info(model)->'info'->>'warm_start_rows')::int > 0 AS sampled,
	   (assoc.model_info(model)->'info'->>'converged')::boolean AS converged
FROM lr_big_models ORDER BY w;
SELECT max(abs(a.coefficient - b.coefficient) / greatest(abs(b.coefficient), 1e-300)) < 1e-10 AS same_optimum
FROM assoc.logistic_coefficients((SELECT model FROM lr_big_models WHERE w)) a
JOIN assoc.logistic_coefficients((SELECT model FROM lr_big_models WHERE NOT w)) b USING (feature);

-- the 160,000 rows fill several chunks, whose column moments are taken per chunk
-- and merged (Chan, Golub and LeVeque): the model's means and scales against SQL's
-- avg and stddev_pop over all the rows
SELECT bool_and(abs(c.mean - s.mean) <= 1e-12 * greatest(abs(s.mean), 1e-3)
				AND abs(c.scale - s.sd) <= 1e-12 * s.sd) AS moments_match_sql
FROM assoc.logistic_coefficients((SELECT model FROM lr_big_models WHERE w)) c
JOIN (SELECT j AS feature, avg(features[j]) AS mean, stddev_pop(features[j]) AS sd
	  FROM lr_big, generate_series(1, 3) j GROUP BY j) s USING (feature);
-- the training loss in the model (summed as logarithms of products of 1 + e)
-- against the mean log loss computed in SQL from the raw coefficients
WITH c AS (SELECT array_agg(raw_coefficient ORDER BY feature) AS b
		   FROM assoc.logistic_coefficients((SELECT model FROM lr_big_models WHERE w))),
z AS (SELECT b[1] + b[2] * features[1] + b[3] * features[2] + b[4] * features[3] AS z, label::int AS y
	  FROM lr_big, c)
SELECT abs(avg(greatest(z, 0) + ln(1 + exp(-abs(z))) - y * z)
		   - (assoc.model_info((SELECT model FROM lr_big_models WHERE w))->>'loss')::float8)
	   <= 1e-9 * avg(greatest(z, 0) + ln(1 + exp(-abs(z))) - y * z) AS loss_matches_sql
FROM z;

-- statement_timeout cancels training (the passes check for interrupts)
SET statement_timeout = '20ms';
SELECT length(assoc.train_logistic(features, label, '{"warm_start": false}')) FROM lr_big;
RESET statement_timeout;
