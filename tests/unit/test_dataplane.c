/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the rx path: decode, flows, TCP reassembly, HTTP, call
 * extraction, event log redaction. Crafted packets go through the same
 * functions the rx lcore calls; assertions are on what comes out (events,
 * counters, drop reasons).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_tcp.h>

#include <rte_hash_crc.h>

#include "dp.h"
#include "http.h"
#include "output.h"
#include "check.h"
#include "dp_text.h"


static struct rte_mempool *pool;
static struct rte_ring *ring;

static struct dp_lcore *
new_lcore(uint32_t flows)
{
	static int n;
	struct dp_limits lim = {
		.flows = flows, .timeout_syn_s = 10, .timeout_est_s = 300, .timeout_closed_s = 5,
		.ooo_per_flow = 8, .ooo_total = 256, .max_line = 1024, .max_header = 2048,
		.header_buffers = 64, .body_bytes = 256, .response_timeout_s = 30,
		.frag_entries = 64, .frag_timeout_ms = 1000, .actor_key = { 1, 2 },
	};
	struct dp_lcore *lc = dp_lcore_create(0, (uint16_t)n++, &lim, 0);

	if (lc == NULL) {
		fprintf(stderr, "cannot create an rx lcore context\n");
		exit(2);
	}
	lc->event_pool = pool;
	lc->n_inf = 1;
	lc->to_inf[0] = ring;
	lc->pkt_ns = 1793610000ull * 1000000000ull;
	return lc;
}

/* Finishes the lcore and returns its events (caller frees with put_events). */
static unsigned int
take_events(struct dp_lcore *lc, struct mw_event **ev, unsigned int max, int flush_flows)
{
	if (flush_flows)
		dp_flush_all(lc);
	dp_flush_events(lc);
	return rte_ring_dequeue_burst(ring, (void **)ev, max, NULL);
}

static void
put_events(struct mw_event **ev, unsigned int n)
{
	rte_mempool_put_bulk(pool, (void **)ev, n);
}

static const char *
field(const struct mw_event *ev, enum mw_field f)
{
	static char buf[4][2048];
	static int k;
	uint16_t n;
	const char *s = mw_event_field(ev, f, &n);
	char *b = buf[k++ % 4];

	memcpy(b, s, n);
	b[n] = '\0';
	return b;
}

/* ---- packet builder ---- */

struct tcpspec {
	uint32_t src, dst;		/* IPv4, host order */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const void *data;
	uint32_t len;
};

static uint32_t
build(uint8_t *b, const struct tcpspec *t)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)b;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

	memset(b, 0, sizeof(*eh) + sizeof(*ip) + sizeof(*th));
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*th) + t->len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(t->src);
	ip->dst_addr = rte_cpu_to_be_32(t->dst);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->src_port = rte_cpu_to_be_16(t->sport);
	th->dst_port = rte_cpu_to_be_16(t->dport);
	th->sent_seq = rte_cpu_to_be_32(t->seq);
	th->recv_ack = rte_cpu_to_be_32(t->ack);
	th->data_off = 5 << 4;
	th->tcp_flags = t->flags;
	if (t->len)
		memcpy(th + 1, t->data, t->len);
	return (uint32_t)(sizeof(*eh) + sizeof(*ip) + sizeof(*th) + t->len);
}

/* A connection: client 10.0.0.1:40000 -> server 10.0.0.2:8080. */
struct conn {
	struct dp_lcore *lc;
	uint32_t cseq, sseq;
	uint16_t cport;
};

static void
send_seg(struct conn *c, int from_server, const void *d, uint32_t n, uint8_t flags, uint32_t seq)
{
	uint8_t frame[9000];
	struct tcpspec t = {
		.src = from_server ? 0x0a000002 : 0x0a000001,
		.dst = from_server ? 0x0a000001 : 0x0a000002,
		.sport = from_server ? 8080 : c->cport, .dport = from_server ? c->cport : 8080,
		.seq = seq, .ack = from_server ? c->cseq : c->sseq,
		.flags = flags, .data = d, .len = n,
	};
	dp_handle_packet(c->lc, frame, build(frame, &t));
}

static void
open_conn(struct conn *c, struct dp_lcore *lc, uint16_t cport)
{
	c->lc = lc;
	c->cport = cport;
	c->cseq = 1000;
	c->sseq = 50000;
	send_seg(c, 0, NULL, 0, RTE_TCP_SYN_FLAG, c->cseq - 1);
	send_seg(c, 1, NULL, 0, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, c->sseq - 1);
	send_seg(c, 0, NULL, 0, RTE_TCP_ACK_FLAG, c->cseq);
}

/* Sends s from one side in segments of seg bytes. */
static void
send_str(struct conn *c, int from_server, const char *s, uint32_t seg)
{
	uint32_t n = (uint32_t)strlen(s);
	uint32_t *seq = from_server ? &c->sseq : &c->cseq;

	for (uint32_t i = 0; i < n; i += seg) {
		uint32_t k = n - i < seg ? n - i : seg;
		send_seg(c, from_server, s + i, k, RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG, *seq);
		*seq += k;
	}
}

static void
close_conn(struct conn *c)
{
	send_seg(c, 0, NULL, 0, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, c->cseq++);
	send_seg(c, 1, NULL, 0, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, c->sseq++);
}

static const char REQ[] =
	"GET /users/123/orders/5f2a9c0e1b?limit=10&token=s3cret HTTP/1.1\r\n"
	"Host: orders.shop.svc:8080\r\n"
	"User-Agent: test/1.0\r\n"
	"traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n"
	"X-Forwarded-For: 198.51.100.7, 10.0.0.9\r\n"
	"\r\n";
