/* num.h: numbers as iftools reads and writes them, always in the C locale.
 *
 * Reading is strict: an optional sign, decimal digits with at most one
 * point, an optional exponent; nothing else (no "inf", no hex, no spaces).
 * A missing value is an empty field, NA, N/A or NaN in any case. */
#ifndef IFTOOLS_NUM_H
#define IFTOOLS_NUM_H

#include <stddef.h>

enum num_status {
	NUM_OK,      /* a finite number */
	NUM_MISSING, /* one of the missing-value spellings */
	NUM_INVALID, /* not a number */
	NUM_RANGE    /* a number too large for a double */
};

/* Parse s[0..n) (not necessarily NUL-terminated) into *out. */
enum num_status num_parse(const char *s, size_t n, double *out);
/* The longest number at s[0..end) into *out, and *stop where it ends:
 * for a reader that knows what must follow (num_parse(s, *stop - s) would
 * give the same).  NUM_INVALID, *stop NULL, when there is none; the
 * missing-value spellings are not numbers here. */
enum num_status num_parse_prefix(const char *s, const char *end,
                                 double *out, const char **stop);

/* What a failed parse means, for error messages: "invalid number",
 * "number out of range" or "missing value". */
const char *num_status_text(enum num_status status);

/* The shortest decimal that reads back as exactly x, in the form Python's
 * repr() and pandas use ("50.0", "1e-05", "52.483570765056164").  buf needs
 * NUM_SHORTEST_MAX bytes; returns the length written. */
#define NUM_SHORTEST_MAX 32
size_t num_format_shortest(char *buf, double x);

/* x in [0, 1] with exactly six decimals ("0.612345"), without printf: the
 * per-line score of ifscore.  buf needs 9 bytes; returns the length. */
size_t num_format_score(char *buf, double x);

#endif
