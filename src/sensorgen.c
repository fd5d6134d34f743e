/* sensorgen: simulate a smart-factory sensor stream as TSV.
 *
 * Every reading is drawn from documented distributions (see sensorgen(1),
 * SIMULATION MODEL), with labelled anomalies planted at random, so that a
 * detector's output can be checked against what was put in.  The output
 * depends only on the options: the same command prints the same bytes on
 * every machine, in any time zone or locale. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mt19937.h"
#include "out.h"
#include "rng.h"
#include "util.h"

/* The same readings on every target: never fuse a*b+c (see mt19937.c). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define NSENSOR 3
#define NS_PER_SEC INT64_C(1000000000)
/* 9999-12-31T23:59:59Z: the last second a four-digit year can name. */
#define LAST_SECOND INT64_C(253402300799)

static const char *const sensor_name[NSENSOR] = {
	"temperature", "humidity", "sound"
};
/* The original simulator's distributions, N(mean, sd). */
static const double normal_mean[NSENSOR] = { 50, 50, 70 };
static const double normal_sd[NSENSOR] = { 5, 10, 8 };
static const double burst_mean[NSENSOR] = { 90, 90, 100 };
static const double burst_sd[NSENSOR] = { 2, 3, 5 };

enum {
	DEFAULT_COUNT = 1050,
	CLASSIC_NORMAL = 1000,
	CLASSIC_ANOMALY = 50,
	DEFAULT_SEED = 42,
	CLASSIC_SEED = 42,
	MAX_DEVICES = 100000
};
#define DEFAULT_RATE (50.0 / 1050.0)
#define MAX_HZ 1e6
#define MAX_INTERVAL 1e9
/* One reading every MAX_INTERVAL seconds: a slower pace would overflow
 * the nanosecond step. */
#define MIN_HZ (1 / MAX_INTERVAL)
/* 2026-01-01T00:00:00Z */
#define DEFAULT_START INT64_C(1767225600)

/* The kinds of anomaly; the order is the order of --kinds' documentation
 * and of the draws, so it must not change. */
enum kind { NONE, BURST, SPIKE, DRIFT, STUCK, DROPOUT, NKIND };
static const char *const kind_name[NKIND] = {
	"none", "burst", "spike", "drift", "stuck", "dropout"
};
/* Lengths of a planted event, in readings of its device. */
static const int kind_min_len[NKIND] = { 0, 1, 1, 20, 10, 1 };
static const int kind_max_len[NKIND] = { 0, 1, 1, 60, 30, 1 };
#define SPIKE_MIN_SD 6.0
#define SPIKE_EXTRA_SD 4.0
#define DRIFT_SD 6.0

/* Random streams of one seed, one per concern, so that changing the
 * anomalies never changes the normal readings around them. */
enum { STREAM_PLAN, STREAM_BASELINE, STREAM_DEVICE0 };

struct options {
	long long count;           /* readings; 0 is endless */
	double anomaly_rate;
	double hz;                 /* 0: as fast as possible */
	int64_t interval_ns;       /* 0: not given */
	int64_t start_sec;
	long start_nsec;
	int start_now;
	long ndevices;             /* 0: no device column */
	unsigned kinds;            /* bit per enum kind; 0: not given */
	uint64_t seed;
	int no_label, classic;
	char delim;
	const char *not_classic;   /* an option --classic cannot take */
};

/* The simulated clock: whole seconds since the epoch and nanoseconds. */
struct sim_clock {
	int64_t sec;
	long nsec;
	int64_t step_sec;
	long step_nsec;
	int decimals;              /* 0, 3, 6 or 9 digits after the second */
};

struct device {
	struct rng rng;            /* its normal readings */
	double mean[NSENSOR], sd[NSENSOR];
	double last[NSENSOR];      /* what it last reported (NAN: nothing) */
	char name[16];
	enum kind event;           /* the anomaly under way, or NONE */
	int sensor;                /* the sensor it affects */
	double sign;               /* its direction, +1 or -1 */
	long length, done;         /* its readings in all and so far */
	double stuck_value;
};

