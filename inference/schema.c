/* SPDX-License-Identifier: BSD-3-Clause */
/* The feature schema (see schema.h): shared by the inference lcores (hot
 * path) and the training tools. */
#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <rte_common.h>
#include <rte_hash_crc.h>

#include "dp_text.h"
#include "schema.h"

/* log2(1 + v) / scale, capped at 1. */
static inline float
lg(double v, double scale)
{
	float f = (float)(log2(1.0 + v) / scale);
	return f < 1.0f ? f : 1.0f;
}

/* Counts one more sample x: the mean of the first 256, then a moving mean
 * over about 256. */
static inline void
running_mean(float *mean, uint32_t *n, float x)
{
	*n += *n < UINT32_MAX;
	*mean += (x - *mean) / (float)(*n < 256 ? *n : 256);
}

/* log2 value v in eighths of a power of 2 over the mean of n such values,
 * once there are 8 (0 before), clipped to [-1, 1] */
static inline float
excess(float v, float mean, uint32_t n)
{
	const float x = n >= 8 ? (v - mean) / 8.0f : 0.0f;

	return x < -1.0f ? -1.0f : x > 1.0f ? 1.0f : x;
}

/* v in [0, 1] as 65535ths */
static inline uint16_t
q65535(float v)
{
	return (uint16_t)lrintf(fminf(fmaxf(v, 0.0f), 1.0f) * 65535.0f);
}

/* c + v, saturating at 65535. */
static inline uint16_t
add16(uint16_t c, uint32_t v)
{
	return (uint16_t)RTE_MIN((uint32_t)c + v, (uint32_t)UINT16_MAX);
}

static inline float
frac(uint32_t part, uint32_t whole)
{
	return whole ? (float)part / (float)whole : 0.0f;
}

static unsigned int
status_class(uint16_t status)
{
	return status >= 100 && status < 600 ? status / 100 : 0;
}

static unsigned int
jwt_alg_group(uint8_t alg)
{
	switch (alg) {
	case MW_JWT_ALG_none:
		return 0;
	case MW_JWT_ALG_alg_none:
		return 1;
	case MW_JWT_ALG_HS256: case MW_JWT_ALG_HS384: case MW_JWT_ALG_HS512:
		return 2;
	default:
		return 3;
	}
}

static inline void
onehot(float *x, unsigned int base, unsigned int width, unsigned int v)
{
	if (v < width)
		x[base + v] = 1.0f;
}

static uint64_t
schema(const char *level, const char *const *names, const unsigned int *widths, unsigned int n)
{
	uint32_t lo = rte_hash_crc(level, (uint32_t)strlen(level), MW_FEATURES_VERSION);
	uint32_t hi = rte_hash_crc(level, (uint32_t)strlen(level), ~(uint32_t)MW_FEATURES_VERSION);

	for (unsigned int i = 0; i < n; i++) {
		lo = rte_hash_crc(names[i], (uint32_t)strlen(names[i]), lo);
		lo = rte_hash_crc_4byte(widths[i], lo);
		hi = rte_hash_crc(names[i], (uint32_t)strlen(names[i]), hi);
		hi = rte_hash_crc_4byte(widths[i] ^ 0x5bd1e995u, hi);
	}
	return (uint64_t)hi << 32 | lo;
}

static const char *const call_names[] = {
#define X(n, w) #n,
	MW_CALL_FEATURES(X)
#undef X
};
static const unsigned int call_widths[] = {
#define X(n, w) w,
	MW_CALL_FEATURES(X)
#undef X
};
static const char *const trace_names[] = {
#define X(n, w) #n,
	MW_TRACE_FEATURES(X)
#undef X
};
static const unsigned int trace_widths[] = {
#define X(n, w) w,
	MW_TRACE_FEATURES(X)
#undef X
};
#define NGROUPS(a) (sizeof(a) / sizeof((a)[0]))

uint64_t
mw_call_schema(void)
{
	return schema("call", call_names, call_widths, NGROUPS(call_names));
}

uint64_t
mw_trace_schema(void)
{
	return schema("trace", trace_names, trace_widths, NGROUPS(trace_names));
}

static const char *
group_of(unsigned int i, unsigned int *index, const char *const *names,
		const unsigned int *widths, unsigned int n)
{
	for (unsigned int g = 0; g < n; i -= widths[g++])
		if (i < widths[g]) {
			*index = i;
			return names[g];
		}
	*index = 0;
	return NULL;
}

const char *
mw_call_feature_group(unsigned int i, unsigned int *index)
{
	return group_of(i, index, call_names, call_widths, NGROUPS(call_names));
}

const char *
mw_trace_feature_group(unsigned int i, unsigned int *index)
{
	return group_of(i, index, trace_names, trace_widths, NGROUPS(trace_names));
}

bool
mw_trace_root(const struct mw_event *ev)
{
	uint16_t n;

	switch (ev->trace_kind) {
	case MW_TRACE_none:
		return true;
	case MW_TRACE_b3:
	case MW_TRACE_uber:
		return !ev->has_parent;
	default:
		mw_event_field(ev, MW_FIELD_xff, &n);
		return n > 0;
	}
}

/* The next name=value pair from *i of a query or form body (pairs split by
 * '&' or ';', a value after the first '='; a name without '=' has an empty
 * value); 0 at the end. Pairs without a name are skipped. */
