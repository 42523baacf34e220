/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the oneDNN models share (control path, except inf_dnnl_exec).
 *
 * Every primitive gets its own scratchpad, allocated (on the model's NUMA
 * node, from its inf_mem) when it is built:
 * oneDNN's library-managed scratchpad is per thread, and meshwatch builds
 * primitives on the main lcore but runs them on an inference lcore (which,
 * besides, must not allocate).
 */
#ifndef INF_ONEDNN_H
#define INF_ONEDNN_H

#include <stddef.h>
#include <oneapi/dnnl/dnnl.h>

#include "mem.h"

struct inf_prim {
	dnnl_primitive_t p;
	dnnl_memory_t scratch;		/* NULL: needs none */
};

int inf_fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The precision the models compute in (models.precision). Weights are
 * stored in f32 and converted once at start; biases, the sequence state
 * and the probabilities stay f32 whatever the precision.
 *   f32    reference precision;
 *   bf16   activations and weights in bfloat16 (f32 accumulation): twice
 *          the multiply rate where the CPU has AVX-512 BF16 or AMX.
 */
enum inf_precision { INF_F32, INF_BF16 };

const char *inf_precision_name(enum inf_precision prec);
/* 0 and *prec set for "f32" or "bf16", else -1. */
int inf_precision_parse(const char *name, enum inf_precision *prec);
/* 0 if this CPU executes prec natively, else -1 with the reason (oneDNN
 * would fall back to reference code many times slower than f32). */
int inf_precision_check(enum inf_precision prec, char *err, size_t errlen);
static inline dnnl_data_type_t
inf_dt(enum inf_precision prec)
{
	return prec == INF_BF16 ? dnnl_bf16 : dnnl_f32;
}

/* A CPU engine and an in-order stream: what each model executes on. */
int inf_dnnl_open(dnnl_engine_t *eng, dnnl_stream_t *stream, char *err, size_t errlen);
void inf_dnnl_close(dnnl_engine_t eng, dnnl_stream_t stream);

#define DNNL_TRY(call, what) do { \
		dnnl_status_t s_ = (call); \
		if (s_ != dnnl_success) \
			return inf_fail(err, errlen, "oneDNN: %s failed (status %d)", what, (int)s_); \
	} while (0)

/* Builds a primitive from an op descriptor; attr may be NULL (and is not
 * consumed). If want is not NULL, *want is set to the primitive's weights
 * md (index want_idx) for reordering weights into it, and stays valid
 * until inf_prim_done_pd(). */
int inf_prim_create(struct inf_prim *prim, const_dnnl_op_desc_t desc, const_dnnl_primitive_attr_t attr,
		dnnl_engine_t eng, struct inf_mem *mem, char *err, size_t errlen);

/* A reorder from one layout or data type to another, as a primitive (with
 * its scratchpad from mem); run with DNNL_ARG_FROM and DNNL_ARG_TO. */
int inf_reorder_create(struct inf_prim *prim, const dnnl_memory_desc_t *from,
		const dnnl_memory_desc_t *to, dnnl_engine_t eng, struct inf_mem *mem, char *err,
		size_t errlen);

/* A zeroed buffer from mem for md and its memory object, or NULL. */
float *inf_buffer(dnnl_memory_t *out, const dnnl_memory_desc_t *md, dnnl_engine_t eng,
		struct inf_mem *mem, char *err, size_t errlen);

/* A oneDNN memory object over a buffer from mem (size from md), filled
 * with reorder of the plain-layout data at src when src is not NULL. */
int inf_memory(dnnl_memory_t *out, const dnnl_memory_desc_t *md, dnnl_engine_t eng,
		dnnl_stream_t stream, struct inf_mem *mem, const dnnl_memory_desc_t *src_md,
		const void *src, char *err, size_t errlen);
void inf_prim_destroy(struct inf_prim *prim);

/* Weights in the layout md (reordered from the plain src_md/src): over
 * prev's buffer when prev (the same weights, built for another batch size)
 * already has that layout, so every batch size shares one copy; else as
 * inf_memory(). */
int inf_weights(dnnl_memory_t *out, const dnnl_memory_desc_t *md, dnnl_memory_t prev,
		dnnl_engine_t eng, dnnl_stream_t stream, struct inf_mem *mem,
		const dnnl_memory_desc_t *src_md, const void *src, char *err, size_t errlen);

/* Runs it (hot path): args plus its scratchpad. */
dnnl_status_t inf_prim_exec(const struct inf_prim *prim, dnnl_stream_t stream, int nargs,
		const dnnl_exec_arg_t *args);

/* The memory desc the primitive wants for one of its inputs (query what,
 * index), for reordering weights into it. */
const dnnl_memory_desc_t *inf_prim_md(const struct inf_prim *prim, dnnl_query_t what, int index);

#endif