struct sim {
	const struct options *opt;
	struct device *device;
	long ndevice;
	struct rng plan;           /* which readings are anomalous, and how */
	enum kind kind[NKIND];     /* the kinds to plant */
	int nkind;
	double start_prob;         /* chance that a free reading starts one */
	struct sim_clock clock;
	struct out out;
	struct timespec pace_start;
	int64_t pace_step_ns;
};

static const char usage_text[] =
    "usage: sensorgen [-n count] [-a rate] [-r hz] [-i seconds] "
    "[--start time]\n"
    "                 [-D devices] [-k kinds] [--seed n] [--no-label] "
    "[-d char]\n"
    "       sensorgen --classic [-r hz] [--no-label] [-d char]\n";

static const char help_text[] =
    "\nSimulate a smart-factory sensor stream as TSV, with labelled "
    "anomalies.\n\n"
    "  -n, --count N          readings, 0 for endless [1050]\n"
    "  -a, --anomaly-rate F   fraction of anomalous readings [50/1050]\n"
    "      --seed N           seed of the simulation [42]\n"
    "  -r, --rate HZ          pace the output, HZ readings a second\n"
    "                         (1e-09 .. 1000000) [as fast as possible]\n"
    "  -i, --interval SECS    simulated time between readings [1, or 1/HZ\n"
    "                         with -r]\n"
    "      --start TIME       simulated time of the first reading, like\n"
    "                         2026-01-01T00:00:00Z, or now\n"
    "                         [2026-01-01T00:00:00Z]\n"
    "  -D, --devices N        N machines, each with its own baseline [1]\n"
    "  -k, --kinds LIST       anomalies to plant: burst, spike, drift, "
    "stuck,\n"
    "                         dropout [burst]\n"
    "      --no-label         leave out the label and kind columns\n"
    "      --classic          the original data/sensor_data.csv\n"
    "  -d, --delimiter CHAR   field delimiter [tab]\n"
    "  -h, --help             print this help and exit\n"
    "  -V, --version          print the version and exit\n";

/* ---- Parsing the command line ---------------------------------------- */

static int
parse_digits(const char **p, int n, int *value)
{
	int i;

	*value = 0;
	for (i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return 0;
		*value = *value * 10 + (**p - '0');
	}
	return 1;
}

static int
expect(const char **p, char c)
{
	if (**p != c)
		return 0;
	(*p)++;
	return 1;
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int64_t y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil, http://howardhinnant.github.io/date_algorithms.html). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (unsigned)((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1);
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* The inverse: the date of a day number. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* The fraction of "SS.fffZ": up to nine digits. */
static int
parse_fraction(const char **p, long *nsec)
{
	long scale = 100000000;

	*nsec = 0;
	if (!expect(p, '.'))
		return 1;
	if (**p < '0' || **p > '9')
		return 0;
	for (; **p >= '0' && **p <= '9'; (*p)++) {
		if (scale == 0)
			return 0;
		*nsec += (**p - '0') * scale;
		scale /= 10;
	}
	return 1;
}

/* YYYY-MM-DDTHH:MM:SS[.fraction]Z, always UTC. */
static void
parse_start(const char *arg, struct options *opt)
{
	int y, mo, d, h, mi, s;
	const char *p = arg;

	if (strcmp(arg, "now") == 0) {
		opt->start_now = 1;
		return;
	}
	if (!parse_digits(&p, 4, &y) || !expect(&p, '-') ||
	    !parse_digits(&p, 2, &mo) || !expect(&p, '-') ||
	    !parse_digits(&p, 2, &d) || !expect(&p, 'T') ||
	    !parse_digits(&p, 2, &h) || !expect(&p, ':') ||
	    !parse_digits(&p, 2, &mi) || !expect(&p, ':') ||
	    !parse_digits(&p, 2, &s) || !parse_fraction(&p, &opt->start_nsec) ||
	    !expect(&p, 'Z') || *p != '\0')
		usage_error("invalid value '%s' for --start: not a UTC time like "
		            "2026-01-01T00:00:00Z", arg);
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) ||
	    h > 23 || mi > 59 || s > 59)
		usage_error("invalid value '%s' for --start: no such date or "
		            "time", arg);
	opt->start_now = 0;
	opt->start_sec = days_from_civil(y, mo, d) * 86400 + h * 3600 +
	                 mi * 60 + s;
}

