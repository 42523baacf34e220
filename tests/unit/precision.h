/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A lower precision (bf16) against the f32 reference, output by output:
 * how far the probabilities move, and how often the top class changes
 * (a change where f32 led the runner-up by 0.01 or more is not a near tie).
 */
#ifndef TEST_PRECISION_H
#define TEST_PRECISION_H

#include <math.h>
#include <stdint.h>

struct prec_cmp {
	double worst, sum;	/* largest and summed |p - p_ref| */
	uint64_t values, outputs, flips, clear;
};

static uint32_t
top_class(const float *v, uint32_t n)
{
	uint32_t best = 0;
	for (uint32_t k = 1; k < n; k++)
		if (v[k] > v[best])
			best = k;
	return best;
}

/* Adds one output of n classes; returns its largest move. */
static double
prec_cmp_add(struct prec_cmp *c, const float *got, const float *ref, uint32_t n)
{
	double most = 0;
	for (uint32_t k = 0; k < n; k++) {
		double d = fabs((double)got[k] - ref[k]);
		most = d > most ? d : most;
		c->sum += d;
	}
	c->worst = most > c->worst ? most : c->worst;
	c->values += n;
	c->outputs++;
	uint32_t top = top_class(ref, n);
	if (top_class(got, n) != top) {
		float next = 0;
		for (uint32_t k = 0; k < n; k++)
			if (k != top && ref[k] > next)
				next = ref[k];
		c->flips++;
		c->clear += ref[top] - next >= 0.01f;
	}
	return most;
}

static double
prec_cmp_mean(const struct prec_cmp *c)
{
	return c->values ? c->sum / (double)c->values : 0;
}

#endif
