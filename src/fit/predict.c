/* Prediction from the data-dependent law: the gzip-adjusted law at a dataset's H, its
 * compute-optimal N, D, loss and tokens per parameter at a budget, and percentile
 * intervals over the bootstrap replicates of the regression. */
#include <stdlib.h>

#include "zipscale/frontier.h"

void zs_predict_opts_init(zs_predict_opts *opts) {
    *opts = (zs_predict_opts){.epsilon = 1, .level = 0};
}

double zs_predict_level(const zs_predict_opts *opts, const zs_regressfile *rf) {
    if (opts->level > 0) return opts->level;
    return rf->n_replicates ? rf->level : ZS_BOOTSTRAP_LEVEL;
}

zs_status zs_predict_at(const zs_chinchilla *reference, const zs_regress_lines *lines,
                        const zs_regress_lines *replicates, size_t n_replicates, double H,
                        double epsilon, double compute_flops, double level, zs_prediction *out,
                        zs_error *err) {
    *out = (zs_prediction){.H = H, .epsilon = epsilon, .level = level};
    zs_status s = zs_regress_adjusted(reference, lines, H, epsilon, &out->law, err);
    if (!s) s = zs_frontier_point_at(&out->law, compute_flops, &out->point, err);
    if (!s && n_replicates == 0) return ZS_OK;
    zs_chinchilla *laws = s ? NULL : zs_alloc(n_replicates * sizeof *laws, "replicate laws", err);
    if (!s && !laws) s = ZS_ERR_NOMEM;
    for (size_t r = 0; !s && r < n_replicates; r++)
        s = zs_regress_adjusted(reference, &replicates[r], H, epsilon, &laws[r], err);
    if (!s)
        s = zs_frontier_interval_at(laws, n_replicates, compute_flops, level, &out->interval, err);
    free(laws);
    out->has_interval = !s;
    if (s) *out = (zs_prediction){0};
    return s;
}
