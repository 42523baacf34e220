/* SPDX-License-Identifier: BSD-3-Clause */
/* The running appliance as the main lcore sees it. Control path only. */
#ifndef APP_H
#define APP_H

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

struct app_totals {
	uint64_t c[DP_C_MAX];
	uint64_t drop[DP_DROP_MAX];
	uint64_t inf[INF_C_MAX];
	uint64_t lat[INF_LAT_BUCKETS];
	uint64_t port_missed, port_nombuf;
	uint64_t drops_total;
	uint64_t written;
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
	struct pf_engine *pf;
	struct mw_model *model[MW_ALERT_KIND_MAX];	/* by level: payload, trace, actor */
	float thresholds[MW_ALERT_KIND_MAX][MW_MODEL_MAX_CLASSES];	/* config overrides applied */
	struct inf_payload *payload[CFG_MAX_LCORES];
	struct inf_gru *gru[MW_ALERT_KIND_MAX][CFG_MAX_LCORES];	/* trace and actor */
	struct rte_ring *alerts[CFG_MAX_LCORES];
	struct rte_ring *peer[CFG_MAX_LCORES][CFG_MAX_LCORES];	/* summaries, from -> to */
	struct rte_mempool *alert_pool, *summary_pool;
	struct mw_objects *objects;	/* who named each object first: every inference lcore's */
	struct mw_logins *logins;	/* log-ins per account and password: theirs too */
	struct pf_ctx *pf_ctx[CFG_MAX_LCORES];
	struct inventory *inv;		/* what calls what (inventory.h) */
	FILE *stats_file;
	uint64_t start_tsc, last_stats_tsc;
	struct app_totals last;
};

extern volatile bool app_dump_inventory;	/* the main loop writes the inventory */

void app_stats_sum(const struct app *a, struct app_totals *t);
/* The event-to-verdict latency at quantile q (0..1), in microseconds: the
 * upper bound of its histogram bucket; 0 when nothing was seen. */
uint64_t app_latency(const struct app_totals *t, double q);
/* How long an lcore's thread (tid) has waited for its CPU, in ms; -1 if
 * unknown. */
double app_cpu_wait_ms(int tid);
void app_stats_line(struct app *a, FILE *out);
void app_stats_report(struct app *a, FILE *out);

#endif
