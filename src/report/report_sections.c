/* The report's sections, each present only when inputs of its kind are given: the sweep
 * (report_sweep_html.c), datasets with their H, runs, fitted laws and their quality, the regression
 * on H, frontiers, predictions, training curves, the quanta experiments (report_quanta.c), QDG
 * (report_qdg.c) and the token classes (report_tokens.c).
 * Figures come from zipscale/figures.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"

static const zs_figure_size fig_size = {640, 420};

static void td_ci(FILE *out, double v, int has_ci, zs_interval ci) {
    fputs("<td class=\"num\">", out);
    zs_html_num(out, v);
    if (has_ci) {
        fputs(" [", out);
        zs_html_num(out, ci.lo);
        fputs(", ", out);
        zs_html_num(out, ci.hi);
        fputs("]", out);
    }
    fputs("</td>", out);
}

static void heading(FILE *out, const char *id, const char *title) {
    fprintf(out, "<section id=\"%s\">\n<h2>", id);
    zs_html_text(out, title);
    fputs("</h2>\n", out);
}

static void section_end(FILE *out) {
    fputs("</section>\n", out);
}

static void paragraph(FILE *out, const char *text) {
    fputs("<p>", out);
    zs_html_text(out, text);
    fputs("</p>\n", out);
}

static const char *fit_label(const zs_lawfit *fit) {
    return fit->dataset ? fit->dataset : "(all rows)";
}

/* The fit of dataset d of runs in the first law.json that has it, or NULL. */
static const zs_lawfit *fit_for(const zs_report_data *data, const zs_runs *runs, size_t d) {
    for (size_t i = 0; i < data->n_inputs; i++) {
        if (data->inputs[i].kind != ZS_REPORT_LAW) continue;
        const zs_lawfile *lf = &data->inputs[i].law;
        for (size_t f = 0; f < lf->n_fits; f++) {
            const char *name = lf->fits[f].dataset;
            if (runs->has_dataset ? name && strcmp(name, runs->dataset_names[d]) == 0 : !name)
                return &lf->fits[f];
        }
    }
    return NULL;
}

/* ---- datasets ------------------------------------------------------------------------ */
static zs_status datasets(FILE *out, const zs_report_data *data, zs_error *err) {
    heading(out, "datasets", "Datasets");
    paragraph(out, "H is the median gzip compression ratio of a dataset's sampled 256-token "
                   "sequences (docs/science.md §5); lower H means more compressible data.");
    static const char *const cols[] = {"dataset", "source", "size", "H", "sequences measured"};
    zs_html_table_head(out, cols, 5);
    size_t with_ratios = 0;
    for (size_t i = 0; i < data->n_datasets; i++) {
        const zs_report_dataset *d = &data->datasets[i];
        fputs("<tr>", out);
        zs_html_td_text(out, d->name);
        zs_html_td_text(out, d->source);
        fprintf(out, "<td class=\"num\">%llu %s</td>", (unsigned long long)d->size, d->units);
        zs_html_td_num(out, d->h);
        fprintf(out, "<td class=\"num\">%zu</td></tr>\n", d->n_ratios);
        with_ratios += d->ratios != NULL;
    }
    zs_html_table_tail(out);
    if (with_ratios == 0) {
        section_end(out);
        return ZS_OK;
    }
    const char **names = calloc(with_ratios, sizeof *names);
    const double **values = calloc(with_ratios, sizeof *values);
    size_t *counts = calloc(with_ratios, sizeof *counts);
    zs_status s = names && values && counts ? ZS_OK : zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    for (size_t i = 0, g = 0; !s && i < data->n_datasets; i++) {
        if (!data->datasets[i].ratios) continue;
        names[g] = data->datasets[i].name;
        values[g] = data->datasets[i].ratios;
        counts[g++] = data->datasets[i].n_ratios;
    }
    zs_plot *fig = NULL;
    if (!s)
        s = zs_figure_gzip_ratios(names, values, counts, with_ratios,
                                  "gzip compressibility per sequence", NULL, ZS_PLOT_BOX, &fig_size,
                                  &fig, err);
    if (!s)
        s = zs_html_figure(out, fig,
                           "Per-sequence gzip ratios; the median line of each box is "
                           "the dataset's H.",
                           err);
    else
        zs_plot_free(fig);
    free(names);
    free(values);
    free(counts);
    section_end(out);
    return s;
}

