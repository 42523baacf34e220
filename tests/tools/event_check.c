/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * event-check: joins meshwatch's event log to meshwatch-gen's labels and
 * says whether the appliance saw exactly what was sent.
 *
 *   event-check LABELS.requests.jsonl EVENTS.jsonl
 *
 * Join: trace id + span id where the request carried a span id (W3C, B3);
 * for x-request-id traffic (trace id only) trace id + connection + method +
 * path, in order. Every labeled request must have exactly one event, and
 * every event one label, with the same method, path, connection, status,
 * request and response body sizes. Actors: one event actor must never stand
 * for two label actors, and a JWT actor must be one label user and vice
 * versa. Requests the labels mark with a capture gap may be missing or
 * partial (the bytes are not in the capture); nothing else is excused.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rec {
	char key[200];
	char method[12];
	char path[512];
	char conn[128];
	char actor[80];
	char actor_kind[16];
	long status, req, resp;
	int gap, used, no_response, xff;
	long line;
	/* labels: what it was; events: what the pre-filter said */
	char cls[24], step[12], technique[40], encoding[16], location[48];
	unsigned int cats;
};

static const char *const categories[] = {
	"sqli", "xss", "cmdi", "traversal", "lfi", "rfi", "ssrf", "ssti", "jndi", "xxe",
	"nosqli", "ldapi", "crlf", "deserialization", "smuggling", "massassign", "recon", NULL
};

static unsigned int
cat_bit(const char *name)
{
	for (int i = 0; categories[i]; i++)
		if (strcmp(name, categories[i]) == 0)
			return 1u << i;
	return 0;
}

/* Which pre-filter categories count as right for a label class. */
static unsigned int
accepted(const char *cls)
{
	if (strcmp(cls, "traversal") == 0)	/* file inclusion, local or remote */
		return cat_bit("traversal") | cat_bit("lfi") | cat_bit("rfi");
	if (strcmp(cls, "ssrf") == 0)
		return cat_bit("ssrf") | cat_bit("rfi");
	return cat_bit(cls);
}

struct set {
	struct rec *r;
	size_t n, cap;
};

static const char *
str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) ?
		json_object_get_string(v) : "";
}

static long
num(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? (long)json_object_get_int64(v) : -1;
}

static int
flag(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) && json_object_get_boolean(v);
}

static void
path_of(const char *uri, char *out, size_t cap)
{
	snprintf(out, cap, "%.*s", (int)strcspn(uri, "?#"), uri);
}

static int
has_flag(json_object *o, const char *name)
{
	json_object *fl;
	if (!json_object_object_get_ex(o, "flags", &fl))
		return 0;
	for (size_t i = 0; i < json_object_array_length(fl); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(fl, i)), name) == 0)
			return 1;
	return 0;
}

static void
label_rec(json_object *o, struct rec *r)
{
	const char *ids = str(o, "ids");

	if (strcmp(ids, "xrid") == 0)
		snprintf(r->key, sizeof(r->key), "%s|%s|%s|%.*s", str(o, "trace_id"),
				str(o, "conn"), str(o, "method"),
				(int)strcspn(str(o, "uri"), "?#"), str(o, "uri"));
	else
		snprintf(r->key, sizeof(r->key), "%s|%s", str(o, "trace_id"), str(o, "span_id"));
	snprintf(r->method, sizeof(r->method), "%s", str(o, "method"));
	path_of(str(o, "uri"), r->path, sizeof(r->path));
	snprintf(r->conn, sizeof(r->conn), "%s", str(o, "conn"));
	snprintf(r->actor, sizeof(r->actor), "%s", str(o, "actor"));
	r->status = num(o, "status");
	r->req = num(o, "req_bytes");
	r->resp = num(o, "resp_bytes");
	r->gap = flag(o, "gap");
	snprintf(r->cls, sizeof(r->cls), "%s", str(o, "class"));
	snprintf(r->step, sizeof(r->step), "%s", str(o, "step"));
	snprintf(r->technique, sizeof(r->technique), "%s", str(o, "technique"));
	snprintf(r->encoding, sizeof(r->encoding), "%s", str(o, "encoding"));
	snprintf(r->location, sizeof(r->location), "%s", str(o, "location"));
}

