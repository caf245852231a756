-- Features over order tables: customer, product and customer x product
-- features, per-period sequences, scalers, feature hashing and splits.
-- Every feature is computed as of a time, from rows strictly before it.

-- The names of the elements of every feature vector.
CREATE FUNCTION assoc.feature_names("set" text) RETURNS text[]
	AS 'MODULE_PATHNAME', 'feature_names' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.feature_names(text) IS
	'names, in order, of the elements of a feature vector: customer, customer_agg, product, customer_product or period';

---------------------------------------------------------------------------
-- assoc.customer_agg: per-customer features as an aggregate (GROUP BY customer)

CREATE FUNCTION assoc.customer_agg_transfn(internal, "any", "any", timestamptz, float8, float8, timestamptz)
	RETURNS internal AS 'MODULE_PATHNAME', 'customer_agg_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.customer_agg_transfn(internal, "any", "any", timestamptz, float8, float8, timestamptz, text)
	RETURNS internal AS 'MODULE_PATHNAME', 'customer_agg_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.customer_agg_transfn(internal, "any", "any", timestamp, float8, float8, timestamp)
	RETURNS internal AS 'MODULE_PATHNAME', 'customer_agg_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.customer_agg_transfn(internal, "any", "any", timestamp, float8, float8, timestamp, text)
	RETURNS internal AS 'MODULE_PATHNAME', 'customer_agg_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.customer_agg_combine(internal, internal)
	RETURNS internal AS 'MODULE_PATHNAME', 'customer_agg_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.customer_agg_serial(internal)
	RETURNS bytea AS 'MODULE_PATHNAME', 'customer_agg_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.customer_agg_deserial(bytea, internal)
	RETURNS internal AS 'MODULE_PATHNAME', 'customer_agg_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.customer_agg_final(internal)
	RETURNS float8[] AS 'MODULE_PATHNAME', 'customer_agg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION assoc.customer_agg_transfn(internal, "any", "any", timestamptz, float8, float8, timestamptz) IS
	'transition function of assoc.customer_agg';
COMMENT ON FUNCTION assoc.customer_agg_transfn(internal, "any", "any", timestamptz, float8, float8, timestamptz, text) IS
	'transition function of assoc.customer_agg with an event column';
COMMENT ON FUNCTION assoc.customer_agg_transfn(internal, "any", "any", timestamp, float8, float8, timestamp) IS
	'transition function of assoc.customer_agg (timestamp without time zone)';
COMMENT ON FUNCTION assoc.customer_agg_transfn(internal, "any", "any", timestamp, float8, float8, timestamp, text) IS
	'transition function of assoc.customer_agg with an event column (timestamp without time zone)';
COMMENT ON FUNCTION assoc.customer_agg_combine(internal, internal) IS 'combine function of assoc.customer_agg';
COMMENT ON FUNCTION assoc.customer_agg_serial(internal) IS 'serialisation function of assoc.customer_agg';
COMMENT ON FUNCTION assoc.customer_agg_deserial(bytea, internal) IS 'deserialisation function of assoc.customer_agg';
COMMENT ON FUNCTION assoc.customer_agg_final(internal) IS 'final function of assoc.customer_agg';

CREATE AGGREGATE assoc.customer_agg(order_id "any", item_id "any", ts timestamptz,
	quantity float8, unit_price float8, as_of timestamptz) (
	SFUNC = assoc.customer_agg_transfn, STYPE = internal, SSPACE = 2048,
	FINALFUNC = assoc.customer_agg_final,
	COMBINEFUNC = assoc.customer_agg_combine,
	SERIALFUNC = assoc.customer_agg_serial, DESERIALFUNC = assoc.customer_agg_deserial,
	PARALLEL = SAFE);
CREATE AGGREGATE assoc.customer_agg(order_id "any", item_id "any", ts timestamptz,
	quantity float8, unit_price float8, as_of timestamptz, event text) (
	SFUNC = assoc.customer_agg_transfn, STYPE = internal, SSPACE = 2048,
	FINALFUNC = assoc.customer_agg_final,
	COMBINEFUNC = assoc.customer_agg_combine,
	SERIALFUNC = assoc.customer_agg_serial, DESERIALFUNC = assoc.customer_agg_deserial,
	PARALLEL = SAFE);
