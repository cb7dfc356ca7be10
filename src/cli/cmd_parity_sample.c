/* `zipscale parity sample`: writes one multitask sparse parity stream (train, test or
 * per-subtask eval) as numpy arrays for inspection: packed inputs, labels, subtask ids,
 * and the provenance sidecar with every subset S_s. Layout: docs/parity.md. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "zipscale/parity.h"
#include "zipscale/tokens.h"

#define NOT_GIVEN UINT64_MAX

static struct {
    uint64_t n_tasks, n_bits, k, seed;
    double zipf_exponent;
    uint64_t train_size, test_size, per_subtask;
    const char *output;
    int threads, json;
} opt;

/* The library's task (zs_parity_spec_init), which the help shows; no stream chosen. */
static void parity_sample_defaults(void) {
    zs_parity_spec spec;
    zs_parity_spec_init(&spec);
    memset(&opt, 0, sizeof opt);
    opt.n_tasks = spec.n_tasks, opt.n_bits = spec.n_bits, opt.k = spec.k;
    opt.zipf_exponent = spec.zipf_exponent, opt.seed = spec.seed;
    opt.train_size = opt.test_size = opt.per_subtask = NOT_GIVEN;
}

static const zs_opt parity_sample_opts[] = {
    {"tasks", 0, ZS_OPT_U64, &opt.n_tasks, "T", "subtasks"},
    {"bits", 0, ZS_OPT_U64, &opt.n_bits, "N", "task bits per input"},
    {"k", 0, ZS_OPT_U64, &opt.k, "K", "bits in each subtask's subset"},
    {"zipf-exponent", 0, ZS_OPT_DOUBLE, &opt.zipf_exponent, "E",
     "whole Zipf exponent of the subtask frequencies, p_i ~ i^-E (the paper's alpha+1)"},
    ZS_OPT_SEED(&opt.seed),
    {"train-size", 0, ZS_OPT_U64, &opt.train_size, "D",
     "write D examples of the train stream (no default: one of the three streams)"},
    {"test-size", 0, ZS_OPT_U64, &opt.test_size, "M",
     "write the test set of M examples, exact proportions (no default)"},
    {"per-subtask", 0, ZS_OPT_U64, &opt.per_subtask, "C",
     "write C eval examples of every subtask (no default)"},
    {"output", 'o', ZS_OPT_STRING, &opt.output, "FILE.npy",
     "the packed inputs; labels and subtask ids go beside it", .required = 1},
    ZS_OPT_THREADS(&opt.threads),
    ZS_OPT_JSON(&opt.json),
    ZS_OPT_END,
};

static const zs_cli_spec parity_sample_spec = {
    "parity sample",
    "(--train-size D | --test-size M | --per-subtask C) -o FILE.npy [options]",
    "write a multitask sparse parity dataset as numpy arrays",
    "Multitask sparse parity (Michaud et al. 2023): subtask s owns a fixed subset of k of\n"
    "the N task bits; an input is a one-hot code of the subtask followed by N uniform bits,\n"
    "and its label is the parity of the bits in the subset. Subtasks follow p_i ~ i^-E.\n"
    "Writes FILE.npy, uint8 (examples, ceil((T+N)/8)): each input vector as numpy.packbits\n"
    "packs it; FILE.labels.npy, uint8 (examples); FILE.subtasks.npy, uint32 (examples);\n"
    "FILE.npy.json, the spec and every subset. Same seed, same bytes for any --threads.",
    parity_sample_opts,
    0,
    0,
    .defaults = parity_sample_defaults,
};

/* Where the three arrays go: FILE.npy and its siblings FILE.labels.npy, FILE.subtasks.npy. */
typedef struct {
    char *labels, *subtasks;
} sibling_paths;

static int sibling_paths_make(const char *output, sibling_paths *paths) {
    size_t stem = strlen(output) - strlen(".npy");
    paths->labels = malloc(stem + sizeof ".labels.npy");
    paths->subtasks = malloc(stem + sizeof ".subtasks.npy");
    if (!paths->labels || !paths->subtasks) return -1;
    snprintf(paths->labels, stem + sizeof ".labels.npy", "%.*s.labels.npy", (int)stem, output);
    snprintf(paths->subtasks, stem + sizeof ".subtasks.npy", "%.*s.subtasks.npy", (int)stem,
             output);
    return 0;
}

