/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.x framing on reassembled TCP byte streams (hot path, rx lcores).
 *
 * Each direction of a connection runs one small state machine (struct
 * dp_stream.http). A header section is parsed once it is complete: in place
 * when it arrived inside one segment, else from a header buffer taken from
 * the lcore's pool while the section is incomplete. Bodies are never
 * buffered: Content-Length and chunked framing only count bytes, and the
 * request body's prefix is copied into the event. So a flow costs nothing
 * between messages, and any segmentation, down to one byte, parses the same.
 *
 * Pairing: responses pair with requests first in, first out (pipelining).
 * After a capture gap the TCP acknowledgment numbers decide instead: a
 * response acknowledges the request bytes its server had read (see
 * pair_response()).
 */
#include <string.h>
#include <strings.h>
#include <rte_mempool.h>

#include "dp.h"
#include "dp_text.h"
#include "http.h"

/* ---- header section parsing ---- */

static const struct {
	const char *name;
	uint8_t len;
	uint8_t method;
} methods[] = {
#define M(m) { #m, sizeof(#m) - 1, MW_METHOD_##m },
	M(GET) M(HEAD) M(POST) M(PUT) M(DELETE) M(PATCH) M(OPTIONS) M(TRACE) M(CONNECT)
#undef M
};

enum mw_method
dp_http_method(const char *s, uint32_t len)
{
	for (unsigned int i = 0; i < RTE_DIM(methods); i++)
		if (len == methods[i].len && memcmp(s, methods[i].name, len) == 0)
			return (enum mw_method)methods[i].method;
	return MW_METHOD_OTHER;
}