CREATE AGGREGATE assoc.customer_agg(order_id "any", item_id "any", ts timestamp,
	quantity float8, unit_price float8, as_of timestamp) (
	SFUNC = assoc.customer_agg_transfn, STYPE = internal, SSPACE = 2048,
	FINALFUNC = assoc.customer_agg_final,
	COMBINEFUNC = assoc.customer_agg_combine,
	SERIALFUNC = assoc.customer_agg_serial, DESERIALFUNC = assoc.customer_agg_deserial,
	PARALLEL = SAFE);
CREATE AGGREGATE assoc.customer_agg(order_id "any", item_id "any", ts timestamp,
	quantity float8, unit_price float8, as_of timestamp, event text) (
	SFUNC = assoc.customer_agg_transfn, STYPE = internal, SSPACE = 2048,
	FINALFUNC = assoc.customer_agg_final,
	COMBINEFUNC = assoc.customer_agg_combine,
	SERIALFUNC = assoc.customer_agg_serial, DESERIALFUNC = assoc.customer_agg_deserial,
	PARALLEL = SAFE);

COMMENT ON AGGREGATE assoc.customer_agg("any", "any", timestamptz, float8, float8, timestamptz) IS
	'features of one customer''s order lines before as_of (feature set customer_agg); use with GROUP BY customer';
COMMENT ON AGGREGATE assoc.customer_agg("any", "any", timestamptz, float8, float8, timestamptz, text) IS
	'features of one customer''s lines before as_of, with event purchase, view or cart (feature set customer_agg)';
COMMENT ON AGGREGATE assoc.customer_agg("any", "any", timestamp, float8, float8, timestamp) IS
	'features of one customer''s order lines before as_of (feature set customer_agg); use with GROUP BY customer';
COMMENT ON AGGREGATE assoc.customer_agg("any", "any", timestamp, float8, float8, timestamp, text) IS
	'features of one customer''s lines before as_of, with event purchase, view or cart (feature set customer_agg)';

---------------------------------------------------------------------------
-- assoc.product_agg: per-product features as an aggregate (GROUP BY product)

CREATE FUNCTION assoc.product_agg_transfn(internal, "any", "any", timestamptz, float8, float8, timestamptz)
	RETURNS internal AS 'MODULE_PATHNAME', 'product_agg_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.product_agg_transfn(internal, "any", "any", timestamp, float8, float8, timestamp)
	RETURNS internal AS 'MODULE_PATHNAME', 'product_agg_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.product_agg_combine(internal, internal)
	RETURNS internal AS 'MODULE_PATHNAME', 'product_agg_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.product_agg_serial(internal)
	RETURNS bytea AS 'MODULE_PATHNAME', 'product_agg_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.product_agg_deserial(bytea, internal)
	RETURNS internal AS 'MODULE_PATHNAME', 'product_agg_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.product_agg_final(internal)
	RETURNS float8[] AS 'MODULE_PATHNAME', 'product_agg_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION assoc.product_agg_transfn(internal, "any", "any", timestamptz, float8, float8, timestamptz) IS
	'transition function of assoc.product_agg';
COMMENT ON FUNCTION assoc.product_agg_transfn(internal, "any", "any", timestamp, float8, float8, timestamp) IS
	'transition function of assoc.product_agg (timestamp without time zone)';
COMMENT ON FUNCTION assoc.product_agg_combine(internal, internal) IS 'combine function of assoc.product_agg';
COMMENT ON FUNCTION assoc.product_agg_serial(internal) IS 'serialisation function of assoc.product_agg';
COMMENT ON FUNCTION assoc.product_agg_deserial(bytea, internal) IS 'deserialisation function of assoc.product_agg';
COMMENT ON FUNCTION assoc.product_agg_final(internal) IS 'final function of assoc.product_agg';

CREATE AGGREGATE assoc.product_agg(customer_id "any", order_id "any", ts timestamptz,
	quantity float8, unit_price float8, as_of timestamptz) (
	SFUNC = assoc.product_agg_transfn, STYPE = internal, SSPACE = 4096,
	FINALFUNC = assoc.product_agg_final,
	COMBINEFUNC = assoc.product_agg_combine,
	SERIALFUNC = assoc.product_agg_serial, DESERIALFUNC = assoc.product_agg_deserial,
	PARALLEL = SAFE);
