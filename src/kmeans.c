/*
 * kmeans.c
 *	  k-means kernel (see kmeans.h): plain C over arrays, OpenBLAS through
 *	  blas.h, memory through budget.h.  Nothing here knows about Datums.
 *
 * The algorithm follows scikit-learn's KMeans(algorithm="lloyd") so that the
 * two agree when they start from the same centroids:
 *	- data are centred (and optionally standardised) first;
 *	- each iteration assigns every row to the centroid that minimises
 *	  ||c||^2 - 2 z.c (one dgemm per block of rows), then moves every
 *	  centroid to the mean of its rows (the cluster sums are updated for the
 *	  rows that changed cluster only; the final means are summed afresh);
 *	- a cluster left empty is re-seeded with the row farthest from its
 *	  assigned centroid (among rows whose cluster keeps another row);
 *	- it stops when no row changed cluster, when the squared centroid shift
 *	  summed over the clusters is at most tol * (mean feature variance), or
 *	  after max_iter iterations;
 *	- the final labels, sizes and inertia come from one more pass with
 *	  direct distances (sum of squared differences), the same arithmetic as
 *	  scoring a row with assoc.predict_cluster.
 */
#include "postgres.h"

#include <math.h>

#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "utils/float.h"

#include "blas.h"
#include "kmeans.h"

/* ---------- canonical order ---------- */

#if defined(__GNUC__) || defined(__clang__)
#define KMEANS_PREFETCH(p) __builtin_prefetch(p)
#else
#define KMEANS_PREFETCH(p) ((void) 0)
#endif
#define PREFETCH_AHEAD 16

typedef struct RowKey
{
	uint64		hash;
	uint32		idx;
} RowKey;

typedef struct RowCmpArg
{
	const double *const *rows;
	Size		rowbytes;
} RowCmpArg;

/* Order rows by the hash of their bytes, then by their bytes, then by input position. */
static int
cmp_rowkey(const void *a, const void *b, void *arg)
{
	const RowKey *ka = a;
	const RowKey *kb = b;
	const RowCmpArg *c = arg;
	int			r;

	if (ka->hash != kb->hash)
		return ka->hash < kb->hash ? -1 : 1;
	r = memcmp(c->rows[ka->idx], c->rows[kb->idx], c->rowbytes);
	if (r != 0)
		return r;
	return ka->idx < kb->idx ? -1 : (ka->idx > kb->idx ? 1 : 0);
}

/*
 * Sort keys by cmp_rowkey: one scatter pass on the top 16 bits of the hash
 * (hashes are uniform, so buckets are small), then each bucket on its own.
 */
static void
sort_rowkeys(RowKey *keys, int64 n, RowCmpArg *carg, MemBudget *b)
{
#define NBUCKETS 65536
	Size		kbytes = budget_mul(n, sizeof(RowKey));
	RowKey	   *tmp = budget_alloc(b, kbytes);
	int64	   *start = budget_alloc0(b, sizeof(int64) * (NBUCKETS + 1));
	int64	   *pos = budget_alloc(b, sizeof(int64) * NBUCKETS);
	int64		i;
	int			t;

	for (i = 0; i < n; i++)
		start[(keys[i].hash >> 48) + 1]++;
	for (t = 0; t < NBUCKETS; t++)
		start[t + 1] += start[t];
	memcpy(pos, start, sizeof(int64) * NBUCKETS);
	for (i = 0; i < n; i++)
		tmp[pos[keys[i].hash >> 48]++] = keys[i];
	CHECK_FOR_INTERRUPTS();
	for (t = 0; t < NBUCKETS; t++)
	{
		RowKey	   *bk = tmp + start[t];
		int64		m = start[t + 1] - start[t];

		if (m > 16)
			qsort_arg(bk, m, sizeof(RowKey), cmp_rowkey, carg);
		else
		{
			/* the usual small bucket: insertion sort, hashes compared inline */
			for (i = 1; i < m; i++)
			{
				RowKey		key = bk[i];
				int64		h = i;

				while (h > 0 && (bk[h - 1].hash > key.hash ||
								 (bk[h - 1].hash == key.hash &&
								  cmp_rowkey(&bk[h - 1], &key, carg) > 0)))
				{
					bk[h] = bk[h - 1];
					h--;
				}
				bk[h] = key;
			}
		}
	}
	memcpy(keys, tmp, kbytes);
	budget_free(b, pos, sizeof(int64) * NBUCKETS);
	budget_free(b, start, sizeof(int64) * (NBUCKETS + 1));
	budget_free(b, tmp, kbytes);
#undef NBUCKETS
}

