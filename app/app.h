/* SPDX-License-Identifier: BSD-3-Clause */
/* The running appliance as the main lcore sees it. Control path only. */
#ifndef APP_H
#define APP_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <rte_config.h>

#include "config.h"
#include "dp.h"
#include "inf.h"
#include "output.h"
#include "ports.h"
#include "prefilter.h"
#include "model.h"
#include "payload.h"
#include "gru.h"
#include "inventory.h"

struct rte_mempool;
struct rte_ring;
struct rte_rcu_qsbr;

struct app_totals {
	uint64_t c[DP_C_MAX];
	uint64_t drop[DP_DROP_MAX];
	uint64_t inf[INF_C_MAX];
	uint64_t lat[INF_LAT_BUCKETS];
	uint64_t port_missed, port_nombuf;
	uint64_t drops_total;
	uint64_t written;
};

/*
 * The rules and models running now, and every inference lcore's instances
 * of the models: what a reload (reload.c) builds whole off the data path
 * and swaps in, or rejects whole. The main lcore alone replaces a->gen; the
 * telemetry and Prometheus threads read it under gen_lock.
 */
struct app_gen {
	struct pf_engine *pf;		/* NULL: no pre-filter */
	struct mw_model *model[MW_ALERT_KIND_MAX];	/* by level: payload, trace, actor */
	float thresholds[MW_ALERT_KIND_MAX][MW_MODEL_MAX_CLASSES];	/* config overrides applied */
	char model_path[MW_ALERT_KIND_MAX][PATH_MAX];
	struct inf_payload *payload[CFG_MAX_LCORES];
	struct inf_gru *gru[MW_ALERT_KIND_MAX][CFG_MAX_LCORES];	/* trace and actor */
	uint32_t number;		/* 1 at start, one more each reload */
};

enum app_reload_state { RELOAD_IDLE, RELOAD_BUILDING, RELOAD_BUILT, RELOAD_SWAPPING };

/* A reload in progress and what the earlier ones came to. */
struct app_reload {
	int state;			/* enum app_reload_state; BUILT is set by the thread */
	pthread_t thread;
	struct app_gen *gen;		/* built, not yet running; NULL: rejected */
	struct app_gen *old;		/* replaced, freed after the grace period */
	bool unchanged;			/* built, but the same as the running one */
	bool keep_rules;		/* only models changed: rx keeps its engine */
	char why[512];			/* why it was rejected */
	uint64_t token;			/* RCU: the grace period to wait for */
	uint64_t t0_tsc, swap_tsc;	/* requested; published */
	struct pf_ctx_next pf_hand[CFG_MAX_LCORES];	/* to each rx lcore, and back */
	struct inf_models inf_hand[CFG_MAX_LCORES];	/* to each inference lcore */
	uint64_t applied, unchanged_n, rejected;
	double last_ms;			/* request to old generation freed */
	char last[640];			/* the last outcome, as the log said it */
};

struct app {
	struct mw_config cfg;
	struct app_port ports[CFG_MAX_PORTS];
	struct rte_mempool *mbufs[RTE_MAX_NUMA_NODES];
	struct rte_mempool *events;
	struct dp_lcore *rx[CFG_MAX_LCORES];
	struct inf_lcore *inf[CFG_MAX_LCORES];
	struct rte_ring *to_main[CFG_MAX_LCORES];
	struct dp_services services;
	struct out_ctx out;
	struct app_gen *gen;		/* running */
	pthread_mutex_t gen_lock;	/* the main lcore swapping gen, other threads reading it */
	struct pf_catalog *rules;	/* every rule run since start */
	struct rte_rcu_qsbr *qsbr;	/* rx lcores 0..R-1, then inference lcores */
	struct app_reload reload;
	struct rte_ring *alerts[CFG_MAX_LCORES];
	struct rte_ring *peer[CFG_MAX_LCORES][CFG_MAX_LCORES];	/* summaries, from -> to */
	struct rte_mempool *alert_pool, *summary_pool;
	struct mw_objects *objects;	/* who named each object first: every inference lcore's */
	struct mw_logins *logins;	/* log-ins per account and password: theirs too */
	struct pf_ctx *pf_ctx[CFG_MAX_LCORES];
	struct inventory *inv;		/* what calls what (inventory.h) */
	FILE *stats_file;
	bool stats_failing;		/* its last write failed: said once */
	uint64_t start_tsc, last_stats_tsc;
	struct app_totals last;
};

extern volatile bool app_dump_inventory;	/* the main loop writes the inventory */
extern volatile bool app_reload_requested;	/* SIGHUP or /meshwatch/reload */

/* reload.c. Rules and models of config c: models first (cheap to refuse),
 * then rules, numbered in a->rules. NULL with every problem on err. */
struct app_gen *app_gen_load(const struct mw_config *c, struct pf_catalog *rules, FILE *err);
/* Each inference lcore's instances of g's models, on its socket; 0 or -1
 * with a message in err. */
int app_gen_instances(const struct app *a, struct app_gen *g, char *err, size_t errlen);
void app_gen_free(const struct app *a, struct app_gen *g);
/* Pages of inference lcore i's model instances in g that are resident off
 * node (-1: the kernel cannot say), and their bytes. */
long app_gen_off_node(const struct app_gen *g, int i, int node, size_t *bytes);
/* The main loop's turn: starts a requested reload, publishes one that was
 * built, frees what one replaced once RCU allows. */
void app_reload_poll(struct app *a);
bool app_reload_busy(const struct app *a);
void app_gen_lock(const struct app *a);
void app_gen_unlock(const struct app *a);

void app_stats_sum(const struct app *a, struct app_totals *t);
/* Calls rule r of the running engine matched, over every rx lcore and
 * every reload that kept it unchanged. */
uint64_t app_rule_hits(const struct app *a, uint32_t r);
/* The event-to-verdict latency at quantile q (0..1), in microseconds: the
 * upper bound of its histogram bucket; 0 when nothing was seen. */
uint64_t app_latency(const struct app_totals *t, double q);
/* How long an lcore's thread (tid) has waited for its CPU, in ms; -1 if
 * unknown. */
double app_cpu_wait_ms(int tid);
/* A progress line to out (none if NULL), and a JSON line to the stats file
 * if there is one. */
void app_stats_line(struct app *a, FILE *out);
void app_stats_report(struct app *a, FILE *out);

#endif
