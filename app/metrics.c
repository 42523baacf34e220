/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus text exposition of the appliance's counters (control
 * path; telemetry.c serves it). Counters are per lcore, and an rx lcore's
 * carry the stage that counts them; rule hits are summed over rx lcores;
 * alerts are per level and class. Every family is written whole, zeros
 * too, so a series never appears from nowhere.
 */
#include <inttypes.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ring.h>
#include <rte_version.h>

#include "app.h"
#include "telemetry.h"

unsigned int
app_rings(const struct app *a, struct app_ring *out, unsigned int cap)
{
	unsigned int n = 0;

#define RING(ring, k, lc, cnt) do { \
		if ((ring) != NULL && n < cap) \
			out[n++] = (struct app_ring){ (ring), (k), (lc), &(cnt) }; \
	} while (0)
	for (int i = 0; i < a->cfg.n_rx; i++)
		for (int j = 0; j < a->cfg.n_inference; j++)
			RING(a->rx[i]->to_inf[j], "rx_to_inference", a->rx[i]->lcore_id,
					a->rx[i]->stats.c[DP_C_event_ring_full]);
	for (int i = 0; i < a->cfg.n_inference; i++) {
		const struct inf_lcore *il = a->inf[i];
		RING(a->to_main[i], "events_to_main", il->lcore_id, il->c[INF_C_out_ring_full]);
		RING(a->alerts[i], "alerts", il->lcore_id, il->c[INF_C_alerts_lost]);
		for (int j = 0; j < a->cfg.n_inference; j++)
			RING(a->peer[i][j], "summaries", il->lcore_id, il->c[INF_C_summaries_lost]);
	}
