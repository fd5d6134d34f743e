/*
 * startup: how long a command takes from its start to its exit, timed from
 * the process that starts it (no shell in between), as hyperfine -N does.
 *
 *	startup [-n RUNS] [-w WARMUP] CMD [ARG ...] [-- CMD2 [ARG ...]]
 *
 * Runs CMD RUNS times (after WARMUP untimed runs) with its standard input
 * and output on /dev/null, timing each from posix_spawn to waitpid on
 * CLOCK_MONOTONIC.  With a second command after "--", the two are run in
 * turn (A B A B ...), so that the machine's load falls on both alike.
 *
 * Prints a line per command: "median_ms=X min_ms=Y runs=N".  Exit status 0,
 * or 2 on any error (a command that cannot start, or exits non-zero).
 *
 * Part of the benchmark in tests/bench/speed, which compiles it with
 *	cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char *prog = "startup";

static void
fail(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(2);
}

static double
now(void)
{
	struct timespec t;

	if (clock_gettime(CLOCK_MONOTONIC, &t) != 0)
		fail("clock_gettime");
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* One run of argv, in seconds. */
static double
run(char **argv, posix_spawn_file_actions_t *fa)
{
	double t0 = now(), t1;
	pid_t pid;
	int status, e = posix_spawnp(&pid, argv[0], fa, NULL, argv, environ);

	if (e != 0) {
		errno = e;
		fail(argv[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fail("waitpid");
	t1 = now();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: %s did not exit with status 0\n", prog,
		        argv[0]);
		exit(2);
	}
	return t1 - t0;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static long
count(const char *s)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || n < 1 || n > 1000000) {
		fprintf(stderr, "%s: bad count '%s'\n", prog, s);
		exit(2);
	}
	return n;
}

int
main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	char **cmd[2];
	double *t[2];
	long runs = 50, warmup = 5, i;
	int ncmd = 1, c, k;

	while ((c = getopt(argc, argv, "+n:w:")) != -1) {
		switch (c) {
		case 'n':
			runs = count(optarg);
			break;
		case 'w':
			warmup = strcmp(optarg, "0") == 0 ? 0 : count(optarg);
			break;
		default:
			fprintf(stderr, "usage: %s [-n RUNS] [-w WARMUP] CMD "
			        "[ARG ...] [-- CMD2 [ARG ...]]\n", prog);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no command\n", prog);
		return 2;
	}
	cmd[0] = argv + optind;
	for (i = optind; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			argv[i] = NULL;
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: no command after --\n", prog);
				return 2;
			}
			cmd[1] = argv + i + 1;
			ncmd = 2;
			break;
		}
	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0)
		fail("posix_spawn_file_actions");
	for (k = 0; k < ncmd; k++)
		if ((t[k] = malloc((size_t)runs * sizeof *t[k])) == NULL)
			fail("malloc");
	for (i = 0; i < warmup; i++)
		for (k = 0; k < ncmd; k++)
			run(cmd[k], &fa);
	for (i = 0; i < runs; i++)
		for (k = 0; k < ncmd; k++)
			t[k][i] = run(cmd[k], &fa);
	for (k = 0; k < ncmd; k++) {
		qsort(t[k], (size_t)runs, sizeof *t[k], by_value);
		printf("median_ms=%.3f min_ms=%.3f runs=%ld\n",
		       1e3 * (runs % 2 ? t[k][runs / 2] :
		              (t[k][runs / 2 - 1] + t[k][runs / 2]) / 2),
		       1e3 * t[k][0], runs);
		free(t[k]);
	}
	posix_spawn_file_actions_destroy(&fa);
	return 0;
}
