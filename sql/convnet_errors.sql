-- Bad input to the convnet functions: clear errors with SQLSTATEs, never a crash.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS assoc;
RESET client_min_messages;
\set VERBOSITY default
\set SHOW_CONTEXT never

-- 60 sequences of 12 steps x 2 features
CREATE TABLE convnet_e AS
SELECT i, i % 3 = 0 AS label,
	   array_fill(1.0::float8, ARRAY[11, 2]) || ARRAY[[i % 7, i % 5]]::float8[] AS x
FROM generate_series(1, 60) i;
SELECT array_dims(x) FROM convnet_e LIMIT 1;

-- shapes
SELECT assoc.train_convnet(ARRAY[[[1.0]]]::float8[], true);
SELECT assoc.train_convnet('{}'::float8[], true);
SELECT assoc.train_convnet(CASE WHEN i = 5 THEN x[1:11][1:2] ELSE x END, label) FROM convnet_e;
SELECT assoc.train_convnet(CASE WHEN i = 5 THEN array_fill(1.0::float8, ARRAY[2, 12]) ELSE x END, label) FROM convnet_e;
SELECT assoc.train_convnet(CASE WHEN i = 5 THEN ARRAY(SELECT unnest(x)) ELSE x END, label) IS NOT NULL AS flat_row_of_the_right_size_is_accepted FROM convnet_e;
SELECT assoc.train_convnet(ARRAY(SELECT unnest(x)), label) FROM convnet_e;
SELECT assoc.train_convnet(ARRAY(SELECT unnest(x)), label, '{"steps": 5}') FROM convnet_e;
SELECT assoc.train_convnet(ARRAY(SELECT unnest(x)), label, '{"steps": 3}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"steps": 3}') FROM convnet_e;
-- values
SELECT assoc.train_convnet(CASE WHEN i = 7 THEN x || ARRAY[[NULL, 1]]::float8[] ELSE x END, label) FROM convnet_e;
SELECT assoc.train_convnet(CASE WHEN i = 7 THEN (array_fill(1.0::float8, ARRAY[11, 2]) || ARRAY[[1, 'NaN']]::float8[]) ELSE x END, label) FROM convnet_e;
SELECT assoc.train_convnet(CASE WHEN i = 8 THEN (ARRAY[[1, '-Infinity']]::float8[] || array_fill(1.0::float8, ARRAY[11, 2])) ELSE x END, label) FROM convnet_e;
-- training sets
SELECT assoc.train_convnet(x, label) FROM convnet_e WHERE false;
SELECT assoc.train_convnet(NULL::float8[], label) FROM convnet_e;
SELECT assoc.train_convnet(x, true) FROM convnet_e;
SELECT assoc.train_convnet(x, i = 1, '{"validation_fraction": 0.5}') FROM convnet_e WHERE i <= 4;
-- (with another seed the positive falls into the training part, and training works)
SELECT assoc.train_convnet(x, i = 1, '{"validation_fraction": 0.5, "seed": 2}') IS NOT NULL AS trained FROM convnet_e WHERE i <= 4;
-- options
SELECT assoc.train_convnet(x, label, '{"epoch": 3}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '[1, 2]') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"epochs": -1}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"batch_size": 2.5}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"learning_rate": 0}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"validation_fraction": 1}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"verbose": "yes"}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, CASE WHEN i < 30 THEN '{"epochs": 2}' ELSE '{"epochs": 3}' END::jsonb) FROM convnet_e;
-- architecture (the default fits 12 steps, not 4)
SELECT assoc.train_convnet(x[1:4][1:2], label) FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": {"type": "dense"}}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": []}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [3]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"filters": 3}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "lstm"}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "conv1d", "filters": -4, "kernel": 2}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "conv1d", "filters": 4, "kernel": 0}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "conv1d", "kernel": 2}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "conv1d", "filters": 4, "kernel": 2, "stride": 2}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "conv1d", "filters": 4, "kernel": 2, "activation": "tanh"}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "conv1d", "filters": 4, "kernel": 13}, {"type": "flatten"}, {"type": "dense", "units": 1}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "conv1d", "filters": 4, "kernel": 3}, {"type": "maxpool1d", "pool": 3}, {"type": "conv1d", "filters": 4, "kernel": 3}, {"type": "maxpool1d", "pool": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "maxpool1d", "pool": 13}, {"type": "flatten"}, {"type": "dense", "units": 1}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "conv1d", "filters": 4, "kernel": 2}, {"type": "dense", "units": 1}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "flatten"}, {"type": "dense", "units": 2}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "flatten"}, {"type": "dense", "units": 1, "activation": "relu"}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "flatten"}, {"type": "dropout", "rate": 1}, {"type": "dense", "units": 1}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "flatten"}, {"type": "dropout"}, {"type": "dense", "units": 1}]}') FROM convnet_e;
SELECT assoc.train_convnet(x, label, '{"layers": [{"type": "flatten"}, {"type": "dense", "units": 1}]}') FROM convnet_e WHERE false;

-- scoring
CREATE TABLE convnet_em AS
SELECT assoc.train_convnet(x, label, '{"epochs": 2, "layers": [{"type": "conv1d", "filters": 3, "kernel": 2}, {"type": "flatten"}, {"type": "dense", "units": 1}]}') AS m
FROM convnet_e;
SELECT assoc.predict(m, ARRAY[1, 2, 3]::float8[]) FROM convnet_em;
SELECT assoc.predict(m, array_fill(1.0::float8, ARRAY[2, 12])) FROM convnet_em;
SELECT assoc.predict(m, array_fill(1.0::float8, ARRAY[1, 12, 2])) FROM convnet_em;
SELECT assoc.predict(m, array_fill(1.0::float8, ARRAY[11, 2]) || ARRAY[[5, NULL]]::float8[]) FROM convnet_em;
SELECT assoc.predict(m, array_fill(1.0::float8, ARRAY[11, 2]) || ARRAY[[5, 'NaN']]::float8[]) FROM convnet_em;
SELECT assoc.predict(m, '{}'::float8[]) FROM convnet_em;
SELECT assoc.predict(NULL, array_fill(1.0::float8, ARRAY[12, 2])) IS NULL AS null_model_gives_null;
SELECT assoc.predict('\x0102'::bytea, array_fill(1.0::float8, ARRAY[12, 2]));
-- a corrupted model (one byte of the weights changed) fails its checksum
SELECT assoc.predict(set_byte(m, length(m) - 3, get_byte(m, length(m) - 3) # 1),
							 array_fill(1.0::float8, ARRAY[12, 2])) FROM convnet_em;
SELECT assoc.predict(substr(m, 1, length(m) - 8), array_fill(1.0::float8, ARRAY[12, 2])) FROM convnet_em;

-- gradient check arguments
SELECT * FROM assoc.convnet_gradient_check(4, 2, batch => 0);
SELECT * FROM assoc.convnet_gradient_check(4, 2, step => 0);
SELECT * FROM assoc.convnet_gradient_check(NULL, 2);
SELECT * FROM assoc.convnet_gradient_check(1000, 200);
SELECT * FROM assoc.convnet_gradient_check(2, 2);

DROP TABLE convnet_e, convnet_em;
