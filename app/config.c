/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Config loading (control path). One reader per key: it range-checks, names
 * the key and the bad value, and says what was expected. All problems are
 * reported, not just the first, so one edit fixes a file. Unknown keys are
 * errors: a typo must not silently fall back to a default.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <glob.h>
#include <inttypes.h>
#include <libconfig.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <rte_common.h>

#include "config.h"
#include "onednn.h"
#include "sink.h"

#define RTE_MAX_LCORE_IDS 128

struct ctx {
	const char *file;
	FILE *err;
	int errors;
};

static void __attribute__((format(printf, 4, 5)))
problem(struct ctx *c, const config_setting_t *s, const char *key, const char *fmt, ...)
{
	va_list ap;
	const char *file = s && config_setting_source_file(s) ? config_setting_source_file(s) : c->file;
	int line = s ? config_setting_source_line(s) : 0;

	fprintf(c->err, "%s:%d: %s: ", file, line, key);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	c->errors++;
}

/* The value as the user wrote it, for error messages. */
static const char *
show(const config_setting_t *s, char *buf, size_t n)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		snprintf(buf, n, "%lld", config_setting_get_int64(s));
		break;
	case CONFIG_TYPE_FLOAT:
		snprintf(buf, n, "%g", config_setting_get_float(s));
		break;
	case CONFIG_TYPE_BOOL:
		snprintf(buf, n, "%s", config_setting_get_bool(s) ? "true" : "false");
		break;
	case CONFIG_TYPE_STRING:
		snprintf(buf, n, "\"%s\"", config_setting_get_string(s));
		break;
	case CONFIG_TYPE_GROUP:
		snprintf(buf, n, "a group { ... }");
		break;
	case CONFIG_TYPE_ARRAY:
		snprintf(buf, n, "an array [ ... ]");
		break;
	case CONFIG_TYPE_LIST:
		snprintf(buf, n, "a list ( ... )");
		break;
	default:
		snprintf(buf, n, "(nothing)");
	}
	return buf;
}

static void
key_of(char *out, size_t n, const char *section, const char *key)
{
	snprintf(out, n, "%s%s%s", section, *section ? "." : "", key);
}

static void
get_int(struct ctx *c, const config_setting_t *g, const char *sec, const char *key,
		long long min, long long max, long long def, long long *out)
{
	config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
	char k[128], v[256];

	*out = def;
	if (s == NULL)
		return;
	key_of(k, sizeof(k), sec, key);
	int t = config_setting_type(s);
	if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64) {
		problem(c, s, k, "got %s; expected an integer from %lld to %lld",
				show(s, v, sizeof(v)), min, max);
		return;
	}
	long long x = config_setting_get_int64(s);
	if (x < min || x > max) {
		problem(c, s, k, "%lld is out of range; expected an integer from %lld to %lld",
				x, min, max);
		return;
	}
	*out = x;
}

static uint32_t
get_u32(struct ctx *c, const config_setting_t *g, const char *sec, const char *key,
		long long min, long long max, long long def)
{
	long long x;

	get_int(c, g, sec, key, min, max, def, &x);
	return (uint32_t)x;
}

static bool
get_bool(struct ctx *c, const config_setting_t *g, const char *sec, const char *key, bool def)
{
	config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
	char k[128], v[256];

	if (s == NULL)
		return def;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		key_of(k, sizeof(k), sec, key);
		problem(c, s, k, "got %s; expected true or false", show(s, v, sizeof(v)));
		return def;
	}
	return config_setting_get_bool(s);
}

/* Returns 1 if set, 0 if absent (out = def), -1 if wrong. */
static int
get_str(struct ctx *c, const config_setting_t *g, const char *sec, const char *key,
		const char *def, char *out, size_t cap)
{
	config_setting_t *s = g ? config_setting_get_member(g, key) : NULL;
	char k[128], v[256];

	snprintf(out, cap, "%s", def ? def : "");
	if (s == NULL)
		return 0;
	key_of(k, sizeof(k), sec, key);
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		problem(c, s, k, "got %s; expected a string", show(s, v, sizeof(v)));
		return -1;
	}
	const char *x = config_setting_get_string(s);
	if (strlen(x) >= cap) {
		problem(c, s, k, "string of %zu characters is too long; expected at most %zu",
				strlen(x), cap - 1);
		return -1;
	}
	snprintf(out, cap, "%s", x);
	return 1;
}

