/* The sweep spec (zipscale/sweep.h): reads a YAML spec into zs_sweep_spec, fills in the
 * defaults and checks everything a sweep needs before its first run. The YAML plumbing
 * (loading, located messages, typed readers) is in spec_yaml.c.
 *
 * ---- the format (docs/sweeps.md "Spec files") ------------------------------------------
 * One YAML document whose top level is a mapping. Keys are exactly as below; an unknown
 * key, a key given twice in one mapping, or a value of the wrong type is an error. Errors
 * read "FILE:LINE: FIELD: what was expected, got 'TEXT'", FIELD a path such as
 * models[2].d_model (lists count from 0, lines from 1; a missing key is reported at the
 * line of the mapping that lacks it). Only the first error is reported. YAML syntax errors
 * read "FILE:LINE:COLUMN: YAML syntax error: PROBLEM (CONTEXT at line L)".
 *
 *   name: demo            optional; default the spec file's name without its last
 *                         extension ("spec" for zs_sweep_spec_parse). 1-63 characters of
 *                         [A-Za-z0-9._-], like every name below.
 *   datasets:             required, a non-empty list of mappings; each has a unique name
 *                         and exactly one of pcfg, file, parity:
 *     - name: pcfg-a
 *       pcfg: {nonterminals: 10, terminals: 20, max_options: 3, max_length: 5, seed: 1}
 *                         the four knobs required, each 1..2^20 (terminals 1..2^24), and
 *                         nonterminals x max_options x max_length + nonterminals < 2^31
 *                         (zs_pcfg_generate's limits); seed optional, default 0
 *       tokens: 3000000   pcfg only, required: training tokens sampled
 *       val_tokens: 131072  pcfg only, optional (default 131072): held-out tokens
 *     - name: mine
 *       file: data/train.npy   a token file; a relative path is taken from the spec
 *                              file's folder and stored joined to it. Not opened here.
 *       val_file: data/val.npy file only, optional: a held-out token file (else
 *                              train.val_fraction of the training windows is held out)
 *     - name: par
 *       parity: {tasks: 100, bits: 50, k: 3, zipf_exponent: 1.4, seed: 0}
 *                         tasks, bits, k (positive integers) and zipf_exponent (>= 0)
 *                         required, seed optional (default 0); checked as zs_parity_init
 *                         does (k <= bits, tasks <= C(bits, k), tasks + bits < 2^32)
 *       train_size: 100000   parity only, optional (>= 1): a fixed training set of this
 *                         many examples, cycled (data scaling); absent = online data
 *   models:               required, a non-empty list of mappings, each with a unique name;
 *                         all GPT or all MLP. A model with 'width' is an MLP, else a GPT.
 *     - {name: d32, d_model: 32, layers: 2, heads: 2, mlp_hidden: 64, lr: 0.003}
 *                         GPT: d_model and layers required; heads default 1 and
 *                         mlp_hidden default 2 x d_model (zs_gpt_config_init's); lr
 *                         optional (> 0; default the spec's rate). Checked by
 *                         zs_gpt_config_check with context = train.context.
 *     - {name: w100, width: 100, depth: 1, lr: 0.001}
 *                         MLP: width required, depth default 1 (zs_mlp_config_init's),
 *                         lr as above. Checked by zs_mlp_config_check against every
 *                         parity dataset.
 *                         GPT models need datasets without parity; MLP models need parity
 *                         datasets only.
 *   budgets: [3e5, 1_000_000]  required, a non-empty list of distinct positive integers:
 *                         training tokens (GPT) or examples (MLP) per run. Each must give
 *                         ceil(budget / (batch x context)) (MLP: ceil(budget / batch))
 *                         >= max(1, min_steps) steps, the trainer's count.
 *   seeds: [0, 1]         optional (default [0]): distinct non-negative integers
 *   train:                optional mapping; every key optional:
 *     context: 256          1..65536, tokens per sequence (GPT)
 *     batch: 8              1..2^32-1, sequences (examples) per step
 *     min_steps: 100        >= 0
 *     precision: fp32       fp32 or bf16
 *     schedule: cosine      constant, cosine or wsd
 *     lr: 0.003             > 0: one peak rate for every model; or
 *     lr_rule: {c: 0.003, p: 0.0}   both keys required: lr = c x d_model^-p (MLP: width),
 *                           c > 0, p any number. At most one of lr and lr_rule; neither
 *                           is the rule c 3e-3, p 0.
 *     lr_min_ratio: 0.1     in [0, 1]
 *     warmup_fraction: 0.05 in [0, 1)
 *     weight_decay: 0.1     >= 0
 *     grad_clip: 1.0        >= 0 (0 = none)
 *     eval_tokens: 65536    >= 1
 *     evals: 4              >= 1
 *     checkpoint_every: 0   >= 0 (0 = automatic)
 *     val_fraction: 0.05    in (0, 1)
 *     parity_test_size: 10000  >= 1
 *     parity_eval_per_subtask: 1000  >= 1: examples per subtask for the per-subtask losses
 *     early_stop_patience: 0  >= 0: end a run on this many rises in a row of its held-out
 *                           loss (zs_train_opts; 0 = never)
 *     early_stop_after: 0   >= 0: ... only after this step
 *   analysis:             optional mapping; every key optional:
 *     n: nonembed           nonembed or all: the laws' N (fit_nonembed 1 or 0)
 *     bootstrap: 200        >= 0 replicates
 *     holdout_largest: 2    >= 0
 *     bound_e: true         true/false (also yes/no, any case): PCFG data, E <= the
 *                           derivation entropy per token
 *     fix_e: true           true/false: with bound_e, E = that entropy (not fitted) for
 *                           a dataset whose runs all stay above it
 *     reference_flops: 1e15 >= 0 (0 = the largest run's 6ND)
 *   jobs: 2               0..65536 (0 = one per core)
 *   max_attempts: 3       1..1000
 *   ranks_per_run: 1      1..4096 (MPI ranks per run under mpirun; docs/cluster.md)
 *
 * Integers are decimal; digits may be grouped with '_' (3_000_000) and a whole number may
 * be written with a fraction or exponent (3e5, 1.5e6, 300000.0); anything else (3.5, -1,
 * 0x10) is an error. Numbers are finite decimals (1e-3, 0.05; '_' is ignored).
 * Quoted scalars read as plain ones. A key with no value (`seeds:`) is an error. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/spec_internal.h"
#include "zipscale/sweep.h"

#define PCFG_MAX_KNOB (1u << 20) /* zs_pcfg_generate's limits (src/data/pcfg_generate.c) */
#define PCFG_MAX_TERMINALS (1u << 24)
#define PCFG_MAX_RHS_SYMBOLS (1ull << 31)
#define DEFAULT_VAL_TOKENS 131072

