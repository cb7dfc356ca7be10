/* Fuzzes the per-subtask curves reader (zs_quanta_curves_read_log on DIR/log.jsonl), then
 * the emergence analysis and its JSON on what it accepts: the curves must pass
 * zs_quanta_curves_check, and every learning point must be below the threshold. */
#include <math.h>
#include <stdlib.h>

#include "zipscale/quanta.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[FUZZ_PATH_MAX];
    fuzz_write(path, "log.jsonl", data, size);
    zs_quanta_curves c;
    zs_error err;
    if (zs_quanta_curves_read_log(&c, path, &err)) return 0;
    FUZZ_CHECK(zs_quanta_curves_check(&c, &err) == ZS_OK, "check: %s", err.msg);
    zs_quanta_emergence_opts o;
    zs_quanta_emergence_opts_init(&o);
    o.bootstrap = 20;
    zs_quanta_emergence e;
    FUZZ_CHECK(zs_quanta_emergence_analyse(&c, &o, &e, &err) == ZS_OK, "analyse: %s", err.msg);
    for (size_t s = 0; s < e.n_subtasks; s++)
        if (e.learning[s].learned)
            FUZZ_CHECK(c.loss_nats[s * c.n_points + e.learning[s].point] < e.threshold_nats,
                       "subtask %zu", s);
    FUZZ_CHECK(e.n_learned_by[e.n_points - 1] == e.n_learned, "n_learned_by");
    char *text = NULL;
    FUZZ_CHECK(zs_quanta_emergence_format(&e, &c, path, 1, &text, NULL, &err) == ZS_OK, "format");
    free(text);
    zs_quanta_emergence_free(&e);
    zs_quanta_curves_free(&c);
    return 0;
}
