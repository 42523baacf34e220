/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch-train: the appliance's models from its own event logs and the
 * generator's labels.
 *
 *   meshwatch-train --events E.jsonl --labels PREFIX [--events ... --labels ...]
 *                   --val-events V.jsonl --val-labels VPREFIX --out DIR [options]
 *
 * Writes DIR/payload.mwm, DIR/trace.mwm and DIR/actor.mwm, in that order:
 * each level is trained on the features the levels below it give on the
 * training data, computed with the appliance's own inference code
 * (stack.h). Thresholds are chosen on the validation set (never the test
 * set) for a target false-positive rate, and written into the model files
 * with how each model was made. See inference/MODEL_CARD.md.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "data.h"
#include "nn.h"
#include "schema.h"
#include "stack.h"

#define MAX_SETS 8
#define PRE_BUCKETS 24		/* next-call pre-training: endpoint buckets x status class */

struct opts {
	const char *events[MAX_SETS], *labels[MAX_SETS];
	int n_sets, n_labels;
	const char *val_events[MAX_SETS], *val_labels[MAX_SETS];
	int n_val, n_val_labels;
	const char *out, *init;
	const char *only;		/* payload,trace,actor */
	uint64_t seed;
	int epochs, seq_epochs, pretrain_epochs;
	uint32_t L, E, C, K, H, T;
	double fpr, seq_fpr, label_fraction;
	float lr, init_weight;
	char command[2048];
};

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- progress: a bar on a terminal, a line per epoch elsewhere ---- */

static void
progress(const char *what, int epoch, int epochs, size_t done, size_t total, double loss,
		double rate, int end)
{
	if (isatty(STDERR_FILENO)) {
		char bar[31];
		int k = total ? (int)(30 * done / total) : 30;
		for (int i = 0; i < 30; i++)
			bar[i] = i < k ? '#' : '.';
		bar[30] = '\0';
		fprintf(stderr, "\r%-14s epoch %2d/%d [%s] loss %.4f  %8.0f/s%s", what, epoch,
				epochs, bar, loss, rate, end ? "\n" : "");
		fflush(stderr);
	} else if (end) {
		fprintf(stderr, "%s: epoch %d/%d loss %.4f %.0f samples/s\n", what, epoch, epochs,
				loss, rate);
	}
}

/* ---- sampling ---- */

static void
shuffle(uint32_t *a, size_t n, uint64_t *seed)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = tr_rand(seed) % i;
		uint32_t t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* Class weights: (n / (classes * n_c))^0.5, so rare attacks count without
 * drowning the benign mass; 0 for absent classes. */
static void
class_weights(const int *y, const float *w, size_t n, uint32_t N, float *cw)
{
	double cnt[MW_MODEL_MAX_CLASSES] = { 0 }, tot = 0;
	uint32_t present = 0;

	for (size_t i = 0; i < n; i++)
		if (w[i] > 0.0f) {
			cnt[y[i]]++;
			tot++;
		}
	for (uint32_t c = 0; c < N; c++)
		present += cnt[c] > 0;
	for (uint32_t c = 0; c < N; c++)
		cw[c] = cnt[c] > 0 ? (float)sqrt(tot / (present * cnt[c])) : 0.0f;
}

/* ---- the payload model ---- */

/* Which of a payload attack's windows holds the attack: the record its
 * label names, else the record with the most pre-filter matches (named:
 * 1, so the others may serve as benign examples). */
static unsigned int
attack_window(const struct mw_event *ev, const struct tr_truth *t, const uint8_t *match,
		unsigned int nw, int *named)
{
	unsigned int best = 0, most = 0;

	*named = 0;
	for (unsigned int w = 0; w < nw; w++) {
		const char *name, *other;
		uint32_t len, olen;
		mw_payload_record_name(ev, match[w], &name, &len);
		if (t->location != 0 && tr_name_hash(name, len) == t->location) {
			*named = 1;
			return w;
		}
		unsigned int in = 0;
		for (unsigned int k = 0; k < ev->pf_nmatch && k < MW_EVENT_MAX_MATCHES; k++) {
			mw_payload_record_name(ev, k, &other, &olen);
			in += other == name;
		}
		if (in > most)
			most = in, best = w;
	}
	return best;
}

