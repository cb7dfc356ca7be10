/* What a grammar implies before sampling it: the branching process of its derivations
 * (mean-offspring matrix, spectral radius, extinction = termination probability),
 * expected sentence length, derivation entropy, and symbols no finite derivation uses. */
#include "data/pcfg_internal.h"

#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Dense n x n systems: keep them small enough to solve in well under a second. */
#define MAX_ANALYSED_NONTERMINALS 4096u
#define NEWTON_MAX_STEPS 200
#define NEWTON_TOLERANCE 1e-15

static int rule_usable(const zs_pcfg *g, uint32_t r, const uint8_t *productive) {
    if (!(g->rule_prob[r] > 0)) return 0;
    for (uint32_t i = g->rule_offset[r]; i < g->rule_offset[r + 1]; i++) {
        uint32_t s = g->rhs[i];
        if ((s & ZS_PCFG_NONTERMINAL) && !productive[s & ~ZS_PCFG_NONTERMINAL]) return 0;
    }
    return 1;
}

/* Least fixed point: a nonterminal is productive when one of its rules (p > 0) has only
 * productive nonterminals on its right-hand side. */
static void find_productive(const zs_pcfg *g, uint8_t *productive) {
    memset(productive, 0, g->n_nonterminals);
    for (int changed = 1; changed;) {
        changed = 0;
        for (uint32_t r = 0; r < g->n_rules; r++)
            if (!productive[g->rule_lhs[r]] && rule_usable(g, r, productive))
                productive[g->rule_lhs[r]] = 1, changed = 1;
    }
}

/* Nonterminals reachable from the start through rules with p > 0 (all of them, or only
 * usable ones when productive is non-NULL). */
static void find_reachable(const zs_pcfg *g, const uint8_t *productive, uint8_t *reachable,
                           uint32_t *queue) {
    memset(reachable, 0, g->n_nonterminals);
    if (productive && !productive[g->start]) return;
    uint32_t head = 0, tail = 0;
    reachable[g->start] = 1;
    queue[tail++] = g->start;
    while (head < tail) {
        uint32_t a = queue[head++];
        for (uint32_t k = g->nt_rule_offset[a]; k < g->nt_rule_offset[a + 1]; k++) {
            uint32_t r = g->nt_rules[k];
            if (productive ? !rule_usable(g, r, productive) : !(g->rule_prob[r] > 0)) continue;
            for (uint32_t i = g->rule_offset[r]; i < g->rule_offset[r + 1]; i++) {
                uint32_t s = g->rhs[i];
                if (!(s & ZS_PCFG_NONTERMINAL) || reachable[s & ~ZS_PCFG_NONTERMINAL]) continue;
                reachable[s & ~ZS_PCFG_NONTERMINAL] = 1;
                queue[tail++] = s & ~ZS_PCFG_NONTERMINAL;
            }
        }
    }
}

static uint32_t *collect(const uint8_t *flags, uint8_t want, uint32_t n, uint32_t skip,
                         uint32_t *count, zs_error *err) {
    *count = 0;
    for (uint32_t i = 0; i < n; i++) *count += flags[i] == want && i != skip;
    uint32_t *list = zs_alloc((*count ? *count : 1) * sizeof *list, "analysis", err);
    if (!list) return NULL;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (flags[i] == want && i != skip) list[k++] = i;
    return list;
}

