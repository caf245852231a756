-- Evaluation: classification and ranking metric aggregates (jsonb results).

CREATE FUNCTION assoc.classification_metrics_transfn(state internal, score float8, label boolean)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'classification_metrics_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.classification_metrics_transfn(state internal, score float8, label boolean,
	threshold float8) RETURNS internal
	AS 'MODULE_PATHNAME', 'classification_metrics_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.classification_metrics_combine(state1 internal, state2 internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'classification_metrics_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.classification_metrics_serialize(state internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'classification_metrics_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.classification_metrics_deserialize(data bytea, dummy internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'classification_metrics_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.classification_metrics_final(state internal) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'classification_metrics_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION assoc.classification_metrics_transfn(internal, float8, boolean) IS
	'transition function of assoc.classification_metrics(score, label)';
COMMENT ON FUNCTION assoc.classification_metrics_transfn(internal, float8, boolean, float8) IS
	'transition function of assoc.classification_metrics(score, label, threshold)';
COMMENT ON FUNCTION assoc.classification_metrics_combine(internal, internal) IS
	'combine function of assoc.classification_metrics: concatenates two partial states';
COMMENT ON FUNCTION assoc.classification_metrics_serialize(internal) IS
	'serialisation of a partial assoc.classification_metrics state (parallel plans)';
COMMENT ON FUNCTION assoc.classification_metrics_deserialize(bytea, internal) IS
	'deserialisation of a partial assoc.classification_metrics state (parallel plans), with size checks';
COMMENT ON FUNCTION assoc.classification_metrics_final(internal) IS
	'final function of assoc.classification_metrics: the metrics as jsonb';

CREATE AGGREGATE assoc.classification_metrics(score float8, label boolean) (
	SFUNC = assoc.classification_metrics_transfn,
	STYPE = internal,
	FINALFUNC = assoc.classification_metrics_final,
	COMBINEFUNC = assoc.classification_metrics_combine,
	SERIALFUNC = assoc.classification_metrics_serialize,
	DESERIALFUNC = assoc.classification_metrics_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.classification_metrics(float8, boolean) IS
	'binary classification metrics at threshold 0.5 (score >= 0.5 is positive): jsonb with n, threshold, accuracy, precision, recall, f1, auc (exact, ties count 1/2), log_loss';

CREATE AGGREGATE assoc.classification_metrics(score float8, label boolean, threshold float8) (
	SFUNC = assoc.classification_metrics_transfn,
	STYPE = internal,
	FINALFUNC = assoc.classification_metrics_final,
	COMBINEFUNC = assoc.classification_metrics_combine,
	SERIALFUNC = assoc.classification_metrics_serialize,
	DESERIALFUNC = assoc.classification_metrics_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.classification_metrics(float8, boolean, float8) IS
	'binary classification metrics (score >= threshold is positive): jsonb with n, threshold, accuracy, precision, recall, f1, auc (exact, ties count 1/2), log_loss';

CREATE FUNCTION assoc.ranking_metrics_transfn(state internal, recommended anyarray, relevant anyarray)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'ranking_metrics_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.ranking_metrics_transfn(state internal, recommended anyarray, relevant anyarray,
	k integer) RETURNS internal
	AS 'MODULE_PATHNAME', 'ranking_metrics_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.ranking_metrics_combine(state1 internal, state2 internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'ranking_metrics_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.ranking_metrics_serialize(state internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'ranking_metrics_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.ranking_metrics_deserialize(data bytea, dummy internal) RETURNS internal
	AS 'MODULE_PATHNAME', 'ranking_metrics_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.ranking_metrics_final(state internal) RETURNS jsonb
	AS 'MODULE_PATHNAME', 'ranking_metrics_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION assoc.ranking_metrics_transfn(internal, anyarray, anyarray) IS
	'transition function of assoc.ranking_metrics(recommended, relevant)';
COMMENT ON FUNCTION assoc.ranking_metrics_transfn(internal, anyarray, anyarray, integer) IS
	'transition function of assoc.ranking_metrics(recommended, relevant, k)';
COMMENT ON FUNCTION assoc.ranking_metrics_combine(internal, internal) IS
	'combine function of assoc.ranking_metrics: adds two partial sums';
COMMENT ON FUNCTION assoc.ranking_metrics_serialize(internal) IS
	'serialisation of a partial assoc.ranking_metrics state (parallel plans)';
COMMENT ON FUNCTION assoc.ranking_metrics_deserialize(bytea, internal) IS
	'deserialisation of a partial assoc.ranking_metrics state (parallel plans), with size checks';
COMMENT ON FUNCTION assoc.ranking_metrics_final(internal) IS
	'final function of assoc.ranking_metrics: the means as jsonb';

CREATE AGGREGATE assoc.ranking_metrics(recommended anyarray, relevant anyarray) (
	SFUNC = assoc.ranking_metrics_transfn,
	STYPE = internal,
	FINALFUNC = assoc.ranking_metrics_final,
	COMBINEFUNC = assoc.ranking_metrics_combine,
	SERIALFUNC = assoc.ranking_metrics_serialize,
	DESERIALFUNC = assoc.ranking_metrics_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.ranking_metrics(anyarray, anyarray) IS
	'ranking metrics at k = 10 of recommendation lists, one list per row: jsonb with k, n, precision, recall, ndcg, map, hit_rate (means over lists)';

CREATE AGGREGATE assoc.ranking_metrics(recommended anyarray, relevant anyarray, k integer) (
	SFUNC = assoc.ranking_metrics_transfn,
	STYPE = internal,
	FINALFUNC = assoc.ranking_metrics_final,
	COMBINEFUNC = assoc.ranking_metrics_combine,
	SERIALFUNC = assoc.ranking_metrics_serialize,
	DESERIALFUNC = assoc.ranking_metrics_deserialize,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.ranking_metrics(anyarray, anyarray, integer) IS
	'ranking metrics at k of recommendation lists, one list per row: jsonb with k, n, precision, recall, ndcg, map, hit_rate (means over lists)';