static unsigned
parse_kinds(const char *arg)
{
	char *copy = xstrdup(arg), **item;
	size_t n, i;
	unsigned kinds = 0;
	int k;

	item = split_list(copy, &n);
	for (i = 0; i < n; i++) {
		for (k = BURST; k < NKIND; k++)
			if (strcmp(item[i], kind_name[k]) == 0)
				break;
		if (k == NKIND)
			usage_error("invalid value '%s' for --kinds: unknown kind "
			            "'%s' (burst, spike, drift, stuck, dropout)",
			            arg, item[i]);
		kinds |= 1u << k;
	}
	free(item);
	free(copy);
	return kinds;
}

static int64_t
parse_interval(const char *arg)
{
	double seconds = opt_real("--interval", arg, 0, MAX_INTERVAL, 0);
	int64_t ns = (int64_t)llround(seconds * 1e9);

	if (ns < 1)
		usage_error("invalid value '%s' for --interval: must be at least "
		            "one nanosecond", arg);
	return ns;
}

enum {
	OPT_SEED = 256, OPT_START, OPT_NO_LABEL, OPT_CLASSIC
};

static const struct option long_options[] = {
	{ "count", required_argument, NULL, 'n' },
	{ "anomaly-rate", required_argument, NULL, 'a' },
	{ "rate", required_argument, NULL, 'r' },
	{ "interval", required_argument, NULL, 'i' },
	{ "start", required_argument, NULL, OPT_START },
	{ "devices", required_argument, NULL, 'D' },
	{ "kinds", required_argument, NULL, 'k' },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "no-label", no_argument, NULL, OPT_NO_LABEL },
	{ "classic", no_argument, NULL, OPT_CLASSIC },
	{ "delimiter", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
set_defaults(struct options *opt)
{
	memset(opt, 0, sizeof *opt);
	opt->count = DEFAULT_COUNT;
	opt->anomaly_rate = DEFAULT_RATE;
	opt->start_sec = DEFAULT_START;
	opt->seed = DEFAULT_SEED;
	opt->delim = '\t';
}

/* Handle one option; the simulation's own options are remembered so
 * that --classic, which has none of them, can refuse them. */
static void
parse_option(int c, struct options *opt)
{
	const char *name = NULL;

	switch (c) {
	case 'n':
		opt->count = opt_integer("--count", optarg, 0, LLONG_MAX);
		name = "--count";
		break;
	case 'a':
		opt->anomaly_rate = opt_real("--anomaly-rate", optarg, 0, 1, 1);
		name = "--anomaly-rate";
		break;
	case 'r':
		opt->hz = opt_real("--rate", optarg, MIN_HZ, MAX_HZ, 1);
		break;
	case 'i':
		opt->interval_ns = parse_interval(optarg);
		name = "--interval";
		break;
	case OPT_START:
		parse_start(optarg, opt);
		name = "--start";
		break;
	case 'D':
		opt->ndevices = (long)opt_integer("--devices", optarg, 1,
		                                  MAX_DEVICES);
		name = "--devices";
		break;
	case 'k':
		opt->kinds = parse_kinds(optarg);
		name = "--kinds";
		break;
	case OPT_SEED:
		opt->seed = (uint64_t)opt_integer("--seed", optarg, 0,
		                                  LLONG_MAX);
		name = "--seed";
		break;
	case OPT_NO_LABEL:
		opt->no_label = 1;
		break;
	case OPT_CLASSIC:
		opt->classic = 1;
		break;
	case 'd':
		opt->delim = opt_delimiter(optarg);
		break;
	case 'h':
		help_exit(usage_text, help_text);
	case 'V':
		version_exit();
	}
	if (name != NULL && opt->not_classic == NULL)
		opt->not_classic = name;
}

static void
parse_options(int argc, char **argv, struct options *opt)
{
	int c;

	set_defaults(opt);
	opterr = 0; /* getopt would name argv[0], not the program */
	while ((c = getopt_long(argc, argv, ":n:a:r:i:D:k:d:hV", long_options,
	                        NULL)) != -1) {
		if (c == ':' || c == '?')
			opt_bad(c, argv);
		parse_option(c, opt);
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (opt->classic && opt->not_classic != NULL)
		usage_error("--classic cannot be combined with %s",
		            opt->not_classic);
}

/* ---- The simulated clock -------------------------------------------- */

/* Digits after the second that show every tick exactly. */
static int
decimals_for(long nsec)
{
	if (nsec % 1000000000 == 0)
		return 0;
	if (nsec % 1000000 == 0)
		return 3;
	if (nsec % 1000 == 0)
		return 6;
	return 9;
}

static void
clock_init(struct sim_clock *c, const struct options *opt)
{
	int64_t step = opt->interval_ns;

	if (step == 0)
		step = opt->hz > 0 ? (int64_t)llround(1e9 / opt->hz) : NS_PER_SEC;
	if (step < 1)
		step = 1;
	c->step_sec = step / NS_PER_SEC;
	c->step_nsec = (long)(step % NS_PER_SEC);
	c->decimals = decimals_for(c->step_nsec);
	if (opt->start_now) {
		struct timespec now;
		long unit = 1;
		int i;

		if (clock_gettime(CLOCK_REALTIME, &now) != 0)
			die("cannot read the clock:");
		/* Only as precise as the ticks: whole seconds for -i 1. */
		for (i = c->decimals; i < 9; i++)
			unit *= 10;
		c->sec = now.tv_sec;
		c->nsec = now.tv_nsec / unit * unit;
	} else {
		c->sec = opt->start_sec;
		c->nsec = opt->start_nsec;
		if (decimals_for(c->nsec) > c->decimals)
			c->decimals = decimals_for(c->nsec);
	}
}

static void
clock_tick(struct sim_clock *c)
{
	c->sec += c->step_sec;
	c->nsec += c->step_nsec;
	if (c->nsec >= NS_PER_SEC) {
		c->nsec -= NS_PER_SEC;
		c->sec++;
	}
}

static char *
put_digits(char *p, int64_t value, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + value % 10);
		value /= 10;
	}
	return p + width;
}

