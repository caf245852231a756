/*
 * features_sql.c
 *	  The SQL face of the feature area, except the functions that read a
 *	  source query (features_source.c): the customer and product aggregates,
 *	  assoc.feature_names, the scaler aggregate and assoc.scale, feature
 *	  hashing and the seeded train/test split.
 *
 * Aggregate states are internal (a kernel state from features.c or
 * scaler.c and its memory budget) in the aggregate context; they travel
 * between parallel workers through the serialisation in the kernels.  Final
 * functions never change a state.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "aggstate.h"
#include "budget.h"
#include "envelope.h"
#include "feature_kernels.h"
#include "features_glue.h"
#include "hashing.h"
#include "options.h"
#include "scaler.h"

#define FEATURES_HINT "Raise assoc.mining_mem, or compute the features over fewer rows per group."

/* ---------- helpers (features_glue.h) ---------- */

const char *
key_bytes(const ValueReader *r, Datum v, char *buf, uint32 *len)
{
	int64		i;

	switch (r->mode)
	{
		case VALUE_INT2:
			i = DatumGetInt16(v);
			break;
		case VALUE_INT4:
			i = DatumGetInt32(v);
			break;
		case VALUE_INT8:
			i = DatumGetInt64(v);
			break;
		case VALUE_TEXT:
			{
				text	   *t = DatumGetTextPP(v);

				*len = VARSIZE_ANY_EXHDR(t);
				return VARDATA_ANY(t);
			}
		default:
			{
				char	   *s = OutputFunctionCall((FmgrInfo *) &r->outfn, v);

				*len = strlen(s);
				return s;
			}
	}
	i = (int64) pg_hton64((uint64) i);
	memcpy(buf, &i, 8);
	*len = 8;
	return buf;
}

uint32
dict_value(Dict *d, const ValueReader *r, Datum v)
{
	if (d->kind == DICT_INT)
	{
		switch (r->mode)
		{
			case VALUE_INT2:
				return dict_add_int(d, DatumGetInt16(v));
			case VALUE_INT4:
				return dict_add_int(d, DatumGetInt32(v));
			default:
				return dict_add_int(d, DatumGetInt64(v));
		}
	}
	else
	{
		char		buf[8];
		uint32		len;
		const char *p = key_bytes(r, v, buf, &len);

		return dict_add_bytes(d, p, len);
	}
}

Datum
dict_text(const Dict *d, uint32 id)
{
	if (d->kind == DICT_INT)
	{
		char		buf[32];

		snprintf(buf, sizeof(buf), INT64_FORMAT, d->ivals[id]);
		return PointerGetDatum(cstring_to_text(buf));
	}
	else
	{
		uint32		len;
		const char *p = dict_bytes(d, id, &len);

		return PointerGetDatum(cstring_to_text_with_len(p, len));
	}
}

Datum
float8_array(const double *v, const bool *isnull, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	bool		anynull = false;
	int			i;

	for (i = 0; i < n; i++)
	{
		d[i] = Float8GetDatum(v[i]);
		if (isnull && isnull[i])
			anynull = true;
	}
	return PointerGetDatum(construct_md_array(d, anynull ? (bool *) isnull : NULL, 1, dims, lbs,
											  FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

int
parse_event(const char *p, Size len)
{
	if (len == 8 && memcmp(p, "purchase", 8) == 0)
		return EVENT_PURCHASE;
	if (len == 4 && memcmp(p, "view", 4) == 0)
		return EVENT_VIEW;
	if (len == 4 && memcmp(p, "cart", 4) == 0)
		return EVENT_CART;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown event type \"%s\"", pnstrdup(p, Min(len, 64))),
			 errhint("Use 'purchase', 'view' or 'cart' (lower case); map other event names in the query.")));
	return EVENT_PURCHASE;		/* keep the compiler quiet */
}

void
not_finite(double v, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be a finite number", what),
			 errdetail("It is %g.", v),
			 errhint("Use NULL for a missing value, or filter the row out.")));
}

