/*
 * envelope.c
 *	  Writing, checking and reading the model envelope (see envelope.h), and
 *	  the per-call-site cache of decoded models.
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"
#include "utils/float.h"

#include "envelope.h"

static const char *const kind_names[] = {
	NULL, "logistic", "rules", "als", "convnet", "kmeans", "scaler"
};

const char *
model_kind_name(int kind)
{
	if (kind < 1 || kind > MODEL_KIND_MAX)
		return NULL;
	return kind_names[kind];
}

/* ---------- byte order ---------- */

static inline void
store_u16(char *p, uint16 v)
{
	uint16		n = pg_hton16(v);

	memcpy(p, &n, 2);
}

static inline void
store_u32(char *p, uint32 v)
{
	uint32		n = pg_hton32(v);

	memcpy(p, &n, 4);
}

static inline void
store_u64(char *p, uint64 v)
{
	uint64		n = pg_hton64(v);

	memcpy(p, &n, 8);
}

static inline uint16
load_u16(const char *p)
{
	uint16		n;

	memcpy(&n, p, 2);
	return pg_ntoh16(n);
}

static inline uint32
load_u32(const char *p)
{
	uint32		n;

	memcpy(&n, p, 4);
	return pg_ntoh32(n);
}

static inline uint64
load_u64(const char *p)
{
	uint64		n;

	memcpy(&n, p, 8);
	return pg_ntoh64(n);
}

/* ---------- writing ---------- */

void
model_begin(ModelWriter *w, ModelKind kind, uint32 dim1, uint32 dim2, const ModelMeta *meta)
{
	char		hdr[VARHDRSZ + ASSOC_MODEL_HEADER_SIZE];
	const char *params = meta && meta->params_json ? meta->params_json : "{}";
	const char *info = meta && meta->info_json ? meta->info_json : "{}";

	Assert(kind >= 1 && kind <= MODEL_KIND_MAX);
	initStringInfo(&w->buf);
	memset(hdr, 0, sizeof(hdr));
	store_u32(hdr + VARHDRSZ + 0, ASSOC_MODEL_MAGIC);
	store_u16(hdr + VARHDRSZ + 4, ASSOC_MODEL_FORMAT_VERSION);
	store_u16(hdr + VARHDRSZ + 6, (uint16) kind);
	store_u32(hdr + VARHDRSZ + 8, 0);
	store_u32(hdr + VARHDRSZ + 12, dim1);
	store_u32(hdr + VARHDRSZ + 16, dim2);
	appendBinaryStringInfo(&w->buf, hdr, sizeof(hdr));

	model_put_i64(w, meta && meta->created_at != 0 ? meta->created_at : GetCurrentTimestamp());
	model_put_u64(w, meta ? meta->training_rows : 0);
	model_put_f64(w, meta ? meta->loss : get_float8_nan());
	model_put_bytes(w, params, strlen(params));
	model_put_bytes(w, info, strlen(info));
}

void
model_put_u8(ModelWriter *w, uint8 v)
{
	appendStringInfoCharMacro(&w->buf, (char) v);
}

void
model_put_u32(ModelWriter *w, uint32 v)
{
	char		b[4];

	store_u32(b, v);
	appendBinaryStringInfo(&w->buf, b, 4);
}

void
model_put_u64(ModelWriter *w, uint64 v)
{
	char		b[8];

	store_u64(b, v);
	appendBinaryStringInfo(&w->buf, b, 8);
}

void
model_put_i64(ModelWriter *w, int64 v)
{
	model_put_u64(w, (uint64) v);
}

void
model_put_f64(ModelWriter *w, double v)
{
	uint64		bits;

	memcpy(&bits, &v, 8);
	model_put_u64(w, bits);
}

void
model_put_f64_array(ModelWriter *w, const double *v, Size n)
{
	Size		i;

	for (i = 0; i < n; i++)
		model_put_f64(w, v[i]);
}

void
model_put_u32_array(ModelWriter *w, const uint32 *v, Size n)
{
	Size		i;

	for (i = 0; i < n; i++)
		model_put_u32(w, v[i]);
}

void
model_put_i64_array(ModelWriter *w, const int64 *v, Size n)
{
	Size		i;

	for (i = 0; i < n; i++)
		model_put_i64(w, v[i]);
}

