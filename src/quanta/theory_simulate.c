/* Simulated loss curves of the quantization model [QM]: which quanta are learned at a given
 * number of parameters, examples (many epochs) or steps (one epoch), and the loss that
 * leaves, for the Zipf model or for any distribution of quanta (docs/quanta.md). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "quanta/theory_internal.h"
#include "zipscale/quanta_theory.h"

/* Quanta past either end of the adjusting walk from the closed-form guess are a bug. */
#define ADJUST_STEPS 64

void zs_quanta_sim_opts_init(zs_quanta_sim_opts *opts) {
    *opts = (zs_quanta_sim_opts){
        .params_per_quantum = 1, .examples_to_learn = 1, .batch = 1, .gamma = 1};
}

zs_status zs_quanta_sim_opts_check(const zs_quanta_sim_opts *opts, zs_error *err) {
    if (!(isfinite(opts->params_per_quantum) && opts->params_per_quantum > 0))
        return zs_fail_field(
            err, ZS_ERR_USAGE, "params_per_quantum",
            "quanta simulation: params_per_quantum = %g: expected a finite number > 0",
            opts->params_per_quantum);
    if (!(isfinite(opts->examples_to_learn) && opts->examples_to_learn > 0))
        return zs_fail_field(
            err, ZS_ERR_USAGE, "examples_to_learn",
            "quanta simulation: examples_to_learn = %g: expected a finite number > 0",
            opts->examples_to_learn);
    if (opts->batch < 1)
        return zs_fail_field(err, ZS_ERR_USAGE, "batch",
                             "quanta simulation: batch = 0: expected examples per step >= 1");
    if (!(isfinite(opts->gamma) && opts->gamma > 0))
        return zs_fail_field(err, ZS_ERR_USAGE, "gamma",
                             "quanta simulation: gamma = %g: expected a finite number > 0",
                             opts->gamma);
    return ZS_OK;
}

static zs_status check_call(zs_quanta_axis scale, const zs_quanta_sim_opts *opts, const double *x,
                            size_t n_x, zs_error *err) {
    zs_status s = zs_quanta_sim_opts_check(opts, err);
    if (s) return s;
    if (scale != ZS_QUANTA_AXIS_PARAMS && scale != ZS_QUANTA_AXIS_DATA &&
        scale != ZS_QUANTA_AXIS_STEPS)
        return zs_fail_field(err, ZS_ERR_USAGE, "scale",
                             "quanta simulation: scale %d: expected params, data or steps",
                             (int)scale);
    for (size_t i = 0; i < n_x; i++)
        if (!(isfinite(x[i]) && x[i] >= 0))
            return zs_fail_field(err, ZS_ERR_RANGE, "x",
                                 "quanta simulation: x[%zu] = %g: expected a finite number >= 0", i,
                                 x[i]);
    return ZS_OK;
}

/* floor(v) as a count, UINT64_MAX when it does not fit. v >= 0. */
static uint64_t count_of(double v) {
    return v >= 0x1p64 ? UINT64_MAX : (uint64_t)v;
}

/* PARAMS: the n most frequent quanta, n = floor(N / params_per_quantum), at most cap. */
static uint64_t learned_by_params(const zs_quanta_sim_opts *opts, double n_params, uint64_t cap) {
    uint64_t n = count_of(floor(n_params / opts->params_per_quantum));
    return n < cap ? n : cap;
}

/* The examples D at which the DATA rule applies: D itself, or batch S^(1/gamma) for STEPS
 * (exactly batch S when gamma is 1). */
static double examples_at(zs_quanta_axis scale, const zs_quanta_sim_opts *opts, double x) {
    return scale == ZS_QUANTA_AXIS_STEPS ? (double)opts->batch * pow(x, 1 / opts->gamma) : x;
}

/* DATA, Zipf model: quantum k is learned when D p_k >= tau, p_k computed as
 * zs_quanta_frequencies does; the count is the closed form (D / (tau Z))^(1/E), then walked
 * to where the inequality itself changes (p_k falls with k). */
static uint64_t zipf_learned_by_examples(const zs_quanta_model *model, double z, double examples,
                                         double tau) {
    const double e = model->zipf_exponent;
    const uint64_t cap = model->n_quanta ? model->n_quanta : UINT64_MAX;
#define LEARNED(k) (examples * (pow((double)(k), -e) / z) >= tau)
    if (!LEARNED(1)) return 0;
    if (e == 0) return cap; /* every quantum as frequent as the first */
    double guess = floor(pow(examples / (tau * z), 1 / e));
    uint64_t k = guess >= (double)cap ? cap : guess < 1 ? 1 : (uint64_t)guess;
    for (int i = 0; i < ADJUST_STEPS && k < cap && LEARNED(k + 1); i++) k++;
    for (int i = 0; i < ADJUST_STEPS && k > 1 && !LEARNED(k); i++) k--;
#undef LEARNED
    return k;
}

