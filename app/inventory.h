/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The API inventory and service graph (control path, main lcore): which
 * services call which endpoints (method + path template), how often, with
 * what status mix, whether the calls carry authentication and trace
 * context, first and last seen. Learned from every call the main lcore
 * writes out; dumped as JSON and DOT on demand; read by telemetry.
 *
 * Templates, from the raw path: a number, a UUID or a long hex string is
 * {id}; so is a segment that is no route word (anything beyond letters,
 * digits, '-', '_', '.', '~', or no letter or digit at all); and so are the
 * literal children of a segment once more than INV_FANOUT distinct ones
 * appeared there (names, slugs, codes), except those that carry a share of
 * its calls (routes). The event log's template is the rx lcore's quicker
 * guess, which takes any word with two digits for an id. Only a call that succeeded (status
 * 1xx-3xx) on a path of route words founds an endpoint: a path that only
 * ever drew errors is a probe, and a path with a payload in it belongs to
 * the endpoint its template names, if there is one; otherwise both count as
 * unmatched.
 *
 * Findings (low severity, written as alerts): calls between two configured
 * services without authentication, once per caller and endpoint (an edge
 * service's calls are forwarded from outside, where public endpoints need
 * none, so they are not judged); endpoints
 * not in the baseline inventory (inventory.baseline), or first seen after
 * the learning period (inventory.learn_s) when there is none.
 */
#ifndef APP_INVENTORY_H
#define APP_INVENTORY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mw_event.h"

#define INV_FANOUT 16		/* distinct literals under a segment before they are values */
#define INV_TEMPLATE 120	/* longer templates are not endpoints */

struct inventory;
struct out_ctx;

enum inv_finding { INV_UNAUTHENTICATED, INV_NEW_ENDPOINT, INV_FINDING_MAX };
extern const char *const inv_finding_names[INV_FINDING_MAX];

struct inv_counts {
	uint64_t services, endpoints, edges, unmatched, findings[INV_FINDING_MAX];
};

/* capacity: endpoints and edges at most (more are counted unmatched);
 * baseline: a previous dump, or NULL; learn_s: the learning period when
 * there is no baseline. NULL with a message in err. */
struct inventory *inv_create(uint32_t capacity, const char *baseline, uint32_t learn_s,
		const char (*service_names)[32], const bool *edge, uint16_t n_services, FILE *err);
void inv_free(struct inventory *inv);
/* Whether path is a baseline inv_create would take (--check-config); 0, or
 * -1 with a message in err. */
int inv_check_baseline(const char *path, FILE *err);

/* Every call; the caller holds inv_lock (the main lcore, per batch). */
void inv_add(struct inventory *inv, const struct mw_event *ev);
/* Decides the findings whose templates have settled (a minute of event
 * time; every one with final) and writes them out as alerts through oc.
 * Once a second, and at exit, under inv_lock. */
void inv_sweep(struct inventory *inv, struct out_ctx *oc, bool final);

void inv_lock(struct inventory *inv);
void inv_unlock(struct inventory *inv);

/* Under inv_lock: counts; the endpoints, merged by template (JSON); the
 * service graph (DOT). each() visits the merged endpoints for telemetry. */
void inv_counts(struct inventory *inv, struct inv_counts *c);
void inv_json(struct inventory *inv, FILE *f);
void inv_dot(struct inventory *inv, FILE *f);
void inv_each(struct inventory *inv, void (*fn)(void *arg, const char *service,
			const char *method, const char *tmpl, uint64_t calls), void *arg);

#endif
