/*
 * budget.c
 *	  Memory accounting against assoc.mining_mem (see budget.h).
 */
#include "postgres.h"

#include <sys/mman.h>

#include "utils/memutils.h"

#include "assoc.h"
#include "budget.h"

/*
 * Start accounting; the bound is read from assoc.mining_mem now.
 */
void
budget_init(MemBudget *b, const char *what, const char *hint)
{
	b->used = 0;
	b->peak = 0;
	b->limit = assoc_mining_mem_bytes();
	b->what = what;
	b->hint = hint;
	b->cxt = CurrentMemoryContext;
}

void
budget_charge(MemBudget *b, Size bytes)
{
	if (bytes > b->limit || b->used > b->limit - bytes)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s needs more memory than assoc.mining_mem allows", b->what),
				 errdetail("The limit is %zu kB; %zu kB were in use and %zu kB more were needed.",
						   b->limit / 1024, b->used / 1024, (bytes + 1023) / 1024),
				 b->hint ? errhint("%s", b->hint) : 0));
	b->used += bytes;
	if (b->used > b->peak)
		b->peak = b->used;
}

void
budget_release(MemBudget *b, Size bytes)
{
	Assert(bytes <= b->used);
	b->used -= bytes;
}

/*
 * Ask the kernel to back the part of [p, p + size) aligned to 2 MB with
 * transparent huge pages: one page fault per 2 MB instead of per 4 kB when
 * the memory is first written (page faults were 14 % of training a logistic
 * model on a million rows).  Only for blocks of 4 MB and more, which palloc
 * takes straight from malloc.  A hint: where transparent huge pages are off
 * ("never") or the platform lacks MADV_HUGEPAGE nothing changes, and a failed
 * madvise is ignored.  Memory use does not grow beyond the block's size,
 * which the budget charges.
 */
#define HUGE_PAGE_BYTES ((Size) 2 * 1024 * 1024)

static void
advise_huge_pages(void *p, Size size)
{
#ifdef MADV_HUGEPAGE
	if (size >= 2 * HUGE_PAGE_BYTES)
	{
		uintptr_t	start = TYPEALIGN(HUGE_PAGE_BYTES, (uintptr_t) p);
		uintptr_t	end = TYPEALIGN_DOWN(HUGE_PAGE_BYTES, (uintptr_t) p + size);

		if (end > start)
			(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
	}
#endif
}

void *
budget_alloc(MemBudget *b, Size size)
{
	void	   *p;

	budget_charge(b, size);
	p = MemoryContextAllocExtended(b->cxt, size, MCXT_ALLOC_HUGE);
	advise_huge_pages(p, size);
	return p;
}

/*
 * The caller charges the budget for the parts it uses, so the untouched tail
 * of a block (never faulted in) is not counted; a block costs at most one
 * huge page more than what is charged.
 */
void *
budget_alloc_bulk(MemBudget *b, Size size)
{
	void	   *p = MemoryContextAllocExtended(b->cxt, size, MCXT_ALLOC_HUGE);

	advise_huge_pages(p, size);
	return p;
}

void *
budget_alloc0(MemBudget *b, Size size)
{
	void	   *p;

	budget_charge(b, size);
	/* advised before the zeroing, which is the first write */
	p = MemoryContextAllocExtended(b->cxt, size, MCXT_ALLOC_HUGE);
	advise_huge_pages(p, size);
	memset(p, 0, size);
	return p;
}

void *
budget_realloc(MemBudget *b, void *ptr, Size oldsize, Size newsize)
{
	if (ptr == NULL)
		return budget_alloc(b, newsize);
	if (newsize > oldsize)
		budget_charge(b, newsize - oldsize);
	else
		budget_release(b, oldsize - newsize);
	ptr = repalloc_huge(ptr, newsize);
	advise_huge_pages(ptr, newsize);
	return ptr;
}

void
budget_free(MemBudget *b, void *ptr, Size size)
{
	if (ptr == NULL)
		return;
	budget_release(b, size);
	pfree(ptr);
}

Size
budget_mul(Size n, Size size)
{
	if (size != 0 && n > SIZE_MAX / size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("requested memory size overflows")));
	return n * size;
}
