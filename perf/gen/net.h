/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packets for meshwatch-gen: TCP connections between service instances,
 * segmentation, impairments, mirror encapsulations, and a time-ordered
 * streaming pcap writer.
 *
 * The simulator generates whole traces at once, in order of trace start time,
 * and every packet of a trace is at or after its start. So once the trace that
 * starts at T is being generated, every packet before T is final: net_flush(T)
 * writes them in timestamp order and frees them. Memory is bounded by the
 * packets of traces in flight, not by the capture size.
 */
#ifndef GEN_NET_H
#define GEN_NET_H

#include <stdint.h>
#include <stdio.h>

#include "rng.h"

enum encap { ENCAP_NONE, ENCAP_VXLAN, ENCAP_GRE, ENCAP_ERSPAN2, ENCAP_ERSPAN3 };

struct impair {
	double reorder;		/* per data segment: delivered after the next one */
	double dup;		/* per data segment: retransmitted (same bytes) */
	double loss;		/* per data segment: never captured (a gap) */
	double overlap;		/* per data segment: followed by an overlapping
				 * retransmission carrying different bytes */
	double tiny;		/* per connection: 1-byte segments */
	double frag;		/* per packet: IP-fragmented */
	double ext6;		/* per IPv6 packet: with extension headers */
};

struct net_opts {
	int ipv6;		/* service addresses mapped into fd00:6d77::/96 */
	int vlan;		/* 0 none, else 802.1Q id */
	int qinq;		/* 0 none, else 802.1ad outer id (needs vlan) */
	enum encap encap;
	uint32_t vni;		/* VXLAN network id */
	uint16_t erspan_session;
	uint32_t mirror_src, mirror_dst;	/* outer IPv4, host order */
	struct impair imp;
	uint64_t capture_start;	/* ns: packets before it are not written */
	uint64_t epoch_ns;	/* wall clock of simulated time 0, for pcap times */
};

struct net_stats {
	uint64_t packets, bytes, conns, fins, rsts;
	uint64_t lost, dups, reordered, overlaps, frags, tiny_conns;
};

/* One TCP connection. The simulator owns the storage (pools). */
struct conn {
	uint32_t cli_ip, srv_ip;	/* IPv4 host order (mapped for IPv6) */
	uint16_t cport, sport;
	uint32_t cseq, sseq;		/* next sequence number per side */
	uint32_t cts, sts;		/* TCP timestamp clock bases */
	uint64_t busy_until;		/* ns: no new request before this */
	uint64_t opened_at;
	uint32_t requests;
	uint16_t mss;
	uint8_t open;
	uint8_t tiny;
	uint8_t captured;		/* SYN was inside the capture */
	uint32_t tiny_left;		/* bytes still to send in 1-byte segments */
};

/* What happened to one message on the wire, for the labels. */
struct xfer {
	uint64_t t_first, t_last;	/* first and last data segment */
	int segments;
	int gap;			/* a segment was lost (capture gap) */
	int overlap;			/* conflicting retransmission follows */
};

int net_init(const struct net_opts *o, const char *pcap_path, struct rng *r,
		char *err, size_t errlen);
/* Writes every packet with ts < before (UINT64_MAX: all) and frees it. */
void net_flush(uint64_t before);
int net_finish(struct net_stats *st);	/* flush all, close; -1 on I/O error */

/* Three-way handshake starting at t; returns when the client may send. */
uint64_t net_open(struct conn *c, uint64_t t, uint64_t rtt);
/* Sends len bytes from the client (dir 0) or server (dir 1) starting at t. */
void net_send(struct conn *c, int dir, uint64_t t, uint64_t rtt,
		const char *data, size_t len, struct xfer *x);
/* A pure ACK from dir at t. */
void net_ack(struct conn *c, int dir, uint64_t t);
/* FIN exchange started by dir at t, or an RST from dir when rst. */
void net_close(struct conn *c, int dir, uint64_t t, uint64_t rtt, int rst);

#endif /* GEN_NET_H */
