/* rng.h: the fast pseudo-random generator every iftools program uses for
 * its own randomness: xoshiro256** (Blackman and Vigna, 2018), seeded
 * through splitmix64 so that any 64-bit seed, even 0, gives a good state.
 *
 * The sequence depends only on (seed, stream), never on the platform, so
 * a fixed seed gives the same numbers, and the same output, everywhere.
 * Different streams of one seed are independent sequences: use them for
 * separate concerns (one per tree, one per simulated device) so that
 * changing one does not shift the others. */
#ifndef IFTOOLS_RNG_H
#define IFTOOLS_RNG_H

#include <stdint.h>

/* Marsaglia's polar method draws normals in pairs: the second is kept. */
struct polar {
	double spare;
	int has_spare;
};

struct rng {
	uint64_t s[4];
	struct polar polar;
	uint64_t below_n, below_limit; /* rng_below's last range, kept */
};

void rng_seed(struct rng *r, uint64_t seed, uint64_t stream);
/* 64 uniformly random bits. */
uint64_t rng_next(struct rng *r);
/* A uniform double in [0, 1) with 53 random bits. */
double rng_uniform(struct rng *r);
/* A uniform integer in [0, n), without modulo bias; n > 0. */
uint64_t rng_below(struct rng *r, uint64_t n);
/* A standard normal N(0, 1) (Marsaglia's polar method). */
double rng_normal(struct rng *r);

/* A standard normal by the polar method from any source of uniforms in
 * [0, 1), caching the second value of each pair in p: numpy's legacy
 * gauss, and the generator above, both draw their normals this way. */
double polar_normal(struct polar *p, double (*uniform)(void *source),
                    void *source);

#endif