void
not_finite_time(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be a finite timestamp", what),
			 errhint("Filter out rows with infinite timestamps; pass a finite as_of.")));
}

void
require_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name),
				 strcmp(name, "as_of") == 0 ?
				 errhint("Pass the time the features are computed for, e.g. now() or the day after the last order.") : 0));
}

/* ---------- shared by the customer and product aggregates ---------- */

/* Key readers of the "any" arguments, kept in fn_extra. */
typedef struct KeyArgs
{
	ValueReader a;
	ValueReader b;
} KeyArgs;

static KeyArgs *
key_args(FunctionCallInfo fcinfo, int arga, int argb)
{
	KeyArgs    *k = fcinfo->flinfo->fn_extra;

	if (k == NULL)
	{
		Oid			ta = get_fn_expr_argtype(fcinfo->flinfo, arga);
		Oid			tb = get_fn_expr_argtype(fcinfo->flinfo, argb);

		if (!OidIsValid(ta) || !OidIsValid(tb))
			elog(ERROR, "could not determine the argument types of a feature aggregate");
		k = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(KeyArgs));
		value_reader_init(&k->a, ta, fcinfo->flinfo->fn_mcxt);
		value_reader_init(&k->b, tb, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = k;
	}
	return k;
}

/*
 * Read the time, as_of, quantity and price of a line; false if the line is
 * skipped (NULL time, time at or after as_of, NULL quantity or price for a
 * purchase).  as_of must be the same as the group's (*state_as_of, if any).
 */
static bool
read_line(FunctionCallInfo fcinfo, int ts_arg, int as_of_arg, bool purchase,
		  const int64 *state_as_of, int64 *ts, int64 *as_of, double *qty, double *price)
{
	require_arg(fcinfo, as_of_arg, "as_of");
	*as_of = PG_GETARG_INT64(as_of_arg);
	check_finite_time(*as_of, "as_of");
	if (state_as_of && *state_as_of != *as_of)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a group"),
				 errhint("Pass a constant or a query parameter as as_of.")));
	if (PG_ARGISNULL(ts_arg))
		return false;
	*ts = PG_GETARG_INT64(ts_arg);
	check_finite_time(*ts, "ts");
	if (*ts >= *as_of)
		return false;
	*qty = *price = 0;
	if (!purchase)
		return true;
	if (PG_ARGISNULL(ts_arg + 1) || PG_ARGISNULL(ts_arg + 2))
		return false;
	*qty = PG_GETARG_FLOAT8(ts_arg + 1);
	*price = PG_GETARG_FLOAT8(ts_arg + 2);
	check_finite(*qty, "quantity");
	check_finite(*price, "unit_price");
	return *qty != 0;
}

/* A serialised state as a StringInfo to read. */
static void
state_buffer(FunctionCallInfo fcinfo, StringInfo buf)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);

	buf->data = VARDATA_ANY(b);
	buf->len = VARSIZE_ANY_EXHDR(b);
	buf->maxlen = buf->len;
	buf->cursor = 0;
}

/*
 * The state of both aggregates: a kernel state and the budget it charges.
 * The support functions below serve both, switching on the kind.
 */
typedef enum AggKind
{
	AGG_CUSTOMER,
	AGG_PRODUCT
} AggKind;

typedef struct FeatureAgg
{
	MemBudget	budget;
	union
	{
		CustState	cust;
		ProdState	prod;
	}			st;
} FeatureAgg;

static const char *const agg_what[] = {"customer features", "product features"};
static const char *const agg_fn[] = {"assoc.customer_agg", "assoc.product_agg"};

static inline int64
agg_as_of(const FeatureAgg *a, AggKind k)
{
	return k == AGG_CUSTOMER ? a->st.cust.as_of : a->st.prod.as_of;
}

