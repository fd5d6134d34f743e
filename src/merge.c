#include "merge.h"
#include "context.h"
#include "metrics.h"
#include "out.h"
#include "sample.h"
#include "tsv.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* As the loader allows. */
#define TREES_MAX ((size_t)1 << 24)
/* Scores kept for the quantile: 256 MiB at most. */
#define SCORES_KEPT ((size_t)1 << 25)
/* Rows scored at a time while the input streams. */
enum { RETHRESHOLD_BLOCK = 1 << 16 };

/* --- Comparing headers ------------------------------------------------ */

/* Header lines that differ between the parts of one forest. */
static const char *const own_keys[] = {
	MODEL_MAGIC, "trees", "seed", "rows", "threshold", "contamination"
};

static int
is_own_key(const char *line, size_t len)
{
	size_t i, n;

	for (i = 0; i < sizeof own_keys / sizeof own_keys[0]; i++) {
		n = strlen(own_keys[i]);
		if (len > n && line[n] == ' ' && memcmp(line, own_keys[i], n) == 0)
			return 1;
	}
	return 0;
}

/* The next header line at *pos that scoring reads, NUL-terminated in
 * place; NULL after the last. */
static char *
next_shared_line(struct out *header, size_t *pos)
{
	while (*pos < header->len) {
		char *line = header->buf + *pos;
		char *nl = memchr(line, '\n', header->len - *pos);
		size_t len = (size_t)(nl - line);

		*nl = '\0';
		*pos += len + 1;
		if (!is_own_key(line, len))
			return line;
	}
	return NULL;
}

/* 0 when a and b may be merged, or -1 with the first line that differs
 * named in error. */
static int
compare_headers(const struct model *a, const char *a_name,
                const struct model *b, const char *b_name, char *error,
                size_t error_len)
{
	struct out ha, hb;
	size_t pa = 0, pb = 0;
	int differ = 0;

	out_init_memory(&ha);
	out_init_memory(&hb);
	model_write_header(&ha, a);
	model_write_header(&hb, b);
	for (;;) {
		char *la = next_shared_line(&ha, &pa);
		char *lb = next_shared_line(&hb, &pb);

		if (la == NULL && lb == NULL)
			break;
		if (la != NULL && lb != NULL && strcmp(la, lb) == 0)
			continue;
		differ = 1;
		snprintf(error, error_len, "cannot merge '%s' with '%s': %s%s%s "
		         "where '%s' has %s%s%s", b_name, a_name,
		         lb ? "'" : "", lb ? lb : "nothing", lb ? "'" : "",
		         a_name, la ? "'" : "", la ? la : "nothing",
		         la ? "'" : "");
		break;
	}
	free(ha.buf);
	free(hb.buf);
	return differ ? -1 : 0;
}

/* --- Merging ---------------------------------------------------------- */

/* Move add's trees after into's; add keeps no tree. */
static void
append_trees(struct model *into, struct model *add)
{
	struct forest *f = &into->forest;

	f->tree = xreallocarray(f->tree, f->ntree + add->forest.ntree,
	                        sizeof *f->tree);
	memcpy(f->tree + f->ntree, add->forest.tree,
	       add->forest.ntree * sizeof *f->tree);
	f->ntree += add->forest.ntree;
	add->forest.ntree = 0;
	/* The scoring layout covered the first input's trees only. */
	flat_free(f->flat);
	f->flat = NULL;
	into->rows = into->rows > UINT64_MAX - add->rows ? UINT64_MAX :
	             into->rows + add->rows;
}

int
model_merge_files(struct model *m, char **paths, size_t n,
                  int *same_threshold, char *error, size_t error_len)
{
	size_t i;

	*same_threshold = 1;
	if (model_load(m, paths[0], error, error_len) < 0)
		return -1;
	for (i = 1; i < n; i++) {
		struct model add;

		if (model_load(&add, paths[i], error, error_len) < 0 ||
		    compare_headers(m, paths[0], &add, paths[i], error,
		                    error_len) < 0) {
			model_free(&add);
			model_free(m);
			return -1;
		}
		if (m->forest.ntree > TREES_MAX - add.forest.ntree) {
			snprintf(error, error_len, "cannot merge '%s': more than "
			         "%zu trees in all", paths[i], TREES_MAX);
			model_free(&add);
			model_free(m);
			return -1;
		}
		if (add.threshold != m->threshold ||
		    add.contamination != m->contamination)
			*same_threshold = 0;
		append_trees(m, &add);
		model_free(&add);
	}
	forest_prepare(&m->forest);
	return 0;
}

