/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The payload model on oneDNN against the same model in plain C: random
 * weights (written to a model file and loaded, as the appliance does) and
 * random texts, full and partial batches; every probability within 1e-5
 * relative error.
 *
 *   test-payload DIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
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

int
main(int argc, char **argv)
{
	enum { L = 64, E = 16, C = 32, K = 5, N = 4, BATCH = 8 };
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
	CHECK(inf_payload_init(&p, m, BATCH, -1, err, sizeof(err)) == 0, "init: %s", err);
	double worst = 0;
	for (int round = 0; round < 20; round++) {
		uint8_t buf[BATCH][2 * L];
		const uint8_t *text[BATCH];
		uint32_t len[BATCH];
		uint32_t n = round % 3 == 2 ? 1 + next() % BATCH : BATCH;	/* partial batches too */
		for (uint32_t b = 0; b < n; b++) {
			len[b] = next() % (2 * L);		/* shorter and longer than L */
			for (uint32_t i = 0; i < len[b]; i++)
				buf[b][i] = (uint8_t)(1 + next() % 255);
			text[b] = buf[b];
		}
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
	char bad[512];
	m->dims[2] = C + 1;	/* a model whose tensors do not fit its own dims */
	CHECK(inf_payload_init(&p, m, BATCH, -1, bad, sizeof(bad)) < 0 &&
			strstr(bad, "tensor conv.weight is 32x16x5; this model needs 33x16x5"),
			"dims and tensors disagree: %s", bad);
	mw_model_free(m);
	for (int i = 0; i < 5; i++)
		free(t[i].data);
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
