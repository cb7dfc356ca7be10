/* The gzip paper's first figure: per-sequence gzip ratios of each dataset as box plots
 * (or violins). Drawn by `zipscale plot gzip`, `zipscale pcfg paper` and the report. */
#include "figures/figures_internal.h"

zs_status zs_figure_gzip_ratios(const char *const *names, const double *const *values,
                                const size_t *counts, size_t n, const char *title,
                                const char *xlabel, zs_plot_dist_style style,
                                const zs_figure_size *size, zs_plot **out, zs_error *err) {
    zs_status s = zs_figure_create(size, title, xlabel ? xlabel : "dataset", ZS_FIGURE_GZIP_LABEL,
                                   ZS_PLOT_LINEAR, ZS_PLOT_LINEAR, out, err);
    if (!s) s = zs_plot_add_groups(*out, style, names, values, counts, n, err);
    if (s) {
        zs_plot_free(*out);
        *out = NULL;
    }
    return s;
}
