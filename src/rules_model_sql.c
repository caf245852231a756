/*
 * rules_model_sql.c
 *	  The SQL face of the rules model: assoc.train_rules (from a source query
 *	  or an assoc.baskets value) and assoc.recommend_for_cart.
 *
 * Training chains the mining kernels as assoc.rules does (basket reader,
 * builder, Eclat miner, rule generation with one-item consequents), then
 * renumbers items by label and writes the model (cartindex.c).  All work
 * happens in one memory context bounded by assoc.mining_mem.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "assoc.h"
#include "basket_reader.h"
#include "basket_state.h"
#include "baskets.h"
#include "budget.h"
#include "cartindex.h"
#include "measures.h"
#include "miner.h"
#include "options.h"
#include "rulegen.h"
#include "serve.h"
#include "sortutil.h"

#define RULES_HINT "Raise min_support or min_confidence, set max_len, or raise assoc.mining_mem."

/* Rules gathered from generate_rules, in miner codes. */
typedef struct RulesCollect
{
	MemBudget  *budget;
	RulesBuild *rb;
	Size		ante_cap;
	uint32		rule_cap;
	double		min_lift;
	uint64		nbaskets;
} RulesCollect;

static void
collect_rule(void *arg, const uint32 *ante, int nante, const uint32 *cons, int ncons,
			 uint32 count_ac, uint32 count_a, uint32 count_c)
{
	RulesCollect *c = arg;
	RulesBuild *rb = c->rb;
	RuleMeasures m;

	Assert(ncons == 1);
	rule_measures(c->nbaskets, count_ac, count_a, count_c, &m);
	if (m.lift < c->min_lift)
		return;
	if (rb->nrules == c->rule_cap)
	{
		uint32		cap = c->rule_cap == 0 ? 1024 : c->rule_cap * 2;

		if (c->rule_cap >= PG_UINT32_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many rules for a rules model"),
					 errhint(RULES_HINT)));
		rb->cons = budget_realloc(c->budget, rb->cons, sizeof(uint32) * c->rule_cap, sizeof(uint32) * cap);
		rb->count_ac = budget_realloc(c->budget, rb->count_ac, sizeof(uint32) * c->rule_cap, sizeof(uint32) * cap);
		rb->count_a = budget_realloc(c->budget, rb->count_a, sizeof(uint32) * c->rule_cap, sizeof(uint32) * cap);
		rb->ante_start = budget_realloc(c->budget, rb->ante_start, sizeof(Size) * (c->rule_cap + 1),
										sizeof(Size) * (cap + 1));
		c->rule_cap = cap;
	}
	if (rb->ante_start[rb->nrules] + nante > c->ante_cap)
	{
		Size		cap = Max(c->ante_cap * 2, 4096);

		rb->ante = budget_realloc(c->budget, rb->ante, budget_mul(c->ante_cap, sizeof(uint32)),
								  budget_mul(cap, sizeof(uint32)));
		c->ante_cap = cap;
	}
	memcpy(rb->ante + rb->ante_start[rb->nrules], ante, sizeof(uint32) * nante);
	rb->cons[rb->nrules] = cons[0];
	rb->count_ac[rb->nrules] = count_ac;
	rb->count_a[rb->nrules] = count_a;
	rb->ante_start[rb->nrules + 1] = rb->ante_start[rb->nrules] + nante;
	rb->nrules++;
}

/* Order of miner codes by label bytes. */
static int
code_label_cmp(const void *x, const void *y, void *arg)
{
	const RulesBuild *rb = arg;
	uint32		a = *(const uint32 *) x;
	uint32		b = *(const uint32 *) y;
	int			c = memcmp(rb->label[a], rb->label[b], Min(rb->label_len[a], rb->label_len[b]));

	if (c != 0)
		return c;
	return (rb->label_len[a] > rb->label_len[b]) - (rb->label_len[a] < rb->label_len[b]);
}

/*
 * Renumber the frequent items of res by label (in place in rb): labels, counts,
 * antecedents (re-sorted) and consequents.
 */
