/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Deterministic random numbers for meshwatch-gen.
 *
 * Every choice the generator makes comes from one xoshiro256** stream seeded
 * by splitmix64(--seed), so the same seed and config give byte-identical
 * captures. Nothing here may read the clock or depend on addresses.
 */
#ifndef GEN_RNG_H
#define GEN_RNG_H

#include <math.h>
#include <stdint.h>

struct rng {
	uint64_t s[4];
};

static inline uint64_t
rng_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline void
rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix(&seed);
}

static inline uint64_t
rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
rng_u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n); n == 0 returns 0. Lemire's multiply-shift, no modulo bias
 * worth caring about for n << 2^32. */
static inline uint32_t
rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform integer in [lo, hi]. */
static inline int64_t
rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)(rng_u64(r) % (uint64_t)(hi - lo + 1));
}

/* Uniform double in [0, 1). */
static inline double
rng_unit(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

static inline int
rng_chance(struct rng *r, double p)
{
	return p > 0 && rng_unit(r) < p;
}

static inline double
rng_exp(struct rng *r, double mean)
{
	return -mean * log(1.0 - rng_unit(r));
}

static inline double
rng_normal(struct rng *r)
{
	double u = rng_unit(r), v = rng_unit(r);

	return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

/* Log-normal with the given median and shape sigma. */
static inline double
rng_lognormal(struct rng *r, double median, double sigma)
{
	return median * exp(sigma * rng_normal(r));
}

/*
 * Zipf(s) over ranks 1..n by rejection-inversion (Hormann & Derflinger), O(1)
 * per draw and no table, so catalog sizes can be large.
 */
struct zipf {
	double s, hx0, hn, sq;
	uint32_t n;
};

static inline double
zipf_h(const struct zipf *z, double x)
{
	return z->s == 1.0 ? log(x) : (pow(x, 1.0 - z->s) - 1.0) / (1.0 - z->s);
}

static inline double
zipf_hinv(const struct zipf *z, double x)
{
	return z->s == 1.0 ? exp(x) : pow(1.0 + x * (1.0 - z->s), 1.0 / (1.0 - z->s));
}

static inline void
zipf_init(struct zipf *z, uint32_t n, double s)
{
	z->n = n ? n : 1;
	z->s = s;
	z->hx0 = zipf_h(z, 0.5) - 1.0;
	z->hn = zipf_h(z, z->n + 0.5);
	z->sq = 1.0 - zipf_hinv(z, zipf_h(z, 1.5) - pow(2.0, -s));
}

/* Rank in [1, n]. */
static inline uint32_t
zipf_draw(const struct zipf *z, struct rng *r)
{
	for (;;) {
		double u = z->hn + rng_unit(r) * (z->hx0 - z->hn);
		double x = zipf_hinv(z, u);
		double k = floor(x + 0.5);

		if (k < 1)
			k = 1;
		else if (k > z->n)
			k = z->n;
		if (k - x <= z->sq || u >= zipf_h(z, k + 0.5) - pow(k, -z->s))
			return (uint32_t)k;
	}
}

#endif /* GEN_RNG_H */
