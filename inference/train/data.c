/* SPDX-License-Identifier: BSD-3-Clause */
/* Event log + labels -> events, truths and sequences (see data.h). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "onednn.h"
#include "prefilter.h"
#include "schema.h"

const char *const tr_payload_names[TR_PAYLOAD_CLASSES] = {
	"benign", "sqli", "xss", "cmdi", "traversal", "ssrf", "jndi", "ssti", "nosqli",
};
const char *const tr_seq_names[TR_SEQ_CLASSES] = {
#define X(e, n, p, r) n,
	GEN_CLASSES(X)
#undef X
};

int
tr_class_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

/* ---- JSON helpers ---- */

static json_object *
get(json_object *o, const char *k)
{
	json_object *v;
	return o != NULL && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static const char *
str(json_object *o, const char *k)
{
	json_object *v = get(o, k);
	return v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

static int64_t
num(json_object *o, const char *k)
{
	json_object *v = get(o, k);
	return v != NULL ? json_object_get_int64(v) : 0;
}

static int
name_index(const char *const *names, int n, const char *s)
{
	int i = tr_class_index(names, n, s);
	return i < 0 ? 0 : i;
}

static int
unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

/* base64 (the log's NAME_b64 for text that is not UTF-8) into out; its
 * length. */
static size_t
unbase64(const char *s, char *out, size_t cap)
{
	static const char digits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		"0123456789+/";
	uint32_t acc = 0;
	size_t k = 0;
	int bits = 0;

	for (; *s && *s != '='; s++) {
		const char *p = strchr(digits, *s);
		if (p == NULL)
			continue;
		acc = acc << 6 | (uint32_t)(p - digits);
		if ((bits += 6) >= 8 && k < cap) {
			bits -= 8;
			out[k++] = (char)(acc >> bits);
		}
	}
	return k;
}

/* Text key KEY or KEY_b64 of o into out; its length. */
static size_t
text(json_object *o, const char *key, char *out, size_t cap)
{
	char b[64];
	json_object *v = get(o, key);

	if (v != NULL && json_object_is_type(v, json_type_string)) {
		size_t n = (size_t)json_object_get_string_len(v);
		n = n < cap ? n : cap;
		memcpy(out, json_object_get_string(v), n);
		return n;
	}
	snprintf(b, sizeof(b), "%s_b64", key);
	return (v = get(o, b)) != NULL ? unbase64(json_object_get_string(v), out, cap) : 0;
}

/* ---- an event back from its JSON line ---- */

struct build {
	struct mw_event *ev;
	size_t cap;
};

static void
put_field(struct mw_event *ev, enum mw_field f, const char *s, size_t n)
{
	size_t room = MW_EVENT_DATA_SIZE - ev->data_len;

	n = n < room ? n : room;
	ev->field[f].off = ev->data_len;
	ev->field[f].len = (uint16_t)n;
	memcpy(ev->data + ev->data_len, s, n);
	ev->data_len = (uint16_t)(ev->data_len + n);
}

/*
 * The normalized text back from prefilter.text (records name=value split by
 * 0x1e) and its matches' byte ranges from (record, from, to).
 */
static void
prefilter_back(struct mw_event *ev, json_object *pf)
{
	json_object *recs = get(pf, "text"), *ms = get(pf, "matches"), *cats = get(pf, "categories");
	static char t[MW_EVENT_DATA_SIZE];
	uint32_t start[256];
	size_t n = 0, nr = recs ? json_object_array_length(recs) : 0;

	for (size_t i = 0; i < nr && i < 256; i++) {
		json_object *r = json_object_array_get_idx(recs, i);
		if (i > 0 && n < sizeof(t))
			t[n++] = '\x1e';
		size_t k = text(r, "name", t + n, sizeof(t) - n);
		n += k;
		if (k > 0 && n < sizeof(t))
			t[n++] = '=';
		start[i] = (uint32_t)n;
		n += text(r, "value", t + n, sizeof(t) - n);
	}
	put_field(ev, MW_FIELD_norm, t, n);
	for (size_t i = 0; cats && i < json_object_array_length(cats); i++) {
		int c = tr_class_index(pf_category_names, PF_CAT_MAX,
				json_object_get_string(json_object_array_get_idx(cats, i)));
		if (c >= 0)
			ev->pf_categories |= 1u << c;
	}
	for (size_t i = 0; ms && i < json_object_array_length(ms) &&
			ev->pf_nmatch < MW_EVENT_MAX_MATCHES; i++) {
		json_object *m = json_object_array_get_idx(ms, i);
		int64_t r = get(m, "record") ? num(m, "record") : -1;
		if (r < 0 || (size_t)r >= nr || r >= 256)
			continue;
		struct mw_match *x = &ev->pf[ev->pf_nmatch++];
		x->field = (uint8_t)name_index(pf_class_names, PF_CLASS_MAX, str(m, "field"));
		x->category = (uint8_t)name_index(pf_category_names, PF_CAT_MAX, str(m, "category"));
		x->from = (uint16_t)(start[r] + (uint32_t)num(m, "from"));
		x->to = (uint16_t)(start[r] + (uint32_t)num(m, "to"));
		x->rule = 0;
	}
}

static struct mw_event *
event_back(json_object *o)
{
	struct mw_event *ev = calloc(1, MW_EVENT_SIZE);
	json_object *v, *fl = get(o, "flow");
	char buf[2048];

	if (ev == NULL)
		return NULL;
	ev->ts_req_ns = (uint64_t)num(o, "ts");
	ev->ts_resp_ns = (uint64_t)num(o, "ts_end");
	ev->client_port = (uint16_t)num(fl, "sport");
	if (inet_pton(AF_INET6, str(fl, "src"), ev->client_addr) != 1)
		inet_pton(AF_INET, str(fl, "src"), ev->client_addr);
	ev->server_port = (uint16_t)num(fl, "dport");
	ev->method = (uint8_t)name_index(mw_method_names, MW_METHOD_MAX, str(o, "method"));
	ev->status = (uint16_t)num(o, "status");
	ev->template_id = (uint32_t)num(o, "template_id");
	ev->req_body_bytes = (uint32_t)num(o, "req_bytes");
	ev->resp_body_bytes = (uint32_t)num(o, "resp_bytes");
	ev->req_hdr_bytes = (uint32_t)num(o, "req_hdr_bytes");
	ev->resp_hdr_bytes = (uint32_t)num(o, "resp_hdr_bytes");
	ev->trace_kind = (uint8_t)name_index(mw_trace_kind_names, MW_TRACE_MAX, str(o, "trace_kind"));
	if (ev->trace_kind != MW_TRACE_none && unhex(str(o, "trace_id"), ev->trace_id, 16) < 0)
		ev->trace_kind = MW_TRACE_none;
	ev->has_span = unhex(str(o, "span_id"), ev->span_id, 8) == 0;
	ev->has_parent = unhex(str(o, "parent_span_id"), ev->parent_span_id, 8) == 0;
	ev->actor_kind = (uint8_t)name_index(mw_actor_kind_names, MW_ACTOR_MAX, str(o, "actor_kind"));
	ev->actor = strtoull(str(o, "actor"), NULL, 16);
	if ((v = get(o, "account")) != NULL)
		ev->account = strtoull(json_object_get_string(v), NULL, 16);
	if ((v = get(o, "password_tag")) != NULL)
		ev->password_tag = (uint32_t)strtoul(json_object_get_string(v), NULL, 16);
	if ((v = get(o, "jwt")) != NULL) {
		ev->jwt_alg = (uint8_t)name_index(mw_jwt_alg_names, MW_JWT_ALG_MAX, str(v, "alg"));
		ev->jwt_state = (uint8_t)name_index(mw_jwt_state_names, MW_JWT_STATE_MAX,
				str(v, "state"));
		ev->jwt_lifetime_s = (uint32_t)num(v, "lifetime_s");
	}
	if ((v = get(o, "object_ids")) != NULL)
		for (size_t i = 0; i < json_object_array_length(v) && i < MW_EVENT_MAX_IDS; i++)
			ev->object_ids[ev->n_ids++] = strtoull(json_object_get_string(
					json_object_array_get_idx(v, i)), NULL, 16);
	if ((v = get(o, "self_ids")) != NULL)
		ev->self_ids = (uint8_t)json_object_get_int(v);
	if ((v = get(o, "created")) != NULL)
		ev->created = strtoull(json_object_get_string(v), NULL, 16);
	if ((v = get(o, "flags")) != NULL)
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			int f = tr_class_index(mw_flag_names, MW_EV_NFLAGS,
					json_object_get_string(json_object_array_get_idx(v, i)));
			if (f >= 0 && !((1u << f) & (MW_EV_PAYLOAD_SCORED | MW_EV_PAYLOAD_ALERT |
					MW_EV_TRACE_SCORED | MW_EV_TRACE_ALERT)))
				ev->flags |= 1u << f;	/* not the verdicts of a past run */
		}
	static const enum mw_field fs[] = { MW_FIELD_path, MW_FIELD_query, MW_FIELD_template,
		MW_FIELD_host, MW_FIELD_user_agent, MW_FIELD_content_type, MW_FIELD_req_body,
		MW_FIELD_xff };
	for (unsigned int i = 0; i < sizeof(fs) / sizeof(fs[0]); i++) {
		size_t n = text(o, mw_field_names[fs[i]], buf, sizeof(buf));
		put_field(ev, fs[i], buf, n);
	}
	if ((v = get(o, "prefilter")) != NULL)
		prefilter_back(ev, v);
	else
		put_field(ev, MW_FIELD_norm, "", 0);
	return ev;
}

/* ---- the join ---- */

struct key {
	char k[160];
	uint32_t i;		/* event or label index */
	uint32_t line;
};

static int
by_key(const void *a, const void *b)
{
	const struct key *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c ? c : (x->line > y->line) - (x->line < y->line);
}

static void
event_key(json_object *o, struct key *k)
{
	json_object *fl = get(o, "flow");
	const char *src = str(fl, "src"), *dst = str(fl, "dst");
	int v6 = strchr(src, ':') != NULL;
	char conn[128];

	snprintf(conn, sizeof(conn), v6 ? "[%s]:%ld-[%s]:%ld" : "%s:%ld-%s:%ld", src,
			(long)num(fl, "sport"), dst, (long)num(fl, "dport"));
	if (strcmp(str(o, "trace_kind"), "xrid") == 0)
		snprintf(k->k, sizeof(k->k), "%s|%s|%s|%.60s", str(o, "trace_id"), conn,
				str(o, "method"), str(o, "path"));
	else
		snprintf(k->k, sizeof(k->k), "%s|%s", str(o, "trace_id"), str(o, "span_id"));
}

static void
label_key(json_object *o, struct key *k)
{
	const char *uri = str(o, "uri");
	int plen = (int)strcspn(uri, "?#");

	if (strcmp(str(o, "ids"), "xrid") == 0)
		snprintf(k->k, sizeof(k->k), "%s|%s|%s|%.*s", str(o, "trace_id"), str(o, "conn"),
				str(o, "method"), plen < 60 ? plen : 60, uri);
	else
		snprintf(k->k, sizeof(k->k), "%s|%s", str(o, "trace_id"), str(o, "span_id"));
}

static uint32_t
hash_str(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

uint32_t
tr_name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n && s[i]; i++)
		h = (h ^ (uint8_t)tolower((unsigned char)s[i])) * 16777619u;
	return h;
}

