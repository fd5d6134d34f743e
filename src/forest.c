#include "forest.h"
#include "parallel.h"
#include "rng.h"
#include "sample.h"
#include "util.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Euler-Mascheroni constant, as in scikit-learn's _average_path_length. */
#define EULER_GAMMA 0.5772156649015329

double
forest_c(double n)
{
	if (n <= 1)
		return 0;
	if (n <= 2)
		return n - 1; /* c(2) = 1; a weighted leaf between 1 and 2 rows */
	return 2.0 * (log(n - 1.0) + EULER_GAMMA) - 2.0 * (n - 1.0) / n;
}

/* --- Growing a tree --------------------------------------------------- */

/* A row of the node being split, with the weight it carries there: 1, or
 * less once it has followed both branches of a split it has no value for. */
struct item {
	uint32_t row;
	double weight;
};

struct grower {
	const double *rows;  /* the tree's sample */
	size_t nfeature;
	unsigned height_limit, extension;
	struct rng *rng;
	double *lo, *hi;     /* per-feature range in the node */
	size_t *candidates;  /* features not constant in the node */
	signed char *side;   /* partition's: each item's way, -1, 0 or 1 */
	double *moved;       /* grow_complete's: rows moved, not indexed */
	struct tree *tree;
	uint32_t term_cap;
};

/* How many draws a hyperplane gets to split the node's rows before the
 * node falls back to a feature split. */
enum { PLANE_TRIES = 16 };

static uint32_t
new_pair(struct tree *t)
{
	uint32_t first = t->nnode;

	t->nnode += 2;
	return first;
}

static const double *
row_of(const struct grower *g, const struct item *it)
{
	return g->rows + (size_t)it->row * g->nfeature;
}

/* Features whose known values are not all equal in the node; their
 * ranges go to lo and hi.  Missing values are left out.  The node's rows
 * are items (reached through their index), or without items the n rows
 * from `rows` on. */
