/*
 * als_sql.c
 *	  The SQL face of implicit ALS: the assoc.train_als aggregate, and
 *	  assoc.recommend, assoc.recommend_for_items, assoc.similar_items and
 *	  assoc.als_factors over its models.
 *
 * The aggregate collects (user, item, weight) rows in an internal state (in
 * the aggregate context, bounded by assoc.mining_mem).  It has no combine
 * function: partial states would only carry the rows to the leader with more
 * copies than a Gather below the aggregate.  The final function sorts a copy
 * of the rows (so the model does not depend on their order or on the plan),
 * sums repeated (user, item) pairs, numbers users and items in ascending id
 * order, trains (als.c) and writes the model.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "aggstate.h"
#include "als.h"
#include "budget.h"
#include "envelope.h"
#include "options.h"
#include "serve.h"
#include "topk.h"

#define ALS_HINT "Raise assoc.mining_mem, or train on fewer rows or factors."

/* ---------- options ---------- */

typedef struct AlsOptions
{
	AlsParams	p;
	bool		verbose;
	char	   *solver;
	OptionSpec	specs[8];
} AlsOptions;

/* Parse options (NULL: defaults) into o. */
static void
als_options(Jsonb *opts, AlsOptions *o)
{
	OptionSpec	specs[] = {
		{"factors", OPTION_INT, &o->p.factors, 1, 1024},
		{"lambda", OPTION_FLOAT, &o->p.lambda, 0, 1e300},
		{"alpha", OPTION_FLOAT, &o->p.alpha, 0, 1e300},
		{"max_iter", OPTION_INT, &o->p.max_iter, 0, 10000},
		{"seed", OPTION_INT, &o->p.seed, 0, PG_INT32_MAX},
		{"solver", OPTION_TEXT, &o->solver, 1, 0},
		{"cg_steps", OPTION_INT, &o->p.cg_steps, 1, 100},
		{"verbose", OPTION_BOOL, &o->verbose, 1, 0},
	};

	o->p.factors = 64;
	o->p.lambda = 0.1;
	o->p.alpha = 1.0;
	o->p.max_iter = 15;
	o->p.seed = 0;
	o->p.cg_steps = 3;
	o->solver = "cholesky";
	o->verbose = false;
	StaticAssertStmt(lengthof(specs) == lengthof(o->specs), "option table size");
	memcpy(o->specs, specs, sizeof(specs));
	options_parse(opts, o->specs, lengthof(o->specs), "assoc.train_als");
	if (strcmp(o->solver, "cholesky") == 0)
		o->p.solver = ALS_CHOLESKY;
	else if (strcmp(o->solver, "cg") == 0)
		o->p.solver = ALS_CG;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"solver\" of assoc.train_als must be \"cholesky\" or \"cg\""),
				 errdetail("It is \"%s\".", o->solver)));
}

/* ---------- aggregate state ---------- */

typedef struct AlsState
{
	MemBudget	budget;			/* charges the arrays; allocates in the state's context */
	Size		n;
	Size		cap;
	int64	   *user;
	int64	   *item;
	double	   *weight;
	bytea	   *options;		/* the options jsonb of the rows, or NULL */
} AlsState;

static AlsState *
state_new(MemoryContext aggcxt)
{
	MemoryContext cxt = AllocSetContextCreate(aggcxt, "assoc.train_als state",
											  ALLOCSET_DEFAULT_SIZES);
	AlsState   *st = MemoryContextAllocZero(cxt, sizeof(AlsState));
	MemoryContext old = MemoryContextSwitchTo(cxt);

	budget_init(&st->budget, "assoc.train_als", ALS_HINT);
	MemoryContextSwitchTo(old);
	return st;
}

static void
state_reserve(AlsState *st, Size more)
{
	Size		need = st->n + more;
	Size		cap;

	if (need <= st->cap)
		return;
	if (need >= PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("assoc.train_als takes at most %u rows", PG_UINT32_MAX - 1)));
	cap = Max(Max(st->cap * 2, 4096), need);
	st->user = budget_realloc(&st->budget, st->user, sizeof(int64) * st->cap, budget_mul(cap, sizeof(int64)));
	st->item = budget_realloc(&st->budget, st->item, sizeof(int64) * st->cap, budget_mul(cap, sizeof(int64)));
	st->weight = budget_realloc(&st->budget, st->weight, sizeof(double) * st->cap,
								budget_mul(cap, sizeof(double)));
	st->cap = cap;
}

