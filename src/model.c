#include "model.h"
#include "num.h"
#include "out.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- Writing ---------------------------------------------------------- */

/* "%.17g", which round-trips.  Most numbers in a model are node sizes,
 * whole numbers, which "%.17g" prints as digits alone, and so does
 * out_uint, at a fraction of the cost. */
static void
write_real(struct out *o, double x)
{
	if (x >= 0 && x < 1e15 && x == floor(x) && !signbit(x))
		out_uint(o, (uint64_t)x);
	else
		out_printf(o, "%.17g", x);
}

/* The children, after the range penalty's bounds when the forest has
 * it. */
static void
write_children(struct out *o, const struct node *n, int ranged)
{
	if (ranged) {
		out_char(o, ' ');
		write_real(o, n->low);
		out_char(o, ' ');
		write_real(o, n->high);
	}
	out_char(o, ' ');
	out_uint(o, n->left);
	out_char(o, ' ');
	out_uint(o, n->right);
	out_char(o, ' ');
}

static void
write_tree(struct out *o, const struct tree *t, size_t index, int ranged)
{
	uint32_t i;

	out_printf(o, "tree %zu %lu\n", index, (unsigned long)t->nnode);
	for (i = 0; i < t->nnode; i++) {
		const struct node *n = &t->node[i];

		out_uint(o, i);
		if (n->feature == NODE_LEAF) {
			out_str(o, " leaf ");
		} else if (n->feature == NODE_PLANE) {
			uint32_t k;

			out_str(o, " plane ");
			out_uint(o, n->nterm);
			for (k = 0; k < n->nterm; k++) {
				const struct term *tm = &t->term[n->term + k];

				out_char(o, ' ');
				out_uint(o, tm->feature);
				out_char(o, ' ');
				write_real(o, tm->normal);
				out_char(o, ' ');
				write_real(o, tm->point);
			}
			write_children(o, n, ranged);
		} else {
			out_str(o, " split ");
			out_uint(o, (uint32_t)n->feature);
			out_char(o, ' ');
			write_real(o, n->split);
			write_children(o, n, ranged);
		}
		write_real(o, n->size);
		out_char(o, '\n');
	}
}

/* The oldest version that holds the model. */
static int
version_needed(const struct model *m)
{
	if (m->context.sensor != NULL)
		return 3;
	return m->context.window || m->forest.penalize_range ? 2 : 1;
}

static void
write_context(struct out *o, const struct model *m)
{
	char kinds[64];

	if (m->context.window == 0)
		return;
	context_kinds_text(m->context.kinds, kinds, sizeof kinds);
	out_printf(o, "window %u\ncontext %s\n", m->context.window, kinds);
	if (m->context.group)
		out_printf(o, "group %s\n", m->context.group);
	if (m->context.sensor != NULL) {
		size_t j;

		out_str(o, "context_sensors");
		for (j = 0; j < m->context.nsensor; j++)
			out_printf(o, " %zu", m->context.sensor[j]);
		out_char(o, '\n');
	}
}

void
model_write_header(struct out *o, const struct model *m)
{
	const struct forest *f = &m->forest;
	size_t i;

	out_printf(o, "%s %d\n", MODEL_MAGIC, version_needed(m));
	out_printf(o, "features %zu\n", f->nfeature);
	for (i = 0; i < f->nfeature; i++)
		out_printf(o, "feature %s\n", m->feature[i]);
	out_printf(o, "trees %zu\nsample_size %zu\nc_psi ", f->ntree,
	           f->sample_size);
	write_real(o, f->c_psi);
	out_str(o, "\ncontamination ");
	if (m->contamination > 0)
		write_real(o, m->contamination);
	else
		out_str(o, "auto");
	out_str(o, "\nthreshold ");
	write_real(o, m->threshold);
	out_printf(o, "\nseed %llu\nrows %llu\nextension %u\n",
	           (unsigned long long)m->seed, (unsigned long long)m->rows,
	           f->extension);
	write_context(o, m);
	if (f->penalize_range)
		out_str(o, "penalize_range 1\n");
}

void
model_write(const struct model *m, int fd, const char *name)
{
	const struct forest *f = &m->forest;
	struct out o;
	size_t i;

	out_init(&o, fd, name);
	model_write_header(&o, m);
	for (i = 0; i < f->ntree; i++)
		write_tree(&o, &f->tree[i], i, f->penalize_range);
	out_str(&o, "end\n");
	out_finish(&o);
}

/* --- Reading ---------------------------------------------------------- */

/* The text is read through a window: all of it when it is in memory or
 * comes from a pipe, else (a regular file) 64 KiB at a time, refilled as
 * the reading moves on, so that a big model is not copied into fresh
 * memory first.  The window is NUL-terminated at end. */
