-- Privileges: the group roles assoc_reader and assoc_trainer tested with SET
-- ROLE, the audit of every SQL-language routine (no SECURITY DEFINER, a pinned
-- or qualified search_path, writers revoked from PUBLIC), the trust rule of
-- assoc.retrain, and search_path decoys that must not redirect it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;
\set SHOW_CONTEXT never
ALTER TABLE assoc.retrain_runs ALTER COLUMN run_id RESTART WITH 1;

-- outcome of a statement: 'ok' or its SQLSTATE and message
CREATE FUNCTION pg_temp.try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE q;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.try(text) TO PUBLIC;

-- reinstalling over existing roles (and through the upgrade path) works
SET client_min_messages = warning;
DROP EXTENSION assoc CASCADE;
CREATE EXTENSION assoc VERSION '0.1.0';
ALTER EXTENSION assoc UPDATE;
RESET client_min_messages;

---------------------------------------------------------------------------
-- 1. the roles and what they are granted
SELECT rolname, rolcanlogin, rolinherit, pg_has_role(rolname, 'assoc_reader', 'MEMBER') AS is_reader
FROM pg_roles WHERE rolname IN ('assoc_reader', 'assoc_trainer') ORDER BY 1;
SELECT c.relname,
	   string_agg(DISTINCT p.privilege_type, ',' ORDER BY p.privilege_type)
		   FILTER (WHERE p.grantee = 'assoc_reader') AS reader,
	   string_agg(DISTINCT p.privilege_type, ',' ORDER BY p.privilege_type)
		   FILTER (WHERE p.grantee = 'assoc_trainer') AS trainer,
	   bool_or(p.grantee = 'PUBLIC') AS public
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN information_schema.role_table_grants p ON p.table_schema = 'assoc' AND p.table_name = c.relname
WHERE n.nspname = 'assoc' AND c.relkind = 'r'
GROUP BY c.relname ORDER BY 1;