void
model_put_bytes(ModelWriter *w, const char *p, uint32 len)
{
	model_put_u32(w, len);
	appendBinaryStringInfo(&w->buf, p, len);
}

bytea *
model_finish(ModelWriter *w)
{
	char	   *base = w->buf.data;
	char	   *hdr = base + VARHDRSZ;
	uint64		payload = (uint64) w->buf.len - VARHDRSZ - ASSOC_MODEL_HEADER_SIZE;
	pg_crc32c	crc;

	store_u64(hdr + 20, payload);
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, hdr, 28);
	COMP_CRC32C(crc, hdr + ASSOC_MODEL_HEADER_SIZE, payload);
	FIN_CRC32C(crc);
	store_u32(hdr + 28, crc);
	SET_VARSIZE(base, w->buf.len);
	return (bytea *) base;
}

/* ---------- reading ---------- */

void
model_corrupted(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("assoc model is corrupted"),
			 errdetail("%s", detail),
			 errhint("Use a model as assoc wrote it; models cannot be edited.")));
}

void
model_need(ModelReader *r, Size n, Size elsize)
{
	Assert(r->p <= r->end);
	if (elsize != 0 && n > (Size) (r->end - r->p) / elsize)
		model_corrupted("The model ends before its contents.");
}

uint8
model_get_u8(ModelReader *r)
{
	model_need(r, 1, 1);
	return (uint8) *r->p++;
}

uint32
model_get_u32(ModelReader *r)
{
	uint32		v;

	model_need(r, 1, 4);
	v = load_u32(r->p);
	r->p += 4;
	return v;
}

uint64
model_get_u64(ModelReader *r)
{
	uint64		v;

	model_need(r, 1, 8);
	v = load_u64(r->p);
	r->p += 8;
	return v;
}

int64
model_get_i64(ModelReader *r)
{
	return (int64) model_get_u64(r);
}

double
model_get_f64(ModelReader *r)
{
	uint64		bits = model_get_u64(r);
	double		v;

	memcpy(&v, &bits, 8);
	return v;
}

void
model_get_f64_array(ModelReader *r, double *out, Size n)
{
	Size		i;

	model_need(r, n, 8);
	for (i = 0; i < n; i++)
		out[i] = model_get_f64(r);
}

void
model_get_u32_array(ModelReader *r, uint32 *out, Size n)
{
	Size		i;

	model_need(r, n, 4);
	for (i = 0; i < n; i++)
		out[i] = model_get_u32(r);
}

void
model_get_i64_array(ModelReader *r, int64 *out, Size n)
{
	Size		i;

	model_need(r, n, 8);
	for (i = 0; i < n; i++)
		out[i] = model_get_i64(r);
}

const char *
model_get_bytes(ModelReader *r, uint32 *len)
{
	const char *p;

	*len = model_get_u32(r);
	model_need(r, *len, 1);
	p = r->p;
	r->p += *len;
	return p;
}

void
model_end(ModelReader *r)
{
	if (r->p != r->end)
		model_corrupted("There are bytes after the end of the model.");
}

/*
 * A copy of the JSON object text stored in a model's metadata, after checking
 * that it is one: no NUL byte, valid in the database encoding, valid JSON,
 * an object.  Only a crafted model (its CRC recomputed) can fail here.
 */
