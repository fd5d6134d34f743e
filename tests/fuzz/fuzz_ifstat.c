/* libFuzzer harness for ifstat: the whole program, its main renamed, on
 * any rows under a fixed header (the TSV harness covers headers; a bad
 * header ends ifstat with exit, which a harness cannot survive).  The
 * first byte picks the options, so every form and mode is reached; the
 * report must never hold a non-number (inf, nan) where a figure goes.
 * The messages go to stderr: make fuzz runs with -close_fd_mask=2. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define main ifstat_main
#include "../../src/ifstat.c"
#undef main

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char in_path[] = "/tmp/iftools-fuzz-ifstat-in-XXXXXX";
static char out_path[] = "/tmp/iftools-fuzz-ifstat-out-XXXXXX";
static int in_fd = -1, out_fd = -1;

/* The command line that the option byte o asks for. */
static int
make_args(uint8_t o, uint8_t n, char **argv, char *every, char *delim)
{
	static const char *const formats[] = { NULL, "--wide", "--json", NULL };
	int argc = 0;

	argv[argc++] = "ifstat";
	if (o & 1) {
		snprintf(every, 8, "%d", 1 + n % 7);
		argv[argc++] = "-e";
		argv[argc++] = every;
	}
	if (o & 2) {
		argv[argc++] = "-g";
		argv[argc++] = "dev";
	}
	if (o & 4)
		argv[argc++] = "--histogram";
	if (formats[(o >> 3) & 3] != NULL)
		argv[argc++] = (char *)formats[(o >> 3) & 3];
	if (o & 32) {
		argv[argc++] = "--max-rate";
		argv[argc++] = "0.3";
	}
	if (o & 64) {
		argv[argc++] = "-T";
		argv[argc++] = "0.5";
	}
	delim[0] = o & 128 ? ',' : '\t';
	delim[1] = '\0';
	argv[argc++] = "-d";
	argv[argc++] = delim;
	argv[argc++] = in_path;
	argv[argc] = NULL;
	return argc;
}

static int
is_non_number(const char *p, size_t n)
{
	if (n > 0 && *p == '-') {
		p++;
		n--;
	}
	return (n == 3 && (memcmp(p, "inf", 3) == 0 ||
	    memcmp(p, "nan", 3) == 0));
}

/* A figure is the last field of a long report's line, or a JSON value. */
static void
check_report(int json, char delim)
{
	static char buf[1 << 20];
	ssize_t n = pread(out_fd, buf, sizeof buf - 1, 0);
	char *line, *next, *p;

	if (n < 0)
		abort();
	buf[n] = '\0';
	for (line = buf; *line; line = next) {
		char *nl = strchr(line, '\n');

		next = nl ? nl + 1 : line + strlen(line);
		if (nl)
			*nl = '\0';
		if (json) {
			for (p = strstr(line, "\":"); p; p = strstr(p + 2, "\":"))
				if (p[-1] != '\\' && (strncmp(p + 2, "inf", 3) == 0 ||
				    strncmp(p + 2, "-inf", 4) == 0 ||
				    strncmp(p + 2, "nan", 3) == 0 ||
				    strncmp(p + 2, "-nan", 4) == 0))
					abort();
		} else if ((p = strrchr(line, delim)) != NULL &&
		           is_non_number(p + 1, strlen(p + 1)))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[20], every[8], delim[2], header[64];
	int argc, saved_stdout;
	uint8_t o, n;
	size_t len;

	if (size < 2)
		return 0;
	o = data[0];
	n = data[1];
	data += 2;
	size -= 2;
	if (in_fd < 0 && ((in_fd = mkstemp(in_path)) < 0 ||
	    (out_fd = mkstemp(out_path)) < 0))
		abort();
	argc = make_args(o, n, argv, every, delim);
	len = (size_t)snprintf(header, sizeof header,
	    "dev%cv%clabel%ckind%cscore%cstatus\n", delim[0], delim[0],
	    delim[0], delim[0], delim[0]);
	if (ftruncate(in_fd, 0) != 0 ||
	    pwrite(in_fd, header, len, 0) != (ssize_t)len ||
	    pwrite(in_fd, data, size, (off_t)len) != (ssize_t)size ||
	    ftruncate(out_fd, 0) != 0 || lseek(out_fd, 0, SEEK_SET) != 0)
		abort();

	saved_stdout = dup(STDOUT_FILENO);
	if (saved_stdout < 0 || dup2(out_fd, STDOUT_FILENO) < 0)
		abort();
	optind = 0; /* glibc: start getopt afresh */
	(void)ifstat_main(argc, argv);
	if (dup2(saved_stdout, STDOUT_FILENO) < 0)
		abort();
	close(saved_stdout);
	check_report(((o >> 3) & 3) == 2, delim[0]);
	return 0;
}
