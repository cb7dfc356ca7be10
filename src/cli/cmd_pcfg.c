/* `zipscale pcfg generate|sample|analyse`: random grammars from the four knobs, token
 * documents sampled from a grammar (with rule labels and a provenance sidecar), and what
 * a grammar implies. Thin clients of zipscale/pcfg.h and zipscale/tokens.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/json.h"
#include "cli/commands.h"
#include "zipscale/pcfg.h"
#include "zipscale/tokens.h"

/* Knob and bound options are read as uint64 and must fit the library's uint32 fields. */
static int to_u32(const zs_cli_spec *spec, const char *name, uint64_t value, int required,
                  uint32_t *out) {
    if (required && value == 0)
        return zs_cli_usage_error(spec, "--%s is required and must be at least 1", name);
    if (value > UINT32_MAX)
        return zs_cli_usage_error(spec, "--%s %llu is too large, expected at most %u", name,
                                  (unsigned long long)value, UINT32_MAX);
    *out = (uint32_t)value;
    return -1;
}

/* The grammar's knobs as a JSON value (null when unknown); NULL when out of memory. */
static json_t *knobs_value(const zs_pcfg *g) {
    char *text;
    if (zs_pcfg_knobs_json(g, &text, NULL)) return NULL;
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    free(text);
    return j;
}

/* ---- pcfg generate ---- */

static struct {
    uint64_t nonterminals, terminals, max_options, max_length, seed;
    const char *output;
    int json;
} gen_args;

static void generate_defaults(void) {
    memset(&gen_args, 0, sizeof gen_args);
}

static const zs_opt pcfg_generate_opts[] = {
    {"nonterminals", 0, ZS_OPT_U64, &gen_args.nonterminals, "NT",
     "nonterminals N0..N{NT-1} besides the start S", .required = 1},
    {"terminals", 0, ZS_OPT_U64, &gen_args.terminals, "T", "terminals '0'..'T-1'", .required = 1},
    {"max-options", 0, ZS_OPT_U64, &gen_args.max_options, "O",
     "options per nonterminal: uniform in 1..O", .required = 1},
    {"max-length", 0, ZS_OPT_U64, &gen_args.max_length, "L", "symbols per option: uniform in 1..L",
     .required = 1},
    ZS_OPT_SEED(&gen_args.seed),
    {"output", 'o', ZS_OPT_STRING, &gen_args.output, "FILE", "write the grammar here",
     .required = 1},
    ZS_OPT_JSON(&gen_args.json),
    ZS_OPT_END,
};

static const zs_cli_spec pcfg_generate_spec = {
    "pcfg generate",
    "--nonterminals NT --terminals T --max-options O --max-length L [--seed S] -o FILE",
    "generate a random PCFG from the gzip paper's four knobs",
    "Follows the reference code of the gzip paper: per nonterminal, the number of options\n"
    "is uniform in 1..O, their weights uniform integers 1..100 normalised, their lengths\n"
    "uniform in 1..L, each symbol uniform over nonterminals and terminals; the start rule\n"
    "is S -> N_i with probability 1/NT. Written in NLTK's PCFG text form with a first\n"
    "comment line recording the knobs. See docs/pcfg.md.",
    pcfg_generate_opts,
    0,
    0,
    .defaults = generate_defaults,
};