static void
check_keys(struct ctx *c, const config_setting_t *g, const char *sec, const char *const *allowed)
{
	if (g == NULL)
		return;
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned int)i);
		const char *name = config_setting_name(s);
		int ok = name == NULL;
		char k[128], list[512] = "";

		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, name) == 0;
		if (ok)
			continue;
		for (const char *const *a = allowed; *a; a++) {
			strncat(list, *a, sizeof(list) - strlen(list) - 1);
			if (a[1])
				strncat(list, ", ", sizeof(list) - strlen(list) - 1);
		}
		key_of(k, sizeof(k), sec, name);
		problem(c, s, k, "unknown key; expected one of: %s", list);
	}
}

/* A group member that must be a group (or absent). */
static config_setting_t *
group(struct ctx *c, const config_setting_t *parent, const char *sec, const char *key)
{
	config_setting_t *s = config_setting_get_member(parent, key);
	char k[128], v[256];

	if (s == NULL || config_setting_type(s) == CONFIG_TYPE_GROUP)
		return s;
	key_of(k, sizeof(k), sec, key);
	problem(c, s, k, "got %s; expected a group { ... }", show(s, v, sizeof(v)));
	return NULL;
}

/* A list or array of integers (lcore ids). */
static uint16_t
get_id_list(struct ctx *c, const config_setting_t *g, const char *sec, const char *key,
		unsigned int *out, int required)
{
	config_setting_t *s = config_setting_get_member(g, key);
	char k[128], v[256];
	uint16_t n = 0;

	key_of(k, sizeof(k), sec, key);
	if (s == NULL) {
		if (required)
			problem(c, g, k, "missing; expected a list of lcore ids, e.g. [1, 2]");
		return 0;
	}
	if (!config_setting_is_aggregate(s) || config_setting_type(s) == CONFIG_TYPE_GROUP) {
		problem(c, s, k, "got %s; expected a list of lcore ids, e.g. [1, 2]",
				show(s, v, sizeof(v)));
		return 0;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		int t = config_setting_type(e);
		long long x = (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) ?
			config_setting_get_int64(e) : -1;
		if (x < 0 || x >= RTE_MAX_LCORE_IDS) {
			problem(c, e, k, "element %d is %s; expected an lcore id from 0 to %d", i,
					show(e, v, sizeof(v)), RTE_MAX_LCORE_IDS - 1);
			continue;
		}
		if (n == CFG_MAX_LCORES) {
			problem(c, e, k, "more than %d lcores", CFG_MAX_LCORES);
			break;
		}
		out[n++] = (unsigned int)x;
	}
	if (n == 0 && required)
		problem(c, s, k, "empty; expected at least one lcore id");
	return n;
}

static int
parse_addr(const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1)
		return 0;
	return inet_pton(AF_INET6, s, out) == 1 ? 0 : -1;
}

static void
load_eal(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	config_setting_t *s = config_lookup(cf, "eal");
	char v[256];

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY && config_setting_type(s) != CONFIG_TYPE_LIST) {
		problem(c, s, "eal", "got %s; expected a list of EAL arguments, e.g. [\"--no-huge\"]",
				show(s, v, sizeof(v)));
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			problem(c, e, "eal", "element %d is %s; expected a string", i,
					show(e, v, sizeof(v)));
			continue;
		}
		if (cfg->n_eal == CFG_MAX_EAL) {
			problem(c, e, "eal", "more than %d arguments", CFG_MAX_EAL);
			return;
		}
		cfg->eal[cfg->n_eal++] = strdup(config_setting_get_string(e));
	}
}

/* rx_pcap=FILE inside a net_pcap vdev string must name a readable file. */
static void
check_vdev_files(struct ctx *c, const config_setting_t *s, const char *key, const char *dev)
{
	static const char *const file_args[] = { "rx_pcap=", NULL };

	for (const char *const *a = file_args; *a; a++) {
		const char *p = strstr(dev, *a);
		if (p == NULL)
			continue;
		char path[PATH_MAX];
		size_t n = strcspn(p + strlen(*a), ",");
		snprintf(path, sizeof(path), "%.*s", (int)n, p + strlen(*a));
		if (access(path, R_OK) != 0)
			problem(c, s, key, "%.*s '%s' cannot be read: %s", (int)(strlen(*a) - 1), *a,
					path, strerror(errno));
	}
}

const char *const cfg_hw_drop_names[CFG_HW_DROP_MAX] = {
#define X(n) #n,
	CFG_HW_DROPS(X)
#undef X
};