static const zs_spec_range POSITIVE = {0, INFINITY, 1, 0};
static const zs_spec_range NON_NEGATIVE = {0, INFINITY, 0, 0};
static const zs_spec_range ANY = {-INFINITY, INFINITY, 0, 0};
static const zs_spec_range UNIT_CLOSED = {0, 1, 0, 0};
static const zs_spec_range UNIT_OPEN = {0, 1, 1, 1};
static const zs_spec_range UNIT_HALF_OPEN = {0, 1, 0, 1};

static const char *const top_keys[] = {"name",         "datasets",      "models",   "budgets",
                                       "seeds",        "train",         "analysis", "jobs",
                                       "max_attempts", "ranks_per_run", NULL};
static const char *const dataset_keys[] = {"name",     "pcfg",   "tokens",     "val_tokens", "file",
                                           "val_file", "parity", "train_size", NULL};
static const char *const pcfg_keys[] = {"nonterminals", "terminals", "max_options",
                                        "max_length",   "seed",      NULL};
static const char *const parity_keys[] = {"tasks", "bits", "k", "zipf_exponent", "seed", NULL};
static const char *const gpt_keys[] = {"name",       "d_model", "layers", "heads",
                                       "mlp_hidden", "lr",      NULL};
static const char *const mlp_keys[] = {"name", "width", "depth", "lr", NULL};
static const char *const train_keys[] = {"context",
                                         "batch",
                                         "min_steps",
                                         "precision",
                                         "schedule",
                                         "lr",
                                         "lr_rule",
                                         "lr_min_ratio",
                                         "warmup_fraction",
                                         "weight_decay",
                                         "grad_clip",
                                         "eval_tokens",
                                         "evals",
                                         "checkpoint_every",
                                         "val_fraction",
                                         "parity_test_size",
                                         "parity_eval_per_subtask",
                                         "early_stop_patience",
                                         "early_stop_after",
                                         NULL};
static const char *const lr_rule_keys[] = {"c", "p", NULL};
static const char *const analysis_keys[] = {
    "n", "bootstrap", "holdout_largest", "bound_e", "fix_e", "reference_flops", NULL};

const char *zs_sweep_data_kind_name(zs_sweep_data_kind kind) {
    switch (kind) {
    case ZS_SWEEP_DATA_PCFG:
        return "pcfg";
    case ZS_SWEEP_DATA_FILE:
        return "file";
    case ZS_SWEEP_DATA_PARITY:
        return "parity";
    }
    return "unknown";
}

void zs_sweep_spec_free(zs_sweep_spec *spec) {
    if (!spec) return;
    free(spec->path);
    free(spec->base_dir);
    for (size_t i = 0; spec->datasets && i < spec->n_datasets; i++) {
        free(spec->datasets[i].path);
        free(spec->datasets[i].val_path);
    }
    free(spec->datasets);
    free(spec->models);
    free(spec->budgets);
    free(spec->seeds);
    memset(spec, 0, sizeof *spec);
}

static void set_defaults(zs_sweep_spec *s) {
    zs_gpt_config gpt;
    zs_gpt_config_init(&gpt);
    zs_train_opts train;
    zs_train_opts_init(&train);
    s->context = gpt.context;
    s->batch = train.batch;
    s->min_steps = 100;
    s->precision = ZS_PRECISION_FP32;
    s->schedule = ZS_LR_COSINE;
    s->lr_c = 3e-3;
    s->lr_p = 0;
    s->lr_min_ratio = 0.1;
    s->warmup_fraction = 0.05;
    s->weight_decay = 0.1;
    s->grad_clip = 1.0;
    s->eval_tokens = 65536;
    s->evals = 4;
    s->val_fraction = 0.05;
    s->parity_test_size = 10000;
    s->parity_eval_per_subtask = 1000;
    s->fit_nonembed = 1;
    s->bootstrap = 200;
    s->holdout_largest = 2;
    s->bound_e = 1;
    s->fix_e = 1;
    s->max_attempts = 3;
    s->ranks_per_run = 1;
}

/* ---- names and paths ------------------------------------------------------------------ */

static int valid_name(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n >= ZS_SWEEP_NAME_MAX) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