static zs_status find_unused(const zs_pcfg *g, zs_pcfg_analysis *a, zs_error *err) {
    uint32_t n = g->n_nonterminals;
    uint8_t *productive = zs_calloc(n, 1, "analysis", err);
    uint8_t *reachable = zs_calloc(n, 1, "analysis", err);
    uint8_t *emitted = zs_calloc(g->n_terminals ? g->n_terminals : 1, 1, "analysis", err);
    uint32_t *queue = zs_calloc(n, sizeof *queue, "analysis", err);
    zs_status st = ZS_ERR_NOMEM;
    if (productive && reachable && emitted && queue) {
        find_productive(g, productive);
        find_reachable(g, productive, reachable, queue);
        for (uint32_t r = 0; r < g->n_rules; r++) {
            if (!reachable[g->rule_lhs[r]] || !rule_usable(g, r, productive)) continue;
            for (uint32_t i = g->rule_offset[r]; i < g->rule_offset[r + 1]; i++)
                if (!(g->rhs[i] & ZS_PCFG_NONTERMINAL)) emitted[g->rhs[i]] = 1;
        }
        /* Unreachable lists productive nonterminals only; unproductive ones are listed apart. */
        for (uint32_t i = 0; i < n; i++) reachable[i] |= !productive[i];
        a->unproductive = collect(productive, 0, n, UINT32_MAX, &a->n_unproductive, err);
        a->unreachable = collect(reachable, 0, n, UINT32_MAX, &a->n_unreachable, err);
        a->unused_terminals =
            collect(emitted, 0, g->n_terminals, UINT32_MAX, &a->n_unused_terminals, err);
        if (a->unproductive && a->unreachable && a->unused_terminals) st = ZS_OK;
    }
    free(productive);
    free(reachable);
    free(emitted);
    free(queue);
    return st;
}

/* The reachable nonterminals' dense indices: index[a] (UINT32_MAX when unreachable). */
static uint32_t reachable_index(const zs_pcfg *g, uint32_t *index, zs_error *err) {
    uint8_t *reachable = zs_calloc(g->n_nonterminals, 1, "analysis", err);
    uint32_t *queue = zs_calloc(g->n_nonterminals, sizeof *queue, "analysis", err);
    uint32_t m = 0;
    if (reachable && queue) {
        find_reachable(g, NULL, reachable, queue);
        for (uint32_t a = 0; a < g->n_nonterminals; a++) index[a] = reachable[a] ? m++ : UINT32_MAX;
    }
    free(reachable);
    free(queue);
    return m;
}

/* M[i][j] = sum over i's rules of p * (occurrences of j); t[i] = the same for terminals;
 * h[i] = entropy of i's rule choice in nats. Over the reachable nonterminals only. */
static void offspring_moments(const zs_pcfg *g, const uint32_t *index, uint32_t m, double *M,
                              double *t, double *h) {
    memset(M, 0, (size_t)m * m * sizeof *M);
    memset(t, 0, m * sizeof *t);
    memset(h, 0, m * sizeof *h);
    for (uint32_t r = 0; r < g->n_rules; r++) {
        uint32_t i = index[g->rule_lhs[r]];
        double p = g->rule_prob[r];
        if (i == UINT32_MAX || !(p > 0)) continue;
        h[i] -= p * log(p);
        for (uint32_t k = g->rule_offset[r]; k < g->rule_offset[r + 1]; k++) {
            uint32_t s = g->rhs[k];
            if (s & ZS_PCFG_NONTERMINAL)
                M[(size_t)i * m + index[s & ~ZS_PCFG_NONTERMINAL]] += p;
            else
                t[i] += p;
        }
    }
}

static zs_status spectral_radius(const double *M, uint32_t m, double *rho, zs_error *err) {
    double *a = zs_alloc((size_t)m * m * sizeof *a, "analysis", err);
    double *wr = zs_alloc(m * sizeof *wr, "analysis", err);
    double *wi = zs_alloc(m * sizeof *wi, "analysis", err);
    zs_status st = ZS_ERR_NOMEM;
    if (a && wr && wi) {
        memcpy(a, M, (size_t)m * m * sizeof *a);
        lapack_int info = LAPACKE_dgeev(LAPACK_ROW_MAJOR, 'N', 'N', (lapack_int)m, a, (lapack_int)m,
                                        wr, wi, NULL, 1, NULL, 1);
        if (info != 0) {
            st = zs_fail(err, ZS_ERR_NUMERIC,
                         "pcfg analyse: eigenvalues of the mean-offspring matrix did not "
                         "converge (LAPACK dgeev info %d)",
                         (int)info);
        } else {
            *rho = 0;
            for (uint32_t i = 0; i < m; i++) *rho = fmax(*rho, hypot(wr[i], wi[i]));
            st = ZS_OK;
        }
    }
    free(a);
    free(wr);
    free(wi);
    return st;
}

