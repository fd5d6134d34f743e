/* causes.c: anomalies counted per cause (causes.h). */
#include "causes.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void
cause_counts_add(struct cause_counts *k, size_t cause)
{
	if (cause >= k->n) {
		k->count = xreallocarray(k->count, cause + 1, sizeof *k->count);
		memset(k->count + k->n, 0, (cause + 1 - k->n) * sizeof *k->count);
		k->n = cause + 1;
	}
	k->count[cause]++;
}

unsigned long long
cause_count(const struct cause_counts *k, size_t cause)
{
	return cause < k->n ? k->count[cause] : 0;
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

struct named {
	const char *name;
	size_t number;
};

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const struct named *)a)->name,
	              ((const struct named *)b)->name);
}

size_t *
cause_order(char *const *name, size_t n)
{
	struct named *named = xreallocarray(NULL, n ? n : 1, sizeof *named);
	size_t *order = xreallocarray(NULL, n ? n : 1, sizeof *order), i;

	for (i = 0; i < n; i++) {
		named[i].name = name[i];
		named[i].number = i;
	}
	qsort(named, n, sizeof *named, by_name);
	for (i = 0; i < n; i++)
		order[i] = named[i].number;
	free(named);
	return order;
}