/* ports[].hw_drop: a list of names from cfg_hw_drop_names; 0 if absent. */
static uint32_t
get_hw_drop(struct ctx *c, const config_setting_t *s, const char *key)
{
	uint32_t bits = 0;
	char v[256], all[128] = "";

	if (s == NULL)
		return 0;
	for (int k = 0; k < CFG_HW_DROP_MAX; k++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", k ? ", " : "",
				cfg_hw_drop_names[k]);
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		problem(c, s, key, "got %s; expected a list of names from: %s", show(s, v, sizeof(v)),
				all);
		return 0;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned int)i);
		const char *name = config_setting_get_string(e);
		int k = 0;
		while (name != NULL && k < CFG_HW_DROP_MAX && strcmp(name, cfg_hw_drop_names[k]) != 0)
			k++;
		if (name == NULL || k == CFG_HW_DROP_MAX)
			problem(c, e, key, "got %s; expected one of: %s", show(e, v, sizeof(v)), all);
		else
			bits |= 1u << k;
	}
	return bits;
}

static void
load_ports(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	static const char *const keys[] = { "name", "device", "rx_queues", "rx_descriptors",
		"timestamps", "promiscuous", "replay_pps", "hw_drop", NULL };
	config_setting_t *s = config_lookup(cf, "ports");
	char v[256], sec[64], k[96];

	if (s == NULL) {
		problem(c, NULL, "ports", "missing; expected a list of ports, e.g. "
				"ports = ( { device = \"0000:3b:00.0\"; } );");
		return;
	}
	if (config_setting_type(s) != CONFIG_TYPE_LIST || config_setting_length(s) == 0) {
		problem(c, s, "ports", "got %s; expected a non-empty list ( { device = ...; } )",
				show(s, v, sizeof(v)));
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned int)i);
		struct cfg_port *p = &cfg->ports[cfg->n_ports];

		snprintf(sec, sizeof(sec), "ports[%d]", i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			problem(c, g, sec, "got %s; expected a group { device = ...; }",
					show(g, v, sizeof(v)));
			continue;
		}
		if (cfg->n_ports == CFG_MAX_PORTS) {
			problem(c, g, sec, "more than %d ports", CFG_MAX_PORTS);
			return;
		}
		check_keys(c, g, sec, keys);
		p->line = config_setting_source_line(g);
		snprintf(k, sizeof(k), "%s.device", sec);
		if (get_str(c, g, sec, "device", NULL, p->device, sizeof(p->device)) == 0)
			problem(c, g, k, "missing; expected a PCI address (\"0000:3b:00.0\") "
					"or a vdev (\"net_pcap0,rx_pcap=FILE\")");
		p->is_vdev = strncmp(p->device, "net_", 4) == 0 || strncmp(p->device, "eth_", 4) == 0;
		size_t dn = RTE_MIN(strcspn(p->device, ","), sizeof(p->dev_name) - 1);
		memcpy(p->dev_name, p->device, dn);
		p->dev_name[dn] = '\0';
		if (p->device[0] && !p->is_vdev) {
			unsigned int dom, bus, dev, fn;
			char tail;
			if (sscanf(p->dev_name, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4 &&
					sscanf(p->dev_name, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
				problem(c, config_setting_get_member(g, "device"), k,
						"\"%s\" is neither a PCI address (DDDD:BB:DD.F) nor "
						"a vdev (net_...)", p->device);
		}
		if (p->is_vdev)
			check_vdev_files(c, config_setting_get_member(g, "device"), k, p->device);
		char defname[64];
		snprintf(defname, sizeof(defname), "port%d", i);
		get_str(c, g, sec, "name", defname, p->name, sizeof(p->name));
		p->rx_queues = (uint16_t)get_u32(c, g, sec, "rx_queues", 1, DP_MAX_QUEUES, 1);
		p->rx_descriptors = (uint16_t)get_u32(c, g, sec, "rx_descriptors", 64, 32768, 1024);
		p->timestamps = get_bool(c, g, sec, "timestamps", true);
		p->promiscuous = get_bool(c, g, sec, "promiscuous", true);
		p->replay_pps = get_u32(c, g, sec, "replay_pps", 0, 1000000000, 0);
		snprintf(k, sizeof(k), "%s.hw_drop", sec);
		p->hw_drop = get_hw_drop(c, config_setting_get_member(g, "hw_drop"), k);
		snprintf(k, sizeof(k), "%s.device", sec);
		for (int j = 0; j < cfg->n_ports; j++)
			if (strcmp(cfg->ports[j].dev_name, p->dev_name) == 0 && p->dev_name[0])
				problem(c, g, k, "\"%s\" is already ports[%d]", p->dev_name, j);
		cfg->n_ports++;
	}
}

static void
load_lcores(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	static const char *const keys[] = { "main", "rx", "inference", "inference_numa_node",
		"map", "ring_size", "event_pool", "backpressure", NULL };
	config_setting_t *g = group(c, config_root_setting(cf), "", "lcores");
	long long x;

	if (g == NULL) {
		if (config_lookup(cf, "lcores") == NULL)
			problem(c, NULL, "lcores", "missing; expected lcores = { main = 0; "
					"rx = [1]; inference = [2]; }");
		return;
	}
	check_keys(c, g, "lcores", keys);
	get_int(c, g, "lcores", "main", 0, RTE_MAX_LCORE_IDS - 1, 0, &x);
	cfg->main_lcore = (unsigned int)x;
	cfg->n_rx = get_id_list(c, g, "lcores", "rx", cfg->rx, 1);
	cfg->n_inference = get_id_list(c, g, "lcores", "inference", cfg->inference, 1);
	get_int(c, g, "lcores", "inference_numa_node", -1, 7, -1, &x);
	cfg->inference_node = (int)x;
	get_str(c, g, "lcores", "map", "", cfg->lcore_map, sizeof(cfg->lcore_map));
	cfg->ring_size = get_u32(c, g, "lcores", "ring_size", 64, 1 << 20, 4096);
	if (cfg->ring_size & (cfg->ring_size - 1))
		problem(c, config_setting_get_member(g, "ring_size"), "lcores.ring_size",
				"%u is not a power of two; expected 64, 128, ... 1048576", cfg->ring_size);
	cfg->event_pool = get_u32(c, g, "lcores", "event_pool", 1024, 1 << 24, 65535);
	cfg->backpressure = get_bool(c, g, "lcores", "backpressure", false);

	/* every lcore has exactly one role */
	unsigned int all[2 * CFG_MAX_LCORES + 1];
	const char *role[2 * CFG_MAX_LCORES + 1];
	int n = 0;
	all[n] = cfg->main_lcore, role[n++] = "main";
	for (int i = 0; i < cfg->n_rx; i++)
		all[n] = cfg->rx[i], role[n++] = "rx";
	for (int i = 0; i < cfg->n_inference; i++)
		all[n] = cfg->inference[i], role[n++] = "inference";
	for (int i = 0; i < n; i++)
		for (int j = 0; j < i; j++)
			if (all[i] == all[j])
				problem(c, g, "lcores", "lcore %u is both %s and %s; every lcore has "
						"one role", all[i], role[j], role[i]);
	if (cfg->n_inference > DP_MAX_INF)
		problem(c, g, "lcores.inference", "%u inference lcores; at most %d",
				cfg->n_inference, DP_MAX_INF);
}

static void
load_flows(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	static const char *const keys[] = { "capacity", "timeout_syn", "timeout_established",
		"timeout_closed", "response_timeout", "ooo_per_flow", "ooo_total", "frag_entries",
		"frag_timeout_ms", NULL };
	config_setting_t *g = group(c, config_root_setting(cf), "", "flows");
	struct dp_limits *l = &cfg->lim;

	check_keys(c, g, "flows", keys);
	l->flows = get_u32(c, g, "flows", "capacity", 1024, 1 << 26, 262144);
	l->timeout_syn_s = get_u32(c, g, "flows", "timeout_syn", 1, 3600, 10);
	l->timeout_est_s = get_u32(c, g, "flows", "timeout_established", 1, 86400, 300);
	l->timeout_closed_s = get_u32(c, g, "flows", "timeout_closed", 1, 3600, 5);
	l->response_timeout_s = get_u32(c, g, "flows", "response_timeout", 1, 3600, 30);
	l->ooo_per_flow = get_u32(c, g, "flows", "ooo_per_flow", 1, 255, 32);
	l->ooo_total = get_u32(c, g, "flows", "ooo_total", 0, 1 << 22, 16384);
	l->frag_entries = get_u32(c, g, "flows", "frag_entries", 16, 1 << 20, 4096);
	l->frag_timeout_ms = get_u32(c, g, "flows", "frag_timeout_ms", 10, 60000, 2000);
}

static void
load_http(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	static const char *const keys[] = { "max_line", "max_header", "header_buffers",
		"body_bytes", NULL };
	config_setting_t *g = group(c, config_root_setting(cf), "", "http");
	struct dp_limits *l = &cfg->lim;

	check_keys(c, g, "http", keys);
	l->max_line = get_u32(c, g, "http", "max_line", 256, 65535, 8192);
	l->max_header = get_u32(c, g, "http", "max_header", 1024, 65535, 16384);
	l->header_buffers = get_u32(c, g, "http", "header_buffers", 16, 1 << 20, 4096);
	l->body_bytes = get_u32(c, g, "http", "body_bytes", 0, 2048, 1024);
	if (l->max_line > l->max_header)
		problem(c, g, "http.max_line", "%u is larger than http.max_header (%u)",
				l->max_line, l->max_header);
}

static void
load_mempool(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	static const char *const keys[] = { "mbufs", "cache", "data_room", NULL };
	config_setting_t *g = group(c, config_root_setting(cf), "", "mempool");

	check_keys(c, g, "mempool", keys);
	cfg->mbufs = get_u32(c, g, "mempool", "mbufs", 1023, 1 << 24, 16383);
	cfg->mbuf_cache = get_u32(c, g, "mempool", "cache", 0, 512, 256);
	cfg->data_room = get_u32(c, g, "mempool", "data_room", 1024, 65535, 2048 + 128);
}

static void
load_services(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	static const char *const keys[] = { "name", "addrs", "port", "edge", NULL };
	config_setting_t *s = config_lookup(cf, "services");
	char v[256], sec[64], k[96];

	if (s == NULL)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_LIST) {
		problem(c, s, "services", "got %s; expected a list ( { name = ...; addrs = [...]; "
				"port = ...; } )", show(s, v, sizeof(v)));
		return;
	}
	int n = config_setting_length(s);
	if (n > CFG_MAX_SERVICES) {
		problem(c, s, "services", "%d services; at most %d", n, CFG_MAX_SERVICES);
		return;
	}
	cfg->services = calloc((size_t)n + 1, sizeof(*cfg->services));
	for (int i = 0; i < n; i++) {
		config_setting_t *g = config_setting_get_elem(s, (unsigned int)i);
		struct cfg_service *sv = &cfg->services[cfg->n_services];

		snprintf(sec, sizeof(sec), "services[%d]", i);
		if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
			problem(c, g, sec, "got %s; expected a group", show(g, v, sizeof(v)));
			continue;
		}
		check_keys(c, g, sec, keys);
		snprintf(k, sizeof(k), "%s.name", sec);
		if (get_str(c, g, sec, "name", NULL, sv->name, sizeof(sv->name)) == 0)
			problem(c, g, k, "missing; expected the service's name");
		sv->port = (uint16_t)get_u32(c, g, sec, "port", 0, 65535, 0);
		sv->edge = get_bool(c, g, sec, "edge", false);
		config_setting_t *a = config_setting_get_member(g, "addrs");
		snprintf(k, sizeof(k), "%s.addrs", sec);
		if (a == NULL || config_setting_type(a) != CONFIG_TYPE_ARRAY ||
				config_setting_length(a) == 0) {
			problem(c, a ? a : g, k, "%s; expected a list of addresses, e.g. "
					"[\"10.0.0.1\", \"fd00::1\"]",
					a ? "not a non-empty list of strings" : "missing");
			continue;
		}
		for (int j = 0; j < config_setting_length(a) && j < CFG_MAX_ADDRS; j++) {
			const char *txt = config_setting_get_string_elem(a, j);
			if (txt == NULL || parse_addr(txt, sv->addrs[sv->n_addrs]) < 0) {
				config_setting_t *e = config_setting_get_elem(a, (unsigned int)j);
				problem(c, e, k, "element %d is %s; expected an IPv4 or IPv6 address",
						j, show(e, v, sizeof(v)));
				continue;
			}
			sv->n_addrs++;
		}
		cfg->n_services++;
	}
}

