/*
 * miner.h
 *	  The frequent itemset mining kernel.
 *
 * Input is a transaction database (baskets as sorted arrays of item ids);
 * output is every itemset whose count is at least min_count, with its count,
 * as ascending arrays of dense item codes.  Codes number the frequent items in
 * order of ascending count (ties broken by the item's value order), and
 * code_item[] maps them back to item ids.
 *
 * The algorithm is Eclat: the pairs of each item are counted by occurrence
 * delivery over the baskets that hold it, deeper levels by intersecting
 * transaction-id sets, each kept as a sorted id list or a bit set, whichever
 * is smaller.  Results are exact; the order of the output is deterministic.
 */
#ifndef ASSOC_MINER_H
#define ASSOC_MINER_H

#include "postgres.h"

#include "baskets.h"
#include "budget.h"
#include "itemsets.h"

typedef struct MinerParams
{
	uint32		min_count;		/* an itemset is frequent iff count >= min_count (>= 1) */
	int			max_len;		/* longest itemset; 0 means no bound */
	bool		pair_table;		/* may count pairs into a triangular table */
} MinerParams;

typedef struct MinerResult
{
	uint32		nfreq;			/* number of frequent items */
	uint32	   *code_item;		/* code -> item id */
	ItemsetStore sets;			/* frequent itemsets over codes */
} MinerResult;

/*
 * Mine db; item_rank orders item values (for ties).  All memory is charged to
 * budget; an itemset explosion ends in an ERROR naming assoc.mining_mem.
 */
extern void mine_itemsets(const TransDB *db, const uint32 *item_rank,
						  const MinerParams *params, MemBudget *budget,
						  MinerResult *result);

#endif							/* ASSOC_MINER_H */
