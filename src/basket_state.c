/*
 * basket_state.c
 *	  The assoc.baskets type and the assoc.basket_agg aggregates.
 *
 * Flat format, version 1 (all integers big-endian; after the varlena header):
 *	uint8	format version (1)
 *	uint8	item kind (1 integer, 2 text)
 *	uint8	basket key kind (0 none, 1 integer, 2 text)
 *	uint8	flags (0)
 *	uint32	number of items, then each item: int64, or uint32 length + bytes
 *	uint32	number of baskets
 *	uint64	number of (basket, item) entries
 *	then each basket: its key (as items; nothing for kind 0), uint32 n >= 1,
 *	and n item numbers (uint32, strictly ascending, below the number of items)
 * Every value is checked when it is read: sizes against the bytes left,
 * numbers against their bounds, keys and items for repeats.  A value that
 * fails is reported as corrupted; nothing is read past the end.
 *
 * The aggregate's state is this type (not internal), so PostgreSQL can run
 * it in parallel (partial states travel to the leader in the flat form) and
 * distributed planners can ship partial states between nodes.  Within one
 * backend the state is an expanded object whose memory context is a child of
 * the aggregate context; the transition function adds to it in place.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/base64.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "parser/scansup.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "aggstate.h"
#include "basket_reader.h"
#include "basket_state.h"
#include "sortutil.h"

#define BASKETS_FORMAT_VERSION 1

#define BASKETS_HINT "Raise assoc.mining_mem, or collect fewer baskets per group."

typedef struct BasketsState
{
	ExpandedObjectHeader hdr;
	MemBudget	budget;
	BasketBuilder b;
	char	   *flat;			/* cached flat image (with varlena header), or NULL */
	Size		flat_size;
} BasketsState;

static Size baskets_get_flat_size(ExpandedObjectHeader *eohptr);
static void baskets_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods baskets_methods = {
	baskets_get_flat_size,
	baskets_flatten_into
};

/* ---------- reading and writing the flat format ---------- */

typedef struct Writer
{
	char	   *p;
} Writer;

static inline void
put_u8(Writer *w, uint8 v)
{
	*w->p++ = (char) v;
}

static inline void
put_u32(Writer *w, uint32 v)
{
	uint32		n = pg_hton32(v);

	memcpy(w->p, &n, 4);
	w->p += 4;
}

static inline void
put_u64(Writer *w, uint64 v)
{
	uint64		n = pg_hton64(v);

	memcpy(w->p, &n, 8);
	w->p += 8;
}

static inline void
put_bytes(Writer *w, const char *p, uint32 len)
{
	put_u32(w, len);
	if (len > 0)
		memcpy(w->p, p, len);
	w->p += len;
}

typedef struct Reader
{
	const char *p;
	const char *end;
} Reader;

static void
corrupted(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("assoc.baskets value is corrupted"),
			 errdetail("%s", detail)));
}

static inline void
need(Reader *r, Size n)
{
	if ((Size) (r->end - r->p) < n)
		corrupted("The value ends too early.");
}

static inline uint8
get_u8(Reader *r)
{
	need(r, 1);
	return (uint8) *r->p++;
}

static inline uint32
get_u32(Reader *r)
{
	uint32		n;

	need(r, 4);
	memcpy(&n, r->p, 4);
	r->p += 4;
	return pg_ntoh32(n);
}

static inline uint64
get_u64(Reader *r)
{
	uint64		n;

	need(r, 8);
	memcpy(&n, r->p, 8);
	r->p += 8;
	return pg_ntoh64(n);
}

static inline const char *
get_bytes(Reader *r, uint32 *len)
{
	const char *p;

	*len = get_u32(r);
	need(r, *len);
	p = r->p;
	r->p += *len;
	return p;
}

/* Bytes one dictionary value takes in the flat form. */
static inline Size
value_size(const Dict *d, uint32 id)
{
	return d->kind == DICT_INT ? 8 : 4 + (Size) d->blen[id];
}

static inline void
put_value(Writer *w, const Dict *d, uint32 id)
{
	if (d->kind == DICT_INT)
		put_u64(w, (uint64) d->ivals[id]);
	else
	{
		uint32		len;
		const char *p = dict_bytes(d, id, &len);

		put_bytes(w, p, len);
	}
}

