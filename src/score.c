/* score.c: scoring rows with a forest: a fast branch-free walk over a
 * flat copy of each tree (flat.h) for complete rows, and the general walk,
 * which also follows a row with missing values down both branches. */
#include "flat.h"
#include "forest.h"
#include "metrics.h"
#include "parallel.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* --- The flat layout for block scoring (flat.h) ------------------------ */

void
flat_free(struct flat *fl)
{
	if (fl == NULL)
		return;
	free(fl->node);
	free(fl->term);
	free(fl->range_lo);
	free(fl->range_span);
	free(fl->range);
	free(fl->split);
	free(fl->split_low);
	free(fl->split_high);
	free(fl->leaf);
	free(fl->cut);
	free(fl->cut_start);
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

/* The deepest tree of the forest. */
static unsigned
forest_depth(const struct forest *f)
{
	unsigned depth = 0;
	size_t t;

	for (t = 0; t < f->ntree; t++) {
		unsigned d = tree_depth(&f->tree[t], 0);

		if (d > depth)
			depth = d;
	}
	return depth;
}

/* How many of the m ascending values cut[] are below x: a binary search
 * whose steps are arithmetic, not branches. */
static uint32_t
count_below(const double *cut, size_t m, double x)
{
	const double *base = cut;

	if (m == 0)
		return 0;
	while (m > 1) {
		size_t half = m / 2;

		base += half * (base[half - 1] < x);
		m -= half;
	}
	return (uint32_t)(base - cut) + (*base < x);
}

/* count_below for the values x[0], x[stride], ... x[(n-1) * stride], into
 * out[0..n): eight searches side by side, as one search waits on each
 * load before the next. */
static void
count_below_rows(const double *cut, size_t m, const double *x,
                 size_t stride, size_t n, uint32_t *out)
{
	size_t r = 0, k;

	for (; m > 1 && r + 8 <= n; r += 8) {
		const double *base[8];
		double v[8];
		size_t len = m;

		for (k = 0; k < 8; k++) {
			base[k] = cut;
			v[k] = x[(r + k) * stride];
		}
		while (len > 1) {
			size_t half = len / 2;

			/* A product, not a conditional: compilers turn the
			 * latter into a branch, mispredicted half the time. */
			for (k = 0; k < 8; k++)
				base[k] += half * (base[k][half - 1] < v[k]);
			len -= half;
		}
		for (k = 0; k < 8; k++)
			out[r + k] = (uint32_t)(base[k] - cut) +
			             (*base[k] < v[k]);
	}
	for (; r < n; r++)
		out[r] = count_below(cut, m, x[r * stride]);
}

/* The cuts split n adds to its feature's: its value, and with the range
 * penalty the double just below its low bound and its high bound
 * (flat.h).  Returns how many, at most 3. */
static size_t
node_cuts(const struct forest *f, const struct node *n, double *cut)
{
	cut[0] = n->split;
	if (!f->penalize_range)
		return 1;
	cut[1] = nextafter(n->low, -INFINITY);
	cut[2] = n->high;
	return 3;
}

/* Every feature's cuts: its distinct split values, ascending.  Returns 0
 * if some feature has too many for the rank field of a node word. */
static int
flat_cuts(struct flat *fl, const struct forest *f)
{
	size_t t, i, k, j, m, nf = f->nfeature, total = 0, *fill;
	uint32_t rank_max = UINT32_MAX >> fl->fbits;
	double cuts[3];

	fl->cut_start = xcalloc(nf + 1, sizeof *fl->cut_start);
	for (t = 0; t < f->ntree; t++)
		for (i = 0; i < f->tree[t].nnode; i++) {
			const struct node *n = &f->tree[t].node[i];

			if (n->feature >= 0) {
				m = node_cuts(f, n, cuts);
				fl->cut_start[n->feature + 1] += m;
				total += m;
			}
		}
	for (k = 0; k < nf; k++)
		fl->cut_start[k + 1] += fl->cut_start[k];
	fl->cut = xreallocarray(NULL, total ? total : 1, sizeof *fl->cut);
	fill = xreallocarray(NULL, nf, sizeof *fill);
	memcpy(fill, fl->cut_start, nf * sizeof *fill);
	for (t = 0; t < f->ntree; t++)
		for (i = 0; i < f->tree[t].nnode; i++) {
			const struct node *n = &f->tree[t].node[i];

			if (n->feature < 0)
				continue;
			m = node_cuts(f, n, cuts);
			for (j = 0; j < m; j++)
				fl->cut[fill[n->feature]++] = cuts[j];
		}
	free(fill);
	/* Sort each feature's values and keep one of each, packed. */
	total = 0;
	for (k = 0; k < nf; k++) {
		double *v = fl->cut + fl->cut_start[k];
		size_t m = fl->cut_start[k + 1] - fl->cut_start[k], kept = 0;

		sort_doubles(v, m);
		for (i = 0; i < m; i++)
			if (kept == 0 || v[i] != fl->cut[total + kept - 1])
				fl->cut[total + kept++] = v[i];
		fl->cut_start[k] = total;
		total += kept;
		/* The padding's rank, rank_max, must exceed every row's. */
		if (kept >= rank_max)
			return 0;
	}
	fl->cut_start[nf] = total;
	return 1;
}

static void
flat_fill(struct flat *fl, size_t tree_index, const struct tree *t,
          uint32_t id, size_t heap, unsigned depth)
{
	const struct node *n = &t->node[id];
	size_t at = tree_index * fl->stride + heap;

	if (fl->split != NULL && n->feature >= 0) {
		fl->node[at] = (uint32_t)n->feature;
		fl->split[at] = n->split;
		if (fl->split_low != NULL) {
			fl->split_low[at] = n->low;
			fl->split_high[at] = n->high;
		}
	} else if (fl->term != NULL && n->feature != NODE_LEAF) {
		struct flat_term *term = fl->term + at * fl->nterm;
		uint32_t k;

		if (fl->range != NULL) {
			fl->range[at].low = n->low;
			fl->range[at].high = n->high;
			fl->range[at].on_value = n->feature >= 0;
			fl->range[at].feature = n->feature >= 0 ?
			    (uint32_t)n->feature : 0;
		}
		if (n->feature == NODE_PLANE) {
			for (k = 0; k < n->nterm; k++) {
				term[k].feature = t->term[n->term + k].feature;
				term[k].normal = t->term[n->term + k].normal;
				term[k].point = t->term[n->term + k].point;
			}
		} else {
			term[0].feature = (uint64_t)n->feature;
			term[0].normal = 1;
			term[0].point = n->split;
		}
	} else if (n->feature >= 0) {
		const double *cut = fl->cut + fl->cut_start[n->feature];
		size_t m = fl->cut_start[n->feature + 1] -
		           fl->cut_start[n->feature];

		/* The split's index among its feature's cuts. */
		fl->node[at] = count_below(cut, m, n->split) << fl->fbits |
		               (uint32_t)n->feature;
		if (fl->range_lo != NULL) {
			uint32_t lo = count_below(cut, m,
			                          nextafter(n->low, -INFINITY));

			fl->range_lo[at] = lo + 1;
			fl->range_span[at] = count_below(cut, m, n->high) - lo;
		}
	}
	if (n->feature != NODE_LEAF && fl->leaf_first == 0)
		fl->leaf[tree_index * fl->leaf_stride + heap] = n->path;
	if (n->feature != NODE_LEAF) {
		flat_fill(fl, tree_index, t, n->left, 2 * heap, depth + 1);
		flat_fill(fl, tree_index, t, n->right, 2 * heap + 1, depth + 1);
		return;
	}
	/* A leaf above the bottom: nodes that send every value left. */
	for (; depth < fl->depth; depth++)
		heap = 2 * heap;
	fl->leaf[tree_index * fl->leaf_stride + heap - fl->leaf_first] =
	    n->path;
}

/* Whether IFTOOLS_SIMD is set to value: "0" for the portable walk,
 * "general" for no layout at all, so the walks can be compared. */
static int
simd_is(const char *value)
{
	const char *simd = getenv("IFTOOLS_SIMD");

	return simd != NULL && strcmp(simd, value) == 0;
}

static flat_walk_fn *
flat_choose_walk(int ranged)
{
	flat_walk_fn *portable = ranged ? flat_walk_portable_ranged :
	                                  flat_walk_portable;

	if (simd_is("0"))
		return portable;
#ifdef FLAT_HAVE_AVX512
	if (__builtin_cpu_supports("avx512f"))
		return ranged ? flat_walk_avx512_ranged : flat_walk_avx512;
#endif
	return portable;
}

/* Whether padding trees of `depth` levels to stride words each stays
 * within FLAT_PAD_RATIO of the model's own nodes (flat.h). */
static int
flat_pad_bounded(const struct forest *f, size_t stride)
{
	size_t t, nodes = 0;

	for (t = 0; t < f->ntree; t++)
		nodes += f->tree[t].nnode;
	return f->ntree * stride <= FLAT_PAD_RATIO * nodes + FLAT_PAD_FREE;
}

void
forest_prepare(struct forest *f)
{
	struct flat *fl;
	unsigned depth = forest_depth(f);
	size_t t, i, nleaf, stride;

	flat_free(f->flat);
	f->flat = NULL;
	if (depth > FLAT_DEPTH_MAX || f->ntree == 0 || simd_is("general"))
		return;
	nleaf = (size_t)1 << depth;
	stride = nleaf > FLAT_MIN_STRIDE ? nleaf : FLAT_MIN_STRIDE;
	if (!flat_pad_bounded(f, stride))
		return;
	fl = xcalloc(1, sizeof *fl);
	fl->ntree = f->ntree;
	fl->nfeature = f->nfeature;
	fl->depth = depth;
	fl->stride = stride;
	if (f->extension > 0) {
		/* Zeroed terms: padding nodes send every row left. */
		fl->nterm = 1;
		for (t = 0; t < f->ntree; t++)
			for (i = 0; i < f->tree[t].nnode; i++)
				if (f->tree[t].node[i].nterm > fl->nterm)
					fl->nterm = f->tree[t].node[i].nterm;
		fl->term = xcalloc(f->ntree * fl->stride * fl->nterm,
		                   sizeof *fl->term);
		if (f->penalize_range)
			fl->range = xcalloc(f->ntree * fl->stride,
			                    sizeof *fl->range);
	} else {
		while (((size_t)1 << fl->fbits) < f->nfeature)
			fl->fbits++;
		if (fl->fbits > 16 || !flat_cuts(fl, f)) {
			flat_free(fl);
			return;
		}
		fl->node = xaligned_array(f->ntree * fl->stride,
		                          sizeof *fl->node);
		for (i = 0; i < f->ntree * fl->stride; i++)
			fl->node[i] = UINT32_MAX << fl->fbits; /* always left */
		if (f->penalize_range) {
			fl->range_lo = xaligned_array(f->ntree * fl->stride,
			                              sizeof *fl->range_lo);
			fl->range_span = xaligned_array(f->ntree * fl->stride,
			                                sizeof *fl->range_span);
			for (i = 0; i < f->ntree * fl->stride; i++) {
				fl->range_lo[i] = 0; /* padding: never out */
				fl->range_span[i] = UINT32_MAX;
			}
		}
	}
	/* With the range penalty, a path length for every node word. */
	fl->leaf_first = f->penalize_range ? 0 : nleaf;
	fl->leaf_stride = 2 * nleaf - fl->leaf_first;
	fl->leaf = xcalloc(f->ntree * fl->leaf_stride, sizeof *fl->leaf);
	for (t = 0; t < f->ntree; t++)
		flat_fill(fl, t, &f->tree[t], 0, 1, 0);
	fl->walk = flat_choose_walk(f->penalize_range);
	f->flat = fl;
}

/* --- A layout in which one tree can be replaced ----------------------- */

/* Tree t's nodes of a replaceable layout all send rows left, and keep
 * every row. */
static void
flat_clear_tree(struct flat *fl, size_t t)
{
	size_t i, at = t * fl->stride;

	for (i = 0; i < fl->stride; i++) {
		fl->node[at + i] = 0;
		fl->split[at + i] = INFINITY;
		if (fl->split_low != NULL) {
			fl->split_low[at + i] = -INFINITY;
			fl->split_high[at + i] = INFINITY;
		}
	}
}

/* Each node its own feature and split value, not a rank among the
 * forest's cuts: a tree's words do not depend on the other trees', so
 * one tree can be replaced alone.  Deep enough for every tree grown on
 * sample_size rows.  Hyperplanes keep the general walk. */
void
forest_prepare_replaceable(struct forest *f)
{
	struct flat *fl;
	unsigned depth = forest_depth(f);
	unsigned limit = forest_height_limit(f->sample_size);
	size_t t, nleaf;

	flat_free(f->flat);
	f->flat = NULL;
	if (limit > depth)
		depth = limit;
	if (depth > FLAT_DEPTH_MAX || f->ntree == 0 || f->extension > 0 ||
	    simd_is("general"))
		return;
	nleaf = (size_t)1 << depth;
	fl = xcalloc(1, sizeof *fl);
	fl->ntree = f->ntree;
	fl->nfeature = f->nfeature;
	fl->depth = depth;
	fl->stride = nleaf > FLAT_MIN_STRIDE ? nleaf : FLAT_MIN_STRIDE;
	fl->node = xaligned_array(f->ntree * fl->stride, sizeof *fl->node);
	fl->split = xaligned_array(f->ntree * fl->stride, sizeof *fl->split);
	if (f->penalize_range) {
		fl->split_low = xaligned_array(f->ntree * fl->stride,
		                               sizeof *fl->split_low);
		fl->split_high = xaligned_array(f->ntree * fl->stride,
		                                sizeof *fl->split_high);
	}
	/* With the range penalty, a path length for every node word. */
	fl->leaf_first = f->penalize_range ? 0 : nleaf;
	fl->leaf_stride = 2 * nleaf - fl->leaf_first;
	fl->leaf = xcalloc(f->ntree * fl->leaf_stride, sizeof *fl->leaf);
	for (t = 0; t < f->ntree; t++) {
		flat_clear_tree(fl, t);
		flat_fill(fl, t, &f->tree[t], 0, 1, 0);
	}
	f->flat = fl;
}

void
forest_replace_tree(struct forest *f, size_t i, struct tree *t)
{
	struct flat *fl = f->flat;

	free(f->tree[i].node);
	free(f->tree[i].term);
	f->tree[i] = *t;
	if (fl == NULL)
		return;
	if (tree_depth(t, 0) > fl->depth) {
		forest_prepare_replaceable(f);
		return;
	}
	flat_clear_tree(fl, i);
	flat_fill(fl, i, t, 0, 1, 0);
}

/* Tree t of a replaceable layout for n rows, SPLIT_GROUP at a time so
 * that their walks overlap (eight rows' indices and pointers stay in
 * registers; sixteen did not, and took a third longer); the last group
 * repeats its last row where it runs short (segments between replacements
 * are short, and a row walked alone waits on every load).  With the range
 * penalty a row outside a node's range stays there, and its path is that
 * node's. */
enum { SPLIT_GROUP = 8 };

static void
split_tree(const struct flat *fl, size_t t, const double *rows, size_t n,
           double *sums)
{
	size_t r, k, d = fl->nfeature;
	const uint32_t *feature = fl->node + t * fl->stride;
	const double *split = fl->split + t * fl->stride;
	const double *leaf = fl->leaf + t * fl->leaf_stride - fl->leaf_first;
	unsigned level;

	for (r = 0; r < n; r += SPLIT_GROUP) {
		const double *x[SPLIT_GROUP];
		size_t i[SPLIT_GROUP];

		for (k = 0; k < SPLIT_GROUP; k++) {
			x[k] = rows + (r + k < n ? r + k : n - 1) * d;
			i[k] = 1;
		}
		if (fl->split_low == NULL) {
			for (level = 0; level < fl->depth; level++)
				for (k = 0; k < SPLIT_GROUP; k++)
					i[k] = 2 * i[k] + (x[k][feature[i[k]]] >
					                   split[i[k]]);
		} else {
			/* A row outside a node's range stays there: the same
			 * test at the same node keeps it there to the end. */
			const double *low = fl->split_low + t * fl->stride;
			const double *high = fl->split_high + t * fl->stride;

			for (level = 0; level < fl->depth; level++)
				for (k = 0; k < SPLIT_GROUP; k++) {
					size_t j = i[k];
					double v = x[k][feature[j]];

					i[k] = v >= low[j] && v <= high[j] ?
					       2 * j + (v > split[j]) : j;
				}
		}
		for (k = 0; k < SPLIT_GROUP && r + k < n; k++)
			sums[r + k] += leaf[i[k]];
	}
}

/* The walk of a replaceable layout, a tree at a time. */
static void
flat_walk_splits(const struct flat *fl, const double *rows, size_t n,
                 double *sums)
{
	size_t t;

	for (t = 0; t < fl->ntree; t++)
		split_tree(fl, t, rows, n, sums);
}

/* One step down a flat tree for the block's row `row`: the branch is
 * arithmetic, not a jump. */
#define FLAT_STEP(i, row) do { \
	uint32_t w_ = node[i]; \
	(i) = 2 * (i) + (rank[(size_t)(w_ & fmask) << FLAT_BLOCK_SHIFT | \
	                      (row)] > w_ >> fl->fbits); \
} while (0)

