/*
 * convnet_sql.c
 *	  SQL face of the convolutional network: the assoc.train_convnet
 *	  aggregate (transition, combine, serialise, deserialise, final),
 *	  convnet_input (the input check of assoc.predict) and assoc.convnet_gradient_check.
 *
 * The aggregate collects examples (a float8[] of steps x features and a
 * boolean label per row) in chunks charged to a MemBudget bounded by
 * assoc.mining_mem; the final function trains a network on them with the
 * kernel in convnet.c and returns a MODEL_CONVNET model.  Its state is
 * internal; the serial form (version 1, all integers big-endian) is
 *	u8 version, u32 steps, u32 features (0, 0 before the first example),
 *	i64 skipped rows, i32 options length (-1: none) + the options' jsonb bytes,
 *	i64 examples, then per example: u8 label, steps*features float8.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "aggstate.h"
#include "budget.h"
#include "convnet.h"
#include "envelope.h"
#include "options.h"

#define TRAIN_CALLER "assoc.train_convnet"
#define STATE_VERSION 2			/* 2: options as JSON text */
#define CHUNK_BYTES (256 * 1024)
#define GRADCHECK_MAX_WORK 500000	/* parameters + batch inputs of one gradient check */

#define LAYER_TYPES_HINT "Layer types: conv1d (filters, kernel, activation), maxpool1d (pool), flatten, dense (units, activation), dropout (rate)."

/* ---------- options ---------- */

typedef struct TrainOptions
{
	char	   *layers;			/* JSON text; NULL: the default architecture */
	int			steps;			/* 0: from the arrays */
	int			seed;
	bool		verbose;
	ConvTrainConfig cfg;
	int			epochs;
	int			batch_size;
	int			patience;
	OptionSpec	specs[16];
	int			nspecs;
} TrainOptions;

/* Defaults, then the values of opts (may be NULL); errors name the key. */
static void
train_options_parse(TrainOptions *o, Jsonb *opts)
{
	ConvTrainConfig *c = &o->cfg;
	OptionSpec	specs[] = {
		{"layers", OPTION_JSON, &o->layers, 0, -1},
		{"steps", OPTION_INT, &o->steps, 1, CONVNET_MAX_INPUT},
		{"epochs", OPTION_INT, &o->epochs, 1, 100000},
		{"batch_size", OPTION_INT, &o->batch_size, 1, 65536},
		{"learning_rate", OPTION_FLOAT, &c->learning_rate, 1e-12, 10},
		{"beta1", OPTION_FLOAT, &c->beta1, 0, 0.999999},
		{"beta2", OPTION_FLOAT, &c->beta2, 0, 0.99999999},
		{"epsilon", OPTION_FLOAT, &c->epsilon, 1e-300, 1},
		{"l2", OPTION_FLOAT, &c->l2, 0, 1e6},
		{"validation_fraction", OPTION_FLOAT, &c->validation_fraction, 0, 0.9},
		{"patience", OPTION_INT, &o->patience, 0, 100000},
		{"min_delta", OPTION_FLOAT, &c->min_delta, 0, 1e6},
		{"standardize", OPTION_BOOL, &c->standardize, 0, -1},
		{"seed", OPTION_INT, &o->seed, 0, PG_INT32_MAX},
		{"verbose", OPTION_BOOL, &o->verbose, 0, -1},
	};

	StaticAssertStmt(lengthof(specs) <= lengthof(o->specs), "too many options");
	o->layers = NULL;
	o->steps = 0;
	o->seed = 1;
	o->verbose = false;
	o->epochs = 30;
	o->batch_size = 64;
	o->patience = 5;
	c->learning_rate = 0.001;
	c->beta1 = 0.9;
	c->beta2 = 0.999;
	c->epsilon = 1e-8;
	c->l2 = 0;
	c->validation_fraction = 0.2;
	c->min_delta = 0;
	c->standardize = true;
	o->nspecs = lengthof(specs);
	memcpy(o->specs, specs, sizeof(specs));
	/* the copies in o->specs point at o's fields, as the originals do */
	options_parse(opts, o->specs, o->nspecs, TRAIN_CALLER);
	c->epochs = o->epochs;
	c->batch_size = o->batch_size;
	c->patience = o->patience;
	c->seed = o->seed;
}

/* ---------- architecture ---------- */

