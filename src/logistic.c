/*
 * logistic.c
 *	  Binary logistic regression kernel (see logistic.h): standardisation,
 *	  Newton/IRLS with OpenBLAS for X'WX, L-BFGS for wide data, the model
 *	  body in the envelope, and scoring.
 *
 * Every pass over the training rows goes chunk by chunk: a chunk is copied
 * into a block B (standardised, with a column of ones for the intercept),
 * then z = B theta (dgemv), the gradient B' r (dgemv) and, for Newton, the
 * Hessian B' diag(h) B (dsyrk on the rows of B scaled by sqrt(h)).  The rows
 * themselves are never modified, so training can run more than once on the
 * same aggregate state.  Sums run in chunk order, so the same rows in the
 * same order give the same model, bit for bit.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"

#include "blas.h"
#include "logistic.h"

/* flags of the model body */
#define BODY_INTERCEPT 0x1
#define BODY_STANDARDIZED 0x2
#define BODY_KNOWN_FLAGS (BODY_INTERCEPT | BODY_STANDARDIZED)

/* Armijo constant and curvature constant of the line searches */
#define LS_C1 1e-4
#define LS_C2 0.9
#define LS_MAX_EVALS 30

/*
 * Relative change of F below which its value is treated as rounding noise:
 * F sums the loss of every row, so on a million rows its last ~4 digits are
 * noise.  Below it, the line searches judge progress by the gradient.
 */
#define F_NOISE 1e-10

/* factors 1 + e per logarithm in evaluate() */
#define LOG_RUN 64

typedef struct Work
{
	const LogisticData *d;
	const LogisticParams *prm;
	int			p;				/* features */
	int			q;				/* coefficients: p, plus 1 for the intercept */
	double	   *mean;			/* p */
	double	   *invscale;		/* p */
	double		sumw;			/* sum of the row weights */
	int			maxrows;		/* rows of the largest chunk */
	double	   *B;				/* maxrows x q */
	double	   *z;				/* maxrows */
	double	   *r;				/* maxrows */
	double		min_margin;		/* min over rows of (2y - 1) z, last pass */
	double		loss;			/* weighted mean log loss, last pass */
	int			evals;			/* passes over the data */
	const char *phase;			/* for progress messages */
	bool		reuse_hessian;	/* Newton may keep a Hessian (see fit_newton) */
	int64		warm_rows;		/* rows of the warm start's sample (0: none) */
	int			warm_iterations;
} Work;

double
logistic_sigmoid(double z)
{
	if (z >= 0)
		return 1.0 / (1.0 + exp(-z));
	else
	{
		double		e = exp(z);

		return e / (1.0 + e);
	}
}

static double
max_abs(const double *v, int n)
{
	double		m = 0;
	int			i;

	for (i = 0; i < n; i++)
		m = Max(m, fabs(v[i]));
	return m;
}

void
logistic_chunk_moments(const double *pg_restrict x, int m, int p, double *pg_restrict mean,
					   double *pg_restrict m2)
{
	int			i,
				j;

	for (j = 0; j < p; j++)
	{
		mean[j] = 0;
		m2[j] = 0;
	}
	for (i = 0; i < m; i++)
		for (j = 0; j < p; j++)
			mean[j] += x[(Size) i * p + j];
	for (j = 0; j < p; j++)
		mean[j] /= (double) m;
	for (i = 0; i < m; i++)
		for (j = 0; j < p; j++)
		{
			double		dv = x[(Size) i * p + j] - mean[j];

			m2[j] += dv * dv;
		}
}

/*
 * Column means and scales (population standard deviation), as
 * scikit-learn's StandardScaler computes them; a feature indistinguishable
 * from a constant gets scale 1 (StandardScaler's rule).  Each chunk's
 * moments are taken by two passes over the chunk (or come with it), and
 * merged chunk after chunk by the pairwise update of Chan, Golub and LeVeque
 * (1979), which is as accurate as two passes over all the rows and reads
 * them once at most.
 */
static void
compute_scaling(Work *wk)
{
	const LogisticData *d = wk->d;
	int			p = wk->p;
	double	   *m2 = palloc0(sizeof(double) * p);
	double	   *cm = palloc(sizeof(double) * 2 * p);
	double		n = 0;
	int			c,
				j;

	for (j = 0; j < p; j++)
	{
		wk->mean[j] = 0;
		wk->invscale[j] = 1;
	}
	if (!wk->prm->standardize)
		return;
	for (c = 0; c < d->nchunks; c++)
	{
		const LogisticChunk *ch = &d->chunks[c];
		const double *mom = ch->moments;
		double		nb = ch->nrows;
		double		nab = n + nb;

		if (ch->nrows == 0)
			continue;
		if (mom == NULL)
		{
			logistic_chunk_moments(ch->x, ch->nrows, p, cm, cm + p);
			mom = cm;
		}
		for (j = 0; j < p; j++)
		{
			double		delta = mom[j] - wk->mean[j];

			wk->mean[j] += delta * (nb / nab);
			m2[j] += mom[p + j] + delta * delta * (n * nb / nab);
		}
		n = nab;
		CHECK_FOR_INTERRUPTS();
	}
	Assert(n == (double) d->n);
	for (j = 0; j < p; j++)
	{
		double		v = m2[j] / n;
		double		bound = n * DBL_EPSILON * v + pow(n * wk->mean[j] * DBL_EPSILON, 2);

		if (!isfinite(wk->mean[j]) || !isfinite(v))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature %d is too large to standardise", j + 1),
					 errdetail("Its mean or variance overflows a float8."),
					 errhint("Rescale the feature, e.g. divide it by a power of ten.")));
		wk->invscale[j] = (v <= bound) ? 1.0 : 1.0 / sqrt(v);
	}
	pfree(m2);
	pfree(cm);
}

