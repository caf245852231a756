/*
 * options.c
 *	  Reading a jsonb options argument against a table of known keys (see options.h).
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "options.h"

static const char *
json_type_name(enum jbvType t)
{
	switch (t)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvArray:
		case jbvBinary:
			return "an array or object";
		default:
			return "a value";
	}
}

static char *
valid_keys(const OptionSpec *specs, int nspecs)
{
	StringInfoData s;
	int			i;

	initStringInfo(&s);
	for (i = 0; i < nspecs; i++)
		appendStringInfo(&s, "%s%s", i ? ", " : "", specs[i].name);
	return s.data;
}

static void
bad_type(const char *caller, const char *key, const char *want, enum jbvType got)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"%s\" of %s must be %s", key, caller, want),
			 errdetail("It is %s.", json_type_name(got))));
}

void
options_parse(Jsonb *opts, OptionSpec *specs, int nspecs, const char *caller)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			i;

	for (i = 0; i < nspecs; i++)
		specs[i].present = false;
	if (opts == NULL)
		return;
	if (!JB_ROOT_IS_OBJECT(opts))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options of %s must be a JSON object", caller),
				 errhint("Pass e.g. '{\"%s\": ...}'; valid keys: %s.", specs[0].name,
						 valid_keys(specs, nspecs))));

	it = JsonbIteratorInit(&opts->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *key;
		OptionSpec *spec = NULL;

		if (tok != WJB_KEY)
			continue;
		key = pnstrdup(v.val.string.val, v.val.string.len);
		for (i = 0; i < nspecs; i++)
			if (strcmp(specs[i].name, key) == 0)
				spec = &specs[i];
		if (spec == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown option \"%s\" for %s", key, caller),
					 errhint("Valid options: %s.", valid_keys(specs, nspecs))));

		tok = JsonbIteratorNext(&it, &v, true);
		Assert(tok == WJB_VALUE);
		spec->present = true;
		switch (spec->type)
		{
			case OPTION_INT:
			case OPTION_FLOAT:
				{
					double		d;

					if (v.type != jbvNumeric)
						bad_type(caller, key, "a number", v.type);
					d = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														   NumericGetDatum(v.val.numeric)));
					if (spec->type == OPTION_INT && (d != floor(d) || fabs(d) > PG_INT32_MAX))
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("option \"%s\" of %s must be an integer", key, caller),
								 errdetail("It is %g.", d)));
					if (spec->min <= spec->max && (isnan(d) || d < spec->min || d > spec->max))
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("option \"%s\" of %s must be between %g and %g", key, caller,
										spec->min, spec->max),
								 errdetail("It is %g.", d)));
					if (spec->type == OPTION_INT)
						*(int *) spec->dest = (int) d;
					else
						*(double *) spec->dest = d;
					break;
				}
			case OPTION_BOOL:
				if (v.type != jbvBool)
					bad_type(caller, key, "true or false", v.type);
				*(bool *) spec->dest = v.val.boolean;
				break;
			case OPTION_TEXT:
				if (v.type != jbvString)
					bad_type(caller, key, "a string", v.type);
				*(char **) spec->dest = pnstrdup(v.val.string.val, v.val.string.len);
				break;
			case OPTION_JSON:
				{
					Jsonb	   *sub = JsonbValueToJsonb(&v);

					*(char **) spec->dest = JsonbToCString(NULL, &sub->root, VARSIZE(sub));
					break;
				}
		}
	}
}

char *
options_to_json(const OptionSpec *specs, int nspecs)
{
	StringInfoData s;
	int			i;

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	for (i = 0; i < nspecs; i++)
	{
		const OptionSpec *o = &specs[i];

		if (i > 0)
			appendStringInfoString(&s, ", ");
		escape_json(&s, o->name);
		appendStringInfoString(&s, ": ");
		switch (o->type)
		{
			case OPTION_INT:
				appendStringInfo(&s, "%d", *(int *) o->dest);
				break;
			case OPTION_FLOAT:
				{
					double		d = *(double *) o->dest;

					if (isnan(d) || isinf(d))
						appendStringInfoString(&s, "null");
					else
					{
						char		buf[DOUBLE_SHORTEST_DECIMAL_LEN];

						/* the shortest text that reads back as d: 0.9, not 0.90000000000000002 */
						double_to_shortest_decimal_buf(d, buf);
						appendStringInfoString(&s, buf);
					}
					break;
				}
			case OPTION_BOOL:
				appendStringInfoString(&s, *(bool *) o->dest ? "true" : "false");
				break;
			case OPTION_TEXT:
				if (*(char **) o->dest)
					escape_json(&s, *(char **) o->dest);
				else
					appendStringInfoString(&s, "null");
				break;
			case OPTION_JSON:
				appendStringInfoString(&s, *(char **) o->dest ? *(char **) o->dest : "null");
				break;
		}
	}
	appendStringInfoChar(&s, '}');
	return s.data;
}

/*
 * Options in an aggregate's serialised state: int32 length (-1 for none),
 * then the options as JSON text.  Text rather than the jsonb bytes, because
 * PostgreSQL reads jsonb bytes without checking them: corrupted bytes would
 * make options_parse read outside the value.  The text is parsed again on
 * the receiving side, which checks it.
 */
void
options_send(StringInfo buf, const Jsonb *opts)
{
	char	   *text;
	int			len;

	if (opts == NULL)
	{
		pq_sendint32(buf, (uint32) -1);
		return;
	}
	text = JsonbToCString(NULL, (JsonbContainer *) &opts->root, VARSIZE(opts));
	len = strlen(text);
	pq_sendint32(buf, (uint32) len);
	pq_sendbytes(buf, text, len);
	pfree(text);
}

static void
options_corrupted(const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("the aggregate state of %s is corrupted", what),
			 errdetail("%s", detail)));
}

Jsonb *
options_receive(StringInfo buf, const char *what)
{
	int32		len = (int32) pq_getmsgint(buf, 4);
	char	   *text;
	Datum		result = (Datum) 0;
	MemoryContext cxt = CurrentMemoryContext;

	if (len == -1)
		return NULL;
	if (len < 0 || len > buf->len - buf->cursor)
		options_corrupted(what, "Its options do not fit its size.");
	text = palloc(len + 1);
	pq_copymsgbytes(buf, text, len);
	text[len] = '\0';
	if ((int) strlen(text) != len)
		options_corrupted(what, "Its options hold a zero byte.");
	PG_TRY();
	{
		result = DirectFunctionCall1(jsonb_in, CStringGetDatum(text));
	}
	PG_CATCH();
	{
		/* any parse error means the same: report it as corruption */
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		options_corrupted(what, "Its options are not valid JSON.");
	}
	PG_END_TRY();
	pfree(text);
	return DatumGetJsonbP(result);
}
