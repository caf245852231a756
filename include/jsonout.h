/*
 * jsonout.h
 *	  Writing numbers into JSON text (model metadata, metric results).
 */
#ifndef ASSOC_JSONOUT_H
#define ASSOC_JSONOUT_H

#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "lib/stringinfo.h"

/*
 * Append d as the shortest decimal that reads back to the same double, or
 * null when it is NaN or infinite (JSON has no such numbers).
 */
static inline void
json_append_float(StringInfo s, double d)
{
	char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (isnan(d) || isinf(d))
		appendStringInfoString(s, "null");
	else
	{
		double_to_shortest_decimal_buf(d, buf);
		appendStringInfoString(s, buf);
	}
}

#endif							/* ASSOC_JSONOUT_H */
