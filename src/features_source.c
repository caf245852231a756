/*
 * features_source.c
 *	  The SQL face of the feature functions that read a source query of
 *	  order lines: assoc.customer_features, assoc.product_features,
 *	  assoc.customer_product_features, assoc.period_sequences and
 *	  assoc.time_split.
 *
 * The source query runs once, read-only, through source.c; its rows go into
 * a LineStore (linestore.h) whose memory is bounded by assoc.mining_mem.
 * The kernels (features.c, linestore.c) compute the features; this file
 * checks arguments and column types, converts values, and writes the rows
 * to a tuplestore in the order of the customers' and items' values.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/float.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "budget.h"
#include "feature_kernels.h"
#include "features_glue.h"
#include "linestore.h"
#include "source.h"

#define SOURCE_HINT "Raise assoc.mining_mem, or compute the features over fewer lines (a shorter period, a sample of customers)."

/* Column roles of a source query. */
typedef enum ColRole
{
	COL_CUSTOMER,
	COL_ORDER,
	COL_ITEM,
	COL_TS,
	COL_QTY,
	COL_PRICE,
	COL_EVENT,
	NUM_ROLES
} ColRole;

static const char *const role_names[NUM_ROLES] = {
	"customer", "order", "item", "ts", "quantity", "unit_price", "event"
};

/* What a function reads: lines (6 or 7 columns) or orders (3 columns). */
typedef enum SourceKind
{
	SOURCE_LINES,				/* customer, order, item, ts, quantity, unit_price [, event] */
	SOURCE_ORDERS				/* customer, order, ts */
} SourceKind;

typedef struct LineReader
{
	LineStore  *ls;
	MemBudget  *budget;
	SourceKind	kind;
	const char *caller;
	int			col[NUM_ROLES]; /* column number of each role, -1 if absent */
	ValueReader keys[NUM_ROLES];	/* for the key and event columns */
	Oid			types[NUM_ROLES];
	/* times in the ts column's clock */
	TimestampTz as_of_tz;
	int64		period;			/* label period after as_of (0: none) */
	bool		has_cutoff;
	TimestampTz cutoff_tz;
	int64		cutoff;
	MemoryContext rowcxt;
	uint64		rows;
	uint64		skipped;
} LineReader;

/* ---------- reading the source ---------- */

/* The number of columns the query returns, or -1 if it cannot be told here. */
static int
describe_source(const char *query)
{
	SPIPlanPtr	plan;
	List	   *sources;
	int			natts = -1;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan != NULL)
	{
		sources = SPI_plan_get_plan_sources(plan);
		if (list_length(sources) == 1)
		{
			CachedPlanSource *ps = (CachedPlanSource *) linitial(sources);

			if (ps->resultDesc)
				natts = ps->resultDesc->natts;
		}
	}
	SPI_finish();
	return natts;
}

static void
wrong_type(const LineReader *r, ColRole role, const char *want, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("column %d (%s) of the source query of %s must be %s",
					r->col[role] + 1, role_names[role], r->caller, want),
			 errdetail("It is of type %s.", format_type_be(r->types[role])),
			 errhint("%s", hint)));
}

static bool
is_number_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID || t == FLOAT4OID ||
		t == FLOAT8OID || t == NUMERICOID;
}

/* A time parameter (timestamptz) in the clock of the ts column. */
static int64
column_clock(const LineReader *r, TimestampTz t)
{
	if (r->types[COL_TS] == TIMESTAMPTZOID)
		return t;
	return DatumGetTimestamp(DirectFunctionCall1(timestamptz_timestamp, TimestampTzGetDatum(t)));
}

