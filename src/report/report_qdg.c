/* The report's QDG section, from each qdg.json given ([QM] quanta discovery from gradients,
 * scored against ground truth): the selection, the recovery table (ARI and NMI per variant
 * at its k and at each k of the sweep, the cluster-size slope), each variant's
 * rank-frequency of cluster sizes with its fitted slope, and the first variant's affinity
 * ordered by its clusters when --dump-affinity's file is found (else a sentence says why). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "report/report_internal.h"

static const zs_figure_size fig_size = {640, 420};
/* The heatmap's cells a side here: an inline SVG holds one element per cell. */
#define REPORT_CELLS 120

static void intro(FILE *out, const zs_qdg_file *f) {
    fprintf(out,
            "<p>%llu %s clustered: an evenly spaced subsample of the %llu of %llu scored "
            "whose loss is below ",
            (unsigned long long)f->n, f->gpt ? "tokens of a GPT" : "examples of the parity MLP",
            (unsigned long long)f->n_below, (unsigned long long)f->pool);
    zs_html_num(out, f->max_loss_nats);
    if (f->gpt && f->classes_present == 0)
        fputs(" nats; no ground truth was given, so ARI and NMI are blank.", out);
    else if (f->gpt)
        fprintf(out, " nats; %llu true classes (the emitting rules) are present among them.",
                (unsigned long long)f->classes_present);
    else
        fprintf(out, " nats; %llu of the %llu true classes (subtasks) are present among them.",
                (unsigned long long)f->classes_present, (unsigned long long)f->n_tasks);
    fputs(" Each variant clusters the samples' gradients (L2-normalised; cosine; affinity) by "
          "spectral clustering; ARI is the adjusted Rand index and NMI the normalised mutual "
          "information against the true classes (1: recovered exactly, about 0: chance). The "
          "size slope is that of ln size on ln rank over the ranks shown.",
          out);
    if (isfinite(f->target_ari)) {
        fputs(" The baseline, each token's predicted next token taken as its cluster, scores "
              "ARI ",
              out);
        zs_html_num(out, f->target_ari);
        fputs(" and NMI ", out);
        zs_html_num(out, f->target_nmi);
        fputs(".", out);
    }
    fputs("</p>\n", out);
}

static void recovery_table(FILE *out, const zs_qdg_file *f) {
    static const char *const cols[] = {"variant", "affinity", "dimensions", "k",
                                       "ARI",     "NMI",      "size slope", "ranks"};
    zs_html_table_head(out, cols, 8);
    size_t n_sweep = 0;
    for (size_t i = 0; i < f->n_variants; i++) {
        const zs_qdg_file_variant *v = &f->variants[i];
        fputs("<tr>", out);
        zs_html_td_text(out, v->name);
        zs_html_td_text(out, v->affinity);
        fprintf(out, "<td class=\"num\">%llu</td><td class=\"num\">%llu</td>",
                (unsigned long long)v->dim, (unsigned long long)v->k);
        zs_html_td_num(out, v->ari);
        zs_html_td_num(out, v->nmi);
        zs_html_td_num(out, v->slope);
        fprintf(out, "<td class=\"num\">%zu-%zu</td></tr>\n", v->rank_lo, v->rank_hi);
        n_sweep += v->n_sweep;
    }
    zs_html_table_tail(out);
    if (!n_sweep) return;
    fputs("<p>The same variants at the further cluster counts of the sweep:</p>\n", out);
    static const char *const sweep_cols[] = {"variant", "k", "ARI", "NMI"};
    zs_html_table_head(out, sweep_cols, 4);
    for (size_t i = 0; i < f->n_variants; i++) {
        const zs_qdg_file_variant *v = &f->variants[i];
        for (size_t j = 0; j < v->n_sweep; j++) {
            fputs("<tr>", out);
            zs_html_td_text(out, v->name);
            fprintf(out, "<td class=\"num\">%llu</td>", (unsigned long long)v->sweep_k[j]);
            zs_html_td_num(out, v->sweep_ari[j]);
            zs_html_td_num(out, v->sweep_nmi[j]);
            fputs("</tr>\n", out);
        }
    }
    zs_html_table_tail(out);
}

