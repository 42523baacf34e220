/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch-eval: how good the models are, on a labeled test capture the
 * appliance turned into an event log, layer by layer.
 *
 *   meshwatch-eval --events TEST.events.jsonl --labels PREFIX --models DIR
 *                  [--json OUT.json] [--plot DIR] [--errors OUT.jsonl]
 *                  [--features OUT.jsonl]
 *   (--events and --labels repeat in pairs: several captures scored as one)
 *
 * Scores come from the appliance's own inference code over the event log
 * (stack.h), with the thresholds written in the model files. Units:
 *   request  every labeled call; positive: a malicious step of a payload
 *            class. Layers: the pre-filter alone (any match), the payload
 *            model (it scores only what the pre-filter matched), the trace
 *            model at that call, and the appliance (payload or trace alert);
 *   trace    every trace; positive: it holds a malicious call of a class a
 *            trace shows; traces of attacks only an actor shows (BOLA,
 *            stuffing, scraping, ...) are left out, neither benign nor
 *            missed;
 *   actor    every actor; positive: an attacker; a behavioral subset (BOLA, BFLA, mass
 *            assignment, broken auth, stuffing, scraping, exfiltration,
 *            chains) gets its own macro F1.
 * A sequence's verdict is the class its alerts gave the most evidence
 * (level_seq).
 * Per layer: precision, recall, F1, false-positive rate, ROC AUC and PR AUC
 * (average precision) of attack against benign; per class: precision,
 * recall, F1 and the confusion matrix. Explanations: the share of true
 * sequence alerts whose top element (largest rise of the malicious score up
 * to the alert) is truly malicious.
 */
#include <getopt.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "stack.h"

struct bin {
	const char *name;
	size_t n, tp, fp, fn, tn;
	double roc_auc, pr_auc;
	float *score;
	uint8_t *pos;
};

struct scored {
	float s;
	uint8_t pos;
};

static int
by_score_desc(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;
	return (x->s < y->s) - (x->s > y->s);
}

/* ROC AUC (trapezoids, ties as one step) and average precision. */
static void
aucs(struct bin *b, const char *plot, const char *level)
{
	struct scored *v = malloc((b->n + 1) * sizeof(*v));
	size_t P = 0, N = 0, tp = 0, fp = 0;
	double auc = 0.0, ap = 0.0;
	FILE *roc = NULL, *pr = NULL;
	char path[4096];

	for (size_t i = 0; i < b->n; i++) {
		v[i].s = b->score[i];
		v[i].pos = b->pos[i];
		P += b->pos[i];
	}
	N = b->n - P;
	if (plot != NULL) {
		snprintf(path, sizeof(path), "%s/roc_%s_%s.dat", plot, level, b->name);
		roc = fopen(path, "w");
		snprintf(path, sizeof(path), "%s/pr_%s_%s.dat", plot, level, b->name);
		pr = fopen(path, "w");
	}
	qsort(v, b->n, sizeof(*v), by_score_desc);
	for (size_t i = 0; i < b->n;) {
		size_t dtp = 0, dfp = 0, j = i;
		for (; j < b->n && v[j].s == v[i].s; j++)
			dtp += v[j].pos, dfp += !v[j].pos;
		double x0 = N ? (double)fp / N : 0, y0 = P ? (double)tp / P : 0;
		tp += dtp, fp += dfp;
		double x1 = N ? (double)fp / N : 0, y1 = P ? (double)tp / P : 0;
		auc += (x1 - x0) * (y0 + y1) / 2.0;
		if (P && dtp)
			ap += (double)dtp / P * (double)tp / (double)(tp + fp);
		if (roc)
			fprintf(roc, "%g %g\n", x1, y1);
		if (pr && tp + fp)
			fprintf(pr, "%g %g\n", y1, (double)tp / (double)(tp + fp));
		i = j;
	}
	if (roc)
		fclose(roc);
	if (pr)
		fclose(pr);
	b->roc_auc = P && N ? auc : NAN;
	b->pr_auc = P ? ap : NAN;
	free(v);
}

static double
ratio(size_t a, size_t b)
{
	return b ? (double)a / (double)b : NAN;
}

static json_object *
num(double v)
{
	return isfinite(v) ? json_object_new_double(round(v * 1e6) / 1e6) : NULL;
}

/* Four significant digits, written as such (a feature dump is read, not summed). */
static json_object *
num4(float v)
{
	char t[32];

	if (!isfinite(v))
		return NULL;
	snprintf(t, sizeof(t), "%.4g", (double)v);
	return json_object_new_double_s(v, t);
}

