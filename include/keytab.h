/*
 * keytab.h
 *	  A small exact set of keys (byte strings) numbered 0, 1, 2 ... in order
 *	  of first appearance, for the many small per-group states of the feature
 *	  aggregates (the orders of one customer; the orders, buyers and
 *	  (customer, order) pairs of one product).  The items of a customer, one
 *	  key per input row, use the cache-friendlier flagset.h.
 *
 * Unlike dict.h, which is built for one large dictionary per call, a KeyTab
 * starts with room for a handful of keys and keeps everything in three
 * arrays, so that thousands of groups cost little; a slot holds the key's
 * hash next to its number, so a probe reads one cache line.  Keys are compared
 * exactly (hash, length, bytes): two keys never share an entry by accident.
 * All memory is charged to the caller's budget.
 */
#ifndef ASSOC_KEYTAB_H
#define ASSOC_KEYTAB_H

#include "postgres.h"

#include "budget.h"

typedef struct KeyTab
{
	uint32		n;				/* number of keys */
	uint32		cap;			/* room for keys (0 or a power of 2) */
	uint64	   *slots;			/* 2 * cap slots: 0 empty, else hash << 32 | (key number + 1) */
	uint32	   *off;			/* key i is arena[off[i] .. off[i + 1]) */
	char	   *arena;
	uint32		arena_cap;
} KeyTab;

extern void keytab_init(KeyTab *t);

/*
 * Number of key p[0..len), added if new (*isnew tells).  When the table
 * grows, t->cap changes: callers with per-key arrays resize them to t->cap.
 */
extern uint32 keytab_add(KeyTab *t, MemBudget *b, const char *p, uint32 len, bool *isnew);

/* Is key i equal to p[0..len)? */
static inline bool
keytab_is(const KeyTab *t, uint32 i, const char *p, uint32 len)
{
	return t->off[i + 1] - t->off[i] == len && memcmp(t->arena + t->off[i], p, len) == 0;
}

static inline const char *
keytab_key(const KeyTab *t, uint32 i, uint32 *len)
{
	*len = t->off[i + 1] - t->off[i];
	return t->arena + t->off[i];
}

/*
 * Grow a per-key array of elsize-byte elements from oldcap to newcap
 * elements (zero-filled), charging the budget.
 */
extern void *keytab_grow_array(MemBudget *b, void *arr, uint32 oldcap, uint32 newcap, Size elsize);

#endif							/* ASSOC_KEYTAB_H */
