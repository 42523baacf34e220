/* SPDX-License-Identifier: BSD-3-Clause */
/* Inference lcore loop (hot path) and its context (control path). */
#include <omp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_errno.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp_text.h"
#include "gru.h"
#include "inf.h"
#include "mw_event.h"
#include "onednn.h"
#include "payload.h"
#include "seqstore.h"

const char *const inf_counter_names[INF_C_MAX] = {
#define X(n) #n,
	INF_COUNTERS(X)
#undef X
};

const char *const inf_stage_names[INF_STAGE_MAX] = {
#define X(n) #n,
	INF_STAGES(X)
#undef X
};

struct inf_lcore *
inf_lcore_create(unsigned int lcore_id, uint16_t index, int socket)
{
	struct inf_lcore *il = rte_zmalloc_socket("inf_lcore", sizeof(*il),
			RTE_CACHE_LINE_SIZE, socket);

	if (il == NULL)
		return NULL;
	il->lcore_id = lcore_id;
	il->index = index;
	il->socket = socket;
	il->ns_per_tsc = 1e9 / (double)rte_get_tsc_hz();
	il->us_per_tsc = 1e6 / (double)rte_get_tsc_hz();
	return il;
}

void
inf_lcore_free(struct inf_lcore *il)
{
	if (il == NULL)
		return;
	seq_store_free(il->trace.store);
	seq_store_free(il->actor.store);
	rte_free(il->lone_state);
	rte_free(il->snips);
	rte_free(il->endpoints);
	rte_free(il);
}


/* Event time now: the latest event's time, moved on by the TSC since. */
static inline uint64_t
now_ns(const struct inf_lcore *il)
{
	return il->now_ns + (uint64_t)((double)(rte_rdtsc() - il->now_tsc) * il->ns_per_tsc);
}

static inline void
saw_time(struct inf_lcore *il, uint64_t ts)
{
	if (ts > il->now_ns) {
		il->now_ns = ts;
		il->now_tsc = rte_rdtsc();
	}
}

/* The most likely class from `from` on. */
static inline uint16_t
argmax(const float *p, uint32_t n, uint16_t from)
{
	uint16_t best = from;

	for (uint16_t c = (uint16_t)(from + 1); c < n; c++)
		if (p[c] > p[best])
			best = c;
	return best;
}

/* ---- snippets ---- */

/* The snippet of ev's first pre-filter match (the payload model's pick,
 * where it scored ev) into sn (seq left alone);
 * false if it has none. */
static bool
snip_make(struct mw_snip *sn, const struct mw_event *ev)
{
	uint16_t n;
	const char *t = mw_event_field(ev, MW_FIELD_norm, &n);

	if (ev->pf_nmatch == 0 || ev->pf[0].from >= n)
		return false;
	/* the record (name=value, records split by 0x1e) holding the match */
	uint32_t from = ev->pf[0].from, to = RTE_MIN(ev->pf[0].to, (uint32_t)n), rs, re;
	mw_norm_record(t, n, from, &rs, &re);
	const char *eq = memchr(t + rs, '=', re - rs);
	uint32_t vs = eq != NULL && (uint32_t)(eq - t) < from ? (uint32_t)(eq - t) + 1 : rs;
	/* up to MW_SNIP_TEXT bytes of the value, from a little before the match */
	uint32_t ws = from > vs + 8 ? from - 8 : vs;
	uint32_t we = RTE_MIN(re, ws + MW_SNIP_TEXT);
	sn->secret = vs > rs && dp_secret_name(t + rs, vs - rs - 1);
	sn->name_len = vs > rs ? (uint8_t)RTE_MIN(vs - rs - 1, (uint32_t)MW_SNIP_NAME) : 0;
	memcpy(sn->name, t + rs, sn->name_len);
	sn->text_len = (uint8_t)(we - ws);
	memcpy(sn->text, t + ws, sn->text_len);
	sn->from = (uint8_t)(from - ws);
	uint32_t end = RTE_MIN(to, we);
	sn->to = (uint8_t)((end > from ? end : from) - ws);
	return true;
}

/* Writes sn into the journal; its sequence number (never 0). */
static uint32_t
snip_put(struct inf_lcore *il, const struct mw_snip *sn)
{
	if (++il->snip_seq == 0)
		il->snip_seq = 1;
	struct mw_snip *j = &il->snips[il->snip_seq & (INF_SNIPS - 1)];
	*j = *sn;
	j->seq = il->snip_seq;
	return il->snip_seq;
}

