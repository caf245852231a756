/*
 * als.c
 *	  Implicit-feedback ALS: training, the model body, fold-in and scoring
 *	  (see als.h).  Plain C over arrays; all linear algebra through blas.h.
 *
 * A row's system is built in chunks of ALS_CHUNK interactions: the chunk's
 * item factors are gathered into a dense block Z, Y'C_u p_u is accumulated
 * with one dgemv, the rows of Z are scaled by sqrt(alpha r) and Z'Z is added
 * with one dsyrk, so work memory does not grow with a row's length.
 */
#include "postgres.h"

#include <math.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "portability/instr_time.h"

#include "als.h"
#include "blas.h"

#define ALS_CHUNK 1024

/* Scratch for solving one row. */
typedef struct AlsWork
{
	int			f;
	double	   *A;				/* f x f */
	double	   *b;				/* f */
	double	   *Z;				/* ALS_CHUNK x f */
	double	   *c;				/* ALS_CHUNK */
	double	   *res;			/* CG: residual, direction, A p */
	double	   *p;
	double	   *Ap;
} AlsWork;

static void
work_init(AlsWork *w, int f, MemBudget *budget)
{
	Size		n = (Size) f * f + (Size) f * 4 + (Size) ALS_CHUNK * (f + 1);
	double	   *mem = budget ? budget_alloc(budget, budget_mul(n, sizeof(double)))
		: palloc_extended(sizeof(double) * n, MCXT_ALLOC_HUGE);

	w->f = f;
	w->A = mem;
	w->b = w->A + (Size) f * f;
	w->res = w->b + f;
	w->p = w->res + f;
	w->Ap = w->p + f;
	w->Z = w->Ap + f;
	w->c = w->Z + (Size) ALS_CHUNK * f;
}

/* G = M'M (n x f rows), full symmetric. */
static void
gram(const double *M, uint32 n, int f, double *G)
{
	int			i,
				j;

	blas_dsyrk(true, f, (int) n, 1.0, M, f, 0.0, G, f);
	for (i = 0; i < f; i++)
		for (j = 0; j < i; j++)
			G[(Size) i * f + j] = G[(Size) j * f + i];
}

static void
not_positive_definite(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("ALS system is not positive definite"),
			 errdetail("A least-squares system of the factorisation is singular."),
			 errhint("Set option \"lambda\" above 0.")));
}

/*
 * Exact solve of one row into x; returns the flops spent.
 * (G + lambda I + sum_j alpha r_j y_j y_j') x = sum_j (1 + alpha r_j) y_j
 */
static double
solve_row_chol(const double *G, const double *Y, int f, const uint32 *idx, const double *r,
			   uint64 n, double lambda, double alpha, double *x, AlsWork *w)
{
	uint64		s;
	int			i;
	double		flops = 0;

	memcpy(w->A, G, sizeof(double) * f * f);
	for (i = 0; i < f; i++)
		w->A[(Size) i * f + i] += lambda;
	memset(w->b, 0, sizeof(double) * f);
	for (s = 0; s < n; s += ALS_CHUNK)
	{
		int			m = (int) Min((uint64) ALS_CHUNK, n - s);
		int			j;

		for (j = 0; j < m; j++)
		{
			memcpy(w->Z + (Size) j * f, Y + (Size) idx[s + j] * f, sizeof(double) * f);
			w->c[j] = 1.0 + alpha * r[s + j];
		}
		blas_dgemv(true, m, f, 1.0, w->Z, f, w->c, 1.0, w->b);
		for (j = 0; j < m; j++)
		{
			double		sc = sqrt(alpha * r[s + j]);
			double	   *z = w->Z + (Size) j * f;

			for (i = 0; i < f; i++)
				z[i] *= sc;
		}
		blas_dsyrk(true, f, m, 1.0, w->Z, f, 1.0, w->A, f);
		flops += (double) m * (3.0 * f + (double) f * (f + 1));
	}
	if (!blas_dposv(f, 1, w->A, w->b))
		not_positive_definite();
	memcpy(x, w->b, sizeof(double) * f);
	return flops + (double) f * f * f / 3.0 + 2.5 * f * f;
}

/*
 * A p = (G + lambda I) p + sum_j alpha r_j (y_j.p) y_j, into out; returns flops.
 */
