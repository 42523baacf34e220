/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pre-filter scanning (hot path, rx lcores): see prefilter.h.
 *
 * Matched values are copied, normalized, into the event's MW_FIELD_norm as
 * records "NAME=VALUE" separated by 0x1e; each mw_match points into that
 * field (from/to), so the payload model and the alert see exactly the text
 * the rule saw. Long values are cut to a window around the match.
 */
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#include <jsmn.h>
#include <hs/hs.h>
#include <string.h>
#include <strings.h>
#include <rte_hash_crc.h>

#include "dp.h"
#include "dp_text.h"
#include "prefilter.h"

#define NORM_WINDOW 384		/* bytes of a long value kept around its matches */


/* What a byte may change: the SQL reading (a space, other whitespace, the
 * halves of a comment mark), the shell reading; and whether it is a word
 * byte (letter, digit, underscore). */
enum {
	SQL_SPACE = 1, SQL_WS = 8, SQL_SLASH = 16, SQL_STAR = 32,
	READ_SQL = SQL_SPACE | SQL_WS | SQL_SLASH | SQL_STAR, READ_SH = 2, WORD = 4,
};
static const uint8_t byte_class[256] = {
	['0' ... '9'] = WORD, ['A' ... 'Z'] = WORD, ['a' ... 'z'] = WORD, ['_'] = WORD,
	[' '] = SQL_SPACE, ['\t'] = SQL_WS, ['\n'] = SQL_WS, ['\r'] = SQL_WS,
	['\v'] = SQL_WS, ['\f'] = SQL_WS, ['/'] = SQL_SLASH, ['*'] = SQL_STAR,
	['\''] = READ_SH, ['"'] = READ_SH, ['\\'] = READ_SH, ['^'] = READ_SH, ['$'] = READ_SH,
};

/* SQL_PAIR: bytes the SQL reading changes: two spaces in a row, a slash
 * and a star either way round, whitespace other than a space. */
enum { SQL_PAIR = 64 };

/* The readings the text needs. The SQL reading
 * is needed only where it changes the text (other whitespace than single
 * spaces, a comment mark): a path's slashes and a user agent's spaces leave
 * it the same, and finding that out by writing it cost more than the scan
 * it saved. */
static inline uint8_t
readings(const char *s, uint32_t n)
{
	uint8_t any = 0, prev = 0, pair = 0;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t b = byte_class[(uint8_t)s[i]];
		any |= b;
		pair |= (prev & b & SQL_SPACE) | ((uint8_t)(prev << 1) & b & SQL_STAR) |
			((prev >> 1) & b & SQL_SLASH);
		prev = b;
	}
	if ((any & SQL_WS) || pair)
		any |= SQL_PAIR;
	return any;
}

#define JSON_TOKENS 256
#define RS '\x1e'

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
		unsigned int flags, void *arg)
{
	struct pf_ctx *c = arg;

	(void)flags;
	if (!(c->e->rules[id].classes & (1u << c->field)))
		return 0;	/* the rule does not hold for this field */
	for (uint32_t i = c->n_base; i < c->n_hit; i++)
		if (c->hit[i].rule == id) {
			/* a rule once per text: keep its widest match */
			if (from < c->hit[i].from)
				c->hit[i].from = (uint16_t)from;
			return 0;
		}
	if (c->n_hit < PF_MAX_HITS) {
		c->hit[c->n_hit].rule = (uint16_t)id;
		c->hit[c->n_hit].from = (uint16_t)from;
		c->hit[c->n_hit].to = (uint16_t)to;
		c->n_hit++;
		return 0;
	}
	return 1;	/* full: stop this scan, we have enough to go on */
}

/* Keeps the strongest matches: a full array gives up its weakest. Matches
 * name rules by catalog number: a call's body may be scanned by the rules
 * of a reload that came after its head was. */
