/*
 * convnet.c
 *	  Kernel of the 1-D convolutional network (see convnet.h): shapes, weight
 *	  initialisation, forward and backward passes (im2col + blas_dgemm),
 *	  binary cross-entropy, Adam, mini-batch training with a seeded validation
 *	  split and early stopping, the gradient check, and the model body.
 *
 * Plain C over arrays: no Datums.  Data-dependent memory is charged to a
 * MemBudget; long loops call CHECK_FOR_INTERRUPTS().
 *
 * Layout of activations: a batch of B examples, each (length x channels)
 * row-major, one after the other.  A conv1d layer with kernel k over C input
 * channels sees, for output step t, the k*C contiguous values starting at
 * step t: im2col copies these windows into the rows of a (B*Lout) x (k*C)
 * matrix, so the layer is one GEMM with its (k*C) x filters weight matrix.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "utils/float.h"
#include "utils/memutils.h"

#include "blas.h"
#include "convnet.h"

#define CONVNET_BODY_VERSION 1
#define CONVNET_MAX_ACT 16777216	/* values of one example's activation or im2col row set */

/* ---------- names ---------- */

const char *
convnet_layer_name(ConvLayerType t)
{
	switch (t)
	{
		case CONV_LAYER_CONV1D:
			return "conv1d";
		case CONV_LAYER_MAXPOOL1D:
			return "maxpool1d";
		case CONV_LAYER_FLATTEN:
			return "flatten";
		case CONV_LAYER_DENSE:
			return "dense";
		case CONV_LAYER_DROPOUT:
			return "dropout";
	}
	return "?";
}

const char *
convnet_activation_name(ConvActivation a)
{
	switch (a)
	{
		case CONV_ACT_LINEAR:
			return "linear";
		case CONV_ACT_RELU:
			return "relu";
		case CONV_ACT_SIGMOID:
			return "sigmoid";
	}
	return "?";
}

/* ---------- shapes ---------- */

/*
 * See convnet.h.  Every layer's input and output shape, weight counts and
 * offsets; FLOPs count multiply-adds of the GEMMs as two operations.
 */
char *
convnet_plan(ConvNet *net, int *badlayer)
{
	int			len = net->steps;
	int			ch = net->features;
	Size		off = 0;
	double		fwd = 0,
				bwd = 0;
	int			l;

	*badlayer = 0;
	if (net->steps < 1 || net->features < 1 ||
		(int64) net->steps * net->features > CONVNET_MAX_INPUT)
		return psprintf("the input must have at least 1 step and 1 feature and at most %d values",
						CONVNET_MAX_INPUT);
	if (net->nlayers < 1)
		return pstrdup("the network has no layers");
	if (net->nlayers > CONVNET_MAX_LAYERS)
		return psprintf("the network has more than %d layers", CONVNET_MAX_LAYERS);

	for (l = 0; l < net->nlayers; l++)
	{
		ConvLayer  *L = &net->layers[l];
		const char *name = convnet_layer_name(L->type);
		int64		kc;

		*badlayer = l + 1;
		L->in_len = len;
		L->in_ch = ch;
		L->nweights = 0;
		L->nbias = 0;
		switch (L->type)
		{
			case CONV_LAYER_CONV1D:
				if (L->size < 1 || L->size > CONVNET_MAX_WIDTH || L->kernel < 1)
					return psprintf("layer %d (%s) has an invalid size", l + 1, name);
				if (L->kernel > len)
					return psprintf("layer %d (%s): kernel %d is longer than its input of %d step%s",
									l + 1, name, L->kernel, len, len == 1 ? "" : "s");
				kc = (int64) L->kernel * ch;
				if (kc > CONVNET_MAX_ACT)
					return psprintf("layer %d (%s): kernel x channels is larger than %d",
									l + 1, name, CONVNET_MAX_ACT);
				L->out_len = len - L->kernel + 1;
				L->out_ch = L->size;
				L->nweights = (Size) kc * L->size;
				L->nbias = L->size;
				fwd += 2.0 * L->out_len * kc * L->size;
				bwd += 2.0 * L->out_len * kc * L->size * (l > 0 ? 2 : 1);
				break;
			case CONV_LAYER_MAXPOOL1D:
				if (L->size < 1)
					return psprintf("layer %d (%s) has an invalid size", l + 1, name);
				if (L->size > len)
					return psprintf("layer %d (%s): pool %d is longer than its input of %d step%s",
									l + 1, name, L->size, len, len == 1 ? "" : "s");
				L->out_len = len / L->size;
				L->out_ch = ch;
				break;
			case CONV_LAYER_FLATTEN:
				L->out_len = 1;
				L->out_ch = len * ch;
				break;
			case CONV_LAYER_DENSE:
				if (L->size < 1 || L->size > CONVNET_MAX_WIDTH)
					return psprintf("layer %d (%s) has an invalid size", l + 1, name);
				if (len != 1)
					return psprintf("layer %d (%s) needs a flat input but gets %d steps of %d channels",
									l + 1, name, len, ch);
				L->out_len = 1;
				L->out_ch = L->size;
				L->nweights = (Size) ch * L->size;
				L->nbias = L->size;
				fwd += 2.0 * ch * L->size;
				bwd += 2.0 * ch * L->size * (l > 0 ? 2 : 1);
				break;
			case CONV_LAYER_DROPOUT:
				if (!(L->rate >= 0 && L->rate < 1))
					return psprintf("layer %d (%s): rate must be at least 0 and below 1", l + 1, name);
				L->out_len = len;
				L->out_ch = ch;
				break;
			default:
				return psprintf("layer %d has an unknown type", l + 1);
		}
		if ((int64) L->out_len * L->out_ch > CONVNET_MAX_ACT)
			return psprintf("layer %d (%s): its output has more than %d values per example",
							l + 1, name, CONVNET_MAX_ACT);
		L->woff = off;
		off += L->nweights;
		L->boff = off;
		off += L->nbias;
		if (off > CONVNET_MAX_PARAMS)
			return psprintf("layer %d (%s): the network has more than %d parameters",
							l + 1, name, CONVNET_MAX_PARAMS);
		len = L->out_len;
		ch = L->out_ch;
	}
	l = net->nlayers - 1;
	if (net->layers[l].type != CONV_LAYER_DENSE || net->layers[l].size != 1 ||
		net->layers[l].act != CONV_ACT_SIGMOID)
	{
		*badlayer = l + 1;
		return psprintf("layer %d (%s) is the last layer: it must be dense with 1 unit and sigmoid activation",
						l + 1, convnet_layer_name(net->layers[l].type));
	}
	*badlayer = 0;
	net->nparams = off;
	net->flops_forward = fwd;
	net->flops_train = fwd + bwd;
	return NULL;
}

