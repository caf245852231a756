-- Recommendation: the rules model and "complete your cart", implicit-feedback ALS,
-- similar items.  Serving functions keep decoded models per backend (see
-- assoc.model_cache_stats); they are IMMUTABLE: the result depends only on the
-- model bytes and the arguments.

-- ---------- rules model ----------

CREATE FUNCTION assoc.train_rules(source text, min_support float8, min_confidence float8,
	max_len int DEFAULT NULL, options jsonb DEFAULT '{}')
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'train_rules_source'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION assoc.train_rules(text, float8, float8, int, jsonb) IS
	'rules model for assoc.recommend_for_cart from a read-only query returning (basket, item): the rules A => {c} of assoc.rules (same thresholds) indexed by antecedent; options: min_lift';

CREATE FUNCTION assoc.train_rules(baskets assoc.baskets, min_support float8, min_confidence float8,
	max_len int DEFAULT NULL, options jsonb DEFAULT '{}')
	RETURNS bytea
	AS 'MODULE_PATHNAME', 'train_rules_baskets'
	LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION assoc.train_rules(assoc.baskets, float8, float8, int, jsonb) IS
	'rules model for assoc.recommend_for_cart from a basket set collected by assoc.basket_agg';

CREATE FUNCTION assoc.recommend_for_cart(model bytea, cart text[], k int DEFAULT 10,
	exclude text[] DEFAULT NULL, fill boolean DEFAULT false)
	RETURNS TABLE(item text, score float8, confidence float8, lift float8, antecedent text[])
	AS 'MODULE_PATHNAME', 'recommend_for_cart'
	LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION assoc.recommend_for_cart(bytea, text[], int, text[], boolean) IS
	'the k best items to add to a cart: every rule whose antecedent is in the cart votes for its consequent; score = confidence of the best such rule (ties: lift, then item); cart and exclude items are never returned; fill lets the empty antecedent fire (popular items)';

-- ---------- implicit ALS ----------

CREATE FUNCTION assoc.train_als_transfn(internal, bigint, bigint, float8, jsonb)
	RETURNS internal AS 'MODULE_PATHNAME', 'train_als_transfn' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION assoc.train_als_transfn(internal, bigint, bigint, float8)
	RETURNS internal AS 'MODULE_PATHNAME', 'train_als_transfn' LANGUAGE C PARALLEL SAFE;
CREATE FUNCTION assoc.train_als_final(internal)
	RETURNS bytea AS 'MODULE_PATHNAME', 'train_als_final' LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION assoc.train_als_transfn(internal, bigint, bigint, float8, jsonb) IS
	'transition function of assoc.train_als(user_id, item_id, weight, options)';
COMMENT ON FUNCTION assoc.train_als_transfn(internal, bigint, bigint, float8) IS
	'transition function of assoc.train_als(user_id, item_id, weight)';
COMMENT ON FUNCTION assoc.train_als_final(internal) IS
	'final function of assoc.train_als: sums repeated pairs, trains, returns the model';

-- No combine function: training keeps every row, so partial states would only carry the
-- rows to the leader with more copies than a Gather below the aggregate (PostgreSQL's
-- default settings picked the partial plan for a 3-million-row table: 0.76 s against
-- 0.55 s serial).  PARALLEL SAFE: workers can produce the rows.
CREATE AGGREGATE assoc.train_als(user_id bigint, item_id bigint, weight float8, options jsonb) (
	SFUNC = assoc.train_als_transfn,
	STYPE = internal,
	FINALFUNC = assoc.train_als_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.train_als(bigint, bigint, float8, jsonb) IS
	'implicit-feedback ALS (Hu, Koren & Volinsky 2008) over (user, item, weight) rows; options: factors, lambda, alpha, max_iter, seed, solver (cholesky|cg), cg_steps, verbose';

CREATE AGGREGATE assoc.train_als(user_id bigint, item_id bigint, weight float8) (
	SFUNC = assoc.train_als_transfn,
	STYPE = internal,
	FINALFUNC = assoc.train_als_final,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE assoc.train_als(bigint, bigint, float8) IS
	'implicit-feedback ALS with default options (64 factors, lambda 0.1, alpha 1, 15 iterations, seed 0)';

CREATE FUNCTION assoc.recommend(model bytea, user_id bigint, k int DEFAULT 10,
	exclude_seen boolean DEFAULT true, exclude bigint[] DEFAULT NULL)
	RETURNS TABLE(item_id bigint, score float8)
	AS 'MODULE_PATHNAME', 'als_recommend'
	LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION assoc.recommend(bytea, bigint, int, boolean, bigint[]) IS
	'the k items of highest score x_u . y_i for a user of an ALS model, best first; exclude_seen leaves out the items of the user''s training rows; a user the model does not know gets no rows (use assoc.recommend_for_items)';

CREATE FUNCTION assoc.recommend_for_items(model bytea, items bigint[], k int DEFAULT 10,
	weights float8[] DEFAULT NULL, exclude_seen boolean DEFAULT true, exclude bigint[] DEFAULT NULL)
	RETURNS TABLE(item_id bigint, score float8)
	AS 'MODULE_PATHNAME', 'als_recommend_for_items'
	LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION assoc.recommend_for_items(bytea, bigint[], int, float8[], boolean, bigint[]) IS
	'recommendations for a history not in the model (fold-in without retraining): solves the user''s factors exactly against the item factors; unknown items are ignored; exclude_seen leaves out the given items';

CREATE FUNCTION assoc.similar_items(model bytea, item_id bigint, k int DEFAULT 10,
	exclude bigint[] DEFAULT NULL)
	RETURNS TABLE(item_id bigint, score float8)
	AS 'MODULE_PATHNAME', 'als_similar_items'
	LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION assoc.similar_items(bytea, bigint, int, bigint[]) IS
	'the k items whose ALS factors have the highest cosine similarity with the item''s, the item itself left out; an unknown item gets no rows';

CREATE FUNCTION assoc.als_factors(model bytea, side text DEFAULT 'item')
	RETURNS TABLE(id bigint, factors float8[])
	AS 'MODULE_PATHNAME', 'als_factors'
	LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION assoc.als_factors(bytea, text) IS
	'the factor vectors of an ALS model''s users (side => ''user'') or items (''item''), in id order';

-- ---------- serving cache ----------

CREATE FUNCTION assoc.model_cache_stats(OUT models int, OUT bytes bigint, OUT hits bigint, OUT decodes bigint)
	AS 'MODULE_PATHNAME', 'model_cache_stats'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION assoc.model_cache_stats() IS
	'the serving model cache of this backend: models and decoded bytes held, calls answered from it, models decoded';
