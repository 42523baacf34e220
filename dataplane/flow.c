/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table (hot path, one per rx lcore): an rte_hash keyed by the
 * canonical 5-tuple plus VLAN tags and VNI, lower endpoint first, so both
 * directions find one entry. The hash's own key index is the index into the
 * preallocated flow array: no second allocator.
 *
 * Aging without timers: every flow sits on one LRU list chosen by its state
 * (handshake, established, awaiting a response, closed), each list with one
 * timeout, so the head of each list is always the next to expire there. The
 * rx lcore pops expired heads a few at a time between bursts, and when the
 * table is full it evicts the least recently used flow of the shortest-lived
 * non-empty list.
 */
#include <string.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_tcp.h>

#include "dp.h"


static enum dp_lru_list
lru_for(const struct dp_flow *f)
{
	switch (f->state) {
	case DP_TCP_SYN:
		return DP_LRU_SYN;
	case DP_TCP_CLOSED:
		return DP_LRU_CLOSED;
	default:
		return f->n_pending ? DP_LRU_PENDING : DP_LRU_EST;
	}
}

static void
lru_unlink(struct dp_lcore *lc, struct dp_flow *f)
{
	struct dp_lru *l = &lc->lru[f->lru];
	uint32_t i = (uint32_t)(f - lc->flows);

	if (f->lru_prev != DP_NIL)
		lc->flows[f->lru_prev].lru_next = f->lru_next;
	else if (l->head == i)
		l->head = f->lru_next;
	if (f->lru_next != DP_NIL)
		lc->flows[f->lru_next].lru_prev = f->lru_prev;
	else if (l->tail == i)
		l->tail = f->lru_prev;
	f->lru_prev = f->lru_next = DP_NIL;
}

static void
lru_append(struct dp_lcore *lc, struct dp_flow *f, enum dp_lru_list id)
{
	struct dp_lru *l = &lc->lru[id];
	uint32_t i = (uint32_t)(f - lc->flows);

	f->lru = (uint8_t)id;
	f->lru_next = DP_NIL;
	f->lru_prev = l->tail;
	if (l->tail != DP_NIL)
		lc->flows[l->tail].lru_next = i;
	else
		l->head = i;
	l->tail = i;
}

void
dp_flow_touch(struct dp_lcore *lc, struct dp_flow *f)
{
	enum dp_lru_list id = lru_for(f);

	f->last_tsc = lc->now_tsc;
	if (f->lru == id && lc->lru[id].tail == (uint32_t)(f - lc->flows))
		return;
	lru_unlink(lc, f);
	lru_append(lc, f, id);
}

void
dp_flow_close(struct dp_lcore *lc, struct dp_flow *f)
{
	dp_tcp_release(lc, f);
	lru_unlink(lc, f);
	rte_hash_del_key(lc->flow_hash, &f->key);
	f->in_use = 0;
	lc->n_flows--;
}

/* Evicts the flow that matters least: the oldest of the shortest-lived list. */
static int
evict_one(struct dp_lcore *lc)
{
	static const enum dp_lru_list order[] = { DP_LRU_CLOSED, DP_LRU_SYN, DP_LRU_EST, DP_LRU_PENDING };

	for (unsigned int i = 0; i < RTE_DIM(order); i++) {
		uint32_t h = lc->lru[order[i]].head;
		if (h != DP_NIL) {
			dp_flow_close(lc, &lc->flows[h]);
			DP_COUNT(&lc->stats, flows_evicted);
			return 0;
		}
	}
	return -1;
}

void
dp_flow_age(struct dp_lcore *lc, uint32_t budget)
{
	for (int id = 0; id < DP_LRU_NLISTS && budget; id++) {
		struct dp_lru *l = &lc->lru[id];

		while (budget && l->head != DP_NIL) {
			struct dp_flow *f = &lc->flows[l->head];
			if (lc->now_tsc - f->last_tsc < l->timeout_tsc)
				break;
			budget--;
			if (id == DP_LRU_PENDING) {
				/* The responses are late, not the connection:
				 * report the requests, keep the flow. */
				dp_http_release(lc, f);
				lru_unlink(lc, f);
				lru_append(lc, f, lru_for(f));
				continue;
			}
			dp_flow_close(lc, f);
			DP_COUNT(&lc->stats, flows_expired);
		}
	}
}

