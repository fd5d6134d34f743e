/* ifstat: summarise scored TSV (what ifscore writes) for people, dashboards
 * and cron jobs.  Reading, tallying and report assembly live here; the
 * figures themselves come from metrics.c. */
#include "metrics.h"
#include "num.h"
#include "out.h"
#include "tsv.h"
#include "util.h"

#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define USAGE \
	"usage: ifstat [-d char] [-e rows] [-g column] [-T threshold]\n" \
	"              [--columns names] [--histogram] [--json | --wide]\n" \
	"              [--max-rate rate] [file ...]\n"

enum status { ST_NORMAL, ST_ANOMALY, ST_ERROR };
enum format { FMT_LONG, FMT_WIDE, FMT_JSON };

/* The histogram tallies scores in 1000 bins of 0.001 over [0, 1] for each
 * (status, label) pair, so it needs no copy of the scores. */
enum { HIST_FINE = 1000, HIST_ROWS = 20, HIST_BAR = 56 };

/* The five kinds of anomaly sensorgen injects: their recall is always
 * reported when there is a kind column, so the set of metrics is stable. */
static const char *const sensorgen_kinds[] = {
	"burst", "spike", "drift", "stuck", "dropout"
};

struct options {
	char delim;
	const char *group_by;
	const char *columns;          /* --columns: headerless in and out */
	unsigned long long every;
	enum format format;
	int histogram;
	int has_max_rate, has_threshold;
	double max_rate, threshold;
};

struct kind_tally {
	unsigned long long positives, caught;
};

/* Everything known about one set of rows. */
struct summary {
	unsigned long long rows, normal, anomalies, errors;
	unsigned long long tp, fp, tn, fn;
	struct moments score;
	struct scoreset scores;
	struct moments *feature;      /* per column: [2c] normal, [2c+1] anomaly */
	struct kind_tally *kind;      /* indexed like the run's kind names */
	size_t nkind;
	unsigned long long *hist;     /* [4][HIST_FINE]: (status, label) */
};

struct group {
	char *name;                   /* NULL without -g */
	size_t len;
	struct summary all, window;
};

/* One line of a report: the name is a + b ("temperature" "_sd_normal"). */
struct metric {
	const char *a, *b;
	int is_count;
	unsigned long long count;
	double real;                  /* NaN: undefined, printed empty */
};

/* One parsed input row. */
struct row {
	enum status status;
	double score;
	int label;                    /* -1 without a label column */
	const char *kind;
	size_t kind_len;
	const char *group;
	size_t group_len;
};

struct run {
	struct options opt;
	struct tsv in;
	struct out out;
	long score_col, status_col, label_col, kind_col, group_col;
	unsigned char *numeric;       /* per column: summarised as a number */
	double *value;                /* per column: this row's number, or NaN */

	char **kinds;
	size_t nkinds;

	struct group *groups;
	size_t ngroups, groups_cap;
	size_t *slot;                 /* open-addressing table of group + 1 */
	size_t nslot;

	double max_normal, min_anomaly; /* for the estimated threshold */
	unsigned long long window_rows, windows;

	struct metric *metrics;
	size_t nmetrics, metrics_cap;
	char **wide;                  /* --wide: the header's metric names */
	size_t nwide;
	int header_done;
};

static const char help_text[] =
    "\n"
    "Summarise scored rows (ifscore output): counts, anomaly rate, "
    "score\n"
    "distribution, per-column means, and label metrics.\n"
    "\n"
    "  -d, --delimiter=CHAR   fields are separated by CHAR "
    "(default tab)\n"
    "  -e, --every=N          a summary of every N rows as they "
    "arrive\n"
    "  -g, --group-by=COLUMN  one summary per value of COLUMN\n"
    "  -T, --threshold=X      mark X as the threshold in the "
    "histogram\n"
    "      --columns=NAMES    the input has no header line; NAMES "
    "(comma-\n"
    "                         separated) are its columns; no header "
    "line\n"
    "                         is written either\n"
    "      --histogram        draw a histogram of the scores after "
    "the report\n"
    "      --json             one JSON object per summary\n"
    "  -w, --wide             one row per summary, metrics as "
    "columns\n"
    "      --max-rate=F       exit 1 when the anomaly rate exceeds F\n"
    "  -h, --help             print this help and exit\n"
    "  -V, --version          print the version and exit\n"
    "\n"
    "See ifstat(1) for the metric names and definitions.\n";