/* ---- runs ---------------------------------------------------------------------------- */
static zs_status runs_section(FILE *out, const zs_report_data *data, zs_error *err) {
    heading(out, "runs", "Runs");
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < data->n_inputs; i++) {
        const zs_report_input *in = &data->inputs[i];
        if (in->kind != ZS_REPORT_RUNS) continue;
        fputs("<h3>", out);
        zs_html_text(out, in->path);
        fprintf(out, "</h3>\n<p>%zu runs in %zu dataset(s).</p>\n", in->runs.n_rows,
                in->runs.n_datasets);
        for (size_t d = 0; !s && d < in->runs.n_datasets; d++) {
            const zs_lawfit *fit = fit_for(data, &in->runs, d);
            zs_plot *fig = NULL;
            s = zs_figure_loss_vs_size(&in->runs, d, fit ? &fit->law : NULL, ZS_FIGURE_BY_N,
                                       &fig_size, &fig, err);
            char caption[512];
            snprintf(caption, sizeof caption, "%s: loss against N, one colour per D%s.",
                     zs_runs_dataset_label(&in->runs, d), fit ? "; lines are the fitted law" : "");
            if (!s) s = zs_html_figure(out, fig, caption, err);
        }
    }
    section_end(out);
    return s;
}

/* ---- fitted laws --------------------------------------------------------------------- */
static void law_tables(FILE *out, const zs_report_input *in) {
    const zs_lawfile *lf = &in->law;
    fputs("<h3>", out);
    zs_html_text(out, in->path);
    fprintf(out, "</h3>\n<p>Loss %s", lf->loss == ZS_FIT_HUBER ? "Huber, delta " : "least squares");
    if (lf->loss == ZS_FIT_HUBER) zs_html_num(out, lf->delta);
    fprintf(out, "; %zu bootstrap replicates (seed %llu, level ", lf->bootstrap_replicates,
            (unsigned long long)lf->seed);
    zs_html_num(out, lf->level);
    fprintf(out,
            "); %zu largest runs held out per dataset. Intervals are bootstrap "
            "percentile intervals.</p>\n",
            lf->holdout_largest);
    static const char *const cols[] = {"dataset", "H", "points", "E", "A", "B", "α", "β"};
    zs_html_table_head(out, cols, 8);
    for (size_t f = 0; f < lf->n_fits; f++) {
        const zs_lawfit *fit = &lf->fits[f];
        fputs("<tr>", out);
        zs_html_td_text(out, fit_label(fit));
        zs_html_td_num(out, fit->h);
        fprintf(out, "<td class=\"num\">%zu</td>", fit->n_points);
        for (int p = 0; p < ZS_LAW_N_PARAMS; p++)
            td_ci(out, zs_law_param_get(&fit->law, p), fit->has_bootstrap, fit->bootstrap.stats[p]);
        fputs("</tr>\n", out);
    }
    zs_html_table_tail(out);
    static const char *const qcols[] = {"dataset",
                                        "objective",
                                        "residual RMS (log)",
                                        "converged",
                                        "hold-out runs",
                                        "hold-out RMSE (nats)",
                                        "hold-out max error (nats)"};
    zs_html_table_head(out, qcols, 7);
    for (size_t f = 0; f < lf->n_fits; f++) {
        const zs_lawfit *fit = &lf->fits[f];
        fputs("<tr>", out);
        zs_html_td_text(out, fit_label(fit));
        zs_html_td_num(out, fit->objective);
        zs_html_td_num(out, fit->residual_rms);
        zs_html_td_text(out, fit->converged ? "yes" : "no");
        fprintf(out, "<td class=\"num\">%zu</td>", fit->has_holdout ? fit->holdout.k : 0);
        zs_html_td_num(out, fit->has_holdout ? fit->holdout.rmse : NAN);
        zs_html_td_num(out, fit->has_holdout ? fit->holdout.max_abs_error : NAN);
        fputs("</tr>\n", out);
    }
    zs_html_table_tail(out);
}

