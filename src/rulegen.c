/*
 * rulegen.c
 *	  Association rules from frequent itemsets (see rulegen.h).
 *
 * Consequents are handled as ascending arrays of positions within the itemset
 * I; because I is ascending, positions and codes sort alike.  Each level of
 * consequents is kept in lexicographic order, so the join of the next level
 * keeps that order and the prune step can use binary search.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "rulegen.h"

typedef struct RuleWork
{
	const ItemsetStore *sets;
	const RuleParams *params;
	RuleEmitFn	emit;
	void	   *arg;
	uint32		ante[FLEXIBLE_ARRAY_MEMBER];
} RuleWork;

/* Compare two consequents of m positions. */
static inline int
cmp_pos(const uint8 *a, const uint8 *b, int m)
{
	return memcmp(a, b, m);
}

/* Is the consequent (m positions) in level h (nh entries, sorted)? */
static bool
level_contains(const uint8 *h, uint32 nh, int m, const uint8 *c)
{
	uint32		lo = 0,
				hi = nh;

	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;
		int			r = cmp_pos(h + (Size) mid * m, c, m);

		if (r == 0)
			return true;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * Test the rule I \ C => C; on success emit it and return true.
 * cons holds m positions of I (length k).
 */
static bool
try_rule(RuleWork *w, const uint32 *items, int k, uint32 count_i,
		 const uint8 *pos, int m, uint32 *cons)
{
	int			na = 0,
				nc = 0,
				p;
	uint32		count_a,
				count_c;

	for (p = 0; p < k; p++)
	{
		if (nc < m && pos[nc] == p)
			cons[nc++] = items[p];
		else
			w->ante[na++] = items[p];
	}
	count_a = store_find(w->sets, w->ante, na);
	if (count_a == 0)
		elog(ERROR, "antecedent of a frequent itemset is missing from the itemset store");
	if ((uint64) count_i < threshold_ceil(&w->params->min_confidence, count_a))
		return false;
	count_c = store_find(w->sets, cons, m);
	if (count_c == 0)
		elog(ERROR, "consequent of a frequent itemset is missing from the itemset store");
	w->emit(w->arg, w->ante, na, cons, m, count_i, count_a, count_c);
	return true;
}

void
generate_rules(const ItemsetStore *sets, const RuleParams *params,
			   MemBudget *budget, RuleEmitFn emit, void *arg)
{
	int			maxlen = 0;
	uint32		s;
	RuleWork   *w;
	uint32	   *cons;

	for (s = 0; s < sets->n; s++)
		maxlen = Max(maxlen, store_len(sets, s));
	if (maxlen < 2)
		return;
	if (maxlen > 255)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("frequent itemsets of more than 255 items cannot be turned into rules"),
				 errhint("Set max_len.")));

	w = palloc(offsetof(RuleWork, ante) + sizeof(uint32) * maxlen);
	w->sets = sets;
	w->params = params;
	w->emit = emit;
	w->arg = arg;
	cons = palloc(sizeof(uint32) * maxlen);

	for (s = 0; s < sets->n; s++)
	{
		const uint32 *items = store_items(sets, s);
		int			k = store_len(sets, s);
		uint32		count_i = sets->count[s];
		int			maxc = k - 1;
		uint8	   *level;
		uint32		nlevel = 0;
		int			m;
		int			p;
		Size		level_bytes;

		if (k < 2)
			continue;
		CHECK_FOR_INTERRUPTS();
		if (params->max_consequent > 0)
			maxc = Min(maxc, params->max_consequent);

		/* consequents of one item */
		level_bytes = (Size) k;
		level = budget_alloc(budget, level_bytes);
		for (p = 0; p < k; p++)
		{
			uint8		pos = (uint8) p;

			if (try_rule(w, items, k, count_i, &pos, 1, cons))
				level[nlevel++] = pos;
		}

		/* longer consequents by joining the passing ones */
		for (m = 1; m < maxc && nlevel >= 2; m++)
		{
			uint8	   *next;
			uint32		nnext = 0;
			uint32		cap = 16;
			uint32		a,
						b;
			uint8	   *cand = palloc(m + 1);
			uint8	   *sub = palloc(m);

			next = budget_alloc(budget, (Size) cap * (m + 1));
			for (a = 0; a < nlevel; a++)
			{
				const uint8 *ha = level + (Size) a * m;

				for (b = a + 1; b < nlevel; b++)
				{
					const uint8 *hb = level + (Size) b * m;
					bool		ok = true;
					int			d;

					if (memcmp(ha, hb, m - 1) != 0)
						break;	/* sorted: no later b shares the prefix */
					memcpy(cand, ha, m);
					cand[m] = hb[m - 1];

					/* every m-subset must have passed */
					for (d = 0; d < m + 1 - 2 && ok; d++)
					{
						int			q,
									r = 0;

						for (q = 0; q <= m; q++)
							if (q != d)
								sub[r++] = cand[q];
						ok = level_contains(level, nlevel, m, sub);
					}
					if (!ok)
						continue;
					if (try_rule(w, items, k, count_i, cand, m + 1, cons))
					{
						if (nnext == cap)
						{
							next = budget_realloc(budget, next, (Size) cap * (m + 1),
												  (Size) cap * 2 * (m + 1));
							cap *= 2;
						}
						memcpy(next + (Size) nnext * (m + 1), cand, m + 1);
						nnext++;
					}
					CHECK_FOR_INTERRUPTS();
				}
			}
			budget_free(budget, level, level_bytes);
			pfree(cand);
			pfree(sub);
			level = next;
			level_bytes = (Size) cap * (m + 1);
			nlevel = nnext;
		}
		budget_free(budget, level, level_bytes);
	}
	pfree(w);
	pfree(cons);
}
