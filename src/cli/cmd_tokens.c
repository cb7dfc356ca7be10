/* `zipscale tokens info` and `zipscale tokens import`: describe a token file (format,
 * dtype, shape, ids, provenance) and turn any file into byte-level tokens. Thin clients of
 * the token-file API in zipscale/tokens.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "core/json.h"
#include "zipscale/tokens.h"

/* ---- tokens info ---- */

static struct {
    const char *dtype;
    uint64_t vocab, context;
    int json;
} info_args;

static void info_defaults(void) {
    memset(&info_args, 0, sizeof info_args);
}

static const zs_opt tokens_info_opts[] = {
    {"dtype", 0, ZS_OPT_STRING, &info_args.dtype, "D",
     "dtype of a raw file: uint8, uint16, uint32, int32, int64 (required for raw files)"},
    {"vocab", 0, ZS_OPT_U64, &info_args.vocab, "V",
     "vocabulary size; every id must be below it (default: the sidecar's, if any)"},
    {"context", 0, ZS_OPT_U64, &info_args.context, "N",
     "view a raw file as documents of N tokens (default: flat)"},
    ZS_OPT_JSON(&info_args.json),
    ZS_OPT_END,
};

static const zs_cli_spec tokens_info_spec = {
    "tokens info",
    "FILE [--dtype D] [--vocab V] [--json]",
    "describe a token file: format, dtype, shape, ids, provenance",
    "Opens FILE (.npy, llm.c .bin shard, or raw with --dtype), validates it, and prints its\n"
    "format, dtype, shape, token count, declared vocabulary, id range (min, max), the number\n"
    "of distinct ids used, and the contents of its provenance sidecar FILE.json, if any.",
    tokens_info_opts,
    1,
    1,
    .defaults = info_defaults,
};

/* The file's facts; sidecar is the sidecar's JSON as written (or JSON null). */
typedef struct {
    uint64_t min_id, max_id, distinct;
    const char *vocab_source;
    json_t *sidecar;
} info_facts;

static zs_status gather(const zs_tokens *t, info_facts *f, zs_error *err) {
    f->min_id = f->max_id = f->distinct = 0;
    f->vocab_source = !t->vocab_size ? NULL : info_args.vocab ? "given" : "sidecar";
    f->sidecar = NULL;
    zs_status s;
    if (t->n_tokens && (s = zs_tokens_id_range(t, &f->min_id, &f->max_id, err))) return s;
    if ((s = zs_tokens_count_distinct(t, &f->distinct, err))) return s;
    if (!t->has_sidecar) {
        f->sidecar = json_null();
        return ZS_OK;
    }
    size_t len = strlen(t->path) + sizeof ".json";
    char *path = malloc(len);
    if (!path) return zs_fail(err, ZS_ERR_NOMEM, "out of memory");
    snprintf(path, len, "%s.json", t->path);
    s = zs_json_load(path, 0, &f->sidecar, err);
    free(path);
    return s;
}

static json_t *info_json(const zs_tokens *t, info_facts *f) {
    json_t *shape = json_array();
    for (int d = 0; d < t->ndim; d++)
        json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
    int any = t->n_tokens > 0;
    return json_pack("{s:s, s:s, s:s, s:i, s:o, s:I, s:o, s:o, s:o, s:o, s:I, s:o}", "file",
                     t->path, "format", zs_token_format_name(t->format), "dtype",
                     zs_dtype_name(t->dtype), "ndim", t->ndim, "shape", shape, "n_tokens",
                     (json_int_t)t->n_tokens, "vocab_size",
                     t->vocab_size ? json_integer((json_int_t)t->vocab_size) : json_null(),
                     "vocab_source", f->vocab_source ? json_string(f->vocab_source) : json_null(),
                     "min_id", any ? json_integer((json_int_t)f->min_id) : json_null(), "max_id",
                     any ? json_integer((json_int_t)f->max_id) : json_null(), "distinct_ids",
                     (json_int_t)f->distinct, "sidecar", json_incref(f->sidecar));
}

static void print_info(const zs_tokens *t, const info_facts *f) {
    printf("file          %s\n", t->path);
    printf("format        %s\n", zs_token_format_name(t->format));
    printf("dtype         %s\n", zs_dtype_name(t->dtype));
    if (t->ndim == 1)
        printf("shape         (%" PRIu64 ",)\n", t->shape[0]);
    else
        printf("shape         (%" PRIu64 ", %" PRIu64 ") documents x context\n", t->shape[0],
               t->shape[1]);
    printf("tokens        %" PRIu64 "\n", t->n_tokens);
    if (t->vocab_size)
        printf("vocabulary    %" PRIu64 " (%s)\n", t->vocab_size, f->vocab_source);
    else
        printf("vocabulary    unknown\n");
    if (t->n_tokens)
        printf("id range      %" PRIu64 "..%" PRIu64 "\n", f->min_id, f->max_id);
    else
        printf("id range      none (no tokens)\n");
    printf("distinct ids  %" PRIu64 "\n", f->distinct);
    if (!t->has_sidecar) {
        printf("sidecar       none\n");
        return;
    }
    printf("sidecar       %s.json\n", t->path);
    const char *key;
    json_t *value;
    json_object_foreach(f->sidecar, key, value) {
        char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
        printf("  %-18s %s\n", key, text ? text : "?");
        free(text);
    }
}

