/* Errors name fields, the CLI names flags (core.h's error contract, rule 2): zs_fail_field
 * records the field, library messages carry no "--", and each command puts its own flag
 * in front of the message. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/zipscale.h"

#define EXAMPLE ZS_SOURCE_DIR "/tests/data/fit/runs.csv"

Test(error_field, recorded_by_zs_fail_field_and_cleared_by_zs_fail) {
    zs_error err = {0};
    cr_assert_eq(zs_fail_field(&err, ZS_ERR_USAGE, "lr_max", "lr_max = %d: expected > 0", -1),
                 ZS_ERR_USAGE);
    cr_assert_eq(err.code, ZS_ERR_USAGE);
    cr_assert_str_eq(err.msg, "lr_max = -1: expected > 0");
    cr_assert_str_eq(err.field, "lr_max");
    /* A later plain failure (e.g. a caller wrapping the message) names no field. */
    zs_fail(&err, ZS_ERR_IO, "x: cannot open");
    cr_assert_str_eq(err.field, "");
    zs_fail_field(&err, ZS_ERR_USAGE, "tokens,steps", "give one of tokens and steps");
    cr_assert_str_eq(err.field, "tokens,steps");
    zs_error_clear(&err);
    cr_assert_str_eq(err.field, "");
    cr_assert_str_eq(err.msg, "");
    /* Too long a name is cut, never overflowed; NULL err is allowed. */
    char longname[200];
    memset(longname, 'f', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    zs_fail_field(&err, ZS_ERR_USAGE, longname, "m");
    cr_assert_eq(strlen(err.field), ZS_ERROR_FIELD_MAX - 1);
    cr_assert_eq(zs_fail_field(NULL, ZS_ERR_RANGE, "f", "m"), ZS_ERR_RANGE);
}

/* The message names `field` and no flag; err.field is `field`. */
static void expect_field(const zs_error *err, const char *field, const char *words) {
    cr_assert_str_eq(err->field, field, "%s", err->msg);
    cr_assert(strstr(err->msg, words), "expected '%s' in: %s", words, err->msg);
    cr_assert_null(strstr(err->msg, "--"), "a flag in a library message: %s", err->msg);
}

Test(error_field, library_messages_name_fields_not_flags) {
    zs_error err = {0};
    zs_fit_grid grid;
    zs_fit_grid_default(&grid);
    cr_assert_eq(zs_fit_grid_parse("q=0:1:1", &grid, &err), ZS_ERR_USAGE);
    expect_field(&err, "grid", "grid: unknown axis 'q'");

    zs_train_opts o;
    zs_train_opts_init(&o);
    o.model.gpt.context = 16;
    o.data_path = "d.npy";
    o.out_dir = "out";
    o.steps = 10;
    o.batch = 0;
    cr_assert_eq(zs_train_opts_check(&o, &err), ZS_ERR_USAGE);
    expect_field(&err, "batch", "batch: expected at least 1, got 0");
    o.batch = 8;
    o.val_fraction = 1.5;
    cr_assert_eq(zs_train_opts_check(&o, &err), ZS_ERR_USAGE);
    expect_field(&err, "val_fraction", "val_fraction: expected a fraction in (0, 1), got 1.5");
    o.val_fraction = 0.1;
    o.tokens = 100;
    cr_assert_eq(zs_train_opts_check(&o, &err), ZS_ERR_USAGE);
    expect_field(&err, "tokens,steps", "give one of tokens and steps, not both");

    zs_lr_schedule lr = {.kind = ZS_LR_CONSTANT, .lr_max = -1, .total_steps = 10};
    cr_assert_eq(zs_lr_schedule_check(&lr, &err), ZS_ERR_USAGE);
    expect_field(&err, "lr_max", "lr_max = -1");

    zs_runs runs;
    cr_assert_eq(zs_runs_parse(&runs, "N,loss\n1,2\n", 11, "r.csv", NULL, 0, &err), ZS_ERR_FORMAT);
    expect_field(&err, "columns.n_tokens", "r.csv:1: missing column 'D' in the header");

    cr_assert_eq(zs_runs_parse(&runs, "N,D,loss\n1,2,3\n", 15, "r.csv", NULL, 0, &err), ZS_OK);
    zs_fit_table_opts fo;
    zs_fit_table_opts_init(&fo);
    fo.level = 2;
    zs_lawfile law;
    cr_assert_eq(zs_fit_table(&runs, "r.csv", &fo, &law, &err), ZS_ERR_USAGE);
    expect_field(&err, "level", "level 2: expected a number in (0, 1)");
    zs_runs_free(&runs);

    const char *raw = zs_test_path("raw.tok");
    cr_assert_eq(zs_test_write(raw, "abcd", 4), 0);
    zs_tokens t;
    cr_assert_eq(zs_tokens_open(&t, raw, NULL, &err), ZS_ERR_USAGE);
    expect_field(&err, "raw_dtype", "a raw token file needs its dtype given");
}

