/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Telemetry (control path): DPDK telemetry commands under /meshwatch/, read
 * with dpdk-telemetry.py, and the Prometheus text endpoint on the management
 * address (telemetry.prometheus). Both answer from threads of their own, off
 * the data path.
 */
#ifndef APP_TELEMETRY_H
#define APP_TELEMETRY_H

#include <stdint.h>
#include <stdio.h>

struct app;
struct rte_ring;

/* Registers the commands and opens the Prometheus endpoint, if configured.
 * From then on both read a's lcores, rings, ports and outputs; -1 with a
 * message when the endpoint cannot listen. */
int app_telemetry_start(struct app *a, FILE *err);

/* Closes the endpoint and waits for any answer in progress; the commands
 * then answer with an error. Call it before a's lcores are freed. */
void app_telemetry_stop(void);

/* A ring between lcores, and what its producer lost to it being full (a
 * producer's count covers all its rings of that kind). */
struct app_ring {
	const struct rte_ring *r;
	const char *kind;	/* rx_to_inference, events_to_main, alerts, summaries */
	unsigned int from;	/* the producer's lcore */
	const uint64_t *drops;
};

/* Lists a's rings into out (at most cap); returns how many. */
unsigned int app_rings(const struct app *a, struct app_ring *out, unsigned int cap);

/* The Prometheus text exposition (version 0.0.4) of a's counters. */
void app_prometheus(const struct app *a, FILE *out);

#endif