static void
parse_options(struct options *opt, int argc, char **argv)
{
	enum { OPT_HISTOGRAM = 256, OPT_JSON, OPT_MAX_RATE, OPT_COLUMNS };
	static const struct option longopts[] = {
		{ "delimiter", required_argument, NULL, 'd' },
		{ "every", required_argument, NULL, 'e' },
		{ "group-by", required_argument, NULL, 'g' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "histogram", no_argument, NULL, OPT_HISTOGRAM },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "wide", no_argument, NULL, 'w' },
		{ "max-rate", required_argument, NULL, OPT_MAX_RATE },
		{ "columns", required_argument, NULL, OPT_COLUMNS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(opt, 0, sizeof *opt);
	opt->delim = '\t';
	opterr = 0; /* our own messages, named after progname */
	while ((c = getopt_long(argc, argv, ":d:e:g:T:whV", longopts,
	                        NULL)) != -1) {
		switch (c) {
		case 'd':
			opt->delim = opt_delimiter(optarg);
			break;
		case 'e':
			opt->every = (unsigned long long)opt_integer("--every",
			    optarg, 1, LLONG_MAX);
			break;
		case 'g':
			if (*optarg == '\0')
				usage_error("invalid value '' for --group-by: "
				            "expected a column name");
			opt->group_by = optarg;
			break;
		case 'T':
			opt->threshold = opt_real("--threshold", optarg, 0, 1,
			                          1);
			opt->has_threshold = 1;
			break;
		case OPT_HISTOGRAM:
			opt->histogram = 1;
			break;
		case OPT_COLUMNS:
			opt->columns = optarg;
			break;
		case OPT_JSON:
		case 'w':
			if (opt->format != FMT_LONG &&
			    opt->format != (c == 'w' ? FMT_WIDE : FMT_JSON))
				usage_error("--json and --wide cannot be "
				            "combined");
			opt->format = c == 'w' ? FMT_WIDE : FMT_JSON;
			break;
		case OPT_MAX_RATE:
			opt->max_rate = opt_real("--max-rate", optarg, 0, 1, 1);
			opt->has_max_rate = 1;
			break;
		case 'h':
			help_exit(USAGE, help_text);
			break;
		case 'V':
			version_exit();
		default:
			opt_bad(c, argv);
		}
	}
}

/* Input columns */

static long
required_column(struct run *r, const char *name, const char *why)
{
	long i = tsv_column(&r->in, name);

	if (i < 0)
		tsv_die(&r->in, -1, "no column '%s'%s", name, why);
	return i;
}

static void
find_columns(struct run *r)
{
	size_t i;

	r->score_col = required_column(r, "score", "");
	r->status_col = required_column(r, "status", "");
	r->label_col = tsv_column(&r->in, "label");
	r->kind_col = tsv_column(&r->in, "kind");
	r->group_col = r->opt.group_by ?
	    required_column(r, r->opt.group_by, " (for --group-by)") : -1;
	r->numeric = xcalloc(r->in.ncolumn, 1);
	r->value = xreallocarray(NULL, r->in.ncolumn, sizeof *r->value);
	for (i = 0; i < r->in.ncolumn; i++)
		r->numeric[i] = (long)i != r->score_col &&
		    (long)i != r->status_col && (long)i != r->label_col &&
		    (long)i != r->kind_col && (long)i != r->group_col;
}

static int
field_is(const struct tsv_field *f, const char *word)
{
	size_t n = strlen(word);

	return f->n == n && memcmp(f->p, word, n) == 0;
}

/* Parse the row's status, score and label; 0 (reported) when one is bad. */
static int
parse_row(struct run *r, struct row *row)
{
	struct tsv *t = &r->in;
	const struct tsv_field *f = &t->field[r->status_col];
	double x;

	if (field_is(f, "normal"))
		row->status = ST_NORMAL;
	else if (field_is(f, "anomaly"))
		row->status = ST_ANOMALY;
	else if (field_is(f, "error"))
		row->status = ST_ERROR;
	else {
		tsv_warn(t, r->status_col, "invalid status '%.*s' (expected "
		         "normal, anomaly or error)", (int)(f->n > 40 ? 40 :
		         f->n), f->p);
		return 0;
	}
	row->score = NAN;
	if (row->status != ST_ERROR &&
	    tsv_number(t, (size_t)r->score_col, &row->score, 0) != NUM_OK)
		return 0;
	row->label = -1;
	if (r->label_col >= 0) {
		f = &t->field[r->label_col];
		if (num_parse(f->p, f->n, &x) != NUM_OK || (x != 0 && x != 1)) {
			tsv_warn(t, r->label_col, "invalid label '%.*s' "
			         "(expected 0 or 1)", (int)(f->n > 40 ? 40 :
			         f->n), f->p);
			return 0;
		}
		row->label = x == 1;
	}
	if (r->kind_col >= 0) {
		row->kind = t->field[r->kind_col].p;
		row->kind_len = t->field[r->kind_col].n;
	}
	if (r->group_col >= 0) {
		row->group = t->field[r->group_col].p;
		row->group_len = t->field[r->group_col].n;
	}
	return 1;
}

/* The row's feature values into r->value.  A column stops being summarised
 * at its first value that is neither a number nor missing; rows that could
 * not be scored do not count (their bad value is why). */
static void
parse_features(struct run *r, const struct row *row)
{
	size_t i;

	for (i = 0; i < r->in.ncolumn; i++) {
		const struct tsv_field *f = &r->in.field[i];
		enum num_status st;
		double x;

		r->value[i] = NAN;
		if (!r->numeric[i] || row->status == ST_ERROR)
			continue;
		st = num_parse(f->p, f->n, &x);
		if (st == NUM_OK)
			r->value[i] = x;
		else if (st != NUM_MISSING)
			r->numeric[i] = 0;
	}
}

/* Kinds and groups */

static void
add_kind(struct run *r, const char *name, size_t len)
{
	char *copy = xmalloc(len + 1);

	memcpy(copy, name, len);
	copy[len] = '\0';
	r->kinds = xreallocarray(r->kinds, r->nkinds + 1, sizeof *r->kinds);
	r->kinds[r->nkinds++] = copy;
}

static size_t
kind_index(struct run *r, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < r->nkinds; i++)
		if (strlen(r->kinds[i]) == len &&
		    memcmp(r->kinds[i], name, len) == 0)
			return i;
	add_kind(r, name, len);
	return r->nkinds - 1;
}

