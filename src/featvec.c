/*
 * featvec.c
 *	  Feature vectors passed as float8[] (see featvec.h).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/float.h"

#include "featvec.h"

const double *
featvec_get(ArrayType *a, int *n, const char *what)
{
	const double *x;
	int			i;

	if (ARR_ELEMTYPE(a) != FLOAT8OID)
		elog(ERROR, "%s must be a float8 array", what);
	if (ARR_NDIM(a) == 0)
	{
		*n = 0;
		return NULL;
	}
	if (ARR_NDIM(a) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", what),
				 errdetail("It has %d dimensions.", ARR_NDIM(a))));
	if (array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", what),
				 errhint("Replace missing values (e.g. with 0 or a mean) before training or scoring.")));
	*n = ARR_DIMS(a)[0];
	x = (const double *) ARR_DATA_PTR(a);
	for (i = 0; i < *n; i++)
		if (!isfinite(x[i]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must hold finite numbers", what),
					 errdetail("Element %d is %s.", i + 1,
							   isnan(x[i]) ? "NaN" : (x[i] > 0 ? "Infinity" : "-Infinity")),
					 errhint("Replace NaN and infinite values before training or scoring.")));
	return x;
}