static double
apply_a(const double *G, const double *Y, int f, const uint32 *idx, const double *r,
		uint64 n, double lambda, double alpha, const double *p, double *out)
{
	uint64		j;

	blas_dgemv(false, f, f, 1.0, G, f, p, 0.0, out);
	blas_daxpy(f, lambda, p, out);
	for (j = 0; j < n; j++)
	{
		const double *y = Y + (Size) idx[j] * f;

		blas_daxpy(f, alpha * r[j] * blas_ddot(f, y, p), y, out);
	}
	return 2.0 * f * f + 2.0 * f + 4.0 * f * (double) n;
}

/*
 * Conjugate-gradient steps on one row's system, from x's current value
 * (the approach of Takacs et al., as in the implicit library); returns flops.
 */
static double
solve_row_cg(const double *G, const double *Y, int f, const uint32 *idx, const double *r,
			 uint64 n, double lambda, double alpha, int steps, double *x, AlsWork *w)
{
	double		flops;
	double		rsold,
				rsnew;
	uint64		j;
	int			it;

	/* res = b - A x, with b = sum_j (1 + alpha r_j) y_j */
	flops = apply_a(G, Y, f, idx, r, n, lambda, alpha, x, w->Ap);
	memset(w->res, 0, sizeof(double) * f);
	for (j = 0; j < n; j++)
		blas_daxpy(f, 1.0 + alpha * r[j], Y + (Size) idx[j] * f, w->res);
	blas_daxpy(f, -1.0, w->Ap, w->res);
	memcpy(w->p, w->res, sizeof(double) * f);
	rsold = blas_ddot(f, w->res, w->res);
	flops += 2.0 * f * (double) n + 4.0 * f;

	for (it = 0; it < steps && rsold > 1e-20; it++)
	{
		double		pap,
					a;

		flops += apply_a(G, Y, f, idx, r, n, lambda, alpha, w->p, w->Ap);
		pap = blas_ddot(f, w->p, w->Ap);
		if (!(pap > 0))
			break;
		a = rsold / pap;
		blas_daxpy(f, a, w->p, x);
		blas_daxpy(f, -a, w->Ap, w->res);
		rsnew = blas_ddot(f, w->res, w->res);
		blas_dscal(f, rsnew / rsold, w->p);
		blas_daxpy(f, 1.0, w->res, w->p);
		rsold = rsnew;
		flops += 12.0 * f;
	}
	return flops;
}

