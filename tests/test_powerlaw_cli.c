/* Tests for one-variable laws from the command line: the runs table's steps column and its
 * errors, and `zipscale powerlaw` on tables generated here from known laws with noise:
 * recovery within the reported intervals, JSON equal to direct zs_powerlaw_fit calls bit
 * for bit, grouping by dataset, provenance, and each usage error. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testjson.h"
#include "testutil.h"
#include "zipscale/fit.h"
#include "zipscale/frontier.h"

/* ---- the steps column ----------------------------------------------------------------- */

static zs_status parse_runs(const char *text, const zs_runs_columns *cols, int skip, zs_runs *runs,
                            zs_error *err) {
    return zs_runs_parse(runs, text, strlen(text), "runs.csv", cols, skip, err);
}

Test(runs_steps, read_when_present_absent_otherwise) {
    zs_runs runs;
    zs_error err;
    cr_assert_eq(
        parse_runs("N,D,loss,steps\n1e6,2e9,3.1,100\n2e6,4e9,2.9,2.5e3\n", NULL, 0, &runs, &err),
        ZS_OK, "%s", err.msg);
    cr_assert(runs.has_steps);
    cr_assert_eq(runs.n_rows, 2);
    cr_assert_eq(runs.steps[0], 100);
    cr_assert_eq(runs.steps[1], 2500);
    zs_runs_free(&runs);

    cr_assert_eq(parse_runs("N,D,loss\n1e6,2e9,3.1\n", NULL, 0, &runs, &err), ZS_OK, "%s", err.msg);
    cr_assert(!runs.has_steps);
    cr_assert_null(runs.steps);
    zs_runs_free(&runs);

    zs_runs_columns cols = {.steps = "iter"};
    cr_assert_eq(parse_runs("iter,N,D,loss\n7,1e6,2e9,3.1\n", &cols, 0, &runs, &err), ZS_OK, "%s",
                 err.msg);
    cr_assert(runs.has_steps);
    cr_assert_eq(runs.steps[0], 7);
    zs_runs_free(&runs);
}

static void expect_runs_error(const char *text, const zs_runs_columns *cols, const char *message) {
    zs_runs runs;
    zs_error err;
    cr_assert_eq(parse_runs(text, cols, 0, &runs, &err), ZS_ERR_FORMAT, "accepted: %s", text);
    cr_assert(strstr(err.msg, message), "message '%s' lacks '%s'", err.msg, message);
}

Test(runs_steps, error_non_positive) {
    expect_runs_error("N,D,loss,steps\n1,2,3,0\n", NULL,
                      "runs.csv:2: column 'steps': expected a positive finite number, found 0");
    expect_runs_error("N,D,loss,steps\n1,2,3,-5\n", NULL,
                      "runs.csv:2: column 'steps': expected a positive finite number, found -5");
}
Test(runs_steps, error_non_finite) {
    expect_runs_error("N,D,loss,steps\n1,2,3,inf\n", NULL,
                      "runs.csv:2: column 'steps': expected a positive finite number, found inf");
}
Test(runs_steps, error_not_a_number) {
    expect_runs_error("N,D,loss,steps\n1,2,3,10\n1,2,3,many\n", NULL,
                      "runs.csv:3: column 'steps': 'many' is not a number");
}
Test(runs_steps, error_empty) {
    expect_runs_error("N,D,loss,steps\n1,2,3,\n", NULL,
                      "runs.csv:2: column 'steps' is empty: expected a number");
}
Test(runs_steps, error_named_column_missing) {
    zs_runs_columns cols = {.steps = "iter"};
    expect_runs_error("N,D,loss\n1,2,3\n", &cols,
                      "runs.csv:1: missing column 'iter' in the header (named for the steps "
                      "column)");
}
Test(runs_steps, error_duplicate_column) {
    expect_runs_error("N,D,loss,steps,steps\n1,2,3,4,4\n", NULL,
                      "runs.csv:1: column 'steps' appears twice in the header");
}
Test(runs_steps, skip_invalid_skips_a_bad_step) {
    zs_runs runs;
    zs_error err;
    cr_assert_eq(
        parse_runs("N,D,loss,steps\n1,2,3,10\n1,2,3,0\n1,2,2.5,20\n", NULL, 1, &runs, &err), ZS_OK,
        "%s", err.msg);
    cr_assert_eq(runs.n_rows, 2);
    cr_assert_eq(runs.rows_skipped, 1);
    cr_assert_eq(runs.steps[1], 20);
    zs_runs_free(&runs);
}

