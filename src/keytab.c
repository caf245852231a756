/*
 * keytab.c
 *	  A small exact set of keys numbered in order of first appearance (see
 *	  keytab.h): open addressing with linear probing, each slot the key's
 *	  hash and number, the key bytes in one arena.
 */
#include "postgres.h"

#include "common/hashfn.h"

#include "keytab.h"

#define KEYTAB_MIN_CAP 8

void
keytab_init(KeyTab *t)
{
	memset(t, 0, sizeof(KeyTab));
}

void *
keytab_grow_array(MemBudget *b, void *arr, uint32 oldcap, uint32 newcap, Size elsize)
{
	char	   *p;

	Assert(newcap >= oldcap);
	if (arr == NULL)
		return budget_alloc0(b, budget_mul(newcap, elsize));
	p = budget_realloc(b, arr, budget_mul(oldcap, elsize), budget_mul(newcap, elsize));
	memset(p + (Size) oldcap * elsize, 0, (Size) (newcap - oldcap) * elsize);
	return p;
}

#define SLOT_HASH(s) ((uint32) ((s) >> 32))
#define SLOT_ID(s) ((uint32) (s))	/* key number + 1; 0: empty */

/* Double the room for keys and rebuild the slots (hashes are in the old slots). */
static void
keytab_grow(KeyTab *t, MemBudget *b)
{
	uint32		newcap = t->cap == 0 ? KEYTAB_MIN_CAP : t->cap * 2;
	uint32		mask = 2 * newcap - 1;
	uint64	   *old = t->slots;
	uint64	   *slots;
	uint32		i;

	if (t->cap >= PG_UINT32_MAX / 8)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct keys in one group")));
	t->off = keytab_grow_array(b, t->off, t->cap ? t->cap + 1 : 0, newcap + 1, sizeof(uint32));
	slots = budget_alloc0(b, sizeof(uint64) * 2 * (Size) newcap);
	for (i = 0; old && i < 2 * t->cap; i++)
	{
		uint32		s;

		if (old[i] == 0)
			continue;
		s = SLOT_HASH(old[i]) & mask;
		while (slots[s] != 0)
			s = (s + 1) & mask;
		slots[s] = old[i];
	}
	if (old)
		budget_free(b, old, sizeof(uint64) * 2 * (Size) t->cap);
	t->slots = slots;
	t->cap = newcap;
}

uint32
keytab_add(KeyTab *t, MemBudget *b, const char *p, uint32 len, bool *isnew)
{
	uint32		h = hash_bytes((const unsigned char *) p, (int) len);
	uint32		mask;
	uint32		s;
	uint32		used;

	if (t->n >= t->cap)
		keytab_grow(t, b);
	mask = 2 * t->cap - 1;
	s = h & mask;
	for (;;)
	{
		uint64		slot = t->slots[s];

		if (slot == 0)
			break;
		if (SLOT_HASH(slot) == h && keytab_is(t, SLOT_ID(slot) - 1, p, len))
		{
			*isnew = false;
			return SLOT_ID(slot) - 1;
		}
		s = (s + 1) & mask;
	}

	used = t->off[t->n];
	if (len > PG_UINT32_MAX - used - 64)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the keys of one group exceed 4 GB")));
	if (used + len > t->arena_cap)
	{
		uint32		newcap = Max(t->arena_cap * 2, used + len + 64);

		if (t->arena_cap > PG_UINT32_MAX / 2)
			newcap = used + len + 64;
		t->arena = t->arena ? budget_realloc(b, t->arena, t->arena_cap, newcap)
			: budget_alloc(b, newcap);
		t->arena_cap = newcap;
	}
	if (len > 0)
		memcpy(t->arena + used, p, len);
	t->off[t->n + 1] = used + len;
	t->slots[s] = ((uint64) h << 32) | (t->n + 1);
	*isnew = true;
	return t->n++;
}
