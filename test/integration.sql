-- pgTAP: the joints between the areas (features -> models -> evaluation, features -> k-means),
-- on a small synthetic shop: what passes from one area to the next, and the SQLSTATE of each
-- mistake a user makes at a joint.  The same pipeline on real data: sql/integration_retail.sql.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
SELECT plan(10);

-- 7 customers buying 5 items in turn, one order every 9 hours from 2024-01-01; customer 'z'
-- only returns an item, so it has no purchase order
CREATE TEMP TABLE shop AS
SELECT 'c' || (g % 7) AS customer_id, 'o' || g AS order_id, 'i' || (g % 5) AS item_id,
	   timestamp '2024-01-01' + g * interval '9 hours' AS ts, (g % 3 + 1)::float8 AS quantity, 1.5::float8 AS unit_price
FROM generate_series(1, 600) g
UNION ALL SELECT 'z', 'r1', 'i1', timestamp '2024-01-20', -1, 1.5;

CREATE TEMP TABLE seqs AS
SELECT a.as_of, p.*
FROM generate_series(timestamp '2024-02-05', '2024-04-29', '7 days') a(as_of),
	 LATERAL assoc.period_sequences('SELECT customer_id, order_id, item_id, ts, quantity, unit_price FROM shop',
									a.as_of, 4, '7 days') p;
SELECT ok((SELECT count(DISTINCT label) = 2 AND bool_and(array_dims(sequence) = '[1:4][1:8]') FROM seqs),
		  'period_sequences gives 4 x 8 sequences with both labels');

SELECT throws_ok($$SELECT assoc.train_logistic(sequence, label) FROM seqs$$, '22023',
				 'features must be a one-dimensional array',
				 'train_logistic refuses the 2-D sequences as they come');

CREATE TEMP TABLE models AS
SELECT assoc.train_convnet(sequence, label, '{"epochs": 3, "layers": [{"type": "conv1d", "filters": 4, "kernel": 2},
		   {"type": "flatten"}, {"type": "dense", "units": 1}]}') AS cnn,
	   assoc.train_logistic(ARRAY(SELECT unnest(sequence[1:4][1:6])), label) AS logistic
FROM seqs;
SELECT is((SELECT assoc.model_info(cnn)->'info'->'input' FROM models), '{"steps": 4, "features": 8}'::jsonb,
		  'train_convnet reads the 2-D sequences as steps x features');
SELECT ok((SELECT bool_and(assoc.predict(cnn, sequence) = assoc.predict(cnn, ARRAY(SELECT unnest(sequence))))
		   FROM seqs, models),
		  'assoc.predict gives a convnet the same score from the 2-D sequence and from its flat values');
SELECT ok((SELECT bool_and(p > 0 AND p < 1)
		   FROM (SELECT assoc.predict(logistic, ARRAY(SELECT unnest(sequence[1:4][1:6]))) AS p FROM seqs, models) s),
		  'assoc.predict scores the logistic model on the flattened purchase columns');
SELECT is((SELECT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(m) k)
		   FROM (SELECT assoc.classification_metrics(assoc.predict(cnn, sequence), label) AS m FROM seqs, models) s),
		  ARRAY['accuracy', 'auc', 'f1', 'log_loss', 'n', 'precision', 'recall', 'threshold'],
		  'classification_metrics evaluates the convnet''s scores');

CREATE TEMP TABLE customers AS
SELECT * FROM assoc.customer_features('SELECT customer_id, order_id, item_id, ts, quantity, unit_price FROM shop',
									  '2024-04-01');
SELECT throws_ok($$SELECT assoc.train_kmeans(features[16:18], 2) FROM customers$$, '22004', NULL,
				 'a customer without a purchase order has NULL RFM scores, which train_kmeans refuses');
CREATE TEMP TABLE seg AS
SELECT assoc.train_kmeans(features[16:18], 2, '{"seed": 1}') AS model FROM customers WHERE features[16] IS NOT NULL;
SELECT results_eq($$SELECT cluster, size FROM seg, assoc.cluster_centroids(model) ORDER BY cluster$$,
				  $$SELECT assoc.predict_cluster(model, features[16:18]), count(*) FROM customers, seg
					WHERE features[16] IS NOT NULL GROUP BY 1 ORDER BY 1$$,
				  'the segment sizes of the model are the counts of predict_cluster on the customers');
SELECT throws_ok($$SELECT assoc.predict(model, ARRAY[1, 1, 1]::float8[]) FROM seg$$, '22023',
				 'assoc.predict cannot score a kmeans model', 'assoc.predict sends k-means models to predict_cluster');
SELECT ok((SELECT count(*) = 2 FROM (SELECT s.segment, assoc.basket_agg(h.order_id, h.item_id) AS b
			FROM shop h JOIN (SELECT customer_id, assoc.predict_cluster(model, features[16:18]) AS segment
							  FROM customers, seg WHERE features[16] IS NOT NULL) s USING (customer_id)
			WHERE h.quantity > 0 GROUP BY s.segment) x),
		  'basket_agg ... GROUP BY segment gives one basket set per segment');

SELECT * FROM finish();
ROLLBACK;
