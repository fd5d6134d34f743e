/* context.c: features over time, per series (context.h). */
#include "context.h"
#include "out.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_name[NCONTEXT] = { "mean", "std", "dev",
                                                 "trend", "same" };

/* "same" of a reading that repeats the one before it exactly. */
#define SAME_MAX 64.0
/* "trend" of a window whose readings lie exactly on a line. */
#define TREND_MAX 1e6

int
context_parse_kinds(const char *list, unsigned *kinds, const char **bad,
                    size_t *bad_len)
{
	const char *p = list;

	*kinds = 0;
	for (;;) {
		size_t n = strcspn(p, ",");
		int k;

		for (k = 0; k < NCONTEXT; k++)
			if (strlen(kind_name[k]) == n &&
			    strncmp(p, kind_name[k], n) == 0)
				break;
		if (k == NCONTEXT || *kinds & 1u << k) {
			*bad = p;
			*bad_len = n;
			return -1;
		}
		*kinds |= 1u << k;
		if (p[n] == '\0')
			return 0;
		p += n + 1;
	}
}

void
opt_context_kinds(const char *arg, unsigned *kinds)
{
	const char *bad;
	size_t len;

	if (context_parse_kinds(arg, kinds, &bad, &len) < 0)
		usage_error("invalid value '%s' for --context: unknown or "
		            "repeated kind '%.*s' (kinds: mean, std, dev, trend, same)",
		            arg, (int)len, bad);
}

void
context_kinds_text(unsigned kinds, char *buf, size_t size)
{
	size_t len = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < NCONTEXT; k++)
		if (kinds & 1u << k)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			                        len ? "," : "", kind_name[k]);
}

static unsigned
kind_count(unsigned kinds)
{
	unsigned n = 0;

	for (; kinds; kinds &= kinds - 1)
		n++;
	return n;
}

size_t
context_nsensor(const struct context_recipe *r, size_t nraw)
{
	return r->sensor ? r->nsensor : nraw;
}

size_t
context_sensor(const struct context_recipe *r, size_t j)
{
	return r->sensor ? r->sensor[j] : j;
}

size_t
context_count(const struct context_recipe *r, size_t nraw)
{
	return r->window ? kind_count(r->kinds) * context_nsensor(r, nraw) :
	                   0;
}

/* The kind of context feature i, of nsensor sensors with context. */
static enum context_kind
nth_kind(unsigned kinds, size_t nsensor, size_t i)
{
	size_t skip = i / nsensor;
	int k;

	for (k = 0; k < NCONTEXT; k++)
		if (kinds & 1u << k && skip-- == 0)
			break;
	return (enum context_kind)k;
}

char *
context_name(const struct context_recipe *r, char *const *raw, size_t nraw,
             size_t i)
{
	size_t nsensor = context_nsensor(r, nraw);
	enum context_kind k = nth_kind(r->kinds, nsensor, i);
	const char *sensor = raw[context_sensor(r, i % nsensor)];
	size_t size = strlen(sensor) + 32;
	char *name = xmalloc(size);

	if (k == CONTEXT_SAME)
		snprintf(name, size, "%s@%s", sensor, kind_name[k]);
	else
		snprintf(name, size, "%s@%s%u", sensor, kind_name[k],
		         r->window);
	return name;
}

/* --- The state of a series ------------------------------------------------
 *
 * Per sensor, a ring of the last `window` known readings, and their sums
 * about a shift K: s1 = sum (x - K), s2 = sum (x - K)^2 and
 * sj = sum j (x_j - K), j = 0 for the oldest, kept up to date as readings
 * come and go.  Every time the ring wraps the sums are made
 * anew from it, with K its mean, so rounding never builds up and a
 * variance is never the difference of two large numbers. */

struct sensor {
	double shift, s1, s2, sj;
	double prev;       /* the last known reading, NaN before one */
	unsigned count;    /* readings in the ring */
	unsigned head;     /* where the next one goes */
};