/* The walk in portable C: sixteen rows at a time, so that their
 * independent walks overlap in the pipeline. */
void
flat_walk_portable(const struct flat *fl, const uint32_t *rank, size_t n,
                   double *sums)
{
	size_t t, r, nleaf = (size_t)1 << fl->depth;
	uint32_t fmask = (UINT32_C(1) << fl->fbits) - 1;
	unsigned level, depth = fl->depth;

	for (t = 0; t < fl->ntree; t++) {
		const uint32_t *node = fl->node + t * fl->stride;
		const double *leaf = fl->leaf + t * nleaf;

		for (r = 0; r + 16 <= n; r += 16) {
			size_t i[16], k;

			for (k = 0; k < 16; k++)
				i[k] = 1;
			for (level = 0; level < depth; level++)
				for (k = 0; k < 16; k++)
					FLAT_STEP(i[k], r + k);
			for (k = 0; k < 16; k++)
				sums[r + k] += leaf[i[k] - nleaf];
		}
		for (; r < n; r++) {
			size_t i = 1;

			for (level = 0; level < depth; level++)
				FLAT_STEP(i, r);
			sums[r] += leaf[i - nleaf];
		}
	}
}

/* One step of the range penalty's walk (flat.h) for row `row`: down
 * when the row is inside the node's range, else stay. */
