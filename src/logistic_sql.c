/*
 * logistic_sql.c
 *	  The SQL face of logistic regression: the assoc.train_logistic aggregate
 *	  (transition and final functions) and assoc.logistic_coefficients.
 *
 * Training needs several passes over the rows (Newton or L-BFGS), so the
 * aggregate collects the rows (features and label) into chunks of its state,
 * charged to assoc.mining_mem, and the final function trains on them.
 *
 * The aggregate has no combine function: partial aggregation would only move
 * the rows, with two more copies (serialise, deserialise) and a third into
 * the leader's state, and measured 3.5 times slower than a serial plan on a
 * million rows (docs/models.md).  In a parallel plan, workers can still
 * produce the rows (a Gather below the aggregate, e.g. for joins), and the
 * leader collects and trains.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "funcapi.h"
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

/* bytes of features per chunk of rows */
#define CHUNK_BYTES (1024 * 1024)
#define SLAB_BYTES (32 * 1024 * 1024)

#define MEM_HINT "Raise assoc.mining_mem, or train on a sample of the rows."

typedef struct LogisticState
{
	MemBudget	budget;			/* allocates in the state's context */
	int			p;				/* features per row; 0 before the first row */
	int			chunk_rows;		/* rows per chunk */
	int			nchunks;
	int			maxchunks;
	LogisticChunk *chunks;
	char	   *slab;			/* where the next chunks are carved from */
	int			slab_left;		/* chunks still free in it */
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
	Size		xbytes,
				ybytes;

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
	xbytes = budget_mul(budget_mul(st->chunk_rows, st->p), sizeof(double));
	/* labels, then room for the chunk's moments (2p) */
	ybytes = budget_mul(add_size(st->chunk_rows, 2 * (Size) st->p), sizeof(double));
	if (st->slab_left == 0)
	{
		/*
		 * Chunks come from slabs that grow with the data (as many chunks as
		 * there are already, up to SLAB_BYTES), so a few rows take little
		 * memory and a million rows take few large blocks in huge pages.
		 */
		int			nslab = (int) Max(1, Min((Size) st->nchunks, SLAB_BYTES / (xbytes + ybytes)));

		st->slab = budget_alloc_bulk(&st->budget, budget_mul(nslab, xbytes + ybytes));
		st->slab_left = nslab;
	}
	/* charged as handed out: the rest of the slab is never touched until then */
	budget_charge(&st->budget, xbytes + ybytes);
	ch = &st->chunks[st->nchunks++];
	ch->nrows = 0;
	ch->x = (double *) st->slab;
	ch->y = (double *) (st->slab + xbytes);
	ch->moments = NULL;
	st->slab += xbytes + ybytes;
	st->slab_left--;
	return ch;
}

/*
 * After rows were added to ch: once it is full (it will not change any more),
 * take its moments while its rows are still in the cache.
 */
static void
state_chunk_added(LogisticState *st, LogisticChunk *ch)
{
	if (ch->nrows == st->chunk_rows && ch->moments == NULL)
	{
		ch->moments = ch->y + st->chunk_rows;
		logistic_chunk_moments(ch->x, ch->nrows, st->p, ch->moments, ch->moments + st->p);
	}
}

static void
state_add_row(LogisticState *st, const double *x, bool label)
{
	LogisticChunk *ch = state_chunk_for_row(st);

	memcpy(ch->x + (Size) ch->nrows * st->p, x, sizeof(double) * st->p);
	ch->y[ch->nrows] = label ? 1.0 : 0.0;
	ch->nrows++;
	state_chunk_added(st, ch);
	st->n++;
	if (label)
		st->npos++;
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
	 * the error (or, from a kept Hessian, cuts it below tol / 1000), so 1e-8
	 * gives coefficients as exact as L-BFGS gets at 1e-10.
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