/* The design the project started from: 12 steps -> 10 -> 5 -> 3 -> 1. */
#define DEFAULT_LAYERS \
	"[{\"type\": \"conv1d\", \"filters\": 64, \"kernel\": 3, \"activation\": \"relu\"}, " \
	"{\"type\": \"maxpool1d\", \"pool\": 2}, " \
	"{\"type\": \"conv1d\", \"filters\": 128, \"kernel\": 3, \"activation\": \"relu\"}, " \
	"{\"type\": \"maxpool1d\", \"pool\": 2}, {\"type\": \"flatten\"}, " \
	"{\"type\": \"dense\", \"units\": 1, \"activation\": \"sigmoid\"}]"

static Jsonb *text_to_jsonb(const char *s);

static ConvActivation
parse_activation(const char *s, const char *caller)
{
	if (strcmp(s, "relu") == 0)
		return CONV_ACT_RELU;
	if (strcmp(s, "sigmoid") == 0)
		return CONV_ACT_SIGMOID;
	if (strcmp(s, "linear") == 0)
		return CONV_ACT_LINEAR;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"activation\" of %s must be \"relu\", \"sigmoid\" or \"linear\"", caller),
			 errdetail("It is \"%s\".", s)));
	return CONV_ACT_LINEAR;		/* keep compiler quiet */
}

/* What each layer type takes in its JSON object (besides "type"). */
typedef struct LayerKind
{
	const char *name;
	ConvLayerType type;
	const char *size_key;		/* "filters", "pool", "units" or NULL */
	int			size_max;
	int			size_default;	/* 0: the key is required */
	bool		has_kernel;
	bool		has_activation;
	bool		has_rate;
} LayerKind;

static const LayerKind layer_kinds[] = {
	{"conv1d", CONV_LAYER_CONV1D, "filters", CONVNET_MAX_WIDTH, 0, true, true, false},
	{"maxpool1d", CONV_LAYER_MAXPOOL1D, "pool", CONVNET_MAX_INPUT, 2, false, false, false},
	{"flatten", CONV_LAYER_FLATTEN, NULL, 0, 0, false, false, false},
	{"dense", CONV_LAYER_DENSE, "units", CONVNET_MAX_WIDTH, 0, false, true, false},
	{"dropout", CONV_LAYER_DROPOUT, NULL, 0, 0, false, false, true},
};

/*
 * One layer from its JSON object lj (number nl, 1-based); returns whether
 * "activation" was given.  Errors name the layer and the key.
 */
static bool
parse_layer(Jsonb *lj, int nl, ConvLayer *L, const char *caller)
{
	JsonbValue *tv = getKeyJsonValueFromContainer(&lj->root, "type", 4, NULL);
	const LayerKind *k = NULL;
	char	   *type;
	char	   *where;
	char	   *dummy = NULL;
	char	   *act = NULL;
	OptionSpec	s[4];
	int			ns = 0,
				i;

	if (tv == NULL || tv->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("layer %d of option \"layers\" of %s needs a \"type\" string", nl, caller),
				 errhint(LAYER_TYPES_HINT)));
	type = pnstrdup(tv->val.string.val, tv->val.string.len);
	for (i = 0; i < lengthof(layer_kinds); i++)
		if (strcmp(type, layer_kinds[i].name) == 0)
			k = &layer_kinds[i];
	if (k == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("layer %d of option \"layers\" of %s has unknown type \"%s\"", nl, caller, type),
				 errhint(LAYER_TYPES_HINT)));
	where = psprintf("layer %d (%s) of %s", nl, type, caller);

	memset(L, 0, sizeof(ConvLayer));
	L->type = k->type;
	L->size = k->size_default;
	L->act = CONV_ACT_RELU;
	s[ns++] = (OptionSpec) {"type", OPTION_TEXT, &dummy, 0, -1};
	if (k->size_key)
		s[ns++] = (OptionSpec) {k->size_key, OPTION_INT, &L->size, 1, k->size_max};
	if (k->has_kernel)
		s[ns++] = (OptionSpec) {"kernel", OPTION_INT, &L->kernel, 1, CONVNET_MAX_INPUT};
	if (k->has_activation)
		s[ns++] = (OptionSpec) {"activation", OPTION_TEXT, &act, 0, -1};
	if (k->has_rate)
		s[ns++] = (OptionSpec) {"rate", OPTION_FLOAT, &L->rate, 0, 0.99};
	options_parse(lj, s, ns, where);
	for (i = 1; i < ns; i++)
		if (!s[i].present && strcmp(s[i].name, "activation") != 0 &&
			!(k->size_default != 0 && s[i].dest == &L->size))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s needs option \"%s\"", where, s[i].name),
					 errhint(LAYER_TYPES_HINT)));
	if (act)
		L->act = parse_activation(act, where);
	return act != NULL;
}

