/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rx lcore's world: its context, flows, streams and HTTP parser state.
 *
 * Concurrency: everything reachable from a struct dp_lcore belongs to the one
 * rx lcore that owns it (flow table, flow objects, reassembly buffers, header
 * buffers, its rings' producer side). The main lcore reads only
 * dp_lcore.stats. The service map is read-only after start. Nothing here
 * allocates, locks or prints after dp_lcore_create(). A reload hands the
 * lcore new rules through pf->next; it takes them between bursts and then
 * reports a quiescent state to RCU, which tells the main lcore when the old
 * ones can be freed.
 */
#ifndef DP_H
#define DP_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_common.h>

#include "dp_stats.h"
#include "decode.h"
#include "mw_event.h"

struct rte_hash;
struct rte_mempool;
struct rte_ring;
struct rte_mbuf;
struct rte_ip_frag_tbl;
struct pf_ctx;
struct rte_rcu_qsbr;

#define DP_NIL UINT32_MAX
#define DP_BURST 32
#define DP_MAX_QUEUES 16
#define DP_MAX_INF 64
#define DP_MAX_PENDING 8	/* requests awaiting a response, per connection */
#define DP_OOO_DATA 2016	/* payload bytes per out-of-order node */

/* Limits and timeouts, from the config's flows and http sections. */
struct dp_limits {
	uint32_t flows;			/* flow entries per rx lcore */
	uint32_t timeout_syn_s;		/* handshake not completed */
	uint32_t timeout_est_s;		/* established, idle */
	uint32_t timeout_closed_s;	/* after FIN both ways or RST */
	uint32_t ooo_per_flow;		/* out-of-order segments per direction */
	uint32_t ooo_total;		/* out-of-order nodes per rx lcore */
	uint32_t max_line;		/* request/status line bytes */
	uint32_t max_header;		/* header section bytes */
	uint32_t header_buffers;	/* header sections in progress per rx lcore */
	uint32_t body_bytes;		/* request body prefix kept in the event */
	uint32_t response_timeout_s;	/* request without a response */
	uint32_t frag_entries;		/* datagrams being reassembled per rx lcore */
	uint32_t frag_timeout_ms;
	uint64_t actor_key[2];		/* key of the actor hash */
};

/* The config's service map, shared read-only by every rx lcore. */
struct dp_services {
	struct rte_hash *by_addr;	/* struct dp_service_key -> id */
	uint16_t n;
	char (*names)[32];
};

struct dp_service_key {
	uint8_t addr[16];
	uint16_t port;			/* 0: any port */
	uint16_t pad;
};

enum dp_tcp_state {
	DP_TCP_SYN,		/* SYN seen, no data yet */
	DP_TCP_EST,		/* data or handshake complete */
	DP_TCP_CLOSING,		/* FIN one way */
	DP_TCP_CLOSED,		/* FIN both ways or RST */
	DP_TCP_NSTATES
};

enum dp_http_state {
	DP_HTTP_START,		/* at a message boundary */
	DP_HTTP_HEADER,		/* collecting the header section */
	DP_HTTP_BODY,		/* Content-Length body */
	DP_HTTP_CHUNK_SIZE,
	DP_HTTP_CHUNK_DATA,
	DP_HTTP_CHUNK_CRLF,
	DP_HTTP_TRAILER,
	DP_HTTP_UNTIL_CLOSE,	/* response body ends with the connection */
	DP_HTTP_RESYNC,		/* lost: skip to the next message start */
};

enum dp_role { DP_ROLE_UNKNOWN, DP_ROLE_CLIENT, DP_ROLE_SERVER };

/* One direction of a TCP connection and its HTTP parser. */
struct dp_stream {
	uint32_t next_seq;		/* next in-order byte */
	uint32_t ooo;			/* first out-of-order node, by seq */
	uint32_t hdr;			/* header buffer in use, or DP_NIL */
	uint32_t msg_seq;		/* first byte of the current message */
	uint32_t msg_ack;		/* peer's ack when that message began */
	uint64_t remaining;		/* body or chunk bytes left */
	uint64_t msg_ns;		/* when the current message began */
	struct mw_event *cur;		/* the call this message belongs to */
	uint32_t fin_seq;
	uint32_t body_bytes;
	uint16_t hdr_len;		/* bytes in the header buffer */
	uint16_t line;			/* bytes scanned in the current line (chunk size line) */
	uint8_t ooo_count;
	uint8_t http;			/* enum dp_http_state */
	uint8_t role;			/* enum dp_role */
	uint8_t seq_known : 1, fin : 1, ended : 1;
	uint8_t crlf;			/* progress through a CRLF / CRLFCRLF */
};

struct dp_pending {
	struct mw_event *ev;
	uint32_t end_seq;		/* request stream position after it */
	uint32_t done;			/* request fully received */
};

struct dp_flow_key {
	uint8_t a[16], b[16];		/* lower endpoint first */
	uint16_t pa, pb;
	uint32_t vlans;			/* outer << 12 | inner */
	uint32_t vni;
	uint8_t ipv6;
	uint8_t pad[3];
};

struct dp_flow {
	struct dp_flow_key key;
	uint64_t last_tsc;
	uint64_t first_ns;
	uint32_t lru_prev, lru_next;
	uint8_t state;			/* enum dp_tcp_state */
	uint8_t lru;			/* which LRU list it is on */
	uint8_t client;			/* key side of the client: 0 a, 1 b, 2 unknown */
	uint8_t midstream : 1, marked : 1, resp_gap : 1, req_gap : 1, in_use : 1;
	uint8_t encap;
	uint8_t n_pending, pend_head;
	uint8_t pad;
	uint16_t erspan_session;
	uint16_t service[2];		/* service id of key side a and b */
	struct dp_stream dir[2];	/* index = key side that sends */
	struct dp_pending pending[DP_MAX_PENDING];
};

/* Flows waiting to expire, one list per timeout (see flow.c). */
enum dp_lru_list { DP_LRU_SYN, DP_LRU_EST, DP_LRU_PENDING, DP_LRU_CLOSED, DP_LRU_NLISTS };

struct dp_lru {
	uint32_t head, tail;	/* head: least recently used */
	uint64_t timeout_tsc;
};

struct dp_ooo {
	uint32_t seq, len, ack, next;
	uint8_t data[DP_OOO_DATA];
};

struct dp_hdrbuf {
	uint32_t next_free;
	uint8_t data[];
};

struct dp_queue {
	uint16_t port, queue;
	uint32_t ts_mult;		/* PMD rx timestamp to ns; 0: use the TSC */
	uint64_t tsc_per_pkt;		/* pacing (replay_pps); 0: none */
	uint64_t next_tsc;
};

/*
 * What a bearer JWT said (call.c), kept per rx lcore: a client sends the
 * same token on every call for minutes, and decoding it (base64, JSON, the
 * subject's hashes) was a tenth of the rx lcore's time. Direct-mapped by
 * the token's CRC; a hit only on the very same bytes. The tokens stay in
 * the lcore's memory like the packets that carried them, never in a log.
 */
#define DP_JWT_MEMO_SLOTS 4096
#define DP_JWT_MEMO_TOKEN 1024
struct dp_jwt_memo {
	uint64_t exp;
	uint64_t actor;			/* keyed hash of (iss, sub) */
	uint64_t self[3];		/* the subject's hashes that names_self compares */
	uint32_t iss, lifetime_s;
	uint8_t alg, n_self;
	uint8_t privileged : 1, has_exp : 1, has_sub : 1;
	/* which token: jwt_parse clears everything before tok */
	uint32_t crc;
	uint16_t len;			/* of the token; 0: empty */
	char tok[DP_JWT_MEMO_TOKEN];
};

struct dp_lcore {
	/* set before launch, read-only after */
	unsigned int lcore_id;
	uint16_t index;			/* rx lcore index */
	uint16_t n_queues;
	struct dp_queue queues[DP_MAX_QUEUES];
	uint16_t n_inf;
	struct rte_ring *to_inf[DP_MAX_INF];	/* SP/SC, one per inference lcore */
	struct rte_mempool *event_pool;
	const struct dp_services *services;
	struct pf_ctx *pf;		/* NULL: no pre-filter */
	struct dp_limits lim;
	uint64_t tsc_hz;
	uint64_t ts_dynflag;		/* mbuf rx timestamp, 0: not provided */
	int ts_offset;
	uint32_t ts_mult;		/* of the queue being polled */
	uint64_t base_ns, base_tsc;	/* wall clock at base_tsc */

	/* flows */
	struct rte_hash *flow_hash;
	struct dp_flow *flows;
	struct dp_lru lru[DP_LRU_NLISTS];
	uint32_t n_flows;

	/* reassembly */
	struct dp_ooo *ooo;
	uint32_t ooo_free, ooo_used;
	uint8_t *hdrbufs;
	uint32_t hdr_free;
	uint32_t hdr_stride;
	struct rte_ip_frag_tbl *frag_tbl;
	void *frag_dr;			/* struct rte_ip_frag_death_row */

	/* per burst */
	uint64_t now_tsc;
	uint64_t pkt_ns;		/* timestamp of the packet being handled */
	struct dp_pkt pkt;
	uint8_t *scratch;		/* 64 KiB: reassembled datagrams */
	struct dp_jwt_memo *jwt;	/* DP_JWT_MEMO_SLOTS */

	/* events waiting for their ring, per inference lcore */
	struct mw_event *out[DP_MAX_INF][DP_BURST];
	uint16_t n_out[DP_MAX_INF];

	struct dp_stats stats;
	struct rte_rcu_qsbr *qsbr;	/* NULL: its rules are never swapped */
	unsigned int qsbr_id;
	volatile int tid;		/* its thread, for the kernel's scheduler stats */
	volatile bool stop;		/* set by the main lcore */
	volatile bool done;		/* set by this lcore when it has flushed */
	bool draining;			/* shutdown: wait for ring space */
	bool backpressure;		/* lcores.backpressure: always wait */
} __rte_cache_aligned;

/* rx.c: lcore lifecycle (control path) and the rx loop (hot path). */
struct dp_lcore *dp_lcore_create(unsigned int lcore_id, uint16_t index,
		const struct dp_limits *lim, int socket);
void dp_lcore_free(struct dp_lcore *lc);
int dp_rx_main(void *arg);
void dp_handle_frame(struct dp_lcore *lc, struct rte_mbuf *m);
void dp_handle_packet(struct dp_lcore *lc, const uint8_t *frame, uint32_t len);
void dp_flush_all(struct dp_lcore *lc);
void dp_flush_events(struct dp_lcore *lc);

/* flow.c */
struct dp_flow *dp_flow_lookup(struct dp_lcore *lc, const struct dp_pkt *pkt, int *side);
void dp_flow_touch(struct dp_lcore *lc, struct dp_flow *f);
void dp_flow_close(struct dp_lcore *lc, struct dp_flow *f);
void dp_flow_age(struct dp_lcore *lc, uint32_t budget);
uint16_t dp_service_lookup(const struct dp_services *s, const uint8_t *addr, uint16_t port);

/* tcp.c */
void dp_tcp_segment(struct dp_lcore *lc, struct dp_flow *f, int side,
		const struct dp_pkt *pkt, const uint8_t *payload);
void dp_tcp_release(struct dp_lcore *lc, struct dp_flow *f);

/* http.c */
void dp_http_data(struct dp_lcore *lc, struct dp_flow *f, int side,
		const uint8_t *data, uint32_t len, uint32_t seq, uint32_t ack);
void dp_http_gap(struct dp_lcore *lc, struct dp_flow *f, int side, uint32_t bytes);
void dp_http_end(struct dp_lcore *lc, struct dp_flow *f, int side);
void dp_http_release(struct dp_lcore *lc, struct dp_flow *f);

/* call.c: a parsed request head into an event; response and emission. */
struct dp_head;
struct mw_event *dp_call_begin(struct dp_lcore *lc, struct dp_flow *f, int side,
		const struct dp_head *h);
void dp_call_emit(struct dp_lcore *lc, struct dp_flow *f, struct mw_event *ev);
void dp_call_request_done(struct dp_lcore *lc, struct mw_event *ev);
void dp_call_response(struct dp_lcore *lc, struct mw_event *ev, const struct dp_head *h);
int dp_event_put_field(struct mw_event *ev, enum mw_field fld, const char *s, uint32_t len);
int dp_event_append_field(struct mw_event *ev, enum mw_field fld, const char *s, uint32_t len);

/* TCP sequence order, modulo 2^32. */
static inline int
dp_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline int
dp_seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline uint64_t
dp_tsc_to_ns(const struct dp_lcore *lc, uint64_t tsc)
{
	return lc->base_ns + (uint64_t)((double)(tsc - lc->base_tsc) * 1e9 / (double)lc->tsc_hz);
}

#endif
