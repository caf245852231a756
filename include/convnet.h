/*
 * convnet.h
 *	  A small 1-D convolutional network for binary classification of fixed
 *	  length sequences (steps x features): the kernel of assoc.train_convnet
 *	  and assoc.predict_convnet.
 *
 * The kernel (src/convnet.c) is plain C over arrays: it knows nothing of
 * Datums.  Layers: Conv1D (stride 1, 'valid' padding), MaxPool1D (stride =
 * pool, floor on odd lengths), Flatten, Dense, Dropout.  The last layer is
 * always Dense with one unit and a sigmoid: the network outputs a logit, the
 * loss is binary cross-entropy on it, and scoring applies the sigmoid.
 * Forward and backward passes are im2col + blas_dgemm in double precision.
 *
 * An example is steps * features doubles, step-major: x[t * features + f]
 * (the element order of a 2-D PostgreSQL array float8[steps][features]).
 */
#ifndef ASSOC_CONVNET_H
#define ASSOC_CONVNET_H

#include "postgres.h"

#include "budget.h"
#include "utils/array.h"

#include "envelope.h"

#define CONVNET_MAX_LAYERS 32
#define CONVNET_MAX_WIDTH 4096		/* filters of a conv1d, units of a dense */
#define CONVNET_MAX_INPUT 1000000	/* steps * features */
#define CONVNET_MAX_PARAMS 50000000 /* weights and biases of one network */

typedef enum ConvLayerType
{
	CONV_LAYER_CONV1D = 1,
	CONV_LAYER_MAXPOOL1D = 2,
	CONV_LAYER_FLATTEN = 3,
	CONV_LAYER_DENSE = 4,
	CONV_LAYER_DROPOUT = 5
} ConvLayerType;

typedef enum ConvActivation
{
	CONV_ACT_LINEAR = 0,
	CONV_ACT_RELU = 1,
	CONV_ACT_SIGMOID = 2
} ConvActivation;

typedef struct ConvLayer
{
	/* the specification */
	ConvLayerType type;
	ConvActivation act;			/* conv1d, dense */
	int			size;			/* filters (conv1d), pool (maxpool1d), units (dense) */
	int			kernel;			/* conv1d */
	double		rate;			/* dropout */

	/* filled by convnet_plan: shapes are (length, channels) per example */
	int			in_len,
				in_ch,
				out_len,
				out_ch;
	Size		nweights;		/* weights (conv1d: kernel*in_ch x filters; dense: in x units) */
	Size		nbias;
	Size		woff;			/* offsets in ConvNet.params */
	Size		boff;
} ConvLayer;

typedef struct ConvNet
{
	int			steps;
	int			features;
	int			nlayers;
	ConvLayer	layers[CONVNET_MAX_LAYERS];
	Size		nparams;
	double	   *params;			/* every weight and bias, layer by layer */
	double	   *mean;			/* per feature, subtracted before the first layer; NULL: none */
	double	   *scale;			/* per feature, multiplied after the mean; NULL with mean */
	double		flops_forward;	/* floating point operations of one example's forward pass */
	double		flops_train;	/* forward + backward of one example */
} ConvNet;

/* Training examples, read only: n rows of rowlen doubles and a label each, in chunks. */
typedef struct ConvData
{
	int64		n;
	int			rowlen;
	int64		per_chunk;		/* rows per chunk */
	double	  **x;				/* x[c] holds rows c*per_chunk ... */
	bool	  **y;
} ConvData;

static inline const double *
convdata_row(const ConvData *d, int64 i, bool *label)
{
	int64		c = i / d->per_chunk;
	int64		r = i % d->per_chunk;

	*label = d->y[c][r];
	return d->x[c] + r * d->rowlen;
}

typedef struct ConvTrainConfig
{
	int			epochs;
	int			batch_size;
	int			patience;		/* epochs without improvement before stopping; 0: never stop early */
	double		learning_rate;
	double		beta1;
	double		beta2;
	double		epsilon;
	double		l2;				/* 0.5 * l2 * sum of squared weights (not biases) added to the loss */
	double		validation_fraction;
	double		min_delta;		/* an improvement of the validation loss must exceed this */
	int64		seed;
	bool		standardize;
} ConvTrainConfig;