struct loader {
	const char *path;
	char *pos, *end;  /* what the window holds still to be read */
	char *window;     /* the window, when it is this loader's */
	size_t window_cap;
	int fd;           /* refills come from here; -1: all is in */
	uint64_t unread;  /* bytes of the file beyond the window */
	uint64_t taken;   /* bytes read from fd so far */
	unsigned long line;
	char *buf;        /* the current line, its words NUL-terminated */
	size_t buf_cap;
	char **word;      /* the words in buf */
	size_t *wlen;     /* and their lengths */
	int nword, word_cap;
	char *rest;     /* the current line after its first word */
	char *line_end;
	size_t sample_size;
	unsigned version;
	char *scratch;  /* freed however the loader ends */
	unsigned char *parents; /* per node of the tree being read */
	unsigned *depth;
	size_t node_cap;        /* room in those two */
	unsigned long *feature_line; /* where each feature was named */
	jmp_buf fail;   /* bad() returns to model_parse through it */
	char *error;
	size_t error_len;
};

/* Every check that fails ends here: the message goes to the caller, and
 * model_parse frees what was read. */
static _Noreturn void
bad(struct loader *l, const char *fmt, ...)
{
	va_list ap;
	int n = l->line ? snprintf(l->error, l->error_len, "%s:%lu: ", l->path,
	                           l->line) :
	                  snprintf(l->error, l->error_len, "%s: ", l->path);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < l->error_len)
		vsnprintf(l->error + n, l->error_len - (size_t)n, fmt, ap);
	va_end(ap);
	longjmp(l->fail, 1);
}

/* A model file may hold at most this many bytes: a pipe that never ends
 * is not read until memory runs out. */
#define MODEL_FILE_MAX ((size_t)INT32_MAX)

/* A regular file's window (the fuzzing build makes it tiny, so that its
 * refills are tried everywhere), and how much of it a node line may need
 * before it is refilled: a longer line is read, more slowly, all the
 * same. */
#ifndef MODEL_WINDOW_BYTES
#define MODEL_WINDOW_BYTES ((size_t)64 << 10)
#endif
#define LINE_ROOM (MODEL_WINDOW_BYTES / 16)

/* read(2), again after a signal. */
static ssize_t
read_some(int fd, char *buf, size_t n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

/* The bytes still to read, in the window and beyond it. */
static uint64_t
bytes_left(const struct loader *l)
{
	return (uint64_t)(l->end - l->pos) + l->unread;
}

/* Move what is left of the window (at most LINE_ROOM bytes: a longer
 * line is copied out as it is read) to its start and read more after it.
 * Nothing at the end of the file. */
static void
refill(struct loader *l)
{
	size_t keep = (size_t)(l->end - l->pos);
	ssize_t r;

	if (l->fd < 0)
		return;
	memmove(l->window, l->pos, keep);
	l->pos = l->window;
	l->end = l->window + keep;
	r = read_some(l->fd, l->end, l->window_cap - 1 - keep);
	if (r < 0)
		bad(l, "cannot read: %s", strerror(errno));
	if (r == 0) {
		l->fd = -1;
		l->unread = 0;
	} else {
		l->end += r;
		l->taken += (uint64_t)r;
		l->unread = l->unread > (uint64_t)r ? l->unread - (uint64_t)r : 0;
		if (l->taken > MODEL_FILE_MAX)
			bad(l, "model file larger than %zu bytes",
			    MODEL_FILE_MAX);
	}
	*l->end = '\0';
}

/* Room for one more byte of the current line. */
static void
grow_line(struct loader *l)
{
	l->buf_cap = l->buf_cap ? 2 * l->buf_cap : 256;
	l->buf = xrealloc(l->buf, l->buf_cap);
}

/* Whether a newline comes anywhere after p (p itself is not one). */
static int
newline_ahead(struct loader *l, char *p)
{
	for (;;) {
		if (memchr(p, '\n', (size_t)(l->end - p)) != NULL)
			return 1;
		if (l->fd < 0)
			return 0;
		l->pos = l->end;
		refill(l);
		p = l->pos;
	}
}

/* Copy the next line into l->buf split into words at single spaces, each
 * NUL-terminated and its length kept; 0 at the end of the file.  One pass
 * over the bytes: every byte that ends a word (space, newline, NUL) is at
 * most ' ', so most bytes take one comparison. */
static int
next_line(struct loader *l)
{
	char *p;
	size_t n = 0, start, raw = 0;
	unsigned char c, last = 0;
	int i;

	if (l->pos >= l->end)
		refill(l);
	if (l->pos >= l->end)
		return 0;
	l->line++;
	p = l->pos;
	for (l->nword = 0;; l->nword++) {
		start = n;
		for (;;) {
			c = (unsigned char)*p;
			if (c <= ' ' && (c == ' ' || c == '\n' || c == '\0')) {
				if (c != '\0' || p < l->end || l->fd < 0)
					break;
				l->pos = p; /* the window ran out mid-line */
				refill(l);
				p = l->pos;
				if (p == l->end)
					break;
				continue;
			}
			if (n == l->buf_cap)
				grow_line(l);
			l->buf[n++] = (char)c;
			last = c;
			p++;
			raw++;
		}
		if (l->nword == l->word_cap) {
			l->word_cap = l->word_cap ? 2 * l->word_cap : 16;
			l->word = xreallocarray(l->word, (size_t)l->word_cap,
			                        sizeof *l->word);
			l->wlen = xreallocarray(l->wlen, (size_t)l->word_cap,
			                        sizeof *l->wlen);
		}
		l->wlen[l->nword] = n - start;
		if (n == l->buf_cap)
			grow_line(l);
		l->buf[n++] = '\0';
		if (c != ' ')
			break;
		p++;
		raw++;
		last = c;
	}
	l->nword++;
	if (c == '\0') {
		if (p == l->end || !newline_ahead(l, p + 1))
			bad(l, "truncated model: the last line has no newline");
		bad(l, "NUL byte in model");
	}
	if (last == '\r')
		bad(l, "carriage return at the end of the line (CRLF line "
		    "endings?)");
	if (raw == 0)
		bad(l, "empty line");
	l->pos = p + 1;
	/* The words' places, now that the buffer has stopped moving. */
	for (i = 0, n = 0; i < l->nword; n += l->wlen[i++] + 1)
		l->word[i] = l->buf + n;
	l->rest = l->nword > 1 ? l->word[1] : NULL;
	l->line_end = l->buf + n - 1;
	return 1;
}

/* The current line after its first word, spaces and all. */
static char *
line_rest(struct loader *l)
{
	char *p;

	if (l->rest == NULL)
		return NULL;
	for (p = l->rest; p < l->line_end; p++)
		if (*p == '\0')
			*p = ' ';
	return l->rest;
}

static void
expect_line(struct loader *l, const char *what)
{
	if (!next_line(l))
		bad(l, "truncated model: expected %s", what);
}

static void
expect_words(struct loader *l, int n, const char *what)
{
	if (l->nword != n)
		bad(l, "malformed %s line", what);
}

static uint64_t
parse_count(struct loader *l, const char *s, const char *what,
            uint64_t max)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p == '\0')
		bad(l, "%s: missing number", what);
	for (; *p; p++) {
		uint64_t digit = (uint64_t)(*p - '0');

		if (*p < '0' || *p > '9')
			bad(l, "%s: invalid number '%s'", what, s);
		if (digit > max || v > (max - digit) / 10)
			bad(l, "%s: '%s' is out of range", what, s);
		v = v * 10 + digit;
	}
	return v;
}