static json_object *
bin_report(struct bin *b, const char *plot, const char *level)
{
	json_object *o = json_object_new_object();
	double p = ratio(b->tp, b->tp + b->fp), r = ratio(b->tp, b->tp + b->fn);

	aucs(b, plot, level);
	json_object_object_add(o, "units", json_object_new_int64((int64_t)b->n));
	json_object_object_add(o, "positives", json_object_new_int64((int64_t)(b->tp + b->fn)));
	json_object_object_add(o, "precision", num(p));
	json_object_object_add(o, "recall", num(r));
	json_object_object_add(o, "f1", num(2 * p * r / (p + r)));
	json_object_object_add(o, "fpr", num(ratio(b->fp, b->fp + b->tn)));
	json_object_object_add(o, "false_positives", json_object_new_int64((int64_t)b->fp));
	json_object_object_add(o, "roc_auc", num(b->roc_auc));
	json_object_object_add(o, "pr_auc", num(b->pr_auc));
	printf("  %-22s %8zu %6zu  P %.4f  R %.4f  F1 %.4f  FPR %.5f  ROC %.4f  PR %.4f\n",
			b->name, b->n, b->tp + b->fn, p, r, 2 * p * r / (p + r),
			ratio(b->fp, b->fp + b->tn), b->roc_auc, b->pr_auc);
	return o;
}

static void
bin_add(struct bin *b, int pos, int pred, float score)
{
	b->pos[b->n] = (uint8_t)!!pos;
	b->score[b->n++] = score;
	if (pos)
		pred ? b->tp++ : b->fn++;
	else
		pred ? b->fp++ : b->tn++;
}

static int
bin_init(struct bin *b, const char *name, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->name = name;
	b->score = malloc((cap + 1) * sizeof(float));
	b->pos = malloc(cap + 1);
	return b->score && b->pos ? 0 : -1;
}

static void
bin_free(struct bin *b)
{
	free(b->score), free(b->pos);
}

/* One class's precision, recall and F1, into o under name (and printed
 * unless quiet); returns the F1. */
static double
class_scores(json_object *o, const char *name, size_t tp, size_t fp, size_t fn, int quiet)
{
	double p = ratio(tp, tp + fp), r = ratio(tp, tp + fn);
	double f = tp ? 2 * p * r / (p + r) : 0.0;
	json_object *j = json_object_new_object();

	json_object_object_add(j, "support", json_object_new_int64((int64_t)(tp + fn)));
	json_object_object_add(j, "precision", num(p));
	json_object_object_add(j, "recall", num(r));
	json_object_object_add(j, "f1", num(f));
	json_object_object_add(o, name, j);
	if (!quiet)
		printf("    %-20s support %6zu  P %.4f  R %.4f  F1 %.4f\n", name, tp + fn, p, r, f);
	return f;
}

/* Per-class precision, recall and F1 from a confusion matrix; prints the
 * classes with any support or prediction. */
static json_object *
per_class(const char *const *names, uint32_t N, const uint32_t *cm, const uint8_t *subset,
		int quiet, double *macro)
{
	json_object *o = json_object_new_object();
	double sum = 0.0;
	int k = 0;

	for (uint32_t c = 0; c < N; c++) {
		size_t tp = cm[c * N + c], fn = 0, fp = 0;
		for (uint32_t x = 0; x < N; x++)
			if (x != c) {
				fn += cm[c * N + x];
				fp += cm[x * N + c];
			}
		if (tp + fn + fp == 0)
			continue;
		double f = class_scores(o, names[c], tp, fp, fn, quiet);
		if (subset == NULL ? c > 0 : subset[c]) {
			if (tp + fn > 0) {
				sum += f;
				k++;
			}
		}
	}
	json_object *cmj = json_object_new_array();
	for (uint32_t c = 0; c < N; c++) {
		json_object *row = json_object_new_array();
		for (uint32_t x = 0; x < N; x++)
			json_object_array_add(row, json_object_new_int64(cm[c * N + x]));
		json_object_array_add(cmj, row);
	}
	json_object_object_add(o, "confusion", cmj);
	*macro = k ? sum / k : NAN;
	return o;
}

/* ---- the levels ---- */

struct ctx {
	struct tr_data d;
	struct tr_stack s;
	struct mw_model *m[3];
	const char *plot;
	FILE *errors;		/* --errors: one line per wrong sequence verdict */
	FILE *features;		/* --features: one line per element of those sequences */
	json_object *out;
	uint32_t *trace_alerted;	/* per trace: classes its calls' payload and trace alerts named */
};

/* A call's 128-bit trace id as 32 hex digits. */
static void
trace_hex(const struct mw_event *ev, char tid[33])
{
	for (int i = 0; i < 16; i++)
		snprintf(tid + 2 * i, 3, "%02x", ev->trace_id[i]);
}

/* Whether a sequence element (a call, or for an actor a trace) holds a
 * truly malicious call. */
static int
holds_malicious(const struct tr_data *d, int actor, uint32_t row)
{
	int mal = 0;

	if (!actor)
		return d->truth[row].malicious;
	for (uint32_t e = d->trace_off[row]; e < d->trace_off[row + 1]; e++)
		mal |= d->truth[d->trace_ev[e]].malicious;
	return mal;
}

