/*
 * serve.h
 *	  What the serving functions (recommenders, predict) share: a per-backend cache of
 *	  decoded models, so that a warm backend answers a call without decoding
 *	  its model again, and the checks of their common arguments.
 *
 * envelope.h's model_cached() keeps a decoded model in fn_extra, i.e. for
 * one query.  Serving runs one short query per request, so the recommenders
 * keep decoded models for the life of the backend instead, keyed by the
 * identity of the stored value: a model read from a table column arrives as
 * a TOAST pointer (relation, value id), which names immutable bytes.  The key
 * also holds the raw size, and a hit re-reads the 32-byte model header
 * (which holds the CRC of the whole model) to compare it, so a reused value
 * id cannot serve stale bytes.  Values that are not stored out of line (a
 * literal, a parameter, a computed value, a small inline model) fall back to
 * model_cached(): decoded once per query and call site.
 *
 * Used by the recommenders, assoc.predict and the k-means scorers.  A call
 * site (fn_extra) also remembers the stored value it found last and reuses
 * its entry on the next rows without re-reading the header while the active
 * snapshot shows the same finished transactions (see serve.c).
 *
 * Decoders must copy what they keep: the raw bytes are freed once decoded.
 *
 * The cache holds at most SERVE_CACHE_SLOTS models and SERVE_CACHE_BYTES of
 * decoded memory, least recently used first out; a model larger than that is
 * decoded per query.  It lives in TopMemoryContext.
 */
#ifndef ASSOC_SERVE_H
#define ASSOC_SERVE_H

#include "postgres.h"

#include "fmgr.h"

#include "envelope.h"

#define SERVE_CACHE_SLOTS 8
#define SERVE_CACHE_BYTES ((Size) 256 * 1024 * 1024)

/*
 * The decoded model of argument argno (not NULL), decoded by decode (the key
 * includes it, so one value may be cached by several decoders).  *h is set to
 * its header.  Errors as model_open.
 */
extern void *serve_model(FunctionCallInfo fcinfo, int argno, ModelKind expect,
						 ModelDecodeFn decode, ModelHeader *h);

/* Error (22004) if argument argno is NULL; name is its SQL name. */
extern void serve_arg_not_null(FunctionCallInfo fcinfo, int argno, const char *name);

/* Argument argno as a number of results: not NULL, at least 1 (22023). */
extern int	serve_read_k(FunctionCallInfo fcinfo, int argno);

#endif							/* ASSOC_SERVE_H */