/* The journal's snippet seq into out; seq 0 there if it is gone (counted). */
static void
snip_get(struct inf_lcore *il, uint32_t seq, struct mw_snip *out)
{
	if (seq != 0 && il->snips != NULL && il->snips[seq & (INF_SNIPS - 1)].seq == seq) {
		*out = il->snips[seq & (INF_SNIPS - 1)];
		return;
	}
	memset(out, 0, sizeof(*out));
	il->c[INF_C_snippets_aged] += seq != 0;
}

/* An alert copies its elements' snippets when it is raised. */
static void
alert_snips(struct inf_lcore *il, struct mw_alert *a)
{
	for (unsigned int i = 0; i < a->why.n; i++)
		snip_get(il, a->why.e[i].snip, &a->snip[i]);
}

/* A call as an explanation names it (no snippet yet: see elem_journal). */
static void
make_elem(struct mw_elem *el, const struct mw_event *ev, float delta, float score)
{
	uint16_t tl;
	const char *t = mw_event_field(ev, MW_FIELD_template, &tl);

	memset(el, 0, sizeof(*el));
	el->ts_ns = ev->ts_req_ns;
	memcpy(el->trace_id, ev->trace_id, sizeof(el->trace_id));
	memcpy(el->span_id, ev->span_id, sizeof(el->span_id));
	el->template_id = ev->template_id;
	el->status = ev->status;
	el->method = ev->method;
	el->payload_class = (ev->flags & MW_EV_PAYLOAD_SCORED) ? (uint8_t)ev->verdict_class : 0;
	el->delta = delta;
	el->score = score;
	for (unsigned int k = 0; k < ev->pf_nmatch && el->n_rules < MW_ELEM_RULES; k++) {
		unsigned int j = 0;
		while (j < el->n_rules && el->rules[j] != ev->pf[k].rule)
			j++;
		if (j == el->n_rules)
			el->rules[el->n_rules++] = ev->pf[k].rule;
	}
	el->pf_field = ev->pf_nmatch ? ev->pf[0].field : 0;
	el->pf_categories = ev->pf_categories;
	memcpy(el->template, t, RTE_MIN(tl, (uint16_t)(MW_ELEM_TEMPLATE - 1)));
}

/* A sequence element's snippet goes to the journal, where an alert raised
 * later finds it. */
static void
elem_journal(struct inf_lcore *il, struct mw_elem *el, const struct mw_event *ev)
{
	struct mw_snip sn;

	if (snip_make(&sn, ev))
		el->snip = snip_put(il, &sn);
}

/* Hands an alert to the main lcore; a full ring or pool is counted. */
static void
send_alert(struct inf_lcore *il, struct mw_alert *a)
{
	while (rte_ring_sp_enqueue(il->alerts, a) != 0) {
		if (!(il->stop || il->backpressure)) {
			il->c[INF_C_alerts_lost]++;
			rte_mempool_put(il->alert_pool, a);
			return;
		}
		rte_pause();
	}
	il->c[INF_C_alerts_out]++;
}

static struct mw_alert *
new_alert(struct inf_lcore *il, enum mw_alert_kind kind, uint16_t cls, const float *p,
		uint32_t n, const struct mw_event *ev)
{
	void *obj;

	/* Only the main lcore frees alerts, and it drains them while it waits
	 * for us to stop, so under backpressure the pool is waited for like
	 * the ring (send_alert), not given up on. */
	while (rte_mempool_get(il->alert_pool, &obj) != 0) {
		if (!(il->stop || il->backpressure)) {
			il->c[INF_C_alerts_lost]++;
			return NULL;
		}
		rte_pause();
	}
	struct mw_alert *a = obj;
	memset(a, 0, offsetof(struct mw_alert, ev));
	a->kind = (uint8_t)kind;
	a->cls = cls;
	a->score = p[cls];
	a->n_probs = (uint8_t)RTE_MIN(n, (uint32_t)MW_ALERT_CLASSES);
	memcpy(a->probs, p, a->n_probs * sizeof(float));
	a->inf_lcore = il->index;
	if (ev != NULL) {
		a->has_event = 1;
		memcpy(&a->ev, ev, sizeof(*ev) + ev->data_len);
		a->ts_ns = ev->ts_req_ns;
		a->actor = ev->actor;
		a->actor_kind = ev->actor_kind;
		memcpy(a->trace_id, ev->trace_id, sizeof(a->trace_id));
	}
	return a;
}

