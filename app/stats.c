/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stats (control path, main lcore): sums the per-lcore counters, prints a
 * line per interval and a full report at exit or on SIGUSR1, and appends
 * one JSON object per interval, and one at exit, to output.stats (read by
 * perf/pktgen).
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "app.h"

uint64_t
app_rule_hits(const struct app *a, uint32_t r)
{
	uint64_t h = 0;

	for (int i = 0; i < a->cfg.n_rx; i++)
		h += a->pf_ctx[i]->rule_hits[a->gen->pf->rules[r].ref];
	return h;
}

void
app_stats_sum(const struct app *a, struct app_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < a->cfg.n_rx; i++) {
		const struct dp_stats *s = &a->rx[i]->stats;
		for (int k = 0; k < DP_C_MAX; k++)
			t->c[k] += s->c[k];
		for (int k = 0; k < DP_DROP_MAX; k++)
			t->drop[k] += s->drop[k];
	}
	for (int i = 0; i < a->cfg.n_inference; i++) {
		for (int k = 0; k < INF_C_MAX; k++)
			t->inf[k] += a->inf[i]->c[k];
		for (int k = 0; k < INF_LAT_BUCKETS; k++)
			t->lat[k] += a->inf[i]->lat[k];
	}
	for (int i = 0; i < a->cfg.n_ports; i++) {
		struct rte_eth_stats st;
		if (rte_eth_stats_get(a->ports[i].port_id, &st) == 0) {
			t->port_missed += st.imissed;
			t->port_nombuf += st.rx_nombuf;
		}
	}
	for (int k = 0; k < DP_DROP_MAX; k++)
		t->drops_total += t->drop[k];
	t->drops_total += t->c[DP_C_event_ring_full] + t->c[DP_C_event_pool_empty] +
		t->inf[INF_C_out_ring_full] + t->inf[INF_C_summaries_lost] +
		t->inf[INF_C_alerts_lost] + t->port_missed + t->port_nombuf +
		a->out.event_write_errors + a->out.alert_write_errors;
	t->written = a->out.written;
}

uint64_t
app_latency(const struct app_totals *t, double q)
{
	uint64_t n = 0, seen = 0;

	for (int k = 0; k < INF_LAT_BUCKETS; k++)
		n += t->lat[k];
	if (n == 0)
		return 0;
	uint64_t want = (uint64_t)(q * (double)n);
	for (int k = 0; k < INF_LAT_BUCKETS; k++) {
		seen += t->lat[k];
		if (seen > want)
			return inf_lat_upper((unsigned int)k);
	}
	return inf_lat_upper(INF_LAT_BUCKETS - 1);
}

/* How long an lcore's thread has waited for a CPU while it could run (the
 * kernel's run_delay, /proc/.../schedstat), in ms; -1 if unknown. A
 * polling lcore that waits was preempted: its CPU is not its own
 * (isolcpus), and the calls it held waited as long. */
