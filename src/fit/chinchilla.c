/* The Chinchilla fit [EP]: the log-space objective and its gradient in one pass, a
 * compact L-BFGS with a weak-Wolfe line search, and the multi-start driver that runs
 * every start of the grid in parallel and keeps the best. Between runs.c (points) and
 * bootstrap.c / lawfile.c (results). docs/fitting.md. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "fit/fit_log.h"
#include "zipscale/fit.h"

enum { LBFGS_MEMORY = 10, LINE_SEARCH_STEPS = 40 };
/* Stop when the largest gradient component is below GRAD_TOL, or when one iteration
 * lowers the objective by less than DECREASE_TOL relative to it. A line search that
 * cannot progress still counts as converged when the gradient is below STALL_GRAD_TOL
 * (the point is then optimal to rounding). */
static const double GRAD_TOL = 1e-10, DECREASE_TOL = 1e-10, STALL_GRAD_TOL = 1e-6;
/* Sums of powers inside these bounds take the direct path; slope / s stays finite. */
static const double DIRECT_MIN = 1e-250, DIRECT_MAX = 1e250;
/* c2 close to 1 accepts long steps sooner: on the benchmark table it cuts evaluations per
 * start from 99 to 75 and lands on the same optimum. */
static const double WOLFE_C1 = 1e-4, WOLFE_C2 = 0.999;

void zs_fit_opts_init(zs_fit_opts *opts) {
    *opts = (zs_fit_opts){
        .loss = ZS_FIT_HUBER, .delta = 1e-3, .max_iterations = 1000, .e_max = INFINITY};
    zs_fit_grid_default(&opts->grid);
}

/* ---- objective ---------------------------------------------------------------------- */

/* The per-point terms of the direct path, one array each of scratch. */
enum { TERM_VALUE, TERM_K, TERM_A, TERM_ALPHA, TERM_B, TERM_BETA, N_TERMS };

/* Per-evaluation scratch: the power terms per distinct log N / log D, then N_TERMS arrays
 * of per-point terms (direct_points). n_log_n + n_log_d + N_TERMS n doubles. */