static void
reader_start(void *arg, TupleDesc desc)
{
	LineReader *r = arg;
	int			i;
	DictKind	kinds[3] = {DICT_INT, DICT_INT, DICT_INT};
	int64		as_of,
				until;

	for (i = 0; i < NUM_ROLES; i++)
		if (r->col[i] >= 0)
		{
			r->types[i] = TupleDescAttr(desc, r->col[i])->atttypid;
			if (i == COL_CUSTOMER || i == COL_ORDER || i == COL_ITEM || i == COL_EVENT)
				value_reader_init(&r->keys[i], r->types[i], CurrentMemoryContext);
		}
	if (r->types[COL_TS] != TIMESTAMPOID && r->types[COL_TS] != TIMESTAMPTZOID &&
		r->types[COL_TS] != DATEOID)
		wrong_type(r, COL_TS, "timestamp, timestamptz or date",
				   "Cast it in the query, e.g. invoice_date::timestamp.");
	if (r->kind == SOURCE_LINES)
	{
		if (!is_number_type(r->types[COL_QTY]))
			wrong_type(r, COL_QTY, "a number", "Cast it in the query, e.g. quantity::int.");
		if (!is_number_type(r->types[COL_PRICE]))
			wrong_type(r, COL_PRICE, "a number", "Cast it in the query, e.g. unit_price::float8.");
	}

	for (i = 0; i < 3; i++)
		if (r->col[i] >= 0 && value_reader_kind(&r->keys[i]) == DICT_BYTES)
			kinds[i] = DICT_BYTES;

	if (r->kind == SOURCE_LINES)
	{
		as_of = column_clock(r, r->as_of_tz);
		check_finite_time(as_of, "as_of");
		until = as_of;
		if (r->period > 0 && pg_add_s64_overflow(as_of, r->period, &until))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("as_of + period is out of range")));
	}
	else
	{
		as_of = until = PG_INT64_MAX;	/* every finite line */
		if (r->has_cutoff)
		{
			r->cutoff = column_clock(r, r->cutoff_tz);
			check_finite_time(r->cutoff, "cutoff");
		}
	}
	lines_init(r->ls, kinds[COL_CUSTOMER], kinds[COL_ORDER], kinds[COL_ITEM], as_of, until,
			   r->budget);
}

static double
number_value(Oid type, Datum v)
{
	switch (type)
	{
		case INT2OID:
			return DatumGetInt16(v);
		case INT4OID:
			return DatumGetInt32(v);
		case INT8OID:
			return (double) DatumGetInt64(v);
		case FLOAT4OID:
			return DatumGetFloat4(v);
		case FLOAT8OID:
			return DatumGetFloat8(v);
		default:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, v));
	}
}

static int64
time_value(Oid type, Datum v)
{
	if (type == DATEOID)
	{
		int			overflow;
		Timestamp	t = date2timestamp_opt_overflow(DatumGetDateADT(v), &overflow);

		if (overflow != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("date out of range for timestamp")));
		return t;
	}
	return DatumGetInt64(v);
}

static void
reader_row(void *arg, TupleTableSlot *slot)
{
	LineReader *r = arg;
	LineStore  *ls = r->ls;
	Datum	   *v;
	bool	   *isnull;
	LineEvent	ev = EVENT_PURCHASE;
	int64		ts;
	double		qty = get_float8_nan(),
				price = get_float8_nan();
	uint32		c,
				o,
				it = 0;
	MemoryContext old;
	int			i;

	slot_getallattrs(slot);
	v = slot->tts_values;
	isnull = slot->tts_isnull;
	r->rows++;
	for (i = 0; i <= COL_TS; i++)
		if (r->col[i] >= 0 && isnull[r->col[i]])
			goto skip;
	ts = time_value(r->types[COL_TS], v[r->col[COL_TS]]);
	check_finite_time(ts, "ts");
	if (ts >= ls->until)
		goto skip;

	old = MemoryContextSwitchTo(r->rowcxt);
	if (r->col[COL_EVENT] >= 0)
	{
		char		buf[8];
		uint32		len;
		const char *p;

		if (isnull[r->col[COL_EVENT]])
		{
			MemoryContextSwitchTo(old);
			goto skip;
		}
		p = key_bytes(&r->keys[COL_EVENT], v[r->col[COL_EVENT]], buf, &len);
		ev = parse_event(p, len);
	}
	/* quantity and price matter for purchases only (views and cart additions are counted) */
	if (r->kind == SOURCE_LINES && ev == EVENT_PURCHASE)
	{
		if (isnull[r->col[COL_QTY]] || isnull[r->col[COL_PRICE]])
		{
			MemoryContextSwitchTo(old);
			goto skip;
		}
		qty = number_value(r->types[COL_QTY], v[r->col[COL_QTY]]);
		check_finite(qty, "quantity");
		price = number_value(r->types[COL_PRICE], v[r->col[COL_PRICE]]);
		check_finite(price, "unit_price");
		if (qty == 0)
		{
			MemoryContextSwitchTo(old);
			goto skip;
		}
	}
	c = dict_value(&ls->customers, &r->keys[COL_CUSTOMER], v[r->col[COL_CUSTOMER]]);
	o = dict_value(&ls->orders, &r->keys[COL_ORDER], v[r->col[COL_ORDER]]);
	if (r->col[COL_ITEM] >= 0)
		it = dict_value(&ls->items, &r->keys[COL_ITEM], v[r->col[COL_ITEM]]);
	MemoryContextSwitchTo(old);
	lines_add(ls, c, o, it, ts, qty, price, ev);
	if ((r->rows & 0xFF) == 0)
		MemoryContextReset(r->rowcxt);
	return;

skip:
	r->skipped++;
}