double
app_cpu_wait_ms(int tid)
{
	char path[64];
	unsigned long long run, wait;
	FILE *f;

	if (tid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	int ok = fscanf(f, "%llu %llu", &run, &wait) == 2;
	fclose(f);
	return ok ? (double)wait / 1e6 : -1;
}

/* One lcore of the stats line; with -Dstage_cycles, its cycles per stage. */
static void
add_lcore(json_object *arr, unsigned int lcore, const char *role, int tid,
		const struct mw_stages *st, const char *const *names, int n_stages)
{
	json_object *l = json_object_new_object();

	json_object_object_add(l, "lcore", json_object_new_int((int)lcore));
	json_object_object_add(l, "role", json_object_new_string(role));
	json_object_object_add(l, "cpu_wait_ms", json_object_new_double(app_cpu_wait_ms(tid)));
	if (mw_stage_cycles_built) {
		json_object *c = json_object_new_object();
		for (int k = 0; k < n_stages; k++)
			json_object_object_add(c, names[k],
					json_object_new_int64((int64_t)st->cycles[k]));
		json_object_object_add(l, "stage_cycles", c);
	}
	json_object_array_add(arr, l);
}

void
app_stats_line(struct app *a, FILE *out)
{
	struct app_totals t;
	uint64_t now = rte_rdtsc();
	double dt = (double)(now - a->last_stats_tsc) / (double)rte_get_tsc_hz();
	double up = (double)(now - a->start_tsc) / (double)rte_get_tsc_hz();
	uint32_t flows = 0;

	app_stats_sum(a, &t);
	for (int i = 0; i < a->cfg.n_rx; i++)
		flows += a->rx[i]->n_flows;
	if (dt <= 0)
		dt = 1;
	if (out != NULL) {
		fprintf(out, "[%7.1fs] rx %" PRIu64 " pkts (%.2f Mpps, %.2f Gbit/s)  calls %"
				PRIu64 " (%.0f/s)  flows %u  drops %" PRIu64 "\n", up,
				t.c[DP_C_rx_packets],
				(double)(t.c[DP_C_rx_packets] - a->last.c[DP_C_rx_packets]) / dt / 1e6,
				(double)(t.c[DP_C_rx_bytes] - a->last.c[DP_C_rx_bytes]) * 8 / dt / 1e9,
				t.c[DP_C_events],
				(double)(t.c[DP_C_events] - a->last.c[DP_C_events]) / dt,
				flows, t.drops_total);
		fflush(out);
	}
	a->last = t;
	a->last_stats_tsc = now;
	if (a->stats_file == NULL)
		return;

	json_object *o = json_object_new_object(), *c = json_object_new_object();
	json_object *d = json_object_new_object();
	json_object_object_add(o, "uptime_s", json_object_new_double(up));
	json_object_object_add(o, "tsc_hz", json_object_new_int64((int64_t)rte_get_tsc_hz()));
	for (int k = 0; k < DP_C_MAX; k++)
		json_object_object_add(c, dp_counter_names[k], json_object_new_int64((int64_t)t.c[k]));
	for (int k = 0; k < INF_C_MAX; k++)
		json_object_object_add(c, inf_counter_names[k], json_object_new_int64((int64_t)t.inf[k]));
	json_object_object_add(c, "events_written", json_object_new_int64((int64_t)t.written));
	json_object *lat = json_object_new_object();
	json_object_object_add(lat, "p50", json_object_new_int64((int64_t)app_latency(&t, 0.5)));
	json_object_object_add(lat, "p99", json_object_new_int64((int64_t)app_latency(&t, 0.99)));
	json_object_object_add(lat, "p999", json_object_new_int64((int64_t)app_latency(&t, 0.999)));
	/* the histogram itself, [upper bound in us, calls] for each bucket
	 * that has any: the latency CDF of perf/bench */
	json_object *hist = json_object_new_array();
	for (unsigned int k = 0; k < INF_LAT_BUCKETS; k++) {
		if (t.lat[k] == 0)
			continue;
		json_object *b = json_object_new_array();
		json_object_array_add(b, json_object_new_int64((int64_t)inf_lat_upper(k)));
		json_object_array_add(b, json_object_new_int64((int64_t)t.lat[k]));
		json_object_array_add(hist, b);
	}
	json_object_object_add(lat, "histogram", hist);
	json_object_object_add(o, "latency_us", lat);
	json_object_object_add(c, "alerts_written",
			json_object_new_int64((int64_t)a->out.alerts_written));
	json_object_object_add(c, "alerts_suppressed",
			json_object_new_int64((int64_t)a->out.alerts_suppressed));
	json_object_object_add(c, "event_write_errors",
			json_object_new_int64((int64_t)a->out.event_write_errors));
	json_object_object_add(c, "alert_write_errors",
			json_object_new_int64((int64_t)a->out.alert_write_errors));
	json_object_object_add(c, "port_missed", json_object_new_int64((int64_t)t.port_missed));
	json_object_object_add(c, "port_nombuf", json_object_new_int64((int64_t)t.port_nombuf));
	for (int k = 0; k < DP_DROP_MAX; k++)
		json_object_object_add(d, dp_drop_names[k], json_object_new_int64((int64_t)t.drop[k]));
	if (a->gen->pf != NULL) {
		json_object *rh = json_object_new_object();
		for (uint32_t r = 0; r < a->gen->pf->n_rules; r++) {
			uint64_t h = app_rule_hits(a, r);
			if (h) {
				char id[16];
				snprintf(id, sizeof(id), "%u", a->gen->pf->rules[r].id);
				json_object_object_add(rh, id, json_object_new_int64((int64_t)h));
			}
		}
		json_object_object_add(o, "rule_hits", rh);
	}
	json_object *lc = json_object_new_array();
	for (int i = 0; i < a->cfg.n_rx; i++) {
		add_lcore(lc, a->rx[i]->lcore_id, "rx", a->rx[i]->tid, &a->rx[i]->stats.stages,
				dp_stage_names, DP_STAGE_MAX);
		json_object *l = json_object_array_get_idx(lc, json_object_array_length(lc) - 1);
		json_object_object_add(l, "busy_cycles",
				json_object_new_int64((int64_t)a->rx[i]->stats.tsc_busy));
		json_object_object_add(l, "rx_packets",
				json_object_new_int64((int64_t)a->rx[i]->stats.c[DP_C_rx_packets]));
		json_object_object_add(l, "events",
				json_object_new_int64((int64_t)a->rx[i]->stats.c[DP_C_events]));
	}
	for (int i = 0; i < a->cfg.n_inference; i++) {
		const struct inf_lcore *il = a->inf[i];
		add_lcore(lc, il->lcore_id, "inference", il->tid, &il->stages, inf_stage_names,
				INF_STAGE_MAX);
		json_object *l = json_object_array_get_idx(lc, json_object_array_length(lc) - 1);
		static const enum inf_counter own[] = { INF_C_events_in, INF_C_payload_windows,
			INF_C_trace_steps, INF_C_actor_steps };
		for (unsigned int k = 0; k < RTE_DIM(own); k++)
			json_object_object_add(l, inf_counter_names[own[k]],
					json_object_new_int64((int64_t)il->c[own[k]]));
	}
	json_object_object_add(o, "lcores", lc);
	json_object_object_add(o, "counters", c);
	json_object_object_add(o, "drops", d);
	json_object_object_add(o, "drops_total", json_object_new_int64((int64_t)t.drops_total));
	errno = 0;
	if (fprintf(a->stats_file, "%s\n", json_object_to_json_string_ext(o,
			JSON_C_TO_STRING_PLAIN)) < 0 || fflush(a->stats_file) == EOF) {
		if (!a->stats_failing)
			fprintf(stderr, "output.stats: write failed: %s\n",
					strerror(errno ? errno : EIO));
		a->stats_failing = true;
	} else {
		a->stats_failing = false;
	}
	json_object_put(o);
}

void
app_stats_report(struct app *a, FILE *out)
{
	struct app_totals t;

	app_stats_sum(a, &t);
	fprintf(out, "\n== meshwatch stats ==\n");
	for (int i = 0; i < a->cfg.n_ports; i++)
		app_port_stats(&a->ports[i], out, 1);
	fprintf(out, "rx lcores:\n");
	for (int k = 0; k < DP_C_MAX; k++)
		if (t.c[k])
			fprintf(out, "  %-28s %" PRIu64 "\n", dp_counter_names[k], t.c[k]);
	fprintf(out, "inference lcores:\n");
	for (int k = 0; k < INF_C_MAX; k++)
		fprintf(out, "  %-28s %" PRIu64 "\n", inf_counter_names[k], t.inf[k]);
	fprintf(out, "events written: %" PRIu64 "%s\n", t.written,
			a->out.events ? "" : " (no event log configured)");
	if (a->out.event_write_errors + a->out.alert_write_errors)
		fprintf(out, "WRITES FAILED, lines lost: event log %" PRIu64 ", alert log %"
				PRIu64 "\n", a->out.event_write_errors, a->out.alert_write_errors);
	fprintf(out, "event-to-verdict latency: p50 %" PRIu64 " us, p99 %" PRIu64 " us, p99.9 %"
			PRIu64 " us\n", app_latency(&t, 0.5), app_latency(&t, 0.99),
			app_latency(&t, 0.999));
	fprintf(out, "time lcores waited for their CPU (preempted; isolcpus avoids it):");
	for (int i = 0; i < a->cfg.n_rx; i++)
		fprintf(out, " rx %u %.0f ms;", a->rx[i]->lcore_id, app_cpu_wait_ms(a->rx[i]->tid));
	for (int i = 0; i < a->cfg.n_inference; i++)
		fprintf(out, " inference %u %.0f ms;", a->inf[i]->lcore_id, app_cpu_wait_ms(a->inf[i]->tid));
	fprintf(out, "\n");
	fprintf(out, "alerts written: %" PRIu64 ", suppressed as repeats: %" PRIu64 "%s\n",
			a->out.alerts_written, a->out.alerts_suppressed,
			a->out.alerts || a->out.sock.path[0] || a->out.syslog ? "" :
			" (no alert output configured)");
	if (a->out.sock.path[0])
		fprintf(out, "alert socket %s: %" PRIu64 " sent, %" PRIu64 " lost (full or no "
				"collector), %" PRIu64 " reconnects\n", a->out.sock.path,
				a->out.sock.sent, a->out.sock.lost, a->out.sock.reconnects);
	if (a->gen->pf != NULL) {
		/* the rules that fired most, summed over rx lcores */
		uint32_t n = a->gen->pf->n_rules, shown = 0;
		uint64_t *sum = calloc(n + 1, sizeof(*sum)), scans = 0, bytes = 0;
		for (uint32_t r = 0; r < n; r++)
			sum[r] = app_rule_hits(a, r);
		for (int i = 0; i < a->cfg.n_rx; i++) {
			scans += a->pf_ctx[i]->scans;
			bytes += a->pf_ctx[i]->scanned_bytes;
		}
		fprintf(out, "prefilter: %u rules, %" PRIu64 " scans, %" PRIu64 " bytes; top rules:\n",
				n, scans, bytes);
		while (shown < 15) {
			uint32_t best = n;
			for (uint32_t r = 0; r < n; r++)
				if (sum[r] && (best == n || sum[r] > sum[best]))
					best = r;
			if (best == n)
				break;
			fprintf(out, "  %8u %-10s %10" PRIu64 "  %s\n", a->gen->pf->rules[best].id,
					pf_category_names[a->gen->pf->rules[best].category], sum[best],
					a->gen->pf->rules[best].name);
			sum[best] = 0;
			shown++;
		}
		free(sum);
	}
	fprintf(out, "drops: %" PRIu64 "\n", t.drops_total);
	for (int k = 0; k < DP_DROP_MAX; k++)
		if (t.drop[k])
			fprintf(out, "  %-20s %10" PRIu64 "  %s\n", dp_drop_names[k], t.drop[k],
					dp_drop_text[k]);
	for (int i = 0; i < a->cfg.n_rx; i++) {
		const struct dp_stats *s = &a->rx[i]->stats;
		double pk = s->c[DP_C_rx_packets] ? (double)s->c[DP_C_rx_packets] : 1.0;
		fprintf(out, "rx lcore %u: %" PRIu64 " packets, %.0f cycles/packet busy\n",
				a->rx[i]->lcore_id, s->c[DP_C_rx_packets], (double)s->tsc_busy / pk);
		if (mw_stage_cycles_built) {
			fprintf(out, "  cycles/packet by stage:");
			for (int k = 0; k < DP_STAGE_MAX; k++)
				fprintf(out, " %s %.0f", dp_stage_names[k],
						(double)s->stages.cycles[k] / pk);
			fprintf(out, "\n");
		}
	}
	for (int i = 0; i < a->cfg.n_inference && mw_stage_cycles_built; i++) {
		const struct inf_lcore *il = a->inf[i];
		double ev = il->c[INF_C_events_in] ? (double)il->c[INF_C_events_in] : 1.0;
		fprintf(out, "inference lcore %u: cycles/call by stage:", il->lcore_id);
		for (int k = 0; k < INF_STAGE_MAX; k++)
			fprintf(out, " %s %.0f", inf_stage_names[k], (double)il->stages.cycles[k] / ev);
		fprintf(out, "\n");
	}
	fflush(out);
}
