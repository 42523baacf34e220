/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ground-truth label files (JSON lines), written beside the capture:
 *   OUT.requests.jsonl  one line per HTTP request in the capture
 *   OUT.traces.jsonl    one line per trace
 *   OUT.actors.jsonl    one line per actor
 *   OUT.summary.json    counts, for tests and for people
 * Fields are documented in perf/gen/README.md.
 */
#ifndef GEN_LABELS_H
#define GEN_LABELS_H

#include <stdint.h>

#include "classes.h"

struct json_object;

struct req_label {
	uint64_t ts;			/* ns since the epoch, request start */
	char trace_id[33], span_id[17], parent_id[17];
	const char *ids;		/* which headers carried the ids */
	char actor[64];
	char client_ip[48];
	const char *src, *service, *endpoint;
	const char *method;
	const char *uri;
	char conn[128];			/* "cli:port-srv:port" */
	int status;
	uint32_t req_bytes, resp_bytes;
	enum cls cls;
	uint32_t attack_id;
	const char *step;		/* none | malicious | recon | benign */
	const char *technique, *location, *encoding;
	int propagated, gap, overlap, midstream;
};

struct trace_label {
	uint64_t ts, end;
	char trace_id[33];
	char actor[64];
	const char *root;
	uint32_t calls, malicious;
	enum cls cls;
	uint32_t attack_id;
};

int labels_open(const char *prefix, char *err, size_t errlen);
void label_request(const struct req_label *l);
void label_trace(const struct trace_label *l);
void label_actor(const char *actor, const char *kind, const char *ip, enum cls cls,
		const uint32_t *attack_ids, int n_attacks, uint32_t sessions,
		uint32_t requests, uint32_t malicious);
/* Writes the summary object and closes everything; -1 on I/O error. */
int labels_close(struct json_object *summary);

#endif /* GEN_LABELS_H */