struct context {
	struct context_recipe recipe;
	size_t nraw, max_groups;
	size_t nsensor;         /* raw features with context */
	size_t *col;            /* [nsensor]: which raw feature each is */
	size_t nseries;
	struct sensor **sensor; /* [series][nsensor] */
	double **ring;          /* [series][nsensor * window] */
	/* Group values to series: open addressing on a power-of-two table. */
	size_t *slot;           /* series + 1, or 0 for an empty slot */
	size_t nslot;
	char **key;             /* [series]: the group value */
	size_t *key_len;
	uint64_t *key_hash;
};

int
context_fits(const struct context_recipe *r, size_t nraw, size_t max_groups)
{
	/* A series: per sensor its sums and its ring; its key, its slots. */
	double bytes = (double)context_nsensor(r, nraw) *
	               (sizeof(struct sensor) + r->window * sizeof(double)) +
	               128;

	return bytes * (double)max_groups <= (double)CONTEXT_MEMORY_MAX;
}

struct context *
context_new(const struct context_recipe *r, size_t nraw, size_t max_groups)
{
	struct context *c = xcalloc(1, sizeof *c);
	size_t j;

	c->recipe = *r;
	c->nraw = nraw;
	c->nsensor = context_nsensor(r, nraw);
	c->col = xreallocarray(NULL, c->nsensor + 1, sizeof *c->col);
	for (j = 0; j < c->nsensor; j++)
		c->col[j] = context_sensor(r, j);
	c->max_groups = r->group ? max_groups : 1;
	return c;
}

void
context_free(struct context *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nseries; i++) {
		free(c->sensor[i]);
		free(c->ring[i]);
		if (c->key)
			free(c->key[i]);
	}
	free(c->sensor);
	free(c->ring);
	free(c->col);
	free(c->slot);
	free(c->key);
	free(c->key_len);
	free(c->key_hash);
	free(c);
}

static size_t
new_series(struct context *c)
{
	size_t s = c->nseries++, i;

	c->sensor = xreallocarray(c->sensor, c->nseries, sizeof *c->sensor);
	c->ring = xreallocarray(c->ring, c->nseries, sizeof *c->ring);
	c->sensor[s] = xcalloc(c->nsensor + 1, sizeof **c->sensor);
	c->ring[s] = xreallocarray(NULL, c->nsensor * c->recipe.window + 1,
	                           sizeof **c->ring);
	for (i = 0; i < c->nsensor; i++)
		c->sensor[s][i].prev = NAN;
	return s;
}

static void
grow_slots(struct context *c)
{
	size_t n = c->nslot ? 2 * c->nslot : 64, s;

	free(c->slot);
	c->slot = xcalloc(n, sizeof *c->slot);
	c->nslot = n;
	for (s = 0; s < c->nseries; s++) {
		size_t at = c->key_hash[s] & (n - 1);

		while (c->slot[at])
			at = (at + 1) & (n - 1);
		c->slot[at] = s + 1;
	}
}

/* The series of a group value, made when new; -1 beyond the cap. */
static long
find_series(struct context *c, const char *group, size_t len)
{
	uint64_t h;
	size_t at, s;

	if (c->recipe.group == NULL)
		return c->nseries ? 0 : (long)new_series(c);
	h = hash_bytes(group, len);
	if (c->nslot) {
		for (at = h & (c->nslot - 1); c->slot[at];
		     at = (at + 1) & (c->nslot - 1)) {
			s = c->slot[at] - 1;
			if (c->key_hash[s] == h && c->key_len[s] == len &&
			    memcmp(c->key[s], group, len) == 0)
				return (long)s;
		}
	}
	if (c->nseries == c->max_groups)
		return -1;
	s = new_series(c);
	c->key = xreallocarray(c->key, c->nseries, sizeof *c->key);
	c->key_len = xreallocarray(c->key_len, c->nseries, sizeof *c->key_len);
	c->key_hash = xreallocarray(c->key_hash, c->nseries,
	                            sizeof *c->key_hash);
	c->key[s] = xmalloc(len + 1);
	memcpy(c->key[s], group, len);
	c->key[s][len] = '\0';
	c->key_len[s] = len;
	c->key_hash[s] = h;
	if (2 * c->nseries > c->nslot)
		grow_slots(c);
	else {
		for (at = h & (c->nslot - 1); c->slot[at];
		     at = (at + 1) & (c->nslot - 1))
			continue;
		c->slot[at] = s + 1;
	}
	return (long)s;
}

