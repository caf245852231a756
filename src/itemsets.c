/*
 * itemsets.c
 *	  Store of frequent itemsets and lookup by itemset (see itemsets.h).
 */
#include "postgres.h"

#include "miscadmin.h"

#include "itemsets.h"

void
store_init(ItemsetStore *s, MemBudget *budget)
{
	memset(s, 0, sizeof(ItemsetStore));
	s->budget = budget;
	s->start = budget_alloc(budget, sizeof(Size));
	s->start[0] = 0;
}

void
store_add(ItemsetStore *s, const uint32 *items, int len, uint32 count)
{
	if (s->n >= s->cap)
	{
		uint32		newcap;

		if (s->cap >= PG_UINT32_MAX / 4)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many frequent itemsets"),
					 errhint("Raise min_support or set max_len.")));
		newcap = s->cap == 0 ? 1024 : s->cap * 2;
		s->start = budget_realloc(s->budget, s->start,
								  sizeof(Size) * ((Size) s->cap + 1),
								  sizeof(Size) * ((Size) newcap + 1));
		s->count = budget_realloc(s->budget, s->count,
								  sizeof(uint32) * (Size) s->cap,
								  sizeof(uint32) * (Size) newcap);
		s->cap = newcap;
	}
	if (s->nitems + len > s->items_cap)
	{
		Size		newcap = Max(s->items_cap * 2, s->nitems + len + 4096);

		s->items = budget_realloc(s->budget, s->items,
								  sizeof(uint32) * s->items_cap,
								  budget_mul(newcap, sizeof(uint32)));
		s->items_cap = newcap;
	}
	memcpy(s->items + s->nitems, items, sizeof(uint32) * len);
	s->nitems += len;
	s->count[s->n] = count;
	s->n++;
	s->start[s->n] = s->nitems;
}

static inline uint32
hash_itemset(const uint32 *items, int len)
{
	uint64		h = UINT64CONST(0x9E3779B97F4A7C15) ^ (uint64) len;
	int			i;

	for (i = 0; i < len; i++)
	{
		h ^= items[i];
		h *= UINT64CONST(0xff51afd7ed558ccd);
		h ^= h >> 32;
	}
	return (uint32) h;
}

void
store_build_index(ItemsetStore *s)
{
	uint32		nslots = 16;
	uint32		i;

	while (nslots < (uint64) s->n * 2)
		nslots *= 2;
	budget_free(s->budget, s->slots, s->slots ? sizeof(uint32) * ((Size) s->mask + 1) : 0);
	s->slots = budget_alloc0(s->budget, sizeof(uint32) * (Size) nslots);
	s->mask = nslots - 1;
	for (i = 0; i < s->n; i++)
	{
		uint32		h = hash_itemset(store_items(s, i), store_len(s, i)) & s->mask;

		while (s->slots[h] != 0)
			h = (h + 1) & s->mask;
		s->slots[h] = i + 1;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

uint32
store_find(const ItemsetStore *s, const uint32 *items, int len)
{
	uint32		h = hash_itemset(items, len) & s->mask;

	Assert(s->slots != NULL);
	for (;;)
	{
		uint32		id = s->slots[h];

		if (id == 0)
			return 0;
		if (store_len(s, id - 1) == len &&
			memcmp(store_items(s, id - 1), items, sizeof(uint32) * len) == 0)
			return s->count[id - 1];
		h = (h + 1) & s->mask;
	}
}
