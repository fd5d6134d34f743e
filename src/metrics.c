#include "metrics.h"
#include "util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Make 2^exp bound x too, rescaling what is known: by powers of two,
 * exact unless the old figures become negligible. */
static void
moments_rescale(struct moments *m, double x)
{
	int e;

	(void)frexp(x, &e); /* |x| < 2^e */
	if (e < 0)
		e = 0;
	if (m->n == 0) {
		m->exp = e;
	} else if (e > m->exp) {
		m->mean = ldexp(m->mean, m->exp - e);
		m->m2 = ldexp(m->m2, 2 * (m->exp - e));
		m->exp = e;
	}
	m->bound = ldexp(1, m->exp);
	m->unscale = ldexp(1, -m->exp);
}

void
moments_add(struct moments *m, double x)
{
	double delta;

	if (!(fabs(x) < m->bound))
		moments_rescale(m, x);
	x *= m->unscale; /* exact: a power of two, the result normal */
	delta = x - m->mean;
	m->n++;
	m->mean += delta / (double)m->n;
	m->m2 += delta * (x - m->mean);
}

double
moments_mean(const struct moments *m)
{
	return m->n > 0 ? ldexp(m->mean, m->exp) : NAN;
}

double
moments_sd(const struct moments *m)
{
	return m->n > 1 ? ldexp(sqrt(m->m2 / (double)(m->n - 1)), m->exp) :
	    NAN;
}

/* The score table: bins of SCORETABLE_STEP, in blocks of TABLE_BLOCK. */
enum { TABLE_BLOCK = 128 };
#define TABLE_BINS ((size_t)llround(1 / SCORETABLE_STEP) + 1)
#define TABLE_BLOCKS ((TABLE_BINS + TABLE_BLOCK - 1) / TABLE_BLOCK)

static const unsigned long long *
table_bin(const struct scoretable *t, size_t bin)
{
	static const unsigned long long empty[2];
	unsigned long long (*b)[2] = t->block ? t->block[bin / TABLE_BLOCK] :
	    NULL;

	return b ? b[bin % TABLE_BLOCK] : empty;
}

void
scoretable_add(struct scoretable *t, double score, int positive)
{
	size_t bin;

	if (t->nneg + t->npos == 0 || score < t->min)
		t->min = score;
	if (t->nneg + t->npos == 0 || score > t->max)
		t->max = score;
	score = score < 0 ? 0 : score > 1 ? 1 : score;
	bin = (size_t)llround(score / SCORETABLE_STEP);
	if (t->block == NULL)
		t->block = xcalloc(TABLE_BLOCKS, sizeof *t->block);
	if (t->block[bin / TABLE_BLOCK] == NULL)
		t->block[bin / TABLE_BLOCK] = xcalloc(TABLE_BLOCK,
		    sizeof **t->block);
	t->block[bin / TABLE_BLOCK][bin % TABLE_BLOCK][positive != 0]++;
	*(positive ? &t->npos : &t->nneg) += 1;
}

void
scoretable_clear(struct scoretable *t)
{
	size_t i;

	for (i = 0; t->block && i < TABLE_BLOCKS; i++)
		if (t->block[i])
			memset(t->block[i], 0, TABLE_BLOCK * sizeof **t->block);
	t->nneg = t->npos = 0;
}

void
scoretable_free(struct scoretable *t)
{
	size_t i;

	for (i = 0; t->block && i < TABLE_BLOCKS; i++)
		free(t->block[i]);
	free(t->block);
	memset(t, 0, sizeof *t);
}

/* The k-th smallest (from 0) rounded score; the ends are exact. */
static double
table_kth(const struct scoretable *t, unsigned long long k)
{
	unsigned long long n = t->nneg + t->npos, seen = 0;
	size_t bin;

	if (k == 0)
		return t->min;
	if (k >= n - 1)
		return t->max;
	for (bin = 0; bin < TABLE_BINS; bin++) {
		const unsigned long long *c = table_bin(t, bin);

		seen += c[0] + c[1];
		if (seen > k)
			break;
	}
	return (double)bin * SCORETABLE_STEP;
}