/* RFC 9110 token characters */
static const uint8_t tchar[256] = {
	['0' ... '9'] = 1, ['A' ... 'Z'] = 1, ['a' ... 'z'] = 1,
	['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
	['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
};

static inline int
is_tchar(unsigned char c)
{
	return tchar[c];
}

static const char *const known_headers[DP_HDR_MAX] = {
	[DP_HDR_other] = "",
#define X(id, lit) [DP_HDR_##id] = lit,
	DP_KNOWN_HEADERS(X)
#undef X
};

/* The known names by length; at most four share one (test-dataplane
 * checks that every known name comes back as itself). */
#define HDR_LONGEST 27
static const uint8_t hdr_by_len[HDR_LONGEST + 1][4] = {
	[2] = { DP_HDR_b3 },
	[4] = { DP_HDR_host },
	[6] = { DP_HDR_cookie, DP_HDR_apikey, DP_HDR_origin },
	[7] = { DP_HDR_api_key, DP_HDR_referer },
	[8] = { DP_HDR_location },
	[9] = { DP_HDR_x_api_key, DP_HDR_sec_ch_ua },
	[10] = { DP_HDR_user_agent, DP_HDR_connection, DP_HDR_tracestate },
	[11] = { DP_HDR_traceparent, DP_HDR_x_b3_spanid },
	[12] = { DP_HDR_content_type, DP_HDR_x_request_id, DP_HDR_x_b3_traceid,
		DP_HDR_x_b3_sampled },
	[13] = { DP_HDR_authorization, DP_HDR_uber_trace_id },
	[14] = { DP_HDR_content_length },
	[15] = { DP_HDR_x_forwarded_for, DP_HDR_accept_encoding },
	[17] = { DP_HDR_transfer_encoding, DP_HDR_x_b3_parentspanid },
	[18] = { DP_HDR_sec_ch_ua_platform },
	[27] = { DP_HDR_sec_ch_ua_full_version_list },
};

/* s is a token (tchar only): OR-ing 0x20 lowercases its letters and leaves
 * every other token byte that can equal a byte of a known name as it is. */
enum dp_hdr
dp_header_id(const char *s, uint32_t n)
{
	if (n > HDR_LONGEST)
		return DP_HDR_other;
	for (unsigned int c = 0; c < RTE_DIM(hdr_by_len[0]) && hdr_by_len[n][c]; c++) {
		const char *lit = known_headers[hdr_by_len[n][c]];
		uint32_t i = 0;
		while (i < n && (uint8_t)(s[i] | 0x20) == (uint8_t)lit[i])
			i++;
		if (i == n)
			return (enum dp_hdr)hdr_by_len[n][c];
	}
	return DP_HDR_other;
}

/* End of the line starting at p (index of '\n'), or -1. */
static inline int32_t
line_end(const char *buf, uint32_t from, uint32_t len)
{
	const char *nl = memchr(buf + from, '\n', len - from);
	return nl ? (int32_t)(nl - buf) : -1;
}

/* Line [from, nl) without its trailing CR. */
static inline uint32_t
line_len(const char *buf, uint32_t from, uint32_t nl)
{
	return nl > from && buf[nl - 1] == '\r' ? nl - 1 - from : nl - from;
}

static int
parse_version(const char *s, uint32_t len, uint8_t *minor)
{
	if (len != 8 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9')
		return -1;
	*minor = (uint8_t)(s[7] - '0');
	return 0;
}

static enum dp_head_error
parse_start_line(const char *b, uint32_t n, struct dp_head *h)
{
	const char *sp1, *sp2;

	if (n >= 5 && memcmp(b, "HTTP/", 5) == 0) {
		h->is_request = 0;
		if (n < 12 || parse_version(b, 8, &h->minor) < 0)
			return DP_HEAD_BAD_VERSION;
		if (b[8] != ' ' || b[9] < '1' || b[9] > '5' || b[10] < '0' || b[10] > '9' ||
				b[11] < '0' || b[11] > '9' || (n > 12 && b[12] != ' '))
			return DP_HEAD_BAD_START_LINE;
		h->status = (uint16_t)((b[9] - '0') * 100 + (b[10] - '0') * 10 + (b[11] - '0'));
		h->reason.off = (uint16_t)(n > 13 ? 13 : n);
		h->reason.len = (uint16_t)(n - h->reason.off);
		return DP_HEAD_OK;
	}
	h->is_request = 1;
	sp1 = memchr(b, ' ', n);
	if (sp1 == NULL || sp1 == b)
		return DP_HEAD_BAD_START_LINE;
	for (const char *p = b; p < sp1; p++)
		if (!is_tchar((unsigned char)*p))
			return DP_HEAD_BAD_START_LINE;
	sp2 = memrchr(sp1 + 1, ' ', n - (uint32_t)(sp1 + 1 - b));
	if (sp2 == NULL || sp2 == sp1 + 1)
		return DP_HEAD_BAD_START_LINE;
	if (parse_version(sp2 + 1, n - (uint32_t)(sp2 + 1 - b), &h->minor) < 0)
		return DP_HEAD_BAD_VERSION;
	h->method_tok.off = 0;
	h->method_tok.len = (uint16_t)(sp1 - b);
	h->method = (uint8_t)dp_http_method(b, h->method_tok.len);
	h->target.off = (uint16_t)(sp1 + 1 - b);
	h->target.len = (uint16_t)(sp2 - sp1 - 1);
	for (uint32_t i = 0; i < h->target.len; i++) {
		unsigned char c = (unsigned char)b[h->target.off + i];
		if (c <= ' ' || c == 0x7f)
			return DP_HEAD_BAD_START_LINE;
	}
	return DP_HEAD_OK;
}

static int
parse_length(const char *s, uint32_t n, uint64_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > 15)
		return -1;
	for (uint32_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* Does a comma-separated header value contain token (case-insensitive)? */
static int
has_token(const char *v, uint32_t n, const char *tok, uint32_t tn)
{
	uint32_t i = 0;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		uint32_t s = i;
		while (i < n && v[i] != ',')
			i++;
		uint32_t e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tn && strncasecmp(v + s, tok, tn) == 0)
			return 1;
	}
	return 0;
}

/* The framing headers: what http.c itself needs. */
static enum dp_head_error
frame_headers(struct dp_head *h)
{
	int keep_alive = 0;

	for (uint16_t i = 0; i < h->n_headers; i++) {
		const struct dp_header *hd = &h->h[i];
		const char *v = h->buf + hd->value.off;

		if (h->id[i] == DP_HDR_content_length) {
			uint64_t cl;
			if (parse_length(v, hd->value.len, &cl) < 0)
				return DP_HEAD_BAD_LENGTH;
			if (h->has_length && cl != h->content_length)
				return DP_HEAD_BAD_LENGTH;	/* RFC 9112 6.3: unrecoverable */
			if (h->has_length)
				h->smuggling = 1;
			h->has_length = 1;
			h->content_length = cl;
		} else if (h->id[i] == DP_HDR_transfer_encoding) {
			if (has_token(v, hd->value.len, "chunked", 7))
				h->chunked = 1;
		} else if (h->id[i] == DP_HDR_connection) {
			if (has_token(v, hd->value.len, "close", 5))
				h->close = 1;
			if (has_token(v, hd->value.len, "keep-alive", 10))
				keep_alive = 1;
			if (has_token(v, hd->value.len, "upgrade", 7))
				h->upgrade = 1;
		}
	}
	if (h->chunked && h->has_length)
		h->smuggling = 1;	/* chunked wins (RFC 9112 6.1); flagged */
	if (h->minor == 0 && !keep_alive)
		h->close = 1;
	return DP_HEAD_OK;
}

enum dp_head_error
dp_http_parse_head(const char *buf, uint32_t len, struct dp_head *h)
{
	uint32_t pos = 0;
	int32_t nl;
	enum dp_head_error e;

	memset(h, 0, offsetof(struct dp_head, id));
	h->buf = buf;
	h->len = len;
	nl = line_end(buf, 0, len);
	if (nl < 0)
		return DP_HEAD_BAD_START_LINE;
	e = parse_start_line(buf, line_len(buf, 0, (uint32_t)nl), h);
	if (e != DP_HEAD_OK)
		return e;
	pos = (uint32_t)nl + 1;
	while (pos < len) {
		uint32_t n, colon, vs, ve;
		struct dp_header *hd;

		nl = line_end(buf, pos, len);
		if (nl < 0)
			return DP_HEAD_BAD_HEADER;
		n = line_len(buf, pos, (uint32_t)nl);
		if (n == 0)
			break;		/* the empty line */
		if (buf[pos] == ' ' || buf[pos] == '\t') {
			/* obsolete line folding: part of the previous value */
			pos = (uint32_t)nl + 1;
			continue;
		}
		if (h->n_headers == DP_HTTP_MAX_HEADERS)
			return DP_HEAD_TOO_MANY_HEADERS;
		for (colon = 0; colon < n && buf[pos + colon] != ':'; colon++)
			if (!is_tchar((unsigned char)buf[pos + colon]))
				return DP_HEAD_BAD_HEADER;
		if (colon == 0 || colon == n)
			return DP_HEAD_BAD_HEADER;
		vs = colon + 1;
		while (vs < n && (buf[pos + vs] == ' ' || buf[pos + vs] == '\t'))
			vs++;
		ve = n;
		while (ve > vs && (buf[pos + ve - 1] == ' ' || buf[pos + ve - 1] == '\t'))
			ve--;
		enum dp_hdr id = dp_header_id(buf + pos, colon);
		h->id[h->n_headers] = (uint8_t)id;
		if (id != DP_HDR_other && h->known[id] == 0)
			h->known[id] = (uint8_t)(h->n_headers + 1);
		hd = &h->h[h->n_headers++];
		hd->name.off = (uint16_t)pos;
		hd->name.len = (uint16_t)colon;
		hd->value.off = (uint16_t)(pos + vs);
		hd->value.len = (uint16_t)(ve - vs);
		pos = (uint32_t)nl + 1;
	}
	return frame_headers(h);
}

/* ---- header buffers ---- */

static uint8_t *
hdrbuf(struct dp_lcore *lc, uint32_t i)
{
	return lc->hdrbufs + (size_t)i * lc->hdr_stride;
}

static void
hdrbuf_free(struct dp_lcore *lc, uint32_t i)
{
	memcpy(hdrbuf(lc, i), &lc->hdr_free, sizeof(uint32_t));
	lc->hdr_free = i;
}

static void
hdrbuf_put(struct dp_lcore *lc, struct dp_stream *s)
{
	if (s->hdr == DP_NIL)
		return;
	hdrbuf_free(lc, s->hdr);
	s->hdr = DP_NIL;
	s->hdr_len = 0;
}

static int
hdrbuf_append(struct dp_lcore *lc, struct dp_stream *s, const uint8_t *d, uint32_t n)
{
	if (s->hdr == DP_NIL) {
		if (lc->hdr_free == DP_NIL) {
			DP_COUNT(&lc->stats, http_hdrbuf_empty);
			return -1;
		}
		s->hdr = lc->hdr_free;
		memcpy(&lc->hdr_free, hdrbuf(lc, s->hdr), sizeof(uint32_t));
		s->hdr_len = 0;
	}
	if (s->hdr_len + n > lc->lim.max_header) {
		DP_COUNT(&lc->stats, http_header_too_long);
		return -1;
	}
	memcpy(hdrbuf(lc, s->hdr) + s->hdr_len, d, n);
	s->hdr_len = (uint16_t)(s->hdr_len + n);
	return 0;
}

/* ---- pairing and completion ---- */

static struct dp_pending *
pending_at(struct dp_flow *f, unsigned int i)
{
	return &f->pending[(f->pend_head + i) % DP_MAX_PENDING];
}

static struct mw_event *
pending_pop(struct dp_flow *f)
{
	struct mw_event *ev = f->pending[f->pend_head].ev;

	f->pend_head = (uint8_t)((f->pend_head + 1) % DP_MAX_PENDING);
	f->n_pending--;
	return ev;
}

static void
emit_unanswered(struct dp_lcore *lc, struct dp_flow *f, struct mw_event *ev)
{
	ev->flags |= MW_EV_NO_RESPONSE;
	DP_COUNT(&lc->stats, http_no_response);
	dp_call_emit(lc, f, ev);
}

static int
pending_push(struct dp_lcore *lc, struct dp_flow *f, struct mw_event *ev)
{
	struct dp_pending *p;

	if (f->n_pending == DP_MAX_PENDING) {
		/* Only the newest request can still be arriving. */
		DP_COUNT(&lc->stats, http_pending_overflow);
		emit_unanswered(lc, f, pending_pop(f));
	}
	if (f->n_pending > 0)
		ev->flags |= MW_EV_PIPELINED;
	p = pending_at(f, f->n_pending++);
	p->ev = ev;
	p->done = 0;
	p->end_seq = 0;
	return 0;
}

/*
 * Which pending request does this response answer? FIFO, unless a gap made
 * the queues disagree:
 * - a gap in the response stream may have swallowed responses: the response
 *   answers the newest request the server had fully read (ack covers it);
 *   older ones get no response;
 * - a gap in the request stream may have swallowed a request: a response
 *   whose ack does not cover the oldest pending request answers one we never
 *   saw, and pairs with nothing.
 */
static struct mw_event *
pair_response(struct dp_lcore *lc, struct dp_flow *f, uint32_t ack)
{
	if (f->n_pending == 0) {
		DP_COUNT(&lc->stats, http_orphan_responses);
		return NULL;
	}
	if (f->resp_gap) {
		int pick = -1;
		for (unsigned int i = 0; i < f->n_pending; i++) {
			struct dp_pending *p = pending_at(f, i);
			if (p->done && dp_seq_leq(p->end_seq, ack))
				pick = (int)i;
		}
		if (pick < 0) {
			DP_COUNT(&lc->stats, http_orphan_responses);
			return NULL;
		}
		while (pick-- > 0)
			emit_unanswered(lc, f, pending_pop(f));
	} else if (f->req_gap) {
		struct dp_pending *p = pending_at(f, 0);
		if (p->done && dp_seq_lt(ack, p->end_seq)) {
			DP_COUNT(&lc->stats, http_orphan_responses);
			return NULL;
		}
	}
	f->resp_gap = f->req_gap = 0;
	return pending_pop(f);
}

static void
message_done(struct dp_lcore *lc, struct dp_flow *f, int side, uint32_t end_seq)
{
	struct dp_stream *s = &f->dir[side];

	if (s->role == DP_ROLE_CLIENT) {
		if (s->cur != NULL && f->n_pending > 0) {
			struct dp_pending *p = pending_at(f, f->n_pending - 1u);
			if (p->ev == s->cur) {
				p->done = 1;
				p->end_seq = end_seq;
				dp_call_request_done(lc, s->cur);
			}
		}
	} else if (s->cur != NULL) {
		s->cur->ts_resp_ns = lc->pkt_ns;
		dp_call_emit(lc, f, s->cur);
	}
	s->cur = NULL;
	s->http = DP_HTTP_START;
}

static void
resync(struct dp_lcore *lc, struct dp_flow *f, int side)
{
	struct dp_stream *s = &f->dir[side];

	hdrbuf_put(lc, s);
	if (s->cur != NULL) {
		s->cur->flags |= MW_EV_GAP;
		if (s->role == DP_ROLE_SERVER) {
			s->cur->ts_resp_ns = lc->pkt_ns;
			dp_call_emit(lc, f, s->cur);
		} else if (f->n_pending > 0) {
			struct dp_pending *p = pending_at(f, f->n_pending - 1u);
			p->done = 1;
			p->end_seq = s->next_seq;
			dp_call_request_done(lc, s->cur);
		}
		s->cur = NULL;
	}
	s->http = DP_HTTP_RESYNC;
	s->remaining = 0;
	s->line = 0;
	s->crlf = 1;	/* the next byte starts a line as far as we know */
	DP_COUNT(&lc->stats, tcp_resyncs);
}

static void
set_roles(struct dp_flow *f, int client_side)
{
	f->client = (uint8_t)client_side;
	f->dir[client_side].role = DP_ROLE_CLIENT;
	f->dir[!client_side].role = DP_ROLE_SERVER;
}

/* A complete header section at hb[0..n). */
static void
on_head(struct dp_lcore *lc, struct dp_flow *f, int side, const char *hb, uint32_t n)
{
	struct dp_stream *s = &f->dir[side];
	struct dp_head h;

	s->remaining = 0;	/* chunk sizes accumulate here */
	const char *nl = memchr(hb, '\n', n);
	if (nl == NULL || (uint32_t)(nl - hb) > lc->lim.max_line) {
		DP_COUNT(&lc->stats, http_line_too_long);
		f->marked = 1;
		resync(lc, f, side);
		return;
	}
	if (dp_http_parse_head(hb, n, &h) != DP_HEAD_OK) {
		DP_COUNT(&lc->stats, http_parse_errors);
		f->marked = 1;
		resync(lc, f, side);
		return;
	}
	if (s->role == DP_ROLE_UNKNOWN)
		set_roles(f, h.is_request ? side : !side);
	if (h.is_request != (s->role == DP_ROLE_CLIENT)) {
		DP_COUNT(&lc->stats, http_parse_errors);
		resync(lc, f, side);
		return;
	}
	if (h.is_request) {
		struct mw_event *ev;

		DP_COUNT(&lc->stats, http_requests);
		ev = dp_call_begin(lc, f, side, &h);
		if (ev != NULL) {
			ev->req_hdr_bytes = n;
			pending_push(lc, f, ev);
		}
		s->cur = ev;
		s->body_bytes = 0;
		if (h.chunked) {
			s->http = DP_HTTP_CHUNK_SIZE;
			if (ev)
				ev->flags |= MW_EV_REQ_CHUNKED;
		} else if (h.has_length && h.content_length > 0) {
			s->http = DP_HTTP_BODY;
			s->remaining = h.content_length;
		} else {
			message_done(lc, f, side, s->msg_seq + n);
			return;
		}
		s->line = 0;
		s->crlf = 0;
		return;
	}

	DP_COUNT(&lc->stats, http_responses);
	if (h.status < 200 && h.status != 101) {
		s->http = DP_HTTP_START;	/* interim: 100 Continue, 103 Early Hints */
		return;
	}
	struct mw_event *ev = pair_response(lc, f, s->msg_ack);
	int no_body = 0;

	s->cur = ev;
	s->body_bytes = 0;
	if (ev != NULL) {
		ev->status = h.status;
		ev->resp_hdr_bytes = n;
		no_body = ev->method == MW_METHOD_HEAD;
		if (h.chunked)
			ev->flags |= MW_EV_RESP_CHUNKED;
		dp_call_response(lc, ev, &h);
	}
	if (h.status == 101 || (h.status >= 200 && h.status < 300 && ev &&
				ev->method == MW_METHOD_CONNECT)) {
		/* The connection leaves HTTP/1.x: stop parsing both ways. */
		message_done(lc, f, side, 0);
		f->dir[0].http = f->dir[1].http = DP_HTTP_UNTIL_CLOSE;
		return;
	}
	s->line = 0;
	s->crlf = 0;
	if (no_body || h.status == 204 || h.status == 304)
		message_done(lc, f, side, 0);
	else if (h.chunked)
		s->http = DP_HTTP_CHUNK_SIZE;
	else if (h.has_length) {
		s->remaining = h.content_length;
		if (h.content_length == 0)
			message_done(lc, f, side, 0);
		else
			s->http = DP_HTTP_BODY;
	} else {
		s->http = DP_HTTP_UNTIL_CLOSE;
	}
}

static void
body_bytes(struct dp_lcore *lc, struct dp_stream *s, const uint8_t *d, uint32_t n)
{
	struct mw_event *ev = s->cur;

	s->body_bytes += n;
	if (ev == NULL)
		return;
	if (s->role == DP_ROLE_CLIENT) {
		ev->req_body_bytes = s->body_bytes;
		uint32_t have = ev->field[MW_FIELD_req_body].len;
		if (have < lc->lim.body_bytes) {
			uint32_t take = RTE_MIN(n, lc->lim.body_bytes - have);
			dp_event_append_field(ev, MW_FIELD_req_body, (const char *)d, take);
			if (take < n)
				ev->flags |= MW_EV_BODY_TRUNCATED;
		} else {
			ev->flags |= MW_EV_BODY_TRUNCATED;
		}
	} else {
		ev->resp_body_bytes = s->body_bytes;
	}
}

/*
 * Looks for the empty line that ends a header section (or chunked trailer)
 * in d[0..n), continuing the line state kept in s (line: bytes of the current
 * line so far, crlf: its last byte was CR). Returns the number of bytes up to
 * and including the final LF, or 0.
 */
static uint32_t
find_head_end(struct dp_stream *s, const uint8_t *d, uint32_t n)
{
	uint32_t i = 0;

	while (i < n) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);
		if (nl == NULL) {
			s->line = (uint16_t)RTE_MIN(s->line + (n - i), 0xffffu);
			s->crlf = d[n - 1] == '\r';
			return 0;
		}
		uint32_t k = (uint32_t)(nl - d);
		uint32_t ll = s->line + (k - i);
		int cr_only = ll == 1 && (k > i ? d[k - 1] == '\r' : s->crlf);
		if (ll == 0 || cr_only) {
			s->line = 0;
			s->crlf = 0;
			return k + 1;
		}
		s->line = 0;
		s->crlf = 0;
		i = k + 1;
	}
	return 0;
}

