#include "tsv.h"
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
vreport(struct tsv *t, long field, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s:%lu: ", progname, t->name, t->line);
	if (field >= 0 && (size_t)field < t->ncolumn)
		fprintf(stderr, "field '%s': ", t->column[field]);
	else if (field >= 0)
		fprintf(stderr, "field %ld: ", field + 1);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
		t->pos = t->len = 0;
		t->eof = t->read_error = 0;
		if (strcmp(t->name, "-") == 0) {
			t->fd = STDIN_FILENO;
			return 1;
		}
		t->fd = open(t->name, O_RDONLY);
		if (t->fd >= 0)
			return 1;
		warnf("cannot open '%s':", t->name);
		t->failed = 1;
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

/* Append more input to the buffer; 0 at the end of the input (or when it
 * cannot be read, which is reported). */
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
	if (t->len == t->cap) {
		t->cap *= 2;
		t->buf = xrealloc(t->buf, t->cap);
	}
	if (t->before_read && !input_ready(t->fd))
		t->before_read(t->before_read_arg);
	do
		n = read(t->fd, t->buf + t->len, t->cap - t->len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		warnf("cannot read '%s':", t->name);
		t->failed = t->read_error = 1;
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
			t->eof = t->read_error = 1;
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

static void
split(struct tsv *t)
{
	const char *p = t->record, *end = p + t->record_len;

	t->nfield = 0;
	for (;;) {
		const char *d = memchr(p, t->delim, (size_t)(end - p));

		if (t->nfield == t->field_cap) {
			t->field_cap = t->field_cap ? 2 * t->field_cap : 16;
			t->field = xreallocarray(t->field, t->field_cap,
			                         sizeof *t->field);
		}
		t->field[t->nfield].p = p;
		t->field[t->nfield].n = (size_t)((d ? d : end) - p);
		t->nfield++;
		if (d == NULL)
			break;
		p = d + 1;
	}
}

/* Keep the first header and its column names; 0 (reported) when two
 * columns have one name, as a column is found by its name. */
static int
keep_header(struct tsv *t)
{
	size_t i, j;

	split(t);
	for (i = 0; i < t->nfield; i++)
		for (j = 0; j < i; j++)
			if (t->field[i].n == t->field[j].n &&
			    memcmp(t->field[i].p, t->field[j].p,
			           t->field[i].n) == 0) {
				tsv_warn(t, -1, "duplicate column name '%.*s'",
				         (int)t->field[i].n, t->field[i].p);
				return 0;
			}
	t->header_len = t->record_len;
	t->header = xmalloc(t->record_len + 1);
	memcpy(t->header, t->record, t->record_len);
	t->header[t->record_len] = '\0';
	t->ncolumn = t->nfield;
	t->column = xreallocarray(NULL, t->ncolumn, sizeof *t->column);
	for (i = 0; i < t->ncolumn; i++) {
		t->column[i] = xmalloc(t->field[i].n + 1);
		memcpy(t->column[i], t->field[i].p, t->field[i].n);
		t->column[i][t->field[i].n] = '\0';
	}
	return 1;
}

/* Open inputs until one has a header line; 0 when none is left. */
static int
start_input(struct tsv *t)
{
	while (open_next(t)) {
		int found;

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
		} else if (!t->read_error) {
			warnf("%s: empty input, expected a header line",
			      t->name);
			t->failed = 1;
		}
		close_current(t);
	}
	return 0;
}

int
tsv_read_header(struct tsv *t)
{
	return start_input(t);
}

int
tsv_next(struct tsv *t)
{
	for (;;) {
		if (t->fd >= 0 && next_line(t)) {
			if (t->record_len == 0)
				continue;
			split(t);
			return 1;
		}
		close_current(t);
		if (!start_input(t))
			return 0;
	}
}

int
tsv_line_ready(const struct tsv *t)
{
	return t->fd >= 0 &&
	       memchr(t->buf + t->pos, '\n', t->len - t->pos) != NULL;
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

int
tsv_check_width(struct tsv *t)
{
	if (t->nfield == t->ncolumn)
		return 1;
	tsv_warn(t, -1, "expected %zu fields, found %zu", t->ncolumn,
	         t->nfield);
	return 0;
}

enum num_status
tsv_number(struct tsv *t, size_t i, double *out, int missing_ok)
{
	const struct tsv_field *f = &t->field[i];
	enum num_status status = num_parse(f->p, f->n, out);
	int shown = f->n > VALUE_SHOWN_MAX ? VALUE_SHOWN_MAX : (int)f->n;

	if (status == NUM_OK || (status == NUM_MISSING && missing_ok))
		return status;
	if (f->n == 0)
		tsv_warn(t, (long)i, "%s", num_status_text(status));
	else
		tsv_warn(t, (long)i, "%s '%.*s'%s", num_status_text(status),
		         shown, f->p, f->n > VALUE_SHOWN_MAX ? "..." : "");
	return status;
}

long
tsv_features(struct tsv *t, const size_t *cols, size_t n, double *x)
{
	long missing = 0;
	size_t i;

	if (!tsv_check_width(t))
		return -1;
	for (i = 0; i < n; i++) {
		switch (tsv_number(t, cols[i], &x[i], 1)) {
		case NUM_OK:
			break;
		case NUM_MISSING:
			x[i] = NAN;
			missing++;
			break;
		default:
			return -1;
		}
	}
	return missing;
}
