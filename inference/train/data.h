/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Training and evaluation data: meshwatch's event log joined to
 * meshwatch-gen's labels, cut into the sequences the appliance steps.
 *
 * The event log is read back into struct mw_event (the fields the feature
 * schema, the payload window and the summaries read), so the tools build
 * every feature with the appliance's own code (schema.h). Events keep the
 * log's order, which is the order the appliance's models saw them in.
 *
 * Join (as tests/tools/event-check): trace id + span id where the request
 * carried a span id; for x-request-id traffic, trace id + connection +
 * method + path, in order. An event without a label is unlabeled (counted,
 * left out of the supervised targets, kept for pre-training).
 *
 * Sequences, as inference/inf.c cuts them: a trace is the calls sharing a
 * trace id up to and including its root call (no parent span); a call
 * without a trace id is a trace of one call. An actor is the appliance's
 * actor key; its elements are its traces in the order they ended.
 */
#ifndef TRAIN_DATA_H
#define TRAIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "classes.h"
#include "mw_event.h"

/* The payload model's classes: benign and the payload attack classes. */
#define TR_PAYLOAD_CLASSES 9
extern const char *const tr_payload_names[TR_PAYLOAD_CLASSES];
/* The sequence models' classes: every class of the generator. */
#define TR_SEQ_CLASSES CLS_N
extern const char *const tr_seq_names[TR_SEQ_CLASSES];

/* A call's truth, from its label. */
struct tr_truth {
	int8_t cls;		/* enum cls; -1: no label */
	uint8_t malicious;	/* step malicious or recon */
	uint8_t payload;	/* index in tr_payload_names (0: benign) */
	uint32_t attack_id;
	uint32_t label_actor;	/* hash of the label's actor name */
	uint32_t location;	/* tr_name_hash of the field an attack is in; 0: not said */
};

/* A field name's hash, case folded: labels' locations against records. */
uint32_t tr_name_hash(const char *s, size_t n);

#define TR_MAX_CAPTURES 16

struct tr_data {
	size_t n;
	struct mw_event **ev;		/* malloc'd each, with their data */
	struct tr_truth *truth;
	size_t unlabeled, labels_unmatched;
	/* traces: calls trace_ev[trace_off[t] .. trace_off[t + 1]) in order */
	size_t n_traces;
	uint32_t *trace_off, *trace_ev;
	uint32_t *trace_end;		/* the call that ended it */
	int8_t *trace_cls;		/* class of its first malicious call, or 0 */
	/* actors: traces actor_tr[actor_off[a] .. actor_off[a + 1]) by end */
	size_t n_actors;
	uint32_t *actor_off, *actor_tr;
	int8_t *actor_cls;		/* its malicious calls' class, else 0 */
	uint64_t *actor_key;
	/* captures: events capture_start[k] .. capture_start[k + 1] (or n) are
	 * capture k's, which a fresh appliance saw */
	unsigned int n_captures;
	size_t capture_start[TR_MAX_CAPTURES];
};

/* Reads EVENTS (meshwatch's event log) and, when prefix is not NULL, the
 * labels PREFIX.requests.jsonl. 0, or -1 with a
 * message "FILE:LINE: what" in err. */
int tr_load(struct tr_data *d, const char *events, const char *prefix, char *err,
		size_t errlen);
/* Several captures (at most TR_MAX_CAPTURES) as one data set, in order:
 * each capture's actors and accounts kept apart from the others' (their
 * keys salted per capture); the stack starts each capture with empty
 * object, log-in and endpoint tables, as its appliance did. */
int tr_load_many(struct tr_data *d, unsigned int n, const char *const *events,
		const char *const *prefixes, char *err, size_t errlen);
void tr_free(struct tr_data *d);

/* The index of a class name in names[n], or -1. */
int tr_class_index(const char *const *names, int n, const char *name);

#endif
