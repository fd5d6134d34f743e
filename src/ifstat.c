/* ifstat: summarise scored TSV (what ifscore writes) for people, dashboards
 * and cron jobs.  Reading, tallying and report assembly live here; the
 * figures themselves come from metrics.c. */
#include "causes.h"
#include "metrics.h"
#include "num.h"
#include "out.h"
#include "tsv.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
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

/* An open-addressing index over items stored elsewhere: each slot holds
 * an item's number + 1, or 0 when empty.  Lookups take constant time
 * however many items there are; it serves the names of groups and kinds
 * and each summary's tallies of kinds. */
struct slots {
	size_t *slot;
	size_t nslot;                 /* a power of two, at least 2 * items */
};

/* Distinct names (of groups, of kinds) in order of first appearance. */
struct names {
	char **name;
	size_t *len;
	size_t n, cap;
	struct slots index;
};

struct kind_tally {
	size_t kind;                  /* in the run's kind names */
	unsigned long long positives, caught;
};

/* Everything known about one set of rows. */
struct summary {
	unsigned long long rows, normal, anomalies, errors;
	unsigned long long tp, fp, tn, fn;
	struct moments score;
	double max_normal, min_anomaly; /* NaN: no such row */
	int bounded;                  /* scores in table, not in scores */
	struct scoreset scores;
	struct scoretable table;
	struct moments *feature;      /* per column: [2c] normal, [2c+1] anomaly */
	struct kind_tally *kind;      /* only the kinds this summary has */
	size_t nkind, kind_cap;
	struct slots kind_index;
	unsigned long long *hist;     /* [4][HIST_FINE]: (status, label) */
	struct cause_counts causes;   /* anomalies per cause (causes.h) */
};

struct group {
	struct summary all, window;
};

enum value_type {
	V_COUNT,                      /* a whole number */
	V_SHARE,                      /* in [0, 1]: rates and scores */
	V_REAL                        /* anything else: means, deviations */
};

/* One line of a report: the name is a + b ("temperature" "_sd_normal"). */
struct metric {
	const char *a, *b;
	enum value_type type;
	unsigned long long count;
	double real;                  /* NaN: undefined, printed NA */
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
	size_t cause;                 /* an anomaly's cause + 1, or 0 */
};

struct run {
	struct options opt;
	struct tsv in;
	struct out out;
	long score_col, status_col, label_col, kind_col, group_col, cause_col;
	unsigned char *numeric;       /* per column: summarised as a number */
	double *value;                /* per column: this row's number, or NaN */

	struct names kinds;           /* of label-1 rows */
	struct names group_names;     /* with -g */
	struct names causes;          /* of anomalies, with a cause column */
	struct group *groups;         /* like group_names, or one without -g */
	size_t ngroups, groups_cap;

	double max_normal, min_anomaly; /* over all rows: the threshold */
	unsigned long long window_rows, windows;
	int stop;                     /* a window exceeded --max-rate */
	int alert;

	struct metric *metrics;
	size_t nmetrics, metrics_cap;
	char **wide;                  /* --wide: the header's metric names */
	size_t nwide;
	int header_done;
};

static const char help_text[] =
    "\nSummarise scored rows (ifscore output): counts, anomaly rate, "
    "score\ndistribution, the threshold, per-column means, and label "
    "metrics.\n\n"
    "  -d, --delimiter CHAR   field delimiter [tab]\n"
    "  -e, --every N          a summary of every N rows as they arrive;\n"
    "                         the total's quantiles and AUCs then come\n"
    "                         from scores rounded to 0.0001 [off]\n"
    "  -g, --group-by COLUMN  one summary per value of COLUMN [off]\n"
    "  -T, --threshold X      the threshold (0..1) to report and mark\n"
    "                         [estimated from the statuses]\n"
    "      --columns NAMES    the input has no header line; NAMES\n"
    "                         (comma-separated) are its columns; no header\n"
    "                         line is written either\n"
    "      --histogram        draw a histogram of the scores after the "
    "report\n"
    "      --json             one JSON object per summary\n"
    "  -w, --wide             one row per summary, metrics as columns\n"
    "      --max-rate F       exit 1 when an anomaly rate exceeds F; with\n"
    "                         -e, at the first window that does [off]\n"
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
	r->cause_col = tsv_column(&r->in, "cause");
	r->group_col = r->opt.group_by ?
	    required_column(r, r->opt.group_by, " (for --group-by)") : -1;
	r->numeric = xcalloc(r->in.ncolumn, 1);
	r->value = xreallocarray(NULL, r->in.ncolumn, sizeof *r->value);
	for (i = 0; i < r->in.ncolumn; i++)
		r->numeric[i] = (long)i != r->score_col &&
		    (long)i != r->status_col && (long)i != r->label_col &&
		    (long)i != r->kind_col && (long)i != r->group_col &&
		    (long)i != r->cause_col;
}

