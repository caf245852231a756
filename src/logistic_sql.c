/*
 * logistic_sql.c
 *	  The SQL face of logistic regression: the assoc.train_logistic aggregate
 *	  (transition, combine, serialise, deserialise, final) and
 *	  assoc.logistic_coefficients.
 *
 * Training needs several passes over the rows (Newton or L-BFGS), so the
 * aggregate collects the rows (features and label) into chunks of its state,
 * charged to assoc.mining_mem, and the final function trains on them.  In a
 * parallel plan each worker collects its share; the partial states travel to
 * the leader serialised and are concatenated by the combine function.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "aggstate.h"
#include "budget.h"
#include "envelope.h"
#include "featvec.h"
#include "jsonout.h"
#include "logistic.h"
#include "options.h"

#define STATE_FORMAT_VERSION 2		/* 2: options as JSON text */
/* bytes of features per chunk of rows */
#define CHUNK_BYTES (1024 * 1024)

#define MEM_HINT "Raise assoc.mining_mem, or train on a sample of the rows."

typedef struct LogisticState
{
	MemBudget	budget;			/* allocates in the state's context */
	int			p;				/* features per row; 0 before the first row */
	int			chunk_rows;		/* rows per chunk */
	int			nchunks;
	int			maxchunks;
	LogisticChunk *chunks;
	int64		n;				/* rows collected */
	int64		npos;			/* ... with label true */
	int64		skipped;		/* rows with a NULL label or features */
	Jsonb	   *options;		/* options of the first row (NULL if none) */
} LogisticState;

/* Options as parsed; solver and class weights still to be resolved. */
typedef struct TrainOptions
{
	LogisticParams prm;
	char	   *solver;
	char	   *class_weight;	/* JSON text, or NULL */
	OptionSpec	specs[9];
} TrainOptions;

static void
parse_options(Jsonb *opts, TrainOptions *o)
{
	OptionSpec	specs[] = {
		{"l2", OPTION_FLOAT, &o->prm.l2, 0, 1e300},
		{"fit_intercept", OPTION_BOOL, &o->prm.fit_intercept, 0, 0},
		{"standardize", OPTION_BOOL, &o->prm.standardize, 0, 0},
		{"class_weight", OPTION_JSON, &o->class_weight, 0, 0},
		{"solver", OPTION_TEXT, &o->solver, 0, 0},
		{"max_iter", OPTION_INT, &o->prm.max_iter, 1, 1000000},
		{"tol", OPTION_FLOAT, &o->prm.tol, 0, 1},	/* specs[6] */
		{"warm_start", OPTION_BOOL, &o->prm.warm_start, 0, 0},
		{"verbose", OPTION_BOOL, &o->prm.verbose, 0, 0},
	};

	StaticAssertStmt(lengthof(specs) == lengthof(o->specs), "option table size");
	memset(o, 0, sizeof(*o));
	o->prm.l2 = 1.0;
	o->prm.fit_intercept = true;
	o->prm.standardize = true;
	o->prm.weight_pos = 1.0;
	o->prm.weight_neg = 1.0;
	o->prm.warm_start = true;
	o->prm.max_iter = 0;		/* 0: the solver's default */
	o->prm.tol = 0;				/* 0: the solver's default */
	o->solver = "auto";
	o->class_weight = NULL;
	memcpy(o->specs, specs, sizeof(specs));
	options_parse(opts, o->specs, lengthof(specs), "assoc.train_logistic");

	if (strcmp(o->solver, "auto") == 0)
		o->prm.solver = LOGISTIC_AUTO;
	else if (strcmp(o->solver, "newton") == 0)
		o->prm.solver = LOGISTIC_NEWTON;
	else if (strcmp(o->solver, "lbfgs") == 0)
		o->prm.solver = LOGISTIC_LBFGS;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"solver\" of assoc.train_logistic must be \"auto\", \"newton\" or \"lbfgs\""),
				 errdetail("It is \"%s\".", o->solver)));
}

static void
bad_class_weight(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"class_weight\" of assoc.train_logistic must be \"balanced\" or an object of positive weights"),
			 errdetail("%s", detail),
			 errhint("Pass e.g. '{\"class_weight\": \"balanced\"}' or '{\"class_weight\": {\"true\": 5, \"false\": 1}}'.")));
}

/*
 * Class weights from option "class_weight": null (1 and 1), "balanced"
 * (n / (2 n_class), as scikit-learn), or {"true": w1, "false": w0} with
 * positive finite weights (a missing key weighs 1).
 */