/* Solves (I - M) x = b in place of b; 0 on success, else LAPACK's info. */
static int solve_identity_minus(const double *M, uint32_t m, double *b, double *work,
                                lapack_int *pivots) {
    for (size_t k = 0; k < (size_t)m * m; k++) work[k] = -M[k];
    for (uint32_t i = 0; i < m; i++) work[(size_t)i * m + i] += 1.0;
    return (int)LAPACKE_dgesv(LAPACK_ROW_MAJOR, (lapack_int)m, 1, work, (lapack_int)m, pivots, b,
                              1);
}

/* F(q)_a = sum over a's rules of p * prod of q over the right-hand side's nonterminals, and
 * its Jacobian J = dF/dq, over all nonterminals. */
static void extinction_map(const zs_pcfg *g, const double *q, double *F, double *J) {
    uint32_t n = g->n_nonterminals;
    memset(F, 0, n * sizeof *F);
    memset(J, 0, (size_t)n * n * sizeof *J);
    for (uint32_t r = 0; r < g->n_rules; r++) {
        uint32_t a = g->rule_lhs[r], from = g->rule_offset[r], to = g->rule_offset[r + 1];
        double p = g->rule_prob[r], prod = p;
        for (uint32_t k = from; k < to; k++)
            if (g->rhs[k] & ZS_PCFG_NONTERMINAL) prod *= q[g->rhs[k] & ~ZS_PCFG_NONTERMINAL];
        F[a] += prod;
        for (uint32_t k = from; k < to; k++) {
            if (!(g->rhs[k] & ZS_PCFG_NONTERMINAL)) continue;
            double others = p; /* product over the other occurrences */
            for (uint32_t l = from; l < to; l++)
                if (l != k && (g->rhs[l] & ZS_PCFG_NONTERMINAL))
                    others *= q[g->rhs[l] & ~ZS_PCFG_NONTERMINAL];
            J[(size_t)a * n + (g->rhs[k] & ~ZS_PCFG_NONTERMINAL)] += others;
        }
    }
}

/* The extinction probabilities are the least fixed point of q = F(q) in [0,1]^n. Newton's
 * method from 0 converges to it monotonically once nonterminals with q = 0 (unproductive)
 * are pinned (Etessami & Yannakakis 2009; Esparza, Kiefer & Luttenberger 2010). */
static zs_status termination_probability(const zs_pcfg *g, double *out, zs_error *err) {
    uint32_t n = g->n_nonterminals;
    uint8_t *productive = zs_calloc(n, 1, "analysis", err);
    double *q = zs_calloc(n, sizeof *q, "analysis", err);
    double *F = zs_calloc(n, sizeof *F, "analysis", err);
    double *J = zs_calloc((size_t)n * n, sizeof *J, "analysis", err);
    double *work = zs_calloc((size_t)n * n, sizeof *work, "analysis", err);
    lapack_int *pivots = zs_calloc(n, sizeof *pivots, "analysis", err);
    zs_status st = ZS_ERR_NOMEM;
    if (productive && q && F && J && work && pivots) {
        find_productive(g, productive);
        for (int step = 0; step < NEWTON_MAX_STEPS; step++) {
            extinction_map(g, q, F, J);
            for (uint32_t a = 0; a < n; a++) {
                if (productive[a]) continue;
                F[a] = 0; /* pinned: the row becomes d_a = 0 */
                for (uint32_t b = 0; b < n; b++) J[(size_t)a * n + b] = 0;
            }
            for (uint32_t a = 0; a < n; a++) F[a] -= q[a]; /* F(q) - q: the Newton step's b */
            /* When I - J is singular dgesv leaves b = F(q) - q as it was, and the step
             * below becomes a plain fixed-point step q <- F(q). */
            solve_identity_minus(J, n, F, work, pivots);
            double change = 0;
            for (uint32_t a = 0; a < n; a++) {
                double next = fmin(1.0, fmax(0.0, q[a] + F[a]));
                change = fmax(change, fabs(next - q[a]));
                q[a] = next;
            }
            if (change < NEWTON_TOLERANCE) break;
        }
        *out = q[g->start];
        st = ZS_OK;
    }
    free(productive);
    free(q);
    free(F);
    free(J);
    free(work);
    free(pivots);
    return st;
}

