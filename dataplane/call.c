/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * From a parsed request head to a struct mw_event, and from a finished call
 * to its inference lcore (hot path, rx lcores).
 *
 * What is extracted: method, raw path, its template (numeric, UUID, hex and
 * id-like segments become {id}), query, Host, User-Agent, Content-Type,
 * X-Forwarded-For, the trace context (traceparent, b3, X-B3-*, uber-trace-id,
 * x-request-id, in that order of preference), the actor and the JWT facts.
 * Secrets (tokens, API keys, session cookies) only ever leave as keyed
 * hashes; the Authorization and Cookie headers are not copied.
 */
#define JSMN_STATIC
#define JSMN_PARENT_LINKS
#include <jsmn.h>
#include <string.h>
#include <strings.h>
#include <rte_jhash.h>
#include <rte_cycles.h>
#include <rte_hash_crc.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring.h>

#include "dp.h"
#include "dp_text.h"
#include "http.h"
#include "prefilter.h"

#define TEMPLATE_MAX 256
#define JWT_MAX 1536		/* decoded bytes of a JWT part we look at */

static uint64_t
hash64(const void *p, uint32_t n, const uint64_t key[2])
{
	uint32_t a = (uint32_t)key[0], b = (uint32_t)key[1];

	rte_jhash_2hashes(p, n, &a, &b);
	return (uint64_t)a << 32 | b;
}

static const uint64_t plain_key[2] = { 0x6d657368, 0x77617463 };

/* Copies what fits of s at the end of data[]; flags the event if cut. */
static uint32_t
data_append(struct mw_event *ev, const char *s, uint32_t len)
{
	uint32_t room = MW_EVENT_DATA_SIZE - ev->data_len;

	if (len > room) {
		len = room;
		ev->flags |= MW_EV_FIELD_TRUNCATED;
	}
	memcpy(ev->data + ev->data_len, s, len);
	ev->data_len = (uint16_t)(ev->data_len + len);
	return len;
}

int
dp_event_put_field(struct mw_event *ev, enum mw_field fld, const char *s, uint32_t len)
{
	ev->field[fld].off = ev->data_len;
	ev->field[fld].len = (uint16_t)data_append(ev, s, len);
	return ev->field[fld].len == len ? 0 : -1;
}

/* Grows a field; one that is not the last written moves to the end first. */
int
dp_event_append_field(struct mw_event *ev, enum mw_field fld, const char *s, uint32_t len)
{
	if (ev->field[fld].len == 0)
		return dp_event_put_field(ev, fld, s, len);
	if (ev->field[fld].off + ev->field[fld].len != ev->data_len) {
		uint16_t off = ev->field[fld].off, n = ev->field[fld].len;
		if (MW_EVENT_DATA_SIZE - ev->data_len < (uint32_t)n + len) {
			ev->flags |= MW_EV_FIELD_TRUNCATED;
			return -1;
		}
		memmove(ev->data + ev->data_len, ev->data + off, n);
		ev->field[fld].off = ev->data_len;
		ev->data_len = (uint16_t)(ev->data_len + n);
	}
	uint32_t n = data_append(ev, s, len);
	ev->field[fld].len = (uint16_t)(ev->field[fld].len + n);
	return n == len ? 0 : -1;
}

/* Splits v at sep into up to max parts; returns the count. */
static unsigned int
split(const char *v, uint32_t n, char sep, const char **part, uint32_t *plen, unsigned int max)
{
	unsigned int k = 0;
	uint32_t start = 0;

	for (uint32_t i = 0; i <= n && k < max; i++) {
		if (i == n || v[i] == sep) {
			part[k] = v + start;
			plen[k++] = i - start;
			start = i + 1;
		}
	}
	return k;
}

