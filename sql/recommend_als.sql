-- Implicit ALS: recovery of a planted structure, and the trained model
-- checked against SQL oracles computed from its exported factors (loss,
-- normal equations, scores, cosine similarity).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SET extra_float_digits = 0;

-- 150 users in 5 groups; group g buys items 12g+1 .. 12g+12, each user about
-- 60% of them, weights 1..3; 21 users also bought one item of another group.
CREATE TEMP TABLE planted AS
SELECT u::bigint AS user_id, i::bigint AS item_id, (1 + (u + i) % 3)::float8 AS weight
FROM generate_series(1, 150) u, generate_series(1, 60) i
WHERE ((i - 1) / 12) = u % 5 AND ((u * 31 + i * 17) % 10) < 6
UNION ALL
SELECT u, ((u * 37) % 60) + 1, 1 FROM generate_series(1, 150) u
WHERE u % 7 = 0 AND (((u * 37) % 60) / 12) <> u % 5;
SELECT count(*) AS rows, count(DISTINCT user_id) AS users, count(DISTINCT item_id) AS items FROM planted;

CREATE TEMP TABLE m AS
SELECT assoc.train_als(user_id, item_id, weight, '{"factors": 5, "lambda": 1, "alpha": 2, "max_iter": 15}') AS model
FROM planted;
SELECT jsonb_build_object('kind', i->'kind', 'dim1', i->'dim1', 'dim2', i->'dim2', 'training_rows', i->'training_rows',
         'hyper_parameters', i->'hyper_parameters', 'users', i->'info'->'users', 'items', i->'info'->'items',
         'interactions', i->'info'->'interactions', 'iterations', i->'info'->'iterations') AS info
FROM (SELECT assoc.model_info(model) AS i FROM m) s;

-- 1. Planted items: each user's top-n unseen items (n = the unseen items of
-- the user's group) are exactly those items; without exclusion the top 12
-- are the group.
CREATE TEMP TABLE truth AS
SELECT u.user_id, array_agg(i ORDER BY i) AS unseen
FROM (SELECT DISTINCT user_id FROM planted) u, generate_series(1::bigint, 60) i
WHERE (i - 1) / 12 = u.user_id % 5
  AND NOT EXISTS (SELECT 1 FROM planted p WHERE p.user_id = u.user_id AND p.item_id = i)
GROUP BY u.user_id;
CREATE FUNCTION pg_temp.recovered(model bytea) RETURNS TABLE(users bigint, recovered_unseen bigint, recovered_group bigint)
LANGUAGE sql AS $$
  SELECT count(*),
         count(*) FILTER (WHERE t.unseen = (SELECT array_agg(r.item_id ORDER BY r.item_id)
                                           FROM assoc.recommend(model, t.user_id, cardinality(t.unseen)) r)),
         count(*) FILTER (WHERE (SELECT array_agg(r.item_id ORDER BY r.item_id)
                                 FROM assoc.recommend(model, t.user_id, 12, exclude_seen => false) r)
                                = array(SELECT generate_series((t.user_id % 5) * 12 + 1, (t.user_id % 5) * 12 + 12)))
  FROM truth t $$;
SELECT * FROM pg_temp.recovered((SELECT model FROM m));
-- the conjugate-gradient solver recovers them too
SELECT * FROM pg_temp.recovered((SELECT assoc.train_als(user_id, item_id, weight,
  '{"factors": 5, "lambda": 1, "alpha": 2, "solver": "cg", "cg_steps": 3}') FROM planted));

-- 2. Exact ALS never increases the loss.
SELECT count(*) AS iterations,
       count(*) FILTER (WHERE l.v > prev * (1 + 1e-12)) AS increases,
       bool_and(l.v < first_value) AS below_start
FROM (SELECT v::float8, lag(v::float8) OVER (ORDER BY n) AS prev, first_value(v::float8) OVER (ORDER BY n)
      FROM m, jsonb_array_elements_text(assoc.model_info(model)->'info'->'loss_history') WITH ORDINALITY AS h(v, n)) l
