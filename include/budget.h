/*
 * budget.h
 *	  Memory accounting for work whose size depends on the data (mining,
 *	  basket sets): every allocation is charged against a bound, and going
 *	  over it ends in an ERROR that names the setting, not in the OOM killer.
 */
#ifndef ASSOC_BUDGET_H
#define ASSOC_BUDGET_H

#include "postgres.h"

typedef struct MemBudget
{
	Size		used;			/* bytes charged so far */
	Size		peak;			/* highest value of used */
	Size		limit;			/* bound in bytes */
	const char *what;			/* what is being done, for the error message */
	const char *hint;			/* hint for the error message */
	MemoryContext cxt;			/* where budget_alloc allocates */
} MemBudget;

/* Start accounting against assoc.mining_mem; allocations go to CurrentMemoryContext. */
extern void budget_init(MemBudget *b, const char *what, const char *hint);

/* Charge or release bytes; charging past the bound raises an ERROR. */
extern void budget_charge(MemBudget *b, Size bytes);
extern void budget_release(MemBudget *b, Size bytes);

/* palloc / repalloc / pfree with accounting (huge allocations allowed). */
extern void *budget_alloc(MemBudget *b, Size size);
extern void *budget_alloc0(MemBudget *b, Size size);
extern void *budget_realloc(MemBudget *b, void *ptr, Size oldsize, Size newsize);
extern void budget_free(MemBudget *b, void *ptr, Size size);

/*
 * A large block for bulk data that is written once and then read many times
 * (training rows): like budget_alloc, but nothing is charged (the caller
 * charges what it hands out, see budget.c) and the kernel is asked to back
 * it with transparent huge pages, which saves one page fault per 4 kB when
 * the block is first written.  Freed with pfree or with its context.
 */
extern void *budget_alloc_bulk(MemBudget *b, Size size);

/* n * size, with an ERROR on overflow. */
extern Size budget_mul(Size n, Size size);

#endif							/* ASSOC_BUDGET_H */