/*
 * The layers of net from a JSON array of layer objects (NULL: the default
 * architecture).  Shapes are not checked here (convnet_plan does).  A dense
 * layer without "activation" gets sigmoid if it is the last, relu otherwise.
 */
static void
parse_layers(Jsonb *layers, ConvNet *net, const char *caller)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			nl = 0;
	bool		last_act_given = false;

	if (layers == NULL)
		layers = text_to_jsonb(DEFAULT_LAYERS);
	memset(net->layers, 0, sizeof(net->layers));
	if (!JB_ROOT_IS_ARRAY(layers) || JB_ROOT_IS_SCALAR(layers))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"layers\" of %s must be a JSON array of layer objects", caller),
				 errhint("For example [{\"type\": \"conv1d\", \"filters\": 32, \"kernel\": 3}, "
						 "{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 1}].")));

	it = JsonbIteratorInit(&layers->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok != WJB_ELEM)
			continue;
		if (nl >= CONVNET_MAX_LAYERS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"layers\" of %s has more than %d layers", caller,
							CONVNET_MAX_LAYERS)));
		nl++;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("layer %d of option \"layers\" of %s must be a JSON object", nl, caller),
					 errhint(LAYER_TYPES_HINT)));
		last_act_given = parse_layer(JsonbValueToJsonb(&v), nl, &net->layers[nl - 1], caller);
	}
	if (nl == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"layers\" of %s has no layers", caller),
				 errhint(LAYER_TYPES_HINT)));
	net->nlayers = nl;
	if (net->layers[nl - 1].type == CONV_LAYER_DENSE && !last_act_given)
		net->layers[nl - 1].act = CONV_ACT_SIGMOID;
}

/* Plan net (input shape and layers set) or raise an error naming the layer. */
static void
plan_or_error(ConvNet *net, const char *caller)
{
	int			bad;
	char	   *err = convnet_plan(net, &bad);

	if (err != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the layers of %s do not fit: %s", caller, err),
				 errdetail("Shapes (steps x channels): %s.", convnet_shapes(net)),
				 errhint("Use shorter kernels or pools, fewer pooling layers, or longer sequences; "
						 "end with a flatten and a dense layer with 1 unit and sigmoid activation.")));
}

/* The architecture as a JSON array (the "layers" option that reproduces it). */
static void
append_layers_json(StringInfo s, const ConvNet *net, bool with_shapes)
{
	int			l;

	appendStringInfoChar(s, '[');
	for (l = 0; l < net->nlayers; l++)
	{
		const ConvLayer *L = &net->layers[l];

		if (l > 0)
			appendStringInfoString(s, ", ");
		appendStringInfo(s, "{\"type\": \"%s\"", convnet_layer_name(L->type));
		switch (L->type)
		{
			case CONV_LAYER_CONV1D:
				appendStringInfo(s, ", \"filters\": %d, \"kernel\": %d, \"activation\": \"%s\"",
								 L->size, L->kernel, convnet_activation_name(L->act));
				break;
			case CONV_LAYER_MAXPOOL1D:
				appendStringInfo(s, ", \"pool\": %d", L->size);
				break;
			case CONV_LAYER_DENSE:
				appendStringInfo(s, ", \"units\": %d, \"activation\": \"%s\"",
								 L->size, convnet_activation_name(L->act));
				break;
			case CONV_LAYER_DROPOUT:
				appendStringInfo(s, ", \"rate\": %.17g", L->rate);
				break;
			case CONV_LAYER_FLATTEN:
				break;
		}
		if (with_shapes)
			appendStringInfo(s, ", \"output\": [%d, %d], \"parameters\": %zu",
							 L->out_len, L->out_ch, L->nweights + L->nbias);
		appendStringInfoChar(s, '}');
	}
	appendStringInfoChar(s, ']');
}

static Jsonb *
text_to_jsonb(const char *s)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(s)));
}

/* ---------- the aggregate state ---------- */

typedef struct ConvState
{
	MemBudget	budget;			/* charged: chunks and the chunk table */
	Jsonb	   *options;		/* copy of the options argument, or NULL */
	TrainOptions opts;			/* parsed */
	int			steps;			/* 0 until the first example */
	int			features;
	int			rowlen;
	int64		skipped;		/* rows with a NULL features or label */
	int64		n;
	int64		per_chunk;
	int64		nchunks;
	int64		maxchunks;
	double	  **x;
	bool	  **y;
} ConvState;