static int
field_is(const struct tsv_field *f, const char *word)
{
	size_t n = strlen(word);

	return f->n == n && memcmp(f->p, word, n) == 0;
}

/* A bad value, shown as far as it fits in a message. */
#define SHOWN(f) (int)((f)->n > 40 ? 40 : (f)->n), (f)->p

/* The score of a scored row: a number from 0 to 1 (0 when reported). */
static int
parse_score(struct run *r, double *score)
{
	struct tsv *t = &r->in;
	const struct tsv_field *f = &t->field[r->score_col];

	if (tsv_number(t, (size_t)r->score_col, score, 0) != NUM_OK)
		return 0;
	if (*score < 0 || *score > 1) {
		tsv_warn(t, r->score_col, "invalid score '%.*s' (expected 0 "
		         "to 1)", SHOWN(f));
		return 0;
	}
	return 1;
}

static void
set_group(const struct run *r, struct row *row)
{
	if (r->group_col >= 0) {
		row->group = r->in.field[r->group_col].p;
		row->group_len = r->in.field[r->group_col].n;
	}
}

/* Parse the row's status, score and label; 0 (reported) when one is bad.
 * A row with status error is counted and nothing else is read from it:
 * ifscore writes its bad rows as they came, padded or not. */
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
		         "normal, anomaly or error)", SHOWN(f));
		return 0;
	}
	set_group(r, row);
	row->score = NAN;
	row->label = -1;
	if (row->status == ST_ERROR)
		return 1;
	if (!parse_score(r, &row->score))
		return 0;
	if (r->label_col >= 0) {
		f = &t->field[r->label_col];
		if (num_parse(f->p, f->n, &x) != NUM_OK || (x != 0 && x != 1)) {
			tsv_warn(t, r->label_col, "invalid label '%.*s' "
			         "(expected 0 or 1)", SHOWN(f));
			return 0;
		}
		row->label = x == 1;
	}
	if (r->kind_col >= 0) {
		row->kind = t->field[r->kind_col].p;
		row->kind_len = t->field[r->kind_col].n;
	}
	return 1;
}

/* ifscore writes a line with too many fields as it came, followed by an
 * empty score and status error: such a line is an error row (1, row set),
 * not a bad line. */
