/* SPDX-License-Identifier: BSD-3-Clause */
/* Training nets over oneDNN (see nn.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn.h"
#include "onednn.h"

/* ---- optimizer, init, loss ---- */

uint64_t
tr_rand(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);	/* splitmix64 */
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

float
tr_uniform(uint64_t *s)
{
	return (float)(tr_rand(s) >> 40) / (float)(1ull << 24);
}

void
tr_init_uniform(struct tr_param *p, float scale, uint64_t *seed)
{
	for (size_t i = 0; i < p->n; i++)
		p->w[i] = (2.0f * tr_uniform(seed) - 1.0f) * scale;
}

void
tr_adam(struct tr_opt *o, struct tr_param *p, unsigned int n)
{
	o->t++;
	const float c1 = 1.0f - powf(o->beta1, (float)o->t), c2 = 1.0f - powf(o->beta2, (float)o->t);
	const float step = o->lr * sqrtf(c2) / c1;

	for (unsigned int k = 0; k < n; k++)
		for (size_t i = 0; i < p[k].n; i++) {
			float g = p[k].g[i];
			if (!isfinite(g))
				g = 0.0f;
			p[k].m[i] = o->beta1 * p[k].m[i] + (1.0f - o->beta1) * g;
			p[k].v[i] = o->beta2 * p[k].v[i] + (1.0f - o->beta2) * g * g;
			p[k].w[i] -= step * p[k].m[i] / (sqrtf(p[k].v[i]) + o->eps) +
				o->lr * o->decay * p[k].w[i];
		}
}

/* Softmax over each of n rows of N logits. */
static void
softmax_rows(const float *logits, float *probs, size_t n, uint32_t N)
{
	for (size_t i = 0; i < n; i++) {
		const float *z = logits + i * N;
		float *p = probs + i * N, mx = z[0], s = 0.0f;
		for (uint32_t c = 1; c < N; c++)
			mx = z[c] > mx ? z[c] : mx;
		for (uint32_t c = 0; c < N; c++)
			s += (p[c] = expf(z[c] - mx));
		for (uint32_t c = 0; c < N; c++)
			p[c] /= s;
	}
}

double
tr_xent(const float *probs, const int *y, const float *w, uint32_t n, uint32_t N, float *dlogits)
{
	double loss = 0.0;
	float wsum = 0.0f;

	for (uint32_t i = 0; i < n; i++)
		wsum += w[i];
	for (uint32_t i = 0; i < n; i++) {
		const float *p = probs + (size_t)i * N;
		float *d = dlogits + (size_t)i * N;
		const float wi = w[i] / (wsum > 0.0f ? wsum : 1.0f);
		for (uint32_t c = 0; c < N; c++)
			d[c] = wi * (p[c] - (c == (uint32_t)y[i] ? 1.0f : 0.0f));
		/* p can round to 1 (and a hair over): a batch the model fits
		 * exactly must not come out below 0, which callers read as a
		 * failed step */
		if (w[i] > 0.0f)
			loss += (double)wi * -log(fmin(fmax((double)p[y[i]], 1e-12), 1.0));
	}
	return loss;
}

static int
param(struct tr_param *p, const char *name, uint32_t ndim, uint32_t a, uint32_t b, uint32_t c,
		uint32_t d)
{
	const uint32_t sh[4] = { a, b, c, d };

	p->name = name;
	p->ndim = ndim;
	p->n = 1;
	for (uint32_t i = 0; i < 4; i++) {
		p->shape[i] = i < ndim ? sh[i] : 0;
		p->n *= i < ndim ? sh[i] : 1;
	}
	p->w = calloc(p->n, sizeof(float));
	p->g = calloc(p->n, sizeof(float));
	p->m = calloc(p->n, sizeof(float));
	p->v = calloc(p->n, sizeof(float));
	return p->w && p->g && p->m && p->v ? 0 : -1;
}

static void
params_free(struct tr_param *p, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		free(p[i].w), free(p[i].g), free(p[i].m), free(p[i].v);
		memset(&p[i], 0, sizeof(p[i]));
	}
}

int
tr_params_load(struct tr_param *p, unsigned int n, const struct mw_model *m, char *err,
		size_t errlen)
{
	for (unsigned int i = 0; i < n; i++) {
		const struct mw_tensor *t = mw_model_tensor(m, p[i].name, p[i].ndim, p[i].shape, err,
				errlen);
		if (t == NULL)
			return -1;
		memcpy(p[i].w, t->data, p[i].n * sizeof(float));
	}
	return 0;
}

void
tr_params_tensors(const struct tr_param *p, unsigned int n, struct mw_tensor *t)
{
	for (unsigned int i = 0; i < n; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		snprintf(t[i].name, sizeof(t[i].name), "%s", p[i].name);
		t[i].ndim = p[i].ndim;
		memcpy(t[i].shape, p[i].shape, sizeof(t[i].shape));
		t[i].count = p[i].n;
		t[i].data = p[i].w;
	}
}

/* ---- oneDNN plumbing ---- */

