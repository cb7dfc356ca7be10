/* Analyses the quantization model's experiments (zipscale/sweep.h "quanta experiments"):
 * for each sweep in DIR/params, DIR/data and DIR/steps, the points along its axis with the
 * loss and every subtask's loss at each, the emergence (learning points, rank correlation
 * with frequency), a power law fitted to the loss and the theory's exponent beside it;
 * written to DIR/quanta.json with a report (docs/quanta.md "Analysis"). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/sweep_internal.h"
#include "zipscale/frontier.h"
#include "zipscale/quanta.h"
#include "zipscale/quanta_theory.h"
#include "zipscale/report.h"

void zs_sweep_quanta_analyse_opts_init(zs_sweep_quanta_analyse_opts *opts) {
    memset(opts, 0, sizeof *opts);
    zs_quanta_emergence_opts_init(&opts->emergence);
    opts->threads = 1;
}

/* One point of an axis: the runs (seeds) at one scale, averaged. */
typedef struct {
    double x, loss;
    double *subtask; /* n_subtasks */
    size_t runs;
} point;

typedef struct {
    const char *dir; /* DIR/AXIS */
    zs_quanta_axis axis;
    zs_sweep_spec spec;
    zs_sweep_plan plan;
    zs_ledger *lg;
} axis_ctx;

/* The task every dataset of the sweep shares; the first axis analysed sets *task. */
static zs_status check_task(const axis_ctx *a, zs_parity_spec *task, int *task_set, zs_error *err) {
    for (size_t d = 0; d < a->spec.n_datasets; d++) {
        const zs_sweep_dataset *ds = &a->spec.datasets[d];
        if (ds->kind != ZS_SWEEP_DATA_PARITY)
            return zs_fail(err, ZS_ERR_USAGE,
                           "%s: dataset %s is %s data; the quanta analysis "
                           "reads sparse-parity sweeps only",
                           a->dir, ds->name, zs_sweep_data_kind_name(ds->kind));
        if (a->axis == ZS_QUANTA_AXIS_DATA && !ds->train_size)
            return zs_fail(err, ZS_ERR_USAGE,
                           "%s: dataset %s has no train_size; the data "
                           "experiment trains on fixed sets",
                           a->dir, ds->name);
        const zs_parity_spec *p = &ds->parity;
        if (!*task_set) {
            *task = *p;
            *task_set = 1;
        } else if (p->n_tasks != task->n_tasks || p->n_bits != task->n_bits || p->k != task->k ||
                   p->zipf_exponent != task->zipf_exponent || p->seed != task->seed) {
            return zs_fail(err, ZS_ERR_USAGE,
                           "%s: dataset %s is another parity task (%llu "
                           "tasks, %llu bits, k %llu, Zipf exponent %g, seed %llu) than the "
                           "others'; the three experiments must share one task",
                           a->dir, ds->name, (unsigned long long)p->n_tasks,
                           (unsigned long long)p->n_bits, (unsigned long long)p->k,
                           p->zipf_exponent, (unsigned long long)p->seed);
        }
    }
    return ZS_OK;
}

/* The run's training log as curves (and its evaluations' test losses). */
static zs_status run_curves(const axis_ctx *a, const char *id, zs_quanta_curves *c, zs_error *err) {
    char path[4300];
    snprintf(path, sizeof path, "%s/runs/%s/log.jsonl", a->dir, id);
    zs_status s = zs_quanta_curves_read_log(c, path, err);
    if (!s && c->n_subtasks != a->spec.datasets[0].parity.n_tasks)
        s = zs_fail(err, ZS_ERR_FORMAT, "%s: %zu subtasks, the task has %llu", path, c->n_subtasks,
                    (unsigned long long)a->spec.datasets[0].parity.n_tasks);
    if (s) zs_quanta_curves_free(c);
    return s;
}

/* The evaluation a run of this axis is scored at: its last (params) or the one of least
 * test loss (data: early stopping's minimum, the first of equals). */
