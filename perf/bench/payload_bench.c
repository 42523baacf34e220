/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch-payloadbench: payload-model fields per second on one core, at a
 * given batch, with random weights of the shipped model's shape, beside the
 * GFLOP/s it achieves.
 *
 *   meshwatch-payloadbench [BATCH [SECONDS [L E C K [f32|bf16]]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "payload.h"
#include "bench_clock.h"

int
main(int argc, char **argv)
{
	uint32_t batch = argc > 1 ? (uint32_t)atoi(argv[1]) : 64;
	double secs = argc > 2 ? atof(argv[2]) : 5;
	uint32_t L = argc > 6 ? (uint32_t)atoi(argv[3]) : 256, E = argc > 6 ? (uint32_t)atoi(argv[4]) : 32;
	uint32_t C = argc > 6 ? (uint32_t)atoi(argv[5]) : 64, K = argc > 6 ? (uint32_t)atoi(argv[6]) : 5;
	enum inf_precision prec = INF_F32;
	if (argc > 7 && inf_precision_parse(argv[7], &prec) < 0) {
		fprintf(stderr, "precision: f32 or bf16\n");
		return 2;
	}
	enum { N = 10 };
	static const char *const names[N] = { "benign", "sqli", "xss", "cmdi", "traversal", "ssrf",
		"jndi", "ssti", "nosqli", "other" };
	static const float thr[N] = { 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f };
	size_t sizes[5] = { 256 * (size_t)E, (size_t)C * E * K, C, (size_t)N * C, N };
	struct mw_tensor t[5] = {
		{ .name = "embed", .ndim = 2, .shape = { 256, E } },
		{ .name = "conv.weight", .ndim = 3, .shape = { C, E, K } },
		{ .name = "conv.bias", .ndim = 1, .shape = { C } },
		{ .name = "fc.weight", .ndim = 2, .shape = { N, C } },
		{ .name = "fc.bias", .ndim = 1, .shape = { N } },
	};
	for (int i = 0; i < 5; i++) {
		t[i].data = malloc(sizes[i] * sizeof(float));
		for (size_t k = 0; k < sizes[i]; k++)
			t[i].data[k] = (float)((k * 2654435761u) % 1000) / 5000.0f - 0.1f;
	}
	struct mw_model_spec spec = { .kind = MW_MODEL_PAYLOAD, .dims = { L, E, C, K },
		.n_classes = N, .class_names = names, .thresholds = thr, .n_tensors = 5, .tensors = t };
	char path[] = "/tmp/meshwatch-payloadbench-XXXXXX", err[512];
	int fd = mkstemp(path);
	if (fd < 0)
		return 2;
	close(fd);
	struct mw_model *m = NULL;
	struct inf_payload p;
	if (mw_model_write(path, &spec, err, sizeof(err)) < 0 ||
			(m = mw_model_load(path, MW_MODEL_PAYLOAD, 0, err, sizeof(err))) == NULL ||
			inf_payload_init(&p, m, batch, -1, prec, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	unlink(path);
	uint8_t *buf = malloc((size_t)batch * 96);
	const uint8_t **text = malloc(sizeof(*text) * batch);
	uint32_t *len = malloc(sizeof(*len) * batch);
	float *probs = malloc(sizeof(float) * batch * N);
	for (uint32_t b = 0; b < batch; b++) {
		for (int i = 0; i < 96; i++)
			buf[b * 96 + i] = (uint8_t)(32 + (b * 7 + (uint32_t)i * 13) % 90);
		text[b] = buf + b * 96;
		len[b] = 96;	/* a flagged field with context, typical length */
	}
	inf_payload_run(&p, text, len, batch, probs);
	uint64_t fields = 0;
	double t0 = bench_now();
	while (bench_now() - t0 < secs) {
		inf_payload_run(&p, text, len, batch, probs);
		fields += batch;
	}
	double dt = bench_now() - t0;
	double flops = 2.0 * C * E * K * L + 2.0 * N * C;	/* per field: conv + fc */
	printf("payload model L=%u E=%u C=%u K=%u, %d classes, %s, batch %u, one core: %.0f fields/s, "
			"%.1f GFLOP/s (target: 200000 fields/s)\n", L, E, C, K, N, inf_precision_name(prec), batch,
			(double)fields / dt, (double)fields * flops / dt / 1e9);
	inf_payload_free(&p);
	mw_model_free(m);
	return 0;
}