static void
add_match(struct pf_ctx *c, struct mw_event *ev, const struct pf_rule *r, uint8_t cls,
		uint16_t from, uint16_t to)
{
	struct mw_match m = { .rule = r->ref, .field = cls, .category = r->category,
		.from = from, .to = to };
	const struct pf_known *known = c->e->cat->r;
	unsigned int k = ev->pf_nmatch;

	ev->pf_categories |= 1u << r->category;
	for (unsigned int i = 0; i < k; i++)
		if (ev->pf[i].rule == r->ref)
			return;		/* one match per rule: the first place it fired */
	if (k == MW_EVENT_MAX_MATCHES) {
		unsigned int weakest = 0;
		for (unsigned int i = 1; i < k; i++)
			if (known[ev->pf[i].rule].severity < known[ev->pf[weakest].rule].severity)
				weakest = i;
		if (known[ev->pf[weakest].rule].severity >= r->severity)
			return;
		ev->pf[weakest] = m;
		return;
	}
	ev->pf[ev->pf_nmatch++] = m;
}

/* Copies the matched text into MW_FIELD_norm and records the matches. */
static void
record(struct pf_ctx *c, struct mw_event *ev, enum pf_class cls, const char *name,
		uint32_t nlen, const char *text, uint32_t len, uint32_t h0, uint32_t h1)
{
	uint32_t lo = UINT32_MAX, hi = 0;

	for (uint32_t i = h0; i < h1; i++) {
		c->rule_hits[c->e->rules[c->hit[i].rule].ref]++;
		lo = RTE_MIN(lo, (uint32_t)c->hit[i].from);
		hi = RTE_MAX(hi, (uint32_t)c->hit[i].to);
	}
	/* window: the matches with context, at most NORM_WINDOW bytes */
	uint32_t start = lo > NORM_WINDOW / 4 ? lo - NORM_WINDOW / 4 : 0;
	uint32_t last = hi > start ? hi : start;
	uint32_t end = RTE_MIN(len, last + NORM_WINDOW / 4);
	if (end - start > NORM_WINDOW)
		end = start + NORM_WINDOW;
	nlen = RTE_MIN(nlen, 48u);

	char sep = RS;
	if (ev->field[MW_FIELD_norm].len)
		dp_event_append_field(ev, MW_FIELD_norm, &sep, 1);
	if (nlen)
		dp_event_append_field(ev, MW_FIELD_norm, name, nlen);
	dp_event_append_field(ev, MW_FIELD_norm, "=", 1);
	uint32_t base = ev->field[MW_FIELD_norm].len;
	if (dp_event_append_field(ev, MW_FIELD_norm, text + start, end - start) < 0 &&
			ev->field[MW_FIELD_norm].len <= base)
		base = UINT32_MAX;	/* no room: categories still count */
	for (uint32_t i = h0; i < h1; i++) {
		const struct pf_rule *r = &c->e->rules[c->hit[i].rule];
		uint32_t f = c->hit[i].from, t = c->hit[i].to;
		uint16_t from = 0, to = 0;
		if (base != UINT32_MAX) {
			f = RTE_MAX(f, start);
			t = RTE_MIN(t, end);
			uint32_t flen = ev->field[MW_FIELD_norm].len;
			uint32_t a = base + f - start, z = base + (t > f ? t : f) - start;
			from = (uint16_t)(a < flen ? a : flen);
			to = (uint16_t)(z < flen ? z : flen);
		}
		add_match(c, ev, r, (uint8_t)cls, from, to);
	}
}

static void
scan_db(struct pf_ctx *c, const struct hs_database *db, const char *text, uint32_t len)
{
	c->scans++;
	c->scanned_bytes += len;
	hs_scan(db, text, len, 0, c->scratch, on_match, c);
}

/* One reading of the text: the fast database says whether, and only then
 * the start-of-match database says where. */
static void
scan_reading(struct pf_ctx *c, struct mw_event *ev, enum pf_class cls, const char *name,
		uint32_t nlen, const char *text, uint32_t len, enum pf_variant v)
{
	uint32_t before = c->n_hit;

	if (!(c->e->readings[c->field] & (1u << v)) || len == 0)
		return;
	c->n_base = before;
	scan_db(c, c->e->db[v], text, len);
	if (c->n_hit == before)
		return;
	c->n_hit = before;
	scan_db(c, c->e->som[v], text, len);
	if (c->n_hit > before)
		record(c, ev, cls, name, nlen, text, len, before, c->n_hit);
}