Test(runs_steps, dataset_rows_in_table_order) {
    zs_runs runs;
    zs_error err;
    cr_assert_eq(parse_runs("dataset,N,D,loss\na,1,2,3\nb,1,2,3\na,1,3,3\nb,1,4,3\na,1,5,3\n", NULL,
                            0, &runs, &err),
                 ZS_OK, "%s", err.msg);
    size_t rows[5];
    cr_assert_eq(zs_runs_dataset_rows(&runs, 0, rows), 3);
    cr_assert(rows[0] == 0 && rows[1] == 2 && rows[2] == 4);
    cr_assert_eq(zs_runs_dataset_rows(&runs, 1, rows), 2);
    cr_assert(rows[0] == 1 && rows[1] == 3);
    cr_assert_str_eq(zs_runs_dataset_label(&runs, 1), "b");
    zs_runs_free(&runs);
}

/* ---- the command on generated tables ------------------------------------------------------ */

/* Two datasets with their own laws, rows interleaved so grouping has work to do. x is
 * written to the D, steps and flops columns alike (N is fixed), the loss with %.17g so the
 * command reads back exactly the doubles generated here. */
#define GEN_POINTS 12
typedef struct {
    const char *name;
    double E, A, alpha;
} gen_law;
static const gen_law GEN[2] = {{"alpha", 1.5, 300.0, 0.35}, {"beta", 2.5, 900.0, 0.5}};

typedef struct {
    double x[2][GEN_POINTS], loss[2][GEN_POINTS];
} gen_data;

static double noise(zs_rng *rng) {
    return 2 * zs_rng_uniform(rng) - 1;
}

static const char *write_runs(const char *name, double offset_scale, double noise_rel,
                              gen_data *g) {
    zs_rng rng;
    zs_rng_seed(&rng, 7, zs_rng_tag(name));
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fprintf(f, "dataset,N,D,steps,flops,loss\n");
    for (int i = 0; i < GEN_POINTS; i++)
        for (int d = 0; d < 2; d++) {
            double x = 1e3 * pow(2, i);
            const gen_law *l = &GEN[d];
            double loss =
                (offset_scale * l->E + l->A * pow(x, -l->alpha)) * (1 + noise_rel * noise(&rng));
            g->x[d][i] = x;
            g->loss[d][i] = loss;
            fprintf(f, "%s,1e6,%.17g,%.17g,%.17g,%.17g\n", l->name, x, x, x, loss);
        }
    fclose(f);
    const char *path = zs_test_path(name);
    cr_assert_eq(zs_test_write(path, text, len), 0);
    free(text);
    return path;
}

static void expect_estimate(json_t *fit, const char *key, const zs_estimate *e) {
    json_t *o = json_object_get(fit, key);
    cr_assert_eq(json_num(o, "value"), e->value, "%s", key);
    cr_assert_eq(json_num(o, "se"), e->se, "%s se", key);
    cr_assert_eq(json_num(o, "lo"), e->lo, "%s lo", key);
    cr_assert_eq(json_num(o, "hi"), e->hi, "%s hi", key);
}

/* Each fit of the document equals zs_powerlaw_fit on the generated points, bit for bit,
 * and the fits of the form the data were drawn from cover the true alpha (the other form
 * is misspecified: its alpha is biased). */
static void check_fits(json_t *doc, const gen_data *g, const zs_powerlaw_form *forms, int n_forms,
                       zs_powerlaw_form true_form) {
    json_t *fits = json_object_get(doc, "fits");
    cr_assert_eq(json_array_size(fits), 2 * (size_t)n_forms);
    for (int d = 0; d < 2; d++)
        for (int f = 0; f < n_forms; f++) {
            json_t *fit = json_array_get(fits, (size_t)(d * n_forms + f));
            zs_powerlaw law;
            zs_error err;
            cr_assert_eq(
                zs_powerlaw_fit(g->x[d], g->loss[d], GEN_POINTS, forms[f], 0.95, &law, &err), ZS_OK,
                "%s", err.msg);
            cr_assert_str_eq(json_string_value(json_object_get(fit, "dataset")), GEN[d].name);
            cr_assert_str_eq(json_string_value(json_object_get(fit, "form")),
                             zs_powerlaw_form_name(forms[f]));
            cr_assert_eq(json_integer_value(json_object_get(fit, "n")), GEN_POINTS);
            expect_estimate(fit, "A", &law.A);
            expect_estimate(fit, "alpha", &law.alpha);
            if (forms[f] == ZS_POWERLAW_OFFSET)
                expect_estimate(fit, "E", &law.E);
            else
                cr_assert(json_is_null(json_object_get(fit, "E")));
            cr_assert_eq(json_num(fit, "residual_rms"), law.residual_rms);
            if (forms[f] != true_form) continue;
            cr_assert(law.alpha.lo <= GEN[d].alpha && GEN[d].alpha <= law.alpha.hi,
                      "%s %s: alpha %g outside [%g, %g]", GEN[d].name,
                      zs_powerlaw_form_name(forms[f]), GEN[d].alpha, law.alpha.lo, law.alpha.hi);
        }
}

