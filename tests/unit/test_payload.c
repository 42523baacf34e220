/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The payload model on oneDNN against the same model in plain C: random
 * weights (written to a model file and loaded, as the appliance does) and
 * random texts, full and partial batches; every probability within 1e-5
 * relative error. Then bf16 against the same reference.
 *
 *   test-payload DIR
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "precision.h"
#include "payload.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t
next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return (uint32_t)(rng >> 32);
}

static float
uniform(float scale)
{
	return ((float)(next() % 20001) / 10000.0f - 1.0f) * scale;
}

static float *
random_tensor(size_t n, float scale)
{
	float *t = malloc(n * sizeof(float));
	for (size_t i = 0; i < n; i++)
		t[i] = uniform(scale);
	return t;
}

enum { L = 64, E = 16, C = 32, K = 5, N = 4, BATCH = 8 };

/* n random texts, shorter and longer than L */
static void
random_texts(uint8_t buf[][2 * L], const uint8_t **text, uint32_t *len, uint32_t n)
{
	for (uint32_t b = 0; b < n; b++) {
		len[b] = next() % (2 * L);
		for (uint32_t i = 0; i < len[b]; i++)
			buf[b][i] = (uint8_t)(1 + next() % 255);
		text[b] = buf[b];
	}
}

/*
 * models.precision = "bf16" against f32: the same model and texts. bf16
 * keeps 8 significant bits, so probabilities move; what matters is by how
 * much and how often the verdict (the top class) changes.
 */
static void
compare_bf16(const struct mw_model *m)
{
	enum { TEXTS = 4000 };
	char err[512];
	struct inf_payload p;

	if (inf_precision_check(INF_BF16, err, sizeof(err)) < 0) {
		printf("bf16: not compared on this CPU: %s\n", err);
		return;
	}
	CHECK(inf_payload_init(&p, m, BATCH, -1, INF_BF16, err, sizeof(err)) == 0, "bf16: %s", err);
	struct prec_cmp c = { 0 };
	for (uint32_t done = 0; done < TEXTS; done += BATCH) {
		uint8_t buf[BATCH][2 * L];
		const uint8_t *text[BATCH];
		uint32_t len[BATCH];
		float probs[BATCH * N], logits[N], ref[N];
		random_texts(buf, text, len, BATCH);
		CHECK(inf_payload_run(&p, text, len, BATCH, probs) == 0, "bf16 run");
		for (uint32_t b = 0; b < BATCH; b++) {
			inf_payload_reference(&p, text[b], len[b], logits, ref);
			prec_cmp_add(&c, probs + b * N, ref, N);
		}
	}
	printf("payload model bf16 vs f32 over %d texts: probability error max %.4f mean %.5f, "
			"top class changed %" PRIu64 " times (%" PRIu64 " where f32 led by 0.01 or more)\n",
			TEXTS, c.worst, prec_cmp_mean(&c), c.flips, c.clear);
	CHECK(c.worst <= 0.05 && prec_cmp_mean(&c) <= 0.005, "bf16 probabilities moved too far");
	CHECK(c.clear == 0 && c.flips * 100 <= c.outputs, "bf16 changed the top class of %" PRIu64
			" of %d texts (%" PRIu64 " not near ties)", c.flips, TEXTS, c.clear);
	inf_payload_free(&p);
}

int
main(int argc, char **argv)
{
	static const char *const names[N] = { "benign", "sqli", "xss", "cmdi" };
	static const float thr[N] = { 0.5f, 0.5f, 0.5f, 0.5f };
	char path[4096], err[512];

	if (argc != 2)
		return 2;
	mkdir(argv[1], 0755);	/* the tests' model directory may not exist yet */
	snprintf(path, sizeof(path), "%s/payload-random.mwm", argv[1]);
	struct mw_tensor t[5] = {
		{ .name = "embed", .ndim = 2, .shape = { 256, E }, .data = random_tensor(256 * E, 1.0f) },
		{ .name = "conv.weight", .ndim = 3, .shape = { C, E, K },
			.data = random_tensor(C * E * K, 0.3f) },
		{ .name = "conv.bias", .ndim = 1, .shape = { C }, .data = random_tensor(C, 0.1f) },
		{ .name = "fc.weight", .ndim = 2, .shape = { N, C }, .data = random_tensor(N * C, 0.3f) },
		{ .name = "fc.bias", .ndim = 1, .shape = { N }, .data = random_tensor(N, 0.1f) },
	};
	struct mw_model_spec spec = {
		.kind = MW_MODEL_PAYLOAD, .dims = { L, E, C, K }, .n_classes = N,
		.class_names = names, .thresholds = thr, .n_tensors = 5, .tensors = t,
		.meta = "{\"made_by\":\"test-payload\",\"weights\":\"random\"}",
	};
	CHECK(mw_model_write(path, &spec, err, sizeof(err)) == 0, "%s", err);
	struct mw_model *m = mw_model_load(path, MW_MODEL_PAYLOAD, 0, err, sizeof(err));
	CHECK(m != NULL, "%s", err);
	if (m == NULL)
		return 1;

	struct inf_payload p;
	CHECK(inf_payload_init(&p, m, BATCH, -1, INF_F32, err, sizeof(err)) == 0, "init: %s", err);
	double worst = 0;
	for (int round = 0; round < 20; round++) {
		uint8_t buf[BATCH][2 * L];
		const uint8_t *text[BATCH];
		uint32_t len[BATCH];
		uint32_t n = round % 3 == 2 ? 1 + next() % BATCH : BATCH;	/* partial batches too */
		random_texts(buf, text, len, n);
		float probs[BATCH * N];
		CHECK(inf_payload_run(&p, text, len, n, probs) == 0, "run");
		for (uint32_t b = 0; b < n; b++) {
			float logits[N], ref[N];
			inf_payload_reference(&p, text[b], len[b], logits, ref);
			for (int k = 0; k < N; k++) {
				double rel = fabs((double)probs[b * N + k] - ref[k]) / fabs((double)ref[k]);
				if (rel > worst)
					worst = rel;
				CHECK(rel <= 1e-5, "round %d text %u class %d: oneDNN %.9g, reference %.9g",
						round, b, k, (double)probs[b * N + k], (double)ref[k]);
			}
		}
	}
	printf("payload model: oneDNN vs plain C, worst relative error %.3g\n", worst);
	inf_payload_free(&p);
	compare_bf16(m);
	char bad[512];
	m->dims[2] = C + 1;	/* a model whose tensors do not fit its own dims */
	CHECK(inf_payload_init(&p, m, BATCH, -1, INF_F32, bad, sizeof(bad)) < 0 &&
			strstr(bad, "tensor conv.weight is 32x16x5; this model needs 33x16x5"),
			"dims and tensors disagree: %s", bad);
	mw_model_free(m);
	for (int i = 0; i < 5; i++)
		free(t[i].data);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