static void
load_models(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	static const char *const keys[] = { "batch", "deadline_us", "precision", "payload", "trace",
		"actor", "thresholds", "trace_keys", "actor_keys", "trace_timeout_ms",
		"actor_timeout_s", NULL };
	static const struct { const char *key; size_t off; } files[] = {
		{ "payload", offsetof(struct mw_config, payload_model) },
		{ "trace", offsetof(struct mw_config, trace_model) },
		{ "actor", offsetof(struct mw_config, actor_model) },
	};
	config_setting_t *g = group(c, config_root_setting(cf), "", "models");
	char k[64], v[256];

	check_keys(c, g, "models", keys);
	cfg->batch = get_u32(c, g, "models", "batch", 1, 256, 32);
	cfg->deadline_us = get_u32(c, g, "models", "deadline_us", 1, 1000000, 100);
	char prec[16], why[256];
	get_str(c, g, "models", "precision", "f32", prec, sizeof(prec));
	if (inf_precision_parse(prec, &cfg->precision) < 0)
		problem(c, config_setting_get_member(g, "precision"), "models.precision",
				"got \"%s\"; expected \"f32\" or \"bf16\"", prec);
	else if (inf_precision_check(cfg->precision, why, sizeof(why)) < 0)
		problem(c, config_setting_get_member(g, "precision"), "models.precision", "%s", why);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *path = (char *)cfg + files[i].off;
		snprintf(k, sizeof(k), "models.%s", files[i].key);
		if (get_str(c, g, "models", files[i].key, "", path, PATH_MAX) == 1 &&
				access(path, R_OK) != 0)
			problem(c, config_setting_get_member(g, files[i].key), k,
					"\"%s\" cannot be read: %s", path, strerror(errno));
	}
	if (cfg->actor_model[0] && !cfg->trace_model[0])
		problem(c, config_setting_get_member(g, "actor"), "models.actor",
				"an actor model needs a trace model (models.trace): its elements are "
				"the summaries of finished traces");
	cfg->trace_keys = get_u32(c, g, "models", "trace_keys", 64, 1 << 24, 16384);
	cfg->actor_keys = get_u32(c, g, "models", "actor_keys", 64, 1 << 24, 16384);
	cfg->trace_timeout_ms = get_u32(c, g, "models", "trace_timeout_ms", 1, 3600000, 30000);
	cfg->actor_timeout_s = get_u32(c, g, "models", "actor_timeout_s", 1, 30 * 86400, 3600);

	/* thresholds = { sqli = 0.9; bola = 0.8; }: by class name, for every
	 * model with that class; main checks the names against the models */
	config_setting_t *t = g ? group(c, g, "models", "thresholds") : NULL;
	for (int i = 0; t != NULL && i < config_setting_length(t); i++) {
		config_setting_t *e = config_setting_get_elem(t, (unsigned int)i);
		const char *name = config_setting_name(e);
		int ty = config_setting_type(e);
		double x = ty == CONFIG_TYPE_FLOAT ? config_setting_get_float(e) :
			ty == CONFIG_TYPE_INT ? (double)config_setting_get_int(e) : -1.0;
		snprintf(k, sizeof(k), "models.thresholds.%s", name);
		if (x <= 0.0 || x > 1.0) {
			problem(c, e, k, "got %s; expected a probability above 0 and at most 1",
					show(e, v, sizeof(v)));
			continue;
		}
		if (strlen(name) >= sizeof(cfg->thresholds->cls)) {
			problem(c, e, k, "class name is too long");
			continue;
		}
		cfg->thresholds = realloc(cfg->thresholds, sizeof(*cfg->thresholds) *
				((size_t)cfg->n_thresholds + 1));
		struct cfg_threshold *th = &cfg->thresholds[cfg->n_thresholds++];
		snprintf(th->cls, sizeof(th->cls), "%s", name);
		th->value = (float)x;
		th->line = config_setting_source_line(e);
	}
}