static int
next_pair(const char *q, uint32_t n, uint32_t *i, const char **name, uint32_t *nl,
		const char **val, uint32_t *vl)
{
	while (*i < n) {
		uint32_t s = *i, eq = n;
		for (; *i < n && q[*i] != '&' && q[*i] != ';'; (*i)++)
			eq = q[*i] == '=' && eq == n ? *i : eq;
		const uint32_t e = (*i)++, ne = eq < e ? eq : e;
		if (ne == s)
			continue;
		*name = q + s, *nl = ne - s;
		*val = q + (eq < e ? eq + 1 : e), *vl = eq < e ? e - eq - 1 : 0;
		return 1;
	}
	return 0;
}

/*
 * How many records a call asks for: the largest number in its query's
 * page-size parameters. Clients page through lists 10 to 100 at a time;
 * limit=5000 on a customer lookup is a bulk export however slowly it is
 * pulled (OWASP API3 and API4), in any application that pages.
 */
static uint64_t
page_size(const struct mw_event *ev)
{
	static const char *const names[] = {
		"limit", "per_page", "perpage", "page_size", "pagesize", "size", "count",
		"max", "max_results", "maxresults", "top", "$top", "first", "take", "rows",
		"results", "num", "n",
	};
	uint16_t n;
	const char *q = mw_event_field(ev, MW_FIELD_query, &n), *name, *val;
	uint32_t i = 0, nl, vl;
	uint64_t best = 0;

	while (next_pair(q, n, &i, &name, &nl, &val, &vl)) {
		if (vl == 0 || !dp_name_in(name, nl, names, RTE_DIM(names)))
			continue;
		uint64_t v = 0;
		uint32_t k = 0;
		for (; k < vl && val[k] >= '0' && val[k] <= '9'; k++)
			v = v < (1ull << 40) ? v * 10 + (uint64_t)(val[k] - '0') : v;	/* saturating */
		if (k == vl && v > best)
			best = v;
	}
	return best;
}

void
mw_call_features(const struct mw_event *ev, const struct mw_call_ctx *ctx, float *x)
{
	memset(x, 0, MW_CALL_NFEAT * sizeof(float));
	onehot(x, MW_CF_method, MW_METHOD_MAX, ev->method);
	onehot(x, MW_CF_status_class, 6, status_class(ev->status));
	x[MW_CF_status_auth] = ev->status == 401;
	x[MW_CF_status_auth + 1] = ev->status == 403;
	x[MW_CF_status_404] = ev->status == 404;
	x[MW_CF_status_429] = ev->status == 429;
	x[MW_CF_call_flags] = !!(ev->flags & MW_EV_NO_RESPONSE);
	x[MW_CF_call_flags + 1] = !!(ev->flags & MW_EV_GAP);
	x[MW_CF_call_flags + 2] = !!(ev->flags & MW_EV_MIDSTREAM);
	x[MW_CF_call_flags + 3] = !!(ev->flags & MW_EV_PIPELINED);
	x[MW_CF_req_bytes] = lg(ev->req_body_bytes, 32);
	x[MW_CF_resp_bytes] = lg(ev->resp_body_bytes, 32);
	x[MW_CF_req_hdr_bytes] = lg(ev->req_hdr_bytes, 16);
	if (ev->ts_resp_ns > ev->ts_req_ns)
		x[MW_CF_latency] = lg((double)(ev->ts_resp_ns - ev->ts_req_ns) / 1e3, 32);
	if (ctx->prev_ts_ns && ev->ts_req_ns > ctx->prev_ts_ns)
		x[MW_CF_since_prev] = lg((double)(ev->ts_req_ns - ctx->prev_ts_ns) / 1e3, 32);
	x[MW_CF_position] = lg(ctx->position, 10);
	x[MW_CF_object_ids] = (float)ev->n_ids / MW_EVENT_MAX_IDS;
	x[MW_CF_root] = mw_trace_root(ev);
	onehot(x, MW_CF_actor_kind, MW_ACTOR_MAX, ev->actor_kind);
	onehot(x, MW_CF_jwt_state, MW_JWT_STATE_MAX, ev->jwt_state);
	onehot(x, MW_CF_jwt_alg, 4, jwt_alg_group(ev->jwt_alg));
	for (unsigned int c = 0; c < PF_CAT_MAX; c++)
		x[MW_CF_pf_category + c] = !!(ev->pf_categories & (1u << c));
	for (unsigned int k = 0; k < ev->pf_nmatch && k < MW_EVENT_MAX_MATCHES; k++)
		onehot(x, MW_CF_pf_field, PF_CLASS_MAX, ev->pf[k].field);
	x[MW_CF_pf_matches] = (float)ev->pf_nmatch / MW_EVENT_MAX_MATCHES;
	for (unsigned int c = 0; ctx->payload && c < ctx->n_payload && c < MW_PAYLOAD_SLOTS; c++)
		x[MW_CF_payload + c] = ctx->payload[c];
	x[MW_CF_endpoint_rarity] = ctx->rarity;
	x[MW_CF_resp_excess] = ctx->resp_excess;
	x[MW_CF_foreign_object] = ctx->foreign == MW_OBJECT_FOREIGN;
	x[MW_CF_trespass] = ctx->trespass;
	x[MW_CF_login] = ctx->login;
	x[MW_CF_account_failures] = ctx->account_failures;
	x[MW_CF_account_unproven] = ctx->unproven;
	x[MW_CF_password_spread] = ctx->password_spread;
	x[MW_CF_privileged] = !!(ev->flags & MW_EV_JWT_PRIVILEGED);
	x[MW_CF_overreach] = ctx->overreach;
	x[MW_CF_jwt_lifetime] = lg(ev->jwt_lifetime_s, 26);	/* 1 at two years */
	x[MW_CF_self_object] = !!(ev->flags & MW_EV_SELF_OBJECT);
	x[MW_CF_impersonation] = ctx->impersonation;
	x[MW_CF_page_size] = lg((double)ctx->pages, 16);	/* 1 at 65535 */
	x[MW_CF_page_excess] = ctx->page_excess;
	x[MW_CF_unusual_params] = ctx->unusual_params;
}

