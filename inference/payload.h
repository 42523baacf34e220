/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The payload model: a character-level CNN over normalized field text.
 *
 *   bytes (L, zero-padded) -> embedding [256 x E] -> conv1d (C filters of
 *   width K, same padding) + ReLU -> max over time -> fully connected
 *   [n_classes x C] -> softmax
 *
 * Model file tensors: "embed" 256xE, "conv.weight" CxExK, "conv.bias" C,
 * "fc.weight" NxC, "fc.bias" N; dims[0..3] = L, E, C, K.
 *
 * Executed with oneDNN primitives created once in inf_payload_init() for
 * each batch size; inf_payload_run() fills the batch (the embedding gather
 * is a table lookup done here, oneDNN has no gather primitive: with the
 * text in channels-last layout it is one copy of E values per byte) and
 * runs one execution per primitive. The convolution's weights and output,
 * and so the pooling, are in whatever blocked layout oneDNN prefers on this
 * CPU. inf_payload_reference() is the same model in plain C, in f32: the
 * tests hold oneDNN to it, and bf16 to f32.
 *
 * An inf_payload belongs to one inference lcore.
 */
#ifndef INF_PAYLOAD_H
#define INF_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"
#include "model.h"
#include "onednn.h"

struct inf_payload_net;

struct inf_payload {
	uint32_t L, E, C, K, n_classes, batch;
	enum inf_precision prec;
	const float *embed, *conv_w, *conv_b, *fc_w, *fc_b;	/* the model file's */
	const uint8_t *table;		/* embed in prec, on the node */
	size_t row;			/* bytes of one table row (E values) */
	dnnl_engine_t eng;
	dnnl_stream_t stream;
	struct inf_payload_net *net[INF_NSIZES];	/* one per batch size */
	uint32_t size[INF_NSIZES], n_nets;
	struct inf_mem mem;		/* everything the primitives touch */
};

/* 0, or -1 with a message naming the model file's problem. */
int inf_payload_init(struct inf_payload *p, const struct mw_model *m, uint32_t batch, int node,
		enum inf_precision prec, char *err, size_t errlen);
void inf_payload_free(struct inf_payload *p);

/* n <= batch texts in; n x n_classes probabilities out. 0, or -1 if
 * oneDNN failed (counted by the caller, never fatal on the hot path). */
int inf_payload_run(struct inf_payload *p, const uint8_t *const *text, const uint32_t *len,
		uint32_t n, float *probs);

struct mw_event;

/*
 * The model over calls: every window of each call (mw_payload_windows),
 * batch by batch; per call i, the probabilities of its most malicious
 * window (highest 1 - p[0]) in probs[i * n_classes ..] and that window's
 * match index in ev->pf in best[i], or zeros and -1 where the call has no
 * window. *windows counts the windows scored. Returns how many windows a
 * failed oneDNN execution left unscored (0: none).
 */
uint32_t inf_payload_score(struct inf_payload *p, const struct mw_event *const *ev, uint32_t n,
		float *probs, int8_t *best, uint32_t *windows);

/* The same computation in plain C, one text at a time (tests). */
void inf_payload_reference(const struct inf_payload *p, const uint8_t *text, uint32_t len,
		float *logits, float *probs);

#endif
