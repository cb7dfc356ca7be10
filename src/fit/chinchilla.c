/* The Chinchilla fit [EP]: the log-space objective and its gradient in one pass, a
 * compact L-BFGS with a weak-Wolfe line search, and the multi-start driver that runs
 * every start of the grid in parallel and keeps the best. Between runs.c (points) and
 * bootstrap.c / lawfile.c (results). docs/fitting.md. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/fit.h"

enum { LBFGS_MEMORY = 10, LINE_SEARCH_STEPS = 40 };
/* Stop when the largest gradient component is below GRAD_TOL, or when one iteration
 * lowers the objective by less than DECREASE_TOL relative to it. A line search that
 * cannot progress still counts as converged when the gradient is below STALL_GRAD_TOL
 * (the point is then optimal to rounding). */
static const double GRAD_TOL = 1e-10, DECREASE_TOL = 1e-13, STALL_GRAD_TOL = 1e-6;
static const double WOLFE_C1 = 1e-4, WOLFE_C2 = 0.9;

void zs_fit_opts_init(zs_fit_opts *opts) {
    *opts = (zs_fit_opts){.loss = ZS_FIT_HUBER, .delta = 1e-3, .max_iterations = 1000};
    zs_fit_grid_default(&opts->grid);
}

/* ---- objective ---------------------------------------------------------------------- */

/* Per-evaluation scratch: the power terms per distinct log N / log D, and the gradient
 * weights accumulated per distinct value. 2 * (n_log_n + n_log_d) doubles. */
static size_t scratch_doubles(const zs_fit_data *data) {
    return 2 * (data->n_log_n + data->n_log_d);
}

/* rho(r) and rho'(r): scipy.special.huber(delta, r), or r^2. */
static inline double loss_value(zs_fit_loss loss, double delta, double r, double *slope) {
    if (loss == ZS_FIT_LSQ) {
        *slope = 2 * r;
        return r * r;
    }
    double abs_r = fabs(r);
    if (abs_r <= delta) {
        *slope = r;
        return 0.5 * r * r;
    }
    *slope = r > 0 ? delta : -delta;
    return delta * (abs_r - 0.5 * delta);
}

/* log(e^t1 + e^t2 + e^t3) and the softmax weights, shifted by the max so nothing
 * overflows; for points where the direct sum of powers leaves (0, inf). */
static double logsumexp3(double t1, double t2, double t3, double w[3]) {
    double m = fmax(t1, fmax(t2, t3));
    double u1 = exp(t1 - m), u2 = exp(t2 - m), u3 = exp(t3 - m), s = u1 + u2 + u3;
    w[0] = u1 / s;
    w[1] = u2 / s;
    w[2] = u3 / s;
    return m + log(s);
}

static double objective(const zs_fit_data *data, zs_fit_loss loss, double delta,
                        const double p[ZS_FIT_NPARAMS], double grad[ZS_FIT_NPARAMS],
                        double *scratch) {
    const double a = p[ZS_FIT_A], b = p[ZS_FIT_B], e = p[ZS_FIT_E];
    const double alpha = p[ZS_FIT_ALPHA], beta = p[ZS_FIT_BETA];
    const size_t nn = data->n_log_n, nd = data->n_log_d;
    double *pow_n = scratch, *pow_d = scratch + nn, *acc_n = pow_d + nd, *acc_d = acc_n + nn;
    for (size_t j = 0; j < nn; j++) pow_n[j] = exp(a - alpha * data->log_n_values[j]);
    for (size_t j = 0; j < nd; j++) pow_d[j] = exp(b - beta * data->log_d_values[j]);
    memset(acc_n, 0, (nn + nd) * sizeof *acc_n);
    const double pow_e = exp(e);
    double total = 0, g_a = 0, g_b = 0, g_e = 0, g_e_direct = 0, g_alpha = 0, g_beta = 0;
    for (size_t i = 0; i < data->n; i++) {
        const uint32_t jn = data->n_index[i], jd = data->d_index[i];
        double s = pow_e + pow_n[jn] + pow_d[jd], slope;
        if (s > 0 && s < HUGE_VAL) {
            double r = log(s) - data->log_loss[i];
            double w = data->weight ? data->weight[i] : 1.0;
            total += w * loss_value(loss, delta, r, &slope);
            double k = w * slope / s;
            acc_n[jn] += k;
            acc_d[jd] += k;
            g_e += k;
        } else {
            double ln = data->log_n_values[jn], ld = data->log_d_values[jd], soft[3];
            double r = logsumexp3(a - alpha * ln, b - beta * ld, e, soft) - data->log_loss[i];
            double w = data->weight ? data->weight[i] : 1.0;
            total += w * loss_value(loss, delta, r, &slope);
            double k = w * slope;
            g_a += k * soft[0];
            g_alpha -= k * soft[0] * ln;
            g_b += k * soft[1];
            g_beta -= k * soft[1] * ld;
            g_e_direct += k * soft[2];
        }
    }
    if (!grad) return total;
    for (size_t j = 0; j < nn; j++) {
        double t = acc_n[j] * pow_n[j];
        g_a += t;
        g_alpha -= t * data->log_n_values[j];
    }
    for (size_t j = 0; j < nd; j++) {
        double t = acc_d[j] * pow_d[j];
        g_b += t;
        g_beta -= t * data->log_d_values[j];
    }
    grad[ZS_FIT_A] = g_a;
    grad[ZS_FIT_B] = g_b;
    grad[ZS_FIT_E] = g_e * pow_e + g_e_direct;
    grad[ZS_FIT_ALPHA] = g_alpha;
    grad[ZS_FIT_BETA] = g_beta;
    return total;
}

