-- pgTAP: the operations area's objects, labels, comments and privileges, and
-- assoc.retrain inside a transaction block (the atomic path: no commits, the
-- run belongs to the caller's transaction).
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SELECT plan(33);

-- objects
SELECT has_table('assoc', 'retrain_runs', 'the run log exists');
SELECT columns_are('assoc', 'retrain_runs', ARRAY['run_id', 'name', 'started_at', 'finished_at', 'outcome', 'reason',
	'forced', 'trainer', 'source', 'options', 'holdout', 'metric', 'greater_is_better', 'training_rows', 'holdout_rows',
	'candidate_metrics', 'deployed_metrics', 'previous_version', 'new_version', 'sqlstate', 'error', 'run_by', 'pid'],
	'the run log has the documented columns');
SELECT col_is_pk('assoc', 'retrain_runs', 'run_id', 'runs are numbered');
SELECT col_has_check('assoc', 'retrain_runs', 'outcome', 'outcomes are checked');
SELECT has_column('assoc', 'training_specs', 'recorded_by', 'a spec records its author');
SELECT is((SELECT prokind::text FROM pg_proc WHERE oid = 'assoc.retrain(text, boolean, boolean)'::regprocedure), 'p',
	'assoc.retrain is a procedure');
SELECT is((SELECT array_agg(pronargdefaults) FROM pg_proc WHERE oid = 'assoc.retrain(text, boolean, boolean)'::regprocedure),
	ARRAY[2::int2], 'force and keep_rejected have defaults');
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = 'assoc.retrain(text, boolean, boolean)'::regprocedure),
	ARRAY['name', 'force', 'keep_rejected'], 'named parameters');
SELECT has_function('assoc', 'retrain_subquery', ARRAY['text'], 'the source parser exists');
SELECT volatility_is('assoc', 'retrain_subquery', ARRAY['text'], 'immutable', 'retrain_subquery is immutable');
SELECT volatility_is('assoc', 'retrain_metric', ARRAY['text', 'text'], 'immutable', 'retrain_metric is immutable');
SELECT volatility_is('assoc', 'retrain_start', ARRAY['text', 'boolean', 'boolean'], 'volatile', 'retrain_start is volatile');
SELECT is((SELECT string_agg(p.oid::regprocedure::text, ', ') FROM pg_proc p
		   WHERE p.pronamespace = 'assoc'::regnamespace AND p.proname LIKE 'retrain%'
			 AND obj_description(p.oid, 'pg_proc') IS NULL), NULL, 'every routine of the area has a comment');
SELECT is((SELECT count(*)::int FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'assoc'
		   AND c IN ('assoc.retrain_runs'::regclass, 'assoc.retrain_runs_run_id_seq'::regclass)), 2,
	'pg_dump keeps the run log and its sequence');

-- roles and privileges
SELECT has_role('assoc_reader', 'the reader role exists');
SELECT has_role('assoc_trainer', 'the trainer role exists');
SELECT is_member_of('assoc_reader', 'assoc_trainer', 'a trainer is a reader');
SELECT ok(NOT has_function_privilege('public', 'assoc.retrain(text, boolean, boolean)', 'EXECUTE'), 'retrain is revoked from PUBLIC');
SELECT ok(NOT has_function_privilege('assoc_reader', 'assoc.retrain(text, boolean, boolean)', 'EXECUTE'), 'readers cannot retrain');
SELECT ok(has_function_privilege('assoc_trainer', 'assoc.retrain(text, boolean, boolean)', 'EXECUTE'), 'trainers can retrain');
SELECT ok(has_function_privilege('assoc_reader', 'assoc.recommend_for_cart(bytea, text[], integer, text[], boolean)', 'EXECUTE'),
	'readers can score');
SELECT table_privs_are('assoc', 'retrain_runs', 'assoc_trainer', ARRAY['INSERT', 'SELECT', 'UPDATE'], 'trainers log runs');
SELECT table_privs_are('assoc', 'retrain_runs', 'assoc_reader', ARRAY[]::text[], 'readers do not see the run log');
SELECT table_privs_are('assoc', 'models', 'assoc_reader', ARRAY['SELECT'], 'readers read the registry');
SELECT table_privs_are('assoc', 'models', 'public', ARRAY[]::text[], 'PUBLIC does not');

-- retrain inside a transaction block: no commit, the caller's transaction holds it all
SET LOCAL client_min_messages = warning;
CREATE TEMP TABLE tap_rows AS
SELECT ARRAY[sin(i), cos(i * 3)]::float8[] AS f, sin(i) + 0.3 * cos(i * 7) > 0 AS y FROM generate_series(1, 300) i;
SELECT lives_ok($$SELECT assoc.set_training_spec('tap_ops', 'assoc.train_logistic', 'SELECT f, y FROM tap_rows')$$, 'spec recorded');
SELECT lives_ok($$CALL assoc.retrain('tap_ops')$$, 'retrain runs inside a transaction block');
SELECT is((SELECT outcome || ' ' || new_version FROM assoc.retrain_runs WHERE name = 'tap_ops'), 'promoted 1', 'the run is logged');
SELECT is((SELECT version FROM assoc.models WHERE name = 'tap_ops' AND deployed), 1, 'and its version deployed');
SELECT lives_ok($$CALL assoc.retrain('tap_ops', force => true, keep_rejected => true)$$, 'a forced run');
SELECT is((SELECT version FROM assoc.models WHERE name = 'tap_ops' AND deployed), 2, 'deploys the new version');
SELECT lives_ok($$SELECT assoc.set_training_spec('tap_ops', 'assoc.train_logistic', 'SELECT f, y FROM tap_no_such_rows')$$, 'a broken spec');
-- inside a transaction block the error reaches the caller with its SQLSTATE (its run row goes with the transaction)
SELECT throws_ok($$CALL assoc.retrain('tap_ops')$$, '42P01', NULL, 'a failed run raises its error');

SELECT * FROM finish();
ROLLBACK;
