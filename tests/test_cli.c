/* The option tables' shared mechanics (src/cli/args.c): the help shows each option's
 * default read from the library (`_opts_init`), never a restated number, and marks the
 * required options, whose absence every command reports in one form. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "zipscale/fit.h"
#include "zipscale/measure.h"
#include "zipscale/train.h"

/* The help line of option `flag` ("--lr LR"), copied into line; fails when absent. */
static void help_line(const char *help, const char *flag, char *line, size_t size) {
    const char *p = help;
    while ((p = strstr(p, flag))) {
        const char *start = p, *end = strchr(p, '\n');
        while (start > help && start[-1] != '\n') start--;
        size_t n = end ? (size_t)(end - start) : strlen(start);
        /* the flag itself, not a mention in another option's text */
        if (strspn(start, " -,abcdefghijklmnopqrstuvwxyz") >= (size_t)(p - start) &&
            (p[strlen(flag)] == ' ' || p[strlen(flag)] == '\n')) {
            snprintf(line, size, "%.*s", (int)n, start);
            return;
        }
        p += strlen(flag);
    }
    cr_assert_fail("no help line for %s in:\n%s", flag, help);
}

static void expect_default(const char *help, const char *flag, const char *value) {
    char line[1024], want[256];
    help_line(help, flag, line, sizeof line);
    snprintf(want, sizeof want, "(default: %s)", value);
    cr_assert(strstr(line, want), "'%s' lacks '%s'", line, want);
}

Test(cli_help, train_shows_the_library_defaults) {
    zs_train_opts o;
    zs_train_opts_init(&o);
    zs_run r = zs_test_cli("train --help");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    char v[64];
    snprintf(v, sizeof v, "%g", o.schedule.lr_max);
    expect_default(r.out, "--lr LR", v);
    snprintf(v, sizeof v, "%g", o.adamw.beta2);
    expect_default(r.out, "--beta2 B2", v);
    snprintf(v, sizeof v, "%u", o.batch);
    expect_default(r.out, "--batch B", v);
    snprintf(v, sizeof v, "%u", o.model.gpt.context);
    expect_default(r.out, "--context T", v);
    snprintf(v, sizeof v, "%u", o.model.gpt.d_model);
    expect_default(r.out, "--d-model C", v);
    snprintf(v, sizeof v, "%llu", (unsigned long long)o.parity.n_tasks);
    expect_default(r.out, "--tasks N", v);
    snprintf(v, sizeof v, "%llu", (unsigned long long)o.eval_every);
    expect_default(r.out, "--eval-every K", v);
    expect_default(r.out, "--precision P", zs_precision_name(o.precision));
    expect_default(r.out, "--schedule KIND", zs_lr_kind_name(o.schedule.kind));
    /* `help train` fills the defaults the same way */
    zs_run h = zs_test_cli("help train");
    cr_assert_eq(h.exit_code, 0);
    cr_assert_str_eq(h.out, r.out);
    zs_run_free(&h);
    zs_run_free(&r);
}

Test(cli_help, fit_and_gzip_show_the_library_defaults) {
    zs_fit_table_opts f;
    zs_fit_table_opts_init(&f);
    char grid[512], v[64];
    zs_fit_grid_format(&f.fit.grid, grid, sizeof grid);
    zs_run r = zs_test_cli("fit --help");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    expect_default(r.out, "--grid SPEC", grid);
    snprintf(v, sizeof v, "%g", f.level);
    expect_default(r.out, "--level P", v);
    expect_default(r.out, "--loss huber|lsq", "huber");
    zs_run_free(&r);
    zs_measure_opts m;
    zs_measure_opts_init(&m);
    r = zs_test_cli("gzip --help");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    snprintf(v, sizeof v, "%llu", (unsigned long long)m.sample);
    expect_default(r.out, "--sample N", v);
    snprintf(v, sizeof v, "%d", m.zstd_level);
    expect_default(r.out, "--zstd-level 0..22", v);
    zs_run_free(&r);
}

/* No help text restates a number as its default ("(default 256)"); flags show none. Every
 * command the overview lists is checked, so a new one cannot be left out. */
Test(cli_help, no_command_restates_a_default) {
    zs_run overview = zs_test_cli("--help");
    cr_assert_eq(overview.exit_code, 0);
    const char *at = strstr(overview.out, "commands:\n");
    cr_assert_not_null(at, "%s", overview.out);
    at += strlen("commands:\n");
    size_t checked = 0;
    /* Each line: two spaces, the name padded to 18 columns, a space, the summary. */
    for (const char *eol; (eol = strchr(at, '\n')) && eol - at > 21; at = eol + 1) {
        char name[32];
        int len = 18;
        while (len > 0 && at[2 + len - 1] == ' ') len--;
        snprintf(name, sizeof name, "%.*s", len, at + 2);
        zs_run r = zs_test_cli("help %s", name);
        cr_assert_eq(r.exit_code, 0, "%s: %s", name, r.err);
        for (const char *p = r.out; (p = strstr(p, "default ")); p++)
            cr_assert(!(p[8] >= '0' && p[8] <= '9'), "%s restates a default: %.60s", name, p);
        char line[1024];
        if (strstr(r.out, "    --json ")) {
            help_line(r.out, "--json", line, sizeof line);
            cr_assert(!strstr(line, "(default"), "%s: a flag shows a default", name);
        }
        zs_run_free(&r);
        checked++;
    }
    cr_assert_geq(checked, 30, "only %zu commands found in the overview", checked);
    zs_run_free(&overview);
}

Test(cli_required, a_missing_option_is_named_in_one_form) {
    const char *src = zs_test_path("bytes.txt");
    cr_assert_eq(zs_test_write(src, "abc", 3), 0);
    zs_run r = zs_test_cli("tokens import -o %s", zs_test_path("t.npy"));
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "zipscale tokens import: --bytes FILE is required"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("tokens import --bytes %s", src);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "zipscale tokens import: -o OUT is required"), "%s", r.err);
    zs_run_free(&r);
    /* several missing: the first in the option table */
    r = zs_test_cli("pcfg generate");
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--nonterminals NT is required"), "%s", r.err);
    zs_run_free(&r);
    /* given, even as --name=value, it is satisfied */
    r = zs_test_cli("tokens import --bytes=%s --output=%s", src, zs_test_path("t.npy"));
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    /* the help marks it */
    r = zs_test_cli("tokens import --help");
    char line[1024];
    help_line(r.out, "--bytes FILE", line, sizeof line);
    cr_assert(strstr(line, "(required)"), "%s", line);
    help_line(r.out, "--context N", line, sizeof line);
    cr_assert(!strstr(line, "(required)"), "%s", line);
    zs_run_free(&r);
}