/* Model-probability groups: slot k of them is class k + 1 (mw_class_slots). */
static bool
slot_feature(int actor, uint32_t i)
{
	if (!actor)
		return i >= MW_CF_payload && i <= MW_CF_payload_end;
	return (i >= MW_TF_payload_max && i <= MW_TF_payload_max_end) ||
		(i >= MW_TF_trace_model && i <= MW_TF_trace_model_end) ||
		(i >= MW_TF_history_payload_max && i <= MW_TF_history_payload_max_end) ||
		(i >= MW_TF_history_trace_max && i <= MW_TF_history_trace_max_end);
}

/* One wrong verdict, for an analyst to look up in the capture and labels:
 * the level, truth and verdict, every class the sequence's malicious calls
 * attacked in, and its first trace's root call (the actor's key). */
static void
error_line(struct ctx *c, int actor, int truth, int pred, float best, uint32_t first_call,
		uint32_t n, uint32_t attacked)
{
	const struct mw_event *ev = c->d.ev[first_call];
	char tid[33], classes[TR_SEQ_CLASSES * 24] = "";
	size_t o = 0;

	trace_hex(ev, tid);
	for (uint32_t k = 1; k < TR_SEQ_CLASSES; k++)
		if (attacked >> k & 1)
			o += (size_t)snprintf(classes + o, sizeof(classes) - o, "%s\"%s\"",
					o ? "," : "", tr_seq_names[k]);
	fprintf(c->errors, "{\"level\":\"%s\",\"truth\":\"%s\",\"verdict\":\"%s\","
			"\"attacked\":[%s],\"score\":%.4f,\"elements\":%u,"
			"\"first_trace_id\":\"%s\",\"client_ip\":\"%u.%u.%u.%u\","
			"\"actor_kind\":\"%s\",\"actor_key\":\"%016llx\"}\n",
			actor ? "actor" : "trace", tr_seq_names[truth], tr_seq_names[pred], classes,
			best, n, tid, ev->client_addr[0], ev->client_addr[1], ev->client_addr[2],
			ev->client_addr[3], ev->actor_kind < MW_ACTOR_MAX ? mw_actor_kind_names[ev->actor_kind] : "?",
			(unsigned long long)ev->actor);
}

/*
 * What the model saw of a wrongly judged sequence, element by element:
 * each element's features that are not zero, by schema name, the model's
 * probabilities of benign, the truth and the verdict after it, and whether
 * it holds a malicious call. Enough to tell "the features did not show it"
 * from "the model did not weigh it" without rerunning the appliance.
 */
