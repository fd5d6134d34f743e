#include "out.h"
#include "num.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { OUT_BUFSIZE = 1 << 17 };

void
out_init(struct out *o, int fd, const char *name)
{
	o->fd = fd;
	o->name = name;
	o->buf = xmalloc(OUT_BUFSIZE);
	o->len = 0;
	o->cap = OUT_BUFSIZE;
}

void
out_init_memory(struct out *o)
{
	out_init(o, -1, "memory");
}

/* A memory buffer grows to take n more bytes instead of being written. */
static int
grow_memory(struct out *o, size_t n)
{
	if (o->fd >= 0)
		return 0;
	while (o->cap - o->len < n)
		o->cap *= 2;
	o->buf = xrealloc(o->buf, o->cap);
	return 1;
}

static void
write_all(struct out *o, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(o->fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write error on %s:", o->name);
		}
		p += w;
		n -= (size_t)w;
	}
}

void
out_flush(struct out *o)
{
	if (o->fd < 0)
		return;
	write_all(o, o->buf, o->len);
	o->len = 0;
}

void
out_finish(struct out *o)
{
	out_flush(o);
	free(o->buf);
	o->buf = NULL;
	o->cap = 0;
}

void
out_write_slow(struct out *o, const void *p, size_t n)
{
	const char *src = p;

	if (grow_memory(o, n)) {
		memcpy(o->buf + o->len, src, n);
		o->len += n;
		return;
	}
	if (n >= o->cap / 2) {
		/* A large block goes out as it is, without a copy. */
		out_flush(o);
		write_all(o, src, n);
		return;
	}
	while (n > 0) {
		size_t room;

		if (o->len == o->cap)
			out_flush(o);
		room = o->cap - o->len;
		if (room > n)
			room = n;
		memcpy(o->buf + o->len, src, room);
		o->len += room;
		src += room;
		n -= room;
	}
}

void
out_str(struct out *o, const char *s)
{
	out_write(o, s, strlen(s));
}

void
out_uint(struct out *o, uint64_t v)
{
	char buf[20], *p = buf + sizeof buf;

	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	out_write(o, p, (size_t)(buf + sizeof buf - p));
}

void
out_real(struct out *o, double x)
{
	char buf[NUM_SHORTEST_MAX];

	out_write(o, buf, num_format_shortest(buf, x));
}

void
out_printf(struct out *o, const char *fmt, ...)
{
	char small[256], *big;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		die("output formatting failed");
	if ((size_t)n < sizeof small) {
		out_write(o, small, (size_t)n);
		return;
	}
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	out_write(o, big, (size_t)n);
	free(big);
}

/* The length of the valid UTF-8 sequence at s[0..n), or 0 when the bytes
 * there are not one (overlong, surrogate, beyond U+10FFFF, cut short). */
static size_t
utf8_length(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned long c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, c = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, c = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10FFFF)))
		return 0;
	return len;
}

/* A JSON string: quotes, backslashes and control characters escaped, and
 * any byte that is not valid UTF-8 replaced by U+FFFD, so the line is
 * valid JSON whatever the input held. */
void
out_json_string(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	out_char(o, '"');
	while (i < n) {
		unsigned char c = u[i];
		size_t len = utf8_length(u + i, n - i);

		if (c == '"' || c == '\\') {
			out_char(o, '\\');
			out_char(o, (char)c);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4],
			                hex[c & 15] };

			out_write(o, esc, sizeof esc);
		} else if (len == 0) {
			out_str(o, "\\ufffd");
			len = 1;
		} else {
			out_write(o, s + i, len);
		}
		i += len ? len : 1;
	}
	out_char(o, '"');
}

void
out_real_exact(struct out *o, double x)
{
	if (x != x)
		out_write(o, "NA", 2);
	else
		out_printf(o, "%.17g", x);
}

/* --- Replacing a file atomically -------------------------------------- */

char *volatile out_temp_path;

static void
remove_temp(void)
{
	if (out_temp_path != NULL)
		unlink(out_temp_path);
}

/* The directory entry of a rename must reach the disk too. */
static void
sync_directory_of(const char *path)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd;

	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	fd = open(dir, O_RDONLY);
	if (fd >= 0) {
		fsync(fd); /* best effort: some file systems refuse it */
		close(fd);
	}
	free(dir);
}

/* The temporary file beside path: "PATH.XXXXXX", its name cut short
 * when the suffix would make it longer than the directory allows. */
static char *
temp_name_for(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dir_len = (size_t)(base - path), base_len = strlen(base);
	char *dir = xmalloc(dir_len + 2), *temp;
	long name_max;

	memcpy(dir, path, dir_len);
	strcpy(dir + dir_len, dir_len ? "" : ".");
	name_max = pathconf(dir, _PC_NAME_MAX);
	free(dir);
	if (name_max < 14) /* unknown, or no limit */
		name_max = 255;
	if (base_len + 7 > (size_t)name_max)
		base_len = (size_t)name_max - 7;
	temp = xmalloc(dir_len + base_len + sizeof ".XXXXXX");
	memcpy(temp, path, dir_len + base_len);
	strcpy(temp + dir_len + base_len, ".XXXXXX");
	return temp;
}

void
out_write_atomically(const char *path, const char *what,
                     void (*fill)(int fd, const char *name,
                                  const void *arg),
                     const void *arg)
{
	static int registered;
	char *temp = temp_name_for(path);
	mode_t mask;
	int fd;

	if (!registered) {
		atexit(remove_temp);
		registered = 1;
	}
	fd = mkstemp(temp);
	if (fd < 0) {
		free(temp);
		die("cannot write %s '%s':", what, path);
	}
	out_temp_path = temp;
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) != 0)
		die("cannot write %s '%s':", what, path);
	fill(fd, temp, arg);
	if (fsync(fd) != 0 || close(fd) != 0)
		die("cannot write %s '%s':", what, path);
	if (rename(temp, path) != 0)
		die("cannot write %s '%s':", what, path);
	out_temp_path = NULL;
	free(temp);
	sync_directory_of(path);
}
