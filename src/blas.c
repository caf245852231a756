/*
 * blas.c
 *	  Wrapper around OpenBLAS, the only file that includes its header.
 *
 * Inside a backend OpenBLAS must run on one thread: parallelism comes from
 * PostgreSQL's parallel workers, and a pool of BLAS threads per backend would
 * oversubscribe the machine.  The Makefile links Debian's serial build when it
 * is installed; blas_init() also pins the thread count for other builds.
 */
#include "postgres.h"

#include <cblas.h>

#include "blas.h"

/* LAPACK (Fortran interface, column-major), exported by libopenblas */
extern void dposv_(const char *uplo, const int *n, const int *nrhs, double *a,
				   const int *lda, double *b, const int *ldb, int *info);

void
blas_init(void)
{
	openblas_set_num_threads(1);
}

int
blas_num_threads(void)
{
	return openblas_get_num_threads();
}

void
blas_dgemm(bool transa, bool transb, int m, int n, int k,
		   double alpha, const double *a, int lda, const double *b, int ldb,
		   double beta, double *c, int ldc)
{
	cblas_dgemm(CblasRowMajor, transa ? CblasTrans : CblasNoTrans,
				transb ? CblasTrans : CblasNoTrans,
				m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void
blas_sgemm(bool transa, bool transb, int m, int n, int k,
		   float alpha, const float *a, int lda, const float *b, int ldb,
		   float beta, float *c, int ldc)
{
	cblas_sgemm(CblasRowMajor, transa ? CblasTrans : CblasNoTrans,
				transb ? CblasTrans : CblasNoTrans,
				m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void
blas_dgemv(bool trans, int m, int n, double alpha, const double *a, int lda,
		   const double *x, double beta, double *y)
{
	cblas_dgemv(CblasRowMajor, trans ? CblasTrans : CblasNoTrans,
				m, n, alpha, a, lda, x, 1, beta, y, 1);
}

void
blas_dsyrk(bool trans, int n, int k, double alpha, const double *a, int lda,
		   double beta, double *c, int ldc)
{
	cblas_dsyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans,
				n, k, alpha, a, lda, beta, c, ldc);
}

double
blas_ddot(int n, const double *x, const double *y)
{
	return cblas_ddot(n, x, 1, y, 1);
}

void
blas_daxpy(int n, double alpha, const double *x, double *y)
{
	cblas_daxpy(n, alpha, x, 1, y, 1);
}

void
blas_dscal(int n, double alpha, double *x)
{
	cblas_dscal(n, alpha, x, 1);
}

double
blas_dnrm2(int n, const double *x)
{
	return cblas_dnrm2(n, x, 1);
}

bool
blas_dposv(int n, int nrhs, double *a, double *b)
{
	int			info = 0;
	int			i,
				j;
	double	   *bt;

	/*
	 * Row-major upper triangle = column-major lower triangle of the same
	 * (symmetric) matrix.  B must be column-major for LAPACK: transpose it.
	 */
	if (nrhs == 1)
		dposv_("L", &n, &nrhs, a, &n, b, &n, &info);
	else
	{
		bt = palloc(sizeof(double) * (Size) n * nrhs);
		for (i = 0; i < n; i++)
			for (j = 0; j < nrhs; j++)
				bt[(Size) j * n + i] = b[(Size) i * nrhs + j];
		dposv_("L", &n, &nrhs, a, &n, bt, &n, &info);
		for (i = 0; i < n; i++)
			for (j = 0; j < nrhs; j++)
				b[(Size) i * nrhs + j] = bt[(Size) j * n + i];
		pfree(bt);
	}
	if (info < 0)
		elog(ERROR, "dposv: illegal argument %d", -info);
	return info == 0;
}
