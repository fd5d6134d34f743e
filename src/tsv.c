#include "tsv.h"
#include "out.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { TSV_BUFSIZE = 1 << 18, VALUE_SHOWN_MAX = 40 };

static char stdin_path[] = "-";

void
tsv_open(struct tsv *t, char **paths, int npaths, char delim)
{
	static char *stdin_only[] = { stdin_path };

	memset(t, 0, sizeof *t);
	t->delim = delim;
	t->paths = npaths > 0 ? paths : stdin_only;
	t->npaths = npaths > 0 ? npaths : 1;
	t->fd = -1;
	t->wake_fd = -1;
	t->name = t->paths[0];
	t->cap = TSV_BUFSIZE;
	t->buf = xmalloc(t->cap);
}

static void
free_columns(struct tsv *t)
{
	size_t i;

	for (i = 0; i < t->ncolumn; i++)
		free(t->column[i]);
	free(t->column);
	free(t->column_order);
	t->column = NULL;
	t->column_order = NULL;
	t->ncolumn = 0;
}

void
tsv_close(struct tsv *t)
{
	if (t->fd > 0)
		close(t->fd);
	free_columns(t);
	free(t->header);
	free(t->field);
	free(t->buf);
	t->buf = NULL;
}

/* "prog: NAME:LINE: field 'COL': message\n", its control characters
 * escaped, to stderr or, from a thread that must not interleave its
 * messages, to a buffer. */
static void
vreport_to(const struct tsv *t, const char *name, unsigned long line,
           long field, struct out *to, const char *fmt, va_list ap)
{
	char *msg = xvasprintf(fmt, ap), *text, *shown;

	if (field >= 0 && (size_t)field < t->ncolumn)
		text = xasprintf("%s:%lu: field '%s': %s", name, line,
		                 t->column[field], msg);
	else if (field >= 0)
		text = xasprintf("%s:%lu: field %ld: %s", name, line, field + 1,
		                 msg);
	else
		text = xasprintf("%s:%lu: %s", name, line, msg);
	shown = escape_text(text, strlen(text));
	if (to) {
		out_str(to, progname);
		out_str(to, ": ");
		out_str(to, shown);
		out_char(to, '\n');
	} else {
		fprintf(stderr, "%s: %s\n", progname, shown);
	}
	free(shown);
	free(text);
	free(msg);
}

/* The reader is about to report a problem of its own (errno kept for
 * the message). */
static void
before_message(struct tsv *t)
{
	int saved = errno;

	if (t->before_message != NULL)
		t->before_message(t->before_message_arg);
	errno = saved;
}

void
tsv_row_report(const struct tsv *t, const char *name, unsigned long line,
               long field, struct out *to, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_to(t, name, line, field, to, fmt, ap);
	va_end(ap);
}

static void
vreport(struct tsv *t, long field, const char *fmt, va_list ap)
{
	before_message(t);
	vreport_to(t, t->name, t->line, field, NULL, fmt, ap);
	t->failed = 1;
}

void
tsv_warn(struct tsv *t, long field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(t, field, fmt, ap);
	va_end(ap);
}

void
tsv_die(struct tsv *t, long field, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(t, field, fmt, ap);
	va_end(ap);
	exit(EXIT_TROUBLE);
}

/* Open the next input; 0 when there is none left. */
static int
open_next(struct tsv *t)
{
	while (t->next_path < t->npaths) {
		t->name = t->paths[t->next_path++];
		t->line = 0;
		t->pos = t->len = t->line_end_known = t->scanned = 0;
		t->eof = t->read_error = 0;
		if (strcmp(t->name, "-") == 0 && t->stdin_taken) {
			/* Read to its end already: empty now, as for cat. */
			continue;
		}
		if (strcmp(t->name, "-") == 0) {
			t->stdin_taken = 1;
			t->fd = STDIN_FILENO;
			return 1;
		}
		t->fd = open(t->name, O_RDONLY);
		if (t->fd >= 0)
			return 1;
		before_message(t);
		warnf("cannot open '%s':", t->name);
		t->failed = t->bad_input = 1;
	}
	return 0;
}

static void
close_current(struct tsv *t)
{
	if (t->fd > STDIN_FILENO)
		close(t->fd);
	t->fd = -1;
}

/* Whether a read would return at once (a regular file always would). */
static int
input_ready(int fd)
{
	struct pollfd p;

	p.fd = fd;
	p.events = POLLIN;
	p.revents = 0;
	return poll(&p, 1, 0) == 1;
}

static int
stopped(const struct tsv *t)
{
	return t->stop != NULL && *t->stop;
}

/* Wait until the input is ready or the reading is stopped (wake_fd);
 * 0 when stopped. */