/* ISO 8601 in UTC, computed here rather than by gmtime so that neither
 * TZ nor the C library's range can change it. */
static void
out_time(struct out *o, const struct sim_clock *c)
{
	/* Nanoseconds per last digit shown, by number of digits. */
	static const long unit[10] = { 1000000000, 0, 0, 1000000, 0, 0, 1000,
	                               0, 0, 1 };
	char buf[40], *p = buf;
	int64_t days, secs, y;
	int m, d;

	days = c->sec / 86400;
	secs = c->sec % 86400;
	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	p = put_digits(p, d, 2);
	*p++ = 'T';
	p = put_digits(p, secs / 3600, 2);
	*p++ = ':';
	p = put_digits(p, secs / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, secs % 60, 2);
	if (c->decimals > 0) {
		*p++ = '.';
		p = put_digits(p, c->nsec / unit[c->decimals], c->decimals);
	}
	*p++ = 'Z';
	out_write(o, buf, (size_t)(p - buf));
}

/* ---- Pacing ---------------------------------------------------------- */

static void
pace_init(struct sim *s)
{
	if (s->opt->hz <= 0)
		return;
	s->pace_step_ns = (int64_t)llround(1e9 / s->opt->hz);
	if (s->pace_step_ns < 1)
		s->pace_step_ns = 1;
	if (clock_gettime(CLOCK_MONOTONIC, &s->pace_start) != 0)
		die("cannot read the clock:");
}