/* Record the options of a row: all rows must carry the same. */
static void
state_options(AlsState *st, const bytea *opts)
{
	if (st->options == NULL)
	{
		AlsOptions	o;

		als_options((Jsonb *) opts, &o);	/* report bad options at once */
		st->options = MemoryContextAlloc(st->budget.cxt, VARSIZE_ANY(opts));
		memcpy(st->options, opts, VARSIZE_ANY(opts));
	}
	else if (VARSIZE_ANY(opts) != VARSIZE_ANY(st->options) ||
			 memcmp(opts, st->options, VARSIZE_ANY(opts)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options of assoc.train_als must be the same in every row"),
				 errhint("Pass the options as a constant.")));
}

/*
 * Transition of assoc.train_als(user_id, item_id, weight [, options]).
 * Rows with a NULL user, item or weight are skipped; weights must be finite
 * and not negative.
 */
PG_FUNCTION_INFO_V1(train_als_transfn);
Datum
train_als_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "train_als_transfn");
	AlsState   *st = PG_ARGISNULL(0) ? NULL : (AlsState *) PG_GETARG_POINTER(0);
	double		w;

	if (st == NULL)
		st = state_new(aggcxt);
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
		state_options(st, (bytea *) PG_GETARG_JSONB_P(4));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3))
		PG_RETURN_POINTER(st);
	w = PG_GETARG_FLOAT8(3);
	if (!isfinite(w) || w < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight of assoc.train_als must be finite and not negative"),
				 errdetail("The row (" INT64_FORMAT ", " INT64_FORMAT ") has weight %g.",
						   PG_GETARG_INT64(1), PG_GETARG_INT64(2), w),
				 errhint("Filter out returns and cancellations, or transform the weights.")));
	state_reserve(st, 1);
	st->user[st->n] = PG_GETARG_INT64(1);
	st->item[st->n] = PG_GETARG_INT64(2);
	st->weight[st->n] = w;
	st->n++;
	PG_RETURN_POINTER(st);
}


/* ---------- final: build the interaction matrix, train, write ---------- */

static int
row_cmp(const void *x, const void *y, void *arg)
{
	const AlsState *st = arg;
	uint32		a = *(const uint32 *) x;
	uint32		b = *(const uint32 *) y;

	if (st->user[a] != st->user[b])
		return st->user[a] < st->user[b] ? -1 : 1;
	if (st->item[a] != st->item[b])
		return st->item[a] < st->item[b] ? -1 : 1;
	if (st->weight[a] != st->weight[b])
		return st->weight[a] < st->weight[b] ? -1 : 1;
	return 0;
}

static int
int64_cmp(const void *x, const void *y)
{
	int64		a = *(const int64 *) x;
	int64		b = *(const int64 *) y;

	return (a > b) - (a < b);
}

/*
 * The interactions of st: users and items numbered in ascending id order,
 * strengths summed per (user, item) in a fixed order, pairs whose sum is 0
 * dropped.  Fills m's ids and seen lists, and both orientations.
 */
