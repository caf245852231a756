/*
 * metrics_sql.c
 *	  The evaluation aggregates: assoc.classification_metrics(score, label
 *	  [, threshold]) and assoc.ranking_metrics(recommended, relevant [, k]),
 *	  each returning jsonb (keys in docs/CONTRACTS.md).
 *
 * classification_metrics keeps every (score, label) pair (the exact ROC AUC
 * needs them sorted), charged to assoc.mining_mem; ranking_metrics keeps only
 * sums.  Both run in parallel (serialise, deserialise, combine).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "aggstate.h"
#include "budget.h"
#include "jsonout.h"
#include "metrics.h"

#define STATE_FORMAT_VERSION 1

static void
state_corrupted(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("%s aggregate state is corrupted", what)));
}

/* A StringInfo reading a bytea in place, after checking its format version. */
static void
state_reader(bytea *sstate, StringInfo buf, const char *what)
{
	buf->data = VARDATA_ANY(sstate);
	buf->len = VARSIZE_ANY_EXHDR(sstate);
	buf->maxlen = buf->len;
	buf->cursor = 0;
	if (buf->len < 1 || pq_getmsgbyte(buf) != STATE_FORMAT_VERSION)
		state_corrupted(what);
}

static Datum
jsonb_from_text(StringInfo s)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(s->data));
}

static void
json_key_float(StringInfo s, const char *key, double v)
{
	appendStringInfo(s, ", \"%s\": ", key);
	json_append_float(s, v);
}

/* ---------- classification_metrics ---------- */

#define CLASS_NAME "assoc.classification_metrics"

typedef struct ClassState
{
	MemBudget	budget;
	int64		n;
	int64		cap;
	double	   *score;
	uint8	   *label;
	bool		has_threshold;
	double		threshold;
} ClassState;

static ClassState *
class_create(MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ClassState *st = palloc0(sizeof(ClassState));

	budget_init(&st->budget, CLASS_NAME, "Raise assoc.mining_mem, or evaluate a sample of the rows.");
	st->threshold = 0.5;
	MemoryContextSwitchTo(old);
	return st;
}

static void
class_set_threshold(ClassState *st, double t)
{
	if (isnan(t))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold of %s must not be NaN", CLASS_NAME)));
	if (st->has_threshold && t != st->threshold)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold of %s must be the same for every row", CLASS_NAME),
				 errhint("Pass the threshold as a constant; for several thresholds, call the aggregate once per threshold.")));
	st->has_threshold = true;
	st->threshold = t;
}

static void
class_add(ClassState *st, double score, bool label)
{
	if (st->n == st->cap)
	{
		int64		newcap = Max(1024, st->cap * 2);

		st->score = budget_realloc(&st->budget, st->score, sizeof(double) * st->cap,
								   budget_mul(newcap, sizeof(double)));
		st->label = budget_realloc(&st->budget, st->label, st->cap, newcap);
		st->cap = newcap;
	}
	st->score[st->n] = score;
	st->label[st->n] = label ? 1 : 0;
	st->n++;
}

/*
 * classification_metrics_transfn(state internal, score float8, label boolean
 *								  [, threshold float8]) RETURNS internal
 *
 * Rows with a NULL score or label are skipped.  A NaN score is an error.
 */
PG_FUNCTION_INFO_V1(classification_metrics_transfn);
Datum
classification_metrics_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "classification_metrics_transfn");
	ClassState *st = AGG_STATE_ARG(ClassState, 0);
	double		score;

	if (st == NULL)
		st = class_create(aggcxt);
	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("threshold of %s must not be NULL", CLASS_NAME)));
		class_set_threshold(st, PG_GETARG_FLOAT8(3));
	}
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	score = PG_GETARG_FLOAT8(1);
	if (isnan(score))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("score of %s must not be NaN", CLASS_NAME)));
	class_add(st, score, PG_GETARG_BOOL(2));
	PG_RETURN_POINTER(st);
}

