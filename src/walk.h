/* walk.h: ifscore's walk step: rows scored by a forest on many threads,
 * with the block layout (forest_prepare) built only once enough rows have
 * come to repay it.  Until then the general walk scores them, to the same
 * bits, so a one-line run (a cron job, a shell loop) starts at once. */
#ifndef IFTOOLS_WALK_H
#define IFTOOLS_WALK_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "forest.h"

/* Rows after which the layout is built.  For 100 trees of three features
 * it takes about 2.7 ms, and a row about 8 us the general way against 1.4
 * in the layout: it repays itself after some 400 rows (measured with
 * tests/bench/startup.c on inputs of 1 to 3000 rows). */
enum { WALK_LAYOUT_ROWS = 512 };

struct walk {
	struct forest *forest;   /* laid out once ready */
	struct forest general;   /* the same trees, never laid out */
	pthread_mutex_t lock;
	uint64_t rows;           /* rows walked so far */
	int ready;               /* forest->flat is built (or cannot be) */
};

void walk_init(struct walk *w, struct forest *f);
void walk_free(struct walk *w);
/* Score n rows (row-major, nfeature each) on this thread. */
void walk_rows(struct walk *w, const double *rows, size_t n, double *scores);

#endif
