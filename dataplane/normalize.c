/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Normalization before scanning (hot path): so that no encoding hides a
 * payload from the rules. Each pass is one linear copy; most values need
 * none, which one table lookup per byte finds out.
 *
 * Order, repeated until nothing changes (at most MAX_ROUNDS): percent
 * decoding (%XX and IIS-style %uXXXX), then HTML character references; then
 * once: overlong, fullwidth and enclosed (circled) forms of ASCII folded to
 * ASCII, NUL bytes dropped. Paths are not resolved: '..' segments are the
 * evidence of traversal, '//' belongs to URLs put in path segments, and a
 * backslash may be a Windows separator or a shell escape; the rules accept
 * both slashes. ('+' as a space is the caller's business: it holds in query
 * strings and forms only, and only before decoding.)
 */
#include <string.h>

#include "dp_text.h"
#include "prefilter.h"

#define MAX_ROUNDS 4

/* bytes that make a value need work: % & NUL and non-ASCII */
static const uint8_t special[256] = {
	[0] = 1, ['%'] = 1, ['&'] = 1,
	[0x80 ... 0xff] = 1,
};

/* One round of percent decoding; *changed is set if anything was decoded. */
static uint32_t
url_round(const char *s, uint32_t n, char *o, uint32_t cap, int *changed)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n && k + 3 <= cap; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '%' && i + 2 < n && dp_hexval((uint8_t)s[i + 1]) >= 0 &&
				dp_hexval((uint8_t)s[i + 2]) >= 0) {
			o[k++] = (char)(dp_hexval((uint8_t)s[i + 1]) << 4 | dp_hexval((uint8_t)s[i + 2]));
			i += 2;
			*changed = 1;
		} else if (c == '%' && i + 5 < n && (s[i + 1] | 0x20) == 'u' &&
				dp_hexval((uint8_t)s[i + 2]) >= 0 && dp_hexval((uint8_t)s[i + 3]) >= 0 &&
				dp_hexval((uint8_t)s[i + 4]) >= 0 && dp_hexval((uint8_t)s[i + 5]) >= 0) {
			uint32_t cp = (uint32_t)(dp_hexval((uint8_t)s[i + 2]) << 12 |
					dp_hexval((uint8_t)s[i + 3]) << 8 |
					dp_hexval((uint8_t)s[i + 4]) << 4 | dp_hexval((uint8_t)s[i + 5]));
			k += dp_put_utf8(o + k, cp);
			i += 5;
			*changed = 1;
		} else {
			o[k++] = (char)c;
		}
	}
	return k;
}

static const struct {
	const char *name;
	uint8_t len;
	char c;
} entities[] = {
	{ "lt", 2, '<' }, { "gt", 2, '>' }, { "amp", 3, '&' }, { "quot", 4, '"' },
	{ "apos", 4, '\'' }, { "sol", 3, '/' }, { "bsol", 4, '\\' }, { "lpar", 4, '(' },
	{ "rpar", 4, ')' }, { "colon", 5, ':' }, { "semi", 4, ';' }, { "comma", 5, ',' },
	{ "period", 6, '.' }, { "excl", 4, '!' }, { "num", 3, '#' }, { "dollar", 6, '$' },
	{ "percnt", 6, '%' }, { "plus", 4, '+' }, { "equals", 6, '=' }, { "Tab", 3, '\t' },
	{ "NewLine", 7, '\n' }, { "lsqb", 4, '[' }, { "rsqb", 4, ']' }, { "lcub", 4, '{' },
	{ "rcub", 4, '}' }, { "grave", 5, '`' }, { "quest", 5, '?' }, { "verbar", 6, '|' },
	{ "ast", 3, '*' }, { "lowbar", 6, '_' }, { "Hat", 3, '^' }, { "nbsp", 4, ' ' },
};

/* One round of HTML character references (numeric and the ASCII names);
 * the ';' may be missing, as browsers allow. */