/* --- Setting the threshold -------------------------------------------- */

size_t *
model_columns(const struct model *m, const struct tsv *t)
{
	size_t n = m->nraw;
	size_t *cols = xreallocarray(NULL, n, sizeof *cols);
	long missing = tsv_find_columns(t, m->feature, n, cols);
	char *needed;

	if (missing < 0)
		return cols;
	needed = join_names(m->feature, n);
	if (t->headerless)
		die("missing feature column '%s' in --columns (the model "
		    "needs: %s)", m->feature[missing], needed);
	die("%s:%lu: missing feature column '%s' (the model needs: %s)",
	    t->name, t->line, m->feature[missing], needed);
}

/* Score the block's rows and keep their scores. */
static void
score_block(const struct model *m, const double *rows, size_t n,
            double *scores, int threads, struct rowstore *kept)
{
	size_t i;

	forest_score_rows(&m->forest, rows, n, scores, threads);
	for (i = 0; i < n; i++)
		rowstore_add(kept, &scores[i]);
}

long
model_group_column(const struct model *m, const struct tsv *t)
{
	long col;

	if (m->context.group == NULL)
		return -1;
	col = tsv_column(t, m->context.group);
	if (col >= 0)
		return col;
	if (t->headerless)
		die("missing group column '%s' in --columns (the model's "
		    "context is per '%s')", m->context.group,
		    m->context.group);
	die("%s:%lu: missing group column '%s' (the model's context is per "
	    "'%s')", t->name, t->line, m->context.group, m->context.group);
}

struct context *
model_context(const struct model *m, size_t max_groups)
{
	if (m->context.window == 0)
		return NULL;
	if (!context_fits(&m->context, m->nraw, max_groups))
		usage_error("invalid value '%zu' for --max-groups: the model's "
		            "windows of %u readings could take more than %zu "
		            "GiB", max_groups, m->context.window,
		            CONTEXT_MEMORY_MAX >> 30);
	return context_new(&m->context, m->nraw, max_groups);
}

/* A row's context features after its raw ones, as iftrain and ifscore
 * compute them; 0, or -1 (reported) for a series beyond max_groups. */
static int
add_context(struct context *c, struct tsv *t, long group_col,
            size_t max_groups, double *x)
{
	const struct tsv_field *g = group_col >= 0 ? &t->field[group_col] :
	                            NULL;

	if (context_apply(c, g ? g->p : NULL, g ? g->n : 0, x) == 0)
		return 0;
	tsv_warn(t, group_col, "a new group '%.*s' over --max-groups %zu",
	         (int)g->n, g->p, max_groups);
	return -1;
}

void
model_rethreshold(struct model *m, struct tsv *t, double contamination,
                  int threads, size_t max_groups, struct rethreshold *r)
{
	size_t d = m->forest.nfeature, n = 0, i;
	size_t *cols = model_columns(m, t);
	long group_col = model_group_column(m, t);
	struct context *context = model_context(m, max_groups);
	double *rows = xreallocarray(NULL, RETHRESHOLD_BLOCK,
	                             d * sizeof *rows);
	double *scores = xreallocarray(NULL, RETHRESHOLD_BLOCK,
	                               sizeof *scores);
	struct rowstore kept;

	memset(r, 0, sizeof *r);
	rowstore_init(&kept, 1, SCORES_KEPT, m->seed);
	while (tsv_next(t)) {
		double *x = rows + n * d;
		long missing = tsv_features(t, cols, m->nraw, x);

		if (missing < 0)
			continue;
		if ((size_t)missing == m->nraw) {
			r->skipped_empty++;
			continue;
		}
		if (context && add_context(context, t, group_col, max_groups,
		                           x) < 0)
			continue;
		if (++n == RETHRESHOLD_BLOCK) {
			score_block(m, rows, n, scores, threads, &kept);
			n = 0;
		}
	}
	score_block(m, rows, n, scores, threads, &kept);
	r->scored = kept.seen;
	r->kept = kept.n;
	if (kept.n > 0) {
		m->threshold = contamination_threshold(kept.rows, kept.n,
		                                       contamination);
		m->contamination = contamination;
	}
	for (i = 0; i < kept.n; i++)
		r->flagged += forest_is_anomaly(kept.rows[i], m->threshold);
	context_free(context);
	rowstore_free(&kept);
	free(scores);
	free(rows);
	free(cols);
}
