/* iftrain: train an Isolation Forest from TSV and write a model file. */
#include "context.h"
#include "forest.h"
#include "merge.h"
#include "metrics.h"
#include "model.h"
#include "num.h"
#include "out.h"
#include "parallel.h"
#include "sample.h"
#include "tsv.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rows kept to set the contamination threshold exactly: at least 2^20,
 * and more while they take at most 2^25 values (256 MiB). */
#define EXACT_ROWS_MIN ((size_t)1 << 20)
#define EXACT_VALUES ((size_t)1 << 25)

struct options {
	const char *output;
	size_t ntree, sample_size;
	double contamination; /* 0 = auto */
	long long extension;
	uint64_t seed;
	char *features, *exclude;
	char delim;
	int verbose, threads;
	struct context_recipe context; /* -w, -g, --context */
	double series_min;        /* --series-min, or -1: the default */
	size_t max_groups;
	int penalize_range;
	int has_contamination;
	char **models;            /* -m: merge these instead of training */
	size_t nmodel;
	const char *training_option; /* the first one given, for -m */
	const char *columns;      /* --columns: the input is headerless */
};

static const char usage_text[] =
    "usage: iftrain [-v] [-c auto|F] [-d CHAR] [-e LEVEL] [-f LIST] [-g COL]\n"
    "               [-j N] [-o FILE] [-s N] [-t N] [-w N] [-x LIST]\n"
    "               [--columns NAMES] [--context LIST] [--max-groups N]\n"
    "               [--series-min R] [--seed N]\n"
    "               [--penalize-range | --no-penalize-range]\n"
    "               [FILE ...]\n"
    "       iftrain -m MODEL [-m MODEL ...] [-v] [-c auto|F] [-d CHAR] [-j N]\n"
    "               [-o FILE] [--columns NAMES] [--max-groups N] [FILE ...]\n";

static const char help_text[] =
    "\nTrain an Isolation Forest on the TSV rows of FILEs (or standard input)\n"
    "and write the model.\n\n"
    "  -c, --contamination auto|F  share of anomalies, 0 < F <= 0.5; sets the\n"
    "                              threshold (auto: score 0.5) [auto]\n"
    "  -d, --delimiter CHAR        field delimiter [tab]\n"
    "  -e, --extension LEVEL       split by hyperplanes through LEVEL+1\n"
    "                              features (0 .. features-1) [0]\n"
    "  -f, --features LIST         feature columns, comma-separated [guessed\n"
    "                              from the first rows, and told: iftrain(1)]\n"
    "  -g, --group COL             with -w: each value of COL is a series\n"
    "                              of its own [one series]\n"
    "  -j, --jobs N                worker threads [online CPUs]\n"
    "  -m, --model MODEL           merge these models' trees, in order\n"
    "                              [train]; with -c F, threshold from data\n"
    "  -o, --output FILE           write the model to FILE, atomically [stdout]\n"
    "  -s, --sample-size N         rows per tree [min(256, rows)]\n"
    "  -t, --trees N               number of trees [100]\n"
    "  -v, --verbose               print a training summary on stderr\n"
    "  -w, --window N              add context features over the last N\n"
    "                              readings of each series [none]\n"
    "  -x, --exclude LIST          columns to leave out of the guess [none]\n"
    "      --columns NAMES         headerless input, NAMES (comma-separated)\n"
    "                              its columns [the header line]\n"
    "      --context LIST          with -w: context kinds: mean, std, dev,\n"
    "                              trend, same [with -g: trend,same;\n"
    "                              without: mean]\n"
    "      --max-groups N          with -g: at most N series [10000]\n"
    "      --series-min R          with -w and no -g: context only for a\n"
    "                              column whose lag-1 autocorrelation in\n"
    "                              the training rows is at least R [0.5]\n"
    "      --seed N                random seed [42]\n"
    "      --penalize-range        isolate a value far outside a split's\n"
    "                              training range at that split [default]\n"
    "      --no-penalize-range     scikit-learn's scores\n"
    "  -h, --help                  print this help and exit\n"
    "  -V, --version               print the version and exit\n";

enum { OPT_SEED = 256, OPT_CONTEXT, OPT_MAX_GROUPS, OPT_PENALIZE_RANGE,
       OPT_NO_PENALIZE_RANGE, OPT_COLUMNS, OPT_SERIES_MIN };

/* The name of an option that only training reads, or NULL: merging
 * trains nothing, so it cannot take them. */
static const char *
training_option(int c)
{
	switch (c) {
	case 'e':
		return "--extension";
	case 'f':
		return "--features";
	case 'g':
		return "--group";
	case 's':
		return "--sample-size";
	case 't':
		return "--trees";
	case 'w':
		return "--window";
	case 'x':
		return "--exclude";
	case OPT_CONTEXT:
		return "--context";
	case OPT_SERIES_MIN:
		return "--series-min";
	case OPT_SEED:
		return "--seed";
	case OPT_PENALIZE_RANGE:
		return "--penalize-range";
	case OPT_NO_PENALIZE_RANGE:
		return "--no-penalize-range";
	}
	return NULL;
}

