/* out.h: buffered output to a file descriptor with every write checked.
 *
 * Large writes keep batch throughput high; out_flush() is called by the
 * tools whenever their input has no more data ready (or after every line
 * with -u), so live pipes stay live.  A failed write (disk full, a closed
 * stdout) ends the program at once with status 2; EPIPE never gets here
 * because SIGPIPE keeps its default action. */
#ifndef IFTOOLS_OUT_H
#define IFTOOLS_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct out {
	int fd;
	const char *name; /* for messages: "standard output" or a path */
	char *buf;
	size_t len, cap;
};

void out_init(struct out *o, int fd, const char *name);
/* A buffer in memory that grows as needed: text made on one thread and
 * written by another.  out_flush does nothing to it. */
void out_init_memory(struct out *o);
void out_flush(struct out *o);
/* Flush, then release the buffer; the descriptor is not closed. */
void out_finish(struct out *o);

void out_write_slow(struct out *o, const void *p, size_t n);

static inline void
out_write(struct out *o, const void *p, size_t n)
{
	if (o->cap - o->len >= n) {
		memcpy(o->buf + o->len, p, n);
		o->len += n;
		return;
	}
	out_write_slow(o, p, n);
}

static inline void
out_char(struct out *o, char c)
{
	if (o->len == o->cap)
		out_write_slow(o, &c, 1);
	else
		o->buf[o->len++] = c;
}

void out_str(struct out *o, const char *s);
/* An unsigned integer in decimal. */
void out_uint(struct out *o, uint64_t v);
/* The shortest round-trip form of x (see num_format_shortest). */
void out_real(struct out *o, double x);
/* x with 17 significant digits, which read back exactly; NA for NaN. */
void out_real_exact(struct out *o, double x);
/* printf-style, for reports that are not on a hot path. */
void out_printf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A JSON string literal with quotes and escapes. */
void out_json_string(struct out *o, const char *s, size_t n);

/* Replace the file at path whole or not at all: fill(fd, name, arg)
 * writes a temporary file beside it, which is synced and renamed over
 * path, and the rename synced.  A failure dies "cannot write WHAT 'PATH'".
 * While the temporary file exists its name is in out_temp_path, for a
 * signal handler to remove; exit removes it too. */
extern char *volatile out_temp_path;
void out_write_atomically(const char *path, const char *what,
                          void (*fill)(int fd, const char *name,
                                       const void *arg),
                          const void *arg);

#endif
