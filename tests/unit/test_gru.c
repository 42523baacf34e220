/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sequence model's GRU step on oneDNN against the same step in plain C:
 * random weights through a model file, a batch of keys each with its own
 * state, stepped many times (states carried between steps, as the sequence
 * store does), partial batches. Each step starts both from the state oneDNN
 * carried, so what is compared is one step: new states and probabilities
 * within 1e-5 relative error, 1e-6 absolute near zero (float rounding
 * compounding over a long sequence is not a difference between models).
 *
 *   test-gru DIR
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "precision.h"
#include "gru.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static float
uniform(float scale)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return ((float)((rng >> 32) % 20001) / 10000.0f - 1.0f) * scale;
}

static float *
random_tensor(size_t n, float scale)
{
	float *t = malloc(n * sizeof(float));
	for (size_t i = 0; i < n; i++)
		t[i] = uniform(scale);
	return t;
}

/* Error relative to what float arithmetic can promise: relative 1e-5, and
 * near zero (a gate mixing two states of opposite sign) within 1e-6
 * absolute, as numpy.allclose(rtol=1e-5, atol=1e-6) would put it. Returns
 * the error scaled so that 1e-5 is the limit. */
static double
rel(double a, double b)
{
	return fabs(a - b) / (fabs(b) + 1e-6 / 1e-5);
}

enum { I = 24, H = 32, N = 5, BATCH = 16, KEYS = 16, STEPS = 12 };

/*
 * models.precision = "bf16" against f32 over long sequences: the state is
 * rounded to bf16 at every step, so what matters is whether the error
 * grows with the sequence; how far probabilities move, and how often the
 * top class differs from the f32 reference's, over 400 steps per key.
 */
static void
compare_bf16(const struct mw_model *m)
{
	enum { LONG = 400 };
	char err[512];
	struct inf_gru g;

	if (inf_precision_check(INF_BF16, err, sizeof(err)) < 0) {
		printf("bf16: not compared on this CPU: %s\n", err);
		return;
	}
	CHECK(inf_gru_init(&g, m, BATCH, -1, INF_BF16, err, sizeof(err)) == 0, "bf16: %s", err);
	static float bf[KEYS][H], ref[KEYS][H];
	memset(bf, 0, sizeof(bf));
	memset(ref, 0, sizeof(ref));
	struct prec_cmp c = { 0 };
	double late = 0;	/* the largest move in the last 100 steps */
	for (int step = 0; step < LONG; step++) {
		float x[BATCH * I], probs[BATCH * N], rp[N];
		float *state[BATCH];
		for (uint32_t k = 0; k < KEYS; k++) {
			for (int i = 0; i < I; i++)
				x[k * I + i] = uniform(1.0f);
			state[k] = bf[k];
		}
		CHECK(inf_gru_step(&g, x, state, KEYS, probs) == 0, "bf16 step");
		for (uint32_t k = 0; k < KEYS; k++) {
			inf_gru_reference(&g, x + k * I, ref[k], rp);
			double d = prec_cmp_add(&c, probs + k * N, rp, N);
			if (step >= LONG - 100 && d > late)
				late = d;
		}
	}
	printf("GRU bf16 vs f32 over %d keys x %d steps: probability error max %.4f (last 100 "
			"steps %.4f) mean %.5f, top class changed %" PRIu64 " times (%" PRIu64
			" where f32 led by 0.01 or more)\n", KEYS, LONG, c.worst, late,
			prec_cmp_mean(&c), c.flips, c.clear);
	CHECK(c.worst <= 0.05 && prec_cmp_mean(&c) <= 0.005, "bf16 probabilities moved too far");
	CHECK(c.clear == 0 && c.flips * 100 <= c.outputs, "bf16 changed the top class %" PRIu64
			" times (%" PRIu64 " not near ties)", c.flips, c.clear);
	inf_gru_free(&g);
}

