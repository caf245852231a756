-- Convolutional network: a 1-D CNN over fixed-length sequences, trained in the database.

CREATE FUNCTION assoc.train_convnet_transfn(state internal, features float8[], label boolean)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'convnet_train_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.train_convnet_transfn(state internal, features float8[], label boolean, options jsonb)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'convnet_train_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.train_convnet_combine(state1 internal, state2 internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'convnet_train_combine' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.train_convnet_serialize(state internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'convnet_train_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.train_convnet_deserialize(serialized bytea, state internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'convnet_train_deserialize' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.train_convnet_final(state internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'convnet_train_final' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION assoc.train_convnet_transfn(internal, float8[], boolean) IS
	'transition function of assoc.train_convnet(features, label): collects one example';
COMMENT ON FUNCTION assoc.train_convnet_transfn(internal, float8[], boolean, jsonb) IS
	'transition function of assoc.train_convnet(features, label, options): collects one example';
COMMENT ON FUNCTION assoc.train_convnet_combine(internal, internal) IS
	'combine function of assoc.train_convnet: unites the examples of two partial states';
COMMENT ON FUNCTION assoc.train_convnet_serialize(internal) IS
	'serialisation function of assoc.train_convnet (partial states of parallel workers)';
COMMENT ON FUNCTION assoc.train_convnet_deserialize(bytea, internal) IS
	'deserialisation function of assoc.train_convnet (checks sizes and values)';
COMMENT ON FUNCTION assoc.train_convnet_final(internal) IS
	'final function of assoc.train_convnet: trains the network on the collected examples';

CREATE AGGREGATE assoc.train_convnet(features float8[], label boolean) (
	SFUNC = assoc.train_convnet_transfn,
	STYPE = internal,
	FINALFUNC = assoc.train_convnet_final,
	COMBINEFUNC = assoc.train_convnet_combine,
	SERIALFUNC = assoc.train_convnet_serialize,
	DESERIALFUNC = assoc.train_convnet_deserialize,
	PARALLEL = SAFE
);
CREATE AGGREGATE assoc.train_convnet(features float8[], label boolean, options jsonb) (
	SFUNC = assoc.train_convnet_transfn,
	STYPE = internal,
	FINALFUNC = assoc.train_convnet_final,
	COMBINEFUNC = assoc.train_convnet_combine,
	SERIALFUNC = assoc.train_convnet_serialize,
	DESERIALFUNC = assoc.train_convnet_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.train_convnet(float8[], boolean) IS
	'trains the default 1-D convolutional network on (features float8[steps][features], label) rows; returns a convnet model (bytea)';
COMMENT ON AGGREGATE assoc.train_convnet(float8[], boolean, jsonb) IS
	'trains a 1-D convolutional network on (features float8[steps][features], label) rows with options (layers, epochs, batch_size, learning_rate, validation_fraction, patience, seed, ...); returns a convnet model (bytea)';

CREATE FUNCTION assoc.convnet_gradient_check(steps int, features int, layers jsonb DEFAULT NULL,
	batch int DEFAULT 3, seed int DEFAULT 1, step float8 DEFAULT 1e-6, l2 float8 DEFAULT 0,
	OUT layer int, OUT layer_type text, OUT part text, OUT n bigint,
	OUT max_abs_error float8, OUT rel_error float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'convnet_gradient_check_sql' LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 12;
COMMENT ON FUNCTION assoc.convnet_gradient_check(int, int, jsonb, int, int, float8, float8) IS
	'compares backpropagation with central differences on a random network and batch: per layer and block, the largest absolute and the norm-wise relative error';