static uint32_t
html_round(const char *s, uint32_t n, char *o, uint32_t cap, int *changed)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n && k + 3 <= cap; i++) {
		if (s[i] != '&' || i + 2 >= n) {
			o[k++] = s[i];
			continue;
		}
		uint32_t j = i + 1, cp = 0, digits = 0;
		if (s[j] == '#') {
			int hex = j + 1 < n && (s[j + 1] | 0x20) == 'x';
			j += hex ? 2 : 1;
			while (j < n && digits < 8) {
				int v = hex ? dp_hexval((uint8_t)s[j]) :
					(s[j] >= '0' && s[j] <= '9' ? s[j] - '0' : -1);
				if (v < 0)
					break;
				cp = cp * (hex ? 16u : 10u) + (uint32_t)v;
				j++;
				digits++;
			}
			if (digits && cp > 0 && cp < 0x10000) {
				if (j < n && s[j] == ';')
					j++;
				k += dp_put_utf8(o + k, cp);
				i = j - 1;
				*changed = 1;
				continue;
			}
		} else {
			unsigned int e;
			for (e = 0; e < sizeof(entities) / sizeof(entities[0]); e++)
				if (j + entities[e].len <= n &&
						memcmp(s + j, entities[e].name, entities[e].len) == 0)
					break;
			if (e < sizeof(entities) / sizeof(entities[0])) {
				j += entities[e].len;
				if (j < n && s[j] == ';')
					j++;
				o[k++] = entities[e].c;
				i = j - 1;
				*changed = 1;
				continue;
			}
		}
		o[k++] = s[i];
	}
	return k;
}

/* Overlong, fullwidth and circled forms of ASCII to ASCII, NUL out. */
static uint32_t
final_pass(const char *s, uint32_t n, char *o, uint32_t cap)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n && k < cap; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == 0)
			continue;
		if ((c == 0xc0 || c == 0xc1) && i + 1 < n && ((uint8_t)s[i + 1] & 0xc0) == 0x80) {
			c = (uint8_t)((c & 0x1f) << 6 | ((uint8_t)s[i + 1] & 0x3f));	/* overlong */
			i += 1;
		} else if (c == 0xe0 && i + 2 < n && ((uint8_t)s[i + 1] & 0xe0) == 0x80 &&
				((uint8_t)s[i + 2] & 0xc0) == 0x80 && ((uint8_t)s[i + 1] & 0x1f) < 2) {
			c = (uint8_t)(((uint8_t)s[i + 1] & 0x3f) << 6 | ((uint8_t)s[i + 2] & 0x3f));
			i += 2;
		} else if (c == 0xef && i + 2 < n && ((uint8_t)s[i + 1] == 0xbc ||
					(uint8_t)s[i + 1] == 0xbd) && ((uint8_t)s[i + 2] & 0xc0) == 0x80) {
			/* fullwidth U+FF01..U+FF5E to ASCII 0x21..0x7E */
			uint32_t cp = 0xf000u | ((uint32_t)((uint8_t)s[i + 1] & 0x3f) << 6) |
				((uint8_t)s[i + 2] & 0x3fu);
			if (cp >= 0xff01 && cp <= 0xff5e) {
				c = (uint8_t)(cp - 0xff01 + 0x21);
				i += 2;
			}
		}
		if (c == 0)
			continue;
		else if (c == 0xe2 && i + 2 < n && ((uint8_t)s[i + 1] == 0x91 ||
					(uint8_t)s[i + 1] == 0x92 || (uint8_t)s[i + 1] == 0x93)) {
			/* enclosed alphanumerics: circled digits and letters */
			uint32_t cp = 0x2000u | ((uint32_t)((uint8_t)s[i + 1] & 0x3f) << 6) |
				((uint8_t)s[i + 2] & 0x3fu);
			uint8_t a = 0;
			if (cp >= 0x2460 && cp <= 0x2468)
				a = (uint8_t)('1' + (cp - 0x2460));
			else if (cp == 0x24ea)
				a = '0';
			else if (cp >= 0x24b6 && cp <= 0x24cf)
				a = (uint8_t)('a' + (cp - 0x24b6));
			else if (cp >= 0x24d0 && cp <= 0x24e9)
				a = (uint8_t)('a' + (cp - 0x24d0));
			if (a) {
				c = a;
				i += 2;
			}
		}
		o[k++] = (char)c;
	}
	return k;
}