double zs_fit_objective(const zs_fit_data *data, zs_fit_loss loss, double delta,
                        const double p[ZS_FIT_NPARAMS], double grad[ZS_FIT_NPARAMS]) {
    double *scratch = malloc(scratch_doubles(data) * sizeof *scratch + 1);
    if (!scratch) return NAN;
    double f = objective(data, loss, delta, p, grad, scratch);
    free(scratch);
    return f;
}

/* ---- L-BFGS --------------------------------------------------------------------------- */

static double dot(const double *x, const double *y) {
    double s = 0;
    for (int i = 0; i < ZS_FIT_NPARAMS; i++) s += x[i] * y[i];
    return s;
}

static double max_abs(const double *x) {
    double m = 0;
    for (int i = 0; i < ZS_FIT_NPARAMS; i++) m = fmax(m, fabs(x[i]));
    return m;
}

typedef struct {
    const zs_fit_data *data;
    zs_fit_loss loss;
    double delta;
    double *scratch;
} problem;

static double evaluate(const problem *pr, const double *x, double *g) {
    return objective(pr->data, pr->loss, pr->delta, x, g, pr->scratch);
}

/* Two-loop recursion: d = -H g from the last `count` pairs (newest at index newest). */
static void lbfgs_direction(const double (*s)[ZS_FIT_NPARAMS], const double (*y)[ZS_FIT_NPARAMS],
                            const double *rho, int count, int newest, const double *g, double *d) {
    double q[ZS_FIT_NPARAMS], alpha[LBFGS_MEMORY];
    memcpy(q, g, sizeof q);
    for (int k = 0; k < count; k++) {
        int i = (newest - k + LBFGS_MEMORY) % LBFGS_MEMORY;
        alpha[i] = rho[i] * dot(s[i], q);
        for (int j = 0; j < ZS_FIT_NPARAMS; j++) q[j] -= alpha[i] * y[i][j];
    }
    double gamma = count ? dot(s[newest], y[newest]) / dot(y[newest], y[newest]) : 1.0;
    for (int j = 0; j < ZS_FIT_NPARAMS; j++) q[j] *= gamma;
    for (int k = count - 1; k >= 0; k--) {
        int i = (newest - k + LBFGS_MEMORY) % LBFGS_MEMORY;
        double beta = rho[i] * dot(y[i], q);
        for (int j = 0; j < ZS_FIT_NPARAMS; j++) q[j] += (alpha[i] - beta) * s[i][j];
    }
    for (int j = 0; j < ZS_FIT_NPARAMS; j++) d[j] = -q[j];
}

/* Weak-Wolfe line search by bracketing (Lewis & Overton): a too-long step shrinks the
 * bracket from above, a too-short one from below; quadratic interpolation picks the next
 * trial inside the bracket. On success x_new, f_new, g_new hold the accepted point;
 * returns 0 when no step satisfied even the sufficient-decrease condition. */
