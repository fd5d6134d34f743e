/* libFuzzer harness for the model loader: any bytes as a model file; a
 * model that loads is scored on complete and incomplete rows and written
 * out again. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), error[256];
	struct model m;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (model_parse(&m, text, size, "fuzz", error, sizeof error) == 0) {
		size_t d = m.forest.nfeature, i;
		double *x = calloc(d, sizeof *x), s[2];
		int null = open("/dev/null", O_WRONLY);

		if (x != NULL) {
			/* A model that loads scores every row in (0, 1]. */
			s[0] = forest_score(&m.forest, x);
			for (i = 0; i < d; i += 2)
				x[i] = NAN;
			s[1] = forest_score(&m.forest, x);
			if (!(s[0] > 0 && s[0] <= 1 && s[1] > 0 && s[1] <= 1))
				abort();
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