#define STATE_HINT "Raise assoc.mining_mem (each example takes 8 bytes per value; training adds about 5 copies of the parameters and a batch of activations), or train on a sample of the rows."

/* A new state in cxt; opts is copied. */
static ConvState *
state_create(MemoryContext cxt, Jsonb *opts)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ConvState  *st = palloc0(sizeof(ConvState));

	budget_init(&st->budget, TRAIN_CALLER, STATE_HINT);
	st->budget.cxt = cxt;
	budget_charge(&st->budget, sizeof(ConvState));
	if (opts != NULL)
	{
		st->options = palloc(VARSIZE(opts));
		memcpy(st->options, opts, VARSIZE(opts));
	}
	train_options_parse(&st->opts, st->options);
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

/*
 * Fix the input shape (first example) and check the architecture against
 * it, so that a network that does not fit fails before the data is read.
 */
static void
state_set_shape(ConvState *st, int steps, int features)
{
	ConvNet		net;

	memset(&net, 0, sizeof(net));
	net.steps = steps;
	net.features = features;
	parse_layers(st->opts.layers ? text_to_jsonb(st->opts.layers) : NULL, &net, TRAIN_CALLER);
	plan_or_error(&net, TRAIN_CALLER);
	st->steps = steps;
	st->features = features;
	st->rowlen = steps * features;
	st->per_chunk = Max(1, CHUNK_BYTES / ((Size) st->rowlen * sizeof(double)));
}

/* Room for one more example; returns its row and label slot. */
static double *
state_next_row(ConvState *st, bool **label)
{
	int64		c = st->n / st->per_chunk;
	int64		r = st->n % st->per_chunk;

	if (r == 0)
	{
		if (c == st->maxchunks)
		{
			int64		newmax = Max(16, st->maxchunks * 2);

			st->x = budget_realloc(&st->budget, st->x, sizeof(double *) * st->maxchunks,
								   sizeof(double *) * newmax);
			st->y = budget_realloc(&st->budget, st->y, sizeof(bool *) * st->maxchunks,
								   sizeof(bool *) * newmax);
			st->maxchunks = newmax;
		}
		st->x[c] = budget_alloc(&st->budget,
								budget_mul(st->per_chunk, sizeof(double) * st->rowlen));
		st->y[c] = budget_alloc(&st->budget, st->per_chunk);
		st->nchunks = c + 1;
	}
	st->n++;
	*label = &st->y[c][r];
	return st->x[c] + r * st->rowlen;
}

/* Check a features array, fix the shape on the first one, and add the example. */
static void
state_add(ConvState *st, ArrayType *arr, bool label)
{
	int			ndim = ARR_NDIM(arr);
	int		   *dims = ARR_DIMS(arr);
	int			n;
	const double *v;
	double	   *row;
	bool	   *lab;
	int			i;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		elog(ERROR, "features must be float8[]");
	if (ndim < 1 || ndim > 2)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be a 1-D or 2-D array"),
				 errdetail("It has %d dimensions.", ndim),
				 errhint("Pass float8[steps][features], or a flat float8[] with option \"steps\".")));
	if (array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("features must not contain NULL elements"),
				 errhint("Replace missing values, e.g. with 0, before training.")));
	n = ArrayGetNItems(ndim, dims);

	if (st->rowlen == 0)
	{
		int			steps,
					features;

		if (ndim == 2)
		{
			steps = dims[0];
			features = dims[1];
			if (st->opts.steps != 0 && st->opts.steps != steps)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"steps\" of %s is %d but the features arrays have %d steps",
								TRAIN_CALLER, st->opts.steps, steps),
						 errhint("Leave \"steps\" out for 2-D arrays.")));
		}
		else
		{
			if (st->opts.steps == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("a 1-D features array needs option \"steps\" of %s", TRAIN_CALLER),
						 errhint("Pass float8[steps][features], or set \"steps\" in options.")));
			steps = st->opts.steps;
			if (n == 0 || n % steps != 0)
				ereport(ERROR,
						(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						 errmsg("features has %d elements, which is not a positive multiple of \"steps\" (%d)",
								n, steps)));
			features = n / steps;
		}
		if ((int64) steps * features > CONVNET_MAX_INPUT)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("features has more than %d elements", CONVNET_MAX_INPUT)));
		state_set_shape(st, steps, features);
	}
	else if (n != st->rowlen || (ndim == 2 && (dims[0] != st->steps || dims[1] != st->features)))
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("every features array must have %d steps of %d features", st->steps,
						st->features),
				 errdetail("This row has %s%d elements; the first row fixed the shape.",
						   ndim == 2 ? psprintf("%d x %d = ", dims[0], dims[1]) : "", n)));

	v = (const double *) ARR_DATA_PTR(arr);
	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must be finite numbers"),
					 errdetail("Element %d (step %d, feature %d) of row " INT64_FORMAT " is %s.",
							   i + 1, i / st->features + 1, i % st->features + 1,
							   st->n + st->skipped + 1, isnan(v[i]) ? "NaN" : "infinite"),
					 errhint("Replace missing or infinite values before training.")));
	row = state_next_row(st, &lab);
	memcpy(row, v, sizeof(double) * n);
	*lab = label;
}