/* The sums made anew from a full ring (oldest first), about its mean. */
static void
resum(struct sensor *sn, const double *ring)
{
	double sum = 0, k;
	unsigned i;

	for (i = 0; i < sn->count; i++)
		sum += ring[i];
	k = sum / sn->count;
	sn->shift = k;
	sn->s1 = sn->s2 = sn->sj = 0;
	for (i = 0; i < sn->count; i++) {
		double d = ring[i] - k;

		sn->s1 += d;
		sn->s2 += d * d;
		sn->sj += i * d;
	}
}

static void
push(struct sensor *sn, double *ring, unsigned window, double x)
{
	double d;

	if (sn->count == window) {
		d = ring[sn->head] - sn->shift;
		sn->s1 -= d;
		sn->s2 -= d * d;
		/* The oldest (j = 0) goes; the rest move one place down. */
		sn->sj -= sn->s1;
		sn->count--;
	}
	ring[sn->head] = x;
	d = x - sn->shift;
	sn->sj += sn->count * d;
	sn->s1 += d;
	sn->s2 += d * d;
	sn->count++;
	sn->prev = x;
	if (++sn->head == window) {
		sn->head = 0;
		resum(sn, ring);
	}
}

static double
window_mean(const struct sensor *sn)
{
	return sn->count ? sn->shift + sn->s1 / sn->count : NAN;
}

static double
window_std(const struct sensor *sn)
{
	double m, v;

	if (sn->count == 0)
		return NAN;
	m = sn->s1 / sn->count;
	v = sn->s2 / sn->count - m * m;
	return v > 0 ? sqrt(v) : 0;
}

/* The least-squares slope b of the window against j = 0 .. n-1 over its
 * standard error: with Sjj = sum (j - jbar)^2 = n (n^2 - 1) / 12,
 * b = sum (j - jbar)(x_j - K) / Sjj, and the residual sum of squares
 * sum (x - mean)^2 - b^2 Sjj over n - 2 degrees of freedom.  Scale-free,
 * so machines of different spread share one distribution. */
static double
window_trend(const struct sensor *sn)
{
	double n = sn->count, sjj, b, m, resid;

	if (sn->count < 3)
		return NAN;
	sjj = n * (n * n - 1) / 12;
	b = (sn->sj - (n - 1) / 2 * sn->s1) / sjj;
	m = sn->s1 / n;
	resid = sn->s2 - n * m * m - b * b * sjj;
	if (!(resid > 0))
		return b > 0 ? TREND_MAX : b < 0 ? -TREND_MAX : 0;
	return b / sqrt(resid / (n - 2) / sjj);
}

static double
sameness(double x, double p)
{
	double r;

	if (x == p)
		return SAME_MAX;
	r = -log2(fabs(x - p) / (fabs(x) + fabs(p)));
	return r < SAME_MAX ? r : SAME_MAX;
}

int
context_apply(struct context *c, const char *group, size_t group_len,
              double *x)
{
	long s = find_series(c, group, group_len);
	size_t n = c->nsensor, i;
	unsigned window = c->recipe.window, kinds = c->recipe.kinds;
	double *out = x + c->nraw;

	if (s < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct sensor *sn = &c->sensor[s][i];
		double *ring = c->ring[s] + i * window;
		double v = x[c->col[i]], dev = NAN, same = NAN;
		size_t at = 0;
		int known = v == v;

		if (known && sn->count > 0)
			dev = v - window_mean(sn);
		if (known && sn->prev == sn->prev)
			same = sameness(v, sn->prev);
		if (known)
			push(sn, ring, window, v);
		if (kinds & 1u << CONTEXT_MEAN)
			out[at++ * n + i] = window_mean(sn);
		if (kinds & 1u << CONTEXT_STD)
			out[at++ * n + i] = window_std(sn);
		if (kinds & 1u << CONTEXT_DEV)
			out[at++ * n + i] = dev;
		if (kinds & 1u << CONTEXT_TREND)
			out[at++ * n + i] = window_trend(sn);
		if (kinds & 1u << CONTEXT_SAME)
			out[at++ * n + i] = same;
	}
	return 0;
}