static int pcfg_generate_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&pcfg_generate_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_pcfg_knobs k = {0, 0, 0, 0, gen_args.seed};
    const zs_cli_spec *spec = &pcfg_generate_spec;
    if ((code = to_u32(spec, "nonterminals", gen_args.nonterminals, 1, &k.nonterminals)) >= 0 ||
        (code = to_u32(spec, "terminals", gen_args.terminals, 1, &k.terminals)) >= 0 ||
        (code = to_u32(spec, "max-options", gen_args.max_options, 1, &k.max_options)) >= 0 ||
        (code = to_u32(spec, "max-length", gen_args.max_length, 1, &k.max_length)) >= 0)
        return code;
    zs_error err;
    zs_pcfg *g;
    zs_status st = zs_pcfg_generate(&k, &g, &err);
    if (st == ZS_OK) {
        st = zs_pcfg_write(g, gen_args.output, &err);
        if (st == ZS_OK && gen_args.json) {
            json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:o}", "output", gen_args.output,
                                  "nonterminals", (json_int_t)zs_pcfg_n_nonterminals(g),
                                  "terminals", (json_int_t)zs_pcfg_n_terminals(g), "rules",
                                  (json_int_t)zs_pcfg_n_rules(g), "knobs", knobs_value(g));
            st = zs_cli_emit_json(j, NULL, &err);
        } else if (st == ZS_OK) {
            printf("wrote %s: %u nonterminals (start S), %u terminals, %u rules\n", gen_args.output,
                   zs_pcfg_n_nonterminals(g), zs_pcfg_n_terminals(g), zs_pcfg_n_rules(g));
        }
        zs_pcfg_free(g);
    }
    return st == ZS_OK ? ZS_EXIT_OK : zs_cli_fail(&err);
}

const zs_command zs_cmd_pcfg_generate = {&pcfg_generate_spec, pcfg_generate_run};

/* ---- pcfg sample ---- */

static struct {
    uint64_t tokens, context, seed, max_depth, max_expansions, max_retries;
    const char *output, *labels;
    int reference_ids, normalise, threads, json;
} sample_args;

/* The library's defaults (zs_pcfg_sample_opts_init), which the help shows. */
static void sample_defaults(void) {
    zs_pcfg_sample_opts o;
    zs_pcfg_sample_opts_init(&o);
    memset(&sample_args, 0, sizeof sample_args);
    sample_args.context = o.context;
    sample_args.seed = o.seed;
    sample_args.max_depth = o.max_depth;
    sample_args.max_expansions = o.max_expansions;
    sample_args.max_retries = o.max_retries;
    sample_args.reference_ids = o.reference_ids;
    sample_args.threads = o.threads;
}

static const zs_opt pcfg_sample_opts[] = {
    {"tokens", 0, ZS_OPT_U64, &sample_args.tokens, "N",
     "at least N tokens: ceil(N/context) documents", .required = 1},
    {"context", 0, ZS_OPT_U64, &sample_args.context, "C", "tokens per document"},
    {"output", 'o', ZS_OPT_STRING, &sample_args.output, "FILE",
     "token file: .npy (documents x context), .bin, else raw", .required = 1},
    {"labels", 0, ZS_OPT_STRING, &sample_args.labels, "FILE",
     "also write int32 .npy: the rule that emitted each token (-1 = separator)"},
    {"reference-ids", 0, ZS_OPT_FLAG, &sample_args.reference_ids, NULL,
     "reference id layout: terminal t -> t, separator 0 (collides with '0')"},
    {"max-depth", 0, ZS_OPT_U64, &sample_args.max_depth, "D",
     "drop and resample derivations deeper than D nonterminals; the peer's limit"},
    {"max-expansions", 0, ZS_OPT_U64, &sample_args.max_expansions, "E",
     "drop derivations expanding more than E nonterminals"},
    {"max-retries", 0, ZS_OPT_U64, &sample_args.max_retries, "R",
     "fail when R derivations in a row are dropped"},
    {"normalise", 0, ZS_OPT_FLAG, &sample_args.normalise, NULL,
     "rescale each left-hand side's probabilities to sum to 1"},
    ZS_OPT_SEED(&sample_args.seed),
    ZS_OPT_THREADS(&sample_args.threads),
    ZS_OPT_JSON(&sample_args.json),
    ZS_OPT_END,
};

static const zs_cli_spec pcfg_sample_spec = {
    "pcfg sample",
    "GRAMMAR --tokens N -o FILE [options]",
    "sample documents of token ids from a PCFG",
    "Sentences are appended to a document until its context is full: a sentence that fits\n"
    "is followed by the separator 0, one that does not is truncated to the room left, so\n"
    "every row is exactly `context` tokens. Ids: separator 0, terminal t -> t+1 (vocabulary\n"
    "T+1), or the reference layout with --reference-ids. The sidecar FILE.json records the\n"
    "grammar, the bounds and the fraction of derivations dropped. See docs/pcfg.md.",
    pcfg_sample_opts,
    1,
    1,
    .defaults = sample_defaults,
};

