/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Model files (control path): what meshwatch-train writes and the inference
 * lcores load. Versioned, little-endian, self-checking:
 *
 *   header (256 bytes: magic, version, kind, feature-schema hash, sizes,
 *           dims, CRC32C of everything after the header)
 *   classes   n_classes x { name[32], threshold }
 *   tensors   n_tensors x { name[32], ndim, shape[4], offset, count }
 *   metadata  meta_len bytes of UTF-8 (how the model was made)
 *   weights   float32 arrays, each at a 64-byte aligned offset
 *
 * The loader refuses anything that does not add up, with a message that
 * says what and where; a model is either wholly valid or not loaded.
 */
#ifndef INF_MODEL_H
#define INF_MODEL_H

#include <stddef.h>
#include <stdint.h>

#define MW_MODEL_MAGIC "MWMODEL"	/* 8 bytes with the NUL */
#define MW_MODEL_VERSION 1
#define MW_MODEL_MAX_CLASSES 64
#define MW_MODEL_MAX_TENSORS 64
#define MW_MODEL_MAX_DIMS 8
#define MW_MODEL_NAME 32
#define MW_MODEL_MAX_BYTES (1ull << 30)

enum mw_model_kind {
	MW_MODEL_PAYLOAD = 1,	/* character CNN over normalized fields */
	MW_MODEL_SEQUENCE = 2,	/* GRU over call and trace sequences */
};

struct mw_tensor {
	char name[MW_MODEL_NAME];
	uint32_t ndim;
	uint32_t shape[4];
	uint64_t count;		/* product of the shape */
	float *data;		/* inside mw_model.blob */
};

struct mw_model {
	uint32_t version;
	uint32_t kind;
	uint64_t schema_hash;
	uint32_t dims[MW_MODEL_MAX_DIMS];
	uint32_t n_classes;
	char class_names[MW_MODEL_MAX_CLASSES][MW_MODEL_NAME];
	float thresholds[MW_MODEL_MAX_CLASSES];
	uint32_t n_tensors;
	struct mw_tensor tensors[MW_MODEL_MAX_TENSORS];
	char *meta;		/* NUL-terminated copy of the metadata */
	uint8_t *blob;		/* the whole file, 64-byte aligned */
	size_t size;
};

/* What a writer provides; tensors' data are copied into the file. */
struct mw_model_spec {
	uint32_t kind;
	uint64_t schema_hash;
	uint32_t dims[MW_MODEL_MAX_DIMS];
	uint32_t n_classes;
	const char *const *class_names;
	const float *thresholds;
	uint32_t n_tensors;
	const struct mw_tensor *tensors;	/* name, ndim, shape, data */
	const char *meta;
};

/* Writes spec to path (atomically: a temporary file renamed). 0 or -1 with
 * a message in err. */
int mw_model_write(const char *path, const struct mw_model_spec *spec, char *err, size_t errlen);

/*
 * Loads and checks path. expect_kind and expect_schema (0: any) are what the
 * caller can use. NULL with a message "PATH: what is wrong" in err.
 */
struct mw_model *mw_model_load(const char *path, uint32_t expect_kind, uint64_t expect_schema,
		char *err, size_t errlen);
void mw_model_free(struct mw_model *m);

/* The tensor called name with the given shape (ndim entries), or NULL with
 * a message naming what differs. */
const struct mw_tensor *mw_model_tensor(const struct mw_model *m, const char *name,
		uint32_t ndim, const uint32_t *shape, char *err, size_t errlen);

/* Its weights, for a shape of up to three dimensions (a, b, c). */
const float *mw_model_weights(const struct mw_model *m, const char *name, uint32_t ndim,
		uint32_t a, uint32_t b, uint32_t c, char *err, size_t errlen);

/* The non-benign class whose probability reached its threshold (thr, per
 * class) with the most probability, or 0; classes with their bit set in
 * skip are passed over (a key that already alerted on them). The appliance
 * and meshwatch-eval both decide with this. */
static inline uint16_t
mw_alert_class(const float *p, uint32_t n, const float *thr, uint32_t skip)
{
	uint16_t best = 0;

	for (uint16_t c = 1; c < n; c++)
		if (!(skip & (1u << (c & 31))) && p[c] >= thr[c] && (best == 0 || p[c] > p[best]))
			best = c;
	return best;
}

#endif
