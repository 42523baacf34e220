/* SPDX-License-Identifier: BSD-3-Clause */
/* Inference lcore loop (hot path) and its context (control path). */
#include <omp.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "inf.h"
#include "mw_event.h"
#include "payload.h"

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

/*
 * The payload model over the calls the pre-filter flagged, in one oneDNN
 * execution per model batch: its input is the normalized text the rules
 * matched in (MW_FIELD_norm). Class 0 is benign; any other class whose
 * probability reaches its threshold marks the call for an alert.
 */
static void
score_payloads(struct inf_lcore *il, void **evs, unsigned int n)
{
	struct inf_payload *p = il->payload;
	const uint8_t *text[INF_MAX_BATCH];
	uint32_t len[INF_MAX_BATCH];
	struct mw_event *pick[INF_MAX_BATCH];
	static __thread float probs[INF_MAX_BATCH * MW_MODEL_MAX_CLASSES];
	unsigned int k = 0;

	for (unsigned int i = 0; i <= n; i++) {
		if (i < n) {
			struct mw_event *ev = evs[i];
			uint16_t tl;
			const char *t = mw_event_field(ev, MW_FIELD_norm, &tl);
			if (ev->pf_categories == 0 || tl == 0)
				continue;
			text[k] = (const uint8_t *)t;
			len[k] = tl;
			pick[k++] = ev;
			if (k < p->batch)
				continue;
		}
		if (k == 0)
			continue;
		if (inf_payload_run(p, text, len, k, probs) < 0) {
			il->c[INF_C_model_errors] += k;
			k = 0;
			continue;
		}
		for (unsigned int j = 0; j < k; j++) {
			const float *pr = probs + (size_t)j * p->n_classes;
			uint16_t best = 0;
			for (uint16_t c = 1; c < p->n_classes; c++)
				if (pr[c] > pr[best])
					best = c;
			pick[j]->verdict_class = best;
			pick[j]->score = pr[best];
			pick[j]->flags |= MW_EV_PAYLOAD_SCORED;
			if (best != 0 && pr[best] >= il->thresholds[best]) {
				pick[j]->flags |= MW_EV_PAYLOAD_ALERT;
				il->c[INF_C_payload_alerts]++;
			}
		}
		il->c[INF_C_payload_scored] += k;
		k = 0;
	}
}

/* The models run here; then the batch goes to the main lcore. */
static void
run_batch(struct inf_lcore *il, void **ev, unsigned int n)
{
	unsigned int sent;

	il->c[INF_C_batches]++;
	if (il->payload != NULL)
		score_payloads(il, ev, n);
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

	omp_set_num_threads(1);	/* oneDNN: this lcore's thread only, no pool */
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
