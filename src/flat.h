/* flat.h: the layout the block scorer walks, shared by score.c and the
 * walks written for particular processors (walk_avx512.c).
 *
 * Every tree is a perfect binary tree of `depth` levels of internal nodes
 * in heap order from 1 (the children of node i are 2i and 2i + 1, so
 * level L is nodes 2^L .. 2^(L+1) - 1), a leaf above the bottom padded
 * with nodes that send every row left.  A walk is then `depth` steps with
 * no branch, ending at node 2^depth + the leaf's place in its level.
 *
 * The walk compares ranks, not values.  A feature's cuts are the distinct
 * split values on it anywhere in the forest, in ascending order; a node
 * holds its split's index among them, and a row's value becomes the number
 * of cuts below it.  A value exceeds the cut at index k exactly when more
 * than k cuts lie below it, so the comparison is exact, it fits 32-bit
 * words, and a node is one word: rank << fbits | feature.
 *
 * A forest with hyperplanes (extension > 0) is laid out the same way, but
 * a node is nterm terms, and a row goes right when the sum of
 * (x[feature] - point) * normal over them, in order, is above 0, as in
 * plane_side.  A plane with fewer terms, and a padding node, end in terms
 * of normal 0, which add nothing; a feature split is the one term
 * (x - split) * 1, whose sign is exact.
 *
 * With the range penalty (forest.h) a row outside its node's range stays
 * at that node for the rest of the walk (the same test there keeps it
 * there), and the path lengths are a table of every node word, leaves
 * and internal nodes alike, the latter holding depth + 1, the path of a
 * row they isolate.  In ranks, a feature's cuts then also hold every
 * split's high bound and the double just below its low one, so the test
 * is exact: with lo the rank of the first and hi that of the second,
 * plus 1 each, a rank r is inside when lo <= r < hi, that is when r - lo
 * < hi - lo in unsigned arithmetic; a node holds lo and span = hi - lo.
 * A padding node has lo 0 and span UINT32_MAX, which no rank reaches.
 * With hyperplanes, each node has its range, judged on the sum (on the
 * value itself for a feature split); a padding node's range is [0, 0],
 * and its sum 0. */
#ifndef IFTOOLS_FLAT_H
#define IFTOOLS_FLAT_H

#include <stddef.h>
#include <stdint.h>

/* A block is up to FLAT_BLOCK rows; its ranks are stored feature by
 * feature, rank[(f << FLAT_BLOCK_SHIFT) + row]. */
enum { FLAT_BLOCK_SHIFT = 8, FLAT_BLOCK = 1 << FLAT_BLOCK_SHIFT };

/* Deeper forests (a sample size over 2^16) keep the general walk: the
 * padded layout grows as 2^depth. */
enum { FLAT_DEPTH_MAX = 16 };

/* A tree's node words start on a 64-byte boundary and take at least 32
 * words, so a walk may load nodes 0..31 whatever the depth. */
enum { FLAT_MIN_STRIDE = 32 };

/* A layout holds at most FLAT_PAD_RATIO padded nodes per node of the
 * model, beyond the first FLAT_PAD_FREE: a forest of degenerate trees
 * (chains as deep as a large sample allows) keeps the general walk
 * rather than a padded copy thousands of times its size.  Trained
 * forests pad to about twice their nodes. */
enum { FLAT_PAD_RATIO = 16, FLAT_PAD_FREE = 1 << 16 };

struct flat;

/* Add each tree's path length, tree by tree in order, to sums[0..n) for
 * the n <= FLAT_BLOCK rows whose ranks are given. */
typedef void flat_walk_fn(const struct flat *fl, const uint32_t *rank,
                          size_t n, double *sums);

struct flat_term {
	double normal, point;
	uint64_t feature;
};

/* A node's range penalty in a layout of hyperplanes: the value judged is
 * the sum, or x[feature] when on_value (a feature split). */
struct flat_range {
	double low, high;
	uint32_t feature, on_value;
};

struct flat {
	size_t ntree;
	size_t nfeature;
	unsigned depth;      /* levels of internal nodes: 2^depth leaves */
	unsigned fbits;      /* low bits of a node word that hold the feature */
	size_t stride;       /* node words per tree: max(2^depth, 32) */
	uint32_t *node;      /* [tree][stride]; word 0 of each is unused */
	double *leaf;        /* [tree][leaf_stride]: the path length at */
	size_t leaf_stride;  /* node word i is leaf[i - leaf_first]: */
	size_t leaf_first;   /* leaves alone, 2^depth, or every node word */
	unsigned nterm;      /* terms of a node with hyperplanes, else 0 */
	struct flat_term *term; /* [tree][stride][nterm] with hyperplanes */
	uint32_t *range_lo;  /* range penalty, ranks: [tree][stride] */
	uint32_t *range_span; /* range penalty, ranks: [tree][stride] */
	struct flat_range *range; /* range penalty, hyperplanes: [tree][stride] */
	double *cut;         /* every feature's cuts, feature by feature */
	size_t *cut_start;   /* [nfeature + 1]: feature f's cuts begin here */
	flat_walk_fn *walk;  /* the fastest walk this processor can run */
};

flat_walk_fn flat_walk_portable, flat_walk_portable_ranged;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FLAT_HAVE_AVX512 1
flat_walk_fn flat_walk_avx512, flat_walk_avx512_ranged;
#endif

#endif
