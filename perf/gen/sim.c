/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch-gen simulation: users, sessions, traces, HTTP, attacks.
 *
 * Order of events: sessions sit in a heap keyed by the time of their next
 * action; each action is one request from a client through the gateway and
 * all the internal calls it causes (a trace), generated completely before the
 * next action starts. Packets of a trace are never earlier than its start, so
 * net_flush(start) can write everything older.
 */
#include <arpa/inet.h>
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "encode.h"
#include "grammar.h"
#include "labels.h"
#include "sim.h"

#define NS 1000000000ull
#define US 1000ull
#define MS 1000000ull

#define MAX_VAL 1600
#define MAX_FIELDS 40
#define REQ_MAX 32768
#define RESP_MAX (4u << 20)
#define TOKEN_MAX 1024
#define DELAYED_ACK (40 * MS)
#define POOL_IDLE (30 * NS)
#define SWEEP_EVERY (500 * MS)

/* ---------------------------------------------------------------- state */

struct user {
	int64_t id;
	char name[64], uname[40], email[96], password[40];
	char ua[200];
	int ipk;		/* client address record */
	uint8_t admin, mobile;
	uint64_t token_exp;	/* ns; 0 = no token */
	uint64_t token_iat;
	char token[TOKEN_MAX];
	char sid[33];
	int64_t owned[APP_MAX_KINDS][4];
	uint8_t n_owned[APP_MAX_KINDS];
	/* label aggregation (the actor "u<id>") */
	uint32_t sessions, requests, malicious;
	uint8_t cls;
	uint8_t n_attacks;
	uint32_t attacks[8];
};

/* A client address, and the actor "ip:<addr>" for requests without a token. */
struct iprec {
	uint32_t ip;
	uint32_t sessions, requests, malicious;
	uint8_t cls;
	uint8_t n_attacks;
	uint32_t attacks[8];
};

struct session {
	uint64_t t, seq;
	int user;		/* -1: anonymous */
	int ipk;
	enum cls cls;
	uint32_t attack_id;
	int variant;
	int vuln;		/* the app lets this attacker through */
	int wf, step, reps;	/* workflow cursor */
	int left;		/* actions left in an attack phase */
	int phase;
	int64_t cursor;
	int victim;		/* user whose objects or token are abused */
	int n_ips;		/* rotating proxies: ipk .. ipk + n_ips - 1 */
	int pay_every;		/* payload sessions: share of steps in 1/16 */
	int ep;			/* attack target endpoint */
	int tool;		/* a scanner's User-Agent */
	char ua[200];
	char secret[40];	/* password spraying: the one password */
	uint8_t need_login, mobile, done;
};

struct field_t {
	char name[APP_NAME];
	char val[MAX_VAL];	/* raw (decoded) value */
	char wire[MAX_VAL];	/* encoded, when preset (attacks) */
	uint16_t len, wlen;
	uint8_t loc;		/* enum loc */
	uint8_t num;		/* a JSON number or literal, not a string */
	uint8_t json_raw;	/* wire is a raw JSON value */
	uint8_t has_wire;
};

enum loc { LOC_PATH, LOC_QUERY, LOC_BODY, LOC_HEADER, LOC_COOKIE };

/* A payload riding in one field of a call. */
struct payload {
	enum cls cls;
	char raw[1024];
	size_t len;
	char technique[APP_NAME];
	char location[64];
	const char *encoding;
	char pname[APP_NAME];
};

struct creq {
	int ep;			/* -1: a path the app does not have (probes) */
	int svc;
	const char *method;
	char path_override[512];
	int forced_status;
	int n;
	struct field_t f[MAX_FIELDS];
	struct payload *pay;	/* field carrying it: pay_field */
	int pay_field;
	int propagated;
	int foreign;		/* BOLA: an id that is not the actor's */
	int mal;		/* this call is a malicious step */
	const char *step;
	enum cls cls;
	const char *technique;
	const char *location;
	int list_limit;
	int legacy_records;
	int fwd_auth;		/* the caller forwards the Authorization header */
	char foreign_name[APP_NAME];
};

struct tctx {
	struct session *s;
	char tid[33], xrid[37];
	char actor[64];
	char client_ip[48];
	int actor_user;		/* index, or -1 for the ip record */
	int actor_ip;
	const char *token;	/* Authorization bearer, NULL if none */
	int auth_bad;		/* token is invalid (expired, forged, alg=none) */
	int auth_admin;		/* token claims the admin role */
	uint32_t calls, malicious;
	enum cls cls;
	uint32_t attack_id;
	const char *cookie;
	const char *ua;
	uint64_t t0;
	int64_t created;	/* the object its creating call made; -1: none */
};

struct pool {
	struct conn *c;
	int n, cap;
};

static struct {
	const struct app *a;
	const struct sim_grammars *g;
	const struct sim_opts *o;
	struct rng *r;
	struct sim_result *res;

	struct user *users;
	int n_users;
	struct iprec *ips;
	int n_ips, cap_ips;
	struct session **heap;
	size_t n_heap, cap_heap;
	uint64_t heap_seq;

	struct pool *pools;	/* [caller inst][callee inst] */
	uint16_t *next_port;	/* per instance */
	uint32_t *inst_ip;
	int *inst_svc;
	uint64_t last_sweep, now;

	int *browse_eps;	/* by popularity */
	int n_browse;
	struct zipf browse_zipf;
	int wf_total;
	uint32_t next_attack;
	int64_t next_obj[APP_MAX_KINDS];

	char req[REQ_MAX];
	char *resp;
	char *records;		/* response filler: JSON records */
	size_t records_len;
	uint32_t *record_off;
	int n_records;
} S;

/* ------------------------------------------------------------- helpers */

