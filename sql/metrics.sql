-- Evaluation aggregates: classification metrics against scikit-learn
-- (test/data/metrics_reference.csv, from test/oracle/logistic_reference.py),
-- ranking metrics against hand-computed cases, parallel plans, bad input.
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

CREATE TABLE metrics_scores (case_name text, id int, score float8, label boolean);
\copy metrics_scores FROM 'test/data/metrics_scores.csv' WITH (FORMAT csv, HEADER true)
CREATE TEMP TABLE metrics_ref (case_name text, threshold float8, n int, accuracy float8,
	"precision" float8, recall float8, f1 float8, auc float8, log_loss float8);
\copy metrics_ref FROM 'test/data/metrics_reference.csv' WITH (FORMAT csv, HEADER true)

-- every metric within 1e-12 of scikit-learn's (accuracy_score, precision_score,
-- recall_score, f1_score at score >= threshold; roc_auc_score; log_loss)
SELECT r.case_name, r.threshold, (m->>'n')::int = r.n AS n,
	   abs((m->>'accuracy')::float8 - r.accuracy) < 1e-12 AS accuracy,
	   abs((m->>'precision')::float8 - r."precision") < 1e-12 AS "precision",
	   abs((m->>'recall')::float8 - r.recall) < 1e-12 AS recall,
	   abs((m->>'f1')::float8 - r.f1) < 1e-12 AS f1,
	   abs((m->>'auc')::float8 - r.auc) < 1e-12 AS auc,
	   abs((m->>'log_loss')::float8 - r.log_loss) < 1e-12 AS log_loss
FROM metrics_ref r,
	 LATERAL (SELECT assoc.classification_metrics(s.score, s.label, r.threshold) AS m
			  FROM metrics_scores s WHERE s.case_name = r.case_name) x
ORDER BY r.case_name, r.threshold;

-- the small case in full; the default threshold is 0.5
SELECT jsonb_pretty(assoc.classification_metrics(score, label)) FROM metrics_scores WHERE case_name = 'small';

-- hand-computed: scores 0.8, 0.6, 0.6, 0.2 for labels t, t, f, f: of the 4
-- (positive, negative) pairs, 3 are ordered and 1 tied -> AUC 3.5 / 4
SELECT assoc.classification_metrics(s, l, 0.7)
FROM (VALUES (0.8, true), (0.6, true), (0.6, false), (0.2, false)) v(s, l);

-- undefined values are null: nothing predicted positive (precision), one
-- class only (recall, AUC), scores outside [0, 1] (log loss)
SELECT assoc.classification_metrics(s, l, 10) FROM (VALUES (0.9, true), (0.1, false)) v(s, l);
SELECT assoc.classification_metrics(s, l) FROM (VALUES (0.9, false), (0.1, false)) v(s, l);
SELECT assoc.classification_metrics(s, l, 0) FROM (VALUES (2.5, true), (-1.0, false), ('Infinity', true)) v(s, l);
-- rows with a NULL score or label are skipped; no rows at all give NULL
SELECT assoc.classification_metrics(s, l)->'n' AS n FROM (VALUES (0.9, true), (NULL, false), (0.3, NULL), (0.2, false)) v(s, l);
SELECT assoc.classification_metrics(s, l) IS NULL AS no_rows FROM (VALUES (0.9, true)) v(s, l) WHERE false;

-- log loss clips probabilities at 1e-15, as scikit-learn 1.2
SELECT round((assoc.classification_metrics(s, l)->>'log_loss')::numeric, 6) AS log_loss
FROM (VALUES (0.0, true), (1.0, true)) v(s, l);

-- ranking metrics, hand-computed (k = 3):
--  user 1: [1 2 3] vs {2 5}: hit at 2. P 1/3, R 1/2, DCG 1/log2(3), IDCG 1 + 1/log2(3),
--          AP (1/2) / min(3, 2) = 1/4, hit 1
--  user 2: [4 4 1] vs {4}: hit at 1, the repeat at 2 is no hit. P 1/3, R 1, NDCG 1, AP 1, hit 1
--  user 3: [7 8] vs {9}: nothing. P 0, R 0, NDCG 0, AP 0, hit 0
--  user 4: [1 2 3] vs {}: no relevant item, skipped
--  means: P 2/9 = 0.222222, R 1/2, NDCG (0.386853 + 1) / 3 = 0.462284, MAP 5/12 = 0.416667, hit 2/3
SELECT k, n, round("precision", 6) AS "precision", round(recall, 6) AS recall, round(ndcg, 6) AS ndcg,
	   round(map, 6) AS map, round(hit_rate, 6) AS hit_rate
FROM (SELECT assoc.ranking_metrics(r, t, 3) AS m
	  FROM (VALUES (1, ARRAY[1, 2, 3], ARRAY[2, 5]), (2, ARRAY[4, 4, 1], ARRAY[4]),
				   (3, ARRAY[7, 8], ARRAY[9]), (4, ARRAY[1, 2, 3], ARRAY[]::int[])) v(u, r, t)) x,
	 LATERAL jsonb_to_record(m) AS j(k int, n int, "precision" numeric, recall numeric, ndcg numeric,
									 map numeric, hit_rate numeric);

