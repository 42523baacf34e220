/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch-tablebench: what the object table and the endpoint baselines
 * cost a call before the trace model sees it (mw_objects_check, then
 * mw_endpoint_observe), in ns per call on one core. P principals call E
 * endpoints at random, each call naming one object: its own, or 1 in 16
 * times another principal's. One pass warms the tables; the second is
 * timed.
 *
 *   meshwatch-tablebench [P [E [N]]]	(20000 64 5000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "bench_clock.h"

int
main(int argc, char **argv)
{
	const uint64_t P = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000;
	const uint64_t E = argc > 2 ? strtoull(argv[2], NULL, 10) : 64;
	const long N = argc > 3 ? strtol(argv[3], NULL, 10) : 5000000;
	static char buf[MW_EVENT_SIZE];
	struct mw_event *ev = (struct mw_event *)buf;
	struct mw_endpoints *b = calloc(1, sizeof(*b));
	struct mw_objects *o = calloc(1, sizeof(*o));
	const char *t = "/users/{id}/documents";
	uint64_t x = 88172645463325252ull;
	double spent = 0.0, trespass = 0.0;

	if (P == 0 || E == 0 || N <= 0 || b == NULL || o == NULL) {
		fprintf(stderr, "usage: meshwatch-tablebench [P [E [N]]]\n");
		return 2;
	}
	memcpy(ev->data, t, strlen(t));
	ev->field[MW_FIELD_template].len = (uint16_t)strlen(t);
	ev->data_len = (uint16_t)strlen(t);
	ev->actor_kind = MW_ACTOR_jwt;
	ev->n_ids = 1;
	for (int pass = 0; pass < 2; pass++) {
		double t0 = bench_now();
		for (long i = 0; i < N; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;	/* xorshift64 */
			const uint64_t p = x % P;
			ev->actor = (p + 1) * 0x9e3779b97f4a7c15ull;
			ev->template_id = (uint32_t)((x >> 20) % E);
			ev->object_ids[0] = (x >> 40 & 15) ? p : (x >> 30) % P;
			struct mw_call_ctx ctx = { 0 };
			ctx.foreign = mw_objects_check(o, ev, NULL);
			mw_endpoint_observe(b, ev, &ctx);
			trespass += ctx.trespass;
		}
		spent = bench_now() - t0;
	}
	printf("tables: %llu principals, %llu endpoints: %.1f ns per call (mean trespass %.3f)\n",
			(unsigned long long)P, (unsigned long long)E, spent / (double)N * 1e9,
			trespass / (2.0 * (double)N));
	free(b), free(o);
	return 0;
}
