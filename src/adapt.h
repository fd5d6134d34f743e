/* adapt.h: a forest that learns from the stream it scores (ifscore
 * --adapt W).
 *
 * The window holds the last W rows scored, with their scores and whether
 * they were flagged.  Every W / trees rows (at least 1) the oldest tree is
 * replaced by one grown on sample_size rows drawn without replacement
 * from the window; a replacement waits until the window holds enough rows
 * to draw from.
 *
 * For a model trained with a contamination (and no -T), the threshold
 * follows: at every replacement it becomes the score that the same share
 * of the window's rows exceed, as iftrain sets it, and the rows it flags
 * are kept out of the samples (unless --adapt-all): they are the share
 * the model was told are anomalies.  With a fixed threshold (contamination
 * auto, or -T) every row is drawn from: keeping the flagged rows out
 * would trim the tails of the normal rows from every sample, the forest
 * would tighten, flag more and trim more (ifscore(1): from 2.6% to 38%
 * of normal rows flagged), and a stream that moves to a new normal,
 * flagged whole at first, would never be learnt.
 *
 * Everything happens at fixed counts of scored rows, and each draw is
 * seeded from the model's seed and the row count, so the scores depend
 * only on the model, the options and the input: never on threads or on
 * how the input arrives. */
#ifndef IFTOOLS_ADAPT_H
#define IFTOOLS_ADAPT_H

#include <stddef.h>
#include <stdint.h>

#include "forest.h"

struct adapt {
	struct forest *f;          /* the forest that changes */
	size_t nfeature, window, interval;
	int all;                   /* --adapt-all */
	double contamination;      /* > 0: the threshold follows */
	uint64_t seed;
	/* The stream state (what a state file keeps): */
	double threshold;
	uint64_t rows;             /* rows scored so far */
	uint64_t replaced;         /* trees replaced so far */
	size_t oldest;             /* the tree replaced next */
	size_t fill, head;         /* rows in the window; the next slot */
	size_t flagged;            /* flagged rows in the window */
	double *x;                 /* [window][nfeature] */
	double *score;             /* [window] */
	unsigned char *flag;       /* [window] */
	/* Scratch: */
	double *sample;            /* [sample_size][nfeature] */
	uint64_t *taken;           /* per slot: the draw that took it */
	double *sorted;            /* [window] scores for the threshold */
	size_t *at;                /* [ADAPT_ROWS_MAX]: each row's slot */
	struct adapt_pending {     /* trees grown, not yet in the forest */
		struct tree tree;
		size_t slot, from; /* its place; the first row it scores */
	} *pending;
};

/* The most rows adapt_rows takes at once on its fastest path. */
enum { ADAPT_ROWS_MAX = 4096 };

/* window >= the forest's sample size; contamination 0 keeps threshold. */
void adapt_init(struct adapt *a, struct forest *f, size_t window, int all,
                double threshold, double contamination, uint64_t seed);
void adapt_free(struct adapt *a);

/* Score the n rows x[0..n) in order (row-major) into score[], flag[]
 * (1: above the threshold of its time), learning as the rows go.  Rows
 * with ok[i] == 0 are not scored and leave no trace. */
void adapt_rows(struct adapt *a, const double *x, const unsigned char *ok,
                size_t n, double *score, unsigned char *flag);

#endif
