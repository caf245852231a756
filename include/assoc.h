/*
 * assoc.h
 *	  Settings and definitions shared by every part of the assoc extension.
 */
#ifndef ASSOC_H
#define ASSOC_H

#include "postgres.h"

/* assoc.mining_mem: memory bound of one mining call or aggregate state, in kB (-1: maintenance_work_mem) */
extern int	assoc_mining_mem;

/* assoc.pair_table: may the miner count pairs into a triangular table (developer setting) */
extern bool assoc_pair_table;

/* The memory bound in bytes, as currently set. */
extern Size assoc_mining_mem_bytes(void);

#endif							/* ASSOC_H */
