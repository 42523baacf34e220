/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Label writer. JSON is produced by json-c, so values that hold attack
 * payloads (URIs, techniques) are always escaped correctly.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "labels.h"

const char *const cls_names[CLS_N] = {
#define X(e, n, p, r) n,
	GEN_CLASSES(X)
#undef X
};

const int cls_payload[CLS_N] = {
#define X(e, n, p, r) p,
	GEN_CLASSES(X)
#undef X
};

const double cls_default_rate[CLS_N] = {
#define X(e, n, p, r) r,
	GEN_CLASSES(X)
#undef X
};

int
cls_from_name(const char *s)
{
	for (int i = 0; i < CLS_N; i++)
		if (strcmp(cls_names[i], s) == 0)
			return i;
	return -1;
}

static struct {
	FILE *req, *trace, *actor;
	char prefix[4096];
} L;

static FILE *
open_one(const char *prefix, const char *suffix, char *err, size_t errlen)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", prefix, suffix);
	f = fopen(path, "w");
	if (f == NULL)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	else
		setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

int
labels_open(const char *prefix, char *err, size_t errlen)
{
	snprintf(L.prefix, sizeof(L.prefix), "%s", prefix);
	if ((L.req = open_one(prefix, ".requests.jsonl", err, errlen)) == NULL ||
			(L.trace = open_one(prefix, ".traces.jsonl", err, errlen)) == NULL ||
			(L.actor = open_one(prefix, ".actors.jsonl", err, errlen)) == NULL)
		return -1;
	return 0;
}

static void
put_line(FILE *f, struct json_object *o)
{
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
				JSON_C_TO_STRING_NOSLASHESCAPE), f);
	fputc('\n', f);
	json_object_put(o);
}

static void
add_str(struct json_object *o, const char *k, const char *v)
{
	if (v != NULL)
		json_object_object_add(o, k, json_object_new_string(v));
}

void
label_request(const struct req_label *l)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ts", json_object_new_int64((int64_t)l->ts));
	add_str(o, "trace_id", l->trace_id);
	add_str(o, "span_id", l->span_id);
	if (l->parent_id[0])
		add_str(o, "parent_span_id", l->parent_id);
	add_str(o, "ids", l->ids);
	add_str(o, "actor", l->actor);
	add_str(o, "client_ip", l->client_ip);
	add_str(o, "src", l->src);
	add_str(o, "service", l->service);
	add_str(o, "endpoint", l->endpoint);
	add_str(o, "method", l->method);
	add_str(o, "uri", l->uri);
	add_str(o, "conn", l->conn);
	json_object_object_add(o, "status", json_object_new_int(l->status));
	json_object_object_add(o, "req_bytes", json_object_new_int64(l->req_bytes));
	json_object_object_add(o, "resp_bytes", json_object_new_int64(l->resp_bytes));
	add_str(o, "class", cls_names[l->cls]);
	json_object_object_add(o, "attack_id", json_object_new_int64(l->attack_id));
	add_str(o, "step", l->step);
	add_str(o, "technique", l->technique);
	add_str(o, "location", l->location);
	add_str(o, "encoding", l->encoding);
	if (l->propagated)
		json_object_object_add(o, "propagated", json_object_new_boolean(1));
	if (l->gap)
		json_object_object_add(o, "gap", json_object_new_boolean(1));
	if (l->overlap)
		json_object_object_add(o, "overlap", json_object_new_boolean(1));
	if (l->midstream)
		json_object_object_add(o, "midstream", json_object_new_boolean(1));
	put_line(L.req, o);
}

void
label_trace(const struct trace_label *l)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ts", json_object_new_int64((int64_t)l->ts));
	json_object_object_add(o, "end", json_object_new_int64((int64_t)l->end));
	add_str(o, "trace_id", l->trace_id);
	add_str(o, "actor", l->actor);
	add_str(o, "root", l->root);
	json_object_object_add(o, "calls", json_object_new_int64(l->calls));
	json_object_object_add(o, "malicious_calls", json_object_new_int64(l->malicious));
	add_str(o, "class", cls_names[l->cls]);
	json_object_object_add(o, "attack_id", json_object_new_int64(l->attack_id));
	put_line(L.trace, o);
}

void
label_actor(const char *actor, const char *kind, const char *ip, enum cls cls,
		const uint32_t *attack_ids, int n_attacks, uint32_t sessions,
		uint32_t requests, uint32_t malicious)
{
	struct json_object *o = json_object_new_object();
	struct json_object *a = json_object_new_array();

	add_str(o, "actor", actor);
	add_str(o, "kind", kind);
	add_str(o, "ip", ip);
	add_str(o, "class", cls_names[cls]);
	for (int i = 0; i < n_attacks; i++)
		json_object_array_add(a, json_object_new_int64(attack_ids[i]));
	json_object_object_add(o, "attack_ids", a);
	json_object_object_add(o, "sessions", json_object_new_int64(sessions));
	json_object_object_add(o, "requests", json_object_new_int64(requests));
	json_object_object_add(o, "malicious_requests", json_object_new_int64(malicious));
	put_line(L.actor, o);
}

int
labels_close(struct json_object *summary)
{
	char path[4200];
	int rc = 0;
	FILE *files[] = { L.req, L.trace, L.actor };

	for (int i = 0; i < 3; i++) {
		if (files[i] && (ferror(files[i]) | fclose(files[i])))
			rc = -1;
	}
	snprintf(path, sizeof(path), "%s.summary.json", L.prefix);
	if (json_object_to_file_ext(path, summary, JSON_C_TO_STRING_PRETTY |
				JSON_C_TO_STRING_NOSLASHESCAPE) != 0)
		rc = -1;
	return rc;
}