/* Build the flat image of a builder (with varlena header) in CurrentMemoryContext. */
static char *
flatten_builder(const BasketBuilder *b, MemBudget *budget, Size *size_out)
{
	TransDB		db;
	Size		size = VARHDRSZ + 4 + 4 + 4 + 8;
	uint32		i;
	char	   *flat;
	Writer		w;

	builder_finish(b, &db, budget);
	for (i = 0; i < b->items.n; i++)
		size += value_size(&b->items, i);
	for (i = 0; i < db.ntrans; i++)
	{
		if (b->keys.kind != DICT_NONE)
			size += value_size(&b->keys, i);
		size += 4 + 4 * (db.offsets[i + 1] - db.offsets[i]);
	}
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("assoc.baskets value would need %zu bytes, more than one value can hold", size),
				 errhint("Mine such large inputs with the source-query form of assoc.frequent_itemsets or assoc.rules, or group the input into smaller segments.")));

	flat = budget_alloc(budget, size);
	w.p = flat + VARHDRSZ;
	put_u8(&w, BASKETS_FORMAT_VERSION);
	put_u8(&w, (uint8) b->items.kind);
	put_u8(&w, (uint8) b->keys.kind);
	put_u8(&w, 0);
	put_u32(&w, b->items.n);
	for (i = 0; i < b->items.n; i++)
		put_value(&w, &b->items, i);
	put_u32(&w, db.ntrans);
	put_u64(&w, (uint64) db.offsets[db.ntrans]);
	for (i = 0; i < db.ntrans; i++)
	{
		Size		k;

		if (b->keys.kind != DICT_NONE)
			put_value(&w, &b->keys, i);
		put_u32(&w, (uint32) (db.offsets[i + 1] - db.offsets[i]));
		for (k = db.offsets[i]; k < db.offsets[i + 1]; k++)
			put_u32(&w, db.items[k]);
	}
	Assert(w.p == flat + size);
	SET_VARSIZE(flat, size);

	budget_free(budget, db.offsets, sizeof(Size) * ((Size) db.ntrans + 1));
	budget_free(budget, db.items, sizeof(uint32) * Max(b->npairs, 1));
	budget_free(budget, db.item_count, sizeof(uint32) * Max(b->items.n, 1));
	*size_out = size;
	return flat;
}

/* Error unless the sorted ids hold no repeats. */
static void
check_distinct(uint32 *ids, uint32 n, const char *what)
{
	uint32		i;

	qsort(ids, n, sizeof(uint32), cmp_uint32);
	for (i = 1; i < n; i++)
		if (ids[i] == ids[i - 1])
			corrupted(what);
}

static inline uint32
read_value(Reader *r, Dict *d)
{
	if (d->kind == DICT_INT)
		return dict_add_int(d, (int64) get_u64(r));
	else
	{
		uint32		len;
		const char *p = get_bytes(r, &len);

		return dict_add_bytes(d, p, len);
	}
}

/*
 * Add the baskets of a flat image (payload without varlena header) to b.
 * If *initialized is false, b is initialised with the image's kinds first.
 */