/*
 * Read the source query of argument 0 into ls.  kind and the settings in
 * *r (as_of, period, cutoff) say which lines are kept.
 */
static void
read_lines(FunctionCallInfo fcinfo, LineReader *r, LineStore *ls, MemBudget *budget)
{
	char	   *query;
	int			natts;
	int			i;
	const char *shape;

	require_arg(fcinfo, 0, "source");
	query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	r->ls = ls;
	r->budget = budget;
	for (i = 0; i < NUM_ROLES; i++)
		r->col[i] = -1;
	if (r->kind == SOURCE_LINES)
	{
		natts = describe_source(query);
		if (natts >= 0 && natts != 6 && natts != 7)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("source query of %s must return 6 or 7 columns", r->caller),
					 errdetail("It returns %d.", natts),
					 errhint("Write it as SELECT customer, order, item, ts, quantity, unit_price [, event] FROM ...")));
		if (natts != 7)
			natts = 6;			/* source_run reports anything else */
		for (i = 0; i < natts; i++)
			r->col[i] = i;
		shape = natts == 7 ? "customer, order, item, ts, quantity, unit_price, event"
			: "customer, order, item, ts, quantity, unit_price";
	}
	else
	{
		natts = describe_source(query);
		if (natts >= 0 && natts != 3)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("source query of %s must return 3 columns", r->caller),
					 errdetail("It returns %d.", natts),
					 errhint("Write it as SELECT customer, order, ts FROM ...")));
		natts = 3;
		r->col[COL_CUSTOMER] = 0;
		r->col[COL_ORDER] = 1;
		r->col[COL_TS] = 2;
		shape = "customer, order, ts";
	}
	r->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "assoc source row",
									  ALLOCSET_SMALL_SIZES);
	source_run(query, natts, shape, r->caller, reader_start, reader_row, r);
	MemoryContextDelete(r->rowcxt);
	if (r->skipped > 0)
		elog(DEBUG1, "%s: %llu of %llu source rows skipped", r->caller,
			 (unsigned long long) r->skipped, (unsigned long long) r->rows);
}

/* ---------- output ---------- */

typedef struct Output
{
	Tuplestorestate *tupstore;
	TupleDesc	tupdesc;
	MemoryContext rowcxt;
	const LineStore *ls;
} Output;

static void
start_output(FunctionCallInfo fcinfo, Output *out)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	out->tupstore = rsinfo->setResult;
	out->tupdesc = rsinfo->setDesc;
	out->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "assoc output row",
										ALLOCSET_DEFAULT_SIZES);
}

static void
put_row(Output *out, Datum *values, bool *nulls)
{
	tuplestore_putvalues(out->tupstore, out->tupdesc, values, nulls);
	MemoryContextReset(out->rowcxt);
}

/* The work context of one call, bounded by assoc.mining_mem. */
typedef struct Work
{
	MemoryContext cxt;
	MemoryContext old;
	MemBudget	budget;
	LineStore	ls;
	LineReader	reader;
	Output		out;
} Work;

static void
work_begin(FunctionCallInfo fcinfo, Work *w, const char *caller, SourceKind kind)
{
	memset(w, 0, sizeof(Work));
	start_output(fcinfo, &w->out);
	w->out.ls = &w->ls;
	w->cxt = AllocSetContextCreate(CurrentMemoryContext, "assoc features", ALLOCSET_DEFAULT_SIZES);
	w->old = MemoryContextSwitchTo(w->cxt);
	budget_init(&w->budget, caller, SOURCE_HINT);
	w->reader.caller = caller;
	w->reader.kind = kind;
}

static void
work_end(Work *w)
{
	MemoryContextSwitchTo(w->old);
	MemoryContextDelete(w->cxt);
}

static TimestampTz
as_of_arg(FunctionCallInfo fcinfo, int argno)
{
	require_arg(fcinfo, argno, "as_of");
	return PG_GETARG_TIMESTAMPTZ(argno);
}