static int
train_payload(struct tr_payload *net, const struct tr_data *d, const uint8_t *keep,
		const struct opts *o, json_object *meta, char *err, size_t errlen)
{
	const uint32_t B = net->B;
	size_t n = 0, cap = d->n * MW_PAYLOAD_WINDOWS;
	uint32_t *idx = malloc(cap * sizeof(*idx));
	uint8_t *win = malloc(cap);
	int *ys = malloc(cap * sizeof(int)), yb[256];
	float *ws = malloc(cap * sizeof(float)), wb[256], cw[MW_MODEL_MAX_CLASSES];
	uint64_t seed = o->seed ^ 0x5041594c4f4144ull;
	struct tr_opt opt = { .lr = o->lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
		.decay = 1e-5f };
	double loss = 0.0;

	if (idx == NULL || win == NULL || ys == NULL || ws == NULL) {
		free(idx), free(win), free(ys), free(ws);
		return snprintf(err, errlen, "out of memory"), -1;
	}
	/* samples are windows: every window of a benign call is benign; a
	 * payload attack's own window has its class, and its other windows
	 * are benign when the label says which field the attack is in */
	for (size_t i = 0; i < d->n; i++) {
		const uint8_t *t[MW_PAYLOAD_WINDOWS];
		uint32_t len[MW_PAYLOAD_WINDOWS];
		uint8_t m[MW_PAYLOAD_WINDOWS];
		const struct tr_truth *tt = &d->truth[i];
		if (tt->cls < 0 || !keep[i] || d->ev[i]->pf_categories == 0)
			continue;
		unsigned int nw = mw_payload_windows(d->ev[i], net->L, t, len, m,
				MW_PAYLOAD_WINDOWS);
		int named = 1;
		unsigned int a = tt->payload ? attack_window(d->ev[i], tt, m, nw, &named) : nw;
		for (unsigned int w = 0; w < nw; w++) {
			if (w != a && !named)
				continue;
			idx[n] = (uint32_t)i;
			win[n] = (uint8_t)w;
			ys[n] = w == a ? tt->payload : 0;
			ws[n++] = 1.0f;
		}
	}
	if (n == 0) {
		free(idx), free(win), free(ys), free(ws);
		return snprintf(err, errlen, "no labeled calls with a pre-filter match to train the "
				"payload model on"), -1;
	}
	class_weights(ys, ws, n, net->N, cw);
	uint32_t *order = malloc(n * sizeof(*order));
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	for (int ep = 1; ep <= o->epochs; ep++) {
		double t0 = now(), sum = 0.0;
		size_t steps = 0;
		shuffle(order, n, &seed);
		opt.lr = o->lr * (ep > o->epochs / 2 ? 0.3f : 1.0f);
		for (size_t s = 0; s < n; s += B) {
			for (uint32_t b = 0; b < B; b++) {
				if (s + b < n) {
					uint32_t k = order[s + b];
					const uint8_t *t[MW_PAYLOAD_WINDOWS];
					uint32_t len[MW_PAYLOAD_WINDOWS];
					uint8_t m[MW_PAYLOAD_WINDOWS];
					mw_payload_windows(d->ev[idx[k]], net->L, t, len, m,
							MW_PAYLOAD_WINDOWS);
					tr_payload_set(net, b, t[win[k]], len[win[k]]);
					yb[b] = ys[k];
					wb[b] = cw[ys[k]];
				} else {
					tr_payload_set(net, b, NULL, 0);
					yb[b] = 0;
					wb[b] = 0.0f;
				}
			}
			double l = tr_payload_step(net, yb, wb);
			if (l < 0) {
				free(idx), free(win), free(ys), free(ws), free(order);
				return snprintf(err, errlen, "oneDNN: payload training step failed"), -1;
			}
			tr_adam(&opt, net->p, 5);
			sum += l;
			steps++;
			if (steps % 16 == 0)
				progress("payload", ep, o->epochs, s + B, n, sum / steps,
						(double)(s + B) / (now() - t0), 0);
		}
		loss = sum / (double)steps;
		progress("payload", ep, o->epochs, n, n, loss, (double)n / (now() - t0), 1);
	}
	json_object_object_add(meta, "samples", json_object_new_int64((int64_t)n));
	json_object_object_add(meta, "final_loss", json_object_new_double(loss));
	free(idx), free(win), free(ys), free(ws), free(order);
	return 0;
}

/* ---- the sequence models ---- */

struct seqset {
	const float *x;		/* rows x I */
	const uint32_t *off, *el;
	size_t n_seq;
	const int *y;		/* per row */
	const float *w;		/* per row; 0: no target */
};

/*
 * Truncated back-propagation through time: B lanes, each running its
 * sequences T elements at a time; a lane carries its state into the next
 * window of the same sequence (no gradient crosses the window's start) and
 * starts a new sequence from zero. The weights kept are the mean of those
 * after each epoch of the second, lower-rate half (stochastic weight
 * averaging): one epoch's weights land wherever its last batches left them,
 * and the sequence models' thresholds sit where that shows.
 */
/* The values of a model's five tensors, end to end. */
static size_t
params_size(const struct tr_param *p)
{
	size_t total = 0;

	for (unsigned int k = 0; k < 5; k++)
		total += p[k].n;
	return total;
}

static int
train_gru(struct tr_gru *g, const struct seqset *S, int epochs, float lr, uint64_t seed,
		const char *what, double *final, char *err, size_t errlen)
{
	const uint32_t B = g->B, T = g->T, I = g->I, H = g->H;
	uint32_t *order = malloc((S->n_seq + 1) * sizeof(*order));
	int *yb = malloc((size_t)T * B * sizeof(int));
	float *wb = malloc((size_t)T * B * sizeof(float));
	int64_t cur[256];
	uint32_t pos[256];
	struct tr_opt opt = { .lr = lr, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
		.decay = 1e-5f };
	size_t n = 0, rows = 0, total = params_size(g->p);
	float *avg = NULL;
	int averaged = 0;

	if (epochs >= 4)
		avg = calloc(total, sizeof(*avg));
	if (order == NULL || yb == NULL || wb == NULL || B > 256 || (epochs >= 4 && avg == NULL)) {
		free(order), free(yb), free(wb), free(avg);
		return snprintf(err, errlen, "out of memory"), -1;
	}
	for (size_t q = 0; q < S->n_seq; q++) {
		int any = 0;
		for (uint32_t j = S->off[q]; j < S->off[q + 1]; j++)
			any |= S->w[S->el[j]] > 0.0f;
		if (any) {
			order[n++] = (uint32_t)q;
			rows += S->off[q + 1] - S->off[q];
		}
	}
	if (n == 0) {
		free(order), free(yb), free(wb), free(avg);
		return snprintf(err, errlen, "%s: no labeled sequences", what), -1;
	}
	for (int ep = 1; ep <= epochs; ep++) {
		double t0 = now(), sum = 0.0;
		size_t next = 0, steps = 0, done = 0;
		shuffle(order, n, &seed);
		opt.lr = lr * (ep > epochs / 2 ? 0.3f : 1.0f);
		for (uint32_t b = 0; b < B; b++)
			cur[b] = -1;
		for (;;) {
			int live = 0;
			for (uint32_t b = 0; b < B; b++) {
				int carry = cur[b] >= 0 && pos[b] < S->off[cur[b] + 1];
				if (!carry) {
					cur[b] = next < n ? (int64_t)order[next++] : -1;
					if (cur[b] >= 0)
						pos[b] = S->off[cur[b]];
				}
				if (carry)
					memcpy(g->h0 + (size_t)b * H, g->hT + (size_t)b * H,
							H * sizeof(float));
				else
					memset(g->h0 + (size_t)b * H, 0, H * sizeof(float));
				for (uint32_t t = 0; t < T; t++) {
					float *x = g->x + ((size_t)t * B + b) * I;
					size_t r = (size_t)t * B + b;
					if (cur[b] >= 0 && pos[b] < S->off[cur[b] + 1]) {
						uint32_t row = S->el[pos[b]++];
						memcpy(x, S->x + (size_t)row * I, I * sizeof(float));
						yb[r] = S->y[row];
						wb[r] = S->w[row];
						live = 1;
						done++;
					} else {
						memset(x, 0, I * sizeof(float));
						yb[r] = 0;
						wb[r] = 0.0f;
					}
				}
			}
			if (!live)
				break;
			double l = tr_gru_step(g, yb, wb);
			if (l < 0) {
				free(order), free(yb), free(wb), free(avg);
				return snprintf(err, errlen, "oneDNN: %s training step failed", what), -1;
			}
			tr_adam(&opt, g->p, 5);
			sum += l;
			steps++;
			if (steps % 32 == 0)
				progress(what, ep, epochs, done, rows, sum / steps,
						(double)done / (now() - t0), 0);
		}
		*final = sum / (double)(steps ? steps : 1);
		progress(what, ep, epochs, rows, rows, *final, (double)rows / (now() - t0), 1);
		if (avg != NULL && ep > epochs / 2) {
			averaged++;
			for (unsigned int k = 0, o = 0; k < 5; o += (unsigned int)g->p[k].n, k++)
				for (size_t i = 0; i < g->p[k].n; i++)
					avg[o + i] += (g->p[k].w[i] - avg[o + i]) / (float)averaged;
		}
	}
	if (averaged > 0)
		for (unsigned int k = 0, o = 0; k < 5; o += (unsigned int)g->p[k].n, k++)
			memcpy(g->p[k].w, avg + o, g->p[k].n * sizeof(float));
	free(order), free(yb), free(wb), free(avg);
	return 0;
}

