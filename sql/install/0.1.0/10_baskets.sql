-- The assoc.baskets type: a set of baskets, collected by assoc.basket_agg.

CREATE TYPE assoc.baskets;

CREATE FUNCTION assoc.baskets_in(cstring) RETURNS assoc.baskets
	AS 'MODULE_PATHNAME', 'baskets_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.baskets_out(assoc.baskets) RETURNS cstring
	AS 'MODULE_PATHNAME', 'baskets_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.baskets_recv(internal) RETURNS assoc.baskets
	AS 'MODULE_PATHNAME', 'baskets_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION assoc.baskets_send(assoc.baskets) RETURNS bytea
	AS 'MODULE_PATHNAME', 'baskets_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE assoc.baskets (
	INPUT = assoc.baskets_in,
	OUTPUT = assoc.baskets_out,
	RECEIVE = assoc.baskets_recv,
	SEND = assoc.baskets_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);
COMMENT ON TYPE assoc.baskets IS
	'A set of baskets (dictionary-encoded items per basket), collected by assoc.basket_agg; text form: base64 of the binary form';
COMMENT ON FUNCTION assoc.baskets_in(cstring) IS 'text input of assoc.baskets (base64 of the binary form, checked)';
COMMENT ON FUNCTION assoc.baskets_out(assoc.baskets) IS 'text output of assoc.baskets (base64 of the binary form)';
COMMENT ON FUNCTION assoc.baskets_recv(internal) IS 'binary input of assoc.baskets (checked)';
COMMENT ON FUNCTION assoc.baskets_send(assoc.baskets) IS 'binary output of assoc.baskets';

-- Transition and combine functions (called by the aggregates only).
CREATE FUNCTION assoc.basket_agg_transfn(assoc.baskets, "any", "any") RETURNS assoc.baskets
	AS 'MODULE_PATHNAME', 'basket_agg_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.basket_agg_array_transfn(assoc.baskets, anyarray) RETURNS assoc.baskets
	AS 'MODULE_PATHNAME', 'basket_agg_array_transfn' LANGUAGE C STABLE PARALLEL SAFE;
CREATE FUNCTION assoc.basket_agg_combine(assoc.baskets, assoc.baskets) RETURNS assoc.baskets
	AS 'MODULE_PATHNAME', 'basket_agg_combine' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION assoc.basket_agg_transfn(assoc.baskets, "any", "any") IS
	'transition function of assoc.basket_agg(basket, item)';
COMMENT ON FUNCTION assoc.basket_agg_array_transfn(assoc.baskets, anyarray) IS
	'transition function of assoc.basket_agg(items)';
COMMENT ON FUNCTION assoc.basket_agg_combine(assoc.baskets, assoc.baskets) IS
	'combine function of assoc.basket_agg: unites baskets with the same key';

CREATE AGGREGATE assoc.basket_agg(basket "any", item "any") (
	SFUNC = assoc.basket_agg_transfn,
	STYPE = assoc.baskets,
	COMBINEFUNC = assoc.basket_agg_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.basket_agg("any", "any") IS
	'collects (basket, item) rows into a basket set; rows with a NULL basket or item are skipped';

CREATE AGGREGATE assoc.basket_agg(items anyarray) (
	SFUNC = assoc.basket_agg_array_transfn,
	STYPE = assoc.baskets,
	COMBINEFUNC = assoc.basket_agg_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.basket_agg(anyarray) IS
	'collects baskets given as arrays, one basket per row; NULL elements are skipped';

CREATE FUNCTION assoc.basket_stats(baskets assoc.baskets,
	OUT baskets bigint, OUT items bigint, OUT item_occurrences bigint)
	AS 'MODULE_PATHNAME', 'basket_stats' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION assoc.basket_stats(assoc.baskets) IS
	'number of baskets, distinct items and (basket, item) entries in a basket set';
