/*
 * serve.c
 *	  What the serving functions share (see serve.h): the per-backend model
 *	  cache, argument checks, and assoc.model_cache_stats.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "funcapi.h"
#include "utils/builtins.h"

#include "serve.h"

typedef struct ServeEntry
{
	bool		used;
	MemoryContext cxt;			/* holds decoded; child of TopMemoryContext */
	Size		bytes;			/* memory of cxt */
	uint64		last_use;
	uint64		id;				/* unique for the life of the backend */
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

/* What a call site remembers of a snapshot (see snapshot_same()). */
#define SERVE_SNAP_XIDS 64
typedef struct ServeSnap
{
	bool		valid;
	TransactionId xmin;
	TransactionId xmax;
	uint32		xcnt;
	TransactionId xip[SERVE_SNAP_XIDS];
} ServeSnap;

/*
 * What a call site remembers in fn_extra: the state of model_cached() for
 * values not stored out of line, and the last stored value it found in the
 * cache, so that the next rows of a query reuse it without searching the
 * cache or reading the model header again.
 */
typedef struct ServeSite
{
	void	   *fallback;		/* model_cached_in() state */
	bool		known;			/* the fields below are set */
	Oid			toastrelid;
	Oid			valueid;
	int32		rawsize;
	uint32		extinfo;
	ModelDecodeFn decode;
	ServeEntry *entry;			/* found here ... */
	uint64		entry_id;		/* ... if the slot still holds this entry */
	ServeSnap	snap;			/* ... under this snapshot */
} ServeSite;

static ServeEntry entries[SERVE_CACHE_SLOTS];
static uint64 use_clock = 0;
static uint64 next_id = 0;
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

/*
 * Whether a stored value that a call site verified under the snapshot *seen
 * can be trusted now without reading its header again.  A TOAST value id is
 * reused only after its value was deleted by a transaction that committed
 * and was vacuumed away.  If the active snapshot has the same xmin, xmax and
 * in-progress transactions as then, no transaction has ended in between, so
 * the id still names the same bytes.  (The snapshot's own completion count
 * would say it more simply, but copies of snapshots, such as the active one,
 * have it zeroed.)  A standby's snapshots, and ones with more in-progress
 * transactions than a site keeps, are never taken to match.
 */
static bool
snapshot_same(const ServeSnap *seen)
{
	Snapshot	snap;
	uint32		i;

	if (!seen->valid || !ActiveSnapshotSet())
		return false;
	snap = GetActiveSnapshot();
	if (snap->snapshot_type != SNAPSHOT_MVCC || snap->takenDuringRecovery ||
		snap->xmin != seen->xmin || snap->xmax != seen->xmax || snap->xcnt != seen->xcnt)
		return false;
	/* a loop, not memcmp: this runs per row, and xcnt is mostly 0 or small */
	for (i = 0; i < snap->xcnt; i++)
		if (snap->xip[i] != seen->xip[i])
			return false;
	return true;
}

/* Note the active snapshot in *seen, or mark it unusable. */
static void
snapshot_note(ServeSnap *seen)
{
	Snapshot	snap;

	seen->valid = false;
	if (!ActiveSnapshotSet())
		return;
	snap = GetActiveSnapshot();
	if (snap->snapshot_type != SNAPSHOT_MVCC || snap->takenDuringRecovery ||
		snap->xcnt > SERVE_SNAP_XIDS)
		return;
	seen->xmin = snap->xmin;
	seen->xmax = snap->xmax;
	seen->xcnt = snap->xcnt;
	memcpy(seen->xip, snap->xip, sizeof(TransactionId) * snap->xcnt);
	seen->valid = true;
}

/* Remember at a call site that its stored value is in entry e, as seen now. */
static void
remember(ServeSite *site, ServeEntry *e)
{
	site->known = true;
	snapshot_note(&site->snap);
	site->toastrelid = e->toastrelid;
	site->valueid = e->valueid;
	site->rawsize = e->rawsize;
	site->extinfo = e->extinfo;
	site->decode = e->decode;
	site->entry = e;
	site->entry_id = e->id;
}

void *
serve_model(FunctionCallInfo fcinfo, int argno, ModelKind expect, ModelDecodeFn decode,
			ModelHeader *h)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	ServeSite  *site = fcinfo->flinfo->fn_extra;
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

	if (site == NULL)
	{
		site = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ServeSite));
		fcinfo->flinfo->fn_extra = site;
	}
	if (!VARATT_IS_EXTERNAL_ONDISK(raw))
		return model_cached_in(fcinfo, argno, expect, decode, h, &site->fallback);
	VARATT_EXTERNAL_GET_POINTER(toast, raw);
	if ((Size) toast.va_rawsize > SERVE_CACHE_BYTES)
		return model_cached_in(fcinfo, argno, expect, decode, h, &site->fallback);

	/* the value this call site found last, under the same snapshot: no checks */
	if (site->known && site->decode == decode &&
		site->valueid == toast.va_valueid && site->toastrelid == toast.va_toastrelid &&
		site->rawsize == toast.va_rawsize && site->extinfo == toast.va_extinfo &&
		site->entry->used && site->entry->id == site->entry_id && snapshot_same(&site->snap))
	{
		e = site->entry;
		e->last_use = ++use_clock;
		n_hits++;
		*h = e->h;
		return e->decoded;
	}
	site->known = false;

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
			remember(site, e);
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
			return model_cached_in(fcinfo, argno, expect, decode, h, &site->fallback);
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
		slot->id = ++next_id;
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
		remember(site, slot);
		return decoded;
	}
}
