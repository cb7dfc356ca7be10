/* Fuzzes the runs CSV reader (zs_runs_parse, from memory), strict and with skip_invalid;
 * every row it keeps must satisfy the documented invariants. */
#include <math.h>

#include "zipscale/fit.h"

#include "fuzz_util.h"

static void check(const zs_runs *r) {
    for (size_t i = 0; i < r->n_rows; i++) {
        FUZZ_CHECK(r->n_params[i] > 0 && r->n_tokens[i] > 0 && r->loss_nats[i] > 0, "row %zu", i);
        FUZZ_CHECK(r->weight[i] > 0, "row %zu weight", i);
        FUZZ_CHECK(r->dataset_index[i] < r->n_datasets, "row %zu dataset", i);
    }
    size_t *rows = malloc((r->n_rows ? r->n_rows : 1) * sizeof *rows);
    FUZZ_CHECK(rows, "malloc");
    size_t total = 0;
    for (size_t d = 0; d < r->n_datasets; d++) {
        total += zs_runs_dataset_rows(r, d, rows);
        FUZZ_CHECK(zs_runs_dataset_label(r, d), "label %zu", d);
    }
    FUZZ_CHECK(total == r->n_rows, "every row in one dataset");
    free(rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    for (int skip = 0; skip <= 1; skip++) {
        zs_runs r;
        zs_error err;
        if (zs_runs_parse(&r, (const char *)data, size, "fuzz.csv", NULL, skip, &err)) continue;
        check(&r);
        zs_runs_free(&r);
    }
    return 0;
}