static zs_status read_name(zs_spec_doc *d, yaml_node_t *map, const char *prefix, char *out) {
    yaml_node_t *v = zs_spec__get(d, map, "name");
    if (!v) return ZS_OK;
    char field[ZS_SPEC_FIELD_MAX];
    zs_spec__field(field, prefix, "name");
    const char *text;
    zs_status st = zs_spec__string(d, v, field, &text);
    if (st != ZS_OK) return st;
    if (!valid_name(text))
        return zs_spec__fail(d, v, field, "expected 1-%d characters of [A-Za-z0-9._-], got '%s'",
                             ZS_SWEEP_NAME_MAX - 1, text);
    strcpy(out, text);
    return ZS_OK;
}

/* A relative path joined to base_dir ("" and "." leave it as it is). */
static char *join_path(const char *base_dir, const char *path, zs_error *err) {
    if (path[0] == '/' || !base_dir[0] || strcmp(base_dir, ".") == 0) {
        char *copy = zs_alloc(strlen(path) + 1, "spec path", err);
        if (copy) strcpy(copy, path);
        return copy;
    }
    size_t nb = strlen(base_dir), np = strlen(path);
    int slash = base_dir[nb - 1] != '/';
    char *out = zs_alloc(nb + slash + np + 1, "spec path", err);
    if (out) snprintf(out, nb + slash + np + 1, "%s%s%s", base_dir, slash ? "/" : "", path);
    return out;
}

/* ---- datasets ----------------------------------------------------------------------- */

static zs_status check_pcfg_knobs(zs_spec_doc *d, yaml_node_t *node, const char *field,
                                  const zs_pcfg_knobs *k) {
    uint64_t worst = (uint64_t)k->nonterminals * k->max_options * k->max_length + k->nonterminals;
    if (worst >= PCFG_MAX_RHS_SYMBOLS)
        return zs_spec__fail(d, node, field,
                             "nonterminals x max_options x max_length + nonterminals = %llu, "
                             "expected fewer than 2^31 right-hand-side symbols",
                             (unsigned long long)worst);
    return ZS_OK;
}

static zs_status read_pcfg(zs_spec_doc *d, yaml_node_t *ds, const char *prefix,
                           zs_sweep_dataset *out) {
    char field[ZS_SPEC_FIELD_MAX];
    zs_spec__field(field, prefix, "pcfg");
    yaml_node_t *node = zs_spec__get(d, ds, "pcfg");
    static const char *const required[] = {"nonterminals", "terminals", "max_options", "max_length",
                                           NULL};
    static const char *const needs_tokens[] = {"tokens", NULL};
    zs_pcfg_knobs *k = &out->knobs;
    zs_status st = zs_spec__check_map(d, node, field, pcfg_keys, NULL);
    if (!st) st = zs_spec__require(d, node, field, required, NULL);
    if (!st)
        st = zs_spec__key_u32(d, node, field, "nonterminals", 1, PCFG_MAX_KNOB, &k->nonterminals);
    if (!st)
        st = zs_spec__key_u32(d, node, field, "terminals", 1, PCFG_MAX_TERMINALS, &k->terminals);
    if (!st)
        st = zs_spec__key_u32(d, node, field, "max_options", 1, PCFG_MAX_KNOB, &k->max_options);
    if (!st) st = zs_spec__key_u32(d, node, field, "max_length", 1, PCFG_MAX_KNOB, &k->max_length);
    if (!st) st = zs_spec__key_u64(d, node, field, "seed", 0, UINT64_MAX, &k->seed);
    if (!st) st = check_pcfg_knobs(d, node, field, k);
    if (!st) st = zs_spec__require(d, ds, prefix, needs_tokens, "for a pcfg dataset");
    if (!st) st = zs_spec__key_u64(d, ds, prefix, "tokens", 1, UINT64_MAX, &out->tokens);
    out->val_tokens = DEFAULT_VAL_TOKENS;
    if (!st) st = zs_spec__key_u64(d, ds, prefix, "val_tokens", 1, UINT64_MAX, &out->val_tokens);
    return st;
}

static zs_status read_path(zs_spec_doc *d, yaml_node_t *ds, const char *prefix, const char *key,
                           const char *base_dir, char **out) {
    yaml_node_t *v = zs_spec__get(d, ds, key);
    if (!v) return ZS_OK;
    char field[ZS_SPEC_FIELD_MAX];
    zs_spec__field(field, prefix, key);
    const char *text;
    zs_status st = zs_spec__string(d, v, field, &text);
    if (st != ZS_OK) return st;
    if (!text[0]) return zs_spec__fail(d, v, field, "expected a path, got ''");
    *out = join_path(base_dir, text, d->err);
    return *out ? ZS_OK : ZS_ERR_NOMEM;
}

static zs_status read_parity(zs_spec_doc *d, yaml_node_t *ds, const char *prefix,
                             zs_parity_spec *p) {
    char field[ZS_SPEC_FIELD_MAX];
    zs_spec__field(field, prefix, "parity");
    yaml_node_t *node = zs_spec__get(d, ds, "parity");
    static const char *const required[] = {"tasks", "bits", "k", "zipf_exponent", NULL};
    zs_status st = zs_spec__check_map(d, node, field, parity_keys, NULL);
    if (!st) st = zs_spec__require(d, node, field, required, NULL);
    if (!st) st = zs_spec__key_u64(d, node, field, "tasks", 1, UINT64_MAX, &p->n_tasks);
    if (!st) st = zs_spec__key_u64(d, node, field, "bits", 1, UINT64_MAX, &p->n_bits);
    if (!st) st = zs_spec__key_u64(d, node, field, "k", 1, UINT64_MAX, &p->k);
    if (!st)
        st = zs_spec__key_number(d, node, field, "zipf_exponent", &NON_NEGATIVE, &p->zipf_exponent);
    if (!st) st = zs_spec__key_u64(d, node, field, "seed", 0, UINT64_MAX, &p->seed);
    if (st != ZS_OK) return st;
    zs_parity_task task;
    zs_error why;
    st = zs_parity_init(&task, p, &why);
    if (st == ZS_ERR_NOMEM) return zs_fail(d->err, st, "%s", why.msg);
    if (st != ZS_OK) return zs_spec__fail(d, node, field, "%s", why.msg);
    zs_parity_free(&task);
    return ZS_OK;
}

