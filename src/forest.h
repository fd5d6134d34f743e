/* forest.h: the Isolation Forest (Liu, Ting and Zhou, ICDM 2008) with the
 * semantics of scikit-learn's IsolationForest.
 *
 * A tree is grown on psi rows drawn without replacement.  At a node one
 * feature is picked uniformly among those not constant there and a split
 * drawn uniformly in [min, max); values <= split go left.  A node is a leaf
 * at the height limit ceil(log2 psi), with fewer than two rows, or when
 * every feature is constant.  The path length of x is the depth of its
 * leaf plus c(rows in that leaf); the score is 2^(-mean path / c(psi)).
 *
 * Extended (Hariri, Carrasco Kind and Brunner, 2018): with extension
 * level L > 0 a node splits by a random hyperplane through L + 1 of the
 * features not constant there: normal components from N(0, 1) divided by
 * each feature's range in the node (so the forest, like the standard one,
 * does not depend on the features' units), a point drawn uniformly in the
 * node's bounding box, left when (x - p).n <= 0.
 *
 * Missing values (NaN) are never compared.  Training leaves them out of a
 * node's ranges, and at a split on a feature a row lacks, the row follows
 * both branches, its weight shared as the training rows with the value
 * went.  Scoring does the same, and the path length is the weighted sum.
 * A node's size is the weight of the rows that reached it.
 *
 * Range penalty (after isotree's penalize_range; iforest(5) version 2):
 * every split keeps the range [lo, hi] of its value (a hyperplane: of its
 * sum) among the node's known training rows, widened by half its width
 * on either side: [lo - w/2, hi + w/2], w = hi - lo, twice as wide with
 * the same middle (isotree centres its [split - w, split + w] on the
 * split; tests/bench/range-rules measures both).  A row whose value (or
 * sum) lies outside is isolated there: its path length in the tree is the
 * node's depth + 1, as if the split had cut it off alone.  A sum that is not a
 * number (values near +-DBL_MAX) lies outside every range.  A missing
 * value is never outside: the row follows both branches as without the
 * rule, and a hyperplane judges the sum of the known terms. */
#ifndef IFTOOLS_FOREST_H
#define IFTOOLS_FOREST_H

#include <stddef.h>
#include <stdint.h>

enum { NODE_LEAF = -1, NODE_PLANE = -2 };

struct node {
	int32_t feature;  /* split feature, NODE_LEAF or NODE_PLANE */
	uint32_t left;    /* children's indices, both greater than this */
	uint32_t right;
	uint32_t term;    /* NODE_PLANE: its terms, tree->term[term..] */
	uint32_t nterm;
	double split;     /* a feature split: values <= split go left */
	double size;      /* weight of the training rows that reached it */
	double path;      /* leaf: depth + c(size); split: depth + 1, the
	                   * path of a row it isolates; derived from the tree */
	double low, high; /* range penalty: outside it a row is isolated */
};

/* One feature's part of a hyperplane: (x[feature] - point) * normal. */
struct term {
	uint32_t feature;
	double normal, point;
};

struct tree {
	uint32_t nnode;
	struct node *node; /* node[0] is the root */
	uint32_t nterm;
	struct term *term;
};

struct forest {
	size_t nfeature;
	size_t ntree;
	struct tree *tree;
	size_t sample_size; /* psi: rows each tree was grown on */
	double c_psi;       /* c(psi): normalises the mean path length */
	unsigned extension; /* 0: feature splits; L: hyperplanes of L+1 */
	int penalize_range; /* isolate rows outside a split's range */
	struct flat *flat;  /* the scoring layout (forest_prepare), or NULL */
};

/* c(n): the average path length of an unsuccessful search in a binary
 * search tree of n keys, which is what a leaf of n rows adds. */
double forest_c(double n);

/* ceil(log2 psi), and the most nodes a tree of that height can have. */
unsigned forest_height_limit(size_t psi);
size_t forest_max_nodes(size_t psi);

struct sampler;
struct flat;

/* Grow the forest from the samples, with f->extension already set.  It
 * scores faster after forest_prepare. */
void forest_grow(struct forest *f, struct sampler *s, int threads);
void forest_free(struct forest *f);

