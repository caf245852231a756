/*
 * features.c
 *	  Feature kernels over order lines (see feature_kernels.h): the per-customer and
 *	  per-product states (add a line, merge two states, compute the vector,
 *	  serialise), quantiles, RFM scores, and the names of every feature set.
 *
 * Serialised states (version 1, through pq_send*: integers big-endian,
 * doubles as their IEEE 754 bits):
 *	customer: u8 version, i64 as_of, f64 net, u64 pos_lines, neg_lines,
 *		views, carts, u32 n orders, each: u32 len, key bytes, i64 ts,
 *		f64 gross, f64 units, u32 lines, u8 flags; u32 n item entries
 *		(an item may come twice, flags to be OR-ed), each: u32 len, key
 *		bytes, u8 flags
 *	product: u8 version, i64 as_of, f64 units, gross, net, i64 first_ts,
 *		last_ts, u32 n orders, each: u32 len, key bytes; u32 n pairs, each:
 *		u32 len, key bytes (the buyers are rebuilt from the pairs)
 * Readers check every count against the bytes left before allocating, refuse
 * repeated keys and unknown flags, and require the end of the message.
 */
#include "postgres.h"

#include <math.h>

#include "libpq/pqformat.h"
#include "miscadmin.h"

#include "feature_kernels.h"

#define STATE_FORMAT_VERSION 1

/* ---------- feature names ---------- */

static const char *const customer_names[CUSTOMER_NFEAT] = {
	"recency_days",
	"frequency",
	"monetary",
	"avg_order_value",
	"avg_basket_lines",
	"avg_basket_units",
	"distinct_items",
	"tenure_days",
	"mean_days_between_orders",
	"sd_days_between_orders",
	"return_rate",
	"browse_sessions",
	"views",
	"cart_adds",
	"view_to_purchase",
	"recency_score",
	"frequency_score",
	"monetary_score"
};

static const char *const product_names[PRODUCT_NFEAT] = {
	"baskets",
	"buyers",
	"units",
	"revenue",
	"avg_price",
	"repeat_rate",
	"days_since_last_sale",
	"days_since_first_sale"
};

static const char *const pair_names[PAIR_NFEAT] = {
	"times_bought",
	"days_since_last_bought",
	"order_share",
	"product_popularity",
	"rule_confidence",
	"rule_lift",
	"rules_matched"
};

static const char *const period_names[PERIOD_NFEAT] = {
	"units",
	"orders",
	"spend",
	"customer_orders",
	"customer_spend",
	"product_orders",
	"views",
	"cart_adds"
};

typedef struct FeatureSet
{
	const char *name;
	const char *const *names;
	int			n;
} FeatureSet;

static const FeatureSet feature_sets[] = {
	{"customer", customer_names, CUSTOMER_NFEAT},
	{"customer_agg", customer_names, CUSTOMER_AGG_NFEAT},
	{"product", product_names, PRODUCT_NFEAT},
	{"customer_product", pair_names, PAIR_NFEAT},
	{"period", period_names, PERIOD_NFEAT}
};

const char *const *
feature_set_names(const char *set, int *n)
{
	int			i;

	for (i = 0; i < lengthof(feature_sets); i++)
		if (strcmp(feature_sets[i].name, set) == 0)
		{
			*n = feature_sets[i].n;
			return feature_sets[i].names;
		}
	*n = 0;
	return NULL;
}

const char *
feature_set_list(void)
{
	return "customer, customer_agg, product, customer_product, period";
}

/* ---------- small helpers ---------- */

static void
state_corrupted(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("assoc feature state is corrupted"),
			 errdetail("%s", detail)));
}

/* Error unless n entries of at least minsize bytes each can follow. */
static void
need_entries(StringInfo buf, uint32 n, Size minsize)
{
	if ((Size) n > (Size) (buf->len - buf->cursor) / minsize)
		state_corrupted("A count does not fit the size of the state.");
}