#undef RING
	return n;
}

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, quote and newline escaped. */
static void
label(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* Which rx stage counts a counter, by its name's first word. */
static const char *
stage_of(const char *counter)
{
	static const struct { const char *prefix, *stage; } map[] = {
		{ "rx_", "rx" }, { "tunnel", "decode" }, { "frag", "decode" },
		{ "flows", "flow" }, { "tcp", "flow" }, { "http", "http" }, { "event", "handoff" },
	};

	for (unsigned int i = 0; i < RTE_DIM(map); i++)
		if (strncmp(counter, map[i].prefix, strlen(map[i].prefix)) == 0)
			return map[i].stage;
	return "rx";
}

static void
ports(const struct app *a, FILE *f)
{
	static const struct { const char *name, *help; size_t off; } fam[] = {
		{ "meshwatch_port_packets_total", "Packets the port received",
			offsetof(struct rte_eth_stats, ipackets) },
		{ "meshwatch_port_bytes_total", "Bytes the port received",
			offsetof(struct rte_eth_stats, ibytes) },
		{ "meshwatch_port_missed_total", "Packets the port dropped: no rx descriptor free",
			offsetof(struct rte_eth_stats, imissed) },
		{ "meshwatch_port_errors_total", "Erroneous packets the port received",
			offsetof(struct rte_eth_stats, ierrors) },
		{ "meshwatch_port_nombuf_total", "Packets lost for want of an mbuf",
			offsetof(struct rte_eth_stats, rx_nombuf) },
	};
	struct rte_eth_stats st[CFG_MAX_PORTS];
	bool ok[CFG_MAX_PORTS];

	for (int i = 0; i < a->cfg.n_ports; i++)
		ok[i] = rte_eth_stats_get(a->ports[i].port_id, &st[i]) == 0;
	for (unsigned int k = 0; k < RTE_DIM(fam); k++) {
		family(f, fam[k].name, "counter", fam[k].help);
		for (int i = 0; i < a->cfg.n_ports; i++) {
			if (!ok[i])
				continue;
			fprintf(f, "%s{port=\"", fam[k].name);
			label(f, a->ports[i].cfg->name);
			fprintf(f, "\"} %" PRIu64 "\n",
					*(const uint64_t *)((const char *)&st[i] + fam[k].off));
		}
	}
}

static void
rx_lcores(const struct app *a, FILE *f)
{
	char name[96];

	for (int k = 0; k < DP_C_MAX; k++) {
		snprintf(name, sizeof(name), "meshwatch_%s_total", dp_counter_names[k]);
		fprintf(f, "# HELP %s rx lcore counter %s (stage %s)\n# TYPE %s counter\n", name,
				dp_counter_names[k], stage_of(dp_counter_names[k]), name);
		for (int i = 0; i < a->cfg.n_rx; i++)
			fprintf(f, "%s{lcore=\"%u\",stage=\"%s\"} %" PRIu64 "\n", name,
					a->rx[i]->lcore_id, stage_of(dp_counter_names[k]),
					a->rx[i]->stats.c[k]);
	}
	family(f, "meshwatch_drops_total", "counter",
			"Packets an rx lcore dropped before a flow, by reason (configs/README.md)");
	for (int i = 0; i < a->cfg.n_rx; i++)
		for (int k = 0; k < DP_DROP_MAX; k++)
			fprintf(f, "meshwatch_drops_total{lcore=\"%u\",stage=\"decode\",reason=\"%s\"} %"
					PRIu64 "\n", a->rx[i]->lcore_id, dp_drop_names[k],
					a->rx[i]->stats.drop[k]);
	family(f, "meshwatch_flows", "gauge", "Flows in an rx lcore's table");
	for (int i = 0; i < a->cfg.n_rx; i++)
		fprintf(f, "meshwatch_flows{lcore=\"%u\"} %u\n", a->rx[i]->lcore_id,
				a->rx[i]->n_flows);
	family(f, "meshwatch_flow_capacity", "gauge", "Flows an rx lcore's table holds at most");
	for (int i = 0; i < a->cfg.n_rx; i++)
		fprintf(f, "meshwatch_flow_capacity{lcore=\"%u\"} %u\n", a->rx[i]->lcore_id,
				a->cfg.lim.flows);
	family(f, "meshwatch_lcore_busy_cycles_total", "counter",
			"TSC cycles an rx lcore spent on bursts that brought packets");
	for (int i = 0; i < a->cfg.n_rx; i++)
		fprintf(f, "meshwatch_lcore_busy_cycles_total{lcore=\"%u\",role=\"rx\"} %" PRIu64 "\n",
				a->rx[i]->lcore_id, a->rx[i]->stats.tsc_busy);
	if (a->gen->pf == NULL)
		return;
	family(f, "meshwatch_prefilter_scans_total", "counter", "Hyperscan scans");
	for (int i = 0; i < a->cfg.n_rx; i++)
		fprintf(f, "meshwatch_prefilter_scans_total{lcore=\"%u\",stage=\"prefilter\"} %" PRIu64
				"\n", a->rx[i]->lcore_id, a->pf_ctx[i]->scans);
	family(f, "meshwatch_prefilter_scanned_bytes_total", "counter", "Bytes Hyperscan scanned");
	for (int i = 0; i < a->cfg.n_rx; i++)
		fprintf(f, "meshwatch_prefilter_scanned_bytes_total{lcore=\"%u\",stage=\"prefilter\"} %"
				PRIu64 "\n", a->rx[i]->lcore_id, a->pf_ctx[i]->scanned_bytes);
	family(f, "meshwatch_rule_hits_total", "counter",
			"Calls a pre-filter rule matched, over every rx lcore");
	for (uint32_t r = 0; r < a->gen->pf->n_rules; r++)
		fprintf(f, "meshwatch_rule_hits_total{rule=\"%u\",category=\"%s\"} %" PRIu64 "\n",
				a->gen->pf->rules[r].id,
				pf_category_names[a->gen->pf->rules[r].category], app_rule_hits(a, r));
}

static void
inference_lcores(const struct app *a, FILE *f)
{
	char name[96];

	for (int k = 0; k < INF_C_MAX; k++) {
		snprintf(name, sizeof(name), "meshwatch_inference_%s_total", inf_counter_names[k]);
		fprintf(f, "# HELP %s inference lcore counter %s\n# TYPE %s counter\n", name,
				inf_counter_names[k], name);
		for (int i = 0; i < a->cfg.n_inference; i++)
			fprintf(f, "%s{lcore=\"%u\"} %" PRIu64 "\n", name, a->inf[i]->lcore_id,
					a->inf[i]->c[k]);
	}
	/* the histogram's buckets, coarsened: cumulative counts at these bounds */
	static const uint64_t le[] = { 10, 25, 50, 100, 250, 500, 1000, 2048, 4096, 8192,
		16384, 65536, 262144, 1048576, 4194304 };
	uint64_t sum = 0, count = 0;
	family(f, "meshwatch_verdict_latency_microseconds", "histogram",
			"Time from a call's hand-off by its rx lcore to its verdict");
	for (int i = 0; i < a->cfg.n_inference; i++)
		sum += a->inf[i]->lat_sum_us;
	for (unsigned int b = 0, k = 0; b < RTE_DIM(le); b++) {
		for (; k < INF_LAT_BUCKETS && inf_lat_upper(k) <= le[b]; k++)
			for (int i = 0; i < a->cfg.n_inference; i++)
				count += a->inf[i]->lat[k];
		fprintf(f, "meshwatch_verdict_latency_microseconds_bucket{le=\"%" PRIu64 "\"} %"
				PRIu64 "\n", le[b], count);
	}
	count = 0;
	for (unsigned int k = 0; k < INF_LAT_BUCKETS; k++)
		for (int i = 0; i < a->cfg.n_inference; i++)
			count += a->inf[i]->lat[k];
	fprintf(f, "meshwatch_verdict_latency_microseconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
			"meshwatch_verdict_latency_microseconds_sum %" PRIu64 "\n"
			"meshwatch_verdict_latency_microseconds_count %" PRIu64 "\n", count, sum, count);
}

/* Per-stage cycles exist only in a -Dstage_cycles build. */
static void
stages(const struct app *a, FILE *f)
{
	if (!mw_stage_cycles_built)
		return;
	family(f, "meshwatch_stage_cycles_total", "counter", "TSC cycles an lcore spent per stage");
	for (int i = 0; i < a->cfg.n_rx; i++)
		for (int k = 0; k < DP_STAGE_MAX; k++)
			fprintf(f, "meshwatch_stage_cycles_total{lcore=\"%u\",role=\"rx\",stage=\"%s\"} %"
					PRIu64 "\n", a->rx[i]->lcore_id, dp_stage_names[k],
					a->rx[i]->stats.stages.cycles[k]);
	for (int i = 0; i < a->cfg.n_inference; i++)
		for (int k = 0; k < INF_STAGE_MAX; k++)
			fprintf(f, "meshwatch_stage_cycles_total{lcore=\"%u\",role=\"inference\","
					"stage=\"%s\"} %" PRIu64 "\n", a->inf[i]->lcore_id,
					inf_stage_names[k], a->inf[i]->stages.cycles[k]);
}

static void
rings(const struct app *a, FILE *f)
{
	struct app_ring r[CFG_MAX_LCORES * 4];
	unsigned int n = app_rings(a, r, RTE_DIM(r));

	family(f, "meshwatch_ring_entries", "gauge", "Entries waiting in a ring between lcores");
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "meshwatch_ring_entries{ring=\"%s\",kind=\"%s\"} %u\n", r[i].r->name,
				r[i].kind, rte_ring_count(r[i].r));
	family(f, "meshwatch_ring_capacity", "gauge", "Entries a ring between lcores holds");
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "meshwatch_ring_capacity{ring=\"%s\",kind=\"%s\"} %u\n", r[i].r->name,
				r[i].kind, rte_ring_get_capacity(r[i].r));
	/* one count per producer and kind: the first ring of each says it */
	family(f, "meshwatch_ring_drops_total", "counter",
			"What a producer lost because its ring of this kind was full");
	for (unsigned int i = 0; i < n; i++) {
		if (i > 0 && r[i - 1].drops == r[i].drops)
			continue;
		fprintf(f, "meshwatch_ring_drops_total{kind=\"%s\",lcore=\"%u\"} %" PRIu64 "\n",
				r[i].kind, r[i].from, *r[i].drops);
	}
}

