/*
 * kmeans_sql.c
 *	  The SQL face of k-means: the training aggregate assoc.train_kmeans
 *	  (transition and final functions), the helper
 *	  assoc.kmeans_choose_k, and scoring (assoc.predict_cluster,
 *	  assoc.cluster_distance, assoc.cluster_distances, assoc.cluster_centroids).
 *
 * The aggregate's state holds every training row (k-means needs several
 * passes), in chunks charged against assoc.mining_mem; the final function
 * copies the rows into the kernel's canonical order, trains, and writes a
 * MODEL_KMEANS envelope.  There is no combine function: partial states would
 * only carry the rows to the leader, with more copies than a Gather below the
 * aggregate (a partial aggregate, which PostgreSQL's default settings chose
 * for a million rows, took 1.79 s against 1.31 s for the serial plan).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "aggstate.h"
#include "assoc.h"
#include "budget.h"
#include "envelope.h"
#include "kmeans.h"
#include "options.h"
#include "serve.h"
#include "source.h"


#define TRAIN_NAME "assoc.train_kmeans"
#define CHOOSE_NAME "assoc.kmeans_choose_k"
#define KMEANS_MEM_HINT "Raise assoc.mining_mem, or train on a sample of the rows (e.g. TABLESAMPLE)."

/* ---------- options ---------- */

#define KMEANS_NOPTIONS 8

typedef struct KmeansOpts
{
	int			seed;
	int			max_iter;
	double		tol;
	int			n_init;
	bool		standardize;
	char	   *init;			/* JSON text of the "init" option */
	int			silhouette_sample;
	bool		verbose;
	OptionSpec	specs[KMEANS_NOPTIONS];
} KmeansOpts;

/* Read the options of caller; silhouette_sample defaults to default_sample. */
static void
kmeans_options(KmeansOpts *o, Jsonb *opts, int default_sample, const char *caller)
{
	OptionSpec	specs[KMEANS_NOPTIONS] = {
		{"seed", OPTION_INT, &o->seed, 0, PG_INT32_MAX},
		{"max_iter", OPTION_INT, &o->max_iter, 1, 1000000},
		{"tol", OPTION_FLOAT, &o->tol, 0, 1},
		{"n_init", OPTION_INT, &o->n_init, 1, 1000},
		{"standardize", OPTION_BOOL, &o->standardize, 0, -1},
		{"init", OPTION_JSON, &o->init, 0, -1},
		{"silhouette_sample", OPTION_INT, &o->silhouette_sample, 0, KMEANS_MAX_SILHOUETTE_SAMPLE},
		{"verbose", OPTION_BOOL, &o->verbose, 0, -1},
	};

	o->seed = 0;
	o->max_iter = 300;
	o->tol = 1e-4;
	o->n_init = 1;
	o->standardize = false;
	o->init = pstrdup("\"k-means++\"");
	o->silhouette_sample = default_sample;
	o->verbose = false;
	memcpy(o->specs, specs, sizeof(specs));
	options_parse(opts, o->specs, KMEANS_NOPTIONS, caller);
}

static void
bad_init(const char *caller, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"init\" of %s is invalid", caller),
			 errdetail("%s", detail),
			 errhint("Pass \"k-means++\", \"random\", or an array of k arrays of one number per feature, e.g. [[0, 1], [5, 2]] for k = 2 and two features.")));
}

/*
 * The initialisation asked for by opts.  For explicit centroids, *given gets
 * them (k x d, in the units of the features) after every check; d = 0 means
 * that the caller does not accept explicit centroids.
 */
