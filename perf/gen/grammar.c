/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Grammar loader and expander. Control path (load) and generator hot path
 * (expand) in one file because they share the node representation; expand
 * allocates nothing.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grammar.h"

#define MAX_DEPTH 48
#define MAX_NAME 48

enum ntype { N_LIT, N_REF, N_BUILTIN, N_SEQ, N_ALT, N_REP };

enum builtin { B_INT, B_HEX, B_WORD, B_IP4, B_DIGITS, B_ALNUM };

struct node {
	enum ntype type;
	int a, b;		/* LIT: text offset, length; REF: rule, line;
				 * BUILTIN: lo, hi; SEQ/ALT: first kid, count;
				 * REP: min, max */
	int c;			/* LIT: icase; BUILTIN: kind; REP: child;
				 * ALT: total weight */
};

struct rule {
	char name[MAX_NAME];
	int root;		/* node index, -1 until defined */
	int line;		/* first use or definition, for errors */
};

struct grammar {
	char *text;		/* literal bytes */
	size_t text_len, text_cap;
	struct node *nodes;
	int n_nodes, nodes_cap;
	int *kids;		/* SEQ/ALT children, contiguous per node */
	int n_kids, kids_cap;
	int *weights;		/* parallel to kids for ALT nodes */
	struct rule *rules;
	int n_rules, rules_cap;
};

struct parser {
	struct grammar *g;
	const char *p, *end, *path;
	int line;
	char *err;
	size_t errlen;
	int failed;
};

static void
perr(struct parser *ps, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->failed)
		return;
	ps->failed = 1;
	n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->path, ps->line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
	va_end(ap);
}

static void *
grow(void *p, int *cap, int need, size_t elem)
{
	if (need <= *cap)
		return p;
	int ncap = *cap ? *cap * 2 : 64;
	while (ncap < need)
		ncap *= 2;
	void *q = realloc(p, (size_t)ncap * elem);
	if (q == NULL)
		return NULL;
	*cap = ncap;
	return q;
}

static int
new_node(struct parser *ps, enum ntype t, int a, int b, int c)
{
	struct grammar *g = ps->g;
	struct node *n = grow(g->nodes, &g->nodes_cap, g->n_nodes + 1, sizeof(*n));

	if (n == NULL) {
		perr(ps, "out of memory");
		return -1;
	}
	g->nodes = n;
	n[g->n_nodes] = (struct node){ .type = t, .a = a, .b = b, .c = c };
	return g->n_nodes++;
}

static int
rule_ref(struct parser *ps, const char *name, size_t len)
{
	struct grammar *g = ps->g;

	if (len >= MAX_NAME) {
		perr(ps, "rule name too long (max %d)", MAX_NAME - 1);
		return -1;
	}
	for (int i = 0; i < g->n_rules; i++)
		if (strlen(g->rules[i].name) == len &&
				memcmp(g->rules[i].name, name, len) == 0)
			return i;
	struct rule *r = grow(g->rules, &g->rules_cap, g->n_rules + 1, sizeof(*r));
	if (r == NULL) {
		perr(ps, "out of memory");
		return -1;
	}
	g->rules = r;
	memcpy(r[g->n_rules].name, name, len);
	r[g->n_rules].name[len] = '\0';
	r[g->n_rules].root = -1;
	r[g->n_rules].line = ps->line;
	return g->n_rules++;
}

