/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rules and models, at start and on reload (control path).
 *
 * A reload (SIGHUP, /meshwatch/reload) reads the config file again and
 * takes from it prefilter.rules, the three model paths and
 * models.thresholds; every other key needs a restart. It runs in three
 * steps, none of which stops rx:
 *
 *  1. build, on a control thread of its own (Hyperscan may compile for
 *     seconds, and the main lcore must keep draining the rings meanwhile):
 *     the new config, models and rules; each inference lcore's instances of
 *     the models, run once so their kernels are paged in; each rx lcore's
 *     scratch and empty clean-value tables. Anything wrong rejects the
 *     whole reload and the running rules and models stay, untouched;
 *  2. publish, on the main lcore: every lcore is handed its new instance
 *     (pf_ctx.next, inf_lcore.next), which it takes between two bursts or
 *     batches; a->gen is swapped under gen_lock; an RCU grace period starts;
 *  3. retire: once every rx and inference lcore has reported a quiescent
 *     state since (rte_rcu_qsbr), none can still be inside a scan or a
 *     batch with the old instances, which are then freed.
 *
 * What may not change without a restart, because state that outlives the
 * swap is shaped by it: which models and whether the pre-filter run, each
 * model's classes (alerts in flight name them by number), and a sequence
 * model's hidden size (its store keeps each key's state). Rules are named
 * by catalog number (prefilter.h), so they may change freely.
 */
#include <errno.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "app.h"

volatile bool app_reload_requested;

/* const: readers lock too; the mutex is the one thing they change */
void
app_gen_lock(const struct app *a)
{
	pthread_mutex_lock((pthread_mutex_t *)&a->gen_lock);
}

void
app_gen_unlock(const struct app *a)
{
	pthread_mutex_unlock((pthread_mutex_t *)&a->gen_lock);
}

/* Each model checked against the level it serves (its kind and, for
 * sequence models, the feature schema this build computes), then the
 * config's per-class threshold overrides applied. */
static int
load_models(struct app_gen *g, const struct mw_config *c, FILE *err)
{
	const char *path[MW_ALERT_KIND_MAX] = { c->payload_model, c->trace_model, c->actor_model };
	const uint32_t kind[MW_ALERT_KIND_MAX] = { MW_MODEL_PAYLOAD, MW_MODEL_SEQUENCE,
		MW_MODEL_SEQUENCE };
	const uint64_t schema[MW_ALERT_KIND_MAX] = { 0, mw_call_schema(), mw_trace_schema() };
	const uint32_t feats[MW_ALERT_KIND_MAX] = { 0, MW_CALL_NFEAT, MW_TRACE_NFEAT };
	char msg[512];

	for (int k = 0; k < MW_ALERT_KIND_MAX; k++) {
		if (!path[k][0])
			continue;
		struct mw_model *m = mw_model_load(path[k], kind[k], schema[k], msg, sizeof(msg));
		if (m == NULL) {
			fprintf(err, "%s: models.%s: %s\n", c->path, mw_alert_kind_names[k], msg);
			return -1;
		}
		g->model[k] = m;
		snprintf(g->model_path[k], sizeof(g->model_path[k]), "%s", path[k]);
		if (k != MW_ALERT_payload && (m->dims[0] != feats[k] ||
					m->n_classes > MW_SEQ_SLOTS + 1 || m->n_classes < 2)) {
			fprintf(err, "%s: models.%s: %s: %u features and %u classes; this level "
					"needs %u features and 2 to %d classes\n", c->path,
					mw_alert_kind_names[k], path[k], m->dims[0], m->n_classes,
					feats[k], MW_SEQ_SLOTS + 1);
			return -1;
		}
		memcpy(g->thresholds[k], m->thresholds, sizeof(g->thresholds[k]));
	}
	for (int t = 0; t < c->n_thresholds; t++) {
		const struct cfg_threshold *th = &c->thresholds[t];
		int used = 0;
		for (int k = 0; k < MW_ALERT_KIND_MAX; k++)
			for (uint32_t j = 0; g->model[k] != NULL && j < g->model[k]->n_classes; j++)
				if (strcmp(g->model[k]->class_names[j], th->cls) == 0) {
					g->thresholds[k][j] = th->value;
					used = 1;
				}
		if (!used) {
			fprintf(err, "%s:%d: models.thresholds.%s: no loaded model has a class "
					"\"%s\"\n", c->path, th->line, th->cls, th->cls);
			return -1;
		}
		if (strcmp(th->cls, "benign") == 0) {
			fprintf(err, "%s:%d: models.thresholds.benign: benign never alerts\n",
					c->path, th->line);
			return -1;
		}
	}
	return 0;
}

