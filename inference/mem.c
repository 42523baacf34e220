/* SPDX-License-Identifier: BSD-3-Clause */
/* NUMA-placed model memory (see mem.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <numa.h>

#include "mem.h"

void *
inf_mem_alloc(struct inf_mem *m, size_t n)
{
	void *p;

	if (m->n == INF_MEM_REGIONS || n == 0)
		return NULL;
	p = m->node >= 0 && numa_available() >= 0 ? numa_alloc_onnode(n, m->node) :
		numa_alloc_local(n);
	if (p == NULL)
		return NULL;
	memset(p, 0, n);
	m->r[m->n].p = p;
	m->r[m->n++].n = n;
	m->bytes += n;
	return p;
}

void *
inf_mem_copy(struct inf_mem *m, const void *src, size_t n)
{
	void *p = inf_mem_alloc(m, n);

	if (p != NULL)
		memcpy(p, src, n);
	return p;
}

void
inf_mem_free(struct inf_mem *m)
{
	for (unsigned int i = 0; i < m->n; i++)
		numa_free(m->r[i].p, m->r[i].n);
	m->n = 0;
	m->bytes = 0;
}

long
inf_pages_off_node(const void *p, size_t n, int node)
{
	const uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = (uintptr_t)p & ~(pg - 1), end = (uintptr_t)p + n;
	void *pages[256];
	int status[256];
	long off = 0;

	if (n == 0)
		return 0;
	if (numa_available() < 0)
		return -1;
	while (a < end) {
		unsigned int k = 0;
		for (; k < 256 && a < end; k++, a += pg)
			pages[k] = (void *)a;
		if (numa_move_pages(0, k, pages, NULL, status, 0) != 0)
			return -1;
		for (unsigned int i = 0; i < k; i++)
			off += status[i] >= 0 && status[i] != node;
	}
	return off;
}

long
inf_mem_off_node(const struct inf_mem *m, int node)
{
	long off = 0;

	for (unsigned int i = 0; i < m->n; i++) {
		long o = inf_pages_off_node(m->r[i].p, m->r[i].n, node);
		if (o < 0)
			return -1;
		off += o;
	}
	return off;
}
