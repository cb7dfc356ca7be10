/* Helpers shared by the figures_*.c files (include/zipscale/figures.h): a figure with its
 * title, labels and scales in one call, and short numbers for legends ("4.2M"). */
#ifndef ZS_FIGURES_INTERNAL_H
#define ZS_FIGURES_INTERNAL_H

#include <stddef.h>

#include "zipscale/figures.h"

#define ZS_FIGURE_LOSS_LABEL "loss (nats)"

/* Allocates *out (size NULL: 640 x 440) and sets its texts and scales; on failure *out is
 * NULL. */
zs_status zs_figure_create(const zs_figure_size *size, const char *title, const char *xlabel,
                           const char *ylabel, zs_plot_scale xscale, zs_plot_scale yscale,
                           zs_plot **out, zs_error *err);

/* v with an SI suffix and up to three significant digits: 100000 -> "100k", 4.2e6 ->
 * "4.2M", 2.75e8 -> "275M", 1e9 -> "1B", 1e18 -> "1e+18"; "%.3g" below 1000. */
void zs_figure_si(double v, char *buf, size_t size);

#endif
