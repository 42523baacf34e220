/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP stream reassembly, per direction (hot path, rx lcores).
 *
 * In-order bytes go straight to the HTTP parser without a copy. Segments
 * from the future wait in out-of-order nodes (copies, DP_OOO_DATA bytes each,
 * from one preallocated array per lcore), bounded per direction
 * (flows.ooo_per_flow) and per lcore (flows.ooo_total).
 *
 * Overlap policy: the first copy of a byte wins. Bytes already delivered are
 * never replaced; a segment overlapping buffered bytes keeps only its bytes
 * that fill holes. Overlaps whose bytes differ from the first copy are
 * counted separately (tcp_overlap_conflicts): that is an evasion attempt or
 * a broken stack, and the verdict should not depend on which copy a host
 * kept. This matches what Linux and the BSDs do for data they have already
 * acknowledged.
 *
 * Gaps (capture loss, or a hole that outlives the buffers) are skipped: the
 * parser is told how many bytes are missing and resynchronises at the next
 * message boundary unless the hole sits inside a body of known length.
 */
#include <string.h>
#include <rte_tcp.h>

#include "dp.h"

#define MAX_JUMP (64u << 20)	/* a seq this far ahead is not this stream */

static void
node_free(struct dp_lcore *lc, struct dp_stream *s)
{
	uint32_t i = s->ooo;

	s->ooo = lc->ooo[i].next;
	lc->ooo[i].next = lc->ooo_free;
	lc->ooo_free = i;
	lc->ooo_used--;
	s->ooo_count--;
}

static void
check_fin(struct dp_lcore *lc, struct dp_flow *f, int side)
{
	struct dp_stream *s = &f->dir[side];

	if (s->fin && !s->ended && s->ooo == DP_NIL && dp_seq_leq(s->fin_seq, s->next_seq)) {
		s->ended = 1;
		dp_http_end(lc, f, side);
		f->state = f->dir[!side].ended ? DP_TCP_CLOSED : DP_TCP_CLOSING;
	}
}

/* Delivers buffered segments that have become contiguous. */
static void
drain(struct dp_lcore *lc, struct dp_flow *f, int side)
{
	struct dp_stream *s = &f->dir[side];

	while (s->ooo != DP_NIL) {
		struct dp_ooo *n = &lc->ooo[s->ooo];
		uint32_t end = n->seq + n->len;

		if (dp_seq_lt(s->next_seq, n->seq))
			break;
		if (dp_seq_lt(s->next_seq, end)) {
			uint32_t skip = s->next_seq - n->seq;
			dp_http_data(lc, f, side, n->data + skip, n->len - skip, s->next_seq, n->ack);
			s->next_seq = end;
		}
		node_free(lc, s);
	}
}

/* Skips the hole before the first buffered segment. */
static void
skip_gap(struct dp_lcore *lc, struct dp_flow *f, int side, uint32_t to)
{
	struct dp_stream *s = &f->dir[side];
	uint32_t bytes = to - s->next_seq;

	DP_COUNT(&lc->stats, tcp_gaps);
	DP_ADD(&lc->stats, tcp_gap_bytes, bytes);
	dp_http_gap(lc, f, side, bytes);
	s->next_seq = to;
}

static void
flush_with_gaps(struct dp_lcore *lc, struct dp_flow *f, int side)
{
	struct dp_stream *s = &f->dir[side];

	while (s->ooo != DP_NIL) {
		skip_gap(lc, f, side, lc->ooo[s->ooo].seq);
		drain(lc, f, side);
	}
}

/* Buffers [seq, seq+len) around what is already buffered; -1: out of room. */
static int
ooo_insert(struct dp_lcore *lc, struct dp_stream *s, uint32_t seq, const uint8_t *d,
		uint32_t len, uint32_t ack)
{
	uint32_t c = seq, e = seq + len;
	uint32_t *link = &s->ooo;

	while (dp_seq_lt(c, e)) {
		struct dp_ooo *n = *link == DP_NIL ? NULL : &lc->ooo[*link];

		if (n != NULL && dp_seq_leq(n->seq + n->len, c)) {
			link = &n->next;
			continue;
		}
		if (n != NULL && dp_seq_leq(n->seq, c)) {
			uint32_t oe = dp_seq_lt(e, n->seq + n->len) ? e : n->seq + n->len;
			DP_COUNT(&lc->stats, tcp_overlaps);
			if (memcmp(n->data + (c - n->seq), d + (c - seq), oe - c) != 0)
				DP_COUNT(&lc->stats, tcp_overlap_conflicts);
			c = oe;
			link = &n->next;
			continue;
		}
		uint32_t pe = (n != NULL && dp_seq_lt(n->seq, e)) ? n->seq : e;
		while (dp_seq_lt(c, pe)) {
			if (s->ooo_count >= lc->lim.ooo_per_flow) {
				DP_COUNT(&lc->stats, tcp_ooo_limit);
				return -1;
			}
			if (lc->ooo_free == DP_NIL) {
				DP_COUNT(&lc->stats, tcp_ooo_pool_empty);
				return -1;
			}
			uint32_t mi = lc->ooo_free;
			struct dp_ooo *m = &lc->ooo[mi];
			lc->ooo_free = m->next;
			m->seq = c;
			m->len = RTE_MIN(pe - c, (uint32_t)DP_OOO_DATA);
			m->ack = ack;
			memcpy(m->data, d + (c - seq), m->len);
			m->next = *link;
			*link = mi;
			link = &m->next;
			c += m->len;
			s->ooo_count++;
			lc->ooo_used++;
			DP_COUNT(&lc->stats, tcp_ooo_queued);
		}
	}
	return 0;
}

