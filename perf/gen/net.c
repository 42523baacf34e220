/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wire format for meshwatch-gen. Headers and checksums come from DPDK's
 * rte_ether.h / rte_ip.h / rte_tcp.h / rte_vxlan.h (header-only use), so the
 * generator and the appliance agree on one definition of every field.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_gre.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_vxlan.h>

#include "net.h"

#define FRAME_MAX 1664		/* inner frame: L2 + QinQ + IPv6 + TCP opts + MSS */
#define OUT_MAX (FRAME_MAX + 128)
#define WIRE_NS_PER_BYTE 0.8	/* 10 Gbit/s serialization */
#define TINY_BYTES 16384	/* a tiny connection's bytes in 1-byte segments */
#define TCP_WINDOW 2048		/* << 7 = 256 KiB */
#define TCP_WSCALE 7
#define ERSPAN2_PROTO 0x88BE
#define ERSPAN3_PROTO 0x22EB
#define TEB_PROTO 0x6558	/* transparent Ethernet bridging */

struct pkt {
	uint64_t ts, seq;
	uint16_t len;
	uint8_t frag;		/* IP-fragment this packet when written */
	uint8_t ext6;		/* add IPv6 extension headers when written */
	uint8_t data[FRAME_MAX];
};

static struct {
	struct net_opts o;
	struct rng *r;
	FILE *file;
	pcap_t *pd;
	pcap_dumper_t *dump;
	struct pkt **heap;
	size_t n_heap, cap_heap;
	struct pkt **free;
	size_t n_free, cap_free, total;
	uint64_t seq;
	uint16_t ip_id;
	uint32_t gre_seq;
	uint32_t frag_id;
	uint8_t out[OUT_MAX * 2];
	struct net_stats st;
	int io_error;
} n;

/* ---- packet pool and time-ordered heap ---- */

static struct pkt *
pkt_get(void)
{
	if (n.n_free == 0) {
		struct pkt *chunk = malloc(256 * sizeof(struct pkt));
		if (chunk == NULL) {
			fprintf(stderr, "meshwatch-gen: out of memory for packets\n");
			exit(1);
		}
		/* Every packet ever made may come back: size for all of them. */
		n.total += 256;
		if (n.cap_free < n.total) {
			n.cap_free = n.total * 2;
			n.free = realloc(n.free, n.cap_free * sizeof(*n.free));
			if (n.free == NULL) {
				fprintf(stderr, "meshwatch-gen: out of memory for packets\n");
				exit(1);
			}
		}
		for (int i = 0; i < 256; i++)
			n.free[n.n_free++] = &chunk[i];
	}
	return n.free[--n.n_free];
}

static void
pkt_put(struct pkt *p)
{
	n.free[n.n_free++] = p;
}

static int
pkt_before(const struct pkt *a, const struct pkt *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static void
heap_push(struct pkt *p)
{
	if (n.n_heap == n.cap_heap) {
		n.cap_heap = n.cap_heap ? n.cap_heap * 2 : 4096;
		n.heap = realloc(n.heap, n.cap_heap * sizeof(*n.heap));
		if (n.heap == NULL) {
			fprintf(stderr, "meshwatch-gen: out of memory for packet heap\n");
			exit(1);
		}
	}
	p->seq = n.seq++;
	size_t i = n.n_heap++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!pkt_before(p, n.heap[parent]))
			break;
		n.heap[i] = n.heap[parent];
		i = parent;
	}
	n.heap[i] = p;
}

static struct pkt *
heap_pop(void)
{
	struct pkt *top = n.heap[0], *last = n.heap[--n.n_heap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n.n_heap)
			break;
		if (c + 1 < n.n_heap && pkt_before(n.heap[c + 1], n.heap[c]))
			c++;
		if (!pkt_before(n.heap[c], last))
			break;
		n.heap[i] = n.heap[c];
		i = c;
	}
	if (n.n_heap)
		n.heap[i] = last;
	return top;
}

/* ---- headers ---- */

static void
mac_of(uint32_t ip, struct rte_ether_addr *m)
{
	m->addr_bytes[0] = 0x02;
	m->addr_bytes[1] = 0x6d;
	m->addr_bytes[2] = (uint8_t)(ip >> 24);
	m->addr_bytes[3] = (uint8_t)(ip >> 16);
	m->addr_bytes[4] = (uint8_t)(ip >> 8);
	m->addr_bytes[5] = (uint8_t)ip;
}

