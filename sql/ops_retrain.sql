-- CALL assoc.retrain: every retrainable kind, the quality gate, forced
-- promotion, and failed runs (source error, cancel, a source that writes)
-- that leave the deployed model untouched and say why in assoc.retrain_runs.
-- Oracles: the split recomputed in SQL, the candidate retrained by hand on the
-- training part, and the holdout metrics recomputed by brute force in SQL
-- (pairs for AUC, the log-loss formula, nearest centroids, hits in top-k).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;
\set SHOW_CONTEXT never
ALTER TABLE assoc.retrain_runs ALTER COLUMN run_id RESTART WITH 1;

-- deterministic data: a noisy linear rule over three features
CREATE TABLE ops_lr AS
SELECT i, ARRAY[round(sin(i)::numeric, 4), round(cos(i * 0.7)::numeric, 4), round(sin(i * 0.3)::numeric, 4)]::float8[] AS f,
	   sin(i) + 0.5 * cos(i * 0.7) + 0.4 * sin(i * 13.1) > 0 AS y
FROM generate_series(1, 1500) i;

-- the run log in short
CREATE FUNCTION pg_temp.runs(model text) RETURNS TABLE(run bigint, outcome text, reason text,
	training_rows bigint, holdout_rows bigint, previous_version int, new_version int, sqlstate text)
LANGUAGE sql AS $$
	SELECT run_id, outcome, reason, training_rows, holdout_rows, previous_version, new_version, sqlstate
	FROM assoc.retrain_runs WHERE name = model ORDER BY run_id
$$;
-- the deployed version and a digest of its bytes
CREATE FUNCTION pg_temp.deployed(model_name text) RETURNS text LANGUAGE sql AS $$
	SELECT string_agg(m.version || ' ' || md5(m.model), ', ') FROM assoc.models m WHERE m.name = model_name AND m.deployed
$$;

---------------------------------------------------------------------------
-- 1. logistic regression, gated on log_loss
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic', 'SELECT f, y FROM ops_lr;  -- every row',
	options => '{"l2": 1}', metric => 'log_loss');
SELECT metric, greater_is_better, holdout FROM assoc.training_specs WHERE name = 'churn';
CALL assoc.retrain('churn');
SELECT * FROM pg_temp.runs('churn');

-- oracle: the holdout is the rows whose text hashes below 0.2 (whatever the session's settings)
SET extra_float_digits = 1;
CREATE TEMP TABLE lr_split AS
SELECT f, y, assoc.train_test_split(ROW(f, y)::text, 0.2, 0) AS part FROM ops_lr;
SET extra_float_digits = 0;
SELECT part, count(*) FROM lr_split GROUP BY part ORDER BY part;
-- oracle: the deployed model is the model trained by hand on the training part
SELECT max(abs(a.coefficient - b.coefficient)) AS max_coefficient_difference
FROM assoc.logistic_coefficients(assoc.model('churn')) a
JOIN assoc.logistic_coefficients((SELECT assoc.train_logistic(f, y, '{"l2": 1}') FROM lr_split WHERE part = 'train')) b
USING (feature);
-- oracle: log loss and AUC of the holdout, by their formulas
CREATE TEMP TABLE lr_scored AS
SELECT y, assoc.predict((SELECT assoc.model('churn')), f) AS p FROM lr_split WHERE part = 'test';
SELECT abs((SELECT -avg(CASE WHEN y THEN ln(p) ELSE ln(1 - p) END) FROM lr_scored)
		   - (candidate_metrics->>'log_loss')::float8) < 1e-12 AS log_loss_agrees,
	   abs((SELECT (count(*) FILTER (WHERE a.p > b.p) + 0.5 * count(*) FILTER (WHERE a.p = b.p))::float8 / count(*)
			FROM lr_scored a, lr_scored b WHERE a.y AND NOT b.y)
		   - (candidate_metrics->>'auc')::float8) < 1e-12 AS auc_agrees
FROM assoc.retrain_runs WHERE name = 'churn';

-- the same spec again: the candidate is as good as the deployed version (equal), so it is promoted
CALL assoc.retrain('churn');
-- a much stronger penalty fits worse: the gate rejects it; keep_rejected saves it undeployed
SELECT pg_temp.deployed('churn') AS before \gset
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic', 'SELECT f, y FROM ops_lr', options => '{"l2": 300}',
	metric => 'log_loss');