/* Is d[0..n) the start of a request or a status line? 1 request, 2 response. */
static int
message_start(const uint8_t *d, uint32_t n)
{
	if (n >= 7 && memcmp(d, "HTTP/1.", 7) == 0)
		return 2;
	for (unsigned int i = 0; i < RTE_DIM(methods); i++)
		if (n > methods[i].len && d[methods[i].len] == ' ' &&
				memcmp(d, methods[i].name, methods[i].len) == 0)
			return 1;
	return 0;
}

/* RESYNC: skip to a line that starts a message this side may send. */
static uint32_t
resync_scan(struct dp_lcore *lc, struct dp_flow *f, int side, const uint8_t *d, uint32_t n)
{
	struct dp_stream *s = &f->dir[side];
	uint32_t i = 0;

	/* A message may start at a line start, or at a segment start: senders
	 * begin a new message with a new write, so after a hole the first
	 * bytes of a segment are the likeliest place to find one. */
	while (i < n) {
		if (s->crlf || i == 0) {
			int k = message_start(d + i, n - i);
			if (k && (s->role == DP_ROLE_UNKNOWN ||
					(k == 1) == (s->role == DP_ROLE_CLIENT))) {
				if (s->role == DP_ROLE_UNKNOWN)
					set_roles(f, k == 1 ? side : !side);
				s->http = DP_HTTP_START;
				s->crlf = 0;
				(void)lc;
				return i;
			}
		}
		const uint8_t *nl = memchr(d + i, '\n', n - i);
		if (nl == NULL) {
			s->crlf = 0;
			return n;
		}
		i = (uint32_t)(nl - d) + 1;
		s->crlf = 1;
	}
	return n;
}