uint64_t
mw_origin(const struct mw_event *ev)
{
	uint16_t n;
	const char *x = mw_event_field(ev, MW_FIELD_xff, &n);
	const uint32_t k = dp_xff_first(x, n, &x);
	const void *p = k > 0 ? (const void *)x : (const void *)ev->client_addr;
	const uint32_t len = k > 0 ? k : sizeof(ev->client_addr);
	return (uint64_t)rte_hash_crc(p, len, 0x0419) << 32 | rte_hash_crc(p, len, 0x96f1);
}

/* A log-in that the application turned down (not one it throttled). */
static inline bool
login_failed(const struct mw_event *ev)
{
	return ev->status >= 400 && ev->status < 500 && ev->status != 429;
}

/* A count that halves every MW_LOGIN_HALF_MIN minutes since it was kept.
 * Minutes wrap every 45 days: a slot kept "later" than now by a little is a
 * call another lcore handed on first (no decay); by more, it is one from a
 * turn of the clock ago (long decayed). */
static inline uint32_t
decayed(uint32_t v, uint16_t then, uint16_t now)
{
	int16_t d = (int16_t)(uint16_t)(now - then);

	if (d <= 0)
		return d >= -60 ? v : 0;
	uint32_t halvings = (uint32_t)d / MW_LOGIN_HALF_MIN;
	return halvings < 32 ? v >> halvings : 0;
}

/*
 * The word of a shared table's set (MW_SHARED_WAYS words, one cache line)
 * that holds tag, into *w; else an empty one, else the one tag's bits
 * pick, with *w = 0: the caller's store takes it over. Lossy, never torn:
 * every word is read and written whole.
 */
static inline uint64_t *
shared_way(uint64_t *table, uint32_t slots, uint64_t h, uint64_t tag, uint64_t *w)
{
	uint64_t *set = &table[(h & (slots / MW_SHARED_WAYS - 1)) * MW_SHARED_WAYS];
	uint64_t *empty = NULL;

	for (unsigned int i = 0; i < MW_SHARED_WAYS; i++) {
		uint64_t v = __atomic_load_n(&set[i], __ATOMIC_RELAXED);
		if ((v & ~0xffffffffull) == tag) {
			*w = v;
			return &set[i];
		}
		if (v == 0 && empty == NULL)
			empty = &set[i];
	}
	*w = 0;
	return empty != NULL ? empty : &set[tag >> 33 & (MW_SHARED_WAYS - 1)];
}

void
mw_logins_check(struct mw_logins *l, const struct mw_event *ev, struct mw_call_ctx *ctx)
{
	if (ev->account == 0)
		return;
	const uint16_t now = (uint16_t)(ev->ts_req_ns / 60000000000ull);
	const bool failed = login_failed(ev);
	ctx->login = 1.0f;

	const uint64_t tag = (ev->account >> 32 | 1) << 32;
	uint64_t w, *slot = shared_way(l->account, MW_LOGIN_SLOTS, ev->account, tag, &w);
	uint32_t fails = 0, proven = 0;
	if (w != 0) {
		proven = (uint32_t)(w >> 31) & 1;
		fails = decayed((uint32_t)w & 0x7fff, (uint16_t)(w >> 15), now);
	}
	ctx->account_failures = lg(fails, 6);
	ctx->unproven = !proven;
	fails += failed && fails < 0x7fff;
	proven |= ev->status >= 200 && ev->status < 400;
	__atomic_store_n(slot, tag | (uint64_t)proven << 31 | (uint64_t)now << 15 | fails,
			__ATOMIC_RELAXED);

	if (ev->password_tag == 0)
		return;
	const uint64_t ptag = (uint64_t)ev->password_tag << 32;
	const uint8_t who = (uint8_t)(ev->account >> 8 | 1);	/* 0: no account yet */
	slot = shared_way(l->password, MW_LOGIN_SLOTS, (ev->password_tag * 0x9e3779b1u) >> 16,
			ptag, &w);
	uint32_t accounts = 0;
	uint8_t last = 0;
	if (w != 0) {
		accounts = decayed((uint32_t)(w >> 8) & 0xff, (uint16_t)(w >> 16), now);
		last = (uint8_t)w;
	}
	ctx->password_spread = lg(accounts, 6);
	if (!failed)
		return;
	accounts += who != last && accounts < 0xff;
	__atomic_store_n(slot, ptag | (uint64_t)now << 16 | accounts << 8 | who,
			__ATOMIC_RELAXED);
}

/* owner takes object key when nobody owns it (and the call may claim it),
 * or whoever does when its claim is proven (it created the object, the id
 * is its own subject): MW_OBJECT_OWN when it was owner's already or is
 * proven so now, MW_OBJECT_NEW when nobody owned it, MW_OBJECT_FOREIGN
 * when another principal keeps it. */
