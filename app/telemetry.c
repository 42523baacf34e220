/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry (control path). DPDK's telemetry thread answers /meshwatch/...
 * commands on its socket (dpdk-telemetry.py); libmicrohttpd's thread answers
 * GET /metrics on telemetry.prometheus. Neither runs on an lcore of ours
 * but the main one's CPU set, so neither touches the data path: they read
 * each lcore's counters as the stats line does (relaxed: a burst stale at
 * most) and never write anything the lcores read.
 *
 * What they read lives until app_telemetry_stop(): one lock, taken by each
 * answer and by stop, keeps an answer from reading freed lcores.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_ring.h>
#include <rte_telemetry.h>

#include "app.h"
#include "telemetry.h"

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct app *tel_app;	/* NULL: stopped */
static struct MHD_Daemon *tel_http;

/* Telemetry names may hold letters, digits, '_' and '/' only. */
static const char *
tel_name(char *buf, size_t n, const char *s)
{
	size_t i = 0;

	for (; s[i] && i + 1 < n; i++)
		buf[i] = (char)((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
				(s[i] >= '0' && s[i] <= '9') || s[i] == '/' ? s[i] : '_');
	buf[i] = '\0';
	return buf;
}

static struct rte_tel_data *
new_dict(void)
{
	struct rte_tel_data *d = rte_tel_data_alloc();

	if (d != NULL)
		rte_tel_data_start_dict(d);
	return d;
}

/* Adds child under name, or frees it when d has no room. */
static void
add_child(struct rte_tel_data *d, const char *name, struct rte_tel_data *child)
{
	char n[RTE_TEL_MAX_STRING_LEN];

	if (child != NULL && rte_tel_data_add_dict_container(d, tel_name(n, sizeof(n), name),
				child, 0) != 0)
		rte_tel_data_free(child);
}

static void
add_u64(struct rte_tel_data *d, const char *name, uint64_t v)
{
	char n[RTE_TEL_MAX_STRING_LEN];

	rte_tel_data_add_dict_u64(d, tel_name(n, sizeof(n), name), v);
}

/* Telemetry has no floating point: fractions go as strings. */
static void
add_real(struct rte_tel_data *d, const char *name, double v)
{
	char n[RTE_TEL_MAX_STRING_LEN], s[32];

	snprintf(s, sizeof(s), "%.6g", v);
	rte_tel_data_add_dict_string(d, tel_name(n, sizeof(n), name), s);
}

/* Runs fill with the app, or answers an error once telemetry stopped. */
static int
answer(void (*fill)(const struct app *, const char *, struct rte_tel_data *),
		const char *params, struct rte_tel_data *d)
{
	int rc = -1;

	pthread_mutex_lock(&tel_lock);
	if (tel_app != NULL) {
		rte_tel_data_start_dict(d);
		app_gen_lock(tel_app);	/* rules and models stay while we read */
		fill(tel_app, params, d);
		app_gen_unlock(tel_app);
		rc = 0;
	}
	pthread_mutex_unlock(&tel_lock);
	return rc;
}

static double
uptime_s(const struct app *a)
{
	uint64_t now = rte_rdtsc();

	return a->start_tsc && now > a->start_tsc ?
		(double)(now - a->start_tsc) / (double)rte_get_tsc_hz() : 0;
}

static void
fill_stats(const struct app *a, const char *params, struct rte_tel_data *d)
{
	struct app_totals t;
	struct rte_tel_data *c = new_dict(), *dr = new_dict(), *lat = new_dict();

	(void)params;
	app_stats_sum(a, &t);
	add_real(d, "uptime_s", uptime_s(a));
	for (int k = 0; c != NULL && k < DP_C_MAX; k++)
		add_u64(c, dp_counter_names[k], t.c[k]);
	for (int k = 0; c != NULL && k < INF_C_MAX; k++)
		add_u64(c, inf_counter_names[k], t.inf[k]);
	add_child(d, "counters", c);
	for (int k = 0; dr != NULL && k < DP_DROP_MAX; k++)
		add_u64(dr, dp_drop_names[k], t.drop[k]);
	add_child(d, "drops", dr);
	add_u64(d, "drops_total", t.drops_total);
	add_u64(d, "events_written", t.written);
	add_u64(d, "alerts_written", a->out.alerts_written);
	add_u64(d, "alerts_suppressed", a->out.alerts_suppressed);
	add_u64(d, "event_write_errors", a->out.event_write_errors);
	add_u64(d, "alert_write_errors", a->out.alert_write_errors);
	if (lat != NULL) {
		add_u64(lat, "p50", app_latency(&t, 0.5));
		add_u64(lat, "p99", app_latency(&t, 0.99));
		add_u64(lat, "p999", app_latency(&t, 0.999));
	}
	add_child(d, "latency_us", lat);
}

static void
fill_ports(const struct app *a, const char *params, struct rte_tel_data *d)
{
	(void)params;
	for (int i = 0; i < a->cfg.n_ports; i++) {
		const struct app_port *p = &a->ports[i];
		struct rte_eth_stats st;
		struct rte_tel_data *pd = new_dict();

		if (pd == NULL)
			continue;
		add_u64(pd, "port_id", p->port_id);
		add_u64(pd, "queues", p->n_queues);
		add_u64(pd, "socket", (uint64_t)p->socket);
		if (rte_eth_stats_get(p->port_id, &st) == 0) {
			add_u64(pd, "ipackets", st.ipackets);
			add_u64(pd, "ibytes", st.ibytes);
			add_u64(pd, "imissed", st.imissed);
			add_u64(pd, "ierrors", st.ierrors);
			add_u64(pd, "rx_nombuf", st.rx_nombuf);
		}
		add_child(d, p->cfg->name, pd);
	}
}

/* What every lcore's entry has; the caller adds its role's counters. */
static struct rte_tel_data *
lcore_entry(const char *role, unsigned int socket, int tid, const struct mw_stages *st,
		const char *const *stage_names, int n_stages)
{
	struct rte_tel_data *l = new_dict();
	char name[32];

	if (l == NULL)
		return NULL;
	rte_tel_data_add_dict_string(l, "role", role);
	add_u64(l, "socket", socket);
	add_real(l, "cpu_wait_ms", app_cpu_wait_ms(tid));
	for (int k = 0; mw_stage_cycles_built && k < n_stages; k++) {
		snprintf(name, sizeof(name), "cycles_%s", stage_names[k]);
		add_u64(l, name, st->cycles[k]);
	}
	return l;
}

static void
add_lcore(struct rte_tel_data *d, unsigned int lcore, struct rte_tel_data *l)
{
	char name[32];

	snprintf(name, sizeof(name), "lcore_%u", lcore);
	add_child(d, name, l);
}

static void
fill_lcores(const struct app *a, const char *params, struct rte_tel_data *d)
{
	(void)params;
	for (int i = 0; i < a->cfg.n_rx; i++) {
		const struct dp_lcore *lc = a->rx[i];
		struct rte_tel_data *l = lcore_entry("rx", rte_lcore_to_socket_id(lc->lcore_id),
				lc->tid, &lc->stats.stages, dp_stage_names, DP_STAGE_MAX);
		if (l == NULL)
			continue;
		add_u64(l, "queues", lc->n_queues);
		add_u64(l, "rx_packets", lc->stats.c[DP_C_rx_packets]);
		add_u64(l, "events", lc->stats.c[DP_C_events]);
		add_u64(l, "busy_cycles", lc->stats.tsc_busy);
		add_u64(l, "bursts", lc->stats.bursts);
		add_lcore(d, lc->lcore_id, l);
	}
	for (int i = 0; i < a->cfg.n_inference; i++) {
		const struct inf_lcore *il = a->inf[i];
		struct rte_tel_data *l = lcore_entry("inference", (unsigned int)il->socket, il->tid,
				&il->stages, inf_stage_names, INF_STAGE_MAX);
		if (l == NULL)
			continue;
		add_u64(l, "events_in", il->c[INF_C_events_in]);
		add_u64(l, "batches", il->c[INF_C_batches]);
		add_u64(l, "trace_steps", il->c[INF_C_trace_steps]);
		add_u64(l, "actor_steps", il->c[INF_C_actor_steps]);
		add_lcore(d, il->lcore_id, l);
	}
}

static void
fill_flows(const struct app *a, const char *params, struct rte_tel_data *d)
{
	static const enum dp_counter shown[] = { DP_C_flows_created, DP_C_flows_expired,
		DP_C_flows_evicted, DP_C_flows_reused, DP_C_flows_midstream };

	(void)params;
	for (int i = 0; i < a->cfg.n_rx; i++) {
		const struct dp_lcore *lc = a->rx[i];
		struct rte_tel_data *l = new_dict();
		if (l == NULL)
			continue;
		add_u64(l, "flows", lc->n_flows);
		add_u64(l, "capacity", a->cfg.lim.flows);
		for (unsigned int k = 0; k < RTE_DIM(shown); k++)
			add_u64(l, dp_counter_names[shown[k]], lc->stats.c[shown[k]]);
		add_u64(l, "table_full", lc->stats.drop[DP_DROP_flow_table_full]);
		add_lcore(d, lc->lcore_id, l);
	}
}

/* /meshwatch/rules: totals and the hits of every rule that fired (the
 * busiest when more fired than a reply holds); /meshwatch/rules,ID: one. */
static void
fill_rules(const struct app *a, const char *params, struct rte_tel_data *d)
{
	const struct pf_engine *pf = a->gen->pf;
	uint64_t scans = 0, bytes = 0;
	char id[16];

	if (pf == NULL) {
		add_u64(d, "rules", 0);
		return;
	}
	if (params != NULL && *params) {
		char *end;
		unsigned long want = strtoul(params, &end, 10);
		for (uint32_t r = 0; !*end && r < pf->n_rules; r++) {
			const struct pf_rule *ru = &pf->rules[r];
			if (ru->id != want)
				continue;
			add_u64(d, "id", ru->id);
			rte_tel_data_add_dict_string(d, "name", ru->name);
			rte_tel_data_add_dict_string(d, "category", pf_category_names[ru->category]);
			add_u64(d, "severity", ru->severity);
			rte_tel_data_add_dict_string(d, "file", ru->file ? ru->file : "");
			add_u64(d, "line", (uint64_t)ru->line);
			add_u64(d, "hits", app_rule_hits(a, r));
			return;
		}
		rte_tel_data_add_dict_string(d, "error", "no rule has that id");
		return;
	}
	for (int i = 0; i < a->cfg.n_rx; i++) {
		scans += a->pf_ctx[i]->scans;
		bytes += a->pf_ctx[i]->scanned_bytes;
	}
	add_u64(d, "rules", pf->n_rules);
	add_u64(d, "scans", scans);
	add_u64(d, "scanned_bytes", bytes);
	struct rte_tel_data *h = new_dict();
	uint64_t *sum = calloc(pf->n_rules, sizeof(*sum));
	if (h == NULL || sum == NULL) {
		free(sum);
		rte_tel_data_free(h);
		return;
	}
	for (uint32_t r = 0; r < pf->n_rules; r++)
		sum[r] = app_rule_hits(a, r);
	for (int shown = 0; shown < RTE_TEL_MAX_DICT_ENTRIES; shown++) {
		uint32_t best = pf->n_rules;
		for (uint32_t r = 0; r < pf->n_rules; r++)
			if (sum[r] && (best == pf->n_rules || sum[r] > sum[best]))
				best = r;
		if (best == pf->n_rules)
			break;
		snprintf(id, sizeof(id), "%u", pf->rules[best].id);
		add_u64(h, id, sum[best]);
		sum[best] = 0;
	}
	free(sum);
	add_child(d, "hits", h);
}

static void
fill_models(const struct app *a, const char *params, struct rte_tel_data *d)
{
	(void)params;
	add_u64(d, "generation", a->gen->number);
	for (int k = 0; k < MW_ALERT_KIND_MAX; k++) {
		const struct mw_model *m = a->gen->model[k];
		struct rte_tel_data *l, *th, *al;
		char hash[24];
		if (m == NULL || (l = new_dict()) == NULL)
			continue;
		rte_tel_data_add_dict_string(l, "path", a->gen->model_path[k]);
		snprintf(hash, sizeof(hash), "%016" PRIx64, m->schema_hash);
		rte_tel_data_add_dict_string(l, "schema", hash);
		add_u64(l, "classes", m->n_classes);
		th = new_dict();
		al = new_dict();
		for (uint32_t c = 1; th != NULL && al != NULL && c < m->n_classes; c++) {
			add_real(th, m->class_names[c], a->gen->thresholds[k][c]);
			add_u64(al, m->class_names[c], a->out.raised[k][c]);
		}
		add_child(l, "thresholds", th);
		add_child(l, "alerts", al);
		add_child(d, mw_alert_kind_names[k], l);
	}
}

/* /meshwatch/reload: starts a reload (SIGHUP's, without reopening the
 * logs) and says where the last one stands; /meshwatch/reload,status only
 * says. The outcome shows here and in the log once the main lcore has it. */
static void
fill_reload(const struct app *a, const char *params, struct rte_tel_data *d)
{
	static const char *const states[] = { "idle", "building", "built", "swapping" };
	const struct app_reload *r = &a->reload;
	int st = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);

	if (params == NULL || strcmp(params, "status") != 0) {
		app_reload_requested = true;
		add_u64(d, "requested", 1);
	}
	rte_tel_data_add_dict_string(d, "state", states[st]);
	add_u64(d, "generation", a->gen->number);
	add_u64(d, "applied", r->applied);
	add_u64(d, "unchanged", r->unchanged_n);
	add_u64(d, "rejected", r->rejected);
	add_real(d, "last_ms", r->last_ms);
	rte_tel_data_add_dict_string(d, "last", r->last);
}