static uint64_t
rtt_ns(void)
{
	return 80 * US + rng_below(S.r, 120) * US;
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char h[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = h[b[i] >> 4];
		out[2 * i + 1] = h[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
rand_hex(char *out, size_t bytes)
{
	uint8_t b[32];

	for (size_t i = 0; i < bytes; i++)
		b[i] = (uint8_t)rng_u64(S.r);
	hex(b, bytes, out);
}

static void
uuid(char *out)
{
	uint8_t b[16];
	char h[33];

	for (int i = 0; i < 16; i++)
		b[i] = (uint8_t)rng_u64(S.r);
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	hex(b, 16, h);
	sprintf(out, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12, h + 16, h + 20);
}

static void
ip_str(uint32_t ip, char *out, size_t len, int v6)
{
	if (v6)
		snprintf(out, len, "fd00:6d77::%x:%x", ip >> 16, ip & 0xffff);
	else
		snprintf(out, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255,
				(ip >> 8) & 255, ip & 255);
}

static size_t
gexpand(const char *rule, char *out, size_t cap)
{
	return grammar_expand_name(S.g->benign, rule, S.r, GCASE_ASIS, out, cap);
}

static int
new_ip(void)
{
	const struct app *a = S.a;

	if (S.n_ips == S.cap_ips) {
		S.cap_ips = S.cap_ips ? S.cap_ips * 2 : 4096;
		S.ips = realloc(S.ips, (size_t)S.cap_ips * sizeof(*S.ips));
		if (S.ips == NULL) {
			fprintf(stderr, "meshwatch-gen: out of memory\n");
			exit(1);
		}
	}
	int k = (int)rng_below(S.r, (uint32_t)a->n_client_nets);
	uint32_t host = (uint32_t)rng_u64(S.r) & ~a->client_mask[k];
	if ((host & 0xff) == 0 || (host & 0xff) == 255)
		host ^= 7;
	memset(&S.ips[S.n_ips], 0, sizeof(S.ips[0]));
	S.ips[S.n_ips].ip = a->client_net[k] | host;
	return S.n_ips++;
}

/* ------------------------------------------------------------ the heap */

static int
sess_before(const struct session *x, const struct session *y)
{
	return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void
sess_push(struct session *s)
{
	if (S.n_heap == S.cap_heap) {
		S.cap_heap = S.cap_heap ? S.cap_heap * 2 : 1024;
		S.heap = realloc(S.heap, S.cap_heap * sizeof(*S.heap));
		if (S.heap == NULL) {
			fprintf(stderr, "meshwatch-gen: out of memory\n");
			exit(1);
		}
	}
	s->seq = S.heap_seq++;
	size_t i = S.n_heap++;
	while (i > 0 && sess_before(s, S.heap[(i - 1) / 2])) {
		S.heap[i] = S.heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	S.heap[i] = s;
}

static struct session *
sess_pop(void)
{
	struct session *top = S.heap[0], *last = S.heap[--S.n_heap];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= S.n_heap)
			break;
		if (c + 1 < S.n_heap && sess_before(S.heap[c + 1], S.heap[c]))
			c++;
		if (!sess_before(S.heap[c], last))
			break;
		S.heap[i] = S.heap[c];
		i = c;
	}
	if (S.n_heap)
		S.heap[i] = last;
	return top;
}

/* ---------------------------------------------------- users and tokens */

static void
ascii_lower(const char *in, char *out, size_t cap)
{
	size_t o = 0;

	for (; *in && o + 1 < cap; in++) {
		unsigned char c = (unsigned char)*in;
		if (c >= 'A' && c <= 'Z')
			out[o++] = (char)(c + 32);
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

/* Accounts are unique in an application: a user name or e-mail address
 * another user already has gets the user's number (before the '@'). */
static void
make_unique(char *s, size_t cap, int serial)
{
	ENTRY e = { .key = s };

	while (hsearch(e, FIND) != NULL && strlen(s) + 8 < cap) {
		char rest[128];
		char *at = strchr(s, '@');
		snprintf(rest, sizeof(rest), "%s", at ? at : "");
		size_t n = at ? (size_t)(at - s) : strlen(s);
		snprintf(s + n, cap - n, "%d%s", serial, rest);
	}
	if (hsearch(e, ENTER) == NULL) {
		fprintf(stderr, "meshwatch-gen: out of memory for user names\n");
		exit(1);
	}
}

static void
users_init(int count)
{
	const struct app *a = S.a;
	int nat_ip = -1;

	S.n_users = count;
	S.users = calloc((size_t)count, sizeof(*S.users));
	if (S.users == NULL || hcreate((size_t)count * 4) == 0) {
		fprintf(stderr, "meshwatch-gen: out of memory for %d users\n", count);
		exit(1);
	}
	for (int i = 0; i < count; i++) {
		struct user *u = &S.users[i];
		char first[32], last[48];

		u->id = a->user_id_base + i;
		gexpand("first_name", first, sizeof(first));
		gexpand("last_name", last, sizeof(last));
		snprintf(u->name, sizeof(u->name), "%.31s %.31s", first, last);
		char f[32], l[48];
		ascii_lower(first, f, sizeof(f));
		ascii_lower(last, l, sizeof(l));
		snprintf(u->uname, sizeof(u->uname), "%.1s%.24s%d", f[0] ? f : "x",
				l[0] ? l : "user", (int)rng_below(S.r, 100));
		snprintf(u->email, sizeof(u->email), "%.30s.%.40s@%s", f[0] ? f : "x",
				l[0] ? l : "user", rng_below(S.r, 3) ? "example.com" :
				rng_below(S.r, 2) ? "mail.example.org" : "corp.example.net");
		make_unique(u->uname, sizeof(u->uname), i);
		make_unique(u->email, sizeof(u->email), i);
		gexpand("password", u->password, sizeof(u->password));
		u->mobile = rng_below(S.r, 3) == 0;
		gexpand(u->mobile ? "ua_mobile" : "ua_browser", u->ua, sizeof(u->ua));
		u->admin = rng_chance(S.r, a->admin_share);
		/* Users behind one NAT share an address (offices, carriers). */
		if (nat_ip >= 0 && rng_chance(S.r, a->nat_share)) {
			u->ipk = nat_ip;
		} else {
			u->ipk = new_ip();
			if (rng_below(S.r, 8) == 0)
				nat_ip = u->ipk;
		}
		rand_hex(u->sid, 16);
	}
	hdestroy();
}

static size_t
jwt_build(char *out, size_t cap, const char *alg, const char *sub, const char *role,
		uint64_t iat, uint64_t exp, const char *kid, int sig_bytes)
{
	char hdr[256], pl[512], jti[17];
	size_t o;

	rand_hex(jti, 8);
	int hl = snprintf(hdr, sizeof(hdr), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
			alg, kid);
	int pln = snprintf(pl, sizeof(pl), "{\"sub\":\"%s\",\"iss\":\"%s\",\"aud\":\"%s\","
			"\"iat\":%llu,\"exp\":%llu,\"jti\":\"%s\",\"role\":\"%s\","
			"\"scope\":\"api:read api:write\"}", sub, S.a->issuer, S.a->name,
			(unsigned long long)iat, (unsigned long long)exp, jti, role);
	o = b64url(hdr, (size_t)hl, out, cap);
	if (o + 2 < cap)
		out[o++] = '.';
	o += b64url(pl, (size_t)pln, out + o, cap - o);
	if (o + 2 < cap)
		out[o++] = '.';
	if (sig_bytes > 0) {
		uint8_t sig[256];
		for (int i = 0; i < sig_bytes && i < 256; i++)
			sig[i] = (uint8_t)rng_u64(S.r);
		o += b64url(sig, (size_t)sig_bytes, out + o, cap - o);
	}
	out[o] = '\0';
	return o;
}

static int
sig_len(const char *alg)
{
	return !strcmp(alg, "RS256") ? 256 : !strcmp(alg, "ES256") ? 64 : 32;
}

static uint64_t
epoch_s(uint64_t t)
{
	return (uint64_t)S.a->start_epoch + t / NS;
}

/* A user's name in the labels: the same in every application. */
static void
user_label(const struct user *u, char *out, size_t len)
{
	snprintf(out, len, "u%lld", (long long)u->id);
}

/* ... and the subject of its tokens, as the application's identity
 * provider writes it (idp.sub_prefix). */
static void
user_sub(const struct user *u, char *out, size_t len)
{
	snprintf(out, len, "%s%lld", S.a->sub_prefix, (long long)u->id);
}

static void
issue_token(struct user *u, uint64_t t)
{
	char sub[32];

	user_sub(u, sub, sizeof(sub));
	u->token_iat = epoch_s(t);
	u->token_exp = t + (uint64_t)S.a->token_ttl * NS;
	jwt_build(u->token, sizeof(u->token), S.a->jwt_alg, sub, u->admin ? "admin" : "user",
			u->token_iat, u->token_iat + (uint64_t)S.a->token_ttl, "k1",
			sig_len(S.a->jwt_alg));
}

/* --------------------------------------------------- connection pools */

static struct conn *
pool_get(int from, int to, uint64_t *t)
{
	struct pool *p = &S.pools[(size_t)from * S.a->n_inst + to];
	struct conn *c = NULL;

	for (int i = 0; i < p->n; i++) {
		if (p->c[i].open && p->c[i].busy_until <= *t) {
			c = &p->c[i];
			break;
		}
	}
	if (c != NULL)
		return c;
	for (int i = 0; i < p->n && c == NULL; i++)
		if (!p->c[i].open)
			c = &p->c[i];
	if (c == NULL) {
		if (p->n == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 4;
			p->c = realloc(p->c, (size_t)p->cap * sizeof(*p->c));
			if (p->c == NULL) {
				fprintf(stderr, "meshwatch-gen: out of memory\n");
				exit(1);
			}
		}
		c = &p->c[p->n++];
	}
	memset(c, 0, sizeof(*c));
	c->cli_ip = S.inst_ip[from];
	c->srv_ip = S.inst_ip[to];
	c->sport = S.a->svcs[S.inst_svc[to]].port;
	c->cport = S.next_port[from]++;
	if (S.next_port[from] >= 60999 || S.next_port[from] < 32768)
		S.next_port[from] = 32768;
	c->mss = S.o->net.ipv6 ? 1428 : 1448;	/* MSS minus timestamps */
	/* Keep-alive limit: the server says "Connection: close" after this. */
	c->requests = 0;
	*t = net_open(c, *t, rtt_ns());
	return c;
}

/* Closes pooled connections idle for longer than POOL_IDLE. */
static void
pool_sweep(uint64_t now, int all)
{
	size_t n = (size_t)S.a->n_inst * S.a->n_inst;

	for (size_t i = 0; i < n; i++) {
		struct pool *p = &S.pools[i];
		for (int k = 0; k < p->n; k++) {
			struct conn *c = &p->c[k];
			if (!c->open || c->busy_until == UINT64_MAX)
				continue;
			uint64_t idle_at = c->busy_until + POOL_IDLE;
			if (!all && idle_at > now)
				continue;
			uint64_t t = all ? c->busy_until + MS : (idle_at > now ? idle_at : now);
			if (t < now)
				t = now;
			/* Idle pooled connections are closed by the client, or
			 * now and then reset by the server. */
			int rst = rng_below(S.r, 20) == 0;
			net_close(c, rst, t, rtt_ns(), rst);
		}
	}
}

/* --------------------------------------------------- parameter values */

static void
date_str(uint64_t t, int days_ahead, char *out, size_t len)
{
	time_t s = (time_t)(epoch_s(t) + (uint64_t)days_ahead * 86400);
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(out, len, "%Y-%m-%d", &tm);
}

/* An object the user created, or (none yet) an id from the kind's range. */
static int64_t
owned_id(struct user *u, int kind)
{
	if (u && u->n_owned[kind])
		return u->owned[kind][rng_below(S.r, u->n_owned[kind])];
	return S.a->kinds[kind].first_id + (int64_t)rng_below(S.r, 1000000);
}

/* Raw value of a parameter for this actor; sets *num for JSON literals. */
static size_t
param_value(const struct param *p, struct user *u, uint64_t t, char *out, size_t cap,
		uint8_t *num)
{
	*num = 0;
	switch (p->type) {
	case PT_INT:
		*num = 1;
		return (size_t)snprintf(out, cap, "%lld", (long long)rng_range(S.r, p->lo, p->hi));
	case PT_ZIPF: {
		struct zipf z;
		zipf_init(&z, (uint32_t)p->hi, 1.1);
		*num = 1;
		return (size_t)snprintf(out, cap, "%u", zipf_draw(&z, S.r));
	}
	case PT_SELF:
		*num = 1;
		return (size_t)snprintf(out, cap, "%lld", (long long)(u ? u->id :
					S.a->user_id_base + rng_below(S.r, (uint32_t)S.n_users)));
	case PT_OWNED:
		*num = 1;
		return (size_t)snprintf(out, cap, "%lld", (long long)owned_id(u, p->kind));
	case PT_UUID:
		uuid(out);
		return 36;
	case PT_ENUM:
		return (size_t)snprintf(out, cap, "%s",
				p->choices[rng_below(S.r, (uint32_t)p->n_choices)]);
	case PT_CONST:
		return (size_t)snprintf(out, cap, "%s", p->choices[0]);
	case PT_GRAMMAR:
		return grammar_expand(S.g->benign, p->rule, S.r, GCASE_ASIS, out, cap);
	case PT_USER:
		return (size_t)snprintf(out, cap, "%s", u ? u->uname : "guest");
	case PT_PASSWORD:
		return (size_t)snprintf(out, cap, "%s", u ? u->password : "");
	case PT_EMAIL:
		return (size_t)snprintf(out, cap, "%s", u ? u->email : "guest@example.com");
	case PT_NAME:
		return (size_t)snprintf(out, cap, "%s", u ? u->name : "Guest");
	case PT_MONEY:
		*num = 1;
		return (size_t)snprintf(out, cap, "%lld.%02u", (long long)rng_range(S.r, p->lo, p->hi),
				rng_below(S.r, 100));
	case PT_BOOL:
		*num = 1;
		return (size_t)snprintf(out, cap, "%s", rng_below(S.r, 2) ? "true" : "false");
	case PT_DATE:
		date_str(t, (int)rng_below(S.r, 14), out, cap);
		return strlen(out);
	case PT_LIMIT: {
		/* Clients use a few round page sizes. */
		static const int common[] = { 10, 20, 25, 50 };
		int64_t v = common[rng_below(S.r, 4)];
		if (v < p->lo || v > p->hi)
			v = p->lo;
		*num = 1;
		return (size_t)snprintf(out, cap, "%lld", (long long)v);
	}
	case PT_PAGE:
		*num = 1;
		return (size_t)snprintf(out, cap, "%u", 1 + (rng_below(S.r, 3) ? 0 :
					rng_below(S.r, 8)));
	case PT_GEO:
		return (size_t)snprintf(out, cap, "%.5f,%.5f", 48.0 + rng_unit(S.r) * 6,
				2.0 + rng_unit(S.r) * 12);
	}
	return 0;
}

static struct field_t *
add_field(struct creq *q, enum loc loc, const char *name)
{
	if (q->n == MAX_FIELDS)
		return NULL;
	struct field_t *f = &q->f[q->n++];
	snprintf(f->name, sizeof(f->name), "%.*s", (int)sizeof(f->name) - 1, name);
	f->loc = (uint8_t)loc;
	f->len = f->wlen = 0;
	f->num = f->json_raw = f->has_wire = 0;
	f->val[0] = '\0';
	return f;
}

static struct field_t *
find_field(struct creq *q, const char *name)
{
	for (int i = 0; i < q->n; i++)
		if (!strcmp(q->f[i].name, name))
			return &q->f[i];
	return NULL;
}

static void
fill_params(struct creq *q, const struct param *ps, int n, enum loc loc,
		struct user *u, uint64_t t, const struct creq *parent)
{
	for (int i = 0; i < n; i++) {
		const struct param *p = &ps[i];
		const struct field_t *pf = NULL;

		if (parent)
			for (int k = 0; k < parent->n && !pf; k++)
				if (!strcmp(parent->f[k].name, p->name) &&
						parent->f[k].loc <= LOC_BODY)
					pf = &parent->f[k];
		if (!pf && loc != LOC_PATH && !rng_chance(S.r, p->prob))
			continue;
		struct field_t *f = add_field(q, loc, p->name);
		if (f == NULL)
			return;
		if (pf) {
			/* Internal calls pass on the value they received,
			 * decoded: what the caller's framework handed it. */
			memcpy(f->val, pf->val, pf->len + 1u);
			f->len = pf->len;
			f->num = pf->num && !pf->has_wire;
		} else {
			f->len = (uint16_t)param_value(p, u, t, f->val, sizeof(f->val), &f->num);
		}
	}
}

/* ---------------------------------------------------- HTTP: requests */

struct buf {
	char *p;
	size_t len, cap;
};

static void
bput(struct buf *b, const char *s, size_t n)
{
	if (b->len + n >= b->cap)
		n = b->cap - 1 - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void
bstr(struct buf *b, const char *s)
{
	bput(b, s, strlen(s));
}

static void
bfmt(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
bfmt(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < b->cap - b->len ? (size_t)n : b->cap - b->len - 1;
}

static void
put_encoded(struct buf *b, const struct field_t *f, enum ctx c)
{
	char tmp[MAX_VAL * 3];

	if (f->has_wire) {
		bput(b, f->wire, f->wlen);
		return;
	}
	size_t n = encode_value(f->val, f->len, c, EV_NONE, S.r, tmp, sizeof(tmp));
	bput(b, tmp, n);
}

/* Writes the request target: path with parameters, then the query. */
static void
put_target(struct buf *b, const struct creq *q)
{
	if (q->ep < 0) {
		bstr(b, q->path_override);
		return;
	}
	const struct endpoint *e = &S.a->eps[q->ep];
	int pi = 0;

	for (int s = 0; s < e->n_segs; s++) {
		bstr(b, e->segs[s].lit);
		if (e->segs[s].param < 0)
			continue;
		for (; pi < q->n && q->f[pi].loc != LOC_PATH; pi++)
			;
		if (pi < q->n)
			put_encoded(b, &q->f[pi++], CTX_PATH);
	}
	int first = 1;
	for (int i = 0; i < q->n; i++) {
		if (q->f[i].loc != LOC_QUERY)
			continue;
		bstr(b, first ? "?" : "&");
		first = 0;
		if (q->f[i].name[0] == '\x01') {	/* nameless: payload is the query */
			put_encoded(b, &q->f[i], CTX_QUERY);
			continue;
		}
		bstr(b, q->f[i].name);
		bstr(b, "=");
		put_encoded(b, &q->f[i], CTX_QUERY);
	}
}

static size_t
build_body(const struct creq *q, enum body_kind kind, char *out, size_t cap)
{
	struct buf b = { out, 0, cap };
	int first = 1;

	if (kind == BODY_JSON)
		bstr(&b, "{");
	for (int i = 0; i < q->n; i++) {
		const struct field_t *f = &q->f[i];
		if (f->loc != LOC_BODY)
			continue;
		if (kind == BODY_JSON) {
			bstr(&b, first ? "\"" : ",\"");
			bstr(&b, f->name);
			bstr(&b, "\":");
			if (f->has_wire) {
				if (!f->json_raw)
					bstr(&b, "\"");
				bput(&b, f->wire, f->wlen);
				if (!f->json_raw)
					bstr(&b, "\"");
			} else if (f->num) {
				bput(&b, f->val, f->len);
			} else {
				bstr(&b, "\"");
				put_encoded(&b, f, CTX_JSON);
				bstr(&b, "\"");
			}
		} else {
			if (!first)
				bstr(&b, "&");
			bstr(&b, f->name);
			bstr(&b, "=");
			put_encoded(&b, f, CTX_FORM);
		}
		first = 0;
	}
	if (kind == BODY_JSON)
		bstr(&b, "}");
	out[b.len] = '\0';
	return b.len;
}

struct hop {
	const struct service *from;
	int edge;		/* the gateway's call into the mesh */
	const char *span, *parent;
	int forward_auth;
};

static size_t
build_request(struct tctx *tc, const struct creq *q, const struct hop *h,
		char *uri, size_t uri_cap, uint32_t *req_bytes)
{
	struct buf b = { S.req, 0, REQ_MAX };
	const struct endpoint *e = q->ep >= 0 ? &S.a->eps[q->ep] : NULL;
	const struct service *to = &S.a->svcs[q->svc];
	static char body[REQ_MAX / 2];
	enum body_kind bk = e ? e->body : BODY_NONE;
	size_t blen = bk != BODY_NONE ? build_body(q, bk, body, sizeof(body)) : 0;

	bstr(&b, q->method);
	bstr(&b, " ");
	size_t t0 = b.len;
	put_target(&b, q);
	size_t tl = b.len - t0 < uri_cap - 1 ? b.len - t0 : uri_cap - 1;
	memcpy(uri, b.p + t0, tl);
	uri[tl] = '\0';
	bstr(&b, " HTTP/1.1\r\n");
	bfmt(&b, "Host: %s:%u\r\n", to->host, to->port);
	/* The gateway passes the client's User-Agent on; services send their own. */
	const char *ua = h->edge ? tc->ua : h->from->ua;
	for (int i = 0; i < q->n; i++)
		if (q->f[i].loc == LOC_HEADER && !strcasecmp(q->f[i].name, "User-Agent")) {
			ua = NULL;
			break;
		}
	if (ua)
		bfmt(&b, "User-Agent: %s\r\n", ua);
	bstr(&b, "Accept: application/json\r\n");
	if (tc->token && (h->edge || h->forward_auth))
		bfmt(&b, "Authorization: Bearer %s\r\n", tc->token);
	switch (h->from->trace) {
	case TRACE_W3C:
		bfmt(&b, "traceparent: 00-%s-%s-01\r\n", tc->tid, h->span);
		break;
	case TRACE_B3:
		bfmt(&b, "X-B3-TraceId: %s\r\nX-B3-SpanId: %s\r\n", tc->tid, h->span);
		if (h->parent && h->parent[0])
			bfmt(&b, "X-B3-ParentSpanId: %s\r\n", h->parent);
		bstr(&b, "X-B3-Sampled: 1\r\n");
		break;
	case TRACE_XRID:
		break;
	}
	if (h->edge || h->from->trace == TRACE_XRID)
		bfmt(&b, "x-request-id: %s\r\n", tc->xrid);
	if (h->edge) {
		bfmt(&b, "X-Forwarded-For: %s\r\nX-Forwarded-Proto: https\r\n", tc->client_ip);
		int have_cookie = 0;
		for (int i = 0; i < q->n; i++)
			have_cookie |= q->f[i].loc == LOC_COOKIE;
		if (tc->cookie || have_cookie) {
			bstr(&b, "Cookie: ");
			int first = 1;
			if (tc->cookie) {
				bfmt(&b, "sid=%s; lang=en", tc->cookie);
				first = 0;
			}
			for (int i = 0; i < q->n; i++) {
				if (q->f[i].loc != LOC_COOKIE)
					continue;
				bfmt(&b, "%s%s=", first ? "" : "; ", q->f[i].name);
				put_encoded(&b, &q->f[i], CTX_COOKIE);
				first = 0;
			}
			bstr(&b, "\r\n");
		}
	}
	for (int i = 0; i < q->n; i++) {
		if (q->f[i].loc != LOC_HEADER)
			continue;
		bfmt(&b, "%s: ", q->f[i].name);
		put_encoded(&b, &q->f[i], CTX_HEADER);
		bstr(&b, "\r\n");
	}
	if (bk != BODY_NONE) {
		bfmt(&b, "Content-Type: %s\r\nContent-Length: %zu\r\n",
				bk == BODY_JSON ? "application/json" :
				"application/x-www-form-urlencoded", blen);
	}
	bstr(&b, "\r\n");
	bput(&b, body, blen);
	*req_bytes = (uint32_t)blen;
	return b.len;
}

/* --------------------------------------------------- HTTP: responses */

static const char *
reason(int code)
{
	switch (code) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

static void
records_init(void)
{
	struct buf b;
	size_t cap = 1 << 20;

	S.records = malloc(cap);
	S.record_off = malloc(2048 * sizeof(*S.record_off));
	S.resp = malloc(RESP_MAX + 65536);
	if (!S.records || !S.record_off || !S.resp) {
		fprintf(stderr, "meshwatch-gen: out of memory\n");
		exit(1);
	}
	b = (struct buf){ S.records, 0, cap };
	for (int i = 0; i < 2048 && b.len + 2048 < cap; i++) {
		char name[96], text[512], city[64], esc[1600];
		gexpand("person", name, sizeof(name));
		size_t tl = gexpand("comment", text, sizeof(text));
		gexpand("city", city, sizeof(city));
		S.record_off[S.n_records++] = (uint32_t)b.len;
		bfmt(&b, "{\"id\":%u,\"name\":\"", 1000 + rng_below(S.r, 900000));
		bput(&b, esc, encode_value(name, strlen(name), CTX_JSON, EV_NONE, S.r, esc,
					sizeof(esc)));
		bfmt(&b, "\",\"city\":\"%s\",\"updated\":\"2026-%02u-%02uT%02u:%02u:00Z\","
				"\"note\":\"", city, 1 + rng_below(S.r, 10), 1 + rng_below(S.r, 28),
				rng_below(S.r, 24), rng_below(S.r, 60));
		bput(&b, esc, encode_value(text, tl, CTX_JSON, EV_NONE, S.r, esc, sizeof(esc)));
		bstr(&b, "\"}");
	}
	S.records_len = b.len;
}

/* A JSON body of about size bytes made of records. */
static size_t
json_body(size_t size, char *out, size_t cap)
{
	struct buf b = { out, 0, cap };
	int k = (int)rng_below(S.r, (uint32_t)S.n_records);

	bstr(&b, "{\"data\":[");
	int first = 1;
	while (b.len + 2 < size && b.len + 4096 < cap) {
		uint32_t off = S.record_off[k];
		uint32_t end = k + 1 < S.n_records ? S.record_off[k + 1] : (uint32_t)S.records_len;
		if (!first)
			bstr(&b, ",");
		bput(&b, S.records + off, end - off);
		first = 0;
		k = (k + 1) % S.n_records;
	}
	bstr(&b, "]}");
	return b.len;
}

static size_t
build_response(struct tctx *tc, int status, size_t size, int chunked, int close,
		uint64_t t, const char *token, const char *location, uint32_t *body_len)
{
	struct buf b = { S.resp, 0, RESP_MAX + 65536 };
	static char body[RESP_MAX];
	size_t blen = 0;
	char date[64];
	time_t secs = (time_t)epoch_s(t);
	struct tm tm;

	if (token) {
		blen = (size_t)snprintf(body, sizeof(body), "{\"access_token\":\"%s\","
				"\"token_type\":\"Bearer\",\"expires_in\":%d,\"scope\":"
				"\"api:read api:write\"}", token, S.a->token_ttl);
	} else if (status >= 400) {
		static const char *msg[] = { "invalid request", "authentication required",
			"access denied", "resource not found", "conflict with current state",
			"internal error", "upstream unavailable" };
		int m = status == 400 || status == 422 ? 0 : status == 401 ? 1 : status == 403 ? 2 :
			status == 404 || status == 405 ? 3 : status == 409 ? 4 : status == 500 ? 5 : 6;
		blen = (size_t)snprintf(body, sizeof(body), "{\"error\":{\"code\":%d,\"message\":"
				"\"%s\",\"trace_id\":\"%s\"}}", status, msg[m], tc->tid);
	} else if (status != 204) {
		blen = json_body(size, body, sizeof(body));
	}
	gmtime_r(&secs, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	bfmt(&b, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, reason(status), date);
	if (status != 204)
		bstr(&b, "Content-Type: application/json\r\n");
	if (location)
		bfmt(&b, "Location: %s\r\n", location);
	if (close)
		bstr(&b, "Connection: close\r\n");
	if (status == 204) {
		bstr(&b, "\r\n");
	} else if (chunked && blen > 0) {
		bstr(&b, "Transfer-Encoding: chunked\r\n\r\n");
		for (size_t off = 0; off < blen;) {
			size_t n = 1024 + rng_below(S.r, 7168);
			if (n > blen - off)
				n = blen - off;
			bfmt(&b, "%zx\r\n", n);
			bput(&b, body + off, n);
			bstr(&b, "\r\n");
			off += n;
		}
		bstr(&b, "0\r\n\r\n");
	} else {
		bfmt(&b, "Content-Length: %zu\r\n\r\n", blen);
		bput(&b, body, blen);
	}
	*body_len = (uint32_t)blen;
	return b.len;
}

/* --------------------------------------------------------- the calls */

static int
pick_status(const struct endpoint *e)
{
	double x = rng_unit(S.r);

	for (int i = 0; i < e->n_status; i++) {
		if (x < e->status[i].p)
			return e->status[i].code;
		x -= e->status[i].p;
	}
	if (rng_chance(S.r, 0.0015))
		return rng_below(S.r, 3) ? 500 : 503;
	if (e->creates >= 0)
		return 201;
	return !strcmp(e->method, "DELETE") ? 204 : 200;
}

/* What an attack payload does to the service that receives it. */
struct effect {
	double p500, pdump, pdelay, p400;
};

static const struct effect payload_effect[CLS_N] = {
	[CLS_SQLI] = { 0.30, 0.12, 0.08, 0.10 },
	[CLS_XSS] = { 0.02, 0.00, 0.00, 0.15 },
	[CLS_CMDI] = { 0.15, 0.05, 0.10, 0.10 },
	[CLS_TRAVERSAL] = { 0.05, 0.10, 0.00, 0.35 },
	[CLS_SSRF] = { 0.10, 0.10, 0.25, 0.15 },
	[CLS_JNDI] = { 0.05, 0.00, 0.05, 0.05 },
	[CLS_SSTI] = { 0.20, 0.05, 0.00, 0.10 },
	[CLS_NOSQLI] = { 0.15, 0.20, 0.05, 0.10 },
};

static void
label_call(struct tctx *tc, const struct creq *q, const struct hop *h,
		const struct conn *c, const char *uri, int status, uint32_t req_bytes,
		uint32_t resp_bytes, uint64_t ts, const struct xfer *xq, const struct xfer *xr)
{
	struct req_label l;
	char cli[48], srv[48];
	int v6 = S.o->net.ipv6;

	if (ts < S.o->net.capture_start)
		return;
	memset(&l, 0, sizeof(l));
	l.ts = (uint64_t)S.a->start_epoch * NS + ts;
	memcpy(l.trace_id, tc->tid, 33);
	memcpy(l.span_id, h->span, 17);
	if (h->parent)
		snprintf(l.parent_id, sizeof(l.parent_id), "%s", h->parent);
	l.ids = h->from->trace == TRACE_W3C ? "w3c" : h->from->trace == TRACE_B3 ? "b3" : "xrid";
	memcpy(l.actor, tc->actor, sizeof(l.actor));
	memcpy(l.client_ip, tc->client_ip, sizeof(l.client_ip));
	l.src = h->from->name;
	l.service = S.a->svcs[q->svc].name;
	l.endpoint = q->ep >= 0 ? S.a->eps[q->ep].id : "unknown";
	l.method = q->method;
	l.uri = uri;
	ip_str(c->cli_ip, cli, sizeof(cli), v6);
	ip_str(c->srv_ip, srv, sizeof(srv), v6);
	snprintf(l.conn, sizeof(l.conn), v6 ? "[%s]:%u-[%s]:%u" : "%s:%u-%s:%u", cli,
			c->cport, srv, c->sport);
	l.status = status;
	l.req_bytes = req_bytes;
	l.resp_bytes = resp_bytes;
	l.cls = q->mal ? q->cls : CLS_BENIGN;
	l.attack_id = tc->attack_id;
	l.step = tc->attack_id ? (q->mal ? q->step : "benign") : "none";
	if (q->mal) {
		l.technique = q->technique;
		l.location = q->location;
		if (q->pay)
			l.encoding = q->pay->encoding;
	}
	l.propagated = q->propagated;
	l.gap = xq->gap || xr->gap;
	l.overlap = xq->overlap || xr->overlap;
	l.midstream = !c->captured;
	label_request(&l);
}

static void
count_request(struct tctx *tc, const struct creq *q, int status)
{
	struct sim_result *res = S.res;

	res->requests++;
	tc->calls++;
	res->requests_by_class[q->mal ? q->cls : CLS_BENIGN]++;
	if (q->mal) {
		res->malicious_by_class[q->cls]++;
		tc->malicious++;
	}
	if (status >= 100 && status < 600)
		res->status[status / 100]++;
	if (tc->actor_user >= 0) {
		S.users[tc->actor_user].requests++;
		S.users[tc->actor_user].malicious += q->mal;
	} else {
		S.ips[tc->actor_ip].requests++;
		S.ips[tc->actor_ip].malicious += q->mal;
	}
}

static uint64_t do_call(struct tctx *tc, int from_inst, struct creq *q, uint64_t t,
		const char *parent_span, int depth, int *status_out);

/* Builds the request of a downstream call from its parent's values. */
static void
child_request(struct tctx *tc, const struct creq *parent, int ep, struct creq *q)
{
	const struct endpoint *e = &S.a->eps[ep];
	struct user *u = tc->actor_user >= 0 ? &S.users[tc->actor_user] : NULL;

	q->ep = ep;
	q->svc = e->svc;
	q->method = e->method;
	q->n = 0;
	q->pay = NULL;
	q->pay_field = -1;
	q->propagated = 0;
	q->forced_status = 0;
	q->foreign = parent->foreign;
	q->mal = 0;
	q->cls = CLS_BENIGN;
	q->list_limit = parent->list_limit;
	q->legacy_records = 0;
	q->foreign_name[0] = '\0';
	fill_params(q, e->path, e->n_path, LOC_PATH, u, tc->t0, parent);
	fill_params(q, e->query, e->n_query, LOC_QUERY, u, tc->t0, parent);
	fill_params(q, e->fields, e->n_body, LOC_BODY, u, tc->t0, parent);
	/* A payload travels on when the internal call passes that value on. */
	if (parent->pay && parent->pay_field >= 0) {
		const struct field_t *pf = &parent->f[parent->pay_field];
		for (int i = 0; i < q->n; i++) {
			if (strcmp(q->f[i].name, pf->name) || pf->loc > LOC_BODY)
				continue;
			memcpy(q->f[i].val, parent->pay->raw, parent->pay->len + 1);
			q->f[i].len = (uint16_t)parent->pay->len;
			q->f[i].num = 0;
			q->f[i].has_wire = 0;
			q->pay = parent->pay;
			q->pay_field = i;
			q->propagated = 1;
			q->mal = 1;
			q->cls = parent->cls;
			q->step = "malicious";
			q->technique = parent->technique;
			q->location = parent->location;
			break;
		}
	}
	/* So does an object id that is not the actor's. */
	if (parent->foreign && parent->mal && parent->foreign_name[0] &&
			find_field(q, parent->foreign_name)) {
		struct field_t *f = find_field(q, parent->foreign_name);
		const struct field_t *pf = NULL;
		for (int i = 0; i < parent->n && !pf; i++)
			if (!strcmp(parent->f[i].name, parent->foreign_name))
				pf = &parent->f[i];
		if (pf) {
			memcpy(f->val, pf->val, pf->len + 1u);
			f->len = pf->len;
		}
		snprintf(q->foreign_name, sizeof(q->foreign_name), "%s", parent->foreign_name);
		q->mal = 1;
		q->propagated = 1;
		q->cls = parent->cls;
		q->step = parent->step;
		q->technique = parent->technique;
		q->location = parent->location;
	}
}

static uint64_t
do_children(struct tctx *tc, int inst, struct creq *q, uint64_t t, const char *span,
		int depth, int *status)
{
	const struct endpoint *e = &S.a->eps[q->ep];
	struct creq *child = malloc(sizeof(*child));

	if (child == NULL) {
		fprintf(stderr, "meshwatch-gen: out of memory\n");
		exit(1);
	}
	for (int i = 0; i < e->n_calls; i++) {
		const struct call *c = &e->calls[i];
		int cs;

		if (!rng_chance(S.r, c->p))
			continue;
		child_request(tc, q, c->ep, child);
		child->fwd_auth = c->forward_auth;
		t = do_call(tc, inst, child, t + 20 * US + rng_below(S.r, 200) * US, span,
				depth + 1, &cs) + 10 * US;
		if (cs >= 500 && rng_below(S.r, 4))
			*status = rng_below(S.r, 2) ? 502 : 500;
		if (cs == 404 && *status < 400 && rng_below(S.r, 3) == 0)
			*status = 404;
	}
	free(child);
	return t;
}

/*
 * One HTTP exchange from instance from_inst to q's service, and recursively
 * the calls it makes. Returns when the caller has the whole response.
 */
static uint64_t
do_call(struct tctx *tc, int from_inst, struct creq *q, uint64_t t, const char *parent_span,
		int depth, int *status_out)
{
	const struct app *a = S.a;
	const struct endpoint *e = q->ep >= 0 ? &a->eps[q->ep] : NULL;
	const struct service *to = &a->svcs[q->svc];
	int inst = to->first_inst + (int)rng_below(S.r, (uint32_t)to->n_addrs);
	uint64_t rtt = rtt_ns();
	struct conn *c = pool_get(from_inst, inst, &t);
	char span[17], uri[2048];

	c->busy_until = UINT64_MAX;	/* in use until the response is done */
	struct xfer xq, xr;
	uint32_t req_bytes, resp_bytes;
	int status = 0;
	size_t size = 0;
	const char *token = NULL;
	const struct service *from = &a->svcs[S.inst_svc[from_inst]];
	struct hop h = { from, from->edge, span, parent_span, 0 };

	rand_hex(span, 8);
	h.forward_auth = tc->token && depth > 0 && q->fwd_auth;
	size_t rl = build_request(tc, q, &h, uri, sizeof(uri), &req_bytes);
	net_send(c, 0, t, rtt, S.req, rl, &xq);
	uint64_t ts_req = t;
	uint64_t srv = xq.t_last + rtt / 2 +
		(uint64_t)rng_lognormal(S.r, (e ? e->latency_us : 400) * US, 0.5);

	/* Decisions that stop the request before any downstream call. */
	int sent_auth = tc->token && (h.edge || h.forward_auth);
	if (q->forced_status) {
		status = q->forced_status;
	} else if (e && e->auth != AUTH_NONE && h.edge && !sent_auth) {
		status = 401;
	} else if (e && e->auth != AUTH_NONE && sent_auth && tc->auth_bad &&
			!(tc->s->vuln && tc->s->cls == CLS_BROKEN_AUTH)) {
		status = 401;
	} else if (e && e->auth == AUTH_ADMIN && !tc->auth_admin && h.edge) {
		status = tc->s->vuln && tc->s->cls != CLS_BENIGN ? 0 : 403;
	} else if (q->foreign && h.edge) {
		status = tc->s->vuln ? 0 : (rng_below(S.r, 2) ? 403 : 404);
	}
	if (status == 0 && e && e->n_calls)
		srv = do_children(tc, inst, q, srv, span, depth, &status);
	if (status == 0 && q->pay && q->pay->cls < CLS_N) {
		const struct effect *fx = &payload_effect[q->pay->cls];
		double x = rng_unit(S.r);
		if (x < fx->p500) {
			status = 500;
		} else if ((x -= fx->p500) < fx->p400) {
			status = rng_below(S.r, 2) ? 400 : 422;
		} else if ((x -= fx->p400) < fx->pdump) {
			status = 200;
			size = (size_t)rng_lognormal(S.r, 60000, 0.8);
		} else if ((x -= fx->pdump) < fx->pdelay) {
			srv += (1 + rng_below(S.r, 5)) * NS;
		}
	}
	if (status == 0 && q->mal && e && e->n_priv && q->cls == CLS_MASS_ASSIGNMENT)
		status = tc->s->vuln ? 200 : (rng_below(S.r, 2) ? 400 : 422);
	if (status == 0)
		status = e ? pick_status(e) : 404;
	if (e && e->login && status < 300) {
		/* The identity provider answers with the token. */
		token = tc->s->user >= 0 ? S.users[tc->s->user].token : NULL;
		if (token == NULL || !token[0])
			token = "invalid";
	}
	if (size == 0 && e) {
		double median = e->size_median;
		if (e->list && q->list_limit > 0)
			median *= q->list_limit / 20.0;
		if (q->legacy_records > 0)
			median = 420.0 * q->legacy_records;
		size = (size_t)rng_lognormal(S.r, median, e->size_sigma);
	}
	if (size > RESP_MAX - 8192)
		size = RESP_MAX - 8192;
	if (srv < xq.t_last + rtt / 2)
		srv = xq.t_last + rtt / 2;
	if (srv - xq.t_last > DELAYED_ACK)
		net_ack(c, 1, xq.t_last + DELAYED_ACK);
	int close = ++c->requests >= 100u + (c->cport % 900u) || rng_below(S.r, 400) == 0;
	/* A created object gets the next id of its kind; REST APIs name it in
	 * a Location header (app.location of them do). */
	char location[2100], *loc = NULL;
	if (e && e->creates >= 0 && status >= 200 && status < 300) {
		tc->created = S.next_obj[e->creates]++;
		if (rng_chance(S.r, S.a->location)) {
			snprintf(location, sizeof(location), "%.*s/%lld",
					(int)strcspn(uri, "?#"), uri, (long long)tc->created);
			loc = location;
		}
	}
	size_t sl = build_response(tc, status, size, rng_chance(S.r, to->chunked), close, srv,
			token, loc, &resp_bytes);
	net_send(c, 1, srv, rtt, S.resp, sl, &xr);
	uint64_t done = xr.t_last + rtt / 2;
	net_ack(c, 0, done + 5 * US);
	c->busy_until = done + 10 * US;
	if (close)
		net_close(c, 1, done + 20 * US, rtt, 0);
	label_call(tc, q, &h, c, uri, status, req_bytes, resp_bytes, ts_req, &xq, &xr);
	count_request(tc, q, status);
	*status_out = status;
	return done;
}

/* ------------------------------------------------------------- traces */

static void
trace_begin(struct tctx *tc, struct session *s, uint64_t t)
{
	uint8_t id[16];

	memset(tc, 0, sizeof(*tc));
	tc->s = s;
	tc->t0 = t;
	for (int i = 0; i < 16; i++)
		id[i] = (uint8_t)rng_u64(S.r);
	hex(id, 16, tc->tid);
	sprintf(tc->xrid, "%.8s-%.4s-%.4s-%.4s-%.12s", tc->tid, tc->tid + 8, tc->tid + 12,
			tc->tid + 16, tc->tid + 20);
	tc->actor_user = -1;
	tc->created = -1;
	tc->actor_ip = s->ipk;
	tc->cls = s->cls;
	tc->attack_id = s->attack_id;
	tc->ua = s->ua;
	ip_str(S.ips[s->ipk].ip, tc->client_ip, sizeof(tc->client_ip), 0);
	snprintf(tc->actor, sizeof(tc->actor), "ip:%s", tc->client_ip);
	/* A browser sends its user's session cookie. A stuffing tool holds no
	 * session of the account it breaks into (its user is the victim once a
	 * guess succeeds): what it then uses is the token the log-in gave it. */
	if (s->user >= 0 && !s->mobile && s->cls != CLS_CREDENTIAL_STUFFING)
		tc->cookie = S.users[s->user].sid;
}

/* Attributes the trace to the identity its token names (what a network
 * observer can know); a request without a token belongs to its address. */
static void
trace_auth(struct tctx *tc, const char *token, int user, int bad, int admin)
{
	tc->token = token;
	tc->auth_bad = bad;
	tc->auth_admin = admin;
	if (token && user >= 0) {
		tc->actor_user = user;
		user_label(&S.users[user], tc->actor, sizeof(tc->actor));
	}
}

static void
trace_end(struct tctx *tc, struct creq *q, uint64_t end)
{
	struct trace_label l;

	S.res->traces++;
	if (tc->t0 < S.o->net.capture_start)
		return;
	memset(&l, 0, sizeof(l));
	l.ts = (uint64_t)S.a->start_epoch * NS + tc->t0;
	l.end = (uint64_t)S.a->start_epoch * NS + end;
	memcpy(l.trace_id, tc->tid, 33);
	memcpy(l.actor, tc->actor, sizeof(l.actor));
	l.root = q->ep >= 0 ? S.a->eps[q->ep].id : "unknown";
	l.calls = tc->calls;
	l.malicious = tc->malicious;
	l.cls = tc->malicious ? tc->cls : CLS_BENIGN;
	l.attack_id = tc->attack_id;
	label_trace(&l);
}

/* An edge request: the gateway's call into the mesh, and everything after. */
static uint64_t
run_trace(struct tctx *tc, struct creq *q, uint64_t t, int *status)
{
	const struct service *gw = &S.a->svcs[S.a->edge_svc];
	int inst = gw->first_inst + (int)rng_below(S.r, (uint32_t)gw->n_addrs);
	uint64_t end = do_call(tc, inst, q, t, NULL, 0, status);

	trace_end(tc, q, end);
	return end;
}

static void
edge_request(struct tctx *tc, int ep, struct creq *q)
{
	const struct endpoint *e = &S.a->eps[ep];
	struct user *u = tc->actor_user >= 0 ? &S.users[tc->actor_user] :
		tc->s->user >= 0 ? &S.users[tc->s->user] : NULL;

	q->ep = ep;
	q->svc = e->svc;
	q->method = e->method;
	q->n = 0;
	q->pay = NULL;
	q->pay_field = -1;
	q->propagated = 0;
	q->forced_status = 0;
	q->foreign = 0;
	q->mal = 0;
	q->cls = CLS_BENIGN;
	q->step = "malicious";
	q->technique = NULL;
	q->location = NULL;
	q->list_limit = 0;
	q->legacy_records = 0;
	q->fwd_auth = 0;
	q->foreign_name[0] = '\0';
	fill_params(q, e->path, e->n_path, LOC_PATH, u, tc->t0, NULL);
	fill_params(q, e->query, e->n_query, LOC_QUERY, u, tc->t0, NULL);
	fill_params(q, e->fields, e->n_body, LOC_BODY, u, tc->t0, NULL);
	for (int i = 0; i < e->n_query; i++)
		if (e->query[i].type == PT_LIMIT) {
			struct field_t *f = find_field(q, e->query[i].name);
			if (f)
				q->list_limit = atoi(f->val);
		}
}

/* Records an object the actor created (its id is then "owned"). */
static void
note_created(struct tctx *tc, int ep, int status)
{
	const struct endpoint *e = &S.a->eps[ep];

	if (e->creates < 0 || status >= 300 || tc->actor_user < 0 || tc->created < 0)
		return;
	struct user *u = &S.users[tc->actor_user];
	int k = e->creates;
	int64_t id = tc->created;
	if (u->n_owned[k] < 4)
		u->owned[k][u->n_owned[k]++] = id;
	else
		u->owned[k][rng_below(S.r, 4)] = id;
}

/* ------------------------------------------------------------ payloads */

static enum ctx
ctx_of(const struct creq *q, enum loc loc)
{
	switch (loc) {
	case LOC_PATH: return CTX_PATH;
	case LOC_QUERY: return CTX_QUERY;
	case LOC_BODY: return S.a->eps[q->ep].body == BODY_JSON ? CTX_JSON : CTX_FORM;
	case LOC_HEADER: return CTX_HEADER;
	default: return CTX_COOKIE;
	}
}

static const char *
sem_name(enum psem s)
{
	static const char *n[] = { "id", "text", "url", "file", "host", "other" };
	return n[s];
}

/* A field of q whose meaning the attack class aims at ("target" rule). */
static struct field_t *
target_field(struct creq *q, const char *want)
{
	const struct endpoint *e = &S.a->eps[q->ep];
	struct field_t *hits[MAX_FIELDS];
	int n = 0;

	for (int i = 0; i < q->n; i++) {
		struct field_t *f = &q->f[i];
		const struct param *p = NULL;
		if (f->loc > LOC_BODY)
			continue;
		for (int k = 0; k < e->n_path && !p; k++)
			if (!strcmp(e->path[k].name, f->name))
				p = &e->path[k];
		for (int k = 0; k < e->n_query && !p; k++)
			if (!strcmp(e->query[k].name, f->name))
				p = &e->query[k];
		for (int k = 0; k < e->n_body && !p; k++)
			if (!strcmp(e->fields[k].name, f->name))
				p = &e->fields[k];
		if (!strcmp(want, "any") || (p && !strcmp(sem_name(p->sem), want)))
			hits[n++] = f;
	}
	return n ? hits[rng_below(S.r, (uint32_t)n)] : NULL;
}

static int
has_loc(const struct creq *q, enum loc loc)
{
	for (int i = 0; i < q->n; i++)
		if (q->f[i].loc == loc)
			return 1;
	return 0;
}

/*
 * Puts one payload of class c into request q: the class grammar chooses the
 * technique, the place, the parameter and the evasion encoding.
 */
static void
inject_payload(struct creq *q, enum cls c, struct payload *p)
{
	const struct grammar *g = S.g->attack[c];
	char place[32], target[32], enc[32], name[APP_NAME];
	const struct endpoint *e = &S.a->eps[q->ep];
	struct field_t *f = NULL;
	enum gcase cs = rng_below(S.r, 4) == 0 ? GCASE_RANDOM :
		rng_below(S.r, 8) == 0 ? GCASE_UPPER : GCASE_ASIS;

	memset(p, 0, sizeof(*p));
	p->cls = c;
	grammar_expand_name(g, "technique", S.r, GCASE_ASIS, p->technique, sizeof(p->technique));
	p->len = grammar_expand(g, grammar_rule(g, p->technique), S.r, cs, p->raw,
			sizeof(p->raw));
	grammar_expand_name(g, "place", S.r, GCASE_ASIS, place, sizeof(place));
	grammar_expand_name(g, "target", S.r, GCASE_ASIS, target, sizeof(target));
	grammar_expand_name(g, "encode", S.r, GCASE_ASIS, enc, sizeof(enc));
	int ev = evasion_from_name(enc);
	if (ev < 0)
		ev = EV_NONE;

	if (!strcmp(place, "param"))
		f = target_field(q, target);
	if (f == NULL && !strcmp(place, "path") && has_loc(q, LOC_PATH))
		f = target_field(q, "any"), f = f && f->loc == LOC_PATH ? f : NULL;
	if (f == NULL && !strcmp(place, "body") && e->body != BODY_NONE) {
		if (rng_below(S.r, 2) && has_loc(q, LOC_BODY)) {
			for (int tries = 0; tries < 8 && (!f || f->loc != LOC_BODY); tries++)
				f = &q->f[rng_below(S.r, (uint32_t)q->n)];
			if (f && f->loc != LOC_BODY)
				f = NULL;
		}
		if (f == NULL) {
			grammar_expand_name(g, "param", S.r, GCASE_ASIS, name, sizeof(name));
			f = find_field(q, name);
			if (f == NULL)
				f = add_field(q, LOC_BODY, name);
		}
	}
	if (f == NULL && !strcmp(place, "header")) {
		grammar_expand_name(g, "header", S.r, GCASE_ASIS, name, sizeof(name));
		f = add_field(q, LOC_HEADER, name);
	}
	if (f == NULL && !strcmp(place, "cookie")) {
		grammar_expand_name(g, "cookie", S.r, GCASE_ASIS, name, sizeof(name));
		f = add_field(q, LOC_COOKIE, name);
	}
	if (f == NULL) {
		/* Default: the query string, an existing parameter or a new one. */
		if (has_loc(q, LOC_QUERY) && rng_below(S.r, 2)) {
			for (int tries = 0; tries < 16 && (!f || f->loc != LOC_QUERY); tries++)
				f = &q->f[rng_below(S.r, (uint32_t)q->n)];
			if (f && f->loc != LOC_QUERY)
				f = NULL;
		}
		if (f == NULL) {
			grammar_expand_name(g, "param", S.r, GCASE_ASIS, name, sizeof(name));
			f = find_field(q, name);
			if (f == NULL || f->loc != LOC_QUERY)
				f = add_field(q, LOC_QUERY, name);
		}
	}
	if (f == NULL)
		return;

	enum ctx cx = ctx_of(q, (enum loc)f->loc);
	char tmp[MAX_VAL * 3];
	size_t n;
	/* Structural NoSQL operators: {"$ne": ...} in JSON, name[$ne]= in forms. */
	if (c == CLS_NOSQLI && cx == CTX_JSON && grammar_rule(g, "json_value") >= 0 &&
			rng_below(S.r, 2)) {
		n = grammar_expand_name(g, "json_value", S.r, GCASE_ASIS, tmp, sizeof(tmp));
		f->json_raw = 1;
		ev = EV_NONE;
		memcpy(p->raw, tmp, n + 1);
		p->len = n;
		snprintf(p->technique, sizeof(p->technique), "operator_json");
	} else if (c == CLS_NOSQLI && (cx == CTX_QUERY || cx == CTX_FORM) &&
			grammar_rule(g, "op") >= 0 && rng_below(S.r, 2)) {
		char op[32];
		grammar_expand_name(g, "op", S.r, GCASE_ASIS, op, sizeof(op));
		size_t base = strcspn(f->name, "[");
		snprintf(f->name + base, sizeof(f->name) - base, "[%s]", op);
		p->len = grammar_expand_name(g, "op_value", S.r, GCASE_ASIS, p->raw,
				sizeof(p->raw));
		snprintf(p->technique, sizeof(p->technique), "operator_param");
		n = encode_value(p->raw, p->len, cx, (enum evasion)ev, S.r, tmp, sizeof(tmp));
		f->json_raw = 0;
	} else if ((cx == CTX_JSON || cx == CTX_HEADER) &&
			(ev == EV_DOUBLE || ev == EV_FULL || ev == EV_OVERLONG || ev == EV_RAW)) {
		/* URL-encoded text inside JSON or a header, decoded by the app. */
		char t2[MAX_VAL * 3];
		size_t m = encode_value(p->raw, p->len, CTX_QUERY, (enum evasion)ev, S.r, t2,
				sizeof(t2));
		n = encode_value(t2, m, cx, EV_NONE, S.r, tmp, sizeof(tmp));
	} else if (cx == CTX_PATH && c == CLS_TRAVERSAL && ev == EV_RAW) {
		/* curl --path-as-is: dot segments and slashes left raw. */
		n = encode_value(p->raw, p->len, CTX_QUERY, EV_RAW, S.r, tmp, sizeof(tmp));
	} else {
		n = encode_value(p->raw, p->len, cx, (enum evasion)ev, S.r, tmp, sizeof(tmp));
	}
	if (n >= sizeof(f->wire))
		n = sizeof(f->wire) - 1;
	memcpy(f->wire, tmp, n);
	f->wire[n] = '\0';
	f->wlen = (uint16_t)n;
	f->has_wire = 1;
	memcpy(f->val, p->raw, p->len + 1 < sizeof(f->val) ? p->len + 1 : sizeof(f->val));
	f->len = (uint16_t)(p->len < sizeof(f->val) ? p->len : sizeof(f->val) - 1);
	f->val[f->len] = '\0';
	f->num = 0;
	p->encoding = evasion_names[ev];
	snprintf(p->location, sizeof(p->location), "%s:%s",
			cx == CTX_JSON || cx == CTX_FORM ? "body" : ctx_names[cx], f->name);
	snprintf(p->pname, sizeof(p->pname), "%s", f->name);
	q->pay = p;
	q->pay_field = (int)(f - q->f);
	q->mal = 1;
	q->cls = c;
	q->step = "malicious";
	q->technique = p->technique;
	q->location = p->location;
}

/* ------------------------------------------------------------ sessions */

static int *edge_ok;		/* endpoints a client reaches through the gateway */

static int
browse_pick(void)
{
	return S.browse_eps[zipf_draw(&S.browse_zipf, S.r) - 1];
}

static int
pick_ep(int (*want)(const struct endpoint *))
{
	int hits[512], n = 0;

	for (int i = 0; i < S.a->n_eps && n < 512; i++)
		if (edge_ok[i] && want(&S.a->eps[i]))
			hits[n++] = i;
	return n ? hits[rng_below(S.r, (uint32_t)n)] : -1;
}

static int want_any(const struct endpoint *e) { return !e->login && e->auth != AUTH_ADMIN; }
static int want_admin(const struct endpoint *e) { return e->auth == AUTH_ADMIN; }
static int want_priv(const struct endpoint *e) { return e->n_priv > 0; }
static int want_legacy(const struct endpoint *e) { return e->legacy; }
static int want_list(const struct endpoint *e) { return e->list && !e->legacy && e->auth != AUTH_ADMIN; }

static int
want_object(const struct endpoint *e)
{
	for (int i = 0; i < e->n_path; i++)
		if (e->path[i].type == PT_SELF || e->path[i].type == PT_OWNED)
			return e->auth != AUTH_ADMIN && !e->legacy;
	return 0;
}

static int
want_crawl(const struct endpoint *e)
{
	for (int i = 0; i < e->n_path; i++)
		if (e->path[i].type == PT_ZIPF || e->path[i].type == PT_INT)
			return e->browse > 0;
	return 0;
}

/* The first path parameter naming an object of the given types. */
static const struct param *
object_param(const struct endpoint *e, int crawl)
{
	for (int i = 0; i < e->n_path; i++) {
		enum ptype t = e->path[i].type;
		if (crawl ? (t == PT_ZIPF || t == PT_INT) : (t == PT_SELF || t == PT_OWNED))
			return &e->path[i];
	}
	return NULL;
}

static int
next_workflow_ep(struct session *s)
{
	const struct workflow *w = &S.a->wfs[s->wf];

	while (s->step < w->n_steps) {
		const struct step *st = &w->steps[s->step];
		if (s->reps < 0) {
			if (!rng_chance(S.r, st->p)) {
				s->step++;
				continue;
			}
			s->reps = (int)rng_range(S.r, st->lo, st->hi);
		}
		if (s->reps == 0) {
			s->step++;
			s->reps = -1;
			continue;
		}
		s->reps--;
		int ep = st->ep >= 0 ? st->ep : browse_pick();
		if (s->reps == 0) {
			s->step++;
			s->reps = -1;
		}
		return ep;
	}
	return -1;
}

static void
start_workflow(struct session *s)
{
	int x = (int)rng_below(S.r, (uint32_t)S.wf_total);

	for (s->wf = 0; s->wf < S.a->n_wfs - 1; s->wf++) {
		x -= S.a->wfs[s->wf].weight;
		if (x < 0)
			break;
	}
	s->step = 0;
	s->reps = -1;
}

static void
actor_attack(uint8_t *cls, uint8_t *n, uint32_t *ids, enum cls c, uint32_t id)
{
	if (*cls == CLS_BENIGN)
		*cls = (uint8_t)c;
	for (int i = 0; i < *n; i++)
		if (ids[i] == id)
			return;
	if (*n < 8)
		ids[(*n)++] = id;
}

/* Marks the trace's actor as taking part in the session's attack. */
static void
mark_actor(struct tctx *tc)
{
	if (!tc->attack_id || !tc->malicious)
		return;
	if (tc->actor_user >= 0) {
		struct user *u = &S.users[tc->actor_user];
		actor_attack(&u->cls, &u->n_attacks, u->attacks, tc->cls, tc->attack_id);
	} else {
		struct iprec *ip = &S.ips[tc->actor_ip];
		actor_attack(&ip->cls, &ip->n_attacks, ip->attacks, tc->cls, tc->attack_id);
	}
}

static uint64_t
think(const struct session *s)
{
	double mean = S.a->think_s;

	if (s->cls == CLS_CREDENTIAL_STUFFING || s->cls == CLS_SCRAPING)
		mean = s->variant == 2 ? 4.0 : 0.15;
	else if (s->cls != CLS_BENIGN && cls_payload[s->cls] && s->variant == 0)
		mean = 0.4;
	else if (s->cls == CLS_BOLA && s->variant == 0)
		mean = 0.5;
	double v = rng_exp(S.r, mean) + 0.02;
	if (v > 120)
		v = 120;
	return (uint64_t)(v * NS);
}

/* Log-in through the identity provider; returns the status. */
static int
do_login(struct session *s, uint64_t t, struct tctx *tc, struct creq *q, uint64_t *end,
		const char *uname, const char *password, int forced, const char *technique)
{
	struct user *u = s->user >= 0 ? &S.users[s->user] : NULL;
	const struct endpoint *e = &S.a->eps[S.a->login_ep];
	int status;

	trace_begin(tc, s, t);
	edge_request(tc, S.a->login_ep, q);
	for (int i = 0; i < e->n_body; i++) {
		struct field_t *f = find_field(q, e->fields[i].name);
		if (f == NULL)
			continue;
		if ((e->fields[i].type == PT_USER || e->fields[i].type == PT_EMAIL) && uname)
			f->len = (uint16_t)snprintf(f->val, sizeof(f->val), "%s", uname);
		if (e->fields[i].type == PT_PASSWORD && password)
			f->len = (uint16_t)snprintf(f->val, sizeof(f->val), "%s", password);
	}
	if (u)
		issue_token(u, t);
	q->forced_status = forced;
	if (technique) {
		q->mal = 1;
		q->cls = s->cls;
		q->technique = technique;
		q->location = "body";
	}
	*end = run_trace(tc, q, t, &status);
	if (u && status >= 300)
		u->token_exp = 0;
	return status;
}

/* The token a benign user's client sends, refreshing it when expired. */
static int
benign_auth(struct session *s, struct tctx *tc, uint64_t t)
{
	struct user *u = &S.users[s->user];

	if (u->token_exp == 0)
		return -1;
	if (t >= u->token_exp && rng_below(S.r, 5))
		return -1;	/* most clients refresh before using it */
	trace_auth(tc, u->token, s->user, t >= u->token_exp, u->admin);
	return 0;
}

static void
foreign_id(struct creq *q, const struct endpoint *e, int64_t id, const char *technique)
{
	const struct param *p = object_param(e, 0);

	if (p == NULL)
		return;
	struct field_t *f = find_field(q, p->name);
	if (f == NULL)
		return;
	f->len = (uint16_t)snprintf(f->val, sizeof(f->val), "%lld", (long long)id);
	/* An id past the newest object of its kind names nothing yet: 404,
	 * however vulnerable the API. (A walk past it once got 200, and
	 * the user who created that object later looked like its trespasser.) */
	if (p->type == PT_OWNED && id >= S.next_obj[p->kind])
		q->forced_status = 404;
	q->foreign = 1;
	q->mal = 1;
	q->cls = CLS_BOLA;
	q->step = "malicious";
	q->technique = technique;
	q->location = "path";
	snprintf(q->foreign_name, sizeof(q->foreign_name), "%s", p->name);
}

/* Someone else's object id for a BOLA target endpoint. */
static int64_t
victim_object(const struct endpoint *e, int self_user)
{
	const struct param *p = object_param(e, 0);
	int v = (int)rng_below(S.r, (uint32_t)S.n_users);

	if (v == self_user)
		v = (v + 1) % S.n_users;
	if (p && p->type == PT_OWNED) {
		struct user *vu = &S.users[v];
		if (vu->n_owned[p->kind])
			return vu->owned[p->kind][0];
		return S.a->kinds[p->kind].first_id + (int64_t)rng_below(S.r, 1000000);
	}
	return S.users[v].id;
}

static struct tctx TC;
static struct creq *Q;
static struct payload PAY;

/* A user's mistyped password: the real one with a slip of the finger,
 * caps lock on, or an old password. Each user's typo is their own, as
 * real typos are: a shared one would look like a sprayed password. */
static void
mistype(const char *pw, char *out, size_t cap)
{
	size_t n = strlen(pw);

	snprintf(out, cap, "%s", pw);
	if (n < 2 || n + 2 > cap) {
		gexpand("password", out, cap);
		return;
	}
	size_t i = rng_below(S.r, (uint32_t)n - 1);
	switch (rng_below(S.r, 5)) {
	case 0:		/* a key dropped */
		memmove(out + i, out + i + 1, n - i);
		break;
	case 1:		/* two keys swapped (two equal ones: a key too many) */
		if (pw[i] != pw[i + 1]) {
			out[i] = pw[i + 1];
			out[i + 1] = pw[i];
			break;
		}
		/* fall through */
	case 2:		/* a key too many */
		memmove(out + i + 1, out + i, n - i + 1);
		out[i] = (char)('a' + rng_below(S.r, 26));
		break;
	case 3:		/* caps lock */
		for (size_t k = 0; k < n; k++)
			if ((out[k] | 0x20) >= 'a' && (out[k] | 0x20) <= 'z')
				out[k] ^= 0x20;
		break;
	default:	/* last year's password */
		gexpand("password", out, cap);
	}
	if (strcmp(out, pw) == 0)
		out[0] = out[0] == '#' ? '%' : '#';
}

/* One benign step of a session (login first when needed); 0 when done. */
static uint64_t
benign_step(struct session *s, uint64_t t, int *ep_out)
{
	struct tctx *tc = &TC;
	struct creq *q = Q;
	struct user *u = &S.users[s->user];
	uint64_t end;
	int status;

	*ep_out = -1;
	if (s->need_login || u->token_exp == 0) {
		/* Now and then a user mistypes the password first. */
		int typo = rng_below(S.r, 25) == 0;
		char wrong[sizeof(u->password) + 2];
		if (typo)
			mistype(u->password, wrong, sizeof(wrong));
		status = do_login(s, t, tc, q, &end, u->uname, typo ? wrong : u->password,
				typo ? 401 : 0, NULL);
		s->need_login = status >= 300;
		mark_actor(tc);
		return end;
	}
	int ep = next_workflow_ep(s);
	/* Staff screens are not offered to regular users. */
	while (ep >= 0 && S.a->eps[ep].auth == AUTH_ADMIN && !u->admin)
		ep = next_workflow_ep(s);
	if (ep < 0)
		return 0;
	trace_begin(tc, s, t);
	if (benign_auth(s, tc, t) < 0) {
		s->need_login = 1;
		return benign_step(s, t, ep_out);
	}
	edge_request(tc, ep, q);
	*ep_out = ep;
	end = run_trace(tc, q, t, &status);
	if (status == 401)
		s->need_login = 1;
	note_created(tc, ep, status);
	return end;
}

/* A synthetic request to a path the app does not serve (recon, guessing). */
static uint64_t
probe(struct session *s, uint64_t t, const char *rule, enum cls c, const char *step,
		const char *technique)
{
	struct tctx *tc = &TC;
	struct creq *q = Q;
	const struct grammar *g = S.g->benign;
	char method[16];
	int status;

	trace_begin(tc, s, t);
	if (s->user >= 0 && S.users[s->user].token_exp)
		trace_auth(tc, S.users[s->user].token, s->user, 0, 0);
	int svc;
	do
		svc = (int)rng_below(S.r, (uint32_t)S.a->n_svcs);
	while (svc == S.a->edge_svc);
	memset(q, 0, offsetof(struct creq, f));
	q->ep = -1;
	q->svc = svc;
	q->pay_field = -1;
	grammar_expand_name(g, "probe_method", S.r, GCASE_ASIS, method, sizeof(method));
	q->method = !strcmp(method, "POST") ? "POST" : !strcmp(method, "PUT") ? "PUT" :
		!strcmp(method, "DELETE") ? "DELETE" : !strcmp(method, "OPTIONS") ? "OPTIONS" : "GET";
	grammar_expand_name(g, rule, S.r, GCASE_ASIS, q->path_override,
			sizeof(q->path_override));
	q->forced_status = s->vuln && rng_below(S.r, 6) == 0 ? 200 :
		rng_below(S.r, 5) == 0 ? 403 : rng_below(S.r, 6) == 0 ? 405 : 404;
	q->mal = 1;
	q->cls = c;
	q->step = step;
	q->technique = technique;
	q->location = "path";
	uint64_t end = run_trace(tc, q, t, &status);
	mark_actor(tc);
	return end;
}

/* Authenticates the trace as the session's own user, if it has a token. */
static void
as_self(struct session *s, struct tctx *tc)
{
	if (s->user >= 0 && S.users[s->user].token_exp)
		trace_auth(tc, S.users[s->user].token, s->user, 0, S.users[s->user].admin);
}

/*
 * Starts an attack trace at t: the session's own identity calling ep through
 * the gateway. With a class, the request is marked as a malicious step.
 */
static void
attack_request(struct session *s, uint64_t t, int ep, enum cls c, const char *technique,
		const char *location)
{
	trace_begin(&TC, s, t);
	as_self(s, &TC);
	edge_request(&TC, ep, Q);
	if (c != CLS_BENIGN) {
		Q->mal = 1;
		Q->cls = c;
		Q->technique = technique;
		Q->location = location;
	}
}

/* A benign-looking step inside an attack session: the attacker's cover. */
static uint64_t
cover_step(struct session *s, uint64_t t)
{
	int ep;
	uint64_t end = s->user >= 0 ? benign_step(s, t, &ep) : 0;

	if (end == 0 && s->user >= 0) {
		start_workflow(s);
		end = benign_step(s, t, &ep);
	}
	mark_actor(&TC);
	return end;
}

static uint64_t
attack_trace(struct session *s, struct tctx *tc, struct creq *q, uint64_t t)
{
	int status;
	uint64_t end = run_trace(tc, q, t, &status);

	(void)s;
	mark_actor(tc);
	return end;
}

static uint64_t
payload_step(struct session *s, uint64_t t)
{
	struct tctx *tc = &TC;
	struct creq *q = Q;
	int ep, inject;

	if (s->variant == 1) {
		/* Manual: a normal workflow, some steps carrying a payload. */
		ep = next_workflow_ep(s);
		if (ep < 0)
			return 0;
		inject = s->left-- > 0 && rng_below(S.r, 16) < (unsigned)s->pay_every;
	} else {
		if (s->left-- <= 0)
			return 0;
		inject = rng_below(S.r, 16) < 12;
		ep = inject ? (rng_below(S.r, 12) == 0 ? S.a->login_ep : pick_ep(want_any)) :
			browse_pick();
	}
	if (s->phase == 0 && inject < 1 && s->left <= 0)
		inject = 1;	/* every payload session carries at least one */
	trace_begin(tc, s, t);
	if (ep != S.a->login_ep)
		as_self(s, tc);
	edge_request(tc, ep, q);
	if (inject) {
		inject_payload(q, s->cls, &PAY);
		s->phase = 1;
	}
	return attack_trace(s, tc, q, t);
}

static uint64_t
bola_step(struct session *s, uint64_t t)
{
	struct tctx *tc = &TC;
	struct creq *q = Q;
	const struct endpoint *e;

	if (s->left-- <= 0)
		return 0;
	if (s->variant != 0 && rng_below(S.r, 2) && s->phase > 0)
		return cover_step(s, t);
	int ep = s->variant == 0 ? s->ep : pick_ep(want_object);
	if (ep < 0)
		return 0;
	e = &S.a->eps[ep];
	attack_request(s, t, ep, CLS_BENIGN, NULL, NULL);
	if (s->variant == 0) {
		foreign_id(q, e, s->cursor, "enumerate");
		s->cursor += rng_below(S.r, 5) == 0 ? 1 + (int64_t)rng_below(S.r, 3) : 1;
	} else {
		foreign_id(q, e, victim_object(e, s->user),
				s->variant == 1 ? "harvested_ids" : "single_parameter");
		if (s->variant == 2)
			s->left = 0;
	}
	s->phase = 1;
	return attack_trace(s, tc, q, t);
}

static uint64_t
bfla_step(struct session *s, uint64_t t)
{
	struct tctx *tc = &TC;
	struct creq *q = Q;

	if (s->left-- <= 0)
		return 0;
	if (rng_below(S.r, 2) && s->phase > 0)
		return cover_step(s, t);
	s->phase = 1;
	int ep = s->variant == 0 ? pick_ep(want_admin) : s->variant == 2 ? pick_ep(want_object) : -1;
	if (ep < 0)
		return probe(s, t, "admin_path", CLS_BFLA, "malicious", "path_guess");
	attack_request(s, t, ep, CLS_BFLA, "admin_endpoint", "path");
	if (s->variant != 0) {
		/* Same resource, a method the role may not use. */
		static const char *methods[] = { "DELETE", "PUT", "PATCH" };
		struct buf b = { q->path_override, 0, sizeof(q->path_override) };
		put_target(&b, q);
		q->path_override[b.len] = '\0';
		q->method = methods[rng_below(S.r, 3)];
		q->ep = -1;
		q->forced_status = s->vuln ? (rng_below(S.r, 2) ? 200 : 204) :
			rng_below(S.r, 2) ? 403 : 405;
		q->technique = "method_swap";
	}
	return attack_trace(s, tc, q, t);
}

static uint64_t
mass_step(struct session *s, uint64_t t)
{
	struct tctx *tc = &TC;
	struct creq *q = Q;
	static char where[64];

	if (s->left <= 0)
		return 0;
	if (rng_below(S.r, 2) && s->phase > 0)
		return cover_step(s, t);
	int ep = pick_ep(want_priv);
	if (ep < 0)
		return 0;
	s->left--;
	s->phase = 1;
	const struct endpoint *e = &S.a->eps[ep];
	attack_request(s, t, ep, CLS_MASS_ASSIGNMENT, "extra_properties", where);
	/* The label names the properties added below. */
	int k = 1 + (int)rng_below(S.r, 3);
	snprintf(where, sizeof(where), "body");
	for (int i = 0; i < k; i++) {
		const struct param *p = &e->priv[rng_below(S.r, (uint32_t)e->n_priv)];
		struct field_t *f = find_field(q, p->name);
		if (f == NULL && (f = add_field(q, LOC_BODY, p->name)) == NULL)
			break;
		/* The privileged value: the first enum choice, true, the top. */
		if (p->type == PT_ENUM)
			f->len = (uint16_t)snprintf(f->val, sizeof(f->val), "%s", p->choices[0]);
		else if (p->type == PT_BOOL)
			f->len = (uint16_t)snprintf(f->val, sizeof(f->val), "true");
		else if (p->type == PT_MONEY || p->type == PT_INT)
			f->len = (uint16_t)snprintf(f->val, sizeof(f->val), "%lld", (long long)p->hi);
		else
			f->len = (uint16_t)param_value(p, NULL, t, f->val, sizeof(f->val), &f->num);
		f->num = p->type != PT_ENUM && p->type != PT_GRAMMAR && p->type != PT_UUID &&
			p->type != PT_CONST && p->type != PT_DATE;
		size_t wl = strlen(where);
		snprintf(where + wl, sizeof(where) - wl, "%s%s", i ? "," : ":", p->name);
	}
	return attack_trace(s, tc, q, t);
}

static uint64_t
broken_auth_step(struct session *s, uint64_t t)
{
	static const char *tech[] = { "alg_none", "expired_token", "forged_claims",
		"shared_token", "kid_injection" };
	struct tctx *tc = &TC;
	struct creq *q = Q;
	static char tok[TOKEN_MAX];
	struct user *v = &S.users[s->victim];
	char sub[32], kid[160];
	uint64_t now = epoch_s(t);
	int bad = 1, admin = 0;

	if (s->left-- <= 0)
		return 0;
	int ep = rng_below(S.r, 3) == 0 && s->variant != 1 && s->variant != 3 ?
		pick_ep(want_admin) : -1;
	if (ep < 0)
		ep = rng_below(S.r, 2) ? pick_ep(want_object) : browse_pick();
	if (ep < 0)
		ep = browse_pick();
	user_sub(v, sub, sizeof(sub));
	switch (s->variant) {
	case 0:
		jwt_build(tok, sizeof(tok), rng_below(S.r, 2) ? "none" : "None", sub, "admin",
				now, now + (uint64_t)S.a->token_ttl, "k1", 0);
		admin = 1;
		break;
	case 1:
		jwt_build(tok, sizeof(tok), S.a->jwt_alg, sub, "user",
				now - 86400 * (1 + rng_below(S.r, 30)),
				now - 86400 * (1 + rng_below(S.r, 30)) + (uint64_t)S.a->token_ttl,
				"k1", sig_len(S.a->jwt_alg));
		break;
	case 2:
		jwt_build(tok, sizeof(tok), S.a->jwt_alg, sub, "admin", now,
				now + 86400 * 365, "k1", sig_len(S.a->jwt_alg));
		admin = 1;
		break;
	case 3:
		if (v->token_exp <= t)
			issue_token(v, t);
		memcpy(tok, v->token, sizeof(tok));
		bad = 0;
		admin = v->admin;
		break;
	default:
		gexpand("kid_injection", kid, sizeof(kid));
		jwt_build(tok, sizeof(tok), "HS256", sub, "admin", now,
				now + (uint64_t)S.a->token_ttl, kid, 32);
		admin = 1;
		break;
	}
	/* A shared token is used from many clients at once. */
	int ipk = s->ipk;
	if (s->n_ips > 1)
		s->ipk = (int)s->cursor + (int)rng_below(S.r, (uint32_t)s->n_ips);
	trace_begin(tc, s, t);
	s->ipk = ipk;
	if (s->n_ips > 1)
		gexpand(rng_below(S.r, 2) ? "ua_browser" : "ua_mobile", s->ua, sizeof(s->ua));
	trace_auth(tc, tok, s->victim, bad, admin);
	edge_request(tc, ep, q);
	q->mal = 1;
	q->cls = CLS_BROKEN_AUTH;
	q->technique = tech[s->variant];
	q->location = "header:Authorization";
	return attack_trace(s, tc, q, t);
}

static uint64_t
stuffing_step(struct session *s, uint64_t t)
{
	static const char *tech[] = { "credential_stuffing", "brute_force", "password_spraying" };
	struct tctx *tc = &TC;
	struct creq *q = Q;
	char uname[96], pw[64];
	uint64_t end;

	if (s->phase == 1) {
		/* Account takeover: the stolen session is used right away. */
		if (s->left-- <= 0)
			return 0;
		int ep = rng_below(S.r, 2) ? pick_ep(want_object) : browse_pick();
		attack_request(s, t, ep < 0 ? browse_pick() : ep, CLS_CREDENTIAL_STUFFING,
				"account_takeover", "header:Authorization");
		return attack_trace(s, tc, q, t);
	}
	if (s->left-- <= 0)
		return 0;
	int success = 0, victim = -1;
	switch (s->variant) {
	case 0:
		if (rng_below(S.r, 7)) {
			gexpand("breach_user", uname, sizeof(uname));
			gexpand("password_guess", pw, sizeof(pw));
		} else {
			victim = (int)rng_below(S.r, (uint32_t)S.n_users);
			snprintf(uname, sizeof(uname), "%s", S.users[victim].uname);
			success = s->vuln && rng_below(S.r, 40) == 0;
			if (success)
				snprintf(pw, sizeof(pw), "%s", S.users[victim].password);
			else
				gexpand("password_guess", pw, sizeof(pw));
		}
		break;
	case 1:
		victim = s->victim;
		snprintf(uname, sizeof(uname), "%s", S.users[victim].uname);
		success = s->vuln && s->left == 0 && rng_below(S.r, 3) == 0;
		if (success)
			snprintf(pw, sizeof(pw), "%s", S.users[victim].password);
		else
			gexpand("password_guess", pw, sizeof(pw));
		break;
	default:
		victim = (int)rng_below(S.r, (uint32_t)S.n_users);
		snprintf(uname, sizeof(uname), "%s", S.users[victim].uname);
		snprintf(pw, sizeof(pw), "%s", s->secret);
		break;
	}
	int ipk = s->ipk;
	if (s->n_ips > 1)
		s->ipk = (int)s->cursor + (int)rng_below(S.r, (uint32_t)s->n_ips);
	if (success)
		s->user = victim;
	do_login(s, t, tc, q, &end, uname, pw, success ? 0 : 401, tech[s->variant]);
	mark_actor(tc);
	if (!success)
		s->user = -1;
	s->ipk = ipk;
	if (success && S.users[victim].token_exp) {
		s->phase = 1;
		s->left = 1 + (int)rng_below(S.r, 4);
	}
	return end;
}

static uint64_t
scraping_step(struct session *s, uint64_t t)
{
	static const char *tech[] = { "id_crawl", "pagination", "distributed_crawl" };
	struct tctx *tc = &TC;
	struct creq *q = Q;
	const struct endpoint *e = &S.a->eps[s->ep];

	if (s->left-- <= 0)
		return 0;
	int ipk = s->ipk;
	if (s->n_ips > 1)
		s->ipk = ipk + (int)rng_below(S.r, (uint32_t)s->n_ips);
	attack_request(s, t, s->ep, CLS_SCRAPING, tech[s->variant], "path");
	s->ipk = ipk;
	if (s->variant == 1) {
		for (int i = 0; i < e->n_query; i++) {
			const struct param *p = &e->query[i];
			struct field_t *f = find_field(q, p->name);
			if (f == NULL)
				f = add_field(q, LOC_QUERY, p->name);
			if (f == NULL)
				break;
			if (p->type == PT_LIMIT) {
				f->len = (uint16_t)snprintf(f->val, sizeof(f->val), "%lld",
						(long long)p->hi);
				q->list_limit = (int)p->hi;
			} else if (p->type == PT_PAGE) {
				f->len = (uint16_t)snprintf(f->val, sizeof(f->val), "%lld",
						(long long)s->cursor);
			}
		}
	} else {
		const struct param *p = object_param(e, 1);
		struct field_t *f = p ? find_field(q, p->name) : NULL;
		if (f)
			f->len = (uint16_t)snprintf(f->val, sizeof(f->val), "%lld",
					(long long)s->cursor);
	}
	s->cursor++;
	return attack_trace(s, tc, q, t);
}

/* Pulls records through an outdated endpoint that returns everyone's data. */
static uint64_t
exfil_request(struct session *s, uint64_t t, enum cls c, const char *technique)
{
	struct tctx *tc = &TC;
	struct creq *q = Q;
	const struct endpoint *e = &S.a->eps[s->ep];
	int limit = s->variant == 0 ? 200 + (int)rng_below(S.r, 800) : 50 + (int)rng_below(S.r, 60);

	attack_request(s, t, s->ep, c, technique, "query");
	for (int i = 0; i < e->n_query; i++) {
		const struct param *p = &e->query[i];
		if (p->type != PT_LIMIT && p->type != PT_PAGE)
			continue;
		struct field_t *f = find_field(q, p->name);
		if (f == NULL && (f = add_field(q, LOC_QUERY, p->name)) == NULL)
			break;
		f->len = (uint16_t)snprintf(f->val, sizeof(f->val), "%lld", p->type == PT_LIMIT ?
				(long long)limit : (long long)s->cursor);
	}
	s->cursor++;
	if (e->legacy)
		q->legacy_records = limit;
	else
		q->list_limit = limit;
	return attack_trace(s, tc, q, t);
}

static uint64_t
exfil_step(struct session *s, uint64_t t)
{
	if (s->left-- <= 0)
		return 0;
	if (s->variant == 1 && rng_below(S.r, 3) == 0 && s->phase > 0)
		return cover_step(s, t);
	s->phase = 1;
	return exfil_request(s, t, CLS_EXFILTRATION, s->variant == 0 ? "legacy_bulk" :
			"legacy_slow_drip");
}

static uint64_t
chain_step(struct session *s, uint64_t t)
{
	struct tctx *tc = &TC;
	struct creq *q = Q;

	while (s->left <= 0 && s->phase < 3) {
		s->phase++;
		s->left = s->phase == 1 ? 60 + (int)rng_below(S.r, 100) :
			s->phase == 2 ? 10 + (int)rng_below(S.r, 25) : 0;
	}
	if (s->phase >= 3)
		return 0;
	s->left--;
	switch (s->phase) {
	case 0:
		if (rng_below(S.r, 10) < 7)
			return probe(s, t, "recon_path", CLS_CHAIN, "recon", "endpoint_discovery");
		int ep = pick_ep(want_object);
		if (ep < 0)
			return probe(s, t, "recon_path", CLS_CHAIN, "recon", "endpoint_discovery");
		attack_request(s, t, ep, CLS_BENIGN, NULL, NULL);
		foreign_id(q, &S.a->eps[ep], victim_object(&S.a->eps[ep], s->user), "id_probe");
		q->cls = CLS_CHAIN;
		q->step = "recon";
		return attack_trace(s, tc, q, t);
	case 1:
		return cover_step(s, t);
	default:
		if (s->ep >= 0)
			return exfil_request(s, t, CLS_CHAIN, "chain_exfiltration");
		ep = pick_ep(want_object);
		if (ep < 0)
			return 0;
		attack_request(s, t, ep, CLS_BENIGN, NULL, NULL);
		foreign_id(q, &S.a->eps[ep], s->cursor++, "chain_enumeration");
		q->cls = CLS_CHAIN;
		return attack_trace(s, tc, q, t);
	}
}

/* One action of session s at time t; 0 when the session is over. */
static uint64_t
session_step(struct session *s, uint64_t t)
{
	int ep;

	/* Attackers with an account log in like anyone else. */
	if (s->cls != CLS_BENIGN && s->user >= 0 && s->need_login) {
		struct user *u = &S.users[s->user];
		uint64_t end;
		int st = do_login(s, t, &TC, Q, &end, u->uname, u->password, 0, NULL);
		s->need_login = st >= 300 && rng_below(S.r, 2);
		mark_actor(&TC);
		return end;
	}
	switch (s->cls) {
	case CLS_BENIGN:
		return benign_step(s, t, &ep);
	case CLS_BOLA:
		return bola_step(s, t);
	case CLS_BFLA:
		return bfla_step(s, t);
	case CLS_MASS_ASSIGNMENT:
		return mass_step(s, t);
	case CLS_BROKEN_AUTH:
		return broken_auth_step(s, t);
	case CLS_CREDENTIAL_STUFFING:
		return stuffing_step(s, t);
	case CLS_SCRAPING:
		return scraping_step(s, t);
	case CLS_EXFILTRATION:
		return exfil_step(s, t);
	case CLS_CHAIN:
		return chain_step(s, t);
	default:
		return payload_step(s, t);
	}
}

static enum cls
pick_class(void)
{
	double x = rng_unit(S.r);

	for (int c = 1; c < CLS_N; c++) {
		if (x < S.o->rates[c])
			return (enum cls)c;
		x -= S.o->rates[c];
	}
	return CLS_BENIGN;
}

/* Consecutive fresh client addresses for rotating attackers. */
static int
new_ips(int n)
{
	int first = new_ip();

	for (int i = 1; i < n; i++)
		new_ip();
	return first;
}

static struct session *
new_session(uint64_t t)
{
	struct session *s = calloc(1, sizeof(*s));
	enum cls c = pick_class();

	if (s == NULL) {
		fprintf(stderr, "meshwatch-gen: out of memory\n");
		exit(1);
	}
	s->t = t;
	s->cls = c;
	s->ep = -1;
	s->cursor = 1;
	s->user = (int)rng_below(S.r, (uint32_t)S.n_users);
	s->attack_id = c != CLS_BENIGN ? ++S.next_attack : 0;
	s->vuln = rng_chance(S.r, S.a->vuln);
	s->victim = (int)rng_below(S.r, (uint32_t)S.n_users);
	if (s->victim == s->user)
		s->victim = (s->victim + 1) % S.n_users;
	start_workflow(s);
	struct user *u = &S.users[s->user];
	s->ipk = u->ipk;
	s->mobile = u->mobile;
	memcpy(s->ua, u->ua, sizeof(s->ua));
	s->need_login = c != CLS_BENIGN && u->token_exp <= t;
	S.res->sessions_by_class[c]++;
	S.res->sessions++;

	if (c != CLS_BENIGN && (cls_payload[c] || c == CLS_SCRAPING ||
				c == CLS_CREDENTIAL_STUFFING) && rng_below(S.r, 2)) {
		s->tool = 1;
		gexpand(c == CLS_SCRAPING ? "ua_bot" : "ua_tool", s->ua, sizeof(s->ua));
	}
	if (cls_payload[c]) {
		s->variant = rng_below(S.r, 10) < 6 ? 0 : 1;
		s->left = s->variant == 0 ? 5 + (int)rng_below(S.r, 50) : 1 + (int)rng_below(S.r, 3);
		s->pay_every = 4;
		if (rng_below(S.r, 10) < 3) {
			s->user = -1;	/* an anonymous scanner */
			s->ipk = new_ip();
			s->need_login = 0;
		}
	}
	switch (c) {
	case CLS_BOLA:
		s->variant = (int)rng_below(S.r, 3);
		s->ep = pick_ep(want_object);
		s->left = s->variant == 0 ? 10 + (int)rng_below(S.r, 70) :
			s->variant == 1 ? 6 + (int)rng_below(S.r, 20) : 1 + (int)rng_below(S.r, 8);
		s->cursor = u->id + 1;
		if (s->ep >= 0 && object_param(&S.a->eps[s->ep], 0)->type == PT_OWNED) {
			int k = object_param(&S.a->eps[s->ep], 0)->kind;
			s->cursor = (u->n_owned[k] ? u->owned[k][0] : S.next_obj[k]) -
				(int64_t)rng_below(S.r, 50);
		}
		break;
	case CLS_BFLA:
		s->variant = (int)rng_below(S.r, 3);
		s->left = 3 + (int)rng_below(S.r, 12);
		if (u->admin)
			u->admin = 0;	/* the attacker is a regular user */
		break;
	case CLS_MASS_ASSIGNMENT:
		s->left = 1 + (int)rng_below(S.r, 4);
		break;
	case CLS_BROKEN_AUTH:
		s->variant = (int)rng_below(S.r, 5);
		s->left = 3 + (int)rng_below(S.r, 15);
		s->need_login = 0;
		if (s->variant == 3) {
			s->n_ips = 4 + (int)rng_below(S.r, 20);
			s->cursor = new_ips(s->n_ips);
		} else {
			s->ipk = new_ip();
		}
		break;
	case CLS_CREDENTIAL_STUFFING:
		s->variant = (int)rng_below(S.r, 3);
		s->user = -1;
		s->need_login = 0;
		s->left = s->variant == 2 ? 20 + (int)rng_below(S.r, 60) :
			30 + (int)rng_below(S.r, 250);
		s->n_ips = s->variant == 1 || rng_below(S.r, 3) == 0 ? 1 : 5 + (int)rng_below(S.r, 40);
		s->cursor = new_ips(s->n_ips);
		s->ipk = (int)s->cursor;
		gexpand("password_guess", s->secret, sizeof(s->secret));
		break;
	case CLS_SCRAPING:
		s->variant = (int)rng_below(S.r, 3);
		s->ep = s->variant == 1 ? pick_ep(want_list) : pick_ep(want_crawl);
		if (s->ep < 0) {
			s->variant = 1;
			s->ep = pick_ep(want_list);
		}
		if (s->ep < 0)
			s->ep = browse_pick();
		s->left = 50 + (int)rng_below(S.r, 350);
		if (S.a->eps[s->ep].auth == AUTH_NONE && rng_below(S.r, 2)) {
			s->user = -1;
			s->need_login = 0;
		}
		s->n_ips = s->variant == 2 ? 5 + (int)rng_below(S.r, 15) : 1;
		s->ipk = s->n_ips > 1 ? new_ips(s->n_ips) : s->user < 0 ? new_ip() : s->ipk;
		break;
	case CLS_EXFILTRATION:
		s->variant = (int)rng_below(S.r, 2);
		s->ep = pick_ep(want_legacy);
		if (s->ep < 0)
			s->ep = pick_ep(want_list);
		s->left = s->variant == 0 ? 4 + (int)rng_below(S.r, 30) : 15 + (int)rng_below(S.r, 40);
		break;
	case CLS_CHAIN:
		s->left = 4 + (int)rng_below(S.r, 10);
		s->ep = rng_below(S.r, 2) ? pick_ep(want_legacy) : -1;
		s->cursor = u->id + 1;
		break;
	default:
		break;
	}
	if (s->user >= 0 && c != CLS_BENIGN && s->ep < 0 &&
			(c == CLS_SCRAPING || c == CLS_EXFILTRATION))
		s->done = 1;
	if (s->user >= 0)
		u->sessions++;
	else
		S.ips[s->ipk].sessions++;
	return s;
}

/* ------------------------------------------------------------- set-up */

static int
cmp_browse(const void *x, const void *y)
{
	int a = *(const int *)x, b = *(const int *)y;
	int wa = S.a->eps[a].browse, wb = S.a->eps[b].browse;

	return wa != wb ? wb - wa : a - b;
}

static void
setup(void)
{
	const struct app *a = S.a;
	size_t n = (size_t)a->n_inst;

	S.pools = calloc(n * n, sizeof(*S.pools));
	S.next_port = calloc(n, sizeof(*S.next_port));
	S.inst_ip = calloc(n, sizeof(*S.inst_ip));
	S.inst_svc = calloc(n, sizeof(*S.inst_svc));
	S.browse_eps = calloc((size_t)a->n_eps, sizeof(int));
	edge_ok = calloc((size_t)a->n_eps, sizeof(int));
	Q = malloc(sizeof(*Q));
	if (!S.pools || !S.next_port || !S.inst_ip || !S.inst_svc || !S.browse_eps ||
			!edge_ok || !Q) {
		fprintf(stderr, "meshwatch-gen: out of memory\n");
		exit(1);
	}
	for (int i = 0; i < a->n_svcs; i++)
		for (int k = 0; k < a->svcs[i].n_addrs; k++) {
			int inst = a->svcs[i].first_inst + k;
			S.inst_ip[inst] = a->svcs[i].addrs[k];
			S.inst_svc[inst] = i;
			S.next_port[inst] = (uint16_t)(32768 + rng_below(S.r, 20000));
		}
	for (int i = 0; i < a->n_eps; i++) {
		if (a->eps[i].browse > 0)
			S.browse_eps[S.n_browse++] = i;
		edge_ok[i] = a->eps[i].browse > 0 || a->eps[i].login || a->eps[i].legacy;
	}
	for (int w = 0; w < a->n_wfs; w++) {
		S.wf_total += a->wfs[w].weight;
		for (int k = 0; k < a->wfs[w].n_steps; k++)
			if (a->wfs[w].steps[k].ep >= 0)
				edge_ok[a->wfs[w].steps[k].ep] = 1;
	}
	for (int i = 0; i < a->n_eps; i++)
		edge_ok[i] |= a->eps[i].auth == AUTH_ADMIN && !a->svcs[a->eps[i].svc].edge;
	qsort(S.browse_eps, (size_t)S.n_browse, sizeof(int), cmp_browse);
	zipf_init(&S.browse_zipf, (uint32_t)S.n_browse, 1.2);
	for (int k = 0; k < a->n_kinds; k++)
		S.next_obj[k] = a->kinds[k].first_id + 1000000;
	records_init();
}

static void
write_actors(void)
{
	char name[64], ip[48];

	for (int i = 0; i < S.n_users; i++) {
		struct user *u = &S.users[i];
		if (u->requests == 0)
			continue;
		user_label(u, name, sizeof(name));
		ip_str(S.ips[u->ipk].ip, ip, sizeof(ip), 0);
		label_actor(name, "user", ip, (enum cls)u->cls, u->attacks, u->n_attacks,
				u->sessions, u->requests, u->malicious);
	}
	for (int i = 0; i < S.n_ips; i++) {
		struct iprec *r = &S.ips[i];
		if (r->requests == 0)
			continue;
		ip_str(r->ip, ip, sizeof(ip), 0);
		snprintf(name, sizeof(name), "ip:%s", ip);
		label_actor(name, "ip", ip, (enum cls)r->cls, r->attacks, r->n_attacks,
				r->sessions, r->requests, r->malicious);
	}
}

int
sim_run(const struct app *a, const struct sim_grammars *g, const struct sim_opts *o,
		struct rng *r, struct sim_result *res)
{
	memset(&S, 0, sizeof(S));
	S.a = a;
	S.g = g;
	S.o = o;
	S.r = r;
	S.res = res;
	memset(res, 0, sizeof(*res));
	setup();
	users_init(o->users > 0 ? o->users : a->users);

	/* Each user starts a session every two minutes on average. */
	double arrivals_per_s = S.n_users / 120.0;
	uint64_t next_arrival = 0, t = 0;
	int warm = S.n_users / 4;

	for (int i = 0; i < warm; i++)
		sess_push(new_session((uint64_t)(rng_unit(S.r) * a->think_s * 4 * NS)));
	while (res->requests < o->requests) {
		struct session *s;

		if (S.n_heap == 0 || next_arrival <= S.heap[0]->t) {
			sess_push(new_session(next_arrival));
			next_arrival += (uint64_t)(rng_exp(S.r, 1.0 / arrivals_per_s) * NS) + 1;
			continue;
		}
		s = sess_pop();
		t = s->t;
		if (t - S.last_sweep > SWEEP_EVERY) {
			pool_sweep(t, 0);
			S.last_sweep = t;
		}
		net_flush(t);
		uint64_t end = s->done ? 0 : session_step(s, t);
		if (end == 0) {
			free(s);
			continue;
		}
		s->t = end + think(s);
		sess_push(s);
	}
	if (o->loop_clean)
		pool_sweep(t, 1);
	while (S.n_heap)
		free(sess_pop());
	write_actors();
	res->sim_ns = t;
	return 0;
}
