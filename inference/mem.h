/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Memory for the models on a NUMA node (control path): every buffer,
 * weight copy and scratchpad an inference lcore's oneDNN primitives touch
 * comes from here, placed on the lcore's node with libnuma and recorded,
 * so that where it lives can be checked and reported at start.
 */
#ifndef INF_MEM_H
#define INF_MEM_H

#include <stddef.h>

#define INF_MEM_REGIONS 160

struct inf_mem {
	int node;			/* -1: wherever the caller runs */
	unsigned int n;
	size_t bytes;
	struct {
		void *p;
		size_t n;
	} r[INF_MEM_REGIONS];
};

/*
 * Batch sizes a model builds primitives for: 1, 4, 16, ... up to and
 * including batch. An execution uses the smallest that holds its elements,
 * so a lone element costs one element's work, not a full batch's.
 */
#define INF_NSIZES 6

static inline unsigned int
inf_batch_sizes(unsigned int batch, unsigned int *sizes)
{
	unsigned int n = 0, b = 1;

	while (b < batch && n < INF_NSIZES - 1) {
		sizes[n++] = b;
		b *= 4;
	}
	sizes[n++] = batch;
	return n;
}

/* The index of the smallest size that holds n elements. */
static inline unsigned int
inf_batch_pick(const uint32_t *sizes, uint32_t n)
{
	unsigned int i = 0;

	while (sizes[i] < n)
		i++;
	return i;
}

/* n bytes, zeroed (so the pages exist), page aligned; NULL when out of
 * memory or regions. */
void *inf_mem_alloc(struct inf_mem *m, size_t n);
void *inf_mem_copy(struct inf_mem *m, const void *src, size_t n);
void inf_mem_free(struct inf_mem *m);

/* How many pages of [p, p + n) are resident on another node than node; -1
 * if the kernel cannot say. (A page never touched is on no node yet.) */
long inf_pages_off_node(const void *p, size_t n, int node);

/* The same over every region of m. */
long inf_mem_off_node(const struct inf_mem *m, int node);

#endif