WHERE prev IS NOT NULL;

-- Factors and strengths as tables for the oracles.
CREATE TEMP TABLE xf AS SELECT id, factors FROM m, assoc.als_factors(model, 'user');
CREATE TEMP TABLE yf AS SELECT id, factors FROM m, assoc.als_factors(model, 'item');
CREATE TEMP TABLE strength AS SELECT user_id, item_id, sum(weight) AS r FROM planted GROUP BY 1, 2;
CREATE FUNCTION pg_temp.dot(a float8[], b float8[]) RETURNS float8 LANGUAGE sql IMMUTABLE AS
  $$ SELECT sum(x * y) FROM unnest(a, b) AS t(x, y) $$;
CREATE TEMP TABLE pair AS
SELECT x.id AS user_id, y.id AS item_id, pg_temp.dot(x.factors, y.factors) AS s,
       coalesce(st.r, 0) AS r, x.factors AS xu, y.factors AS yi
FROM xf x CROSS JOIN yf y LEFT JOIN strength st ON st.user_id = x.id AND st.item_id = y.id;

-- 3. The loss, summed over all 150 x 60 pairs, equals the model's.
SELECT abs(bf - (assoc.model_info(model)->>'loss')::float8) / bf < 1e-10 AS loss_matches
FROM m, (SELECT sum((1 + 2 * r) * ((r > 0)::int - s) ^ 2)
              + 1 * ((SELECT sum(pg_temp.dot(factors, factors)) FROM xf) + (SELECT sum(pg_temp.dot(factors, factors)) FROM yf)) AS bf
         FROM pair) b;