static int
wait_for_input(struct tsv *t)
{
	struct pollfd p[2];

	p[0].fd = t->fd;
	p[1].fd = t->wake_fd;
	p[0].events = p[1].events = POLLIN;
	for (;;) {
		p[0].revents = p[1].revents = 0;
		if (stopped(t))
			return 0;
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 1; /* the read will say what is wrong */
		if (p[1].revents)
			return 0;
		if (p[0].revents)
			return 1;
	}
}

/* Append more input to the buffer; 0 at the end of the input (or when it
 * cannot be read, which is reported, or when stopped). */
static int
fill(struct tsv *t)
{
	ssize_t n;

	if (t->eof)
		return 0;
	if (t->pos > 0) {
		memmove(t->buf, t->buf + t->pos, t->len - t->pos);
		t->len -= t->pos;
		t->pos = 0;
	}
	t->line_end_known = 0;
	if (t->len == t->cap) {
		t->cap *= 2;
		t->buf = xrealloc(t->buf, t->cap);
	}
	if (t->before_read && !input_ready(t->fd))
		t->before_read(t->before_read_arg);
	if (t->wake_fd >= 0 && !wait_for_input(t))
		return 0;
	do
		n = read(t->fd, t->buf + t->len, t->cap - t->len);
	while (n < 0 && errno == EINTR && !stopped(t));
	if (n < 0 && errno == EINTR)
		return 0;
	if (n < 0) {
		before_message(t);
		warnf("cannot read '%s':", t->name);
		t->failed = t->read_error = t->bad_input = 1;
	}
	if (n <= 0) {
		t->eof = 1;
		return 0;
	}
	t->len += (size_t)n;
	return 1;
}

/* Stop reading the current input: its header cannot be used. */
static void
skip_input(struct tsv *t)
{
	t->pos = t->len;
	t->scanned = 0;
	t->eof = t->read_error = t->bad_input = 1;
}

/* Drop the rest of a line too long to keep, up to its newline; its start
 * (and its line number) have been passed already. */
static void
skip_rest_of_line(struct tsv *t)
{
	for (;;) {
		char *nl = memchr(t->buf + t->pos, '\n', t->len - t->pos);

		t->scanned = 0;
		if (nl != NULL) {
			t->pos = (size_t)(nl - t->buf) + 1;
			return;
		}
		t->pos = t->len;
		if (!fill(t))
			return;
	}
}

/* A line longer than TSV_LINE_MAX, its first byte at t->pos: reported,
 * and skipped (the whole input, when it is the header).  0 when the
 * input cannot go on. */
static int
skip_long_line(struct tsv *t)
{
	t->line++;
	if (t->reading_header) {
		tsv_warn(t, -1, "header line longer than %lu bytes, input "
		         "skipped", (unsigned long)TSV_LINE_MAX);
		skip_input(t);
		return 0;
	}
	tsv_warn(t, -1, "line longer than %lu bytes, line skipped",
	         (unsigned long)TSV_LINE_MAX);
	skip_rest_of_line(t);
	return 1;
}

/* The next line of the current input into record; 0 at its end.  Each
 * byte is searched for a newline once (scanned counts those searched),
 * however the line arrives: a long line through a pipe comes in many
 * small reads. */
static int
next_line(struct tsv *t)
{
	for (;;) {
		char *start, *nl;
		size_t n;

		nl = memchr(t->buf + t->pos + t->scanned, '\n',
		            t->len - t->pos - t->scanned);
		if (nl == NULL) {
			t->scanned = t->len - t->pos;
			if (t->scanned > TSV_LINE_MAX) {
				if (!skip_long_line(t))
					return 0;
				continue;
			}
			if (fill(t))
				continue;
			if (t->pos == t->len)
				return 0;
		}
		start = t->buf + t->pos;
		n = nl ? (size_t)(nl - start) : t->len - t->pos;
		if (n > TSV_LINE_MAX) {
			if (!skip_long_line(t))
				return 0;
			continue;
		}
		t->pos += n + (nl != NULL);
		t->scanned = 0;
		t->line++;
		t->incomplete = nl == NULL;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (t->line == 1 && n >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
			start += 3;
			n -= 3;
		}
		if (memchr(start, '\0', n) != NULL && t->reading_header) {
			/* Without its header an input cannot be read. */
			tsv_warn(t, -1, "NUL byte in the header line, input "
			         "skipped");
			skip_input(t);
			return 0;
		}
		if (memchr(start, '\0', n) != NULL) {
			tsv_warn(t, -1, "NUL byte in line, line skipped");
			continue;
		}
		/* A producer that died mid-line leaves a number cut short:
		 * the caller gets the record, flagged, never silently. */
		if (t->incomplete && n > 0 && !t->reading_header)
			tsv_warn(t, -1, "incomplete last line (no newline at "
			         "the end)");
		t->record = start;
		t->record_len = n;
		return 1;
	}
}

