/*
 * scaler.c
 *	  Fitting and applying scalers (see scaler.h), and their model format.
 *
 * Fit state, serialised (version 1, pq_send*): u8 version, u8 method,
 * u8 clip, f64 clip_lower, f64 clip_upper, i32 dim, u64 rows, then per
 * column u64 n, f64 mean, m2, min, max; with clip, per column its n values.
 *
 * Model body (MODEL_SCALER, dim1 = columns, dim2 = method): u8 method,
 * u8 clip, f64 clip_lower, f64 clip_upper, then per column u64 n, f64 lo,
 * hi, center, scale, fill.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "libpq/pqformat.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/float.h"

#include "feature_kernels.h"
#include "scaler.h"

#define SCALER_STATE_VERSION 1
#define SCALER_MAX_DIM 100000

static const char *const method_names[] = {"none", "standard", "minmax"};

int
scaler_method_from_name(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(method_names); i++)
		if (strcmp(name, method_names[i]) == 0)
			return i;
	return -1;
}

const char *
scaler_method_name(int method)
{
	if (method < 0 || method >= lengthof(method_names))
		return "unknown";
	return method_names[method];
}

/* ---------- fitting ---------- */

void
scaler_fit_init(ScalerFit *f, MemBudget *budget, int method, bool clip,
				double clip_lower, double clip_upper)
{
	memset(f, 0, sizeof(ScalerFit));
	f->budget = budget;
	f->method = (uint8) method;
	f->clip = clip;
	f->clip_lower = clip_lower;
	f->clip_upper = clip_upper;
}

/* Allocate the per-column arrays for dim columns. */
static void
fit_set_dim(ScalerFit *f, int dim)
{
	int			i;

	f->dim = dim;
	f->n = budget_alloc0(f->budget, budget_mul(dim, sizeof(uint64)));
	f->mean = budget_alloc0(f->budget, budget_mul(dim, sizeof(double)));
	f->m2 = budget_alloc0(f->budget, budget_mul(dim, sizeof(double)));
	f->min = budget_alloc(f->budget, budget_mul(dim, sizeof(double)));
	f->max = budget_alloc(f->budget, budget_mul(dim, sizeof(double)));
	for (i = 0; i < dim; i++)
	{
		f->min[i] = get_float8_infinity();
		f->max[i] = -get_float8_infinity();
	}
	if (f->clip)
	{
		f->vals = budget_alloc0(f->budget, budget_mul(dim, sizeof(double *)));
		f->vcap = budget_alloc0(f->budget, budget_mul(dim, sizeof(Size)));
	}
}

/* Append v to the stored values of column i. */
static inline void
fit_store(ScalerFit *f, int i, double v)
{
	if (f->n[i] >= f->vcap[i])
	{
		Size		newcap = f->vcap[i] == 0 ? 64 : f->vcap[i] * 2;

		f->vals[i] = budget_realloc(f->budget, f->vals[i], sizeof(double) * f->vcap[i],
									budget_mul(newcap, sizeof(double)));
		f->vcap[i] = newcap;
	}
	f->vals[i][f->n[i]] = v;
}

void
scaler_fit_add(ScalerFit *f, const double *x, const bool *isnull, int dim)
{
	int			i;

	if (f->dim == 0)
		fit_set_dim(f, dim);
	Assert(dim == f->dim);
	f->rows++;
	for (i = 0; i < dim; i++)
	{
		double		v = x[i];
		double		delta;

		if (isnull && isnull[i])
			continue;
		if (f->clip)
			fit_store(f, i, v);
		f->n[i]++;
		delta = v - f->mean[i];
		f->mean[i] += delta / (double) f->n[i];
		f->m2[i] += delta * (v - f->mean[i]);
		if (v < f->min[i])
			f->min[i] = v;
		if (v > f->max[i])
			f->max[i] = v;
	}
}

void
scaler_fit_merge(ScalerFit *dst, const ScalerFit *src)
{
	int			i;

	if (src->dim == 0)
	{
		dst->rows += src->rows;
		return;
	}
	if (dst->dim == 0)
		fit_set_dim(dst, src->dim);
	Assert(dst->dim == src->dim && dst->clip == src->clip);
	dst->rows += src->rows;
	for (i = 0; i < dst->dim; i++)
	{
		uint64		na = dst->n[i],
					nb = src->n[i];
		double		n,
					delta;

		if (nb == 0)
			continue;
		if (dst->clip)
		{
			uint64		k;

			for (k = 0; k < nb; k++)
			{
				fit_store(dst, i, src->vals[i][k]);
				dst->n[i]++;
			}
			dst->n[i] = na;
			if ((i & 0xFF) == 0)
				CHECK_FOR_INTERRUPTS();
		}
		/* Chan et al.: pairwise update of the mean and sum of squares */
		n = (double) na + (double) nb;
		delta = src->mean[i] - dst->mean[i];
		dst->mean[i] += delta * ((double) nb / n);
		dst->m2[i] += src->m2[i] + delta * delta * ((double) na * (double) nb / n);
		dst->n[i] = na + nb;
		dst->min[i] = Min(dst->min[i], src->min[i]);
		dst->max[i] = Max(dst->max[i], src->max[i]);
	}
}