static int
ifscore_error_line(const struct run *r, struct row *row)
{
	const struct tsv *t = &r->in;

	if (!(t->nfield > t->ncolumn &&
	    r->status_col == (long)t->ncolumn - 1 &&
	    r->score_col == (long)t->ncolumn - 2 &&
	    field_is(&t->field[t->nfield - 1], "error") &&
	    t->field[t->nfield - 2].n == 0))
		return 0;
	row->status = ST_ERROR;
	row->score = NAN;
	row->label = -1;
	set_group(r, row);
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

/* The slot of the item of ctx that is key (by match), whose hash is h, or
 * the empty slot where it belongs. */
static size_t *
slots_find(const struct slots *x, uint64_t h,
           int (*match)(const void *ctx, size_t item, const void *key),
           const void *ctx, const void *key)
{
	size_t s = (size_t)h & (x->nslot - 1);

	while (x->slot[s] != 0 && !match(ctx, x->slot[s] - 1, key))
		s = (s + 1) & (x->nslot - 1);
	return &x->slot[s];
}

/* Make room for one more of nitems items, rehashing them by hash(). */
static void
slots_reserve(struct slots *x, size_t nitems,
              uint64_t (*hash)(const void *ctx, size_t item), const void *ctx)
{
	size_t i, s;

	if (2 * (nitems + 1) <= x->nslot)
		return;
	free(x->slot);
	x->nslot = x->nslot ? 2 * x->nslot : 16;
	x->slot = xcalloc(x->nslot, sizeof *x->slot);
	for (i = 0; i < nitems; i++) {
		s = (size_t)hash(ctx, i) & (x->nslot - 1);
		while (x->slot[s] != 0)
			s = (s + 1) & (x->nslot - 1);
		x->slot[s] = i + 1;
	}
}

static uint64_t
name_hash(const void *ctx, size_t i)
{
	const struct names *s = ctx;

	return hash_bytes(s->name[i], s->len[i]);
}

static int
name_match(const void *ctx, size_t i, const void *key)
{
	const struct names *s = ctx;
	const struct tsv_field *name = key;

	return s->len[i] == name->n && memcmp(s->name[i], name->p, name->n) == 0;
}

/* The number of the name p[0..len), added when new (*added set). */
static size_t
names_intern(struct names *s, const char *p, size_t len, int *added)
{
	struct tsv_field key;
	size_t *slot;

	key.p = p;
	key.n = len;
	slots_reserve(&s->index, s->n, name_hash, s);
	slot = slots_find(&s->index, hash_bytes(p, len), name_match, s, &key);
	*added = *slot == 0;
	if (*slot != 0)
		return *slot - 1;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->name = xreallocarray(s->name, s->cap, sizeof *s->name);
		s->len = xreallocarray(s->len, s->cap, sizeof *s->len);
	}
	s->name[s->n] = xmalloc(len + 1);
	memcpy(s->name[s->n], p, len);
	s->name[s->n][len] = '\0';
	s->len[s->n] = len;
	*slot = ++s->n;
	return s->n - 1;
}

static void
names_free(struct names *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->name[i]);
	free(s->name);
	free(s->len);
	free(s->index.slot);
}

static void
summary_init(struct summary *s, int bounded)
{
	memset(s, 0, sizeof *s);
	s->max_normal = s->min_anomaly = NAN;
	s->bounded = bounded;
}

static struct group *
find_group(struct run *r, const struct row *row)
{
	size_t i = 0;
	int added = r->ngroups == 0;

	if (r->group_col >= 0)
		i = names_intern(&r->group_names, row->group, row->group_len,
		                 &added);
	if (added) {
		if (r->ngroups == r->groups_cap) {
			r->groups_cap = r->groups_cap ? 2 * r->groups_cap : 16;
			r->groups = xreallocarray(r->groups, r->groups_cap,
			                          sizeof *r->groups);
		}
		/* With -e the total of an endless stream must not keep
		 * every score. */
		summary_init(&r->groups[r->ngroups].all, r->opt.every > 0);
		summary_init(&r->groups[r->ngroups].window, 0);
		r->ngroups++;
	}
	return &r->groups[i];
}

static const char *
group_name(const struct run *r, size_t i, size_t *len)
{
	if (r->group_col < 0)
		return NULL;
	*len = r->group_names.len[i];
	return r->group_names.name[i];
}

static uint64_t
kind_hash(size_t kind)
{
	return (uint64_t)kind * 0x9E3779B97F4A7C15u; /* Fibonacci hashing */
}

static uint64_t
tally_hash(const void *ctx, size_t i)
{
	const struct summary *s = ctx;

	return kind_hash(s->kind[i].kind);
}

static int
tally_match(const void *ctx, size_t i, const void *key)
{
	const struct summary *s = ctx;

	return s->kind[i].kind == *(const size_t *)key;
}

