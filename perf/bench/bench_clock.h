/* SPDX-License-Identifier: BSD-3-Clause */
/* The benches' clock: monotonic seconds. */
#ifndef MW_BENCH_CLOCK_H
#define MW_BENCH_CLOCK_H

#include <time.h>

static inline double
bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

#endif