static bool
dedup_arg(FunctionCallInfo fcinfo, int argno)
{
	return !PG_ARGISNULL(argno) && PG_GETARG_BOOL(argno);
}

static uint32 *
ranks(MemBudget *b, const Dict *d)
{
	uint32	   *r = budget_alloc(b, budget_mul(Max(d->n, 1), sizeof(uint32)));

	dict_ranks(d, r);
	return r;
}

/* ---------- per-entity features: customers and products ---------- */

/*
 * Build one state per customer (by_item false) or product from its lines,
 * with the kernels of the aggregates, and fill vec (width values per
 * entity).  Each state lives in a scratch context, charged to a budget that
 * holds what the store has left.
 */
static void
entity_vectors(Work *w, bool by_item, int width, double *vec, bool *isnull, bool *present)
{
	LineStore  *ls = &w->ls;
	uint32	   *perm;
	Size	   *start;
	uint32		n = by_item ? ls->items.n : ls->customers.n;
	uint32		g;
	MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "assoc entity",
												  ALLOCSET_DEFAULT_SIZES);

	lines_group(ls, by_item, &perm, &start);
	for (g = 0; g < n; g++)
	{
		MemoryContext old = MemoryContextSwitchTo(scratch);
		MemBudget	gb;
		Size		j;

		budget_init(&gb, w->budget.what, SOURCE_HINT);
		gb.limit = w->budget.limit - w->budget.used;
		if (!by_item)
		{
			CustState	st;

			cust_init(&st, &gb, ls->as_of);
			for (j = start[g]; j < start[g + 1]; j++)
			{
				uint32		l = perm[j];

				cust_add(&st, (const char *) &ls->order[l], 4, (const char *) &ls->item[l], 4,
						 ls->ts[l], ls->qty[l], ls->price[l], (LineEvent) ls->event[l]);
			}
			cust_final(&st, vec + (Size) g * width, isnull + (Size) g * width);
		}
		else
		{
			ProdState	st;

			/* a product only browsed has no product features */
			prod_init(&st, &gb, ls->as_of);
			present[g] = false;
			for (j = start[g]; j < start[g + 1]; j++)
			{
				uint32		l = perm[j];

				if (ls->event[l] != EVENT_PURCHASE)
					continue;
				present[g] = true;
				prod_add(&st, (const char *) &ls->cust[l], 4, (const char *) &ls->order[l], 4,
						 ls->ts[l], ls->qty[l], ls->price[l]);
			}
			prod_final(&st, vec + (Size) g * width, isnull + (Size) g * width);
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(scratch);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextDelete(scratch);
}

/* Emit (key, features) for each entity of dictionary d (if present[i]), in value order. */
static void
emit_vectors(Work *w, const Dict *d, int width, const double *vec, const bool *isnull,
			 const bool *present)
{
	uint32	   *rank = ranks(&w->budget, d);
	uint32	   *who = budget_alloc(&w->budget, budget_mul(Max(d->n, 1), sizeof(uint32)));
	uint32		i;

	for (i = 0; i < d->n; i++)
		who[rank[i]] = i;
	for (i = 0; i < d->n; i++)
	{
		uint32		g = who[i];
		Datum		values[2];
		bool		nulls[2] = {false, false};
		MemoryContext old;

		if (present && !present[g])
			continue;
		old = MemoryContextSwitchTo(w->out.rowcxt);
		values[0] = dict_text(d, g);
		values[1] = float8_array(vec + (Size) g * width, isnull + (Size) g * width, width);
		MemoryContextSwitchTo(old);
		put_row(&w->out, values, nulls);
	}
}

/*
 * One vector per customer (by_item false, with RFM scores) or per product
 * (by_item true, products with a purchase line only).
 */
static Datum
entity_features(FunctionCallInfo fcinfo, const char *caller, bool by_item)
{
	Work		w;
	int			width = by_item ? PRODUCT_NFEAT : CUSTOMER_NFEAT;
	const Dict *d;
	double	   *vec;
	bool	   *isnull;
	bool	   *present = NULL;

	work_begin(fcinfo, &w, caller, SOURCE_LINES);
	w.reader.as_of_tz = as_of_arg(fcinfo, 1);
	read_lines(fcinfo, &w.reader, &w.ls, &w.budget);
	if (dedup_arg(fcinfo, 2))
		lines_dedup(&w.ls);
	d = by_item ? &w.ls.items : &w.ls.customers;
	vec = budget_alloc0(&w.budget, budget_mul(Max(d->n, 1), width * sizeof(double)));
	isnull = budget_alloc0(&w.budget, budget_mul(Max(d->n, 1), width));
	if (by_item)
		present = budget_alloc0(&w.budget, Max(d->n, 1));
	entity_vectors(&w, by_item, width, vec, isnull, present);
	if (!by_item)
		rfm_scores(vec, isnull, d->n, &w.budget);
	emit_vectors(&w, d, width, vec, isnull, present);
	work_end(&w);
	return (Datum) 0;
}

/*
 * assoc.customer_features(source text, as_of timestamptz, dedup boolean)
 *	RETURNS TABLE(customer_id text, features float8[])
 */
PG_FUNCTION_INFO_V1(customer_features);
Datum
customer_features(PG_FUNCTION_ARGS)
{
	return entity_features(fcinfo, "assoc.customer_features", false);
}

/*
 * assoc.product_features(source text, as_of timestamptz, dedup boolean)
 *	RETURNS TABLE(item_id text, features float8[])
 */
PG_FUNCTION_INFO_V1(product_features);
Datum
product_features(PG_FUNCTION_ARGS)
{
	return entity_features(fcinfo, "assoc.product_features", true);
}

/* ---------- customer x product ---------- */

static void
emit_pair(void *arg, uint32 cust, uint32 item, const double *vec, const bool *isnull)
{
	Output	   *out = arg;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	MemoryContext old = MemoryContextSwitchTo(out->rowcxt);

	values[0] = dict_text(&out->ls->customers, cust);
	values[1] = dict_text(&out->ls->items, item);
	values[2] = float8_array(vec, isnull, PAIR_NFEAT);
	MemoryContextSwitchTo(old);
	put_row(out, values, nulls);
}

/*
 * assoc.customer_product_features(source text, as_of timestamptz,
 *	recent_orders int, min_support float8, min_confidence float8,
 *	max_len int, dedup boolean)
 *	RETURNS TABLE(customer_id text, item_id text, features float8[])
 */
PG_FUNCTION_INFO_V1(customer_product_features);
Datum
customer_product_features(PG_FUNCTION_ARGS)
{
	Work		w;
	PairParams	p;
	uint64		nrules;

	require_arg(fcinfo, 2, "recent_orders");
	require_arg(fcinfo, 3, "min_support");
	require_arg(fcinfo, 4, "min_confidence");
	p.recent_orders = PG_GETARG_INT32(2);
	p.min_support = PG_GETARG_FLOAT8(3);
	p.min_confidence = PG_GETARG_FLOAT8(4);
	p.max_len = PG_ARGISNULL(5) ? 0 : PG_GETARG_INT32(5);
	if (p.recent_orders < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recent_orders must be at least 1"),
				 errdetail("recent_orders is %d.", p.recent_orders),
				 errhint("Give how many of each customer's last orders can fire a rule, e.g. 3.")));
	if (isnan(p.min_support) || p.min_support <= 0 || p.min_support > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_support must be greater than 0 and at most 1"),
				 errdetail("min_support is %g.", p.min_support),
				 errhint("Give the fraction of baskets, e.g. 0.01 for 1%%.")));
	if (isnan(p.min_confidence) || p.min_confidence < 0 || p.min_confidence > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_confidence must be between 0 and 1"),
				 errdetail("min_confidence is %g.", p.min_confidence),
				 errhint("Give a fraction, e.g. 0.1.")));
	if (!PG_ARGISNULL(5) && p.max_len < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_len must be at least 1"),
				 errdetail("max_len is %d.", p.max_len),
				 errhint("Use NULL for no bound on the itemset size.")));

	work_begin(fcinfo, &w, "assoc.customer_product_features", SOURCE_LINES);
	w.reader.as_of_tz = as_of_arg(fcinfo, 1);
	read_lines(fcinfo, &w.reader, &w.ls, &w.budget);
	if (dedup_arg(fcinfo, 6))
		lines_dedup(&w.ls);
	pair_features(&w.ls, &p, ranks(&w.budget, &w.ls.customers), ranks(&w.budget, &w.ls.items),
				  emit_pair, &w.out, &nrules);
	elog(DEBUG1, "assoc.customer_product_features: " UINT64_FORMAT " rules", nrules);
	work_end(&w);
	return (Datum) 0;
}