Test(cli_powerlaw, offset_and_pure_recover_alpha_per_dataset) {
    gen_data offset, pure;
    const char *with_e = write_runs("offset.csv", 1, 0.01, &offset);
    const char *without_e = write_runs("pure.csv", 0, 0.02, &pure);

    zs_run r = zs_test_cli("powerlaw %s --x D --form offset --json", with_e);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *doc = parse_json(r.out);
    const zs_powerlaw_form offset_only[] = {ZS_POWERLAW_OFFSET};
    check_fits(doc, &offset, offset_only, 1, ZS_POWERLAW_OFFSET);
    json_decref(doc);
    zs_run_free(&r);

    r = zs_test_cli("powerlaw %s --x D --form both --json", without_e);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    doc = parse_json(r.out);
    /* The pure law's interval covers alpha; "both" also fits the offset form, whose E is
     * near 0 on these points. */
    json_t *fits = json_object_get(doc, "fits");
    for (int d = 0; d < 2; d++) {
        zs_powerlaw law;
        cr_assert_eq(zs_powerlaw_fit(pure.x[d], pure.loss[d], GEN_POINTS, ZS_POWERLAW_PURE, 0.95,
                                     &law, NULL),
                     ZS_OK);
        json_t *fit = json_array_get(fits, (size_t)(2 * d));
        expect_estimate(fit, "alpha", &law.alpha);
        cr_assert(law.alpha.lo <= GEN[d].alpha && GEN[d].alpha <= law.alpha.hi);
        json_t *e = json_object_get(json_array_get(fits, (size_t)(2 * d + 1)), "E");
        cr_assert(json_num(e, "lo") <= 0 && 0 <= json_num(e, "hi"), "E interval misses 0");
    }
    json_decref(doc);
    zs_run_free(&r);
}

Test(cli_powerlaw, steps_and_compute_columns) {
    gen_data g;
    const char *path = write_runs("steps.csv", 1, 0.01, &g);
    const zs_powerlaw_form both[] = {ZS_POWERLAW_PURE, ZS_POWERLAW_OFFSET};
    /* steps, flops and D hold the same x: the same fits whichever is named. */
    const char *xs[] = {"steps", "C", "D"};
    for (int k = 0; k < 3; k++) {
        zs_run r = zs_test_cli("powerlaw %s --x %s --json", path, xs[k]);
        cr_assert_eq(r.exit_code, 0, "--x %s: %s", xs[k], r.err);
        json_t *doc = parse_json(r.out);
        check_fits(doc, &g, both, 2, ZS_POWERLAW_OFFSET);
        json_decref(doc);
        zs_run_free(&r);
    }
    /* A renamed steps column. */
    const char *renamed = zs_test_path("iter.csv");
    zs_run sh = zs_test_sh("sed '1s/steps/iter/' %s > %s", path, renamed);
    cr_assert_eq(sh.exit_code, 0);
    zs_run_free(&sh);
    zs_run r = zs_test_cli("powerlaw %s --x steps --col-steps iter --json", renamed);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    json_t *doc = parse_json(r.out);
    check_fits(doc, &g, both, 2, ZS_POWERLAW_OFFSET);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "x_source")), "iter");
    json_decref(doc);
    zs_run_free(&r);
}