static inline int
object_take(struct mw_objects *o, uint64_t key, uint32_t owner, bool proven, bool claim)
{
	const uint64_t tag = (key >> 32 | 1) << 32;
	uint64_t w, *slot = shared_way(o->slot, MW_OBJECT_SLOTS, key, tag, &w);

	if (w == 0 && !proven && !claim)
		return MW_OBJECT_NEW;
	if (proven || w == 0) {
		__atomic_store_n(slot, tag | owner, __ATOMIC_RELAXED);
		return proven || (uint32_t)w == owner ? MW_OBJECT_OWN : MW_OBJECT_NEW;
	}
	return (uint32_t)w != owner ? MW_OBJECT_FOREIGN : MW_OBJECT_OWN;
}

int
mw_objects_check(struct mw_objects *o, const struct mw_event *ev, struct mw_trace_objects *held)
{
	uint16_t n;
	const char *t = mw_event_field(ev, MW_FIELD_template, &n);
	const uint32_t owner = (uint32_t)(ev->actor ^ ev->actor >> 32);
	const bool principal = ev->actor_kind == MW_ACTOR_jwt ||
		ev->actor_kind == MW_ACTOR_apikey || ev->actor_kind == MW_ACTOR_session;
	/* a name answered 4xx claims nothing: the object does not exist (an
	 * enumeration past the newest id), or the caller may not have it */
	const bool claim = ev->status < 400 || ev->status >= 500;
	uint32_t res = 0, i = 0, k = 0;
	int seen = MW_OBJECT_OWN;

	if (principal && held != NULL)
		for (uint32_t j = 0; j < MW_TRACE_OBJECTS && held->key[j]; j++) {
			object_take(o, held->key[j], owner, false, true);
			held->key[j] = 0;
		}
	if (!principal && held == NULL)
		return MW_OBJECT_NONE;
	if (principal && ev->created)
		object_take(o, ev->created, owner, true, true);	/* its creator's, whoever named it first */
	if (ev->n_ids == 0)
		return MW_OBJECT_NONE;
	while (i < n && k < ev->n_ids) {
		while (i < n && t[i] == '/')
			i++;
		uint32_t s = i;
		while (i < n && t[i] != '/')
			i++;
		if (i - s != 4 || memcmp(t + s, "{id}", 4) != 0) {
			res = rte_hash_crc(t + s, i - s, MW_OBJECT_RES_SEED);	/* the resource */
			continue;
		}
		uint64_t key = mw_object_key(ev->object_ids[k], res);
		bool own = ev->self_ids >> k & 1;
		k++;
		if (principal) {
			seen = RTE_MAX(seen, object_take(o, key, owner, own, claim));
			continue;
		}
		for (uint32_t j = 0; j < MW_TRACE_OBJECTS; j++)
			if (held->key[j] == 0 || held->key[j] == key) {
				held->key[j] = key;	/* for the trace's caller */
				break;
			}
	}
	return principal ? seen : MW_OBJECT_NONE;
}

/*
 * The parameter names of a call: its query's, and its body's (form fields,
 * or every key of a JSON body prefix), at most max, as pointers into the
 * event.
 */
static unsigned int
param_names(const struct mw_event *ev, const char **name, uint16_t *len, unsigned int max)
{
	uint16_t n, cl;
	const char *q = mw_event_field(ev, MW_FIELD_query, &n);
	const char *ct = mw_event_field(ev, MW_FIELD_content_type, &cl);
	unsigned int k = 0;

	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			q = mw_event_field(ev, MW_FIELD_req_body, &n);
			if (cl >= 4 && memmem(ct, cl, "json", 4) != NULL) {
				for (uint32_t i = 0; i < n && k < max; i++) {
					if (q[i] != '"')
						continue;
					uint32_t s = ++i;
					while (i < n && q[i] != '"')
						i += q[i] == '\\' ? 2 : 1;
					if (i >= n)
						break;
					uint32_t e = i, j = i + 1;
					while (j < n && (q[j] == ' ' || q[j] == '\t' || q[j] == '\n' ||
								q[j] == '\r'))
						j++;
					if (j < n && q[j] == ':' && e > s) {
						name[k] = q + s;
						len[k++] = (uint16_t)(e - s);
					}
				}
				break;
			}
			if (cl < 33 || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0)
				break;
		}
		const char *nm, *val;
		uint32_t i = 0, nl, vl;
		while (k < max && next_pair(q, n, &i, &nm, &nl, &val, &vl)) {
			name[k] = nm;
			len[k++] = (uint16_t)nl;
		}
	}
	return k;
}

/* The way of (lo, tag)'s set that holds it, else the one with the
 * smallest count, emptied for it. */
static uint64_t *
name_slot(struct mw_endpoints *b, uint32_t lo, uint64_t tag)
{
	uint64_t *set = &b->names[(lo & (MW_NAME_SLOTS / MW_BASELINE_WAYS - 1)) * MW_BASELINE_WAYS];
	uint64_t *victim = set;

	for (unsigned int w = 0; w < MW_BASELINE_WAYS; w++) {
		if ((set[w] & ~0xffffffffull) == tag)
			return &set[w];
		if ((set[w] & 0xffffffffu) < (*victim & 0xffffffffu))
			victim = &set[w];
	}
	*victim = tag;
	return victim;
}

/* The way of key's set that holds it, else the one with the fewest calls,
 * emptied for it. */
static struct mw_endpoint_slot *
endpoint_slot(struct mw_endpoints *b, uint32_t key)
{
	const uint32_t sets = MW_ENDPOINT_SLOTS / MW_BASELINE_WAYS;
	struct mw_endpoint_slot *set = &b->slot[(key * 0x9e3779b1u >> 16) % sets * MW_BASELINE_WAYS];
	struct mw_endpoint_slot *victim = set;

	for (unsigned int w = 0; w < MW_BASELINE_WAYS; w++) {
		if (set[w].key == key && set[w].calls > 0)
			return &set[w];
		if (set[w].calls < victim->calls)
			victim = &set[w];
	}
	memset(victim, 0, sizeof(*victim));
	memset(b->counted[victim - b->slot], 0, sizeof(b->counted[0]));
	victim->key = key;
	return victim;
}