/*
 * B = [(x - mean) * invscale, 1] for the m rows of x (p features; the column
 * of ones only when q > p).  The pointers do not alias, which lets the
 * compiler vectorise the inner loop.
 */
static void
standardize_block(double *pg_restrict B, const double *pg_restrict x, int m, int p, int q,
				  const double *pg_restrict mean, const double *pg_restrict invscale)
{
	int			i,
				j;

	for (i = 0; i < m; i++)
	{
		double	   *pg_restrict b = B + (Size) i * q;
		const double *pg_restrict xi = x + (Size) i * p;

		for (j = 0; j < p; j++)
			b[j] = (xi[j] - mean[j]) * invscale[j];
		if (q > p)
			b[p] = 1.0;
	}
}

/*
 * Features so large (without standardisation) that the loss, its gradient or
 * its Hessian overflow: stop with an error rather than return a model from
 * infinite or NaN arithmetic.
 */
static void
check_finite_pass(double f, const double *g, const double *H, int q)
{
	bool		ok = isfinite(f);
	int			j;

	for (j = 0; ok && g && j < q; j++)
		ok = isfinite(g[j]);
	for (j = 0; ok && H && j < q * q; j++)
		ok = isfinite(H[j]);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("the logistic loss overflows on these features"),
				 errhint("Standardise the features (option \"standardize\") or rescale them.")));
}

/*
 * One pass over the data at theta: returns F(theta); fills g (q) and the
 * upper triangle of H (q x q, row-major) when they are not NULL.  Also sets
 * wk->loss (without penalty) and wk->min_margin.
 */
static double
evaluate(Work *wk, const double *theta, double *g, double *H)
{
	const LogisticData *d = wk->d;
	const LogisticParams *prm = wk->prm;
	int			p = wk->p;
	int			q = wk->q;
	double		loss;
	double		lin = 0;		/* sum of s (max(z, 0) - y z) */
	double		logs[2] = {0, 0};	/* sums of log1p(e), by label */
	double		prod[2] = {1, 1};	/* running products of 1 + e, by label */
	int			run = 0;
	double		min_margin = HUGE_VAL;
	double		penalty = 0;
	int			c,
				i,
				j;

	if (g)
		memset(g, 0, sizeof(double) * q);
	if (H)
		memset(H, 0, sizeof(double) * q * q);

	for (c = 0; c < d->nchunks; c++)
	{
		const LogisticChunk *ch = &d->chunks[c];
		int			m = ch->nrows;

		if (m == 0)
			continue;
		standardize_block(wk->B, ch->x, m, p, q, wk->mean, wk->invscale);
		blas_dgemv(false, m, q, 1.0, wk->B, q, theta, 0.0, wk->z);

		/*
		 * The loss of a row is s (max(z, 0) + log1p(e) - y z) with e =
		 * exp(-|z|), stably.  The log1p terms of each class are summed as
		 * logarithms of products of up to LOG_RUN factors 1 + e in [1 +
		 * 2^-10, 2] (no overflow): one logarithm per run instead of one per
		 * row.  Rounding 1 + e costs at most 1.1e-16 absolute per row, i.e.
		 * 1e-13 relative to log1p(e) at e >= 2^-10; smaller e take log1p,
		 * so that tiny losses (well-separated rows) keep their precision.
		 */
		for (i = 0; i < m; i++)
		{
			double		z = wk->z[i];
			double		y = ch->y[i];
			double		s = y > 0 ? prm->weight_pos : prm->weight_neg;
			double		e = exp(-fabs(z));
			double		inv = 1.0 / (1.0 + e);
			double		prob = z >= 0 ? inv : e * inv;
			double		margin = y > 0 ? z : -z;
			int			k = y > 0 ? 1 : 0;

			lin += s * (Max(z, 0) - y * z);
			if (e >= 1.0 / 1024)
				prod[k] *= 1.0 + e;
			else
				logs[k] += log1p(e);
			if (++run == LOG_RUN)
			{
				logs[0] += log(prod[0]);
				logs[1] += log(prod[1]);
				prod[0] = prod[1] = 1.0;
				run = 0;
			}
			min_margin = Min(min_margin, margin);
			wk->r[i] = s * (prob - y);
			/* Hessian weight; its square root scales the rows of B */
			if (H)
				wk->z[i] = sqrt(s * prob * (1.0 - prob));
		}
		if (g)
			blas_dgemv(true, m, q, 1.0, wk->B, q, wk->r, 1.0, g);
		if (H)
		{
			for (i = 0; i < m; i++)
			{
				double	   *b = wk->B + (Size) i * q;
				double		sh = wk->z[i];

				for (j = 0; j < q; j++)
					b[j] *= sh;
			}
			blas_dsyrk(true, q, m, 1.0, wk->B, q, 1.0, H, q);
		}
		CHECK_FOR_INTERRUPTS();
	}

	logs[0] += log(prod[0]);
	logs[1] += log(prod[1]);
	loss = lin + prm->weight_neg * logs[0] + prm->weight_pos * logs[1];

	for (j = 0; j < p; j++)
		penalty += theta[j] * theta[j];
	penalty *= prm->l2 / 2;
	if (g)
	{
		for (j = 0; j < p; j++)
			g[j] += prm->l2 * theta[j];
		for (j = 0; j < q; j++)
			g[j] /= wk->sumw;
	}
	if (H)
	{
		for (j = 0; j < p; j++)
			H[(Size) j * q + j] += prm->l2;
		for (j = 0; j < q * q; j++)
			H[j] /= wk->sumw;
	}
	wk->loss = loss / wk->sumw;
	wk->min_margin = min_margin;
	wk->evals++;
	check_finite_pass(loss + penalty, g, H, q);
	return (loss + penalty) / wk->sumw;
}

