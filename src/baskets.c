/*
 * baskets.c
 *	  Collecting (basket, item) pairs into a transaction database (see baskets.h).
 */
#include "postgres.h"

#include "miscadmin.h"

#include "baskets.h"
#include "sortutil.h"

void
builder_init(BasketBuilder *b, DictKind item_kind, DictKind key_kind, MemBudget *budget)
{
	memset(b, 0, sizeof(BasketBuilder));
	b->budget = budget;
	dict_init(&b->items, item_kind, budget);
	dict_init(&b->keys, key_kind, budget);
}

static inline void
check_basket_count(BasketBuilder *b)
{
	if (b->nbaskets >= PG_UINT32_MAX - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many baskets"),
				 errdetail("At most %u baskets can be mined at once.", PG_UINT32_MAX - 2)));
}

uint32
builder_basket_int(BasketBuilder *b, int64 key)
{
	uint32		id;

	if (b->has_last && b->last_int == key)
		return b->last_id;
	id = dict_add_int(&b->keys, key);
	if (id == b->nbaskets)
	{
		check_basket_count(b);
		b->nbaskets++;
	}
	b->has_last = true;
	b->last_int = key;
	b->last_id = id;
	return id;
}

uint32
builder_basket_bytes(BasketBuilder *b, const char *p, uint32 len)
{
	uint32		id = dict_add_bytes(&b->keys, p, len);

	if (id == b->nbaskets)
	{
		check_basket_count(b);
		b->nbaskets++;
	}
	return id;
}

uint32
builder_basket_new(BasketBuilder *b)
{
	Assert(b->keys.kind == DICT_NONE);
	check_basket_count(b);
	return b->nbaskets++;
}

void
builder_add(BasketBuilder *b, uint32 basket, uint32 item)
{
	if (b->npairs >= b->cap)
	{
		Size		newcap = b->cap == 0 ? 1024 : b->cap * 2;

		b->pair_basket = budget_realloc(b->budget, b->pair_basket,
										budget_mul(b->cap, sizeof(uint32)),
										budget_mul(newcap, sizeof(uint32)));
		b->pair_item = budget_realloc(b->budget, b->pair_item,
									  budget_mul(b->cap, sizeof(uint32)),
									  budget_mul(newcap, sizeof(uint32)));
		b->cap = newcap;
	}
	if (b->npairs > 0 && basket < b->pair_basket[b->npairs - 1])
		b->unordered = true;
	b->pair_basket[b->npairs] = basket;
	b->pair_item[b->npairs] = item;
	b->npairs++;
}

void
builder_finish(const BasketBuilder *b, TransDB *db, MemBudget *budget)
{
	uint32		nb = b->nbaskets;
	Size	   *fill;
	Size		i;
	Size		out;
	uint32		t;

	db->ntrans = nb;
	db->nitems = b->items.n;
	db->offsets = budget_alloc0(budget, budget_mul((Size) nb + 1, sizeof(Size)));
	db->items = budget_alloc(budget, budget_mul(Max(b->npairs, 1), sizeof(uint32)));
	db->item_count = budget_alloc0(budget, budget_mul(Max(b->items.n, 1), sizeof(uint32)));

	/* counting sort of the pairs by basket */
	for (i = 0; i < b->npairs; i++)
		db->offsets[b->pair_basket[i] + 1]++;
	for (t = 0; t < nb; t++)
		db->offsets[t + 1] += db->offsets[t];
	if (!b->unordered)
	{
		/* rows came grouped by basket (the usual case): already in place */
		memcpy(db->items, b->pair_item, sizeof(uint32) * b->npairs);
	}
	else
	{
		fill = budget_alloc(budget, budget_mul((Size) nb + 1, sizeof(Size)));
		memcpy(fill, db->offsets, sizeof(Size) * ((Size) nb + 1));
		for (i = 0; i < b->npairs; i++)
		{
			db->items[fill[b->pair_basket[i]]++] = b->pair_item[i];
			if ((i & 0xFFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		budget_free(budget, fill, sizeof(Size) * ((Size) nb + 1));
	}

	/* sort each basket, drop repeated items, compact, count supports */
	out = 0;
	for (t = 0; t < nb; t++)
	{
		Size		start = db->offsets[t];
		Size		end = db->offsets[t + 1];
		uint32	   *a = db->items + start;
		Size		n = end - start;
		Size		k;

		sort_uint32(a, n);
		db->offsets[t] = out;
		for (k = 0; k < n; k++)
		{
			if (k > 0 && a[k] == a[k - 1])
				continue;
			db->item_count[a[k]]++;
			db->items[out++] = a[k];
		}
		if ((t & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	db->offsets[nb] = out;
}

Size
builder_memory(const BasketBuilder *b)
{
	return dict_memory(&b->items) + dict_memory(&b->keys) + b->cap * 2 * sizeof(uint32);
}