static size_t scored_point(const axis_ctx *a, const zs_quanta_curves *c) {
    size_t best = c->n_points - 1;
    if (a->axis != ZS_QUANTA_AXIS_DATA) return best;
    for (size_t i = 0; i < c->n_points; i++)
        if (c->test_loss_nats[i] < c->test_loss_nats[best] ||
            (c->test_loss_nats[i] == c->test_loss_nats[best] && i < best))
            best = i;
    return best;
}

static double run_x(const axis_ctx *a, const zs_sweep_plan_run *r) {
    if (a->axis == ZS_QUANTA_AXIS_PARAMS) return (double)r->n_params;
    return (double)a->spec.datasets[r->dataset].train_size;
}

static int by_x(const void *p, const void *q) {
    double a = ((const point *)p)->x, b = ((const point *)q)->x;
    return (a > b) - (a < b);
}

/* Adds a run's scored evaluation to the point of its scale (seeds are averaged). */
static zs_status add_run(point *pts, size_t *n_pts, double x, const zs_quanta_curves *c, size_t i,
                         zs_error *err) {
    size_t p = 0;
    while (p < *n_pts && pts[p].x != x) p++;
    if (p == *n_pts) {
        pts[p].x = x;
        pts[p].loss = 0;
        pts[p].runs = 0;
        pts[p].subtask = calloc(c->n_subtasks, sizeof *pts[p].subtask);
        if (!pts[p].subtask) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (quanta points)");
        (*n_pts)++;
    }
    point *pt = &pts[p];
    pt->runs++;
    pt->loss += (c->test_loss_nats[i] - pt->loss) / (double)pt->runs;
    for (size_t s = 0; s < c->n_subtasks; s++) {
        double v = c->loss_nats[s * c->n_points + i];
        pt->subtask[s] += (v - pt->subtask[s]) / (double)pt->runs;
    }
    return ZS_OK;
}

/* Completed runs of the current plan, one point per scale; the steps axis takes the
 * curves of its first seed's run (its largest, when several are planned). */
static zs_status axis_curves(axis_ctx *a, zs_quanta_curves *out, zs_error *err) {
    size_t n_runs = a->plan.n_runs;
    point *pts = calloc(n_runs ? n_runs : 1, sizeof *pts);
    if (!pts) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (quanta points)");
    size_t n_pts = 0, n_subtasks = a->spec.datasets[0].parity.n_tasks;
    zs_status s = ZS_OK;
    for (size_t k = 0; !s && k < n_runs; k++) {
        const zs_sweep_plan_run *r = &a->plan.runs[k];
        zs_ledger_run row;
        int found = 0;
        s = zs_ledger_run_get(a->lg, r->id, &row, &found, err);
        if (s || !found || row.status != ZS_RUN_COMPLETED) continue;
        zs_quanta_curves c;
        if ((s = run_curves(a, r->id, &c, err))) break;
        if (a->axis == ZS_QUANTA_AXIS_STEPS) {
            if (n_pts == 0 || r->seed == a->spec.seeds[0]) {
                zs_quanta_curves_free(out);
                *out = c;
                n_pts = 1;
                if (r->seed == a->spec.seeds[0]) break;
            } else {
                zs_quanta_curves_free(&c);
            }
            continue;
        }
        s = add_run(pts, &n_pts, run_x(a, r), &c, scored_point(a, &c), err);
        zs_quanta_curves_free(&c);
    }
    if (!s && n_pts == 0)
        s = zs_fail(err, ZS_ERR_USAGE, "%s: no completed runs to analyse yet", a->dir);
    if (!s && a->axis != ZS_QUANTA_AXIS_STEPS) {
        qsort(pts, n_pts, sizeof *pts, by_x);
        double *x = malloc(n_pts * sizeof *x);
        const double **rows = malloc(n_pts * sizeof *rows);
        if (!x || !rows) {
            s = zs_fail(err, ZS_ERR_NOMEM, "out of memory (quanta points)");
        } else {
            for (size_t p = 0; p < n_pts; p++) x[p] = pts[p].x, rows[p] = pts[p].subtask;
            s = zs_quanta_curves_from_runs(out, a->axis == ZS_QUANTA_AXIS_PARAMS ? "N" : "D", x,
                                           rows, n_pts, n_subtasks, err);
        }
        /* from_runs keeps the order of x, already sorted */
        for (size_t p = 0; !s && p < n_pts; p++) out->test_loss_nats[p] = pts[p].loss;
        free(x);
        free(rows);
    }
    for (size_t p = 0; p < n_pts && a->axis != ZS_QUANTA_AXIS_STEPS; p++) free(pts[p].subtask);
    free(pts);
    if (s) zs_quanta_curves_free(out);
    return s;
}

