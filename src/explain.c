/* explain.c: the credit of each feature for a row's score (explain.h).
 *
 * Two walks of its own, so the cause does not depend on which walk
 * computed the score: a complete row in a forest of feature splits goes
 * down a layout of the trees (explain_node) whose leaves hold the sums of
 * their paths' gains per cause; a row with a missing value, or a forest
 * of hyperplanes, takes the general walk over struct tree, gain by gain.
 * Both sum the same gains, so they differ by rounding only. */
#include "explain.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The cause a feature's high or low credit goes to (explain.h). */
static char *
cause_name(const char *feature, int high)
{
	const char *at = strchr(feature, '@');
	size_t len = at ? (size_t)(at - feature) : strlen(feature);
	char mark = high ? '+' : '-', *name;

	if (at != NULL && strcmp(at + 1, "same") == 0)
		mark = high ? '=' : '~';
	else if (at != NULL && strncmp(at + 1, "std", 3) == 0)
		mark = high ? '~' : '=';
	name = xmalloc(len + 2);
	memcpy(name, feature, len);
	name[len] = mark;
	name[len + 1] = '\0';
	return name;
}

static size_t
cause_index(struct explainer *e, char *name)
{
	size_t i;

	for (i = 0; i < e->ncause; i++)
		if (strcmp(e->cause[i], name) == 0) {
			free(name);
			return i;
		}
	e->cause[e->ncause] = name;
	return e->ncause++;
}

/* Every node's gains, so a walk only adds (explain.h): gain[2i] for
 * reaching node i from its parent, gain[2i + 1] for being isolated at
 * split i by the range penalty, which ends the path at depth + 1 as if
 * the split had cut the row off alone: c(n) - 1 - c(1).  The root's
 * promise is c(psi), the score's own yardstick, so the gains of a path
 * sum exactly to c(psi) - path. */
static double *
tree_gains(const struct tree *t, double c_psi, double scale)
{
	double *gain = xcalloc(2 * (size_t)(t->nnode ? t->nnode : 1),
	                       sizeof *gain);
	uint32_t i;

	for (i = 0; i < t->nnode; i++) {
		const struct node *n = &t->node[i];
		double promise = i == 0 ? c_psi : forest_c(n->size);

		if (n->feature == NODE_LEAF)
			continue;
		gain[2 * (size_t)n->left] = (promise - 1 -
		    forest_c(t->node[n->left].size)) * scale;
		gain[2 * (size_t)n->right] = (promise - 1 -
		    forest_c(t->node[n->right].size)) * scale;
		gain[2 * (size_t)i + 1] = (promise - 1) * scale;
	}
	return gain;
}

/* A path's credits, one per cause, as the path grows by a step. */
struct path_credits {
	struct explain_credit *credit;
	size_t n, cap;
};

/* Append to pc the credits of the path at `from` plus one step. */
static size_t
path_step(struct path_credits *pc, size_t from, size_t n, uint32_t cause,
          double gain)
{
	size_t start = pc->n, i;

	if (pc->cap - pc->n < n + 1) {
		pc->cap = 2 * (pc->n + n + 1);
		pc->credit = xreallocarray(pc->credit, pc->cap,
		                           sizeof *pc->credit);
	}
	memmove(pc->credit + start, pc->credit + from, n * sizeof *pc->credit);
	pc->n += n;
	for (i = start; i < pc->n; i++)
		if (pc->credit[i].cause == cause) {
			pc->credit[i].credit += gain;
			return n;
		}
	pc->credit[pc->n].cause = cause;
	pc->credit[pc->n++].credit = gain;
	return n + 1;
}

static void
append_credits(struct path_credits *pc, const struct explain_credit *c,
               size_t n)
{
	if (n == 0)
		return;
	if (pc->cap - pc->n < n) {
		pc->cap = 2 * (pc->n + n);
		pc->credit = xreallocarray(pc->credit, pc->cap,
		                           sizeof *pc->credit);
	}
	memcpy(pc->credit + pc->n, c, n * sizeof *c);
	pc->n += n;
}

/* Tree t into e->node from base, breadth first, a node's children side
 * by side; a leaf leads to itself.  Each node's path credits go to
 * e->credit (a row ends at a leaf, or with the range penalty at the split
 * that isolates it).  Returns the nodes laid out. */
