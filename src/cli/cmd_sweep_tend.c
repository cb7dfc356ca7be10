/* `zipscale sweep status | retry | export`: the ledger of a sweep directory read and tended
 * by hand: counts, a table and the failures' messages; failed or diverged runs put back;
 * the completed runs as a runs table. Thin clients of zipscale/sweep.h. */
#include <stdlib.h>

#include "cli/commands.h"
#include "zipscale/sweep.h"

static struct {
    int failed, diverged, json;
    const char *output;
} a;

static const zs_opt status_opts[] = {
    ZS_OPT_JSON(&a.json),
    ZS_OPT_END,
};

static const zs_cli_spec status_spec = {
    "sweep status",
    "DIR [--json]",
    "a sweep's runs: counts, a table, failures with their messages",
    "Reads DIR/sweep.db (it can be read while the sweep runs). Runs are listed largest\n"
    "first, with their status (pending, running, completed, diverged, failed), attempts,\n"
    "final loss (nats) and wall time; the messages of failed and diverged runs follow.",
    status_opts,
    1,
    1,
};

static int status_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&status_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_error err = {0};
    if (a.json) {
        zs_sweep_counts c;
        if (zs_sweep_status(pos[0], &c, &err)) return zs_cli_fail(&err);
        json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "command", "sweep status",
                              "total", (json_int_t)c.total, "completed", (json_int_t)c.completed,
                              "running", (json_int_t)c.running, "pending", (json_int_t)c.pending,
                              "diverged", (json_int_t)c.diverged, "failed", (json_int_t)c.failed,
                              "retired", (json_int_t)c.retired);
        return zs_cli_emit_json(j, NULL, &err) ? zs_cli_fail(&err) : ZS_EXIT_OK;
    }
    return zs_sweep_status_print(pos[0], stdout, &err) ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_sweep_status = {&status_spec, status_run};

static const zs_opt retry_opts[] = {
    {"failed", 0, ZS_OPT_FLAG, &a.failed, NULL, "put failed runs back (the default)"},
    {"diverged", 0, ZS_OPT_FLAG, &a.diverged, NULL, "put diverged runs back"},
    ZS_OPT_END,
};

static const zs_cli_spec retry_spec = {
    "sweep retry",
    "DIR [--failed] [--diverged]",
    "put a sweep's failed (and/or diverged) runs back to pending",
    "The runs start over (their checkpoints are removed) at the next `zipscale sweep run`.\n"
    "Without flags, failed runs are put back. A diverged run with unchanged options diverges\n"
    "again: change its learning rate in the spec instead (that makes it a new run).",
    retry_opts,
    1,
    1,
};

static int retry_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&retry_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    if (!a.failed && !a.diverged) a.failed = 1;
    zs_error err = {0};
    size_t n = 0;
    if (zs_sweep_retry(pos[0], a.failed, a.diverged, &n, &err)) return zs_cli_fail(&err);
    printf("%zu run%s back to pending; run `zipscale sweep run SPEC -o %s` to train them\n", n,
           n == 1 ? "" : "s", pos[0]);
    return ZS_EXIT_OK;
}

const zs_command zs_cmd_sweep_retry = {&retry_spec, retry_run};

static const zs_opt export_opts[] = {
    ZS_OPT_OUTPUT(&a.output, "the runs table to write (default: DIR/runs.csv)"),
    ZS_OPT_END,
};

static const zs_cli_spec export_spec = {
    "sweep export",
    "DIR [-o runs.csv]",
    "write a sweep's completed runs as a runs table (zipscale fit's input)",
    "Columns: dataset, N, D, loss, H, flops, seed, steps, n_params, n_params_nonembed, e_max,\n"
    "model, budget, min_loss, wall_s, id. N is the non-embedding parameter count unless the\n"
    "spec's analysis.n is 'all'; loss is the final held-out loss in nats; flops = 6 N D.",
    export_opts,
    1,
    1,
};

static int export_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&export_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    char path[4200];
    if (!a.output) snprintf(path, sizeof path, "%s/runs.csv", pos[0]);
    zs_error err = {0};
    size_t rows = 0;
    if (zs_sweep_export(pos[0], a.output ? a.output : path, &rows, &err)) return zs_cli_fail(&err);
    printf("%zu runs written to %s\n", rows, a.output ? a.output : path);
    return ZS_EXIT_OK;
}

const zs_command zs_cmd_sweep_export = {&export_spec, export_run};

static const zs_cli_spec merge_spec = {
    "sweep merge",
    "DIR",
    "fold a sweep's shard ledgers (DIR/sweep.*.db) into DIR/sweep.db",
    "Each shard of a sharded sweep (`sweep run --shard I/N`, `sweep slurm`) keeps its own\n"
    "ledger. This folds them into DIR/sweep.db and removes them: a run recorded in several\n"
    "keeps its most finished outcome (completed, diverged, failed, running, pending; equal\n"
    "ones: sweep.db's, else the first shard ledger by name). Refused while a run is still\n"
    "being trained. Merging again changes nothing (docs/cluster.md).",
    NULL,
    1,
    1,
};

static int merge_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&merge_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_error err = {0};
    size_t n = 0;
    if (zs_sweep_merge(pos[0], &n, &err)) return zs_cli_fail(&err);
    printf("%zu shard ledger%s merged into %s/sweep.db\n", n, n == 1 ? "" : "s", pos[0]);
    return ZS_EXIT_OK;
}

const zs_command zs_cmd_sweep_merge = {&merge_spec, merge_run};
