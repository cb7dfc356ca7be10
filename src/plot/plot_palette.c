/* Colours and line styles for the plot module: the Okabe-Ito palette (safe for the
 * common colour-vision deficiencies) cycled with dash patterns, and the viridis colour
 * map for heatmaps and their colour bars. */
#include <math.h>

#include "plot/plot_internal.h"

/* Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion,
 * reddish purple, sky blue, yellow, black. Yellow sits late: it is faint on white. */
static const unsigned okabe_ito[ZS_PLOT_PALETTE_SIZE] = {
    0x0072B2, 0xE69F00, 0x009E73, 0xD55E00, 0xCC79A7, 0x56B4E9, 0xF0E442, 0x000000,
};

/* viridis (matplotlib's _cm_listed table) sampled at t = 0, 0.1, ..., 1. Between control
 * points the colour is interpolated linearly in sRGB; the map stays monotone in
 * lightness at this spacing. */
static const unsigned viridis[11] = {
    0x440154, 0x482475, 0x414487, 0x355F8D, 0x2A788E, 0x21918C,
    0x22A884, 0x44BF70, 0x7AD151, 0xBDDF26, 0xFDE725,
};

zs_rgba zs_plot_rgb(unsigned hex, double alpha) {
    zs_rgba c = {((hex >> 16) & 0xff) / 255.0, ((hex >> 8) & 0xff) / 255.0, (hex & 0xff) / 255.0,
                 alpha};
    return c;
}

zs_rgba zs_plot_palette(int style_index) {
    return zs_plot_rgb(okabe_ito[style_index % ZS_PLOT_PALETTE_SIZE], 1.0);
}

int zs_plot_dash(int style_index) {
    return (style_index / ZS_PLOT_PALETTE_SIZE) % ZS_PLOT_DASH_STYLES;
}

int zs_plot_dash_pattern(int dash, double width_pt, double pattern[4]) {
    static const double patterns[ZS_PLOT_DASH_STYLES][4] = {
        {0, 0, 0, 0}, {4, 2.5, 0, 0}, {1, 1.8, 0, 0}, {4, 2, 1, 2}};
    static const int lengths[ZS_PLOT_DASH_STYLES] = {0, 2, 2, 4};
    int k = dash % ZS_PLOT_DASH_STYLES;
    double unit = width_pt < 1 ? 1 : width_pt;
    for (int i = 0; i < lengths[k]; i++) pattern[i] = patterns[k][i] * unit;
    return lengths[k];
}

zs_rgba zs_plot_viridis(double t) {
    if (!(t > 0)) t = 0; /* NaN too */
    if (t > 1) t = 1;
    double pos = t * 10;
    int i = (int)floor(pos);
    if (i >= 10) i = 9;
    double u = pos - i;
    zs_rgba a = zs_plot_rgb(viridis[i], 1), b = zs_plot_rgb(viridis[i + 1], 1);
    zs_rgba c = {a.r + u * (b.r - a.r), a.g + u * (b.g - a.g), a.b + u * (b.b - a.b), 1};
    return c;
}