static void
merge_flat(BasketBuilder *b, bool *initialized, MemBudget *budget,
		   const char *data, Size len)
{
	Reader		r;
	uint8		version,
				item_kind,
				key_kind,
				flags;
	uint32		nitems,
				nbaskets,
				i;
	uint64		npairs,
				seen_pairs = 0;
	uint32	   *map;
	uint32	   *sorted;
	uint32	   *bids = NULL;

	r.p = data;
	r.end = data + len;
	version = get_u8(&r);
	if (version != BASKETS_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("assoc.baskets value has unsupported format version %u", version),
				 errdetail("This version of assoc reads format version %d.", BASKETS_FORMAT_VERSION)));
	item_kind = get_u8(&r);
	key_kind = get_u8(&r);
	flags = get_u8(&r);
	if (item_kind != DICT_INT && item_kind != DICT_BYTES)
		corrupted("Unknown item kind.");
	if (key_kind != DICT_NONE && key_kind != DICT_INT && key_kind != DICT_BYTES)
		corrupted("Unknown basket key kind.");
	if (flags != 0)
		corrupted("Unknown flags are set.");

	if (!*initialized)
	{
		builder_init(b, (DictKind) item_kind, (DictKind) key_kind, budget);
		*initialized = true;
	}
	else if (b->items.kind != item_kind || b->keys.kind != key_kind)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot combine basket sets of different kinds"),
				 errdetail("One holds %s items%s, the other %s items%s.",
						   b->items.kind == DICT_INT ? "integer" : "text",
						   b->keys.kind == DICT_NONE ? " without basket keys" : "",
						   item_kind == DICT_INT ? "integer" : "text",
						   key_kind == DICT_NONE ? " without basket keys" : ""),
				 errhint("Collect both with the same item and basket types.")));

	nitems = get_u32(&r);
	if ((Size) nitems > (Size) (r.end - r.p) / 4)
		corrupted("The number of items does not fit the value's size.");
	map = budget_alloc(budget, sizeof(uint32) * Max(nitems, 1));
	for (i = 0; i < nitems; i++)
		map[i] = read_value(&r, &b->items);
	sorted = budget_alloc(budget, sizeof(uint32) * Max(nitems, 1));
	memcpy(sorted, map, sizeof(uint32) * nitems);
	check_distinct(sorted, nitems, "An item is listed twice.");
	budget_free(budget, sorted, sizeof(uint32) * Max(nitems, 1));

	nbaskets = get_u32(&r);
	npairs = get_u64(&r);
	if ((Size) nbaskets > (Size) (r.end - r.p) / 8 || npairs > (uint64) (r.end - r.p) / 4)
		corrupted("The number of baskets does not fit the value's size.");
	if (key_kind != DICT_NONE)
		bids = budget_alloc(budget, sizeof(uint32) * Max(nbaskets, 1));
	for (i = 0; i < nbaskets; i++)
	{
		uint32		basket;
		uint32		n,
					k;
		int64		prev = -1;

		if (key_kind == DICT_INT)
			basket = builder_basket_int(b, (int64) get_u64(&r));
		else if (key_kind == DICT_BYTES)
		{
			uint32		klen;
			const char *kp = get_bytes(&r, &klen);

			basket = builder_basket_bytes(b, kp, klen);
		}
		else
			basket = builder_basket_new(b);
		if (bids)
			bids[i] = basket;

		n = get_u32(&r);
		if (n == 0)
			corrupted("A basket holds no items.");
		need(&r, (Size) n * 4);
		for (k = 0; k < n; k++)
		{
			uint32		id = get_u32(&r);

			if (id >= nitems || (int64) id <= prev)
				corrupted("A basket's items are out of range or out of order.");
			prev = id;
			builder_add(b, basket, map[id]);
		}
		seen_pairs += n;
		if ((i & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
	}
	if (seen_pairs != npairs)
		corrupted("The number of entries does not match the baskets.");
	if (r.p != r.end)
		corrupted("There are bytes after the last basket.");
	if (bids)
	{
		check_distinct(bids, nbaskets, "A basket is listed twice.");
		budget_free(budget, bids, sizeof(uint32) * Max(nbaskets, 1));
	}
	budget_free(budget, map, sizeof(uint32) * Max(nitems, 1));
}

/* ---------- the expanded object ---------- */

static BasketsState *
state_new(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "assoc.baskets",
											  ALLOCSET_DEFAULT_SIZES);
	BasketsState *st = MemoryContextAllocZero(cxt, sizeof(BasketsState));
	MemoryContext old;

	EOH_init_header(&st->hdr, &baskets_methods, cxt);
	old = MemoryContextSwitchTo(cxt);
	budget_init(&st->budget, "collecting baskets", BASKETS_HINT);
	MemoryContextSwitchTo(old);
	return st;
}

static Size
baskets_get_flat_size(ExpandedObjectHeader *eohptr)
{
	BasketsState *st = (BasketsState *) eohptr;

	Assert(eohptr->eoh_methods == &baskets_methods);
	if (st->flat == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(st->hdr.eoh_context);

		st->flat = flatten_builder(&st->b, &st->budget, &st->flat_size);
		MemoryContextSwitchTo(old);
	}
	return st->flat_size;
}

static void
baskets_flatten_into(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	BasketsState *st = (BasketsState *) eohptr;

	Assert(st->flat != NULL && allocated_size == st->flat_size);
	memcpy(result, st->flat, st->flat_size);
}

static inline void
state_changed(BasketsState *st)
{
	if (st->flat != NULL)
	{
		budget_free(&st->budget, st->flat, st->flat_size);
		st->flat = NULL;
	}
}

static inline bool
is_our_rw(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &baskets_methods;
}