/* Append every example of src to dst (same shape and options, checked). */
static void
state_append(ConvState *dst, const ConvState *src)
{
	int64		i;

	if (!same_options(dst->options, src->options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options of %s must be the same for every row", TRAIN_CALLER)));
	if (src->rowlen != 0 && dst->rowlen == 0)
		state_set_shape(dst, src->steps, src->features);
	if (src->rowlen != 0 && (src->steps != dst->steps || src->features != dst->features))
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("every features array must have %d steps of %d features", dst->steps,
						dst->features),
				 errdetail("Another part of the input has %d steps of %d features.",
						   src->steps, src->features)));
	for (i = 0; i < src->n; i++)
	{
		bool	   *lab;
		double	   *row = state_next_row(dst, &lab);
		const double *from = src->x[i / src->per_chunk] + (i % src->per_chunk) * src->rowlen;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		memcpy(row, from, sizeof(double) * src->rowlen);
		*lab = src->y[i / src->per_chunk][i % src->per_chunk];
	}
	dst->skipped += src->skipped;
}

/* ---------- aggregate support functions ---------- */

/*
 * assoc.train_convnet_transfn(state internal, features float8[], label boolean
 *							   [, options jsonb]) RETURNS internal
 * Rows with a NULL features or label are counted and skipped.
 */
PG_FUNCTION_INFO_V1(convnet_train_transfn);
Datum
convnet_train_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ConvState  *st = PG_ARGISNULL(0) ? NULL : (ConvState *) PG_GETARG_POINTER(0);
	Jsonb	   *opts = (PG_NARGS() > 3 && !PG_ARGISNULL(3)) ? PG_GETARG_JSONB_P(3) : NULL;

	aggcxt = agg_context(fcinfo, "convnet_train_transfn");

	if (st == NULL)
		st = state_create(aggcxt, opts);
	else if (!same_options(st->options, opts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options of %s must be the same for every row", TRAIN_CALLER),
				 errhint("Pass the options as a constant.")));

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		st->skipped++;
	else
		state_add(st, PG_GETARG_ARRAYTYPE_P(1), PG_GETARG_BOOL(2));
	PG_RETURN_POINTER(st);
}

/* assoc.train_convnet_combine(internal, internal) RETURNS internal */
PG_FUNCTION_INFO_V1(convnet_train_combine);
Datum
convnet_train_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ConvState  *s1 = PG_ARGISNULL(0) ? NULL : (ConvState *) PG_GETARG_POINTER(0);
	ConvState  *s2 = PG_ARGISNULL(1) ? NULL : (ConvState *) PG_GETARG_POINTER(1);

	aggcxt = agg_context(fcinfo, "convnet_train_combine");
	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = state_create(aggcxt, s2->options);	/* s2 may live in a shorter context */
	state_append(s1, s2);
	PG_RETURN_POINTER(s1);
}

