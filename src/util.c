#include "util.h"
#include "num.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *progname = "iftools";

void
set_progname(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	progname = slash ? slash + 1 : argv0;
}

size_t
escape_controls(char *dst, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char *p = dst;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != 0x7f) {
			*p++ = (char)c;
			continue;
		}
		*p++ = '\\';
		if (c == '\t' || c == '\r' || c == '\n') {
			*p++ = c == '\t' ? 't' : c == '\r' ? 'r' : 'n';
			continue;
		}
		*p++ = 'x';
		*p++ = hex[c >> 4];
		*p++ = hex[c & 15];
	}
	*p = '\0';
	return (size_t)(p - dst);
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	va_list copy;
	char *text;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		die("message formatting failed");
	text = xmalloc((size_t)n + 1);
	vsnprintf(text, (size_t)n + 1, fmt, ap);
	return text;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	return text;
}

uint64_t
hash_bytes(const char *p, size_t n)
{
	uint64_t h = UINT64_C(14695981039346656037);

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * UINT64_C(1099511628211);
	return h;
}

char *
join_names(char *const *names, size_t n)
{
	size_t len = 1, i;
	char *text, *p;

	for (i = 0; i < n; i++)
		len += strlen(names[i]) + 2;
	p = text = xmalloc(len);
	for (i = 0; i < n; i++) {
		size_t k = strlen(names[i]);

		if (i > 0) {
			memcpy(p, ", ", 2);
			p += 2;
		}
		memcpy(p, names[i], k);
		p += k;
	}
	*p = '\0';
	return text;
}

char *
escape_text(const char *s, size_t n)
{
	char *text;

	if (n > (SIZE_MAX - 1) / 4)
		die("out of memory");
	text = xmalloc(4 * n + 1);
	escape_controls(text, s, n);
	return text;
}

/* s[0..n) escaped to f, a piece at a time through scratch[0..size). */
static void
put_escaped(FILE *f, const char *s, size_t n, char *scratch, size_t size)
{
	size_t piece = (size - 1) / 4;

	while (n > 0) {
		size_t take = n < piece ? n : piece;

		fwrite(scratch, 1, escape_controls(scratch, s, take), f);
		s += take;
		n -= take;
	}
}

/* One message line, its control characters escaped.  Formatted on the
 * stack when it fits, so that "out of memory" itself needs no memory. */
static void
vwarn(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t len = strlen(fmt);
	char text[1024], shown[4 * sizeof text], *heap = NULL, *msg = text;
	va_list copy;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(text, sizeof text, fmt, copy);
	va_end(copy);
	if (n >= (int)sizeof text && (heap = malloc((size_t)n + 1)) != NULL) {
		vsnprintf(heap, (size_t)n + 1, fmt, ap);
		msg = heap;
	}
	fprintf(stderr, "%s: ", progname);
	put_escaped(stderr, msg, strlen(msg), shown, sizeof shown);
	if (len > 0 && fmt[len - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
	free(heap);
}

void
warnf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
}

void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	exit(EXIT_TROUBLE);
}

void
usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '%s --help' for more information.\n", progname);
	exit(EXIT_TROUBLE);
}

void
help_exit(const char *usage, const char *help)
{
	fputs(usage, stdout);
	fputs(help, stdout);
	close_stdout();
	exit(0);
}

void
version_exit(void)
{
	printf("%s (iftools) %s\n"
	       "Isolation Forest anomaly detection for sensor streams.\n",
	       progname, IFTOOLS_VERSION);
	close_stdout();
	exit(0);
}

void
opt_bad(int c, char **argv)
{
	const char *arg = argv[optind - 1];
	int is_long = strncmp(arg, "--", 2) == 0;
	int name_len = (int)strcspn(arg, "=");

	if (c == ':' && is_long)
		usage_error("option '%.*s' requires an argument", name_len,
		            arg);
	if (c == ':')
		usage_error("option requires an argument -- '%c'", optopt);
	if (!is_long)
		usage_error("invalid option -- '%c'", optopt);
	if (optopt != 0) /* a known long option given an argument */
		usage_error("option '%.*s' doesn't allow an argument",
		            name_len, arg);
	usage_error("unrecognized option '%s'", arg);
}

void
close_stdout(void)
{
	int failed = ferror(stdout);

	if (fclose(stdout) != 0 || failed)
		die("write error:");
}

static void *
check_alloc(void *p)
{
	if (p == NULL)
		die("out of memory");
	return p;
}

void *
xmalloc(size_t size)
{
	return check_alloc(malloc(size ? size : 1));
}

void *
xcalloc(size_t nmemb, size_t size)
{
	return check_alloc(calloc(nmemb ? nmemb : 1, size ? size : 1));
}

void *
xrealloc(void *ptr, size_t size)
{
	return check_alloc(realloc(ptr, size ? size : 1));
}

void *
xreallocarray(void *ptr, size_t nmemb, size_t size)
{
	if (size != 0 && nmemb > SIZE_MAX / size)
		die("out of memory");
	return xrealloc(ptr, nmemb * size);
}