CREATE AGGREGATE assoc.product_agg(customer_id "any", order_id "any", ts timestamp,
	quantity float8, unit_price float8, as_of timestamp) (
	SFUNC = assoc.product_agg_transfn, STYPE = internal, SSPACE = 4096,
	FINALFUNC = assoc.product_agg_final,
	COMBINEFUNC = assoc.product_agg_combine,
	SERIALFUNC = assoc.product_agg_serial, DESERIALFUNC = assoc.product_agg_deserial,
	PARALLEL = SAFE);

COMMENT ON AGGREGATE assoc.product_agg("any", "any", timestamptz, float8, float8, timestamptz) IS
	'features of one product''s order lines before as_of (feature set product); use with GROUP BY product';
COMMENT ON AGGREGATE assoc.product_agg("any", "any", timestamp, float8, float8, timestamp) IS
	'features of one product''s order lines before as_of (feature set product); use with GROUP BY product';

---------------------------------------------------------------------------
-- Set-returning functions over a source query of order lines:
-- SELECT customer, order, item, ts, quantity, unit_price [, event] FROM ...

CREATE FUNCTION assoc.customer_features(source text, as_of timestamptz, dedup boolean DEFAULT false)
	RETURNS TABLE(customer_id text, features float8[])
	AS 'MODULE_PATHNAME', 'customer_features'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 1000;
COMMENT ON FUNCTION assoc.customer_features(text, timestamptz, boolean) IS
	'features of every customer of the source lines before as_of, with RFM scores by quintile (feature set customer)';

CREATE FUNCTION assoc.product_features(source text, as_of timestamptz, dedup boolean DEFAULT false)
	RETURNS TABLE(item_id text, features float8[])
	AS 'MODULE_PATHNAME', 'product_features'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 1000;
COMMENT ON FUNCTION assoc.product_features(text, timestamptz, boolean) IS
	'features of every product of the source lines before as_of (feature set product)';

CREATE FUNCTION assoc.customer_product_features(source text, as_of timestamptz,
	recent_orders int DEFAULT 3, min_support float8 DEFAULT 0.01, min_confidence float8 DEFAULT 0.1,
	max_len int DEFAULT 3, dedup boolean DEFAULT false)
	RETURNS TABLE(customer_id text, item_id text, features float8[])
	AS 'MODULE_PATHNAME', 'customer_product_features'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 10000;
COMMENT ON FUNCTION assoc.customer_product_features(text, timestamptz, int, float8, float8, int, boolean) IS
	'features of every (customer, product) bought or recommended by a rule {A} => {product} fired by the customer''s recent orders, from the lines before as_of (feature set customer_product)';

CREATE FUNCTION assoc.period_sequences(source text, as_of timestamptz, periods int DEFAULT 12,
	period interval DEFAULT '7 days', dedup boolean DEFAULT false)
	RETURNS TABLE(customer_id text, item_id text, sequence float8[], label boolean)
	AS 'MODULE_PATHNAME', 'period_sequences_source'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 10000;
COMMENT ON FUNCTION assoc.period_sequences(text, timestamptz, int, interval, boolean) IS
	'per-period features (periods x feature set period, oldest first) of every (customer, product) active in the periods before as_of, labelled by a purchase in [as_of, as_of + period)';

CREATE FUNCTION assoc.time_split(source text, cutoff timestamptz DEFAULT NULL)
	RETURNS TABLE(customer_id text, order_id text, split text)
	AS 'MODULE_PATHNAME', 'time_split_source'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 1000;
COMMENT ON FUNCTION assoc.time_split(text, timestamptz) IS
	'train or test for every (customer, order) of a source query (customer, order, ts): orders from cutoff on are test; without cutoff, each customer''s last order (if it has two or more)';

---------------------------------------------------------------------------
-- Preparation: scalers, feature hashing, seeded split

CREATE FUNCTION assoc.scaler_fit_transfn(internal, float8[])
	RETURNS internal AS 'MODULE_PATHNAME', 'scaler_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.scaler_fit_transfn(internal, float8[], jsonb)
	RETURNS internal AS 'MODULE_PATHNAME', 'scaler_fit_transfn' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.scaler_fit_combine(internal, internal)
	RETURNS internal AS 'MODULE_PATHNAME', 'scaler_fit_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
