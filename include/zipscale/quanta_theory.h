/* zipscale quanta: what the quantization model predicts [QM] (docs/science.md §2,
 * docs/quanta.md "Theory"). Quanta k = 1..Q are needed with Zipf frequencies
 * p_k = k^-zipf_exponent / Z; learning one lowers the loss on its examples from b to a. From
 * that: the loss after n quanta, the scaling exponents, and simulated loss curves against
 * parameters, data and steps; with the Hurwitz zeta function they rest on. */
#ifndef ZIPSCALE_QUANTA_THEORY_H
#define ZIPSCALE_QUANTA_THEORY_H

#include "zipscale/core.h"
#include "zipscale/quanta_experiment.h" /* zs_quanta_axis: the scale a curve is against */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- numerics ---------------------------------------------------------------------------
 * The Hurwitz zeta function zeta(s, q) = sum_{k>=0} (q + k)^-s, by Euler-Maclaurin with
 * Bernoulli terms after summing the first terms directly (relative error about 1e-15, below
 * 1e-13 over s in (1.01, 10], q in [1, 1e9]; docs/quanta.md). Needs s > 1 and q > 0, both
 * finite; NaN otherwise. zeta(s, 1) is the Riemann zeta(s). */
double zs_hurwitz_zeta(double s, double q);
/* sum_{k=first}^{last} k^-s for finite s >= 0 and 1 <= first (0 when last < first), to the
 * same relative accuracy: directly below 64 terms, else the first terms directly and the rest
 * by Euler-Maclaurin. NaN when s or first is out of range. */
double zs_power_sum(double s, uint64_t first, uint64_t last);

/* ---- the model --------------------------------------------------------------------------
 * zipf_exponent E is the WHOLE exponent of p_k ∝ k^-E, the paper's alpha+1 (its alpha is
 * E - 1). n_quanta Q = 0 means infinitely many quanta (then Z = zeta(E) and E must be > 1).
 * A learned quantum's examples have loss a (loss_learned_nats), an unlearned one's b
 * (loss_unlearned_nats); a model must have 0 <= a < b: learning lowers the loss. */
typedef struct {
    double zipf_exponent;       /* E: finite, >= 0; > 1 when n_quanta is 0 */
    uint64_t n_quanta;          /* Q; 0 = infinitely many */
    double loss_learned_nats;   /* a: finite, >= 0 */
    double loss_unlearned_nats; /* b: finite, > a */
} zs_quanta_model;

/* The default model: E 1.4 (the paper's alpha 0.4), infinitely many quanta, a = 0, b = ln 2
 * (chance on a two-class task such as sparse parity). */
void zs_quanta_model_init(zs_quanta_model *model);
/* Errors: ZS_ERR_USAGE (a field out of range: err->field names it, the message the range;
 * "zipf_exponent,n_quanta" for E <= 1 with Q = 0, "loss_learned_nats,loss_unlearned_nats"
 * for a >= b). */
zs_status zs_quanta_model_check(const zs_quanta_model *model, zs_error *err);

/* The normaliser Z = sum_{k=1..Q} k^-E (zeta(E) for Q = 0).
 * Errors: ZS_ERR_USAGE (the model fails zs_quanta_model_check). On failure *z is 0. */
zs_status zs_quanta_normaliser(const zs_quanta_model *model, double *z, zs_error *err);
/* p[k-1] = p_k = k^-E / Z for k = 1..n. Errors: ZS_ERR_USAGE (the model fails
 * zs_quanta_model_check), ZS_ERR_RANGE (n > Q for a finite Q). p is untouched on failure. */
zs_status zs_quanta_frequencies(const zs_quanta_model *model, uint64_t n, double *p, zs_error *err);

/* The loss once the n most frequent quanta are learned, exactly:
 * L_n = a + (b - a) sum_{k>n} p_k (the tail by zs_power_sum, or zeta(E, n+1) / zeta(E) for
 * Q = 0); L_0 = b, and L_n = a for n >= Q.
 * Errors: ZS_ERR_USAGE (the model fails zs_quanta_model_check). On failure *loss_nats is 0. */