zs_status zs_quanta_simulate(const zs_quanta_model *model, zs_quanta_axis scale,
                             const zs_quanta_sim_opts *opts, const double *x, size_t n_x,
                             double *loss_nats, uint64_t *n_learned, zs_error *err) {
    zs_status s = zs_quanta_model_check(model, err);
    if (!s) s = check_call(scale, opts, x, n_x, err);
    if (s) return s;
    const double z = zs_quanta__normaliser(model);
    const double a = model->loss_learned_nats, b = model->loss_unlearned_nats;
    const uint64_t cap = model->n_quanta ? model->n_quanta : UINT64_MAX;
    for (size_t i = 0; i < n_x; i++) {
        uint64_t n = scale == ZS_QUANTA_AXIS_PARAMS
                         ? learned_by_params(opts, x[i], cap)
                         : zipf_learned_by_examples(model, z, examples_at(scale, opts, x[i]),
                                                    opts->examples_to_learn);
        loss_nats[i] = a + (b - a) * zs_quanta__tail(model, z, n);
        if (n_learned) n_learned[i] = n;
    }
    return ZS_OK;
}

static int descending(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a < b) - (a > b);
}

/* DATA on sorted (descending) probabilities: how many have examples * p >= tau. */
static uint64_t sorted_learned_by_examples(const double *sorted, uint64_t n, double examples,
                                           double tau) {
    uint64_t lo = 0, hi = n; /* the first index not learned lies in [lo, hi] */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (examples * sorted[mid] >= tau)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

zs_status zs_quanta_simulate_probs(const double *probs, uint64_t n_quanta, double loss_learned_nats,
                                   double loss_unlearned_nats, zs_quanta_axis scale,
                                   const zs_quanta_sim_opts *opts, const double *x, size_t n_x,
                                   double *loss_nats, uint64_t *n_learned, zs_error *err) {
    if (n_quanta == 0)
        return zs_fail_field(err, ZS_ERR_RANGE, "n_quanta",
                             "quanta simulation: n_quanta = 0: expected at least one quantum");
    /* The losses are checked as a model's (the exponent plays no part here). */
    zs_quanta_model losses = {.zipf_exponent = 0,
                              .n_quanta = n_quanta,
                              .loss_learned_nats = loss_learned_nats,
                              .loss_unlearned_nats = loss_unlearned_nats};
    zs_status s = zs_quanta_model_check(&losses, err);
    if (!s) s = check_call(scale, opts, x, n_x, err);
    if (s) return s;
    double total = 0, carry = 0; /* Neumaier */
    for (uint64_t k = 0; k < n_quanta; k++) {
        double w = probs[k];
        if (!(isfinite(w) && w >= 0))
            return zs_fail_field(
                err, ZS_ERR_RANGE, "probs",
                "quanta simulation: probs[%llu] = %g: expected a finite weight >= 0",
                (unsigned long long)k, w);
        double t = total + w;
        carry += total >= w ? (total - t) + w : (w - t) + total;
        total = t;
    }
    total += carry;
    if (!(total > 0 && isfinite(total)))
        return zs_fail_field(err, ZS_ERR_RANGE, "probs",
                             "quanta simulation: probs sum to %g: expected a finite positive sum",
                             total);
    if (n_quanta > SIZE_MAX / (4 * sizeof(double)))
        return zs_fail(err, ZS_ERR_NOMEM, "quanta simulation: %llu quanta do not fit in memory",
                       (unsigned long long)n_quanta);
    double *sorted = zs_calloc(2 * n_quanta + 1, sizeof *sorted, "quanta probabilities", err);
    if (!sorted) return ZS_ERR_NOMEM;
    double *tail = sorted + n_quanta; /* tail[n]: the mass of sorted[n..] */
    for (uint64_t k = 0; k < n_quanta; k++) sorted[k] = probs[k] / total;
    qsort(sorted, n_quanta, sizeof *sorted, descending);
    tail[n_quanta] = 0;
    for (uint64_t k = n_quanta; k-- > 0;) tail[k] = tail[k + 1] + sorted[k]; /* smallest first */
    tail[0] = 1; /* nothing learned: every example at b, as the Zipf model's L_0 */
    const double a = loss_learned_nats, b = loss_unlearned_nats;
    for (size_t i = 0; i < n_x; i++) {
        uint64_t n =
            scale == ZS_QUANTA_AXIS_PARAMS
                ? learned_by_params(opts, x[i], n_quanta)
                : sorted_learned_by_examples(sorted, n_quanta, examples_at(scale, opts, x[i]),
                                             opts->examples_to_learn);
        loss_nats[i] = a + (b - a) * tail[n];
        if (n_learned) n_learned[i] = n;
    }
    free(sorted);
    return ZS_OK;
}