static void
ip6_of(uint32_t ip, uint8_t a[16])
{
	static const uint8_t prefix[12] = { 0xfd, 0x00, 0x6d, 0x77 };

	memcpy(a, prefix, 12);
	a[12] = (uint8_t)(ip >> 24);
	a[13] = (uint8_t)(ip >> 16);
	a[14] = (uint8_t)(ip >> 8);
	a[15] = (uint8_t)ip;
}

/* Writes L2 (with VLAN / QinQ tags); returns its length. */
static size_t
put_l2(uint8_t *b, uint32_t src, uint32_t dst, uint16_t ethertype)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)b;
	size_t off = sizeof(*eh);

	mac_of(dst, &eh->dst_addr);
	mac_of(src, &eh->src_addr);
	if (n.o.qinq) {
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_QINQ);
		struct rte_vlan_hdr *v = (struct rte_vlan_hdr *)(b + off);
		v->vlan_tci = rte_cpu_to_be_16((uint16_t)n.o.qinq);
		v->eth_proto = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		off += sizeof(*v);
		v = (struct rte_vlan_hdr *)(b + off);
		v->vlan_tci = rte_cpu_to_be_16((uint16_t)n.o.vlan);
		v->eth_proto = rte_cpu_to_be_16(ethertype);
		off += sizeof(*v);
	} else if (n.o.vlan) {
		eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		struct rte_vlan_hdr *v = (struct rte_vlan_hdr *)(b + off);
		v->vlan_tci = rte_cpu_to_be_16((uint16_t)n.o.vlan);
		v->eth_proto = rte_cpu_to_be_16(ethertype);
		off += sizeof(*v);
	} else {
		eh->ether_type = rte_cpu_to_be_16(ethertype);
	}
	return off;
}

static uint32_t
ms_clock(uint32_t base, uint64_t t)
{
	return base + (uint32_t)(t / 1000000);
}

/*
 * Builds one TCP packet of conn c from side dir and queues it at ts.
 * syn_opts selects the SYN option block (MSS, SACK-permitted, timestamps,
 * window scale) instead of the plain timestamps block.
 */
static struct pkt *
tcp_pkt(const struct conn *c, int dir, uint64_t ts, uint8_t flags, uint32_t seq,
		uint32_t ack, const void *data, size_t len, uint64_t rtt)
{
	struct pkt *p = pkt_get();
	uint8_t *b = p->data;
	uint32_t src = dir ? c->srv_ip : c->cli_ip, dst = dir ? c->cli_ip : c->srv_ip;
	int syn = flags & RTE_TCP_SYN_FLAG;
	size_t optlen = syn ? 20 : 12;
	size_t l2 = put_l2(b, src, dst, n.o.ipv6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);
	size_t l3 = n.o.ipv6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(b + l2 + l3);
	uint8_t *opt = (uint8_t *)(th + 1);
	size_t l4 = sizeof(*th) + optlen + len;

	th->src_port = rte_cpu_to_be_16(dir ? c->sport : c->cport);
	th->dst_port = rte_cpu_to_be_16(dir ? c->cport : c->sport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32((flags & RTE_TCP_ACK_FLAG) ? ack : 0);
	th->data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(syn ? 65535 : TCP_WINDOW);
	th->cksum = 0;
	th->tcp_urp = 0;

	uint32_t tsval = ms_clock(dir ? c->sts : c->cts, ts);
	uint32_t tsecr = (flags & RTE_TCP_ACK_FLAG) ?
		ms_clock(dir ? c->cts : c->sts, ts > rtt ? ts - rtt : 0) : 0;
	if (syn) {
		*opt++ = 2; *opt++ = 4;			/* MSS */
		*opt++ = (uint8_t)(c->mss >> 8); *opt++ = (uint8_t)c->mss;
		*opt++ = 4; *opt++ = 2;			/* SACK permitted */
	} else {
		*opt++ = 1; *opt++ = 1;			/* NOP NOP */
	}
	*opt++ = 8; *opt++ = 10;			/* timestamps */
	tsval = rte_cpu_to_be_32(tsval);
	tsecr = rte_cpu_to_be_32(tsecr);
	memcpy(opt, &tsval, 4);
	memcpy(opt + 4, &tsecr, 4);
	opt += 8;
	if (syn) {
		*opt++ = 1;				/* NOP */
		*opt++ = 3; *opt++ = 3; *opt++ = TCP_WSCALE;
	}
	if (len)
		memcpy(opt, data, len);

	if (n.o.ipv6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(b + l2);
		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)l4);
		ip->proto = IPPROTO_TCP;
		ip->hop_limits = dir ? 64 : 63;
		ip6_of(src, ip->src_addr);
		ip6_of(dst, ip->dst_addr);
		th->cksum = rte_ipv6_udptcp_cksum(ip, th);
	} else {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + l2);
		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + l4));
		ip->packet_id = rte_cpu_to_be_16(n.ip_id++);
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		ip->time_to_live = dir ? 64 : 63;
		ip->next_proto_id = IPPROTO_TCP;
		ip->hdr_checksum = 0;
		ip->src_addr = rte_cpu_to_be_32(src);
		ip->dst_addr = rte_cpu_to_be_32(dst);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	}
	p->len = (uint16_t)(l2 + l3 + l4);
	p->ts = ts;
	p->frag = rng_chance(n.r, n.o.imp.frag) && l4 > 24;
	p->ext6 = n.o.ipv6 && rng_chance(n.r, n.o.imp.ext6);
	heap_push(p);
	return p;
}