static void
build_matrix(const AlsState *st, MemBudget *budget, AlsModel *m, AlsCsr *by_user, AlsCsr *by_item)
{
	uint32	   *perm = budget_alloc(budget, sizeof(uint32) * Max(st->n, 1));
	int64	   *pair_user = budget_alloc(budget, sizeof(int64) * Max(st->n, 1));
	int64	   *pair_item = budget_alloc(budget, sizeof(int64) * Max(st->n, 1));
	double	   *pair_r = budget_alloc(budget, sizeof(double) * Max(st->n, 1));
	Size		npairs = 0;
	Size		i,
				j;
	uint32		nu = 0,
				ni = 0;
	uint64	   *fill;

	for (i = 0; i < st->n; i++)
		perm[i] = (uint32) i;
	qsort_arg(perm, st->n, sizeof(uint32), row_cmp, (void *) st);
	CHECK_FOR_INTERRUPTS();
	for (i = 0; i < st->n; i = j)
	{
		uint32		a = perm[i];
		double		r = 0;

		for (j = i; j < st->n && st->user[perm[j]] == st->user[a] && st->item[perm[j]] == st->item[a]; j++)
			r += st->weight[perm[j]];
		if (!(r > 0))
			continue;
		if (!isfinite(r))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("summed weight of user " INT64_FORMAT " and item " INT64_FORMAT " overflows",
							st->user[a], st->item[a])));
		pair_user[npairs] = st->user[a];
		pair_item[npairs] = st->item[a];
		pair_r[npairs] = r;
		if ((npairs++ & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	budget_free(budget, perm, sizeof(uint32) * Max(st->n, 1));
	if (npairs == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("assoc.train_als needs at least one row with a positive weight"),
				 errdetail("%zu rows were given; rows with a NULL or zero weight are ignored.", st->n)));

	/* users: pairs are sorted by user */
	m->user_ids = budget_alloc(budget, sizeof(int64) * npairs);
	for (i = 0; i < npairs; i++)
		if (i == 0 || pair_user[i] != pair_user[i - 1])
			m->user_ids[nu++] = pair_user[i];
	/* items: sort their ids */
	m->item_ids = budget_alloc(budget, sizeof(int64) * npairs);
	memcpy(m->item_ids, pair_item, sizeof(int64) * npairs);
	qsort(m->item_ids, npairs, sizeof(int64), int64_cmp);
	for (i = 0; i < npairs; i++)
		if (i == 0 || m->item_ids[i] != m->item_ids[i - 1])
			m->item_ids[ni++] = m->item_ids[i];
	m->nusers = nu;
	m->nitems = ni;
	m->nnz = npairs;

	/* by user: already in order; items ascend within a user */
	by_user->nrows = nu;
	by_user->ptr = budget_alloc0(budget, sizeof(uint64) * ((Size) nu + 1));
	by_user->idx = budget_alloc(budget, sizeof(uint32) * npairs);
	by_user->r = pair_r;
	for (i = 0, j = 0; i < npairs; i++)
	{
		if (i > 0 && pair_user[i] != pair_user[i - 1])
			j++;
		by_user->ptr[j + 1]++;
		by_user->idx[i] = (uint32) als_find(m->item_ids, ni, pair_item[i]);
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (i = 0; i < nu; i++)
		by_user->ptr[i + 1] += by_user->ptr[i];
	budget_free(budget, pair_user, sizeof(int64) * Max(st->n, 1));
	budget_free(budget, pair_item, sizeof(int64) * Max(st->n, 1));
	m->seen_ptr = by_user->ptr;
	m->seen = by_user->idx;

	/* by item: counting sort, users ascend within an item */
	by_item->nrows = ni;
	by_item->ptr = budget_alloc0(budget, sizeof(uint64) * ((Size) ni + 1));
	by_item->idx = budget_alloc(budget, sizeof(uint32) * npairs);
	by_item->r = budget_alloc(budget, sizeof(double) * npairs);
	for (i = 0; i < npairs; i++)
		by_item->ptr[by_user->idx[i] + 1]++;
	for (i = 0; i < ni; i++)
		by_item->ptr[i + 1] += by_item->ptr[i];
	fill = budget_alloc(budget, sizeof(uint64) * ((Size) ni + 1));
	memcpy(fill, by_item->ptr, sizeof(uint64) * ((Size) ni + 1));
	for (i = 0; i < nu; i++)
		for (j = by_user->ptr[i]; j < by_user->ptr[i + 1]; j++)
		{
			uint64		d = fill[by_user->idx[j]]++;

			by_item->idx[d] = (uint32) i;
			by_item->r[d] = by_user->r[j];
		}
	budget_free(budget, fill, sizeof(uint64) * ((Size) ni + 1));
}

static void
report_iteration(void *arg, int iter, double loss, double seconds)
{
	const AlsOptions *o = arg;

	if (o->verbose)
		ereport(INFO,
				(errmsg("assoc.train_als: iteration %d of %d: loss %.10g (%.3f s)",
						iter, o->p.max_iter, loss, seconds)));
}

PG_FUNCTION_INFO_V1(train_als_final);
Datum
train_als_final(PG_FUNCTION_ARGS)
{
	AlsState   *st;
	AlsOptions	o;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext cxt;
	MemBudget	budget;
	AlsModel	m;
	AlsCsr		by_user,
				by_item;
	AlsResult	res;
	ModelWriter w;
	ModelMeta	meta;
	StringInfoData info;
	Size		bytes;
	int			i;
	bytea	   *result;

	(void) agg_context(fcinfo, "train_als_final");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("assoc.train_als needs at least one row with a positive weight"),
				 errdetail("The aggregate received no rows.")));
	st = (AlsState *) PG_GETARG_POINTER(0);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "assoc.train_als training",
								ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	als_options((Jsonb *) st->options, &o);
	budget_init(&budget, "assoc.train_als", ALS_HINT);
	memset(&m, 0, sizeof(m));
	build_matrix(st, &budget, &m, &by_user, &by_item);

	/* the model must fit in one bytea */
	bytes = 256 + ((Size) m.nusers + m.nitems) * (8 + 8 * (Size) o.p.factors + 4) + m.nnz * 4;
	if (bytes > MaxAllocSize - 4096)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("ALS model would be larger than 1 GB"),
				 errdetail("%u users and %u items with %d factors need about %zu MB.",
						   m.nusers, m.nitems, o.p.factors, bytes >> 20),
				 errhint("Use fewer factors, or train on fewer users or items.")));

	als_train(&by_user, &by_item, &o.p, &budget, report_iteration, &o, &res);
	m.f = o.p.factors;
	m.lambda = o.p.lambda;
	m.alpha = o.p.alpha;
	m.X = res.X;
	m.Y = res.Y;

	initStringInfo(&info);
	appendStringInfo(&info, "{\"users\": %u, \"items\": %u, \"interactions\": " UINT64_FORMAT
					 ", \"iterations\": %d, \"loss_history\": [",
					 m.nusers, m.nitems, m.nnz, o.p.max_iter);
	for (i = 0; i <= o.p.max_iter; i++)
		appendStringInfo(&info, "%s%.17g", i ? ", " : "", res.loss[i]);
	appendStringInfo(&info, "], \"flops_per_iteration\": %.17g, \"solve_seconds\": %.6f}",
					 res.flops_per_iter, res.solve_seconds);
	meta.created_at = 0;
	meta.training_rows = st->n;
	meta.loss = res.loss[o.p.max_iter];
	meta.params_json = options_to_json(o.specs, lengthof(o.specs));
	meta.info_json = info.data;

	MemoryContextSwitchTo(caller);
	model_begin(&w, MODEL_ALS, m.nitems, (uint32) m.f, &meta);
	MemoryContextSwitchTo(cxt);
	als_write(&w, &m);
	MemoryContextSwitchTo(caller);
	result = model_finish(&w);
	MemoryContextDelete(cxt);
	PG_RETURN_BYTEA_P(result);
}

