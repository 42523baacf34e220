/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sequence model step (see gru.h). Init (control path) builds the GRU,
 * head and softmax primitives once and reorders the weights into the
 * layout the GRU primitive prefers; a step (hot path) allocates nothing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>

#include "gru.h"
#include "onednn.h"

struct inf_gru_net {
	dnnl_engine_t eng;
	dnnl_stream_t stream;
	struct inf_prim gru, head, softmax;
	dnnl_memory_t x, h_in, wl, wi, bias, h_out, dst_layer, head_w, head_b, logits, probs;
	float *x_buf, *h_in_buf, *h_out_buf, *layer_buf, *logits_buf, *probs_buf;
};


static int
build(struct inf_gru *g, struct inf_gru_net *n, dnnl_dim_t B, char *err, size_t errlen)
{
	const dnnl_dim_t I = g->I, H = g->H, N = g->n_classes;
	dnnl_memory_desc_t x_md, h_md, wl_any, wi_any, wl_md, wi_md, b_md, out_md;

	if (inf_dnnl_open(&n->eng, &n->stream, err, errlen) < 0)
		return -1;
	dnnl_dims_t x_d = { 1, B, I }, h_d = { 1, 1, B, H }, wl_d = { 1, 1, I, 3, H },
		wi_d = { 1, 1, H, 3, H }, b_d = { 1, 1, 3, H }, out_d = { 1, B, H };
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&x_md, 3, x_d, dnnl_f32, dnnl_tnc), "x md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&h_md, 4, h_d, dnnl_f32, dnnl_ldnc), "h md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wl_any, 5, wl_d, dnnl_f32, dnnl_format_tag_any), "wl");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wi_any, 5, wi_d, dnnl_f32, dnnl_format_tag_any), "wi");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wl_md, 5, wl_d, dnnl_f32, dnnl_ldigo), "wl md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wi_md, 5, wi_d, dnnl_f32, dnnl_ldigo), "wi md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&b_md, 4, b_d, dnnl_f32, dnnl_ldgo), "bias md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&out_md, 3, out_d, dnnl_f32, dnnl_tnc), "out md");
	dnnl_rnn_desc_t rd;
	DNNL_TRY(dnnl_gru_forward_desc_init(&rd, dnnl_forward_inference,
			dnnl_unidirectional_left2right, &x_md, &h_md, &wl_any, &wi_any, &b_md,
			&out_md, &h_md, dnnl_rnn_flags_undef), "gru desc");
	if (inf_prim_create(&n->gru, &rd, NULL, n->eng, &g->mem, err, errlen) < 0)
		return -1;
	/* weights reordered once into the layout the primitive wants */
	const dnnl_memory_desc_t *want_l = inf_prim_md(&n->gru, dnnl_query_weights_md, 0);
	const dnnl_memory_desc_t *want_i = inf_prim_md(&n->gru, dnnl_query_weights_md, 1);
	if (want_l == NULL || want_i == NULL ||
			inf_memory(&n->wl, want_l, n->eng, n->stream, &g->mem, &wl_md, g->w_layer,
				err, errlen) < 0 ||
			inf_memory(&n->wi, want_i, n->eng, n->stream, &g->mem, &wi_md, g->w_iter,
				err, errlen) < 0)
		return -1;

	/* head: [B][H] -> [B][N], softmax */
	dnnl_memory_desc_t hs_md, hw_md, hb_md, lo_md;
	dnnl_dims_t hs_d = { B, H }, hw_d = { N, H }, hb_d = { N }, lo_d = { B, N };
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hs_md, 2, hs_d, dnnl_f32, dnnl_nc), "head src md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hw_md, 2, hw_d, dnnl_f32, dnnl_oi), "head w md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hb_md, 1, hb_d, dnnl_f32, dnnl_x), "head b md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&lo_md, 2, lo_d, dnnl_f32, dnnl_nc), "logits md");
	dnnl_inner_product_desc_t ipd;
	DNNL_TRY(dnnl_inner_product_forward_desc_init(&ipd, dnnl_forward_inference, &hs_md, &hw_md,
			&hb_md, &lo_md), "head desc");
	if (inf_prim_create(&n->head, &ipd, NULL, n->eng, &g->mem, err, errlen) < 0)
		return -1;
	dnnl_softmax_desc_t sd;
	DNNL_TRY(dnnl_softmax_forward_desc_init(&sd, dnnl_forward_inference, &lo_md, 1), "softmax");
	if (inf_prim_create(&n->softmax, &sd, NULL, n->eng, &g->mem, err, errlen) < 0)
		return -1;

	/* buffers and the small weights: on the model's node */
	if (!(n->x_buf = inf_buffer(&n->x, &x_md, n->eng, &g->mem, err, errlen)) ||
			!(n->h_in_buf = inf_buffer(&n->h_in, &h_md, n->eng, &g->mem, err, errlen)) ||
			!(n->h_out_buf = inf_buffer(&n->h_out, &h_md, n->eng, &g->mem, err, errlen)) ||
			!(n->layer_buf = inf_buffer(&n->dst_layer, &out_md, n->eng, &g->mem, err, errlen)) ||
			!(n->logits_buf = inf_buffer(&n->logits, &lo_md, n->eng, &g->mem, err, errlen)) ||
			!(n->probs_buf = inf_buffer(&n->probs, &lo_md, n->eng, &g->mem, err, errlen)) ||
			inf_memory(&n->bias, &b_md, n->eng, n->stream, &g->mem, &b_md, g->bias,
				err, errlen) < 0 ||
			inf_memory(&n->head_w, &hw_md, n->eng, n->stream, &g->mem, &hw_md, g->head_w,
				err, errlen) < 0 ||
			inf_memory(&n->head_b, &hb_md, n->eng, n->stream, &g->mem, &hb_md, g->head_b,
				err, errlen) < 0)
		return -1;
	return 0;
}

