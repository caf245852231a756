-- Operations: scheduled retraining (CALL assoc.retrain(name) and its run log),
-- the group roles assoc_reader and assoc_trainer, and the grants that go with
-- them.  See docs/operations.md.
--
-- search_path: every function here pins it, except the procedure
-- assoc.retrain, which cannot (a procedure with a SET clause may not COMMIT):
-- its body only calls schema-qualified functions.  The source query of a
-- training spec is the caller's own SQL and runs with the caller's rights and
-- search_path; the SQL built around it qualifies every name and operator.

---------------------------------------------------------------------------
-- The run log

CREATE TABLE assoc.retrain_runs (
	run_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name text NOT NULL REFERENCES assoc.model_names (name),
	started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	finished_at timestamptz,
	outcome text NOT NULL DEFAULT 'running'
		CHECK (outcome IN ('running', 'promoted', 'rejected', 'failed', 'cancelled', 'abandoned')),
	reason text,
	forced boolean NOT NULL DEFAULT false,
	trainer text NOT NULL,
	source text NOT NULL,
	options jsonb NOT NULL,
	holdout float8 NOT NULL,
	metric text NOT NULL,
	greater_is_better boolean NOT NULL,
	training_rows bigint,
	holdout_rows bigint,
	candidate_metrics jsonb,
	deployed_metrics jsonb,
	previous_version integer,
	new_version integer,
	sqlstate text,
	error text,
	run_by name NOT NULL DEFAULT current_user,
	pid integer NOT NULL DEFAULT pg_backend_pid()
);
CREATE INDEX retrain_runs_name ON assoc.retrain_runs (name, run_id);
COMMENT ON TABLE assoc.retrain_runs IS
	'one row per CALL assoc.retrain: the spec it ran, start and end, outcome (running, promoted, rejected, failed, cancelled, abandoned) and why, training and holdout rows, the metrics of the candidate and of the deployed version on the same holdout, versions before and after, and the error of a failed run';
SELECT pg_catalog.pg_extension_config_dump('assoc.retrain_runs', '');
SELECT pg_catalog.pg_extension_config_dump('assoc.retrain_runs_run_id_seq', '');

---------------------------------------------------------------------------
-- Trainers that assoc.retrain can run, and the metrics of their holdout