static size_t
lay_out_tree(struct explainer *e, const struct tree *t, const double *gain,
             size_t base, unsigned *tree_depth, struct path_credits *leaf)
{
	uint32_t *old = xreallocarray(NULL, t->nnode, sizeof *old);
	size_t *first = xreallocarray(NULL, t->nnode, sizeof *first);
	size_t *count = xreallocarray(NULL, t->nnode, sizeof *count);
	struct path_credits pc = { NULL, 0, 0 };
	size_t head, fill = 1, depth_end = 1, k;
	unsigned depth = 0;

	old[0] = 0;
	first[0] = count[0] = 0;
	for (head = 0; head < fill; head++) {
		const struct node *n = &t->node[old[head]];
		struct explain_node *x = &e->node[base + head];
		struct explain_end *end;

		if (head == depth_end) {
			depth++;
			depth_end = fill;
		}
		end = &e->end[base + head];
		*end = (struct explain_end){ 0, INFINITY, (uint32_t)leaf->n,
		                             (uint32_t)count[head], 0, 0 };
		/* Nothing to append before the first path has credits (and
		 * no offset to add to a null pointer). */
		if (count[head] > 0)
			append_credits(leaf, pc.credit + first[head],
			               count[head]);
		if (n->feature == NODE_LEAF) {
			*x = (struct explain_node){ INFINITY, -INFINITY,
			                            INFINITY, 0,
			                            (uint32_t)(base + head) };
			continue;
		}
		*x = (struct explain_node){ n->split, -INFINITY, INFINITY,
		                            (uint32_t)n->feature,
		                            (uint32_t)(base + fill) };
		if (e->f->penalize_range) {
			x->low = n->low;
			x->high = n->high;
			end->isolated = gain[2 * (size_t)old[head] + 1];
			end->high = n->high;
			end->feature = (uint32_t)n->feature;
			end->split = 1;
		}
		old[fill] = n->left;
		old[fill + 1] = n->right;
		for (k = 0; k < 2; k++) {
			first[fill + k] = pc.n;
			count[fill + k] = path_step(&pc, first[head],
			    count[head],
			    (uint32_t)e->cause_of[2 * (size_t)n->feature + k],
			    gain[2 * (size_t)old[fill + k]]);
		}
		fill += 2;
	}
	*tree_depth = depth;
	free(pc.credit);
	free(count);
	free(first);
	free(old);
	return fill;
}

/* The layout of every tree, for forests of feature splits alone. */
static void
lay_out(struct explainer *e)
{
	const struct forest *f = e->f;
	struct path_credits leaf = { NULL, 0, 0 };
	size_t t, total = 0;

	for (t = 0; t < f->ntree; t++) {
		if (f->tree[t].nterm > 0)
			return;
		total += f->tree[t].nnode;
	}
	if (total >= UINT32_MAX)
		return;
	e->node = xreallocarray(NULL, total, sizeof *e->node);
	e->end = xreallocarray(NULL, total, sizeof *e->end);
	e->root = xreallocarray(NULL, f->ntree, sizeof *e->root);
	e->depth = xreallocarray(NULL, f->ntree, sizeof *e->depth);
	total = 0;
	for (t = 0; t < f->ntree; t++) {
		e->root[t] = (uint32_t)total;
		total += lay_out_tree(e, &f->tree[t], e->gain[t], total,
		                      &e->depth[t], &leaf);
	}
	if (leaf.n >= UINT32_MAX)
		die("a forest too large to explain");
	/* Trees of one leaf have no credits; the walk still points here. */
	e->credit = leaf.credit ? leaf.credit : xcalloc(1, sizeof *e->credit);
}

/* Group the causes by sensor, the name without its mark, in the order
 * the sensors first appear. */
static void
group_by_sensor(struct explainer *e)
{
	size_t i, j, k = 0;
	size_t *sensor = xreallocarray(NULL, e->ncause, sizeof *sensor);

	for (i = 0; i < e->ncause; i++) {
		size_t len = strlen(e->cause[i]) - 1;

		sensor[i] = e->nsensor;
		for (j = 0; j < i; j++)
			if (strlen(e->cause[j]) - 1 == len &&
			    memcmp(e->cause[j], e->cause[i], len) == 0) {
				sensor[i] = sensor[j];
				break;
			}
		if (sensor[i] == e->nsensor)
			e->nsensor++;
	}
	e->sensor_start = xcalloc(e->nsensor + 1, sizeof *e->sensor_start);
	e->sensor_cause = xreallocarray(NULL, e->ncause,
	                                sizeof *e->sensor_cause);
	for (j = 0; j < e->nsensor; j++) {
		e->sensor_start[j] = k;
		for (i = 0; i < e->ncause; i++)
			if (sensor[i] == j)
				e->sensor_cause[k++] = i;
	}
	e->sensor_start[e->nsensor] = k;
	free(sensor);
}

