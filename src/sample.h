/* sample.h: drawing rows from a stream of unknown length in one pass, in
 * memory that does not grow with the stream.
 *
 * A sampler keeps one reservoir of psi rows per tree (Li's Algorithm L:
 * it jumps straight to the next row that enters a reservoir, so most rows
 * cost one comparison).  A row store keeps every row up to a limit, then
 * a uniform sample of that many (Vitter's Algorithm R). */
#ifndef IFTOOLS_SAMPLE_H
#define IFTOOLS_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "rng.h"

struct sampler;

/* Reservoir t draws from rng stream t of seed, so a tree's sample and
 * growth depend only on (seed, t), never on the thread that grows it. */
struct sampler *sampler_new(size_t nfeature, size_t ntree, size_t psi,
                            uint64_t seed);
void sampler_add(struct sampler *s, const double *row);
void sampler_free(struct sampler *s);
uint64_t sampler_rows(const struct sampler *s);
size_t sampler_nfeature(const struct sampler *s);
size_t sampler_ntree(const struct sampler *s);
/* Rows in each sample: psi, or every row when there were fewer. */
size_t sampler_psi(const struct sampler *s);
/* Tree t's sample (sampler_psi rows) and its generator. */
const double *sampler_sample(const struct sampler *s, size_t t);
struct rng *sampler_rng(struct sampler *s, size_t t);
/* Keep only features keep[0..nkeep) (ascending) of every sampled row. */
void sampler_keep_features(struct sampler *s, const size_t *keep,
                           size_t nkeep);

struct rowstore {
	size_t nfeature;
	double *rows;
	size_t n, cap, limit;
	uint64_t seen;
	struct rng rng;
};

void rowstore_init(struct rowstore *r, size_t nfeature, size_t limit,
                   uint64_t seed);
void rowstore_add(struct rowstore *r, const double *row);
/* 1 when every row seen is kept, 0 when the store is a sample. */
int rowstore_complete(const struct rowstore *r);
/* Keep only features keep[0..nkeep) (ascending) of every row. */
void rowstore_keep_features(struct rowstore *r, const size_t *keep,
                            size_t nkeep);
void rowstore_free(struct rowstore *r);

#endif
