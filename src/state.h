/* state.h: ifscore's state file (--state FILE): what an adapting stream
 * has learnt, so that a restart carries on where the last run stopped.
 *
 * A text file (iforest(5), STATE FILES): a header of key-value lines with
 * the stream's counters and the hash of the model file it started from,
 * the window's rows, a section for per-group context state, then the
 * adapted forest as a whole model file.  It is written to a temporary
 * file beside FILE, synced and renamed into place, so a crash leaves the
 * previous state whole. */
#ifndef IFTOOLS_STATE_H
#define IFTOOLS_STATE_H

#include <stdint.h>

struct adapt;
struct context;
struct model;

/* FNV-1a of the model file's bytes: a state belongs to one model file.
 * Dies when it cannot be read. */
uint64_t state_model_hash(const char *model_path);

/* Load FILE into m (replacing the forest read from the model file), a
 * (set up by adapt_init for window and all) and ctx (new, or NULL for a
 * model without context).  Returns 0 when FILE does not exist, 1 when
 * loaded; dies naming FILE when it cannot be read, is corrupt, or belongs
 * to another model or window. */
int state_load(const char *path, const char *model_path,
               uint64_t model_hash, struct model *m, struct adapt *a,
               struct context *ctx);

/* Write the state atomically; dies naming FILE on failure. */
void state_save(const char *path, uint64_t model_hash,
                const struct model *m, const struct adapt *a,
                const struct context *ctx);

#endif
