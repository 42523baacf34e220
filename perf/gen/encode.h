/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writing a value into one HTTP context (query, path segment, form, JSON
 * string, header, cookie) with the encoding a client would use, or with an
 * attacker's evasion encoding. The appliance's normalizer must undo all of
 * these; this file is the list of what it will meet.
 */
#ifndef GEN_ENCODE_H
#define GEN_ENCODE_H

#include <stddef.h>

#include "rng.h"

enum ctx { CTX_QUERY, CTX_PATH, CTX_FORM, CTX_JSON, CTX_HEADER, CTX_COOKIE, CTX_N };

enum evasion {
	EV_NONE,	/* what a well-behaved client sends */
	EV_RAW,		/* as little encoding as HTTP tolerates (tools, curl) */
	EV_PCT,		/* every non-alphanumeric byte percent-encoded */
	EV_FULL,	/* every byte percent-encoded, letters too */
	EV_DOUBLE,	/* special bytes encoded twice: %2527 */
	EV_UNICODE,	/* %u0027 (IIS) or \u0027 (JSON) */
	EV_OVERLONG,	/* overlong UTF-8: %c0%ae %c0%af */
	EV_MIXED,	/* random subset encoded, random hex case */
	EV_HTML,	/* HTML numeric entities, then context encoding */
	EV_N
};

extern const char *const ctx_names[CTX_N];
extern const char *const evasion_names[EV_N];

int evasion_from_name(const char *s);

/*
 * Encodes len bytes of raw into out for context c; returns the length written
 * (out is NUL-terminated; output is truncated at cap-1).
 */
size_t encode_value(const char *raw, size_t len, enum ctx c, enum evasion ev,
		struct rng *r, char *out, size_t cap);

/* base64url without padding (JWT segments). */
size_t b64url(const void *in, size_t len, char *out, size_t cap);

#endif /* GEN_ENCODE_H */