/*
 * The payload model over the calls the pre-filter flagged, one oneDNN
 * execution per model batch of windows: each flagged record of a call is a
 * window (mw_payload_windows) and the call takes its most malicious one;
 * that window's match moves to ev->pf[0], so the event log, snippets and
 * explanations point at the field the model judged. Class 0 is benign; any
 * other class whose probability reaches its threshold raises a payload
 * alert. probs gets every event's non-benign slots (zero when not scored)
 * for the trace model.
 */
static void
score_payloads(struct inf_lcore *il, void **evs, unsigned int n, float *probs)
{
	struct inf_payload *p = il->payload;
	static __thread float pr_all[INF_MAX_BATCH * MW_MODEL_MAX_CLASSES];
	int8_t best[INF_MAX_BATCH];
	const uint32_t nc = p->n_classes;
	uint32_t windows;

	memset(probs, 0, (size_t)n * MW_PAYLOAD_SLOTS * sizeof(float));
	il->c[INF_C_model_errors] += inf_payload_score(p, (const struct mw_event *const *)evs, n,
			pr_all, best, &windows);
	il->c[INF_C_payload_windows] += windows;
	for (unsigned int i = 0; i < n; i++) {
		struct mw_event *ev = evs[i];
		const float *pr = pr_all + (size_t)i * nc;
		if (best[i] < 0)
			continue;
		il->c[INF_C_payload_scored]++;
		if (best[i] > 0) {
			struct mw_match m0 = ev->pf[0];
			ev->pf[0] = ev->pf[best[i]];
			ev->pf[best[i]] = m0;
		}
		uint16_t top = argmax(pr, nc, 0);
		mw_class_slots(pr, nc, probs + (size_t)i * MW_PAYLOAD_SLOTS, MW_PAYLOAD_SLOTS);
		ev->verdict_class = top;
		ev->score = pr[top];
		ev->flags |= MW_EV_PAYLOAD_SCORED;
		uint16_t cls = mw_alert_class(pr, nc, il->thresholds, 0);
		if (cls == 0)
			continue;
		ev->flags |= MW_EV_PAYLOAD_ALERT;
		il->c[INF_C_payload_alerts]++;
		struct mw_alert *a = new_alert(il, MW_ALERT_payload, cls, pr, nc, ev);
		if (a == NULL)
			continue;
		a->calls = 1;
		make_elem(&a->why.e[0], ev, 1.0f - pr[0], 1.0f - pr[0]);
		a->why.n = 1;
		/* the call itself, snippet and all: no need of the journal */
		a->snip[0].seq = snip_make(&a->snip[0], ev) ? 1 : 0;
		a->why.e[0].snip = a->snip[0].seq;
		send_alert(il, a);
	}
}

/* Endpoints, from a call and into an alert's stand-in call. */
static void
where_get(struct inf_where *w, const struct mw_event *ev)
{
	memcpy(w->client_addr, ev->client_addr, 16);
	memcpy(w->server_addr, ev->server_addr, 16);
	w->client_port = ev->client_port;
	w->server_port = ev->server_port;
	w->ev_flags = ev->flags & MW_EV_IPV6;
	w->src_service = ev->src_service;
	w->dst_service = ev->dst_service;
}

static void
where_put(struct mw_event *ev, const struct inf_where *w)
{
	memcpy(ev->client_addr, w->client_addr, 16);
	memcpy(ev->server_addr, w->server_addr, 16);
	ev->client_port = w->client_port;
	ev->server_port = w->server_port;
	ev->flags = w->ev_flags;
	ev->src_service = w->src_service;
	ev->dst_service = w->dst_service;
}

/* ---- actor level ---- */

static inline uint16_t
actor_owner(const struct inf_lcore *il, uint64_t actor)
{
	return (uint16_t)(((actor >> 32) ^ actor) % il->n_inf);
}

/*
 * One actor GRU execution over up to batch trace summaries. A summary whose
 * actor already stepped in this execution waits for the next one (its
 * state is not written back yet); everything here is in arrival order.
 */
