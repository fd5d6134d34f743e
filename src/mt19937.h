/* mt19937.h: the Mersenne Twister exactly as numpy's legacy generator
 * (np.random.seed, np.random.normal) drives it, so that sensorgen
 * --classic reproduces the original project's data bit for bit.
 *
 * Only that compatibility is its job: everything else uses rng.h, which
 * is faster and has no 2.5 KiB state. */
#ifndef IFTOOLS_MT19937_H
#define IFTOOLS_MT19937_H

#include <stdint.h>

#include "rng.h"

#define MT19937_N 624

struct mt19937 {
	uint32_t key[MT19937_N];
	int pos;
	struct polar polar; /* numpy's gauss cache */
};

/* np.random.seed(seed) for an integer seed: Matsumoto and Nishimura's
 * init_genrand, with the gauss cache emptied. */
void mt19937_seed(struct mt19937 *mt, uint32_t seed);
uint32_t mt19937_next32(struct mt19937 *mt);
/* A double in [0, 1) from two outputs, 53 bits (numpy's legacy_double). */
double mt19937_double(struct mt19937 *mt);
/* numpy's legacy_gauss: the polar method, caching its second value. */
double mt19937_gauss(struct mt19937 *mt);
/* np.random.normal(loc, scale), one value. */
double mt19937_normal(struct mt19937 *mt, double loc, double scale);

#endif
