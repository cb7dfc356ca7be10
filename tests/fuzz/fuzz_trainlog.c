/* Fuzzes the training log reader (zs_trainlog_read on DIR/log.jsonl); every record it
 * accepts must hold finite numbers and tokens >= 0, as documented. */
#include <math.h>

#include "zipscale/figures.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[FUZZ_PATH_MAX];
    fuzz_write(path, "log.jsonl", data, size);
    zs_trainlog log;
    zs_error err;
    if (zs_trainlog_read(&log, path, &err)) return 0;
    FUZZ_CHECK(log.n > 0 && log.n_val <= log.n, "counts");
    for (size_t i = 0; i < log.n; i++)
        FUZZ_CHECK(isfinite(log.step[i]) && isfinite(log.tokens[i]) && log.tokens[i] >= 0 &&
                       isfinite(log.train_loss[i]),
                   "record %zu", i);
    zs_trainlog_free(&log);
    return 0;
}
