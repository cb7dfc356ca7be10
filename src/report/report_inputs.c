/* The report's inputs: each one's kind told by its content, loaded with the reader of
 * its module (runs, law.json, regression.json, gzip and predict results, training logs,
 * quanta.json, sweep summaries in report_sweep.c), token files measured. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/json.h"
#include "report/report_internal.h"
#include "zipscale/measure.h"

static const char *const kind_names[ZS_REPORT_NKINDS] = {
    "tokens",   "gzip",  "runs",   "law", "regression",   "predict",
    "trainlog", "sweep", "quanta", "qdg", "token-classes"};

const char *zs_report_kind_name(zs_report_kind kind) {
    return kind < ZS_REPORT_NKINDS ? kind_names[kind] : "unknown";
}

#define ACCEPTED                                                                                   \
    "expected a token file (.npy, .bin), a runs table (.csv), a training log (.jsonl), or "        \
    "a JSON result: law.json, regression.json, a sweep's summary.json, quanta.json, qdg.json, "    \
    "a quanta tokens summary, or a gzip or predict results file (\"command\": \"gzip\" or "        \
    "\"predict\")"

static const char *extension(const char *path) {
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    return dot ? dot : "";
}

static zs_status detect_json(const char *path, zs_report_kind *kind, json_t **doc_out,
                             zs_error *err) {
    json_t *doc;
    zs_status s = zs_json_load(path, 0, &doc, err);
    if (s) return s;
    const char *format = json_string_value(json_object_get(doc, "format"));
    const char *command = json_string_value(json_object_get(doc, "command"));
    if (format && strcmp(format, "zipscale-law") == 0)
        *kind = ZS_REPORT_LAW;
    else if (format && strcmp(format, "zipscale-regression") == 0)
        *kind = ZS_REPORT_REGRESSION;
    else if (format && strcmp(format, "zipscale-sweep-summary") == 0)
        *kind = ZS_REPORT_SWEEP;
    else if (format && strcmp(format, "zipscale-quanta") == 0)
        *kind = ZS_REPORT_QUANTA;
    else if (format && strcmp(format, "zipscale-quanta-qdg") == 0)
        *kind = ZS_REPORT_QDG;
    else if (format && strcmp(format, "zipscale-quanta-tokens") == 0)
        *kind = ZS_REPORT_TOKEN_CLASSES;
    else if (command && strcmp(command, "gzip") == 0)
        *kind = ZS_REPORT_GZIP;
    else if (command && strcmp(command, "predict") == 0)
        *kind = ZS_REPORT_PREDICT;
    else
        s = zs_fail(err, ZS_ERR_FORMAT,
                    "%s: unknown JSON input (\"format\" zipscale-law, zipscale-regression, "
                    "zipscale-sweep-summary, zipscale-quanta, zipscale-quanta-qdg or "
                    "zipscale-quanta-tokens, or \"command\" gzip or predict, expected); " ACCEPTED,
                    path);
    if (!s && doc_out)
        *doc_out = doc;
    else
        json_decref(doc);
    return s;
}

static zs_status detect(const char *path, zs_report_kind *kind, json_t **doc, zs_error *err) {
    const char *ext = extension(path);
    if (strcasecmp(ext, ".npy") == 0 || strcasecmp(ext, ".bin") == 0) {
        *kind = ZS_REPORT_TOKENS;
        return ZS_OK;
    }
    if (strcasecmp(ext, ".csv") == 0) {
        *kind = ZS_REPORT_RUNS;
        return ZS_OK;
    }
    if (strcasecmp(ext, ".jsonl") == 0) {
        *kind = ZS_REPORT_TRAINLOG;
        return ZS_OK;
    }
    if (strcasecmp(ext, ".json") == 0) return detect_json(path, kind, doc, err);
    return zs_fail(err, ZS_ERR_USAGE, "%s: unknown input kind; " ACCEPTED, path);
}

zs_status zs_report_detect(const char *path, zs_report_kind *kind, zs_error *err) {
    return detect(path, kind, NULL, err);
}

static zs_status add_dataset(zs_report_data *data, const zs_report_dataset *d, zs_error *err) {
    zs_report_dataset *items = realloc(data->datasets, (data->n_datasets + 1) * sizeof *items);
    if (!items) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (datasets)");
    data->datasets = items;
    items[data->n_datasets++] = *d;
    return ZS_OK;
}

static zs_status load_tokens(zs_report_data *data, const char *path, const zs_report_opts *opts,
                             zs_error *err) {
    zs_measure_opts mopts;
    zs_measure_opts_init(&mopts);
    mopts.seed = opts->seed;
    mopts.sample = opts->sample;
    mopts.zstd_level = 0;
    mopts.threads = opts->threads;
    zs_measure_result r;
    zs_status s = zs_measure_token_file(path, NULL, &mopts, &r, NULL, NULL, err);
    if (s) return s;
    zs_report_dataset d = {.name = zs_path_stem(path),
                           .source = path,
                           .h = r.gzip.median,
                           .size = r.units_total,
                           .units = "tokens",
                           .ratios = r.gzip_ratios,
                           .n_ratios = r.gzip.n};
    r.gzip_ratios = NULL;
    zs_measure_result_free(&r);
    s = d.name ? add_dataset(data, &d, err) : zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    if (s) {
        free(d.name);
        free(d.ratios);
    }
    return s;
}

/* Every file of a gzip results file becomes a dataset; its ratios move into it. */
static zs_status load_gzip(zs_report_data *data, const char *path, zs_error *err) {
    zs_gzipfile gf;
    zs_status s = zs_gzipfile_read(&gf, path, err);
    for (size_t i = 0; !s && i < gf.n_files; i++) {
        zs_measure_result *r = &gf.files[i].result;
        zs_report_dataset d = {
            zs_path_stem(gf.files[i].file),     path,           r->gzip.median, r->units_total,
            gf.bytes_mode ? "bytes" : "tokens", r->gzip_ratios, r->gzip.n};
        if (!d.name) s = zs_fail(err, ZS_ERR_NOMEM, "out of memory");
        if (!s) s = add_dataset(data, &d, err);
        if (!s)
            r->gzip_ratios = NULL; /* now the dataset's */
        else
            free(d.name);
    }
    zs_gzipfile_free(&gf); /* safe after a failed read too: it leaves gf empty */
    return s;
}

