/*
 * dict.h
 *	  Dictionary encoding: maps item (or basket) values to dense integer ids.
 *
 * A value is either a 64-bit integer (for integer SQL types) or a byte string
 * (the text of the value: the bytes of a text value, or the type's output
 * form).  Ids are assigned 0, 1, 2, ... in order of first appearance.
 */
#ifndef ASSOC_DICT_H
#define ASSOC_DICT_H

#include "postgres.h"

#include "budget.h"

typedef enum DictKind
{
	DICT_NONE = 0,				/* no values (keyless baskets) */
	DICT_INT = 1,				/* int64 values */
	DICT_BYTES = 2				/* byte strings */
} DictKind;

typedef struct Dict
{
	MemBudget  *budget;
	DictKind	kind;
	uint32		n;				/* number of values */
	uint32		cap;			/* capacity of the per-value arrays */
	int64	   *ivals;			/* DICT_INT: the values */
	uint64	   *boff;			/* DICT_BYTES: offset of value i in bytes[] */
	uint32	   *blen;			/* DICT_BYTES: length of value i */
	char	   *bytes;			/* DICT_BYTES: arena of all values */
	Size		bytes_used;
	Size		bytes_cap;
	uint32	   *hashes;			/* hash of each value */
	uint32	   *slots;			/* open addressing: 0 empty, else id + 1 */
	uint32		mask;			/* number of slots - 1 */
	uint32	   *direct;			/* DICT_INT: id + 1 of small values 0 <= v < direct_cap */
	uint32		direct_cap;
} Dict;

/* Integer values below this are looked up in a flat array instead of hashed. */
#define DICT_DIRECT_MAX (1U << 20)

extern void dict_init(Dict *d, DictKind kind, MemBudget *budget);
extern uint32 dict_add_int(Dict *d, int64 v);
extern uint32 dict_add_bytes(Dict *d, const char *p, uint32 len);

/* Lookup without adding: returns the id, or -1 if absent. */
extern int64 dict_find_int(const Dict *d, int64 v);
extern int64 dict_find_bytes(const Dict *d, const char *p, uint32 len);

static inline const char *
dict_bytes(const Dict *d, uint32 id, uint32 *len)
{
	*len = d->blen[id];
	return d->bytes + d->boff[id];
}

/*
 * rank[id] = position of value id in sorted order: numeric order for
 * DICT_INT, byte order (shorter first on a common prefix) for DICT_BYTES.
 */
extern void dict_ranks(const Dict *d, uint32 *rank);

/* Memory held by the dictionary, in bytes. */
extern Size dict_memory(const Dict *d);

#endif							/* ASSOC_DICT_H */