static void
step_actors(struct inf_lcore *il, struct inf_summary **sm, unsigned int n)
{
	struct inf_level *lv = &il->actor;
	struct inf_gru *g = lv->gru;
	float x[INF_MAX_BATCH * MW_TRACE_NFEAT];
	float *state[INF_MAX_BATCH];
	static __thread float probs[INF_MAX_BATCH * MW_MODEL_MAX_CLASSES];
	int32_t slot[INF_MAX_BATCH];
	struct inf_summary *wait[INF_MAX_BATCH];
	const uint64_t now = now_ns(il);

	while (n > 0) {
		unsigned int k = 0, w = 0;
		const uint32_t round = ++il->round;

		for (unsigned int i = 0; i < n; i++) {
			struct inf_summary *m = sm[i];
			int32_t s = seq_find(lv->store, &m->s.actor);
			if (s < 0) {
				if (lv->store->used >= lv->store->capacity) {
					uint32_t old = seq_oldest(lv->store);
					struct inf_actor *o = seq_entry(lv->store, old);
					if (o->round == round) {	/* store smaller than a batch */
						wait[w++] = m;
						continue;
					}
					seq_del(lv->store, old);
					il->c[INF_C_actors_evicted]++;
				}
				s = seq_add(lv->store, &m->s.actor, now);	/* zeroed */
				if (s < 0) {
					il->c[INF_C_summaries_lost]++;
					rte_mempool_put(il->summary_pool, m);
					continue;
				}
			}
			struct inf_actor *a = seq_entry(lv->store, (uint32_t)s);
			if (a->round == round) {
				wait[w++] = m;
				continue;
			}
			a->round = round;
			mw_actor_step(&a->hist, &m->s, x + (size_t)k * MW_TRACE_NFEAT);
			seq_touch(lv->store, (uint32_t)s, now);
			state[k] = seq_state(lv->store, (uint32_t)s);
			slot[k] = s;
			sm[k++] = m;
		}
		if (k > 0 && inf_gru_step(g, x, state, k, probs) < 0)
			il->c[INF_C_model_errors] += k;
		else if (k > 0) {
			il->c[INF_C_actor_steps] += k;
			for (unsigned int j = 0; j < k; j++) {
				const float *p = probs + (size_t)j * g->n_classes;
				struct inf_summary *m = sm[j];
				struct inf_actor *a = seq_entry(lv->store, (uint32_t)slot[j]);
				struct mw_elem el = m->top;
				float mal = 1.0f - p[0];

				el.delta = mal - a->mal;
				el.score = mal;
				a->mal = mal;
				if (mw_explain_wants(&a->why, el.delta)) {
					/* the trace's owner journaled its snippet; this
					 * lcore keeps its own copy */
					el.snip = m->top_snip.seq ? snip_put(il, &m->top_snip) : 0;
					mw_explain_add(&a->why, &el);
				}
				uint16_t cls = mw_alert_class(p, g->n_classes, lv->thresholds, a->alerted);
				if (cls == 0)
					continue;
				a->alerted |= 1u << (cls & 31);
				il->c[INF_C_actor_alerts]++;
				struct mw_alert *al = new_alert(il, MW_ALERT_actor, cls, p, g->n_classes,
						NULL);
				if (al == NULL)
					continue;
				al->ts_ns = m->s.ts_last_ns;
				al->actor = m->s.actor;
				al->actor_kind = m->s.actor_kind;
				memcpy(al->trace_id, m->top.trace_id, sizeof(al->trace_id));
				al->calls = a->hist.traces;	/* with this one */
				al->why = a->why;
				alert_snips(il, al);
				where_put(&al->ev, &m->where);	/* the last trace's */
				send_alert(il, al);
			}
		}
		for (unsigned int j = 0; j < k; j++)
			rte_mempool_put(il->summary_pool, sm[j]);
		memmove(sm, wait, w * sizeof(*sm));
		n = w;
	}
}

/* Steps the actor model over what peers (and this lcore) sent; returns how
 * many summaries it took. */
static unsigned int
poll_peers(struct inf_lcore *il)
{
	struct inf_summary *sm[INF_MAX_BATCH];
	unsigned int total = 0;

	for (uint16_t p = 0; p < il->n_inf; p++) {
		unsigned int k = rte_ring_sc_dequeue_burst(il->from_peer[p], (void **)sm,
				il->batch, NULL);
		if (k == 0)
			continue;
		total += k;
		if (il->actor.gru != NULL) {
			mw_stage_enter(&il->stages, INF_STAGE_actor);
			step_actors(il, sm, k);
			mw_stage_leave(&il->stages);
		} else
			rte_mempool_put_bulk(il->summary_pool, (void **)sm, k);
	}
	return total;
}

/* ---- trace level ---- */