/* A new state under aggcxt holding the baskets of datum d. */
static BasketsState *
state_from_datum(MemoryContext aggcxt, Datum d)
{
	BasketsState *st = state_new(aggcxt);
	struct varlena *v = PG_DETOAST_DATUM(d);	/* flattens an expanded value */
	bool		initialized = false;

	merge_flat(&st->b, &initialized, &st->budget, VARDATA(v), VARSIZE(v) - VARHDRSZ);
	if ((Pointer) v != DatumGetPointer(d))
		pfree(v);
	return st;
}

/*
 * The state of argument argno, ready to be changed in place: our own
 * read-write object, or a new one under aggcxt (initialised with the given
 * kinds when the argument is NULL).
 */
static BasketsState *
state_for_update(FunctionCallInfo fcinfo, int argno, MemoryContext aggcxt,
				 DictKind item_kind, DictKind key_kind)
{
	BasketsState *st;

	if (PG_ARGISNULL(argno))
	{
		st = state_new(aggcxt);
		builder_init(&st->b, item_kind, key_kind, &st->budget);
		return st;
	}
	if (is_our_rw(PG_GETARG_DATUM(argno)))
		st = (BasketsState *) DatumGetEOHP(PG_GETARG_DATUM(argno));
	else
		st = state_from_datum(aggcxt, PG_GETARG_DATUM(argno));
	if (st->b.items.kind != item_kind || st->b.keys.kind != key_kind)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot add to a basket set of another kind")));
	return st;
}

const BasketBuilder *
baskets_open(Datum d, BasketBuilder *scratch, MemBudget *budget)
{
	struct varlena *v;
	bool		initialized = false;

	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &baskets_methods)
		return &((BasketsState *) DatumGetEOHP(d))->b;

	v = PG_DETOAST_DATUM(d);
	merge_flat(scratch, &initialized, budget, VARDATA(v), VARSIZE(v) - VARHDRSZ);
	return scratch;
}

/* ---------- type I/O ---------- */

/* Check a payload by decoding it into a throw-away builder. */
static void
validate_payload(const char *data, Size len)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "assoc.baskets check",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	MemBudget	budget;
	BasketBuilder b;
	bool		initialized = false;

	budget_init(&budget, "checking a basket set", NULL);
	budget.limit = MaxAllocHugeSize;
	merge_flat(&b, &initialized, &budget, data, len);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

PG_FUNCTION_INFO_V1(baskets_in);
Datum
baskets_in(PG_FUNCTION_ARGS)
{
	char	   *in = PG_GETARG_CSTRING(0);
	char	   *s = palloc(strlen(in) + 1);
	int			slen = 0;
	int			maxlen;
	bytea	   *result;
	int			len;
	const char *c;

	/* white space is allowed (encode(..., 'base64') breaks lines) */
	for (c = in; *c; c++)
		if (!scanner_isspace(*c))
			s[slen++] = *c;
	s[slen] = '\0';
	maxlen = pg_b64_dec_len(slen);
	result = palloc(VARHDRSZ + maxlen);
	len = pg_b64_decode(s, slen, VARDATA(result), maxlen);

	if (len < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type assoc.baskets"),
				 errdetail("The text form is the base64 of the binary form.")));
	validate_payload(VARDATA(result), len);
	SET_VARSIZE(result, VARHDRSZ + len);
	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(baskets_out);
Datum
baskets_out(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	int			len = VARSIZE(v) - VARHDRSZ;
	int			outlen = pg_b64_enc_len(len);
	char	   *out = palloc(outlen + 1);
	int			n = pg_b64_encode(VARDATA(v), len, out, outlen);

	if (n < 0)
		elog(ERROR, "base64 encoding failed");
	out[n] = '\0';
	PG_RETURN_CSTRING(out);
}

PG_FUNCTION_INFO_V1(baskets_recv);
Datum
baskets_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;
	bytea	   *result = palloc(VARHDRSZ + len);

	pq_copymsgbytes(buf, VARDATA(result), len);
	validate_payload(VARDATA(result), len);
	SET_VARSIZE(result, VARHDRSZ + len);
	PG_RETURN_POINTER(result);
}

PG_FUNCTION_INFO_V1(baskets_send);
Datum
baskets_send(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA(v), VARSIZE(v) - VARHDRSZ);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ---------- the aggregates ---------- */

typedef struct AggTypes
{
	Oid			basket_type;
	Oid			item_type;
	ValueReader basket;
	ValueReader item;
	int16		elmlen;			/* array form: element storage */
	bool		elmbyval;
	char		elmalign;
} AggTypes;

/*
 * assoc.basket_agg(basket "any", item "any"): add one (basket, item) row.
 */
