/* mt19937.c: numpy-compatible MT19937; see mt19937.h.  The algorithm is
 * Matsumoto and Nishimura's mt19937ar.c; the seeding, the 53-bit double
 * and the gauss cache follow numpy's randomkit/legacy distributions. */
#include <math.h>

#include "mt19937.h"

/* Bit-for-bit results need a*b+c rounded twice, never fused (gcc does not
 * fuse in ISO C mode; clang would on targets with FMA). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define MT_M 397
#define MATRIX_A 0x9908b0dfU
#define UPPER_MASK 0x80000000U
#define LOWER_MASK 0x7fffffffU

void
mt19937_seed(struct mt19937 *mt, uint32_t seed)
{
	int i;

	mt->key[0] = seed;
	for (i = 1; i < MT19937_N; i++) {
		uint32_t prev = mt->key[i - 1];

		mt->key[i] = 1812433253U * (prev ^ (prev >> 30)) + (uint32_t)i;
	}
	mt->pos = MT19937_N;
	mt->polar.spare = 0;
	mt->polar.has_spare = 0;
}

static uint32_t
twist(uint32_t a, uint32_t b, uint32_t m)
{
	uint32_t y = (a & UPPER_MASK) | (b & LOWER_MASK);

	return m ^ (y >> 1) ^ (y & 1 ? MATRIX_A : 0);
}

static void
regenerate(struct mt19937 *mt)
{
	uint32_t *k = mt->key;
	int i;

	for (i = 0; i < MT19937_N - MT_M; i++)
		k[i] = twist(k[i], k[i + 1], k[i + MT_M]);
	for (; i < MT19937_N - 1; i++)
		k[i] = twist(k[i], k[i + 1], k[i + MT_M - MT19937_N]);
	k[MT19937_N - 1] = twist(k[MT19937_N - 1], k[0], k[MT_M - 1]);
	mt->pos = 0;
}

uint32_t
mt19937_next32(struct mt19937 *mt)
{
	uint32_t y;

	if (mt->pos == MT19937_N)
		regenerate(mt);
	y = mt->key[mt->pos++];
	y ^= y >> 11;
	y ^= (y << 7) & 0x9d2c5680U;
	y ^= (y << 15) & 0xefc60000U;
	y ^= y >> 18;
	return y;
}

double
mt19937_double(struct mt19937 *mt)
{
	uint32_t a = mt19937_next32(mt) >> 5, b = mt19937_next32(mt) >> 6;

	return (a * 67108864.0 + b) / 9007199254740992.0;
}

static double
uniform_of(void *mt)
{
	return mt19937_double(mt);
}

double
mt19937_gauss(struct mt19937 *mt)
{
	return polar_normal(&mt->polar, uniform_of, mt);
}

double
mt19937_normal(struct mt19937 *mt, double loc, double scale)
{
	return loc + scale * mt19937_gauss(mt);
}