/* Predicted against observed loss for every run whose dataset has a fitted law. */
static zs_status residuals_figure(FILE *out, const zs_report_data *data, zs_error *err) {
    zs_plot *fig = NULL;
    zs_status s = zs_plot_create(&fig, fig_size.width_pt, fig_size.height_pt, err);
    if (!s) s = zs_plot_set_title(fig, "fitted law against the runs", err);
    if (!s) s = zs_plot_set_xlabel(fig, "observed loss (nats)", err);
    if (!s) s = zs_plot_set_ylabel(fig, "predicted loss (nats)", err);
    double lo = INFINITY, hi = -INFINITY;
    size_t series = 0;
    for (size_t i = 0; !s && i < data->n_inputs; i++) {
        const zs_runs *runs = &data->inputs[i].runs;
        if (data->inputs[i].kind != ZS_REPORT_RUNS) continue;
        size_t *rows = malloc((runs->n_rows ? runs->n_rows : 1) * sizeof *rows);
        double *obs = malloc((runs->n_rows ? runs->n_rows : 1) * sizeof *obs);
        double *pred = malloc((runs->n_rows ? runs->n_rows : 1) * sizeof *pred);
        if (!rows || !obs || !pred) s = zs_fail(err, ZS_ERR_NOMEM, "out of memory");
        for (size_t d = 0; !s && d < runs->n_datasets; d++) {
            const zs_lawfit *fit = fit_for(data, runs, d);
            if (!fit) continue;
            size_t n = zs_runs_dataset_rows(runs, d, rows);
            for (size_t k = 0; k < n; k++) {
                obs[k] = runs->loss_nats[rows[k]];
                pred[k] =
                    zs_chinchilla_loss(&fit->law, runs->n_params[rows[k]], runs->n_tokens[rows[k]]);
                lo = fmin(lo, fmin(obs[k], pred[k]));
                hi = fmax(hi, fmax(obs[k], pred[k]));
            }
            s = zs_plot_add_scatter(fig, zs_runs_dataset_label(runs, d), obs, pred, n, err);
            series++;
        }
        free(rows);
        free(obs);
        free(pred);
    }
    if (!s && series == 0) {
        zs_plot_free(fig);
        return ZS_OK;
    }
    double diag[2] = {lo, hi};
    if (!s) s = zs_plot_add_line(fig, "predicted = observed", diag, diag, 2, err);
    if (s) {
        zs_plot_free(fig);
        return s;
    }
    return zs_html_figure(out, fig,
                          "Each run's loss predicted by its dataset's fitted law against the loss "
                          "observed; points on the line are fitted exactly.",
                          err);
}

static zs_status laws_section(FILE *out, const zs_report_data *data, zs_error *err) {
    heading(out, "laws", "Fitted laws");
    paragraph(out, "L(N, D) = E + A / N^α + B / D^β, fitted per dataset (docs/fitting.md).");
    for (size_t i = 0; i < data->n_inputs; i++)
        if (data->inputs[i].kind == ZS_REPORT_LAW) law_tables(out, &data->inputs[i]);
    zs_status s = zs_report_count(data, ZS_REPORT_RUNS) ? residuals_figure(out, data, err) : ZS_OK;
    section_end(out);
    return s;
}

