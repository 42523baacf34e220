/* SPDX-License-Identifier: BSD-3-Clause */
/* Main lcore outputs: the event log (output.c), stats (stats.c). Control path. */
#ifndef APP_OUTPUT_H
#define APP_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "alert.h"
#include "mw_event.h"
#include "prefilter.h"
#include "model.h"
#include "sink.h"

struct rte_hash;
struct out_window;

struct out_ctx {
	FILE *events;			/* NULL: no event log */
	FILE *alerts;			/* NULL: no alert log */
	struct out_sock sock;		/* alerts to a collector's socket too */
	bool syslog;			/* and to syslog */
	bool redact;
	char (*service_names)[32];
	const struct pf_catalog *rules;	/* names matches: every rule run since start */
	const struct mw_model *models[MW_ALERT_KIND_MAX];	/* class names, by level */
	uint16_t n_services;
	uint64_t written;

	/* alert suppression: one alert per (kind, class, actor) and window */
	uint64_t window_ns;		/* 0: every alert is written */
	struct rte_hash *windows;
	struct out_window *win;
	uint64_t now_ns, now_tsc;	/* latest alert time, and when it came */
	uint64_t alerts_written, alerts_suppressed, windows_full;

	/* writes that failed (a full disk, a lost mount): lines lost with them */
	uint64_t event_write_errors, alert_write_errors;
	int event_errno, alert_errno;	/* the last failure's reason, said once */
	uint64_t raised[MW_ALERT_KIND_MAX][MW_MODEL_MAX_CLASSES];	/* by level and class */
};

/* Writes one event as a JSON line; -1 on a write error (counted, and said
 * on stderr when the log starts failing or fails for a new reason). */
int out_event(struct out_ctx *oc, const struct mw_event *ev);

/* Flushes both logs, counting a failure as a failed write. */
void out_flush(struct out_ctx *oc);

/* Sets up suppression with windows of window_s seconds (0: none). */
int out_alerts_init(struct out_ctx *oc, uint32_t window_s);
void out_alerts_free(struct out_ctx *oc);

/* Writes an alert as an EVE-style JSON line, unless one for the same kind,
 * class and actor was written less than a window ago (then it is counted,
 * and the count is written when that window closes). */
int out_alert(struct out_ctx *oc, const struct mw_alert *al);

/* An inventory finding (inventory.h), as a low-severity alert. */
struct out_finding {
	const char *finding, *signature, *src, *dst, *tmpl;
	uint32_t sid;			/* signature_id */
	uint8_t method;
	bool v6, with_unauthenticated;
	uint16_t cport, sport;
	const uint8_t *client, *server;	/* 16 bytes each: the first call's */
	uint64_t ts_ns, calls, unauthenticated;
};
int out_finding(struct out_ctx *oc, const struct out_finding *f);

/* How much of a Host header names the service: its first label. */
size_t out_host_label(const char *h, size_t n);

/* Closes windows older than now_ns (all of them with UINT64_MAX), writing
 * an "alert_summary" line for each that suppressed something. */
void out_alerts_flush(struct out_ctx *oc, uint64_t now_ns);

#endif
