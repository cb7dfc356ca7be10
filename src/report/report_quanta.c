/* The report's Quanta section, from each quanta.json given: the quantization model's
 * experiments [QM] as a table (one row per experiment run: points, the fitted exponent
 * beside the predicted one, Spearman's rho, subtasks learned) and, per experiment, the
 * per-subtask losses, the emergence heatmap, the scaling curve and the learning points,
 * then fitted against predicted exponents. A figure with nothing to draw (no subtask
 * learned, say) is replaced by a sentence saying why. */
#include <math.h>
#include <stdio.h>

#include "report/report_internal.h"

static const zs_figure_size fig_size = {640, 420};

/* What each axis varies, in the table and the headings. */
static const char *const axis_titles[ZS_QUANTA_N_AXES] = {"parameters N", "training examples D",
                                                          "steps S"};

static void td_ci(FILE *out, double v, double lo, double hi) {
    fputs("<td class=\"num\">", out);
    zs_html_num(out, v);
    if (!isnan(v) && !(isnan(lo) && isnan(hi))) {
        fputs(" [", out);
        zs_html_num(out, lo);
        fputs(", ", out);
        zs_html_num(out, hi);
        fputs("]", out);
    }
    fputs("</td>", out);
}

static void intro(FILE *out, const zs_quanta_result *r) {
    fprintf(out,
            "<p>Multitask sparse parity: %llu subtasks, %llu task bits, k = %llu, the s-th most "
            "frequent subtask drawn with probability proportional to s^-%g. A subtask is learned "
            "from the "
            "first point from which its loss stays below ",
            (unsigned long long)r->n_tasks, (unsigned long long)r->n_bits, (unsigned long long)r->k,
            r->zipf_exponent);
    zs_html_num(out, r->threshold_bits);
    fputs(" bits. The fitted exponent is alpha of L = A x^-alpha by least squares of log L on "
          "log x over the fit's points, with its t interval; rho is Spearman's rank correlation "
          "between frequency rank and learning point over the learned subtasks, with its "
          "bootstrap percentile interval; intervals at level ",
          out);
    zs_html_num(out, r->level);
    fputs(". Losses in the figures are in bits.</p>\n", out);
}

static void table(FILE *out, const zs_quanta_result *r) {
    static const char *const cols[] = {"experiment", "x",           "points",     "fit points",
                                       "fitted α",   "predicted α", "Spearman ρ", "learned"};
    zs_html_table_head(out, cols, 8);
    for (int k = 0; k < ZS_QUANTA_N_AXES; k++) {
        const zs_quanta_axis_result *a = &r->axes[k];
        if (!a->present) continue;
        fputs("<tr>", out);
        zs_html_td_text(out, zs_quanta_axis_name((zs_quanta_axis)k));
        zs_html_td_text(out, axis_titles[k]);
        fprintf(out, "<td class=\"num\">%zu</td>", a->n_points);
        if (a->fit_count)
            fprintf(out, "<td class=\"num\">%zu-%zu</td>", a->fit_first + 1,
                    a->fit_first + a->fit_count);
        else
            fputs("<td class=\"num\">none</td>", out);
        td_ci(out, a->alpha, a->alpha_lo, a->alpha_hi);
        zs_html_td_num(out, a->alpha_predicted);
        td_ci(out, a->rho, a->rho_lo, a->rho_hi);
        fprintf(out, "<td class=\"num\">%zu/%zu</td></tr>\n", a->n_learned, a->n_subtasks);
    }
    zs_html_table_tail(out);
}

/* The figure, or, when it has nothing to draw (ZS_ERR_RANGE), a sentence saying why. */
static zs_status figure_or_note(FILE *out, zs_status s, zs_plot *fig, const char *caption,
                                const zs_error *why, zs_error *err) {
    if (s == ZS_ERR_RANGE) {
        fputs("<p>No figure: ", out);
        zs_html_text(out, why->msg);
        fputs(".</p>\n", out);
        return ZS_OK;
    }
    if (s) {
        if (err) *err = *why;
        return s;
    }
    return zs_html_figure(out, fig, caption, err);
}

typedef zs_status (*axis_figure)(const zs_quanta_result *, zs_quanta_axis, const zs_figure_size *,
                                 zs_plot **, zs_error *);

static zs_status axis_figures(FILE *out, const zs_quanta_result *r, zs_quanta_axis axis,
                              zs_error *err) {
    static const axis_figure figures[] = {zs_figure_quanta_subtask_losses,
                                          zs_figure_quanta_emergence, zs_figure_quanta_scaling,
                                          zs_figure_quanta_learning_points};
    char captions[4][256];
    snprintf(captions[0], sizeof captions[0],
             "Each subtask's loss against %s, coloured by frequency rank (darkest: most "
             "frequent); dashed, the threshold of learning.",
             axis_titles[axis]);
    snprintf(captions[1], sizeof captions[1],
             "Emergence: each subtask's loss (colour, bits) at each point along %s, most "
             "frequent subtask at the bottom.",
             axis_titles[axis]);
    snprintf(captions[2], sizeof captions[2],
             "Test loss against %s with the fitted power law over its fit points and, dashed, "
             "the slope the quantization model predicts.",
             axis_titles[axis]);
    snprintf(captions[3], sizeof captions[3],
             "Learning point (%s) against frequency rank; subtasks never learned are left out.",
             axis_titles[axis]);
    fprintf(out, "<h4>%s: %s</h4>\n", zs_quanta_axis_name(axis), axis_titles[axis]);
    zs_status s = ZS_OK;
    for (int f = 0; !s && f < 4; f++) {
        zs_plot *fig = NULL;
        zs_error why = {0};
        zs_status built = figures[f](r, axis, &fig_size, &fig, &why);
        s = figure_or_note(out, built, fig, captions[f], &why, err);
    }
    return s;
}

static zs_status one_result(FILE *out, const zs_report_input *in, zs_error *err) {
    const zs_quanta_result *r = &in->quanta;
    fputs("<h3>", out);
    zs_html_text(out, in->path);
    fputs("</h3>\n", out);
    intro(out, r);
    table(out, r);
    zs_plot *fig = NULL;
    zs_error why = {0};
    zs_status built = zs_figure_quanta_compare(r, &fig_size, &fig, &why);
    zs_status s = figure_or_note(out, built, fig,
                                 "Fitted exponents with their intervals (error bars) beside the "
                                 "quantization model's predictions (points), per experiment.",
                                 &why, err);
    for (int k = 0; !s && k < ZS_QUANTA_N_AXES; k++)
        if (r->axes[k].present) s = axis_figures(out, r, (zs_quanta_axis)k, err);
    return s;
}

zs_status zs_report_quanta_section(FILE *out, const zs_report_data *data, zs_error *err) {
    fputs("<section id=\"quanta\">\n<h2>Quanta</h2>\n", out);
    fputs("<p>The quantization model's experiments ([QM] Michaud et al. 2023, \"The "
          "Quantization Model of Neural Scaling\"): loss against parameters, training data and "
          "steps, each subtask's loss, when each is learned, and the exponents fitted beside "
          "those the model predicts (docs/quanta.md).</p>\n",
          out);
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < data->n_inputs; i++)
        if (data->inputs[i].kind == ZS_REPORT_QUANTA) s = one_result(out, &data->inputs[i], err);
    fputs("</section>\n", out);
    return s;
}