void
kmeans_transform_row(const double *x, const double *center, const double *scale, int d,
					 double *z)
{
	int			j;

	for (j = 0; j < d; j++)
		z[j] = (x[j] - center[j]) / scale[j];
}

/*
 * Population standard deviation of feature j of the n x d rows x around mean,
 * computed on values scaled by their largest deviation, for features whose
 * squares overflow.
 */
static double
scaled_sd(const double *x, int64 n, int d, int j, double mean)
{
	double		m = 0;
	double		ss = 0;
	int64		i;

	for (i = 0; i < n; i++)
		m = Max(m, fabs(x[(Size) i * d + j] - mean));
	if (!(m > 0) || !isfinite(m))
		return m;
	for (i = 0; i < n; i++)
	{
		double		t = (x[(Size) i * d + j] - mean) / m;

		ss += t * t;
	}
	return m * sqrt(ss / (double) n);
}

void
kmeans_prepare(KmeansData *data, const double *const *rows, int64 n, int d,
			   bool standardize, MemBudget *b)
{
	Size		rowbytes = sizeof(double) * (Size) d;
	RowKey	   *keys;
	RowCmpArg	carg;
	double	   *z;
	double	   *sum;
	double	   *ss;
	int64		i;
	int			j;

	Assert(n >= 1 && d >= 1 && n <= KMEANS_MAX_ROWS);

	/* canonical order: the model depends on the multiset of rows only */
	keys = budget_alloc(b, budget_mul(n, sizeof(RowKey)));
	for (i = 0; i < n; i++)
	{
		keys[i].hash = hash_bytes_extended((const unsigned char *) rows[i], (int) rowbytes, 0);
		keys[i].idx = (uint32) i;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	carg.rows = rows;
	carg.rowbytes = rowbytes;
	sort_rowkeys(keys, n, &carg, b);

	z = budget_alloc(b, budget_mul(n, rowbytes));
	data->center = budget_alloc0(b, rowbytes);
	sum = data->center;
	data->ndistinct = 0;
	for (i = 0; i < n; i++)
	{
		/* a gather from random places: ask for rows a little ahead */
		if (i + PREFETCH_AHEAD < n)
		{
			const char *ahead = (const char *) rows[keys[i + PREFETCH_AHEAD].idx];
			Size		off;

			for (off = 0; off < Min(rowbytes, 256); off += 64)
				KMEANS_PREFETCH(ahead + off);
		}
		memcpy(z + (Size) i * d, rows[keys[i].idx], rowbytes);
		for (j = 0; j < d; j++)
			sum[j] += z[(Size) i * d + j];
		if (i == 0 || keys[i].hash != keys[i - 1].hash ||
			memcmp(rows[keys[i].idx], rows[keys[i - 1].idx], rowbytes) != 0)
			data->ndistinct++;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	budget_free(b, keys, budget_mul(n, sizeof(RowKey)));

	/* mean (summed during the copy) and population variance */
	data->scale = budget_alloc(b, rowbytes);
	ss = budget_alloc0(b, rowbytes);
	for (j = 0; j < d; j++)
		data->center[j] = sum[j] / (double) n;
	for (i = 0; i < n; i++)
	{
		const double *x = z + (Size) i * d;

		for (j = 0; j < d; j++)
		{
			double		t = x[j] - data->center[j];

			ss[j] += t * t;
		}
	}
	data->mean_var = 0;
	for (j = 0; j < d; j++)
	{
		double		sd = sqrt(ss[j] / (double) n);
		double		var_z;

		if (isinf(ss[j]) && isfinite(data->center[j]))
			sd = scaled_sd(z, n, d, j, data->center[j]);	/* squares overflowed */
		data->scale[j] = (standardize && sd > 0 && isfinite(sd)) ? sd : 1.0;
		/* variance in z space: the unit of tol (scikit-learn: mean of np.var(X, axis=0)) */
		var_z = sd / data->scale[j];
		data->mean_var += var_z * var_z;
	}
	data->mean_var /= d;
	CHECK_FOR_INTERRUPTS();
	budget_free(b, ss, rowbytes);

	/* the z-space rows and their squared norms */
	data->znorm = budget_alloc(b, budget_mul(n, sizeof(double)));
	for (i = 0; i < n; i++)
	{
		double	   *zi = z + (Size) i * d;
		double		s = 0;

		kmeans_transform_row(zi, data->center, data->scale, d, zi);
		for (j = 0; j < d; j++)
			s += zi[j] * zi[j];
		data->znorm[i] = s;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}

	data->n = n;
	data->d = d;
	data->z = z;
}

/* ---------- distances ---------- */

/*
 * Squared Euclidean distance.  With GCC or Clang two lanes of partial sums
 * (even and odd features), added at the end; the same order everywhere, so
 * training and scoring agree to the bit.
 */
static inline double
dist2_direct(const double *a, const double *b, int d)
{
	double		s = 0;
	int			j = 0;

#if defined(__GNUC__) || defined(__clang__)
	typedef double v2df __attribute__((vector_size(16)));
	v2df		acc = {0, 0};

	for (; j + 2 <= d; j += 2)
	{
		v2df		x,
					y;

		memcpy(&x, a + j, sizeof(x));
		memcpy(&y, b + j, sizeof(y));
		x -= y;
		acc += x * x;
	}
	s = acc[0] + acc[1];
#endif
	for (; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

int
kmeans_nearest(const double *centroids, int k, int d, const double *z, double *dist2)
{
	int			best = 0;
	double		bestd = dist2_direct(z, centroids, d);
	int			j;

	for (j = 1; j < k; j++)
	{
		double		t = dist2_direct(z, centroids + (Size) j * d, d);

		if (t < bestd)
		{
			bestd = t;
			best = j;
		}
	}
	*dist2 = bestd;
	return best;
}

/* Rows per dgemm block: a block of rows and its row of scores stay in cache. */
static int
block_rows(int width)
{
	int			b = 32768 / Max(width, 1);

	return Max(16, Min(b, 4096));
}

/* ---------- sampling ---------- */

/*
 * Partial Fisher-Yates: the first m entries of the returned array (of n) are
 * m distinct row numbers drawn uniformly.
 */
static uint32 *
draw_rows(pg_prng_state *rng, int64 n, int64 m, MemBudget *b)
{
	uint32	   *idx = budget_alloc(b, budget_mul(n, sizeof(uint32)));
	int64		i;

	for (i = 0; i < n; i++)
		idx[i] = (uint32) i;
	for (i = 0; i < m; i++)
	{
		int64		j = (int64) pg_prng_uint64_range(rng, (uint64) i, (uint64) (n - 1));
		uint32		t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
	}
	return idx;
}

static int
cmp_uint32_asc(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* ---------- initialisation ---------- */

/*
 * closest[i] = min(closest[i], squared distance of row i to c) for every row
 * (or set, if init), by the expanded form through one dgemv: y = Z c.
 * y is scratch of n doubles.
 */
static void
closest_update(const KmeansData *data, const double *c, double *closest, double *y, bool init)
{
	double		cn = blas_ddot(data->d, c, c);
	int64		i;

	blas_dgemv(false, (int) data->n, data->d, -2.0, data->z, data->d, c, 0.0, y);
	for (i = 0; i < data->n; i++)
	{
		double		dd = (y[i] + data->znorm[i]) + cn;

		dd = dd > 0 ? dd : 0;
		closest[i] = (init || dd < closest[i]) ? dd : closest[i];
	}
}

/*
 * Greedy k-means++ (Arthur & Vassilvitskii; the variant of scikit-learn):
 * the first centroid is a uniformly drawn row; each next one is the best, by
 * resulting potential, of 2 + floor(ln k) rows drawn with probability
 * proportional to their squared distance to the nearest centroid so far.
 * Distances by the expanded form through OpenBLAS, clipped at 0, as
 * scikit-learn computes them.
 */
static void
init_plusplus(const KmeansData *data, int k, pg_prng_state *rng, double *C, MemBudget *b)
{
	int64		n = data->n;
	int			d = data->d;
	Size		nbytes = budget_mul(n, sizeof(double));
	double	   *closest = budget_alloc(b, nbytes);
	double	   *cumsum = budget_alloc(b, nbytes);
	int			trials = 2 + (int) floor(log((double) k));
	int			block = block_rows(Max(d, trials));
	double	   *T = budget_alloc(b, sizeof(double) * (Size) trials * d);
	double	   *tn = budget_alloc(b, sizeof(double) * trials);
	double	   *G = budget_alloc(b, budget_mul((Size) trials * block, sizeof(double)));
	int64	   *cand = budget_alloc(b, sizeof(int64) * trials);
	double	   *candpot = budget_alloc(b, sizeof(double) * trials);
	int64		first;
	int64		i;
	int			c,
				t;

	first = (int64) pg_prng_uint64_range(rng, 0, (uint64) (n - 1));
	memcpy(C, data->z + (Size) first * d, sizeof(double) * d);
	closest_update(data, C, closest, cumsum, true);

	for (c = 1; c < k; c++)
	{
		double		pot = 0;
		int			best = 0;
		int64		i0;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < n; i++)
		{
			pot += closest[i];
			cumsum[i] = pot;
		}
		for (t = 0; t < trials; t++)
		{
			if (pot > 0)
			{
				/* r in (0, pot]: the first row whose cumulative sum reaches r */
				double		r = (1.0 - pg_prng_double(rng)) * pot;
				int64		lo = 0,
							hi = n - 1;

				while (lo < hi)
				{
					int64		mid = lo + (hi - lo) / 2;

					if (cumsum[mid] >= r)
						hi = mid;
					else
						lo = mid + 1;
				}
				cand[t] = lo;
			}
			else
				cand[t] = (int64) pg_prng_uint64_range(rng, 0, (uint64) (n - 1));
			memcpy(T + (Size) t * d, data->z + (Size) cand[t] * d, sizeof(double) * d);
			tn[t] = blas_ddot(d, T + (Size) t * d, T + (Size) t * d);
			candpot[t] = 0;
		}

		/* the potential if each candidate were added */
		for (i0 = 0; i0 < n; i0 += block)
		{
			int			nb = (int) Min((int64) block, n - i0);
			int			r;

			blas_dgemm(false, true, trials, nb, d, -2.0, T, d, data->z + (Size) i0 * d, d,
					   0.0, G, nb);
			for (t = 0; t < trials; t++)
			{
				const double *g = G + (Size) t * nb;
				double		sum = 0;

				for (r = 0; r < nb; r++)
				{
					double		dd = (g[r] + data->znorm[i0 + r]) + tn[t];

					dd = dd > 0 ? dd : 0;
					sum += Min(dd, closest[i0 + r]);
				}
				candpot[t] += sum;
			}
			CHECK_FOR_INTERRUPTS();
		}
		for (t = 1; t < trials; t++)
			if (candpot[t] < candpot[best])
				best = t;
		memcpy(C + (Size) c * d, T + (Size) best * d, sizeof(double) * d);
		closest_update(data, C + (Size) c * d, closest, cumsum, false);
	}
	budget_free(b, candpot, sizeof(double) * trials);
	budget_free(b, cand, sizeof(int64) * trials);
	budget_free(b, G, budget_mul((Size) trials * block, sizeof(double)));
	budget_free(b, tn, sizeof(double) * trials);
	budget_free(b, T, sizeof(double) * (Size) trials * d);
	budget_free(b, cumsum, nbytes);
	budget_free(b, closest, nbytes);
}

static void
init_random(const KmeansData *data, int k, pg_prng_state *rng, double *C, MemBudget *b)
{
	uint32	   *idx = draw_rows(rng, data->n, k, b);
	int			c;

	for (c = 0; c < k; c++)
		memcpy(C + (Size) c * data->d, data->z + (Size) idx[c] * data->d,
			   sizeof(double) * data->d);
	budget_free(b, idx, budget_mul(data->n, sizeof(uint32)));
}

/* ---------- Lloyd ---------- */

typedef struct LloydWork
{
	double	   *sums;			/* k x d */
	int64	   *counts;			/* k */
	double	   *cnorm;			/* k */
	double	   *G;				/* k x block */
	double	   *dist;			/* n, for re-seeding empty clusters */
	int32	   *owner;			/* n: the cluster whose sum holds the row */
	int			block;
} LloydWork;

/*
 * Move row z (d values) from the sum "from" (NULL: none) to the sum "to".
 * The hottest loop of an iteration: with GCC or Clang two values per
 * instruction (the compilers do not vectorise it at -O2).
 */
static inline void
move_row(double *pg_restrict from, double *pg_restrict to, const double *pg_restrict z, int d)
{
	int			t = 0;

#if defined(__GNUC__) || defined(__clang__)
	typedef double v2df __attribute__((vector_size(16)));

	for (; t + 2 <= d; t += 2)
	{
		v2df		a,
					b;

		memcpy(&b, z + t, sizeof(b));
		memcpy(&a, to + t, sizeof(a));
		a += b;
		memcpy(to + t, &a, sizeof(a));
		if (from)
		{
			memcpy(&a, from + t, sizeof(a));
			a -= b;
			memcpy(from + t, &a, sizeof(a));
		}
	}
#endif
	for (; t < d; t++)
	{
		to[t] += z[t];
		if (from)
			from[t] -= z[t];
	}
}

/*
 * Assign every row to its nearest centroid by the expanded form, counting
 * the rows whose label changed.  The per-cluster sums and counts are kept up
 * to date incrementally: a row is moved between sums only when its cluster
 * changes (after the first iterations few rows do), owner[i] being the
 * cluster whose sum holds row i (-1: none yet).
 * *inertia gets the sum over rows of ||z||^2 + min_j (||c_j||^2 - 2 z.c_j).
 * Per block of rows, one dgemm gives -2 c_j.z_i for every cluster j (as a
 * k x block matrix: OpenBLAS is faster this way round for small k).
 */
static int64
assign_and_sum(const KmeansData *data, int k, const double *C, int32 *labels,
			   LloydWork *w, double *inertia)
{
	int64		n = data->n;
	int			d = data->d;
	int64		i0;
	int64		changed = 0;
	double		total = 0;
	int			j;

	for (j = 0; j < k; j++)
		w->cnorm[j] = blas_ddot(d, C + (Size) j * d, C + (Size) j * d);

	for (i0 = 0; i0 < n; i0 += w->block)
	{
		int			nb = (int) Min((int64) w->block, n - i0);
		const double *zb = data->z + (Size) i0 * d;
		int			r;

		blas_dgemm(false, true, k, nb, d, -2.0, C, d, zb, d, 0.0, w->G, nb);
		for (r = 0; r < nb; r++)
		{
			const double *pg_restrict zi = zb + (Size) r * d;
			const double *g = w->G + r;
			double		bestv = w->cnorm[0] + g[0];
			int32		best = 0;
			int64		i = i0 + r;

			for (j = 1; j < k; j++)
			{
				double		v = w->cnorm[j] + g[(Size) j * nb];
				int32		lt = -(int32) (v < bestv);	/* all ones or zero */

				/* branch-free: a branch here mispredicts for about every other row */
				best ^= (best ^ j) & lt;
				bestv = v < bestv ? v : bestv;
			}
			changed += labels[i] != best;
			labels[i] = best;
			total += data->znorm[i] + bestv;
			if (w->owner[i] != best)
			{
				int32		from = w->owner[i];

				move_row(from >= 0 ? w->sums + (Size) from * d : NULL,
						 w->sums + (Size) best * d, zi, d);
				/* an emptied sum restarts from an exact zero, not from rounding */
				if (from >= 0 && --w->counts[from] == 0)
					memset(w->sums + (Size) from * d, 0, sizeof(double) * d);
				w->counts[best]++;
				w->owner[i] = best;
			}
		}
		CHECK_FOR_INTERRUPTS();
	}
	*inertia = total;
	return changed;
}

/*
 * Re-seed empty clusters: each (in increasing order) takes the row farthest
 * from the centroid it was assigned to (C, before the update), among rows
 * whose cluster keeps at least one other row and that were not moved yet;
 * ties go to the lowest row.  A cluster for which no row qualifies stays
 * empty (possible only when fewer than k distinct rows remain apart).
 * Labels are left as assigned (as scikit-learn does); owner follows the move.
 * Returns the number of
 * clusters re-seeded.
 */
static int64
relocate_empty(const KmeansData *data, int k, const double *C, const int32 *labels,
			   LloydWork *w)
{
	int64		n = data->n;
	int			d = data->d;
	int64		i;
	int			j;
	int64		moved = 0;
	bool		any = false;

	for (j = 0; j < k; j++)
		if (w->counts[j] == 0)
			any = true;
	if (!any)
		return 0;

	for (i = 0; i < n; i++)
		w->dist[i] = dist2_direct(data->z + (Size) i * d, C + (Size) labels[i] * d, d);

	for (j = 0; j < k; j++)
	{
		int64		best = -1;
		double		bestd = 0;
		const double *zi;
		int			l;
		int			t;

		if (w->counts[j] != 0)
			continue;
		for (i = 0; i < n; i++)
			if (w->dist[i] > bestd && w->counts[w->owner[i]] >= 2)
			{
				bestd = w->dist[i];
				best = i;
			}
		if (best < 0)
			break;
		zi = data->z + (Size) best * d;
		l = w->owner[best];
		for (t = 0; t < d; t++)
		{
			w->sums[(Size) l * d + t] -= zi[t];
			w->sums[(Size) j * d + t] = zi[t];	/* the empty sum may hold rounding */
		}
		w->counts[l]--;
		w->counts[j] = 1;
		w->owner[best] = j;
		w->dist[best] = -1;
		moved++;
		CHECK_FOR_INTERRUPTS();
	}
	return moved;
}

/*
 * Lloyd iterations from the centroids in C (updated in place); labels gets
 * the labels of the last assignment.
 */
static void
lloyd(const KmeansData *data, const KmeansParams *p, int run, double *C, int32 *labels,
	  LloydWork *w, int *iterations, bool *converged, int64 *relocations)
{
	int			k = p->k;
	int			d = data->d;
	double		tol_abs = p->tol * data->mean_var;
	int64		i;
	int			it;

	for (i = 0; i < data->n; i++)
	{
		labels[i] = -1;
		w->owner[i] = -1;
	}
	memset(w->sums, 0, sizeof(double) * (Size) k * d);
	memset(w->counts, 0, sizeof(int64) * k);
	*converged = false;
	*relocations = 0;
	for (it = 0; it < p->max_iter; it++)
	{
		double		inertia;
		double		shift = 0;
		int64		changed;
		int			j,
					t;

		changed = assign_and_sum(data, k, C, labels, w, &inertia);
		*relocations += relocate_empty(data, k, C, labels, w);
		for (j = 0; j < k; j++)
		{
			double		cnt = (double) w->counts[j];

			if (w->counts[j] == 0)
				continue;		/* nothing could re-seed it: keep the centroid */
			for (t = 0; t < d; t++)
			{
				double		c = w->sums[(Size) j * d + t] / cnt;
				double		delta = c - C[(Size) j * d + t];

				shift += delta * delta;
				C[(Size) j * d + t] = c;
			}
		}
		if (p->progress)
			p->progress(p->progress_arg, run, it + 1, inertia, changed, shift);
		if (changed == 0 || shift <= tol_abs)
		{
			*converged = true;
			it++;
			break;
		}
	}
	*iterations = it;

	/*
	 * The incremental sums carry the rounding of every move: the final
	 * centroids are the means of their rows summed afresh.
	 */
	memset(w->sums, 0, sizeof(double) * (Size) k * d);
	for (i = 0; i < data->n; i++)
		move_row(NULL, w->sums + (Size) w->owner[i] * d, data->z + (Size) i * d, d);
	for (i = 0; i < (Size) k * d; i++)
		if (w->counts[i / d] > 0)
			C[i] = w->sums[i] / (double) w->counts[i / d];
}

/* Labels, sizes and inertia with direct distances; returns the inertia. */
static double
final_pass(const KmeansData *data, int k, const double *C, int32 *labels, int64 *sizes)
{
	double		inertia = 0;
	int64		i;

	memset(sizes, 0, sizeof(int64) * k);
	for (i = 0; i < data->n; i++)
	{
		double		dd;
		int			l = kmeans_nearest(C, k, data->d, data->z + (Size) i * data->d, &dd);

		labels[i] = l;
		sizes[l]++;
		inertia += dd;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	return inertia;
}

void
kmeans_fit(const KmeansData *data, const KmeansParams *p, KmeansResult *res, MemBudget *b)
{
	int			k = p->k;
	int			d = data->d;
	int64		n = data->n;
	Size		cbytes = budget_mul((Size) k * d, sizeof(double));
	Size		lbytes = budget_mul(n, sizeof(int32));
	LloydWork	w;
	pg_prng_state rng;
	double	   *C = budget_alloc(b, cbytes);
	int32	   *labels = budget_alloc(b, lbytes);
	int64	   *sizes = budget_alloc(b, sizeof(int64) * k);
	int			run;

	Assert(k >= 1 && k <= data->ndistinct && p->max_iter >= 1 && p->n_init >= 1);

	w.block = block_rows(Max(d, k));
	w.sums = budget_alloc(b, cbytes);
	w.counts = budget_alloc(b, sizeof(int64) * k);
	w.cnorm = budget_alloc(b, sizeof(double) * k);
	w.G = budget_alloc(b, budget_mul((Size) w.block * k, sizeof(double)));
	w.dist = budget_alloc(b, budget_mul(n, sizeof(double)));
	w.owner = budget_alloc(b, lbytes);

	res->centroids = budget_alloc(b, cbytes);
	res->sizes = budget_alloc(b, sizeof(int64) * k);
	res->labels = budget_alloc(b, lbytes);
	res->inertia = get_float8_nan();

	pg_prng_seed(&rng, p->seed);
	for (run = 0; run < p->n_init; run++)
	{
		int			iterations;
		bool		converged;
		int64		relocations;
		double		inertia;

		switch (p->init)
		{
			case KMEANS_INIT_PLUSPLUS:
				init_plusplus(data, k, &rng, C, b);
				break;
			case KMEANS_INIT_RANDOM:
				init_random(data, k, &rng, C, b);
				break;
			case KMEANS_INIT_GIVEN:
				memcpy(C, p->init_centroids, cbytes);
				break;
		}
		lloyd(data, p, run + 1, C, labels, &w, &iterations, &converged, &relocations);
		inertia = final_pass(data, k, C, labels, sizes);
		if (run == 0 || inertia < res->inertia)
		{
			int32	   *t = res->labels;

			memcpy(res->centroids, C, cbytes);
			memcpy(res->sizes, sizes, sizeof(int64) * k);
			res->labels = labels;
			labels = t;
			res->inertia = inertia;
			res->iterations = iterations;
			res->converged = converged;
			res->relocations = relocations;
		}
	}

	budget_free(b, w.owner, lbytes);
	budget_free(b, w.dist, budget_mul(n, sizeof(double)));
	budget_free(b, w.G, budget_mul((Size) w.block * k, sizeof(double)));
	budget_free(b, w.cnorm, sizeof(double) * k);
	budget_free(b, w.counts, sizeof(int64) * k);
	budget_free(b, w.sums, cbytes);
	budget_free(b, sizes, sizeof(int64) * k);
	budget_free(b, labels, lbytes);
	budget_free(b, C, cbytes);
}

/* ---------- silhouette ---------- */

/*
 * Sum over the m sampled rows (S, m x d; squared norms snorm; labels sl;
 * cnt rows per cluster in the sample) of their silhouette, with Euclidean
 * distances between sampled rows.
 */
static double
silhouette_sum(const double *S, const double *snorm, const int32 *sl, const int64 *cnt,
			   int m, int d, int k, MemBudget *b)
{
	int			block = block_rows(m);
	double	   *G = budget_alloc(b, budget_mul((Size) block * m, sizeof(double)));
	double	   *csum = budget_alloc(b, sizeof(double) * k);
	double		total = 0;
	int			i0,
				j;

	for (i0 = 0; i0 < m; i0 += block)
	{
		int			nb = Min(block, m - i0);
		int			r;

		/* squared distances as scikit-learn's euclidean_distances: -2 x.y + ||x||^2 + ||y||^2 */
		blas_dgemm(false, true, nb, m, d, -2.0, S + (Size) i0 * d, d, S, d, 0.0, G, m);
		for (r = 0; r < nb; r++)
		{
			int			ii = i0 + r;
			const double *g = G + (Size) r * m;
			int			own = sl[ii];
			double		a,
						bmin = get_float8_infinity();

			if (cnt[own] <= 1)
				continue;		/* a row alone in its cluster scores 0 */
			memset(csum, 0, sizeof(double) * k);
			for (j = 0; j < m; j++)
			{
				double		dd;

				if (j == ii)
					continue;
				dd = (g[j] + snorm[ii]) + snorm[j];
				csum[sl[j]] += dd > 0 ? sqrt(dd) : 0;
			}
			a = csum[own] / (double) (cnt[own] - 1);
			for (j = 0; j < k; j++)
				if (j != own && cnt[j] > 0 && csum[j] / (double) cnt[j] < bmin)
					bmin = csum[j] / (double) cnt[j];
			if (Max(a, bmin) > 0)
				total += (bmin - a) / Max(a, bmin);
		}
		CHECK_FOR_INTERRUPTS();
	}
	budget_free(b, csum, sizeof(double) * k);
	budget_free(b, G, budget_mul((Size) block * m, sizeof(double)));
	return total;
}

double
kmeans_silhouette(const KmeansData *data, const int32 *labels, int k, int64 sample,
				  uint64 seed, MemBudget *b)
{
	int64		n = data->n;
	int			d = data->d;
	int			m = (int) Min(sample, n);
	uint32	   *idx = NULL;
	double	   *S;
	double	   *snorm;
	int32	   *sl;
	int64	   *cnt;
	int			present = 0;
	int			i,
				j;
	double		total;

	Assert(sample >= 1);
	if (m < n)
	{
		pg_prng_state rng;

		/* a stream of its own, so that the sample is the same for every k */
		pg_prng_seed(&rng, seed ^ UINT64CONST(0x73696C686F756574));
		idx = draw_rows(&rng, n, m, b);
		qsort(idx, m, sizeof(uint32), cmp_uint32_asc);
	}

	S = budget_alloc(b, budget_mul((Size) m * d, sizeof(double)));
	snorm = budget_alloc(b, sizeof(double) * m);
	sl = budget_alloc(b, sizeof(int32) * m);
	cnt = budget_alloc0(b, sizeof(int64) * k);
	for (i = 0; i < m; i++)
	{
		int64		r = idx ? idx[i] : i;

		memcpy(S + (Size) i * d, data->z + (Size) r * d, sizeof(double) * d);
		snorm[i] = data->znorm[r];
		sl[i] = labels[r];
		cnt[sl[i]]++;
	}
	if (idx)
		budget_free(b, idx, budget_mul(n, sizeof(uint32)));
	for (j = 0; j < k; j++)
		if (cnt[j] > 0)
			present++;
	if (present < 2 || present >= m)
		total = get_float8_nan();
	else
		total = silhouette_sum(S, snorm, sl, cnt, m, d, k, b) / (double) m;
	budget_free(b, cnt, sizeof(int64) * k);
	budget_free(b, sl, sizeof(int32) * m);
	budget_free(b, snorm, sizeof(double) * m);
	budget_free(b, S, budget_mul((Size) m * d, sizeof(double)));
	return total;
}

/* ---------- model body ---------- */

void
kmeans_write_body(ModelWriter *w, bool standardize, int k, int d, const double *center,
				  const double *scale, const double *centroids, const int64 *sizes,
				  double inertia)
{
	model_put_u8(w, standardize ? 1 : 0);
	model_put_f64_array(w, center, d);
	model_put_f64_array(w, scale, d);
	model_put_f64_array(w, centroids, (Size) k * d);
	model_put_i64_array(w, sizes, k);
	model_put_f64(w, inertia);
}

static void
check_finite(const double *v, Size n, const char *what)
{
	Size		i;

	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			model_corrupted(what);
}

void *
kmeans_decode(const ModelHeader *h, ModelReader *body)
{
	KmeansModel *m = palloc0(sizeof(KmeansModel));
	uint8		flag;
	int			j;

	if (h->dim1 < 1 || h->dim1 > KMEANS_MAX_FEATURES || h->dim2 < 1 || h->dim2 > KMEANS_MAX_K ||
		(uint64) h->dim1 * h->dim2 > KMEANS_MAX_CENTROID_VALUES)
		model_corrupted("The k-means model's dimensions are out of range.");
	m->d = (int) h->dim1;
	m->k = (int) h->dim2;
	flag = model_get_u8(body);
	if (flag > 1)
		model_corrupted("The k-means model's standardisation flag is invalid.");
	m->standardize = flag == 1;
	/* check the size before allocating */
	model_need(body, 2 * (Size) m->d + (Size) m->k * m->d + (Size) m->k + 1, 8);
	m->center = palloc(sizeof(double) * m->d);
	m->scale = palloc(sizeof(double) * m->d);
	m->centroids = palloc(sizeof(double) * (Size) m->k * m->d);
	m->sizes = palloc(sizeof(int64) * m->k);
	model_get_f64_array(body, m->center, m->d);
	model_get_f64_array(body, m->scale, m->d);
	model_get_f64_array(body, m->centroids, (Size) m->k * m->d);
	model_get_i64_array(body, m->sizes, m->k);
	m->inertia = model_get_f64(body);
	model_end(body);

	check_finite(m->center, m->d, "A k-means centre is not finite.");
	check_finite(m->centroids, (Size) m->k * m->d, "A k-means centroid is not finite.");
	for (j = 0; j < m->d; j++)
		if (!(m->scale[j] > 0) || !isfinite(m->scale[j]) ||
			(!m->standardize && m->scale[j] != 1.0))
			model_corrupted("A k-means scale is invalid.");
	for (j = 0; j < m->k; j++)
		if (m->sizes[j] < 0)
			model_corrupted("A k-means cluster size is negative.");
	if (!(m->inertia >= 0) || !isfinite(m->inertia))
		model_corrupted("The k-means inertia is invalid.");
	return m;
}
