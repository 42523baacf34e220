/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inference lcores. Each consumes one SP/SC ring per rx lcore, collects
 * events into batches of up to `batch` or `deadline` microseconds, runs the
 * batch through the models (a later stage; today a batch passes through
 * unchanged), and hands the events to the main lcore over its own SP/SC ring.
 * Per-key order is kept: each ring is FIFO and a key always maps to one ring.
 *
 * Everything in struct inf_lcore belongs to its lcore; the main lcore reads
 * only stats and the done flag.
 */
#ifndef INF_H
#define INF_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_common.h>

struct rte_ring;
struct rte_mempool;
struct inf_payload;

#define INF_MAX_RX 64
#define INF_MAX_BATCH 256

#define INF_COUNTERS(X) X(events_in) X(batches) X(events_out) X(out_ring_full) \
	X(payload_scored) X(payload_alerts) X(model_errors)
enum inf_counter {
#define X(n) INF_C_##n,
	INF_COUNTERS(X)
#undef X
	INF_C_MAX
};
extern const char *const inf_counter_names[INF_C_MAX];

struct inf_lcore {
	unsigned int lcore_id;
	uint16_t index;
	uint16_t n_rx;
	struct rte_ring *from_rx[INF_MAX_RX];
	struct rte_ring *to_main;
	struct rte_mempool *event_pool;
	uint32_t batch;
	uint64_t deadline_tsc;
	int socket;
	struct inf_payload *payload;	/* NULL: no payload model */
	const float *thresholds;	/* per payload class */

	uint64_t c[INF_C_MAX];
	uint64_t tsc_busy;
	bool backpressure;	/* wait for the main lcore instead of dropping */
	volatile bool stop;	/* set by main once every rx lcore is done */
	volatile bool done;
} __rte_cache_aligned;

struct inf_lcore *inf_lcore_create(unsigned int lcore_id, uint16_t index, int socket);
void inf_lcore_free(struct inf_lcore *il);
int inf_main(void *arg);

#endif