static void
make_key(const struct dp_pkt *p, struct dp_flow_key *k, int *side)
{
	int c = memcmp(p->src, p->dst, 16);

	memset(k, 0, sizeof(*k));
	if (c < 0 || (c == 0 && p->sport <= p->dport)) {
		memcpy(k->a, p->src, 16);
		memcpy(k->b, p->dst, 16);
		k->pa = p->sport;
		k->pb = p->dport;
		*side = 0;
	} else {
		memcpy(k->a, p->dst, 16);
		memcpy(k->b, p->src, 16);
		k->pa = p->dport;
		k->pb = p->sport;
		*side = 1;
	}
	k->vlans = (uint32_t)(p->n_vlan == 2 ? p->vlan[0] : 0) << 12 |
		(p->n_vlan ? p->vlan[p->n_vlan - 1] : 0);
	k->vni = p->vni;
	k->ipv6 = p->ipv6;
}

uint16_t
dp_service_lookup(const struct dp_services *s, const uint8_t *addr, uint16_t port)
{
	struct dp_service_key k;
	void *data;

	if (s == NULL || s->by_addr == NULL)
		return MW_SERVICE_UNKNOWN;
	memset(&k, 0, sizeof(k));
	memcpy(k.addr, addr, 16);
	k.port = port;
	if (rte_hash_lookup_data(s->by_addr, &k, &data) >= 0)
		return (uint16_t)(uintptr_t)data;
	k.port = 0;
	if (rte_hash_lookup_data(s->by_addr, &k, &data) >= 0)
		return (uint16_t)(uintptr_t)data;
	return MW_SERVICE_UNKNOWN;
}

static void
flow_init(struct dp_lcore *lc, struct dp_flow *f, const struct dp_flow_key *k,
		const struct dp_pkt *p)
{
	memset(f, 0, sizeof(*f));
	f->key = *k;
	f->client = 2;
	f->encap = p->encap;
	f->erspan_session = p->erspan_session;
	f->first_ns = lc->pkt_ns;
	f->lru_prev = f->lru_next = DP_NIL;
	f->in_use = 1;
	for (int i = 0; i < 2; i++) {
		f->dir[i].ooo = DP_NIL;
		f->dir[i].hdr = DP_NIL;
	}
	f->service[0] = dp_service_lookup(lc->services, k->a, k->pa);
	f->service[1] = dp_service_lookup(lc->services, k->b, k->pb);
	lru_append(lc, f, DP_LRU_SYN);
	f->last_tsc = lc->now_tsc;
	lc->n_flows++;
	DP_COUNT(&lc->stats, flows_created);
}

/*
 * The flow of this packet, created if the packet can open one (a SYN, or
 * data: a connection already running when we started watching). Pure ACKs,
 * FINs and RSTs of unknown flows create nothing, so scans cannot fill the
 * table with empty entries.
 */
struct dp_flow *
dp_flow_lookup(struct dp_lcore *lc, const struct dp_pkt *p, int *side)
{
	struct dp_flow_key k;
	int32_t pos;

	make_key(p, &k, side);
	pos = rte_hash_lookup(lc->flow_hash, &k);
	if (likely(pos >= 0)) {
		struct dp_flow *f = &lc->flows[pos];
		/* A new SYN on a finished connection, or with another ISN on a
		 * live one (its end was never seen): a new connection. */
		if ((p->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)) == RTE_TCP_SYN_FLAG &&
				(f->state == DP_TCP_CLOSED || !f->dir[*side].seq_known ||
				 f->dir[*side].next_seq != p->seq + 1)) {
			dp_tcp_release(lc, f);
			lru_unlink(lc, f);
			lc->n_flows--;
			flow_init(lc, f, &k, p);
			DP_COUNT(&lc->stats, flows_reused);
		}
		return f;
	}
	if (!(p->tcp_flags & RTE_TCP_SYN_FLAG) && p->payload_len == 0)
		return NULL;
	pos = rte_hash_add_key(lc->flow_hash, &k);
	if (pos < 0) {
		if (evict_one(lc) < 0 || (pos = rte_hash_add_key(lc->flow_hash, &k)) < 0) {
			lc->stats.drop[DP_DROP_flow_table_full]++;
			return NULL;
		}
	}
	struct dp_flow *f = &lc->flows[pos];
	flow_init(lc, f, &k, p);
	return f;
}