/* Each line of path through fn; -1 with "path:line: why". */
static int
each_line(const char *path, int (*fn)(void *, json_object *, uint32_t), void *arg, char *err,
		size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	uint32_t n = 0;
	int rc = 0;

	if (f == NULL)
		return inf_fail(err, errlen, "%s: %s", path, strerror(errno));
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		n++;
		if (line[0] == '\n')
			continue;
		json_object *o = json_tokener_parse(line);
		if (o == NULL || !json_object_is_type(o, json_type_object)) {
			rc = inf_fail(err, errlen, "%s:%u: not a JSON object", path, n);
			json_object_put(o);
			break;
		}
		if (fn(arg, o, n) < 0)
			rc = inf_fail(err, errlen, "%s:%u: out of memory", path, n);
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return rc;
}

struct loader {
	struct tr_data *d;
	struct key *ek, *lk;
	size_t cap, n_lab, lab_cap;
	struct tr_truth *lab;
};

static int
grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? *cap * 2 : 4096;
	void *q = realloc(*p, c * size);
	if (q == NULL)
		return -1;
	*p = q;
	*cap = c;
	return 0;
}

static int
one_event(void *arg, json_object *o, uint32_t line)
{
	struct loader *L = arg;
	struct tr_data *d = L->d;
	size_t c = L->cap;

	if (get(o, "v") == NULL || get(o, "ts") == NULL)
		return 0;	/* not an event line */
	if (grow((void **)&d->ev, &c, d->n, sizeof(*d->ev)) < 0 ||
			grow((void **)&L->ek, &L->cap, d->n, sizeof(*L->ek)) < 0)
		return -1;
	if ((d->ev[d->n] = event_back(o)) == NULL)
		return -1;
	event_key(o, &L->ek[d->n]);
	L->ek[d->n].i = (uint32_t)d->n;
	L->ek[d->n].line = line;
	d->n++;
	return 0;
}