/* The summary's tally of kind, NULL when it has none and add is 0. */
static struct kind_tally *
kind_tally(struct summary *s, size_t kind, int add)
{
	size_t *slot;

	if (s->kind_index.nslot == 0 && !add)
		return NULL;
	slots_reserve(&s->kind_index, s->nkind, tally_hash, s);
	slot = slots_find(&s->kind_index, kind_hash(kind), tally_match, s,
	                  &kind);
	if (*slot != 0)
		return &s->kind[*slot - 1];
	if (!add)
		return NULL;
	if (s->nkind == s->kind_cap) {
		s->kind_cap = s->kind_cap ? 2 * s->kind_cap : 4;
		s->kind = xreallocarray(s->kind, s->kind_cap, sizeof *s->kind);
	}
	memset(&s->kind[s->nkind], 0, sizeof *s->kind);
	s->kind[s->nkind].kind = kind;
	*slot = ++s->nkind;
	return &s->kind[s->nkind - 1];
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
	if (anomaly) {
		s->anomalies++;
		if (!(row->score >= s->min_anomaly))
			s->min_anomaly = row->score;
	} else {
		s->normal++;
		if (!(row->score <= s->max_normal))
			s->max_normal = row->score;
	}
	moments_add(&s->score, row->score);
	if (s->bounded)
		scoretable_add(&s->table, row->score, row->label == 1);
	else
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
		struct kind_tally *k = kind_tally(s, kind, 1);

		k->positives++;
		k->caught += anomaly;
	}
	if (row->status == ST_ANOMALY && row->cause)
		cause_counts_add(&s->causes, row->cause - 1);
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

	summary_init(s, keep.bounded);
	scoreset_clear(&keep.scores);
	s->scores = keep.scores;
	scoretable_clear(&keep.table);
	s->table = keep.table;
	s->feature = keep.feature;
	if (s->feature)
		memset(s->feature, 0, 2 * ncolumn * sizeof *s->feature);
	s->kind = keep.kind;
	s->kind_cap = keep.kind_cap;
	s->kind_index = keep.kind_index;
	if (s->kind_index.slot)
		memset(s->kind_index.slot, 0,
		       s->kind_index.nslot * sizeof *s->kind_index.slot);
	s->hist = keep.hist;
	if (s->hist)
		memset(s->hist, 0, 4 * HIST_FINE * sizeof *s->hist);
	s->causes = keep.causes;
	cause_counts_clear(&s->causes);
}

static void
summary_free(struct summary *s)
{
	scoreset_free(&s->scores);
	scoretable_free(&s->table);
	free(s->feature);
	free(s->kind);
	free(s->kind_index.slot);
	free(s->hist);
	cause_counts_free(&s->causes);
}

static void
run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->ngroups; i++) {
		summary_free(&r->groups[i].all);
		summary_free(&r->groups[i].window);
	}
	free(r->groups);
	names_free(&r->group_names);
	names_free(&r->kinds);
	names_free(&r->causes);
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
put(struct run *r, const char *a, const char *b, enum value_type type,
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
	m->type = type;
	m->count = count;
	m->real = real;
}

static void
put_count(struct run *r, const char *name, unsigned long long n)
{
	put(r, "", name, V_COUNT, n, 0);
}

static void
put_share(struct run *r, const char *a, const char *b, double x)
{
	put(r, a, b, V_SHARE, 0, x);
}

static void
put_real(struct run *r, const char *a, const char *b, double x)
{
	put(r, a, b, V_REAL, 0, x);
}

static double
ratio(unsigned long long num, unsigned long long den)
{
	return den > 0 ? (double)num / (double)den : NAN;
}

/* The figures that need the scores, from the set or from the table. */
static double
summary_quantile(struct summary *s, double q)
{
	return s->bounded ? scoretable_quantile(&s->table, q) :
	    scoreset_quantile(&s->scores, q);
}

static double
summary_roc_auc(struct summary *s)
{
	return s->bounded ? scoretable_roc_auc(&s->table) :
	    scoreset_roc_auc(&s->scores);
}

static double
summary_average_precision(struct summary *s)
{
	return s->bounded ? scoretable_average_precision(&s->table) :
	    scoreset_average_precision(&s->scores);
}

static int
by_kind(const void *a, const void *b)
{
	const struct kind_tally *x = a, *y = b;

	return (x->kind > y->kind) - (x->kind < y->kind);
}

