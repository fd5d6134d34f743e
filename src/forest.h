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
 * Missing values (NaN) are never compared: at a split on a feature the
 * row lacks, the row follows both branches, weighted by the share of
 * training rows that went each way, and its path length is the weighted
 * sum. */
#ifndef IFTOOLS_FOREST_H
#define IFTOOLS_FOREST_H

#include <stddef.h>
#include <stdint.h>

struct node {
	int32_t feature;  /* split feature, or -1 for a leaf */
	uint32_t left;    /* children's indices, both greater than this */
	uint32_t right;
	double split;     /* internal: values <= split go left */
	double size;      /* training rows that reached this node */
	double path;      /* leaf: depth + c(size), derived from the tree */
};

struct tree {
	uint32_t nnode;
	struct node *node; /* node[0] is the root */
};

struct forest {
	size_t nfeature;
	size_t ntree;
	struct tree *tree;
	size_t sample_size; /* psi: rows each tree was grown on */
	double c_psi;       /* c(psi): normalises the mean path length */
	struct flat *flat;  /* the scoring layout (forest_prepare), or NULL */
};

/* c(n): the average path length of an unsuccessful search in a binary
 * search tree of n keys, which is what a leaf of n rows adds. */
double forest_c(double n);

struct sampler;

/* Grow the forest from the samples. */
void forest_grow(struct forest *f, struct sampler *s, int threads);
void forest_free(struct forest *f);

/* Fill in every leaf's path length from the tree's shape and sizes. */
void tree_finish(struct tree *t);

/* Build the layout the block scorer walks: every tree as a perfect binary
 * tree in breadth-first arrays, a leaf above the bottom padded with nodes
 * that always go left, so a walk is a fixed number of branch-free steps.
 * Forests deeper than the layout allows keep the general walk. */
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
/* Score n rows (row-major, nfeature each) with threads workers. */
void forest_score_rows(const struct forest *f, const double *rows, size_t n,
                       double *scores, int threads);

/* The number of workers to use when the user did not say: online CPUs. */
int default_threads(void);

#endif
