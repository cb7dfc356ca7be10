/* The report's Sweep section, from each sweep summary.json given: the per-dataset laws with
 * their intervals, floors and frontiers, the sentence on where the frontier moves as H
 * grows (worded as `zipscale sweep analyse` prints it, src/sweep/summary.c), the failures. */
#include <math.h>
#include <stdio.h>

#include "report/report_internal.h"

/* A number with its interval in brackets when both ends are known. */
static void put_ci(FILE *out, double v, const double ci[2]) {
    zs_html_num(out, v);
    if (!isfinite(ci[0]) || !isfinite(ci[1])) return;
    fputs(" [", out);
    zs_html_num(out, ci[0]);
    fputs(", ", out);
    zs_html_num(out, ci[1]);
    fputs("]", out);
}

static void td_ci(FILE *out, double v, const double ci[2]) {
    fputs("<td class=\"num\">", out);
    put_ci(out, v, ci);
    fputs("</td>", out);
}

static void paragraph(FILE *out, const char *text) {
    fputs("<p>", out);
    zs_html_text(out, text);
    fputs("</p>\n", out);
}

static void intro(FILE *out, const zs_report_sweep *sw) {
    fprintf(out,
            "<p>One law L(N, D) = E + A / N^α + B / D^β per dataset, fitted by zipscale "
            "sweep analyse; N counts %s. Brackets hold %zu%% bootstrap percentile intervals. "
            "Tokens per parameter are D_opt / N_opt on the compute-optimal frontier at the "
            "reference budget",
            sw->nonembed ? "non-embedding parameters" : "all parameters", sw->level_pct);
    if (isfinite(sw->reference_flops)) {
        fputs(" C = ", out);
        zs_html_num(out, sw->reference_flops);
        fputs(" FLOPs.</p>\n", out);
    } else {
        fputs(" (not recorded).</p>\n", out);
    }
}

static void row(FILE *out, const zs_report_sweep_row *r) {
    fputs("<tr>", out);
    zs_html_td_text(out, r->dataset);
    fputs("<td class=\"num\">", out);
    zs_html_num(out, r->h);
    if (isfinite(r->h_stdev)) {
        fputs(" ± ", out);
        zs_html_num(out, r->h_stdev);
    }
    fprintf(out, "</td><td class=\"num\">%zu</td><td class=\"num\">", r->runs);
    put_ci(out, r->law.E, r->e_ci);
    if (r->e_fixed)
        fputs(" (fixed at the floor)", out);
    else if (r->e_bound_active)
        fputs(" (at bound)", out);
    fputs("</td>", out);
    zs_html_td_num(out, r->entropy_nats);
    td_ci(out, r->law.alpha, r->alpha_ci);
    td_ci(out, r->law.beta, r->beta_ci);
    td_ci(out, r->a, r->a_ci);
    td_ci(out, r->tokens_per_param, r->tokens_per_param_ci);
    zs_html_td_num(out, r->holdout_rmse);
    zs_html_td_num(out, r->residual_rms);
    fputs("</tr>\n", out);
}

static void laws_table(FILE *out, const zs_report_sweep *sw) {
    static const char *const cols[] = {"dataset",
                                       "H (± stdev)",
                                       "runs",
                                       "E (nats)",
                                       "floor (nats)",
                                       "α",
                                       "β",
                                       "a = β/(α+β)",
                                       "tokens / param at C",
                                       "hold-out RMSE (nats)",
                                       "residual RMS (log)"};
    zs_html_table_head(out, cols, sizeof cols / sizeof cols[0]);
    for (size_t i = 0; i < sw->n_rows; i++) row(out, &sw->rows[i]);
    zs_html_table_tail(out);
    paragraph(out,
              "H ± the standard deviation of the per-sequence gzip ratios. floor: the "
              "data's derivation entropy per token (nats), an upper bound on the "
              "loss a perfect model reaches (they differ by the grammar's ambiguity); n/a "
              "for data without a grammar. (fixed at the floor): E was set to the floor, not "
              "fitted (the runs all stay above it). (at bound): the fit held E at its bound, the "
              "floor. Hold-out RMSE: of the law's predictions for the largest runs, left "
              "out of the fit.");
}

void zs_report_frontier_direction(double slope, double lo, double hi, size_t level_pct, int greek,
                                  char *buf, size_t size) {
    if (!isfinite(slope)) {
        snprintf(buf, size,
                 "Too few datasets with H (3 are needed) to say how the frontier "
                 "moves with H.");
        return;
    }
    char band[128] = "";
    int sure = isfinite(lo) && isfinite(hi) && (hi < 0 || lo > 0);
    if (isfinite(lo) && isfinite(hi))
        snprintf(band, sizeof band, ", %zu%% bootstrap interval [%.3f, %.3f]", level_pct, lo, hi);
    const char *a = greek ? "a = β/(α+β)" : "a = beta/(alpha+beta)";
    const char *verdict = sure ? "The interval excludes zero."
                               : "The interval includes zero: these fits cannot rule out no "
                                 "change.";
    if (slope < 0)
        snprintf(buf, size,
                 "As H grows, %s falls (slope %.3f per unit H%s): the compute-optimal frontier "
                 "moves towards data, as the gzip paper found. %s",
                 a, slope, band, verdict);
    else
        snprintf(buf, size,
                 "As H grows, %s rises (slope %.3f per unit H%s): the frontier moves towards "
                 "parameters, against the gzip paper's finding. %s",
                 a, slope, band, verdict);
}

static void direction(FILE *out, const zs_report_sweep *sw) {
    char text[512];
    zs_report_frontier_direction(sw->a_slope, sw->a_slope_ci[0], sw->a_slope_ci[1], sw->level_pct,
                                 1, text, sizeof text);
    paragraph(out, text);
}

static void failures_table(FILE *out, const zs_report_sweep *sw) {
    if (sw->n_failures == 0) {
        paragraph(out, "Every run completed.");
        return;
    }
    fprintf(out, "<p>%zu run%s did not complete:</p>\n", sw->n_failures,
            sw->n_failures == 1 ? "" : "s");
    static const char *const cols[] = {"id",   "dataset", "model",  "tokens",
                                       "seed", "status",  "message"};
    zs_html_table_head(out, cols, sizeof cols / sizeof cols[0]);
    for (size_t i = 0; i < sw->n_failures; i++) {
        const zs_report_sweep_failure *f = &sw->failures[i];
        fputs("<tr>", out);
        zs_html_td_text(out, f->id);
        zs_html_td_text(out, f->dataset);
        zs_html_td_text(out, f->model);
        fprintf(out, "<td class=\"num\">%llu</td><td class=\"num\">%llu</td>",
                (unsigned long long)f->tokens, (unsigned long long)f->seed);
        zs_html_td_text(out, f->status);
        zs_html_td_text(out, f->message);
        fputs("</tr>\n", out);
    }
    zs_html_table_tail(out);
}

void zs_report_sweep_section(FILE *out, const zs_report_data *data) {
    fputs("<section id=\"sweep\">\n<h2>Sweep</h2>\n", out);
    for (size_t i = 0; i < data->n_inputs; i++) {
        const zs_report_input *in = &data->inputs[i];
        if (in->kind != ZS_REPORT_SWEEP) continue;
        fputs("<h3>", out);
        zs_html_text(out, in->path);
        fputs("</h3>\n", out);
        intro(out, &in->sweep);
        laws_table(out, &in->sweep);
        direction(out, &in->sweep);
        failures_table(out, &in->sweep);
    }
    fputs("</section>\n", out);
}
