/*
 * basket_reader.c
 *	  From SQL values to basket builder entries (see basket_reader.h).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "basket_reader.h"
#include "source.h"

void
value_reader_init(ValueReader *r, Oid typid, MemoryContext mcxt)
{
	Oid			base = getBaseType(typid);

	r->typid = typid;
	switch (base)
	{
		case INT2OID:
			r->mode = VALUE_INT2;
			break;
		case INT4OID:
			r->mode = VALUE_INT4;
			break;
		case INT8OID:
			r->mode = VALUE_INT8;
			break;
		case TEXTOID:
		case VARCHAROID:
			r->mode = VALUE_TEXT;
			break;
		default:
			{
				Oid			outfunc;
				bool		isvarlena;

				if (typid == UNKNOWNOID)
					typid = TEXTOID;
				getTypeOutputInfo(typid, &outfunc, &isvarlena);
				fmgr_info_cxt(outfunc, &r->outfn, mcxt);
				r->mode = VALUE_OUTPUT;
				break;
			}
	}
}

static inline int64
value_int(const ValueReader *r, Datum v)
{
	switch (r->mode)
	{
		case VALUE_INT2:
			return DatumGetInt16(v);
		case VALUE_INT4:
			return DatumGetInt32(v);
		default:
			return DatumGetInt64(v);
	}
}

/* The bytes of a value read as text: points into v or into a new palloc. */
static inline const char *
value_bytes(const ValueReader *r, Datum v, uint32 *len)
{
	if (r->mode == VALUE_TEXT)
	{
		text	   *t = DatumGetTextPP(v);

		*len = VARSIZE_ANY_EXHDR(t);
		return VARDATA_ANY(t);
	}
	else
	{
		char	   *s = OutputFunctionCall((FmgrInfo *) &r->outfn, v);

		*len = strlen(s);
		return s;
	}
}

uint32
value_item(const ValueReader *r, Datum v, BasketBuilder *b)
{
	if (value_reader_kind(r) == DICT_INT)
		return builder_item_int(b, value_int(r, v));
	else
	{
		uint32		len;
		const char *p = value_bytes(r, v, &len);

		return builder_item_bytes(b, p, len);
	}
}

uint32
value_basket(const ValueReader *r, Datum v, BasketBuilder *b)
{
	if (value_reader_kind(r) == DICT_INT)
		return builder_basket_int(b, value_int(r, v));
	else
	{
		uint32		len;
		const char *p = value_bytes(r, v, &len);

		return builder_basket_bytes(b, p, len);
	}
}

typedef struct ReadState
{
	BasketBuilder *b;
	MemBudget  *budget;
	ValueReader basket;
	ValueReader item;
	MemoryContext rowcxt;		/* printed and detoasted values */
	MemoryContext cxt;			/* the caller's context */
	uint32		rows;
} ReadState;

static void
read_start(void *arg, TupleDesc desc)
{
	ReadState  *st = arg;

	value_reader_init(&st->basket, TupleDescAttr(desc, 0)->atttypid, st->cxt);
	value_reader_init(&st->item, TupleDescAttr(desc, 1)->atttypid, st->cxt);
	builder_init(st->b, value_reader_kind(&st->item), value_reader_kind(&st->basket), st->budget);
}

static void
read_row(void *arg, TupleTableSlot *slot)
{
	ReadState  *st = arg;
	MemoryContext old;
	uint32		basket;

	slot_getsomeattrs(slot, 2);
	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		return;

	old = MemoryContextSwitchTo(st->rowcxt);
	basket = value_basket(&st->basket, slot->tts_values[0], st->b);
	builder_add(st->b, basket, value_item(&st->item, slot->tts_values[1], st->b));
	MemoryContextSwitchTo(old);
	if ((++st->rows & 0xFF) == 0)
		MemoryContextReset(st->rowcxt);
}

void
read_source_baskets(const char *query, const char *caller, BasketBuilder *b, MemBudget *budget)
{
	ReadState	st;

	memset(&st, 0, sizeof(st));
	st.b = b;
	st.budget = budget;
	st.cxt = CurrentMemoryContext;
	st.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "assoc source row",
									  ALLOCSET_SMALL_SIZES);
	source_run(query, 2, "basket, item", caller, read_start, read_row, &st);
	MemoryContextDelete(st.rowcxt);
}