zs_status zs_quanta_loss_after(const zs_quanta_model *model, uint64_t n_learned, double *loss_nats,
                               zs_error *err);
/* The continuum approximation: the tail sum replaced by its integral,
 * L_n ≈ a + (b - a)/Z * integral_n^Q x^-E dx, which for Q = 0 is the paper's
 * a + (b - a)/(alpha zeta(alpha+1)) n^-alpha (alpha = E - 1); a for n >= Q. It overstates
 * L_n - a by a factor 1 + alpha/(2n) + O(n^-2) (Q = 0). n_learned: finite, > 0.
 * Errors: ZS_ERR_USAGE (the model fails zs_quanta_model_check, or n_learned is not a
 * finite number > 0: field "n_learned"). On failure *loss_nats is 0. */
zs_status zs_quanta_loss_approx(const zs_quanta_model *model, double n_learned, double *loss_nats,
                                zs_error *err);

/* ---- predicted exponents of L - a ∝ x^-alpha_x ------------------------------------------
 * alpha = E - 1; alpha_n = alpha (parameters: n ∝ N); alpha_d = alpha / (alpha + 1) (data,
 * many epochs: quantum n is learned once seen tau times, D p_n = tau); alpha_s =
 * alpha / (gamma (alpha + 1)) (steps, one epoch, when quantum k converges after
 * S_k ∝ p_k^-gamma steps; gamma = 1 gives alpha_d). Derivation: docs/quanta.md. */
typedef struct {
    double alpha, alpha_n, alpha_d, alpha_s;
} zs_quanta_exponents;

/* Errors: ZS_ERR_USAGE (zipf_exponent not finite and > 1: field "zipf_exponent"; gamma not
 * finite and > 0: field "gamma"). On failure *out is zeroed. */
zs_status zs_quanta_exponents_predict(double zipf_exponent, double gamma, zs_quanta_exponents *out,
                                      zs_error *err);

/* ---- simulated loss curves ----------------------------------------------------------------
 * The loss L = a + (b - a) * (mass of the unlearned quanta) at each x, where the learned
 * quanta are
 *   PARAMS: the n(N) = floor(N / params_per_quantum) most frequent (at most Q);
 *   DATA:   those with D p_k >= examples_to_learn (many epochs: seen tau times);
 *   STEPS:  those learned by step S when quantum k needs S_k = (tau / (batch p_k))^gamma
 *           steps, i.e. the DATA curve at D = batch * S^(1/gamma) (single epoch; gamma = 1:
 *           S batch p_k >= tau).
 * The options only move the curves along x, except gamma, which bends the STEPS one. */
typedef struct {
    double params_per_quantum; /* PARAMS: capacity one quantum takes; finite, > 0 */
    double examples_to_learn;  /* DATA, STEPS: tau, examples of a quantum before it is
                                  learned; finite, > 0 */
    uint64_t batch;            /* STEPS: examples per step, >= 1 */
    double gamma;              /* STEPS: convergence exponent, S_k ∝ p_k^-gamma; finite, > 0 */
} zs_quanta_sim_opts;

/* params_per_quantum 1, examples_to_learn 1, batch 1, gamma 1. */
void zs_quanta_sim_opts_init(zs_quanta_sim_opts *opts);
/* Errors: ZS_ERR_USAGE (a field out of range: err->field names it). */
zs_status zs_quanta_sim_opts_check(const zs_quanta_sim_opts *opts, zs_error *err);

/* loss_nats[i] = L at x[i] (N, D or S by scale) for the Zipf model; n_learned[i] (may be
 * NULL) the number of quanta learned there (UINT64_MAX stands for "more than 2^64").
 * x: n_x finite values >= 0.
 * Errors: ZS_ERR_USAGE (the model or opts fail their checks, an unknown scale),
 * ZS_ERR_RANGE (an x[i] negative or not finite). Outputs are untouched on failure. */
zs_status zs_quanta_simulate(const zs_quanta_model *model, zs_quanta_axis scale,
                             const zs_quanta_sim_opts *opts, const double *x, size_t n_x,
                             double *loss_nats, uint64_t *n_learned, zs_error *err);
