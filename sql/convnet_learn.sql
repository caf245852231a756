-- Learning: on a motif that can appear anywhere in the sequence (sql/data/convnet_pattern.sql),
-- the default network reaches a held-out AUC above 0.95, while two linear models on the flattened
-- input stay near chance: assoc.train_logistic (the models area's logistic regression, Newton on
-- the penalised log loss) and the same convnet trainer with layers flatten -> dense(1, sigmoid)
-- (logistic regression fitted by Adam).  AUC is computed by brute force over all (positive,
-- negative) pairs, and must equal assoc.classification_metrics' AUC.
-- test/convnet_learning.sh checks the same with scikit-learn's LogisticRegression.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;

\i sql/data/convnet_pattern.sql
SELECT count(*) AS rows, count(*) FILTER (WHERE label) AS positives,
	   array_dims(min(x)) AS shape
FROM convnet_pattern;

-- rows 1..4000 train (20% of them validate inside the trainer), rows 4001..6000 are held out
CREATE TABLE convnet_learn_models AS
SELECT assoc.train_convnet(x, label, '{"seed": 7}') FILTER (WHERE i <= 4000) AS cnn,
	   assoc.train_convnet(x, label, '{"seed": 7, "layers": [{"type": "flatten"}, {"type": "dense", "units": 1}]}')
		   FILTER (WHERE i <= 4000) AS linear,
	   -- train_logistic takes one-dimensional vectors: the 12 x 4 sequence flattened step by step
	   assoc.train_logistic(ARRAY(SELECT unnest(x)), label) FILTER (WHERE i <= 4000) AS logistic
FROM convnet_pattern;

CREATE TABLE convnet_learn_scores AS
SELECT p.i, p.label, assoc.predict(m.cnn, p.x) AS cnn, assoc.predict(m.linear, p.x) AS linear,
	   assoc.predict(m.logistic, ARRAY(SELECT unnest(p.x))) AS logistic
FROM convnet_pattern p, convnet_learn_models m
WHERE p.i > 4000;

CREATE TABLE convnet_learn_auc AS
SELECT avg(CASE WHEN p.cnn > n.cnn THEN 1 WHEN p.cnn = n.cnn THEN 0.5 ELSE 0 END) AS cnn,
	   avg(CASE WHEN p.linear > n.linear THEN 1 WHEN p.linear = n.linear THEN 0.5 ELSE 0 END) AS linear,
	   avg(CASE WHEN p.logistic > n.logistic THEN 1 WHEN p.logistic = n.logistic THEN 0.5 ELSE 0 END) AS logistic
FROM convnet_learn_scores p JOIN convnet_learn_scores n ON p.label AND NOT n.label;

SELECT cnn > 0.95 AS cnn_auc_above_095,
	   linear BETWEEN 0.4 AND 0.6 AS linear_auc_near_chance,
	   logistic BETWEEN 0.4 AND 0.6 AS logistic_auc_near_chance
FROM convnet_learn_auc;

-- the evaluation aggregate agrees with the brute-force AUC (both are exact pair counts)
SELECT abs((m.c->>'auc')::float8 - a.cnn) < 1e-12 AS cnn_auc_agrees,
	   abs((m.l->>'auc')::float8 - a.logistic) < 1e-12 AS logistic_auc_agrees,
	   (m.c->>'n')::int AS held_out
FROM convnet_learn_auc a,
	 (SELECT assoc.classification_metrics(cnn, label) AS c,
			 assoc.classification_metrics(logistic, label) AS l
	  FROM convnet_learn_scores) m;

-- the logistic model saw the same rows and converged
SELECT i->>'solver' AS solver, (i->>'converged')::boolean AS converged,
	   (assoc.model_info(logistic)->>'training_rows')::int AS training_rows, i->>'features' AS features
FROM convnet_learn_models, LATERAL (SELECT assoc.model_info(logistic)->'info') AS s(i);

-- what the model records about its training
SELECT i->'examples' AS examples,
	   jsonb_array_length(i->'history'->'loss') = (i->>'epochs_run')::int AS history_complete,
	   (i->>'best_epoch')::int BETWEEN 1 AND (i->>'epochs_run')::int AS best_epoch_valid,
	   (i->'history'->'val_loss'->>((i->>'best_epoch')::int - 1))::float8 = (assoc.model_info(cnn)->>'loss')::float8
		   AS loss_is_best_val_loss,
	   (i->'history'->'loss'->>0)::float8 > (i->'history'->'loss'->>((i->>'best_epoch')::int - 1))::float8
		   AS training_loss_fell
FROM convnet_learn_models, LATERAL (SELECT assoc.model_info(cnn)->'info') AS s(i);

-- deterministic: the same seed gives the same model, whatever the order of the rows
-- (created_at is the transaction start, so one statement gives identical bytes)
SELECT a = b AS same_model, a <> c AS other_seed_differs
FROM (SELECT assoc.train_convnet(x, label, '{"epochs": 2, "seed": 3}') AS a
	  FROM (SELECT * FROM convnet_pattern WHERE i <= 1000 ORDER BY i) s) sa,
	 (SELECT assoc.train_convnet(x, label, '{"epochs": 2, "seed": 3}') AS b
	  FROM (SELECT * FROM convnet_pattern WHERE i <= 1000 ORDER BY md5(i::text)) s) sb,
	 (SELECT assoc.train_convnet(x, label, '{"epochs": 2, "seed": 4}') AS c
	  FROM (SELECT * FROM convnet_pattern WHERE i <= 1000) s) sc;

DROP TABLE convnet_learn_auc, convnet_learn_scores, convnet_learn_models, convnet_pattern;
