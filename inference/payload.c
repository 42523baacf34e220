/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Payload model (see payload.h). inf_payload_init() is control path: it
 * builds every oneDNN primitive and buffer once. inf_payload_run() is hot
 * path: no allocation, one execution per primitive per batch.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <oneapi/dnnl/dnnl.h>

#include "onednn.h"
#include "payload.h"
#include "schema.h"

struct inf_payload_net {
	struct inf_prim conv, pool, fc, softmax;
	dnnl_memory_t src, conv_w, conv_b, conv_dst, pool_dst, fc_w, fc_b, logits, probs;
	uint8_t *src_buf;
	float *probs_buf;
};

/* prev: the net built for the next smaller batch size (its weights are
 * shared when their layout is the same), or NULL. */
static int
build(struct inf_payload *p, struct inf_payload_net *n, const struct inf_payload_net *prev,
		dnnl_dim_t B, char *err, size_t errlen)
{
	const dnnl_dim_t E = p->E, L = p->L, C = p->C, K = p->K, N = p->n_classes;
	const dnnl_data_type_t dt = inf_dt(p->prec);
	dnnl_memory_desc_t src_md, w_any, w_md, b_md, dst_any, pool_any, fc_w_any, fc_w_md, fc_b_md,
		out_md;

	/*
	 * conv1d as a 2-D convolution over a 1 x L image, ReLU fused. The
	 * source is channels-last (nhwc: E values per byte, as the table
	 * holds them); weights and output in the layout oneDNN picks.
	 */
	dnnl_dims_t src_d = { B, E, 1, L }, w_d = { C, E, 1, K }, b_d = { C }, dst_d = { B, C, 1, L };
	dnnl_dims_t strides = { 1, 1 }, pad = { 0, (K - 1) / 2 }, pad_r = { 0, K - 1 - (K - 1) / 2 };
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&src_md, 4, src_d, dt, dnnl_nhwc), "src md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&w_any, 4, w_d, dt, dnnl_format_tag_any), "weights");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&w_md, 4, w_d, dnnl_f32, dnnl_oihw), "weights md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, b_d, dnnl_f32, dnnl_x), "bias md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&dst_any, 4, dst_d, dt, dnnl_format_tag_any), "dst");
	dnnl_convolution_desc_t cd;
	DNNL_TRY(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference,
			dnnl_convolution_direct, &src_md, &w_any, &b_md, &dst_any, strides, pad, pad_r),
			"convolution desc");
	dnnl_primitive_attr_t attr;
	dnnl_post_ops_t ops;
	DNNL_TRY(dnnl_primitive_attr_create(&attr), "attr");
	DNNL_TRY(dnnl_post_ops_create(&ops), "post ops");
	DNNL_TRY(dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f), "relu");
	DNNL_TRY(dnnl_primitive_attr_set_post_ops(attr, ops), "set post ops");
	int rc = inf_prim_create(&n->conv, &cd, attr, p->eng, &p->mem, err, errlen);
	dnnl_post_ops_destroy(ops);
	dnnl_primitive_attr_destroy(attr);
	if (rc < 0)
		return -1;
	const dnnl_memory_desc_t *conv_w = inf_prim_md(&n->conv, dnnl_query_weights_md, 0);
	const dnnl_memory_desc_t *conv_dst = inf_prim_md(&n->conv, dnnl_query_dst_md, 0);
	if (conv_w == NULL || conv_dst == NULL)
		return inf_fail(err, errlen, "oneDNN: convolution layouts unknown");

	/* max over time: one window the length of the text */
	dnnl_dims_t pool_d = { B, C, 1, 1 }, kernel = { 1, L }, pstride = { 1, L }, dil = { 0, 0 },
		zero = { 0, 0 };
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&pool_any, 4, pool_d, dt, dnnl_format_tag_any), "pool");
	dnnl_pooling_v2_desc_t pl;
	DNNL_TRY(dnnl_pooling_v2_forward_desc_init(&pl, dnnl_forward_inference, dnnl_pooling_max,
			conv_dst, &pool_any, pstride, kernel, dil, zero, zero), "pooling desc");
	if (inf_prim_create(&n->pool, &pl, NULL, p->eng, &p->mem, err, errlen) < 0)
		return -1;
	const dnnl_memory_desc_t *pool_dst = inf_prim_md(&n->pool, dnnl_query_dst_md, 0);
	if (pool_dst == NULL)
		return inf_fail(err, errlen, "oneDNN: pooling layout unknown");

	/* fully connected over the pooled [B][C][1][1], then softmax (f32) */
	dnnl_dims_t fc_w_d = { N, C, 1, 1 }, fc_b_d = { N }, out_d = { B, N };
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&fc_w_any, 4, fc_w_d, dt, dnnl_format_tag_any), "fc w");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&fc_w_md, 4, fc_w_d, dnnl_f32, dnnl_oihw), "fc w md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&fc_b_md, 1, fc_b_d, dnnl_f32, dnnl_x), "fc b md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&out_md, 2, out_d, dnnl_f32, dnnl_nc), "out md");
	dnnl_inner_product_desc_t ipd;
	DNNL_TRY(dnnl_inner_product_forward_desc_init(&ipd, dnnl_forward_inference, pool_dst,
			&fc_w_any, &fc_b_md, &out_md), "inner product desc");
	if (inf_prim_create(&n->fc, &ipd, NULL, p->eng, &p->mem, err, errlen) < 0)
		return -1;
	const dnnl_memory_desc_t *fc_w = inf_prim_md(&n->fc, dnnl_query_weights_md, 0);
	if (fc_w == NULL)
		return inf_fail(err, errlen, "oneDNN: inner product layout unknown");
	dnnl_softmax_desc_t sd;
	DNNL_TRY(dnnl_softmax_forward_desc_init(&sd, dnnl_forward_inference, &out_md, 1),
			"softmax desc");
	if (inf_prim_create(&n->softmax, &sd, NULL, p->eng, &p->mem, err, errlen) < 0)
		return -1;

	/* buffers, and the weights reordered into the layouts chosen above */
	if (!(n->src_buf = (uint8_t *)inf_buffer(&n->src, &src_md, p->eng, &p->mem, err, errlen)) ||
			!inf_buffer(&n->conv_dst, conv_dst, p->eng, &p->mem, err, errlen) ||
			!inf_buffer(&n->pool_dst, pool_dst, p->eng, &p->mem, err, errlen) ||
			!inf_buffer(&n->logits, &out_md, p->eng, &p->mem, err, errlen) ||
			!(n->probs_buf = inf_buffer(&n->probs, &out_md, p->eng, &p->mem, err, errlen)) ||
			inf_weights(&n->conv_w, conv_w, prev ? prev->conv_w : NULL, p->eng, p->stream,
				&p->mem, &w_md, p->conv_w, err, errlen) < 0 ||
			inf_weights(&n->conv_b, &b_md, prev ? prev->conv_b : NULL, p->eng, p->stream,
				&p->mem, &b_md, p->conv_b, err, errlen) < 0 ||
			inf_weights(&n->fc_w, fc_w, prev ? prev->fc_w : NULL, p->eng, p->stream,
				&p->mem, &fc_w_md, p->fc_w, err, errlen) < 0 ||
			inf_weights(&n->fc_b, &fc_b_md, prev ? prev->fc_b : NULL, p->eng, p->stream,
				&p->mem, &fc_b_md, p->fc_b, err, errlen) < 0)
		return -1;
	return 0;
}

