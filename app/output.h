/* SPDX-License-Identifier: BSD-3-Clause */
/* Main lcore outputs: the event log (output.c), stats (stats.c). Control path. */
#ifndef APP_OUTPUT_H
#define APP_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mw_event.h"
#include "prefilter.h"
#include "model.h"

struct out_ctx {
	FILE *events;			/* NULL: no event log */
	bool redact;
	char (*service_names)[32];
	const struct pf_engine *pf;	/* rule ids and names for matches */
	const struct mw_model *payload;	/* class names for payload verdicts */
	uint16_t n_services;
	uint64_t written;
};

/* Writes one event as a JSON line; -1 on a write error. */
int out_event(struct out_ctx *oc, const struct mw_event *ev);

#endif
