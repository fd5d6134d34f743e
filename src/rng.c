/* rng.c: xoshiro256** with splitmix64 seeding; see rng.h.
 * Reference: https://prng.di.unimi.it/xoshiro256starstar.c */
#include <math.h>

#include "rng.h"

/* The same numbers on every target: never fuse a*b+c (see mt19937.c). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	/* The stream is hashed before it is mixed in, so streams 0, 1, 2 of
	 * one seed start far apart in splitmix64's sequence rather than one
	 * step from each other. */
	uint64_t t = stream;
	uint64_t x = seed ^ splitmix64(&t);
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
	r->polar.spare = 0;
	r->polar.has_spare = 0;
	r->below_n = 0;
}

uint64_t
rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
rng_uniform(struct rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

uint64_t
rng_below(struct rng *r, uint64_t n)
{
	/* Rejection on the top of the range: unbiased, and for the small n
	 * used here it almost never loops.  The limit of the last n is kept:
	 * draws come in runs of one range (a sample's rows), and it costs a
	 * division. */
	uint64_t x;

	if (n != r->below_n) {
		r->below_n = n;
		r->below_limit = UINT64_MAX - UINT64_MAX % n;
	}
	do
		x = rng_next(r);
	while (x >= r->below_limit);
	return x % n;
}

double
polar_normal(struct polar *p, double (*uniform)(void *source), void *source)
{
	double x1, x2, r2, f;

	if (p->has_spare) {
		p->has_spare = 0;
		return p->spare;
	}
	do {
		x1 = 2.0 * uniform(source) - 1.0;
		x2 = 2.0 * uniform(source) - 1.0;
		r2 = x1 * x1 + x2 * x2;
	} while (r2 >= 1.0 || r2 == 0.0);
	f = sqrt(-2.0 * log(r2) / r2);
	p->spare = f * x1;
	p->has_spare = 1;
	return f * x2;
}

static double
uniform_of(void *r)
{
	return rng_uniform(r);
}

double
rng_normal(struct rng *r)
{
	return polar_normal(&r->polar, uniform_of, r);
}
