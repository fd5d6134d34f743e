/* ifscore: score a TSV stream line by line against an Isolation Forest. */
#include "forest.h"
#include "model.h"
#include "parallel.h"
#include "num.h"
#include "out.h"
#include "tsv.h"
#include "util.h"

#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct options {
	const char *model;
	double threshold;
	int has_threshold, unbuffered, json, strict, print_model, jobs;
	char delim;
};

static const char usage_text[] =
    "usage: ifscore -m MODEL [-u] [-d CHAR] [-j N] [-T X] [--json] [--strict]\n"
    "               [FILE ...]\n"
    "       ifscore -m MODEL --print-model\n";

static const char help_text[] =
    "\nScore each TSV row of FILEs (or standard input) with an Isolation Forest\n"
    "model; append the columns 'score' and 'status' (normal or anomaly).\n\n"
    "  -m, --model FILE       the model, as written by iftrain\n"
    "  -T, --threshold X      flag scores above X (0..1) [the model's]\n"
    "  -d, --delimiter CHAR   field delimiter [tab]\n"
    "  -j, --jobs N           scoring threads [online CPUs]\n"
    "  -u, --unbuffered       flush after every line\n"
    "      --json             write JSON Lines instead of TSV\n"
    "      --strict           stop at the first bad row\n"
    "      --print-model      check the model, write it out as read, exit\n"
    "  -h, --help             print this help and exit\n"
    "  -V, --version          print the version and exit\n";

enum { OPT_JSON = 256, OPT_STRICT, OPT_PRINT_MODEL };

static void
parse_options(struct options *o, int *argc, char ***argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ "unbuffered", no_argument, NULL, 'u' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "print-model", no_argument, NULL, OPT_PRINT_MODEL },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof *o);
	o->delim = '\t';
	o->jobs = default_threads();
	opterr = 0;
	while ((c = getopt_long(*argc, *argv, ":m:T:d:j:uhV", longopts,
	                        NULL)) != -1) {
		switch (c) {
		case 'm':
			o->model = optarg;
			break;
		case 'T':
			o->threshold = opt_real("--threshold", optarg, 0, 1, 1);
			o->has_threshold = 1;
			break;
		case 'd':
			o->delim = opt_delimiter(optarg);
			break;
		case 'u':
			o->unbuffered = 1;
			break;
		case 'j':
			o->jobs = (int)opt_integer("--jobs", optarg, 1, 64);
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_STRICT:
			o->strict = 1;
			break;
		case OPT_PRINT_MODEL:
			o->print_model = 1;
			break;
		case 'h':
			help_exit(usage_text, help_text);
			break;
		case 'V':
			version_exit();
		default:
			opt_bad(c, *argv);
		}
	}
	*argc -= optind;
	*argv += optind;
	if (o->model == NULL)
		usage_error("no model given (-m MODEL)");
	if (o->print_model && *argc > 0)
		usage_error("--print-model reads no input files");
}

/* The input column of every model feature, or exit naming what is
 * missing and what the model needs. */
static size_t *
find_features(const struct model *m, const struct tsv *t)
{
	size_t n = m->forest.nfeature;
	size_t *cols = xreallocarray(NULL, n, sizeof *cols);
	long missing = tsv_find_columns(t, m->feature, n, cols);
	char *needed;

	if (missing < 0)
		return cols;
	needed = join_names(m->feature, n);
	die("%s:%lu: missing feature column '%s' (the model needs: %s)",
	    t->name, t->line, m->feature[missing], needed);
}

/* --- TSV output ------------------------------------------------------- */

static void
write_tsv_header(struct out *o, const struct tsv *t)
{
	out_write(o, t->header, t->header_len);
	out_char(o, t->delim);
	out_str(o, "score");
	out_char(o, t->delim);
	out_str(o, "status\n");
}

/* --- JSON Lines output ------------------------------------------------ */