/* The provenance record (what the sidecar's params hold), as JSON for --json. */
static json_t *sample_json(const char *grammar, const zs_pcfg *g, const zs_pcfg_sample_opts *o,
                           const zs_pcfg_sample_stats *s) {
    char *text;
    if (zs_pcfg_sample_provenance(g, grammar, o, s, sample_args.labels, &text, NULL)) return NULL;
    json_t *j = json_loads(text, 0, NULL);
    free(text);
    return j;
}

static int sample_options(zs_pcfg_sample_opts *o, uint64_t *documents) {
    const zs_cli_spec *spec = &pcfg_sample_spec;
    int code;
    zs_pcfg_sample_opts_init(o);
    if (sample_args.tokens == 0 || sample_args.tokens > UINT64_MAX / 8)
        return zs_cli_usage_error(spec, "--tokens is required, expected 1..%llu",
                                  (unsigned long long)(UINT64_MAX / 8));
    if ((code = to_u32(spec, "context", sample_args.context ? sample_args.context : o->context, 1,
                       &o->context)) >= 0 ||
        (code =
             to_u32(spec, "max-depth", sample_args.max_depth ? sample_args.max_depth : o->max_depth,
                    1, &o->max_depth)) >= 0 ||
        (code = to_u32(spec, "max-expansions",
                       sample_args.max_expansions ? sample_args.max_expansions : o->max_expansions,
                       1, &o->max_expansions)) >= 0 ||
        (code = to_u32(spec, "max-retries",
                       sample_args.max_retries ? sample_args.max_retries : o->max_retries, 1,
                       &o->max_retries)) >= 0)
        return code;
    o->seed = sample_args.seed;
    o->reference_ids = sample_args.reference_ids;
    o->threads = sample_args.threads;
    *documents = sample_args.tokens / o->context + (sample_args.tokens % o->context != 0);
    return -1;
}

static void report_sample(uint64_t documents, const zs_pcfg_sample_opts *o,
                          const zs_pcfg_sample_stats *s) {
    fprintf(stderr,
            "pcfg sample: %llu documents x %u tokens to %s; %llu sentences, %llu derivations "
            "dropped (%.4g%%, %llu too deep)\n",
            (unsigned long long)documents, o->context, sample_args.output,
            (unsigned long long)s->sentences, (unsigned long long)s->dropped,
            100 * s->dropped_fraction, (unsigned long long)s->dropped_depth);
    /* The reference drops such derivations silently; say what it means for the data. */
    if (s->dropped_fraction > 0.01)
        fprintf(stderr,
                "pcfg sample: warning: %.3g%% of derivations were dropped, so the sample is the "
                "grammar's distribution conditioned on derivations within the bounds (see 'pcfg "
                "analyse' for its termination probability)\n",
                100 * s->dropped_fraction);
}

static int pcfg_sample_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&pcfg_sample_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_pcfg_sample_opts o;
    uint64_t documents = 0;
    if ((code = sample_options(&o, &documents)) >= 0) return code;
    zs_error err;
    zs_pcfg *g;
    zs_status st = zs_pcfg_read(pos[0], sample_args.normalise, &g, &err);
    if (st != ZS_OK) return zs_cli_fail(&err);
    uint64_t n = documents * o.context;
    uint32_t *tokens = zs_calloc(n, sizeof *tokens, "sampled tokens", &err);
    int32_t *labels = sample_args.labels ? zs_calloc(n, sizeof *labels, "labels", &err) : NULL;
    zs_pcfg_sample_stats stats;
    if (!tokens || (sample_args.labels && !labels)) st = ZS_ERR_NOMEM;
    if (st == ZS_OK) st = zs_pcfg_sample(g, &o, 0, documents, tokens, labels, &stats, &err);
    if (st == ZS_OK)
        st = zs_pcfg_write_sample(g, pos[0], &o, &stats, documents, tokens, labels,
                                  sample_args.output, sample_args.labels, &err);
    json_t *j = st == ZS_OK && sample_args.json ? sample_json(pos[0], g, &o, &stats) : NULL;
    if (st == ZS_OK && sample_args.json && !j) {
        st = zs_fail(&err, ZS_ERR_NOMEM, "out of memory building JSON output");
    } else if (j) {
        json_object_set_new(j, "output", json_string(sample_args.output));
        json_object_set_new(j, "documents", json_integer((json_int_t)documents));
        json_object_set_new(j, "context", json_integer(o.context));
        json_object_set_new(j, "vocab_size",
                            json_integer((json_int_t)zs_pcfg_vocab_size(g, o.reference_ids)));
        st = zs_cli_emit_json(j, NULL, &err);
    } else if (st == ZS_OK) {
        report_sample(documents, &o, &stats);
    }
    free(tokens);
    free(labels);
    zs_pcfg_free(g);
    return st == ZS_OK ? ZS_EXIT_OK : zs_cli_fail(&err);
}