#define FLAT_STEP_RANGED(i, row) do { \
	uint32_t w_ = node[i]; \
	uint32_t v_ = rank[(size_t)(w_ & fmask) << FLAT_BLOCK_SHIFT | (row)]; \
	size_t in_ = (size_t)0 - (v_ - range_lo[i] < range_span[i]); \
	(i) += ((i) + (v_ > w_ >> fl->fbits)) & in_; \
} while (0)

/* flat_walk_portable for a forest with the range penalty, eight rows at
 * a time: with sixteen, compilers no longer unroll the step. */
void
flat_walk_portable_ranged(const struct flat *fl, const uint32_t *rank,
                          size_t n, double *sums)
{
	size_t t, r;
	uint32_t fmask = (UINT32_C(1) << fl->fbits) - 1;
	unsigned level, depth = fl->depth;

	for (t = 0; t < fl->ntree; t++) {
		const uint32_t *node = fl->node + t * fl->stride;
		const uint32_t *range_lo = fl->range_lo + t * fl->stride;
		const uint32_t *range_span = fl->range_span + t * fl->stride;
		const double *path = fl->leaf + t * fl->leaf_stride;

		for (r = 0; r + 8 <= n; r += 8) {
			size_t i[8], k;

			for (k = 0; k < 8; k++)
				i[k] = 1;
			for (level = 0; level < depth; level++)
				for (k = 0; k < 8; k++)
					FLAT_STEP_RANGED(i[k], r + k);
			for (k = 0; k < 8; k++)
				sums[r + k] += path[i[k]];
		}
		for (; r < n; r++) {
			size_t i = 1;

			for (level = 0; level < depth; level++)
				FLAT_STEP_RANGED(i, r);
			sums[r] += path[i];
		}
	}
}