static void
alerts(const struct app *a, FILE *f)
{
	family(f, "meshwatch_alerts_total", "counter",
			"Alerts the models raised, by level and class (before suppression)");
	for (int k = 0; k < MW_ALERT_KIND_MAX; k++)
		for (uint32_t c = 1; a->gen->model[k] != NULL && c < a->gen->model[k]->n_classes; c++) {
			fprintf(f, "meshwatch_alerts_total{level=\"%s\",class=\"",
					mw_alert_kind_names[k]);
			label(f, a->gen->model[k]->class_names[c]);
			fprintf(f, "\"} %" PRIu64 "\n", a->out.raised[k][c]);
		}
	family(f, "meshwatch_model_threshold", "gauge",
			"The probability at which a class alerts, by level");
	for (int k = 0; k < MW_ALERT_KIND_MAX; k++)
		for (uint32_t c = 1; a->gen->model[k] != NULL && c < a->gen->model[k]->n_classes; c++) {
			fprintf(f, "meshwatch_model_threshold{level=\"%s\",class=\"",
					mw_alert_kind_names[k]);
			label(f, a->gen->model[k]->class_names[c]);
			fprintf(f, "\"} %.6g\n", (double)a->gen->thresholds[k][c]);
		}
	family(f, "meshwatch_alerts_written_total", "counter", "Alerts written to the alert log");
	fprintf(f, "meshwatch_alerts_written_total %" PRIu64 "\n", a->out.alerts_written);
	family(f, "meshwatch_alerts_suppressed_total", "counter",
			"Alerts counted into an earlier one of the same key, level and class");
	fprintf(f, "meshwatch_alerts_suppressed_total %" PRIu64 "\n", a->out.alerts_suppressed);
	if (a->out.sock.path[0]) {
		family(f, "meshwatch_alert_socket_sent_total", "counter",
				"Alert lines sent to output.alerts_socket");
		fprintf(f, "meshwatch_alert_socket_sent_total %" PRIu64 "\n", a->out.sock.sent);
		family(f, "meshwatch_alert_socket_lost_total", "counter",
				"Alert lines output.alerts_socket could not take (full, or no collector)");
		fprintf(f, "meshwatch_alert_socket_lost_total %" PRIu64 "\n", a->out.sock.lost);
	}
	struct inv_counts ic;
	inv_lock(a->inv);
	inv_counts(a->inv, &ic);
	inv_unlock(a->inv);
	family(f, "meshwatch_inventory_endpoints", "gauge", "Endpoints (method + template) learned");
	fprintf(f, "meshwatch_inventory_endpoints %" PRIu64 "\n", ic.endpoints);
	family(f, "meshwatch_inventory_edges", "gauge", "Callers and endpoints paired");
	fprintf(f, "meshwatch_inventory_edges %" PRIu64 "\n", ic.edges);
	family(f, "meshwatch_inventory_unmatched_calls_total", "counter",
			"Calls that matched no endpoint and founded none (probes, errors)");
	fprintf(f, "meshwatch_inventory_unmatched_calls_total %" PRIu64 "\n", ic.unmatched);
	family(f, "meshwatch_inventory_findings_total", "counter",
			"Low-severity inventory findings, by kind");
	for (int k = 0; k < INV_FINDING_MAX; k++)
		fprintf(f, "meshwatch_inventory_findings_total{finding=\"%s\"} %" PRIu64 "\n",
				inv_finding_names[k], ic.findings[k]);
	family(f, "meshwatch_events_written_total", "counter", "Calls written to the event log");
	fprintf(f, "meshwatch_events_written_total %" PRIu64 "\n", a->out.written);
	family(f, "meshwatch_log_write_errors_total", "counter",
			"Writes to a log that failed (a full disk): lines lost, by log");
	fprintf(f, "meshwatch_log_write_errors_total{log=\"events\"} %" PRIu64 "\n",
			a->out.event_write_errors);
	fprintf(f, "meshwatch_log_write_errors_total{log=\"alerts\"} %" PRIu64 "\n",
			a->out.alert_write_errors);
}