/*
 * Without a penalty, a hyperplane that puts every row strictly on its side
 * proves that no finite minimiser exists (scaling it up lowers the loss
 * towards 0): stop with an error rather than return huge coefficients.
 */
static void
check_separation(const Work *wk)
{
	if (wk->prm->l2 == 0 && wk->min_margin > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the training rows are linearly separable, so the unpenalised model has no finite coefficients"),
				 errhint("Set option \"l2\" greater than 0.")));
}

static void
report_iteration(const Work *wk, const char *solver, int iter, double f, const double *g,
				 double step)
{
	if (wk->prm->verbose)
		ereport(INFO,
				(errmsg("train_logistic %s iteration %d: objective %.12g, loss %.12g, gradient norm %.3g, step %.3g",
						solver, iter, f, wk->loss, max_abs(g, wk->q), step)));
}

/*
 * Newton's method with a backtracking (Armijo) line search: each step
 * solves H d = -g by Cholesky (LAPACK dposv); the Hessian is X'WX from
 * dsyrk.  Converges quadratically near the optimum.
 *
 * On large inputs, once a warm start has put theta within sampling error of
 * the optimum (wk->reuse_hessian), the Hessian hardly changes from one step
 * to the next, while computing it is about half the cost of a pass over the
 * rows; so after a full step that cut the gradient at least tenfold, the
 * next step reuses it (a chord step: the trial point's pass computes F and
 * the gradient only).  A kept Hessian gets no line search: if its full
 * step does not decrease F, the Hessian is computed afresh at the current
 * point and the step retried; once a kept Hessian's step cuts the gradient
 * less than tenfold, the next trial point computes a new one.  The stopping
 * test is on the gradient of every pass, and the last step from a kept
 * Hessian must be predicted to leave a thousandth of tol, so the answer is
 * the same optimum in fewer operations.  Small inputs (no warm start) keep
 * plain Newton: their passes are cheap, and a fresh Hessian at every step
 * gets their ill-conditioned cases closest to the optimum.
 */