static zs_status load_one(zs_report_data *data, zs_report_input *in, const zs_report_opts *opts,
                          zs_error *err) {
    json_t *doc = NULL;
    zs_status s = detect(in->path, &in->kind, &doc, err);
    if (s) return s;
    struct stat st;
    if (stat(in->path, &st) != 0) {
        json_decref(doc);
        return zs_fail(err, ZS_ERR_IO, "%s: cannot open", in->path);
    }
    in->bytes = (uint64_t)st.st_size;
    s = zs_sha256_file(in->path, in->sha256, err);
    if (!s) switch (in->kind) {
        case ZS_REPORT_TOKENS:
            s = load_tokens(data, in->path, opts, err);
            break;
        case ZS_REPORT_GZIP:
            s = load_gzip(data, in->path, err);
            break;
        case ZS_REPORT_RUNS:
            s = zs_runs_read(&in->runs, in->path, NULL, 0, err);
            break;
        case ZS_REPORT_LAW:
            s = zs_lawfile_read(&in->law, in->path, err);
            break;
        case ZS_REPORT_REGRESSION:
            s = zs_regressfile_read(&in->reg, in->path, err);
            break;
        case ZS_REPORT_PREDICT:
            s = zs_predictfile_read(&in->predict, in->path, err);
            break;
        case ZS_REPORT_TRAINLOG:
            s = zs_trainlog_read(&in->log, in->path, err);
            break;
        case ZS_REPORT_SWEEP:
            s = zs_report_sweep_read(&in->sweep, in->path, doc, err);
            break;
        case ZS_REPORT_QUANTA:
            s = zs_quanta_result_read(&in->quanta, in->path, err);
            break;
        case ZS_REPORT_QDG:
            s = zs_qdg_file_read(&in->qdg, in->path, err);
            break;
        case ZS_REPORT_TOKEN_CLASSES:
            s = zs_token_summary_read(&in->tokens, in->path, err);
            break;
        default:
            s = zs_fail(err, ZS_ERR_INTERNAL, "%s: bad input kind", in->path);
        }
    json_decref(doc);
    if (s) in->kind = ZS_REPORT_NKINDS; /* nothing loaded to free */
    return s;
}

zs_status zs_report_load(zs_report_data *data, const char *const *paths, size_t n,
                         const zs_report_opts *opts, zs_error *err) {
    memset(data, 0, sizeof *data);
    if (n == 0) return zs_fail(err, ZS_ERR_USAGE, "report: no inputs; " ACCEPTED);
    data->inputs = calloc(n, sizeof *data->inputs);
    if (!data->inputs) return zs_fail(err, ZS_ERR_NOMEM, "out of memory (inputs)");
    zs_status s = ZS_OK;
    for (size_t i = 0; !s && i < n; i++) {
        data->inputs[i].path = paths[i];
        data->inputs[i].kind = ZS_REPORT_NKINDS;
        data->n_inputs = i + 1;
        s = load_one(data, &data->inputs[i], opts, err);
    }
    if (s) zs_report_data_free(data);
    return s;
}

size_t zs_report_count(const zs_report_data *data, zs_report_kind kind) {
    size_t count = 0;
    for (size_t i = 0; i < data->n_inputs; i++) count += data->inputs[i].kind == kind;
    return count;
}

void zs_report_data_free(zs_report_data *data) {
    for (size_t i = 0; i < data->n_inputs; i++) {
        zs_report_input *in = &data->inputs[i];
        switch (in->kind) {
        case ZS_REPORT_RUNS:
            zs_runs_free(&in->runs);
            break;
        case ZS_REPORT_LAW:
            zs_lawfile_free(&in->law);
            break;
        case ZS_REPORT_REGRESSION:
            zs_regressfile_free(&in->reg);
            break;
        case ZS_REPORT_TRAINLOG:
            zs_trainlog_free(&in->log);
            break;
        case ZS_REPORT_PREDICT:
            zs_predictfile_free(&in->predict);
            break;
        case ZS_REPORT_SWEEP:
            zs_report_sweep_free(&in->sweep);
            break;
        case ZS_REPORT_QUANTA:
            zs_quanta_result_free(&in->quanta);
            break;
        case ZS_REPORT_QDG:
            zs_qdg_file_free(&in->qdg);
            break;
        case ZS_REPORT_TOKEN_CLASSES:
            zs_token_summary_free(&in->tokens);
            break;
        default:
            break;
        }
    }
    for (size_t i = 0; i < data->n_datasets; i++) {
        free(data->datasets[i].name);
        free(data->datasets[i].ratios);
    }
    free(data->inputs);
    free(data->datasets);
    memset(data, 0, sizeof *data);
}
