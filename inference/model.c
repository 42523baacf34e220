/* SPDX-License-Identifier: BSD-3-Clause */
/* Model files: see model.h. Control path (start, reload, tools). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <rte_hash_crc.h>

#include "model.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "model files are little-endian; add byte swapping for this target"
#endif

#define ALIGN 64
#define HDR_SIZE 256

struct hdr {
	char magic[8];
	uint32_t version, kind;
	uint64_t schema_hash;
	uint64_t file_size;
	uint32_t n_classes, n_tensors, meta_len, checksum;
	uint32_t dims[MW_MODEL_MAX_DIMS];
	uint8_t reserved[HDR_SIZE - 80];
};

struct class_rec {
	char name[MW_MODEL_NAME];
	float threshold;
	uint32_t reserved;
};

struct tensor_rec {
	char name[MW_MODEL_NAME];
	uint32_t ndim;
	uint32_t shape[4];
	uint32_t reserved;
	uint64_t offset;
	uint64_t count;
};

_Static_assert(sizeof(struct hdr) == HDR_SIZE, "header layout");
_Static_assert(sizeof(struct class_rec) == 40, "class record layout");
_Static_assert(sizeof(struct tensor_rec) == 72, "tensor record layout");

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t
checksum(const uint8_t *b, size_t n)
{
	uint32_t crc = 0xffffffffu;

	/* rte_hash_crc takes a 32-bit length: feed large files in pieces */
	while (n > 0) {
		uint32_t k = n > (1u << 30) ? 1u << 30 : (uint32_t)n;
		crc = rte_hash_crc(b, k, crc);
		b += k;
		n -= k;
	}
	return crc;
}

static uint64_t
product(uint32_t ndim, const uint32_t *shape)
{
	uint64_t p = 1;

	for (uint32_t i = 0; i < ndim; i++)
		p *= shape[i];
	return p;
}

