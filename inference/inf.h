/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inference lcores. Each consumes one SP/SC ring per rx lcore and collects
 * events into batches of up to `batch` or `deadline` microseconds. A batch
 * goes through the models, one oneDNN execution per model:
 *
 *   payload model   on the calls the pre-filter flagged;
 *   trace model     one GRU step per call, state kept per trace id here
 *                   (events reach the lcore that owns their trace); when a
 *                   trace ends (its root call completes, or it idles out)
 *                   its summary goes over an SP/SC ring to the lcore that
 *                   owns its actor, hash(actor) % I;
 *   actor model     one GRU step per trace summary, state kept per actor.
 *
 * Then the events go to the main lcore over the lcore's own ring, and any
 * verdict that beat its threshold goes there as a struct mw_alert over the
 * alert ring. Per-key order is kept: rings are FIFO, a key maps to one
 * lcore, and a key met twice in a batch steps twice, in order.
 *
 * Everything in struct inf_lcore belongs to its lcore; the main lcore reads
 * only stats and the done flag.
 */
#ifndef INF_H
#define INF_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_common.h>

#include "alert.h"
#include "mw_stage.h"
#include "schema.h"

struct rte_ring;
struct rte_mempool;
struct inf_payload;
struct inf_gru;
struct seq_store;

#define INF_MAX_RX 64
#define INF_MAX_INF 64
#define INF_MAX_BATCH 256

/* Event-to-verdict latency: 1 us buckets below 1024 us, then one per power
 * of two. */
#define INF_LAT_LINEAR 1024
#define INF_LAT_BUCKETS (INF_LAT_LINEAR + 22)

static inline unsigned int
inf_lat_bucket(uint64_t us)
{
	if (us < INF_LAT_LINEAR)
		return (unsigned int)us;
	unsigned int b = INF_LAT_LINEAR + (63 - (unsigned int)__builtin_clzll(us)) - 10;
	return b < INF_LAT_BUCKETS ? b : INF_LAT_BUCKETS - 1;
}

/* The bucket's upper bound in microseconds. */
static inline uint64_t
inf_lat_upper(unsigned int b)
{
	return b < INF_LAT_LINEAR ? b + 1 : 1ull << (b - INF_LAT_LINEAR + 11);
}

#define INF_COUNTERS(X) X(events_in) X(batches) X(events_out) X(out_ring_full) \
	X(payload_scored) X(payload_windows) X(payload_alerts) X(model_errors) \
	X(trace_steps) X(traces_ended) X(traces_timed_out) X(traces_evicted) X(trace_alerts) \
	X(summaries_sent) X(summaries_lost) X(actor_steps) X(actors_aged) X(actors_evicted) \
	X(actor_alerts) X(alerts_out) X(alerts_lost) X(snippets_aged)
enum inf_counter {
#define X(n) INF_C_##n,
	INF_COUNTERS(X)
#undef X
	INF_C_MAX
};
extern const char *const inf_counter_names[INF_C_MAX];

/* Where an inference lcore's cycles go (mw_stage.h, -Dstage_cycles): poll
 * is the loop (rings, batching, aging), each model's stage its features,
 * sequence store, oneDNN execution and alerts, handoff the ring to main. */
#define INF_STAGES(X) X(poll) X(payload) X(trace) X(actor) X(handoff)
enum inf_stage {
#define X(n) INF_STAGE_##n,
	INF_STAGES(X)
#undef X
	INF_STAGE_MAX
};
_Static_assert(INF_STAGE_MAX <= MW_STAGE_MAX, "more inference stages than mw_stages holds");
extern const char *const inf_stage_names[INF_STAGE_MAX];

/* One sequence level (trace or actor) of one inference lcore. */
struct inf_level {
	struct inf_gru *gru;		/* NULL: level off */
	struct seq_store *store;
	const float *thresholds;	/* per class */
	uint64_t timeout_ns;		/* idle keys end after this */
};

/* Where a trace came from and went: its root call's endpoints. */
struct inf_where {
	uint8_t client_addr[16], server_addr[16];
	uint16_t client_port, server_port;
	uint32_t ev_flags;		/* MW_EV_IPV6 */
	uint16_t src_service, dst_service;
};

/* A finished trace on its way to its actor's owner. */
struct inf_summary {
	struct seq_summary s;
	struct mw_elem top;		/* the call that raised its score most */
	struct mw_snip top_snip;	/* its snippet, for the actor's journal */
	struct inf_where where;
};

