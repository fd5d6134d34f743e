/* format.c: ifscore's output step (format.h). */
#include "format.h"
#include "num.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* What becomes of an input column. */
enum { COLUMN_TEXT, COLUMN_NUMBER, COLUMN_REPLACED };

/* The columns of an earlier run of ifscore, left out of a re-scored file
 * whether or not this run writes them again: a cause of the old scores
 * must not stand beside the new ones. */
static const char *const own_column[] = { "score", "status", "cause" };

static void
replace_column(struct format *f, const char *name)
{
	long c = tsv_column(f->t, name);

	if (c >= 0) {
		f->column[c] = COLUMN_REPLACED;
		f->replaces = 1;
	}
}

void
format_init(struct format *f, enum format_kind kind, const struct tsv *t,
            const size_t *feature, size_t nfeature,
            const char *const *added, size_t nadded)
{
	size_t i;

	memset(f, 0, sizeof *f);
	f->kind = kind;
	f->delim = t->delim;
	f->t = t;
	f->added = added;
	f->nadded = nadded;
	f->column = xcalloc(t->ncolumn ? t->ncolumn : 1, 1);
	for (i = 0; i < nfeature; i++)
		f->column[feature[i]] = COLUMN_NUMBER;
	for (i = 0; i < nadded; i++)
		replace_column(f, added[i]);
	for (i = 0; i < sizeof own_column / sizeof *own_column; i++)
		replace_column(f, own_column[i]);
	for (i = 0; i < t->ncolumn; i++)
		f->nkept += f->column[i] != COLUMN_REPLACED;
}

void
format_free(struct format *f)
{
	free(f->column);
	f->column = NULL;
}

static int
kept(const struct format *f, size_t i)
{
	return i >= f->t->ncolumn || f->column[i] != COLUMN_REPLACED;
}

void
format_header(const struct format *f, struct out *o)
{
	const struct tsv *t = f->t;
	size_t i, written = 0;

	if (f->kind != FORMAT_TSV)
		return;
	if (!f->replaces) {
		out_write(o, t->header, t->header_len);
		written = 1;
	} else {
		for (i = 0; i < t->ncolumn; i++) {
			if (!kept(f, i))
				continue;
			if (written++)
				out_char(o, f->delim);
			out_str(o, t->column[i]);
		}
	}
	for (i = 0; i < f->nadded; i++) {
		if (written++)
			out_char(o, f->delim);
		out_str(o, f->added[i]);
	}
	out_char(o, '\n');
}

/* --- TSV ---------------------------------------------------------------- */

static void
tsv_added(const struct format *f, struct out *o, const struct format_values *v)
{
	size_t i;

	for (i = 0; i < v->ncontext; i++) {
		out_char(o, f->delim);
		if (v->context == NULL)
			continue;
		if (v->context[i] == v->context[i])
			out_real(o, v->context[i]);
		else
			out_write(o, "NA", 2);
	}
	out_char(o, f->delim);
	out_write(o, v->score, v->score_len);
	out_char(o, f->delim);
	out_str(o, v->status);
	if (v->cause != NULL) {
		out_char(o, f->delim);
		out_write(o, v->cause, v->cause_len);
	}
	out_char(o, '\n');
}

static void
tsv_row(const struct format *f, struct out *o, struct tsv_row *r, int ok,
        const struct format_values *v)
{
	size_t nfield, i, written = 0;

	if (!f->replaces) {
		out_write(o, r->text, r->len);
		if (!ok) {
			/* A short record is padded with empty fields, so
			 * the added values still land in their columns. */
			nfield = 1;
			for (i = 0; i < r->len; i++)
				nfield += r->text[i] == f->delim;
			for (; nfield < f->t->ncolumn; nfield++)
				out_char(o, f->delim);
		}
		tsv_added(f, o, v);
		return;
	}
	tsv_row_split(f->t, r);
	for (i = 0; i < r->nfield; i++) {
		if (!kept(f, i))
			continue;
		if (written++)
			out_char(o, f->delim);
		out_write(o, r->field[i].p, r->field[i].n);
	}
	for (; written < f->nkept; written++)
		out_char(o, f->delim);
	tsv_added(f, o, v);
}

/* --- JSON Lines ----------------------------------------------------------- */

/* Whether s[0..n) is a number in JSON's own grammar. */
static int
is_json_number(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	if (p < end && *p == '-')
		p++;
	if (p == end || *p < '0' || *p > '9')
		return 0;
	if (*p == '0')
		p++;
	else
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	if (p < end && *p == '.') {
		if (++p == end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p == end;
}

/* A feature's value: a number, null when missing, else (a bad value) the
 * text as a string. */
static void
json_number(struct out *o, const struct tsv_field *fd)
{
	double x;

	switch (num_parse(fd->p, fd->n, &x)) {
	case NUM_OK:
		if (is_json_number(fd->p, fd->n))
			out_write(o, fd->p, fd->n);
		else
			out_real(o, x);
		break;
	case NUM_MISSING:
		out_str(o, "null");
		break;
	default:
		out_json_string(o, fd->p, fd->n);
	}
}

static void
json_row(const struct format *f, struct out *o, struct tsv_row *r,
         const struct format_values *v)
{
	const struct tsv *t = f->t;
	size_t i;

	tsv_row_split(t, r);
	out_char(o, '{');
	for (i = 0; i < r->nfield && i < t->ncolumn; i++) {
		if (f->column[i] == COLUMN_REPLACED)
			continue;
		out_json_string(o, t->column[i], strlen(t->column[i]));
		out_char(o, ':');
		if (f->column[i] == COLUMN_NUMBER)
			json_number(o, &r->field[i]);
		else
			out_json_string(o, r->field[i].p, r->field[i].n);
		out_char(o, ',');
	}
	for (i = 0; i < v->ncontext; i++) {
		out_json_string(o, f->added[i], strlen(f->added[i]));
		out_char(o, ':');
		if (v->context != NULL && v->context[i] == v->context[i])
			out_real(o, v->context[i]);
		else
			out_str(o, "null");
		out_char(o, ',');
	}
	out_str(o, "\"score\":");
	if (v->score_len)
		out_write(o, v->score, v->score_len);
	else
		out_str(o, "null");
	/* The original REST API's 0 or 1. */
	out_str(o, ",\"anomaly_score\":");
	out_str(o, v->status[0] == 'a' ? "1" : v->status[0] == 'n' ? "0" :
	        "null");
	out_str(o, ",\"status\":");
	out_json_string(o, v->status, strlen(v->status));
	if (v->cause != NULL) {
		out_str(o, ",\"cause\":");
		out_json_string(o, v->cause, v->cause_len);
	}
	if (v->attribution != NULL) {
		out_str(o, ",\"attribution\":");
		out_write(o, v->attribution, v->attribution_len);
	}
	out_str(o, "}\n");
}

void
format_row(const struct format *f, struct out *o, struct tsv_row *scratch,
           int ok, const struct format_values *v)
{
	if (f->kind == FORMAT_JSON)
		json_row(f, o, scratch, v);
	else
		tsv_row(f, o, scratch, ok, v);
}
