/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rx lcore (hot path): bursts of DP_BURST from each of its queues, run
 * to completion: decode, reassemble fragments, flow, TCP, HTTP, events.
 * Between bursts a TSC timer flushes partial event batches (~100 us) and
 * ages a bounded number of flows (~1 ms).
 */
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp.h"
#include "prefilter.h"

#define AGE_BUDGET 64
#define PACE_BACKLOG 1024	/* packets: a typical rx ring */

static inline void
count_drop(struct dp_lcore *lc, enum dp_drop why)
{
	lc->stats.drop[why]++;
}

static void
handle_tcp(struct dp_lcore *lc, const uint8_t *frame)
{
	struct dp_flow *f;
	int side;

	mw_stage_enter(&lc->stats.stages, DP_STAGE_flow);
	f = dp_flow_lookup(lc, &lc->pkt, &side);
	if (f != NULL) {
		dp_tcp_segment(lc, f, side, &lc->pkt, frame + lc->pkt.payload_off);
		if (f->in_use)
			dp_flow_touch(lc, f);
	}
	mw_stage_leave(&lc->stats.stages);
}

/* Takes a fragment; handles the datagram if it is now complete. */
static void
handle_fragment(struct dp_lcore *lc, struct rte_mbuf *m)
{
	struct dp_pkt *p = &lc->pkt;
	struct rte_mbuf *mo;
	uint8_t *ip;

	DP_COUNT(&lc->stats, frag_in);
	if (m->nb_segs > 1) {
		count_drop(lc, DP_DROP_multiseg);
		rte_pktmbuf_free(m);
		return;
	}
	m->l2_len = p->ip_off;
	m->l3_len = p->ip_hlen;
	ip = rte_pktmbuf_mtod_offset(m, uint8_t *, p->ip_off);
	if (p->ipv6)
		mo = rte_ipv6_frag_reassemble_packet(lc->frag_tbl, lc->frag_dr, m, lc->now_tsc,
				(struct rte_ipv6_hdr *)ip,
				(struct rte_ipv6_fragment_ext *)(ip + sizeof(struct rte_ipv6_hdr)));
	else
		mo = rte_ipv4_frag_reassemble_packet(lc->frag_tbl, lc->frag_dr, m, lc->now_tsc,
				(struct rte_ipv4_hdr *)ip);
	if (mo == NULL)
		return;		/* kept for later, or in the death row */
	DP_COUNT(&lc->stats, frag_reassembled);
	if (!p->ipv6) {
		struct rte_ipv4_hdr *h = rte_pktmbuf_mtod_offset(mo, struct rte_ipv4_hdr *,
				mo->l2_len);
		h->hdr_checksum = 0;
		h->hdr_checksum = rte_ipv4_cksum(h);	/* the library leaves it 0 */
	}
	if (mo->pkt_len > 65536 + 512) {
		count_drop(lc, DP_DROP_frag_too_big);
		rte_pktmbuf_free(mo);
		return;
	}
	const uint8_t *d = rte_pktmbuf_read(mo, 0, mo->pkt_len, lc->scratch);
	enum dp_decode_result r = d ? dp_decode_reassembled(d, mo->pkt_len, p) : DP_DECODE_DROP;
	if (d == NULL)
		p->drop = DP_DROP_multiseg;
	if (r == DP_DECODE_TCP)
		handle_tcp(lc, d);
	else
		count_drop(lc, r == DP_DECODE_FRAG ? DP_DROP_frag_bad : p->drop);
	rte_pktmbuf_free(mo);
}

void
dp_handle_packet(struct dp_lcore *lc, const uint8_t *d, uint32_t len)
{
	enum dp_decode_result r = dp_decode(d, len, &lc->pkt);

	if (r == DP_DECODE_TCP)
		handle_tcp(lc, d);
	else
		count_drop(lc, r == DP_DECODE_FRAG ? DP_DROP_multiseg : lc->pkt.drop);
}

void
dp_handle_frame(struct dp_lcore *lc, struct rte_mbuf *m)
{
	const uint8_t *d;
	uint32_t len = m->pkt_len;

	DP_COUNT(&lc->stats, rx_packets);
	DP_ADD(&lc->stats, rx_bytes, len);
	if (lc->ts_mult && (m->ol_flags & lc->ts_dynflag))
		lc->pkt_ns = *RTE_MBUF_DYNFIELD(m, lc->ts_offset, uint64_t *) * lc->ts_mult;
	else
		lc->pkt_ns = dp_tsc_to_ns(lc, lc->now_tsc);
	if (unlikely(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_BAD)) {
		count_drop(lc, DP_DROP_ip_bad_cksum);
		rte_pktmbuf_free(m);
		return;
	}
	d = rte_pktmbuf_read(m, 0, len, lc->scratch);
	if (unlikely(d == NULL)) {
		count_drop(lc, DP_DROP_multiseg);
		rte_pktmbuf_free(m);
		return;
	}
	mw_stage_enter(&lc->stats.stages, DP_STAGE_decode);
	enum dp_decode_result r = dp_decode(d, len, &lc->pkt);
	if (unlikely(r == DP_DECODE_FRAG)) {
		handle_fragment(lc, m);	/* takes m; IP reassembly counts as decode */
		mw_stage_leave(&lc->stats.stages);
		return;
	}
	mw_stage_leave(&lc->stats.stages);
	switch (r) {
	case DP_DECODE_TCP:
		handle_tcp(lc, d);
		break;
	case DP_DECODE_FRAG:
		break;
	case DP_DECODE_DROP:
		count_drop(lc, lc->pkt.drop);
		break;
	}
	rte_pktmbuf_free(m);
}