/* zs_tokens_open_opts.raw_dtype comes from --dtype. */
static const zs_cli_field dtype_fields[] = {{"raw_dtype", "dtype"}, {NULL, NULL}};

static int tokens_info_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&tokens_info_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_error err;
    zs_tokens_open_opts opts = {0};
    opts.vocab_size = info_args.vocab;
    opts.raw_context = info_args.context;
    if (info_args.dtype) {
        if (zs_dtype_parse(info_args.dtype, &opts.raw_dtype, &err))
            return zs_cli_fail_cmd(&tokens_info_spec, dtype_fields, &err);
        opts.has_raw_dtype = 1;
    }
    zs_tokens t;
    if (zs_tokens_open(&t, pos[0], &opts, &err))
        return zs_cli_fail_cmd(&tokens_info_spec, dtype_fields, &err);
    info_facts f;
    zs_status s = gather(&t, &f, &err);
    if (!s && info_args.json)
        s = zs_cli_emit_json(info_json(&t, &f), NULL, &err);
    else if (!s)
        print_info(&t, &f);
    json_decref(f.sidecar);
    zs_tokens_close(&t);
    return s ? zs_cli_fail_cmd(&tokens_info_spec, dtype_fields, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_tokens_info = {&tokens_info_spec, tokens_info_run};

/* ---- tokens import ---- */

static struct {
    const char *bytes_path, *output;
    uint64_t context;
    int json;
} import_args;

static void import_defaults(void) {
    memset(&import_args, 0, sizeof import_args);
}

static const zs_opt tokens_import_opts[] = {
    {"bytes", 0, ZS_OPT_STRING, &import_args.bytes_path, "FILE",
     "import FILE byte by byte: ids 0..255, vocabulary 256, no separator", .required = 1},
    {"output", 'o', ZS_OPT_STRING, &import_args.output, "OUT",
     "token file to write; .npy: uint8, .bin: uint16 llm.c shard, anything else: raw uint8",
     .required = 1},
    {"context", 0, ZS_OPT_U64, &import_args.context, "N",
     "write a 2-D .npy of N-token documents; the tail that does not fill one is dropped "
     "(default: 1-D)"},
    ZS_OPT_JSON(&import_args.json),
    ZS_OPT_END,
};

static const zs_cli_spec tokens_import_spec = {
    "tokens import",
    "--bytes FILE -o OUT [--context N] [--json]",
    "turn any file (text, code) into byte-level tokens",
    "Every byte of FILE becomes one token (ids 0..255, vocabulary 256, no separator), so\n"
    "real text and code can be measured and trained on. OUT's extension picks the format.\n"
    "The sidecar OUT.json records the source path, its size and its SHA-256.",
    tokens_import_opts,
    0,
    0,
    .defaults = import_defaults,
};

static int tokens_import_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&tokens_import_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_error err;
    uint64_t dropped_bytes;
    if (zs_tokens_import_bytes(import_args.bytes_path, import_args.output, import_args.context,
                               &dropped_bytes, &err))
        return zs_cli_fail_cmd(&tokens_import_spec, NULL, &err);
    zs_tokens t;
    zs_tokens_open_opts raw_bytes = {.raw_dtype = ZS_DTYPE_U8, .has_raw_dtype = 1};
    if (zs_tokens_open(&t, import_args.output, &raw_bytes, &err))
        return zs_cli_fail_cmd(&tokens_import_spec, NULL, &err);
    zs_status s = ZS_OK;
    if (import_args.json) {
        s = zs_cli_emit_json(json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "source",
                                       import_args.bytes_path, "output", t.path, "format",
                                       zs_token_format_name(t.format), "n_tokens",
                                       (json_int_t)t.n_tokens, "documents",
                                       (json_int_t)(t.ndim == 2 ? t.shape[0] : 0), "dropped_bytes",
                                       (json_int_t)dropped_bytes),
                             NULL, &err);
    } else {
        printf("%s: %" PRIu64 " byte tokens (%s, %s", t.path, t.n_tokens,
               zs_token_format_name(t.format), zs_dtype_name(t.dtype));
        if (t.ndim == 2)
            printf(", %" PRIu64 " documents of %" PRIu64 " tokens", t.shape[0], t.shape[1]);
        printf(") from %s; %" PRIu64 " bytes dropped\n", import_args.bytes_path, dropped_bytes);
    }
    zs_tokens_close(&t);
    return s ? zs_cli_fail_cmd(&tokens_import_spec, NULL, &err) : ZS_EXIT_OK;
}

const zs_command zs_cmd_tokens_import = {&tokens_import_spec, tokens_import_run};