/* The same for an arbitrary distribution of quanta: probs[0..n_quanta) are weights (finite,
 * >= 0, positive sum; normalised here) in any order; the most frequent are learned first.
 * Errors: ZS_ERR_USAGE (a, b, the opts or the scale out of range: fields
 * "loss_learned_nats", "loss_unlearned_nats" and the opts'), ZS_ERR_RANGE (n_quanta is 0, a
 * weight negative or not finite, a zero sum, an x[i] negative or not finite). Outputs are
 * untouched on failure. */
zs_status zs_quanta_simulate_probs(const double *probs, uint64_t n_quanta, double loss_learned_nats,
                                   double loss_unlearned_nats, zs_quanta_axis scale,
                                   const zs_quanta_sim_opts *opts, const double *x, size_t n_x,
                                   double *loss_nats, uint64_t *n_learned, zs_error *err);

/* The x at which `zipscale quanta simulate` evaluates a curve: `points` values log-spaced
 * from `from` to `to`, each rounded to 12 significant digits so that decades land exactly
 * (10^4 is 10000, not 9999.99..., which floor(N / c) would count one quantum short); the
 * last is `to` itself. */
typedef struct {
    double from, to; /* 0 < from < to, finite */
    uint64_t points; /* 2 .. ZS_QUANTA_SIM_MAX_POINTS */
} zs_quanta_sim_range;

#define ZS_QUANTA_SIM_MAX_POINTS 1000000

/* from 1e3, to 1e6, 31 points (ten a decade). */
void zs_quanta_sim_range_init(zs_quanta_sim_range *range);
/* x: range->points entries. Errors: ZS_ERR_USAGE (a field out of range: err->field names
 * it: "from", "to" or "points"). x is untouched on failure. */
zs_status zs_quanta_sim_grid(const zs_quanta_sim_range *range, double *x, zs_error *err);

/* ---- the theory of one model at a glance (`zipscale quanta theory`) ---------------------
 * Z, the exponents (when E > 1) and L_n exact and approximate at n = 1, 2, 4, ... up to
 * min(Q, ZS_QUANTA_THEORY_MAX_N), with Q itself last when Q <= ZS_QUANTA_THEORY_MAX_N. */
#define ZS_QUANTA_THEORY_MAX_N (UINT64_C(1) << 20)

typedef struct {
    uint64_t n;
    double loss_nats;        /* L_n, exact */
    double loss_approx_nats; /* zs_quanta_loss_approx at n */
} zs_quanta_theory_row;

typedef struct {
    zs_quanta_model model;
    double gamma;
    double normaliser;             /* Z */
    int has_exponents;             /* 0 when E <= 1 (finite Q): no power law */
    zs_quanta_exponents exponents; /* zeroed when !has_exponents */
    size_t n_rows;
    zs_quanta_theory_row *rows;
} zs_quanta_theory;

/* Fills *theory (release with zs_quanta_theory_free).
 * Errors: ZS_ERR_USAGE (the model fails zs_quanta_model_check, gamma not finite and > 0).
 * On failure *theory is zeroed. */
zs_status zs_quanta_theory_init(zs_quanta_theory *theory, const zs_quanta_model *model,
                                double gamma, zs_error *err);
void zs_quanta_theory_free(zs_quanta_theory *theory);

#define ZS_QUANTA_THEORY_FORMAT "zipscale-quanta-theory"
#define ZS_QUANTA_THEORY_VERSION 1

/* The JSON text (format ZS_QUANTA_THEORY_FORMAT, version ZS_QUANTA_THEORY_VERSION;
 * docs/quanta.md); *text is
 * malloc'd, *len its length (len may be NULL). Errors: only ZS_ERR_NOMEM. */
zs_status zs_quanta_theory_format(const zs_quanta_theory *theory, char **text, size_t *len,
                                  zs_error *err);
/* The same text written atomically to path. Errors: ZS_ERR_IO (cannot write path). */
zs_status zs_quanta_theory_write(const zs_quanta_theory *theory, const char *path, zs_error *err);

#ifdef __cplusplus
}
#endif
#endif