static uint64_t
hash_bytes(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 1099511628211u;
	return h;
}

static void
rehash(struct run *r)
{
	size_t i;

	free(r->slot);
	r->nslot = r->nslot ? 2 * r->nslot : 64;
	r->slot = xcalloc(r->nslot, sizeof *r->slot);
	for (i = 0; i < r->ngroups; i++) {
		size_t s = hash_bytes(r->groups[i].name, r->groups[i].len) &
		           (r->nslot - 1);

		while (r->slot[s] != 0)
			s = (s + 1) & (r->nslot - 1);
		r->slot[s] = i + 1;
	}
}

static struct group *
new_group(struct run *r, const char *name, size_t len)
{
	struct group *g;

	if (r->ngroups == r->groups_cap) {
		r->groups_cap = r->groups_cap ? 2 * r->groups_cap : 16;
		r->groups = xreallocarray(r->groups, r->groups_cap,
		                          sizeof *r->groups);
	}
	g = &r->groups[r->ngroups++];
	memset(g, 0, sizeof *g);
	if (name != NULL) {
		g->name = xmalloc(len + 1);
		memcpy(g->name, name, len);
		g->name[len] = '\0';
		g->len = len;
	}
	return g;
}

static struct group *
find_group(struct run *r, const struct row *row)
{
	size_t s;

	if (r->group_col < 0)
		return r->ngroups ? &r->groups[0] : new_group(r, NULL, 0);
	if (2 * (r->ngroups + 1) > r->nslot)
		rehash(r);
	s = hash_bytes(row->group, row->group_len) & (r->nslot - 1);
	for (; r->slot[s] != 0; s = (s + 1) & (r->nslot - 1)) {
		struct group *g = &r->groups[r->slot[s] - 1];

		if (g->len == row->group_len &&
		    memcmp(g->name, row->group, g->len) == 0)
			return g;
	}
	r->slot[s] = r->ngroups + 1;
	return new_group(r, row->group, row->group_len);
}