void *
xaligned_array(size_t nmemb, size_t size)
{
	size_t bytes;

	if (size != 0 && nmemb > (SIZE_MAX - 63) / size)
		die("out of memory");
	/* aligned_alloc wants a multiple of the alignment. */
	bytes = (nmemb * size + 63) & ~(size_t)63;
	return check_alloc(aligned_alloc(64, bytes ? bytes : 64));
}

char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

long long
opt_integer(const char *option, const char *arg, long long min, long long max)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || (*arg != '-' && *arg != '+' &&
	    (*arg < '0' || *arg > '9')))
		usage_error("invalid value '%s' for %s: not a whole number",
		            arg, option);
	if ((errno == ERANGE && v < 0) || v < min)
		usage_error("invalid value '%s' for %s: must be at least %lld",
		            arg, option, min);
	if (errno == ERANGE || v > max)
		usage_error("invalid value '%s' for %s: must be at most %lld",
		            arg, option, max);
	return v;
}

double
opt_real(const char *option, const char *arg, double min, double max,
         int min_inclusive)
{
	double v;

	switch (num_parse(arg, strlen(arg), &v)) {
	case NUM_OK:
		break;
	case NUM_RANGE:
		usage_error("invalid value '%s' for %s: out of range", arg,
		            option);
	default:
		usage_error("invalid value '%s' for %s: not a number", arg,
		            option);
	}
	if (v < min || (!min_inclusive && v == min) || v > max) {
		char lo[32], hi[32];

		num_format_shortest(lo, min);
		num_format_shortest(hi, max);
		usage_error("invalid value '%s' for %s: must be %s %s and at "
		            "most %s", arg, option,
		            min_inclusive ? "at least" : "greater than", lo, hi);
	}
	return v;
}

/* A delimiter must never occur in what the tools themselves write or
 * read as a value: the digits, signs, point and exponent of a number, the
 * letters of NA, N/A, NaN, inf and of the statuses.  So every letter and
 * digit, and '.', '+', '-' and '/', are refused. */
char
opt_delimiter(const char *arg)
{
	unsigned char c = (unsigned char)arg[0];

	if (strcmp(arg, "\\t") == 0 || strcmp(arg, "tab") == 0)
		return '\t';
	if (c >= 0x80)
		usage_error("invalid delimiter '%s': only single-byte "
		            "characters are supported", arg);
	if (strlen(arg) != 1 || c == '\n' || c == '\r')
		usage_error("invalid delimiter '%s': must be one character",
		            arg);
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || strchr(".+-/", c) != NULL)
		usage_error("invalid delimiter '%s': letters, digits and "
		            "'.', '+', '-', '/' occur in values", arg);
	return (char)c;
}

static int
compare_names(const void *a, const void *b)
{
	const struct name_order *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

struct name_order *
names_sort(char *const *names, size_t n)
{
	struct name_order *sorted = xreallocarray(NULL, n, sizeof *sorted);
	size_t i;

	for (i = 0; i < n; i++) {
		sorted[i].name = names[i];
		sorted[i].index = i;
	}
	qsort(sorted, n, sizeof *sorted, compare_names);
	return sorted;
}

long
names_first_repeat(const struct name_order *sorted, size_t n)
{
	size_t i, first = n;

	/* Equal names sit together, by position: the second of each group
	 * repeats its first. */
	for (i = 1; i < n; i++)
		if (strcmp(sorted[i].name, sorted[i - 1].name) == 0 &&
		    (i < 2 || strcmp(sorted[i - 1].name, sorted[i - 2].name)
		              != 0) && sorted[i].index < first)
			first = sorted[i].index;
	return first < n ? (long)first : -1;
}

long
names_find(const struct name_order *sorted, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(sorted[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && strcmp(sorted[lo].name, name) == 0)
		return (long)sorted[lo].index;
	return -1;
}

char **
split_list(char *list, size_t *n)
{
	size_t count = 1, i = 0;
	char **items, *p;

	for (p = list; *p; p++)
		count += *p == ',';
	items = xreallocarray(NULL, count, sizeof *items);
	for (p = list;; ) {
		char *comma = strchr(p, ',');

		items[i++] = p;
		if (comma == NULL)
			break;
		*comma = '\0';
		p = comma + 1;
	}
	*n = i;
	return items;
}

char *
read_whole_file(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = xmalloc(cap);
	for (;;) {
		ssize_t r = read(fd, buf + n, cap - n - 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int saved = errno;

			free(buf);
			close(fd);
			errno = saved;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (cap - n - 1 == 0)
			buf = xrealloc(buf, cap *= 2);
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* --- Signals that end a run -------------------------------------------- */

volatile sig_atomic_t caught_signal;
static int wake_pipe[2] = { -1, -1 };

static void
on_caught_signal(int sig)
{
	int saved = errno;

	caught_signal = sig;
	if (write(wake_pipe[1], "", 1) < 0) {
		/* full: a wake-up is pending already */
	}
	errno = saved;
}

int
catch_signals(const int *sigs, size_t n)
{
	struct sigaction sa, old;
	size_t i;

	if (pipe(wake_pipe) != 0)
		die("cannot make a pipe:");
	for (i = 0; i < 2; i++)
		(void)fcntl(wake_pipe[i], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_caught_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < n; i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
	return wake_pipe[0];
}

void
die_of_signal(int sig)
{
	sigset_t set;

	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	_exit(128 + sig);
}