static size_t
nonconstant_features(struct grower *g, const struct item *items,
                     const double *rows, size_t n)
{
	size_t f, i, count = 0, d = g->nfeature;

	/* A feature at a time, in locals: stores to lo and hi, which may
	 * alias the rows, would otherwise be made on every row. */
	for (f = 0; f < d; f++) {
		double lo = INFINITY, hi = -INFINITY;

		for (i = 0; i < n; i++) {
			double v = items ? row_of(g, &items[i])[f] :
			                   rows[i * d + f];

			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
		g->lo[f] = lo;
		g->hi[f] = hi;
		if (lo < hi)
			g->candidates[count++] = f;
	}
	return count;
}

/* Draw a feature split as scikit-learn does. */
static void
draw_feature_split(struct grower *g, struct node *n, size_t ncand)
{
	size_t feature = g->candidates[rng_below(g->rng, ncand)];
	double split = g->lo[feature] + rng_uniform(g->rng) *
	               (g->hi[feature] - g->lo[feature]);

	/* A draw that rounds up to max becomes min, as in scikit-learn, so
	 * neither side is empty. */
	if (split >= g->hi[feature])
		split = g->lo[feature];
	n->feature = (int32_t)feature;
	n->split = split;
}

/* A bound of the range penalty, kept finite (the model file holds finite
 * numbers): a finite value is outside +-DBL_MAX exactly when it is
 * outside +-inf. */
static double
finite_bound(double b)
{
	return b < -DBL_MAX ? -DBL_MAX : b > DBL_MAX ? DBL_MAX : b;
}

/* The range penalty's bounds of split n (forest.h): the value's range
 * among the node's rows, widened by half its width on either side. */
static void
set_range(struct grower *g, struct node *n, const struct item *items,
          size_t nitem)
{
	double lo = INFINITY, hi = -INFINITY;
	size_t i;

	if (n->feature == NODE_PLANE) {
		for (i = 0; i < nitem; i++) {
			uint32_t known;
			double v = plane_sum(g->tree->term + n->term, n->nterm,
			                     row_of(g, &items[i]), &known);

			if (known > 0 && v < lo)
				lo = v;
			if (known > 0 && v > hi)
				hi = v;
		}
	} else {
		lo = g->lo[n->feature];
		hi = g->hi[n->feature];
	}
	if (!(lo <= hi)) {
		/* No sum that is a number: the range is everything. */
		n->low = -DBL_MAX;
		n->high = DBL_MAX;
		return;
	}
	/* A plane's split, 0, lies in its range but where every row on
	 * one side had a sum that is not a number. */
	lo = n->feature == NODE_PLANE && lo > 0 ? 0 : lo;
	hi = n->feature == NODE_PLANE && hi < 0 ? 0 : hi;
	n->low = finite_bound(lo - (hi - lo) / 2);
	n->high = finite_bound(hi + (hi - lo) / 2);
}

/* Draw a hyperplane through min(L + 1, ncand) of the candidate features;
 * 0 when it leaves every known row on one side. */
static int
draw_plane(struct grower *g, uint32_t id, size_t ncand,
           const struct item *items, size_t nitem)
{
	struct tree *t = g->tree;
	uint32_t nterm = (uint32_t)(g->extension + 1 < ncand ?
	                            g->extension + 1 : ncand);
	struct term *term;
	int seen_left = 0, seen_right = 0;
	uint32_t k;
	size_t i;

	if (t->nterm + nterm > g->term_cap) {
		g->term_cap = 2 * (t->nterm + nterm);
		t->term = xreallocarray(t->term, g->term_cap, sizeof *t->term);
	}
	term = t->term + t->nterm;
	for (k = 0; k < nterm; k++) {
		/* A partial Fisher-Yates shuffle picks distinct features. */
		size_t j = k + (size_t)rng_below(g->rng, ncand - k);
		size_t f = g->candidates[j];

		g->candidates[j] = g->candidates[k];
		g->candidates[k] = f;
		term[k].feature = (uint32_t)f;
		/* Scaled by the range: a random direction in the node's box
		 * made a unit cube, whatever the units of the features. */
		term[k].normal = rng_normal(g->rng) / (g->hi[f] - g->lo[f]);
		term[k].point = g->lo[f] + rng_uniform(g->rng) *
		                (g->hi[f] - g->lo[f]);
	}
	for (i = 0; i < nitem && !(seen_left && seen_right); i++) {
		int side = plane_side(term, nterm, row_of(g, &items[i]));

		seen_left |= side < 0;
		seen_right |= side > 0;
	}
	if (!(seen_left && seen_right))
		return 0;
	t->node[id].feature = NODE_PLANE;
	t->node[id].term = t->nterm;
	t->node[id].nterm = nterm;
	t->nterm += nterm;
	return 1;
}

/* Split items into left and right (each may hold a row with a missing
 * value, with its weight shared as the known rows went).  Returns the
 * count on the left; items is reordered so the left ones come first,
 * or, when some row went both ways, the two lists are new arrays. */
static size_t
partition(struct grower *g, const struct node *n, struct item *items,
          size_t nitem, struct item **left, struct item **right,
          size_t *nright)
{
	const struct tree *t = g->tree;
	double wleft = 0, wright = 0;
	size_t i, nl = 0, nr = 0, both = 0;

	for (i = 0; i < nitem; i++) {
		int side = node_side(t, n, row_of(g, &items[i]));

		g->side[i] = (signed char)side;
		wleft += side < 0 ? items[i].weight : 0;
		wright += side > 0 ? items[i].weight : 0;
		nl += side < 0;
		both += side == 0;
	}
	if (both == 0) {
		size_t lo = 0, hi = nitem;

		/* The sides move with the items: each is judged once. */
		while (lo < hi) {
			if (g->side[lo] < 0) {
				lo++;
			} else {
				struct item tmp = items[lo];
				signed char side = g->side[lo];

				items[lo] = items[--hi];
				items[hi] = tmp;
				g->side[lo] = g->side[hi];
				g->side[hi] = side;
			}
		}
		*left = items;
		*right = items + nl;
		*nright = nitem - nl;
		return nl;
	}
	*left = xreallocarray(NULL, nl + both, sizeof **left);
	*right = xreallocarray(NULL, nitem - nl, sizeof **right);
	nl = 0;
	for (i = 0; i < nitem; i++) {
		int side = g->side[i];
		struct item it = items[i];

		if (side <= 0) {
			(*left)[nl] = it;
			if (side == 0)
				(*left)[nl].weight *= wleft / (wleft + wright);
			nl++;
		}
		if (side >= 0) {
			(*right)[nr] = it;
			if (side == 0)
				(*right)[nr].weight *= wright / (wleft + wright);
			nr++;
		}
	}
	*nright = nr;
	return nl;
}

static void
grow_node(struct grower *g, uint32_t id, struct item *items, size_t nitem,
          unsigned depth)
{
	struct node *n = &g->tree->node[id];
	struct item *left, *right;
	size_t ncand, nleft, nright, i;
	double size = 0;
	uint32_t child;
	int tries;

	for (i = 0; i < nitem; i++)
		size += items[i].weight;
	memset(n, 0, sizeof *n);
	n->feature = NODE_LEAF;
	n->size = size;
	if (depth >= g->height_limit || nitem < 2)
		return;
	ncand = nonconstant_features(g, items, NULL, nitem);
	if (ncand == 0)
		return;
	for (tries = 0; g->extension > 0 && tries < PLANE_TRIES; tries++)
		if (draw_plane(g, id, ncand, items, nitem))
			break;
	if (n->feature == NODE_LEAF)
		draw_feature_split(g, n, ncand);
	set_range(g, n, items, nitem);
	nleft = partition(g, n, items, nitem, &left, &right, &nright);
	child = new_pair(g->tree);
	n = &g->tree->node[id];
	n->left = child;
	n->right = child + 1;
	grow_node(g, child, left, nleft, depth + 1);
	grow_node(g, child + 1, right, nright, depth + 1);
	if (left != items) {
		free(left);
		free(right);
	}
}

/* --- The same, for a sample without missing values --------------------
 *
 * Every weight is then 1 and every size exact, so the rows' order is
 * free: they are moved into their node's place, not reached through
 * items, and every scan is sequential.  The draws, the nodes and their
 * order are grow_node's, so the tree is the same to the bit. */

/* The rows at or below the split first; returns how many. */
static size_t
partition_complete(struct grower *g, const struct node *n, double *rows,
                   size_t nrow)
{
	size_t d = g->nfeature, i, k, lo = 0, hi = nrow;
	size_t f = (size_t)n->feature;
	double split = n->split;

	for (i = 0; i < nrow; i++) {
		const double *from = rows + i * d;
		int left = from[f] <= split;
		double *to = g->moved + (left ? lo : hi - 1) * d;

		for (k = 0; k < d; k++)
			to[k] = from[k];
		lo += (size_t)left;
		hi -= (size_t)!left;
	}
	memcpy(rows, g->moved, nrow * d * sizeof *rows);
	return lo;
}

static void
grow_complete(struct grower *g, uint32_t id, double *rows, size_t nrow,
              unsigned depth)
{
	struct node *n = &g->tree->node[id];
	size_t ncand, nleft;
	uint32_t child;

	memset(n, 0, sizeof *n);
	n->feature = NODE_LEAF;
	n->size = (double)nrow;
	if (depth >= g->height_limit || nrow < 2)
		return;
	ncand = nonconstant_features(g, NULL, rows, nrow);
	if (ncand == 0)
		return;
	draw_feature_split(g, n, ncand);
	set_range(g, n, NULL, 0); /* a feature split's: lo and hi */
	nleft = partition_complete(g, n, rows, nrow);
	child = new_pair(g->tree);
	n = &g->tree->node[id];
	n->left = child;
	n->right = child + 1;
	grow_complete(g, child, rows, nleft, depth + 1);
	grow_complete(g, child + 1, rows + nleft * g->nfeature, nrow - nleft,
	              depth + 1);
}

static int
has_missing_value(const double *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] != v[i])
			return 1;
	return 0;
}