/* A finished trace's summary goes to its actor's owner. */
static void
send_summary(struct inf_lcore *il, const struct inf_trace *t, const uint8_t *trace_id,
		bool timed_out)
{
	void *obj;

	il->c[INF_C_traces_ended]++;
	il->c[INF_C_traces_timed_out] += timed_out;
	if (il->actor.gru == NULL)
		return;
	if (rte_mempool_get(il->summary_pool, &obj) != 0) {
		il->c[INF_C_summaries_lost]++;
		return;
	}
	struct inf_summary *m = obj;
	m->s = t->s;
	m->s.timed_out = timed_out;
	if (t->why.n) {
		m->top = t->why.e[0];
		snip_get(il, m->top.snip, &m->top_snip);
	} else {
		memset(&m->top, 0, sizeof(m->top));
		memset(&m->top_snip, 0, sizeof(m->top_snip));
	}
	memcpy(m->top.trace_id, trace_id, 16);
	m->where = t->where;

	struct rte_ring *r = il->to_peer[actor_owner(il, m->s.actor)];
	while (rte_ring_sp_enqueue(r, m) != 0) {
		/* a full ring waits only when nothing may be lost; taking in
		 * what peers send meanwhile keeps two waiting lcores apart */
		if (!(il->stop || il->backpressure)) {
			il->c[INF_C_summaries_lost]++;
			rte_mempool_put(il->summary_pool, m);
			return;
		}
		poll_peers(il);
	}
	il->c[INF_C_summaries_sent]++;
}

static void
end_trace(struct inf_lcore *il, uint32_t slot, bool timed_out)
{
	struct seq_store *st = il->trace.store;

	send_summary(il, seq_entry(st, slot), seq_key(st, slot), timed_out);
	seq_del(st, slot);
}

/* Adds one stepped call to its trace's running summary. */
static void
summarize(struct inf_trace *t, const struct mw_event *ev, const float *x, const float *pay,
		const float *p, uint32_t nc)
{
	if (mw_trace_root(ev) || t->s.calls == 0) {
		/* the root call (else the first) says where the trace came from */
		where_get(&t->where, ev);
	}
	mw_summary_add(&t->s, ev, x, pay, p, nc);
}

/*
 * The trace model over a batch: one GRU execution per round, each call
 * stepping its trace's state. Calls without a trace id are traces of one
 * call. A trace ends when its root call (mw_trace_root) completes: the
 * root's response is the last thing a trace does.
 */
static void
step_traces(struct inf_lcore *il, void **evs, unsigned int n, const float *pay)
{
	struct inf_level *lv = &il->trace;
	struct inf_gru *g = lv->gru;
	float x[INF_MAX_BATCH * MW_CALL_NFEAT];
	float *state[INF_MAX_BATCH];
	static __thread float probs[INF_MAX_BATCH * MW_MODEL_MAX_CLASSES];
	static __thread struct inf_trace lone[INF_MAX_BATCH];	/* keyless traces */
	struct inf_trace *tr[INF_MAX_BATCH];
	int32_t slot[INF_MAX_BATCH];
	unsigned int idx[INF_MAX_BATCH], wait[INF_MAX_BATCH];
	const uint64_t now = now_ns(il);

	for (unsigned int i = 0; i < n; i++)
		idx[i] = i;
	while (n > 0) {
		unsigned int k = 0, w = 0;
		const uint32_t round = ++il->round;

		for (unsigned int i = 0; i < n; i++) {
			struct mw_event *ev = evs[idx[i]];
			struct inf_trace *t;
			int32_t s = -1;

			if (ev->trace_kind != MW_TRACE_none) {
				s = seq_find(lv->store, ev->trace_id);
				if (s < 0 && lv->store->used >= lv->store->capacity) {
					uint32_t old = seq_oldest(lv->store);
					struct inf_trace *o = seq_entry(lv->store, old);
					if (o->round == round) {	/* store smaller than a batch */
						wait[w++] = idx[i];
						continue;
					}
					end_trace(il, old, true);
					il->c[INF_C_traces_evicted]++;
				}
				if (s < 0)
					s = seq_add(lv->store, ev->trace_id, now);	/* zeroed */
			}
			if (s >= 0) {
				t = seq_entry(lv->store, (uint32_t)s);
				if (t->round == round) {
					wait[w++] = idx[i];
					continue;
				}
				t->round = round;
				seq_touch(lv->store, (uint32_t)s, now);
				state[k] = seq_state(lv->store, (uint32_t)s);
			} else {
				t = &lone[k];
				memset(t, 0, sizeof(*t));
				state[k] = il->lone_state + (size_t)k * g->H;
				memset(state[k], 0, g->H * sizeof(float));
			}
			struct mw_call_ctx ctx = {
				.position = t->s.calls,
				.prev_ts_ns = t->prev_ts_ns,
				.payload = pay + (size_t)idx[i] * MW_PAYLOAD_SLOTS,
				.n_payload = MW_PAYLOAD_SLOTS,
				.foreign = il->objects ? mw_objects_check(il->objects, ev, &t->held) : -1,
			};
			if (il->logins != NULL)
				mw_logins_check(il->logins, ev, &ctx);
			mw_endpoint_observe(il->endpoints, ev, &ctx);
			mw_call_features(ev, &ctx, x + (size_t)k * MW_CALL_NFEAT);
			t->prev_ts_ns = ev->ts_req_ns;
			tr[k] = t;
			slot[k] = s;
			idx[k++] = idx[i];
		}
		if (k > 0 && inf_gru_step(g, x, state, k, probs) < 0) {
			il->c[INF_C_model_errors] += k;
		} else {
			il->c[INF_C_trace_steps] += k;
			for (unsigned int j = 0; j < k; j++) {
				struct mw_event *ev = evs[idx[j]];
				const float *p = probs + (size_t)j * g->n_classes;
				struct inf_trace *t = tr[j];
				float mal = 1.0f - p[0];
				uint16_t best = argmax(p, g->n_classes, g->n_classes > 1);
				ev->seq_class = best;
				ev->seq_score = p[best];
				ev->flags |= MW_EV_TRACE_SCORED;
				summarize(t, ev, x + (size_t)j * MW_CALL_NFEAT,
						pay + (size_t)idx[j] * MW_PAYLOAD_SLOTS, p, g->n_classes);
				if (mw_explain_wants(&t->why, mal - t->mal)) {
					struct mw_elem el;
					make_elem(&el, ev, mal - t->mal, mal);
					elem_journal(il, &el, ev);
					mw_explain_add(&t->why, &el);
				}
				t->mal = mal;
				uint16_t cls = mw_alert_class(p, g->n_classes, lv->thresholds, t->alerted);
				if (cls != 0) {
					t->alerted |= 1u << (cls & 31);
					ev->flags |= MW_EV_TRACE_ALERT;
					il->c[INF_C_trace_alerts]++;
					struct mw_alert *a = new_alert(il, MW_ALERT_trace, cls, p,
							g->n_classes, ev);
					if (a != NULL) {
						a->calls = t->s.calls;
						a->why = t->why;
						alert_snips(il, a);
						send_alert(il, a);
					}
				}
				if (slot[j] < 0)
					send_summary(il, t, ev->trace_id, false);
				else if (mw_trace_root(ev))
					end_trace(il, (uint32_t)slot[j], false);
			}
		}
		memcpy(idx, wait, w * sizeof(*idx));
		n = w;
	}
}

