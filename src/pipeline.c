/* pipeline.c: the threaded chunk pipeline (pipeline.h).
 *
 * Chunks live in a ring.  Sequence numbers say how far each stage has got:
 * chunks submitted by the reader, taken by a worker, through the ordered
 * step (counted in rows), and written.  One mutex guards them; the steps
 * themselves run outside it. */
#include "pipeline.h"
#include "tsv.h"
#include "util.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pipeline {
	struct tsv *t;
	struct out *out;
	const struct pipeline_steps *steps;
	int strict, stopped;          /* --strict, and a bad row seen */
	struct chunk *ring;
	size_t nring;
	size_t submitted, taken, written;
	uint64_t rows;                /* rows the reader has put in chunks */
	uint64_t ordered_rows;        /* rows through the ordered step */
	struct chunk *filling;        /* the next to submit, or NULL */
	int quit, nworker;
	int want, tried;              /* workers asked for; started yet */
	pthread_t *worker;
	pthread_mutex_t lock;
	pthread_cond_t work, done, turn;
};

/* Keep a copy of the record and its place; it is parsed later, on
 * whichever thread runs the chunk. */
static void
chunk_add(struct chunk *c, const struct tsv *t)
{
	size_t at = c->start[c->n];

	if (c->text_cap - at < t->record_len) {
		c->text_cap = 2 * (at + t->record_len);
		c->text = xrealloc(c->text, c->text_cap);
	}
	memcpy(c->text + at, t->record, t->record_len);
	c->name[c->n] = t->name;
	c->line[c->n] = t->line;
	c->incomplete[c->n] = (unsigned char)t->incomplete;
	c->start[++c->n] = at + t->record_len;
}

void
chunk_message(struct chunk *c, size_t i, size_t start)
{
	struct chunk_message *m;

	if (c->errors.len == start)
		return;
	if (c->nmessage == c->message_cap) {
		c->message_cap = c->message_cap ? 2 * c->message_cap : 16;
		c->message = xreallocarray(c->message, c->message_cap,
		                           sizeof *c->message);
	}
	if (c->nmessage > 0 && c->message[c->nmessage - 1].row > i)
		c->messages_unsorted = 1;
	m = &c->message[c->nmessage++];
	m->row = i;
	m->start = start;
	m->len = c->errors.len - start;
}

/* Messages in row order, those of one row in the order written: an
 * insertion sort, as they are few and almost in order. */
static void
sort_messages(struct chunk *c)
{
	size_t i, j;

	for (i = 1; i < c->nmessage; i++) {
		struct chunk_message m = c->message[i];

		for (j = i; j > 0 && c->message[j - 1].row > m.row; j--)
			c->message[j] = c->message[j - 1];
		c->message[j] = m;
	}
	c->messages_unsorted = 0;
}

/* Wait for the chunk's turn at the ordered step, take it, pass it on. */
static void
run_ordered(struct pipeline *p, struct chunk *c)
{
	pthread_mutex_lock(&p->lock);
	while (p->ordered_rows != c->first)
		pthread_cond_wait(&p->turn, &p->lock);
	pthread_mutex_unlock(&p->lock);
	p->steps->ordered(p->steps->arg, c);
	pthread_mutex_lock(&p->lock);
	p->ordered_rows += c->n;
	pthread_cond_broadcast(&p->turn);
	pthread_mutex_unlock(&p->lock);
}

/* The steps' work on one chunk, on whichever thread took it. */
static void
chunk_process(struct pipeline *p, struct chunk *c)
{
	const struct pipeline_steps *s = p->steps;

	memset(c->ok, 1, c->n);
	c->first_bad = c->n;
	c->cut = 0;
	c->nmessage = 0;
	s->prepare(s->arg, c);
	if (s->ordered != NULL)
		run_ordered(p, c);
	s->finish(s->arg, c);
}