struct app_gen *
app_gen_load(const struct mw_config *c, struct pf_catalog *rules, FILE *err)
{
	struct app_gen *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		fprintf(err, "%s: out of memory\n", c->path);
		return NULL;
	}
	if (load_models(g, c, err) < 0)
		goto fail;
	if (c->n_pf_files) {
		g->pf = pf_engine_load((const char *const *)c->pf_files, c->n_pf_files,
				c->pf_cache, rules, err);
		if (g->pf == NULL) {
			fprintf(err, "%s: prefilter.rules: rule files rejected\n", c->path);
			goto fail;
		}
	}
	return g;
fail:
	app_gen_free(NULL, g);
	return NULL;
}

int
app_gen_instances(const struct app *a, struct app_gen *g, char *err, size_t errlen)
{
	const struct mw_config *c = &a->cfg;
	char msg[512];

	for (int i = 0; i < c->n_inference; i++) {
		const int socket = a->inf[i]->socket;
		if (g->model[MW_ALERT_payload] != NULL) {
			g->payload[i] = calloc(1, sizeof(struct inf_payload));
			if (g->payload[i] == NULL || inf_payload_init(g->payload[i],
						g->model[MW_ALERT_payload], c->batch, socket, c->precision,
						msg, sizeof(msg)) < 0) {
				snprintf(err, errlen, "models.payload: %s",
						g->payload[i] ? msg : "out of memory");
				free(g->payload[i]);	/* init cleans up after itself */
				g->payload[i] = NULL;
				return -1;
			}
		}
		for (int k = MW_ALERT_trace; k <= MW_ALERT_actor; k++) {
			if (g->model[k] == NULL)
				continue;
			g->gru[k][i] = calloc(1, sizeof(struct inf_gru));
			if (g->gru[k][i] == NULL || inf_gru_init(g->gru[k][i], g->model[k], c->batch,
						socket, c->precision, msg, sizeof(msg)) < 0) {
				snprintf(err, errlen, "models.%s: %s", mw_alert_kind_names[k],
						g->gru[k][i] ? msg : "out of memory");
				free(g->gru[k][i]);
				g->gru[k][i] = NULL;
				return -1;
			}
		}
	}
	return 0;
}

void
app_gen_free(const struct app *a, struct app_gen *g)
{
	if (g == NULL)
		return;
	for (int i = 0; a != NULL && i < a->cfg.n_inference; i++) {
		if (g->payload[i] != NULL) {
			inf_payload_free(g->payload[i]);
			free(g->payload[i]);
		}
		for (int k = MW_ALERT_trace; k <= MW_ALERT_actor; k++)
			if (g->gru[k][i] != NULL) {
				inf_gru_free(g->gru[k][i]);
				free(g->gru[k][i]);
			}
	}
	for (int k = 0; k < MW_ALERT_KIND_MAX; k++)
		mw_model_free(g->model[k]);
	pf_engine_free(g->pf);
	free(g);
}

long
app_gen_off_node(const struct app_gen *g, int i, int node, size_t *bytes)
{
	const struct inf_mem *mems[] = { g->payload[i] ? &g->payload[i]->mem : NULL,
		g->gru[MW_ALERT_trace][i] ? &g->gru[MW_ALERT_trace][i]->mem : NULL,
		g->gru[MW_ALERT_actor][i] ? &g->gru[MW_ALERT_actor][i]->mem : NULL };
	long off = 0;
	int unknown = 0;

	*bytes = 0;
	for (unsigned int k = 0; k < RTE_DIM(mems); k++)
		if (mems[k] != NULL) {
			long o = inf_mem_off_node(mems[k], node);
			unknown |= o < 0;
			off += o > 0 ? o : 0;
			*bytes += mems[k]->bytes;
		}
	return off ? off : unknown ? -1 : 0;
}