static int
one_label(void *arg, json_object *o, uint32_t line)
{
	struct loader *L = arg;
	size_t c = L->lab_cap;

	if (grow((void **)&L->lab, &c, L->n_lab, sizeof(*L->lab)) < 0 ||
			grow((void **)&L->lk, &L->lab_cap, L->n_lab, sizeof(*L->lk)) < 0)
		return -1;
	struct tr_truth *t = &L->lab[L->n_lab];
	const char *step = str(o, "step");
	t->cls = (int8_t)tr_class_index(tr_seq_names, TR_SEQ_CLASSES, str(o, "class"));
	if (t->cls < 0)
		t->cls = 0;
	t->malicious = strcmp(step, "malicious") == 0 || strcmp(step, "recon") == 0;
	int p = tr_class_index(tr_payload_names, TR_PAYLOAD_CLASSES, str(o, "class"));
	t->payload = (uint8_t)(p > 0 && t->malicious ? p : 0);
	t->attack_id = (uint32_t)num(o, "attack_id");
	t->label_actor = hash_str(str(o, "actor"));
	const char *loc = str(o, "location"), *colon = strchr(loc, ':');
	t->location = colon != NULL && colon[1] ? tr_name_hash(colon + 1, strlen(colon + 1)) : 0;
	label_key(o, &L->lk[L->n_lab]);
	L->lk[L->n_lab].i = (uint32_t)L->n_lab;
	L->lk[L->n_lab].line = line;
	L->n_lab++;
	return 0;
}