/* Tallying */

static size_t
hist_bin(double score)
{
	double micro = round(score * 1e6); /* scores have six decimals */

	if (!(micro > 0))
		return 0;
	if (micro >= 1e6)
		return HIST_FINE - 1;
	return (size_t)micro / 1000;
}

static void
summary_add(struct run *r, struct summary *s, const struct row *row,
            size_t kind)
{
	int anomaly = row->status == ST_ANOMALY;
	size_t i;

	s->rows++;
	if (row->status == ST_ERROR) {
		s->errors++;
		return;
	}
	if (anomaly)
		s->anomalies++;
	else
		s->normal++;
	moments_add(&s->score, row->score);
	scoreset_add(&s->scores, row->score, row->label == 1);

	if (s->feature == NULL)
		s->feature = xcalloc(2 * r->in.ncolumn, sizeof *s->feature);
	for (i = 0; i < r->in.ncolumn; i++)
		if (!isnan(r->value[i]))
			moments_add(&s->feature[2 * i + anomaly], r->value[i]);

	if (row->label >= 0) {
		if (row->label)
			*(anomaly ? &s->tp : &s->fn) += 1;
		else
			*(anomaly ? &s->fp : &s->tn) += 1;
	}
	if (row->label == 1 && r->kind_col >= 0) {
		if (kind >= s->nkind) {
			s->kind = xreallocarray(s->kind, r->nkinds,
			                        sizeof *s->kind);
			memset(s->kind + s->nkind, 0,
			       (r->nkinds - s->nkind) * sizeof *s->kind);
			s->nkind = r->nkinds;
		}
		s->kind[kind].positives++;
		s->kind[kind].caught += anomaly;
	}
	if (r->opt.histogram) {
		if (s->hist == NULL)
			s->hist = xcalloc(4 * HIST_FINE, sizeof *s->hist);
		s->hist[(2 * anomaly + (row->label == 1)) * HIST_FINE +
		        hist_bin(row->score)]++;
	}
}

/* Empty s for the next window, keeping its memory. */
static void
summary_clear(struct summary *s, size_t ncolumn)
{
	struct summary keep = *s;

	memset(s, 0, sizeof *s);
	scoreset_clear(&keep.scores);
	s->scores = keep.scores;
	s->feature = keep.feature;
	if (s->feature)
		memset(s->feature, 0, 2 * ncolumn * sizeof *s->feature);
	s->kind = keep.kind;
	s->nkind = keep.nkind;
	if (s->kind)
		memset(s->kind, 0, s->nkind * sizeof *s->kind);
	s->hist = keep.hist;
	if (s->hist)
		memset(s->hist, 0, 4 * HIST_FINE * sizeof *s->hist);
}

static void
summary_free(struct summary *s)
{
	scoreset_free(&s->scores);
	free(s->feature);
	free(s->kind);
	free(s->hist);
}

static void
run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->ngroups; i++) {
		free(r->groups[i].name);
		summary_free(&r->groups[i].all);
		summary_free(&r->groups[i].window);
	}
	free(r->groups);
	free(r->slot);
	for (i = 0; i < r->nkinds; i++)
		free(r->kinds[i]);
	free(r->kinds);
	for (i = 0; i < r->nwide; i++)
		free(r->wide[i]);
	free(r->wide);
	free(r->metrics);
	free(r->numeric);
	free(r->value);
	tsv_close(&r->in);
}

/* Report assembly */

static void
put(struct run *r, const char *a, const char *b, int is_count,
    unsigned long long count, double real)
{
	struct metric *m;

	if (r->nmetrics == r->metrics_cap) {
		r->metrics_cap = r->metrics_cap ? 2 * r->metrics_cap : 64;
		r->metrics = xreallocarray(r->metrics, r->metrics_cap,
		                           sizeof *r->metrics);
	}
	m = &r->metrics[r->nmetrics++];
	m->a = a;
	m->b = b;
	m->is_count = is_count;
	m->count = count;
	m->real = real;
}