static void
trace_context(struct mw_event *ev, const struct dp_head *h)
{
	const char *v, *p[5];
	uint32_t n, pl[5];

	if ((v = DP_HEAD_GET(h, traceparent, &n)) != NULL &&
			split(v, n, '-', p, pl, 5) >= 4 && pl[0] == 2 &&
			!(p[0][0] == 'f' && p[0][1] == 'f') && pl[1] == 32 && pl[2] == 16 &&
			dp_parse_hex(p[1], 32, ev->trace_id, 16) == 0 &&
			dp_parse_hex(p[2], 16, ev->span_id, 8) == 0) {
		ev->trace_kind = MW_TRACE_w3c;
		ev->has_span = 1;
		return;
	}
	if ((v = DP_HEAD_GET(h, b3, &n)) != NULL && split(v, n, '-', p, pl, 5) >= 2 &&
			dp_parse_hex(p[0], pl[0], ev->trace_id, 16) == 0 &&
			pl[1] == 16 && dp_parse_hex(p[1], 16, ev->span_id, 8) == 0) {
		ev->trace_kind = MW_TRACE_b3;
		ev->has_span = 1;
		if (split(v, n, '-', p, pl, 5) >= 4 && pl[3] == 16 &&
				dp_parse_hex(p[3], 16, ev->parent_span_id, 8) == 0)
			ev->has_parent = 1;
		return;
	}
	if ((v = DP_HEAD_GET(h, x_b3_traceid, &n)) != NULL &&
			dp_parse_hex(v, n, ev->trace_id, 16) == 0) {
		ev->trace_kind = MW_TRACE_b3;
		if ((v = DP_HEAD_GET(h, x_b3_spanid, &n)) != NULL &&
				dp_parse_hex(v, n, ev->span_id, 8) == 0)
			ev->has_span = 1;
		if ((v = DP_HEAD_GET(h, x_b3_parentspanid, &n)) != NULL &&
				dp_parse_hex(v, n, ev->parent_span_id, 8) == 0)
			ev->has_parent = 1;
		return;
	}
	if ((v = DP_HEAD_GET(h, uber_trace_id, &n)) != NULL &&
			split(v, n, ':', p, pl, 5) == 4 && pl[0] % 2 == 0 &&
			dp_parse_hex(p[0], pl[0], ev->trace_id, 16) == 0) {
		ev->trace_kind = MW_TRACE_uber;
		if (pl[1] % 2 == 0 && dp_parse_hex(p[1], pl[1], ev->span_id, 8) == 0)
			ev->has_span = 1;
		if (pl[2] % 2 == 0 && dp_parse_hex(p[2], pl[2], ev->parent_span_id, 8) == 0)
			ev->has_parent = 1;
		return;
	}
	if ((v = DP_HEAD_GET(h, x_request_id, &n)) != NULL && n > 0 && n <= 128) {
		char hex[32];
		uint32_t k = 0;

		for (uint32_t i = 0; i < n && k <= 32; i++)
			if (v[i] != '-')
				hex[k < 32 ? k : 31] = v[i], k++;
		ev->trace_kind = MW_TRACE_xrid;
		if (n == 36 && k == 32 && dp_parse_hex(hex, 32, ev->trace_id, 16) == 0)
			return;
		/* not a UUID: any opaque id still groups the calls */
		uint64_t a = hash64(v, n, plain_key);
		uint64_t b = (uint64_t)rte_hash_crc(v, n, 1) << 32 | rte_hash_crc(v, n, 2);
		memcpy(ev->trace_id, &a, 8);
		memcpy(ev->trace_id + 8, &b, 8);
	}
}

/* base64url (or base64) without padding into out; returns length or -1. */
static int
b64url_decode(const char *s, uint32_t n, uint8_t *out, uint32_t cap)
{
	uint32_t acc = 0, bits = 0, k = 0;

	for (uint32_t i = 0; i < n; i++) {
		char c = s[i];
		int v;

		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '-' || c == '+')
			v = 62;
		else if (c == '_' || c == '/')
			v = 63;
		else if (c == '=')
			break;
		else
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (k == cap)
				return -1;
			out[k++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)k;
}

/*
 * The value of a top-level member of a small flat JSON object (a JWT header
 * or claim set). Hand-written because it runs on the rx lcore, where json-c's
 * allocations are not allowed; it only ever sees a decoded token of at most
 * JWT_MAX bytes and only looks for string and number members.
 */
static int
json_member(const uint8_t *j, uint32_t n, const char *key, const uint8_t **val,
		uint32_t *vlen)
{
	uint32_t kl = (uint32_t)strlen(key);

	for (uint32_t i = 0; i + kl + 2 < n; i++) {
		if (j[i] != '"' || memcmp(j + i + 1, key, kl) != 0 || j[i + 1 + kl] != '"')
			continue;
		uint32_t p = i + kl + 2;
		while (p < n && (j[p] == ' ' || j[p] == '\t' || j[p] == '\n' || j[p] == '\r'))
			p++;
		if (p >= n || j[p] != ':')
			continue;
		p++;
		while (p < n && (j[p] == ' ' || j[p] == '\t' || j[p] == '\n' || j[p] == '\r'))
			p++;
		if (p >= n)
			return -1;
		if (j[p] == '"') {
			uint32_t e = p + 1;
			while (e < n && j[e] != '"')
				e += j[e] == '\\' ? 2 : 1;
			if (e >= n)
				return -1;
			*val = j + p + 1;
			*vlen = e - p - 1;
			return 0;
		}
		uint32_t e = p;
		while (e < n && ((j[e] >= '0' && j[e] <= '9') || j[e] == '-' || j[e] == '.' ||
					j[e] == 'e' || j[e] == 'E' || j[e] == '+'))
			e++;
		if (e == p)
			return -1;
		*val = j + p;
		*vlen = e - p;
		return 0;
	}
	return -1;
}

static const struct {
	const char *name;
	uint8_t alg;
} jwt_algs[] = {
	{ "HS256", MW_JWT_ALG_HS256 }, { "HS384", MW_JWT_ALG_HS384 },
	{ "HS512", MW_JWT_ALG_HS512 }, { "RS256", MW_JWT_ALG_RS256 },
	{ "RS384", MW_JWT_ALG_RS384 }, { "RS512", MW_JWT_ALG_RS512 },
	{ "ES256", MW_JWT_ALG_ES256 }, { "ES384", MW_JWT_ALG_ES384 },
	{ "ES512", MW_JWT_ALG_ES512 }, { "PS256", MW_JWT_ALG_PS256 },
	{ "EdDSA", MW_JWT_ALG_EdDSA },
};

static uint8_t
jwt_alg(const uint8_t *v, uint32_t n)
{
	if (n == 4 && strncasecmp((const char *)v, "none", 4) == 0)
		return MW_JWT_ALG_alg_none;
	for (unsigned int i = 0; i < RTE_DIM(jwt_algs); i++)
		if (strlen(jwt_algs[i].name) == n && memcmp(v, jwt_algs[i].name, n) == 0)
			return jwt_algs[i].alg;
	return MW_JWT_ALG_other;
}