static void
feature_lines(struct ctx *c, int actor, int truth, int pred, uint32_t first_call,
		const uint32_t *el, uint32_t from, uint32_t to, const float *P)
{
	const struct tr_data *d = &c->d;
	const uint32_t N = TR_SEQ_CLASSES, I = actor ? MW_TRACE_NFEAT : MW_CALL_NFEAT;
	const float *X = actor ? c->s.xt : c->s.xc;
	const struct mw_event *ev = c->d.ev[first_call];
	char key[17], name[64];

	snprintf(key, sizeof(key), "%016llx", (unsigned long long)ev->actor);
	for (uint32_t j = from; j < to; j++) {
		uint32_t row = el[j];
		const float *x = X + (size_t)row * I, *p = P + (size_t)row * N;
		json_object *o = json_object_new_object(), *pr = json_object_new_object();
		json_object *f = json_object_new_object();
		json_object_object_add(o, "level", json_object_new_string(actor ? "actor" : "trace"));
		json_object_object_add(o, "actor_key", json_object_new_string(key));
		json_object_object_add(o, "step", json_object_new_int((int)(j - from)));
		/* the element's call (trace level) or its trace's root (actor level) */
		const struct mw_event *e = d->ev[actor ? d->trace_end[row] : row];
		char tid[33];
		uint16_t tl;
		const char *tp = mw_event_field(e, MW_FIELD_template, &tl);
		trace_hex(e, tid);
		json_object_object_add(o, "trace_id", json_object_new_string(tid));
		json_object_object_add(o, "call", json_object_new_string_len(tp, tl));
		json_object_object_add(o, "truth", json_object_new_string(tr_seq_names[truth]));
		json_object_object_add(o, "verdict", json_object_new_string(tr_seq_names[pred]));
		json_object_object_add(o, "malicious", json_object_new_boolean(holds_malicious(d, actor, row)));
		json_object_object_add(pr, tr_seq_names[0], num4(p[0]));
		json_object_object_add(pr, tr_seq_names[truth], num4(p[truth]));
		json_object_object_add(pr, tr_seq_names[pred], num4(p[pred]));
		json_object_object_add(o, "p", pr);
		for (uint32_t i = 0; i < I; i++) {
			unsigned int k;
			if (x[i] == 0.0f)
				continue;
			const char *g = actor ? mw_trace_feature_group(i, &k) : mw_call_feature_group(i, &k);
			if (g == NULL)
				continue;
			unsigned int k2;
			/* a group of width one is its name alone */
			const char *next = i + 1 < I ? (actor ? mw_trace_feature_group(i + 1, &k2) :
					mw_call_feature_group(i + 1, &k2)) : NULL;
			if (k == 0 && next != g)
				snprintf(name, sizeof(name), "%s", g);
			else if (slot_feature(actor, i))
				snprintf(name, sizeof(name), "%s[%s]", g,
						k + 1 < TR_SEQ_CLASSES ? tr_seq_names[k + 1] : "?");
			else
				snprintf(name, sizeof(name), "%s[%u]", g, k);
			json_object_object_add(f, name, num4(x[i]));
		}
		json_object_object_add(o, "features", f);
		fprintf(c->features, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
}

static void
level_request(struct ctx *c)
{
	const struct tr_data *d = &c->d;
	struct bin pf, pm, tm, all;
	uint32_t N = c->m[0] ? c->m[0]->n_classes : 0;
	uint32_t *cm = calloc((size_t)TR_PAYLOAD_CLASSES * TR_PAYLOAD_CLASSES, sizeof(*cm));
	json_object *o = json_object_new_object();

	bin_init(&pf, "prefilter", d->n), bin_init(&pm, "payload_model", d->n);
	bin_init(&tm, "trace_model", d->n), bin_init(&all, "appliance", d->n);
	printf("per request (payload attacks: malicious steps of sqli xss cmdi traversal ssrf "
			"jndi ssti nosqli)\n  %-22s %8s %6s\n", "layer", "units", "pos");
	for (size_t t = 0; t < d->n_traces; t++) {
		int fired = 0;
		uint32_t seen = 0, traced = 0;	/* classes alerted on: by either model, by the trace's */
		for (uint32_t j = d->trace_off[t]; j < d->trace_off[t + 1]; j++) {
			size_t i = d->trace_ev[j];
			const struct tr_truth *tt = &d->truth[i];
			if (tt->cls < 0)
				continue;
			int pos = tt->payload > 0;
			int pf_hit = d->ev[i]->pf_categories != 0;
			bin_add(&pf, pos, pf_hit, (float)pf_hit);
			int pc = 0;
			float ps = 0.0f;
			if (N && c->s.scored[i]) {
				const float *p = c->s.pay + i * N;
				pc = mw_alert_class(p, N, c->m[0]->thresholds, 0);
				ps = 1.0f - p[0];
			}
			bin_add(&pm, pos, pc != 0, ps);
			seen |= 1u << pc & ~1u;	/* payload classes are the first sequence classes */
			if (N)
				cm[tt->payload * TR_PAYLOAD_CLASSES + (uint32_t)pc]++;
			int tc = 0;
			float ts = 0.0f;
			if (c->m[1]) {
				const uint32_t M = c->m[1]->n_classes;
				const float *p = c->s.tp + i * M;
				tc = !fired ? mw_alert_class(p, M, c->m[1]->thresholds, 0) : 0;
				fired |= tc != 0;
				/* the appliance alerts once per class and trace */
				traced |= 1u << mw_alert_class(p, M, c->m[1]->thresholds, traced) & ~1u;
				ts = 1.0f - p[0];
			}
			bin_add(&tm, pos, tc != 0, ts);
			bin_add(&all, pos, pc != 0 || tc != 0, ps > ts ? ps : ts);
		}
		c->trace_alerted[t] = seen | traced;
	}
	json_object_object_add(o, "prefilter", bin_report(&pf, c->plot, "request"));
	json_object_object_add(o, "payload_model", bin_report(&pm, c->plot, "request"));
	json_object_object_add(o, "trace_model", bin_report(&tm, c->plot, "request"));
	json_object_object_add(o, "appliance", bin_report(&all, c->plot, "request"));
	if (N) {
		double macro;
		printf("  payload model by class:\n");
		json_object_object_add(o, "payload_classes", per_class(tr_payload_names,
				TR_PAYLOAD_CLASSES, cm, NULL, 0, &macro));
		json_object_object_add(o, "payload_macro_f1", num(macro));
	}
	json_object_object_add(c->out, "request", o);
	bin_free(&pf), bin_free(&pm), bin_free(&tm), bin_free(&all);
	free(cm);
}

/* Macro F1 over the attack classes of confusion matrix cm and, with
 * behavioral, over those classes: printed, and into o as PREFIXmacro_f1 and
 * PREFIXbehavioral_macro_f1. */
static void
macros(json_object *o, const char *prefix, const uint32_t *cm, const uint8_t *behavioral)
{
	char key[64];
	double m;

	json_object_put(per_class(tr_seq_names, TR_SEQ_CLASSES, cm, NULL, 1, &m));
	snprintf(key, sizeof(key), "%smacro_f1", prefix);
	json_object_object_add(o, key, num(m));
	printf("macro F1 %.4f", m);
	if (behavioral == NULL)
		return;
	json_object_put(per_class(tr_seq_names, TR_SEQ_CLASSES, cm, behavioral, 1, &m));
	snprintf(key, sizeof(key), "%sbehavioral_macro_f1", prefix);
	json_object_object_add(o, key, num(m));
	printf(", behavioral classes %.4f", m);
}

/* One actor into a multi-label tally: per class, tp, fp, fn. */
static void
tally(size_t ml[][3], uint32_t attacked, uint32_t alerted)
{
	for (uint32_t k = 1; k < TR_SEQ_CLASSES; k++) {
		ml[k][0] += (attacked & alerted) >> k & 1;
		ml[k][1] += (~attacked & alerted) >> k & 1;
		ml[k][2] += (attacked & ~alerted) >> k & 1;
	}
}

/*
 * Per actor, every class it attacked against every class it alerted on:
 * the appliance alerts once per class and key, so this is what an analyst
 * reads of an actor that enumerated objects and then exported them.
 */
static void
multi_label(json_object *o, const char *key, const char *what, size_t ml[][3],
		const uint8_t *behavioral)
{
	double sum = 0.0, bsum = 0.0;
	int k = 0, bk = 0;
	json_object *j = json_object_new_object();

	printf("\n  multi-label, every class an actor attacked against the classes of %s:\n", what);
	for (uint32_t c = 1; c < TR_SEQ_CLASSES; c++) {
		size_t tp = ml[c][0], fp = ml[c][1], fn = ml[c][2];
		if (tp + fn == 0)
			continue;
		double f = class_scores(j, tr_seq_names[c], tp, fp, fn, 0);
		sum += f, k++;
		if (behavioral[c])
			bsum += f, bk++;
	}
	printf("    macro F1 %.4f, behavioral classes %.4f", k ? sum / k : 0.0, bk ? bsum / bk : 0.0);
	json_object_object_add(j, "macro_f1", num(k ? sum / k : 0.0));
	json_object_object_add(j, "behavioral_macro_f1", num(bk ? bsum / bk : 0.0));
	json_object_object_add(o, key, j);
}

/*
 * A sequence level: per sequence, its verdict, the highest malicious score,
 * and whether the element that raised the score most up to the first alert
 * is truly malicious. The appliance alerts once per class and key, so a
 * sequence can alert on several classes as it grows (a chain's first id
 * probes look like BOLA, then a hundred steps of it look like a chain);
 * its verdict is the class with the most evidence: the sum, over the steps
 * at which a class was the one alerting, of its probability there times
 * the step's number. One saturated step does not outweigh a model that
 * changed its mind and held the new view, and a step weighs as much as
 * the sequence it has seen: the model is taught the actor's class from
 * its first malicious step on, and its later steps know more of it. The
 * class by evidence with every step equal (the rule until 2026-12-07), of
 * the most confident single alert, and of the first are reported beside
 * it. An actor's truth is the most common class of its malicious calls;
 * one that attacked in several (an address shared by a stuffing campaign
 * and an injector, a user who enumerated and exported) is also reported
 * credited for a verdict naming any class it attacked.
 */
static void
level_seq(struct ctx *c, int actor)
{
	const struct tr_data *d = &c->d;
	const struct mw_model *m = c->m[actor ? 2 : 1];
	const uint32_t N = TR_SEQ_CLASSES;
	const size_t nq = actor ? d->n_actors : d->n_traces;
	const uint32_t *off = actor ? d->actor_off : d->trace_off, *el = actor ? d->actor_tr : d->trace_ev;
	const float *P = actor ? c->s.ap : c->s.tp;
	uint32_t *cm = calloc((size_t)N * N, sizeof(*cm));
	uint32_t *cm_first = calloc((size_t)N * N, sizeof(*cm_first));
	uint32_t *cm_conf = calloc((size_t)N * N, sizeof(*cm_conf));
	uint32_t *cm_flat = calloc((size_t)N * N, sizeof(*cm_flat));
	uint32_t *cm_any = calloc((size_t)N * N, sizeof(*cm_any));
	uint8_t behavioral[TR_SEQ_CLASSES] = { 0 };
	size_t ml[TR_SEQ_CLASSES][3] = { { 0 } };	/* multi-label: tp, fp, fn per class */
	size_t mla[TR_SEQ_CLASSES][3] = { { 0 } };	/* the same with every level's alerts */
	size_t true_alerts = 0, explained = 0, left_out = 0;
	struct bin b;
	json_object *o = json_object_new_object();

	if (m == NULL || m->n_classes != N) {
		free(cm), free(cm_first), free(cm_conf), free(cm_any), free(cm_flat);
		json_object_put(o);
		return;
	}
	for (int k = CLS_BOLA; k <= CLS_CHAIN; k++)
		behavioral[k] = 1;
	bin_init(&b, actor ? "actor_model" : "trace_model", nq);
	printf("per %s\n", actor ? "actor (attackers: every class)" :
			"trace (positive: a malicious call of a class a trace shows)");
	for (size_t q = 0; q < nq; q++) {
		int truth = actor ? d->actor_cls[q] : d->trace_cls[q], pred = 0, first = 0, conf = 0;
		int labeled = 0;
		uint32_t attacked = 0;	/* the classes of its malicious calls */
		uint32_t alerted = 0;	/* the classes it alerted on */
		float best = 0.0f, prev = 0.0f, top_delta = -2.0f, conf_p = 0.0f;
		float evidence[TR_SEQ_CLASSES] = { 0 }, flat[TR_SEQ_CLASSES] = { 0 };
		int flat_pred = 0;
		uint32_t top = 0;
		for (uint32_t j = off[q]; j < off[q + 1]; j++) {
			uint32_t row = el[j];
			const float *p = P + (size_t)row * N;
			float mal = 1.0f - p[0];
			if (first == 0 && mal - prev > top_delta) {
				top_delta = mal - prev;
				top = row;
			}
			prev = mal;
			best = mal > best ? mal : best;
			int cls = mw_alert_class(p, N, m->thresholds, 0);
			/* the appliance passes over the classes a key alerted on */
			alerted |= 1u << mw_alert_class(p, N, m->thresholds, alerted) & ~1u;
			if (first == 0)
				first = cls;
			if (cls == 0)
				continue;
			evidence[cls] += p[cls] * (float)(j - off[q] + 1);
			flat[cls] += p[cls];
			if (p[cls] > conf_p) {
				conf = cls;
				conf_p = p[cls];
			}
		}
		for (uint32_t k = 1; k < N; k++) {
			if (evidence[k] > evidence[pred])
				pred = (int)k;
			if (flat[k] > flat[flat_pred])
				flat_pred = (int)k;
		}
		for (uint32_t j = off[q]; j < off[q + 1]; j++) {
			uint32_t row = el[j];
			if (actor) {
				for (uint32_t e = d->trace_off[row]; e < d->trace_off[row + 1]; e++) {
					const struct tr_truth *t = &d->truth[d->trace_ev[e]];
					labeled |= t->cls >= 0;
					attacked |= t->cls > 0 && t->malicious ? 1u << t->cls : 0;
				}
			} else {
				const struct tr_truth *t = &d->truth[row];
				labeled |= t->cls >= 0;
				attacked |= t->cls > 0 && t->malicious ? 1u << t->cls : 0;
			}
		}
		if (!labeled)
			continue;
		if (!actor && truth > 0 && !(truth <= CLS_NOSQLI || truth == CLS_BFLA ||
				truth == CLS_MASS_ASSIGNMENT || truth == CLS_BROKEN_AUTH)) {
			left_out++;	/* an attack only its actor shows: neither benign nor a miss */
			continue;
		}
		cm[(uint32_t)truth * N + (uint32_t)pred]++;
		/* an actor that attacked in several classes, named by one of them */
		int credited = pred > 0 && (attacked >> pred & 1) ? pred : truth;
		cm_any[(uint32_t)credited * N + (uint32_t)pred]++;
		if (actor) {
			uint32_t all = alerted;
			for (uint32_t j = off[q]; j < off[q + 1]; j++)
				all |= c->trace_alerted[el[j]];
			tally(ml, attacked, alerted);
			tally(mla, attacked, all);
		}
		/* its first trace's root: the actor's key, kind and client */
		const uint32_t e0 = d->trace_end[actor ? el[off[q]] : q];
		if (c->errors && truth != pred)
			error_line(c, actor, truth, pred, best, e0, off[q + 1] - off[q], attacked);
		if (c->features && truth != pred)
			feature_lines(c, actor, truth, pred, e0, el, off[q], off[q + 1], P);
		cm_first[(uint32_t)truth * N + (uint32_t)first]++;
		cm_flat[(uint32_t)truth * N + (uint32_t)flat_pred]++;
		cm_conf[(uint32_t)truth * N + (uint32_t)conf]++;
		bin_add(&b, truth > 0, pred > 0, best);
		if (truth > 0 && pred > 0) {
			true_alerts++;
			explained += (size_t)holds_malicious(d, actor, top);
		}
	}
	json_object_object_add(o, "attack_vs_benign", bin_report(&b, c->plot, actor ? "actor" : "trace"));
	double macro;
	if (!actor) {
		printf("  (%zu traces of attacks only an actor shows left out)\n", left_out);
		json_object_object_add(o, "left_out", json_object_new_int64((int64_t)left_out));
	}
	printf("  by class:\n");
	json_object_object_add(o, "classes", per_class(tr_seq_names, N, cm, NULL, 0, &macro));
	printf("  ");
	macros(o, "", cm, actor ? behavioral : NULL);
	printf("\n  by evidence with every step equal instead: ");
	macros(o, "equal_steps_", cm_flat, actor ? behavioral : NULL);
	printf("\n  by the most confident alert's class instead: ");
	macros(o, "most_confident_", cm_conf, actor ? behavioral : NULL);
	printf("\n  by the first alert's class instead: ");
	macros(o, "first_alert_", cm_first, actor ? behavioral : NULL);
	if (actor) {
		printf("\n  crediting an actor that attacked in several classes for any of them: ");
		macros(o, "any_class_", cm_any, behavioral);
		multi_label(o, "multi_label", "its actor alerts", ml, behavioral);
		multi_label(o, "multi_label_all", "every alert on its calls, traces and itself", mla,
				behavioral);
	}
	printf("\n  explanations: %zu of %zu true alerts have a truly malicious top element (%.1f%%)\n",
			explained, true_alerts, 100.0 * ratio(explained, true_alerts));
	json_object_object_add(o, "true_alerts", json_object_new_int64((int64_t)true_alerts));
	json_object_object_add(o, "explained", num(ratio(explained, true_alerts)));
	json_object_object_add(c->out, actor ? "actor" : "trace", o);
	bin_free(&b);
	free(cm), free(cm_first), free(cm_conf), free(cm_any), free(cm_flat);
}

/* ROC and PR curves and the score distributions as PNG, with gnuplot. */
static void
plots(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/plots.gp", dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return;
	fprintf(f, "set terminal pngcairo size 900,600 noenhanced\nset grid\ncd '%s'\n"
		"set output 'roc.png'\nset title 'ROC: attack vs benign'\n"
		"set xlabel 'false-positive rate'\nset ylabel 'recall'\nset logscale x\n"
		"set xrange [1e-5:1]\nset key bottom right\n"
		"plot 'roc_request_prefilter.dat' w steps t 'request: pre-filter', "
		"'roc_request_payload_model.dat' w steps t 'request: payload model', "
		"'roc_request_appliance.dat' w steps t 'request: appliance', "
		"'roc_trace_trace_model.dat' w steps t 'trace: trace model', "
		"'roc_actor_actor_model.dat' w steps t 'actor: actor model'\n"
		"unset logscale x\nset xrange [0:1]\n"
		"set output 'pr.png'\nset title 'precision-recall'\nset xlabel 'recall'\n"
		"set ylabel 'precision'\nset key bottom left\n"
		"plot 'pr_request_payload_model.dat' w steps t 'request: payload model', "
		"'pr_request_appliance.dat' w steps t 'request: appliance', "
		"'pr_trace_trace_model.dat' w steps t 'trace: trace model', "
		"'pr_actor_actor_model.dat' w steps t 'actor: actor model'\n"
		"set output 'scores.png'\nset title 'malicious score (1 - p benign) of flagged "
		"calls'\nset xlabel 'score'\nset ylabel 'calls'\nset logscale y\nset yrange [0.8:*]\n"
		"set style fill transparent solid 0.5\nbin(x) = floor(x * 50) / 50.0\n"
		"plot 'scores.dat' u (bin($1)):($2 == 0) smooth frequency w boxes t 'benign', "
		"'' u (bin($1)):($2 == 1) smooth frequency w boxes t 'attack'\n", dir);
	fclose(f);
	snprintf(path, sizeof(path), "gnuplot '%s/plots.gp' 2>&1", dir);
	if (system(path) != 0)
		fprintf(stderr, "meshwatch-eval: gnuplot failed: no plots (is it installed?)\n");
	else
		printf("plots: %s/roc.png %s/pr.png %s/scores.png\n", dir, dir, dir);
}

static struct mw_model *
load(const char *dir, const char *file, uint32_t kind, uint64_t schema, int *bad)
{
	char path[4096], err[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;	/* that level is absent */
	fclose(f);
	struct mw_model *m = mw_model_load(path, kind, schema, err, sizeof(err));
	if (m == NULL) {
		fprintf(stderr, "meshwatch-eval: %s\n", err);
		*bad = 1;
	}
	return m;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "events", 1, 0, 'e' }, { "labels", 1, 0, 'l' }, { "models", 1, 0, 'm' },
		{ "json", 1, 0, 'j' }, { "plot", 1, 0, 'p' }, { "errors", 1, 0, 'x' },
		{ "features", 1, 0, 'f' }, { "help", 0, 0, 'h' }, { 0 }
	};
	/* --events and --labels repeat in pairs: several captures, one data set */
	const char *events[8], *labels[8], *models = NULL, *json = NULL;
	int n_events = 0, n_labels = 0;
	static struct ctx c;
	char err[1024];
	int o, bad = 0;

	while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (o) {
		case 'e':
			if (n_events == 8) {
				fprintf(stderr, "meshwatch-eval: at most 8 captures\n");
				return 2;
			}
			events[n_events++] = optarg;
			break;
		case 'l':
			if (n_labels == 8) {
				fprintf(stderr, "meshwatch-eval: at most 8 captures\n");
				return 2;
			}
			labels[n_labels++] = optarg;
			break;
		case 'm': models = optarg; break;
		case 'j': json = optarg; break;
		case 'p': c.plot = optarg; break;
		case 'x':
			if ((c.errors = fopen(optarg, "w")) == NULL) {
				fprintf(stderr, "meshwatch-eval: %s: cannot write\n", optarg);
				return 1;
			}
			break;
		case 'f':
			if ((c.features = fopen(optarg, "w")) == NULL) {
				fprintf(stderr, "meshwatch-eval: %s: cannot write\n", optarg);
				return 1;
			}
			break;
		default:
			fprintf(o == 'h' ? stdout : stderr, "usage: meshwatch-eval --events "
					"EVENTS.jsonl --labels PREFIX --models DIR [--json OUT.json] "
					"[--plot DIR] [--errors OUT.jsonl] [--features OUT.jsonl]\n"
					"  --events and --labels repeat, in pairs, to score "
					"several captures as one\n");
			return o == 'h' ? 0 : 2;
		}
	}
	if (n_events == 0 || n_labels != n_events || models == NULL || optind != argc) {
		fprintf(stderr, "usage: meshwatch-eval --events EVENTS.jsonl --labels PREFIX "
				"--models DIR [--json OUT.json] [--plot DIR] [--errors OUT.jsonl] "
				"[--features OUT.jsonl]\n");
		return 2;
	}
	c.m[0] = load(models, "payload.mwm", MW_MODEL_PAYLOAD, 0, &bad);
	c.m[1] = load(models, "trace.mwm", MW_MODEL_SEQUENCE, mw_call_schema(), &bad);
	c.m[2] = load(models, "actor.mwm", MW_MODEL_SEQUENCE, mw_trace_schema(), &bad);
	if (bad)
		return 1;
	if (tr_load_many(&c.d, (unsigned int)n_events, events, labels, err, sizeof(err)) < 0 ||
			tr_stack_payload(&c.s, &c.d, c.m[0], err, sizeof(err)) < 0 ||
			tr_stack_trace(&c.s, &c.d, c.m[1], err, sizeof(err)) < 0 ||
			tr_stack_actor(&c.s, &c.d, c.m[2], err, sizeof(err)) < 0) {
		fprintf(stderr, "meshwatch-eval: %s\n", err);
		return 1;
	}
	printf("%s%s: %zu calls (%zu without a label), %zu traces, %zu actors\n", events[0],
			n_events > 1 ? " and the other captures" : "", c.d.n,
			c.d.unlabeled, c.d.n_traces, c.d.n_actors);
	c.out = json_object_new_object();
	json_object_object_add(c.out, "events", json_object_new_string(events[0]));
	json_object_object_add(c.out, "models", json_object_new_string(models));
	if (c.plot != NULL) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/scores.dat", c.plot);
		FILE *f = fopen(path, "w");
		for (size_t i = 0; f != NULL && c.m[0] && i < c.d.n; i++)
			if (c.s.scored[i] && c.d.truth[i].cls >= 0)
				fprintf(f, "%g %d\n", 1.0 - c.s.pay[i * c.m[0]->n_classes],
						c.d.truth[i].payload > 0);
		if (f)
			fclose(f);
	}
	if ((c.trace_alerted = calloc(c.d.n_traces + 1, sizeof(*c.trace_alerted))) == NULL) {
		fprintf(stderr, "meshwatch-eval: out of memory\n");
		return 1;
	}
	level_request(&c);
	level_seq(&c, 0);
	level_seq(&c, 1);
	if (c.plot != NULL)
		plots(c.plot);
	if (json != NULL && json_object_to_file_ext(json, c.out, JSON_C_TO_STRING_PRETTY) < 0) {
		fprintf(stderr, "meshwatch-eval: %s: cannot write\n", json);
		return 1;
	}
	json_object_put(c.out);
	if (c.errors)
		fclose(c.errors);
	if (c.features && fclose(c.features) != 0) {
		fprintf(stderr, "meshwatch-eval: --features: write failed\n");
		return 1;
	}
	free(c.trace_alerted);
	tr_stack_free(&c.s);
	tr_free(&c.d);
	for (int k = 0; k < 3; k++)
		mw_model_free(c.m[k]);
	return 0;
}