static const char RESP[] =
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n"
	"{\"ok\":true}";

/* ---- tests ---- */

static void
test_one_call_any_segmentation(void)
{
	for (uint32_t seg = 1; seg <= 64; seg = seg < 8 ? seg + 1 : seg * 2) {
		struct dp_lcore *lc = new_lcore(1024);
		struct conn c;
		struct mw_event *ev[8];

		open_conn(&c, lc, 40000);
		send_str(&c, 0, REQ, seg);
		send_str(&c, 1, RESP, seg);
		unsigned int n = take_events(lc, ev, 8, 0);
		CHECK(n == 1, "segments of %u: %u events", seg, n);
		if (n == 1) {
			CHECK(ev[0]->method == MW_METHOD_GET, "method %u", ev[0]->method);
			CHECK(strcmp(field(ev[0], MW_FIELD_path), "/users/123/orders/5f2a9c0e1b") == 0,
					"path %s", field(ev[0], MW_FIELD_path));
			CHECK(strcmp(field(ev[0], MW_FIELD_template), "/users/{id}/orders/{id}") == 0,
					"template %s", field(ev[0], MW_FIELD_template));
			CHECK(ev[0]->n_ids == 2, "ids %u", ev[0]->n_ids);
			CHECK(ev[0]->status == 200 && ev[0]->resp_body_bytes == 11,
					"status %u resp %u", ev[0]->status, ev[0]->resp_body_bytes);
			CHECK(ev[0]->trace_kind == MW_TRACE_w3c && ev[0]->trace_id[0] == 0x0a &&
					ev[0]->span_id[7] == 0x31, "trace");
			CHECK(ev[0]->actor_kind == MW_ACTOR_addr, "actor kind %u", ev[0]->actor_kind);
			CHECK(strcmp(field(ev[0], MW_FIELD_host), "orders.shop.svc:8080") == 0, "host");
			CHECK(ev[0]->client_port == 40000 && ev[0]->server_port == 8080, "ports");
		}
		put_events(ev, n);
		dp_flush_all(lc);
		dp_lcore_free(lc);
	}
}

static void
test_pipelining_and_chunked(void)
{
	struct dp_lcore *lc = new_lcore(1024);
	struct conn c;
	struct mw_event *ev[8];

	open_conn(&c, lc, 40001);
	send_str(&c, 0, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
			"POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
			"GET /c HTTP/1.1\r\nHost: x\r\n\r\n", 1460);
	send_str(&c, 1, "HTTP/1.1 100 Continue\r\n\r\n"
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			"4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n"
			"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"
			"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnope", 7);
	unsigned int n = take_events(lc, ev, 8, 0);
	CHECK(n == 3, "%u events", n);
	if (n == 3) {
		CHECK(strcmp(field(ev[0], MW_FIELD_path), "/a") == 0 && ev[0]->status == 200 &&
				ev[0]->resp_body_bytes == 9 && (ev[0]->flags & MW_EV_RESP_CHUNKED),
				"a: %u %u", ev[0]->status, ev[0]->resp_body_bytes);
		CHECK(strcmp(field(ev[1], MW_FIELD_path), "/b") == 0 && ev[1]->status == 201 &&
				ev[1]->req_body_bytes == 5 && (ev[1]->flags & MW_EV_PIPELINED) &&
				strcmp(field(ev[1], MW_FIELD_req_body), "hello") == 0, "b");
		CHECK(strcmp(field(ev[2], MW_FIELD_path), "/c") == 0 && ev[2]->status == 404 &&
				ev[2]->resp_body_bytes == 3, "c");
	}
	put_events(ev, n);
	dp_lcore_free(lc);
}

static void
test_reorder_overlap_retransmit(void)
{
	struct dp_lcore *lc = new_lcore(1024);
	struct conn c;
	struct mw_event *ev[4];
	const char *r = "GET /first-copy HTTP/1.1\r\nHost: x\r\n\r\n";
	uint32_t n = (uint32_t)strlen(r), s0 = 1000;

	open_conn(&c, lc, 40002);
	/* second half first, then a conflicting copy of the second half, then the first half */
	send_seg(&c, 0, r + 10, n - 10, RTE_TCP_ACK_FLAG, s0 + 10);
	char evil[64];
	memcpy(evil, r + 10, n - 10);
	memcpy(evil, "xxxxx", 5);
	send_seg(&c, 0, evil, n - 10, RTE_TCP_ACK_FLAG, s0 + 10);
	send_seg(&c, 0, r, 10, RTE_TCP_ACK_FLAG, s0);
	send_seg(&c, 0, r, 10, RTE_TCP_ACK_FLAG, s0);	/* retransmission */
	c.cseq = s0 + n;
	send_str(&c, 1, "HTTP/1.1 204 No Content\r\n\r\n", 100);
	unsigned int k = take_events(lc, ev, 4, 0);
	CHECK(k == 1 && strcmp(field(ev[0], MW_FIELD_path), "/first-copy") == 0,
			"%u events, path %s", k, k ? field(ev[0], MW_FIELD_path) : "");
	CHECK(lc->stats.c[DP_C_tcp_overlap_conflicts] == 1, "conflicts %lu",
			(unsigned long)lc->stats.c[DP_C_tcp_overlap_conflicts]);
	CHECK(lc->stats.c[DP_C_tcp_retransmitted] == 1, "retransmitted %lu",
			(unsigned long)lc->stats.c[DP_C_tcp_retransmitted]);
	put_events(ev, k);
	dp_lcore_free(lc);
}