/* Word w of the current line as a number. */
static double
parse_real(struct loader *l, int w, const char *what)
{
	double v;

	if (num_parse(l->word[w], l->wlen[w], &v) != NUM_OK)
		bad(l, "%s: invalid number '%s'", what, l->word[w]);
	return v;
}

enum key {
	KEY_FEATURES, KEY_TREES, KEY_SAMPLE_SIZE, KEY_C_PSI,
	KEY_CONTAMINATION, KEY_THRESHOLD, KEY_SEED, KEY_ROWS, KEY_EXTENSION,
	KEY_WINDOW, KEY_CONTEXT, KEY_GROUP, KEY_PENALIZE_RANGE,
	KEY_CONTEXT_SENSORS, NKEY
};

static const char *const key_name[NKEY] = {
	"features", "trees", "sample_size", "c_psi", "contamination",
	"threshold", "seed", "rows", "extension", "window", "context", "group",
	"penalize_range", "context_sensors"
};

/* The version that brought each key; those of version 1 are required,
 * the later ones optional. */
static const unsigned key_version[NKEY] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3
};

static void
read_magic(struct loader *l)
{
	uint64_t version;

	if (!next_line(l))
		bad(l, "empty model file");
	if (l->nword != 2 || strcmp(l->word[0], MODEL_MAGIC) != 0)
		bad(l, "not an iftools model (expected '%s VERSION' on the "
		    "first line)", MODEL_MAGIC);
	version = parse_count(l, l->word[1], "version", UINT32_MAX);
	if (version > MODEL_VERSION)
		bad(l, "model version %llu is newer than this program "
		    "reads (%d)", (unsigned long long)version, MODEL_VERSION);
	if (version < 1)
		bad(l, "invalid model version 0");
	l->version = (unsigned)version;
}

/* context_sensors I J ...: the raw features with context, ascending (their
 * count is checked against the features in check_context). */
static void
read_context_sensors(struct loader *l, struct model *m)
{
	struct context_recipe *r = &m->context;
	int w;

	if (l->nword < 2)
		bad(l, "context_sensors: missing feature indices");
	r->sensor = xreallocarray(NULL, (size_t)l->nword - 1, sizeof *r->sensor);
	for (w = 1; w < l->nword; w++) {
		size_t j = (size_t)parse_count(l, l->word[w], "context_sensors",
		                               1 << 24);

		if (w > 1 && j <= r->sensor[w - 2])
			bad(l, "context_sensors: %zu after %zu: not ascending",
			    j, r->sensor[w - 2]);
		r->sensor[w - 1] = j;
	}
	r->nsensor = (size_t)l->nword - 1;
}

