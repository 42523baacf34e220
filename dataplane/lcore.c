/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control path: builds and frees an rx lcore's context. Everything the rx
 * loop will ever need is allocated here, on the lcore's NUMA socket, so the
 * loop itself never allocates.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>

#include "dp.h"

#define SCRATCH_SIZE (65536 + 1024)

const char *const dp_drop_names[DP_DROP_MAX] = {
#define X(name, text) #name,
	DP_DROP_REASONS(X)
#undef X
};

const char *const dp_drop_text[DP_DROP_MAX] = {
#define X(name, text) text,
	DP_DROP_REASONS(X)
#undef X
};

const char *const dp_counter_names[DP_C_MAX] = {
#define X(name) #name,
	DP_COUNTERS(X)
#undef X
};

const char *const dp_stage_names[DP_STAGE_MAX] = {
#define X(name) #name,
	DP_STAGES(X)
#undef X
};

struct dp_lcore *
dp_lcore_create(unsigned int lcore_id, uint16_t index, const struct dp_limits *lim, int socket)
{
	struct dp_lcore *lc;
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = { 0 };

	lc = rte_zmalloc_socket("dp_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE, socket);
	if (lc == NULL)
		goto nomem;
	lc->lcore_id = lcore_id;
	lc->index = index;
	lc->lim = *lim;
	lc->tsc_hz = rte_get_tsc_hz();
	lc->base_tsc = rte_rdtsc();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	lc->base_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	lc->ts_offset = -1;

	snprintf(name, sizeof(name), "flows_%u", index);
	hp.name = name;
	hp.entries = lim->flows;
	hp.key_len = sizeof(struct dp_flow_key);
	hp.hash_func = rte_hash_crc;
	hp.socket_id = socket;
	lc->flow_hash = rte_hash_create(&hp);
	if (lc->flow_hash == NULL)
		goto fail;
	lc->flows = rte_zmalloc_socket("dp_flows", (size_t)lim->flows * sizeof(struct dp_flow),
			RTE_CACHE_LINE_SIZE, socket);
	if (lc->flows == NULL)
		goto nomem;

	lc->ooo = rte_malloc_socket("dp_ooo", (size_t)lim->ooo_total * sizeof(struct dp_ooo),
			RTE_CACHE_LINE_SIZE, socket);
	if (lc->ooo == NULL && lim->ooo_total)
		goto nomem;
	lc->ooo_free = lim->ooo_total ? 0 : DP_NIL;
	for (uint32_t i = 0; i < lim->ooo_total; i++)
		lc->ooo[i].next = i + 1 < lim->ooo_total ? i + 1 : DP_NIL;

	lc->hdr_stride = RTE_ALIGN_CEIL(lim->max_header, RTE_CACHE_LINE_SIZE);
	lc->hdrbufs = rte_malloc_socket("dp_hdr", (size_t)lim->header_buffers * lc->hdr_stride,
			RTE_CACHE_LINE_SIZE, socket);
	if (lc->hdrbufs == NULL && lim->header_buffers)
		goto nomem;
	lc->hdr_free = lim->header_buffers ? 0 : DP_NIL;
	for (uint32_t i = 0; i < lim->header_buffers; i++) {
		uint32_t next = i + 1 < lim->header_buffers ? i + 1 : DP_NIL;
		memcpy(lc->hdrbufs + (size_t)i * lc->hdr_stride, &next, sizeof(next));
	}

	uint32_t buckets = rte_align32pow2(RTE_MAX(lim->frag_entries / 8, 16u));
	lc->frag_tbl = rte_ip_frag_table_create(buckets, 8, RTE_MIN(lim->frag_entries, buckets * 8),
			lc->tsc_hz / 1000 * lim->frag_timeout_ms, socket);
	if (lc->frag_tbl == NULL)
		goto fail;
	lc->frag_dr = rte_zmalloc_socket("dp_dr", sizeof(struct rte_ip_frag_death_row),
			RTE_CACHE_LINE_SIZE, socket);
	lc->scratch = rte_malloc_socket("dp_scratch", SCRATCH_SIZE, RTE_CACHE_LINE_SIZE, socket);
	lc->jwt = rte_zmalloc_socket("dp_jwt", sizeof(*lc->jwt) * DP_JWT_MEMO_SLOTS,
			RTE_CACHE_LINE_SIZE, socket);
	if (lc->frag_dr == NULL || lc->scratch == NULL || lc->jwt == NULL)
		goto nomem;

	uint64_t hz = lc->tsc_hz;
	lc->lru[DP_LRU_SYN].timeout_tsc = hz * lim->timeout_syn_s;
	lc->lru[DP_LRU_EST].timeout_tsc = hz * lim->timeout_est_s;
	lc->lru[DP_LRU_PENDING].timeout_tsc = hz * lim->response_timeout_s;
	lc->lru[DP_LRU_CLOSED].timeout_tsc = hz * lim->timeout_closed_s;
	for (int i = 0; i < DP_LRU_NLISTS; i++)
		lc->lru[i].head = lc->lru[i].tail = DP_NIL;
	return lc;
nomem:
	rte_errno = ENOMEM;
fail:
	dp_lcore_free(lc);
	return NULL;
}

void
dp_lcore_free(struct dp_lcore *lc)
{
	if (lc == NULL)
		return;
	if (lc->frag_tbl != NULL) {
		rte_ip_frag_table_destroy(lc->frag_tbl);
		if (lc->frag_dr != NULL)
			rte_ip_frag_free_death_row(lc->frag_dr, 0);
	}
	rte_hash_free(lc->flow_hash);
	rte_free(lc->flows);
	rte_free(lc->ooo);
	rte_free(lc->hdrbufs);
	rte_free(lc->frag_dr);
	rte_free(lc->scratch);
	if (lc->jwt != NULL)	/* bearer tokens: leave no copy behind */
		explicit_bzero(lc->jwt, sizeof(*lc->jwt) * DP_JWT_MEMO_SLOTS);
	rte_free(lc->jwt);
	rte_free(lc);
}