static void
event_rec(json_object *o, struct rec *r)
{
	json_object *fl = NULL;
	char conn[128];

	json_object_object_get_ex(o, "flow", &fl);
	const char *src = fl ? str(fl, "src") : "", *dst = fl ? str(fl, "dst") : "";
	int v6 = strchr(src, ':') != NULL;
	snprintf(conn, sizeof(conn), v6 ? "[%s]:%ld-[%s]:%ld" : "%s:%ld-%s:%ld", src,
			fl ? num(fl, "sport") : 0, dst, fl ? num(fl, "dport") : 0);
	snprintf(r->conn, sizeof(r->conn), "%s", conn);
	if (strcmp(str(o, "trace_kind"), "xrid") == 0)
		snprintf(r->key, sizeof(r->key), "%s|%s|%s|%s", str(o, "trace_id"), conn,
				str(o, "method"), str(o, "path"));
	else
		snprintf(r->key, sizeof(r->key), "%s|%s", str(o, "trace_id"), str(o, "span_id"));
	snprintf(r->method, sizeof(r->method), "%s", str(o, "method"));
	snprintf(r->path, sizeof(r->path), "%s", str(o, "path"));
	snprintf(r->actor, sizeof(r->actor), "%s", str(o, "actor"));
	snprintf(r->actor_kind, sizeof(r->actor_kind), "%s", str(o, "actor_kind"));
	r->status = num(o, "status");
	r->req = num(o, "req_bytes");
	r->resp = num(o, "resp_bytes");
	r->gap = has_flag(o, "gap");
	r->no_response = has_flag(o, "no_response");
	r->xff = str(o, "xff")[0] != '\0';
	json_object *pf, *cats;
	if (json_object_object_get_ex(o, "prefilter", &pf) &&
			json_object_object_get_ex(pf, "categories", &cats))
		for (size_t i = 0; i < json_object_array_length(cats); i++)
			r->cats |= cat_bit(json_object_get_string(json_object_array_get_idx(cats, i)));
}

static int
load(const char *path, struct set *s, void (*fill)(json_object *, struct rec *))
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	long n = 0;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line);
		n++;
		if (o == NULL) {
			fprintf(stderr, "%s:%ld: not JSON\n", path, n);
			free(line);
			fclose(f);
			return -1;
		}
		if (s->n == s->cap) {
			s->cap = s->cap ? 2 * s->cap : 4096;
			s->r = realloc(s->r, s->cap * sizeof(*s->r));
		}
		memset(&s->r[s->n], 0, sizeof(s->r[0]));
		fill(o, &s->r[s->n]);
		s->r[s->n++].line = n;
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return 0;
}