/* The stream the options ask for, and its size in examples; -1 after a usage error. */
static int choose_stream(const zs_parity_task *task, zs_parity_stream_kind *kind,
                         uint64_t *examples) {
    const struct {
        const char *name;
        uint64_t value;
        zs_parity_stream_kind kind;
    } sizes[] = {{"--train-size", opt.train_size, ZS_PARITY_TRAIN},
                 {"--test-size", opt.test_size, ZS_PARITY_TEST},
                 {"--per-subtask", opt.per_subtask, ZS_PARITY_EVAL}};
    int given = 0;
    for (int i = 0; i < 3; i++) {
        if (sizes[i].value == NOT_GIVEN) continue;
        if (sizes[i].value == 0) {
            zs_cli_usage_error(&parity_sample_spec, "%s 0: expected at least 1 example",
                               sizes[i].name);
            return -1;
        }
        given++;
        *kind = sizes[i].kind;
        *examples = sizes[i].value;
    }
    if (given != 1) {
        zs_cli_usage_error(&parity_sample_spec,
                           "expected exactly one of --train-size, --test-size, --per-subtask");
        return -1;
    }
    if (*kind == ZS_PARITY_EVAL) {
        if (*examples > UINT64_MAX / task->spec.n_tasks) {
            zs_cli_usage_error(&parity_sample_spec, "--per-subtask %llu: too many examples",
                               (unsigned long long)*examples);
            return -1;
        }
        *examples *= task->spec.n_tasks;
    }
    return 0;
}

/* Fills the whole batch from the chosen stream; eval: opt.per_subtask rows per subtask. */
static zs_status fill_stream(const zs_parity_task *task, zs_parity_stream_kind kind,
                             zs_parity_batch *batch, zs_error *err) {
    zs_parity_stream stream = {.kind = kind, .size = batch->n_examples};
    if (kind != ZS_PARITY_EVAL) return zs_parity_fill(task, &stream, 0, batch, opt.threads, err);
    for (uint64_t s = 0; s < task->spec.n_tasks; s++) {
        stream.subtask = (uint32_t)s;
        zs_parity_batch rows = zs_parity_batch_rows(batch, s * opt.per_subtask, opt.per_subtask);
        zs_status st = zs_parity_fill(task, &stream, 0, &rows, opt.threads, err);
        if (st) return st;
    }
    return ZS_OK;
}

/* A sibling's name as the sidecar records it: without the directory, so the files can move
 * together. */
static const char *file_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* The sidecar's params: the spec, the stream, the files, and every subset S_s. */
static json_t *params_json(const zs_parity_task *task, zs_parity_stream_kind kind,
                           uint64_t examples, const sibling_paths *paths) {
    json_t *subsets = json_array();
    for (uint64_t s = 0; s < task->spec.n_tasks; s++) {
        json_t *subset = json_array();
        for (uint64_t i = 0; i < task->spec.k; i++)
            json_array_append_new(subset, json_integer(task->subsets[s * task->spec.k + i]));
        json_array_append_new(subsets, subset);
    }
    json_t *p =
        json_pack("{s:I, s:I, s:I, s:f, s:s, s:I, s:I, s:s, s:s, s:s, s:o}", "n_tasks",
                  (json_int_t)task->spec.n_tasks, "n_bits", (json_int_t)task->spec.n_bits, "k",
                  (json_int_t)task->spec.k, "zipf_exponent", task->spec.zipf_exponent, "stream",
                  zs_parity_stream_name(kind), "examples", (json_int_t)examples, "per_subtask",
                  (json_int_t)(kind == ZS_PARITY_EVAL ? opt.per_subtask : 0), "layout",
                  "numpy.packbits of [one-hot control (n_tasks), task bits (n_bits)], MSB first",
                  "labels_file", file_name(paths->labels), "subtasks_file",
                  file_name(paths->subtasks), "subsets", subsets);
    return p;
}

/* The labels and subtask ids first, then the packed inputs with their sidecar last. Each
 * file is written atomically, and a failure removes the siblings already written, so no
 * file is left describing a dataset that was not written whole. */