static void
resolve_class_weight(TrainOptions *o, int64 n, int64 npos)
{
	Jsonb	   *jb;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (o->class_weight == NULL || strcmp(o->class_weight, "null") == 0)
		return;
	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(o->class_weight)));
	if (JB_ROOT_IS_SCALAR(jb))
	{
		JsonbValue	s;

		if (!JsonbExtractScalar(&jb->root, &s) || s.type != jbvString ||
			s.val.string.len != 8 || strncmp(s.val.string.val, "balanced", 8) != 0)
			bad_class_weight("The only string it accepts is \"balanced\".");
		o->prm.weight_pos = (double) n / (2.0 * (double) npos);
		o->prm.weight_neg = (double) n / (2.0 * (double) (n - npos));
		return;
	}
	if (!JB_ROOT_IS_OBJECT(jb))
		bad_class_weight("It is an array.");
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		double	   *dest;
		double		w;

		if (tok != WJB_KEY)
			continue;
		if (v.val.string.len == 4 && strncmp(v.val.string.val, "true", 4) == 0)
			dest = &o->prm.weight_pos;
		else if (v.val.string.len == 5 && strncmp(v.val.string.val, "false", 5) == 0)
			dest = &o->prm.weight_neg;
		else
			bad_class_weight("Its keys must be \"true\" and \"false\".");
		tok = JsonbIteratorNext(&it, &v, true);
		if (v.type != jbvNumeric)
			bad_class_weight("Its weights must be numbers.");
		w = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v.val.numeric)));
		if (!(w > 0) || !isfinite(w))
			bad_class_weight("Its weights must be positive and finite.");
		*dest = w;
	}
}

/* ---------- the aggregate state ---------- */

static LogisticState *
state_create(MemoryContext cxt, Jsonb *options)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	LogisticState *st = palloc0(sizeof(LogisticState));

	budget_init(&st->budget, "assoc.train_logistic", MEM_HINT);
	if (options)
	{
		st->options = palloc(VARSIZE(options));
		memcpy(st->options, options, VARSIZE(options));
	}
	MemoryContextSwitchTo(old);
	return st;
}

static bool
same_options(const Jsonb *a, const Jsonb *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

static void
check_same_options(const LogisticState *st, const Jsonb *options)
{
	if (!same_options(st->options, options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options of assoc.train_logistic must be the same for every row"),
				 errhint("Pass the options as a constant.")));
}

/* Make the state hold rows of p features (the first row decides). */
static void
state_set_width(LogisticState *st, int p)
{
	if (st->p == 0)
	{
		if (p < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features of assoc.train_logistic must not be empty")));
		st->p = p;
		st->chunk_rows = (int) Max(16, Min(65536, CHUNK_BYTES / ((Size) p * sizeof(double))));
	}
	else if (p != st->p)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("all feature vectors of assoc.train_logistic must have the same length"),
				 errdetail("The first row has %d features, this one %d.", st->p, p)));
}

/* Room for one more row: the last chunk, or a new one. */
static LogisticChunk *
state_chunk_for_row(LogisticState *st)
{
	LogisticChunk *ch;

	if (st->nchunks > 0 && st->chunks[st->nchunks - 1].nrows < st->chunk_rows)
		return &st->chunks[st->nchunks - 1];
	if (st->nchunks == st->maxchunks)
	{
		int			newmax = Max(16, st->maxchunks * 2);

		st->chunks = budget_realloc(&st->budget, st->chunks,
									sizeof(LogisticChunk) * st->maxchunks,
									budget_mul(newmax, sizeof(LogisticChunk)));
		st->maxchunks = newmax;
	}
	ch = &st->chunks[st->nchunks++];
	ch->nrows = 0;
	ch->x = budget_alloc(&st->budget,
						 budget_mul(budget_mul(st->chunk_rows, st->p), sizeof(double)));
	ch->y = budget_alloc(&st->budget, budget_mul(st->chunk_rows, sizeof(double)));
	return ch;
}

static void
state_add_row(LogisticState *st, const double *x, bool label)
{
	LogisticChunk *ch = state_chunk_for_row(st);

	memcpy(ch->x + (Size) ch->nrows * st->p, x, sizeof(double) * st->p);
	ch->y[ch->nrows] = label ? 1.0 : 0.0;
	ch->nrows++;
	st->n++;
	if (label)
		st->npos++;
}

