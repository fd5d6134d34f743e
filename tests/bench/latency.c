/*
 * latency: how long a line takes to get through a filter, at a steady rate.
 *
 *	latency [-n LINES] [-r HZ] INPUT CMD [ARG ...]
 *
 * Runs CMD with pipes on its standard input and output, writes the header
 * line of INPUT, waits for CMD to answer with its own header, then writes
 * LINES data lines of INPUT (cycling if INPUT is shorter) at HZ lines a second,
 * paced on absolute deadlines so a late line does not delay the ones after it.
 * A second thread reads CMD's output.  Each line is timestamped (CLOCK_MONOTONIC)
 * just before it is written and when its answer line is read; CMD must write
 * exactly one line per input line, in order, as ifscore does.
 *
 * Prints one line: "lines=N p50_us=X p99_us=Y max_us=Z".  Exit status 0, or 2
 * on any error (CMD died, wrote too few lines, a system call failed).
 *
 * Part of the benchmark in tests/bench/speed, which compiles it with
 *	cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -pthread
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "latency";

/* What the reader thread needs: the pipe and where to put the timestamps. */
struct reader {
	int fd;
	size_t want;		/* data lines expected after the header */
	double *t_out;		/* t_out[i]: when the answer to line i was read */
	size_t got;		/* data lines read so far */
	int header_seen;	/* set once CMD has written its header line */
	pthread_mutex_t lock;
	pthread_cond_t header_cond;
};

static void
die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
	exit(2);
}

static void
dief(const char *msg)
{
	fprintf(stderr, "%s: %s\n", prog, msg);
	exit(2);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Reads the whole file into memory, NUL-terminated. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		die(path);
	do {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 1 << 20;
			if ((buf = realloc(buf, cap + 1)) == NULL)
				die("realloc");
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	if (ferror(f))
		die(path);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write to command");
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Timestamps every newline CMD writes; the first one ends its header. */
static void *
read_answers(void *arg)
{
	struct reader *rd = arg;
	char buf[65536];
	ssize_t n;

	while ((n = read(rd->fd, buf, sizeof buf)) != 0) {
		double t;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("read from command");
		}
		t = now_us();
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n')
				continue;
			if (!rd->header_seen) {
				pthread_mutex_lock(&rd->lock);
				rd->header_seen = 1;
				pthread_cond_signal(&rd->header_cond);
				pthread_mutex_unlock(&rd->lock);
			} else if (rd->got < rd->want) {
				rd->t_out[rd->got++] = t;
			}
		}
	}
	/* Wake the writer if CMD ended before its header. */
	pthread_mutex_lock(&rd->lock);
	rd->header_seen = rd->header_seen ? 1 : -1;
	pthread_cond_signal(&rd->header_cond);
	pthread_mutex_unlock(&rd->lock);
	return NULL;
}