/* Split p[0..len) at delim into *field (grown as needed); the count. */
static size_t
split_into(const char *p, size_t len, char delim, struct tsv_field **field,
           size_t *cap)
{
	const char *end = p + len;
	size_t n = 0;

	for (;;) {
		const char *d = memchr(p, delim, (size_t)(end - p));

		if (n == *cap) {
			*cap = *cap ? 2 * *cap : 16;
			*field = xreallocarray(*field, *cap, sizeof **field);
		}
		(*field)[n].p = p;
		(*field)[n].n = (size_t)((d ? d : end) - p);
		n++;
		if (d == NULL)
			return n;
		p = d + 1;
	}
}

static void
split(struct tsv *t)
{
	t->nfield = split_into(t->record, t->record_len, t->delim, &t->field,
	                       &t->field_cap);
}

/* The header line and its column names, from the split record; the
 * names are sorted once, so finding one, or one named twice, costs
 * log n.  Returns -1, or the place of the first name that repeats an
 * earlier one (and nothing is kept): a column is found by its name, so
 * two cannot share one. */
static long
keep_columns(struct tsv *t, const char *header, size_t header_len)
{
	size_t i;
	long repeat;

	t->ncolumn = t->nfield;
	t->column = xreallocarray(NULL, t->ncolumn, sizeof *t->column);
	for (i = 0; i < t->ncolumn; i++) {
		t->column[i] = xmalloc(t->field[i].n + 1);
		memcpy(t->column[i], t->field[i].p, t->field[i].n);
		t->column[i][t->field[i].n] = '\0';
	}
	t->column_order = names_sort(t->column, t->ncolumn);
	repeat = names_first_repeat(t->column_order, t->ncolumn);
	if (repeat >= 0) {
		free_columns(t);
		return repeat;
	}
	t->header_len = header_len;
	t->header = xmalloc(header_len + 1);
	memcpy(t->header, header, header_len);
	t->header[header_len] = '\0';
	return -1;
}

/* Keep the first header and its column names; 0 (reported) when two
 * columns have one name. */
static int
keep_header(struct tsv *t)
{
	long repeat;

	split(t);
	repeat = keep_columns(t, t->record, t->record_len);
	if (repeat < 0)
		return 1;
	tsv_warn(t, -1, "duplicate column name '%.*s'",
	         (int)t->field[repeat].n, t->field[repeat].p);
	t->bad_input = 1;
	return 0;
}

void
tsv_set_columns(struct tsv *t, const char *names, const char *option)
{
	char *header = xstrdup(names);
	size_t i, len = strlen(names);
	long repeat;

	t->nfield = split_into(names, len, ',', &t->field, &t->field_cap);
	for (i = 0; i < t->nfield; i++)
		if (t->field[i].n == 0)
			usage_error("invalid value '%s' for %s: an empty column "
			            "name", names, option);
	/* The header the input would have had, for a tool that shows it. */
	for (i = 0; i < len; i++)
		if (header[i] == ',')
			header[i] = t->delim;
	repeat = keep_columns(t, header, len);
	if (repeat >= 0)
		usage_error("invalid value '%s' for %s: column '%.*s' named "
		            "twice", names, option, (int)t->field[repeat].n,
		            t->field[repeat].p);
	free(header);
	t->nfield = 0;
	t->headerless = 1;
}

/* Open inputs until one has a header line; 0 when none is left. */
static int
start_input(struct tsv *t)
{
	while (open_next(t)) {
		int found;

		if (t->headerless)
			return 1;
		t->reading_header = 1;
		while ((found = next_line(t)) && t->record_len == 0)
			continue;
		t->reading_header = 0;
		if (found && memchr(t->record, '\r', t->record_len) != NULL) {
			/* CR alone ends no line here: an old Mac file is one
			 * long header, which would "succeed" with no rows. */
			tsv_warn(t, -1, "carriage return inside the header line "
			         "(CR-only line endings?), input skipped");
		} else if (found) {
			if (t->incomplete)
				tsv_warn(t, -1, "incomplete last line (no "
				         "newline at the end)");
			if (t->header == NULL) {
				if (keep_header(t))
					return 1;
				close_current(t);
				t->next_path = t->npaths;
				return 0;
			}
			if (t->record_len == t->header_len &&
			    memcmp(t->record, t->header, t->header_len) == 0)
				return 1;
			tsv_warn(t, -1, "header differs from the first "
			         "input's, input skipped");
			t->bad_input = 1;
		} else if (!t->read_error) {
			before_message(t);
			warnf("%s: empty input, expected a header line",
			      t->name);
			t->failed = t->bad_input = 1;
		}
		close_current(t);
	}
	return 0;
}

int
tsv_read_header(struct tsv *t)
{
	return t->headerless || start_input(t);
}

