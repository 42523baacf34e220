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

/* Value of the first header called name (lower case), or NULL. */
const char *dp_head_get(const struct dp_head *h, const char *name, uint32_t name_len,
		uint32_t *value_len);

#define DP_HEAD_GET(h, lit, vlen) dp_head_get((h), lit, sizeof(lit) - 1, (vlen))

enum mw_method dp_http_method(const char *s, uint32_t len);

#endif
