/*
 * assoc.h
 *	  Settings and definitions shared by every part of the assoc extension.
 */
#ifndef ASSOC_H
#define ASSOC_H

#include "postgres.h"

#include "fmgr.h"

/* assoc.mining_mem: memory bound of one mining call or aggregate state, in kB (-1: maintenance_work_mem) */
extern int	assoc_mining_mem;

/* The memory bound in bytes, as currently set. */
extern Size assoc_mining_mem_bytes(void);

/*
 * The aggregate memory context of an aggregate support function; an ERROR
 * (0A000) naming fn when it is called outside an aggregate.
 */
extern MemoryContext assoc_agg_context(FunctionCallInfo fcinfo, const char *fn);

#endif							/* ASSOC_H */
