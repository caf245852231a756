/*
 * assoc_fuzz.c
 *	  Test-only module: feeds bytes to the deserialisers of aggregate states.
 *
 * An aggregate's deserial, combine and serial functions are only ever called
 * by the executor, inside an aggregate, on bytes that a worker serialised:
 * SQL cannot reach them.  This module calls them on any bytes, inside a
 * stand-in aggregate context, so that a fuzz test can check that corrupted
 * states end in a clean error and never in a crash.  It also reseals mutated
 * models (a correct checksum), so that mutations reach the model decoders.
 * It is not part of the extension and is installed only where the tests run.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_aggregate.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
#include "port/pg_crc32c.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

PG_MODULE_MAGIC;

/* A stand-in for the executor's aggregate node: enough for AggCheckCallContext. */
static AggState *
fake_agg_state(void)
{
	AggState   *agg = makeNode(AggState);
	ExprContext *econtext = makeNode(ExprContext);

	econtext->ecxt_per_tuple_memory =
		AllocSetContextCreate(CurrentMemoryContext, "assoc_fuzz aggregate", ALLOCSET_DEFAULT_SIZES);
	agg->curaggcontext = econtext;
	return agg;
}

/* Call fn(args) with the aggregate node as context; NULL arguments are allowed. */
static Datum
agg_call(Oid fn, AggState *agg, int nargs, Datum *args, bool *nulls, bool *isnull)
{
	FmgrInfo	flinfo;
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	Assert(nargs <= 2);
	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, nargs, InvalidOid, (Node *) agg, NULL);
	for (int i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = args[i];
		fcinfo->args[i].isnull = nulls[i];
		if (nulls[i] && flinfo.fn_strict)
		{
			*isnull = true;
			return (Datum) 0;
		}
	}
	result = FunctionCallInvoke(fcinfo);
	*isnull = fcinfo->isnull;
	return result;
}

/*
 * assoc_fuzz_state(aggregate regprocedure, state bytea, other bytea) RETURNS bytea
 *
 * Deserialises state with the aggregate's deserial function; if other is not
 * NULL, deserialises it too and combines the two (state first); then
 * serialises the result and returns it.  Errors of the aggregate's functions
 * propagate: that is what the fuzz test looks at.
 */
PG_FUNCTION_INFO_V1(assoc_fuzz_state);
Datum
assoc_fuzz_state(PG_FUNCTION_ARGS)
{
	Oid			aggfn = PG_GETARG_OID(0);
	HeapTuple	tup;
	Form_pg_aggregate form;
	Oid			serialfn,
				deserialfn,
				combinefn;
	AggState   *agg;
	Datum		args[2];
	bool		nulls[2];
	Datum		state;
	bool		state_null;
	Datum		result;
	bool		result_null;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();

	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggfn));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("function %u is not an aggregate", aggfn)));
	form = (Form_pg_aggregate) GETSTRUCT(tup);
	serialfn = form->aggserialfn;
	deserialfn = form->aggdeserialfn;
	combinefn = form->aggcombinefn;
	ReleaseSysCache(tup);
	if (!OidIsValid(deserialfn) || !OidIsValid(serialfn) || !OidIsValid(combinefn))
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						errmsg("aggregate %u has no serial, deserial and combine functions", aggfn)));

	agg = fake_agg_state();

	/* as the executor calls it: the second argument is a dummy, not NULL */
	args[0] = PG_GETARG_DATUM(1);
	nulls[0] = false;
	args[1] = (Datum) 0;
	nulls[1] = false;
	state = agg_call(deserialfn, agg, 2, args, nulls, &state_null);

	if (!PG_ARGISNULL(2))
	{
		Datum		other;
		bool		other_null;

		args[0] = PG_GETARG_DATUM(2);
		nulls[0] = false;
		args[1] = (Datum) 0;
		nulls[1] = false;
		other = agg_call(deserialfn, agg, 2, args, nulls, &other_null);
		args[0] = state;
		nulls[0] = state_null;
		args[1] = other;
		nulls[1] = other_null;
		state = agg_call(combinefn, agg, 2, args, nulls, &state_null);
	}

	args[0] = state;
	nulls[0] = state_null;
	result = agg_call(serialfn, agg, 1, args, nulls, &result_null);
	if (result_null)
		PG_RETURN_NULL();
	/* the serial form may live in the aggregate context: copy it out first */
	result = PointerGetDatum(PG_DETOAST_DATUM_COPY(result));
	MemoryContextDelete(agg->curaggcontext->ecxt_per_tuple_memory);
	PG_RETURN_DATUM(result);
}

static void
put_u32(unsigned char *p, uint32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/*
 * assoc_fuzz_reseal(model bytea, fix_length boolean) RETURNS bytea
 *
 * A copy of model with a correct CRC-32C (and, if asked, a payload length
 * that matches its size), as include/envelope.h defines them: big-endian
 * length at offset 20, CRC of bytes 0..27 and of the payload at 28.  Values
 * shorter than the 32-byte header are returned as they are.
 */
PG_FUNCTION_INFO_V1(assoc_fuzz_reseal);
Datum
assoc_fuzz_reseal(PG_FUNCTION_ARGS)
{
	bytea	   *m = PG_GETARG_BYTEA_P_COPY(0);
	bool		fix_length = PG_GETARG_BOOL(1);
	unsigned char *p = (unsigned char *) VARDATA(m);
	Size		len = VARSIZE(m) - VARHDRSZ;
	pg_crc32c	crc;

	if (len < 32)
		PG_RETURN_BYTEA_P(m);
	if (fix_length)
	{
		uint64		payload = len - 32;

		put_u32(p + 20, (uint32) (payload >> 32));
		put_u32(p + 24, (uint32) payload);
	}
	INIT_CRC32C(crc);
	COMP_CRC32C(crc, p, 28);
	COMP_CRC32C(crc, p + 32, len - 32);
	FIN_CRC32C(crc);
	put_u32(p + 28, crc);
	PG_RETURN_BYTEA_P(m);
}
