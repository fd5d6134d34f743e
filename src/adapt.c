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

/* At a replacement point: the oldest tree makes way for one grown on the
 * window, and the threshold follows. */
static void
adapt_step(struct adapt *a)
{
	struct rng rng;
	struct tree tree;

	rng_seed(&rng, a->seed, ADAPT_STREAM + a->rows);
	if (draw_sample(a, &rng)) {
		forest_grow_tree(a->f, &tree, a->sample, a->f->sample_size,
		                 &rng);
		forest_replace_tree(a->f, a->oldest, &tree);
		a->oldest = (a->oldest + 1) % a->f->ntree;
		a->replaced++;
	}
	if (a->contamination > 0 && a->fill > 0)
		a->threshold = window_threshold(a);
}

void
adapt_rows(struct adapt *a, const double *x, const unsigned char *ok,
           size_t n, double *score, unsigned char *flag)
{
	size_t d = a->nfeature, start = 0, i;

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
