/* SPDX-License-Identifier: BSD-3-Clause */
/* Inference lcore loop (hot path) and its context (control path). */
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "inf.h"

const char *const inf_counter_names[INF_C_MAX] = {
#define X(n) #n,
	INF_COUNTERS(X)
#undef X
};

struct inf_lcore *
inf_lcore_create(unsigned int lcore_id, uint16_t index, int socket)
{
	struct inf_lcore *il = rte_zmalloc_socket("inf_lcore", sizeof(*il),
			RTE_CACHE_LINE_SIZE, socket);

	if (il == NULL)
		return NULL;
	il->lcore_id = lcore_id;
	il->index = index;
	il->socket = socket;
	return il;
}

void
inf_lcore_free(struct inf_lcore *il)
{
	rte_free(il);
}

/* The models run here (next stage); then the batch goes to the main lcore. */
static void
run_batch(struct inf_lcore *il, void **ev, unsigned int n)
{
	unsigned int sent;

	il->c[INF_C_batches]++;
	sent = rte_ring_sp_enqueue_burst(il->to_main, ev, n, NULL);
	while (unlikely((il->stop || il->backpressure) && sent < n)) {
		/* shutdown or backpressure: the main lcore is draining */
		rte_pause();
		sent += rte_ring_sp_enqueue_burst(il->to_main, ev + sent, n - sent, NULL);
	}
	il->c[INF_C_events_out] += sent;
	if (unlikely(sent < n)) {
		il->c[INF_C_out_ring_full] += n - sent;
		rte_mempool_put_bulk(il->event_pool, ev + sent, n - sent);
	}
}

int
inf_main(void *arg)
{
	struct inf_lcore *il = arg;
	void *batch[INF_MAX_BATCH];
	const uint32_t max = il->batch;
	const uint64_t deadline = il->deadline_tsc;
	unsigned int n = 0;
	uint64_t first = 0;

	for (;;) {
		unsigned int got = 0;
		bool stopping = il->stop;	/* read before the rings: see below */

		for (uint16_t r = 0; r < il->n_rx; r++) {
			unsigned int k = rte_ring_sc_dequeue_burst(il->from_rx[r], batch + n,
					max - n, NULL);
			if (k && n == 0)
				first = rte_rdtsc();
			n += k;
			got += k;
			if (n == max) {
				run_batch(il, batch, n);
				n = 0;
			}
		}
		il->c[INF_C_events_in] += got;
		if (n && (rte_rdtsc() - first > deadline || got == 0)) {
			run_batch(il, batch, n);
			n = 0;
		}
		/* stop is set after every rx lcore finished producing, so rings
		 * found empty after reading it stay empty */
		if (stopping && got == 0 && n == 0)
			break;
	}
	il->done = true;
	return 0;
}