/* Merge of the sorted keys: equal keys pair up in order. */
static void
join(struct loader *L)
{
	struct tr_data *d = L->d;
	size_t i = 0, j = 0;

	qsort(L->ek, d->n, sizeof(*L->ek), by_key);
	qsort(L->lk, L->n_lab, sizeof(*L->lk), by_key);
	while (i < d->n && j < L->n_lab) {
		int c = strcmp(L->ek[i].k, L->lk[j].k);
		if (c == 0) {
			d->truth[L->ek[i].i] = L->lab[L->lk[j].i];
			i++, j++;
		} else if (c < 0) {
			i++;
		} else {
			j++;
			d->labels_unmatched++;
		}
	}
	d->labels_unmatched += L->n_lab - j;
}

/* ---- sequences ---- */

struct ord {
	uint64_t a, b;		/* sort keys */
	uint32_t i;
};

static int
by_ord(const void *x, const void *y)
{
	const struct ord *p = x, *q = y;
	if (p->a != q->a)
		return p->a < q->a ? -1 : 1;
	if (p->b != q->b)
		return p->b < q->b ? -1 : 1;
	return (p->i > q->i) - (p->i < q->i);
}

static uint64_t
trace_word(const struct mw_event *ev)
{
	uint64_t a, b;

	memcpy(&a, ev->trace_id, 8);
	memcpy(&b, ev->trace_id + 8, 8);
	return a ^ (b * 0x9e3779b97f4a7c15ull);
}