/* A JSON number's leading digits (seconds since the epoch), saturating. */
static uint64_t
json_uint(const uint8_t *v, uint32_t n)
{
	uint64_t x = 0;

	for (uint32_t i = 0; i < n && v[i] >= '0' && v[i] <= '9' && x < UINT64_MAX / 100; i++)
		x = x * 10 + (uint64_t)(v[i] - '0');
	return x;
}

/* Whether s[0, n) holds an administrative role as a word: "admin",
 * "ROLE_ADMIN", "staff", "superuser", ... ("administer:films" too, not
 * "badminton"). */
static int
privileged_word(const uint8_t *s, uint32_t n)
{
	static const char *const words[] = {
		"admin", "administrator", "administrators", "admins", "superuser", "superadmin",
		"sysadmin", "root", "staff", "operator", "backoffice",
	};

	for (uint32_t i = 0; i < n;) {
		while (i < n && !dp_is_alnum((char)s[i]))
			i++;
		uint32_t st = i;
		while (i < n && dp_is_alnum((char)s[i]))
			i++;
		if (i > st && dp_name_in((const char *)s + st, i - st, words, RTE_DIM(words)))
			return 1;
	}
	return 0;
}

/*
 * Whether a JWT's claims give its holder an administrative role. Function-
 * level authorization is invisible in one call: what gives a BFLA away is a
 * caller without such a role on an endpoint the privileged use. The claim
 * names are the common issuers' (OIDC role/roles/groups, OAuth scope/scp,
 * Auth0 permissions, Keycloak realm_access, Cognito cognito:groups, Spring
 * authorities) and booleans such as is_admin.
 */
static int
jwt_privileged(const uint8_t *j, uint32_t n)
{
	static const char *const claims[] = {
		"role", "roles", "groups", "scope", "scp", "permissions", "authorities",
		"realm_access", "resource_access", "cognito:groups", "app_role", "user_role",
		"access_level", "acl",
	};
	static const char *const flags[] = { "admin", "is_admin", "isAdmin", "staff", "is_staff",
		"superuser", "is_superuser", NULL };	/* case matters: JSON keys */
	jsmntok_t tok[64];
	jsmn_parser p;

	jsmn_init(&p);
	int k = jsmn_parse(&p, (const char *)j, n, tok, RTE_DIM(tok));
	if (k < 0)
		k = (int)p.toknext;	/* as far as it parsed */
	for (int i = 0; i + 1 < k; i++) {
		const jsmntok_t *key = &tok[i], *v = &tok[i + 1];
		if (key->type != JSMN_STRING || key->parent != 0 || key->size != 1 ||
				v->start < 0 || v->end > (int)n || v->end <= v->start)
			continue;
		const char *name = (const char *)j + key->start;
		uint32_t nl = (uint32_t)(key->end - key->start);
		if (dp_name_in(name, nl, claims, RTE_DIM(claims)) &&
				privileged_word(j + v->start, (uint32_t)(v->end - v->start)))
			return 1;
		for (const char *const *f = flags; *f; f++)
			if (strlen(*f) == nl && memcmp(name, *f, nl) == 0 &&
					v->type == JSMN_PRIMITIVE && j[v->start] == 't')
				return 1;
	}
	return 0;
}

/*
 * Whether one of ev's path ids is the token's own subject, /users/42
 * called with sub 42, and which (ev->self_ids). Subjects often wrap the id
 * the application's paths use in a prefix ("u42", "user-42", "auth0|42",
 * "tenant:42"), so the id after the last '|' or ':', and a subject's
 * trailing digits after letters, count too. The endpoint baselines learn
 * where callers name themselves; a caller naming someone else there is the
 * plainest broken object-level authorization there is. The object table
 * takes a caller's own id as its proof of ownership.
 */
static unsigned int
self_hashes(const struct dp_lcore *lc, const char *sub, uint32_t n, uint64_t h[3])
{
	unsigned int k = 0;

	if (n == 0)
		return 0;
	h[k++] = hash64(sub, n, lc->lim.actor_key);
	uint32_t s = n;
	while (s > 0 && sub[s - 1] != '|' && sub[s - 1] != ':')
		s--;
	if (s > 0 && s < n)
		h[k++] = hash64(sub + s, n - s, lc->lim.actor_key);
	uint32_t d = n;
	while (d > 0 && sub[d - 1] >= '0' && sub[d - 1] <= '9')
		d--;
	if (d > s && d < n && n - d >= 2)
		h[k++] = hash64(sub + d, n - d, lc->lim.actor_key);
	return k;
}

static bool
names_self(struct mw_event *ev, const uint64_t *h, unsigned int k)
{
	for (unsigned int i = 0; i < ev->n_ids; i++)
		for (unsigned int j = 0; j < k; j++)
			if (ev->object_ids[i] == h[j])
				ev->self_ids |= (uint8_t)(1u << i);
	return ev->self_ids != 0;
}

