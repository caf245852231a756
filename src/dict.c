/*
 * dict.c
 *	  Dictionary encoding of item and basket values (see dict.h).
 *
 * An open-addressing hash table with linear probing over ids; the values
 * themselves live in arrays indexed by id.  All memory is charged to the
 * caller's budget.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"

#include "dict.h"

#define DICT_MIN_CAP 64

static inline uint32
hash_int64(int64 v)
{
	uint64		x = (uint64) v;

	/* the finaliser of MurmurHash3 */
	x ^= x >> 33;
	x *= UINT64CONST(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64CONST(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return (uint32) x;
}

/* Small non-negative integers (typical item and basket ids) skip the hash table. */
static inline bool
is_direct(int64 v)
{
	return v >= 0 && v < (int64) DICT_DIRECT_MAX;
}

/* Make the flat array cover value v. */
static void
direct_grow(Dict *d, int64 v)
{
	uint32		newcap = Max(d->direct_cap, 1024);

	while (newcap <= v)
		newcap *= 2;
	d->direct = budget_realloc(d->budget, d->direct, sizeof(uint32) * (Size) d->direct_cap,
							   sizeof(uint32) * (Size) newcap);
	memset(d->direct + d->direct_cap, 0, sizeof(uint32) * (Size) (newcap - d->direct_cap));
	d->direct_cap = newcap;
}

void
dict_init(Dict *d, DictKind kind, MemBudget *budget)
{
	memset(d, 0, sizeof(Dict));
	d->budget = budget;
	d->kind = kind;
}

/* Grow the per-value arrays and rebuild the slots when the table fills up. */
static void
dict_grow(Dict *d)
{
	uint32		newcap = d->cap == 0 ? DICT_MIN_CAP : d->cap * 2;
	uint32		nslots = newcap * 2;
	uint32		i;

	if (d->cap >= PG_UINT32_MAX / 4)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct values to encode")));

	d->hashes = budget_realloc(d->budget, d->hashes,
							   sizeof(uint32) * d->cap, sizeof(uint32) * newcap);
	if (d->kind == DICT_INT)
		d->ivals = budget_realloc(d->budget, d->ivals,
								  sizeof(int64) * d->cap, sizeof(int64) * newcap);
	else
	{
		d->boff = budget_realloc(d->budget, d->boff,
								 sizeof(uint64) * d->cap, sizeof(uint64) * newcap);
		d->blen = budget_realloc(d->budget, d->blen,
								 sizeof(uint32) * d->cap, sizeof(uint32) * newcap);
	}
	budget_free(d->budget, d->slots, d->slots ? sizeof(uint32) * (d->mask + 1) : 0);
	d->slots = budget_alloc0(d->budget, sizeof(uint32) * nslots);
	d->mask = nslots - 1;
	d->cap = newcap;

	for (i = 0; i < d->n; i++)
	{
		uint32		s = d->hashes[i] & d->mask;

		if (d->kind == DICT_INT && is_direct(d->ivals[i]))
			continue;

		while (d->slots[s] != 0)
			s = (s + 1) & d->mask;
		d->slots[s] = i + 1;
	}
}

uint32
dict_add_int(Dict *d, int64 v)
{
	uint32		h;
	uint32		s;

	Assert(d->kind == DICT_INT);
	if (is_direct(v))
	{
		uint32		id;

		if (v >= d->direct_cap)
			direct_grow(d, v);
		id = d->direct[v];
		if (id != 0)
			return id - 1;
		if (d->n >= d->cap)
			dict_grow(d);
		d->direct[v] = d->n + 1;
		d->ivals[d->n] = v;
		d->hashes[d->n] = 0;
		return d->n++;
	}
	h = hash_int64(v);
	if (d->n >= d->cap)
		dict_grow(d);
	s = h & d->mask;
	for (;;)
	{
		uint32		id = d->slots[s];

		if (id == 0)
			break;
		if (d->ivals[id - 1] == v)
			return id - 1;
		s = (s + 1) & d->mask;
	}
	d->slots[s] = d->n + 1;
	d->ivals[d->n] = v;
	d->hashes[d->n] = h;
	return d->n++;
}

int64
dict_find_int(const Dict *d, int64 v)
{
	uint32		s;

	if (d->n == 0)
		return -1;
	if (is_direct(v))
		return v < d->direct_cap && d->direct[v] != 0 ? (int64) d->direct[v] - 1 : -1;
	s = hash_int64(v) & d->mask;
	for (;;)
	{
		uint32		id = d->slots[s];

		if (id == 0)
			return -1;
		if (d->ivals[id - 1] == v)
			return id - 1;
		s = (s + 1) & d->mask;
	}
}

static inline bool
bytes_equal(const Dict *d, uint32 id, const char *p, uint32 len, uint32 h)
{
	return d->hashes[id] == h && d->blen[id] == len &&
		memcmp(d->bytes + d->boff[id], p, len) == 0;
}

uint32
dict_add_bytes(Dict *d, const char *p, uint32 len)
{
	uint32		h = hash_bytes((const unsigned char *) p, (int) len);
	uint32		s;

	Assert(d->kind == DICT_BYTES);
	if (d->n >= d->cap)
		dict_grow(d);
	s = h & d->mask;
	for (;;)
	{
		uint32		id = d->slots[s];

		if (id == 0)
			break;
		if (bytes_equal(d, id - 1, p, len, h))
			return id - 1;
		s = (s + 1) & d->mask;
	}

	if (d->bytes_used + len > d->bytes_cap)
	{
		Size		newcap = Max(d->bytes_cap * 2, d->bytes_used + len + 1024);

		d->bytes = budget_realloc(d->budget, d->bytes, d->bytes_cap, newcap);
		d->bytes_cap = newcap;
	}
	if (len > 0)
		memcpy(d->bytes + d->bytes_used, p, len);
	d->boff[d->n] = d->bytes_used;
	d->blen[d->n] = len;
	d->bytes_used += len;
	d->slots[s] = d->n + 1;
	d->hashes[d->n] = h;
	return d->n++;
}

int64
dict_find_bytes(const Dict *d, const char *p, uint32 len)
{
	uint32		h;
	uint32		s;

	if (d->n == 0)
		return -1;
	h = hash_bytes((const unsigned char *) p, (int) len);
	s = h & d->mask;
	for (;;)
	{
		uint32		id = d->slots[s];

		if (id == 0)
			return -1;
		if (bytes_equal(d, id - 1, p, len, h))
			return id - 1;
		s = (s + 1) & d->mask;
	}
}

/* qsort_arg comparators over ids */
static int
cmp_int_ids(const void *a, const void *b, void *arg)
{
	const Dict *d = (const Dict *) arg;
	int64		va = d->ivals[*(const uint32 *) a];
	int64		vb = d->ivals[*(const uint32 *) b];

	return (va > vb) - (va < vb);
}

static int
cmp_bytes_ids(const void *a, const void *b, void *arg)
{
	const Dict *d = (const Dict *) arg;
	uint32		ia = *(const uint32 *) a;
	uint32		ib = *(const uint32 *) b;
	uint32		la = d->blen[ia];
	uint32		lb = d->blen[ib];
	int			c = memcmp(d->bytes + d->boff[ia], d->bytes + d->boff[ib], Min(la, lb));

	if (c != 0)
		return c;
	return (la > lb) - (la < lb);
}

void
dict_ranks(const Dict *d, uint32 *rank)
{
	uint32	   *order;
	uint32		i;

	if (d->n == 0)
		return;
	order = palloc_extended(sizeof(uint32) * d->n, MCXT_ALLOC_HUGE);
	for (i = 0; i < d->n; i++)
		order[i] = i;
	qsort_arg(order, d->n, sizeof(uint32),
			  d->kind == DICT_INT ? cmp_int_ids : cmp_bytes_ids, (void *) d);
	for (i = 0; i < d->n; i++)
		rank[order[i]] = i;
	pfree(order);
}

Size
dict_memory(const Dict *d)
{
	Size		per = sizeof(uint32) + (d->kind == DICT_INT ? sizeof(int64) : sizeof(uint64) + sizeof(uint32));

	return (Size) d->cap * per + (d->slots ? (Size) (d->mask + 1) * sizeof(uint32) : 0) +
		d->bytes_cap + (Size) d->direct_cap * sizeof(uint32);
}
