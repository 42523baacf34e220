/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch: control path. Options and config, EAL, validation against the
 * machine, resources, ports, lcore launch, the main lcore's loop (event log,
 * stats, idle exit), orderly shutdown. Only main() exits.
 *
 * Shutdown order loses nothing: rx lcores stop and flush every flow (calls in
 * progress become events), then inference lcores drain their rings, then the
 * main lcore drains its own. Until the end the main lcore keeps writing, so
 * nobody waits on a full ring for long.
 */
#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_version.h>

#include "app.h"
#include "model.h"
#include "seqstore.h"
#include "telemetry.h"

#define DRAIN_BURST 64
#define EVENT_LOG_BUF (1 << 20)

static volatile bool force_quit;
static volatile bool dump_stats;
static volatile bool reopen_logs;
volatile bool app_dump_inventory;	/* SIGUSR2 or /meshwatch/inventory,dump */

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		dump_stats = true;
	else if (sig == SIGHUP)
		reopen_logs = app_reload_requested = true;
	else if (sig == SIGUSR2)
		app_dump_inventory = true;
	else
		force_quit = true;
}

struct opts {
	const char *config;
	int check_only;
	int check_rules;		/* --check-rules: the rest are rule files */
	const char *check_model;	/* --check-model FILE */
	double idle_exit;
	int eal_argc;
	char **eal_argv;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: meshwatch -c FILE [--check-config] [--idle-exit SEC] [-- EAL args...]\n"
		"\n"
		"  -c, --config FILE   the appliance config (configs/README.md)\n"
		"  --check-config      validate FILE and exit (0: valid)\n"
		"  --check-rules FILES compile pre-filter rule files, report, exit (0: valid)\n"
		"  --check-model FILE  check a model file, describe it, exit (0: valid)\n"
		"  --idle-exit SEC     stop after SEC seconds without a packet (captures)\n"
		"  --version, --help\n"
		"EAL arguments after -- are added to the config's eal list and win over it.\n"
		"SIGINT/SIGTERM stop cleanly with final stats; SIGUSR1 prints stats now;\n"
		"SIGHUP reopens the event, alert and stats logs (logrotate) and reloads the\n"
		"rules, models and thresholds the config names, without stopping rx.\n");
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "check-rules", no_argument, NULL, 'R' },
		{ "check-model", required_argument, NULL, 'M' },
		{ "idle-exit", required_argument, NULL, 'I' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case 'C':
			o->check_only = 1;
			break;
		case 'R':
			o->check_rules = 1;
			break;
		case 'M':
			o->check_model = optarg;
			return 0;
		case 'I': {
			char *end;
			o->idle_exit = strtod(optarg, &end);
			if (*end || o->idle_exit <= 0) {
				fprintf(stderr, "meshwatch: --idle-exit: \"%s\" is not a positive "
						"number of seconds\n", optarg);
				return -1;
			}
			break;
		}
		case 'V':
			printf("meshwatch %s (event v%d, DPDK %s)\n", MW_VERSION, MW_EVENT_VERSION,
					rte_version());
			exit(0);
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (o->check_rules) {
		o->eal_argc = argc - optind;
		o->eal_argv = argv + optind;
		return 0;
	}
	if (o->config == NULL) {
		fprintf(stderr, "meshwatch: no config; use -c FILE\n");
		usage(stderr);
		return -1;
	}
	o->eal_argc = argc - optind;
	o->eal_argv = argv + optind;
	return 0;
}

/* Does the command line set this EAL option itself? */
static int
cmdline_has(const struct opts *o, const char *opt)
{
	for (int i = 0; i < o->eal_argc; i++) {
		const char *a = o->eal_argv[i];
		size_t n = strlen(opt);
		if (strncmp(a, opt, n) == 0 && (a[n] == '\0' || a[n] == '='))
			return 1;
	}
	return 0;
}

static int
is_lcore_opt(const char *a)
{
	return !strcmp(a, "-l") || !strcmp(a, "-c") || !strcmp(a, "--lcores");
}

/* EAL argv: config eal list, lcores and ports from the config, then the
 * command line; an option given on the command line drops the config's. */
static int
build_eal_argv(const struct mw_config *cfg, const struct opts *o, char **argv, char *store,
		size_t cap)
{
	int n = 0;
	size_t used = 0;
	int cmd_lcores = cmdline_has(o, "-l") || cmdline_has(o, "-c") ||
		cmdline_has(o, "--lcores");

#define PUSH(s) do { \
		size_t l_ = strlen(s) + 1; \
		if (used + l_ > cap || n >= 250) return -1; \
		memcpy(store + used, (s), l_); argv[n++] = store + used; used += l_; \
	} while (0)
	PUSH("meshwatch");
	for (int i = 0; i < cfg->n_eal; i++) {
		const char *a = cfg->eal[i];
		char name[64];
		if (a == NULL)
			return -1;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
		if (a[0] == '-' && (cmdline_has(o, name) || (cmd_lcores && is_lcore_opt(name)))) {
			/* skip it and its value */
			if (!strchr(a, '=') && i + 1 < cfg->n_eal && cfg->eal[i + 1][0] != '-')
				i++;
			continue;
		}
		PUSH(a);
	}
	if (!cmd_lcores) {
		char l[1024];
		if (cfg->lcore_map[0]) {
			PUSH("--lcores");
			PUSH(cfg->lcore_map);
		} else {
			int k = snprintf(l, sizeof(l), "%u", cfg->main_lcore);
			for (int i = 0; i < cfg->n_rx; i++)
				k += snprintf(l + k, sizeof(l) - (size_t)k, ",%u", cfg->rx[i]);
			for (int i = 0; i < cfg->n_inference; i++)
				k += snprintf(l + k, sizeof(l) - (size_t)k, ",%u", cfg->inference[i]);
			PUSH("-l");
			PUSH(l);
		}
	}
	if (!cmdline_has(o, "--main-lcore")) {
		char m[16];
		snprintf(m, sizeof(m), "%u", cfg->main_lcore);
		PUSH("--main-lcore");
		PUSH(m);
	}
	for (int i = 0; i < cfg->n_ports; i++) {
		PUSH(cfg->ports[i].is_vdev ? "--vdev" : "-a");
		PUSH(cfg->ports[i].device);
	}
	for (int i = 0; i < o->eal_argc; i++)
		PUSH(o->eal_argv[i]);
