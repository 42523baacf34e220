/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Model files: a small model written and read back intact, and every kind
 * of damage refused with a message that says what. The files stay in DIR
 * for model_errors.sh, which feeds them to meshwatch --check-model.
 *
 *   test-model DIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_hash_crc.h>

#include "check.h"
#include "model.h"

#define SCHEMA 0x5eedfeedcafe0001ull

static char dir[2048];

static const char *
file(const char *name)
{
	static char p[4][4096];
	static int k;
	char *o = p[k++ % 4];
	snprintf(o, sizeof(p[0]), "%s/%s", dir, name);
	return o;
}

static uint8_t *
slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	fseek(f, 0, SEEK_END);
	*n = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(*n);
	if (fread(b, 1, *n, f) != *n)
		*n = 0;
	fclose(f);
	return b;
}

static void
spit(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");
	fwrite(b, 1, n, f);
	fclose(f);
}

/* Re-seals a tampered file, so only the damage we meant is there. */
static void
reseal(uint8_t *b, size_t n)
{
	uint32_t crc = rte_hash_crc(b + 256, (uint32_t)(n - 256), 0xffffffffu);
	memcpy(b + 44, &crc, 4);
}

static void
expect_refused(const char *name, uint32_t kind, uint64_t schema, const char *want)
{
	char err[512] = "";
	struct mw_model *m = mw_model_load(file(name), kind, schema, err, sizeof(err));

	CHECK(m == NULL, "%s was accepted", name);
	CHECK(strstr(err, want) != NULL, "%s: message '%s' does not say '%s'", name, err, want);
	mw_model_free(m);
}

int
main(int argc, char **argv)
{
	static const char *const classes[] = { "benign", "sqli", "xss" };
	static const float thresholds[] = { 0.5f, 0.9f, 0.85f };
	float w1[4 * 3 * 2], w2[3];
	struct mw_tensor t[2] = {
		{ .name = "conv1.weight", .ndim = 3, .shape = { 4, 3, 2 }, .data = w1 },
		{ .name = "fc.bias", .ndim = 1, .shape = { 3 }, .data = w2 },
	};
	char err[512];

	if (argc != 2)
		return 2;
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	for (unsigned int i = 0; i < 24; i++)
		w1[i] = (float)i * 0.25f - 3.0f;
	w2[0] = 0.1f, w2[1] = -0.2f, w2[2] = 0.3f;
	struct mw_model_spec spec = {
		.kind = MW_MODEL_PAYLOAD, .schema_hash = SCHEMA, .dims = { 64, 128 },
		.n_classes = 3, .class_names = classes, .thresholds = thresholds,
		.n_tensors = 2, .tensors = t, .meta = "{\"made_by\":\"test-model\",\"seed\":1}",
	};

	CHECK(mw_model_write(file("good.mwm"), &spec, err, sizeof(err)) == 0, "write: %s", err);
	struct mw_model *m = mw_model_load(file("good.mwm"), MW_MODEL_PAYLOAD, SCHEMA, err, sizeof(err));
	CHECK(m != NULL, "load: %s", err);
	if (m != NULL) {
		CHECK(m->n_classes == 3 && strcmp(m->class_names[1], "sqli") == 0 &&
				m->thresholds[2] == 0.85f, "classes");
		CHECK(m->dims[0] == 64 && m->dims[1] == 128, "dims");
		CHECK(strstr(m->meta, "test-model") != NULL, "metadata");
		uint32_t s3[3] = { 4, 3, 2 }, s1[1] = { 3 }, bad[1] = { 4 };
		const struct mw_tensor *c = mw_model_tensor(m, "conv1.weight", 3, s3, err, sizeof(err));
		CHECK(c && memcmp(c->data, w1, sizeof(w1)) == 0 && ((uintptr_t)c->data & 63) == 0,
				"weights round-trip, aligned");
		CHECK(mw_model_tensor(m, "fc.bias", 1, s1, err, sizeof(err)) != NULL, "bias");
		CHECK(mw_model_tensor(m, "fc.bias", 1, bad, err, sizeof(err)) == NULL &&
				strstr(err, "tensor fc.bias is 3; this model needs 4"), "shape: %s", err);
		CHECK(mw_model_tensor(m, "fc.weight", 1, s1, err, sizeof(err)) == NULL &&
				strstr(err, "tensor fc.weight is missing"), "missing: %s", err);
	}
	mw_model_free(m);

	size_t n;
	uint8_t *g = slurp(file("good.mwm"), &n), *b = malloc(n);
	spit(file("truncated.mwm"), g, n - 100);
	memcpy(b, g, n);
	b[n - 70] ^= 0x40;
	spit(file("bitflip.mwm"), b, n);
	memcpy(b, g, n);
	memcpy(b, "PK\3\4", 4);
	spit(file("not-a-model.mwm"), b, n);
	memcpy(b, g, n);
	b[8] = 9;
	spit(file("version.mwm"), b, n);
	memcpy(b, g, n);
	uint64_t far = n + 64;
	memcpy(b + 256 + 3 * 40 + 72 + 56, &far, 8);	/* second tensor's offset */
	reseal(b, n);
	spit(file("out-of-bounds.mwm"), b, n);
	memcpy(b, g, n);
	float nan = NAN, big = 1.5f;
	uint64_t off;
	memcpy(&off, b + 256 + 3 * 40 + 56, 8);
	memcpy(b + off + 8, &nan, 4);
	reseal(b, n);
	spit(file("nan.mwm"), b, n);
	memcpy(b, g, n);
	memcpy(b + 256 + 40 + 32, &big, 4);
	reseal(b, n);
	spit(file("threshold.mwm"), b, n);
	spit(file("tiny.mwm"), g, 10);
	free(g);
	free(b);

	expect_refused("truncated.mwm", 0, 0, "truncated or padded");
	expect_refused("bitflip.mwm", 0, 0, "checksum mismatch");
	expect_refused("not-a-model.mwm", 0, 0, "not a meshwatch model file");
	expect_refused("version.mwm", 0, 0, "model format version 9");
	expect_refused("out-of-bounds.mwm", 0, 0, "tensor fc.bias lies outside the file");
	expect_refused("nan.mwm", 0, 0, "tensor conv1.weight has a NaN");
	expect_refused("threshold.mwm", 0, 0, "class sqli has threshold 1.5");
	expect_refused("tiny.mwm", 0, 0, "10 bytes; a model file has 256");
	expect_refused("missing.mwm", 0, 0, "cannot read");
	expect_refused("good.mwm", MW_MODEL_SEQUENCE, 0, "a payload model where a sequence model");
	expect_refused("good.mwm", 0, SCHEMA + 1, "feature schema 5eedfeedcafe0001");
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}
