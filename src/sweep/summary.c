/* The sweep's headline as a person reads it at the end of `sweep run` or `demo`: per
 * dataset H, the fitted law with intervals, the frontier exponent and the tokens per
 * parameter, then one sentence on where the frontier moves as H grows, and how sure. */
#include <math.h>
#include <stdio.h>

#include "zipscale/report.h"
#include "zipscale/sweep.h"

static void ci(FILE *out, double x, double lo, double hi, const char *fmt) {
    char v[32], l[32], h[32], cell[100];
    snprintf(v, sizeof v, fmt, x);
    if (isfinite(lo) && isfinite(hi)) {
        snprintf(l, sizeof l, fmt, lo);
        snprintf(h, sizeof h, fmt, hi);
        snprintf(cell, sizeof cell, "%s [%s, %s]", v, l, h);
    } else {
        snprintf(cell, sizeof cell, "%s", v);
    }
    fprintf(out, " %-23s", cell);
}

void zs_sweep_summary_print(const zs_sweep_summary *s, FILE *out) {
    fprintf(out,
            "\nFitted laws L(N, D) = E + A/N^alpha + B/D^beta (N = %s parameters; %zu%% "
            "bootstrap intervals):\n\n",
            s->fit_nonembed ? "non-embedding" : "all", s->level_pct);
    fprintf(out, "%-14s %6s %5s %-23s %-23s %-23s %-23s %-23s %9s %8s\n", "dataset", "H", "runs",
            "E (nats)", "alpha", "beta", "a = b/(a+b)", "D/N at reference", "floor", "hold-out");
    for (size_t i = 0; i < s->n_rows; i++) {
        const zs_sweep_summary_row *r = &s->rows[i];
        char h[16] = "-"; /* data without a compressibility (parity) */
        if (isfinite(r->h)) snprintf(h, sizeof h, "%.3f", r->h);
        fprintf(out, "%-14s %6s %5zu", r->name, h, r->n_runs);
        ci(out, r->law.E, r->e_lo, r->e_hi, "%.3f");
        ci(out, r->law.alpha, r->alpha_lo, r->alpha_hi, "%.2f");
        ci(out, r->law.beta, r->beta_lo, r->beta_hi, "%.2f");
        ci(out, r->a, r->a_lo, r->a_hi, "%.2f");
        ci(out, r->tokens_per_param, r->tpp_lo, r->tpp_hi, "%.3g");
        char floor[16] = "-", hold[16] = "-";
        if (isfinite(r->entropy_nats)) snprintf(floor, sizeof floor, "%.3f", r->entropy_nats);
        if (isfinite(r->holdout_rmse)) snprintf(hold, sizeof hold, "%.4f", r->holdout_rmse);
        fprintf(out, " %9s %8s%s\n", floor, hold,
                r->e_fixed     ? "  (E fixed at the floor)"
                : r->e_bounded ? "  (E at its bound)"
                               : "");
    }
    fprintf(
        out,
        "\nfloor: the grammar's derivation entropy per token (nats), an upper bound on the "
        "loss a perfect model reaches (they differ by the grammar's ambiguity); E is fixed at it, "
        "not fitted, for a grammar whose runs all stay above it (analysis.fix_e); hold-out: RMSE "
        "(nats) of "
        "the law's predictions for the largest runs, left out of the fit; D/N at "
        "reference: tokens per parameter on the frontier at C = %.3g FLOPs.\n\n",
        s->reference_flops);
    char sentence[512];
    zs_report_frontier_direction(s->a_slope, s->a_slope_lo, s->a_slope_hi, s->level_pct, 0,
                                 sentence, sizeof sentence);
    fprintf(out, "%s\n", sentence);
    if (s->n_failures)
        fprintf(out, "%zu run%s did not complete: `zipscale sweep status DIR` lists them.\n",
                s->n_failures, s->n_failures == 1 ? "" : "s");
}