static void *
worker_main(void *arg)
{
	struct pipeline *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct chunk *c;

		while (!p->quit && p->taken == p->submitted)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->taken == p->submitted)
			break;
		c = &p->ring[p->taken++ % p->nring];
		pthread_mutex_unlock(&p->lock);
		chunk_process(p, c);
		pthread_mutex_lock(&p->lock);
		c->ready = 1;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* A finished chunk's lines, and its rows' messages on stderr; with
 * --strict, only up to the first bad row and its first message. */
static void
write_chunk(struct pipeline *p, struct chunk *c)
{
	int stop = p->strict && c->first_bad < c->n;
	size_t i, nmessage = c->nmessage;

	if (p->stopped)
		return;
	if (c->messages_unsorted)
		sort_messages(c);
	if (stop) {
		nmessage = nmessage > 0;
		p->stopped = 1;
	}
	out_write(p->out, c->result.buf, stop ? c->cut : c->result.len);
	for (i = 0; i < nmessage; i++)
		fwrite(c->errors.buf + c->message[i].start, 1,
		       c->message[i].len, stderr);
	if (nmessage > 0)
		p->t->failed = 1;
}

/* Write finished chunks in order; with wait, every one submitted. */
static void
pipeline_write(struct pipeline *p, int wait)
{
	pthread_mutex_lock(&p->lock);
	while (p->written < p->submitted) {
		struct chunk *c = &p->ring[p->written % p->nring];

		if (!c->ready) {
			if (!wait)
				break;
			if (p->nworker == 0 && p->taken < p->submitted) {
				/* Without workers the chunk is run here.  With
				 * them the reader only waits: a chunk it took
				 * would leave them idle, the ring unfilled. */
				struct chunk *mine = &p->ring[p->taken++ % p->nring];

				pthread_mutex_unlock(&p->lock);
				chunk_process(p, mine);
				pthread_mutex_lock(&p->lock);
				mine->ready = 1;
			} else {
				pthread_cond_wait(&p->done, &p->lock);
			}
			continue;
		}
		pthread_mutex_unlock(&p->lock);
		write_chunk(p, c);
		c->result.len = 0;
		c->errors.len = 0;
		c->n = 0;
		c->ready = 0;
		pthread_mutex_lock(&p->lock);
		p->written++;
	}
	pthread_mutex_unlock(&p->lock);
}

/* The workers, at the first chunk there is for them: an input of one
 * chunk is run on the reader's thread, with no thread started.  Fewer
 * than asked for when the system has no more to give; none at all still
 * works, on the reader's thread. */