static zs_status write_outputs(const zs_parity_task *task, zs_parity_stream_kind kind,
                               const zs_parity_batch *batch, const sibling_paths *paths,
                               zs_error *err) {
    const uint64_t n = batch->n_examples, bytes = zs_parity_packed_bytes(task);
    zs_sidecar sc;
    zs_sidecar_init(&sc);
    json_t *params = params_json(task, kind, n, paths);
    sc.params_json = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_decref(params);
    if (!sc.params_json) return zs_fail(err, ZS_ERR_NOMEM, "%s: out of memory", opt.output);
    uint8_t *packed = zs_alloc(n * bytes, "packed inputs", err);
    if (!packed) {
        free(sc.params_json);
        return ZS_ERR_NOMEM;
    }
    zs_parity_pack_batch(task, batch, packed, opt.threads);
    sc.generator = "parity";
    sc.seed = task->spec.seed;
    sc.has_seed = 1;
    sc.vocab_size = 256; /* the packed rows are also a valid 2-D file of byte tokens */
    const zs_tokens_layout layout = {ZS_FORMAT_NPY, ZS_DTYPE_U8, 2, {n, bytes}};
    zs_status st = zs_npy_write(paths->labels, ZS_DTYPE_U8, 1, layout.shape, batch->label, err);
    if (!st) st = zs_npy_write(paths->subtasks, ZS_DTYPE_U32, 1, layout.shape, batch->subtask, err);
    if (!st) st = zs_tokens_write_typed(opt.output, ZS_DTYPE_U8, packed, &layout, &sc, err);
    if (st) {
        unlink(paths->labels);
        unlink(paths->subtasks);
    }
    free(packed);
    free(sc.params_json);
    return st;
}

static zs_status report(const zs_parity_task *task, zs_parity_stream_kind kind,
                        const zs_parity_batch *batch, const sibling_paths *paths, zs_error *err) {
    const uint64_t n = batch->n_examples, n_tasks = task->spec.n_tasks;
    uint8_t *present = zs_calloc(n_tasks, 1, "subtask presence", err);
    if (!present) return ZS_ERR_NOMEM;
    uint64_t n_present = 0, positive = 0;
    for (uint64_t r = 0; r < n; r++) {
        n_present += !present[batch->subtask[r]];
        present[batch->subtask[r]] = 1;
        positive += batch->label[r];
    }
    free(present);
    const double positive_fraction = (double)positive / (double)n;
    if (opt.json) {
        json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f}", "output",
                                opt.output, "labels", paths->labels, "subtasks", paths->subtasks,
                                "stream", zs_parity_stream_name(kind), "examples", (json_int_t)n,
                                "input_bits", (json_int_t)zs_parity_input_len(task),
                                "bytes_per_example", (json_int_t)zs_parity_packed_bytes(task),
                                "n_tasks", (json_int_t)n_tasks, "subtasks_present",
                                (json_int_t)n_present, "positive_fraction", positive_fraction);
        if (!out) return zs_fail(err, ZS_ERR_NOMEM, "out of memory building the JSON summary");
        return zs_cli_emit_json(out, NULL, err);
    }
    printf("wrote %s (+ %s, %s, %s.json)\n", opt.output, paths->labels, paths->subtasks,
           opt.output);
    printf("%llu %s examples of %llu input bits (%llu bytes each)\n", (unsigned long long)n,
           zs_parity_stream_name(kind), (unsigned long long)zs_parity_input_len(task),
           (unsigned long long)zs_parity_packed_bytes(task));
    printf("subtasks present: %llu of %llu; positive labels: %.2f%%\n",
           (unsigned long long)n_present, (unsigned long long)n_tasks, 100 * positive_fraction);
    return ZS_OK;
}

static int parity_sample_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&parity_sample_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    size_t len = opt.output ? strlen(opt.output) : 0;
    if (len <= strlen(".npy") || strcmp(opt.output + len - strlen(".npy"), ".npy") != 0)
        return zs_cli_usage_error(&parity_sample_spec, "-o FILE.npy is required (a name ending "
                                                       "in .npy)");
    zs_error err;
    zs_parity_spec spec = {opt.n_tasks, opt.n_bits, opt.k, opt.zipf_exponent, opt.seed};
    zs_parity_task task;
    if (zs_parity_init(&task, &spec, &err)) return zs_cli_fail(&err);
    zs_parity_stream_kind kind = ZS_PARITY_TRAIN;
    uint64_t examples = 0;
    if (choose_stream(&task, &kind, &examples)) {
        zs_parity_free(&task);
        return ZS_EXIT_USAGE;
    }
    sibling_paths paths = {NULL, NULL};
    zs_parity_batch batch = {0};
    zs_status st = sibling_paths_make(opt.output, &paths)
                       ? zs_fail(&err, ZS_ERR_NOMEM, "out of memory (output paths)")
                       : zs_parity_batch_init(&batch, &task, examples, &err);
    if (!st) st = fill_stream(&task, kind, &batch, &err);
    if (!st) st = write_outputs(&task, kind, &batch, &paths, &err);
    if (!st) st = report(&task, kind, &batch, &paths, &err);
    zs_parity_batch_free(&batch);
    zs_parity_free(&task);
    free(paths.labels);
    free(paths.subtasks);
    return st ? zs_cli_fail(&err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_parity_sample = {&parity_sample_spec, parity_sample_run};
