/* SPDX-License-Identifier: BSD-3-Clause */
/* oneDNN helpers shared by the models: see onednn.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "onednn.h"

int
inf_fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

int
inf_dnnl_open(dnnl_engine_t *eng, dnnl_stream_t *stream, char *err, size_t errlen)
{
	DNNL_TRY(dnnl_engine_create(eng, dnnl_cpu, 0), "engine_create");
	DNNL_TRY(dnnl_stream_create(stream, *eng, dnnl_stream_default_flags), "stream_create");
	return 0;
}

void
inf_dnnl_close(dnnl_engine_t eng, dnnl_stream_t stream)
{
	if (stream)
		dnnl_stream_destroy(stream);
	if (eng)
		dnnl_engine_destroy(eng);
}

/* An attr with the user scratchpad mode (a copy of attr if not NULL). */
static dnnl_status_t
user_scratchpad(dnnl_primitive_attr_t *a, const_dnnl_primitive_attr_t attr)
{
	dnnl_status_t s = attr != NULL ? dnnl_primitive_attr_clone(a, attr) : dnnl_primitive_attr_create(a);

	if (s == dnnl_success && (s = dnnl_primitive_attr_set_scratchpad_mode(*a,
			dnnl_scratchpad_mode_user)) != dnnl_success)
		dnnl_primitive_attr_destroy(*a);
	return s;
}

/* The primitive of pd, with its scratchpad from mem; pd is destroyed. */
static int
finish(struct inf_prim *prim, dnnl_primitive_desc_t pd, dnnl_engine_t eng, struct inf_mem *mem,
		char *err, size_t errlen)
{
	dnnl_status_t s = dnnl_primitive_create(&prim->p, pd);
	const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
	size_t ss = smd != NULL ? dnnl_memory_desc_get_size(smd) : 0;

	if (s == dnnl_success && ss > 0) {
		void *buf = inf_mem_alloc(mem, ss);
		s = buf ? dnnl_memory_create(&prim->scratch, smd, eng, buf) : dnnl_out_of_memory;
	}
	dnnl_primitive_desc_destroy(pd);
	if (s != dnnl_success)
		return inf_fail(err, errlen, "oneDNN: primitive or scratchpad failed (status %d)", (int)s);
	return 0;
}

int
inf_prim_create(struct inf_prim *prim, const_dnnl_op_desc_t desc, const_dnnl_primitive_attr_t attr,
		dnnl_engine_t eng, struct inf_mem *mem, char *err, size_t errlen)
{
	dnnl_primitive_attr_t a;
	dnnl_primitive_desc_t pd;

	memset(prim, 0, sizeof(*prim));
	DNNL_TRY(user_scratchpad(&a, attr), "attr");
	dnnl_status_t s = dnnl_primitive_desc_create(&pd, desc, a, eng, NULL);
	dnnl_primitive_attr_destroy(a);
	if (s != dnnl_success)
		return inf_fail(err, errlen, "oneDNN: primitive descriptor failed (status %d)", (int)s);
	return finish(prim, pd, eng, mem, err, errlen);
}

int
inf_reorder_create(struct inf_prim *prim, const dnnl_memory_desc_t *from,
		const dnnl_memory_desc_t *to, dnnl_engine_t eng, struct inf_mem *mem, char *err,
		size_t errlen)
{
	dnnl_primitive_attr_t a;
	dnnl_primitive_desc_t pd;

	memset(prim, 0, sizeof(*prim));
	DNNL_TRY(user_scratchpad(&a, NULL), "attr");
	dnnl_status_t s = dnnl_reorder_primitive_desc_create(&pd, from, eng, to, eng, a);
	dnnl_primitive_attr_destroy(a);
	if (s != dnnl_success)
		return inf_fail(err, errlen, "oneDNN: reorder descriptor failed (status %d)", (int)s);
	return finish(prim, pd, eng, mem, err, errlen);
}

void
inf_prim_destroy(struct inf_prim *prim)
{
	if (prim->p)
		dnnl_primitive_destroy(prim->p);
	if (prim->scratch)
		dnnl_memory_destroy(prim->scratch);
	memset(prim, 0, sizeof(*prim));
}

