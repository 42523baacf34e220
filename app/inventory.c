/* SPDX-License-Identifier: BSD-3-Clause */
/* The API inventory and service graph (inventory.h). Control path. */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "inventory.h"
#include "config.h"
#include "output.h"

#define GRACE_NS (60ull * 1000000000ull)	/* an endpoint's template settles */

const char *const inv_finding_names[INV_FINDING_MAX] = {
	"unauthenticated_service_call", "new_endpoint",
};

static const struct { uint32_t sid; const char *signature; } finding_sig[INV_FINDING_MAX] = {
	{ 9200001, "meshwatch inventory: a service calls another without authentication" },
	{ 9200002, "meshwatch inventory: an endpoint not in the inventory (shadow or outdated API)" },
};

/* A path segment under its parent, per callee: the trie that decides
 * which literals are routes and which are values. */
struct inv_node {
	struct inv_node *kid, *next;	/* first child, next sibling */
	uint64_t calls;
	uint32_t literals;		/* literal children */
	char seg[];			/* "{id}" for values */
};

struct inv_ep_key {
	char dst[32];
	uint8_t method;
	char tmpl[INV_TEMPLATE + 1];
};

struct inv_ep {
	struct inv_ep_key k;
	uint64_t first_ns;
	bool decided;			/* new-endpoint finding settled */
};

struct inv_edge_key {
	uint32_t ep;
	char src[32];
};

struct inv_edge {
	struct inv_edge_key k;
	uint64_t calls, status[6];	/* none, 1xx .. 5xx */
	uint64_t authed, traced, first_ns, last_ns;
	uint8_t client[16], server[16];	/* the first call's, for findings */
	uint16_t cport, sport;
	bool v6, service_pair, reported;
};

/* A finding's key: who called what. */
struct inv_seen_key {
	uint8_t finding;
	char src[32];
	struct inv_ep_key ep;
};

struct inventory {
	pthread_mutex_t lock;
	const char (*names)[32];
	bool is_edge[CFG_MAX_SERVICES];	/* by service id */
	uint16_t n_names;
	struct inv_node *roots;		/* one per callee, seg = its name */
	uint64_t n_nodes;
	struct rte_hash *eps, *edges, *seen, *known;
	struct inv_ep *ep;
	struct inv_edge *edge;
	uint32_t n_ep, n_edge, cap;
	uint64_t unmatched, full;
	uint64_t findings[INV_FINDING_MAX];
	uint64_t first_ns, now_ns;
	uint32_t learn_s;
	bool has_baseline;
};

static struct rte_hash *
make_hash(const char *name, uint32_t entries, uint32_t key_len)
{
	struct rte_hash_parameters p = { .name = name, .entries = entries, .key_len = key_len,
		.hash_func = rte_hash_crc, .socket_id = SOCKET_ID_ANY };

	return rte_hash_create(&p);
}

/* A segment a route could be named with. */
static bool
route_word(const char *s, size_t n)
{
	bool alnum = false;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool a = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!a && c != '-' && c != '_' && c != '.' && c != '~')
			return false;
		alnum |= a;
	}
	return alnum;
}

/* A segment that is an identifier whatever else comes there: a number, a
 * UUID, a long hex string. Everything else the rx lcore calls an {id}
 * (user names, dates, codes with digits) the fan-out decides here, so a
 * dated API version (/api/2019-01/...) stays a route. */
