#include "out.h"
#include "num.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

void
out_json_string(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	out_char(o, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			out_char(o, '\\');
			out_char(o, (char)c);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4],
			                hex[c & 15] };

			out_write(o, esc, sizeof esc);
		} else {
			out_char(o, (char)c);
		}
	}
	out_char(o, '"');
}