-- k larger than the lists: precision divides by k, NDCG and AP by min(k, |relevant|)
--  [a b] vs {b c d}, k = 5: P 1/5, R 1/3, DCG 1/log2(3) = 0.630930,
--  IDCG 1 + 1/log2(3) + 1/2 = 2.130930 -> 0.296082, AP (1/2) / 3 = 0.166667
SELECT assoc.ranking_metrics(ARRAY['a', 'b'], ARRAY['b', 'c', 'd'], 5) AS m \gset
SELECT round((:'m'::jsonb->>'precision')::numeric, 6) AS "precision", round((:'m'::jsonb->>'recall')::numeric, 6) AS recall,
	   round((:'m'::jsonb->>'ndcg')::numeric, 6) AS ndcg, round((:'m'::jsonb->>'map')::numeric, 6) AS map;

-- text items, k = 10 by default; a NULL element takes a position but is never
-- relevant: hits at 1 and 3 -> P 2/10, R 1, NDCG (1 + 1/2) / (1 + 1/log2(3)) = 0.919721,
-- AP (1 + 2/3) / 2 = 0.833333
SELECT assoc.ranking_metrics(ARRAY['x', NULL, 'y'], ARRAY['x', 'y', NULL]) FROM (VALUES (1)) v(u);
-- a perfect list: 1 everywhere but precision (2 items of k = 10)
SELECT assoc.ranking_metrics(ARRAY['x', 'y'], ARRAY['x', 'y']);
-- a type with hash equality only (xid): compared with =; a type without equality (point): an error
SELECT assoc.ranking_metrics(ARRAY['5', '7', '9']::xid[], ARRAY['9', '5']::xid[], 2);
SELECT pg_temp.err($$SELECT assoc.ranking_metrics(ARRAY['(1,2)'::point], ARRAY['(1,2)'::point], 1)$$) AS no_equality;
SELECT assoc.ranking_metrics(r, t) IS NULL AS no_rows FROM (VALUES (ARRAY[1], ARRAY[1])) v(r, t) WHERE false;

-- bad input
SELECT pg_temp.err($$SELECT assoc.classification_metrics('NaN', true)$$) AS nan_score;
SELECT pg_temp.err($$SELECT assoc.classification_metrics(0.5, true, NULL)$$) AS null_threshold;
SELECT pg_temp.err($$SELECT assoc.classification_metrics(0.5, true, 'NaN')$$) AS nan_threshold;
SELECT pg_temp.err($$SELECT assoc.classification_metrics(s, true, t) FROM (VALUES (0.1, 0.5), (0.2, 0.6)) v(s, t)$$) AS varying_threshold;
SELECT pg_temp.err($$SELECT assoc.ranking_metrics(ARRAY[1], ARRAY[1], 0)$$) AS zero_k;
SELECT pg_temp.err($$SELECT assoc.ranking_metrics(ARRAY[1], ARRAY[1], NULL)$$) AS null_k;
SELECT pg_temp.err($$SELECT assoc.ranking_metrics(ARRAY[1], ARRAY[1], k) FROM (VALUES (1), (2)) v(k)$$) AS varying_k;
SELECT pg_temp.err($$SELECT assoc.ranking_metrics(ARRAY[[1, 2]], ARRAY[1], 1)$$) AS two_dimensional;
SELECT pg_temp.err($$SELECT assoc.ranking_metrics(ARRAY[1], ARRAY['a'], 1)$$) AS mixed_types;

-- parallel plans give the serial answer
CREATE TABLE metrics_lists AS
SELECT u, ARRAY[(u * 7) % 50, (u * 11) % 50, (u * 13) % 50, (u * 17) % 50, u % 50] AS recommended,
	   ARRAY[(u * 3) % 50, (u * 7) % 50, (u * 5) % 50] AS relevant,
	   (u % 100) / 100.0 AS score, u % 3 = 0 AS label
FROM generate_series(1, 20000) u;
ANALYZE metrics_lists;
SET max_parallel_workers_per_gather = 0;
SELECT assoc.ranking_metrics(recommended, relevant, 4) AS rs, assoc.classification_metrics(score, label) AS cs
FROM metrics_lists \gset
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF) SELECT assoc.ranking_metrics(recommended, relevant, 4), assoc.classification_metrics(score, label) FROM metrics_lists;
SELECT assoc.ranking_metrics(recommended, relevant, 4) AS rp, assoc.classification_metrics(score, label) AS cp
FROM metrics_lists \gset
RESET parallel_leader_participation;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
RESET max_parallel_workers_per_gather;
SELECT key, abs(s.value::float8 - p.value::float8) < 1e-12 AS same
FROM jsonb_each_text(:'rs'::jsonb || :'cs'::jsonb) s JOIN jsonb_each_text(:'rp'::jsonb || :'cp'::jsonb) p USING (key)
ORDER BY key;
SELECT :'cs'::jsonb->'n' AS n, :'rs'::jsonb->'n' AS lists;

DROP TABLE metrics_lists;
DROP TABLE metrics_scores;