/* ---------- serving ---------- */

/* Set scores[i] = NaN for the known ids of an int8[] (NULL elements ignored). */
static void
mask_ids(const AlsModel *m, ArrayType *arr, double *scores)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;

	deconstruct_array(arr, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		int64		pos;

		if (nulls[i])
			continue;
		pos = als_find(m->item_ids, m->nitems, DatumGetInt64(elems[i]));
		if (pos >= 0)
			scores[pos] = get_float8_nan();
	}
}

/*
 * Emit the k best of scores (NaN = excluded) as (item_id, score) rows, after
 * excluding the ids of the bigint[] argument exclude_argno unless it is NULL.
 */
static void
emit_top(FunctionCallInfo fcinfo, const AlsModel *m, double *scores, int k, int exclude_argno)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TopK		top;
	int			n;
	int			i;

	if (!PG_ARGISNULL(exclude_argno))
		mask_ids(m, PG_GETARG_ARRAYTYPE_P(exclude_argno), scores);
	n = topk_dense(&top, scores, m->nitems, k);

	for (i = 0; i < n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int64GetDatum(m->item_ids[top.heap[i].id]);
		values[1] = Float8GetDatum(top.heap[i].score);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

/* The decoded model of argument 0, after the checks every serving call makes. */
static const AlsModel *
serving_model(FunctionCallInfo fcinfo)
{
	ModelHeader h;

	serve_arg_not_null(fcinfo, 0, "model");
	return serve_model(fcinfo, 0, MODEL_ALS, als_decode, &h);
}

/*
 * assoc.recommend(model bytea, user_id bigint, k int, exclude_seen boolean, exclude bigint[])
 *	RETURNS TABLE(item_id bigint, score float8)
 *
 * Best first; a user the model does not know gets no rows.
 */
PG_FUNCTION_INFO_V1(als_recommend);
Datum
als_recommend(PG_FUNCTION_ARGS)
{
	const AlsModel *m;
	int64		u;
	int			k;
	double	   *scores;
	uint64		j;

	serve_arg_not_null(fcinfo, 1, "user_id");
	k = serve_read_k(fcinfo, 2);
	serve_arg_not_null(fcinfo, 3, "exclude_seen");
	m = serving_model(fcinfo);
	InitMaterializedSRF(fcinfo, 0);

	u = als_find(m->user_ids, m->nusers, PG_GETARG_INT64(1));
	if (u < 0)
		return (Datum) 0;
	scores = palloc_extended(sizeof(double) * m->nitems, MCXT_ALLOC_HUGE);
	als_score(m, m->X + (Size) u * m->f, scores);
	if (PG_GETARG_BOOL(3))
		for (j = m->seen_ptr[u]; j < m->seen_ptr[u + 1]; j++)
			scores[m->seen[j]] = get_float8_nan();
	emit_top(fcinfo, m, scores, k, 4);
	return (Datum) 0;
}

typedef struct ItemWeight
{
	uint32		item;
	double		r;
} ItemWeight;

static int
item_weight_cmp(const void *x, const void *y)
{
	const ItemWeight *a = x;
	const ItemWeight *b = y;

	if (a->item != b->item)
		return a->item < b->item ? -1 : 1;
	return (a->r > b->r) - (a->r < b->r);
}

/*
 * assoc.recommend_for_items(model bytea, items bigint[], k int, weights float8[],
 *	exclude_seen boolean, exclude bigint[]) RETURNS TABLE(item_id bigint, score float8)
 *
 * Folds a history into the model: the user factors that training would give
 * a user with these items and weights (default 1 each; repeats add up), with
 * the item factors fixed.  Items the model does not know are ignored; with
 * none known, no rows.
 */
PG_FUNCTION_INFO_V1(als_recommend_for_items);
Datum
als_recommend_for_items(PG_FUNCTION_ARGS)
{
	const AlsModel *m;
	ArrayType  *items;
	Datum	   *ielems;
	bool	   *inulls;
	Datum	   *welems = NULL;
	bool	   *wnulls = NULL;
	int			ni,
				nw,
				i,
				n = 0,
				k;
	ItemWeight *iw;
	uint32	   *idx;
	double	   *r;
	double	   *x;
	double	   *scores;
	bool		exclude_seen;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("items must not be null"),
				 errhint("Pass the items of the user's history as an array.")));
	k = serve_read_k(fcinfo, 2);
	serve_arg_not_null(fcinfo, 4, "exclude_seen");
	exclude_seen = PG_GETARG_BOOL(4);
	m = serving_model(fcinfo);
	InitMaterializedSRF(fcinfo, 0);

	items = PG_GETARG_ARRAYTYPE_P(1);
	deconstruct_array(items, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &ielems, &inulls, &ni);
	if (!PG_ARGISNULL(3))
	{
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(3), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &welems, &wnulls, &nw);
		if (nw != ni)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("weights must have as many elements as items"),
					 errdetail("items has %d elements, weights %d.", ni, nw)));
	}
	iw = palloc(sizeof(ItemWeight) * Max(ni, 1));
	for (i = 0; i < ni; i++)
	{
		double		w = 1.0;
		int64		pos;

		if (welems)
		{
			if (wnulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("weights must not contain nulls")));
			w = DatumGetFloat8(welems[i]);
			if (!isfinite(w) || w < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("weights must be finite and not negative"),
						 errdetail("Element %d is %g.", i + 1, w)));
		}
		if (inulls[i])
			continue;
		pos = als_find(m->item_ids, m->nitems, DatumGetInt64(ielems[i]));
		if (pos < 0)
			continue;
		iw[n].item = (uint32) pos;
		iw[n].r = w;
		n++;
	}
	/* one strength per item, summed in a fixed order, zeros dropped */
	qsort(iw, n, sizeof(ItemWeight), item_weight_cmp);
	idx = palloc(sizeof(uint32) * Max(n, 1));
	r = palloc(sizeof(double) * Max(n, 1));
	{
		int			j = 0,
					a;

		for (i = 0; i < n; i = a)
		{
			double		s = 0;

			for (a = i; a < n && iw[a].item == iw[i].item; a++)
				s += iw[a].r;
			if (s > 0)
			{
				idx[j] = iw[i].item;
				r[j] = s;
				j++;
			}
		}
		n = j;
	}
	if (n == 0)
		return (Datum) 0;

	x = palloc(sizeof(double) * m->f);
	als_fold_in(m, idx, r, n, x);
	scores = palloc_extended(sizeof(double) * m->nitems, MCXT_ALLOC_HUGE);
	als_score(m, x, scores);
	if (exclude_seen)
		for (i = 0; i < n; i++)
			scores[idx[i]] = get_float8_nan();
	emit_top(fcinfo, m, scores, k, 5);
	return (Datum) 0;
}

