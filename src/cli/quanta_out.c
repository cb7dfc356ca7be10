/* The quanta commands' shared glue (quanta_out.h): the analysis with its table. */
#include <math.h>
#include <stdio.h>

#include "cli/quanta_out.h"

/* "%.4f" of v, or "-" for NAN. */
static void num(char *buf, size_t size, double v) {
    if (isnan(v))
        snprintf(buf, size, "-");
    else
        snprintf(buf, size, "%.4f", v);
}

/* "v [lo, hi]", "v" when the interval is not known, "-" when v is not. */
static void with_ci(char *buf, size_t size, double v, double lo, double hi) {
    char a[32], b[32], c[32];
    num(a, sizeof a, v);
    num(b, sizeof b, lo);
    num(c, sizeof c, hi);
    if (isnan(v) || (isnan(lo) && isnan(hi)))
        snprintf(buf, size, "%s", a);
    else
        snprintf(buf, size, "%s [%s, %s]", a, b, c);
}

void zs_cli_quanta_table(const char *path, const zs_quanta_result *r, FILE *out) {
    fprintf(out,
            "# %s: %llu subtasks, %llu bits, k %llu, Zipf exponent %g; threshold %g bits; "
            "%g%% intervals\n",
            path, (unsigned long long)r->n_tasks, (unsigned long long)r->n_bits,
            (unsigned long long)r->k, r->zipf_exponent, r->threshold_bits, 100 * r->level);
    fprintf(out, "%-7s %6s  %-28s %10s  %-28s %9s\n", "axis", "points", "fitted alpha [lo, hi]",
            "predicted", "rho [lo, hi]", "learned");
    for (int k = 0; k < ZS_QUANTA_N_AXES; k++) {
        const zs_quanta_axis_result *a = &r->axes[k];
        if (!a->present) continue;
        char alpha[128], pred[32], rho[128], learned[48];
        with_ci(alpha, sizeof alpha, a->alpha, a->alpha_lo, a->alpha_hi);
        num(pred, sizeof pred, a->alpha_predicted);
        with_ci(rho, sizeof rho, a->rho, a->rho_lo, a->rho_hi);
        snprintf(learned, sizeof learned, "%zu/%zu", a->n_learned, a->n_subtasks);
        fprintf(out, "%-7s %6zu  %-28s %10s  %-28s %9s\n", zs_quanta_axis_name((zs_quanta_axis)k),
                a->n_points, alpha, pred, rho, learned);
    }
}

int zs_cli_quanta_analyse(const char *dir, const zs_sweep_quanta_analyse_opts *opts) {
    zs_sweep_quanta_analyse_opts defaults;
    if (!opts) {
        zs_sweep_quanta_analyse_opts_init(&defaults);
        opts = &defaults;
    }
    zs_quanta_result r;
    zs_error err = {0};
    if (zs_sweep_quanta_analyse(dir, opts, &r, &err)) return zs_cli_fail(&err);
    char path[4200];
    snprintf(path, sizeof path, "%s/quanta.json", dir);
    zs_cli_quanta_table(path, &r, stdout);
    zs_quanta_result_free(&r);
    printf("\nresults: %s/quanta.json; report: %s/report.html\n", dir, dir);
    return ZS_EXIT_OK;
}