static void
read_key(struct loader *l, struct model *m, enum key k)
{
	struct forest *f = &m->forest;
	const char *v;
	const char *bad_kind;
	size_t bad_len;

	if (key_version[k] > l->version)
		bad(l, "key '%s' needs model version %u", key_name[k],
		    key_version[k]);
	if (k == KEY_GROUP) {
		if ((v = line_rest(l)) == NULL)
			bad(l, "group: missing column name");
		m->context.group = xstrdup(v);
		return;
	}
	if (k == KEY_CONTEXT_SENSORS) {
		read_context_sensors(l, m);
		return;
	}
	expect_words(l, 2, key_name[k]);
	v = l->word[1];
	switch (k) {
	case KEY_FEATURES:
		f->nfeature = parse_count(l, v, "features", 1 << 24);
		if (f->nfeature == 0)
			bad(l, "features: a model needs at least one");
		if (f->nfeature > bytes_left(l) / 9)
			bad(l, "truncated model: %zu features promised",
			    f->nfeature);
		m->feature = xcalloc(f->nfeature, sizeof *m->feature);
		l->feature_line = xcalloc(f->nfeature,
		                          sizeof *l->feature_line);
		break;
	case KEY_TREES:
		f->ntree = parse_count(l, v, "trees", 1 << 24);
		if (f->ntree == 0)
			bad(l, "trees: a model needs at least one");
		break;
	case KEY_SAMPLE_SIZE:
		f->sample_size = parse_count(l, v, "sample_size", 1 << 30);
		if (f->sample_size == 0)
			bad(l, "sample_size: must be at least 1");
		break;
	case KEY_C_PSI:
		f->c_psi = parse_real(l, 1, "c_psi");
		if (f->c_psi < 0)
			bad(l, "c_psi: must not be negative");
		break;
	case KEY_CONTAMINATION:
		m->contamination = strcmp(v, "auto") == 0 ? 0 :
		                   parse_real(l, 1, "contamination");
		if (m->contamination < 0 || m->contamination > 0.5)
			bad(l, "contamination: '%s' is out of range", v);
		break;
	case KEY_THRESHOLD:
		m->threshold = parse_real(l, 1, "threshold");
		if (m->threshold < 0 || m->threshold > 1)
			bad(l, "threshold: '%s' is out of range (0..1)", v);
		break;
	case KEY_SEED:
		m->seed = parse_count(l, v, "seed", UINT64_MAX);
		break;
	case KEY_ROWS:
		m->rows = parse_count(l, v, "rows", UINT64_MAX);
		break;
	case KEY_EXTENSION:
		f->extension = (unsigned)parse_count(l, v, "extension",
		                                     1 << 24);
		break;
	case KEY_WINDOW:
		m->context.window = (unsigned)parse_count(l, v, "window",
		                                          CONTEXT_WINDOW_MAX);
		if (m->context.window == 0)
			bad(l, "window: must be at least 1");
		break;
	case KEY_CONTEXT:
		if (context_parse_kinds(v, &m->context.kinds, &bad_kind,
		                        &bad_len) < 0)
			bad(l, "context: unknown or repeated kind '%.*s'",
			    (int)bad_len, bad_kind);
		break;
	case KEY_GROUP:
	case KEY_PENALIZE_RANGE:
		f->penalize_range = (int)parse_count(l, v, "penalize_range",
		                                     1);
		break;
	case KEY_CONTEXT_SENSORS:
	case NKEY:
		break;
	}
}

static void
read_feature(struct loader *l, struct model *m, size_t i)
{
	char *name = line_rest(l);

	if (name == NULL)
		bad(l, "feature: missing name");
	m->feature[i] = xstrdup(name);
	l->feature_line[i] = l->line;
}

/* Two features of one name, by sorting: a model of many features loads
 * in n log n.  Reported at the line of the first repeat. */
static void
check_feature_names(struct loader *l, const struct model *m)
{
	size_t n = m->forest.nfeature;
	struct name_order *sorted = names_sort(m->feature, n);
	long repeat = names_first_repeat(sorted, n);

	free(sorted);
	if (repeat < 0)
		return;
	l->line = l->feature_line[repeat];
	bad(l, "duplicate feature '%s'", m->feature[repeat]);
}

/* A recipe comes whole, and the features it adds are named as it names
 * them, after the raw ones. */
static void
check_context(struct loader *l, struct model *m, int window, int kinds,
              int group)
{
	struct context_recipe *r = &m->context, one;
	size_t per, i;

	m->nraw = m->forest.nfeature;
	if (!window && !kinds && !group && r->sensor == NULL)
		return;
	if (!window || !kinds)
		bad(l, "context features need both 'window' and 'context'");
	one = *r;
	one.sensor = NULL;
	per = context_count(&one, 1);
	if (r->sensor != NULL) {
		/* Each listed sensor has `per` context features. */
		if (per * r->nsensor >= m->forest.nfeature)
			bad(l, "%zu features cannot be raw ones and the context "
			    "of %zu", m->forest.nfeature, r->nsensor);
		m->nraw = m->forest.nfeature - per * r->nsensor;
		if (r->sensor[r->nsensor - 1] >= m->nraw)
			bad(l, "context_sensors: %zu is not a raw feature "
			    "(0..%zu)", r->sensor[r->nsensor - 1],
			    m->nraw - 1);
	} else {
		if (m->forest.nfeature % (per + 1) != 0)
			bad(l, "%zu features cannot be raw ones and their "
			    "context (%zu each)", m->forest.nfeature, per + 1);
		m->nraw = m->forest.nfeature / (per + 1);
	}
	for (i = 0; i < m->forest.nfeature - m->nraw; i++) {
		free(l->scratch);
		l->scratch = context_name(r, m->feature, m->nraw, i);
		if (strcmp(l->scratch, m->feature[m->nraw + i]) != 0)
			bad(l, "feature %zu: expected '%s' for the context, "
			    "found '%s'", m->nraw + i + 1, l->scratch,
			    m->feature[m->nraw + i]);
	}
	for (i = 0; r->group && i < m->nraw; i++)
		if (strcmp(r->group, m->feature[i]) == 0)
			bad(l, "group column '%s' is also a feature", r->group);
}

