/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The appliance's three models stacked over a loaded data set, computed
 * with the appliance's own inference code (payload.h, gru.h) and feature
 * schema (schema.h), in the order the appliance steps them:
 *
 *   payload  every call with a pre-filter match: probabilities over its
 *            window; its non-benign slots feed the call features;
 *   trace    a GRU step per call, per trace, in arrival order;
 *   actor    a GRU step per finished trace (its summary), per actor.
 *
 * A level whose model is NULL gives zero probabilities, as in the
 * appliance. Everything is f32, batch 64.
 */
#ifndef TRAIN_STACK_H
#define TRAIN_STACK_H

#include "data.h"
#include "model.h"
#include "schema.h"

struct tr_stack {
	uint32_t nc[3];		/* classes per level (payload, trace, actor); 0: no model */
	float *pay;		/* n x nc[0] payload probabilities (0 where not scored) */
	uint8_t *scored;	/* n: the payload model scored it */
	float *pay_slots;	/* n x MW_PAYLOAD_SLOTS */
	float *xc;		/* n x MW_CALL_NFEAT call features */
	float *tp;		/* n x nc[1] trace-model probabilities after each call */
	float *xt;		/* n_traces x MW_TRACE_NFEAT trace features */
	float *ap;		/* n_traces x nc[2] actor-model probabilities after each trace */
};

/* Each level in turn; levels after the first NULL model are computed with
 * it absent. tr_stack_trace() may be called again once its model exists:
 * the call features are kept, the probabilities recomputed. 0, or -1 with
 * a message. */
int tr_stack_payload(struct tr_stack *s, const struct tr_data *d, const struct mw_model *m,
		char *err, size_t errlen);
int tr_stack_trace(struct tr_stack *s, const struct tr_data *d, const struct mw_model *m,
		char *err, size_t errlen);
int tr_stack_actor(struct tr_stack *s, const struct tr_data *d, const struct mw_model *m,
		char *err, size_t errlen);
void tr_stack_free(struct tr_stack *s);

/* Steps a sequence model over sequences: elements el[off[q] .. off[q+1])
 * of sequence q are rows of x (I features each); probs gets each row's
 * probabilities (rows x m->n_classes). */
int tr_stack_gru(const struct mw_model *m, const float *x, uint32_t I, const uint32_t *off,
		const uint32_t *el, size_t n_seq, float *probs, char *err, size_t errlen);

#endif
