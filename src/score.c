/* score.c: scoring rows with a forest: a fast branch-free walk over a
 * flat copy of each tree for complete rows, and the general walk, which
 * also handles missing values and hyperplanes. */
#include "forest.h"
#include "parallel.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* --- The flat layout for block scoring --------------------------------- */

/* Deeper forests (a sample size over 2^16) keep the general walk: the
 * padded layout would grow as 2^depth. */
enum { FLAT_DEPTH_MAX = 16, FLAT_BLOCK = 256 };

struct flat_node {
	double split;        /* a value <= split goes left */
	uint64_t feature;    /* a full word: the node is one 16-byte load */
};

struct flat {
	unsigned depth;      /* levels of internal nodes */
	size_t ninternal;    /* 2^depth - 1 per tree */
	struct flat_node *node; /* [tree][ninternal], breadth first */
	double *leaf;        /* [tree][2^depth]: path lengths */
};

void
flat_free(struct flat *fl)
{
	if (fl == NULL)
		return;
	free(fl->node);
	free(fl->leaf);
	free(fl);
}

static unsigned
tree_depth(const struct tree *t, uint32_t id)
{
	const struct node *n = &t->node[id];
	unsigned l, r;

	if (n->feature == NODE_LEAF)
		return 0;
	l = tree_depth(t, n->left);
	r = tree_depth(t, n->right);
	return 1 + (l > r ? l : r);
}

static void
flat_fill(struct flat *fl, size_t tree_index, const struct tree *t,
          uint32_t id, size_t heap, unsigned depth)
{
	const struct node *n = &t->node[id];
	struct flat_node *node = fl->node + tree_index * fl->ninternal;

	if (n->feature >= 0) {
		node[heap].feature = (uint64_t)n->feature;
		node[heap].split = n->split;
		flat_fill(fl, tree_index, t, n->left, 2 * heap + 1, depth + 1);
		flat_fill(fl, tree_index, t, n->right, 2 * heap + 2, depth + 1);
		return;
	}
	/* A leaf above the bottom: nodes that send every value left. */
	for (; depth < fl->depth; depth++)
		heap = 2 * heap + 1;
	fl->leaf[tree_index * (fl->ninternal + 1) + heap - fl->ninternal] =
	    n->path;
}

void
forest_prepare(struct forest *f)
{
	struct flat *fl;
	unsigned depth = 0;
	size_t t, i, nleaf;

	flat_free(f->flat);
	f->flat = NULL;
	for (t = 0; t < f->ntree; t++) {
		unsigned d = tree_depth(&f->tree[t], 0);

		if (d > depth)
			depth = d;
	}
	/* Hyperplanes keep the general walk. */
	if (depth > FLAT_DEPTH_MAX || f->extension > 0)
		return;
	fl = xcalloc(1, sizeof *fl);
	fl->depth = depth;
	nleaf = (size_t)1 << depth;
	fl->ninternal = nleaf - 1;
	fl->node = xreallocarray(NULL, f->ntree * fl->ninternal,
	                         sizeof *fl->node);
	for (i = 0; i < f->ntree * fl->ninternal; i++) {
		fl->node[i].feature = 0;
		fl->node[i].split = INFINITY; /* padding: always left */
	}
	fl->leaf = xcalloc(f->ntree * nleaf, sizeof *fl->leaf);
	for (t = 0; t < f->ntree; t++)
		flat_fill(fl, t, &f->tree[t], 0, 0, 0);
	f->flat = fl;
}

static int
has_missing(const double *x, size_t d)
{
	size_t i;

	for (i = 0; i < d; i++)
		if (x[i] != x[i])
			return 1;
	return 0;
}

/* One step down a flat tree: the branch is arithmetic, not a jump. */
#define FLAT_STEP(i, x) \
	((i) = 2 * (i) + 1 + ((x)[node[i].feature] > node[i].split))

/* Path-length sums of up to FLAT_BLOCK complete rows, tree by tree, eight
 * rows at a time so their independent walks overlap in the pipeline. */
