/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cycles per pipeline stage, for the benchmark: built with
 * `meson configure -Dstage_cycles=true` (MW_STAGE_CYCLES), and nothing at
 * all without it. An lcore is always in exactly one stage; entering or
 * leaving one charges the cycles since the last mark to the stage it was
 * in, so nested stages count exclusively and the stages of a busy loop
 * pass add up to its time. Only the owning lcore writes; the main lcore
 * reads (relaxed, at most one pass stale).
 */
#ifndef MW_STAGE_H
#define MW_STAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <rte_cycles.h>

#define MW_STAGE_MAX 8
#define MW_STAGE_DEPTH 8	/* how deep stages may nest (the rx path: 3) */

struct mw_stages {
	uint64_t mark;			/* when the current stage was last charged */
	uint8_t cur, depth;
	uint8_t stack[MW_STAGE_DEPTH];
	uint64_t cycles[MW_STAGE_MAX];	/* exclusive, since start */
};

#ifdef MW_STAGE_CYCLES
static const bool mw_stage_cycles_built = true;

/* A pass of the lcore's loop starts in stage 0 at NOW. */
static inline void
mw_stage_begin(struct mw_stages *s, uint64_t now)
{
	s->mark = now;
	s->cur = 0;
	s->depth = 0;
}

/* The pass did work: its last cycles go to the stage it ends in. */
static inline void
mw_stage_end(struct mw_stages *s, uint64_t now)
{
	s->cycles[s->cur] += now - s->mark;
	s->mark = now;
}

static inline void
mw_stage_enter(struct mw_stages *s, unsigned int stage)
{
	uint64_t now = rte_rdtsc();

	s->cycles[s->cur] += now - s->mark;
	s->mark = now;
	if (s->depth < MW_STAGE_DEPTH)
		s->stack[s->depth] = s->cur;
	s->depth++;
	s->cur = (uint8_t)stage;
}

static inline void
mw_stage_leave(struct mw_stages *s)
{
	uint64_t now = rte_rdtsc();

	s->cycles[s->cur] += now - s->mark;
	s->mark = now;
	s->depth--;
	if (s->depth < MW_STAGE_DEPTH)
		s->cur = s->stack[s->depth];
}
#else
static const bool mw_stage_cycles_built = false;

/* macros, so that NOW (often rte_rdtsc()) is not even evaluated */
#define mw_stage_begin(s, now) ((void)(s))
#define mw_stage_end(s, now) ((void)(s))
#define mw_stage_enter(s, stage) ((void)(s))
#define mw_stage_leave(s) ((void)(s))
#endif

#endif