static void
fit_newton(Work *wk, MemBudget *budget, double *theta, LogisticReport *rep)
{
	int			q = wk->q;
	Size		qq = budget_mul((Size) q, (Size) q);
	Size		mat_bytes = budget_mul(qq, 3 * sizeof(double));
	Size		vec_bytes = budget_mul(q, 4 * sizeof(double));
	double	   *mats = budget_alloc(budget, mat_bytes);
	double	   *vecs = budget_alloc(budget, vec_bytes);
	double	   *H = mats;		/* Hessian at theta */
	double	   *Ht = mats + qq; /* Hessian at the trial point */
	double	   *A = mats + 2 * qq;	/* Cholesky factor */
	double	   *g = vecs;		/* gradient at theta */
	double	   *gt = vecs + q;	/* gradient at the trial point */
	double	   *dir = vecs + 2 * q;
	double	   *trial = vecs + 3 * q;
	double		f;
	double		curloss;
	bool		fresh = true;	/* compute the Hessian at the next trial point */
	bool		stale = false;	/* H was computed at an earlier point */
	double		rho = 0;		/* max |g| after / before the last step */
	bool		keep;
	int			iter;
	int			j;

	f = evaluate(wk, theta, g, H);
	curloss = wk->loss;
	rep->converged = false;
	for (iter = 1; iter <= wk->prm->max_iter; iter++)
	{
		double		slope = 0;
		double		alpha = 1.0;
		double		ftrial = 0;
		double		ridge = 0;
		bool		accepted = false;
		double	   *swap;
		int			k;

		/*
		 * Converged when max |g| <= tol and the last step (below) will leave
		 * a much smaller gradient: a Hessian computed here squares the error;
		 * a kept one cuts it by the ratio of its last step, so it must get
		 * below tol / 1000.
		 */
		bool		small = max_abs(g, q) <= wk->prm->tol &&
			(!stale || rho * max_abs(g, q) <= 1e-3 * wk->prm->tol);

		if (!small)
			check_separation(wk);

		/* d = -H^-1 g; a ridge only if H is numerically singular (l2 = 0) */
		for (k = 0; k < 30; k++)
		{
			memcpy(A, H, sizeof(double) * qq);
			for (j = 0; j < q; j++)
			{
				A[(Size) j * q + j] += ridge;
				dir[j] = -g[j];
			}
			if (blas_dposv(q, 1, A, dir))
				break;
			ridge = (ridge == 0) ? 1e-12 : ridge * 10;
		}
		if (k == 30)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the Hessian of the logistic loss is not positive definite"),
					 errhint("Set option \"l2\" greater than 0, or remove features that are constant or linearly dependent.")));

		/*
		 * Converged: take this last Newton step without a line search (near
		 * the optimum it squares the error, and costs no pass over the data);
		 * or at the numerical optimum, where no step changes theta any more.
		 */
		if (small)
		{
			for (j = 0; j < q; j++)
				theta[j] += dir[j];
			rep->converged = true;
			break;
		}
		/* stalled: converged only if the gradient is at rounding level */
		if (max_abs(dir, q) <= 1e-14 * (1.0 + max_abs(theta, q)))
		{
			rep->converged = max_abs(g, q) <= 100 * wk->prm->tol;
			break;
		}

		for (j = 0; j < q; j++)
			slope += g[j] * dir[j];
		for (k = 0; k < LS_MAX_EVALS; k++)
		{
			for (j = 0; j < q; j++)
				trial[j] = theta[j] + alpha * dir[j];
			ftrial = evaluate(wk, trial, gt, fresh ? Ht : NULL);

			/*
			 * Armijo; or, where F cannot resolve the decrease any more (near
			 * the optimum the decrease of a Newton step is below the rounding
			 * of F), a smaller gradient.
			 */
			if (ftrial <= f + LS_C1 * alpha * slope ||
				(ftrial <= f + F_NOISE * fabs(f) && max_abs(gt, q) < max_abs(g, q)))
			{
				accepted = true;
				break;
			}
			if (!fresh)
				break;			/* a kept Hessian gets no line search */
			alpha /= 2;
		}
		if (!accepted)
		{
			if (!fresh)
			{
				/* the kept Hessian is too far off: compute it here, retry */
				f = evaluate(wk, theta, g, H);
				fresh = true;
				stale = false;
				continue;
			}
			break;				/* no decrease possible: stop, not converged */
		}

		/*
		 * Keep this Hessian for the next step (the trial computes none) when
		 * the full step cut the gradient tenfold: the iteration then
		 * contracts at least about as fast with it; otherwise compute one at
		 * the next trial point.
		 */
		rho = max_abs(g, q) > 0 ? max_abs(gt, q) / max_abs(g, q) : 0;
		keep = wk->reuse_hessian && alpha == 1.0 && rho <= 0.1;
		stale = !fresh;
		memcpy(theta, trial, sizeof(double) * q);
		swap = g;
		g = gt;
		gt = swap;
		if (fresh)
		{
			swap = H;
			H = Ht;
			Ht = swap;
		}
		fresh = !keep;
		f = ftrial;
		curloss = wk->loss;
		rep->iterations = iter;
		report_iteration(wk, wk->phase, iter, f, g, alpha * max_abs(dir, q));
	}
	rep->objective = f;
	rep->loss = curloss;
	rep->grad_norm = max_abs(g, q);
	budget_free(budget, mats, mat_bytes);
	budget_free(budget, vecs, vec_bytes);
}

/* ---------- L-BFGS ---------- */

/* A point of the line search: theta + alpha d, with F, gradient and slope. */
typedef struct LsPoint
{
	double		alpha;
	double		f;
	double		slope;			/* gradient . d */
	double		loss;
} LsPoint;

/* Evaluate at theta + alpha d into x and gx. */
static LsPoint
ls_eval(Work *wk, const double *theta, const double *d, double alpha, double *x, double *gx)
{
	LsPoint		pt;
	int			j;

	for (j = 0; j < wk->q; j++)
		x[j] = theta[j] + alpha * d[j];
	pt.alpha = alpha;
	pt.f = evaluate(wk, x, gx, NULL);
	pt.loss = wk->loss;
	pt.slope = 0;
	for (j = 0; j < wk->q; j++)
		pt.slope += gx[j] * d[j];
	return pt;
}

