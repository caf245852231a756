/*
 * aggstate.h
 *	  Small helpers shared by every aggregate support function.
 */
#ifndef ASSOC_AGGSTATE_H
#define ASSOC_AGGSTATE_H

#include "postgres.h"

#include "fmgr.h"

/* The aggregate memory context; an error if not called as an aggregate. */
static inline MemoryContext
agg_context(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s can only be called as part of an aggregate", fn)));
	return aggcxt;
}

/* The internal state in argument argno, or NULL. */
#define AGG_STATE_ARG(type, argno) \
	(PG_ARGISNULL(argno) ? (type *) NULL : (type *) PG_GETARG_POINTER(argno))

/*
 * In a combine function: without a second state the first is the result (a
 * NULL result if there is none either).
 */
#define AGG_COMBINE_IF_NO_SECOND(a, b) \
	do { \
		if ((b) == NULL) \
		{ \
			if ((a) == NULL) \
				PG_RETURN_NULL(); \
			PG_RETURN_POINTER(a); \
		} \
	} while (0)

#endif							/* ASSOC_AGGSTATE_H */
