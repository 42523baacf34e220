/* SPDX-License-Identifier: BSD-3-Clause */
/* Ports: configure, start, report, stop. Control path, main lcore only. */
#ifndef APP_PORTS_H
#define APP_PORTS_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"

struct rte_mempool;

struct app_port {
	uint16_t port_id;
	const struct cfg_port *cfg;
	int socket;
	uint16_t n_queues;
	uint32_t ts_mult;		/* rx timestamps to ns, 0: not used */
	int rss;			/* RSS enabled */
	uint16_t n_flows;		/* hw_drop rules installed */
};

/* Resolves cfg's device to a port id; -1 with a message naming the key. */
int app_port_find(const struct cfg_port *cp, int index, struct app_port *p, FILE *err);
int app_port_start(struct app_port *p, struct rte_mempool *mp, FILE *err);
/* Installs ports[].hw_drop as rte_flow drop rules on the started port; -1
 * with a message naming what the NIC cannot drop (nothing is installed). */
int app_port_hw_drop(struct app_port *p, FILE *err);
void app_port_stats(const struct app_port *p, FILE *out, int xstats);
void app_port_stop(struct app_port *p);

#endif