static pid_t
spawn(char **argv, int *to_child, int *from_child)
{
	int in[2], out[2];
	pid_t pid;

	if (pipe(in) < 0 || pipe(out) < 0)
		die("pipe");
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		close(in[0]); close(in[1]); close(out[0]); close(out[1]);
		execvp(argv[0], argv);
		fprintf(stderr, "%s: %s: %s\n", prog, argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*to_child = in[1];
	*from_child = out[0];
	return pid;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The nearest-rank percentile of sorted values. */
static double
percentile(const double *sorted, size_t n, double p)
{
	size_t rank = (size_t)(p / 100 * n + 0.999999);

	if (rank < 1)
		rank = 1;
	return sorted[rank > n ? n - 1 : rank - 1];
}

static size_t
parse_count(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || end == s || v < 1 || v > 10000000) {
		fprintf(stderr, "%s: %s: invalid number '%s'\n", prog, what, s);
		exit(2);
	}
	return (size_t)v;
}

int
main(int argc, char *argv[])
{
	size_t nlines = 5000, hz = 1000, len, ndata = 0;
	char *text, *body, *p, **line;
	size_t *linelen;
	double *t_in, *lat, period_ns, max_lat;
	struct reader rd;
	struct timespec start, deadline;
	pthread_t tid;
	pid_t pid;
	int c, to_child, status;

	while ((c = getopt(argc, argv, "+n:r:")) != -1) {
		switch (c) {
		case 'n': nlines = parse_count(optarg, "-n"); break;
		case 'r': hz = parse_count(optarg, "-r"); break;
		default:
			fprintf(stderr, "usage: %s [-n LINES] [-r HZ] INPUT CMD [ARG ...]\n", prog);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2) {
		fprintf(stderr, "usage: %s [-n LINES] [-r HZ] INPUT CMD [ARG ...]\n", prog);
		return 2;
	}

	/* Split INPUT into its header and data lines, newline included. */
	text = slurp(argv[0], &len);
	if ((body = strchr(text, '\n')) == NULL || body[1] == '\0')
		dief("input needs a header and at least one data line");
	body++;
	for (p = body; *p; p++)
		ndata += *p == '\n';
	line = malloc(ndata * sizeof *line);
	linelen = malloc(ndata * sizeof *linelen);
	t_in = malloc(nlines * sizeof *t_in);
	lat = malloc(nlines * sizeof *lat);
	rd.t_out = malloc(nlines * sizeof *rd.t_out);
	if (!line || !linelen || !t_in || !lat || !rd.t_out)
		die("malloc");
	ndata = 0;
	for (p = body; *p; ) {
		char *nl = strchr(p, '\n');

		if (nl == NULL)
			break;
		line[ndata] = p;
		linelen[ndata++] = (size_t)(nl + 1 - p);
		p = nl + 1;
	}

	signal(SIGPIPE, SIG_IGN);	/* a dead command shows as EPIPE */
	pid = spawn(argv + 1, &to_child, &rd.fd);
	rd.want = nlines;
	rd.got = 0;
	rd.header_seen = 0;
	pthread_mutex_init(&rd.lock, NULL);
	pthread_cond_init(&rd.header_cond, NULL);
	if ((errno = pthread_create(&tid, NULL, read_answers, &rd)) != 0)
		die("pthread_create");

	/* Header first; the clock starts once the command has answered it,
	 * so its start-up (loading the model) is not counted as latency. */
	write_all(to_child, text, (size_t)(body - text));
	pthread_mutex_lock(&rd.lock);
	while (rd.header_seen == 0)
		pthread_cond_wait(&rd.header_cond, &rd.lock);
	pthread_mutex_unlock(&rd.lock);
	if (rd.header_seen < 0)
		dief("command ended before writing its header");

	period_ns = 1e9 / hz;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (size_t i = 0; i < nlines; i++) {
		double off = period_ns * i;

		deadline.tv_sec = start.tv_sec + (time_t)(off / 1e9);
		deadline.tv_nsec = start.tv_nsec + (long)(off - (double)(time_t)(off / 1e9) * 1e9);
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
			;
		t_in[i] = now_us();
		write_all(to_child, line[i % ndata], linelen[i % ndata]);
	}
	close(to_child);
	pthread_join(tid, NULL);
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		dief("command failed");
	if (rd.got != nlines) {
		fprintf(stderr, "%s: command wrote %zu lines for %zu\n", prog, rd.got, nlines);
		return 2;
	}

	max_lat = 0;
	for (size_t i = 0; i < nlines; i++) {
		lat[i] = rd.t_out[i] - t_in[i];
		if (lat[i] > max_lat)
			max_lat = lat[i];
	}
	qsort(lat, nlines, sizeof *lat, cmp_double);
	printf("lines=%zu p50_us=%.1f p99_us=%.1f max_us=%.1f\n", nlines,
	    percentile(lat, nlines, 50), percentile(lat, nlines, 99), max_lat);
	return 0;
}