/* Whether s[0..n) is a number in JSON's own grammar. */
static int
is_json_number(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	if (p < end && *p == '-')
		p++;
	if (p == end || *p < '0' || *p > '9')
		return 0;
	if (*p == '0')
		p++;
	else
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	if (p < end && *p == '.') {
		if (++p == end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return 0;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p == end;
}

/* A field as JSON: numbers as numbers, missing values as null. */
static void
write_json_value(struct out *o, const struct tsv_field *f)
{
	double x;

	switch (num_parse(f->p, f->n, &x)) {
	case NUM_OK:
		if (is_json_number(f->p, f->n))
			out_write(o, f->p, f->n);
		else
			out_real(o, x);
		break;
	case NUM_MISSING:
		out_str(o, "null");
		break;
	default:
		out_json_string(o, f->p, f->n);
	}
}

static void
write_json_row(struct out *o, const struct tsv *t, const char *score,
               size_t score_len, const char *status)
{
	size_t i;

	out_char(o, '{');
	for (i = 0; i < t->nfield && i < t->ncolumn; i++) {
		out_json_string(o, t->column[i], strlen(t->column[i]));
		out_char(o, ':');
		write_json_value(o, &t->field[i]);
		out_char(o, ',');
	}
	out_str(o, "\"score\":");
	if (score_len)
		out_write(o, score, score_len);
	else
		out_str(o, "null");
	out_str(o, ",\"anomaly_score\":");
	out_str(o, status[0] == 'a' ? "1" : status[0] == 'n' ? "0" : "null");
	out_str(o, ",\"status\":\"");
	out_str(o, status);
	out_str(o, "\"}\n");
}

/* --- Scoring ---------------------------------------------------------- */

/* Rows are scored in chunks, a tree at a time over the whole chunk.  The
 * main thread reads lines into chunks; with -j N, N workers parse, score
 * and format them while it goes on, and it writes them back in input
 * order, messages included.  A chunk ends early whenever the input has no
 * further line ready, and before waiting for more input every chunk in
 * flight is written and flushed, so a live stream is scored the moment
 * each line arrives. */
enum { CHUNK_ROWS = 4096 };

struct chunk {
	size_t n;
	char *text;                   /* the records, back to back */
	size_t text_cap;
	size_t start[CHUNK_ROWS + 1]; /* offsets of the records in text */
	const char *name[CHUNK_ROWS]; /* where each came from */
	unsigned long line[CHUNK_ROWS];
	unsigned char incomplete[CHUNK_ROWS];
	/* Filled in by chunk_process: */
	struct tsv_row row;           /* room to split a record */
	double *x;                    /* CHUNK_ROWS rows of features */
	double score[CHUNK_ROWS];
	unsigned char ok[CHUNK_ROWS];
	size_t first_bad;             /* the first bad row, or n */
	size_t cut;                   /* result's length up to that row */
	struct out result;            /* the formatted output lines */
	struct out errors;            /* the bad rows' messages, in order */
	int ready;                    /* result is complete */
};

struct pipeline {
	const struct model *m;
	struct tsv *t;                /* only read by the workers */
	const size_t *cols;           /* the model's features' columns */
	double threshold;
	int strict, stopped;          /* --strict, and a bad row seen */
	struct out *out;
	struct chunk *ring;
	size_t nring;
	/* Sequence numbers: chunks submitted, taken by a worker, written. */
	size_t submitted, taken, written;
	struct chunk *filling;        /* the next to submit, or NULL */
	int quit, nworker;
	pthread_t *worker;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
};

/* Keep a copy of the record and its place; it is parsed later, on
 * whichever thread scores the chunk. */
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

/* Parse the chunk's records; a bad one's message goes to c->errors and
 * its features are zero (it is scored, but the score is never shown). */
static void
chunk_parse(struct pipeline *p, struct chunk *c)
{
	size_t d = p->m->forest.nfeature, i;

	c->first_bad = c->n;
	for (i = 0; i < c->n; i++) {
		struct tsv_row *r = &c->row;
		double *x = c->x + i * d;

		r->text = c->text + c->start[i];
		r->len = c->start[i + 1] - c->start[i];
		r->name = c->name[i];
		r->line = c->line[i];
		r->incomplete = c->incomplete[i];
		c->ok[i] = tsv_row_features(p->t, r, p->cols, d, x,
		                            &c->errors) >= 0;
		if (!c->ok[i]) {
			memset(x, 0, d * sizeof *x);
			if (c->first_bad == c->n)
				c->first_bad = i;
		}
	}
}

/* Parse, score and format a chunk: the work the threads share. */
static void
chunk_process(struct pipeline *p, struct chunk *c)
{
	struct out *o = &c->result;
	size_t ncolumn = p->t->ncolumn, i;
	char delim = p->t->delim;

	chunk_parse(p, c);
	forest_score_block(&p->m->forest, c->x, c->n, c->score);
	for (i = 0; i < c->n; i++) {
		char score[16];
		size_t len = c->ok[i] ? num_format_score(score, c->score[i]) : 0;
		size_t nfield = 1, k;
		const char *rec = c->text + c->start[i];
		size_t rec_len = c->start[i + 1] - c->start[i];

		out_write(o, rec, rec_len);
		if (!c->ok[i]) {
			/* A short record is padded with empty fields, so its
			 * score and status still land in their columns. */
			for (k = 0; k < rec_len; k++)
				nfield += rec[k] == delim;
			for (; nfield < ncolumn; nfield++)
				out_char(o, delim);
		}
		out_char(o, delim);
		out_write(o, score, len);
		out_char(o, delim);
		out_str(o, !c->ok[i] ? "error" :
		        forest_is_anomaly(c->score[i], p->threshold) ?
		        "anomaly" : "normal");
		out_char(o, '\n');
		if (i == c->first_bad)
			c->cut = o->len;
	}
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

/* A scored chunk's lines, and its bad rows' messages on stderr; with
 * --strict, only up to the first bad row, and nothing after it. */
static void
write_chunk(struct pipeline *p, struct chunk *c)
{
	int stop = p->strict && c->first_bad < c->n;
	size_t nerr = c->errors.len;

	if (p->stopped)
		return;
	if (stop) {
		const char *nl = memchr(c->errors.buf, '\n', nerr);

		nerr = nl ? (size_t)(nl - c->errors.buf) + 1 : nerr;
		p->stopped = 1;
	}
	out_write(p->out, c->result.buf, stop ? c->cut : c->result.len);
	if (nerr > 0) {
		fwrite(c->errors.buf, 1, nerr, stderr);
		p->t->failed = 1;
	}
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
				/* Without workers the chunk is scored here.  With
				 * them the main thread only waits: a chunk it took
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

static void
pipeline_submit(struct pipeline *p)
{
	struct chunk *c = p->filling;

	p->filling = NULL;
	if (c == NULL || c->n == 0)
		return;
	/* A live stream's few lines are scored here: a hand-over to a
	 * worker would only add to their latency. */
	if (p->nworker == 0 || (c->n < CHUNK_ROWS / 16 &&
	                        p->submitted == p->written)) {
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
 * has been written. */
static struct chunk *
pipeline_next(struct pipeline *p)
{
	if (p->filling == NULL) {
		if (p->submitted - p->written == p->nring)
			pipeline_write(p, 1);
		p->filling = &p->ring[p->submitted % p->nring];
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

static void
pipeline_start(struct pipeline *p, const struct model *m, struct tsv *t,
               const size_t *cols, double threshold,
               const struct options *opt, struct out *out)
{
	size_t i;
	int k;

	memset(p, 0, sizeof *p);
	p->m = m;
	p->t = t;
	p->cols = cols;
	p->threshold = threshold;
	p->strict = opt->strict;
	p->out = out;
	p->nworker = opt->jobs > 1 ? opt->jobs : 0;
	p->nring = opt->jobs > 1 ? 4 * (size_t)opt->jobs : 1;
	p->ring = xcalloc(p->nring, sizeof *p->ring);
	for (i = 0; i < p->nring; i++) {
		p->ring[i].x = xreallocarray(NULL, CHUNK_ROWS,
		                             m->forest.nfeature * sizeof(double));
		out_init_memory(&p->ring[i].result);
		out_init_memory(&p->ring[i].errors);
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->worker = xcalloc((size_t)p->nworker + 1, sizeof *p->worker);
	for (k = 0; k < p->nworker; k++)
		if (pthread_create(&p->worker[k], NULL, worker_main, p) != 0)
			die("cannot start a worker thread");
}

static void
pipeline_stop(struct pipeline *p)
{
	size_t i;
	int k;

	pipeline_submit(p);
	pipeline_write(p, 1);
	pthread_mutex_lock(&p->lock);
	p->quit = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (k = 0; k < p->nworker; k++)
		pthread_join(p->worker[k], NULL);
	for (i = 0; i < p->nring; i++) {
		free(p->ring[i].x);
		free(p->ring[i].text);
		free(p->ring[i].row.field);
		free(p->ring[i].result.buf);
		free(p->ring[i].errors.buf);
	}
	free(p->ring);
	free(p->worker);
}

/* TSV output.  Returns at the end of input, or after the first bad row
 * with --strict. */
static void
score_tsv(const struct options *opt, struct tsv *t, struct out *o,
          const struct model *m, const size_t *cols, double threshold)
{
	struct pipeline p;

	pipeline_start(&p, m, t, cols, threshold, opt, o);
	t->before_read = pipeline_drain;
	t->before_read_arg = &p;
	write_tsv_header(o, t);
	while (!p.stopped && tsv_next_unsplit(t)) {
		struct chunk *c = pipeline_next(&p);

		chunk_add(c, t);
		if (c->n == CHUNK_ROWS || opt->unbuffered || !tsv_line_ready(t))
			pipeline_submit(&p);
		if (opt->unbuffered)
			pipeline_drain(&p);
	}
	pipeline_stop(&p);
}

static void
flush_output(void *arg)
{
	out_flush(arg);
}

/* JSON Lines, a row at a time: a consumer of the old API reads them one
 * by one. */
static void
score_json(const struct options *opt, struct tsv *t, struct out *o,
           const struct model *m, const size_t *cols, double threshold)
{
	double *x = xreallocarray(NULL, m->forest.nfeature, sizeof *x);

	t->before_read = flush_output;
	t->before_read_arg = o;
	while (tsv_next(t)) {
		char score[16];

		if (t->incomplete ||
		    tsv_features(t, cols, m->forest.nfeature, x) < 0) {
			write_json_row(o, t, "", 0, "error");
			if (opt->strict)
				break;
		} else {
			double s = forest_score(&m->forest, x);

			write_json_row(o, t, score, num_format_score(score, s),
			               forest_is_anomaly(s, threshold) ? "anomaly" : "normal");
		}
		if (opt->unbuffered)
			out_flush(o);
	}
	free(x);
}

int
main(int argc, char *argv[])
{
	struct options opt;
	struct model m;
	struct tsv t;
	struct out o;
	size_t *cols;
	double threshold;
	char error[512];

	set_progname(argv[0]);
	parse_options(&opt, &argc, &argv);
	if (model_load(&m, opt.model, error, sizeof error) < 0)
		die("%s", error);
	threshold = opt.has_threshold ? opt.threshold : m.threshold;
	if (opt.print_model) {
		model_write(&m, STDOUT_FILENO, "standard output");
		model_free(&m);
		return 0;
	}

	tsv_open(&t, argv, argc, opt.delim);
	out_init(&o, STDOUT_FILENO, "standard output");
	if (!tsv_read_header(&t))
		exit(EXIT_TROUBLE);
	cols = find_features(&m, &t);
	if (opt.json)
		score_json(&opt, &t, &o, &m, cols, threshold);
	else
		score_tsv(&opt, &t, &o, &m, cols, threshold);
	out_finish(&o);
	free(cols);
	model_free(&m);
	tsv_close(&t);
	return t.failed ? EXIT_TROUBLE : 0;
}