/* classification_metrics_combine(internal, internal) RETURNS internal */
PG_FUNCTION_INFO_V1(classification_metrics_combine);
Datum
classification_metrics_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "classification_metrics_combine");
	ClassState *a = AGG_STATE_ARG(ClassState, 0);
	ClassState *b = AGG_STATE_ARG(ClassState, 1);
	int64		i;

	AGG_COMBINE_IF_NO_SECOND(a, b);
	if (a == NULL)
		a = class_create(aggcxt);
	if (b->has_threshold)
		class_set_threshold(a, b->threshold);
	for (i = 0; i < b->n; i++)
		class_add(a, b->score[i], b->label[i] != 0);
	PG_RETURN_POINTER(a);
}

/*
 * classification_metrics_serialize(internal) RETURNS bytea
 *
 * Version 1: int8 version, int8 has_threshold, float8 threshold, int64 n,
 * n float8 scores, n int8 labels.
 */
PG_FUNCTION_INFO_V1(classification_metrics_serialize);
Datum
classification_metrics_serialize(PG_FUNCTION_ARGS)
{
	ClassState *st = (ClassState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	Size		total;
	int64		i;

	(void) agg_context(fcinfo, "classification_metrics_serialize");
	total = add_size(1 + 1 + 8 + 8, mul_size((Size) st->n, sizeof(double) + 1));
	if (total > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the rows a parallel worker collected for %s exceed 1 GB", CLASS_NAME),
				 errhint("Run the evaluation without parallel workers: SET max_parallel_workers_per_gather = 0.")));
	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, (int) total);
	pq_sendbyte(&buf, STATE_FORMAT_VERSION);
	pq_sendbyte(&buf, st->has_threshold ? 1 : 0);
	pq_sendfloat8(&buf, st->threshold);
	pq_sendint64(&buf, st->n);
	for (i = 0; i < st->n; i++)
		pq_sendfloat8(&buf, st->score[i]);
	pq_sendbytes(&buf, (const char *) st->label, (int) st->n);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* classification_metrics_deserialize(bytea, internal) RETURNS internal */
PG_FUNCTION_INFO_V1(classification_metrics_deserialize);
Datum
classification_metrics_deserialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	ClassState *st;
	int			has_threshold;
	double		threshold;
	int64		n,
				i;
	const char *labels;

	(void) agg_context(fcinfo, "classification_metrics_deserialize");
	state_reader(PG_GETARG_BYTEA_PP(0), &buf, CLASS_NAME);
	if (buf.len - buf.cursor < 1 + 8 + 8)
		state_corrupted(CLASS_NAME);
	has_threshold = pq_getmsgbyte(&buf);
	threshold = pq_getmsgfloat8(&buf);
	n = pq_getmsgint64(&buf);
	if ((has_threshold != 0 && has_threshold != 1) || isnan(threshold) || n < 0 ||
		(uint64) n > (uint64) (buf.len - buf.cursor) / (sizeof(double) + 1) ||
		(Size) (buf.len - buf.cursor) != (Size) n * (sizeof(double) + 1))
		state_corrupted(CLASS_NAME);
	st = class_create(CurrentMemoryContext);
	if (has_threshold)
		class_set_threshold(st, threshold);
	labels = buf.data + buf.cursor + n * sizeof(double);
	for (i = 0; i < n; i++)
	{
		double		s = pq_getmsgfloat8(&buf);

		if (isnan(s) || (labels[i] != 0 && labels[i] != 1))
			state_corrupted(CLASS_NAME);
		class_add(st, s, labels[i] == 1);
	}
	buf.cursor += (int) n;
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/*
 * classification_metrics_final(internal) RETURNS jsonb
 *
 * {"n", "threshold", "accuracy", "precision", "recall", "f1", "auc",
 * "log_loss"}; undefined values are null.  NULL when there were no rows.
 */
