/*
 * miner.c
 *	  The frequent itemset mining kernel (see miner.h).
 *
 * Plain C over integer arrays: no Datums, no SPI.  It uses palloc (through the
 * budget) and CHECK_FOR_INTERRUPTS, so that memory is bounded and a cancel or
 * statement_timeout stops it promptly.
 *
 * Outline
 *	1. Frequent items get dense codes in order of ascending count.
 *	2. Each basket is rewritten as the ascending array of its frequent codes
 *	   (horizontal layout), and each code gets the ascending list of baskets
 *	   that hold it (vertical layout).
 *	3. For each code i, the items j > i that occur with it are counted by
 *	   walking the baskets of i (occurrence delivery); no pair table is needed,
 *	   so memory stays linear in the data even with many frequent items.
 *	4. The frequent pairs {i, j} start an Eclat search: the transaction-id set
 *	   of an itemset is the intersection of the sets of two of its subsets.  A
 *	   set is a sorted list of basket numbers, or a bit set when that is
 *	   smaller (at least one basket in 32); intersections stop early once the
 *	   count can no longer reach min_count.
 * All working sets live on a stack arena released as the search backtracks.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "port/pg_bitutils.h"

#include "miner.h"
#include "sortutil.h"

/* ---------- a stack arena ---------- */

typedef struct ArenaChunk
{
	struct ArenaChunk *prev;
	Size		size;			/* usable bytes */
	Size		used;
} ArenaChunk;

#define CHUNK_HDR MAXALIGN(sizeof(ArenaChunk))
#define CHUNK_DATA(c) ((char *) (c) + CHUNK_HDR)
#define ARENA_CHUNK_MIN ((Size) 1024 * 1024)

typedef struct Arena
{
	ArenaChunk *top;
	ArenaChunk *spare;			/* one released chunk kept for reuse */
	MemBudget  *budget;
} Arena;

typedef struct ArenaMark
{
	ArenaChunk *chunk;
	Size		used;
} ArenaMark;

static void *
arena_alloc(Arena *a, Size size)
{
	void	   *p;

	size = MAXALIGN(size);
	if (a->top == NULL || a->top->size - a->top->used < size)
	{
		ArenaChunk *c;

		if (a->spare != NULL && a->spare->size >= size)
		{
			c = a->spare;
			a->spare = NULL;
		}
		else
		{
			Size		csize = Max(ARENA_CHUNK_MIN, size);

			c = budget_alloc(a->budget, CHUNK_HDR + csize);
			c->size = csize;
		}
		c->used = 0;
		c->prev = a->top;
		a->top = c;
	}
	p = CHUNK_DATA(a->top) + a->top->used;
	a->top->used += size;
	return p;
}

/* Shrink the most recent allocation p from oldsize to newsize bytes. */
static void
arena_trim(Arena *a, void *p, Size oldsize, Size newsize)
{
	Assert((char *) p + MAXALIGN(oldsize) == CHUNK_DATA(a->top) + a->top->used);
	a->top->used -= MAXALIGN(oldsize) - MAXALIGN(newsize);
}

static ArenaMark
arena_mark(Arena *a)
{
	ArenaMark	m;

	m.chunk = a->top;
	m.used = a->top ? a->top->used : 0;
	return m;
}

static void
arena_release(Arena *a, ArenaMark m)
{
	while (a->top != m.chunk)
	{
		ArenaChunk *c = a->top;

		a->top = c->prev;
		if (a->spare == NULL)
			a->spare = c;
		else if (c->size > a->spare->size)
		{
			budget_free(a->budget, a->spare, CHUNK_HDR + a->spare->size);
			a->spare = c;
		}
		else
			budget_free(a->budget, c, CHUNK_HDR + c->size);
	}
	if (a->top)
		a->top->used = m.used;
}

/* ---------- transaction-id sets ---------- */

typedef struct TidSet
{
	uint32		count;			/* number of baskets */
	bool		bits;			/* bit set of nwords words, else list of count ids */
	void	   *data;
} TidSet;

typedef struct Member
{
	uint32		code;			/* last item of the itemset */
	TidSet		t;
} Member;