/*
 * Enough decrease at pt: the Armijo condition, or, where F cannot resolve
 * the decrease any more (a change below F_NOISE |F|), Hager and Zhang's
 * approximate Wolfe condition on the slope, phi'(a) <= (2 delta - 1) phi'(0)
 * with delta = 0.1.  Without the second form, L-BFGS stalls at a gradient
 * near sqrt(rounding of F) instead of reaching the tolerance.
 */
static bool
enough_decrease(const LsPoint *pt, double f0, double slope0)
{
	if (pt->f <= f0 + LS_C1 * pt->alpha * slope0)
		return true;
	return pt->f <= f0 + F_NOISE * fabs(f0) && pt->slope <= -0.8 * slope0;
}

/*
 * Line search for the strong Wolfe conditions (Nocedal and Wright,
 * Algorithms 3.5 and 3.6; the zoom interpolates quadratically, safeguarded),
 * with enough_decrease() as the decrease condition.  On success, x and gx
 * hold the accepted point and *out its values.  Returns false if no point
 * with enough decrease was found.
 */
static bool
wolfe_search(Work *wk, const double *theta, const double *d, double f0, double slope0,
			 double alpha, double *x, double *gx, LsPoint *out)
{
	LsPoint		prev = {0, f0, slope0, 0};
	LsPoint		lo,
				hi,
				cur;
	int			evals = 0;

	for (;;)
	{
		cur = ls_eval(wk, theta, d, alpha, x, gx);
		evals++;
		if (!enough_decrease(&cur, f0, slope0) || (evals > 1 && cur.f > prev.f))
		{
			lo = prev;
			hi = cur;
			break;
		}
		if (fabs(cur.slope) <= -LS_C2 * slope0)
		{
			*out = cur;
			return true;
		}
		if (cur.slope >= 0)
		{
			lo = cur;
			hi = prev;
			break;
		}
		if (evals >= LS_MAX_EVALS)
		{
			/* enough decrease, no curvature: accept (the update may be skipped) */
			*out = cur;
			return true;
		}
		prev = cur;
		alpha *= 2;
	}

	/* zoom: lo has sufficient decrease and the lowest F seen */
	while (evals < LS_MAX_EVALS)
	{
		double		width = hi.alpha - lo.alpha;
		double		denom = 2 * (hi.f - lo.f - lo.slope * width);
		double		a;

		a = denom > 0 ? lo.alpha - lo.slope * width * width / denom : lo.alpha + width / 2;
		/* keep a inside the middle 80% of the interval */
		if (width > 0)
			a = Max(Min(a, hi.alpha - 0.1 * width), lo.alpha + 0.1 * width);
		else
			a = Min(Max(a, hi.alpha - 0.1 * width), lo.alpha + 0.1 * width);
		cur = ls_eval(wk, theta, d, a, x, gx);
		evals++;
		if (!enough_decrease(&cur, f0, slope0) || cur.f > lo.f)
			hi = cur;
		else
		{
			if (fabs(cur.slope) <= -LS_C2 * slope0)
			{
				*out = cur;
				return true;
			}
			if (cur.slope * (hi.alpha - lo.alpha) >= 0)
				hi = lo;
			lo = cur;
		}
		if (fabs(hi.alpha - lo.alpha) <= 1e-16 * Max(1.0, fabs(lo.alpha)))
			break;
	}
	/* accept the best point with sufficient decrease, if any */
	if (lo.alpha > 0)
	{
		*out = ls_eval(wk, theta, d, lo.alpha, x, gx);
		return true;
	}
	return false;
}

/*
 * Limited-memory BFGS (two-loop recursion, LOGISTIC_LBFGS_MEMORY pairs) with
 * a strong Wolfe line search: one pass over the data per evaluation and
 * O(m q) memory, for many features.
 */