/* One level down for row x at node i of a tree of hyperplanes: the sum is
 * computed as plane_sum computes it, and its side is plane_sum_right's.
 * With ranges (else NULL), a row outside the node's stays at it, as in
 * FLAT_STEP_RANGED. */
static inline size_t
plane_step(const struct flat_term *term, size_t nterm, size_t i,
           const double *x, const struct flat_range *range)
{
	const struct flat_term *p = term + i * nterm;
	double v = 0;
	size_t j;

	for (j = 0; j < nterm; j++)
		v += (x[p[j].feature] - p[j].point) * p[j].normal;
	if (range != NULL) {
		const struct flat_range *rg = range + i;
		double u = rg->on_value ? x[rg->feature] : v;

		if (!(u >= rg->low && u <= rg->high))
			return i;
	}
	return 2 * i + (size_t)plane_sum_right(v);
}

/* One tree of hyperplanes for n rows, eight at a time so that their walks
 * overlap; nterm, and range when NULL, are constants where it is
 * inlined. */
static inline void
planes_tree(const struct flat *fl, const struct flat_term *term,
            const struct flat_range *range, const double *leaf,
            const double *rows, size_t n, double *sums, size_t nterm)
{
	size_t r, k, d = fl->nfeature, first = fl->leaf_first;
	unsigned level;

	for (r = 0; r + 8 <= n; r += 8) {
		size_t i[8];

		for (k = 0; k < 8; k++)
			i[k] = 1;
		for (level = 0; level < fl->depth; level++)
			for (k = 0; k < 8; k++)
				i[k] = plane_step(term, nterm, i[k],
				                  rows + (r + k) * d, range);
		for (k = 0; k < 8; k++)
			sums[r + k] += leaf[i[k] - first];
	}
	for (; r < n; r++) {
		size_t i = 1;

		for (level = 0; level < fl->depth; level++)
			i = plane_step(term, nterm, i, rows + r * d, range);
		sums[r] += leaf[i - first];
	}
}