/* The recall of each kind the summary's label-1 rows have, in order of
 * first appearance in the input: a report as long as the rows, however
 * many groups and kinds there are. */
static void
assemble_own_kinds(struct run *r, const struct summary *s)
{
	struct kind_tally *sorted;
	size_t i;

	if (s->nkind == 0)
		return;
	sorted = xreallocarray(NULL, s->nkind, sizeof *sorted);
	memcpy(sorted, s->kind, s->nkind * sizeof *sorted);
	qsort(sorted, s->nkind, sizeof *sorted, by_kind);
	for (i = 0; i < s->nkind; i++)
		put_share(r, "recall_", r->kinds.name[sorted[i].kind],
		          ratio(sorted[i].caught, sorted[i].positives));
	free(sorted);
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
	put_share(r, "", "precision", ratio(s->tp, s->tp + s->fp));
	put_share(r, "", "recall", ratio(s->tp, s->tp + s->fn));
	put_share(r, "", "f1", ratio(2 * s->tp, 2 * s->tp + s->fp + s->fn));
	put_share(r, "", "accuracy", ratio(s->tp + s->tn, labelled));
	put_share(r, "", "roc_auc", summary_roc_auc(s));
	put_share(r, "", "average_precision", summary_average_precision(s));
	if (r->opt.format != FMT_WIDE) {
		assemble_own_kinds(r, s);
		return;
	}
	/* A table's columns: every kind that label-1 rows have had so far,
	 * NA where this summary has none of it. */
	for (i = 0; i < r->kinds.n; i++) {
		const struct kind_tally *k = kind_tally(s, i, 0);

		put_share(r, "recall_", r->kinds.name[i],
		          k ? ratio(k->caught, k->positives) : NAN);
	}
}

static double
threshold_between(double max_normal, double min_anomaly)
{
	return max_normal <= min_anomaly ? (max_normal + min_anomaly) / 2 :
	    NAN;
}

/* The threshold reported and marked: -T, or estimated from all rows. */
static double
known_threshold(const struct run *r)
{
	if (r->opt.has_threshold)
		return r->opt.threshold;
	return threshold_between(r->max_normal, r->min_anomaly);
}

/* The anomalies of each cause the run has seen, in the order of their
 * names (ifscore --explain writes the column). */
static void
assemble_causes(struct run *r, const struct summary *s)
{
	size_t *order = cause_order(r->causes.name, r->causes.n), i;

	for (i = 0; i < r->causes.n; i++)
		put(r, "cause_", r->causes.name[order[i]], V_COUNT,
		    cause_count(&s->causes, order[i]), 0);
	free(order);
}