static KmeansInit
kmeans_init_option(Jsonb *opts, int k, int d, double **given, const char *caller)
{
	JsonbValue	vbuf;
	JsonbValue *v;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	e;
	double	   *c;
	int			depth = 0,
				rows = 0,
				cols = 0;

	*given = NULL;
	if (opts == NULL || !JB_ROOT_IS_OBJECT(opts))
		return KMEANS_INIT_PLUSPLUS;
	v = getKeyJsonValueFromContainer(&opts->root, "init", 4, &vbuf);
	if (v == NULL)
		return KMEANS_INIT_PLUSPLUS;
	if (v->type == jbvString)
	{
		if (v->val.string.len == 9 && strncmp(v->val.string.val, "k-means++", 9) == 0)
			return KMEANS_INIT_PLUSPLUS;
		if (v->val.string.len == 6 && strncmp(v->val.string.val, "random", 6) == 0)
			return KMEANS_INIT_RANDOM;
		bad_init(caller, "It is a string other than \"k-means++\" and \"random\".");
	}
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		bad_init(caller, "It is neither a string nor an array.");
	if (d == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot take explicit initial centroids", caller),
				 errhint("Use \"k-means++\" or \"random\" for \"init\"; train with given centroids with %s.",
						 TRAIN_NAME)));

	c = palloc(sizeof(double) * (Size) k * d);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, false)) != WJB_DONE)
	{
		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
				depth++;
				if (depth == 2)
				{
					if (rows >= k)
						bad_init(caller, psprintf("It holds more than k = %d centroids.", k));
					cols = 0;
				}
				else if (depth > 2)
					bad_init(caller, "It nests arrays more than two deep.");
				break;
			case WJB_END_ARRAY:
				if (depth == 2)
				{
					if (cols != d)
						bad_init(caller, psprintf("Centroid %d has %d values; the features have %d.",
												  rows + 1, cols, d));
					rows++;
				}
				depth--;
				break;
			case WJB_ELEM:
				if (depth != 2)
					bad_init(caller, "Its elements must be arrays of numbers.");
				if (e.type != jbvNumeric)
					bad_init(caller, psprintf("Centroid %d holds a value that is not a number.", rows + 1));
				if (cols >= d)
					bad_init(caller, psprintf("Centroid %d has more than %d values; the features have %d.",
											  rows + 1, d, d));
				/* out of range gives +-HUGE_VAL here, caught below */
				c[(Size) rows * d + cols] =
					DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
													   NumericGetDatum(e.val.numeric)));
				if (!isfinite(c[(Size) rows * d + cols]))
					bad_init(caller, psprintf("Centroid %d holds a value out of the range of float8.", rows + 1));
				cols++;
				break;
			default:
				bad_init(caller, "It is not an array of arrays of numbers.");
		}
	}
	if (rows != k)
		bad_init(caller, psprintf("It holds %d centroids; k is %d.", rows, k));
	*given = c;
	return KMEANS_INIT_GIVEN;
}

/* Error unless k is usable; d is the number of features (0 if not known yet). */
static void
check_k(int k, int d)
{
	if (k < 1 || k > KMEANS_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be between 1 and %d", KMEANS_MAX_K),
				 errdetail("k is %d.", k),
				 errhint("k is the number of clusters to form.")));
	if (d > 0 && (int64) k * d > KMEANS_MAX_CENTROID_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("k times the number of features must be at most %d", KMEANS_MAX_CENTROID_VALUES),
				 errdetail("k is %d and there are %d features.", k, d),
				 errhint("Lower k or reduce the features.")));
}

/* ---------- feature vectors ---------- */

/*
 * Check a feature vector (one-dimensional float8[], no NULL, finite values)
 * and return its length; expect is the required length, 0 for any.
 */
static int
features_check(ArrayType *arr, int expect, const char *what)
{
	int			n;
	const double *v;
	int			i;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID)
		elog(ERROR, "features must be float8[]");
	if (ARR_NDIM(arr) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must not be empty"),
				 errhint("Pass one value per feature, e.g. ARRAY[recency, frequency, monetary]::float8[].")));
	if (ARR_NDIM(arr) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be a one-dimensional array"),
				 errdetail("It has %d dimensions.", ARR_NDIM(arr)),
				 errhint("Pass one flat array of values per row.")));
	if (array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("features must not contain NULL elements"),
				 errhint("Replace missing values (e.g. with coalesce) or drop those rows.")));
	n = ARR_DIMS(arr)[0];
	if (n > KMEANS_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("features must hold at most %d values", KMEANS_MAX_FEATURES),
				 errdetail("This vector holds %d.", n)));
	if (expect > 0 && n != expect)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature vectors must all have the same length"),
				 errdetail("%s %d values; this vector has %d.", what, expect, n),
				 errhint("Build every vector from the same columns, in the same order.")));
	v = (const double *) ARR_DATA_PTR(arr);
	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must be finite numbers"),
					 errdetail("Element %d is %s.", i + 1,
							   isnan(v[i]) ? "NaN" : (v[i] > 0 ? "Infinity" : "-Infinity")),
					 errhint("Replace or drop rows with NaN or Infinity first.")));
	return n;
}