/* Ends the traces and forgets the actors that idled out, a few at a time. */
static void
age(struct inf_lcore *il)
{
	const uint64_t now = now_ns(il);
	struct seq_store *st;
	unsigned int k;

	if ((st = il->trace.store) != NULL)
		for (k = 0; k < 64 && st->head != SEQ_NIL; k++) {
			uint64_t last = st->slot[st->head].last_ns;
			if (now <= last || now - last <= il->trace.timeout_ns)
				break;
			end_trace(il, st->head, true);
		}
	if ((st = il->actor.store) != NULL)
		for (k = 0; k < 64 && st->head != SEQ_NIL; k++) {
			uint64_t last = st->slot[st->head].last_ns;
			if (now <= last || now - last <= il->actor.timeout_ns)
				break;
			seq_del(st, st->head);
			il->c[INF_C_actors_aged]++;
		}
}

/* The models run here; then the batch goes to the main lcore. */
static void
run_batch(struct inf_lcore *il, void **ev, unsigned int n)
{
	float pay[INF_MAX_BATCH * MW_PAYLOAD_SLOTS];
	unsigned int sent;

	il->c[INF_C_batches]++;
	for (unsigned int i = 0; i < n; i++)
		saw_time(il, ((struct mw_event *)ev[i])->ts_req_ns);
	if (il->payload != NULL) {
		mw_stage_enter(&il->stages, INF_STAGE_payload);
		score_payloads(il, ev, n, pay);
		mw_stage_leave(&il->stages);
	} else {
		memset(pay, 0, (size_t)n * MW_PAYLOAD_SLOTS * sizeof(float));
	}
	if (il->trace.gru != NULL) {
		mw_stage_enter(&il->stages, INF_STAGE_trace);
		step_traces(il, ev, n, pay);
		mw_stage_leave(&il->stages);
	}
	mw_stage_enter(&il->stages, INF_STAGE_handoff);
	const uint64_t done = rte_rdtsc();
	for (unsigned int i = 0; i < n; i++) {
		uint64_t t = ((struct mw_event *)ev[i])->rx_tsc;
		uint64_t us = done > t ? (uint64_t)((double)(done - t) * il->us_per_tsc) : 0;
		il->lat[inf_lat_bucket(us)]++;
		il->lat_sum_us += us;
	}
	sent = rte_ring_sp_enqueue_burst(il->to_main, ev, n, NULL);
	while (unlikely((il->stop || il->backpressure) && sent < n)) {
		/* shutdown or backpressure: the main lcore is draining */
		rte_pause();
		sent += rte_ring_sp_enqueue_burst(il->to_main, ev + sent, n - sent, NULL);
	}
	il->c[INF_C_events_out] += sent;
	if (unlikely(sent < n)) {
		il->c[INF_C_out_ring_full] += n - sent;
		rte_mempool_put_bulk(il->event_pool, ev + sent, n - sent);
	}
	mw_stage_leave(&il->stages);
}