/* `zipscale ARGS` fails with `code`, and its stderr holds `words`. */
static void expect_cli(int code, const char *words, const char *args) {
    zs_run r = zs_test_cli("%s", args);
    cr_assert_eq(r.exit_code, code, "%s: exit %d: %s", args, r.exit_code, r.err);
    cr_assert(strstr(r.err, words), "%s: expected '%s' in: %s", args, words, r.err);
    zs_run_free(&r);
}

Test(error_field, the_cli_maps_fields_to_its_flags) {
    char line[1200];
    snprintf(line, sizeof line, "fit %s --grid q=0:1:1", EXAMPLE);
    expect_cli(2, "zipscale fit: --grid: grid: unknown axis 'q'", line);
    snprintf(line, sizeof line, "fit %s --delta 0", EXAMPLE);
    expect_cli(2, "zipscale fit: --delta: fit.delta 0: expected a positive number", line);
    /* A usage error points to help, as the command's own usage errors do. */
    expect_cli(2, "(see 'zipscale help fit')", line);
    /* A field spelled like the flag, one spelled otherwise, and two at once. */
    const char *mlp = "train --model mlp --task parity --tasks 3 --bits 12";
    snprintf(line, sizeof line, "%s --steps 5 --eval-every 0 -o %s", mlp, zs_test_path("r1"));
    expect_cli(2, "zipscale train: --eval-every: eval_every: expected at least 1 step", line);
    snprintf(line, sizeof line, "%s --steps 5 --lr 0 -o %s", mlp, zs_test_path("r2"));
    expect_cli(2, "zipscale train: --lr: lr schedule: lr_max = 0: expected", line);
    snprintf(line, sizeof line, "%s --steps 5 --grad-accum 0 -o %s", mlp, zs_test_path("r3"));
    expect_cli(2, "zipscale train: --grad-accum: accum: expected at least 1", line);
    snprintf(line, sizeof line, "%s -o %s", mlp, zs_test_path("r4"));
    expect_cli(2, "zipscale train: --tokens/--steps: the run's length is missing", line);
    /* A runs column (a format error, exit 1) maps to its --col-* flag. */
    const char *csv = zs_test_path("runs.csv");
    cr_assert_eq(zs_test_write(csv, "N,size,loss\n1,2,3\n", 18), 0);
    snprintf(line, sizeof line, "powerlaw %s --x N", csv);
    expect_cli(1, "zipscale powerlaw: --col-D: ", line);
    expect_cli(1, "missing column 'D' in the header", line);
    /* zs_tokens_open_opts.raw_dtype is --dtype. */
    const char *raw = zs_test_path("raw.tok");
    cr_assert_eq(zs_test_write(raw, "abcd", 4), 0);
    snprintf(line, sizeof line, "tokens info %s", raw);
    expect_cli(2, "zipscale tokens info: --dtype: ", line);
}