PG_FUNCTION_INFO_V1(classification_metrics_final);
Datum
classification_metrics_final(PG_FUNCTION_ARGS)
{
	ClassState *st = AGG_STATE_ARG(ClassState, 0);
	ClassMetrics m;
	MemBudget	budget;
	StringInfoData s;

	if (st == NULL)
		PG_RETURN_NULL();
	budget_init(&budget, CLASS_NAME, "Raise assoc.mining_mem, or evaluate a sample of the rows.");
	budget.limit = budget.limit > st->budget.used ? budget.limit - st->budget.used : 0;
	classification_metrics(st->score, st->label, st->n, st->threshold, &budget, &m);

	initStringInfo(&s);
	appendStringInfo(&s, "{\"n\": " INT64_FORMAT, m.n);
	json_key_float(&s, "threshold", st->threshold);
	json_key_float(&s, "accuracy", m.accuracy);
	json_key_float(&s, "precision", m.precision);
	json_key_float(&s, "recall", m.recall);
	json_key_float(&s, "f1", m.f1);
	json_key_float(&s, "auc", m.auc);
	json_key_float(&s, "log_loss", m.log_loss);
	appendStringInfoChar(&s, '}');
	PG_RETURN_DATUM(jsonb_from_text(&s));
}

/* ---------- ranking_metrics ---------- */

#define RANK_NAME "assoc.ranking_metrics"

typedef struct RankState
{
	int			k;
	RankSums	sums;
} RankState;

/* How to compare the elements of the arrays (cached in fn_extra). */
typedef struct ElemInfo
{
	Oid			elemtype;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Oid			collation;
	bool		has_cmp;
	FmgrInfo	cmp;			/* btree comparison, if the type has one */
	FmgrInfo	eq;				/* equality, otherwise */
} ElemInfo;

static ElemInfo *
elem_info(FunctionCallInfo fcinfo, Oid elemtype)
{
	ElemInfo   *e = fcinfo->flinfo->fn_extra;
	TypeCacheEntry *tc;

	if (e != NULL && e->elemtype == elemtype)
		return e;
	tc = lookup_type_cache(elemtype, TYPECACHE_EQ_OPR_FINFO | TYPECACHE_CMP_PROC_FINFO);
	if (!OidIsValid(tc->cmp_proc_finfo.fn_oid) && !OidIsValid(tc->eq_opr_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("could not identify an equality operator for type %s",
						format_type_be(elemtype)),
				 errhint("Use item identifiers of a type with equality, such as integer or text.")));
	e = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ElemInfo));
	e->elemtype = elemtype;
	get_typlenbyvalalign(elemtype, &e->typlen, &e->typbyval, &e->typalign);
	e->collation = PG_GET_COLLATION();
	e->has_cmp = OidIsValid(tc->cmp_proc_finfo.fn_oid);
	if (e->has_cmp)
		fmgr_info_cxt(tc->cmp_proc_finfo.fn_oid, &e->cmp, fcinfo->flinfo->fn_mcxt);
	else
		fmgr_info_cxt(tc->eq_opr_finfo.fn_oid, &e->eq, fcinfo->flinfo->fn_mcxt);
	fcinfo->flinfo->fn_extra = e;
	return e;
}

static int
elem_cmp(const void *a, const void *b, void *arg)
{
	ElemInfo   *e = arg;

	return DatumGetInt32(FunctionCall2Coll(&e->cmp, e->collation,
										   *(const Datum *) a, *(const Datum *) b));
}

static bool
elem_eq(ElemInfo *e, Datum a, Datum b)
{
	if (e->has_cmp)
		return DatumGetInt32(FunctionCall2Coll(&e->cmp, e->collation, a, b)) == 0;
	return DatumGetBool(FunctionCall2Coll(&e->eq, e->collation, a, b));
}

/*
 * The distinct non-NULL elements of arr, into *out (sorted when the type has
 * a btree comparison); returns how many.
 */