/* Solve every row of rows against the fixed factors F (nfixed x f) into out. */
static double
half_step(const AlsCsr *rows, const double *F, uint32 nfixed, const AlsParams *p,
		  double *G, AlsWork *w, double *out)
{
	int			f = p->factors;
	double		flops = (double) nfixed * f * (f + 1);
	uint32		u;

	gram(F, nfixed, f, G);
	for (u = 0; u < rows->nrows; u++)
	{
		uint64		s = rows->ptr[u];
		uint64		n = rows->ptr[u + 1] - s;
		double	   *x = out + (Size) u * f;

		if (p->solver == ALS_CG)
			flops += solve_row_cg(G, F, f, rows->idx + s, rows->r + s, n,
								  p->lambda, p->alpha, p->cg_steps, x, w);
		else
			flops += solve_row_chol(G, F, f, rows->idx + s, rows->r + s, n,
									p->lambda, p->alpha, x, w);
		if ((u & 0x3F) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return flops;
}

/*
 * The objective: <X'X, Y'Y> (all pairs) + sum over interactions of
 * c (1 - s)^2 - s^2 + lambda (|X|^2 + |Y|^2).
 */
static double
als_loss(const AlsCsr *by_user, const double *X, const double *Y, uint32 nitems,
		 const AlsParams *p, double *G1, double *G2)
{
	int			f = p->factors;
	double		loss = 0;
	Size		i;
	uint32		u;

	gram(X, by_user->nrows, f, G1);
	gram(Y, nitems, f, G2);
	for (i = 0; i < (Size) f * f; i++)
		loss += G1[i] * G2[i];
	for (u = 0; u < by_user->nrows; u++)
	{
		const double *x = X + (Size) u * f;
		uint64		j;

		for (j = by_user->ptr[u]; j < by_user->ptr[u + 1]; j++)
		{
			double		s = blas_ddot(f, x, Y + (Size) by_user->idx[j] * f);
			double		c = 1.0 + p->alpha * by_user->r[j];

			loss += c * (1.0 - s) * (1.0 - s) - s * s;
		}
		if ((u & 0xFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	for (i = 0; i < (Size) f; i++)
		loss += p->lambda * (G1[i * f + i] + G2[i * f + i]);
	return loss;
}

void
als_train(const AlsCsr *by_user, const AlsCsr *by_item, const AlsParams *p,
		  MemBudget *budget, AlsReportFn report, void *arg, AlsResult *res)
{
	int			f = p->factors;
	uint32		nusers = by_user->nrows;
	uint32		nitems = by_item->nrows;
	Size		nx = budget_mul(nusers, f);
	Size		ny = budget_mul(nitems, f);
	double	   *G = budget_alloc(budget, sizeof(double) * f * f);
	double	   *G2 = budget_alloc(budget, sizeof(double) * f * f);
	AlsWork		w;
	pg_prng_state rng;
	Size		i;
	int			it;

	res->X = budget_alloc(budget, budget_mul(nx, sizeof(double)));
	res->Y = budget_alloc(budget, budget_mul(ny, sizeof(double)));
	res->loss = budget_alloc(budget, sizeof(double) * ((Size) p->max_iter + 1));
	res->flops_per_iter = 0;
	res->solve_seconds = 0;
	work_init(&w, f, budget);

	/* small positive uniform start, users then items */
	pg_prng_seed(&rng, (uint64) p->seed);
	for (i = 0; i < nx; i++)
		res->X[i] = pg_prng_double(&rng) * 0.01;
	for (i = 0; i < ny; i++)
		res->Y[i] = pg_prng_double(&rng) * 0.01;
	res->loss[0] = als_loss(by_user, res->X, res->Y, nitems, p, G, G2);

	for (it = 1; it <= p->max_iter; it++)
	{
		instr_time	start,
					end;
		double		flops;

		INSTR_TIME_SET_CURRENT(start);
		flops = half_step(by_item, res->X, nusers, p, G, &w, res->Y);
		flops += half_step(by_user, res->Y, nitems, p, G, &w, res->X);
		INSTR_TIME_SET_CURRENT(end);
		INSTR_TIME_SUBTRACT(end, start);
		res->solve_seconds += INSTR_TIME_GET_DOUBLE(end);
		res->flops_per_iter = flops;	/* the same every iteration for Cholesky */
		res->loss[it] = als_loss(by_user, res->X, res->Y, nitems, p, G, G2);
		if (report)
			report(arg, it, res->loss[it], INSTR_TIME_GET_DOUBLE(end));
	}
}

/* ---------- the model ---------- */

void
als_write(ModelWriter *w, const AlsModel *m)
{
	uint32		u;

	model_put_u32(w, m->nusers);
	model_put_u32(w, m->nitems);
	model_put_u32(w, (uint32) m->f);
	model_put_f64(w, m->lambda);
	model_put_f64(w, m->alpha);
	model_put_i64_array(w, m->user_ids, m->nusers);
	model_put_i64_array(w, m->item_ids, m->nitems);
	model_put_f64_array(w, m->X, (Size) m->nusers * m->f);
	model_put_f64_array(w, m->Y, (Size) m->nitems * m->f);
	model_put_u64(w, m->nnz);
	for (u = 0; u < m->nusers; u++)
		model_put_u32(w, (uint32) (m->seen_ptr[u + 1] - m->seen_ptr[u]));
	model_put_u32_array(w, m->seen, m->nnz);
}

static int64 *
read_ids(ModelReader *r, uint32 n)
{
	int64	   *ids;
	uint32		i;

	model_need(r, n, 8);
	ids = palloc_extended(sizeof(int64) * Max(n, 1), MCXT_ALLOC_HUGE);
	model_get_i64_array(r, ids, n);
	for (i = 1; i < n; i++)
		if (ids[i] <= ids[i - 1])
			model_corrupted("Ids are not in strictly ascending order.");
	return ids;
}

static double *
read_factors(ModelReader *r, uint32 rows, int f)
{
	Size		n = (Size) rows * f;
	double	   *v;
	Size		i;

	model_need(r, n, 8);
	v = palloc_extended(sizeof(double) * Max(n, 1), MCXT_ALLOC_HUGE);
	model_get_f64_array(r, v, n);
	for (i = 0; i < n; i++)
	{
		if (!isfinite(v[i]))
			model_corrupted("A factor is not finite.");
		if ((i & 0xFFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return v;
}

void *
als_decode(const ModelHeader *h, ModelReader *body)
{
	AlsModel   *m = palloc0(sizeof(AlsModel));
	uint32		u,
				f;
	uint64		total = 0;

	m->nusers = model_get_u32(body);
	m->nitems = model_get_u32(body);
	f = model_get_u32(body);
	if (f == 0 || f > 1024)
		model_corrupted("The number of factors is out of range.");
	m->f = (int) f;
	if (h->dim1 != m->nitems || h->dim2 != f)
		model_corrupted("The header's dimensions do not match the factors.");
	m->lambda = model_get_f64(body);
	m->alpha = model_get_f64(body);
	if (!(m->lambda >= 0 && isfinite(m->lambda) && m->alpha >= 0 && isfinite(m->alpha)))
		model_corrupted("lambda or alpha is out of range.");
	m->user_ids = read_ids(body, m->nusers);
	m->item_ids = read_ids(body, m->nitems);
	m->X = read_factors(body, m->nusers, m->f);
	m->Y = read_factors(body, m->nitems, m->f);

	m->nnz = model_get_u64(body);
	model_need(body, m->nusers, 4);
	m->seen_ptr = palloc_extended(sizeof(uint64) * ((Size) m->nusers + 1), MCXT_ALLOC_HUGE);
	m->seen_ptr[0] = 0;
	for (u = 0; u < m->nusers; u++)
	{
		uint32		c = model_get_u32(body);

		if (c > m->nitems)
			model_corrupted("A user has seen more items than the model holds.");
		total += c;
		m->seen_ptr[u + 1] = total;
	}
	if (total != m->nnz)
		model_corrupted("The seen-item counts do not add up.");
	model_need(body, m->nnz, 4);
	m->seen = palloc_extended(sizeof(uint32) * Max(m->nnz, 1), MCXT_ALLOC_HUGE);
	model_get_u32_array(body, m->seen, m->nnz);
	model_end(body);
	for (u = 0; u < m->nusers; u++)
	{
		uint64		j;

		for (j = m->seen_ptr[u]; j < m->seen_ptr[u + 1]; j++)
			if (m->seen[j] >= m->nitems || (j > m->seen_ptr[u] && m->seen[j] <= m->seen[j - 1]))
				model_corrupted("A user's seen items are not ascending known items.");
		if ((u & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	m->YtY = palloc(sizeof(double) * f * f);
	gram(m->Y, m->nitems, m->f, m->YtY);
	m->item_norm = palloc_extended(sizeof(double) * Max(m->nitems, 1), MCXT_ALLOC_HUGE);
	for (u = 0; u < m->nitems; u++)
		m->item_norm[u] = blas_dnrm2(m->f, m->Y + (Size) u * f);
	return m;
}

int64
als_find(const int64 *ids, uint32 n, int64 id)
{
	uint32		lo = 0,
				hi = n;

	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;

		if (ids[mid] == id)
			return mid;
		if (ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

void
als_fold_in(const AlsModel *m, const uint32 *items, const double *r, int n, double *x)
{
	AlsWork		w;

	work_init(&w, m->f, NULL);
	(void) solve_row_chol(m->YtY, m->Y, m->f, items, r, (uint64) n, m->lambda, m->alpha, x, &w);
	pfree(w.A);
}

void
als_score(const AlsModel *m, const double *x, double *scores)
{
	blas_dgemv(false, (int) m->nitems, m->f, 1.0, m->Y, m->f, x, 0.0, scores);
}

void
als_cosine(const AlsModel *m, uint32 item, double *scores)
{
	double		ni = m->item_norm[item];
	uint32		j;

	als_score(m, m->Y + (Size) item * m->f, scores);
	for (j = 0; j < m->nitems; j++)
	{
		double		d = ni * m->item_norm[j];

		scores[j] = d > 0 ? scores[j] / d : 0.0;
	}
}
