/* Grids of L-BFGS starts for the Chinchilla fit: [EP]'s 4,500-point default, the
 * bootstrap's coarse grid, and the spec text "alpha=0:2:0.5,e=-1:1:0.5,..." that the
 * CLI's --grid option and law.json's options.grid use. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zipscale/fit.h"

/* Axis names in spec order (the peer's itertools.product order: alpha slowest). */
static const struct {
    const char *name;
    int param;
} axes[ZS_LAW_N_PARAMS] = {
    {"alpha", ZS_LAW_ALPHA}, {"beta", ZS_LAW_BETA}, {"e", ZS_LAW_E},
    {"a", ZS_LAW_A},         {"b", ZS_LAW_B},
};

static void set(zs_fit_grid *g, int param, double lo, double hi, double step) {
    g->axis[param] = (zs_fit_axis){lo, hi, step};
}

void zs_fit_grid_default(zs_fit_grid *grid) {
    set(grid, ZS_LAW_ALPHA, 0, 2, 0.5);
    set(grid, ZS_LAW_BETA, 0, 2, 0.5);
    set(grid, ZS_LAW_E, -1, 1, 0.5);
    set(grid, ZS_LAW_A, 0, 25, 5);
    set(grid, ZS_LAW_B, 0, 25, 5);
}

void zs_fit_grid_coarse(zs_fit_grid *grid) {
    set(grid, ZS_LAW_ALPHA, 0.5, 1.5, 1);
    set(grid, ZS_LAW_BETA, 0.5, 1.5, 1);
    set(grid, ZS_LAW_E, -1, 1, 1);
    set(grid, ZS_LAW_A, 5, 20, 15);
    set(grid, ZS_LAW_B, 5, 20, 15);
}

static size_t axis_count(const zs_fit_axis *a) {
    return (size_t)floor((a->hi - a->lo) / a->step + 1e-9) + 1;
}

size_t zs_fit_grid_size(const zs_fit_grid *grid) {
    size_t n = 1;
    for (int i = 0; i < ZS_LAW_N_PARAMS; i++) n *= axis_count(&grid->axis[i]);
    return n;
}

void zs_fit_grid_point(const zs_fit_grid *grid, size_t index, double p[ZS_LAW_N_PARAMS]) {
    for (int k = ZS_LAW_N_PARAMS - 1; k >= 0; k--) {
        const zs_fit_axis *a = &grid->axis[axes[k].param];
        size_t count = axis_count(a);
        p[axes[k].param] = a->lo + (double)(index % count) * a->step;
        index /= count;
    }
}

void zs_fit_grid_format(const zs_fit_grid *grid, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (int k = 0; k < ZS_LAW_N_PARAMS && used < size; k++) {
        const zs_fit_axis *a = &grid->axis[axes[k].param];
        int n = snprintf(buf + used, size - used, "%s%s=%.17g:%.17g:%.17g", k ? "," : "",
                         axes[k].name, a->lo, a->hi, a->step);
        if (n < 0) return;
        used += (size_t)n;
    }
}

/* One "name=lo:hi:step" item of length len. */
static zs_status parse_axis(const char *item, size_t len, zs_fit_grid *grid, zs_error *err) {
    char text[128];
    if (len >= sizeof text)
        return zs_fail_field(err, ZS_ERR_USAGE, "grid", "grid: item '%.*s...' is too long", 20,
                             item);
    memcpy(text, item, len);
    text[len] = '\0';
    char *eq = strchr(text, '=');
    if (!eq)
        return zs_fail_field(err, ZS_ERR_USAGE, "grid", "grid: '%s': expected NAME=LO:HI:STEP",
                             text);
    *eq = '\0';
    int param = -1;
    for (int k = 0; k < ZS_LAW_N_PARAMS; k++)
        if (!strcmp(text, axes[k].name)) param = axes[k].param;
    if (param < 0)
        return zs_fail_field(err, ZS_ERR_USAGE, "grid",
                             "grid: unknown axis '%s': expected alpha, beta, e, a or b", text);
    double lo, hi, step;
    char tail;
    if (sscanf(eq + 1, "%lf:%lf:%lf%c", &lo, &hi, &step, &tail) != 3 || !isfinite(lo) ||
        !isfinite(hi) || !isfinite(step))
        return zs_fail_field(err, ZS_ERR_USAGE, "grid",
                             "grid: %s='%s': expected LO:HI:STEP (three numbers)", text, eq + 1);
    if (!(step > 0) || hi < lo)
        return zs_fail_field(err, ZS_ERR_USAGE, "grid", "grid: %s: expected LO <= HI and STEP > 0",
                             text);
    if ((hi - lo) / step > 1e6)
        return zs_fail_field(err, ZS_ERR_USAGE, "grid", "grid: %s: more than a million points",
                             text);
    set(grid, param, lo, hi, step);
    return ZS_OK;
}

zs_status zs_fit_grid_parse(const char *spec, zs_fit_grid *grid, zs_error *err) {
    zs_fit_grid parsed = *grid;
    const char *item = spec;
    for (;;) {
        const char *comma = strchr(item, ',');
        size_t len = comma ? (size_t)(comma - item) : strlen(item);
        zs_status s = parse_axis(item, len, &parsed, err);
        if (s) return s;
        if (!comma) break;
        item = comma + 1;
    }
    if (zs_fit_grid_size(&parsed) > 10000000)
        return zs_fail_field(err, ZS_ERR_USAGE, "grid", "grid: %zu starts: at most 10,000,000",
                             zs_fit_grid_size(&parsed));
    *grid = parsed;
    return ZS_OK;
}