static void
fill_rings(const struct app *a, const char *params, struct rte_tel_data *d)
{
	struct app_ring rings[RTE_TEL_MAX_DICT_ENTRIES];
	unsigned int n = app_rings(a, rings, RTE_DIM(rings));

	(void)params;
	for (unsigned int i = 0; i < n; i++) {
		struct rte_tel_data *r = new_dict();
		if (r == NULL)
			continue;
		rte_tel_data_add_dict_string(r, "kind", rings[i].kind);
		add_u64(r, "producer_lcore", rings[i].from);
		add_u64(r, "capacity", rte_ring_get_capacity(rings[i].r));
		add_u64(r, "used", rte_ring_count(rings[i].r));
		add_u64(r, "producer_drops", *rings[i].drops);
		add_child(d, rings[i].r->name, r);
	}
}

static void
add_endpoint(void *arg, const char *service, const char *method, const char *tmpl,
		uint64_t calls)
{
	char line[RTE_TEL_MAX_STRING_LEN];

	snprintf(line, sizeof(line), "%s %s %s %" PRIu64, service, method, tmpl, calls);
	rte_tel_data_add_array_string(arg, line);
}

/* /meshwatch/inventory: counts and "SERVICE METHOD TEMPLATE CALLS" per
 * endpoint; /meshwatch/inventory,dump: the main lcore writes the files. */