char *
convnet_shapes(const ConvNet *net)
{
	StringInfoData s;
	int			l;

	initStringInfo(&s);
	appendStringInfo(&s, "input %d x %d", net->steps, net->features);
	for (l = 0; l < net->nlayers; l++)
	{
		const ConvLayer *L = &net->layers[l];

		if (L->out_len == 0)
		{
			/* the layer that does not fit */
			appendStringInfo(&s, " -> %d %s ?", l + 1, convnet_layer_name(L->type));
			break;
		}
		appendStringInfo(&s, " -> %d %s %d x %d", l + 1, convnet_layer_name(L->type),
						 L->out_len, L->out_ch);
	}
	return s.data;
}

/* ---------- memory ---------- */

/* n elements of elsize bytes, charged to b (or plain palloc when b is NULL), zeroed. */
static void *
alloc0(MemBudget *b, Size n, Size elsize)
{
	Size		sz = budget_mul(n, elsize);

	if (sz == 0)
		sz = 1;
	if (b)
		return budget_alloc0(b, sz);
	return MemoryContextAllocExtended(CurrentMemoryContext, sz, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
}

/* Buffers for one batch (see forward and backward). */
typedef struct ConvWork
{
	int			cap;			/* examples per batch at most */
	double	   *in;				/* cap x steps*features: the (standardised) batch */
	bool	   *lab;			/* labels of the batch */
	double	   *buf[CONVNET_MAX_LAYERS];	/* outputs of conv1d, maxpool1d, dense, dropout */
	double	   *out[CONVNET_MAX_LAYERS];	/* each layer's output in the last forward */
	double	   *col[CONVNET_MAX_LAYERS];	/* im2col of each conv1d's input */
	int		   *arg[CONVNET_MAX_LAYERS];	/* maxpool1d: index of the maximum */
	double	   *mask[CONVNET_MAX_LAYERS];	/* dropout: 0 or 1 / (1 - rate) */
	double	   *d[2];			/* gradients flowing backward (ping-pong) */
	double	   *dcol;			/* gradient by a conv1d's im2col */
	double	   *grad;			/* gradient by every parameter */
	double	   *dinput;			/* gradient by the input (gradient check), or NULL */
	bool		fixed_masks;	/* reuse the dropout masks (gradient check) */
} ConvWork;

/*
 * Buffers for batches of up to cap examples; with backward, also those of
 * the backward pass (and of the input gradient with dinput).
 */
static ConvWork *
work_create(const ConvNet *net, int cap, MemBudget *b, bool backward, bool dinput)
{
	ConvWork   *w = alloc0(b, 1, sizeof(ConvWork));
	Size		insz = (Size) net->steps * net->features;
	Size		maxsz = insz;
	Size		maxcol = 0;
	int			l;

	w->cap = cap;
	for (l = 0; l < net->nlayers; l++)
	{
		const ConvLayer *L = &net->layers[l];

		if ((Size) cap * Max(L->out_len, L->in_len) > (Size) PG_INT32_MAX / 2 ||
			(Size) cap * Max((Size) L->out_len * L->out_ch, (Size) L->in_len * L->in_ch) >
			(Size) PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("batch_size %d is too large for this network", cap),
					 errdetail("A batch of layer %d's activations would have more than %d values.",
							   l + 1, PG_INT32_MAX),
					 errhint("Lower batch_size.")));
	}
	w->in = alloc0(b, (Size) cap, insz * sizeof(double));
	w->lab = alloc0(b, cap, sizeof(bool));
	for (l = 0; l < net->nlayers; l++)
	{
		const ConvLayer *L = &net->layers[l];
		Size		outsz = (Size) L->out_len * L->out_ch;

		maxsz = Max(maxsz, outsz);
		switch (L->type)
		{
			case CONV_LAYER_CONV1D:
				{
					Size		colsz = (Size) cap * L->out_len * L->kernel * L->in_ch;

					w->buf[l] = alloc0(b, (Size) cap * outsz, sizeof(double));
					w->col[l] = alloc0(b, colsz, sizeof(double));
					maxcol = Max(maxcol, colsz);
					break;
				}
			case CONV_LAYER_MAXPOOL1D:
				w->buf[l] = alloc0(b, (Size) cap * outsz, sizeof(double));
				w->arg[l] = alloc0(b, (Size) cap * outsz, sizeof(int));
				break;
			case CONV_LAYER_DENSE:
				w->buf[l] = alloc0(b, (Size) cap * outsz, sizeof(double));
				break;
			case CONV_LAYER_DROPOUT:
				if (backward && L->rate > 0)
				{
					w->buf[l] = alloc0(b, (Size) cap * outsz, sizeof(double));
					w->mask[l] = alloc0(b, (Size) cap * outsz, sizeof(double));
				}
				break;
			case CONV_LAYER_FLATTEN:
				break;
		}
	}
	if (backward)
	{
		w->d[0] = alloc0(b, (Size) cap * maxsz, sizeof(double));
		w->d[1] = alloc0(b, (Size) cap * maxsz, sizeof(double));
		if (maxcol > 0)
			w->dcol = alloc0(b, maxcol, sizeof(double));
		w->grad = alloc0(b, net->nparams, sizeof(double));
		if (dinput)
			w->dinput = alloc0(b, (Size) cap * insz, sizeof(double));
	}
	return w;
}