typedef struct ConvHistory
{
	int			epochs_run;
	int			best_epoch;		/* 1-based epoch whose weights were kept */
	bool		stopped_early;
	int64		n_train;
	int64		n_val;
	int64		n_train_pos;
	int64		n_val_pos;
	double	   *loss;			/* per epoch: mean training loss over the epoch's batches */
	double	   *accuracy;
	double	   *val_loss;		/* NaN without validation */
	double	   *val_accuracy;
	double		final_loss;		/* validation loss of the kept weights (training loss without validation) */
	Size		peak_memory;	/* bytes charged to the budget at most */
} ConvHistory;

/* Called after every epoch (e.g. to print it); may be NULL. */
typedef void (*ConvEpochReport) (int epoch, int epochs, const ConvHistory *h);

/* Names for messages and model_info ("conv1d", "relu", ...). */
extern const char *convnet_layer_name(ConvLayerType t);
extern const char *convnet_activation_name(ConvActivation a);

/*
 * Compute every layer's shapes and parameter offsets, net->nparams and the
 * FLOP counts from the specification in net->layers.  Returns NULL when the
 * network fits its input, otherwise a palloc'd message naming the first layer
 * that does not (1-based number in *badlayer, 0 for the input or the whole).
 */
extern char *convnet_plan(ConvNet *net, int *badlayer);

/* A shape description "12 x 16 -> conv1d 10 x 64 -> ..." (palloc'd). */
extern char *convnet_shapes(const ConvNet *net);

/* Allocate net->params and draw He (ReLU) or Glorot (else) weights; biases 0. */
extern void convnet_init_params(ConvNet *net, uint64 seed, MemBudget *budget);

/*
 * Train net (planned) on data with Adam.  The examples are first put in a
 * canonical order (by content), so the result depends on the set of rows and
 * the seed, not on the order the rows arrived in.  Memory is charged to
 * budget; errors: ERROR when the budget is exceeded, the loss diverges, or
 * the training part of the split holds only one class.
 */
extern void convnet_train(ConvNet *net, const ConvData *data, const ConvTrainConfig *cfg,
						  MemBudget *budget, ConvHistory *hist, ConvEpochReport report);

/* One row of a gradient check: a block of parameters (or the input) of one layer. */
typedef struct ConvGradCheck
{
	int			layer;			/* 1-based; 0 for the input */
	const char *part;			/* "weights", "bias", "input" */
	int64		count;			/* number of values compared */
	double		max_abs_error;
	double		rel_error;		/* ||analytic - numeric|| / max(||analytic||, ||numeric||) */
} ConvGradCheck;

/*
 * Compare the analytic gradient of the mean BCE loss (plus the l2 term) on a
 * random batch with central differences of step h, for every parameter and
 * every input value of a net with freshly initialised weights (dropout masks
 * held fixed).  out must have room for 2 * nlayers + 1 rows; returns the
 * number of rows written.
 */
extern int	convnet_gradient_check(ConvNet *net, int batch, uint64 seed, double h, double l2,
								   ConvGradCheck *out);

/* Write the body of a MODEL_CONVNET envelope (after model_begin). */
extern void convnet_write_body(ModelWriter *w, const ConvNet *net);

/* ModelDecodeFn of MODEL_CONVNET: a ready-to-score network (checks the body). */
extern void *convnet_decode(const ModelHeader *h, ModelReader *body);

/*
 * Probability of the positive class for one example x of n values (n must be
 * steps * features of the model; every value finite), from a decoded model.
 */
extern double convnet_score(const void *decoded, const double *x, int n);

/* Steps and features of a decoded model. */
extern void convnet_input_shape(const void *decoded, int *steps, int *features);

/* Check the features array given to assoc.predict and return its values (convnet_sql.c). */
extern const double *convnet_input(const void *decoded, ArrayType *arr, int *n);

#endif							/* ASSOC_CONVNET_H */