/* A new, empty state in the aggregate context. */
static FeatureAgg *
agg_new(MemoryContext aggcxt, AggKind k, int64 as_of)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	FeatureAgg *a = palloc0(sizeof(FeatureAgg));

	budget_init(&a->budget, agg_what[k], FEATURES_HINT);
	if (k == AGG_CUSTOMER)
		cust_init(&a->st.cust, &a->budget, as_of);
	else
		prod_init(&a->st.prod, &a->budget, as_of);
	MemoryContextSwitchTo(old);
	return a;
}

/* Return the state argument as it is (NULL stays NULL): a row that is skipped. */
#define RETURN_STATE(a) \
	do { if ((a) == NULL) PG_RETURN_NULL(); PG_RETURN_POINTER(a); } while (0)

static Datum
agg_combine(FunctionCallInfo fcinfo, AggKind k)
{
	FeatureAgg *a = PG_ARGISNULL(0) ? NULL : (FeatureAgg *) PG_GETARG_POINTER(0);
	FeatureAgg *b = PG_ARGISNULL(1) ? NULL : (FeatureAgg *) PG_GETARG_POINTER(1);

	(void) agg_context(fcinfo, agg_fn[k]);
	if (b == NULL)
		RETURN_STATE(a);

	/*
	 * b was deserialised into the aggregate context (or built there by the
	 * transition function): adopt it rather than copy it.
	 */
	if (a == NULL)
		PG_RETURN_POINTER(b);
	if (agg_as_of(a, k) != agg_as_of(b, k))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("as_of must be the same for every row of a group")));
	if (k == AGG_CUSTOMER)
		cust_merge(&a->st.cust, &b->st.cust);
	else
		prod_merge(&a->st.prod, &b->st.prod);
	PG_RETURN_POINTER(a);
}

