/*
 * scaler.h
 *	  Fitted scalers for feature vectors: standard (mean 0, population
 *	  standard deviation 1), min-max ([0, 1]) or none, optionally after
 *	  clipping each column at fitted quantiles.  The fit is an aggregate state
 *	  (mergeable, serialisable); the fitted scaler is a MODEL_SCALER model in
 *	  the common envelope.
 *
 * Missing values (NULL elements) are left out of the fit; applying a scaler
 * replaces them by the column's fitted mean (after clipping), so a scaled
 * vector has no missing element (0 for a standard scaler).  A column whose
 * spread is below 10 * DBL_EPSILON is scaled by 1, as scikit-learn does.
 */
#ifndef ASSOC_SCALER_H
#define ASSOC_SCALER_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "budget.h"
#include "envelope.h"

typedef enum ScalerMethod
{
	SCALER_NONE = 0,
	SCALER_STANDARD = 1,
	SCALER_MINMAX = 2
} ScalerMethod;

/* Method by name ("none", "standard", "minmax"), or -1. */
extern int	scaler_method_from_name(const char *name);
extern const char *scaler_method_name(int method);

/* ---------- fitting (the aggregate state) ---------- */

typedef struct ScalerFit
{
	MemBudget  *budget;
	uint8		method;
	bool		clip;
	double		clip_lower;		/* quantiles in [0, 1] */
	double		clip_upper;
	int			dim;			/* 0 until the first vector */
	uint64		rows;
	uint64	   *n;				/* per column: non-missing values */
	double	   *mean;			/* Welford running mean and sum of squares */
	double	   *m2;
	double	   *min;
	double	   *max;
	double	  **vals;			/* clip only: every value per column */
	Size	   *vcap;
} ScalerFit;

extern void scaler_fit_init(ScalerFit *f, MemBudget *budget, int method, bool clip,
							double clip_lower, double clip_upper);

/*
 * Add a vector; x[i] is ignored where isnull[i].  The caller has checked
 * that dim matches and that every value is finite.
 */
extern void scaler_fit_add(ScalerFit *f, const double *x, const bool *isnull, int dim);

/* dst += src (same method, clip and dimension: checked by the caller). */
extern void scaler_fit_merge(ScalerFit *dst, const ScalerFit *src);

extern void scaler_fit_serialize(const ScalerFit *f, StringInfo buf);
extern void scaler_fit_deserialize(ScalerFit *f, MemBudget *budget, StringInfo buf);

/* ---------- the fitted scaler ---------- */

typedef struct Scaler
{
	int			dim;
	uint8		method;
	bool		clip;
	double		clip_lower;
	double		clip_upper;
	uint64		rows;
	uint64	   *n;				/* per column */
	double	   *lo;				/* clip bounds (-inf, +inf without clipping) */
	double	   *hi;
	double	   *center;			/* y = (clip(x) - center) / scale */
	double	   *scale;
	double	   *fill;			/* value used for a missing x */
} Scaler;

/* Fit from a state (not changed); memory in CurrentMemoryContext. */
extern void scaler_finish(const ScalerFit *f, Scaler *s);

/* y = scaled x (missing elements filled); x and y may be the same array. */
extern void scaler_apply(const Scaler *s, const double *x, const bool *isnull, double *y);

/* The scaler as a model (params_json: the options used). */
extern bytea *scaler_encode(const Scaler *s, const char *params_json);

/* ModelDecodeFn for model_cached / model_open: returns a Scaler *. */
extern void *scaler_decode(const ModelHeader *h, ModelReader *body);

#endif							/* ASSOC_SCALER_H */
