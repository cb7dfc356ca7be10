/* What every figure of include/zipscale/figures.h starts from: an allocated figure with
 * its title, axis labels and scales, and the short numbers its legends use. */
#include <math.h>
#include <stdio.h>

#include "figures/figures_internal.h"

void zs_figure_size_init(zs_figure_size *size) {
    *size = (zs_figure_size){640, 440};
}

zs_status zs_figure_create(const zs_figure_size *size, const char *title, const char *xlabel,
                           const char *ylabel, zs_plot_scale xscale, zs_plot_scale yscale,
                           zs_plot **out, zs_error *err) {
    zs_figure_size dflt;
    zs_figure_size_init(&dflt);
    if (!size) size = &dflt;
    zs_plot *fig = NULL;
    zs_status s = zs_plot_create(&fig, size->width_pt, size->height_pt, err);
    if (!s) s = zs_plot_set_title(fig, title, err);
    if (!s) s = zs_plot_set_xlabel(fig, xlabel, err);
    if (!s) s = zs_plot_set_ylabel(fig, ylabel, err);
    if (s) {
        zs_plot_free(fig);
        *out = NULL;
        return s;
    }
    zs_plot_set_xscale(fig, xscale);
    zs_plot_set_yscale(fig, yscale);
    *out = fig;
    return ZS_OK;
}

void zs_figure_si(double v, char *buf, size_t size) {
    static const char suffix[] = {'k', 'M', 'B', 'T'};
    double a = fabs(v);
    if (!(a >= 999.5) || a >= 999.5e12) {
        snprintf(buf, size, "%.3g", v);
        return;
    }
    int k = 0; /* suffix[k] stands for 1000^(k+1) */
    while (k < 3 && a >= 999.5 * pow(1e3, k + 1)) k++;
    snprintf(buf, size, "%.3g%c", v / pow(1e3, k + 1), suffix[k]);
}