static void
renumber_by_label(RulesBuild *rb, const Dict *dict, const TransDB *db, const MinerResult *res,
				  MemBudget *budget)
{
	uint32		n = res->nfreq;
	uint32	   *order = budget_alloc(budget, sizeof(uint32) * Max(n, 1));
	uint32	   *newcode = budget_alloc(budget, sizeof(uint32) * Max(n, 1));
	const char **label = budget_alloc(budget, sizeof(char *) * Max(n, 1));
	uint32	   *len = budget_alloc(budget, sizeof(uint32) * Max(n, 1));
	uint32	   *count = budget_alloc(budget, sizeof(uint32) * Max(n, 1));
	uint32		c;
	uint32		r;

	for (c = 0; c < n; c++)
	{
		uint32		id = res->code_item[c];

		if (dict->kind == DICT_INT)
		{
			char		buf[32];

			snprintf(buf, sizeof(buf), INT64_FORMAT, dict->ivals[id]);
			len[c] = strlen(buf);
			label[c] = pstrdup(buf);
		}
		else
			label[c] = dict_bytes(dict, id, &len[c]);
		count[c] = db->item_count[id];
		order[c] = c;
	}
	rb->label = label;
	rb->label_len = len;
	qsort_arg(order, n, sizeof(uint32), code_label_cmp, rb);

	rb->nitems = n;
	rb->label = budget_alloc(budget, sizeof(char *) * Max(n, 1));
	rb->label_len = budget_alloc(budget, sizeof(uint32) * Max(n, 1));
	rb->item_count = budget_alloc(budget, sizeof(uint32) * Max(n, 1));
	for (c = 0; c < n; c++)
	{
		newcode[order[c]] = c;
		rb->label[c] = label[order[c]];
		rb->label_len[c] = len[order[c]];
		rb->item_count[c] = count[order[c]];
	}
	for (r = 0; r < rb->nrules; r++)
	{
		uint32	   *a = rb->ante + rb->ante_start[r];
		Size		k,
					na = rb->ante_start[r + 1] - rb->ante_start[r];

		for (k = 0; k < na; k++)
			a[k] = newcode[a[k]];
		sort_uint32(a, na);
		rb->cons[r] = newcode[rb->cons[r]];
	}
}

