/*
 * blas_peak.c: single-thread double-precision rate of the OpenBLAS build that
 * assoc links (Debian's serial build), for comparing ALS training against it.
 * Prints GFLOP/s of dgemm (n x n) and of dsyrk shaped like ALS's row updates
 * (C += Z'Z with Z = rows x f).
 *   cc -O2 blas_peak.c -lopenblas && ./a.out [f rows]
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double
now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	int			n = 1024;
	int			f = argc > 1 ? atoi(argv[1]) : 64;
	int			rows = argc > 2 ? atoi(argv[2]) : 64;
	double	   *a = malloc(sizeof(double) * n * n);
	double	   *b = malloc(sizeof(double) * n * n);
	double	   *c = malloc(sizeof(double) * n * n);
	double		t0,
				t;
	int			i,
				reps;

	openblas_set_num_threads(1);
	for (i = 0; i < n * n; i++)
	{
		a[i] = (double) (i % 17) / 17.0;
		b[i] = (double) (i % 13) / 13.0;
		c[i] = 0;
	}
	/* warm up, then time */
	cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
	reps = 0;
	t0 = now();
	do
	{
		cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
		reps++;
	} while ((t = now() - t0) < 1.0);
	printf("dgemm %dx%d: %.1f GFLOP/s\n", n, n, 2.0 * n * n * (double) n * reps / t / 1e9);

	reps = 0;
	t0 = now();
	do
	{
		cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, f, rows, 1.0, a, f, 1.0, c, f);
		reps++;
	} while ((t = now() - t0) < 1.0);
	printf("dsyrk f=%d rows=%d: %.1f GFLOP/s\n", f, rows, (double) rows * f * (f + 1) * reps / t / 1e9);
	return 0;
}