/* Keys in any order, each once, with the feature names after 'features'. */
static void
read_header(struct loader *l, struct model *m)
{
	int seen[NKEY] = { 0 };
	size_t nfeature_seen = 0;
	unsigned long line;
	int k;

	for (;;) {
		expect_line(l, "a 'tree' line");
		if (strcmp(l->word[0], "tree") == 0)
			break;
		if (strcmp(l->word[0], "feature") == 0) {
			if (!seen[KEY_FEATURES])
				bad(l, "'feature' before 'features'");
			if (nfeature_seen == m->forest.nfeature)
				bad(l, "more 'feature' lines than 'features "
				    "%zu'", m->forest.nfeature);
			read_feature(l, m, nfeature_seen++);
			continue;
		}
		for (k = 0; k < NKEY; k++)
			if (strcmp(l->word[0], key_name[k]) == 0)
				break;
		if (k == NKEY)
			bad(l, "unknown key '%s'", l->word[0]);
		if (seen[k])
			bad(l, "duplicate key '%s'", key_name[k]);
		seen[k] = 1;
		read_key(l, m, (enum key)k);
	}
	/* 'extension' came with the extended forest: without it, 0. */
	for (k = 0; k < NKEY; k++)
		if (!seen[k] && k != KEY_EXTENSION && key_version[k] == 1)
			bad(l, "missing key '%s' before the first tree",
			    key_name[k]);
	check_context(l, m, seen[KEY_WINDOW], seen[KEY_CONTEXT],
	              seen[KEY_GROUP]);
	if (nfeature_seen != m->forest.nfeature)
		bad(l, "%zu 'feature' lines for 'features %zu'",
		    nfeature_seen, m->forest.nfeature);
	line = l->line;
	check_feature_names(l, m);
	l->line = line;
	if (m->forest.extension >= m->forest.nfeature)
		bad(l, "extension %u needs more than %zu features",
		    m->forest.extension, m->forest.nfeature);
	/* A libm elsewhere may round log() differently in the last place:
	 * allow for that, and score with the value the trainer used. */
	if (fabs(m->forest.c_psi - forest_c((double)m->forest.sample_size)) >
	    1e-12 * (1 + m->forest.c_psi))
		bad(l, "c_psi does not match sample_size %zu",
		    m->forest.sample_size);
}

static uint32_t
read_child(struct loader *l, const char *s, uint32_t id, uint32_t nnode,
           unsigned char *parents)
{
	uint32_t child = (uint32_t)parse_count(l, s, "child", UINT32_MAX);

	if (child <= id || child >= nnode)
		bad(l, "node %lu: child %lu out of range (%lu..%lu)",
		    (unsigned long)id, (unsigned long)child,
		    (unsigned long)id + 1, (unsigned long)nnode - 1);
	if (parents[child]++)
		bad(l, "node %lu: child %lu already has a parent",
		    (unsigned long)id, (unsigned long)child);
	return child;
}

static uint32_t
read_feature_index(struct loader *l, const struct model *m, uint32_t id,
                   const char *s)
{
	uint64_t feature = parse_count(l, s, "feature", UINT32_MAX);

	if (feature >= m->forest.nfeature)
		bad(l, "node %lu: feature %llu out of range (0..%zu)",
		    (unsigned long)id, (unsigned long long)feature,
		    m->forest.nfeature - 1);
	return (uint32_t)feature;
}

/* With the range penalty, LOW HIGH at word w: a range around the split
 * (0 for a plane's sum).  Returns the word after them. */
static int
read_range(struct loader *l, const struct model *m, struct node *n,
           uint32_t id, int w)
{
	double centre = n->feature == NODE_PLANE ? 0 : n->split;

	if (!m->forest.penalize_range)
		return w;
	n->low = parse_real(l, w, "low");
	n->high = parse_real(l, w + 1, "high");
	if (!(n->low <= centre && centre <= n->high))
		bad(l, "node %lu: range %s %s does not hold the split",
		    (unsigned long)id, l->word[w], l->word[w + 1]);
	return w + 2;
}

