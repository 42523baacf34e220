/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sequence model step (see gru.h). Init (control path) builds the GRU,
 * head and softmax primitives once and reorders the weights into the
 * layout the GRU primitive prefers; a step (hot path) allocates nothing.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>

#include "gru.h"
#include "onednn.h"

struct inf_gru_net {
	/* the casts to and from the model's precision: none in f32 */
	struct inf_prim cast_x, cast_h, uncast_h, gru, head, softmax;
	dnnl_memory_t x, xc, h_in, h_inc, wl, wi, bias, h_out, h_outc, dst_layer, head_w, head_b,
		logits, probs;
	float *x_buf, *h_in_buf, *h_out_buf, *probs_buf;
};

/* prev: the net built for the next smaller batch size (its weights are
 * shared when their layout is the same), or NULL. */
static int
build(struct inf_gru *g, struct inf_gru_net *n, const struct inf_gru_net *prev, dnnl_dim_t B,
		char *err, size_t errlen)
{
	const dnnl_dim_t I = g->I, H = g->H, N = g->n_classes;
	const dnnl_data_type_t dt = inf_dt(g->prec);
	dnnl_memory_desc_t x_md, xc_md, h_md, hc_md, wl_any, wi_any, wl_md, wi_md, b_md, out_md;

	/*
	 * The features and the states are f32 in the store; in bf16 they are
	 * cast (by reorders) for the primitive, which has no bf16 mode with
	 * f32 states, and the new states cast back.
	 */
	dnnl_dims_t x_d = { 1, B, I }, h_d = { 1, 1, B, H }, wl_d = { 1, 1, I, 3, H },
		wi_d = { 1, 1, H, 3, H }, b_d = { 1, 1, 3, H }, out_d = { 1, B, H };
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&x_md, 3, x_d, dnnl_f32, dnnl_tnc), "x md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&xc_md, 3, x_d, dt, dnnl_tnc), "x md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&h_md, 4, h_d, dnnl_f32, dnnl_ldnc), "h md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hc_md, 4, h_d, dt, dnnl_ldnc), "h md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wl_any, 5, wl_d, dt, dnnl_format_tag_any), "wl");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wi_any, 5, wi_d, dt, dnnl_format_tag_any), "wi");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wl_md, 5, wl_d, dnnl_f32, dnnl_ldigo), "wl md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wi_md, 5, wi_d, dnnl_f32, dnnl_ldigo), "wi md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&b_md, 4, b_d, dnnl_f32, dnnl_ldgo), "bias md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&out_md, 3, out_d, dt, dnnl_tnc), "out md");
	if (g->prec != INF_F32 && (inf_reorder_create(&n->cast_x, &x_md, &xc_md, g->eng, &g->mem,
			err, errlen) < 0 || inf_reorder_create(&n->cast_h, &h_md, &hc_md, g->eng,
			&g->mem, err, errlen) < 0 || inf_reorder_create(&n->uncast_h, &hc_md, &h_md,
			g->eng, &g->mem, err, errlen) < 0))
		return -1;
	dnnl_rnn_desc_t rd;
	DNNL_TRY(dnnl_gru_forward_desc_init(&rd, dnnl_forward_inference,
			dnnl_unidirectional_left2right, &xc_md, &hc_md, &wl_any, &wi_any, &b_md,
			&out_md, &hc_md, dnnl_rnn_flags_undef), "gru desc");
	if (inf_prim_create(&n->gru, &rd, NULL, g->eng, &g->mem, err, errlen) < 0)
		return -1;
	const dnnl_memory_desc_t *want_l = inf_prim_md(&n->gru, dnnl_query_weights_md, 0);
	const dnnl_memory_desc_t *want_i = inf_prim_md(&n->gru, dnnl_query_weights_md, 1);
	if (want_l == NULL || want_i == NULL)
		return inf_fail(err, errlen, "oneDNN: GRU layouts unknown");

	/* head: [B][H] -> [B][N] (f32), softmax */
	dnnl_memory_desc_t hs_md, hw_any, hw_md, hb_md, lo_md;
	dnnl_dims_t hs_d = { B, H }, hw_d = { N, H }, hb_d = { N }, lo_d = { B, N };
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hs_md, 2, hs_d, dt, dnnl_nc), "head src md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hw_any, 2, hw_d, dt, dnnl_format_tag_any), "head w");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hw_md, 2, hw_d, dnnl_f32, dnnl_oi), "head w md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hb_md, 1, hb_d, dnnl_f32, dnnl_x), "head b md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&lo_md, 2, lo_d, dnnl_f32, dnnl_nc), "logits md");
	dnnl_inner_product_desc_t ipd;
	DNNL_TRY(dnnl_inner_product_forward_desc_init(&ipd, dnnl_forward_inference, &hs_md, &hw_any,
			&hb_md, &lo_md), "head desc");
	if (inf_prim_create(&n->head, &ipd, NULL, g->eng, &g->mem, err, errlen) < 0)
		return -1;
	const dnnl_memory_desc_t *want_h = inf_prim_md(&n->head, dnnl_query_weights_md, 0);
	if (want_h == NULL)
		return inf_fail(err, errlen, "oneDNN: head layout unknown");
	dnnl_softmax_desc_t sd;
	DNNL_TRY(dnnl_softmax_forward_desc_init(&sd, dnnl_forward_inference, &lo_md, 1), "softmax");
	if (inf_prim_create(&n->softmax, &sd, NULL, g->eng, &g->mem, err, errlen) < 0)
		return -1;

	/* buffers, and the weights in the layouts chosen above: on the node */
	if (!(n->x_buf = inf_buffer(&n->x, &x_md, g->eng, &g->mem, err, errlen)) ||
			(g->prec != INF_F32 && (!inf_buffer(&n->xc, &xc_md, g->eng, &g->mem, err, errlen) ||
			!inf_buffer(&n->h_inc, &hc_md, g->eng, &g->mem, err, errlen) ||
			!inf_buffer(&n->h_outc, &hc_md, g->eng, &g->mem, err, errlen))) ||
			!(n->h_in_buf = inf_buffer(&n->h_in, &h_md, g->eng, &g->mem, err, errlen)) ||
			!(n->h_out_buf = inf_buffer(&n->h_out, &h_md, g->eng, &g->mem, err, errlen)) ||
			!inf_buffer(&n->dst_layer, &out_md, g->eng, &g->mem, err, errlen) ||
			!inf_buffer(&n->logits, &lo_md, g->eng, &g->mem, err, errlen) ||
			!(n->probs_buf = inf_buffer(&n->probs, &lo_md, g->eng, &g->mem, err, errlen)) ||
			inf_weights(&n->wl, want_l, prev ? prev->wl : NULL, g->eng, g->stream, &g->mem,
				&wl_md, g->w_layer, err, errlen) < 0 ||
			inf_weights(&n->wi, want_i, prev ? prev->wi : NULL, g->eng, g->stream, &g->mem,
				&wi_md, g->w_iter, err, errlen) < 0 ||
			inf_weights(&n->bias, &b_md, prev ? prev->bias : NULL, g->eng, g->stream,
				&g->mem, &b_md, g->bias, err, errlen) < 0 ||
			inf_weights(&n->head_w, want_h, prev ? prev->head_w : NULL, g->eng, g->stream,
				&g->mem, &hw_md, g->head_w, err, errlen) < 0 ||
			inf_weights(&n->head_b, &hb_md, prev ? prev->head_b : NULL, g->eng, g->stream,
				&g->mem, &hb_md, g->head_b, err, errlen) < 0)
		return -1;
	return 0;
}