/* Copy the n checked values of arr to dst, folding -0.0 into 0.0. */
static void
features_copy(ArrayType *arr, int n, double *dst)
{
	const double *v = (const double *) ARR_DATA_PTR(arr);
	int			i;

	for (i = 0; i < n; i++)
		dst[i] = v[i] + 0.0;
}

/* ---------- row store ---------- */

/* Rows in chunks of about 1 MB, so that growing never copies what is held. */
typedef struct RowStore
{
	int			d;				/* 0 until the first row */
	int			chunk_rows;
	int64		n;
	int			nchunks;
	int			maxchunks;
	double	  **chunks;
} RowStore;

static inline double *
rowstore_row(const RowStore *rs, int64 i)
{
	return rs->chunks[i / rs->chunk_rows] + (Size) (i % rs->chunk_rows) * rs->d;
}

/* Room for one more row (d values), charged to b. */
static double *
rowstore_append(RowStore *rs, MemBudget *b)
{
	int64		off = rs->n % rs->chunk_rows;

	if (rs->n >= KMEANS_MAX_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("k-means can train on at most " INT64_FORMAT " rows", KMEANS_MAX_ROWS),
				 errhint("Train on a sample of the rows (e.g. TABLESAMPLE).")));
	if (off == 0)
	{
		if (rs->nchunks == rs->maxchunks)
		{
			int			newmax = Max(16, rs->maxchunks * 2);

			rs->chunks = budget_realloc(b, rs->chunks, sizeof(double *) * rs->maxchunks,
										sizeof(double *) * newmax);
			rs->maxchunks = newmax;
		}
		rs->chunks[rs->nchunks++] = budget_alloc(b, sizeof(double) * (Size) rs->chunk_rows * rs->d);
	}
	return rowstore_row(rs, rs->n++);
}

/* Check a feature vector and append it; the first row fixes the length. */
static void
rowstore_add_array(RowStore *rs, MemBudget *b, ArrayType *arr)
{
	int			n = features_check(arr, rs->d, "The first row has");

	if (rs->d == 0)
	{
		rs->d = n;
		rs->chunk_rows = Max(1, (1 << 20) / (int) (sizeof(double) * n));
	}
	features_copy(arr, n, rowstore_append(rs, b));
}

/* ---------- training ---------- */

static void
verbose_progress(void *arg, int run, int iteration, double inertia, int64 changed, double shift)
{
	ereport(INFO,
			(errmsg("k-means run %d iteration %d: inertia %.10g, " INT64_FORMAT " rows changed cluster, centroid shift %.6g",
					run, iteration, inertia, changed, shift)));
}

/* Copy the rows of rs into the kernel's form. */
static void
prepare_rows(KmeansData *data, const RowStore *rs, bool standardize, MemBudget *b)
{
	Size		pbytes = budget_mul(rs->n, sizeof(double *));
	const double **ptrs = budget_alloc(b, pbytes);
	int64		i;

	for (i = 0; i < rs->n; i++)
		ptrs[i] = rowstore_row(rs, i);
	kmeans_prepare(data, ptrs, rs->n, rs->d, standardize, b);
	budget_free(b, ptrs, pbytes);
}

static void
check_distinct(int k, const KmeansData *data)
{
	if (k > data->ndistinct)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k is greater than the number of distinct rows"),
				 errdetail("k is %d; the input has " INT64_FORMAT " rows, " INT64_FORMAT " of them distinct.",
						   k, data->n, data->ndistinct),
				 errhint("Lower k, or train on more rows.")));
}

