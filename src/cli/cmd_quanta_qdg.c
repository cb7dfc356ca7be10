/* `zipscale quanta qdg`: quanta discovery from gradients on a sparse-parity MLP checkpoint
 * (checked against each example's true subtask) or on a GPT checkpoint and a token file
 * (checked against each token's class, e.g. its PCFG rule); a table on stdout, DIR/qdg.json
 * and the arrays with -o DIR. A thin client of zs_qdg_parity_run and zs_qdg_gpt_run
 * (zipscale/quanta_qdg.h). */
#include <errno.h>
#include <math.h>
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
    args = (qdg_args){.max_loss = NAN, /* the model's: zs_qdg_parity_opts_init, _gpt_opts_init */
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
     "keep the samples whose loss is below NATS (unset: the paper's Pythia threshold for a "
     "parity MLP, its later code's one bit for a GPT; docs/quanta.md)"},
    {"pool", 0, ZS_OPT_U64, &args.pool, "M",
     "examples of the test stream (GPT: tokens of DATA, whole windows) scored"},
    {"n", 'n', ZS_OPT_U64, &args.n, "N",
     "cluster an evenly spaced subsample of N of the kept examples"},
    {"k", 'k', ZS_OPT_U64, &args.k, "K", "clusters; 0 = the true classes present"},
    {"k-sweep", 0, ZS_OPT_STRING, &args.k_sweep, "K1,K2,..", "further cluster counts, each scored"},
    {"variants", 0, ZS_OPT_STRING, &args.variants, "V1,V2,..",
     "signed, abs, centred, abs-centred, first, first-abs, first-bias, first-bias-abs (MLP), "
     "last, last-abs, hidden, mlp, mlp-abs, attn, attn-abs (GPT); :pP raises the affinity to "
     "the power P, :qr assigns the labels by CPQR instead of k-means"},
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
    {"truth", 0, ZS_OPT_STRING, &args.truth, "auto|none|FILE",
     "the ground truth: auto (a parity example's subtask; for a GPT the labels file DATA's "
     "sidecar names, if found), none, or FILE (GPT: int32 .npy, a class per token of DATA)"},
    {"dump-affinity", 0, ZS_OPT_STRING, &args.affinity, "FILE",
     "write the first variant's affinity matrix as raw float32 (n, n)"},
    ZS_OPT_SEED(&args.seed),
    ZS_OPT_THREADS(&args.threads),
    ZS_OPT_OUTPUT(&args.output, "write DIR/qdg.json, DIR/truth.npy, DIR/labels_<variant>.npy "
                                "(GPT: and DIR/tokens.npy)"),
    ZS_OPT_END,
};

