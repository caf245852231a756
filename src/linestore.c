/*
 * linestore.c
 *	  Order lines in memory and the population-level feature kernels (see
 *	  linestore.h): grouping, de-duplication, customer x product features with
 *	  the association-rule feature, per-period sequences, time-based split.
 *
 * The rule feature mines the purchase baskets before the as-of time with the
 * foundation's kernels (baskets.h, miner.h, rulegen.h), so the rules
 * themselves are leak-free.  All data-dependent memory goes through the
 * store's budget.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "assoc.h"
#include "baskets.h"
#include "linestore.h"
#include "measures.h"
#include "miner.h"
#include "rulegen.h"

/* ---------- the store ---------- */

void
lines_init(LineStore *ls, DictKind cust_kind, DictKind order_kind, DictKind item_kind,
		   int64 as_of, int64 until, MemBudget *budget)
{
	memset(ls, 0, sizeof(LineStore));
	ls->budget = budget;
	dict_init(&ls->customers, cust_kind, budget);
	dict_init(&ls->orders, order_kind, budget);
	dict_init(&ls->items, item_kind, budget);
	ls->as_of = as_of;
	ls->until = until;
}

#define GROW(field, type) \
	ls->field = budget_realloc(ls->budget, ls->field, budget_mul(ls->cap, sizeof(type)), \
							   budget_mul(newcap, sizeof(type)))

void
lines_add(LineStore *ls, uint32 cust, uint32 order, uint32 item, int64 ts,
		  double qty, double price, LineEvent ev)
{
	Size		i = ls->n;

	if (ls->n >= ls->cap)
	{
		Size		newcap = ls->cap == 0 ? 4096 : ls->cap * 2;

		GROW(cust, uint32);
		GROW(order, uint32);
		GROW(item, uint32);
		GROW(ts, int64);
		GROW(qty, double);
		GROW(price, double);
		GROW(event, uint8);
		ls->cap = newcap;
	}
	ls->cust[i] = cust;
	ls->order[i] = order;
	ls->item[i] = item;
	ls->ts[i] = ts;
	ls->qty[i] = qty;
	ls->price[i] = price;
	ls->event[i] = (uint8) ev;
	ls->n++;
}

/* Three-way comparison of doubles where NaN equals NaN (NULL markers). */
static inline int
cmp_d(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) - isnan(b);
	return (a > b) - (a < b);
}

#define CMP(a, b) do { if ((a) != (b)) return (a) < (b) ? -1 : 1; } while (0)

static int
cmp_lines(const void *pa, const void *pb, void *arg)
{
	const LineStore *ls = arg;
	Size		a = *(const Size *) pa;
	Size		b = *(const Size *) pb;
	int			c;

	CMP(ls->cust[a], ls->cust[b]);
	CMP(ls->order[a], ls->order[b]);
	CMP(ls->item[a], ls->item[b]);
	CMP(ls->ts[a], ls->ts[b]);
	CMP(ls->event[a], ls->event[b]);
	if ((c = cmp_d(ls->qty[a], ls->qty[b])) != 0)
		return c;
	if ((c = cmp_d(ls->price[a], ls->price[b])) != 0)
		return c;
	CMP(a, b);					/* the first of equal lines sorts first */
	return 0;
}

static bool
same_line(const LineStore *ls, Size a, Size b)
{
	return ls->cust[a] == ls->cust[b] && ls->order[a] == ls->order[b] &&
		ls->item[a] == ls->item[b] && ls->ts[a] == ls->ts[b] &&
		ls->event[a] == ls->event[b] && cmp_d(ls->qty[a], ls->qty[b]) == 0 &&
		cmp_d(ls->price[a], ls->price[b]) == 0;
}

