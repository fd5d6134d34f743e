/* num_check: num_parse against strtod on random spellings.
 *
 *	num_check [COUNT [SEED]]
 *
 * Spellings of every shape num.h accepts (signs, integer and fraction
 * digits of 0 to 24, exponents) and some it does not; each that num_parse
 * reads must read as strtod reads it, to the bit, and the prefix reading
 * of it followed by more text must stop where it ends.  Prints the count
 * and exits 0, or prints the first disagreement and exits 1.  Run by
 * tests/num.bats, built with the project's num.c. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

static uint64_t state;

static unsigned
next(unsigned n)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return (unsigned)(state % n);
}

/* Digits, mostly of the lengths printed numbers have. */
static int
digits(char *p, unsigned max)
{
	unsigned n = next(4) ? 15 + next(5) : next(max + 1), i;

	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
		p[i] = (char)('0' + next(10));
	return (int)n;
}

int
main(int argc, char **argv)
{
	long count = argc > 1 ? atol(argv[1]) : 1000000, i, read = 0;
	char s[96];

	state = argc > 2 ? strtoull(argv[2], NULL, 10) : 88172645463325252u;
	if (state == 0)
		state = 1;
	for (i = 0; i < count; i++) {
		int n = 0, k;
		double v, w, pv;
		const char *stop;

		if (next(4) == 0)
			s[n++] = "+-"[next(2)];
		n += digits(s + n, 24);
		if (next(3)) {
			s[n++] = '.';
			n += digits(s + n, 24);
		}
		if (next(4) == 0) {
			s[n++] = "eE"[next(2)];
			if (next(2))
				s[n++] = "+-"[next(2)];
			for (k = 1 + (int)next(3); k > 0; k--)
				s[n++] = (char)('0' + next(10));
		}
		s[n] = '\0';
		if (num_parse(s, (size_t)n, &v) != NUM_OK)
			continue;
		read++;
		w = strtod(s, NULL);
		if (memcmp(&v, &w, sizeof v) != 0) {
			printf("'%s': num_parse %.17g, strtod %.17g\n", s, v, w);
			return 1;
		}
		memcpy(s + n, " 7\n", 4);
		if (num_parse_prefix(s, s + n + 3, &pv, &stop) != NUM_OK ||
		    stop != s + n || memcmp(&pv, &v, sizeof v) != 0) {
			s[n] = '\0';
			printf("'%s': the prefix reading differs\n", s);
			return 1;
		}
	}
	printf("%ld spellings, %ld read, all as strtod reads them\n", count,
	       read);
	return 0;
}
