/*
 * blas.h
 *	  The one place assoc calls OpenBLAS: set-up and the few routines used.
 */
#ifndef ASSOC_BLAS_H
#define ASSOC_BLAS_H

/* Make OpenBLAS single-threaded in this process (called from _PG_init). */
extern void blas_init(void);

/* Number of threads OpenBLAS would use (1 after blas_init). */
extern int	blas_num_threads(void);

#endif							/* ASSOC_BLAS_H */