static void
test_gap_and_midstream(void)
{
	struct dp_lcore *lc = new_lcore(1024);
	struct conn c = { .lc = lc, .cport = 40003, .cseq = 7000, .sseq = 9000 };
	struct mw_event *ev[4];

	/* no handshake: we joined mid-stream, inside a response body */
	send_str(&c, 1, "tail of an old body\r\n", 100);
	send_str(&c, 0, "GET /one HTTP/1.1\r\nHost: x\r\n\r\n", 100);
	send_str(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 100);
	/* a request lost in the capture, then its response, then a good pair */
	c.cseq += 40;		/* the hole */
	send_str(&c, 1, "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", 100);
	send_str(&c, 0, "GET /two HTTP/1.1\r\nHost: x\r\n\r\n", 100);
	send_str(&c, 1, "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n", 100);
	unsigned int n = take_events(lc, ev, 4, 1);
	CHECK(n == 2, "%u events", n);
	if (n == 2) {
		CHECK(strcmp(field(ev[0], MW_FIELD_path), "/one") == 0 && ev[0]->status == 200 &&
				(ev[0]->flags & MW_EV_MIDSTREAM), "one: %u", ev[0]->status);
		CHECK(strcmp(field(ev[1], MW_FIELD_path), "/two") == 0 && ev[1]->status == 202,
				"two: status %u (the 500 answered the lost request)", ev[1]->status);
	}
	CHECK(lc->stats.c[DP_C_tcp_gaps] == 1, "gaps %lu", (unsigned long)lc->stats.c[DP_C_tcp_gaps]);
	put_events(ev, n);
	dp_lcore_free(lc);
}

static void
test_header_limits_and_garbage(void)
{
	struct dp_lcore *lc = new_lcore(1024);
	struct conn c;
	struct mw_event *ev[4];
	char big[4096];

	open_conn(&c, lc, 40004);
	snprintf(big, sizeof(big), "GET /x HTTP/1.1\r\nX-Long: %03000d\r\n\r\n", 0);
	send_str(&c, 0, big, 512);
	char line[1500];
	snprintf(line, sizeof(line), "GET /%01100d HTTP/1.1\r\n\r\n", 0);
	send_str(&c, 0, line, 1460);
	send_str(&c, 0, "\x16\x03\x01 not http at all\r\n\r\n", 100);
	send_str(&c, 0, "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n", 100);
	send_str(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 100);
	unsigned int n = take_events(lc, ev, 4, 1);
	CHECK(lc->stats.c[DP_C_http_header_too_long] == 1, "too long %lu",
			(unsigned long)lc->stats.c[DP_C_http_header_too_long]);
	CHECK(lc->stats.c[DP_C_http_line_too_long] == 1, "line too long %lu",
			(unsigned long)lc->stats.c[DP_C_http_line_too_long]);
	CHECK(n == 1 && strcmp(field(ev[0], MW_FIELD_path), "/ok") == 0 &&
			(ev[0]->flags & MW_EV_HDR_LIMIT), "%u events", n);
	put_events(ev, n);

	/* a response nobody asked for */
	open_conn(&c, lc, 40005);
	send_str(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 100);
	n = take_events(lc, ev, 4, 1);
	CHECK(n == 0 && lc->stats.c[DP_C_http_orphan_responses] == 1, "orphan: %u events", n);
	dp_lcore_free(lc);
}

static void
test_flows(void)
{
	struct dp_lcore *lc = new_lcore(64);
	struct conn c;
	struct mw_event *ev[8];

	open_conn(&c, lc, 41000);
	CHECK(lc->stats.c[DP_C_flows_created] == 1 && lc->n_flows == 1,
			"both directions, one flow: created %lu", (unsigned long)lc->stats.c[DP_C_flows_created]);
	send_str(&c, 0, "GET /a HTTP/1.1\r\n\r\n", 100);
	close_conn(&c);
	open_conn(&c, lc, 41000);	/* same ports again: a new connection */
	CHECK(lc->stats.c[DP_C_flows_reused] == 1, "reused %lu",
			(unsigned long)lc->stats.c[DP_C_flows_reused]);
	unsigned int n = take_events(lc, ev, 8, 0);
	CHECK(n == 1 && (ev[0]->flags & MW_EV_NO_RESPONSE), "request without response: %u", n);
	put_events(ev, n);
	for (uint16_t p = 0; p < 200; p++) {
		struct conn d;
		open_conn(&d, lc, (uint16_t)(42000 + p));
	}
	CHECK(lc->n_flows <= 64 && lc->stats.c[DP_C_flows_evicted] > 0, "flows %u evicted %lu",
			lc->n_flows, (unsigned long)lc->stats.c[DP_C_flows_evicted]);
	CHECK(lc->stats.drop[DP_DROP_flow_table_full] == 0, "no drop while something can go");
	dp_flush_all(lc);
	CHECK(lc->n_flows == 0, "flush empties the table: %u", lc->n_flows);
	dp_lcore_free(lc);
}

static char *
b64url(const char *s, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t n = strlen(s), o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = t[v >> 6 & 63];
		if (i + 2 < n)
			out[o++] = t[v & 63];
	}
	out[o] = '\0';
	return out;
}