/*
 * assoc.similar_items(model bytea, item_id bigint, k int, exclude bigint[])
 *	RETURNS TABLE(item_id bigint, score float8)
 *
 * Cosine similarity of item factors, the item itself left out; an unknown
 * item gets no rows.
 */
PG_FUNCTION_INFO_V1(als_similar_items);
Datum
als_similar_items(PG_FUNCTION_ARGS)
{
	const AlsModel *m;
	int64		pos;
	int			k;
	double	   *scores;

	serve_arg_not_null(fcinfo, 1, "item_id");
	k = serve_read_k(fcinfo, 2);
	m = serving_model(fcinfo);
	InitMaterializedSRF(fcinfo, 0);

	pos = als_find(m->item_ids, m->nitems, PG_GETARG_INT64(1));
	if (pos < 0)
		return (Datum) 0;
	scores = palloc_extended(sizeof(double) * m->nitems, MCXT_ALLOC_HUGE);
	als_cosine(m, (uint32) pos, scores);
	scores[pos] = get_float8_nan();
	emit_top(fcinfo, m, scores, k, 3);
	return (Datum) 0;
}

/*
 * assoc.als_factors(model bytea, side text) RETURNS TABLE(id bigint, factors float8[])
 *
 * The user ('user') or item ('item') factors of a model, in id order.
 */