/* assoc.train_convnet_serialize(internal) RETURNS bytea */
PG_FUNCTION_INFO_V1(convnet_train_serialize);
Datum
convnet_train_serialize(PG_FUNCTION_ARGS)
{
	ConvState  *st = (ConvState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	Size		optlen = st->options ? VARSIZE(st->options) - VARHDRSZ : 0;
	Size		total;
	int64		i;
	int			j;

	(void) agg_context(fcinfo, "convnet_train_serialize");
	total = add_size(VARHDRSZ + 1 + 4 + 4 + 8 + 4 + optlen + 8,
					 mul_size(st->n, add_size(1, mul_size(sizeof(double), st->rowlen))));
	if (total > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the partial state of %s is too large to pass between parallel processes",
						TRAIN_CALLER),
				 errdetail("It holds " INT64_FORMAT " examples (%zu MB); the limit is 1 GB.",
						   st->n, total / (1024 * 1024)),
				 errhint("SET max_parallel_workers_per_gather = 0 for this query, or train on fewer rows.")));

	pq_begintypsend(&buf);
	enlargeStringInfo(&buf, (int) (total - VARHDRSZ));
	pq_sendbyte(&buf, STATE_VERSION);
	pq_sendint32(&buf, (uint32) st->steps);
	pq_sendint32(&buf, (uint32) st->features);
	pq_sendint64(&buf, st->skipped);
	options_send(&buf, st->options);
	pq_sendint64(&buf, st->n);
	for (i = 0; i < st->n; i++)
	{
		const double *row = st->x[i / st->per_chunk] + (i % st->per_chunk) * st->rowlen;

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		pq_sendbyte(&buf, st->y[i / st->per_chunk][i % st->per_chunk] ? 1 : 0);
		for (j = 0; j < st->rowlen; j++)
			pq_sendfloat8(&buf, row[j]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
state_corrupted(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("serialized state of %s is corrupted", TRAIN_CALLER),
			 errdetail("%s", detail)));
}

/* assoc.train_convnet_deserialize(bytea, internal) RETURNS internal */
PG_FUNCTION_INFO_V1(convnet_train_deserialize);
Datum
convnet_train_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *sstate = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	ConvState  *st;
	Jsonb	   *opts = NULL;
	int			steps,
				features;
	int64		skipped,
				n,
				i;
	int			j;

	(void) agg_context(fcinfo, "convnet_train_deserialize");
	buf.data = VARDATA_ANY(sstate);
	buf.len = VARSIZE_ANY_EXHDR(sstate);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	if (pq_getmsgbyte(&buf) != STATE_VERSION)
		state_corrupted("The state has an unknown version.");
	steps = (int) pq_getmsgint(&buf, 4);
	features = (int) pq_getmsgint(&buf, 4);
	if (steps < 0 || features < 0 || (steps == 0) != (features == 0) ||
		(int64) steps * features > CONVNET_MAX_INPUT)
		state_corrupted("The input shape is invalid.");
	skipped = pq_getmsgint64(&buf);
	if (skipped < 0)
		state_corrupted("A size is invalid.");
	opts = options_receive(&buf, TRAIN_CALLER);
	n = pq_getmsgint64(&buf);
	if (n < 0 || (steps == 0 && n > 0) ||
		(uint64) (buf.len - buf.cursor) != (uint64) n * (1 + sizeof(double) * (uint64) steps * features))
		state_corrupted("The number of examples does not match the size of the state.");

	st = state_create(CurrentMemoryContext, opts);
	if (steps > 0)
		state_set_shape(st, steps, features);
	st->skipped = skipped;
	for (i = 0; i < n; i++)
	{
		bool	   *lab;
		double	   *row = state_next_row(st, &lab);
		int			l = pq_getmsgbyte(&buf);

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		if (l != 0 && l != 1)
			state_corrupted("A label is neither 0 nor 1.");
		*lab = (l == 1);
		for (j = 0; j < st->rowlen; j++)
		{
			row[j] = pq_getmsgfloat8(&buf);
			if (!isfinite(row[j]))
				state_corrupted("A value is not finite.");
		}
	}
	pq_getmsgend(&buf);
	PG_RETURN_POINTER(st);
}

/* Per-epoch INFO message (option "verbose"). */
static void
report_epoch(int epoch, int epochs, const ConvHistory *h)
{
	int			e = epoch - 1;

	if (h->n_val > 0)
		ereport(INFO,
				(errmsg("epoch %d/%d: loss %.4f, accuracy %.4f, val_loss %.4f, val_accuracy %.4f",
						epoch, epochs, h->loss[e], h->accuracy[e], h->val_loss[e],
						h->val_accuracy[e])));
	else
		ereport(INFO,
				(errmsg("epoch %d/%d: loss %.4f, accuracy %.4f",
						epoch, epochs, h->loss[e], h->accuracy[e])));
}

static void
append_json_array(StringInfo s, const char *key, const double *v, int n)
{
	int			i;

	appendStringInfo(s, ", \"%s\": [", key);
	for (i = 0; i < n; i++)
		appendStringInfo(s, "%s%.17g", i ? ", " : "", v[i]);
	appendStringInfoChar(s, ']');
}

