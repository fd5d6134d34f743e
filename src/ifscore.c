/* ifscore: score a TSV stream line by line against an Isolation Forest. */
#include "adapt.h"
#include "context.h"
#include "explain.h"
#include "forest.h"
#include "format.h"
#include "merge.h"
#include "model.h"
#include "num.h"
#include "out.h"
#include "parallel.h"
#include "pipeline.h"
#include "state.h"
#include "tsv.h"
#include "util.h"
#include "walk.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Which rows get a cause. */
enum explain_rows { EXPLAIN_NONE, EXPLAIN_ANOMALIES, EXPLAIN_ALL };

struct options {
	const char *model;
	const char *columns;          /* --columns: the input is headerless */
	double threshold;
	size_t max_groups;
	int has_threshold, unbuffered, json, strict, print_model, jobs;
	int show_context;
	enum explain_rows explain;
	int bad_rows_ok;
	char delim;
	size_t adapt;             /* --adapt W; 0: a frozen forest */
	int adapt_all;
	const char *state;        /* --state FILE */
	uint64_t checkpoint;      /* --checkpoint N; 0: none */
};

static const char usage_text[] =
    "usage: ifscore -m MODEL [-u] [-d CHAR] [-j N] [-T X] [--bad-rows-ok]\n"
    "               [--columns NAMES] [--explain[=all]] [--json]\n"
    "               [--max-groups N] [--show-context] [--strict]\n"
    "               [--adapt W [--adapt-all] [--state FILE [--checkpoint N]]]\n"
    "               [FILE ...]\n"
    "       ifscore -m MODEL --print-model\n";

static const char help_text[] =
    "\nScore each TSV row of FILEs (or standard input) with an Isolation Forest\n"
    "model; append the columns 'score' and 'status' (normal or anomaly).\n\n"
    "  -m, --model FILE       the model, as written by iftrain\n"
    "  -T, --threshold X      flag scores above X (0..1) [the model's]\n"
    "  -d, --delimiter CHAR   field delimiter [tab]\n"
    "  -j, --jobs N           scoring threads [online CPUs]\n"
    "      --max-groups N     with a model's context: at most N series\n"
    "                         [10000]\n"
    "      --show-context     write the model's context features too\n"
    "  -u, --unbuffered       flush after every line\n"
    "      --bad-rows-ok      exit 0 even after bad rows (still reported)\n"
    "      --columns NAMES    the input has no header line; NAMES\n"
    "                         (comma-separated) are its columns; no header\n"
    "                         line is written either\n"
    "      --json             write JSON Lines instead of TSV\n"
    "      --strict           stop at the first bad row\n"
    "      --explain[=WHICH]  add a column 'cause' (the feature behind the\n"
    "                         score, NAME+ or NAME-) for WHICH rows:\n"
    "                         anomalies (the default) or all\n"
    "      --adapt W          follow the stream: every W/trees rows, replace\n"
    "                         the oldest tree by one grown on the last W rows\n"
    "      --adapt-all        let rows flagged as anomalies into the samples\n"
    "      --state FILE       carry what --adapt learnt over restarts in FILE\n"
    "      --checkpoint N     also write the state every N rows\n"
    "      --print-model      check the model, write it out as read, exit\n"
    "  -h, --help             print this help and exit\n"
    "  -V, --version          print the version and exit\n";

enum { OPT_JSON = 256, OPT_STRICT, OPT_PRINT_MODEL, OPT_MAX_GROUPS,
       OPT_SHOW_CONTEXT, OPT_EXPLAIN, OPT_COLUMNS, OPT_BAD_ROWS_OK,
       OPT_ADAPT, OPT_ADAPT_ALL, OPT_STATE, OPT_CHECKPOINT };