double
scoretable_quantile(const struct scoretable *t, double q)
{
	unsigned long long n = t->nneg + t->npos, below;
	double position, frac, a, b;

	if (n == 0)
		return NAN;
	position = q * (double)(n - 1);
	below = (unsigned long long)floor(position);
	if (below >= n - 1)
		return t->max;
	frac = position - (double)below;
	a = table_kth(t, below);
	b = table_kth(t, below + 1);
	return frac < 0.5 ? a + (b - a) * frac : b - (b - a) * (1 - frac);
}

/* As scoreset_roc_auc, a bin being one distinct score. */
double
scoretable_roc_auc(const struct scoretable *t)
{
	unsigned long long below = 0;
	double u = 0;
	size_t bin;

	if (t->npos == 0 || t->nneg == 0)
		return NAN;
	for (bin = 0; bin < TABLE_BINS; bin++) {
		const unsigned long long *c = table_bin(t, bin);

		u += (double)c[1] * ((double)below + 0.5 * (double)c[0]);
		below += c[0];
	}
	return u / ((double)t->npos * (double)t->nneg);
}

/* As scoreset_average_precision, a bin being one distinct score. */
double
scoretable_average_precision(const struct scoretable *t)
{
	unsigned long long tp = 0, fp = 0;
	double ap = 0;
	size_t bin;

	if (t->npos == 0)
		return NAN;
	for (bin = TABLE_BINS; bin-- > 0;) {
		const unsigned long long *c = table_bin(t, bin);

		tp += c[1];
		fp += c[0];
		if (c[1] > 0)
			ap += (double)c[1] / (double)t->npos *
			      ((double)tp / (double)(tp + fp));
	}
	return ap;
}

