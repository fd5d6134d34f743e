/* parallel.h: independent pieces of work spread over threads. */
#ifndef IFTOOLS_PARALLEL_H
#define IFTOOLS_PARALLEL_H

#include <stddef.h>

/* The number of workers to use when the user did not say: online CPUs,
 * at most 64. */
int default_threads(void);

/* Call work(ctx, i) for every i < nitem on up to threads threads (the
 * caller's among them).  The items must be independent, so the results do
 * not depend on the thread count. */
void parallel_for(void (*work)(void *ctx, size_t item), void *ctx,
                  size_t nitem, int threads);

#endif