/* The embedding table in the model's precision, on the node: the gather
 * copies its rows. Converted by a oneDNN reorder. */
static int
make_table(struct inf_payload *p, char *err, size_t errlen)
{
	dnnl_memory_desc_t from, to;
	dnnl_memory_t table;
	void *buf;
	dnnl_dims_t d = { 256, p->E };

	DNNL_TRY(dnnl_memory_desc_init_by_tag(&from, 2, d, dnnl_f32, dnnl_ab), "table md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&to, 2, d, inf_dt(p->prec), dnnl_ab), "table md");
	if (inf_memory(&table, &to, p->eng, p->stream, &p->mem, &from, p->embed, err, errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_memory_get_data_handle(table, &buf), "table");
	dnnl_memory_destroy(table);		/* the buffer stays in p->mem */
	p->table = buf;
	p->row = dnnl_memory_desc_get_size(&to) / 256;
	return 0;
}

int
inf_payload_init(struct inf_payload *p, const struct mw_model *m, uint32_t batch, int node,
		enum inf_precision prec, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->mem.node = node;
	p->prec = prec;
	if (m->kind != MW_MODEL_PAYLOAD)
		return inf_fail(err, errlen, "not a payload model");
	p->L = m->dims[0], p->E = m->dims[1], p->C = m->dims[2], p->K = m->dims[3];
	p->n_classes = m->n_classes;
	p->batch = batch;
	if (p->L < 8 || p->L > 4096 || p->E == 0 || p->E > 512 || p->C == 0 || p->C > 4096 ||
			p->K == 0 || p->K > 31 || p->K > p->L || batch == 0 || batch > 1024)
		return inf_fail(err, errlen, "payload model dims L=%u E=%u C=%u K=%u (batch %u) are out "
				"of range", p->L, p->E, p->C, p->K, batch);
	p->embed = mw_model_weights(m, "embed", 2, 256, p->E, 0, err, errlen);
	p->conv_w = p->embed ? mw_model_weights(m, "conv.weight", 3, p->C, p->E, p->K, err, errlen) : NULL;
	p->conv_b = p->conv_w ? mw_model_weights(m, "conv.bias", 1, p->C, 0, 0, err, errlen) : NULL;
	p->fc_w = p->conv_b ? mw_model_weights(m, "fc.weight", 2, p->n_classes, p->C, 0, err, errlen) : NULL;
	p->fc_b = p->fc_w ? mw_model_weights(m, "fc.bias", 1, p->n_classes, 0, 0, err, errlen) : NULL;
	if (p->fc_b == NULL || inf_precision_check(prec, err, errlen) < 0 ||
			inf_dnnl_open(&p->eng, &p->stream, err, errlen) < 0 ||
			make_table(p, err, errlen) < 0) {
		inf_payload_free(p);
		return -1;
	}
	/* primitives for every batch size, built once here */
	unsigned int sizes[INF_NSIZES];
	p->n_nets = inf_batch_sizes(batch, sizes);
	for (unsigned int i = 0; i < p->n_nets; i++) {
		p->size[i] = sizes[i];
		p->net[i] = calloc(1, sizeof(struct inf_payload_net));
		if (p->net[i] == NULL || build(p, p->net[i], i ? p->net[i - 1] : NULL, sizes[i],
				err, errlen) < 0) {
			if (p->net[i] == NULL)
				inf_fail(err, errlen, "out of memory");
			inf_payload_free(p);
			return -1;
		}
	}
	return 0;
}

static void
free_net(struct inf_payload_net *n)
{
	inf_prim_destroy(&n->conv);
	inf_prim_destroy(&n->pool);
	inf_prim_destroy(&n->fc);
	inf_prim_destroy(&n->softmax);
	dnnl_memory_t mems[] = { n->src, n->conv_w, n->conv_b, n->conv_dst, n->pool_dst,
		n->fc_w, n->fc_b, n->logits, n->probs };
	for (unsigned int i = 0; i < sizeof(mems) / sizeof(mems[0]); i++)
		if (mems[i])
			dnnl_memory_destroy(mems[i]);
	free(n);
}

void
inf_payload_free(struct inf_payload *p)
{
	for (unsigned int i = 0; i < INF_NSIZES; i++)
		if (p->net[i] != NULL) {
			free_net(p->net[i]);
			p->net[i] = NULL;
		}
	inf_dnnl_close(p->eng, p->stream);
	p->eng = NULL, p->stream = NULL;
	inf_mem_free(&p->mem);
}

/* The byte at position t of a text as the model sees it: the text, then
 * byte 0 (which normalization never leaves in a text) up to L. */
static inline uint8_t
byte_at(const uint8_t *text, uint32_t len, uint32_t t)
{
	return t < len ? text[t] : 0;
}

/* The embedding gather into channels-last src: one table row per byte. */
static void
gather(const struct inf_payload *p, uint8_t *src, const uint8_t *text, uint32_t len)
{
	for (uint32_t t = 0; t < p->L; t++)
		memcpy(src + t * p->row, p->table + byte_at(text, len, t) * p->row, p->row);
}

int
inf_payload_run(struct inf_payload *p, const uint8_t *const *text, const uint32_t *len,
		uint32_t n, float *probs)
{
	const size_t per = (size_t)p->L * p->row;
	if (n > p->batch)
		n = p->batch;
	struct inf_payload_net *net = p->net[inf_batch_pick(p->size, n)];
	for (uint32_t b = 0; b < n; b++)
		gather(p, net->src_buf + b * per, text[b], len[b]);
	dnnl_exec_arg_t conv_args[] = {
		{ DNNL_ARG_SRC, net->src }, { DNNL_ARG_WEIGHTS, net->conv_w },
		{ DNNL_ARG_BIAS, net->conv_b }, { DNNL_ARG_DST, net->conv_dst },
	};
	dnnl_exec_arg_t pool_args[] = { { DNNL_ARG_SRC, net->conv_dst }, { DNNL_ARG_DST, net->pool_dst } };
	dnnl_exec_arg_t fc_args[] = {
		{ DNNL_ARG_SRC, net->pool_dst }, { DNNL_ARG_WEIGHTS, net->fc_w },
		{ DNNL_ARG_BIAS, net->fc_b }, { DNNL_ARG_DST, net->logits },
	};
	dnnl_exec_arg_t sm_args[] = { { DNNL_ARG_SRC, net->logits }, { DNNL_ARG_DST, net->probs } };
	if (inf_prim_exec(&net->conv, p->stream, 4, conv_args) != dnnl_success ||
			inf_prim_exec(&net->pool, p->stream, 2, pool_args) != dnnl_success ||
			inf_prim_exec(&net->fc, p->stream, 4, fc_args) != dnnl_success ||
			inf_prim_exec(&net->softmax, p->stream, 2, sm_args) != dnnl_success ||
			dnnl_stream_wait(p->stream) != dnnl_success)
		return -1;
	memcpy(probs, net->probs_buf, (size_t)n * p->n_classes * sizeof(float));
	return 0;
}

void
inf_payload_reference(const struct inf_payload *p, const uint8_t *text, uint32_t len,
		float *logits, float *probs)
{
	const uint32_t L = p->L, E = p->E, C = p->C, K = p->K, N = p->n_classes;
	const int left = (int)(K - 1) / 2;
	float *pooled = malloc(sizeof(float) * C);

	for (uint32_t c = 0; c < C; c++) {
		float best = -INFINITY;
		for (uint32_t t = 0; t < L; t++) {
			double acc = p->conv_b[c];
			for (uint32_t k = 0; k < K; k++) {
				int pos = (int)t + (int)k - left;
				if (pos < 0 || pos >= (int)L)
					continue;
				const float *x = p->embed + (size_t)byte_at(text, len, (uint32_t)pos) * E;
				for (uint32_t e = 0; e < E; e++)
					acc += (double)p->conv_w[((size_t)c * E + e) * K + k] * x[e];
			}
			float v = acc > 0 ? (float)acc : 0.0f;
			if (v > best)
				best = v;
		}
		pooled[c] = best;
	}
	double max = -INFINITY, sum = 0;
	for (uint32_t k = 0; k < N; k++) {
		double acc = p->fc_b[k];
		for (uint32_t c = 0; c < C; c++)
			acc += (double)p->fc_w[(size_t)k * C + c] * pooled[c];
		logits[k] = (float)acc;
		if (acc > max)
			max = acc;
	}
	for (uint32_t k = 0; k < N; k++)
		sum += exp((double)logits[k] - max);
	for (uint32_t k = 0; k < N; k++)
		probs[k] = (float)(exp((double)logits[k] - max) / sum);
	free(pooled);
}

uint32_t
inf_payload_score(struct inf_payload *p, const struct mw_event *const *ev, uint32_t n,
		float *probs, int8_t *best, uint32_t *windows)
{
	enum { MAXB = 256 };
	const uint8_t *text[MAXB];
	uint32_t len[MAXB], owner[MAXB], failed = 0, k = 0;
	uint8_t match[MAXB];
	static __thread float out[MAXB * MW_MODEL_MAX_CLASSES];
	const uint32_t nc = p->n_classes, cap = p->batch < MAXB ? p->batch : MAXB;

	memset(probs, 0, (size_t)n * nc * sizeof(float));
	memset(best, -1, n);
	*windows = 0;
	for (uint32_t i = 0; i <= n; i++) {
		const uint8_t *wt[MW_PAYLOAD_WINDOWS];
		uint32_t wl[MW_PAYLOAD_WINDOWS];
		uint8_t wm[MW_PAYLOAD_WINDOWS];
		unsigned int nw = i < n ? mw_payload_windows(ev[i], p->L, wt, wl, wm,
				MW_PAYLOAD_WINDOWS) : 0;
		/* run what is pending when this call's windows would not fit, or at the end */
		if (k > 0 && (i == n || k + nw > cap)) {
			if (inf_payload_run(p, text, len, k, out) < 0) {
				failed += k;
			} else {
				*windows += k;
				for (uint32_t j = 0; j < k; j++) {
					const float *pr = out + (size_t)j * nc;
					float *row = probs + (size_t)owner[j] * nc;
					if (best[owner[j]] < 0 || pr[0] < row[0]) {	/* less benign */
						memcpy(row, pr, nc * sizeof(float));
						best[owner[j]] = (int8_t)match[j];
					}
				}
			}
			k = 0;
		}
		for (unsigned int w = 0; w < nw && k < cap; w++) {
			text[k] = wt[w];
			len[k] = wl[w];
			match[k] = wm[w];
			owner[k++] = i;
		}
	}
	return failed;
}
