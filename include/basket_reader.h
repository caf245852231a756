/*
 * basket_reader.h
 *	  From SQL values to basket builder entries: integer types are encoded as
 *	  integers, text as its bytes, any other type as its output form.
 */
#ifndef ASSOC_BASKET_READER_H
#define ASSOC_BASKET_READER_H

#include "postgres.h"

#include "fmgr.h"

#include "baskets.h"

typedef enum ValueMode
{
	VALUE_INT2,
	VALUE_INT4,
	VALUE_INT8,
	VALUE_TEXT,					/* text, varchar: the bytes of the value */
	VALUE_OUTPUT				/* anything else: the type's output function */
} ValueMode;

typedef struct ValueReader
{
	Oid			typid;
	ValueMode	mode;
	FmgrInfo	outfn;			/* VALUE_OUTPUT */
} ValueReader;

/* Set up a reader for values of typid; function info lives in mcxt. */
extern void value_reader_init(ValueReader *r, Oid typid, MemoryContext mcxt);

/* The dictionary kind the reader's values encode to. */
static inline DictKind
value_reader_kind(const ValueReader *r)
{
	return (r->mode == VALUE_TEXT || r->mode == VALUE_OUTPUT) ? DICT_BYTES : DICT_INT;
}

/*
 * Item id / basket id of a non-null value.  Printing or detoasting the value
 * may allocate in the current context; the builder allocates in its own.
 */
extern uint32 value_item(const ValueReader *r, Datum v, BasketBuilder *b);
extern uint32 value_basket(const ValueReader *r, Datum v, BasketBuilder *b);

/*
 * Read the rows (basket, item) of a source query into b, which this
 * initialises; rows with a NULL basket or item are skipped.
 */
extern void read_source_baskets(const char *query, const char *caller,
								BasketBuilder *b, MemBudget *budget);

#endif							/* ASSOC_BASKET_READER_H */