/* The next non-blank record of any input, not yet split. */
static int
next_record(struct tsv *t)
{
	for (;;) {
		if (stopped(t))
			return 0;
		if (t->fd >= 0 && next_line(t)) {
			if (t->record_len == 0)
				continue;
			return 1;
		}
		close_current(t);
		if (stopped(t) || !start_input(t))
			return 0;
	}
}

int
tsv_next(struct tsv *t)
{
	if (!next_record(t))
		return 0;
	split(t);
	return 1;
}

int
tsv_next_unsplit(struct tsv *t)
{
	t->nfield = 0;
	return next_record(t);
}

int
tsv_line_ready(struct tsv *t)
{
	size_t i;

	if (t->fd < 0)
		return 0;
	if (t->pos < t->line_end_known)
		return 1;
	/* From the end: the last newline buffered answers every call until
	 * the reader passes it, so each byte is looked at about once. */
	for (i = t->len; i > t->pos; i--)
		if (t->buf[i - 1] == '\n') {
			t->line_end_known = i;
			return 1;
		}
	return 0;
}

long
tsv_column(const struct tsv *t, const char *name)
{
	return names_find(t->column_order, t->ncolumn, name);
}

long
tsv_find_columns(const struct tsv *t, char *const *names, size_t n,
                 size_t *cols)
{
	size_t i;

	for (i = 0; i < n; i++) {
		long c = tsv_column(t, names[i]);

		if (c < 0)
			return (long)i;
		cols[i] = (size_t)c;
	}
	return -1;
}

/* 1 when a record has a field for every column, else the message. */
static int
check_width(const struct tsv *t, size_t nfield, const char *name,
            unsigned long line, struct out *to)
{
	if (nfield == t->ncolumn)
		return 1;
	tsv_row_report(t, name, line, -1, to, "expected %zu fields, found %zu",
	          t->ncolumn, nfield);
	return 0;
}

int
tsv_check_width(struct tsv *t)
{
	if (check_width(t, t->nfield, t->name, t->line, NULL))
		return 1;
	t->failed = 1;
	return 0;
}

/* The message for a field that is not a number, with its value cut to
 * VALUE_SHOWN_MAX bytes. */
static void
report_number(const struct tsv *t, const char *name, unsigned long line,
              size_t i, const struct tsv_field *f, enum num_status status,
              struct out *to)
{
	int shown = f->n > VALUE_SHOWN_MAX ? VALUE_SHOWN_MAX : (int)f->n;

	if (f->n == 0)
		tsv_row_report(t, name, line, (long)i, to, "%s",
		          num_status_text(status));
	else
		tsv_row_report(t, name, line, (long)i, to, "%s '%.*s'%s",
		          num_status_text(status), shown, f->p,
		          f->n > VALUE_SHOWN_MAX ? "..." : "");
}

enum num_status
tsv_number(struct tsv *t, size_t i, double *out, int missing_ok)
{
	const struct tsv_field *f = &t->field[i];
	enum num_status status = num_parse(f->p, f->n, out);

	if (status == NUM_OK || (status == NUM_MISSING && missing_ok))
		return status;
	report_number(t, t->name, t->line, i, f, status, NULL);
	t->failed = 1;
	return status;
}

/* The features of a split record; messages go to `to` (NULL: stderr). */
static long
parse_features(const struct tsv *t, const struct tsv_field *field,
               size_t nfield, const char *name, unsigned long line,
               const size_t *cols, size_t n, double *x, struct out *to)
{
	long missing = 0;
	size_t i;

	if (!check_width(t, nfield, name, line, to))
		return -1;
	for (i = 0; i < n; i++) {
		const struct tsv_field *f = &field[cols[i]];
		enum num_status status = num_parse(f->p, f->n, &x[i]);

		if (status == NUM_MISSING) {
			x[i] = NAN;
			missing++;
		} else if (status != NUM_OK) {
			report_number(t, name, line, cols[i], f, status, to);
			return -1;
		}
	}
	return missing;
}

long
tsv_features(struct tsv *t, const size_t *cols, size_t n, double *x)
{
	long missing = parse_features(t, t->field, t->nfield, t->name, t->line,
	                              cols, n, x, NULL);

	if (missing < 0)
		t->failed = 1;
	return missing;
}

void
tsv_row_split(const struct tsv *t, struct tsv_row *r)
{
	r->nfield = split_into(r->text, r->len, t->delim, &r->field,
	                       &r->field_cap);
}

long
tsv_row_features(const struct tsv *t, struct tsv_row *r, const size_t *cols,
                 size_t n, double *x, struct out *errors)
{
	tsv_row_split(t, r);
	if (r->incomplete)
		return -1; /* reported by the reader */
	return parse_features(t, r->field, r->nfield, r->name, r->line, cols,
	                      n, x, errors);
}
