/* SPDX-License-Identifier: BSD-3-Clause */
/* Small text helpers shared by the HTTP parser, call extraction and the
 * pre-filter's normalization. Hot path, pure functions. */
#ifndef DP_TEXT_H
#define DP_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#ifdef __SSSE3__
#include <tmmintrin.h>
#endif

/* Value of a hex digit, or -1. */
static inline int
dp_hexval(uint8_t c)
{
	/* without branches: trace and span ids are random hex, whose digits
	 * and letters a branch predictor guesses half the time */
	int d = c - '0', l = (c | 0x20) - 'a';
	int v = (unsigned int)l < 6 ? l + 10 : -1;
	return (unsigned int)d < 10 ? d : v;
}

#ifdef __SSSE3__
/* 16 hex digits into 8 bytes, without a branch per digit; -1 if one is not
 * a hex digit. */
static inline int
dp_hex16(const char *s, uint8_t *out)
{
	const __m128i c = _mm_loadu_si128((const __m128i *)(const void *)s);
	const __m128i d = _mm_sub_epi8(c, _mm_set1_epi8('0'));
	const __m128i l = _mm_sub_epi8(_mm_or_si128(c, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
	const __m128i is_d = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
	const __m128i is_l = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(5)), l);

	if (_mm_movemask_epi8(_mm_or_si128(is_d, is_l)) != 0xffff)
		return -1;
	const __m128i v = _mm_or_si128(_mm_and_si128(is_d, d),
			_mm_andnot_si128(is_d, _mm_add_epi8(l, _mm_set1_epi8(10))));
	/* each pair: high digit * 16 + low digit */
	const __m128i p = _mm_maddubs_epi16(v, _mm_set1_epi16(0x0110));
	_mm_storel_epi64((__m128i *)(void *)out, _mm_packus_epi16(p, p));
	return 0;
}
#endif

/* Whether s[0, 36) is a UUID in its canonical form: 8-4-4-4-12 hex digits. */
static inline int
dp_is_uuid(const char *s)
{
	int bad = (s[8] ^ '-') | (s[13] ^ '-') | (s[18] ^ '-') | (s[23] ^ '-');

	for (int i = 0; i < 36; i++)
		if (i != 8 && i != 13 && i != 18 && i != 23)
			bad |= dp_hexval((uint8_t)s[i]) < 0;
	return !bad;
}

/* n hex digits (n even, at most 2 * size, size at most 16) into out[size],
 * right-aligned; -1 if not hex, too long, odd or all zero (ids that are
 * all zeros are invalid in every format). Trace and span ids are 16 and 32
 * digits on every call: 16 at a time where the CPU allows. */
static inline int
dp_parse_hex(const char *s, uint32_t n, uint8_t *out, uint32_t size)
{
	uint8_t tmp[16] = { 0 };

	if (n == 0 || n > 2 * size || n % 2 || size > sizeof(tmp))
		return -1;
	uint8_t *o = tmp + size - n / 2;
	uint32_t i = 0;
#ifdef __SSSE3__
	for (; i + 16 <= n; i += 16, o += 8)
		if (dp_hex16(s + i, o) < 0)
			return -1;
#endif
	for (; i < n; i += 2) {
		int hi = dp_hexval((uint8_t)s[i]), lo = dp_hexval((uint8_t)s[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		*o++ = (uint8_t)(hi << 4 | lo);
	}
	uint8_t any = 0;
	for (uint32_t k = 0; k < size; k++)
		any |= tmp[k];
	if (!any)
		return -1;
	memcpy(out, tmp, size);
	return 0;
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

static inline int
dp_is_alnum(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* FNV-1a, case-folded where a user name's case does not matter: the
 * unkeyed hash of a log-in's user name and password until dp_call keys it. */
static inline uint64_t
dp_fnv64(const char *s, uint32_t n, int fold)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t b = (uint8_t)s[i];
		if (fold && b >= 'A' && b <= 'Z')
			b |= 0x20;
		h = (h ^ b) * 0x100000001b3ull;
	}
	return h | 1;	/* 0 is "none" */
}

/* Whether s[0, n) is one of the count names of list, ignoring case. */
static inline int
dp_name_in(const char *s, size_t n, const char *const *list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(list[i]) == n && strncasecmp(s, list[i], n) == 0)
			return 1;
	return 0;
}

/* First address of an X-Forwarded-For value (the original client),
 * trimmed; its length, 0 for none. */
static inline uint32_t
dp_xff_first(const char *v, uint32_t n, const char **out)
{
	uint32_t e = 0;

	while (n && *v == ' ')
		v++, n--;
	while (e < n && v[e] != ',' && v[e] != ' ')
		e++;
	*out = v;
	return e;
}

/* Whether a parameter, header or field name is a credential's (its value
 * is never written in clear): a case-insensitive substring of the first
 * list, or a word of the second (so "card_pin" is one and "ping" or
 * "classname" are not). */
static inline int
dp_secret_name(const char *s, size_t n)
{
	static const char *const parts[] = {
		"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "api-key",
		"authorization", "credential", "session", "cookie", "cvv", "card_number",
		"private_key", NULL
	};
	static const char *const words[] = { "pin", "ssn", NULL };

	for (int w = 0; w < 2; w++)
		for (const char *const *p = w ? words : parts; *p; p++) {
			size_t k = 0;
			while ((*p)[k])
				k++;
			for (size_t i = 0; i + k <= n; i++)
				if (strncasecmp(s + i, *p, k) == 0 && (!w ||
						((i == 0 || !dp_is_alnum(s[i - 1])) &&
						(i + k == n || !dp_is_alnum(s[i + k])))))
					return 1;
		}
	return 0;
}

#endif