struct prim {
	dnnl_primitive_desc_t pd;
	dnnl_primitive_t p;
};

static int
prim(struct prim *x, const_dnnl_op_desc_t desc, const_dnnl_primitive_desc_t hint,
		dnnl_engine_t eng, const char *what, char *err, size_t errlen)
{
	DNNL_TRY(dnnl_primitive_desc_create(&x->pd, desc, NULL, eng, hint), what);
	DNNL_TRY(dnnl_primitive_create(&x->p, x->pd), what);
	return 0;
}

static void
prim_free(struct prim *x)
{
	if (x->p)
		dnnl_primitive_destroy(x->p);
	if (x->pd)
		dnnl_primitive_desc_destroy(x->pd);
	x->p = NULL, x->pd = NULL;
}

static const dnnl_memory_desc_t *
qmd(const struct prim *x, dnnl_query_t q, int i)
{
	return dnnl_primitive_desc_query_md(x->pd, q, i);
}

/* Memory for md: over buf, or allocated by oneDNN when buf is NULL. */
static int
mem(dnnl_memory_t *m, const dnnl_memory_desc_t *md, dnnl_engine_t eng, void *buf, char *err,
		size_t errlen)
{
	DNNL_TRY(dnnl_memory_create(m, md, eng, buf ? buf : DNNL_MEMORY_ALLOCATE), "memory");
	return 0;
}

static void *
handle(dnnl_memory_t m)
{
	void *p = NULL;
	dnnl_memory_get_data_handle(m, &p);
	return p;
}

static void
zero(dnnl_memory_t m)
{
	const dnnl_memory_desc_t *md;
	if (dnnl_memory_get_memory_desc(m, &md) == dnnl_success)
		memset(handle(m), 0, dnnl_memory_desc_get_size(md));
}

/* A plain buffer seen in a primitive's layout: the same memory when the
 * layouts agree, else a buffer of its own and a reorder either way. */
struct view {
	dnnl_memory_t user, own;	/* own == user when no reorder is needed */
	struct prim to, from;		/* user -> own, own -> user */
};