/* Which classes a trace can show by itself; the rest are the actor's. */
static int
trace_visible(int cls)
{
	return cls == CLS_SQLI || cls == CLS_XSS || cls == CLS_CMDI || cls == CLS_TRAVERSAL ||
		cls == CLS_SSRF || cls == CLS_JNDI || cls == CLS_SSTI || cls == CLS_NOSQLI ||
		cls == CLS_BFLA || cls == CLS_MASS_ASSIGNMENT || cls == CLS_BROKEN_AUTH;
}

/* Per-call targets: from the trace's first malicious call on, its class. */
static void
trace_targets(const struct tr_data *d, const uint8_t *keep, int *y, float *w)
{
	for (size_t t = 0; t < d->n_traces; t++) {
		int cur = 0;
		for (uint32_t j = d->trace_off[t]; j < d->trace_off[t + 1]; j++) {
			uint32_t i = d->trace_ev[j];
			const struct tr_truth *tt = &d->truth[i];
			if (cur == 0 && tt->malicious && tt->cls > 0 && trace_visible(tt->cls))
				cur = tt->cls;
			y[i] = cur;
			w[i] = tt->cls >= 0 && keep[i] ? 1.0f : 0.0f;
		}
	}
}

/* Per-trace targets: from the actor's first trace with a malicious call
 * on, the actor's class. */
static void
actor_targets(const struct tr_data *d, const uint8_t *keep, int *y, float *w)
{
	for (size_t a = 0; a < d->n_actors; a++) {
		int cur = 0;
		for (uint32_t j = d->actor_off[a]; j < d->actor_off[a + 1]; j++) {
			uint32_t t = d->actor_tr[j], first = d->trace_ev[d->trace_off[t]];
			int labeled = 0;
			for (uint32_t e = d->trace_off[t]; e < d->trace_off[t + 1]; e++) {
				const struct tr_truth *tt = &d->truth[d->trace_ev[e]];
				labeled |= tt->cls >= 0;
				if (cur == 0 && tt->malicious && tt->cls > 0)
					cur = d->actor_cls[a] > 0 ? d->actor_cls[a] : tt->cls;
			}
			y[t] = cur;
			w[t] = labeled && keep[first] ? 1.0f : 0.0f;
		}
	}
}

static void
weigh(const int *y, float *w, size_t n, uint32_t N)
{
	float cw[MW_MODEL_MAX_CLASSES];

	class_weights(y, w, n, N, cw);
	for (size_t i = 0; i < n; i++)
		if (w[i] > 0.0f)
			w[i] = cw[y[i]];
}

/* Self-supervised targets: the next element's endpoint bucket and status
 * class, one joint class; the last element has none. */
static void
next_targets(const struct tr_data *d, const uint32_t *off, const uint32_t *el, size_t n_seq,
		int actor_level, int *y, float *w)
{
	for (size_t q = 0; q < n_seq; q++)
		for (uint32_t j = off[q]; j < off[q + 1]; j++) {
			uint32_t row = el[j];
			w[row] = 0.0f;
			y[row] = 0;
			if (j + 1 >= off[q + 1])
				continue;
			uint32_t nx = el[j + 1];
			const struct mw_event *ev = d->ev[actor_level ? d->trace_end[nx] : nx];
			unsigned int sc = ev->status >= 100 && ev->status < 600 ? ev->status / 100 : 0;
			y[row] = (int)((ev->template_id % PRE_BUCKETS) * 6 + sc);
			w[row] = 1.0f;
		}
}

/* ---- thresholds ---- */

static int
by_float_desc(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x < y) - (x > y);
}

/* Benign units that some class's threshold would alert on. */
static size_t
union_alerts(const float *scores, const uint8_t *benign, size_t units, uint32_t N,
		const float *thr)
{
	size_t n = 0;

	for (size_t u = 0; u < units; u++) {
		if (!benign[u])
			continue;
		uint32_t c = 1;
		while (c < N && scores[u * N + c] < thr[c])
			c++;
		n += c < N;
	}
	return n;
}

/* The lowest threshold a score stays under: just above it, not under
 * floor_, at most 0.999. */
static float
just_above(float score, float floor_)
{
	float t = nextafterf(score, 2.0f);
	return t < floor_ ? floor_ : t > 0.999f ? 0.999f : t;
}

/* Each class's lowest threshold (not under floor_, at most 0.999) with at
 * most b of the nb benign scores at or above it: above the (b+1)-th
 * highest. sorted + c * stride: class c's benign scores, highest first. */
static void
share_thresholds(const float *sorted, size_t stride, size_t nb, uint32_t N, size_t b,
		float floor_, float *thr)
{
	thr[0] = 1.0f;
	for (uint32_t c = 1; c < N; c++)
		thr[c] = b < nb ? just_above(sorted[c * stride + b], floor_) : floor_;
}

