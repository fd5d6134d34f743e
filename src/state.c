/* state.c: ifscore's state file (state.h, iforest(5)).
 *
 *	ifstate 1
 *	model HASH            FNV-1a of the model file it started from
 *	window W              --adapt W
 *	adapt_all 0|1
 *	threshold REAL
 *	rows N                rows scored, over every run
 *	replaced N            trees replaced
 *	oldest T              the tree replaced next
 *	head SLOT             the window slot the next row takes
 *	slots N               then N lines, slot by slot:
 *	  SCORE FLAG X1 .. XD   (NA: a missing value)
 *	context N             then N lines, a series of the model's
 *	                      context each (context.c)
 *	forest                then the adapted forest, a whole model file
 *
 * Reals are written with 17 significant digits, so a restarted run
 * scores exactly as one run would have. */
#include "state.h"
#include "adapt.h"
#include "context.h"
#include "forest.h"
#include "model.h"
#include "out.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_MAGIC "ifstate"
#define STATE_VERSION 1

uint64_t
state_model_hash(const char *model_path)
{
	uint64_t h = UINT64_C(14695981039346656037);
	size_t len, i;
	char *text = read_whole_file(model_path, &len);

	if (text == NULL)
		die("cannot read model '%s':", model_path);
	for (i = 0; i < len; i++) {
		h ^= (unsigned char)text[i];
		h *= UINT64_C(1099511628211);
	}
	free(text);
	return h;
}

/* --- Writing ---------------------------------------------------------- */

static void
write_header(struct out *o, uint64_t model_hash, const struct adapt *a,
             const struct context *ctx)
{
	size_t i, k, d = a->nfeature;

	out_printf(o, "%s %d\nmodel %016" PRIx64 "\nwindow %zu\n"
	           "adapt_all %d\nthreshold ", STATE_MAGIC, STATE_VERSION,
	           model_hash, a->window, a->all);
	out_real_exact(o, a->threshold);
	out_printf(o, "\nrows %" PRIu64 "\nreplaced %" PRIu64 "\noldest %zu\n"
	           "head %zu\nslots %zu\n", a->rows, a->replaced, a->oldest,
	           a->head, a->fill);
	for (i = 0; i < a->fill; i++) {
		out_real_exact(o, a->score[i]);
		out_printf(o, " %d", a->flag[i]);
		for (k = 0; k < d; k++) {
			out_char(o, ' ');
			out_real_exact(o, a->x[i * d + k]);
		}
		out_char(o, '\n');
	}
	/* The series of a model's context, a line each. */
	out_printf(o, "context %zu\n", ctx ? context_nseries(ctx) : 0);
	for (i = 0; ctx && i < context_nseries(ctx); i++)
		context_write_series(ctx, i, o);
	out_str(o, "forest\n");
}

struct saving {
	uint64_t model_hash;
	const struct model *m;
	const struct adapt *a;
	const struct context *ctx;
};

static void
fill_state(int fd, const char *name, const void *arg)
{
	const struct saving *sv = arg;
	struct model adapted = *sv->m;
	struct out o;

	out_init(&o, fd, name);
	write_header(&o, sv->model_hash, sv->a, sv->ctx);
	out_finish(&o);
	adapted.threshold = sv->a->threshold;
	model_write(&adapted, fd, name);
}

void
state_save(const char *path, uint64_t model_hash, const struct model *m,
           const struct adapt *a, const struct context *ctx)
{
	struct saving sv = { model_hash, m, a, ctx };

	out_write_atomically(path, "state", fill_state, &sv);
}

/* --- Reading ---------------------------------------------------------- */

struct reader {
	const char *path;
	char *pos, *end;
	unsigned long line;
	char *text;          /* the current line, NUL-terminated */
};

static _Noreturn void
corrupt(const struct reader *r, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s:%lu: ", progname, r->path, r->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_TROUBLE);
}

static void
next_line(struct reader *r, const char *what)
{
	char *nl;

	r->line++;
	if (r->pos >= r->end)
		corrupt(r, "truncated state: expected %s", what);
	nl = memchr(r->pos, '\n', (size_t)(r->end - r->pos));
	if (nl == NULL)
		corrupt(r, "truncated state: expected %s", what);
	*nl = '\0';
	r->text = r->pos;
	r->pos = nl + 1;
}

/* "KEY VALUE": the value, after checking the key. */
static char *
key_value(struct reader *r, const char *key)
{
	size_t n = strlen(key);

	next_line(r, key);
	if (strncmp(r->text, key, n) != 0 || r->text[n] != ' ')
		corrupt(r, "expected '%s'", key);
	return r->text + n + 1;
}

static uint64_t
parse_count(struct reader *r, const char *s, const char *what, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		corrupt(r, "invalid %s '%s'", what, s);
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		corrupt(r, "invalid %s '%s'", what, s);
	return v;
}

static uint64_t
key_count(struct reader *r, const char *key, uint64_t max)
{
	return parse_count(r, key_value(r, key), key, max);
}

/* One real of a slot line, NA for missing; *s moves past it. */
static double
parse_real(struct reader *r, char **s, const char *what, int missing_ok)
{
	char *end;
	double v;

	if (missing_ok && strncmp(*s, "NA", 2) == 0 &&
	    ((*s)[2] == ' ' || (*s)[2] == '\0')) {
		*s += 2;
		return NAN;
	}
	v = strtod(*s, &end);
	if (end == *s || (*end != ' ' && *end != '\0') || v != v)
		corrupt(r, "invalid %s", what);
	*s = end;
	return v;
}