static void
parse_options(struct options *o, int *argc, char ***argv)
{
	static const struct option longopts[] = {
		{ "contamination", required_argument, NULL, 'c' },
		{ "delimiter", required_argument, NULL, 'd' },
		{ "extension", required_argument, NULL, 'e' },
		{ "features", required_argument, NULL, 'f' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "model", required_argument, NULL, 'm' },
		{ "columns", required_argument, NULL, OPT_COLUMNS },
		{ "output", required_argument, NULL, 'o' },
		{ "sample-size", required_argument, NULL, 's' },
		{ "trees", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "group", required_argument, NULL, 'g' },
		{ "window", required_argument, NULL, 'w' },
		{ "context", required_argument, NULL, OPT_CONTEXT },
		{ "max-groups", required_argument, NULL, OPT_MAX_GROUPS },
		{ "series-min", required_argument, NULL, OPT_SERIES_MIN },
		{ "penalize-range", no_argument, NULL, OPT_PENALIZE_RANGE },
		{ "no-penalize-range", no_argument, NULL,
		  OPT_NO_PENALIZE_RANGE },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	memset(o, 0, sizeof *o);
	o->ntree = 100;
	o->extension = 0;
	o->seed = 42;
	/* The default by measurement: tests/bench/quality, spikes. */
	o->penalize_range = 1;
	o->delim = '\t';
	o->threads = default_threads();
	o->series_min = -1;
	o->max_groups = CONTEXT_GROUPS_DEFAULT;
	opterr = 0;
	while ((c = getopt_long(*argc, *argv, ":c:d:e:f:g:j:m:o:s:t:vw:x:hV",
	                        longopts, NULL)) != -1) {
		if (o->training_option == NULL)
			o->training_option = training_option(c);
		switch (c) {
		case 'c':
			o->has_contamination = 1;
			o->contamination = strcmp(optarg, "auto") == 0 ? 0 :
			    opt_real("--contamination", optarg, 0, 0.5, 0);
			break;
		case 'd':
			o->delim = opt_delimiter(optarg);
			break;
		case 'e':
			o->extension = opt_integer("--extension", optarg, 0,
			                           1 << 20);
			break;
		case 'f':
			o->features = optarg;
			break;
		case 'j':
			o->threads = (int)opt_integer("--jobs", optarg, 1, 64);
			break;
		case 'm':
			o->models = xreallocarray(o->models, o->nmodel + 1,
			                          sizeof *o->models);
			o->models[o->nmodel++] = optarg;
			break;
		case OPT_COLUMNS:
			o->columns = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 's':
			o->sample_size = (size_t)opt_integer("--sample-size",
			    optarg, 1, 1 << 24);
			break;
		case 't':
			o->ntree = (size_t)opt_integer("--trees", optarg, 1,
			                               100000);
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'x':
			o->exclude = optarg;
			break;
		case OPT_SEED:
			o->seed = (uint64_t)opt_integer("--seed", optarg, 0,
			                                INT64_MAX);
			break;
		case 'g':
			o->context.group = optarg;
			break;
		case 'w':
			o->context.window = (unsigned)opt_integer("--window",
			    optarg, 1, CONTEXT_WINDOW_MAX);
			break;
		case OPT_CONTEXT:
			opt_context_kinds(optarg, &o->context.kinds);
			break;
		case OPT_SERIES_MIN:
			o->series_min = opt_real("--series-min", optarg, 0, 1, 1);
			break;
		case OPT_MAX_GROUPS:
			o->max_groups = (size_t)opt_integer("--max-groups",
			    optarg, 1, 100000000);
			break;
		case OPT_PENALIZE_RANGE:
		case OPT_NO_PENALIZE_RANGE:
			o->penalize_range = c == OPT_PENALIZE_RANGE;
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
	if (o->features && o->exclude)
		usage_error("--features and --exclude cannot be combined");
	if (o->context.window == 0 && o->context.group)
		usage_error("--group needs --window");
	if (o->series_min >= 0 && (o->context.window == 0 || o->context.group))
		usage_error("--series-min needs --window, and no --group");
	if (o->context.kinds == 0)
		o->context.kinds = o->context.group ? CONTEXT_FLEET_KINDS :
		                                      CONTEXT_SERIES_KINDS;
	if (o->series_min < 0)
		o->series_min = o->context.group ? 0 : CONTEXT_SERIES_MIN;
	if (o->nmodel > 0 && o->training_option != NULL)
		usage_error("%s cannot be combined with --model", o->training_option);
}

/* --- The first rows ---------------------------------------------------- */

/* Features are guessed from the first rows, not the first row alone: at
 * most WINDOW_ROWS of them, and at most WINDOW_BYTES of text (at least
 * one row).  They are kept, then trained on like the rest. */
enum { WINDOW_ROWS = 1000, WINDOW_BYTES = 1 << 22 };

struct window {
	size_t nrow, row_cap;
	char *text;               /* the records, back to back */
	size_t text_len, text_cap;
	size_t *start;            /* nrow + 1 offsets into text */
	const char **name;        /* where each row came from */
	unsigned long *line;
	unsigned char *incomplete;
	size_t ncolumn;
	double *value;            /* nrow x ncolumn, for the guess */
	unsigned char *status;    /* enum num_status; NUM_INVALID for a row
	                             of the wrong width */
};

static void
window_add(struct window *w, struct tsv *t)
{
	size_t i, at;

	if (w->nrow == w->row_cap) {
		/* From one row: a wide input fits few rows in the window,
		 * and each takes ncolumn values. */
		w->row_cap = w->row_cap ? 2 * w->row_cap : 1;
		w->start = xreallocarray(w->start, w->row_cap + 1,
		                         sizeof *w->start);
		w->name = xreallocarray(w->name, w->row_cap, sizeof *w->name);
		w->line = xreallocarray(w->line, w->row_cap, sizeof *w->line);
		w->incomplete = xreallocarray(w->incomplete, w->row_cap, 1);
		w->value = xreallocarray(w->value, w->row_cap,
		                         w->ncolumn * sizeof *w->value);
		w->status = xreallocarray(w->status, w->row_cap, w->ncolumn);
	}
	at = w->start[w->nrow] = w->text_len;
	if (w->text_cap - at < t->record_len) {
		w->text_cap = 2 * (at + t->record_len);
		w->text = xrealloc(w->text, w->text_cap);
	}
	memcpy(w->text + at, t->record, t->record_len);
	w->text_len += t->record_len;
	w->name[w->nrow] = t->name;
	w->line[w->nrow] = t->line;
	w->incomplete[w->nrow] = (unsigned char)t->incomplete;
	for (i = 0; i < w->ncolumn; i++) {
		double *x = &w->value[w->nrow * w->ncolumn + i];
		unsigned char *st = &w->status[w->nrow * w->ncolumn + i];

		*st = NUM_INVALID;
		if (t->nfield == t->ncolumn && !t->incomplete)
			*st = (unsigned char)num_parse(t->field[i].p,
			                               t->field[i].n, x);
	}
	w->nrow++;
	w->start[w->nrow] = w->text_len;
}

/* Read the first rows into w; 0 when there is none. */
static int
window_fill(struct window *w, struct tsv *t, size_t max_rows)
{
	memset(w, 0, sizeof *w);
	w->ncolumn = t->ncolumn;
	while (w->nrow < max_rows && w->text_len < WINDOW_BYTES && tsv_next(t))
		window_add(w, t);
	return w->nrow > 0;
}

static void
window_free(struct window *w)
{
	free(w->text);
	free(w->start);
	free(w->name);
	free(w->line);
	free(w->incomplete);
	free(w->value);
	free(w->status);
}

/* --- Choosing the feature columns ------------------------------------- */

/* Why a column is left out of a guess, or CHOSEN. */
enum verdict { CHOSEN, TEXT, ID_NAME, ID_RISING, ID_DISTINCT };

static const char *const verdict_text[] = {
	"", "not numeric", "an identifier's name",
	"integers that only rise or only fall", "integers, all distinct"
};

/* An integer column is taken for a counter, an epoch or a row number when
 * it only rises (or only falls) over MONOTONE_ROWS values or more, and
 * for an identifier when its values are all distinct over DISTINCT_ROWS
 * values or more (a sensor's integer readings repeat long before). */
enum { MONOTONE_ROWS = 10, DISTINCT_ROWS = 100 };

static int
is_id_name(const char *name)
{
	static const char *const id_names[] = {
		"id", "index", "time", "timestamp", "epoch", "date", "datetime"
	};
	size_t len = strlen(name), i, k;
	char lower[16];

	if (len > 3 && (strcmp(name + len - 3, "_id") == 0 ||
	                strcmp(name + len - 3, "_ID") == 0))
		return 1;
	if (len >= sizeof lower)
		return 0;
	for (k = 0; k <= len; k++)
		lower[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ?
		                  name[k] - 'A' + 'a' : name[k]);
	for (i = 0; i < sizeof id_names / sizeof id_names[0]; i++)
		if (strcmp(lower, id_names[i]) == 0)
			return 1;
	return 0;
}

static int
compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Whether the column's integers are all distinct (sorted copy). */
static int
all_distinct(double *values, size_t n)
{
	size_t i;

	qsort(values, n, sizeof *values, compare_doubles);
	for (i = 1; i < n; i++)
		if (values[i] == values[i - 1])
			return 0;
	return 1;
}

/* Column c of the window: a feature when most of its values are numbers
 * (or all are missing) and it does not look like an identifier. */
static enum verdict
judge_column(const struct window *w, const char *name, size_t c,
             double *scratch)
{
	size_t numbers = 0, text = 0, i;
	int integers = 1, rising = 1, falling = 1;

	for (i = 0; i < w->nrow; i++) {
		double x = w->value[i * w->ncolumn + c];
		unsigned char st = w->status[i * w->ncolumn + c];

		if (st == NUM_MISSING)
			continue;
		if (st == NUM_INVALID) {
			text++;
			continue;
		}
		if (st == NUM_OK && numbers > 0) {
			rising &= x > scratch[numbers - 1];
			falling &= x < scratch[numbers - 1];
		}
		integers &= st == NUM_OK && x == floor(x) && fabs(x) < 0x1p53;
		scratch[numbers++] = x;
	}
	/* A tie goes to the numbers: a glitch is then reported, not taken
	 * for a text column. */
	if (text > numbers)
		return TEXT;
	if (is_id_name(name))
		return ID_NAME;
	if (integers && numbers >= MONOTONE_ROWS && (rising || falling))
		return ID_RISING;
	if (integers && numbers >= DISTINCT_ROWS && all_distinct(scratch,
	                                                         numbers))
		return ID_DISTINCT;
	return CHOSEN;
}

/* At most TELL_NAMES names of a wide input are listed. */
enum { TELL_NAMES = 10 };

/* The guess, told on stderr: what was chosen and what was left out. */
static void
tell_guess(const struct tsv *t, const struct window *w, const size_t *cols,
           size_t n, const enum verdict *verdict)
{
	char **names = xreallocarray(NULL, n, sizeof *names), *list;
	char more[48];
	struct out left;
	size_t i;

	for (i = 0; i < n; i++)
		names[i] = t->column[cols[i]];
	list = join_names(names, n < TELL_NAMES ? n : TELL_NAMES);
	snprintf(more, sizeof more, ", ... (%zu in all)", n);
	warnf("features (guessed from the first %zu row%s; -f to choose): "
	      "%s%s", w->nrow, w->nrow == 1 ? "" : "s", list,
	      n > TELL_NAMES ? more : "");
	free(list);
	free(names);
	out_init_memory(&left);
	for (i = 0, n = 0; i < t->ncolumn; i++)
		if (verdict[i] != CHOSEN && n++ < TELL_NAMES)
			out_printf(&left, "%s%s (%s)", left.len ? ", " : "",
			           t->column[i], verdict_text[verdict[i]]);
	if (n > TELL_NAMES)
		out_str(&left, ", ...");
	out_char(&left, '\0');
	if (left.len > 1)
		warnf("left out: %s", left.buf);
	free(left.buf);
}

/* Every column of the window but 'label' and those of -x, judged. */
static size_t
guess_features(const struct options *o, struct tsv *t,
               const struct window *w, size_t *cols)
{
	enum verdict *verdict = xcalloc(t->ncolumn, sizeof *verdict);
	double *scratch = xreallocarray(NULL, w->nrow, sizeof *scratch);
	struct name_order *excluded = NULL;
	char **exclude = NULL;
	size_t nexclude = 0, n = 0, i;

	if (o->exclude) {
		exclude = split_list(o->exclude, &nexclude);
		for (i = 0; i < nexclude; i++)
			if (tsv_column(t, exclude[i]) < 0) {
				const char *name = exclude[i];

				free(exclude);
				die("%s: no column '%s' for --exclude",
				    t->name, name);
			}
		excluded = names_sort(exclude, nexclude);
	}
	for (i = 0; i < t->ncolumn; i++) {
		/* -g's column is a series' name, never a feature. */
		if (strcmp(t->column[i], "label") == 0 ||
		    (o->context.group &&
		     strcmp(t->column[i], o->context.group) == 0) ||
		    names_find(excluded, nexclude, t->column[i]) >= 0)
			continue;
		verdict[i] = judge_column(w, t->column[i], i, scratch);
		if (verdict[i] == CHOSEN)
			cols[n++] = i;
	}
	if (n == 0)
		die("%s:%lu: no numeric columns to use as features",
		    w->name[0], w->line[0]);
	tell_guess(t, w, cols, n, verdict);
	free(verdict);
	free(scratch);
	free(excluded);
	free(exclude);
	return n;
}

/* -f names them; otherwise they are guessed from the window. */
static size_t *
choose_features(const struct options *o, struct tsv *t,
                const struct window *w, size_t *nfeature)
{
	size_t *cols = xreallocarray(NULL, t->ncolumn, sizeof *cols);
	struct name_order *sorted;
	size_t nlist = 0;
	char **list;
	long missing, repeat;

	/* Before anything is guessed and told. */
	if (o->context.group && tsv_column(t, o->context.group) < 0)
		die("%s: no column '%s' for --group", t->name,
		    o->context.group);
	if (!o->features) {
		*nfeature = guess_features(o, t, w, cols);
		return cols;
	}
	list = split_list(o->features, &nlist);
	cols = xreallocarray(cols, nlist, sizeof *cols);
	/* The names are in o->features: the list of them goes before a
	 * message that names one. */
	missing = tsv_find_columns(t, list, nlist, cols);
	if (missing >= 0) {
		const char *name = list[missing];

		free(list);
		die("%s: no column '%s' for --features", t->name, name);
	}
	sorted = names_sort(list, nlist);
	repeat = names_first_repeat(sorted, nlist);
	free(sorted);
	if (repeat >= 0) {
		const char *name = list[repeat];

		free(list);
		die("--features names '%s' twice", name);
	}
	free(list);
	*nfeature = nlist;
	return cols;
}

/* --- Writing the model atomically ------------------------------------- */

/* Remove the temporary file, then die of the signal as if uncaught.  The
 * signal is blocked while its handler runs: unblock it so that raise()
 * delivers it now, not on a return that must never happen. */
static void
on_fatal_signal(int sig)
{
	if (out_temp_path)
		unlink(out_temp_path);
	die_of_signal(sig);
}

static void
fill_model(int fd, const char *name, const void *model)
{
	model_write(model, fd, name);
}

/* Write to a temporary file beside path, then rename it into place: the
 * old model stays whole until the new one is complete on disk.  A signal
 * that ends the program (SIGXFSZ too, past ulimit -f) removes it. */
static void
write_model_atomically(const struct model *m, const char *path)
{
	static const int signals[] = {
		SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGALRM, SIGXFSZ, SIGXCPU
	};
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	for (i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		struct sigaction old;

		/* A signal ignored by the caller (nohup, a background job)
		 * stays ignored. */
		if (sigaction(signals[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(signals[i], &sa, NULL);
	}
	out_write_atomically(path, "model", fill_model, m);
}

/* Where a chain of symbolic links ends, the last one dangling or not, as
 * a redirection (>) would write: a new string, or NULL when path is no
 * link or the chain is too long (the write then fails by itself). */
static char *
link_target(const char *path)
{
	char *at = xstrdup(path);
	int hops;

	for (hops = 0; hops < 40; hops++) {
		struct stat st;
		char *target, *next, *slash;
		ssize_t n;

		if (lstat(at, &st) != 0 || !S_ISLNK(st.st_mode))
			break;
		target = xmalloc((size_t)st.st_size + 2);
		n = readlink(at, target, (size_t)st.st_size + 1);
		if (n < 0 || (size_t)n > (size_t)st.st_size) {
			free(target);
			break;
		}
		target[n] = '\0';
		slash = strrchr(at, '/');
		if (target[0] == '/' || slash == NULL) {
			next = target;
		} else {
			/* Relative to the link's own directory. */
			next = xasprintf("%.*s/%s", (int)(slash - at), at,
			                 target);
			free(target);
		}
		free(at);
		at = next;
	}
	return at;
}

/* -o FILE.  A regular file is replaced atomically, and so is the file a
 * symbolic link points at, existing or not: the link stays.  A FIFO, a
 * device or /dev/stdout cannot be renamed over, so it is written as it
 * is. */
static void
write_model_file(const struct model *m, const char *path)
{
	struct stat st;
	char *real;
	int fd;

	if (stat(path, &st) != 0 || S_ISREG(st.st_mode)) {
		real = link_target(path);
		write_model_atomically(m, real);
		free(real);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		die("cannot write model '%s':", path);
	}
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die("cannot write model '%s':", path);
	model_write(m, fd, path);
	if (close(fd) != 0)
		die("cannot write model '%s':", path);
}

/* --- Training --------------------------------------------------------- */

struct training {
	size_t *cols;             /* the raw features' columns */
	size_t nraw;
	long group_col;           /* -g's column, or -1 */
	struct context *context;  /* -w's state, or NULL */
	struct sampler *sampler;
	struct rowstore kept;     /* rows scored for the threshold */
	int keep_rows;
	uint64_t skipped_empty;   /* rows left out: every feature missing */
	uint64_t bad;             /* rows reported as errors */
	/* -w without -g: each column's lag-1 sums, and its last reading. */
	double *lag, *last;
	int have_last;
};

/* Rows go to the sampler and the row store in blocks.  With more than
 * one thread the blocks are taken in on a thread of their own while the
 * main thread parses on, up to FEED_BLOCKS blocks ahead: the sampler's
 * work comes mostly at the start, where rows still enter many samples.
 * Either way every row arrives in input order, so the model does not
 * depend on the threads. */
enum { FEED_BYTES = 1 << 16, FEED_BLOCKS = 32 };

struct feeder {
	struct training *tr;
	size_t d, cap;            /* features of a row, rows of a block */
	double *block[FEED_BLOCKS];
	size_t n[FEED_BLOCKS];    /* rows in each block */
	int full[FEED_BLOCKS], quit, threaded;
	size_t filling;           /* the block the main thread fills */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void
feed_block(struct training *tr, const double *rows, size_t n, size_t d)
{
	size_t i;

	for (i = 0; i < n; i++) {
		sampler_add(tr->sampler, rows + i * d);
		if (tr->keep_rows)
			rowstore_add(&tr->kept, rows + i * d);
	}
}

static void *
feeder_main(void *arg)
{
	struct feeder *f = arg;
	size_t k = 0;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		while (!f->full[k] && !f->quit)
			pthread_cond_wait(&f->cond, &f->lock);
		if (!f->full[k])
			break;
		pthread_mutex_unlock(&f->lock);
		feed_block(f->tr, f->block[k], f->n[k], f->d);
		pthread_mutex_lock(&f->lock);
		f->full[k] = 0;
		pthread_cond_signal(&f->cond);
		k = (k + 1) % FEED_BLOCKS;
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

static void
feeder_start(struct feeder *f, struct training *tr, size_t d, int threads)
{
	size_t k;

	memset(f, 0, sizeof *f);
	f->tr = tr;
	f->d = d;
	f->cap = FEED_BYTES / (d * sizeof(double));
	if (f->cap == 0)
		f->cap = 1;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	f->threaded = threads > 1 &&
	              pthread_create(&f->thread, NULL, feeder_main, f) == 0;
	for (k = 0; k < (f->threaded ? FEED_BLOCKS : 1); k++)
		f->block[k] = xreallocarray(NULL, f->cap, d * sizeof(double));
}

/* Hand over the block being filled, and wait until the next is free. */
static void
feeder_submit(struct feeder *f)
{
	size_t k = f->filling;

	if (f->n[k] == 0)
		return;
	if (!f->threaded) {
		feed_block(f->tr, f->block[k], f->n[k], f->d);
		f->n[k] = 0;
		return;
	}
	pthread_mutex_lock(&f->lock);
	f->full[k] = 1;
	pthread_cond_signal(&f->cond);
	k = (k + 1) % FEED_BLOCKS;
	while (f->full[k])
		pthread_cond_wait(&f->cond, &f->lock);
	pthread_mutex_unlock(&f->lock);
	f->n[k] = 0;
	f->filling = k;
}

/* The row the main thread parses into next. */
static double *
feeder_row(struct feeder *f)
{
	if (f->n[f->filling] == f->cap)
		feeder_submit(f);
	return f->block[f->filling] + f->n[f->filling] * f->d;
}

static void
feeder_stop(struct feeder *f)
{
	size_t k;

	feeder_submit(f);
	if (f->threaded) {
		pthread_mutex_lock(&f->lock);
		f->quit = 1;
		pthread_cond_broadcast(&f->cond);
		pthread_mutex_unlock(&f->lock);
		pthread_join(f->thread, NULL);
	}
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	for (k = 0; k < FEED_BLOCKS; k++)
		free(f->block[k]);
}

/* --- Which columns are series (-w without -g) -------------------------- *
 *
 * Context over a window describes a series' recent behaviour; a column
 * whose consecutive readings are unrelated is not a series in the order
 * the rows come in (a table of records), and its context features would
 * only be noise for the forest to split on.  The lag-1 autocorrelation of
 * each raw feature is summed over every training row, in order; the
 * context of each is computed all the same, and that of the columns under
 * --series-min is taken out of the samples before the trees grow. */

/* Whether the columns are judged at all. */
static int
judging_series(const struct options *o, const struct model *m)
{
	return m->context.window > 0 && m->context.group == NULL &&
	       o->series_min > 0;
}

/* Row x's raw readings into the sums (NULL: a bad row, which breaks the
 * pairs); per column n, a, b, aa, bb, ab over pairs of known readings. */
static void
series_add(struct training *tr, const double *x)
{
	size_t j;

	if (x == NULL) {
		tr->have_last = 0;
		return;
	}
	for (j = 0; j < tr->nraw; j++) {
		double a = tr->last[j], b = x[j], *s6 = tr->lag + 6 * j;

		tr->last[j] = b;
		if (!tr->have_last || a != a || b != b)
			continue;
		s6[0] += 1;
		s6[1] += a;
		s6[2] += b;
		s6[3] += a * a;
		s6[4] += b * b;
		s6[5] += a * b;
	}
	tr->have_last = 1;
}

/* Column j's lag-1 autocorrelation; NaN where fewer than 10 pairs, or no
 * variation, leave it undefined. */
static double
series_autocorrelation(const struct training *tr, size_t j)
{
	const double *s6 = tr->lag + 6 * j;
	double n = s6[0], ma = s6[1] / n, mb = s6[2] / n;
	double va = s6[3] / n - ma * ma, vb = s6[4] / n - mb * mb;

	return n >= 10 && va > 0 && vb > 0 ?
	       (s6[5] / n - ma * mb) / sqrt(va * vb) : NAN;
}

/* Keep the context of the columns that behave as series, tell the others
 * on stderr, and take theirs out of the model's features and samples.
 * The choice is recorded in the model (m->context.sensor, or window 0
 * when no column has context). */
static void
choose_series(const struct options *o, struct model *m,
              struct training *tr)
{
	size_t nraw = tr->nraw, nkind = context_count(&m->context, 1);
	size_t j, k, n = 0, nkeep = nraw, *keep;
	struct out msg;

	if (!judging_series(o, m))
		return;
	m->context.sensor = xreallocarray(NULL, nraw, sizeof *m->context.sensor);
	out_init_memory(&msg);
	for (j = 0; j < nraw; j++) {
		double r = series_autocorrelation(tr, j);

		/* Undefined (too few rows, a constant column): kept. */
		if (!(r < o->series_min)) {
			m->context.sensor[n++] = j;
			continue;
		}
		out_printf(&msg, "%s'%s' (%.2f)", msg.len ? ", " : "",
		           m->feature[j], r);
	}
	if (n < nraw)
		warnf("-w %u: no context for %.*s: lag-1 autocorrelation under "
		      "%g%s", m->context.window, (int)msg.len, msg.buf,
		      o->series_min, n == 0 ? ": a model without context" : "");
	free(msg.buf);
	if (n == nraw) {
		free(m->context.sensor);
		m->context.sensor = NULL;
		return;
	}
	/* The raw features, then each kind's features of the kept ones. */
	keep = xreallocarray(NULL, nraw + nkind * n, sizeof *keep);
	for (j = 0; j < nraw; j++)
		keep[j] = j;
	for (k = 0; k < nkind; k++)
		for (j = 0; j < n; j++)
			keep[nkeep++] = nraw + k * nraw + m->context.sensor[j];
	for (j = nraw, k = nraw; j < m->forest.nfeature; j++)
		if (k < nkeep && keep[k] == j)
			m->feature[k++] = m->feature[j];
		else
			free(m->feature[j]);
	m->forest.nfeature = nkeep;
	m->context.nsensor = n;
	sampler_keep_features(tr->sampler, keep, nkeep);
	if (tr->keep_rows)
		rowstore_keep_features(&tr->kept, keep, nkeep);
	free(keep);
	if (n == 0) {
		m->context.window = 0;
		m->context.kinds = 0;
		free(m->context.sensor);
		m->context.sensor = NULL;
	}
}

/* The model's features: the raw ones, and with -w the context features
 * after them (the group column is never a feature), with the state that
 * computes them. */
static void
name_features(const struct options *o, struct tsv *t, struct model *m,
              struct training *tr)
{
	size_t nctx, i;

	m->context = o->context;
	m->context.group = NULL;
	tr->group_col = -1;
	if (o->context.group) {
		tr->group_col = tsv_column(t, o->context.group);
		if (tr->group_col < 0)
			die("%s: no column '%s' for --group", t->name,
			    o->context.group);
		for (i = 0; i < tr->nraw; i++)
			if (tr->cols[i] == (size_t)tr->group_col)
				break;
		if (i < tr->nraw && o->features)
			die("--group column '%s' cannot be a feature",
			    o->context.group);
		if (i < tr->nraw)
			memmove(&tr->cols[i], &tr->cols[i + 1],
			        (--tr->nraw - i) * sizeof *tr->cols);
		if (tr->nraw == 0)
			die("%s:%lu: no numeric columns to use as features",
			    t->name, t->line);
		m->context.group = xstrdup(o->context.group);
	}
	nctx = context_count(&m->context, tr->nraw);
	m->nraw = tr->nraw;
	m->forest.nfeature = tr->nraw + nctx;
	m->feature = xreallocarray(NULL, m->forest.nfeature, sizeof *m->feature);
	for (i = 0; i < tr->nraw; i++)
		m->feature[i] = xstrdup(t->column[tr->cols[i]]);
	for (i = 0; i < nctx; i++)
		m->feature[tr->nraw + i] = context_name(&m->context, m->feature,
		                                        tr->nraw, i);
	if (nctx == 0)
		return;
	if (!context_fits(&m->context, tr->nraw, o->max_groups))
		usage_error("invalid value '%u' for --window: the windows of "
		            "%zu groups (--max-groups) could take more than "
		            "%zu GiB", o->context.window, o->max_groups,
		            CONTEXT_MEMORY_MAX >> 30);
	tr->context = context_new(&m->context, tr->nraw, o->max_groups);
	if (judging_series(o, m)) {
		tr->lag = xcalloc(6 * tr->nraw, sizeof *tr->lag);
		tr->last = xcalloc(tr->nraw, sizeof *tr->last);
	}
}

/* A parsed row r (missing: tsv_row_features' count): into the feeder,
 * with its context features; or counted as bad (missing < 0, reported;
 * a new series beyond --max-groups, reported here) or as having no
 * feature value. */
static void
keep_row(const struct options *o, struct tsv *t, struct training *tr,
         struct feeder *f, const struct tsv_row *r, long missing, double *x)
{
	const struct tsv_field *g = tr->group_col >= 0 ?
	                            &r->field[tr->group_col] : NULL;

	if (tr->lag)
		series_add(tr, missing < 0 ? NULL : x);
	if (missing < 0) {
		tr->bad++;
		return;
	}
	if ((size_t)missing == tr->nraw) {
		tr->skipped_empty++;
		return;
	}
	if (tr->context && context_apply(tr->context, g ? g->p : NULL,
	                                 g ? g->n : 0, x) != 0) {
		tsv_row_report(t, r->name, r->line, tr->group_col, NULL,
		               "a new group '%.*s' over --max-groups %zu",
		               (int)g->n, g->p, o->max_groups);
		t->failed = 1;
		tr->bad++;
		return;
	}
	f->n[f->filling]++;
}

/* The window's rows, then the rest of the input. */
static void
read_rows(const struct options *o, struct tsv *t, const struct window *w,
          struct model *m, struct training *tr)
{
	size_t d = m->forest.nfeature, i;
	struct tsv_row row;
	struct feeder f;

	tr->sampler = sampler_new(d, o->ntree,
	                          o->sample_size ? o->sample_size : 256, o->seed);
	tr->keep_rows = o->contamination > 0 || o->verbose;
	if (tr->keep_rows) {
		size_t limit = EXACT_VALUES / d;

		rowstore_init(&tr->kept, d,
		              limit > EXACT_ROWS_MIN ? limit : EXACT_ROWS_MIN,
		              o->seed);
	}
	feeder_start(&f, tr, d, o->threads);
	memset(&row, 0, sizeof row);
	for (i = 0; i < w->nrow; i++) {
		double *x = feeder_row(&f);
		long missing;

		row.text = w->text + w->start[i];
		row.len = w->start[i + 1] - w->start[i];
		row.name = w->name[i];
		row.line = w->line[i];
		row.incomplete = w->incomplete[i];
		missing = tsv_row_features(t, &row, tr->cols, tr->nraw, x, NULL);
		if (missing < 0)
			t->failed = 1;
		keep_row(o, t, tr, &f, &row, missing, x);
	}
	free(row.field);
	while (tsv_next(t)) {
		double *x = feeder_row(&f);
		struct tsv_row live = { 0 };

		live.name = t->name;
		live.line = t->line;
		live.field = t->field;
		live.nfield = t->nfield;
		keep_row(o, t, tr, &f, &live, t->incomplete ? -1 :
		         tsv_features(t, tr->cols, tr->nraw, x), x);
	}
	feeder_stop(&f);
}

static void
print_summary(const struct model *m, const struct training *tr,
              size_t flagged, size_t scored)
{
	size_t i;

	fprintf(stderr, "%s: rows read: %llu, used: %llu, skipped for no "
	        "feature value: %llu\n", progname,
	        (unsigned long long)(m->rows + tr->skipped_empty),
	        (unsigned long long)m->rows,
	        (unsigned long long)tr->skipped_empty);
	fprintf(stderr, "%s: features:", progname);
	for (i = 0; i < m->forest.nfeature; i++)
		fprintf(stderr, "%s %s", i ? "," : "", m->feature[i]);
	fprintf(stderr, "\n%s: trees: %zu, sample size: %zu, threshold: "
	        "%.6f (contamination %s)\n", progname, m->forest.ntree,
	        m->forest.sample_size, m->threshold,
	        m->contamination > 0 ? "set" : "auto");
	fprintf(stderr, "%s: Normal: %zu, Anomalies: %zu, Anomaly Ratio: "
	        "%.2f%%%s\n", progname, scored - flagged, flagged,
	        scored ? 100.0 * (double)flagged / (double)scored : 0.0,
	        rowstore_complete(&tr->kept) ? "" : " (on a sample of rows)");
}

/* Score the kept rows; set the threshold from them when contamination
 * is given, and say how many they flag when verbose. */
static void
set_threshold(const struct options *o, struct model *m,
              struct training *tr)
{
	size_t n = tr->kept.n, i, flagged = 0;
	double *scores;

	m->threshold = 0.5;
	if (!tr->keep_rows)
		return;
	scores = xreallocarray(NULL, n, sizeof *scores);
	forest_prepare(&m->forest);
	forest_score_rows(&m->forest, tr->kept.rows, n, scores, o->threads);
	if (o->contamination > 0)
		m->threshold = contamination_threshold(scores, n,
		                                       o->contamination);
	for (i = 0; i < n; i++)
		flagged += forest_is_anomaly(scores[i], m->threshold);
	if (o->verbose)
		print_summary(m, tr, flagged, n);
	free(scores);
}

/* -o FILE, or standard output. */
static void
write_output(const struct options *o, const struct model *m)
{
	if (o->output)
		write_model_file(m, o->output);
	else
		model_write(m, STDOUT_FILENO, "standard output");
}

/* --- Merging ---------------------------------------------------------- */

static void
print_merge_summary(const struct options *o, const struct model *m,
                    const struct rethreshold *r, const char *how)
{
	fprintf(stderr, "%s: models merged: %zu, trees: %zu, sample size: "
	        "%zu, threshold: %.6f (%s)\n", progname, o->nmodel,
	        m->forest.ntree, m->forest.sample_size, m->threshold, how);
	if (r == NULL)
		return;
	fprintf(stderr, "%s: rows scored: %llu, skipped for no feature value: "
	        "%llu\n", progname, (unsigned long long)r->scored,
	        (unsigned long long)r->skipped_empty);
	fprintf(stderr, "%s: Normal: %llu, Anomalies: %llu, Anomaly Ratio: "
	        "%.2f%%%s\n", progname,
	        (unsigned long long)(r->kept - r->flagged),
	        (unsigned long long)r->flagged,
	        r->kept ? 100.0 * (double)r->flagged / (double)r->kept : 0.0,
	        r->kept == r->scored ? "" : " (on a sample of rows)");
}

/* The merged model's threshold from its scores of the input rows. */
static void
rethreshold(const struct options *o, struct model *m, int argc,
            char **argv, struct rethreshold *r)
{
	struct tsv t;

	tsv_open(&t, argv, argc, o->delim);
	if (o->columns)
		tsv_set_columns(&t, o->columns, "--columns");
	if (!tsv_read_header(&t))
		exit(EXIT_TROUBLE);
	model_rethreshold(m, &t, o->contamination, o->threads, o->max_groups,
	                  r);
	if (t.failed)
		die("no model written: the input has errors");
	if (r->scored == 0)
		die("no model written: no row has a feature value");
	tsv_close(&t);
}

/* -m A -m B ...: one model of every tree.  The threshold: with -c F, set
 * from the data; with -c auto, 0.5; without -c, the inputs' own when they
 * agree, else 0.5. */
static void
merge_models(const struct options *o, int argc, char **argv)
{
	struct model m;
	struct rethreshold r;
	char error[512];
	int same, from_data = o->has_contamination && o->contamination > 0;
	const char *how = "as the inputs'";

	if (!from_data && argc > 0)
		usage_error("--model reads input files only with -c F");
	if (model_merge_files(&m, o->models, o->nmodel, &same, error,
	                      sizeof error) < 0)
		die("%s", error);
	if (from_data) {
		rethreshold(o, &m, argc, argv, &r);
		how = "contamination set";
	} else if (o->has_contamination || !same) {
		if (!o->has_contamination)
			warnf("the inputs' thresholds differ: the merged model "
			      "has the auto threshold, 0.5 (-c F with data "
			      "sets one)");
		m.contamination = 0;
		m.threshold = 0.5;
		how = "contamination auto";
	}
	if (o->verbose)
		print_merge_summary(o, &m, from_data ? &r : NULL, how);
	write_output(o, &m);
	model_free(&m);
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct tsv t;
	struct model m;
	struct training tr;
	struct window window;

	set_progname(argv[0]);
	parse_options(&o, &argc, &argv);
	if (o.nmodel > 0) {
		merge_models(&o, argc, argv);
		free(o.models);
		return 0;
	}

	memset(&m, 0, sizeof m);
	memset(&tr, 0, sizeof tr);
	tsv_open(&t, argv, argc, o.delim);
	if (o.columns)
		tsv_set_columns(&t, o.columns, "--columns");
	if (!tsv_read_header(&t))
		exit(EXIT_TROUBLE);
	if (!window_fill(&window, &t, o.features ? 1 : WINDOW_ROWS))
		die("%s: no data rows%s", t.name,
		    t.headerless ? "" : " after the header");
	tr.cols = choose_features(&o, &t, &window, &tr.nraw);
	name_features(&o, &t, &m, &tr);
	if ((size_t)o.extension >= m.forest.nfeature)
		usage_error("invalid value '%lld' for --extension: must be at "
		            "most %zu (features - 1)", o.extension,
		            m.forest.nfeature - 1);
	m.forest.extension = (unsigned)o.extension;
	m.forest.penalize_range = o.penalize_range;
	read_rows(&o, &t, &window, &m, &tr);
	window_free(&window);
	if (t.failed)
		die("no model written: the input has errors");
	choose_series(&o, &m, &tr);
	if ((size_t)o.extension >= m.forest.nfeature)
		die("-e %lld: the model has %zu features once the columns "
		    "that are no series lose their context (--series-min)",
		    o.extension, m.forest.nfeature);
	m.rows = sampler_rows(tr.sampler);
	if (m.rows == 0)
		die("no model written: no row has a feature value");

	forest_grow(&m.forest, tr.sampler, o.threads);
	m.contamination = o.contamination;
	m.seed = o.seed;
	set_threshold(&o, &m, &tr);

	write_output(&o, &m);

	sampler_free(tr.sampler);
	if (tr.keep_rows)
		rowstore_free(&tr.kept);
	free(tr.cols);
	free(tr.lag);
	free(tr.last);
	context_free(tr.context);
	model_free(&m);
	tsv_close(&t);
	return 0;
}