static const zs_cli_spec qdg_spec = {
    "quanta qdg",
    "CHECKPOINT [DATA] [-n N] [-k K] [--k-sweep K1,..] [--variants V1,..] [--max-loss NATS] "
    "[--truth auto|none|FILE] [-o DIR]",
    "quanta discovery from gradients on a parity MLP or a GPT, scored against the truth",
    "With a sparse-parity MLP checkpoint (a run directory or checkpoint.safetensors of\n"
    "zipscale train --model mlp --task parity): scores --pool examples of its test stream.\n"
    "With a GPT checkpoint and a token file DATA: scores the predicted tokens of DATA's first\n"
    "windows (--pool tokens), a sample being one token's loss given its window before it.\n"
    "Keeps the samples of loss below --max-loss, and clusters an evenly spaced subsample of N\n"
    "by the paper's QDG: each sample's own loss gradient over every parameter (a GPT's\n"
    "embeddings, output projection and norm gains left out; a variant may take some layers),\n"
    "L2-normalised; cosine C = G G^T; affinity 1 - arccos(C)/pi (|C| for the abs variants);\n"
    "spectral clustering (normalised Laplacian, k-means++ with --restarts restarts; a :qr\n"
    "variant, e.g. abs:p24:qr, assigns the labels by CPQR instead: no restarts). Prints,\n"
    "per variant, the adjusted Rand index and normalised mutual information against the true\n"
    "classes (parity: subtasks; GPT: --truth, e.g. the PCFG rule of pcfg sample --labels) for\n"
    "k (default: the classes present) and each k of --k-sweep, and the slope of the cluster\n"
    "sizes' rank-frequency. See docs/quanta.md.",
    qdg_opts,
    1,
    2,
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

static void print_variants(const zs_qdg_variant_result *variants, size_t n_variants) {
    printf("%-12s %7s %4s %7s %7s %7s %9s %9s %8s\n", "variant", "dim", "k", "ARI", "NMI", "slope",
           "affin_s", "eigen_s", "kmeans_s");
    for (size_t v = 0; v < n_variants; v++) {
        const zs_qdg_variant_result *x = &variants[v];
        printf("%-12s %7zu %4u %7.4f %7.4f %7.3f %9.1f %9.1f %8.1f\n", x->variant.name, x->dim,
               x->k, x->ari, x->nmi, x->slope, x->seconds_affinity, x->seconds_embedding,
               x->seconds_kmeans);
        for (size_t i = 0; i < opts.n_k_sweep; i++)
            printf("  k %4u: ARI %.4f NMI %.4f\n", opts.k_sweep[i], x->sweep_ari[i],
                   x->sweep_nmi[i]);
    }
}

static void print_parity(const zs_qdg_parity_result *r) {
    printf("# %llu examples scored, %llu below the threshold, %llu clustered: %u of %u subtasks "
           "present; %zu gradient dimensions (%.1f s selection, %.1f s gradients)\n",
           (unsigned long long)r->pool, (unsigned long long)r->n_below, (unsigned long long)r->n,
           r->classes, r->n_tasks, r->grad_dim, r->seconds_select, r->seconds_gradients);
    print_variants(r->variants, r->n_variants);
}

static void print_gpt(const zs_qdg_gpt_result *r, const char *truth) {
    printf("# %llu tokens scored (%llu windows), %llu below the threshold, %llu clustered",
           (unsigned long long)r->pool, (unsigned long long)r->windows,
           (unsigned long long)r->n_below, (unsigned long long)r->n);
    if (r->has_truth)
        printf(": %u classes of %s present", r->classes, truth);
    else
        printf(", no ground truth");
    printf("; %zu gradient dimensions (%.1f s selection, %.1f s gradients)\n", r->grad_dim,
           r->seconds_select, r->seconds_gradients);
    if (r->has_truth)
        printf("# baseline, the predicted token as the cluster: ARI %.4f NMI %.4f; the truth's "
               "entropy given the token %.4f nats\n",
               r->target_ari, r->target_nmi, r->truth_entropy_given_target);
    print_variants(r->variants, r->n_variants);
    printf("# clusters against the predicted token (ARI, NMI) and what they say about the "
           "truth beyond it (I(truth; cluster | token), nats):\n");
    for (size_t v = 0; v < r->n_variants; v++)
        printf("#   %-12s %7.4f %7.4f %7.4f\n", r->variants[v].variant.name,
               r->variant_target_ari[v], r->variant_target_nmi[v], r->variant_cmi[v]);
}

/* The GPT run: DATA given. */
static int run_gpt(const char *checkpoint, const char *data) {
    zs_qdg_gpt_opts g;
    zs_qdg_gpt_opts_init(&g);
    double max_loss = g.qdg.max_loss_nats;
    g.qdg = opts;
    g.qdg.max_loss_nats = isnan(args.max_loss) ? max_loss : args.max_loss;
    zs_error err = {0};
    char *found = NULL;
    if (strcmp(args.truth, "auto") == 0) {
        found = zs_qdg_find_labels(data, &err);
        if (!found && err.code) return zs_cli_fail_cmd(&qdg_spec, NULL, &err);
        g.truth_path = found;
    } else if (strcmp(args.truth, "none") != 0) {
        g.truth_path = args.truth;
    }
    zs_qdg_gpt_result res;
    zs_status s = zs_qdg_gpt_run(checkpoint, data, &g, &res, &err);
    if (!s && args.output) s = zs_qdg_gpt_write(args.output, checkpoint, data, &g, &res, &err);
    if (!s) print_gpt(&res, g.truth_path);
    zs_qdg_gpt_result_free(&res);
    free(found);
    return s ? zs_cli_fail_cmd(&qdg_spec, NULL, &err) : ZS_EXIT_OK;
}

static int qdg_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&qdg_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_qdg_parity_opts_init(&opts);
    if (npos == 1 && strcmp(args.truth, "auto") != 0)
        return zs_cli_usage_error(&qdg_spec,
                                  "--truth '%s': expected auto (a parity example's subtask; "
                                  "none or a file need a GPT and its DATA)",
                                  args.truth);
    if (args.k > UINT32_MAX || args.n_vec > UINT32_MAX || args.restarts < 1 ||
        args.restarts > UINT32_MAX)
        return zs_cli_usage_error(&qdg_spec, "-k, --n-vec, --restarts: expected 32-bit counts, "
                                             "--restarts at least 1");
    if (!isnan(args.max_loss)) opts.max_loss_nats = args.max_loss;
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
    if (npos == 2) return run_gpt(pos[0], pos[1]);
    zs_qdg_parity_result res;
    zs_status s = zs_qdg_parity_run(pos[0], &opts, &res, &err);
    if (!s && args.output) s = zs_qdg_parity_write(args.output, &opts, &res, &err);
    if (!s) print_parity(&res);
    zs_qdg_parity_result_free(&res);
    return s ? zs_cli_fail_cmd(&qdg_spec, NULL, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_quanta_qdg = {&qdg_spec, qdg_run};