/* Exactly one of pcfg, file, parity; the kind-specific keys only with their kind. */
static zs_status dataset_kind(zs_spec_doc *d, yaml_node_t *ds, const char *prefix,
                              zs_sweep_data_kind *kind) {
    static const char *const kinds[] = {"pcfg", "file", "parity"};
    int found = -1;
    for (int i = 0; i < 3; i++) {
        if (!zs_spec__get(d, ds, kinds[i])) continue;
        if (found >= 0)
            return zs_spec__fail(d, ds, prefix,
                                 "expected exactly one of pcfg, file, parity, got both %s and %s",
                                 kinds[found], kinds[i]);
        found = i;
    }
    if (found < 0) return zs_spec__fail(d, ds, prefix, "expected one of pcfg, file, parity");
    *kind = (zs_sweep_data_kind)found;
    static const struct {
        const char *key;
        zs_sweep_data_kind kind;
    } only[] = {{"tokens", ZS_SWEEP_DATA_PCFG},
                {"val_tokens", ZS_SWEEP_DATA_PCFG},
                {"val_file", ZS_SWEEP_DATA_FILE},
                {"train_size", ZS_SWEEP_DATA_PARITY}};
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++) {
        yaml_node_t *v = zs_spec__get(d, ds, only[i].key);
        if (!v || only[i].kind == *kind) continue;
        char field[ZS_SPEC_FIELD_MAX];
        zs_spec__field(field, prefix, only[i].key);
        return zs_spec__fail(d, v, field, "only for %s datasets, and this is a %s dataset",
                             zs_sweep_data_kind_name(only[i].kind), zs_sweep_data_kind_name(*kind));
    }
    return ZS_OK;
}

static zs_status read_dataset(zs_spec_doc *d, yaml_node_t *node, const char *prefix,
                              const char *base_dir, zs_sweep_dataset *ds) {
    static const char *const required[] = {"name", NULL};
    ds->line = zs_spec__line(node);
    zs_status st = zs_spec__check_map(d, node, prefix, dataset_keys, NULL);
    if (!st) st = zs_spec__require(d, node, prefix, required, NULL);
    if (!st) st = read_name(d, node, prefix, ds->name);
    if (!st) st = dataset_kind(d, node, prefix, &ds->kind);
    if (st != ZS_OK) return st;
    switch (ds->kind) {
    case ZS_SWEEP_DATA_PCFG:
        return read_pcfg(d, node, prefix, ds);
    case ZS_SWEEP_DATA_FILE:
        st = read_path(d, node, prefix, "file", base_dir, &ds->path);
        if (!st) st = read_path(d, node, prefix, "val_file", base_dir, &ds->val_path);
        return st;
    case ZS_SWEEP_DATA_PARITY:
        st = read_parity(d, node, prefix, &ds->parity);
        if (!st)
            st = zs_spec__key_u64(d, node, prefix, "train_size", 1, UINT64_MAX, &ds->train_size);
        return st;
    }
    return ZS_OK;
}

/* The first entry before i with the same name, or -1. */
static long earlier_name(const char *names, size_t stride, size_t i) {
    for (size_t j = 0; j < i; j++)
        if (strcmp(names + j * stride, names + i * stride) == 0) return (long)j;
    return -1;
}

static zs_status read_datasets(zs_spec_doc *d, yaml_node_t *root, zs_sweep_spec *s) {
    yaml_node_t *list = zs_spec__get(d, root, "datasets");
    size_t n;
    zs_status st = zs_spec__list(d, list, "datasets", &n);
    if (st != ZS_OK) return st;
    s->datasets = zs_calloc(n, sizeof *s->datasets, "spec datasets", d->err);
    if (!s->datasets) return ZS_ERR_NOMEM;
    s->n_datasets = n;
    for (size_t i = 0; i < n; i++) {
        char prefix[ZS_SPEC_FIELD_MAX];
        zs_spec__index(prefix, "datasets", i);
        yaml_node_t *item = zs_spec__item(d, list, i);
        if ((st = read_dataset(d, item, prefix, s->base_dir, &s->datasets[i]))) return st;
        long j = earlier_name(s->datasets[0].name, sizeof s->datasets[0], i);
        if (j >= 0)
            return zs_spec__fail(d, item, prefix,
                                 "duplicate name '%s' (also datasets[%ld], line %d)",
                                 s->datasets[i].name, j, s->datasets[j].line);
    }
    return ZS_OK;
}

/* ---- models ------------------------------------------------------------------------- */

