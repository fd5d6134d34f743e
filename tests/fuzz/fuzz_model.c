/* libFuzzer harness for the model loader: any bytes as a model, parsed in
 * memory and loaded from a file through the loader's window (built tiny
 * for fuzzing, -DMODEL_WINDOW_BYTES=64, so that lines cross refills):
 * both must agree on whether it loads and on the message.  A model that
 * loads is scored on complete and incomplete rows, ordinary
 * and extreme (+-1e308 and +-DBL_MAX, whose differences overflow and
 * whose hyperplane sums can be inf - inf; subnormals), by the general walk
 * and by the block walk, which must agree to the last bit, and written out
 * again. */
#include <float.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[] = "/tmp/iftools-fuzz-model-XXXXXX";
static int fd = -1;

/* The same bytes from a file: the same verdict, the same message after
 * the file's name, the same score of a row. */
static void
check_file(const uint8_t *data, size_t size, int parsed,
           const char *parse_error, const struct model *m)
{
	char error[512];
	struct model f;
	int loaded;

	if (fd < 0 && (fd = mkstemp(path)) < 0)
		abort();
	if (ftruncate(fd, 0) != 0 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	loaded = model_load(&f, path, error, sizeof error) == 0;
	if (loaded != parsed)
		abort();
	if (!loaded) {
		/* "fuzz:LINE: ..." against "/tmp/...:LINE: ...", or the
		 * opening's own messages for what has no magic. */
		const char *a = strchr(parse_error, ':');
		const char *b = error + strlen(path);

		if (strncmp(error, path, strlen(path)) != 0)
			return; /* "cannot read model '...'" */
		/* A file's magic is checked before it is read as lines. */
		if (strncmp((const char *)data, "iforest ", size < 8 ? size : 8) &&
		    strncmp(b, ":1: not an iftools model", 24) == 0)
			return;
		/* Compared as far as neither was cut short to fit. */
		if (a == NULL || strncmp(a, b, sizeof error - 1 - strlen(path) -
		                                   1) != 0)
			abort();
		return;
	}
	{
		size_t d = m->forest.nfeature;
		double *x = calloc(d, sizeof *x);

		if (x != NULL && memcmp(&(double){ forest_score(&m->forest, x) },
		                        &(double){ forest_score(&f.forest, x) },
		                        sizeof(double)) != 0)
			abort();
		free(x);
	}
	model_free(&f);
}

enum { BLOCK_ROWS = 37 }; /* two groups of sixteen and a short one */

/* Values far out, and tiny: each row from 21 on takes them in turn, a
 * feature's value and its neighbour's of opposite sign, so the sum of a
 * plane through both can be inf - inf. */
static const double extreme[] = {
	1e308, -1e308, DBL_MAX, -DBL_MAX, 4.9e-324, -4.9e-324,
	2.2250738585072014e-308, 1.5e308, -1.7e308, 0.0
};
enum { NEXTREME = sizeof extreme / sizeof extreme[0] };

/* Score BLOCK_ROWS varied rows, one with a missing value, both ways. */
static void
check_block(const struct forest *f)
{
	size_t d = f->nfeature, r, i;
	double *rows = calloc(BLOCK_ROWS * d, sizeof *rows);
	double scores[BLOCK_ROWS];

	if (rows == NULL)
		return;
	for (r = 0; r < BLOCK_ROWS; r++)
		for (i = 0; i < d; i++)
			rows[r * d + i] = r < 21 ?
			    ((double)r - 10) * (double)(i + 1) *
			    (r % 3 ? 0.37 : 1e3) :
			    extreme[(r + i / 2) % NEXTREME] *
			    (i % 2 ? -1 : 1);
	rows[7 * d] = NAN;
	forest_score_block(f, rows, BLOCK_ROWS, scores);
	for (r = 0; r < BLOCK_ROWS; r++)
		if (memcmp(&scores[r], &(double){ forest_score(f, rows + r * d) },
		           sizeof(double)) != 0)
			abort();
	free(rows);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), error[512];
	struct model m;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (model_parse(&m, text, size, "fuzz", error, sizeof error) != 0) {
		check_file(data, size, 0, error, NULL);
	} else {
		size_t d = m.forest.nfeature, i;
		double *x = calloc(d, sizeof *x), s[2];
		int null = open("/dev/null", O_WRONLY);

		check_file(data, size, 1, NULL, &m);
		/* The loader leaves the layout to the caller. */
		forest_prepare(&m.forest);
		if (x != NULL) {
			/* A model that loads scores every row in (0, 1]. */
			s[0] = forest_score(&m.forest, x);
			for (i = 0; i < d; i += 2)
				x[i] = NAN;
			s[1] = forest_score(&m.forest, x);
			if (!(s[0] > 0 && s[0] <= 1 && s[1] > 0 && s[1] <= 1))
				abort();
			check_block(&m.forest);
		}
		if (null >= 0) {
			model_write(&m, null, "/dev/null");
			close(null);
		}
		free(x);
		model_free(&m);
	}
	free(text);
	return 0;
}
