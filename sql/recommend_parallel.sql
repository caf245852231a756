-- Parallel plans: assoc.train_als has no partial stage, so in a parallel plan
-- workers scan and a Gather brings the rows to the leader (in another order);
-- it gives the same model as a serial plan, and default settings keep a plain
-- scan serial; the serving functions run in workers (each decodes its own copy).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;

CREATE TABLE par_rows AS
SELECT (u % 400)::bigint AS user_id, ((u * 7 + (u % 400) * 13) % 300)::bigint AS item_id,
       (1 + u % 4)::float8 AS weight
FROM generate_series(1, 60000) u;
ANALYZE par_rows;

SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT assoc.train_als(user_id, item_id, weight, '{"factors": 4, "max_iter": 3}') FROM par_rows;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT assoc.train_als(user_id, item_id, weight, '{"factors": 4, "max_iter": 3}') FROM par_rows;
CREATE TEMP TABLE par_model AS
SELECT assoc.train_als(user_id, item_id, weight, '{"factors": 4, "max_iter": 3}') AS model FROM par_rows;

SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE ser_model AS
SELECT assoc.train_als(user_id, item_id, weight, '{"factors": 4, "max_iter": 3}') AS model FROM par_rows;
SELECT (SELECT array_agg(factors ORDER BY id) FROM par_model, assoc.als_factors(model, 'item'))
     = (SELECT array_agg(factors ORDER BY id) FROM ser_model, assoc.als_factors(model, 'item')) AS same_items,
       (SELECT array_agg(factors ORDER BY id) FROM par_model, assoc.als_factors(model, 'user'))
     = (SELECT array_agg(factors ORDER BY id) FROM ser_model, assoc.als_factors(model, 'user')) AS same_users,
       (SELECT assoc.model_info(model)->'training_rows' FROM par_model) AS training_rows;

-- serving in workers: a table of models and users, scanned in parallel
CREATE TABLE par_users AS SELECT (u % 400)::bigint AS user_id FROM generate_series(0, 19999) u;
CREATE TABLE par_models AS SELECT model FROM ser_model;
ANALYZE par_users;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT sum(r.item_id), count(*) FROM par_users u, LATERAL assoc.recommend((SELECT model FROM par_models), u.user_id, 5) r;
CREATE TEMP TABLE par_sum AS
SELECT sum(r.item_id) AS s, count(*) AS n FROM par_users u, LATERAL assoc.recommend((SELECT model FROM par_models), u.user_id, 5) r;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT (s, n) FROM par_sum) = (SELECT (sum(r.item_id), count(*))
        FROM par_users u, LATERAL assoc.recommend((SELECT model FROM par_models), u.user_id, 5) r) AS same_recommendations;

DROP TABLE par_rows, par_users, par_models;
