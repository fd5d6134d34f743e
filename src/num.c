#include "num.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Powers of ten that a double holds exactly (10^22 is the largest). */
static const double exact_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int
equals_nocase(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (word[i] == '\0' || lower((unsigned char)s[i]) != word[i])
			return 0;
	return word[n] == '\0';
}

static int
is_missing(const char *s, size_t n)
{
	if (n == 0)
		return 1;
	if (s[0] != 'n' && s[0] != 'N')
		return 0;
	return equals_nocase(s, n, "na") || equals_nocase(s, n, "n/a") ||
	       equals_nocase(s, n, "nan");
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The slow, always-exact path: strtod on a NUL-terminated copy.  The
 * syntax has been checked already, so strtod sees only decimal forms. */
static enum num_status
parse_with_strtod(const char *s, size_t n, double *out)
{
	char small[64], *copy = n < sizeof small ? small : malloc(n + 1);
	enum num_status status = NUM_OK;
	double v;

	if (copy == NULL)
		return NUM_RANGE;
	memcpy(copy, s, n);
	copy[n] = '\0';
	errno = 0;
	v = strtod(copy, NULL);
	if (errno == ERANGE && fabs(v) == HUGE_VAL)
		status = NUM_RANGE;
	if (copy != small)
		free(copy);
	*out = v;
	return status;
}

#if LDBL_MANT_DIG >= 64
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static int extended_exact;

/* Whether long double arithmetic really carries 64 bits at run time: an
 * x87 set to double precision, or valgrind (which computes it with 53),
 * would misread numbers on the path below. */
static void
probe_extended(void)
{
	volatile long double big = 9223372036854775808.0L; /* 2^63 */
	volatile long double sum = big + 1.0L;

	extended_exact = sum - big == 1.0L;
}
#endif

#if LDBL_MANT_DIG >= 64
/* The 64 bits of a long double's significand, highest bit set for a
 * normal number.  x86's 80-bit format stores them as the first 8 bytes;
 * elsewhere frexpl and ldexpl find them, more slowly. */
static uint64_t
significand64(long double v)
{
#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
	uint64_t bits;

	memcpy(&bits, &v, sizeof bits);
	return bits;
#else
	int e2;

	return (uint64_t)ldexpl(frexpl(v, &e2), 64);
#endif
}
#endif

#if defined(__SIZEOF_INT128__) && defined(__GNUC__)
__extension__ typedef unsigned __int128 u128;
#define HAVE_EISEL_LEMIRE 1

/* 5^q for q in [-27, 27], as 128 bits with the highest set: 5^q shifted,
 * and for q < 0, floor(2^(z + 127) / 5^-q) + 1 where 2^z is the least
 * power of two not below 5^-q; and floor(q log2(10)) + 63, the binary
 * exponent of 10^q's top bit in a 64-bit product. */
static const struct pow5 {
	uint64_t hi, lo;
	int e2;
} pow5_128[] = {
	{ UINT64_C(0x9e74d1b791e07e48), UINT64_C(0x775ea264cf55347e), -27 },
	{ UINT64_C(0xc612062576589dda), UINT64_C(0x95364afe032a819e), -24 },
	{ UINT64_C(0xf79687aed3eec551), UINT64_C(0x3a83ddbd83f52205), -21 },
	{ UINT64_C(0x9abe14cd44753b52), UINT64_C(0xc4926a9672793543), -17 },
	{ UINT64_C(0xc16d9a0095928a27), UINT64_C(0x75b7053c0f178294), -14 },
	{ UINT64_C(0xf1c90080baf72cb1), UINT64_C(0x5324c68b12dd6339), -11 },
	{ UINT64_C(0x971da05074da7bee), UINT64_C(0xd3f6fc16ebca5e04), -7 },
	{ UINT64_C(0xbce5086492111aea), UINT64_C(0x88f4bb1ca6bcf585), -4 },
	{ UINT64_C(0xec1e4a7db69561a5), UINT64_C(0x2b31e9e3d06c32e6), -1 },
	{ UINT64_C(0x9392ee8e921d5d07), UINT64_C(0x3aff322e62439fd0), 3 },
	{ UINT64_C(0xb877aa3236a4b449), UINT64_C(0x09befeb9fad487c3), 6 },
	{ UINT64_C(0xe69594bec44de15b), UINT64_C(0x4c2ebe687989a9b4), 9 },
	{ UINT64_C(0x901d7cf73ab0acd9), UINT64_C(0x0f9d37014bf60a11), 13 },
	{ UINT64_C(0xb424dc35095cd80f), UINT64_C(0x538484c19ef38c95), 16 },
	{ UINT64_C(0xe12e13424bb40e13), UINT64_C(0x2865a5f206b06fba), 19 },
	{ UINT64_C(0x8cbccc096f5088cb), UINT64_C(0xf93f87b7442e45d4), 23 },
	{ UINT64_C(0xafebff0bcb24aafe), UINT64_C(0xf78f69a51539d749), 26 },
	{ UINT64_C(0xdbe6fecebdedd5be), UINT64_C(0xb573440e5a884d1c), 29 },
	{ UINT64_C(0x89705f4136b4a597), UINT64_C(0x31680a88f8953031), 33 },
	{ UINT64_C(0xabcc77118461cefc), UINT64_C(0xfdc20d2b36ba7c3e), 36 },
	{ UINT64_C(0xd6bf94d5e57a42bc), UINT64_C(0x3d32907604691b4d), 39 },
	{ UINT64_C(0x8637bd05af6c69b5), UINT64_C(0xa63f9a49c2c1b110), 43 },
	{ UINT64_C(0xa7c5ac471b478423), UINT64_C(0x0fcf80dc33721d54), 46 },
	{ UINT64_C(0xd1b71758e219652b), UINT64_C(0xd3c36113404ea4a9), 49 },
	{ UINT64_C(0x83126e978d4fdf3b), UINT64_C(0x645a1cac083126ea), 53 },
	{ UINT64_C(0xa3d70a3d70a3d70a), UINT64_C(0x3d70a3d70a3d70a4), 56 },
	{ UINT64_C(0xcccccccccccccccc), UINT64_C(0xcccccccccccccccd), 59 },
	{ UINT64_C(0x8000000000000000), UINT64_C(0x0000000000000000), 63 },
	{ UINT64_C(0xa000000000000000), UINT64_C(0x0000000000000000), 66 },
	{ UINT64_C(0xc800000000000000), UINT64_C(0x0000000000000000), 69 },
	{ UINT64_C(0xfa00000000000000), UINT64_C(0x0000000000000000), 72 },
	{ UINT64_C(0x9c40000000000000), UINT64_C(0x0000000000000000), 76 },
	{ UINT64_C(0xc350000000000000), UINT64_C(0x0000000000000000), 79 },
	{ UINT64_C(0xf424000000000000), UINT64_C(0x0000000000000000), 82 },
	{ UINT64_C(0x9896800000000000), UINT64_C(0x0000000000000000), 86 },
	{ UINT64_C(0xbebc200000000000), UINT64_C(0x0000000000000000), 89 },
	{ UINT64_C(0xee6b280000000000), UINT64_C(0x0000000000000000), 92 },
	{ UINT64_C(0x9502f90000000000), UINT64_C(0x0000000000000000), 96 },
	{ UINT64_C(0xba43b74000000000), UINT64_C(0x0000000000000000), 99 },
	{ UINT64_C(0xe8d4a51000000000), UINT64_C(0x0000000000000000), 102 },
	{ UINT64_C(0x9184e72a00000000), UINT64_C(0x0000000000000000), 106 },
	{ UINT64_C(0xb5e620f480000000), UINT64_C(0x0000000000000000), 109 },
	{ UINT64_C(0xe35fa931a0000000), UINT64_C(0x0000000000000000), 112 },
	{ UINT64_C(0x8e1bc9bf04000000), UINT64_C(0x0000000000000000), 116 },
	{ UINT64_C(0xb1a2bc2ec5000000), UINT64_C(0x0000000000000000), 119 },
	{ UINT64_C(0xde0b6b3a76400000), UINT64_C(0x0000000000000000), 122 },
	{ UINT64_C(0x8ac7230489e80000), UINT64_C(0x0000000000000000), 126 },
	{ UINT64_C(0xad78ebc5ac620000), UINT64_C(0x0000000000000000), 129 },
	{ UINT64_C(0xd8d726b7177a8000), UINT64_C(0x0000000000000000), 132 },
	{ UINT64_C(0x878678326eac9000), UINT64_C(0x0000000000000000), 136 },
	{ UINT64_C(0xa968163f0a57b400), UINT64_C(0x0000000000000000), 139 },
	{ UINT64_C(0xd3c21bcecceda100), UINT64_C(0x0000000000000000), 142 },
	{ UINT64_C(0x84595161401484a0), UINT64_C(0x0000000000000000), 146 },
	{ UINT64_C(0xa56fa5b99019a5c8), UINT64_C(0x0000000000000000), 149 },
	{ UINT64_C(0xcecb8f27f4200f3a), UINT64_C(0x0000000000000000), 152 },
};

/* The second fast path, for mantissas of up to 19 digits (most numbers
 * printed at full precision have 16 or 17) and exponents of -27 to 27:
 * Eisel and Lemire's method (Lemire, "Number Parsing at a Gigabyte per
 * Second", 2021).  The mantissa, its top bit set, times 5^q's 128 bits
 * gives the double's 53 bits and the rounding; 128 bits always suffice
 * for a double (Mushtak and Lemire, 2023).  0 outside that range. */
static int
parse_eisel_lemire(uint64_t w, int q, double *out)
{
	const struct pow5 *p;
	u128 product;
	uint64_t hi, lo, mantissa, bits;
	int lz, upper, shift, e2;

	if (q < -27 || q > 27 || w == 0)
		return 0;
	p = &pow5_128[q + 27];
	lz = __builtin_clzll(w);
	w <<= lz;
	product = (u128)w * p->hi;
	hi = (uint64_t)(product >> 64);
	lo = (uint64_t)product;
	if ((hi & 0x1FF) == 0x1FF) { /* the low bits may carry into ours */
		uint64_t more = (uint64_t)(((u128)w * p->lo) >> 64);

		lo += more;
		if (lo < more)
			hi++;
	}
	upper = (int)(hi >> 63);
	shift = upper + 9;
	mantissa = hi >> shift;
	e2 = p->e2 + upper - lz + 1023;
	/* Exactly halfway (only where 10^q is near enough to exact): round
	 * to even, not up. */
	if (lo <= 1 && q >= -4 && q <= 23 && (mantissa & 3) == 1 &&
	    mantissa << shift == hi)
		mantissa &= ~UINT64_C(1);
	mantissa += mantissa & 1;
	mantissa >>= 1;
	if (mantissa >= UINT64_C(2) << 52) {
		mantissa = UINT64_C(1) << 52;
		e2++;
	}
	if (e2 <= 0 || e2 >= 0x7FF)
		return 0;
	bits = (mantissa & ~(UINT64_C(1) << 52)) | (uint64_t)e2 << 52;
	memcpy(out, &bits, sizeof bits);
	return 1;
}
#endif

/* The third path, for mantissas of up to 19 digits where the second does
 * not apply (or is not built): with a 64-bit long double mantissa,
 * m and 10^|e| (|e| <= 27) are exact, and m * 10^e is rounded once to 64
 * bits.  Rounding that to a double is correct unless the 64-bit result is
 * exactly halfway between two doubles, the one case of double rounding;
 * there, and where long double is no wider than double, 0 sends the
 * number to strtod. */
static int
parse_extended(uint64_t mantissa, int exp10, double *out)
{
#if LDBL_MANT_DIG >= 64
	static const long double pow10l[] = {
		1e0L, 1e1L, 1e2L, 1e3L, 1e4L, 1e5L, 1e6L, 1e7L, 1e8L, 1e9L,
		1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L,
		1e19L, 1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L
	};
	long double v;
	uint64_t bits;

	pthread_once(&probe_once, probe_extended);
	if (!extended_exact || exp10 < -27 || exp10 > 27 || mantissa == 0)
		return 0;
	v = (long double)mantissa;
	v = exp10 < 0 ? v / pow10l[-exp10] : v * pow10l[exp10];
	/* The 64 mantissa bits; the low 11 are what a double drops. */
	bits = significand64(v);
	if ((bits & 0x7ff) == 0x400)
		return 0;
	*out = (double)v;
	return 1;
#else
	(void)mantissa;
	(void)exp10;
	(void)out;
	return 0;
#endif
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    defined(__GNUC__)
/* The number eight ASCII digits spell, the first the most significant
 * (Lemire's SWAR method). */
static uint64_t
eight_digits(uint64_t v)
{
	v -= UINT64_C(0x3030303030303030);
	v = v * 10 + (v >> 8);
	return (((v & UINT64_C(0x000000FF000000FF)) *
	         (100 + (UINT64_C(1000000) << 32))) +
	        (((v >> 16) & UINT64_C(0x000000FF000000FF)) *
	         (1 + (UINT64_C(10000) << 32)))) >> 32;
}

/* The high bit of every byte of v that is not an ASCII digit.  Each
 * byte's sums stay within the byte (its low 7 bits plus at most 0x50),
 * so no carry crosses into the next. */
static uint64_t
non_digits(uint64_t v)
{
	const uint64_t low7 = UINT64_C(0x7F7F7F7F7F7F7F7F);
	uint64_t a = v & low7;
	uint64_t at_least_0 = a + UINT64_C(0x5050505050505050);
	uint64_t above_9 = a + UINT64_C(0x4646464646464646);

	return (~at_least_0 | above_9 | v) & UINT64_C(0x8080808080808080);
}

static const uint64_t pow10_u64[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
};

#define HAVE_EIGHT_DIGITS 1
#endif

/* Append the digits at *p to *mantissa (modulo 2^64: the caller knows
 * from the count whether it overflowed); returns how many there were.
 * Eight bytes at a time where the platform allows: the digits among
 * them, however many lead, are converted at once. */
static int
scan_digits(const char **pp, const char *end, uint64_t *mantissa)
{
	const char *p = *pp, *start = p;
	uint64_t m = *mantissa;

#ifdef HAVE_EIGHT_DIGITS
	while (end - p >= 8) {
		uint64_t v, stop;
		int k;

		memcpy(&v, p, 8);
		stop = non_digits(v);
		if (stop == 0) {
			m = m * 100000000 + eight_digits(v);
			p += 8;
			continue;
		}
		k = __builtin_ctzll(stop) / 8; /* the digits before it */
		if (k > 0) {
			/* Shifted to the top, with '0's below them. */
			v = (v << (64 - 8 * k)) |
			    (UINT64_C(0x3030303030303030) >> (8 * k));
			m = m * pow10_u64[k] + eight_digits(v);
			p += k;
		}
		/* At a non-digit: done, with no byte left to look at. */
		*pp = p;
		*mantissa = m;
		return (int)(p - start);
	}
#endif
	for (; p < end && is_digit(*p); p++)
		m = m * 10 + (uint64_t)(*p - '0');
	*pp = p;
	*mantissa = m;
	return (int)(p - start);
}

/* A decimal's parts, as scan_number finds them. */
struct decimal {
	uint64_t mantissa; /* its digits (modulo 2^64 when not exact) */
	int exp10, exact, negative;
};

/* The longest number at s[0..end) in the grammar of num.h (without the
 * missing-value spellings): where it stops, or NULL when there is none
 * (no digits, or an exponent without digits). */
static const char *
scan_number(const char *s, const char *end, struct decimal *d)
{
	const char *p = s;
	int digits, fraction = 0;

	d->mantissa = 0;
	d->exp10 = 0;
	d->negative = 0;
	if (p < end && (*p == '+' || *p == '-'))
		d->negative = *p++ == '-';
	digits = scan_digits(&p, end, &d->mantissa);
	if (p < end && *p == '.') {
		p++;
		fraction = scan_digits(&p, end, &d->mantissa);
		d->exp10 = -fraction;
	}
	if (digits + fraction == 0)
		return NULL;
	/* Up to 19 digits, leading zeros included, fit in 64 bits. */
	d->exact = digits + fraction <= 19;
	if (p < end && (*p == 'e' || *p == 'E')) {
		int e = 0, eneg = 0;

		p++;
		if (p < end && (*p == '+' || *p == '-'))
			eneg = *p++ == '-';
		if (p == end || !is_digit(*p))
			return NULL;
		for (; p < end && is_digit(*p); p++)
			if (e < 100000)
				e = e * 10 + (*p - '0');
		d->exp10 += eneg ? -e : e;
	}
	return p;
}

/* The double nearest the decimal d, spelled s[0..n). */
static enum num_status
convert(const struct decimal *d, const char *s, size_t n, double *out)
{
	/* Clinger's fast path: an exact mantissa times an exact power of ten
	 * is one correctly rounded operation. */
	if (d->exact && d->mantissa <= (UINT64_C(1) << 53) &&
	    d->exp10 >= -22 && d->exp10 <= 22) {
		double v = (double)d->mantissa;

		v = d->exp10 < 0 ? v / exact_pow10[-d->exp10] :
		                   v * exact_pow10[d->exp10];
		*out = d->negative ? -v : v;
		return NUM_OK;
	}
#ifdef HAVE_EISEL_LEMIRE
	if (d->exact && parse_eisel_lemire(d->mantissa, d->exp10, out)) {
		if (d->negative)
			*out = -*out;
		return NUM_OK;
	}
#endif
	if (d->exact && parse_extended(d->mantissa, d->exp10, out)) {
		if (d->negative)
			*out = -*out;
		return NUM_OK;
	}
	return parse_with_strtod(s, n, out);
}

enum num_status
num_parse(const char *s, size_t n, double *out)
{
	struct decimal d;

	if (is_missing(s, n))
		return NUM_MISSING;
	if (scan_number(s, s + n, &d) != s + n)
		return NUM_INVALID;
	return convert(&d, s, n, out);
}

enum num_status
num_parse_prefix(const char *s, const char *end, double *out,
                 const char **stop)
{
	struct decimal d;

	*stop = scan_number(s, end, &d);
	if (*stop == NULL)
		return NUM_INVALID;
	return convert(&d, s, (size_t)(*stop - s), out);
}

const char *
num_status_text(enum num_status status)
{
	switch (status) {
	case NUM_OK:
		return "ok";
	case NUM_MISSING:
		return "missing value";
	case NUM_RANGE:
		return "number out of range";
	case NUM_INVALID:
		break;
	}
	return "invalid number";
}

/* Whether the decimal d[0..n) x 10^(exp10 - n + 1) reads back as x. */
static int
reads_back(const char *d, int n, int exp10, double x)
{
	char text[40];
	double y;
	int len = snprintf(text, sizeof text, "%.*se%d", n, d, exp10 - n + 1);

	return num_parse(text, (size_t)len, &y) == NUM_OK && y == x;
}

/* The shortest digits that read back as x (> 0, finite), rounded to
 * nearest, and their decimal exponent.  x is printed once with 17 digits;
 * a shorter candidate is that string rounded once, which is x correctly
 * rounded unless the dropped digits are exactly 5000...: then printf
 * rounds x itself.  Fewer digits read back only if more do, so the search
 * stops at the first failure. */
static int
shortest_digits(double x, char *digits, int *exp10)
{
	char sci[40], full[17], best[20], cand[20];
	int n, e, e17, best_n, i;

	snprintf(sci, sizeof sci, "%.16e", x);
	full[0] = sci[0];
	memcpy(full + 1, sci + 2, 16);
	memcpy(best, full, 17);
	best_n = 17;
	e = e17 = atoi(sci + 19);
	for (n = 16; n >= 1; n--) {
		int ce = e17, tie = full[n] == '5';

		for (i = n + 1; i < 17 && tie; i++)
			tie = full[i] == '0';
		if (tie) {
			snprintf(sci, sizeof sci, "%.*e", n - 1, x);
			cand[0] = sci[0];
			memcpy(cand + 1, sci + 2, (size_t)n - 1);
			ce = atoi(strchr(sci, 'e') + 1);
		} else {
			memcpy(cand, full, (size_t)n);
			if (full[n] >= '5') {
				for (i = n - 1; i >= 0 && cand[i] == '9'; i--)
					cand[i] = '0';
				if (i >= 0) {
					cand[i]++;
				} else {
					cand[0] = '1';
					ce++;
				}
			}
		}
		if (!reads_back(cand, n, ce, x))
			break;
		memcpy(best, cand, (size_t)n);
		best_n = n;
		e = ce;
	}
	while (best_n > 1 && best[best_n - 1] == '0')
		best_n--;
	memcpy(digits, best, (size_t)best_n);
	*exp10 = e;
	return best_n;
}

size_t
num_format_shortest(char *buf, double x)
{
	char digits[20];
	int exp10, ndigits, i;
	char *p = buf;

	if (isnan(x))
		return (size_t)sprintf(buf, "nan");
	if (isinf(x))
		return (size_t)sprintf(buf, x < 0 ? "-inf" : "inf");
	if (signbit(x))
		*p++ = '-';
	x = fabs(x);
	if (x == 0) {
		strcpy(p, "0.0");
		return (size_t)(p - buf) + 3;
	}
	ndigits = shortest_digits(x, digits, &exp10);
	while (ndigits > 1 && digits[ndigits - 1] == '0')
		ndigits--;

	/* Python's repr: positional from 1e-4 up to 1e16, else scientific. */
	if (exp10 >= -4 && exp10 < 16) {
		if (exp10 < 0) {
			*p++ = '0';
			*p++ = '.';
			for (i = -1; i > exp10; i--)
				*p++ = '0';
			for (i = 0; i < ndigits; i++)
				*p++ = digits[i];
		} else {
			for (i = 0; i <= exp10; i++)
				*p++ = i < ndigits ? digits[i] : '0';
			*p++ = '.';
			if (ndigits > exp10 + 1)
				for (i = exp10 + 1; i < ndigits; i++)
					*p++ = digits[i];
			else
				*p++ = '0';
		}
		*p = '\0';
		return (size_t)(p - buf);
	}
	*p++ = digits[0];
	if (ndigits > 1) {
		*p++ = '.';
		for (i = 1; i < ndigits; i++)
			*p++ = digits[i];
	}
	p += sprintf(p, "e%c%02d", exp10 < 0 ? '-' : '+', abs(exp10));
	return (size_t)(p - buf);
}

size_t
num_format_score(char *buf, double x)
{
	uint32_t micro, i;

	if (!(x > 0))
		x = 0;
	micro = x >= 1 ? 1000000 : (uint32_t)(x * 1e6 + 0.5);
	buf[0] = micro >= 1000000 ? '1' : '0';
	buf[1] = '.';
	if (micro >= 1000000)
		micro = 0;
	for (i = 7; i >= 2; i--) {
		buf[i] = (char)('0' + micro % 10);
		micro /= 10;
	}
	buf[8] = '\0';
	return 8;
}
