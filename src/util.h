/* util.h: program name, error reporting, allocation and option parsing
 * shared by every iftools program.  Messages follow ../shared/STYLE.md:
 * "prog: message", exit status 2 for every error. */
#ifndef IFTOOLS_UTIL_H
#define IFTOOLS_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define IFTOOLS_VERSION "0.1.0"

enum { EXIT_ALERT = 1, EXIT_TROUBLE = 2 };

extern const char *progname;

void set_progname(const char *argv0);

/* Print "prog: message" to stderr; when fmt ends in ':', append ' ' and
 * strerror(errno), as sbase's eprintf does. */
void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void die(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Every message goes out through escape_controls: a control character
 * in a value or a name is shown as \t, \r, \n or \xHH, never sent raw to
 * a terminal.  dst needs 4 * n + 1 bytes; returns the length written. */
size_t escape_controls(char *dst, const char *s, size_t n);
/* The same into a new string, for messages built elsewhere. */
char *escape_text(const char *s, size_t n);

/* A bad command line: one error line, then the pointer to --help; exit 2. */
_Noreturn void usage_error(const char *fmt, ...);

/* --help: the usage lines and the help text on stdout, exit 0. */
_Noreturn void help_exit(const char *usage, const char *help);

/* --version: "prog (iftools) X.Y.Z" and a line on what it is, exit 0. */
_Noreturn void version_exit(void);

/* getopt_long's ':' (missing argument) and '?' (unknown option) cases,
 * worded as GNU getopt words them but named after progname.  The tools
 * set opterr = 0 and start their optstrings with ':'. */
_Noreturn void opt_bad(int c, char **argv);

/* Flush and close stdout, exiting 2 if anything written was lost. */
void close_stdout(void);

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
/* An array of nmemb items on a 64-byte boundary (a cache line, a vector
 * register), released with free. */
void *xaligned_array(size_t nmemb, size_t size);
char *xstrdup(const char *s);
/* printf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);
/* "a, b, c": names for a message, in a new string. */
char *join_names(char *const *names, size_t n);

/* FNV-1a, for the hash tables of names (group values, kinds). */
uint64_t hash_bytes(const char *p, size_t n);

/* Strictly parsed option arguments: the whole argument must be a number in
 * [min, max], otherwise usage_error names the option and the value. */
long long opt_integer(const char *option, const char *arg, long long min,
                      long long max);
double opt_real(const char *option, const char *arg, double min, double max,
                int min_inclusive);
/* The single character of -d; "\t" and "tab" are accepted for a tab.  A
 * character that occurs in numbers or missing values is refused. */
char opt_delimiter(const char *arg);

/* The whole file at path, NUL-terminated (its length in *len), or NULL
 * with errno set. */
char *read_whole_file(const char *path, size_t *len);
/* Names found by sorting, so that n names cost n log n, not n^2:
 * names[0..n) sorted by name, then by position (the array is allocated,
 * the strings are not copied). */
struct name_order {
	const char *name;
	size_t index;
};
struct name_order *names_sort(char *const *names, size_t n);
/* The position of the first name that repeats an earlier one, or -1. */
long names_first_repeat(const struct name_order *sorted, size_t n);
/* The first position of name, or -1. */
long names_find(const struct name_order *sorted, size_t n, const char *name);

/* Split a comma-separated list in place into at most *n items; the array
 * is allocated, the strings point into list. */
char **split_list(char *list, size_t *n);

/* The signal a catch_signals handler caught last, or 0. */
extern volatile sig_atomic_t caught_signal;
/* Catch those of sigs[0..n) the caller does not ignore (a background
 * job, nohup), without SA_RESTART so that a read ends: the handler sets
 * caught_signal and writes a byte to a pipe, whose read end is returned,
 * so that a wait for input (poll) ends at once too.  Dies without a pipe. */
int catch_signals(const int *sigs, size_t n);
/* End the program by signal sig as if it had not been caught. */
_Noreturn void die_of_signal(int sig);

#endif