/* What a well-formed token says, into the event. */
static void
jwt_apply(struct mw_event *ev, const struct dp_jwt_memo *m)
{
	ev->jwt_alg = m->alg;
	ev->jwt_iss = m->iss;
	if (m->has_exp)
		ev->jwt_state = m->exp * 1000000000ull < ev->ts_req_ns ? MW_JWT_expired : MW_JWT_valid;
	else
		ev->jwt_state = MW_JWT_no_exp;
	ev->jwt_lifetime_s = m->lifetime_s;
	if (m->privileged)
		ev->flags |= MW_EV_JWT_PRIVILEGED;
	if (m->has_sub) {
		ev->actor = m->actor;
		ev->actor_kind = MW_ACTOR_jwt;
		if (names_self(ev, m->self, m->n_self))
			ev->flags |= MW_EV_SELF_OBJECT;
	}
}

/* Decodes a bearer JWT's header and claims into m (alg, iss, exp, iat,
 * role, sub). 0, or -1 with the event saying how far it got. */
static int
jwt_parse(struct dp_lcore *lc, struct mw_event *ev, const char *tok, uint32_t n,
		struct dp_jwt_memo *m)
{
	uint8_t buf[JWT_MAX];
	const char *p[4];
	uint32_t pl[4];
	const uint8_t *v;
	uint32_t vl;
	int len;

	if (split(tok, n, '.', p, pl, 4) != 3)
		return -1;
	ev->jwt_state = MW_JWT_malformed;
	len = b64url_decode(p[0], pl[0], buf, sizeof(buf));
	if (len <= 0)
		return -1;
	ev->jwt_alg = json_member(buf, (uint32_t)len, "alg", &v, &vl) == 0 ?
		jwt_alg(v, vl) : MW_JWT_ALG_none;
	len = b64url_decode(p[1], pl[1], buf, sizeof(buf));
	if (len <= 0)
		return -1;
	memset(m, 0, offsetof(struct dp_jwt_memo, tok));
	m->alg = ev->jwt_alg;
	if (json_member(buf, (uint32_t)len, "iss", &v, &vl) == 0)
		m->iss = rte_hash_crc(v, vl, 0);
	uint64_t iat = 0;
	if (json_member(buf, (uint32_t)len, "exp", &v, &vl) == 0) {
		m->exp = json_uint(v, vl);
		m->has_exp = 1;
	}
	/* a forged token tends to live for a year, an issued one for minutes */
	if (m->exp && json_member(buf, (uint32_t)len, "iat", &v, &vl) == 0 &&
			(iat = json_uint(v, vl)) != 0 && m->exp > iat)
		m->lifetime_s = (uint32_t)RTE_MIN(m->exp - iat, (uint64_t)UINT32_MAX);
	m->privileged = jwt_privileged(buf, (uint32_t)len);
	if (json_member(buf, (uint32_t)len, "sub", &v, &vl) == 0) {
		/* actor = (issuer, subject): the same sub from two issuers is two actors */
		uint64_t k2[2] = { lc->lim.actor_key[0] ^ m->iss, lc->lim.actor_key[1] };
		m->actor = hash64(v, vl, k2);
		m->has_sub = 1;
		m->n_self = (uint8_t)self_hashes(lc, (const char *)v, vl, m->self);
	}
	return 0;
}

/*
 * A bearer JWT: alg, iss, sub, exp. Returns 0 and sets the actor if it is
 * one. A client sends the same token for its whole lifetime, so what it
 * said is kept in the lcore's memo, found by the token's CRC and taken only
 * for the very same bytes; tokens longer than a slot are decoded each time.
 */
static int
jwt_facts(struct dp_lcore *lc, struct mw_event *ev, const char *tok, uint32_t n)
{
	struct dp_jwt_memo fresh, *m = &fresh;
	uint32_t crc = 0;

	if (lc->jwt != NULL && n <= DP_JWT_MEMO_TOKEN) {
		crc = rte_hash_crc(tok, n, 0);
		m = &lc->jwt[crc & (DP_JWT_MEMO_SLOTS - 1)];
		if (m->len == n && m->crc == crc && memcmp(m->tok, tok, n) == 0) {
			jwt_apply(ev, m);
			return 0;
		}
	}
	if (jwt_parse(lc, ev, tok, n, m) < 0) {
		if (m != &fresh)
			m->len = 0;	/* the slot held another token, now half overwritten */
		return -1;
	}
	if (m != &fresh) {
		m->crc = crc;
		m->len = (uint16_t)n;
		memcpy(m->tok, tok, n);
	}
	jwt_apply(ev, m);
	return 0;
}

static const char *const session_cookies[] = {
	"sid", "session", "sessionid", "session_id", "jsessionid", "phpsessid",
	"connect.sid", "_session", "asp.net_sessionid",
};

static int
session_cookie(const char *v, uint32_t n, const char **val, uint32_t *vlen)
{
	const char *p[32];
	uint32_t pl[32];
	unsigned int k = split(v, n, ';', p, pl, 32);

	for (unsigned int i = 0; i < k; i++) {
		const char *s = p[i];
		uint32_t l = pl[i];
		while (l && *s == ' ')
			s++, l--;
		const char *eq = memchr(s, '=', l);
		if (eq == NULL)
			continue;
		uint32_t nl = (uint32_t)(eq - s);
		if (dp_name_in(s, nl, session_cookies, RTE_DIM(session_cookies))) {
			*val = eq + 1;
			*vlen = l - nl - 1;
			return *vlen > 0 ? 0 : -1;
		}
	}
	return -1;
}

/* HTTP Basic credentials are a log-in on every request that carries them:
 * the user name and password, as login fields would give them (login_account
 * keys them once the request is whole). Credential stuffing against a Basic
 * endpoint is a 401 per attempt. */
