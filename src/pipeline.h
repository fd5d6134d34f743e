/* pipeline.h: records from a reader, in chunks, through a filter's steps
 * on worker threads, and written back in input order.
 *
 * The reader's thread copies records into chunks.  Each chunk then goes
 * through three calls of the filter's steps: prepare (on any thread, many
 * chunks at once: parsing), ordered (one chunk at a time, in input order:
 * state that carries from row to row, such as windows over a series) and
 * finish (many at once again: walking, explaining, formatting).  The
 * reader's thread writes each finished chunk's output and its rows'
 * messages in input order, so both are the same for every thread count.
 *
 * A chunk ends early whenever the input has no further line ready, and
 * before waiting for more input every chunk in flight is written and
 * flushed: a live stream is answered the moment each line arrives. */
#ifndef IFTOOLS_PIPELINE_H
#define IFTOOLS_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "out.h"

enum { CHUNK_ROWS = 4096 };

/* A row's message: errors.buf[start .. start + len). */
struct chunk_message {
	size_t row, start, len;
};

struct chunk {
	size_t n;
	uint64_t first;               /* the stream index of its first row */
	char *text;                   /* the records, back to back */
	size_t text_cap;
	size_t start[CHUNK_ROWS + 1]; /* offsets of the records in text */
	const char *name[CHUNK_ROWS]; /* the input each came from */
	unsigned long line[CHUNK_ROWS];
	unsigned char incomplete[CHUNK_ROWS]; /* a last line, no newline */
	/* Set by the steps: */
	unsigned char ok[CHUNK_ROWS]; /* 0: a bad row (chunk_mark_bad) */
	size_t first_bad;             /* the first bad row, or n */
	size_t cut;                   /* result's length through that row */
	struct out result;            /* the output lines */
	struct out errors;            /* the rows' messages */
	struct chunk_message *message; /* which row each message is of */
	size_t nmessage, message_cap;
	int messages_unsorted;        /* a step wrote of an earlier row */
	void *work;                   /* the steps' memory for this chunk */
	int ready;                    /* finished, waiting to be written */
};

static inline const char *
chunk_record(const struct chunk *c, size_t i, size_t *len)
{
	*len = c->start[i + 1] - c->start[i];
	return c->text + c->start[i];
}

static inline void
chunk_mark_bad(struct chunk *c, size_t i)
{
	c->ok[i] = 0;
	if (c->first_bad == c->n)
		c->first_bad = i;
}

/* Say that what the steps appended to c->errors from `start` on is row
 * i's message.  The messages are written in row order, whichever step
 * wrote them. */
void chunk_message(struct chunk *c, size_t i, size_t start);

/* A filter's steps.  ordered may be NULL; work_new makes the memory a
 * chunk's steps share (chunk->work), work_free releases it. */
struct pipeline_steps {
	void *arg;
	void *(*work_new)(void *arg);
	void (*work_free)(void *arg, void *work);
	void (*prepare)(void *arg, struct chunk *c);
	void (*ordered)(void *arg, struct chunk *c);
	void (*finish)(void *arg, struct chunk *c);
};

struct pipeline_options {
	int jobs;       /* threads that run the steps; 1: the reader's own */
	int strict;     /* stop after the first bad row */
	int unbuffered; /* a chunk and a flush for every line */
};

struct tsv;

/* Run every record of t through the steps and write the results to out,
 * in input order; the header has been read.  Returns 1 when it stopped
 * early at a bad row (strict), else 0.  A bad row's messages set
 * t->failed. */
int pipeline_run(struct tsv *t, struct out *out,
                 const struct pipeline_steps *steps,
                 const struct pipeline_options *opt);

#endif