static int line_search(const problem *pr, const double *x, double f, const double *g,
                       const double *d, double t, double *x_new, double *f_new, double *g_new) {
    const double gd = dot(g, d);
    double lo = 0, hi = HUGE_VAL;
    int have_armijo = 0;
    double best_x[ZS_FIT_NPARAMS], best_g[ZS_FIT_NPARAMS], best_f = f;
    for (int step = 0; step < LINE_SEARCH_STEPS; step++) {
        for (int j = 0; j < ZS_FIT_NPARAMS; j++) x_new[j] = x[j] + t * d[j];
        double ft = evaluate(pr, x_new, g_new);
        if (!(ft <= f + WOLFE_C1 * t * gd)) {
            hi = t;
            double t_quad = isfinite(ft) ? -gd * t * t / (2 * (ft - f - gd * t)) : 0.1 * t;
            t = fmin(fmax(t_quad, lo + 0.1 * (hi - lo)), hi - 0.1 * (hi - lo));
            continue;
        }
        have_armijo = 1;
        best_f = ft;
        memcpy(best_x, x_new, sizeof best_x);
        memcpy(best_g, g_new, sizeof best_g);
        if (dot(g_new, d) >= WOLFE_C2 * gd) {
            *f_new = ft;
            return 1;
        }
        lo = t;
        t = hi < HUGE_VAL ? 0.5 * (lo + hi) : 2 * t;
    }
    if (!have_armijo) return 0;
    memcpy(x_new, best_x, sizeof best_x);
    memcpy(g_new, best_g, sizeof best_g);
    *f_new = best_f;
    return 1;
}

static void lbfgs(const problem *pr, int max_iterations, double *x, double *f_out, int *converged,
                  int *iterations) {
    double s[LBFGS_MEMORY][ZS_FIT_NPARAMS], y[LBFGS_MEMORY][ZS_FIT_NPARAMS], rho[LBFGS_MEMORY];
    double g[ZS_FIT_NPARAMS], d[ZS_FIT_NPARAMS], x_new[ZS_FIT_NPARAMS], g_new[ZS_FIT_NPARAMS];
    int count = 0, newest = LBFGS_MEMORY - 1, iter = 0;
    double f = evaluate(pr, x, g);
    *converged = 0;
    for (; iter < max_iterations && isfinite(f); iter++) {
        if (max_abs(g) <= GRAD_TOL) {
            *converged = 1;
            break;
        }
        lbfgs_direction(s, y, rho, count, newest, g, d);
        double t = 1.0;
        if (count == 0 || dot(g, d) >= 0) {
            for (int j = 0; j < ZS_FIT_NPARAMS; j++) d[j] = -g[j];
            t = 1.0 / fmax(1.0, max_abs(g));
            count = 0;
        }
        double f_new;
        if (!line_search(pr, x, f, g, d, t, x_new, &f_new, g_new)) {
            *converged = max_abs(g) <= STALL_GRAD_TOL;
            break;
        }
        int next = (newest + 1) % LBFGS_MEMORY;
        for (int j = 0; j < ZS_FIT_NPARAMS; j++) {
            s[next][j] = x_new[j] - x[j];
            y[next][j] = g_new[j] - g[j];
        }
        double sy = dot(s[next], y[next]);
        if (sy > 1e-300) {
            rho[next] = 1.0 / sy;
            newest = next;
            if (count < LBFGS_MEMORY) count++;
        }
        double decrease = f - f_new;
        memcpy(x, x_new, sizeof x_new);
        memcpy(g, g_new, sizeof g_new);
        f = f_new;
        if (decrease <= DECREASE_TOL * fabs(f)) {
            *converged = 1;
            iter++;
            break;
        }
    }
    *f_out = isfinite(f) ? f : HUGE_VAL;
    *iterations = iter;
}