static inline void
send_key(StringInfo buf, const KeyTab *t, uint32 i)
{
	uint32		len;
	const char *p = keytab_key(t, i, &len);

	pq_sendint32(buf, len);
	pq_sendbytes(buf, p, len);
}

static inline const char *
get_key(StringInfo buf, uint32 *len)
{
	*len = (uint32) pq_getmsgint(buf, 4);
	if (*len > (uint32) (buf->len - buf->cursor))
		state_corrupted("A key is longer than the state.");
	return pq_getmsgbytes(buf, (int) *len);
}

/* Days from time a to time b (b - a), without integer overflow. */
static inline double
days_between(int64 a, int64 b)
{
	return ((double) b - (double) a) / FEATURES_USECS_PER_DAY;
}

/* ---------- customer state ---------- */

void
cust_init(CustState *s, MemBudget *budget, int64 as_of)
{
	memset(s, 0, sizeof(CustState));
	s->budget = budget;
	s->as_of = as_of;
	s->last_o = -1;
	keytab_init(&s->orders);
	flagset_init(&s->items);
}

/* Resize the per-order arrays after the order table grew from oldcap. */
static void
cust_orders_grown(CustState *s, uint32 oldcap)
{
	uint32		cap = s->orders.cap;
	uint32		i;

	s->o = keytab_grow_array(s->budget, s->o, oldcap, cap, sizeof(CustOrder));
	for (i = oldcap; i < cap; i++)
		s->o[i].ts = PG_INT64_MAX;
}

/* The number of an order; lines of one order usually come together. */
static inline uint32
cust_order(CustState *s, const char *key, uint32 len)
{
	uint32		oldcap = s->orders.cap;
	bool		isnew;
	uint32		o;

	if (s->last_o >= 0 && len == s->last_len && len <= sizeof(s->last_key) &&
		memcmp(s->last_key, key, len) == 0)
		return (uint32) s->last_o;
	o = keytab_add(&s->orders, s->budget, key, len, &isnew);
	if (s->orders.cap != oldcap)
		cust_orders_grown(s, oldcap);
	s->last_o = o;
	s->last_len = len;
	if (len <= sizeof(s->last_key))
		memcpy(s->last_key, key, len);
	return o;
}

void
cust_add(CustState *s, const char *okey, uint32 olen, const char *ikey, uint32 ilen,
		 int64 ts, double quantity, double price, LineEvent ev)
{
	uint32		o;

	switch (ev)
	{
		case EVENT_PURCHASE:
			if (quantity < 0)
			{
				s->net += quantity * price;
				s->neg_lines++;
			}
			else if (quantity > 0)
			{
				double		value = quantity * price;

				s->net += value;
				s->pos_lines++;
				o = cust_order(s, okey, olen);
				if (ts < s->o[o].ts)
					s->o[o].ts = ts;
				s->o[o].gross += value;
				s->o[o].units += quantity;
				s->o[o].lines++;
				s->o[o].flags |= 1;
				flagset_add(&s->items, s->budget, ikey, ilen, 1);
			}
			break;
		case EVENT_VIEW:
			s->views++;
			o = cust_order(s, okey, olen);
			s->o[o].flags |= 2;
			flagset_add(&s->items, s->budget, ikey, ilen, 2);
			break;
		case EVENT_CART:
			s->carts++;
			break;
	}
}

