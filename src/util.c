#include "util.h"
#include "num.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

static void
vwarn(const char *fmt, va_list ap)
{
	int saved = errno;
	size_t len = strlen(fmt);

	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	if (len > 0 && fmt[len - 1] == ':')
		fprintf(stderr, " %s", strerror(saved));
	fputc('\n', stderr);
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

char
opt_delimiter(const char *arg)
{
	if (strcmp(arg, "\\t") == 0 || strcmp(arg, "tab") == 0)
		return '\t';
	if (strlen(arg) != 1 || arg[0] == '\n' || arg[0] == '\r')
		usage_error("invalid delimiter '%s': must be one character",
		            arg);
	return arg[0];
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