/* Every flow ends: the events of calls in progress go out (shutdown). */
void
dp_flush_all(struct dp_lcore *lc)
{
	for (int l = 0; l < DP_LRU_NLISTS; l++)
		while (lc->lru[l].head != DP_NIL)
			dp_flow_close(lc, &lc->flows[lc->lru[l].head]);
}

int
dp_rx_main(void *arg)
{
	struct dp_lcore *lc = arg;
	struct rte_mbuf *pkts[DP_BURST];
	const uint64_t drain_tsc = lc->tsc_hz / 10000;
	const uint64_t age_tsc = lc->tsc_hz / 1000;
	const uint16_t nq = lc->n_queues;
	uint64_t last_drain = rte_rdtsc(), last_age = last_drain;

	lc->tid = rte_sys_gettid();
	if (lc->qsbr != NULL)
		rte_rcu_qsbr_thread_online(lc->qsbr, lc->qsbr_id);
	while (!lc->stop) {
		uint64_t busy_from = rte_rdtsc();
		uint16_t total = 0;

		if (lc->pf != NULL)
			pf_ctx_switch(lc->pf);	/* a reload's rules, if any wait */

		lc->now_tsc = busy_from;
		mw_stage_begin(&lc->stats.stages, busy_from);
		for (uint16_t q = 0; q < nq; q++) {
			struct dp_queue *dq = &lc->queues[q];
			if (unlikely(dq->tsc_per_pkt != 0)) {
				/* replay_pps: a capture replayed at a set rate. A lcore
				 * that fell behind catches up by as many packets as a
				 * NIC's ring would have held for it (PACE_BACKLOG);
				 * forgetting the debt after one burst made the rate
				 * reached fall short of the one asked as load rose. */
				if (busy_from < dq->next_tsc)
					continue;
				if (dq->next_tsc + dq->tsc_per_pkt * PACE_BACKLOG < busy_from)
					dq->next_tsc = busy_from - dq->tsc_per_pkt * PACE_BACKLOG;
			}
			uint16_t n = rte_eth_rx_burst(lc->queues[q].port, lc->queues[q].queue,
					pkts, DP_BURST);
			dq->next_tsc += dq->tsc_per_pkt * n;
			lc->ts_mult = lc->queues[q].ts_mult;
			for (uint16_t i = 0; i < n; i++) {
				if (i + 1 < n)
					rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
				dp_handle_frame(lc, pkts[i]);
			}
			/* fragments reassembly gave up on: free them while the
			 * death row has room (it holds a burst's worth) */
			rte_ip_frag_free_death_row(lc->frag_dr, 0);
			total += n;
		}
		uint64_t now = rte_rdtsc();
		if (total) {
			lc->stats.tsc_busy += now - busy_from;
			lc->stats.bursts++;
			mw_stage_end(&lc->stats.stages, now);
		}
		/* timer work is not busy time, but its stages count it */
		if (now - last_drain > drain_tsc) {
			mw_stage_begin(&lc->stats.stages, now);
			dp_flush_events(lc);	/* handoff */
			rte_ip_frag_free_death_row(lc->frag_dr, 0);
			mw_stage_end(&lc->stats.stages, rte_rdtsc());
			last_drain = now;
		}
		if (now - last_age > age_tsc) {
			lc->now_tsc = now;
			mw_stage_begin(&lc->stats.stages, now);
			mw_stage_enter(&lc->stats.stages, DP_STAGE_flow);
			dp_flow_age(lc, AGE_BUDGET);
			mw_stage_leave(&lc->stats.stages);
			mw_stage_end(&lc->stats.stages, rte_rdtsc());
			last_age = now;
		}
		if (lc->qsbr != NULL)	/* in no scan: the old rules may go */
			rte_rcu_qsbr_quiescent(lc->qsbr, lc->qsbr_id);
	}
	if (lc->qsbr != NULL)
		rte_rcu_qsbr_thread_offline(lc->qsbr, lc->qsbr_id);
	/* Shutdown: nothing in flight is lost; the inference lcores are still
	 * draining, so wait for ring space instead of dropping. */
	lc->now_tsc = rte_rdtsc();
	lc->draining = true;
	dp_flush_all(lc);
	dp_flush_events(lc);
	rte_ip_frag_free_death_row(lc->frag_dr, 0);
	lc->done = true;
	return 0;
}