static void
test_identity_and_trace_formats(void)
{
	struct dp_lcore *lc = new_lcore(1024);
	struct conn c;
	struct mw_event *ev[8];
	char h[256], p1[256], p2[256], req[2048];

	open_conn(&c, lc, 43000);
	b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}", h);
	b64url("{\"sub\":\"u42\",\"iss\":\"idp\",\"exp\":1700000000}", p1);
	b64url("{\"iss\":\"idp\",\"sub\":\"u42\",\"exp\":1900000000,\"role\":\"admin\"}", p2);
	snprintf(req, sizeof(req), "GET /me HTTP/1.1\r\nAuthorization: Bearer %s.%s.\r\n"
			"b3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90\r\n\r\n"
			"GET /me HTTP/1.1\r\nAuthorization: Bearer %s.%s.sig\r\n"
			"uber-trace-id: 5d6b1a5e2c3f4d11:6e7f8a9b0c1d2e3f:0:1\r\n\r\n"
			"GET /k HTTP/1.1\r\nX-API-Key: k-123\r\n"
			"x-request-id: 3001080b-5d48-6036-ff83-70f14bd23274\r\n\r\n"
			"GET /s HTTP/1.1\r\nCookie: lang=en; JSESSIONID=abc123\r\n\r\n",
			h, p1, h, p2);
	send_str(&c, 0, req, 1460);
	for (int i = 0; i < 4; i++)
		send_str(&c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 100);
	unsigned int n = take_events(lc, ev, 8, 0);
	CHECK(n == 4, "%u events", n);
	if (n == 4) {
		CHECK(ev[0]->actor_kind == MW_ACTOR_jwt && ev[1]->actor_kind == MW_ACTOR_jwt &&
				ev[0]->actor == ev[1]->actor, "one sub, one actor");
		CHECK(ev[0]->jwt_alg == MW_JWT_ALG_alg_none && ev[0]->jwt_state == MW_JWT_expired,
				"alg %u state %u", ev[0]->jwt_alg, ev[0]->jwt_state);
		CHECK(ev[1]->jwt_state == MW_JWT_valid, "state %u", ev[1]->jwt_state);
		CHECK(!(ev[0]->flags & MW_EV_JWT_PRIVILEGED) && (ev[1]->flags & MW_EV_JWT_PRIVILEGED),
				"role admin is privileged, no role is not");
		CHECK(ev[0]->trace_kind == MW_TRACE_b3 && ev[0]->has_parent &&
				ev[0]->parent_span_id[0] == 0x05, "b3");
		CHECK(ev[1]->trace_kind == MW_TRACE_uber && ev[1]->trace_id[15] == 0x11 &&
				ev[1]->trace_id[0] == 0, "uber-trace-id, 64-bit id right-aligned");
		CHECK(ev[2]->actor_kind == MW_ACTOR_apikey && ev[2]->trace_kind == MW_TRACE_xrid &&
				ev[2]->trace_id[0] == 0x30, "api key, x-request-id");
		CHECK(ev[3]->actor_kind == MW_ACTOR_session, "session cookie");
	}
	put_events(ev, n);
	dp_lcore_free(lc);
}

/* GET path with an RS256 bearer JWT of claims (unsigned: the appliance
 * reads claims, it does not verify), answered 200. */
static void
send_jwt_get(struct conn *c, const char *path, const char *claims)
{
	char h[64], p[256], req[1024];

	b64url("{\"alg\":\"RS256\"}", h);
	b64url(claims, p);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nAuthorization: Bearer %s.%s.sig\r\n\r\n",
			path, h, p);
	send_str(c, 0, req, 1460);
	send_str(c, 1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 100);
}

/* Which JWT claims give an administrative role: the common issuers' shapes,
 * and look-alikes that do not. */
static void
test_jwt_privilege(void)
{
	static const struct {
		const char *claims;
		int privileged;
	} cases[] = {
		{ "{\"sub\":\"a\",\"roles\":[\"user\",\"ROLE_ADMIN\"]}", 1 },
		{ "{\"sub\":\"a\",\"scope\":\"openid films:read admin\"}", 1 },
		{ "{\"sub\":\"a\",\"realm_access\":{\"roles\":[\"staff\"]}}", 1 },
		{ "{\"sub\":\"a\",\"cognito:groups\":[\"Administrators\"]}", 1 },
		{ "{\"sub\":\"a\",\"is_admin\":true}", 1 },
		{ "{\"sub\":\"a\",\"is_admin\":false,\"role\":\"user\"}", 0 },
		{ "{\"sub\":\"admin\",\"scope\":\"badminton:read\"}", 0 },
		{ "{\"sub\":\"a\",\"nickname\":\"admin\",\"groups\":[]}", 0 },
	};
	const unsigned int N = RTE_DIM(cases);
	struct dp_lcore *lc = new_lcore(1024);
	struct conn c;
	struct mw_event *ev[16];

	open_conn(&c, lc, 43100);
	for (unsigned int i = 0; i < N; i++)
		send_jwt_get(&c, "/me", cases[i].claims);
	unsigned int n = take_events(lc, ev, 16, 0);
	CHECK(n == N, "%u events", n);
	for (unsigned int i = 0; i < n && i < N; i++)
		CHECK(!!(ev[i]->flags & MW_EV_JWT_PRIVILEGED) == cases[i].privileged,
				"%s: privileged %d", cases[i].claims, cases[i].privileged);
	put_events(ev, n);
	dp_lcore_free(lc);
}

/* Whether a path names the token's own subject, and which of its ids:
 * plain, prefixed and wrapped subjects, and ids that only look alike. */