/*
 * Thresholds for a false-positive rate of the whole model, not of each
 * class: at most fpr x n_benign of the benign units may alert on any class.
 * Every class gets the same share b of benign units above its threshold
 * (its lowest threshold, not under floor_, with at most b benign scores at
 * or above it), and b is the largest share whose union stays in budget.
 * scores[u * N + c] is unit u's highest probability of class c.
 */
static void
pick_thresholds(const float *scores, const uint8_t *benign, size_t units, uint32_t N, double fpr,
		float floor_, float *thr)
{
	float *v = malloc((units + 1) * sizeof(float) * N);
	size_t nb = 0;

	for (size_t u = 0; u < units; u++)
		nb += benign[u];
	size_t budget = (size_t)floor(fpr * (double)nb);
	for (uint32_t c = 1; c < N; c++) {
		float *vc = v + (size_t)c * (units + 1);
		size_t k = 0;
		for (size_t u = 0; u < units; u++)
			if (benign[u])
				vc[k++] = scores[u * N + c];
		qsort(vc, k, sizeof(float), by_float_desc);
	}
	size_t lo = 0, hi = budget;	/* the largest share b that fits */
	while (lo <= hi) {
		size_t b = lo + (hi - lo) / 2;
		share_thresholds(v, units + 1, nb, N, b, floor_, thr);
		if (union_alerts(scores, benign, units, N, thr) <= budget)
			lo = b + 1;
		else if (b == 0)
			break;
		else
			hi = b - 1;
	}
	share_thresholds(v, units + 1, nb, N, lo > 0 ? lo - 1 : 0, floor_, thr);
	free(v);
}

struct ranked {
	float score;
	uint32_t unit;
};

static int
by_score_desc(const void *a, const void *b)
{
	float x = ((const struct ranked *)a)->score, y = ((const struct ranked *)b)->score;
	return (x < y) - (x > y);
}

/* How many of the n scores (highest first) are at or above t. */
static size_t
at_or_above(const struct ranked *r, size_t n, float t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].score >= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Thresholds for a false-positive rate of the whole model, spent where it
 * buys the most recall. A sequence model's benign tail is a handful of
 * units per class (0.5% of 2 600 validation actors is 13 over 16 classes),
 * so an even share (pick_thresholds) lets one odd benign actor set a
 * class's threshold above most of its attackers. Here every class starts
 * above its highest benign score, and the budget goes, one step at a time,
 * to the class whose next lower threshold gains the largest share of its
 * own attackers per benign unit it newly alerts on (a unit that already
 * alerts on another class costs nothing), until no step that gains fits.
 * cls[u]: 0 benign, c > 0 an attacker of class c, < 0 neither.
 *
 * The budget is counted in whom an analyst sees alerted: with group, a
 * unit's group (a trace's actor), and fpr is the share of groups with a
 * benign unit that one of those units' alerts may name. A user makes tens
 * of traces, so 0.5% of benign traces is several percent of users; NULL:
 * each unit is its own group.
 */
static void
spend_thresholds(const float *scores, const int8_t *cls, size_t units, const uint32_t *group,
		size_t n_groups, uint32_t N, double fpr, float floor_, float *thr)
{
	struct ranked *neg = malloc((units + 1) * N * sizeof(*neg));
	struct ranked *pos = malloc((units + 1) * N * sizeof(*pos));
	size_t *nneg = calloc(N, sizeof(size_t)), *npos = calloc(N, sizeof(size_t));
	const size_t ng = group ? n_groups : units;
	uint8_t *alerts = calloc(ng + 1, 1);	/* alerts on a group's benign units */
	size_t nb = 0;

#define GROUP(u) (group ? group[u] : (u))
	for (size_t u = 0; u < units; u++)	/* marks the groups with a benign unit */
		if (cls[u] == 0 && alerts[GROUP(u)] == 0)
			alerts[GROUP(u)] = 1, nb++;
	memset(alerts, 0, ng + 1);
	size_t left = (size_t)floor(fpr * (double)nb);
	for (uint32_t c = 1; c < N; c++) {
		struct ranked *n = neg + (size_t)c * (units + 1), *p = pos + (size_t)c * (units + 1);
		for (size_t u = 0; u < units; u++) {
			struct ranked r = { scores[u * N + c], (uint32_t)u };
			if (cls[u] == 0)
				n[nneg[c]++] = r;
			else if (cls[u] == (int8_t)c)
				p[npos[c]++] = r;
		}
		qsort(n, nneg[c], sizeof(*n), by_score_desc);
		qsort(p, npos[c], sizeof(*p), by_score_desc);
	}
	thr[0] = 1.0f;
	/* class c's threshold with its j highest benign scores above it */
#define STEP_THR(c, j) ((j) < nneg[c] ? \
		just_above(neg[(size_t)(c) * (units + 1) + (j)].score, floor_) : floor_)
	for (uint32_t c = 1; c < N; c++)
		thr[c] = STEP_THR(c, 0);
	for (;;) {
		uint32_t best = 0;
		size_t best_cost = 0;
		float best_t = 1.0f;
		double best_ratio = 0.0;
		for (uint32_t c = 1; c < N; c++) {
			const struct ranked *n = neg + (size_t)c * (units + 1);
			const struct ranked *p = pos + (size_t)c * (units + 1);
			const size_t tp = at_or_above(p, npos[c], thr[c]);
			size_t above = at_or_above(n, nneg[c], thr[c]), cost = 0;
			for (size_t j = above + 1; j <= nneg[c] && thr[c] > floor_; j++) {
				float t = STEP_THR(c, j);
				size_t now = at_or_above(n, nneg[c], t);
				for (; above < now; above++)
					cost += alerts[GROUP(n[above].unit)] == 0;
				if (cost > left)
					break;
				size_t gain = at_or_above(p, npos[c], t) - tp;
				double ratio = (double)gain / (double)npos[c] / (cost ? (double)cost : 1e-3);
				if (gain > 0 && ratio > best_ratio) {
					best_ratio = ratio;
					best = c;
					best_t = t;
					best_cost = cost;
				}
				if (t <= floor_)
					break;
			}
		}
		if (best == 0)
			break;
		const struct ranked *n = neg + (size_t)best * (units + 1);
		for (size_t j = at_or_above(n, nneg[best], thr[best]);
				j < at_or_above(n, nneg[best], best_t); j++)
			alerts[GROUP(n[j].unit)] = 1;
		thr[best] = best_t;
		left -= best_cost;
	}
