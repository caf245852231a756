/*
 * rulegen.h
 *	  Association rules from a store of frequent itemsets.
 *
 * For every frequent itemset I of two or more items and every split of I into
 * a non-empty antecedent A and consequent C with |C| <= max_consequent, the
 * rule A => C is emitted when count(I) >= ceil(min_confidence * count(A)).
 * Consequents grow level by level (Agrawal & Srikant's ap-genrules): a
 * consequent is tried only if all its sub-consequents one item shorter passed,
 * which loses nothing because confidence can only fall as C grows within I.
 */
#ifndef ASSOC_RULEGEN_H
#define ASSOC_RULEGEN_H

#include "postgres.h"

#include "budget.h"
#include "itemsets.h"
#include "measures.h"

/* Called once per rule; itemsets are ascending code arrays. */
typedef void (*RuleEmitFn) (void *arg,
							const uint32 *ante, int nante,
							const uint32 *cons, int ncons,
							uint32 count_ac, uint32 count_a, uint32 count_c);

typedef struct RuleParams
{
	Threshold	min_confidence;
	int			max_consequent; /* 0: no bound */
} RuleParams;

/* sets must be indexed (store_build_index). */
extern void generate_rules(const ItemsetStore *sets, const RuleParams *params,
						   MemBudget *budget, RuleEmitFn emit, void *arg);

#endif							/* ASSOC_RULEGEN_H */
