/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The meshwatch config file (libconfig), loaded and validated as a whole
 * before anything starts. Control path only (main lcore, before launch).
 * configs/README.md documents every key.
 */
#ifndef CFG_CONFIG_H
#define CFG_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "dp.h"
#include "onednn.h"

#define CFG_MAX_PORTS 8
#define CFG_MAX_LCORES 64
#define CFG_MAX_EAL 64
#define CFG_MAX_SERVICES 1024
#define CFG_MAX_ADDRS 16

/* What ports[].hw_drop may name: traffic meshwatch never parses, dropped by
 * the NIC (rte_flow) before it costs a descriptor, an mbuf or a poll. */
#define CFG_HW_DROPS(X) X(arp) X(lldp) X(icmp) X(icmp6) X(udp) X(ipv6)
enum cfg_hw_drop {
#define X(n) CFG_HW_DROP_##n,
	CFG_HW_DROPS(X)
#undef X
	CFG_HW_DROP_MAX
};
extern const char *const cfg_hw_drop_names[CFG_HW_DROP_MAX];

struct cfg_port {
	char name[64];			/* what stats call it */
	char device[1024];		/* PCI address or vdev string */
	char dev_name[128];		/* ethdev name: the PCI address or the vdev name */
	bool is_vdev;
	uint16_t rx_queues;
	uint16_t rx_descriptors;
	bool timestamps;		/* ask the PMD for rx timestamps */
	uint32_t replay_pps;		/* pace polling to this rate (captures); 0: none */
	bool promiscuous;
	uint32_t hw_drop;		/* bit per enum cfg_hw_drop */
	int line;
};

struct cfg_service {
	char name[32];
	uint8_t addrs[CFG_MAX_ADDRS][16];
	uint16_t n_addrs;
	uint16_t port;			/* 0: any */
	bool edge;			/* it forwards calls from outside (a gateway) */
};

struct cfg_threshold {
	char cls[32];
	float value;
	int line;
};

struct mw_config {
	char path[PATH_MAX];
	char *eal[CFG_MAX_EAL];
	int n_eal;

	struct cfg_port ports[CFG_MAX_PORTS];
	uint16_t n_ports;

	unsigned int main_lcore;
	unsigned int rx[CFG_MAX_LCORES], inference[CFG_MAX_LCORES];
	uint16_t n_rx, n_inference;
	int inference_node;		/* -1: any */
	char lcore_map[256];		/* EAL --lcores, or "" for -l from the lists */
	uint32_t ring_size;
	uint32_t event_pool;
	bool backpressure;		/* rings wait instead of dropping (captures) */

	uint32_t mbufs;			/* per NUMA socket */
	uint32_t mbuf_cache;
	uint32_t data_room;

	struct dp_limits lim;
	bool actor_key_set;

	struct cfg_service *services;
	uint16_t n_services;

	uint32_t batch, deadline_us;
	enum inf_precision precision;	/* models.precision */
	char payload_model[PATH_MAX];	/* "" none */
	char trace_model[PATH_MAX];
	char actor_model[PATH_MAX];
	uint32_t trace_keys, actor_keys;	/* per inference lcore */
	uint32_t trace_timeout_ms, actor_timeout_s;
	struct cfg_threshold *thresholds;	/* models.thresholds, by class name */
	int n_thresholds;

	char **pf_files;		/* prefilter.rules, globs expanded */
	int n_pf_files;
	char pf_cache[PATH_MAX];	/* "" no cache */

	char events[PATH_MAX];		/* "" none, "-" stdout */
	char alerts[PATH_MAX];		/* "" none, "-" stdout */
	char alerts_socket[108];	/* a collector's Unix socket, "" none */
	char alerts_syslog[16];		/* a syslog facility, "" none */
	int syslog_facility;
	uint32_t alert_window_s;	/* one alert per key, kind and class per window */
	char stats_file[PATH_MAX];
	uint32_t stats_interval;
	bool redact;

	char inv_file[PATH_MAX], inv_dot[PATH_MAX];	/* inventory dumps, "" none */
	char inv_baseline[PATH_MAX];	/* "" none: learn for inv_learn_s */
	uint32_t inv_learn_s, inv_capacity;

	char prometheus[128];		/* telemetry.prometheus, "" none */
	struct sockaddr_storage prom_addr;
	socklen_t prom_len;
};

/* Loads and validates FILE into cfg; every problem is printed to err as
 * "FILE:LINE: key: message". Returns the number of problems (0: valid). */
int cfg_load(const char *file, struct mw_config *cfg, FILE *err);
void cfg_free(struct mw_config *cfg);

#endif