/* Error unless the fit stayed within the range of float8. */
static void
check_finite_result(const KmeansResult *res, int k, int d)
{
	Size		i;
	bool		ok = isfinite(res->inertia);

	for (i = 0; ok && i < (Size) k * d; i++)
		ok = isfinite(res->centroids[i]);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("k-means distances overflow the range of float8"),
				 errdetail("Squared distances between the rows are larger than 1.8e308."),
				 errhint("Scale the features down, e.g. with the option \"standardize\".")));
}

static void
no_rows(const char *caller)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s got no rows to cluster", caller),
			 errdetail("Rows whose features are NULL are skipped."),
			 errhint("Check the query that feeds %s.", caller)));
}

/* Kernel parameters from options (given centroids already in z space). */
static void
params_from_options(KmeansParams *p, const KmeansOpts *o, int k, KmeansInit init,
					const double *given_z)
{
	memset(p, 0, sizeof(*p));
	p->k = k;
	p->max_iter = o->max_iter;
	p->tol = o->tol;
	p->n_init = o->n_init;
	p->init = init;
	p->init_centroids = given_z;
	p->seed = (uint64) o->seed;
	p->progress = o->verbose ? verbose_progress : NULL;
}

static void
append_json_double(StringInfo s, double v)
{
	if (isnan(v) || isinf(v))
		appendStringInfoString(s, "null");
	else
		appendStringInfo(s, "%.17g", v);
}

/*
 * Train on the rows of rs (held: bytes the caller already holds for them,
 * counted against the same bound) and return the model, allocated in the
 * caller's memory context.
 */
static bytea *
train_model(int k, Jsonb *opts, const RowStore *rs, Size held)
{
	KmeansOpts	o;
	MemoryContext cxt;
	MemoryContext old;
	MemBudget	b;
	KmeansData	data;
	KmeansParams p;
	KmeansResult res;
	KmeansInit	init;
	double	   *given = NULL;
	double	   *given_z = NULL;
	double		silhouette = get_float8_nan();
	int			sample = 0;
	StringInfoData params;
	StringInfoData info;
	ModelMeta	meta;
	ModelWriter w;
	bytea	   *model;
	char	   *optjson;
	int			j;

	kmeans_options(&o, opts, 0, TRAIN_NAME);
	init = kmeans_init_option(opts, k, rs->d, &given, TRAIN_NAME);
	if (init == KMEANS_INIT_GIVEN && o.n_init != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"n_init\" must be 1 when \"init\" gives the centroids"),
				 errhint("Drop \"n_init\", or let k-means++ choose the starting centroids.")));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "assoc.train_kmeans final",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	budget_init(&b, "k-means training", KMEANS_MEM_HINT);
	budget_charge(&b, held);

	prepare_rows(&data, rs, o.standardize, &b);
	check_distinct(k, &data);
	if (given)
	{
		given_z = palloc(sizeof(double) * (Size) k * rs->d);
		for (j = 0; j < k; j++)
			kmeans_transform_row(given + (Size) j * rs->d, data.center, data.scale, rs->d,
								 given_z + (Size) j * rs->d);
	}
	params_from_options(&p, &o, k, init, given_z);
	kmeans_fit(&data, &p, &res, &b);
	check_finite_result(&res, k, rs->d);
	if (o.silhouette_sample > 0)
	{
		sample = (int) Min((int64) o.silhouette_sample, data.n);
		silhouette = kmeans_silhouette(&data, res.labels, k, o.silhouette_sample,
									   (uint64) o.seed, &b);
	}

	/* metadata */
	MemoryContextSwitchTo(old);
	optjson = options_to_json(o.specs, KMEANS_NOPTIONS);
	initStringInfo(&params);
	appendStringInfo(&params, "{\"k\": %d, %s", k, optjson + 1);
	initStringInfo(&info);
	appendStringInfo(&info, "{\"k\": %d, \"features\": %d, \"rows\": " INT64_FORMAT
					 ", \"distinct_rows\": " INT64_FORMAT ", \"inertia\": ",
					 k, rs->d, data.n, data.ndistinct);
	append_json_double(&info, res.inertia);
	appendStringInfoString(&info, ", \"sizes\": [");
	for (j = 0; j < k; j++)
		appendStringInfo(&info, "%s" INT64_FORMAT, j ? ", " : "", res.sizes[j]);
	appendStringInfo(&info, "], \"iterations\": %d, \"converged\": %s, \"empty_cluster_reseeds\": "
					 INT64_FORMAT ", \"standardize\": %s, \"init\": \"%s\", \"silhouette\": ",
					 res.iterations, res.converged ? "true" : "false", res.relocations,
					 o.standardize ? "true" : "false",
					 init == KMEANS_INIT_GIVEN ? "given" :
					 init == KMEANS_INIT_RANDOM ? "random" : "k-means++");
	append_json_double(&info, silhouette);
	appendStringInfo(&info, ", \"silhouette_sample\": %d}", sample);

	memset(&meta, 0, sizeof(meta));
	meta.training_rows = (uint64) data.n;
	meta.loss = res.inertia;
	meta.params_json = params.data;
	meta.info_json = info.data;
	model_begin(&w, MODEL_KMEANS, (uint32) rs->d, (uint32) k, &meta);
	kmeans_write_body(&w, o.standardize, k, rs->d, data.center, data.scale, res.centroids,
					  res.sizes, res.inertia);
	model = model_finish(&w);

	MemoryContextDelete(cxt);
	return model;
}