/* --- The series' state, for ifscore --state ------------------------------
 *
 * A series is one line: the group value's length and bytes, then per
 * sensor its sums, its last reading, its ring's count and head, and the
 * count readings of its ring, reals with 17 digits (NA: none). */

size_t
context_nseries(const struct context *c)
{
	return c->nseries;
}

static void
write_real(struct out *o, double x)
{
	out_char(o, ' ');
	out_real_exact(o, x);
}

void
context_write_series(const struct context *c, size_t s, struct out *o)
{
	const char *key = c->key ? c->key[s] : "";
	size_t len = c->key ? c->key_len[s] : 0, i;
	unsigned k;

	out_printf(o, "%zu ", len);
	out_write(o, key, len);
	for (i = 0; i < c->nsensor; i++) {
		const struct sensor *sn = &c->sensor[s][i];
		const double *ring = c->ring[s] + i * c->recipe.window;

		write_real(o, sn->shift);
		write_real(o, sn->s1);
		write_real(o, sn->s2);
		write_real(o, sn->sj);
		write_real(o, sn->prev);
		out_printf(o, " %u %u", sn->count, sn->head);
		for (k = 0; k < sn->count; k++)
			write_real(o, ring[k]);
	}
	out_char(o, '\n');
}

/* The next real of a series line, NA for none; NULL after a bad one. */
static const char *
read_real(const char *p, double *x, int missing_ok)
{
	char *end;

	if (*p++ != ' ')
		return NULL;
	if (missing_ok && strncmp(p, "NA", 2) == 0 &&
	    (p[2] == ' ' || p[2] == '\0')) {
		*x = NAN;
		return p + 2;
	}
	*x = strtod(p, &end);
	if (end == p || *x != *x || (*end != ' ' && *end != '\0'))
		return NULL;
	return end;
}

static const char *
read_unsigned(const char *p, unsigned *v, unsigned max)
{
	char *end;
	unsigned long n;

	if (*p++ != ' ' || *p < '0' || *p > '9')
		return NULL;
	n = strtoul(p, &end, 10);
	if (n > max || (*end != ' ' && *end != '\0'))
		return NULL;
	*v = (unsigned)n;
	return end;
}

/* One sensor's state; NULL when the line is not valid. */
static const char *
read_sensor(const char *p, struct sensor *sn, double *ring, unsigned window)
{
	unsigned k;

	if (!(p = read_real(p, &sn->shift, 0)) || !(p = read_real(p, &sn->s1, 0)) ||
	    !(p = read_real(p, &sn->s2, 0)) || !(p = read_real(p, &sn->sj, 0)) ||
	    !(p = read_real(p, &sn->prev, 1)) ||
	    !(p = read_unsigned(p, &sn->count, window)) ||
	    !(p = read_unsigned(p, &sn->head, window - 1)))
		return NULL;
	/* The ring wraps only once full: before that, head is its count. */
	if (sn->count < window && sn->head != sn->count)
		return NULL;
	for (k = 0; k < sn->count; k++)
		if (!(p = read_real(p, &ring[k], 0)))
			return NULL;
	return p;
}

int
context_read_series(struct context *c, const char *line, const char **why)
{
	char *end;
	unsigned long len = strtoul(line, &end, 10);
	const char *p;
	long s;
	size_t i;

	*why = "invalid context series";
	if (end == line || *end != ' ' || len > strlen(end + 1) ||
	    (c->recipe.group == NULL && len != 0))
		return -1;
	p = end + 1;
	if (c->nseries == c->max_groups) {
		*why = "more context series than --max-groups";
		return -1;
	}
	s = find_series(c, p, len);
	if ((size_t)s + 1 != c->nseries) {
		*why = "a context series twice";
		return -1;
	}
	p += len;
	for (i = 0; i < c->nsensor; i++)
		if (!(p = read_sensor(p, &c->sensor[s][i],
		                      c->ring[s] + i * c->recipe.window,
		                      c->recipe.window)))
			return -1;
	return *p == '\0' ? 0 : -1;
}