/* ---------- per-period sequences ---------- */

typedef struct SeqOutput
{
	Output	   *out;
	int			periods;
} SeqOutput;

static void
emit_sequence(void *arg, uint32 cust, uint32 item, const double *seq, bool label)
{
	SeqOutput  *so = arg;
	Output	   *out = so->out;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	MemoryContext old = MemoryContextSwitchTo(out->rowcxt);
	Size		n = (Size) so->periods * PERIOD_NFEAT;
	Datum	   *d = palloc(sizeof(Datum) * n);
	int			dims[2] = {so->periods, PERIOD_NFEAT};
	int			lbs[2] = {1, 1};
	Size		i;

	for (i = 0; i < n; i++)
		d[i] = Float8GetDatum(seq[i]);
	values[0] = dict_text(&out->ls->customers, cust);
	values[1] = dict_text(&out->ls->items, item);
	values[2] = PointerGetDatum(construct_md_array(d, NULL, 2, dims, lbs, FLOAT8OID, 8,
												   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[3] = BoolGetDatum(label);
	MemoryContextSwitchTo(old);
	put_row(out, values, nulls);
}

/*
 * assoc.period_sequences(source text, as_of timestamptz, periods int,
 *	period interval, dedup boolean)
 *	RETURNS TABLE(customer_id text, item_id text, sequence float8[], label boolean)
 */
PG_FUNCTION_INFO_V1(period_sequences_source);
Datum
period_sequences_source(PG_FUNCTION_ARGS)
{
	Work		w;
	int32		periods;
	Interval   *iv;
	int64		period,
				span,
				start;
	SeqOutput	so;

	require_arg(fcinfo, 2, "periods");
	require_arg(fcinfo, 3, "period");
	periods = PG_GETARG_INT32(2);
	iv = PG_GETARG_INTERVAL_P(3);
	if (periods < 1 || periods > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("periods must be between 1 and 1000"),
				 errdetail("periods is %d.", periods),
				 errhint("Give the number of periods of history, e.g. 12 weeks.")));
	if (iv->month != 0 ||
		pg_mul_s64_overflow((int64) iv->day, USECS_PER_DAY, &period) ||
		pg_add_s64_overflow(period, iv->time, &period) || period <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must be a positive interval of fixed length"),
				 errhint("Give it in days, hours or smaller units, e.g. '7 days'; months and years vary in length.")));

	work_begin(fcinfo, &w, "assoc.period_sequences", SOURCE_LINES);
	w.reader.as_of_tz = as_of_arg(fcinfo, 1);
	w.reader.period = period;
	read_lines(fcinfo, &w.reader, &w.ls, &w.budget);
	if (pg_mul_s64_overflow(period, periods, &span) ||
		pg_sub_s64_overflow(w.ls.as_of, span, &start))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("as_of - periods * period is out of range")));
	if (dedup_arg(fcinfo, 4))
		lines_dedup(&w.ls);
	so.out = &w.out;
	so.periods = periods;
	period_sequences(&w.ls, periods, period, ranks(&w.budget, &w.ls.customers),
					 ranks(&w.budget, &w.ls.items), emit_sequence, &so);
	work_end(&w);
	return (Datum) 0;
}

