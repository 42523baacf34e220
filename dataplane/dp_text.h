/* SPDX-License-Identifier: BSD-3-Clause */
/* Small text helpers shared by the HTTP parser, call extraction and the
 * pre-filter's normalization. Hot path, pure functions. */
#ifndef DP_TEXT_H
#define DP_TEXT_H

#include <stdint.h>

/* Value of a hex digit, or -1. */
static inline int
dp_hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* A code point below U+10000 as UTF-8 into o (room for 3); returns its length. */
static inline uint32_t
dp_put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	o[0] = (char)(0xe0 | (cp >> 12 & 0x0f));
	o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

#endif
