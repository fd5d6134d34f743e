/* ifscore: score a TSV stream line by line against an Isolation Forest. */
#include "forest.h"
#include "model.h"
#include "num.h"
#include "out.h"
#include "tsv.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct options {
	const char *model;
	double threshold;
	int has_threshold, unbuffered, json, strict, print_model;
	char delim;
};

static const char usage_text[] =
    "usage: ifscore -m MODEL [-u] [-d CHAR] [-T X] [--json] [--strict]\n"
    "               [FILE ...]\n"
    "       ifscore -m MODEL --print-model\n";

static void
help(void)
{
	fputs(usage_text, stdout);
	fputs("\nScore each TSV row of FILEs (or standard input) with an Isolation Forest\n"
	      "model; append the columns 'score' and 'status' (normal or anomaly).\n\n"
	      "  -m, --model FILE       the model, as written by iftrain\n"
	      "  -T, --threshold X      flag scores above X (0..1) [the model's]\n"
	      "  -d, --delimiter CHAR   field delimiter [tab]\n"
	      "  -u, --unbuffered       flush after every line\n"
	      "      --json             write JSON Lines instead of TSV\n"
	      "      --strict           stop at the first bad row\n"
	      "      --print-model      check the model, write it out as read, exit\n"
	      "  -h, --help             print this help and exit\n"
	      "  -V, --version          print the version and exit\n", stdout);
	close_stdout();
	exit(0);
}

enum { OPT_JSON = 256, OPT_STRICT, OPT_PRINT_MODEL };

static void
parse_options(struct options *o, int *argc, char ***argv)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ "unbuffered", no_argument, NULL, 'u' },
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
	opterr = 0;
	while ((c = getopt_long(*argc, *argv, ":m:T:d:uhV", longopts,
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
			help();
			break;
		case 'V':
			print_version();
			close_stdout();
			exit(0);
		case ':':
			usage_error("option '%s' needs an argument",
			            (*argv)[optind - 1]);
		default:
			usage_error("unknown option '%s'", (*argv)[optind - 1]);
		}
	}
	*argc -= optind;
	*argv += optind;
	if (o->model == NULL)
		usage_error("no model given (-m MODEL)");
}

/* The input column of every model feature, or exit naming what is
 * missing and what the model needs. */
static size_t *
find_features(const struct model *m, const struct tsv *t)
{
	size_t n = m->forest.nfeature, i;
	size_t *cols = xreallocarray(NULL, n, sizeof *cols);

	for (i = 0; i < n; i++) {
		long c = tsv_column(t, m->feature[i]);

		if (c < 0) {
			size_t j;

			fprintf(stderr, "%s: %s:1: missing feature column '%s' "
			        "(the model needs:", progname, t->name,
			        m->feature[i]);
			for (j = 0; j < n; j++)
				fprintf(stderr, "%s %s", j ? "," : "",
				        m->feature[j]);
			fputs(")\n", stderr);
			exit(EXIT_TROUBLE);
		}
		cols[i] = (size_t)c;
	}
	return cols;
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

/* Rows are scored in batches, a tree at a time over the whole batch; a
 * batch ends early whenever the input has no further line ready, so a
 * live stream is scored and written the moment each line arrives. */
enum { BATCH_ROWS = 256 };

struct batch {
	size_t n;
	double *x;                  /* BATCH_ROWS rows of features */
	double score[BATCH_ROWS];
	unsigned char ok[BATCH_ROWS];
	size_t start[BATCH_ROWS + 1]; /* offsets of the records in text */
	char *text;
	size_t text_cap;
};

static void
batch_add(struct batch *b, const struct tsv *t, int ok)
{
	size_t at = b->start[b->n];

	if (b->text_cap - at < t->record_len) {
		b->text_cap = 2 * (at + t->record_len);
		b->text = xrealloc(b->text, b->text_cap);
	}
	memcpy(b->text + at, t->record, t->record_len);
	b->ok[b->n++] = (unsigned char)ok;
	b->start[b->n] = at + t->record_len;
}

static void
write_batch(struct out *o, struct batch *b, const struct model *m,
            double threshold, char delim)
{
	size_t i;

	forest_score_block(&m->forest, b->x, b->n, b->score);
	for (i = 0; i < b->n; i++) {
		char score[16];
		size_t len = b->ok[i] ? num_format_score(score, b->score[i]) : 0;

		out_write(o, b->text + b->start[i], b->start[i + 1] - b->start[i]);
		out_char(o, delim);
		out_write(o, score, len);
		out_char(o, delim);
		out_str(o, !b->ok[i] ? "error" :
		           b->score[i] > threshold ? "anomaly" : "normal");
		out_char(o, '\n');
	}
	b->n = 0;
}

/* TSV output, batched.  Returns at the end of input, or after the first
 * bad row with --strict. */
static void
score_tsv(const struct options *opt, struct tsv *t, struct out *o,
          const struct model *m, const size_t *cols, double threshold)
{
	size_t d = m->forest.nfeature;
	struct batch b;
	int stop = 0;

	memset(&b, 0, sizeof b);
	b.x = xreallocarray(NULL, BATCH_ROWS, d * sizeof *b.x);
	write_tsv_header(o, t);
	while (!stop && tsv_next(t)) {
		double *x = b.x + b.n * d;
		int ok = tsv_features(t, cols, d, x) >= 0;

		if (!ok) {
			size_t i;

			for (i = 0; i < d; i++)
				x[i] = 0; /* scored, never shown */
			stop = opt->strict;
		}
		batch_add(&b, t, ok);
		if (b.n == BATCH_ROWS || stop || opt->unbuffered ||
		    !tsv_line_ready(t)) {
			write_batch(o, &b, m, threshold, t->delim);
			if (opt->unbuffered)
				out_flush(o);
		}
	}
	write_batch(o, &b, m, threshold, t->delim);
	free(b.x);
	free(b.text);
}

/* JSON Lines, a row at a time: a consumer of the old API reads them one
 * by one. */
static void
score_json(const struct options *opt, struct tsv *t, struct out *o,
           const struct model *m, const size_t *cols, double threshold)
{
	double *x = xreallocarray(NULL, m->forest.nfeature, sizeof *x);

	while (tsv_next(t)) {
		char score[16];

		if (tsv_features(t, cols, m->forest.nfeature, x) < 0) {
			write_json_row(o, t, "", 0, "error");
			if (opt->strict)
				break;
		} else {
			double s = forest_score(&m->forest, x);

			write_json_row(o, t, score, num_format_score(score, s),
			               s > threshold ? "anomaly" : "normal");
		}
		if (opt->unbuffered)
			out_flush(o);
	}
	free(x);
}

static void
flush_output(void *arg)
{
	out_flush(arg);
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

	set_progname(argv[0]);
	parse_options(&opt, &argc, &argv);
	model_load(&m, opt.model);
	threshold = opt.has_threshold ? opt.threshold : m.threshold;
	if (opt.print_model) {
		model_write(&m, STDOUT_FILENO, "standard output");
		model_free(&m);
		return 0;
	}

	tsv_open(&t, argv, argc, opt.delim);
	out_init(&o, STDOUT_FILENO, "standard output");
	t.before_read = flush_output;
	t.before_read_arg = &o;
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