/* prefilter = { rules = [FILES or globs]; cache = "DIR"; } */
static void
load_prefilter(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	static const char *const keys[] = { "rules", "cache", NULL };
	config_setting_t *g = group(c, config_root_setting(cf), "", "prefilter");
	char v[256];

	if (g == NULL)
		return;
	check_keys(c, g, "prefilter", keys);
	get_str(c, g, "prefilter", "cache", "", cfg->pf_cache, sizeof(cfg->pf_cache));
	if (cfg->pf_cache[0] && access(cfg->pf_cache, W_OK) != 0)
		problem(c, config_setting_get_member(g, "cache"), "prefilter.cache",
				"directory \"%s\" is not writable: %s", cfg->pf_cache, strerror(errno));
	config_setting_t *r = config_setting_get_member(g, "rules");
	if (r == NULL || config_setting_type(r) != CONFIG_TYPE_ARRAY ||
			config_setting_length(r) == 0) {
		problem(c, r ? r : g, "prefilter.rules", "%s; expected a list of rule files or "
				"globs, e.g. [\"configs/signatures/*.rules\"]",
				r ? show(r, v, sizeof(v)) : "missing");
		return;
	}
	for (int i = 0; i < config_setting_length(r); i++) {
		const char *pat = config_setting_get_string_elem(r, i);
		glob_t gl;
		if (pat == NULL) {
			problem(c, r, "prefilter.rules", "element %d is not a string", i);
			continue;
		}
		if (glob(pat, 0, NULL, &gl) != 0 || gl.gl_pathc == 0) {
			problem(c, r, "prefilter.rules", "\"%s\" names no readable file", pat);
			continue;
		}
		cfg->pf_files = realloc(cfg->pf_files, sizeof(char *) *
				((size_t)cfg->n_pf_files + gl.gl_pathc));
		for (size_t k = 0; k < gl.gl_pathc; k++)
			cfg->pf_files[cfg->n_pf_files++] = strdup(gl.gl_pathv[k]);
		globfree(&gl);
	}
}