/* What the sequence store keeps per trace and per actor. */
struct inf_trace {
	struct seq_summary s;
	struct mw_explain why;
	struct mw_trace_objects held;	/* named by its calls without a principal */
	uint64_t prev_ts_ns;
	float mal;			/* 1 - p(benign) after the last step */
	uint32_t alerted;		/* classes this trace already alerted */
	uint32_t round;
	struct inf_where where;
};

#define INF_SNIPS 65536		/* snippet journal entries per lcore (4 MiB) */

struct inf_actor {
	struct mw_actor_history hist;	/* what its earlier traces did */
	struct mw_explain why;
	float mal;
	uint32_t alerted;
	uint32_t round;
};

/*
 * What a reload hands an inference lcore: its own instances of the new
 * models and their thresholds. The lcore swaps them in between batches
 * (inf_main, before it reports a quiescent state to RCU) and leaves the
 * ones it replaced here; the main lcore frees those once RCU says every
 * lcore is past them. A sequence level keeps its keys and their hidden
 * states: a reload brings only models of the same hidden size and classes
 * (a retrained or fine-tuned model), and a trace or actor in progress goes
 * on under the new weights rather than being forgotten.
 */
struct inf_models {
	struct inf_payload *payload;	/* NULL: none */
	const float *thresholds;	/* per payload class */
	struct inf_gru *gru[2];		/* trace, actor */
	const float *level_thr[2];
};

struct rte_rcu_qsbr;

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
	struct inf_level trace, actor;	/* sequence levels */

	uint16_t n_inf;
	struct rte_ring *to_peer[INF_MAX_INF];	/* trace summaries to actor owners */
	struct rte_ring *from_peer[INF_MAX_INF];
	struct inf_lcore **peers;		/* every inference lcore, by index */
	struct rte_mempool *summary_pool;
	struct rte_ring *alerts;		/* to the main lcore */
	struct rte_mempool *alert_pool;

	uint64_t now_ns, now_tsc;	/* latest event time and when it was seen */
	double ns_per_tsc, us_per_tsc;
	uint64_t next_age_tsc;
	uint32_t round;			/* GRU executions so far: per-key order */
	float *lone_state;		/* batch x H: traces of one call */
	struct mw_snip *snips;		/* the journal: INF_SNIPS, by seq */
	struct mw_endpoints *endpoints;	/* baselines of the calls it saw */
	struct mw_objects *objects;	/* the appliance's, shared; NULL: none */
	struct mw_logins *logins;	/* the appliance's, shared; NULL: none */
	uint32_t snip_seq;		/* the last one written */

	uint64_t c[INF_C_MAX];
	uint64_t lat[INF_LAT_BUCKETS];	/* rx hand-off to verdict */
	uint64_t lat_sum_us;		/* and their sum */
	uint64_t tsc_busy;
	struct mw_stages stages;
	struct inf_models *next;	/* set by a reload, taken here */
	struct rte_rcu_qsbr *qsbr;	/* NULL: nothing is ever swapped */
	unsigned int qsbr_id;
	volatile int tid;	/* its thread, for the kernel's scheduler stats */
	bool backpressure;	/* wait for the main lcore instead of dropping */
	volatile bool ready;	/* warmed up: rx may start (inf_main) */
	volatile bool stop;	/* set by main once every rx lcore is done */
	volatile bool flushed;	/* every trace ended, summaries sent */
	volatile bool done;
} __rte_cache_aligned;

struct inf_lcore *inf_lcore_create(unsigned int lcore_id, uint16_t index, int socket);
void inf_lcore_free(struct inf_lcore *il);

/* Turns on the sequence levels whose gru is set: their stores (keys of each
 * level, on the lcore's socket) and buffers. 0, or -1 with a message. */
int inf_lcore_levels(struct inf_lcore *il, const struct inf_level *trace, uint32_t trace_keys,
		const struct inf_level *actor, uint32_t actor_keys, char *err, size_t errlen);
int inf_main(void *arg);

/* Runs every model of m once on every batch size, on this thread, so the
 * lcore that takes them does not page in oneDNN's kernels on live traffic.
 * Nothing reaches a store, a table or a counter. */
void inf_warm_up(const struct inf_models *m, int socket);

#endif