static int
view(struct view *v, const dnnl_memory_desc_t *user_md, void *buf, const dnnl_memory_desc_t *want,
		dnnl_engine_t eng, char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	if (mem(&v->user, user_md, eng, buf, err, errlen) < 0)
		return -1;
	if (want == NULL || dnnl_memory_desc_equal(user_md, want)) {
		v->own = v->user;
		return 0;
	}
	if (mem(&v->own, want, eng, NULL, err, errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_reorder_primitive_desc_create(&v->to.pd, user_md, eng, want, eng, NULL), "reorder");
	DNNL_TRY(dnnl_primitive_create(&v->to.p, v->to.pd), "reorder");
	DNNL_TRY(dnnl_reorder_primitive_desc_create(&v->from.pd, want, eng, user_md, eng, NULL),
			"reorder");
	DNNL_TRY(dnnl_primitive_create(&v->from.p, v->from.pd), "reorder");
	return 0;
}

static dnnl_status_t
sync(const struct view *v, dnnl_stream_t s, int to_own)
{
	if (v->own == v->user)
		return dnnl_success;
	dnnl_exec_arg_t a[] = { { DNNL_ARG_FROM, to_own ? v->user : v->own },
		{ DNNL_ARG_TO, to_own ? v->own : v->user } };
	return dnnl_primitive_execute(to_own ? v->to.p : v->from.p, s, 2, a);
}

static void
view_free(struct view *v)
{
	if (v->own && v->own != v->user)
		dnnl_memory_destroy(v->own);
	if (v->user)
		dnnl_memory_destroy(v->user);
	prim_free(&v->to);
	prim_free(&v->from);
	memset(v, 0, sizeof(*v));
}

static dnnl_status_t
run(const struct prim *x, dnnl_stream_t s, int n, const dnnl_exec_arg_t *a)
{
	return dnnl_primitive_execute(x->p, s, n, a);
}

/* ---- the payload CNN ---- */

struct tr_payload_dnnl {
	dnnl_engine_t eng;
	dnnl_stream_t s;
	struct prim conv, relu, pool, fc, fc_bd, fc_bw, pool_b, relu_b, conv_bw, conv_bd;
	dnnl_memory_t src, conv_w, conv_b, conv_out, act, pooled, fc_w, fc_b, logits, ws;
	dnnl_memory_t d_logits, d_pooled, d_act, d_conv_out, d_src, d_conv_w, d_conv_b, d_fc_w,
		d_fc_b;
	float *src_buf, *d_src_buf;
};

int
tr_payload_init(struct tr_payload *n, uint32_t L, uint32_t E, uint32_t C, uint32_t K,
		uint32_t N, uint32_t B, uint64_t seed, char *err, size_t errlen)
{
	memset(n, 0, sizeof(*n));
	n->L = L, n->E = E, n->C = C, n->K = K, n->N = N, n->B = B;
	if (L < 8 || E == 0 || C == 0 || K == 0 || K > L || N < 2 || B == 0)
		return inf_fail(err, errlen, "payload net: bad shape L=%u E=%u C=%u K=%u N=%u B=%u",
				L, E, C, K, N, B);
	struct tr_payload_dnnl *d = n->d = calloc(1, sizeof(*d));
	if (d == NULL || param(&n->p[0], "embed", 2, 256, E, 0, 0) < 0 ||
			param(&n->p[1], "conv.weight", 3, C, E, K, 0) < 0 ||
			param(&n->p[2], "conv.bias", 1, C, 0, 0, 0) < 0 ||
			param(&n->p[3], "fc.weight", 2, N, C, 0, 0) < 0 ||
			param(&n->p[4], "fc.bias", 1, N, 0, 0, 0) < 0)
		return inf_fail(err, errlen, "out of memory");
	tr_init_uniform(&n->p[0], 0.5f, &seed);
	tr_init_uniform(&n->p[1], sqrtf(6.0f / (float)(E * K)), &seed);
	tr_init_uniform(&n->p[3], sqrtf(6.0f / (float)(C + N)), &seed);
	n->bytes = calloc((size_t)B * L, 1);
	n->logits = calloc((size_t)B * N, sizeof(float));
	n->probs = calloc((size_t)B * N, sizeof(float));
	n->dlogits = calloc((size_t)B * N, sizeof(float));
	d->src_buf = calloc((size_t)B * E * L, sizeof(float));
	d->d_src_buf = calloc((size_t)B * E * L, sizeof(float));
	if (!n->bytes || !n->logits || !n->probs || !n->dlogits || !d->src_buf || !d->d_src_buf)
		return inf_fail(err, errlen, "out of memory");
	DNNL_TRY(dnnl_engine_create(&d->eng, dnnl_cpu, 0), "engine");
	DNNL_TRY(dnnl_stream_create(&d->s, d->eng, dnnl_stream_default_flags), "stream");

	const dnnl_dim_t b = B, e = E, l = L, c = C, k = K, nn = N;
	dnnl_memory_desc_t src_md, w_md, b_md, out_md, pool_md, fw_md, fb_md, lo_md;
	dnnl_dims_t src_d = { b, e, 1, l }, w_d = { c, e, 1, k }, b_d = { c }, out_d = { b, c, 1, l },
		pool_d = { b, c, 1, 1 }, fw_d = { nn, c, 1, 1 }, fb_d = { nn }, lo_d = { b, nn };
	dnnl_dims_t strides = { 1, 1 }, pad_l = { 0, (k - 1) / 2 }, pad_r = { 0, k - 1 - (k - 1) / 2 };
	dnnl_dims_t kernel = { 1, l }, pstride = { 1, l }, dil = { 0, 0 }, zero2 = { 0, 0 };
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&src_md, 4, src_d, dnnl_f32, dnnl_nchw), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&w_md, 4, w_d, dnnl_f32, dnnl_oihw), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&b_md, 1, b_d, dnnl_f32, dnnl_x), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&out_md, 4, out_d, dnnl_f32, dnnl_nchw), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&pool_md, 4, pool_d, dnnl_f32, dnnl_nchw), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&fw_md, 4, fw_d, dnnl_f32, dnnl_oihw), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&fb_md, 1, fb_d, dnnl_f32, dnnl_x), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&lo_md, 2, lo_d, dnnl_f32, dnnl_nc), "md");

	dnnl_convolution_desc_t cd;
	dnnl_eltwise_desc_t ed;
	dnnl_pooling_v2_desc_t pl;
	dnnl_inner_product_desc_t ip;
	DNNL_TRY(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct,
			&src_md, &w_md, &b_md, &out_md, strides, pad_l, pad_r), "conv desc");
	if (prim(&d->conv, &cd, NULL, d->eng, "convolution", err, errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_eltwise_forward_desc_init(&ed, dnnl_forward_training, dnnl_eltwise_relu, &out_md,
			0.0f, 0.0f), "relu desc");
	if (prim(&d->relu, &ed, NULL, d->eng, "relu", err, errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_pooling_v2_forward_desc_init(&pl, dnnl_forward_training, dnnl_pooling_max, &out_md,
			&pool_md, pstride, kernel, dil, zero2, zero2), "pool desc");
	if (prim(&d->pool, &pl, NULL, d->eng, "pooling", err, errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_inner_product_forward_desc_init(&ip, dnnl_forward_training, &pool_md, &fw_md,
			&fb_md, &lo_md), "fc desc");
	if (prim(&d->fc, &ip, NULL, d->eng, "inner product", err, errlen) < 0)
		return -1;
	/* backward */
	DNNL_TRY(dnnl_inner_product_backward_data_desc_init(&ip, &pool_md, &fw_md, &lo_md), "fc bd");
	if (prim(&d->fc_bd, &ip, d->fc.pd, d->eng, "inner product backward data", err, errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_inner_product_backward_weights_desc_init(&ip, &pool_md, &fw_md, &fb_md, &lo_md),
			"fc bw");
	if (prim(&d->fc_bw, &ip, d->fc.pd, d->eng, "inner product backward weights", err,
			errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_pooling_v2_backward_desc_init(&pl, dnnl_pooling_max, &out_md, &pool_md, pstride,
			kernel, dil, zero2, zero2), "pool bwd");
	if (prim(&d->pool_b, &pl, d->pool.pd, d->eng, "pooling backward", err, errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_eltwise_backward_desc_init(&ed, dnnl_eltwise_relu, &out_md, &out_md, 0.0f, 0.0f),
			"relu bwd");
	if (prim(&d->relu_b, &ed, d->relu.pd, d->eng, "relu backward", err, errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_convolution_backward_weights_desc_init(&cd, dnnl_convolution_direct, &src_md,
			&w_md, &b_md, &out_md, strides, pad_l, pad_r), "conv bw");
	if (prim(&d->conv_bw, &cd, d->conv.pd, d->eng, "convolution backward weights", err,
			errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_convolution_backward_data_desc_init(&cd, dnnl_convolution_direct, &src_md, &w_md,
			&out_md, strides, pad_l, pad_r), "conv bd");
	if (prim(&d->conv_bd, &cd, d->conv.pd, d->eng, "convolution backward data", err,
			errlen) < 0)
		return -1;
	const dnnl_memory_desc_t *ws_md = qmd(&d->pool, dnnl_query_workspace_md, 0);
	if (mem(&d->src, &src_md, d->eng, d->src_buf, err, errlen) < 0 ||
			mem(&d->conv_w, &w_md, d->eng, n->p[1].w, err, errlen) < 0 ||
			mem(&d->conv_b, &b_md, d->eng, n->p[2].w, err, errlen) < 0 ||
			mem(&d->conv_out, &out_md, d->eng, NULL, err, errlen) < 0 ||
			mem(&d->act, &out_md, d->eng, NULL, err, errlen) < 0 ||
			mem(&d->pooled, &pool_md, d->eng, NULL, err, errlen) < 0 ||
			mem(&d->fc_w, &fw_md, d->eng, n->p[3].w, err, errlen) < 0 ||
			mem(&d->fc_b, &fb_md, d->eng, n->p[4].w, err, errlen) < 0 ||
			mem(&d->logits, &lo_md, d->eng, n->logits, err, errlen) < 0 ||
			mem(&d->ws, ws_md, d->eng, NULL, err, errlen) < 0 ||
			mem(&d->d_logits, &lo_md, d->eng, n->dlogits, err, errlen) < 0 ||
			mem(&d->d_pooled, &pool_md, d->eng, NULL, err, errlen) < 0 ||
			mem(&d->d_act, &out_md, d->eng, NULL, err, errlen) < 0 ||
			mem(&d->d_conv_out, &out_md, d->eng, NULL, err, errlen) < 0 ||
			mem(&d->d_src, &src_md, d->eng, d->d_src_buf, err, errlen) < 0 ||
			mem(&d->d_conv_w, &w_md, d->eng, n->p[1].g, err, errlen) < 0 ||
			mem(&d->d_conv_b, &b_md, d->eng, n->p[2].g, err, errlen) < 0 ||
			mem(&d->d_fc_w, &fw_md, d->eng, n->p[3].g, err, errlen) < 0 ||
			mem(&d->d_fc_b, &fb_md, d->eng, n->p[4].g, err, errlen) < 0)
		return -1;
	return 0;
}

void
tr_payload_free(struct tr_payload *n)
{
	struct tr_payload_dnnl *d = n->d;

	if (d != NULL) {
		struct prim *ps[] = { &d->conv, &d->relu, &d->pool, &d->fc, &d->fc_bd, &d->fc_bw,
			&d->pool_b, &d->relu_b, &d->conv_bw, &d->conv_bd };
		for (unsigned int i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
			prim_free(ps[i]);
		dnnl_memory_t ms[] = { d->src, d->conv_w, d->conv_b, d->conv_out, d->act, d->pooled,
			d->fc_w, d->fc_b, d->logits, d->ws, d->d_logits, d->d_pooled, d->d_act,
			d->d_conv_out, d->d_src, d->d_conv_w, d->d_conv_b, d->d_fc_w, d->d_fc_b };
		for (unsigned int i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
			if (ms[i])
				dnnl_memory_destroy(ms[i]);
		if (d->s)
			dnnl_stream_destroy(d->s);
		if (d->eng)
			dnnl_engine_destroy(d->eng);
		free(d->src_buf);
		free(d->d_src_buf);
		free(d);
	}
	params_free(n->p, 5);
	free(n->bytes), free(n->logits), free(n->probs), free(n->dlogits);
	memset(n, 0, sizeof(*n));
}

void
tr_payload_set(struct tr_payload *n, uint32_t b, const uint8_t *text, uint32_t len)
{
	uint8_t *row = n->bytes + (size_t)b * n->L;

	if (len > n->L)
		len = n->L;
	memcpy(row, text, len);
	memset(row + len, 0, n->L - len);
}

int
tr_payload_forward(struct tr_payload *n)
{
	struct tr_payload_dnnl *d = n->d;
	const uint32_t L = n->L, E = n->E;

	/* the embedding gather, channels first: src[b][e][t] */
	for (uint32_t b = 0; b < n->B; b++)
		for (uint32_t t = 0; t < L; t++) {
			const float *row = n->p[0].w + (size_t)n->bytes[(size_t)b * L + t] * E;
			for (uint32_t e = 0; e < E; e++)
				d->src_buf[((size_t)b * E + e) * L + t] = row[e];
		}
	dnnl_exec_arg_t conv[] = { { DNNL_ARG_SRC, d->src }, { DNNL_ARG_WEIGHTS, d->conv_w },
		{ DNNL_ARG_BIAS, d->conv_b }, { DNNL_ARG_DST, d->conv_out } };
	dnnl_exec_arg_t relu[] = { { DNNL_ARG_SRC, d->conv_out }, { DNNL_ARG_DST, d->act } };
	dnnl_exec_arg_t pool[] = { { DNNL_ARG_SRC, d->act }, { DNNL_ARG_DST, d->pooled },
		{ DNNL_ARG_WORKSPACE, d->ws } };
	dnnl_exec_arg_t fc[] = { { DNNL_ARG_SRC, d->pooled }, { DNNL_ARG_WEIGHTS, d->fc_w },
		{ DNNL_ARG_BIAS, d->fc_b }, { DNNL_ARG_DST, d->logits } };
	if (run(&d->conv, d->s, 4, conv) || run(&d->relu, d->s, 2, relu) ||
			run(&d->pool, d->s, 3, pool) || run(&d->fc, d->s, 4, fc) ||
			dnnl_stream_wait(d->s))
		return -1;
	softmax_rows(n->logits, n->probs, n->B, n->N);
	return 0;
}

double
tr_payload_step(struct tr_payload *n, const int *y, const float *w)
{
	struct tr_payload_dnnl *d = n->d;
	const uint32_t L = n->L, E = n->E;

	if (tr_payload_forward(n) < 0)
		return -1.0;
	double loss = tr_xent(n->probs, y, w, n->B, n->N, n->dlogits);
	dnnl_exec_arg_t fc_bd[] = { { DNNL_ARG_DIFF_DST, d->d_logits },
		{ DNNL_ARG_WEIGHTS, d->fc_w }, { DNNL_ARG_DIFF_SRC, d->d_pooled } };
	dnnl_exec_arg_t fc_bw[] = { { DNNL_ARG_SRC, d->pooled }, { DNNL_ARG_DIFF_DST, d->d_logits },
		{ DNNL_ARG_DIFF_WEIGHTS, d->d_fc_w }, { DNNL_ARG_DIFF_BIAS, d->d_fc_b } };
	dnnl_exec_arg_t pool_b[] = { { DNNL_ARG_DIFF_DST, d->d_pooled },
		{ DNNL_ARG_DIFF_SRC, d->d_act }, { DNNL_ARG_WORKSPACE, d->ws } };
	dnnl_exec_arg_t relu_b[] = { { DNNL_ARG_SRC, d->conv_out }, { DNNL_ARG_DIFF_DST, d->d_act },
		{ DNNL_ARG_DIFF_SRC, d->d_conv_out } };
	dnnl_exec_arg_t conv_bw[] = { { DNNL_ARG_SRC, d->src }, { DNNL_ARG_DIFF_DST, d->d_conv_out },
		{ DNNL_ARG_DIFF_WEIGHTS, d->d_conv_w }, { DNNL_ARG_DIFF_BIAS, d->d_conv_b } };
	dnnl_exec_arg_t conv_bd[] = { { DNNL_ARG_DIFF_DST, d->d_conv_out },
		{ DNNL_ARG_WEIGHTS, d->conv_w }, { DNNL_ARG_DIFF_SRC, d->d_src } };
	if (run(&d->fc_bd, d->s, 3, fc_bd) || run(&d->fc_bw, d->s, 4, fc_bw) ||
			run(&d->pool_b, d->s, 3, pool_b) || run(&d->relu_b, d->s, 3, relu_b) ||
			run(&d->conv_bw, d->s, 4, conv_bw) || run(&d->conv_bd, d->s, 3, conv_bd) ||
			dnnl_stream_wait(d->s))
		return -1.0;
	/* the embedding's gradient: scatter-add of the source's, per byte */
	float *ge = n->p[0].g;
	memset(ge, 0, n->p[0].n * sizeof(float));
	for (uint32_t b = 0; b < n->B; b++)
		for (uint32_t t = 0; t < L; t++) {
			float *row = ge + (size_t)n->bytes[(size_t)b * L + t] * E;
			for (uint32_t e = 0; e < E; e++)
				row[e] += d->d_src_buf[((size_t)b * E + e) * L + t];
		}
	return loss;
}

/* ---- the GRU ---- */

struct tr_gru_dnnl {
	dnnl_engine_t eng;
	dnnl_stream_t s;
	struct prim fwd, bwd, head, head_bd, head_bw;
	struct view wl_f, wi_f, wl_b, wi_b, dwl, dwi;	/* weights per primitive, and diffs */
	dnnl_memory_t x, h0, bias, hs, hT, ws, logits, head_w, head_b;
	dnnl_memory_t d_logits, d_hs, d_hT, d_x, d_h0, d_bias, d_head_w, d_head_b;
	float *d_hs_buf;
};

int
tr_gru_init(struct tr_gru *g, uint32_t I, uint32_t H, uint32_t N, uint32_t B, uint32_t T,
		uint64_t seed, char *err, size_t errlen)
{
	memset(g, 0, sizeof(*g));
	g->I = I, g->H = H, g->N = N, g->B = B, g->T = T;
	if (I == 0 || H == 0 || N < 2 || B == 0 || T == 0)
		return inf_fail(err, errlen, "GRU net: bad shape I=%u H=%u N=%u B=%u T=%u", I, H, N, B, T);
	struct tr_gru_dnnl *d = g->d = calloc(1, sizeof(*d));
	if (d == NULL || param(&g->p[0], "gru.w_layer", 3, I, 3, H, 0) < 0 ||
			param(&g->p[1], "gru.w_iter", 3, H, 3, H, 0) < 0 ||
			param(&g->p[2], "gru.bias", 2, 3, H, 0, 0) < 0 ||
			param(&g->p[3], "head.weight", 2, N, H, 0, 0) < 0 ||
			param(&g->p[4], "head.bias", 1, N, 0, 0, 0) < 0)
		return inf_fail(err, errlen, "out of memory");
	tr_init_uniform(&g->p[0], 1.0f / sqrtf((float)H), &seed);
	tr_init_uniform(&g->p[1], 1.0f / sqrtf((float)H), &seed);
	tr_init_uniform(&g->p[3], sqrtf(6.0f / (float)(H + N)), &seed);
	const size_t TB = (size_t)T * B;
	g->x = calloc(TB * I, sizeof(float));
	g->h0 = calloc((size_t)B * H, sizeof(float));
	g->hT = calloc((size_t)B * H, sizeof(float));
	g->hs = calloc(TB * H, sizeof(float));
	g->logits = calloc(TB * N, sizeof(float));
	g->probs = calloc(TB * N, sizeof(float));
	g->dlogits = calloc(TB * N, sizeof(float));
	d->d_hs_buf = calloc(TB * H, sizeof(float));
	if (!g->x || !g->h0 || !g->hT || !g->hs || !g->logits || !g->probs || !g->dlogits ||
			!d->d_hs_buf)
		return inf_fail(err, errlen, "out of memory");
	DNNL_TRY(dnnl_engine_create(&d->eng, dnnl_cpu, 0), "engine");
	DNNL_TRY(dnnl_stream_create(&d->s, d->eng, dnnl_stream_default_flags), "stream");

	const dnnl_dim_t t = T, b = B, i = I, h = H, nn = N;
	dnnl_memory_desc_t x_md, h_md, wl_any, wi_any, wl_md, wi_md, b_md, hs_md, hs2_md, hw_md,
		hb_md, lo_md;
	dnnl_dims_t x_d = { t, b, i }, h_d = { 1, 1, b, h }, wl_d = { 1, 1, i, 3, h },
		wi_d = { 1, 1, h, 3, h }, b_d = { 1, 1, 3, h }, hs_d = { t, b, h }, hs2_d = { t * b, h },
		hw_d = { nn, h }, hb_d = { nn }, lo_d = { t * b, nn };
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&x_md, 3, x_d, dnnl_f32, dnnl_tnc), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&h_md, 4, h_d, dnnl_f32, dnnl_ldnc), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wl_any, 5, wl_d, dnnl_f32, dnnl_format_tag_any), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wi_any, 5, wi_d, dnnl_f32, dnnl_format_tag_any), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wl_md, 5, wl_d, dnnl_f32, dnnl_ldigo), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&wi_md, 5, wi_d, dnnl_f32, dnnl_ldigo), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&b_md, 4, b_d, dnnl_f32, dnnl_ldgo), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hs_md, 3, hs_d, dnnl_f32, dnnl_tnc), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hs2_md, 2, hs2_d, dnnl_f32, dnnl_nc), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hw_md, 2, hw_d, dnnl_f32, dnnl_oi), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&hb_md, 1, hb_d, dnnl_f32, dnnl_x), "md");
	DNNL_TRY(dnnl_memory_desc_init_by_tag(&lo_md, 2, lo_d, dnnl_f32, dnnl_nc), "md");

	dnnl_rnn_desc_t rd;
	DNNL_TRY(dnnl_gru_forward_desc_init(&rd, dnnl_forward_training, dnnl_unidirectional_left2right,
			&x_md, &h_md, &wl_any, &wi_any, &b_md, &hs_md, &h_md, dnnl_rnn_flags_undef),
			"gru desc");
	if (prim(&d->fwd, &rd, NULL, d->eng, "GRU forward", err, errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_gru_backward_desc_init(&rd, dnnl_backward, dnnl_unidirectional_left2right,
			&x_md, &h_md, &wl_any, &wi_any, &b_md, &hs_md, &h_md, &x_md, &h_md, &wl_any,
			&wi_any, &b_md, &hs_md, &h_md, dnnl_rnn_flags_undef), "gru bwd desc");
	if (prim(&d->bwd, &rd, d->fwd.pd, d->eng, "GRU backward", err, errlen) < 0)
		return -1;
	dnnl_inner_product_desc_t ip;
	DNNL_TRY(dnnl_inner_product_forward_desc_init(&ip, dnnl_forward_training, &hs2_md, &hw_md,
			&hb_md, &lo_md), "head desc");
	if (prim(&d->head, &ip, NULL, d->eng, "head", err, errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_inner_product_backward_data_desc_init(&ip, &hs2_md, &hw_md, &lo_md), "head bd");
	if (prim(&d->head_bd, &ip, d->head.pd, d->eng, "head backward data", err, errlen) < 0)
		return -1;
	DNNL_TRY(dnnl_inner_product_backward_weights_desc_init(&ip, &hs2_md, &hw_md, &hb_md, &lo_md),
			"head bw");
	if (prim(&d->head_bw, &ip, d->head.pd, d->eng, "head backward weights", err, errlen) < 0)
		return -1;

	if (view(&d->wl_f, &wl_md, g->p[0].w, qmd(&d->fwd, dnnl_query_weights_md, 0), d->eng,
			err, errlen) < 0 ||
			view(&d->wi_f, &wi_md, g->p[1].w, qmd(&d->fwd, dnnl_query_weights_md, 1),
				d->eng, err, errlen) < 0 ||
			view(&d->wl_b, &wl_md, g->p[0].w, qmd(&d->bwd, dnnl_query_weights_md, 0),
				d->eng, err, errlen) < 0 ||
			view(&d->wi_b, &wi_md, g->p[1].w, qmd(&d->bwd, dnnl_query_weights_md, 1),
				d->eng, err, errlen) < 0 ||
			view(&d->dwl, &wl_md, g->p[0].g, qmd(&d->bwd, dnnl_query_diff_weights_md, 0),
				d->eng, err, errlen) < 0 ||
			view(&d->dwi, &wi_md, g->p[1].g, qmd(&d->bwd, dnnl_query_diff_weights_md, 1),
				d->eng, err, errlen) < 0)
		return -1;
	const dnnl_memory_desc_t *ws_md = qmd(&d->fwd, dnnl_query_workspace_md, 0);
	if (mem(&d->x, &x_md, d->eng, g->x, err, errlen) < 0 ||
			mem(&d->h0, &h_md, d->eng, g->h0, err, errlen) < 0 ||
			mem(&d->bias, &b_md, d->eng, g->p[2].w, err, errlen) < 0 ||
			mem(&d->hs, &hs_md, d->eng, g->hs, err, errlen) < 0 ||
			mem(&d->hT, &h_md, d->eng, g->hT, err, errlen) < 0 ||
			mem(&d->ws, ws_md, d->eng, NULL, err, errlen) < 0 ||
			mem(&d->logits, &lo_md, d->eng, g->logits, err, errlen) < 0 ||
			mem(&d->head_w, &hw_md, d->eng, g->p[3].w, err, errlen) < 0 ||
			mem(&d->head_b, &hb_md, d->eng, g->p[4].w, err, errlen) < 0 ||
			mem(&d->d_logits, &lo_md, d->eng, g->dlogits, err, errlen) < 0 ||
			mem(&d->d_hs, &hs_md, d->eng, d->d_hs_buf, err, errlen) < 0 ||
			mem(&d->d_hT, &h_md, d->eng, NULL, err, errlen) < 0 ||
			mem(&d->d_x, &x_md, d->eng, NULL, err, errlen) < 0 ||
			mem(&d->d_h0, &h_md, d->eng, NULL, err, errlen) < 0 ||
			mem(&d->d_bias, &b_md, d->eng, g->p[2].g, err, errlen) < 0 ||
			mem(&d->d_head_w, &hw_md, d->eng, g->p[3].g, err, errlen) < 0 ||
			mem(&d->d_head_b, &hb_md, d->eng, g->p[4].g, err, errlen) < 0)
		return -1;
	return 0;
}

void
tr_gru_free(struct tr_gru *g)
{
	struct tr_gru_dnnl *d = g->d;

	if (d != NULL) {
		struct prim *ps[] = { &d->fwd, &d->bwd, &d->head, &d->head_bd, &d->head_bw };
		for (unsigned int i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
			prim_free(ps[i]);
		struct view *vs[] = { &d->wl_f, &d->wi_f, &d->wl_b, &d->wi_b, &d->dwl, &d->dwi };
		for (unsigned int i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
			view_free(vs[i]);
		dnnl_memory_t ms[] = { d->x, d->h0, d->bias, d->hs, d->hT, d->ws, d->logits,
			d->head_w, d->head_b, d->d_logits, d->d_hs, d->d_hT, d->d_x, d->d_h0,
			d->d_bias, d->d_head_w, d->d_head_b };
		for (unsigned int i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
			if (ms[i])
				dnnl_memory_destroy(ms[i]);
		if (d->s)
			dnnl_stream_destroy(d->s);
		if (d->eng)
			dnnl_engine_destroy(d->eng);
		free(d->d_hs_buf);
		free(d);
	}
	params_free(g->p, 5);
	free(g->x), free(g->h0), free(g->hT), free(g->hs);
	free(g->logits), free(g->probs), free(g->dlogits);
	memset(g, 0, sizeof(*g));
}

int
tr_gru_forward(struct tr_gru *g)
{
	struct tr_gru_dnnl *d = g->d;
	const size_t TB = (size_t)g->T * g->B;

	dnnl_exec_arg_t fwd[] = { { DNNL_ARG_SRC_LAYER, d->x }, { DNNL_ARG_SRC_ITER, d->h0 },
		{ DNNL_ARG_WEIGHTS_LAYER, d->wl_f.own }, { DNNL_ARG_WEIGHTS_ITER, d->wi_f.own },
		{ DNNL_ARG_BIAS, d->bias }, { DNNL_ARG_DST_LAYER, d->hs },
		{ DNNL_ARG_DST_ITER, d->hT }, { DNNL_ARG_WORKSPACE, d->ws } };
	dnnl_exec_arg_t head[] = { { DNNL_ARG_SRC, d->hs }, { DNNL_ARG_WEIGHTS, d->head_w },
		{ DNNL_ARG_BIAS, d->head_b }, { DNNL_ARG_DST, d->logits } };
	if (sync(&d->wl_f, d->s, 1) || sync(&d->wi_f, d->s, 1) || run(&d->fwd, d->s, 8, fwd) ||
			run(&d->head, d->s, 4, head) || dnnl_stream_wait(d->s))
		return -1;
	softmax_rows(g->logits, g->probs, TB, g->N);
	return 0;
}

double
tr_gru_step(struct tr_gru *g, const int *y, const float *w)
{
	struct tr_gru_dnnl *d = g->d;

	if (tr_gru_forward(g) < 0)
		return -1.0;
	double loss = tr_xent(g->probs, y, w, g->T * g->B, g->N, g->dlogits);
	dnnl_exec_arg_t hbd[] = { { DNNL_ARG_DIFF_DST, d->d_logits },
		{ DNNL_ARG_WEIGHTS, d->head_w }, { DNNL_ARG_DIFF_SRC, d->d_hs } };
	dnnl_exec_arg_t hbw[] = { { DNNL_ARG_SRC, d->hs }, { DNNL_ARG_DIFF_DST, d->d_logits },
		{ DNNL_ARG_DIFF_WEIGHTS, d->d_head_w }, { DNNL_ARG_DIFF_BIAS, d->d_head_b } };
	if (run(&d->head_bd, d->s, 3, hbd) || run(&d->head_bw, d->s, 4, hbw) ||
			sync(&d->wl_b, d->s, 1) || sync(&d->wi_b, d->s, 1) || dnnl_stream_wait(d->s))
		return -1.0;
	/* oneDNN 2.6 adds the RNN's weight gradients to what is there */
	zero(d->dwl.own), zero(d->dwi.own), zero(d->d_bias), zero(d->d_hT);
	dnnl_exec_arg_t bwd[] = { { DNNL_ARG_SRC_LAYER, d->x }, { DNNL_ARG_SRC_ITER, d->h0 },
		{ DNNL_ARG_WEIGHTS_LAYER, d->wl_b.own }, { DNNL_ARG_WEIGHTS_ITER, d->wi_b.own },
		{ DNNL_ARG_BIAS, d->bias }, { DNNL_ARG_DST_LAYER, d->hs },
		{ DNNL_ARG_DST_ITER, d->hT }, { DNNL_ARG_WORKSPACE, d->ws },
		{ DNNL_ARG_DIFF_SRC_LAYER, d->d_x }, { DNNL_ARG_DIFF_SRC_ITER, d->d_h0 },
		{ DNNL_ARG_DIFF_WEIGHTS_LAYER, d->dwl.own },
		{ DNNL_ARG_DIFF_WEIGHTS_ITER, d->dwi.own }, { DNNL_ARG_DIFF_BIAS, d->d_bias },
		{ DNNL_ARG_DIFF_DST_LAYER, d->d_hs }, { DNNL_ARG_DIFF_DST_ITER, d->d_hT } };
	if (run(&d->bwd, d->s, 15, bwd) || sync(&d->dwl, d->s, 0) || sync(&d->dwi, d->s, 0) ||
			dnnl_stream_wait(d->s))
		return -1.0;
	return loss;
}