static zs_status read_gpt(zs_spec_doc *d, yaml_node_t *node, const char *prefix, zs_gpt_config *g) {
    static const char *const required[] = {"name", "d_model", "layers", NULL};
    zs_status st = zs_spec__check_map(d, node, prefix, gpt_keys, "for a GPT model (no width)");
    if (!st) st = zs_spec__require(d, node, prefix, required, "for a GPT model");
    if (!st) st = zs_spec__key_u32(d, node, prefix, "d_model", 1, UINT32_MAX, &g->d_model);
    if (!st) st = zs_spec__key_u32(d, node, prefix, "layers", 1, UINT32_MAX, &g->layers);
    zs_gpt_config dflt;
    zs_gpt_config_init(&dflt);
    g->heads = dflt.heads;
    if (!st) st = zs_spec__key_u32(d, node, prefix, "heads", 1, UINT32_MAX, &g->heads);
    uint64_t hidden = ZS_GPT_MLP_HIDDEN_PER_D_MODEL * (uint64_t)g->d_model;
    g->mlp_hidden = hidden > UINT32_MAX ? UINT32_MAX : (uint32_t)hidden;
    if (!st) st = zs_spec__key_u32(d, node, prefix, "mlp_hidden", 1, UINT32_MAX, &g->mlp_hidden);
    return st;
}

static zs_status read_mlp(zs_spec_doc *d, yaml_node_t *node, const char *prefix, zs_mlp_config *m) {
    static const char *const required[] = {"name", "width", NULL};
    zs_status st = zs_spec__check_map(d, node, prefix, mlp_keys, "for an MLP model (with width)");
    if (!st) st = zs_spec__require(d, node, prefix, required, "for an MLP model");
    if (!st) st = zs_spec__key_u32(d, node, prefix, "width", 1, UINT32_MAX, &m->width);
    zs_mlp_config dflt;
    zs_mlp_config_init(&dflt);
    m->depth = dflt.depth;
    if (!st) st = zs_spec__key_u32(d, node, prefix, "depth", 1, UINT32_MAX, &m->depth);
    return st;
}

static zs_status read_model(zs_spec_doc *d, yaml_node_t *node, const char *prefix,
                            zs_sweep_model *m) {
    m->line = zs_spec__line(node);
    if (node->type != YAML_MAPPING_NODE)
        return zs_spec__fail(d, node, prefix, "expected a mapping, got %s",
                             node->type == YAML_SEQUENCE_NODE ? "a list" : "a scalar");
    m->model.kind = zs_spec__get(d, node, "width") ? ZS_MODEL_MLP : ZS_MODEL_GPT;
    zs_status st = m->model.kind == ZS_MODEL_MLP ? read_mlp(d, node, prefix, &m->model.mlp)
                                                 : read_gpt(d, node, prefix, &m->model.gpt);
    if (!st) st = read_name(d, node, prefix, m->name);
    if (!st) st = zs_spec__key_number(d, node, prefix, "lr", &POSITIVE, &m->lr);
    return st;
}

static zs_status read_models(zs_spec_doc *d, yaml_node_t *root, zs_sweep_spec *s) {
    yaml_node_t *list = zs_spec__get(d, root, "models");
    size_t n;
    zs_status st = zs_spec__list(d, list, "models", &n);
    if (st != ZS_OK) return st;
    s->models = zs_calloc(n, sizeof *s->models, "spec models", d->err);
    if (!s->models) return ZS_ERR_NOMEM;
    s->n_models = n;
    for (size_t i = 0; i < n; i++) {
        char prefix[ZS_SPEC_FIELD_MAX];
        zs_spec__index(prefix, "models", i);
        yaml_node_t *item = zs_spec__item(d, list, i);
        zs_sweep_model *m = &s->models[i];
        if ((st = read_model(d, item, prefix, m))) return st;
        long j = earlier_name(s->models[0].name, sizeof s->models[0], i);
        if (j >= 0)
            return zs_spec__fail(d, item, prefix, "duplicate name '%s' (also models[%ld], line %d)",
                                 m->name, j, s->models[j].line);
        if (m->model.kind != s->models[0].model.kind)
            return zs_spec__fail(d, item, prefix,
                                 "%s model among %s models (models[0]): a sweep's models are all "
                                 "GPT or all MLP (an MLP model is one with width)",
                                 m->model.kind == ZS_MODEL_MLP ? "an MLP" : "a GPT",
                                 m->model.kind == ZS_MODEL_MLP ? "GPT" : "MLP");
    }
    return ZS_OK;
}

/* ---- cross-checks --------------------------------------------------------------------- */

static zs_status fail_at(zs_spec_doc *d, int line, const char *field, const char *what) {
    return zs_fail(d->err, ZS_ERR_FORMAT, "%s:%d: %s: %s", d->file, line, field, what);
}

/* GPT models train on pcfg and file datasets, MLP models on parity datasets only. */
static zs_status check_data_fits_models(zs_spec_doc *d, const zs_sweep_spec *s) {
    int mlp = s->models[0].model.kind == ZS_MODEL_MLP;
    for (size_t i = 0; i < s->n_datasets; i++) {
        const zs_sweep_dataset *ds = &s->datasets[i];
        if (mlp == (ds->kind == ZS_SWEEP_DATA_PARITY)) continue;
        char field[ZS_SPEC_FIELD_MAX], what[256];
        zs_spec__index(field, "datasets", i);
        if (mlp)
            snprintf(what, sizeof what,
                     "dataset '%s' is a %s dataset, but the models are MLPs, which train on "
                     "parity datasets only",
                     ds->name, zs_sweep_data_kind_name(ds->kind));
        else
            snprintf(what, sizeof what,
                     "dataset '%s' is a parity dataset, which needs MLP models (with width), but "
                     "the models are GPTs",
                     ds->name);
        return fail_at(d, ds->line, field, what);
    }
    return ZS_OK;
}

