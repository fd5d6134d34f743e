/* libFuzzer harness for the TSV reader and the number parser: any bytes
 * as an input file, with a header or headerless, every field of every
 * record parsed as a feature.
 * The reader's reports go to stderr: make fuzz runs with -close_fd_mask=2. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tsv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[] = "/tmp/iftools-fuzz-tsv-XXXXXX";
static int fd = -1;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *paths[1] = { path };
	struct tsv t;
	size_t cols[64], i;
	double x[64];

	if (fd < 0) {
		fd = mkstemp(path);
		if (fd < 0)
			abort();
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	tsv_open(&t, paths, 1, '\t');
	/* Half the inputs are read headerless, as with --columns. */
	if (size > 0 && (data[0] & 1))
		tsv_set_columns(&t, "a,b,c,d", "--columns");
	if (tsv_read_header(&t)) {
		size_t n = t.ncolumn < 64 ? t.ncolumn : 64;

		for (i = 0; i < n; i++)
			cols[i] = i;
		while (tsv_next(&t))
			(void)tsv_features(&t, cols, n, x);
	}
	tsv_close(&t);
	return 0;
}