static void
fill_inventory(const struct app *a, const char *params, struct rte_tel_data *d)
{
	struct inv_counts c;
	struct rte_tel_data *f = new_dict(), *eps = rte_tel_data_alloc();

	if (params != NULL && strcmp(params, "dump") == 0) {
		app_dump_inventory = true;
		rte_tel_data_add_dict_string(d, "dump", a->cfg.inv_file[0] || a->cfg.inv_dot[0] ?
				"requested" : "no inventory.file or inventory.dot configured");
	}
	inv_lock(a->inv);
	inv_counts(a->inv, &c);
	if (eps != NULL) {
		rte_tel_data_start_array(eps, RTE_TEL_STRING_VAL);
		inv_each(a->inv, add_endpoint, eps);
	}
	inv_unlock(a->inv);
	add_u64(d, "services", c.services);
	add_u64(d, "endpoints", c.endpoints);
	add_u64(d, "edges", c.edges);
	add_u64(d, "unmatched_calls", c.unmatched);
	for (int k = 0; f != NULL && k < INV_FINDING_MAX; k++)
		add_u64(f, inv_finding_names[k], c.findings[k]);
	add_child(d, "findings", f);
	add_child(d, "list", eps);
}

#define COMMANDS(X) \
	X(stats, "Totals: counters, drops by reason, events and alerts written, latency") \
	X(ports, "Per port: packets, bytes, missed, errors, mbuf shortages") \
	X(lcores, "Per lcore: role, socket, packets or calls, busy cycles, CPU wait") \
	X(flows, "Per rx lcore: flows in the table, its capacity, created, expired, evicted") \
	X(rules, "Pre-filter: rules, scans, hits per rule id. Parameter: a rule id") \
	X(models, "Per level: model file, schema, thresholds and alerts per class") \
	X(rings, "Per ring between lcores: capacity, entries used, producer's drops") \
	X(reload, "Reload rules and models from the config; parameter status: only report") \
	X(inventory, "API inventory: counts, findings, each endpoint's calls. Parameter: dump")