static zs_status check_model(zs_spec_doc *d, const zs_sweep_spec *s, size_t i) {
    const zs_sweep_model *m = &s->models[i];
    char field[ZS_SPEC_FIELD_MAX];
    zs_spec__index(field, "models", i);
    zs_error why;
    if (m->model.kind == ZS_MODEL_GPT) {
        zs_gpt_config g = m->model.gpt;
        g.vocab = 2; /* a placeholder: the data sets it */
        g.context = s->context;
        if (zs_gpt_config_check(&g, &why) == ZS_OK) return ZS_OK;
        return fail_at(d, m->line, field, why.msg);
    }
    for (size_t j = 0; j < s->n_datasets; j++) {
        const zs_parity_spec *p = &s->datasets[j].parity;
        zs_mlp_config c = m->model.mlp;
        c.n_tasks = (uint32_t)p->n_tasks; /* zs_parity_init checked tasks + bits < 2^32 */
        c.n_bits = (uint32_t)p->n_bits;
        if (zs_mlp_config_check(&c, &why) == ZS_OK) continue;
        return zs_fail(d->err, ZS_ERR_FORMAT, "%s:%d: %s: %s (on dataset '%s')", d->file, m->line,
                       field, why.msg, s->datasets[j].name);
    }
    return ZS_OK;
}

/* ---- budgets and seeds ------------------------------------------------------------------ */

/* The first entry before i equal to values[i], or -1. */
static long earlier_value(const uint64_t *values, size_t i) {
    for (size_t j = 0; j < i; j++)
        if (values[j] == values[i]) return (long)j;
    return -1;
}

static zs_status read_u64_list(zs_spec_doc *d, yaml_node_t *list, const char *name, uint64_t min,
                               uint64_t **out, size_t *count) {
    size_t n;
    zs_status st = zs_spec__list(d, list, name, &n);
    if (st != ZS_OK) return st;
    *out = zs_calloc(n, sizeof **out, name, d->err);
    if (!*out) return ZS_ERR_NOMEM;
    *count = n;
    for (size_t i = 0; i < n; i++) {
        char field[ZS_SPEC_FIELD_MAX];
        zs_spec__index(field, name, i);
        yaml_node_t *item = zs_spec__item(d, list, i);
        if ((st = zs_spec__u64(d, item, field, min, UINT64_MAX, &(*out)[i]))) return st;
        long j = earlier_value(*out, i);
        if (j >= 0)
            return zs_spec__fail(d, item, field, "%llu repeats %s[%ld]",
                                 (unsigned long long)(*out)[i], name, j);
    }
    return ZS_OK;
}

static zs_status check_budget(zs_spec_doc *d, const zs_sweep_spec *s, yaml_node_t *node, size_t i) {
    int gpt = s->models[0].model.kind == ZS_MODEL_GPT;
    uint64_t per_step = gpt ? (uint64_t)s->batch * s->context : s->batch;
    /* The trainer's count: ceil(budget / per step). */
    uint64_t need = s->min_steps > 1 ? s->min_steps : 1;
    uint64_t steps = s->budgets[i] / per_step + (s->budgets[i] % per_step != 0);
    if (steps >= need) return ZS_OK;
    char field[ZS_SPEC_FIELD_MAX], step[96], least[64], floor[64];
    zs_spec__index(field, "budgets", i);
    if (gpt)
        snprintf(step, sizeof step, "%llu tokens (batch %u x context %u)",
                 (unsigned long long)per_step, s->batch, s->context);
    else
        snprintf(step, sizeof step, "%u examples (batch)", s->batch);
    if (need > UINT64_MAX / per_step)
        snprintf(least, sizeof least, "none is (it would exceed 2^64)");
    else
        snprintf(least, sizeof least, "%llu", (unsigned long long)((need - 1) * per_step + 1));
    snprintf(floor, sizeof floor, "%s%llu", s->min_steps > 1 ? "min_steps " : "",
             (unsigned long long)need);
    return zs_spec__fail(d, node, field,
                         "%llu gives %llu steps of %s, fewer than %s; the smallest budget allowed "
                         "is %s",
                         (unsigned long long)s->budgets[i], (unsigned long long)steps, step, floor,
                         least);
}

static zs_status read_budgets(zs_spec_doc *d, yaml_node_t *root, zs_sweep_spec *s) {
    yaml_node_t *list = zs_spec__get(d, root, "budgets");
    zs_status st = read_u64_list(d, list, "budgets", 1, &s->budgets, &s->n_budgets);
    for (size_t i = 0; st == ZS_OK && i < s->n_budgets; i++)
        st = check_budget(d, s, zs_spec__item(d, list, i), i);
    return st;
}

static zs_status read_seeds(zs_spec_doc *d, yaml_node_t *root, zs_sweep_spec *s) {
    yaml_node_t *list = zs_spec__get(d, root, "seeds");
    if (list) return read_u64_list(d, list, "seeds", 0, &s->seeds, &s->n_seeds);
    s->seeds = zs_calloc(1, sizeof *s->seeds, "seeds", d->err);
    if (!s->seeds) return ZS_ERR_NOMEM;
    s->n_seeds = 1;
    return ZS_OK;
}

/* ---- train and analysis --------------------------------------------------------------- */

/* precision and schedule: words the library parses, its message prefixed with the field. */
static zs_status read_words(zs_spec_doc *d, yaml_node_t *train, zs_sweep_spec *s) {
    const char *text = NULL;
    zs_error why;
    zs_status st = zs_spec__key_string(d, train, "train", "precision", &text);
    if (!st && text && zs_precision_parse(text, &s->precision, &why))
        return zs_spec__fail(d, zs_spec__get(d, train, "precision"), "train.precision", "%s",
                             why.msg);
    text = NULL;
    if (!st) st = zs_spec__key_string(d, train, "train", "schedule", &text);
    if (!st && text && zs_lr_kind_parse(text, &s->schedule, &why))
        return zs_spec__fail(d, zs_spec__get(d, train, "schedule"), "train.schedule", "%s",
                             why.msg);
    return st;
}