static bytea *
train_rules_common(FunctionCallInfo fcinfo, bool from_source)
{
	double		min_support;
	double		min_confidence;
	int			max_len = 0;
	double		min_lift = 0;
	OptionSpec	specs[] = {
		{"min_lift", OPTION_FLOAT, &min_lift, 0, 1e300},
	};
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext cxt;
	MemBudget	budget;
	BasketBuilder scratch;
	const BasketBuilder *b;
	TransDB		db;
	MinerParams mp;
	MinerResult res;
	Threshold	t;
	RulesBuild	rb;
	RulesCollect collect;
	ModelWriter w;
	ModelMeta	meta;
	StringInfoData params;
	StringInfoData info;
	bytea	   *result;

	serve_arg_not_null(fcinfo, 0, from_source ? "source" : "baskets");
	serve_arg_not_null(fcinfo, 1, "min_support");
	serve_arg_not_null(fcinfo, 2, "min_confidence");
	min_support = PG_GETARG_FLOAT8(1);
	min_confidence = PG_GETARG_FLOAT8(2);
	if (isnan(min_support) || min_support <= 0 || min_support > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_support must be greater than 0 and at most 1"),
				 errdetail("min_support is %g.", min_support),
				 errhint("Give the fraction of baskets, e.g. 0.01 for 1%%.")));
	if (isnan(min_confidence) || min_confidence < 0 || min_confidence > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_confidence must be between 0 and 1"),
				 errdetail("min_confidence is %g.", min_confidence)));
	if (!PG_ARGISNULL(3))
	{
		max_len = PG_GETARG_INT32(3);
		if (max_len < 2 || max_len > 256)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("max_len must be between 2 and 256"),
					 errdetail("max_len is %d.", max_len),
					 errhint("A rule needs an itemset of at least two items; use NULL for no bound.")));
	}
	options_parse(PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4), specs, lengthof(specs),
				  "assoc.train_rules");

	cxt = AllocSetContextCreate(CurrentMemoryContext, "assoc rules model", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	budget_init(&budget, "building a rules model", RULES_HINT);
	if (from_source)
	{
		read_source_baskets(text_to_cstring(PG_GETARG_TEXT_PP(0)), "assoc.train_rules",
							&scratch, &budget);
		b = &scratch;
	}
	else
		b = baskets_open(PG_GETARG_DATUM(0), &scratch, &budget);
	builder_finish(b, &db, &budget);
	if (db.ntrans == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("assoc.train_rules needs at least one basket"),
				 errdetail("The source gave no (basket, item) rows without NULLs.")));

	/* mine, as assoc.rules does */
	threshold_from_double(min_support, &t);
	mp.min_count = (uint32) threshold_ceil(&t, db.ntrans);
	mp.max_len = max_len;
	mp.pair_table = assoc_pair_table;
	{
		uint32	   *item_rank = budget_alloc(&budget, sizeof(uint32) * Max(db.nitems, 1));

		dict_ranks(&b->items, item_rank);
		mine_itemsets(&db, item_rank, &mp, &budget, &res);
	}

	memset(&rb, 0, sizeof(rb));
	memset(&collect, 0, sizeof(collect));
	rb.nbaskets = db.ntrans;
	rb.ante_start = budget_alloc0(&budget, sizeof(Size));
	collect.budget = &budget;
	collect.rb = &rb;
	collect.min_lift = min_lift;
	collect.nbaskets = db.ntrans;
	{
		RuleParams rp;

		threshold_from_double(min_confidence, &rp.min_confidence);
		rp.max_consequent = 1;
		store_build_index(&res.sets);
		generate_rules(&res.sets, &rp, &budget, collect_rule, &collect);
	}
	renumber_by_label(&rb, &b->items, &db, &res, &budget);

	initStringInfo(&params);
	{
		char		sup[DOUBLE_SHORTEST_DECIMAL_LEN];
		char		conf[DOUBLE_SHORTEST_DECIMAL_LEN];
		char		lift[DOUBLE_SHORTEST_DECIMAL_LEN];

		double_to_shortest_decimal_buf(min_support, sup);
		double_to_shortest_decimal_buf(min_confidence, conf);
		double_to_shortest_decimal_buf(min_lift, lift);
		appendStringInfo(&params, "{\"min_support\": %s, \"min_confidence\": %s, \"max_len\": ",
						 sup, conf);
		if (max_len > 0)
			appendStringInfo(&params, "%d", max_len);
		else
			appendStringInfoString(&params, "null");
		appendStringInfo(&params, ", \"min_lift\": %s}", lift);
	}
	initStringInfo(&info);
	{
		int			maxa = 0;
		uint32		r;

		for (r = 0; r < rb.nrules; r++)
			maxa = Max(maxa, (int) (rb.ante_start[r + 1] - rb.ante_start[r]));
		appendStringInfo(&info, "{\"baskets\": %u, \"items\": %u, \"rules\": %u, \"max_antecedent\": %d, "
						 "\"min_count\": %u}",
						 db.ntrans, rb.nitems, rb.nrules, maxa, mp.min_count);
	}
	meta.created_at = 0;
	meta.training_rows = b->npairs;
	meta.loss = get_float8_nan();
	meta.params_json = params.data;
	meta.info_json = info.data;

	/* the model itself is allocated in the caller's context */
	MemoryContextSwitchTo(caller);
	model_begin(&w, MODEL_RULES, rb.nitems, rb.nrules, &meta);
	MemoryContextSwitchTo(cxt);
	rules_write(&w, &rb);
	MemoryContextSwitchTo(caller);
	result = model_finish(&w);
	MemoryContextDelete(cxt);
	return result;
}

/*
 * assoc.train_rules(source text, min_support, min_confidence, max_len, options)
 */
PG_FUNCTION_INFO_V1(train_rules_source);
Datum
train_rules_source(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(train_rules_common(fcinfo, true));
}