/* Sleep until reading i is due: absolute deadlines from one start, so
 * the time spent writing never accumulates into drift. */
static void
pace_wait(const struct sim *s, long long i)
{
	struct timespec due = s->pace_start;
	int64_t ns;
	int err;

	if (s->opt->hz <= 0 || i == 0)
		return;
	/* Reading i is due i steps after the start, so i * step is the
	 * time already spent: below 2^63 ns for 292 years. */
	ns = (int64_t)i * s->pace_step_ns;
	due.tv_sec += (time_t)(ns / NS_PER_SEC);
	due.tv_nsec += (long)(ns % NS_PER_SEC);
	if (due.tv_nsec >= NS_PER_SEC) {
		due.tv_nsec -= NS_PER_SEC;
		due.tv_sec++;
	}
	while ((err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due,
	                              NULL)) == EINTR)
		;
	if (err != 0) {
		errno = err;
		die("cannot sleep:");
	}
}

/* ---- The simulation ------------------------------------------------- */

static int
digit_count(long n)
{
	int digits = 1;

	while (n >= 10) {
		n /= 10;
		digits++;
	}
	return digits;
}

/* Device names m1..mN, zero-padded to one width so that they sort. */
static void
device_init(struct device *dev, long index, const struct options *opt,
            struct rng *baseline)
{
	int j;

	rng_seed(&dev->rng, opt->seed, STREAM_DEVICE0 + (uint64_t)index);
	for (j = 0; j < NSENSOR; j++) {
		dev->mean[j] = normal_mean[j];
		dev->sd[j] = normal_sd[j];
		dev->last[j] = NAN;
		if (opt->ndevices == 0)
			continue;
		/* A machine of its own: its mean within one standard
		 * deviation of the base, its spread 80% to 120% of it. */
		dev->mean[j] += normal_sd[j] * (2 * rng_uniform(baseline) - 1);
		dev->sd[j] *= 0.8 + 0.4 * rng_uniform(baseline);
	}
	dev->name[0] = 'm';
	*put_digits(dev->name + 1, index + 1, digit_count(opt->ndevices)) = '\0';
	dev->event = NONE;
}

static double
mean_length(enum kind k)
{
	return (kind_min_len[k] + kind_max_len[k]) / 2.0;
}

/* Events of several readings leave fewer readings free to start one, so
 * the chance per free reading is set for the fraction F of anomalous
 * readings: F = q m / (1 - q + q m) for mean length m, solved for q. */
static double
start_probability(double rate, const enum kind *kind, int nkind)
{
	double m = 0;
	int i;

	for (i = 0; i < nkind; i++)
		m += mean_length(kind[i]);
	m /= nkind;
	return rate / (m * (1 - rate) + rate);
}

static void
sim_init(struct sim *s, const struct options *opt)
{
	struct rng baseline;
	unsigned kinds = opt->kinds ? opt->kinds : 1u << BURST;
	long i;
	int k;

	memset(s, 0, sizeof *s);
	s->opt = opt;
	s->nkind = 0;
	for (k = BURST; k < NKIND; k++)
		if (kinds & 1u << k)
			s->kind[s->nkind++] = (enum kind)k;
	s->start_prob = start_probability(opt->anomaly_rate, s->kind,
	                                  s->nkind);
	rng_seed(&s->plan, opt->seed, STREAM_PLAN);
	rng_seed(&baseline, opt->seed, STREAM_BASELINE);
	s->ndevice = opt->ndevices ? opt->ndevices : 1;
	s->device = xreallocarray(NULL, (size_t)s->ndevice, sizeof *s->device);
	for (i = 0; i < s->ndevice; i++)
		device_init(&s->device[i], i, opt, &baseline);
	clock_init(&s->clock, opt);
	out_init(&s->out, STDOUT_FILENO, "standard output");
	pace_init(s);
}