PG_FUNCTION_INFO_V1(als_factors);
Datum
als_factors(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const AlsModel *m;
	char	   *side;
	bool		users;
	uint32		n,
				i;
	const int64 *ids;
	const double *F;
	Datum	   *d;
	MemoryContext rowcxt;

	serve_arg_not_null(fcinfo, 1, "side");
	side = text_to_cstring(PG_GETARG_TEXT_PP(1));
	if (strcmp(side, "user") == 0)
		users = true;
	else if (strcmp(side, "item") == 0)
		users = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("side must be 'user' or 'item'"),
				 errdetail("side is \"%s\".", side)));
	m = serving_model(fcinfo);
	InitMaterializedSRF(fcinfo, 0);
	n = users ? m->nusers : m->nitems;
	ids = users ? m->user_ids : m->item_ids;
	F = users ? m->X : m->Y;
	d = palloc(sizeof(Datum) * m->f);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "assoc.als_factors row",
								   ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		MemoryContext old = MemoryContextSwitchTo(rowcxt);
		int			j;

		for (j = 0; j < m->f; j++)
			d[j] = Float8GetDatum(F[(Size) i * m->f + j]);
		values[0] = Int64GetDatum(ids[i]);
		values[1] = PointerGetDatum(construct_array(d, m->f, FLOAT8OID, 8, FLOAT8PASSBYVAL,
													TYPALIGN_DOUBLE));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
		if ((i & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(rowcxt);
	return (Datum) 0;
}
