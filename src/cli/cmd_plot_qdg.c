/* `zipscale plot qdg`: the QDG figures from a `zipscale quanta qdg -o DIR` result: the
 * rank-frequency of one variant's cluster sizes with its fitted slope, or, with --affinity,
 * the affinity matrix ordered by that variant's clusters as a heatmap. The figures are
 * built by zipscale/figures.h from zipscale/quanta_qdg_file.h's readers. */
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "zipscale/figures.h"
#include "zipscale/quanta_qdg_file.h"

static struct {
    const char *output, *variant, *affinity, *labels;
    uint64_t cells;
    zs_figure_size size;
} args;

static void plot_qdg_defaults(void) {
    memset(&args, 0, sizeof args);
    args.cells = ZS_FIGURE_QDG_CELLS;
    zs_figure_size_init(&args.size);
}

static const zs_opt plot_qdg_opts[] = {
    {"output", 'o', ZS_OPT_STRING, &args.output, "FIGURE", "the figure: .svg, .png or .pdf",
     .required = 1},
    {"variant", 0, ZS_OPT_STRING, &args.variant, "NAME",
     "the variant drawn (default: the first, whose affinity --dump-affinity writes)"},
    {"affinity", 0, ZS_OPT_STRING, &args.affinity, "FILE",
     "draw the affinity heatmap from FILE (raw float32 n x n of --dump-affinity); auto: the "
     "file qdg.json records"},
    {"labels", 0, ZS_OPT_STRING, &args.labels, "FILE",
     "the heatmap's cluster labels (default: labels_<variant>.npy beside qdg.json)"},
    {"cells", 0, ZS_OPT_U64, &args.cells, "M", "the heatmap's cells a side, at most 1000"},
    {"width", 0, ZS_OPT_DOUBLE, &args.size.width_pt, "PT", "figure width in points"},
    {"height", 0, ZS_OPT_DOUBLE, &args.size.height_pt, "PT", "figure height in points"},
    ZS_OPT_END,
};

static const zs_cli_spec plot_qdg_spec = {
    "plot qdg",
    "DIR/qdg.json -o FIGURE [--variant NAME] [--affinity FILE|auto [--labels FILE] [--cells M]]",
    "QDG figures: cluster-size rank-frequency, or the affinity ordered by cluster",
    "Reads the qdg.json of `zipscale quanta qdg -o DIR`. Draws one variant's cluster sizes\n"
    "against their rank (log-log) with the fitted power law over the rank window qdg.json\n"
    "records. With --affinity, draws instead the affinity matrix (--dump-affinity) as a\n"
    "heatmap, samples ordered by the variant's clusters (largest first), averaged down to\n"
    "at most M x M cells. The affinity is the first variant's; give --labels of another run\n"
    "only if its samples are the same. See docs/quanta.md.",
    plot_qdg_opts,
    1,
    1,
    .defaults = plot_qdg_defaults,
};

static zs_status find_variant(const zs_qdg_file *f, const char *path,
                              const zs_qdg_file_variant **out, zs_error *err) {
    if (!args.variant) {
        *out = &f->variants[0];
        return ZS_OK;
    }
    for (size_t i = 0; i < f->n_variants; i++)
        if (strcmp(f->variants[i].name, args.variant) == 0) {
            *out = &f->variants[i];
            return ZS_OK;
        }
    return zs_fail(err, ZS_ERR_USAGE, "%s: no variant '%s' (it has %zu, the first '%s')", path,
                   args.variant, f->n_variants, f->variants[0].name);
}

static zs_status heatmap(const zs_qdg_file *f, const char *path, const zs_qdg_file_variant *v,
                         zs_plot **fig, zs_error *err) {
    char labels_path[4096], aff_path[4096];
    if (args.labels)
        snprintf(labels_path, sizeof labels_path, "%s", args.labels);
    else if (!zs_qdg_file_labels_path(path, v->name, labels_path, sizeof labels_path))
        return zs_fail(err, ZS_ERR_IO, "%s: no labels_%s.npy beside it; give --labels FILE", path,
                       v->name);
    if (strcmp(args.affinity, "auto") != 0)
        snprintf(aff_path, sizeof aff_path, "%s", args.affinity);
    else if (!zs_qdg_file_affinity_path(f, path, aff_path, sizeof aff_path))
        return zs_fail(err, ZS_ERR_IO,
                       "%s: %s%s%s: --affinity auto needs the file of --dump-affinity; give "
                       "--affinity FILE",
                       path, f->affinity_file ? "affinity_file " : "no affinity_file recorded",
                       f->affinity_file ? f->affinity_file : "",
                       f->affinity_file ? " is not there" : "");
    uint32_t *labels = NULL;
    float *a = NULL;
    size_t n = 0;
    zs_status s = zs_qdg_labels_read(labels_path, &labels, &n, err);
    if (!s) s = zs_qdg_affinity_read(aff_path, n, labels_path, &a, err);
    if (!s)
        s = zs_figure_qdg_affinity(a, labels, n, (size_t)args.cells, v->name, &args.size, fig, err);
    free(labels);
    free(a);
    return s;
}

static int plot_qdg_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&plot_qdg_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    if (args.cells < 1 || args.cells > ZS_FIGURE_QDG_CELLS_MAX)
        return zs_cli_usage_error(&plot_qdg_spec, "--cells %llu: expected 1 to %d",
                                  (unsigned long long)args.cells, ZS_FIGURE_QDG_CELLS_MAX);
    if (args.labels && !args.affinity)
        return zs_cli_usage_error(&plot_qdg_spec, "--labels: only with --affinity");
    zs_error err = {0};
    zs_qdg_file f;
    zs_status s = zs_qdg_file_read(&f, pos[0], &err);
    const zs_qdg_file_variant *v = NULL;
    if (!s) s = find_variant(&f, pos[0], &v, &err);
    zs_plot *fig = NULL;
    if (!s && args.affinity)
        s = heatmap(&f, pos[0], v, &fig, &err);
    else if (!s)
        s = zs_figure_qdg_rank_frequency(v, &args.size, &fig, &err);
    if (!s) s = zs_plot_write(fig, args.output, &err);
    zs_plot_free(fig);
    zs_qdg_file_free(&f);
    return s ? zs_cli_fail_cmd(&plot_qdg_spec, NULL, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_plot_qdg = {&plot_qdg_spec, plot_qdg_run};