const zs_command zs_cmd_pcfg_sample = {&pcfg_sample_spec, pcfg_sample_run};

/* ---- pcfg analyse ---- */

static struct { int json, normalise; } analyse_args;

static void analyse_defaults(void) {
    memset(&analyse_args, 0, sizeof analyse_args);
}

static const zs_opt pcfg_analyse_opts[] = {
    {"normalise", 0, ZS_OPT_FLAG, &analyse_args.normalise, NULL,
     "rescale each left-hand side's probabilities to sum to 1"},
    ZS_OPT_JSON(&analyse_args.json),
    ZS_OPT_END,
};

static const zs_cli_spec pcfg_analyse_spec = {
    "pcfg analyse",
    "GRAMMAR [--json]",
    "criticality, termination, expected length and entropy of a PCFG",
    "The derivations form a multi-type branching process. Reports the spectral radius of\n"
    "its mean-offspring matrix (< 1: subcritical), the probability that a derivation\n"
    "terminates, the expected sentence length, the derivation entropy per sentence and\n"
    "per token (excluding and including one separator per sentence; an upper bound on the\n"
    "language's entropy rate), and symbols no finite derivation uses. See docs/pcfg.md.",
    pcfg_analyse_opts,
    1,
    1,
    .defaults = analyse_defaults,
};

static json_t *nonterminal_list(const zs_pcfg *g, const uint32_t *list, uint32_t n) {
    json_t *a = json_array();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(zs_pcfg_nonterminal_name(g, list[i])));
    return a;
}

static json_t *terminal_list(const zs_pcfg *g, const uint32_t *list, uint32_t n) {
    json_t *a = json_array();
    char buf[256];
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(zs_pcfg_terminal_name(g, list[i], buf, sizeof buf)));
    return a;
}

static json_t *analysis_json(const char *path, const zs_pcfg *g, const zs_pcfg_analysis *a) {
    json_t *j = json_object(), *knobs = knobs_value(g);
    if (!j || !knobs) { /* zs_cli_emit_json reports NULL as out of memory */
        json_decref(j);
        json_decref(knobs);
        return NULL;
    }
    json_object_set_new(j, "grammar", json_string(path));
    json_object_set_new(j, "knobs", knobs);
    json_object_set_new(j, "nonterminals", json_integer(zs_pcfg_n_nonterminals(g)));
    json_object_set_new(j, "terminals", json_integer(zs_pcfg_n_terminals(g)));
    json_object_set_new(j, "rules", json_integer(zs_pcfg_n_rules(g)));
    json_object_set_new(j, "start", json_string(zs_pcfg_nonterminal_name(g, zs_pcfg_start(g))));
    json_object_set_new(j, "spectral_radius", zs_json_number(a->spectral_radius));
    json_object_set_new(j, "subcritical", json_boolean(a->subcritical));
    json_object_set_new(j, "termination_prob", zs_json_number(a->termination_prob));
    json_object_set_new(j, "expected_length_tokens", zs_json_number(a->expected_length_tokens));
    json_object_set_new(j, "entropy_nats_per_sentence",
                        zs_json_number(a->entropy_nats_per_sentence));
    json_object_set_new(j, "entropy_nats_per_token", zs_json_number(a->entropy_nats_per_token));
    json_object_set_new(j, "entropy_bits_per_token",
                        zs_json_number(a->entropy_nats_per_token / M_LN2));
    json_object_set_new(j, "entropy_nats_per_token_separated",
                        zs_json_number(a->entropy_nats_per_token_separated));
    json_object_set_new(j, "entropy_bits_per_token_separated",
                        zs_json_number(a->entropy_nats_per_token_separated / M_LN2));
    json_object_set_new(j, "unproductive", nonterminal_list(g, a->unproductive, a->n_unproductive));
    json_object_set_new(j, "unreachable", nonterminal_list(g, a->unreachable, a->n_unreachable));
    json_object_set_new(j, "unused_terminals",
                        terminal_list(g, a->unused_terminals, a->n_unused_terminals));
    return j;
}

