/*
 * mining_sql.c
 *	  The SQL face of mining: assoc.frequent_itemsets and assoc.rules, over a
 *	  source query or over an assoc.baskets value.
 *
 * This file checks arguments, gathers the baskets, calls the kernels
 * (miner.c, rulegen.c) and turns item codes back into text labels.  All work
 * happens in one memory context, bounded by assoc.mining_mem and deleted
 * before the function returns; rows go to a tuplestore.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "assoc.h"
#include "basket_reader.h"
#include "basket_state.h"
#include "baskets.h"
#include "budget.h"
#include "measures.h"
#include "miner.h"
#include "rulegen.h"

#define MINING_HINT "Raise min_support, set max_len, or raise assoc.mining_mem."

/* What a caller asked for. */
typedef struct MiningArgs
{
	double		min_support;
	int			max_len;		/* 0: no bound */
	double		min_confidence;
	int			max_consequent; /* 0: no bound */
} MiningArgs;

/* One call's working data. */
typedef struct MiningRun
{
	MemBudget	budget;
	const BasketBuilder *b;
	BasketBuilder scratch;
	TransDB		db;
	MinerResult res;
	uint32	   *code_rank;		/* code -> position in value order */
	text	  **labels;			/* code -> text label, made on first use */
	/* output */
	Tuplestorestate *tupstore;
	TupleDesc	tupdesc;
	MemoryContext rowcxt;
	uint64		nrows;
} MiningRun;

static void
require_not_null(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

static void
read_args(FunctionCallInfo fcinfo, bool rules, MiningArgs *a)
{
	require_not_null(fcinfo, 1, "min_support");
	a->min_support = PG_GETARG_FLOAT8(1);
	if (isnan(a->min_support) || a->min_support <= 0 || a->min_support > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_support must be greater than 0 and at most 1"),
				 errdetail("min_support is %g.", a->min_support),
				 errhint("Give the fraction of baskets, e.g. 0.01 for 1%%.")));

	a->min_confidence = 0;
	a->max_consequent = 1;
	if (rules)
	{
		require_not_null(fcinfo, 2, "min_confidence");
		a->min_confidence = PG_GETARG_FLOAT8(2);
		if (isnan(a->min_confidence) || a->min_confidence < 0 || a->min_confidence > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("min_confidence must be between 0 and 1"),
					 errdetail("min_confidence is %g.", a->min_confidence),
					 errhint("Give a fraction, e.g. 0.5.")));
	}

	a->max_len = 0;
	if (!PG_ARGISNULL(rules ? 3 : 2))
	{
		int32		v = PG_GETARG_INT32(rules ? 3 : 2);

		if (v < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_len must be at least 1"),
					 errdetail("max_len is %d.", v),
					 errhint("Use NULL for no bound on the itemset size.")));
		a->max_len = v;
	}

	if (rules)
	{
		if (PG_ARGISNULL(4))
			a->max_consequent = 0;
		else
		{
			int32		v = PG_GETARG_INT32(4);

			if (v < 1)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("max_consequent must be at least 1"),
						 errdetail("max_consequent is %d.", v),
						 errhint("Use 1 for one-item consequents, NULL for every split.")));
			a->max_consequent = v;
		}
	}
}

/* Gather the baskets of argument 0 (source text, or assoc.baskets). */
static void
gather(FunctionCallInfo fcinfo, bool from_source, const char *caller, MiningRun *run)
{
	budget_init(&run->budget, "mining", MINING_HINT);
	if (from_source)
	{
		char	   *query;

		require_not_null(fcinfo, 0, "source");
		query = text_to_cstring(PG_GETARG_TEXT_PP(0));
		read_source_baskets(query, caller, &run->scratch, &run->budget);
		run->b = &run->scratch;
	}
	else
		run->b = baskets_open(PG_GETARG_DATUM(0), &run->scratch, &run->budget);
	builder_finish(run->b, &run->db, &run->budget);
}