-- 4. Every user's factors solve the normal equations against the item factors:
-- (Y'C_uY + lambda I) x_u = Y'C_u p_u.
SELECT count(*) AS users, max(resid / bnorm) < 1e-9 AS solved
FROM (SELECT user_id, sqrt(sum(ax_b ^ 2)) AS resid, sqrt(sum(b ^ 2)) AS bnorm
      FROM (SELECT p.user_id, k,
                   sum((1 + 2 * p.r) * p.s * p.yi[k]) + 1 * min(p.xu[k]) - sum((1 + 2 * p.r) * (p.r > 0)::int * p.yi[k]) AS ax_b,
                   sum((1 + 2 * p.r) * (p.r > 0)::int * p.yi[k]) AS b
            FROM pair p, generate_series(1, 5) k GROUP BY p.user_id, k) e
      GROUP BY user_id) r;

-- 5. assoc.recommend = the top 5 of x_u . y_i by brute force, with and without exclusion.
SELECT e.exclude_seen, count(*) AS users,
       count(*) FILTER (WHERE e.top = (SELECT array_agg(r.item_id::text || ':' || round(r.score::numeric, 9) ORDER BY r.score DESC, r.item_id)
                                      FROM m, assoc.recommend(m.model, e.user_id, 5, e.exclude_seen) r)) AS agree
FROM (SELECT user_id, ex AS exclude_seen,
             (array_agg(item_id::text || ':' || round(s::numeric, 9) ORDER BY s DESC, item_id))[1:5] AS top
      FROM pair, (VALUES (false), (true)) v(ex) WHERE NOT (ex AND r > 0) GROUP BY user_id, ex) e
GROUP BY e.exclude_seen ORDER BY 1;

-- 6. assoc.similar_items = the top 5 by cosine of item factors, by brute force.
SELECT count(*) AS items,
       count(*) FILTER (WHERE e.top = (SELECT array_agg(r.item_id::text || ':' || round(r.score::numeric, 9) ORDER BY r.score DESC, r.item_id)
                                      FROM m, assoc.similar_items(m.model, e.id, 5) r)) AS agree
FROM (SELECT a.id, (array_agg(b.id::text || ':' || round(c::numeric, 9) ORDER BY c DESC, b.id))[1:5] AS top
      FROM yf a JOIN yf b ON a.id <> b.id,
           LATERAL (SELECT pg_temp.dot(a.factors, b.factors) / sqrt(pg_temp.dot(a.factors, a.factors) * pg_temp.dot(b.factors, b.factors)) AS c) cc
      GROUP BY a.id) e;

-- 7. Fold-in: a user's history passed as items gives the user's own recommendations.
SELECT count(*) AS users,
       count(*) FILTER (WHERE a = b) AS same_items,
       max(d) < 1e-9 AS same_scores
FROM (SELECT s.user_id,
             (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM assoc.recommend(m.model, s.user_id, 8) r) AS a,
             (SELECT array_agg(item_id ORDER BY score DESC, item_id) FROM assoc.recommend_for_items(m.model, s.items, 8, s.ws) r) AS b,
             (SELECT max(abs(r1.score - r2.score)) FROM assoc.recommend(m.model, s.user_id, 8) r1
                JOIN assoc.recommend_for_items(m.model, s.items, 8, s.ws) r2 USING (item_id)) AS d
      FROM m, (SELECT user_id, array_agg(item_id) AS items, array_agg(r) AS ws FROM strength GROUP BY user_id) s) f;

-- 8. Determinism: the same rows in another order, split into repeated rows,
-- with zero-weight and NULL rows added, give the same factors; another seed does not.
CREATE TEMP TABLE m2 AS
SELECT assoc.train_als(user_id, item_id, w, '{"factors": 5, "lambda": 1, "alpha": 2, "max_iter": 15}') AS model
FROM (SELECT user_id, item_id, weight / 2 AS w FROM planted
      UNION ALL SELECT user_id, item_id, weight / 2 FROM planted
      UNION ALL SELECT 999, 1, 0
      UNION ALL SELECT NULL, 1, 1
      UNION ALL SELECT 1, 2, NULL
      ORDER BY 2 DESC, 1) s;
SELECT (SELECT array_agg(factors ORDER BY id) FROM m, assoc.als_factors(model, 'user'))
       = (SELECT array_agg(factors ORDER BY id) FROM m2, assoc.als_factors(model, 'user')) AS same_users,
       (SELECT array_agg(factors ORDER BY id) FROM m, assoc.als_factors(model, 'item'))
       = (SELECT array_agg(factors ORDER BY id) FROM m2, assoc.als_factors(model, 'item')) AS same_items,
       (SELECT array_agg(factors ORDER BY id) FROM m, assoc.als_factors(model, 'item'))
       = (SELECT array_agg(factors ORDER BY id) FROM assoc.als_factors(
            (SELECT assoc.train_als(user_id, item_id, weight, '{"factors": 5, "lambda": 1, "alpha": 2, "seed": 1}') FROM planted),
            'item')) AS same_with_other_seed;

-- 9. Filters and edges.
SELECT item_id, round(score::numeric, 6) AS score FROM assoc.recommend((SELECT model FROM m), 1, 3, exclude => '{14, 15, 123456}');
SELECT count(*) AS unknown_user FROM assoc.recommend((SELECT model FROM m), 123456);
SELECT count(*) AS unknown_item FROM assoc.similar_items((SELECT model FROM m), 123456);
SELECT count(*) AS unknown_items FROM assoc.recommend_for_items((SELECT model FROM m), '{123456, NULL}');
SELECT count(*) AS all_unseen FROM assoc.recommend((SELECT model FROM m), 1, 2147483647);
SELECT count(*) AS all_items FROM assoc.recommend((SELECT model FROM m), 1, 1000, exclude_seen => false);
-- a new user who bought two items of group 3 gets the rest of group 3
SELECT array_agg(item_id ORDER BY item_id) AS fold_in
FROM assoc.recommend_for_items((SELECT model FROM m), '{37, 38}', 10);
-- LATERAL over many users
SELECT count(*) AS rows, count(DISTINCT u) AS users
FROM generate_series(1, 150) u, LATERAL assoc.recommend((SELECT model FROM m), u, 3) r;