static void
test_self_object(void)
{
	static const struct {
		const char *sub, *path;
		int self;		/* ev->self_ids */
	} cases[] = {
		{ "2439", "/users/2439/contracts", 1 },
		{ "u2439", "/users/2439/payment-methods", 1 },
		{ "auth|70012", "/v1/riders/70012/trips", 1 },
		{ "tenant:9:user:77", "/orgs/9/members/77", 2 },
		{ "5f2a9c0e-1b2c-4d5e-8f90-123456789abc",
			"/accounts/5f2a9c0e-1b2c-4d5e-8f90-123456789abc", 1 },
		{ "u2439", "/users/1334/payment-methods", 0 },
		{ "u2439", "/users/24390", 0 },
		{ "u2439", "/films/14", 0 },
		{ "u2439", "/users/me", 0 },
	};
	const unsigned int N = RTE_DIM(cases);
	struct dp_lcore *lc = new_lcore(1024);
	struct conn c;
	struct mw_event *ev[16];
	char claims[128];

	open_conn(&c, lc, 43200);
	for (unsigned int i = 0; i < N; i++) {
		snprintf(claims, sizeof(claims), "{\"sub\":\"%s\"}", cases[i].sub);
		send_jwt_get(&c, cases[i].path, claims);
	}
	unsigned int n = take_events(lc, ev, 16, 0);
	CHECK(n == N, "%u events", n);
	for (unsigned int i = 0; i < n && i < N; i++)
		CHECK(!!(ev[i]->flags & MW_EV_SELF_OBJECT) == !!cases[i].self &&
				ev[i]->self_ids == cases[i].self, "sub %s, %s: self ids %d (%d)",
				cases[i].sub, cases[i].path, cases[i].self, ev[i]->self_ids);
	put_events(ev, n);
	dp_lcore_free(lc);
}

/* A 2xx answer's Location names the object the call created, with the
 * key the same object has when a later path names it. */
