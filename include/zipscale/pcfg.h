/* zipscale data: random probabilistic context-free grammars [GZ]. Generates grammars from
 * the four knobs, reads and writes NLTK's PCFG text form, analyses a grammar (criticality,
 * termination, expected length, derivation entropy, unused symbols) and samples documents
 * of token ids (with optional per-token rule labels) for the token-file writer. docs/pcfg.md. */
#ifndef ZIPSCALE_PCFG_H
#define ZIPSCALE_PCFG_H

#include "zipscale/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct zs_pcfg zs_pcfg;

/* A right-hand-side symbol: a terminal id (0..n_terminals-1), or a nonterminal index
 * with this bit set. */
#define ZS_PCFG_NONTERMINAL 0x80000000u

/* The generator's knobs, docs/science.md §4 (nonterminals excludes the start symbol S). */
typedef struct {
    uint32_t nonterminals;
    uint32_t terminals;
    uint32_t max_options;
    uint32_t max_length;
    uint64_t seed;
} zs_pcfg_knobs;

/* The reference generator (its code): per nonterminal, options uniform 1..max_options,
 * integer weights uniform 1..100 normalised, lengths uniform 1..max_length, symbols uniform
 * over nonterminals and terminals; start rule S -> N_i with probability 1/nonterminals.
 * Draws from zipscale's RNG, stream zs_rng_tag("pcfg.generate").
 * Errors: ZS_ERR_RANGE (a knob is 0 or too large, or nonterminals x max_options x max_length
 * is too large: the message names the knob). */
zs_status zs_pcfg_generate(const zs_pcfg_knobs *knobs, zs_pcfg **out, zs_error *err);

/* Reads NLTK's PCFG text form (docs/pcfg.md). `name` labels error messages
 * ("name:line:column: ..."). Probabilities must sum to 1 per left-hand side within 1e-6,
 * unless normalise is set (then each left-hand side is rescaled to sum to 1).
 * Errors: ZS_ERR_FORMAT (a malformed line, a NUL byte in a terminal, a last line ending in a
 * continuation '\', a malformed or out-of-range knob comment, a nonterminal without
 * productions, sums that are not 1, a terminal beyond the knob comment: the message gives
 * name:line:column). */
zs_status zs_pcfg_parse(const char *text, size_t len, const char *name, int normalise,
                        zs_pcfg **out, zs_error *err);
/* zs_pcfg_parse on a file's text. Errors: ZS_ERR_IO (cannot open or read path), and those
 * of zs_pcfg_parse. */
zs_status zs_pcfg_read(const char *path, int normalise, zs_pcfg **out, zs_error *err);

/* Writes the text form (with the knob comment when knobs are known), atomically. Each
 * probability is printed with the fewest decimals that read back to the same double.
 * zs_pcfg_print writes the same text to an open stream.
 * Errors: ZS_ERR_IO (a write fails; for zs_pcfg_write also creating or renaming the file). */
zs_status zs_pcfg_write(const zs_pcfg *g, const char *path, zs_error *err);
zs_status zs_pcfg_print(const zs_pcfg *g, FILE *out, zs_error *err);

void zs_pcfg_free(zs_pcfg *g);

/* ---- accessors ----------------------------------------------------------------------- */
uint32_t zs_pcfg_n_nonterminals(const zs_pcfg *g); /* every nonterminal, start included */
uint32_t zs_pcfg_n_terminals(const zs_pcfg *g);    /* terminal ids are 0..n-1 */
uint32_t zs_pcfg_n_rules(const zs_pcfg *g);        /* productions, in file order */
uint32_t zs_pcfg_start(const zs_pcfg *g);          /* index of the start nonterminal */
/* nonterminal < zs_pcfg_n_nonterminals. */
const char *zs_pcfg_nonterminal_name(const zs_pcfg *g, uint32_t nonterminal);
/* 1 when every terminal is a decimal integer (then terminal id = its value). */
int zs_pcfg_integer_terminals(const zs_pcfg *g);
/* Writes terminal `id`'s text (without quotes) into buf, truncated to size; returns buf.
 * id < zs_pcfg_n_terminals. */
