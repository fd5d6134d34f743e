/* tsv.h: reading delimited text with a header line, for every tool.
 *
 * The inputs are files named on the command line, or standard input ("-")
 * when there are none.  Every input starts with a header line; the first
 * one names the columns and every later one must repeat it exactly.
 * A UTF-8 byte-order mark before a header and a CR before a newline are
 * dropped; blank lines are skipped.  A line may be up to TSV_LINE_MAX
 * bytes long; a longer one is reported and skipped.  A last line without
 * a newline is reported and flagged `incomplete`: the caller decides what
 * it is worth.  Fields are not NUL-terminated: the record stays intact so
 * filters can pass it through unchanged.  Standard input named twice is
 * read once (the second time it is empty, as for cat).
 *
 * An input that cannot be opened or read, whose header differs, or whose
 * header holds a CR (CR-only line endings) is reported, remembered in
 * `failed` and skipped: the rest are still read.
 *
 * Headerless (tsv_set_columns): the columns are named by the caller and
 * every line of every input is a record, as in a split of a larger file
 * that a Hadoop Streaming mapper, a Spark pipe() or GNU parallel --pipe
 * hands over.  An empty input is then no error. */
#ifndef IFTOOLS_TSV_H
#define IFTOOLS_TSV_H

#include <signal.h>
#include <stddef.h>

#include "num.h"
#include "util.h"

/* The longest line read, without its newline: 64 MiB. */
#define TSV_LINE_MAX ((size_t)1 << 26)

struct tsv_field {
	const char *p;
	size_t n;
};

struct tsv {
	char delim;
	char **paths;             /* inputs; "-" is standard input */
	int npaths, next_path;
	const char *name;         /* the input being read, for messages */
	int fd;                   /* -1 between inputs */
	int eof, read_error, reading_header;
	int stdin_taken;          /* "-" was opened once already */
	unsigned long line;       /* line number of the record in its input */
	int failed;               /* something was reported: exit 2 */
	int bad_input;            /* ... an input, not a row: unreadable,
	                           * empty, or with a header that differs */
	int headerless;           /* tsv_set_columns named the columns */

	char *buf;
	size_t cap, pos, len;
	size_t line_end_known;    /* just past the last newline seen in buf */
	size_t scanned;           /* bytes after pos known to hold no newline */

	const char *record;       /* the current line, without its newline */
	size_t record_len;
	int incomplete;           /* the record is a last line with no newline
	                             (reported already) */
	struct tsv_field *field;
	size_t nfield, field_cap;

	char *header;             /* the first input's header line */
	size_t header_len;
	char **column;            /* its column names, NUL-terminated */
	size_t ncolumn;
	struct name_order *column_order; /* the names sorted, to find them */

	/* Called before a read when no input is ready (it would block):
	 * filters flush here, so output keeps pace with a slow input. */
	void (*before_read)(void *arg);
	void *before_read_arg;
	/* Called before the reader reports a problem of its own: a filter
	 * that holds earlier rows writes them, and their messages, first. */
	void (*before_message)(void *arg);
	void *before_message_arg;
	/* Set (by a signal handler) to end the reading early: the next
	 * record, or a read that a signal interrupts, is the end.  The
	 * handler also writes a byte to a pipe whose read end is wake_fd
	 * (-1: none), so a wait for input ends even when the signal comes
	 * just before it. */
	volatile sig_atomic_t *stop;
	int wake_fd;
};

/* Read paths[0..npaths), or standard input when npaths is 0. */
void tsv_open(struct tsv *t, char **paths, int npaths, char delim);
/* Before tsv_read_header: the inputs have no header line, and names
 * (comma-separated) gives their columns; a bad list (an empty or repeated
 * name) is a usage error of option, which names the list. */
void tsv_set_columns(struct tsv *t, const char *names, const char *option);
/* Read the first header line; returns 0 when no input has one (each empty
 * or unreadable input has been reported).  Headerless, 1 at once. */
int tsv_read_header(struct tsv *t);
/* The next record, split into fields; 0 at the end of the last input. */
int tsv_next(struct tsv *t);
/* The same, left whole (nfield 0): for a reader that hands records to
 * other threads to split and parse with tsv_row_features. */
int tsv_next_unsplit(struct tsv *t);
void tsv_close(struct tsv *t);
/* 1 when the next line is already buffered, so tsv_next will not wait. */
int tsv_line_ready(struct tsv *t);

/* The index of the column called name, or -1 (in log(columns) time). */
long tsv_column(const struct tsv *t, const char *name);
/* The columns of names[0..n) into cols; -1, or the index of the first
 * name that has no column. */
long tsv_find_columns(const struct tsv *t, char *const *names, size_t n,
                      size_t *cols);

/* "prog: FILE:LINE: field 'NAME': message" (without the field part when
 * field < 0), and failed is set. */
void tsv_warn(struct tsv *t, long field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
_Noreturn void tsv_die(struct tsv *t, long field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 1 when the record has as many fields as the header; otherwise reports
 * "expected N fields, found M" and returns 0. */
int tsv_check_width(struct tsv *t);

/* Parse field i as a number; anything but NUM_OK is reported with the
 * value (a missing value too, unless missing_ok). */
enum num_status tsv_number(struct tsv *t, size_t i, double *out,
                           int missing_ok);

/* Parse the fields cols[0..n) of a record of the right width into x, a
 * missing value as NaN.  Returns how many were missing, or -1 after
 * reporting the first bad field (or a wrong field count). */
long tsv_features(struct tsv *t, const size_t *cols, size_t n, double *x);

/* A record parsed away from the reader, on another thread: its text, the
 * place it came from, and room for its fields. */
struct tsv_row {
	const char *text;
	size_t len;
	const char *name;
	unsigned long line;
	int incomplete;           /* a flagged last line: always bad */
	struct tsv_field *field;
	size_t nfield, field_cap;
};

struct out;

/* A message about a row read away from the reader, in the words of
 * tsv_warn, appended to `to`. */
void tsv_row_report(const struct tsv *t, const char *name, unsigned long line,
                    long field, struct out *to, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Split a row's text into its fields (r->field, r->nfield). */
void tsv_row_split(const struct tsv *t, struct tsv_row *r);

/* tsv_features for a row: it is split here (r->nfield is set), and the
 * messages are appended to errors, in the same words, instead of being
 * printed; the reader t is only read (delimiter, column names). */
long tsv_row_features(const struct tsv *t, struct tsv_row *r,
                      const size_t *cols, size_t n, double *x,
                      struct out *errors);

#endif