/* ---- connections ---- */

uint64_t
net_open(struct conn *c, uint64_t t, uint64_t rtt)
{
	c->cseq = (uint32_t)rng_u64(n.r);
	c->sseq = (uint32_t)rng_u64(n.r);
	c->cts = (uint32_t)rng_u64(n.r);
	c->sts = (uint32_t)rng_u64(n.r);
	c->open = 1;
	c->requests = 0;
	c->opened_at = t;
	c->captured = t >= n.o.capture_start;
	c->tiny = rng_chance(n.r, n.o.imp.tiny);
	/* A long-lived connection carries megabytes: a packet per byte of all
	 * of it only makes the capture huge (and tshark quadratic), so its
	 * first TINY_BYTES (both directions) go a byte at a time, the rest as
	 * usual; every request of a short connection is still cut to bytes. */
	c->tiny_left = c->tiny ? TINY_BYTES : 0;
	n.st.conns++;
	n.st.tiny_conns += c->tiny;
	tcp_pkt(c, 0, t, RTE_TCP_SYN_FLAG, c->cseq++, 0, NULL, 0, rtt);
	tcp_pkt(c, 1, t + rtt / 2, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, c->sseq++,
			c->cseq, NULL, 0, rtt);
	tcp_pkt(c, 0, t + rtt, RTE_TCP_ACK_FLAG, c->cseq, c->sseq, NULL, 0, rtt);
	c->busy_until = t + rtt;
	return t + rtt;
}

void
net_ack(struct conn *c, int dir, uint64_t t)
{
	tcp_pkt(c, dir, t, RTE_TCP_ACK_FLAG, dir ? c->sseq : c->cseq,
			dir ? c->cseq : c->sseq, NULL, 0, 0);
}

void
net_send(struct conn *c, int dir, uint64_t t, uint64_t rtt, const char *data,
		size_t len, struct xfer *x)
{
	const struct impair *im = &n.o.imp;
	uint32_t *seqp = dir ? &c->sseq : &c->cseq;
	uint32_t ack = dir ? c->cseq : c->sseq;
	size_t mss = c->mss;
	uint64_t ts = t;
	int k = 0;

	memset(x, 0, sizeof(*x));
	x->t_first = t;
	for (size_t off = 0, seg; off < len; off += seg, k++) {
		mss = c->tiny_left > 0 ? (c->tiny_left--, 1) : c->mss;
		seg = len - off < mss ? len - off : mss;
		uint8_t flags = RTE_TCP_ACK_FLAG | (off + seg == len ? RTE_TCP_PSH_FLAG : 0);
		uint32_t seq = *seqp + (uint32_t)off;

		ts += (uint64_t)((seg + 66) * WIRE_NS_PER_BYTE) + 1;
		if (rng_chance(n.r, im->loss)) {
			x->gap = 1;
			n.st.lost++;
		} else {
			uint64_t when = ts;
			if (rng_chance(n.r, im->reorder)) {
				when += 3 * (uint64_t)((mss + 66) * WIRE_NS_PER_BYTE) + 3;
				n.st.reordered++;
			}
			tcp_pkt(c, dir, when, flags, seq, ack, data + off, seg, rtt);
		}
		if (rng_chance(n.r, im->dup)) {
			tcp_pkt(c, dir, ts + rtt + 1000, flags, seq, ack, data + off, seg, rtt);
			n.st.dups++;
		}
		if (seg >= 4 && rng_chance(n.r, im->overlap)) {
			/* A retransmission that overlaps the tail of this segment
			 * with different bytes; it never reaches past bytes already
			 * sent, so "first copy wins" reassembly recovers the
			 * original. */
			uint8_t junk[FRAME_MAX];
			size_t from = seg / 4, olen = seg - from;
			for (size_t i = 0; i < olen; i++)
				junk[i] = (uint8_t)('A' + rng_below(n.r, 26));
			tcp_pkt(c, dir, ts + rtt / 2 + 500, flags, seq + (uint32_t)from, ack,
					junk, olen, rtt);
			x->overlap = 1;
			n.st.overlaps++;
		}
		/* Delayed ACK: the receiver acknowledges every second segment. */
		if ((k & 1) && off + seg < len)
			tcp_pkt(c, !dir, ts + rtt / 2, RTE_TCP_ACK_FLAG,
					dir ? c->cseq : c->sseq, seq + (uint32_t)seg, NULL, 0, rtt);
	}
	*seqp += (uint32_t)len;
	x->t_last = ts;
	x->segments = k;
}