/* ---- regression on H ----------------------------------------------------------------- */
static zs_status regression_section(FILE *out, const zs_report_data *data, zs_error *err) {
    heading(out, "regression", "Regression on H");
    paragraph(out, "Each law parameter x regressed on the datasets' H by ordinary least "
                   "squares, x(H) = m H + n; p-values are two-sided t tests with n - 2 degrees "
                   "of freedom.");
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < data->n_inputs; i++) {
        const zs_report_input *in = &data->inputs[i];
        if (in->kind != ZS_REPORT_REGRESSION) continue;
        fputs("<h3>", out);
        zs_html_text(out, in->path);
        fprintf(out, "</h3>\n<p>%zu datasets; %zu bootstrap replicates.</p>\n", in->reg.n_datasets,
                in->reg.n_replicates);
        static const char *const cols[] = {"parameter", "slope m", "se(m)", "p(m)", "intercept n",
                                           "se(n)",     "p(n)",    "R²",    "n"};
        zs_html_table_head(out, cols, 9);
        for (int p = 0; p < ZS_LAW_N_PARAMS; p++) {
            const zs_ols *o = &in->reg.regression.param[p];
            fputs("<tr>", out);
            zs_html_td_text(out, zs_law_param_name(p));
            zs_html_td_num(out, o->slope);
            zs_html_td_num(out, o->slope_se);
            zs_html_td_num(out, o->slope_p);
            zs_html_td_num(out, o->intercept);
            zs_html_td_num(out, o->intercept_se);
            zs_html_td_num(out, o->intercept_p);
            zs_html_td_num(out, o->r2);
            fprintf(out, "<td class=\"num\">%llu</td></tr>\n", (unsigned long long)o->n);
        }
        zs_html_table_tail(out);
        for (int p = 0; !s && p < ZS_LAW_N_PARAMS; p++) {
            zs_plot *fig = NULL;
            s = zs_figure_params_vs_h(&in->reg, p, &fig_size, &fig, err);
            char caption[160];
            snprintf(caption, sizeof caption,
                     "%s against H: the datasets' laws, the regression line and its band.",
                     zs_law_param_name(p));
            if (!s) s = zs_html_figure(out, fig, caption, err);
        }
    }
    section_end(out);
    return s;
}

/* ---- frontier ------------------------------------------------------------------------ */
/* Budgets from the runs' smallest compute to 1000 times their largest, or 1e18..1e22
 * FLOPs without runs. */
static zs_status frontier_budgets(const zs_report_data *data, double *budgets, zs_error *err) {
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < data->n_inputs; i++) {
        if (data->inputs[i].kind != ZS_REPORT_RUNS) continue;
        const zs_runs *runs = &data->inputs[i].runs;
        for (size_t r = 0; r < runs->n_rows; r++) {
            lo = fmin(lo, runs->flops[r]);
            hi = fmax(hi, runs->flops[r]);
        }
    }
    if (!(lo > 0) || !isfinite(hi)) {
        lo = 1e18;
        hi = 1e19;
    }
    return zs_frontier_log_range(lo, hi * 1e3, ZS_FIGURE_FRONTIER_BUDGETS, budgets, err);
}

static zs_status frontier_section(FILE *out, const zs_report_data *data, zs_error *err) {
    heading(out, "frontier", "Compute-optimal frontier");
    double budgets[ZS_FIGURE_FRONTIER_BUDGETS];
    zs_status s = frontier_budgets(data, budgets, err);
    if (!s)
        paragraph(out, "With C = 6 N D, each law's loss-minimising N and D per budget C "
                       "(Chinchilla's approach 3); budgets span the runs' compute up to 1000 "
                       "times their largest.");
    for (size_t i = 0; !s && i < data->n_inputs; i++) {
        const zs_report_input *in = &data->inputs[i];
        if (in->kind != ZS_REPORT_LAW) continue;
        for (size_t f = 0; !s && f < in->law.n_fits; f++) {
            const zs_lawfit *fit = &in->law.fits[f];
            fputs("<h3>", out);
            zs_html_text(out, fit_label(fit));
            fputs("</h3>\n", out);
            zs_frontier_exponents ex;
            zs_error why = {0};
            if (zs_frontier_exponents_of(&fit->law, &ex, &why)) {
                /* a degenerate fit has no frontier: say so and go on */
                char note[sizeof why.msg + 32];
                snprintf(note, sizeof note, "No frontier: %s.", why.msg);
                paragraph(out, note);
                continue;
            }
            static const char *const cols[] = {"compute C (FLOPs)", "N_opt", "D_opt",
                                               "tokens / param", "loss (nats)"};
            zs_html_table_head(out, cols, 5);
            for (size_t b = 0; !s && b < ZS_FIGURE_FRONTIER_BUDGETS; b++) {
                zs_frontier_point pt;
                s = zs_frontier_point_at(&fit->law, budgets[b], &pt, err);
                if (s) break;
                fputs("<tr>", out);
                zs_html_td_num(out, pt.compute_flops);
                zs_html_td_num(out, pt.n_params);
                zs_html_td_num(out, pt.n_tokens);
                zs_html_td_num(out, pt.tokens_per_param);
                zs_html_td_num(out, pt.loss_nats);
                fputs("</tr>\n", out);
            }
            zs_html_table_tail(out);
            zs_plot *fig = NULL;
            if (!s)
                s = zs_figure_frontier(&fit->law, budgets, ZS_FIGURE_FRONTIER_BUDGETS, &fig_size,
                                       &fig, err);
            char caption[512];
            snprintf(caption, sizeof caption,
                     "%s: iso-FLOP curves, the law's frontier through their minima and "
                     "Chinchilla's published allocation.",
                     fit_label(fit));
            if (!s) s = zs_html_figure(out, fig, caption, err);
        }
    }
    section_end(out);
    return s;
}