int
pf_normalize(const char *s, uint32_t n, char *out, uint32_t cap)
{
	char tmp[PF_WORK];
	uint32_t i;

	for (i = 0; i < n; i++)
		if (special[(uint8_t)s[i]])
			break;
	if (i == n)
		return -1;
	if (cap > sizeof(tmp))
		cap = sizeof(tmp);
	if (n > cap)
		n = cap;

	/* rounds alternate between out and tmp; cur is the latest text */
	const char *cur = s;
	uint32_t len = n;
	char *bufs[2] = { out, tmp };
	int b = 0;
	for (int round = 0; round < MAX_ROUNDS; round++) {
		int changed = 0;
		len = url_round(cur, len, bufs[b], cap, &changed);
		cur = bufs[b];
		b ^= 1;
		len = html_round(cur, len, bufs[b], cap, &changed);
		cur = bufs[b];
		b ^= 1;
		if (!changed)
			break;
	}
	len = final_pass(cur, len, bufs[b], cap);
	if (bufs[b] != out)
		memcpy(out, bufs[b], len);
	return (int)len;
}

/* Appends c, or one space for a run of whitespace; returns the new length. */
static inline uint32_t
put_collapsed(char *o, uint32_t k, uint8_t c, int is_space, int *in_space)
{
	if (is_space) {
		if (!*in_space)
			o[k++] = ' ';
		*in_space = 1;
		return k;
	}
	*in_space = 0;
	o[k++] = (char)c;
	return k;
}

uint32_t
pf_sh_collapse(const char *s, uint32_t n, char *o, uint32_t cap)
{
	uint32_t k = 0;
	int space = 0;

	for (uint32_t i = 0; i < n && k < cap; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '\'' || c == '"' || c == '^' || (c == '\\' && i + 1 < n && s[i + 1] != '\\'))
			continue;
		if (c == '$' && i + 1 < n && (s[i + 1] == '@' || s[i + 1] == '*')) {
			i++;
			continue;
		}
		if (c == '$' && i + 2 < n && ((s[i + 1] == '{' && s[i + 2] == '}') ||
					(s[i + 1] == '(' && s[i + 2] == ')'))) {
			i += 2;
			continue;
		}
		k = put_collapsed(o, k, c, c == ' ' || c == '\t' || c == '\v' || c == '\f', &space);
	}
	return k;
}

uint32_t
pf_sql_collapse(const char *s, uint32_t n, char *o, uint32_t cap)
{
	uint32_t k = 0;
	int space = 0;

	for (uint32_t i = 0; i < n && k < cap; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '/' && i + 1 < n && s[i + 1] == '*') {
			if (i + 2 < n && s[i + 2] == '!') {
				/* MySQL executable comment: keep what is inside */
				i += 2;
				while (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '9')
					i++;
				c = ' ';
			} else {
				const char *end = NULL;
				for (uint32_t j = i + 2; j + 1 < n; j++)
					if (s[j] == '*' && s[j + 1] == '/') {
						end = s + j;
						break;
					}
				i = end ? (uint32_t)(end - s) + 1 : n;
				c = ' ';
			}
		} else if (c == '*' && i + 1 < n && s[i + 1] == '/') {
			i++;	/* the end of a kept executable comment */
			c = ' ';
		}
		k = put_collapsed(o, k, c, c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
				c == '\v' || c == '\f', &space);
	}
	return k;
}
