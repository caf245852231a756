/*
 * basket_state.h
 *	  The assoc.baskets type: a set of baskets collected by assoc.basket_agg,
 *	  the state and result of that aggregate.
 *
 * In a backend the value is an expanded object holding a BasketBuilder, so
 * the aggregate adds rows in place.  Its flat form (stored in tables, sent to
 * parallel workers or between Citus nodes) is the format described in
 * basket_state.c; the text form is that image in base64.
 */
#ifndef ASSOC_BASKET_STATE_H
#define ASSOC_BASKET_STATE_H

#include "postgres.h"

#include "baskets.h"
#include "budget.h"

/*
 * The baskets of an assoc.baskets datum, ready to be read.  An expanded value
 * is read in place; a flat one is decoded into *scratch (memory charged to
 * budget).  The result must not be modified.
 */
extern const BasketBuilder *baskets_open(Datum d, BasketBuilder *scratch, MemBudget *budget);

#endif							/* ASSOC_BASKET_STATE_H */
