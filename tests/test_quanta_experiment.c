/* The quantization model's experiments (zipscale/sweep.h "quanta experiments"): three
 * small real sweeps of sparse-parity MLPs analysed by zs_sweep_quanta_analyse, checked
 * against the runs' own files (metrics.json, log.jsonl) and against an independent
 * recomputation in numpy/scipy of the learning points, Spearman's rho and the fitted
 * exponent; the presets; and the refusals. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "testutil.h"
#include "zipscale/sweep.h"

#define TASK "parity: {tasks: 8, bits: 12, k: 3, zipf_exponent: 1.4, seed: 1}"
#define TRAIN                                                                                      \
    "train:\n  batch: 200\n  schedule: constant\n  lr: 0.003\n  warmup_fraction: 0\n"              \
    "  weight_decay: 0\n  grad_clip: 0\n  parity_eval_per_subtask: 200\n"                          \
    "  parity_test_size: 1000\n  min_steps: 10\n"

static const char params_spec[] = "datasets:\n  - {name: p, " TASK "}\n"
                                  "models:\n  - {name: w4, width: 4}\n  - {name: w8, width: 8}\n"
                                  "  - {name: w16, width: 16}\n  - {name: w32, width: 32}\n"
                                  "budgets: [300000]\n" TRAIN "  evals: 5\njobs: 2\n";
static const char data_spec[] = "datasets:\n  - {name: d300, train_size: 300, " TASK "}\n"
                                "  - {name: d3000, train_size: 3000, " TASK "}\n"
                                "  - {name: d30000, train_size: 30000, " TASK "}\n"
                                "models:\n  - {name: w32, width: 32}\n"
                                "budgets: [300000]\n" TRAIN "  evals: 30\n"
                                "  early_stop_patience: 3\n  early_stop_after: 200\njobs: 2\n";
static const char steps_spec[] = "datasets:\n  - {name: p, " TASK "}\n"
                                 "models:\n  - {name: w32, width: 32}\n"
                                 "budgets: [400000]\n" TRAIN "  evals: 40\njobs: 1\n";

/* Runs spec as a sweep in DIR/AXIS (no Chinchilla analysis). */
static void run_axis(const char *dir, const char *axis, const char *spec) {
    char sub[1100], path[1200];
    snprintf(sub, sizeof sub, "%s/%s", dir, axis);
    mkdir(dir, 0777);
    mkdir(sub, 0777);
    snprintf(path, sizeof path, "%s/spec.yaml", sub);
    cr_assert_eq(zs_test_write(path, spec, strlen(spec)), 0);
    zs_sweep_run_opts o;
    zs_sweep_run_opts_init(&o);
    o.analyse = 0; /* the quanta analysis, not the Chinchilla one */
    zs_sweep_counts c;
    zs_error err = {0};
    cr_assert_eq(zs_sweep_run(path, sub, &o, &c, &err), ZS_OK, "%s", err.msg);
    cr_assert_eq(c.completed, c.total, "%s: %zu of %zu runs completed", axis, c.completed, c.total);
}

/* The three small experiments, once per test process. */
static const char *experiments(void) {
    static char dir[1024];
    if (dir[0]) return dir;
    snprintf(dir, sizeof dir, "%s/quanta", zs_test_tmpdir());
    run_axis(dir, "params", params_spec);
    run_axis(dir, "data", data_spec);
    run_axis(dir, "steps", steps_spec);
    return dir;
}

static void analyse(const char *dir, zs_quanta_result *r) {
    zs_sweep_quanta_analyse_opts o;
    zs_sweep_quanta_analyse_opts_init(&o);
    o.report_date = "2026-01-01";
    o.emergence.bootstrap = 200;
    zs_error err = {0};
    cr_assert_eq(zs_sweep_quanta_analyse(dir, &o, r, &err), ZS_OK, "%s", err.msg);
}

