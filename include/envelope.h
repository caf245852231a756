/*
 * envelope.h
 *	  The one stored format of every assoc model: a fixed header, common
 *	  metadata, and a kind-specific body, protected by a CRC-32C.
 *
 * Layout (all integers big-endian, doubles as their IEEE 754 bits, big-endian):
 *	offset	size
 *	 0		4	magic "ASCM" (0x4153434D)
 *	 4		2	format version (ASSOC_MODEL_FORMAT_VERSION)
 *	 6		2	kind (ModelKind)
 *	 8		4	flags (0; a reader refuses bits it does not know)
 *	12		4	dim1 (kind-specific: e.g. number of features)
 *	16		4	dim2 (kind-specific: e.g. number of classes, factors)
 *	20		8	payload length in bytes
 *	28		4	CRC-32C of bytes 0..27 followed by the payload
 *	32		-	payload: metadata, then the body
 * Metadata: int64 created_at (TimestampTz), uint64 training rows, float64
 * loss (NaN if none), then two length-prefixed (uint32) UTF-8 JSON texts:
 * hyper-parameters, and kind-specific information for assoc.model_info.
 *
 * Readers check, in order, the size, magic, version, kind, flags, payload
 * length and CRC before they read anything else; every later read is bounds
 * checked.  The format version is independent of the extension version.
 */
#ifndef ASSOC_ENVELOPE_H
#define ASSOC_ENVELOPE_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "port/pg_crc32c.h"
#include "utils/timestamp.h"

#define ASSOC_MODEL_MAGIC 0x4153434DU	/* "ASCM" */
#define ASSOC_MODEL_FORMAT_VERSION 1
#define ASSOC_MODEL_HEADER_SIZE 32

typedef enum ModelKind
{
	MODEL_ANY = 0,				/* for readers: accept every kind */
	MODEL_LOGISTIC = 1,
	MODEL_RULES = 2,
	MODEL_ALS = 3,
	MODEL_CONVNET = 4,
	MODEL_KMEANS = 5,
	MODEL_SCALER = 6,
	MODEL_KIND_MAX = 6
} ModelKind;

typedef struct ModelHeader
{
	uint16		version;
	uint16		kind;
	uint32		flags;
	uint32		dim1;
	uint32		dim2;
	uint64		payload_len;
	pg_crc32c	crc;
} ModelHeader;

typedef struct ModelMeta
{
	TimestampTz created_at;
	uint64		training_rows;
	double		loss;			/* NaN if none */
	const char *params_json;	/* hyper-parameters, a JSON object text */
	const char *info_json;		/* kind-specific details, a JSON object text */
} ModelMeta;

/* Name of a kind ("logistic", "rules", ...), or NULL if unknown. */
extern const char *model_kind_name(int kind);

/* ---------- writing ---------- */

typedef struct ModelWriter
{
	StringInfoData buf;			/* header placeholder + payload */
} ModelWriter;

/* Start a model; meta->created_at 0 means now. */
extern void model_begin(ModelWriter *w, ModelKind kind, uint32 dim1, uint32 dim2,
						const ModelMeta *meta);
extern void model_put_u8(ModelWriter *w, uint8 v);
extern void model_put_u32(ModelWriter *w, uint32 v);
extern void model_put_u64(ModelWriter *w, uint64 v);
extern void model_put_i64(ModelWriter *w, int64 v);
extern void model_put_f64(ModelWriter *w, double v);
extern void model_put_f64_array(ModelWriter *w, const double *v, Size n);
extern void model_put_u32_array(ModelWriter *w, const uint32 *v, Size n);
extern void model_put_i64_array(ModelWriter *w, const int64 *v, Size n);
/* uint32 length, then the bytes */
extern void model_put_bytes(ModelWriter *w, const char *p, uint32 len);
/* Fill in the header and CRC; the result is a palloc'd bytea. */
extern bytea *model_finish(ModelWriter *w);

/* ---------- reading ---------- */

typedef struct ModelReader
{
	const char *p;
	const char *end;
} ModelReader;

/*
 * Check a model and position a reader on its body.  expect is the kind the
 * caller needs (MODEL_ANY for any); meta may be NULL.  Errors: a bytea that
 * is not an assoc model or of another kind (22023), a corrupted one (XX001).
 */
extern void model_open(const bytea *model, ModelKind expect, ModelHeader *h,
					   ModelMeta *meta, ModelReader *body);

extern uint8 model_get_u8(ModelReader *r);
extern uint32 model_get_u32(ModelReader *r);
extern uint64 model_get_u64(ModelReader *r);
extern int64 model_get_i64(ModelReader *r);
extern double model_get_f64(ModelReader *r);
extern void model_get_f64_array(ModelReader *r, double *out, Size n);
extern void model_get_u32_array(ModelReader *r, uint32 *out, Size n);
extern void model_get_i64_array(ModelReader *r, int64 *out, Size n);
/* Points into the model; *len set.  Not NUL-terminated. */
extern const char *model_get_bytes(ModelReader *r, uint32 *len);
/* Error unless n more elements of elsize bytes can be read (use before allocating). */
extern void model_need(ModelReader *r, Size n, Size elsize);
/* Error unless the body has been read to its end. */
extern void model_end(ModelReader *r);

/* Report a model whose body does not make sense (XX001). */
extern void model_corrupted(const char *detail) pg_attribute_noreturn();

/* ---------- per-call-site cache of decoded models ---------- */

/*
 * Decode the body of a checked model into memory allocated in the current
 * memory context (a context owned by the cache); return the decoded form.
 */
typedef void *(*ModelDecodeFn) (const ModelHeader *h, ModelReader *body);

/*
 * The decoded model of argument argno, decoded at most once per distinct
 * model per call site (kept in fn_extra for the life of the query).  A model
 * is recognised by its on-disk TOAST pointer, its compressed bytes or its
 * bytes; only a model over 64 kB arriving at the address seen last is taken
 * on its 32-byte header (which holds the CRC).  Any other model is decoded
 * afresh.  *h is set to its header.
 */
extern void *model_cached(FunctionCallInfo fcinfo, int argno, ModelKind expect,
						  ModelDecodeFn decode, ModelHeader *h);

/*
 * The same, with the cache's state in *state (NULL before the first call)
 * rather than in fn_extra: for callers that keep other things in fn_extra.
 */
extern void *model_cached_in(FunctionCallInfo fcinfo, int argno, ModelKind expect,
							 ModelDecodeFn decode, ModelHeader *h, void **state);

#endif							/* ASSOC_ENVELOPE_H */