static void
basic_login(struct mw_event *ev, const char *b64, uint32_t n)
{
	uint8_t buf[256];
	int len;

	while (n && *b64 == ' ')
		b64++, n--;
	if (n == 0 || (len = b64url_decode(b64, n, buf, sizeof(buf))) <= 0)
		return;
	const uint8_t *colon = memchr(buf, ':', (size_t)len);
	if (colon != NULL && colon != buf) {
		const uint32_t ul = (uint32_t)(colon - buf), pl = (uint32_t)len - ul - 1;
		ev->login |= MW_LOGIN_USER | MW_LOGIN_PASSWORD;
		ev->account = dp_fnv64((const char *)buf, ul, 1);
		ev->password_tag = (uint32_t)dp_fnv64((const char *)colon + 1, pl, 0);
	}
	explicit_bzero(buf, sizeof(buf));	/* a password in clear leaves no copy */
}

static void
actor(struct dp_lcore *lc, struct mw_event *ev, const struct dp_head *h)
{
	const char *v, *x;
	uint32_t n, xl;

	ev->jwt_state = MW_JWT_absent;
	if ((v = DP_HEAD_GET(h, authorization, &n)) != NULL && n > 6 &&
			strncasecmp(v, "basic ", 6) == 0)
		basic_login(ev, v + 6, n - 6);	/* its actor stays its address */
	else if (v != NULL && n > 7 && strncasecmp(v, "bearer ", 7) == 0) {
		if (jwt_facts(lc, ev, v + 7, n - 7) == 0 && ev->actor_kind == MW_ACTOR_jwt)
			return;
		if (ev->jwt_state == MW_JWT_absent) {
			/* opaque bearer token: an API key by another name */
			ev->actor = hash64(v + 7, n - 7, lc->lim.actor_key);
			ev->actor_kind = MW_ACTOR_apikey;
			return;
		}
	}
	if (((v = DP_HEAD_GET(h, x_api_key, &n)) != NULL ||
				(v = DP_HEAD_GET(h, api_key, &n)) != NULL ||
				(v = DP_HEAD_GET(h, apikey, &n)) != NULL) && n > 0) {
		ev->actor = hash64(v, n, lc->lim.actor_key);
		ev->actor_kind = MW_ACTOR_apikey;
		return;
	}
	if ((v = DP_HEAD_GET(h, cookie, &n)) != NULL && session_cookie(v, n, &x, &xl) == 0) {
		ev->actor = hash64(x, xl, lc->lim.actor_key);
		ev->actor_kind = MW_ACTOR_session;
		return;
	}
	/* An anonymous client is its address and its User-Agent: behind one
	 * carrier NAT or office proxy, a stuffing tool, a scanner and the
	 * users' browsers are different actors, and each keeps one agent for a
	 * session. (A tool that draws a new agent per request splits into
	 * actors of one call; the call and trace models and the log-in tables,
	 * keyed by account and password, still see it.) */
	uint32_t a, b;
	if ((v = DP_HEAD_GET(h, x_forwarded_for, &n)) != NULL &&
			(xl = dp_xff_first(v, n, &x)) > 0) {
		ev->actor = hash64(x, xl, lc->lim.actor_key);
	} else {
		char addr[16];
		memcpy(addr, ev->client_addr, 16);
		ev->actor = hash64(addr, 16, lc->lim.actor_key);
	}
	if ((v = DP_HEAD_GET(h, user_agent, &n)) != NULL && n > 0) {
		a = (uint32_t)(ev->actor >> 32), b = (uint32_t)ev->actor;
		rte_jhash_2hashes(v, n, &a, &b);
		ev->actor = (uint64_t)a << 32 | b;
	}
	ev->actor_kind = MW_ACTOR_addr;
}

/* Does a path segment name one object rather than a kind of thing? */
static int
is_id_segment(const char *s, uint32_t n)
{
	uint32_t digits = 0, hex = 0, alnum = 0;

	if (n == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9';
		digits += (uint32_t)d;
		hex += (uint32_t)(dp_hexval((uint8_t)c) >= 0);
		alnum += (uint32_t)(d || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '-' ||
				c == '_');
	}
	if (digits == n)
		return 1;					/* 42 */
	if (n == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' &&
			hex == 32)
		return 1;					/* UUID */
	if (hex == n && n >= 8 && digits > 0)
		return 1;					/* 5f2a9c0e, object ids */
	if (alnum == n && n >= 4 && digits >= 2 && !(s[0] == 'v' && digits == n - 1))
		return 1;					/* tsmith59, ord_8XK21 */
	if (alnum == n && n >= 20)
		return 1;					/* opaque tokens */
	return 0;
}

/* Where the path of t[0, n) starts: past the scheme and authority of an
 * absolute URL (a proxy's request target, a Location), n where it has no
 * path; 0 for a path. */
static uint32_t
path_start(const char *t, uint32_t n)
{
	if (n > 7 && (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0)) {
		const char *sl = memchr(t + 8, '/', n - 8);
		return sl ? (uint32_t)(sl - t) : n;
	}
	return 0;
}