typedef struct Miner
{
	MemBudget  *budget;
	Arena		arena;
	uint32		ntrans;
	uint32		nwords;			/* words of a bit set */
	uint32		min_count;
	int			max_len;
	bool		pair_table;
	uint32		nfreq;
	Size	   *hoff;			/* horizontal layout: codes of basket t */
	uint32	   *hcodes;
	Size	   *voff;			/* vertical layout: baskets of code c */
	uint32	   *vtids;
	Size	   *vpos;			/* position of code c in basket vtids[k]'s codes */
	uint32	   *tri;			/* pair counts (upper triangle), or NULL */
	Size	   *trirow;			/* tri[trirow[a] + b] counts {a, b}, a < b */
	uint32	   *scratch_cnt;	/* per code, zero between uses */
	uint32	   *scratch_codes;	/* codes touched */
	uint64	   *scratch_words;	/* one bit set */
	uint32	   *prefix;			/* the itemset being extended */
	ItemsetStore *out;
	uint32		(*popcount_and) (const uint64 *a, const uint64 *b, uint64 *out, uint32 nwords);
} Miner;

static uint32
popcount_and_generic(const uint64 *a, const uint64 *b, uint64 *out, uint32 nwords)
{
	uint32		c = 0;
	uint32		w;

	for (w = 0; w < nwords; w++)
	{
		uint64		x = a[w] & b[w];

		out[w] = x;
		c += pg_popcount64(x);
	}
	return c;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_POPCNT_TARGET 1
__attribute__((target("popcnt")))
static uint32
popcount_and_popcnt(const uint64 *a, const uint64 *b, uint64 *out, uint32 nwords)
{
	uint32		c = 0;
	uint32		w;

	for (w = 0; w < nwords; w++)
	{
		uint64		x = a[w] & b[w];

		out[w] = x;
		c += (uint32) __builtin_popcountll(x);
	}
	return c;
}
#endif

/*
 * Sorted list intersection.  Writes the common ids to out (if not NULL) and
 * returns their number, or returns early with a number below min_count once
 * min_count can no longer be reached.
 */
static uint32
isect_list_list(const uint32 *a, uint32 na, const uint32 *b, uint32 nb,
				uint32 *out, uint32 min_count)
{
	int64		slack_a,
				slack_b;
	uint32		i = 0,
				j = 0,
				c = 0;

	if (na > nb)
	{
		const uint32 *tp = a;
		uint32		tn = na;

		a = b;
		na = nb;
		b = tp;
		nb = tn;
	}
	slack_a = (int64) na - min_count;
	slack_b = (int64) nb - min_count;
	if (slack_a < 0)
		return 0;

	if ((uint64) na * 32 < nb)
	{
		/* galloping: for each id of the short list, search ahead in the long one */
		for (i = 0; i < na; i++)
		{
			uint32		x = a[i];
			uint32		step = 1;
			uint32		lo = j,
						hi;

			while (lo + step < nb && b[lo + step] < x)
			{
				lo += step;
				step *= 2;
			}
			hi = Min(lo + step, nb);
			/* first position in [lo, hi) with b[pos] >= x */
			while (lo < hi)
			{
				uint32		mid = lo + (hi - lo) / 2;

				if (b[mid] < x)
					lo = mid + 1;
				else
					hi = mid;
			}
			j = lo;
			if (j < nb && b[j] == x)
			{
				if (out)
					out[c] = x;
				c++;
				j++;
			}
			else if (--slack_a < 0)
				return c;
			if (j >= nb)
				break;
		}
		return c;
	}

	while (i < na && j < nb)
	{
		uint32		x = a[i];
		uint32		y = b[j];

		if (x == y)
		{
			if (out)
				out[c] = x;
			c++;
			i++;
			j++;
		}
		else if (x < y)
		{
			i++;
			if (--slack_a < 0)
				return c;
		}
		else
		{
			j++;
			if (--slack_b < 0)
				return c;
		}
	}
	return c;
}

/* List against bit set; same contract as isect_list_list. */
static uint32
isect_list_bits(const uint32 *a, uint32 na, const uint64 *w, uint32 *out, uint32 min_count)
{
	int64		slack = (int64) na - min_count;
	uint32		c = 0;
	uint32		i;

	if (slack < 0)
		return 0;
	for (i = 0; i < na; i++)
	{
		uint32		t = a[i];

		if ((w[t >> 6] >> (t & 63)) & 1)
		{
			if (out)
				out[c] = t;
			c++;
		}
		else if (--slack < 0)
			return c;
	}
	return c;
}

/* Do sets of this count live as bit sets? */
static inline bool
dense_count(const Miner *m, uint32 count)
{
	return (uint64) count * 32 >= m->ntrans;
}

/*
 * Intersect a and b.  With res == NULL only the count is computed.  With res,
 * the set is materialised on the arena when it is frequent (and nothing is
 * left on the arena when it is not).
 */
static uint32
intersect(Miner *m, const TidSet *a, const TidSet *b, TidSet *res)
{
	uint32		c;

	CHECK_FOR_INTERRUPTS();

	if (a->bits && b->bits)
	{
		c = m->popcount_and(a->data, b->data, m->scratch_words, m->nwords);
		if (res == NULL || c < m->min_count)
			return c;
		res->count = c;
		if (dense_count(m, c))
		{
			res->bits = true;
			res->data = arena_alloc(&m->arena, sizeof(uint64) * m->nwords);
			memcpy(res->data, m->scratch_words, sizeof(uint64) * m->nwords);
		}
		else
		{
			uint32	   *tids = arena_alloc(&m->arena, sizeof(uint32) * (Size) c);
			uint32		k = 0;
			uint32		w;

			for (w = 0; w < m->nwords; w++)
			{
				uint64		x = m->scratch_words[w];

				while (x)
				{
					tids[k++] = (w << 6) + pg_rightmost_one_pos64(x);
					x &= x - 1;
				}
			}
			Assert(k == c);
			res->bits = false;
			res->data = tids;
		}
		return c;
	}
	else
	{
		const TidSet *l = a->bits ? b : a;	/* a list */
		const TidSet *o = a->bits ? a : b;	/* the other: list or bits */
		Size		cap = Min(l->count, o->count);
		uint32	   *buf = NULL;

		if (res != NULL)
			buf = arena_alloc(&m->arena, sizeof(uint32) * cap);
		if (o->bits)
			c = isect_list_bits(l->data, l->count, o->data, buf, m->min_count);
		else
			c = isect_list_list(l->data, l->count, o->data, o->count, buf, m->min_count);
		if (res == NULL)
			return c;
		if (c < m->min_count)
		{
			arena_trim(&m->arena, buf, sizeof(uint32) * cap, 0);
			return c;
		}
		arena_trim(&m->arena, buf, sizeof(uint32) * cap, sizeof(uint32) * (Size) c);
		res->count = c;
		res->bits = false;
		res->data = buf;
		return c;
	}
}

static inline void
emit(Miner *m, int len, uint32 count)
{
	store_add(m->out, m->prefix, len, count);
}

/*
 * Eclat over one equivalence class: the members share the prefix
 * prefix[0 .. depth-2] and each adds its own code; so each member is an
 * itemset of depth items.  Members are in ascending code order.
 */
static void
mine_class(Miner *m, int depth, Member *mem, uint32 n)
{
	uint32		i;

	check_stack_depth();

	for (i = 0; i < n; i++)
	{
		bool		last_level;
		ArenaMark	mark;
		Member	   *child;
		uint32		nc = 0;
		uint32		j;

		m->prefix[depth - 1] = mem[i].code;
		emit(m, depth, mem[i].t.count);

		if (i + 1 == n || (m->max_len > 0 && depth >= m->max_len))
			continue;
		last_level = (m->max_len > 0 && depth + 1 == m->max_len);

		if (last_level)
		{
			for (j = i + 1; j < n; j++)
			{
				uint32		c = intersect(m, &mem[i].t, &mem[j].t, NULL);

				if (c >= m->min_count)
				{
					m->prefix[depth] = mem[j].code;
					emit(m, depth + 1, c);
				}
			}
			continue;
		}

		mark = arena_mark(&m->arena);
		child = arena_alloc(&m->arena, sizeof(Member) * (Size) (n - i - 1));
		for (j = i + 1; j < n; j++)
		{
			if (intersect(m, &mem[i].t, &mem[j].t, &child[nc].t) >= m->min_count)
			{
				child[nc].code = mem[j].code;
				nc++;
			}
		}
		if (nc > 0)
			mine_class(m, depth + 1, child, nc);
		arena_release(&m->arena, mark);
	}
}

/*
 * Count every pair of codes in one sequential pass over the baskets, into a
 * triangular table, when the table is small enough (it is F^2/2 counters).
 * Walking the baskets in order is much friendlier to the cache than
 * gathering, for each code, the baskets that hold it.
 */
static void
count_pairs(Miner *m)
{
	Size		F = m->nfreq;
	Size		cells = F * (F - 1) / 2;
	Size		bytes = cells * sizeof(uint32);
	Size		a;
	uint32		t;

	if (!m->pair_table || F < 2 || bytes > (Size) 64 * 1024 * 1024 || bytes > (m->budget->limit - m->budget->used) / 4)
		return;
	m->tri = budget_alloc0(m->budget, bytes);
	m->trirow = budget_alloc(m->budget, sizeof(Size) * F);
	for (a = 0; a < F; a++)
		m->trirow[a] = a * F - a * (a + 1) / 2 - a - 1;
	for (t = 0; t < m->ntrans; t++)
	{
		Size		p;
		Size		end = m->hoff[t + 1];

		for (p = m->hoff[t]; p < end; p++)
		{
			uint32	   *row = m->tri + m->trirow[m->hcodes[p]];
			Size		q;

			for (q = p + 1; q < end; q++)
				row[m->hcodes[q]]++;
		}
		if ((t & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/*
 * The top level: for each code i (ascending), count its co-occurring codes
 * j > i over the baskets of i, then mine the class of its frequent pairs.
 */
static void
mine_top(Miner *m)
{
	uint32	   *cnt = m->scratch_cnt;
	uint32	   *touched = m->scratch_codes;
	uint32		i;

	for (i = 0; i < m->nfreq; i++)
	{
		const uint32 *tids = m->vtids + m->voff[i];
		uint32		ntids = (uint32) (m->voff[i + 1] - m->voff[i]);
		uint32		ntouched = 0;
		uint32		nchild = 0;
		uint32		k;
		ArenaMark	mark;
		Member	   *child;

		CHECK_FOR_INTERRUPTS();
		m->prefix[0] = i;
		emit(m, 1, ntids);
		if (m->max_len == 1)
			continue;

		/* pass 1: count the codes after i in the baskets of i */
		if (m->tri != NULL)
		{
			/* counted already, in one pass over the baskets (count_pairs) */
			const uint32 *row = m->tri + m->trirow[i];
			uint32		j;

			for (j = i + 1; j < m->nfreq; j++)
			{
				cnt[j] = row[j];
				touched[ntouched] = j;
				ntouched += (row[j] != 0);
			}
		}
		else
		for (k = 0; k < ntids; k++)
		{
			Size		p = m->vpos[m->voff[i] + k] + 1;
			Size		end = m->hoff[tids[k] + 1];

			for (; p < end; p++)
			{
				uint32		j = m->hcodes[p];

				/* branch-free: note j as touched when its count was zero */
				touched[ntouched] = j;
				ntouched += (cnt[j]++ == 0);
			}
			if ((k & 0x3FF) == 0)
				CHECK_FOR_INTERRUPTS();
		}

		/* the frequent ones, in code order */
		for (k = 0; k < ntouched; k++)
		{
			uint32		j = touched[k];

			if (cnt[j] >= m->min_count)
				touched[nchild++] = j;
			else
				cnt[j] = 0;
		}
		if (nchild == 0)
			continue;
		qsort(touched, nchild, sizeof(uint32), cmp_uint32);

		if (m->max_len == 2 || nchild == 1)
		{
			for (k = 0; k < nchild; k++)
			{
				m->prefix[1] = touched[k];
				emit(m, 2, cnt[touched[k]]);
				cnt[touched[k]] = 0;
			}
			continue;
		}

		/* pass 2: materialise the sets of the frequent pairs */
		mark = arena_mark(&m->arena);
		child = arena_alloc(&m->arena, sizeof(Member) * (Size) nchild);
		for (k = 0; k < nchild; k++)
		{
			uint32		j = touched[k];
			uint32		c = cnt[j];

			child[k].code = j;
			child[k].t.count = 0;	/* filled below */
			child[k].t.bits = dense_count(m, c);
			if (child[k].t.bits)
			{
				child[k].t.data = arena_alloc(&m->arena, sizeof(uint64) * m->nwords);
				memset(child[k].t.data, 0, sizeof(uint64) * m->nwords);
			}
			else
				child[k].t.data = arena_alloc(&m->arena, sizeof(uint32) * (Size) c);
			cnt[j] = k + 1;		/* now: code -> child number + 1 */
		}
		for (k = 0; k < ntids; k++)
		{
			uint32		t = tids[k];
			Size		p = m->vpos[m->voff[i] + k] + 1;
			Size		end = m->hoff[t + 1];

			for (; p < end; p++)
			{
				uint32		ci = cnt[m->hcodes[p]];

				if (ci != 0)
				{
					TidSet	   *ts = &child[ci - 1].t;

					if (ts->bits)
						((uint64 *) ts->data)[t >> 6] |= UINT64CONST(1) << (t & 63);
					else
						((uint32 *) ts->data)[ts->count] = t;
					ts->count++;
				}
			}
			if ((k & 0x3FF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		for (k = 0; k < nchild; k++)
			cnt[touched[k]] = 0;

		mine_class(m, 2, child, nchild);
		arena_release(&m->arena, mark);
	}
}

/* ---------- set-up ---------- */

typedef struct RecodeKey
{
	uint32		count;
	uint32		rank;
	uint32		item;
} RecodeKey;

static int
cmp_recode(const void *a, const void *b)
{
	const RecodeKey *x = a;
	const RecodeKey *y = b;

	if (x->count != y->count)
		return x->count < y->count ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return 0;
}

void
mine_itemsets(const TransDB *db, const uint32 *item_rank,
			  const MinerParams *params, MemBudget *budget, MinerResult *result)
{
	Miner		m;
	RecodeKey  *keys;
	int64	   *item_code;
	uint32		nfreq = 0;
	uint32		i,
				t;
	Size		nocc = 0;
	Size	   *vfill;

	Assert(params->min_count >= 1);

	memset(&m, 0, sizeof(Miner));
	m.budget = budget;
	m.arena.budget = budget;
	m.ntrans = db->ntrans;
	m.nwords = (db->ntrans + 63) / 64;
	m.min_count = params->min_count;
	m.max_len = params->max_len;
	m.pair_table = params->pair_table;
	m.popcount_and = popcount_and_generic;
#ifdef HAVE_POPCNT_TARGET
	__builtin_cpu_init();
	if (__builtin_cpu_supports("popcnt"))
		m.popcount_and = popcount_and_popcnt;
#endif

	store_init(&result->sets, budget);
	m.out = &result->sets;

	/* 1. frequent items, coded by ascending count, ties by value order */
	keys = budget_alloc(budget, budget_mul(Max(db->nitems, 1), sizeof(RecodeKey)));
	for (i = 0; i < db->nitems; i++)
	{
		if (db->item_count[i] >= m.min_count)
		{
			keys[nfreq].count = db->item_count[i];
			keys[nfreq].rank = item_rank[i];
			keys[nfreq].item = i;
			nfreq++;
		}
	}
	qsort(keys, nfreq, sizeof(RecodeKey), cmp_recode);
	result->nfreq = nfreq;
	result->code_item = budget_alloc(budget, budget_mul(Max(nfreq, 1), sizeof(uint32)));
	item_code = budget_alloc(budget, budget_mul(Max(db->nitems, 1), sizeof(int64)));
	for (i = 0; i < db->nitems; i++)
		item_code[i] = -1;
	for (i = 0; i < nfreq; i++)
	{
		result->code_item[i] = keys[i].item;
		item_code[keys[i].item] = i;
		nocc += keys[i].count;
	}
	budget_free(budget, keys, sizeof(RecodeKey) * Max(db->nitems, 1));
	m.nfreq = nfreq;
	if (nfreq == 0)
		return;
	if (m.max_len == 1)
	{
		/* singletons only: no layouts needed */
		for (i = 0; i < nfreq; i++)
			store_add(&result->sets, &i, 1, db->item_count[result->code_item[i]]);
		budget_free(budget, item_code, sizeof(int64) * Max(db->nitems, 1));
		return;
	}

	/* 2. horizontal and vertical layouts over codes */
	m.hoff = budget_alloc(budget, budget_mul((Size) db->ntrans + 1, sizeof(Size)));
	m.hcodes = budget_alloc(budget, budget_mul(Max(nocc, 1), sizeof(uint32)));
	m.voff = budget_alloc0(budget, budget_mul((Size) nfreq + 1, sizeof(Size)));
	m.vtids = budget_alloc(budget, budget_mul(Max(nocc, 1), sizeof(uint32)));
	m.vpos = budget_alloc(budget, budget_mul(Max(nocc, 1), sizeof(Size)));
	{
		Size		h = 0;

		for (t = 0; t < db->ntrans; t++)
		{
			Size		k;
			Size		begin = h;

			m.hoff[t] = h;
			for (k = db->offsets[t]; k < db->offsets[t + 1]; k++)
			{
				int64		c = item_code[db->items[k]];

				if (c >= 0)
				{
					/* insertion into the sorted tail keeps codes ascending */
					Size		p = h;

					while (p > begin && m.hcodes[p - 1] > (uint32) c)
					{
						m.hcodes[p] = m.hcodes[p - 1];
						p--;
					}
					m.hcodes[p] = (uint32) c;
					h++;
					m.voff[c + 1]++;
				}
			}
			if ((t & 0xFFFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		m.hoff[db->ntrans] = h;
		Assert(h == nocc);
	}
	budget_free(budget, item_code, sizeof(int64) * Max(db->nitems, 1));
	for (i = 0; i < nfreq; i++)
		m.voff[i + 1] += m.voff[i];
	vfill = budget_alloc(budget, budget_mul((Size) nfreq, sizeof(Size)));
	memcpy(vfill, m.voff, sizeof(Size) * nfreq);
	for (t = 0; t < db->ntrans; t++)
	{
		Size		k;

		for (k = m.hoff[t]; k < m.hoff[t + 1]; k++)
		{
			Size		v = vfill[m.hcodes[k]]++;

			m.vtids[v] = t;
			m.vpos[v] = k;
		}
	}
	budget_free(budget, vfill, sizeof(Size) * nfreq);

	m.scratch_cnt = budget_alloc0(budget, sizeof(uint32) * (Size) nfreq);
	m.scratch_codes = budget_alloc(budget, sizeof(uint32) * (Size) nfreq);
	m.scratch_words = budget_alloc(budget, sizeof(uint64) * Max(m.nwords, 1));
	m.prefix = budget_alloc(budget, sizeof(uint32) * ((Size) nfreq + 1));

	/* 3 and 4 */
	count_pairs(&m);
	mine_top(&m);
	if (m.tri)
	{
		budget_free(budget, m.tri, sizeof(uint32) * ((Size) nfreq * (nfreq - 1) / 2));
		budget_free(budget, m.trirow, sizeof(Size) * nfreq);
	}

	/* give the working memory back for what comes next (rules, output) */
	arena_release(&m.arena, (ArenaMark) {NULL, 0});
	if (m.arena.spare)
		budget_free(budget, m.arena.spare, CHUNK_HDR + m.arena.spare->size);
	budget_free(budget, m.hoff, sizeof(Size) * ((Size) db->ntrans + 1));
	budget_free(budget, m.hcodes, sizeof(uint32) * Max(nocc, 1));
	budget_free(budget, m.voff, sizeof(Size) * ((Size) nfreq + 1));
	budget_free(budget, m.vtids, sizeof(uint32) * Max(nocc, 1));
	budget_free(budget, m.vpos, sizeof(Size) * Max(nocc, 1));
	budget_free(budget, m.scratch_cnt, sizeof(uint32) * (Size) nfreq);
	budget_free(budget, m.scratch_codes, sizeof(uint32) * (Size) nfreq);
	budget_free(budget, m.scratch_words, sizeof(uint64) * Max(m.nwords, 1));
	budget_free(budget, m.prefix, sizeof(uint32) * ((Size) nfreq + 1));
}