void
scaler_fit_serialize(const ScalerFit *f, StringInfo buf)
{
	int			i;

	pq_sendbyte(buf, SCALER_STATE_VERSION);
	pq_sendbyte(buf, f->method);
	pq_sendbyte(buf, f->clip ? 1 : 0);
	pq_sendfloat8(buf, f->clip_lower);
	pq_sendfloat8(buf, f->clip_upper);
	pq_sendint32(buf, f->dim);
	pq_sendint64(buf, (int64) f->rows);
	for (i = 0; i < f->dim; i++)
	{
		pq_sendint64(buf, (int64) f->n[i]);
		pq_sendfloat8(buf, f->mean[i]);
		pq_sendfloat8(buf, f->m2[i]);
		pq_sendfloat8(buf, f->min[i]);
		pq_sendfloat8(buf, f->max[i]);
	}
	if (f->clip)
		for (i = 0; i < f->dim; i++)
		{
			uint64		k;

			for (k = 0; k < f->n[i]; k++)
				pq_sendfloat8(buf, f->vals[i][k]);
		}
}

static void
fit_corrupted(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("assoc scaler state is corrupted"),
			 errdetail("%s", detail)));
}

void
scaler_fit_deserialize(ScalerFit *f, MemBudget *budget, StringInfo buf)
{
	int			version = pq_getmsgbyte(buf);
	int			method,
				clip,
				dim,
				i;
	double		lower,
				upper;

	if (version != SCALER_STATE_VERSION)
		fit_corrupted("Unknown state format version.");
	method = pq_getmsgbyte(buf);
	clip = pq_getmsgbyte(buf);
	lower = pq_getmsgfloat8(buf);
	upper = pq_getmsgfloat8(buf);
	if (method > SCALER_MINMAX || clip > 1 || !(lower >= 0 && lower <= upper && upper <= 1))
		fit_corrupted("Unknown method or clip settings.");
	scaler_fit_init(f, budget, method, clip == 1, lower, upper);
	dim = pq_getmsgint(buf, 4);
	if (dim < 0 || dim > SCALER_MAX_DIM ||
		(Size) dim > (Size) (buf->len - buf->cursor) / (8 * 5))
		fit_corrupted("The number of columns does not fit the size of the state.");
	f->rows = (uint64) pq_getmsgint64(buf);
	if (dim > 0)
		fit_set_dim(f, dim);
	for (i = 0; i < dim; i++)
	{
		f->n[i] = (uint64) pq_getmsgint64(buf);
		f->mean[i] = pq_getmsgfloat8(buf);
		f->m2[i] = pq_getmsgfloat8(buf);
		f->min[i] = pq_getmsgfloat8(buf);
		f->max[i] = pq_getmsgfloat8(buf);
		if (f->n[i] > f->rows)
			fit_corrupted("A column has more values than rows.");
	}
	if (f->clip)
		for (i = 0; i < dim; i++)
		{
			uint64		k,
						n = f->n[i];

			if (n > (uint64) (buf->len - buf->cursor) / 8)
				fit_corrupted("The values do not fit the size of the state.");
			f->n[i] = 0;
			for (k = 0; k < n; k++)
			{
				fit_store(f, i, pq_getmsgfloat8(buf));
				f->n[i]++;
			}
		}
	pq_getmsgend(buf);
}

/* ---------- the fitted scaler ---------- */

static void
scaler_alloc(Scaler *s, int dim)
{
	s->dim = dim;
	s->n = palloc0(sizeof(uint64) * Max(dim, 1));
	s->lo = palloc(sizeof(double) * Max(dim, 1));
	s->hi = palloc(sizeof(double) * Max(dim, 1));
	s->center = palloc(sizeof(double) * Max(dim, 1));
	s->scale = palloc(sizeof(double) * Max(dim, 1));
	s->fill = palloc(sizeof(double) * Max(dim, 1));
}

/* A spread too small to divide by counts as none (scikit-learn's rule). */
static inline double
nonzero_scale(double v)
{
	return v < 10 * DBL_EPSILON ? 1.0 : v;
}