static void
skip_space(struct parser *ps)
{
	while (ps->p < ps->end) {
		if (*ps->p == '\n') {
			ps->line++;
			ps->p++;
		} else if (isspace((unsigned char)*ps->p)) {
			ps->p++;
		} else if (*ps->p == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else {
			break;
		}
	}
}

static int
is_ident(int c)
{
	return isalnum(c) || c == '_';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
parse_string(struct parser *ps, int icase)
{
	struct grammar *g = ps->g;
	int start = (int)g->text_len;

	ps->p++;	/* opening quote */
	while (ps->p < ps->end && *ps->p != '"') {
		int c = (unsigned char)*ps->p++;

		if (c == '\n') {
			perr(ps, "newline inside string literal");
			return -1;
		}
		if (c == '\\') {
			if (ps->p >= ps->end)
				break;
			c = (unsigned char)*ps->p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case '0': c = '\0'; break;
			case '\\': case '"': break;
			case 'x': {
				int h, l;

				if (ps->end - ps->p < 2 ||
						(h = hexval(ps->p[0])) < 0 ||
						(l = hexval(ps->p[1])) < 0) {
					perr(ps, "bad \\x escape (want two hex digits)");
					return -1;
				}
				c = h * 16 + l;
				ps->p += 2;
				break;
			}
			default:
				perr(ps, "unknown escape \\%c", c);
				return -1;
			}
		}
		if (g->text_len + 1 >= g->text_cap) {
			size_t ncap = g->text_cap ? g->text_cap * 2 : 1024;
			char *t = realloc(g->text, ncap);

			if (t == NULL) {
				perr(ps, "out of memory");
				return -1;
			}
			g->text = t;
			g->text_cap = ncap;
		}
		g->text[g->text_len++] = (char)c;
	}
	if (ps->p >= ps->end) {
		perr(ps, "unterminated string literal");
		return -1;
	}
	ps->p++;
	return new_node(ps, N_LIT, start, (int)g->text_len - start, icase);
}

static int parse_alt(struct parser *ps);

static int
parse_int(struct parser *ps, int *v)
{
	char *e;
	long x;

	errno = 0;
	x = strtol(ps->p, &e, 10);
	if (e == ps->p || errno || x < 0 || x > 1000000000) {
		perr(ps, "expected a non-negative integer");
		return -1;
	}
	ps->p = e;
	*v = (int)x;
	return 0;
}

static int
parse_builtin(struct parser *ps)
{
	static const struct { const char *name; enum builtin kind; int lo, hi; } tab[] = {
		{ "int", B_INT, 1, 9999 },
		{ "hex", B_HEX, 8, 8 },
		{ "word", B_WORD, 3, 8 },
		{ "ip4", B_IP4, 0, 0 },
		{ "digits", B_DIGITS, 1, 6 },
		{ "alnum", B_ALNUM, 4, 12 },
	};
	const char *s = ++ps->p;

	while (ps->p < ps->end && is_ident((unsigned char)*ps->p))
		ps->p++;
	size_t len = (size_t)(ps->p - s);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strlen(tab[i].name) != len || memcmp(tab[i].name, s, len))
			continue;
		int lo = tab[i].lo, hi = tab[i].hi;
		if (ps->p < ps->end && *ps->p == '(') {
			ps->p++;
			if (parse_int(ps, &lo) || *ps->p++ != ',' ||
					parse_int(ps, &hi) || *ps->p++ != ')' || hi < lo) {
				perr(ps, "builtin @%s wants (lo,hi) with lo <= hi", tab[i].name);
				return -1;
			}
		}
		return new_node(ps, N_BUILTIN, lo, hi, tab[i].kind);
	}
	perr(ps, "unknown builtin @%.*s (have @int @hex @word @ip4 @digits @alnum)",
			(int)len, s);
	return -1;
}

static int
parse_atom(struct parser *ps)
{
	skip_space(ps);
	if (ps->p >= ps->end) {
		perr(ps, "unexpected end of file");
		return -1;
	}
	char c = *ps->p;
	if (c == '"')
		return parse_string(ps, 0);
	if (c == 'i' && ps->p + 1 < ps->end && ps->p[1] == '"') {
		ps->p++;
		return parse_string(ps, 1);
	}
	if (c == '@')
		return parse_builtin(ps);
	if (c == '(') {
		ps->p++;
		int n = parse_alt(ps);
		skip_space(ps);
		if (n < 0)
			return -1;
		if (ps->p >= ps->end || *ps->p != ')') {
			perr(ps, "expected ')'");
			return -1;
		}
		ps->p++;
		return n;
	}
	if (is_ident((unsigned char)c)) {
		const char *s = ps->p;
		while (ps->p < ps->end && is_ident((unsigned char)*ps->p))
			ps->p++;
		int r = rule_ref(ps, s, (size_t)(ps->p - s));
		return r < 0 ? -1 : new_node(ps, N_REF, r, ps->line, 0);
	}
	perr(ps, "unexpected character '%c'", c);
	return -1;
}

static int
parse_item(struct parser *ps)
{
	int n = parse_atom(ps);
	int lo, hi;

	if (n < 0 || ps->p >= ps->end)
		return n;
	switch (*ps->p) {
	case '?': lo = 0; hi = 1; break;
	case '*': lo = 0; hi = 3; break;
	case '+': lo = 1; hi = 3; break;
	case '{':
		ps->p++;
		if (parse_int(ps, &lo) || *ps->p++ != ',' || parse_int(ps, &hi) ||
				*ps->p != '}' || hi < lo || hi > 64) {
			perr(ps, "repetition wants {lo,hi} with lo <= hi <= 64");
			return -1;
		}
		break;
	default:
		return n;
	}
	ps->p++;
	int r = new_node(ps, N_REP, lo, hi, n);
	return r;
}

