-- Models: logistic regression (training aggregate, coefficients) and scoring.

CREATE FUNCTION assoc.train_logistic_transfn(state internal, features float8[], label boolean)
	RETURNS internal
	AS 'MODULE_PATHNAME', 'train_logistic_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.train_logistic_transfn(state internal, features float8[], label boolean,
	options jsonb) RETURNS internal
	AS 'MODULE_PATHNAME', 'train_logistic_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
-- VOLATILE: the model records the time it was made.
CREATE FUNCTION assoc.train_logistic_final(state internal) RETURNS bytea
	AS 'MODULE_PATHNAME', 'train_logistic_final' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION assoc.train_logistic_transfn(internal, float8[], boolean) IS
	'transition function of assoc.train_logistic(features, label)';
COMMENT ON FUNCTION assoc.train_logistic_transfn(internal, float8[], boolean, jsonb) IS
	'transition function of assoc.train_logistic(features, label, options)';
COMMENT ON FUNCTION assoc.train_logistic_final(internal) IS
	'final function of assoc.train_logistic: trains on the collected rows and returns the model';

-- No combine function: training collects every row, so partial states would only
-- carry the rows to the leader, with more copies than a Gather of the rows below
-- the aggregate (3.5 times slower than a serial plan on a million rows; see
-- docs/models.md).  PARALLEL SAFE: parallel workers can produce the rows.
CREATE AGGREGATE assoc.train_logistic(features float8[], label boolean) (
	SFUNC = assoc.train_logistic_transfn,
	STYPE = internal,
	FINALFUNC = assoc.train_logistic_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.train_logistic(float8[], boolean) IS
	'trains a logistic regression model (L2 = 1, intercept, standardised features) on (features, label) rows; returns the model as bytea';

CREATE AGGREGATE assoc.train_logistic(features float8[], label boolean, options jsonb) (
	SFUNC = assoc.train_logistic_transfn,
	STYPE = internal,
	FINALFUNC = assoc.train_logistic_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.train_logistic(float8[], boolean, jsonb) IS
	'trains a logistic regression model on (features, label) rows; options: l2, fit_intercept, standardize, class_weight, solver, max_iter, tol, warm_start, verbose';

CREATE FUNCTION assoc.logistic_coefficients(model bytea,
	OUT feature integer, OUT coefficient float8, OUT raw_coefficient float8,
	OUT mean float8, OUT scale float8)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME', 'logistic_coefficients' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
	ROWS 32;
COMMENT ON FUNCTION assoc.logistic_coefficients(bytea) IS
	'coefficients of a logistic model: feature 0 is the intercept (0 on the fitted scale if none was fitted); coefficient on the fitted (standardised) scale, raw_coefficient on the features as given, with the mean and scale used';

CREATE FUNCTION assoc.predict(model bytea, features float8[]) RETURNS float8
	AS 'MODULE_PATHNAME', 'predict' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.predict(bytea, float8[]) IS
	'scores features with a model of any kind that can be scored (for a classifier: the probability of the positive class); the decoded model is kept per backend when it comes from a table, per call site otherwise';