/* ID plane K (FEATURE NORMAL POINT) x K [LOW HIGH] LEFT RIGHT SIZE */
static void
read_plane(struct loader *l, const struct model *m, struct tree *t,
           uint32_t id, unsigned char *parents)
{
	struct node *n = &t->node[id];
	uint64_t k, nterm;
	int w, ranged = m->forest.penalize_range ? 2 : 0;

	if (m->forest.extension == 0)
		bad(l, "node %lu: a plane in a model of extension 0",
		    (unsigned long)id);
	nterm = l->nword < 3 ? 0 : parse_count(l, l->word[2], "terms",
	                                        m->forest.extension + 1);
	if (nterm == 0 || (uint64_t)l->nword != 3 * nterm + 6 + ranged)
		bad(l, "malformed plane line");
	t->term = xreallocarray(t->term, t->nterm + nterm, sizeof *t->term);
	n->feature = NODE_PLANE;
	n->term = t->nterm;
	n->nterm = (uint32_t)nterm;
	for (k = 0, w = 3; k < nterm; k++, w += 3) {
		struct term *tm = &t->term[t->nterm++];

		tm->feature = read_feature_index(l, m, id, l->word[w]);
		tm->normal = parse_real(l, w + 1, "normal");
		tm->point = parse_real(l, w + 2, "point");
	}
	w = read_range(l, m, n, id, w);
	n->left = read_child(l, l->word[w], id, t->nnode, parents);
	n->right = read_child(l, l->word[w + 1], id, t->nnode, parents);
	n->size = parse_real(l, w + 2, "size");
}

/* --- The common node lines, read straight from the text -------------- *
 *
 * Most of a model is node lines, and a one-row run is mostly reading
 * them.  Here each byte is looked at once, with no words split out first:
 * a count, a word or a number at *p followed by the byte `then`.  Any
 * line that is not well formed and within its checks is left to the
 * general reading below, which says what is wrong with it. */

/* A count of up to 10 digits (at most UINT32_MAX). */
static int
count_then(const char **p, char then, uint32_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	for (; *s >= '0' && *s <= '9' && s - *p < 10; s++)
		x = x * 10 + (uint64_t)(*s - '0');
	if (s == *p || *s != then || x > UINT32_MAX)
		return 0;
	*v = (uint32_t)x;
	*p = s + 1;
	return 1;
}

/* The word and its space, at most 8 bytes: compared at once when the
 * window holds that many. */
static int
word_then(const char **p, const char *end, const char *word, size_t len)
{
	if ((size_t)(end - *p) < len || memcmp(*p, word, len) != 0)
		return 0;
	*p += len;
	return 1;
}

static int
real_then(const char **p, const char *end, char then, double *v)
{
	const char *stop;

	if (num_parse_prefix(*p, end, v, &stop) != NUM_OK || *stop != then)
		return 0;
	*p = stop + 1;
	return 1;
}

/* A child's index, to be taken: after id, in the tree, without a
 * parent. */
static int
child_then(const char **p, char then, uint32_t id, const struct tree *t,
           const unsigned char *parents, uint32_t *child)
{
	return count_then(p, then, child) && *child > id &&
	       *child < t->nnode && !parents[*child];
}

/* "ID leaf SIZE" or "ID split FEATURE X [LOW HIGH] LEFT RIGHT SIZE",
 * read and checked: 1, else 0 with nothing changed. */
static int
read_node_fast(struct loader *l, const struct model *m, struct tree *t,
               uint32_t id, unsigned char *parents)
{
	const struct forest *f = &m->forest;
	const char *p = l->pos;
	struct node n;
	uint32_t v;

	memset(&n, 0, sizeof n);
	if (!count_then(&p, ' ', &v) || v != id)
		return 0;
	if (word_then(&p, l->end, "leaf ", 5)) {
		n.feature = NODE_LEAF;
	} else if (word_then(&p, l->end, "split ", 6)) {
		if (!count_then(&p, ' ', &v) || v >= f->nfeature ||
		    !real_then(&p, l->end, ' ', &n.split))
			return 0;
		n.feature = (int32_t)v;
		if (f->penalize_range &&
		    (!real_then(&p, l->end, ' ', &n.low) ||
		     !real_then(&p, l->end, ' ', &n.high) ||
		     !(n.low <= n.split && n.split <= n.high)))
			return 0;
		if (!child_then(&p, ' ', id, t, parents, &n.left) ||
		    !child_then(&p, ' ', id, t, parents, &n.right) ||
		    n.left == n.right)
			return 0;
	} else {
		return 0;
	}
	if (!real_then(&p, l->end, '\n', &n.size) ||
	    !(n.size >= 0 && n.size <= (double)f->sample_size))
		return 0;
	if (n.feature != NODE_LEAF)
		parents[n.left] = parents[n.right] = 1;
	t->node[id] = n;
	l->pos += p - l->pos; /* where p has got to */
	l->line++;
	return 1;
}