static char *
checked_json_object(const char *s, uint32 len)
{
	char	   *copy;
	const char *q;
	JsonLexContext *lex;

	if (memchr(s, '\0', len) != NULL || !pg_verifymbstr(s, (int) len, true))
		model_corrupted("The metadata of the model is not valid text.");
	copy = pnstrdup(s, len);
	for (q = copy; *q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'; q++)
		;
	lex = makeJsonLexContextCstringLen(copy, (int) len, GetDatabaseEncoding(), false);
	if (*q != '{' || pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		model_corrupted("The metadata of the model is not a JSON object.");
	return copy;
}

void
model_open(const bytea *model, ModelKind expect, ModelHeader *h, ModelMeta *meta,
		   ModelReader *body)
{
	Size		size = VARSIZE_ANY_EXHDR(model);
	const char *p = VARDATA_ANY(model);
	pg_crc32c	crc;
	ModelReader r;
	uint32		len;
	const char *s;

	if (size < 4 || load_u32(p) != ASSOC_MODEL_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bytea value is not an assoc model"),
				 errdetail("It does not start with the assoc model magic number."),
				 errhint("Pass a model made by an assoc training function.")));
	if (size < ASSOC_MODEL_HEADER_SIZE)
		model_corrupted("The model is shorter than its header.");
	h->version = load_u16(p + 4);
	h->kind = load_u16(p + 6);
	h->flags = load_u32(p + 8);
	h->dim1 = load_u32(p + 12);
	h->dim2 = load_u32(p + 16);
	h->payload_len = load_u64(p + 20);
	h->crc = load_u32(p + 28);
	if (h->version != ASSOC_MODEL_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("assoc model has unsupported format version %u", h->version),
				 errdetail("This version of assoc reads model format version %d.",
						   ASSOC_MODEL_FORMAT_VERSION)));
	if (model_kind_name(h->kind) == NULL)
		model_corrupted("The model kind is unknown.");
	if (h->flags != 0)
		model_corrupted("Unknown flags are set.");
	if (h->payload_len != size - ASSOC_MODEL_HEADER_SIZE)
		model_corrupted("The payload length does not match the size of the value.");
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, p, 28);
	COMP_CRC32C(crc, p + ASSOC_MODEL_HEADER_SIZE, h->payload_len);
	FIN_CRC32C(crc);
	if (crc != h->crc)
		model_corrupted("Checksum mismatch.");
	if (expect != MODEL_ANY && h->kind != expect)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("assoc model is a %s model, not a %s model",
						model_kind_name(h->kind), model_kind_name(expect)),
				 errhint("Pass a model of kind %s.", model_kind_name(expect))));

	r.p = p + ASSOC_MODEL_HEADER_SIZE;
	r.end = r.p + h->payload_len;
	if (meta)
	{
		meta->created_at = model_get_i64(&r);
		if (!TIMESTAMP_NOT_FINITE(meta->created_at) && !IS_VALID_TIMESTAMP(meta->created_at))
			model_corrupted("The creation time of the model is out of range.");
		meta->training_rows = model_get_u64(&r);
		meta->loss = model_get_f64(&r);
		s = model_get_bytes(&r, &len);
		meta->params_json = checked_json_object(s, len);
		s = model_get_bytes(&r, &len);
		meta->info_json = checked_json_object(s, len);
	}
	else
	{
		/* skip created_at, training rows and loss, checking they are there */
		model_need(&r, 24, 1);
		r.p += 24;
		(void) model_get_bytes(&r, &len);
		(void) model_get_bytes(&r, &len);
	}
	*body = r;
}

/* ---------- cache ---------- */

/*
 * Above this size a model that arrives at the same address with the same
 * 32-byte header (which holds the CRC of the whole model) is taken to be the
 * model already decoded, without comparing every byte; at or below it the
 * bytes are always compared.  See model_cached().
 */
#define MODEL_CACHE_FULL_COMPARE_LIMIT (64 * 1024)

typedef struct ModelCache
{
	MemoryContext cxt;			/* holds copy, zkey and decoded */
	bool		valid;
	bool		ondisk;			/* last seen as an on-disk TOAST pointer */
	Oid			toastrelid;		/* ... which is this one */
	Oid			valueid;
	const char *raw_ptr;		/* address of the bytes last seen (compared, never read) */
	struct varlena *zkey;		/* the compressed inline form last seen, or NULL */
	bytea	   *copy;			/* the model, with a 4-byte header */
	ModelHeader h;
	void	   *decoded;
} ModelCache;

/*
 * Whether the model bytes data[0..size) are those of the cached model.
 */
static bool
cache_same_bytes(const ModelCache *c, const char *data, Size size)
{
	const char *cached = VARDATA(c->copy);

	if (size != VARSIZE(c->copy) - VARHDRSZ)
		return false;
	if (size > MODEL_CACHE_FULL_COMPARE_LIMIT && data == c->raw_ptr)
		return memcmp(data, cached, ASSOC_MODEL_HEADER_SIZE) == 0;
	return memcmp(data, cached, size) == 0;
}

/*
 * How a model is recognised as the one decoded before, cheapest first:
 *	- an on-disk TOAST pointer equal to the cached one (TOAST values never
 *	  change, so the same pointer means the same bytes);
 *	- a compressed inline value equal, byte for byte, to the compressed value
 *	  seen before (no decompression);
 *	- the model bytes equal to the cached ones.  Models larger than
 *	  MODEL_CACHE_FULL_COMPARE_LIMIT that arrive at the address of the bytes
 *	  seen last (an InitPlan parameter, a CTE row) are compared on their
 *	  header only, which includes the CRC-32C of the whole model: comparing
 *	  megabytes per row would cost more than the scoring.
 * Anything else is a new model: it is copied, checked and decoded.  The
 * previous decoded model is freed then, so a call site holds one model.
 */