static enum explain_rows
opt_explain(const char *arg)
{
	if (arg == NULL || strcmp(arg, "anomalies") == 0)
		return EXPLAIN_ANOMALIES;
	if (strcmp(arg, "all") == 0)
		return EXPLAIN_ALL;
	usage_error("invalid value '%s' for --explain: expected anomalies or "
	            "all", arg);
}

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
		{ "max-groups", required_argument, NULL, OPT_MAX_GROUPS },
		{ "show-context", no_argument, NULL, OPT_SHOW_CONTEXT },
		{ "explain", optional_argument, NULL, OPT_EXPLAIN },
		{ "columns", required_argument, NULL, OPT_COLUMNS },
		{ "bad-rows-ok", no_argument, NULL, OPT_BAD_ROWS_OK },
		{ "adapt", required_argument, NULL, OPT_ADAPT },
		{ "adapt-all", no_argument, NULL, OPT_ADAPT_ALL },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "checkpoint", required_argument, NULL, OPT_CHECKPOINT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof *o);
	o->delim = '\t';
	o->jobs = default_threads();
	o->max_groups = CONTEXT_GROUPS_DEFAULT;
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
		case OPT_SHOW_CONTEXT:
			o->show_context = 1;
			break;
		case OPT_EXPLAIN:
			o->explain = opt_explain(optarg);
			break;
		case OPT_COLUMNS:
			o->columns = optarg;
			break;
		case OPT_BAD_ROWS_OK:
			o->bad_rows_ok = 1;
			break;
		case OPT_ADAPT:
			o->adapt = (size_t)opt_integer("--adapt", optarg, 1,
			                               1 << 24);
			break;
		case OPT_ADAPT_ALL:
			o->adapt_all = 1;
			break;
		case OPT_STATE:
			o->state = optarg;
			break;
		case OPT_CHECKPOINT:
			o->checkpoint = (uint64_t)opt_integer("--checkpoint",
			                                      optarg, 1,
			                                      INT64_MAX);
			break;
		case OPT_MAX_GROUPS:
			o->max_groups = (size_t)opt_integer("--max-groups",
			                                    optarg, 1, 100000000);
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
	if (o->strict && o->bad_rows_ok)
		usage_error("--strict and --bad-rows-ok cannot be combined");
	if (o->adapt_all && !o->adapt)
		usage_error("--adapt-all needs --adapt");
	if (o->state && !o->adapt)
		usage_error("--state needs --adapt");
	if (o->checkpoint && !o->state)
		usage_error("--checkpoint needs --state");
	if (o->print_model && o->adapt)
		usage_error("--print-model cannot be combined with --adapt");
	/* explain.c's tables are made once for the forest, which --adapt
	 * changes as the rows go. */
	if (o->explain != EXPLAIN_NONE && o->adapt)
		usage_error("--explain cannot be combined with --adapt");
}

/* --- The steps of a row, wired ------------------------------------------
 *
 * A row's way through ifscore: the reader (tsv.c), parse (prepare), the
 * context features (context.c, ordered), the walk (walk.c), explain
 * (explain.c, with --explain), format (format.c); the pipeline
 * (pipeline.c) runs them on the worker threads and writes the rows back
 * in input order. */

/* What the steps read, and the state of the ordered one. */
struct scoring {
	const struct model *m;
	const struct tsv *t;
	const size_t *cols;           /* the model's raw features' columns */
	double threshold;
	struct format format;
	long group_col;               /* the context's group column, or -1 */
	size_t max_groups;
	int show_context;
	struct context *context;      /* changed by the ordered step only */
	const struct explainer *explain; /* NULL without --explain */
	enum explain_rows explain_rows;
	struct walk walk;             /* without --adapt */
	struct adaptive *adaptive;    /* --adapt, or NULL */
};

/* --adapt: the forest learning in the ordered step, and its state file. */
struct adaptive {
	struct adapt a;
	int strict, halted;           /* --strict, and a bad row seen */
	const char *state;            /* --state FILE, or NULL */
	uint64_t model_hash;
	uint64_t checkpoint;          /* --checkpoint N, or 0 */
	const struct context *context; /* saved with the state, or NULL */
};

/* A chunk's own memory. */
struct batch {
	struct tsv_row row;           /* room to split a record */
	double *x;                    /* CHUNK_ROWS rows of features */
	double score[CHUNK_ROWS];
	unsigned char flag[CHUNK_ROWS]; /* --adapt: flagged when scored */
	struct tsv_field group[CHUNK_ROWS]; /* each row's group value */
	/* --explain, for a window of rows, EXPLAIN_BLOCK of them explained: */
	size_t slot[CHUNK_ROWS];      /* a row's place below, or NO_CAUSE */
	size_t which[EXPLAIN_BLOCK];  /* the rows explained */
	size_t cause[EXPLAIN_BLOCK];  /* and their causes, */
	double *credit;               /* credits (EXPLAIN_BLOCK * ncause) */
	struct out attribution;       /* and with --json a row's object */
};

#define NO_CAUSE SIZE_MAX