static int
parse_key(const char *hex, uint64_t key[2])
{
	if (strlen(hex) != 32)
		return -1;
	for (int i = 0; i < 2; i++) {
		char part[17];
		char *end;
		memcpy(part, hex + 16 * i, 16);
		part[16] = '\0';
		key[i] = strtoull(part, &end, 16);
		if (*end)
			return -1;
	}
	return 0;
}

static void
load_output(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	static const char *const keys[] = { "events", "alerts", "alerts_socket", "alerts_syslog",
		"alert_window_s", "stats", "stats_interval", "redact", "actor_key", NULL };
	config_setting_t *g = group(c, config_root_setting(cf), "", "output");
	char key[64];

	check_keys(c, g, "output", keys);
	get_str(c, g, "output", "events", "", cfg->events, sizeof(cfg->events));
	get_str(c, g, "output", "alerts", "", cfg->alerts, sizeof(cfg->alerts));
	get_str(c, g, "output", "alerts_socket", "", cfg->alerts_socket,
			sizeof(cfg->alerts_socket));
	if (get_str(c, g, "output", "alerts_syslog", "", cfg->alerts_syslog,
				sizeof(cfg->alerts_syslog)) == 1 &&
			(cfg->syslog_facility = sink_syslog_facility(cfg->alerts_syslog)) < 0)
		problem(c, config_setting_get_member(g, "alerts_syslog"), "output.alerts_syslog",
				"\"%s\" is not a syslog facility; expected local0 to local7, daemon, "
				"user, auth or security", cfg->alerts_syslog);
	cfg->alert_window_s = get_u32(c, g, "output", "alert_window_s", 0, 86400, 60);
	get_str(c, g, "output", "stats", "", cfg->stats_file, sizeof(cfg->stats_file));
	cfg->stats_interval = get_u32(c, g, "output", "stats_interval", 0, 3600, 1);
	cfg->redact = get_bool(c, g, "output", "redact", true);
	if (get_str(c, g, "output", "actor_key", "", key, sizeof(key)) == 1) {
		if (parse_key(key, cfg->lim.actor_key) < 0)
			problem(c, config_setting_get_member(g, "actor_key"), "output.actor_key",
					"\"%s\" is not 32 hex digits", key);
		else
			cfg->actor_key_set = true;
	}
	if (!cfg->actor_key_set &&
			getrandom(cfg->lim.actor_key, sizeof(cfg->lim.actor_key), 0) !=
			sizeof(cfg->lim.actor_key))
		problem(c, g, "output.actor_key", "no key set and no randomness available");
}