/* How rarely ev's endpoint sees its rarest parameter name, then counts
 * ev's names: log2 of calls per call that sent it, 1 at 1 in 1024. */
static float
unusual_params(struct mw_endpoints *b, const struct mw_endpoint_slot *e, const struct mw_event *ev)
{
	const char *name[32];
	uint16_t len[32];
	unsigned int k = param_names(ev, name, len, 32);
	float worst = 0.0f;

	for (unsigned int i = 0; i < k; i++) {
		const uint32_t lo = rte_hash_crc(name[i], len[i], e->key);
		const uint64_t tag = (uint64_t)rte_hash_crc(name[i], len[i], ~e->key) << 32;
		uint64_t *slot = name_slot(b, lo, tag);
		uint64_t count = *slot & 0xffffffffu;
		if (e->calls >= 16) {
			float u = (float)(log2((e->calls + 1.0) / (count + 1.0)) / 10.0);
			worst = fmaxf(worst, u > 1.0f ? 1.0f : u);
		}
		*slot = tag | (count + (count < 0xffffffffu));
	}
	return worst;
}

/* How many principals a linear-counting bitmap of m bits, set of them
 * set, holds: m ln(m / (m - set)), for every count a round reaches (its
 * bitmaps reset at three quarters set), computed once at start-up: two
 * logs a call had cost a call naming an object a third more. */
#define MW_COUNTED_BITS (MW_COUNTED_WORDS * 64)
#define MW_COUNTED_MAX (MW_COUNTED_BITS / 4 * 3)
static float principals[MW_COUNTED_MAX + 1];

RTE_INIT(principals_init)
{
	const double m = MW_COUNTED_BITS;

	for (uint32_t set = 0; set <= MW_COUNTED_MAX; set++)
		principals[set] = (float)(m * log(m / (m - set)));
}

/*
 * An endpoint's sharing: of the principals naming objects somebody owns
 * there, the share naming another's. A first name (an object nobody
 * owned yet) says nothing either way: a public profile's visitors mostly
 * name users nobody named before them. Principals, not calls: one
 * enumerator's thousand reads of others' objects weigh what one visitor's
 * one read does, so the endpoint does not learn its attacker as its
 * normal. Each principal is a bit in two bitmaps (all, and those that
 * named another's), a round of them ending when three quarters of the
 * first's bits are set (some 700 principals); the share holds across
 * rounds until a new round has counted 16. A principal already counted
 * costs a test and an and.
 */
static void
count_principal(struct mw_endpoints *b, struct mw_endpoint_slot *e, uint64_t actor,
		bool foreign)
{
	const uint32_t bit = rte_hash_crc_8byte(actor, 0x5eedu) % MW_COUNTED_BITS;
	const uint64_t w = 1ull << (bit & 63);
	uint64_t (*counted)[MW_COUNTED_WORDS] = b->counted[e - b->slot];
	bool changed = false;

	if (e->bits[0] >= MW_COUNTED_MAX) {
		memset(counted, 0, sizeof(b->counted[0]));
		e->bits[0] = e->bits[1] = 0;
		e->rounds += e->rounds < UINT16_MAX;
	}
	if (!(counted[0][bit >> 6] & w)) {
		counted[0][bit >> 6] |= w;
		e->bits[0]++;
		changed = true;
	}
	if (foreign && !(counted[1][bit >> 6] & w)) {
		counted[1][bit >> 6] |= w;
		e->bits[1]++;
		changed = true;
	}
	if (!changed)
		return;
	const float all = principals[e->bits[0]];
	if (all >= 16.0f || e->rounds == 0)
		e->shared = principals[e->bits[1]] / all;
}

void
mw_endpoint_observe(struct mw_endpoints *b, const struct mw_event *ev, struct mw_call_ctx *ctx)
{
	const uint32_t key = ev->template_id ^ ((uint32_t)ev->method + 1) * 0x85ebca6bu;
	struct mw_endpoint_slot *e = endpoint_slot(b, key);
	const float r = (float)log2(1.0 + ev->resp_body_bytes);
	const bool jwt = ev->actor_kind == MW_ACTOR_jwt && ev->jwt_state != MW_JWT_absent;
	const bool priv = !!(ev->flags & MW_EV_JWT_PRIVILEGED);

	/* a caller without a role where, so far, the privileged call */
	ctx->overreach = jwt && !priv && e->jwt_calls >= 8 ? e->privileged : 0.0f;
	if (jwt)
		running_mean(&e->privileged, &e->jwt_calls, (float)priv);
	/* a caller naming another where, so far, callers named themselves */
	const bool self = !!(ev->flags & MW_EV_SELF_OBJECT);
	if (jwt && ev->n_ids > 0) {
		ctx->impersonation = !self && !priv && e->self_calls >= 8 ? e->self : 0.0f;
		running_mean(&e->self, &e->self_calls, (float)self);
	}
	/* log2 of how many calls there are per call of this endpoint: 0 for
	 * the only endpoint, 1 at 2^16 */
	float rare = (float)(log2((double)(b->calls + 1) / (double)(e->calls + 1)) / 16.0);
	ctx->rarity = rare < 0.0f ? 0.0f : rare > 1.0f ? 1.0f : rare;
	/* in powers of 2 over the endpoint's mean, once it has one: 1 at 2^8 */
	ctx->resp_excess = excess(r, e->resp_log, e->calls);
	/* a foreign object, weighed by how few of the principals naming this
	 * endpoint's owned objects name others' (count_principal) */
	ctx->trespass = ctx->foreign == MW_OBJECT_FOREIGN ? 1.0f - e->shared : 0.0f;
	if (ctx->foreign == MW_OBJECT_OWN || ctx->foreign == MW_OBJECT_FOREIGN)
		count_principal(b, e, ev->actor, ctx->foreign == MW_OBJECT_FOREIGN);
	/* records asked for, in powers of 2 over what the endpoint's callers
	 * usually ask for, once 8 have asked: 1 at 2^8. Relative, as
	 * resp_excess is: what is a big page differs per endpoint and
	 * application, and a scraper paging at the endpoint's largest page
	 * size asks for little more than its heavy users do */
	ctx->pages = page_size(ev);
	if (ctx->pages > 0) {
		const float pl = (float)log2(1.0 + (double)ctx->pages);
		ctx->page_excess = excess(pl, e->page_log, e->page_calls);
		running_mean(&e->page_log, &e->page_calls, pl);
	}
	ctx->unusual_params = unusual_params(b, e, ev);
	b->calls++;
	running_mean(&e->resp_log, &e->calls, r);
}