void
net_close(struct conn *c, int dir, uint64_t t, uint64_t rtt, int rst)
{
	uint32_t *s_me = dir ? &c->sseq : &c->cseq, *s_peer = dir ? &c->cseq : &c->sseq;

	if (rst) {
		tcp_pkt(c, dir, t, RTE_TCP_RST_FLAG | RTE_TCP_ACK_FLAG, *s_me, *s_peer,
				NULL, 0, rtt);
		n.st.rsts++;
	} else {
		tcp_pkt(c, dir, t, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, (*s_me)++, *s_peer,
				NULL, 0, rtt);
		tcp_pkt(c, !dir, t + rtt / 2, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG,
				(*s_peer)++, *s_me, NULL, 0, rtt);
		tcp_pkt(c, dir, t + rtt, RTE_TCP_ACK_FLAG, *s_me, *s_peer, NULL, 0, rtt);
		n.st.fins++;
	}
	c->open = 0;
}

/* ---- output: fragmentation, encapsulation, pcap ---- */

static void
dump(uint64_t ts, const uint8_t *b, size_t len)
{
	struct pcap_pkthdr h;

	ts += n.o.epoch_ns;
	h.ts.tv_sec = (time_t)(ts / 1000000000ull);
	h.ts.tv_usec = (suseconds_t)(ts % 1000000000ull / 1000);
	h.caplen = h.len = (bpf_u_int32)len;
	pcap_dump((u_char *)n.dump, &h, b);
	n.st.packets++;
	n.st.bytes += len;
}

