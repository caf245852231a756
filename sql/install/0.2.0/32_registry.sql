-- Model registry: versions of every model kind per name, one deployed version
-- per name, a deployment history for rollbacks, and a training spec per name
-- that assoc.retrain (operations) re-runs.  Every function pins search_path
-- and qualifies every name, so a caller's search_path cannot redirect it.

-- One row per model name: the anchor that serialises saves and deploys of a name.
CREATE TABLE assoc.model_names (
	name text PRIMARY KEY CHECK (name ~ '^\S(.*\S)?$' AND length(name) <= 200),
	created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE assoc.model_names IS
	'one row per registered model name (saves and deploys of a name lock its row)';

CREATE TABLE assoc.models (
	name text NOT NULL REFERENCES assoc.model_names (name),
	version integer NOT NULL CHECK (version >= 1),
	kind text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	source text,
	options jsonb,
	metrics jsonb,
	model bytea NOT NULL,
	deployed boolean NOT NULL DEFAULT false,
	comment text,
	PRIMARY KEY (name, version)
);
CREATE UNIQUE INDEX models_one_deployed ON assoc.models (name) WHERE deployed;
COMMENT ON TABLE assoc.models IS
	'every saved model version: kind (from the envelope), training source and options, evaluation metrics, the model bytea, and whether it is the deployed version of its name (at most one is)';

CREATE TABLE assoc.model_deployments (
	name text NOT NULL REFERENCES assoc.model_names (name),
	seq integer NOT NULL CHECK (seq >= 1),
	version integer NOT NULL,
	deployed_at timestamptz NOT NULL DEFAULT now(),
	deployed_by name NOT NULL DEFAULT current_user,
	rolled_back_at timestamptz,
	PRIMARY KEY (name, seq),
	FOREIGN KEY (name, version) REFERENCES assoc.models (name, version)
);
COMMENT ON TABLE assoc.model_deployments IS
	'deployment history per name: assoc.deploy adds a row, assoc.rollback marks the latest live row rolled back and deploys the live row before it';

CREATE TABLE assoc.training_specs (
	name text PRIMARY KEY REFERENCES assoc.model_names (name),
	trainer text NOT NULL,
	source text NOT NULL CHECK (source ~ '\S'),
	options jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(options) = 'object'),
	holdout float8 NOT NULL DEFAULT 0.2 CHECK (holdout >= 0 AND holdout < 1),
	metric text,
	greater_is_better boolean NOT NULL DEFAULT true,
	updated_at timestamptz NOT NULL DEFAULT now(),
	recorded_by name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE assoc.training_specs IS
	'how to retrain a model name: trainer aggregate, source query returning its arguments in order (without options), options, holdout fraction, the metric (a key of the metrics jsonb) that decides promotion and its direction, and the role that recorded the spec (assoc.retrain runs it only for callers whose rights that role has)';

-- pg_dump keeps the contents of these tables (they are the user's data).
SELECT pg_catalog.pg_extension_config_dump('assoc.model_names', '');
SELECT pg_catalog.pg_extension_config_dump('assoc.models', '');
SELECT pg_catalog.pg_extension_config_dump('assoc.model_deployments', '');
SELECT pg_catalog.pg_extension_config_dump('assoc.training_specs', '');

-- Lock a name's row (creating it if asked); an error if the name is unknown.
CREATE FUNCTION assoc.lock_model_name(name text, create_missing boolean DEFAULT false)
	RETURNS void LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF lock_model_name.name IS NULL THEN
		RAISE EXCEPTION 'model name must not be NULL' USING ERRCODE = '22004';
	END IF;
	IF create_missing THEN
		IF lock_model_name.name !~ '^\S(.*\S)?$' OR length(lock_model_name.name) > 200 THEN
			RAISE EXCEPTION 'invalid model name "%"', lock_model_name.name
				USING ERRCODE = '22023',
					  HINT = 'A model name has 1 to 200 characters and does not start or end with white space.';
		END IF;
		INSERT INTO assoc.model_names AS n (name) VALUES (lock_model_name.name)
			ON CONFLICT ON CONSTRAINT model_names_pkey DO NOTHING;
	END IF;
	-- NO KEY UPDATE: saves and deploys of a name still queue behind each
	-- other, but rows that merely reference the name (a retrain's run log)
	-- are not blocked by a deploy in progress.
	PERFORM FROM assoc.model_names AS n WHERE n.name = lock_model_name.name FOR NO KEY UPDATE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model "%" does not exist', lock_model_name.name
			USING ERRCODE = '42704', HINT = 'Save a version first with assoc.save_model.';
	END IF;
END $$;
COMMENT ON FUNCTION assoc.lock_model_name(text, boolean) IS
	'internal: locks the registry row of a model name (creating it if asked) so that saves and deploys of one name run one at a time';

-- Make version the only deployed version of name (the name is locked).
CREATE FUNCTION assoc.set_deployed(name text, version integer)
	RETURNS void LANGUAGE sql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE assoc.models AS m SET deployed = false
	WHERE m.name = set_deployed.name AND m.deployed AND m.version <> set_deployed.version;
	UPDATE assoc.models AS m SET deployed = true
	WHERE m.name = set_deployed.name AND m.version = set_deployed.version AND NOT m.deployed;
$$;
COMMENT ON FUNCTION assoc.set_deployed(text, integer) IS
	'internal: marks one version of a name deployed and the others not';

CREATE FUNCTION assoc.save_model(name text, model bytea, source text DEFAULT NULL,
	options jsonb DEFAULT NULL, metrics jsonb DEFAULT NULL, deploy boolean DEFAULT false,
	comment text DEFAULT NULL)
	RETURNS integer LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	info jsonb;
	v integer;
BEGIN
	IF save_model.model IS NULL THEN
		RAISE EXCEPTION 'model must not be NULL' USING ERRCODE = '22004',
			HINT = 'Did training return NULL? Check that its input has rows.';
	END IF;
	IF save_model.metrics IS NOT NULL AND jsonb_typeof(save_model.metrics) <> 'object' THEN
		RAISE EXCEPTION 'metrics must be a JSON object' USING ERRCODE = '22023';
	END IF;
	info := assoc.model_info(save_model.model);	-- checks the envelope and its CRC
	PERFORM assoc.lock_model_name(save_model.name, true);
	SELECT coalesce(max(m.version), 0) + 1 INTO v FROM assoc.models AS m WHERE m.name = save_model.name;
	INSERT INTO assoc.models AS m (name, version, kind, source, options, metrics, model, comment)
	VALUES (save_model.name, v, info->>'kind', save_model.source,
			coalesce(save_model.options, info->'hyper_parameters'), save_model.metrics,
			save_model.model, save_model.comment);
	IF deploy THEN
		PERFORM assoc.deploy(save_model.name, v);
	END IF;
	RETURN v;
END $$;
COMMENT ON FUNCTION assoc.save_model(text, bytea, text, jsonb, jsonb, boolean, text) IS
	'saves a model (checked) as the next version of name and returns that version; options default to the model''s hyper-parameters; deploy => true also deploys it';

CREATE FUNCTION assoc.deploy(name text, version integer)
	RETURNS integer LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	current_version integer;
BEGIN
	IF deploy.version IS NULL THEN
		RAISE EXCEPTION 'version must not be NULL' USING ERRCODE = '22004';
	END IF;
	PERFORM assoc.lock_model_name(deploy.name);
	PERFORM FROM assoc.models AS m WHERE m.name = deploy.name AND m.version = deploy.version;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model "%" has no version %', deploy.name, deploy.version
			USING ERRCODE = '42704';
	END IF;
	SELECT m.version INTO current_version FROM assoc.models AS m
	WHERE m.name = deploy.name AND m.deployed;
	IF current_version IS NOT DISTINCT FROM deploy.version THEN
		RETURN deploy.version;		-- already deployed: nothing changes
	END IF;
	PERFORM assoc.set_deployed(deploy.name, deploy.version);
	INSERT INTO assoc.model_deployments AS d (name, seq, version)
	SELECT deploy.name, coalesce(max(d.seq), 0) + 1, deploy.version
	FROM assoc.model_deployments AS d WHERE d.name = deploy.name;
	RETURN deploy.version;
END $$;
COMMENT ON FUNCTION assoc.deploy(text, integer) IS
	'deploys a saved version of name (in this transaction; assoc.model(name) returns it after commit) and records it in the deployment history; returns the version';

CREATE FUNCTION assoc.rollback(name text)
	RETURNS integer LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	top assoc.model_deployments;
	prev assoc.model_deployments;
BEGIN
	PERFORM assoc.lock_model_name(rollback.name);
	SELECT * INTO top FROM assoc.model_deployments AS d
	WHERE d.name = rollback.name AND d.rolled_back_at IS NULL ORDER BY d.seq DESC LIMIT 1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model "%" has never been deployed', rollback.name USING ERRCODE = '55000';
	END IF;
	SELECT * INTO prev FROM assoc.model_deployments AS d
	WHERE d.name = rollback.name AND d.rolled_back_at IS NULL AND d.seq < top.seq
	ORDER BY d.seq DESC LIMIT 1;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model "%" has no earlier deployment to roll back to', rollback.name
			USING ERRCODE = '55000',
				  DETAIL = format('Version %s is its first live deployment.', top.version);
	END IF;
	UPDATE assoc.model_deployments AS d SET rolled_back_at = now()
	WHERE d.name = rollback.name AND d.seq = top.seq;
	PERFORM assoc.set_deployed(rollback.name, prev.version);
	RETURN prev.version;
END $$;
COMMENT ON FUNCTION assoc.rollback(text) IS
	'deploys again the version deployed before the current one (repeated calls walk further back through the deployment history); returns it';

-- Raises the error that explains why assoc.model found nothing (never returns).
CREATE FUNCTION assoc.model_missing(name text, version integer)
	RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM FROM assoc.model_names AS n WHERE n.name = model_missing.name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'model "%" does not exist', model_missing.name USING ERRCODE = '42704';
	ELSIF model_missing.version IS NULL THEN
		RAISE EXCEPTION 'model "%" has no deployed version', model_missing.name
			USING ERRCODE = '55000', HINT = 'Deploy one with assoc.deploy(name, version).';
	END IF;
	RAISE EXCEPTION 'model "%" has no version %', model_missing.name, model_missing.version
		USING ERRCODE = '42704';
END $$;
COMMENT ON FUNCTION assoc.model_missing(text, integer) IS
	'internal: raises the error of assoc.model when the name, version or deployed version does not exist';

-- PL/pgSQL, for its plans: they are made once per backend, whereas the body
-- of a LANGUAGE sql function that cannot be inlined (a subquery) is parsed
-- and planned again in every statement that calls it: about 40 us a
-- statement, as much as serving the request (docs/models.md, "Serving from
-- the registry").  RETURN hands on the stored value as it is: a TOASTed model
-- stays a TOAST pointer, which the model caches recognise without reading the
-- model (only assignment to a PL/pgSQL variable would detoast it).  Every
-- name and operator is schema-qualified instead of pinning search_path (a SET
-- clause would cost a configuration save and restore per call).  Called per
-- row it costs a lookup per row; (SELECT assoc.model(name)) reads it once per
-- statement.
CREATE FUNCTION assoc.model(name text, version integer DEFAULT NULL)
	RETURNS bytea LANGUAGE plpgsql STABLE PARALLEL SAFE
AS $$
BEGIN
	IF $2 IS NULL THEN
		RETURN COALESCE((SELECT m.model FROM assoc.models AS m
						 WHERE m.name OPERATOR(pg_catalog.=) $1 AND m.deployed),
						assoc.model_missing($1, NULL));
	END IF;
	RETURN COALESCE((SELECT m.model FROM assoc.models AS m
					 WHERE m.name OPERATOR(pg_catalog.=) $1 AND m.version OPERATOR(pg_catalog.=) $2),
					assoc.model_missing($1, $2));
END
$$;
COMMENT ON FUNCTION assoc.model(text, integer) IS
	'the deployed model of name (or the given version), as bytea; to score many rows write (SELECT assoc.model(name)) so it is read once';

CREATE FUNCTION assoc.set_training_spec(name text, trainer text, source text,
	options jsonb DEFAULT '{}', holdout float8 DEFAULT 0.2, metric text DEFAULT NULL,
	greater_is_better boolean DEFAULT NULL)
	RETURNS void LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
	SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	parts text[];
	m record;
BEGIN
	IF trainer IS NULL OR source IS NULL OR options IS NULL OR holdout IS NULL THEN
		RAISE EXCEPTION 'trainer, source, options and holdout must not be NULL'
			USING ERRCODE = '22004';
	END IF;
	BEGIN
		parts := parse_ident(trainer);
	EXCEPTION WHEN invalid_parameter_value THEN
		parts := NULL;
	END;
	IF cardinality(parts) IS DISTINCT FROM 2 OR NOT EXISTS (
		SELECT FROM pg_proc AS p JOIN pg_namespace AS s ON s.oid = p.pronamespace
		WHERE s.nspname = parts[1] AND p.proname = parts[2]) THEN
		RAISE EXCEPTION 'trainer "%" is not a schema-qualified function', trainer
			USING ERRCODE = '22023', HINT = 'Name the training aggregate with its schema, e.g. ''assoc.train_logistic''.';
	END IF;
	IF source !~ '\S' THEN
		RAISE EXCEPTION 'source must be a query' USING ERRCODE = '22023';
	END IF;
	IF jsonb_typeof(options) <> 'object' THEN
		RAISE EXCEPTION 'options must be a JSON object' USING ERRCODE = '22023';
	END IF;
	IF NOT (holdout >= 0 AND holdout < 1) THEN
		RAISE EXCEPTION 'holdout must be at least 0 and less than 1' USING ERRCODE = '22023',
			DETAIL = format('It is %s.', holdout);
	END IF;
	-- what assoc.retrain can run: the trainer, the metric (the default of the
	-- trainer if NULL) and its direction, which follows from the metric
	m := assoc.retrain_metric(trainer, metric);
	IF greater_is_better IS NOT NULL AND greater_is_better <> m.greater_is_better THEN
		RAISE EXCEPTION 'metric "%" is better when %', m.metric,
			CASE WHEN m.greater_is_better THEN 'greater' ELSE 'lower' END
			USING ERRCODE = '22023', HINT = 'Leave greater_is_better out: it follows from the metric.';
	END IF;
	IF trainer = 'assoc.train_rules' AND NOT (options ? 'min_support' AND options ? 'min_confidence') THEN
		RAISE EXCEPTION 'options of assoc.train_rules must give min_support and min_confidence'
			USING ERRCODE = '22023',
				  HINT = 'For example {"min_support": 0.01, "min_confidence": 0.2}; max_len and min_lift are optional.';
	END IF;
	PERFORM assoc.lock_model_name(set_training_spec.name, true);
	INSERT INTO assoc.training_specs AS t
		(name, trainer, source, options, holdout, metric, greater_is_better, recorded_by)
	VALUES (set_training_spec.name, trainer, source, options, holdout, m.metric, m.greater_is_better, current_user)
	ON CONFLICT ON CONSTRAINT training_specs_pkey DO UPDATE
		SET trainer = excluded.trainer, source = excluded.source, options = excluded.options,
			holdout = excluded.holdout, metric = excluded.metric,
			greater_is_better = excluded.greater_is_better, updated_at = now(),
			recorded_by = excluded.recorded_by;
END $$;
COMMENT ON FUNCTION assoc.set_training_spec(text, text, text, jsonb, float8, text, boolean) IS
	'records (or replaces) how assoc.retrain retrains name: trainer (assoc.train_logistic, train_convnet, train_als, train_rules or train_kmeans), source query returning its arguments in order, options, holdout fraction, promotion metric (default: auc, ndcg or inertia) whose direction greater_is_better follows from it; the query is stored, not run';

-- Writing functions are for trainers and administrators, not every role.
REVOKE EXECUTE ON FUNCTION assoc.lock_model_name(text, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION assoc.set_deployed(text, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION assoc.save_model(text, bytea, text, jsonb, jsonb, boolean, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION assoc.deploy(text, integer) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION assoc.rollback(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION assoc.set_training_spec(text, text, text, jsonb, float8, text, boolean) FROM PUBLIC;
