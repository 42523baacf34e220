/* SPDX-License-Identifier: BSD-3-Clause */
/* Hot path: see decode.h. Bounds are checked before every read. */
#include <string.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_vxlan.h>

#include "decode.h"
#include "mw_event.h"

#define ETHER_TYPE_QINQ_OLD 0x9100
#define GRE_PROTO_TEB 0x6558
#define GRE_PROTO_ERSPAN2 0x88be
#define GRE_PROTO_ERSPAN3 0x22eb
#define GRE_C 0x8000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_VERSION 0x0007
#define VXLAN_FLAG_I 0x08
#define IPV6_MAX_EXT 8

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline enum dp_decode_result
drop(struct dp_pkt *pkt, enum dp_drop why)
{
	pkt->drop = why;
	return DP_DECODE_DROP;
}

/* Ethernet and VLAN tags at off; returns the ethertype, moves *off past L2. */
static int
decode_l2(const uint8_t *f, uint32_t len, uint32_t *off, struct dp_pkt *pkt)
{
	uint32_t o = *off;
	uint16_t type;

	if (len - o < RTE_ETHER_HDR_LEN)
		return -DP_DROP_runt_l2;
	type = rd16(f + o + 12);
	o += RTE_ETHER_HDR_LEN;
	pkt->n_vlan = 0;	/* the tags of the innermost frame are the ones kept */
	while (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ ||
			type == ETHER_TYPE_QINQ_OLD) {
		if (pkt->n_vlan == 2)
			return -DP_DROP_vlan_depth;
		if (len - o < 4)
			return -DP_DROP_runt_l2;
		pkt->vlan[pkt->n_vlan++] = rd16(f + o) & 0xfff;
		type = rd16(f + o + 2);
		o += 4;
	}
	*off = o;
	return type;
}

/* GRE header at off; on success *off points at what it carries. */
static int
decode_gre(const uint8_t *f, uint32_t len, uint32_t *off, struct dp_pkt *pkt,
		uint16_t *inner_type)
{
	uint32_t o = *off;
	uint16_t flags, proto;

	if (len - o < 4)
		return -1;
	flags = rd16(f + o);
	proto = rd16(f + o + 2);
	if (flags & GRE_VERSION)
		return -1;
	o += 4;
	if (flags & GRE_C)
		o += 4;
	if (flags & GRE_K) {
		if (len < o + 4)
			return -1;
		pkt->vni = rd32(f + o);
		o += 4;
	}
	if (flags & GRE_S)
		o += 4;
	if (o > len)
		return -1;
	switch (proto) {
	case GRE_PROTO_ERSPAN2:
		if (len - o < 8 || f[o] >> 4 != 1)
			return -1;
		pkt->erspan_session = rd16(f + o + 2) & 0x3ff;
		if (pkt->encap == MW_ENCAP_none)
			pkt->encap = MW_ENCAP_erspan2;
		o += 8;
		proto = RTE_ETHER_TYPE_TEB;
		break;
	case GRE_PROTO_ERSPAN3:
		if (len - o < 12 || f[o] >> 4 != 2)
			return -1;
		pkt->erspan_session = rd16(f + o + 2) & 0x3ff;
		if (pkt->encap == MW_ENCAP_none)
			pkt->encap = MW_ENCAP_erspan3;
		/* O bit: an 8-byte platform-specific subheader follows */
		o += (f[o + 11] & 1) ? 20 : 12;
		if (o > len)
			return -1;
		proto = RTE_ETHER_TYPE_TEB;
		break;
	default:
		if (pkt->encap == MW_ENCAP_none)
			pkt->encap = MW_ENCAP_gre;
		break;
	}
	*off = o;
	*inner_type = proto;
	return 0;
}

