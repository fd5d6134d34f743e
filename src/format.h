/* format.h: ifscore's output step.  A row is written as it came, then the
 * columns ifscore adds (score, status, and cause with --explain), as TSV
 * or as one JSON object a line.
 *
 * Re-scoring: an input column named like an added one, or score, status
 * or cause (the output of an earlier run), is left out, and the fresh
 * values are appended at the end, so scoring a scored file gives what
 * scoring the original would.
 *
 * JSON types are decided per column, once: a model feature is a number
 * (null when missing, a string when it is not a number: a bad row), every
 * other column a string exactly as written. */
#ifndef IFTOOLS_FORMAT_H
#define IFTOOLS_FORMAT_H

#include <stddef.h>

#include "out.h"
#include "tsv.h"

enum format_kind { FORMAT_TSV, FORMAT_JSON };

struct format {
	enum format_kind kind;
	char delim;
	const struct tsv *t;       /* the column names */
	unsigned char *column;     /* per input column: COLUMN_* (format.c) */
	size_t nkept;              /* input columns written */
	int replaces;              /* some input column is left out */
	const char *const *added;  /* the names of the added columns */
	size_t nadded;
};

/* What ifscore adds to a row.  score_len 0: no score (a bad row). */
struct format_values {
	const double *context;     /* --show-context: the first ncontext */
	size_t ncontext;           /* added columns, NaN written as NA; */
	                           /* NULL for a bad row: empty */
	const char *score;
	size_t score_len;
	const char *status;
	const char *cause;         /* NULL without a 'cause' column */
	size_t cause_len;
	const char *attribution;   /* JSON only: an object, or NULL */
	size_t attribution_len;
};

/* added[0..nadded) are the added columns' names (the context features
 * shown, then "score", "status", ...);
 * feature[0..nfeature) the input columns of the model's features. */
void format_init(struct format *f, enum format_kind kind, const struct tsv *t,
                 const size_t *feature, size_t nfeature,
                 const char *const *added, size_t nadded);
void format_free(struct format *f);

/* The header line (TSV; JSON has none). */
void format_header(const struct format *f, struct out *o);

/* One row: its text, whether it parsed (a bad row short of fields is
 * padded so the added values land in their columns), the added values.
 * scratch is room to split the record in. */
void format_row(const struct format *f, struct out *o, struct tsv_row *scratch,
                int ok, const struct format_values *v);

#endif
