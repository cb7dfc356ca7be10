/* Fuzzes the sweep ledger reader: the input is DIR/ledger/sweep.db (a SQLite file, with no
 * journal beside it); the status, the status table and the export read it. */
#include <sys/stat.h>

#include "zipscale/sweep.h"

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char dir[FUZZ_PATH_MAX];
    if (!dir[0]) {
        fuzz_path(dir, "ledger");
        FUZZ_CHECK(mkdir(dir, 0700) == 0, "mkdir %s", dir);
    }
    char path[FUZZ_PATH_MAX];
    static const char *const leftovers[] = {"ledger/sweep.db-journal", "ledger/sweep.db-wal",
                                            "ledger/sweep.db-shm", "ledger/runs.csv"};
    for (size_t i = 0; i < sizeof leftovers / sizeof *leftovers; i++) {
        fuzz_path(path, leftovers[i]);
        (void)unlink(path);
    }
    fuzz_write(path, "ledger/sweep.db", data, size);
    zs_error err;
    zs_sweep_counts counts;
    if (zs_sweep_status(dir, &counts, &err)) return 0;
    FILE *null = fopen("/dev/null", "w");
    FUZZ_CHECK(null, "/dev/null");
    (void)zs_sweep_status_print(dir, null, &err);
    fclose(null);
    char csv[FUZZ_PATH_MAX];
    fuzz_path(csv, "ledger/runs.csv");
    size_t rows = 0;
    (void)zs_sweep_export(dir, csv, &rows, &err);
    return 0;
}