/* Traces: calls grouped by trace id in log order, cut after each root. */
static int
cut_traces(struct tr_data *d)
{
	struct ord *o = malloc((d->n + 1) * sizeof(*o));
	size_t nt = 0, k = 0;
	uint32_t last = 0;
	int open = 0;

	d->trace_off = malloc((d->n + 1) * sizeof(*d->trace_off));
	d->trace_ev = malloc((d->n + 1) * sizeof(*d->trace_ev));
	d->trace_end = malloc((d->n + 1) * sizeof(*d->trace_end));
	d->trace_cls = calloc(d->n + 1, 1);
	if (o == NULL || d->trace_off == NULL || d->trace_ev == NULL || d->trace_end == NULL ||
			d->trace_cls == NULL) {
		free(o);
		return -1;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct mw_event *ev = d->ev[i];
		/* a call without a trace id sorts alone (its own index as key) */
		o[i].a = ev->trace_kind == MW_TRACE_none ? (uint64_t)i << 1 | 1 :
			trace_word(ev) & ~1ull;
		o[i].b = 0;
		o[i].i = (uint32_t)i;
	}
	qsort(o, d->n, sizeof(*o), by_ord);
	d->trace_off[0] = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct mw_event *ev = d->ev[o[i].i];
		if (open && o[i].a != o[i - 1].a) {	/* a trace whose root never came */
			d->trace_end[nt++] = last;
			d->trace_off[nt] = (uint32_t)k;
		}
		d->trace_ev[k++] = last = o[i].i;
		open = 1;
		const struct tr_truth *t = &d->truth[o[i].i];
		if (t->malicious && t->cls > 0 && d->trace_cls[nt] == 0)
			d->trace_cls[nt] = t->cls;
		if (mw_trace_root(ev)) {	/* root: ends it */
			d->trace_end[nt++] = last;
			d->trace_off[nt] = (uint32_t)k;
			open = 0;
		}
	}
	if (open) {
		d->trace_end[nt++] = last;
		d->trace_off[nt] = (uint32_t)k;
	}
	d->n_traces = nt;
	free(o);
	return 0;
}

/* Actors: traces grouped by their actor, in order of ending.
 * Class: the attack class most common among its malicious calls. */