/* ---------- random numbers ---------- */

/* A standard normal deviate (Box-Muller, one of the pair). */
static double
normal_draw(pg_prng_state *rng)
{
	double		u1 = 1.0 - pg_prng_double(rng);	/* (0, 1] */
	double		u2 = pg_prng_double(rng);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Fisher-Yates shuffle of idx[0..n). */
static void
shuffle(int64 *idx, int64 n, pg_prng_state *rng)
{
	int64		i;

	for (i = n - 1; i > 0; i--)
	{
		int64		j = (int64) pg_prng_uint64_range(rng, 0, (uint64) i);
		int64		t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
	}
}

/*
 * See convnet.h.  Weights of a layer followed by ReLU: He normal,
 * N(0, 2 / fan_in); otherwise Glorot uniform, U(-a, a) with
 * a = sqrt(6 / (fan_in + fan_out)).  fan_in = kernel * in_channels (conv1d)
 * or inputs (dense); fan_out = kernel * filters or units.
 */
void
convnet_init_params(ConvNet *net, uint64 seed, MemBudget *budget)
{
	pg_prng_state rng;
	int			l;

	pg_prng_seed(&rng, seed);
	net->params = alloc0(budget, net->nparams, sizeof(double));
	for (l = 0; l < net->nlayers; l++)
	{
		const ConvLayer *L = &net->layers[l];
		double	   *W = net->params + L->woff;
		double		fan_in,
					fan_out;
		Size		i;

		if (L->nweights == 0)
			continue;
		if (L->type == CONV_LAYER_CONV1D)
		{
			fan_in = (double) L->kernel * L->in_ch;
			fan_out = (double) L->kernel * L->size;
		}
		else
		{
			fan_in = (double) L->in_ch;
			fan_out = (double) L->size;
		}
		if (L->act == CONV_ACT_RELU)
		{
			double		sd = sqrt(2.0 / fan_in);

			for (i = 0; i < L->nweights; i++)
				W[i] = sd * normal_draw(&rng);
		}
		else
		{
			double		a = sqrt(6.0 / (fan_in + fan_out));

			for (i = 0; i < L->nweights; i++)
				W[i] = a * (2.0 * pg_prng_double(&rng) - 1.0);
		}
	}
}

/* ---------- forward and backward ---------- */

static inline double
sigmoid(double z)
{
	if (z >= 0)
		return 1.0 / (1.0 + exp(-z));
	else
	{
		double		e = exp(z);

		return e / (1.0 + e);
	}
}

/*
 * Y (rows x n) = A (rows x k) W (k x n).  With very few rows (scoring one
 * example) OpenBLAS's dgemm spends more on packing W than on arithmetic: one
 * dgemv per row is then about twice as fast.
 */
static void
matmul_rows(int rows, int n, int k, const double *A, const double *W, double *Y)
{
	int			r;

	if (rows <= 4)
		for (r = 0; r < rows; r++)
			blas_dgemv(true, k, n, 1.0, W, n, A + (Size) r * k, 0.0, Y + (Size) r * n);
	else
		blas_dgemm(false, false, rows, n, k, 1.0, A, k, W, n, 0.0, Y, n);
}

/*
 * v if cond, else 0, without a branch: ReLU on values of random sign would
 * mispredict about every other element (gcc emits a jump for v > 0 ? v : 0).
 */
static inline double
keep_if(double v, bool cond)
{
	uint64		u;

	memcpy(&u, &v, sizeof(u));
	u &= -(uint64) cond;
	memcpy(&v, &u, sizeof(v));
	return v;
}

/*
 * y (rows x n) += bias per column, then the activation, in place: one pass
 * per activation, without a branch per element.
 */
static void
bias_activate(double *y, int rows, int n, const double *bias, ConvActivation act)
{
	int			r,
				j;

	for (r = 0; r < rows; r++)
	{
		double	   *row = y + (Size) r * n;

		switch (act)
		{
			case CONV_ACT_RELU:
				for (j = 0; j < n; j++)
				{
					double		v = row[j] + bias[j];

					row[j] = keep_if(v, v > 0);
				}
				break;
			case CONV_ACT_SIGMOID:
				for (j = 0; j < n; j++)
					row[j] = sigmoid(row[j] + bias[j]);
				break;
			case CONV_ACT_LINEAR:
				for (j = 0; j < n; j++)
					row[j] += bias[j];
				break;
		}
	}
}

/* d (gradient by the activation's output y) -> gradient by its input, in place. */
static void
activation_backward(double *d, const double *y, Size n, ConvActivation act)
{
	Size		i;

	if (act == CONV_ACT_RELU)
	{
		for (i = 0; i < n; i++)
			d[i] = keep_if(d[i], y[i] > 0);
	}
	else if (act == CONV_ACT_SIGMOID)
	{
		for (i = 0; i < n; i++)
			d[i] *= y[i] * (1.0 - y[i]);
	}
}

/* out[j] = sum over rows of d[r][j] */
static void
column_sums(const double *d, int rows, int n, double *out)
{
	int			r,
				j;

	memset(out, 0, sizeof(double) * n);
	for (r = 0; r < rows; r++)
		for (j = 0; j < n; j++)
			out[j] += d[(Size) r * n + j];
}

/*
 * Forward pass of B examples in w->in.  The last layer's output is left as
 * the logit (its sigmoid belongs to the loss).  In training mode dropout
 * draws masks from rng (unless w->fixed_masks); otherwise it is the identity.
 */
static void
forward(const ConvNet *net, ConvWork *w, int B, bool train, pg_prng_state *rng)
{
	const double *a = w->in;
	int			l;

	for (l = 0; l < net->nlayers; l++)
	{
		const ConvLayer *L = &net->layers[l];
		const double *W = net->params + L->woff;
		const double *bias = net->params + L->boff;
		ConvActivation act = (l == net->nlayers - 1) ? CONV_ACT_LINEAR : L->act;
		Size		insz = (Size) L->in_len * L->in_ch;
		Size		outsz = (Size) L->out_len * L->out_ch;
		double	   *y = w->buf[l];
		int			b;

		switch (L->type)
		{
			case CONV_LAYER_CONV1D:
				{
					int			kc = L->kernel * L->in_ch;
					int			rows = B * L->out_len;
					double	   *col = w->col[l];
					int			t;

					for (b = 0; b < B; b++)
						for (t = 0; t < L->out_len; t++)
							memcpy(col + ((Size) b * L->out_len + t) * kc,
								   a + b * insz + (Size) t * L->in_ch,
								   sizeof(double) * kc);
					matmul_rows(rows, L->size, kc, col, W, y);
					bias_activate(y, rows, L->size, bias, act);
					break;
				}
			case CONV_LAYER_MAXPOOL1D:
				{
					int			C = L->in_ch;
					int			p = L->size;
					int			t,
								c,
								j;

					for (b = 0; b < B; b++)
					{
						const double *ab = a + b * insz;
						double	   *yb = y + b * outsz;
						int		   *arg = w->arg[l] + b * outsz;

						for (t = 0; t < L->out_len; t++)
							for (c = 0; c < C; c++)
							{
								int			best = t * p * C + c;

								for (j = 1; j < p; j++)
								{
									int			k = (t * p + j) * C + c;

									if (ab[k] > ab[best])
										best = k;
								}
								yb[t * C + c] = ab[best];
								arg[t * C + c] = best;
							}
					}
					break;
				}
			case CONV_LAYER_FLATTEN:
				y = (double *) a;	/* same values, same order */
				break;
			case CONV_LAYER_DROPOUT:
				if (!train || L->rate == 0)
					y = (double *) a;
				else
				{
					double	   *mask = w->mask[l];
					double		keep = 1.0 / (1.0 - L->rate);
					Size		i,
								n = (Size) B * outsz;

					if (!w->fixed_masks)
						for (i = 0; i < n; i++)
							mask[i] = pg_prng_double(rng) >= L->rate ? keep : 0.0;
					for (i = 0; i < n; i++)
						y[i] = a[i] * mask[i];
				}
				break;
			case CONV_LAYER_DENSE:
				matmul_rows(B, L->size, L->in_ch, a, W, y);
				bias_activate(y, B, L->size, bias, act);
				break;
		}
		w->out[l] = y;
		a = y;
	}
}

/*
 * Backward pass after forward(train): w->d[0] holds the gradient of the loss
 * by the B logits.  Fills w->grad (every parameter) and, if allocated,
 * w->dinput (the input).
 */
static void
backward(const ConvNet *net, ConvWork *w, int B)
{
	double	   *d = w->d[0];
	double	   *other = w->d[1];
	int			l;

	for (l = net->nlayers - 1; l >= 0; l--)
	{
		const ConvLayer *L = &net->layers[l];
		const double *a = (l == 0) ? w->in : w->out[l - 1];
		const double *y = w->out[l];
		const double *W = net->params + L->woff;
		double	   *gW = w->grad + L->woff;
		double	   *gb = w->grad + L->boff;
		bool		last = (l == net->nlayers - 1);
		Size		insz = (Size) L->in_len * L->in_ch;
		Size		outsz = (Size) L->out_len * L->out_ch;
		double	   *dx = (l == 0) ? w->dinput : other;
		bool		swap = false;
		int			b;

		switch (L->type)
		{
			case CONV_LAYER_CONV1D:
				{
					int			kc = L->kernel * L->in_ch;
					int			rows = B * L->out_len;
					int			t;

					if (!last)
						activation_backward(d, y, (Size) rows * L->size, L->act);
					blas_dgemm(true, false, kc, L->size, rows, 1.0, w->col[l], kc, d, L->size,
							   0.0, gW, L->size);
					column_sums(d, rows, L->size, gb);
					if (dx == NULL)
						break;
					blas_dgemm(false, true, rows, kc, L->size, 1.0, d, L->size, W, L->size,
							   0.0, w->dcol, kc);
					memset(dx, 0, sizeof(double) * B * insz);
					for (b = 0; b < B; b++)
						for (t = 0; t < L->out_len; t++)
							blas_daxpy(kc, 1.0, w->dcol + ((Size) b * L->out_len + t) * kc,
									   dx + b * insz + (Size) t * L->in_ch);
					swap = true;
					break;
				}
			case CONV_LAYER_MAXPOOL1D:
				{
					Size		i;

					if (dx == NULL)
						break;
					memset(dx, 0, sizeof(double) * B * insz);
					for (b = 0; b < B; b++)
						for (i = 0; i < outsz; i++)
							dx[b * insz + w->arg[l][b * outsz + i]] += d[b * outsz + i];
					swap = true;
					break;
				}
			case CONV_LAYER_FLATTEN:
				break;			/* same values, same order: d is dx */
			case CONV_LAYER_DROPOUT:
				if (L->rate > 0)
				{
					Size		i,
								n = (Size) B * outsz;

					for (i = 0; i < n; i++)
						d[i] *= w->mask[l][i];
				}
				break;
			case CONV_LAYER_DENSE:
				if (!last)
					activation_backward(d, y, (Size) B * L->size, L->act);
				blas_dgemm(true, false, L->in_ch, L->size, B, 1.0, a, L->in_ch, d, L->size,
						   0.0, gW, L->size);
				column_sums(d, B, L->size, gb);
				if (dx == NULL)
					break;
				blas_dgemm(false, true, B, L->in_ch, L->size, 1.0, d, L->size, W, L->size,
						   0.0, dx, L->in_ch);
				swap = true;
				break;
		}
		if (l == 0)
		{
			/* layers that pass d through in place leave the input gradient in d */
			if (w->dinput != NULL && !swap)
				memcpy(w->dinput, d, sizeof(double) * B * insz);
			break;
		}
		if (swap)
		{
			other = d;
			d = dx;
		}
	}
}

/*
 * Sum over the batch of the binary cross-entropy of the logits z with labels
 * y; with dz, also the gradient of the mean loss by each logit.  *correct is
 * increased by the examples classified right at threshold 0.5.
 */
static double
bce(const double *z, const bool *y, int B, double *dz, int64 *correct)
{
	double		sum = 0;
	int			i;

	for (i = 0; i < B; i++)
	{
		double		zi = z[i];
		double		yi = y[i] ? 1.0 : 0.0;

		/* log(1 + exp(z)) - y z, computed without overflow */
		sum += (zi > 0 ? zi : 0) - zi * yi + log1p(exp(-fabs(zi)));
		if (dz)
			dz[i] = (sigmoid(zi) - yi) / B;
		if ((zi >= 0) == y[i])
			(*correct)++;
	}
	return sum;
}

/* Sum of the squares of every weight (biases excluded). */
static double
weights_sumsq(const ConvNet *net)
{
	double		s = 0;
	int			l;

	for (l = 0; l < net->nlayers; l++)
	{
		const ConvLayer *L = &net->layers[l];

		if (L->nweights > 0)
			s += blas_ddot((int) L->nweights, net->params + L->woff, net->params + L->woff);
	}
	return s;
}

/* grad += l2 * weights (biases excluded). */
static void
add_l2_gradient(const ConvNet *net, double l2, double *grad)
{
	int			l;

	for (l = 0; l < net->nlayers; l++)
	{
		const ConvLayer *L = &net->layers[l];

		if (L->nweights > 0)
			blas_daxpy((int) L->nweights, l2, net->params + L->woff, grad + L->woff);
	}
}

/* Copy examples idx[0..B) into w->in (standardised) and their labels into w->lab. */
static void
gather(const ConvNet *net, const ConvData *data, const int64 *idx, int B, ConvWork *w)
{
	int			rowlen = data->rowlen;
	int			F = net->features;
	int			i,
				t,
				f;

	for (i = 0; i < B; i++)
	{
		const double *row = convdata_row(data, idx[i], &w->lab[i]);
		double	   *dst = w->in + (Size) i * rowlen;

		if (net->mean == NULL)
			memcpy(dst, row, sizeof(double) * rowlen);
		else
			for (t = 0; t < net->steps; t++)
				for (f = 0; f < F; f++)
					dst[t * F + f] = (row[t * F + f] - net->mean[f]) * net->scale[f];
	}
}

/* Mean loss and accuracy of the network on examples idx[0..n) (inference mode). */
static void
evaluate(const ConvNet *net, const ConvData *data, const int64 *idx, int64 n, ConvWork *w,
		 double *loss, double *accuracy)
{
	double		sum = 0;
	int64		correct = 0;
	int64		s;

	for (s = 0; s < n; s += w->cap)
	{
		int			B = (int) Min((int64) w->cap, n - s);

		CHECK_FOR_INTERRUPTS();
		gather(net, data, idx + s, B, w);
		forward(net, w, B, false, NULL);
		sum += bce(w->out[net->nlayers - 1], w->lab, B, NULL, &correct);
	}
	*loss = sum / n;
	*accuracy = (double) correct / n;
}

/* ---------- training ---------- */

/* Order of examples by content: hash, then bytes, then label. */
typedef struct ExampleKey
{
	uint64		hash;
	int64		i;
} ExampleKey;

static int
example_cmp(const void *pa, const void *pb, void *arg)
{
	const ExampleKey *a = pa;
	const ExampleKey *b = pb;
	const ConvData *data = arg;
	const double *ra,
			   *rb;
	bool		la,
				lb;
	int			c;

	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	ra = convdata_row(data, a->i, &la);
	rb = convdata_row(data, b->i, &lb);
	c = memcmp(ra, rb, sizeof(double) * data->rowlen);
	if (c != 0)
		return c;
	return (int) la - (int) lb;
}

/*
 * The examples' indexes in an order that depends only on their contents, so
 * that the split, the batches and the result do not depend on the order in
 * which rows reached the aggregate (parallel workers, scans).
 */
static int64 *
canonical_order(const ConvData *data, MemBudget *budget)
{
	ExampleKey *keys = alloc0(budget, data->n, sizeof(ExampleKey));
	int64	   *idx = alloc0(budget, data->n, sizeof(int64));
	int64		i;

	for (i = 0; i < data->n; i++)
	{
		bool		label;
		const double *row = convdata_row(data, i, &label);

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		keys[i].hash = hash_bytes_extended((const unsigned char *) row,
										   (int) (sizeof(double) * data->rowlen),
										   label ? 1 : 0);
		keys[i].i = i;
	}
	qsort_interruptible(keys, data->n, sizeof(ExampleKey), example_cmp, (void *) data);
	for (i = 0; i < data->n; i++)
		idx[i] = keys[i].i;
	budget_free(budget, keys, budget_mul(data->n, sizeof(ExampleKey)));
	return idx;
}

/*
 * Per feature f, the sum over examples idx[0..n) and their steps of x, or
 * with center, of (x - center[f])^2; into out[features].
 */
static void
feature_sums(const ConvNet *net, const ConvData *data, const int64 *idx, int64 n,
			 const double *center, double *out)
{
	int			F = net->features;
	int64		i;
	int			t,
				f;

	for (i = 0; i < n; i++)
	{
		bool		label;
		const double *row = convdata_row(data, idx[i], &label);

		if ((i & 1023) == 0)
			CHECK_FOR_INTERRUPTS();
		for (t = 0; t < net->steps; t++)
			for (f = 0; f < F; f++)
			{
				double		v = row[t * F + f];

				if (center)
				{
					v -= center[f];
					v *= v;
				}
				out[f] += v;
			}
	}
}

/*
 * Per-feature mean and 1/standard deviation over the training examples and
 * all their steps (two passes); a constant feature gets scale 1.
 */
static void
standardisation(ConvNet *net, const ConvData *data, const int64 *idx, int64 n, MemBudget *budget)
{
	int			F = net->features;
	double	   *ss = alloc0(budget, F, sizeof(double));
	double		count = (double) n * net->steps;
	int			f;

	net->mean = alloc0(budget, F, sizeof(double));
	net->scale = alloc0(budget, F, sizeof(double));
	feature_sums(net, data, idx, n, NULL, net->mean);
	for (f = 0; f < F; f++)
		net->mean[f] /= count;
	feature_sums(net, data, idx, n, net->mean, ss);
	for (f = 0; f < F; f++)
	{
		double		sd = sqrt(ss[f] / count);

		net->scale[f] = (sd > 1e-12 * Max(1.0, fabs(net->mean[f]))) ? 1.0 / sd : 1.0;
	}
}

/* One Adam step (t counts from 1) over every parameter. */
static void
adam_step(ConvNet *net, const double *grad, double *m, double *v, int64 t,
		  const ConvTrainConfig *cfg)
{
	double		b1 = cfg->beta1,
				b2 = cfg->beta2;
	double		c1 = 1.0 - pow(b1, (double) t);
	double		c2 = 1.0 - pow(b2, (double) t);
	double		lr = cfg->learning_rate;
	double		eps = cfg->epsilon;
	double	   *p = net->params;
	Size		i;

	for (i = 0; i < net->nparams; i++)
	{
		double		g = grad[i];

		m[i] = b1 * m[i] + (1.0 - b1) * g;
		v[i] = b2 * v[i] + (1.0 - b2) * g * g;
		p[i] -= lr * (m[i] / c1) / (sqrt(v[i] / c2) + eps);
	}
}

static int64
count_positive(const ConvData *data, const int64 *idx, int64 n)
{
	int64		i,
				pos = 0;

	for (i = 0; i < n; i++)
	{
		bool		label;

		(void) convdata_row(data, idx[i], &label);
		pos += label;
	}
	return pos;
}

/* See convnet.h. */
void
convnet_train(ConvNet *net, const ConvData *data, const ConvTrainConfig *cfg,
			  MemBudget *budget, ConvHistory *hist, ConvEpochReport report)
{
	pg_prng_state rng;
	int64	   *order;
	int64	   *val_idx,
			   *train_idx;
	int64		n_val,
				n_train;
	int			cap;
	ConvWork   *w;
	double	   *m,
			   *v,
			   *best;
	double		best_loss = get_float8_infinity();
	int			wait = 0;
	int64		step = 0;
	int			epoch;

	memset(hist, 0, sizeof(ConvHistory));
	pg_prng_seed(&rng, (uint64) cfg->seed ^ UINT64CONST(0x9E3779B97F4A7C15));

	/* canonical order, then the seeded split: the first n_val are for validation */
	order = canonical_order(data, budget);
	shuffle(order, data->n, &rng);
	n_val = (int64) floor(data->n * cfg->validation_fraction);
	n_train = data->n - n_val;
	val_idx = order;
	train_idx = order + n_val;
	hist->n_train = n_train;
	hist->n_val = n_val;
	hist->n_train_pos = count_positive(data, train_idx, n_train);
	hist->n_val_pos = count_positive(data, val_idx, n_val);
	if (n_train == 0 || hist->n_train_pos == 0 || hist->n_train_pos == n_train)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the training part of the split has only one class"),
				 errdetail("Of " INT64_FORMAT " training examples (after " INT64_FORMAT
						   " were set aside for validation), " INT64_FORMAT " are positive.",
						   n_train, n_val, hist->n_train_pos),
				 errhint("Train on more rows, or lower validation_fraction.")));

	if (cfg->standardize)
		standardisation(net, data, train_idx, n_train, budget);

	cap = (int) Min((int64) cfg->batch_size, Max(n_train, n_val));
	w = work_create(net, cap, budget, true, false);
	m = alloc0(budget, net->nparams, sizeof(double));
	v = alloc0(budget, net->nparams, sizeof(double));
	best = alloc0(budget, net->nparams, sizeof(double));
	hist->loss = alloc0(budget, cfg->epochs, sizeof(double));
	hist->accuracy = alloc0(budget, cfg->epochs, sizeof(double));
	hist->val_loss = alloc0(budget, cfg->epochs, sizeof(double));
	hist->val_accuracy = alloc0(budget, cfg->epochs, sizeof(double));

	for (epoch = 1; epoch <= cfg->epochs; epoch++)
	{
		double		sum = 0;
		int64		correct = 0;
		int64		s;

		shuffle(train_idx, n_train, &rng);
		for (s = 0; s < n_train; s += cap)
		{
			int			B = (int) Min((int64) cap, n_train - s);

			CHECK_FOR_INTERRUPTS();
			gather(net, data, train_idx + s, B, w);
			forward(net, w, B, true, &rng);
			sum += bce(w->out[net->nlayers - 1], w->lab, B, w->d[0], &correct);
			backward(net, w, B);
			if (cfg->l2 > 0)
				add_l2_gradient(net, cfg->l2, w->grad);
			adam_step(net, w->grad, m, v, ++step, cfg);
		}
		if (!isfinite(sum) || !isfinite(net->params[0]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("convnet training diverged in epoch %d", epoch),
					 errdetail("The training loss is no longer a finite number."),
					 errhint("Lower learning_rate, or set \"standardize\": true.")));
		hist->epochs_run = epoch;
		hist->loss[epoch - 1] = sum / n_train;
		hist->accuracy[epoch - 1] = (double) correct / n_train;
		if (n_val > 0)
		{
			evaluate(net, data, val_idx, n_val, w, &hist->val_loss[epoch - 1],
					 &hist->val_accuracy[epoch - 1]);
			if (hist->val_loss[epoch - 1] < best_loss - cfg->min_delta)
			{
				best_loss = hist->val_loss[epoch - 1];
				memcpy(best, net->params, sizeof(double) * net->nparams);
				hist->best_epoch = epoch;
				wait = 0;
			}
			else
				wait++;
		}
		else
		{
			hist->val_loss[epoch - 1] = get_float8_nan();
			hist->val_accuracy[epoch - 1] = get_float8_nan();
			hist->best_epoch = epoch;
		}
		hist->peak_memory = budget->peak;
		if (report)
			report(epoch, cfg->epochs, hist);
		if (n_val > 0 && cfg->patience > 0 && wait >= cfg->patience)
		{
			hist->stopped_early = epoch < cfg->epochs;
			break;
		}
	}
	if (n_val > 0)
	{
		memcpy(net->params, best, sizeof(double) * net->nparams);
		hist->final_loss = best_loss;
	}
	else
		hist->final_loss = hist->loss[hist->epochs_run - 1];
	hist->peak_memory = budget->peak;
}