/*
 * Shutdown, once every rx lcore is done and its rings are empty: end every
 * open trace (its summary may go to a peer), say so, then keep taking in
 * peers' summaries until every peer has said so and nothing is left.
 */
static void
finish(struct inf_lcore *il)
{
	struct seq_store *st = il->trace.store;

	while (st != NULL && st->head != SEQ_NIL)
		end_trace(il, st->head, true);
	il->flushed = true;
	for (;;) {
		bool all = true;
		for (uint16_t p = 0; p < il->n_inf; p++)
			all &= il->peers[p]->flushed;	/* read before the rings */
		if (poll_peers(il) == 0 && all)
			break;
	}
}

/*
 * Each model once at every batch size, on inert input, on this lcore and
 * before its first event. The first real batch would otherwise page in
 * oneDNN's kernels: after an upgrade (a cold page cache) an appliance
 * started on a busy port dropped 4 703 events in its first second. Nothing
 * here reaches a sequence store, a table or a counter.
 */
void
inf_warm_up(const struct inf_models *m, int socket)
{
	static const uint8_t text[] = "q=warm up";
	const uint8_t *texts[INF_MAX_BATCH];
	uint32_t lens[INF_MAX_BATCH];
	struct inf_gru *const *levels = m->gru;
	struct inf_payload *const p = m->payload;
	size_t x_n = 0, h_n = 0, p_n = 0;

	for (unsigned int l = 0; l < 2; l++)
		if (levels[l] != NULL) {
			x_n = RTE_MAX(x_n, (size_t)levels[l]->batch * levels[l]->I);
			h_n = RTE_MAX(h_n, (size_t)levels[l]->batch * levels[l]->H);
			p_n = RTE_MAX(p_n, (size_t)levels[l]->batch * levels[l]->n_classes);
		}
	if (p != NULL)
		p_n = RTE_MAX(p_n, (size_t)p->batch * p->n_classes);
	float *buf = rte_zmalloc_socket("warm_up", (x_n + h_n + p_n) * sizeof(float),
			RTE_CACHE_LINE_SIZE, socket);
	if (buf == NULL)
		return;		/* only the first batches are slower */
	float *x = buf, *h = buf + x_n, *probs = h + h_n;

	if (p != NULL) {
		for (uint32_t b = 0; b < p->batch; b++) {	/* batch <= INF_MAX_BATCH */
			texts[b] = text;
			lens[b] = sizeof(text) - 1;
		}
		for (uint32_t k = 0; k < p->n_nets; k++)
			(void)inf_payload_run(p, texts, lens, p->size[k], probs);
	}
	for (unsigned int l = 0; l < 2; l++) {
		struct inf_gru *g = levels[l];
		float *state[INF_MAX_BATCH];
		if (g == NULL)
			continue;
		for (uint32_t b = 0; b < g->batch; b++)
			state[b] = h + (size_t)b * g->H;
		for (uint32_t k = 0; k < g->n_nets; k++)
			(void)inf_gru_step(g, x, state, g->size[k], probs);
	}
	rte_free(buf);
}

/* Between batches: takes a reload's models if they wait, leaving the ones
 * they replace in *next for the main lcore. */
static void
models_switch(struct inf_lcore *il)
{
	struct inf_models *n = __atomic_load_n(&il->next, __ATOMIC_ACQUIRE);
	struct inf_models old;

	if (likely(n == NULL))
		return;
	old = (struct inf_models){ il->payload, il->thresholds, { il->trace.gru, il->actor.gru },
		{ il->trace.thresholds, il->actor.thresholds } };
	il->payload = n->payload;
	il->thresholds = n->thresholds;
	il->trace.gru = n->gru[0];
	il->actor.gru = n->gru[1];
	il->trace.thresholds = n->level_thr[0];
	il->actor.thresholds = n->level_thr[1];
	*n = old;
	__atomic_store_n(&il->next, NULL, __ATOMIC_RELEASE);
}