int
inf_gru_init(struct inf_gru *g, const struct mw_model *m, uint32_t batch, int node,
		enum inf_precision prec, char *err, size_t errlen)
{
	memset(g, 0, sizeof(*g));
	g->mem.node = node;
	g->prec = prec;
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
	if (g->head_b == NULL || inf_precision_check(prec, err, errlen) < 0 ||
			inf_dnnl_open(&g->eng, &g->stream, err, errlen) < 0) {
		inf_gru_free(g);
		return -1;
	}
	/* primitives for every batch size, built once here */
	unsigned int sizes[INF_NSIZES];
	g->n_nets = inf_batch_sizes(batch, sizes);
	for (unsigned int i = 0; i < g->n_nets; i++) {
		g->size[i] = sizes[i];
		g->net[i] = calloc(1, sizeof(struct inf_gru_net));
		if (g->net[i] == NULL || build(g, g->net[i], i ? g->net[i - 1] : NULL, sizes[i],
				err, errlen) < 0) {
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
	inf_prim_destroy(&n->cast_x);
	inf_prim_destroy(&n->cast_h);
	inf_prim_destroy(&n->uncast_h);
	inf_prim_destroy(&n->gru);
	inf_prim_destroy(&n->head);
	inf_prim_destroy(&n->softmax);
	dnnl_memory_t mems[] = { n->x, n->xc, n->h_in, n->h_inc, n->wl, n->wi, n->bias, n->h_out,
		n->h_outc, n->dst_layer, n->head_w, n->head_b, n->logits, n->probs };
	for (unsigned int i = 0; i < sizeof(mems) / sizeof(mems[0]); i++)
		if (mems[i])
			dnnl_memory_destroy(mems[i]);
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
	inf_dnnl_close(g->eng, g->stream);
	g->eng = NULL, g->stream = NULL;
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
	const bool cast = net->cast_x.p != NULL;
	dnnl_exec_arg_t cast_x[] = { { DNNL_ARG_FROM, net->x }, { DNNL_ARG_TO, net->xc } };
	dnnl_exec_arg_t cast_h[] = { { DNNL_ARG_FROM, net->h_in }, { DNNL_ARG_TO, net->h_inc } };
	dnnl_exec_arg_t uncast_h[] = { { DNNL_ARG_FROM, net->h_outc }, { DNNL_ARG_TO, net->h_out } };
	dnnl_exec_arg_t gru_args[] = {
		{ DNNL_ARG_SRC_LAYER, cast ? net->xc : net->x },
		{ DNNL_ARG_SRC_ITER, cast ? net->h_inc : net->h_in },
		{ DNNL_ARG_WEIGHTS_LAYER, net->wl }, { DNNL_ARG_WEIGHTS_ITER, net->wi },
		{ DNNL_ARG_BIAS, net->bias }, { DNNL_ARG_DST_LAYER, net->dst_layer },
		{ DNNL_ARG_DST_ITER, cast ? net->h_outc : net->h_out },
	};
	dnnl_memory_t head_src = net->dst_layer;	/* [1][B][H] is the head's [B][H] */
	dnnl_exec_arg_t head_args[] = {
		{ DNNL_ARG_SRC, head_src }, { DNNL_ARG_WEIGHTS, net->head_w },
		{ DNNL_ARG_BIAS, net->head_b }, { DNNL_ARG_DST, net->logits },
	};
	dnnl_exec_arg_t sm_args[] = { { DNNL_ARG_SRC, net->logits }, { DNNL_ARG_DST, net->probs } };
	if ((cast && (inf_prim_exec(&net->cast_x, g->stream, 2, cast_x) != dnnl_success ||
			inf_prim_exec(&net->cast_h, g->stream, 2, cast_h) != dnnl_success)) ||
			inf_prim_exec(&net->gru, g->stream, 7, gru_args) != dnnl_success ||
			(cast && inf_prim_exec(&net->uncast_h, g->stream, 2, uncast_h) != dnnl_success) ||
			inf_prim_exec(&net->head, g->stream, 4, head_args) != dnnl_success ||
			inf_prim_exec(&net->softmax, g->stream, 2, sm_args) != dnnl_success ||
			dnnl_stream_wait(g->stream) != dnnl_success)
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