#define X(name, help) \
	static int \
	cmd_##name(const char *cmd, const char *params, struct rte_tel_data *d) \
	{ \
		(void)cmd; \
		return answer(fill_##name, params, d); \
	}
COMMANDS(X)
#undef X

static enum MHD_Result
on_http(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
		const char *version, const char *upload, size_t *upload_size, void **state)
{
	unsigned int status = MHD_HTTP_OK;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)cls, (void)version, (void)upload, (void)upload_size, (void)state;
	if (f == NULL)
		return MHD_NO;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		fputs("meshwatch: GET /metrics only\n", f);
	} else if (strcmp(url, "/metrics") != 0) {
		status = MHD_HTTP_NOT_FOUND;
		fputs("meshwatch: GET /metrics only\n", f);
	} else {
		pthread_mutex_lock(&tel_lock);
		if (tel_app != NULL) {
			app_gen_lock(tel_app);
			app_prometheus(tel_app, f);
			app_gen_unlock(tel_app);
		} else
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
		pthread_mutex_unlock(&tel_lock);
	}
	if (fclose(f) != 0) {
		free(text);
		return MHD_NO;
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(len, text,
			MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, status == MHD_HTTP_OK ?
			"text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

int
app_telemetry_start(struct app *a, FILE *err)
{
	static bool registered;

	pthread_mutex_lock(&tel_lock);
	tel_app = a;
	pthread_mutex_unlock(&tel_lock);
	if (!registered) {
#define X(name, help) rte_telemetry_register_cmd("/meshwatch/" #name, cmd_##name, help);
		COMMANDS(X)
#undef X
		registered = true;
	}
	if (!a->cfg.prometheus[0])
		return 0;
	/* one thread, a few connections, short timeouts: a scraper, not a
	 * crowd, and never at the cost of the main lcore's CPU */
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	const struct sockaddr_storage *sa = &a->cfg.prom_addr;
	uint16_t port = ntohs(sa->ss_family == AF_INET6 ?
			((const struct sockaddr_in6 *)sa)->sin6_port :
			((const struct sockaddr_in *)sa)->sin_port);
	if (sa->ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	tel_http = MHD_start_daemon(flags, port, NULL, NULL, on_http, NULL,
			MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a->cfg.prom_addr,
			MHD_OPTION_CONNECTION_LIMIT, 16u,
			MHD_OPTION_CONNECTION_TIMEOUT, 10u,
			MHD_OPTION_END);
	if (tel_http == NULL) {
		fprintf(err, "%s: telemetry.prometheus: cannot listen on %s (in use, or not an "
				"address of this machine)\n", a->cfg.path, a->cfg.prometheus);
		app_telemetry_stop();
		return -1;
	}
	printf("prometheus: http://%s/metrics\n", a->cfg.prometheus);
	return 0;
}

void
app_telemetry_stop(void)
{
	if (tel_http != NULL) {
		MHD_stop_daemon(tel_http);
		tel_http = NULL;
	}
	pthread_mutex_lock(&tel_lock);
	tel_app = NULL;
	pthread_mutex_unlock(&tel_lock);
}
