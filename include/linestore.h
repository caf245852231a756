/*
 * linestore.h
 *	  Order lines held in memory for the set-returning feature functions, and
 *	  the kernels that need the whole population at once: grouping lines by
 *	  customer or product, de-duplication, customer x product features with
 *	  the association-rule feature, per-period sequences, and the time-based
 *	  split.
 *
 * Customers, orders and items are dictionary-encoded (dict.h), so a line is
 * a handful of numbers.  Plain C: the glue in features_source.c reads the
 * source query into a LineStore and turns the kernels' callbacks into rows.
 */
#ifndef ASSOC_LINESTORE_H
#define ASSOC_LINESTORE_H

#include "postgres.h"

#include "budget.h"
#include "dict.h"
#include "feature_kernels.h"

typedef struct LineStore
{
	MemBudget  *budget;
	Dict		customers;
	Dict		orders;
	Dict		items;
	Size		n;				/* lines */
	Size		cap;
	uint32	   *cust;
	uint32	   *order;
	uint32	   *item;
	int64	   *ts;
	double	   *qty;			/* NaN where NULL (browse events only) */
	double	   *price;
	uint8	   *event;			/* LineEvent */
	int64		as_of;			/* features read lines with ts < as_of */
	int64		until;			/* lines with as_of <= ts < until are kept for labels */
} LineStore;

extern void lines_init(LineStore *ls, DictKind cust_kind, DictKind order_kind,
					   DictKind item_kind, int64 as_of, int64 until, MemBudget *budget);

/* Append a line (ids from the store's dictionaries). */
extern void lines_add(LineStore *ls, uint32 cust, uint32 order, uint32 item, int64 ts,
					  double qty, double price, LineEvent ev);

/* Drop exact repeats of a line (every column equal), keeping the first. */
extern void lines_dedup(LineStore *ls);

/*
 * Group the lines by customer (by_item false) or by item: *perm receives the
 * line numbers group after group, *start the first position of each group
 * (ngroups + 1 entries).  Groups are numbered by dictionary id.
 */
extern void lines_group(const LineStore *ls, bool by_item, uint32 **perm, Size **start);

/* ---------- customer x product ---------- */

typedef struct PairParams
{
	int			recent_orders;	/* baskets whose items can fire a rule */
	double		min_support;
	double		min_confidence;
	int			max_len;		/* 0: no bound */
} PairParams;

/* Emit one (customer, item) row of features (PAIR_NFEAT). */
typedef void (*PairEmitFn) (void *arg, uint32 cust, uint32 item,
							const double *vec, const bool *isnull);

/*
 * Customer x product features as of ls->as_of, for every pair the customer
 * bought or a rule points to; customers and items in the order of cust_rank
 * and item_rank.  *nrules is set to the number of rules {A} => {p} mined.
 */
extern void pair_features(const LineStore *ls, const PairParams *params,
						  const uint32 *cust_rank, const uint32 *item_rank,
						  PairEmitFn emit, void *arg, uint64 *nrules);

/* ---------- per-period sequences ---------- */

/* Emit a (customer, item) sequence: periods x PERIOD_NFEAT values, row-major. */
typedef void (*SeqEmitFn) (void *arg, uint32 cust, uint32 item,
						   const double *seq, bool label);

/*
 * The last `periods` periods of `period` microseconds before ls->as_of, for
 * every (customer, item) with activity in them; label: the customer bought
 * the item in [as_of, as_of + period).
 */
extern void period_sequences(const LineStore *ls, int periods, int64 period,
							 const uint32 *cust_rank, const uint32 *item_rank,
							 SeqEmitFn emit, void *arg);

/* ---------- time-based split ---------- */

/* Emit an order of a customer with its side of the split. */
typedef void (*SplitEmitFn) (void *arg, uint32 cust, uint32 order, bool test);

/*
 * Every (customer, order) in the store: with has_cutoff, orders whose first
 * line is at or after cutoff are test; otherwise the last order of each
 * customer with two or more orders is test (latest first line, then the
 * greatest order in value order).  Output by customer, then time.
 */
extern void time_split(const LineStore *ls, bool has_cutoff, int64 cutoff,
					   const uint32 *cust_rank, const uint32 *order_rank,
					   SplitEmitFn emit, void *arg);

#endif							/* ASSOC_LINESTORE_H */