void *
model_cached(FunctionCallInfo fcinfo, int argno, ModelKind expect, ModelDecodeFn decode,
			 ModelHeader *h)
{
	return model_cached_in(fcinfo, argno, expect, decode, h, &fcinfo->flinfo->fn_extra);
}

/*
 * model_cached() with its state kept in *state (NULL at first, then owned by
 * this function, allocated in fn_mcxt) instead of fn_extra, for callers that
 * keep more than this cache in fn_extra.
 */
void *
model_cached_in(FunctionCallInfo fcinfo, int argno, ModelKind expect, ModelDecodeFn decode,
				ModelHeader *h, void **state)
{
	ModelCache *c = *state;
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	struct varatt_external toast;
	bool		ondisk = VARATT_IS_EXTERNAL_ONDISK(raw);
	bool		compressed = VARATT_IS_COMPRESSED(raw);
	bytea	   *m;
	MemoryContext old;
	ModelReader body;

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ModelCache));
		c->cxt = AllocSetContextCreate(fcinfo->flinfo->fn_mcxt, "assoc model cache",
									   ALLOCSET_DEFAULT_SIZES);
		*state = c;
	}
	if (ondisk)
		VARATT_EXTERNAL_GET_POINTER(toast, raw);

	if (c->valid)
	{
		if (ondisk)
		{
			if (c->ondisk && toast.va_toastrelid == c->toastrelid &&
				toast.va_valueid == c->valueid)
				goto hit;
		}
		else if (compressed)
		{
			if (c->zkey != NULL && VARSIZE_ANY(raw) == VARSIZE_ANY(c->zkey) &&
				memcmp(raw, c->zkey, VARSIZE_ANY(raw)) == 0)
				goto hit;
		}
		else if (!VARATT_IS_EXTERNAL(raw))
		{
			/* plain inline value (4-byte or short header): no copy needed */
			if (cache_same_bytes(c, VARDATA_ANY(raw), VARSIZE_ANY_EXHDR(raw)))
			{
				c->raw_ptr = VARDATA_ANY(raw);
				goto hit;
			}
		}
	}

	m = (bytea *) PG_DETOAST_DATUM(PointerGetDatum(raw));
	if (c->valid && cache_same_bytes(c, VARDATA(m), VARSIZE(m) - VARHDRSZ))
	{
		/* same model in another representation: remember this one too */
		c->ondisk = false;
		if (ondisk)
		{
			c->ondisk = true;
			c->toastrelid = toast.va_toastrelid;
			c->valueid = toast.va_valueid;
		}
		if ((struct varlena *) m != raw)
			pfree(m);
		goto hit;
	}

	/* a model not seen here before: check and decode it */
	c->valid = false;
	MemoryContextReset(c->cxt);
	old = MemoryContextSwitchTo(c->cxt);
	c->copy = (bytea *) palloc(VARSIZE(m));
	memcpy(c->copy, m, VARSIZE(m));
	c->zkey = NULL;
	if (compressed)
	{
		c->zkey = palloc(VARSIZE_ANY(raw));
		memcpy(c->zkey, raw, VARSIZE_ANY(raw));
	}
	model_open(c->copy, expect, &c->h, NULL, &body);
	c->decoded = decode(&c->h, &body);
	MemoryContextSwitchTo(old);
	c->raw_ptr = VARATT_IS_EXTENDED(raw) && !VARATT_IS_SHORT(raw) ? NULL : VARDATA_ANY(raw);
	c->ondisk = ondisk;
	if (ondisk)
	{
		c->toastrelid = toast.va_toastrelid;
		c->valueid = toast.va_valueid;
	}
	if ((struct varlena *) m != raw)
		pfree(m);
	c->valid = true;

hit:
	if (expect != MODEL_ANY && c->h.kind != expect)
	{
		ModelReader dummy;

		/* same bytes, other expectation: let model_open raise the error */
		model_open(c->copy, expect, h, NULL, &dummy);
	}
	*h = c->h;
	return c->decoded;
}