/* Fill in every leaf's path length from the tree's shape and sizes. */
void tree_finish(struct tree *t);

/* The one rule for the side of a hyperplane's sum, for every walk: right
 * when the sum is above 0, and when it is not a number (values near
 * +-DBL_MAX can add up to inf - inf), as training has always sent it. */
static inline int
plane_sum_right(double v)
{
	return !(v <= 0);
}

/* The sum of (x - point) * normal over the terms whose feature the row
 * has, in order; *known counts them.  A missing value counts as if it sat
 * on the plane's point. */
static inline double
plane_sum(const struct term *term, uint32_t nterm, const double *x,
          uint32_t *known)
{
	double v = 0;
	uint32_t k;

	*known = 0;
	for (k = 0; k < nterm; k++) {
		double xk = x[term[k].feature];

		if (xk == xk) {
			v += (xk - term[k].point) * term[k].normal;
			++*known;
		}
	}
	return v;
}

/* Which way a row goes: -1 left, 1 right, 0 both.  A hyperplane is
 * judged on the features the row has; only a row with none of them
 * follows both branches. */
static inline int
plane_side(const struct term *term, uint32_t nterm, const double *x)
{
	uint32_t known;
	double v = plane_sum(term, nterm, x, &known);

	if (known == 0)
		return 0;
	return plane_sum_right(v) ? 1 : -1;
}

static inline int
node_side(const struct tree *t, const struct node *n, const double *x)
{
	double v;

	if (n->feature == NODE_PLANE)
		return plane_side(t->term + n->term, n->nterm, x);
	v = x[n->feature];
	if (v != v)
		return 0;
	return v <= n->split ? -1 : 1;
}

/* Whether row x of d features lacks a value: it needs the general walk. */
static inline int
row_has_missing(const double *x, size_t d)
{
	size_t i;

	for (i = 0; i < d; i++)
		if (x[i] != x[i])
			return 1;
	return 0;
}

/* Whether the range penalty isolates row x at split n: its value (or
 * sum) is outside [low, high].  A missing value is never outside. */
static inline int
node_isolates(const struct tree *t, const struct node *n, const double *x)
{
	double v;

	if (n->feature == NODE_PLANE) {
		uint32_t known;

		v = plane_sum(t->term + n->term, n->nterm, x, &known);
		if (known == 0)
			return 0;
	} else {
		v = x[n->feature];
		if (v != v)
			return 0;
	}
	return !(v >= n->low && v <= n->high);
}

/* Release the scoring layout (forest_free does it too). */
void flat_free(struct flat *fl);

/* Build the layout the block scorer walks (flat.h): every tree as a
 * perfect binary tree of 32-bit nodes that compare ranks (or of the terms
 * of hyperplanes), so a walk is a fixed number of branch-free steps, and
 * pick the walk for this processor (AVX-512 where it has it, unless
 * IFTOOLS_SIMD=0).  Forests deeper than the layout allows keep the
 * general walk. */
void forest_prepare(struct forest *f);

/* Score n rows (row-major, nfeature each) on this thread, a tree at a time
 * so each stays in cache; bit-identical to forest_score on each row. */
void forest_score_block(const struct forest *f, const double *rows,
                        size_t n, double *scores);

/* The sum over trees of the path length of row x. */
double forest_path_sum(const struct forest *f, const double *x);
/* The anomaly score of a path-length sum, in (0, 1]. */
double forest_score_of(const struct forest *f, double path_sum);
static inline double
forest_score(const struct forest *f, const double *x)
{
	return forest_score_of(f, forest_path_sum(f, x));
}
/* Whether a score flags an anomaly: above the threshold.  A path-length
 * sum carries rounding, so a row exactly at the threshold (identical rows
 * score exactly 0.5 in exact arithmetic) could tip over it by the last
 * bit: a score must exceed the threshold by more than 1e-12. */
static inline int
forest_is_anomaly(double score, double threshold)
{
	return score > threshold + 1e-12;
}

/* Score n rows (row-major, nfeature each) with threads workers. */
void forest_score_rows(const struct forest *f, const double *rows, size_t n,
                       double *scores, int threads);


#endif