void
lines_dedup(LineStore *ls)
{
	Size		n = ls->n;
	Size	   *perm;
	bool	   *keep;
	Size		i,
				out = 0;

	if (n < 2)
		return;
	perm = budget_alloc(ls->budget, budget_mul(n, sizeof(Size)));
	keep = budget_alloc0(ls->budget, n);
	for (i = 0; i < n; i++)
		perm[i] = i;
	qsort_arg(perm, n, sizeof(Size), cmp_lines, ls);
	CHECK_FOR_INTERRUPTS();
	keep[perm[0]] = true;
	for (i = 1; i < n; i++)
		if (!same_line(ls, perm[i - 1], perm[i]))
			keep[perm[i]] = true;
	for (i = 0; i < n; i++)
	{
		if (!keep[i])
			continue;
		ls->cust[out] = ls->cust[i];
		ls->order[out] = ls->order[i];
		ls->item[out] = ls->item[i];
		ls->ts[out] = ls->ts[i];
		ls->qty[out] = ls->qty[i];
		ls->price[out] = ls->price[i];
		ls->event[out] = ls->event[i];
		out++;
	}
	ls->n = out;
	budget_free(ls->budget, keep, n);
	budget_free(ls->budget, perm, n * sizeof(Size));
}

/* Counting sort of 0..n-1 by key[i] < nkeys. */
static void
group_by(MemBudget *b, const uint32 *key, Size n, uint32 nkeys, uint32 **perm, Size **start)
{
	Size	   *st = budget_alloc0(b, budget_mul((Size) nkeys + 1, sizeof(Size)));
	Size	   *fill = budget_alloc(b, budget_mul((Size) nkeys + 1, sizeof(Size)));
	uint32	   *p = budget_alloc(b, budget_mul(Max(n, 1), sizeof(uint32)));
	Size		i;
	uint32		k;

	if (n > PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many order lines"),
				 errdetail("At most %u lines can be read at once.", PG_UINT32_MAX)));
	for (i = 0; i < n; i++)
		st[key[i] + 1]++;
	for (k = 0; k < nkeys; k++)
		st[k + 1] += st[k];
	memcpy(fill, st, sizeof(Size) * ((Size) nkeys + 1));
	for (i = 0; i < n; i++)
		p[fill[key[i]]++] = (uint32) i;
	budget_free(b, fill, sizeof(Size) * ((Size) nkeys + 1));
	*perm = p;
	*start = st;
}

void
lines_group(const LineStore *ls, bool by_item, uint32 **perm, Size **start)
{
	group_by(ls->budget, by_item ? ls->item : ls->cust, ls->n,
			 by_item ? ls->items.n : ls->customers.n, perm, start);
}

/* Inverse of a rank array: who[rank[i]] = i. */
static uint32 *
by_rank(MemBudget *b, const uint32 *rank, uint32 n)
{
	uint32	   *who = budget_alloc(b, budget_mul(Max(n, 1), sizeof(uint32)));
	uint32		i;

	for (i = 0; i < n; i++)
		who[rank[i]] = i;
	return who;
}

static inline bool
is_bought(const LineStore *ls, Size i)
{
	return ls->event[i] == EVENT_PURCHASE && ls->qty[i] > 0;
}

/* ---------- customer x product ---------- */

typedef struct RuleList
{
	MemBudget  *budget;
	const uint32 *code_item;	/* miner code -> builder item id */
	const int64 *item_value;	/* builder item id -> store item id */
	uint64		ntrans;
	uint32		n;
	uint32		cap;
	Size	   *ante_start;		/* rule r's antecedent: ante[ante_start[r] .. ante_start[r + 1]) */
	uint32	   *ante;			/* store item ids, ascending */
	Size		ante_used;
	Size		ante_cap;
	uint32	   *cons;			/* store item id */
	double	   *conf;
	double	   *lift;
} RuleList;

static int
cmp_u32(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return (x > y) - (x < y);
}