int
pf_sql_changes(const char *s, uint32_t n)
{
	return (readings(s, n) & SQL_PAIR) != 0;
}

/* The SQL or shell reading, if it differs from the text at all. */
static void
scan_variant(struct pf_ctx *c, struct mw_event *ev, enum pf_class cls, const char *name,
		uint32_t nlen, const char *text, uint32_t len, uint8_t seen, enum pf_variant v,
		uint32_t (*collapse)(const char *, uint32_t, char *, uint32_t))
{
	if (!(c->e->readings[c->field] & (1u << v)))
		return;
	if (v == PF_VAR_SQL && len <= PF_WORK && !(seen & SQL_PAIR))
		return;		/* reads the same: the plain reading had these rules */
	uint32_t vl = collapse(text, len, c->work[1], PF_WORK);
	if (vl == len && memcmp(c->work[1], text, len) == 0)
		return;		/* same bytes: the plain reading had these rules */
	scan_reading(c, ev, cls, name, nlen, c->work[1], vl, v);
}

/*
 * A log-in is what a request with a user-name field and a password field
 * is (a token grant, a session create, a form post): its account is what
 * credential stuffing, brute force and spraying are spread over, whatever
 * address they come from. The first user name and the first password each
 * leave an unkeyed hash here; dp_call keys them once the request is whole
 * (MW_LOGIN_DONE), and only then does the event leave the rx lcore.
 */
static void
login_field(struct mw_event *ev, const char *name, uint32_t nlen, const char *val, uint32_t len)
{
	static const char *const users[] = {
		"user", "username", "user_name", "login", "email", "e-mail", "mail", "account",
		"uname", "userid", "user_id", "identifier", "principal",
	};
	static const char *const passwords[] = {
		"password", "passwd", "pass", "pwd", "current_password", "user_password",
	};

	if (nlen < 3 || nlen > 16 || (ev->login & MW_LOGIN_DONE))
		return;
	switch (name[0] | 0x20) {	/* most names start with another letter */
	case 'a': case 'c': case 'e': case 'i': case 'l': case 'm': case 'p': case 'u':
		break;
	default:
		return;
	}
	if (!(ev->login & MW_LOGIN_PASSWORD) && dp_name_in(name, nlen, passwords, RTE_DIM(passwords))) {
		ev->login |= MW_LOGIN_PASSWORD;
		ev->password_tag = (uint32_t)dp_fnv64(val, len, 0);
	} else if (!(ev->login & MW_LOGIN_USER) && len > 0 && dp_name_in(name, nlen, users, RTE_DIM(users))) {
		ev->login |= MW_LOGIN_USER;
		ev->account = dp_fnv64(val, len, 1);
	}
}

/* ---- values known clean (prefilter.h) ---- */

static inline struct pf_clean_slot *
clean_way(const struct pf_clean *t, struct pf_clean_slot *set, int way)
{
	return (struct pf_clean_slot *)((char *)set + (size_t)way * t->stride);
}

static inline struct pf_clean_slot *
clean_set(const struct pf_clean *t, uint32_t h)
{
	return (struct pf_clean_slot *)(t->slots + (size_t)(h & (t->sets - 1)) * 2 * t->stride);
}

/* -1: the set holds the value; else the way a clean one would take. */
static inline int
clean_find(const struct pf_clean *t, struct pf_clean_slot *set, uint32_t h, uint8_t cls,
		const char *v, uint32_t n)
{
	for (int w = 0; w < 2; w++) {
		const struct pf_clean_slot *s = clean_way(t, set, w);
		if (s->hash == h && s->len == n && s->cls == cls && memcmp(s->v, v, n) == 0) {
			if (set->mru != w)
				set->mru = (uint8_t)w;
			return -1;
		}
	}
	return !set->mru;
}

static inline void
clean_store(const struct pf_clean *t, struct pf_clean_slot *set, int way, uint32_t h,
		uint8_t cls, const char *v, uint32_t n)
{
	struct pf_clean_slot *s = clean_way(t, set, way);

	s->hash = h;
	s->len = (uint16_t)n;
	s->cls = cls;
	memcpy(s->v, v, n);
	set->mru = (uint8_t)way;
}