/* info_json of the model: architecture, sizes, split, history. */
static char *
model_info_json(const ConvNet *net, const ConvHistory *h, const ConvState *st)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "{\"input\": {\"steps\": %d, \"features\": %d}, \"standardized\": %s",
					 net->steps, net->features, net->mean ? "true" : "false");
	appendStringInfoString(&s, ", \"layers\": ");
	append_layers_json(&s, net, true);
	appendStringInfo(&s, ", \"parameters\": %zu, \"flops_per_example\": {\"forward\": %.0f, \"training\": %.0f}",
					 net->nparams, net->flops_forward, net->flops_train);
	appendStringInfo(&s, ", \"examples\": {\"training\": " INT64_FORMAT ", \"training_positive\": " INT64_FORMAT
					 ", \"validation\": " INT64_FORMAT ", \"validation_positive\": " INT64_FORMAT
					 ", \"skipped_null_rows\": " INT64_FORMAT "}",
					 h->n_train, h->n_train_pos, h->n_val, h->n_val_pos, st->skipped);
	appendStringInfo(&s, ", \"epochs_run\": %d, \"best_epoch\": %d, \"stopped_early\": %s",
					 h->epochs_run, h->best_epoch, h->stopped_early ? "true" : "false");
	appendStringInfoString(&s, ", \"history\": {\"epoch\": [");
	{
		int			e;

		for (e = 1; e <= h->epochs_run; e++)
			appendStringInfo(&s, "%s%d", e > 1 ? ", " : "", e);
		appendStringInfoChar(&s, ']');
	}
	append_json_array(&s, "loss", h->loss, h->epochs_run);
	append_json_array(&s, "accuracy", h->accuracy, h->epochs_run);
	if (h->n_val > 0)
	{
		append_json_array(&s, "val_loss", h->val_loss, h->epochs_run);
		append_json_array(&s, "val_accuracy", h->val_accuracy, h->epochs_run);
	}
	appendStringInfoString(&s, "}}");
	return s.data;
}

/*
 * assoc.train_convnet_final(internal) RETURNS bytea
 *
 * Trains on the collected examples and returns the model.  The state is only
 * read (the final function may run more than once on it); the training
 * memory lives in a child context, charged to a copy of the state's budget,
 * so that examples and training together stay within assoc.mining_mem.
 */
PG_FUNCTION_INFO_V1(convnet_train_final);
Datum
convnet_train_final(PG_FUNCTION_ARGS)
{
	ConvState  *st = PG_ARGISNULL(0) ? NULL : (ConvState *) PG_GETARG_POINTER(0);
	MemoryContext cxt,
				old;
	MemBudget	budget;
	ConvNet		net;
	ConvData	data;
	ConvHistory hist;
	TrainOptions o;
	ModelMeta	meta;
	ModelWriter w;
	StringInfoData layers;
	char	   *info;
	char	   *params;
	bytea	   *result;
	int64		i,
				pos = 0;

	if (st == NULL || st->n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s got no training rows", TRAIN_CALLER),
				 errdetail(INT64_FORMAT " rows had a NULL features or label and were skipped.",
						   st ? st->skipped : 0)));
	for (i = 0; i < st->n; i++)
		pos += st->y[i / st->per_chunk][i % st->per_chunk];
	if (pos == 0 || pos == st->n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the training rows of %s have only one class", TRAIN_CALLER),
				 errdetail("All " INT64_FORMAT " labels are %s.", st->n, pos ? "true" : "false"),
				 errhint("A classifier needs examples of both classes.")));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "convnet training", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	budget = st->budget;
	budget.cxt = cxt;

	train_options_parse(&o, st->options);
	memset(&net, 0, sizeof(net));
	net.steps = st->steps;
	net.features = st->features;
	parse_layers(o.layers ? text_to_jsonb(o.layers) : NULL, &net, TRAIN_CALLER);
	plan_or_error(&net, TRAIN_CALLER);

	data.n = st->n;
	data.rowlen = st->rowlen;
	data.per_chunk = st->per_chunk;
	data.x = st->x;
	data.y = st->y;

	convnet_init_params(&net, (uint64) o.seed, &budget);
	convnet_train(&net, &data, &o.cfg, &budget, &hist, o.verbose ? report_epoch : NULL);
	if (o.verbose)
		ereport(INFO,
				(errmsg("kept the weights of epoch %d of %d%s; peak memory %zu kB of %zu kB",
						hist.best_epoch, hist.epochs_run,
						hist.stopped_early ? " (stopped early)" : "",
						hist.peak_memory / 1024, budget.limit / 1024)));

	/* the options actually used: the architecture spelled out, steps as found */
	initStringInfo(&layers);
	append_layers_json(&layers, &net, false);
	o.layers = layers.data;
	o.steps = net.steps;
	params = options_to_json(o.specs, o.nspecs);
	info = model_info_json(&net, &hist, st);

	MemoryContextSwitchTo(old);
	meta.created_at = GetCurrentTransactionStartTimestamp();
	meta.training_rows = (uint64) st->n;
	meta.loss = hist.final_loss;
	meta.params_json = params;
	meta.info_json = info;
	model_begin(&w, MODEL_CONVNET, (uint32) net.steps, (uint32) net.features, &meta);
	convnet_write_body(&w, &net);
	result = model_finish(&w);
	MemoryContextDelete(cxt);
	PG_RETURN_BYTEA_P(result);
}