/* One tree of hyperplanes, with nterm a constant for the common counts. */
static void
planes_tree_any(const struct flat *fl, const struct flat_term *term,
                const struct flat_range *range, const double *leaf,
                const double *rows, size_t n, double *sums)
{
	switch (fl->nterm) {
	case 1: planes_tree(fl, term, range, leaf, rows, n, sums, 1); break;
	case 2: planes_tree(fl, term, range, leaf, rows, n, sums, 2); break;
	case 3: planes_tree(fl, term, range, leaf, rows, n, sums, 3); break;
	case 4: planes_tree(fl, term, range, leaf, rows, n, sums, 4); break;
	default: planes_tree(fl, term, range, leaf, rows, n, sums, fl->nterm);
	}
}

/* The walk of a forest with hyperplanes (flat.h). */
static void
flat_walk_planes(const struct flat *fl, const double *rows, size_t n,
                 double *sums)
{
	size_t t, nterm = fl->nterm;

	for (t = 0; t < fl->ntree; t++) {
		const struct flat_term *term = fl->term + t * fl->stride * nterm;
		const double *leaf = fl->leaf + t * fl->leaf_stride;

		if (fl->range != NULL)
			planes_tree_any(fl, term, fl->range + t * fl->stride,
			                leaf, rows, n, sums);
		else
			planes_tree_any(fl, term, NULL, leaf, rows, n, sums);
	}
}

