/* causes.h: ifstat's count of anomalies per cause, the 'cause' column
 * that ifscore --explain writes: for each summary, how many of its
 * anomalies had each of the causes the run has seen (numbered by ifstat
 * in order of first appearance). */
#ifndef IFTOOLS_CAUSES_H
#define IFTOOLS_CAUSES_H

#include <stddef.h>

struct cause_counts {
	unsigned long long *count; /* by cause number */
	size_t n;
};

void cause_counts_add(struct cause_counts *k, size_t cause);
unsigned long long cause_count(const struct cause_counts *k, size_t cause);
/* Zero every count, keeping the memory. */
void cause_counts_clear(struct cause_counts *k);
void cause_counts_free(struct cause_counts *k);

/* The numbers 0 .. n - 1 of the causes name[], in the order of their
 * names (allocated). */
size_t *cause_order(char *const *name, size_t n);

#endif