/* What a running appliance cannot take without a restart (see the top). */
static int
fits(const struct app_gen *run, const struct app_gen *g, char *why, size_t n)
{
	if ((run->pf == NULL) != (g->pf == NULL)) {
		snprintf(why, n, "prefilter.rules: turning the pre-filter %s needs a restart",
				g->pf ? "on" : "off");
		return 0;
	}
	for (int k = 0; k < MW_ALERT_KIND_MAX; k++) {
		const struct mw_model *o = run->model[k], *m = g->model[k];
		const char *name = mw_alert_kind_names[k];
		if ((o == NULL) != (m == NULL)) {
			snprintf(why, n, "models.%s: turning the %s model %s needs a restart", name,
					name, m ? "on" : "off");
			return 0;
		}
		if (m == NULL)
			continue;
		bool same = m->n_classes == o->n_classes;
		for (uint32_t j = 0; same && j < m->n_classes; j++)
			same = strcmp(m->class_names[j], o->class_names[j]) == 0;
		if (!same) {
			snprintf(why, n, "models.%s: %.400s has other classes than the running model; "
					"that needs a restart", name, g->model_path[k]);
			return 0;
		}
		if (k != MW_ALERT_payload && m->dims[1] != o->dims[1]) {
			snprintf(why, n, "models.%s: %.400s has hidden size %u, the running model %u; "
					"that needs a restart", name, g->model_path[k], m->dims[1],
					o->dims[1]);
			return 0;
		}
	}
	return 1;
}

/* The same rules, the same model files and the same thresholds: a SIGHUP
 * from logrotate, say. Nothing to swap, and the rx lcores keep what they
 * learned was clean. */
static bool
same_rules(const struct app_gen *run, const struct app_gen *g)
{
	if (g->pf == NULL)
		return true;	/* and so is run's (fits()) */
	if (g->pf->hash != run->pf->hash || g->pf->n_rules != run->pf->n_rules)
		return false;
	for (uint32_t i = 0; i < g->pf->n_rules; i++)
		if (g->pf->rules[i].ref != run->pf->rules[i].ref)
			return false;	/* a name or severity changed */
	return true;
}

static bool
same_gen(const struct app_gen *run, const struct app_gen *g)
{
	if (!same_rules(run, g))
		return false;
	for (int k = 0; k < MW_ALERT_KIND_MAX; k++) {
		const struct mw_model *o = run->model[k], *m = g->model[k];
		if (m != NULL && (m->size != o->size || memcmp(m->blob, o->blob, m->size) != 0))
			return false;
	}
	return memcmp(g->thresholds, run->thresholds, sizeof(g->thresholds)) == 0;
}

/* Step 1, on the reload thread. 0 with r->gen set (or r->unchanged), or -1
 * with r->why. The running generation is only read: the main lcore changes
 * it only after this thread is done. */
