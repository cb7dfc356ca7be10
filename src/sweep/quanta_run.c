/* Runs the quantization model's experiments (zipscale/sweep.h "quanta experiments"): each
 * chosen axis's spec, written to DIR/AXIS/spec.yaml, as one sweep in DIR/AXIS, one after
 * the other. Resumable as every sweep is: run it again and finished runs are kept. */
#include <stdio.h>
#include <string.h>

#include "sweep/sweep_internal.h"

void zs_sweep_quanta_opts_init(zs_sweep_quanta_opts *opts) {
    memset(opts, 0, sizeof *opts);
    opts->preset = "default";
    for (int a = 0; a < ZS_QUANTA_N_AXES; a++) opts->axes[a] = 1;
    zs_sweep_run_opts_init(&opts->run);
}

zs_status zs_sweep_quanta_run(const char *dir, const zs_sweep_quanta_opts *opts,
                              zs_sweep_counts *counts, zs_error *err) {
    memset(counts, 0, sizeof *counts);
    const char *texts[ZS_QUANTA_N_AXES] = {0};
    for (int a = 0; a < ZS_QUANTA_N_AXES; a++) {
        if (!opts->axes[a]) continue;
        texts[a] = zs_sweep_quanta_preset(opts->preset, (zs_quanta_axis)a);
        if (!texts[a])
            return zs_fail_field(err, ZS_ERR_USAGE, "preset",
                                 "preset '%s': expected quick, default or paper",
                                 opts->preset ? opts->preset : "(null)");
    }
    zs_status s = zs_sweep_make_dir(dir, err);
    zs_sweep_run_opts run = opts->run;
    run.analyse = 0; /* the quanta analysis replaces the Chinchilla one */
    for (int a = 0; !s && a < ZS_QUANTA_N_AXES; a++) {
        if (!texts[a]) continue;
        char spec[4300], sub[4200];
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", dir,
                             zs_quanta_axis_name((zs_quanta_axis)a)) >= sizeof sub) {
            s = zs_fail_field(err, ZS_ERR_USAGE, "dir", "dir: the path is too long");
            break;
        }
        /* DIR/AXIS/spec.yaml holds the preset (rewritten each time: the ledger keeps runs) */
        if ((s = zs_sweep_write_spec(sub, texts[a], spec, sizeof spec, err))) break;
        if (run.progress)
            fprintf(run.progress, "zipscale quanta: the %s experiment in %s/\n",
                    zs_quanta_axis_name((zs_quanta_axis)a), sub);
        zs_sweep_counts c;
        if ((s = zs_sweep_run(spec, sub, &run, &c, err))) break;
        counts->total += c.total, counts->completed += c.completed;
        counts->diverged += c.diverged, counts->failed += c.failed;
        counts->pending += c.pending, counts->running += c.running;
        counts->retired += c.retired;
        if (c.interrupted) {
            counts->interrupted = 1;
            break;
        }
    }
    if (s) memset(counts, 0, sizeof *counts);
    return s;
}