unsigned
forest_height_limit(size_t psi)
{
	unsigned h = 0;

	while (((size_t)1 << h) < psi)
		h++;
	return h;
}

size_t
forest_max_nodes(size_t psi)
{
	/* Not 2 psi - 1: a row that follows both branches of a split is in
	 * two nodes at once, so only the height limit bounds the tree. */
	return ((size_t)2 << forest_height_limit(psi)) - 1;
}

static void
grow_tree(struct tree *t, const double *rows, size_t psi, size_t nfeature,
          unsigned extension, struct rng *rng)
{
	struct grower g;
	struct item *items = xreallocarray(NULL, psi, sizeof *items);
	size_t i;

	memset(&g, 0, sizeof g);
	g.rows = rows;
	g.nfeature = nfeature;
	g.height_limit = forest_height_limit(psi);
	g.extension = extension;
	g.rng = rng;
	g.lo = xreallocarray(NULL, nfeature, sizeof *g.lo);
	g.hi = xreallocarray(NULL, nfeature, sizeof *g.hi);
	g.candidates = xreallocarray(NULL, nfeature, sizeof *g.candidates);
	g.side = xreallocarray(NULL, psi ? psi : 1, sizeof *g.side);
	for (i = 0; i < psi; i++) {
		items[i].row = (uint32_t)i;
		items[i].weight = 1;
	}
	t->node = xreallocarray(NULL, forest_max_nodes(psi), sizeof *t->node);
	t->nnode = 1;
	t->term = NULL;
	t->nterm = 0;
	g.tree = t;
	if (extension == 0 && !has_missing_value(rows, psi * nfeature)) {
		double *copy = xreallocarray(NULL, psi ? psi : 1,
		                             nfeature * sizeof *copy);

		memcpy(copy, rows, psi * nfeature * sizeof *copy);
		g.moved = xreallocarray(NULL, psi ? psi : 1,
		                        nfeature * sizeof *g.moved);
		grow_complete(&g, 0, copy, psi, 0);
		free(copy);
	} else {
		grow_node(&g, 0, items, psi, 0);
	}
	t->node = xreallocarray(t->node, t->nnode, sizeof *t->node);
	tree_finish(t);
	free(items);
	free(g.lo);
	free(g.hi);
	free(g.candidates);
	free(g.side);
	free(g.moved);
}

