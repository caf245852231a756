/*
 * kmeans.h
 *	  k-means clustering: the kernel (plain C over arrays: canonical order,
 *	  standardisation, k-means++ / random / given initialisation, Lloyd
 *	  iterations through OpenBLAS, empty-cluster re-seeding, silhouette on a
 *	  seeded sample) and the body of a MODEL_KMEANS model.
 *
 * Rows live in a "z space": z = (x - center) / scale, where center is the
 * feature mean and scale the population standard deviation (1 for a
 * constant feature) when standardising, or 1 otherwise (centring alone does
 * not change distances; it keeps the ||z||^2 - 2 z.c + ||c||^2 form
 * accurate, as scikit-learn does).  Centroids, inertia and distances are in
 * z space.  Cluster numbers run from 0 to k - 1.
 *
 * Model body (after the envelope's metadata; dim1 = d features, dim2 = k):
 *	uint8		standardize (0 or 1)
 *	float64[d]	center
 *	float64[d]	scale (> 0)
 *	float64[k*d] centroids in z space, row-major
 *	int64[k]	cluster sizes on the training rows
 *	float64		inertia (sum of squared z-space distances to the nearest centroid)
 */
#ifndef ASSOC_KMEANS_H
#define ASSOC_KMEANS_H

#include "postgres.h"

#include "budget.h"
#include "envelope.h"

/* Limits, checked by the SQL face before any work is done. */
#define KMEANS_MAX_FEATURES 100000
#define KMEANS_MAX_K 100000
#define KMEANS_MAX_CENTROID_VALUES (1 << 24)	/* k * d */
#define KMEANS_MAX_ROWS ((int64) PG_INT32_MAX)
#define KMEANS_MAX_SILHOUETTE_SAMPLE 100000

/* Training rows prepared for the kernel by kmeans_prepare. */
typedef struct KmeansData
{
	int64		n;				/* rows */
	int			d;				/* features */
	int64		ndistinct;		/* distinct rows */
	double	   *z;				/* n x d, row-major, canonical order, z space */
	double	   *znorm;			/* n squared norms of the rows of z */
	double	   *center;			/* d */
	double	   *scale;			/* d */
	double		mean_var;		/* mean over features of the variance of z */
} KmeansData;

typedef enum KmeansInit
{
	KMEANS_INIT_PLUSPLUS,		/* greedy k-means++ */
	KMEANS_INIT_RANDOM,			/* k rows drawn without replacement */
	KMEANS_INIT_GIVEN			/* centroids given by the caller */
} KmeansInit;

/* Called after each Lloyd iteration when KmeansParams.progress is set. */
typedef void (*KmeansProgressFn) (void *arg, int run, int iteration, double inertia,
								  int64 changed, double shift);

typedef struct KmeansParams
{
	int			k;
	int			max_iter;		/* >= 1 */
	double		tol;			/* relative to mean_var, as scikit-learn */
	int			n_init;			/* runs; the one of lowest inertia is kept */
	KmeansInit	init;
	const double *init_centroids;	/* KMEANS_INIT_GIVEN: k x d in z space */
	uint64		seed;
	KmeansProgressFn progress;	/* may be NULL */
	void	   *progress_arg;
} KmeansParams;

typedef struct KmeansResult
{
	double	   *centroids;		/* k x d, z space */
	int64	   *sizes;			/* k */
	int32	   *labels;			/* n: nearest centroid of each row of z */
	double		inertia;
	int			iterations;		/* of the kept run */
	bool		converged;		/* the kept run stopped before max_iter ran out */
	int64		relocations;	/* empty clusters re-seeded in the kept run */
} KmeansResult;

/* A decoded model, for scoring. */
typedef struct KmeansModel
{
	int			k;
	int			d;
	bool		standardize;
	double	   *center;			/* d */
	double	   *scale;			/* d */
	double	   *centroids;		/* k x d, z space */
	int64	   *sizes;			/* k */
	double		inertia;
} KmeansModel;

/*
 * Prepare n rows of d finite values (rows[i] points at row i; -0.0 already
 * folded to 0.0) for training: put them in a canonical order that depends
 * only on their values (so that the model does not depend on the order in
 * which an aggregate saw them), count the distinct rows, compute the
 * centring/standardisation and the z-space copy.  Memory is charged to b.
 */
extern void kmeans_prepare(KmeansData *data, const double *const *rows, int64 n, int d,
						   bool standardize, MemBudget *b);

/* z = (x - center) / scale, the one transformation used in training and scoring. */
extern void kmeans_transform_row(const double *x, const double *center, const double *scale,
								 int d, double *z);

/*
 * Fit k-means to data (k <= data->ndistinct checked by the caller).
 * Result arrays are allocated through b.
 */
extern void kmeans_fit(const KmeansData *data, const KmeansParams *p, KmeansResult *res,
					   MemBudget *b);

/*
 * Mean silhouette of the labelling on a sample of min(sample, n) rows drawn
 * without replacement with the given seed (all rows if sample >= n), with
 * Euclidean distances within the sample, as scikit-learn's silhouette_score.
 * NaN when it is undefined (fewer than 2 clusters in the sample, or every
 * sampled row its own cluster).
 */
extern double kmeans_silhouette(const KmeansData *data, const int32 *labels, int k,
								int64 sample, uint64 seed, MemBudget *b);

/*
 * Nearest centroid of a z-space row: its number (ties go to the lowest) and
 * the squared distance, computed directly as the sum of squared differences.
 */
extern int	kmeans_nearest(const double *centroids, int k, int d, const double *z,
						   double *dist2);

/* Write the body of a MODEL_KMEANS model (after model_begin). */
extern void kmeans_write_body(ModelWriter *w, bool standardize, int k, int d,
							  const double *center, const double *scale,
							  const double *centroids, const int64 *sizes, double inertia);

/* ModelDecodeFn of MODEL_KMEANS: a KmeansModel, checked value by value. */
extern void *kmeans_decode(const ModelHeader *h, ModelReader *body);

/*
 * Score function for assoc.predict's dispatch table (docs/CONTRACTS.md): the
 * number of the nearest cluster, as a double.  Errors on a vector of the
 * wrong length or with NaN/Infinity.
 */
extern double kmeans_score(const void *decoded, const double *x, int n);

#endif							/* ASSOC_KMEANS_H */
