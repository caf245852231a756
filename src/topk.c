/*
 * topk.c
 *	  Bounded heaps for top-k selection (see topk.h).
 *
 * A min-heap of at most k entries under the "better" order: the root is the
 * worst entry kept, so a candidate is kept iff it beats the root.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "topk.h"

void
topk_init(TopK *t, int k)
{
	Assert(k >= 1);
	t->k = k;
	t->n = 0;
	t->heap = palloc_extended(sizeof(TopKEntry) * (Size) k, MCXT_ALLOC_HUGE);
}

/* Restore the heap order below position i (the worst on top). */
static void
sift_down(TopKEntry *h, int n, int i)
{
	TopKEntry	v = h[i];

	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= n)
			break;
		/* pick the worse child */
		if (c + 1 < n && topk_better(&h[c], &h[c + 1]))
			c++;
		if (!topk_better(&v, &h[c]))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = v;
}

void
topk_push(TopK *t, double score, double tie, uint32 id)
{
	TopKEntry	e;

	if (isnan(score))
		return;
	e.score = score;
	e.tie = tie;
	e.id = id;
	if (t->n < t->k)
	{
		/* sift up: move better parents down */
		int			i = t->n++;

		while (i > 0)
		{
			int			p = (i - 1) / 2;

			if (!topk_better(&t->heap[p], &e))
				break;
			t->heap[i] = t->heap[p];
			i = p;
		}
		t->heap[i] = e;
	}
	else if (topk_better(&e, &t->heap[0]))
	{
		t->heap[0] = e;
		sift_down(t->heap, t->n, 0);
	}
}

int
topk_finish(TopK *t)
{
	int			n = t->n;
	int			m;

	/* heap sort: repeatedly move the worst to the end */
	for (m = n; m > 1; m--)
	{
		TopKEntry	worst = t->heap[0];

		t->heap[0] = t->heap[m - 1];
		sift_down(t->heap, m - 1, 0);
		t->heap[m - 1] = worst;
	}
	return n;
}

int
topk_dense(TopK *t, const double *scores, uint32 n, int k)
{
	uint32		i;

	topk_init(t, (int) Max(Min((uint32) k, n), 1));
	for (i = 0; i < n; i++)
	{
		double		s = scores[i];

		/*
		 * Fast reject once full: ids arrive in ascending order, so a later
		 * candidate beats the root only with a strictly higher score.
		 */
		if (t->n == t->k && !(s > t->heap[0].score))
			continue;
		topk_push(t, s, 0, i);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	return topk_finish(t);
}