static void
fit_lbfgs(Work *wk, MemBudget *budget, double *theta, LogisticReport *rep)
{
	int			q = wk->q;
	int			mem = LOGISTIC_LBFGS_MEMORY;
	Size		bytes = budget_mul(budget_mul((Size) q, 2 * mem + 4), sizeof(double));
	double	   *buf = budget_alloc(budget, bytes);
	double	   *S = buf;		/* mem x q: steps */
	double	   *Y = S + (Size) mem * q; /* mem x q: gradient changes */
	double	   *g = Y + (Size) mem * q;
	double	   *gt = g + q;
	double	   *d = gt + q;
	double	   *x = d + q;
	double		rho[LOGISTIC_LBFGS_MEMORY];
	double		a[LOGISTIC_LBFGS_MEMORY];
	int			npairs = 0;
	int			newest = -1;
	double		f,
				curloss;
	int			iter,
				j,
				k;

	f = evaluate(wk, theta, g, NULL);
	curloss = wk->loss;
	rep->converged = false;
	for (iter = 1; iter <= wk->prm->max_iter; iter++)
	{
		double		slope = 0;
		double		gamma = 1.0;
		LsPoint		pt;
		double		sy = 0,
					yy = 0,
					ss = 0;
		double	   *swap;

		if (max_abs(g, q) <= wk->prm->tol)
		{
			rep->converged = true;
			break;
		}
		check_separation(wk);

		/* d = -H g by the two-loop recursion */
		for (j = 0; j < q; j++)
			d[j] = -g[j];
		for (k = 0; k < npairs; k++)
		{
			int			i = (newest - k + mem) % mem;

			a[i] = rho[i] * blas_ddot(q, S + (Size) i * q, d);
			blas_daxpy(q, -a[i], Y + (Size) i * q, d);
		}
		if (npairs > 0)
		{
			double	   *yn = Y + (Size) newest * q;

			gamma = blas_ddot(q, S + (Size) newest * q, yn) / blas_ddot(q, yn, yn);
			blas_dscal(q, gamma, d);
		}
		for (k = npairs - 1; k >= 0; k--)
		{
			int			i = (newest - k + mem) % mem;
			double		b = rho[i] * blas_ddot(q, Y + (Size) i * q, d);

			blas_daxpy(q, a[i] - b, S + (Size) i * q, d);
		}
		slope = blas_ddot(q, g, d);
		if (slope >= 0)
		{
			/* not a descent direction (rounding): restart from steepest descent */
			npairs = 0;
			for (j = 0; j < q; j++)
				d[j] = -g[j];
			slope = blas_ddot(q, g, d);
		}

		if (!wolfe_search(wk, theta, d, f, slope,
						  npairs == 0 ? Min(1.0, 1.0 / blas_dnrm2(q, g)) : 1.0,
						  x, gt, &pt))
			break;				/* no decrease possible: stop, not converged */

		/* s = x - theta, y = gt - g, into the oldest slot */
		k = (newest + 1) % mem;
		for (j = 0; j < q; j++)
		{
			double		sj = x[j] - theta[j];
			double		yj = gt[j] - g[j];

			S[(Size) k * q + j] = sj;
			Y[(Size) k * q + j] = yj;
			sy += sj * yj;
			yy += yj * yj;
			ss += sj * sj;
		}
		if (sy > 1e-10 * sqrt(ss * yy))
		{
			rho[k] = 1.0 / sy;
			newest = k;
			npairs = Min(npairs + 1, mem);
		}
		memcpy(theta, x, sizeof(double) * q);
		swap = g;
		g = gt;
		gt = swap;
		f = pt.f;
		curloss = pt.loss;
		rep->iterations = iter;
		report_iteration(wk, "lbfgs", iter, f, g, pt.alpha * blas_dnrm2(q, d));
		if (ss == 0)
			break;				/* the step underflowed: nothing more to gain */
	}
	rep->objective = f;
	rep->loss = curloss;
	rep->grad_norm = max_abs(g, q);
	budget_free(budget, buf, bytes);
}

/* ---------- training ---------- */

/*
 * Newton from a warm start: on large inputs, first solve the problem on an
 * evenly spread sample of about LOGISTIC_WARM_ROWS rows (every k-th row,
 * copied; the penalty scaled to the sample's weight) to a loose tolerance.
 * Its solution is within sampling error of the full one, where Newton on all
 * the rows converges quadratically: two or three passes instead of five or
 * six.  The answer is still the full data's optimum (the stopping test is on
 * the full gradient).  Skipped without a penalty (a sample may be separable)
 * or when the sample lacks a class; a sample that fails to converge is
 * dropped.
 */
#define LOGISTIC_WARM_ROWS 32768