/* IPv6 header at off: walks the extension headers up to the transport. */
static int
decode_ipv6(const uint8_t *f, uint32_t len, uint32_t off, struct dp_pkt *pkt,
		uint32_t *l4_off, uint32_t *end, uint8_t *proto, int *frag)
{
	const struct rte_ipv6_hdr *ip = (const struct rte_ipv6_hdr *)(f + off);
	uint32_t o = off + sizeof(*ip);
	uint8_t nh;

	if (len - off < sizeof(*ip))
		return -DP_DROP_ip_truncated;
	if (f[off] >> 4 != 6)
		return -DP_DROP_ip_bad_version;
	*end = o + rte_be_to_cpu_16(ip->payload_len);
	if (*end > len)
		return -DP_DROP_ip_truncated;
	memcpy(pkt->src, ip->src_addr, 16);
	memcpy(pkt->dst, ip->dst_addr, 16);
	pkt->ipv6 = 1;
	nh = ip->proto;
	*frag = 0;
	for (int i = 0; i < IPV6_MAX_EXT; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (*end - o < 8)
				return -DP_DROP_ip6_ext_chain;
			nh = f[o];
			o += 8 + (uint32_t)f[o + 1] * 8;
			if (o > *end)
				return -DP_DROP_ip6_ext_chain;
			continue;
		case IPPROTO_FRAGMENT:
			if (*end - o < 8)
				return -DP_DROP_ip6_ext_chain;
			/* DPDK's reassembly wants the fragment header first in the
			 * chain, which is where every sender puts it in practice. */
			if (o != off + sizeof(*ip))
				return -DP_DROP_ip6_ext_chain;
			*frag = 1;
			o += 8;
			*proto = nh;
			*l4_off = o;
			return 0;
		default:
			*proto = nh;
			*l4_off = o;
			return 0;
		}
	}
	return -DP_DROP_ip6_ext_chain;
}

static int
decode_ipv4(const uint8_t *f, uint32_t len, uint32_t off, struct dp_pkt *pkt,
		uint32_t *l4_off, uint32_t *end, uint8_t *proto, int *frag)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + off);
	uint32_t hl, tl;

	if (len - off < sizeof(*ip))
		return -DP_DROP_ip_truncated;
	if (f[off] >> 4 != 4)
		return -DP_DROP_ip_bad_version;
	hl = (uint32_t)(f[off] & 0xf) * 4;
	tl = rte_be_to_cpu_16(ip->total_length);
	if (hl < sizeof(*ip) || tl < hl)
		return -DP_DROP_ip_bad_hlen;
	if (tl > len - off)
		return -DP_DROP_ip_truncated;
	if (rte_raw_cksum(ip, hl) != 0xffff)
		return -DP_DROP_ip_bad_cksum;
	memset(pkt->src, 0, 16);
	memset(pkt->dst, 0, 16);
	memcpy(pkt->src, &ip->src_addr, 4);
	memcpy(pkt->dst, &ip->dst_addr, 4);
	pkt->ipv6 = 0;
	*frag = rte_be_to_cpu_16(ip->fragment_offset) &
		(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK);
	*proto = ip->next_proto_id;
	*l4_off = off + hl;
	*end = off + tl;	/* drops Ethernet padding */
	return 0;
}

static enum dp_decode_result
decode_tcp(const uint8_t *f, uint32_t off, uint32_t end, struct dp_pkt *pkt)
{
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(f + off);
	uint32_t hl;
	uint8_t fl;

	if (end - off < sizeof(*th))
		return drop(pkt, DP_DROP_tcp_truncated);
	hl = (uint32_t)(th->data_off >> 4) * 4;
	if (hl < sizeof(*th))
		return drop(pkt, DP_DROP_tcp_bad_hlen);
	if (hl > end - off)
		return drop(pkt, DP_DROP_tcp_truncated);
	fl = th->tcp_flags;
	if ((fl & (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG)) == (RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG) ||
			(fl & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG)) ==
			(RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG) || fl == 0)
		return drop(pkt, DP_DROP_tcp_bad_flags);
	pkt->sport = rte_be_to_cpu_16(th->src_port);
	pkt->dport = rte_be_to_cpu_16(th->dst_port);
	pkt->seq = rte_be_to_cpu_32(th->sent_seq);
	pkt->ack = rte_be_to_cpu_32(th->recv_ack);
	pkt->win = rte_be_to_cpu_16(th->rx_win);
	pkt->tcp_flags = fl;
	pkt->payload_off = (uint16_t)(off + hl);
	pkt->payload_len = end - off - hl;
	return DP_DECODE_TCP;
}