static void
put_count(struct run *r, const char *name, unsigned long long n)
{
	put(r, "", name, 1, n, 0);
}

static void
put_real(struct run *r, const char *a, const char *b, double x)
{
	put(r, a, b, 0, 0, x);
}

static double
ratio(unsigned long long num, unsigned long long den)
{
	return den > 0 ? (double)num / (double)den : NAN;
}

static void
assemble_labels(struct run *r, struct summary *s)
{
	unsigned long long labelled = s->tp + s->fp + s->tn + s->fn;
	size_t i;

	put_count(r, "tp", s->tp);
	put_count(r, "fp", s->fp);
	put_count(r, "tn", s->tn);
	put_count(r, "fn", s->fn);
	put_real(r, "", "precision", ratio(s->tp, s->tp + s->fp));
	put_real(r, "", "recall", ratio(s->tp, s->tp + s->fn));
	put_real(r, "", "f1", ratio(2 * s->tp, 2 * s->tp + s->fp + s->fn));
	put_real(r, "", "accuracy", ratio(s->tp + s->tn, labelled));
	put_real(r, "", "roc_auc", scoreset_roc_auc(&s->scores));
	put_real(r, "", "average_precision",
	         scoreset_average_precision(&s->scores));
	if (r->kind_col < 0)
		return;
	for (i = 0; i < r->nkinds; i++) {
		struct kind_tally k = { 0, 0 };

		if (i < s->nkind)
			k = s->kind[i];
		put_real(r, "recall_", r->kinds[i],
		         ratio(k.caught, k.positives));
	}
}

/* The metrics of s into r->metrics, in the documented order. */
static void
assemble(struct run *r, struct summary *s)
{
	static const double quantile[] = { 0.5, 0.9, 0.95, 0.99 };
	static const char *const quantile_name[] = {
		"score_p50", "score_p90", "score_p95", "score_p99"
	};
	size_t i, n = scoreset_count(&s->scores);

	r->nmetrics = 0;
	put_count(r, "rows", s->rows);
	put_count(r, "normal", s->normal);
	put_count(r, "anomalies", s->anomalies);
	put_count(r, "errors", s->errors);
	put_real(r, "", "anomaly_rate", ratio(s->anomalies, n));
	put_real(r, "", "score_min", scoreset_quantile(&s->scores, 0));
	put_real(r, "", "score_mean", moments_mean(&s->score));
	for (i = 0; i < 4; i++)
		put_real(r, "", quantile_name[i],
		         scoreset_quantile(&s->scores, quantile[i]));
	put_real(r, "", "score_max", scoreset_quantile(&s->scores, 1));
	for (i = 0; i < r->in.ncolumn; i++) {
		static const struct moments none;
		const struct moments *m = s->feature ? &s->feature[2 * i] : NULL;
		const char *c = r->in.column[i];

		if (!r->numeric[i])
			continue;
		put_real(r, c, "_mean_normal", moments_mean(m ? &m[0] : &none));
		put_real(r, c, "_sd_normal", moments_sd(m ? &m[0] : &none));
		put_real(r, c, "_mean_anomaly", moments_mean(m ? &m[1] : &none));
		put_real(r, c, "_sd_anomaly", moments_sd(m ? &m[1] : &none));
	}
	if (r->label_col >= 0)
		assemble_labels(r, s);
}

/* Output */

static int
metric_is(const struct metric *m, const char *name)
{
	size_t na = strlen(m->a);

	return strncmp(name, m->a, na) == 0 && strcmp(name + na, m->b) == 0;
}

static void
put_name(struct out *o, const struct metric *m)
{
	out_str(o, m->a);
	out_str(o, m->b);
}

/* A value as text: counts whole, reals to six significant digits,
 * undefined ones empty (null in JSON). */
static void
put_value(struct out *o, const struct metric *m, int json)
{
	if (m->is_count)
		out_printf(o, "%llu", m->count);
	else if (!isnan(m->real))
		out_printf(o, "%.6g", m->real);
	else if (json)
		out_str(o, "null");
}