static void
warm_start(Work *wk, MemBudget *budget, double *theta)
{
	const LogisticData *d = wk->d;
	int			p = d->p;
	LogisticData sub;
	LogisticChunk *chunks;
	LogisticParams prm = *wk->prm;
	LogisticReport rep;
	Work		ws = *wk;
	int64		stride,
				nsub,
				k = 0,
				row = 0;
	Size		xbytes,
				ybytes;
	double	   *xs,
			   *ys,
			   *t;
	int			c,
				i;

	if (!prm.warm_start || prm.l2 == 0 || d->n < 4 * (int64) LOGISTIC_WARM_ROWS)
		return;
	stride = d->n / LOGISTIC_WARM_ROWS;
	nsub = (d->n + stride - 1) / stride;
	xbytes = budget_mul(budget_mul((Size) nsub, p), sizeof(double));
	ybytes = budget_mul((Size) nsub, sizeof(double));
	xs = budget_alloc(budget, xbytes);
	ys = budget_alloc(budget, ybytes);
	memset(&sub, 0, sizeof(sub));
	sub.p = p;
	for (c = 0; c < d->nchunks; c++)
	{
		const LogisticChunk *ch = &d->chunks[c];

		for (i = 0; i < ch->nrows; i++, row++)
			if (row % stride == 0)
			{
				memcpy(xs + (Size) k * p, ch->x + (Size) i * p, sizeof(double) * p);
				ys[k] = ch->y[i];
				sub.npos += ys[k] > 0 ? 1 : 0;
				k++;
			}
	}
	Assert(k == nsub);
	sub.n = nsub;

	/* chunks of the sample, no larger than the work block */
	chunks = palloc0(sizeof(LogisticChunk) * (nsub / wk->maxrows + 1));	/* no moments */
	for (row = 0; row < nsub; row += wk->maxrows)
	{
		LogisticChunk *ch = &chunks[sub.nchunks++];

		ch->nrows = (int) Min((int64) wk->maxrows, nsub - row);
		ch->x = xs + (Size) row * p;
		ch->y = ys + row;
	}
	sub.chunks = chunks;

	if (sub.npos > 0 && sub.npos < sub.n)
	{
		ws.d = &sub;
		ws.prm = &prm;
		ws.sumw = prm.weight_pos * (double) sub.npos + prm.weight_neg * (double) (sub.n - sub.npos);
		ws.phase = "newton (sample)";
		prm.l2 = wk->prm->l2 * ws.sumw / wk->sumw;
		prm.tol = 1e-6;
		prm.max_iter = 30;
		t = palloc(sizeof(double) * wk->q);
		memcpy(t, theta, sizeof(double) * wk->q);
		fit_newton(&ws, budget, t, &rep);
		wk->evals += ws.evals;
		if (rep.converged)
		{
			memcpy(theta, t, sizeof(double) * wk->q);
			wk->warm_rows = sub.n;
			wk->warm_iterations = rep.iterations;
		}
		pfree(t);
	}
	pfree(chunks);
	budget_free(budget, xs, xbytes);
	budget_free(budget, ys, ybytes);
}