static void *
batch_new(void *arg)
{
	const struct scoring *s = arg;
	struct batch *b = xcalloc(1, sizeof *b);

	b->x = xreallocarray(NULL, CHUNK_ROWS,
	                     s->m->forest.nfeature * sizeof *b->x);
	if (s->explain != NULL) {
		b->credit = xreallocarray(NULL, EXPLAIN_BLOCK,
		                          s->explain->ncause *
		                          sizeof *b->credit);
		out_init_memory(&b->attribution);
	}
	return b;
}

static void
batch_free(void *arg, void *work)
{
	struct batch *b = work;

	(void)arg;
	free(b->x);
	free(b->credit);
	free(b->attribution.buf);
	free(b->row.field);
	free(b);
}

static void
row_of(struct tsv_row *r, const struct chunk *c, size_t i)
{
	r->text = chunk_record(c, i, &r->len);
	r->name = c->name[i];
	r->line = c->line[i];
	r->incomplete = c->incomplete[i];
}

/* Parse the chunk's records; a bad one's message goes to c->errors and
 * its features are zero (it is walked, but its score is never shown). */
static void
parse_chunk(void *arg, struct chunk *c)
{
	const struct scoring *s = arg;
	struct batch *b = c->work;
	size_t d = s->m->forest.nfeature, i;

	for (i = 0; i < c->n; i++) {
		double *x = b->x + i * d;
		size_t start = c->errors.len;

		row_of(&b->row, c, i);
		if (tsv_row_features(s->t, &b->row, s->cols, s->m->nraw, x,
		                     &c->errors) < 0) {
			chunk_mark_bad(c, i);
			chunk_message(c, i, start);
			memset(x, 0, d * sizeof *x);
		} else if (s->group_col >= 0) {
			b->group[i] = b->row.field[s->group_col];
		}
	}
}

/* The context features of the chunk's rows, in input order: each series'
 * state carries from one row of it to the next. */
static void
context_chunk(void *arg, struct chunk *c)
{
	struct scoring *s = arg;
	struct batch *b = c->work;
	size_t d = s->m->forest.nfeature, i;

	for (i = 0; i < c->n; i++) {
		double *x = b->x + i * d;
		size_t start = c->errors.len;

		if (!c->ok[i] || context_apply(s->context, b->group[i].p,
		                               b->group[i].n, x) == 0)
			continue;
		tsv_row_report(s->t, c->name[i], c->line[i], s->group_col,
		               &c->errors, "a new group '%.*s' over "
		               "--max-groups %zu", (int)b->group[i].n,
		               b->group[i].p, s->max_groups);
		chunk_mark_bad(c, i);
		chunk_message(c, i, start);
		memset(x, 0, d * sizeof *x);
	}
}

/* Explain the rows from start on that get a cause, up to EXPLAIN_BLOCK
 * of them, together (explain_rows is quicker on many); returns the end of
 * the window, the first row not looked at. */
static size_t
explain_window(const struct scoring *s, struct batch *b,
               const struct chunk *c, size_t start)
{
	size_t i, n = 0;

	for (i = start; i < c->n && n < EXPLAIN_BLOCK; i++) {
		b->slot[i - start] = NO_CAUSE;
		if (c->ok[i] && (s->explain_rows == EXPLAIN_ALL ||
		    forest_is_anomaly(b->score[i], s->threshold))) {
			b->slot[i - start] = n;
			b->which[n++] = i;
		}
	}
	explain_rows(s->explain, b->x, b->which, n, b->credit, b->cause);
	return i;
}

/* The cause of the row in the window's place slot, and with JSON its
 * credits; an empty cause (and a null attribution) for NO_CAUSE. */
static void
explained(const struct scoring *s, struct batch *b, size_t slot,
          struct format_values *v)
{
	const struct explainer *e = s->explain;
	int json = s->format.kind == FORMAT_JSON;

	v->cause = "";
	v->attribution = json ? "null" : NULL;
	v->attribution_len = json ? 4 : 0;
	if (slot == NO_CAUSE)
		return;
	v->cause = e->cause[b->cause[slot]];
	v->cause_len = strlen(v->cause);
	if (json) {
		b->attribution.len = 0;
		explain_json(e, b->credit + slot * e->ncause, &b->attribution);
		v->attribution = b->attribution.buf;
		v->attribution_len = b->attribution.len;
	}
}