void
cust_merge(CustState *dst, const CustState *src)
{
	uint32		i;

	Assert(dst->as_of == src->as_of);
	for (i = 0; i < src->orders.n; i++)
	{
		uint32		len;
		const char *key = keytab_key(&src->orders, i, &len);
		uint32		o = cust_order(dst, key, len);

		if (src->o[i].ts < dst->o[o].ts)
			dst->o[o].ts = src->o[i].ts;
		dst->o[o].gross += src->o[i].gross;
		dst->o[o].units += src->o[i].units;
		dst->o[o].lines += src->o[i].lines;
		dst->o[o].flags |= src->o[i].flags;
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	flagset_merge(&dst->items, dst->budget, &src->items);
	dst->net += src->net;
	dst->pos_lines += src->pos_lines;
	dst->neg_lines += src->neg_lines;
	dst->views += src->views;
	dst->carts += src->carts;
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

void
cust_final(const CustState *s, double *out, bool *isnull)
{
	int64	   *ts = palloc_extended(sizeof(int64) * Max(s->orders.n, 1), MCXT_ALLOC_HUGE);
	uint32		n = 0;
	uint32		sessions = 0;
	uint64		flags[256] = {0};
	uint64		bought,
				viewed,
				viewed_bought;
	double		gross = 0;
	double		units = 0;
	double		lines = 0;
	uint32		i;

	for (i = 0; i < CUSTOMER_AGG_NFEAT; i++)
		isnull[i] = false;

	/* purchase orders in time order */
	for (i = 0; i < s->orders.n; i++)
	{
		if (s->o[i].flags & 1)
		{
			ts[n++] = s->o[i].ts;
			gross += s->o[i].gross;
			units += s->o[i].units;
			lines += s->o[i].lines;
		}
		if (s->o[i].flags & 2)
			sessions++;
	}
	qsort(ts, n, sizeof(int64), cmp_int64);
	flagset_count_flags(&s->items, flags);
	bought = flags[1] + flags[3];
	viewed = flags[2] + flags[3];
	viewed_bought = flags[3];

	out[1] = n;
	out[2] = s->net;
	out[6] = (double) bought;
	if (n == 0)
	{
		isnull[0] = isnull[3] = isnull[4] = isnull[5] = isnull[7] = true;
		out[0] = out[3] = out[4] = out[5] = out[7] = 0;
	}
	else
	{
		out[0] = days_between(ts[n - 1], s->as_of);
		out[3] = gross / n;
		out[4] = lines / n;
		out[5] = units / n;
		out[7] = days_between(ts[0], s->as_of);
	}
	if (n < 2)
	{
		isnull[8] = isnull[9] = true;
		out[8] = out[9] = 0;
	}
	else
	{
		/* gaps in microseconds (exact in a double for real dates); two passes */
		double		mean = ((double) ts[n - 1] - (double) ts[0]) / (n - 1);
		double		ss = 0;

		for (i = 1; i < n; i++)
		{
			double		d = ((double) ts[i] - (double) ts[i - 1]) - mean;

			ss += d * d;
		}
		out[8] = mean / FEATURES_USECS_PER_DAY;
		out[9] = sqrt(ss / (n - 1)) / FEATURES_USECS_PER_DAY;
	}
	if (s->pos_lines + s->neg_lines == 0)
	{
		isnull[10] = true;
		out[10] = 0;
	}
	else
		out[10] = (double) s->neg_lines / (double) (s->pos_lines + s->neg_lines);
	out[11] = sessions;
	out[12] = (double) s->views;
	out[13] = (double) s->carts;
	if (viewed == 0)
	{
		isnull[14] = true;
		out[14] = 0;
	}
	else
		out[14] = (double) viewed_bought / (double) viewed;
	pfree(ts);
}

void
cust_serialize(const CustState *s, StringInfo buf)
{
	uint32		i;

	pq_sendbyte(buf, STATE_FORMAT_VERSION);
	pq_sendint64(buf, s->as_of);
	pq_sendfloat8(buf, s->net);
	pq_sendint64(buf, (int64) s->pos_lines);
	pq_sendint64(buf, (int64) s->neg_lines);
	pq_sendint64(buf, (int64) s->views);
	pq_sendint64(buf, (int64) s->carts);
	pq_sendint32(buf, s->orders.n);
	for (i = 0; i < s->orders.n; i++)
	{
		send_key(buf, &s->orders, i);
		pq_sendint64(buf, s->o[i].ts);
		pq_sendfloat8(buf, s->o[i].gross);
		pq_sendfloat8(buf, s->o[i].units);
		pq_sendint32(buf, s->o[i].lines);
		pq_sendbyte(buf, s->o[i].flags);
	}
	/* every item once, the pending one merged into its flags */
	pq_sendint32(buf, s->items.n + (s->items.has_pending ? 1 : 0));
	i = 0;
	{
		char		kbuf[8];
		const char *p;
		uint32		len;
		uint8		flags;

		while (flagset_next(&s->items, &i, kbuf, &p, &len, &flags))
		{
			pq_sendint32(buf, len);
			pq_sendbytes(buf, p, len);
			pq_sendbyte(buf, flags);
		}
	}
}

static void
check_version(StringInfo buf)
{
	int			v = pq_getmsgbyte(buf);

	if (v != STATE_FORMAT_VERSION)
		state_corrupted(psprintf("Unknown state format version %d.", v));
}

void
cust_deserialize(CustState *s, MemBudget *budget, StringInfo buf)
{
	uint32		n,
				i;

	check_version(buf);
	cust_init(s, budget, pq_getmsgint64(buf));
	s->net = pq_getmsgfloat8(buf);
	s->pos_lines = (uint64) pq_getmsgint64(buf);
	s->neg_lines = (uint64) pq_getmsgint64(buf);
	s->views = (uint64) pq_getmsgint64(buf);
	s->carts = (uint64) pq_getmsgint64(buf);

	n = (uint32) pq_getmsgint(buf, 4);
	need_entries(buf, n, 4 + 8 + 8 + 8 + 4 + 1);
	for (i = 0; i < n; i++)
	{
		uint32		len;
		const char *key = get_key(buf, &len);
		uint32		o = cust_order(s, key, len);

		if (o != i)
			state_corrupted("An order is listed twice.");
		s->o[o].ts = pq_getmsgint64(buf);
		s->o[o].gross = pq_getmsgfloat8(buf);
		s->o[o].units = pq_getmsgfloat8(buf);
		s->o[o].lines = (uint32) pq_getmsgint(buf, 4);
		s->o[o].flags = (uint8) pq_getmsgbyte(buf);
		if (s->o[o].flags == 0 || s->o[o].flags > 3)
			state_corrupted("An order has unknown flags.");
	}
	n = (uint32) pq_getmsgint(buf, 4);
	need_entries(buf, n, 4 + 1);
	flagset_reserve(&s->items, s->budget, n);
	for (i = 0; i < n; i++)
	{
		uint32		len;
		const char *key = get_key(buf, &len);
		int			flags = pq_getmsgbyte(buf);

		if (flags == 0 || flags > 3)
			state_corrupted("An item has unknown flags.");
		flagset_add_now(&s->items, s->budget, key, len, (uint8) flags);
	}
	pq_getmsgend(buf);
}

/* ---------- product state ---------- */

void
prod_init(ProdState *s, MemBudget *budget, int64 as_of)
{
	memset(s, 0, sizeof(ProdState));
	s->budget = budget;
	s->as_of = as_of;
	keytab_init(&s->orders);
	keytab_init(&s->buyers);
	keytab_init(&s->pairs);
	s->first_ts = PG_INT64_MAX;
	s->last_ts = PG_INT64_MIN;
}

/* Record a new (customer, order) pair of the product: one more order for the customer. */
static void
prod_count_pair(ProdState *s, const char *ckey, uint32 clen)
{
	uint32		oldcap = s->buyers.cap;
	bool		isnew;
	uint32		c = keytab_add(&s->buyers, s->budget, ckey, clen, &isnew);

	if (s->buyers.cap != oldcap)
		s->b_orders = keytab_grow_array(s->budget, s->b_orders, oldcap, s->buyers.cap,
										sizeof(uint32));
	s->b_orders[c]++;
}

/* Add a pair key (u32 big-endian customer key length, customer key, order key). */
static void
prod_add_pair(ProdState *s, const char *pkey, uint32 plen, bool must_be_new)
{
	bool		isnew;
	uint32		clen;

	(void) keytab_add(&s->pairs, s->budget, pkey, plen, &isnew);
	if (!isnew)
	{
		if (must_be_new)
			state_corrupted("A (customer, order) pair is listed twice.");
		return;
	}
	if (plen < 4)
		state_corrupted("A (customer, order) pair is too short.");
	memcpy(&clen, pkey, 4);
	clen = pg_ntoh32(clen);
	if (clen > plen - 4)
		state_corrupted("A (customer, order) pair is too short.");
	prod_count_pair(s, pkey + 4, clen);
}

void
prod_add(ProdState *s, const char *ckey, uint32 clen, const char *okey, uint32 olen,
		 int64 ts, double quantity, double price)
{
	bool		isnew;

	s->net += quantity * price;
	if (quantity > 0)
	{
		char		small[256];
		char	   *pkey = small;
		Size		plen = (Size) 4 + clen + olen;
		uint32		nclen = pg_hton32(clen);

		s->units += quantity;
		s->gross += quantity * price;
		if (ts < s->first_ts)
			s->first_ts = ts;
		if (ts > s->last_ts)
			s->last_ts = ts;
		(void) keytab_add(&s->orders, s->budget, okey, olen, &isnew);

		if (plen > PG_UINT32_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("customer and order keys are too long")));
		if (plen > sizeof(small))
			pkey = palloc(plen);
		memcpy(pkey, &nclen, 4);
		memcpy(pkey + 4, ckey, clen);
		memcpy(pkey + 4 + clen, okey, olen);
		prod_add_pair(s, pkey, (uint32) plen, false);
		if (pkey != small)
			pfree(pkey);
	}
}

void
prod_merge(ProdState *dst, const ProdState *src)
{
	uint32		i;
	bool		isnew;

	Assert(dst->as_of == src->as_of);
	for (i = 0; i < src->orders.n; i++)
	{
		uint32		len;
		const char *key = keytab_key(&src->orders, i, &len);

		(void) keytab_add(&dst->orders, dst->budget, key, len, &isnew);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	for (i = 0; i < src->pairs.n; i++)
	{
		uint32		len;
		const char *key = keytab_key(&src->pairs, i, &len);

		prod_add_pair(dst, key, len, false);
		if ((i & 0xFFFF) == 0xFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	dst->units += src->units;
	dst->gross += src->gross;
	dst->net += src->net;
	dst->first_ts = Min(dst->first_ts, src->first_ts);
	dst->last_ts = Max(dst->last_ts, src->last_ts);
}

void
prod_final(const ProdState *s, double *out, bool *isnull)
{
	uint32		repeat = 0;
	uint32		i;

	for (i = 0; i < PRODUCT_NFEAT; i++)
		isnull[i] = false;
	for (i = 0; i < s->buyers.n; i++)
		if (s->b_orders[i] >= 2)
			repeat++;
	out[0] = s->orders.n;
	out[1] = s->buyers.n;
	out[2] = s->units;
	out[3] = s->net;
	if (s->units > 0)
		out[4] = s->gross / s->units;
	else
	{
		out[4] = 0;
		isnull[4] = true;
	}
	if (s->buyers.n > 0)
		out[5] = (double) repeat / s->buyers.n;
	else
	{
		out[5] = 0;
		isnull[5] = true;
	}
	if (s->orders.n > 0)
	{
		out[6] = days_between(s->last_ts, s->as_of);
		out[7] = days_between(s->first_ts, s->as_of);
	}
	else
	{
		out[6] = out[7] = 0;
		isnull[6] = isnull[7] = true;
	}
}

void
prod_serialize(const ProdState *s, StringInfo buf)
{
	uint32		i;

	pq_sendbyte(buf, STATE_FORMAT_VERSION);
	pq_sendint64(buf, s->as_of);
	pq_sendfloat8(buf, s->units);
	pq_sendfloat8(buf, s->gross);
	pq_sendfloat8(buf, s->net);
	pq_sendint64(buf, s->first_ts);
	pq_sendint64(buf, s->last_ts);
	pq_sendint32(buf, s->orders.n);
	for (i = 0; i < s->orders.n; i++)
		send_key(buf, &s->orders, i);
	pq_sendint32(buf, s->pairs.n);
	for (i = 0; i < s->pairs.n; i++)
		send_key(buf, &s->pairs, i);
}

void
prod_deserialize(ProdState *s, MemBudget *budget, StringInfo buf)
{
	uint32		n,
				i;
	bool		isnew;

	check_version(buf);
	prod_init(s, budget, pq_getmsgint64(buf));
	s->units = pq_getmsgfloat8(buf);
	s->gross = pq_getmsgfloat8(buf);
	s->net = pq_getmsgfloat8(buf);
	s->first_ts = pq_getmsgint64(buf);
	s->last_ts = pq_getmsgint64(buf);
	n = (uint32) pq_getmsgint(buf, 4);
	need_entries(buf, n, 4);
	for (i = 0; i < n; i++)
	{
		uint32		len;
		const char *key = get_key(buf, &len);

		(void) keytab_add(&s->orders, s->budget, key, len, &isnew);
		if (!isnew)
			state_corrupted("An order is listed twice.");
	}
	n = (uint32) pq_getmsgint(buf, 4);
	need_entries(buf, n, 4);
	for (i = 0; i < n; i++)
	{
		uint32		len;
		const char *key = get_key(buf, &len);

		prod_add_pair(s, key, len, true);
	}
	if ((s->orders.n == 0) != (s->pairs.n == 0))
		state_corrupted("Orders and (customer, order) pairs disagree.");
	pq_getmsgend(buf);
}

/* ---------- population-level helpers ---------- */

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

void
sort_doubles(double *v, Size n)
{
	qsort(v, n, sizeof(double), cmp_double);
}

double
quantile_sorted(const double *v, Size n, double p)
{
	/* the same arithmetic as PostgreSQL's percentile_cont(float8) */
	double		pos = p * (double) (n - 1);
	Size		first = (Size) floor(pos);
	Size		second = (Size) ceil(pos);

	Assert(n >= 1 && p >= 0 && p <= 1);
	if (second > first)
	{
		double		proportion = pos - (double) first;

		return v[first] + (proportion * (v[second] - v[first]));
	}
	return v[first];
}

void
rfm_scores(double *vec, bool *isnull, Size n, MemBudget *budget)
{
	static const int cols[3] = {CF_RECENCY, CF_FREQUENCY, CF_MONETARY};
	double	   *v = budget_alloc(budget, budget_mul(Max(n, 1), sizeof(double)));
	int			k;

	for (k = 0; k < 3; k++)
	{
		int			col = cols[k];
		int			score = CUSTOMER_AGG_NFEAT + k;
		Size		m = 0;
		Size		i;
		double		cut[4];
		int			q;

		/* customers with an order: frequency >= 1 */
		for (i = 0; i < n; i++)
			if (vec[i * CUSTOMER_NFEAT + CF_FREQUENCY] >= 1)
				v[m++] = vec[i * CUSTOMER_NFEAT + col];
		sort_doubles(v, m);
		for (q = 0; q < 4 && m > 0; q++)
			cut[q] = quantile_sorted(v, m, (q + 1) / 5.0);

		for (i = 0; i < n; i++)
		{
			double	   *row = vec + i * CUSTOMER_NFEAT;
			int			above = 0;

			if (row[CF_FREQUENCY] < 1)
			{
				row[score] = 0;
				isnull[i * CUSTOMER_NFEAT + score] = true;
				continue;
			}
			for (q = 0; q < 4; q++)
				if (row[col] > cut[q])
					above++;
			row[score] = col == CF_RECENCY ? 5 - above : 1 + above;
			isnull[i * CUSTOMER_NFEAT + score] = false;
		}
		CHECK_FOR_INTERRUPTS();
	}
	budget_free(budget, v, budget_mul(Max(n, 1), sizeof(double)));
}
