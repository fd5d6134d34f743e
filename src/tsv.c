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

void
tsv_close(struct tsv *t)
{
	size_t i;

	if (t->fd > 0)
		close(t->fd);
	for (i = 0; i < t->ncolumn; i++)
		free(t->column[i]);
	free(t->column);
	free(t->header);
	free(t->field);
	free(t->buf);
	t->buf = NULL;
}

static void
emit(struct out *to, const char *s)
{
	if (to)
		out_str(to, s);
	else
		fputs(s, stderr);
}

/* "prog: NAME:LINE: field 'COL': message\n", to stderr or, from a thread
 * that must not interleave its messages, to a buffer. */
static void
vreport_to(const struct tsv *t, const char *name, unsigned long line,
           long field, struct out *to, const char *fmt, va_list ap)
{
	char head[64], *msg;
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	msg = xmalloc(n > 0 ? (size_t)n + 1 : 1);
	vsnprintf(msg, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
	emit(to, progname);
	emit(to, ": ");
	emit(to, name);
	snprintf(head, sizeof head, ":%lu: ", line);
	emit(to, head);
	if (field >= 0 && (size_t)field < t->ncolumn) {
		emit(to, "field '");
		emit(to, t->column[field]);
		emit(to, "': ");
	} else if (field >= 0) {
		snprintf(head, sizeof head, "field %ld: ", field + 1);
		emit(to, head);
	}
	emit(to, msg);
	emit(to, "\n");
	free(msg);
}

static void
report_to(const struct tsv *t, const char *name, unsigned long line,
          long field, struct out *to, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_to(t, name, line, field, to, fmt, ap);
	va_end(ap);
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
		t->pos = t->len = t->line_end_known = 0;
		t->eof = t->read_error = 0;
		if (strcmp(t->name, "-") == 0) {
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

/* The next line of the current input into record; 0 at its end. */
static int
next_line(struct tsv *t)
{
	for (;;) {
		char *start = t->buf + t->pos;
		char *nl = memchr(start, '\n', t->len - t->pos);
		size_t n;

		if (nl == NULL && fill(t))
			continue;
		if (nl == NULL && t->pos == t->len)
			return 0;
		n = nl ? (size_t)(nl - start) : t->len - t->pos;
		t->pos += n + (nl != NULL);
		t->line++;
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
			t->pos = t->len;
			t->eof = t->read_error = t->bad_input = 1;
			return 0;
		}
		if (memchr(start, '\0', n) != NULL) {
			tsv_warn(t, -1, "NUL byte in line, line skipped");
			continue;
		}
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

/* The first of the names field[0..n) that an earlier one repeats, or
 * NULL: a column is found by its name, so two cannot share one. */
static const struct tsv_field *
repeated_name(const struct tsv_field *field, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = 0; j < i; j++)
			if (field[i].n == field[j].n &&
			    memcmp(field[i].p, field[j].p, field[i].n) == 0)
				return &field[i];
	return NULL;
}

/* The header line and its column names, from the split record. */
static void
keep_columns(struct tsv *t, const char *header, size_t header_len)
{
	size_t i;

	t->header_len = header_len;
	t->header = xmalloc(header_len + 1);
	memcpy(t->header, header, header_len);
	t->header[header_len] = '\0';
	t->ncolumn = t->nfield;
	t->column = xreallocarray(NULL, t->ncolumn, sizeof *t->column);
	for (i = 0; i < t->ncolumn; i++) {
		t->column[i] = xmalloc(t->field[i].n + 1);
		memcpy(t->column[i], t->field[i].p, t->field[i].n);
		t->column[i][t->field[i].n] = '\0';
	}
}

/* Keep the first header and its column names; 0 (reported) when two
 * columns have one name. */
static int
keep_header(struct tsv *t)
{
	const struct tsv_field *twice;

	split(t);
	twice = repeated_name(t->field, t->nfield);
	if (twice != NULL) {
		tsv_warn(t, -1, "duplicate column name '%.*s'", (int)twice->n,
		         twice->p);
		t->bad_input = 1;
		return 0;
	}
	keep_columns(t, t->record, t->record_len);
	return 1;
}

void
tsv_set_columns(struct tsv *t, const char *names, const char *option)
{
	const struct tsv_field *twice;
	char *header = xstrdup(names);
	size_t i, len = strlen(names);

	t->nfield = split_into(names, len, ',', &t->field, &t->field_cap);
	for (i = 0; i < t->nfield; i++)
		if (t->field[i].n == 0)
			usage_error("invalid value '%s' for %s: an empty column "
			            "name", names, option);
	twice = repeated_name(t->field, t->nfield);
	if (twice != NULL)
		usage_error("invalid value '%s' for %s: column '%.*s' named "
		            "twice", names, option, (int)twice->n, twice->p);
	/* The header the input would have had, for a tool that shows it. */
	for (i = 0; i < len; i++)
		if (header[i] == ',')
			header[i] = t->delim;
	keep_columns(t, header, len);
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
		if (found) {
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
	size_t i;

	for (i = 0; i < t->ncolumn; i++)
		if (strcmp(t->column[i], name) == 0)
			return (long)i;
	return -1;
}

/* 1 when a record has a field for every column, else the message. */
static int
check_width(const struct tsv *t, size_t nfield, const char *name,
            unsigned long line, struct out *to)
{
	if (nfield == t->ncolumn)
		return 1;
	report_to(t, name, line, -1, to, "expected %zu fields, found %zu",
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
		report_to(t, name, line, (long)i, to, "%s",
		          num_status_text(status));
	else
		report_to(t, name, line, (long)i, to, "%s '%.*s'%s",
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
tsv_row_report(const struct tsv *t, const char *name, unsigned long line,
               long field, struct out *to, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_to(t, name, line, field, to, fmt, ap);
	va_end(ap);
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
	return parse_features(t, r->field, r->nfield, r->name, r->line, cols,
	                      n, x, errors);
}