/* ---------- scoring ---------- */

/*
 * The input of assoc.predict for a convnet model: float8[steps][features] or
 * a flat array of steps * features values (step-major), without NULLs.
 * Returns the values and sets *n.
 */
const double *
convnet_input(const void *model, ArrayType *arr, int *n)
{
	int			ndim = ARR_NDIM(arr);
	int			steps,
				features;

	convnet_input_shape(model, &steps, &features);
	if (ndim > 2 || (ndim == 2 && (ARR_DIMS(arr)[0] != steps || ARR_DIMS(arr)[1] != features)))
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be float8[%d][%d] or a flat array of %d values for this model",
						steps, features, steps * features)));
	if (array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("features must not contain NULL elements")));
	*n = ArrayGetNItems(ndim, ARR_DIMS(arr));
	return (const double *) ARR_DATA_PTR(arr);	/* convnet_score checks the values */
}

/* ---------- gradient check ---------- */

/*
 * assoc.convnet_gradient_check(steps int, features int, layers jsonb, batch int,
 *		seed int, step float8, l2 float8)
 * RETURNS TABLE (layer int, layer_type text, part text, n bigint,
 *				  max_abs_error float8, rel_error float8)
 *
 * Builds the network (default layers when layers is NULL) with weights drawn
 * from seed, a random batch, and compares backpropagation with central
 * differences (see convnet_gradient_check in convnet.c).
 */
PG_FUNCTION_INFO_V1(convnet_gradient_check_sql);
Datum
convnet_gradient_check_sql(PG_FUNCTION_ARGS)
{
	const char *caller = "assoc.convnet_gradient_check";
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ConvNet		net;
	ConvGradCheck rows[2 * CONVNET_MAX_LAYERS + 1];
	int			nrows,
				r,
				batch;
	double		step,
				l2;
	int			argno;

	for (argno = 0; argno < PG_NARGS(); argno++)
		if (argno != 2 && PG_ARGISNULL(argno))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("only argument \"layers\" of %s may be NULL", caller)));
	memset(&net, 0, sizeof(net));
	net.steps = PG_GETARG_INT32(0);
	net.features = PG_GETARG_INT32(1);
	batch = PG_GETARG_INT32(3);
	step = PG_GETARG_FLOAT8(5);
	l2 = PG_GETARG_FLOAT8(6);
	if (batch < 1 || batch > 64)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch must be between 1 and 64")));
	if (!(step > 0 && step <= 0.1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("step must be greater than 0 and at most 0.1")));
	if (!(l2 >= 0 && l2 <= 1e6))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("l2 must be between 0 and 1e6")));
	parse_layers(PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2), &net, caller);
	plan_or_error(&net, caller);
	if (net.nparams + (Size) batch * net.steps * net.features > GRADCHECK_MAX_WORK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the network is too large for a gradient check"),
				 errdetail("It has %zu parameters and %d x %d inputs; the limit is %d values.",
						   net.nparams, batch, net.steps * net.features, GRADCHECK_MAX_WORK),
				 errhint("Check a smaller network: fewer filters, units or steps.")));

	nrows = convnet_gradient_check(&net, batch, (uint64) PG_GETARG_INT32(4), step, l2, rows);

	InitMaterializedSRF(fcinfo, 0);
	for (r = 0; r < nrows; r++)
	{
		Datum		values[6];
		bool		nulls[6] = {false};
		int			l = rows[r].layer;

		values[0] = Int32GetDatum(l);
		values[1] = CStringGetTextDatum(l == 0 ? "input" : convnet_layer_name(net.layers[l - 1].type));
		values[2] = CStringGetTextDatum(rows[r].part);
		values[3] = Int64GetDatum(rows[r].count);
		values[4] = Float8GetDatum(rows[r].max_abs_error);
		values[5] = Float8GetDatum(rows[r].rel_error);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
