/* causes.c: anomalies counted per cause (causes.h). */
#include "causes.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

size_t
cause_index(struct cause_names *c, const char *p, size_t len)
{
	size_t i, at;
	char *name;

	for (i = 0; i < c->n; i++)
		if (strncmp(c->name[i], p, len) == 0 && c->name[i][len] == '\0')
			return i;
	name = xmalloc(len + 1);
	memcpy(name, p, len);
	name[len] = '\0';
	c->name = xreallocarray(c->name, c->n + 1, sizeof *c->name);
	c->order = xreallocarray(c->order, c->n + 1, sizeof *c->order);
	c->name[c->n] = name;
	/* Kept sorted as it grows: a handful of causes, each added once. */
	for (at = c->n; at > 0 && strcmp(c->name[c->order[at - 1]], name) > 0;
	     at--)
		c->order[at] = c->order[at - 1];
	c->order[at] = c->n;
	return c->n++;
}

void
cause_names_free(struct cause_names *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->name[i]);
	free(c->name);
	free(c->order);
	memset(c, 0, sizeof *c);
}

void
cause_counts_add(struct cause_counts *k, size_t index)
{
	if (index >= k->n) {
		k->count = xreallocarray(k->count, index + 1, sizeof *k->count);
		memset(k->count + k->n, 0, (index + 1 - k->n) * sizeof *k->count);
		k->n = index + 1;
	}
	k->count[index]++;
}

unsigned long long
cause_count(const struct cause_counts *k, size_t index)
{
	return index < k->n ? k->count[index] : 0;
}

void
cause_counts_clear(struct cause_counts *k)
{
	if (k->n > 0)
		memset(k->count, 0, k->n * sizeof *k->count);
}

void
cause_counts_free(struct cause_counts *k)
{
	free(k->count);
	memset(k, 0, sizeof *k);
}