/*
 * Decodes from an IP header (type) or an Ethernet header (type 0) at off,
 * with tunnels already crossed.
 */
static enum dp_decode_result
decode_at(const uint8_t *f, uint32_t len, uint32_t off, int type, int tunnels,
		struct dp_pkt *pkt)
{
	uint32_t l4, end;

	for (;;) {
		uint8_t proto;
		int frag, rc;

		if (type == 0) {
			type = decode_l2(f, len, &off, pkt);
			if (type < 0)
				return drop(pkt, (enum dp_drop)-type);
		}
		if (type == RTE_ETHER_TYPE_IPV4)
			rc = decode_ipv4(f, len, off, pkt, &l4, &end, &proto, &frag);
		else if (type == RTE_ETHER_TYPE_IPV6)
			rc = decode_ipv6(f, len, off, pkt, &l4, &end, &proto, &frag);
		else
			return drop(pkt, DP_DROP_l3_unsupported);
		if (rc < 0)
			return drop(pkt, (enum dp_drop)-rc);
		pkt->ip_off = (uint16_t)off;
		pkt->ip_hlen = (uint16_t)(l4 - off);
		if (frag)
			return DP_DECODE_FRAG;
		if (proto == IPPROTO_TCP)
			return decode_tcp(f, l4, end, pkt);
		if (proto != IPPROTO_UDP && proto != IPPROTO_GRE)
			return drop(pkt, DP_DROP_l4_unsupported);
		if (tunnels == DP_MAX_TUNNELS)
			return drop(pkt, DP_DROP_tunnel_depth);
		tunnels++;
		len = end;
		if (proto == IPPROTO_UDP) {
			if (end - l4 < sizeof(struct rte_udp_hdr))
				return drop(pkt, DP_DROP_udp_truncated);
			if (rd16(f + l4 + 2) != RTE_VXLAN_DEFAULT_PORT)
				return drop(pkt, DP_DROP_l4_unsupported);
			off = l4 + sizeof(struct rte_udp_hdr);
			if (end - off < sizeof(struct rte_vxlan_hdr) || !(f[off] & VXLAN_FLAG_I))
				return drop(pkt, DP_DROP_tunnel_bad);
			pkt->vni = rd32(f + off + 4) >> 8;
			if (pkt->encap == MW_ENCAP_none)
				pkt->encap = MW_ENCAP_vxlan;
			off += sizeof(struct rte_vxlan_hdr);
			type = 0;
			continue;
		}
		uint16_t inner;
		off = l4;
		if (decode_gre(f, len, &off, pkt, &inner) < 0)
			return drop(pkt, DP_DROP_tunnel_bad);
		if (inner == RTE_ETHER_TYPE_TEB) {
			type = 0;
		} else {
			type = inner;
			pkt->n_vlan = 0;
		}
	}
}

enum dp_decode_result
dp_decode(const uint8_t *f, uint32_t len, struct dp_pkt *pkt)
{
	pkt->encap = MW_ENCAP_none;
	pkt->vni = 0;
	pkt->erspan_session = 0;
	pkt->n_vlan = 0;
	return decode_at(f, len, 0, 0, 0, pkt);
}

enum dp_decode_result
dp_decode_reassembled(const uint8_t *f, uint32_t len, struct dp_pkt *pkt)
{
	/* The headers before the datagram still carry the first fragment's
	 * lengths; the tunnel ids in pkt are from that first decode. */
	if (len <= pkt->ip_off)
		return drop(pkt, DP_DROP_frag_bad);
	return decode_at(f, len, pkt->ip_off,
			pkt->ipv6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4,
			DP_MAX_TUNNELS, pkt);
}
