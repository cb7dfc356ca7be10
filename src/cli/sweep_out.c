/* The sweep commands' shared glue (sweep_out.h): the run with its progress on stderr, the
 * analysis with its headline on stdout, and the exit codes. */
#include <stdio.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/sweep_out.h"

int zs_cli_sweep_analyse(const char *dir, const zs_sweep_analyse_opts *opts) {
    zs_sweep_summary sum;
    zs_error err = {0};
    if (zs_sweep_analyse(dir, opts, &sum, &err)) return zs_cli_fail(&err);
    zs_sweep_summary_print(&sum, stdout);
    zs_sweep_summary_free(&sum);
    printf("\nThe sweep, its ledger and every run are in %s/ (`zipscale sweep status %s`).\n"
           "report: %s/report.html\n",
           dir, dir, dir);
    return ZS_EXIT_OK;
}

static const zs_cli_field run_fields[] = {{"shard_index", "shard"},
                                          {"shard_count", "shard"},
                                          {"run_list", "runs"},
                                          {"rank_timeout_s", "rank-timeout"},
                                          {NULL, NULL}};

/* A sweep with failed runs finishes the rest (and analyses them) but exits 1, so that a
 * script or a Slurm task notices; diverged runs are results, not failures. */
static int failed_runs(const zs_sweep_counts *c, const char *dir, int code) {
    if (code != ZS_EXIT_OK || !c->failed) return code;
    fprintf(stderr,
            "zipscale: %zu run%s failed: `zipscale sweep status %s` says why, `zipscale sweep "
            "retry %s --failed` puts them back\n",
            c->failed, c->failed == 1 ? "" : "s", dir, dir);
    return ZS_EXIT_FAILURE;
}

int zs_cli_sweep_run(const zs_cli_spec *spec, const char *spec_path, const char *dir,
                     const zs_sweep_run_opts *opts, int quiet, int no_analyse) {
    zs_sweep_run_opts o = *opts;
    o.analyse = 0; /* here, to print the headline */
    o.progress = quiet ? NULL : stderr;
    o.progress_tty = isatty(STDERR_FILENO);
    zs_sweep_counts c;
    zs_error err = {0};
    zs_status s = zs_sweep_run(spec_path, dir, &o, &c, &err);
    if (s && c.mpi_rank > 0 && !err.msg[0]) return ZS_EXIT_USAGE; /* rank 0 said it */
    if (s) return zs_cli_fail_cmd(spec, run_fields, &err);
    if (c.mpi_rank > 0) /* another rank of an MPI sweep: rank 0 speaks for the sweep */
        return c.interrupted ? ZS_EXIT_INTERRUPTED : ZS_EXIT_OK;
    if (c.interrupted) {
        fprintf(stderr, "zipscale: sweep interrupted; run the same command to resume\n");
        return ZS_EXIT_INTERRUPTED;
    }
    if (o.shard_count || o.run_list) {
        fprintf(stderr,
                "zipscale: shard %zu/%zu: %zu runs: %zu completed, %zu diverged, %zu failed, "
                "%zu pending; `zipscale sweep analyse %s` once every shard has finished\n",
                o.shard_index, o.shard_count ? o.shard_count : 1, c.total, c.completed, c.diverged,
                c.failed, c.pending + c.running, dir);
        return failed_runs(&c, dir, ZS_EXIT_OK);
    }
    if (o.prepare_only) return ZS_EXIT_OK;
    if (no_analyse || c.pending || c.running || !c.completed)
        return failed_runs(&c, dir, ZS_EXIT_OK);
    zs_sweep_analyse_opts ao;
    zs_sweep_analyse_opts_init(&ao);
    return failed_runs(&c, dir, zs_cli_sweep_analyse(dir, &ao));
}