---------------------------------------------------------------------------
-- 2. audit of every routine written in SQL or PL/pgSQL
CREATE TEMP TABLE audit AS
SELECT p.oid::regprocedure AS routine, l.lanname AS language, p.prokind AS kind, p.prosecdef AS security_definer,
	   (SELECT c FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%') AS search_path,
	   has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute,
	   has_function_privilege('assoc_reader', p.oid, 'EXECUTE') AS reader_execute,
	   has_function_privilege('assoc_trainer', p.oid, 'EXECUTE') AS trainer_execute,
	   p.prosrc ~* '\m(insert\s+into|update\s+\S+(\s+as\s+\S+)?\s+set|delete\s+from|truncate)\M|(perform|:=|select)\s+assoc\.(save_model|deploy|rollback|lock_model_name|set_deployed|retrain_start|retrain_attempt|retrain_finish)\(' AS writes
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang
WHERE n.nspname = 'assoc' AND l.lanname IN ('sql', 'plpgsql');
SELECT routine, language, kind, search_path, writes, public_execute, reader_execute, trainer_execute
FROM audit ORDER BY routine::text;
-- no SECURITY DEFINER anywhere (C functions included)
SELECT p.oid::regprocedure AS security_definer FROM pg_proc p
WHERE p.pronamespace = 'assoc'::regnamespace AND p.prosecdef;
-- every routine pins search_path, except the two whose bodies qualify every name and operator
-- instead (assoc.model, kept free of a SET clause for speed; the procedure assoc.retrain, which commits)
SELECT routine AS unpinned FROM audit WHERE search_path IS NULL ORDER BY 1;
SELECT prosrc ~ '(^|[^.])\m(models|model_missing)\M' AS model_has_unqualified_names
FROM pg_proc WHERE oid = 'assoc.model(text, integer)'::regprocedure;
-- a routine that writes is executable neither by PUBLIC nor by readers; trainers may run it
SELECT routine AS writer_open_to_public FROM audit WHERE writes AND (public_execute OR reader_execute);
SELECT routine AS writer_closed_to_trainers FROM audit WHERE writes AND NOT trainer_execute;

---------------------------------------------------------------------------
-- 3. the roles at work (SET ROLE)
CREATE ROLE regress_ops_reader IN ROLE assoc_reader;
CREATE ROLE regress_ops_trainer IN ROLE assoc_trainer;
CREATE ROLE regress_ops_nobody;
CREATE TABLE ops_priv_rows AS
SELECT ARRAY[sin(i), cos(i * 3)]::float8[] AS f, sin(i) + 0.3 * cos(i * 7) > 0 AS y FROM generate_series(1, 300) i;
CREATE TABLE ops_priv_secret AS SELECT * FROM ops_priv_rows;
GRANT SELECT ON ops_priv_rows TO regress_ops_trainer;
SELECT assoc.set_training_spec('priv', 'assoc.train_logistic', 'SELECT f, y FROM ops_priv_rows');
CALL assoc.retrain('priv');

SET ROLE regress_ops_reader;
SELECT round(assoc.predict(assoc.model('priv'), ARRAY[0.5, 0.1])::numeric, 4) AS reader_scores;
SELECT count(*) AS reader_sees_versions FROM assoc.models;
SELECT pg_temp.try($$SELECT assoc.deploy('priv', 1)$$) AS reader_deploy;
SELECT pg_temp.try($$SELECT assoc.save_model('priv', assoc.model('priv'))$$) AS reader_save;
SELECT pg_temp.try($$SELECT assoc.set_training_spec('priv', 'assoc.train_logistic', 'SELECT 1, true')$$) AS reader_spec;
SELECT pg_temp.try($$CALL assoc.retrain('priv')$$) AS reader_retrain;
SELECT pg_temp.try($$SELECT count(*) FROM assoc.retrain_runs$$) AS reader_run_log;
SELECT pg_temp.try($$SELECT count(*) FROM assoc.training_specs$$) AS reader_specs;
SELECT pg_temp.try($$UPDATE assoc.models SET deployed = false$$) AS reader_update;
RESET ROLE;

SET ROLE regress_ops_nobody;
SELECT pg_temp.try($$SELECT assoc.model('priv')$$) AS nobody_reads_registry;
SELECT pg_temp.try($$CALL assoc.retrain('priv')$$) AS nobody_retrain;
RESET ROLE;
-- scoring a model value needs no registry privilege
SELECT assoc.model('priv') AS m \gset
SET ROLE regress_ops_nobody;
SELECT round(assoc.predict(:'m'::bytea, ARRAY[0.5, 0.1])::numeric, 4) AS nobody_scores_a_value;
RESET ROLE;

SET ROLE regress_ops_trainer;
-- a spec recorded by a superuser may be run by the trainer: its author already had every
-- right of the trainer, so running it with the trainer's rights gives its SQL nothing new
CALL assoc.retrain('priv');
-- its own spec: recorded, retrained (the source runs with the trainer's rights), deployed, rolled back
SELECT assoc.set_training_spec('priv_t', 'assoc.train_logistic', 'SELECT f, y FROM ops_priv_rows', metric => 'accuracy');
CALL assoc.retrain('priv_t');
CALL assoc.retrain('priv_t', force => true);
SELECT assoc.rollback('priv_t') AS rolled_back_to;
SELECT run_id, outcome, run_by, previous_version, new_version FROM assoc.retrain_runs WHERE name = 'priv_t' ORDER BY run_id;
-- a source the trainer may not read fails with the trainer's rights, and is logged
SELECT assoc.set_training_spec('priv_t', 'assoc.train_logistic', 'SELECT f, y FROM ops_priv_secret');
CALL assoc.retrain('priv_t');
SELECT outcome, sqlstate, reason FROM assoc.retrain_runs WHERE name = 'priv_t' ORDER BY run_id DESC LIMIT 1;
-- trainers write through the functions, and cannot delete history
SELECT pg_temp.try($$DELETE FROM assoc.models$$) AS trainer_delete;
SELECT pg_temp.try($$DELETE FROM assoc.retrain_runs$$) AS trainer_delete_log;
RESET ROLE;
-- but a superuser cannot run a spec recorded by a role without superuser rights:
-- its SQL would run with rights its author does not have
CALL assoc.retrain('priv_t');

-- with EXECUTE revoked from PUBLIC on every function, readers still score
BEGIN;
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA assoc FROM PUBLIC;
SET LOCAL ROLE regress_ops_nobody;
SELECT pg_temp.try($$SELECT assoc.predict('\x00'::bytea, ARRAY[1.0])$$) AS nobody_after_revoke;
RESET ROLE;
SET LOCAL ROLE regress_ops_reader;
SELECT round(assoc.predict(assoc.model('priv'), ARRAY[0.5, 0.1])::numeric, 4) AS reader_after_revoke;
ROLLBACK;

---------------------------------------------------------------------------
-- 4. search_path decoys placed before pg_catalog cannot redirect assoc.retrain
CREATE SCHEMA ops_decoy;
CREATE FUNCTION ops_decoy.decoy_eq(text, text) RETURNS boolean LANGUAGE plpgsql AS
	$$ BEGIN RAISE EXCEPTION 'decoy operator called'; END $$;
CREATE OPERATOR ops_decoy.= (LEFTARG = text, RIGHTARG = text, FUNCTION = ops_decoy.decoy_eq);
CREATE FUNCTION ops_decoy.decoy_int_eq(integer, integer) RETURNS boolean LANGUAGE plpgsql AS
	$$ BEGIN RAISE EXCEPTION 'decoy operator called'; END $$;
CREATE OPERATOR ops_decoy.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = ops_decoy.decoy_int_eq);
CREATE FUNCTION ops_decoy.length(text) RETURNS integer LANGUAGE plpgsql AS
	$$ BEGIN RAISE EXCEPTION 'decoy length called'; END $$;
CREATE FUNCTION ops_decoy.current_setting(text) RETURNS text LANGUAGE plpgsql AS
	$$ BEGIN RAISE EXCEPTION 'decoy current_setting called'; END $$;
CREATE FUNCTION ops_decoy.train_test_split(text, float8, integer) RETURNS text LANGUAGE plpgsql AS
	$$ BEGIN RAISE EXCEPTION 'decoy train_test_split called'; END $$;
CREATE TABLE ops_decoy.retrain_runs (run_id bigint);
CREATE TYPE ops_decoy.text AS (x integer);
SET search_path = ops_decoy, pg_catalog, public;
CALL assoc.retrain('priv', force => true);
SELECT pg_temp.try($$CALL assoc.retrain('no such model')$$) AS failing_run_under_decoys;
SELECT pg_temp.try($$SELECT assoc.set_training_spec('priv', 'assoc.train_logistic', 'SELECT f, y FROM ops_priv_rows WHERE false')$$) AS spec_under_decoys;
CALL assoc.retrain('priv');
RESET search_path;
SELECT run_id, outcome, reason FROM assoc.retrain_runs WHERE name = 'priv' ORDER BY run_id;
SELECT count(*) AS decoy_rows FROM ops_decoy.retrain_runs;
DROP SCHEMA ops_decoy CASCADE;

-- clean up
DELETE FROM assoc.retrain_runs;
DELETE FROM assoc.model_deployments;
DELETE FROM assoc.training_specs;
DELETE FROM assoc.models;
DELETE FROM assoc.model_names;
DROP TABLE ops_priv_rows, ops_priv_secret;
DROP ROLE regress_ops_reader, regress_ops_trainer, regress_ops_nobody;
