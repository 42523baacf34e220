/* SPDX-License-Identifier: BSD-3-Clause */
/* The unit tests' one assertion: counts, reports, never stops. */
#ifndef TEST_CHECK_H
#define TEST_CHECK_H

#include <stdio.h>
#include <rte_eal.h>

static int failures, checks;

#define CHECK(cond, ...) do { \
		checks++; \
		if (!(cond)) { \
			failures++; \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
		} \
	} while (0)

/* EAL for a unit test: no hugepages, no devices, one lcore, quiet; 0 or
 * -1 with a message. */
static inline int
test_eal_init(char *argv0, const char *mem_mb)
{
	char *eal[] = { argv0, "--no-huge", "--no-shconf", "-m", (char *)mem_mb, "--no-pci",
		"-l", "0", "--log-level", "lib.eal:error", "--log-level", "user1:warning", NULL };

	if (rte_eal_init((int)(sizeof(eal) / sizeof(*eal)) - 1, eal) < 0) {
		fprintf(stderr, "EAL init failed\n");
		return -1;
	}
	return 0;
}

#endif
