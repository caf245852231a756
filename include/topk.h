/*
 * topk.h
 *	  Bounded heaps: the k best of a stream of scored candidates.
 *
 * A candidate is (score, tie, id).  "Better" means a higher score, then a
 * higher tie value, then a lower id; the order is total, so the result does
 * not depend on the order candidates arrive in.  NaN scores are never kept.
 * Memory is k entries, allocated once; every push is O(log k).
 */
#ifndef ASSOC_TOPK_H
#define ASSOC_TOPK_H

#include "postgres.h"

typedef struct TopKEntry
{
	double		score;
	double		tie;
	uint32		id;
} TopKEntry;

typedef struct TopK
{
	int			k;				/* capacity */
	int			n;				/* entries held */
	TopKEntry  *heap;			/* min-heap: heap[0] is the worst kept */
} TopK;

/* True if a is better than b. */
static inline bool
topk_better(const TopKEntry *a, const TopKEntry *b)
{
	if (a->score != b->score)
		return a->score > b->score;
	if (a->tie != b->tie)
		return a->tie > b->tie;
	return a->id < b->id;
}

/* A heap for the k best (k >= 1), in CurrentMemoryContext. */
extern void topk_init(TopK *t, int k);

/* Offer a candidate; NaN scores are ignored. */
extern void topk_push(TopK *t, double score, double tie, uint32 id);

/*
 * Sort the kept entries best first, in place; returns their number.  The
 * heap must not be pushed to afterwards.
 */
extern int	topk_finish(TopK *t);

/*
 * The k best of scores[0 .. n) (id = index, tie 0; NaN entries skipped),
 * into t, which this initialises with capacity min(k, n) (at least 1).
 */
extern int	topk_dense(TopK *t, const double *scores, uint32 n, int k);

#endif							/* ASSOC_TOPK_H */