/* ---------- the aggregate ---------- */

typedef struct KmeansState
{
	MemoryContext cxt;			/* holds the state; child of the aggregate context */
	MemBudget	budget;			/* the rows held, against assoc.mining_mem */
	int			k;
	Jsonb	   *opts;			/* copy of the options, or NULL */
	bool		args_constant;	/* k and options are constants of the query */
	RowStore	rows;
} KmeansState;

static KmeansState *
state_new(MemoryContext aggcxt, int k, const Jsonb *opts)
{
	MemoryContext cxt = AllocSetContextCreate(aggcxt, "assoc.train_kmeans state",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	KmeansState *st = palloc0(sizeof(KmeansState));

	st->cxt = cxt;
	budget_init(&st->budget, "collecting k-means training rows", KMEANS_MEM_HINT);
	st->k = k;
	if (opts)
	{
		st->opts = palloc(VARSIZE(opts));
		memcpy(st->opts, opts, VARSIZE(opts));
	}
	MemoryContextSwitchTo(old);
	return st;
}

/*
 * Are k and the options of this aggregate call constants (or parameters) of
 * the query?  Then they need no check against the first row's.
 */
static bool
args_are_constant(FunctionCallInfo fcinfo)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	ListCell   *lc;
	int			i = 0;

	if (aggref == NULL)
		return false;
	foreach(lc, aggref->args)
	{
		Node	   *e = (Node *) ((TargetEntry *) lfirst(lc))->expr;

		if (i++ == 0)
			continue;			/* the features */
		if (!IsA(e, Const) && !(IsA(e, Param) && ((Param *) e)->paramkind == PARAM_EXTERN))
			return false;
	}
	return true;
}

/* Are the stored options and v (not toasted; any header) the same bytes? */
static bool
same_options(const Jsonb *stored, const struct varlena *v)
{
	if (stored == NULL || v == NULL)
		return (const void *) stored == (const void *) v;
	return VARSIZE(stored) - VARHDRSZ == VARSIZE_ANY_EXHDR(v) &&
		memcmp(VARDATA(stored), VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v)) == 0;
}

static void
check_same_group(const KmeansState *st, int k, const struct varlena *opts)
{
	if (k != st->k || !same_options(st->opts, opts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k and options of %s must be the same in every row of a group", TRAIN_NAME),
				 errhint("Pass constants, e.g. %s(features, 4, '{\"seed\": 1}').", TRAIN_NAME)));
}

/*
 * assoc.train_kmeans(features float8[], k int [, options jsonb]): collect one row.
 * Rows whose features are NULL are skipped.
 */