dnnl_status_t
inf_prim_exec(const struct inf_prim *prim, dnnl_stream_t stream, int nargs,
		const dnnl_exec_arg_t *args)
{
	dnnl_exec_arg_t all[16];

	if (nargs > 15)
		return dnnl_invalid_arguments;
	memcpy(all, args, sizeof(*args) * (size_t)nargs);
	if (prim->scratch != NULL) {
		all[nargs].arg = DNNL_ARG_SCRATCHPAD;
		all[nargs++].memory = prim->scratch;
	}
	return dnnl_primitive_execute(prim->p, stream, nargs, all);
}

const dnnl_memory_desc_t *
inf_prim_md(const struct inf_prim *prim, dnnl_query_t what, int index)
{
	const_dnnl_primitive_desc_t pd;

	if (dnnl_primitive_get_primitive_desc(prim->p, &pd) != dnnl_success)
		return NULL;
	return dnnl_primitive_desc_query_md(pd, what, index);
}

float *
inf_buffer(dnnl_memory_t *out, const dnnl_memory_desc_t *md, dnnl_engine_t eng,
		struct inf_mem *mem, char *err, size_t errlen)
{
	void *buf = inf_mem_alloc(mem, dnnl_memory_desc_get_size(md));

	if (buf == NULL) {
		inf_fail(err, errlen, "out of memory on NUMA node %d for model buffers", mem->node);
		return NULL;
	}
	if (dnnl_memory_create(out, md, eng, buf) != dnnl_success) {
		inf_fail(err, errlen, "oneDNN: memory object failed");
		return NULL;
	}
	return buf;
}

int
inf_memory(dnnl_memory_t *out, const dnnl_memory_desc_t *md, dnnl_engine_t eng,
		dnnl_stream_t stream, struct inf_mem *mem, const dnnl_memory_desc_t *src_md,
		const void *src, char *err, size_t errlen)
{
	if (inf_buffer(out, md, eng, mem, err, errlen) == NULL)
		return -1;
	if (src == NULL)
		return 0;
	dnnl_memory_t from;
	dnnl_primitive_desc_t rpd;
	dnnl_primitive_t reorder;
	DNNL_TRY(dnnl_memory_create(&from, src_md, eng, (void *)src), "source memory");
	DNNL_TRY(dnnl_reorder_primitive_desc_create(&rpd, src_md, eng, md, eng, NULL), "reorder pd");
	DNNL_TRY(dnnl_primitive_create(&reorder, rpd), "reorder");
	dnnl_exec_arg_t args[] = { { DNNL_ARG_FROM, from }, { DNNL_ARG_TO, *out } };
	DNNL_TRY(dnnl_primitive_execute(reorder, stream, 2, args), "reorder run");
	DNNL_TRY(dnnl_stream_wait(stream), "stream wait");
	dnnl_primitive_destroy(reorder);
	dnnl_primitive_desc_destroy(rpd);
	dnnl_memory_destroy(from);
	return 0;
}

int
inf_weights(dnnl_memory_t *out, const dnnl_memory_desc_t *md, dnnl_memory_t prev,
		dnnl_engine_t eng, dnnl_stream_t stream, struct inf_mem *mem,
		const dnnl_memory_desc_t *src_md, const void *src, char *err, size_t errlen)
{
	const dnnl_memory_desc_t *have;
	void *buf;

	if (prev != NULL && dnnl_memory_get_memory_desc(prev, &have) == dnnl_success &&
			dnnl_memory_desc_equal(have, md) &&
			dnnl_memory_get_data_handle(prev, &buf) == dnnl_success) {
		DNNL_TRY(dnnl_memory_create(out, md, eng, buf), "shared weights");
		return 0;
	}
	return inf_memory(out, md, eng, stream, mem, src_md, src, err, errlen);
}

const char *
inf_precision_name(enum inf_precision prec)
{
	return prec == INF_BF16 ? "bf16" : "f32";
}

int
inf_precision_parse(const char *name, enum inf_precision *prec)
{
	if (strcmp(name, "f32") == 0)
		*prec = INF_F32;
	else if (strcmp(name, "bf16") == 0)
		*prec = INF_BF16;
	else
		return -1;
	return 0;
}

int
inf_precision_check(enum inf_precision prec, char *err, size_t errlen)
{
	dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();

	if (prec == INF_BF16 && (isa & dnnl_cpu_isa_avx512_core_bf16) != dnnl_cpu_isa_avx512_core_bf16)
		return inf_fail(err, errlen, "precision bf16 needs a CPU with AVX-512 BF16 or AMX "
				"(oneDNN sees ISA 0x%x); use f32", (unsigned int)isa);
	return 0;
}
