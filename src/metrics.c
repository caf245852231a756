/*
 * metrics.c
 *	  Evaluation kernels (see metrics.h): classification metrics with an
 *	  exact ROC AUC, and ranking metrics of recommendation lists.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "utils/float.h"

#include "metrics.h"

typedef struct ScoredLabel
{
	double		score;
	bool		positive;
} ScoredLabel;

static int
cmp_score(const void *a, const void *b)
{
	double		x = ((const ScoredLabel *) a)->score;
	double		y = ((const ScoredLabel *) b)->score;

	return (x > y) - (x < y);
}

/*
 * ROC AUC as the Mann-Whitney statistic: the share of (positive, negative)
 * pairs in which the positive scores higher, a tie counting one half.  The
 * pair counts are exact integers (twice the numerator, so halves stay whole).
 */
static double
roc_auc(const double *score, const uint8 *label, int64 n, int64 npos, MemBudget *budget)
{
	Size		bytes = budget_mul((Size) n, sizeof(ScoredLabel));
	ScoredLabel *v = budget_alloc(budget, bytes);
	uint64		twice = 0;
	int64		neg_below = 0;
	int64		i,
				j;

	for (i = 0; i < n; i++)
	{
		v[i].score = score[i];
		v[i].positive = label[i] != 0;
	}
	qsort(v, n, sizeof(ScoredLabel), cmp_score);
	for (i = 0; i < n; i = j)
	{
		int64		pos = 0,
					neg = 0;

		for (j = i; j < n && v[j].score == v[i].score; j++)
		{
			if (v[j].positive)
				pos++;
			else
				neg++;
		}
		twice += 2 * (uint64) pos * (uint64) neg_below + (uint64) pos * (uint64) neg;
		neg_below += neg;
		CHECK_FOR_INTERRUPTS();
	}
	budget_free(budget, v, bytes);
	return (double) twice / (2.0 * (double) npos * (double) (n - npos));
}

void
classification_metrics(const double *score, const uint8 *label, int64 n, double threshold,
					   MemBudget *budget, ClassMetrics *out)
{
	double		loss = 0;
	bool		probabilities = true;
	int64		i;

	memset(out, 0, sizeof(*out));
	out->n = n;
	for (i = 0; i < n; i++)
	{
		bool		pred = score[i] >= threshold;
		bool		pos = label[i] != 0;

		if (pred && pos)
			out->tp++;
		else if (pred)
			out->fp++;
		else if (pos)
			out->fn++;
		else
			out->tn++;
		if (score[i] < 0 || score[i] > 1)
			probabilities = false;
		else
		{
			double		p = Min(Max(score[i], METRICS_LOG_LOSS_EPS), 1 - METRICS_LOG_LOSS_EPS);

			loss -= pos ? log(p) : log(1 - p);
		}
	}
	out->accuracy = n > 0 ? (double) (out->tp + out->tn) / (double) n : get_float8_nan();
	out->precision = out->tp + out->fp > 0 ?
		(double) out->tp / (double) (out->tp + out->fp) : get_float8_nan();
	out->recall = out->tp + out->fn > 0 ?
		(double) out->tp / (double) (out->tp + out->fn) : get_float8_nan();
	out->f1 = 2 * out->tp + out->fp + out->fn > 0 ?
		2.0 * (double) out->tp / (double) (2 * out->tp + out->fp + out->fn) : get_float8_nan();
	out->log_loss = probabilities && n > 0 ? loss / (double) n : get_float8_nan();
	if (out->tp + out->fn > 0 && out->tn + out->fp > 0)
		out->auc = roc_auc(score, label, n, out->tp + out->fn, budget);
	else
		out->auc = get_float8_nan();
}

void
ranking_add(RankSums *s, int k, const bool *hit, int nshown, int64 nrel)
{
	double		dcg = 0,
				idcg = 0,
				ap = 0;
	int			hits = 0;
	int			ideal = (int) Min((int64) k, nrel);
	int			i;

	Assert(nshown <= k && nrel >= 1);
	for (i = 0; i < nshown; i++)
		if (hit[i])
		{
			hits++;
			dcg += 1.0 / log2(i + 2.0);
			ap += (double) hits / (double) (i + 1);
		}
	for (i = 0; i < ideal; i++)
		idcg += 1.0 / log2(i + 2.0);
	s->n++;
	s->precision += (double) hits / (double) k;
	s->recall += (double) hits / (double) nrel;
	s->ndcg += dcg / idcg;
	s->ap += ap / (double) ideal;
	s->hits += hits > 0 ? 1 : 0;
}
