/* causes.h: ifstat's count of anomalies per cause, the 'cause' column
 * that ifscore --explain writes: the causes a run has seen, and for each
 * summary how many of its anomalies had each. */
#ifndef IFTOOLS_CAUSES_H
#define IFTOOLS_CAUSES_H

#include <stddef.h>

struct cause_names {
	char **name;      /* in the order first seen */
	size_t *order;    /* indices into name, sorted by name */
	size_t n;
};

struct cause_counts {
	unsigned long long *count; /* indexed like cause_names.name */
	size_t n;
};

/* The index of cause p[0..len), added if it is new. */
size_t cause_index(struct cause_names *c, const char *p, size_t len);
void cause_names_free(struct cause_names *c);

void cause_counts_add(struct cause_counts *k, size_t index);
unsigned long long cause_count(const struct cause_counts *k, size_t index);
/* Zero every count, keeping the memory. */
void cause_counts_clear(struct cause_counts *k);
void cause_counts_free(struct cause_counts *k);

#endif
