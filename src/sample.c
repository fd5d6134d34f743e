#include "sample.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct reservoir {
	struct rng rng;
	double w;         /* Algorithm L's running maximum of psi uniforms */
	uint64_t next;    /* index of the next row that enters the sample */
	double *rows;     /* psi rows, allocated as they arrive */
};

struct sampler {
	size_t nfeature, ntree, psi;
	uint64_t seen;
	struct reservoir *res;
	/* The reservoirs by their next row, a binary min-heap: a row that
	 * enters samples costs the log of the trees, not their number. */
	size_t *heap;
};

/* A uniform double in (0, 1), safe to take the logarithm of. */
static double
uniform_open(struct rng *r)
{
	double u;

	do
		u = rng_uniform(r);
	while (u == 0);
	return u;
}

static void
reservoir_skip(struct reservoir *v)
{
	double skip = floor(log(uniform_open(&v->rng)) / log1p(-v->w));

	v->next += (skip < 1e18 ? (uint64_t)skip : UINT64_C(1) << 62) + 1;
}

static void
reservoir_shrink_w(struct reservoir *v, size_t psi)
{
	v->w *= exp(log(uniform_open(&v->rng)) / (double)psi);
}

/* Move the reservoir at heap[k], whose next row has grown, down to its
 * place. */
static void
heap_sift_down(struct sampler *s, size_t k)
{
	size_t *h = s->heap, top = h[k];
	uint64_t next = s->res[top].next;

	for (;;) {
		size_t c = 2 * k + 1;

		if (c >= s->ntree)
			break;
		if (c + 1 < s->ntree && s->res[h[c + 1]].next < s->res[h[c]].next)
			c++;
		if (s->res[h[c]].next >= next)
			break;
		h[k] = h[c];
		k = c;
	}
	h[k] = top;
}

struct sampler *
sampler_new(size_t nfeature, size_t ntree, size_t psi, uint64_t seed)
{
	struct sampler *s = xcalloc(1, sizeof *s);
	size_t t;

	s->nfeature = nfeature;
	s->ntree = ntree;
	s->psi = psi;
	s->res = xcalloc(ntree, sizeof *s->res);
	s->heap = xcalloc(ntree, sizeof *s->heap);
	for (t = 0; t < ntree; t++) {
		struct reservoir *v = &s->res[t];

		rng_seed(&v->rng, seed, t);
		v->w = 1;
		reservoir_shrink_w(v, psi);
		v->next = psi - 1; /* the last row of the initial fill */
		reservoir_skip(v);
		s->heap[t] = t;
	}
	for (t = ntree / 2; t-- > 0;)
		heap_sift_down(s, t);
	return s;
}

void
sampler_add(struct sampler *s, const double *row)
{
	size_t rowbytes = s->nfeature * sizeof(double), t;
	uint64_t i = s->seen++;

	if (i < s->psi) {
		/* Capacity doubles, so a short input or a large -s costs only
		 * what the rows take. */
		int grow = (i & (i - 1)) == 0;
		size_t cap = i ? 2 * (size_t)i : 1;

		if (cap > s->psi)
			cap = s->psi;
		for (t = 0; t < s->ntree; t++) {
			if (grow)
				s->res[t].rows = xreallocarray(s->res[t].rows,
				    cap, rowbytes);
			memcpy(s->res[t].rows + i * s->nfeature, row, rowbytes);
		}
		return;
	}
	while (s->res[s->heap[0]].next == i) {
		struct reservoir *v = &s->res[s->heap[0]];
		uint64_t slot = rng_below(&v->rng, s->psi);

		memcpy(v->rows + slot * s->nfeature, row, rowbytes);
		reservoir_shrink_w(v, s->psi);
		reservoir_skip(v);
		heap_sift_down(s, 0);
	}
}

void
sampler_free(struct sampler *s)
{
	size_t t;

	if (s == NULL)
		return;
	for (t = 0; t < s->ntree; t++)
		free(s->res[t].rows);
	free(s->res);
	free(s->heap);
	free(s);
}

uint64_t
sampler_rows(const struct sampler *s)
{
	return s->seen;
}

size_t
sampler_nfeature(const struct sampler *s)
{
	return s->nfeature;
}

size_t
sampler_ntree(const struct sampler *s)
{
	return s->ntree;
}

size_t
sampler_psi(const struct sampler *s)
{
	return s->seen < s->psi ? (size_t)s->seen : s->psi;
}

const double *
sampler_sample(const struct sampler *s, size_t t)
{
	return s->res[t].rows;
}

struct rng *
sampler_rng(struct sampler *s, size_t t)
{
	return &s->res[t].rng;
}

void
rowstore_init(struct rowstore *r, size_t nfeature, size_t limit,
              uint64_t seed)
{
	memset(r, 0, sizeof *r);
	r->nfeature = nfeature;
	r->limit = limit;
	/* A stream of its own, apart from every tree's. */
	rng_seed(&r->rng, seed, UINT64_MAX);
}

void
rowstore_add(struct rowstore *r, const double *row)
{
	size_t rowbytes = r->nfeature * sizeof(double);
	uint64_t i = r->seen++;

	if (r->n < r->limit) {
		if (r->n == r->cap) {
			r->cap = r->cap ? 2 * r->cap : 1024;
			if (r->cap > r->limit)
				r->cap = r->limit;
			r->rows = xreallocarray(r->rows, r->cap, rowbytes);
		}
		memcpy(r->rows + r->n++ * r->nfeature, row, rowbytes);
	} else {
		uint64_t slot = rng_below(&r->rng, i + 1);

		if (slot < r->limit)
			memcpy(r->rows + slot * r->nfeature, row, rowbytes);
	}
}

int
rowstore_complete(const struct rowstore *r)
{
	return r->n == r->seen;
}

void
rowstore_free(struct rowstore *r)
{
	free(r->rows);
	r->rows = NULL;
}

/* Keep columns keep[0..nkeep) (ascending) of n rows of d values, in
 * place. */
static void
keep_columns(double *rows, size_t n, size_t d, const size_t *keep,
             size_t nkeep)
{
	size_t r, j;

	for (r = 0; r < n; r++)
		for (j = 0; j < nkeep; j++)
			rows[r * nkeep + j] = rows[r * d + keep[j]];
}

void
sampler_keep_features(struct sampler *s, const size_t *keep, size_t nkeep)
{
	size_t t, n = s->seen < s->psi ? (size_t)s->seen : s->psi;

	for (t = 0; t < s->ntree; t++)
		if (s->res[t].rows != NULL)
			keep_columns(s->res[t].rows, n, s->nfeature, keep,
			             nkeep);
	s->nfeature = nkeep;
}

void
rowstore_keep_features(struct rowstore *r, const size_t *keep, size_t nkeep)
{
	keep_columns(r->rows, r->n, r->nfeature, keep, nkeep);
	r->nfeature = nkeep;
}