static void note(FILE *out, const char *text, const char *path) {
    fputs("<p>No affinity heatmap: ", out);
    zs_html_text(out, text);
    if (path) zs_html_text(out, path);
    fputs(".</p>\n", out);
}

/* The first variant's affinity ordered by its clusters, when both files are found. */
static zs_status heatmap(FILE *out, const zs_report_input *in, zs_error *err) {
    const zs_qdg_file *f = &in->qdg;
    const zs_qdg_file_variant *v = &f->variants[0];
    char aff[4096], lab[4096];
    if (!f->affinity_file) {
        note(out, "no affinity was dumped (zipscale quanta qdg --dump-affinity FILE)", NULL);
        return ZS_OK;
    }
    if (!zs_qdg_file_affinity_path(f, in->path, aff, sizeof aff)) {
        note(out, "the affinity file is not found beside the qdg.json nor at ", f->affinity_file);
        return ZS_OK;
    }
    if (!zs_qdg_file_labels_path(in->path, v->name, lab, sizeof lab)) {
        char what[300];
        snprintf(what, sizeof what, "no labels_%s.npy beside ", v->name);
        note(out, what, in->path);
        return ZS_OK;
    }
    uint32_t *labels = NULL;
    float *a = NULL;
    size_t n = 0;
    zs_plot *fig = NULL;
    zs_status s = zs_qdg_labels_read(lab, &labels, &n, err);
    if (!s) s = zs_qdg_affinity_read(aff, n, lab, &a, err);
    if (!s) s = zs_figure_qdg_affinity(a, labels, n, REPORT_CELLS, v->name, &fig_size, &fig, err);
    free(labels);
    free(a);
    if (s) return s;
    char caption[4800];
    snprintf(caption, sizeof caption,
             "The affinity of variant %s between every two samples (%s), samples ordered by "
             "their cluster, clusters largest first: blocks on the diagonal are clusters whose "
             "gradients agree.",
             v->name, aff);
    return zs_html_figure(out, fig, caption, err);
}

static zs_status one_result(FILE *out, const zs_report_input *in, zs_error *err) {
    const zs_qdg_file *f = &in->qdg;
    fputs("<h3>", out);
    zs_html_text(out, in->path);
    fputs("</h3>\n", out);
    intro(out, f);
    recovery_table(out, f);
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < f->n_variants; i++) {
        zs_plot *fig = NULL;
        s = zs_figure_qdg_rank_frequency(&f->variants[i], &fig_size, &fig, err);
        char caption[300];
        snprintf(caption, sizeof caption,
                 "Variant %s: the size of each cluster against its rank (log-log), dashed the "
                 "power law fitted over the ranks shown.",
                 f->variants[i].name);
        if (!s) s = zs_html_figure(out, fig, caption, err);
    }
    if (!s) s = heatmap(out, in, err);
    return s;
}

zs_status zs_report_qdg_section(FILE *out, const zs_report_data *data, zs_error *err) {
    fputs("<section id=\"qdg\">\n<h2>Quanta discovery from gradients (QDG)</h2>\n", out);
    fputs(
        "<p>QDG ([QM] Michaud et al. 2023, \"The Quantization Model of Neural Scaling\", "
        "section 5) clusters per-sample gradients to find the quanta a model has learned; "
        "here each clustering is scored against the samples' true classes (docs/quanta.md).</p>\n",
        out);
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < data->n_inputs; i++)
        if (data->inputs[i].kind == ZS_REPORT_QDG) s = one_result(out, &data->inputs[i], err);
    fputs("</section>\n", out);
    return s;
}
