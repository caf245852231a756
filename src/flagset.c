/*
 * flagset.c
 *	  A set of flagged keys with short keys stored in the slots (see
 *	  flagset.h): open addressing, linear probing, at most three quarters full.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "port/pg_bswap.h"
#include "miscadmin.h"

#include "flagset.h"

#define FLAGSET_MIN_SLOTS 8
#define FLAGSET_LONG 65535

void
flagset_init(FlagSet *s)
{
	memset(s, 0, sizeof(FlagSet));
}

static inline uint64
key_prefix(const char *p, uint32 len)
{
	uint64		v = 0;
	uint32		i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | (i < len ? (unsigned char) p[i] : 0);
	return v;
}

/* the finaliser of MurmurHash3 (64-bit) */
static inline uint32
mix64(uint64 x)
{
	x ^= x >> 33;
	x *= UINT64CONST(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64CONST(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return (uint32) x;
}

static inline uint32
key_hash(uint64 prefix, const char *p, uint32 len)
{
	uint32		h = mix64(prefix ^ ((uint64) len * UINT64CONST(0x9e3779b97f4a7c15)));

	if (len > 8)
		h ^= hash_bytes((const unsigned char *) p + 8, (int) (len - 8));
	return h;
}

/* Length and bytes of the key in slot x (buf: room for 8 bytes). */
static inline const char *
slot_key(const FlagSet *s, const FlagSlot *x, char *buf, uint32 *len)
{
	if (x->len <= 8)
	{
		uint64		v = pg_hton64(x->prefix);

		memcpy(buf, &v, 8);
		*len = x->len;
		return buf;
	}
	if (x->len == FLAGSET_LONG)
	{
		memcpy(len, s->arena + x->off, 4);
		return s->arena + x->off + 4;
	}
	*len = x->len;
	return s->arena + x->off;
}

static inline bool
slot_is(const FlagSet *s, const FlagSlot *x, uint64 prefix, const char *p, uint32 len)
{
	char		buf[8];
	uint32		xlen;
	const char *xp;

	if (!x->used || x->prefix != prefix)
		return false;
	if (len <= 8 || x->len <= 8)
		return x->len == len;
	xp = slot_key(s, x, buf, &xlen);
	return xlen == len && memcmp(xp + 8, p + 8, len - 8) == 0;
}

/* Place a slot (its key not in the table) into slots[0..nslots). */
static inline void
place(FlagSlot *slots, uint32 nslots, const FlagSlot *x, uint32 h)
{
	uint32		mask = nslots - 1;
	uint32		i = h & mask;

	while (slots[i].used)
		i = (i + 1) & mask;
	slots[i] = *x;
}

/* Rehash into nslots slots (a power of 2 above 4/3 of the keys). */
static void
flagset_resize(FlagSet *s, MemBudget *b, uint32 nslots)
{
	FlagSlot   *slots;
	uint32		i;

	if (nslots >= PG_UINT32_MAX / 4)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct keys in one group")));
	slots = budget_alloc0(b, budget_mul(nslots, sizeof(FlagSlot)));
	for (i = 0; i < s->nslots; i++)
	{
		const FlagSlot *x = &s->slots[i];
		char		buf[8];
		uint32		len;
		const char *p;

		if (!x->used)
			continue;
		p = slot_key(s, x, buf, &len);
		place(slots, nslots, x, key_hash(x->prefix, p, len));
	}
	if (s->slots)
		budget_free(b, s->slots, sizeof(FlagSlot) * (Size) s->nslots);
	s->slots = slots;
	s->nslots = nslots;
}

static void
flagset_grow(FlagSet *s, MemBudget *b)
{
	flagset_resize(s, b, s->nslots == 0 ? FLAGSET_MIN_SLOTS : s->nslots * 2);
}

void
flagset_reserve(FlagSet *s, MemBudget *b, uint32 n)
{
	uint32		nslots = Max(s->nslots, FLAGSET_MIN_SLOTS);

	while (4 * ((uint64) n + 1) > 3 * (uint64) nslots)
		nslots *= 2;
	if (nslots != s->nslots)
		flagset_resize(s, b, nslots);
}

/* Copy a long key into the arena; returns its offset. */
static uint32
store_long(FlagSet *s, MemBudget *b, const char *p, uint32 len)
{
	uint32		need = len + (len >= FLAGSET_LONG ? 4 : 0);
	uint32		off = s->used;

	if (need > PG_UINT32_MAX / 2 - s->used)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the keys of one group exceed 2 GB")));
	if (s->used + need > s->arena_cap)
	{
		uint32		newcap = Max(s->arena_cap * 2, s->used + need + 64);

		s->arena = s->arena ? budget_realloc(b, s->arena, s->arena_cap, newcap)
			: budget_alloc(b, newcap);
		s->arena_cap = newcap;
	}
	if (len >= FLAGSET_LONG)
	{
		memcpy(s->arena + s->used, &len, 4);
		s->used += 4;
	}
	memcpy(s->arena + s->used, p, len);
	s->used += len;
	return off;
}

/* Insert a key (its prefix and hash computed) into the slots now. */
static void
insert_hashed(FlagSet *s, MemBudget *b, const char *p, uint32 len, uint64 prefix, uint32 h,
			  uint8 flags)
{
	uint32		mask;
	uint32		i;
	FlagSlot   *x;

	if (4 * (s->n + 1) > 3 * s->nslots)
		flagset_grow(s, b);
	mask = s->nslots - 1;
	for (i = h & mask;; i = (i + 1) & mask)
	{
		x = &s->slots[i];
		if (!x->used)
			break;
		if (slot_is(s, x, prefix, p, len))
		{
			x->flags |= flags;
			return;
		}
	}
	x->prefix = prefix;
	x->flags = flags;
	x->used = 1;
	x->off = 0;
	if (len <= 8)
		x->len = (uint16) len;
	else
	{
		x->len = len >= FLAGSET_LONG ? FLAGSET_LONG : (uint16) len;
		x->off = store_long(s, b, p, len);
	}
	s->n++;
}

static void
insert(FlagSet *s, MemBudget *b, const char *p, uint32 len, uint8 flags)
{
	uint64		prefix = key_prefix(p, len);

	insert_hashed(s, b, p, len, prefix, key_hash(prefix, p, len), flags);
}

/* The slot of key p[0..len), or NULL. */
static const FlagSlot *
lookup(const FlagSet *s, const char *p, uint32 len)
{
	uint64		prefix = key_prefix(p, len);
	uint32		mask = s->nslots - 1;
	uint32		i;

	if (s->nslots == 0)
		return NULL;
	for (i = key_hash(prefix, p, len) & mask;; i = (i + 1) & mask)
	{
		const FlagSlot *x = &s->slots[i];

		if (!x->used)
			return NULL;
		if (slot_is(s, x, prefix, p, len))
			return x;
	}
}

void
flagset_add(FlagSet *s, MemBudget *b, const char *p, uint32 len, uint8 flags)
{
	if (s->has_pending)
	{
		if (s->pending_len == len && memcmp(s->pending, p, len) == 0)
		{
			s->pending_flags |= flags;
			return;
		}
		insert_hashed(s, b, s->pending, s->pending_len, s->pending_prefix, s->pending_hash,
					  s->pending_flags);
		s->has_pending = false;
	}
	if (len > FLAGSET_PENDING_MAX)
	{
		insert(s, b, p, len, flags);
		return;
	}
	/* wait for the next add; let the slot's cache line come meanwhile */
	memcpy(s->pending, p, len);
	s->pending_len = len;
	s->pending_flags = flags;
	s->pending_prefix = key_prefix(p, len);
	s->pending_hash = key_hash(s->pending_prefix, p, len);
	s->has_pending = true;
	if (s->nslots > 0)
		__builtin_prefetch(&s->slots[s->pending_hash & (s->nslots - 1)], 1);
}

bool
flagset_next(const FlagSet *s, uint32 *pos, char *buf, const char **p, uint32 *len,
			 uint8 *flags)
{
	while (*pos < s->nslots)
	{
		const FlagSlot *x = &s->slots[(*pos)++];

		if (!x->used)
			continue;
		*p = slot_key(s, x, buf, len);
		*flags = x->flags;
		return true;
	}
	if (*pos == s->nslots && s->has_pending)
	{
		(*pos)++;
		*p = s->pending;
		*len = s->pending_len;
		*flags = s->pending_flags;
		return true;
	}
	return false;
}

void
flagset_add_now(FlagSet *s, MemBudget *b, const char *p, uint32 len, uint8 flags)
{
	insert(s, b, p, len, flags);
}

void
flagset_merge(FlagSet *dst, MemBudget *b, const FlagSet *src)
{
	uint32		pos = 0;
	char		buf[8];
	const char *p;
	uint32		len;
	uint8		flags;
	uint32		k = 0;

	flagset_reserve(dst, b, dst->n + src->n + 2);
	while (flagset_next(src, &pos, buf, &p, &len, &flags))
	{
		insert(dst, b, p, len, flags);
		if ((++k & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

void
flagset_count_flags(const FlagSet *s, uint64 *counts)
{
	uint32		i;

	for (i = 0; i < s->nslots; i++)
		if (s->slots[i].used)
			counts[s->slots[i].flags]++;
	if (s->has_pending)
	{
		const FlagSlot *x = lookup(s, s->pending, s->pending_len);

		if (x == NULL)
			counts[s->pending_flags]++;
		else
		{
			counts[x->flags]--;
			counts[x->flags | s->pending_flags]++;
		}
	}
}

