/*
 * measures.h
 *	  Exact thresholds and the interest measures of association rules.
 *
 * Thresholds given as float8 are taken as the decimal number the float8 prints
 * as (its shortest round-trip form): min_support 0.001 means exactly 1/1000,
 * so ceil(0.001 * 9835) is 10, and ceil(0.07 * 100) is 7.
 */
#ifndef ASSOC_MEASURES_H
#define ASSOC_MEASURES_H

#include "postgres.h"

typedef struct Threshold
{
	uint64		mant;			/* value = mant / 10^scale */
	int			scale;
} Threshold;

/* Threshold for a finite, non-negative double. */
extern void threshold_from_double(double v, Threshold *t);

/* ceil(n * t), computed exactly. */
extern uint64 threshold_ceil(const Threshold *t, uint64 n);

/* The measures of rule A => C from counts (n baskets); see README.md. */
typedef struct RuleMeasures
{
	double		support;
	double		confidence;
	double		lift;
	double		leverage;
	double		conviction;
} RuleMeasures;

extern void rule_measures(uint64 n, uint64 count_ac, uint64 count_a, uint64 count_c,
						  RuleMeasures *m);

#endif							/* ASSOC_MEASURES_H */