/* Append nrows rows (features x, labels y of 0 or 1) in runs of whole chunks. */
static void
state_append_rows(LogisticState *st, const double *x, const double *y, int nrows)
{
	while (nrows > 0)
	{
		LogisticChunk *ch = state_chunk_for_row(st);
		int			take = Min(nrows, st->chunk_rows - ch->nrows);
		int			i;

		memcpy(ch->x + (Size) ch->nrows * st->p, x, sizeof(double) * st->p * take);
		memcpy(ch->y + ch->nrows, y, sizeof(double) * take);
		for (i = 0; i < take; i++)
			if (y[i] > 0)
				st->npos++;
		ch->nrows += take;
		st->n += take;
		x += (Size) take * st->p;
		y += take;
		nrows -= take;
	}
}

/*
 * train_logistic_transfn(state internal, features float8[], label boolean
 *						  [, options jsonb]) RETURNS internal
 *
 * Adds one row.  Rows with a NULL label or NULL features are skipped (and
 * counted); options are checked on the first row.
 */
PG_FUNCTION_INFO_V1(train_logistic_transfn);
Datum
train_logistic_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "train_logistic_transfn");
	LogisticState *st = AGG_STATE_ARG(LogisticState, 0);
	Jsonb	   *opts = (PG_NARGS() > 3 && !PG_ARGISNULL(3)) ? PG_GETARG_JSONB_P(3) : NULL;
	const double *x;
	int			n;

	if (st == NULL)
	{
		TrainOptions o;

		parse_options(opts, &o);	/* fail on bad options before reading rows */
		st = state_create(aggcxt, opts);
	}
	else
		check_same_options(st, opts);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		st->skipped++;
		PG_RETURN_POINTER(st);
	}
	x = featvec_get(PG_GETARG_ARRAYTYPE_P(1), &n, "features");
	state_set_width(st, n);
	state_add_row(st, x, PG_GETARG_BOOL(2));
	PG_RETURN_POINTER(st);
}

/*
 * train_logistic_combine(internal, internal) RETURNS internal
 *
 * Appends the rows of the second state to the first (copied into the
 * aggregate context).
 */
PG_FUNCTION_INFO_V1(train_logistic_combine);
Datum
train_logistic_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "train_logistic_combine");
	LogisticState *a = AGG_STATE_ARG(LogisticState, 0);
	LogisticState *b = AGG_STATE_ARG(LogisticState, 1);
	int			c;

	AGG_COMBINE_IF_NO_SECOND(a, b);
	if (a == NULL)
		a = state_create(aggcxt, b->options);
	else
		check_same_options(a, b->options);
	a->skipped += b->skipped;
	if (b->p > 0)
		state_set_width(a, b->p);
	for (c = 0; c < b->nchunks; c++)
	{
		state_append_rows(a, b->chunks[c].x, b->chunks[c].y, b->chunks[c].nrows);
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_POINTER(a);
}

/*
 * train_logistic_serialize(internal) RETURNS bytea
 *
 * Format, version 2 (pq_send*, network byte order):
 *	int8	format version (2)
 *	int32	p (0 before the first row)
 *	int64	rows, rows with label true, skipped rows
 *	options	as options_send writes them (length, JSON text)
 *	rows	each: p float8 features, then int8 label (0 or 1)
 */
PG_FUNCTION_INFO_V1(train_logistic_serialize);
Datum
train_logistic_serialize(PG_FUNCTION_ARGS)
{
	LogisticState *st = (LogisticState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	Size		rowbytes = (Size) st->p * sizeof(double) + 1;
	Size		optbytes = st->options ? VARSIZE(st->options) : 0;
	Size		total;
	int			c,
				i,
				j;

	(void) agg_context(fcinfo, "train_logistic_serialize");
	total = add_size(add_size(1 + 4 + 3 * 8 + 4, optbytes), mul_size(rowbytes, (Size) st->n));
	if (total > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the rows a parallel worker collected for assoc.train_logistic exceed 1 GB"),
				 errhint("Run training without parallel workers: SET max_parallel_workers_per_gather = 0.")));
	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, (int) total);
	pq_sendbyte(&buf, STATE_FORMAT_VERSION);
	pq_sendint32(&buf, st->p);
	pq_sendint64(&buf, st->n);
	pq_sendint64(&buf, st->npos);
	pq_sendint64(&buf, st->skipped);
	options_send(&buf, st->options);
	/* make room for the rows: then write without enlarging per value */
	enlargeStringInfo(&buf, (int) (total - optbytes));
	for (c = 0; c < st->nchunks; c++)
	{
		const LogisticChunk *ch = &st->chunks[c];

		for (i = 0; i < ch->nrows; i++)
		{
			for (j = 0; j < st->p; j++)
			{
				uint64		bits;

				memcpy(&bits, &ch->x[(Size) i * st->p + j], sizeof(bits));
				pq_writeint64(&buf, bits);
			}
			pq_writeint8(&buf, ch->y[i] > 0 ? 1 : 0);
		}
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
state_corrupted(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("assoc.train_logistic aggregate state is corrupted"),
			 errdetail("%s", detail)));
}

