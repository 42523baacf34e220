/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HTTP/1.x message heads. http.c frames messages on a byte stream (any
 * segmentation) and parses each complete header section with
 * dp_http_parse_head(); call.c reads the fields it needs from the result.
 * Hot path, rx lcores only; the head points into the caller's buffer.
 */
#ifndef DP_HTTP_H
#define DP_HTTP_H

#include <stdint.h>

#define DP_HTTP_MAX_HEADERS 64

struct dp_span {
	uint16_t off, len;
};

struct dp_header {
	struct dp_span name, value;
};

/*
 * The headers the data path reads. The parser names each header once
 * (dp_head.id) and keeps where the first of each kind is (dp_head.known),
 * so reading one is an index, not a walk over the head comparing names.
 */
#define DP_KNOWN_HEADERS(X) \
	X(host, "host") X(user_agent, "user-agent") X(content_type, "content-type") \
	X(content_length, "content-length") X(transfer_encoding, "transfer-encoding") \
	X(connection, "connection") X(accept_encoding, "accept-encoding") \
	X(traceparent, "traceparent") X(tracestate, "tracestate") X(b3, "b3") \
	X(x_b3_traceid, "x-b3-traceid") X(x_b3_spanid, "x-b3-spanid") \
	X(x_b3_parentspanid, "x-b3-parentspanid") X(x_b3_sampled, "x-b3-sampled") \
	X(uber_trace_id, "uber-trace-id") X(x_request_id, "x-request-id") \
	X(authorization, "authorization") X(x_api_key, "x-api-key") X(api_key, "api-key") \
	X(apikey, "apikey") X(cookie, "cookie") X(x_forwarded_for, "x-forwarded-for") \
	X(location, "location") X(referer, "referer") X(origin, "origin") \
	X(sec_ch_ua, "sec-ch-ua") X(sec_ch_ua_platform, "sec-ch-ua-platform") \
	X(sec_ch_ua_full_version_list, "sec-ch-ua-full-version-list")

enum dp_hdr {
	DP_HDR_other,
#define X(id, name) DP_HDR_##id,
	DP_KNOWN_HEADERS(X)
#undef X
	DP_HDR_MAX
};

struct dp_head {
	const char *buf;
	uint32_t len;
	uint8_t is_request;
	uint8_t method;			/* enum mw_method */
	uint8_t minor;			/* HTTP/1.minor */
	uint8_t chunked;
	uint8_t has_length;
	uint8_t close;			/* Connection: close (or HTTP/1.0 without keep-alive) */
	uint8_t upgrade;
	uint8_t smuggling;		/* both Content-Length and Transfer-Encoding, or duplicates */
	uint16_t status;
	uint16_t n_headers;
	uint64_t content_length;
	struct dp_span method_tok, target, reason;
	uint8_t known[DP_HDR_MAX];	/* 1 + index of the first of each, 0: none */
	uint8_t id[DP_HTTP_MAX_HEADERS];	/* enum dp_hdr of each header */
	struct dp_header h[DP_HTTP_MAX_HEADERS];
};

enum dp_head_error {
	DP_HEAD_OK,
	DP_HEAD_BAD_START_LINE,
	DP_HEAD_BAD_VERSION,
	DP_HEAD_BAD_HEADER,
	DP_HEAD_TOO_MANY_HEADERS,
	DP_HEAD_BAD_LENGTH,
};

/* buf holds a whole header section, up to and including its empty line. */
enum dp_head_error dp_http_parse_head(const char *buf, uint32_t len, struct dp_head *h);

/* Value of the first header of a known kind, or NULL. */
static inline const char *
dp_head_known(const struct dp_head *h, enum dp_hdr id, uint32_t *value_len)
{
	unsigned int k = h->known[id];

	if (k == 0)
		return NULL;
	*value_len = h->h[k - 1].value.len;
	return h->buf + h->h[k - 1].value.off;
}

#define DP_HEAD_GET(h, id, vlen) dp_head_known((h), DP_HDR_##id, (vlen))

/* The kind of a header name (any case), DP_HDR_other if not known. */
enum dp_hdr dp_header_id(const char *name, uint32_t len);

enum mw_method dp_http_method(const char *s, uint32_t len);

#endif