static size_t
round_up(size_t x)
{
	return (x + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

int
mw_model_write(const char *path, const struct mw_model_spec *s, char *err, size_t errlen)
{
	if (s->n_classes == 0 || s->n_classes > MW_MODEL_MAX_CLASSES ||
			s->n_tensors == 0 || s->n_tensors > MW_MODEL_MAX_TENSORS)
		return fail(err, errlen, "%s: %u classes and %u tensors; expected 1..%d of each", path,
				s->n_classes, s->n_tensors, MW_MODEL_MAX_CLASSES);
	size_t meta_len = s->meta ? strlen(s->meta) : 0;
	size_t off = round_up(HDR_SIZE + sizeof(struct class_rec) * s->n_classes +
			sizeof(struct tensor_rec) * s->n_tensors + meta_len);
	size_t size = off;
	for (uint32_t i = 0; i < s->n_tensors; i++)
		size = round_up(size + product(s->tensors[i].ndim, s->tensors[i].shape) * sizeof(float));
	uint8_t *b = calloc(1, size);
	if (b == NULL)
		return fail(err, errlen, "%s: out of memory (%zu bytes)", path, size);

	struct hdr *h = (struct hdr *)b;
	memcpy(h->magic, MW_MODEL_MAGIC, sizeof(MW_MODEL_MAGIC));
	h->version = MW_MODEL_VERSION;
	h->kind = s->kind;
	h->schema_hash = s->schema_hash;
	h->file_size = size;
	h->n_classes = s->n_classes;
	h->n_tensors = s->n_tensors;
	h->meta_len = (uint32_t)meta_len;
	memcpy(h->dims, s->dims, sizeof(h->dims));
	struct class_rec *c = (struct class_rec *)(b + HDR_SIZE);
	for (uint32_t i = 0; i < s->n_classes; i++) {
		snprintf(c[i].name, sizeof(c[i].name), "%s", s->class_names[i]);
		c[i].threshold = s->thresholds[i];
	}
	struct tensor_rec *t = (struct tensor_rec *)(c + s->n_classes);
	for (uint32_t i = 0; i < s->n_tensors; i++) {
		const struct mw_tensor *src = &s->tensors[i];
		snprintf(t[i].name, sizeof(t[i].name), "%s", src->name);
		t[i].ndim = src->ndim;
		memcpy(t[i].shape, src->shape, sizeof(t[i].shape));
		t[i].count = product(src->ndim, src->shape);
		t[i].offset = off;
		memcpy(b + off, src->data, t[i].count * sizeof(float));
		off = round_up(off + t[i].count * sizeof(float));
	}
	memcpy(t + s->n_tensors, s->meta ? s->meta : "", meta_len);
	h->checksum = checksum(b + HDR_SIZE, size - HDR_SIZE);

	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	FILE *f = fopen(tmp, "wb");
	int ok = f && fwrite(b, 1, size, f) == size;
	if (f)
		ok &= fclose(f) == 0;
	free(b);
	if (!ok || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		return fail(err, errlen, "%s: cannot write: %s", path, strerror(e));
	}
	return 0;
}

static int
name_ok(const char *n)
{
	return memchr(n, '\0', MW_MODEL_NAME) != NULL && n[0] != '\0';
}

/* Everything the header and tables claim must hold for the bytes we have. */
static int
check(struct mw_model *m, const char *path, uint32_t expect_kind, uint64_t expect_schema,
		char *err, size_t errlen)
{
	const uint8_t *b = m->blob;
	const struct hdr *h = (const struct hdr *)b;

	if (memcmp(h->magic, MW_MODEL_MAGIC, sizeof(MW_MODEL_MAGIC)) != 0)
		return fail(err, errlen, "%s: not a meshwatch model file (bad magic)", path);
	if (h->version != MW_MODEL_VERSION)
		return fail(err, errlen, "%s: model format version %u; this meshwatch reads version %d",
				path, h->version, MW_MODEL_VERSION);
	if (h->file_size != m->size)
		return fail(err, errlen, "%s: truncated or padded: the header says %llu bytes, the "
				"file has %zu", path, (unsigned long long)h->file_size, m->size);
	uint32_t crc = checksum(b + HDR_SIZE, m->size - HDR_SIZE);
	if (crc != h->checksum)
		return fail(err, errlen, "%s: checksum mismatch (stored %08x, computed %08x): the "
				"file is corrupt", path, h->checksum, crc);
	if (h->n_classes == 0 || h->n_classes > MW_MODEL_MAX_CLASSES ||
			h->n_tensors == 0 || h->n_tensors > MW_MODEL_MAX_TENSORS)
		return fail(err, errlen, "%s: %u classes and %u tensors; expected 1..%d of each", path,
				h->n_classes, h->n_tensors, MW_MODEL_MAX_CLASSES);
	if (expect_kind && h->kind != expect_kind)
		return fail(err, errlen, "%s: a %s model where a %s model was expected", path,
				h->kind == MW_MODEL_PAYLOAD ? "payload" :
				h->kind == MW_MODEL_SEQUENCE ? "sequence" : "unknown",
				expect_kind == MW_MODEL_PAYLOAD ? "payload" : "sequence");
	if (expect_schema && h->schema_hash != expect_schema)
		return fail(err, errlen, "%s: feature schema %016llx, but this meshwatch builds "
				"features with schema %016llx: retrain, or use the build it was made for",
				path, (unsigned long long)h->schema_hash,
				(unsigned long long)expect_schema);
	size_t tables = HDR_SIZE + sizeof(struct class_rec) * h->n_classes +
		sizeof(struct tensor_rec) * h->n_tensors;
	if (tables + h->meta_len > m->size)
		return fail(err, errlen, "%s: tables and metadata (%zu bytes) run past the end of "
				"the file (%zu)", path, tables + h->meta_len, m->size);

	m->version = h->version;
	m->kind = h->kind;
	m->schema_hash = h->schema_hash;
	memcpy(m->dims, h->dims, sizeof(m->dims));
	m->n_classes = h->n_classes;
	const struct class_rec *c = (const struct class_rec *)(b + HDR_SIZE);
	for (uint32_t i = 0; i < h->n_classes; i++) {
		if (!name_ok(c[i].name))
			return fail(err, errlen, "%s: class %u has no name or an unterminated one",
					path, i);
		if (!isfinite(c[i].threshold) || c[i].threshold < 0 || c[i].threshold > 1)
			return fail(err, errlen, "%s: class %s has threshold %g; expected 0..1", path,
					c[i].name, (double)c[i].threshold);
		memcpy(m->class_names[i], c[i].name, MW_MODEL_NAME);
		m->thresholds[i] = c[i].threshold;
	}
	m->n_tensors = h->n_tensors;
	const struct tensor_rec *t = (const struct tensor_rec *)(c + h->n_classes);
	for (uint32_t i = 0; i < h->n_tensors; i++) {
		struct mw_tensor *o = &m->tensors[i];
		if (!name_ok(t[i].name))
			return fail(err, errlen, "%s: tensor %u has no name or an unterminated one",
					path, i);
		if (t[i].ndim == 0 || t[i].ndim > 4 || t[i].count != product(t[i].ndim, t[i].shape) ||
				t[i].count == 0)
			return fail(err, errlen, "%s: tensor %s: shape and size disagree", path,
					t[i].name);
		if (t[i].offset % ALIGN || t[i].offset < tables + h->meta_len ||
				t[i].offset > m->size || t[i].count > (m->size - t[i].offset) / sizeof(float))
			return fail(err, errlen, "%s: tensor %s lies outside the file", path, t[i].name);
		memcpy(o->name, t[i].name, MW_MODEL_NAME);
		o->ndim = t[i].ndim;
		memcpy(o->shape, t[i].shape, sizeof(o->shape));
		o->count = t[i].count;
		o->data = (float *)(m->blob + t[i].offset);
		for (uint64_t k = 0; k < o->count; k++)
			if (!isfinite(o->data[k]))
				return fail(err, errlen, "%s: tensor %s has a NaN or infinite weight at "
						"%llu", path, o->name, (unsigned long long)k);
	}
	m->meta = strndup((const char *)(t + h->n_tensors), h->meta_len);
	return m->meta ? 0 : fail(err, errlen, "%s: out of memory", path);
}

struct mw_model *
mw_model_load(const char *path, uint32_t expect_kind, uint64_t expect_schema, char *err,
		size_t errlen)
{
	FILE *f = fopen(path, "rb");
	struct mw_model *m;
	long n;

	if (f == NULL) {
		fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fail(err, errlen, "%s: cannot read its size", path);
		fclose(f);
		return NULL;
	}
	if ((uint64_t)n < HDR_SIZE || (uint64_t)n > MW_MODEL_MAX_BYTES) {
		fail(err, errlen, "%s: %ld bytes; a model file has %d to %llu", path, n, HDR_SIZE,
				MW_MODEL_MAX_BYTES);
		fclose(f);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m != NULL)
		m->blob = aligned_alloc(ALIGN, round_up((size_t)n));
	if (m == NULL || m->blob == NULL) {
		fail(err, errlen, "%s: out of memory", path);
		fclose(f);
		mw_model_free(m);
		return NULL;
	}
	m->size = (size_t)n;
	if (fread(m->blob, 1, m->size, f) != m->size) {
		fail(err, errlen, "%s: read error", path);
		fclose(f);
		mw_model_free(m);
		return NULL;
	}
	fclose(f);
	if (check(m, path, expect_kind, expect_schema, err, errlen) < 0) {
		mw_model_free(m);
		return NULL;
	}
	return m;
}

void
mw_model_free(struct mw_model *m)
{
	if (m == NULL)
		return;
	free(m->blob);
	free(m->meta);
	free(m);
}

const struct mw_tensor *
mw_model_tensor(const struct mw_model *m, const char *name, uint32_t ndim, const uint32_t *shape,
		char *err, size_t errlen)
{
	for (uint32_t i = 0; i < m->n_tensors; i++) {
		const struct mw_tensor *t = &m->tensors[i];
		if (strcmp(t->name, name) != 0)
			continue;
		if (t->ndim != ndim || memcmp(t->shape, shape, ndim * sizeof(uint32_t)) != 0) {
			char have[64], want[64];
			int k = 0, w = 0;
			for (uint32_t d = 0; d < t->ndim; d++)
				k += snprintf(have + k, sizeof(have) - (size_t)k, "%s%u", d ? "x" : "",
						t->shape[d]);
			for (uint32_t d = 0; d < ndim; d++)
				w += snprintf(want + w, sizeof(want) - (size_t)w, "%s%u", d ? "x" : "",
						shape[d]);
			fail(err, errlen, "tensor %s is %s; this model needs %s", name, have, want);
			return NULL;
		}
		return t;
	}
	fail(err, errlen, "tensor %s is missing", name);
	return NULL;
}

const float *
mw_model_weights(const struct mw_model *m, const char *name, uint32_t ndim, uint32_t a,
		uint32_t b, uint32_t c, char *err, size_t errlen)
{
	uint32_t shape[3] = { a, b, c };
	const struct mw_tensor *t = mw_model_tensor(m, name, ndim, shape, err, errlen);

	return t ? t->data : NULL;
}