/* ---- predictions --------------------------------------------------------------------- */
/* value, and " [lo, hi]" when the row has an interval */
static void interval_cell(FILE *out, double value, const zs_prediction *p, const zs_bounds *b) {
    fputs("<td class=\"num\">", out);
    zs_html_num(out, value);
    if (p->has_interval) {
        fputs(" [", out);
        zs_html_num(out, b->lo);
        fputs(", ", out);
        zs_html_num(out, b->hi);
        fputs("]", out);
    }
    fputs("</td>", out);
}

static void predictions_section(FILE *out, const zs_report_data *data) {
    heading(out, "predictions", "Predictions");
    for (size_t i = 0; i < data->n_inputs; i++) {
        const zs_report_input *in = &data->inputs[i];
        if (in->kind != ZS_REPORT_PREDICT) continue;
        const zs_predictfile *pf = &in->predict;
        fputs("<h3>", out);
        zs_html_text(out, in->path);
        fputs("</h3>\n<p>H = ", out);
        zs_html_num(out, pf->H);
        fputs(", epsilon = ", out);
        zs_html_num(out, pf->epsilon);
        fputs("; intervals (in brackets) are bootstrap percentiles at level ", out);
        zs_html_num(out, pf->level);
        fputs(".</p>\n", out);
        static const char *const cols[] = {"compute C (FLOPs)", "N_opt", "D_opt", "tokens / param",
                                           "loss (nats)"};
        zs_html_table_head(out, cols, 5);
        for (size_t r = 0; r < pf->n_predictions; r++) {
            const zs_prediction *p = &pf->predictions[r];
            fputs("<tr>", out);
            zs_html_td_num(out, p->point.compute_flops);
            interval_cell(out, p->point.n_params, p, &p->interval.n_params);
            interval_cell(out, p->point.n_tokens, p, &p->interval.n_tokens);
            interval_cell(out, p->point.tokens_per_param, p, &p->interval.tokens_per_param);
            interval_cell(out, p->point.loss_nats, p, &p->interval.loss_nats);
            fputs("</tr>\n", out);
        }
        zs_html_table_tail(out);
    }
    section_end(out);
}