/* Whether a short value is only word bytes (PF_INERT_MAX). */
static inline int
inert(const char *s, uint32_t n)
{
	uint8_t all = WORD;

	for (uint32_t i = 0; i < n; i++)
		all &= byte_class[(uint8_t)s[i]];
	return all == WORD;
}

/* A value of class cls, read by the rules of field (cls, or PF_FIELD_URLS). */
static void
scan_field(struct pf_ctx *c, struct mw_event *ev, enum pf_class cls, uint32_t field,
		const char *name, uint32_t nlen, const char *val, uint32_t len)
{
	const char *text = val;
	int n;

	if (cls == PF_CLASS_values && name != NULL)
		login_field(ev, name, nlen, val, len);
	if (len == 0)
		return;
	c->fields++;
	c->field = field;
	if ((cls != PF_CLASS_names && len <= PF_INERT_MAX && inert(val, len)) ||
			(len == 36 && dp_is_uuid(val))) {
		c->inert++;
		return;
	}
	/* Known clean values are looked up before anything reads their
	 * bytes: most are long (user agents, tokens) and repeat. */
	struct pf_clean *t = len <= c->clean[0].max ? &c->clean[0] :
		len <= c->clean[1].max ? &c->clean[1] : NULL;
	struct pf_clean_slot *set = NULL;
	uint32_t h = 0;
	int way = 0;
	if (t != NULL && t->slots != NULL) {
		h = rte_hash_crc(val, len, field);
		set = clean_set(t, h);
		way = clean_find(t, set, h, (uint8_t)field, val, len);
		if (way < 0) {
			c->cached++;
			return;
		}
	}
	const char *raw = val;
	uint32_t raw_len = len;
	n = pf_normalize(val, len, c->work[0], PF_WORK);
	if (n >= 0) {
		text = c->work[0];
		len = (uint32_t)n;
		c->normalized++;
	} else if (len > PF_WORK) {
		len = PF_WORK;
	}
	uint8_t seen = readings(text, len);
	c->n_hit = 0;
	scan_reading(c, ev, cls, name, nlen, text, len, PF_VAR_PLAIN);
	if (seen & READ_SQL)
		scan_variant(c, ev, cls, name, nlen, text, len, seen, PF_VAR_SQL, pf_sql_collapse);
	if (seen & READ_SH)
		scan_variant(c, ev, cls, name, nlen, text, len, seen, PF_VAR_SH, pf_sh_collapse);
	if (set != NULL && c->n_hit == 0)
		clean_store(t, set, way, h, (uint8_t)field, raw, raw_len);
}

void
pf_scan(struct pf_ctx *c, struct mw_event *ev, enum pf_class cls, const char *name,
		uint32_t nlen, const char *val, uint32_t len)
{
	scan_field(c, ev, cls, cls, name, nlen, val, len);
}

void
pf_scan_url(struct pf_ctx *c, struct mw_event *ev, const char *name, uint32_t nlen,
		const char *val, uint32_t len)
{
	scan_field(c, ev, PF_CLASS_headers, PF_FIELD_URLS, name, nlen, val, len);
}

/* A name or value of a query string or form: '+' is a space, then the rest. */
static void
scan_param(struct pf_ctx *c, struct mw_event *ev, enum pf_class cls, const char *name,
		uint32_t nlen, const char *s, uint32_t n)
{
	char plus[PF_WORK];

	if (memchr(s, '+', n) != NULL) {
		uint32_t k = RTE_MIN(n, (uint32_t)PF_WORK);
		for (uint32_t i = 0; i < k; i++)
			plus[i] = s[i] == '+' ? ' ' : s[i];
		s = plus;
		n = k;
	}
	pf_scan(c, ev, cls, name, nlen, s, n);
}

void
pf_scan_form(struct pf_ctx *c, struct mw_event *ev, const char *s, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		uint32_t st = i;
		while (i < len && s[i] != '&')
			i++;
		const char *eq = memchr(s + st, '=', i - st);
		uint32_t nl = eq ? (uint32_t)(eq - s - st) : i - st;
		if (nl)
			scan_param(c, ev, PF_CLASS_names, NULL, 0, s + st, nl);
		if (eq)
			scan_param(c, ev, PF_CLASS_values, s + st, nl, eq + 1, i - st - nl - 1);
		i++;
	}
}