int
main(int argc, char **argv)
{
	static const char *const names[N] = { "benign", "bola", "bfla", "scraping", "exfiltration" };
	static const float thr[N] = { 0.5f, 0.5f, 0.5f, 0.5f, 0.5f };
	char path[4096], err[512];

	if (argc != 2)
		return 2;
	mkdir(argv[1], 0755);
	snprintf(path, sizeof(path), "%s/gru-random.mwm", argv[1]);
	struct mw_tensor t[5] = {
		{ .name = "gru.w_layer", .ndim = 3, .shape = { I, 3, H }, .data = random_tensor(I * 3 * H, 0.4f) },
		{ .name = "gru.w_iter", .ndim = 3, .shape = { H, 3, H }, .data = random_tensor(H * 3 * H, 0.4f) },
		{ .name = "gru.bias", .ndim = 2, .shape = { 3, H }, .data = random_tensor(3 * H, 0.2f) },
		{ .name = "head.weight", .ndim = 2, .shape = { N, H }, .data = random_tensor(N * H, 0.5f) },
		{ .name = "head.bias", .ndim = 1, .shape = { N }, .data = random_tensor(N, 0.1f) },
	};
	struct mw_model_spec spec = {
		.kind = MW_MODEL_SEQUENCE, .dims = { I, H }, .n_classes = N, .class_names = names,
		.thresholds = thr, .n_tensors = 5, .tensors = t, .meta = "{\"made_by\":\"test-gru\"}",
	};
	CHECK(mw_model_write(path, &spec, err, sizeof(err)) == 0, "%s", err);
	struct mw_model *m = mw_model_load(path, MW_MODEL_SEQUENCE, 0, err, sizeof(err));
	CHECK(m != NULL, "%s", err);
	if (m == NULL)
		return 1;
	struct inf_gru g;
	CHECK(inf_gru_init(&g, m, BATCH, -1, INF_F32, err, sizeof(err)) == 0, "init: %s", err);
	if (g.net[0] == NULL)
		return 1;

	static float dn[KEYS][H], ref[KEYS][H];	/* per-key states, both start at zero */
	double worst = 0;
	for (int step = 0; step < STEPS; step++) {
		uint32_t n = step % 4 == 3 ? 5 : BATCH;		/* partial batches too */
		float x[BATCH * I], probs[BATCH * N], rp[N];
		float *state[BATCH];
		for (uint32_t k = 0; k < n; k++) {
			uint32_t key = (k * 7 + (uint32_t)step) % KEYS;	/* keys interleave */
			for (int i = 0; i < I; i++)
				x[k * I + i] = uniform(1.0f);
			state[k] = dn[key];
			memcpy(ref[key], dn[key], sizeof(ref[key]));
		}
		CHECK(inf_gru_step(&g, x, state, n, probs) == 0, "step");
		for (uint32_t k = 0; k < n; k++) {
			uint32_t key = (k * 7 + (uint32_t)step) % KEYS;
			inf_gru_reference(&g, x + k * I, ref[key], rp);
			for (int o = 0; o < H; o++) {
				double e = rel(dn[key][o], ref[key][o]);
				worst = e > worst ? e : worst;
				CHECK(e <= 1e-5, "step %d key %u h[%d]: oneDNN %.9g reference %.9g", step,
						key, o, (double)dn[key][o], (double)ref[key][o]);
			}
			for (int c = 0; c < N; c++) {
				double e = rel(probs[k * N + c], rp[c]);
				worst = e > worst ? e : worst;
				CHECK(e <= 1e-5, "step %d key %u class %d: %.9g vs %.9g", step, key, c,
						(double)probs[k * N + c], (double)rp[c]);
			}
		}
	}
	printf("GRU step: oneDNN vs plain C over %d steps, worst relative error %.3g\n", STEPS, worst);
	inf_gru_free(&g);
	compare_bf16(m);
	mw_model_free(m);
	for (int i = 0; i < 5; i++)
		free(t[i].data);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