static zs_status read_lr(zs_spec_doc *d, yaml_node_t *train, zs_sweep_spec *s) {
    yaml_node_t *lr = zs_spec__get(d, train, "lr"), *rule = zs_spec__get(d, train, "lr_rule");
    if (lr && rule)
        return zs_spec__fail(d, lr->start_mark.line > rule->start_mark.line ? lr : rule, "train",
                             "expected one of lr and lr_rule, got both");
    if (lr) return zs_spec__number(d, lr, "train.lr", &POSITIVE, &s->lr);
    if (!rule) return ZS_OK;
    zs_status st = zs_spec__check_map(d, rule, "train.lr_rule", lr_rule_keys, NULL);
    if (!st) st = zs_spec__require(d, rule, "train.lr_rule", lr_rule_keys, NULL);
    if (!st) st = zs_spec__key_number(d, rule, "train.lr_rule", "c", &POSITIVE, &s->lr_c);
    if (!st) st = zs_spec__key_number(d, rule, "train.lr_rule", "p", &ANY, &s->lr_p);
    return st;
}

static zs_status read_train_counts(zs_spec_doc *d, yaml_node_t *t, zs_sweep_spec *s) {
    zs_status st = zs_spec__key_u32(d, t, "train", "context", 1, 1u << 16, &s->context);
    if (!st) st = zs_spec__key_u32(d, t, "train", "batch", 1, UINT32_MAX, &s->batch);
    if (!st) st = zs_spec__key_u64(d, t, "train", "min_steps", 0, UINT64_MAX, &s->min_steps);
    if (!st) st = zs_spec__key_u64(d, t, "train", "eval_tokens", 1, UINT64_MAX, &s->eval_tokens);
    if (!st) st = zs_spec__key_u64(d, t, "train", "evals", 1, UINT64_MAX, &s->evals);
    if (!st)
        st = zs_spec__key_u64(d, t, "train", "checkpoint_every", 0, UINT64_MAX,
                              &s->checkpoint_every);
    if (!st)
        st = zs_spec__key_u64(d, t, "train", "parity_test_size", 1, UINT64_MAX,
                              &s->parity_test_size);
    if (!st)
        st = zs_spec__key_u64(d, t, "train", "parity_eval_per_subtask", 1, UINT64_MAX,
                              &s->parity_eval_per_subtask);
    if (!st)
        st = zs_spec__key_u64(d, t, "train", "early_stop_patience", 0, UINT64_MAX,
                              &s->early_stop_patience);
    if (!st)
        st = zs_spec__key_u64(d, t, "train", "early_stop_after", 0, UINT64_MAX,
                              &s->early_stop_after);
    return st;
}

static zs_status read_train_rates(zs_spec_doc *d, yaml_node_t *t, zs_sweep_spec *s) {
    zs_status st =
        zs_spec__key_number(d, t, "train", "lr_min_ratio", &UNIT_CLOSED, &s->lr_min_ratio);
    if (!st)
        st = zs_spec__key_number(d, t, "train", "warmup_fraction", &UNIT_HALF_OPEN,
                                 &s->warmup_fraction);
    if (!st)
        st = zs_spec__key_number(d, t, "train", "weight_decay", &NON_NEGATIVE, &s->weight_decay);
    if (!st) st = zs_spec__key_number(d, t, "train", "grad_clip", &NON_NEGATIVE, &s->grad_clip);
    if (!st) st = zs_spec__key_number(d, t, "train", "val_fraction", &UNIT_OPEN, &s->val_fraction);
    return st;
}

static zs_status read_train(zs_spec_doc *d, yaml_node_t *root, zs_sweep_spec *s) {
    yaml_node_t *t = zs_spec__get(d, root, "train");
    if (!t) return ZS_OK;
    zs_status st = zs_spec__check_map(d, t, "train", train_keys, NULL);
    if (!st) st = read_train_counts(d, t, s);
    if (!st) st = read_words(d, t, s);
    if (!st) st = read_lr(d, t, s);
    if (!st) st = read_train_rates(d, t, s);
    return st;
}

static zs_status read_analysis(zs_spec_doc *d, yaml_node_t *root, zs_sweep_spec *s) {
    yaml_node_t *a = zs_spec__get(d, root, "analysis");
    if (!a) return ZS_OK;
    const char *n = NULL;
    zs_status st = zs_spec__check_map(d, a, "analysis", analysis_keys, NULL);
    if (!st) st = zs_spec__key_string(d, a, "analysis", "n", &n);
    if (!st && n) {
        if (strcmp(n, "nonembed") != 0 && strcmp(n, "all") != 0)
            return zs_spec__fail(d, zs_spec__get(d, a, "n"), "analysis.n",
                                 "expected nonembed or all, got '%s'", n);
        s->fit_nonembed = strcmp(n, "nonembed") == 0;
    }
    uint64_t boot = s->bootstrap, holdout = s->holdout_largest;
    if (!st) st = zs_spec__key_u64(d, a, "analysis", "bootstrap", 0, SIZE_MAX, &boot);
    if (!st) st = zs_spec__key_u64(d, a, "analysis", "holdout_largest", 0, SIZE_MAX, &holdout);
    s->bootstrap = (size_t)boot;
    s->holdout_largest = (size_t)holdout;
    if (!st) st = zs_spec__key_bool(d, a, "analysis", "bound_e", &s->bound_e);
    if (!st) st = zs_spec__key_bool(d, a, "analysis", "fix_e", &s->fix_e);
    if (!st)
        st = zs_spec__key_number(d, a, "analysis", "reference_flops", &NON_NEGATIVE,
                                 &s->reference_flops);
    return st;
}

