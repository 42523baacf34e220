/* SPDX-License-Identifier: BSD-3-Clause */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "encode.h"

const char *const ctx_names[CTX_N] = {
	"query", "path", "form", "json", "header", "cookie",
};

const char *const evasion_names[EV_N] = {
	"none", "raw", "pct", "full", "double", "unicode", "overlong", "mixed", "html",
};

int
evasion_from_name(const char *s)
{
	for (int i = 0; i < EV_N; i++)
		if (strcmp(evasion_names[i], s) == 0)
			return i;
	return -1;
}

struct w {
	char *p;
	size_t len, cap;
};

static void
wc(struct w *w, char c)
{
	if (w->len + 1 < w->cap)
		w->p[w->len++] = c;
}

static void
ws(struct w *w, const char *s)
{
	while (*s)
		wc(w, *s++);
}

static void
pct(struct w *w, unsigned char c, int lower)
{
	static const char up[] = "0123456789ABCDEF", lo[] = "0123456789abcdef";
	const char *h = lower ? lo : up;

	wc(w, '%');
	wc(w, h[c >> 4]);
	wc(w, h[c & 15]);
}

/*
 * Must a byte be encoded in this context for the message to stay valid HTTP
 * and keep its meaning? (what EV_RAW leaves alone)
 */
static int
must_encode(unsigned char c, enum ctx x)
{
	if (c <= 0x20 || c >= 0x7f || c == '%' || c == '#')
		return 1;
	switch (x) {
	case CTX_QUERY:
	case CTX_FORM:
		return c == '&' || c == '=' || c == '+';
	case CTX_PATH:
		return c == '/' || c == '?';
	case CTX_COOKIE:
		return c == ';' || c == ',' || c == '"' || c == '\\';
	default:
		return 0;
	}
}

/* What a browser or a well-behaved HTTP library encodes (encodeURIComponent
 * keeps A-Z a-z 0-9 - _ . ! ~ * ' ( )). */
static int
std_encode(unsigned char c, enum ctx x)
{
	if (must_encode(c, x))
		return 1;
	if (isalnum(c) || strchr("-_.!~*'()", c))
		return 0;
	/* Paths keep the sub-delimiters RFC 3986 allows in a segment. */
	if (x == CTX_PATH && strchr(":@$,;", c))
		return 0;
	return 1;
}

static void
url_like(struct w *w, const unsigned char *s, size_t len, enum ctx x,
		enum evasion ev, struct rng *r)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		int special = !isalnum(c);

		if (c == ' ' && x == CTX_FORM && ev != EV_FULL && ev != EV_PCT &&
				ev != EV_DOUBLE) {
			wc(w, '+');
			continue;
		}
		switch (ev) {
		case EV_NONE:
		case EV_HTML:
			if (std_encode(c, x))
				pct(w, c, 0);
			else
				wc(w, (char)c);
			break;
		case EV_RAW:
			if (c == ' ' && x == CTX_QUERY && rng_below(r, 2))
				wc(w, '+');
			else if (must_encode(c, x))
				pct(w, c, 0);
			else
				wc(w, (char)c);
			break;
		case EV_PCT:
			if (special)
				pct(w, c, 0);
			else
				wc(w, (char)c);
			break;
		case EV_FULL:
			pct(w, c, rng_below(r, 4) == 0);
			break;
		case EV_DOUBLE:
			if (special) {
				ws(w, "%25");
				static const char h[] = "0123456789ABCDEF";
				wc(w, h[c >> 4]);
				wc(w, h[c & 15]);
			} else {
				wc(w, (char)c);
			}
			break;
		case EV_UNICODE:
			if (special && c < 0x80) {
				static const char h[] = "0123456789abcdef";
				ws(w, "%u00");
				wc(w, h[c >> 4]);
				wc(w, h[c & 15]);
			} else if (must_encode(c, x)) {
				pct(w, c, 0);
			} else {
				wc(w, (char)c);
			}
			break;
		case EV_OVERLONG:
			/* Two-byte overlong form of an ASCII byte: C0|c>>6, 80|c&3f. */
			if (c == '/' || c == '.' || c == '\'' || c == '<' || c == '\\') {
				pct(w, (unsigned char)(0xc0 | (c >> 6)), 1);
				pct(w, (unsigned char)(0x80 | (c & 0x3f)), 1);
			} else if (std_encode(c, x)) {
				pct(w, c, 0);
			} else {
				wc(w, (char)c);
			}
			break;
		case EV_MIXED:
			if (must_encode(c, x) || (special && rng_below(r, 2)) ||
					rng_below(r, 16) == 0)
				pct(w, c, (int)rng_below(r, 2));
			else
				wc(w, (char)c);
			break;
		default:
			wc(w, (char)c);
		}
	}
}