/* ---------- time-based split ---------- */

static void
emit_split(void *arg, uint32 cust, uint32 order, bool test)
{
	Output	   *out = arg;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	MemoryContext old = MemoryContextSwitchTo(out->rowcxt);

	values[0] = dict_text(&out->ls->customers, cust);
	values[1] = dict_text(&out->ls->orders, order);
	values[2] = CStringGetTextDatum(test ? "test" : "train");
	MemoryContextSwitchTo(old);
	put_row(out, values, nulls);
}

/*
 * assoc.time_split(source text, cutoff timestamptz)
 *	RETURNS TABLE(customer_id text, order_id text, split text)
 */
PG_FUNCTION_INFO_V1(time_split_source);
Datum
time_split_source(PG_FUNCTION_ARGS)
{
	Work		w;

	work_begin(fcinfo, &w, "assoc.time_split", SOURCE_ORDERS);
	w.reader.has_cutoff = !PG_ARGISNULL(1);
	if (w.reader.has_cutoff)
		w.reader.cutoff_tz = PG_GETARG_TIMESTAMPTZ(1);
	read_lines(fcinfo, &w.reader, &w.ls, &w.budget);
	time_split(&w.ls, w.reader.has_cutoff, w.reader.cutoff,
			   ranks(&w.budget, &w.ls.customers), ranks(&w.budget, &w.ls.orders),
			   emit_split, &w.out);
	work_end(&w);
	return (Datum) 0;
}