CREATE FUNCTION assoc.scaler_fit_serial(internal)
	RETURNS bytea AS 'MODULE_PATHNAME', 'scaler_fit_serial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.scaler_fit_deserial(bytea, internal)
	RETURNS internal AS 'MODULE_PATHNAME', 'scaler_fit_deserial' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.scaler_fit_final(internal)
	RETURNS bytea AS 'MODULE_PATHNAME', 'scaler_fit_final' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION assoc.scaler_fit_transfn(internal, float8[]) IS 'transition function of assoc.scaler_fit';
COMMENT ON FUNCTION assoc.scaler_fit_transfn(internal, float8[], jsonb) IS 'transition function of assoc.scaler_fit with options';
COMMENT ON FUNCTION assoc.scaler_fit_combine(internal, internal) IS 'combine function of assoc.scaler_fit';
COMMENT ON FUNCTION assoc.scaler_fit_serial(internal) IS 'serialisation function of assoc.scaler_fit';
COMMENT ON FUNCTION assoc.scaler_fit_deserial(bytea, internal) IS 'deserialisation function of assoc.scaler_fit';
COMMENT ON FUNCTION assoc.scaler_fit_final(internal) IS 'final function of assoc.scaler_fit: the scaler model';

CREATE AGGREGATE assoc.scaler_fit(features float8[]) (
	SFUNC = assoc.scaler_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = assoc.scaler_fit_final,
	COMBINEFUNC = assoc.scaler_fit_combine,
	SERIALFUNC = assoc.scaler_fit_serial, DESERIALFUNC = assoc.scaler_fit_deserial,
	PARALLEL = SAFE);
CREATE AGGREGATE assoc.scaler_fit(features float8[], options jsonb) (
	SFUNC = assoc.scaler_fit_transfn, STYPE = internal, SSPACE = 1024,
	FINALFUNC = assoc.scaler_fit_final,
	COMBINEFUNC = assoc.scaler_fit_combine,
	SERIALFUNC = assoc.scaler_fit_serial, DESERIALFUNC = assoc.scaler_fit_deserial,
	PARALLEL = SAFE);
COMMENT ON AGGREGATE assoc.scaler_fit(float8[]) IS
	'fits a standard scaler (mean 0, population standard deviation 1) to feature vectors; returns a scaler model (bytea)';
COMMENT ON AGGREGATE assoc.scaler_fit(float8[], jsonb) IS
	'fits a scaler to feature vectors; options: method (standard, minmax, none), clip_lower and clip_upper (quantiles at which to clip each column first)';

CREATE FUNCTION assoc.scale(scaler bytea, features float8[]) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'scale_features' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.scale(bytea, float8[]) IS
	'applies a fitted scaler: clips, fills missing elements with the fitted mean, centres and scales';

CREATE FUNCTION assoc.hash_features(keys text[], width int DEFAULT 1024,
	alternate_sign boolean DEFAULT true, seed int DEFAULT 0) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'hash_features' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.hash_features(text[], int, boolean, int) IS
	'the hashing trick: counts of categorical values in a vector of width columns (MurmurHash3, as scikit-learn''s FeatureHasher)';

CREATE FUNCTION assoc.hash_features(keys text[], weights float8[], width int DEFAULT 1024,
	alternate_sign boolean DEFAULT true, seed int DEFAULT 0) RETURNS float8[]
	AS 'MODULE_PATHNAME', 'hash_features' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.hash_features(text[], float8[], int, boolean, int) IS
	'the hashing trick with a weight per value (scikit-learn''s FeatureHasher with input_type pair)';

CREATE FUNCTION assoc.train_test_split(key text, test_fraction float8 DEFAULT 0.2, seed int DEFAULT 0)
	RETURNS text AS 'MODULE_PATHNAME', 'train_test_split_text' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.train_test_split(text, float8, int) IS
	'deterministic seeded split: test when murmurhash3_32(key, seed) / 2^32 < test_fraction, else train';
CREATE FUNCTION assoc.train_test_split(key bigint, test_fraction float8 DEFAULT 0.2, seed int DEFAULT 0)
	RETURNS text AS 'MODULE_PATHNAME', 'train_test_split_int8' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.train_test_split(bigint, float8, int) IS
	'deterministic seeded split of an integer key (hashed as its decimal text, so 42 and ''42'' agree)';