/* Mine; false when there is nothing to mine. */
static bool
mine(MiningRun *run, const MiningArgs *a)
{
	MinerParams params;
	Threshold	t;
	uint32	   *item_rank;
	uint32		c;

	if (run->db.ntrans == 0)
		return false;

	threshold_from_double(a->min_support, &t);
	params.min_count = (uint32) threshold_ceil(&t, run->db.ntrans);
	params.max_len = a->max_len;
	params.pair_table = assoc_pair_table;
	Assert(params.min_count >= 1);

	item_rank = budget_alloc(&run->budget, sizeof(uint32) * Max(run->db.nitems, 1));
	dict_ranks(&run->b->items, item_rank);
	mine_itemsets(&run->db, item_rank, &params, &run->budget, &run->res);

	/* the baskets are no longer needed */
	budget_free(&run->budget, run->db.items, sizeof(uint32) * Max(run->b->npairs, 1));
	run->db.items = NULL;

	run->code_rank = budget_alloc(&run->budget, sizeof(uint32) * Max(run->res.nfreq, 1));
	run->labels = budget_alloc0(&run->budget, sizeof(text *) * Max(run->res.nfreq, 1));
	for (c = 0; c < run->res.nfreq; c++)
		run->code_rank[c] = item_rank[run->res.code_item[c]];
	return true;
}

/* The text label of a code, made once and kept for the rest of the call. */
static text *
label(MiningRun *run, uint32 code)
{
	if (run->labels[code] == NULL)
	{
		const Dict *d = &run->b->items;
		uint32		id = run->res.code_item[code];
		MemoryContext old = MemoryContextSwitchTo(run->budget.cxt);

		if (d->kind == DICT_INT)
		{
			char		buf[32];

			snprintf(buf, sizeof(buf), INT64_FORMAT, d->ivals[id]);
			run->labels[code] = cstring_to_text(buf);
		}
		else
		{
			uint32		len;
			const char *p = dict_bytes(d, id, &len);

			run->labels[code] = cstring_to_text_with_len(p, len);
		}
		MemoryContextSwitchTo(old);
	}
	return run->labels[code];
}

/*
 * text[] of the labels of codes, in value order.  Built directly in the
 * array's on-disk layout (one dimension, no NULLs, 4-byte varlena elements
 * aligned to int), which is what construct_array would produce.
 */
static Datum
labels_array(MiningRun *run, const uint32 *codes, int n)
{
	uint64		keybuf[64];
	uint64	   *keys = n <= 64 ? keybuf : palloc(sizeof(uint64) * n);
	Size		size = ARR_OVERHEAD_NONULLS(1);
	ArrayType  *a;
	char	   *p;
	int			i;

	/* sort by value rank (insertion sort: itemsets are short) */
	for (i = 0; i < n; i++)
	{
		uint64		key = ((uint64) run->code_rank[codes[i]] << 32) | codes[i];
		int			j = i;

		while (j > 0 && keys[j - 1] > key)
		{
			keys[j] = keys[j - 1];
			j--;
		}
		keys[j] = key;
	}
	for (i = 0; i < n; i++)
		size += INTALIGN(VARSIZE(label(run, (uint32) keys[i])));

	a = (ArrayType *) palloc(size);
	SET_VARSIZE(a, size);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = TEXTOID;
	ARR_DIMS(a)[0] = n;
	ARR_LBOUND(a)[0] = 1;
	p = ARR_DATA_PTR(a);
	for (i = 0; i < n; i++)
	{
		text	   *t = run->labels[(uint32) keys[i]];
		Size		len = VARSIZE(t);

		memcpy(p, t, len);
		if (INTALIGN(len) > len)
			memset(p + len, 0, INTALIGN(len) - len);
		p += INTALIGN(len);
	}
	return PointerGetDatum(a);
}

static void
start_output(FunctionCallInfo fcinfo, MiningRun *run)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	run->tupstore = rsinfo->setResult;
	run->tupdesc = rsinfo->setDesc;
	run->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "assoc output row",
										ALLOCSET_DEFAULT_SIZES);
}