const char *zs_pcfg_terminal_name(const zs_pcfg *g, uint32_t id, char *buf, size_t size);
/* 1 and *knobs filled when the grammar was generated or its file records the knobs. */
int zs_pcfg_knobs_get(const zs_pcfg *g, zs_pcfg_knobs *knobs);

typedef struct {
    uint32_t lhs; /* nonterminal index */
    double prob;
    uint32_t length;     /* symbols on the right-hand side (>= 1) */
    const uint32_t *rhs; /* terminal ids, or ZS_PCFG_NONTERMINAL | nonterminal */
} zs_pcfg_rule;

zs_pcfg_rule zs_pcfg_rule_get(const zs_pcfg *g, uint32_t rule); /* rule < zs_pcfg_n_rules */

/* ---- analysis ------------------------------------------------------------------------ */
typedef struct {
    double spectral_radius; /* of the mean-offspring matrix over nonterminals reachable
                               from the start; < 1 is subcritical */
    int subcritical;
    double termination_prob;                 /* P(a derivation from the start is finite) */
    double expected_length_tokens;           /* E[sentence length]; INFINITY unless subcritical */
    double entropy_nats_per_sentence;        /* derivation entropy; INFINITY unless subcritical */
    double entropy_nats_per_token;           /* per emitted terminal, separators excluded */
    double entropy_nats_per_token_separated; /* per token with one separator per sentence */
    uint32_t n_unproductive;                 /* nonterminals that derive no finite string */
    uint32_t *unproductive;
    uint32_t n_unreachable; /* productive nonterminals absent from every finite derivation */
    uint32_t *unreachable;
    uint32_t n_unused_terminals; /* terminal ids no finite derivation emits */
    uint32_t *unused_terminals;
} zs_pcfg_analysis;

/* Errors: ZS_ERR_RANGE (more nonterminals than the dense analysis takes), ZS_ERR_NUMERIC
 * (LAPACK fails: eigenvalues do not converge or I - M is singular). */
zs_status zs_pcfg_analyse(const zs_pcfg *g, zs_pcfg_analysis *out, zs_error *err);
void zs_pcfg_analysis_free(zs_pcfg_analysis *a);

/* ---- sampling ------------------------------------------------------------------------ */
/* The derivation depth the reference tolerates: the peer (Python recursion limit 1000)
 * derives a chain S -> N0 -> ... -> N993 -> '0' (depth 995: S and 994 N's) and fails one deeper. */
#define ZS_PCFG_DEFAULT_MAX_DEPTH 995u
#define ZS_PCFG_DEFAULT_MAX_EXPANSIONS (1u << 20)
#define ZS_PCFG_DEFAULT_MAX_RETRIES 100u

typedef struct {
    uint64_t seed;
    uint32_t context;        /* tokens per document (row) */
    uint32_t max_depth;      /* deeper derivations are dropped and resampled */
    uint32_t max_expansions; /* derivations expanding more nonterminals are dropped too */
    uint32_t max_retries;    /* this many drops in a row for one sentence is an error */
    int reference_ids;       /* 1: terminal t -> id t, separator 0 (collides with '0') */
    int threads;             /* 0 = all cores; output is identical for any value */
} zs_pcfg_sample_opts;

void zs_pcfg_sample_opts_init(zs_pcfg_sample_opts *opts); /* defaults above, context 256 */

/* Separator 0; terminals 1..T (vocabulary T+1), or with reference_ids 0..T-1 (T). */
uint64_t zs_pcfg_vocab_size(const zs_pcfg *g, int reference_ids);
/* The rule that emits a separator in labels. */
#define ZS_PCFG_LABEL_SEPARATOR (-1)

typedef struct {
    uint64_t sentences; /* accepted, including the truncated last one of a row */
    uint64_t dropped;   /* attempts dropped (too deep or too many expansions) */
    uint64_t dropped_depth;
    double dropped_fraction; /* dropped / (sentences + dropped) */
} zs_pcfg_sample_stats;

