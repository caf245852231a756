/*
 * predict_sql.c
 *	  assoc.predict: scores a feature vector with a model of any kind that can
 *	  be scored, dispatching on the model's kind through the table below.
 *
 * The decoded model is kept per backend when it comes from a table (through
 * serve_model, so one request per statement does not decode it again) and
 * per call site otherwise: scoring a million rows with the same model
 * decodes it once.  A kind joins the table by
 * providing <kind>_decode and <kind>_score in its header (docs/CONTRACTS.md).
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#include "convnet.h"
#include "envelope.h"
#include "featvec.h"
#include "logistic.h"
#include "serve.h"

typedef double (*ModelScoreFn) (const void *decoded, const double *x, int n);
typedef const double *(*ModelInputFn) (const void *decoded, ArrayType *arr, int *n);

typedef struct Scorer
{
	ModelKind	kind;
	ModelDecodeFn decode;
	ModelScoreFn score;
	ModelInputFn input;			/* checks the features array; NULL: a flat vector */
} Scorer;

/* The kinds assoc.predict can score. */
static const Scorer scorers[] = {
	{MODEL_LOGISTIC, logistic_decode, logistic_score, NULL},
	{MODEL_CONVNET, convnet_decode, convnet_score, convnet_input},
};

typedef struct DecodedForScoring
{
	const Scorer *scorer;
	void	   *model;
} DecodedForScoring;

/* ModelDecodeFn for any kind: find its scorer, decode with it. */
static void *
decode_for_scoring(const ModelHeader *h, ModelReader *body)
{
	DecodedForScoring *d = palloc(sizeof(DecodedForScoring));
	int			i;

	d->scorer = NULL;
	for (i = 0; i < lengthof(scorers); i++)
		if (scorers[i].kind == h->kind)
			d->scorer = &scorers[i];
	if (d->scorer == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("assoc.predict cannot score a %s model", model_kind_name(h->kind)),
				 h->kind == MODEL_KMEANS ? errhint("Use assoc.predict_cluster for a k-means model.") :
				 errhint("Use the scoring function of that kind of model (see assoc.model_info).")));
	d->model = d->scorer->decode(h, body);
	return d;
}

/*
 * assoc.predict(model bytea, features float8[]) RETURNS float8
 *
 * The model's score for the features: for a classifier, the probability of
 * the positive class.
 */
PG_FUNCTION_INFO_V1(predict);
Datum
predict(PG_FUNCTION_ARGS)
{
	ModelHeader h;
	DecodedForScoring *d = serve_model(fcinfo, 0, MODEL_ANY, decode_for_scoring, &h);
	const double *x;
	int			n;

	if (d->scorer->input)
		x = d->scorer->input(d->model, PG_GETARG_ARRAYTYPE_P(1), &n);
	else
		x = featvec_get(PG_GETARG_ARRAYTYPE_P(1), &n, "features");
	PG_RETURN_FLOAT8(d->scorer->score(d->model, x, n));
}