static void
read_slots(struct reader *r, struct adapt *a)
{
	size_t i, k, d = a->nfeature;

	a->fill = (size_t)key_count(r, "slots", a->window);
	a->flagged = 0;
	for (i = 0; i < a->fill; i++) {
		char *s;

		next_line(r, "a window row");
		s = r->text;
		a->score[i] = parse_real(r, &s, "score", 0);
		if (s[0] != ' ' || (s[1] != '0' && s[1] != '1') ||
		    (s[2] != ' ' && s[2] != '\0'))
			corrupt(r, "invalid flag");
		a->flag[i] = (unsigned char)(s[1] - '0');
		a->flagged += a->flag[i];
		s += 2;
		for (k = 0; k < d; k++) {
			if (*s++ != ' ')
				corrupt(r, "expected %zu features", d);
			a->x[i * d + k] = parse_real(r, &s, "feature value", 1);
		}
		if (*s != '\0')
			corrupt(r, "expected %zu features", d);
	}
	if ((a->fill < a->window && a->head != a->fill) ||
	    a->head >= a->window)
		corrupt(r, "window slot %zu does not follow %zu rows", a->head,
		        a->fill);
}

/* The series of a model's context: none without one. */
static void
read_context(struct reader *r, struct context *ctx)
{
	uint64_t n = key_count(r, "context", ctx ? UINT64_MAX : 0), i;
	const char *why;

	for (i = 0; i < n; i++) {
		next_line(r, "a context series");
		if (context_read_series(ctx, r->text, &why) < 0)
			corrupt(r, "%s", why);
	}
}

static void
read_header(struct reader *r, uint64_t model_hash, struct adapt *a,
            const char *model_path, struct context *ctx)
{
	char *v;
	uint64_t window;

	next_line(r, "'" STATE_MAGIC " 1'");
	if (strcmp(r->text, STATE_MAGIC " 1") != 0)
		corrupt(r, "not an ifscore state file (no '" STATE_MAGIC
		        " 1' line)");
	v = key_value(r, "model");
	if (strtoull(v, NULL, 16) != model_hash || strlen(v) != 16)
		corrupt(r, "the state of another model, not of '%s'",
		        model_path);
	window = key_count(r, "window", UINT64_MAX);
	if (window != a->window)
		corrupt(r, "the state of --adapt %" PRIu64 ", not %zu", window,
		        a->window);
	if (key_count(r, "adapt_all", 1) != (uint64_t)a->all)
		corrupt(r, "the state of a run %s --adapt-all",
		        a->all ? "without" : "with");
	v = key_value(r, "threshold");
	a->threshold = parse_real(r, &v, "threshold", 0);
	a->rows = key_count(r, "rows", UINT64_MAX);
	a->replaced = key_count(r, "replaced", UINT64_MAX);
	a->oldest = (size_t)key_count(r, "oldest", a->f->ntree - 1);
	a->head = (size_t)key_count(r, "head", a->window - 1);
	read_slots(r, a);
	read_context(r, ctx);
	next_line(r, "'forest'");
	if (strcmp(r->text, "forest") != 0)
		corrupt(r, "expected 'forest'");
}

/* The adapted forest, checked against the model the stream began with. */
static void
read_forest(struct reader *r, struct model *m, struct adapt *a)
{
	struct model adapted;
	char error[512], *rest;
	size_t i;

	if (model_parse(&adapted, r->pos, (size_t)(r->end - r->pos), "", error,
	                sizeof error) < 0) {
		/* ":LINE: problem", its lines counted from the forest's. */
		unsigned long line = strtoul(error + 1, &rest, 10);

		if (rest != error + 1 && *rest == ':')
			fprintf(stderr, "%s: %s:%lu%s\n", progname, r->path,
			        line + r->line, rest);
		else
			fprintf(stderr, "%s: %s%s\n", progname, r->path, error);
		exit(EXIT_TROUBLE);
	}
	if (adapted.forest.nfeature != m->forest.nfeature ||
	    adapted.forest.ntree != m->forest.ntree ||
	    adapted.forest.sample_size != m->forest.sample_size ||
	    adapted.forest.extension != m->forest.extension)
		corrupt(r, "its forest is not shaped like the model's");
	for (i = 0; i < m->forest.nfeature; i++)
		if (strcmp(adapted.feature[i], m->feature[i]) != 0)
			corrupt(r, "its forest is not shaped like the model's");
	forest_free(&m->forest);
	m->forest = adapted.forest;
	adapted.forest.tree = NULL;
	adapted.forest.flat = NULL;
	model_free(&adapted);
	forest_prepare_replaceable(&m->forest);
	a->f = &m->forest;
}

int
state_load(const char *path, const char *model_path, uint64_t model_hash,
           struct model *m, struct adapt *a, struct context *ctx)
{
	struct reader r;
	size_t len;
	char *text = read_whole_file(path, &len);

	if (text == NULL) {
		if (errno == ENOENT)
			return 0;
		die("cannot read state '%s':", path);
	}
	memset(&r, 0, sizeof r);
	r.path = path;
	r.pos = text;
	r.end = text + len;
	if (memchr(text, '\0', len) != NULL)
		corrupt(&r, "not a text file");
	read_header(&r, model_hash, a, model_path, ctx);
	read_forest(&r, m, a);
	free(text);
	return 1;
}