CALL assoc.retrain('churn', keep_rejected => true);
SELECT pg_temp.deployed('churn') = :'before' AS deployed_untouched;
SELECT run, outcome, reason, previous_version, new_version FROM pg_temp.runs('churn') WHERE run = (SELECT max(run_id) FROM assoc.retrain_runs);
-- oracle: on the holdout the rejected version 3 has a higher log loss than the deployed version 2
SELECT (SELECT -avg(CASE WHEN y THEN ln(p) ELSE ln(1 - p) END) FROM
		  (SELECT y, assoc.predict((SELECT assoc.model('churn', 3)), f) AS p FROM lr_split WHERE part = 'test') s)
	 > (SELECT -avg(CASE WHEN y THEN ln(p) ELSE ln(1 - p) END) FROM
		  (SELECT y, assoc.predict((SELECT assoc.model('churn', 2)), f) AS p FROM lr_split WHERE part = 'test') s)
	   AS rejected_is_worse;
SELECT version, deployed, comment FROM assoc.models WHERE name = 'churn' ORDER BY version;
-- forced promotion
CALL assoc.retrain('churn', force => true);
SELECT run, outcome, reason, new_version FROM pg_temp.runs('churn') WHERE run = (SELECT max(run_id) FROM assoc.retrain_runs);
SELECT version, deployed FROM assoc.models WHERE name = 'churn' AND deployed;

---------------------------------------------------------------------------
-- 2. failed runs leave the deployed model untouched and say why
SELECT pg_temp.deployed('churn') AS before \gset
-- the source query fails
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic', 'SELECT f, y FROM ops_no_such_table');
CALL assoc.retrain('churn');
-- cancelled by statement_timeout
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic',
	'SELECT f, y FROM ops_lr WHERE pg_sleep(0.01) IS NOT NULL');
SET statement_timeout = '1s';
CALL assoc.retrain('churn');
RESET statement_timeout;
-- a function in the source query tries to write: the source runs read-only
CREATE TABLE ops_sink (x int);
CREATE FUNCTION ops_writer(f float8[]) RETURNS float8[] LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO ops_sink VALUES (1);
	RETURN f;
END $$;
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic', 'SELECT ops_writer(f), y FROM ops_lr');
CALL assoc.retrain('churn');
-- a statement that is not a single plain SELECT
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic', 'WITH d AS (DELETE FROM ops_sink RETURNING 1) SELECT f, y FROM ops_lr');
CALL assoc.retrain('churn');
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic', 'SELECT f, y FROM ops_lr; DELETE FROM ops_sink');
CALL assoc.retrain('churn');
-- an attempt to break out of the subquery the source is placed in
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic', 'SELECT f, y FROM ops_lr) AS s(c1, c2) UNION ALL (SELECT f, y FROM ops_lr');
CALL assoc.retrain('churn');
-- the source returns too few columns, or rows the trainer cannot take
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic', 'SELECT f FROM ops_lr');
CALL assoc.retrain('churn');
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic', 'SELECT f, y FROM ops_lr WHERE false');
CALL assoc.retrain('churn');
SELECT count(*) AS sink_rows FROM ops_sink;
SELECT pg_temp.deployed('churn') = :'before' AS deployed_untouched;
SELECT run, outcome, reason, sqlstate FROM pg_temp.runs('churn') WHERE outcome IN ('failed', 'cancelled');
SELECT error FROM assoc.retrain_runs WHERE name = 'churn' AND sqlstate = '22023' ORDER BY run_id LIMIT 1;

-- no spec; NULL arguments
CALL assoc.retrain('no such model');
CALL assoc.retrain(NULL);
CALL assoc.retrain('churn', force => NULL);

-- inside a transaction block the run belongs to the caller's transaction
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic', 'SELECT f, y FROM ops_lr', options => '{"l2": 1}',
	metric => 'log_loss');
BEGIN;
CALL assoc.retrain('churn');
SELECT outcome FROM assoc.retrain_runs WHERE run_id = (SELECT max(run_id) FROM assoc.retrain_runs);
ROLLBACK;
SELECT count(*) AS runs_after_rollback FROM assoc.retrain_runs WHERE name = 'churn';

-- a run left 'running' by a session that ended is marked abandoned by the next run
INSERT INTO assoc.retrain_runs (name, trainer, source, options, holdout, metric, greater_is_better, pid)
VALUES ('churn', 'assoc.train_logistic', 'SELECT f, y FROM ops_lr', '{}', 0.2, 'log_loss', false, 0);
CALL assoc.retrain('churn');
SELECT outcome, reason FROM assoc.retrain_runs WHERE name = 'churn' AND pid = 0;