void
pf_scan_cookies(struct pf_ctx *c, struct mw_event *ev, const char *s, uint32_t len)
{
	uint32_t i = 0;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == ';'))
			i++;
		uint32_t st = i;
		while (i < len && s[i] != ';')
			i++;
		const char *eq = memchr(s + st, '=', i - st);
		if (eq != NULL)
			pf_scan(c, ev, PF_CLASS_cookies, s + st, (uint32_t)(eq - s - st), eq + 1,
					(uint32_t)(s + i - eq - 1));
	}
}

static int
hex4(const char *s)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		int d = dp_hexval((uint8_t)s[i]);
		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* A JSON string's contents without its escapes, as UTF-8. */
static uint32_t
json_unescape(const char *s, uint32_t n, char *o, uint32_t cap)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n && k + 4 <= cap; i++) {
		if (s[i] != '\\' || i + 1 >= n) {
			o[k++] = s[i];
			continue;
		}
		char e = s[++i];
		int cp;
		switch (e) {
		case 'n': o[k++] = '\n'; break;
		case 't': o[k++] = '\t'; break;
		case 'r': o[k++] = '\r'; break;
		case 'b': o[k++] = '\b'; break;
		case 'f': o[k++] = '\f'; break;
		case 'u':
			if (i + 4 < n && (cp = hex4(s + i + 1)) >= 0) {
				i += 4;
				k += dp_put_utf8(o + k, (uint32_t)cp);
				break;
			}
			/* fall through */
		default:
			o[k++] = e;	/* \" \\ \/ and anything else: the character */
		}
	}
	return k;
}

/*
 * jsmn (a tokenizer that allocates nothing) finds the tokens; a string whose
 * parent is an object is a key, anything whose parent is a key or an array
 * is a value. A body cut short by the prefix limit still yields the tokens
 * before the cut. Not JSON after all: the raw body is scanned instead.
 */
void
pf_scan_json(struct pf_ctx *c, struct mw_event *ev, const char *s, uint32_t len)
{
	jsmntok_t tok[JSON_TOKENS];
	jsmn_parser p;
	char un[PF_WORK];

	jsmn_init(&p);
	int rc = jsmn_parse(&p, s, len, tok, JSON_TOKENS);
	int n = rc >= 0 ? rc : (int)p.toknext;
	if (n <= 0 || (rc < 0 && rc != JSMN_ERROR_PART && rc != JSMN_ERROR_NOMEM)) {
		pf_scan(c, ev, PF_CLASS_body, NULL, 0, s, len);
		return;
	}
	int done = 0;	/* end of the last complete token */
	for (int i = 0; i < n; i++) {
		const jsmntok_t *t = &tok[i];
		if (t->end < 0 || t->start < 0 || t->end <= t->start)
			continue;
		if (t->type == JSMN_STRING || t->type == JSMN_PRIMITIVE)
			done = RTE_MAX(done, t->end);
		if (t->type != JSMN_STRING && t->type != JSMN_PRIMITIVE)
			continue;
		int parent = t->parent;
		int key = parent >= 0 && tok[parent].type == JSMN_OBJECT;
		uint32_t ul = json_unescape(s + t->start, (uint32_t)(t->end - t->start), un,
				sizeof(un));
		if (key) {
			pf_scan(c, ev, PF_CLASS_names, NULL, 0, un, ul);
			continue;
		}
		const char *name = NULL;
		uint32_t nl = 0;
		if (parent >= 0 && tok[parent].type == JSMN_STRING) {
			name = s + tok[parent].start;
			nl = (uint32_t)(tok[parent].end - tok[parent].start);
		}
		pf_scan(c, ev, PF_CLASS_values, name, nl, un, ul);
	}
	if (rc == JSMN_ERROR_PART && (uint32_t)done < len) {
		/* cut inside a value: what is there is still a value */
		uint32_t ul = json_unescape(s + done, len - (uint32_t)done, un, sizeof(un));
		pf_scan(c, ev, PF_CLASS_values, NULL, 0, un, ul);
	}
}
