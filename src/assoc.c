/*
 * assoc.c
 *	  Module set-up: the module magic, settings, and one-time initialisation.
 *
 * Nothing here starts threads or touches shared memory: loading assoc must
 * never destabilise the server, and assoc never needs shared_preload_libraries.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "assoc.h"
#include "blas.h"

PG_MODULE_MAGIC;

int			assoc_mining_mem = -1;
bool		assoc_pair_table = true;

void		_PG_init(void);

/*
 * Called once when the module is loaded into a backend.
 */
void
_PG_init(void)
{
	DefineCustomIntVariable("assoc.mining_mem",
							"Memory bound of one assoc mining call or basket aggregate state.",
							"Mining stops with an error when its baskets, candidates and results "
							"would need more; -1 uses maintenance_work_mem.",
							&assoc_mining_mem,
							-1, -1, MAX_KILOBYTES,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("assoc.pair_table",
							 "Lets the miner count pairs in one pass into a table when it is small enough.",
							 "A developer setting: off makes the miner count pairs per item instead, "
							 "which the tests use to cover both ways; results are the same.",
							 &assoc_pair_table,
							 true,
							 PGC_USERSET,
							 GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("assoc");

	blas_init();
}

/*
 * The mining memory bound in bytes.
 */
Size
assoc_mining_mem_bytes(void)
{
	int			kb = assoc_mining_mem >= 0 ? assoc_mining_mem : maintenance_work_mem;

	return (Size) kb * 1024;
}
