/* `zipscale quanta qdg`: quanta discovery from gradients on a sparse-parity MLP checkpoint,
 * checked against each example's true subtask; a table on stdout, DIR/qdg.json and the label
 * arrays with -o DIR. A thin client of zs_qdg_parity_run (zipscale/quanta_qdg.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "zipscale/quanta_qdg.h"

typedef struct {
    double max_loss;
    uint64_t pool, n, seed, k, n_vec, projection, restarts, rank_lo, rank_hi;
    const char *k_sweep, *variants, *embed, *output, *truth, *affinity, *eigensolver;
    int threads;
} qdg_args;

static qdg_args args;

static void qdg_defaults(void) {
    zs_qdg_parity_opts o;
    zs_qdg_parity_opts_init(&o);
    args = (qdg_args){.max_loss = o.max_loss_nats,
                      .pool = o.pool,
                      .n = o.n,
                      .seed = o.seed,
                      .restarts = o.restarts,
                      .k_sweep = "",
                      .variants = "signed",
                      .embed = zs_qdg_embed_name(o.embed),
                      .eigensolver = zs_qdg_eigensolver_name(o.eigensolver),
                      .truth = "auto",
                      .threads = o.threads};
}

static const zs_opt qdg_opts[] = {
    {"max-loss", 0, ZS_OPT_DOUBLE, &args.max_loss, "NATS",
     "keep the examples whose loss is below NATS"},
    {"pool", 0, ZS_OPT_U64, &args.pool, "M", "examples of the checkpoint's test stream scored"},
    {"n", 'n', ZS_OPT_U64, &args.n, "N",
     "cluster an evenly spaced subsample of N of the kept examples"},
    {"k", 'k', ZS_OPT_U64, &args.k, "K", "clusters; 0 = the true subtasks present"},
    {"k-sweep", 0, ZS_OPT_STRING, &args.k_sweep, "K1,K2,..", "further cluster counts, each scored"},
    {"variants", 0, ZS_OPT_STRING, &args.variants, "V1,V2,..",
     "signed, abs, centred, abs-centred, first, first-abs, first-bias, first-bias-abs, last, "
     "hidden; :pP raises the affinity to the power P"},
    {"embedding", 0, ZS_OPT_STRING, &args.embed, "MODE",
     "sklearn (eigenvectors / sqrt(degree)) or rownorm (unit rows)"},
    {"n-vec", 0, ZS_OPT_U64, &args.n_vec, "M", "eigenvectors per clustering: max(k, M)"},
    {"eigensolver", 0, ZS_OPT_STRING, &args.eigensolver, "S",
     "auto (dsyevr below 2000 samples, else iterative), dsyevr or iterative"},
    {"projection", 0, ZS_OPT_U64, &args.projection, "M",
     "project gradients to M dimensions first (sparse, seeded); 0 = none"},
    {"restarts", 0, ZS_OPT_U64, &args.restarts, "R", "k-means++ restarts"},
    {"rank-lo", 0, ZS_OPT_U64, &args.rank_lo, "R", "first rank of the size slope; 0 = 1"},
    {"rank-hi", 0, ZS_OPT_U64, &args.rank_hi, "R", "last rank of the size slope; 0 = k"},
    {"truth", 0, ZS_OPT_STRING, &args.truth, "auto",
     "the ground truth: auto (each parity example's subtask)"},
    {"dump-affinity", 0, ZS_OPT_STRING, &args.affinity, "FILE",
     "write the first variant's affinity matrix as raw float32 (n, n)"},
    ZS_OPT_SEED(&args.seed),
    ZS_OPT_THREADS(&args.threads),
    ZS_OPT_OUTPUT(&args.output, "write DIR/qdg.json, DIR/truth.npy, DIR/labels_<variant>.npy"),
    ZS_OPT_END,
};

static const zs_cli_spec qdg_spec = {
    "quanta qdg",
    "CHECKPOINT [-n N] [-k K] [--k-sweep K1,..] [--variants V1,..] [--max-loss NATS] [-o DIR]",
    "quanta discovery from gradients on a parity MLP, scored against the true subtasks",
    "Scores --pool examples of the test stream of a sparse-parity MLP checkpoint (a run\n"
    "directory or checkpoint.safetensors of zipscale train --model mlp --task parity), keeps\n"
    "those of loss below --max-loss, and clusters an evenly spaced subsample of N by the\n"
    "paper's QDG: each example's own loss gradient over every parameter (a variant may take\n"
    "some layers), L2-normalised; cosine C = G G^T; affinity 1 - arccos(C)/pi (|C| for the\n"
    "abs variants); spectral clustering (normalised Laplacian, k-means++ with --restarts\n"
    "restarts). Prints, per variant, the adjusted Rand index and normalised mutual\n"
    "information against the examples' true subtasks for k (default: the subtasks present)\n"
    "and each k of --k-sweep, and the slope of the cluster sizes' rank-frequency. See\n"
    "docs/quanta.md.",
    qdg_opts,
    1,
    1,
    .defaults = qdg_defaults,
};

/* Splits a comma list into at most `max` items, each handed to `take`. */
static int split(const char *list, size_t max, size_t *count, int (*take)(const char *, size_t)) {
    char buf[1024];
    if (strlen(list) >= sizeof buf)
        return zs_cli_usage_error(&qdg_spec, "a list of 1024 characters or more");
    snprintf(buf, sizeof buf, "%s", list);
    *count = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (*count == max)
            return zs_cli_usage_error(&qdg_spec, "'%s': expected at most %zu items", list, max);
        int code = take(tok, (*count)++);
        if (code >= 0) return code;
    }
    return -1;
}