static void
test_created_object(void)
{
	static const struct {
		const char *req, *resp;
		int created;
	} cases[] = {
		{ "POST /contracts HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
			"HTTP/1.1 201 Created\r\nLocation: /contracts/1500042\r\nContent-Length: 0\r\n\r\n", 1 },
		{ "POST /contracts HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
			"HTTP/1.1 201 Created\r\nLocation: https://api.example.com/contracts/1500042?x=1\r\n"
			"Content-Length: 0\r\n\r\n", 1 },
		{ "POST /login HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
			"HTTP/1.1 302 Found\r\nLocation: /contracts/1500042\r\nContent-Length: 0\r\n\r\n", 0 },
		{ "POST /contracts HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
			"HTTP/1.1 201 Created\r\nLocation: /contracts/latest\r\nContent-Length: 0\r\n\r\n", 0 },
		{ "GET /contracts/1500042 HTTP/1.1\r\n\r\n",
			"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0 },
	};
	const unsigned int N = RTE_DIM(cases);
	struct dp_lcore *lc = new_lcore(1024);
	struct conn c;
	struct mw_event *ev[16];

	open_conn(&c, lc, 43300);
	for (unsigned int i = 0; i < N; i++) {
		send_str(&c, 0, cases[i].req, 1460);
		send_str(&c, 1, cases[i].resp, 1460);
	}
	unsigned int n = take_events(lc, ev, 16, 0);
	CHECK(n == N, "%u events", n);
	if (n == N) {
		const struct mw_event *get = ev[N - 1];
		CHECK(get->n_ids == 1, "the GET names one id");
		uint64_t key = mw_object_key(get->object_ids[0],
				rte_hash_crc("contracts", 9, MW_OBJECT_RES_SEED));
		for (unsigned int i = 0; i < N; i++)
			CHECK(cases[i].created ? ev[i]->created == key : ev[i]->created == 0,
					"case %u: created %016llx, want %s", i,
					(unsigned long long)ev[i]->created, cases[i].created ? "the GET's" : "0");
	}
	put_events(ev, n);
	dp_lcore_free(lc);
}

/* HTTP Basic credentials are a log-in: the same account whatever the user
 * name's case, the same password tag for the same password, none without
 * a user name. */
static void
test_basic_login(void)
{
	static const char *const creds[] = {
		"alice:Winter2026!", "ALICE:Winter2026!", "bob:Winter2026!", "alice:other", ":nouser",
	};
	const unsigned int N = RTE_DIM(creds);
	struct dp_lcore *lc = new_lcore(1024);
	struct conn c;
	struct mw_event *ev[16];
	char b[128], req[512];

	open_conn(&c, lc, 43400);
	for (unsigned int i = 0; i < N; i++) {
		b64url(creds[i], b);
		snprintf(req, sizeof(req), "GET /reports HTTP/1.1\r\nAuthorization: Basic %s\r\n\r\n", b);
		send_str(&c, 0, req, 1460);
		send_str(&c, 1, "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", 100);
	}
	unsigned int n = take_events(lc, ev, 16, 0);
	CHECK(n == N, "%u events", n);
	if (n == N) {
		CHECK(ev[0]->account != 0 && ev[0]->password_tag != 0, "a log-in");
		CHECK(ev[0]->account == ev[1]->account && ev[0]->password_tag == ev[1]->password_tag,
				"user names fold case");
		CHECK(ev[2]->account != ev[0]->account && ev[2]->password_tag == ev[0]->password_tag,
				"one password on two accounts");
		CHECK(ev[3]->account == ev[0]->account && ev[3]->password_tag != ev[0]->password_tag,
				"two passwords on one account");
		CHECK(ev[4]->account == 0 && ev[4]->password_tag == 0, "no user name: no log-in");
		CHECK(ev[0]->actor_kind == MW_ACTOR_addr, "credentials are no proven principal");
	}
	put_events(ev, n);
	dp_lcore_free(lc);
}

static void
test_http_head_parser(void)
{
	static const struct {
		const char *text;
		enum dp_head_error want;
		int smuggling;
	} cases[] = {
		{ "GET / HTTP/1.1\r\n\r\n", DP_HEAD_OK, 0 },
		{ "GET / HTTP/1.0\n\n", DP_HEAD_OK, 0 },
		{ "G(T / HTTP/1.1\r\n\r\n", DP_HEAD_BAD_START_LINE, 0 },
		{ "GET / HTTP/2.0\r\n\r\n", DP_HEAD_BAD_VERSION, 0 },
		{ "GET /\x01 HTTP/1.1\r\n\r\n", DP_HEAD_BAD_START_LINE, 0 },
		{ "GET / HTTP/1.1\r\nNoColon\r\n\r\n", DP_HEAD_BAD_HEADER, 0 },
		{ "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", DP_HEAD_BAD_HEADER, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", DP_HEAD_BAD_LENGTH, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", DP_HEAD_BAD_LENGTH, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", DP_HEAD_BAD_LENGTH, 0 },
		{ "POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", DP_HEAD_OK, 1 },
		{ "GET / HTTP/1.1\r\nX: a\r\n  folded\r\n\r\n", DP_HEAD_OK, 0 },
		{ "HTTP/1.1 200\r\n\r\n", DP_HEAD_OK, 0 },
		{ "HTTP/1.1 2x0 OK\r\n\r\n", DP_HEAD_BAD_START_LINE, 0 },
	};
	struct dp_head h;

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum dp_head_error e = dp_http_parse_head(cases[i].text,
				(uint32_t)strlen(cases[i].text), &h);
		CHECK(e == cases[i].want, "case %u: got %d want %d", i, e, cases[i].want);
		if (e == DP_HEAD_OK)
			CHECK(h.smuggling == cases[i].smuggling, "case %u: smuggling %u", i, h.smuggling);
	}
	char many[8192];
	int k = snprintf(many, sizeof(many), "GET / HTTP/1.1\r\n");
	for (int i = 0; i < DP_HTTP_MAX_HEADERS + 1; i++)
		k += snprintf(many + k, sizeof(many) - (size_t)k, "H%d: v\r\n", i);
	k += snprintf(many + k, sizeof(many) - (size_t)k, "\r\n");
	CHECK(dp_http_parse_head(many, (uint32_t)k, &h) == DP_HEAD_TOO_MANY_HEADERS, "too many");

	/* Every known header name, in any case, is itself; near misses are not. */
	static const char *const known[] = {
		"",
#define X(id, lit) lit,
		DP_KNOWN_HEADERS(X)
#undef X
	};
	for (unsigned int id = 1; id < DP_HDR_MAX; id++) {
		char up[32];
		uint32_t n = (uint32_t)strlen(known[id]);
		for (uint32_t i = 0; i <= n; i++)
			up[i] = (char)toupper((unsigned char)known[id][i]);
		CHECK(dp_header_id(known[id], n) == id, "%s: %d", known[id],
				dp_header_id(known[id], n));
		CHECK(dp_header_id(up, n) == id, "%s", up);
		up[n - 1] = up[n - 1] == 'X' ? 'Y' : 'X';
		CHECK(dp_header_id(up, n) == DP_HDR_other, "near miss %s", up);
	}
	CHECK(dp_header_id("x-request-id2", 13) == DP_HDR_other, "longer name");
	CHECK(dp_header_id("cookies", 7) == DP_HDR_other, "cookies");
	static const char two[] = "GET / HTTP/1.1\r\nX-Forwarded-For: 1.2.3.4\r\n"
		"x-forwarded-for: 5.6.7.8\r\nCOOKIE: a=b\r\n\r\n";
	uint32_t vl = 0;
	CHECK(dp_http_parse_head(two, sizeof(two) - 1, &h) == DP_HEAD_OK, "two");
	const char *v = DP_HEAD_GET(&h, x_forwarded_for, &vl);
	CHECK(v != NULL && vl == 7 && memcmp(v, "1.2.3.4", 7) == 0, "first of two wins");
	CHECK(DP_HEAD_GET(&h, cookie, &vl) != NULL && vl == 3, "cookie");
	CHECK(DP_HEAD_GET(&h, host, &vl) == NULL, "no host");
}

/* dp_parse_hex (16 digits at a time where the CPU allows) reads exactly
 * what one digit at a time reads, on ids, on near-hex bytes and on junk. */
static int
ref_parse_hex(const char *s, uint32_t n, uint8_t *out, uint32_t size)
{
	uint8_t tmp[16] = { 0 };
	int nonzero = 0;

	if (n == 0 || n > 2 * size || n % 2)
		return -1;
	for (uint32_t i = 0; i < n; i += 2) {
		int hi = -1, lo = -1;
		const char *digits = "0123456789abcdef", *p;
		if ((p = strchr(digits, tolower((unsigned char)s[i]))) != NULL && s[i])
			hi = (int)(p - digits);
		if ((p = strchr(digits, tolower((unsigned char)s[i + 1]))) != NULL && s[i + 1])
			lo = (int)(p - digits);
		if (hi < 0 || lo < 0)
			return -1;
		tmp[size - n / 2 + i / 2] = (uint8_t)(hi << 4 | lo);
		nonzero |= hi | lo;
	}
	if (!nonzero)
		return -1;
	memcpy(out, tmp, size);
	return 0;
}

static void
test_parse_hex(void)
{
	static const char alphabet[] = "0123456789abcdefABCDEF/:@`Gg \x7f\x80\xff";
	uint64_t x = 88172645463325252ull;
	unsigned int bad = 0, ok = 0;

	for (int t = 0; t < 200000; t++) {
		char s[40];
		uint8_t a[16], b[16];
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint32_t n = (uint32_t)(x % 35), size = (x >> 8) % 2 ? 16 : 8;
		/* mostly hex, now and then one byte that is not */
		for (uint32_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			s[i] = alphabet[(x >> 20) % ((x >> 40) % 64 ? 22 : sizeof(alphabet) - 1)];
		}
		if ((x >> 50) % 16 == 0)
			memset(s, '0', n);
		memset(a, 0xaa, sizeof(a));
		memset(b, 0xaa, sizeof(b));
		int ra = dp_parse_hex(s, n, a, size), rb = ref_parse_hex(s, n, b, size);
		if (ra != rb || memcmp(a, b, size) != 0)
			bad++;
		ok += ra == 0;
	}
	CHECK(bad == 0, "dp_parse_hex differs from one digit at a time %u times", bad);
	CHECK(ok > 10000, "enough valid ids among the cases (%u)", ok);
	uint8_t id[16];
	CHECK(dp_parse_hex("70635aa611181d7651f401bc990babc9", 32, id, 16) == 0 &&
			id[0] == 0x70 && id[15] == 0xc9, "a trace id");
	CHECK(dp_parse_hex("0000000000000000", 16, id, 8) < 0, "all zeros");
}

/* Frames wrapped in VLAN, QinQ, VXLAN, GRE, ERSPAN II/III decode to the
 * inner TCP segment and keep the ids; every truncation of them is a drop
 * with a reason, never a crash. */
static uint32_t
wrap(uint8_t *out, const uint8_t *inner, uint32_t n, int kind)
{
	uint8_t *p = out;
	static const uint8_t mac[12] = { 0 };

	memcpy(p, mac, 12);
	p += 12;
	if (kind == 1 || kind == 2) {	/* VLAN 120, or QinQ 300/120 */
		if (kind == 2) {
			*p++ = 0x88, *p++ = 0xa8, *p++ = 0x01, *p++ = 0x2c;
		}
		*p++ = 0x81, *p++ = 0x00, *p++ = 0x00, *p++ = 0x78;
		memcpy(p, inner + 12, n - 12);
		return (uint32_t)(p - out) + n - 12;
	}
	*p++ = 0x08, *p++ = 0x00;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)p;
	uint8_t *l4 = p + sizeof(*ip);
	uint32_t el;
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->time_to_live = 64;
	if (kind == 3) {		/* VXLAN VNI 4242 */
		uint8_t u[16] = { 0xc0, 0x00, 0x12, 0xb5, 0, 0, 0, 0, 0x08, 0, 0, 0, 0, 0x10, 0x92, 0 };
		u[4] = (uint8_t)((8 + 8 + n) >> 8), u[5] = (uint8_t)(8 + 8 + n);
		memcpy(l4, u, 16);
		el = 16;
		ip->next_proto_id = IPPROTO_UDP;
	} else if (kind == 4) {	/* GRE with key 77 and sequence */
		uint8_t g[12] = { 0x30, 0x00, 0x65, 0x58, 0, 0, 0, 77, 0, 0, 0, 1 };
		memcpy(l4, g, 12);
		el = 12;
		ip->next_proto_id = IPPROTO_GRE;
	} else if (kind == 5) {	/* ERSPAN II, session 7 */
		uint8_t g[16] = { 0x10, 0x00, 0x88, 0xbe, 0, 0, 0, 1, 0x10, 0x2a, 0x00, 0x07, 0, 0, 0, 1 };
		memcpy(l4, g, 16);
		el = 16;
		ip->next_proto_id = IPPROTO_GRE;
	} else {		/* ERSPAN III, session 9, with the platform subheader */
		uint8_t g[28] = { 0x10, 0x00, 0x22, 0xeb, 0, 0, 0, 1, 0x20, 0x00, 0x00, 0x09,
			0, 0, 0, 0, 0, 0, 0, 0x13 };
		memcpy(l4, g, 28);
		el = 28;
		ip->next_proto_id = IPPROTO_GRE;
	}
	memcpy(l4 + el, inner, n);
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + el + n));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	return (uint32_t)(l4 + el + n - out);
}

