/* context.h: features over time, per series (iftrain -w, -g).
 *
 * Beside each raw feature (a sensor), a model with context has features
 * computed from the last N known readings of the same series, causally:
 * from the current reading and earlier ones only.  A series is every row
 * with one value of the group column (a machine), or the whole input
 * without one; rows of different series may be interleaved in any way.
 *
 * The kinds, for a sensor x whose window holds the last n <= N known
 * readings, the current one included:
 *
 *	mean	SENSOR@meanN	the mean of the window
 *	std	SENSOR@stdN	its standard deviation (population, 1/n)
 *	dev	SENSOR@devN	x minus the mean of the readings before it
 *	trend	SENSOR@trendN	the t statistic of the least-squares slope of
 *				the window: the slope over its standard
 *				error, so a steady drift stands out and a
 *				step (ramp then drop) much less
 *	same	SENSOR@same	how exactly x repeats the reading before it:
 *				-log2(|x - p| / (|x| + |p|)), at most 64,
 *				and 64 when x == p (a stuck sensor)
 *
 * Without a group column, a sensor whose readings do not behave as a
 * series in the training rows has none of them (CONTEXT_SERIES_MIN).
 *
 * A missing reading is left out of its window: its own dev and same are
 * missing, mean and std are those of the window as it is.  dev and same
 * are missing for a series' first reading, trend until the window has
 * three readings (and it is +-1e6 for a window exactly on a line); until a series has N readings
 * the window holds what it has. */
#ifndef IFTOOLS_CONTEXT_H
#define IFTOOLS_CONTEXT_H

#include <stddef.h>

enum context_kind { CONTEXT_MEAN, CONTEXT_STD, CONTEXT_DEV, CONTEXT_TREND,
                    CONTEXT_SAME, NCONTEXT };

/* The most readings a window may hold, and the default cap on series. */
enum { CONTEXT_WINDOW_MAX = 1 << 20, CONTEXT_GROUPS_DEFAULT = 10000 };
/* The state's memory may not exceed this many bytes at the cap. */
#define CONTEXT_MEMORY_MAX ((size_t)1 << 32)

/* The kinds -w adds unless --context says otherwise (iftrain(1) has the
 * measurements).  For a fleet (-g), the two that do not depend on a
 * machine's level or spread, so that one model serves machines it was not
 * trained on; for one series, its recent level. */
#define CONTEXT_FLEET_KINDS (1u << CONTEXT_TREND | 1u << CONTEXT_SAME)
#define CONTEXT_SERIES_KINDS (1u << CONTEXT_MEAN)

/* Without a group column, a column has context features only when it
 * behaves as a series in the training rows' order: the lag-1
 * autocorrelation of its first rows at least this (iftrain --series-min). */
#define CONTEXT_SERIES_MIN 0.5

struct context_recipe {
	unsigned window;   /* N; 0: the model has no context */
	unsigned kinds;    /* a bit per enum context_kind */
	char *group;       /* the group column, or NULL: one series */
	size_t *sensor;    /* the raw features with context, ascending (model
	                    * version 3); NULL: every raw feature */
	size_t nsensor;    /* how many, when sensor is not NULL */
};

/* "mean,std,dev,same" into kinds; 0, or -1 with the bad name in *bad. */
int context_parse_kinds(const char *list, unsigned *kinds, const char **bad,
                        size_t *bad_len);
/* --context LIST, or a usage error naming the bad kind. */
void opt_context_kinds(const char *arg, unsigned *kinds);
/* The kinds as a list, "mean,std" (at most 32 bytes). */
void context_kinds_text(unsigned kinds, char *buf, size_t size);
/* How many of nraw raw features have context, and which is the j-th. */
size_t context_nsensor(const struct context_recipe *r, size_t nraw);
size_t context_sensor(const struct context_recipe *r, size_t j);
/* The number of features a recipe adds to nraw raw ones. */
size_t context_count(const struct context_recipe *r, size_t nraw);
/* The name of context feature i (0 .. context_count - 1): kinds in enum
 * order, and for each kind the sensors with context in order; allocated. */
char *context_name(const struct context_recipe *r, char *const *raw,
                   size_t nraw, size_t i);
/* Whether max_groups series fit in CONTEXT_MEMORY_MAX bytes. */
int context_fits(const struct context_recipe *r, size_t nraw,
                 size_t max_groups);

struct context;

struct context *context_new(const struct context_recipe *r, size_t nraw,
                            size_t max_groups);
void context_free(struct context *c);

/* Fill x[nraw ..] from the readings x[0 .. nraw) and their series' past,
 * then add the readings to it.  group is the group column's value (not
 * read without a group column).  Returns 0, or -1 when the row starts a
 * series beyond the cap (nothing is changed). */
int context_apply(struct context *c, const char *group, size_t group_len,
                  double *x);

/* The series' state, for a state file (ifscore --state): how many
 * series there are, series s as one line, and a line read back as the
 * next series (0, or -1 with what is wrong in *why). */
struct out;
size_t context_nseries(const struct context *c);
void context_write_series(const struct context *c, size_t s, struct out *o);
int context_read_series(struct context *c, const char *line,
                        const char **why);

#endif