void
dp_http_data(struct dp_lcore *lc, struct dp_flow *f, int side, const uint8_t *d,
		uint32_t n, uint32_t seq, uint32_t ack)
{
	struct dp_stream *s = &f->dir[side];

	mw_stage_enter(&lc->stats.stages, DP_STAGE_http);
	while (n > 0) {
		uint32_t used = 0;

		switch (s->http) {
		case DP_HTTP_RESYNC:
			used = resync_scan(lc, f, side, d, n);
			break;
		case DP_HTTP_START:
			if (s->role == DP_ROLE_UNKNOWN && !message_start(d, n)) {
				s->http = DP_HTTP_RESYNC;
				s->crlf = 0;
				continue;
			}
			if (d[0] == '\r' || d[0] == '\n') {
				used = 1;	/* stray CRLF between messages */
				break;
			}
			s->msg_seq = seq;
			s->msg_ack = ack;
			s->msg_ns = lc->pkt_ns;
			s->line = 0;
			s->crlf = 0;
			s->http = DP_HTTP_HEADER;
			continue;
		case DP_HTTP_HEADER: {
			uint32_t end = find_head_end(s, d, n);
			uint32_t take = end ? end : n;

			if (end && s->hdr == DP_NIL) {
				if (end > lc->lim.max_header) {
					DP_COUNT(&lc->stats, http_header_too_long);
					f->marked = 1;
					resync(lc, f, side);
				} else {
					on_head(lc, f, side, (const char *)d, end);
				}
			} else if (hdrbuf_append(lc, s, d, take) < 0) {
				f->marked = 1;
				resync(lc, f, side);
			} else if (end) {
				uint32_t hl = s->hdr_len;
				uint32_t hi = s->hdr;
				s->hdr = DP_NIL;	/* parse, then give the buffer back */
				on_head(lc, f, side, (const char *)hdrbuf(lc, hi), hl);
				hdrbuf_free(lc, hi);
			}
			used = take;
			break;
		}
		case DP_HTTP_BODY:
		case DP_HTTP_CHUNK_DATA:
			used = (uint32_t)RTE_MIN((uint64_t)n, s->remaining);
			body_bytes(lc, s, d, used);
			s->remaining -= used;
			if (s->remaining == 0) {
				if (s->http == DP_HTTP_BODY)
					message_done(lc, f, side, seq + used);
				else
					s->http = DP_HTTP_CHUNK_CRLF;
			}
			break;
		case DP_HTTP_CHUNK_CRLF:
			used = 1;
			if (d[0] == '\n') {
				s->http = DP_HTTP_CHUNK_SIZE;
				s->remaining = 0;
				s->line = 0;
				s->crlf = 0;
			} else if (d[0] != '\r') {
				DP_COUNT(&lc->stats, http_parse_errors);
				resync(lc, f, side);
			}
			break;
		case DP_HTTP_CHUNK_SIZE: {
			/* hex digits, then optional extensions, then LF; crlf: bit0
			 * digits seen, bit1 in extension */
			uint8_t c = d[0];
			int v = dp_hexval(c);

			used = 1;
			if (++s->line > lc->lim.max_line) {
				DP_COUNT(&lc->stats, http_line_too_long);
				resync(lc, f, side);
			} else if (c == '\n') {
				if (!(s->crlf & 1)) {
					DP_COUNT(&lc->stats, http_parse_errors);
					resync(lc, f, side);
				} else if (s->remaining == 0) {
					s->http = DP_HTTP_TRAILER;
					s->line = 0;
					s->crlf = 0;
				} else {
					s->http = DP_HTTP_CHUNK_DATA;
				}
			} else if (s->crlf & 2 || c == '\r') {
				/* extension or CR: ignored */
			} else if (v >= 0) {
				if (s->remaining >> 56) {
					DP_COUNT(&lc->stats, http_parse_errors);
					resync(lc, f, side);
				} else {
					s->remaining = s->remaining << 4 | (uint64_t)v;
					s->crlf |= 1;
				}
			} else if (c == ';' || c == ' ' || c == '\t') {
				s->crlf |= 2;
			} else {
				DP_COUNT(&lc->stats, http_parse_errors);
				resync(lc, f, side);
			}
			break;
		}
		case DP_HTTP_TRAILER: {
			uint32_t end = find_head_end(s, d, n);
			used = end ? end : n;
			if (end)
				message_done(lc, f, side, seq + end);
			break;
		}
		case DP_HTTP_UNTIL_CLOSE:
			used = n;
			body_bytes(lc, s, d, n);
			break;
		}
		d += used;
		n -= used;
		seq += used;
	}
	mw_stage_leave(&lc->stats.stages);
}