/* Pushes a list of node indices as one contiguous kids range. */
static int
push_kids(struct parser *ps, const int *ids, const int *w, int n)
{
	struct grammar *g = ps->g;
	int cap = g->kids_cap;
	int *k = grow(g->kids, &cap, g->n_kids + n, sizeof(int));
	if (k == NULL) {
		perr(ps, "out of memory");
		return -1;
	}
	g->kids = k;
	int *wt = grow(g->weights, &g->kids_cap, g->n_kids + n, sizeof(int));
	if (wt == NULL) {
		perr(ps, "out of memory");
		return -1;
	}
	g->weights = wt;
	int first = g->n_kids;
	for (int i = 0; i < n; i++) {
		g->kids[first + i] = ids[i];
		g->weights[first + i] = w ? w[i] : 1;
	}
	g->n_kids += n;
	return first;
}

#define MAX_ITEMS 256

static int
parse_seq(struct parser *ps, int *weight)
{
	int items[MAX_ITEMS], n = 0;

	*weight = 1;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == '[') {
		ps->p++;
		if (parse_int(ps, weight) || *ps->p != ']' || *weight < 1) {
			perr(ps, "weight wants [N] with N >= 1");
			return -1;
		}
		ps->p++;
	}
	for (;;) {
		skip_space(ps);
		if (ps->p >= ps->end || *ps->p == '|' || *ps->p == ';' || *ps->p == ')')
			break;
		if (n == MAX_ITEMS) {
			perr(ps, "more than %d items in one alternative", MAX_ITEMS);
			return -1;
		}
		if ((items[n++] = parse_item(ps)) < 0)
			return -1;
	}
	if (n == 1)
		return items[0];
	int first = push_kids(ps, items, NULL, n);
	return first < 0 ? -1 : new_node(ps, N_SEQ, first, n, 0);
}

static int
parse_alt(struct parser *ps)
{
	int alts[MAX_ITEMS], w[MAX_ITEMS], n = 0, total = 0;

	for (;;) {
		if (n == MAX_ITEMS) {
			perr(ps, "more than %d alternatives", MAX_ITEMS);
			return -1;
		}
		if ((alts[n] = parse_seq(ps, &w[n])) < 0)
			return -1;
		total += w[n++];
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == '|') {
			ps->p++;
			continue;
		}
		break;
	}
	if (n == 1)
		return alts[0];
	int first = push_kids(ps, alts, w, n);
	return first < 0 ? -1 : new_node(ps, N_ALT, first, n, total);
}

static int
parse_file(struct parser *ps)
{
	for (;;) {
		skip_space(ps);
		if (ps->p >= ps->end)
			return 0;
		const char *s = ps->p;
		while (ps->p < ps->end && is_ident((unsigned char)*ps->p))
			ps->p++;
		if (ps->p == s) {
			perr(ps, "expected a rule name");
			return -1;
		}
		int r = rule_ref(ps, s, (size_t)(ps->p - s));
		if (r < 0)
			return -1;
		if (ps->g->rules[r].root >= 0) {
			perr(ps, "rule '%s' defined twice", ps->g->rules[r].name);
			return -1;
		}
		ps->g->rules[r].line = ps->line;
		skip_space(ps);
		if (ps->p >= ps->end || *ps->p != '=') {
			perr(ps, "expected '=' after rule name '%s'", ps->g->rules[r].name);
			return -1;
		}
		ps->p++;
		int root = parse_alt(ps);
		if (root < 0)
			return -1;
		skip_space(ps);
		if (ps->p >= ps->end || *ps->p != ';') {
			perr(ps, "expected ';' at the end of rule '%s'", ps->g->rules[r].name);
			return -1;
		}
		ps->p++;
		ps->g->rules[r].root = root;
	}
}

struct grammar *
grammar_load(const char *path, char *err, size_t errlen)
{
	struct grammar *g = calloc(1, sizeof(*g));
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (g == NULL || f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		snprintf(err, errlen, "%s: cannot size file", path);
		goto fail;
	}
	if (size > (1 << 22)) {
		snprintf(err, errlen, "%s: grammar larger than 4 MiB", path);
		goto fail;
	}
	buf = malloc((size_t)size + 1);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		snprintf(err, errlen, "%s: read failed", path);
		goto fail;
	}
	struct parser ps = { .g = g, .p = buf, .end = buf + size, .path = path,
		.line = 1, .err = err, .errlen = errlen };
	if (parse_file(&ps))
		goto fail;
	for (int i = 0; i < g->n_rules; i++) {
		if (g->rules[i].root < 0) {
			snprintf(err, errlen, "%s:%d: rule '%s' is used but never defined",
					path, g->rules[i].line, g->rules[i].name);
			goto fail;
		}
	}
	if (g->n_rules == 0) {
		snprintf(err, errlen, "%s: no rules", path);
		goto fail;
	}
	free(buf);
	fclose(f);
	return g;
fail:
	free(buf);
	if (f)
		fclose(f);
	grammar_free(g);
	return NULL;
}

