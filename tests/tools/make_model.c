/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * make-test-model: model files for tests that need one before training
 * exists (issue 6 makes real ones).
 *
 *   make-test-model [--kind payload|trace|actor] [--hidden H] OUT.mwm
 *
 * payload  random weights, seeded: its verdicts mean nothing; that it runs
 *          and reports does.
 * trace    a GRU built by hand on a bed of small seeded noise: hidden unit
 * actor    k latches on once an element carries pre-filter category k
 *          (sqli, xss, cmdi, traversal, ssrf) and drives class k's logit;
 *          so a trace (or an actor) alerts on the class of the first
 *          flagged call (or trace) it meets, and the explanation must name
 *          that call. Thresholds 0.5.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "schema.h"

static uint64_t rng = 0x853c49e6748fea9bull;

static float
noise(float scale)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return ((float)((rng >> 40) % 2001) / 1000.0f - 1.0f) * scale;
}

static void
fill(struct mw_tensor *t, float scale)
{
	t->count = 1;
	for (uint32_t d = 0; d < t->ndim; d++)
		t->count *= t->shape[d];
	t->data = malloc(t->count * sizeof(float));
	for (uint64_t k = 0; k < t->count; k++)
		t->data[k] = noise(scale);
}

static int
payload(const char *out, char *err, size_t errlen)
{
	enum { L = 96, E = 16, C = 32, K = 3, N = 9 };
	static const char *const names[N] = { "benign", "sqli", "xss", "cmdi", "traversal",
		"ssrf", "jndi", "ssti", "nosqli" };
	static const float thr[N] = { 0.5f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f };
	struct mw_tensor t[5] = {
		{ .name = "embed", .ndim = 2, .shape = { 256, E } },
		{ .name = "conv.weight", .ndim = 3, .shape = { C, E, K } },
		{ .name = "conv.bias", .ndim = 1, .shape = { C } },
		{ .name = "fc.weight", .ndim = 2, .shape = { N, C } },
		{ .name = "fc.bias", .ndim = 1, .shape = { N } },
	};
	for (int i = 0; i < 5; i++)
		fill(&t[i], 0.25f);
	struct mw_model_spec spec = {
		.kind = MW_MODEL_PAYLOAD, .dims = { L, E, C, K }, .n_classes = N,
		.class_names = names, .thresholds = thr, .n_tensors = 5, .tensors = t,
		.meta = "{\"made_by\":\"make-test-model\",\"weights\":\"random, seeded\"}",
	};
	int rc = mw_model_write(out, &spec, err, errlen);
	for (int i = 0; i < 5; i++)
		free(t[i].data);
	return rc;
}

static int
sequence(const char *out, int actor, uint32_t H, char *err, size_t errlen)
{
	enum { N = 13 };
	static const char *const names[N] = { "benign", "sqli", "xss", "cmdi", "traversal",
		"ssrf", "bola", "bfla", "mass_assignment", "broken_auth", "credential_stuffing",
		"scraping", "exfiltration" };
	/* class k+1 <- hidden unit k <- pre-filter category cat[k] */
	static const int cat[5] = { PF_CAT_sqli, PF_CAT_xss, PF_CAT_cmdi, PF_CAT_traversal,
		PF_CAT_ssrf };
	float thr[N];
	const uint32_t I = actor ? MW_TRACE_NFEAT : MW_CALL_NFEAT;
	const uint32_t first = actor ? MW_TF_pf_category : MW_CF_pf_category;
	struct mw_tensor t[5] = {
		{ .name = "gru.w_layer", .ndim = 3, .shape = { I, 3, H } },
		{ .name = "gru.w_iter", .ndim = 3, .shape = { H, 3, H } },
		{ .name = "gru.bias", .ndim = 2, .shape = { 3, H } },
		{ .name = "head.weight", .ndim = 2, .shape = { N, H } },
		{ .name = "head.bias", .ndim = 1, .shape = { N } },
	};

	for (int i = 0; i < N; i++)
		thr[i] = 0.5f;
	for (int i = 0; i < 5; i++)
		fill(&t[i], 0.05f);
	/* gate order u, r, o; w_layer is [I][3][H], w_iter [H][3][H] */
#define WL(i, g, h) t[0].data[((size_t)(i) * 3 + (g)) * H + (h)]
#define WI(i, g, h) t[1].data[((size_t)(i) * 3 + (g)) * H + (h)]
	for (uint32_t k = 0; k < 5 && k < H; k++) {
		t[2].data[0 * H + k] = -4.0f;	/* u ~ 0: take the candidate */
		t[2].data[1 * H + k] = 4.0f;	/* r ~ 1: see the old state */
		WL(first + (uint32_t)cat[k], 2, k) = 3.0f;	/* flagged: candidate -> 1 */
		WI(k, 2, k) = 3.0f;		/* and it stays there */
		t[3].data[(k + 1) * H + k] = 10.0f;
		t[4].data[k + 1] = -4.0f;
	}
	t[4].data[0] = 3.0f;	/* benign unless a unit is on */
	for (uint32_t c = 6; c < N; c++)
		t[4].data[c] = -2.0f;
	struct mw_model_spec spec = {
		.kind = MW_MODEL_SEQUENCE,
		.schema_hash = actor ? mw_trace_schema() : mw_call_schema(),
		.dims = { I, H }, .n_classes = N, .class_names = names, .thresholds = thr,
		.n_tensors = 5, .tensors = t,
		.meta = "{\"made_by\":\"make-test-model\",\"weights\":\"by hand: a class per "
			"pre-filter category, on seeded noise\"}",
	};
	int rc = mw_model_write(out, &spec, err, errlen);
	for (int i = 0; i < 5; i++)
		free(t[i].data);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *kind = "payload";
	uint32_t H = 32;
	char err[512];
	int i = 1, rc;

	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		if (strcmp(argv[i], "--kind") == 0)
			kind = argv[i + 1];
		else if (strcmp(argv[i], "--hidden") == 0)
			H = (uint32_t)atoi(argv[i + 1]);
		else
			break;
	}
	if (i != argc - 1 || H == 0 || H > 1024) {
		fprintf(stderr, "usage: make-test-model [--kind payload|trace|actor] "
				"[--hidden H] OUT.mwm\n");
		return 2;
	}
	if (strcmp(kind, "payload") == 0)
		rc = payload(argv[i], err, sizeof(err));
	else if (strcmp(kind, "trace") == 0 || strcmp(kind, "actor") == 0)
		rc = sequence(argv[i], strcmp(kind, "actor") == 0, H, err, sizeof(err));
	else {
		fprintf(stderr, "make-test-model: unknown kind \"%s\"\n", kind);
		return 2;
	}
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	return rc < 0;
}