/* "ADDR:PORT" (IPv4), "[ADDR]:PORT" (IPv6) or ":PORT" (every address), as
 * numbers: the management address is never looked up in DNS. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *colon = strrchr(s, ':');
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE }, *ai;
	char *end;

	if (colon == NULL || colon[1] == '\0')
		return -1;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || port == 0 || port > 65535)
		return -1;
	size_t n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	if (getaddrinfo(n ? host : NULL, colon + 1, &hints, &ai) != 0)
		return -1;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* telemetry = { prometheus = "127.0.0.1:9464"; } */
static void
load_telemetry(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	static const char *const keys[] = { "prometheus", NULL };
	config_setting_t *g = group(c, config_root_setting(cf), "", "telemetry");

	check_keys(c, g, "telemetry", keys);
	if (get_str(c, g, "telemetry", "prometheus", "", cfg->prometheus,
				sizeof(cfg->prometheus)) == 1 &&
			parse_listen(cfg->prometheus, &cfg->prom_addr, &cfg->prom_len) < 0)
		problem(c, config_setting_get_member(g, "prometheus"), "telemetry.prometheus",
				"\"%s\" is not a numeric ADDRESS:PORT; expected e.g. "
				"\"127.0.0.1:9464\", \"[::1]:9464\" or \":9464\"", cfg->prometheus);
}

