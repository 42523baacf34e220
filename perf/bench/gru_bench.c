/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch-grubench: sequence-model element steps per second on one core
 * (gather states, one GRU step, head, softmax, scatter states), random
 * weights, at a given batch and size.
 *
 *   meshwatch-grubench [BATCH [SECONDS [I H [f32|bf16]]]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gru.h"
#include "bench_clock.h"

int
main(int argc, char **argv)
{
	uint32_t batch = argc > 1 ? (uint32_t)atoi(argv[1]) : 64;
	double secs = argc > 2 ? atof(argv[2]) : 5;
	uint32_t I = argc > 4 ? (uint32_t)atoi(argv[3]) : 64, H = argc > 4 ? (uint32_t)atoi(argv[4]) : 64;
	enum inf_precision prec = INF_F32;
	if (argc > 5 && inf_precision_parse(argv[5], &prec) < 0) {
		fprintf(stderr, "precision: f32 or bf16\n");
		return 2;
	}
	enum { N = 12, KEYS = 4096 };
	static const char *names[N] = { "benign", "sqli", "xss", "cmdi", "traversal", "ssrf",
		"bola", "bfla", "mass_assignment", "broken_auth", "scraping", "exfiltration" };
	static float thr[N];
	size_t sizes[5] = { (size_t)I * 3 * H, (size_t)H * 3 * H, 3 * (size_t)H, (size_t)N * H, N };
	struct mw_tensor t[5] = {
		{ .name = "gru.w_layer", .ndim = 3, .shape = { I, 3, H } },
		{ .name = "gru.w_iter", .ndim = 3, .shape = { H, 3, H } },
		{ .name = "gru.bias", .ndim = 2, .shape = { 3, H } },
		{ .name = "head.weight", .ndim = 2, .shape = { N, H } },
		{ .name = "head.bias", .ndim = 1, .shape = { N } },
	};
	for (int i = 0; i < 5; i++) {
		t[i].data = malloc(sizes[i] * sizeof(float));
		for (size_t k = 0; k < sizes[i]; k++)
			t[i].data[k] = (float)((k * 2654435761u) % 1000) / 5000.0f - 0.1f;
	}
	for (int k = 0; k < N; k++)
		thr[k] = 0.5f;
	struct mw_model_spec spec = { .kind = MW_MODEL_SEQUENCE, .dims = { I, H }, .n_classes = N,
		.class_names = names, .thresholds = thr, .n_tensors = 5, .tensors = t };
	char path[] = "/tmp/meshwatch-grubench-XXXXXX", err[512];
	int fd = mkstemp(path);
	if (fd < 0)
		return 2;
	close(fd);
	struct mw_model *m = NULL;
	struct inf_gru g;
	if (mw_model_write(path, &spec, err, sizeof(err)) < 0 ||
			(m = mw_model_load(path, MW_MODEL_SEQUENCE, 0, err, sizeof(err))) == NULL ||
			inf_gru_init(&g, m, batch, -1, prec, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	unlink(path);
	float *store = calloc((size_t)KEYS * H, sizeof(float));
	float *x = calloc((size_t)batch * I, sizeof(float)), *probs = malloc(sizeof(float) * batch * N);
	float **state = malloc(sizeof(float *) * batch);
	for (uint32_t k = 0; k < batch * I; k++)
		x[k] = (float)(k % 17) / 17.0f;
	uint64_t steps = 0, round = 0;
	double t0 = bench_now();
	while (bench_now() - t0 < secs) {
		for (uint32_t k = 0; k < batch; k++)	/* keys scattered over the store */
			state[k] = store + ((round * batch + k) * 2654435761u % KEYS) * H;
		inf_gru_step(&g, x, state, batch, probs);
		steps += batch;
		round++;
	}
	double dt = bench_now() - t0;
	double flops = 2.0 * 3 * H * (I + H) + 2.0 * N * H;
	printf("sequence model I=%u H=%u, %d classes, %s, batch %u, one core: %.0f element steps/s, "
			"%.1f GFLOP/s (target: 1000000 steps/s at batch 64)\n", I, H, N,
			inf_precision_name(prec), batch,
			(double)steps / dt, (double)steps * flops / dt / 1e9);
	inf_gru_free(&g);
	mw_model_free(m);
	return 0;
}
