/*
 * als.h
 *	  Implicit-feedback matrix factorisation by alternating least squares
 *	  (Hu, Koren & Volinsky, "Collaborative Filtering for Implicit Feedback
 *	  Datasets", ICDM 2008), and the ALS model (MODEL_ALS).
 *
 * For users u, items i and strengths r_ui >= 0 (r = 0 where there is no
 * interaction): preference p_ui = [r_ui > 0], confidence c_ui = 1 + alpha r_ui.
 * The factors X (users x f) and Y (items x f) minimise
 *	  L = sum_{u,i} c_ui (p_ui - x_u.y_i)^2 + lambda (|X|^2 + |Y|^2).
 * Each half-step solves every row exactly (Cholesky) or approximately
 * (conjugate gradient, warm-started) from
 *	  (Y'Y + lambda I + Y'(C_u - I)Y) x_u = Y' C_u p_u,
 * where Y'Y is computed once per half-step and Y'(C_u - I)Y touches only the
 * items of u (the paper's speed-up).  An iteration solves the items, then the
 * users, so a user's stored factors are the exact fold-in of their history.
 * The loss is computed exactly in O(nnz f + (users + items) f^2) from
 *	  sum_{u,i} (x_u.y_i)^2 = <X'X, Y'Y>.
 *
 * Model body (envelope integers, big-endian; header dim1 = items, dim2 = f):
 *	u32 users, u32 items, u32 f, f64 lambda, f64 alpha
 *	users x i64 user ids (strictly ascending), items x i64 item ids (same)
 *	users x f f64 X, items x f f64 Y (finite)
 *	u64 nnz, users x u32 items seen per user (sum nnz),
 *	nnz x u32 item numbers (ascending per user, < items)
 */
#ifndef ASSOC_ALS_H
#define ASSOC_ALS_H

#include "postgres.h"

#include "budget.h"
#include "envelope.h"

typedef enum AlsSolver
{
	ALS_CHOLESKY = 0,
	ALS_CG = 1
} AlsSolver;

typedef struct AlsParams
{
	int			factors;
	double		lambda;
	double		alpha;
	int			max_iter;
	int			seed;
	AlsSolver	solver;
	int			cg_steps;
} AlsParams;

/* Compressed rows: row u holds idx[ptr[u] .. ptr[u+1]) (ascending), strengths r > 0. */
typedef struct AlsCsr
{
	uint32		nrows;
	uint64	   *ptr;
	uint32	   *idx;
	double	   *r;
} AlsCsr;

/* Called after each iteration (iter >= 1) with its loss and solve time. */
typedef void (*AlsReportFn) (void *arg, int iter, double loss, double seconds);

typedef struct AlsResult
{
	double	   *X;				/* users x f */
	double	   *Y;				/* items x f */
	double	   *loss;			/* max_iter + 1: loss[0] of the initial factors */
	double		flops_per_iter; /* floating-point operations of the solves, per iteration */
	double		solve_seconds;	/* time in the solves, all iterations */
} AlsResult;

/*
 * Train on by_user (users x items) and its transpose by_item.  Memory is
 * charged to budget; CHECK_FOR_INTERRUPTS between rows.  Deterministic for a
 * seed.  Errors (22023) if a system is not positive definite (lambda 0).
 */
extern void als_train(const AlsCsr *by_user, const AlsCsr *by_item, const AlsParams *p,
					  MemBudget *budget, AlsReportFn report, void *arg, AlsResult *res);

/* A decoded ALS model. */
typedef struct AlsModel
{
	uint32		nusers;
	uint32		nitems;
	int			f;
	double		lambda;
	double		alpha;
	int64	   *user_ids;
	int64	   *item_ids;
	double	   *X;
	double	   *Y;
	uint64		nnz;
	uint64	   *seen_ptr;		/* nusers + 1 */
	uint32	   *seen;
	/* derived at decode */
	double	   *YtY;			/* f x f, full */
	double	   *item_norm;
} AlsModel;

/* Write the body of a model from trained factors and the user rows. */
extern void als_write(ModelWriter *w, const AlsModel *m);

/* ModelDecodeFn for MODEL_ALS: check the body, derive Y'Y and item norms. */
extern void *als_decode(const ModelHeader *h, ModelReader *body);

/* Position of id in an ascending id array, or -1. */
extern int64 als_find(const int64 *ids, uint32 n, int64 id);

/*
 * Factors of a user with the given items (ascending, distinct) and strengths
 * against the model's item factors: the exact least-squares solution, as
 * training computes a user's row.
 */
extern void als_fold_in(const AlsModel *m, const uint32 *items, const double *r, int n,
						double *x);

/* scores[i] = y_i . x for every item. */
extern void als_score(const AlsModel *m, const double *x, double *scores);

/* scores[j] = cosine(y_item, y_j) (0 where a norm is 0). */
extern void als_cosine(const AlsModel *m, uint32 item, double *scores);

#endif							/* ASSOC_ALS_H */
