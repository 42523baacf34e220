/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-rx-lcore counters. Each rx lcore writes only its own cache-aligned
 * struct dp_stats; the main lcore reads all of them (relaxed: a counter may
 * be one burst stale) and sums. One X-macro list per kind, so the enum, the
 * names printed in stats and the counters never drift apart.
 */
#ifndef DP_STATS_H
#define DP_STATS_H

#include <stdint.h>
#include <rte_common.h>

#include "mw_stage.h"

/* Why a packet was dropped before reaching a flow. */
#define DP_DROP_REASONS(X) \
	X(runt_l2,		"frame shorter than its L2 header") \
	X(vlan_depth,		"more than two VLAN tags") \
	X(l3_unsupported,	"not IPv4/IPv6 (ARP, LLDP, ...)") \
	X(ip_truncated,		"IP header or payload longer than the frame") \
	X(ip_bad_version,	"IP version does not match the ethertype") \
	X(ip_bad_hlen,		"IPv4 header length below 20 bytes") \
	X(ip_bad_cksum,		"IPv4 header checksum wrong (NIC or software)") \
	X(ip6_ext_chain,	"IPv6 extension headers malformed or too many") \
	X(l4_unsupported,	"not TCP and not a mirror tunnel") \
	X(udp_truncated,	"UDP header longer than the packet") \
	X(tunnel_bad,		"VXLAN/GRE/ERSPAN header malformed or unsupported") \
	X(tunnel_depth,		"tunnel inside a tunnel inside a tunnel") \
	X(tcp_truncated,	"TCP header longer than the packet") \
	X(tcp_bad_hlen,		"TCP data offset below 20 bytes") \
	X(tcp_bad_flags,	"impossible TCP flag combination") \
	X(l4_bad_cksum,		"TCP checksum wrong (NIC offload)") \
	X(frag_bad,		"IP fragment rejected by reassembly") \
	X(frag_table_full,	"no room in the reassembly table") \
	X(frag_too_big,		"reassembled datagram over 64 KiB") \
	X(flow_table_full,	"no flow entry and none could be evicted") \
	X(multiseg,		"multi-segment mbuf could not be read")

enum dp_drop {
#define X(name, text) DP_DROP_##name,
	DP_DROP_REASONS(X)
#undef X
	DP_DROP_MAX
};

/* Everything else an rx lcore counts. */
#define DP_COUNTERS(X) \
	X(rx_packets) X(rx_bytes) X(tunnel_decap) X(frag_in) X(frag_reassembled) \
	X(flows_created) X(flows_expired) X(flows_evicted) X(flows_reused) \
	X(flows_midstream) \
	X(tcp_segments) X(tcp_bytes) X(tcp_retransmitted) X(tcp_overlaps) \
	X(tcp_overlap_conflicts) X(tcp_ooo_queued) X(tcp_ooo_limit) \
	X(tcp_ooo_pool_empty) X(tcp_gaps) X(tcp_gap_bytes) X(tcp_resyncs) \
	X(tcp_rst) X(tcp_fin) \
	X(http_requests) X(http_responses) X(http_parse_errors) \
	X(http_line_too_long) X(http_header_too_long) X(http_hdrbuf_empty) \
	X(http_orphan_responses) X(http_pipelined) X(http_pending_overflow) \
	X(http_no_response) \
	X(events) X(event_pool_empty) X(event_ring_full)

enum dp_counter {
#define X(name) DP_C_##name,
	DP_COUNTERS(X)
#undef X
	DP_C_MAX
};

/* Where an rx lcore's cycles go (mw_stage.h; counted with -Dstage_cycles):
 * rx is the loop itself (bursts, mbufs, timers), flow the flow table and
 * TCP reassembly, http the parser and the call's fields, handoff the
 * events' rings. */
#define DP_STAGES(X) X(rx) X(decode) X(flow) X(http) X(prefilter) X(handoff)

enum dp_stage {
#define X(name) DP_STAGE_##name,
	DP_STAGES(X)
#undef X
	DP_STAGE_MAX
};
_Static_assert(DP_STAGE_MAX <= MW_STAGE_MAX, "more rx stages than struct mw_stages holds");

struct dp_stats {
	uint64_t c[DP_C_MAX];
	uint64_t drop[DP_DROP_MAX];
	uint64_t tsc_busy;		/* cycles spent on non-empty bursts */
	uint64_t bursts;
	struct mw_stages stages;
} __rte_cache_aligned;

extern const char *const dp_drop_names[DP_DROP_MAX];
extern const char *const dp_drop_text[DP_DROP_MAX];
extern const char *const dp_counter_names[DP_C_MAX];
extern const char *const dp_stage_names[DP_STAGE_MAX];

#define DP_COUNT(st, name) ((st)->c[DP_C_##name]++)
#define DP_ADD(st, name, n) ((st)->c[DP_C_##name] += (n))

#endif
