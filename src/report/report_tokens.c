/* The report's token classes section, from each `zipscale quanta tokens -o` summary given:
 * monogenic and polygenic tokens [QM] across a family of models, with the thresholds, the
 * models and each class's mean loss at each, the counts, the figure of each class's mean
 * loss against N, and the examples with their context. */
#include <math.h>
#include <stdio.h>

#include "report/report_internal.h"

static const zs_figure_size fig_size = {640, 420};

static void intro(FILE *out, const zs_token_summary *t) {
    fprintf(out,
            "<p>%zu models scored on the same %zu held-out tokens (%llu windows of %llu from "
            "window %llu of ",
            t->classes.n_models, t->classes.n_tokens, (unsigned long long)t->windows,
            (unsigned long long)t->context, (unsigned long long)t->first_window);
    zs_html_text(out, t->data_path);
    fputs("). A token is monogenic at model j when its loss is above ", out);
    zs_html_num(out, t->opts.mono_high_nats);
    fputs(" nats at every smaller model and below ", out);
    zs_html_num(out, t->opts.mono_low_nats);
    fputs(" nats from j on; polygenic when the line of its loss on ln N has a slope below ", out);
    zs_html_num(out, t->opts.poly_max_slope);
    fputs(" nats per e-fold and R² above ", out);
    zs_html_num(out, t->opts.poly_min_r2);
    fputs("; other otherwise. Losses in nats.</p>\n", out);
}

static void models_table(FILE *out, const zs_token_summary *t) {
    static const char *const cols[] = {"j",         "dump",  "N",         "mean loss",
                                       "drop at j", "other", "monogenic", "polygenic"};
    zs_html_table_head(out, cols, 8);
    const zs_token_classes *c = &t->classes;
    for (size_t j = 0; j < c->n_models; j++) {
        fprintf(out, "<tr><td class=\"num\">%zu</td>", j);
        zs_html_td_text(out, t->paths[j]);
        zs_html_td_num(out, c->n_params[j]);
        zs_html_td_num(out, t->mean_loss[j]);
        fprintf(out, "<td class=\"num\">%zu</td>", c->mono_count_at[j]);
        for (int k = 0; k < ZS_TOKEN_N_CLASSES; k++)
            zs_html_td_num(out, c->class_mean_loss[(size_t)k * c->n_models + j]);
        fputs("</tr>\n", out);
    }
    zs_html_table_tail(out);
    static const char *const count_cols[] = {"class", "tokens", "share"};
    zs_html_table_head(out, count_cols, 3);
    for (int k = 0; k < ZS_TOKEN_N_CLASSES; k++) {
        fputs("<tr>", out);
        zs_html_td_text(out, zs_token_class_name((zs_token_class)k));
        fprintf(out, "<td class=\"num\">%zu</td><td class=\"num\">%.1f%%</td></tr>\n", c->count[k],
                100.0 * (double)c->count[k] / (double)c->n_tokens);
    }
    zs_html_table_tail(out);
}

static void examples_table(FILE *out, const zs_token_summary *t) {
    if (!t->n_examples) return;
    static const char *const cols[] = {"class",   "window", "position",
                                       "drop at", "losses", "context -> target"};
    zs_html_table_head(out, cols, 6);
    for (size_t i = 0; i < t->n_examples; i++) {
        const zs_token_example *e = &t->examples[i];
        fputs("<tr>", out);
        zs_html_td_text(out, zs_token_class_name((zs_token_class)e->cls));
        fprintf(out, "<td class=\"num\">%llu</td><td class=\"num\">%llu</td>",
                (unsigned long long)(t->first_window + e->window), (unsigned long long)e->position);
        if (e->cls == ZS_TOKEN_MONOGENIC)
            fprintf(out, "<td class=\"num\">%u</td>", e->mono_at);
        else
            fputs("<td class=\"num\">-</td>", out);
        fputs("<td class=\"num\">", out);
        for (size_t j = 0; j < t->classes.n_models; j++) {
            if (j) fputs(" ", out);
            fprintf(out, "%.3f", e->loss[j]);
        }
        fputs("</td><td>", out);
        if (e->target < 0)
            fputs("(data not read)", out);
        else {
            for (size_t j = 0; j < e->n_context; j++)
                fprintf(out, "%llu ", (unsigned long long)e->context[j]);
            fprintf(out, "-&gt; %lld", (long long)e->target);
        }
        fputs("</td></tr>\n", out);
    }
    zs_html_table_tail(out);
}

static zs_status one_summary(FILE *out, const zs_report_input *in, zs_error *err) {
    const zs_token_summary *t = &in->tokens;
    fputs("<h3>", out);
    zs_html_text(out, in->path);
    fputs("</h3>\n", out);
    intro(out, t);
    models_table(out, t);
    zs_plot *fig = NULL;
    zs_status s = zs_figure_token_classes(&t->classes, &fig_size, &fig, err);
    if (!s)
        s = zs_html_figure(out, fig,
                           "Each class's mean loss against the models' parameter count N: "
                           "monogenic tokens drop at one size, polygenic ones fall steadily.",
                           err);
    if (!s) examples_table(out, t);
    return s;
}

zs_status zs_report_tokens_section(FILE *out, const zs_report_data *data, zs_error *err) {
    fputs("<section id=\"token-classes\">\n<h2>Monogenic and polygenic tokens</h2>\n", out);
    fputs("<p>Per-token losses of models of increasing size on the same held-out tokens, each "
          "token classed by how its loss falls with N ([QM] Michaud et al. 2023, section 6; "
          "docs/quanta.md).</p>\n",
          out);
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < data->n_inputs; i++)
        if (data->inputs[i].kind == ZS_REPORT_TOKEN_CLASSES)
            s = one_summary(out, &data->inputs[i], err);
    fputs("</section>\n", out);
    return s;
}
