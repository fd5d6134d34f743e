/*
 * explain_methods: three ways to name an anomaly's cause, side by side, so
 * that tests/bench/explain can say which is right more often and cheaper.
 *
 *	explain_methods MODEL TRAIN SCORED
 *
 * SCORED is ifscore's output (a 'status' column); every anomaly among its
 * complete rows gets three causes, each "NAME+" or "NAME-":
 *
 *   gain   ifscore --explain (explain.c): the gain c(n) - 1 - c(m) of each
 *          split on the path, credited to the split's feature and side.
 *   depth  each split on the path credits its feature and side with
 *          1 / (the depth of the row's leaf), in the spirit of DIFFI
 *          (Carletti, Terzi and Susto, 2023): short paths count more.
 *   rcf    Random Cut Forest style (Guha et al., ICML 2016): each node's
 *          bounding box, taken from the TRAIN rows that reach it; at each
 *          node of the path, the chance that a random cut separates the
 *          row from the box falls on dimension i in proportion to the
 *          row's distance outside the box along i, and counts
 *          1 / (depth + 1), times the chance of not being separated
 *          higher up.  It needs the boxes, which the model file lacks.
 *
 * Writes SCORED's header and anomalous rows with three columns appended,
 * cause_gain, cause_depth and cause_rcf; prints on stderr each method's
 * time per row.  Models of feature splits only.  Built by tests/bench/explain
 * against build/libiftools.a.
 */
#include "explain.h"
#include "model.h"
#include "out.h"
#include "tsv.h"
#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { GAIN, DEPTH, RCF, NMETHOD };

struct boxes {
	double **lo, **hi; /* per tree: nnode * nfeature */
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
open_input(struct tsv *t, char *path)
{
	tsv_open(t, &path, 1, '\t');
	if (!tsv_read_header(t))
		exit(EXIT_TROUBLE);
}

static size_t *
feature_columns(const struct model *m, const struct tsv *t)
{
	size_t *cols = xreallocarray(NULL, m->forest.nfeature, sizeof *cols);
	size_t k;

	for (k = 0; k < m->forest.nfeature; k++) {
		long c = tsv_column(t, m->feature[k]);

		if (c < 0)
			die("%s: no column '%s'", t->name, m->feature[k]);
		cols[k] = (size_t)c;
	}
	return cols;
}

/* Every node's box: the training rows that reach it, complete ones. */
static void
build_boxes(struct boxes *b, const struct model *m, char *path)
{
	const struct forest *f = &m->forest;
	size_t d = f->nfeature, t, k, *cols;
	double *x = xreallocarray(NULL, d, sizeof *x);
	struct tsv in;

	b->lo = xcalloc(f->ntree, sizeof *b->lo);
	b->hi = xcalloc(f->ntree, sizeof *b->hi);
	for (t = 0; t < f->ntree; t++) {
		size_t n = f->tree[t].nnode * d, i;

		b->lo[t] = xreallocarray(NULL, n, sizeof **b->lo);
		b->hi[t] = xreallocarray(NULL, n, sizeof **b->hi);
		for (i = 0; i < n; i++) {
			b->lo[t][i] = INFINITY;
			b->hi[t][i] = -INFINITY;
		}
	}
	open_input(&in, path);
	cols = feature_columns(m, &in);
	while (tsv_next(&in)) {
		if (tsv_features(&in, cols, d, x) != 0)
			continue;
		for (t = 0; t < f->ntree; t++) {
			const struct tree *tr = &f->tree[t];
			uint32_t id = 0;

			for (;;) {
				double *lo = b->lo[t] + id * d, *hi = b->hi[t] + id * d;
				const struct node *n = &tr->node[id];

				for (k = 0; k < d; k++) {
					lo[k] = fmin(lo[k], x[k]);
					hi[k] = fmax(hi[k], x[k]);
				}
				if (n->feature < 0)
					break;
				id = x[n->feature] <= n->split ? n->left : n->right;
			}
		}
	}
	tsv_close(&in);
	free(cols);
	free(x);
}

/* credit[2k + high] for the depth method. */
static void
credit_depth(const struct forest *f, const double *x, double *credit)
{
	size_t t;

	for (t = 0; t < f->ntree; t++) {
		const struct tree *tr = &f->tree[t];
		uint32_t id = 0, path[64];
		unsigned depth = 0, i;

		while (tr->node[id].feature >= 0 && depth < 64) {
			path[depth++] = id;
			id = x[tr->node[id].feature] <= tr->node[id].split ?
			     tr->node[id].left : tr->node[id].right;
		}
		for (i = 0; i < depth; i++) {
			const struct node *n = &tr->node[path[i]];
			int high = x[n->feature] > n->split;

			credit[2 * (size_t)n->feature + high] += 1.0 / depth;
		}
	}
}

static void
credit_rcf(const struct forest *f, const struct boxes *b, const double *x,
           double *credit)
{
	size_t d = f->nfeature, t, k;

	for (t = 0; t < f->ntree; t++) {
		const struct tree *tr = &f->tree[t];
		uint32_t id = 0;
		double remaining = 1;
		unsigned depth = 0;

		for (;;) {
			const double *lo = b->lo[t] + id * d, *hi = b->hi[t] + id * d;
			const struct node *n = &tr->node[id];
			double span = 0, gaps = 0;

			if (lo[0] <= hi[0]) { /* a box that some row reached */
				for (k = 0; k < d; k++) {
					double g = fmax(0, x[k] - hi[k]) +
					           fmax(0, lo[k] - x[k]);

					span += hi[k] - lo[k] + g;
					gaps += g;
				}
				for (k = 0; gaps > 0 && span > 0 && k < d; k++) {
					double g = fmax(0, x[k] - hi[k]) +
					           fmax(0, lo[k] - x[k]);

					credit[2 * k + (x[k] > hi[k])] +=
					    remaining * g / span / (depth + 1);
				}
				if (span > 0)
					remaining *= 1 - gaps / span;
			}
			if (n->feature < 0)
				break;
			id = x[n->feature] <= n->split ? n->left : n->right;
			depth++;
		}
	}
}

/* The feature and side with the most credit (credit[2k] low, [2k + 1]
 * high): each method's own best; summing a feature's two sides first, as
 * ifscore does with its gains, makes depth and rcf worse. */
static size_t
best_of(const double *credit, size_t d)
{
	size_t i, best = 0;

	for (i = 1; i < 2 * d; i++)
		if (credit[i] > credit[best])
			best = i;
	return best;
}

static void
put_cause(struct out *o, const struct model *m, size_t c)
{
	out_char(o, '\t');
	out_str(o, m->feature[c / 2]);
	out_char(o, c % 2 ? '+' : '-');
}

/* The anomalies among SCORED's complete rows: their features into *rows
 * (n * d), their records into out's memory, ends in *end. */
static size_t
read_anomalies(const struct model *m, char *path, struct tsv *in,
               double **rows, struct out *text, size_t **end)
{
	size_t d = m->forest.nfeature, n = 0, cap = 0, *cols;
	long status_col;

	open_input(in, path);
	cols = feature_columns(m, in);
	if ((status_col = tsv_column(in, "status")) < 0)
		die("%s: no column 'status'", in->name);
	out_init_memory(text);
	*rows = NULL;
	*end = NULL;
	while (tsv_next(in)) {
		const struct tsv_field *st = &in->field[status_col];

		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			*rows = xreallocarray(*rows, cap, d * sizeof **rows);
			*end = xreallocarray(*end, cap, sizeof **end);
		}
		if (st->n != 7 || memcmp(st->p, "anomaly", 7) != 0 ||
		    tsv_features(in, cols, d, *rows + n * d) != 0)
			continue;
		out_write(text, in->record, in->record_len);
		(*end)[n++] = text->len;
	}
	free(cols);
	return n;
}