static Datum
agg_serial(FunctionCallInfo fcinfo, AggKind k)
{
	FeatureAgg *a = (FeatureAgg *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) agg_context(fcinfo, agg_fn[k]);
	pq_begintypsend(&buf);
	if (k == AGG_CUSTOMER)
		cust_serialize(&a->st.cust, &buf);
	else
		prod_serialize(&a->st.prod, &buf);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static Datum
agg_deserial(FunctionCallInfo fcinfo, AggKind k)
{
	MemoryContext aggcxt = agg_context(fcinfo, agg_fn[k]);
	StringInfoData buf;
	MemoryContext old;
	FeatureAgg *a;

	state_buffer(fcinfo, &buf);
	old = MemoryContextSwitchTo(aggcxt);
	a = palloc0(sizeof(FeatureAgg));
	budget_init(&a->budget, agg_what[k], FEATURES_HINT);
	if (k == AGG_CUSTOMER)
		cust_deserialize(&a->st.cust, &a->budget, &buf);
	else
		prod_deserialize(&a->st.prod, &a->budget, &buf);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

static Datum
agg_final(FunctionCallInfo fcinfo, AggKind k)
{
	FeatureAgg *a;
	double		v[Max(CUSTOMER_AGG_NFEAT, PRODUCT_NFEAT)];
	bool		isnull[Max(CUSTOMER_AGG_NFEAT, PRODUCT_NFEAT)];

	(void) agg_context(fcinfo, agg_fn[k]);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	a = (FeatureAgg *) PG_GETARG_POINTER(0);
	if (k == AGG_CUSTOMER)
	{
		cust_final(&a->st.cust, v, isnull);
		PG_RETURN_DATUM(float8_array(v, isnull, CUSTOMER_AGG_NFEAT));
	}
	prod_final(&a->st.prod, v, isnull);
	PG_RETURN_DATUM(float8_array(v, isnull, PRODUCT_NFEAT));
}

/* ---------- assoc.customer_agg ---------- */

/*
 * assoc.customer_agg(order_id, item_id, ts, quantity, unit_price, as_of [, event])
 * transition: arguments 1..6 (7: event).
 */
PG_FUNCTION_INFO_V1(customer_agg_transfn);
Datum
customer_agg_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "customer_agg_transfn");
	FeatureAgg *a = PG_ARGISNULL(0) ? NULL : (FeatureAgg *) PG_GETARG_POINTER(0);
	KeyArgs    *k = key_args(fcinfo, 1, 2);
	LineEvent	ev = EVENT_PURCHASE;
	int64		ts,
				as_of;
	double		qty,
				price;
	char		obuf[8],
				ibuf[8];
	const char *okey,
			   *ikey;
	uint32		olen,
				ilen;

	require_arg(fcinfo, 6, "as_of");
	if (PG_NARGS() > 7)
	{
		text	   *e;

		if (PG_ARGISNULL(7))
			RETURN_STATE(a);
		e = PG_GETARG_TEXT_PP(7);
		ev = parse_event(VARDATA_ANY(e), VARSIZE_ANY_EXHDR(e));
	}
	if (!read_line(fcinfo, 3, 6, ev == EVENT_PURCHASE, a ? &a->st.cust.as_of : NULL,
				   &ts, &as_of, &qty, &price) ||
		PG_ARGISNULL(1) || PG_ARGISNULL(2))
		RETURN_STATE(a);

	if (a == NULL)
		a = agg_new(aggcxt, AGG_CUSTOMER, as_of);
	okey = key_bytes(&k->a, PG_GETARG_DATUM(1), obuf, &olen);
	ikey = key_bytes(&k->b, PG_GETARG_DATUM(2), ibuf, &ilen);
	cust_add(&a->st.cust, okey, olen, ikey, ilen, ts, qty, price, ev);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(customer_agg_combine);
Datum
customer_agg_combine(PG_FUNCTION_ARGS)
{
	return agg_combine(fcinfo, AGG_CUSTOMER);
}

PG_FUNCTION_INFO_V1(customer_agg_serial);
Datum
customer_agg_serial(PG_FUNCTION_ARGS)
{
	return agg_serial(fcinfo, AGG_CUSTOMER);
}

PG_FUNCTION_INFO_V1(customer_agg_deserial);
Datum
customer_agg_deserial(PG_FUNCTION_ARGS)
{
	return agg_deserial(fcinfo, AGG_CUSTOMER);
}

PG_FUNCTION_INFO_V1(customer_agg_final);
Datum
customer_agg_final(PG_FUNCTION_ARGS)
{
	return agg_final(fcinfo, AGG_CUSTOMER);
}

/* ---------- assoc.product_agg ---------- */

/*
 * assoc.product_agg(customer_id, order_id, ts, quantity, unit_price, as_of)
 * transition: arguments 1..6.
 */
PG_FUNCTION_INFO_V1(product_agg_transfn);
Datum
product_agg_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "product_agg_transfn");
	FeatureAgg *a = PG_ARGISNULL(0) ? NULL : (FeatureAgg *) PG_GETARG_POINTER(0);
	KeyArgs    *k = key_args(fcinfo, 1, 2);
	int64		ts,
				as_of;
	double		qty,
				price;
	char		cbuf[8],
				obuf[8];
	const char *ckey,
			   *okey;
	uint32		clen,
				olen;

	if (!read_line(fcinfo, 3, 6, true, a ? &a->st.prod.as_of : NULL, &ts, &as_of, &qty, &price) ||
		PG_ARGISNULL(1) || PG_ARGISNULL(2))
		RETURN_STATE(a);
	if (a == NULL)
		a = agg_new(aggcxt, AGG_PRODUCT, as_of);
	ckey = key_bytes(&k->a, PG_GETARG_DATUM(1), cbuf, &clen);
	okey = key_bytes(&k->b, PG_GETARG_DATUM(2), obuf, &olen);
	prod_add(&a->st.prod, ckey, clen, okey, olen, ts, qty, price);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(product_agg_combine);
Datum
product_agg_combine(PG_FUNCTION_ARGS)
{
	return agg_combine(fcinfo, AGG_PRODUCT);
}