Test(quanta_experiment, the_result_matches_the_runs_and_an_independent_recomputation,
     .timeout = 600) {
    const char *dir = experiments();
    zs_quanta_result r;
    analyse(dir, &r);
    cr_assert_eq(r.n_tasks, 8);
    cr_assert_eq(r.zipf_exponent, 1.4);
    for (int a = 0; a < ZS_QUANTA_N_AXES; a++) cr_assert(r.axes[a].present, "axis %d", a);
    cr_assert_eq(r.axes[ZS_QUANTA_AXIS_PARAMS].n_points, 4);
    cr_assert_eq(r.axes[ZS_QUANTA_AXIS_DATA].n_points, 3);
    cr_assert_eq(r.axes[ZS_QUANTA_AXIS_STEPS].n_points, 40);
    cr_assert_float_eq(r.axes[ZS_QUANTA_AXIS_PARAMS].alpha_predicted, 0.4, 1e-12);
    cr_assert_float_eq(r.axes[ZS_QUANTA_AXIS_DATA].alpha_predicted, 0.4 / 1.4, 1e-12);
    cr_assert_float_eq(r.axes[ZS_QUANTA_AXIS_STEPS].alpha_predicted, 0.4 / 1.4, 1e-12);

    /* Every number again, from the runs' files, in numpy and scipy: the points (params:
       metrics.json's final losses at N; data: min_val_loss at the training-set size, and
       the per-subtask losses of that evaluation; steps: the log), the learning points
       (below 0.1 bits from there on), rho over the learned subtasks, and the pure power
       law over the fit range. Each axis's numbers are printed one per line. */
    const char *py = zs_test_python("numpy,scipy");
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s/tests/data/quanta/experiment_ref.py %s > %s/ref.txt", py,
             ZS_SOURCE_DIR, dir, zs_test_tmpdir());
    zs_run run = zs_test_sh("%s", cmd);
    cr_assert_eq(run.exit_code, 0, "%s", run.err);
    zs_run_free(&run);
    char path[1200];
    snprintf(path, sizeof path, "%s/ref.txt", zs_test_tmpdir());
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char axis[16];
    size_t n_points, n_learned, fit_first, fit_count;
    while (fscanf(f, "%15s %zu %zu %zu %zu", axis, &n_points, &n_learned, &fit_first, &fit_count) ==
           5) {
        zs_quanta_axis which;
        zs_error err;
        cr_assert_eq(zs_quanta_axis_parse(axis, &which, &err), ZS_OK);
        const zs_quanta_axis_result *x = &r.axes[which];
        cr_assert_eq(x->n_points, n_points, "%s", axis);
        cr_assert_eq(x->n_learned, n_learned, "%s", axis);
        cr_assert_eq(x->fit_first, fit_first, "%s", axis);
        cr_assert_eq(x->fit_count, fit_count, "%s", axis);
        for (size_t i = 0; i < n_points; i++) {
            double xv, lv;
            cr_assert_eq(fscanf(f, "%lf %lf", &xv, &lv), 2);
            cr_assert_eq(x->x[i], xv, "%s x[%zu]", axis, i);
            cr_assert_float_eq(x->loss_nats[i], lv, 1e-15 * lv + 1e-300, "%s loss[%zu]", axis, i);
        }
        for (size_t s = 0; s < x->n_subtasks; s++) {
            double lx;
            cr_assert_eq(fscanf(f, "%lf", &lx), 1);
            if (isnan(lx))
                cr_assert(isnan(x->learning_x[s]), "%s subtask %zu", axis, s);
            else
                cr_assert_eq(x->learning_x[s], lx, "%s subtask %zu", axis, s);
        }
        double rho, alpha;
        cr_assert_eq(fscanf(f, "%lf %lf", &rho, &alpha), 2);
        if (isnan(rho))
            cr_assert(isnan(x->rho), "%s rho %g", axis, x->rho);
        else
            cr_assert_float_eq(x->rho, rho, 1e-12, "%s rho %.17g vs scipy %.17g", axis, x->rho,
                               rho);
        if (isnan(alpha))
            cr_assert(isnan(x->alpha), "%s alpha %g", axis, x->alpha);
        else
            cr_assert_float_eq(x->alpha, alpha, 1e-9, "%s alpha %.17g vs numpy %.17g", axis,
                               x->alpha, alpha);
    }
    fclose(f);
    zs_quanta_result_free(&r);
}