void
forest_score_block(const struct forest *f, const double *rows, size_t n,
                   double *scores)
{
	const struct flat *fl = f->flat;
	size_t d = f->nfeature, start, r, k;
	uint32_t *rank;

	if (fl == NULL) {
		for (r = 0; r < n; r++)
			scores[r] = forest_score(f, rows + r * d);
		return;
	}
	rank = fl->term || fl->split ? NULL :
	       xaligned_array(d << FLAT_BLOCK_SHIFT, sizeof *rank);
	for (start = 0; start < n; start += FLAT_BLOCK) {
		size_t m = n - start < FLAT_BLOCK ? n - start : FLAT_BLOCK;
		const double *block = rows + start * d;
		double sums[FLAT_BLOCK];

		for (r = 0; r < m; r++)
			sums[r] = 0;
		if (fl->split != NULL) {
			flat_walk_splits(fl, block, m, sums);
		} else if (fl->term != NULL) {
			flat_walk_planes(fl, block, m, sums);
		} else {
			for (k = 0; k < d; k++) {
				const double *cut = fl->cut + fl->cut_start[k];
				size_t ncut = fl->cut_start[k + 1] -
				              fl->cut_start[k];
				uint32_t *rk = rank + (k << FLAT_BLOCK_SHIFT);

				count_below_rows(cut, ncut, block + k, d, m, rk);
				for (r = m; r < FLAT_BLOCK; r++)
					rk[r] = 0;
			}
			fl->walk(fl, rank, m, sums);
		}
		for (r = 0; r < m; r++) {
			const double *x = block + r * d;

			/* A row with a missing value needs the weighted walk. */
			scores[start + r] = row_has_missing(x, d) ?
			    forest_score(f, x) : forest_score_of(f, sums[r]);
		}
	}
	free(rank);
}

