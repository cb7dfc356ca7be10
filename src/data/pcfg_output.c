/* Sampled PCFG documents to disk: the token file with its provenance sidecar (grammar,
 * knobs, bounds, drop statistics) and the optional rule labels. Shared by `pcfg sample`,
 * `demo` and, later, sweeps, so every PCFG dataset records the same provenance. */
#include "data/token_formats.h"
#include "zipscale/pcfg.h"
#include "zipscale/tokens.h"

#include <jansson.h>
#include <stdlib.h>

static json_t *knobs_json(const zs_pcfg *g) {
    zs_pcfg_knobs k;
    if (!zs_pcfg_knobs_get(g, &k)) return json_null();
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "nonterminals", (json_int_t)k.nonterminals,
                     "terminals", (json_int_t)k.terminals, "max_options", (json_int_t)k.max_options,
                     "max_length", (json_int_t)k.max_length, "seed", (json_int_t)k.seed);
}

zs_status zs_pcfg_knobs_json(const zs_pcfg *g, char **out, zs_error *err) {
    json_t *j = knobs_json(g);
    *out = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    return *out ? ZS_OK : zs_fail(err, ZS_ERR_NOMEM, "out of memory building the PCFG knobs");
}

zs_status zs_pcfg_sample_provenance(const zs_pcfg *g, const char *grammar_name,
                                    const zs_pcfg_sample_opts *o, const zs_pcfg_sample_stats *s,
                                    const char *labels_path, char **out, zs_error *err) {
    *out = NULL;
    if (!grammar_name)
        return zs_fail(err, ZS_ERR_USAGE, "PCFG sample provenance: grammar_name is NULL");
    json_t *j = json_pack("{s:s, s:o, s:b, s:I, s:I, s:I, s:s?, s:I, s:I, s:I, s:f}", "grammar",
                          grammar_name, "knobs", knobs_json(g), "reference_ids", o->reference_ids,
                          "max_depth", (json_int_t)o->max_depth, "max_expansions",
                          (json_int_t)o->max_expansions, "max_retries", (json_int_t)o->max_retries,
                          "labels", labels_path, "sentences", (json_int_t)s->sentences, "dropped",
                          (json_int_t)s->dropped, "dropped_depth", (json_int_t)s->dropped_depth,
                          "dropped_fraction", s->dropped_fraction);
    *out = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    return *out ? ZS_OK
                : zs_fail(err, ZS_ERR_NOMEM, "out of memory building the PCFG sample provenance");
}

zs_status zs_pcfg_write_sample(const zs_pcfg *g, const char *grammar_name,
                               const zs_pcfg_sample_opts *o, const zs_pcfg_sample_stats *stats,
                               uint64_t documents, const uint32_t *tokens, const int32_t *labels,
                               const char *tokens_path, const char *labels_path, zs_error *err) {
    uint64_t vocab = zs_pcfg_vocab_size(g, o->reference_ids), n = documents * o->context;
    zs_tokens_layout layout;
    layout.format = zs_token_format_from_path(tokens_path);
    layout.dtype = zs_dtype_for_vocab(vocab);
    if (layout.format == ZS_FORMAT_BIN) /* llm.c shards hold uint16 or uint32 */
        layout.dtype = vocab <= 65536 ? ZS_DTYPE_U16 : ZS_DTYPE_U32;
    layout.ndim = layout.format == ZS_FORMAT_NPY ? 2 : 1;
    layout.shape[0] = layout.ndim == 2 ? documents : n;
    layout.shape[1] = o->context;
    char *params_text;
    zs_status st = zs_pcfg_sample_provenance(g, grammar_name, o, stats, labels ? labels_path : NULL,
                                             &params_text, err);
    if (st) return st;
    zs_sidecar sc;
    zs_sidecar_init(&sc);
    sc.generator = "pcfg";
    sc.params_json = params_text;
    sc.seed = o->seed;
    sc.has_seed = 1;
    sc.vocab_size = vocab;
    sc.separator_id = 0;
    sc.context = o->context;
    sc.n_tokens = n;
    /* Labels are written first but renamed into place last: if the tokens fail, the labels'
     * temporary file goes and both old files stay as they were. */
    uint64_t shape[2] = {documents, o->context};
    zs_atomic_file lf = {0};
    if (labels)
        st = zs_npy_write_uncommitted(&lf, labels_path, ZS_DTYPE_I32, 2, shape, labels, err);
    if (st == ZS_OK) st = zs_tokens_write(tokens_path, tokens, &layout, &sc, err);
    if (st != ZS_OK)
        zs_atomic_abort(&lf);
    else if (labels)
        st = zs_atomic_commit(&lf, err);
    free(params_text);
    return st;
}
