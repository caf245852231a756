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