/* Wraps an inner frame in the mirror encapsulation and writes it. */
static void
emit(uint64_t ts, const uint8_t *inner, size_t len, uint16_t hash)
{
	uint8_t *b = n.out;
	size_t hl = 0;
	uint32_t save_vlan = n.o.vlan, save_qinq = n.o.qinq;

	if (n.o.encap == ENCAP_NONE) {
		dump(ts, inner, len);
		return;
	}
	/* The outer frame is untagged: tags belong to the mirrored traffic. */
	n.o.vlan = n.o.qinq = 0;
	hl = put_l2(b, n.o.mirror_src, n.o.mirror_dst, RTE_ETHER_TYPE_IPV4);
	n.o.vlan = save_vlan;
	n.o.qinq = (int)save_qinq;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(b + hl);
	hl += sizeof(*ip);
	uint8_t *l4 = b + hl;
	size_t el;

	switch (n.o.encap) {
	case ENCAP_VXLAN: {
		struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;
		struct rte_vxlan_hdr *vx = (struct rte_vxlan_hdr *)(u + 1);
		el = sizeof(*u) + sizeof(*vx);
		u->src_port = rte_cpu_to_be_16((uint16_t)(49152 + hash % 16384));
		u->dst_port = rte_cpu_to_be_16(RTE_VXLAN_DEFAULT_PORT);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(el + len));
		u->dgram_cksum = 0;	/* allowed for UDP over IPv4; mirrors do this */
		vx->vx_flags = rte_cpu_to_be_32(0x08000000);
		vx->vx_vni = rte_cpu_to_be_32(n.o.vni << 8);
		ip->next_proto_id = IPPROTO_UDP;
		break;
	}
	case ENCAP_GRE:
		l4[0] = 0;
		l4[1] = 0;
		l4[2] = TEB_PROTO >> 8;
		l4[3] = TEB_PROTO & 0xff;
		el = 4;
		ip->next_proto_id = IPPROTO_GRE;
		break;
	case ENCAP_ERSPAN2:
	case ENCAP_ERSPAN3: {
		int v3 = n.o.encap == ENCAP_ERSPAN3;
		uint16_t proto = v3 ? ERSPAN3_PROTO : ERSPAN2_PROTO;
		uint32_t w;

		l4[0] = 0x10;	/* S: sequence number present */
		l4[1] = 0;
		l4[2] = (uint8_t)(proto >> 8);
		l4[3] = (uint8_t)proto;
		w = rte_cpu_to_be_32(n.gre_seq++);
		memcpy(l4 + 4, &w, 4);
		uint16_t vlan = (uint16_t)(n.o.vlan & 0xfff);
		/* ver | vlan | cos 0 | en/bso 0 | t 0 | session id */
		w = ((v3 ? 2u : 1u) << 28) | ((uint32_t)vlan << 16) |
			(n.o.erspan_session & 0x3ffu);
		w = rte_cpu_to_be_32(w);
		memcpy(l4 + 8, &w, 4);
		if (v3) {
			w = rte_cpu_to_be_32((uint32_t)(ts / 100));	/* 100 ns units */
			memcpy(l4 + 12, &w, 4);
			/* sgt 0 | p 0 | ft 0 (Ethernet) | hw id 1 | d | gra 01 | o 0 */
			w = rte_cpu_to_be_32((1u << 4) | (1u << 1));
			memcpy(l4 + 16, &w, 4);
			el = 20;
		} else {
			w = rte_cpu_to_be_32(1);	/* index: port 1 */
			memcpy(l4 + 12, &w, 4);
			el = 16;
		}
		ip->next_proto_id = IPPROTO_GRE;
		break;
	}
	default:
		el = 0;
		break;
	}
	memcpy(l4 + el, inner, len);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + el + len));
	ip->packet_id = rte_cpu_to_be_16(n.ip_id++);
	ip->fragment_offset = 0;
	ip->time_to_live = 255;
	ip->hdr_checksum = 0;
	ip->src_addr = rte_cpu_to_be_32(n.o.mirror_src);
	ip->dst_addr = rte_cpu_to_be_32(n.o.mirror_dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	dump(ts, b, hl + el + len);
}

static size_t
l2_len(void)
{
	return sizeof(struct rte_ether_hdr) + (n.o.qinq ? 8 : n.o.vlan ? 4 : 0);
}

/* IPv6 extension headers between the fixed header and TCP. */
static size_t
add_ext6(struct pkt *p, uint8_t *b)
{
	size_t l2 = l2_len();
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(p->data + l2);
	size_t rest = p->len - l2 - sizeof(*ip);
	int hbh = rng_below(n.r, 2);
	size_t ext = hbh ? 16 : 8;

	memcpy(b, p->data, l2 + sizeof(*ip));
	struct rte_ipv6_hdr *nip = (struct rte_ipv6_hdr *)(b + l2);
	uint8_t *e = b + l2 + sizeof(*ip);
	nip->payload_len = rte_cpu_to_be_16((uint16_t)(rest + ext));
	if (hbh) {
		nip->proto = IPPROTO_HOPOPTS;
		static const uint8_t h[8] = { IPPROTO_DSTOPTS, 0, 1, 4, 0, 0, 0, 0 };
		memcpy(e, h, 8);
		e += 8;
	} else {
		nip->proto = IPPROTO_DSTOPTS;
	}
	static const uint8_t d[8] = { IPPROTO_TCP, 0, 1, 4, 0, 0, 0, 0 };
	memcpy(e, d, 8);
	memcpy(e + 8, p->data + l2 + sizeof(*ip), rest);
	return p->len + ext;
}