static void
read_node(struct loader *l, const struct model *m, struct tree *t,
          uint32_t id, unsigned char *parents)
{
	struct node *n = &t->node[id];

	if ((size_t)(l->end - l->pos) < LINE_ROOM)
		refill(l);
	if (read_node_fast(l, m, t, id, parents))
		return;
	memset(n, 0, sizeof *n);
	expect_line(l, "a node line");
	if (l->nword < 2 ||
	    parse_count(l, l->word[0], "node", UINT32_MAX) != id)
		bad(l, "expected node %lu", (unsigned long)id);
	if (strcmp(l->word[1], "leaf") == 0) {
		expect_words(l, 3, "leaf");
		n->feature = NODE_LEAF;
		n->size = parse_real(l, 2, "size");
	} else if (strcmp(l->word[1], "split") == 0) {
		int w;

		expect_words(l, m->forest.penalize_range ? 9 : 7, "split");
		n->feature = (int32_t)read_feature_index(l, m, id, l->word[2]);
		n->split = parse_real(l, 3, "split");
		w = read_range(l, m, n, id, 4);
		n->left = read_child(l, l->word[w], id, t->nnode, parents);
		n->right = read_child(l, l->word[w + 1], id, t->nnode, parents);
		n->size = parse_real(l, w + 2, "size");
	} else if (strcmp(l->word[1], "plane") == 0) {
		read_plane(l, m, t, id, parents);
	} else {
		bad(l, "unknown node type '%s'", l->word[1]);
	}
	/* A node holds a share of the sample, no more: this also keeps
	 * the missing-value walk's weighted sums finite. */
	if (!(n->size >= 0 && n->size <= (double)m->forest.sample_size))
		bad(l, "node %lu: size out of range (0..%zu)",
		    (unsigned long)id, m->forest.sample_size);
}

/* A tree, not just nodes: every node reachable, no deeper than training
 * grows (the walks recurse), and no split the missing-value walk would
 * divide by zero at. */
static void
check_shape(struct loader *l, const struct tree *t, size_t index)
{
	unsigned limit = forest_height_limit(l->sample_size);
	uint32_t id;

	for (id = 1; id < t->nnode; id++)
		if (!l->parents[id])
			bad(l, "tree %zu: node %lu is not reachable", index,
			    (unsigned long)id);
	l->depth[0] = 0;
	for (id = 0; id < t->nnode; id++) {
		const struct node *n = &t->node[id];

		if (l->depth[id] > limit)
			bad(l, "tree %zu: node %lu is deeper than %u", index,
			    (unsigned long)id, limit);
		if (n->feature == NODE_LEAF)
			continue;
		l->depth[n->left] = l->depth[n->right] = l->depth[id] + 1;
		if (!(t->node[n->left].size + t->node[n->right].size > 0))
			bad(l, "tree %zu: node %lu: children of size 0",
			    index, (unsigned long)id);
	}
}

static void
read_tree(struct loader *l, struct model *m, size_t index)
{
	struct tree *t = &m->forest.tree[index];
	uint64_t max_nodes = forest_max_nodes(m->forest.sample_size);
	uint32_t id;

	if (index > 0)
		expect_line(l, "a 'tree' line");
	if (strcmp(l->word[0], "tree") != 0 || l->nword != 3 ||
	    parse_count(l, l->word[1], "tree", SIZE_MAX) != index)
		bad(l, "expected 'tree %zu NODES'", index);
	t->nnode = (uint32_t)parse_count(l, l->word[2], "nodes", UINT32_MAX);
	if (t->nnode == 0 || t->nnode > max_nodes)
		bad(l, "tree %zu: %lu nodes, expected 1 to %llu for "
		    "sample_size %zu", index, (unsigned long)t->nnode,
		    (unsigned long long)max_nodes, m->forest.sample_size);
	/* Every node line takes at least 9 bytes ("N leaf S\n"): a count
	 * the rest of the file cannot hold is not allocated for. */
	if (t->nnode > bytes_left(l) / 9 + 1)
		bad(l, "truncated model: tree %zu promises %lu nodes", index,
		    (unsigned long)t->nnode);
	/* Every node is written whole before it is read. */
	t->node = xreallocarray(NULL, t->nnode, sizeof *t->node);
	if (t->nnode > l->node_cap) {
		l->node_cap = t->nnode;
		l->parents = xrealloc(l->parents, l->node_cap);
		l->depth = xreallocarray(l->depth, l->node_cap,
		                         sizeof *l->depth);
	}
	memset(l->parents, 0, t->nnode);
	for (id = 0; id < t->nnode; id++)
		read_node(l, m, t, id, l->parents);
	check_shape(l, t, index);
	tree_finish(t);
}

static void
read_model(struct loader *l, struct model *m)
{
	size_t i;

	read_magic(l);
	read_header(l, m);
	l->sample_size = m->forest.sample_size;
	if (m->forest.ntree > bytes_left(l) / 9)
		bad(l, "truncated model: %zu trees promised", m->forest.ntree);
	m->forest.tree = xcalloc(m->forest.ntree, sizeof *m->forest.tree);
	for (i = 0; i < m->forest.ntree; i++)
		read_tree(l, m, i);
	expect_line(l, "'end'");
	if (l->nword != 1 || strcmp(l->word[0], "end") != 0)
		bad(l, "expected 'end' after %zu trees", m->forest.ntree);
	if (next_line(l))
		bad(l, "unexpected text after 'end'");
}

/* Read the model the loader is set up for: 0, or -1 with the message in
 * error.  The loader is freed. */