#undef STEP_THR
#undef GROUP
	free(neg), free(pos), free(nneg), free(npos), free(alerts);
}

/* ---- model files ---- */

static int
write_model(const char *dir, const char *file, uint32_t kind, uint64_t schema, const uint32_t *dims,
		const char *const *names, uint32_t N, const float *thr, const struct tr_param *p,
		json_object *meta, char *err, size_t errlen)
{
	char path[4096];
	struct mw_tensor t[5];
	struct mw_model_spec spec = { .kind = kind, .schema_hash = schema, .n_classes = N,
		.class_names = names, .thresholds = thr, .n_tensors = 5, .tensors = t,
		.meta = json_object_to_json_string_ext(meta, JSON_C_TO_STRING_PLAIN) };

	memcpy(spec.dims, dims, 4 * sizeof(uint32_t));
	tr_params_tensors(p, 5, t);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (mw_model_write(path, &spec, err, errlen) < 0)
		return -1;
	fprintf(stderr, "wrote %s\n", path);
	return 0;
}

static json_object *
base_meta(const struct opts *o, const char *what)
{
	json_object *m = json_object_new_object(), *data = json_object_new_array();
	char date[32];
	time_t t = time(NULL);

	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	json_object_object_add(m, "made_by", json_object_new_string("meshwatch-train"));
	json_object_object_add(m, "model", json_object_new_string(what));
	json_object_object_add(m, "date", json_object_new_string(date));
	json_object_object_add(m, "command", json_object_new_string(o->command));
	json_object_object_add(m, "seed", json_object_new_int64((int64_t)o->seed));
	for (int i = 0; i < o->n_sets; i++)
		json_object_array_add(data, json_object_new_string(o->events[i]));
	json_object_object_add(m, "data", data);
	json_object *val = json_object_new_array();
	for (int i = 0; i < o->n_val; i++)
		json_object_array_add(val, json_object_new_string(o->val_events[i]));
	json_object_object_add(m, "validation", val);
	json_object_object_add(m, "label_fraction", json_object_new_double(o->label_fraction));
	if (o->init)
		json_object_object_add(m, "warm_start", json_object_new_string(o->init));
	json_object_object_add(m, "schema_version", json_object_new_int(MW_FEATURES_VERSION));
	return m;
}