static int
cut_actors(struct tr_data *d)
{
	struct ord *o = malloc((d->n_traces + 1) * sizeof(*o));
	size_t na = 0;

	d->actor_off = malloc((d->n_traces + 1) * sizeof(*d->actor_off));
	d->actor_tr = malloc((d->n_traces + 1) * sizeof(*d->actor_tr));
	d->actor_cls = calloc(d->n_traces + 1, 1);
	d->actor_key = calloc(d->n_traces + 1, sizeof(*d->actor_key));
	if (o == NULL || d->actor_off == NULL || d->actor_tr == NULL || d->actor_cls == NULL ||
			d->actor_key == NULL) {
		free(o);
		return -1;
	}
	for (size_t t = 0; t < d->n_traces; t++) {
		/* the root's actor, else the first call's (mw_summary_add) */
		const struct mw_event *end = d->ev[d->trace_end[t]];
		o[t].a = mw_trace_root(end) ? end->actor : d->ev[d->trace_ev[d->trace_off[t]]]->actor;
		o[t].b = d->trace_end[t];
		o[t].i = (uint32_t)t;
	}
	qsort(o, d->n_traces, sizeof(*o), by_ord);
	for (size_t t = 0; t < d->n_traces; t++) {
		if (t == 0 || o[t].a != o[t - 1].a) {
			d->actor_off[na] = (uint32_t)t;
			d->actor_key[na++] = o[t].a;
		}
		d->actor_tr[t] = o[t].i;
	}
	d->actor_off[na] = (uint32_t)d->n_traces;
	d->n_actors = na;
	free(o);
	/* the class: of its malicious calls' attack classes, the most common,
	 * else benign. Calls, not the generator's actor file: one address is
	 * many label actors over a capture (a benign session, then an attack
	 * from the same address), and an attacker's calls that did nothing
	 * malicious under this key (browsing before the login that changed
	 * the key) leave it benign: there is nothing here to detect. */
	for (size_t a = 0; a < na; a++) {
		uint32_t votes[TR_SEQ_CLASSES] = { 0 };
		for (uint32_t j = d->actor_off[a]; j < d->actor_off[a + 1]; j++) {
			uint32_t t = d->actor_tr[j];
			for (uint32_t e = d->trace_off[t]; e < d->trace_off[t + 1]; e++) {
				const struct tr_truth *tt = &d->truth[d->trace_ev[e]];
				if (tt->malicious && tt->cls > 0)
					votes[tt->cls]++;
			}
		}
		int best = 0;
		for (int c = 1; c < TR_SEQ_CLASSES; c++)
			if (votes[c] > votes[best])
				best = c;
		d->actor_cls[a] = (int8_t)(votes[best] ? best : 0);
	}
	return 0;
}

int
tr_load(struct tr_data *d, const char *events, const char *prefix, char *err, size_t errlen)
{
	struct loader L = { .d = d };
	char path[4096];
	int rc = -1;

	memset(d, 0, sizeof(*d));
	if (each_line(events, one_event, &L, err, errlen) < 0)
		goto out;
	if (d->n == 0) {
		inf_fail(err, errlen, "%s: no events", events);
		goto out;
	}
	d->truth = calloc(d->n, sizeof(*d->truth));
	if (d->truth == NULL)
		goto oom;
	for (size_t i = 0; i < d->n; i++)
		d->truth[i].cls = -1;
	if (prefix != NULL) {
		snprintf(path, sizeof(path), "%s.requests.jsonl", prefix);
		if (each_line(path, one_label, &L, err, errlen) < 0)
			goto out;
		join(&L);
	}
	for (size_t i = 0; i < d->n; i++)
		d->unlabeled += d->truth[i].cls < 0;
	if (cut_traces(d) < 0 || cut_actors(d) < 0)
		goto oom;
	d->n_captures = 1;	/* starting at event 0 */
	rc = 0;
	goto out;
oom:
	inf_fail(err, errlen, "%s: out of memory", events);
out:
	free(L.ek);
	free(L.lk);
	free(L.lab);
	if (rc < 0)
		tr_free(d);
	return rc;
}

/* Moves b's calls, traces and actors after a's. */
static int
append(struct tr_data *a, struct tr_data *b)
{
	const size_t n = a->n + b->n, nt = a->n_traces + b->n_traces, na = a->n_actors + b->n_actors;
#define GROW(f, count) do { \
		void *p_ = realloc(a->f, (count) * sizeof(*a->f)); \
		if (p_ == NULL) \
			return -1; \
		a->f = p_; \
	} while (0)
	GROW(ev, n); GROW(truth, n);
	GROW(trace_off, nt + 1); GROW(trace_ev, n); GROW(trace_end, nt); GROW(trace_cls, nt);
	GROW(actor_off, na + 1); GROW(actor_tr, nt); GROW(actor_cls, na); GROW(actor_key, na);