void
mw_trace_features(const struct seq_summary *s, const struct mw_trace_ctx *ctx, float *x)
{
	const uint32_t n = s->calls;

	memset(x, 0, MW_TRACE_NFEAT * sizeof(float));
	x[MW_TF_calls] = lg(n, 10);
	if (s->ts_last_ns > s->ts_first_ns)
		x[MW_TF_duration] = lg((double)(s->ts_last_ns - s->ts_first_ns) / 1e3, 32);
	const struct mw_actor_history *h = ctx->h;
	if (h != NULL && h->traces > 0 && s->ts_first_ns > h->prev_ts_ns)
		x[MW_TF_since_prev] = lg((double)(s->ts_first_ns - h->prev_ts_ns) / 1e3, 32);
	for (unsigned int k = 0; k < 6; k++)
		x[MW_TF_status_mix + k] = frac(s->status_mix[k], n);
	x[MW_TF_auth_failures] = frac(s->auth_failures, n);
	x[MW_TF_not_found] = frac(s->not_found, n);
	x[MW_TF_throttled] = frac(s->throttled, n);
	x[MW_TF_writes] = frac(s->writes, n);
	x[MW_TF_req_bytes] = lg((double)s->req_bytes, 40);
	x[MW_TF_resp_bytes] = lg((double)s->resp_bytes, 40);
	x[MW_TF_object_ids] = lg(s->n_ids, 5);
	x[MW_TF_new_ids] = frac(ctx->new_ids, s->n_ids);
	x[MW_TF_endpoints] = lg(s->n_templates, 5);
	x[MW_TF_new_endpoints] = frac(ctx->new_templates, s->n_templates);
	x[MW_TF_timed_out] = s->timed_out;
	onehot(x, MW_TF_actor_kind, MW_ACTOR_MAX, s->actor_kind);
	onehot(x, MW_TF_jwt_state, MW_JWT_STATE_MAX, s->jwt_state);
	onehot(x, MW_TF_jwt_alg, 4, jwt_alg_group(s->jwt_alg));
	for (unsigned int c = 0; c < PF_CAT_MAX; c++)
		x[MW_TF_pf_category + c] = !!(s->pf_categories & (1u << c));
	memcpy(x + MW_TF_payload_max, s->payload_max, sizeof(s->payload_max));
	for (unsigned int c = 0; c < MW_SEQ_SLOTS; c++)
		x[MW_TF_trace_model + c] = s->trace_probs[c] / 65535.0f;
	x[MW_TF_rarest_endpoint] = s->rarest;
	x[MW_TF_resp_excess_max] = s->resp_excess_max;
	x[MW_TF_foreign_objects] = frac(s->foreign, n);
	x[MW_TF_trespass_max] = s->trespass_max;
	x[MW_TF_logins] = lg(s->logins, 4);
	x[MW_TF_unproven_failures] = lg(s->unproven_failures, 4);
	x[MW_TF_account_failures_max] = s->account_failures_max;
	x[MW_TF_password_spread_max] = s->password_spread_max;
	x[MW_TF_overreach_max] = s->overreach_max;
	x[MW_TF_jwt_lifetime_max] = lg(s->jwt_lifetime_s, 26);
	x[MW_TF_impersonation_max] = s->impersonation_max;
	x[MW_TF_page_size_max] = s->page_size_max / 65535.0f;
	x[MW_TF_page_excess_max] = s->page_excess_max / 65535.0f;
	x[MW_TF_unusual_params_max] = s->unusual_params_max;
	x[MW_TF_new_origin] = ctx->new_origin;
	if (h == NULL || h->traces == 0)
		return;
	x[MW_TF_history_logins] = lg(h->logins, 10);
	x[MW_TF_history_accounts] = lg(h->accounts, 8);
	x[MW_TF_history_unproven] = lg(h->unproven, 8);
	x[MW_TF_history_account_failures] = h->account_failures_max / 255.0f;
	x[MW_TF_history_password_spread] = h->password_spread_max / 255.0f;
	x[MW_TF_history_overreach] = lg(h->overreach, 8);
	x[MW_TF_history_origins] = lg(h->origins, 6);
	x[MW_TF_history_traces] = lg(h->traces, 12);
	x[MW_TF_history_calls] = lg(h->calls, 14);
	x[MW_TF_history_auth_failures] = lg(h->auth_failures, 10);
	x[MW_TF_history_not_found] = lg(h->not_found, 10);
	x[MW_TF_history_writes] = lg(h->writes, 10);
	x[MW_TF_history_ids] = lg(h->ids, 12);
	x[MW_TF_history_endpoints] = lg(h->endpoints, 8);
	x[MW_TF_history_trespass] = lg(h->trespass, 6);
	/* what an exporter takes away: answers larger than their endpoints'
	 * usual, summed and per call. Not bytes: a heavy user's many pages
	 * are ordinary ones, and what is a large answer differs per
	 * application; an export's are large for its endpoint in any. */
	x[MW_TF_history_resp_excess] = lg(h->resp_excess, 6);
	x[MW_TF_history_excess_per_call] = h->resp_excess / (float)h->calls;
	if (s->ts_first_ns > h->first_ts_ns)
		x[MW_TF_history_age] = lg((double)(s->ts_first_ns - h->first_ts_ns) / 1e3, 36);
	memcpy(x + MW_TF_history_payload_max, h->payload_max, sizeof(h->payload_max));
	memcpy(x + MW_TF_history_trace_max, h->trace_max, sizeof(h->trace_max));
}