/* The pure power law over the points from the first with a subtask learned to the last
 * with one not learned; NAN when fewer than 3 points qualify or the fit fails. */
static void fit_axis(zs_quanta_axis_result *r, const zs_quanta_emergence *e, double level) {
    r->alpha = r->alpha_lo = r->alpha_hi = r->log_a = NAN;
    size_t first = r->n_points, last = 0;
    for (size_t i = 0; i < r->n_points; i++) {
        if (e->n_learned_by[i] >= 1 && first == r->n_points) first = i;
        if (e->n_learned_by[i] < r->n_subtasks) last = i;
    }
    r->fit_first = first < r->n_points ? first : 0;
    r->fit_count = first < r->n_points && last >= first ? last - first + 1 : 0;
    if (r->fit_count < 3) return;
    zs_powerlaw pl;
    zs_error ignored;
    if (zs_powerlaw_fit(r->x + first, r->loss_nats + first, r->fit_count, ZS_POWERLAW_PURE, level,
                        &pl, &ignored))
        return;
    r->alpha = pl.alpha.value, r->alpha_lo = pl.alpha.lo, r->alpha_hi = pl.alpha.hi;
    r->log_a = log(pl.A.value);
}

/* Moves the emergence's numbers into the axis result. */
static zs_status fill_axis(zs_quanta_axis_result *r, const zs_quanta_curves *c,
                           const zs_quanta_emergence *e, zs_error *err) {
    size_t np = c->n_points, ns = c->n_subtasks;
    r->n_points = np, r->n_subtasks = ns;
    r->x = malloc(np * sizeof *r->x);
    r->subtask_loss_nats = malloc(np * ns * sizeof *r->subtask_loss_nats);
    r->learning_x = malloc(ns * sizeof *r->learning_x);
    r->fraction_learned = malloc(np * sizeof *r->fraction_learned);
    r->loss_nats = malloc(np * sizeof *r->loss_nats);
    if (!r->loss_nats || !r->x || !r->subtask_loss_nats || !r->learning_x || !r->fraction_learned)
        return zs_fail(err, ZS_ERR_NOMEM, "out of memory (quanta result)");
    memcpy(r->x, c->x, np * sizeof *r->x);
    memcpy(r->loss_nats, c->test_loss_nats, np * sizeof *r->loss_nats);
    memcpy(r->subtask_loss_nats, c->loss_nats, np * ns * sizeof *r->subtask_loss_nats);
    for (size_t s = 0; s < ns; s++) r->learning_x[s] = e->learning[s].x;
    for (size_t i = 0; i < np; i++) r->fraction_learned[i] = e->fraction_below[i];
    r->n_learned = e->n_learned;
    r->rho = e->rank_corr.rho, r->rho_lo = e->rank_corr.lo, r->rho_hi = e->rank_corr.hi;
    r->present = 1;
    return ZS_OK;
}