/* Warm start: the same tensor from DIR/file when --init DIR. */
static int
warm(const struct opts *o, const char *file, uint32_t kind, struct tr_param *p, char *err,
		size_t errlen)
{
	char path[4096];

	if (o->init == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", o->init, file);
	struct mw_model *m = mw_model_load(path, kind, 0, err, errlen);
	if (m == NULL)
		return -1;
	int rc = tr_params_load(p, 5, m, err, errlen);
	mw_model_free(m);
	if (rc == 0)
		fprintf(stderr, "warm start from %s\n", path);
	return rc;
}

/*
 * A weight-space ensemble of the warm start and what training made of it
 * (Wortsman et al., "Robust fine-tuning of zero-shot models", CVPR 2022):
 * fine-tuned on the one or two attackers per class that a few labels of a
 * new application hold, a model learns them and forgets some of what it
 * knew; the line between the two sets of weights holds models better than
 * either end. snapshot() keeps the started weights (NULL without
 * --init-weight), blend() moves the trained ones back towards them.
 */
static int
snapshot(const struct opts *o, const struct tr_param *p, float **w0, char *err, size_t errlen)
{
	*w0 = NULL;
	if (o->init_weight <= 0.0f)
		return 0;
	float *at = *w0 = malloc(params_size(p) * sizeof(**w0));
	if (at == NULL)
		return snprintf(err, errlen, "out of memory"), -1;
	for (unsigned int k = 0; k < 5; at += p[k].n, k++)
		memcpy(at, p[k].w, p[k].n * sizeof(*at));
	return 0;
}

static void
blend(const struct opts *o, struct tr_param *p, const float *w0, json_object *meta)
{
	const float a = o->init_weight;

	if (w0 == NULL)
		return;
	for (unsigned int k = 0; k < 5; w0 += p[k].n, k++)
		for (size_t i = 0; i < p[k].n; i++)
			p[k].w[i] = a * w0[i] + (1.0f - a) * p[k].w[i];
	json_object_object_add(meta, "init_weight", json_object_new_double(a));
}

static int
want(const struct opts *o, const char *level)
{
	return o->only == NULL || strstr(o->only, level) != NULL;
}

/* ---- data ---- */

/* The training set: one capture per --events, each with its --labels. */
static int
load_sets(const struct opts *o, struct tr_data *d, char *err, size_t errlen)
{
	if (tr_load_many(d, (unsigned int)o->n_sets, o->events, o->n_labels ? o->labels : NULL,
			err, errlen) < 0)
		return -1;
	fprintf(stderr, "%s%s: %zu calls (%zu unlabeled, %zu labels without a call), %zu traces, "
			"%zu actors\n", o->events[0], o->n_sets > 1 ? " and the other captures" : "",
			d->n, d->unlabeled, d->labels_unmatched, d->n_traces, d->n_actors);
	return 0;
}

/* Which calls' labels training may use: all, or those of a seeded
 * label_fraction of the actors (transfer with few labels). */
static uint8_t *
label_mask(const struct tr_data *d, double fraction, uint64_t seed)
{
	uint8_t *keep = malloc(d->n + 1);

	if (keep == NULL)
		return NULL;
	memset(keep, 1, d->n + 1);
	if (fraction >= 1.0)
		return keep;
	for (size_t a = 0; a < d->n_actors; a++) {
		uint64_t s = seed ^ d->actor_key[a];
		int k = tr_uniform(&s) < fraction;
		for (uint32_t j = d->actor_off[a]; j < d->actor_off[a + 1]; j++) {
			uint32_t t = d->actor_tr[j];
			for (uint32_t e = d->trace_off[t]; e < d->trace_off[t + 1]; e++)
				keep[d->trace_ev[e]] = (uint8_t)k;
		}
	}
	return keep;
}

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: meshwatch-train --events EVENTS.jsonl --labels PREFIX\n"
		"         --val-events EVENTS.jsonl --val-labels PREFIX --out DIR [options]\n"
		"  EVENTS: meshwatch's event log (output.events, output.redact = false);\n"
		"  PREFIX: meshwatch-gen's --out (PREFIX.requests.jsonl); --events and --labels\n"
		"          repeat, in pairs, to train on several captures; so do --val-events\n"
		"          and --val-labels, to choose thresholds on several\n"
		"  --only LIST          payload,trace,actor (others load from --init or are absent)\n"
		"  --init DIR           warm start from DIR/{payload,trace,actor}.mwm\n"
		"  --init-weight W      keep W of the warm start's weights after training:\n"
		"                       W x started + (1 - W) x trained [0]\n"
		"  --label-fraction F   train on the labels of a seeded fraction F of actors [1]\n"
		"  --pretrain-epochs N  self-supervised next-call epochs before the sequence\n"
		"                       models' supervised ones [0]\n"
		"  --epochs N           payload model epochs [6]; --seq-epochs N [8]\n"
		"  --fpr F              payload model: share of benign calls alerted on any class [0.001]\n"
		"  --seq-fpr F          sequence models: share of actors alerted on any class, by one of\n"
		"                       their benign traces (trace model) or benign (actor model) [0.005]\n"
		"  --payload-shape L,E,C,K [128,16,64,3]   --hidden H [32]   --window T [16]\n"
		"  --lr R [0.002]   --seed N [1]   --threads N [all]\n");
}

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "events", 1, 0, 'e' }, { "labels", 1, 0, 'l' }, { "val-events", 1, 0, 'v' },
		{ "val-labels", 1, 0, 'V' }, { "out", 1, 0, 'o' }, { "init", 1, 0, 'i' },
		{ "only", 1, 0, 'y' }, { "seed", 1, 0, 's' }, { "epochs", 1, 0, 'E' },
		{ "seq-epochs", 1, 0, 'S' }, { "pretrain-epochs", 1, 0, 'P' },
		{ "fpr", 1, 0, 'f' }, { "seq-fpr", 1, 0, 'F' }, { "label-fraction", 1, 0, 'x' },
		{ "payload-shape", 1, 0, 'p' }, { "hidden", 1, 0, 'H' }, { "window", 1, 0, 'T' },
		{ "lr", 1, 0, 'r' }, { "threads", 1, 0, 'j' }, { "init-weight", 1, 0, 'W' },
		{ "help", 0, 0, 'h' }, { 0 }
	};
	int c;
	size_t k = 0;

	*o = (struct opts){ .seed = 1, .epochs = 6, .seq_epochs = 8, .L = 128, .E = 16, .C = 64,
		.K = 3, .H = 32, .T = 16, .fpr = 0.001, .seq_fpr = 0.005, .label_fraction = 1.0,
		.lr = 0.002f };
	for (int i = 0; i < argc && k + 2 < sizeof(o->command); i++)
		k += (size_t)snprintf(o->command + k, sizeof(o->command) - k, "%s%s", i ? " " : "",
				argv[i]);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (o->n_sets < MAX_SETS)
				o->events[o->n_sets++] = optarg;
			break;
		case 'l':
			if (o->n_labels < MAX_SETS)
				o->labels[o->n_labels++] = optarg;
			break;
		case 'v':
			if (o->n_val == MAX_SETS)
				return -1;
			o->val_events[o->n_val++] = optarg;
			break;
		case 'V':
			if (o->n_val_labels == MAX_SETS)
				return -1;
			o->val_labels[o->n_val_labels++] = optarg;
			break;
		case 'o': o->out = optarg; break;
		case 'i': o->init = optarg; break;
		case 'y': o->only = optarg; break;
		case 's': o->seed = strtoull(optarg, NULL, 0); break;
		case 'E': o->epochs = atoi(optarg); break;
		case 'S': o->seq_epochs = atoi(optarg); break;
		case 'P': o->pretrain_epochs = atoi(optarg); break;
		case 'f': o->fpr = atof(optarg); break;
		case 'F': o->seq_fpr = atof(optarg); break;
		case 'x': o->label_fraction = atof(optarg); break;
		case 'p':
			if (sscanf(optarg, "%u,%u,%u,%u", &o->L, &o->E, &o->C, &o->K) != 4)
				return -1;
			break;
		case 'H': o->H = (uint32_t)atoi(optarg); break;
		case 'T': o->T = (uint32_t)atoi(optarg); break;
		case 'r': o->lr = (float)atof(optarg); break;
		case 'W': o->init_weight = (float)atof(optarg); break;
		case 'j': omp_set_num_threads(atoi(optarg) > 0 ? atoi(optarg) : 1); break;
		case 'h': usage(stdout); exit(0);
		default: return -1;
		}
	}
	if (optind != argc || o->n_sets == 0 || o->n_labels != o->n_sets || o->out == NULL ||
			o->n_val == 0 || o->n_val_labels != o->n_val || o->epochs < 0 ||
			o->seq_epochs < 0 || o->pretrain_epochs < 0 || o->label_fraction <= 0 ||
			o->label_fraction > 1 || o->fpr < 0 || o->fpr >= 1 || o->seq_fpr < 0 ||
			o->seq_fpr >= 1 || !(o->init_weight >= 0 && o->init_weight < 1) ||
			(o->init_weight > 0 && o->init == NULL) || o->H == 0 || o->H > 1024 ||
			o->T == 0 || o->T > 256)
		return -1;
	return 0;
}

/* ---- main ---- */

struct run {
	struct opts o;
	struct tr_data d, v;
	struct tr_stack s, vs;
	struct mw_model *m[3];
	uint8_t *keep;
	char err[1024];
};

static const char *const files[3] = { "payload.mwm", "trace.mwm", "actor.mwm" };

/* The model of level k: trained now, else from --init, else none. */
static int
reload(struct run *r, int k)
{
	char path[4096];
	const char *dir = want(&r->o, k == 0 ? "payload" : k == 1 ? "trace" : "actor") ?
		r->o.out : r->o.init;

	if (dir == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir, files[k]);
	r->m[k] = mw_model_load(path, k == 0 ? MW_MODEL_PAYLOAD : MW_MODEL_SEQUENCE,
			k == 0 ? 0 : k == 1 ? mw_call_schema() : mw_trace_schema(), r->err,
			sizeof(r->err));
	return r->m[k] != NULL ? 0 : -1;
}