Test(quanta_experiment, the_analysis_is_deterministic_and_reads_back, .timeout = 600) {
    const char *dir = experiments();
    zs_quanta_result a, b;
    analyse(dir, &a);
    char path[1100];
    snprintf(path, sizeof path, "%s/quanta.json", dir);
    size_t la, lb;
    char *first = zs_test_slurp(path, &la);
    analyse(dir, &b);
    char *second = zs_test_slurp(path, &lb);
    cr_assert_eq(la, lb);
    cr_assert_eq(memcmp(first, second, la), 0, "quanta.json differs between two analyses");
    zs_quanta_result back;
    zs_error err = {0};
    cr_assert_eq(zs_quanta_result_read(&back, path, &err), ZS_OK, "%s", err.msg);
    for (int ax = 0; ax < ZS_QUANTA_N_AXES; ax++) {
        cr_assert_eq(back.axes[ax].n_points, a.axes[ax].n_points);
        cr_assert_eq(memcmp(back.axes[ax].x, a.axes[ax].x, a.axes[ax].n_points * sizeof(double)),
                     0);
    }
    snprintf(path, sizeof path, "%s/report.html", dir);
    char *html = zs_test_slurp(path, &la);
    cr_assert(strstr(html, "Quanta"), "the report has no Quanta section");
    free(html);
    free(first);
    free(second);
    zs_quanta_result_free(&a);
    zs_quanta_result_free(&b);
    zs_quanta_result_free(&back);
}

Test(quanta_experiment, refuses_what_it_cannot_analyse) {
    zs_sweep_quanta_analyse_opts o;
    zs_sweep_quanta_analyse_opts_init(&o);
    zs_quanta_result r;
    zs_error err = {0};
    const char *empty = zs_test_path("empty");
    mkdir(empty, 0777);
    cr_assert_eq(zs_sweep_quanta_analyse(empty, &o, &r, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "no quanta experiment"), "%s", err.msg);
    o.emergence.threshold_bits = 0;
    cr_assert_eq(zs_sweep_quanta_analyse(empty, &o, &r, &err), ZS_ERR_RANGE);
    cr_assert_str_eq(err.field, "threshold_bits");
    zs_sweep_quanta_opts q;
    zs_sweep_quanta_opts_init(&q);
    q.preset = "huge";
    zs_sweep_counts c;
    cr_assert_eq(zs_sweep_quanta_run(empty, &q, &c, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "preset 'huge'"), "%s", err.msg);
}

/* A data experiment whose sets have no train_size, and a task that differs between axes. */
Test(quanta_experiment, refuses_mixed_tasks_and_online_data_experiments, .timeout = 300) {
    static const char other[] =
        "datasets:\n  - {name: p, parity: {tasks: 8, bits: 12, k: 3, zipf_exponent: 1.0}}\n"
        "models:\n  - {name: w4, width: 4}\n  - {name: w8, width: 8}\n"
        "budgets: [20000]\n" TRAIN "  evals: 2\n";
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/mixed", zs_test_tmpdir());
    run_axis(dir, "data", other);
    zs_sweep_quanta_analyse_opts o;
    zs_sweep_quanta_analyse_opts_init(&o);
    zs_quanta_result r;
    zs_error err = {0};
    cr_assert_eq(zs_sweep_quanta_analyse(dir, &o, &r, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "has no train_size"), "%s", err.msg);
    snprintf(dir, sizeof dir, "%s/mixed2", zs_test_tmpdir());
    run_axis(dir, "params", other);
    run_axis(dir, "steps", steps_spec);
    cr_assert_eq(zs_sweep_quanta_analyse(dir, &o, &r, &err), ZS_ERR_USAGE);
    cr_assert(strstr(err.msg, "another parity task"), "%s", err.msg);
}