/*
 * assoc.train_rules(baskets assoc.baskets, min_support, min_confidence, max_len, options)
 */
PG_FUNCTION_INFO_V1(train_rules_baskets);
Datum
train_rules_baskets(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(train_rules_common(fcinfo, false));
}

/* ---------- recommendation ---------- */

/*
 * Codes of the known, non-NULL labels of a text[]; with mark, set
 * mark[code].  Returns the number of codes written to out (may be NULL).
 */
static int
array_codes(const CartIndex *ix, ArrayType *arr, uint32 *out, bool *mark)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i,
				m = 0;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		text	   *t;
		int64		code;

		if (nulls[i])
			continue;
		t = DatumGetTextPP(elems[i]);
		code = cart_find_item(ix, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
		if (code < 0)
			continue;
		if (out)
			out[m] = (uint32) code;
		m++;
		if (mark)
			mark[code] = true;
	}
	return m;
}

static Datum
label_text(const CartIndex *ix, uint32 code)
{
	return PointerGetDatum(cstring_to_text_with_len(ix->labels + ix->label_off[code],
													ix->label_len[code]));
}

/*
 * assoc.recommend_for_cart(model bytea, cart text[], k int, exclude text[], fill boolean)
 *	RETURNS TABLE(item text, score float8, confidence float8, lift float8, antecedent text[])
 *
 * Rows come best first.  Cart items the model does not know, and NULL
 * elements, are ignored.
 */
PG_FUNCTION_INFO_V1(recommend_for_cart);
Datum
recommend_for_cart(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const CartIndex *ix;
	ModelHeader h;
	ArrayType  *cart;
	uint32	   *codes;
	bool	   *skip;
	CartHit    *hits;
	int			k,
				ncart,
				nhits,
				i;
	bool		fill;

	serve_arg_not_null(fcinfo, 0, "model");
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("cart must not be null"),
				 errhint("Pass '{}' for an empty cart, e.g. coalesce(cart, '{}').")));
	k = serve_read_k(fcinfo, 2);
	serve_arg_not_null(fcinfo, 4, "fill");
	fill = PG_GETARG_BOOL(4);

	ix = serve_model(fcinfo, 0, MODEL_RULES, rules_decode, &h);
	InitMaterializedSRF(fcinfo, 0);
	if (ix->nitems == 0)
		return (Datum) 0;

	cart = PG_GETARG_ARRAYTYPE_P(1);
	codes = palloc(sizeof(uint32) * Max(ArrayGetNItems(ARR_NDIM(cart), ARR_DIMS(cart)), 1));
	skip = palloc0(sizeof(bool) * ix->nitems);
	ncart = array_codes(ix, cart, codes, skip);
	sort_uint32(codes, ncart);
	{
		int			m = 0;

		for (i = 0; i < ncart; i++)
			if (m == 0 || codes[m - 1] != codes[i])
				codes[m++] = codes[i];
		ncart = m;
	}
	if (!PG_ARGISNULL(3))
		(void) array_codes(ix, PG_GETARG_ARRAYTYPE_P(3), NULL, skip);

	hits = palloc(sizeof(CartHit) * Min((uint32) k, ix->nitems));
	nhits = cart_recommend(ix, codes, ncart, skip, k, fill, hits);

	for (i = 0; i < nhits; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};
		Datum	   *ante;
		int			na = 0;

		values[0] = label_text(ix, hits[i].item);
		values[1] = Float8GetDatum(hits[i].confidence);
		values[2] = Float8GetDatum(hits[i].confidence);
		values[3] = Float8GetDatum(hits[i].lift);
		if (hits[i].rule >= 0)
		{
			Size		s = ix->ante_start[hits[i].rule];
			Size		e = ix->ante_start[hits[i].rule + 1];

			na = (int) (e - s);
			ante = palloc(sizeof(Datum) * na);
			for (; s < e; s++)
				ante[s - ix->ante_start[hits[i].rule]] = label_text(ix, ix->ante[s]);
		}
		else
			ante = NULL;
		values[4] = PointerGetDatum(construct_array(ante, na, TEXTOID, -1, false, TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
