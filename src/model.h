/* model.h: the model file, a self-describing text format (iforest(5)).
 *
 *	iforest VERSION      1, or 2 when a rule of version 2 is used
 *	KEY VALUE            one line per parameter, each exactly once
 *	                     (features, trees, sample_size, c_psi,
 *	                     contamination, threshold, seed, rows, extension;
 *	                     version 2: window, context, group, penalize_range)
 *	feature NAME         one line per feature, in order, after 'features'
 *	tree INDEX NODES     then NODES lines, one per node:
 *	  ID split FEATURE VALUE [LOW HIGH] LEFT RIGHT SIZE
 *	  ID plane K (FEATURE NORMAL POINT)xK [LOW HIGH] LEFT RIGHT SIZE
 *	                     (LOW HIGH with penalize_range 1)
 *	  ID leaf SIZE
 *	end
 *
 * Reals are written with 17 significant digits, so a reloaded model scores
 * bit-identically and write, read, write gives the same bytes. */
#ifndef IFTOOLS_MODEL_H
#define IFTOOLS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "forest.h"

#define MODEL_MAGIC "iforest"
/* The newest version this program reads and writes.  A model is written
 * as the oldest version that holds it, so a model that uses nothing new
 * reads as before everywhere. */
#define MODEL_VERSION 3

struct model {
	struct forest forest;
	char **feature;         /* forest.nfeature names */
	double threshold;       /* scores above it are anomalies */
	double contamination;   /* 0 means "auto" (threshold 0.5) */
	uint64_t seed;
	uint64_t rows;          /* rows trained on */
	/* Version 2: context features (context.h).  The first nraw features
	 * are input columns, the rest computed by the recipe. */
	struct context_recipe context;
	size_t nraw;
};

/* Load a model: 0, or -1 with "PATH:LINE: problem" in error (and nothing
 * left allocated).  Its block layout is not built: forest_prepare does
 * that, when enough rows are to be scored to repay it.  model_parse reads text[0..len) (NUL-terminated), named
 * name in messages. */
int model_load(struct model *m, const char *path, char *error,
               size_t error_len);
int model_parse(struct model *m, char *text, size_t len, const char *name,
                char *error, size_t error_len);
/* Write to fd; a failed write dies naming `name`. */
void model_write(const struct model *m, int fd, const char *name);
struct out;
/* The lines before the first tree, as model_write writes them. */
void model_write_header(struct out *o, const struct model *m);
void model_free(struct model *m);

#endif
