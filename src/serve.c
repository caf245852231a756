/*
 * serve.c
 *	  What the serving functions share (see serve.h): the per-backend model
 *	  cache, argument checks, and assoc.model_cache_stats.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "utils/memutils.h"

#include "funcapi.h"
#include "utils/builtins.h"

#include "serve.h"

typedef struct ServeEntry
{
	bool		used;
	MemoryContext cxt;			/* holds decoded; child of TopMemoryContext */
	Size		bytes;			/* memory of cxt */
	uint64		last_use;
	ModelDecodeFn decode;
	/* identity of the stored value */
	Oid			toastrelid;
	Oid			valueid;
	int32		rawsize;
	uint32		extinfo;
	char		header[ASSOC_MODEL_HEADER_SIZE];
	ModelHeader h;
	void	   *decoded;
} ServeEntry;

static ServeEntry entries[SERVE_CACHE_SLOTS];
static uint64 use_clock = 0;
static int64 n_hits = 0;
static int64 n_decodes = 0;

void
serve_arg_not_null(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be null", name)));
}

int
serve_read_k(FunctionCallInfo fcinfo, int argno)
{
	int32		k;

	serve_arg_not_null(fcinfo, argno, "k");
	k = PG_GETARG_INT32(argno);
	if (k < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be at least 1"),
				 errdetail("k is %d.", k),
				 errhint("Ask for one or more results; a k above the number of items returns them all.")));
	return k;
}

/*
 * assoc.model_cache_stats() RETURNS TABLE(models int, bytes bigint, hits bigint, decodes bigint)
 *
 * The serving model cache of this backend: models and decoded bytes held,
 * calls answered from it, and models decoded into it.
 */
PG_FUNCTION_INFO_V1(model_cache_stats);
Datum
model_cache_stats(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	int			models = 0;
	int64		bytes = 0;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	for (i = 0; i < SERVE_CACHE_SLOTS; i++)
		if (entries[i].used)
		{
			models++;
			bytes += (int64) entries[i].bytes;
		}
	values[0] = Int32GetDatum(models);
	values[1] = Int64GetDatum(bytes);
	values[2] = Int64GetDatum(n_hits);
	values[3] = Int64GetDatum(n_decodes);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

static void
evict(ServeEntry *e)
{
	MemoryContextDelete(e->cxt);
	memset(e, 0, sizeof(ServeEntry));
}

/* The first ASSOC_MODEL_HEADER_SIZE bytes of a stored value, or false if shorter. */
static bool
fetch_header(struct varlena *raw, char *out)
{
	struct varlena *slice = detoast_attr_slice(raw, 0, ASSOC_MODEL_HEADER_SIZE);
	bool		ok = VARSIZE_ANY_EXHDR(slice) == ASSOC_MODEL_HEADER_SIZE;

	if (ok)
		memcpy(out, VARDATA_ANY(slice), ASSOC_MODEL_HEADER_SIZE);
	pfree(slice);
	return ok;
}

void *
serve_model(FunctionCallInfo fcinfo, int argno, ModelKind expect, ModelDecodeFn decode,
			ModelHeader *h)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	struct varatt_external toast;
	char		header[ASSOC_MODEL_HEADER_SIZE];
	ServeEntry *e = NULL;
	ServeEntry *slot = NULL;
	bytea	   *m;
	MemoryContext cxt;
	MemoryContext old;
	ModelReader body;
	Size		total;
	int			i;

	if (!VARATT_IS_EXTERNAL_ONDISK(raw))
		return model_cached(fcinfo, argno, expect, decode, h);
	VARATT_EXTERNAL_GET_POINTER(toast, raw);
	if ((Size) toast.va_rawsize > SERVE_CACHE_BYTES)
		return model_cached(fcinfo, argno, expect, decode, h);

	for (i = 0; i < SERVE_CACHE_SLOTS; i++)
	{
		ServeEntry *c = &entries[i];

		if (c->used && c->decode == decode && c->valueid == toast.va_valueid &&
			c->toastrelid == toast.va_toastrelid && c->rawsize == toast.va_rawsize &&
			c->extinfo == toast.va_extinfo)
		{
			e = c;
			break;
		}
	}
	if (e != NULL)
	{
		if (fetch_header(raw, header) &&
			memcmp(header, e->header, ASSOC_MODEL_HEADER_SIZE) == 0)
		{
			e->last_use = ++use_clock;
			n_hits++;
			*h = e->h;
			return e->decoded;
		}
		evict(e);				/* the value id was reused: forget it */
	}

	/* decode in a context of this query first, so that an error frees it */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "assoc serving model",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	m = (bytea *) detoast_attr(raw);
	model_open(m, expect, h, NULL, &body);
	memcpy(header, VARDATA(m), ASSOC_MODEL_HEADER_SIZE);
	{
		void	   *decoded = decode(h, &body);

		/* decoders copy what they keep: the raw bytes can go */
		pfree(m);
		MemoryContextSwitchTo(old);
		n_decodes++;

		total = MemoryContextMemAllocated(cxt, true);
		if (total > SERVE_CACHE_BYTES)
		{
			/* too large to keep per backend: keep it per query instead */
			MemoryContextDelete(cxt);
			return model_cached(fcinfo, argno, expect, decode, h);
		}

		/* make room: free slots, then least recently used, within the byte bound */
		for (;;)
		{
			Size		held = 0;
			ServeEntry *lru = NULL;

			slot = NULL;
			for (i = 0; i < SERVE_CACHE_SLOTS; i++)
			{
				ServeEntry *c = &entries[i];

				if (!c->used)
				{
					if (slot == NULL)
						slot = c;
					continue;
				}
				held += c->bytes;
				if (lru == NULL || c->last_use < lru->last_use)
					lru = c;
			}
			if (slot != NULL && held + total <= SERVE_CACHE_BYTES)
				break;
			Assert(lru != NULL);
			evict(lru);
		}
		MemoryContextSetParent(cxt, TopMemoryContext);
		slot->used = true;
		slot->cxt = cxt;
		slot->bytes = total;
		slot->last_use = ++use_clock;
		slot->decode = decode;
		slot->toastrelid = toast.va_toastrelid;
		slot->valueid = toast.va_valueid;
		slot->rawsize = toast.va_rawsize;
		slot->extinfo = toast.va_extinfo;
		memcpy(slot->header, header, ASSOC_MODEL_HEADER_SIZE);
		slot->h = *h;
		slot->decoded = decoded;
		return decoded;
	}
}