Test(quanta_experiment, presets_parse_and_plan) {
    static const char *const names[] = {"quick", "default", "paper"};
    for (size_t i = 0; i < 3; i++)
        for (int a = 0; a < ZS_QUANTA_N_AXES; a++) {
            const char *text = zs_sweep_quanta_preset(names[i], (zs_quanta_axis)a);
            cr_assert_not_null(text);
            zs_sweep_spec spec;
            zs_sweep_plan plan;
            zs_error err = {0};
            cr_assert_eq(zs_sweep_spec_parse(text, strlen(text), "p.yaml", ".", &spec, &err), ZS_OK,
                         "%s %d: %s", names[i], a, err.msg);
            cr_assert_eq(zs_sweep_plan_build(&spec, &plan, &err), ZS_OK, "%s", err.msg);
            cr_assert_eq(spec.datasets[0].parity.zipf_exponent, 1.4);
            if (a == ZS_QUANTA_AXIS_DATA)
                for (size_t d = 0; d < spec.n_datasets; d++)
                    cr_assert_gt(spec.datasets[d].train_size, 0);
            zs_sweep_plan_free(&plan, spec.n_datasets);
            zs_sweep_spec_free(&spec);
        }
    cr_assert_null(zs_sweep_quanta_preset("huge", ZS_QUANTA_AXIS_PARAMS));
}

/* The commands end to end on the quick preset (seconds): the table, the files, a rerun that
 * reuses every run and writes the same bytes, the same bytes with one job as with two. Three
 * runs of the preset take minutes under the sanitizers, and the library paths they take are
 * the ones the tests above run there. */
Test(quanta_experiment, the_commands_run_the_quick_preset, .timeout = 600) {
    zs_test_release_only("three runs of the quick preset: the Release build runs this");
    char a[1024], b[1024];
    snprintf(a, sizeof a, "%s/quick-a", zs_test_tmpdir());
    snprintf(b, sizeof b, "%s/quick-b", zs_test_tmpdir());
    zs_run r = zs_test_cli("quanta parity --preset quick -o %s --jobs 2 -q", a);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\nparams       4  "), "%s", r.out);
    cr_assert(strstr(r.out, "\ndata         3  "), "%s", r.out);
    cr_assert(strstr(r.out, "\nsteps       40  "), "%s", r.out);
    zs_run_free(&r);
    char path[1100];
    snprintf(path, sizeof path, "%s/quanta.json", a);
    size_t la, lb;
    char *first = zs_test_slurp(path, &la);
    r = zs_test_cli("quanta parity --preset quick -o %s", a);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.err, "(0 new, 4 from the ledger"), "%s", r.err);
    zs_run_free(&r);
    char *again = zs_test_slurp(path, &lb);
    cr_assert(la == lb && memcmp(first, again, la) == 0, "a rerun changed quanta.json");
    r = zs_test_cli("quanta parity --preset quick -o %s --jobs 1 -q", b);
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    zs_run_free(&r);
    snprintf(path, sizeof path, "%s/quanta.json", b);
    char *one_job = zs_test_slurp(path, &lb);
    cr_assert(la == lb && memcmp(first, one_job, la) == 0, "one job and two differ");
    free(first);
    free(again);
    free(one_job);
}

/* Usage errors name their flag (exit 2); a directory without experiments is one too. */
Test(quanta_experiment, the_commands_refuse_bad_usage) {
    const char *a = zs_test_path("usage");
    zs_run r = zs_test_cli("quanta analyse %s --threshold-bits 0", a);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--threshold-bits"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("quanta parity --preset huge -o %s", a);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--preset 'huge'"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("quanta parity --axes params,bogus -o %s", a);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(r.err, "--axes: 'bogus'"), "%s", r.err);
    zs_run_free(&r);
    r = zs_test_cli("quanta preset default data");
    cr_assert_eq(r.exit_code, 0, "%s", r.err);
    cr_assert(strstr(r.out, "train_size: 10000000"), "%s", r.out);
    zs_run_free(&r);
    r = zs_test_cli("quanta preset default widths");
    cr_assert_eq(r.exit_code, 2);
    zs_run_free(&r);
    r = zs_test_cli("quanta analyse %s/nothing-here", a);
    cr_assert_eq(r.exit_code, 2, "%s", r.err);
    zs_run_free(&r);
}