void
mw_norm_record(const char *t, uint32_t n, uint32_t at, uint32_t *rs, uint32_t *re)
{
	*rs = *re = at;
	while (*rs > 0 && t[*rs - 1] != '\x1e')
		(*rs)--;
	while (*re < n && t[*re] != '\x1e')
		(*re)++;
}

unsigned int
mw_payload_windows(const struct mw_event *ev, uint32_t L, const uint8_t **text, uint32_t *len,
		uint8_t *match, unsigned int max)
{
	uint16_t n;
	const char *t = mw_event_field(ev, MW_FIELD_norm, &n);
	uint32_t starts[MW_EVENT_MAX_MATCHES];
	unsigned int k = 0;

	if (L == 0)
		return 0;
	for (unsigned int m = 0; m < ev->pf_nmatch && m < MW_EVENT_MAX_MATCHES && k < max; m++) {
		uint32_t from = ev->pf[m].from, rs, re;
		if (from >= n || pf_hint_category(ev->pf[m].category))
			continue;
		mw_norm_record(t, n, from, &rs, &re);
		unsigned int j = 0;
		while (j < k && starts[j] != rs)
			j++;
		if (j < k)	/* a record already windowed */
			continue;
		uint32_t ws = from - rs > L / 4 && re - rs > L ? from - L / 4 : rs;
		starts[k] = rs;
		text[k] = (const uint8_t *)t + ws;
		len[k] = re - ws < L ? re - ws : L;
		match[k++] = (uint8_t)m;
	}
	return k;
}

void
mw_payload_record_name(const struct mw_event *ev, unsigned int match, const char **name,
		uint32_t *len)
{
	uint16_t n;
	const char *t = mw_event_field(ev, MW_FIELD_norm, &n);
	uint32_t rs, re;

	*name = t;
	*len = 0;
	if (match >= ev->pf_nmatch || ev->pf[match].from >= n)
		return;
	mw_norm_record(t, n, ev->pf[match].from, &rs, &re);
	const char *eq = memchr(t + rs, '=', re - rs);
	*name = t + rs;
	*len = eq != NULL ? (uint32_t)(eq - (t + rs)) : 0;
}

void
mw_class_slots(const float *p, uint32_t n, float *slots, uint32_t nslots)
{
	for (uint32_t c = 0; c < nslots; c++)
		slots[c] = c + 1 < n ? p[c + 1] : 0.0f;
}