static bool
strong_value(const char *s, size_t n)
{
	size_t digits = 0, hex = 0;

	if (n == 4 && memcmp(s, "{id}", 4) == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		digits += c >= '0' && c <= '9';
		hex += (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
	}
	return (n > 0 && digits == n) || (hex == n && n >= 8 && digits > 0) ||
		(n == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' &&
		 hex == 32);
}

static struct inv_node *
node_new(struct inventory *inv, const char *seg, size_t n)
{
	struct inv_node *x = calloc(1, sizeof(*x) + n + 1);

	if (x == NULL)
		return NULL;
	memcpy(x->seg, seg, n);
	inv->n_nodes++;
	return x;
}

static struct inv_node *
kid(struct inv_node *parent, const char *seg, size_t n)
{
	for (struct inv_node *k = parent ? parent->kid : NULL; k; k = k->next)
		if (strlen(k->seg) == n && memcmp(k->seg, seg, n) == 0)
			return k;
	return NULL;
}

static struct inv_node *
root_of(struct inventory *inv, const char *dst, bool make)
{
	struct inv_node *r;

	for (r = inv->roots; r; r = r->next)
		if (strcmp(r->seg, dst) == 0)
			return r;
	if (!make || (r = node_new(inv, dst, strlen(dst))) == NULL)
		return NULL;
	r->next = inv->roots;
	inv->roots = r;
	return r;
}

/*
 * The template of path (the rx lcore's, '/'-separated) under callee root:
 * each segment a route word kept, or "{id}". With learn, the nodes on the
 * way are made and count the call. Returns the template's length, or -1
 * when it does not fit; *clean is false when a segment was no route word.
 */
static int
walk(struct inventory *inv, struct inv_node *root, const char *path, size_t n, bool learn,
		char *out, bool *clean)
{
	struct inv_node *at = root;
	size_t o = 0, i = 0;

	*clean = true;
	if (at != NULL && learn)
		at->calls++;
	while (i < n) {
		if (path[i] == '/') {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && path[j] != '/')
			j++;
		const char *s = path + i;
		size_t len = j - i;
		bool value = strong_value(s, len);
		if (!value && !route_word(s, len)) {
			value = true;
			*clean = false;
		}
		struct inv_node *next = NULL;
		if (!value) {
			next = kid(at, s, len);
			/* past the fan-out, a literal is a value unless it carries
			 * a share of the calls (a route among many) */
			if (at != NULL && at->literals > INV_FANOUT &&
					(next == NULL || next->calls * 4 * INV_FANOUT < at->calls))
				value = true;
			else if (next == NULL && learn && at != NULL &&
					inv->n_nodes < 8ull * inv->cap &&
					(next = node_new(inv, s, len)) != NULL) {
				next->next = at->kid;
				at->kid = next;
				at->literals++;
			}
		}
		if (value) {
			s = "{id}";
			len = 4;
			next = kid(at, s, len);
			if (next == NULL && learn && at != NULL && inv->n_nodes < 8ull * inv->cap &&
					(next = node_new(inv, s, len)) != NULL) {
				next->next = at->kid;
				at->kid = next;
			}
		}
		if (o + 1 + len > INV_TEMPLATE)
			return -1;
		out[o++] = '/';
		memcpy(out + o, s, len);
		o += len;
		if (learn && next != NULL)
			next->calls++;
		at = next;
		i = j;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return (int)o;
}

static void
service_name(const struct inventory *inv, const struct mw_event *ev, uint16_t id, bool callee,
		char out[32])
{
	uint16_t n;

	if (id != MW_SERVICE_UNKNOWN && id < inv->n_names) {
		snprintf(out, 32, "%s", inv->names[id]);
		return;
	}
	if (callee) {
		/* as the event log names it: the Host's first label */
		const char *h = mw_event_field(ev, MW_FIELD_host, &n);
		size_t k = out_host_label(h, n);
		k = k < 31 ? k : 31;
		if (k > 0 && route_word(h, k)) {
			memcpy(out, h, k);
			out[k] = '\0';
			return;
		}
	}
	snprintf(out, 32, "%s", callee ? "unknown" : "external");
}

/* A configured service (and, for a caller, not an edge one). */
static bool
configured(const struct inventory *inv, const char *name, bool caller)
{
	for (uint16_t i = 0; i < inv->n_names; i++)
		if (strcmp(inv->names[i], name) == 0)
			return !caller || !inv->is_edge[i];
	return false;
}

/* Reads a baseline file's endpoints into known (NULL: only checks it); -1
 * with a message saying what is wrong with it. */
static int
read_baseline(const char *path, struct rte_hash *known, FILE *err)
{
	json_object *o = json_object_from_file(path), *eps;

	if (o == NULL || !json_object_object_get_ex(o, "endpoints", &eps) ||
			!json_object_is_type(eps, json_type_array)) {
		fprintf(err, "inventory.baseline: \"%s\" is not an inventory meshwatch wrote "
				"(a JSON object with an \"endpoints\" list): %s\n", path,
				o == NULL ? json_util_get_last_err() : "no endpoints");
		json_object_put(o);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(eps); i++) {
		json_object *e = json_object_array_get_idx(eps, i), *s, *m, *t;
		struct inv_seen_key k = { .finding = INV_NEW_ENDPOINT };
		if (!json_object_object_get_ex(e, "service", &s) ||
				!json_object_object_get_ex(e, "method", &m) ||
				!json_object_object_get_ex(e, "template", &t)) {
			fprintf(err, "inventory.baseline: \"%s\": endpoint %zu lacks service, method "
					"or template\n", path, i);
			json_object_put(o);
			return -1;
		}
		snprintf(k.ep.dst, sizeof(k.ep.dst), "%s", json_object_get_string(s));
		snprintf(k.ep.tmpl, sizeof(k.ep.tmpl), "%s", json_object_get_string(t));
		for (unsigned int mm = 0; mm < MW_METHOD_MAX; mm++)
			if (strcmp(mw_method_names[mm], json_object_get_string(m)) == 0)
				k.ep.method = (uint8_t)mm;
		if (known != NULL)
			rte_hash_add_key(known, &k);
	}
	json_object_put(o);
	return 0;
}

int
inv_check_baseline(const char *path, FILE *err)
{
	return read_baseline(path, NULL, err);
}

struct inventory *
inv_create(uint32_t capacity, const char *baseline, uint32_t learn_s,
		const char (*service_names)[32], const bool *edge, uint16_t n_services, FILE *err)
{
	struct inventory *inv = calloc(1, sizeof(*inv));

	if (inv == NULL)
		return NULL;
	pthread_mutex_init(&inv->lock, NULL);
	inv->names = service_names;
	inv->n_names = n_services < CFG_MAX_SERVICES ? n_services : CFG_MAX_SERVICES;
	for (uint16_t i = 0; i < inv->n_names; i++)
		inv->is_edge[i] = edge[i];
	inv->cap = capacity;
	inv->learn_s = learn_s;
	inv->ep = calloc(capacity, sizeof(*inv->ep));
	inv->edge = calloc(capacity, sizeof(*inv->edge));
	inv->eps = make_hash("inv_eps", capacity, sizeof(struct inv_ep_key));
	inv->edges = make_hash("inv_edges", capacity, sizeof(struct inv_edge_key));
	inv->seen = make_hash("inv_seen", capacity, sizeof(struct inv_seen_key));
	inv->known = make_hash("inv_known", capacity, sizeof(struct inv_seen_key));
	if (inv->ep == NULL || inv->edge == NULL || inv->eps == NULL || inv->edges == NULL ||
			inv->seen == NULL || inv->known == NULL) {
		fprintf(err, "inventory: cannot allocate tables for %u endpoints\n", capacity);
		inv_free(inv);
		return NULL;
	}
	if (baseline != NULL && baseline[0]) {
		if (read_baseline(baseline, inv->known, err) < 0) {
			inv_free(inv);
			return NULL;
		}
		inv->has_baseline = true;
	}
	return inv;
}

static void
free_nodes(struct inv_node *x)
{
	while (x != NULL) {
		struct inv_node *next = x->next;
		free_nodes(x->kid);
		free(x);
		x = next;
	}
}

void
inv_free(struct inventory *inv)
{
	if (inv == NULL)
		return;
	free_nodes(inv->roots);
	rte_hash_free(inv->eps);
	rte_hash_free(inv->edges);
	rte_hash_free(inv->seen);
	rte_hash_free(inv->known);
	free(inv->ep);
	free(inv->edge);
	pthread_mutex_destroy(&inv->lock);
	free(inv);
}

void
inv_lock(struct inventory *inv)
{
	pthread_mutex_lock(&inv->lock);
}

void
inv_unlock(struct inventory *inv)
{
	pthread_mutex_unlock(&inv->lock);
}

static bool
authenticated(const struct mw_event *ev)
{
	return ev->actor_kind == MW_ACTOR_jwt || ev->actor_kind == MW_ACTOR_apikey ||
		ev->actor_kind == MW_ACTOR_session;
}

void
inv_add(struct inventory *inv, const struct mw_event *ev)
{
	struct inv_ep_key k;
	struct inv_edge_key ek;
	uint16_t n;
	bool clean;
	const char *path = mw_event_field(ev, MW_FIELD_path, &n);

	/* an absolute-form target (a proxy's): its path only */
	if (n > 7 && (strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0)) {
		const char *sl = memchr(path + 8, '/', n - 8u);
		n = sl ? (uint16_t)(n - (sl - path)) : 0;
		path = sl ? sl : path;
	}

	if (ev->ts_req_ns > inv->now_ns)
		inv->now_ns = ev->ts_req_ns;
	if (inv->first_ns == 0 || ev->ts_req_ns < inv->first_ns)
		inv->first_ns = ev->ts_req_ns;
	memset(&k, 0, sizeof(k));
	service_name(inv, ev, ev->dst_service, true, k.dst);
	k.method = ev->method;
	/* a call to a known endpoint counts on its nodes; only a call that
	 * could found one may grow the trie */
	struct inv_node *root = root_of(inv, k.dst, false);
	int32_t e = -1;
	if (root != NULL && walk(inv, root, path, n, false, k.tmpl, &clean) >= 0)
		e = rte_hash_lookup(inv->eps, &k);
	if (e >= 0) {
		walk(inv, root, path, n, true, k.tmpl, &clean);
	} else {
		bool ok = ev->status >= 100 && ev->status < 400;
		if (!ok || inv->n_ep >= inv->cap || (root = root_of(inv, k.dst, true)) == NULL) {
			inv->unmatched++;
			return;
		}
		memset(k.tmpl, 0, sizeof(k.tmpl));
		if (walk(inv, root, path, n, true, k.tmpl, &clean) < 0 || !clean) {
			inv->unmatched++;
			return;
		}
		if (rte_hash_lookup(inv->eps, &k) < 0) {
			/* the array index rides as the key's data */
			if (rte_hash_add_key_data(inv->eps, &k, (void *)(uintptr_t)inv->n_ep) < 0) {
				inv->full++;
				return;
			}
			inv->ep[inv->n_ep++] = (struct inv_ep){ .k = k, .first_ns = ev->ts_req_ns };
		}
	}
	void *d;
	if (rte_hash_lookup_data(inv->eps, &k, &d) < 0)
		return;
	memset(&ek, 0, sizeof(ek));
	ek.ep = (uint32_t)(uintptr_t)d;
	service_name(inv, ev, ev->src_service, false, ek.src);
	struct inv_edge *x;
	if (rte_hash_lookup_data(inv->edges, &ek, &d) >= 0) {
		x = &inv->edge[(uintptr_t)d];
	} else {
		if (inv->n_edge >= inv->cap ||
				rte_hash_add_key_data(inv->edges, &ek, (void *)(uintptr_t)inv->n_edge) < 0) {
			inv->full++;
			return;
		}
		x = &inv->edge[inv->n_edge++];
		*x = (struct inv_edge){ .k = ek, .first_ns = ev->ts_req_ns, .cport = ev->client_port,
			.sport = ev->server_port, .v6 = !!(ev->flags & MW_EV_IPV6),
			.service_pair = configured(inv, ek.src, true) &&
				configured(inv, k.dst, false) };
		memcpy(x->client, ev->client_addr, 16);
		memcpy(x->server, ev->server_addr, 16);
	}
	x->calls++;
	x->status[ev->status >= 100 && ev->status < 600 ? ev->status / 100 : 0]++;
	x->authed += authenticated(ev);
	x->traced += ev->trace_kind != MW_TRACE_none;
	if (ev->ts_req_ns > x->last_ns)
		x->last_ns = ev->ts_req_ns;
}

/* An endpoint's template as the trie decides now. */
static void
canonical(struct inventory *inv, const struct inv_ep_key *k, struct inv_ep_key *out)
{
	bool clean;

	*out = *k;
	memset(out->tmpl, 0, sizeof(out->tmpl));
	if (walk(inv, root_of(inv, k->dst, false), k->tmpl, strlen(k->tmpl), false, out->tmpl,
				&clean) < 0)
		*out = *k;
}

/* A finding not reported before: true once per key. */
static bool
first_time(struct inventory *inv, enum inv_finding f, const char *src,
		const struct inv_ep_key *ep)
{
	struct inv_seen_key s;

	memset(&s, 0, sizeof(s));
	s.finding = (uint8_t)f;
	snprintf(s.src, sizeof(s.src), "%s", src);
	s.ep = *ep;
	if (rte_hash_lookup(inv->seen, &s) >= 0)
		return false;
	rte_hash_add_key(inv->seen, &s);
	return true;
}

/* Whether the endpoint is known (the baseline, or learned); with add, it
 * becomes known. */
static bool
known(struct inventory *inv, const struct inv_ep_key *ep, bool add)
{
	struct inv_seen_key s;

	memset(&s, 0, sizeof(s));
	s.finding = INV_NEW_ENDPOINT;
	s.ep = *ep;
	if (add)
		rte_hash_add_key(inv->known, &s);
	return rte_hash_lookup(inv->known, &s) >= 0;
}

static void
report(struct inventory *inv, struct out_ctx *oc, enum inv_finding f, const struct inv_edge *x,
		const struct inv_ep_key *ep)
{
	struct out_finding of = {
		.finding = inv_finding_names[f], .signature = finding_sig[f].signature,
		.sid = finding_sig[f].sid, .with_unauthenticated = f == INV_UNAUTHENTICATED,
		.src = x->k.src, .dst = ep->dst,
		.method = ep->method, .tmpl = ep->tmpl, .ts_ns = x->first_ns, .calls = x->calls,
		.unauthenticated = x->calls - x->authed, .cport = x->cport, .sport = x->sport,
		.v6 = x->v6, .client = x->client, .server = x->server,
	};

	inv->findings[f]++;
	out_finding(oc, &of);
}

/* Edge j with the calls of every edge of its caller whose endpoint now
 * reads as c: literals that became {id} after their first calls were
 * learned as endpoints of their own, and a finding on the merged endpoint
 * counts them all. Once per finding, so the scan of every edge is cheap. */
static const struct inv_edge *
caller_total(struct inventory *inv, uint32_t j, const struct inv_ep_key *c,
		struct inv_edge *sum)
{
	struct inv_ep_key yc;

	*sum = inv->edge[j];
	for (uint32_t k = 0; k < inv->n_edge; k++) {
		const struct inv_edge *y = &inv->edge[k];
		if (k == j || strcmp(y->k.src, sum->k.src) != 0)
			continue;
		canonical(inv, &inv->ep[y->k.ep].k, &yc);
		if (memcmp(&yc, c, sizeof(yc)) == 0) {
			sum->calls += y->calls;
			sum->authed += y->authed;
		}
	}
	return sum;
}

void
inv_sweep(struct inventory *inv, struct out_ctx *oc, bool final)
{
	const uint64_t learn_end = inv->first_ns + (uint64_t)inv->learn_s * 1000000000ull;
	struct inv_ep_key c;
	struct inv_edge total;

	for (uint32_t i = 0; i < inv->n_ep; i++) {
		struct inv_ep *e = &inv->ep[i];
		if (e->decided || (!final && inv->now_ns - e->first_ns < GRACE_NS))
			continue;
		canonical(inv, &e->k, &c);
		if (!inv->has_baseline && e->first_ns < learn_end) {
			if (!final && inv->now_ns < learn_end)
				continue;	/* still learning: its template may yet change */
			known(inv, &c, true);
			e->decided = true;
			continue;
		}
		e->decided = true;
		if (known(inv, &c, false) || !first_time(inv, INV_NEW_ENDPOINT, "", &c))
			continue;
		/* the endpoint's first caller stands for it */
		for (uint32_t j = 0; j < inv->n_edge; j++)
			if (inv->edge[j].k.ep == i) {
				report(inv, oc, INV_NEW_ENDPOINT, &inv->edge[j], &c);
				break;
			}
	}
	for (uint32_t j = 0; j < inv->n_edge; j++) {
		struct inv_edge *x = &inv->edge[j];
		const struct inv_ep *e = &inv->ep[x->k.ep];
		if (x->reported || !x->service_pair || x->authed == x->calls ||
				(!final && inv->now_ns - e->first_ns < GRACE_NS))
			continue;
		canonical(inv, &e->k, &c);
		x->reported = true;
		if (first_time(inv, INV_UNAUTHENTICATED, x->k.src, &c))
			report(inv, oc, INV_UNAUTHENTICATED, caller_total(inv, j, &c, &total), &c);
	}
}

/* ---- the merged view: endpoints by their template now ---- */

struct view_ep {
	struct inv_ep_key k;		/* canonical */
	uint32_t ep;			/* an endpoint of the group */
	uint32_t group;
};

struct view {
	struct view_ep *ep;		/* sorted by key */
	uint32_t *group_of;		/* per endpoint index */
	uint32_t *edges;		/* edge indexes, sorted by (group, caller) */
	uint32_t n_groups;
};

static int
cmp_key(const struct inv_ep_key *a, const struct inv_ep_key *b)
{
	int c = strcmp(a->dst, b->dst);

	if (c == 0)
		c = strcmp(a->tmpl, b->tmpl);
	return c ? c : (int)a->method - (int)b->method;
}

static int
cmp_view_ep(const void *a, const void *b)
{
	return cmp_key(&((const struct view_ep *)a)->k, &((const struct view_ep *)b)->k);
}

static const struct view *sort_view;
static const struct inventory *sort_inv;

static int
cmp_edge(const void *a, const void *b)
{
	const struct inv_edge *x = &sort_inv->edge[*(const uint32_t *)a];
	const struct inv_edge *y = &sort_inv->edge[*(const uint32_t *)b];
	uint32_t gx = sort_view->group_of[x->k.ep], gy = sort_view->group_of[y->k.ep];

	if (gx != gy)
		return gx < gy ? -1 : 1;
	return strcmp(x->k.src, y->k.src);
}

static int
view_build(struct inventory *inv, struct view *v)
{
	memset(v, 0, sizeof(*v));
	v->ep = calloc(inv->n_ep + 1, sizeof(*v->ep));
	v->group_of = calloc(inv->n_ep + 1, sizeof(*v->group_of));
	v->edges = calloc(inv->n_edge + 1, sizeof(*v->edges));
	if (v->ep == NULL || v->group_of == NULL || v->edges == NULL)
		return -1;
	for (uint32_t i = 0; i < inv->n_ep; i++) {
		canonical(inv, &inv->ep[i].k, &v->ep[i].k);
		v->ep[i].ep = i;
	}
	qsort(v->ep, inv->n_ep, sizeof(*v->ep), cmp_view_ep);
	for (uint32_t i = 0; i < inv->n_ep; i++) {
		if (i > 0 && cmp_key(&v->ep[i - 1].k, &v->ep[i].k) != 0)
			v->n_groups++;
		v->ep[i].group = v->n_groups;
		v->group_of[v->ep[i].ep] = v->n_groups;
	}
	v->n_groups += inv->n_ep > 0;
	for (uint32_t j = 0; j < inv->n_edge; j++)
		v->edges[j] = j;
	sort_view = v;
	sort_inv = inv;
	qsort(v->edges, inv->n_edge, sizeof(*v->edges), cmp_edge);
	return 0;
}

static void
view_free(struct view *v)
{
	free(v->ep);
	free(v->group_of);
	free(v->edges);
}

/* Sums of one group's edges, and of its callers one by one. */
struct tally {
	uint64_t calls, status[6], authed, traced, first_ns, last_ns;
};

static void
tally_sum(struct tally *t, const struct tally *x)
{
	t->calls += x->calls;
	for (int s = 0; s < 6; s++)
		t->status[s] += x->status[s];
	t->authed += x->authed;
	t->traced += x->traced;
	if (t->first_ns == 0 || x->first_ns < t->first_ns)
		t->first_ns = x->first_ns;
	if (x->last_ns > t->last_ns)
		t->last_ns = x->last_ns;
}

static void
tally_add(struct tally *t, const struct inv_edge *x)
{
	struct tally e = { .calls = x->calls, .authed = x->authed, .traced = x->traced,
		.first_ns = x->first_ns, .last_ns = x->last_ns };

	memcpy(e.status, x->status, sizeof(e.status));
	tally_sum(t, &e);
}

static json_object *
tally_json(const struct tally *t, json_object *o)
{
	static const char *const st[6] = { "none", "1xx", "2xx", "3xx", "4xx", "5xx" };
	json_object *s = json_object_new_object();
	double span = t->last_ns > t->first_ns ? (double)(t->last_ns - t->first_ns) / 1e9 : 0;

	json_object_object_add(o, "calls", json_object_new_int64((int64_t)t->calls));
	json_object_object_add(o, "rate_per_s", json_object_new_double(
			span > 0 ? (double)t->calls / span : 0));
	for (int k = 0; k < 6; k++)
		if (t->status[k])
			json_object_object_add(s, st[k], json_object_new_int64((int64_t)t->status[k]));
	json_object_object_add(o, "status", s);
	json_object_object_add(o, "authenticated", json_object_new_int64((int64_t)t->authed));
	json_object_object_add(o, "traced", json_object_new_int64((int64_t)t->traced));
	json_object_object_add(o, "first_seen", json_object_new_int64((int64_t)t->first_ns));
	json_object_object_add(o, "last_seen", json_object_new_int64((int64_t)t->last_ns));
	return o;
}

/* Walks the view group by group: fn(group's key, its edges [from, to)). */
static void
view_groups(struct inventory *inv, const struct view *v,
		void (*fn)(struct inventory *, const struct view *, const struct inv_ep_key *,
			uint32_t, uint32_t, void *), void *arg)
{
	uint32_t j = 0, i = 0;

	for (uint32_t g = 0; g < v->n_groups; g++) {
		while (i < inv->n_ep && v->ep[i].group < g)
			i++;
		uint32_t from = j;
		while (j < inv->n_edge && v->group_of[inv->edge[v->edges[j]].k.ep] == g)
			j++;
		fn(inv, v, &v->ep[i].k, from, j, arg);
	}
}

static void
group_json(struct inventory *inv, const struct view *v, const struct inv_ep_key *k,
		uint32_t from, uint32_t to, void *arg)
{
	json_object *o = json_object_new_object(), *callers = json_object_new_array();
	struct tally all = { 0 };

	json_object_object_add(o, "service", json_object_new_string(k->dst));
	json_object_object_add(o, "method", json_object_new_string(
			mw_method_names[k->method < MW_METHOD_MAX ? k->method : 0]));
	json_object_object_add(o, "template", json_object_new_string(k->tmpl));
	for (uint32_t j = from; j < to;) {
		struct tally t = { 0 };
		const char *src = inv->edge[v->edges[j]].k.src;
		for (; j < to && strcmp(inv->edge[v->edges[j]].k.src, src) == 0; j++)
			tally_add(&t, &inv->edge[v->edges[j]]);
		tally_sum(&all, &t);
		json_object *c = json_object_new_object();
		json_object_object_add(c, "service", json_object_new_string(src));
		json_object_array_add(callers, tally_json(&t, c));
	}
	tally_json(&all, o);
	json_object_object_add(o, "callers", callers);
	json_object_array_add(arg, o);
}

void
inv_counts(struct inventory *inv, struct inv_counts *c)
{
	struct view v;

	memset(c, 0, sizeof(*c));
	for (struct inv_node *r = inv->roots; r; r = r->next)
		c->services++;
	if (view_build(inv, &v) == 0)
		c->endpoints = v.n_groups;
	view_free(&v);
	c->edges = inv->n_edge;
	c->unmatched = inv->unmatched;
	memcpy(c->findings, inv->findings, sizeof(c->findings));
}

void
inv_json(struct inventory *inv, FILE *f)
{
	json_object *o = json_object_new_object(), *eps = json_object_new_array();
	json_object *svc = json_object_new_array(), *fi = json_object_new_object();
	struct view v;
	struct inv_counts c;

	inv_counts(inv, &c);
	if (view_build(inv, &v) == 0)
		view_groups(inv, &v, group_json, eps);
	view_free(&v);
	/* every service that called or was called */
	for (struct inv_node *r = inv->roots; r; r = r->next)
		json_object_array_add(svc, json_object_new_string(r->seg));
	for (uint32_t j = 0; j < inv->n_edge; j++) {
		bool dup = root_of(inv, inv->edge[j].k.src, false) != NULL;
		for (uint32_t k = 0; k < j && !dup; k++)
			dup = strcmp(inv->edge[k].k.src, inv->edge[j].k.src) == 0;
		if (!dup)
			json_object_array_add(svc, json_object_new_string(inv->edge[j].k.src));
	}
	json_object_object_add(o, "first_seen", json_object_new_int64((int64_t)inv->first_ns));
	json_object_object_add(o, "last_seen", json_object_new_int64((int64_t)inv->now_ns));
	json_object_object_add(o, "services", svc);
	json_object_object_add(o, "endpoints", eps);
	json_object_object_add(o, "unmatched_calls", json_object_new_int64((int64_t)c.unmatched));
	json_object_object_add(o, "table_full", json_object_new_int64((int64_t)inv->full));
	for (int k = 0; k < INV_FINDING_MAX; k++)
		json_object_object_add(fi, inv_finding_names[k],
				json_object_new_int64((int64_t)c.findings[k]));
	json_object_object_add(o, "findings", fi);
	fprintf(f, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
				JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* DOT: one node per service, one arrow per caller and callee with its
 * calls; dashed red where any call went without authentication. */
struct pair {
	const char *src, *dst;
	uint64_t calls, unauth;
};

static int
cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	int c = strcmp(x->src, y->src);

	return c ? c : strcmp(x->dst, y->dst);
}

void
inv_dot(struct inventory *inv, FILE *f)
{
	struct pair *p = calloc(inv->n_edge + 1, sizeof(*p));

	fprintf(f, "digraph meshwatch {\n\trankdir=LR;\n\tnode [shape=box];\n");
	for (struct inv_node *r = inv->roots; r; r = r->next)
		fprintf(f, "\t\"%s\";\n", r->seg);
	if (p == NULL) {
		fprintf(f, "}\n");
		return;
	}
	for (uint32_t j = 0; j < inv->n_edge; j++)
		p[j] = (struct pair){ inv->edge[j].k.src, inv->ep[inv->edge[j].k.ep].k.dst,
			inv->edge[j].calls, inv->edge[j].calls - inv->edge[j].authed };
	qsort(p, inv->n_edge, sizeof(*p), cmp_pair);
	for (uint32_t j = 0; j < inv->n_edge;) {
		struct pair t = p[j];
		for (j++; j < inv->n_edge && cmp_pair(&p[j], &t) == 0; j++) {
			t.calls += p[j].calls;
			t.unauth += p[j].unauth;
		}
		fprintf(f, "\t\"%s\" -> \"%s\" [label=\"%" PRIu64 "\"%s];\n", t.src, t.dst, t.calls,
				t.unauth ? ", style=dashed, color=red" : "");
	}
	fprintf(f, "}\n");
	free(p);
}

struct each_arg {
	void (*fn)(void *, const char *, const char *, const char *, uint64_t);
	void *arg;
};

static void
group_each(struct inventory *inv, const struct view *v, const struct inv_ep_key *k,
		uint32_t from, uint32_t to, void *arg)
{
	const struct each_arg *a = arg;
	uint64_t calls = 0;

	for (uint32_t j = from; j < to; j++)
		calls += inv->edge[v->edges[j]].calls;
	a->fn(a->arg, k->dst, mw_method_names[k->method < MW_METHOD_MAX ? k->method : 0],
			k->tmpl, calls);
}

void
inv_each(struct inventory *inv, void (*fn)(void *arg, const char *service, const char *method,
			const char *tmpl, uint64_t calls), void *arg)
{
	struct view v;
	struct each_arg a = { fn, arg };

	if (view_build(inv, &v) == 0)
		view_groups(inv, &v, group_each, &a);
	view_free(&v);
}
