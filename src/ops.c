/*
 * ops.c
 *	  Glue for the operations area (sql/install/0.2.0/70_ops.sql): what the
 *	  retrain procedure cannot do in SQL.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/builtins.h"

#include "source.h"

/*
 * assoc.retrain_nonatomic() RETURNS boolean
 *
 * True when the calling PL/pgSQL procedure runs in a non-atomic context
 * (CALL as a statement of its own, outside a transaction block), where it
 * may COMMIT; false inside a transaction block or a function.  Called from
 * the procedure, the current SPI connection is the procedure's own, so its
 * atomic flag is exactly what decides whether COMMIT is allowed.
 */
PG_FUNCTION_INFO_V1(retrain_nonatomic);
Datum
retrain_nonatomic(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(SPI_inside_nonatomic_context());
}

/* True if a WITH clause holds a data-modifying statement. */
static bool
with_modifies(WithClause *with)
{
	ListCell   *lc;

	if (with == NULL)
		return false;
	foreach(lc, with->ctes)
	{
		CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

		if (!IsA(cte->ctequery, SelectStmt))
			return true;
	}
	return false;
}

/*
 * assoc.retrain_subquery(source text) RETURNS text
 *
 * The source query of a training spec as a parenthesised subquery, so that
 * assoc.retrain can select from it.  The source is parsed (not analysed, so
 * no table need exist yet): it must be exactly one plain SELECT, the same rule
 * as for every other source query of assoc.  Only that statement's text is
 * kept: a trailing semicolon or comment cannot break the query built around
 * it, and nothing can close the parenthesis early.
 */
PG_FUNCTION_INFO_V1(retrain_subquery);
Datum
retrain_subquery(PG_FUNCTION_ARGS)
{
	char	   *source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	List	   *stmts = raw_parser(source, RAW_PARSE_DEFAULT);
	RawStmt    *raw;
	SelectStmt *select;
	int			len;
	StringInfoData sql;

	if (list_length(stmts) != 1)
		source_refuse_statements(list_length(stmts));
	raw = linitial_node(RawStmt, stmts);
	if (!IsA(raw->stmt, SelectStmt))
		source_refuse_write();
	select = (SelectStmt *) raw->stmt;
	if (select->intoClause != NULL || select->lockingClause != NIL ||
		with_modifies(select->withClause))
		source_refuse_write();

	len = raw->stmt_len > 0 ? raw->stmt_len : (int) strlen(source) - raw->stmt_location;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "(\n");
	appendBinaryStringInfo(&sql, source + raw->stmt_location, len);
	appendStringInfoString(&sql, "\n)");
	PG_RETURN_TEXT_P(cstring_to_text_with_len(sql.data, sql.len));
}