static int
level_payload(struct run *r)
{
	struct tr_payload net;
	const struct opts *o = &r->o;
	json_object *meta = base_meta(o, "payload");
	float thr[TR_PAYLOAD_CLASSES], *w0 = NULL;
	int rc = -1;

	if (tr_payload_init(&net, o->L, o->E, o->C, o->K, TR_PAYLOAD_CLASSES, 64, o->seed, r->err,
			sizeof(r->err)) < 0 || warm(o, files[0], MW_MODEL_PAYLOAD, net.p, r->err,
			sizeof(r->err)) < 0)
		goto out;
	if (snapshot(o, net.p, &w0, r->err, sizeof(r->err)) < 0 ||
			train_payload(&net, &r->d, r->keep, o, meta, r->err, sizeof(r->err)) < 0)
		goto out;
	blend(o, net.p, w0, meta);
	/* thresholds on the validation set: a call scores p(c) where the
	 * model saw it, 0 elsewhere; benign = labeled benign calls */
	for (uint32_t c = 0; c < TR_PAYLOAD_CLASSES; c++)
		thr[c] = 0.5f;
	const uint32_t dims[4] = { o->L, o->E, o->C, o->K };
	if (write_model(o->out, files[0], MW_MODEL_PAYLOAD, 0, dims, tr_payload_names,
			TR_PAYLOAD_CLASSES, thr, net.p, meta, r->err, sizeof(r->err)) < 0 ||
			reload(r, 0) < 0 || tr_stack_payload(&r->vs, &r->v, r->m[0], r->err,
			sizeof(r->err)) < 0)
		goto out;
	uint8_t *benign = calloc(r->v.n + 1, 1);
	for (size_t i = 0; i < r->v.n; i++)
		benign[i] = r->v.truth[i].cls == 0 || (r->v.truth[i].cls > 0 && !r->v.truth[i].malicious);
	pick_thresholds(r->vs.pay, benign, r->v.n, TR_PAYLOAD_CLASSES, o->fpr, 0.1f, thr);
	free(benign);
	json_object_object_add(meta, "thresholds_from",
			json_object_new_string("validation set: benign calls alerted <= fpr"));
	json_object_object_add(meta, "fpr", json_object_new_double(o->fpr));
	mw_model_free(r->m[0]);
	r->m[0] = NULL;
	if (write_model(o->out, files[0], MW_MODEL_PAYLOAD, 0, dims, tr_payload_names,
			TR_PAYLOAD_CLASSES, thr, net.p, meta, r->err, sizeof(r->err)) < 0)
		goto out;
	rc = 0;
out:
	free(w0);
	tr_payload_free(&net);
	json_object_put(meta);
	return rc;
}

/* Highest probability per class over each sequence's elements. */
static float *
seq_max(const float *p, uint32_t N, const uint32_t *off, const uint32_t *el, size_t n_seq)
{
	float *m = calloc(n_seq * N + 1, sizeof(float));

	for (size_t q = 0; m != NULL && q < n_seq; q++)
		for (uint32_t j = off[q]; j < off[q + 1]; j++)
			for (uint32_t c = 0; c < N; c++)
				if (p[(size_t)el[j] * N + c] > m[q * N + c])
					m[q * N + c] = p[(size_t)el[j] * N + c];
	return m;
}