static void
path_fields(struct dp_lcore *lc, struct mw_event *ev, const char *t, uint32_t n)
{
	char tmpl[TEMPLATE_MAX];
	uint32_t tl = 0, plen;
	const char *q = memchr(t, '?', n);
	const char *hash = memchr(t, '#', n);

	plen = q ? (uint32_t)(q - t) : hash ? (uint32_t)(hash - t) : n;
	dp_event_put_field(ev, MW_FIELD_path, t, plen);
	if (q) {
		uint32_t ql = n - plen - 1;
		const char *fr = memchr(q + 1, '#', ql);
		dp_event_put_field(ev, MW_FIELD_query, q + 1, fr ? (uint32_t)(fr - q - 1) : ql);
	}
	ev->path_hash = hash64(t, plen, plain_key);

	/* absolute-form targets (proxies): template the path only */
	uint32_t i = path_start(t, plen);
	while (i < plen && tl < TEMPLATE_MAX) {
		if (t[i] == '/') {
			tmpl[tl++] = '/';
			i++;
			continue;
		}
		uint32_t s = i;
		while (i < plen && t[i] != '/')
			i++;
		if (is_id_segment(t + s, i - s)) {
			if (ev->n_ids < MW_EVENT_MAX_IDS)
				ev->object_ids[ev->n_ids++] = hash64(t + s, i - s, lc->lim.actor_key);
			if (tl + 4 <= TEMPLATE_MAX) {
				memcpy(tmpl + tl, "{id}", 4);
				tl += 4;
			}
		} else {
			uint32_t k = RTE_MIN(i - s, TEMPLATE_MAX - tl);
			memcpy(tmpl + tl, t + s, k);
			tl += k;
		}
	}
	if (tl == 0)
		tmpl[tl++] = '/';
	dp_event_put_field(ev, MW_FIELD_template, tmpl, tl);
	ev->template_id = rte_hash_crc(tmpl, tl, 0);
}

static void
copy_header(struct mw_event *ev, const struct dp_head *h, enum dp_hdr id, enum mw_field fld)
{
	uint32_t n;
	const char *v = dp_head_known(h, id, &n);

	if (v != NULL)
		dp_event_put_field(ev, fld, v, RTE_MIN(n, 512u));
}

/*
 * With backpressure (captures), an empty pool means the event log is behind:
 * hand over what we hold and wait for events to come back, at most a second
 * (events parked in flows waiting for responses never come back on their own).
 */
static bool
event_wait(struct dp_lcore *lc, void **obj)
{
	if (!lc->backpressure)
		return false;
	dp_flush_events(lc);
	uint64_t until = rte_rdtsc() + lc->tsc_hz;
	while (rte_mempool_get(lc->event_pool, obj) != 0) {
		if (rte_rdtsc() > until)
			return false;
		rte_pause();
	}
	return true;
}

/* Headers that carry framing or ids, not input an application parses. */
static int
skip_header(enum dp_hdr id)
{
	switch (id) {
	case DP_HDR_content_length: case DP_HDR_transfer_encoding: case DP_HDR_connection:
	case DP_HDR_accept_encoding: case DP_HDR_traceparent: case DP_HDR_tracestate:
	case DP_HDR_b3: case DP_HDR_x_b3_traceid: case DP_HDR_x_b3_spanid:
	case DP_HDR_x_b3_parentspanid: case DP_HDR_x_b3_sampled: case DP_HDR_uber_trace_id:
		return 1;
	default:
		return 0;
	}
}

/*
 * Where a Referer or Origin names the request's own Host, the length of
 * its origin ("https://host[:port]", up to where path_start() puts its
 * path), which is then not scanned; else 0.
 * A browser sends the page it is on with nearly every call, and a page
 * of the same site names the host the call goes to: in a lab, or on an
 * intranet, that host is an internal address, which is what an SSRF
 * rule looks for. What follows the origin (a path, a query someone
 * typed, a payload appended by a tool) is scanned.
 */
static uint32_t
own_origin(const char *v, uint32_t n, const char *host, uint32_t hl)
{
	const uint32_t end = path_start(v, n);

	if (end == 0 || host == NULL || hl == 0)
		return 0;
	const uint32_t a = (v[4] | 0x20) == 's' ? 8 : 7;	/* past "https://", "http://" */
	return end - a == hl && strncasecmp(v + a, host, hl) == 0 ? end : 0;
}