void
logistic_fit(const LogisticData *d, const LogisticParams *params, MemBudget *budget,
			 LogisticModel *m, LogisticReport *rep)
{
	Work		wk;
	int			p = d->p;
	int			q = p + (params->fit_intercept ? 1 : 0);
	int			c,
				j;
	double	   *theta;
	Size		block;

	Assert(p >= 1 && d->n > 0 && d->npos > 0 && d->npos < d->n);
	Assert(params->solver == LOGISTIC_NEWTON || params->solver == LOGISTIC_LBFGS);

	memset(&wk, 0, sizeof(wk));
	wk.d = d;
	wk.prm = params;
	wk.p = p;
	wk.q = q;
	wk.sumw = params->weight_pos * (double) d->npos +
		params->weight_neg * (double) (d->n - d->npos);
	for (c = 0; c < d->nchunks; c++)
		wk.maxrows = Max(wk.maxrows, d->chunks[c].nrows);
	wk.mean = palloc(sizeof(double) * p);
	wk.invscale = palloc(sizeof(double) * p);
	block = budget_mul(budget_mul((Size) wk.maxrows, q + 2), sizeof(double));
	wk.B = budget_alloc(budget, block);
	wk.z = wk.B + (Size) wk.maxrows * q;
	wk.r = wk.z + wk.maxrows;

	compute_scaling(&wk);
	theta = palloc0(sizeof(double) * q);
	/* start at the intercept of the model without features: its gradient is 0 there */
	if (params->fit_intercept)
		theta[p] = log(params->weight_pos * (double) d->npos /
					   (params->weight_neg * (double) (d->n - d->npos)));
	memset(rep, 0, sizeof(*rep));
	wk.phase = params->solver == LOGISTIC_NEWTON ? "newton" : "lbfgs";
	if (params->solver == LOGISTIC_NEWTON)
	{
		warm_start(&wk, budget, theta);
		/* from a warm start, the Hessian hardly changes any more */
		wk.reuse_hessian = wk.warm_rows > 0;
		fit_newton(&wk, budget, theta, rep);
	}
	else
		fit_lbfgs(&wk, budget, theta, rep);
	rep->passes = wk.evals;
	rep->warm_rows = wk.warm_rows;
	rep->warm_iterations = wk.warm_iterations;
	if (!rep->converged)
		ereport(WARNING,
				(errmsg("train_logistic did not converge in %d iterations", rep->iterations),
				 errdetail("The largest gradient component is %g; the tolerance is %g.",
						   rep->grad_norm, params->tol),
				 errhint("Raise option \"max_iter\", raise \"l2\", or standardise the features.")));
	budget_free(budget, wk.B, block);

	for (j = 0; j < q; j++)
		if (!isfinite(theta[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("the logistic coefficients overflow on these features"),
					 errhint("Standardise the features (option \"standardize\"), rescale them, or raise \"l2\".")));
	m->p = p;
	m->fit_intercept = params->fit_intercept;
	m->standardize = params->standardize;
	m->coef = palloc(sizeof(double) * p);
	memcpy(m->coef, theta, sizeof(double) * p);
	m->intercept = params->fit_intercept ? theta[p] : 0.0;
	m->mean = wk.mean;
	m->scale = palloc(sizeof(double) * p);
	for (j = 0; j < p; j++)
		m->scale[j] = 1.0 / wk.invscale[j];
	logistic_derive_raw(m);
	pfree(theta);
}

void
logistic_derive_raw(LogisticModel *m)
{
	int			j;

	m->raw_coef = palloc(sizeof(double) * m->p);
	m->raw_intercept = m->intercept;
	for (j = 0; j < m->p; j++)
	{
		m->raw_coef[j] = m->coef[j] / m->scale[j];
		m->raw_intercept -= m->raw_coef[j] * m->mean[j];
	}
}

/* ---------- the model body ---------- */

/*
 * Body of a logistic model (after the envelope's metadata), big-endian:
 *	uint32	flags: 1 = has an intercept, 2 = standardised
 *	float64	intercept (0 without one)
 *	float64	coef[dim1]
 *	float64	mean[dim1], scale[dim1]		only if standardised
 * Header: dim1 = number of features, dim2 = 2 (classes).
 */
bytea *
logistic_encode(const LogisticModel *m, const ModelMeta *meta)
{
	ModelWriter w;

	model_begin(&w, MODEL_LOGISTIC, (uint32) m->p, 2, meta);
	model_put_u32(&w, (m->fit_intercept ? BODY_INTERCEPT : 0) |
				  (m->standardize ? BODY_STANDARDIZED : 0));
	model_put_f64(&w, m->intercept);
	model_put_f64_array(&w, m->coef, m->p);
	if (m->standardize)
	{
		model_put_f64_array(&w, m->mean, m->p);
		model_put_f64_array(&w, m->scale, m->p);
	}
	return model_finish(&w);
}

static void
check_finite(const double *v, int n, const char *detail)
{
	int			i;

	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			model_corrupted(detail);
}

void *
logistic_decode(const ModelHeader *h, ModelReader *body)
{
	LogisticModel *m = palloc0(sizeof(LogisticModel));
	uint32		flags;
	int			j;

	if (h->dim1 < 1 || h->dim1 > (uint32) PG_INT32_MAX || h->dim2 != 2)
		model_corrupted("The dimensions of the logistic model are invalid.");
	m->p = (int) h->dim1;
	flags = model_get_u32(body);
	if (flags & ~BODY_KNOWN_FLAGS)
		model_corrupted("Unknown flags are set in the logistic model.");
	m->fit_intercept = (flags & BODY_INTERCEPT) != 0;
	m->standardize = (flags & BODY_STANDARDIZED) != 0;
	m->intercept = model_get_f64(body);
	if (!isfinite(m->intercept) || (!m->fit_intercept && m->intercept != 0))
		model_corrupted("The intercept of the logistic model is invalid.");
	model_need(body, (Size) m->p * (m->standardize ? 3 : 1), sizeof(double));
	m->coef = palloc(sizeof(double) * m->p);
	model_get_f64_array(body, m->coef, m->p);
	check_finite(m->coef, m->p, "A coefficient of the logistic model is not finite.");
	m->mean = palloc(sizeof(double) * m->p);
	m->scale = palloc(sizeof(double) * m->p);
	if (m->standardize)
	{
		model_get_f64_array(body, m->mean, m->p);
		model_get_f64_array(body, m->scale, m->p);
		check_finite(m->mean, m->p, "A feature mean of the logistic model is not finite.");
		for (j = 0; j < m->p; j++)
			if (!(m->scale[j] > 0) || !isfinite(m->scale[j]))
				model_corrupted("A feature scale of the logistic model is not positive and finite.");
	}
	else
		for (j = 0; j < m->p; j++)
		{
			m->mean[j] = 0;
			m->scale[j] = 1;
		}
	model_end(body);
	logistic_derive_raw(m);
	return m;
}

/* ---------- scoring ---------- */

double
logistic_score(const void *decoded, const double *x, int n)
{
	const LogisticModel *m = decoded;
	double		z = m->intercept;
	int			j;

	if (n != m->p)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the model expects %d features, not %d", m->p, n),
				 errhint("Pass the features in the order and number used for training.")));
	/*
	 * Centred form: no cancellation between a large intercept and x.  Four
	 * partial sums, so that the additions do not wait on each other (the
	 * order is fixed: the same row always gets the same score).
	 */
	{
		double		acc[4] = {0, 0, 0, 0};

		for (j = 0; j + 4 <= n; j += 4)
		{
			acc[0] += m->raw_coef[j] * (x[j] - m->mean[j]);
			acc[1] += m->raw_coef[j + 1] * (x[j + 1] - m->mean[j + 1]);
			acc[2] += m->raw_coef[j + 2] * (x[j + 2] - m->mean[j + 2]);
			acc[3] += m->raw_coef[j + 3] * (x[j + 3] - m->mean[j + 3]);
		}
		for (; j < n; j++)
			acc[0] += m->raw_coef[j] * (x[j] - m->mean[j]);
		z += (acc[0] + acc[1]) + (acc[2] + acc[3]);
	}
	if (isnan(z))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must be finite numbers"),
				 errhint("Replace NaN and infinite values before scoring.")));
	return logistic_sigmoid(z);
}
