/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One step of the sequence model's GRU for a batch of keys (traces or
 * actors), each with its own hidden state kept in the sequence store:
 * gather the batch's states, one oneDNN GRU execution (a single time step),
 * scatter the new states back, and a classifier head over them.
 *
 *   u = sigmoid(Wu x + Uu h + bu)      update gate
 *   r = sigmoid(Wr x + Ur h + br)      reset gate
 *   o = tanh(Wo x + Uo (r * h) + bo)   candidate
 *   h' = u * h + (1 - u) * o
 *   p = softmax(Wh h' + bh)
 *
 * Model file tensors: "gru.w_layer" I x 3 x H, "gru.w_iter" H x 3 x H,
 * "gru.bias" 3 x H (gate order u, r, o), "head.weight" N x H, "head.bias" N;
 * dims[0..1] = I (features per element), H.
 *
 * An inf_gru belongs to one inference lcore.
 */
#ifndef INF_GRU_H
#define INF_GRU_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "model.h"
#include "onednn.h"

struct inf_gru_net;

struct inf_gru {
	uint32_t I, H, n_classes, batch;
	enum inf_precision prec;
	dnnl_engine_t eng;
	dnnl_stream_t stream;
	const float *w_layer, *w_iter, *bias, *head_w, *head_b;
	struct inf_gru_net *net[INF_NSIZES];	/* one per batch size */
	uint32_t size[INF_NSIZES], n_nets;
	struct inf_mem mem;		/* everything the primitives touch */
};

/* node: the NUMA node of the lcore that will run it (-1: the caller's). */
int inf_gru_init(struct inf_gru *g, const struct mw_model *m, uint32_t batch, int node,
		enum inf_precision prec, char *err, size_t errlen);
void inf_gru_free(struct inf_gru *g);

/* n <= batch elements: x is n x I features, state[k] the key's H floats
 * (updated in place); probs n x n_classes. 0, or -1 if oneDNN failed. */
int inf_gru_step(struct inf_gru *g, const float *x, float *const *state, uint32_t n,
		float *probs);

/* The same step in plain C for one key (tests). */
void inf_gru_reference(const struct inf_gru *g, const float *x, float *state, float *probs);

#endif