/* generate_rules callback: keep rules with one item in the consequent. */
static void
collect_rule(void *arg, const uint32 *ante, int nante, const uint32 *cons, int ncons,
			 uint32 count_ac, uint32 count_a, uint32 count_c)
{
	RuleList   *rl = arg;
	RuleMeasures m;
	int			k;

	if (ncons != 1)
		return;
	if (rl->n >= rl->cap)
	{
		uint32		newcap = rl->cap == 0 ? 1024 : rl->cap * 2;

		rl->ante_start = budget_realloc(rl->budget, rl->ante_start,
										sizeof(Size) * ((Size) rl->cap + 1),
										sizeof(Size) * ((Size) newcap + 1));
		rl->cons = budget_realloc(rl->budget, rl->cons, sizeof(uint32) * (Size) rl->cap,
								  sizeof(uint32) * (Size) newcap);
		rl->conf = budget_realloc(rl->budget, rl->conf, sizeof(double) * (Size) rl->cap,
								  sizeof(double) * (Size) newcap);
		rl->lift = budget_realloc(rl->budget, rl->lift, sizeof(double) * (Size) rl->cap,
								  sizeof(double) * (Size) newcap);
		if (rl->cap == 0)
			rl->ante_start[0] = 0;
		rl->cap = newcap;
	}
	if (rl->ante_used + nante > rl->ante_cap)
	{
		Size		newcap = Max(rl->ante_cap * 2, 4096);

		rl->ante = budget_realloc(rl->budget, rl->ante, sizeof(uint32) * rl->ante_cap,
								  sizeof(uint32) * newcap);
		rl->ante_cap = newcap;
	}
	for (k = 0; k < nante; k++)
		rl->ante[rl->ante_used + k] = (uint32) rl->item_value[rl->code_item[ante[k]]];
	qsort(rl->ante + rl->ante_used, nante, sizeof(uint32), cmp_u32);
	rl->ante_used += nante;
	rl->ante_start[rl->n + 1] = rl->ante_used;
	rl->cons[rl->n] = (uint32) rl->item_value[rl->code_item[cons[0]]];
	rule_measures(rl->ntrans, count_ac, count_a, count_c, &m);
	rl->conf[rl->n] = m.confidence;
	rl->lift[rl->n] = m.lift;
	rl->n++;
}

/* Baskets of the store: (customer, order) pairs with a bought line before as_of. */
typedef struct PairBaskets
{
	BasketBuilder bb;
	TransDB		db;
	uint32	   *cust;			/* per basket */
	uint32	   *order;
	int64	   *ts;				/* earliest bought line */
} PairBaskets;

