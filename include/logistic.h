/*
 * logistic.h
 *	  Binary logistic regression: the training kernel (Newton/IRLS or
 *	  L-BFGS), the model body in the envelope, and scoring.
 *
 * The model is P(y = 1 | x) = sigmoid(b + sum_j w_j (x_j - mean_j) / scale_j),
 * with mean 0 and scale 1 when features are not standardised.  Training
 * minimises, over the fitted-scale coefficients w and the intercept b,
 *
 *	  F(w, b) = ( sum_i s_i logloss(y_i, z_i) + l2 / 2 * ||w||^2 ) / sum_i s_i
 *
 * where s_i is the class weight of row i; the intercept is not penalised.
 * This is scikit-learn's LogisticRegression objective with C = 1 / l2
 * (divided by a constant, so the minimiser is the same).
 *
 * Everything here is plain C over arrays: no Datums.  Memory that depends on
 * the data is charged to a MemBudget; long loops check for interrupts.
 */
#ifndef ASSOC_LOGISTIC_H
#define ASSOC_LOGISTIC_H

#include "postgres.h"

#include "budget.h"
#include "envelope.h"

/*
 * Training rows are kept in chunks of contiguous rows (row-major).  A chunk
 * that will not grow any more may carry the moments of its columns, taken
 * while its rows were still in the cache (logistic_chunk_moments), so that
 * standardisation needs no pass over all the rows.
 */
typedef struct LogisticChunk
{
	int			nrows;			/* rows filled */
	double	   *x;				/* nrows x p features */
	double	   *y;				/* nrows labels, 0 or 1 */
	double	   *moments;		/* NULL, or mean[p] then m2[p] of the nrows rows */
} LogisticChunk;

typedef struct LogisticData
{
	int			p;				/* features per row (>= 1) */
	int			nchunks;
	const LogisticChunk *chunks;
	int64		n;				/* rows in all chunks */
	int64		npos;			/* rows with label 1 */
} LogisticData;

typedef enum LogisticSolver
{
	LOGISTIC_AUTO = 0,			/* Newton for up to LOGISTIC_NEWTON_MAX_P features, else L-BFGS */
	LOGISTIC_NEWTON = 1,
	LOGISTIC_LBFGS = 2
} LogisticSolver;

#define LOGISTIC_NEWTON_MAX_P 200
#define LOGISTIC_LBFGS_MEMORY 10

typedef struct LogisticParams
{
	double		l2;				/* L2 penalty (= 1 / C), >= 0 */
	bool		fit_intercept;
	bool		standardize;	/* fit on (x - mean) / scale, kept in the model */
	double		weight_pos;		/* class weight of label 1 rows (> 0) */
	double		weight_neg;		/* class weight of label 0 rows (> 0) */
	LogisticSolver solver;		/* never LOGISTIC_AUTO when passed to logistic_fit */
	int			max_iter;
	double		tol;			/* stop when max |gradient of F| <= tol */
	bool		warm_start;		/* Newton: start from the solution on a sample (large inputs) */
	bool		verbose;		/* an INFO message per iteration */
} LogisticParams;

typedef struct LogisticModel
{
	int			p;
	bool		fit_intercept;
	bool		standardize;
	double		intercept;		/* b, on the fitted scale */
	double	   *coef;			/* w[p], on the fitted scale */
	double	   *mean;			/* mean[p] (0 when not standardised) */
	double	   *scale;			/* scale[p] (1 when not standardised) */
	/* derived, for scoring raw features: z = raw_intercept + raw_coef . x */
	double		raw_intercept;
	double	   *raw_coef;
} LogisticModel;

typedef struct LogisticReport
{
	int			iterations;
	bool		converged;
	double		objective;		/* F at the solution */
	double		loss;			/* weighted mean log loss, without the penalty */
	double		grad_norm;		/* max |gradient of F| at the last evaluation */
	int			passes;			/* evaluations (passes over the rows or the sample) */
	int64		warm_rows;		/* rows of the warm start's sample, 0 if none */
	int			warm_iterations;	/* Newton iterations on that sample */
} LogisticReport;

/*
 * Fit a model to d (which must hold both labels).  m's arrays are allocated
 * in CurrentMemoryContext; working memory is charged to budget.
 */
extern void logistic_fit(const LogisticData *d, const LogisticParams *params,
						 MemBudget *budget, LogisticModel *m, LogisticReport *rep);

/*
 * Column means of the m rows of x (m >= 1, p columns, row-major) into mean[p]
 * and the sums of squared deviations from them into m2[p] (two passes).
 */
extern void logistic_chunk_moments(const double *x, int m, int p, double *mean, double *m2);

/* Fill m->raw_intercept and m->raw_coef (allocated) from the fitted form. */
extern void logistic_derive_raw(LogisticModel *m);

/* The model as an envelope of kind MODEL_LOGISTIC. */
extern bytea *logistic_encode(const LogisticModel *m, const ModelMeta *meta);

/* ModelDecodeFn: a LogisticModel read (and checked) from a model body. */
extern void *logistic_decode(const ModelHeader *h, ModelReader *body);

/*
 * P(y = 1 | x) for a decoded model; errors unless n equals the model's
 * number of features and every x is finite.
 */
extern double logistic_score(const void *decoded, const double *x, int n);

/* Numerically stable sigmoid. */
extern double logistic_sigmoid(double z);

#endif							/* ASSOC_LOGISTIC_H */