static void
write_row(const struct scoring *s, struct batch *b, struct chunk *c,
          size_t i, size_t start)
{
	size_t d = s->m->forest.nfeature, nraw = s->m->nraw;
	char score[16];
	struct format_values v = { NULL, 0, score, 0, "error", NULL, 0,
	                           NULL, 0 };

	if (s->show_context) {
		v.context = c->ok[i] ? b->x + i * d + nraw : NULL;
		v.ncontext = d - nraw;
	}
	if (c->ok[i]) {
		int flagged = s->adaptive ? b->flag[i] :
		    forest_is_anomaly(b->score[i], s->threshold);

		v.score_len = num_format_score(score, b->score[i]);
		v.status = flagged ? "anomaly" : "normal";
	}
	if (s->explain != NULL)
		explained(s, b, b->slot[i - start], &v);
	row_of(&b->row, c, i);
	format_row(&s->format, &c->result, &b->row, c->ok[i], &v);
	if (i == c->first_bad)
		c->cut = c->result.len;
}

/* --adapt: walk the chunk in order, the forest learning between the
 * segments (adapt.c), and write the state at every checkpoint.  With
 * --strict nothing after the first bad row is learnt: it is never
 * written either. */
static void
adapt_chunk(struct scoring *s, struct chunk *c)
{
	struct adaptive *ad = s->adaptive;
	struct batch *b = c->work;
	size_t n = ad->halted ? 0 : c->n, start = 0;

	if (ad->strict && c->first_bad < n) {
		n = c->first_bad;
		ad->halted = 1;
	}
	memset(b->score + n, 0, (c->n - n) * sizeof *b->score);
	memset(b->flag + n, 0, c->n - n);
	while (start < n) {
		size_t end = start;

		if (ad->checkpoint > 0) {
			uint64_t left = ad->checkpoint -
			                ad->a.rows % ad->checkpoint;

			for (; end < n && left > 0; end++)
				left -= c->ok[end] != 0;
		} else {
			end = n;
		}
		adapt_rows(&ad->a, b->x + start * s->m->forest.nfeature,
		           c->ok + start, end - start, b->score + start,
		           b->flag + start);
		if (ad->checkpoint > 0 && ad->a.rows % ad->checkpoint == 0 &&
		    end > start && c->ok[end - 1])
			state_save(ad->state, ad->model_hash, s->m, &ad->a,
			           ad->context);
		start = end;
	}
}

/* The ordered step: context features, then --adapt's walk. */
static void
ordered_chunk(void *arg, struct chunk *c)
{
	struct scoring *s = arg;

	if (s->context != NULL)
		context_chunk(arg, c);
	if (s->adaptive != NULL)
		adapt_chunk(s, c);
}

/* Walk the chunk's rows (unless --adapt has), explain them, and write
 * them out; a window of rows at a time is explained, its credits kept
 * until it is written. */
static void
finish_chunk(void *arg, struct chunk *c)
{
	struct scoring *s = arg;
	struct batch *b = c->work;
	size_t start, end, i;

	if (s->adaptive == NULL)
		walk_rows(&s->walk, b->x, c->n, b->score);
	for (start = 0; start < c->n; start = end) {
		end = s->explain != NULL ? explain_window(s, b, c, start) : c->n;
		for (i = start; i < end; i++)
			write_row(s, b, c, i, start);
	}
}

/* The columns ifscore adds: the context features with --show-context,
 * then score and status, and cause with --explain. */
static const char **
added_columns(const struct model *m, const struct options *opt, size_t *n)
{
	size_t ncontext = opt->show_context ? m->forest.nfeature - m->nraw : 0;
	const char **name = xreallocarray(NULL, ncontext + 3, sizeof *name);
	size_t i;

	for (i = 0; i < ncontext; i++)
		name[i] = m->feature[m->nraw + i];
	name[i++] = "score";
	name[i++] = "status";
	if (opt->explain != EXPLAIN_NONE)
		name[i++] = "cause";
	*n = i;
	return name;
}

/* Score every row; exit status 0, or 2 after a bad input, or a bad row
 * without --bad-rows-ok. */
static int
score_stream(const struct options *opt, struct tsv *t, struct out *o,
             struct model *m, const size_t *cols, double threshold,
             struct context *context, struct adaptive *adaptive)
{
	struct scoring s = { m, t, cols, threshold, { 0 }, -1,
	                     opt->max_groups, opt->show_context, NULL, NULL,
	                     opt->explain, { 0 }, adaptive };
	struct explainer e;
	struct pipeline_steps steps = {
		&s, batch_new, batch_free, parse_chunk, NULL, finish_chunk
	};
	struct pipeline_options popt = { opt->jobs, opt->strict,
	                                 opt->unbuffered };
	const char **added;
	size_t nadded;