void
grammar_free(struct grammar *g)
{
	if (g == NULL)
		return;
	free(g->text);
	free(g->nodes);
	free(g->kids);
	free(g->weights);
	free(g->rules);
	free(g);
}

int
grammar_rule(const struct grammar *g, const char *name)
{
	for (int i = 0; i < g->n_rules; i++)
		if (strcmp(g->rules[i].name, name) == 0)
			return i;
	return -1;
}

struct out {
	char *p;
	size_t len, cap;
	struct rng *r;
	enum gcase cs;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->len + n >= o->cap)
		n = o->cap - 1 - o->len;
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
put_builtin(struct out *o, const struct node *n)
{
	static const char hex[] = "0123456789abcdef";
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char buf[64];
	int len = 0, k;

	switch ((enum builtin)n->c) {
	case B_INT:
		len = snprintf(buf, sizeof(buf), "%lld",
				(long long)rng_range(o->r, n->a, n->b));
		break;
	case B_HEX:
	case B_WORD:
	case B_DIGITS:
	case B_ALNUM:
		k = (int)rng_range(o->r, n->a, n->b);
		if (k > (int)sizeof(buf))
			k = sizeof(buf);
		for (len = 0; len < k; len++) {
			if (n->c == B_HEX)
				buf[len] = hex[rng_below(o->r, 16)];
			else if (n->c == B_WORD)
				buf[len] = (char)('a' + rng_below(o->r, 26));
			else if (n->c == B_DIGITS)
				buf[len] = (char)('0' + rng_below(o->r, 10));
			else
				buf[len] = alnum[rng_below(o->r, 36)];
		}
		break;
	case B_IP4: {
		static const int first[] = { 10, 172, 192, 127 };
		int a = first[rng_below(o->r, 4)];
		int b = a == 172 ? 16 + (int)rng_below(o->r, 16) :
			a == 192 ? 168 : (int)rng_below(o->r, 256);

		len = snprintf(buf, sizeof(buf), "%d.%d.%u.%u", a, b,
				rng_below(o->r, 256), 1 + rng_below(o->r, 254));
		break;
	}
	}
	put(o, buf, (size_t)len);
}

static void
expand(const struct grammar *g, struct out *o, int id, int depth)
{
	const struct node *n = &g->nodes[id];

	if (o->len + 1 >= o->cap)
		return;
	switch (n->type) {
	case N_LIT: {
		const char *s = g->text + n->a;
		size_t start = o->len;

		put(o, s, (size_t)n->b);
		if (n->c && o->cs != GCASE_ASIS) {
			for (size_t i = start; i < o->len; i++) {
				unsigned char c = (unsigned char)o->p[i];
				if (o->cs == GCASE_UPPER || rng_below(o->r, 2))
					o->p[i] = (char)(islower(c) ? toupper(c) : c);
				else
					o->p[i] = (char)(isupper(c) ? tolower(c) : c);
			}
		}
		break;
	}
	case N_REF:
		expand(g, o, g->rules[n->a].root, depth + 1);
		break;
	case N_BUILTIN:
		put_builtin(o, n);
		break;
	case N_SEQ:
		for (int i = 0; i < n->b; i++)
			expand(g, o, g->kids[n->a + i], depth + 1);
		break;
	case N_ALT: {
		/* Past MAX_DEPTH the first alternative is taken: by convention
		 * (README) it is the one that terminates. */
		int pick = 0;

		if (depth < MAX_DEPTH) {
			int x = (int)rng_below(o->r, (uint32_t)n->c);
			for (pick = 0; pick < n->b - 1; pick++) {
				x -= g->weights[n->a + pick];
				if (x < 0)
					break;
			}
		}
		expand(g, o, g->kids[n->a + pick], depth + 1);
		break;
	}
	case N_REP: {
		int k = depth < MAX_DEPTH ? (int)rng_range(o->r, n->a, n->b) : n->a;

		for (int i = 0; i < k; i++)
			expand(g, o, n->c, depth + 1);
		break;
	}
	}
}

size_t
grammar_expand(const struct grammar *g, int rule, struct rng *r, enum gcase cs,
		char *out, size_t cap)
{
	struct out o = { .p = out, .cap = cap, .r = r, .cs = cs };

	if (cap == 0)
		return 0;
	if (rule >= 0 && rule < g->n_rules)
		expand(g, &o, g->rules[rule].root, 0);
	out[o.len] = '\0';
	return o.len;
}

size_t
grammar_expand_name(const struct grammar *g, const char *name, struct rng *r,
		enum gcase cs, char *out, size_t cap)
{
	return grammar_expand(g, grammar_rule(g, name), r, cs, out, cap);
}
