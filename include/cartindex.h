/*
 * cartindex.h
 *	  The rules model (MODEL_RULES): association rules with one-item
 *	  consequents, stored in the model envelope and, once decoded, indexed by
 *	  antecedent in a trie for "complete your cart" lookups.
 *
 * Items are numbered by the byte order of their labels (code 0 is the
 * smallest label), so labels can be found by binary search and every ordering
 * by code is the label order.
 *
 * Body layout (envelope integers, big-endian):
 *	u64 baskets N
 *	u32 items; per item: bytes label (u32 length + bytes, strictly ascending
 *		in byte order), u32 count (baskets holding the item, 1..N)
 *	u32 rules; per rule, in ascending order of (antecedent, consequent), where
 *		antecedents compare element-wise and a prefix comes first:
 *		u8 antecedent length L >= 1, L x u32 item codes (ascending),
 *		u32 consequent (not in the antecedent), u32 count(A u C), u32 count(A)
 *		(1 <= count(A u C) <= count(A) <= N, count(A u C) <= count(C))
 * The header holds dim1 = items, dim2 = rules.  The decoder checks all of it.
 */
#ifndef ASSOC_CARTINDEX_H
#define ASSOC_CARTINDEX_H

#include "postgres.h"

#include "envelope.h"

/* The rules of a model being built (codes in label order). */
typedef struct RulesBuild
{
	uint64		nbaskets;
	uint32		nitems;
	const char **label;			/* label bytes of each item */
	uint32	   *label_len;
	uint32	   *item_count;
	uint32		nrules;
	Size	   *ante_start;		/* nrules + 1: rule r's antecedent is ante[ante_start[r] ..) */
	uint32	   *ante;			/* ascending codes */
	uint32	   *cons;
	uint32	   *count_ac;
	uint32	   *count_a;
} RulesBuild;

/* Write the body of a rules model (rules sorted here, in place). */
extern void rules_write(ModelWriter *w, RulesBuild *rb);

/* A decoded rules model with its antecedent trie. */
typedef struct CartIndex
{
	uint64		nbaskets;
	uint32		nitems;
	const char *labels;			/* arena of label bytes */
	Size	   *label_off;
	uint32	   *label_len;
	uint32	   *item_count;
	uint32	   *by_count;		/* item codes by descending count, then code */
	uint32		nrules;
	Size	   *ante_start;		/* nrules + 1 */
	uint32	   *ante;
	uint32	   *cons;
	uint32	   *count_ac;
	uint32	   *count_a;
	int			max_ante;		/* longest antecedent */
	/* trie: node 0 is the empty antecedent */
	uint32		nnodes;
	uint32	   *node_code;		/* last item of the node's itemset */
	uint32	   *rule_lo;		/* rules with exactly this antecedent: [rule_lo, rule_hi) */
	uint32	   *rule_hi;
	uint32	   *kid_start;		/* nnodes + 1: children are kids[kid_start[n] .. kid_start[n+1]) */
	uint32	   *kids;			/* child node ids, ascending by code within a node */
} CartIndex;

/* ModelDecodeFn for MODEL_RULES: check the body and build the trie. */
extern void *rules_decode(const ModelHeader *h, ModelReader *body);

/* Code of a label, or -1 if the model does not know it. */
extern int64 cart_find_item(const CartIndex *ix, const char *p, uint32 len);

/* One recommended item. */
typedef struct CartHit
{
	uint32		item;
	int64		rule;			/* the rule that fired best; -1: the empty antecedent */
	double		confidence;		/* = the score */
	double		lift;
} CartHit;

/*
 * The k best items for a cart.  cart: distinct codes, ascending.  skip[item]
 * marks items never to recommend (the cart's items must be marked by the
 * caller too).  Each item's best rule is the rule A => {item} with A in the
 * cart of highest confidence (then higher count(A u C), then the first
 * antecedent in label order); with fill, the empty antecedent fires for every
 * item (confidence = support, lift = 1).  Items rank by confidence, then lift,
 * then label.  out holds at least min(k, nitems) entries; returns the number
 * written.
 */
extern int	cart_recommend(const CartIndex *ix, const uint32 *cart, int ncart,
						   const bool *skip, int k, bool fill, CartHit *out);

#endif							/* ASSOC_CARTINDEX_H */