static int
build(struct app *a)
{
	struct app_reload *r = &a->reload;
	struct mw_config c;
	struct app_gen *g;
	int problems;

	memset(&c, 0, sizeof(c));
	problems = cfg_load(a->cfg.path, &c, stderr);
	if (problems) {
		cfg_free(&c);
		snprintf(r->why, sizeof(r->why), "%.400s: %d problem%s", a->cfg.path, problems,
				problems > 1 ? "s" : "");
		return -1;
	}
	g = app_gen_load(&c, a->rules, stderr);
	cfg_free(&c);
	if (g == NULL) {
		snprintf(r->why, sizeof(r->why), "%.400s: rules or models refused (above)",
				a->cfg.path);
		return -1;
	}
	if (!fits(a->gen, g, r->why, sizeof(r->why))) {
		app_gen_free(a, g);
		return -1;
	}
	if (same_gen(a->gen, g)) {
		app_gen_free(a, g);
		r->unchanged = true;
		return 0;
	}
	if (app_gen_instances(a, g, r->why, sizeof(r->why)) < 0) {
		app_gen_free(a, g);
		return -1;
	}
	for (int i = 0; i < a->cfg.n_inference; i++) {
		const int node = a->inf[i]->socket;
		size_t bytes;
		inf_warm_up(&(struct inf_models){ .payload = g->payload[i],
				.gru = { g->gru[MW_ALERT_trace][i], g->gru[MW_ALERT_actor][i] } }, node);
		/* as at start (verify_placement): the node the config promised */
		long off = app_gen_off_node(g, i, node, &bytes);
		if (off > 0) {
			snprintf(r->why, sizeof(r->why), "inference lcore %u: %ld pages of the new "
					"models are not on node %d (lcores.inference_numa_node)",
					a->inf[i]->lcore_id, off, node);
			app_gen_free(a, g);
			return -1;
		}
	}
	/* new models under the same rules: the rx lcores keep their engine and
	 * what they learned was clean */
	r->keep_rules = same_rules(a->gen, g);
	for (int i = 0; g->pf != NULL && !r->keep_rules && i < a->cfg.n_rx; i++)
		if (pf_ctx_next_make(&r->pf_hand[i], g->pf,
					(int)rte_lcore_to_socket_id(a->cfg.rx[i])) < 0) {
			snprintf(r->why, sizeof(r->why), "prefilter: cannot allocate rx lcore %u's "
					"scratch and clean-value tables; give EAL more memory (-m)",
					a->cfg.rx[i]);
			while (i-- > 0)
				pf_ctx_next_free(&r->pf_hand[i]);
			app_gen_free(a, g);
			return -1;
		}
	if (r->keep_rules) {	/* the running engine passes to g at the swap */
		pf_engine_free(g->pf);
		g->pf = a->gen->pf;
	}
	g->number = a->gen->number + 1;
	r->gen = g;
	return 0;
}

/* The thread sets BUILT, the main lcore the rest; telemetry reads it. */
static void
set_state(struct app_reload *r, enum app_reload_state s)
{
	__atomic_store_n(&r->state, (int)s, __ATOMIC_RELEASE);
}

static void *
reload_thread(void *arg)
{
	struct app *a = arg;

	omp_set_num_threads(1);	/* the warm-up runs oneDNN here: no pool */
	if (build(a) < 0)
		a->reload.gen = NULL;
	set_state(&a->reload, RELOAD_BUILT);
	return NULL;
}

