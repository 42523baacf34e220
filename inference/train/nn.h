/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The models as meshwatch-train trains them: the same networks as
 * inference/payload.h and inference/gru.h, run forward for training and
 * backward with oneDNN's primitives (convolution, ReLU, max pooling, inner
 * product, GRU: forward training, backward data, backward weights). Written
 * by hand here, because oneDNN has none: the embedding gather and its
 * scatter-add of gradients, the softmax cross-entropy loss and its gradient,
 * and the Adam optimizer.
 *
 * Parameters live in plain f32 arrays in the model file's layouts (payload:
 * embed 256xE, conv.weight CxExK, ...; GRU: ldigo with gates u, r, o), so a
 * trained net writes its model file directly and a model file warm-starts a
 * net. Each primitive gets its weights reordered into the layout it chose.
 */
#ifndef TRAIN_NN_H
#define TRAIN_NN_H

#include <stddef.h>
#include <stdint.h>
#include <oneapi/dnnl/dnnl.h>

#include "model.h"

/* One parameter tensor with its gradient and Adam's moments. */
struct tr_param {
	const char *name;
	uint32_t ndim, shape[4];
	size_t n;
	float *w, *g, *m, *v;
};

#define TR_MAX_PARAMS 8

struct tr_opt {
	float lr, beta1, beta2, eps, decay;	/* decay: decoupled weight decay */
	uint64_t t;
};

/* Adam step over every parameter (g holds the batch's mean gradient). */
void tr_adam(struct tr_opt *o, struct tr_param *p, unsigned int n);

/* Seeded initializers. */
uint64_t tr_rand(uint64_t *s);
float tr_uniform(uint64_t *s);		/* [0, 1) */
void tr_init_uniform(struct tr_param *p, float scale, uint64_t *seed);

/*
 * Softmax cross-entropy over n rows of probabilities (the forward pass's
 * softmax): the weighted mean loss returned, and its gradient wrt the logits,
 * dlogits[i] = w[i] * (p - onehot(y[i])) / sum(w). w[i] = 0 leaves row i
 * out (padding).
 */
double tr_xent(const float *probs, const int *y, const float *w, uint32_t n, uint32_t N,
		float *dlogits);

/* ---- the payload CNN ---- */

struct tr_payload {
	uint32_t L, E, C, K, N, B;
	struct tr_param p[5];	/* embed, conv.weight, conv.bias, fc.weight, fc.bias */
	uint8_t *bytes;		/* B x L, the batch's windows (0-padded) */
	float *logits, *probs, *dlogits;
	struct tr_payload_dnnl *d;
};

/* B: the batch size. 0, or -1 with the reason. */
int tr_payload_init(struct tr_payload *n, uint32_t L, uint32_t E, uint32_t C, uint32_t K,
		uint32_t N, uint32_t B, uint64_t seed, char *err, size_t errlen);
void tr_payload_free(struct tr_payload *n);
/* Loads bytes[b] from text (window already cut). */
void tr_payload_set(struct tr_payload *n, uint32_t b, const uint8_t *text, uint32_t len);
/* Forward over the batch: logits and probs. */
int tr_payload_forward(struct tr_payload *n);
/* Forward, loss and backward: gradients into p[].g (overwritten). Returns
 * the loss (weighted mean), or a negative value if oneDNN failed. */
double tr_payload_step(struct tr_payload *n, const int *y, const float *w);

/* ---- the GRU with its head ---- */

struct tr_gru {
	uint32_t I, H, N, B, T;
	struct tr_param p[5];	/* gru.w_layer, gru.w_iter, gru.bias, head.weight, head.bias */
	float *x;		/* T x B x I inputs */
	float *h0;		/* B x H states before the window */
	float *hT;		/* B x H states after it */
	float *hs;		/* T x B x H states after each step */
	float *logits, *probs, *dlogits;	/* (T x B) x N */
	struct tr_gru_dnnl *d;
};

int tr_gru_init(struct tr_gru *g, uint32_t I, uint32_t H, uint32_t N, uint32_t B, uint32_t T,
		uint64_t seed, char *err, size_t errlen);
void tr_gru_free(struct tr_gru *g);
int tr_gru_forward(struct tr_gru *g);
/* y and w per (t, b), index t * B + b. */
double tr_gru_step(struct tr_gru *g, const int *y, const float *w);

/* Parameters from a model file of the same shape (warm start), or to a
 * model file's tensor list. */
int tr_params_load(struct tr_param *p, unsigned int n, const struct mw_model *m, char *err,
		size_t errlen);
void tr_params_tensors(const struct tr_param *p, unsigned int n, struct mw_tensor *t);

#endif