/* ---- training ------------------------------------------------------------------------ */
static zs_status training_section(FILE *out, const zs_report_data *data, zs_error *err) {
    heading(out, "training", "Training");
    size_t n = zs_report_count(data, ZS_REPORT_TRAINLOG);
    zs_trainlog *logs = calloc(n, sizeof *logs);
    char **names = calloc(n, sizeof *names);
    zs_status s = logs && names ? ZS_OK : zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    static const char *const cols[] = {"log",    "records",         "last step",
                                       "tokens", "last train loss", "last val loss"};
    if (!s) zs_html_table_head(out, cols, 6);
    for (size_t i = 0, k = 0; !s && i < data->n_inputs; i++) {
        const zs_report_input *in = &data->inputs[i];
        if (in->kind != ZS_REPORT_TRAINLOG) continue;
        const zs_trainlog *log = &in->log;
        logs[k] = *log;
        if (!(names[k] = zs_path_stem(in->path))) {
            s = zs_fail(err, ZS_ERR_NOMEM, "out of memory");
            break;
        }
        double last_val = NAN;
        for (size_t r = 0; r < log->n; r++)
            if (!isnan(log->val_loss[r])) last_val = log->val_loss[r];
        fputs("<tr>", out);
        zs_html_td_text(out, names[k]);
        fprintf(out, "<td class=\"num\">%zu</td>", log->n);
        zs_html_td_num(out, log->step[log->n - 1]);
        zs_html_td_num(out, log->tokens[log->n - 1]);
        zs_html_td_num(out, log->train_loss[log->n - 1]);
        zs_html_td_num(out, last_val);
        fputs("</tr>\n", out);
        k++;
    }
    if (!s) zs_html_table_tail(out);
    zs_plot *fig = NULL;
    if (!s)
        s = zs_figure_training_curves(logs, (const char *const *)names, n, &fig_size, &fig, err);
    if (!s)
        s = zs_html_figure(out, fig,
                           "Train loss (lines) and validation loss (points) against "
                           "tokens seen.",
                           err);
    for (size_t k = 0; names && k < n; k++) free(names[k]);
    free(names);
    free(logs);
    section_end(out);
    return s;
}

zs_status zs_report_sections(FILE *out, const zs_report_data *data, zs_error *err) {
    int has_law = zs_report_count(data, ZS_REPORT_LAW) > 0;
    fputs("<nav><ul>", out);
    if (zs_report_count(data, ZS_REPORT_SWEEP)) fputs("<li><a href=\"#sweep\">Sweep</a></li>", out);
    if (data->n_datasets) fputs("<li><a href=\"#datasets\">Datasets</a></li>", out);
    if (zs_report_count(data, ZS_REPORT_RUNS)) fputs("<li><a href=\"#runs\">Runs</a></li>", out);
    if (has_law) fputs("<li><a href=\"#laws\">Fitted laws</a></li>", out);
    if (zs_report_count(data, ZS_REPORT_REGRESSION))
        fputs("<li><a href=\"#regression\">Regression on H</a></li>", out);
    if (has_law) fputs("<li><a href=\"#frontier\">Frontier</a></li>", out);
    if (zs_report_count(data, ZS_REPORT_PREDICT))
        fputs("<li><a href=\"#predictions\">Predictions</a></li>", out);
    if (zs_report_count(data, ZS_REPORT_TRAINLOG))
        fputs("<li><a href=\"#training\">Training</a></li>", out);
    if (zs_report_count(data, ZS_REPORT_QUANTA))
        fputs("<li><a href=\"#quanta\">Quanta</a></li>", out);
    if (zs_report_count(data, ZS_REPORT_QDG)) fputs("<li><a href=\"#qdg\">QDG</a></li>", out);
    if (zs_report_count(data, ZS_REPORT_TOKEN_CLASSES))
        fputs("<li><a href=\"#token-classes\">Token classes</a></li>", out);
    fputs("<li><a href=\"#provenance\">Provenance</a></li></ul></nav>\n", out);
    if (zs_report_count(data, ZS_REPORT_SWEEP)) zs_report_sweep_section(out, data);
    zs_status s = data->n_datasets ? datasets(out, data, err) : ZS_OK;
    if (!s && zs_report_count(data, ZS_REPORT_RUNS)) s = runs_section(out, data, err);
    if (!s && has_law) s = laws_section(out, data, err);
    if (!s && zs_report_count(data, ZS_REPORT_REGRESSION)) s = regression_section(out, data, err);
    if (!s && has_law) s = frontier_section(out, data, err);
    if (!s && zs_report_count(data, ZS_REPORT_PREDICT)) predictions_section(out, data);
    if (!s && zs_report_count(data, ZS_REPORT_TRAINLOG)) s = training_section(out, data, err);
    if (!s && zs_report_count(data, ZS_REPORT_QUANTA)) s = zs_report_quanta_section(out, data, err);
    if (!s && zs_report_count(data, ZS_REPORT_QDG)) s = zs_report_qdg_section(out, data, err);
    if (!s && zs_report_count(data, ZS_REPORT_TOKEN_CLASSES))
        s = zs_report_tokens_section(out, data, err);
    return s;
}