/* The metrics of s into r->metrics, in the documented order. */
static void
assemble(struct run *r, struct summary *s)
{
	static const double quantile[] = { 0.5, 0.9, 0.95, 0.99 };
	static const char *const quantile_name[] = {
		"score_p50", "score_p90", "score_p95", "score_p99"
	};
	size_t i;

	r->nmetrics = 0;
	put_count(r, "rows", s->rows);
	put_count(r, "normal", s->normal);
	put_count(r, "anomalies", s->anomalies);
	put_count(r, "errors", s->errors);
	put_share(r, "", "anomaly_rate", ratio(s->anomalies,
	          s->normal + s->anomalies));
	put_share(r, "", "score_min", summary_quantile(s, 0));
	put_share(r, "", "score_mean", moments_mean(&s->score));
	for (i = 0; i < 4; i++)
		put_share(r, "", quantile_name[i],
		          summary_quantile(s, quantile[i]));
	put_share(r, "", "score_max", summary_quantile(s, 1));
	put_share(r, "", "score_max_normal", s->max_normal);
	put_share(r, "", "score_min_anomaly", s->min_anomaly);
	put_share(r, "", "threshold", known_threshold(r));
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
	assemble_causes(r, s);
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

/* A share in plain decimals, six significant digits, no trailing zeros:
 * 0.000075, not 7.5e-05. */
static void
put_share_value(struct out *o, double x)
{
	char buf[64];
	int decimals = x > 0 ? 5 - (int)floor(log10(x)) : 0;
	size_t n;

	if (decimals > 40)
		decimals = 40;
	n = (size_t)snprintf(buf, sizeof buf, "%.*f", decimals, x);
	if (memchr(buf, '.', n) != NULL) {
		while (buf[n - 1] == '0')
			n--;
		if (buf[n - 1] == '.')
			n--;
	}
	out_write(o, buf, n);
}

/* A value as text: counts whole, shares in plain decimals, other reals to
 * six significant digits, undefined ones (and a figure beyond the range
 * of a double) NA, null in JSON. */
static void
put_value(struct out *o, const struct metric *m, int json)
{
	if (m->type == V_COUNT)
		out_printf(o, "%llu", m->count);
	else if (!isfinite(m->real))
		out_str(o, json ? "null" : "NA");
	else if (m->type == V_SHARE)
		put_share_value(o, m->real);
	else
		out_printf(o, "%.6g", m->real);
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
write_prefix(struct run *r, size_t group, unsigned long long window)
{
	const char *name;
	size_t len;

	if (r->opt.every) {
		put_label(r, window);
		out_char(&r->out, r->opt.delim);
	}
	if ((name = group_name(r, group, &len)) != NULL) {
		out_write(&r->out, name, len);
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
	return NULL; /* a column that stopped being numeric: NA */
}

static void
write_json(struct run *r, size_t group, unsigned long long window)
{
	struct out *o = &r->out;
	size_t i, len;
	const char *sep = "", *name;

	out_char(o, '{');
	if (r->opt.every) {
		out_str(o, "\"window\":");
		if (window > 0)
			out_printf(o, "%llu", window);
		else
			out_str(o, "\"total\"");
		sep = ",";
	}
	if ((name = group_name(r, group, &len)) != NULL) {
		out_str(o, sep);
		out_json_string(o, r->opt.group_by, strlen(r->opt.group_by));
		out_char(o, ':');
		out_json_string(o, name, len);
		sep = ",";
	}
	for (i = 0; i < r->nmetrics; i++) {
		const struct metric *m = &r->metrics[i];
		size_t na = strlen(m->a), nb = strlen(m->b);
		char *key = xmalloc(na + nb + 1);

		memcpy(key, m->a, na);
		memcpy(key + na, m->b, nb + 1);
		out_str(o, sep);
		out_json_string(o, key, na + nb);
		out_char(o, ':');
		put_value(o, m, 1);
		free(key);
		sep = ",";
	}
	out_str(o, "}\n");
}

/* Print the summary s of a group; window 0 is the final summary. */
static void
write_summary(struct run *r, size_t group, struct summary *s,
              unsigned long long window)
{
	struct out *o = &r->out;
	size_t i;

	assemble(r, s);
	write_header(r);
	switch (r->opt.format) {
	case FMT_JSON:
		write_json(r, group, window);
		break;
	case FMT_WIDE:
		write_prefix(r, group, window);
		for (i = 0; i < r->nwide; i++) {
			const struct metric *m = wide_value(r, i);

			if (i > 0)
				out_char(o, r->opt.delim);
			if (m)
				put_value(o, m, 0);
			else
				out_str(o, "NA");
		}
		out_char(o, '\n');
		break;
	case FMT_LONG:
		for (i = 0; i < r->nmetrics; i++) {
			write_prefix(r, group, window);
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
	*how = r->opt.has_threshold ? "set with -T" : "estimated";
	return known_threshold(r);
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
write_histogram(struct run *r, size_t group, const struct summary *s)
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
	size_t i, c, len;
	const char *name = group_name(r, group, &len);

	out_char(o, '\n');
	if (name != NULL) {
		out_str(o, r->opt.group_by);
		out_char(o, ' ');
		out_write(o, name, len);
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

/* The signals that end a live stream, and the read end of the pipe their
 * handler writes to (catch_signals), so that a wait for input ends. */
static const int stop_signals[] = { SIGINT, SIGTERM };
static int wake_fd = -1;

static void finish(struct run *r);

/* Print what is known, as dd does, then die of the signal. */
static void
finish_interrupted(struct run *r)
{
	finish(r);
	die_of_signal(caught_signal);
}

/* Before a read that would block: flush, then wait for input or for a
 * signal. */
static void
wait_for_input(void *arg)
{
	struct run *r = arg;
	struct pollfd p[2];

	out_flush(&r->out);
	p[0].fd = r->in.fd;
	p[0].events = POLLIN;
	p[1].fd = wake_fd;
	p[1].events = POLLIN;
	for (;;) {
		int ready;

		if (caught_signal)
			finish_interrupted(r);
		p[0].revents = p[1].revents = 0;
		ready = poll(p, 2, -1);
		if (ready < 0 && errno == EINTR)
			continue;
		/* Input, or an error that the read will report. */
		if (ready < 0 || p[0].revents != 0 || !caught_signal)
			return;
	}
}

static int
window_rate_exceeded(const struct run *r, const struct summary *s)
{
	unsigned long long scored = s->normal + s->anomalies;

	return r->opt.has_max_rate && scored > 0 &&
	    (double)s->anomalies / (double)scored > r->opt.max_rate;
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
		write_summary(r, i, &g->window, r->windows);
		/* A live stream never ends: its alert is the window's. */
		if (window_rate_exceeded(r, &g->window))
			r->alert = r->stop = 1;
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
	while (!r->stop && !caught_signal && tsv_next(t)) {
		struct group *g;
		size_t kind = 0;
		int added;

		if (!ifscore_error_line(r, &row) &&
		    (!tsv_check_width(t) || !parse_row(r, &row)))
			continue;
		parse_features(r, &row);
		if (row.label == 1 && r->kind_col >= 0)
			kind = names_intern(&r->kinds, row.kind, row.kind_len,
			                    &added);
		row.cause = 0;
		if (r->cause_col >= 0 && row.status == ST_ANOMALY &&
		    t->field[r->cause_col].n > 0)
			row.cause = names_intern(&r->causes,
			    t->field[r->cause_col].p, t->field[r->cause_col].n,
			    &added) + 1;
		if (row.status == ST_NORMAL && !(row.score <= r->max_normal))
			r->max_normal = row.score;
		if (row.status == ST_ANOMALY && !(row.score >= r->min_anomaly))
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

	for (i = 0; i < r->ngroups; i++)
		if (window_rate_exceeded(r, &r->groups[i].all))
			return 1;
	return 0;
}

/* The rest of the last window, the totals and the histograms. */
static void
finish(struct run *r)
{
	size_t i;

	if (r->opt.every && r->window_rows > 0)
		end_window(r);
	if (r->ngroups == 0 && r->group_col < 0) {
		struct row none;

		memset(&none, 0, sizeof none);
		(void)find_group(r, &none);
	}
	for (i = 0; i < r->ngroups; i++)
		write_summary(r, i, &r->groups[i].all, 0);
	if (r->ngroups == 0) {
		struct summary empty;

		summary_init(&empty, 0);
		assemble(r, &empty);
		write_header(r);
	}
	if (r->opt.histogram)
		for (i = 0; i < r->ngroups; i++)
			write_histogram(r, i, &r->groups[i].all);
	if (r->opt.has_max_rate && rate_exceeded(r))
		r->alert = 1;
	out_flush(&r->out);
}

int
main(int argc, char **argv)
{
	struct run r;
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
	if (!tsv_read_header(&r.in))
		exit(EXIT_TROUBLE);
	find_columns(&r);
	r.max_normal = r.min_anomaly = NAN;
	wake_fd = catch_signals(stop_signals,
	                        sizeof stop_signals / sizeof *stop_signals);
	r.in.before_read = wait_for_input;
	r.in.before_read_arg = &r;

	read_rows(&r);
	if (caught_signal)
		finish_interrupted(&r);
	finish(&r);
	out_finish(&r.out);

	alert = r.alert;
	failed = r.in.failed;
	run_free(&r);
	if (failed)
		return EXIT_TROUBLE;
	return alert ? EXIT_ALERT : 0;
}