static inline int
letter(char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static inline int
digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A Chromium GREASE brand: "Not", a character, "A", a character, "Brand",
 * the characters from the set it draws them from. */
static int
grease_brand(const char *s, uint32_t n)
{
	static const char set[] = " ()-./:;=?_";

	return n == 11 && memcmp(s, "Not", 3) == 0 && strchr(set, s[3]) != NULL &&
		s[4] == 'A' && strchr(set, s[5]) != NULL && memcmp(s + 6, "Brand", 5) == 0 &&
		s[3] != '\0' && s[5] != '\0';
}

/*
 * Whether a Sec-CH-UA or Sec-CH-UA-Full-Version-List value has exactly
 * the browser's shape: `"Brand";v="1.2.3"` items, comma separated, each
 * brand letters, digits and spaces or a GREASE brand. Chromium sends it
 * with every call, and its GREASE brand's quotes and semicolons read as
 * SQL; nothing that fits this shape is a payload.
 */
static int
client_hint_brands(const char *v, uint32_t n)
{
	uint32_t i = 0;

	for (;;) {
		if (i >= n || v[i++] != '"')
			return 0;
		uint32_t b = i, plain = 1;
		while (i < n && v[i] != '"') {
			plain &= letter(v[i]) || digit(v[i]) || v[i] == ' ';
			i++;
		}
		if (i >= n || i - b == 0 || i - b > 32 || (!plain && !grease_brand(v + b, i - b)))
			return 0;
		if (n - ++i < 5 || memcmp(v + i, ";v=\"", 4) != 0)
			return 0;
		i += 4;
		b = i;
		while (i < n && (digit(v[i]) || v[i] == '.'))
			i++;
		if (i >= n || v[i] != '"' || i - b == 0 || i - b > 24)
			return 0;
		if (++i == n)
			return 1;
		if (v[i++] != ',')
			return 0;
		while (i < n && v[i] == ' ')
			i++;
	}
}

/* Sec-CH-UA-Platform: one quoted word or a few ("Windows", "Chrome OS"). */
static int
client_hint_platform(const char *v, uint32_t n)
{
	if (n < 2 || n > 26 || v[0] != '"' || v[n - 1] != '"')
		return 0;
	for (uint32_t i = 1; i + 1 < n; i++)
		if (!letter(v[i]) && v[i] != ' ')
			return 0;
	return 1;
}

/* Everything in the request head: path, query, header values, cookies. */
static void
scan_head(struct pf_ctx *pf, struct mw_event *ev, const struct dp_head *h)
{
	uint16_t n;
	uint32_t hl = 0;
	const char *s = mw_event_field(ev, MW_FIELD_path, &n);
	const char *host = dp_head_known(h, DP_HDR_host, &hl);

	if (h->smuggling)	/* Content-Length with Transfer-Encoding, or two lengths */
		ev->pf_categories |= 1u << PF_CAT_smuggling;
	pf_scan(pf, ev, PF_CLASS_path, NULL, 0, s, n);
	s = mw_event_field(ev, MW_FIELD_query, &n);
	if (n)
		pf_scan_form(pf, ev, s, n);
	for (uint16_t i = 0; i < h->n_headers; i++) {
		const char *name = h->buf + h->h[i].name.off, *v = h->buf + h->h[i].value.off;
		uint32_t nl = h->h[i].name.len, vl = h->h[i].value.len;
		uint32_t o;
		switch (h->id[i]) {
		case DP_HDR_cookie:
			pf_scan_cookies(pf, ev, v, vl);
			break;
		case DP_HDR_referer: case DP_HDR_origin:
			o = own_origin(v, vl, host, hl);
			pf_scan_url(pf, ev, name, nl, v + o, vl - o);
			break;
		case DP_HDR_sec_ch_ua: case DP_HDR_sec_ch_ua_full_version_list:
			if (!client_hint_brands(v, vl))
				pf_scan(pf, ev, PF_CLASS_headers, name, nl, v, vl);
			break;
		case DP_HDR_sec_ch_ua_platform:
			if (!client_hint_platform(v, vl))
				pf_scan(pf, ev, PF_CLASS_headers, name, nl, v, vl);
			break;
		default:
			if (!skip_header((enum dp_hdr)h->id[i]))
				pf_scan(pf, ev, PF_CLASS_headers, name, nl, v, vl);
		}
	}
}

struct mw_event *
dp_call_begin(struct dp_lcore *lc, struct dp_flow *f, int side, const struct dp_head *h)
{
	struct mw_event *ev;
	const struct dp_flow_key *k = &f->key;
	void *obj;

	if (unlikely(rte_mempool_get(lc->event_pool, &obj) != 0) && !event_wait(lc, &obj)) {
		DP_COUNT(&lc->stats, event_pool_empty);
		return NULL;
	}
	ev = obj;
	memset(ev, 0, sizeof(*ev));
	ev->ts_req_ns = f->dir[side].msg_ns;
	memcpy(ev->client_addr, side ? k->b : k->a, 16);
	memcpy(ev->server_addr, side ? k->a : k->b, 16);
	ev->client_port = side ? k->pb : k->pa;
	ev->server_port = side ? k->pa : k->pb;
	ev->vlan[0] = (uint16_t)(k->vlans >> 12);
	ev->vlan[1] = (uint16_t)(k->vlans & 0xfff);
	ev->vni = k->vni;
	ev->encap = f->encap;
	ev->erspan_session = f->erspan_session;
	ev->rx_lcore = (uint8_t)lc->index;
	ev->src_service = f->service[side];
	ev->dst_service = f->service[!side];
	if (k->ipv6)
		ev->flags |= MW_EV_IPV6;
	if (f->midstream)
		ev->flags |= MW_EV_MIDSTREAM;
	if (f->marked)
		ev->flags |= MW_EV_HDR_LIMIT;
	if (f->req_gap)
		ev->flags |= MW_EV_GAP;
	ev->method = h->method;
	ev->http_minor = h->minor;

	path_fields(lc, ev, h->buf + h->target.off, h->target.len);
	copy_header(ev, h, DP_HDR_host, MW_FIELD_host);
	copy_header(ev, h, DP_HDR_user_agent, MW_FIELD_user_agent);
	copy_header(ev, h, DP_HDR_content_type, MW_FIELD_content_type);
	copy_header(ev, h, DP_HDR_x_forwarded_for, MW_FIELD_xff);
	trace_context(ev, h);
	actor(lc, ev, h);
	if (lc->pf != NULL) {
		mw_stage_enter(&lc->stats.stages, DP_STAGE_prefilter);
		scan_head(lc->pf, ev, h);
		mw_stage_leave(&lc->stats.stages);
	}
	return ev;
}

/* Once the scan has seen the query and the body: a log-in's account and
 * password, keyed (the pre-filter left unkeyed hashes), or none. Once per
 * event. The password keeps 32 bits: enough to see one password tried on
 * many accounts, little to test guesses against should the key leak. */
static void
login_account(struct dp_lcore *lc, struct mw_event *ev)
{
	if (ev->login & MW_LOGIN_DONE)
		return;
	if ((ev->login & (MW_LOGIN_PASSWORD | MW_LOGIN_USER)) == (MW_LOGIN_PASSWORD | MW_LOGIN_USER)) {
		ev->account = hash64(&ev->account, sizeof(ev->account), lc->lim.actor_key) | 1;
		ev->password_tag = (uint32_t)hash64(&ev->password_tag, sizeof(ev->password_tag),
				lc->lim.actor_key) | 1;
	} else {
		ev->account = 0;
		ev->password_tag = 0;
	}
	ev->login |= MW_LOGIN_DONE;
}

/*
 * A response head: which object a successful call created, from the
 * Location header REST APIs answer a creation with (201 Created,
 * Location: /contracts/42, or an absolute URL): its last id segment and the
 * literal segment before it. The appliance then knows the object's owner
 * before anyone names it.
 */
void
dp_call_response(struct dp_lcore *lc, struct mw_event *ev, const struct dp_head *h)
{
	const char *v;
	uint32_t n;

	if (ev->status < 200 || ev->status >= 300 ||
			(v = DP_HEAD_GET(h, location, &n)) == NULL || n == 0)
		return;
	uint32_t i = path_start(v, n), end = 0;
	while (end < n && v[end] != '?' && v[end] != '#')
		end++;
	uint32_t res = 0;
	uint64_t id = 0;
	while (i < end) {
		while (i < end && v[i] == '/')
			i++;
		uint32_t s = i;
		while (i < end && v[i] != '/')
			i++;
		if (i == s)
			break;
		if (is_id_segment(v + s, i - s)) {
			id = hash64(v + s, i - s, lc->lim.actor_key);
		} else {
			res = rte_hash_crc(v + s, i - s, MW_OBJECT_RES_SEED);
			id = 0;
		}
	}
	if (id != 0)
		ev->created = mw_object_key(id, res);
}

/* The request is complete: scan its body (the prefix the event keeps). */
void
dp_call_request_done(struct dp_lcore *lc, struct mw_event *ev)
{
	uint16_t n, cn;
	const char *body = mw_event_field(ev, MW_FIELD_req_body, &n);
	const char *ct = mw_event_field(ev, MW_FIELD_content_type, &cn);

	if (lc->pf != NULL && n > 0) {
		mw_stage_enter(&lc->stats.stages, DP_STAGE_prefilter);
		if (cn >= 4 && memmem(ct, cn, "json", 4) != NULL)
			pf_scan_json(lc->pf, ev, body, n);
		else if (cn >= 21 && memmem(ct, cn, "x-www-form-urlencoded", 21) != NULL)
			pf_scan_form(lc->pf, ev, body, n);
		else if (cn == 0 && (body[0] == '{' || body[0] == '['))
			pf_scan_json(lc->pf, ev, body, n);
		else
			pf_scan(lc->pf, ev, PF_CLASS_body, NULL, 0, body, n);
		mw_stage_leave(&lc->stats.stages);
	}
	login_account(lc, ev);
}

static void
flush_ring(struct dp_lcore *lc, unsigned int i)
{
	unsigned int n = lc->n_out[i];
	unsigned int sent;

	if (n == 0)
		return;
	sent = rte_ring_sp_enqueue_burst(lc->to_inf[i], (void **)lc->out[i], n, NULL);
	while (unlikely((lc->draining || lc->backpressure) && sent < n)) {
		rte_pause();
		sent += rte_ring_sp_enqueue_burst(lc->to_inf[i], (void **)lc->out[i] + sent,
				n - sent, NULL);
	}
	if (unlikely(sent < n)) {
		DP_ADD(&lc->stats, event_ring_full, n - sent);
		rte_mempool_put_bulk(lc->event_pool, (void **)lc->out[i] + sent, n - sent);
	}
	lc->n_out[i] = 0;
}

void
dp_flush_events(struct dp_lcore *lc)
{
	mw_stage_enter(&lc->stats.stages, DP_STAGE_handoff);
	for (unsigned int i = 0; i < lc->n_inf; i++)
		flush_ring(lc, i);
	mw_stage_leave(&lc->stats.stages);
}

void
dp_call_emit(struct dp_lcore *lc, struct dp_flow *f, struct mw_event *ev)
{
	uint32_t h;
	unsigned int i;

	DP_COUNT(&lc->stats, events);
	login_account(lc, ev);	/* a request cut short never was done */
	if (ev->trace_kind != MW_TRACE_none)
		h = rte_hash_crc(ev->trace_id, 16, 0);
	else
		h = rte_hash_crc(&f->key, sizeof(f->key), 0);
	i = lc->n_inf > 1 ? h % lc->n_inf : 0;
	ev->rx_tsc = lc->now_tsc;
	lc->out[i][lc->n_out[i]++] = ev;
	if (lc->n_out[i] == DP_BURST) {
		mw_stage_enter(&lc->stats.stages, DP_STAGE_handoff);
		flush_ring(lc, i);
		mw_stage_leave(&lc->stats.stages);
	}
}
