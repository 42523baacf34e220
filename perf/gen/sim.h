/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulation: users in sessions following workflows, attackers, traces
 * fanning out through services, HTTP messages, and their labels.
 *
 * Single-threaded and deterministic: one event heap ordered by (time, seq),
 * one random stream. Sessions are generated one trace at a time in order of
 * trace start, which is what lets net.c stream packets in time order.
 */
#ifndef GEN_SIM_H
#define GEN_SIM_H

#include <stdint.h>

#include "classes.h"
#include "net.h"

struct app;
struct grammar;

struct sim_opts {
	uint64_t seed;
	uint64_t requests;	/* stop at the first trace boundary past this */
	int users;		/* 0: the app's own count */
	double rates[CLS_N];	/* share of sessions per attack class */
	int loop_clean;		/* every connection opens and closes inside */
	double midstart_s;	/* capture starts this far into the simulation */
	struct net_opts net;
};

struct sim_grammars {
	const struct grammar *benign;
	const struct grammar *attack[CLS_N];	/* payload classes only */
};

struct sim_result {
	uint64_t requests, traces, sessions;
	uint64_t sessions_by_class[CLS_N];
	uint64_t requests_by_class[CLS_N];
	uint64_t malicious_by_class[CLS_N];
	uint64_t status[6];	/* 1xx..5xx, index by code / 100 */
	uint64_t sim_ns;
	struct net_stats net;
};

/* Runs the whole generation; labels and pcap must be open. */
int sim_run(const struct app *a, const struct sim_grammars *g,
		const struct sim_opts *o, struct rng *r, struct sim_result *res);

#endif /* GEN_SIM_H */