/* ---------- gradient check ---------- */

/* Mean BCE of the batch in w (forward in training mode, masks fixed) plus the l2 term. */
static double
check_loss(const ConvNet *net, ConvWork *w, int B, double l2)
{
	int64		correct = 0;

	forward(net, w, B, true, NULL);
	return bce(w->out[net->nlayers - 1], w->lab, B, NULL, &correct) / B +
		0.5 * l2 * weights_sumsq(net);
}

/* Compare analytic[0..n) with central differences of the values at p[0..n). */
static void
check_block(const ConvNet *net, ConvWork *w, int B, double l2, double h,
			double *p, const double *analytic, Size n, ConvGradCheck *row)
{
	double		diff2 = 0,
				a2 = 0,
				n2 = 0,
				maxabs = 0;
	Size		i;

	for (i = 0; i < n; i++)
	{
		double		saved = p[i];
		double		fp,
					fm,
					num,
					e;

		CHECK_FOR_INTERRUPTS();
		p[i] = saved + h;
		fp = check_loss(net, w, B, l2);
		p[i] = saved - h;
		fm = check_loss(net, w, B, l2);
		p[i] = saved;
		num = (fp - fm) / (2 * h);
		e = fabs(analytic[i] - num);
		diff2 += e * e;
		a2 += analytic[i] * analytic[i];
		n2 += num * num;
		maxabs = Max(maxabs, e);
	}
	row->count = (int64) n;
	row->max_abs_error = maxabs;
	row->rel_error = (diff2 == 0) ? 0 : sqrt(diff2) / sqrt(Max(a2, n2));
}