static int
run_loader(struct loader *l, struct model *m, char *error, size_t error_len)
{
	int ok;

	memset(m, 0, sizeof *m);
	l->error = error;
	l->error_len = error_len;
	ok = setjmp(l->fail) == 0;
	if (ok)
		read_model(l, m);
	else
		model_free(m);
	free(l->window);
	free(l->buf);
	free(l->word);
	free(l->wlen);
	free(l->scratch);
	free(l->parents);
	free(l->depth);
	free(l->feature_line);
	free(l);
	return ok ? 0 : -1;
}

int
model_parse(struct model *m, char *text, size_t len, const char *name,
            char *error, size_t error_len)
{
	/* On the heap: what bad() longjmps past must not be a local that
	 * changed after setjmp. */
	struct loader *l = xcalloc(1, sizeof *l);

	l->path = name;
	l->pos = text;
	l->end = text + len;
	l->fd = -1;
	return run_loader(l, m, error, error_len);
}

/* Why open_model failed, when errno does not say. */
enum open_error { OPEN_ERRNO, OPEN_DEVICE, OPEN_NOT_MODEL, OPEN_TOO_BIG };

/* The whole of fd into buf (grown as needed, NUL-terminated) after the
 * *len bytes already there; -1 with errno set or *why. */
static int
read_rest(int fd, char **buf, size_t *cap, size_t *len, enum open_error *why)
{
	for (;;) {
		ssize_t r;

		if (*cap - *len - 1 == 0) {
			if (*cap > MODEL_FILE_MAX) {
				*why = OPEN_TOO_BIG;
				return -1;
			}
			*buf = xrealloc(*buf, *cap *= 2);
		}
		r = read_some(fd, *buf + *len, *cap - *len - 1);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	if (*len > MODEL_FILE_MAX) {
		*why = OPEN_TOO_BIG;
		return -1;
	}
	(*buf)[*len] = '\0';
	return 0;
}

/* Set the loader up for the file at path: a device is refused, and the
 * magic is checked on the first bytes before anything more is read
 * (/dev/zero or an endless pipe of anything but a model ends at once).
 * A regular file of known size is then read through the window; anything
 * else (a pipe) is read whole first, as its size bounds what it may
 * claim.  -1 with errno set, or *why. */
static int
open_model(struct loader *l, const char *path, enum open_error *why)
{
	static const char magic[] = MODEL_MAGIC " ";
	struct stat st;
	size_t len = 0;
	int fd = open(path, O_RDONLY), saved;

	*why = OPEN_ERRNO;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0)
		goto fail;
	if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		*why = OPEN_DEVICE;
	else if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > MODEL_FILE_MAX)
		*why = OPEN_TOO_BIG;
	if (*why != OPEN_ERRNO)
		goto fail;
	l->window_cap = MODEL_WINDOW_BYTES;
	l->window = xmalloc(l->window_cap);
	while (len < sizeof magic - 1) {
		ssize_t r = read_some(fd, l->window + len,
		                      sizeof magic - 1 - len);

		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len == sizeof magic - 1 && memcmp(l->window, magic, len) != 0) {
		*why = OPEN_NOT_MODEL;
		goto fail;
	}
	l->pos = l->window;
	l->end = l->window + len;
	*l->end = '\0';
	/* /proc's files say they hold 0 bytes: read whole, like a pipe. */
	if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > len) {
		l->fd = fd;
		l->taken = len;
		l->unread = (uint64_t)st.st_size - len;
		return 0;
	}
	if (read_rest(fd, &l->window, &l->window_cap, &len, why) < 0)
		goto fail;
	close(fd);
	l->pos = l->window;
	l->end = l->window + len;
	l->fd = -1;
	return 0;
fail:
	saved = errno;
	free(l->window);
	l->window = NULL;
	close(fd);
	errno = saved;
	return -1;
}

int
model_load(struct model *m, const char *path, char *error,
           size_t error_len)
{
	struct loader *l = xcalloc(1, sizeof *l);
	enum open_error why;
	int fd, r;

	l->path = path;
	l->fd = -1;
	if (open_model(l, path, &why) < 0) {
		memset(m, 0, sizeof *m);
		if (why == OPEN_DEVICE)
			snprintf(error, error_len, "cannot read model '%s': a "
			         "device, not a file or a pipe", path);
		else if (why == OPEN_NOT_MODEL)
			snprintf(error, error_len, "%s:1: not an iftools model "
			         "(expected '%s VERSION' on the first line)", path,
			         MODEL_MAGIC);
		else if (why == OPEN_TOO_BIG)
			snprintf(error, error_len, "%s: model file larger than "
			         "%zu bytes", path, MODEL_FILE_MAX);
		else
			snprintf(error, error_len, "cannot read model '%s': %s",
			         path, strerror(errno));
		free(l);
		return -1;
	}
	fd = l->fd;
	r = run_loader(l, m, error, error_len);
	if (fd >= 0)
		close(fd);
	return r;
}

void
model_free(struct model *m)
{
	size_t i;

	forest_free(&m->forest);
	free(m->context.group);
	m->context.group = NULL;
	free(m->context.sensor);
	m->context.sensor = NULL;
	for (i = 0; m->feature && i < m->forest.nfeature; i++)
		free(m->feature[i]);
	free(m->feature);
	m->feature = NULL;
}
