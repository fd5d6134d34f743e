/* adapt.c: the forest that learns from the stream it scores (adapt.h). */
#include "adapt.h"
#include "forest.h"
#include "rng.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The random stream of the draw after row `rows`: apart from the trees'
 * streams (0 .. trees - 1) and iftrain's row store (UINT64_MAX). */
#define ADAPT_STREAM (UINT64_C(1) << 62)

void
adapt_init(struct adapt *a, struct forest *f, size_t window, int all,
           double threshold, double contamination, uint64_t seed)
{
	memset(a, 0, sizeof *a);
	a->f = f;
	a->nfeature = f->nfeature;
	a->window = window;
	a->interval = window / f->ntree > 0 ? window / f->ntree : 1;
	a->all = all;
	a->threshold = threshold;
	a->contamination = contamination;
	a->seed = seed;
	a->x = xreallocarray(NULL, window, a->nfeature * sizeof *a->x);
	a->score = xreallocarray(NULL, window, sizeof *a->score);
	a->flag = xcalloc(window, 1);
	a->sample = xreallocarray(NULL, f->sample_size,
	                          a->nfeature * sizeof *a->sample);
	a->taken = xcalloc(window, sizeof *a->taken);
	a->sorted = xreallocarray(NULL, window, sizeof *a->sorted);
	a->at = xreallocarray(NULL, ADAPT_ROWS_MAX, sizeof *a->at);
	/* At most one replacement a row. */
	a->pending = xreallocarray(NULL, ADAPT_ROWS_MAX, sizeof *a->pending);
	forest_prepare_replaceable(f);
}

void
adapt_free(struct adapt *a)
{
	free(a->x);
	free(a->score);
	free(a->flag);
	free(a->sample);
	free(a->taken);
	free(a->sorted);
	free(a->at);
	free(a->pending);
}

static void
remember(struct adapt *a, const double *x, double score, int flagged)
{
	size_t at = a->head;

	if (a->fill == a->window)
		a->flagged -= a->flag[at];
	else
		a->fill++;
	memcpy(a->x + at * a->nfeature, x, a->nfeature * sizeof *x);
	a->score[at] = score;
	a->flag[at] = (unsigned char)flagged;
	a->flagged += (size_t)flagged;
	a->head = at + 1 == a->window ? 0 : at + 1;
}

/* Whether a flagged row may enter a sample: with --adapt-all, or when
 * the threshold is fixed (adapt.h says why). */
static int
take_flagged(const struct adapt *a)
{
	return a->all || a->contamination == 0;
}

/* Draw sample_size distinct rows of the window that may be taken, into
 * a->sample; 0 when there are too few.  Rejection is cheap: all but
 * the contamination share of the window may be taken. */
static int
draw_sample(struct adapt *a, struct rng *rng)
{
	size_t psi = a->f->sample_size, d = a->nfeature, got = 0;
	int flagged_too = take_flagged(a);
	uint64_t mark = a->replaced + 1;

	if ((flagged_too ? a->fill : a->fill - a->flagged) < psi)
		return 0;
	while (got < psi) {
		size_t slot = (size_t)rng_below(rng, a->fill);

		if (a->taken[slot] == mark || (a->flag[slot] && !flagged_too))
			continue;
		a->taken[slot] = mark;
		memcpy(a->sample + got++ * d, a->x + slot * d, d * sizeof *a->x);
	}
	return 1;
}

/* The k-th smallest of v[0..n) (Wirth's selection); v is reordered. */
static double
select_kth(double *v, size_t n, size_t k)
{
	long lo = 0, hi = (long)n - 1, kk = (long)k;

	while (lo < hi) {
		double pivot = v[kk];
		long i = lo, j = hi;

		do {
			while (v[i] < pivot)
				i++;
			while (pivot < v[j])
				j--;
			if (i <= j) {
				double t = v[i];

				v[i++] = v[j];
				v[j--] = t;
			}
		} while (i <= j);
		if (j < kk)
			lo = i;
		if (kk < i)
			hi = j;
	}
	return v[k];
}

/* The score the contamination share of the window exceeds: as iftrain
 * sets it, numpy's linear quantile of the negated scores. */