PG_FUNCTION_INFO_V1(product_agg_serial);
Datum
product_agg_serial(PG_FUNCTION_ARGS)
{
	return agg_serial(fcinfo, AGG_PRODUCT);
}

PG_FUNCTION_INFO_V1(product_agg_deserial);
Datum
product_agg_deserial(PG_FUNCTION_ARGS)
{
	return agg_deserial(fcinfo, AGG_PRODUCT);
}

PG_FUNCTION_INFO_V1(product_agg_final);
Datum
product_agg_final(PG_FUNCTION_ARGS)
{
	return agg_final(fcinfo, AGG_PRODUCT);
}

/* ---------- assoc.feature_names ---------- */

/*
 * assoc.feature_names(set text) RETURNS text[]: the names of the elements
 * of a feature set's vectors, in order.
 */
PG_FUNCTION_INFO_V1(feature_names);
Datum
feature_names(PG_FUNCTION_ARGS)
{
	char	   *set = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int			n,
				i;
	const char *const *names = feature_set_names(set, &n);
	Datum	   *d;

	if (names == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown feature set \"%s\"", set),
				 errhint("Valid feature sets: %s.", feature_set_list())));
	d = palloc(sizeof(Datum) * n);
	for (i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(names[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* ---------- scalers ---------- */

/* The elements of a one-dimensional float8[] (NULLs allowed), checked. */
static void
read_vector(ArrayType *arr, const char *what, double **v, bool **isnull, int *n)
{
	Datum	   *d;
	int			i;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what),
				 errdetail("It has %d dimensions.", ARR_NDIM(arr)),
				 errhint("Flatten it, or scale one feature vector per row.")));
	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &d, isnull, n);
	*v = palloc(sizeof(double) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		if ((*isnull)[i])
		{
			(*v)[i] = 0;
			continue;
		}
		(*v)[i] = DatumGetFloat8(d[i]);
		check_finite((*v)[i], "every feature value");
	}
}

typedef struct ScalerAgg
{
	MemBudget	budget;
	ScalerFit	fit;
	char	   *params_json;	/* the options used, for the model */
	Jsonb	   *options;		/* as given (to check every row gives the same) */
} ScalerAgg;

static ScalerAgg *
scaler_agg_new(MemoryContext aggcxt, Jsonb *options)
{
	MemoryContext old = MemoryContextSwitchTo(aggcxt);
	ScalerAgg  *a = palloc0(sizeof(ScalerAgg));
	char	   *method = "standard";
	double		lower = 0,
				upper = 1;
	int			m;
	OptionSpec	specs[] = {
		{"method", OPTION_TEXT, &method, 0, -1, false},
		{"clip_lower", OPTION_FLOAT, &lower, 0, 1, false},
		{"clip_upper", OPTION_FLOAT, &upper, 0, 1, false},
	};

	options_parse(options, specs, lengthof(specs), "assoc.scaler_fit");
	m = scaler_method_from_name(method);
	if (m < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown scaler method \"%s\"", method),
				 errhint("Use \"standard\", \"minmax\" or \"none\".")));
	if (lower > upper)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("clip_lower must not be greater than clip_upper"),
				 errdetail("clip_lower is %g, clip_upper is %g.", lower, upper)));
	a->params_json = options_to_json(specs, lengthof(specs));
	if (options)
	{
		a->options = palloc(VARSIZE(options));
		memcpy(a->options, options, VARSIZE(options));
	}
	budget_init(&a->budget, "fitting a scaler", "Raise assoc.mining_mem, or fit on a sample.");
	scaler_fit_init(&a->fit, &a->budget, m, specs[1].present || specs[2].present, lower, upper);
	MemoryContextSwitchTo(old);
	return a;
}

/*
 * assoc.scaler_fit(features float8[] [, options jsonb]) transition.
 */
