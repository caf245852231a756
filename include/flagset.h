/*
 * flagset.h
 *	  A set of keys (byte strings) with a flags byte each, for per-group
 *	  states that see one key per input row (the items of a customer).
 *
 * A slot holds the key's first 8 bytes, its length and its flags, so that a
 * lookup of a key of up to 8 bytes reads one cache line and nothing else;
 * only longer keys keep their bytes in an arena.  In a large GROUP BY the
 * tables of thousands of groups are cold between their rows, so what a
 * lookup touches is what it costs.  To hide that cost, an added key of up
 * to FLAGSET_PENDING_MAX bytes waits as the pending key while its slot is
 * prefetched, and goes in with the next add; readers count it as if it were
 * in (they never change the set).  Keys compare exactly.  All memory is
 * charged to the caller's budget.
 */
#ifndef ASSOC_FLAGSET_H
#define ASSOC_FLAGSET_H

#include "postgres.h"

#include "budget.h"

typedef struct FlagSlot
{
	uint64		prefix;			/* first 8 bytes, big-endian, zero-padded */
	uint32		off;			/* keys longer than 8 bytes: arena offset */
	uint16		len;			/* length, FLAGSET_LONG if 65535 or more (then in the arena) */
	uint8		flags;
	uint8		used;
} FlagSlot;

#define FLAGSET_PENDING_MAX 32

typedef struct FlagSet
{
	uint32		n;				/* keys in the slots (the pending key not counted) */
	uint32		nslots;			/* 0 or a power of 2, at least 4/3 n */
	FlagSlot   *slots;
	char	   *arena;			/* bytes of keys longer than 8 (len-prefixed when long) */
	uint32		used;
	uint32		arena_cap;
	/* the pending key, not yet in the slots (it may be there already) */
	bool		has_pending;
	uint8		pending_flags;
	uint32		pending_len;
	uint32		pending_hash;
	uint64		pending_prefix;
	char		pending[FLAGSET_PENDING_MAX];
} FlagSet;

extern void flagset_init(FlagSet *s);

/* Make room for n keys without growing (before adding them). */
extern void flagset_reserve(FlagSet *s, MemBudget *b, uint32 n);

/* OR flags into key p[0..len)'s flags, adding the key if new. */
extern void flagset_add(FlagSet *s, MemBudget *b, const char *p, uint32 len, uint8 flags);

/* Like flagset_add, without waiting: for bulk loads into a reserved set. */
extern void flagset_add_now(FlagSet *s, MemBudget *b, const char *p, uint32 len, uint8 flags);

/* Add every key of src to dst. */
extern void flagset_merge(FlagSet *dst, MemBudget *b, const FlagSet *src);

/* counts[f] += the number of keys whose flags are f (256 entries). */
extern void flagset_count_flags(const FlagSet *s, uint64 *counts);

/*
 * Iterate: *pos starts at 0; returns false at the end, else sets the key
 * (bytes in buf when short, buf holding 8 bytes) and its flags.  The pending
 * key comes last and may repeat a key seen before (add it with OR-ed flags).
 */
extern bool flagset_next(const FlagSet *s, uint32 *pos, char *buf, const char **p,
						 uint32 *len, uint8 *flags);

#endif							/* ASSOC_FLAGSET_H */