static int
distinct_elements(ElemInfo *e, ArrayType *arr, Datum **out)
{
	Datum	   *v;
	bool	   *nulls;
	int			n,
				m = 0,
				i,
				j;

	deconstruct_array(arr, e->elemtype, e->typlen, e->typbyval, e->typalign, &v, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			v[m++] = v[i];
	if (e->has_cmp)
	{
		qsort_arg(v, m, sizeof(Datum), elem_cmp, e);
		for (i = 0, j = 0; i < m; i++)
			if (j == 0 || elem_cmp(&v[j - 1], &v[i], e) != 0)
				v[j++] = v[i];
	}
	else
	{
		for (i = 0, j = 0; i < m; i++)
		{
			int			t;

			for (t = 0; t < j; t++)
				if (elem_eq(e, v[t], v[i]))
					break;
			if (t == j)
				v[j++] = v[i];
			CHECK_FOR_INTERRUPTS();
		}
	}
	*out = v;
	return j;
}

/* Position of x among the n distinct elements rel, or -1. */
static int
find_element(ElemInfo *e, const Datum *rel, int n, Datum x)
{
	if (e->has_cmp)
	{
		const Datum *hit = bsearch_arg(&x, rel, n, sizeof(Datum), elem_cmp, e);

		return hit ? (int) (hit - rel) : -1;
	}
	else
	{
		int			i;

		for (i = 0; i < n; i++)
			if (elem_eq(e, rel[i], x))
				return i;
		return -1;
	}
}

static RankState *
rank_create(MemoryContext cxt, int k)
{
	RankState  *st = MemoryContextAllocZero(cxt, sizeof(RankState));

	st->k = k;
	return st;
}

static void
rank_check_k(const RankState *st, int k)
{
	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k of %s must be at least 1", RANK_NAME),
				 errdetail("It is %d.", k)));
	if (st != NULL && st->k != k)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k of %s must be the same for every row", RANK_NAME),
				 errhint("Pass k as a constant.")));
}

/*
 * ranking_metrics_transfn(state internal, recommended anyarray,
 *						   relevant anyarray [, k integer]) RETURNS internal
 *
 * One user's list: the first k recommended items against the relevant set.
 * Rows with a NULL array, or without any relevant item, are skipped.
 */
PG_FUNCTION_INFO_V1(ranking_metrics_transfn);
Datum
ranking_metrics_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "ranking_metrics_transfn");
	RankState  *st = AGG_STATE_ARG(RankState, 0);
	int			k = 10;
	ArrayType  *rec,
			   *relarr;
	ElemInfo   *e;
	Datum	   *rel;
	int			nrel;
	Datum	   *items;
	bool	   *nulls;
	int			nitems,
				nshown,
				i;
	bool	   *hit,
			   *taken;

	if (PG_NARGS() > 3)
	{
		if (PG_ARGISNULL(3))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("k of %s must not be NULL", RANK_NAME)));
		k = PG_GETARG_INT32(3);
	}
	rank_check_k(st, k);
	if (st == NULL)
		st = rank_create(aggcxt, k);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);

	rec = PG_GETARG_ARRAYTYPE_P(1);
	relarr = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_NDIM(rec) > 1 || ARR_NDIM(relarr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recommended and relevant items of %s must be one-dimensional arrays", RANK_NAME)));
	e = elem_info(fcinfo, ARR_ELEMTYPE(rec));
	nrel = distinct_elements(e, relarr, &rel);
	if (nrel == 0)
		PG_RETURN_POINTER(st);

	deconstruct_array(rec, e->elemtype, e->typlen, e->typbyval, e->typalign,
					  &items, &nulls, &nitems);
	nshown = Min(nitems, k);
	hit = palloc0(sizeof(bool) * Max(nshown, 1));
	taken = palloc0(sizeof(bool) * nrel);
	for (i = 0; i < nshown; i++)
	{
		int			pos;

		if (nulls[i])
			continue;
		pos = find_element(e, rel, nrel, items[i]);
		if (pos >= 0 && !taken[pos])
		{
			hit[i] = true;
			taken[pos] = true;
		}
	}
	ranking_add(&st->sums, k, hit, nshown, nrel);
	PG_RETURN_POINTER(st);
}