#undef PUSH
	argv[n] = NULL;
	return n;
}

/* What only the running EAL can tell: lcores, NUMA nodes, ports. */
static int
check_machine(struct app *a)
{
	const struct mw_config *c = &a->cfg;
	int bad = 0;

	if (rte_get_main_lcore() != c->main_lcore) {
		fprintf(stderr, "%s: lcores.main: %u, but EAL's main lcore is %u\n", c->path,
				c->main_lcore, rte_get_main_lcore());
		bad++;
	}
	for (int i = 0; i < c->n_rx; i++)
		if (!rte_lcore_is_enabled(c->rx[i])) {
			fprintf(stderr, "%s: lcores.rx: lcore %u is not enabled in EAL "
					"(check lcores.map or -l)\n", c->path, c->rx[i]);
			bad++;
		}
	for (int i = 0; i < c->n_inference; i++) {
		unsigned int id = c->inference[i];
		if (!rte_lcore_is_enabled(id)) {
			fprintf(stderr, "%s: lcores.inference: lcore %u is not enabled in EAL\n",
					c->path, id);
			bad++;
		} else if (c->inference_node >= 0 &&
				rte_lcore_to_socket_id(id) != (unsigned int)c->inference_node) {
			fprintf(stderr, "%s: lcores.inference: lcore %u is on NUMA node %u, but "
					"lcores.inference_numa_node is %d; inference memory and cores "
					"must share a node\n", c->path, id, rte_lcore_to_socket_id(id),
					c->inference_node);
			bad++;
		}
	}
	for (int i = 0; i < c->n_ports; i++)
		if (app_port_find(&c->ports[i], i, &a->ports[i], stderr) < 0)
			bad++;
	return bad;
}

