/* SPDX-License-Identifier: BSD-3-Clause */
/* The models stacked over a data set (see stack.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gru.h"
#include "payload.h"
#include "stack.h"

#define BATCH 64

int
tr_stack_payload(struct tr_stack *s, const struct tr_data *d, const struct mw_model *m,
		char *err, size_t errlen)
{
	struct inf_payload p;
	int8_t best[BATCH];
	uint32_t windows;

	s->nc[0] = m ? m->n_classes : 0;
	s->pay = calloc(d->n * (s->nc[0] ? s->nc[0] : 1), sizeof(float));
	s->scored = calloc(d->n, 1);
	s->pay_slots = calloc(d->n * MW_PAYLOAD_SLOTS, sizeof(float));
	if (s->pay == NULL || s->scored == NULL || s->pay_slots == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (m == NULL)
		return 0;
	if (inf_payload_init(&p, m, BATCH, -1, INF_F32, err, errlen) < 0)
		return -1;
	/* the appliance's scoring, BATCH calls at a time */
	for (size_t i = 0; i < d->n; i += BATCH) {
		uint32_t k = d->n - i < BATCH ? (uint32_t)(d->n - i) : BATCH;
		if (inf_payload_score(&p, (const struct mw_event *const *)d->ev + i, k,
				s->pay + i * s->nc[0], best, &windows) > 0) {
			inf_payload_free(&p);
			snprintf(err, errlen, "oneDNN: payload model failed");
			return -1;
		}
		for (uint32_t j = 0; j < k; j++) {
			s->scored[i + j] = best[j] >= 0;
			mw_class_slots(s->pay + (i + j) * s->nc[0], s->nc[0],
					s->pay_slots + (i + j) * MW_PAYLOAD_SLOTS, MW_PAYLOAD_SLOTS);
		}
	}
	inf_payload_free(&p);
	return 0;
}