static void
json_str(struct w *w, const unsigned char *s, size_t len, enum evasion ev,
		struct rng *r)
{
	static const char h[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		int esc = c < 0x20 || c == '"' || c == '\\';

		if ((ev == EV_UNICODE || ev == EV_PCT) && !isalnum(c) && c < 0x80)
			esc = 2;
		else if (ev == EV_MIXED && !isalnum(c) && c < 0x80 && rng_below(r, 2))
			esc = 2;
		if (!esc) {
			if (c == '/' && ev == EV_MIXED)
				ws(w, "\\/");
			else
				wc(w, (char)c);
		} else if (esc == 1 && c == '"') {
			ws(w, "\\\"");
		} else if (esc == 1 && c == '\\') {
			ws(w, "\\\\");
		} else if (esc == 1 && c == '\n') {
			ws(w, "\\n");
		} else if (esc == 1 && c == '\t') {
			ws(w, "\\t");
		} else {
			ws(w, "\\u00");
			wc(w, h[c >> 4]);
			wc(w, h[c & 15]);
		}
	}
}

static void
header_val(struct w *w, const unsigned char *s, size_t len, enum evasion ev,
		struct rng *r)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];

		/* A header value cannot carry CR, LF or NUL: a real client
		 * would send them percent-encoded or not at all. */
		if (c == '\r' || c == '\n' || c == 0 || c == 0x7f ||
				(c < 0x20 && c != '\t'))
			pct(w, c, 0);
		else if ((ev == EV_PCT || ev == EV_DOUBLE || ev == EV_MIXED) &&
				!isalnum(c) && c != ' ' && rng_below(r, ev == EV_MIXED ? 3 : 1) == 0)
			pct(w, c, 0);
		else
			wc(w, (char)c);
	}
}

/* HTML numeric entities for the characters a filter would look for. */
static size_t
html_entities(const char *raw, size_t len, struct rng *r, char *out, size_t cap)
{
	struct w w = { out, 0, cap };

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)raw[i];
		if (strchr("<>\"'()/:=", c) && c) {
			char buf[12];
			int n = rng_below(r, 2) ?
				snprintf(buf, sizeof(buf), "&#x%x;", c) :
				snprintf(buf, sizeof(buf), "&#%d;", c);
			for (int k = 0; k < n; k++)
				wc(&w, buf[k]);
		} else {
			wc(&w, (char)c);
		}
	}
	out[w.len] = '\0';
	return w.len;
}

size_t
encode_value(const char *raw, size_t len, enum ctx c, enum evasion ev,
		struct rng *r, char *out, size_t cap)
{
	struct w w = { out, 0, cap };
	char tmp[4096];

	if (cap == 0)
		return 0;
	if (ev == EV_HTML) {
		len = html_entities(raw, len, r, tmp, sizeof(tmp));
		raw = tmp;
	}
	switch (c) {
	case CTX_JSON:
		json_str(&w, (const unsigned char *)raw, len, ev, r);
		break;
	case CTX_HEADER:
		header_val(&w, (const unsigned char *)raw, len, ev, r);
		break;
	default:
		url_like(&w, (const unsigned char *)raw, len, c, ev, r);
		break;
	}
	out[w.len] = '\0';
	return w.len;
}

size_t
b64url(const void *in, size_t len, char *out, size_t cap)
{
	static const char t[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *s = in;
	size_t o = 0, i;

	for (i = 0; i + 2 < len && o + 4 < cap; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		out[o++] = t[(v >> 6) & 63];
		out[o++] = t[v & 63];
	}
	if (i < len && o + 3 < cap) {
		uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < len ? (uint32_t)s[i + 1] << 8 : 0);
		out[o++] = t[v >> 18];
		out[o++] = t[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = t[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}
