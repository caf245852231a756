/*
 * source.c
 *	  Running a caller's source query (see source.h).
 *
 * The query is prepared with SPI and checked before it runs: one statement,
 * a plain SELECT (no data-modifying WITH, no FOR UPDATE/SHARE, no SELECT
 * INTO), with the expected number of columns.  It then runs read-only, with
 * the privileges of the calling user, and every row goes straight from the
 * executor to the callback through a DestReceiver: nothing is materialised.
 * "Read-only" includes the functions the query calls: the transaction is
 * read-only while the query runs, so a function that writes fails with
 * SQLSTATE 25006 instead of writing behind the check above.
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "tcop/dest.h"
#include "utils/plancache.h"

#include "source.h"

typedef struct SourceReceiver
{
	DestReceiver pub;
	SourceStartFn start;
	SourceRowFn row;
	void	   *arg;
} SourceReceiver;

static bool
source_receive(TupleTableSlot *slot, DestReceiver *self)
{
	SourceReceiver *r = (SourceReceiver *) self;

	r->row(r->arg, slot);
	return true;
}

static void
source_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
source_shutdown(DestReceiver *self)
{
}

static void
source_destroy(DestReceiver *self)
{
}

typedef struct SourceErrorContext
{
	const char *caller;
} SourceErrorContext;

static void
source_error_callback(void *arg)
{
	SourceErrorContext *c = arg;

	errcontext("source query of %s", c->caller);
}

void
source_refuse_statements(int n)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("source must be a single query"),
			 errdetail("It holds %d statements.", n),
			 errhint("Pass one SELECT statement.")));
}

void
source_refuse_write(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("source query must be read-only"),
			 errdetail("Only a plain SELECT is accepted: no INSERT, UPDATE, DELETE, "
					   "data-modifying WITH, SELECT INTO or FOR UPDATE/SHARE."),
			 errhint("Select the rows to analyse, e.g. SELECT order_id, product_id FROM order_lines.")));
}

/* Refuse anything but one read-only SELECT. */
static void
check_read_only(SPIPlanPtr plan)
{
	List	   *sources = SPI_plan_get_plan_sources(plan);
	ListCell   *lc;

	if (list_length(sources) != 1)
		source_refuse_statements(list_length(sources));

	foreach(lc, sources)
	{
		CachedPlanSource *ps = (CachedPlanSource *) lfirst(lc);
		ListCell   *lq;

		foreach(lq, ps->query_list)
		{
			Query	   *q = lfirst_node(Query, lq);

			if (q->commandType != CMD_SELECT || q->utilityStmt != NULL ||
				q->hasModifyingCTE || q->rowMarks != NIL)
				source_refuse_write();
		}
	}
}

void
source_run(const char *query, int natts, const char *shape, const char *caller,
		   SourceStartFn start, SourceRowFn row, void *arg)
{
	SPIPlanPtr	plan;
	List	   *sources;
	CachedPlanSource *ps;
	SourceReceiver receiver;
	SPIExecuteOptions opts;
	ErrorContextCallback errcb;
	SourceErrorContext ctx;
	int			rc;
	bool		save_read_only;

	ctx.caller = caller;
	errcb.callback = source_error_callback;
	errcb.arg = &ctx;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));

	check_read_only(plan);
	sources = SPI_plan_get_plan_sources(plan);
	ps = (CachedPlanSource *) linitial(sources);
	if (ps->resultDesc == NULL || ps->resultDesc->natts != natts)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("source query must return exactly %d columns (%s)", natts, shape),
				 errdetail("It returns %d.", ps->resultDesc ? ps->resultDesc->natts : 0),
				 errhint("Write it as SELECT %s FROM ...", shape)));

	start(arg, ps->resultDesc);

	memset(&receiver, 0, sizeof(receiver));
	receiver.pub.receiveSlot = source_receive;
	receiver.pub.rStartup = source_startup;
	receiver.pub.rShutdown = source_shutdown;
	receiver.pub.rDestroy = source_destroy;
	receiver.pub.mydest = DestNone;
	receiver.start = start;
	receiver.row = row;
	receiver.arg = arg;

	memset(&opts, 0, sizeof(opts));
	opts.read_only = true;
	opts.dest = (DestReceiver *) &receiver;
	/*
	 * The check above sees only the top-level statement; a function called by
	 * the query could still write.  Run it as in a read-only transaction
	 * (temporary tables stay writable, as there), and restore the flag
	 * whatever happens.
	 */
	save_read_only = XactReadOnly;
	XactReadOnly = true;
	PG_TRY();
	{
		rc = SPI_execute_plan_extended(plan, &opts);
	}
	PG_FINALLY();
	{
		XactReadOnly = save_read_only;
	}
	PG_END_TRY();
	/* a SELECT whose rows go to a DestNone receiver reports SPI_OK_UTILITY */
	if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
		elog(ERROR, "source query failed: %s", SPI_result_code_string(rc));

	SPI_finish();
	error_context_stack = errcb.previous;
}
