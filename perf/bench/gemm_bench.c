/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch-gemmbench: what oneDNN's matrix multiply reaches on one core of
 * this machine, the limit beside the models' own GFLOP/s (perf/bench).
 * One matmul primitive (C = A x B, plain row-major layouts), executed
 * back to back for SECONDS; M x K times K x N is 2MNK flops.
 *
 *   meshwatch-gemmbench M K N [SECONDS [f32|bf16]]
 */
#include <stdio.h>
#include <stdlib.h>

#include "onednn.h"
#include "bench_clock.h"

#define TRY(call, what) do { dnnl_status_t s_ = (call); if (s_ != dnnl_success) { \
	fprintf(stderr, "meshwatch-gemmbench: %s: oneDNN status %d\n", what, (int)s_); \
	return 2; } } while (0)

int
main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: meshwatch-gemmbench M K N [SECONDS [f32|bf16]]\n");
		return 2;
	}
	dnnl_dim_t M = atol(argv[1]), K = atol(argv[2]), N = atol(argv[3]);
	double secs = argc > 4 ? atof(argv[4]) : 3;
	enum inf_precision prec = INF_F32;
	char err[256];

	if (M <= 0 || K <= 0 || N <= 0 || (argc > 5 && inf_precision_parse(argv[5], &prec) < 0)) {
		fprintf(stderr, "meshwatch-gemmbench: M K N above 0; precision f32 or bf16\n");
		return 2;
	}
	if (inf_precision_check(prec, err, sizeof(err)) < 0) {
		fprintf(stderr, "meshwatch-gemmbench: %s\n", err);
		return 2;
	}
	dnnl_engine_t eng;
	dnnl_stream_t stream;
	if (inf_dnnl_open(&eng, &stream, err, sizeof(err)) < 0) {
		fprintf(stderr, "meshwatch-gemmbench: %s\n", err);
		return 2;
	}
	dnnl_data_type_t type = inf_dt(prec);
	dnnl_memory_desc_t a_md, b_md, c_md;
	TRY(dnnl_memory_desc_init_by_tag(&a_md, 2, (dnnl_dims_t){ M, K }, type, dnnl_ab), "a");
	TRY(dnnl_memory_desc_init_by_tag(&b_md, 2, (dnnl_dims_t){ K, N }, type, dnnl_ab), "b");
	TRY(dnnl_memory_desc_init_by_tag(&c_md, 2, (dnnl_dims_t){ M, N }, dnnl_f32, dnnl_ab), "c");
	dnnl_matmul_desc_t desc;
	TRY(dnnl_matmul_desc_init(&desc, &a_md, &b_md, NULL, &c_md), "matmul_desc_init");
	dnnl_primitive_desc_t pd;
	dnnl_primitive_t mm;
	TRY(dnnl_primitive_desc_create(&pd, &desc, NULL, eng, NULL), "matmul pd");
	const char *impl = "?";
	dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
	TRY(dnnl_primitive_create(&mm, pd), "matmul");
	dnnl_memory_t a, b, c;
	TRY(dnnl_memory_create(&a, &a_md, eng, DNNL_MEMORY_ALLOCATE), "a");
	TRY(dnnl_memory_create(&b, &b_md, eng, DNNL_MEMORY_ALLOCATE), "b");
	TRY(dnnl_memory_create(&c, &c_md, eng, DNNL_MEMORY_ALLOCATE), "c");
	/* operands that are not zero: a CPU may take shortcuts on zeros */
	void *p;
	dnnl_memory_get_data_handle(a, &p);
	for (size_t i = 0; i < dnnl_memory_desc_get_size(&a_md); i++)
		((unsigned char *)p)[i] = (unsigned char)(0x3c + (i & 1));
	dnnl_memory_get_data_handle(b, &p);
	for (size_t i = 0; i < dnnl_memory_desc_get_size(&b_md); i++)
		((unsigned char *)p)[i] = (unsigned char)(0x3c + (i & 1));
	dnnl_exec_arg_t args[3] = { { DNNL_ARG_SRC, a }, { DNNL_ARG_WEIGHTS, b }, { DNNL_ARG_DST, c } };
	TRY(dnnl_primitive_execute(mm, stream, 3, args), "execute");	/* warm */
	dnnl_stream_wait(stream);
	uint64_t runs = 0;
	double t0 = bench_now(), dt;
	do {
		for (int i = 0; i < 16; i++)
			dnnl_primitive_execute(mm, stream, 3, args);
		dnnl_stream_wait(stream);
		runs += 16;
	} while ((dt = bench_now() - t0) < secs);
	printf("matmul M=%ld K=%ld N=%ld, %s, one core: %.1f GFLOP/s (%s)\n", (long)M, (long)K,
			(long)N, inf_precision_name(prec), 2.0 * (double)M * (double)N * (double)K *
			(double)runs / dt / 1e9, impl);
	dnnl_memory_destroy(a);
	dnnl_memory_destroy(b);
	dnnl_memory_destroy(c);
	dnnl_primitive_destroy(mm);
	dnnl_primitive_desc_destroy(pd);
	inf_dnnl_close(eng, stream);
	return 0;
}