PG_FUNCTION_INFO_V1(scaler_fit_transfn);
Datum
scaler_fit_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "scaler_fit_transfn");
	ScalerAgg  *a = PG_ARGISNULL(0) ? NULL : (ScalerAgg *) PG_GETARG_POINTER(0);
	Jsonb	   *options = NULL;
	double	   *v;
	bool	   *isnull;
	int			n;

	if (PG_NARGS() > 2 && !PG_ARGISNULL(2))
		options = PG_GETARG_JSONB_P(2);
	if (a == NULL)
		a = scaler_agg_new(aggcxt, options);
	else if ((options == NULL) != (a->options == NULL) ||
			 (options && (VARSIZE(options) != VARSIZE(a->options) ||
						  memcmp(options, a->options, VARSIZE(options)) != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be the same for every row of assoc.scaler_fit"),
				 errhint("Pass a constant as options.")));
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(a);

	read_vector(PG_GETARG_ARRAYTYPE_P(1), "features", &v, &isnull, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must not be empty")));
	if (a->fit.dim != 0 && n != a->fit.dim)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature vectors have different lengths: %d and %d", a->fit.dim, n),
				 errhint("Fit a scaler on vectors of one feature set.")));
	scaler_fit_add(&a->fit, v, isnull, n);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(scaler_fit_combine);
Datum
scaler_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "scaler_fit_combine");
	ScalerAgg  *a = PG_ARGISNULL(0) ? NULL : (ScalerAgg *) PG_GETARG_POINTER(0);
	ScalerAgg  *b = PG_ARGISNULL(1) ? NULL : (ScalerAgg *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = scaler_agg_new(aggcxt, b->options);
	if (a->fit.dim != 0 && b->fit.dim != 0 && a->fit.dim != b->fit.dim)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature vectors have different lengths: %d and %d", a->fit.dim, b->fit.dim),
				 errhint("Fit a scaler on vectors of one feature set.")));
	if (a->fit.method != b->fit.method || a->fit.clip != b->fit.clip ||
		a->fit.clip_lower != b->fit.clip_lower || a->fit.clip_upper != b->fit.clip_upper)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be the same for every row of assoc.scaler_fit")));
	scaler_fit_merge(&a->fit, &b->fit);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(scaler_fit_serial);
Datum
scaler_fit_serial(PG_FUNCTION_ARGS)
{
	ScalerAgg  *a = (ScalerAgg *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	(void) agg_context(fcinfo, "scaler_fit_serial");
	pq_begintypsend(&buf);
	/* the options as given, then the fit */
	options_send(&buf, a->options);
	scaler_fit_serialize(&a->fit, &buf);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(scaler_fit_deserial);
Datum
scaler_fit_deserial(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "scaler_fit_deserial");
	StringInfoData buf;
	Jsonb	   *options;
	ScalerAgg  *a;
	MemoryContext old;

	state_buffer(fcinfo, &buf);
	options = options_receive(&buf, "assoc.scaler_fit");
	a = scaler_agg_new(aggcxt, options);
	old = MemoryContextSwitchTo(aggcxt);
	scaler_fit_deserialize(&a->fit, &a->budget, &buf);
	MemoryContextSwitchTo(old);
	PG_RETURN_POINTER(a);
}

PG_FUNCTION_INFO_V1(scaler_fit_final);
Datum
scaler_fit_final(PG_FUNCTION_ARGS)
{
	ScalerAgg  *a;
	Scaler		s;

	(void) agg_context(fcinfo, "scaler_fit_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	a = (ScalerAgg *) PG_GETARG_POINTER(0);
	if (a->fit.dim == 0)
		PG_RETURN_NULL();		/* no vectors: no scaler, as avg() of nothing */
	scaler_finish(&a->fit, &s);
	PG_RETURN_BYTEA_P(scaler_encode(&s, a->params_json));
}

/*
 * assoc.scale(scaler bytea, features float8[]) RETURNS float8[]
 */
PG_FUNCTION_INFO_V1(scale_features);
Datum
scale_features(PG_FUNCTION_ARGS)
{
	ModelHeader h;
	const Scaler *s = model_cached(fcinfo, 0, MODEL_SCALER, scaler_decode, &h);
	double	   *v;
	bool	   *isnull;
	int			n;

	read_vector(PG_GETARG_ARRAYTYPE_P(1), "features", &v, &isnull, &n);
	if (n != s->dim)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the scaler was fitted on %d features, not %d", s->dim, n),
				 errhint("Scale vectors of the feature set the scaler was fitted on.")));
	scaler_apply(s, v, isnull, v);
	PG_RETURN_DATUM(float8_array(v, NULL, n));
}