void
app_prometheus(const struct app *a, FILE *f)
{
	uint64_t now = rte_rdtsc();

	family(f, "meshwatch_info", "gauge", "The running build");
	fprintf(f, "meshwatch_info{version=\"%s\",event_version=\"%d\",dpdk=\"", MW_VERSION,
			MW_EVENT_VERSION);
	label(f, rte_version());
	fputs("\"} 1\n", f);
	family(f, "meshwatch_generation", "gauge",
			"Rules and models running: 1 at start, one more each applied reload");
	fprintf(f, "meshwatch_generation %u\n", a->gen->number);
	family(f, "meshwatch_reloads_total", "counter",
			"Reloads (SIGHUP, /meshwatch/reload) by outcome");
	fprintf(f, "meshwatch_reloads_total{result=\"applied\"} %" PRIu64 "\n"
			"meshwatch_reloads_total{result=\"unchanged\"} %" PRIu64 "\n"
			"meshwatch_reloads_total{result=\"rejected\"} %" PRIu64 "\n",
			a->reload.applied, a->reload.unchanged_n, a->reload.rejected);
	family(f, "meshwatch_uptime_seconds", "gauge", "Seconds since rx started");
	fprintf(f, "meshwatch_uptime_seconds %.3f\n", a->start_tsc && now > a->start_tsc ?
			(double)(now - a->start_tsc) / (double)rte_get_tsc_hz() : 0.0);
	ports(a, f);
	rx_lcores(a, f);
	inference_lcores(a, f);
	stages(a, f);
	rings(a, f);
	alerts(a, f);
}