/* --check-model FILE: what the inference lcores would load. */
static int
check_model(const char *path)
{
	char err[512];
	struct mw_model *m = mw_model_load(path, 0, 0, err, sizeof(err));

	if (m == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	uint64_t weights = 0;
	for (uint32_t i = 0; i < m->n_tensors; i++)
		weights += m->tensors[i].count;
	printf("%s: %s model, format %u, feature schema %016llx, %llu weights in %u tensors\n",
			path, m->kind == MW_MODEL_PAYLOAD ? "payload" :
			m->kind == MW_MODEL_SEQUENCE ? "sequence" : "unknown", m->version,
			(unsigned long long)m->schema_hash, (unsigned long long)weights, m->n_tensors);
	for (uint32_t i = 0; i < m->n_classes; i++)
		printf("  class %-22s threshold %.4f\n", m->class_names[i], (double)m->thresholds[i]);
	for (uint32_t i = 0; i < m->n_tensors; i++) {
		printf("  tensor %-21s", m->tensors[i].name);
		for (uint32_t d = 0; d < m->tensors[i].ndim; d++)
			printf("%s%u", d ? "x" : " ", m->tensors[i].shape[d]);
		printf("\n");
	}
	if (m->meta[0])
		printf("  made: %s\n", m->meta);
	mw_model_free(m);
	return 0;
}

/* --check-rules FILES: what the pre-filter would load. */
static int
check_rules(int n, char **files)
{
	struct timespec t0, t1;

	if (n == 0) {
		fprintf(stderr, "meshwatch: --check-rules needs rule files\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct pf_engine *e = pf_engine_load((const char *const *)files, n, NULL, NULL,
			stderr);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (e == NULL)
		return 1;
	unsigned int per[PF_CAT_MAX] = { 0 }, dbs = 0;
	for (uint32_t i = 0; i < e->n_rules; i++)
		per[e->rules[i].category]++;
	for (int d = 0; d < PF_NVAR; d++)
		dbs += (e->db[d] != NULL) + (e->som[d] != NULL);
	printf("%u rules in %d file%s, compiled into %u databases in %.0f ms:", e->n_rules, n,
			n == 1 ? "" : "s", dbs,
			(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	for (int k = 0; k < PF_CAT_MAX; k++)
		if (per[k])
			printf(" %s %u", pf_category_names[k], per[k]);
	printf("\n");
	pf_engine_free(e);
	return 0;
}

static int
make_services(struct app *a)
{
	const struct mw_config *c = &a->cfg;
	struct rte_hash_parameters hp = {
		.name = "services",
		.entries = 4096,
		.key_len = sizeof(struct dp_service_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
	};

	a->services.n = c->n_services;
	a->services.names = calloc(c->n_services + 1u, 32);
	if (c->n_services == 0)
		return 0;
	a->services.by_addr = rte_hash_create(&hp);
	if (a->services.by_addr == NULL)
		return -1;
	for (uint16_t i = 0; i < c->n_services; i++) {
		const struct cfg_service *s = &c->services[i];
		memcpy(a->services.names[i], s->name, 32);
		for (uint16_t j = 0; j < s->n_addrs; j++) {
			struct dp_service_key k = { .port = s->port };
			memcpy(k.addr, s->addrs[j], 16);
			if (rte_hash_add_key_data(a->services.by_addr, &k, (void *)(uintptr_t)i) < 0)
				return -1;
		}
	}
	a->out.service_names = a->services.names;
	a->out.n_services = c->n_services;
	return 0;
}

/* A table every inference lcore shares, made by the first that needs it,
 * zeroed, on its socket. */
static int
shared_table(const struct mw_config *c, const char *what, void **t, size_t size, int socket)
{
	if (*t == NULL && (*t = rte_zmalloc_socket(what, size, RTE_CACHE_LINE_SIZE, socket)) == NULL) {
		fprintf(stderr, "%s: cannot allocate the %s table (%zu bytes) on socket %d: "
				"give EAL more memory (-m)\n", c->path, what, size, socket);
		return -1;
	}
	return 0;
}

/* Inference lcore i's models (instances made by app_gen_instances) and
 * sequence stores on its socket. */
static int
make_models(struct app *a, int i)
{
	const struct mw_config *c = &a->cfg;
	struct inf_lcore *il = a->inf[i];
	struct inf_level lv[MW_ALERT_KIND_MAX] = { 0 };
	char err[512];

	il->payload = a->gen->payload[i];
	il->thresholds = a->gen->thresholds[MW_ALERT_payload];
	for (int k = MW_ALERT_trace; k <= MW_ALERT_actor; k++) {
		lv[k].gru = a->gen->gru[k][i];
		lv[k].thresholds = a->gen->thresholds[k];
	}
	if (a->gen->model[MW_ALERT_trace] != NULL &&
			(shared_table(c, "object", (void **)&a->objects, sizeof(*a->objects),
					il->socket) < 0 ||
			shared_table(c, "log-in", (void **)&a->logins, sizeof(*a->logins),
					il->socket) < 0))
		return -1;
	il->objects = a->objects;
	il->logins = a->logins;
	lv[MW_ALERT_trace].timeout_ns = (uint64_t)c->trace_timeout_ms * 1000000ull;
	lv[MW_ALERT_actor].timeout_ns = (uint64_t)c->actor_timeout_s * 1000000000ull;
	if (inf_lcore_levels(il, &lv[MW_ALERT_trace], c->trace_keys, &lv[MW_ALERT_actor],
				c->actor_keys, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", c->path, err);
		return -1;
	}
	return 0;
}

/*
 * Alerts: one ring per inference lcore to the main lcore, one pool. Trace
 * summaries: a ring from every inference lcore to every one (itself too:
 * the actor may be its own), one pool. Rings live on the consumer's socket.
 */
static int
make_sequence_rings(struct app *a)
{
	const struct mw_config *c = &a->cfg;
	const unsigned int ni = (unsigned int)c->n_inference;
	int sock = ni ? (int)rte_lcore_to_socket_id(c->inference[0]) : SOCKET_ID_ANY;
	char name[RTE_RING_NAMESIZE];

	if (ni == 0)
		return 0;
	a->alert_pool = rte_mempool_create("alerts", 1024 * ni - 1,
			MW_ALERT_SIZE, 32, 0, NULL, NULL, NULL, NULL, sock, 0);
	if (a->alert_pool == NULL) {
		fprintf(stderr, "cannot allocate the alert pool (%u x %zu bytes): %s\n",
				1024 * ni, MW_ALERT_SIZE, rte_strerror(rte_errno));
		return -1;
	}
	if (a->gen->model[MW_ALERT_trace] != NULL) {
		a->summary_pool = rte_mempool_create("summaries", c->ring_size * ni * 2 - 1,
				sizeof(struct inf_summary), 64, 0, NULL, NULL, NULL, NULL, sock, 0);
		if (a->summary_pool == NULL) {
			fprintf(stderr, "cannot allocate the trace summary pool: %s\n",
					rte_strerror(rte_errno));
			return -1;
		}
	}
	for (unsigned int i = 0; i < ni; i++) {
		struct inf_lcore *il = a->inf[i];
		snprintf(name, sizeof(name), "inf%u_alerts", i);
		a->alerts[i] = rte_ring_create(name, RTE_MAX(c->ring_size, 256u), sock,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (a->alerts[i] == NULL)
			return -1;
		il->alerts = a->alerts[i];
		il->alert_pool = a->alert_pool;
		il->summary_pool = a->summary_pool;
		il->peers = a->inf;
		if (a->gen->model[MW_ALERT_trace] == NULL)
			continue;
		il->n_inf = (uint16_t)ni;
		for (unsigned int j = 0; j < ni; j++) {
			snprintf(name, sizeof(name), "sum%u_%u", i, j);
			a->peer[i][j] = rte_ring_create(name, c->ring_size,
					(int)rte_lcore_to_socket_id(c->inference[j]),
					RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (a->peer[i][j] == NULL)
				return -1;
		}
	}
	for (unsigned int i = 0; a->gen->model[MW_ALERT_trace] != NULL && i < ni; i++)
		for (unsigned int j = 0; j < ni; j++) {
			a->inf[i]->to_peer[j] = a->peer[i][j];
			a->inf[j]->from_peer[i] = a->peer[i][j];
		}
	return 0;
}

/*
 * Where each inference lcore's memory lives: its models' buffers, weights
 * and scratchpads, its sequence stores, the rings it consumes and its own
 * context, page by page (numa_move_pages). Anything off the lcore's node
 * is refused: the config promised that node.
 */
static int
verify_placement(const struct app *a)
{
	int bad = 0;

	for (int i = 0; i < a->cfg.n_inference; i++) {
		const struct inf_lcore *il = a->inf[i];
		const int node = il->socket;
		long off = 0, o;
		double models = 0, stores = 0, rings = 0;
		int unknown = 0;
#define PAGES(p, n, sum) do { \
			o = inf_pages_off_node((p), (n), node); \
			unknown |= o < 0; \
			off += o > 0 ? o : 0; \
			sum += (double)(n); \
		} while (0)

		size_t model_bytes;
		o = app_gen_off_node(a->gen, i, node, &model_bytes);
		unknown |= o < 0;
		off += o > 0 ? o : 0;
		models = (double)model_bytes;
		const struct seq_store *st[] = { il->trace.store, il->actor.store };
		for (unsigned int k = 0; k < 2; k++) {
			if (st[k] == NULL)
				continue;
			PAGES(st[k]->slot, (size_t)st[k]->capacity * sizeof(*st[k]->slot), stores);
			PAGES(st[k]->entries, (size_t)st[k]->capacity * st[k]->entry_size, stores);
			PAGES(st[k]->state, (size_t)st[k]->capacity * st[k]->H * sizeof(float), stores);
			PAGES(st[k]->keys, (size_t)st[k]->capacity * st[k]->key_len, stores);
		}
		if (il->lone_state != NULL)
			PAGES(il->lone_state, (size_t)il->batch * il->trace.gru->H * sizeof(float),
					models);
		if (il->snips != NULL)
			PAGES(il->snips, sizeof(*il->snips) * INF_SNIPS, stores);
		if (il->endpoints != NULL)
			PAGES(il->endpoints, sizeof(*il->endpoints), stores);
		if (il->objects != NULL)
			PAGES(il->objects, sizeof(*il->objects), stores);
		if (il->logins != NULL)
			PAGES(il->logins, sizeof(*il->logins), stores);
		PAGES(il, sizeof(*il), stores);
		for (uint16_t r = 0; r < il->n_rx; r++)
			PAGES(il->from_rx[r], rte_ring_get_memsize(il->from_rx[r]->size), rings);
		for (uint16_t p = 0; p < il->n_inf; p++)
			PAGES(il->from_peer[p], rte_ring_get_memsize(il->from_peer[p]->size), rings);
#undef PAGES
		printf("inference lcore %u: models %.1f MiB, sequence stores %.1f MiB, rings %.1f MiB: %s"
				" node %d\n", il->lcore_id, models / 1048576, stores / 1048576,
				rings / 1048576, unknown ? "the kernel cannot say which node holds them; "
				"expected" : off ? "NOT all on" : "every page on", node);
		if (off) {
			fprintf(stderr, "%s: inference lcore %u: %ld pages of its memory are not on "
					"node %d (lcores.inference_numa_node); give EAL memory on that "
					"node (--socket-mem) and hugepages there\n", a->cfg.path,
					il->lcore_id, off, node);
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static int
make_lcores(struct app *a)
{
	const struct mw_config *c = &a->cfg;
	char name[RTE_RING_NAMESIZE];
	int ts_offset = -1;
	uint64_t ts_flag = 0;

	/* RCU for reloads: every rx lcore, then every inference lcore */
	const uint32_t readers = (uint32_t)(c->n_rx + c->n_inference);
	a->qsbr = rte_zmalloc("qsbr", rte_rcu_qsbr_get_memsize(readers), RTE_CACHE_LINE_SIZE);
	if (a->qsbr == NULL || rte_rcu_qsbr_init(a->qsbr, readers) != 0)
		return -1;
	for (uint32_t t = 0; t < readers; t++)
		rte_rcu_qsbr_thread_register(a->qsbr, t);
	/* Some PMDs (net_pcap: the capture's own times) stamp packets without
	 * announcing the offload; the mbuf flag says which packets carry one. */
	for (int i = 0; i < c->n_ports; i++)
		if (a->ports[i].cfg->timestamps) {
			rte_mbuf_dyn_rx_timestamp_register(&ts_offset, &ts_flag);
			break;
		}
	for (int i = 0; i < c->n_inference; i++) {
		int sock = (int)rte_lcore_to_socket_id(c->inference[i]);
		a->inf[i] = inf_lcore_create(c->inference[i], (uint16_t)i, sock);
		snprintf(name, sizeof(name), "inf%d_main", i);
		a->to_main[i] = rte_ring_create(name, c->ring_size, sock,
				RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (a->inf[i] == NULL || a->to_main[i] == NULL)
			return -1;
		a->inf[i]->to_main = a->to_main[i];
		a->inf[i]->event_pool = a->events;
		a->inf[i]->batch = c->batch;
		a->inf[i]->deadline_tsc = rte_get_tsc_hz() / 1000000 * c->deadline_us;
		a->inf[i]->n_rx = c->n_rx;
		a->inf[i]->backpressure = c->backpressure;
		a->inf[i]->qsbr = a->qsbr;
		a->inf[i]->qsbr_id = (unsigned int)(c->n_rx + i);
	}
	char err[512];
	if (app_gen_instances(a, a->gen, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s\n", c->path, err);
		return -1;
	}
	for (int i = 0; i < c->n_inference; i++)
		if (make_models(a, i) < 0)
			return -1;
	if (make_sequence_rings(a) < 0)
		return -1;
	for (int i = 0; i < c->n_rx; i++) {
		int sock = (int)rte_lcore_to_socket_id(c->rx[i]);
		struct dp_lcore *lc = dp_lcore_create(c->rx[i], (uint16_t)i, &c->lim, sock);
		if (lc == NULL) {
			fprintf(stderr, "rx lcore %u: cannot allocate its flow table and buffers "
					"(%s); lower flows.capacity or give EAL more memory (-m)\n",
					c->rx[i], rte_strerror(rte_errno));
			return -1;
		}
		a->rx[i] = lc;
		lc->qsbr = a->qsbr;
		lc->qsbr_id = (unsigned int)i;
		if (a->gen->pf != NULL) {
			a->pf_ctx[i] = rte_zmalloc_socket("pf_ctx", sizeof(struct pf_ctx),
					RTE_CACHE_LINE_SIZE, sock);
			if (a->pf_ctx[i] == NULL || pf_ctx_init(a->pf_ctx[i], a->gen->pf, sock) < 0)
				return -1;
			lc->pf = a->pf_ctx[i];
		}
		lc->event_pool = a->events;
		lc->services = &a->services;
		lc->n_inf = c->n_inference;
		lc->backpressure = c->backpressure;
		lc->ts_offset = ts_offset;
		lc->ts_dynflag = ts_flag;
		for (int j = 0; j < c->n_inference; j++) {
			snprintf(name, sizeof(name), "rx%d_inf%d", i, j);
			lc->to_inf[j] = rte_ring_create(name, c->ring_size,
					(int)rte_lcore_to_socket_id(c->inference[j]),
					RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (lc->to_inf[j] == NULL)
				return -1;
			a->inf[j]->from_rx[i] = lc->to_inf[j];
		}
	}
	/* queues to rx lcores, round robin over every port's queues */
	int k = 0;
	for (int p = 0; p < c->n_ports; p++)
		for (uint16_t q = 0; q < a->ports[p].n_queues; q++, k++) {
			struct dp_lcore *lc = a->rx[k % c->n_rx];
			lc->queues[lc->n_queues].port = a->ports[p].port_id;
			lc->queues[lc->n_queues].ts_mult = a->ports[p].ts_mult;
			if (a->ports[p].cfg->replay_pps)	/* the port's rate, split over its queues */
				lc->queues[lc->n_queues].tsc_per_pkt = rte_get_tsc_hz() *
					a->ports[p].n_queues / a->ports[p].cfg->replay_pps;
			lc->queues[lc->n_queues++].queue = q;
		}
	return 0;
}

static int
make_pools(struct app *a)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	for (int i = 0; i < a->cfg.n_ports; i++) {
		int s = a->ports[i].socket;
		if (a->mbufs[s] != NULL)
			continue;
		snprintf(name, sizeof(name), "mbufs_s%d", s);
		a->mbufs[s] = rte_pktmbuf_pool_create(name, a->cfg.mbufs, a->cfg.mbuf_cache, 0,
				(uint16_t)a->cfg.data_room, s);
		if (a->mbufs[s] == NULL) {
			fprintf(stderr, "mempool.mbufs: cannot allocate %u mbufs on socket %d: %s\n",
					a->cfg.mbufs, s, rte_strerror(rte_errno));
			return -1;
		}
	}
	a->events = rte_mempool_create("events", a->cfg.event_pool, MW_EVENT_SIZE, 256, 0,
			NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (a->events == NULL) {
		fprintf(stderr, "lcores.event_pool: cannot allocate %u events of %d bytes: %s\n",
				a->cfg.event_pool, MW_EVENT_SIZE, rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* An output log: "" none, "-" stdout, else a file (with a buffer of
 * bufsize bytes, 0: stdio's). */
static int
open_log(const char *path, const char *key, size_t bufsize, FILE **out)
{
	*out = NULL;
	if (strcmp(path, "-") == 0) {
		*out = stdout;
	} else if (path[0]) {
		*out = sink_open(path, bufsize);
		if (*out == NULL) {
			fprintf(stderr, "%s: cannot open \"%s\": %s\n", key, path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* -1 when what stdio still held could not be written */
static int
close_log(FILE *f)
{
	if (f == stdout)
		return fflush(stdout) == EOF ? -1 : 0;
	return f != NULL && fclose(f) == EOF ? -1 : 0;
}

static int
open_outputs(struct app *a)
{
	const struct mw_config *c = &a->cfg;

	a->out.redact = c->redact;
	a->out.rules = a->rules;
	for (int k = 0; k < MW_ALERT_KIND_MAX; k++)
		a->out.models[k] = a->gen->model[k];
	if (open_log(c->alerts, "output.alerts", 0, &a->out.alerts) < 0 ||
			open_log(c->events, "output.events", EVENT_LOG_BUF, &a->out.events) < 0)
		return -1;
	if (sink_sock_init(&a->out.sock, c->alerts_socket) < 0) {
		fprintf(stderr, "output.alerts_socket: cannot set up \"%s\"\n", c->alerts_socket);
		return -1;
	}
	if (c->alerts_syslog[0]) {
		openlog("meshwatch", LOG_PID | LOG_NDELAY, c->syslog_facility);
		a->out.syslog = true;
	}
	if (out_alerts_init(&a->out, c->alert_window_s) < 0) {
		fprintf(stderr, "output.alert_window_s: cannot allocate the suppression table\n");
		return -1;
	}
	if (c->stats_file[0] && (a->stats_file = sink_open(c->stats_file, 0)) == NULL) {
		fprintf(stderr, "output.stats: cannot open \"%s\": %s\n", c->stats_file,
				strerror(errno));
		return -1;
	}
	return 0;
}

static void
print_models(const struct app *a)
{
	const struct mw_model *m = a->gen->model[MW_ALERT_payload];

	for (int k = 0; k < MW_ALERT_KIND_MAX; k++)
		if (a->gen->model[k] != NULL) {
			printf("models compute in %s, batch %u, deadline %u us\n",
					inf_precision_name(a->cfg.precision), a->cfg.batch,
					a->cfg.deadline_us);
			break;
		}
	if (m != NULL)
		printf("payload model: %s (%u classes, L=%u E=%u C=%u K=%u)\n",
				a->gen->model_path[MW_ALERT_payload],
				m->n_classes, m->dims[0], m->dims[1], m->dims[2], m->dims[3]);
	for (int k = MW_ALERT_trace; k <= MW_ALERT_actor; k++) {
		if ((m = a->gen->model[k]) == NULL)
			continue;
		const struct seq_store *st = k == MW_ALERT_trace ? a->inf[0]->trace.store :
			a->inf[0]->actor.store;
		printf("%s model: %s (%u classes, %u features, hidden %u); %u keys per lcore, "
				"%" PRIu64 " bytes per key\n", mw_alert_kind_names[k],
				a->gen->model_path[k],
				m->n_classes, m->dims[0], m->dims[1], st->capacity,
				st->bytes / st->capacity);
	}
	if (a->out.alerts != NULL || a->out.sock.path[0] || a->out.syslog)
		printf("alerts: %s%s%s%s%s (one per actor, kind and class every %u s)\n",
				a->cfg.alerts, a->out.sock.path[0] ? " socket " : "", a->out.sock.path,
				a->out.syslog ? " syslog " : "", a->cfg.alerts_syslog,
				a->cfg.alert_window_s);
}

/*
 * Writes what the inference lcores passed on; returns how many. At most
 * DRAIN_MAX from each ring a call: an alert storm that outruns the writer
 * (every alert written, a slow build) once kept the main lcore in the alert
 * loop for minutes, deaf to signals and timers while the event rings
 * filled.
 */
#define DRAIN_MAX 4096

static unsigned int
drain_events(struct app *a)
{
	void *ev[DRAIN_BURST];
	unsigned int total = 0, got, n;

	for (int i = 0; i < a->cfg.n_inference; i++) {
		for (got = 0; a->alerts[i] != NULL && got < DRAIN_MAX &&
				(n = rte_ring_sc_dequeue_burst(a->alerts[i], ev, DRAIN_BURST, NULL)) > 0;
				got += n) {
			for (unsigned int k = 0; k < n; k++)
				out_alert(&a->out, ev[k]);
			rte_mempool_put_bulk(a->alert_pool, ev, n);
		}
		total += got;
		for (got = 0; got < DRAIN_MAX &&
				(n = rte_ring_sc_dequeue_burst(a->to_main[i], ev, DRAIN_BURST, NULL)) > 0;
				got += n) {
			inv_lock(a->inv);
			for (unsigned int k = 0; k < n; k++) {
				out_event(&a->out, ev[k]);
				inv_add(a->inv, ev[k]);
			}
			inv_unlock(a->inv);
			rte_mempool_put_bulk(a->events, ev, n);
		}
		total += got;
	}
	return total;
}

static uint64_t
rx_packets(const struct app *a)
{
	uint64_t n = 0;

	for (int i = 0; i < a->cfg.n_rx; i++)
		n += a->rx[i]->stats.c[DP_C_rx_packets];
	return n;
}

/* Writes path through a temporary file renamed over it: a reader never
 * sees half an inventory. */
static void
write_atomically(struct app *a, const char *path, const char *key,
		void (*fn)(struct inventory *, FILE *))
{
	char tmp[PATH_MAX + 8];
	FILE *f;

	if (!path[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL) {
		fprintf(stderr, "%s: cannot write \"%s\": %s\n", key, tmp, strerror(errno));
		return;
	}
	inv_lock(a->inv);
	fn(a->inv, f);
	inv_unlock(a->inv);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		fprintf(stderr, "%s: cannot write \"%s\": %s\n", key, path, strerror(errno));
}

static void
dump_inventory(struct app *a)
{
	write_atomically(a, a->cfg.inv_file, "inventory.file", inv_json);
	write_atomically(a, a->cfg.inv_dot, "inventory.dot", inv_dot);
	if (a->cfg.inv_file[0] || a->cfg.inv_dot[0]) {
		printf("inventory written:%s%s%s%s\n", a->cfg.inv_file[0] ? " " : "",
				a->cfg.inv_file, a->cfg.inv_dot[0] ? " " : "", a->cfg.inv_dot);
		fflush(stdout);
	}
}

/* SIGHUP: logrotate moved the logs away; what was buffered goes to the
 * old files, what comes next to new ones at the configured paths. */
static void
reopen(struct app *a)
{
	const struct mw_config *c = &a->cfg;
	int ev = sink_reopen(&a->out.events, c->events, EVENT_LOG_BUF, "output.events", stderr);
	int al = sink_reopen(&a->out.alerts, c->alerts, 0, "output.alerts", stderr);
	int bad = ev | al | sink_reopen(&a->stats_file, c->stats_file, 0, "output.stats", stderr);

	a->out.event_write_errors += ev == 1;	/* the old file's last lines */
	a->out.alert_write_errors += al == 1;
	printf("SIGHUP: logs reopened%s\n", bad ? ", not all of them" : "");
	fflush(stdout);
}

static void
control_loop(struct app *a, const struct opts *o)
{
	const uint64_t hz = rte_get_tsc_hz();
	uint64_t next_stats = rte_rdtsc() + hz * a->cfg.stats_interval;
	uint64_t last_pkts = 0, last_change = rte_rdtsc(), next_flush = rte_rdtsc() + hz;

	/* a reload in progress finishes first: its lcores take it or not, and
	 * what it holds is freed either way */
	while (!force_quit || app_reload_busy(a)) {
		unsigned int n = drain_events(a);
		uint64_t now = rte_rdtsc();

		app_reload_poll(a);

		if (a->cfg.stats_interval && now >= next_stats) {
			app_stats_line(a, stdout);
			next_stats += hz * a->cfg.stats_interval;
		}
		if (now >= next_flush) {
			/* alert windows close in event time, moved on by the clock
			 * since the latest alert */
			out_alerts_flush(&a->out, a->out.now_ns + (now - a->out.now_tsc) /
					(hz / 1000000) * 1000);
			inv_lock(a->inv);
			inv_sweep(a->inv, &a->out, false);
			inv_unlock(a->inv);
			next_flush = now + hz;
		}
		if (app_dump_inventory) {
			app_dump_inventory = false;
			dump_inventory(a);
		}
		if (dump_stats) {
			dump_stats = false;
			app_stats_report(a, stdout);
		}
		if (reopen_logs) {
			reopen_logs = false;
			reopen(a);
		}
		if (o->idle_exit > 0) {
			uint64_t p = rx_packets(a);
			if (p != last_pkts) {
				last_pkts = p;
				last_change = now;
			} else if ((double)(now - last_change) > o->idle_exit * (double)hz &&
					!app_reload_busy(a)) {
				printf("no packet for %.1f s: stopping (--idle-exit)\n", o->idle_exit);
				break;
			}
		}
		/* nothing to drain: nap. Each wake-up can preempt an rx lcore
		 * that shares this CPU (100 us naps cost rx 8% of its time on a
		 * 2-CPU machine, 1 ms naps 1.6%); a 4096-slot ring holds 1 ms
		 * of 4 M calls/s, and a full one is counted (out_ring_full) */
		if (n == 0)
			usleep(1000);
	}
}

static void
shutdown_lcores(struct app *a)
{
	bool busy;

	for (int i = 0; i < a->cfg.n_rx; i++)
		a->rx[i]->stop = true;
	do {
		busy = false;
		drain_events(a);
		for (int i = 0; i < a->cfg.n_rx; i++)
			busy |= !a->rx[i]->done;
	} while (busy);
	for (int i = 0; i < a->cfg.n_inference; i++)
		a->inf[i]->stop = true;
	do {
		busy = false;
		drain_events(a);
		for (int i = 0; i < a->cfg.n_inference; i++)
			busy |= !a->inf[i]->done;
	} while (busy);
	while (drain_events(a) > 0)
		;
	rte_eal_mp_wait_lcore();
	inv_lock(a->inv);
	inv_sweep(a->inv, &a->out, true);
	inv_unlock(a->inv);
	out_alerts_flush(&a->out, UINT64_MAX);
	dump_inventory(a);
	out_flush(&a->out);	/* a failure shows in the final stats */
}

static void
teardown(struct app *a)
{
	for (int i = 0; i < a->cfg.n_ports; i++)
		if (a->ports[i].cfg != NULL)
			app_port_stop(&a->ports[i]);
	for (int i = 0; i < a->cfg.n_rx; i++) {
		if (a->pf_ctx[i] != NULL) {
			pf_ctx_free(a->pf_ctx[i]);
			rte_free(a->pf_ctx[i]);
		}
		if (a->rx[i] == NULL)
			continue;
		for (int j = 0; j < a->cfg.n_inference; j++)
			rte_ring_free(a->rx[i]->to_inf[j]);
		dp_lcore_free(a->rx[i]);
	}
	for (int i = 0; i < a->cfg.n_inference; i++) {
		rte_ring_free(a->to_main[i]);
		rte_ring_free(a->alerts[i]);
		for (int j = 0; j < a->cfg.n_inference; j++)
			rte_ring_free(a->peer[i][j]);
		inf_lcore_free(a->inf[i]);
	}
	app_gen_free(a, a->gen);
	rte_free(a->qsbr);
	rte_mempool_free(a->alert_pool);
	rte_mempool_free(a->summary_pool);
	rte_free(a->objects);
	rte_free(a->logins);
	inv_free(a->inv);
	out_alerts_free(&a->out);
	if (close_log(a->out.alerts) < 0)
		a->out.alert_write_errors++;
	sink_sock_close(&a->out.sock);
	if (a->out.syslog)
		closelog();
	rte_mempool_free(a->events);
	for (int s = 0; s < RTE_MAX_NUMA_NODES; s++)
		rte_mempool_free(a->mbufs[s]);
	rte_hash_free(a->services.by_addr);
	free(a->rules);
	free(a->services.names);
	if (close_log(a->out.events) < 0)
		a->out.event_write_errors++;
	if (a->stats_file != NULL)
		fclose(a->stats_file);
	cfg_free(&a->cfg);
}

int
main(int argc, char **argv)
{
	static struct app a;
	struct opts o;
	char *eal_argv[256];
	static char eal_store[16384];
	int problems, n;

	/* oneDNN runs on the inference lcores, one thread each: no OpenMP
	 * pool here (where primitives are built) or there (inf_main) */
	omp_set_num_threads(1);
	pthread_mutex_init(&a.gen_lock, NULL);
	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (o.check_rules)
		return check_rules(o.eal_argc, o.eal_argv);
	if (o.check_model)
		return check_model(o.check_model);
	problems = cfg_load(o.config, &a.cfg, stderr);
	if (problems) {
		fprintf(stderr, "%s: %d problem%s; nothing started\n", o.config, problems,
				problems > 1 ? "s" : "");
		cfg_free(&a.cfg);
		return 1;
	}
	a.rules = pf_catalog_create();
	a.gen = a.rules ? app_gen_load(&a.cfg, a.rules, stderr) : NULL;
	if (a.gen == NULL) {
		fprintf(stderr, "%s: nothing started\n", o.config);
		cfg_free(&a.cfg);
		free(a.rules);
		return 1;
	}
	a.gen->number = 1;
	if (o.check_only && a.cfg.inv_baseline[0] &&
			inv_check_baseline(a.cfg.inv_baseline, stderr) < 0) {
		fprintf(stderr, "%s: inventory.baseline refused; nothing started\n", o.config);
		app_gen_free(NULL, a.gen);
		free(a.rules);
		cfg_free(&a.cfg);
		return 1;
	}
	if (o.check_only) {
		printf("%s: valid (%u port%s, %u rx lcore%s, %u inference lcore%s, %u service%s)\n",
				o.config, a.cfg.n_ports, a.cfg.n_ports == 1 ? "" : "s", a.cfg.n_rx,
				a.cfg.n_rx == 1 ? "" : "s", a.cfg.n_inference,
				a.cfg.n_inference == 1 ? "" : "s", a.cfg.n_services,
				a.cfg.n_services == 1 ? "" : "s");
		app_gen_free(NULL, a.gen);
		free(a.rules);
		cfg_free(&a.cfg);
		return 0;
	}
	if (!a.cfg.actor_key_set)
		fprintf(stderr, "%s: output.actor_key not set: actor ids are random per run\n",
				o.config);
	n = build_eal_argv(&a.cfg, &o, eal_argv, eal_store, sizeof(eal_store));
	if (n < 0) {
		fprintf(stderr, "meshwatch: too many EAL arguments\n");
		return 1;
	}
	if (getenv("MW_SHOW_EAL")) {
		for (int i = 0; i < n; i++)
			fprintf(stderr, "%s ", eal_argv[i]);
		fputc('\n', stderr);
	}
	optind = 1;	/* EAL parses with getopt too */
	if (rte_eal_init(n, eal_argv) < 0) {
		fprintf(stderr, "meshwatch: EAL: %s (arguments from %s eal, lcores, ports and "
				"the command line)\n", rte_strerror(rte_errno), o.config);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGUSR1, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGUSR2, on_signal);

	if (check_machine(&a) > 0)
		rte_exit(EXIT_FAILURE, "%s: does not fit this machine; nothing started\n", o.config);
	if (make_services(&a) < 0 || make_pools(&a) < 0 || make_lcores(&a) < 0 ||
			open_outputs(&a) < 0)
		rte_exit(EXIT_FAILURE, "cannot set up; nothing started\n");
	static bool edge[CFG_MAX_SERVICES];
	for (uint16_t i = 0; i < a.cfg.n_services; i++)
		edge[i] = a.cfg.services[i].edge;
	a.inv = inv_create(a.cfg.inv_capacity, a.cfg.inv_baseline, a.cfg.inv_learn_s,
			(const char (*)[32])a.services.names, edge, a.cfg.n_services, stderr);
	if (a.inv == NULL)
		rte_exit(EXIT_FAILURE, "%s: inventory: nothing started\n", o.config);
	if (verify_placement(&a) < 0)
		rte_exit(EXIT_FAILURE, "inference memory off its NUMA node; nothing started\n");
	if (app_telemetry_start(&a, stderr) < 0)
		rte_exit(EXIT_FAILURE, "nothing started\n");
	for (int i = 0; i < a.cfg.n_ports; i++)
		if (app_port_start(&a.ports[i], a.mbufs[a.ports[i].socket], stderr) != 0 ||
				app_port_hw_drop(&a.ports[i], stderr) != 0)
			rte_exit(EXIT_FAILURE, "ports[%d]: cannot start; nothing started\n", i);

	for (int i = 0; i < a.cfg.n_inference; i++)
		rte_eal_remote_launch(inf_main, a.inf[i], a.cfg.inference[i]);
	/* rx starts once every model has run (inf_main's warm-up), so the
	 * first second of a busy port is not lost to paging in oneDNN */
	const uint64_t warm_until = rte_rdtsc() + 30 * rte_get_tsc_hz();
	for (int i = 0; i < a.cfg.n_inference; i++)
		while (!a.inf[i]->ready && rte_rdtsc() < warm_until && !force_quit)
			rte_delay_us_sleep(1000);
	for (int i = 0; i < a.cfg.n_rx; i++) {
		printf("rx lcore %u: %u queue%s\n", a.cfg.rx[i], a.rx[i]->n_queues,
				a.rx[i]->n_queues == 1 ? "" : "s");
		rte_eal_remote_launch(dp_rx_main, a.rx[i], a.cfg.rx[i]);
	}
	if (a.gen->pf != NULL)
		printf("prefilter: %u rules from %d file%s (%s)\n", a.gen->pf->n_rules,
				a.cfg.n_pf_files,
				a.cfg.n_pf_files == 1 ? "" : "s",
				a.gen->pf->from_cache ? "databases from the cache" : "compiled");
	print_models(&a);
	printf("inference lcores: %u (batch %u, deadline %u us); events: %s\n",
			a.cfg.n_inference, a.cfg.batch, a.cfg.deadline_us,
			a.cfg.events[0] ? a.cfg.events : "(not written)");
	fflush(stdout);
	a.start_tsc = a.last_stats_tsc = rte_rdtsc();

	control_loop(&a, &o);
	shutdown_lcores(&a);
	app_stats_line(&a, NULL);	/* the stats file ends on the final totals */
	app_stats_report(&a, stdout);
	app_telemetry_stop();
	teardown(&a);
	rte_eal_cleanup();
	if (a.out.event_write_errors + a.out.alert_write_errors) {
		fprintf(stderr, "meshwatch: %" PRIu64 " writes to the event log and %" PRIu64
				" to the alert log failed: both logs miss lines\n",
				a.out.event_write_errors, a.out.alert_write_errors);
		return 1;
	}
	return 0;
}