int
main(int argc, char **argv)
{
	struct model m;
	struct explainer e;
	struct boxes b;
	struct tsv in;
	struct out o, text;
	char error[512];
	size_t d, k, i, n, *end, *cause[NMETHOD], method;
	double *rows, *credit, *ecredit, spent[NMETHOD], t0;

	set_progname(argv[0]);
	if (argc != 4) {
		fprintf(stderr, "usage: explain_methods MODEL TRAIN SCORED\n");
		return EXIT_TROUBLE;
	}
	if (model_load(&m, argv[1], error, sizeof error) < 0)
		die("%s", error);
	if (m.forest.extension > 0)
		die("a model of feature splits only");
	d = m.forest.nfeature;
	explainer_init(&e, &m.forest, m.feature);
	build_boxes(&b, &m, argv[2]);
	n = read_anomalies(&m, argv[3], &in, &rows, &text, &end);
	credit = xreallocarray(NULL, 2 * d, sizeof *credit);
	ecredit = xreallocarray(NULL, EXPLAIN_BLOCK, e.ncause * sizeof *ecredit);
	for (method = 0; method < NMETHOD; method++)
		cause[method] = xreallocarray(NULL, n ? n : 1, sizeof **cause);

	/* ifscore's way: up to EXPLAIN_BLOCK rows at a time, as it does. */
	t0 = now();
	for (i = 0; i < n; i += EXPLAIN_BLOCK) {
		size_t which[EXPLAIN_BLOCK], m_ = n - i < EXPLAIN_BLOCK ?
		                                  n - i : EXPLAIN_BLOCK;

		for (k = 0; k < m_; k++)
			which[k] = i + k;
		explain_rows(&e, rows, which, m_, ecredit, cause[GAIN] + i);
	}
	spent[GAIN] = now() - t0;
	for (method = DEPTH; method < NMETHOD; method++) {
		t0 = now();
		for (i = 0; i < n; i++) {
			for (k = 0; k < 2 * d; k++)
				credit[k] = 0;
			if (method == DEPTH)
				credit_depth(&m.forest, rows + i * d, credit);
			else
				credit_rcf(&m.forest, &b, rows + i * d, credit);
			cause[method][i] = best_of(credit, d);
		}
		spent[method] = now() - t0;
	}

	out_init(&o, STDOUT_FILENO, "standard output");
	out_write(&o, in.header, in.header_len);
	out_str(&o, "\tcause_gain\tcause_depth\tcause_rcf\n");
	for (i = 0; i < n; i++) {
		size_t from = i ? end[i - 1] : 0;

		out_write(&o, text.buf + from, end[i] - from);
		out_char(&o, '\t');
		out_str(&o, e.cause[cause[GAIN][i]]);
		put_cause(&o, &m, cause[DEPTH][i]);
		put_cause(&o, &m, cause[RCF][i]);
		out_char(&o, '\n');
	}
	out_finish(&o);
	fprintf(stderr, "explained %zu rows; us a row: gain %.2f, depth %.2f, "
	        "rcf %.2f\n", n, 1e6 * spent[GAIN] / (double)n,
	        1e6 * spent[DEPTH] / (double)n, 1e6 * spent[RCF] / (double)n);
	return 0;
}