static void
http_gap(struct dp_lcore *lc, struct dp_flow *f, int side, uint32_t bytes)
{
	struct dp_stream *s = &f->dir[side];

	if (s->role == DP_ROLE_CLIENT)
		f->req_gap = 1;
	else if (s->role == DP_ROLE_SERVER)
		f->resp_gap = 1;
	switch (s->http) {
	case DP_HTTP_BODY:
	case DP_HTTP_CHUNK_DATA:
		if (s->remaining >= bytes) {
			/* The hole is inside a body whose length we know. */
			s->remaining -= bytes;
			s->body_bytes += bytes;
			if (s->cur != NULL) {
				s->cur->flags |= MW_EV_GAP;
				if (s->role == DP_ROLE_SERVER)
					s->cur->resp_body_bytes = s->body_bytes;
				else
					s->cur->req_body_bytes = s->body_bytes;
			}
			if (s->remaining == 0 && s->http == DP_HTTP_BODY)
				message_done(lc, f, side, s->next_seq + bytes);
			else if (s->remaining == 0)
				s->http = DP_HTTP_CHUNK_CRLF;
			return;
		}
		break;
	case DP_HTTP_UNTIL_CLOSE:
		s->body_bytes += bytes;
		if (s->cur != NULL)
			s->cur->flags |= MW_EV_GAP;
		return;
	case DP_HTTP_START:
	case DP_HTTP_RESYNC:
		s->http = DP_HTTP_RESYNC;
		s->crlf = 1;	/* segments after a hole often start a message */
		return;
	default:
		break;
	}
	resync(lc, f, side);
}

