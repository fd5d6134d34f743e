/* libFuzzer harness for the TSV reader and the number parser: any bytes
 * as an input file, read twice (as two inputs, the second repeating the
 * header, or headerless for half the inputs, as with --columns), every
 * field of every record parsed as a feature, every column found by its
 * name, and every record escaped as a message would show it.
 * The reader's reports go to stderr: make fuzz runs with -close_fd_mask=2. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tsv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[] = "/tmp/iftools-fuzz-tsv-XXXXXX";
static int fd = -1;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *paths[2] = { path, path };
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
	tsv_open(&t, paths, 2, '\t');
	/* Half the inputs are read headerless, as with --columns. */
	if (size > 0 && (data[0] & 1))
		tsv_set_columns(&t, "a,b,c,d", "--columns");
	if (tsv_read_header(&t)) {
		size_t n = t.ncolumn < 64 ? t.ncolumn : 64;

		/* Column names are unique, so each is found where it is. */
		for (i = 0; i < t.ncolumn; i++)
			if (tsv_column(&t, t.column[i]) != (long)i)
				abort();
		for (i = 0; i < n; i++)
			cols[i] = i;
		while (tsv_next(&t)) {
			char *shown = escape_text(t.record, t.record_len);

			if (strlen(shown) < t.record_len)
				abort();
			free(shown);
			(void)tsv_features(&t, cols, n, x);
		}
	}
	tsv_close(&t);
	return 0;
}