static void
say(struct app *a, FILE *f, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
say(struct app *a, FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	app_gen_lock(a);	/* /meshwatch/reload reads it */
	vsnprintf(a->reload.last, sizeof(a->reload.last), fmt, ap);
	app_gen_unlock(a);
	va_end(ap);
	fprintf(f, "reload: %s\n", a->reload.last);
	fflush(f);
}

static double
ms_since(uint64_t t0)
{
	return (double)(rte_rdtsc() - t0) * 1e3 / (double)rte_get_tsc_hz();
}

/* Step 2, on the main lcore. */
static void
publish(struct app *a)
{
	struct app_reload *r = &a->reload;
	struct app_gen *g = r->gen;

	for (int i = 0; g->pf != NULL && !r->keep_rules && i < a->cfg.n_rx; i++)
		__atomic_store_n(&a->pf_ctx[i]->next, &r->pf_hand[i], __ATOMIC_RELEASE);
	for (int i = 0; i < a->cfg.n_inference; i++) {
		r->inf_hand[i] = (struct inf_models){
			.payload = g->payload[i], .thresholds = g->thresholds[MW_ALERT_payload],
			.gru = { g->gru[MW_ALERT_trace][i], g->gru[MW_ALERT_actor][i] },
			.level_thr = { g->thresholds[MW_ALERT_trace], g->thresholds[MW_ALERT_actor] },
		};
		__atomic_store_n(&a->inf[i]->next, &r->inf_hand[i], __ATOMIC_RELEASE);
	}
	app_gen_lock(a);
	r->old = a->gen;
	a->gen = g;
	if (r->keep_rules)
		r->old->pf = NULL;	/* g's now */
	app_gen_unlock(a);
	r->gen = NULL;
	/* the same classes (fits()): alerts in flight are named alike */
	for (int k = 0; k < MW_ALERT_KIND_MAX; k++)
		a->out.models[k] = g->model[k];
	r->token = rte_rcu_qsbr_start(a->qsbr);
	r->swap_tsc = rte_rdtsc();
}

/* Step 3: true once the old generation is gone. */
static bool
retire(struct app *a)
{
	struct app_reload *r = &a->reload;

	if (rte_rcu_qsbr_check(a->qsbr, r->token, false) != 1)
		return false;
	/* every lcore reported a quiescent state after the hand-over was
	 * published, so each has taken it; an lcore that went offline
	 * without taking it (shutdown) still holds the old one */
	for (int i = 0; i < a->cfg.n_rx; i++)
		if (a->pf_ctx[i] != NULL && __atomic_load_n(&a->pf_ctx[i]->next, __ATOMIC_ACQUIRE))
			return false;
	for (int i = 0; i < a->cfg.n_inference; i++)
		if (__atomic_load_n(&a->inf[i]->next, __ATOMIC_ACQUIRE))
			return false;
	for (int i = 0; a->gen->pf != NULL && !r->keep_rules && i < a->cfg.n_rx; i++)
		pf_ctx_next_free(&r->pf_hand[i]);	/* the old scratch and tables */
	memset(r->inf_hand, 0, sizeof(r->inf_hand));	/* the old gen's own */
	app_gen_free(a, r->old);
	r->old = NULL;
	return true;
}

static void
start(struct app *a)
{
	struct app_reload *r = &a->reload;
	int rc;

	r->gen = NULL;
	r->unchanged = r->keep_rules = false;
	r->why[0] = '\0';
	r->t0_tsc = rte_rdtsc();
	set_state(r, RELOAD_BUILDING);
	rc = rte_ctrl_thread_create(&r->thread, "mw-reload", NULL, reload_thread, a);
	if (rc != 0) {
		set_state(r, RELOAD_IDLE);
		r->rejected++;
		say(a, stderr, "rejected: cannot start the reload thread (%s); the running rules "
				"and models stay", strerror(rc));
	}
}

static void
describe(const struct app *a, char *out, size_t n)
{
	const struct app_gen *g = a->gen;
	int k = snprintf(out, n, "generation %u:", g->number);

	if (g->pf != NULL)
		k += snprintf(out + k, n - (size_t)k, " %u rules (%s)", g->pf->n_rules,
				a->reload.keep_rules ? "unchanged" :
				g->pf->from_cache ? "from the cache" : "compiled");
	for (int m = 0; m < MW_ALERT_KIND_MAX && k < (int)n; m++)
		if (g->model[m] != NULL)
			k += snprintf(out + k, n - (size_t)k, "; %s model %s",
					mw_alert_kind_names[m], g->model_path[m]);
}

void
app_reload_poll(struct app *a)
{
	struct app_reload *r = &a->reload;
	char what[448];

	switch (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE)) {
	case RELOAD_IDLE:
		if (app_reload_requested) {
			app_reload_requested = false;
			start(a);
		}
		break;
	case RELOAD_BUILDING:
		break;
	case RELOAD_BUILT:
		pthread_join(r->thread, NULL);
		if (r->unchanged) {
			r->unchanged_n++;
			set_state(r, RELOAD_IDLE);
			r->last_ms = ms_since(r->t0_tsc);
			say(a, stdout, "rules and models unchanged; nothing swapped");
		} else if (r->gen == NULL) {
			r->rejected++;
			set_state(r, RELOAD_IDLE);
			r->last_ms = ms_since(r->t0_tsc);
			say(a, stderr, "rejected: %s; the running rules and models stay (generation "
					"%u)", r->why, a->gen->number);
		} else {
			publish(a);
			set_state(r, RELOAD_SWAPPING);
		}
		break;
	case RELOAD_SWAPPING:
		if (!retire(a))
			break;
		r->applied++;
		set_state(r, RELOAD_IDLE);
		r->last_ms = ms_since(r->t0_tsc);
		describe(a, what, sizeof(what));
		say(a, stdout, "applied %s; built in %.0f ms, the old freed %.2f ms after the swap",
				what, r->last_ms - ms_since(r->swap_tsc), ms_since(r->swap_tsc));
		break;
	}
}

bool
app_reload_busy(const struct app *a)
{
	return __atomic_load_n(&a->reload.state, __ATOMIC_ACQUIRE) != RELOAD_IDLE;
}