	if (context != NULL) {
		s.group_col = model_group_column(m, t);
		s.context = context;
		steps.ordered = ordered_chunk;
	}
	if (adaptive != NULL)
		steps.ordered = ordered_chunk;

	if (opt->explain != EXPLAIN_NONE) {
		explainer_init(&e, &m->forest, m->feature);
		s.explain = &e;
	}
	added = added_columns(m, opt, &nadded);
	format_init(&s.format, opt->json ? FORMAT_JSON : FORMAT_TSV, t, cols,
	            m->nraw, added, nadded);
	format_header(&s.format, o);
	walk_init(&s.walk, &m->forest);
	pipeline_run(t, o, &steps, &popt);
	walk_free(&s.walk);
	format_free(&s.format);
	free(added);
	if (s.explain != NULL)
		explainer_free(&e);
	/* --bad-rows-ok: an input that could not be read still counts. */
	return t->bad_input || (t->failed && !opt->bad_rows_ok) ?
	       EXIT_TROUBLE : 0;
}

/* --- Adapting, and the state file ----------------------------------- */

/* With --state, SIGHUP, SIGINT and SIGTERM end the reading (tsv's stop):
 * the rows read so far are written, then the state, then the program
 * ends by the signal.  A signal ignored by the caller stays ignored. */
static void
catch_stop_signals(struct tsv *t)
{
	static const int signals[] = { SIGHUP, SIGINT, SIGTERM };

	t->wake_fd = catch_signals(signals, sizeof signals / sizeof *signals);
	t->stop = &caught_signal;
}

/* The forest learns from the stream (from the state file when it has
 * one); the threshold follows a model trained with a contamination,
 * unless -T fixes it. */
static void
adaptive_init(struct adaptive *ad, const struct options *opt,
              struct model *m, double threshold, struct context *context)
{
	memset(ad, 0, sizeof *ad);
	if (opt->adapt < m->forest.sample_size)
		usage_error("invalid value '%zu' for --adapt: the window must "
		            "hold at least the model's sample size (%zu)",
		            opt->adapt, m->forest.sample_size);
	adapt_init(&ad->a, &m->forest, opt->adapt, opt->adapt_all, threshold,
	           opt->has_threshold ? 0 : m->contamination, m->seed);
	ad->strict = opt->strict;
	ad->checkpoint = opt->checkpoint;
	ad->state = opt->state;
	ad->context = context;
	if (opt->state == NULL)
		return;
	ad->model_hash = state_model_hash(opt->model);
	if (!state_load(opt->state, opt->model, ad->model_hash, m, &ad->a,
	                context))
		/* A new state: a place it cannot be written is found now,
		 * not when the stream ends. */
		state_save(opt->state, ad->model_hash, m, &ad->a, context);
	else if (opt->has_threshold)
		ad->a.threshold = threshold;
}

/* After the last row written: the state, and the signal that stopped
 * the run, if one did. */
static void
adaptive_finish(struct adaptive *ad, const struct model *m)
{
	if (ad->state != NULL)
		state_save(ad->state, ad->model_hash, m, &ad->a, ad->context);
	adapt_free(&ad->a);
	if (caught_signal)
		die_of_signal(caught_signal);
}

int
main(int argc, char *argv[])
{
	struct options opt;
	struct model m;
	struct tsv t;
	struct out o;
	struct adaptive adaptive;
	struct context *context;
	size_t *cols;
	double threshold;
	char error[512];
	int status;

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

	context = model_context(&m, opt.max_groups);
	if (opt.adapt)
		adaptive_init(&adaptive, &opt, &m, threshold, context);

	tsv_open(&t, argv, argc, opt.delim);
	if (opt.state)
		catch_stop_signals(&t);
	if (opt.columns)
		tsv_set_columns(&t, opt.columns, "--columns");
	out_init(&o, STDOUT_FILENO, "standard output");
	if (!tsv_read_header(&t))
		exit(EXIT_TROUBLE);
	cols = model_columns(&m, &t);
	status = score_stream(&opt, &t, &o, &m, cols, threshold, context,
	                      opt.adapt ? &adaptive : NULL);
	out_finish(&o);
	if (opt.adapt)
		adaptive_finish(&adaptive, &m);
	context_free(context);
	free(cols);
	model_free(&m);
	tsv_close(&t);
	return status;
}