/* See convnet.h. */
int
convnet_gradient_check(ConvNet *net, int batch, uint64 seed, double h, double l2,
					   ConvGradCheck *out)
{
	pg_prng_state rng;
	ConvWork   *w;
	double	   *grad,
			   *dinput;
	Size		insz = (Size) net->steps * net->features;
	Size		i;
	int			l,
				nrows = 0;
	bool		pos = false,
				neg = false;

	convnet_init_params(net, seed, NULL);
	pg_prng_seed(&rng, seed + 1);
	/* biases away from 0, so that their gradients are tested with other values too */
	for (l = 0; l < net->nlayers; l++)
		for (i = 0; i < net->layers[l].nbias; i++)
			net->params[net->layers[l].boff + i] = 0.1 * normal_draw(&rng);

	w = work_create(net, batch, NULL, true, true);
	for (i = 0; i < (Size) batch * insz; i++)
		w->in[i] = normal_draw(&rng);
	for (l = 0; l < batch; l++)
	{
		w->lab[l] = pg_prng_bool(&rng);
		pos |= w->lab[l];
		neg |= !w->lab[l];
	}
	if (batch >= 2 && !(pos && neg))
		w->lab[0] = !w->lab[0];

	/* analytic gradients: one forward (drawing the dropout masks) and backward */
	{
		int64		correct = 0;

		forward(net, w, batch, true, &rng);
		(void) bce(w->out[net->nlayers - 1], w->lab, batch, w->d[0], &correct);
		backward(net, w, batch);
		if (l2 > 0)
			add_l2_gradient(net, l2, w->grad);
	}
	w->fixed_masks = true;
	grad = palloc(sizeof(double) * Max(net->nparams, 1));
	memcpy(grad, w->grad, sizeof(double) * net->nparams);
	dinput = palloc(sizeof(double) * batch * insz);
	memcpy(dinput, w->dinput, sizeof(double) * batch * insz);

	out[nrows].layer = 0;
	out[nrows].part = "input";
	check_block(net, w, batch, l2, h, w->in, dinput, (Size) batch * insz, &out[nrows]);
	nrows++;
	for (l = 0; l < net->nlayers; l++)
	{
		const ConvLayer *L = &net->layers[l];

		if (L->nweights == 0)
			continue;
		out[nrows].layer = l + 1;
		out[nrows].part = "weights";
		check_block(net, w, batch, l2, h, net->params + L->woff, grad + L->woff,
					L->nweights, &out[nrows]);
		nrows++;
		out[nrows].layer = l + 1;
		out[nrows].part = "bias";
		check_block(net, w, batch, l2, h, net->params + L->boff, grad + L->boff,
					L->nbias, &out[nrows]);
		nrows++;
	}
	return nrows;
}

