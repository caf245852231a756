/*
 * sortutil.h
 *	  Small sorting helpers on plain integer arrays.
 */
#ifndef ASSOC_SORTUTIL_H
#define ASSOC_SORTUTIL_H

#include "postgres.h"

/* qsort comparator for uint32 */
static inline int
cmp_uint32(const void *a, const void *b)
{
	uint32		x = *(const uint32 *) a;
	uint32		y = *(const uint32 *) b;

	return (x > y) - (x < y);
}

/* Sort a short uint32 array in place (insertion sort; qsort when long). */
static inline void
sort_uint32(uint32 *a, Size n)
{
	Size		i;

	if (n > 16)
	{
		qsort(a, n, sizeof(uint32), cmp_uint32);
		return;
	}
	for (i = 1; i < n; i++)
	{
		uint32		v = a[i];
		Size		j = i;

		while (j > 0 && a[j - 1] > v)
		{
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}

#endif							/* ASSOC_SORTUTIL_H */