void
tree_finish(struct tree *t)
{
	uint32_t i;

	/* Children always come after their parent, so one pass suffices: a
	 * parent leaves each child its depth in path, for the child to
	 * complete. */
	t->node[0].path = 0;
	for (i = 0; i < t->nnode; i++) {
		struct node *n = &t->node[i];
		double depth = n->path;

		if (n->feature == NODE_LEAF) {
			n->path = depth + forest_c(n->size);
		} else {
			t->node[n->left].path = depth + 1;
			t->node[n->right].path = depth + 1;
			n->path = depth + 1;
		}
	}
}

struct grow_ctx {
	struct forest *f;
	struct sampler *s;
};

static void
grow_one(void *arg, size_t t)
{
	struct grow_ctx *c = arg;

	grow_tree(&c->f->tree[t], sampler_sample(c->s, t), c->f->sample_size,
	          c->f->nfeature, c->f->extension, sampler_rng(c->s, t));
}

void
forest_grow(struct forest *f, struct sampler *s, int threads)
{
	struct grow_ctx c = { f, s };

	f->nfeature = sampler_nfeature(s);
	f->ntree = sampler_ntree(s);
	f->sample_size = sampler_psi(s);
	f->c_psi = forest_c((double)f->sample_size);
	f->tree = xcalloc(f->ntree, sizeof *f->tree);
	parallel_for(grow_one, &c, f->ntree, threads);
}

void
forest_grow_tree(const struct forest *f, struct tree *t, const double *rows,
                 size_t n, struct rng *rng)
{
	grow_tree(t, rows, n, f->nfeature, f->extension, rng);
}

void
forest_free(struct forest *f)
{
	size_t t;

	for (t = 0; f->tree && t < f->ntree; t++) {
		free(f->tree[t].node);
		free(f->tree[t].term);
	}
	free(f->tree);
	flat_free(f->flat);
	f->flat = NULL;
	f->tree = NULL;
	f->ntree = 0;
}