static void
append(double **v, size_t *n, size_t *cap, double x)
{
	if (*n == *cap) {
		*cap = *cap ? *cap + *cap / 2 : 16;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = x;
}

void
scoreset_add(struct scoreset *s, double score, int positive)
{
	if (positive)
		append(&s->pos, &s->npos, &s->pos_cap, score);
	else
		append(&s->neg, &s->nneg, &s->neg_cap, score);
	s->sorted = 0;
}

void
scoreset_clear(struct scoreset *s)
{
	s->nneg = s->npos = 0;
	s->sorted = 0;
}

void
scoreset_free(struct scoreset *s)
{
	free(s->neg);
	free(s->pos);
	s->neg = s->pos = NULL;
	s->nneg = s->npos = s->neg_cap = s->pos_cap = 0;
	s->sorted = 0;
}

size_t
scoreset_count(const struct scoreset *s)
{
	return s->nneg + s->npos;
}

static void
ensure_sorted(struct scoreset *s)
{
	if (s->sorted)
		return;
	sort_doubles(s->neg, s->nneg);
	sort_doubles(s->pos, s->npos);
	s->sorted = 1;
}

/* The k-th smallest (from 0) of two sorted arrays taken together, found by
 * bisecting on how many of the k + 1 smallest come from a. */
static double
union_kth(const double *a, size_t na, const double *b, size_t nb, size_t k)
{
	size_t lo = k + 1 > nb ? k + 1 - nb : 0;
	size_t hi = k + 1 < na ? k + 1 : na;
	size_t i, j;
	double x = -INFINITY;

	while (lo < hi) {
		i = lo + (hi - lo) / 2;
		j = k + 1 - i;
		if (j > 0 && b[j - 1] > a[i])
			lo = i + 1;
		else
			hi = i;
	}
	i = lo;
	j = k + 1 - i;
	if (i > 0)
		x = a[i - 1];
	if (j > 0 && b[j - 1] > x)
		x = b[j - 1];
	return x;
}

double
scoreset_quantile(struct scoreset *s, double q)
{
	size_t n = scoreset_count(s), below;
	double position, t, a, b;

	if (n == 0)
		return NAN;
	ensure_sorted(s);
	position = q * (double)(n - 1);
	below = (size_t)floor(position);
	if (below >= n - 1)
		return union_kth(s->neg, s->nneg, s->pos, s->npos, n - 1);
	t = position - (double)below;
	a = union_kth(s->neg, s->nneg, s->pos, s->npos, below);
	b = union_kth(s->neg, s->nneg, s->pos, s->npos, below + 1);
	/* numpy's _lerp: from the nearer end, so that t = 1 gives b exactly. */
	return t < 0.5 ? a + (b - a) * t : b - (b - a) * (1 - t);
}

/* Walks the distinct scores upwards: each positive scores one for every
 * negative below it and one half for every negative tied with it. */
double
scoreset_roc_auc(struct scoreset *s)
{
	size_t i = 0, j = 0;
	double u = 0;

	if (s->npos == 0 || s->nneg == 0)
		return NAN;
	ensure_sorted(s);
	while (i < s->npos) {
		double t = s->pos[i];
		size_t tied_pos = 0, below = j, tied_neg = 0;

		while (j < s->nneg && s->neg[j] < t)
			j++;
		below = j;
		while (j < s->nneg && s->neg[j] == t) {
			j++;
			tied_neg++;
		}
		while (i < s->npos && s->pos[i] == t) {
			i++;
			tied_pos++;
		}
		u += (double)tied_pos * ((double)below + 0.5 * (double)tied_neg);
	}
	return u / ((double)s->npos * (double)s->nneg);
}

/* Walks the distinct scores downwards, as thresholds: at each one the
 * recall gained times the precision there. */
double
scoreset_average_precision(struct scoreset *s)
{
	size_t i = s->npos, j = s->nneg, tp = 0, fp = 0;
	double ap = 0;

	if (s->npos == 0)
		return NAN;
	ensure_sorted(s);
	while (i > 0) {
		double t = s->pos[i - 1];
		size_t gained = 0;

		if (j > 0 && s->neg[j - 1] > t)
			t = s->neg[j - 1];
		while (i > 0 && s->pos[i - 1] == t) {
			i--;
			gained++;
		}
		while (j > 0 && s->neg[j - 1] == t) {
			j--;
			fp++;
		}
		tp += gained;
		if (gained > 0)
			ap += (double)gained / (double)s->npos *
			      ((double)tp / (double)(tp + fp));
	}
	return ap;
}

/* Introsort: quicksort with Hoare partitioning (fast on the many ties that
 * six-decimal scores have), heapsort past a depth limit, insertion sort on
 * short runs.  Neither qsort's indirect calls nor a merge buffer. */
static void
insertion_sort(double *v, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		double x = v[i];

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void
sift_down(double *v, size_t root, size_t n)
{
	double x = v[root];

	for (;;) {
		size_t child = 2 * root + 1;

		if (child >= n)
			break;
		if (child + 1 < n && v[child + 1] > v[child])
			child++;
		if (v[child] <= x)
			break;
		v[root] = v[child];
		root = child;
	}
	v[root] = x;
}

static void
heap_sort(double *v, size_t n)
{
	size_t i;

	for (i = n / 2; i > 0; i--)
		sift_down(v, i - 1, n);
	for (i = n; i > 1; i--) {
		double top = v[0];

		v[0] = v[i - 1];
		v[i - 1] = top;
		sift_down(v, 0, i - 1);
	}
}

static double
median3(double a, double b, double c)
{
	if (a > b) {
		double t = a;

		a = b;
		b = t;
	}
	return c < a ? a : c > b ? b : c;
}

static void
intro_sort(double *v, size_t n, int depth)
{
	while (n > 16) {
		double pivot;
		size_t i, j;

		if (depth-- == 0) {
			heap_sort(v, n);
			return;
		}
		pivot = median3(v[0], v[n / 2], v[n - 1]);
		i = 0;
		j = n - 1;
		for (;;) {
			double t;

			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i >= j)
				break;
			t = v[i];
			v[i] = v[j];
			v[j] = t;
			i++;
			j--;
		}
		/* v[0..j] <= pivot <= v[j+1..n); recurse on the smaller part. */
		if (j + 1 < n - j - 1) {
			intro_sort(v, j + 1, depth);
			v += j + 1;
			n -= j + 1;
		} else {
			intro_sort(v + j + 1, n - j - 1, depth);
			n = j + 1;
		}
	}
	insertion_sort(v, n);
}

void
sort_doubles(double *v, size_t n)
{
	int depth = 0;
	size_t m;

	for (m = n; m > 1; m >>= 1)
		depth += 2;
	intro_sort(v, n, depth);
}
