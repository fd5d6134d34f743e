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

/* The second fast path, for mantissas of up to 19 digits (most readings
 * printed at full precision have 17): with a 64-bit long double mantissa,
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

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* Eight ASCII digits at once (Lemire's SWAR method): the number they spell,
 * or 0 with *ok cleared when they are not all digits. */
static uint64_t
eight_digits(const char *p, int *ok)
{
	uint64_t v;

	memcpy(&v, p, 8);
	*ok = ((v & UINT64_C(0xF0F0F0F0F0F0F0F0)) |
	       (((v + UINT64_C(0x0606060606060606)) &
	         UINT64_C(0xF0F0F0F0F0F0F0F0)) >> 4)) ==
	      UINT64_C(0x3333333333333333);
	v -= UINT64_C(0x3030303030303030);
	v = v * 10 + (v >> 8);
	return (((v & UINT64_C(0x000000FF000000FF)) *
	         (100 + (UINT64_C(1000000) << 32))) +
	        (((v >> 16) & UINT64_C(0x000000FF000000FF)) *
	         (1 + (UINT64_C(10000) << 32)))) >> 32;
}
#define HAVE_EIGHT_DIGITS 1
#endif

/* Append the digits at *p to *mantissa (modulo 2^64: the caller knows
 * from the count whether it overflowed); returns how many there were. */
static int
scan_digits(const char **pp, const char *end, uint64_t *mantissa)
{
	const char *p = *pp, *start = p;
	uint64_t m = *mantissa;

#ifdef HAVE_EIGHT_DIGITS
	while (end - p >= 8) {
		int ok;
		uint64_t v = eight_digits(p, &ok);

		if (!ok)
			break;
		m = m * 100000000 + v;
		p += 8;
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