void zs_fit_result_finish(const zs_fit_data *data, zs_fit_result *result) {
    const double *p = result->p;
    result->law = (zs_chinchilla){exp(p[ZS_FIT_E]), exp(p[ZS_FIT_A]), exp(p[ZS_FIT_B]),
                                  p[ZS_FIT_ALPHA], p[ZS_FIT_BETA]};
    double squares = 0;
    for (size_t i = 0; i < data->n; i++) {
        double soft[3];
        double r = logsumexp3(p[ZS_FIT_A] - p[ZS_FIT_ALPHA] * data->log_n_values[data->n_index[i]],
                              p[ZS_FIT_B] - p[ZS_FIT_BETA] * data->log_d_values[data->d_index[i]],
                              p[ZS_FIT_E], soft) -
                   data->log_loss[i];
        squares += r * r;
    }
    result->n_points = data->n;
    result->residual_rms = data->n ? sqrt(squares / (double)data->n) : NAN;
}

static void minimize_with(const problem *pr, int max_iterations, const double *start,
                          zs_fit_result *result) {
    memset(result, 0, sizeof *result);
    memcpy(result->p, start, sizeof result->p);
    lbfgs(pr, max_iterations, result->p, &result->objective, &result->converged,
          &result->iterations);
}

void zs_fit_minimize(const zs_fit_data *data, const zs_fit_opts *opts,
                     const double start[ZS_FIT_NPARAMS], zs_fit_result *result) {
    double *scratch = malloc(scratch_doubles(data) * sizeof *scratch + 1);
    problem pr = {data, opts->loss, opts->delta, scratch};
    if (scratch) {
        minimize_with(&pr, opts->max_iterations, start, result);
    } else {
        memset(result, 0, sizeof *result);
        result->objective = HUGE_VAL;
    }
    free(scratch);
    zs_fit_result_finish(data, result);
}

/* ---- multi-start driver ------------------------------------------------------------------ */

typedef struct {
    double p[ZS_FIT_NPARAMS];
    double objective;
    int converged, iterations;
} start_result;

zs_status zs_fit_chinchilla(const zs_fit_data *data, const zs_fit_opts *opts,
                            const double (*extra)[ZS_FIT_NPARAMS], size_t n_extra,
                            zs_fit_result *result, zs_error *err) {
    memset(result, 0, sizeof *result);
    if (data->n == 0) return zs_fail(err, ZS_ERR_RANGE, "fit of 0 points: expected at least one");
    const size_t n_grid = zs_fit_grid_size(&opts->grid), n_starts = n_grid + n_extra;
    if (n_starts == 0) return zs_fail(err, ZS_ERR_USAGE, "fit with no starts: the grid is empty");
    const int threads = zs_threads_resolve(opts->threads);
    const size_t per_thread = scratch_doubles(data) + 1;
    start_result *starts = zs_calloc(n_starts, sizeof *starts, "fit starts", err);
    double *scratch = zs_alloc((size_t)threads * per_thread * sizeof *scratch, "fit scratch", err);
    if (!starts || !scratch) {
        free(starts);
        free(scratch);
        return ZS_ERR_NOMEM;
    }
    /* Each start depends only on its own index, so any schedule gives the same numbers;
     * the scratch buffer is the thread's own and holds no state between starts. */
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
    for (size_t i = 0; i < n_starts; i++) {
        problem pr = {data, opts->loss, opts->delta,
                      scratch + (size_t)omp_get_thread_num() * per_thread};
        double x[ZS_FIT_NPARAMS];
        if (i < n_grid)
            zs_fit_grid_point(&opts->grid, i, x);
        else
            memcpy(x, extra[i - n_grid], sizeof x);
        lbfgs(&pr, opts->max_iterations, x, &starts[i].objective, &starts[i].converged,
              &starts[i].iterations);
        memcpy(starts[i].p, x, sizeof x);
    }
    size_t best = 0;
    for (size_t i = 1; i < n_starts; i++)
        if (starts[i].objective < starts[best].objective) best = i;
    zs_status s = ZS_OK;
    if (!isfinite(starts[best].objective)) {
        s = zs_fail(err, ZS_ERR_NUMERIC,
                    "fit: no start reached a finite objective (%zu starts, %zu points)", n_starts,
                    data->n);
    } else {
        memcpy(result->p, starts[best].p, sizeof result->p);
        result->objective = starts[best].objective;
        result->converged = starts[best].converged;
        result->iterations = starts[best].iterations;
        result->start_index = best;
        zs_fit_result_finish(data, result);
    }
    free(starts);
    free(scratch);
    return s;
}