static long
uniform_length(struct rng *r, enum kind k)
{
	return kind_min_len[k] +
	       (long)rng_below(r, (uint64_t)(kind_max_len[k] - kind_min_len[k]
	                                     + 1));
}

/* Perhaps start an anomaly on a device that has none under way.  All the
 * draws for it come from the plan stream. */
static void
maybe_start_event(struct sim *s, struct device *dev)
{
	struct rng *r = &s->plan;
	int j;

	if (s->start_prob <= 0 || rng_uniform(r) >= s->start_prob)
		return;
	dev->event = s->kind[rng_below(r, (uint64_t)s->nkind)];
	dev->sensor = (int)rng_below(r, NSENSOR);
	dev->sign = rng_below(r, 2) ? 1 : -1;
	dev->length = uniform_length(r, dev->event);
	dev->done = 0;
	j = dev->sensor;
	dev->stuck_value = isnan(dev->last[j]) ? dev->mean[j] : dev->last[j];
}

/* Replace the normal readings v[] by the anomaly under way. */
static void
apply_event(struct sim *s, struct device *dev, double *v)
{
	int j = dev->sensor;

	dev->done++;
	switch (dev->event) {
	case BURST:
		for (j = 0; j < NSENSOR; j++)
			v[j] = burst_mean[j] +
			       burst_sd[j] * rng_normal(&s->plan);
		break;
	case SPIKE:
		v[j] = dev->mean[j] + dev->sign * dev->sd[j] *
		       (SPIKE_MIN_SD + SPIKE_EXTRA_SD * rng_uniform(&s->plan));
		break;
	case DRIFT:
		v[j] += dev->sign * DRIFT_SD * dev->sd[j] *
		        (double)dev->done / (double)dev->length;
		break;
	case STUCK:
		v[j] = dev->stuck_value;
		break;
	case DROPOUT:
		v[j] = NAN;
		break;
	default:
		break;
	}
}

/* One reading of a device: its normal values are always drawn, even when
 * an anomaly replaces them, so the normal readings of a seed stay the
 * same whatever anomalies are planted.  Returns the kind planted. */
static enum kind
simulate(struct sim *s, struct device *dev, double *v)
{
	enum kind planted;
	int j;

	for (j = 0; j < NSENSOR; j++)
		v[j] = dev->mean[j] + dev->sd[j] * rng_normal(&dev->rng);
	if (dev->event == NONE)
		maybe_start_event(s, dev);
	planted = dev->event;
	if (planted != NONE) {
		apply_event(s, dev, v);
		if (dev->done == dev->length)
			dev->event = NONE;
	}
	for (j = 0; j < NSENSOR; j++)
		dev->last[j] = v[j];
	return planted;
}

/* ---- Output ---------------------------------------------------------- */

static void
out_reading(struct out *o, double x)
{
	if (isnan(x))
		out_write(o, "NA", 2);
	else
		out_real(o, x);
}

static void
write_header(struct sim *s)
{
	struct out *o = &s->out;
	char d = s->opt->delim;
	int j;

	out_str(o, "time");
	if (s->opt->ndevices) {
		out_char(o, d);
		out_str(o, "device");
	}
	for (j = 0; j < NSENSOR; j++) {
		out_char(o, d);
		out_str(o, sensor_name[j]);
	}
	if (!s->opt->no_label) {
		out_char(o, d);
		out_str(o, "label");
		if (s->opt->kinds) {
			out_char(o, d);
			out_str(o, "kind");
		}
	}
	out_char(o, '\n');
}

static void
write_row(struct sim *s, const struct device *dev, const double *v,
          enum kind planted)
{
	struct out *o = &s->out;
	char d = s->opt->delim;
	int j;

