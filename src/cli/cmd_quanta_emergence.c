/* `zipscale quanta emergence`: which subtasks of a parity run were learned, when, and
 * whether in frequency order, from its log.jsonl; a short table on stdout, the
 * zipscale-quanta-emergence JSON with --json or -o. A thin client of zipscale/quanta.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "zipscale/quanta.h"

/* Subtasks listed in the table; --json or -o has them all. */
enum { TABLE_SUBTASKS = 10 };

typedef struct {
    double threshold_bits, level;
    uint64_t bootstrap, seed;
    int matrix, json;
    const char *output;
} emergence_args;

static emergence_args args;

/* The library's defaults (zs_quanta_emergence_opts_init), which the help shows. */
static void emergence_defaults(void) {
    zs_quanta_emergence_opts o;
    zs_quanta_emergence_opts_init(&o);
    args = (emergence_args){.threshold_bits = o.threshold_bits,
                            .level = o.level,
                            .bootstrap = o.bootstrap,
                            .seed = o.seed};
}

static const zs_opt emergence_opts[] = {
    {"threshold-bits", 0, ZS_OPT_DOUBLE, &args.threshold_bits, "T",
     "a subtask is learned once its loss falls below T bits and stays there"},
    {"bootstrap", 0, ZS_OPT_U64, &args.bootstrap, "B",
     "bootstrap replicates of the interval on rho (0: none)"},
    {"level", 0, ZS_OPT_DOUBLE, &args.level, "P", "level of the percentile interval"},
    ZS_OPT_SEED(&args.seed),
    {"matrix", 0, ZS_OPT_FLAG, &args.matrix, NULL,
     "put the subtask x evaluation loss matrix in the JSON (heatmap data; can be large)"},
    ZS_OPT_JSON(&args.json),
    ZS_OPT_OUTPUT(&args.output, "write the JSON to FILE (the table still goes to stdout)"),
    ZS_OPT_END,
};

static const zs_cli_spec emergence_spec = {
    "quanta emergence",
    "LOG.jsonl [--threshold-bits T] [--bootstrap B] [--level P] [--seed S] [--matrix] "
    "[--json] [-o FILE]",
    "which parity subtasks a run learned, when, and whether in frequency order",
    "Reads the log.jsonl of a parity run (zipscale train --model mlp --task parity): each\n"
    "evaluation's per-subtask test losses. A subtask is learned at the first evaluation\n"
    "where its loss is below the threshold and stays below at every later one. Prints how\n"
    "many subtasks are below the threshold and learned at each evaluation, Spearman's rho\n"
    "between frequency rank (subtask id + 1) and learning step over the learned subtasks\n"
    "with a bootstrap percentile interval, and the first subtasks' learning steps. The\n"
    "quantization model predicts rho > 0: rarer subtasks are learned later. See\n"
    "docs/quanta.md.",
    emergence_opts,
    1,
    1,
    .defaults = emergence_defaults,
};

static void print_rho(FILE *out, const zs_quanta_rank_corr *r) {
    fprintf(out, "spearman rho (frequency rank vs learning point): ");
    if (isnan(r->rho)) {
        fprintf(out, "undefined (%s)\n", r->reason);
        return;
    }
    fprintf(out, "%.4f", r->rho);
    if (isnan(r->lo))
        fprintf(out, " (no interval: %s)\n", r->interval_reason);
    else
        fprintf(out, " [%g%% interval %.4f, %.4f] from %zu of %zu replicates (%zu dropped: tied)\n",
                100 * r->level, r->lo, r->hi, r->replicates_used, r->replicates,
                r->replicates_dropped);
}

static void print_table(FILE *out, const char *path, const zs_quanta_curves *c,
                        const zs_quanta_emergence *e) {
    const char *x = c->x_name;
    fprintf(out,
            "# %s: %zu subtasks, %zu evaluations (%s %.0f .. %.0f); threshold %g bits (%.6g "
            "nats)\n",
            path, c->n_subtasks, c->n_points, x, c->x[0], c->x[c->n_points - 1], e->threshold_bits,
            e->threshold_nats);
    fprintf(out, "learned: %zu of %zu subtasks\n", e->n_learned, e->n_subtasks);
    print_rho(out, &e->rank_corr);
    fprintf(out, "%12s %9s %7s %9s %11s\n", x, "measured", "below", "fraction", "learned_by");
    for (size_t i = 0; i < c->n_points; i++)
        fprintf(out, "%12.0f %9zu %7zu %9.3f %11zu\n", c->x[i], e->n_measured[i], e->n_below[i],
                e->fraction_below[i], e->n_learned_by[i]);
    size_t shown = e->n_subtasks < TABLE_SUBTASKS ? e->n_subtasks : TABLE_SUBTASKS;
    fprintf(out, "%8s %5s %16s\n", "subtask", "rank", "learned at");
    for (size_t s = 0; s < shown; s++) {
        const zs_quanta_learning *l = &e->learning[s];
        if (l->learned)
            fprintf(out, "%8zu %5zu %16.0f\n", s, s + 1, l->x);
        else
            fprintf(out, "%8zu %5zu %16s\n", s, s + 1, "never");
    }
    if (shown < e->n_subtasks)
        fprintf(out, "(the first %zu of %zu subtasks; --json or -o for all)\n", shown,
                e->n_subtasks);
}

static zs_status emergence(const char *path, const zs_quanta_emergence_opts *opts, zs_error *err) {
    zs_quanta_curves c;
    zs_quanta_emergence e = {0};
    zs_status s = zs_quanta_curves_read_log(&c, path, err);
    if (!s) s = zs_quanta_emergence_analyse(&c, opts, &e, err);
    if (!s && args.output)
        s = zs_quanta_emergence_write(&e, &c, path, args.matrix, args.output, err);
    if (!s && args.json) {
        char *text = NULL;
        size_t len = 0;
        s = zs_quanta_emergence_format(&e, &c, path, args.matrix, &text, &len, err);
        if (!s && fwrite(text, 1, len, stdout) != len)
            s = zs_fail(err, ZS_ERR_IO, "stdout: write failed");
        free(text);
    } else if (!s) {
        print_table(stdout, path, &c, &e);
    }
    zs_quanta_emergence_free(&e);
    zs_quanta_curves_free(&c);
    return s;
}

static int emergence_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&emergence_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_quanta_emergence_opts opts;
    zs_quanta_emergence_opts_init(&opts);
    opts.threshold_bits = args.threshold_bits;
    opts.bootstrap = (size_t)args.bootstrap;
    opts.level = args.level;
    opts.seed = args.seed;
    zs_error err = {0};
    zs_status s = zs_quanta_emergence_opts_check(&opts, &err);
    if (s) err.code = ZS_ERR_USAGE; /* an option's value: a usage error */
    if (!s) s = emergence(pos[0], &opts, &err);
    return s ? zs_cli_fail_cmd(&emergence_spec, NULL, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_quanta_emergence = {&emergence_spec, emergence_run};