static void
build_baskets(const LineStore *ls, PairBaskets *pb)
{
	MemBudget  *b = ls->budget;
	uint32	   *lb = budget_alloc(b, budget_mul(Max(ls->n, 1), sizeof(uint32)));
	uint32		nb;
	Size		i;

	builder_init(&pb->bb, DICT_INT, DICT_INT, b);
	for (i = 0; i < ls->n; i++)
	{
		lb[i] = PG_UINT32_MAX;
		if (!is_bought(ls, i) || ls->ts[i] >= ls->as_of)
			continue;
		lb[i] = builder_basket_int(&pb->bb, ((int64) ls->cust[i] << 32) | ls->order[i]);
		builder_add(&pb->bb, lb[i], builder_item_int(&pb->bb, ls->item[i]));
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	nb = pb->bb.nbaskets;
	pb->cust = budget_alloc(b, budget_mul(Max(nb, 1), sizeof(uint32)));
	pb->order = budget_alloc(b, budget_mul(Max(nb, 1), sizeof(uint32)));
	pb->ts = budget_alloc(b, budget_mul(Max(nb, 1), sizeof(int64)));
	for (i = 0; i < nb; i++)
		pb->ts[i] = PG_INT64_MAX;
	for (i = 0; i < ls->n; i++)
	{
		if (lb[i] == PG_UINT32_MAX)
			continue;
		pb->cust[lb[i]] = ls->cust[i];
		pb->order[lb[i]] = ls->order[i];
		if (ls->ts[i] < pb->ts[lb[i]])
			pb->ts[lb[i]] = ls->ts[i];
	}
	budget_free(b, lb, sizeof(uint32) * Max(ls->n, 1));
	builder_finish(&pb->bb, &pb->db, b);
}

static void
mine_pair_rules(const LineStore *ls, PairBaskets *pb, const PairParams *params, RuleList *rl)
{
	MemBudget  *b = ls->budget;
	MinerParams mp;
	MinerResult res;
	Threshold	t;
	RuleParams	rp;
	uint32	   *rank;

	memset(rl, 0, sizeof(RuleList));
	rl->budget = b;
	rl->ntrans = pb->db.ntrans;
	if (pb->db.ntrans == 0 || params->max_len == 1)
		return;
	threshold_from_double(params->min_support, &t);
	mp.min_count = (uint32) Max(threshold_ceil(&t, pb->db.ntrans), 1);
	mp.max_len = params->max_len;
	mp.pair_table = assoc_pair_table;
	rank = budget_alloc(b, budget_mul(Max(pb->bb.items.n, 1), sizeof(uint32)));
	dict_ranks(&pb->bb.items, rank);
	mine_itemsets(&pb->db, rank, &mp, b, &res);
	budget_free(b, rank, sizeof(uint32) * Max(pb->bb.items.n, 1));

	store_build_index(&res.sets);
	threshold_from_double(params->min_confidence, &rp.min_confidence);
	rp.max_consequent = 1;
	rl->code_item = res.code_item;
	rl->item_value = pb->bb.items.ivals;
	generate_rules(&res.sets, &rp, b, collect_rule, rl);
}

/* Sort the baskets of one customer by time, then order value. */
typedef struct BasketOrder
{
	const PairBaskets *pb;
	const uint32 *order_rank;
} BasketOrder;

static int
cmp_baskets(const void *pa, const void *pb_, void *arg)
{
	const BasketOrder *o = arg;
	uint32		a = *(const uint32 *) pa;
	uint32		b = *(const uint32 *) pb_;

	CMP(o->pb->ts[a], o->pb->ts[b]);
	CMP(o->order_rank[o->pb->order[a]], o->order_rank[o->pb->order[b]]);
	return 0;
}

static int
cmp_by_rank(const void *pa, const void *pb, void *arg)
{
	const uint32 *rank = arg;
	uint32		a = rank[*(const uint32 *) pa];
	uint32		b = rank[*(const uint32 *) pb];

	return (a > b) - (a < b);
}

void
pair_features(const LineStore *ls, const PairParams *params,
			  const uint32 *cust_rank, const uint32 *item_rank,
			  PairEmitFn emit, void *arg, uint64 *nrules)
{
	MemBudget  *b = ls->budget;
	uint32		ni = ls->items.n;
	uint32		nc = ls->customers.n;
	PairBaskets pb;
	RuleList	rl;
	uint32	   *order_rank;
	uint32	   *bperm;
	Size	   *bstart;
	Size	   *rstart;
	uint32	   *rperm;
	uint32	   *cust_by_rank;
	double	   *pop;
	uint32	   *times;
	int64	   *last;
	uint8	   *seen;
	uint8	   *mark;
	double	   *best_conf;
	double	   *best_lift;
	uint32	   *nmatch;
	uint32	   *touched;
	uint32	   *recent;
	uint32		r,
				k,
				ci;

	build_baskets(ls, &pb);
	mine_pair_rules(ls, &pb, params, &rl);
	*nrules = rl.n;

	/* rules grouped by the first (smallest) item of their antecedent */
	{
		uint32	   *first = budget_alloc(b, budget_mul(Max(rl.n, 1), sizeof(uint32)));

		for (r = 0; r < rl.n; r++)
			first[r] = rl.ante[rl.ante_start[r]];
		group_by(b, first, rl.n, ni, &rperm, &rstart);
		budget_free(b, first, sizeof(uint32) * Max(rl.n, 1));
	}

	/* product popularity: share of baskets holding the item */
	pop = budget_alloc0(b, budget_mul(Max(ni, 1), sizeof(double)));
	for (k = 0; k < pb.bb.items.n; k++)
		pop[pb.bb.items.ivals[k]] = (double) pb.db.item_count[k] / (double) pb.db.ntrans;

	/* baskets of each customer, in time order */
	order_rank = budget_alloc(b, budget_mul(Max(ls->orders.n, 1), sizeof(uint32)));
	dict_ranks(&ls->orders, order_rank);
	group_by(b, pb.cust, pb.db.ntrans, nc, &bperm, &bstart);
	{
		BasketOrder bo = {&pb, order_rank};

		for (ci = 0; ci < nc; ci++)
			qsort_arg(bperm + bstart[ci], bstart[ci + 1] - bstart[ci], sizeof(uint32),
					  cmp_baskets, &bo);
	}

	times = budget_alloc0(b, budget_mul(Max(ni, 1), sizeof(uint32)));
	last = budget_alloc0(b, budget_mul(Max(ni, 1), sizeof(int64)));
	seen = budget_alloc0(b, Max(ni, 1));
	mark = budget_alloc0(b, Max(ni, 1));
	best_conf = budget_alloc0(b, budget_mul(Max(ni, 1), sizeof(double)));
	best_lift = budget_alloc0(b, budget_mul(Max(ni, 1), sizeof(double)));
	nmatch = budget_alloc0(b, budget_mul(Max(ni, 1), sizeof(uint32)));
	touched = budget_alloc(b, budget_mul(Max(ni, 1), sizeof(uint32)));
	recent = budget_alloc(b, budget_mul(Max(ni, 1), sizeof(uint32)));
	cust_by_rank = by_rank(b, cust_rank, nc);

	for (r = 0; r < nc; r++)
	{
		uint32		c = cust_by_rank[r];
		Size		first = bstart[c];
		Size		nbask = bstart[c + 1] - first;
		Size		from;
		Size		j;
		uint32		ntouched = 0;
		uint32		nrecent = 0;

		if (nbask == 0)
			continue;
		/* history */
		for (j = first; j < first + nbask; j++)
		{
			uint32		t = bperm[j];
			Size		p;

			for (p = pb.db.offsets[t]; p < pb.db.offsets[t + 1]; p++)
			{
				uint32		it = (uint32) pb.bb.items.ivals[pb.db.items[p]];

				if (!seen[it])
				{
					seen[it] = 1;
					touched[ntouched++] = it;
				}
				times[it]++;
				if (pb.ts[t] > last[it])
					last[it] = pb.ts[t];
			}
		}
		/* items of the recent baskets */
		from = nbask > (Size) params->recent_orders ? first + nbask - params->recent_orders : first;
		for (j = from; j < first + nbask; j++)
		{
			uint32		t = bperm[j];
			Size		p;

			for (p = pb.db.offsets[t]; p < pb.db.offsets[t + 1]; p++)
			{
				uint32		it = (uint32) pb.bb.items.ivals[pb.db.items[p]];

				if (!mark[it])
				{
					mark[it] = 1;
					recent[nrecent++] = it;
				}
			}
		}
		/* rules whose antecedent lies within the recent items */
		for (k = 0; k < nrecent; k++)
		{
			Size		q;

			for (q = rstart[recent[k]]; q < rstart[recent[k] + 1]; q++)
			{
				uint32		rr = rperm[q];
				Size		a;
				bool		fires = true;
				uint32		cons;

				for (a = rl.ante_start[rr] + 1; a < rl.ante_start[rr + 1]; a++)
					if (!mark[rl.ante[a]])
					{
						fires = false;
						break;
					}
				if (!fires)
					continue;
				cons = rl.cons[rr];
				if (!seen[cons])
				{
					seen[cons] = 1;
					touched[ntouched++] = cons;
				}
				if (nmatch[cons] == 0 || rl.conf[rr] > best_conf[cons])
					best_conf[cons] = rl.conf[rr];
				if (nmatch[cons] == 0 || rl.lift[rr] > best_lift[cons])
					best_lift[cons] = rl.lift[rr];
				nmatch[cons]++;
			}
		}

		qsort_arg(touched, ntouched, sizeof(uint32), cmp_by_rank, (void *) item_rank);
		for (k = 0; k < ntouched; k++)
		{
			uint32		it = touched[k];
			double		vec[PAIR_NFEAT];
			bool		isnull[PAIR_NFEAT] = {false, false, false, false, false, false, false};

			vec[0] = times[it];
			if (times[it] > 0)
				vec[1] = ((double) ls->as_of - (double) last[it]) / FEATURES_USECS_PER_DAY;
			else
			{
				vec[1] = 0;
				isnull[1] = true;
			}
			vec[2] = (double) times[it] / (double) nbask;
			vec[3] = pop[it];
			vec[4] = best_conf[it];
			vec[5] = best_lift[it];
			vec[6] = nmatch[it];
			emit(arg, c, it, vec, isnull);
		}

		/* reset the scratch arrays */
		for (k = 0; k < ntouched; k++)
		{
			uint32		it = touched[k];

			seen[it] = 0;
			times[it] = 0;
			last[it] = 0;
			best_conf[it] = best_lift[it] = 0;
			nmatch[it] = 0;
		}
		for (k = 0; k < nrecent; k++)
			mark[recent[k]] = 0;
		CHECK_FOR_INTERRUPTS();
	}
}

/* ---------- per-period sequences ---------- */

typedef struct SeqSort
{
	const LineStore *ls;
	const uint32 *period;		/* per line: period number, periods for label lines */
} SeqSort;

/* lines of one customer by (item, period, order) */
static int
cmp_seq_lines(const void *pa, const void *pb, void *arg)
{
	const SeqSort *s = arg;
	uint32		a = *(const uint32 *) pa;
	uint32		b = *(const uint32 *) pb;

	CMP(s->ls->item[a], s->ls->item[b]);
	CMP(s->period[a], s->period[b]);
	CMP(s->ls->order[a], s->ls->order[b]);
	CMP(a, b);					/* sums follow the lines' order, whatever qsort does */
	return 0;
}

/* lines by (period, order): for distinct orders per period */
static int
cmp_period_order(const void *pa, const void *pb, void *arg)
{
	const SeqSort *s = arg;
	uint32		a = *(const uint32 *) pa;
	uint32		b = *(const uint32 *) pb;

	CMP(s->period[a], s->period[b]);
	CMP(s->ls->order[a], s->ls->order[b]);
	CMP(a, b);
	return 0;
}

/* Count, per period, the distinct orders among the sorted bought lines idx[0..n). */
static void
count_period_orders(const LineStore *ls, const uint32 *period, const uint32 *idx, Size n,
					double *out, int stride)
{
	Size		j;

	for (j = 0; j < n; j++)
	{
		uint32		l = idx[j];

		if (j == 0 || period[l] != period[idx[j - 1]] || ls->order[l] != ls->order[idx[j - 1]])
			out[(Size) period[l] * stride] += 1;
	}
}

void
period_sequences(const LineStore *ls, int periods, int64 period,
				 const uint32 *cust_rank, const uint32 *item_rank,
				 SeqEmitFn emit, void *arg)
{
	MemBudget  *b = ls->budget;
	uint32		ni = ls->items.n;
	uint32		nc = ls->customers.n;
	int64		start = ls->as_of - periods * period;	/* the glue checked for overflow */
	uint32	   *per = budget_alloc(b, budget_mul(Max(ls->n, 1), sizeof(uint32)));
	uint32	   *lcust = budget_alloc(b, budget_mul(Max(ls->n, 1), sizeof(uint32)));
	uint32	   *perm;
	Size	   *cstart;
	double	   *prod_orders;
	double	   *seqbuf;
	double	   *co;
	double	   *cs;
	uint32	   *cand;
	uint32	   *bought;
	uint32	   *cust_by_rank;
	SeqSort		ss = {ls, per};
	Size		stride = (Size) periods * PERIOD_NFEAT;
	Size		i,
				nrel = 0;
	uint32		r;

	/*
	 * Relevant lines: in the window [start, as_of), or label lines in
	 * [as_of, until).  Others get the customer number nc (a group nobody
	 * reads).
	 */
	for (i = 0; i < ls->n; i++)
	{
		lcust[i] = nc;
		if (ls->ts[i] < start)
			continue;
		if (ls->ts[i] < ls->as_of)
			per[i] = (uint32) ((ls->ts[i] - start) / period);
		else if (ls->ts[i] < ls->until && is_bought(ls, i))
			per[i] = (uint32) periods;
		else
			continue;
		lcust[i] = ls->cust[i];
		nrel++;
	}
	group_by(b, lcust, ls->n, nc + 1, &perm, &cstart);

	/* product orders per period, over every customer */
	prod_orders = budget_alloc0(b, budget_mul(budget_mul(Max(ni, 1), periods), sizeof(double)));
	{
		uint32	   *idx = budget_alloc(b, budget_mul(Max(nrel, 1), sizeof(uint32)));
		Size		m = 0,
					j;

		for (j = 0; j < cstart[nc]; j++)
			if (per[perm[j]] < (uint32) periods && is_bought(ls, perm[j]))
				idx[m++] = perm[j];
		qsort_arg(idx, m, sizeof(uint32), cmp_seq_lines, &ss);
		CHECK_FOR_INTERRUPTS();
		for (j = 0; j < m; j++)
		{
			uint32		l = idx[j];

			if (j == 0 || ls->item[l] != ls->item[idx[j - 1]] ||
				per[l] != per[idx[j - 1]] || ls->order[l] != ls->order[idx[j - 1]])
				prod_orders[(Size) ls->item[l] * periods + per[l]] += 1;
		}
		budget_free(b, idx, sizeof(uint32) * Max(nrel, 1));
	}

	seqbuf = budget_alloc(b, budget_mul(stride, sizeof(double)));
	co = budget_alloc(b, budget_mul(periods, sizeof(double)));
	cs = budget_alloc(b, budget_mul(periods, sizeof(double)));
	cand = budget_alloc(b, budget_mul(Max(ni, 1), sizeof(uint32)));
	bought = budget_alloc(b, budget_mul(Max(nrel, 1), sizeof(uint32)));
	cust_by_rank = by_rank(b, cust_rank, nc);

	for (r = 0; r < nc; r++)
	{
		uint32		c = cust_by_rank[r];
		uint32	   *cl = perm + cstart[c];
		Size		n = cstart[c + 1] - cstart[c];
		uint32		ncand = 0;
		uint32		k;
		Size		j,
					m = 0;

		if (n == 0)
			continue;

		/* the customer's orders and spend per period */
		memset(co, 0, sizeof(double) * periods);
		memset(cs, 0, sizeof(double) * periods);
		for (j = 0; j < n; j++)
			if (per[cl[j]] < (uint32) periods && is_bought(ls, cl[j]))
			{
				bought[m++] = cl[j];
				cs[per[cl[j]]] += ls->qty[cl[j]] * ls->price[cl[j]];
			}
		qsort_arg(bought, m, sizeof(uint32), cmp_period_order, &ss);
		count_period_orders(ls, per, bought, m, co, 1);

		/* the customer's lines by item; an item with activity in the window is a candidate */
		qsort_arg(cl, n, sizeof(uint32), cmp_seq_lines, &ss);
		for (j = 0; j < n; j++)
			if ((j == 0 || ls->item[cl[j]] != ls->item[cl[j - 1]]) &&
				per[cl[j]] < (uint32) periods)
				cand[ncand++] = (uint32) j;
		/* candidates in item value order (insertion sort: few per customer) */
		for (k = 1; k < ncand; k++)
		{
			uint32		v = cand[k];
			uint32		x = k;

			while (x > 0 && item_rank[ls->item[cl[cand[x - 1]]]] > item_rank[ls->item[cl[v]]])
			{
				cand[x] = cand[x - 1];
				x--;
			}
			cand[x] = v;
		}

		for (k = 0; k < ncand; k++)
		{
			uint32		item = ls->item[cl[cand[k]]];
			bool		label = false;
			int64		last_per = -1;
			int64		last_order = -1;
			int			p;

			memset(seqbuf, 0, sizeof(double) * stride);
			for (j = cand[k]; j < n && ls->item[cl[j]] == item; j++)
			{
				uint32		l = cl[j];
				double	   *row;

				if (per[l] == (uint32) periods)
				{
					label = true;	/* bought in the period after as_of */
					continue;
				}
				row = seqbuf + (Size) per[l] * PERIOD_NFEAT;
				switch ((LineEvent) ls->event[l])
				{
					case EVENT_PURCHASE:
						if (ls->qty[l] <= 0)
							break;
						row[0] += ls->qty[l];
						row[2] += ls->qty[l] * ls->price[l];
						if (per[l] != last_per || ls->order[l] != last_order)
						{
							row[1] += 1;
							last_per = per[l];
							last_order = ls->order[l];
						}
						break;
					case EVENT_VIEW:
						row[6] += 1;
						break;
					case EVENT_CART:
						row[7] += 1;
						break;
				}
			}
			for (p = 0; p < periods; p++)
			{
				double	   *row = seqbuf + (Size) p * PERIOD_NFEAT;

				row[3] = co[p];
				row[4] = cs[p];
				row[5] = prod_orders[(Size) item * periods + p];
			}
			emit(arg, c, item, seqbuf, label);
		}
		CHECK_FOR_INTERRUPTS();
	}
}

/* ---------- time-based split ---------- */

typedef struct SplitSort
{
	const int64 *ts;
	const uint32 *order;
	const uint32 *order_rank;
} SplitSort;

static int
cmp_split(const void *pa, const void *pb, void *arg)
{
	const SplitSort *s = arg;
	uint32		a = *(const uint32 *) pa;
	uint32		b = *(const uint32 *) pb;

	CMP(s->ts[a], s->ts[b]);
	CMP(s->order_rank[s->order[a]], s->order_rank[s->order[b]]);
	return 0;
}

void
time_split(const LineStore *ls, bool has_cutoff, int64 cutoff,
		   const uint32 *cust_rank, const uint32 *order_rank,
		   SplitEmitFn emit, void *arg)
{
	MemBudget  *b = ls->budget;
	Dict		pairs;
	uint32	   *pcust = NULL;
	uint32	   *porder = NULL;
	int64	   *pts = NULL;
	uint32	   *perm;
	Size	   *start;
	uint32	   *cust_by_rank;
	Size		cap = 0;
	Size		i;
	uint32		r;
	SplitSort	ss;

	/* (customer, order) pairs with the time of their earliest line */
	dict_init(&pairs, DICT_INT, b);
	for (i = 0; i < ls->n; i++)
	{
		uint32		before = pairs.n;
		uint32		p = dict_add_int(&pairs, ((int64) ls->cust[i] << 32) | ls->order[i]);

		if (p >= cap)
		{
			Size		newcap = cap == 0 ? 1024 : cap * 2;

			pcust = budget_realloc(b, pcust, sizeof(uint32) * cap, sizeof(uint32) * newcap);
			porder = budget_realloc(b, porder, sizeof(uint32) * cap, sizeof(uint32) * newcap);
			pts = budget_realloc(b, pts, sizeof(int64) * cap, sizeof(int64) * newcap);
			cap = newcap;
		}
		if (pairs.n != before)
		{
			pcust[p] = ls->cust[i];
			porder[p] = ls->order[i];
			pts[p] = ls->ts[i];
		}
		else if (ls->ts[i] < pts[p])
			pts[p] = ls->ts[i];
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	ss.ts = pts;
	ss.order = porder;
	ss.order_rank = order_rank;
	group_by(b, pcust, pairs.n, ls->customers.n, &perm, &start);
	cust_by_rank = by_rank(b, cust_rank, ls->customers.n);
	for (r = 0; r < ls->customers.n; r++)
	{
		uint32		c = cust_by_rank[r];
		Size		first = start[c];
		Size		n = start[c + 1] - first;
		Size		j;

		qsort_arg(perm + first, n, sizeof(uint32), cmp_split, &ss);
		for (j = 0; j < n; j++)
		{
			uint32		p = perm[first + j];
			bool		test = has_cutoff ? pts[p] >= cutoff : (n >= 2 && j == n - 1);

			emit(arg, c, porder[p], test);
		}
		CHECK_FOR_INTERRUPTS();
	}
}
