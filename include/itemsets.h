/*
 * itemsets.h
 *	  A store of frequent itemsets with their counts, and lookup by itemset.
 *
 * Each itemset is a strictly ascending array of item codes (the miner's dense
 * codes).  All itemsets live in one arena; the optional index finds the count
 * of any stored itemset, which rule generation needs for antecedents.
 */
#ifndef ASSOC_ITEMSETS_H
#define ASSOC_ITEMSETS_H

#include "postgres.h"

#include "budget.h"

typedef struct ItemsetStore
{
	MemBudget  *budget;
	uint32		n;				/* number of itemsets */
	uint32		cap;
	Size	   *start;			/* itemset i is items[start[i] .. start[i+1]) */
	uint32	   *count;			/* count of itemset i */
	uint32	   *items;
	Size		nitems;
	Size		items_cap;
	uint32	   *slots;			/* index: 0 empty, else itemset number + 1 */
	uint32		mask;
} ItemsetStore;

extern void store_init(ItemsetStore *s, MemBudget *budget);
extern void store_add(ItemsetStore *s, const uint32 *items, int len, uint32 count);

static inline int
store_len(const ItemsetStore *s, uint32 i)
{
	return (int) (s->start[i + 1] - s->start[i]);
}

static inline const uint32 *
store_items(const ItemsetStore *s, uint32 i)
{
	return s->items + s->start[i];
}

/* Build the lookup index (after the last store_add). */
extern void store_build_index(ItemsetStore *s);

/* Count of the itemset, or 0 if it is not stored; needs the index. */
extern uint32 store_find(const ItemsetStore *s, const uint32 *items, int len);

#endif							/* ASSOC_ITEMSETS_H */
