/*
 * cartindex.c
 *	  The rules model: writing and checking its body, the antecedent trie,
 *	  and the cart lookup (see cartindex.h).
 *
 * The trie has one node per distinct antecedent prefix; because rules are
 * stored in lexicographic order of their antecedents, it is built in one
 * pass with a stack holding the current path, and each node's rules are one
 * contiguous range.  A cart lookup walks only the nodes whose itemset is
 * contained in the cart: each such node is reached once, by matching its
 * children against the cart items after the last one used.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "cartindex.h"
#include "measures.h"
#include "topk.h"

/* Order of (antecedent, consequent): element-wise, a prefix first. */
static int
rule_cmp(const uint32 *a, int la, uint32 ca, const uint32 *b, int lb, uint32 cb)
{
	int			i;

	for (i = 0; i < la && i < lb; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	if (la != lb)
		return la < lb ? -1 : 1;
	if (ca != cb)
		return ca < cb ? -1 : 1;
	return 0;
}

static int
rule_index_cmp(const void *x, const void *y, void *arg)
{
	const RulesBuild *rb = arg;
	uint32		r = *(const uint32 *) x;
	uint32		s = *(const uint32 *) y;

	return rule_cmp(rb->ante + rb->ante_start[r], (int) (rb->ante_start[r + 1] - rb->ante_start[r]),
					rb->cons[r],
					rb->ante + rb->ante_start[s], (int) (rb->ante_start[s + 1] - rb->ante_start[s]),
					rb->cons[s]);
}

void
rules_write(ModelWriter *w, RulesBuild *rb)
{
	uint32	   *order = palloc_extended(sizeof(uint32) * Max(rb->nrules, 1), MCXT_ALLOC_HUGE);
	uint32		i;

	for (i = 0; i < rb->nrules; i++)
		order[i] = i;
	qsort_arg(order, rb->nrules, sizeof(uint32), rule_index_cmp, rb);

	model_put_u64(w, rb->nbaskets);
	model_put_u32(w, rb->nitems);
	for (i = 0; i < rb->nitems; i++)
	{
		model_put_bytes(w, rb->label[i], rb->label_len[i]);
		model_put_u32(w, rb->item_count[i]);
	}
	model_put_u32(w, rb->nrules);
	for (i = 0; i < rb->nrules; i++)
	{
		uint32		r = order[i];
		Size		len = rb->ante_start[r + 1] - rb->ante_start[r];

		Assert(len >= 1 && len <= 255);
		model_put_u8(w, (uint8) len);
		model_put_u32_array(w, rb->ante + rb->ante_start[r], len);
		model_put_u32(w, rb->cons[r]);
		model_put_u32(w, rb->count_ac[r]);
		model_put_u32(w, rb->count_a[r]);
		if ((i & 0xFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	pfree(order);
}

/* Byte order of labels, a shorter label first on a common prefix. */
static int
label_cmp(const char *a, uint32 la, const char *b, uint32 lb)
{
	int			c = memcmp(a, b, Min(la, lb));

	if (c != 0)
		return c;
	return (la > lb) - (la < lb);
}

int64
cart_find_item(const CartIndex *ix, const char *p, uint32 len)
{
	uint32		lo = 0,
				hi = ix->nitems;

	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;
		int			c = label_cmp(ix->labels + ix->label_off[mid], ix->label_len[mid], p, len);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int
by_count_cmp(const void *x, const void *y, void *arg)
{
	const uint32 *count = arg;
	uint32		a = *(const uint32 *) x;
	uint32		b = *(const uint32 *) y;

	if (count[a] != count[b])
		return count[a] > count[b] ? -1 : 1;
	return (a > b) - (a < b);
}

/* Read the items; labels are copied into one arena. */
static void
decode_items(CartIndex *ix, ModelReader *r)
{
	Size		arena = (Size) (r->end - r->p);
	Size		used = 0;
	char	   *labels;
	uint32		i;

	ix->nbaskets = model_get_u64(r);
	if (ix->nbaskets == 0 || ix->nbaskets > PG_UINT32_MAX)
		model_corrupted("The number of baskets is out of range.");
	ix->nitems = model_get_u32(r);
	model_need(r, ix->nitems, 8);
	labels = palloc_extended(Max(arena, 1), MCXT_ALLOC_HUGE);
	ix->label_off = palloc_extended(sizeof(Size) * Max(ix->nitems, 1), MCXT_ALLOC_HUGE);
	ix->label_len = palloc_extended(sizeof(uint32) * Max(ix->nitems, 1), MCXT_ALLOC_HUGE);
	ix->item_count = palloc_extended(sizeof(uint32) * Max(ix->nitems, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < ix->nitems; i++)
	{
		uint32		len;
		const char *p = model_get_bytes(r, &len);

		memcpy(labels + used, p, len);
		ix->label_off[i] = used;
		ix->label_len[i] = len;
		used += len;
		if (i > 0 && label_cmp(labels + ix->label_off[i - 1], ix->label_len[i - 1],
							   labels + used - len, len) >= 0)
			model_corrupted("Item labels are not in ascending order.");
		ix->item_count[i] = model_get_u32(r);
		if (ix->item_count[i] == 0 || ix->item_count[i] > ix->nbaskets)
			model_corrupted("An item count is out of range.");
	}
	ix->labels = repalloc_huge(labels, Max(used, 1));

	ix->by_count = palloc_extended(sizeof(uint32) * Max(ix->nitems, 1), MCXT_ALLOC_HUGE);
	for (i = 0; i < ix->nitems; i++)
		ix->by_count[i] = i;
	qsort_arg(ix->by_count, ix->nitems, sizeof(uint32), by_count_cmp, ix->item_count);
}

/* Read and check the rules. */
static void
decode_rules(CartIndex *ix, ModelReader *r)
{
	Size		cap;
	Size		nante = 0;
	uint32		i;

	ix->nrules = model_get_u32(r);
	/* each rule takes at least 17 bytes; each antecedent item 4 */
	model_need(r, ix->nrules, 17);
	cap = (Size) (r->end - r->p) / 4;
	ix->ante_start = palloc_extended(sizeof(Size) * ((Size) ix->nrules + 1), MCXT_ALLOC_HUGE);
	ix->ante = palloc_extended(sizeof(uint32) * Max(cap, 1), MCXT_ALLOC_HUGE);
	ix->cons = palloc_extended(sizeof(uint32) * Max(ix->nrules, 1), MCXT_ALLOC_HUGE);
	ix->count_ac = palloc_extended(sizeof(uint32) * Max(ix->nrules, 1), MCXT_ALLOC_HUGE);
	ix->count_a = palloc_extended(sizeof(uint32) * Max(ix->nrules, 1), MCXT_ALLOC_HUGE);
	ix->max_ante = 0;

	for (i = 0; i < ix->nrules; i++)
	{
		int			len = model_get_u8(r);
		uint32	   *a = ix->ante + nante;
		uint32		min_count = PG_UINT32_MAX;
		int			j;

		if (len == 0)
			model_corrupted("A rule has an empty antecedent.");
		model_need(r, (Size) len + 3, 4);
		Assert(nante + len <= cap);
		ix->ante_start[i] = nante;
		model_get_u32_array(r, a, len);
		for (j = 0; j < len; j++)
		{
			if (a[j] >= ix->nitems || (j > 0 && a[j] <= a[j - 1]))
				model_corrupted("A rule antecedent is not an ascending list of known items.");
			min_count = Min(min_count, ix->item_count[a[j]]);
		}
		ix->cons[i] = model_get_u32(r);
		ix->count_ac[i] = model_get_u32(r);
		ix->count_a[i] = model_get_u32(r);
		if (ix->cons[i] >= ix->nitems)
			model_corrupted("A rule consequent is not a known item.");
		for (j = 0; j < len; j++)
			if (a[j] == ix->cons[i])
				model_corrupted("A rule consequent is also in its antecedent.");
		if (ix->count_ac[i] == 0 || ix->count_ac[i] > ix->count_a[i] ||
			ix->count_a[i] > min_count || ix->count_ac[i] > ix->item_count[ix->cons[i]])
			model_corrupted("Rule counts are inconsistent.");
		if (i > 0 &&
			rule_cmp(ix->ante + ix->ante_start[i - 1], (int) (nante - ix->ante_start[i - 1]),
					 ix->cons[i - 1], a, len, ix->cons[i]) >= 0)
			model_corrupted("Rules are not in ascending order.");
		nante += len;
		ix->max_ante = Max(ix->max_ante, len);
		if ((i & 0xFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	ix->ante_start[ix->nrules] = nante;
	ix->ante = repalloc_huge(ix->ante, sizeof(uint32) * Max(nante, 1));
}

/* Build the antecedent trie over the sorted rules. */
static void
build_trie(CartIndex *ix)
{
	Size		cap = ix->ante_start[ix->nrules] + 1;
	uint32	   *parent;
	uint32		path[256];
	int			depth = 0;
	uint32		n = 1;
	uint32		i;

	if (cap > PG_UINT32_MAX - 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("rules model has too many antecedent items")));
	ix->node_code = palloc_extended(sizeof(uint32) * cap, MCXT_ALLOC_HUGE);
	ix->rule_lo = palloc_extended(sizeof(uint32) * cap, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	ix->rule_hi = palloc_extended(sizeof(uint32) * cap, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	parent = palloc_extended(sizeof(uint32) * cap, MCXT_ALLOC_HUGE);
	ix->node_code[0] = PG_UINT32_MAX;
	parent[0] = 0;
	path[0] = 0;

	for (i = 0; i < ix->nrules; i++)
	{
		const uint32 *a = ix->ante + ix->ante_start[i];
		int			len = (int) (ix->ante_start[i + 1] - ix->ante_start[i]);
		int			d = 0;
		uint32		node;

		while (d < depth && d < len && ix->node_code[path[d + 1]] == a[d])
			d++;
		depth = d;
		while (depth < len)
		{
			ix->node_code[n] = a[depth];
			parent[n] = path[depth];
			path[++depth] = n++;
		}
		depth = len;
		node = path[len];
		if (ix->rule_lo[node] == ix->rule_hi[node])
			ix->rule_lo[node] = i;
		Assert(ix->rule_hi[node] == 0 || ix->rule_hi[node] == i);
		ix->rule_hi[node] = i + 1;
	}
	ix->nnodes = n;
	ix->node_code = repalloc_huge(ix->node_code, sizeof(uint32) * n);
	ix->rule_lo = repalloc_huge(ix->rule_lo, sizeof(uint32) * n);
	ix->rule_hi = repalloc_huge(ix->rule_hi, sizeof(uint32) * n);

	/* children in creation order, which is ascending code order per parent */
	ix->kid_start = palloc_extended(sizeof(uint32) * ((Size) n + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	ix->kids = palloc_extended(sizeof(uint32) * Max(n, 1), MCXT_ALLOC_HUGE);
	for (i = 1; i < n; i++)
		ix->kid_start[parent[i] + 1]++;
	for (i = 0; i < n; i++)
		ix->kid_start[i + 1] += ix->kid_start[i];
	{
		uint32	   *fill = palloc_extended(sizeof(uint32) * ((Size) n + 1), MCXT_ALLOC_HUGE);

		memcpy(fill, ix->kid_start, sizeof(uint32) * ((Size) n + 1));
		for (i = 1; i < n; i++)
			ix->kids[fill[parent[i]]++] = i;
		pfree(fill);
	}
	pfree(parent);
}

void *
rules_decode(const ModelHeader *h, ModelReader *body)
{
	CartIndex  *ix = palloc0(sizeof(CartIndex));

	decode_items(ix, body);
	decode_rules(ix, body);
	model_end(body);
	if (h->dim1 != ix->nitems || h->dim2 != ix->nrules)
		model_corrupted("The header's dimensions do not match the rules.");
	build_trie(ix);
	return ix;
}

/* ---------- lookup ---------- */

typedef struct CartWalk
{
	const CartIndex *ix;
	const uint32 *cart;
	int			ncart;
	const bool *skip;
	uint32	   *best;			/* per item: 0 none, else rule + 1 */
	uint32	   *touched;		/* items with a rule */
	uint32		ntouched;
	uint32		visits;
} CartWalk;

/* Does rule r beat rule s (same consequent)?  Exact comparison of counts. */
static inline bool
rule_beats(const CartIndex *ix, uint32 r, uint32 s)
{
	uint64		lhs = (uint64) ix->count_ac[r] * ix->count_a[s];
	uint64		rhs = (uint64) ix->count_ac[s] * ix->count_a[r];

	if (lhs != rhs)
		return lhs > rhs;
	return ix->count_ac[r] > ix->count_ac[s];
}

static void
walk(CartWalk *w, uint32 node, int pos)
{
	const CartIndex *ix = w->ix;
	uint32		r;
	uint32		ks = ix->kid_start[node];
	uint32		ke = ix->kid_start[node + 1];
	int			rest = w->ncart - pos;

	if ((++w->visits & 0x3FF) == 0)
		CHECK_FOR_INTERRUPTS();

	for (r = ix->rule_lo[node]; r < ix->rule_hi[node]; r++)
	{
		uint32		item = ix->cons[r];

		if (w->skip[item])
			continue;
		if (w->best[item] == 0)
		{
			w->touched[w->ntouched++] = item;
			w->best[item] = r + 1;
		}
		else if (rule_beats(ix, r, w->best[item] - 1))
			w->best[item] = r + 1;
	}
	if (ks == ke || rest <= 0)
		return;

	if ((Size) (ke - ks) > (Size) rest * 8)
	{
		/* many children: look each remaining cart item up among them */
		int			j;

		for (j = pos; j < w->ncart; j++)
		{
			uint32		lo = ks,
						hi = ke;

			while (lo < hi)
			{
				uint32		mid = lo + (hi - lo) / 2;
				uint32		c = ix->node_code[ix->kids[mid]];

				if (c == w->cart[j])
				{
					walk(w, ix->kids[mid], j + 1);
					break;
				}
				if (c < w->cart[j])
					lo = mid + 1;
				else
					hi = mid;
			}
		}
	}
	else
	{
		/* merge the two ascending lists */
		uint32		c = ks;
		int			j = pos;

		while (c < ke && j < w->ncart)
		{
			uint32		code = ix->node_code[ix->kids[c]];

			if (code == w->cart[j])
				walk(w, ix->kids[c++], ++j);
			else if (code < w->cart[j])
				c++;
			else
				j++;
		}
	}
}

int
cart_recommend(const CartIndex *ix, const uint32 *cart, int ncart, const bool *skip,
			   int k, bool fill, CartHit *out)
{
	CartWalk	w;
	TopK		top;
	uint32		i;
	int			n;

	if (ix->nitems == 0)
		return 0;
	w.ix = ix;
	w.cart = cart;
	w.ncart = ncart;
	w.skip = skip;
	w.best = palloc0(sizeof(uint32) * ix->nitems);
	w.touched = palloc(sizeof(uint32) * ix->nitems);
	w.ntouched = 0;
	w.visits = 0;
	check_stack_depth();
	walk(&w, 0, 0);

	topk_init(&top, (int) Min((uint32) k, ix->nitems));
	if (fill)
	{
		/* the empty antecedent: confidence = count(C) / N, for every item */
		for (i = 0; i < ix->nitems; i++)
		{
			uint32		b = w.best[i];
			RuleMeasures m;

			if (skip[i])
				continue;
			if (b != 0 &&
				(uint64) ix->count_ac[b - 1] * ix->nbaskets >= (uint64) ix->item_count[i] * ix->count_a[b - 1])
				continue;		/* a rule of the cart does at least as well */
			rule_measures(ix->nbaskets, ix->item_count[i], ix->nbaskets, ix->item_count[i], &m);
			w.best[i] = 0;
			topk_push(&top, m.confidence, m.lift, i);
		}
	}
	for (i = 0; i < w.ntouched; i++)
	{
		uint32		item = w.touched[i];
		uint32		r;
		RuleMeasures m;

		if (w.best[item] == 0)
			continue;			/* replaced by the empty antecedent */
		r = w.best[item] - 1;
		rule_measures(ix->nbaskets, ix->count_ac[r], ix->count_a[r], ix->item_count[item], &m);
		topk_push(&top, m.confidence, m.lift, item);
	}

	n = topk_finish(&top);
	for (i = 0; i < (uint32) n; i++)
	{
		uint32		item = top.heap[i].id;

		out[i].item = item;
		out[i].rule = w.best[item] == 0 ? -1 : (int64) w.best[item] - 1;
		out[i].confidence = top.heap[i].score;
		out[i].lift = top.heap[i].tie;
	}
	pfree(w.best);
	pfree(w.touched);
	pfree(top.heap);
	return n;
}