static void
test_decode(void)
{
	uint8_t inner[256], f[512];
	struct tcpspec t = { .src = 0x0a000001, .dst = 0x0a000002, .sport = 1234, .dport = 80,
		.seq = 1, .flags = RTE_TCP_ACK_FLAG, .data = "hello", .len = 5 };
	uint32_t n = build(inner, &t);
	struct dp_pkt p;

	for (int kind = 0; kind <= 6; kind++) {
		uint32_t len = kind ? wrap(f, inner, n, kind) : n;
		const uint8_t *d = kind ? f : inner;
		enum dp_decode_result r = dp_decode(d, len, &p);
		CHECK(r == DP_DECODE_TCP && p.payload_len == 5 && p.sport == 1234 &&
				memcmp(d + p.payload_off, "hello", 5) == 0, "kind %d: r %d drop %s",
				kind, r, r == DP_DECODE_DROP ? dp_drop_names[p.drop] : "");
		if (kind == 2)
			CHECK(p.n_vlan == 2 && p.vlan[0] == 300 && p.vlan[1] == 120, "qinq");
		if (kind == 3)
			CHECK(p.encap == MW_ENCAP_vxlan && p.vni == 4242, "vxlan %u", p.vni);
		if (kind == 4)
			CHECK(p.encap == MW_ENCAP_gre && p.vni == 77, "gre key %u", p.vni);
		if (kind == 5)
			CHECK(p.encap == MW_ENCAP_erspan2 && p.erspan_session == 7, "erspan2");
		if (kind == 6)
			CHECK(p.encap == MW_ENCAP_erspan3 && p.erspan_session == 9, "erspan3");
		for (uint32_t cut = 0; cut < len - 5; cut++) {
			r = dp_decode(d, cut, &p);
			CHECK(r == DP_DECODE_DROP, "kind %d cut at %u decoded", kind, cut);
		}
	}
	/* a wrong IPv4 header checksum, options, bad flags */
	inner[14 + 10] ^= 0xff;
	CHECK(dp_decode(inner, n, &p) == DP_DECODE_DROP && p.drop == DP_DROP_ip_bad_cksum, "cksum");
	inner[14 + 10] ^= 0xff;
	t.flags = RTE_TCP_SYN_FLAG | RTE_TCP_FIN_FLAG;
	n = build(inner, &t);
	CHECK(dp_decode(inner, n, &p) == DP_DECODE_DROP && p.drop == DP_DROP_tcp_bad_flags, "syn+fin");
}