static void
start_workers(struct pipeline *p)
{
	sigset_t stop_signals, old_mask;
	int k;

	p->tried = 1;
	/* The signals a filter stops on go to the reader's thread, whose
	 * read they interrupt (tsv's stop), never to a worker. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGHUP);
	sigaddset(&stop_signals, SIGINT);
	sigaddset(&stop_signals, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop_signals, &old_mask);
	for (k = 0; k < p->want; k++)
		if (pthread_create(&p->worker[p->nworker], NULL, worker_main,
		                   p) == 0)
			p->nworker++;
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
}

/* Hand the chunk being filled on; `last` when the input has ended. */
static void
pipeline_submit(struct pipeline *p, int last)
{
	struct chunk *c = p->filling;
	int here;

	p->filling = NULL;
	if (c == NULL || c->n == 0)
		return;
	/* A live stream's few lines are run here: a hand-over to a worker
	 * would only add to their latency.  So is the first chunk: an input
	 * of one chunk (a file of a few thousand rows, which is read whole
	 * before its chunk is handed on) never waits for a thread to start,
	 * and the workers start with the second. */
	here = c->n < CHUNK_ROWS / 16 && p->submitted == p->written;
	if (!here && !last && !p->tried && p->submitted > 0)
		start_workers(p);
	if (here || p->nworker == 0) {
		chunk_process(p, c);
		/* Taken as well as submitted, so no worker takes it. */
		pthread_mutex_lock(&p->lock);
		c->ready = 1;
		p->submitted++;
		p->taken++;
		pthread_mutex_unlock(&p->lock);
		pipeline_write(p, 0);
		return;
	}
	pthread_mutex_lock(&p->lock);
	p->submitted++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
	pipeline_write(p, 0);
}

/* The chunk being filled; a new one once the one whose slot it takes
 * has been written.  A slot's memory is made at its first use: a short
 * input needs one. */
static struct chunk *
pipeline_next(struct pipeline *p)
{
	if (p->filling == NULL) {
		struct chunk *c = &p->ring[p->submitted % p->nring];

		if (p->submitted - p->written == p->nring)
			pipeline_write(p, 1);
		if (c->work == NULL) {
			out_init_memory(&c->result);
			out_init_memory(&c->errors);
			c->work = p->steps->work_new(p->steps->arg);
		}
		c->first = p->rows;
		p->filling = c;
	}
	return p->filling;
}

/* Called before every read that may block: nothing waits behind it. */
static void
pipeline_drain(void *arg)
{
	struct pipeline *p = arg;

	pipeline_write(p, 1);
	out_flush(p->out);
}

/* Called before the reader reports a problem of its own (an input that
 * cannot be opened, a header that differs): the rows before it, and
 * their messages, come first, whatever the thread count. */
static void
pipeline_catch_up(void *arg)
{
	struct pipeline *p = arg;

	pipeline_submit(p, 0);
	pipeline_write(p, 1);
}

static void
pipeline_start(struct pipeline *p, struct tsv *t, struct out *out,
               const struct pipeline_steps *steps,
               const struct pipeline_options *opt)
{
	int want = opt->jobs > 1 ? opt->jobs : 0;

	memset(p, 0, sizeof *p);
	p->t = t;
	p->out = out;
	p->steps = steps;
	p->strict = opt->strict;
	p->nring = want ? 4 * (size_t)want : 1;
	p->ring = xcalloc(p->nring, sizeof *p->ring);
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	pthread_cond_init(&p->turn, NULL);
	p->want = want;
	p->tried = want == 0;
	p->worker = xcalloc((size_t)want + 1, sizeof *p->worker);
	t->before_read = pipeline_drain;
	t->before_read_arg = p;
	t->before_message = pipeline_catch_up;
	t->before_message_arg = p;
}

static void
pipeline_stop(struct pipeline *p)
{
	size_t i;
	int k;

	pipeline_submit(p, 1);
	pipeline_write(p, 1);
	pthread_mutex_lock(&p->lock);
	p->quit = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (k = 0; k < p->nworker; k++)
		pthread_join(p->worker[k], NULL);
	for (i = 0; i < p->nring && p->ring[i].work != NULL; i++) {
		p->steps->work_free(p->steps->arg, p->ring[i].work);
		free(p->ring[i].text);
		free(p->ring[i].result.buf);
		free(p->ring[i].errors.buf);
		free(p->ring[i].message);
	}
	free(p->ring);
	free(p->worker);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_cond_destroy(&p->turn);
	p->t->before_read = NULL;
	p->t->before_message = NULL;
}

int
pipeline_run(struct tsv *t, struct out *out,
             const struct pipeline_steps *steps,
             const struct pipeline_options *opt)
{
	struct pipeline p;

	pipeline_start(&p, t, out, steps, opt);
	while (!p.stopped && tsv_next_unsplit(t)) {
		struct chunk *c = pipeline_next(&p);

		chunk_add(c, t);
		p.rows++;
		if (c->n == CHUNK_ROWS || opt->unbuffered || !tsv_line_ready(t))
			pipeline_submit(&p, 0);
		if (opt->unbuffered)
			pipeline_drain(&p);
	}
	pipeline_stop(&p);
	return p.stopped;
}