static void
put_label(struct run *r, unsigned long long window)
{
	if (window > 0)
		out_printf(&r->out, "%llu", window);
	else
		out_str(&r->out, "total");
}

static void
write_header(struct run *r)
{
	struct out discard, *o = &r->out;
	size_t i;

	if (r->header_done || r->opt.format == FMT_JSON)
		return;
	r->header_done = 1;
	if (r->opt.columns) {
		/* Headerless out as in: --wide still fixes its columns. */
		out_init_memory(&discard);
		o = &discard;
	}
	if (r->opt.every) {
		out_str(o, "window");
		out_char(o, r->opt.delim);
	}
	if (r->opt.group_by) {
		out_str(o, r->opt.group_by);
		out_char(o, r->opt.delim);
	}
	if (r->opt.format == FMT_LONG) {
		out_str(o, "metric");
		out_char(o, r->opt.delim);
		out_str(o, "value\n");
	} else {
		/* --wide: the columns are fixed by the first summary. */
		r->nwide = r->nmetrics;
		r->wide = xreallocarray(NULL, r->nwide, sizeof *r->wide);
		for (i = 0; i < r->nwide; i++) {
			const struct metric *m = &r->metrics[i];
			size_t na = strlen(m->a), nb = strlen(m->b);

			r->wide[i] = xmalloc(na + nb + 1);
			memcpy(r->wide[i], m->a, na);
			memcpy(r->wide[i] + na, m->b, nb + 1);
			if (i > 0)
				out_char(o, r->opt.delim);
			out_str(o, r->wide[i]);
		}
		out_char(o, '\n');
	}
	if (o == &discard)
		free(discard.buf);
}

static void
write_prefix(struct run *r, const struct group *g, unsigned long long window)
{
	if (r->opt.every) {
		put_label(r, window);
		out_char(&r->out, r->opt.delim);
	}
	if (g->name) {
		out_write(&r->out, g->name, g->len);
		out_char(&r->out, r->opt.delim);
	}
}

static const struct metric *
wide_value(const struct run *r, size_t i)
{
	size_t j;

	if (i < r->nmetrics && metric_is(&r->metrics[i], r->wide[i]))
		return &r->metrics[i];
	for (j = 0; j < r->nmetrics; j++)
		if (metric_is(&r->metrics[j], r->wide[i]))
			return &r->metrics[j];
	return NULL; /* a column that stopped being numeric: empty */
}

static void
write_json(struct run *r, const struct group *g, unsigned long long window)
{
	struct out *o = &r->out;
	size_t i;
	const char *sep = "";

	out_char(o, '{');
	if (r->opt.every) {
		out_str(o, "\"window\":");
		if (window > 0)
			out_printf(o, "%llu", window);
		else
			out_str(o, "\"total\"");
		sep = ",";
	}
	if (g->name) {
		out_str(o, sep);
		out_json_string(o, r->opt.group_by, strlen(r->opt.group_by));
		out_char(o, ':');
		out_json_string(o, g->name, g->len);
		sep = ",";
	}
	for (i = 0; i < r->nmetrics; i++) {
		const struct metric *m = &r->metrics[i];
		size_t na = strlen(m->a), nb = strlen(m->b);
		char *name = xmalloc(na + nb + 1);

		memcpy(name, m->a, na);
		memcpy(name + na, m->b, nb + 1);
		out_str(o, sep);
		out_json_string(o, name, na + nb);
		out_char(o, ':');
		put_value(o, m, 1);
		free(name);
		sep = ",";
	}
	out_str(o, "}\n");
}

/* Print the summary s of group g; window 0 is the final summary. */
static void
write_summary(struct run *r, struct group *g, struct summary *s,
              unsigned long long window)
{
	struct out *o = &r->out;
	size_t i;

	assemble(r, s);
	write_header(r);
	switch (r->opt.format) {
	case FMT_JSON:
		write_json(r, g, window);
		break;
	case FMT_WIDE:
		write_prefix(r, g, window);
		for (i = 0; i < r->nwide; i++) {
			const struct metric *m = wide_value(r, i);

			if (i > 0)
				out_char(o, r->opt.delim);
			if (m)
				put_value(o, m, 0);
		}
		out_char(o, '\n');
		break;
	case FMT_LONG:
		for (i = 0; i < r->nmetrics; i++) {
			write_prefix(r, g, window);
			put_name(o, &r->metrics[i]);
			out_char(o, r->opt.delim);
			put_value(o, &r->metrics[i], 0);
			out_char(o, '\n');
		}
		break;
	}
}

