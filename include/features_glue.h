/*
 * features_glue.h
 *	  Helpers shared by the SQL faces of the feature area (features_sql.c,
 *	  features_source.c): SQL values as keys, float8[] results with missing
 *	  elements, and argument checks with the area's error messages.
 */
#ifndef ASSOC_FEATURES_GLUE_H
#define ASSOC_FEATURES_GLUE_H

#include "postgres.h"

#include <math.h>

#include "fmgr.h"

#include "basket_reader.h"
#include "dict.h"

/*
 * The bytes that identify a non-null key value: an integer as 8 big-endian
 * bytes (in buf), a text value as its bytes, anything else as its output
 * text.  May allocate in the current memory context.
 */
extern const char *key_bytes(const ValueReader *r, Datum v, char *buf, uint32 *len);

/* Id of a non-null value in a dictionary of the reader's kind. */
extern uint32 dict_value(Dict *d, const ValueReader *r, Datum v);

/* A dictionary value as text (an integer printed in decimal). */
extern Datum dict_text(const Dict *d, uint32 id);

/* A one-dimensional float8[] of n values, NULL where isnull[i]. */
extern Datum float8_array(const double *v, const bool *isnull, int n);

/* The event type named by a text value, with an ERROR for an unknown one. */
extern int	parse_event(const char *p, Size len);

/* The ERRORs of check_finite and check_finite_time. */
extern void not_finite(double v, const char *what) pg_attribute_noreturn();
extern void not_finite_time(const char *what) pg_attribute_noreturn();

/* ERROR unless v is finite; what names the value. */
static inline void
check_finite(double v, const char *what)
{
	if (unlikely(isinf(v) || isnan(v)))
		not_finite(v, what);
}

/* ERROR unless a timestamp is finite; what names it. */
static inline void
check_finite_time(int64 t, const char *what)
{
	if (unlikely(t == PG_INT64_MIN || t == PG_INT64_MAX))	/* TIMESTAMP_NOBEGIN / NOEND */
		not_finite_time(what);
}

/* ERROR (22004) when argument argno is NULL; name is its SQL name. */
extern void require_arg(FunctionCallInfo fcinfo, int argno, const char *name);


#endif							/* ASSOC_FEATURES_GLUE_H */
