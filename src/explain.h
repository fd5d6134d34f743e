/* explain.h: why a row scores as it does: the part each feature, above or
 * below normal, has in the row's score (ifscore --explain).
 *
 * The path of a row through a tree is a chain of splits.  A node of n
 * training rows promises a row reaching it c(n) more steps (forest.h);
 * a split that sends the row to a child of m rows takes one step and
 * leaves c(m), so it shortens the path by
 *
 *	gain = c(n) - 1 - c(m)
 *
 * (negative when the row goes where most rows go).  Summed over the path
 * these telescope to c(psi) - path, the tree's own shortfall; each gain
 * is credited to the split's feature, as 'high' when the row went right
 * (above the split) and 'low' when it went left.  Divided by
 * trees * c(psi), the credits of all features sum to
 *
 *	1 - mean path / c(psi) = 1 + log2(score)
 *
 * which is 0 at score 0.5 and positive for an anomaly.  The range penalty
 * (forest.h) ends a path at a split whose range the row's value is
 * outside, at depth + 1: that last step gains c(n) - 1, credited high or
 * low as the value is above or below the range, and the sum holds.  A row without a
 * feature's value follows both branches, and each branch's gains count
 * with the branch's share of the training rows, as in the score.  A
 * hyperplane's gain is shared among its features in proportion to
 * |(x - point) * normal|, each high or low as x is above or below the
 * plane's point.
 *
 * Credits are gathered per cause: "NAME+" (high) and "NAME-" (low) for a
 * plain feature; a context feature SENSOR@KIND (context.h) counts as its
 * sensor, known by name alone: SENSOR@same as "SENSOR=" when a reading
 * repeats the last more exactly than normal (stuck) and "SENSOR~" when
 * less (a jump), SENSOR@stdN as "SENSOR~" when the spread is above normal
 * (erratic) and "SENSOR=" when below (flat), any other kind as "SENSOR+"
 * or "SENSOR-".
 *
 * A row's cause is the sensor whose causes have the most credit together,
 * with the mark of its largest credit, except that a side ('+' or '-')
 * with a positive credit wins over '~': a jump or a spread above normal
 * comes with a reading on one side, and which side is what an operator
 * looks for.  A stuck sensor ('=') has no side, and keeps its mark. */
#ifndef IFTOOLS_EXPLAIN_H
#define IFTOOLS_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "forest.h"
#include "out.h"

/* A node of the explainer's own layout of a forest of feature splits. */
struct explain_node {
	double split;        /* a leaf: +inf, so that a row stays there */
	double low, high;    /* the range penalty's (else +-inf): a row
	                        outside stays at the split */
	uint32_t feature;
	uint32_t left;       /* the right child is left + 1; a leaf: itself */
};

/* A cause's credit from the splits on one path. */
struct explain_credit {
	double credit;
	uint32_t cause;
};

/* What a row whose walk ends at a node is credited with: the credits of
 * the node's path, credit[start .. start + count), and at a split (the
 * range penalty isolated the row there) the gain of being cut off. */
struct explain_end {
	double isolated;
	double high;         /* above it the cut is high, else low */
	uint32_t start, count;
	uint32_t feature;
	uint32_t split;      /* 1 at a split */
};

struct explainer {
	const struct forest *f;
	size_t ncause;
	char **cause;        /* the causes' names, in the model's order */
	size_t *cause_of;    /* per feature: [2k] low, [2k+1] high */
	size_t nsensor;      /* the causes' names without their marks */
	size_t *sensor_start; /* sensor s's causes are sensor_cause[these */
	size_t *sensor_cause; /* [s] .. [s + 1]), in the model's order */
	double **gain;       /* per tree, per node i, over trees * c(psi):
	                        [2i] reaching it from its parent (0 at the
	                        root), [2i + 1] being isolated there */
	struct explain_node *node; /* every tree, or NULL with hyperplanes */
	uint32_t *root;      /* per tree: its root in node */
	unsigned *depth;     /* per tree: its deepest leaf's depth */
	struct explain_end *end; /* per node: a walk that ends there */
	struct explain_credit *credit;
};

/* name[0..f->nfeature): the model's feature names. */
void explainer_init(struct explainer *e, const struct forest *f,
                    char *const *name);
void explainer_free(struct explainer *e);

enum { EXPLAIN_BLOCK = 256 };

/* Explain n <= EXPLAIN_BLOCK rows, rows + which[i] * nfeature: the credit
 * of each cause into credit[i * e->ncause ...], and into cause[i] the
 * row's cause, as chosen above.  A row's results do not depend on the
 * rows explained with it. */
void explain_rows(const struct explainer *e, const double *rows,
                  const size_t *which, size_t n, double *credit,
                  size_t *cause);

/* The credits as a JSON object, "cause": credit, six decimals. */
void explain_json(const struct explainer *e, const double *credit,
                  struct out *o);

#endif
