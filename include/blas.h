/*
 * blas.h
 *	  The one place assoc calls OpenBLAS (BLAS and LAPACK): set-up and thin
 *	  wrappers over the routines the kernels use.  Matrices are row-major
 *	  unless a routine says otherwise; dimensions are int as in BLAS.
 *
 * Add a wrapper here rather than including <cblas.h> anywhere else.
 */
#ifndef ASSOC_BLAS_H
#define ASSOC_BLAS_H

#include <stdbool.h>

/* Make OpenBLAS single-threaded in this process (called from _PG_init). */
extern void blas_init(void);

/* Number of threads OpenBLAS would use (1 after blas_init). */
extern int	blas_num_threads(void);

/* C = alpha * op(A) * op(B) + beta * C; op(X) = X or X^T; row-major. */
extern void blas_dgemm(bool transa, bool transb, int m, int n, int k,
					   double alpha, const double *a, int lda,
					   const double *b, int ldb,
					   double beta, double *c, int ldc);
extern void blas_sgemm(bool transa, bool transb, int m, int n, int k,
					   float alpha, const float *a, int lda,
					   const float *b, int ldb,
					   float beta, float *c, int ldc);

/* y = alpha * op(A) * x + beta * y; A is m x n row-major. */
extern void blas_dgemv(bool trans, int m, int n, double alpha, const double *a, int lda,
					   const double *x, double beta, double *y);

/*
 * C = alpha * A^T A + beta * C (trans) or alpha * A A^T + beta * C; C is n x n,
 * only its upper triangle is written (row-major).
 */
extern void blas_dsyrk(bool trans, int n, int k, double alpha, const double *a, int lda,
					   double beta, double *c, int ldc);

extern double blas_ddot(int n, const double *x, const double *y);
extern void blas_daxpy(int n, double alpha, const double *x, double *y);
extern void blas_dscal(int n, double alpha, double *x);
extern double blas_dnrm2(int n, const double *x);

/*
 * Solve A X = B for symmetric positive definite A (n x n, upper triangle
 * used), B n x nrhs, both row-major and overwritten (A by its Cholesky
 * factor, B by X).  Returns false if A is not positive definite.
 */
extern bool blas_dposv(int n, int nrhs, double *a, double *b);

#endif							/* ASSOC_BLAS_H */