static zs_qdg_parity_opts opts;

static int take_k(const char *tok, size_t i) {
    uint64_t v;
    if (zs_cli_parse_u64(tok, &v) != 0 || v < 1 || v > UINT32_MAX)
        return zs_cli_usage_error(&qdg_spec, "--k-sweep: '%s': expected a count of at least 1",
                                  tok);
    opts.k_sweep[i] = (uint32_t)v;
    return -1;
}

static int take_variant(const char *tok, size_t i) {
    zs_error err = {0};
    if (zs_qdg_variant_parse(tok, &opts.variants[i], &err))
        return zs_cli_usage_error(&qdg_spec, "--variants: %s", err.msg);
    return -1;
}

static void print_table(const zs_qdg_parity_result *r) {
    printf("# %llu examples scored, %llu below the threshold, %llu clustered: %u of %u subtasks "
           "present; %zu gradient dimensions (%.1f s selection, %.1f s gradients)\n",
           (unsigned long long)r->pool, (unsigned long long)r->n_below, (unsigned long long)r->n,
           r->classes, r->n_tasks, r->grad_dim, r->seconds_select, r->seconds_gradients);
    printf("%-12s %7s %4s %7s %7s %7s %9s %9s %8s\n", "variant", "dim", "k", "ARI", "NMI", "slope",
           "affin_s", "eigen_s", "kmeans_s");
    for (size_t v = 0; v < r->n_variants; v++) {
        const zs_qdg_variant_result *x = &r->variants[v];
        printf("%-12s %7zu %4u %7.4f %7.4f %7.3f %9.1f %9.1f %8.1f\n", x->variant.name, x->dim,
               x->k, x->ari, x->nmi, x->slope, x->seconds_affinity, x->seconds_embedding,
               x->seconds_kmeans);
        for (size_t i = 0; i < opts.n_k_sweep; i++)
            printf("  k %4u: ARI %.4f NMI %.4f\n", opts.k_sweep[i], x->sweep_ari[i],
                   x->sweep_nmi[i]);
    }
}

static int qdg_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&qdg_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_qdg_parity_opts_init(&opts);
    if (strcmp(args.truth, "auto") != 0)
        return zs_cli_usage_error(
            &qdg_spec, "--truth '%s': expected auto (a parity example's subtask)", args.truth);
    if (args.k > UINT32_MAX || args.n_vec > UINT32_MAX || args.restarts < 1 ||
        args.restarts > UINT32_MAX)
        return zs_cli_usage_error(&qdg_spec, "-k, --n-vec, --restarts: expected 32-bit counts, "
                                             "--restarts at least 1");
    opts.max_loss_nats = args.max_loss;
    opts.pool = args.pool;
    opts.n = args.n;
    opts.seed = args.seed;
    opts.k = (uint32_t)args.k;
    opts.n_vec = (uint32_t)args.n_vec;
    opts.projection = args.projection;
    opts.restarts = (uint32_t)args.restarts;
    opts.rank_lo = (size_t)args.rank_lo;
    opts.rank_hi = (size_t)args.rank_hi;
    opts.threads = args.threads;
    opts.affinity_path = args.affinity;
    zs_error err = {0};
    if (zs_qdg_embed_parse(args.embed, &opts.embed, &err))
        return zs_cli_usage_error(&qdg_spec, "--embedding: %s", err.msg);
    if (zs_qdg_eigensolver_parse(args.eigensolver, &opts.eigensolver, &err))
        return zs_cli_usage_error(&qdg_spec, "--eigensolver: %s", err.msg);
    code = split(args.k_sweep, ZS_QDG_MAX_SWEEP, &opts.n_k_sweep, take_k);
    if (code >= 0) return code;
    code = split(args.variants, ZS_QDG_MAX_VARIANTS, &opts.n_variants, take_variant);
    if (code >= 0) return code;
    if (opts.n_variants == 0) return zs_cli_usage_error(&qdg_spec, "--variants: none given");
    if (args.output && mkdir(args.output, 0777) != 0 && errno != EEXIST) {
        zs_fail(&err, ZS_ERR_IO, "%s: cannot create the folder: %s", args.output, strerror(errno));
        return zs_cli_fail(&err);
    }
    zs_qdg_parity_result res;
    zs_status s = zs_qdg_parity_run(pos[0], &opts, &res, &err);
    if (!s && args.output) s = zs_qdg_parity_write(args.output, &opts, &res, &err);
    if (!s) print_table(&res);
    zs_qdg_parity_result_free(&res);
    return s ? zs_cli_fail_cmd(&qdg_spec, NULL, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_quanta_qdg = {&qdg_spec, qdg_run};