/*
 * train_logistic_deserialize(bytea, internal) RETURNS internal
 *
 * Every size is checked against the bytes present before anything is
 * allocated; labels must be 0 or 1 and features finite.
 */
PG_FUNCTION_INFO_V1(train_logistic_deserialize);
Datum
train_logistic_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	LogisticState *st;
	Jsonb	   *options = NULL;
	int32		p;
	int64		n,
				npos,
				skipped,
				i,
				k;
	const char *rows;

	(void) agg_context(fcinfo, "train_logistic_deserialize");
	buf.data = VARDATA_ANY(sstate);
	buf.len = VARSIZE_ANY_EXHDR(sstate);
	buf.maxlen = buf.len;
	buf.cursor = 0;
	if (buf.len < 1 + 4 + 3 * 8 + 4)
		state_corrupted("It is too short.");
	if (pq_getmsgbyte(&buf) != STATE_FORMAT_VERSION)
		state_corrupted("Its format version is unknown.");
	p = (int32) pq_getmsgint(&buf, 4);
	n = pq_getmsgint64(&buf);
	npos = pq_getmsgint64(&buf);
	skipped = pq_getmsgint64(&buf);
	if (p < 0 || n < 0 || npos < 0 || npos > n || skipped < 0 || (p == 0 && n > 0))
		state_corrupted("Its counts are inconsistent.");
	options = options_receive(&buf, "assoc.train_logistic");
	if ((uint64) n > (uint64) (buf.len - buf.cursor) / ((uint64) p * sizeof(double) + 1) ||
		(Size) (buf.len - buf.cursor) != (Size) n * ((Size) p * sizeof(double) + 1))
		state_corrupted("Its rows do not match its size.");

	st = state_create(CurrentMemoryContext, options);
	st->skipped = skipped;
	if (p > 0)
		state_set_width(st, p);
	rows = pq_getmsgbytes(&buf, buf.len - buf.cursor);
	for (i = 0; i < n; i++)
	{
		LogisticChunk *ch = state_chunk_for_row(st);
		double	   *x = ch->x + (Size) ch->nrows * p;
		uint8		label;

		for (k = 0; k < p; k++)
		{
			uint64		bits;

			memcpy(&bits, rows, sizeof(bits));
			bits = pg_ntoh64(bits);
			memcpy(&x[k], &bits, sizeof(bits));
			if (!isfinite(x[k]))
				state_corrupted("A feature is not finite.");
			rows += sizeof(bits);
		}
		label = (uint8) *rows++;
		if (label > 1)
			state_corrupted("A label is not 0 or 1.");
		ch->y[ch->nrows++] = label;
		st->n++;
		st->npos += label;
		if ((i & 4095) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (st->npos != npos)
		state_corrupted("Its label counts are inconsistent.");
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* The options actually used, as JSON. */
static char *
info_json(const char *solver, const LogisticReport *rep, const LogisticState *st,
		  const LogisticParams *prm)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "{\"solver\": \"%s\", \"iterations\": %d, \"converged\": %s"
					 ", \"passes\": %d, \"warm_start_rows\": " INT64_FORMAT
					 ", \"warm_start_iterations\": %d",
					 solver, rep->iterations, rep->converged ? "true" : "false",
					 rep->passes, rep->warm_rows, rep->warm_iterations);
	appendStringInfoString(&s, ", \"objective\": ");
	json_append_float(&s, rep->objective);
	appendStringInfoString(&s, ", \"gradient_norm\": ");
	json_append_float(&s, rep->grad_norm);
	appendStringInfo(&s, ", \"features\": %d, \"positives\": " INT64_FORMAT
					 ", \"negatives\": " INT64_FORMAT ", \"skipped_rows\": " INT64_FORMAT,
					 st->p, st->npos, st->n - st->npos, st->skipped);
	appendStringInfoString(&s, ", \"class_weights\": {\"false\": ");
	json_append_float(&s, prm->weight_neg);
	appendStringInfoString(&s, ", \"true\": ");
	json_append_float(&s, prm->weight_pos);
	appendStringInfoString(&s, "}}");
	return s.data;
}