void
explainer_init(struct explainer *e, const struct forest *f,
               char *const *name)
{
	size_t k, t, nf = f->nfeature;
	double scale = 0;

	memset(e, 0, sizeof *e);
	e->f = f;
	e->cause = xreallocarray(NULL, 2 * nf, sizeof *e->cause);
	e->cause_of = xreallocarray(NULL, 2 * nf, sizeof *e->cause_of);
	for (k = 0; k < nf; k++) {
		e->cause_of[2 * k + 1] = cause_index(e, cause_name(name[k], 1));
		e->cause_of[2 * k] = cause_index(e, cause_name(name[k], 0));
	}
	group_by_sensor(e);
	if (f->c_psi > 0 && f->ntree > 0)
		scale = 1 / ((double)f->ntree * f->c_psi);
	e->gain = xreallocarray(NULL, f->ntree ? f->ntree : 1,
	                        sizeof *e->gain);
	for (t = 0; t < f->ntree; t++)
		e->gain[t] = tree_gains(&f->tree[t], f->c_psi, scale);
	lay_out(e);
}

void
explainer_free(struct explainer *e)
{
	size_t i;

	for (i = 0; i < e->ncause; i++)
		free(e->cause[i]);
	for (i = 0; i < e->f->ntree; i++)
		free(e->gain[i]);
	free(e->cause);
	free(e->cause_of);
	free(e->sensor_start);
	free(e->sensor_cause);
	free(e->gain);
	free(e->node);
	free(e->root);
	free(e->depth);
	free(e->end);
	free(e->credit);
	memset(e, 0, sizeof *e);
}

/* A hyperplane's gain, shared by its features (explain.h); side is the
 * branch taken, for a row with none of them (which took both). */
static void
credit_plane(const struct explainer *e, const struct term *term,
             uint32_t nterm, const double *x, double gain, int side,
             double *credit)
{
	double total = 0;
	uint32_t k, known = 0;

	for (k = 0; k < nterm; k++) {
		double xk = x[term[k].feature];

		if (xk == xk) {
			total += fabs((xk - term[k].point) * term[k].normal);
			known++;
		}
	}
	for (k = 0; k < nterm; k++) {
		double xk = x[term[k].feature], share;
		int high;

		if (known == 0) {
			share = 1.0 / nterm;
			high = side > 0;
		} else if (xk == xk) {
			share = total > 0 ? fabs((xk - term[k].point) *
			                         term[k].normal) / total :
			                    1.0 / known;
			high = xk > term[k].point;
		} else {
			continue;
		}
		credit[e->cause_of[2 * term[k].feature + high]] += gain * share;
	}
}

/* Credit the split at n for the row's step to child, with weight w. */
static void
credit_step(const struct explainer *e, const struct tree *t,
            const struct node *n, uint32_t child, int side,
            const double *x, double w, const double *gain, double *credit)
{
	double g = w * gain[2 * (size_t)child];

	if (n->feature >= 0)
		credit[e->cause_of[2 * (size_t)n->feature + (side > 0)]] += g;
	else
		credit_plane(e, t->term + n->term, n->nterm, x, g, side,
		             credit);
}

/* The gain of a row isolated at split n by the range penalty: high when
 * its value (a hyperplane: its sum) is above the range, low below. */
static void
credit_isolated(const struct explainer *e, const struct tree *t,
                const struct node *n, const double *x, double gain,
                double *credit)
{
	if (n->feature >= 0)
		credit[e->cause_of[2 * (size_t)n->feature +
		                   (x[n->feature] > n->high)]] += gain;
	else
		credit_plane(e, t->term + n->term, n->nterm, x, gain, 0,
		             credit);
}

/* The row's path from node id, with weight w: a missing value follows
 * both branches, weighted as the score weighs them; the range penalty
 * ends it where it isolates the row. */
static void
walk(const struct explainer *e, const struct tree *t, const double *gain,
     uint32_t id, const double *x, double w, double *credit)
{
	for (;;) {
		const struct node *n = &t->node[id];
		uint32_t child;
		int side;

		if (n->feature == NODE_LEAF)
			return;
		if (e->f->penalize_range && node_isolates(t, n, x)) {
			credit_isolated(e, t, n, x, w * gain[2 * (size_t)id + 1],
			                credit);
			return;
		}
		side = node_side(t, n, x);
		if (side == 0) {
			double wl = t->node[n->left].size;
			double wr = t->node[n->right].size;
			double left = w * wl / (wl + wr);
			double right = w * wr / (wl + wr);

			credit_step(e, t, n, n->left, -1, x, left, gain, credit);
			walk(e, t, gain, n->left, x, left, credit);
			credit_step(e, t, n, n->right, 1, x, right, gain,
			            credit);
			walk(e, t, gain, n->right, x, right, credit);
			return;
		}
		child = side < 0 ? n->left : n->right;
		credit_step(e, t, n, child, side, x, w, gain, credit);
		id = child;
	}
}

enum { LANES = 8 };

/* Add the credits of a row whose walk ended at end: its path's, and
 * where that is a split (the range penalty isolated the row there) that
 * of being cut off. */
