/*
 * source.h
 *	  Running a caller's source query: read-only, with the caller's rights,
 *	  rows streamed to a callback.
 */
#ifndef ASSOC_SOURCE_H
#define ASSOC_SOURCE_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/tuptable.h"

typedef void (*SourceStartFn) (void *arg, TupleDesc desc);
typedef void (*SourceRowFn) (void *arg, TupleTableSlot *slot);

/*
 * Run query, which must be a single read-only SELECT returning exactly natts
 * columns (shape names them for the error message, e.g. "basket, item").
 * start is called once with the result's descriptor before any row; row for
 * every row, in the executor's memory context (callers reset their own).
 * caller names the SQL function for error context lines.
 */
extern void source_run(const char *query, int natts, const char *shape,
					   const char *caller,
					   SourceStartFn start, SourceRowFn row, void *arg);

/* The errors of a source that is not one statement, or not a plain SELECT. */
extern void source_refuse_statements(int n) pg_attribute_noreturn();
extern void source_refuse_write(void) pg_attribute_noreturn();

#endif							/* ASSOC_SOURCE_H */