void
mw_summary_add(struct seq_summary *s, const struct mw_event *ev, const float *x,
		const float *pay, const float *p, uint32_t nc)
{
	s->rarest = fmaxf(s->rarest, x[MW_CF_endpoint_rarity]);
	s->resp_excess_max = fmaxf(s->resp_excess_max, x[MW_CF_resp_excess]);
	s->resp_excess_sum += fmaxf(x[MW_CF_resp_excess], 0.0f);
	s->trespass_max = fmaxf(s->trespass_max, x[MW_CF_trespass]);
	s->trespass_sum += x[MW_CF_trespass];
	s->foreign += x[MW_CF_foreign_object] > 0.0f && s->foreign < UINT16_MAX;
	s->overreach_max = fmaxf(s->overreach_max, x[MW_CF_overreach]);
	s->impersonation_max = fmaxf(s->impersonation_max, x[MW_CF_impersonation]);
	s->page_size_max = RTE_MAX(s->page_size_max, q65535(x[MW_CF_page_size]));
	s->page_excess_max = RTE_MAX(s->page_excess_max, q65535(x[MW_CF_page_excess]));
	s->unusual_params_max = fmaxf(s->unusual_params_max, x[MW_CF_unusual_params]);
	s->overreach_calls += x[MW_CF_overreach] > 0.5f && s->overreach_calls < UINT16_MAX;
	if (ev->account != 0) {
		s->logins += s->logins < UINT16_MAX;
		s->unproven_failures += x[MW_CF_account_unproven] > 0.0f && login_failed(ev) &&
			s->unproven_failures < UINT16_MAX;
		s->account_failures_max = fmaxf(s->account_failures_max, x[MW_CF_account_failures]);
		s->password_spread_max = fmaxf(s->password_spread_max, x[MW_CF_password_spread]);
		if (s->account == 0)
			s->account = ev->account;
	}
	if (s->calls == 0 || mw_trace_root(ev)) {	/* the root's actor, else the first's */
		s->actor = ev->actor;
		s->actor_kind = ev->actor_kind;
		s->origin = mw_origin(ev);
	}
	s->jwt_lifetime_s = RTE_MAX(s->jwt_lifetime_s, ev->jwt_lifetime_s);
	if (s->calls == 0 || ev->ts_req_ns < s->ts_first_ns)
		s->ts_first_ns = ev->ts_req_ns;
	if (ev->jwt_state != MW_JWT_absent) {
		s->jwt_state = ev->jwt_state;
		s->jwt_alg = ev->jwt_alg;
	}
	s->calls += s->calls < UINT16_MAX;
	s->status_mix[status_class(ev->status)]++;
	s->auth_failures += ev->status == 401 || ev->status == 403;
	s->not_found += ev->status == 404;
	s->throttled += ev->status == 429;
	s->writes += ev->method == MW_METHOD_POST || ev->method == MW_METHOD_PUT ||
		ev->method == MW_METHOD_PATCH || ev->method == MW_METHOD_DELETE;
	uint64_t last = ev->ts_resp_ns ? ev->ts_resp_ns : ev->ts_req_ns;
	if (last > s->ts_last_ns)
		s->ts_last_ns = last;
	s->req_bytes += ev->req_body_bytes;
	s->resp_bytes += ev->resp_body_bytes;
	s->pf_categories |= ev->pf_categories;
	for (unsigned int c = 0; c < MW_PAYLOAD_SLOTS; c++)
		if (pay[c] > s->payload_max[c])
			s->payload_max[c] = pay[c];
	float probs[MW_SEQ_SLOTS];
	mw_class_slots(p, nc, probs, MW_SEQ_SLOTS);
	for (unsigned int c = 0; c < MW_SEQ_SLOTS; c++)
		s->trace_probs[c] = q65535(probs[c]);
	for (unsigned int i = 0; i < ev->n_ids && s->n_ids < MW_SUMMARY_IDS; i++)
		s->ids[s->n_ids++] = ev->object_ids[i];
	unsigned int j = 0;
	while (j < s->n_templates && s->templates[j] != ev->template_id)
		j++;
	if (j == s->n_templates && j < MW_SUMMARY_TEMPLATES)
		s->templates[s->n_templates++] = ev->template_id;
}

/* v in [0, 1] as 255ths */
static inline uint8_t
q255(float v)
{
	return (uint8_t)(v <= 0.0f ? 0 : v >= 1.0f ? 255 : v * 255.0f + 0.5f);
}

static inline uint32_t
bloom_bit(uint64_t v, unsigned int k)
{
	return (uint32_t)((v * (0x9e3779b97f4a7c15ull + 2 * k)) >> 53) % (MW_BLOOM_WORDS * 64);
}

/* Whether v was in the set before; adds it. */
static bool
bloom_seen(uint64_t *seen, uint64_t v)
{
	bool was = true;

	for (unsigned int k = 0; k < 2; k++) {
		uint32_t b = bloom_bit(v, k);
		uint64_t m = 1ull << (b & 63);
		if (!(seen[b >> 6] & m))
			was = false;
		seen[b >> 6] |= m;
	}
	return was;
}

void
mw_actor_step(struct mw_actor_history *h, const struct seq_summary *s, float *x)
{
	struct mw_trace_ctx ctx = { .h = h };

	for (unsigned int j = 0; j < s->n_ids; j++)
		ctx.new_ids += !bloom_seen(h->seen, s->ids[j]);
	for (unsigned int j = 0; j < s->n_templates; j++)
		ctx.new_templates += !bloom_seen(h->seen, (uint64_t)s->templates[j] << 1 | 1);
	const bool new_origin = !bloom_seen(h->seen, s->origin ^ 0x6f726967696e0000ull);
	ctx.new_origin = h->traces > 0 && new_origin;
	mw_trace_features(s, &ctx, x);
	h->origins = add16(h->origins, new_origin);
	if (s->account != 0)
		h->accounts = add16(h->accounts, !bloom_seen(h->seen, s->account << 1 | 1));
	h->logins = add16(h->logins, s->logins);
	h->unproven = add16(h->unproven, s->unproven_failures);
	h->overreach = add16(h->overreach, s->overreach_calls);
	h->account_failures_max = RTE_MAX(h->account_failures_max, q255(s->account_failures_max));
	h->password_spread_max = RTE_MAX(h->password_spread_max, q255(s->password_spread_max));
	if (h->traces == 0)
		h->first_ts_ns = s->ts_first_ns;
	h->prev_ts_ns = s->ts_last_ns;
	h->traces++;
	h->calls += s->calls;
	h->auth_failures += s->auth_failures;
	h->not_found += s->not_found;
	h->writes += s->writes;
	h->ids += ctx.new_ids;
	h->endpoints += ctx.new_templates;
	h->trespass += s->trespass_sum;
	h->resp_excess += s->resp_excess_sum;
	for (unsigned int c = 0; c < MW_PAYLOAD_SLOTS; c++)
		h->payload_max[c] = fmaxf(h->payload_max[c], s->payload_max[c]);
	for (unsigned int c = 0; c < MW_SEQ_SLOTS; c++)
		h->trace_max[c] = fmaxf(h->trace_max[c], s->trace_probs[c] / 65535.0f);
}