/* --- Scoring ---------------------------------------------------------- */

/* The general walk: a missing value follows both branches, weighted by
 * the share of training rows that went each way.  With the range penalty
 * (ranged), a split that isolates the row ends the walk at its path. */
static double
path_weighted(const struct tree *t, uint32_t id, const double *x,
              int ranged)
{
	const struct node *n = &t->node[id];
	double wl, wr;

	if (n->feature != NODE_LEAF && ranged && node_isolates(t, n, x))
		return n->path;
	switch (n->feature == NODE_LEAF ? 2 : node_side(t, n, x)) {
	case 2:
		return n->path;
	case -1:
		return path_weighted(t, n->left, x, ranged);
	case 1:
		return path_weighted(t, n->right, x, ranged);
	}
	wl = t->node[n->left].size;
	wr = t->node[n->right].size;
	return (wl * path_weighted(t, n->left, x, ranged) +
	        wr * path_weighted(t, n->right, x, ranged)) / (wl + wr);
}

static double
tree_path(const struct tree *t, const double *x, int ranged)
{
	const struct node *node = t->node, *n = node;

	while (n->feature >= 0) {
		double v = x[n->feature];

		if (v != v)
			return path_weighted(t, (uint32_t)(n - node), x,
			                     ranged);
		if (ranged && !(v >= n->low && v <= n->high))
			return n->path;
		n = &node[v <= n->split ? n->left : n->right];
	}
	if (n->feature == NODE_PLANE)
		return path_weighted(t, (uint32_t)(n - node), x, ranged);
	return n->path;
}

double
forest_path_sum(const struct forest *f, const double *x)
{
	double sum = 0;
	size_t t;

	for (t = 0; t < f->ntree; t++)
		sum += tree_path(&f->tree[t], x, f->penalize_range);
	return sum;
}

void
forest_tree_paths(const struct forest *f, size_t t, const double *rows,
                  size_t n, int complete, double *sums)
{
	const struct flat *fl = f->flat;
	size_t d = f->nfeature, start, r;

	if (complete && fl != NULL && fl->split != NULL) {
		split_tree(fl, t, rows, n, sums);
		return;
	}
	for (start = 0; start < n; start += FLAT_BLOCK) {
		size_t m = n - start < FLAT_BLOCK ? n - start : FLAT_BLOCK;
		const double *block = rows + start * d;
		double path[FLAT_BLOCK];

		if (fl != NULL && fl->split != NULL) {
			for (r = 0; r < m; r++)
				path[r] = 0;
			split_tree(fl, t, block, m, path);
		}
		for (r = 0; r < m; r++) {
			const double *x = block + r * d;

			sums[start + r] += fl != NULL && fl->split != NULL &&
			                   !row_has_missing(x, d) ? path[r] :
			    tree_path(&f->tree[t], x, f->penalize_range);
		}
	}
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