PG_FUNCTION_INFO_V1(kmeans_transfn);
Datum
kmeans_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "kmeans_transfn");
	KmeansState *st = PG_ARGISNULL(0) ? NULL : (KmeansState *) PG_GETARG_POINTER(0);
	struct varlena *optraw = NULL;
	ArrayType  *arr;
	int			k;

	if (PG_ARGISNULL(1))
	{
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("k of %s must not be NULL", TRAIN_NAME),
				 errhint("Pass the number of clusters to form.")));
	k = PG_GETARG_INT32(2);
	arr = PG_GETARG_ARRAYTYPE_P(1);
	if (st != NULL && st->args_constant)
	{
		rowstore_add_array(&st->rows, &st->budget, arr);
		PG_RETURN_POINTER(st);
	}
	/* the options are compared in every row: do not copy a short-header value */
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
	{
		optraw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(3));
		if (VARATT_IS_EXTERNAL(optraw) || VARATT_IS_COMPRESSED(optraw))
			optraw = PG_DETOAST_DATUM(PG_GETARG_DATUM(3));
	}

	if (st == NULL)
	{
		KmeansOpts	o;
		double	   *given;
		Jsonb	   *opts = optraw ? DatumGetJsonbP(PointerGetDatum(optraw)) : NULL;
		int			d = features_check(arr, 0, NULL);

		/* check everything that can be checked now, before collecting rows */
		check_k(k, d);
		kmeans_options(&o, opts, 0, TRAIN_NAME);
		(void) kmeans_init_option(opts, k, d, &given, TRAIN_NAME);
		st = state_new(aggcxt, k, opts);
		st->args_constant = args_are_constant(fcinfo);
	}
	else
		check_same_group(st, k, optraw);

	rowstore_add_array(&st->rows, &st->budget, arr);
	PG_RETURN_POINTER(st);
}

/*
 * Final function: train and return the model.  The state is only read
 * (it may be shared, or grow further in a window).
 */
PG_FUNCTION_INFO_V1(kmeans_finalfn);
Datum
kmeans_finalfn(PG_FUNCTION_ARGS)
{
	KmeansState *st;

	(void) agg_context(fcinfo, "kmeans_finalfn");
	if (PG_ARGISNULL(0))
		no_rows(TRAIN_NAME);
	st = (KmeansState *) PG_GETARG_POINTER(0);
	PG_RETURN_BYTEA_P(train_model(st->k, st->opts, &st->rows, st->budget.used));
}

/* ---------- choosing k ---------- */

typedef struct SourceRows
{
	RowStore	rows;
	MemBudget  *budget;
	MemoryContext scratch;		/* reset after each row */
} SourceRows;

static void
source_start(void *arg, TupleDesc desc)
{
	Oid			t = TupleDescAttr(desc, 0)->atttypid;

	if (t != FLOAT8ARRAYOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("source query must return one column of type float8[]"),
				 errdetail("It returns %s.", format_type_be(t)),
				 errhint("Cast it, e.g. SELECT ARRAY[recency, frequency, monetary]::float8[] FROM customers.")));
}

static void
source_row(void *arg, TupleTableSlot *slot)
{
	SourceRows *s = arg;
	bool		isnull;
	Datum		v = slot_getattr(slot, 1, &isnull);
	MemoryContext old;

	if (isnull)
		return;
	old = MemoryContextSwitchTo(s->scratch);
	rowstore_add_array(&s->rows, s->budget, DatumGetArrayTypeP(v));
	MemoryContextSwitchTo(old);
	MemoryContextReset(s->scratch);
}

static void
null_argument(const char *name, const char *caller)
{
	ereport(ERROR,
			(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
			 errmsg("%s of %s must not be NULL", name, caller)));
}

/*
 * assoc.kmeans_choose_k(source text, k_min int, k_max int, options jsonb)
 * RETURNS TABLE(k, inertia, silhouette, iterations, converged, sizes)
 *
 * Reads the feature vectors of a read-only query once, then trains one model
 * per k from k_min to k_max with the same options (and seed), and reports the
 * inertia and the mean silhouette on one seeded sample of rows.
 */