/* At most 20 names, then "... (k more)". */
static void print_list(const char *label, const zs_pcfg *g, const uint32_t *list, uint32_t n,
                       int terminals) {
    printf("%-22s", label);
    if (n == 0) printf(" none");
    char buf[256];
    for (uint32_t i = 0; i < n && i < 20; i++)
        printf(terminals ? " '%s'" : " %s", terminals
                                                ? zs_pcfg_terminal_name(g, list[i], buf, sizeof buf)
                                                : zs_pcfg_nonterminal_name(g, list[i]));
    if (n > 20) printf(" ... (%u more)", n - 20);
    printf("\n");
}

static void print_analysis(const char *path, const zs_pcfg *g, const zs_pcfg_analysis *a) {
    printf("%-22s %s\n", "grammar", path);
    printf("%-22s %u (start %s), %u terminals, %u rules\n", "nonterminals",
           zs_pcfg_n_nonterminals(g), zs_pcfg_nonterminal_name(g, zs_pcfg_start(g)),
           zs_pcfg_n_terminals(g), zs_pcfg_n_rules(g));
    printf("%-22s %.6g (%s)\n", "spectral radius", a->spectral_radius,
           a->subcritical ? "subcritical" : "critical or supercritical");
    printf("%-22s %.9g\n", "termination prob", a->termination_prob);
    printf("%-22s %.6g tokens\n", "expected length", a->expected_length_tokens);
    printf("%-22s %.6g nats per sentence\n", "derivation entropy", a->entropy_nats_per_sentence);
    if (isfinite(a->entropy_nats_per_token)) {
        printf("%-22s %.6g nats (%.6g bits) excluding separators\n", "entropy per token",
               a->entropy_nats_per_token, a->entropy_nats_per_token / M_LN2);
        printf("%-22s %.6g nats (%.6g bits) including one separator per sentence\n", "",
               a->entropy_nats_per_token_separated, a->entropy_nats_per_token_separated / M_LN2);
    } else {
        printf("%-22s undefined: the expected derivation is infinite (not subcritical)\n",
               "entropy per token");
    }
    print_list("unproductive", g, a->unproductive, a->n_unproductive, 0);
    print_list("unreachable", g, a->unreachable, a->n_unreachable, 0);
    print_list("unused terminals", g, a->unused_terminals, a->n_unused_terminals, 1);
}

static int pcfg_analyse_run(int argc, char **argv) {
    int npos;
    char **pos;
    int code = zs_cli_parse(&pcfg_analyse_spec, argc, argv, &npos, &pos);
    if (code >= 0) return code;
    zs_error err;
    zs_pcfg *g;
    zs_status st = zs_pcfg_read(pos[0], analyse_args.normalise, &g, &err);
    if (st != ZS_OK) return zs_cli_fail(&err);
    zs_pcfg_analysis a;
    st = zs_pcfg_analyse(g, &a, &err);
    if (st == ZS_OK) {
        if (analyse_args.json)
            st = zs_cli_emit_json(analysis_json(pos[0], g, &a), NULL, &err);
        else
            print_analysis(pos[0], g, &a);
        zs_pcfg_analysis_free(&a);
    }
    zs_pcfg_free(g);
    return st == ZS_OK ? ZS_EXIT_OK : zs_cli_fail(&err);
}

const zs_command zs_cmd_pcfg_analyse = {&pcfg_analyse_spec, pcfg_analyse_run};