/* Histogram */

static double
histogram_threshold(const struct run *r, const char **how)
{
	if (r->opt.has_threshold) {
		*how = "set with -T";
		return r->opt.threshold;
	}
	*how = "estimated";
	if (r->max_normal > -INFINITY && r->min_anomaly < INFINITY)
		return (r->max_normal + r->min_anomaly) / 2;
	return NAN;
}

static long long
floor_div(long long a, long long b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static size_t
bar_length(unsigned long long count, unsigned long long most)
{
	return count == 0 ? 0 :
	    (size_t)((count * HIST_BAR + most - 1) / most);
}

static void
write_histogram(struct run *r, const struct group *g, const struct summary *s)
{
	static const char mark_plain[] = { '=', '=', '#', '#' };
	static const char mark_label[] = { '=', 'o', 'x', '#' };
	static const long long round_width[] = {
		1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000
	};
	const char *mark = r->label_col >= 0 ? mark_label : mark_plain;
	struct out *o = &r->out;
	const char *how;
	double threshold = histogram_threshold(r, &how);
	long long lo = -1, hi = -1, edge, width, k, k_first, k_last;
	unsigned long long most = 0, n = s->normal + s->anomalies;
	int line_done = isnan(threshold);
	size_t i, c;

	out_char(o, '\n');
	if (g->name) {
		out_str(o, r->opt.group_by);
		out_char(o, ' ');
		out_write(o, g->name, g->len);
		out_str(o, ":\n");
	}
	out_printf(o, "histogram of %llu scores", n);
	if (isnan(threshold))
		out_str(o, ", threshold unknown (set it with -T)\n");
	else
		out_printf(o, ", threshold %.6g (%s)\n", threshold, how);
	if (r->label_col >= 0)
		out_str(o, "= normal, label 0   o normal, label 1   "
		           "x anomaly, label 0   # anomaly, label 1\n");
	else
		out_str(o, "= normal   # anomaly\n");
	if (n == 0)
		return;
	for (i = 0; i < HIST_FINE; i++)
		for (c = 0; c < 4; c++)
			if (s->hist[c * HIST_FINE + i]) {
				if (lo < 0)
					lo = (long long)i;
				hi = (long long)i;
			}
	/* Rows of a round number of fine bins, at most about HIST_ROWS of
	 * them, aligned so that the threshold is an edge between two. */
	for (i = 0; i < sizeof round_width / sizeof *round_width; i++) {
		width = round_width[i];
		if ((hi - lo + 1 + width - 1) / width <= HIST_ROWS)
			break;
	}
	edge = isnan(threshold) ? lo : llround(threshold * HIST_FINE);
	k_first = floor_div(lo - edge, width);
	k_last = floor_div(hi - edge, width);
	for (k = k_first; k <= k_last; k++) {
		unsigned long long total = 0;

		for (c = 0; c < 4; c++)
			for (i = 0; i < (size_t)width; i++) {
				long long b = edge + k * width + (long long)i;

				if (b >= 0 && b < HIST_FINE)
					total += s->hist[c * HIST_FINE + b];
			}
		if (total > most)
			most = total;
	}
	out_str(o, "  score      rows\n");
	for (k = k_first; k <= k_last; k++) {
		unsigned long long count[4] = { 0, 0, 0, 0 };
		long long from = edge + k * width;

		if (!line_done && k >= 0) {
			out_printf(o, "---------------- threshold %.6g "
			           "----------------\n", threshold);
			line_done = 1;
		}
		for (c = 0; c < 4; c++)
			for (i = 0; i < (size_t)width; i++) {
				long long b = from + (long long)i;

				if (b >= 0 && b < HIST_FINE)
					count[c] += s->hist[c * HIST_FINE + b];
			}
		out_printf(o, "%7.3f %9llu |", (double)from / HIST_FINE,
		           count[0] + count[1] + count[2] + count[3]);
		for (c = 0; c < 4; c++) {
			size_t len = bar_length(count[c], most);

			while (len-- > 0)
				out_char(o, mark[c]);
		}
		out_char(o, '\n');
	}
	if (!line_done)
		out_printf(o, "---------------- threshold %.6g "
		           "----------------\n", threshold);
}

/* Reading */

static void
flush_output(void *arg)
{
	out_flush(arg);
}

static void
end_window(struct run *r)
{
	size_t i;

	r->windows++;
	for (i = 0; i < r->ngroups; i++) {
		struct group *g = &r->groups[i];

		if (g->window.rows == 0)
			continue;
		write_summary(r, g, &g->window, r->windows);
		summary_clear(&g->window, r->in.ncolumn);
	}
	r->window_rows = 0;
	out_flush(&r->out);
}

static void
read_rows(struct run *r)
{
	struct tsv *t = &r->in;
	struct row row;

	memset(&row, 0, sizeof row);
	while (tsv_next(t)) {
		struct group *g;
		size_t kind = 0;

		if (!tsv_check_width(t) || !parse_row(r, &row))
			continue;
		parse_features(r, &row);
		if (row.label == 1 && r->kind_col >= 0 &&
		    row.status != ST_ERROR)
			kind = kind_index(r, row.kind, row.kind_len);
		if (row.status == ST_NORMAL && row.score > r->max_normal)
			r->max_normal = row.score;
		if (row.status == ST_ANOMALY && row.score < r->min_anomaly)
			r->min_anomaly = row.score;
		g = find_group(r, &row);
		summary_add(r, &g->all, &row, kind);
		if (r->opt.every) {
			summary_add(r, &g->window, &row, kind);
			if (++r->window_rows == r->opt.every)
				end_window(r);
		}
	}
}

static int
rate_exceeded(const struct run *r)
{
	size_t i;

	for (i = 0; i < r->ngroups; i++) {
		const struct summary *s = &r->groups[i].all;
		unsigned long long scored = s->normal + s->anomalies;

		if (scored > 0 && (double)s->anomalies / (double)scored >
		    r->opt.max_rate)
			return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct run r;
	size_t i;
	int alert, failed;

	set_progname(argv[0]);
	memset(&r, 0, sizeof r);
	parse_options(&r.opt, argc, argv);
	argc -= optind;
	argv += optind;

	out_init(&r.out, STDOUT_FILENO, "standard output");
	tsv_open(&r.in, argv, argc, r.opt.delim);
	if (r.opt.columns)
		tsv_set_columns(&r.in, r.opt.columns, "--columns");
	r.in.before_read = flush_output;
	r.in.before_read_arg = &r.out;
	if (!tsv_read_header(&r.in))
		exit(EXIT_TROUBLE);
	find_columns(&r);
	if (r.label_col >= 0 && r.kind_col >= 0)
		for (i = 0; i < sizeof sensorgen_kinds / sizeof *sensorgen_kinds;
		     i++)
			add_kind(&r, sensorgen_kinds[i],
			         strlen(sensorgen_kinds[i]));
	r.max_normal = -INFINITY;
	r.min_anomaly = INFINITY;

	read_rows(&r);
	if (r.opt.every && r.window_rows > 0)
		end_window(&r);
	if (r.ngroups == 0 && r.group_col < 0)
		new_group(&r, NULL, 0);
	for (i = 0; i < r.ngroups; i++)
		write_summary(&r, &r.groups[i], &r.groups[i].all, 0);
	if (r.ngroups == 0) {
		struct summary empty;

		memset(&empty, 0, sizeof empty);
		assemble(&r, &empty);
		write_header(&r);
	}
	if (r.opt.histogram)
		for (i = 0; i < r.ngroups; i++)
			write_histogram(&r, &r.groups[i], &r.groups[i].all);
	out_finish(&r.out);

	alert = r.opt.has_max_rate && rate_exceeded(&r);
	failed = r.in.failed;
	run_free(&r);
	if (failed)
		return EXIT_TROUBLE;
	return alert ? EXIT_ALERT : 0;
}