/* A sequence level: 1 trace, 2 actor. */
static int
level_seq(struct run *r, int k)
{
	const struct opts *o = &r->o;
	const struct tr_data *d = &r->d;
	const int actor = k == 2;
	const uint32_t I = actor ? MW_TRACE_NFEAT : MW_CALL_NFEAT, N = TR_SEQ_CLASSES;
	const size_t rows = actor ? d->n_traces : d->n;
	const char *name = actor ? "actor" : "trace";
	struct seqset S = { .x = actor ? r->s.xt : r->s.xc, .off = actor ? d->actor_off : d->trace_off,
		.el = actor ? d->actor_tr : d->trace_ev, .n_seq = actor ? d->n_actors : d->n_traces };
	int *y = calloc(rows + 1, sizeof(int));
	float *w = calloc(rows + 1, sizeof(float)), thr[TR_SEQ_CLASSES], *w0 = NULL;
	json_object *meta = base_meta(o, name);
	struct tr_gru g, pre;
	double loss = 0.0;
	int rc = -1;

	memset(&g, 0, sizeof(g));
	memset(&pre, 0, sizeof(pre));
	S.y = y, S.w = w;
	if (y == NULL || w == NULL || tr_gru_init(&g, I, o->H, N, 64, o->T, o->seed + (uint64_t)k,
			r->err, sizeof(r->err)) < 0 ||
			warm(o, files[k], MW_MODEL_SEQUENCE, g.p, r->err, sizeof(r->err)) < 0)
		goto out;
	if (snapshot(o, g.p, &w0, r->err, sizeof(r->err)) < 0)
		goto out;
	if (o->pretrain_epochs > 0) {
		/* next-call prediction over every sequence, labeled or not; the
		 * GRU's weights carry over, the head is the supervised one's */
		char what[32];
		snprintf(what, sizeof(what), "%s pre-train", name);
		if (tr_gru_init(&pre, I, o->H, PRE_BUCKETS * 6, 64, o->T, o->seed + 7, r->err,
				sizeof(r->err)) < 0)
			goto out;
		for (int i = 0; i < 3; i++)
			memcpy(pre.p[i].w, g.p[i].w, g.p[i].n * sizeof(float));
		next_targets(d, S.off, S.el, S.n_seq, actor, y, w);
		size_t targets = 0;
		for (size_t i = 0; i < rows; i++)
			targets += w[i] > 0.0f;
		if (targets == 0) {
			/* e.g. W3C traffic, where every call ends its trace */
			fprintf(stderr, "%s: no sequence has a next element; skipped\n", what);
		} else {
			if (train_gru(&pre, &S, o->pretrain_epochs, o->lr, o->seed + 11, what, &loss,
					r->err, sizeof(r->err)) < 0)
				goto out;
			for (int i = 0; i < 3; i++)
				memcpy(g.p[i].w, pre.p[i].w, g.p[i].n * sizeof(float));
			json_object_object_add(meta, "pretrain_epochs",
					json_object_new_int(o->pretrain_epochs));
			json_object_object_add(meta, "pretrain_loss", json_object_new_double(loss));
		}
	}
	if (actor)
		actor_targets(d, r->keep, y, w);
	else
		trace_targets(d, r->keep, y, w);
	weigh(y, w, rows, N);
	if (train_gru(&g, &S, o->seq_epochs, o->lr, o->seed + 13, name, &loss, r->err,
			sizeof(r->err)) < 0)
		goto out;
	blend(o, g.p, w0, meta);
	json_object_object_add(meta, "epochs", json_object_new_int(o->seq_epochs));
	if (o->seq_epochs >= 4)	/* train_gru: the mean of the second half's epochs */
		json_object_object_add(meta, "weights_averaged_from_epoch",
				json_object_new_int(o->seq_epochs / 2 + 1));
	json_object_object_add(meta, "final_loss", json_object_new_double(loss));
	for (uint32_t c = 0; c < N; c++)
		thr[c] = 0.5f;
	const uint32_t dims[4] = { I, o->H, 0, 0 };
	const uint64_t schema = actor ? mw_trace_schema() : mw_call_schema();
	if (write_model(o->out, files[k], MW_MODEL_SEQUENCE, schema, dims, tr_seq_names, N, thr,
			g.p, meta, r->err, sizeof(r->err)) < 0 || reload(r, k) < 0)
		goto out;
	/* thresholds: per benign sequence of the validation set, its highest
	 * probability of each class */
	const struct tr_data *v = &r->v;
	int sr = actor ? tr_stack_actor(&r->vs, v, r->m[2], r->err, sizeof(r->err)) :
		tr_stack_trace(&r->vs, v, r->m[1], r->err, sizeof(r->err));
	if (sr < 0)
		goto out;
	size_t nq = actor ? v->n_actors : v->n_traces;
	float *mx = seq_max(actor ? r->vs.ap : r->vs.tp, N, actor ? v->actor_off : v->trace_off,
			actor ? v->actor_tr : v->trace_ev, nq);
	/* a trace's cost is its actor's (see spend_thresholds); actor_tr holds
	 * every trace once */
	uint32_t *actor_of = actor ? NULL : malloc((v->n_traces + 1) * sizeof(*actor_of));
	if (!actor && actor_of == NULL) {
		free(mx);
		snprintf(r->err, sizeof(r->err), "out of memory");
		goto out;
	}
	for (size_t a = 0; !actor && a < v->n_actors; a++)
		for (uint32_t j = v->actor_off[a]; j < v->actor_off[a + 1]; j++)
			actor_of[v->actor_tr[j]] = (uint32_t)a;
	spend_thresholds(mx, actor ? v->actor_cls : v->trace_cls, nq, actor_of, v->n_actors, N,
			o->seq_fpr, 0.3f, thr);
	free(mx), free(actor_of);
	json_object_object_add(meta, "thresholds_from", json_object_new_string(actor ?
			"validation set: benign actors alerted <= seq_fpr" :
			"validation set: actors whose benign traces alert <= seq_fpr"));
	json_object_object_add(meta, "seq_fpr", json_object_new_double(o->seq_fpr));
	mw_model_free(r->m[k]);
	r->m[k] = NULL;
	if (write_model(o->out, files[k], MW_MODEL_SEQUENCE, schema, dims, tr_seq_names, N, thr,
			g.p, meta, r->err, sizeof(r->err)) < 0 || reload(r, k) < 0)
		goto out;
	rc = 0;
out:
	tr_gru_free(&g);
	if (pre.d != NULL)
		tr_gru_free(&pre);
	free(y), free(w), free(w0);
	json_object_put(meta);
	return rc;
}

int
main(int argc, char **argv)
{
	static struct run r;
	const double t0 = now();

	if (parse(argc, argv, &r.o) < 0) {
		usage(stderr);
		return 2;
	}
	if (mkdir(r.o.out, 0755) < 0 && errno != EEXIST) {
		snprintf(r.err, sizeof(r.err), "%s: %s", r.o.out, strerror(errno));
		goto fail;
	}
	if (load_sets(&r.o, &r.d, r.err, sizeof(r.err)) < 0 ||
			tr_load_many(&r.v, (unsigned int)r.o.n_val, r.o.val_events, r.o.val_labels,
				r.err, sizeof(r.err)) < 0 ||
			(r.keep = label_mask(&r.d, r.o.label_fraction, r.o.seed)) == NULL)
		goto fail;
	fprintf(stderr, "%s%s: %zu calls, %zu traces, %zu actors (validation)\n",
			r.o.val_events[0], r.o.n_val > 1 ? " and the other captures" : "",
			r.v.n, r.v.n_traces, r.v.n_actors);
	/* level by level, each on what the levels below give */
	if ((want(&r.o, "payload") ? level_payload(&r) : 0) < 0 || reload(&r, 0) < 0 ||
			tr_stack_payload(&r.s, &r.d, r.m[0], r.err, sizeof(r.err)) < 0 ||
			(r.vs.pay == NULL && tr_stack_payload(&r.vs, &r.v, r.m[0], r.err,
				sizeof(r.err)) < 0) ||
			tr_stack_trace(&r.s, &r.d, NULL, r.err, sizeof(r.err)) < 0 ||
			(want(&r.o, "trace") ? level_seq(&r, 1) : reload(&r, 1)) < 0 ||
			tr_stack_trace(&r.s, &r.d, r.m[1], r.err, sizeof(r.err)) < 0 ||
			(r.vs.xc == NULL && tr_stack_trace(&r.vs, &r.v, r.m[1], r.err,
				sizeof(r.err)) < 0))
		goto fail;
	if (tr_stack_actor(&r.s, &r.d, NULL, r.err, sizeof(r.err)) < 0 ||
			(want(&r.o, "actor") ? level_seq(&r, 2) : 0) < 0)
		goto fail;
	fprintf(stderr, "trained in %.1f s\n", now() - t0);
	for (int k = 0; k < 3; k++)
		mw_model_free(r.m[k]);
	tr_stack_free(&r.s), tr_stack_free(&r.vs);
	tr_free(&r.d), tr_free(&r.v);
	free(r.keep);
	return 0;
fail:
	fprintf(stderr, "meshwatch-train: %s\n", r.err);
	return 1;
}
