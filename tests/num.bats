#!/usr/bin/env bats
# Numbers as the tools read them (num.h): every spelling num_parse reads
# reads as strtod reads it, to the bit, through each of its paths (the
# exact small-integer path, Eisel and Lemire's, the long double one and
# strtod itself).

load test_helper

@test "num_parse reads two million random spellings as strtod does" {
	command -v "${CC:-cc}" >/dev/null || skip "no C compiler"
	"${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -O2 \
	    -I"$IFTOOLS_ROOT/src" -o num_check \
	    "$IFTOOLS_ROOT/tests/unit/num_check.c" "$IFTOOLS_ROOT/src/num.c" \
	    -lm -lpthread
	run ./num_check 2000000 7
	echo "$output"
	[ "$status" -eq 0 ]
	[[ $output == "2000000 spellings, "*" read, all as strtod reads them" ]]
}

@test "num_parse: halfway cases round to even, powers of ten at the ends of the fast paths" {
	command -v "${CC:-cc}" >/dev/null || skip "no C compiler"
	cat >edge.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "num.h"
int
main(void)
{
	static const char *const s[] = {
		"9007199254740993", "9007199254740995", "9007199254740992.5",
		"18014398509481986", "18014398509481990", "1e22", "1e23",
		"1e-22", "1e-27", "1e27", "1e28", "1e-28", "0.1", "0.3",
		"9999999999999999999", "10000000000000000000",
		"2.2250738585072014e-308", "4.9e-324", "1.7976931348623157e308",
		"123456789012345678e-27", "52.483570765056164", "-0.0"
	};
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof s / sizeof s[0]; i++) {
		double v, w = strtod(s[i], NULL);

		if (num_parse(s[i], strlen(s[i]), &v) != NUM_OK ||
		    memcmp(&v, &w, sizeof v) != 0) {
			printf("%s: %.17g, strtod %.17g\n", s[i], v, w);
			bad = 1;
		}
	}
	return bad;
}
C
	"${CC:-cc}" -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -I"$IFTOOLS_ROOT/src" \
	    -o edge edge.c "$IFTOOLS_ROOT/src/num.c" -lm -lpthread
	run ./edge
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
