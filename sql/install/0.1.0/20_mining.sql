-- Frequent itemsets and association rules.

CREATE FUNCTION assoc.frequent_itemsets(source text, min_support float8, max_len int DEFAULT NULL)
	RETURNS TABLE(items text[], count bigint, support float8)
	AS 'MODULE_PATHNAME', 'frequent_itemsets_source'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 1000;
COMMENT ON FUNCTION assoc.frequent_itemsets(text, float8, int) IS
	'frequent itemsets of the baskets given by a read-only query returning (basket, item): every itemset with count >= ceil(min_support * baskets), up to max_len items';

CREATE FUNCTION assoc.frequent_itemsets(baskets assoc.baskets, min_support float8, max_len int DEFAULT NULL)
	RETURNS TABLE(items text[], count bigint, support float8)
	AS 'MODULE_PATHNAME', 'frequent_itemsets_baskets'
	LANGUAGE C STABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION assoc.frequent_itemsets(assoc.baskets, float8, int) IS
	'frequent itemsets of a basket set collected by assoc.basket_agg';

CREATE FUNCTION assoc.rules(source text, min_support float8, min_confidence float8,
	max_len int DEFAULT NULL, max_consequent int DEFAULT 1)
	RETURNS TABLE(antecedent text[], consequent text[], count bigint, support float8,
		confidence float8, lift float8, leverage float8, conviction float8)
	AS 'MODULE_PATHNAME', 'rules_source'
	LANGUAGE C VOLATILE PARALLEL RESTRICTED ROWS 1000;
COMMENT ON FUNCTION assoc.rules(text, float8, float8, int, int) IS
	'association rules of the baskets given by a read-only query returning (basket, item): every rule A => C of a frequent itemset with confidence >= min_confidence and at most max_consequent items in C (NULL: every split)';

CREATE FUNCTION assoc.rules(baskets assoc.baskets, min_support float8, min_confidence float8,
	max_len int DEFAULT NULL, max_consequent int DEFAULT 1)
	RETURNS TABLE(antecedent text[], consequent text[], count bigint, support float8,
		confidence float8, lift float8, leverage float8, conviction float8)
	AS 'MODULE_PATHNAME', 'rules_baskets'
	LANGUAGE C STABLE PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION assoc.rules(assoc.baskets, float8, float8, int, int) IS
	'association rules of a basket set collected by assoc.basket_agg';
