/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * make-test-model: a payload model with deterministic random weights, for
 * tests that need a model file before training exists (issue 6 makes real
 * ones). Its verdicts mean nothing; that it runs and reports does.
 *
 *   make-test-model OUT.mwm
 */
#include <stdio.h>
#include <stdlib.h>

#include "model.h"

int
main(int argc, char **argv)
{
	enum { L = 96, E = 16, C = 32, K = 3, N = 9 };
	static const char *const names[N] = { "benign", "sqli", "xss", "cmdi", "traversal",
		"ssrf", "jndi", "ssti", "nosqli" };
	static const float thr[N] = { 0.5f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f };
	size_t sizes[5] = { 256 * E, C * E * K, C, N * C, N };
	struct mw_tensor t[5] = {
		{ .name = "embed", .ndim = 2, .shape = { 256, E } },
		{ .name = "conv.weight", .ndim = 3, .shape = { C, E, K } },
		{ .name = "conv.bias", .ndim = 1, .shape = { C } },
		{ .name = "fc.weight", .ndim = 2, .shape = { N, C } },
		{ .name = "fc.bias", .ndim = 1, .shape = { N } },
	};
	uint64_t x = 0x853c49e6748fea9bull;
	char err[512];

	if (argc != 2) {
		fprintf(stderr, "usage: make-test-model OUT.mwm\n");
		return 2;
	}
	for (int i = 0; i < 5; i++) {
		t[i].data = malloc(sizes[i] * sizeof(float));
		for (size_t k = 0; k < sizes[i]; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			t[i].data[k] = (float)((x >> 40) % 2001) / 4000.0f - 0.25f;
		}
	}
	struct mw_model_spec spec = {
		.kind = MW_MODEL_PAYLOAD, .dims = { L, E, C, K }, .n_classes = N,
		.class_names = names, .thresholds = thr, .n_tensors = 5, .tensors = t,
		.meta = "{\"made_by\":\"make-test-model\",\"weights\":\"random, seeded\"}",
	};
	int rc = mw_model_write(argv[1], &spec, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	for (int i = 0; i < 5; i++)
		free(t[i].data);
	return rc < 0;
}