#undef GROW
	memcpy(a->ev + a->n, b->ev, b->n * sizeof(*b->ev));
	memcpy(a->truth + a->n, b->truth, b->n * sizeof(*b->truth));
	for (size_t t = 0; t < b->n_traces; t++) {
		a->trace_off[a->n_traces + t + 1] = b->trace_off[t + 1] + (uint32_t)a->n;
		a->trace_end[a->n_traces + t] = b->trace_end[t] + (uint32_t)a->n;
		a->trace_cls[a->n_traces + t] = b->trace_cls[t];
	}
	for (size_t i = 0; i < b->n; i++)
		a->trace_ev[a->n + i] = b->trace_ev[i] + (uint32_t)a->n;
	for (size_t q = 0; q < b->n_actors; q++) {
		a->actor_off[a->n_actors + q + 1] = b->actor_off[q + 1] + (uint32_t)a->n_traces;
		a->actor_cls[a->n_actors + q] = b->actor_cls[q];
		a->actor_key[a->n_actors + q] = b->actor_key[q];
	}
	for (size_t t = 0; t < b->n_traces; t++)
		a->actor_tr[a->n_traces + t] = b->actor_tr[t] + (uint32_t)a->n_traces;
	a->capture_start[a->n_captures++] = a->n;
	a->n = n, a->n_traces = nt, a->n_actors = na;
	a->unlabeled += b->unlabeled;
	a->labels_unmatched += b->labels_unmatched;
	free(b->ev);	/* the events are a's now */
	b->ev = NULL;
	tr_free(b);
	return 0;
}

int
tr_load_many(struct tr_data *d, unsigned int n, const char *const *events,
		const char *const *prefixes, char *err, size_t errlen)
{
	struct tr_data more;

	if (n == 0 || n > TR_MAX_CAPTURES)
		return inf_fail(err, errlen, "%u captures: 1 to %d", n, TR_MAX_CAPTURES);
	if (tr_load(d, events[0], prefixes ? prefixes[0] : NULL, err, errlen) < 0)
		return -1;
	for (unsigned int k = 1; k < n; k++) {
		if (tr_load(&more, events[k], prefixes ? prefixes[k] : NULL, err, errlen) < 0) {
			tr_free(d);
			return -1;
		}
		/* another capture's principals are others, even where the
		 * generator gave them the same names. (Objects are kept apart by
		 * the stack, which empties its tables at each capture: salting
		 * their ids, until 2026-12-06, broke the tie between an id and the
		 * Location key that created it, mw_object_key, in every capture
		 * but the first, whose creators then owned nothing.) */
		const uint64_t salt = 0x9e3779b97f4a7c15ull * k;
		for (size_t i = 0; i < more.n; i++) {
			more.ev[i]->actor ^= salt;
			more.ev[i]->account ^= more.ev[i]->account ? salt : 0;
		}
		for (size_t q = 0; q < more.n_actors; q++)
			more.actor_key[q] ^= salt;
		if (append(d, &more) < 0) {
			tr_free(&more);
			tr_free(d);
			return inf_fail(err, errlen, "%s: out of memory", events[k]);
		}
	}
	return 0;
}

void
tr_free(struct tr_data *d)
{
	for (size_t i = 0; d->ev != NULL && i < d->n; i++)
		free(d->ev[i]);
	free(d->ev);
	free(d->truth);
	free(d->trace_off);
	free(d->trace_ev);
	free(d->trace_end);
	free(d->trace_cls);
	free(d->actor_off);
	free(d->actor_tr);
	free(d->actor_cls);
	free(d->actor_key);
	memset(d, 0, sizeof(*d));
}