/* Random bytes and random mutations of good frames: drops, never crashes
 * (this test earns its keep under AddressSanitizer). */
static void
test_decode_fuzz(void)
{
	struct dp_lcore *lc = new_lcore(1024);
	uint8_t inner[256], f[512];
	struct tcpspec t = { .src = 0x0a000001, .dst = 0x0a000002, .sport = 1234, .dport = 80,
		.seq = 1, .flags = RTE_TCP_ACK_FLAG, .data = "GET / HTTP/1.1\r\n\r\n", .len = 18 };
	uint32_t n = build(inner, &t);
	uint64_t x = 88172645463325252ull;

	for (int i = 0; i < 200000; i++) {
		int kind = i % 7;
		uint32_t len = kind ? wrap(f, inner, n, kind) : (memcpy(f, inner, n), n);
		for (int k = 0; k < 1 + i % 4; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			f[x % len] = (uint8_t)(x >> 32);
		}
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		dp_handle_packet(lc, f, (uint32_t)(x % (len + 1)));
	}
	struct mw_event *ev[64];
	unsigned int k;
	dp_flush_all(lc);
	while ((k = take_events(lc, ev, 64, 0)) > 0)
		put_events(ev, k);
	uint64_t drops = 0;
	for (int d = 0; d < DP_DROP_MAX; d++)
		drops += lc->stats.drop[d];
	CHECK(drops > 0, "mutations were dropped with reasons");
	dp_lcore_free(lc);
}

static void
test_redaction(void)
{
	struct mw_event *ev;
	char *buf = NULL;
	size_t len = 0;

	rte_mempool_get(pool, (void **)&ev);
	memset(ev, 0, sizeof(*ev));
	dp_event_put_field(ev, MW_FIELD_path, "/login", 6);
	const char *q = "user=bob&access_token=abc.def&x=1";
	dp_event_put_field(ev, MW_FIELD_query, q, (uint32_t)strlen(q));
	dp_event_put_field(ev, MW_FIELD_content_type, "application/json", 16);
	const char *body = "{\"username\": \"bob\", \"password\": \"hunter2\\\"x\", \"n\": 1}";
	dp_event_put_field(ev, MW_FIELD_req_body, body, (uint32_t)strlen(body));
	FILE *f = open_memstream(&buf, &len);
	struct out_ctx oc = { .events = f, .redact = true };
	out_event(&oc, ev);
	fclose(f);
	CHECK(strstr(buf, "hunter2") == NULL && strstr(buf, "abc.def") == NULL,
			"secrets in the log: %s", buf);
	CHECK(strstr(buf, "\"user=bob&access_token=[redacted]&x=1\"") != NULL &&
			strstr(buf, "bob") != NULL, "the rest stays: %s", buf);
	free(buf);
	rte_mempool_put(pool, ev);

	/* which names are credentials': substrings, and short words whole */
	static const char *const secret[] = { "password", "X-Api-Key", "user_passwd", "card_pin",
		"PIN", "ssn", "sessionid", "a_very_long_parameter_name_well_past_sixty_four_bytes_password" };
	static const char *const plain[] = { "ping", "shipping", "classname", "q", "spinner", "" };
	for (size_t i = 0; i < sizeof(secret) / sizeof(*secret); i++)
		CHECK(dp_secret_name(secret[i], strlen(secret[i])), "%s is a secret's name", secret[i]);
	for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++)
		CHECK(!dp_secret_name(plain[i], strlen(plain[i])), "%s is not a secret's name", plain[i]);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (test_eal_init(argv[0], "256") < 0)
		return 2;
	pool = rte_mempool_create("test_events", 4095, MW_EVENT_SIZE, 0, 0, NULL, NULL, NULL,
			NULL, SOCKET_ID_ANY, 0);
	ring = rte_ring_create("test_ring", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pool == NULL || ring == NULL)
		return 2;
	test_http_head_parser();
	test_decode();
	test_parse_hex();
	test_one_call_any_segmentation();
	test_pipelining_and_chunked();
	test_reorder_overlap_retransmit();
	test_gap_and_midstream();
	test_header_limits_and_garbage();
	test_flows();
	test_identity_and_trace_formats();
	test_jwt_privilege();
	test_self_object();
	test_created_object();
	test_basic_login();
	test_redaction();
	test_decode_fuzz();
	printf("%d checks, %d failed\n", checks, failures);
	rte_eal_cleanup();
	return failures ? 1 : 0;
}