void
dp_http_gap(struct dp_lcore *lc, struct dp_flow *f, int side, uint32_t bytes)
{
	mw_stage_enter(&lc->stats.stages, DP_STAGE_http);
	http_gap(lc, f, side, bytes);
	mw_stage_leave(&lc->stats.stages);
}

/* The direction ended (FIN, RST, or the flow is going away). */
void
dp_http_end(struct dp_lcore *lc, struct dp_flow *f, int side)
{
	struct dp_stream *s = &f->dir[side];

	mw_stage_enter(&lc->stats.stages, DP_STAGE_http);
	if (s->http == DP_HTTP_UNTIL_CLOSE && s->cur != NULL) {
		message_done(lc, f, side, 0);
	} else if (s->cur != NULL && s->role == DP_ROLE_SERVER) {
		s->cur->flags |= MW_EV_BODY_TRUNCATED;
		message_done(lc, f, side, 0);
	} else if (s->cur != NULL) {
		message_done(lc, f, side, s->next_seq);
	}
	hdrbuf_put(lc, s);
	s->http = DP_HTTP_UNTIL_CLOSE;
	mw_stage_leave(&lc->stats.stages);
}

/* The flow is going away: every request still waiting gets its event. */
void
dp_http_release(struct dp_lcore *lc, struct dp_flow *f)
{
	mw_stage_enter(&lc->stats.stages, DP_STAGE_http);
	for (int side = 0; side < 2; side++) {
		struct dp_stream *s = &f->dir[side];
		if (s->cur != NULL && s->role == DP_ROLE_SERVER) {
			s->cur->flags |= MW_EV_BODY_TRUNCATED;
			s->cur->ts_resp_ns = lc->pkt_ns;
			dp_call_emit(lc, f, s->cur);
			s->cur = NULL;
		}
		s->cur = NULL;
		hdrbuf_put(lc, s);
	}
	while (f->n_pending > 0)
		emit_unanswered(lc, f, pending_pop(f));
	mw_stage_leave(&lc->stats.stages);
}