/* ---------- feature hashing ---------- */

static void
check_width(int32 width)
{
	if (width < 1 || width > 1048576)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("width must be between 1 and 1048576"),
				 errdetail("width is %d.", width),
				 errhint("A few hundred to a few thousand columns are usual.")));
}

/*
 * assoc.hash_features(keys text[], width, alternate_sign, seed) and
 * assoc.hash_features(keys text[], weights float8[], width, alternate_sign, seed)
 */
PG_FUNCTION_INFO_V1(hash_features);
Datum
hash_features(PG_FUNCTION_ARGS)
{
	bool		weighted = PG_NARGS() == 5;
	int			a = weighted ? 2 : 1;
	ArrayType  *keys = PG_GETARG_ARRAYTYPE_P(0);
	int32		width = PG_GETARG_INT32(a);
	bool		alternate = PG_GETARG_BOOL(a + 1);
	uint32		seed = (uint32) PG_GETARG_INT32(a + 2);
	Datum	   *kd;
	bool	   *knull;
	int			nk,
				i;
	double	   *w = NULL;
	bool	   *wnull = NULL;
	int			nw = 0;
	double	   *out;

	check_width(width);
	deconstruct_array(keys, TEXTOID, -1, false, TYPALIGN_INT, &kd, &knull, &nk);
	if (weighted)
	{
		read_vector(PG_GETARG_ARRAYTYPE_P(1), "weights", &w, &wnull, &nw);
		if (nw != nk)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("keys and weights must have the same length"),
					 errdetail("There are %d keys and %d weights.", nk, nw)));
	}
	out = palloc0(sizeof(double) * width);
	for (i = 0; i < nk; i++)
	{
		text	   *t;

		if (knull[i] || (weighted && wnull[i]))
			continue;
		t = DatumGetTextPP(kd[i]);
		hash_feature_add(out, width, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t),
						 weighted ? w[i] : 1.0, alternate, seed);
	}
	PG_RETURN_DATUM(float8_array(out, NULL, width));
}

/* ---------- seeded train/test split ---------- */

/* 'test' or 'train' for the key bytes p[0..len). */
static Datum
split_side(const char *p, Size len, double fraction, uint32 seed)
{
	if (isnan(fraction) || fraction < 0 || fraction > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("test_fraction must be between 0 and 1"),
				 errdetail("test_fraction is %g.", fraction),
				 errhint("Give the share of keys that go to the test set, e.g. 0.2.")));
	return PointerGetDatum(cstring_to_text(hash_unit(p, len, seed) < fraction ? "test" : "train"));
}

/*
 * assoc.train_test_split(key text, test_fraction, seed) RETURNS text
 */
PG_FUNCTION_INFO_V1(train_test_split_text);
Datum
train_test_split_text(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);

	PG_RETURN_DATUM(split_side(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), PG_GETARG_FLOAT8(1),
							   (uint32) PG_GETARG_INT32(2)));
}

/*
 * assoc.train_test_split(key bigint, test_fraction, seed) RETURNS text: the
 * key's decimal text is hashed, so 42 and '42' fall on the same side.
 */
PG_FUNCTION_INFO_V1(train_test_split_int8);
Datum
train_test_split_int8(PG_FUNCTION_ARGS)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), INT64_FORMAT, PG_GETARG_INT64(0));
	PG_RETURN_DATUM(split_side(buf, strlen(buf), PG_GETARG_FLOAT8(1),
							   (uint32) PG_GETARG_INT32(2)));
}