Test(cli_powerlaw, provenance_table_and_output_file) {
    gen_data g;
    const char *path = write_runs("prov.csv", 1, 0.01, &g);
    zs_run j = zs_test_cli("powerlaw %s --x C --level 0.9 --json", path);
    cr_assert_eq(j.exit_code, 0, "%s", j.err);
    json_t *doc = parse_json(j.out);
    json_t *input = json_object_get(doc, "input");
    char sha[65];
    cr_assert_eq(zs_sha256_file(path, sha, NULL), ZS_OK);
    cr_assert_str_eq(json_string_value(json_object_get(input, "sha256")), sha);
    cr_assert_str_eq(json_string_value(json_object_get(input, "path")), path);
    cr_assert_eq(json_integer_value(json_object_get(input, "rows_read")), 2 * GEN_POINTS);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "zipscale_version")), zs_version());
    json_t *options = json_object_get(doc, "options");
    cr_assert_str_eq(json_string_value(json_object_get(options, "x")), "C");
    cr_assert_str_eq(json_string_value(json_object_get(options, "form")), "both");
    cr_assert_eq(json_num(options, "level"), 0.9);
    cr_assert_str_eq(json_string_value(json_object_get(doc, "x_source")), "flops");
    zs_powerlaw law;
    cr_assert_eq(
        zs_powerlaw_fit(g.x[1], g.loss[1], GEN_POINTS, ZS_POWERLAW_OFFSET, 0.9, &law, NULL), ZS_OK);
    expect_estimate(json_array_get(json_object_get(doc, "fits"), 3), "alpha", &law.alpha);
    json_decref(doc);

    /* -o writes the document --json prints; the table goes to stdout. */
    const char *out = zs_test_path("powerlaw.json");
    zs_run w = zs_test_cli("powerlaw %s --x C --level 0.9 -o %s", path, out);
    cr_assert_eq(w.exit_code, 0, "%s", w.err);
    char *written = zs_test_slurp(out, NULL);
    cr_assert_str_eq(written, j.out);
    free(written);
    char row[160];
    snprintf(row, sizeof row, "beta             offset %5d %9.5g", GEN_POINTS, law.E.value);
    cr_assert(strstr(w.out, row), "table lacks '%s':\n%s", row, w.out);
    cr_assert(strstr(w.out, "loss against C (flops); 90% t intervals"), "%s", w.out);
    zs_run_free(&w);
    zs_run_free(&j);
}

/* Each error: the exit code and the message. */
static void expect_cli_error(int code, const char *message, const char *args) {
    zs_run r = zs_test_cli("%s", args);
    cr_assert_eq(r.exit_code, code, "%s: exit %d, stderr %s", args, r.exit_code, r.err);
    cr_assert(strstr(r.err, message), "%s: stderr '%s' lacks '%s'", args, r.err, message);
    zs_run_free(&r);
}

Test(cli_powerlaw, errors) {
    const char *runs = zs_test_path("plain.csv");
    const char *text = "dataset,N,D,loss\na,1e6,1e3,3\na,1e6,2e3,2.5\na,1e6,4e3,2.2\n";
    cr_assert_eq(zs_test_write(runs, text, strlen(text)), 0);
    char line[512];
    snprintf(line, sizeof line, "powerlaw %s", runs);
    expect_cli_error(2, "zipscale powerlaw: --x N|D|C|steps is required", line);
    snprintf(line, sizeof line, "powerlaw %s --x tokens", runs);
    expect_cli_error(2, "zipscale: --x tokens: expected N, D, C or steps", line);
    snprintf(line, sizeof line, "powerlaw %s --x D --form linear", runs);
    expect_cli_error(2, "zipscale: --form linear: expected pure, offset or both", line);
    snprintf(line, sizeof line, "powerlaw %s --x D --level 1", runs);
    expect_cli_error(2, "zipscale: --level 1: expected a number in (0, 1)", line);
    snprintf(line, sizeof line, "powerlaw %s --x steps", runs);
    expect_cli_error(2, "has no column 'steps' (name the steps column with --col-steps)", line);
    snprintf(line, sizeof line, "powerlaw %s --x steps --col-steps iter", runs);
    expect_cli_error(1, "missing column 'iter' in the header (named for the steps column)", line);
    /* Three points fit the pure law but not the offset one. */
    snprintf(line, sizeof line, "powerlaw %s --x D --form offset", runs);
    expect_cli_error(1, "zipscale: dataset a: power law: 3 points, expected at least 4", line);
    snprintf(line, sizeof line, "powerlaw %s --x D --form pure", runs);
    zs_run ok = zs_test_cli("%s", line);
    cr_assert_eq(ok.exit_code, 0, "%s", ok.err);
    zs_run_free(&ok);
    snprintf(line, sizeof line, "powerlaw %s --x D", zs_test_path("absent.csv"));
    expect_cli_error(1, "absent.csv", line);
}