-- The family of a trainer and the metric that decides promotion: requested
-- (NULL: the family's default) checked against what the family's evaluation
-- reports; key is the jsonb key, k the list length of ranking metrics.
CREATE FUNCTION assoc.retrain_metric(trainer text, requested text,
	OUT family text, OUT metric text, OUT key text, OUT k integer, OUT greater_is_better boolean)
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	parts text[];
	known text[];
BEGIN
	family := CASE trainer
		WHEN 'assoc.train_logistic' THEN 'classification'
		WHEN 'assoc.train_convnet' THEN 'classification'
		WHEN 'assoc.train_als' THEN 'ranking'
		WHEN 'assoc.train_rules' THEN 'ranking'
		WHEN 'assoc.train_kmeans' THEN 'clustering'
	END;
	IF family IS NULL THEN
		RAISE EXCEPTION 'assoc.retrain cannot run trainer "%"', trainer
			USING ERRCODE = '22023',
				  HINT = 'Use assoc.train_logistic, assoc.train_convnet, assoc.train_als, assoc.train_rules or assoc.train_kmeans.';
	END IF;
	known := CASE family
		WHEN 'classification' THEN ARRAY['auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss']
		WHEN 'ranking' THEN ARRAY['ndcg', 'precision', 'recall', 'map', 'hit_rate']
		ELSE ARRAY['inertia']
	END;
	metric := coalesce(requested, known[1]);
	parts := regexp_match(metric, '^([a-z_0-9]+)(?:@([0-9]{1,4}))?$');
	key := parts[1];
	IF parts IS NULL OR NOT key = ANY (known) OR (parts[2] IS NOT NULL AND family <> 'ranking') THEN
		RAISE EXCEPTION 'metric "%" is not reported for trainer %', metric, trainer
			USING ERRCODE = '22023',
				  HINT = format('Use one of %s%s.', array_to_string(known, ', '),
								CASE WHEN family = 'ranking' THEN ' (optionally @k, e.g. ndcg@5; k is 10 otherwise)' ELSE '' END);
	END IF;
	IF family = 'ranking' THEN
		k := coalesce(parts[2]::integer, 10);
		IF k < 1 OR k > 1000 THEN
			RAISE EXCEPTION 'k of metric "%" must be between 1 and 1000', metric USING ERRCODE = '22023';
		END IF;
	END IF;
	greater_is_better := key NOT IN ('log_loss', 'inertia');
END $$;
COMMENT ON FUNCTION assoc.retrain_metric(text, text) IS
	'internal: the family of a retrainable trainer and the promotion metric (requested or the default: auc, ndcg or inertia), its jsonb key, list length k and direction; an error for other trainers and metrics';

-- A source query as a subquery (C: the source is parsed to keep exactly its
-- one SELECT statement).
CREATE FUNCTION assoc.retrain_subquery(source text) RETURNS text
	AS 'MODULE_PATHNAME', 'retrain_subquery' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.retrain_subquery(text) IS
	'internal (assoc.retrain): the source query of a training spec, checked to be one plain SELECT, as a parenthesised subquery without its trailing semicolon or comments';

---------------------------------------------------------------------------
-- assoc.retrain: start, attempt, finish

-- Checks that the run may start, takes the name's retrain lock (session
-- level, so that it survives the procedure's commits), marks runs left
-- 'running' by ended sessions as abandoned, and logs the new run.
CREATE FUNCTION assoc.retrain_start(name text, force boolean, keep_rejected boolean)
	RETURNS bigint LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	spec assoc.training_specs;
	m record;
	run bigint;
	holder integer;
BEGIN
	IF retrain_start.name IS NULL OR force IS NULL OR keep_rejected IS NULL THEN
		RAISE EXCEPTION 'name, force and keep_rejected must not be NULL' USING ERRCODE = '22004';
	END IF;
	SELECT * INTO spec FROM assoc.training_specs AS t WHERE t.name = retrain_start.name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model "%" has no training spec', retrain_start.name
			USING ERRCODE = '42704',
				  HINT = 'Record one with assoc.set_training_spec(name, trainer, source, ...).';
	END IF;
	-- The source is the spec author's SQL and runs with the caller's rights:
	-- only a caller whose rights the author already has may run it.
	IF NOT EXISTS (SELECT FROM pg_roles AS r WHERE r.rolname = spec.recorded_by)
	   OR NOT pg_has_role(spec.recorded_by, current_user, 'USAGE') THEN
		RAISE EXCEPTION 'the training spec of model "%" was recorded by role "%"', retrain_start.name, spec.recorded_by
			USING ERRCODE = '42501',
				  DETAIL = format('assoc.retrain runs the spec''s source query with the privileges of the caller, %I, which %I does not have.',
								  current_user, spec.recorded_by),
				  HINT = 'Retrain as the role that recorded the spec, or record the spec again as this role with assoc.set_training_spec.';
	END IF;
	m := assoc.retrain_metric(spec.trainer, spec.metric);
	IF NOT pg_try_advisory_lock(1634955119, hashtext(retrain_start.name)) THEN
		SELECT r.pid INTO holder FROM assoc.retrain_runs AS r
		WHERE r.name = retrain_start.name AND r.outcome = 'running' ORDER BY r.run_id DESC LIMIT 1;
		RAISE EXCEPTION 'a retrain of model "%" is already running', retrain_start.name
			USING ERRCODE = '55006',
				  DETAIL = format('Server process %s is running it (see assoc.retrain_runs).', coalesce(holder::text, 'unknown')),
				  HINT = 'Wait for it to finish, or cancel it with pg_cancel_backend.';
	END IF;
	-- Holding the lock, no other session is retraining this name: rows still
	-- 'running' belong to sessions that ended without finishing.
	UPDATE assoc.retrain_runs AS r
	SET outcome = 'abandoned', finished_at = clock_timestamp(),
		reason = 'the session running it ended before it finished (terminated, crashed, or the server restarted); nothing was saved or deployed'
	WHERE r.name = retrain_start.name AND r.outcome = 'running';
	INSERT INTO assoc.retrain_runs AS r
		(name, forced, trainer, source, options, holdout, metric, greater_is_better)
	VALUES (retrain_start.name, force, spec.trainer, spec.source, spec.options, spec.holdout,
			m.metric, spec.greater_is_better)
	RETURNING r.run_id INTO run;
	RETURN run;
END $$;
COMMENT ON FUNCTION assoc.retrain_start(text, boolean, boolean) IS
	'internal (assoc.retrain): checks the spec and the caller, takes the retrain lock of the name, marks runs of ended sessions abandoned, logs a running run and returns its id';

-- Trains a candidate on the training part of the spec's source, evaluates it
-- and the deployed version on the holdout part, applies the quality gate and
-- saves (and deploys) the candidate; records all of it in the run's row and
-- returns the outcome.  Errors propagate: assoc.retrain logs them.  Reading
-- the source runs in a read-only subtransaction with the caller's
-- search_path; the settings below make the holdout split (a hash of each row's
-- text) the same in every session.
CREATE FUNCTION assoc.retrain_attempt(run bigint, caller_path text, keep_rejected boolean)
	RETURNS text LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
	SET extra_float_digits = 1
	SET datestyle = 'ISO, YMD'
	SET intervalstyle = 'postgres'
	SET bytea_output = 'hex'
AS $$
DECLARE
	r assoc.retrain_runs;
	m record;
	sub text;
	train_key text;
	train_sql text;
	eval_sql text;
	rules_source text;
	prev_version integer;
	prev_model bytea;
	now_deployed integer;
	candidate bytea;
	cand jsonb;
	dep jsonb;
	dep_error text;
	cand_value float8;
	dep_value float8;
	promote boolean;
	why text;
	v integer;
	result text;
BEGIN
	SELECT * INTO STRICT r FROM assoc.retrain_runs AS x WHERE x.run_id = retrain_attempt.run;
	m := assoc.retrain_metric(r.trainer, r.metric);
	SELECT x.version, x.model INTO prev_version, prev_model
	FROM assoc.models AS x WHERE x.name = r.name AND x.deployed;

	-- the SQL around the source: columns c1, c2 (, c3); a row is in the
	-- holdout when the hash of its key's text falls below the fraction ($2)
	sub := assoc.retrain_subquery(r.source);
	train_key := CASE
		WHEN r.trainer IN ('assoc.train_kmeans', 'assoc.train_rules') THEN 'ROW(s.c1)'
		ELSE 'ROW(s.c1, s.c2)' END;
	IF m.family = 'classification' THEN
		train_sql := format('SELECT %s(s.c1, s.c2, $1) FROM %s AS s(c1, c2) WHERE %s',
							r.trainer, sub, assoc.retrain_split(train_key, 'train'));
		eval_sql := format($q$SELECT assoc.classification_metrics(assoc.predict($3, s.c1), s.c2)
			FROM %s AS s(c1, c2) WHERE s.c1 IS NOT NULL AND s.c2 IS NOT NULL AND %s$q$,
							sub, assoc.retrain_split(train_key, 'test'));
	ELSIF r.trainer = 'assoc.train_kmeans' THEN
		train_sql := format('SELECT assoc.train_kmeans(s.c1, s.c2, $1) FROM %s AS s(c1, c2) WHERE %s',
							sub, assoc.retrain_split(train_key, 'train'));
		-- mean squared distance, in the units of the features, from each
		-- holdout row to the centroid of the cluster the model assigns it
		eval_sql := format($q$SELECT pg_catalog.jsonb_build_object('n', pg_catalog.count(*), 'inertia', pg_catalog.avg(e.d))
			FROM (SELECT (SELECT pg_catalog.sum((u.x OPERATOR(pg_catalog.-) u.y) OPERATOR(pg_catalog.*) (u.x OPERATOR(pg_catalog.-) u.y))
						  FROM ROWS FROM (pg_catalog.unnest(h.f), pg_catalog.unnest(c.centroid)) AS u(x, y)) AS d
				  FROM (SELECT s.c1 AS f FROM %s AS s(c1, c2) WHERE s.c1 IS NOT NULL AND %s) AS h
				  JOIN assoc.cluster_centroids($3) AS c
					ON c.cluster OPERATOR(pg_catalog.=) assoc.predict_cluster($3, h.f)) AS e$q$,
							sub, assoc.retrain_split(train_key, 'test'));
	ELSIF r.trainer = 'assoc.train_als' THEN
		train_sql := format('SELECT assoc.train_als(s.c1, s.c2, s.c3, $1) FROM %s AS s(c1, c2, c3) WHERE %s',
							sub, assoc.retrain_split(train_key, 'train'));
		-- each holdout user's items (weight > 0) against the user's top k
		-- (items of the user's training rows excluded)
		eval_sql := format($q$SELECT assoc.ranking_metrics(
				ARRAY(SELECT x.item_id FROM assoc.recommend($3, h.u, $4) WITH ORDINALITY AS x(item_id, score, o) ORDER BY x.o),
				h.items, $4)
			FROM (SELECT s.c1::pg_catalog.int8 AS u, pg_catalog.array_agg(DISTINCT s.c2::pg_catalog.int8) AS items
				  FROM %s AS s(c1, c2, c3)
				  WHERE s.c1 IS NOT NULL AND s.c2 IS NOT NULL AND s.c3 OPERATOR(pg_catalog.>) 0::pg_catalog.float8 AND %s
				  GROUP BY 1) AS h$q$,
							sub, assoc.retrain_split(train_key, 'test'));
	ELSE
		-- rules: assoc.train_rules runs a query text itself; thresholds come from the options
		rules_source := format('SELECT s.c1, s.c2 FROM %s AS s(c1, c2) WHERE %s', sub,
							   replace(assoc.retrain_split(train_key, 'train'), '$2',
									   format('%L::pg_catalog.float8', r.holdout)));
		train_sql := $q$SELECT assoc.train_rules($5, ($1 OPERATOR(pg_catalog.->>) 'min_support')::pg_catalog.float8,
			($1 OPERATOR(pg_catalog.->>) 'min_confidence')::pg_catalog.float8,
			($1 OPERATOR(pg_catalog.->>) 'max_len')::pg_catalog.int4,
			$1 OPERATOR(pg_catalog.-) ARRAY['min_support', 'min_confidence', 'max_len']::pg_catalog.text[])$q$;
		-- leave one out: in each holdout basket of two or more items, the item
		-- with the lowest md5 is hidden and the others are the cart
		eval_sql := format($q$SELECT assoc.ranking_metrics(
				ARRAY(SELECT x.item FROM assoc.recommend_for_cart($3, t.items[2:], $4)
					  WITH ORDINALITY AS x(item, score, confidence, lift, antecedent, o) ORDER BY x.o),
				ARRAY[t.items[1]], $4)
			FROM (SELECT pg_catalog.array_agg(d.item ORDER BY pg_catalog.md5(d.item), d.item) AS items
				  FROM (SELECT DISTINCT s.c1::pg_catalog.text AS basket, s.c2::pg_catalog.text AS item
						FROM %s AS s(c1, c2) WHERE s.c1 IS NOT NULL AND s.c2 IS NOT NULL AND %s) AS d
				  GROUP BY d.basket) AS t
			WHERE pg_catalog.cardinality(t.items) OPERATOR(pg_catalog.>=) 2$q$,
							sub, assoc.retrain_split(train_key, 'test'));
	END IF;

	-- Read the source read-only, with the caller's search_path.  The block
	-- ends by raising ASR01 so that its subtransaction rolls back, and with it
	-- the two settings; the variables keep their values.
	BEGIN
		PERFORM set_config('transaction_read_only', 'on', true);
		PERFORM set_config('search_path', caller_path, true);
		EXECUTE train_sql INTO candidate USING r.options, r.holdout, NULL::bytea, m.k, rules_source;
		IF candidate IS NOT NULL AND r.holdout > 0 THEN
			EXECUTE eval_sql INTO cand USING r.options, r.holdout, candidate, m.k, rules_source;
			IF prev_model IS NOT NULL THEN
				BEGIN
					EXECUTE eval_sql INTO dep USING r.options, r.holdout, prev_model, m.k, rules_source;
				EXCEPTION WHEN OTHERS THEN
					dep_error := SQLERRM;
				END;
			END IF;
		END IF;
		RAISE SQLSTATE 'ASR01';
	EXCEPTION WHEN SQLSTATE 'ASR01' THEN
		NULL;
	END;
	IF candidate IS NULL THEN
		RAISE EXCEPTION 'training returned no model' USING ERRCODE = 'P0002',
			HINT = 'Check that the source query returns training rows.';
	END IF;

	-- The gate, decided under the name's lock (a deploy made meanwhile counts).
	PERFORM assoc.lock_model_name(r.name);
	SELECT x.version INTO now_deployed FROM assoc.models AS x WHERE x.name = r.name AND x.deployed;
	cand_value := (cand ->> m.key)::float8;
	dep_value := (dep ->> m.key)::float8;
	why := format('%s %s on the holdout, deployed version %s', m.metric,
				  coalesce(round(cand_value::numeric, 6)::text, 'unknown'),
				  coalesce(round(dep_value::numeric, 6)::text, 'unknown'));
	IF r.forced THEN
		promote := true;
		why := 'forced: ' || why;
	ELSIF now_deployed IS DISTINCT FROM prev_version THEN
		promote := false;
		why := format('version %s was deployed while the retrain ran (it was compared with version %s)',
					  coalesce(now_deployed::text, 'none'), coalesce(prev_version::text, 'none'));
	ELSIF prev_version IS NULL THEN
		promote := true;
		why := 'no version was deployed';
	ELSIF r.holdout = 0 THEN
		promote := false;
		why := 'the spec has no holdout (holdout = 0), so the candidate cannot be compared with the deployed version';
	ELSIF cand_value IS NULL THEN
		promote := false;
		why := format('the candidate has no %s on the holdout (%s holdout rows)', m.metric, coalesce(cand ->> 'n', '0'));
	ELSIF dep_value IS NULL THEN
		promote := false;
		why := format('the deployed version %s has no %s on the holdout%s', prev_version, m.metric,
					  coalesce(': ' || dep_error, ''));
	ELSIF (r.greater_is_better AND cand_value >= dep_value) OR (NOT r.greater_is_better AND cand_value <= dep_value) THEN
		promote := true;
		why := format('%s %s %s deployed version %s', m.metric, round(cand_value::numeric, 6),
					  CASE WHEN r.greater_is_better THEN '>=' ELSE '<=' END, round(dep_value::numeric, 6));
	ELSE
		promote := false;
		why := format('%s %s %s deployed version %s', m.metric, round(cand_value::numeric, 6),
					  CASE WHEN r.greater_is_better THEN '<' ELSE '>' END, round(dep_value::numeric, 6));
	END IF;

	IF promote OR keep_rejected THEN
		v := assoc.save_model(r.name, candidate, source => r.source, metrics => cand, deploy => promote,
							  comment => format('%s by retrain run %s', CASE WHEN promote THEN 'promoted' ELSE 'rejected' END, run));
	END IF;
	result := CASE WHEN promote THEN 'promoted' ELSE 'rejected' END;
	UPDATE assoc.retrain_runs AS x
	SET outcome = result, reason = why, finished_at = clock_timestamp(),
		training_rows = (assoc.model_info(candidate) ->> 'training_rows')::bigint,
		holdout_rows = (cand ->> 'n')::bigint,
		candidate_metrics = cand, deployed_metrics = dep,
		previous_version = prev_version, new_version = v
	WHERE x.run_id = retrain_attempt.run;
	RETURN result;
END $$;
COMMENT ON FUNCTION assoc.retrain_attempt(bigint, text, boolean) IS
	'internal (assoc.retrain): trains on the training part of the source, evaluates the candidate and the deployed version on the holdout, applies the quality gate, saves and deploys; records the run';

-- The holdout predicate on a row key: $2 is the holdout fraction.
CREATE FUNCTION assoc.retrain_split(key_expr text, part text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	SELECT format('assoc.train_test_split(%s::pg_catalog.text, $2, 0) OPERATOR(pg_catalog.=) %L', key_expr, part)
$$;
COMMENT ON FUNCTION assoc.retrain_split(text, text) IS
	'internal (assoc.retrain): the SQL condition that a row (by the text of its key) is in the train or test part';

-- Ends a run: logs an error if there was one (57014 is a cancel), releases
-- the name's retrain lock, and returns a one-line summary.
CREATE FUNCTION assoc.retrain_finish(run bigint, state text, message text, detail text, hint text)
	RETURNS text LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r assoc.retrain_runs;
BEGIN
	IF state IS NOT NULL THEN
		UPDATE assoc.retrain_runs AS x
		SET outcome = CASE WHEN state = '57014' THEN 'cancelled' ELSE 'failed' END,
			finished_at = clock_timestamp(), sqlstate = state,
			error = message || coalesce(E'\nDETAIL:  ' || nullif(detail, ''), '') || coalesce(E'\nHINT:  ' || nullif(hint, ''), ''),
			reason = CASE WHEN state = '57014' THEN 'cancelled: ' ELSE 'error: ' END || message
				|| '; the deployed version was not changed'
		WHERE x.run_id = retrain_finish.run;
	END IF;
	SELECT * INTO STRICT r FROM assoc.retrain_runs AS x WHERE x.run_id = retrain_finish.run;
	PERFORM pg_advisory_unlock(1634955119, hashtext(r.name));
	RETURN format('retrain run %s of model "%s": %s%s (%s)', r.run_id, r.name, r.outcome,
				  CASE WHEN r.outcome = 'promoted' THEN ', version ' || r.new_version || ' deployed'
					   WHEN r.new_version IS NOT NULL THEN ', version ' || r.new_version || ' saved, not deployed'
					   ELSE '' END,
				  r.reason);
END $$;
COMMENT ON FUNCTION assoc.retrain_finish(bigint, text, text, text, text) IS
	'internal (assoc.retrain): records the error of a failed or cancelled run, releases the retrain lock of the name and summarises the run';

CREATE FUNCTION assoc.retrain_nonatomic() RETURNS boolean
	AS 'MODULE_PATHNAME', 'retrain_nonatomic' LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION assoc.retrain_nonatomic() IS
	'internal (assoc.retrain): whether the calling procedure may COMMIT (CALL outside a transaction block)';

-- No SET clause (it would forbid COMMIT): every statement calls a
-- schema-qualified function that pins its own search_path.
CREATE PROCEDURE assoc.retrain(name text, force boolean DEFAULT false, keep_rejected boolean DEFAULT false)
	LANGUAGE plpgsql
AS $$
DECLARE
	nonatomic boolean := assoc.retrain_nonatomic();
	caller_path text := pg_catalog.current_setting('search_path');
	run bigint;
	state text;
	message text;
	detail text;
	hint text;
	summary text;
BEGIN
	run := assoc.retrain_start(name, force, keep_rejected);
	IF nonatomic THEN
		COMMIT;					-- the run is visible as 'running' while it trains
	END IF;
	BEGIN
		PERFORM assoc.retrain_attempt(run, caller_path, keep_rejected);
	EXCEPTION
		WHEN query_canceled THEN
			GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
				detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
		WHEN OTHERS THEN
			GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
				detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
	END;
	summary := assoc.retrain_finish(run, state, message, detail, hint);
	IF nonatomic THEN
		COMMIT;					-- the run log keeps the outcome even if we raise below
	END IF;
	IF state IS NOT NULL THEN
		-- (no bare operator here: this body runs with the caller's search_path)
		IF pg_catalog.length(coalesce(detail, '')) OPERATOR(pg_catalog.=) 0 THEN
			detail := summary;
		END IF;
		IF pg_catalog.length(coalesce(hint, '')) OPERATOR(pg_catalog.=) 0 THEN
			RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail;
		END IF;
		RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail, HINT = hint;
	END IF;
	RAISE NOTICE '%', summary;
END $$;
COMMENT ON PROCEDURE assoc.retrain(text, boolean, boolean) IS
	'retrains a model from its training spec: trains on the training part of the source query, evaluates on the holdout with the spec''s metric, and saves and deploys the new version only if it is at least as good as the deployed one (force => true: always); keep_rejected => true also saves a rejected candidate (not deployed); every run is logged in assoc.retrain_runs, a failed one with its error, which is then raised';

---------------------------------------------------------------------------
-- Group roles and privileges
--
-- assoc_reader: reads the registry and scores (every function that does not
-- write); assoc_trainer: also trains, saves, deploys, rolls back, records
-- training specs and retrains.  Roles belong to the cluster, not to the
-- extension: they are created when missing and survive DROP EXTENSION.

DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'assoc_reader') THEN
		CREATE ROLE assoc_reader NOLOGIN;
		COMMENT ON ROLE assoc_reader IS 'assoc: may read the model registry and score';
	END IF;
	IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'assoc_trainer') THEN
		CREATE ROLE assoc_trainer NOLOGIN;
		COMMENT ON ROLE assoc_trainer IS 'assoc: may also train, save, deploy, roll back, record training specs and retrain';
	END IF;
	IF NOT pg_catalog.pg_has_role('assoc_trainer', 'assoc_reader', 'MEMBER') THEN
		GRANT assoc_reader TO assoc_trainer;
	END IF;
END $$;

GRANT USAGE ON SCHEMA assoc TO assoc_reader;
GRANT SELECT ON assoc.model_names, assoc.models, assoc.model_deployments TO assoc_reader;
GRANT SELECT ON assoc.training_specs, assoc.retrain_runs TO assoc_trainer;
GRANT INSERT, UPDATE ON assoc.model_names, assoc.models, assoc.model_deployments,
	assoc.training_specs, assoc.retrain_runs TO assoc_trainer;

-- Readers may run every function, so that a DBA can revoke the default
-- EXECUTE from PUBLIC and rely on the roles; then the writers are taken back.
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA assoc TO assoc_reader;

-- The routines that write: neither PUBLIC nor readers may run them; trainers may.
DO $$
DECLARE
	writer text;
BEGIN
	FOREACH writer IN ARRAY ARRAY[
		'FUNCTION assoc.lock_model_name(text, boolean)',
		'FUNCTION assoc.set_deployed(text, integer)',
		'FUNCTION assoc.save_model(text, bytea, text, jsonb, jsonb, boolean, text)',
		'FUNCTION assoc.deploy(text, integer)',
		'FUNCTION assoc.rollback(text)',
		'FUNCTION assoc.set_training_spec(text, text, text, jsonb, float8, text, boolean)',
		'FUNCTION assoc.retrain_start(text, boolean, boolean)',
		'FUNCTION assoc.retrain_attempt(bigint, text, boolean)',
		'FUNCTION assoc.retrain_finish(bigint, text, text, text, text)',
		'PROCEDURE assoc.retrain(text, boolean, boolean)']
	LOOP
		EXECUTE format('REVOKE EXECUTE ON %s FROM PUBLIC, assoc_reader', writer);
		EXECUTE format('GRANT EXECUTE ON %s TO assoc_trainer', writer);
	END LOOP;
END $$;
