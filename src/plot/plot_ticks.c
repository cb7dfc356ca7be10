/* Axis ticks: "nice" linear steps (1, 2, 5 x 10^k) and log10 decades (labelled majors at
 * 10^k, unlabelled minors at 2..9 x 10^k). The layout asks for ticks once per axis;
 * the rules are documented in plot.h and docs/plots.md. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot/plot_internal.h"

#define LINEAR_TARGET_TICKS 5
#define LOG_MAX_LABELS 8
#define LOG_MINOR_MAX_DECADES 6
#define EPS 1e-9

static int push(zs_plot_tick *ticks, size_t *n, double value, int major) {
    if (*n >= ZS_PLOT_MAX_TICKS) return 0;
    zs_plot_tick *t = &ticks[(*n)++];
    memset(t, 0, sizeof *t);
    t->value = value;
    t->major = major;
    return 1;
}

/* A plain number with as many decimals as the step needs ("0.25", "1500"), or in
 * exponent form with enough significant digits to tell neighbours apart ("1.000002e+07"). */
static void format_plain(char *out, size_t size, double value, double step) {
    double mag = floor(log10(step) + EPS);
    if (fabs(value) < step * EPS) value = 0; /* no "-0" */
    if (mag < -5 || fabs(value) >= 1e7) {
        if (value == 0) {
            snprintf(out, size, "0");
            return;
        }
        int digits = (int)(floor(log10(fabs(value))) - mag) + 1;
        snprintf(out, size, "%.*g", digits < 1 ? 1 : digits > 17 ? 17 : digits, value);
    } else {
        snprintf(out, size, "%.*f", mag < 0 ? (int)-mag : 0, value);
    }
}

static void linear_ticks(double lo, double hi, zs_plot_tick *ticks, size_t *n) {
    double raw = (hi - lo) / LINEAR_TARGET_TICKS;
    double mag = pow(10, floor(log10(raw)));
    double f = raw / mag;
    double step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
    double first = ceil(lo / step - EPS), last = floor(hi / step + EPS);
    for (double i = first; i <= last; i++) {
        if (!push(ticks, n, i * step, 1)) return;
        format_plain(ticks[*n - 1].text, sizeof ticks[0].text, i * step, step);
    }
}

static int in_range(double v, double lo, double hi) {
    return v >= lo * (1 - EPS) && v <= hi * (1 + EPS);
}

/* Less than two powers of ten inside: label 1..9 x 10^k as plain numbers (only 1, 2
 * and 5 x 10^k when all of them would be too many). */
static void log_ticks_narrow(double lo, double hi, zs_plot_tick *ticks, size_t *n) {
    int k0 = (int)floor(log10(lo) + EPS), k1 = (int)floor(log10(hi) + EPS);
    size_t candidates = 0;
    for (int k = k0; k <= k1; k++)
        for (int m = 1; m <= 9; m++) candidates += in_range(m * pow(10, k), lo, hi);
    int sparse = candidates > LOG_MAX_LABELS;
    for (int k = k0; k <= k1; k++) {
        double decade = pow(10, k);
        for (int m = 1; m <= 9; m++) {
            double v = m * decade;
            if (!in_range(v, lo, hi)) continue;
            int labelled = !sparse || m == 1 || m == 2 || m == 5;
            if (!push(ticks, n, v, labelled)) return;
            if (labelled) format_plain(ticks[*n - 1].text, sizeof ticks[0].text, v, decade);
        }
    }
}

static void log_ticks(double lo, double hi, zs_plot_tick *ticks, size_t *n) {
    int k0 = (int)ceil(log10(lo) - EPS), k1 = (int)floor(log10(hi) + EPS);
    int majors = k1 - k0 + 1;
    if (majors < 2) {
        log_ticks_narrow(lo, hi, ticks, n);
        return;
    }
    int stride = (majors + LOG_MAX_LABELS - 1) / LOG_MAX_LABELS;
    int minors = log10(hi) - log10(lo) <= LOG_MINOR_MAX_DECADES;
    /* Too many decades for one tick each: keep only the labelled ones. */
    int sparse_majors = majors > ZS_PLOT_MAX_TICKS / 2;
    for (int k = k0 - 1; k <= k1; k++) {
        double decade = pow(10, k);
        int labelled = ((k % stride) + stride) % stride == 0;
        if (k >= k0 && (labelled || !sparse_majors)) {
            if (!push(ticks, n, decade, 1)) return;
            if (labelled) {
                snprintf(ticks[*n - 1].text, sizeof ticks[0].text, "10");
                snprintf(ticks[*n - 1].sup_text, sizeof ticks[0].sup_text, "%d", k);
            }
        }
        for (int m = 2; minors && m <= 9; m++)
            if (in_range(m * decade, lo, hi) && !push(ticks, n, m * decade, 0)) return;
    }
}

zs_status zs_plot_ticks(double lo, double hi, zs_plot_scale scale, zs_plot_tick *ticks,
                        size_t *n_ticks, zs_error *err) {
    *n_ticks = 0;
    if (!isfinite(lo) || !isfinite(hi) || !(lo < hi))
        return zs_fail(err, ZS_ERR_RANGE, "plot ticks: expected finite lo < hi, got [%g, %g]", lo,
                       hi);
    if (scale == ZS_PLOT_LOG10) {
        if (!(lo > 0))
            return zs_fail(err, ZS_ERR_RANGE, "plot ticks: a log10 axis needs lo > 0, got [%g, %g]",
                           lo, hi);
        log_ticks(lo, hi, ticks, n_ticks);
    } else {
        linear_ticks(lo, hi, ticks, n_ticks);
    }
    return ZS_OK;
}
