-- The model registry: versions, deploy, rollback (a history walked backwards),
-- fetching by name, training specs, transactions, search_path safety,
-- privileges and pg_dump registration.  The cross-session cache test is the
-- isolation test specs/registry_cache.spec.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;

CREATE FUNCTION pg_temp.err(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TEMP TABLE reg_rows AS
SELECT ARRAY[sin(i), cos(i * 3)]::float8[] AS f, sin(i) + 0.3 * cos(i * 7) > 0 AS y
FROM generate_series(1, 500) i;
CREATE TEMP TABLE reg_trained AS
SELECT l2, assoc.train_logistic(f, y, jsonb_build_object('l2', l2)) AS model
FROM reg_rows, (VALUES (1), (10), (100)) v(l2) GROUP BY l2;

-- versions count up per name; the kind comes from the envelope; options
-- default to the model's hyper-parameters
SELECT assoc.save_model('propensity', model, source => 'SELECT f, y FROM reg_rows') AS version
FROM reg_trained WHERE l2 = 1;
SELECT assoc.save_model('propensity', model, metrics => '{"auc": 0.93}', comment => 'stronger penalty') AS version
FROM reg_trained WHERE l2 = 10;
SELECT assoc.save_model('propensity', model, options => '{"l2": 100}', deploy => true) AS version
FROM reg_trained WHERE l2 = 100;
SELECT assoc.save_model('churn', model) AS version FROM reg_trained WHERE l2 = 1;
SELECT name, version, kind, source, options->'l2' AS l2, metrics, deployed, comment
FROM assoc.models ORDER BY name, version;

-- assoc.model(name) is the deployed version, (name, version) any version;
-- predict works on either
SELECT assoc.model('propensity') = (SELECT model FROM reg_trained WHERE l2 = 100) AS deployed_is_v3,
	   assoc.model('propensity', 1) = (SELECT model FROM reg_trained WHERE l2 = 1) AS version_1;
SELECT round(assoc.predict(assoc.model('propensity'), ARRAY[0.5, 0.1])::numeric, 6) AS p_deployed,
	   round(assoc.predict(assoc.model('propensity', 1), ARRAY[0.5, 0.1])::numeric, 6) AS p_v1;

-- models too large to stay inline (TOASTed, passed on as TOAST pointers):
-- one call site alternating between two versions scores each row with its own
SELECT i, ARRAY(SELECT sin(i * j) FROM generate_series(1, 300) j)::float8[] AS f, i % 3 = 0 AS y
INTO TEMP reg_wide FROM generate_series(1, 400) i;
SELECT assoc.save_model('wide', assoc.train_logistic(f, y, '{"l2": 1}')) AS version FROM reg_wide;
SELECT assoc.save_model('wide', assoc.train_logistic(f, y, '{"l2": 50}')) AS version FROM reg_wide;
SELECT length(assoc.model('wide', 1)) > 4000 AS large,
	   pg_relation_size(reltoastrelid) > 0 AS stored_out_of_line
FROM pg_class WHERE oid = 'assoc.models'::regclass;
SELECT count(*) AS rows,
	   bool_and(assoc.predict(assoc.model('wide', 1 + i % 2), f) =
				CASE i % 2 WHEN 0 THEN assoc.predict((SELECT assoc.model('wide', 1)), f)
						   ELSE assoc.predict((SELECT assoc.model('wide', 2)), f) END) AS each_row_its_model,
	   count(DISTINCT round(assoc.predict(assoc.model('wide', 1 + i % 2), f)::numeric, 12)) > 200 AS varied
FROM reg_wide;

-- deploy, deploy again (no change), rollback walks back through the history
SELECT assoc.deploy('propensity', 1);
SELECT assoc.deploy('propensity', 2);
SELECT assoc.deploy('propensity', 2);
SELECT version FROM assoc.models WHERE name = 'propensity' AND deployed;
SELECT assoc.rollback('propensity');
SELECT assoc.rollback('propensity');
SELECT version FROM assoc.models WHERE name = 'propensity' AND deployed;
SELECT pg_temp.err($$SELECT assoc.rollback('propensity')$$) AS nothing_earlier;
SELECT seq, version, rolled_back_at IS NOT NULL AS rolled_back FROM assoc.model_deployments
WHERE name = 'propensity' ORDER BY seq;
-- a deploy after rollbacks starts a new top; rolling it back returns to v3
SELECT assoc.deploy('propensity', 1);
SELECT assoc.rollback('propensity');

-- transactional: a deploy rolled back with its transaction leaves nothing behind
BEGIN;
SELECT assoc.deploy('propensity', 2);
SELECT version FROM assoc.models WHERE name = 'propensity' AND deployed;
ROLLBACK;
SELECT version FROM assoc.models WHERE name = 'propensity' AND deployed;
SELECT count(*) AS history FROM assoc.model_deployments WHERE name = 'propensity';

-- at most one deployed version per name, whatever writes the table
SELECT pg_temp.err($$UPDATE assoc.models SET deployed = true WHERE name = 'propensity'$$) AS two_deployed;

-- bad input
SELECT pg_temp.err($$SELECT assoc.model('unknown')$$) AS unknown_name;
SELECT pg_temp.err($$SELECT assoc.model('churn')$$) AS not_deployed;
SELECT pg_temp.err($$SELECT assoc.model('propensity', 9)$$) AS unknown_version;
SELECT pg_temp.err($$SELECT assoc.deploy('propensity', 9)$$) AS deploy_unknown_version;
SELECT pg_temp.err($$SELECT assoc.deploy('unknown', 1)$$) AS deploy_unknown_name;
SELECT pg_temp.err($$SELECT assoc.deploy('propensity', NULL)$$) AS deploy_null_version;
SELECT pg_temp.err($$SELECT assoc.rollback('churn')$$) AS rollback_never_deployed;
SELECT pg_temp.err($$SELECT assoc.save_model('x', '\x00'::bytea)$$) AS not_a_model;
SELECT pg_temp.err($$SELECT assoc.save_model('x', NULL)$$) AS null_model;
SELECT pg_temp.err($$SELECT assoc.save_model(NULL, model) FROM reg_trained WHERE l2 = 1$$) AS null_name;
SELECT pg_temp.err($$SELECT assoc.save_model(' padded ', model) FROM reg_trained WHERE l2 = 1$$) AS bad_name;
SELECT pg_temp.err($$SELECT assoc.save_model('x', model, metrics => '[1]') FROM reg_trained WHERE l2 = 1$$) AS metrics_array;
SELECT pg_temp.err($$SELECT assoc.save_model('x', overlay(model placing '\x00'::bytea from 60)) FROM reg_trained WHERE l2 = 1$$) AS corrupted;
SELECT count(*) AS names_after_failed_saves FROM assoc.model_names;

-- training specs (stored for assoc.retrain; the query is not run here)
SELECT assoc.set_training_spec('propensity', 'assoc.train_logistic', 'SELECT f, y FROM reg_rows',
							   options => '{"l2": 10}', holdout => 0.25, metric => 'auc');
SELECT assoc.set_training_spec('propensity', 'assoc.train_logistic', 'SELECT f, y FROM reg_rows WHERE true',
							   metric => 'log_loss', greater_is_better => false);
SELECT assoc.set_training_spec('segments', 'assoc.train_logistic', 'SELECT f, y FROM reg_rows');
SELECT name, trainer, source, options, holdout, metric, greater_is_better FROM assoc.training_specs ORDER BY name;
SELECT pg_temp.err($$SELECT assoc.set_training_spec('p', 'train_logistic', 'SELECT 1')$$) AS unqualified_trainer;
SELECT pg_temp.err($$SELECT assoc.set_training_spec('p', 'assoc.no_such_trainer', 'SELECT 1')$$) AS unknown_trainer;
SELECT pg_temp.err($$SELECT assoc.set_training_spec('p', 'assoc.train_logistic', '  ')$$) AS empty_source;
SELECT pg_temp.err($$SELECT assoc.set_training_spec('p', 'assoc.train_logistic', 'SELECT 1', holdout => 1)$$) AS holdout_one;
SELECT pg_temp.err($$SELECT assoc.set_training_spec('p', 'assoc.train_logistic', 'SELECT 1', options => '[]')$$) AS options_array;
SELECT pg_temp.err($$SELECT assoc.set_training_spec('p', 'assoc.train_logistic', NULL)$$) AS null_source;

-- search_path cannot redirect the registry: decoys first in the path
CREATE SCHEMA reg_decoy;
CREATE TABLE reg_decoy.models (name text, version int, model bytea, deployed boolean);
CREATE FUNCTION reg_decoy.model_info(bytea) RETURNS jsonb LANGUAGE sql AS $$ SELECT '{"kind": "decoy"}'::jsonb $$;
CREATE FUNCTION reg_decoy.max(integer) RETURNS integer LANGUAGE sql AS $$ SELECT 1000 $$;
SET search_path = reg_decoy, public;
SELECT assoc.save_model('propensity', model) AS version FROM pg_temp.reg_trained WHERE l2 = 1;
SELECT assoc.model('propensity', 4) = (SELECT model FROM pg_temp.reg_trained WHERE l2 = 1) AS saved_in_assoc;
RESET search_path;
SELECT kind FROM assoc.models WHERE name = 'propensity' AND version = 4;
SELECT count(*) AS decoy_rows FROM reg_decoy.models;
DROP SCHEMA reg_decoy CASCADE;

-- writing functions are not granted to PUBLIC; reading needs table privileges
CREATE ROLE regress_assoc_reader;
SET ROLE regress_assoc_reader;
SELECT pg_temp.err($$SELECT assoc.deploy('propensity', 1)$$) AS deploy_as_reader;
SELECT pg_temp.err($$SELECT assoc.save_model('x', NULL)$$) AS save_as_reader;
SELECT pg_temp.err($$SELECT assoc.model('propensity')$$) AS read_without_grant;
RESET ROLE;
DROP ROLE regress_assoc_reader;

-- pg_dump keeps the registry's rows (extension configuration tables)
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) AS t(oid) JOIN pg_class c ON c.oid = t.oid
WHERE e.extname = 'assoc' ORDER BY 1;

-- leave the registry empty for other tests
DELETE FROM assoc.model_deployments;
DELETE FROM assoc.training_specs;
DELETE FROM assoc.models;
DELETE FROM assoc.model_names;