/* Writes p as 2..4 IP fragments (8-byte multiples), sometimes in reverse. */
static void
emit_fragments(struct pkt *p, uint16_t hash)
{
	size_t l2 = l2_len();
	uint8_t frame[OUT_MAX];
	size_t l3 = n.o.ipv6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	const uint8_t *payload = p->data + l2 + l3;
	size_t plen = p->len - l2 - l3;
	int parts = 2 + (int)rng_below(n.r, 3);
	size_t chunk = (plen / (size_t)parts + 7) & ~(size_t)7;
	size_t offs[8], lens[8];
	int k = 0;

	if (chunk < 8)
		chunk = 8;
	for (size_t off = 0; off < plen && k < 8; off += chunk, k++) {
		offs[k] = off;
		lens[k] = plen - off < chunk ? plen - off : chunk;
	}
	int reverse = rng_below(n.r, 4) == 0;
	uint32_t id = n.frag_id++;
	for (int i = 0; i < k; i++) {
		int j = reverse ? k - 1 - i : i;
		int more = j < k - 1;
		size_t hl;

		memcpy(frame, p->data, l2 + l3);
		if (n.o.ipv6) {
			struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(frame + l2);
			uint8_t *fh = frame + l2 + l3;
			ip->proto = IPPROTO_FRAGMENT;
			ip->payload_len = rte_cpu_to_be_16((uint16_t)(8 + lens[j]));
			fh[0] = IPPROTO_TCP;
			fh[1] = 0;
			uint16_t fo = rte_cpu_to_be_16((uint16_t)(offs[j] | (size_t)more));
			memcpy(fh + 2, &fo, 2);
			uint32_t bid = rte_cpu_to_be_32(id);
			memcpy(fh + 4, &bid, 4);
			hl = l2 + l3 + 8;
		} else {
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(frame + l2);
			ip->total_length = rte_cpu_to_be_16((uint16_t)(l3 + lens[j]));
			ip->fragment_offset = rte_cpu_to_be_16((uint16_t)((offs[j] >> 3) |
						(more ? RTE_IPV4_HDR_MF_FLAG : 0)));
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			hl = l2 + l3;
		}
		memcpy(frame + hl, payload + offs[j], lens[j]);
		emit(p->ts + (uint64_t)i, frame, hl + lens[j], hash);
	}
	n.st.frags++;
}

static uint16_t
flow_hash(const struct pkt *p)
{
	/* Symmetric: ports and addresses summed, so both directions of a flow
	 * take the same outer UDP source port, as mirror sessions do. */
	size_t l2 = l2_len();
	size_t l3 = n.o.ipv6 ? sizeof(struct rte_ipv6_hdr) : sizeof(struct rte_ipv4_hdr);
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(p->data + l2 + l3);
	const uint8_t *a = p->data + l2 + (n.o.ipv6 ? 8 : 12);
	size_t alen = n.o.ipv6 ? 32 : 8;
	uint32_t h = th->src_port + th->dst_port;

	for (size_t i = 0; i < alen; i++)
		h += a[i];
	return (uint16_t)(h * 2654435761u >> 16);
}

static void
write_pkt(struct pkt *p)
{
	uint16_t hash = flow_hash(p);

	if (p->frag) {
		emit_fragments(p, hash);
	} else if (p->ext6) {
		uint8_t frame[OUT_MAX];
		size_t len = add_ext6(p, frame);
		emit(p->ts, frame, len, hash);
	} else {
		emit(p->ts, p->data, p->len, hash);
	}
}

void
net_flush(uint64_t before)
{
	while (n.n_heap && n.heap[0]->ts < before) {
		struct pkt *p = heap_pop();
		if (p->ts >= n.o.capture_start)
			write_pkt(p);
		pkt_put(p);
	}
}

int
net_init(const struct net_opts *o, const char *pcap_path, struct rng *r, char *err,
		size_t errlen)
{
	memset(&n, 0, sizeof(n));
	n.o = *o;
	n.r = r;
	n.file = fopen(pcap_path, "wb");
	if (n.file == NULL) {
		snprintf(err, errlen, "%s: %s", pcap_path, strerror(errno));
		return -1;
	}
	setvbuf(n.file, NULL, _IOFBF, 1 << 20);
	n.pd = pcap_open_dead(DLT_EN10MB, 65535);
	n.dump = n.pd ? pcap_dump_fopen(n.pd, n.file) : NULL;
	if (n.dump == NULL) {
		snprintf(err, errlen, "%s: cannot start a pcap file: %s", pcap_path,
				n.pd ? pcap_geterr(n.pd) : "pcap_open_dead failed");
		fclose(n.file);
		return -1;
	}
	return 0;
}

int
net_finish(struct net_stats *st)
{
	int rc = 0;

	net_flush(UINT64_MAX);
	if (pcap_dump_flush(n.dump) != 0)
		rc = -1;
	pcap_dump_close(n.dump);	/* closes n.file */
	pcap_close(n.pd);
	*st = n.st;
	return rc;
}