/* ---------- the model body ---------- */

/*
 * Body of a MODEL_CONVNET envelope (dim1 = steps, dim2 = features):
 *	u8 body version (1), u32 steps, u32 features,
 *	u8 standardised (0/1), then if 1: f64[features] mean, f64[features] scale,
 *	u32 layers, per layer: u8 type, u8 activation, u32 size, u32 kernel, f64 rate,
 *	u64 parameters, f64[parameters] (layer by layer: weights row-major, bias).
 */
void
convnet_write_body(ModelWriter *w, const ConvNet *net)
{
	int			l;

	model_put_u8(w, CONVNET_BODY_VERSION);
	model_put_u32(w, (uint32) net->steps);
	model_put_u32(w, (uint32) net->features);
	model_put_u8(w, net->mean != NULL);
	if (net->mean != NULL)
	{
		model_put_f64_array(w, net->mean, net->features);
		model_put_f64_array(w, net->scale, net->features);
	}
	model_put_u32(w, (uint32) net->nlayers);
	for (l = 0; l < net->nlayers; l++)
	{
		const ConvLayer *L = &net->layers[l];

		model_put_u8(w, (uint8) L->type);
		model_put_u8(w, (uint8) L->act);
		model_put_u32(w, (uint32) L->size);
		model_put_u32(w, (uint32) L->kernel);
		model_put_f64(w, L->rate);
	}
	model_put_u64(w, (uint64) net->nparams);
	model_put_f64_array(w, net->params, net->nparams);
}