-- without a holdout the gate cannot compare: only a first version or a forced run is promoted
SELECT assoc.set_training_spec('churn', 'assoc.train_logistic', 'SELECT f, y FROM ops_lr', holdout => 0);
CALL assoc.retrain('churn');
SELECT run, outcome, reason, training_rows, holdout_rows FROM pg_temp.runs('churn') WHERE run = (SELECT max(run_id) FROM assoc.retrain_runs);

---------------------------------------------------------------------------
-- 3. rules: leave-one-out hit rate on held-out baskets
CREATE TABLE ops_lines AS
SELECT b AS basket, 'item ' || ((b * 7 + j * 13) % 23) AS item FROM generate_series(1, 1200) b, generate_series(1, 1 + b % 4) j
UNION ALL SELECT b, 'milk' FROM generate_series(1, 1200) b WHERE b % 3 = 0
UNION ALL SELECT b, 'bread' FROM generate_series(1, 1200) b WHERE b % 3 = 0 AND b % 2 = 0
UNION ALL SELECT b, 'jam' FROM generate_series(1, 1200) b WHERE b % 5 = 0;
SELECT assoc.set_training_spec('cart', 'assoc.train_rules', 'SELECT basket, item FROM ops_lines',
	options => '{"min_support": 0.01, "min_confidence": 0.1, "max_len": 3}', metric => 'hit_rate@5');
CALL assoc.retrain('cart');
CALL assoc.retrain('cart');
SELECT * FROM pg_temp.runs('cart');
-- oracle: hide the item with the lowest md5 of each held-out basket of two or more items
-- and count the baskets whose top 5 contains it
WITH held AS (
	SELECT basket, array_agg(item ORDER BY md5(item)) AS items FROM (SELECT DISTINCT basket, item FROM ops_lines) d
	WHERE assoc.train_test_split(ROW(basket)::text, 0.2, 0) = 'test' GROUP BY basket),
scored AS (
	SELECT items[1] IN (SELECT item FROM assoc.recommend_for_cart((SELECT assoc.model('cart')), items[2:], 5)) AS hit
	FROM held WHERE cardinality(items) >= 2)
SELECT count(*) = (candidate_metrics->>'n')::int AS n_agrees,
	   abs(avg(hit::int) - (candidate_metrics->>'hit_rate')::float8) < 1e-12 AS hit_rate_agrees
FROM scored, assoc.retrain_runs r WHERE r.run_id = (SELECT max(run_id) FROM assoc.retrain_runs WHERE name = 'cart')
GROUP BY candidate_metrics;
SELECT assoc.model_info(assoc.model('cart'))->'hyper_parameters' AS rules_parameters;

---------------------------------------------------------------------------
-- 4. implicit ALS: held-out (user, item) pairs against each user's top 10
CREATE TABLE ops_events AS
SELECT u::bigint AS user_id, ((u * 3 + j * 7) % 60)::bigint AS item_id, 1.0::float8 AS weight
FROM generate_series(1, 250) u, generate_series(1, 8) j;
SELECT assoc.set_training_spec('als', 'assoc.train_als', 'SELECT user_id, item_id, weight FROM ops_events',
	options => '{"factors": 8, "max_iter": 5, "seed": 3}');
CALL assoc.retrain('als');
SELECT * FROM pg_temp.runs('als');
-- oracle: hit rate = users with a held-out item among their 10 recommendations
WITH held AS (
	SELECT user_id, array_agg(DISTINCT item_id) AS items FROM ops_events
	WHERE assoc.train_test_split(ROW(user_id, item_id)::text, 0.2, 0) = 'test' GROUP BY user_id),
scored AS (
	SELECT EXISTS (SELECT FROM assoc.recommend((SELECT assoc.model('als')), user_id, 10) r WHERE r.item_id = ANY (items)) AS hit
	FROM held)
SELECT count(*) = (candidate_metrics->>'n')::int AS n_agrees,
	   abs(avg(hit::int) - (candidate_metrics->>'hit_rate')::float8) < 1e-12 AS hit_rate_agrees
FROM scored, assoc.retrain_runs r WHERE r.run_id = (SELECT max(run_id) FROM assoc.retrain_runs WHERE name = 'als')
GROUP BY candidate_metrics;

