/* merge.h: one model from the trees of several (iftrain -m A -m B), a
 * model's threshold set anew from its scores of data, and what both this
 * and ifscore need to read a model's inputs: its columns, its group
 * column, its context state.
 *
 * Models merge when they agree on everything scoring reads: every header
 * line (iforest(5)) but the magic line and trees, seed, rows, threshold
 * and contamination must be equal as written, so a key added to the
 * format is compared without a change here.  The trees follow in the
 * order of the inputs; rows add up, the first input's seed is kept. */
#ifndef IFTOOLS_MERGE_H
#define IFTOOLS_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct tsv;

/* Load paths[0..n) and merge them into m, in order.  0, or -1 with the
 * message in error (the file and its first difference from paths[0]).
 * *same_threshold is 1 when every input has the same threshold and
 * contamination (m then has them), else 0 (m has the first input's). */
int model_merge_files(struct model *m, char **paths, size_t n,
                      int *same_threshold, char *error, size_t error_len);

/* The input column of every raw feature of m (the context features are
 * computed), or exit naming what is missing and what the model needs. */
size_t *model_columns(const struct model *m, const struct tsv *t);

/* The input column of the context's group column, -1 for a model with
 * no group column, or exit naming it. */
long model_group_column(const struct model *m, const struct tsv *t);

/* The state of m's context features for at most max_groups series (NULL
 * for a model without context), or a usage error of --max-groups when
 * it could take more than CONTEXT_MEMORY_MAX bytes. */
struct context *model_context(const struct model *m, size_t max_groups);

struct rethreshold {
	uint64_t scored;        /* rows scored */
	uint64_t skipped_empty; /* rows left out: every feature missing */
	uint64_t flagged;       /* of the scores kept, those above the new
	                         * threshold */
	uint64_t kept;          /* scores kept: all, or a uniform sample */
};

/* Score t's rows (its header already read) with m as they stream, and
 * set m's threshold for the contamination share from their scores, as
 * iftrain does after training; a model with context computes it per
 * series, for at most max_groups series.  Memory is bounded: beyond 2^25
 * rows the quantile is taken over a uniform sample of that many scores.
 * A bad row is reported (t->failed is set) and left out. */
void model_rethreshold(struct model *m, struct tsv *t, double contamination,
                       int threads, size_t max_groups, struct rethreshold *r);

#endif