/*
 * train_logistic_final(internal) RETURNS bytea
 *
 * Trains on the collected rows and returns the model.  The state is only
 * read, so the final function may run more than once on it.
 */
PG_FUNCTION_INFO_V1(train_logistic_final);
Datum
train_logistic_final(PG_FUNCTION_ARGS)
{
	LogisticState *st = AGG_STATE_ARG(LogisticState, 0);
	TrainOptions o;
	LogisticData d;
	LogisticModel m;
	LogisticReport rep;
	ModelMeta	meta;
	MemBudget	budget;
	const char *solver;

	if (st == NULL || st->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("assoc.train_logistic needs at least one training row"),
				 st ? errdetail(INT64_FORMAT " rows were skipped because their features or label were NULL.",
								st->skipped) : 0));
	if (st->npos == 0 || st->npos == st->n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("assoc.train_logistic needs rows of both labels"),
				 errdetail("All " INT64_FORMAT " rows have label %s.", st->n,
						   st->npos ? "true" : "false")));

	parse_options(st->options, &o);
	resolve_class_weight(&o, st->n, st->npos);
	if (o.prm.solver == LOGISTIC_AUTO)
		o.prm.solver = st->p <= LOGISTIC_NEWTON_MAX_P ? LOGISTIC_NEWTON : LOGISTIC_LBFGS;
	solver = o.prm.solver == LOGISTIC_NEWTON ? "newton" : "lbfgs";
	o.solver = (char *) solver;
	if (o.prm.max_iter == 0)
		o.prm.max_iter = o.prm.solver == LOGISTIC_NEWTON ? 100 : 1000;

	/*
	 * Newton ends with one more step from a gradient below tol, which squares
	 * the error, so 1e-8 gives coefficients as exact as L-BFGS gets at 1e-10.
	 */
	if (!o.specs[6].present)
		o.prm.tol = o.prm.solver == LOGISTIC_NEWTON ? 1e-8 : 1e-10;

	d.p = st->p;
	d.nchunks = st->nchunks;
	d.chunks = st->chunks;
	d.n = st->n;
	d.npos = st->npos;

	/* working memory shares the bound with the collected rows */
	budget_init(&budget, "assoc.train_logistic", MEM_HINT);
	budget.limit = budget.limit > st->budget.used ? budget.limit - st->budget.used : 0;
	logistic_fit(&d, &o.prm, &budget, &m, &rep);

	memset(&meta, 0, sizeof(meta));
	meta.training_rows = (uint64) st->n;
	meta.loss = rep.loss;
	meta.params_json = options_to_json(o.specs, lengthof(o.specs));
	meta.info_json = info_json(solver, &rep, st, &o.prm);
	PG_RETURN_BYTEA_P(logistic_encode(&m, &meta));
}

/*
 * assoc.logistic_coefficients(model bytea) RETURNS TABLE (feature int,
 *		coefficient float8, raw_coefficient float8, mean float8, scale float8)
 *
 * One row per coefficient: feature 0 is the intercept, then features 1..p.
 * coefficient is on the scale the model was fitted on (standardised features
 * if it standardised; the intercept is 0 if none was fitted); raw_coefficient
 * applies to the features as given, so that P = sigmoid(raw_0 + sum raw_j x_j).
 * A standardised model without a fitted intercept still has a raw intercept:
 * centring the features moves the origin.
 */
PG_FUNCTION_INFO_V1(logistic_coefficients);
Datum
logistic_coefficients(PG_FUNCTION_ARGS)
{
	bytea	   *model = PG_GETARG_BYTEA_PP(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ModelHeader h;
	ModelReader body;
	LogisticModel *m;
	int			j;

	model_open(model, MODEL_LOGISTIC, &h, NULL, &body);
	m = logistic_decode(&h, &body);
	InitMaterializedSRF(fcinfo, 0);
	for (j = -1; j < m->p; j++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = Int32GetDatum(j + 1);
		if (j < 0)
		{
			values[1] = Float8GetDatum(m->intercept);
			values[2] = Float8GetDatum(m->raw_intercept);
			nulls[3] = nulls[4] = true;
		}
		else
		{
			values[1] = Float8GetDatum(m->coef[j]);
			values[2] = Float8GetDatum(m->raw_coef[j]);
			values[3] = Float8GetDatum(m->mean[j]);
			values[4] = Float8GetDatum(m->scale[j]);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