static zs_status analyse_axis(const char *dir, zs_quanta_axis axis,
                              const zs_sweep_quanta_analyse_opts *o, zs_quanta_result *res,
                              zs_parity_spec *task, int *task_set, zs_error *err) {
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/%s", dir, zs_quanta_axis_name(axis));
    axis_ctx a = {.dir = sub, .axis = axis};
    zs_quanta_curves c;
    zs_quanta_emergence e;
    memset(&c, 0, sizeof c);
    memset(&e, 0, sizeof e);
    zs_status s = zs_ledger_open(&a.lg, sub, 0, err);
    if (!s) s = zs_sweep_ledger_spec(a.lg, sub, &a.spec, err);
    if (!s) s = zs_sweep_plan_build(&a.spec, &a.plan, err);
    if (!s) s = check_task(&a, task, task_set, err);
    if (!s) s = axis_curves(&a, &c, err);
    if (!s) s = zs_quanta_emergence_analyse(&c, &o->emergence, &e, err);
    zs_quanta_axis_result *r = &res->axes[axis];
    if (!s) s = fill_axis(r, &c, &e, err);
    if (!s) fit_axis(r, &e, o->emergence.level);
    zs_quanta_emergence_free(&e);
    zs_quanta_curves_free(&c);
    zs_sweep_plan_free(&a.plan, a.spec.n_datasets);
    zs_sweep_spec_free(&a.spec);
    zs_ledger_close(a.lg);
    return s;
}

static zs_status predict(zs_quanta_result *res, zs_error *err) {
    zs_quanta_exponents ex;
    zs_status s = zs_quanta_exponents_predict(res->zipf_exponent, 1.0, &ex, err);
    if (s) return s;
    res->axes[ZS_QUANTA_AXIS_PARAMS].alpha_predicted = ex.alpha_n;
    res->axes[ZS_QUANTA_AXIS_DATA].alpha_predicted = ex.alpha_d;
    res->axes[ZS_QUANTA_AXIS_STEPS].alpha_predicted = ex.alpha_s;
    return ZS_OK;
}

static zs_status report(const char *dir, const char *json_path,
                        const zs_sweep_quanta_analyse_opts *o, zs_error *err) {
    char out[4200];
    snprintf(out, sizeof out, "%s/report.html", dir);
    zs_report_opts ro;
    zs_report_opts_init(&ro);
    ro.title = "zipscale quanta: the quantization model on sparse parity";
    ro.date_utc = o->report_date;
    ro.threads = o->threads;
    const char *inputs[] = {json_path};
    return zs_report_write(inputs, 1, &ro, out, err);
}

zs_status zs_sweep_quanta_analyse(const char *dir, const zs_sweep_quanta_analyse_opts *opts,
                                  zs_quanta_result *out, zs_error *err) {
    zs_quanta_result res;
    memset(&res, 0, sizeof res);
    res.threshold_bits = opts->emergence.threshold_bits;
    res.level = opts->emergence.level;
    zs_status s = zs_quanta_emergence_opts_check(&opts->emergence, err);
    int task_set = 0, any = 0;
    zs_parity_spec task;
    memset(&task, 0, sizeof task);
    for (int axis = 0; !s && axis < ZS_QUANTA_N_AXES; axis++) {
        char db[4300];
        snprintf(db, sizeof db, "%s/%s/sweep.db", dir, zs_quanta_axis_name((zs_quanta_axis)axis));
        if (access(db, F_OK) != 0) continue;
        s = analyse_axis(dir, (zs_quanta_axis)axis, opts, &res, &task, &task_set, err);
        any = 1;
    }
    if (!s && !any)
        s = zs_fail(err, ZS_ERR_USAGE,
                    "%s: no quanta experiment (params/, data/ or steps/ "
                    "with a sweep.db) to analyse",
                    dir);
    res.n_tasks = task.n_tasks, res.n_bits = task.n_bits, res.k = task.k;
    res.zipf_exponent = task.zipf_exponent;
    char path[4200];
    snprintf(path, sizeof path, "%s/quanta.json", dir);
    if (!s) s = predict(&res, err);
    if (!s) s = zs_quanta_result_write(&res, path, err);
    if (!s) s = report(dir, path, opts, err);
    if (!s && out)
        *out = res;
    else
        zs_quanta_result_free(&res);
    if (s && out) memset(out, 0, sizeof *out);
    return s;
}