PG_FUNCTION_INFO_V1(basket_agg_transfn);
Datum
basket_agg_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "basket_agg_transfn");
	AggTypes   *types = fcinfo->flinfo->fn_extra;
	BasketsState *st;
	uint32		basket;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}

	if (types == NULL)
	{
		types = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(AggTypes));
		types->basket_type = get_fn_expr_argtype(fcinfo->flinfo, 1);
		types->item_type = get_fn_expr_argtype(fcinfo->flinfo, 2);
		if (!OidIsValid(types->basket_type) || !OidIsValid(types->item_type))
			elog(ERROR, "could not determine the argument types of basket_agg");
		value_reader_init(&types->basket, types->basket_type, fcinfo->flinfo->fn_mcxt);
		value_reader_init(&types->item, types->item_type, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = types;
	}

	st = state_for_update(fcinfo, 0, aggcxt, value_reader_kind(&types->item),
						  value_reader_kind(&types->basket));
	basket = value_basket(&types->basket, PG_GETARG_DATUM(1), &st->b);
	builder_add(&st->b, basket, value_item(&types->item, PG_GETARG_DATUM(2), &st->b));
	state_changed(st);
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->hdr));
}

/*
 * assoc.basket_agg(items anyarray): add one basket given as an array.
 */
PG_FUNCTION_INFO_V1(basket_agg_array_transfn);
Datum
basket_agg_array_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "basket_agg_array_transfn");
	AggTypes   *types = fcinfo->flinfo->fn_extra;
	ArrayType  *arr;
	Oid			elemtype;
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i,
				nonnull = 0;
	BasketsState *st;
	uint32		basket;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	arr = PG_GETARG_ARRAYTYPE_P(1);
	elemtype = ARR_ELEMTYPE(arr);
	if (types == NULL || types->item_type != elemtype)
	{
		if (types == NULL)
			types = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(AggTypes));
		types->item_type = elemtype;
		value_reader_init(&types->item, elemtype, fcinfo->flinfo->fn_mcxt);
		get_typlenbyvalalign(elemtype, &types->elmlen, &types->elmbyval, &types->elmalign);
		fcinfo->flinfo->fn_extra = types;
	}

	deconstruct_array(arr, elemtype, types->elmlen, types->elmbyval, types->elmalign,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			nonnull++;
	if (nonnull == 0)
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}

	st = state_for_update(fcinfo, 0, aggcxt, value_reader_kind(&types->item), DICT_NONE);
	basket = builder_basket_new(&st->b);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			builder_add(&st->b, basket, value_item(&types->item, elems[i], &st->b));
	state_changed(st);
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->hdr));
}

/*
 * Combine two partial basket sets: baskets with the same key are united.
 */
PG_FUNCTION_INFO_V1(basket_agg_combine);
Datum
basket_agg_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = agg_context(fcinfo, "basket_agg_combine");
	BasketsState *st;
	struct varlena *v;
	bool		initialized = true;
	MemoryContext old;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
	{
		st = state_from_datum(aggcxt, PG_GETARG_DATUM(1));
		PG_RETURN_DATUM(EOHPGetRWDatum(&st->hdr));
	}

	if (is_our_rw(PG_GETARG_DATUM(0)))
		st = (BasketsState *) DatumGetEOHP(PG_GETARG_DATUM(0));
	else
		st = state_from_datum(aggcxt, PG_GETARG_DATUM(0));

	v = PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	old = MemoryContextSwitchTo(st->hdr.eoh_context);
	merge_flat(&st->b, &initialized, &st->budget, VARDATA(v), VARSIZE(v) - VARHDRSZ);
	MemoryContextSwitchTo(old);
	state_changed(st);
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->hdr));
}

/*
 * assoc.basket_stats(baskets): how many baskets, distinct items and
 * (basket, item) entries a basket set holds.
 */
PG_FUNCTION_INFO_V1(basket_stats);
Datum
basket_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	MemBudget	budget;
	BasketBuilder scratch;
	const BasketBuilder *b;
	TransDB		db;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	budget_init(&budget, "reading baskets", BASKETS_HINT);
	b = baskets_open(PG_GETARG_DATUM(0), &scratch, &budget);
	builder_finish(b, &db, &budget);
	values[0] = Int64GetDatum(db.ntrans);
	values[1] = Int64GetDatum(db.nitems);
	values[2] = Int64GetDatum((int64) db.offsets[db.ntrans]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