static int
by_key(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

/* actor mapping: event actor -> label actor, label user -> event actor */
struct pair {
	char a[80], b[80];
};

static int
by_a(const void *x, const void *y)
{
	const struct pair *p = x, *q = y;
	int c = strcmp(p->a, q->a);
	return c ? c : strcmp(p->b, q->b);
}

static size_t
conflicts(struct pair *p, size_t n, const char *what)
{
	size_t bad = 0;

	qsort(p, n, sizeof(*p), by_a);
	for (size_t i = 1; i < n; i++)
		if (strcmp(p[i].a, p[i - 1].a) == 0 && strcmp(p[i].b, p[i - 1].b) != 0) {
			if (bad++ < 5)
				fprintf(stderr, "  actor: %s %s stands for both %s and %s\n", what,
						p[i].a, p[i - 1].b, p[i].b);
		}
	return bad;
}

/* ---- pre-filter recall and flag rate ---- */

static const char *const payload_classes[] = {
	"sqli", "xss", "cmdi", "traversal", "ssrf", "jndi", "ssti", "nosqli", NULL
};
static long pf_attacks[8], pf_caught[8], pf_wrongcat[8], pf_benign, pf_benign_flagged;
static char pf_missed[8][6][200];
static int pf_nmissed[8];

static void
pf_account(const struct rec *l, const struct rec *e)
{
	int k;

	if (strcmp(l->cls, "benign") == 0) {
		pf_benign++;
		pf_benign_flagged += e->cats != 0;
		return;
	}
	if (strcmp(l->step, "malicious") != 0)
		return;
	for (k = 0; payload_classes[k]; k++)
		if (strcmp(l->cls, payload_classes[k]) == 0)
			break;
	if (payload_classes[k] == NULL)
		return;
	pf_attacks[k]++;
	if (e->cats & accepted(l->cls))
		pf_caught[k]++;
	else {
		pf_wrongcat[k] += e->cats != 0;
		if (pf_nmissed[k] < 6)
			snprintf(pf_missed[k][pf_nmissed[k]++], 200, "%s/%s/%s %.80s", l->technique,
					l->encoding, l->location, l->path);
	}
}

static int
pf_report(double min_recall, double max_flag)
{
	long att = 0, caught = 0;
	int bad = 0;

	printf("prefilter recall by class (flagged with the right category):\n");
	for (int k = 0; payload_classes[k]; k++) {
		att += pf_attacks[k];
		caught += pf_caught[k];
		if (pf_attacks[k] == 0)
			continue;
		printf("  %-10s %6ld/%-6ld %6.2f%%  (%ld flagged with another category)\n",
				payload_classes[k], pf_caught[k], pf_attacks[k],
				100.0 * (double)pf_caught[k] / (double)pf_attacks[k], pf_wrongcat[k]);
		for (int m = 0; m < pf_nmissed[k]; m++)
			printf("      missed: %s\n", pf_missed[k][m]);
	}
	double recall = att ? (double)caught / (double)att : 1.0;
	double flag = pf_benign ? (double)pf_benign_flagged / (double)pf_benign : 0.0;
	printf("prefilter: recall %.2f%% of %ld payload attacks; flag rate %.2f%% of %ld benign "
			"requests\n", 100 * recall, att, 100 * flag, pf_benign);
	if (min_recall >= 0 && recall < min_recall) {
		printf("FAIL: recall below %.2f%%\n", 100 * min_recall);
		bad = 1;
	}
	if (max_flag >= 0 && flag > max_flag) {
		printf("FAIL: benign flag rate above %.2f%%\n", 100 * max_flag);
		bad = 1;
	}
	return bad;
}

int
main(int argc, char **argv)
{
	struct set L = { 0 }, E = { 0 };
	size_t missing = 0, missing_gap = 0, extra = 0, extra_gap = 0, wrong = 0, wrong_gap = 0;
	size_t matched = 0, anonymous_hops = 0, via_trace = 0;

	double min_recall = -1, max_flag = -1;
	if (argc == 6 && strcmp(argv[3], "--prefilter") == 0) {
		min_recall = atof(argv[4]);
		max_flag = atof(argv[5]);
		argc = 3;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: event-check LABELS.requests.jsonl EVENTS.jsonl "
				"[--prefilter MIN_RECALL MAX_FLAG_RATE]\n");
		return 2;
	}
	if (load(argv[1], &L, label_rec) < 0 || load(argv[2], &E, event_rec) < 0)
		return 2;
	qsort(L.r, L.n, sizeof(*L.r), by_key);
	qsort(E.r, E.n, sizeof(*E.r), by_key);

	struct pair *ea = calloc(L.n + 1, sizeof(*ea)), *ua = calloc(L.n + 1, sizeof(*ua));
	size_t nea = 0, nua = 0;
	size_t i = 0, j = 0;
	while (i < L.n || j < E.n) {
		int c = i == L.n ? 1 : j == E.n ? -1 : strcmp(L.r[i].key, E.r[j].key);
		if (c < 0) {
			if (L.r[i].gap)
				missing_gap++;
			else if (missing++ < 10)
				fprintf(stderr, "  missing: label line %ld %s %s on %s\n", L.r[i].line,
						L.r[i].method, L.r[i].path, L.r[i].conn);
			i++;
			continue;
		}
		if (c > 0) {
			if (E.r[j].gap)
				extra_gap++;
			else if (extra++ < 10)
				fprintf(stderr, "  extra: event line %ld %s %s on %s\n", E.r[j].line,
						E.r[j].method, E.r[j].path, E.r[j].conn);
			j++;
			continue;
		}
		struct rec *l = &L.r[i++], *e = &E.r[j++];
		matched++;
		pf_account(l, e);
		int ok = !strcmp(l->method, e->method) && !strcmp(l->path, e->path) &&
			!strcmp(l->conn, e->conn) && l->status == e->status && l->req == e->req &&
			l->resp == e->resp;
		if (!ok) {
			if (l->gap || e->gap) {
				wrong_gap++;
			} else if (wrong++ < 10) {
				fprintf(stderr, "  differs: label line %ld vs event line %ld:\n"
						"    label %s %s %s status %ld req %ld resp %ld\n"
						"    event %s %s %s status %ld req %ld resp %ld%s\n",
						l->line, e->line, l->method, l->path, l->conn, l->status,
						l->req, l->resp, e->method, e->path, e->conn, e->status,
						e->req, e->resp, e->no_response ? " (no response)" : "");
			}
		}
		/* Actors: only where the request itself names someone. An internal
		 * hop without token or X-Forwarded-For belongs to its trace's actor,
		 * which the labels know and a single request cannot show. */
		int jwt = strcmp(e->actor_kind, "jwt") == 0;
		int named = jwt || strcmp(e->actor_kind, "session") == 0 ||
			strcmp(e->actor_kind, "apikey") == 0 || e->xff;
		if (!named) {
			anonymous_hops++;
			continue;
		}
		/* A session cookie or API key seen from two clients is one
		 * credential used twice (stolen, shared): the observer is right to
		 * call it one actor. Tokens and addresses must never merge. */
		if (jwt || (strcmp(e->actor_kind, "addr") == 0 && e->xff)) {
			snprintf(ea[nea].a, sizeof(ea[nea].a), "%s", e->actor);
			snprintf(ea[nea++].b, sizeof(ea[0].b), "%s", l->actor);
		}
		if (jwt && l->actor[0] != 'u') {
			if (wrong++ < 10)
				fprintf(stderr, "  actor: event line %ld has a JWT actor, label says %s\n",
						e->line, l->actor);
		}
		if (jwt) {
			snprintf(ua[nua].a, sizeof(ua[nua].a), "%s", l->actor);
			snprintf(ua[nua++].b, sizeof(ua[0].b), "%s", e->actor);
		} else if (l->actor[0] == 'u') {
			via_trace++;	/* the user's token is on another hop of the trace */
		}
	}
	size_t bad_actor = conflicts(ea, nea, "event actor") + conflicts(ua, nua, "label user");

	printf("labels %zu, events %zu, matched %zu; missing %zu (+%zu behind capture gaps), "
			"extra %zu (+%zu gap-flagged), differing %zu (+%zu at gaps), actor conflicts %zu\n",
			L.n, E.n, matched, missing, missing_gap, extra, extra_gap, wrong, wrong_gap,
			bad_actor);
	printf("actors: %zu calls name nobody (internal hops: trace-level), %zu name a client "
			"whose token travels on another hop\n", anonymous_hops, via_trace);
	int pf_bad = min_recall >= 0 ? pf_report(min_recall, max_flag) : 0;
	free(ea);
	free(ua);
	free(L.r);
	free(E.r);
	return missing || extra || wrong || bad_actor || pf_bad ? 1 : 0;
}
