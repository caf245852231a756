/*
 * feature_kernels.h
 *	  Feature kernels over order lines: the per-customer and per-product
 *	  states behind assoc.customer_agg / assoc.product_agg (and the
 *	  set-returning functions built on them), RFM scoring, quantiles, and the
 *	  names of every feature vector.
 *
 * Plain C over arrays: no Datums, no SPI.  Times are int64 microseconds
 * (PostgreSQL Timestamp/TimestampTz values); durations are reported in days
 * (microseconds / 86,400,000,000).  Every state remembers the as-of time it
 * was built for; the caller drops rows at or after it before they get here.
 * A feature that is undefined for an entity is reported as missing
 * (isnull), never as NaN or a made-up number.
 */
#ifndef ASSOC_FEATURE_KERNELS_H
#define ASSOC_FEATURE_KERNELS_H

#include "postgres.h"

#include "lib/stringinfo.h"

#include "budget.h"
#include "flagset.h"
#include "keytab.h"

#define FEATURES_USECS_PER_DAY 86400000000.0

/* Line event types. */
typedef enum LineEvent
{
	EVENT_PURCHASE = 0,
	EVENT_VIEW = 1,
	EVENT_CART = 2
} LineEvent;

/* ---------- feature sets ---------- */

/* Numbers of features (the layout is in features.c, feature_set_names). */
#define CUSTOMER_AGG_NFEAT 15	/* assoc.customer_agg */
#define CUSTOMER_NFEAT 18		/* assoc.customer_features: + RFM scores */
#define PRODUCT_NFEAT 8			/* assoc.product_agg / assoc.product_features */
#define PAIR_NFEAT 7			/* assoc.customer_product_features */
#define PERIOD_NFEAT 8			/* assoc.period_sequences, per period */

/* Positions in the customer vector that RFM scoring reads. */
#define CF_RECENCY 0
#define CF_FREQUENCY 1
#define CF_MONETARY 2

/*
 * The names of feature set `set`, in vector order; NULL if there is no such
 * set.  *n is set to their number.
 */
extern const char *const *feature_set_names(const char *set, int *n);

/* The valid set names, comma separated (for hints). */
extern const char *feature_set_list(void);

/* ---------- per-customer state ---------- */

/* One order (or browse session) of a customer. */
typedef struct CustOrder
{
	int64		ts;				/* earliest purchase line, INT64_MAX if none */
	double		gross;			/* sum of quantity * price of bought lines */
	double		units;			/* sum of bought quantities */
	uint32		lines;			/* bought lines */
	uint32		flags;			/* 1: holds a bought line, 2: holds a view */
} CustOrder;

typedef struct CustState
{
	MemBudget  *budget;
	int64		as_of;
	/* orders (purchase orders and browse sessions) by order key */
	KeyTab		orders;
	CustOrder  *o;				/* per order, by order number */
	int64		last_o;			/* order of the previous line, -1 if none */
	uint32		last_len;		/* its key, if at most 16 bytes */
	char		last_key[16];
	/* items bought (flag 1) or viewed (flag 2), by item key */
	FlagSet		items;
	/* totals over purchase lines */
	double		net;			/* sum of quantity * price, returns included */
	uint64		pos_lines;		/* quantity > 0 */
	uint64		neg_lines;		/* quantity < 0 (returns, cancellations) */
	uint64		views;
	uint64		carts;
} CustState;

extern void cust_init(CustState *s, MemBudget *budget, int64 as_of);

/*
 * Add one line (the caller has checked it: ts < as_of, no NULL in the
 * columns the event needs).  Purchase lines with quantity 0 change nothing.
 */
extern void cust_add(CustState *s, const char *okey, uint32 olen,
					 const char *ikey, uint32 ilen,
					 int64 ts, double quantity, double price, LineEvent ev);

/* dst += src (the same as_of). */
extern void cust_merge(CustState *dst, const CustState *src);

/* The CUSTOMER_AGG_NFEAT features; the state is not changed. */
extern void cust_final(const CustState *s, double *out, bool *isnull);

extern void cust_serialize(const CustState *s, StringInfo buf);
/* Read a state written by cust_serialize; errors on malformed input. */
extern void cust_deserialize(CustState *s, MemBudget *budget, StringInfo buf);

/* ---------- per-product state ---------- */

typedef struct ProdState
{
	MemBudget  *budget;
	int64		as_of;
	KeyTab		orders;			/* orders holding a bought line of the product */
	KeyTab		buyers;			/* customers who bought it */
	uint32	   *b_orders;		/* per buyer: distinct orders */
	KeyTab		pairs;			/* (customer, order): length-prefixed customer key + order key */
	double		units;			/* sum of bought quantities */
	double		gross;			/* sum of quantity * price over bought lines */
	double		net;			/* sum of quantity * price, returns included */
	int64		first_ts;		/* first and last bought line, INT64_MAX/MIN if none */
	int64		last_ts;
} ProdState;

extern void prod_init(ProdState *s, MemBudget *budget, int64 as_of);
extern void prod_add(ProdState *s, const char *ckey, uint32 clen,
					 const char *okey, uint32 olen,
					 int64 ts, double quantity, double price);
extern void prod_merge(ProdState *dst, const ProdState *src);
extern void prod_final(const ProdState *s, double *out, bool *isnull);
extern void prod_serialize(const ProdState *s, StringInfo buf);
extern void prod_deserialize(ProdState *s, MemBudget *budget, StringInfo buf);

/* ---------- population-level helpers ---------- */

/*
 * percentile_cont(p) of sorted v[0..n) with PostgreSQL's interpolation
 * (n >= 1, 0 <= p <= 1).
 */
extern double quantile_sorted(const double *v, Size n, double p);

/* Sort doubles ascending (no NaN). */
extern void sort_doubles(double *v, Size n);

/*
 * RFM scores: for each of the n customer vectors (CUSTOMER_NFEAT wide,
 * CUSTOMER_AGG_NFEAT filled), fill the three score positions.  Cut points
 * are the 20/40/60/80% percentile_cont of recency, frequency and monetary
 * over the customers with at least one order; a score is 1 + the number of
 * cut points the value is above (recency: 5 - the number it is above).
 * Customers without an order get missing scores.
 */
extern void rfm_scores(double *vec, bool *isnull, Size n, MemBudget *budget);

#endif							/* ASSOC_FEATURE_KERNELS_H */