/* inventory = { file = "inv.json"; dot = "graph.dot"; baseline = "old.json";
 *               learn_s = 600; capacity = 65536; } */
static void
load_inventory(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	static const char *const keys[] = { "file", "dot", "baseline", "learn_s", "capacity",
		NULL };
	config_setting_t *g = group(c, config_root_setting(cf), "", "inventory");

	check_keys(c, g, "inventory", keys);
	get_str(c, g, "inventory", "file", "", cfg->inv_file, sizeof(cfg->inv_file));
	get_str(c, g, "inventory", "dot", "", cfg->inv_dot, sizeof(cfg->inv_dot));
	if (get_str(c, g, "inventory", "baseline", "", cfg->inv_baseline,
				sizeof(cfg->inv_baseline)) == 1 && access(cfg->inv_baseline, R_OK) != 0)
		problem(c, config_setting_get_member(g, "baseline"), "inventory.baseline",
				"cannot read \"%s\": %s", cfg->inv_baseline, strerror(errno));
	cfg->inv_learn_s = get_u32(c, g, "inventory", "learn_s", 0, 30 * 86400, 600);
	cfg->inv_capacity = get_u32(c, g, "inventory", "capacity", 1024, 1u << 22, 16384);
}

/* Cross-section rules. */
static void
check_topology(struct ctx *c, const config_t *cf, struct mw_config *cfg)
{
	unsigned int queues = 0;

	for (int i = 0; i < cfg->n_ports; i++)
		queues += cfg->ports[i].rx_queues;
	if (cfg->n_rx > 0 && cfg->n_ports > 0 && queues < cfg->n_rx)
		problem(c, config_lookup(cf, "lcores.rx"), "lcores.rx",
				"%u rx lcores but only %u rx queues in all ports; every rx lcore "
				"needs a queue (raise ports[].rx_queues)", cfg->n_rx, queues);
	if (cfg->n_rx > 0 && queues > (unsigned int)cfg->n_rx * DP_MAX_QUEUES)
		problem(c, config_lookup(cf, "lcores.rx"), "lcores.rx",
				"%u rx queues for %u rx lcores; at most %d queues per lcore",
				queues, cfg->n_rx, DP_MAX_QUEUES);
	if (cfg->lim.header_buffers > cfg->lim.flows * 2u)
		problem(c, config_lookup(cf, "http.header_buffers"), "http.header_buffers",
				"%u is more than two per flow (flows.capacity %u)",
				cfg->lim.header_buffers, cfg->lim.flows);
}

int
cfg_load(const char *file, struct mw_config *cfg, FILE *err)
{
	static const char *const sections[] = { "eal", "ports", "lcores", "flows", "http",
		"mempool", "services", "models", "output", "prefilter", "telemetry", "inventory", NULL };
	struct ctx c = { .file = file, .err = err };
	config_t cf;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", file);
	config_init(&cf);
	if (config_read_file(&cf, file) != CONFIG_TRUE) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			fprintf(err, "%s:0: cannot read: %s\n", file, strerror(errno));
		else
			fprintf(err, "%s:%d: syntax error (%s)\n",
					config_error_file(&cf) ? config_error_file(&cf) : file,
					config_error_line(&cf), config_error_text(&cf));
		config_destroy(&cf);
		return 1;
	}
	check_keys(&c, config_root_setting(&cf), "", sections);
	load_eal(&c, &cf, cfg);
	load_ports(&c, &cf, cfg);
	load_lcores(&c, &cf, cfg);
	load_flows(&c, &cf, cfg);
	load_http(&c, &cf, cfg);
	load_mempool(&c, &cf, cfg);
	load_services(&c, &cf, cfg);
	load_models(&c, &cf, cfg);
	load_prefilter(&c, &cf, cfg);
	load_output(&c, &cf, cfg);
	load_telemetry(&c, &cf, cfg);
	load_inventory(&c, &cf, cfg);
	check_topology(&c, &cf, cfg);
	config_destroy(&cf);
	return c.errors;
}

void
cfg_free(struct mw_config *cfg)
{
	for (int i = 0; i < cfg->n_eal; i++)
		free(cfg->eal[i]);
	free(cfg->services);
	cfg->services = NULL;
	for (int i = 0; i < cfg->n_pf_files; i++)
		free(cfg->pf_files[i]);
	free(cfg->pf_files);
	cfg->pf_files = NULL;
	free(cfg->thresholds);
	cfg->thresholds = NULL;
	cfg->n_thresholds = 0;
	cfg->n_pf_files = 0;
	cfg->n_eal = 0;
}