void
scaler_finish(const ScalerFit *f, Scaler *s)
{
	int			i;

	scaler_alloc(s, f->dim);
	s->method = f->method;
	s->clip = f->clip;
	s->clip_lower = f->clip_lower;
	s->clip_upper = f->clip_upper;
	s->rows = f->rows;
	for (i = 0; i < f->dim; i++)
	{
		uint64		n = f->n[i];
		double		mean = f->mean[i];
		double		var = n > 0 ? f->m2[i] / (double) n : 0;
		double		min = f->min[i];
		double		max = f->max[i];

		s->n[i] = n;
		s->lo[i] = -get_float8_infinity();
		s->hi[i] = get_float8_infinity();
		if (n == 0)
		{
			s->center[i] = 0;
			s->scale[i] = 1;
			s->fill[i] = 0;
			continue;
		}
		if (f->clip)
		{
			/* quantiles of a sorted copy, then the statistics of the clipped values */
			double	   *v = palloc_extended(sizeof(double) * n, MCXT_ALLOC_HUGE);
			double		sum = 0,
						ss = 0;
			uint64		k;

			memcpy(v, f->vals[i], sizeof(double) * n);
			sort_doubles(v, n);
			s->lo[i] = quantile_sorted(v, n, f->clip_lower);
			s->hi[i] = quantile_sorted(v, n, f->clip_upper);
			for (k = 0; k < n; k++)
			{
				v[k] = Min(Max(v[k], s->lo[i]), s->hi[i]);
				sum += v[k];
			}
			mean = sum / (double) n;
			for (k = 0; k < n; k++)
				ss += (v[k] - mean) * (v[k] - mean);
			var = ss / (double) n;
			min = v[0];
			max = v[n - 1];
			pfree(v);
			CHECK_FOR_INTERRUPTS();
		}
		s->fill[i] = mean;
		switch (f->method)
		{
			case SCALER_STANDARD:
				s->center[i] = mean;
				s->scale[i] = nonzero_scale(sqrt(var));
				break;
			case SCALER_MINMAX:
				s->center[i] = min;
				s->scale[i] = nonzero_scale(max - min);
				break;
			default:
				s->center[i] = 0;
				s->scale[i] = 1;
				break;
		}
	}
}

void
scaler_apply(const Scaler *s, const double *x, const bool *isnull, double *y)
{
	int			i;

	for (i = 0; i < s->dim; i++)
	{
		double		v = (isnull && isnull[i]) ? s->fill[i] : x[i];

		v = Min(Max(v, s->lo[i]), s->hi[i]);
		y[i] = (v - s->center[i]) / s->scale[i];
	}
}

bytea *
scaler_encode(const Scaler *s, const char *params_json)
{
	ModelWriter w;
	ModelMeta	meta;
	StringInfoData info;
	int			i;

	initStringInfo(&info);
	appendStringInfo(&info, "{\"method\": \"%s\", \"columns\": %d, ",
					 scaler_method_name(s->method), s->dim);
	if (s->clip)
		appendStringInfo(&info, "\"clip\": [%.17g, %.17g]", s->clip_lower, s->clip_upper);
	else
		appendStringInfoString(&info, "\"clip\": null");
	appendStringInfoString(&info, ", \"values\": [");
	for (i = 0; i < s->dim; i++)
		appendStringInfo(&info, "%s" UINT64_FORMAT, i ? ", " : "", s->n[i]);
	appendStringInfoString(&info, "]}");

	memset(&meta, 0, sizeof(meta));
	meta.training_rows = s->rows;
	meta.loss = get_float8_nan();
	meta.params_json = params_json;
	meta.info_json = info.data;
	model_begin(&w, MODEL_SCALER, (uint32) s->dim, s->method, &meta);
	model_put_u8(&w, s->method);
	model_put_u8(&w, s->clip ? 1 : 0);
	model_put_f64(&w, s->clip_lower);
	model_put_f64(&w, s->clip_upper);
	for (i = 0; i < s->dim; i++)
	{
		model_put_u64(&w, s->n[i]);
		model_put_f64(&w, s->lo[i]);
		model_put_f64(&w, s->hi[i]);
		model_put_f64(&w, s->center[i]);
		model_put_f64(&w, s->scale[i]);
		model_put_f64(&w, s->fill[i]);
	}
	return model_finish(&w);
}

void *
scaler_decode(const ModelHeader *h, ModelReader *body)
{
	Scaler	   *s = palloc0(sizeof(Scaler));
	int			i;

	if (h->dim1 == 0 || h->dim1 > SCALER_MAX_DIM)
		model_corrupted("The number of columns of the scaler is out of range.");
	model_need(body, h->dim1, 6 * 8);
	scaler_alloc(s, (int) h->dim1);
	s->method = model_get_u8(body);
	s->clip = model_get_u8(body) != 0;
	s->clip_lower = model_get_f64(body);
	s->clip_upper = model_get_f64(body);
	if (s->method > SCALER_MINMAX || s->method != h->dim2)
		model_corrupted("The scaler method is unknown.");
	for (i = 0; i < s->dim; i++)
	{
		s->n[i] = model_get_u64(body);
		s->lo[i] = model_get_f64(body);
		s->hi[i] = model_get_f64(body);
		s->center[i] = model_get_f64(body);
		s->scale[i] = model_get_f64(body);
		s->fill[i] = model_get_f64(body);
		if (isnan(s->lo[i]) || isnan(s->hi[i]) || s->lo[i] > s->hi[i] ||
			!isfinite(s->center[i]) || !isfinite(s->scale[i]) || s->scale[i] <= 0 ||
			!isfinite(s->fill[i]))
			model_corrupted("A scaler column has invalid parameters.");
	}
	model_end(body);
	return s;
}
