/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * struct mw_alert: a verdict that beat its threshold, with what the analyst
 * needs to see why. An inference lcore fills one from its alert pool and
 * hands it to the main lcore over its alert ring; the main lcore suppresses
 * repeats, writes it as an EVE-style JSON line and returns it to the pool.
 *
 * The explanation is a list of elements, the ones whose arrival raised the
 * key's malicious score (1 - p(benign)) the most, each with that delta:
 *   payload alert  the call itself;
 *   trace alert    calls of the trace;
 *   actor alert    traces of the actor, each named by its trace id and the
 *                  call that raised that trace's score the most.
 * The call that triggered a payload or trace alert travels whole (a copy of
 * its event), so the alert can show its flow, HTTP fields and pre-filter
 * matches exactly as the event log does.
 *
 * Every element the pre-filter flagged also shows a snippet of what it
 * flagged. Snippets are not kept per key (that would double a trace key's
 * cost) but in a journal per inference lcore holding the last INF_SNIPS of
 * them; an element names its snippet by sequence number, and the alert
 * copies the snippets of its elements when it is raised. An element older
 * than the journal says its snippet is gone (counted: snippets_aged).
 */
#ifndef INF_ALERT_H
#define INF_ALERT_H

#include <stdint.h>

#include "schema.h"
#include "mw_event.h"

#define MW_ALERT_KINDS(X) X(payload) X(trace) X(actor)
enum mw_alert_kind {
#define X(k) MW_ALERT_##k,
	MW_ALERT_KINDS(X)
#undef X
	MW_ALERT_KIND_MAX
};
extern const char *const mw_alert_kind_names[MW_ALERT_KIND_MAX];

#define MW_ELEM_RULES 3
#define MW_ELEM_TEMPLATE 32
#define MW_EXPLAIN_MAX 3
#define MW_ALERT_CLASSES (MW_SEQ_SLOTS + 1)	/* benign and the classes carried */
#define MW_SNIP_NAME 16
#define MW_SNIP_TEXT 39

/* What the pre-filter flagged in a call (64 bytes): the normalized
 * record's name and up to MW_SNIP_TEXT bytes of its value around the first
 * match, the match at [from, to) of text. Redacted when written: a record
 * with a credential-like name (judged on the whole name) shows no value. */
struct mw_snip {
	uint32_t seq;			/* the element's mw_elem.snip; 0: none */
	uint8_t name_len, text_len, from, to;
	char name[MW_SNIP_NAME];
	char text[MW_SNIP_TEXT];
	uint8_t secret;			/* dp_secret_name() of the name */
};
_Static_assert(sizeof(struct mw_snip) == 64, "a snippet is a cache line");

/* One call, as an explanation names it (96 bytes). */
struct mw_elem {
	uint64_t ts_ns;			/* request time */
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint32_t template_id;
	uint16_t status;
	uint8_t method;
	uint8_t payload_class;		/* 0: benign or not scored */
	float delta;			/* malicious score change it caused */
	float score;			/* malicious score after it */
	uint16_t rules[MW_ELEM_RULES];	/* pre-filter rules (catalog numbers) */
	uint8_t n_rules;
	uint8_t pf_field;		/* enum pf_class of the first match */
	uint32_t pf_categories;
	char template[MW_ELEM_TEMPLATE];	/* path template, NUL padded */
	uint32_t snip;			/* its snippet in the journal; 0: none */
};
_Static_assert(sizeof(struct mw_elem) == 96, "the trace store's size per key counts on it");

/* The top MW_EXPLAIN_MAX elements by delta, largest first. */
struct mw_explain {
	uint8_t n;
	struct mw_elem e[MW_EXPLAIN_MAX];
};

struct mw_alert {
	uint8_t kind;			/* enum mw_alert_kind */
	uint8_t has_event;
	uint8_t actor_kind;
	uint8_t n_probs;
	uint16_t cls;			/* the class that beat its threshold */
	uint16_t model;			/* index in the app's model list */
	float score;			/* its probability */
	float probs[MW_ALERT_CLASSES];	/* every class's probability */
	uint64_t ts_ns;			/* the triggering element's time */
	uint64_t actor;
	uint8_t trace_id[16];
	uint32_t calls;			/* elements of the key so far */
	uint16_t inf_lcore;
	struct mw_explain why;
	struct mw_snip snip[MW_EXPLAIN_MAX];	/* why.e[i]'s; seq 0: none or gone */
	struct mw_event ev;		/* when has_event; MW_EVENT_SIZE bytes */
};

#define MW_ALERT_SIZE (sizeof(struct mw_alert) + MW_EVENT_DATA_SIZE)

/* Whether an element with this delta earns a place in the top list: only
 * an element that raised the malicious score explains an alert (a key's
 * score starts from 0, so its first element is credited with all of its
 * own). */
static inline int
mw_explain_wants(const struct mw_explain *x, float delta)
{
	return delta > 0.0f && (x->n < MW_EXPLAIN_MAX || delta > x->e[MW_EXPLAIN_MAX - 1].delta);
}

/* Adds el to the top list if its delta earns a place. */
static inline void
mw_explain_add(struct mw_explain *x, const struct mw_elem *el)
{
	if (!mw_explain_wants(x, el->delta))
		return;
	int i = x->n < MW_EXPLAIN_MAX ? x->n++ : MW_EXPLAIN_MAX - 1;
	while (i > 0 && x->e[i - 1].delta < el->delta) {
		x->e[i] = x->e[i - 1];
		i--;
	}
	x->e[i] = *el;
}

#endif
