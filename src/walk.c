/* walk.c: ifscore's walk step (walk.h). */
#include "walk.h"

void
walk_init(struct walk *w, struct forest *f)
{
	w->forest = f;
	w->general = *f;
	w->general.flat = NULL;
	pthread_mutex_init(&w->lock, NULL);
	w->rows = 0;
	w->ready = f->flat != NULL;
}

void
walk_free(struct walk *w)
{
	pthread_mutex_destroy(&w->lock);
}

void
walk_rows(struct walk *w, const double *rows, size_t n, double *scores)
{
	const struct forest *f;

	/* The layout is built, and the forest chosen, under the lock: a
	 * thread that walks the laid-out forest sees it whole. */
	pthread_mutex_lock(&w->lock);
	w->rows += n;
	if (!w->ready && w->rows >= WALK_LAYOUT_ROWS) {
		forest_prepare(w->forest);
		w->ready = 1;
	}
	f = w->ready ? w->forest : &w->general;
	pthread_mutex_unlock(&w->lock);
	forest_score_block(f, rows, n, scores);
}