static void
emit_itemsets(MiningRun *run)
{
	const ItemsetStore *s = &run->res.sets;
	double		n = (double) run->db.ntrans;
	uint32		i;

	for (i = 0; i < s->n; i++)
	{
		int			len = store_len(s, i);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		MemoryContext old = MemoryContextSwitchTo(run->rowcxt);

		values[0] = labels_array(run, store_items(s, i), len);
		values[1] = Int64GetDatum((int64) s->count[i]);
		values[2] = Float8GetDatum((double) s->count[i] / n);
		tuplestore_putvalues(run->tupstore, run->tupdesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(run->rowcxt);
		if ((i & 0x3FF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
}

/* Rule emission callback of generate_rules. */
static void
emit_rule(void *arg, const uint32 *ante, int nante, const uint32 *cons, int ncons,
		  uint32 count_ac, uint32 count_a, uint32 count_c)
{
	MiningRun  *run = arg;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	RuleMeasures m;
	MemoryContext old;

	/* results count against the bound too: a rule explosion ends in an ERROR */
	budget_charge(&run->budget, 64 + 8 * (Size) (nante + ncons));
	rule_measures(run->db.ntrans, count_ac, count_a, count_c, &m);

	old = MemoryContextSwitchTo(run->rowcxt);
	values[0] = labels_array(run, ante, nante);
	values[1] = labels_array(run, cons, ncons);
	values[2] = Int64GetDatum((int64) count_ac);
	values[3] = Float8GetDatum(m.support);
	values[4] = Float8GetDatum(m.confidence);
	values[5] = Float8GetDatum(m.lift);
	values[6] = Float8GetDatum(m.leverage);
	values[7] = Float8GetDatum(m.conviction);
	tuplestore_putvalues(run->tupstore, run->tupdesc, values, nulls);
	MemoryContextSwitchTo(old);
	MemoryContextReset(run->rowcxt);
}

static Datum
frequent_itemsets_common(FunctionCallInfo fcinfo, bool from_source)
{
	MiningArgs	a;
	MiningRun	run;
	MemoryContext cxt;
	MemoryContext old;

	read_args(fcinfo, false, &a);
	memset(&run, 0, sizeof(run));
	start_output(fcinfo, &run);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "assoc mining", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	gather(fcinfo, from_source, "assoc.frequent_itemsets", &run);
	if (mine(&run, &a))
		emit_itemsets(&run);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}

static Datum
rules_common(FunctionCallInfo fcinfo, bool from_source)
{
	MiningArgs	a;
	MiningRun	run;
	MemoryContext cxt;
	MemoryContext old;

	read_args(fcinfo, true, &a);
	memset(&run, 0, sizeof(run));
	start_output(fcinfo, &run);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "assoc mining", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	gather(fcinfo, from_source, "assoc.rules", &run);
	if (a.max_len != 1 && mine(&run, &a))
	{
		RuleParams rp;

		threshold_from_double(a.min_confidence, &rp.min_confidence);
		rp.max_consequent = a.max_consequent;
		store_build_index(&run.res.sets);
		generate_rules(&run.res.sets, &rp, &run.budget, emit_rule, &run);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}

/*
 * assoc.frequent_itemsets(source text, min_support float8, max_len int)
 */
PG_FUNCTION_INFO_V1(frequent_itemsets_source);
Datum
frequent_itemsets_source(PG_FUNCTION_ARGS)
{
	return frequent_itemsets_common(fcinfo, true);
}

/*
 * assoc.frequent_itemsets(baskets assoc.baskets, min_support float8, max_len int)
 */
PG_FUNCTION_INFO_V1(frequent_itemsets_baskets);
Datum
frequent_itemsets_baskets(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
	{
		MiningArgs	a;

		read_args(fcinfo, false, &a);
		InitMaterializedSRF(fcinfo, 0);
		return (Datum) 0;
	}
	return frequent_itemsets_common(fcinfo, false);
}

/*
 * assoc.rules(source text, min_support, min_confidence, max_len, max_consequent)
 */
PG_FUNCTION_INFO_V1(rules_source);
Datum
rules_source(PG_FUNCTION_ARGS)
{
	return rules_common(fcinfo, true);
}

/*
 * assoc.rules(baskets assoc.baskets, min_support, min_confidence, max_len, max_consequent)
 */
PG_FUNCTION_INFO_V1(rules_baskets);
Datum
rules_baskets(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
	{
		MiningArgs	a;

		read_args(fcinfo, true, &a);
		InitMaterializedSRF(fcinfo, 0);
		return (Datum) 0;
	}
	return rules_common(fcinfo, false);
}
