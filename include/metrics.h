/*
 * metrics.h
 *	  Evaluation kernels: binary classification metrics from scores and
 *	  labels, and ranking metrics of recommendation lists.  Plain C over
 *	  arrays; the SQL aggregates are in metrics_sql.c.
 */
#ifndef ASSOC_METRICS_H
#define ASSOC_METRICS_H

#include "postgres.h"

#include "budget.h"

/* Probabilities are clipped to [eps, 1 - eps] in the log loss (scikit-learn 1.2's default). */
#define METRICS_LOG_LOSS_EPS 1e-15

/* NaN marks an undefined value (shown as JSON null). */
typedef struct ClassMetrics
{
	int64		n;
	int64		tp,
				fp,
				tn,
				fn;
	double		accuracy;
	double		precision;		/* tp / (tp + fp); NaN if nothing is predicted positive */
	double		recall;			/* tp / (tp + fn); NaN if there are no positives */
	double		f1;				/* 2 tp / (2 tp + fp + fn); NaN if that is 0 / 0 */
	double		auc;			/* ROC AUC, ties count one half; NaN with one class only */
	double		log_loss;		/* NaN if a score lies outside [0, 1] */
} ClassMetrics;

/*
 * Metrics of n (score, label) pairs (no NaN scores), a row predicted
 * positive iff score >= threshold.  The inputs are not modified; the sort
 * for the AUC works on a copy charged to budget.
 */
extern void classification_metrics(const double *score, const uint8 *label, int64 n,
								   double threshold, MemBudget *budget, ClassMetrics *out);

/* Sums of per-list ranking metrics; the means are sums / n. */
typedef struct RankSums
{
	int64		n;				/* lists counted */
	double		precision;
	double		recall;
	double		ndcg;
	double		ap;
	double		hits;			/* lists with at least one hit */
} RankSums;

/*
 * Add one list: hit[i] (i < nshown <= k) says whether the item at position
 * i + 1 is relevant (a repeated item is never a hit again); nrel >= 1 is the
 * number of distinct relevant items.  Binary relevance:
 *	precision@k = hits / k, recall@k = hits / nrel,
 *	NDCG@k = sum over hits of 1 / log2(pos + 1), divided by the same sum over
 *		positions 1 .. min(k, nrel),
 *	AP@k = sum over hits of precision@pos, divided by min(k, nrel),
 *	hit rate = 1 if there is a hit.
 */
extern void ranking_add(RankSums *s, int k, const bool *hit, int nshown, int64 nrel);

#endif							/* ASSOC_METRICS_H */
