#include "forest.h"
#include "rng.h"
#include "sample.h"
#include "util.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct flat;
static void flat_free(struct flat *fl);

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

int
default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 64 ? 64 : (int)n;
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
 * ranges go to lo and hi.  Missing values are left out. */
static size_t
nonconstant_features(struct grower *g, const struct item *items, size_t n)
{
	size_t f, i, count = 0, d = g->nfeature;

	for (f = 0; f < d; f++) {
		g->lo[f] = INFINITY;
		g->hi[f] = -INFINITY;
	}
	for (i = 0; i < n; i++) {
		const double *x = row_of(g, &items[i]);

		for (f = 0; f < d; f++) {
			if (x[f] < g->lo[f])
				g->lo[f] = x[f];
			if (x[f] > g->hi[f])
				g->hi[f] = x[f];
		}
	}
	for (f = 0; f < d; f++)
		if (g->lo[f] < g->hi[f])
			g->candidates[count++] = f;
	return count;
}

/* Which way a row goes: -1 left, 1 right, 0 both.  A hyperplane is
 * judged on the features the row has, as if each missing one sat on the
 * plane's point; only a row with none of them follows both branches. */
static int
plane_side(const struct term *term, uint32_t nterm, const double *x)
{
	double v = 0;
	uint32_t k, known = 0;

	for (k = 0; k < nterm; k++) {
		double xk = x[term[k].feature];

		if (xk == xk) {
			v += (xk - term[k].point) * term[k].normal;
			known++;
		}
	}
	if (known == 0)
		return 0;
	return v <= 0 ? -1 : 1;
}

static int
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

		wleft += side < 0 ? items[i].weight : 0;
		wright += side > 0 ? items[i].weight : 0;
		nl += side < 0;
		both += side == 0;
	}
	if (both == 0) {
		size_t lo = 0, hi = nitem;

		while (lo < hi) {
			if (node_side(t, n, row_of(g, &items[lo])) < 0) {
				lo++;
			} else {
				struct item tmp = items[lo];

				items[lo] = items[--hi];
				items[hi] = tmp;
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
		int side = node_side(t, n, row_of(g, &items[i]));
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
	ncand = nonconstant_features(g, items, nitem);
	if (ncand == 0)
		return;
	for (tries = 0; g->extension > 0 && tries < PLANE_TRIES; tries++)
		if (draw_plane(g, id, ncand, items, nitem))
			break;
	if (n->feature == NODE_LEAF)
		draw_feature_split(g, n, ncand);
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
	for (i = 0; i < psi; i++) {
		items[i].row = (uint32_t)i;
		items[i].weight = 1;
	}
	t->node = xreallocarray(NULL, forest_max_nodes(psi), sizeof *t->node);
	t->nnode = 1;
	t->term = NULL;
	t->nterm = 0;
	g.tree = t;
	grow_node(&g, 0, items, psi, 0);
	t->node = xreallocarray(t->node, t->nnode, sizeof *t->node);
	tree_finish(t);
	free(items);
	free(g.lo);
	free(g.hi);
	free(g.candidates);
}

void
tree_finish(struct tree *t)
{
	double *depth = xcalloc(t->nnode, sizeof *depth);
	uint32_t i;

	/* Children always come after their parent, so one pass suffices. */
	for (i = 0; i < t->nnode; i++) {
		struct node *n = &t->node[i];

		if (n->feature == NODE_LEAF) {
			n->path = depth[i] + forest_c(n->size);
		} else {
			depth[n->left] = depth[i] + 1;
			depth[n->right] = depth[i] + 1;
			n->path = 0;
		}
	}
	free(depth);
}

/* --- Running work over threads ----------------------------------------- */

struct job {
	void (*work)(void *ctx, size_t item);
	void *ctx;
	size_t nitem;
	size_t next;
	pthread_mutex_t lock;
};

static void *
job_worker(void *arg)
{
	struct job *j = arg;

	for (;;) {
		size_t item;

		pthread_mutex_lock(&j->lock);
		item = j->next++;
		pthread_mutex_unlock(&j->lock);
		if (item >= j->nitem)
			return NULL;
		j->work(j->ctx, item);
	}
}

/* Call work(ctx, i) for every i < nitem on up to threads workers.  Items
 * must be independent; the results do not depend on the thread count. */
static void
run_parallel(void (*work)(void *, size_t), void *ctx, size_t nitem,
             int threads)
{
	struct job j = { work, ctx, nitem, 0, PTHREAD_MUTEX_INITIALIZER };
	pthread_t tid[64];
	int i, started = 0;

	if (threads > 64)
		threads = 64;
	if ((size_t)threads > nitem)
		threads = (int)nitem;
	for (i = 1; i < threads; i++)
		if (pthread_create(&tid[started], NULL, job_worker, &j) == 0)
			started++;
	job_worker(&j);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
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
	run_parallel(grow_one, &c, f->ntree, threads);
	forest_prepare(f);
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

static void
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

	run_parallel(score_block, &c, (n + SCORE_BLOCK - 1) / SCORE_BLOCK,
	             threads);
}
