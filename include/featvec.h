/*
 * featvec.h
 *	  Feature vectors passed as float8[]: checked once, read in place.
 */
#ifndef ASSOC_FEATVEC_H
#define ASSOC_FEATVEC_H

#include "postgres.h"

#include "utils/array.h"

/*
 * The elements of a one-dimensional float8[] (an empty array gives n = 0),
 * pointing into the array.  Errors: more than one dimension or a non-finite
 * element (22023), a NULL element (22004).  what names the argument.
 */
extern const double *featvec_get(ArrayType *a, int *n, const char *what);

#endif							/* ASSOC_FEATVEC_H */