/* Expected terminals e and derivation entropy H per nonterminal solve e = t + M e and
 * H = h + M H, which have finite solutions exactly when the process is subcritical. */
static zs_status length_and_entropy(const zs_pcfg *g, const uint32_t *index, uint32_t m,
                                    const double *M, double *t, double *h, zs_pcfg_analysis *a,
                                    zs_error *err) {
    a->expected_length_tokens = INFINITY;
    a->entropy_nats_per_sentence = INFINITY;
    a->entropy_nats_per_token = NAN;
    a->entropy_nats_per_token_separated = NAN;
    if (!a->subcritical) return ZS_OK;
    double *work = zs_alloc((size_t)m * m * sizeof *work, "analysis", err);
    lapack_int *pivots = zs_alloc(m * sizeof *pivots, "analysis", err);
    zs_status st = ZS_ERR_NOMEM;
    if (work && pivots) {
        int info = solve_identity_minus(M, m, t, work, pivots);
        if (info == 0) info = solve_identity_minus(M, m, h, work, pivots);
        if (info != 0) {
            st = zs_fail(err, ZS_ERR_NUMERIC,
                         "pcfg analyse: I - M is singular (LAPACK dgesv info %d) although the "
                         "spectral radius is %.17g",
                         info, a->spectral_radius);
        } else {
            uint32_t s = index[g->start];
            a->expected_length_tokens = t[s];
            a->entropy_nats_per_sentence = h[s];
            a->entropy_nats_per_token = h[s] / t[s];
            a->entropy_nats_per_token_separated = h[s] / (t[s] + 1);
            st = ZS_OK;
        }
    }
    free(work);
    free(pivots);
    return st;
}

static zs_status analyse_process(const zs_pcfg *g, zs_pcfg_analysis *a, zs_error *err) {
    uint32_t *index = zs_alloc(g->n_nonterminals * sizeof *index, "analysis", err);
    if (!index) return ZS_ERR_NOMEM;
    uint32_t m = reachable_index(g, index, err);
    double *M = zs_alloc((size_t)m * m * sizeof *M, "analysis", err);
    double *t = zs_alloc(m * sizeof *t, "analysis", err);
    double *h = zs_alloc(m * sizeof *h, "analysis", err);
    zs_status st = ZS_ERR_NOMEM;
    if (m && M && t && h) {
        offspring_moments(g, index, m, M, t, h);
        st = spectral_radius(M, m, &a->spectral_radius, err);
        a->subcritical = a->spectral_radius < 1.0;
        if (st == ZS_OK) st = termination_probability(g, &a->termination_prob, err);
        if (st == ZS_OK) st = length_and_entropy(g, index, m, M, t, h, a, err);
    }
    free(index);
    free(M);
    free(t);
    free(h);
    return st;
}

zs_status zs_pcfg_analyse(const zs_pcfg *g, zs_pcfg_analysis *a, zs_error *err) {
    memset(a, 0, sizeof *a);
    if (g->n_nonterminals > MAX_ANALYSED_NONTERMINALS)
        return zs_fail(err, ZS_ERR_RANGE,
                       "pcfg analyse: %u nonterminals, expected at most %u (the analysis "
                       "solves dense n x n systems)",
                       g->n_nonterminals, MAX_ANALYSED_NONTERMINALS);
    zs_status st = analyse_process(g, a, err);
    if (st == ZS_OK) st = find_unused(g, a, err);
    if (st != ZS_OK) zs_pcfg_analysis_free(a);
    return st;
}

void zs_pcfg_analysis_free(zs_pcfg_analysis *a) {
    if (!a) return;
    free(a->unproductive);
    free(a->unreachable);
    free(a->unused_terminals);
    a->unproductive = a->unreachable = a->unused_terminals = NULL;
}