static size_t scratch_doubles(const zs_fit_data *data) {
    return data->n_log_n + data->n_log_d + N_TERMS * data->n;
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
 * overflows; for points where the direct sum of powers leaves (DIRECT_MIN, DIRECT_MAX). */
static double logsumexp3(double t1, double t2, double t3, double w[3]) {
    double m = fmax(t1, fmax(t2, t3));
    double u1 = exp(t1 - m), u2 = exp(t2 - m), u3 = exp(t3 - m), s = u1 + u2 + u3;
    w[0] = u1 / s;
    w[1] = u2 / s;
    w[2] = u3 / s;
    return m + log(s);
}

/* Each point's terms on the direct path: its loss w rho(r), and with the gradient weight
 * k = w rho'(r) / s, k and k times d s / d(a, alpha, b, beta) = pow_n (1, log N),
 * pow_d (1, log D) (alpha's and beta's signs are applied to the sums). A point whose s
 * leaves (DIRECT_MIN, DIRECT_MAX) gets zeros: the caller takes it down the shifted path.
 * Returns how many left. One flat loop with no sums across points, so it vectorises, and
 * each point's numbers are the same bits at any vector width or none. Inlined with
 * weighted and loss fixed by the caller: a branch inside keeps a loop scalar. */
static inline __attribute__((always_inline)) int
direct_points(const zs_fit_data *data, int weighted, zs_fit_loss loss, double delta,
              const double *pow_n, const double *pow_d, double pow_e, double *restrict term) {
    const size_t n = data->n;
    const uint32_t *n_index = data->n_index, *d_index = data->d_index;
    const double *log_loss = data->log_loss, *weight = data->weight;
    const double *log_n = data->log_n_values, *log_d = data->log_d_values;
    double *restrict t_value = term + TERM_VALUE * n, *restrict t_k = term + TERM_K * n;
    double *restrict t_a = term + TERM_A * n, *restrict t_alpha = term + TERM_ALPHA * n;
    double *restrict t_b = term + TERM_B * n, *restrict t_beta = term + TERM_BETA * n;
    int outside = 0;
#pragma omp simd reduction(+ : outside)
    for (size_t i = 0; i < n; i++) {
        const uint32_t jn = n_index[i], jd = d_index[i];
        const double pn = pow_n[jn], pd = pow_d[jd], s = pow_e + pn + pd;
        /* & rather than &&, and the log taken of s unclamped: a branch or a select there
         * keeps the loop scalar. The log of an s outside is garbage, never used. */
        const int inside = (s > DIRECT_MIN) & (s < DIRECT_MAX);
        const double r = zs_fit_log(s) - log_loss[i];
        const double w = weighted ? weight[i] : 1.0;
        double rho, slope;
        if (loss == ZS_FIT_LSQ) {
            rho = r * r;
            slope = 2 * r;
        } else {
            const double abs_r = fabs(r);
            rho = abs_r <= delta ? 0.5 * r * r : delta * (abs_r - 0.5 * delta);
            slope = abs_r <= delta ? r : copysign(delta, r);
        }
        /* Selected, not multiplied by 0: outside, a power may be infinite. */
        const double k = inside ? w * slope / s : 0.0;
        const double kn = inside ? k * pn : 0.0, kd = inside ? k * pd : 0.0;
        t_value[i] = inside ? w * rho : 0.0;
        t_k[i] = k;
        t_a[i] = kn;
        t_alpha[i] = kn * log_n[jn];
        t_b[i] = kd;
        t_beta[i] = kd * log_d[jd];
        outside += !inside;
    }
    return outside;
}

/* Sums across points are kept in LANES partial sums (point i adds to lane i % LANES), added
 * lane by lane at the end: the loop vectorises over lanes, and the rounding is the same at
 * any vector width, on any machine. */
enum { LANES = 8 };

static double lane_sum(const double *x, size_t n) {
    double lane[LANES] = {0};
    size_t full = n - n % LANES;
    for (size_t base = 0; base < full; base += LANES)
        for (int l = 0; l < LANES; l++) lane[l] += x[base + (size_t)l];
    for (size_t i = full; i < n; i++) lane[i - full] += x[i];
    double s = 0;
    for (int l = 0; l < LANES; l++) s += lane[l];
    return s;
}

static double objective(const zs_fit_data *data, zs_fit_loss loss, double delta,
                        const double p[ZS_LAW_N_PARAMS], double grad[ZS_LAW_N_PARAMS],
                        double *scratch) {
    const double a = p[ZS_LAW_A], b = p[ZS_LAW_B], e = p[ZS_LAW_E];
    const double alpha = p[ZS_LAW_ALPHA], beta = p[ZS_LAW_BETA];
    const size_t nn = data->n_log_n, nd = data->n_log_d, n = data->n;
    double *pow_n = scratch, *pow_d = pow_n + nn, *term = pow_d + nd;
    for (size_t j = 0; j < nn; j++) pow_n[j] = exp(a - alpha * data->log_n_values[j]);
    for (size_t j = 0; j < nd; j++) pow_d[j] = exp(b - beta * data->log_d_values[j]);
    const double pow_e = exp(e);
    int outside;
    if (data->weight && loss == ZS_FIT_LSQ)
        outside = direct_points(data, 1, ZS_FIT_LSQ, delta, pow_n, pow_d, pow_e, term);
    else if (data->weight)
        outside = direct_points(data, 1, ZS_FIT_HUBER, delta, pow_n, pow_d, pow_e, term);
    else if (loss == ZS_FIT_LSQ)
        outside = direct_points(data, 0, ZS_FIT_LSQ, delta, pow_n, pow_d, pow_e, term);
    else
        outside = direct_points(data, 0, ZS_FIT_HUBER, delta, pow_n, pow_d, pow_e, term);
    double sum = lane_sum(term + TERM_VALUE * n, n);
    if (!grad && !outside) return sum;
    double g_a = lane_sum(term + TERM_A * n, n), g_b = lane_sum(term + TERM_B * n, n);
    double g_alpha = -lane_sum(term + TERM_ALPHA * n, n);
    double g_beta = -lane_sum(term + TERM_BETA * n, n);
    double g_e = lane_sum(term + TERM_K * n, n) * pow_e;
    /* The shifted path, in point order, for the points the direct one left out. */
    for (size_t i = 0; outside && i < n; i++) {
        const uint32_t jn = data->n_index[i], jd = data->d_index[i];
        double s = pow_e + pow_n[jn] + pow_d[jd], slope;
        if (s > DIRECT_MIN && s < DIRECT_MAX) continue;
        double ln = data->log_n_values[jn], ld = data->log_d_values[jd], soft[3];
        double r = logsumexp3(a - alpha * ln, b - beta * ld, e, soft) - data->log_loss[i];
        double w = data->weight ? data->weight[i] : 1.0;
        sum += w * loss_value(loss, delta, r, &slope);
        double kw = w * slope;
        g_a += kw * soft[0];
        g_alpha -= kw * soft[0] * ln;
        g_b += kw * soft[1];
        g_beta -= kw * soft[1] * ld;
        g_e += kw * soft[2];
    }
    if (!grad) return sum;
    grad[ZS_LAW_A] = g_a;
    grad[ZS_LAW_B] = g_b;
    grad[ZS_LAW_E] = g_e;
    grad[ZS_LAW_ALPHA] = g_alpha;
    grad[ZS_LAW_BETA] = g_beta;
    return sum;
}

double zs_fit_objective(const zs_fit_data *data, zs_fit_loss loss, double delta,
                        const double p[ZS_LAW_N_PARAMS], double grad[ZS_LAW_N_PARAMS]) {
    return objective(data, loss, delta, p, grad, data->scratch);
}

/* ---- L-BFGS --------------------------------------------------------------------------- */

static double dot(const double *x, const double *y) {
    double s = 0;
    for (int i = 0; i < ZS_LAW_N_PARAMS; i++) s += x[i] * y[i];
    return s;
}

static double max_abs(const double *x) {
    double m = 0;
    for (int i = 0; i < ZS_LAW_N_PARAMS; i++) m = fmax(m, fabs(x[i]));
    return m;
}

typedef struct {
    const zs_fit_data *data;
    zs_fit_loss loss;
    double delta;
    double *scratch;
    int fix_e; /* e is held where it starts: its gradient component reads 0 */
} problem;

/* With fix_e the gradient's e component is zeroed. L-BFGS then never moves e: the first
 * direction -g has d_e = 0, so every step s and gradient change y have a zero e component,
 * and the two-loop recursion (built from g, s, y and a multiple of the identity) keeps
 * d_e = 0. The iterates are exactly those of L-BFGS on the 4 free parameters. */
static double evaluate(const problem *pr, const double *x, double *g) {
    double f = objective(pr->data, pr->loss, pr->delta, x, g, pr->scratch);
    if (g && pr->fix_e) g[ZS_LAW_E] = 0;
    return f;
}

/* Two-loop recursion: d = -H g from the last `count` pairs (newest at index newest). */
static void lbfgs_direction(const double (*s)[ZS_LAW_N_PARAMS], const double (*y)[ZS_LAW_N_PARAMS],
                            const double *rho, int count, int newest, const double *g, double *d) {
    double q[ZS_LAW_N_PARAMS], alpha[LBFGS_MEMORY];
    memcpy(q, g, sizeof q);
    for (int k = 0; k < count; k++) {
        int i = (newest - k + LBFGS_MEMORY) % LBFGS_MEMORY;
        alpha[i] = rho[i] * dot(s[i], q);
        for (int j = 0; j < ZS_LAW_N_PARAMS; j++) q[j] -= alpha[i] * y[i][j];
    }
    double gamma = count ? dot(s[newest], y[newest]) / dot(y[newest], y[newest]) : 1.0;
    for (int j = 0; j < ZS_LAW_N_PARAMS; j++) q[j] *= gamma;
    for (int k = count - 1; k >= 0; k--) {
        int i = (newest - k + LBFGS_MEMORY) % LBFGS_MEMORY;
        double beta = rho[i] * dot(y[i], q);
        for (int j = 0; j < ZS_LAW_N_PARAMS; j++) q[j] += (alpha[i] - beta) * s[i][j];
    }
    for (int j = 0; j < ZS_LAW_N_PARAMS; j++) d[j] = -q[j];
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
    double best_x[ZS_LAW_N_PARAMS], best_g[ZS_LAW_N_PARAMS], best_f = f;
    for (int step = 0; step < LINE_SEARCH_STEPS; step++) {
        for (int j = 0; j < ZS_LAW_N_PARAMS; j++) x_new[j] = x[j] + t * d[j];
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
    double s[LBFGS_MEMORY][ZS_LAW_N_PARAMS], y[LBFGS_MEMORY][ZS_LAW_N_PARAMS], rho[LBFGS_MEMORY];
    double g[ZS_LAW_N_PARAMS], d[ZS_LAW_N_PARAMS], x_new[ZS_LAW_N_PARAMS], g_new[ZS_LAW_N_PARAMS];
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
            for (int j = 0; j < ZS_LAW_N_PARAMS; j++) d[j] = -g[j];
            t = 0.1 / max_abs(g); /* the largest parameter moves by 0.1 */
            count = 0;
        }
        double f_new;
        if (!line_search(pr, x, f, g, d, t, x_new, &f_new, g_new)) {
            *converged = max_abs(g) <= STALL_GRAD_TOL;
            break;
        }
        /* The pair replaces the oldest only when it carries positive curvature. */
        double step[ZS_LAW_N_PARAMS], change[ZS_LAW_N_PARAMS];
        for (int j = 0; j < ZS_LAW_N_PARAMS; j++) {
            step[j] = x_new[j] - x[j];
            change[j] = g_new[j] - g[j];
        }
        double sy = dot(step, change);
        if (sy > 1e-300) {
            newest = (newest + 1) % LBFGS_MEMORY;
            memcpy(s[newest], step, sizeof step);
            memcpy(y[newest], change, sizeof change);
            rho[newest] = 1.0 / sy;
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
    result->law = (zs_chinchilla){exp(p[ZS_LAW_E]), exp(p[ZS_LAW_A]), exp(p[ZS_LAW_B]),
                                  p[ZS_LAW_ALPHA], p[ZS_LAW_BETA]};
    double squares = 0;
    for (size_t i = 0; i < data->n; i++) {
        double soft[3];
        double r = logsumexp3(p[ZS_LAW_A] - p[ZS_LAW_ALPHA] * data->log_n_values[data->n_index[i]],
                              p[ZS_LAW_B] - p[ZS_LAW_BETA] * data->log_d_values[data->d_index[i]],
                              p[ZS_LAW_E], soft) -
                   data->log_loss[i];
        squares += r * r;
    }
    result->n_points = data->n;
    result->residual_rms = data->n ? sqrt(squares / (double)data->n) : NAN;
}

/* ---- multi-start driver ------------------------------------------------------------------ */

typedef struct {
    double p[ZS_LAW_N_PARAMS];
    double objective;
    int converged, iterations;
} start_result;

/* Runs L-BFGS from every start (grid then extra) into starts[]. fix_e: e is set to
 * e_fixed at every start and held there. Each start depends only on its own index, so any
 * schedule gives the same numbers; the scratch buffer is the thread's own and holds no
 * state between starts. */
static void run_starts(const zs_fit_data *data, const zs_fit_opts *opts,
                       const double (*extra)[ZS_LAW_N_PARAMS], size_t n_grid, size_t n_starts,
                       int fix_e, double e_fixed, int threads, double *scratch, size_t per_thread,
                       start_result *starts) {
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
    for (size_t i = 0; i < n_starts; i++) {
        problem pr = {data, opts->loss, opts->delta,
                      scratch + (size_t)omp_get_thread_num() * per_thread, fix_e};
        double x[ZS_LAW_N_PARAMS];
        if (i < n_grid)
            zs_fit_grid_point(&opts->grid, i, x);
        else
            memcpy(x, extra[i - n_grid], sizeof x);
        if (fix_e) x[ZS_LAW_E] = e_fixed;
        lbfgs(&pr, opts->max_iterations, x, &starts[i].objective, &starts[i].converged,
              &starts[i].iterations);
        memcpy(starts[i].p, x, sizeof x);
    }
}

/* Whether a start's law has numbers: A = e^a and B = e^b finite. Along a flat direction
 * of the objective (E held above the losses, say) a start can run off until A or B
 * overflows; another start that stopped earlier on the same objective gives a law that
 * can be written and read back. */
static int law_finite(const start_result *start) {
    return isfinite(exp(start->p[ZS_LAW_A])) && isfinite(exp(start->p[ZS_LAW_B]));
}

/* The lowest finite objective among starts[0..n) that `keep` accepts (lowest index on
 * ties), or n when there is none; starts whose A and B are finite come first, the others
 * are taken only when no start has them. keep: 0 = all, 1 = only those with
 * e^e <= e_max. */
static size_t best_start(const start_result *starts, size_t n, int keep, double e_max) {
    size_t best = n;
    for (int finite_only = 1; finite_only >= 0 && best == n; finite_only--)
        for (size_t i = 0; i < n; i++) {
            if (!(starts[i].objective < HUGE_VAL)) continue;
            if (keep && !(exp(starts[i].p[ZS_LAW_E]) <= e_max)) continue;
            if (finite_only && !law_finite(&starts[i])) continue;
            if (best == n || starts[i].objective < starts[best].objective) best = i;
        }
    return best;
}

/* log(e_max), stepped down until exp of it does not exceed e_max, so the E reported at the
 * bound is e_max to rounding and never above it. */
static double log_bound(double e_max) {
    double c = log(e_max);
    while (exp(c) > e_max) c = nextafter(c, -HUGE_VAL);
    return c;
}

/* The bound on E (docs/fitting.md, "Bounding E"). The constrained problem is
 *     min f(p)  subject to  e <= c = log(e_max),
 * a bound on one coordinate. Its minimum is either a local minimum of f with e < c (an
 * interior point, where the bound plays no part), or a point on the face e = c that
 * minimises f over the other four parameters (with df/de <= 0 there: the KKT condition).
 * So the driver
 *   1. runs the unconstrained multi-start as without a bound. If the best optimum has
 *      E <= e_max it is the answer, unchanged: a bound the fit satisfies changes nothing.
 *   2. Otherwise it keeps the starts' optima with E <= e_max (feasible interior optima),
 *   3. runs L-BFGS on the face from every start with e set to c (a grid start above the
 *      bound is thereby clamped to it; one below is lifted to the face, which is where the
 *      constrained optimum lies once step 1 has shown the unconstrained one above it), and
 *   4. returns the lowest objective of 2 and 3 (ties: interior first, then lower index).
 * Every candidate satisfies the bound, so the answer does; the search is as global as the
 * unconstrained one (the same starts, on each of the two pieces). Steps 2-4 are again
 * parallel over starts and deterministic. With opts->e_fixed only the face is searched
 * (step 3 alone): E is e_max, not a free parameter. */
zs_status zs_fit_chinchilla(const zs_fit_data *data, const zs_fit_opts *opts,
                            const double (*extra)[ZS_LAW_N_PARAMS], size_t n_extra,
                            zs_fit_result *result, zs_error *err) {
    memset(result, 0, sizeof *result);
    if (data->n == 0) return zs_fail(err, ZS_ERR_RANGE, "fit of 0 points: expected at least one");
    const double e_max = opts->e_max;
    if (!(e_max > 0))
        return zs_fail(err, ZS_ERR_USAGE,
                       "fit: e_max %g: expected a positive bound on E (or infinity for none)",
                       e_max);
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
    const int fixed = opts->e_fixed && isfinite(e_max);
    if (!fixed)
        run_starts(data, opts, extra, n_grid, n_starts, 0, 0, threads, scratch, per_thread, starts);
    size_t best = fixed ? n_starts : best_start(starts, n_starts, 0, e_max);
    int on_bound = 0;
    start_result *face = NULL;
    zs_status s = ZS_OK;
    if (fixed ||
        (best < n_starts && isfinite(e_max) && !(exp(starts[best].p[ZS_LAW_E]) <= e_max))) {
        face = zs_calloc(n_starts, sizeof *face, "fit starts", err);
        if (!face) s = ZS_ERR_NOMEM;
        if (!s) {
            run_starts(data, opts, extra, n_grid, n_starts, 1, log_bound(e_max), threads, scratch,
                       per_thread, face);
            best = fixed ? n_starts : best_start(starts, n_starts, 1, e_max);
            size_t best_face = best_start(face, n_starts, 0, e_max);
            if (best_face < n_starts &&
                (best == n_starts || face[best_face].objective < starts[best].objective)) {
                best = best_face;
                on_bound = 1;
            }
        }
    }
    const start_result *winner = best == n_starts ? NULL : on_bound ? &face[best] : &starts[best];
    if (!s && !winner) {
        s = zs_fail(err, ZS_ERR_NUMERIC,
                    "fit: no start reached a finite objective (%zu starts, %zu points)", n_starts,
                    data->n);
    } else if (!s) {
        memcpy(result->p, winner->p, sizeof result->p);
        result->objective = winner->objective;
        result->converged = winner->converged;
        result->iterations = winner->iterations;
        result->start_index = best;
        result->e_bound_active = on_bound;
        zs_fit_result_finish(data, result);
    }
    free(face);
    free(starts);
    free(scratch);
    return s;
}