int
inf_main(void *arg)
{
	struct inf_lcore *il = arg;
	void *batch[INF_MAX_BATCH];
	const uint32_t max = il->batch;
	const uint64_t deadline = il->deadline_tsc;
	const uint64_t age_every = rte_get_tsc_hz() / 1000;
	unsigned int n = 0;
	uint64_t first = 0;

	il->tid = rte_sys_gettid();
	omp_set_num_threads(1);	/* oneDNN: this lcore's thread only, no pool */
	inf_warm_up(&(struct inf_models){ .payload = il->payload,
			.gru = { il->trace.gru, il->actor.gru } }, il->socket);
	il->ready = true;
	il->now_tsc = rte_rdtsc();
	if (il->qsbr != NULL)
		rte_rcu_qsbr_thread_online(il->qsbr, il->qsbr_id);
	for (;;) {
		unsigned int got = 0, work = 0;
		bool stopping = il->stop;	/* read before the rings: see below */

		models_switch(il);

		mw_stage_begin(&il->stages, rte_rdtsc());
		for (uint16_t r = 0; r < il->n_rx; r++) {
			unsigned int k = rte_ring_sc_dequeue_burst(il->from_rx[r], batch + n,
					max - n, NULL);
			if (k && n == 0)
				first = rte_rdtsc();
			n += k;
			got += k;
			if (n == max) {
				run_batch(il, batch, n);
				n = 0;
			}
		}
		il->c[INF_C_events_in] += got;
		if (n && (rte_rdtsc() - first > deadline || got == 0)) {
			run_batch(il, batch, n);
			n = 0;
			work = 1;
		}
		if (il->n_inf)
			work += poll_peers(il);
		if (rte_rdtsc() > il->next_age_tsc) {
			age(il);
			il->next_age_tsc = rte_rdtsc() + age_every;
		}
		if (got || work)	/* a pass that did something */
			mw_stage_end(&il->stages, rte_rdtsc());
		/* stop is set after every rx lcore finished producing, so rings
		 * found empty after reading it stay empty */
		if (stopping && got == 0 && n == 0)
			break;
		if (il->qsbr != NULL)	/* holds nothing a reload may free */
			rte_rcu_qsbr_quiescent(il->qsbr, il->qsbr_id);
	}
	if (il->qsbr != NULL)
		rte_rcu_qsbr_thread_offline(il->qsbr, il->qsbr_id);
	if (il->n_inf)
		finish(il);
	il->done = true;
	return 0;
}

/* ---- control path ---- */

int
inf_lcore_levels(struct inf_lcore *il, const struct inf_level *trace, uint32_t trace_keys,
		const struct inf_level *actor, uint32_t actor_keys, char *err, size_t errlen)
{
	char name[32];

	if (trace->gru != NULL) {
		il->trace = *trace;
		snprintf(name, sizeof(name), "traces_%u", il->index);
		il->trace.store = seq_store_create(name, 16, trace_keys, sizeof(struct inf_trace),
				trace->gru->H, il->socket);
		il->lone_state = rte_zmalloc_socket("lone_state",
				(size_t)il->batch * trace->gru->H * sizeof(float), RTE_CACHE_LINE_SIZE,
				il->socket);
		il->snips = rte_zmalloc_socket("snippets", sizeof(struct mw_snip) * INF_SNIPS,
				RTE_CACHE_LINE_SIZE, il->socket);
		il->endpoints = rte_zmalloc_socket("endpoints", sizeof(*il->endpoints),
				RTE_CACHE_LINE_SIZE, il->socket);
		if (il->trace.store == NULL || il->lone_state == NULL || il->snips == NULL ||
				il->endpoints == NULL)
			return inf_fail(err, errlen, "inference lcore %u: cannot allocate %u trace "
					"keys on socket %d (%s); lower models.trace_keys or give "
					"EAL more memory (-m)", il->lcore_id, trace_keys, il->socket,
					rte_strerror(rte_errno));
	}
	if (actor->gru != NULL) {
		il->actor = *actor;
		snprintf(name, sizeof(name), "actors_%u", il->index);
		il->actor.store = seq_store_create(name, 8, actor_keys, sizeof(struct inf_actor),
				actor->gru->H, il->socket);
		if (il->actor.store == NULL)
			return inf_fail(err, errlen, "inference lcore %u: cannot allocate %u actor "
					"keys on socket %d (%s); lower models.actor_keys or give "
					"EAL more memory (-m)", il->lcore_id, actor_keys, il->socket,
					rte_strerror(rte_errno));
	}
	return 0;
}