static zs_status read_workers(zs_spec_doc *d, yaml_node_t *root, zs_sweep_spec *s) {
    uint64_t jobs = (uint64_t)s->jobs, attempts = (uint64_t)s->max_attempts;
    uint64_t ranks = (uint64_t)s->ranks_per_run;
    zs_status st = zs_spec__key_u64(d, root, "", "jobs", 0, 65536, &jobs);
    if (!st) st = zs_spec__key_u64(d, root, "", "max_attempts", 1, 1000, &attempts);
    if (!st) st = zs_spec__key_u64(d, root, "", "ranks_per_run", 1, 4096, &ranks);
    s->jobs = (int)jobs;
    s->max_attempts = (int)attempts;
    s->ranks_per_run = (int)ranks;
    return st;
}

/* ---- the whole spec ------------------------------------------------------------------- */

/* The file's name without its folder and last extension ("spec" when there is no file). */
static void file_stem(const char *path, char *out, size_t size) {
    if (!path) {
        snprintf(out, size, "spec");
        return;
    }
    char *stem = zs_path_stem(path); /* NULL (out of memory) leaves "", an invalid name */
    snprintf(out, size, "%s", stem ? stem : "");
    free(stem);
}

static zs_status read_top(zs_spec_doc *d, const char *path, zs_sweep_spec *s) {
    static const char *const required[] = {"datasets", "models", "budgets", NULL};
    yaml_node_t *root = zs_spec__root(d);
    zs_status st = zs_spec__check_map(d, root, "", top_keys, NULL);
    if (!st) st = zs_spec__require(d, root, "", required, NULL);
    if (!st && !zs_spec__get(d, root, "name")) {
        char stem[ZS_SPEC_FIELD_MAX];
        file_stem(path, stem, sizeof stem);
        if (!valid_name(stem))
            return zs_spec__fail(d, root, "name",
                                 "the file's name '%s' is not a valid sweep name (1-%d "
                                 "characters of [A-Za-z0-9._-]): give a name",
                                 stem, ZS_SWEEP_NAME_MAX - 1);
        strcpy(s->name, stem);
    }
    if (!st) st = read_name(d, root, "", s->name);
    if (!st) st = read_train(d, root, s);
    if (!st) st = read_analysis(d, root, s);
    if (!st) st = read_workers(d, root, s);
    if (!st) st = read_datasets(d, root, s);
    if (!st) st = read_models(d, root, s);
    if (!st) st = check_data_fits_models(d, s);
    for (size_t i = 0; !st && i < s->n_models; i++) st = check_model(d, s, i);
    if (!st) st = read_budgets(d, root, s);
    if (!st) st = read_seeds(d, root, s);
    return st;
}

static char *copy_string(const char *text, zs_error *err) {
    char *copy = zs_alloc(strlen(text) + 1, "spec path", err);
    if (copy) strcpy(copy, text);
    return copy;
}

/* The folder of path: "." when it has none. */
static char *folder_of(const char *path, zs_error *err) {
    const char *slash = strrchr(path, '/');
    if (!slash) return copy_string(".", err);
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *dir = zs_alloc(n + 1, "spec folder", err);
    if (dir) snprintf(dir, n + 1, "%.*s", (int)n, path);
    return dir;
}

/* Parses text; `path` is the file (NULL for text), `file` names it in messages. */
static zs_status parse(const char *text, size_t len, const char *path, const char *file,
                       const char *base_dir, zs_sweep_spec *spec, zs_error *err) {
    memset(spec, 0, sizeof *spec);
    set_defaults(spec);
    zs_spec_doc d;
    zs_status st = ZS_OK;
    if (path && !(spec->path = copy_string(path, err))) st = ZS_ERR_NOMEM;
    if (!st && !(spec->base_dir = copy_string(base_dir, err))) st = ZS_ERR_NOMEM;
    if (!st) st = zs_spec__load(&d, text, len, file, err);
    if (st != ZS_OK) {
        zs_sweep_spec_free(spec);
        return st;
    }
    st = read_top(&d, path, spec);
    zs_spec__unload(&d);
    if (st != ZS_OK) zs_sweep_spec_free(spec);
    return st;
}

zs_status zs_sweep_spec_parse(const char *text, size_t len, const char *name, const char *base_dir,
                              zs_sweep_spec *spec, zs_error *err) {
    if (!text) {
        memset(spec, 0, sizeof *spec);
        return zs_fail(err, ZS_ERR_USAGE, "sweep spec: no text");
    }
    return parse(text, len, NULL, name ? name : "spec", base_dir ? base_dir : ".", spec, err);
}

zs_status zs_sweep_spec_read(const char *path, zs_sweep_spec *spec, zs_error *err) {
    memset(spec, 0, sizeof *spec);
    char *text, *dir;
    size_t len;
    zs_status st = zs_read_file(path, &text, &len, err);
    if (st != ZS_OK) return st;
    if (!(dir = folder_of(path, err))) {
        free(text);
        return ZS_ERR_NOMEM;
    }
    st = parse(text, len, path, path, dir, spec, err);
    free(dir);
    free(text);
    return st;
}
