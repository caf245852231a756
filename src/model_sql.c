/*
 * model_sql.c
 *	  The SQL face shared by every model kind: assoc.model_info.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "envelope.h"

/*
 * assoc.model_info(model bytea) RETURNS jsonb
 *
 * Describes any assoc model: kind, format version, dimensions, size,
 * created_at, training rows, loss, hyper-parameters and the kind's own
 * details.  The model is fully checked (CRC included) first.
 */
PG_FUNCTION_INFO_V1(model_info);
Datum
model_info(PG_FUNCTION_ARGS)
{
	bytea	   *model = PG_GETARG_BYTEA_PP(0);
	ModelHeader h;
	ModelMeta	meta;
	ModelReader body;
	StringInfoData js;
	char		tsbuf[MAXDATELEN + 1];

	model_open(model, MODEL_ANY, &h, &meta, &body);

	initStringInfo(&js);
	appendStringInfoString(&js, "{\"kind\": ");
	escape_json(&js, model_kind_name(h.kind));
	appendStringInfo(&js, ", \"format_version\": %u, \"flags\": %u, \"dim1\": %u, \"dim2\": %u",
					 h.version, h.flags, h.dim1, h.dim2);
	/* the envelope's size: the same however the value is stored */
	appendStringInfo(&js, ", \"bytes\": " UINT64_FORMAT,
					 (uint64) ASSOC_MODEL_HEADER_SIZE + h.payload_len);
	/* ISO 8601 whatever DateStyle is, as to_json writes a timestamptz */
	appendStringInfo(&js, ", \"created_at\": \"%s\"",
					 JsonEncodeDateTime(tsbuf, TimestampTzGetDatum(meta.created_at),
										TIMESTAMPTZOID, NULL));
	appendStringInfo(&js, ", \"training_rows\": " UINT64_FORMAT, meta.training_rows);
	if (isnan(meta.loss) || isinf(meta.loss))
		appendStringInfoString(&js, ", \"loss\": null");
	else
		appendStringInfo(&js, ", \"loss\": %.17g", meta.loss);
	appendStringInfo(&js, ", \"hyper_parameters\": %s", meta.params_json);
	appendStringInfo(&js, ", \"info\": %s}", meta.info_json);

	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(js.data)));
}