---------------------------------------------------------------------------
-- 5. k-means: mean squared distance of held-out rows to their centroid
CREATE TABLE ops_points AS
SELECT ARRAY[(i % 3) * 10 + round(sin(i)::numeric, 3), (i % 3) * -5 + round(cos(i * 1.3)::numeric, 3)]::float8[] AS f
FROM generate_series(1, 600) i;
SELECT assoc.set_training_spec('segments', 'assoc.train_kmeans', 'SELECT f, 3 FROM ops_points', options => '{"seed": 1}');
SELECT metric, greater_is_better FROM assoc.training_specs WHERE name = 'segments';
CALL assoc.retrain('segments');
-- oracle: squared distance to the nearest centroid, by brute force
SET extra_float_digits = 1;
SELECT abs(avg(d) - (candidate_metrics->>'inertia')::float8) < 1e-9 AS inertia_agrees,
	   count(*) = (candidate_metrics->>'n')::int AS n_agrees
FROM (SELECT p.f, min((c.centroid[1] - p.f[1]) ^ 2 + (c.centroid[2] - p.f[2]) ^ 2) AS d
	  FROM ops_points p, assoc.cluster_centroids(assoc.model('segments')) c
	  WHERE assoc.train_test_split(ROW(p.f)::text, 0.2, 0) = 'test' GROUP BY p.f) o,
	 assoc.retrain_runs r
WHERE r.run_id = (SELECT max(run_id) FROM assoc.retrain_runs WHERE name = 'segments')
GROUP BY candidate_metrics;
SET extra_float_digits = 0;
-- two clusters fit three groups worse: rejected
SELECT assoc.set_training_spec('segments', 'assoc.train_kmeans', 'SELECT f, 2 FROM ops_points', options => '{"seed": 1}');
CALL assoc.retrain('segments');
SELECT run, outcome, reason FROM pg_temp.runs('segments');

---------------------------------------------------------------------------
-- 6. the sequence network, gated on AUC
CREATE TABLE ops_seq AS
SELECT i, ARRAY(SELECT ARRAY[round(sin(i * 0.37 + t)::numeric, 3), round(cos(i * 0.11 * t)::numeric, 3)]
				FROM generate_series(1, 8) t)::float8[] AS x,
	   sin(i * 0.37 + 8) > 0 AS y
FROM generate_series(1, 300) i;
SELECT assoc.set_training_spec('next_buy', 'assoc.train_convnet', 'SELECT x, y FROM ops_seq',
	options => '{"epochs": 20, "seed": 2, "layers": [{"type": "conv1d", "filters": 4, "kernel": 3}, {"type": "flatten"}, {"type": "dense", "units": 1}]}');
-- (the network's figures depend on the BLAS kernels of the machine: only their shape is shown)
SET client_min_messages = warning;
CALL assoc.retrain('next_buy');
CALL assoc.retrain('next_buy');
RESET client_min_messages;
SELECT run, outcome, regexp_replace(reason, '[0-9]+\.[0-9]+', 'x.xxxxxx', 'g') AS reason, training_rows, holdout_rows
FROM pg_temp.runs('next_buy');
-- oracle: AUC by counting pairs
WITH s AS (SELECT y, assoc.predict((SELECT assoc.model('next_buy')), x) AS p FROM ops_seq
		   WHERE assoc.train_test_split(ROW(x, y)::text, 0.2, 0) = 'test')
SELECT abs((SELECT (count(*) FILTER (WHERE a.p > b.p) + 0.5 * count(*) FILTER (WHERE a.p = b.p))::float8 / count(*)
			FROM s a, s b WHERE a.y AND NOT b.y) - (candidate_metrics->>'auc')::float8) < 1e-12 AS auc_agrees,
	   (candidate_metrics->>'auc')::float8 > 0.6 AS learned_something
FROM assoc.retrain_runs WHERE run_id = (SELECT max(run_id) FROM assoc.retrain_runs WHERE name = 'next_buy');

-- every run of this file, by outcome
SELECT outcome, count(*) FROM assoc.retrain_runs GROUP BY outcome ORDER BY outcome;

-- leave the registry empty for other tests
DELETE FROM assoc.retrain_runs;
DELETE FROM assoc.model_deployments;
DELETE FROM assoc.training_specs;
DELETE FROM assoc.models;
DELETE FROM assoc.model_names;
DROP TABLE ops_lr, ops_sink, ops_lines, ops_events, ops_points, ops_seq;
DROP FUNCTION ops_writer(float8[]);