/* ranking_metrics_combine(internal, internal) RETURNS internal */
PG_FUNCTION_INFO_V1(ranking_metrics_combine);
Datum
ranking_metrics_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "ranking_metrics_combine");
	RankState  *a = AGG_STATE_ARG(RankState, 0);
	RankState  *b = AGG_STATE_ARG(RankState, 1);

	AGG_COMBINE_IF_NO_SECOND(a, b);
	if (a == NULL)
		a = rank_create(aggcxt, b->k);
	rank_check_k(a, b->k);
	a->sums.n += b->sums.n;
	a->sums.precision += b->sums.precision;
	a->sums.recall += b->sums.recall;
	a->sums.ndcg += b->sums.ndcg;
	a->sums.ap += b->sums.ap;
	a->sums.hits += b->sums.hits;
	PG_RETURN_POINTER(a);
}

/*
 * ranking_metrics_serialize(internal) RETURNS bytea
 *
 * Version 1: int8 version, int32 k, int64 n, float8 sums of precision,
 * recall, NDCG, AP and hits.
 */
PG_FUNCTION_INFO_V1(ranking_metrics_serialize);
Datum
ranking_metrics_serialize(PG_FUNCTION_ARGS)
{
	RankState  *st = (RankState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) agg_context(fcinfo, "ranking_metrics_serialize");
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, STATE_FORMAT_VERSION);
	pq_sendint32(&buf, st->k);
	pq_sendint64(&buf, st->sums.n);
	pq_sendfloat8(&buf, st->sums.precision);
	pq_sendfloat8(&buf, st->sums.recall);
	pq_sendfloat8(&buf, st->sums.ndcg);
	pq_sendfloat8(&buf, st->sums.ap);
	pq_sendfloat8(&buf, st->sums.hits);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ranking_metrics_deserialize(bytea, internal) RETURNS internal */
PG_FUNCTION_INFO_V1(ranking_metrics_deserialize);
Datum
ranking_metrics_deserialize(PG_FUNCTION_ARGS)
{
	StringInfoData buf;
	RankState  *st;

	(void) agg_context(fcinfo, "ranking_metrics_deserialize");
	state_reader(PG_GETARG_BYTEA_PP(0), &buf, RANK_NAME);
	if (buf.len - buf.cursor != 4 + 8 + 5 * 8)
		state_corrupted(RANK_NAME);
	st = rank_create(CurrentMemoryContext, (int32) pq_getmsgint(&buf, 4));
	st->sums.n = pq_getmsgint64(&buf);
	st->sums.precision = pq_getmsgfloat8(&buf);
	st->sums.recall = pq_getmsgfloat8(&buf);
	st->sums.ndcg = pq_getmsgfloat8(&buf);
	st->sums.ap = pq_getmsgfloat8(&buf);
	st->sums.hits = pq_getmsgfloat8(&buf);
	pq_getmsgend(&buf);
	if (st->k < 1 || st->sums.n < 0)
		state_corrupted(RANK_NAME);
	PG_RETURN_POINTER(st);
}

/*
 * ranking_metrics_final(internal) RETURNS jsonb
 *
 * {"k", "n", "precision", "recall", "ndcg", "map", "hit_rate"}: means over
 * the n lists counted (null when n is 0).  NULL when there were no rows.
 */
PG_FUNCTION_INFO_V1(ranking_metrics_final);
Datum
ranking_metrics_final(PG_FUNCTION_ARGS)
{
	RankState  *st = AGG_STATE_ARG(RankState, 0);
	StringInfoData s;
	double		n;

	if (st == NULL)
		PG_RETURN_NULL();
	n = st->sums.n > 0 ? (double) st->sums.n : get_float8_nan();
	initStringInfo(&s);
	appendStringInfo(&s, "{\"k\": %d, \"n\": " INT64_FORMAT, st->k, st->sums.n);
	json_key_float(&s, "precision", st->sums.precision / n);
	json_key_float(&s, "recall", st->sums.recall / n);
	json_key_float(&s, "ndcg", st->sums.ndcg / n);
	json_key_float(&s, "map", st->sums.ap / n);
	json_key_float(&s, "hit_rate", st->sums.hits / n);
	appendStringInfoChar(&s, '}');
	PG_RETURN_DATUM(jsonb_from_text(&s));
}