/* Fills documents first_document .. first_document+documents-1 (each its own RNG stream,
 * so any split and any thread count give the same ids): tokens is documents x context,
 * labels (may be NULL) the same shape, the rule id that emitted each token or
 * ZS_PCFG_LABEL_SEPARATOR. stats may be NULL.
 * Errors: ZS_ERR_RANGE (context, max_depth, max_expansions or max_retries out of range, or
 * too many rules for int32 labels), ZS_ERR_NUMERIC (max_retries derivations in a row were
 * dropped: the lowest such document is reported). */
zs_status zs_pcfg_sample(const zs_pcfg *g, const zs_pcfg_sample_opts *opts, uint64_t first_document,
                         uint64_t documents, uint32_t *tokens, int32_t *labels,
                         zs_pcfg_sample_stats *stats, zs_error *err);

/* Writes sampled documents: tokens to tokens_path (.npy documents x context, .bin, else
 * raw; dtype from the vocabulary) with a sidecar (generator "pcfg"; params from
 * zs_pcfg_sample_provenance), and labels (if non-NULL) as int32 .npy to labels_path.
 * Atomic: a failure leaves both old files as they were (the labels are renamed into
 * place last). grammar_name is recorded as given.
 * Errors: those of zs_pcfg_sample_provenance and zs_tokens_write (ZS_ERR_USAGE, ZS_ERR_RANGE,
 * ZS_ERR_IO). */
zs_status zs_pcfg_write_sample(const zs_pcfg *g, const char *grammar_name,
                               const zs_pcfg_sample_opts *opts, const zs_pcfg_sample_stats *stats,
                               uint64_t documents, const uint32_t *tokens, const int32_t *labels,
                               const char *tokens_path, const char *labels_path, zs_error *err);
/* The generator's knobs as compact JSON text in *out ({"nonterminals":..,"terminals":..,
 * "max_options":..,"max_length":..,"seed":..}, or "null" when unknown); malloc'd.
 * Errors: only ZS_ERR_NOMEM. */
zs_status zs_pcfg_knobs_json(const zs_pcfg *g, char **out, zs_error *err);
/* The sidecar's params as compact JSON text in *out (malloc'd): grammar, knobs (or null),
 * reference_ids, the bounds, labels path (or null), sentences, drops.
 * Errors: ZS_ERR_USAGE (grammar_name is NULL). */
zs_status zs_pcfg_sample_provenance(const zs_pcfg *g, const char *grammar_name,
                                    const zs_pcfg_sample_opts *opts,
                                    const zs_pcfg_sample_stats *stats, const char *labels_path,
                                    char **out, zs_error *err);

/* ---- the paper's grammars -------------------------------------------------------------
 * The knobs of [GZ]'s three dataset sets ("main", "same-vocabulary", "same-h") and the
 * gzip compressibility H the paper measured on each (docs/science.md §4); knobs.seed is 0. */
typedef struct {
    const char *set;
    zs_pcfg_knobs knobs;
    double paper_h;
} zs_pcfg_reference_grammar;

const zs_pcfg_reference_grammar *zs_pcfg_reference_grammars(size_t *count);

/* How `zipscale pcfg paper` runs the paper's grammars: each is sampled as documents of
 * ZS_PCFG_PAPER_CONTEXT tokens, `tokens` per grammar rounded up to whole documents. */
#define ZS_PCFG_PAPER_CONTEXT 256
#define ZS_PCFG_PAPER_TOKENS_MAX (1ULL << 34)

typedef struct {
    uint64_t tokens; /* per grammar, 1..ZS_PCFG_PAPER_TOKENS_MAX (default 2^20: 4096 documents) */
    const char *set; /* a reference set ("main", "same-vocabulary", "same-h") or "all"
                        (default "main") */
    const char *dir; /* where the grammars, token files and summary go (default
                        "zipscale-grammars") */
} zs_pcfg_paper_opts;

void zs_pcfg_paper_opts_init(zs_pcfg_paper_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