/* A decoded model: the network and buffers for scoring one example. */
typedef struct ConvScorer
{
	ConvNet		net;
	ConvWork   *work;
} ConvScorer;

static void
check_finite_array(const double *v, Size n, const char *what)
{
	Size		i;

	for (i = 0; i < n; i++)
		if (!isfinite(v[i]))
			model_corrupted(what);
}

/* See convnet.h: every field is checked before it is used. */
void *
convnet_decode(const ModelHeader *h, ModelReader *body)
{
	ConvScorer *s = palloc0(sizeof(ConvScorer));
	ConvNet    *net = &s->net;
	uint32		steps,
				features,
				nlayers;
	uint64		nparams;
	char	   *err;
	int			bad,
				l;

	if (model_get_u8(body) != CONVNET_BODY_VERSION)
		model_corrupted("The convnet body has an unknown version.");
	steps = model_get_u32(body);
	features = model_get_u32(body);
	if (steps < 1 || features < 1 || (uint64) steps * features > CONVNET_MAX_INPUT ||
		steps != h->dim1 || features != h->dim2)
		model_corrupted("The convnet input shape is invalid.");
	net->steps = (int) steps;
	net->features = (int) features;
	switch (model_get_u8(body))
	{
		case 0:
			break;
		case 1:
			model_need(body, 2 * (Size) features, 8);
			net->mean = palloc(sizeof(double) * features);
			net->scale = palloc(sizeof(double) * features);
			model_get_f64_array(body, net->mean, features);
			model_get_f64_array(body, net->scale, features);
			check_finite_array(net->mean, features, "The convnet standardisation is not finite.");
			check_finite_array(net->scale, features, "The convnet standardisation is not finite.");
			break;
		default:
			model_corrupted("The convnet standardisation flag is invalid.");
	}
	nlayers = model_get_u32(body);
	if (nlayers < 1 || nlayers > CONVNET_MAX_LAYERS)
		model_corrupted("The convnet has an invalid number of layers.");
	net->nlayers = (int) nlayers;
	for (l = 0; l < net->nlayers; l++)
	{
		ConvLayer  *L = &net->layers[l];
		uint8		type = model_get_u8(body);
		uint8		act = model_get_u8(body);
		uint32		size = model_get_u32(body);
		uint32		kernel = model_get_u32(body);

		L->rate = model_get_f64(body);
		if (type < CONV_LAYER_CONV1D || type > CONV_LAYER_DROPOUT || act > CONV_ACT_SIGMOID ||
			size > CONVNET_MAX_INPUT || kernel > CONVNET_MAX_INPUT || !(L->rate >= 0 && L->rate < 1))
			model_corrupted("A convnet layer is invalid.");
		L->type = (ConvLayerType) type;
		L->act = (ConvActivation) act;
		L->size = (int) size;
		L->kernel = (int) kernel;
	}
	err = convnet_plan(net, &bad);
	if (err != NULL)
		model_corrupted("The convnet layers do not fit their input.");
	nparams = model_get_u64(body);
	if (nparams != net->nparams)
		model_corrupted("The convnet has the wrong number of parameters.");
	model_need(body, net->nparams, 8);
	net->params = palloc(sizeof(double) * Max(net->nparams, 1));
	model_get_f64_array(body, net->params, net->nparams);
	check_finite_array(net->params, net->nparams, "A convnet parameter is not finite.");
	model_end(body);
	s->work = work_create(net, 1, NULL, false, false);
	return s;
}

void
convnet_input_shape(const void *decoded, int *steps, int *features)
{
	const ConvScorer *s = decoded;

	*steps = s->net.steps;
	*features = s->net.features;
}

/* See convnet.h. */
double
convnet_score(const void *decoded, const double *x, int n)
{
	const ConvScorer *s = decoded;
	const ConvNet *net = &s->net;
	ConvWork   *w = s->work;
	int			F = net->features;
	int			t,
				f;

	if (n != net->steps * F)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must have %d elements for this model", net->steps * F),
				 errdetail("It has %d; the model takes %d steps of %d features.", n, net->steps, F)));
	for (t = 0; t < net->steps; t++)
		for (f = 0; f < F; f++)
		{
			double		v = x[t * F + f];

			if (!isfinite(v))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("features must be finite numbers"),
						 errdetail("Element %d (step %d, feature %d) is %s.", t * F + f + 1, t + 1,
								   f + 1, isnan(v) ? "NaN" : "infinite")));
			w->in[t * F + f] = net->mean ? (v - net->mean[f]) * net->scale[f] : v;
		}
	forward(net, w, 1, false, NULL);
	return sigmoid(w->out[net->nlayers - 1][0]);
}