static void
end_laid_out(const struct explainer *e, const struct explain_end *end,
             const double *x, double *credit)
{
	const struct explain_credit *c = e->credit + end->start;
	uint32_t j;

	for (j = 0; j < end->count; j++)
		credit[c[j].cause] += c[j].credit;
	if (end->split)
		credit[e->cause_of[2 * (size_t)end->feature +
		                   (x[end->feature] > end->high)]] +=
		    end->isolated;
}

/* Complete rows x[0..n) through the layout, a tree at a time so that it
 * stays in cache, LANES rows side by side (the last group padded with the
 * first row), a fixed number of steps each with the side taken by
 * arithmetic: independent walks and no branch to mispredict make it
 * several times faster than walk().  Then the credits of each row's leaf
 * are added, in the same order whatever the row's companions. */
static void
walk_laid_out(const struct explainer *e, const double *const *x,
              double *const *credit, size_t n)
{
	const struct explain_node *node = e->node;
	size_t t, r, k;
	unsigned level;

	for (t = 0; t < e->f->ntree; t++)
		for (r = 0; r < n; r += LANES) {
			const double *xk[LANES];
			const struct explain_end *end[LANES];
			uint32_t at[LANES];
			size_t m = n - r < LANES ? n - r : LANES;

			for (k = 0; k < LANES; k++) {
				xk[k] = x[r + (k < m ? k : 0)];
				at[k] = e->root[t];
			}
			for (level = 0; level < e->depth[t]; level++)
				for (k = 0; k < LANES; k++) {
					const struct explain_node *p = &node[at[k]];
					double v = xk[k][p->feature];
					uint32_t next = p->left + (v > p->split);

					/* Outside the range: the row stays. */
					at[k] = v >= p->low && v <= p->high ?
					        next : at[k];
				}
			/* The lanes' credits are far apart in memory: their
			 * loads are all started before any is used. */
			for (k = 0; k < m; k++) {
				end[k] = &e->end[at[k]];
				__builtin_prefetch(e->credit + end[k]->start);
			}
			for (k = 0; k < m; k++)
				end_laid_out(e, end[k], xk[k], credit[r + k]);
		}
}

static char
mark_of(const struct explainer *e, size_t cause)
{
	return e->cause[cause][strlen(e->cause[cause]) - 1];
}

/* The cause of a row whose causes have these credits (explain.h): the
 * sensor with the most in all, then its mark. */
static size_t
best_cause(const struct explainer *e, const double *credit)
{
	size_t s, k, sensor = 0, best = SIZE_MAX, sided = SIZE_MAX;
	double most = -INFINITY;

	for (s = 0; s < e->nsensor; s++) {
		double total = 0;

		for (k = e->sensor_start[s]; k < e->sensor_start[s + 1]; k++)
			total += credit[e->sensor_cause[k]];
		if (total > most) {
			most = total;
			sensor = s;
		}
	}
	for (k = e->sensor_start[sensor]; k < e->sensor_start[sensor + 1];
	     k++) {
		size_t c = e->sensor_cause[k];
		char mark = mark_of(e, c);

		if (best == SIZE_MAX || credit[c] > credit[best])
			best = c;
		if ((mark == '+' || mark == '-') &&
		    (sided == SIZE_MAX || credit[c] > credit[sided]))
			sided = c;
	}
	if (mark_of(e, best) != '=' && sided != SIZE_MAX && credit[sided] > 0)
		return sided;
	return best;
}

void
explain_rows(const struct explainer *e, const double *rows,
             const size_t *which, size_t n, double *credit, size_t *cause)
{
	const double *x[EXPLAIN_BLOCK];
	double *row_credit[EXPLAIN_BLOCK];
	size_t d = e->f->nfeature, i, t, fast = 0;

	for (i = 0; i < n * e->ncause; i++)
		credit[i] = 0;
	for (i = 0; i < n; i++) {
		const double *xi = rows + which[i] * d;
		double *ci = credit + i * e->ncause;

		if (e->node != NULL && !row_has_missing(xi, d)) {
			x[fast] = xi;
			row_credit[fast++] = ci;
		} else {
			for (t = 0; t < e->f->ntree; t++)
				walk(e, &e->f->tree[t], e->gain[t], 0, xi, 1,
				     ci);
		}
	}
	walk_laid_out(e, x, row_credit, fast);
	for (i = 0; i < n; i++)
		cause[i] = best_cause(e, credit + i * e->ncause);
}

void
explain_json(const struct explainer *e, const double *credit, struct out *o)
{
	size_t i;

	out_char(o, '{');
	for (i = 0; i < e->ncause; i++) {
		/* No "-0.000000": a credit that rounds to 0 prints as 0. */
		double c = fabs(credit[i]) < 5e-7 ? 0 : credit[i];

		if (i > 0)
			out_char(o, ',');
		out_json_string(o, e->cause[i], strlen(e->cause[i]));
		out_printf(o, ":%.6f", c);
	}
	out_char(o, '}');
}