	out_time(o, &s->clock);
	if (s->opt->ndevices) {
		out_char(o, d);
		out_str(o, dev->name);
	}
	for (j = 0; j < NSENSOR; j++) {
		out_char(o, d);
		out_reading(o, v[j]);
	}
	if (!s->opt->no_label) {
		out_char(o, d);
		out_char(o, planted != NONE ? '1' : '0');
		if (s->opt->kinds) {
			out_char(o, d);
			out_str(o, kind_name[planted]);
		}
	}
	out_char(o, '\n');
}

static void
run_stream(const struct options *opt)
{
	struct sim s;
	long long i;

	sim_init(&s, opt);
	write_header(&s);
	if (opt->hz > 0)
		out_flush(&s.out);
	for (i = 0; opt->count == 0 || i < opt->count; i++) {
		struct device *dev = &s.device[i % s.ndevice];
		double v[NSENSOR];
		enum kind planted = simulate(&s, dev, v);

		if (s.clock.sec > LAST_SECOND) {
			out_flush(&s.out); /* the readings so far are good */
			die("the simulated clock passed 9999-12-31T23:59:59Z");
		}
		pace_wait(&s, i);
		write_row(&s, dev, v, planted);
		if (opt->hz > 0)
			out_flush(&s.out);
		clock_tick(&s.clock);
	}
	out_finish(&s.out);
	free(s.device);
}

/* ---- --classic: the original data/sensor_data.csv -------------------- */

/* np.random.seed(42); each column drawn as one np.random.normal block:
 * the normal temperatures, humidities, sounds, then the anomalies'. */
static void
classic_values(double v[][NSENSOR])
{
	struct mt19937 mt;
	int j, i;

	mt19937_seed(&mt, CLASSIC_SEED);
	for (j = 0; j < NSENSOR; j++)
		for (i = 0; i < CLASSIC_NORMAL; i++)
			v[i][j] = mt19937_normal(&mt, normal_mean[j],
			                         normal_sd[j]);
	for (j = 0; j < NSENSOR; j++)
		for (i = CLASSIC_NORMAL; i < CLASSIC_NORMAL + CLASSIC_ANOMALY;
		     i++)
			v[i][j] = mt19937_normal(&mt, burst_mean[j],
			                         burst_sd[j]);
}

static void
run_classic(const struct options *opt)
{
	static double v[CLASSIC_NORMAL + CLASSIC_ANOMALY][NSENSOR];
	struct sim s;
	int i, j;

	classic_values(v);
	memset(&s, 0, sizeof s);
	s.opt = opt;
	out_init(&s.out, STDOUT_FILENO, "standard output");
	pace_init(&s);
	for (j = 0; j < NSENSOR; j++) {
		if (j > 0)
			out_char(&s.out, opt->delim);
		out_str(&s.out, sensor_name[j]);
	}
	if (!opt->no_label) {
		out_char(&s.out, opt->delim);
		out_str(&s.out, "label");
	}
	out_char(&s.out, '\n');
	for (i = 0; i < CLASSIC_NORMAL + CLASSIC_ANOMALY; i++) {
		pace_wait(&s, i);
		for (j = 0; j < NSENSOR; j++) {
			if (j > 0)
				out_char(&s.out, opt->delim);
			out_real(&s.out, v[i][j]);
		}
		if (!opt->no_label) {
			out_char(&s.out, opt->delim);
			out_char(&s.out, i < CLASSIC_NORMAL ? '0' : '1');
		}
		out_char(&s.out, '\n');
		if (opt->hz > 0)
			out_flush(&s.out);
	}
	out_finish(&s.out);
}

int
main(int argc, char **argv)
{
	struct options opt;

	set_progname(argv[0]);
	parse_options(argc, argv, &opt);
	if (opt.classic)
		run_classic(&opt);
	else
		run_stream(&opt);
	return 0;
}