int
tr_stack_gru(const struct mw_model *m, const float *x, uint32_t I, const uint32_t *off,
		const uint32_t *el, size_t n_seq, float *probs, char *err, size_t errlen)
{
	struct inf_gru g;
	float *state = NULL, *xb = NULL, *pb = NULL;
	float *sp[BATCH];
	uint32_t row[BATCH];
	int rc = -1;

	if (inf_gru_init(&g, m, BATCH, -1, INF_F32, err, errlen) < 0)
		return -1;
	state = calloc((size_t)BATCH * g.H, sizeof(float));
	xb = calloc((size_t)BATCH * I, sizeof(float));
	pb = calloc((size_t)BATCH * g.n_classes, sizeof(float));
	if (state == NULL || xb == NULL || pb == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	/* BATCH sequences at a time, stepping their j-th elements together */
	for (size_t q0 = 0; q0 < n_seq; q0 += BATCH) {
		size_t nq = n_seq - q0 < BATCH ? n_seq - q0 : BATCH;
		uint32_t longest = 0;
		memset(state, 0, (size_t)BATCH * g.H * sizeof(float));
		for (size_t q = 0; q < nq; q++)
			if (off[q0 + q + 1] - off[q0 + q] > longest)
				longest = off[q0 + q + 1] - off[q0 + q];
		for (uint32_t j = 0; j < longest; j++) {
			uint32_t k = 0;
			for (size_t q = 0; q < nq; q++) {
				if (off[q0 + q] + j >= off[q0 + q + 1])
					continue;
				row[k] = el[off[q0 + q] + j];
				memcpy(xb + (size_t)k * I, x + (size_t)row[k] * I, I * sizeof(float));
				sp[k++] = state + q * g.H;
			}
			if (inf_gru_step(&g, xb, sp, k, pb) < 0) {
				snprintf(err, errlen, "oneDNN: sequence model failed");
				goto out;
			}
			for (uint32_t r = 0; r < k; r++)
				memcpy(probs + (size_t)row[r] * g.n_classes, pb + (size_t)r * g.n_classes,
						g.n_classes * sizeof(float));
		}
	}
	rc = 0;
out:
	free(state), free(xb), free(pb);
	inf_gru_free(&g);
	return rc;
}

int
tr_stack_trace(struct tr_stack *s, const struct tr_data *d, const struct mw_model *m,
		char *err, size_t errlen)
{
	free(s->tp);
	s->nc[1] = m ? m->n_classes : 0;
	s->tp = calloc(d->n * (s->nc[1] ? s->nc[1] : 1), sizeof(float));
	if (s->tp == NULL || (s->xc == NULL &&
			(s->xc = calloc(d->n * MW_CALL_NFEAT, sizeof(float))) == NULL)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* the object table and the endpoint baselines see the calls in log
	 * order, as the appliance's inference lcores did */
	struct mw_endpoints *eb = calloc(1, sizeof(*eb));
	struct mw_objects *ob = calloc(1, sizeof(*ob));
	struct mw_logins *lo = calloc(1, sizeof(*lo));
	struct mw_call_ctx *view = malloc(d->n * sizeof(*view) + 1);
	struct mw_trace_objects *held = calloc(d->n_traces + 1, sizeof(*held));
	uint32_t *trace_of = malloc(d->n * sizeof(*trace_of) + 1);
	if (eb == NULL || ob == NULL || lo == NULL || view == NULL || held == NULL ||
			trace_of == NULL) {
		free(eb), free(ob), free(lo), free(view), free(held), free(trace_of);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < d->n; i++)
		trace_of[i] = (uint32_t)d->n_traces;	/* every call is in one; a spare all the same */
	for (size_t t = 0; t < d->n_traces; t++)
		for (uint32_t j = d->trace_off[t]; j < d->trace_off[t + 1]; j++)
			trace_of[d->trace_ev[j]] = (uint32_t)t;
	unsigned int cap = 1;
	for (size_t i = 0; i < d->n; i++) {
		if (cap < d->n_captures && i == d->capture_start[cap]) {
			/* the next capture: another appliance, its tables empty */
			memset(eb, 0, sizeof(*eb)), memset(ob, 0, sizeof(*ob));
			memset(lo, 0, sizeof(*lo));
			cap++;
		}
		memset(&view[i], 0, sizeof(view[i]));
		view[i].foreign = mw_objects_check(ob, d->ev[i], &held[trace_of[i]]);
		mw_endpoint_observe(eb, d->ev[i], &view[i]);
		mw_logins_check(lo, d->ev[i], &view[i]);
	}
	for (size_t t = 0; t < d->n_traces; t++) {
		uint64_t prev = 0;
		for (uint32_t j = d->trace_off[t]; j < d->trace_off[t + 1]; j++) {
			uint32_t i = d->trace_ev[j];
			struct mw_call_ctx ctx = view[i];
			ctx.position = j - d->trace_off[t];
			ctx.prev_ts_ns = prev;
			ctx.payload = s->pay_slots + (size_t)i * MW_PAYLOAD_SLOTS;
			ctx.n_payload = MW_PAYLOAD_SLOTS;
			mw_call_features(d->ev[i], &ctx, s->xc + (size_t)i * MW_CALL_NFEAT);
			prev = d->ev[i]->ts_req_ns;
		}
	}
	free(eb), free(ob), free(lo), free(view), free(held), free(trace_of);
	if (m == NULL)
		return 0;
	return tr_stack_gru(m, s->xc, MW_CALL_NFEAT, d->trace_off, d->trace_ev, d->n_traces, s->tp,
			err, errlen);
}

int
tr_stack_actor(struct tr_stack *s, const struct tr_data *d, const struct mw_model *m,
		char *err, size_t errlen)
{
	struct seq_summary *sum = calloc(d->n_traces + 1, sizeof(*sum));
	struct mw_actor_history h;
	const float zero[MW_MODEL_MAX_CLASSES] = { 0 };
	static const float zero_call[MW_CALL_NFEAT];

	s->nc[2] = m ? m->n_classes : 0;
	s->xt = calloc(d->n_traces * MW_TRACE_NFEAT + 1, sizeof(float));
	s->ap = calloc(d->n_traces * (s->nc[2] ? s->nc[2] : 1) + 1, sizeof(float));
	if (sum == NULL || s->xt == NULL || s->ap == NULL) {
		free(sum);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t t = 0; t < d->n_traces; t++)
		for (uint32_t j = d->trace_off[t]; j < d->trace_off[t + 1]; j++) {
			uint32_t i = d->trace_ev[j];
			mw_summary_add(&sum[t], d->ev[i], s->xc ? s->xc + (size_t)i * MW_CALL_NFEAT :
					zero_call,
					s->pay_slots + (size_t)i * MW_PAYLOAD_SLOTS,
					s->nc[1] ? s->tp + (size_t)i * s->nc[1] : zero,
					s->nc[1] ? s->nc[1] : 1);
			sum[t].timed_out = !mw_trace_root(d->ev[d->trace_end[t]]);
		}
	for (size_t a = 0; a < d->n_actors; a++) {
		memset(&h, 0, sizeof(h));
		for (uint32_t j = d->actor_off[a]; j < d->actor_off[a + 1]; j++) {
			uint32_t t = d->actor_tr[j];
			mw_actor_step(&h, &sum[t], s->xt + (size_t)t * MW_TRACE_NFEAT);
		}
	}
	free(sum);
	if (m == NULL)
		return 0;
	return tr_stack_gru(m, s->xt, MW_TRACE_NFEAT, d->actor_off, d->actor_tr, d->n_actors, s->ap,
			err, errlen);
}

void
tr_stack_free(struct tr_stack *s)
{
	free(s->pay), free(s->scored), free(s->pay_slots), free(s->xc), free(s->tp);
	free(s->xt), free(s->ap);
	memset(s, 0, sizeof(*s));
}
