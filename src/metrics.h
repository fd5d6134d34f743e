/* metrics.h: the figures that judge a set of anomaly scores.
 *
 * Running moments take constant memory.  Quantiles and the ranking metrics
 * (ROC AUC, average precision) need every score: a scoreset keeps them as
 * doubles, 8 bytes a score, split by label so that no label array is
 * needed.  The definitions follow numpy and scikit-learn so that figures
 * can be checked against them:
 *
 *   quantile        numpy.quantile's default ("linear"): position q*(n-1)
 *                   in the sorted scores, interpolated between neighbours;
 *   roc_auc         sklearn.metrics.roc_auc_score: the trapezoidal area
 *                   under the ROC curve over distinct thresholds, which
 *                   equals the Mann-Whitney U statistic / (npos * nneg),
 *                   a tie between a positive and a negative counting 1/2;
 *   average_prec.   sklearn.metrics.average_precision_score: the sum over
 *                   distinct thresholds, highest first, of
 *                   (R_n - R_{n-1}) * P_n, without interpolation.
 *
 * An undefined figure (a mean of nothing, an AUC with one class) is NaN. */
#ifndef IFTOOLS_METRICS_H
#define IFTOOLS_METRICS_H

#include <stddef.h>

/* Count, mean and variance in one pass (Welford's update), on the values
 * scaled by a power of two that bounds them all, so that neither a sum
 * nor a square overflows: values near +-1.8e308 have a finite mean.  The
 * mean is always finite; a standard deviation beyond the largest double
 * (values spread over most of its range) is infinite. */
struct moments {
	unsigned long long n;
	int exp;                   /* every value seen is below 2^exp, exp >= 0 */
	double bound, unscale;     /* 2^exp (inf for 1024) and 2^-exp */
	double mean, m2;           /* of the values times 2^-exp */
};

void moments_add(struct moments *m, double x);
double moments_mean(const struct moments *m);  /* NaN when n == 0 */
double moments_sd(const struct moments *m);    /* sample (n - 1); NaN when n < 2 */

/* Scores of negative (label 0, or unlabelled) and positive examples. */
struct scoreset {
	double *neg, *pos;
	size_t nneg, npos, neg_cap, pos_cap;
	int sorted;
};

/* A zeroed struct scoreset is an empty set. */
void scoreset_add(struct scoreset *s, double score, int positive);
/* Empty the set, keeping its memory for reuse. */
void scoreset_clear(struct scoreset *s);
void scoreset_free(struct scoreset *s);
size_t scoreset_count(const struct scoreset *s);

/* These sort the set in place first (once). */
double scoreset_quantile(struct scoreset *s, double q); /* q in [0, 1] */
double scoreset_roc_auc(struct scoreset *s);      /* NaN with one class */
double scoreset_average_precision(struct scoreset *s); /* NaN with no positive */

/* Scores in [0, 1] of negative and positive examples as counts of the
 * scores rounded to SCORETABLE_STEP: memory bounded whatever the number of
 * scores (at most 2 * 8 bytes a bin, allocated in blocks as bins are
 * used).  Quantiles are those of the rounded scores, except that the
 * smallest and largest are exact, so within SCORETABLE_STEP / 2 of the
 * exact ones; scores in one bin count as tied in the AUC and the AP. */
#define SCORETABLE_STEP 1e-4
struct scoretable {
	unsigned long long (**block)[2]; /* [bin / block][bin % block][pos] */
	unsigned long long nneg, npos;
	double min, max;
};

/* A zeroed struct scoretable is an empty table. */
void scoretable_add(struct scoretable *t, double score, int positive);
void scoretable_clear(struct scoretable *t);
void scoretable_free(struct scoretable *t);
double scoretable_quantile(const struct scoretable *t, double q);
double scoretable_roc_auc(const struct scoretable *t);
double scoretable_average_precision(const struct scoretable *t);

/* Sort doubles (no NaN) ascending, in place, in O(n log n). */
void sort_doubles(double *v, size_t n);

#endif