PG_FUNCTION_INFO_V1(kmeans_choose_k);
Datum
kmeans_choose_k(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *source;
	int			kmin,
				kmax,
				k;
	Jsonb	   *opts;
	KmeansOpts	o;
	KmeansInit	init;
	double	   *given;
	MemoryContext cxt;
	MemoryContext old;
	MemBudget	b;
	SourceRows	s;
	KmeansData	data;

	if (PG_ARGISNULL(0))
		null_argument("source", CHOOSE_NAME);
	if (PG_ARGISNULL(1))
		null_argument("k_min", CHOOSE_NAME);
	if (PG_ARGISNULL(2))
		null_argument("k_max", CHOOSE_NAME);
	source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	kmin = PG_GETARG_INT32(1);
	kmax = PG_GETARG_INT32(2);
	opts = PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3);

	check_k(kmin, 0);
	check_k(kmax, 0);
	if (kmax < kmin)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k_max must be at least k_min"),
				 errdetail("k_min is %d and k_max is %d.", kmin, kmax)));
	kmeans_options(&o, opts, 1000, CHOOSE_NAME);
	init = kmeans_init_option(opts, kmin, 0, &given, CHOOSE_NAME);

	InitMaterializedSRF(fcinfo, 0);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "assoc.kmeans_choose_k",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	budget_init(&b, "k-means training", KMEANS_MEM_HINT);
	memset(&s, 0, sizeof(s));
	s.budget = &b;
	s.scratch = AllocSetContextCreate(cxt, "assoc.kmeans_choose_k row", ALLOCSET_SMALL_SIZES);
	source_run(source, 1, "features", CHOOSE_NAME, source_start, source_row, &s);
	if (s.rows.n == 0)
		no_rows(CHOOSE_NAME);
	check_k(kmax, s.rows.d);
	prepare_rows(&data, &s.rows, o.standardize, &b);
	check_distinct(kmax, &data);

	for (k = kmin; k <= kmax; k++)
	{
		KmeansParams p;
		KmeansResult res;
		MemBudget	kb = b;		/* each k starts from what the data hold */
		MemoryContext kcxt = AllocSetContextCreate(cxt, "assoc.kmeans_choose_k k",
												   ALLOCSET_DEFAULT_SIZES);
		double		silhouette = get_float8_nan();
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};
		Datum	   *sizes;
		int			j;

		MemoryContextSwitchTo(kcxt);
		kb.cxt = kcxt;
		params_from_options(&p, &o, k, init, NULL);
		kmeans_fit(&data, &p, &res, &kb);
		check_finite_result(&res, k, data.d);
		if (o.silhouette_sample > 0)
			silhouette = kmeans_silhouette(&data, res.labels, k, o.silhouette_sample,
										   (uint64) o.seed, &kb);

		sizes = palloc(sizeof(Datum) * k);
		for (j = 0; j < k; j++)
			sizes[j] = Int64GetDatum(res.sizes[j]);
		values[0] = Int32GetDatum(k);
		values[1] = Float8GetDatum(res.inertia);
		values[2] = Float8GetDatum(silhouette);
		nulls[2] = isnan(silhouette);
		values[3] = Int32GetDatum(res.iterations);
		values[4] = BoolGetDatum(res.converged);
		values[5] = PointerGetDatum(construct_array(sizes, k, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(cxt);
		MemoryContextDelete(kcxt);
		CHECK_FOR_INTERRUPTS();
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}

/* ---------- scoring ---------- */

/* x (checked against the model) in z space, in z (m->d values). */
static void
model_features(const KmeansModel *m, ArrayType *arr, double *z)
{
	int			n = features_check(arr, m->d, "The model expects");

	features_copy(arr, n, z);
	kmeans_transform_row(z, m->center, m->scale, m->d, z);
}

/* The decoded model of argument 0, kept per backend or per call site (serve.h). */
static const KmeansModel *
cached_model(FunctionCallInfo fcinfo)
{
	ModelHeader h;

	return serve_model(fcinfo, 0, MODEL_KMEANS, kmeans_decode, &h);
}

double
kmeans_score(const void *decoded, const double *x, int n)
{
	const KmeansModel *m = decoded;
	double	   *z;
	double		dd;
	int			j;

	if (n != m->d)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature vectors must all have the same length"),
				 errdetail("The model expects %d values; this vector has %d.", m->d, n)));
	z = palloc(sizeof(double) * n);
	for (j = 0; j < n; j++)
	{
		if (!isfinite(x[j]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("features must be finite numbers"),
					 errdetail("Element %d is not.", j + 1)));
		z[j] = x[j] + 0.0;
	}
	kmeans_transform_row(z, m->center, m->scale, n, z);
	j = kmeans_nearest(m->centroids, m->k, m->d, z, &dd);
	pfree(z);
	return (double) j;
}