static void
deliver(struct dp_lcore *lc, struct dp_flow *f, int side, uint32_t seq, const uint8_t *d,
		uint32_t len, uint32_t ack)
{
	struct dp_stream *s = &f->dir[side];
	int32_t rel = (int32_t)(seq - s->next_seq);

	if (rel > 0 && ((uint32_t)rel > MAX_JUMP ||
			ooo_insert(lc, s, seq, d, len, ack) < 0)) {
		/* No room to wait for the hole: give up on it. */
		flush_with_gaps(lc, f, side);
		rel = (int32_t)(seq - s->next_seq);
		if (rel > 0)
			skip_gap(lc, f, side, seq);
		rel = (int32_t)(seq - s->next_seq);
	}
	if (rel > 0)
		return;		/* buffered */
	uint32_t skip = (uint32_t)-rel;
	if (skip >= len) {
		DP_COUNT(&lc->stats, tcp_retransmitted);
		return;
	}
	if (skip)
		DP_COUNT(&lc->stats, tcp_overlaps);
	dp_http_data(lc, f, side, d + skip, len - skip, seq + skip, ack);
	s->next_seq = seq + len;
	drain(lc, f, side);
}

/*
 * The peer acknowledged bytes of this direction that we never saw: they are
 * not coming (a mirror does not retransmit), so skip them now rather than
 * wait for the buffers to fill. This keeps both directions of a keep-alive
 * connection in step, so a lost request segment costs one call, not every
 * call after it. A FIN's sequence number is acknowledged too; it is no gap.
 */
static void
ack_gap(struct dp_lcore *lc, struct dp_flow *f, int side, uint32_t ack)
{
	struct dp_stream *s = &f->dir[side];

	if (!s->seq_known || s->ended)
		return;
	if (s->fin && dp_seq_lt(s->fin_seq, ack))
		ack = s->fin_seq;
	if (!dp_seq_lt(s->next_seq, ack) || ack - s->next_seq > MAX_JUMP)
		return;
	while (dp_seq_lt(s->next_seq, ack)) {
		uint32_t to = ack;
		if (s->ooo != DP_NIL && dp_seq_lt(lc->ooo[s->ooo].seq, ack))
			to = lc->ooo[s->ooo].seq;
		if (dp_seq_lt(s->next_seq, to))
			skip_gap(lc, f, side, to);
		drain(lc, f, side);
	}
	check_fin(lc, f, side);
}

/* The direction is over: whatever is buffered goes out, holes and all. */
static void
finish_side(struct dp_lcore *lc, struct dp_flow *f, int side)
{
	flush_with_gaps(lc, f, side);
	f->dir[side].ended = 1;
	dp_http_end(lc, f, side);
}

void
dp_tcp_segment(struct dp_lcore *lc, struct dp_flow *f, int side, const struct dp_pkt *p,
		const uint8_t *payload)
{
	struct dp_stream *s = &f->dir[side];
	uint8_t fl = p->tcp_flags;
	uint32_t seq = p->seq;

	DP_COUNT(&lc->stats, tcp_segments);
	DP_ADD(&lc->stats, tcp_bytes, p->payload_len);
	if (fl & RTE_TCP_RST_FLAG) {
		DP_COUNT(&lc->stats, tcp_rst);
		if (f->state != DP_TCP_CLOSED) {
			finish_side(lc, f, 0);
			finish_side(lc, f, 1);
			f->state = DP_TCP_CLOSED;
		}
		return;
	}
	if ((fl & RTE_TCP_ACK_FLAG) && !(fl & RTE_TCP_SYN_FLAG))
		ack_gap(lc, f, !side, p->ack);
	if (fl & RTE_TCP_SYN_FLAG) {
		if (!s->seq_known || s->next_seq != seq + 1) {
			s->next_seq = seq + 1;
			s->seq_known = 1;
			s->http = DP_HTTP_START;
		}
		if (f->client == 2) {
			int client = (fl & RTE_TCP_ACK_FLAG) ? !side : side;
			f->client = (uint8_t)client;
			f->dir[client].role = DP_ROLE_CLIENT;
			f->dir[!client].role = DP_ROLE_SERVER;
		}
		if (fl & RTE_TCP_ACK_FLAG)
			f->state = DP_TCP_EST;
		seq++;		/* data on a SYN (TCP Fast Open) starts after it */
	}
	if (!s->seq_known) {
		if (p->payload_len == 0 && !(fl & RTE_TCP_FIN_FLAG))
			return;
		/* Joined mid-stream: start here, find a message boundary. */
		s->next_seq = seq;
		s->seq_known = 1;
		s->http = DP_HTTP_RESYNC;
		s->crlf = 1;
		if (!f->midstream) {
			f->midstream = 1;
			DP_COUNT(&lc->stats, flows_midstream);
		}
	}
	if (p->payload_len) {
		if (f->state == DP_TCP_SYN)
			f->state = DP_TCP_EST;
		deliver(lc, f, side, seq, payload, p->payload_len, p->ack);
	}
	if ((fl & RTE_TCP_FIN_FLAG) && !s->fin) {
		DP_COUNT(&lc->stats, tcp_fin);
		s->fin = 1;
		s->fin_seq = seq + p->payload_len;
	}
	check_fin(lc, f, side);
}

void
dp_tcp_release(struct dp_lcore *lc, struct dp_flow *f)
{
	finish_side(lc, f, 0);
	finish_side(lc, f, 1);
	dp_http_release(lc, f);
}
