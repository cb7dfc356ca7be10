/* The regression on H of a law.json's per-dataset fits: gathers each fit's H, law and
 * bootstrap laws and builds a regression.json. What `zipscale regress` and `plot law` do. */
#include "zipscale/fit.h"
#include "zipscale/frontier.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

zs_status zs_regressfile_from_lawfile(zs_regressfile *rf, const zs_lawfile *lf, const char *path,
                                      const char *sha256, zs_error *err) {
    *rf = (zs_regressfile){0};
    size_t n = lf->n_fits;
    if (n < 3)
        return zs_fail(err, ZS_ERR_RANGE,
                       "%s: %zu fit%s, expected at least 3 datasets (one fit each) to regress on H",
                       path, n, n == 1 ? "" : "s");
    char **names = calloc(n, sizeof *names);
    double *H = calloc(n, sizeof *H);
    zs_chinchilla *laws = calloc(n, sizeof *laws), *samples = NULL;
    zs_status s = names && H && laws ? ZS_OK : zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    /* Replicate r of every dataset is regressed together: only as many as all have. */
    size_t replicates = SIZE_MAX;
    for (size_t d = 0; !s && d < n; d++) {
        const zs_lawfit *f = &lf->fits[d];
        if (!isfinite(f->h))
            s = zs_fail(err, ZS_ERR_FORMAT,
                        "%s: fits[%zu] (dataset %s) has no H: a regression on H needs each "
                        "dataset's H (an H column in the runs table)",
                        path, d, f->dataset ? f->dataset : "(unnamed)");
        names[d] = f->dataset;
        H[d] = f->h;
        laws[d] = f->law;
        size_t r = f->has_bootstrap ? f->bootstrap.replicates : 0;
        if (r < replicates) replicates = r;
    }
    double level = !s && replicates ? lf->fits[0].bootstrap.level : ZS_BOOTSTRAP_LEVEL;
    if (!s && replicates) {
        samples = calloc(n * replicates, sizeof *samples);
        if (!samples) s = zs_fail(err, ZS_ERR_NOMEM, "out of memory");
        for (size_t d = 0; !s && d < n; d++)
            memcpy(samples + d * replicates, lf->fits[d].bootstrap.samples,
                   replicates * sizeof *samples);
    }
    if (!s)
        s = zs_regressfile_build(rf, path, sha256, names, H, laws, n, samples, replicates, level,
                                 err);
    free(names);
    free(H);
    free(laws);
    free(samples);
    return s;
}