static double
window_threshold(struct adapt *a)
{
	size_t n = a->fill, below, i;
	double position, t, lo, hi;

	for (i = 0; i < n; i++)
		a->sorted[i] = -a->score[i];
	position = a->contamination * (double)(n - 1);
	below = (size_t)floor(position);
	if (below >= n - 1)
		return -select_kth(a->sorted, n, n - 1);
	t = position - (double)below;
	lo = select_kth(a->sorted, n, below);
	/* The next order statistic: the least of what lies above it. */
	hi = a->sorted[below + 1];
	for (i = below + 2; i < n; i++)
		if (a->sorted[i] < hi)
			hi = a->sorted[i];
	return -(t < 0.5 ? lo + (hi - lo) * t : hi - (hi - lo) * (1 - t));
}

/* At a replacement point: a tree grown on the window, for the oldest
 * tree's place (*slot); 0 when the window is too short to draw from. */
static int
grow_from_window(struct adapt *a, struct tree *tree, size_t *slot)
{
	struct rng rng;

	rng_seed(&rng, a->seed, ADAPT_STREAM + a->rows);
	if (!draw_sample(a, &rng))
		return 0;
	forest_grow_tree(a->f, tree, a->sample, a->f->sample_size, &rng);
	*slot = a->oldest;
	a->oldest = (a->oldest + 1) % a->f->ntree;
	a->replaced++;
	return 1;
}

/* At a replacement point: the oldest tree makes way for one grown on the
 * window, and the threshold follows. */
static void
adapt_step(struct adapt *a)
{
	struct tree tree;
	size_t slot;

	if (grow_from_window(a, &tree, &slot))
		forest_replace_tree(a->f, slot, &tree);
	if (a->contamination > 0 && a->fill > 0)
		a->threshold = window_threshold(a);
}

/* With a fixed threshold the trees do not depend on the scores (every
 * row is drawn from), so the rows are first put in the window and the
 * trees grown, then walked a tree at a time: each tree's place over the
 * rows before its replacement, then its successor over the rest.  Every
 * row meets the trees it would meet walked in order, added in the same
 * order, so the scores are the same; the trees stay in cache. */
static void
adapt_rows_fixed(struct adapt *a, const double *x, const unsigned char *ok,
                 size_t n, double *score, unsigned char *flag)
{
	struct forest *f = a->f;
	size_t d = a->nfeature, npending = 0, i, t, k;
	int complete = 1;

	for (i = 0; i < n * d; i++)
		complete &= x[i] == x[i];
	for (i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		a->at[i] = a->head;
		remember(a, x + i * d, 0, 0);
		a->rows++;
		if (a->rows % a->interval == 0 &&
		    grow_from_window(a, &a->pending[npending].tree,
		                     &a->pending[npending].slot))
			a->pending[npending++].from = i + 1;
	}
	memset(score, 0, n * sizeof *score);
	for (t = 0; t < f->ntree; t++) {
		size_t from = 0;

		for (k = 0; k < npending; k++) {
			if (a->pending[k].slot != t)
				continue;
			forest_tree_paths(f, t, x + from * d,
			                  a->pending[k].from - from, complete,
			                  score + from);
			forest_replace_tree(f, t, &a->pending[k].tree);
			from = a->pending[k].from;
		}
		forest_tree_paths(f, t, x + from * d, n - from, complete,
		                  score + from);
	}
	/* The window's scores and flags, in row order: a slot that two of
	 * the rows took ends with the later one's. */
	for (i = 0; i < n; i++) {
		size_t at = a->at[i];

		if (!ok[i])
			continue;
		score[i] = forest_score_of(f, score[i]);
		flag[i] = forest_is_anomaly(score[i], a->threshold);
		a->flagged -= a->flag[at];
		a->flag[at] = flag[i];
		a->flagged += flag[i];
		a->score[at] = score[i];
	}
}

void
adapt_rows(struct adapt *a, const double *x, const unsigned char *ok,
           size_t n, double *score, unsigned char *flag)
{
	size_t d = a->nfeature, start = 0, i;

	if (a->contamination == 0 && n <= ADAPT_ROWS_MAX) {
		adapt_rows_fixed(a, x, ok, n, score, flag);
		return;
	}
	while (start < n) {
		/* The segment up to the next replacement point: the forest
		 * is the same for every row of it. */
		uint64_t left = a->interval - a->rows % a->interval;
		size_t end = start;

		for (; end < n && left > 0; end++)
			left -= ok[end] != 0;
		forest_score_block(a->f, x + start * d, end - start,
		                   score + start);
		for (i = start; i < end; i++) {
			if (!ok[i])
				continue;
			flag[i] = forest_is_anomaly(score[i], a->threshold);
			remember(a, x + i * d, score[i], flag[i]);
			a->rows++;
		}
		if (left == 0)
			adapt_step(a);
		start = end;
	}
}