/*
 * The nearest cluster to the features of argument 1 under the model of
 * argument 0; *dd gets the squared distance.
 */
static int
nearest_cluster(FunctionCallInfo fcinfo, double *dd)
{
	const KmeansModel *m = cached_model(fcinfo);
	double	   *z = palloc(sizeof(double) * m->d);
	int			j;

	model_features(m, PG_GETARG_ARRAYTYPE_P(1), z);
	j = kmeans_nearest(m->centroids, m->k, m->d, z, dd);
	pfree(z);
	return j;
}

/* assoc.predict_cluster(model bytea, features float8[]) RETURNS int */
PG_FUNCTION_INFO_V1(kmeans_predict_cluster);
Datum
kmeans_predict_cluster(PG_FUNCTION_ARGS)
{
	double		dd;

	PG_RETURN_INT32(nearest_cluster(fcinfo, &dd));
}

/* assoc.cluster_distance(model bytea, features float8[]) RETURNS float8 */
PG_FUNCTION_INFO_V1(kmeans_cluster_distance);
Datum
kmeans_cluster_distance(PG_FUNCTION_ARGS)
{
	double		dd;

	(void) nearest_cluster(fcinfo, &dd);
	PG_RETURN_FLOAT8(sqrt(dd));
}

/* assoc.cluster_distances(model bytea, features float8[]) RETURNS float8[] */
PG_FUNCTION_INFO_V1(kmeans_cluster_distances);
Datum
kmeans_cluster_distances(PG_FUNCTION_ARGS)
{
	const KmeansModel *m = cached_model(fcinfo);
	double	   *z = palloc(sizeof(double) * m->d);
	Datum	   *out = palloc(sizeof(Datum) * m->k);
	int			j;

	model_features(m, PG_GETARG_ARRAYTYPE_P(1), z);
	for (j = 0; j < m->k; j++)
	{
		double		dd;

		(void) kmeans_nearest(m->centroids + (Size) j * m->d, 1, m->d, z, &dd);
		out[j] = Float8GetDatum(sqrt(dd));
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(out, m->k, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * assoc.cluster_centroids(model bytea) RETURNS TABLE(cluster int, size bigint,
 * centroid float8[]): the centroids in the units of the features.
 */
PG_FUNCTION_INFO_V1(kmeans_cluster_centroids);
Datum
kmeans_cluster_centroids(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bytea	   *model = PG_GETARG_BYTEA_PP(0);
	ModelHeader h;
	ModelReader body;
	const KmeansModel *m;
	Datum	   *c;
	int			j,
				t;

	InitMaterializedSRF(fcinfo, 0);
	model_open(model, MODEL_KMEANS, &h, NULL, &body);
	m = kmeans_decode(&h, &body);
	c = palloc(sizeof(Datum) * m->d);
	for (j = 0; j < m->k; j++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		for (t = 0; t < m->d; t++)
			c[t] = Float8GetDatum(m->centroids[(Size) j * m->d + t] * m->scale[t] + m->center[t]);
		values[0] = Int32GetDatum(j);
		values[1] = Int64GetDatum(m->sizes[j]);
		values[2] = PointerGetDatum(construct_array(c, m->d, FLOAT8OID, 8, FLOAT8PASSBYVAL,
													TYPALIGN_DOUBLE));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
