/*
 * measures.c
 *	  Exact thresholds and rule interest measures (see measures.h).
 *
 * The measures are those of arules' interestMeasure and mlxtend's
 * association_rules: support = s(A u C), confidence = s(A u C) / s(A),
 * lift = confidence / s(C), leverage = s(A u C) - s(A) s(C),
 * conviction = (1 - s(C)) / (1 - confidence), infinite at confidence 1.
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "utils/float.h"

#include "measures.h"

void
threshold_from_double(double v, Threshold *t)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];
	const char *p;
	uint64		mant = 0;
	int			frac = 0;
	int			exp10 = 0;
	bool		in_frac = false;

	Assert(isfinite(v) && v >= 0);
	double_to_shortest_decimal_buf(v, buf);

	for (p = buf; *p; p++)
	{
		if (*p >= '0' && *p <= '9')
		{
			mant = mant * 10 + (uint64) (*p - '0');
			if (in_frac)
				frac++;
		}
		else if (*p == '.')
			in_frac = true;
		else if (*p == 'e' || *p == 'E')
		{
			exp10 = atoi(p + 1);
			break;
		}
	}
	/* value = mant * 10^(exp10 - frac) */
	t->scale = frac - exp10;
	while (t->scale < 0)
	{
		/* only values >= 10 get here; they are capped by the callers' checks */
		mant *= 10;
		t->scale++;
	}
	t->mant = mant;
}

uint64
threshold_ceil(const Threshold *t, uint64 n)
{
	unsigned __int128 num = (unsigned __int128) t->mant * n;
	unsigned __int128 den = 1;
	int			i;

	if (num == 0)
		return 0;
	if (t->scale > 38)
		return 1;				/* num < 10^37 <= den: a positive fraction below 1 */
	for (i = 0; i < t->scale; i++)
		den *= 10;
	return (uint64) ((num + den - 1) / den);
}

void
rule_measures(uint64 n, uint64 count_ac, uint64 count_a, uint64 count_c, RuleMeasures *m)
{
	double		dn = (double) n;

	m->support = (double) count_ac / dn;
	m->confidence = (double) count_ac / (double) count_a;
	m->lift = ((double) count_ac * dn) / ((double) count_a * (double) count_c);
	m->leverage = ((double) count_ac * dn - (double) count_a * (double) count_c) / (dn * dn);
	if (count_ac == count_a)
		m->conviction = get_float8_infinity();
	else
		m->conviction = ((double) (n - count_c) / dn) *
			((double) count_a / (double) (count_a - count_ac));
}