int
inf_gru_init(struct inf_gru *g, const struct mw_model *m, uint32_t batch, int node, char *err,
		size_t errlen)
{
	memset(g, 0, sizeof(*g));
	g->mem.node = node;
	if (m->kind != MW_MODEL_SEQUENCE)
		return inf_fail(err, errlen, "not a sequence model");
	g->I = m->dims[0], g->H = m->dims[1], g->n_classes = m->n_classes, g->batch = batch;
	if (g->I == 0 || g->I > 4096 || g->H == 0 || g->H > 2048 || batch == 0 || batch > 1024)
		return inf_fail(err, errlen, "sequence model dims I=%u H=%u (batch %u) are out of range",
				g->I, g->H, batch);
	g->w_layer = mw_model_weights(m, "gru.w_layer", 3, g->I, 3, g->H, err, errlen);
	g->w_iter = g->w_layer ? mw_model_weights(m, "gru.w_iter", 3, g->H, 3, g->H, err, errlen) : NULL;
	g->bias = g->w_iter ? mw_model_weights(m, "gru.bias", 2, 3, g->H, 0, err, errlen) : NULL;
	g->head_w = g->bias ? mw_model_weights(m, "head.weight", 2, g->n_classes, g->H, 0, err, errlen) : NULL;
	g->head_b = g->head_w ? mw_model_weights(m, "head.bias", 1, g->n_classes, 0, 0, err, errlen) : NULL;
	if (g->head_b == NULL)
		return -1;
	/* primitives for every batch size, built once here */
	unsigned int sizes[INF_NSIZES];
	g->n_nets = inf_batch_sizes(batch, sizes);
	for (unsigned int i = 0; i < g->n_nets; i++) {
		g->size[i] = sizes[i];
		g->net[i] = calloc(1, sizeof(struct inf_gru_net));
		if (g->net[i] == NULL || build(g, g->net[i], sizes[i], err, errlen) < 0) {
			if (g->net[i] == NULL)
				inf_fail(err, errlen, "out of memory");
			inf_gru_free(g);
			return -1;
		}
	}
	return 0;
}

static void
free_net(struct inf_gru_net *n)
{
	inf_prim_destroy(&n->gru);
	inf_prim_destroy(&n->head);
	inf_prim_destroy(&n->softmax);
	dnnl_memory_t mems[] = { n->x, n->h_in, n->wl, n->wi, n->bias, n->h_out, n->dst_layer,
		n->head_w, n->head_b, n->logits, n->probs };
	for (unsigned int i = 0; i < sizeof(mems) / sizeof(mems[0]); i++)
		if (mems[i])
			dnnl_memory_destroy(mems[i]);
	inf_dnnl_close(n->eng, n->stream);
	free(n);
}

void
inf_gru_free(struct inf_gru *g)
{
	for (unsigned int i = 0; i < INF_NSIZES; i++)
		if (g->net[i] != NULL) {
			free_net(g->net[i]);
			g->net[i] = NULL;
		}
	inf_mem_free(&g->mem);
}

