/* `zipscale sweep plan`: every run a spec names, with its size (N, D, FLOPs) and an
 * estimated time from a step measured here, and the sweep's total and makespan at the
 * chosen number of jobs. Nothing is written. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json.h"
#include "cli/commands.h"
#include "zipscale/sweep.h"

static struct { int jobs, json, no_measure; } a;

static const zs_opt plan_opts[] = {
    {"jobs", 'j', ZS_OPT_INT, &a.jobs, "K", "runs at once for the makespan (default: the spec's)"},
    {"no-measure", 0, ZS_OPT_FLAG, &a.no_measure, NULL, "skip the timing (no time estimates)"},
    ZS_OPT_JSON(&a.json),
    ZS_OPT_END,
};

static const zs_cli_spec plan_spec = {
    "sweep plan",
    "SPEC.yaml [--jobs K] [--json]",
    "list the runs of a sweep spec with N, D, FLOPs and estimated times",
    "One run per dataset x model x budget x seed, largest first (the order the sweep runs\n"
    "them). Time estimates: a training step (forward, backward, AdamW) and a forward pass of\n"
    "each model are timed here (one thread, as a sweep worker runs), times the run's steps\n"
    "and its evaluations' batches. The makespan packs the runs, largest first, onto K jobs.\n"
    "Spec format: docs/sweeps.md.",
    plan_opts,
    1,
    1,
};

/* Largest first onto the least loaded of k jobs: the sweep's own order. */
static double makespan(const double *secs, size_t n, int k) {
    double *load = calloc((size_t)k, sizeof *load), worst = 0;
    if (!load) return NAN;
    for (size_t i = 0; i < n; i++) {
        int j = 0;
        for (int q = 1; q < k; q++)
            if (load[q] < load[j]) j = q;
        load[j] += secs[i];
    }
    for (int q = 0; q < k; q++)
        if (load[q] > worst) worst = load[q];
    free(load);
    return worst;
}

static json_t *run_json(const zs_sweep_spec *spec, const zs_sweep_plan_run *r, double secs) {
    return json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:o}", "id", r->id, "dataset",
        spec->datasets[r->dataset].name, "model", spec->models[r->model].name, "budget",
        (json_int_t)r->budget, "seed", (json_int_t)r->seed, "steps", (json_int_t)r->steps, "tokens",
        (json_int_t)r->tokens, "n_params", (json_int_t)r->n_params, "n_params_nonembed",
        (json_int_t)r->n_params_nonembed, "flops", r->flops, "flops_exact", r->flops_exact, "lr",
        r->lr, "seconds_estimate", zs_json_number(secs));
}

static void print_plan(const zs_sweep_spec *spec, const zs_sweep_plan *plan, const double *secs,
                       int jobs) {
    printf("%-16s %-14s %-10s %10s %10s %10s %7s %10s %9s %8s\n", "id", "dataset", "model", "N",
           "N nonemb", "D", "steps", "6ND", "lr", "est s");
    double total = 0;
    for (size_t i = 0; i < plan->n_runs; i++) {
        const zs_sweep_plan_run *r = &plan->runs[i];
        printf("%-16s %-14s %-10s %10llu %10llu %10llu %7llu %10.3g %9.3g %8.1f\n", r->id,
               spec->datasets[r->dataset].name, spec->models[r->model].name,
               (unsigned long long)r->n_params, (unsigned long long)r->n_params_nonembed,
               (unsigned long long)r->tokens, (unsigned long long)r->steps, r->flops, r->lr,
               secs[i]);
        total += secs[i];
    }
    printf("\n%zu runs, %.3g training FLOPs (exact), estimated %.0f s of one core; on %d "
           "job%s about %.0f s (%.1f min) of wall time, datasets and analysis not included\n",
           plan->n_runs, plan->flops_exact_total, total, jobs, jobs == 1 ? "" : "s",
           makespan(secs, plan->n_runs, jobs), makespan(secs, plan->n_runs, jobs) / 60);
}

static zs_status plan_cmd(const char *path, zs_error *err) {
    zs_sweep_spec spec;
    zs_sweep_plan plan;
    zs_status s = zs_sweep_spec_read(path, &spec, err);
    if (s) return s;
    zs_sweep_speed *speeds = NULL;
    double *secs = NULL;
    s = zs_sweep_plan_build(&spec, &plan, err);
    if (!s && !a.no_measure) s = zs_sweep_measure_speed(&spec, &plan, &speeds, err);
    if (!s && !(secs = calloc(plan.n_runs ? plan.n_runs : 1, sizeof *secs)))
        s = zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; !s && i < plan.n_runs; i++) {
        const zs_sweep_plan_run *r = &plan.runs[i];
        secs[i] = speeds ? zs_sweep_estimate_s(&spec, r, speeds) : NAN;
    }
    int jobs = a.jobs > 0 ? a.jobs : spec.jobs > 0 ? spec.jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (!s && a.json) {
        json_t *runs = json_array();
        for (size_t i = 0; i < plan.n_runs; i++)
            json_array_append_new(runs, run_json(&spec, &plan.runs[i], secs[i]));
        double ms = makespan(secs, plan.n_runs, jobs);
        s = zs_cli_emit_json(json_pack("{s:s, s:o, s:f, s:i, s:o}", "command", "sweep plan", "runs",
                                       runs, "flops_exact", plan.flops_exact_total, "jobs", jobs,
                                       "makespan_seconds_estimate", zs_json_number(ms)),
                             NULL, err);
    } else if (!s) {
        print_plan(&spec, &plan, secs, jobs);
    }
    free(secs);
    free(speeds);
    if (plan.runs || plan.data) zs_sweep_plan_free(&plan, spec.n_datasets);
    zs_sweep_spec_free(&spec);
    return s;
}

static int plan_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&plan_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_error err = {0};
    return plan_cmd(pos[0], &err) ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_sweep_plan = {&plan_spec, plan_run};