static void
flat_path_sums(const struct flat *fl, size_t ntree, size_t d,
               const double *rows, size_t n, double *sums)
{
	size_t t, r, nleaf = fl->ninternal + 1;
	unsigned level, depth = fl->depth;

	for (r = 0; r < n; r++)
		sums[r] = 0;
	for (t = 0; t < ntree; t++) {
		const struct flat_node *node = fl->node + t * fl->ninternal;
		const double *leaf = fl->leaf + t * nleaf - fl->ninternal;

		for (r = 0; r + 16 <= n; r += 16) {
			const double *x = rows + r * d;
			size_t i[16] = { 0 }, k;

			for (level = 0; level < depth; level++)
				for (k = 0; k < 16; k++)
					FLAT_STEP(i[k], x + k * d);
			for (k = 0; k < 16; k++)
				sums[r + k] += leaf[i[k]];
		}
		for (; r < n; r++) {
			const double *x = rows + r * d;
			size_t i = 0;

			for (level = 0; level < depth; level++)
				FLAT_STEP(i, x);
			sums[r] += leaf[i];
		}
	}
}

void
forest_score_block(const struct forest *f, const double *rows, size_t n,
                   double *scores)
{
	size_t d = f->nfeature, start, r;

	if (f->flat == NULL) {
		for (r = 0; r < n; r++)
			scores[r] = forest_score(f, rows + r * d);
		return;
	}
	for (start = 0; start < n; start += FLAT_BLOCK) {
		size_t m = n - start < FLAT_BLOCK ? n - start : FLAT_BLOCK;
		const double *block = rows + start * d;
		double sums[FLAT_BLOCK];

		flat_path_sums(f->flat, f->ntree, d, block, m, sums);
		for (r = 0; r < m; r++) {
			const double *x = block + r * d;

			/* A row with a missing value needs the weighted walk. */
			scores[start + r] = has_missing(x, d) ?
			    forest_score(f, x) : forest_score_of(f, sums[r]);
		}
	}
}

/* --- Scoring ---------------------------------------------------------- */

/* The general walk: a missing value follows both branches, weighted by
 * the share of training rows that went each way. */
static double
path_weighted(const struct tree *t, uint32_t id, const double *x)
{
	const struct node *n = &t->node[id];
	double wl, wr;

	switch (n->feature == NODE_LEAF ? 2 : node_side(t, n, x)) {
	case 2:
		return n->path;
	case -1:
		return path_weighted(t, n->left, x);
	case 1:
		return path_weighted(t, n->right, x);
	}
	wl = t->node[n->left].size;
	wr = t->node[n->right].size;
	return (wl * path_weighted(t, n->left, x) +
	        wr * path_weighted(t, n->right, x)) / (wl + wr);
}

static double
tree_path(const struct tree *t, const double *x)
{
	const struct node *node = t->node, *n = node;

	while (n->feature >= 0) {
		double v = x[n->feature];

		if (v != v)
			return path_weighted(t, (uint32_t)(n - node), x);
		n = &node[v <= n->split ? n->left : n->right];
	}
	if (n->feature == NODE_PLANE)
		return path_weighted(t, (uint32_t)(n - node), x);
	return n->path;
}

double
forest_path_sum(const struct forest *f, const double *x)
{
	double sum = 0;
	size_t t;

	for (t = 0; t < f->ntree; t++)
		sum += tree_path(&f->tree[t], x);
	return sum;
}

double
forest_score_of(const struct forest *f, double path_sum)
{
	/* scikit-learn: 2 ** (-depths / (n_estimators * c(max_samples))) */
	if (f->c_psi <= 0)
		return 1.0; /* a forest of one-row trees isolates nothing */
	return pow(2.0, -path_sum / ((double)f->ntree * f->c_psi));
}

struct score_ctx {
	const struct forest *f;
	const double *rows;
	double *scores;
	size_t n;
};

enum { SCORE_BLOCK = 4096 };

static void
score_block(void *arg, size_t block)
{
	struct score_ctx *c = arg;
	size_t i = block * SCORE_BLOCK, end = i + SCORE_BLOCK;

	if (end > c->n)
		end = c->n;
	forest_score_block(c->f, c->rows + i * c->f->nfeature, end - i,
	                   c->scores + i);
}

void
forest_score_rows(const struct forest *f, const double *rows, size_t n,
                  double *scores, int threads)
{
	struct score_ctx c = { f, rows, scores, n };

	parallel_for(score_block, &c, (n + SCORE_BLOCK - 1) / SCORE_BLOCK,
	             threads);
}