int
inf_gru_step(struct inf_gru *g, const float *x, float *const *state, uint32_t n, float *probs)
{
	const size_t H = g->H;
	if (n > g->batch)
		n = g->batch;
	struct inf_gru_net *net = g->net[inf_batch_pick(g->size, n)];
	memcpy(net->x_buf, x, (size_t)n * g->I * sizeof(float));
	for (uint32_t k = 0; k < n; k++)
		memcpy(net->h_in_buf + k * H, state[k], H * sizeof(float));
	dnnl_exec_arg_t gru_args[] = {
		{ DNNL_ARG_SRC_LAYER, net->x }, { DNNL_ARG_SRC_ITER, net->h_in },
		{ DNNL_ARG_WEIGHTS_LAYER, net->wl }, { DNNL_ARG_WEIGHTS_ITER, net->wi },
		{ DNNL_ARG_BIAS, net->bias }, { DNNL_ARG_DST_LAYER, net->dst_layer },
		{ DNNL_ARG_DST_ITER, net->h_out },
	};
	dnnl_memory_t head_src = net->dst_layer;	/* [1][B][H] is the head's [B][H] */
	dnnl_exec_arg_t head_args[] = {
		{ DNNL_ARG_SRC, head_src }, { DNNL_ARG_WEIGHTS, net->head_w },
		{ DNNL_ARG_BIAS, net->head_b }, { DNNL_ARG_DST, net->logits },
	};
	dnnl_exec_arg_t sm_args[] = { { DNNL_ARG_SRC, net->logits }, { DNNL_ARG_DST, net->probs } };
	if (inf_prim_exec(&net->gru, net->stream, 7, gru_args) != dnnl_success ||
			inf_prim_exec(&net->head, net->stream, 4, head_args) != dnnl_success ||
			inf_prim_exec(&net->softmax, net->stream, 2, sm_args) != dnnl_success ||
			dnnl_stream_wait(net->stream) != dnnl_success)
		return -1;
	for (uint32_t k = 0; k < n; k++)
		memcpy(state[k], net->h_out_buf + k * H, H * sizeof(float));
	memcpy(probs, net->probs_buf, (size_t)n * g->n_classes * sizeof(float));
	return 0;
}

static double
sigmoid(double v)
{
	return 1.0 / (1.0 + exp(-v));
}

void
inf_gru_reference(const struct inf_gru *g, const float *x, float *state, float *probs)
{
	const uint32_t I = g->I, H = g->H, N = g->n_classes;
	double *gate = malloc(sizeof(double) * 3 * H), *hx = malloc(sizeof(double) * 3 * H);
	float *h = malloc(sizeof(float) * H);

	/* ldigo: w[i][gate][h] */
	for (uint32_t gi = 0; gi < 3; gi++)
		for (uint32_t o = 0; o < H; o++) {
			double a = g->bias[gi * H + o], b = 0;
			for (uint32_t i = 0; i < I; i++)
				a += (double)g->w_layer[((size_t)i * 3 + gi) * H + o] * x[i];
			for (uint32_t i = 0; i < H; i++)
				b += (double)g->w_iter[((size_t)i * 3 + gi) * H + o] * state[i];
			gate[gi * H + o] = a;
			hx[gi * H + o] = b;
		}
	/* the reset gate scales the state before the candidate sees it */
	for (uint32_t o = 0; o < H; o++)
		hx[H + o] = sigmoid(gate[H + o] + hx[H + o]);	/* r */
	for (uint32_t o = 0; o < H; o++) {
		double u = sigmoid(gate[o] + hx[o]);
		double c = gate[2 * H + o];
		for (uint32_t i = 0; i < H; i++)
			c += (double)g->w_iter[((size_t)i * 3 + 2) * H + o] * hx[H + i] * state[i];
		c = tanh(c);
		h[o] = (float)(u * state[o] + (1 - u) * c);
	}
	memcpy(state, h, sizeof(float) * H);
	double max = -INFINITY, sum = 0, lo[MW_MODEL_MAX_CLASSES];
	for (uint32_t k = 0; k < N; k++) {
		double a = g->head_b[k];
		for (uint32_t o = 0; o < H; o++)
			a += (double)g->head_w[(size_t)k * H + o] * h[o];
		lo[k] = a;
		if (a > max)
			max = a;
	}
	for (uint32_t k = 0; k < N; k++)
		sum += exp(lo[k] - max);
	for (uint32_t k = 0; k < N; k++)
		probs[k] = (float)(exp(lo[k] - max) / sum);
	free(gate);
	free(hx);
	free(h);
}
