/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet decode: Ethernet, up to two VLAN tags (802.1Q, 802.1ad/QinQ), IPv4
 * with options, IPv6 with extension headers, TCP with options, and the mirror
 * encapsulations VXLAN, GRE (transparent Ethernet bridging or IP) and ERSPAN
 * II/III, which are removed while their ids are kept. Pure function of the
 * bytes: rx lcores call it on every frame, tests call it on crafted ones.
 */
#ifndef DP_DECODE_H
#define DP_DECODE_H

#include <stdint.h>
#include "dp_stats.h"

#define DP_MAX_TUNNELS 2	/* e.g. VXLAN carrying ERSPAN; deeper is dropped */

enum dp_decode_result {
	DP_DECODE_TCP,		/* pkt describes a TCP segment */
	DP_DECODE_FRAG,		/* an IP fragment at pkt->ip_off: reassemble, decode again */
	DP_DECODE_DROP,		/* pkt->drop says why */
};

struct dp_pkt {
	/* addresses: IPv4 in the first 4 bytes, rest zero */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;		/* host order */
	uint8_t ipv6;
	uint8_t tcp_flags;
	uint8_t encap;			/* enum mw_encap of the outermost tunnel */
	uint8_t n_vlan;
	uint16_t vlan[2];		/* of the mirrored (innermost) frame */
	uint32_t vni;			/* VXLAN VNI or GRE key */
	uint16_t erspan_session;
	uint16_t ip_off;		/* innermost IP header from frame start */
	uint16_t ip_hlen;		/* its header length incl. extension headers */
	uint32_t seq, ack;
	uint16_t win;
	uint16_t payload_off;		/* TCP payload from frame start */
	uint32_t payload_len;
	enum dp_drop drop;
};

enum dp_decode_result dp_decode(const uint8_t *frame, uint32_t len, struct dp_pkt *pkt);

/* A datagram rebuilt from the fragments pkt described: decode from its IP
 * header on, keeping the L2 and tunnel ids of that first decode. */
enum dp_decode_result dp_decode_reassembled(const uint8_t *frame, uint32_t len,
		struct dp_pkt *pkt);

#endif
