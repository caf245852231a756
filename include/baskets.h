/*
 * baskets.h
 *	  Collecting (basket, item) pairs into a transaction database.
 *
 * A BasketBuilder receives pairs in any order (rows of one basket need not be
 * adjacent), dictionary-encodes items and basket keys, and produces a TransDB:
 * every basket as a sorted array of distinct item ids, in one arena.
 */
#ifndef ASSOC_BASKETS_H
#define ASSOC_BASKETS_H

#include "postgres.h"

#include "budget.h"
#include "dict.h"

typedef struct BasketBuilder
{
	MemBudget  *budget;
	Dict		items;			/* item values -> item ids */
	Dict		keys;			/* basket keys -> basket ids (DICT_NONE: keyless) */
	uint32		nbaskets;
	uint32	   *pair_basket;	/* basket id of each pair */
	uint32	   *pair_item;		/* item id of each pair */
	Size		npairs;
	Size		cap;
	bool		unordered;		/* some pair came after a pair of a later basket */
	bool		has_last;		/* fast path for runs of one basket key */
	int64		last_int;
	uint32		last_id;
} BasketBuilder;

/* A transaction database: basket b holds items[offsets[b] .. offsets[b+1]). */
typedef struct TransDB
{
	uint32		ntrans;
	uint32		nitems;			/* size of the item dictionary */
	Size	   *offsets;		/* ntrans + 1 */
	uint32	   *items;			/* sorted, distinct within a basket */
	uint32	   *item_count;		/* number of baskets holding each item */
} TransDB;

extern void builder_init(BasketBuilder *b, DictKind item_kind, DictKind key_kind,
						 MemBudget *budget);

/* Basket ids: by key (keyed builders) or a fresh one (keyless builders). */
extern uint32 builder_basket_int(BasketBuilder *b, int64 key);
extern uint32 builder_basket_bytes(BasketBuilder *b, const char *p, uint32 len);
extern uint32 builder_basket_new(BasketBuilder *b);

static inline uint32
builder_item_int(BasketBuilder *b, int64 v)
{
	return dict_add_int(&b->items, v);
}

static inline uint32
builder_item_bytes(BasketBuilder *b, const char *p, uint32 len)
{
	return dict_add_bytes(&b->items, p, len);
}

extern void builder_add(BasketBuilder *b, uint32 basket, uint32 item);

/*
 * Build the transaction database, charging its memory to budget (the
 * builder is left unchanged, so a shared aggregate state can be read).  Baskets
 * keep their ids; every basket has at least one item.
 */
extern void builder_finish(const BasketBuilder *b, TransDB *db, MemBudget *budget);

/* Memory held by the builder, in bytes. */
extern Size builder_memory(const BasketBuilder *b);

#endif							/* ASSOC_BASKETS_H */
