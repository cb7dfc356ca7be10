/* A sweep's datasets made ready: a PCFG dataset is generated, sampled (training documents,
 * then held-out documents continuing the same streams), analysed and measured (H); a token
 * file is measured; a parity task needs nothing. The facts go to the ledger. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep_internal.h"
#include "zipscale/measure.h"

void zs_sweep_data_files(const char *dir, const zs_sweep_dataset *d, const zs_sweep_data_id *id,
                         char *train, char *val, size_t size) {
    snprintf(train, size, "%s/data/%s-%.8s/train.npy", dir, d->name, id->id);
    snprintf(val, size, "%s/data/%s-%.8s/val.npy", dir, d->name, id->id);
}

/* The folder of a file path (its parent), created with its parent. */
static zs_status make_parent(const char *file, zs_error *err) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", file);
    char *slash = strrchr(buf, '/');
    if (!slash) return ZS_OK;
    *slash = '\0';
    char *up = strrchr(buf, '/');
    if (up) {
        *up = '\0';
        zs_status s = zs_sweep_make_dir(buf, err);
        *up = '/';
        if (s) return s;
    }
    return zs_sweep_make_dir(buf, err);
}

/* out (size bytes): `name` in the folder of `file`. */
static void beside(char *out, size_t size, const char *file, const char *name) {
    snprintf(out, size, "%s", file);
    char *slash = strrchr(out, '/');
    char *at = slash ? slash + 1 : out;
    snprintf(at, size - (size_t)(at - out), "%s", name);
}

/* Samples documents into path; with labels_path, each token's emitting rule there too
 * (the held-out data's, for `zipscale quanta tokens --sweep`). */
static zs_status sample_to(const zs_pcfg *g, const zs_pcfg_sample_opts *o, uint64_t first,
                           uint64_t documents, const char *grammar_name, const char *path,
                           const char *labels_path, zs_pcfg_sample_stats *stats, zs_error *err) {
    uint32_t *tokens = zs_calloc(documents * o->context, sizeof *tokens, "sampled tokens", err);
    int32_t *labels =
        labels_path ? zs_calloc(documents * o->context, sizeof *labels, "rule labels", err) : NULL;
    zs_status s = !tokens || (labels_path && !labels) ? ZS_ERR_NOMEM : ZS_OK;
    if (!s) s = zs_pcfg_sample(g, o, first, documents, tokens, labels, stats, err);
    if (!s)
        s = zs_pcfg_write_sample(g, grammar_name, o, stats, documents, tokens, labels, path,
                                 labels_path, err);
    free(labels);
    free(tokens);
    return s;
}

static void take_measure(zs_ledger_dataset *out, const zs_measure_result *m) {
    out->h = m->gzip.median;
    out->h_stdev = m->gzip.stdev;
    out->h_q1 = m->gzip.q1;
    out->h_q3 = m->gzip.q3;
    out->unigram_bits = m->entropy_bits;
}

static zs_status measure_file(const char *path, uint32_t context, int threads,
                              zs_ledger_dataset *out, zs_error *err) {
    zs_measure_opts mo;
    zs_measure_opts_init(&mo);
    mo.sequence_tokens = context;
    mo.threads = threads;
    zs_measure_result m;
    zs_status s = zs_measure_token_file(path, NULL, &mo, &m, NULL, NULL, err);
    if (s) return s;
    take_measure(out, &m);
    zs_measure_result_free(&m);
    return ZS_OK;
}

static zs_status prepare_pcfg(const zs_sweep_spec *spec, const zs_sweep_dataset *d,
                              zs_ledger_dataset *out, int threads, zs_error *err) {
    zs_pcfg *g = NULL;
    zs_pcfg_analysis a;
    memset(&a, 0, sizeof a);
    zs_status s = zs_pcfg_generate(&d->knobs, &g, err);
    char grammar[4200], val_rules[4200];
    beside(grammar, sizeof grammar, out->train_path, "grammar.pcfg");
    beside(val_rules, sizeof val_rules, out->train_path, "val_rules.npy");
    if (!s) s = make_parent(out->train_path, err);
    if (!s) s = zs_pcfg_write(g, grammar, err);
    if (!s) s = zs_pcfg_analyse(g, &a, err);
    zs_pcfg_sample_opts o;
    zs_pcfg_sample_opts_init(&o);
    o.seed = d->knobs.seed;
    o.context = spec->context;
    o.threads = threads;
    uint64_t train_docs = (d->tokens + spec->context - 1) / spec->context;
    uint64_t val_docs = (d->val_tokens + spec->context - 1) / spec->context;
    zs_pcfg_sample_stats st_train, st_val;
    if (!s) s = sample_to(g, &o, 0, train_docs, grammar, out->train_path, NULL, &st_train, err);
    if (!s)
        s = sample_to(g, &o, train_docs, val_docs, grammar, out->val_path, val_rules, &st_val, err);
    if (!s) s = measure_file(out->train_path, spec->context, threads, out, err);
    if (!s) {
        out->entropy_nats_per_token =
            a.subcritical ? a.entropy_nats_per_token_separated : (double)NAN;
        out->dropped_fraction = st_train.dropped_fraction;
    }
    zs_pcfg_analysis_free(&a);
    zs_pcfg_free(g);
    return s;
}

zs_status zs_sweep_prepare_dataset(const zs_sweep_spec *spec, size_t dataset,
                                   const zs_sweep_data_id *id, const char *dir, int threads,
                                   zs_ledger_dataset *out, zs_error *err) {
    const zs_sweep_dataset *d = &spec->datasets[dataset];
    double t0 = omp_get_wtime();
    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", id->id);
    snprintf(out->name, sizeof out->name, "%s", d->name);
    snprintf(out->kind, sizeof out->kind, "%s", zs_sweep_data_kind_name(d->kind));
    out->h = out->h_stdev = out->h_q1 = out->h_q3 = out->unigram_bits = NAN;
    out->entropy_nats_per_token = out->dropped_fraction = NAN;
    zs_status s = ZS_OK;
    if (d->kind == ZS_SWEEP_DATA_PCFG) {
        zs_sweep_data_files(dir, d, id, out->train_path, out->val_path, sizeof out->train_path);
        s = prepare_pcfg(spec, d, out, threads, err);
    } else if (d->kind == ZS_SWEEP_DATA_FILE) {
        snprintf(out->train_path, sizeof out->train_path, "%s", d->path);
        snprintf(out->val_path, sizeof out->val_path, "%s", d->val_path ? d->val_path : "");
        s = measure_file(d->path, spec->context, threads, out, err);
    }
    if (!s && d->kind != ZS_SWEEP_DATA_PARITY)
        s = zs_sha256_file(out->train_path, out->sha256, err);
    if (s) {
        char why[ZS_ERROR_MSG_MAX];
        snprintf(why, sizeof why, "%s", err ? err->msg : "failed");
        return zs_fail(err, s, "dataset %s: %s", d->name, why);
    }
    out->seconds = omp_get_wtime() - t0;
    out->ready = 1;
    return ZS_OK;
}
